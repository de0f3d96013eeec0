"""Balances over several years, computed by hand on the tiny region of test_ledger_common."""

from __future__ import annotations

import datetime

import pandas as pd
import pytest
from test_ledger_common import (  # noqa: F401 (fixtures)
    ASSIGNMENT,
    FakeAllocation,
    ledger_fixture,
    make_ledger,
    vintage1_fixture,
)

from zan.errors import PeriodError
from zan.ledger import Ledger


def _check(b: pd.DataFrame, code: str, **expected) -> None:
    for column, value in expected.items():
        got = b.loc[code, column]
        if isinstance(value, float):
            assert got == pytest.approx(value, abs=1e-9), (code, column)
        else:
            assert got == value, (code, column)


def test_hand_computed_balances_over_years(ledger: Ledger, vintage1) -> None:
    ledger.import_consumption(vintage1)
    ledger.transfer(
        "A", "B", 5, justification="délibérations A-2022-01 et B-2022-04", date="2022-03-01"
    )
    ledger.grant("B", 3, justification="CR 2023-118", date="2023-06-01")
    pid = ledger.add_project(
        "A", label="ZA des Prés", parcels=["99001000AB0001"], enaf_ha=2, date="2023-05-01"
    )
    ledger.record_pene(2, label="Canal", territory="A", year=2023, date="2023-09-01")
    ledger.realise_project(pid, date="2024-02-01")

    # Mid-2022: only the 2021 flows are in effect (dated 31 Dec 2021); the transfer is.
    # A: 3 + 1 = 4 ha in 2021, pace 4 ha/yr, 40 ha by 2030 < 45: on track; runs out
    # after ceil(41 / 4) = 11 more years -> 2032. B: 10 ha, pace 10, projected 100 > 35.
    b = ledger.balance(at="2022-06-30")
    assert b.attrs["last_year"] == 2021
    _check(
        b,
        "A",
        envelope_ha=45.0,
        consumed_ha=4.0,
        committed_ha=0.0,
        remaining_ha=41.0,
        annual_rate_ha=4.0,
        projected_ha=40.0,
        status="on_track",
        runs_out_year=2032,
        transferred_ha=-5.0,
    )
    _check(
        b,
        "B",
        envelope_ha=35.0,
        consumed_ha=10.0,
        remaining_ha=25.0,
        annual_rate_ha=10.0,
        projected_ha=100.0,
        status="will_exceed",
        runs_out_year=2024,
    )
    _check(b, "reserve", envelope_ha=20.0, remaining_ha=20.0)
    _check(
        b,
        "region",
        envelope_ha=100.0,
        consumed_ha=14.0,
        remaining_ha=86.0,
        annual_rate_ha=14.0,
        projected_ha=140.0,
        status="will_exceed",
    )

    # Mid-2023: 2022 flows in (A 6, B 12); project committed 2 ha on A; grant 3 ha to B.
    b = ledger.balance(at="2023-06-30")
    _check(
        b,
        "A",
        envelope_ha=45.0,
        consumed_ha=10.0,
        committed_ha=2.0,
        remaining_ha=33.0,
        annual_rate_ha=5.0,
        projected_ha=50.0,
        status="will_exceed",
    )
    _check(
        b,
        "B",
        envelope_ha=38.0,
        granted_ha=3.0,
        consumed_ha=22.0,
        remaining_ha=16.0,
        annual_rate_ha=11.0,
        status="will_exceed",
    )
    _check(b, "reserve", envelope_ha=17.0, granted_ha=-3.0)

    # 2024: 2023 flows in (A 4 + 2 = 6 ha, less the 2 ha of the PENE counted in A's
    # commune; B 11 ha); the project is realised, so no longer committed.
    # A: 14 ha in 3 years -> 46.7 ha by 2030 > 45; B: 33 ha, 5 left, 11 ha/yr -> 2024.
    b = ledger.balance(at="2024-03-01")
    _check(
        b,
        "A",
        consumed_ha=14.0,
        committed_ha=0.0,
        remaining_ha=31.0,
        annual_rate_ha=14.0 / 3,
        status="will_exceed",
        runs_out_year=2030,
    )
    _check(
        b,
        "B",
        consumed_ha=33.0,
        remaining_ha=5.0,
        annual_rate_ha=11.0,
        projected_ha=110.0,
        status="will_exceed",
        runs_out_year=2024,
    )
    _check(b, "pene", envelope_ha=8.0, consumed_ha=2.0, remaining_ha=6.0)
    # The region: territories + reserve = 100 ha; consumption without the PENE.
    _check(b, "region", envelope_ha=100.0, consumed_ha=47.0, remaining_ha=53.0)
    assert b.attrs["regional_envelope_ha"] == 100.0


def test_exceeded_account_runs_out_the_year_it_went_over(tmp_path, vintage1) -> None:
    # B gets 25 ha: 10 (2021) + 12 (2022) = 22, + 11 (2023) = 33 > 25 -> exceeded in 2023.
    led = make_ledger(tmp_path, allocation=FakeAllocation({"A": 50.0, "B": 25.0}))
    led.import_consumption(vintage1)
    b = led.balance()
    _check(b, "B", consumed_ha=33.0, remaining_ha=-8.0, status="exceeded", runs_out_year=2023)
    assert b.loc["B", "used_pct"] == pytest.approx(132.0)


