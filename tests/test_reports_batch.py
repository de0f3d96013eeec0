"""Batch reports: every demo EPCI, parallel workers, failures isolated, index.html, ledger."""

from __future__ import annotations

import html
import re
import shutil
import subprocess

import pytest
from helpers import chromium_path

from zan.datasets import scenario_path
from zan.errors import DataError
from zan.reports import batch as batch_module
from zan.reports import folder_name, fr_number, prepare_reports, write_reports

SCENARIO = scenario_path("02_consommation_population")


def plain(text: str) -> str:
    return " ".join(text.replace("\u202f", " ").replace("\xa0", " ").split())


def pdf_text(path) -> str:
    tool = shutil.which("pdftotext")
    if tool is None:
        pytest.skip("pdftotext not installed (apt-get install poppler-utils)")
    return plain(
        subprocess.run([tool, str(path), "-"], capture_output=True, text=True, check=True).stdout
    )


@pytest.fixture(autouse=True)
def _needs_chromium():
    """PDFs are printed by Chromium: skip on a machine without it (CI installs it and fails instead)."""
    chromium_path()


@pytest.fixture(scope="module")
def full(tmp_path_factory):
    """All demo EPCI in HTML and PDF, on two worker processes."""
    chromium_path()  # module-scoped fixtures run before the autouse check above
    out = tmp_path_factory.mktemp("rapports")
    return write_reports(SCENARIO, out, formats="html,pdf", jobs=2, progress=False)


@pytest.mark.slow
def test_batch_writes_one_report_per_epci_with_its_name_and_envelope(full):
    ctx_table = full.results
    assert full.ok and full.jobs == 2 and len(ctx_table) == 20
    folders = {p.name for p in full.out.iterdir() if p.is_dir()}
    assert folders == {r.folder.name for r in full.results} | {"synthese"}
    assert not [p for p in full.out.iterdir() if p.name.startswith(".")]  # no temporary folder
    from zan.scenario import run_scenario

    table = run_scenario(SCENARIO).table
    for r in full.results:
        assert sorted(p.name for p in r.files) == ["rapport.html", "rapport.pdf"]
        text = pdf_text(r.folder / "rapport.pdf")
        assert plain(table.at[r.code, "nom"]) in text
        assert plain(fr_number(table.at[r.code, "envelope_ha"])) + " ha" in text
        assert r.seconds > 0


@pytest.mark.slow
def test_index_links_every_report_and_the_summary(full):
    index = full.index.read_text(encoding="utf-8")
    hrefs = set(re.findall(r'href="([^"]+)"', index))
    for r in full.results:
        assert f"{r.folder.name}/rapport.html" in hrefs and f"{r.folder.name}/rapport.pdf" in hrefs
    assert {"synthese/synthese.html", "synthese/synthese.pdf"} <= hrefs
    for h in hrefs:
        assert (full.out / h).is_file(), h
    summary = (full.out / "synthese" / "synthese.html").read_text(encoding="utf-8")
    links = set(re.findall(r'href="(\.\./[^"]+/rapport\.html)"', summary))
    assert len(links) == 20
    assert all((full.out / "synthese" / link).resolve().is_file() for link in links)
    assert "Échecs" not in index and not (full.out / "erreurs.txt").exists()


