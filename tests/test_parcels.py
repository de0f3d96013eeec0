"""Etalab parcels: reading, per-parcel artificialised/ENAF area, per commune, lookup."""

from __future__ import annotations

import gzip
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
import shapely.affinity
from shapely.geometry import MultiPolygon, Polygon, box, mapping

from zan.errors import DataError, SchemaError
from zan.io.cadastre import normalize_parcel_refs, read_parcels
from zan.measure.parcels import enaf_by_commune, lookup_parcels, parcel_landcover

L93 = "EPSG:2154"


def _etalab(path, commune, boxes_l93, *, gz=True):
    """Write an Etalab-style parcel file (EPSG:4326) from Lambert-93 boxes."""
    wgs = gpd.GeoSeries(boxes_l93, crs=L93).to_crs("EPSG:4326")
    feats = []
    for k, geom in enumerate(wgs, start=1):
        pid = f"{commune}000AB{k:04d}"
        props = {"id": pid, "commune": commune, "prefixe": "000", "section": "AB",
                 "numero": f"{k:04d}", "contenance": 100 * k, "arpente": False,
                 "created": "2010-01-01", "updated": "2020-01-01"}
        feats.append({"type": "Feature", "id": pid, "geometry": mapping(geom), "properties": props})
    text = json.dumps({"type": "FeatureCollection", "features": feats}).encode()
    path.write_bytes(gzip.compress(text) if gz else text)
    return path


def _landcover():
    return gpd.GeoDataFrame({"artificialised": [True, False]},
                            geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)], crs=L93)


def test_read_etalab_files_gz_and_plain(tmp_path):
    a = _etalab(tmp_path / "cadastre-59350-parcelles.json.gz", "59350",
                [box(0, 0, 50, 50), box(90, 0, 110, 20)])
    b = _etalab(tmp_path / "cadastre-59001-parcelles.json", "59001", [box(150, 0, 250, 50)], gz=False)
    p = read_parcels([a, b])
    assert p.crs.to_epsg() == 2154
    assert list(p.index) == ["59350000AB0001", "59350000AB0002", "59001000AB0001"]
    assert p["contenance"].tolist() == [100.0, 200.0, 100.0]
    assert p.area.iloc[0] == pytest.approx(2500, rel=1e-6)
    assert len(read_parcels(tmp_path, communes=["59001"])) == 1


def test_duplicate_parcels_and_bad_ids_are_clear_errors(tmp_path):
    a = _etalab(tmp_path / "cadastre-59350-parcelles.json.gz", "59350", [box(0, 0, 50, 50)])
    with pytest.raises(DataError, match="given twice"):
        read_parcels([a, a])
    g = gpd.GeoDataFrame({"id": ["123"], "commune": ["59350"]}, geometry=[box(0, 0, 1, 1)], crs=L93)
    g.to_file(tmp_path / "bad.geojson")
    with pytest.raises(SchemaError, match="14-character"):
        read_parcels(tmp_path / "bad.geojson")


def test_normalize_references():
    out = normalize_parcel_refs(["59350000AB0123", "59350 000 AB 0123", "59350-ab-123",
                                 "2A004 000 0B 12", "xx"])
    assert out.tolist()[:4] == ["59350000AB0123"] * 3 + ["2A0040000B0012"]
    assert pd.isna(out.iloc[4])


def test_parcel_areas_exact_on_boxes():
    parcels = gpd.GeoDataFrame(
        {"commune": ["59350", "59350", "59001"], "contenance": [2500, 400, 5000]},
        geometry=[box(10, 10, 60, 60), box(90, 0, 110, 20), box(150, 50, 250, 100)],
        index=pd.Index(["59350000AB0001", "59350000AB0002", "59001000AB0001"], name="id"),
        crs=L93,
    )
    t = parcel_landcover(parcels, _landcover())
    assert t.loc["59350000AB0001", ["artificialised_m2", "enaf_m2"]].tolist() == [2500.0, 0.0]
    assert t.loc["59350000AB0002", ["artificialised_m2", "enaf_m2"]].tolist() == pytest.approx(
        [200.0, 200.0])
    row = t.loc["59001000AB0001"]
    assert (row["enaf_m2"], row["uncovered_m2"], row["enaf_share"]) == pytest.approx((2500, 2500, 0.5))
    per = enaf_by_commune(t)
    assert per.loc["59350", "enaf_ha"] == pytest.approx(0.02)
    assert per.loc["59001", "parcels"] == 1
    # conservation: the communes add up to the parcels
    assert per["artificialised_ha"].sum() * 1e4 == pytest.approx(t["artificialised_m2"].sum())


