"""The rapport local drawn from the compte foncier: items 1° and 4° from the ledger.

The ledger of the demo cascade (scenario 05: one account per commune), with the Cerema
file 2009-2023 imported (2021-2022 recorded), a project committed and a PENE recorded
(docs/LEDGER.md §9). Item 1° must be the sum of the ledger's consumption entries of the
report's years, and ``zan.consumption`` on the same file; item 4° the ledger's balance
(``zan ledger balance`` per commune, :func:`zan.ledger.group_balances` per EPCI).
"""

from __future__ import annotations

import hashlib
import html
import json
import re

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from shapely.geometry import box

import zan
from zan.cli import main
from zan.datasets import get_path, scenario_path
from zan.errors import DataError, LedgerError, PeriodError
from zan.formatting import fr_text
from zan.ledger import Ledger, example_ledger, group_balances, init_ledger
from zan.reports.local import ITEMS, local_report, local_report_data
from zan.reports.local_ledger import ledger_report_data
from zan.scenario import prepare_scenario

SCENARIO = scenario_path("05_cascade_reserve_pene_garantie")
CONSO = get_path("conso_enaf_2009_2023.csv")
PASSAGE = get_path("passage_cog2023_cog2024.csv")
MEMBERSHIP = get_path("communes.csv")
OCSGE = (get_path("ocsge_demo_2018.gpkg"), get_path("ocsge_demo_2021.gpkg"))
PENE_HA = 1.5


