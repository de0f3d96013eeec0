"""Scenario comparison: arithmetic on hand-made allocations, indicators, exports, map."""

from __future__ import annotations

import json
import math

import numpy as np
import openpyxl
import pandas as pd
import pytest

from zan.allocate import allocate
from zan.compare import Comparison, compare, gini, write_comparison
from zan.datasets import scenario_path
from zan.errors import DataError, ScenarioError
from zan.rules import Criterion

# Four territories: reference 40/20/20/20 ha, population 400/100/100/400.
TABLE = pd.DataFrame(
    {
        "nom": ["Alpha", "Bêta", "Gamma", "Delta"],
        "reference_ha": [40.0, 20.0, 20.0, 20.0],
        "population": [400.0, 100.0, 100.0, 400.0],
    },
    index=["a", "b", "c", "d"],
)
POP = TABLE["population"]
CLASSES = pd.Series({"a": "pole", "b": "rural", "c": "rural", "d": "bourg"})


def _allocations(table: pd.DataFrame = TABLE):
    uniform = allocate(table, 50.0, criteria=[Criterion("uniform")], name="Uniforme")
    per_head = allocate(
        table,
        50.0,
        criteria=[Criterion("indicator", params={"column": "population"})],
        name="Population",
    )
    floored = allocate(
        table,
        50.0,
        criteria=[Criterion("indicator", params={"column": "population"})],
        floors=8.0,
        name="Population plancher",
    )
    return uniform, per_head, floored


@pytest.fixture(scope="module")
def hand() -> Comparison:
    return compare(list(_allocations()), population=POP, classes=CLASSES)


def test_table_and_differences_by_hand(hand):
    # uniform: every territory keeps 50 % of its reference: 20/10/10/10
    # per head: 50 ha × population share: 20/5/5/20
    # floor 8 ha: b and c raised to 8, a and d share the 34 ha left: 17/8/8/17
    assert hand.envelope_ha.to_dict("list") == {
        "Uniforme": [20.0, 10.0, 10.0, 10.0],
        "Population": [20.0, 5.0, 5.0, 20.0],
        "Population plancher": [17.0, 8.0, 8.0, 17.0],
    }
    assert hand.reduction_pct["Population"].round(6).tolist() == [50.0, 75.0, 75.0, 0.0]
    assert hand.difference_ha["Population"].tolist() == [0.0, -5.0, -5.0, 10.0]
    assert hand.difference_ha["Population plancher"].round(9).tolist() == [-3.0, -2.0, -2.0, 7.0]
    # points of reduction: B − A; gaining hectares lowers the rate
    assert hand.difference_pts["Population"].round(6).tolist() == [0.0, 25.0, 25.0, -50.0]
    assert hand.difference_pts["Population plancher"].round(6).tolist() == [7.5, 10.0, 10.0, -35.0]
    assert list(hand.difference_ha.columns) == ["Population", "Population plancher"]
    table = hand.table
    assert table[("envelope_ha", "Population")].tolist() == [20.0, 5.0, 5.0, 20.0]
    assert table[("nom", "")].tolist() == ["Alpha", "Bêta", "Gamma", "Delta"]


def test_winners_and_losers(hand):
    wl = hand.winners_losers(5)
    pop = wl[wl["scenario"] == "Population"]
    assert pop[pop["side"] == "gain"]["code"].tolist() == ["d"]
    assert pop[pop["side"] == "perte"]["code"].tolist() == ["b", "c"]
    assert pop[pop["side"] == "perte"]["difference_ha"].tolist() == [-5.0, -5.0]
    fl = wl[wl["scenario"] == "Population plancher"]
    # losers sorted by loss: a (-3) first
    assert fl[fl["side"] == "perte"]["code"].tolist() == ["a", "b", "c"]
    assert hand.winners_losers(1).groupby(["scenario", "side"]).size().max() == 1
    assert "Uniforme" not in set(wl["scenario"])


