"""Envelope movements (transfers, grants, PENE), reversals, creation, and bad input."""

from __future__ import annotations

import pandas as pd
import pytest
from test_ledger_common import (  # noqa: F401 (fixtures)
    ASSIGNMENT,
    FakeAllocation,
    count_entries,
    ledger_fixture,
    make_ledger,
)

from zan.errors import DataError, IntegrityError, LedgerError, PeriodError
from zan.ledger import Ledger


def _envelopes(led: Ledger) -> pd.Series:
    return led.balance(consolidate=False)["envelope_ha"]


def test_transfers_conserve_the_regional_envelope(ledger: Ledger) -> None:
    before = _envelopes(ledger)
    op = ledger.transfer(
        "A", "B", 7.25, justification="délibérations A-12 et B-31", date="2023-02-01"
    )
    after = _envelopes(ledger)
    assert after["A"] == before["A"] - 7.25 and after["B"] == before["B"] + 7.25
    assert after.drop(["A", "B"]).equals(before.drop(["A", "B"]))
    legs = ledger.entries(kind="transfer")
    assert (legs["operation"] == op).all() and legs["amount_m2"].sum() == 0
    assert legs["counterpart"].tolist() == ["B", "A"]
    assert set(legs["justification"]) == {"délibérations A-12 et B-31"}
    assert ledger.verify().ok


def test_transfer_beyond_balance_needs_allow_overdraft(ledger: Ledger) -> None:
    n = count_entries(ledger.path)
    with pytest.raises(
        LedgerError, match=r"exceeds its remaining balance.*50\.0000 ha.*allow_overdraft"
    ):
        ledger.transfer("A", "B", 50.5, justification="accord")
    assert count_entries(ledger.path) == n
    ledger.transfer("A", "B", 50.5, justification="accord du comité", allow_overdraft=True)
    assert ledger.balance().loc["A", "remaining_ha"] == -0.5


def test_grant_from_the_reserve(ledger: Ledger) -> None:
    ledger.grant("B", 12, justification="CR 2025-07", label="Plateforme logistique")
    b = ledger.balance()
    assert b.loc["reserve", "remaining_ha"] == 8.0 and b.loc["B", "envelope_ha"] == 42.0
    with pytest.raises(LedgerError, match="grant of 9.0000 ha from 'reserve' exceeds"):
        ledger.grant("B", 9, justification="CR")
    with pytest.raises(LedgerError, match="reserve grants to territories"):
        ledger.grant("pene", 1, justification="CR")


def test_pene_is_counted_apart(ledger: Ledger) -> None:
    ledger.record_pene(
        3,
        label="Canal Seine-Nord Europe",
        territory="B",
        year=2023,
        date="2023-12-31",
        justification="arrêté du 31 mai 2024",
    )
    b = ledger.balance()
    assert b.loc["pene", ["consumed_ha", "remaining_ha"]].tolist() == [3.0, 5.0]
    assert b.loc["B", "consumed_ha"] == -3.0  # taken off what the Cerema file will count there
    assert b.loc["region", "envelope_ha"] == 100.0
    ledger.record_pene(1, label="Ligne nouvelle")  # no territory: no offset
    assert ledger.balance().loc["pene", "consumed_ha"] == 4.0


def test_reversal_of_a_transfer_reverses_both_legs(ledger: Ledger) -> None:
    ledger.transfer("A", "B", 4, justification="accord", date="2022-05-01")
    first = ledger.entries(kind="transfer").index[0]
    ids = ledger.reverse(first, justification="délibération annulée par le tribunal")
    assert len(ids) == 2
    rev = ledger.entries().loc[ids]
    assert rev["reverses"].tolist() == ledger.entries(kind="transfer").index[:2].tolist()
    assert (rev["effective_date"] == "2022-05-01").all() and (rev["action"] == "reversal").all()
    assert _envelopes(ledger)[["A", "B"]].tolist() == [50.0, 30.0]
    with pytest.raises(LedgerError, match="already reversed"):
        ledger.reverse(first, justification="encore")
    with pytest.raises(LedgerError, match="itself a reversal"):
        ledger.reverse(ids[0], justification="encore")


