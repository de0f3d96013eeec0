"""Charts, renaturation and OCS GE vintages of the rapport local (art. R. 2231-1 CGCT)."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pandas as pd
import pytest
from helpers import texts_outside
from test_local_report import OCSGE, PERIOD, SCENARIO, plain

import zan
from zan.errors import DataError
from zan.formatting import fr_text
from zan.reports import charts
from zan.reports.local import ITEMS, local_report, local_report_data
from zan.reports.local_charts import chart_pngs, page_charts
from zan.reports.local_items import read_renaturation

SVG = "{http://www.w3.org/2000/svg}"
YEARS = range(2011, 2023)  # the demo file's flows: 2009 ... 2022


@pytest.fixture(scope="module")
def epci(tmp_path_factory):
    out = tmp_path_factory.mktemp("local_charts")
    return local_report(
        out, scenario=SCENARIO, level="epci", period=PERIOD, ocsge=OCSGE[0], ocsge_later=OCSGE[1]
    )


@pytest.fixture(scope="module")
def yearly():
    """zan.consumption of each calendar year per EPCI: {year: table}."""
    conso = zan.scenario.load_consumption(SCENARIO)
    terr = zan.run_scenario(SCENARIO).territories
    out = {}
    for y in YEARS:
        t = zan.consumption(conso, terr, level="epci", period=(y, y))
        t.index = t.index.astype(str)
        out[y] = t
    return out


def _svgs(page: str) -> dict[str, ET.Element]:
    found = re.findall(r'<figure id="chart-(\w+)">(<svg.*?</svg>)<figcaption', page, flags=re.S)
    return {name: ET.fromstring(svg) for name, svg in found}


def _page(res, code: str) -> str:
    (r,) = [r for r in res.reports if r["code"] == code]
    return r["files"][0].read_text(encoding="utf-8")


def test_annual_bars_are_proportional_to_the_yearly_consumption(epci, yearly):
    assert len(epci.reports) == 20
    for r in epci.reports:
        page = _page(epci, r["code"])
        svg = _svgs(page)["annual"]
        assert svg.find(f"{SVG}title").text.startswith("Consommation d'ENAF par année")
        assert "<figcaption" in page and 'aria-labelledby="annual-title' in page
        heights: dict[int, float] = {}
        by_dest: dict[tuple[int, str], float] = {}
        for rect in svg.iter(f"{SVG}rect"):
            if "data-year" in rect.attrib:
                y = int(rect.get("data-year"))
                heights[y] = heights.get(y, 0.0) + float(rect.get("height"))
                by_dest[y, rect.get("data-dest")] = float(rect.get("data-ha"))
        totals = {y: float(yearly[y].at[r["code"], "total_ha"]) for y in YEARS}
        assert {y for y, v in totals.items() if v > 0} == set(heights)
        scale = max(heights.values()) / max(totals.values())
        for y, h in heights.items():  # coordinates rounded to 0.01 px
            assert h == pytest.approx(scale * totals[y], abs=0.02 * len(by_dest) + 1e-9)
        for (y, d), ha in by_dest.items():
            assert ha == pytest.approx(float(yearly[y].at[r["code"], f"{d}_ha"]), abs=1e-4)
        # the report's years drawn in full colour, the others lighter
        opaque = {
            int(e.get("data-year"))
            for e in svg.iter(f"{SVG}rect")
            if "data-year" in e.attrib and "fill-opacity" not in e.attrib
        }
        assert opaque <= {2021, 2022} and opaque


def test_the_objective_line_is_at_the_objective(epci):
    rows, _ = local_report_data(scenario=SCENARIO, level="epci", period=PERIOD)
    for row in rows:
        item4 = row["items"][3]
        svg = _svgs(_page(epci, row["code"]))["trajectory"]
        (line,) = [e for e in svg.iter(f"{SVG}line") if e.get("class") == "objective"]
        assert float(line.get("data-objective-ha")) == pytest.approx(item4["objective_ha"], 1e-6)
        bars = [e for e in svg.iter(f"{SVG}rect") if "data-year" in e.attrib]
        assert [int(b.get("data-year")) for b in bars] == [2021, 2022]
        assert float(bars[-1].get("data-ha")) == pytest.approx(item4["consumed_ha"], abs=1e-4)
        tall = max(bars, key=lambda b: float(b.get("height")))
        scale = float(tall.get("height")) / float(tall.get("data-ha"))
        baseline = float(tall.get("y")) + float(tall.get("height"))
        expected = baseline - scale * item4["objective_ha"]
        assert float(line.get("y1")) == pytest.approx(expected, abs=0.05)
        assert fr_text(item4["objective_ha"]) in svg.find(f"{SVG}desc").text


def test_no_trajectory_without_objective(tmp_path):
    from zan.datasets import get_path

    conso = get_path("conso_enaf_2009_2023.csv")
    rows, run = local_report_data(consumption=conso, level="epci", period=PERIOD, sraddet=False)
    for row in rows[:3]:
        assert not row["items"][3]["available"] and "cumulative" not in row["items"][3]
        charts_ = page_charts(row, run)
        assert charts_["trajectory"] == "" and charts_["annual"].startswith("<svg")


def _svg_texts_outside(svg: ET.Element) -> list[str]:
    """Texts of an SVG whose box (DejaVu Sans, 0.62 em per character at most) leaves the viewBox."""
    _x0, _y0, w, h = (float(v) for v in svg.get("viewBox").split())
    out = []
    for t in svg.iter(f"{SVG}text"):
        size = float(t.get("font-size", svg.get("font-size")))
        width = 0.62 * size * len(t.text)
        x, y = float(t.get("x")), float(t.get("y"))
        anchor = t.get("text-anchor", "start")
        left = x - width if anchor == "end" else x - width / 2 if anchor == "middle" else x
        if left < 0 or left + width > w or y - size < 0 or y > h:
            out.append(f"{t.text!r} at {x}, {y}")
    return out


def test_no_chart_text_is_clipped(epci, monkeypatch):
    rows, run = local_report_data(scenario=SCENARIO, level="epci", period=PERIOD)
    for r in epci.reports:
        for svg in _svgs(_page(epci, r["code"])).values():
            assert _svg_texts_outside(svg) == []
    figures = []
    save = charts._save
    monkeypatch.setattr(
        charts, "_save", lambda fig, path: (figures.append(fig), save(fig, path))[1]
    )
    long = dict(rows[0], nom="Communauté d'agglomération du Pays de Courbonne-en-Sélonnais")
    pngs = chart_pngs(long, run)
    assert set(pngs) == {"annual", "trajectory"} and len(figures) == 2
    for fig in figures:
        assert texts_outside(fig) == []
    # the check sees a text past the edge
    assert _svg_texts_outside(
        ET.fromstring(
            '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 50" font-size="11">'
            '<text x="90" y="20">Consommation</text></svg>'
        )
    )


def test_docx_holds_the_charts_after_items_1_and_4_same_bytes(tmp_path):
    docx = pytest.importorskip("docx")
    kwargs = dict(scenario=SCENARIO, level="epci", period=PERIOD, formats="docx")
    first = local_report(tmp_path / "a", **kwargs)
    again = local_report(tmp_path / "b", **kwargs)
    for r1, r2 in list(zip(first.reports, again.reports, strict=True))[:4]:
        (path,) = r1["files"]
        assert path.read_bytes() == r2["files"][0].read_bytes()
        doc = docx.Document(path)
        blobs = [s._inline.graphic.graphicData.pic.blipFill.blip.embed for s in doc.inline_shapes]
        assert len(blobs) == 2
        images = [doc.part.related_parts[rid].blob for rid in blobs]
        assert all(b.startswith(b"\x89PNG") for b in images)
        assert not any(b"tIME" in b or b"Creation Time" in b for b in images)
        body = [
            ("H:" + p.text) if p.style.name.startswith("Heading") else p.style.name
            for p in doc.paragraphs
        ]
        captions = [i for i, s in enumerate(body) if s == "Caption"]
        heads = [body.index("H:" + t) for t in ITEMS]
        assert heads[0] < captions[0] < heads[1] and heads[3] < captions[1]


def test_renaturation_is_summed_over_the_period_per_territory(tmp_path):
    terr = zan.run_scenario(SCENARIO).territories
    epci_of = terr.assignment("epci").astype(str)
    epci_of.index = epci_of.index.astype(str)
    communes = list(epci_of.index[:3])
    table = tmp_path / "renaturation.csv"
    table.write_text(
        "code;year;renaturated_m2\n"
        f"{communes[0]};2021;2 500\n{communes[0]};2022;1500,5\n"
        f"{communes[1]};2020;9999\n{communes[2]};2022;4000\n",
        encoding="utf-8",
    )
    expected: dict[str, float] = {}
    for code, m2 in ((communes[0], 4000.5), (communes[2], 4000.0)):
        expected[epci_of[code]] = expected.get(epci_of[code], 0.0) + m2 / 1e4
    res = local_report(
        tmp_path / "out", scenario=SCENARIO, level="epci", period=PERIOD, renaturation=table
    )
    rows, run = local_report_data(
        scenario=SCENARIO, level="epci", period=PERIOD, renaturation=table
    )
    assert run["files"]["renaturation"] == str(table)
    for row in rows:
        item1 = row["items"][0]
        assert item1["renaturation_ha"] == pytest.approx(expected.get(row["code"], 0.0))
    code = next(iter(expected))
    text = plain(_page(res, code))
    assert (
        "Renaturation de sols artificialisés en espaces naturels, agricoles et forestiers "
        f"2021-2022 : {fr_text(expected[code])} ha"
    ) in text
    assert "renaturation.csv" in text
    rows, _ = local_report_data(
        scenario=SCENARIO, level="commune", period=PERIOD, renaturation=table
    )
    by_code = {r["code"]: r["items"][0]["renaturation_ha"] for r in rows}
    assert by_code[communes[0]] == pytest.approx(0.40005) and by_code[communes[1]] == 0.0


def test_without_renaturation_item_1_says_it_is_optional(epci):
    text = plain(_page(epci, epci.reports[0]["code"]))
    assert "(indicateur facultatif) : non renseignée pour ce rapport" in text


def test_bad_renaturation_tables_are_named(tmp_path):
    bad = tmp_path / "r.csv"
    bad.write_text("code;annee;renaturated_ha\n96001;2021;1\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"r.csv: a renaturation table needs the columns 'code'"):
        read_renaturation(bad)
    bad.write_text("code;year;renaturated_ha\n96001;2021;1\n96001;2022;un peu\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"r.csv: column 'renaturated_ha', row 3: 'un peu'"):
        read_renaturation(bad)
    bad.write_text("code;year;renaturated_ha\n99999;2021;1\n", encoding="utf-8")
    with pytest.raises(DataError, match=r"row 2: code '99999' is neither a commune nor"):
        local_report_data(scenario=SCENARIO, level="epci", period=PERIOD, renaturation=bad)
    ok = read_renaturation(
        pd.DataFrame({"code": ["1"], "year": ["2021"], "renaturated_ha": ["0,5"]})
    )
    assert ok["renaturated_ha"].tolist() == [0.5]


def test_items_2_and_3_state_the_vintages_and_the_mismatch(epci):
    sentence = "Les millésimes OCS GE 2018 et 2021 ne couvrent pas exactement la période 2021-2022."
    seen = 0
    rows, _ = local_report_data(
        scenario=SCENARIO, level="epci", period=PERIOD, ocsge=OCSGE[0], ocsge_later=OCSGE[1]
    )
    for row in rows:
        text = plain(_page(epci, row["code"]))
        if row["items"][1]["available"]:
            seen += 1
            assert text.count(sentence) == 2  # under 2° and under 3°
            assert "millésimes 2018 et 2021" in text
        else:
            assert sentence not in text
    assert seen
    rows, _ = local_report_data(
        scenario=SCENARIO, level="epci", period="2018-2021", ocsge=OCSGE[0], ocsge_later=OCSGE[1]
    )
    covered = next(r for r in rows if r["items"][1]["available"])
    assert covered["items"][1]["vintage_note"] == (
        "Les millésimes OCS GE 2018 et 2021 correspondent aux années 2018-2021 du rapport."
    )


def test_same_charts_twice(tmp_path):
    rows, run = local_report_data(scenario=SCENARIO, level="epci", period=PERIOD)
    again, _ = local_report_data(scenario=SCENARIO, level="epci", period=PERIOD)
    for a, b in list(zip(rows, again, strict=True))[:3]:
        assert page_charts(a, run) == page_charts(b, run)
        assert chart_pngs(a, run) == chart_pngs(b, run)


def test_pdf_keeps_the_headings_and_the_chart_captions(tmp_path):
    import shutil
    import subprocess

    from helpers import chromium_path

    chromium_path()
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.skip("pdftotext not installed (apt-get install poppler-utils)")
    res = local_report(tmp_path, scenario=SCENARIO, level="epci", period=PERIOD, formats="pdf")
    for r in res.reports[:2]:
        (pdf,) = r["files"]
        out = subprocess.run([tool, str(pdf), "-"], capture_output=True, text=True, check=True)
        text = plain(out.stdout)
        positions = [text.find(title) for title in ITEMS]
        assert all(p >= 0 for p in positions) and positions == sorted(positions), text[:300]
        assert positions[0] < text.find("Consommation d'ENAF par année civile") < positions[1]
        assert positions[3] < text.find("Consommation d'ENAF cumulée depuis")
        assert "Objectif 2021-2030" in text  # the chart's text is text in the PDF


def test_cli_renaturation_option(tmp_path):
    from click.testing import CliRunner

    from zan.cli import main
    from zan.datasets import get_path

    conso_file = get_path("conso_enaf_2009_2023.csv")
    conso = zan.read_consumption(conso_file)
    commune = str(conso.communes.index[0])
    epci_code = str(conso.communes.at[conso.communes.index[0], "epci23"])
    table = tmp_path / "renat.csv"
    table.write_text(f"code,year,renaturated_ha\n{commune},2022,1.25\n", encoding="utf-8")
    args = ["local-report", "--consumption", str(conso_file), "--level", "epci"]
    args += ["--period", PERIOD, "--renaturation", str(table), "--out", str(tmp_path / "o")]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    (folder,) = (tmp_path / "o").glob(f"{epci_code}_*")
    text = plain((folder / "rapport_local.html").read_text(encoding="utf-8"))
    assert "forestiers 2021-2022 : 1,25 ha" in text and "renat.csv" in text
    bad = tmp_path / "bad.csv"
    bad.write_text("code,year\n1,2022\n", encoding="utf-8")
    res = CliRunner().invoke(main, [*args[:-4], "--renaturation", str(bad), "--out", str(tmp_path)])
    assert res.exit_code != 0 and "a renaturation table needs the columns" in res.output
