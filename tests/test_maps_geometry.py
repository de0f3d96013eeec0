"""Geometry for web maps: coverage simplification and the compact encoding."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pytest
import shapely
from browser.synthetic import voronoi_communes
from helpers import shared_path
from hypothesis import given
from hypothesis import strategies as st
from shapely.geometry import MultiPolygon, Polygon, box

from zan.errors import GeometryError
from zan.maps._geometry import (
    MapGeometry,
    _unvarints,
    _varints,
    auto_tolerance,
    decode,
    encode,
    overlap_pct,
    simplify,
)


@given(st.lists(st.integers(min_value=-(2**40), max_value=2**40), max_size=200))
def test_varints_round_trip(values):
    text = _varints(np.array(values, dtype=np.int64))
    assert set(text) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert _unvarints(text).tolist() == values


def test_varints_are_short_for_small_deltas():
    # |delta| < 16 fits one character, < 512 two
    assert len(_varints(np.array([15, -16]))) == 2
    assert len(_varints(np.array([511, -512]))) == 4


def test_unvarints_rejects_foreign_characters():
    with pytest.raises(GeometryError, match="unexpected character"):
        _unvarints("AB<")


def test_encode_decode_keeps_holes_and_parts():
    shell = [(0, 0), (10, 0), (10, 10), (0, 10)]
    hole = [(2, 2), (4, 2), (4, 4), (2, 4)]
    donut = Polygon(shell, [hole])
    two = MultiPolygon([box(20, 0, 21, 1), box(22, 0, 23, 1)])
    spec = encode(np.array([donut, two]), step=0.5)
    out = decode(spec)
    assert out[0].area == pytest.approx(100 - 4)
    assert len(out[0].geoms[0].interiors) == 1
    assert len(out[1].geoms) == 2
    assert out[1].equals(two)


def test_encoding_snaps_to_grid_and_keeps_shared_borders():
    g = voronoi_communes(40, evil=False).to_crs(4326)
    spec = encode(g.geometry.values, step=1e-4)
    out = gpd.GeoSeries(decode(spec), crs=4326).to_crs(2154)
    assert overlap_pct(out.values) < 1e-6
    # no gap: the union keeps the area of the original coverage
    union = shapely.union_all(out.values).area
    assert union == pytest.approx(shapely.union_all(g.to_crs(2154).geometry.values).area, rel=1e-3)


def test_simplify_keeps_a_valid_coverage_and_drops_vertices():
    g = voronoi_communes(80, evil=False)
    wavy = g.copy()
    wavy["geometry"] = shapely.segmentize(g.geometry.values, 50)  # add vertices on straight edges
    wavy["geometry"] = shapely.set_precision(wavy.geometry.values, 0.01)
    assert shapely.coverage_is_valid(wavy.geometry.values)
    simple = simplify(wavy, tolerance=20)
    before = shapely.get_num_coordinates(wavy.geometry.values).sum()
    after = shapely.get_num_coordinates(simple.values).sum()
    assert after < before / 3
    assert shapely.coverage_is_valid(simple.values)
    assert overlap_pct(simple.values) < 0.1


def test_simplify_projects_geographic_layers_and_checks_tolerance():
    g = voronoi_communes(10, evil=False).to_crs(4326)
    assert simplify(g).crs.to_epsg() == 2154
    with pytest.raises(GeometryError, match="tolerance must be >= 0"):
        simplify(g, tolerance=-1)


def test_auto_tolerance_scales_with_extent():
    assert auto_tolerance((0, 0, 50_000, 10_000)) == pytest.approx(20.0)
    assert auto_tolerance((0, 0, 500_000, 10_000)) == pytest.approx(200.0)


def test_non_polygons_are_refused_with_rows():
    g = gpd.GeoDataFrame(
        geometry=[box(0, 0, 1, 1), shapely.Point(0, 0)], index=["a", "b"], crs=2154
    )
    with pytest.raises(GeometryError, match=r"1 geometries .*rows b"):
        simplify(g)


def test_map_geometry_bounds_and_label_points_inside():
    g = voronoi_communes(30, evil=False)
    mg = MapGeometry.build(g, list(g["nom"]))
    (s, w), (n, e) = mg.bounds
    wgs = g.to_crs(4326)
    assert (s, w, n, e) == pytest.approx(
        (wgs.total_bounds[1], wgs.total_bounds[0], wgs.total_bounds[3], wgs.total_bounds[2]),
        abs=1e-3,
    )
    pts = shapely.points(mg.label_points[:, 1], mg.label_points[:, 0])
    inside = shapely.contains(wgs.geometry.values, pts) | shapely.dwithin(
        wgs.geometry.values, pts, 1e-4
    )
    assert inside.all()
    assert mg.codes == list(g.index)


def test_map_geometry_is_kept_for_the_same_layer_and_prefetched():
    from zan.maps import prefetch
    from zan.maps._geometry import _CACHE

    _CACHE.clear()
    g = voronoi_communes(40, evil=False)
    first = MapGeometry.build(g, list(g["nom"]))
    assert MapGeometry.build(g.copy(), list(g["nom"])) is first  # same content: kept
    moved = g.copy()
    moved.geometry = moved.translate(10.0, 0.0)
    assert MapGeometry.build(moved, list(g["nom"])) is not first  # other geometry
    assert MapGeometry.build(g, list(g["nom"]), tolerance=5.0) is not first
    renamed = list(g["nom"])
    renamed[0] = "Autre nom"
    assert MapGeometry.build(g, renamed).names[0] == "Autre nom"
    # prepared in the background, then found ready
    _CACHE.clear()
    prefetch(lambda: g).join()
    assert len(_CACHE) == 1
    built = MapGeometry.build(g, list(g["nom"]))
    assert next(iter(_CACHE.values())).result() is built
    # an error in the background is not kept: the map raises it with its message
    bad = gpd.GeoDataFrame(
        {"nom": ["a", "b"]},
        geometry=[box(0, 0, 1, 1), shapely.Point(0, 0)],
        index=["a", "b"],
        crs=2154,
    )
    prefetch(bad).join()
    with pytest.raises(GeometryError, match="rows b"):
        MapGeometry.build(bad, ["a", "b"])


@pytest.mark.realdata
@pytest.mark.slow
def test_real_hdf_layer_is_light_and_keeps_the_coverage():
    path = shared_path(
        "hdf", "boundaries", "communes_hdf_cog2026_from_france-geojson-2018_dissolved.geojson"
    )
    g = gpd.read_file(path).set_index("code_insee")
    mg = MapGeometry.build(g, list(g["nom"]))
    decoded = gpd.GeoSeries(decode(mg.spec), crs=4326).to_crs(2154)
    assert len(decoded) == 3782
    assert shapely.is_valid(decoded.values).all()
    assert overlap_pct(decoded.values) < 0.1
    region = shapely.union_all(g.to_crs(2154).geometry.values).area
    assert shapely.union_all(decoded.values).area == pytest.approx(region, rel=1e-3)
    encoded = sum(len(v) for v in mg.spec.values() if isinstance(v, str))
    assert encoded < path.stat().st_size / 5