def test_indicators_by_hand(hand):
    ind = hand.indicators()
    assert list(ind.index) == ["Uniforme", "Population", "Population plancher"]
    u, p, f = ind.loc["Uniforme"], ind.loc["Population"], ind.loc["Population plancher"]
    assert (u["reduction_min_pct"], u["reduction_max_pct"], u["reduction_iqr_pts"]) == (50, 50, 0)
    # reductions 50, 75, 75, 0: quartiles (linear) 37.5 and 75
    assert p["reduction_min_pct"] == pytest.approx(0.0)
    assert p["reduction_max_pct"] == pytest.approx(75.0)
    assert p["reduction_q1_pct"] == pytest.approx(37.5)
    assert p["reduction_iqr_pts"] == pytest.approx(37.5)
    # Gini per inhabitant of the uniform split, by hand: sorted by ha/inhabitant
    # d (0.025), a (0.05), b, c (0.1): P = .4 .8 .9 1, L = .2 .6 .8 1 → 1 - 0.72
    assert u["gini_per_inhabitant"] == pytest.approx(0.28)
    assert p["gini_per_inhabitant"] == pytest.approx(0.0, abs=1e-12)  # same ha per head
    assert u["m2_per_inhabitant"] == pytest.approx(500.0)  # 50 ha for 1,000 inhabitants
    assert (int(f["at_floor"]), int(f["at_cap"]), int(p["at_floor"])) == (2, 0, 0)
    assert (int(p["winners"]), int(p["losers"])) == (1, 2)
    assert (p["gain_ha"], p["loss_ha"]) == (10.0, 10.0)
    assert int(u["winners"]) == int(u["losers"]) == 0
    # shares per class: uniform 20 (pole) / 20 (rural) / 10 (bourg) of 50
    assert u["share_pole_pct"] == pytest.approx(40.0)
    assert u["share_rural_pct"] == pytest.approx(40.0)
    assert u["share_bourg_pct"] == pytest.approx(20.0)
    assert p["share_rural_pct"] == pytest.approx(20.0)
    assert hand.classes == ["pole", "bourg", "rural"]
    labels = hand.indicator_labels()
    assert labels["share_pole_pct"] == "Part de l'enveloppe : pôles (%)"


def test_gini():
    assert gini([1, 1, 1, 1]) == 0.0
    assert gini([0, 0, 0, 8]) == pytest.approx(0.75)
    # weighting by population: one territory of 3 people with nothing, one of 1 with 4 ha
    assert gini([0.0, 4.0], [3.0, 1.0]) == pytest.approx(0.75)
    assert math.isnan(gini([0.0, 0.0], [1.0, 1.0]))
    assert math.isnan(gini([], []))


def test_baseline_choice(hand):
    allocs = _allocations()
    c = compare(list(allocs), baseline="Population", population=POP, classes=None)
    assert c.baseline == "Population"
    assert c.others == ["Uniforme", "Population plancher"]
    assert c.difference_ha["Uniforme"].tolist() == [0.0, 5.0, 5.0, -10.0]
    assert compare(list(allocs), baseline=-1, classes=None, population=None).baseline == (
        "Population plancher"
    )
    with pytest.raises(ScenarioError, match="no scenario named 'X'; scenarios: Uniforme"):
        compare(list(allocs), baseline="X", classes=None, population=None)
    with pytest.raises(ScenarioError, match="position 7 out of range"):
        compare(list(allocs), baseline=7, classes=None, population=None)


def test_names_made_unique_and_dict_names():
    a, b, _ = _allocations()
    c = compare([a, a], population=None, classes=None)
    assert c.names == ("Uniforme", "Uniforme (2)")
    assert c.difference_ha.abs().to_numpy().max() == 0.0
    d = compare({"Avant": a, "Après": b}, population=None, classes=None)
    assert d.names == ("Avant", "Après")
    assert np.isnan(d.indicators()["gini_per_inhabitant"]).all()


def test_mismatched_territories_listed():
    a, _, _ = _allocations()
    other = TABLE.rename(index={"c": "z"})
    b = allocate(other, 50.0, criteria=[Criterion("uniform")], name="Autre")
    with pytest.raises(ScenarioError) as err:
        compare([a, b], population=None, classes=None)
    msg = str(err.value)
    assert "do not cover the same territories" in msg
    assert "1 only in 'Autre' (z)" in msg and "1 only in 'Uniforme' (c)" in msg


def test_population_series_must_cover_every_territory():
    a, b, _ = _allocations()
    with pytest.raises(DataError, match="no value for 1 territories"):
        compare([a, b], population=POP.drop("d"), classes=None)


def test_bad_input_named():
    with pytest.raises(ScenarioError, match=r"scenarios\[0\]: expected a scenario file"):
        compare([42])
    with pytest.raises(ScenarioError, match="no scenario given"):
        compare([])


