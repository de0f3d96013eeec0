"""Tests of zan.allocate: water-filling, rounding, garantie, cascade, Allocation, batch."""

from __future__ import annotations

import dataclasses

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from reference_allocation import largest_remainder as ref_lr
from reference_allocation import water_fill as ref_water_fill
from shapely.geometry import box
from strategies import Problem, problems

from zan.allocate import (
    allocate,
    allocate_batch,
    allocate_cascade,
    garantie_floors,
    round_to_resolution,
    water_fill,
)
from zan.envelope import regional_envelope
from zan.errors import InfeasibleError, ScenarioError, ValidationError
from zan.rules import Criterion

POP = [Criterion("indicator", 1.0, {"column": "population"}, name="population")]
WEIGHT = [Criterion("indicator", 1.0, {"column": "poids"}, name="poids")]


def units(values, res=0.01):
    return np.rint(np.asarray(values, dtype=float) / res).astype(np.int64)


# ----------------------------------------------------------------------------- water_fill
def test_water_fill_floor_by_hand():
    # λ = 7/3: a's share (7/3) is under its floor 3, so it gets 3; b, c share 7 as 1:2
    r = water_fill([1, 1, 2], 10, floors=[3, 0, 0])
    np.testing.assert_allclose(r.values, [3, 7 / 3, 14 / 3], rtol=1e-15)
    assert r.multiplier == pytest.approx(7 / 3)
    assert r.at_floor.tolist() == [True, False, False]
    assert not r.at_cap.any()


def test_water_fill_cap_by_hand():
    r = water_fill([1, 1, 1, 1], 10, caps=[1, np.inf, np.inf, np.inf])
    np.testing.assert_allclose(r.values, [1, 3, 3, 3])
    assert r.at_cap.tolist() == [True, False, False, False]


def test_water_fill_floor_and_cap_together():
    # weights 1:2:7 of 20: 2, 4, 14; cap 10 on c → a, b share 10 as 1:2 but a's floor is 4
    r = water_fill([1, 2, 7], 20, floors=[4, 0, 0], caps=[np.inf, np.inf, 10])
    np.testing.assert_allclose(r.values, [4, 6, 10])
    assert r.at_floor.tolist() == [True, False, False]
    assert r.at_cap.tolist() == [False, False, True]


def test_infeasible_floors_state_the_numbers():
    with pytest.raises(InfeasibleError, match=r"floors add up to 12\.00 ha.*envelope of 10\.00 ha"):
        water_fill([1, 1], 10, floors=[6, 6])


def test_infeasible_caps_name_zero_weights():
    with pytest.raises(
        InfeasibleError, match=r"caps add up to 2\.00 ha \(1 territories of weight 0"
    ):
        water_fill([1, 0], 5, caps=[2, np.inf])


@settings(max_examples=150, deadline=None)
@given(problems())
@example(  # the reference's slope 17 + 0.001 - 17 drifts by 1.2e-8 ha here
    Problem(
        codes=["01000", "01001", "01002", "01003", "01004"],
        weights=np.array([0.0, 17.0, 0.0, 0.0, 0.001]),
        floors=np.zeros(5),
        caps=np.array([np.inf, 0.0, np.inf, np.inf, np.inf]),
        total=10_000.0,
    )
)
def test_water_fill_matches_pure_python_reference(p):
    r = water_fill(p.weights, p.total, floors=p.floors, caps=p.caps)
    ref, _ = ref_water_fill(p.weights.tolist(), p.total, p.floors.tolist(), p.caps.tolist())
    # The reference walks running sums of slopes that cancel (17 + 0.001 - 17 leaves 0.001
    # with a relative error of eps × 17 / 0.001), and λ = total / slope carries that error
    # into every value: the slack is that bound, a few ulps of total × Σw / min w.
    w = np.asarray(p.weights, dtype=float)
    spread = w.sum() / w[w > 0].min() if (w > 0).any() else 1.0
    slack = 16 * np.finfo(float).eps * max(p.total, 1.0) * spread
    np.testing.assert_allclose(r.values, ref, rtol=1e-12, atol=max(1e-9, slack))
    assert r.values.sum() == pytest.approx(p.total, abs=1e-9)


