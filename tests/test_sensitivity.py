"""Sensitivity analysis: Sobol estimators, intervals, the [sensitivity] section, exports."""

from __future__ import annotations

import math

import numpy as np
import openpyxl
import pandas as pd
import pytest

from zan.datasets import scenario_path
from zan.envelope import regional_envelope
from zan.errors import InfeasibleError, ScenarioError
from zan.scenario import run_scenario
from zan.sensitivity import (
    DistributionConfig,
    SensitivityConfig,
    prepare,
    read_scenario,
    saltelli_design,
    sensitivity_analysis,
    sobol_indices,
    write_sensitivity,
)

U = DistributionConfig  # uniform by default


def ishigami(X: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.sin(X[:, 0]) + a * np.sin(X[:, 1]) ** 2 + b * X[:, 2] ** 4 * np.sin(X[:, 0])


def ishigami_indices(a: float = 7.0, b: float = 0.1):
    """Analytic indices (Ishigami & Homma 1990; Sobol' & Levitan 1999)."""
    pi = math.pi
    v1 = 0.5 * (1 + b * pi**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * pi**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / v, np.array([v1 + v13, v2, v13]) / v


def test_ishigami_known_indices():
    X = saltelli_design([U(min=-math.pi, max=math.pi)] * 3, 2**14, seed=3)
    S, ST, V = sobol_indices(ishigami(X), 3)
    s_true, st_true = ishigami_indices()
    assert np.allclose(S, s_true, atol=0.02), S
    assert np.allclose(ST, st_true, atol=0.02), ST
    assert V > 0


def test_same_numbers_as_salib():
    from SALib.analyze import sobol

    X = saltelli_design([U(min=-math.pi, max=math.pi)] * 3, 1024, seed=5)
    Y = ishigami(X)
    # SALib wants the rows grouped per base sample: A, AB_1..AB_P, B
    N, P = 1024, 3
    blocks = [X[:N]] + [X[(2 + i) * N : (3 + i) * N] for i in range(P)] + [X[N : 2 * N]]
    Ys = [Y[:N]] + [Y[(2 + i) * N : (3 + i) * N] for i in range(P)] + [Y[N : 2 * N]]
    Y_salib = np.stack(Ys, axis=1).reshape(-1)
    assert np.stack(blocks, axis=1).shape == (N, P + 2, P)
    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-math.pi, math.pi]] * 3}
    ref = sobol.analyze(problem, Y_salib, calc_second_order=False, num_resamples=10, seed=1)
    S, ST, _ = sobol_indices(Y, 3)
    assert np.allclose(S, ref["S1"], atol=1e-10)
    assert np.allclose(ST, ref["ST"], atol=1e-10)


def test_additive_model_vector_output():
    # y_t = c_t1 x1 + c_t2 x2 with x uniform: S_i = c_ti^2 / (c_t1^2 + c_t2^2) = ST_i
    X = saltelli_design([U(min=0, max=1), U(min=0, max=1)], 4096, seed=1)
    C = np.array([[1.0, 0.0], [1.0, 1.0], [1.0, 2.0]])
    Y = X @ C.T
    S, ST, V = sobol_indices(Y, 2)
    expected = C.T**2 / (C**2).sum(axis=1)
    assert np.allclose(S, expected, atol=0.01)
    assert np.allclose(ST, expected, atol=0.01)
    assert np.allclose(V, (C**2).sum(axis=1) / 12, rtol=0.02)


def test_constant_output_gives_missing_indices():
    X = saltelli_design([U(min=0, max=1)], 1024, seed=0)
    Y = np.column_stack([np.full(len(X), 3.0), X[:, 0]])
    S, ST, V = sobol_indices(Y, 1)
    assert np.isnan(S[0, 0]) and np.isnan(ST[0, 0]) and V[0] == 0.0
    assert S[0, 1] == pytest.approx(1.0, abs=0.05)
    with pytest.raises(ScenarioError, match="do not form a Saltelli design"):
        sobol_indices(np.zeros(10), 2)


