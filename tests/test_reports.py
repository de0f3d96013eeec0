"""Reports: data assembly, templates, charts, one territory and the summary, PDF engines.

The PDFs are read back with poppler (pdftotext, pdftoppm); the batch is in
test_reports_batch.py, the browser checks in test_reports_browser.py.
"""

from __future__ import annotations

import shutil
import subprocess

import numpy as np
import pandas as pd
import pytest
from helpers import chromium_path

from zan.datasets import scenario_path
from zan.errors import DataError, MissingDependencyError, ScenarioError
from zan.reports import (
    PdfPrinter,
    available_engines,
    comparison_table,
    copy_templates,
    environment,
    fr_number,
    prepare_reports,
    regional_data,
    regional_report,
    select_codes,
    territory_data,
    territory_report,
)
from zan.reports.pdf import chromium_executable


def poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} not installed (apt-get install poppler-utils)")
    return path


def pdf_text(path) -> str:
    out = subprocess.run(
        [poppler("pdftotext"), "-layout", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.replace("\u202f", " ").replace("\xa0", " ")


def plain(text: str) -> str:
    return text.replace("\u202f", " ").replace("\xa0", " ")


def ink_fractions(pdf, tmp_path) -> list[float]:
    """Share of non-white pixels on each page, rendered by pdftoppm."""
    from PIL import Image

    prefix = tmp_path / "page"
    subprocess.run([poppler("pdftoppm"), "-r", "30", "-png", str(pdf), str(prefix)], check=True)
    out = []
    for png in sorted(tmp_path.glob("page-*.png")):
        px = np.asarray(Image.open(png).convert("L"))
        out.append(float((px < 240).mean()))
    return out


@pytest.fixture(scope="module")
def ctx():
    return prepare_reports(scenario_path("02_consommation_population"))


# ---------------------------------------------------------------------------- data
def test_territory_data_matches_the_allocation_and_the_consumption(ctx):
    code = ctx.codes[3]
    d = territory_data(ctx, code)
    row = ctx.allocation.table.loc[code]
    assert d["envelope"]["envelope_ha"] == pytest.approx(row["envelope_ha"])
    # the criteria, the adjustment and the rounding add up to the envelope
    parts = sum(c["ha"] for c in d["envelope"]["criteria"])
    parts += d["envelope"]["adjustment_ha"] + d["envelope"]["rounding_ha"]
    assert parts == pytest.approx(row["envelope_ha"], abs=1e-6)
    # destinations add up to the 2011-2020 total, which is the allocation's reference
    cons = d["consumption"]
    assert sum(x["ha"] for x in cons["destinations"]) == pytest.approx(cons["total_ha"])
    assert cons["total_ha"] == pytest.approx(row["reference_ha"], rel=1e-9)
    assert [y["year"] for y in cons["by_year"]] == list(range(2011, 2021))
    # communes: the territory's members, and their consumption sums to the territory's
    members = ctx.allocation.territories.members("epci", code)
    assert sorted(c["code"] for c in d["communes"]) == sorted(members.astype(str))
    assert sum(c["reference_ha"] for c in d["communes"]) == pytest.approx(cons["total_ha"])
    assert d["territory"]["n_communes"] == len(members)


def test_trajectory_follows_zan_trajectory_definition(ctx):
    d = territory_data(ctx, ctx.codes[0])
    t = d["trajectory"]
    years = [y["year"] for y in t["years"]]
    assert years[0] == 2021 and years[-1] == max(ctx.years)
    assert t["years"][-1]["cumul_ha"] == pytest.approx(t["consumed_ha"])
    assert t["annual_rate_ha"] == pytest.approx(t["consumed_ha"] / len(years))
    assert t["projected_ha"] == pytest.approx(t["annual_rate_ha"] * 10)
    env = d["envelope"]["envelope_ha"]
    expected = (
        "exceeded"
        if t["consumed_ha"] > env
        else "will_exceed"
        if t["projected_ha"] > env
        else "on_track"
    )
    assert t["status"] == expected


def test_rank_and_regional_rate(ctx):
    table = ctx.table
    biggest = table["envelope_ha"].idxmax()
    d = territory_data(ctx, biggest)
    assert d["rank"]["envelope_rank"] == 1 and d["rank"]["n"] == len(table)
    regional = 100 * (1 - table["envelope_ha"].sum() / table["reference_ha"].sum())
    assert d["rank"]["regional_reduction_pct"] == pytest.approx(regional)
    strongest = table["reduction_pct"].idxmax()
    assert territory_data(ctx, strongest)["rank"]["reduction_rank"] == 1


def test_garantie_counts_the_eligible_communes(ctx):
    code = ctx.codes[1]
    d = territory_data(ctx, code)
    members = ctx.allocation.territories.members("epci", code)
    eligible = ctx.allocation.territories.membership.loc[members, "garantie_communale"]
    n = int(eligible.astype(str).str.lower().eq("true").sum())
    assert d["garantie"]["n_communes"] == n
    assert d["garantie"]["ha"] == pytest.approx(n * 1.0)


def test_unknown_codes_and_levels_are_refused_with_the_fix(ctx):
    with pytest.raises(DataError, match="unknown code.*nope"):
        select_codes(ctx, "nope," + ctx.codes[0])
    assert select_codes(ctx, "all") == ctx.codes
    with pytest.raises(DataError, match="no territory 'nope'"):
        territory_data(ctx, "nope")
    with pytest.raises(ScenarioError, match="no level 'scot'.*levels: epci"):
        prepare_reports(scenario_path("02_consommation_population"), level="scot")


def test_cascade_reports_on_the_epci_level_with_parents():
    ctx = prepare_reports(scenario_path("05_cascade_reserve_pene_garantie"))
    assert ctx.level == "epci"
    d = territory_data(ctx, ctx.codes[0])
    assert d["envelope"]["parent"]["level"].startswith("Schéma")
    assert d["has_commune_envelopes"]
    assert sum(c["envelope_ha"] for c in d["communes"]) == pytest.approx(
        d["envelope"]["envelope_ha"], abs=1e-6
    )
    r = regional_data(ctx)
    assert r["totals"]["reserve_ha"] > 0 and r["totals"]["pene_ha"] > 0


def test_comparison_joins_the_envelopes_of_each_scenario():
    a = scenario_path("01_reduction_uniforme")
    b = scenario_path("02_consommation_population")
    t = comparison_table([a, b])
    names = t.attrs["scenarios"]
    assert len(names) == 2
    assert (t[f"ecart_ha {names[1]}"] == t[names[1]] - t[names[0]]).all()
    # each scenario distributes its own envelope in full
    assert abs(t[names[0]].sum() - t[names[1]].sum()) > 1
    with pytest.raises(ScenarioError, match="at least two"):
        comparison_table([a])


# ---------------------------------------------------------------------------- templates
def test_templates_escape_data_and_format_numbers_the_french_way():
    env = environment()
    out = env.from_string("{{ x | ha }} {{ y | pct }} {{ z | num(0) }} {{ s }}").render(
        x=7409.963, y=54.47, z=None, s="<script>alert(1)</script>"
    )
    assert plain(out) == "7 409,96 ha 54,5 % — &lt;script&gt;alert(1)&lt;/script&gt;"
    assert fr_number(-3.14159, 3, signed=True) == "-3,142"


def test_template_dir_restyles_one_file_and_keeps_the_others(tmp_path, ctx):
    mine = copy_templates(tmp_path / "modeles")
    css = (mine / "rapport.css").read_text(encoding="utf-8")
    (mine / "rapport.css").write_text(css.replace("#1f6f8b", "#ab0000"), encoding="utf-8")
    for f in mine.iterdir():
        if f.name != "rapport.css":
            f.unlink()
    files = territory_report(ctx, ctx.codes[0], tmp_path / "r", formats=["html"], template_dir=mine)
    page = files[0].read_text(encoding="utf-8")
    assert "--accent: #ab0000" in page and "#1f6f8b" not in page
    assert "<h1>" in page  # the packaged templates are still used
    with pytest.raises(DataError, match="not a folder"):
        environment(tmp_path / "missing")


# ---------------------------------------------------------------------------- one report
@pytest.mark.slow
def test_territory_report_pdf_reads_back_name_envelope_and_pages_are_not_blank(tmp_path, ctx):
    chromium_path()  # skips without Chromium; CI installs it and fails instead
    code = ctx.codes[2]
    d = territory_data(ctx, code)
    with PdfPrinter() as printer:
        files = territory_report(ctx, code, tmp_path / "t", printer=printer)
    names = sorted(p.name for p in files)
    assert names == ["rapport.html", "rapport.pdf"]
    text = pdf_text(tmp_path / "t" / "rapport.pdf")
    assert d["territory"]["nom"] in text
    assert plain(fr_number(d["envelope"]["envelope_ha"])) + " ha" in text
    assert plain(fr_number(d["envelope"]["reference_ha"])) + " ha" in text
    assert "Garantie communale" in text and "Sources et méthode" in text
    assert d["meta"]["hash"] in "".join(text.split())  # wrapped in a narrow column
    for frac in ink_fractions(tmp_path / "t" / "rapport.pdf", tmp_path):
        assert frac > 0.01
    # the temporary print page is gone; the folder holds charts and maps
    folder = sorted(p.name for p in (tmp_path / "t").iterdir())
    assert folder == [
        "carte.html",
        "carte.png",
        "consommation.svg",
        "rapport.html",
        "rapport.pdf",
        "trajectoire.svg",
    ]
    html = (tmp_path / "t" / "rapport.html").read_text(encoding="utf-8")
    assert '<iframe class="map-live" src="carte.html"' in html
    assert "http://" not in html and "https://" not in html


@pytest.mark.slow
def test_regional_summary_with_comparison_pdf(tmp_path):
    chromium_path()  # skips without Chromium; CI installs it and fails instead
    ctx = prepare_reports(
        scenario_path("02_consommation_population"),
        compare=[scenario_path("01_reduction_uniforme")],
    )
    files = regional_report(ctx, tmp_path / "s")
    assert sorted(p.name for p in files) == ["synthese.html", "synthese.pdf"]
    text = pdf_text(tmp_path / "s" / "synthese.pdf")
    tot = ctx.allocation.totals
    assert "Synthèse régionale" in text
    for key in ("envelope_ha", "pene_ha", "distributed_ha"):
        assert plain(fr_number(tot[key])) + " ha" in text
    assert "Comparaison des scénarios" in text and "Réduction uniforme" in text
    assert "Indice de Gini de l'enveloppe par habitant" in text  # zan.compare's indicators
    assert all(name in text for name in ctx.table["nom"].head(3))
    assert min(ink_fractions(tmp_path / "s" / "synthese.pdf", tmp_path)) > 0.01
    assert (tmp_path / "s" / "comparaison.svg").exists()


@pytest.mark.slow
@pytest.mark.parametrize("engine", ["chromium", "weasyprint"])
def test_other_pdf_engines_print_the_same_text(tmp_path, engine):
    if engine not in available_engines():
        pytest.skip(f"PDF engine {engine} not available here")
    page = tmp_path / "p.html"
    page.write_text(
        "<!DOCTYPE html><html lang='fr'><meta charset='utf-8'>"
        "<h1>Communauté de communes d'Essai</h1><p>Enveloppe : 1\u202f234,56 ha</p>",
        encoding="utf-8",
    )
    with PdfPrinter(engine) as printer:
        pdf = printer.print(page, tmp_path / "p.pdf")
    text = " ".join(pdf_text(pdf).split())
    assert "Communauté de communes d'Essai" in text and "1 234,56 ha" in text


def test_missing_or_unknown_engines_say_how_to_fix(tmp_path):
    with pytest.raises(DataError, match="unknown PDF engine 'x'"):
        PdfPrinter("x")
    assert chromium_executable(tmp_path / "nope") is None
    with pytest.raises(MissingDependencyError, match="apt-get install chromium"):
        PdfPrinter("chromium", browser=tmp_path / "nope")


def test_report_data_has_no_missing_numbers_for_every_demo_territory(ctx):
    for code in ctx.codes:
        d = territory_data(ctx, code)
        values = [
            d["envelope"]["envelope_ha"],
            d["consumption"]["total_ha"],
            d["trajectory"]["consumed_ha"],
            d["rank"]["reduction_pct"],
        ]
        assert all(v is not None and np.isfinite(v) for v in values), code
    frame = pd.DataFrame([territory_data(ctx, c)["envelope"] for c in ctx.codes])
    assert frame["envelope_ha"].sum() == pytest.approx(ctx.allocation.distributed_ha)


def test_commune_level_report_of_a_cascade_maps_a_single_commune(tmp_path):
    ctx = prepare_reports(scenario_path("05_cascade_reserve_pene_garantie"), level="commune")
    code = ctx.codes[0]
    d = territory_data(ctx, code)
    assert d["territory"]["n_communes"] == 1 and d["territory"]["parents"][0]["code"]
    assert d["envelope"]["parent"]["level"] == "Intercommunalité (EPCI)"
    files = territory_report(ctx, code, tmp_path, formats=["html"])
    page = files[0].read_text(encoding="utf-8")
    assert d["territory"]["nom"] in page and (tmp_path / "carte.html").stat().st_size > 1000
