"""The per-parcel table is sorted by id, whatever the order and the kind of the ids given."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from shapely.geometry import box

from zan.measure.parcels import parcel_landcover

L93 = "EPSG:2154"


def _landcover(rng: np.random.Generator) -> gpd.GeoDataFrame:
    """Voronoi blocks over 300 m × 300 m, a third artificialised."""
    extent = box(0, 0, 300, 300)
    pts = shapely.multipoints(rng.uniform(0, 300, (20, 2)))
    cells = shapely.intersection(
        shapely.get_parts(shapely.voronoi_polygons(pts, extend_to=extent)), extent
    )
    return gpd.GeoDataFrame(
        {"artificialised": np.arange(len(cells)) % 3 == 0}, geometry=cells, crs=L93
    )


def _parcels(rng: np.random.Generator, ids: list, dtype: str | None = None) -> gpd.GeoDataFrame:
    x, y = rng.uniform(0, 280, (2, len(ids)))
    w, h = rng.uniform(2, 40, (2, len(ids)))
    return gpd.GeoDataFrame(
        {"commune": ["59350"] * len(ids), "contenance": np.arange(len(ids), dtype=float)},
        geometry=shapely.box(x, y, x + w, y + h),
        index=pd.Index(ids, name="id", dtype=dtype),
        crs=L93,
    )


def test_parcel_table_sorted_by_id_whatever_the_input_order():
    """Ids of mixed lengths, non-ASCII, unsorted: one table, sorted as sort_index sorts."""
    rng = np.random.default_rng(11)
    lc = _landcover(rng)
    alphabet = np.array(list("0159ABZaé中\x00"))
    ids = sorted({"".join(rng.choice(alphabet, rng.integers(0, 20))) for _ in range(400)})
    ids = [ids[i] for i in rng.permutation(len(ids))[:150]]
    frame = _parcels(rng, ids)
    shuffled = frame.iloc[np.random.default_rng(3).permutation(len(ids))]
    tables = [parcel_landcover(f, lc) for f in (frame, frame.iloc[::-1], shuffled)]
    assert list(tables[0].index) == sorted(ids)  # Python's order: by code point
    assert tables[0].index.name == "id"
    assert tables[0]["artificialised_m2"].gt(0).any() and tables[0]["enaf_m2"].gt(0).any()
    for t in tables[1:]:
        pd.testing.assert_frame_equal(t, tables[0], check_exact=True)
    # the values stay with their parcel
    np.testing.assert_array_equal(
        tables[0].loc[ids, "contenance_m2"].to_numpy(), np.arange(len(ids), dtype=float)
    )
    np.testing.assert_array_equal(
        tables[0].loc[ids, "area_m2"].to_numpy(), shapely.area(frame.geometry.array)
    )
    # a slice of the frame (its ids an Arrow slice with an offset)
    pd.testing.assert_frame_equal(
        parcel_landcover(shuffled.iloc[7:], lc), tables[0].drop(shuffled.index[:7])
    )
    # the same ids in an object-dtype index: the same order
    obj = _parcels(np.random.default_rng(11), ids, dtype="object")
    assert list(parcel_landcover(obj, lc).index) == sorted(ids)


def test_parcel_table_of_fixed_width_duplicate_and_integer_ids():
    """Duplicates stay in input order (read_parcels refuses them); integers sort numerically."""
    lc = gpd.GeoDataFrame(
        {"artificialised": [True, False]},
        geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)],
        crs=L93,
    )
    geoms = [box(0, 0, 10, 10), box(95, 0, 105, 10), box(150, 0, 160, 20), box(10, 10, 30, 30)]
    parcels = gpd.GeoDataFrame({"commune": ["59350"] * 4}, geometry=geoms, crs=L93)

    def table(ids: list) -> pd.DataFrame:
        return parcel_landcover(parcels.set_axis(pd.Index(ids, name="id")), lc)

    ids14 = ["59350000AB0002", "59350000AB0001", "59350000AB0002", "59350000AB0001"]
    t = table(ids14)
    assert list(t.index) == sorted(ids14)
    assert t["area_m2"].tolist() == [100.0, 400.0, 100.0, 200.0]  # stable: input order kept
    t = table(["59350AB2", "59350AB1", "59350AA9", "59350AB1"])  # 8 bytes: one key
    assert t["area_m2"].tolist() == [200.0, 100.0, 400.0, 100.0]
    t = table(["59350000AB000002", "59350000AB000001", "59350000AB000003", "59350000AB000000"])
    assert t["area_m2"].tolist() == [400.0, 100.0, 100.0, 200.0]  # 16 bytes: two keys
    t = table([10, 9, 100, 2])
    assert list(t.index) == [2, 9, 10, 100]
    assert t["artificialised_m2"].tolist() == [400.0, 50.0, 100.0, 0.0]
    t = table(["b", "a", "c", "d"])  # already sorted after one swap; and the sorted case
    assert list(t.index) == ["a", "b", "c", "d"]
    assert list(table(["a", "b", "c", "d"]).index) == ["a", "b", "c", "d"]


def test_parcel_centred_on_a_shared_land_cover_edge_is_counted_once():
    """A parcel no net edge crosses, centred on an edge (or corner) two polygons share."""
    cells = [box(x, y, x + 100, y + 100) for x in (0, 100) for y in (0, 100)]
    lc = gpd.GeoDataFrame({"artificialised": [True] * 4}, geometry=cells, crs=L93)
    geoms = [box(90, 40, 110, 60), box(80, 80, 120, 120), box(20, 20, 30, 30)]
    ids = ["59350000AB0001", "59350000AB0002", "59350000AB0003"]
    parcels = gpd.GeoDataFrame(
        {"commune": ["59350"] * 3}, geometry=geoms, index=pd.Index(ids, name="id"), crs=L93
    )
    t = parcel_landcover(parcels, lc)
    assert t["covered_m2"].tolist() == [400.0, 1600.0, 100.0]
    assert t["artificialised_m2"].tolist() == [400.0, 1600.0, 100.0]
    assert t["enaf_m2"].tolist() == [0.0, 0.0, 0.0]