def test_design_layout_and_distributions():
    d = [
        U(min=0.2, max=0.4),
        DistributionConfig(distribution="triangular", min=0, mode=1, max=4),
        DistributionConfig(distribution="normal", mean=1.0, sd=0.2, min=0.0),
        DistributionConfig(distribution="loguniform", min=1, max=100),
    ]
    X = saltelli_design(d, 1024, seed=7)
    assert X.shape == (1024 * 6, 4)
    A, B = X[:1024], X[1024:2048]
    for i in range(4):
        AB = X[(2 + i) * 1024 : (3 + i) * 1024]
        assert (AB[:, i] == B[:, i]).all()
        assert (np.delete(AB, i, axis=1) == np.delete(A, i, axis=1)).all()
    assert A[:, 0].min() >= 0.2 and A[:, 0].max() <= 0.4
    assert A[:, 1].mean() == pytest.approx(5 / 3, abs=0.02)  # (0 + 1 + 4) / 3
    assert A[:, 2].mean() == pytest.approx(1.0, abs=0.01) and A[:, 2].min() >= 0.0
    assert np.median(A[:, 3]) == pytest.approx(10.0, rel=0.05)  # geometric middle
    # same seed, same design; another seed, another one
    assert np.array_equal(X, saltelli_design(d, 1024, seed=7))
    assert not np.array_equal(X, saltelli_design(d, 1024, seed=8))


def test_config_validation_messages():
    c = SensitivityConfig.model_validate({"weights": {"a": [0.1, 0.2]}})
    assert c.weights["a"].bounds == (0.1, 0.2)
    with pytest.raises(ValueError, match="unknown parameter 'envelope.x'"):
        SensitivityConfig.model_validate({"parameters": {"envelope.x": [0, 1]}})
    with pytest.raises(ValueError, match="a range is two numbers"):
        SensitivityConfig.model_validate({"weights": {"a": [0.1, 0.2, 0.3]}})
    with pytest.raises(ValueError, match="min <= mode <= max"):
        DistributionConfig(distribution="triangular", min=0, mode=2, max=1)
    with pytest.raises(ValueError, match="needs 'mean' and 'sd'"):
        DistributionConfig(distribution="normal", mean=1.0)


# ----------------------------------------------------------------------------- scenarios
@pytest.fixture(scope="module")
def prep02():
    return prepare(scenario_path("02_consommation_population"))


def test_zero_variation_gives_zero_width_intervals():
    # one criterion: after normalisation its weight is always 1 (the ±50 % default)
    r = sensitivity_analysis(scenario_path("01_reduction_uniforme"), samples=400)
    t = r.intervals
    assert (t["width90_ha"] == 0).all()
    assert (t["min_ha"] == t["max_ha"]).all() and (t["p05_ha"] == t["p95_ha"]).all()
    own = run_scenario(scenario_path("01_reduction_uniforme")).table.sort_index()
    assert np.allclose(t["median_ha"], own["exact_ha"], atol=1e-9)
    assert r.first_order.isna().all().all() and r.indices["total"].isna().all()
    assert any("Aucune variation" in n for n in r.notes)


def test_default_weights_vary_fifty_percent(prep02):
    r = sensitivity_analysis(prep02, samples=1024, seed=1)
    p = r.parameters
    assert list(p.index) == ["weights.consommation", "weights.population"]
    assert p["min"].tolist() == [0.25, 0.25] and p["max"].tolist() == [0.75, 0.75]
    assert r.n_base == 256 and len(r.samples) == 1024 == len(r.values)
    t = r.intervals
    assert (
        (t["min_ha"] <= t["p05_ha"])
        & (t["p05_ha"] <= t["median_ha"])
        & (t["median_ha"] <= t["p95_ha"])
        & (t["p95_ha"] <= t["max_ha"])
    ).all()
    q = np.quantile(r.values, [0.05, 0.5, 0.95], axis=0)
    assert np.allclose(t[["p05_ha", "median_ha", "p95_ha"]].to_numpy().T, q, rtol=1e-6)
    assert (t["width90_ha"] > 0).any()
    # every variant shares the same envelope
    assert np.allclose(r.values.sum(axis=1), r.values[0].sum())
    # the scenario's own rounded envelope
    own = run_scenario(prep02).table.sort_index()
    assert t["base_ha"].tolist() == own["envelope_ha"].tolist()
    # two weights that only count relative to each other: symmetric roles
    assert r.indices["total"].sum() == pytest.approx(1.0, abs=0.1)
    assert r.indices.loc["weights.population", "first_order"] > 0.3
    # same seed: same result
    again = sensitivity_analysis(prep02, samples=1024, seed=1)
    assert np.array_equal(again.values, r.values)


def test_batch_rows_equal_the_plain_path(prep02):
    import dataclasses

    r = sensitivity_analysis(prep02, samples=64, seed=2, rounded=True)
    for k in (0, 17, 63):
        w = r.samples.iloc[k].to_numpy()
        w = w / w.sum()
        crit = [
            dataclasses.replace(c, weight=float(x)) for c, x in zip(prep02.criteria, w, strict=True)
        ]
        alloc = run_scenario(dataclasses.replace(prep02, criteria=crit))
        assert np.array_equal(alloc.table.sort_index()["envelope_ha"].to_numpy(), r.values[k])