# ----------------------------------------------------------------------------- rounding
def test_largest_remainder_by_hand():
    # quotas 1.25, 1.25, 7.5 at 0.1 ha → floors 1, 1, 7, one unit left to the 0.5 remainder
    out = round_to_resolution([0.125, 0.125, 0.75], 1.0, resolution=0.1)
    assert units(out, 0.1).tolist() == [1, 1, 8]


def test_largest_remainder_tie_goes_to_the_first():
    out = round_to_resolution([1 / 3, 1 / 3, 1 / 3], 1.0)
    assert units(out).tolist() == [34, 33, 33]


def test_sainte_lague_differs_from_hamilton_as_by_hand():
    # 53/24/23 votes, 7 seats: Sainte-Laguë quotients 53, 24, 23, 17.7, 10.6, 8, 7.7 → 3, 2, 2;
    # Hamilton: quotas 3.71, 1.68, 1.61 → 3, 1, 1 plus the two largest remainders → 4, 2, 1
    q = np.array([53, 24, 23]) / 100 * 7
    assert units(round_to_resolution(q, 7, resolution=1.0, method="sainte_lague"), 1).tolist() == [
        3,
        2,
        2,
    ]
    assert units(round_to_resolution(q, 7, resolution=1.0), 1).tolist() == [4, 2, 1]


@pytest.mark.parametrize("method", ["largest_remainder", "sainte_lague"])
@settings(max_examples=100, deadline=None)
@given(p=problems())
def test_rounding_sums_exactly_and_keeps_bounds(method, p):
    exact = water_fill(p.weights, p.total, floors=p.floors, caps=p.caps).values
    out = round_to_resolution(exact, p.total, method=method, floors=p.floors, caps=p.caps)
    u = units(out)
    assert u.sum() == int(np.floor(p.total / 0.01 + 1e-6))
    assert (u >= units(p.floors)).all()
    finite = np.isfinite(p.caps)
    assert (u[finite] <= np.floor(p.caps[finite] / 0.01 + 1e-6)).all()
    if method == "largest_remainder":  # Hamilton keeps quota; divisor methods need not
        assert (np.abs(u - exact / 0.01) <= 1 + 1e-9).all()


@settings(max_examples=100, deadline=None)
@given(problems())
def test_largest_remainder_matches_reference(p):
    exact = water_fill(p.weights, p.total, floors=p.floors, caps=p.caps).values
    out = round_to_resolution(exact, p.total, floors=p.floors, caps=p.caps)
    ref = ref_lr(
        exact.tolist(),
        int(np.floor(p.total / 0.01 + 1e-6)),
        0.01,
        p.floors.tolist(),
        p.caps.tolist(),
    )
    assert units(out).tolist() == ref


@pytest.mark.parametrize("method", ["largest_remainder", "sainte_lague"])
def test_rounding_takes_back_units_from_the_last_tie(method):
    # values add up to 4 units but the total is 3: one unit is taken back, from the
    # highest column among equals
    out = round_to_resolution([2.0, 2.0], 3.0, resolution=1.0, method=method)
    assert units(out, 1).tolist() == [2, 1]


def test_rounding_takes_back_units_pushed_up_by_floors():
    out = round_to_resolution([0.5, 0.5, 3.0], 3.0, resolution=1.0, floors=[1, 1, 0])
    assert units(out, 1).tolist() == [1, 1, 1]


@pytest.mark.parametrize("method", ["largest_remainder", "sainte_lague"])
def test_rounding_gives_several_units_when_caps_leave_few_takers(method):
    # 3 units for two territories, the first capped at 1: the second takes 2
    out = round_to_resolution([0.9, 0.1], 3.0, resolution=1.0, caps=[1, np.inf], method=method)
    assert units(out, 1).tolist() == [1, 2]


