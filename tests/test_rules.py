"""Tests of zan.rules: each rule by hand, the registry, criteria and modulation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from zan.errors import ScenarioError
from zan.rules import (
    Criterion,
    Modulation,
    convergence_factor,
    criteria_matrix,
    evaluate_rule,
    get_rule,
    modulation_coefficients,
    register_rule,
    rule_names,
    rule_parameters,
)


@pytest.fixture
def t():
    return pd.DataFrame(
        {
            "reference_ha": [10.0, 30.0, 60.0],
            "population": [1000, 2000, 1000],
            "population_2015": [900, 2100, 950],
            "menages": [500, 900, 420],
            "menages_2015": [400, 900, 400],
            "emplois": [300, 800, 200],
            "emplois_2015": [300, 700, 210],
            "armature": ["pole", "bourg", "rural"],
            "area_ha": [500.0, 1500.0, 3000.0],
        },
        index=["A", "B", "C"],
    )


def test_registry_lists_every_rule():
    assert rule_names() == [
        "blend",
        "convergence",
        "efficiency",
        "fixed_rates",
        "growth",
        "indicator",
        "past_consumption",
        "profiles",
        "uniform",
    ]
    assert get_rule("fixed_rates").kind == "target"
    assert not get_rule("fixed_rates").modulable


def test_unknown_rule_lists_valid_ones(t):
    with pytest.raises(ScenarioError, match=r"unknown rule 'pop'; valid rules: blend, convergence"):
        evaluate_rule("pop", t)


def test_unknown_parameter_lists_valid_ones(t):
    with pytest.raises(ScenarioError, match=r"unknown parameter 'colum'; valid parameters: column"):
        evaluate_rule("indicator", t, colum="population")


def test_missing_column_names_the_parameter(t):
    with pytest.raises(ScenarioError, match=r"column 'habitants' \(parameter 'column'\) not found"):
        evaluate_rule("indicator", t, column="habitants")


def test_uniform_by_hand(t):
    np.testing.assert_array_equal(evaluate_rule("uniform", t), [10, 30, 60])
    np.testing.assert_allclose(evaluate_rule("uniform", t, reduction=0.6), [4, 12, 24])
    with pytest.raises(ScenarioError, match="write 0.5 for a 50 % reduction"):
        evaluate_rule("uniform", t, reduction=50)


def test_past_consumption_and_indicator_by_hand(t):
    np.testing.assert_array_equal(evaluate_rule("past_consumption", t), [10, 30, 60])
    np.testing.assert_array_equal(
        evaluate_rule("indicator", t, column="area_ha"), [500, 1500, 3000]
    )


def test_growth_by_hand(t):
    # +100, -100 (counts as 0), +50
    np.testing.assert_array_equal(evaluate_rule("growth", t), [100, 0, 50])
    np.testing.assert_allclose(evaluate_rule("growth", t, relative=True), [100 / 900, 0, 50 / 950])


def test_efficiency_by_hand(t):
    # gains: A 100+0=100, B 0+100=100, C 20-10=10; consumption 10, 30, 60 ha
    # regional efficiency 210/100 = 2.1 per ha; ratios 10/2.1=4.76→2 (clip), 3.33/2.1=1.587,
    # 0.1667/2.1=0.0794→0.5 (clip); weights = consumption × ratio ** 0.5
    w = evaluate_rule("efficiency", t)
    np.testing.assert_allclose(w, [10 * 2**0.5, 30 * (100 / 30 / 2.1) ** 0.5, 60 * 0.5**0.5])
    # elasticity 0 is pure grandfathering
    np.testing.assert_allclose(evaluate_rule("efficiency", t, elasticity=0.0), [10, 30, 60])


def test_efficiency_without_gain_is_an_error(t):
    flat = t.assign(menages=t["menages_2015"], emplois=t["emplois_2015"])
    with pytest.raises(ScenarioError, match="no gain of households"):
        evaluate_rule("efficiency", flat)


def test_fixed_rates_from_column_mapping_and_table(t):
    rates = {"A": 0.5, "B": 0.6, "C": 0.7}
    np.testing.assert_allclose(evaluate_rule("fixed_rates", t, rates=rates), [5, 12, 18])
    table = pd.DataFrame({"code": ["C", "A", "B"], "taux": ["0.7", "0.5", "0.6"]})
    np.testing.assert_allclose(
        evaluate_rule("fixed_rates", t, table=table, rates="taux"), [5, 12, 18]
    )
    with_col = t.assign(reduction=[0.5, 0.6, 0.7])
    np.testing.assert_allclose(evaluate_rule("fixed_rates", with_col), [5, 12, 18])


def test_fixed_rates_errors(t):
    with pytest.raises(ScenarioError, match=r"no value for 1 territories \(C\)"):
        evaluate_rule("fixed_rates", t, rates={"A": 0.5, "B": 0.6})
    np.testing.assert_allclose(
        evaluate_rule("fixed_rates", t, rates={"A": 0.5, "B": 0.6}, default=0.5), [5, 12, 30]
    )
    with pytest.raises(ScenarioError, match=r"outside \[0, 1\] \(e.g. A: 50.0\)"):
        evaluate_rule("fixed_rates", t, rates={"A": 50, "B": 0.6, "C": 0.7})
    table = pd.DataFrame({"code": ["A", "B", "C", "Z"], "reduction": [0.5] * 4})
    with pytest.raises(ScenarioError, match="codes that are not territories of this level \\(Z\\)"):
        evaluate_rule("fixed_rates", t, table=table)


def test_profiles_by_hand(t):
    w = evaluate_rule(
        "profiles", t, column="armature", rates={"pole": 0.4, "bourg": 0.5}, default=0.6
    )
    np.testing.assert_allclose(w, [6, 15, 24])
    with pytest.raises(ScenarioError, match="rural"):
        evaluate_rule("profiles", t, column="armature", rates={"pole": 0.4, "bourg": 0.5})


def test_blend_by_hand(t):
    # consumption shares .1 .3 .6, population shares .25 .5 .25 → 0.5/0.5 mix
    w = evaluate_rule(
        "blend",
        t,
        components=[
            {"rule": "past_consumption", "weight": 0.5},
            {"rule": "indicator", "weight": 0.5, "params": {"column": "population"}},
        ],
    )
    np.testing.assert_allclose(w, [0.175, 0.4, 0.425])


def test_convergence_by_hand(t):
    # 2031-2040 with 2021→2050: t = mean((10..19)/29) = 0.5; 2041-2050: 24.5/29
    assert convergence_factor((2031, 2040), 2021, 2050) == pytest.approx(0.5)
    assert convergence_factor((2041, 2050), 2021, 2050) == pytest.approx(24.5 / 29)
    assert convergence_factor((2000, 2010), 2021, 2050) == 0.0
    w = evaluate_rule("convergence", t, period=(2031, 2040))
    np.testing.assert_allclose(
        w, 0.5 * np.array([0.1, 0.3, 0.6]) + 0.5 * np.array([0.25, 0.5, 0.25])
    )
    late = evaluate_rule("convergence", t, period=(2041, 2050))
    assert late[1] > w[1]  # B, the populous one, gains as shares converge to per-capita


def test_modulation_coefficients(t):
    m = modulation_coefficients(t, column="armature", values={"pole": 1.1}, codes={"C": 0.5})
    np.testing.assert_allclose(m, [1.1, 1.0, 0.5])
    with pytest.raises(ScenarioError, match="codes not among the territories"):
        modulation_coefficients(t, codes={"Z": 2.0})


def test_criteria_matrix_blends_shares_with_modulation(t):
    crit = [
        Criterion("past_consumption", 0.5, name="conso"),
        Criterion(
            "indicator",
            0.5,
            {"column": "population"},
            name="pop",
            modulation=Modulation(column="armature", values={"pole": 2.0}),
        ),
    ]
    m = criteria_matrix(t, crit)
    # population × modulation: 2000, 2000, 1000 → shares .4 .4 .2
    np.testing.assert_allclose(m.shares[:, 1], [0.4, 0.4, 0.2])
    np.testing.assert_allclose(m.blended(), [0.25, 0.35, 0.4])
    assert m.names == ("conso", "pop")


def test_criteria_errors(t):
    with pytest.raises(ScenarioError, match="sum to 0.9"):
        criteria_matrix(t, [Criterion("uniform", 0.9)])
    with pytest.raises(ScenarioError, match="used twice"):
        criteria_matrix(t, [Criterion("uniform", 0.5), Criterion("uniform", 0.5)])
    with pytest.raises(ScenarioError, match="does not allow modulation"):
        criteria_matrix(
            t,
            [
                Criterion(
                    "fixed_rates",
                    1.0,
                    {"rates": {"A": 0.5, "B": 0.5, "C": 0.5}},
                    modulation=Modulation(codes={"A": 2.0}),
                )
            ],
        )


def test_rule_output_is_checked(t):
    with pytest.raises(ScenarioError, match="negative values"):
        evaluate_rule("indicator", t.assign(x=[1, -1, 2]), column="x")
    with pytest.raises(ScenarioError, match="zero weight to every territory"):
        evaluate_rule("indicator", t.assign(x=[0, 0, 0]), column="x")
    with pytest.raises(ScenarioError, match=r"missing or non-numeric values \(territories B\)"):
        evaluate_rule("indicator", t.assign(x=[1, None, 2]), column="x")


def test_register_rule_and_duplicates(t):
    @register_rule("test_area", label="surface")
    def _area(data, *, column: str = "area_ha"):
        return data[column].to_numpy(float)

    try:
        assert "test_area" in rule_names()
        assert list(rule_parameters("test_area")) == ["column"]
        np.testing.assert_array_equal(evaluate_rule("test_area", t), [500, 1500, 3000])
        with pytest.raises(ScenarioError, match="already registered"):
            register_rule("test_area")(_area)
    finally:
        from zan import rules

        rules._REGISTRY.pop("test_area", None)
