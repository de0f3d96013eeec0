"""Later periods: allocations for 2031-2040 and net artificialisation imported per year.

The tiny region of test_ledger_common (A = communes 99001 + 99002, B = 99003) is
credited for 2031-2040 with A 30 ha (of which a garantie communale pool of 1 ha),
B 20 ha, a reserve of 6 ha plus 4 ha left undistributed (regional envelope 60 ha)
and a PENE forfait of 4 ha. Net artificialisation per commune, in m²:

=======  ========  ========  =========================================
commune  2031      2032      2033
=======  ========  ========  =========================================
99001    +30,000   +20,000   -10,000 (0.5 ha artificialised, 1.5 renaturated)
99002    +5,000    -15,000   +5,000
99003    +40,000   +60,000   -20,000
=======  ========  ========  =========================================

so A: 3.5, 0.5, -0.5 ha (3.5 ha in all) and B: 4.0, 6.0, -2.0 ha (8.0 ha).
"""

from __future__ import annotations

import csv
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
from test_ledger_common import (  # noqa: F401 (fixtures)
    FakeAllocation,
    count_entries,
    ledger_fixture,
    make_ledger,
    vintage1_fixture,
    write_cerema,
)

from zan.errors import DataError, IntegrityError, LedgerError, PeriodError, SchemaError
from zan.ledger import Ledger, export_balance, export_history
from zan.ledger.entries import append_entries
from zan.ledger.store import write_transaction
from zan.ledger.verify import check_invariants

LATER = "2031-2040"

#: (artificialised m², renaturated m²) per commune and year, vintage 1.
NET_V1: dict[str, dict[int, tuple[int, int]]] = {
    "99001": {2031: (30_000, 0), 2032: (20_000, 0), 2033: (5_000, 15_000)},
    "99002": {2031: (5_000, 0), 2032: (0, 15_000), 2033: (5_000, 0)},
    "99003": {2031: (40_000, 0), 2032: (60_000, 0), 2033: (0, 20_000)},
}
#: Vintage 2: 2032 of 99003 revised to +55,000, 2033 of 99001 to -12,000; 2034 added.
NET_V2: dict[str, dict[int, tuple[int, int]]] = {
    "99001": {**NET_V1["99001"], 2033: (5_000, 17_000), 2034: (10_000, 0)},
    "99002": {**NET_V1["99002"], 2034: (0, 0)},
    "99003": {**NET_V1["99003"], 2032: (55_000, 0), 2034: (0, 5_000)},
}


def later_allocation() -> FakeAllocation:
    return FakeAllocation(
        {"A": 30.0, "B": 20.0}, regional=60.0, pene=4.0, reserve=6.0, garantie={"A": 1.0}
    )