def test_parcels_in_other_crs_are_reprojected():
    parcels = gpd.GeoDataFrame({"commune": ["59350"]}, geometry=[box(10, 10, 60, 60)],
                               index=pd.Index(["59350000AB0001"], name="id"), crs=L93)
    t = parcel_landcover(parcels.to_crs("EPSG:4326"), _landcover())
    assert t["artificialised_m2"].iloc[0] == pytest.approx(2500, rel=1e-6)


def test_lookup_by_reference():
    t = pd.DataFrame({"commune": ["59350"], "area_m2": [200.0], "enaf_m2": [150.0],
                      "artificialised_m2": [50.0], "enaf_share": [0.75]},
                     index=pd.Index(["59350000AB0123"], name="id"))
    out = lookup_parcels(["59350 AB 123"], t)
    assert out[["id", "found", "commune", "enaf_m2"]].values.tolist() == [
        ["59350000AB0123", True, "59350", 150.0]]
    with pytest.raises(DataError) as err:
        lookup_parcels(["59350000AB0999", "nope"], t)
    assert "59350000AB0999" in str(err.value) and "'nope'" in str(err.value)
    soft = lookup_parcels(["59350000AB0999"], t, missing="ignore")
    assert not soft["found"].iloc[0] and pd.isna(soft["enaf_m2"].iloc[0])


def test_demo_parcels_conserve_the_landcover_area():
    from zan.datasets import demo_dir, get_path
    from zan.io.ocsge import read_ocsge
    from zan.measure.artificialisation import classify, intersection_areas

    files = sorted(demo_dir().glob("cadastre-*-parcelles.json.gz"))
    parcels = read_parcels(files)
    assert 2000 <= len(parcels) <= 5000 and parcels["commune"].nunique() == 3
    lc = classify(read_ocsge(get_path("ocsge_demo_2018.gpkg")))
    t = parcel_landcover(parcels, lc)
    # same total as a plain overlay of the artificialised polygons with the parcels
    art = lc.layer[lc.layer["artificialised"]]
    pairs = intersection_areas(parcels, art)
    assert t["artificialised_m2"].sum() == pytest.approx(pairs["area_m2"].sum(), abs=1.0)
    assert ((t["covered_m2"] + t["uncovered_m2"]) - t["area_m2"]).abs().max() < 1e-6


# ---------------------------------------------------------------------- edge engine vs GEOS


