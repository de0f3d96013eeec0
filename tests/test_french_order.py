"""Names sort in French alphabetical order (accents, case and hyphens aside), whatever the locale."""

from __future__ import annotations

import copy

import pytest

from zan.datasets import scenario_path
from zan.formatting import french_sort_key
from zan.reports import prepare_reports, regional_data, territory_data


def test_accented_names_sort_among_their_letter():
    names = ["Viry", "Épinay-sur-Orge", "Ézy", "eaucourt", "Amiens", "Œuilly", "Oye", "Écaussinnes"]
    assert sorted(names, key=french_sort_key) == [
        "Amiens",
        "eaucourt",
        "Écaussinnes",
        "Épinay-sur-Orge",
        "Ézy",
        "Œuilly",
        "Oye",
        "Viry",
    ]
    assert sorted(names)[-1] != "Viry"  # code points put the accents after z


def test_ties_on_accents_are_broken_by_the_exact_spelling():
    # same letters: the order is still total and the same whatever the input order
    names = ["Éperlecques", "Eperlecques", "éperlecques"]
    assert sorted(names, key=french_sort_key) == sorted(reversed(names), key=french_sort_key)
    assert len({french_sort_key(n) for n in names}) == 3
    assert french_sort_key(None) < french_sort_key("A")


@pytest.fixture(scope="module")
def ctx():
    return prepare_reports(scenario_path("02_consommation_population"))


def test_summary_table_lists_territories_in_french_order(ctx):
    ctx = copy.copy(ctx)
    table = ctx.table.copy()
    codes = list(table.index[:3])
    table.loc[codes, "nom"] = ["Viry-Châtillon", "Épinay-sur-Orge", "Étampes"]
    object.__setattr__(ctx, "table", table)
    names = [r["nom"] for r in regional_data(ctx)["territories"]]
    assert names.index("Épinay-sur-Orge") < names.index("Étampes") < names.index("Viry-Châtillon")
    assert names == sorted(names, key=french_sort_key)


def test_commune_list_of_a_report_in_french_order(ctx):
    ctx = copy.copy(ctx)
    communes = ctx.communes.copy()
    code = ctx.codes[0]
    mine = communes.index[communes["territory"].to_numpy() == code]
    assert len(mine) >= 3
    communes.loc[mine[:3], "nom"] = ["Vzy", "Écaillon", "Ezy"]
    object.__setattr__(ctx, "communes", communes)
    names = [c["nom"] for c in territory_data(ctx, code)["communes"]]
    assert names.index("Écaillon") < names.index("Ezy") < names.index("Vzy")
    assert names == sorted(names, key=french_sort_key)