def test_unknown_rounding_method_lists_the_valid_ones():
    with pytest.raises(ScenarioError, match="largest_remainder, sainte_lague"):
        round_to_resolution([1.0], 1.0, method="dhondt")


# ----------------------------------------------------------------------------- garantie
def test_garantie_floors_per_epci_and_per_commune():
    a = pd.Series({"01001": "E1", "01002": "E1", "01003": "E2"})
    assert garantie_floors(assignment=a).to_dict() == {"E1": 2.0, "E2": 1.0}
    elig = pd.Series({"01001": "oui", "01002": "non", "01003": "1"})
    assert garantie_floors(elig, assignment=a).to_dict() == {"E1": 1.0, "E2": 1.0}
    per_commune = garantie_floors(["01002"], communes=a.index)
    assert per_commune.tolist() == [0.0, 1.0, 0.0]


def test_garantie_unknown_code_and_bad_value():
    a = pd.Series({"01001": "E1"})
    with pytest.raises(ScenarioError, match="01999"):
        garantie_floors(["01999"], assignment=a)
    with pytest.raises(ScenarioError, match="yes/no"):
        garantie_floors(pd.Series({"01001": "peut-être"}), assignment=a)


# ----------------------------------------------------------------------------- allocate
@pytest.fixture
def small():
    return pd.DataFrame(
        {
            "nom": ["Amont", "Aval", "Centre", "Littoral"],
            "reference_ha": [40.0, 30.0, 20.0, 10.0],
            "population": [1000, 3000, 4000, 2000],
            "communes": [12, 3, 5, 4],
        },
        index=["E4", "E1", "E3", "E2"],
    )


def test_allocate_columns_and_order(small):
    a = allocate(small, 50.0, criteria=POP, level="epci")
    t = a.table
    assert t.index.tolist() == ["E4", "E1", "E3", "E2"]  # input order kept
    for col in [
        "code",
        "nom",
        "reference_ha",
        "envelope_ha",
        "reduction_pct",
        "floor_ha",
        "cap_ha",
        "bound",
        "population_ha",
    ]:
        assert col in t.columns
    assert t["envelope_ha"].tolist() == [5.0, 15.0, 20.0, 10.0]
    assert t.loc["E1", "reduction_pct"] == pytest.approx(50.0)
    assert a.check()


def test_allocate_with_garantie_floor(small):
    a = allocate(small, 50.0, criteria=POP, level="epci", garantie=small["communes"])
    t = a.table
    # E4 gets its 12 ha floor; the other 38 ha follow population 3:4:2
    assert t.loc["E4", "envelope_ha"] == 12.0 and t.loc["E4", "bound"] == "floor"
    assert a.bound_codes("floor") == ["E4"] and a.bound_codes("cap") == []
    np.testing.assert_allclose(t.loc[["E1", "E3", "E2"], "exact_ha"], np.array([3, 4, 2]) * 38 / 9)
    assert units(t["envelope_ha"]).sum() == 5000
    assert "garantie communale" in a.explain("E4")
    assert a.check()


def test_contributions_add_up(small):
    crit = [
        Criterion("past_consumption", 0.25),
        Criterion("indicator", 0.75, {"column": "population"}),
    ]
    a = allocate(small, 50.0, criteria=crit, caps=14.0)
    t = a.table
    parts = t["past_consumption_ha"] + t["indicator_ha"] + t["adjustment_ha"] + t["rounding_ha"]
    np.testing.assert_allclose(parts, t["envelope_ha"], atol=1e-9)
    assert (t["bound"] == "cap").any()