def _voronoi_landcover(rng, n, extent, *, holes=True, multipart=True):
    """Voronoi land cover over ``extent`` with some holes, a few multipolygons and 30 % artificialised."""
    x0, y0, x1, y1 = extent
    pts = shapely.points(rng.uniform(x0, x1, n), rng.uniform(y0, y1, n))
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=box(*extent)))
    cells = shapely.intersection(cells, box(*extent))
    cells = np.asarray(cells, dtype=object)
    if holes:
        # holes in some cells, filled by their own polygon (still a partition)
        k = rng.choice(len(cells), size=len(cells) // 10, replace=False)
        inner = shapely.buffer(shapely.centroid(cells[k]), 6.0, quad_segs=3)
        inner = shapely.intersection(inner, cells[k])
        cells[k] = shapely.difference(cells[k], inner)
        cells = np.concatenate((cells, inner))
    if multipart:
        # merge a few neighbouring pairs into multipolygons (not dissolved: two parts)
        k = rng.choice(len(cells) - 1, size=len(cells) // 20, replace=False)
        k = k[np.argsort(k)]
        k = k[np.r_[True, np.diff(k) > 1]]
        merged = shapely.multipolygons([[a, b] for a, b in zip(
            shapely.get_parts(cells[k]), shapely.get_parts(cells[k + 1]), strict=True)])
        cells[k] = merged
        cells = np.delete(cells, k + 1)
    art = rng.uniform(size=len(cells)) < 0.3
    return np.asarray(cells, dtype=object), art


def _random_parcels(rng, n, extent):
    """Random convex quads, L-shapes, parcels with a hole and two-part parcels."""
    x0, y0, x1, y1 = extent
    cx, cy = rng.uniform(x0 - 20, x1 + 20, n), rng.uniform(y0 - 20, y1 + 20, n)
    w, h = rng.uniform(5, 60, n), rng.uniform(5, 60, n)
    ang = rng.uniform(0, np.pi, n)
    out = []
    for i in range(n):
        kind = i % 4
        if kind == 0:  # rotated rectangle
            p = shapely.affinity.rotate(box(-w[i] / 2, -h[i] / 2, w[i] / 2, h[i] / 2), ang[i], use_radians=True)
        elif kind == 1:  # L shape (not convex), clockwise
            p = Polygon([(0, 0), (0, h[i]), (w[i] / 3, h[i]), (w[i] / 3, h[i] / 3), (w[i], h[i] / 3), (w[i], 0)])
        elif kind == 2:  # with a hole
            p = box(0, 0, w[i], h[i]).difference(box(w[i] / 4, h[i] / 4, w[i] / 2, h[i] / 2))
        else:  # two parts
            p = MultiPolygon([box(0, 0, w[i] / 3, h[i]), box(w[i] / 2, 0, w[i], h[i] / 2)])
        out.append(shapely.affinity.translate(p, cx[i], cy[i]))
    return np.asarray(out, dtype=object)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_edge_engine_equals_geos_intersections(seed):
    from zan.measure.parcels import _parcel_sums

    rng = np.random.default_rng(seed)
    extent = (700_000.0, 6_600_000.0, 701_000.0, 6_601_000.0)
    lc, art = _voronoi_landcover(rng, 120, extent)
    parcels = _random_parcels(rng, 1200, extent)
    fast = _parcel_sums(parcels, lc, art, chunk_size=300)
    ref = _parcel_sums(parcels, lc, art, method="geos")
    assert np.abs(fast[0] - ref[0]).max() < 1e-6
    assert np.abs(fast[1] - ref[1]).max() < 1e-6
    # something to measure: parcels outside the land cover, inside it, and across it
    assert (ref[0] == 0).any() and (ref[1] > 0).any() and ((ref[0] > 0) & (ref[0] < shapely.area(parcels) - 1)).any()


def test_edge_engine_handles_shared_edges_orientation_and_overlaps():
    from zan.measure.parcels import _parcel_sums

    # land cover: a grid of 10 m cells, clockwise, one cell given twice (overlap), a gap
    cells = [Polygon(list(box(x, y, x + 10, y + 10).exterior.coords)[::-1])
             for x in range(0, 50, 10) for y in range(0, 50, 10) if (x, y) != (20, 20)]
    cells.append(box(0, 0, 10, 10))  # the same cell again: counted twice, as pair by pair
    cells.append(Polygon([(30, 30), (40, 30), (35, 40)]))  # overlaps two cells
    lc = np.asarray(cells, dtype=object)
    art = np.arange(len(lc)) % 3 == 0
    parcels = np.asarray([
        box(0, 0, 10, 10),  # exactly one cell (shared edges, corners on vertices)
        box(5, 5, 25, 15),  # across several cells, edges on grid lines
        box(15, 15, 35, 35),  # around the gap
        box(2, 2, 8, 8),  # inside the doubled cell
        box(33, 31, 37, 33),  # inside the overlap
        box(45, 45, 60, 60),  # partly outside
        box(100, 100, 110, 110),  # outside
        Polygon(),  # empty
        None,
        shapely.LineString([(0, 0), (5, 5)]),  # not a polygon
    ], dtype=object)
    fast = _parcel_sums(parcels, lc, art)
    ref = _parcel_sums(parcels, lc, art, method="geos")
    np.testing.assert_allclose(fast[0], ref[0], atol=1e-9)
    np.testing.assert_allclose(fast[1], ref[1], atol=1e-9)
    assert fast[0][3] == pytest.approx(72.0)  # 36 m2 covered twice
    assert fast[0][5] == pytest.approx(25.0)


def test_parcel_landcover_matches_a_plain_overlay():
    """The per-commune artificialised area equals a geopandas overlay of the same layers."""
    rng = np.random.default_rng(5)
    extent = (700_000.0, 6_600_000.0, 700_500.0, 6_600_500.0)
    lc_geoms, art = _voronoi_landcover(rng, 40, extent, holes=False, multipart=False)
    lc = gpd.GeoDataFrame({"artificialised": art}, geometry=lc_geoms, crs=L93)
    geoms = _random_parcels(rng, 300, extent)
    ids = [f"59{i % 3:03d}000AB{i:04d}" for i in range(len(geoms))]
    parcels = gpd.GeoDataFrame({"commune": [i[:5] for i in ids]}, geometry=geoms,
                               index=pd.Index(ids, name="id"), crs=L93).iloc[::-1]
    t = parcel_landcover(parcels, lc)
    assert list(t.index) == sorted(ids)
    pieces = gpd.overlay(parcels.reset_index(), lc[lc["artificialised"]], how="intersection",
                         keep_geom_type=True)
    ref = pieces.assign(a=pieces.area).groupby("commune")["a"].sum()
    got = t.groupby("commune")["artificialised_m2"].sum()
    np.testing.assert_allclose(got.reindex(ref.index).to_numpy(), ref.to_numpy(), atol=1e-6)
