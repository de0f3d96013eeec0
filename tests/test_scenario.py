"""Tests of zan.scenario: shipped scenarios, bad scenarios, schema, hash, sensitivity, HdF."""

from __future__ import annotations

import json
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from helpers import shared_path

from zan.errors import InfeasibleError, ScenarioError, ZanWarning
from zan.scenario import (
    load_scenario,
    prepare_scenario,
    run_scenario,
    scenario_schema,
    sensitivity,
)

SCENARIOS = Path(__file__).resolve().parents[1] / "data" / "scenarios"
CASCADE = SCENARIOS / "05_cascade_reserve_pene_garantie.toml"
# Scenarios of real regions run on the user's files (tests/test_sraddet.py runs them).
DEMO_SCENARIOS = sorted(p for p in SCENARIOS.glob("*.toml") if not p.name.startswith("hdf_"))

BASE = """\
[scenario]
name = "essai"

[data]
communes = "demo:communes.gpkg"
communes_layer = "communes"
membership = "demo:communes.csv"
consumption = "demo:conso_enaf_2009_2023.csv"
passage = "demo:passage_cog2023_cog2024.csv"

[envelope]
reduction = 0.5

[allocation]
level = "epci"

[[criteria]]
name = "consommation"
rule = "past_consumption"
weight = 0.5

[[criteria]]
name = "population"
rule = "indicator"
weight = 0.5
params = { column = "population" }

[floors]
garantie_communale = true
"""