@pytest.mark.slow
def test_a_failure_on_one_territory_leaves_the_others_written_and_is_listed(tmp_path, monkeypatch):
    ctx = prepare_reports(SCENARIO)
    bad = ctx.codes[4]
    real = batch_module.territory_report

    def flaky(ctx, code, folder, **kwargs):
        files = real(ctx, code, folder, **kwargs)
        if code == bad:  # fails after writing part of its folder
            raise RuntimeError("panne simulée du rendu")
        return files

    # the worker processes are forked after the patch, so they inherit it
    monkeypatch.setattr(batch_module, "territory_report", flaky)
    out = tmp_path / "out"
    result = write_reports(SCENARIO, out, formats=["html"], jobs=2, progress=False)
    assert [r.code for r in result.failures] == [bad]
    assert "panne simulée du rendu" in result.failures[0].error
    assert sum(r.ok for r in result.results) == len(ctx.codes) - 1
    failed_folder = out / folder_name(bad, ctx.table.at[bad, "nom"])
    assert not failed_folder.exists()  # no half-written folder
    for r in result.results:
        if r.ok:
            assert (r.folder / "rapport.html").is_file()
    index = result.index.read_text(encoding="utf-8")
    assert "Échecs (1)" in index and "panne simulée du rendu" in index
    assert "RuntimeError" in (out / "erreurs.txt").read_text(encoding="utf-8")
    summary = (out / "synthese" / "synthese.html").read_text(encoding="utf-8")
    assert failed_folder.name not in summary  # the summary links only reports that exist
    assert result.summary is not None and result.summary.ok


def test_selected_territories_in_process(tmp_path):
    ctx = prepare_reports(SCENARIO)
    codes = ctx.codes[:2]
    result = write_reports(
        SCENARIO,
        tmp_path,
        territories=",".join(codes),
        formats="html",
        jobs=1,
        summary=False,
        progress=False,
    )
    assert [r.code for r in result.results] == codes and result.jobs == 1
    assert result.summary is None and not (tmp_path / "synthese").exists()
    # a second run replaces the folders in place
    again = write_reports(
        SCENARIO, tmp_path, territories=codes, formats="html", jobs=1, summary=False, progress=False
    )
    assert again.ok and sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [r.folder.name for r in again.results] + ["index.html"]
    )


def test_bad_arguments_fail_before_any_report(tmp_path):
    with pytest.raises(DataError, match="unknown code"):
        write_reports(SCENARIO, tmp_path / "a", territories="000", progress=False)
    with pytest.raises(DataError, match="unknown format docx"):
        write_reports(SCENARIO, tmp_path / "b", formats="html,docx", progress=False)
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


@pytest.mark.parametrize(
    "code, nom, expected",
    [
        ("249600297", "CA de Lontigny-le-Bas", "249600297_ca-de-lontigny-le-bas"),
        ("../..", "../../etc/passwd", "etc-passwd"),
        ("2A004", "Ajaccio", "2A004_ajaccio"),
        ("x/y\\z", "Œuvre <b>é</b>", "x_y_z_uvre-b-e-b"),
        ("", "", "territoire"),
        ("nul", "", "nul_"),
    ],
)
def test_folder_names_stay_inside_the_output_folder(tmp_path, code, nom, expected):
    name = folder_name(code, nom)
    assert name == expected
    assert (tmp_path / name).resolve().parent == tmp_path.resolve()


@pytest.mark.slow
def test_ledger_balance_and_committed_projects_are_shown(tmp_path):
    from shapely.geometry import box

    from zan.ledger import init_ledger

    ledger = init_ledger(tmp_path / "compte.gpkg", SCENARIO, author="région")
    ctx = prepare_reports(SCENARIO)
    code = ctx.codes[0]
    centre = ctx.allocation.territories.geometries("epci").loc[code].geometry.centroid
    ledger.add_project(
        code,
        label="Zone d'activités des Essais",
        geometry=box(centre.x, centre.y, centre.x + 200, centre.y + 150),
        enaf_ha=2.5,
        justification="délibération test",
    )
    balance = ledger.balance()
    ledger.close()
    result = write_reports(
        SCENARIO,
        tmp_path / "out",
        ledger=tmp_path / "compte.gpkg",
        territories=[code],
        formats="html",
        jobs=1,
        progress=False,
    )
    page = plain(html.unescape((result.results[0].folder / "rapport.html").read_text("utf-8")))
    assert "Compte foncier" in page and "Zone d'activités des Essais" in page
    remaining = balance.at[code, "remaining_ha"]
    assert plain(fr_number(remaining)) + " ha" in page
    assert plain(fr_number(balance.at[code, "committed_ha"])) + " ha" in page
    assert balance.at[code, "committed_ha"] == pytest.approx(2.5)
