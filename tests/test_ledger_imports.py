"""Cerema vintages: idempotent import, revisions as adjustments, nothing counted twice."""

from __future__ import annotations

import pandas as pd
import pytest
from test_ledger_common import (  # noqa: F401 (fixtures)
    FLOWS_V1,
    count_entries,
    ledger_fixture,
    make_ledger,
    vintage1_fixture,
    vintage2_fixture,
    write_cerema,
)

import zan
from zan.errors import DataError, LedgerError
from zan.ledger import Ledger


def test_first_import_records_each_account_year(ledger: Ledger, vintage1) -> None:
    report = ledger.import_consumption(vintage1, author="service foncier")
    assert report.years == (2021, 2022, 2023)
    assert report.ignored_years == (2019, 2020)  # before the period: not debits
    assert report.new_entries == 6 and len(report.revisions) == 0 and not report.unchanged
    e = ledger.entries(kind="consumption")
    got = e.set_index(["account", "year"])["amount_ha"].sort_index()
    assert got.to_dict() == {
        ("A", 2021): 4.0,
        ("A", 2022): 6.0,
        ("A", 2023): 6.0,
        ("B", 2021): 10.0,
        ("B", 2022): 12.0,
        ("B", 2023): 11.0,
    }
    assert (e["effective_date"] == e["year"].astype(str) + "-12-31").all()
    assert set(e["source_file"]) == {"conso_v1.csv"} and e["source_sha256"].str.len().eq(64).all()
    assert set(e["author"]) == {"service foncier"}


def test_reimporting_the_same_file_changes_nothing(ledger: Ledger, vintage1) -> None:
    ledger.import_consumption(vintage1)
    n = count_entries(ledger.path)
    size = ledger.path.stat().st_size
    again = ledger.import_consumption(vintage1)
    assert again.already_imported and again.unchanged
    assert count_entries(ledger.path) == n
    assert len(ledger.imports()) == 1
    assert ledger.path.stat().st_size == size


def test_a_copy_of_the_same_figures_changes_nothing(ledger: Ledger, vintage1, tmp_path) -> None:
    ledger.import_consumption(vintage1)
    n = count_entries(ledger.path)
    # Same figures, another file (other name, other bytes): every delta is zero.
    copy = tmp_path / "copie.csv"
    copy.write_text(
        vintage1.read_text(encoding="utf-8").replace("Commune", "Cne"), encoding="utf-8"
    )
    report = ledger.import_consumption(copy)
    assert report.unchanged and not report.already_imported
    assert count_entries(ledger.path) == n
    assert len(ledger.imports()) == 1


def test_newer_vintage_records_revisions_as_adjustments(ledger: Ledger, vintage1, vintage2) -> None:
    ledger.import_consumption(vintage1)
    report = ledger.import_consumption(vintage2)
    assert report.years == (2021, 2022, 2023, 2024)
    assert report.new_entries == 2  # 2024 for A and B
    rev = report.revisions.set_index(["account", "year"])
    assert rev.loc[("B", 2022)].tolist() == pytest.approx([12.0, 12.5, 0.5])
    assert rev.loc[("A", 2023)].tolist() == pytest.approx([6.0, 5.8, -0.2])
    assert len(rev) == 2
    assert "revision B 2022: 12.0000 → 12.5000 ha (+0.5000)" in str(report)
    e = ledger.entries(kind="consumption")
    revisions = e[e["action"] == "revision"]
    assert sorted(revisions["amount_ha"].tolist()) == pytest.approx([-0.2, 0.5])
    # Never double-counted: per account-year, the ledger holds the newest figures.
    per = e.groupby(["account", "year"])["amount_m2"].sum()
    assert per[("B", 2022)] == 125_000 and per[("A", 2023)] == 58_000
    assert per[("A", 2024)] == 10_000 and per[("B", 2024)] == 50_000
    b = ledger.balance()
    assert b.loc["B", "consumed_ha"] == pytest.approx(10 + 12.5 + 11 + 5)
    assert b.loc["A", "consumed_ha"] == pytest.approx(4 + 6 + 5.8 + 1)
    # The first vintage again: already imported, it does not undo the revisions.
    assert ledger.import_consumption(vintage1).already_imported
    assert ledger.balance().loc["B", "consumed_ha"] == pytest.approx(38.5)


