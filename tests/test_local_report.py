"""The rapport local de suivi de l'artificialisation (art. R. 2231-1 CGCT), per commune and EPCI."""

from __future__ import annotations

import html
import re
import time

import pandas as pd
import pytest

import zan
from zan.datasets import get_path, scenario_path
from zan.errors import DataError
from zan.formatting import fr_text
from zan.io.ocsge import read_ocsge
from zan.measure.artificialisation import artificialisation_change, artificialisation_stock
from zan.reports import fr_number
from zan.reports.local import ITEMS, local_report, local_report_data, sraddet_rates

SCENARIO = scenario_path("01_reduction_uniforme")
OCSGE = (get_path("ocsge_demo_2018.gpkg"), get_path("ocsge_demo_2021.gpkg"))
PERIOD = "2021-2022"


def plain(page: str) -> str:
    page = re.sub(r"<style>.*?</style>", " ", page, flags=re.S)
    text = html.unescape(re.sub(r"<[^>]+>", " ", page))
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


def fr(value: float) -> str:
    return fr_text(value).replace("\u202f", " ").replace("\xa0", " ")


@pytest.fixture(scope="module")
def epci(tmp_path_factory):
    out = tmp_path_factory.mktemp("local_epci")
    res = local_report(
        out, scenario=SCENARIO, level="epci", period=PERIOD, ocsge=OCSGE[0], ocsge_later=OCSGE[1]
    )
    return res


def _report_text(res, code: str) -> str:
    (r,) = [r for r in res.reports if r["code"] == code]
    return plain(r["files"][0].read_text(encoding="utf-8"))


def test_four_items_in_the_decree_order_in_every_report(epci):
    assert len(epci.reports) == 20
    for r in epci.reports:
        text = _report_text(epci, r["code"])
        positions = [text.find(title) for title in ITEMS]
        assert all(p >= 0 for p in positions), r["code"]
        assert positions == sorted(positions)
        assert text.find("Commentaire : raisons des évolutions observées") > positions[-1]


def test_consumption_equals_zan_consumption_for_the_same_period(epci):
    conso = zan.scenario.load_consumption(SCENARIO)
    alloc = zan.run_scenario(SCENARIO)
    expected = zan.consumption(conso, alloc.territories, level="epci", period=PERIOD)
    rows, _ = local_report_data(scenario=SCENARIO, level="epci", period=PERIOD)
    assert {r["code"] for r in rows} == set(expected.index.astype(str))
    for row in rows:
        item1 = row["items"][0]
        assert item1["total_ha"] == pytest.approx(expected.at[row["code"], "total_ha"], abs=1e-9)
        assert sum(d["ha"] for d in item1["destinations"]) == pytest.approx(item1["total_ha"])
        text = _report_text(epci, row["code"])
        assert f"{fr(item1['total_ha'])} ha ENAF consommés 2021-2022" in text
    envelope = alloc.table.set_index(alloc.table.index.astype(str))["envelope_ha"]
    for row in rows:  # 4°: the scenario's envelope, consumed since 2021 against it
        item4 = row["items"][3]
        assert item4["available"] and item4["objective_ha"] == envelope[row["code"]]
        assert item4["remaining_ha"] == pytest.approx(item4["objective_ha"] - item4["consumed_ha"])