def test_reduction_and_garantie_parameters(prep02):
    r = sensitivity_analysis(
        prep02,
        samples=600,
        ranges={
            "envelope.reduction": (0.45, 0.55),
            "floors.ha_per_commune": (0.5, 1.5),
            "weights.population": (0.4, 0.6),
        },
    )
    assert list(r.parameters.index) == [
        "weights.population",
        "envelope.reduction",
        "floors.ha_per_commune",
    ]
    assert r.parameters.loc["envelope.reduction", "base"] == 0.5
    env = prep02.envelope
    for k in (0, 5, 100):
        red = r.samples.loc[k, "envelope.reduction"]
        expect = regional_envelope(
            env.reference_ha,
            reduction=red,
            pene="perequation",
            garantie_communes=env.garantie_communes,
        ).distributed_ha
        assert r.values[k].sum() == pytest.approx(math.floor(expect / 0.01 + 1e-6) * 0.01, abs=1e-6)
        # garantie communale: eligible communes × ha per commune, per EPCI
        eligible = (prep02.garantie.sort_index() / 1.0).to_numpy()
        hpc = r.samples.loc[k, "floors.ha_per_commune"]
        assert (r.values[k] >= np.ceil(eligible * hpc / 0.01 - 1e-9) * 0.01 - 1e-9).all()
    # the reduction drives the envelope far more than the garantie
    assert (
        r.indices.loc["envelope.reduction", "total"]
        > r.indices.loc["floors.ha_per_commune", "total"]
    )


def test_fixed_range_is_left_out(prep02):
    r = sensitivity_analysis(
        prep02, samples=64, ranges={"consommation": (0.5, 0.5), "population": (0.3, 0.7)}
    )
    assert list(r.parameters.index) == ["weights.population"]
    assert any("Paramètres fixés" in n for n in r.notes)


def test_errors_name_the_key(prep02):
    with pytest.raises(ScenarioError, match="unknown key 'emplois'; give a criterion name"):
        sensitivity_analysis(prep02, ranges={"emplois": (0, 1)})
    with pytest.raises(ScenarioError, match="gives a reduction, not envelope_ha"):
        sensitivity_analysis(prep02, ranges={"envelope.envelope_ha": (100, 200)})
    with pytest.raises(ScenarioError, match="cannot be negative"):
        sensitivity_analysis(prep02, ranges={"population": (-0.1, 0.5)})
    with pytest.raises(ScenarioError, match="too few for 2 parameters"):
        sensitivity_analysis(prep02, samples=6)
    with pytest.raises(
        InfeasibleError, match=r"a variant cannot be allocated \(floors.ha = .*narrow"
    ):
        sensitivity_analysis(prep02, samples=16, ranges={"floors.ha": (50, 500)})


@pytest.mark.slow
def test_cascade_refused_with_a_fix():
    with pytest.raises(ScenarioError, match="single-level scenarios.*cascade.*level to one level"):
        sensitivity_analysis(scenario_path("05_cascade_reserve_pene_garantie"), samples=64)


SECTION = """
[scenario]
name = "Avec sensibilité"

[data]
communes = "demo:communes.gpkg"
communes_layer = "communes"
membership = "demo:communes.csv"
consumption = "demo:conso_enaf_2009_2023.csv"
passage = "demo:passage_cog2023_cog2024.csv"

[envelope]
reduction = 0.5

[[criteria]]
name = "consommation"
rule = "past_consumption"
weight = 0.5

[[criteria]]
name = "population"
rule = "indicator"
weight = 0.5
params = {{ column = "population" }}

{section}
"""