def test_an_older_vintage_is_refused_unless_asked(ledger: Ledger, vintage2, tmp_path) -> None:
    ledger.import_consumption(vintage2)
    older = write_cerema(
        tmp_path / "ancien.csv",
        {c: {y: v for y, v in f.items() if y < 2023} for c, f in FLOWS_V1.items()},
    )
    n = count_entries(ledger.path)
    with pytest.raises(LedgerError, match="ends in 2022, before a vintage already imported"):
        ledger.import_consumption(older)
    assert count_entries(ledger.path) == n
    report = ledger.import_consumption(older, allow_older=True)
    assert report.revisions.set_index(["account", "year"]).loc[("B", 2022), "delta_ha"] == -0.5


def test_a_year_without_consumption_is_recorded(ledger: Ledger, tmp_path) -> None:
    flows = {c: {**f, 2024: 0} for c, f in FLOWS_V1.items()}
    report = ledger.import_consumption(write_cerema(tmp_path / "zero.csv", flows))
    assert report.new_entries == 8  # 2021-2024 for A and B, 2024 at zero
    b = ledger.balance()
    # The pace counts the fourth year: A consumed 16 ha in 4 years.
    assert b.attrs["last_year"] == 2024
    assert b.loc["A", "annual_rate_ha"] == pytest.approx(4.0)


def test_unknown_figures_are_left_out_and_reported(ledger: Ledger, tmp_path) -> None:
    flows = {c: dict(f) for c, f in FLOWS_V1.items()}
    flows["99002"][2023] = None  # an empty cell: unknown, not zero
    report = ledger.import_consumption(write_cerema(tmp_path / "trou.csv", flows))
    assert report.skipped[["account", "year", "unknown_communes"]].values.tolist() == [
        ["A", 2023, 1]
    ]
    e = ledger.entries(kind="consumption")
    assert ("A", 2023) not in set(zip(e["account"], e["year"], strict=True))
    assert report.new_entries == 5
    assert "left out" in str(report)


def test_file_missing_ledger_communes_is_refused(ledger: Ledger, tmp_path) -> None:
    flows = {c: f for c, f in FLOWS_V1.items() if c != "99003"}
    path = write_cerema(tmp_path / "partiel.csv", flows)
    with pytest.raises(
        DataError, match=r"1 commune\(s\) of the ledger are not in the file \(99003\).*passage"
    ):
        ledger.import_consumption(path)
    assert count_entries(ledger.path) == 5  # the allocation credits only: A, B, reserve x2, PENE
    assert len(ledger.imports()) == 0


def test_communes_outside_the_ledger_are_left_out(ledger: Ledger, tmp_path) -> None:
    flows = {**FLOWS_V1, "59350": {2021: 1_000_000, 2022: 1_000_000}}
    report = ledger.import_consumption(write_cerema(tmp_path / "national.csv", flows))
    assert report.outside_communes == 1
    assert ledger.balance().loc["region", "consumed_ha"] == pytest.approx(16 + 33)


def test_bad_files_write_nothing(ledger: Ledger, tmp_path) -> None:
    n = count_entries(ledger.path)
    with pytest.raises(DataError, match="no such file"):
        ledger.import_consumption(tmp_path / "absent.csv")
    bad = tmp_path / "bad.csv"
    bad.write_text("idcom,naf21art22\n99001,-5\n99002,abc\n99003,1\n", encoding="utf-8")
    with pytest.raises(DataError):
        ledger.import_consumption(bad)
    assert count_entries(ledger.path) == n


def test_demo_vintage_on_another_cog_with_passage(tmp_path) -> None:
    t = zan.Territories.demo()

    class Alloc:
        level = "epci"
        table = pd.DataFrame({"nom": t.names("epci"), "envelope_ha": 100.0})
        totals = {"envelope_ha": 2500.0}

    led = Ledger.create(tmp_path / "demo.gpkg", Alloc(), territories=t)
    conso = zan.get_path("conso_enaf_2009_2023.csv")
    with pytest.raises(DataError, match="another COG"):
        led.import_consumption(conso)
    passage = zan.get_path("passage_cog2023_cog2024.csv")
    report = led.import_consumption(conso, passage=passage)
    assert report.years == (2021, 2022) and report.new_entries == 2 * len(t.codes("epci"))
    # Totals are conserved through the alignment: the README's 495 ha for 2021-2022.
    raw = zan.read_consumption(conso).period_total(2021, 2022).sum() / 1e4
    assert led.balance().loc["region", "consumed_ha"] == pytest.approx(raw, abs=1e-3)
    assert led.import_consumption(conso, passage=passage).already_imported
