"""Class areas of classified rasters per territory."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import rasterio
import shapely
from affine import Affine
from pyproj import CRS, Geod
from shapely.geometry import box

from zan.errors import CRSError, DataError
from zan.io.raster import open_raster, read_legend
from zan.measure.raster import geographic_row_areas, raster_class_areas

L93 = "EPSG:2154"


def _tif(path, data, *, crs=L93, x0=0.0, y1=400.0, px=100.0, nodata=0):
    with rasterio.open(path, "w", driver="GTiff", width=data.shape[1], height=data.shape[0],
                       count=1, dtype=data.dtype, crs=crs, nodata=nodata,
                       transform=Affine(px, 0, x0, 0, -px, y1)) as ds:
        ds.write(data, 1)
    return path


def _data():
    # 4 x 4 pixels of 100 m: left half 111 (artificial), right half 211, one nodata pixel
    d = np.array([[111, 111, 211, 211]] * 4, dtype="uint16")
    d[0, 3] = 0
    return d


def _zones(crs=L93):
    z = gpd.GeoDataFrame({"nom": ["Ouest", "Est"]}, geometry=[box(0, 0, 160, 400), box(160, 0, 400, 400)],
                         index=pd.Index(["a", "b"], name="code"), crs=L93)
    return z.to_crs(crs)


def test_exact_class_areas_and_artificial_share(tmp_path):
    path = _tif(tmp_path / "c.tif", _data())
    st = raster_class_areas(path, _zones(), legend="corine")
    # zone a holds the pixel centres x=50 and x=150 (class 111), zone b x=250 and x=350
    assert st.by_class.loc["a", 111] == pytest.approx(8.0)
    assert st.by_class.loc["b", 111] == pytest.approx(0.0)
    assert st.by_class.loc["b", 211] == pytest.approx(7.0)
    t = st.table
    assert t.loc["b", "nodata_ha"] == pytest.approx(1.0)
    assert t.loc["a", "artificial_pct"] == pytest.approx(100.0)
    assert t.loc["b", "artificial_pct"] == pytest.approx(0.0)
    assert t["raster_ha"].sum() == pytest.approx(16.0)  # conservation: every pixel once
    assert t.loc["a", "area_ha"] == pytest.approx(6.4)
    assert t["outside_extent_ha"].sum() == pytest.approx(0.0)
    assert st.labels[111] == "Tissu urbain continu"


def test_zones_in_another_crs_are_reprojected_with_a_note(tmp_path):
    path = _tif(tmp_path / "c.tif", _data())
    st = raster_class_areas(path, _zones("EPSG:4326"), legend="corine")
    assert any("reprojected" in n for n in st.notes)
    assert st.table["classified_ha"].sum() == pytest.approx(15.0)


def test_raster_without_crs_is_refused_unless_given(tmp_path):
    path = tmp_path / "nocrs.tif"
    with rasterio.open(path, "w", driver="GTiff", width=4, height=4, count=1, dtype="uint8",
                       transform=Affine(100, 0, 0, 0, -100, 400)) as ds:
        ds.write(np.ones((4, 4), dtype="uint8"), 1)
    with pytest.raises(CRSError, match="crs='EPSG:2154'"):
        open_raster(path)
    src = open_raster(path, crs=L93)
    assert src.pixel_area_m2 == 10_000 and src.notes
    st = raster_class_areas(src, _zones())
    assert st.by_class[1].sum() == pytest.approx(16.0)
    assert st.table["artificial_ha"].isna().all()


def test_float_raster_and_no_overlap_are_clear_errors(tmp_path):
    f = _tif(tmp_path / "f.tif", np.zeros((4, 4), dtype="float32"))
    with pytest.raises(DataError, match="not integer classes"):
        open_raster(f)
    path = _tif(tmp_path / "c.tif", _data())
    far = gpd.GeoDataFrame(geometry=[box(1e5, 1e5, 1e5 + 10, 1e5 + 10)],
                           index=pd.Index(["x"], name="code"), crs=L93)
    with pytest.raises(DataError, match="no territory overlaps the raster"):
        raster_class_areas(path, far)


def test_legend_csv_and_artificial_override(tmp_path):
    leg = tmp_path / "legend.csv"
    leg.write_text("value,libelle,artificiel\n111,Urbain,1\n211,Champs,0\n", encoding="utf-8")
    assert read_legend(leg).loc[211, "libelle"] == "Champs"
    path = _tif(tmp_path / "c.tif", _data())
    st = raster_class_areas(path, _zones(), legend=leg, artificial=[211])
    assert st.table.loc["b", "artificial_ha"] == pytest.approx(7.0)
    assert st.table.loc["a", "artificial_ha"] == pytest.approx(0.0)


def test_geographic_pixel_areas_match_pyproj():
    t = Affine(0.01, 0, 2.0, 0, -0.01, 50.0)
    areas = geographic_row_areas(t, 3, CRS("EPSG:4326"))
    geod = Geod(ellps="WGS84")
    for row in range(3):
        lat1, lat0 = 50.0 - 0.01 * row, 50.0 - 0.01 * (row + 1)
        a, _ = geod.polygon_area_perimeter([2.0, 2.01, 2.01, 2.0], [lat0, lat0, lat1, lat1])
        assert areas[row] == pytest.approx(abs(a), rel=1e-6)


def test_geographic_raster_conserves_area(tmp_path):
    d = np.full((10, 10), 112, dtype="uint16")
    path = _tif(tmp_path / "g.tif", d, crs="EPSG:4326", x0=2.0, y1=50.1, px=0.01)
    zone = gpd.GeoDataFrame(geometry=[box(2.0, 50.0, 2.1, 50.1)], index=pd.Index(["z"], name="code"),
                            crs="EPSG:4326")
    st = raster_class_areas(path, zone, legend="corine")
    expected = geographic_row_areas(open_raster(path).transform, 10, CRS("EPSG:4326")).sum() * 10
    assert st.table["classified_ha"].iloc[0] * 1e4 == pytest.approx(expected, rel=1e-9)
    assert st.pixel_area_m2 is None


def test_demo_corine_by_departement_equals_sum_of_communes():
    from zan.datasets import get_path
    from zan.territory import Territories

    t = Territories.demo()
    dep = raster_class_areas(get_path("corine_demo.tif"), t, level="departement", legend="corine")
    com = raster_class_areas(get_path("corine_demo.tif"), t, level="commune", legend="corine")
    assert dep.table["classified_ha"].sum() == pytest.approx(com.table["classified_ha"].sum(), abs=1e-6)
    assert (dep.table["artificial_pct"] > 0).all()


# ---------------------------------------------------------------------- scanline spans vs GDAL


def _random_zones(rng, n, extent):
    """Voronoi zones over ``extent`` (some beyond the raster), one with a hole, one in two parts."""
    x0, y0, x1, y1 = extent
    pts = shapely.points(rng.uniform(x0, x1, n), rng.uniform(y0, y1, n))
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=box(*extent)))
    cells = np.asarray(shapely.intersection(cells, box(*extent)), dtype=object)
    hole = shapely.buffer(shapely.centroid(cells[0]), 15.0, quad_segs=2)
    cells[0] = cells[0].difference(hole)
    cells[1] = shapely.MultiPolygon([*shapely.get_parts(cells[1]), *shapely.get_parts(cells[2])])
    cells = np.delete(cells, 2)
    # clockwise rings for half of them
    cells[::2] = shapely.orient_polygons(cells[::2], exterior_cw=True)
    return cells


@pytest.mark.parametrize(
    ("dtype", "top", "width", "strip"),
    [
        ("uint8", 12, 301, 4_000),  # values < 16: pairs of pixels (odd width: pairs across rows)
        ("uint8", 12, 300, 3_000),
        ("uint8", 60, 300, 100_000),  # < 64: four interleaved counts
        ("uint8", 250, 257, 1_000),  # all values
        ("uint16", 523, 300, 5_000),  # value table
        ("int16", 300, 211, 5_000),
        ("int32", 70_000, 150, 5_000),
    ],
)
def test_scanline_counts_equal_gdal_rasterize(tmp_path, monkeypatch, dtype, top, width, strip):
    from zan.measure.raster import _class_counts, _ClassCounter

    calls = []
    pairs = _ClassCounter._add_pairs
    monkeypatch.setattr(_ClassCounter, "_add_pairs", lambda self, *a: calls.append(1) or pairs(self, *a))

    rng = np.random.default_rng(width + top)
    height = 173
    data = rng.integers(0, top + 1, size=(height, width)).astype(dtype)
    data[:, : width // 3] = data[0, 0]  # long runs of one value
    path = _tif(tmp_path / "r.tif", data, x0=1000.0, y1=2000.0, px=10.0, nodata=None)
    extent = (980.0, 2000.0 - height * 10 - 25, 1000.0 + width * 10 + 30, 2020.0)
    zones = _random_zones(rng, 40, extent)
    src = open_raster(path)
    kw = dict(transform=src.transform, width=src.width, height=src.height, dtype=src.dtype,
              row_area=None, strip_pixels=strip, progress=False)
    v_fast, c_fast = _class_counts(path, 1, zones, **kw)
    v_ref, c_ref = _class_counts(path, 1, zones, scanline=False, **kw)
    np.testing.assert_array_equal(v_fast, v_ref)
    np.testing.assert_array_equal(c_fast, c_ref)
    assert c_fast.sum() > 0.5 * data.size  # the zones cover most of the raster
    assert bool(calls) == (dtype == "uint8" and top < 16)  # the pair counting was used


def test_scanline_falls_back_on_overlaps_and_ties(tmp_path):
    from zan.measure.raster import _band_spans, _class_counts, _pixel_edges

    data = np.arange(100, dtype="uint8").reshape(10, 10) % 7
    path = _tif(tmp_path / "r.tif", data, x0=0.0, y1=100.0, px=10.0, nodata=None)
    src = open_raster(path)
    # overlapping zones (the last one drawn wins in GDAL), and a horizontal edge on a row of
    # pixel centres (y = 45)
    zones = np.asarray([box(0, 0, 60, 100), box(40, 0, 100, 100), box(0, 45, 30, 80)], dtype=object)
    edges = _pixel_edges(zones, src.transform, src.height)
    assert _band_spans(edges, 0, 10, 10, 3) is None
    kw = dict(transform=src.transform, width=10, height=10, dtype=src.dtype, row_area=None,
              strip_pixels=20, progress=False)
    fast = _class_counts(path, 1, zones, **kw)
    ref = _class_counts(path, 1, zones, scanline=False, **kw)
    np.testing.assert_array_equal(fast[1], ref[1])


def test_geographic_raster_blocks_weight_rows(tmp_path):
    from zan.measure.raster import _class_counts

    rng = np.random.default_rng(3)
    data = rng.integers(1, 5, size=(40, 30)).astype("uint8")
    path = _tif(tmp_path / "g.tif", data, crs="EPSG:4326", x0=2.0, y1=50.4, px=0.01, nodata=None)
    src = open_raster(path)
    zones = _random_zones(rng, 8, (1.99, 49.99, 2.31, 50.41))
    rows = geographic_row_areas(src.transform, src.height, src.crs)
    kw = dict(transform=src.transform, width=30, height=40, dtype="uint8", row_area=rows,
              strip_pixels=90, progress=False)
    fast = _class_counts(path, 1, zones, **kw)
    ref = _class_counts(path, 1, zones, scanline=False, **kw)
    np.testing.assert_allclose(fast[1], ref[1], rtol=1e-12)
    halves = np.asarray([box(1.9, 49.9, 2.13, 50.5), box(2.13, 49.9, 2.4, 50.5)], dtype=object)
    both = _class_counts(path, 1, halves, **kw)[1]
    assert both.sum() == pytest.approx(rows.sum() * 30, rel=1e-12)  # every pixel once


@pytest.mark.parametrize("dtype", ["uint8", "uint16"])
def test_two_threads_count_the_same_as_one(tmp_path, monkeypatch, dtype):
    """An 8-bit raster is counted in two halves of rows in two threads; the same counts."""
    from zan.measure.raster import _class_counts, _ClassCounter

    made = []
    init = _ClassCounter.__init__
    monkeypatch.setattr(
        _ClassCounter, "__init__", lambda self, *a, **k: made.append(1) or init(self, *a, **k)
    )
    rng = np.random.default_rng(7)
    height, width = 251, 199
    data = rng.integers(0, 40, size=(height, width)).astype(dtype)
    path = _tif(tmp_path / "r.tif", data, x0=1000.0, y1=3000.0, px=10.0, nodata=None)
    zones = _random_zones(
        rng, 30, (990.0, 3000.0 - height * 10 - 5, 1000.0 + width * 10 + 5, 3010.0)
    )
    src = open_raster(path)
    kw = dict(
        transform=src.transform,
        width=src.width,
        height=src.height,
        dtype=src.dtype,
        row_area=None,
        strip_pixels=2_000,
        progress=False,
    )
    monkeypatch.setenv("ZAN_THREADS", "2")
    v_two, c_two = _class_counts(path, 1, zones, **kw)
    assert len(made) == (2 if dtype == "uint8" else 1)  # halves only for 8-bit counts
    monkeypatch.setenv("ZAN_THREADS", "1")
    made.clear()
    v_one, c_one = _class_counts(path, 1, zones, **kw)
    assert len(made) == 1
    np.testing.assert_array_equal(v_two, v_one)
    np.testing.assert_array_equal(c_two, c_one)
    assert c_one.sum() > 0.9 * data.size