def test_ocsge_balance_and_impervious_or_the_reason_they_are_absent(epci):
    alloc = zan.run_scenario(SCENARIO)
    a, b = (read_ocsge(p) for p in OCSGE)
    change = artificialisation_change(a, b, alloc.territories, level="epci").table
    change.index = change.index.astype(str)
    rows, _ = local_report_data(
        scenario=SCENARIO, level="epci", period=PERIOD, ocsge=OCSGE[0], ocsge_later=OCSGE[1]
    )
    covered = [r for r in rows if r["items"][1]["available"]]
    absent = [r for r in rows if not r["items"][1]["available"]]
    assert covered and absent
    for row in covered:
        item2, item3 = row["items"][1], row["items"][2]
        assert item2["balance_ha"] == pytest.approx(change.at[row["code"], "net_ha"])
        assert item2["balance_ha"] == pytest.approx(
            item2["artificialised_ha"] - item2["desartificialised_ha"]
        )
        assert item3["available"] and item3["change_ha"] == pytest.approx(
            item3["after_ha"] - item3["before_ha"]
        )
        text = _report_text(epci, row["code"])
        signed = plain(fr_number(item2["balance_ha"], 2, signed=True))
        assert f"Solde (artificialisation nette) {signed}" in text
        assert "millésimes 2018 et 2021" in text and "CS1.1.1.1" in text
    for row in absent:
        text = _report_text(epci, row["code"])
        assert "ne couvre pas ce territoire" in text
        assert not row["items"][2]["available"]


def test_impervious_equals_the_couverture_categories_1_and_2():
    alloc = zan.run_scenario(SCENARIO)
    stock = artificialisation_stock(read_ocsge(OCSGE[0]), alloc.territories, level="epci")
    by_cs = stock.by_couverture()
    by_cs.index = by_cs.index.astype(str)
    rows, _ = local_report_data(scenario=SCENARIO, level="epci", period=PERIOD, ocsge=OCSGE[0])
    seen = 0
    for row in rows:
        item2, item3 = row["items"][1], row["items"][2]
        if item3["available"]:
            seen += 1
            expected = by_cs.loc[row["code"], ["CS1.1.1.1", "CS1.1.1.2"]].sum()
            assert item3["after_ha"] == pytest.approx(expected)
            assert not item2["available"] and "Un seul millésime" in item2["reason"]
    assert seen


def test_without_ocsge_the_reason_is_written():
    rows, run = local_report_data(scenario=SCENARIO, level="epci", period=PERIOD)
    assert run["period"] == PERIOD
    for row in rows:
        assert [i["number"] for i in row["items"]] == [1, 2, 3, 4]
        for item in row["items"][1:3]:
            assert not item["available"] and "OCS GE" in item["reason"]