def test_balance_without_consumption_has_no_pace(ledger: Ledger) -> None:
    b = ledger.balance()
    assert b["annual_rate_ha"].isna().all()
    assert b["runs_out_year"].isna().all()
    assert (b.loc[["A", "B", "region"], "status"] == "on_track").all()


def test_commitments_alone_can_put_an_account_at_risk(ledger: Ledger) -> None:
    ledger.add_project("B", label="Zone", parcels="99003000AB0001", enaf_ha=31, date="2022-01-01")
    b = ledger.balance()
    _check(b, "B", committed_ha=31.0, remaining_ha=-1.0, status="will_exceed")


def test_known_at_gives_the_balance_as_known_then(ledger: Ledger, vintage1) -> None:
    before = ledger.entries()["recorded_at"].max()
    ledger.import_consumption(vintage1)
    now = ledger.balance()
    then = ledger.balance(known_at=before)
    assert now.loc["A", "consumed_ha"] == 16.0
    assert then.loc["A", "consumed_ha"] == 0.0
    moment = datetime.datetime.fromisoformat(before.replace("Z", "+00:00"))
    assert ledger.balance(known_at=moment).loc["A", "consumed_ha"] == 0.0
    assert ledger.balance(known_at=datetime.date(2020, 1, 1)).loc["region", "envelope_ha"] == 0.0


def test_unconsolidated_balance_lists_garantie_pools(tmp_path) -> None:
    alloc = FakeAllocation(garantie={"A": 2.0})
    led = make_ledger(tmp_path, allocation=alloc)
    pools = led.balance(consolidate=False)
    assert pools.loc["A", "envelope_ha"] == 48.0
    assert pools.loc["garantie:A", "envelope_ha"] == 2.0
    assert pools.loc["garantie:A", "account_type"] == "garantie"
    merged = led.balance()
    assert "garantie:A" not in merged.index
    assert merged.loc["A", "envelope_ha"] == 50.0
    # A pool is an account of its own: the territory may draw on it by transfer.
    led.transfer("garantie:A", "A", 2, justification="mutualisation demandée par les communes")
    assert led.balance(consolidate=False).loc["garantie:A", "remaining_ha"] == 0.0


def test_history_runs_the_remaining_balance(ledger: Ledger, vintage1) -> None:
    ledger.import_consumption(vintage1)
    ledger.transfer("A", "B", 5, justification="accord", date="2022-03-01")
    h = ledger.history("A")
    assert h["kind"].tolist() == [
        "allocation",
        "consumption",
        "transfer",
        "consumption",
        "consumption",
    ]
    assert h["remaining_ha"].tolist() == [50.0, 46.0, 41.0, 35.0, 29.0]
    assert h.loc[h["kind"] == "transfer", "counterpart"].tolist() == ["B"]


def test_unknown_period_for_a_balance_is_refused(ledger: Ledger) -> None:
    with pytest.raises(PeriodError, match="unknown period '2051-2060'.*2021-2030"):
        ledger.balance(period="2051-2060")


def test_region_row_always_equals_regional_envelope(ledger: Ledger) -> None:
    ledger.grant("A", 4, justification="CR")
    ledger.transfer("A", "B", 10, justification="accord")
    ledger.transfer("B", "reserve", 1, justification="restitution")
    b = ledger.balance()
    parts = b.loc[["A", "B", "reserve"], "envelope_ha"].sum()
    assert parts == b.loc["region", "envelope_ha"] == 100.0
    assert b.loc["reserve", "envelope_ha"] == 17.0


def test_pene_contribution_and_located_pene_side_by_side_without_exceeded(
    ledger: Ledger, vintage1
) -> None:
    from zan.ledger.balance import PENE_STATUS
    from zan.ledger.export import PENE_STATUS_LABEL, french_balance

    ledger.import_consumption(vintage1)
    a_before = ledger.balance().loc["A", "consumed_ha"]
    # 12 ha of national projects located in the region, more than its 8 ha contribution
    ledger.record_pene(7, label="Canal", territory="A", year=2022, date="2022-09-01")
    ledger.record_pene(5, label="Port", year=2023, date="2023-09-01")
    b = ledger.balance()
    _check(b, "pene", envelope_ha=8.0, consumed_ha=12.0, remaining_ha=-4.0)
    assert b.loc["pene", "status"] == PENE_STATUS == "national"
    assert pd.isna(b.loc["pene", "runs_out_year"])
    assert b.attrs["pene_contribution_ha"] == 8.0 and b.attrs["pene_located_ha"] == 12.0
    # the territories' statuses are still computed, and nothing else is "national"
    assert set(b.drop(index="pene")["status"]) <= {"on_track", "will_exceed", "exceeded"}
    # the region's envelope leaves the PENE out; A does not bear the canal located in it
    _check(b, "region", envelope_ha=100.0)
    assert b.loc["A", "consumed_ha"] == pytest.approx(a_before - 7.0)
    # a contribution not yet used is "national" too, never "on_track" against a cap
    early = ledger.balance(at="2022-01-01")
    assert early.loc["pene", "status"] == "national"
    assert early.attrs["pene_located_ha"] == 0.0
    fr = french_balance(b).set_index("Code")
    assert fr.loc["pene", "Situation"] == PENE_STATUS_LABEL
    assert "Enveloppe dépassée" not in fr.loc["pene"].astype(str).tolist()
