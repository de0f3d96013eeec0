"""BatchProblem: the batch path's view of a prepared scenario (shares, bounds, codes)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from zan.batch import BatchProblem
from zan.datasets import scenario_path
from zan.errors import ScenarioError
from zan.rounding import NO_CAP_UNITS
from zan.scenario import prepare_scenario, run_scenario, sensitivity


@pytest.fixture(scope="module")
def prep02():
    return prepare_scenario(scenario_path("02_consommation_population"))


@pytest.fixture(scope="module")
def prep03():
    return prepare_scenario(scenario_path("03_efficacite"))


def test_codes_order_and_names(prep02):
    p = BatchProblem.from_prepared(prep02)
    codes = sorted(prep02.table.index.astype(str))
    assert p.codes.tolist() == codes
    # order: where each code sits in the prepared table
    assert prep02.table.index.astype(str)[p.order].tolist() == codes
    assert p.names.tolist() == prep02.table["nom"].astype(str).reindex(codes).tolist()
    assert p.criteria_names == ("consommation", "population")


def test_shares_are_each_criterion_normalised(prep02):
    p = BatchProblem.from_prepared(prep02)
    table = prep02.table.set_axis(prep02.table.index.astype(str)).reindex(p.codes)
    ref = table["reference_ha"].to_numpy(np.float64)
    pop = table["population"].to_numpy(np.float64)
    assert np.allclose(p.shares[:, 0], ref / ref.sum(), rtol=1e-12)
    assert np.allclose(p.shares[:, 1], pop / pop.sum(), rtol=1e-12)
    weights = np.array([c.weight for c in prep02.criteria], dtype=float)
    assert np.allclose(p.base_weights, weights / weights.sum())
    assert p.shares.flags["C_CONTIGUOUS"]


def test_bounds_in_units_match_the_plain_path(prep03):
    # 03 has a floor (garantie communale) and a cap on every territory
    p = BatchProblem.from_prepared(prep03)
    t = run_scenario(prep03).table.sort_index()
    res = p.resolution
    assert p.codes.tolist() == t.index.tolist()
    assert p.floor_units.dtype == np.int64 and p.cap_units.dtype == np.int64
    assert np.array_equal(p.floor_units, np.ceil(t["floor_ha"].to_numpy() / res - 1e-9))
    assert np.array_equal(p.cap_units, np.floor(t["cap_ha"].to_numpy() / res + 1e-9))
    assert (p.cap_units < NO_CAP_UNITS).all()
    assert np.array_equal(p.garantie_ha, t["garantie_ha"].to_numpy())
    assert np.array_equal(p.floors, p.floor_units * res)
    # the envelope is rounded down to the resolution, never above the distributed one
    assert p.envelope_ha <= p.distributed_ha < p.envelope_ha + res
    assert p.envelope_ha == pytest.approx(t["envelope_ha"].sum(), abs=1e-9)


def test_no_cap_is_infinite(prep02):
    p = BatchProblem.from_prepared(prep02)
    assert (p.cap_units == NO_CAP_UNITS).all()
    assert np.isinf(p.caps).all()


@pytest.mark.parametrize("name", ["02_consommation_population", "06_trace_2025"])
def test_rows_equal_the_plain_path(name):
    prep = prepare_scenario(scenario_path(name))
    p = BatchProblem.from_prepared(prep)
    variants = np.array([[1.0, 0.0], [0.0, 1.0], [0.3, 0.7], [0.85, 0.15]])
    b = p.run(variants)
    assert b.codes.tolist() == p.codes.tolist()
    for k, w in enumerate(variants):
        crit = [
            dataclasses.replace(c, weight=float(x)) for c, x in zip(prep.criteria, w, strict=True)
        ]
        alloc = run_scenario(dataclasses.replace(prep, criteria=crit)).table.sort_index()
        assert np.array_equal(b.rounded_ha[k], alloc["envelope_ha"].to_numpy())
        assert np.array_equal(b.values[k], alloc["exact_ha"].to_numpy())


def test_run_base_weights_is_the_scenario(prep03):
    p = BatchProblem.from_prepared(prep03)
    t = run_scenario(prep03).table.sort_index()
    b = p.run(p.base_weights[None, :])
    assert np.array_equal(b.rounded_ha[0], t["envelope_ha"].to_numpy())
    exact = p.run(p.base_weights[None, :], rounded=False)
    assert exact.units is None
    assert np.array_equal(exact.values[0], t["exact_ha"].to_numpy())


def test_same_as_scenario_sensitivity(prep02):
    p = BatchProblem.from_prepared(prep02)
    w = np.array([[0.2, 0.8], [0.6, 0.4]])
    envelopes = [p.distributed_ha, 0.9 * p.distributed_ha]
    a = sensitivity(prep02, w, envelopes=envelopes)
    b = p.run(w, p.envelopes(envelopes))
    assert np.array_equal(a.units, b.units)
    assert np.array_equal(a.values, b.values)


def test_bounds_rounds_floors_up_and_caps_down(prep02):
    p = BatchProblem.from_prepared(prep02)
    n = len(p.codes)
    floors = np.full((2, n), 1.234)
    caps = np.vstack([np.full(n, 9.876), np.full(n, np.inf)])
    f, c = p.bounds(floors, caps)
    assert f.shape == (2, n) and np.allclose(f, 1.24)
    assert np.allclose(c[0], 9.87) and np.isinf(c[1]).all()


def test_resolution_override(prep02):
    p = BatchProblem.from_prepared(prep02, resolution=0.1)
    assert p.resolution == 0.1
    units = p.run(p.base_weights[None, :]).units[0]
    assert units.sum() == int(np.floor(p.distributed_ha / 0.1 + 1e-6))


def test_refuses_a_cascade_and_rates_as_given():
    with pytest.raises(ScenarioError, match="single-level scenarios.*cascade"):
        BatchProblem.from_prepared(
            prepare_scenario(scenario_path("05_cascade_reserve_pene_garantie"))
        )
    with pytest.raises(ScenarioError, match="scale_targets = true"):
        BatchProblem.from_prepared(prepare_scenario(scenario_path("04_taux_differencies")))


def test_order_follows_an_unsorted_table(prep02):
    shuffled = prep02.table.iloc[::-1]
    p = BatchProblem.from_prepared(dataclasses.replace(prep02, table=shuffled))
    assert p.codes.is_monotonic_increasing
    assert pd.Index(shuffled.index.astype(str))[p.order].tolist() == p.codes.tolist()