def test_objectives_table_wins_and_communes_show_their_epci_objective(tmp_path):
    conso = zan.scenario.load_consumption(SCENARIO)
    some = sorted(map(str, conso.communes.index))[:2]
    table = tmp_path / "objectifs.csv"
    table.write_text(
        f"code;objective_ha;document\n{some[0]};3,5;PLU\n{some[1]};;\n", encoding="utf-8"
    )
    rows, _ = local_report_data(scenario=SCENARIO, level="commune", period=PERIOD, objectives=table)
    by_code = {r["code"]: r for r in rows}
    first = by_code[some[0]]["items"][3]
    assert first["available"] and first["objective_ha"] == 3.5 and first["document"] == "PLU"
    other = by_code[some[1]]["items"][3]  # scenario allocated per EPCI: the commune's EPCI named
    assert not other["available"] and "échelle de l'EPCI" in other["reason"]
    bad = tmp_path / "bad.csv"
    bad.write_text("code;objective_ha\n99001;beaucoup\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"bad.csv: column 'objective_ha', row 2"):
        local_report_data(scenario=SCENARIO, level="commune", period=PERIOD, objectives=bad)


def test_sraddet_rate_of_the_receiving_territory(tmp_path):
    """Real HdF codes: the adopted SRADDET's rate applies to the territory's reference."""
    import pandas as pd

    rates = sraddet_rates(pd.Index(["02001", "99999"]), "commune", None)
    assert rates.at["02001", "reduction_pct"] > 0
    assert pd.isna(rates.at["99999", "reduction_pct"])


def test_bad_inputs_are_named():
    with pytest.raises(DataError, match="needs a scenario, or a consumption file"):
        local_report_data(level="epci")
    with pytest.raises(DataError, match="'commune' or 'epci'"):
        local_report_data(scenario=SCENARIO, level="scot")
    with pytest.raises(DataError, match="choose among html, pdf, docx"):
        local_report("unused", scenario=SCENARIO, formats="odt")


def test_same_inputs_same_bytes(tmp_path, epci):
    again = local_report(
        tmp_path,
        scenario=SCENARIO,
        level="epci",
        period=PERIOD,
        ocsge=OCSGE[0],
        ocsge_later=OCSGE[1],
    )
    for r1, r2 in zip(epci.reports, again.reports, strict=True):
        assert r1["files"][0].read_bytes() == r2["files"][0].read_bytes()
    assert (epci.out / "index.html").read_bytes() == again.index.read_bytes()
    import json

    m1 = json.loads(epci.manifest.read_text(encoding="utf-8"))
    m2 = json.loads(again.manifest.read_text(encoding="utf-8"))
    assert m1 == m2 and "data.consumption" in m1["inputs"] and len(m1["outputs"]) == 21


@pytest.mark.slow
def test_all_445_communes_and_20_epci_in_one_run(tmp_path):
    start = time.perf_counter()
    communes = local_report(
        tmp_path / "communes",
        scenario=SCENARIO,
        level="commune",
        period=PERIOD,
        ocsge=OCSGE[0],
        ocsge_later=OCSGE[1],
    )
    epcis = local_report(tmp_path / "epci", scenario=SCENARIO, level="epci", period=PERIOD)
    seconds = time.perf_counter() - start
    assert len(communes.reports) == 445 and len(epcis.reports) == 20
    index = plain(communes.index.read_text(encoding="utf-8"))
    assert "445 rapports" in index
    assert seconds < 120, f"{seconds:.1f} s"
    print(f"445 communes + 20 EPCI (HTML): {seconds:.1f} s")


def test_cli_from_the_consumption_file_alone(tmp_path):
    """``zan local-report --consumption F --level epci``: the file's own EPCI and areas."""
    from click.testing import CliRunner

    from zan.cli import main

    conso_file = get_path("conso_enaf_2009_2023.csv")
    res = CliRunner().invoke(
        main,
        ["local-report", "--consumption", str(conso_file), "--level", "epci"]
        + ["--period", PERIOD, "--out", str(tmp_path)],
    )
    assert res.exit_code == 0, res.output
    assert "20 reports written" in res.output
    conso = zan.read_consumption(conso_file)
    expected = zan.consumption(conso, level="epci", period=PERIOD)
    area = conso.communes["surfcom2023"].groupby(conso.communes["epci23"]).sum() / 1e4
    code = str(expected.index[0])
    (folder,) = tmp_path.glob(f"{code}_*")
    text = plain((folder / "rapport_local.html").read_text(encoding="utf-8"))
    share = 100 * expected.at[code, "total_ha"] / area[code]
    assert f"{fr(expected.at[code, 'total_ha'])} ha ENAF consommés" in text
    assert f"{fr_text(share, 3)} % de la superficie" in text
    bad = CliRunner().invoke(main, ["local-report", "--out", str(tmp_path / "x")])
    assert bad.exit_code == 2 and "needs a scenario, or a consumption file" in bad.output


def test_docx_has_the_items_tables_and_empty_commentary_and_same_bytes(tmp_path):
    docx = pytest.importorskip("docx")
    from zan.reports.local_docx import COMMENTARY_TITLE

    kwargs = dict(scenario=SCENARIO, level="epci", period=PERIOD, ocsge=OCSGE[0])
    kwargs.update(ocsge_later=OCSGE[1], formats="docx")
    first = local_report(tmp_path / "a", **kwargs)
    again = local_report(tmp_path / "b", **kwargs)
    rows, _ = local_report_data(
        scenario=SCENARIO, level="epci", period=PERIOD, ocsge=OCSGE[0], ocsge_later=OCSGE[1]
    )
    by_code = {r["code"]: r for r in rows}
    covered = 0
    for r1, r2 in zip(first.reports, again.reports, strict=True):
        (path,) = r1["files"]
        assert path.suffix == ".docx" and path.read_bytes() == r2["files"][0].read_bytes()
        doc = docx.Document(path)
        assert doc.core_properties.created.year == 2000
        heads = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
        assert heads == [*ITEMS, COMMENTARY_TITLE]
        texts = [p.text for p in doc.paragraphs]
        after = texts[texts.index(COMMENTARY_TITLE) + 1 :]
        assert after and all(t == "" for t in after)  # left for the council
        cells = [[c.text for c in row.cells] for t in doc.tables for row in t.rows]
        item1 = by_code[r1["code"]]["items"][0]
        assert ["Total", fr_text(item1["total_ha"])] in cells
        item2 = by_code[r1["code"]]["items"][1]
        if item2["available"]:
            covered += 1
            assert [
                "Solde (artificialisation nette)",
                plain(fr_number(item2["balance_ha"], 2, signed=True)).removesuffix(" ha"),
            ] in [[c.replace("\u202f", " ").replace("\xa0", " ") for c in row] for row in cells]
        else:
            assert any("ne couvre pas ce territoire" in t for t in texts)
    assert covered


def test_pdf_has_the_four_headings(tmp_path):
    import shutil
    import subprocess

    from helpers import chromium_path

    chromium_path()
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.skip("pdftotext not installed (apt-get install poppler-utils)")
    res = local_report(tmp_path, scenario=SCENARIO, level="epci", period=PERIOD, formats="pdf")
    assert len(res.reports) == 20
    for r in res.reports[:3]:
        (pdf,) = r["files"]
        assert pdf.suffix == ".pdf" and not (pdf.parent / "rapport_local.html").exists()
        text = plain(
            subprocess.run([tool, str(pdf), "-"], capture_output=True, text=True, check=True).stdout
        )
        positions = [text.find(title) for title in ITEMS]
        assert all(p >= 0 for p in positions) and positions == sorted(positions), text[:300]
        assert f"{fr(rows_total(r['code']))} ha" in text


def rows_total(code: str) -> float:
    rows, _ = local_report_data(scenario=SCENARIO, level="epci", period=PERIOD)
    return next(r["items"][0]["total_ha"] for r in rows if r["code"] == code)


def test_real_hdf_92_epci_with_the_real_rows_where_they_exist(tmp_path):
    """Real HdF: 92 EPCI, two communes of real Cerema rows, the adopted SRADDET's rates."""
    from helpers import shared_path

    conso_file = shared_path("hdf", "conso", "conso_enaf_hdf_sample_cerema_api.csv")
    members = shared_path("hdf", "admin", "communes_hdf_cog2026.csv")
    res = local_report(
        tmp_path, consumption=conso_file, membership=members, level="epci", period="2021-2023"
    )
    assert len(res.reports) == 92
    rows, run = local_report_data(
        consumption=conso_file, membership=members, level="epci", period="2021-2023"
    )
    with_data = {r["code"]: r for r in rows if r["items"][0]["available"]}
    assert set(run["incomplete"]) == set(with_data) and len(run["left_out"]) == 90
    arras = with_data["200033579"]  # CU d'Arras: Arras alone, 0.4684 ha over 2021-2023 (SOURCES.md)
    assert arras["items"][0]["total_ha"] == pytest.approx(0.4684)
    assert arras["items"][0]["partial"] and arras["items"][3]["partial"]
    item4 = arras["items"][3]  # SRADDET: SCoT de la Région d'Arras, rate applied to 47.821 ha
    assert item4["reference_ha"] == pytest.approx(47.821)
    pct = sraddet_rates(pd.Index(["62041"]), "commune", None).at["62041", "reduction_pct"]
    assert item4["objective_ha"] == pytest.approx(47.821 * (1 - pct / 100))
    (folder,) = tmp_path.glob("200033579_*")
    text = plain((folder / "rapport_local.html").read_text(encoding="utf-8"))
    assert "ne portent que sur les communes renseignées" in text and "SRADDET" in text
    empty = next(r for r in rows if not r["items"][0]["available"])
    assert "aucune commune de ce territoire" in empty["items"][0]["reason"]
    assert empty["nom"] != empty["code"]
