"""Artificialisation per territory: matrix, thresholds, stocks, changes, area conservation."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from helpers import shared_path
from shapely.geometry import box

from zan.errors import CRSError, DataError
from zan.io.ocsge import landcover_from_frame, read_ocsge, read_ocsge_difference
from zan.measure.artificialisation import (
    Thresholds,
    artificialisation_change,
    artificialisation_from_difference,
    artificialisation_stock,
    classify,
    intersection_areas,
)

L93 = "EPSG:2154"


def _lc(rows, **kw):
    """rows: (code_cs, code_us, geometry)."""
    g = gpd.GeoDataFrame(
        {"code_cs": [r[0] for r in rows], "code_us": [r[1] for r in rows]},
        geometry=[r[2] for r in rows],
        crs=L93,
    )
    return landcover_from_frame(g, **kw)


def _zones(*boxes, codes=None, crs=L93):
    codes = codes or [f"z{i}" for i in range(len(boxes))]
    return gpd.GeoDataFrame({"nom": [f"Zone {c}" for c in codes]}, geometry=list(boxes),
                            index=pd.Index(codes, name="code"), crs=crs)


def _in(outer, inner):
    return outer.difference(inner)


def _status(lc):
    c = classify(lc)
    return c.layer["artificialised"].tolist(), c.layer["rule"].tolist()


# ---------------------------------------------------------------------- thresholds


def test_shed_under_50m2_in_a_field_is_not_artificialised_a_house_is():
    field = box(0, 0, 200, 200)
    shed, house = box(50, 50, 56, 56), box(120, 120, 128, 128)  # 36 m2, 64 m2
    lc = _lc([("CS2.2.1", "US1.1", field.difference(shed).difference(house)),
              ("CS1.1.1.1", "US1.1", shed), ("CS1.1.1.1", "US5", house)])
    status, rule = _status(lc)
    assert status == [False, False, True]
    assert rule == ["matrix", "patch_2500m2", "built_50m2"]


def test_small_garden_in_a_built_area_takes_its_status_a_large_one_does_not():
    town = box(0, 0, 200, 200)
    small, large = box(10, 10, 40, 40), box(100, 100, 160, 160)  # 900 m2, 3,600 m2
    lc = _lc([("CS1.1.1.2", "US5", town.difference(small).difference(large)),
              ("CS2.2.1", "US1.1", small), ("CS2.2.1", "US1.1", large)])
    status, rule = _status(lc)
    assert status == [True, True, False]
    assert rule[1] == "patch_2500m2"


def test_thresholds_can_be_switched_off_or_changed():
    field = box(0, 0, 200, 200)
    shed = box(50, 50, 56, 56)
    lc = _lc([("CS2.2.1", "US1.1", field.difference(shed)), ("CS1.1.1.1", "US1.1", shed)])
    assert classify(lc, thresholds=None).layer["artificialised"].tolist() == [False, True]
    assert classify(lc, thresholds=Thresholds(built_m2=30)).layer["artificialised"].tolist() == [
        False, True]


def test_linear_infrastructure_counts_from_5m_wide():
    field = box(0, 0, 200, 200)
    narrow = box(0, 50, 190, 54)  # 4 m wide, 760 m2 (cut into the field from its edge)
    wide = box(0, 120, 190, 126)  # 6 m wide, 1,140 m2 (< 2,500 m2 but wide enough)
    lc = _lc([("CS2.2.1", "US1.1", field.difference(narrow).difference(wide)),
              ("CS1.1.1.2", "US4.1.1", narrow), ("CS1.1.1.2", "US4.1.1", wide)])
    status, rule = _status(lc)
    assert status == [False, False, True]
    assert rule[1:] == ["linear_under_5m", "linear_5m_wide"]


def test_small_patch_follows_the_large_patches_around_it():
    # C (large, artificialised) > B (small ring, not) > A (small, artificialised, not built)
    c_, b_, a_ = box(0, 0, 100, 100), box(30, 30, 70, 70), box(40, 40, 60, 60)
    lc = _lc([("CS1.1.1.2", "US5", c_.difference(b_)), ("CS2.2.1", "US1.1", b_.difference(a_)),
              ("CS1.1.2.1", "US2", a_)])
    status, rule = _status(lc)
    assert status == [True, True, True]
    assert rule == ["matrix", "patch_2500m2", "matrix"]


def test_ign_flag_wins_over_the_matrix_when_present():
    g = gpd.GeoDataFrame({"code_cs": ["CS2.2.1"], "code_us": ["US5"], "artif": ["non artif"]},
                         geometry=[box(0, 0, 100, 100)], crs=L93)
    lc = landcover_from_frame(g)
    assert classify(lc).layer["artificialised"].tolist() == [False]
    assert classify(lc, use_ign_flag=False).layer["artificialised"].tolist() == [True]
    assert classify(lc).method == "ign_flag"


def test_park_and_solar_exemptions_are_switches():
    rows = [("CS2.2.1", "US3", box(0, 0, 100, 100)), ("CS1.1.2.2", "US4.3", box(100, 0, 200, 100)),
            ("CS1.1.1.1", "US5", box(200, 0, 300, 100))]
    lc = _lc(rows)
    assert classify(lc).layer["artificialised"].tolist() == [True, True, True]
    parks = gpd.GeoSeries([box(-10, -10, 110, 110)], crs=L93)
    solar = gpd.GeoSeries([box(100, 0, 200, 100)], crs=L93)
    out = classify(lc, exempt_parks=parks, exempt_solar=solar).layer
    assert out["artificialised"].tolist() == [False, False, True]
    assert out["rule"].tolist()[:2] == ["park_exemption", "solar_exemption"]
    small_park = gpd.GeoSeries([box(0, 0, 40, 40)], crs=L93)  # 1,600 m2: under 2,500 m2
    assert classify(lc, exempt_parks=small_park).layer["artificialised"].tolist()[0]


# ---------------------------------------------------------------------- stock


def test_stock_exact_areas_and_conservation():
    lc = _lc([("CS1.1.1.1", "US5", box(0, 0, 100, 100)), ("CS2.2.1", "US1.1", box(100, 0, 300, 100))])
    zones = _zones(box(0, 0, 150, 200), box(150, 0, 400, 200), codes=["59001", "59002"])
    res = artificialisation_stock(lc, zones)
    t = res.table
    assert t.loc["59001", "artificialised_ha"] == pytest.approx(1.0)
    assert t.loc["59001", "not_artificialised_ha"] == pytest.approx(0.5)
    assert t.loc["59002", "covered_ha"] == pytest.approx(1.5)
    assert t.loc["59002", "uncovered_ha"] == pytest.approx(5.0 - 1.5)
    assert t.loc["59001", "artificialised_pct"] == pytest.approx(100 / 3)
    assert t["covered_ha"].sum() * 1e4 == pytest.approx(res.total_m2, abs=1.0)
    assert res.total_m2 == pytest.approx(30_000.0, abs=1e-6)
    cs = res.by_couverture()
    assert cs.loc["59001", "CS1.1.1.1"] == pytest.approx(1.0)
    assert res.by_usage().loc["59002", "US1.1"] == pytest.approx(1.5)


def test_stock_reports_area_outside_the_territories_and_reprojects_zones():
    lc = _lc([("CS1.1.1.1", "US5", box(0, 0, 100, 100))])
    zones = _zones(box(0, 0, 50, 100)).to_crs("EPSG:4326")
    res = artificialisation_stock(lc, zones)
    assert res.outside_m2 == pytest.approx(5_000.0, rel=1e-4)
    assert any("zones reprojected from EPSG:4326" in n for n in res.notes)
    assert any("outside the territories" in n for n in res.notes)


def test_stock_by_level_column_and_territories(tmp_path):
    lc = _lc([("CS1.1.1.1", "US5", box(0, 0, 100, 100)), ("CS2.2.1", "US1.1", box(100, 0, 200, 100))])
    zones = _zones(box(0, 0, 100, 100), box(100, 0, 200, 100)).assign(epci=["E1", "E1"])
    res = artificialisation_stock(lc, zones, level="epci")
    assert list(res.table.index) == ["E1"]
    assert res.table.loc["E1", "artificialised_ha"] == pytest.approx(1.0)
    with pytest.raises(DataError, match="no column 'scot'"):
        artificialisation_stock(lc, zones, level="scot")


def test_demo_territories_aggregate_conserves_totals():
    from zan.datasets import get_path
    from zan.territory import Territories

    t = Territories.demo()
    lc = read_ocsge(get_path("ocsge_demo_2018.gpkg"))
    communes = artificialisation_stock(lc, t, level="commune")
    epci = artificialisation_stock(lc, t, level="epci")
    for col in ("covered_ha", "artificialised_ha", "area_ha"):
        assert epci.table[col].sum() == pytest.approx(communes.table[col].sum(), abs=1e-4)
    assert communes.total_m2 == pytest.approx(float(lc.layer.area.sum()), abs=1.0)


def test_empty_intersection_is_a_clear_error():
    lc = _lc([("CS1.1.1.1", "US5", box(0, 0, 100, 100))])
    with pytest.raises(DataError, match="no polygon intersects the territories"):
        artificialisation_stock(lc, _zones(box(10_000, 0, 10_100, 100)))


def test_zones_without_crs_are_refused():
    lc = _lc([("CS1.1.1.1", "US5", box(0, 0, 100, 100))])
    zones = _zones(box(0, 0, 100, 100)).set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match="set_crs"):
        artificialisation_stock(lc, zones)


def test_couverture_only_layer_is_a_flagged_estimate():
    g = gpd.GeoDataFrame({"code_cs": ["CS1.1.1.1", "CS2.2.1"]},
                         geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)], crs=L93)
    res = artificialisation_stock(landcover_from_frame(g), _zones(box(0, 0, 200, 100)))
    assert res.is_estimate
    assert res.table["method"].str.contains("ESTIMATION").all()
    assert res.table["artificialised_ha"].iloc[0] == pytest.approx(1.0)


# ---------------------------------------------------------------------- change


def test_change_artificialisation_renaturation_net():
    g = [box(0, 0, 100, 100), box(100, 0, 200, 100), box(200, 0, 300, 100)]
    before = _lc([("CS1.1.1.1", "US5", g[0]), ("CS2.2.1", "US1.1", g[1]), ("CS2.2.1", "US1.1", g[2])])
    after = _lc([("CS2.1.2", "US6.3", g[0]), ("CS1.1.1.1", "US2", g[1]), ("CS1.1.1.1", "US5", g[2])])
    zones = _zones(box(0, 0, 150, 100), box(150, 0, 300, 100), codes=["a", "b"])
    ch = artificialisation_change(before, after, zones)
    t = ch.table
    assert t.loc["a", "artificialisation_ha"] == pytest.approx(0.5)
    assert t.loc["a", "renaturation_ha"] == pytest.approx(1.0)
    assert t.loc["a", "net_ha"] == pytest.approx(-0.5)
    assert t.loc["b", "net_ha"] == pytest.approx(1.5)
    assert (t["net_ha"] - (t["stock_after_ha"] - t["stock_before_ha"])).abs().max() < 1e-9
    f = ch.flows.set_index(["code", "flow", "code_cs", "code_us"])["area_ha"]
    assert f[("a", "artificialisation", "CS1.1.1.1", "US2")] == pytest.approx(0.5)
    assert f[("a", "renaturation", "CS1.1.1.1", "US5")] == pytest.approx(1.0)
    assert ch.vintages == (None, None)


def test_difference_product_flows():
    g = gpd.GeoDataFrame(
        {"cs_avant": ["CS2.2.1", "CS1.1.1.1"], "cs_apres": ["CS1.1.1.1", "CS2.2.1"],
         "us_avant": ["US1.1", "US5"], "us_apres": ["US5", "US1.1"]},
        geometry=[box(0, 0, 100, 100), box(100, 0, 150, 100)], crs=L93)
    path_like = g
    from zan.io.ocsge import LandCoverDifference

    d = LandCoverDifference(layer=path_like.rename(columns={
        "cs_avant": "cs_before", "cs_apres": "cs_after", "us_avant": "us_before",
        "us_apres": "us_after"}), source="diff", vintages=(2018, 2021))
    ch = artificialisation_from_difference(d, _zones(box(0, 0, 200, 100)))
    row = ch.table.iloc[0]
    assert (row["artificialisation_ha"], row["renaturation_ha"], row["net_ha"]) == pytest.approx(
        (1.0, 0.5, 0.5))
    assert any("thresholds" in n for n in ch.notes)


def test_demo_two_vintages_agree_with_the_difference_product_without_thresholds():
    from zan.datasets import get_path
    from zan.territory import Territories

    t = Territories.demo()
    a = read_ocsge(get_path("ocsge_demo_2018.gpkg"))
    b = read_ocsge(get_path("ocsge_demo_2021.gpkg"))
    d = read_ocsge_difference(get_path("ocsge_demo_difference_2018_2021.gpkg"))
    ch = artificialisation_change(a, b, t, thresholds=None)
    cd = artificialisation_from_difference(d, t)
    for col in ("artificialisation_ha", "renaturation_ha", "net_ha"):
        assert (ch.table[col] - cd.table[col]).abs().max() < 1e-6
    assert ch.table["net_ha"].sum() > 0


# ---------------------------------------------------------------------- engine and real data


def test_intersection_areas_contained_and_boundary_pairs():
    big = [box(0, 0, 100, 100)]
    small = [box(10, 10, 20, 20), box(95, 0, 105, 10), box(200, 200, 210, 210)]
    out = intersection_areas(small, big)
    assert out.values.tolist() == [[0, 0, 100.0], [1, 0, 50.0]]


@pytest.mark.realdata
def test_metaleurop_area_per_couverture_and_estimate():
    path = shared_path("hdf", "ocs", "ocsge_2018_metaleurop_simplified.gpkg")
    communes = gpd.read_file(shared_path(
        "hdf", "boundaries", "communes_hdf_cog2026_from_france-geojson-2018_dissolved.geojson"))
    lc = read_ocsge(path)
    bbox = lc.layer.to_crs("EPSG:4326").total_bounds
    zones = communes.cx[bbox[0]:bbox[2], bbox[1]:bbox[3]].set_index("code_insee")
    res = artificialisation_stock(lc, zones)
    assert res.is_estimate and res.vintage == 2018
    covered = res.table[res.table["covered_ha"] > 0]
    assert {"62624", "62249", "62321"} <= set(covered.index)  # the Metaleurop site communes
    # area conservation: the communes add up to the layer's area (no overlaps left)
    assert res.total_m2 + res.outside_m2 == pytest.approx(float(lc.layer.area.sum()), abs=1.0)
    assert res.table["covered_ha"].sum() * 1e4 == pytest.approx(res.total_m2, abs=1.0)
    by_cs = res.by_couverture()
    assert (by_cs.sum(axis=1) - res.table.loc[by_cs.index, "covered_ha"]).abs().max() < 1e-6
    assert set(by_cs.columns) == set(lc.layer["code_cs"])
    assert (covered["uncovered_ha"] >= 0).all()
