"""Tests of zan.territory: the hierarchy and aggregation that conserves totals."""

from __future__ import annotations

import math
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from helpers import shared_path
from hypothesis import given, settings
from hypothesis import strategies as st
from shapely.geometry import box

from zan.errors import DataError, MembershipError, SchemaError
from zan.io.territories import read_communes, read_membership
from zan.territory import Territories

DATA = Path(__file__).parent / "data" / "territories"
BOXES = DATA / "communes_boxes.geojson"
MEMBERSHIP = DATA / "membership.csv"
CODES = ["02001", "02002", "02003", "59001", "59002", "59003"]


@pytest.fixture(scope="module")
def small() -> Territories:
    return Territories.from_files(BOXES, MEMBERSHIP)


def _grid(n: int = 30) -> Territories:
    """n box communes of 1 ha, EPCI of 5 communes, one département, no SCoT."""
    codes = [f"02{i + 1:03d}" for i in range(n)]
    geoms = [
        box(100 * (i % 6), 100 * (i // 6), 100 * (i % 6) + 100, 100 * (i // 6) + 100)
        for i in range(n)
    ]
    communes = gpd.GeoDataFrame(
        {"nom": [f"Commune {c}" for c in codes], "area_ha": 1.0},
        geometry=geoms,
        index=pd.Index(codes, name="code"),
        crs="EPSG:2154",
    )
    table = pd.DataFrame(
        {
            "code_insee": codes,
            "epci_siren": [f"2000000{i // 5:02d}" for i in range(n)],
            "departement": "02",
            "region": "32",
        }
    )
    return Territories(communes, read_membership(table, source="grid"))


GRID = _grid()


# ----------------------------------------------------------------------------- structure


def test_levels_and_counts(small):
    assert small.levels == ("commune", "epci", "scot", "departement", "region")
    assert [len(small.codes(level)) for level in small.levels] == [6, 3, 3, 2, 1]
    assert small.crs.to_epsg() == 2154


def test_custom_level_comes_last():
    table = read_membership(MEMBERSHIP)
    table = table.assign(bassin=["A", "A", "B", "B", "B", "A"], bassin_nom=np.nan)
    table.attrs["levels"] = ("bassin", "region", "epci")
    t = Territories(read_communes(BOXES), table)
    assert t.levels == ("commune", "epci", "region", "bassin")
    assert t.names("bassin").to_dict() == {"A": "A", "B": "B"}


def test_assignment_and_names(small):
    epci = small.assignment("epci")
    assert epci.index.tolist() == CODES
    assert epci.tolist() == [
        "200000001",
        "200000001",
        "200000002",
        "200000002",
        "200000003",
        "200000003",
    ]
    assert small.names("epci").to_dict() == {
        "200000001": "CC Alpha",
        "200000002": "CA Beta",
        "200000003": "CC Gamma",
    }
    # communes outside any SCoT form the pseudo-territory "hors_scot"
    assert small.assignment("scot").tolist() == [
        "S01",
        "S01",
        "S01",
        "S02",
        "hors_scot",
        "hors_scot",
    ]
    assert small.names("scot")["hors_scot"] == "Hors SCoT"
    # no names in the table: named by their code
    assert small.names("departement").to_dict() == {"02": "02", "59": "59"}
    assert small.assignment("commune").tolist() == CODES
    assert small.names("commune")["02001"] == "Abbécourt"


def test_codes_and_members(small):
    assert small.codes("scot").tolist() == ["S01", "S02", "hors_scot"]
    assert small.members("scot", "hors_scot").tolist() == ["59002", "59003"]
    assert small.members("departement", "02").tolist() == ["02001", "02002", "02003"]
    with pytest.raises(DataError, match=r"no territory '99' at level 'departement'.*02, 59"):
        small.members("departement", "99")


def test_unknown_level(small):
    with pytest.raises(DataError) as err:
        small.aggregate(pd.Series(1, index=CODES), "canton")
    assert "'canton'" in str(err.value)
    assert "commune, epci, scot, departement, region" in str(err.value)
    with pytest.raises(DataError, match="valid levels"):
        small.names("arrondissement")


def test_membership_from_layer_attributes(tmp_path):
    gdf = read_communes(BOXES)
    gdf["SIREN_EPCI"] = ["1", "1", "1", "2", "2", "2"]
    gdf["region"] = "32"
    t = Territories(gdf)
    assert t.levels == ("commune", "epci", "departement", "region")
    assert t.names("epci").index.tolist() == ["1", "2"]
    assert t.members("departement", "59").tolist() == ["59001", "59002", "59003"]


def test_commune_level_only():
    gdf = read_communes(BOXES).drop(columns="departement")
    t = Territories(gdf)
    assert t.levels == ("commune",)
    assert t.aggregate(gdf["area_ha"], "commune")["area_ha"].sum() == 600.0


# ----------------------------------------------------------------------------- construction checks


def test_membership_missing_a_commune():
    m = read_membership(MEMBERSHIP).drop(index="59003")
    with pytest.raises(MembershipError) as err:
        Territories(read_communes(BOXES), m)
    msg = str(err.value)
    assert str(MEMBERSHIP) in msg and "1 commune(s) of the layer" in msg and "missing: 59003" in msg


def test_all_coverage_problems_reported_at_once():
    m = read_membership(MEMBERSHIP)
    extra = m.loc[["02001"]].set_axis(pd.Index(["80001"], name="code"))
    m = pd.concat([m.drop(index="59003"), extra])
    m.loc["02002", "epci"] = np.nan
    m.loc["02003", "region"] = np.nan
    m.attrs = {"levels": ("epci", "scot", "departement", "region"), "source": "table.csv"}
    with pytest.raises(MembershipError) as err:
        Territories(read_communes(BOXES), m)
    problems = err.value.problems
    assert len(problems) == 4
    msg = str(err.value)
    assert "4 problems found" in msg
    assert "missing: 59003" in msg
    assert "absent from the layer" in msg and "80001" in msg
    assert "table.csv, column 'epci': 1 commune(s) without epci: 02002" in msg
    assert "column 'region': 1 commune(s) without region: 02003" in msg


def test_layer_must_be_indexed_by_codes():
    gdf = read_communes(BOXES).reset_index()
    with pytest.raises(SchemaError, match="index must hold INSEE commune codes.*read_communes"):
        Territories(gdf, read_membership(MEMBERSHIP))


def test_area_computed_when_absent():
    gdf = read_communes(BOXES).drop(columns="area_ha")
    t = Territories(gdf, read_membership(MEMBERSHIP))
    assert t.communes["area_ha"].tolist() == [100.0] * 6


def test_check_and_repr(small):
    assert small.check() is None
    text = repr(small)
    assert "communes_boxes.geojson" in text and "EPSG:2154" in text
    assert [line.split() for line in text.splitlines()[1:]] == [
        ["commune", "6"],
        ["epci", "3"],
        ["scot", "3"],
        ["departement", "2"],
        ["region", "1"],
    ]
    page = small._repr_html_()
    assert "<th>Niveau</th>" in page and "<td>Départements</td>" in page and "<td>SCoT</td>" in page


def test_check_detects_tampering():
    t = Territories.from_files(BOXES, MEMBERSHIP)
    t._assign.loc["02001", "epci"] = np.nan  # simulate a broken object
    with pytest.raises(MembershipError, match="without epci: 02001"):
        t.check()


# ----------------------------------------------------------------------------- aggregation


def test_aggregate_integers_exact(small):
    m2 = pd.Series([12_500, 0, 48_211, 7_300, 150_000, 2_100], index=CODES, name="conso_m2")
    for level in small.levels:
        out = small.aggregate(m2, level)
        assert list(out.columns) == ["nom", "conso_m2"]
        assert out.index.name == "code"
        assert out["conso_m2"].dtype == np.float64
        assert out["conso_m2"].sum() == m2.sum()
    scot = small.aggregate(m2, "scot")
    assert scot.loc["hors_scot"].tolist() == ["Hors SCoT", 152_100.0]
    assert scot.loc["S01", "conso_m2"] == 12_500 + 48_211


def test_aggregate_frame_and_unnamed_series(small):
    frame = pd.DataFrame({"a": [1, 2, 3, 4, 5, 6], "b": [0.5] * 6}, index=CODES)
    out = small.aggregate(frame, "departement")
    assert out.to_dict("index") == {
        "02": {"nom": "02", "a": 6.0, "b": 1.5},
        "59": {"nom": "59", "a": 15.0, "b": 1.5},
    }
    out = small.aggregate(pd.Series(1, index=CODES), "region")
    assert list(out.columns) == ["nom", "value"] and out["value"].iloc[0] == 6.0


def test_aggregate_random_floats_conserve(small):
    rng = np.random.default_rng(42)
    values = pd.Series(rng.random(6) * 1e6, index=CODES, name="x")
    for level in small.levels:
        assert math.isclose(small.aggregate(values, level)["x"].sum(), values.sum(), rel_tol=1e-9)


@settings(max_examples=60, deadline=None)
@given(
    values=st.lists(st.integers(0, 2**40), min_size=30, max_size=30),
    groups=st.lists(st.sampled_from("ABCDEFG"), min_size=30, max_size=30),
)
def test_aggregate_conserves_integers_property(values, groups):
    codes = GRID.communes.index
    series = pd.Series(values, index=codes)
    assert GRID.aggregate(series, "epci")["value"].sum() == sum(values)
    grouping = pd.Series(groups, index=codes)
    out = GRID.aggregate(series, grouping)
    assert out["value"].sum() == sum(values)
    assert out.index.tolist() == sorted(set(groups))


@settings(max_examples=60, deadline=None)
@given(values=st.lists(st.floats(0, 1e9, allow_nan=False), min_size=30, max_size=30))
def test_aggregate_conserves_floats_property(values):
    series = pd.Series(values, index=GRID.communes.index)
    total = math.fsum(values)
    for level in GRID.levels:
        got = GRID.aggregate(series, level)["value"].sum()
        assert math.isclose(got, total, rel_tol=1e-9, abs_tol=1e-9)


def test_aggregate_missing_raise_lists_first_20():
    values = pd.Series(1.0, index=GRID.communes.index[:5])
    with pytest.raises(DataError) as err:
        GRID.aggregate(values, "epci")
    msg = str(err.value)
    assert "no value for 25 commune(s)" in msg
    assert "02006, 02007" in msg and "02025" in msg and "02026" not in msg
    assert "(25 in all)" in msg and "missing='zero'" in msg


def test_aggregate_missing_nan_counts_as_missing(small):
    values = pd.Series([1.0, np.nan, 3.0, 4.0, 5.0, 6.0], index=CODES)
    with pytest.raises(DataError, match=r"no value for 1 commune\(s\).*02002"):
        small.aggregate(values, "epci")


def test_aggregate_missing_zero_and_ignore(small):
    values = pd.Series([1.0, 2.0, 4.0], index=["02001", "02002", "59001"], name="v")
    zero = small.aggregate(values, "epci", missing="zero")
    assert zero["v"].to_dict() == {"200000001": 3.0, "200000002": 4.0, "200000003": 0.0}
    ignore = small.aggregate(values, "epci", missing="ignore")
    # "ignore" is not "zero": the EPCI without any value is left out, and said so.
    assert ignore["v"].to_dict() == {"200000001": 3.0, "200000002": 4.0}
    assert ignore.attrs["left_out"] == ("200000003",)
    assert zero.attrs["left_out"] == ()
    mean = small.aggregate(values, "epci", how="mean", missing="ignore")
    assert mean["v"].iloc[0] == 1.5 and "200000003" not in mean.index


def test_aggregate_unknown_communes(small):
    values = pd.Series(1.0, index=[*CODES, "80001", "62041"])
    with pytest.raises(DataError) as err:
        small.aggregate(values, "epci")
    assert "2 commune(s) are not in the territories" in str(err.value)
    assert "62041, 80001" in str(err.value)


def test_aggregate_bad_options(small):
    values = pd.Series(1.0, index=CODES)
    with pytest.raises(
        DataError, match="how='median' is unknown; valid: sum, mean, min, max, count"
    ):
        small.aggregate(values, "epci", how="median")
    with pytest.raises(DataError, match="missing='skip' is unknown"):
        small.aggregate(values, "epci", missing="skip")
    with pytest.raises(SchemaError, match="'nom' are not numeric"):
        small.aggregate(pd.DataFrame({"nom": list("abcdef")}, index=CODES), "epci")
    with pytest.raises(DataError, match="listed more than once: 02001"):
        small.aggregate(pd.Series(1.0, index=[*CODES, "02001"]), "epci")


def test_aggregate_custom_grouping_incomplete(small):
    values = pd.Series(1.0, index=CODES)
    grouping = pd.Series(["x", "x", "y"], index=CODES[:3])
    with pytest.raises(
        DataError, match=r"3 commune\(s\) with values have no group: 59001, 59002, 59003"
    ):
        small.aggregate(values, grouping)
    out = small.aggregate(values.iloc[:3], grouping, missing="ignore")
    assert out["value"].to_dict() == {"x": 2.0, "y": 1.0}


def test_indicator(small):
    pop = small.indicator("population", "epci")
    assert pop.to_dict() == {"200000001": 1102.0, "200000002": 1476.0, "200000003": 4759.0}
    assert small.indicator("area_ha", "region").iloc[0] == 600.0
    assert small.indicator("population").sum() == 7337
    with pytest.raises(SchemaError, match="no column 'emplois'.*population"):
        small.indicator("emplois", "epci")


# ----------------------------------------------------------------------------- geometries


def test_geometries(small):
    epci = small.geometries("epci")
    assert list(epci.columns) == ["nom", "area_ha", "geometry"]
    assert epci.index.tolist() == ["200000001", "200000002", "200000003"]
    assert epci["area_ha"].tolist() == [200.0, 200.0, 200.0]
    np.testing.assert_allclose(epci.area / 10_000, epci["area_ha"])
    assert epci.geometry.iloc[0].geom_type == "Polygon"  # two adjacent boxes merged
    assert epci.crs == small.crs
    commune = small.geometries("commune")
    assert commune.index.tolist() == CODES and len(commune) == 6


def test_geometries_cached_and_protected(small):
    first = small.geometries("scot")
    first.loc["S01", "nom"] = "changed"
    again = small.geometries("scot")
    assert again.loc["S01", "nom"] == "SCoT Nord"
    assert "scot" in small._cache


def test_geometries_overlapping_communes():
    gdf = read_communes(BOXES)
    gdf.loc["02002", "geometry"] = box(700_500, 6_950_000, 702_000, 6_951_000)  # overlaps 02001
    t = Territories(gdf.drop(columns="area_ha"), read_membership(MEMBERSHIP))
    assert not t._is_coverage()
    g = t.geometries("epci")
    assert g.loc["200000001"].geometry.area == pytest.approx(2_000_000)
    assert g.loc["200000001", "area_ha"] == pytest.approx(250.0)  # sum of commune areas


# ----------------------------------------------------------------------------- demo region


def test_demo_region():
    t = Territories.demo()
    assert t.levels == ("commune", "epci", "scot", "departement", "region")
    assert len(t.codes("region")) == 1
    assert 1 < len(t.codes("departement")) < len(t.codes("epci")) < len(t.codes("commune"))
    assert "hors_scot" in t.codes("scot")
    area = t.communes["area_ha"].sum()
    for level in t.levels:
        assert math.isclose(t.indicator("area_ha", level).sum(), area, rel_tol=1e-12)
    pop = t.membership["population"]
    assert t.indicator("population", "scot").sum() == pop.sum()
    g = t.geometries("epci")
    np.testing.assert_allclose(g.area / 10_000, g["area_ha"], rtol=1e-9)


# ----------------------------------------------------------------------------- real data


@pytest.fixture(scope="module")
def hdf() -> Territories:
    layer = shared_path(
        "hdf", "boundaries", "communes_hdf_cog2026_from_france-geojson-2018_dissolved.geojson"
    )
    table = shared_path("hdf", "admin", "communes_hdf_cog2026.csv")
    return Territories.from_files(layer, table)


@pytest.mark.realdata
def test_real_hierarchy(hdf):
    assert hdf.levels == ("commune", "epci", "departement", "region")
    assert len(hdf.codes("commune")) == 3782
    assert len(hdf.codes("epci")) == 92
    assert hdf.codes("departement").tolist() == ["02", "59", "60", "62", "80"]
    assert hdf.codes("region").tolist() == ["32"]
    assert hdf.assignment("epci").notna().all()


@pytest.mark.realdata
def test_real_population_and_area(hdf):
    assert hdf.indicator("population_insee_pmun", "epci").sum() == 5_992_194
    assert hdf.indicator("population_insee_pmun", "departement").sum() == 5_992_194
    area = hdf.communes["area_ha"].sum()
    for level in hdf.levels:
        assert math.isclose(hdf.indicator("area_ha", level).sum(), area, rel_tol=1e-12)


@pytest.mark.realdata
@pytest.mark.slow
def test_real_geometries(hdf):
    epci = hdf.geometries("epci")
    assert len(epci) == 92 and epci.is_valid.all()
    np.testing.assert_allclose(epci.area / 10_000, epci["area_ha"], rtol=1e-9)
    region = hdf.geometries("region")
    assert region["area_ha"].iloc[0] / 100 == pytest.approx(32_002, rel=1e-3)


@pytest.mark.realdata
def test_real_2018_layer_does_not_match_cog2026():
    layer = shared_path("hdf", "boundaries", "communes_hdf_2018_france-geojson.geojson")
    table = shared_path("hdf", "admin", "communes_hdf_cog2026.csv")
    with pytest.raises(MembershipError) as err:
        Territories.from_files(layer, table)
    msg = str(err.value)
    assert "communes_hdf_cog2026.csv" in msg and "26 commune(s) of the layer" in msg
    assert "02077" in msg and "(26 in all)" in msg