def plain(page: str) -> str:
    page = re.sub(r"<style>.*?</style>", " ", page, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


def fr(value: float) -> str:
    return fr_text(value).replace("\u202f", " ").replace("\xa0", " ")


@pytest.fixture(scope="module")
def prepared():
    return prepare_scenario(SCENARIO)


@pytest.fixture(scope="module")
def ledger_path(tmp_path_factory, prepared):
    """Cascade ledger per commune: 2021-2022 imported, one project, one PENE."""
    path = tmp_path_factory.mktemp("compte") / "compte.gpkg"
    ledger = init_ledger(path, SCENARIO, author="région")
    ledger.import_consumption(CONSO, passage=PASSAGE, author="région")
    communes = prepared.territories.communes
    commune = str(communes.index[0])
    point = communes.loc[commune].geometry.representative_point()
    ledger.add_project(
        commune,
        label="Lotissement des Essais",
        geometry=box(point.x - 50, point.y - 50, point.x + 50, point.y + 50),
        enaf_ha=0.6,
        justification="délibération test",
        date="2022-06-30",
    )
    ledger.add_project(  # after the report's years: not in its balance at 2022-12-31
        commune,
        label="Zone d'activités future",
        geometry=box(point.x + 60, point.y - 50, point.x + 160, point.y + 50),
        enaf_ha=0.4,
        justification="délibération test",
        date="2024-03-01",
    )
    busy = ledger.balance()["consumed_ha"].drop(["region", "pene", "reserve"]).idxmax()
    ledger.record_pene(
        PENE_HA, label="Ligne nouvelle", territory=busy, year=2022, date="2022-12-31"
    )
    ledger.close()
    return path


def _ledger_sums(path, years, groups=None) -> pd.Series:
    """The ledger's consumption entries of ``years``, summed per account (or group)."""
    with Ledger(path, readonly=True) as ledger:
        e = ledger.entries(kind="consumption")
    e = e[e["year"].isin(list(years))]
    key = e["account"].astype(str)
    if groups is not None:
        key = key.map(groups)
    return e["amount_ha"].groupby(key.to_numpy()).sum()


@pytest.mark.parametrize("level", ["commune", "epci"])
def test_item1_is_the_ledgers_entries_and_zan_consumption(ledger_path, prepared, level):
    zones = prepared.territories
    rows, run = ledger_report_data(ledger_path, scenario=SCENARIO, level=level)
    assert run["period"] == "2021-2022" and run["ledger"]["recorded_years"] == [2021, 2022]
    assign = None if level == "commune" else zones.assignment("epci").astype(str)
    sums = _ledger_sums(ledger_path, (2021, 2022), assign)
    expected = zan.consumption(prepared.consumption, zones, level=level, period="2021-2022")
    expected.index = expected.index.astype(str)
    # the ledger keeps whole m² per account and year (a commune split by the table de
    # passage has fractions of m²): zan.consumption per commune and year, rounded the same way
    rounded = sum(
        np.rint(
            zan.consumption(prepared.consumption, zones, level="commune", period=y)["total_ha"]
            * 1e4
        )
        / 1e4
        for y in ("2021", "2022")
    )
    rounded.index = rounded.index.astype(str)
    if assign is not None:
        rounded = rounded.groupby(assign.reindex(rounded.index).to_numpy()).sum()
    n_accounts = assign.value_counts() if assign is not None else pd.Series(1, index=rounded.index)
    assert len(rows) == (445 if level == "commune" else 20)
    assert {r["code"] for r in rows} == set(expected.index)
    for row in rows:
        item1, code = row["items"][0], row["code"]
        assert item1["available"] and not item1["partial"]
        assert item1["total_ha"] == pytest.approx(sums[code], abs=1e-6)
        assert item1["total_ha"] == pytest.approx(rounded[code], abs=1e-6)
        rounding = n_accounts[code] * 2 * 0.5e-4  # ≤ ½ m² per account and year
        assert abs(item1["total_ha"] - expected.at[code, "total_ha"]) <= rounding + 1e-9
        assert item1["area_ha"] == pytest.approx(
            zones.communes["area_ha"].groupby(assign).sum()[row["code"]]
            if assign is not None
            else zones.communes.at[row["code"], "area_ha"]
        )
        assert [i["title"] for i in row["items"]] == list(ITEMS)
        assert not row["items"][1]["available"] and "OCS GE" in row["items"][1]["reason"]


def test_a_shorter_period_sums_only_its_years(ledger_path):
    rows, run = ledger_report_data(ledger_path, period="2022", level="commune")
    sums = _ledger_sums(ledger_path, (2022,))
    assert (run["start"], run["end"]) == (2022, 2022)
    assert {r["code"]: r["items"][0]["total_ha"] for r in rows} == pytest.approx(
        sums.to_dict(), abs=1e-6
    )


def test_item4_is_the_ledgers_balance_per_commune(ledger_path):
    rows, _ = ledger_report_data(ledger_path, level="commune")
    with Ledger(ledger_path, readonly=True) as ledger:
        bal = ledger.balance(at="2022-12-31")  # the end of the report's years
        now = ledger.balance()
    bal = bal[bal["account_type"] == "territoire"]
    assert len(rows) == len(bal) == 445
    now = now[now["account_type"] == "territoire"]
    assert now["committed_ha"].sum() == pytest.approx(bal["committed_ha"].sum() + 0.4)
    for row in rows:
        item4, b = row["items"][3], bal.loc[row["code"]]
        assert item4["available"]
        assert item4["objective_ha"] == b["envelope_ha"]
        assert item4["consumed_ha"] == b["consumed_ha"]
        assert item4["committed_ha"] == b["committed_ha"]
        assert item4["remaining_ha"] == b["remaining_ha"]
        assert item4["status"] == b["status"]
        assert item4["runs_out_year"] == (
            None if pd.isna(b["runs_out_year"]) else b["runs_out_year"]
        )
    committed = [r for r in rows if r["items"][3]["committed_ha"] > 0]
    assert len(committed) == 1 and committed[0]["items"][3]["committed_ha"] == pytest.approx(0.6)
    # the PENE leaves 1° (the Cerema consumption) and is deducted in 4°
    (pene,) = [r for r in rows if r["items"][0]["total_ha"] - r["items"][3]["consumed_ha"] > 1e-6]
    gap = pene["items"][0]["total_ha"] - pene["items"][3]["consumed_ha"]
    assert gap == pytest.approx(PENE_HA)


def test_item4_is_the_group_balance_per_epci(ledger_path, prepared, tmp_path):
    zones = prepared.territories
    res = local_report(
        tmp_path, ledger=ledger_path, membership=MEMBERSHIP, level="epci", formats="html"
    )
    rows, _ = ledger_report_data(ledger_path, membership=MEMBERSHIP, level="epci")
    with Ledger(ledger_path, readonly=True) as ledger:
        bal = group_balances(
            ledger, zones.assignment("epci"), "2022-12-31", names=zones.names("epci")
        )
    bal = bal[bal["account_type"] == "territoire"]
    assert len(rows) == len(bal) == len(res.reports) == 20
    for row in rows:
        item4, b = row["items"][3], bal.loc[row["code"]]
        assert row["nom"] == b["nom"]
        assert item4["objective_ha"] == pytest.approx(b["envelope_ha"], abs=1e-9)
        assert item4["remaining_ha"] == pytest.approx(b["remaining_ha"], abs=1e-9)
        assert item4["committed_ha"] == pytest.approx(b["committed_ha"], abs=1e-9)
        assert item4["status"] == b["status"]
        assert f"somme des {int(b['n_accounts'])} comptes" in item4["note"]
        (rep,) = [r for r in res.reports if r["code"] == row["code"]]
        text = plain(rep["files"][0].read_text(encoding="utf-8"))
        assert (
            f"Reste à consommer jusqu'en 2030 {fr(b['remaining_ha'])}".replace(
                "2030 ", "2030 +" if b["remaining_ha"] > 0 else "2030 "
            )
            in text
        )
        assert f"{fr(row['items'][0]['total_ha'])} ha ENAF consommés 2021-2022" in text
    # the envelopes are the scenario's allocation, summed per EPCI
    assert bal["envelope_ha"].sum() == pytest.approx(
        zan.run_scenario(SCENARIO).table["envelope_ha"].sum(), abs=1e-3
    )


def test_the_source_line_names_the_ledger_its_head_and_vintages(ledger_path):
    rows, run = ledger_report_data(ledger_path, level="commune")
    with Ledger(ledger_path, readonly=True) as ledger:
        head = ledger.meta("head")
        imports = ledger.imports()
    number, _, digest = head.partition(":")
    item1 = rows[0]["items"][0]
    assert "compte.gpkg" in item1["source"] and digest in item1["source"]
    assert f"n° {number}" in item1["source"]
    assert imports["vintage"].iloc[0] in item1["vintage"]
    assert "conso_enaf_2009_2023.csv" in item1["vintage"]
    assert run["ledger"]["head"] == digest and run["ledger"]["entries"] == int(number)


def test_cli_ledger_writes_the_reports_and_sources(ledger_path, tmp_path):
    out = tmp_path / "rapports"
    args = ["local-report", "--ledger", str(ledger_path), "--membership", str(MEMBERSHIP)]
    args += ["--level", "epci", "--format", "html,docx", "--out", str(out)]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert "20 reports written" in result.output
    manifest = json.loads((out / "sources.json").read_text(encoding="utf-8"))
    sha = hashlib.sha256(ledger_path.read_bytes()).hexdigest()
    assert manifest["inputs"]["ledger"]["sha256"] == sha
    folders = sorted(p for p in out.iterdir() if p.is_dir())
    assert len(folders) == 20
    assert all((f / "rapport_local.docx").is_file() for f in folders)
    import docx

    text = "\n".join(p.text for p in docx.Document(folders[0] / "rapport_local.docx").paragraphs)
    assert "compte foncier compte.gpkg" in text and "Situation au regard de l'enveloppe" in text


def test_errors_are_named(ledger_path, tmp_path):
    with pytest.raises(PeriodError, match=r"does not record .*2019-2020; it records 2021-2022"):
        ledger_report_data(ledger_path, level="commune", period="2019-2022")
    with pytest.raises(PeriodError, match=r"of 2023; it records 2021-2022"):
        ledger_report_data(ledger_path, level="commune", period="2021-2023")
    with pytest.raises(LedgerError, match=r"no account per epci .*--membership"):
        ledger_report_data(ledger_path, level="epci")
    with pytest.raises(DataError, match="objectives or a ledger"):
        local_report(tmp_path, ledger=ledger_path, objectives=MEMBERSHIP)
    by_departement = example_ledger()  # accounts per département
    by_departement.import_consumption(CONSO, passage=PASSAGE)
    with pytest.raises(LedgerError, match=r"kept per departement; a report per commune"):
        ledger_report_data(by_departement, level="commune")
    with pytest.raises(LedgerError, match=r"kept per departement; a report per epci"):
        ledger_report_data(by_departement, level="epci", membership=MEMBERSHIP)
    empty = init_ledger(tmp_path / "vide.gpkg", SCENARIO)
    with pytest.raises(PeriodError, match="records no ENAF consumption yet; import"):
        ledger_report_data(empty, level="commune")
    args = ["local-report", "--ledger", str(ledger_path), "--period", "2019-2022"]
    result = CliRunner().invoke(main, [*args, "--out", str(tmp_path / "x")])
    assert result.exit_code == 2 and "it records 2021-2022" in result.output
    assert not (tmp_path / "x").exists()


def test_same_ledger_same_bytes(ledger_path, tmp_path):
    kwargs = dict(ledger=ledger_path, scenario=SCENARIO, level="epci", formats="html,docx")
    a = local_report(tmp_path / "a", **kwargs)
    b = local_report(tmp_path / "b", **kwargs)
    files = sorted(p.relative_to(a.out) for p in a.out.rglob("*") if p.is_file())
    assert len(files) == 20 * 2 + 2
    assert files == sorted(p.relative_to(b.out) for p in b.out.rglob("*") if p.is_file())
    for f in files:
        assert (a.out / f).read_bytes() == (b.out / f).read_bytes(), f


def test_ocsge_items_with_a_ledger_are_those_of_the_scenarios_report(ledger_path, tmp_path):
    ocsge = dict(ocsge=OCSGE[0], ocsge_later=OCSGE[1])
    res = zan.local_report(tmp_path, ledger=ledger_path, scenario=SCENARIO, level="epci", **ocsge)
    rows, run = ledger_report_data(
        ledger_path, scenario=SCENARIO, level="epci", base=local_report_data, **ocsge
    )
    plain_rows, _ = local_report_data(scenario=SCENARIO, level="epci", period="2021-2022", **ocsge)
    expected = {r["code"]: r["items"] for r in plain_rows}
    assert sum(r["items"][1]["available"] for r in rows) > 0
    for row in rows:
        assert row["items"][1:3] == expected[row["code"]][1:3]
    assert {"ocsge", "ocsge_later", "ledger"} <= set(run["files"])
    manifest = json.loads(res.manifest.read_text(encoding="utf-8"))
    assert {"ocsge", "ocsge_later", "ledger"} <= set(manifest["inputs"])
    with pytest.raises(DataError, match="base="):
        ledger_report_data(ledger_path, scenario=SCENARIO, level="epci", **ocsge)


def test_charts_and_renaturation_from_the_ledger(ledger_path, tmp_path):
    """1°'s chart: the ledger's entries per year; 4°'s: consumption counted at each year's end."""
    rows, _ = ledger_report_data(ledger_path, level="commune")
    with Ledger(ledger_path, readonly=True) as ledger:
        cons = ledger.entries(kind="consumption")
        counted = {y: ledger.balance(at=f"{y}-12-31")["consumed_ha"] for y in (2021, 2022)}
    cons = cons[cons["year"].between(2021, 2022)]
    per_year = cons.groupby([cons["account"].astype(str), "year"])["amount_ha"].sum()
    busy = max(rows, key=lambda r: r["items"][0]["total_ha"] or 0.0)
    annual = {e["year"]: e["total_ha"] for e in busy["items"][0]["annual"]}
    for year in (2021, 2022):
        assert annual[year] == pytest.approx(per_year[(busy["code"], year)], abs=1e-9)
    cumul = {e["year"]: e["cumul_ha"] for e in busy["items"][3]["cumulative"]}
    assert cumul == {y: pytest.approx(counted[y][busy["code"]]) for y in (2021, 2022)}
    table = pd.DataFrame(
        {"code": [busy["code"]] * 2, "year": [2021, 2023], "renaturated_m2": [2500, 900]}
    )
    rows, run = ledger_report_data(ledger_path, level="commune", renaturation=table)
    got = next(r for r in rows if r["code"] == busy["code"])["items"][0]
    assert got["renaturation_ha"] == pytest.approx(0.25)  # 2023 is outside the report's years
    res = local_report(tmp_path, ledger=ledger_path, level="commune", formats="html")
    page = next(tmp_path.glob(f"{busy['code']}_*")) / "rapport_local.html"
    assert page.read_text(encoding="utf-8").count("<svg") >= 2
    assert len(res.reports) == 445