def write_net(path: Path, flows: dict[str, dict[int, tuple[int, int]]]) -> Path:
    """A net artificialisation table: code, year, artificialised_ha, renaturated_ha."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["code", "year", "artificialised_ha", "renaturated_ha"])
        for code, years in flows.items():
            for year, (art, ren) in years.items():
                w.writerow([code, year, art / 10_000, ren / 10_000])
    return path


@pytest.fixture(name="later")
def later_fixture(ledger: Ledger) -> Ledger:
    ledger.record_allocation(
        later_allocation(), period=LATER, justification="SRADDET, délibération 2030-12"
    )
    return ledger


@pytest.fixture(name="net1")
def net1_fixture(tmp_path: Path) -> Path:
    return write_net(tmp_path / "artif_v1.csv", NET_V1)


@pytest.fixture(name="net2")
def net2_fixture(tmp_path: Path) -> Path:
    return write_net(tmp_path / "artif_v2.csv", NET_V2)


# --------------------------------------------------------------------------- allocations


def test_later_allocation_credits_the_same_accounts_for_its_period(later: Ledger) -> None:
    credits = later.entries(kind="allocation")
    new = credits[credits["period"] == LATER]
    assert new.groupby("account")["amount_ha"].sum().to_dict() == {
        "A": 29.0,  # 30 ha less the 1 ha pooled as garantie communale
        "B": 20.0,
        "garantie:A": 1.0,
        "reserve": 10.0,  # 6 ha of reserve + 4 ha undistributed (60 - 30 - 20 - 6)
        "pene": 4.0,
    }
    assert set(new["metric"]) == {"net_artificialisation"}
    assert set(new["effective_date"]) == {"2031-01-01"}
    assert set(new["justification"]) == {"SRADDET, délibération 2030-12"}
    assert set(new["scenario_name"]) == {"Essai"} and set(new["scenario_hash"]) == {"0" * 64}
    assert new["operation"].nunique() == 1
    assert new.loc[new["account"] == "reserve", "amount_ha"].tolist() == [6.0, 4.0]
    # The pool account was created for it; the first period has none.
    assert later.accounts.loc["garantie:A", ["account_type", "territory"]].tolist() == [
        "garantie",
        "A",
    ]
    periods = later.periods
    assert periods.loc[LATER, ["envelope_ha", "pene_ha"]].tolist() == [60.0, 4.0]
    assert periods.loc[LATER, "metric"] == "net_artificialisation"


def test_balances_are_kept_per_period(later: Ledger) -> None:
    first = later.balance()
    assert first.attrs["period"] == "2021-2030" and later.default_period == "2021-2030"
    assert first.loc[["A", "B", "reserve", "pene", "region"], "envelope_ha"].tolist() == [
        50.0,
        30.0,
        20.0,
        8.0,
        100.0,
    ]
    b = later.balance(period=LATER)
    assert b.attrs["metric"] == "net_artificialisation"
    assert b.loc[["A", "B", "reserve", "pene", "region"], "envelope_ha"].tolist() == [
        30.0,
        20.0,
        10.0,
        4.0,
        60.0,
    ]
    pools = later.balance(period=LATER, consolidate=False)
    assert pools.loc[["A", "garantie:A"], "envelope_ha"].tolist() == [29.0, 1.0]


def test_a_second_allocation_for_a_period_is_refused(later: Ledger) -> None:
    n = count_entries(later.path)
    with pytest.raises(
        LedgerError,
        match=r"period 2031-2040 already has an allocation.*never edited nor reversed.*"
        r"transfers.*new ledger",
    ):
        later.record_allocation(later_allocation(), period=LATER, justification="encore")
    # The first period too: it was recorded with the ledger.
    with pytest.raises(LedgerError, match="period 2021-2030 already has an allocation"):
        later.record_allocation(later_allocation(), period="2021-2030", justification="x")
    with pytest.raises(PeriodError, match="2035-2044 overlaps period 2031-2040"):
        later.record_allocation(later_allocation(), period="2035-2044", justification="x")
    assert count_entries(later.path) == n
    assert later.balance(period=LATER).loc["region", "envelope_ha"] == 60.0


@pytest.mark.parametrize(
    ("allocation", "error", "message"),
    [
        (
            FakeAllocation({"A": 30.0, "C": 20.0}, regional=60.0),
            LedgerError,
            r"1 territory code\(s\) of the allocation are not accounts of the ledger \(C\); "
            r"1 account\(s\) of the ledger are missing from the allocation \(B\)",
        ),
        (
            FakeAllocation({"A": 30.0}, regional=60.0),
            LedgerError,
            r"missing from the allocation \(B\)",
        ),
        (
            FakeAllocation({"A": 50.0, "B": 20.0}, regional=60.0, reserve=6.0),
            LedgerError,
            "exceed the regional envelope less the reserve",
        ),
    ],
)
def test_allocations_that_do_not_fit_the_ledger_write_nothing(
    ledger: Ledger, allocation, error, message
) -> None:
    n = count_entries(ledger.path)
    with pytest.raises(error, match=message):
        ledger.record_allocation(allocation, period=LATER, justification="SRADDET")
    assert count_entries(ledger.path) == n
    assert pd.isna(ledger.periods.loc[LATER, "envelope_ha"])


def test_allocation_needs_a_period_and_a_justification(ledger: Ledger) -> None:
    with pytest.raises(DataError, match="allocation justification is required"):
        ledger.record_allocation(later_allocation(), period=LATER, justification=" ")
    with pytest.raises(PeriodError, match="period '2031' is not a range of years"):
        ledger.record_allocation(later_allocation(), period="2031", justification="x")
    assert count_entries(ledger.path) == 5


def test_a_non_legal_period_is_added(ledger: Ledger) -> None:
    ledger.record_allocation(later_allocation(), period="2051-2060", justification="x")
    assert ledger.periods.loc["2051-2060", ["metric", "envelope_ha"]].tolist() == [
        "net_artificialisation",
        60.0,
    ]
    assert ledger.verify().ok


def test_writes_of_a_later_period_go_to_it_and_conserve_its_envelope(later: Ledger) -> None:
    later.transfer("A", "B", 2.5, justification="accord A-2032-4 / B-2032-9", date="2032-03-01")
    later.grant("A", 3, justification="CR 2033-01", date="2033-01-15")
    b = later.balance(period=LATER)
    assert b.loc[["A", "B", "reserve"], "envelope_ha"].tolist() == [30.5, 22.5, 7.0]
    assert b.loc["region", "envelope_ha"] == 60.0
    assert later.balance().loc[["A", "B"], "envelope_ha"].tolist() == [50.0, 30.0]
    assert set(later.entries(kind="transfer")["period"]) == {LATER}
    assert later.verify().ok


def test_every_write_checks_the_invariant_of_each_period(later: Ledger) -> None:
    row = {
        "operation": [99],
        "effective_date": "2031-01-01",
        "period": LATER,
        "metric": "net_artificialisation",
        "kind": "allocation",
        "action": "credit",
        "account": "B",
        "amount_m2": 1,
        "label": "Crédit de trop",
    }
    n = count_entries(later.path)

    def write(conn: sqlite3.Connection) -> None:
        append_entries(conn, row, recorded_at="now")
        check_invariants(conn, "compte")

    with pytest.raises(
        IntegrityError,
        match=r"period 2031-2040: the accounts and the reserve add up to 60\.0001 ha, "
        r"not the regional envelope 60\.0000 ha",
    ):
        write_transaction(later.connection, write)
    assert count_entries(later.path) == n


def test_verify_finds_a_tampered_row_of_a_later_period(later: Ledger) -> None:
    assert later.verify().ok
    with sqlite3.connect(later.path) as conn:
        conn.execute("DROP TRIGGER entries_no_update")
        conn.execute(
            "UPDATE entries SET amount_m2 = amount_m2 + 5000 "
            "WHERE period = ? AND account = 'B' AND kind = 'allocation'",
            (LATER,),
        )
    report = Ledger(later.path).verify()
    assert not report.ok
    text = " ".join(str(p) for p in report.problems)
    assert "the row was edited" in text
    assert "period 2031-2040: the accounts and the reserve add up to 60.5000 ha" in text
    assert "period 2021-2030" not in text  # the first period still adds up
    assert "trigger entries_no_update is missing" in text


# --------------------------------------------------------------------------- net artificialisation


def test_hand_computed_balances_with_net_artificialisation(later: Ledger, net1) -> None:
    report = later.import_artificialisation(net1, vintage="OCS GE 2033", author="observatoire")
    assert report.metric == "net_artificialisation"
    assert report.years == (2031, 2032, 2033) and report.new_entries == 6
    e = later.entries(kind="consumption")
    got = e.set_index(["account", "year"])["amount_ha"].sort_index().to_dict()
    assert got == {
        ("A", 2031): 3.5,
        ("A", 2032): 0.5,
        ("A", 2033): -0.5,  # renaturation beyond artificialisation: a credit
        ("B", 2031): 4.0,
        ("B", 2032): 6.0,
        ("B", 2033): -2.0,
    }
    assert set(e["period"]) == {LATER} and set(e["metric"]) == {"net_artificialisation"}
    assert e["label"].iloc[0] == "Artificialisation nette 2031 (OCS GE 2033)"
    assert set(e["source_file"]) == {"artif_v1.csv"} and set(e["author"]) == {"observatoire"}

    b = later.balance(period=LATER)
    assert b.attrs["last_year"] == 2033
    a = b.loc["A"]
    assert [a["envelope_ha"], a["consumed_ha"], a["remaining_ha"]] == [30.0, 3.5, 26.5]
    assert a["annual_rate_ha"] == pytest.approx(3.5 / 3)
    assert a["projected_ha"] == pytest.approx(3.5 / 3 * 10) and a["status"] == "on_track"
    bb = b.loc["B"]
    assert [bb["envelope_ha"], bb["consumed_ha"], bb["remaining_ha"]] == [20.0, 8.0, 12.0]
    # 8 ha in 3 years: 26.7 ha by 2040 > 20 ha; 12 ha left at 2.67 ha a year: 5 more years.
    assert bb["status"] == "will_exceed" and bb["runs_out_year"] == 2038
    assert b.loc["region", ["consumed_ha", "remaining_ha"]].tolist() == [11.5, 48.5]
    # At the end of 2032, before the renaturation of 2033.
    at = later.balance(at="2032-12-31", period=LATER)
    assert at.loc[["A", "B"], "consumed_ha"].tolist() == [4.0, 10.0]
    # The first period is untouched.
    assert later.balance().loc["region", "consumed_ha"] == 0.0
    # History of A, with its pool: credits 29 + 1, then 3.5, 0.5, -0.5.
    h = later.history("A", period=LATER)
    assert h["remaining_ha"].tolist() == [29.0, 30.0, 26.5, 26.0, 26.5]
    assert later.verify().ok


def test_an_account_that_renaturates_more_than_it_artificialises(later: Ledger) -> None:
    frame = pd.DataFrame(
        {
            "code": ["99001", "99002", "99003"] * 2,
            "year": [2031] * 3 + [2032] * 3,
            "net_ha": [-1.0, 0.0, 0.5, -0.5, -0.5, 0.5],
        }
    )
    later.import_artificialisation(frame)
    b = later.balance(period=LATER)
    a = b.loc["A"]
    # A: -1.0 then -1.0 ha: its net is a credit of 2 ha on its 30 ha.
    assert [a["consumed_ha"], a["remaining_ha"], a["used_pct"]] == [-2.0, 32.0, -2.0 / 30 * 100]
    assert a["annual_rate_ha"] == -1.0 and a["projected_ha"] == -10.0
    assert a["status"] == "on_track" and pd.isna(a["runs_out_year"])
    assert b.loc["region", ["consumed_ha", "remaining_ha"]].tolist() == [-1.0, 61.0]
    assert later.verify().ok  # the invariants hold on envelopes, whatever the net


def test_net_artificialisation_reimport_and_revisions(later: Ledger, net1, net2, tmp_path) -> None:
    later.import_artificialisation(net1)
    n = count_entries(later.path)
    again = later.import_artificialisation(net1)
    assert again.already_imported and count_entries(later.path) == n
    # The same figures in another file: every difference is zero.
    copy = tmp_path / "copie.csv"
    copy.write_text(net1.read_text(encoding="utf-8") + "\n", encoding="utf-8")
    assert later.import_artificialisation(copy).unchanged
    assert count_entries(later.path) == n

    report = later.import_artificialisation(net2)
    assert report.new_entries == 2  # 2034 of A and B
    rev = report.revisions.set_index(["account", "year"])
    assert len(rev) == 2
    assert rev.loc[("B", 2032)].tolist() == pytest.approx([6.0, 5.5, -0.5])
    assert rev.loc[("A", 2033)].tolist() == pytest.approx([-0.5, -0.7, -0.2])
    assert "revision A 2033: -0.5000 → -0.7000 ha (-0.2000)" in str(report)
    e = later.entries(kind="consumption")
    assert sorted(e.loc[e["action"] == "revision", "amount_ha"]) == pytest.approx([-0.5, -0.2])
    # Never double-counted: the ledger holds the newest figures.
    per_year = e.groupby(["account", "year"])["amount_ha"].sum().round(4).to_dict()
    assert per_year[("B", 2032)] == 5.5 and per_year[("A", 2033)] == -0.7
    b = later.balance(period=LATER)
    assert b.loc[["A", "B"], "consumed_ha"].tolist() == pytest.approx([4.3, 7.0])
    imports = later.imports()
    assert imports["metric"].tolist() == ["net_artificialisation"] * 2
    assert imports["years"].tolist() == ["2031-2033", "2031-2034"]
    # An older vintage (up to 2033) would undo the revisions.
    older = {**NET_V1, "99002": {**NET_V1["99002"], 2031: (6_000, 0)}}
    with pytest.raises(LedgerError, match="ends in 2033, before a vintage already imported"):
        later.import_artificialisation(write_net(tmp_path / "old.csv", older))
    assert count_entries(later.path) == n + 4
    assert later.verify().ok


def test_consumption_and_net_vintages_are_compared_apart(later: Ledger, net2, tmp_path) -> None:
    later.import_artificialisation(net2)  # ends in 2034
    report = later.import_consumption(
        write_cerema(
            tmp_path / "conso.csv",
            {
                "99001": {2021: 10_000, 2022: 0},
                "99002": {2021: 0, 2022: 0},
                "99003": {2021: 20_000, 2022: 5_000},
            },
        )
    )  # ends in 2022: not "older" than a net artificialisation vintage
    assert report.new_entries == 4
    b = later.balance()
    assert b.loc[["A", "B"], "consumed_ha"].tolist() == [1.0, 2.5]
    assert later.balance(period=LATER).loc["A", "consumed_ha"] == pytest.approx(4.3)


def test_a_year_before_2031_writes_nothing(later: Ledger, tmp_path) -> None:
    bad = {**NET_V1, "99002": {**NET_V1["99002"], 2025: (1_000, 0)}}
    path = write_net(tmp_path / "avec_2025.csv", bad)
    n = count_entries(later.path)
    with pytest.raises(
        PeriodError,
        match=r"avec_2025\.csv: year 2025 at row 8 is in period 2021-2030, whose metric is ENAF "
        r"consumption; net artificialisation counts from 2031.*import-consumption",
    ):
        later.import_artificialisation(path)
    assert count_entries(later.path) == n and len(later.imports()) == 0


def test_years_of_a_period_not_allocated_yet_are_refused(ledger: Ledger, net1) -> None:
    with pytest.raises(PeriodError, match="period 2031-2040, which has no allocation yet"):
        ledger.import_artificialisation(net1)
    assert count_entries(ledger.path) == 5


def test_a_consumption_file_is_refused_here_and_a_net_table_there(
    later: Ledger, vintage1, net1
) -> None:
    with pytest.raises(
        DataError, match="this is a Cerema ENAF consumption file.*import-consumption"
    ):
        later.import_artificialisation(vintage1)
    with pytest.raises(DataError, match="net artificialisation table.*import-artificialisation"):
        later.import_consumption(net1)
    assert len(later.imports()) == 0


@pytest.mark.parametrize(
    ("frame", "error", "message"),
    [
        (
            pd.DataFrame({"code": ["99001"], "year": [2031], "surface": [1.0]}),
            SchemaError,
            "no net artificialisation column",
        ),
        (
            pd.DataFrame({"commune": ["99001"], "year": [2031], "net_ha": [1.0]}),
            SchemaError,
            "column 'code' not found.*code_column",
        ),
        (
            pd.DataFrame({"code": ["99001"], "net_ha": [1.0]}),
            SchemaError,
            "no 'year' column",
        ),
        (
            pd.DataFrame({"code": ["99001"], "year": [2031], "net_ha": ["beaucoup"]}),
            DataError,
            "column 'net_ha': not a number at row 0",
        ),
        (
            pd.DataFrame({"code": ["99001", "99001"], "year": [2031, 2031], "net_ha": [1.0, 2.0]}),
            DataError,
            "given twice at row 0, row 1",
        ),
        (
            pd.DataFrame(
                {
                    "code": ["99001"],
                    "year": [2031],
                    "artificialised_ha": [1.0],
                    "renaturated_ha": [-1],
                }
            ),
            DataError,
            "'renaturated_ha': negative at row 0",
        ),
        (
            pd.DataFrame({"code": ["99001"], "year": [2061], "net_ha": [1.0]}),
            PeriodError,
            "year 2061 at row 0 is in no period of the ledger",
        ),
    ],
)
def test_bad_net_tables_write_nothing(later: Ledger, frame, error, message) -> None:
    n = count_entries(later.path)
    with pytest.raises(error, match=message):
        later.import_artificialisation(frame)
    assert count_entries(later.path) == n


def test_unknown_figures_leave_the_account_year_out(later: Ledger) -> None:
    frame = pd.DataFrame(
        {
            "code": ["99001", "99002", "99003", "99001", "99003"],
            "year": [2031, 2031, 2031, 2032, 2032],
            "net_m2": [10_000, None, -3_000, 2_000, 4_000],
        }
    )
    report = later.import_artificialisation(frame)
    # A is unknown in 2031 (99002 empty) and 2032 (99002 absent); B is known both years.
    assert report.skipped.set_index(["account", "year"])["unknown_communes"].to_dict() == {
        ("A", 2031): 1,
        ("A", 2032): 1,
    }
    e = later.entries(kind="consumption").set_index(["account", "year"])["amount_ha"]
    assert e.to_dict() == {("B", 2031): -0.3, ("B", 2032): 0.4}


def test_passage_moves_the_figures_onto_the_ledger_communes(later: Ledger, tmp_path) -> None:
    passage = tmp_path / "passage.csv"
    passage.write_text("code_2030,code_2031\n99004,99002\n99002,99002\n", encoding="utf-8")
    frame = pd.DataFrame(
        {"code": ["99001", "99002", "99004", "99003"], "year": 2031, "net_ha": [1, 0.5, 0.25, 2]}
    )
    report = later.import_artificialisation(frame, passage=passage)
    assert report.new_entries == 2
    e = later.entries(kind="consumption").set_index("account")["amount_ha"]
    assert e.to_dict() == {"A": 1.75, "B": 2.0}  # 99004 merged into 99002


def test_french_exports_name_the_metric(later: Ledger, net1, tmp_path) -> None:
    later.import_artificialisation(net1)
    path = export_balance(later, tmp_path / "soldes.csv", period=LATER)
    table = pd.read_csv(path, encoding="utf-8-sig")
    assert "Artificialisation nette (ha)" in table.columns
    assert table.set_index("Code").loc["B", "Artificialisation nette (ha)"] == 8.0
    first = pd.read_csv(export_balance(later, tmp_path / "s1.csv"), encoding="utf-8-sig")
    assert "Consommé (ha)" in first.columns
    hist = pd.read_csv(
        export_history(later, "B", tmp_path / "h.csv", period=LATER), encoding="utf-8-sig"
    )
    assert hist["Nature"].tolist()[-3:] == ["Artificialisation nette"] * 3
    assert hist["Artificialisation nette (ha)"].tolist()[-3:] == [4.0, 6.0, -2.0]


def test_change_measured_on_land_cover_is_imported(tmp_path) -> None:
    import geopandas as gpd
    from shapely.geometry import box

    import zan
    from zan.io.ocsge import landcover_from_frame
    from zan.measure.artificialisation import artificialisation_change

    communes = gpd.GeoDataFrame(
        {"nom": ["Amont-le-Haut", "Amont-le-Bas", "Aval"]},
        geometry=[box(0, 0, 1000, 1000), box(1000, 0, 2000, 1000), box(2000, 0, 3000, 1000)],
        index=pd.Index(["99001", "99002", "99003"], name="code"),
        crs="EPSG:2154",
    )
    membership = pd.DataFrame(
        {"epci": ["A", "A", "B"], "departement": "99", "region": "99"}, index=communes.index
    )
    territories = zan.Territories(communes, membership)
    led = Ledger.create(tmp_path / "boites.gpkg", FakeAllocation(), territories=territories)
    led.record_allocation(later_allocation(), period=LATER, justification="SRADDET")

    def layer(built: list) -> zan.io.ocsge.LandCover:
        # Farmland everywhere, with buildings (CS1.1.1.1 × US5) on the boxes given.
        fields = box(0, 0, 3000, 1000).difference(gpd.GeoSeries(built).union_all())
        return landcover_from_frame(
            gpd.GeoDataFrame(
                {
                    "code_cs": ["CS2.2.1"] + ["CS1.1.1.1"] * len(built),
                    "code_us": ["US1.1"] + ["US5"] * len(built),
                },
                geometry=[fields, *built],
                crs="EPSG:2154",
            )
        )

    # 1 ha built in 99001 (A); 0.5 ha in 99003 (B) built before and renaturated after.
    before = layer([box(2500, 0, 2600, 50)])
    after = layer([box(0, 0, 100, 100)])
    change = artificialisation_change(before, after, territories)
    report = led.import_artificialisation(change, year=2034, vintage="OCS GE 2031-2034")
    assert report.years == (2034,) and report.new_entries == 2
    e = led.entries(kind="consumption").set_index("account")["amount_ha"]
    assert e.to_dict() == {"A": 1.0, "B": -0.5}
    assert "Artificialisation nette 2034 (OCS GE 2031-2034)" in set(led.entries()["label"])
    # The same measure again changes nothing; one measured per EPCI is refused.
    assert led.import_artificialisation(change, year=2034).already_imported
    by_epci = artificialisation_change(before, after, territories, level="epci")
    with pytest.raises(DataError, match="measured at level 'epci'.*level='commune'"):
        led.import_artificialisation(by_epci, year=2035)
    # Maps and balances of the period.
    gdf = led.map_frame(period=LATER)
    assert gdf.loc[["A", "B"], "remaining_ha"].tolist() == [29.0, 20.5]
    assert led.verify().ok