def test_section_in_the_scenario_file(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text(
        SECTION.format(
            section="""
[sensitivity]
samples = 128
seed = 11

[sensitivity.weights]
population = { distribution = "triangular", min = 0.3, mode = 0.5, max = 0.7 }

[sensitivity.parameters]
"envelope.reduction" = [0.4, 0.6]
"""
        ),
        encoding="utf-8",
    )
    sc, config = read_scenario(path)
    assert sc.scenario.name == "Avec sensibilité" and config.samples == 128
    r = sensitivity_analysis(path)
    assert list(r.parameters.index) == ["weights.population", "envelope.reduction"]
    assert r.seed == 11 and len(r.samples) == 128 // 4 * 4
    assert r.parameters.loc["weights.population", "distribution"].startswith("triangulaire")
    assert sensitivity_analysis(path, samples=64).n_base == 16  # the argument wins


@pytest.mark.parametrize(
    "section, words",
    [
        ("[sensitivity]\nsample = 10", ["sensitivity.sample", "unknown key"]),
        (
            "[sensitivity.weights]\nemplois = [0, 1]",
            ["sensitivity.weights.emplois", "no criterion"],
        ),
        ('[sensitivity.parameters]\n"caps.x" = [0, 1]', ["unknown parameter 'caps.x'"]),
        (
            '[sensitivity.weights]\npopulation = { distribution = "normal", mean = 0.5 }',
            ["sensitivity.weights.population", "'mean' and 'sd'"],
        ),
    ],
)
def test_section_errors(tmp_path, section, words):
    path = tmp_path / "s.toml"
    path.write_text(SECTION.format(section=section), encoding="utf-8")
    with pytest.raises(ScenarioError) as err:
        sensitivity_analysis(path, samples=64)
    assert str(path) in str(err.value)
    for w in words:
        assert w in str(err.value)


def test_exports_plot_map(prep02, tmp_path):
    r = sensitivity_analysis(prep02, samples=256)
    paths = write_sensitivity(r, tmp_path / "sortie", png=True)
    names = [p.name for p in paths]
    assert names == [
        "intervalles.csv",
        "indices.csv",
        "sensibilite.xlsx",
        "eventail.png",
        "carte_largeur.html",
        "carte_largeur.png",
    ]
    assert all(p.stat().st_size > 0 for p in paths)
    assert (tmp_path / "sortie" / "eventail.png").read_bytes()[:4] == b"\x89PNG"
    csv = pd.read_csv(paths[0], dtype={"Code": str})
    assert csv["Code"].tolist() == r.intervals.index.tolist()
    assert np.allclose(csv["Médiane (ha)"], r.intervals["median_ha"], atol=1e-4)
    wb = openpyxl.load_workbook(paths[2])
    assert wb.sheetnames == [
        "Intervalles",
        "Indices",
        "Indices du 1er ordre",
        "Indices totaux",
        "Paramètres",
    ]
    ws = wb["Indices"]
    assert [c.value for c in ws[1]][-2:] == [
        "Indice de Sobol du 1er ordre",
        "Indice de Sobol total",
    ]
    assert ws["H2"].value == pytest.approx(r.indices["total"].iloc[0])
    assert wb["Intervalles"].freeze_panes == "C2"
    html = (tmp_path / "sortie" / "carte_largeur.html").read_text(encoding="utf-8")
    assert "Largeur de l" in html
    fig = r.plot(max_territories=5)
    assert len(fig.axes[0].get_yticklabels()) == 5
    out = r._repr_html_()
    assert "Analyse de sensibilité" in out and "Indice de Sobol total" in out


def test_summaries_do_not_depend_on_threads():
    from zan.sensitivity import _summaries

    rng = np.random.default_rng(4)
    Y = rng.lognormal(1.0, 1.0, (7 * 60, 300))
    Y[:, 5] = 3.0  # a constant output
    one = _summaries(Y, 5, block=16, threads=1)
    many = _summaries(Y, 5, block=16, threads=3)
    for a, b in zip(one, many, strict=True):
        assert np.array_equal(a, b, equal_nan=True)
    q = np.quantile(Y, [0.05, 0.5, 0.95], axis=0)
    np.testing.assert_allclose(one[3], q, rtol=2e-7)
    assert one[2][5] == 0.0 and np.isnan(one[0][:, 5]).all()


def test_width_map_named_in_french_with_one_unit(prep02, tmp_path):
    import json

    from zan.maps._base import _ChoroLayer
    from zan.sensitivity_outputs import width_map, width_png

    r = sensitivity_analysis(prep02, samples=64)
    for column, unit in (("width90_ha", "(ha)"), ("width90_pct", "(% de la médiane)")):
        m = width_map(r, column)
        [layer] = [c for c in m._children.values() if isinstance(c, _ChoroLayer)]
        assert layer.title == "Largeur de l'intervalle à 90 %"
        payload = json.loads(layer.payload)
        head = payload["legend"].split("</div>")[0]
        assert head == f'<div class="zan-lt">Largeur de l&#x27;intervalle à 90 % {unit}'
        assert payload["tip"][0]["l"] == "Largeur de l'intervalle à 90 %"
        assert [f["l"] for f in payload["pop"]][-3:] == [
            "Maximum",
            "Largeur de l'intervalle à 90 %",
            "Largeur de l'intervalle à 90 %",
        ]
        assert [f["u"] for f in payload["pop"]][-2:] == ["ha", "% de la médiane"]
        html = m.get_root().render()
        assert "Critère" not in html and "critère" not in html and "(ha) (ha)" not in html
    fig_path = width_png(r, tmp_path / "largeur.png")
    assert fig_path.read_bytes()[:4] == b"\x89PNG"