def test_tie_break_by_code_whatever_the_order():
    t = pd.DataFrame({"poids": [1.0, 1.0, 1.0]}, index=["b", "a", "c"])
    a = allocate(t, 1.0, criteria=WEIGHT)
    assert a.table["envelope_ha"].to_dict() == {"b": 0.33, "a": 0.34, "c": 0.33}


def test_envelope_rounded_down_to_resolution(small):
    a = allocate(small, 50.005, criteria=POP)
    assert a.distributed_ha == pytest.approx(50.0)
    assert a.totals["rounding_remainder_ha"] == pytest.approx(0.005)


def test_unscaled_targets_leave_the_rest_at_regional_level(small):
    rates = {"E1": 0.5, "E2": 0.6, "E3": 0.5, "E4": 0.7}
    a = allocate(
        small, 50.0, criteria=[Criterion("fixed_rates", 1.0, {"rates": rates})], scale_targets=False
    )
    # targets 30×0.5 + 10×0.4 + 20×0.5 + 40×0.3 = 15 + 4 + 10 + 12 = 41 ha; 9 ha stay regional
    assert a.table["envelope_ha"].to_dict() == {"E4": 12.0, "E1": 15.0, "E3": 10.0, "E2": 4.0}
    assert a.unallocated_ha == pytest.approx(9.0)
    assert "9,00 ha restent au niveau régional" in a.notes[0]
    assert a.check()


def test_weights_must_sum_to_one_unless_normalised(small):
    crit = [
        Criterion("past_consumption", 0.5),
        Criterion("indicator", 0.6, {"column": "population"}),
    ]
    with pytest.raises(ScenarioError, match="sum to 1.1"):
        allocate(small, 50.0, criteria=crit)
    a = allocate(small, 50.0, criteria=crit, normalise=True)
    assert a.weights == pytest.approx((0.5 / 1.1, 0.6 / 1.1))


def test_infeasible_allocation_names_the_region(small):
    with pytest.raises(InfeasibleError, match=r"region: infeasible: the floors .* 80\.00 ha"):
        allocate(small, 50.0, criteria=POP, floors=20.0)


def test_envelope_object_is_reported(small):
    env = regional_envelope(100.0, pene=5.0, reserve_ha=2.0)
    a = allocate(small, env, criteria=POP)
    tot = a.totals
    assert (tot["envelope_ha"], tot["pene_ha"], tot["reserve_ha"], tot["distributed_ha"]) == (
        pytest.approx(45.0),
        5.0,
        2.0,
        pytest.approx(43.0),
    )
    assert "pour 2021-2030" in a.explain("E1")


# ----------------------------------------------------------------------------- Allocation
def test_check_catches_tampering(small):
    a = allocate(small, 50.0, criteria=POP, garantie=small["communes"])
    bad = a.table
    bad.loc["E1", "envelope_ha"] += 0.01
    tampered = dataclasses.replace(a, tables={a.level: bad})
    with pytest.raises(ValidationError) as err:
        tampered.check()
    text = str(err.value)
    assert "envelopes add up to 5001 units, not 5000" in text
    assert "contributions do not add up" in text


def test_table_is_a_copy(small):
    a = allocate(small, 50.0, criteria=POP)
    t = a.table
    t["envelope_ha"] = 0.0
    assert a.table["envelope_ha"].sum() == pytest.approx(50.0)


def test_explain_and_errors(small):
    a = allocate(small, 50.0, criteria=POP, level="epci", garantie=small["communes"])
    text = a.explain("E1")
    assert text.startswith("Aval (EPCI E1) : ")
    assert "100 % indicateur (population)" in text
    with pytest.raises(ScenarioError, match="no territory 'E9'"):
        a.explain("E9")


def test_html_repr_is_french_and_escaped(small):
    t = small.copy()
    t.loc["E1", "nom"] = "<b>Aval</b>"
    html = allocate(t, 50.0, criteria=POP, garantie=t["communes"])._repr_html_()
    assert "Enveloppe répartie" in html and "Plancher (ha)" in html and "plancher" in html
    assert "&lt;b&gt;Aval&lt;/b&gt;" in html and "<b>Aval</b>" not in html


