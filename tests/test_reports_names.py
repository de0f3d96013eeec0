"""Reports name the départements and régions, never by a bare code.

The demo's communes.csv carries ``departement_nom`` and ``region_nom`` (as real
membership tables do); a table without them gives "département 96", not "96".
"""

from __future__ import annotations

import html
import re

import pandas as pd
import pytest

from zan.datasets import get_path, scenario_path
from zan.reports import prepare_reports, territory_data, territory_report
from zan.reports.context import territory_name

DEPARTEMENTS = {"96": "Côtes-de-Démo", "98": "Haut-Démo", "99": "Val-de-Démo"}


def _rows(page: str) -> dict[str, str]:
    """The ``<tr><th>label</th><td>value</td></tr>`` rows of a page, as text."""
    rows = re.findall(r"<tr><th>([^<]*)</th><td[^>]*>([^<]*)</td></tr>", page)
    return {html.unescape(k).strip(): html.unescape(v).strip() for k, v in rows}


def _scenario_without_names(tmp_path, level: str) -> str:
    """Scenario 01 on a copy of the demo membership without the name columns."""
    members = pd.read_csv(get_path("communes.csv"), dtype=str, keep_default_na=False)
    members = members.drop(columns=["departement_nom", "region_nom"])
    members.to_csv(tmp_path / "communes.csv", index=False)
    text = scenario_path("01_reduction_uniforme").read_text(encoding="utf-8")
    demo = get_path("communes.gpkg").parent.as_posix()
    text = text.replace('"../demo/communes.csv"', f'"{(tmp_path / "communes.csv").as_posix()}"')
    text = text.replace('"../demo/', f'"{demo}/')
    text = text.replace('level = "epci"', f'level = "{level}"')
    path = tmp_path / "sans_noms.toml"
    path.write_text(text, encoding="utf-8")
    return str(path)


def test_demo_membership_names_the_departements_and_the_region():
    members = pd.read_csv(get_path("communes.csv"), dtype=str, keep_default_na=False)
    pairs = members[["departement", "departement_nom"]].drop_duplicates()
    assert dict(zip(pairs["departement"], pairs["departement_nom"], strict=True)) == DEPARTEMENTS
    assert set(members["region_nom"]) == {"Région Démo"}


def test_demo_report_shows_departement_and_region_names(tmp_path):
    ctx = prepare_reports(scenario_path("01_reduction_uniforme"))
    members = pd.read_csv(get_path("communes.csv"), dtype=str).set_index("epci_siren")
    for code in ctx.codes:
        parents = {p["level"]: p["nom"] for p in territory_data(ctx, code)["territory"]["parents"]}
        dep = members.loc[[code], "departement"].iloc[0]  # each demo EPCI lies in one département
        assert parents["Département"] == DEPARTEMENTS[dep]
        assert parents["Région"] == "Région Démo"
    code = ctx.codes[0]
    territory_report(ctx, code, tmp_path, formats=["html"])
    rows = _rows((tmp_path / "rapport.html").read_text(encoding="utf-8"))
    assert rows["Département"] in DEPARTEMENTS.values()
    assert rows["Région"] == "Région Démo"


def test_missing_names_read_departement_and_region_with_their_code(tmp_path):
    ctx = prepare_reports(_scenario_without_names(tmp_path, "epci"))
    code = ctx.codes[0]
    territory_report(ctx, code, tmp_path / "r", formats=["html"])
    rows = _rows((tmp_path / "r" / "rapport.html").read_text(encoding="utf-8"))
    assert re.fullmatch(r"département (96|98|99)", rows["Département"])
    assert rows["Région"] == "région 99"


def test_departement_level_report_is_titled_by_name_or_level_and_code(tmp_path):
    ctx = prepare_reports(_scenario_without_names(tmp_path, "departement"))
    assert ctx.level == "departement"
    assert ctx.table["nom"].tolist() == ["département 96", "département 98", "département 99"]
    territory_report(ctx, "98", tmp_path / "r", formats=["html"])
    page = (tmp_path / "r" / "rapport.html").read_text(encoding="utf-8")
    assert "<h1>département 98</h1>" in page


@pytest.mark.parametrize(
    ("level", "code", "name", "expected"),
    [
        ("departement", "59", "Nord", "Nord"),
        ("departement", "59", None, "département 59"),
        ("departement", "59", float("nan"), "département 59"),
        ("departement", "59", " 59 ", "département 59"),
        ("region", "32", "", "région 32"),
        ("epci", "245900410", "245900410", "EPCI 245900410"),
    ],
)
def test_territory_name(level, code, name, expected):
    assert territory_name(level, code, name) == expected