def test_exports_read_back(hand, tmp_path):
    paths = write_comparison(hand, tmp_path / "sortie")
    assert [p.name for p in paths] == [
        "comparaison.csv",
        "indicateurs.csv",
        "gagnants_perdants.csv",
        "comparaison.xlsx",
    ]  # no geometry: no map
    csv = pd.read_csv(paths[0], dtype={"Code": str})
    assert csv["Enveloppe (ha) — Population plancher"].tolist() == [17.0, 8.0, 8.0, 17.0]
    assert csv["Écart (points) — Population − Uniforme"].tolist() == [0.0, 25.0, 25.0, -50.0]
    wb = openpyxl.load_workbook(paths[3])
    assert wb.sheetnames == [
        "Territoires",
        "Indicateurs",
        "Enveloppes (ha)",
        "Réductions (%)",
        "Écarts (ha)",
        "Écarts (points)",
        "Gagnants et perdants",
        "Scénarios",
    ]
    ws = wb["Territoires"]
    header = [c.value for c in ws[1]]
    assert header[:4] == [
        "Code",
        "Nom",
        "Consommation de référence (ha)",
        "Enveloppe (ha) — Uniforme",
    ]
    assert ws.freeze_panes == "C2"
    assert ws["D2"].value == 20.0 and ws["D2"].number_format == "#,##0.00"
    assert ws.cell(row=1, column=1).font.bold
    assert ws.column_dimensions["B"].width >= 8
    ind = wb["Indicateurs"]
    rows = {r[0].value: [c.value for c in r[1:]] for r in ind.iter_rows(min_row=2)}
    assert rows["Territoires au plancher"] == [0, 0, 2]
    assert rows["Indice de Gini de l'enveloppe par habitant"][0] == pytest.approx(0.28)
    wl = wb["Gagnants et perdants"]
    assert [c.value for c in wl[1]][:3] == ["Scénario", "Sens", "Rang"]
    assert {r[1].value for r in wl.iter_rows(min_row=2)} == {"gagnant", "perdant"}
    with pytest.raises(ScenarioError, match="unknown view 'x'; views: territoires"):
        hand.to_csv(tmp_path / "x.csv", view="x")


def test_repr_html_french_and_escaped():
    t = TABLE.copy()
    t.loc["a", "nom"] = "<script>x</script>"
    a, b, _ = _allocations(t)
    c = compare([a, b], population=POP, classes=None)
    out = c._repr_html_()
    assert "Comparaison de 2 scénarios" in out and "Indicateurs par scénario" in out
    assert "<script>x" not in out and "&lt;script&gt;" in out
    assert "Indice de Gini" in out
    assert "Comparison 2 scenarios" in repr(c)


def test_no_geometry_map_is_a_clear_error(hand):
    with pytest.raises(ScenarioError, match="no geometry to map"):
        hand.explore()


@pytest.fixture(scope="module")
def demo() -> Comparison:
    return compare(
        [
            scenario_path("01_reduction_uniforme"),
            scenario_path("02_consommation_population"),
            scenario_path("03_efficacite"),
        ],
    )


@pytest.mark.slow
def test_demo_comparison(demo):
    from zan.scenario import run_scenario

    assert demo.level == "epci" and demo.envelope_ha.shape == (20, 3)
    own = run_scenario(scenario_path("02_consommation_population")).table.sort_index()
    assert demo.envelope_ha["Consommation et population"].tolist() == own["envelope_ha"].tolist()
    ind = demo.indicators()
    shares = ind[[c for c in ind.columns if c.startswith("share_")]]
    assert np.allclose(shares.sum(axis=1), 100.0)
    assert ((ind["gini_per_inhabitant"] > 0) & (ind["gini_per_inhabitant"] < 1)).all()
    # the population blend narrows the gap per inhabitant against grandfathering alone
    assert (
        ind.loc["Consommation et population", "gini_per_inhabitant"]
        < ind.loc["Réduction uniforme", "gini_per_inhabitant"]
    )
    assert any("commune la plus peuplée" in n for n in demo.notes)
    # each EPCI's population is the sum of its communes'
    terr = demo.allocations[0].territories
    assert demo.territories_table["population"].sum() == terr.membership["population"].sum()


@pytest.mark.slow
def test_demo_map_and_files(demo, tmp_path):
    html = demo.explore(versus="Efficacité foncière").get_root().render()
    for name in demo.names:
        assert name in html
    assert "Écart Efficacité foncière − Réduction uniforme" in html
    assert "Écart Consommation et population − Réduction uniforme" not in html
    # by default every other scenario gets its difference layers against the baseline
    every = demo.explore().get_root().render()
    for other in demo.others:
        for unit in ("ha", "points de réduction"):
            # the layer control's entry (JSON-escaped in the page)
            assert json.dumps(f"Écart {other} − {demo.baseline} ({unit})") in every
    paths = write_comparison(demo, tmp_path)
    assert paths[-1].name == "carte_comparaison.html" and paths[-1].stat().st_size > 10_000
    wb = openpyxl.load_workbook(tmp_path / "comparaison.xlsx")
    assert wb["Territoires"].max_row == 21
    with pytest.raises(ScenarioError, match="versus: no scenario named 'X'"):
        demo.explore(versus="X")


@pytest.mark.slow
def test_cascade_needs_a_common_level():
    paths = [
        scenario_path("01_reduction_uniforme"),
        scenario_path("05_cascade_reserve_pene_garantie"),
    ]
    with pytest.raises(ScenarioError, match="different levels .*pass level='epci'"):
        compare(paths)
    c = compare(paths, level="epci")
    assert c.level == "epci" and c.envelope_ha.shape == (20, 2)