@pytest.mark.parametrize(
    ("call", "error", "message"),
    [
        (
            lambda led: led.transfer("A", "Z", 1, justification="x"),
            LedgerError,
            "unknown receiving account 'Z'",
        ),
        (lambda led: led.transfer("A", "B", -1, justification="x"), DataError, "positive number"),
        (
            lambda led: led.transfer("A", "B", float("nan"), justification="x"),
            DataError,
            "positive",
        ),
        (
            lambda led: led.transfer("A", "B", 1, justification=" "),
            DataError,
            "justification is required",
        ),
        (lambda led: led.transfer("A", "A", 1, justification="x"), LedgerError, "to itself"),
        (lambda led: led.transfer("A", "pene", 1, justification="x"), LedgerError, "PENE forfait"),
        (lambda led: led.transfer("reserve", "A", 1, justification="x"), LedgerError, "by a grant"),
        (
            lambda led: led.transfer("A", "B", 1, justification="x", period="2020-2029"),
            PeriodError,
            "unknown period '2020-2029'",
        ),
        (
            lambda led: led.transfer("A", "B", 1, justification="x", period="2031-2040"),
            PeriodError,
            "2031-2040 has no envelope yet",
        ),
        (
            lambda led: led.transfer("A", "B", 1, justification="x", date="2035-01-01"),
            PeriodError,
            "falls in no allocated period",
        ),
        (
            lambda led: led.transfer("A", "B", 1, justification="x", date="31/12/2024"),
            DataError,
            "YYYY-MM-DD",
        ),
        (lambda led: led.grant("Z", 1, justification="x"), LedgerError, "unknown territory 'Z'"),
        (lambda led: led.grant("A", 0, justification="x"), DataError, "positive number"),
        (
            lambda led: led.grant("A", 1, justification="x", project=5),
            LedgerError,
            "unknown project 5",
        ),
        (
            lambda led: led.record_pene(1, label="x", territory="reserve"),
            LedgerError,
            "not a territory",
        ),
        (lambda led: led.record_pene(1, label=""), DataError, "PENE label is required"),
        (lambda led: led.reverse(1, justification="x"), LedgerError, "allocation credit"),
        (lambda led: led.reverse(999, justification="x"), LedgerError, "no entry 999"),
    ],
)
def test_bad_input_is_refused_and_writes_nothing(ledger: Ledger, call, error, message) -> None:
    n = count_entries(ledger.path)
    with pytest.raises(error, match=message):
        call(ledger)
    assert count_entries(ledger.path) == n
    assert ledger.verify().ok


def test_a_write_breaking_the_invariant_is_rolled_back(ledger: Ledger) -> None:
    from zan.ledger.entries import append_entries

    def bad(conn):
        append_entries(
            conn,
            {
                "operation": [99],
                "effective_date": "2022-01-01",
                "period": "2021-2030",
                "metric": "enaf_consumption",
                "kind": "allocation",
                "action": "credit",
                "account": "A",
                "amount_m2": 100,
                "label": "crédit fantôme",
            },
            recorded_at="2022-01-01T00:00:00Z",
        )
        from zan.ledger.verify import check_invariants

        check_invariants(conn, "test")

    n = count_entries(ledger.path)
    with pytest.raises(
        IntegrityError, match="add up to 100.0100 ha, not the regional envelope 100.0000"
    ):
        ledger._write(bad)
    assert count_entries(ledger.path) == n


def test_create_records_one_credit_per_account(tmp_path) -> None:
    led = make_ledger(
        tmp_path,
        allocation=FakeAllocation(garantie={"A": 3.0, "B": 0.0}),
        justification="SRADDET, délibération du 21 nov. 2024",
    )
    e = led.entries()
    assert (e["kind"] == "allocation").all() and e["operation"].nunique() == 1
    assert e["account"].tolist() == ["A", "B", "garantie:A", "reserve", "reserve", "pene"]
    # The reserve: 15 ha, then the 5 ha the allocation left undistributed.
    assert e["amount_ha"].tolist() == [47.0, 30.0, 3.0, 15.0, 5.0, 8.0]
    assert set(e["scenario_name"]) == {"Essai"} and set(e["effective_date"]) == {"2021-01-01"}
    assert set(e["justification"]) == {"SRADDET, délibération du 21 nov. 2024"}
    assert list(led.accounts["account_type"]) == [
        "territoire",
        "territoire",
        "garantie",
        "reserve",
        "pene",
    ]
    assert led.periods.loc["2021-2030", "envelope_ha"] == 100.0
    assert led.communes.to_dict() == ASSIGNMENT.to_dict()


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(allocation=FakeAllocation({"A": 60.0, "B": 50.0})), "exceed the regional envelope"),
        (dict(allocation=FakeAllocation({"A": -1.0, "B": 30.0})), "negative or missing"),
        (
            dict(assignment=pd.Series(["A", "C"], index=["99001", "99002"])),
            r"not in the allocation table: \['C'\]",
        ),
        (dict(assignment=pd.Series(["A"], index=["99001"])), r"have no commune.*\['B'\]"),
        (dict(assignment=None), "needs to know the territory of each commune"),
        (dict(allocation=FakeAllocation({"reserve": 1.0})), "reserved names"),
    ],
)
def test_bad_allocations_create_no_file(tmp_path, kwargs, message) -> None:
    with pytest.raises(LedgerError, match=message):
        make_ledger(tmp_path, **kwargs)
    assert list(tmp_path.iterdir()) == []


def test_create_refuses_to_overwrite(tmp_path, ledger: Ledger) -> None:
    with pytest.raises(LedgerError, match="already exists.*overwrite=True"):
        make_ledger(tmp_path)
    with pytest.raises(LedgerError, match="open in another program"):
        make_ledger(tmp_path, overwrite=True)
    ledger.close()
    fresh = make_ledger(tmp_path, overwrite=True, allocation=FakeAllocation({"A": 10.0, "B": 10.0}))
    assert fresh.balance().loc["A", "envelope_ha"] == 10.0


def test_commune_level_allocation_needs_no_assignment(tmp_path) -> None:
    alloc = FakeAllocation({"99001": 5.0, "99002": 5.0}, level="commune", garantie={"99001": 1.0})
    led = Ledger.create(tmp_path / "communes.gpkg", alloc)
    assert led.communes.to_dict() == {"99001": "99001", "99002": "99002"}
    assert "garantie:99001" not in led.accounts.index  # no pool at commune level