def test_to_csv_four_decimals_atomic(tmp_path, small, monkeypatch):
    a = allocate(small, 50.0, criteria=POP)
    path = a.to_csv(tmp_path / "allocation.csv")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0].startswith(
        "code,nom,reference_ha,envelope_ha,reduction_pct,floor_ha,cap_ha,bound"
    )
    assert lines[1].split(",")[:4] == ["E4", "Amont", "40.0000", "5.0000"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["allocation.csv"]

    def boom(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(pd.DataFrame, "to_csv", boom)
    with pytest.raises(OSError):
        a.to_csv(tmp_path / "other.csv")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["allocation.csv"]


def test_to_gpkg_and_parquet_with_geometry(tmp_path, small):
    geoms = gpd.GeoDataFrame(
        {"nom": small["nom"]},
        geometry=[box(i, 0, i + 1, 1) for i in range(len(small))],
        index=small.index,
        crs="EPSG:2154",
    )
    a = allocate(small, 50.0, criteria=POP, level="epci")
    gpkg = a.to_gpkg(tmp_path / "allocation.gpkg", geoms)
    back = gpd.read_file(gpkg, layer="epci")
    assert len(back) == 4 and back.crs.to_epsg() == 2154
    assert back.set_index("code").loc["E3", "envelope_ha"] == pytest.approx(20.0)
    pq = a.to_parquet(tmp_path / "allocation.parquet", geoms)
    back = gpd.read_parquet(pq)
    assert back.geometry.area.sum() == pytest.approx(4.0)
    with pytest.raises(Exception, match="no geometry for 1 epci"):
        a.to_gpkg(tmp_path / "x.gpkg", geoms.iloc[:3])
    assert not (tmp_path / "x.gpkg").exists()


# ----------------------------------------------------------------------------- cascade
@pytest.fixture
def communes():
    return pd.DataFrame(
        {
            "nom": [f"C{i}" for i in range(8)],
            "scot": ["S1", "S1", "S1", "S1", "S2", "S2", "S2", "S2"],
            "epci": ["E1", "E1", "E2", "E2", "E3", "E3", "E3", "E4"],
            "epci_nom": [
                "CC Un",
                "CC Un",
                "CC Deux",
                "CC Deux",
                "CA Trois",
                "CA Trois",
                "CA Trois",
                "CC Quatre",
            ],
            "reference_ha": [5.0, 1.0, 2.0, 2.0, 10.0, 3.0, 1.0, 0.5],
            "population": [500, 100, 300, 50, 4000, 800, 120, 90],
            "eligible": [True, True, False, True, True, True, True, False],
        },
        index=[f"0100{i}" for i in range(8)],
    )


def test_cascade_sums_exactly_level_by_level(communes):
    crit = [
        Criterion("past_consumption", 0.5),
        Criterion("indicator", 0.5, {"column": "population"}),
    ]
    gar = garantie_floors(communes["eligible"]).astype(float)
    a = allocate_cascade(
        communes, 12.34, criteria=crit, levels=("scot", "epci", "commune"), garantie=gar
    )
    assert a.levels == ("scot", "epci", "commune")
    scot, epci, com = (a.level_table(lv) for lv in a.levels)
    assert units(scot["envelope_ha"]).sum() == 1234
    for parent, child in ((scot, epci), (epci, com)):
        sums = (
            pd.Series(units(child["envelope_ha"]), index=child.index)
            .groupby(child["parent"].to_numpy())
            .sum()
        )
        want = pd.Series(units(parent["envelope_ha"]), index=parent.index)
        assert sums.to_dict() == want.to_dict()
    assert (units(com["envelope_ha"]) >= units(gar.reindex(com.index))).all()
    # floors summed up the tree: E1 has 2 eligible communes, S1 3
    assert epci.loc["E1", "floor_ha"] == 2.0 and scot.loc["S1", "floor_ha"] == 3.0
    assert epci.loc["E2", "nom"] == "CC Deux"
    assert a.check()
    assert "Cette part est prise sur l'enveloppe de CC Un" in a.explain("01000")


def test_cascade_groups_share_within_siblings(communes):
    a = allocate_cascade(communes, 10.0, criteria=POP, levels=("epci", "commune"))
    com = a.level_table("commune")
    e1 = com[com["parent"] == "E1"]
    # within E1 (population 500:100) the EPCI's envelope is split 5:1
    ratio = e1["exact_ha"].iloc[0] / e1["exact_ha"].iloc[1]
    assert ratio == pytest.approx(5.0)


def test_cascade_errors(communes):
    bad = communes.copy()
    bad.loc["01002", "scot"] = "S2"  # E2 now lies in two SCoT
    with pytest.raises(ScenarioError, match="levels do not nest: epci E2 lies in several scot"):
        allocate_cascade(bad, 10.0, criteria=POP, levels=("scot", "epci", "commune"))
    with pytest.raises(ScenarioError, match="no column 'canton'"):
        allocate_cascade(communes, 10.0, criteria=POP, levels=("canton", "commune"))
    gap = communes.copy()
    gap.loc["01001", "epci"] = None
    with pytest.raises(ScenarioError, match="1 communes have no 'epci' code"):
        allocate_cascade(gap, 10.0, criteria=POP, levels=("epci", "commune"))


# ----------------------------------------------------------------------------- properties
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(p=problems(), method=st.sampled_from(["largest_remainder", "sainte_lague"]))
def test_properties_sum_bounds_nonnegative(p, method):
    a = allocate(p.table(), p.total, criteria=WEIGHT, floors=p.floors, caps=p.caps, rounding=method)
    t = a.table
    u = units(t["envelope_ha"])
    assert u.sum() == int(np.floor(p.total / 0.01 + 1e-6))
    assert (t["envelope_ha"] >= 0).all()
    assert (u >= units(p.floors)).all()
    finite = np.isfinite(p.caps)
    assert (u[finite] <= np.floor(p.caps[finite] / 0.01 + 1e-6)).all()
    assert a.check()


@settings(max_examples=60, deadline=None)
@given(p=problems(), seed=st.integers(0, 2**32 - 1))
def test_properties_deterministic_and_permutation(p, seed):
    table = p.table()
    first = allocate(table, p.total, criteria=WEIGHT, floors=p.floors, caps=p.caps).table
    again = allocate(table, p.total, criteria=WEIGHT, floors=p.floors, caps=p.caps).table
    pd.testing.assert_frame_equal(first, again, check_exact=True)
    perm = np.random.default_rng(seed).permutation(len(table))
    shuffled = allocate(
        table.iloc[perm], p.total, criteria=WEIGHT, floors=p.floors[perm], caps=p.caps[perm]
    ).table
    pd.testing.assert_frame_equal(shuffled, first.iloc[perm], check_exact=True)


@settings(max_examples=80, deadline=None)
@given(p=problems(min_size=2), who=st.integers(0, 1000), factor=st.floats(1.01, 10.0))
def test_property_raising_a_weight_never_lowers_its_envelope(p, who, factor):
    i = who % len(p.codes)
    table = p.table()
    before = allocate(table, p.total, criteria=WEIGHT, floors=p.floors, caps=p.caps).table
    raised = table.copy()
    raised.iloc[i, raised.columns.get_loc("poids")] = max(table["poids"].iloc[i] * factor, 0.01)
    after = allocate(raised, p.total, criteria=WEIGHT, floors=p.floors, caps=p.caps).table
    assert after["exact_ha"].iloc[i] >= before["exact_ha"].iloc[i] - 1e-9
    assert after["envelope_ha"].iloc[i] >= before["envelope_ha"].iloc[i] - 1e-9


# ----------------------------------------------------------------------------- batch
def test_batch_rows_identical_to_one_at_a_time():
    rng = np.random.default_rng(7)
    n, k = 300, 40
    W = rng.lognormal(size=(k, n)) * (rng.random((k, n)) > 0.1)
    floors = np.where(rng.random(n) > 0.3, 1.0, 0.0)
    caps = np.where(rng.random(n) > 0.5, 6.0, np.inf)
    E = rng.uniform(400, 700, k)
    b = allocate_batch(W, E, floors=floors, caps=caps, resolution=0.01, chunk_rows=7)
    for r in range(k):
        one = water_fill(W[r], E[r], floors=floors, caps=caps)
        assert np.array_equal(b.values[r], one.values)
        assert b.multipliers[r] == one.multiplier
        rounded = round_to_resolution(one.values, E[r], floors=floors, caps=caps)
        assert np.array_equal(b.units[r], units(rounded))


def test_batch_blend_form_equals_reference_to_1e9():
    rng = np.random.default_rng(3)
    n, k = 500, 25
    raw = rng.lognormal(size=(n, 3))
    shares = raw / raw.sum(axis=0)
    blend = rng.dirichlet(np.ones(3), k)
    floors, caps = np.full(n, 1.0), np.maximum(raw[:, 0] * 2, 1.0)
    b = allocate_batch(shares, 800.0, blend=blend, floors=floors, caps=caps, resolution=None)
    assert b.units is None
    for r in range(k):
        w = [sum(a * s for a, s in zip(blend[r], row, strict=True)) for row in shares.tolist()]
        ref, _ = ref_water_fill(w, 800.0, floors.tolist(), caps.tolist())
        np.testing.assert_allclose(b.values[r], ref, rtol=0, atol=1e-9)


@pytest.mark.parametrize("blend", [False, True])
def test_batch_threads_give_the_same_bits(blend, monkeypatch):
    rng = np.random.default_rng(11)
    n, k = 250, 61  # rows split unevenly between threads and chunks
    floors = np.where(rng.random(n) > 0.4, 1.0, 0.0)
    caps = np.where(rng.random(n) > 0.5, 8.0, np.inf)
    E = rng.uniform(500, 900, k)
    if blend:
        raw = rng.lognormal(size=(n, 3))
        args = (raw / raw.sum(axis=0), E)
        extra = {"blend": rng.dirichlet(np.ones(3), k)}
    else:
        args = (rng.lognormal(size=(k, n)), E)
        extra = {}
    one = allocate_batch(
        *args, floors=floors, caps=caps, resolution=0.01, chunk_rows=4, threads=1, **extra
    )
    many = allocate_batch(
        *args, floors=floors, caps=caps, resolution=0.01, chunk_rows=4, threads=3, **extra
    )
    assert np.array_equal(one.values, many.values)
    assert np.array_equal(one.units, many.units)
    assert np.array_equal(one.multipliers, many.multipliers)
    # the environment variable sets the default; a bad value is named with its fix
    from zan.allocate import batch_threads

    monkeypatch.setenv("ZAN_THREADS", "3")
    assert batch_threads() == 3 and batch_threads(10) == 1
    monkeypatch.setenv("ZAN_THREADS", "deux")
    with pytest.raises(ScenarioError, match="ZAN_THREADS='deux'.*ZAN_THREADS=2"):
        batch_threads()


def test_batch_infeasible_row_is_reported():
    with pytest.raises(InfeasibleError, match=r"row 1: infeasible: the floors add up to 3\.00 ha"):
        allocate_batch([[1, 1, 1], [1, 1, 1]], [10.0, 2.0], floors=1.0)


def test_batch_to_frame_uses_codes():
    b = allocate_batch([[1, 3]], 8.0, codes=["x", "y"])
    assert b.to_frame().to_dict("list") == {"x": [2.0], "y": [6.0]}