def write(tmp_path: Path, text: str, name: str = "scenario.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def units(values, res=0.01):
    return np.rint(np.asarray(values, dtype=float) / res).astype(np.int64)


# ----------------------------------------------------------------------------- shipped
def test_at_least_five_documented_scenarios_ship():
    files = sorted(p.name for p in SCENARIOS.glob("*.toml"))
    assert len(files) >= 5 and CASCADE.name in files
    readme = (SCENARIOS / "README.md").read_text(encoding="utf-8")
    for name in files:
        assert name in readme


@pytest.mark.parametrize("path", DEMO_SCENARIOS, ids=lambda p: p.stem)
def test_shipped_scenarios_run_and_check(path):
    alloc = run_scenario(path)
    assert alloc.check()
    assert alloc.scenario_hash == load_scenario(path).hash
    t = alloc.table
    assert (t["envelope_ha"] >= 0).all()
    assert units(alloc.level_table(alloc.levels[0])["envelope_ha"]).sum() == alloc.total_units


def test_uniform_scenario_gives_the_same_rate_everywhere():
    t = run_scenario(SCENARIOS / "01_reduction_uniforme.toml").table
    assert np.allclose(t["reduction_pct"], 50.0, atol=0.02)


def test_blend_scenario_takes_pene_off_by_perequation():
    a = run_scenario(SCENARIOS / "02_consommation_population.toml")
    ref = a.envelope.reference_ha
    assert a.envelope.pene_mode == "perequation"
    assert a.envelope.regional_ha == pytest.approx(ref * (0.5 - 10_000 / 223_700))
    assert a.distributed_ha == pytest.approx(np.floor(a.envelope.regional_ha * 100 + 1e-6) / 100)


def test_rates_scenario_applies_the_table():
    a = run_scenario(SCENARIOS / "04_taux_differencies.toml")
    rates = pd.read_csv(SCENARIOS / "taux_differencies.csv", dtype={"code": str}).set_index("code")
    t = a.table
    target = t["reference_ha"] * (1 - rates["reduction"].reindex(t.index))
    assert (np.abs(t["envelope_ha"] - target) <= 0.01).all()
    assert a.unallocated_ha > 0
    assert a.totals["unallocated_ha"] == pytest.approx(a.unallocated_ha)


def test_cascade_scenario(tmp_path):
    a = run_scenario(CASCADE)
    assert a.levels == ("scot", "epci", "commune")
    env = a.envelope
    assert env.reserve_ha == pytest.approx(0.05 * env.regional_ha)
    assert env.pene_mode == "perequation"
    communes = prepare_scenario(CASCADE).communes
    eligible = communes.index[communes["garantie_communale"].to_numpy(bool)]
    t = a.table
    assert (t.loc[eligible, "envelope_ha"] >= 1.0).all()
    assert t.loc[eligible, "garantie_ha"].eq(1.0).all()
    assert a.level_table("scot")["garantie_ha"].sum() == len(eligible)
    assert "hors_scot" in a.level_table("scot").index
    out = a.to_gpkg(tmp_path / "allocation.gpkg")
    layers = gpd.list_layers(out)["name"].tolist()
    assert layers == ["scot", "epci", "commune"]
    back = gpd.read_file(out, layer="commune")
    assert len(back) == len(t) and back.crs.to_epsg() == 2154


def test_trace_scenario_has_tolerance_and_no_pene():
    a = run_scenario(SCENARIOS / "06_trace_2025.toml")
    env = a.envelope
    assert env.reference_period == (2013, 2022) and env.target_period == (2024, 2033)
    assert env.regional_ha == pytest.approx(env.reference_ha * 0.5 * 1.2)
    assert env.pene_ha == 0.0


# ----------------------------------------------------------------------------- bad files
@pytest.mark.parametrize(
    ("old", "new", "patterns"),
    [
        (
            'level = "epci"',
            'levle = "epci"',
            ["allocation.levle", "unknown key", "valid keys here: level, cascade"],
        ),
        (
            'rule = "past_consumption"',
            'rule = "past_consumtion"',
            [
                "criteria[0].rule",
                "unknown rule 'past_consumtion'",
                "valid rules: blend, convergence",
            ],
        ),
        (
            "weight = 0.5\n\n[[criteria]]",
            "weight = 0.4\n\n[[criteria]]",
            ["the criteria weights sum to 0.9", "consommation=0.4", "normalise = true"],
        ),
        (
            "reduction = 0.5",
            "reduction = -0.5",
            ["envelope.reduction", "must be >= 0 (got -0.5)", "write 0.5 for a 50 % reduction"],
        ),
        ("reduction = 0.5", "reduction = 1.5", ["envelope.reduction", "must be <= 1 (got 1.5)"]),
        (
            'consumption = "demo:conso_enaf_2009_2023.csv"',
            'consumption = "conso.csv"',
            ["data.consumption", "file 'conso.csv' not found", "relative to the scenario file"],
        ),
        (
            'params = { column = "population" }',
            'params = { colum = "population" }',
            [
                "criteria[1]",
                "unknown parameter 'colum' for rule 'indicator'; valid parameters: column",
            ],
        ),
        ('params = { column = "population" }', "", ["criteria[1]", "needs the parameter 'column'"]),
        (
            "reduction = 0.5",
            'reduction = 0.5\npene = "beaucoup"',
            ["envelope.pene", "'perequation'"],
        ),
    ],
)
def test_bad_scenarios_name_file_key_and_fix(tmp_path, old, new, patterns):
    assert old in BASE
    text = BASE.replace(old, new, 1)
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    message = str(err.value)
    assert message.startswith(str(path))
    for pattern in patterns:
        assert pattern in message


def test_normalise_true_accepts_weights_not_summing_to_one(tmp_path):
    text = BASE.replace("weight = 0.5", "weight = 2", 1).replace(
        'level = "epci"', 'level = "epci"\nnormalise = true'
    )
    with pytest.warns(ZanWarning, match="aucune liste des communes éligibles"):
        a = run_scenario(write(tmp_path, text))
    assert a.weights == pytest.approx((2 / 2.5, 0.5 / 2.5))


def test_toml_syntax_error(tmp_path):
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load_scenario(write(tmp_path, BASE + "\n[floors\n"))
    with pytest.raises(ScenarioError, match="scenario file not found"):
        load_scenario(tmp_path / "absent.toml")


def test_infeasible_floors(tmp_path):
    path = write(tmp_path, BASE + "ha = 500.0\n")
    with pytest.raises(InfeasibleError) as err, pytest.warns(ZanWarning, match="éligibles"):
        run_scenario(path)
    message = str(err.value)
    assert message.startswith(str(path)) and "key 'floors'" in message
    assert "the floors of its EPCI territories add up to 10,000.00 ha" in message


def test_column_not_found(tmp_path):
    path = write(tmp_path, BASE.replace('column = "population"', 'column = "habitants"'))
    with pytest.raises(ScenarioError) as err:
        run_scenario(path)
    message = str(err.value)
    assert message.startswith(str(path)) and "key 'criteria[1]' (population)" in message
    assert (
        "column 'habitants' (parameter 'column') not found" in message and "population" in message
    )


def test_eligibility_column_not_found(tmp_path):
    path = write(tmp_path, BASE + 'eligible_column = "doc_urba"\n')
    with pytest.raises(
        ScenarioError, match=r"key 'floors.eligible_column': column 'doc_urba' not found"
    ):
        run_scenario(path)


def test_territory_table_without_the_level(tmp_path):
    from zan.datasets import get_path

    m = pd.read_csv(get_path("communes.csv"), dtype=str).drop(columns=["scot_code", "scot_nom"])
    m.to_csv(tmp_path / "membres.csv", index=False)
    text = BASE.replace('membership = "demo:communes.csv"', 'membership = "membres.csv"')
    path = write(tmp_path, text.replace('level = "epci"', 'level = "scot"'))
    with pytest.raises(ScenarioError) as err:
        run_scenario(path)
    message = str(err.value)
    assert "key 'allocation.level'" in message and "no level 'scot'" in message
    assert "levels: commune, epci, departement, region" in message


# ----------------------------------------------------------------------------- schema, hash
def test_schema_is_json_and_complete():
    schema = scenario_schema()
    text = json.dumps(schema)
    assert schema["title"] == "zan scenario"
    assert set(schema["required"]) == {"scenario", "data", "criteria"}
    crit = schema["$defs"]["CriterionConfig"]
    assert "efficiency" in crit["properties"]["rule"]["enum"]
    assert crit["additionalProperties"] is False
    assert "fixed_rates: rates, table, code_column" in text


def test_hash_is_stable_and_sensitive(tmp_path):
    a = load_scenario(write(tmp_path, BASE, "a.toml"))
    reordered = (
        BASE.replace("[envelope]\nreduction = 0.5\n", "")
        + "\n[envelope]\nreduction = 0.5 # -50 %\n"
    )
    b = load_scenario(write(tmp_path, reordered, "b.toml"))
    assert a.hash == b.hash and len(a.hash) == 64
    c = load_scenario(
        write(tmp_path, BASE.replace("reduction = 0.5", "reduction = 0.51"), "c.toml")
    )
    assert c.hash != a.hash


def test_scenario_is_immutable(tmp_path):
    sc = load_scenario(write(tmp_path, BASE))
    with pytest.raises(Exception, match="frozen"):
        sc.allocation.level = "scot"


# ----------------------------------------------------------------------------- sensitivity
def test_sensitivity_rows_equal_one_at_a_time(tmp_path):
    prep = prepare_scenario(SCENARIOS / "02_consommation_population.toml")
    weights = np.array([[1.0, 0.0], [0.25, 0.75], [0.5, 0.5]])
    batch = sensitivity(prep, weights)
    for k, (w0, w1) in enumerate(weights):
        text = BASE.replace("weight = 0.5", f"weight = {float(w0)!r}", 1).replace(
            "weight = 0.5", f"weight = {float(w1)!r}", 1
        )
        text = text.replace("reduction = 0.5", 'reduction = 0.5\npene = "perequation"')
        text = text + 'eligible_column = "garantie_communale"\n'
        alloc = run_scenario(write(tmp_path, text, f"s{k}.toml"))
        t = alloc.table.sort_index()
        assert list(batch.codes) == t.index.tolist()
        assert np.array_equal(batch.values[k], t["exact_ha"].to_numpy())
        assert np.array_equal(batch.units[k], units(t["envelope_ha"]))


# ----------------------------------------------------------------------------- real data
@pytest.mark.realdata
@pytest.mark.slow
def test_hauts_de_france_92_epci_population_garantie(tmp_path):
    communes = shared_path(
        "hdf", "boundaries", "communes_hdf_cog2026_from_france-geojson-2018_dissolved.geojson"
    )
    membership = shared_path("hdf", "admin", "communes_hdf_cog2026.csv")
    text = f"""
[scenario]
name = "Hauts-de-France, population"

[data]
communes = "{communes}"
membership = "{membership}"

[envelope]
reference_ha = 16275
pene = "perequation"

[allocation]
level = "epci"

[[criteria]]
name = "population"
rule = "indicator"
params = {{ column = "population_insee_pmun" }}

[floors]
garantie_communale = true
"""
    with pytest.warns(ZanWarning, match="les 3\u202f782 communes sont toutes comptées éligibles"):
        alloc = run_scenario(write(tmp_path, text))
    t = alloc.table
    assert len(t) == 92
    assert abs(alloc.distributed_ha - 7_410) <= 0.5
    assert units(t["envelope_ha"]).sum() == alloc.total_units
    assert alloc.envelope.garantie_communes == 3_782
    assert t["garantie_ha"].sum() == 3_782
    assert (units(t["envelope_ha"]) >= units(t["garantie_ha"])).all()
    assert (t["bound"] == "floor").any()  # rural EPCI are held up by the garantie
    assert alloc.check()
    out = alloc.to_gpkg(tmp_path / "hdf.gpkg")
    back = gpd.read_file(out, layer="epci")
    assert len(back) == 92 and back.geometry.notna().all()
    assert back.geometry.area.sum() / 1e6 == pytest.approx(32_002, rel=0.01)
