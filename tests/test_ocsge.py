"""Reading OCS GE layers, the nomenclature and the GeoParquet cache."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from helpers import shared_path
from shapely.geometry import Polygon, box

from zan.errors import CRSError, DataError, SchemaError
from zan.io.cache import cache_partitions, read_cache, write_cache
from zan.io.ocsge import landcover_from_frame, read_ocsge, read_ocsge_difference
from zan.nomenclature import classify_pairs, read_matrix


def _layer(**cols):
    n = len(next(iter(cols.values())))
    geoms = [box(100 * i, 0, 100 * (i + 1), 100) for i in range(n)]
    return gpd.GeoDataFrame(cols, geometry=geoms, crs="EPSG:2154")


def test_column_names_vary_in_case_and_codes_are_normalised():
    lc = landcover_from_frame(_layer(COUVERTURE=["1.1.1.1", "cs2.2.1"], USAGE=[" us5", "US1.1"]))
    assert lc.layer["code_cs"].tolist() == ["CS1.1.1.1", "CS2.2.1"]
    assert lc.layer["code_us"].tolist() == ["US5", "US1.1"]
    assert lc.has_usage and not lc.has_ign_flag


def test_unknown_codes_are_all_listed_with_counts():
    g = _layer(code_cs=["CS9.9", "CS9.9", "CS1.1.1.1"], code_us=["US5", "US77", "US5"])
    with pytest.raises(DataError) as err:
        landcover_from_frame(g, source="bad.gpkg")
    msg = str(err.value)
    assert "bad.gpkg" in msg and "CS9.9 (2 polygons)" in msg and "US77 (1 polygons)" in msg


def test_missing_couverture_column_names_the_argument():
    with pytest.raises(SchemaError, match="code_cs="):
        landcover_from_frame(_layer(nature=["x"]), source="x.gpkg")


def test_layer_without_crs_is_refused():
    g = _layer(code_cs=["CS1.1.1.1"]).set_crs(None, allow_override=True)
    with pytest.raises(CRSError, match="no coordinate reference system"):
        landcover_from_frame(g)


def test_layer_in_other_crs_is_reprojected_with_a_note():
    g = _layer(code_cs=["CS1.1.1.1"], code_us=["US5"]).to_crs("EPSG:4326")
    lc = landcover_from_frame(g, source="wgs.geojson")
    assert lc.crs.to_epsg() == 2154
    assert any("reprojected from EPSG:4326" in n for n in lc.notes)
    assert lc.layer.area.iloc[0] == pytest.approx(10_000, rel=1e-6)


def test_invalid_geometry_is_repaired_and_reported():
    bow = Polygon([(0, 0), (10, 10), (10, 0), (0, 10)])
    g = gpd.GeoDataFrame({"code_cs": ["CS2.2.1"]}, geometry=[bow], crs="EPSG:2154")
    lc = landcover_from_frame(g, source="bow.gpkg")
    assert lc.repaired == 1 and lc.layer.is_valid.all()
    assert lc.layer.area.iloc[0] == pytest.approx(50.0)
    assert any("1 invalid polygon geometry repaired" in n and "row 0" in n for n in lc.notes)


def test_overlaps_are_resolved_in_favour_of_the_smaller_polygon():
    g = gpd.GeoDataFrame(
        {"code_cs": ["CS2.2.1", "CS1.1.1.1"]},
        geometry=[box(0, 0, 100, 100), box(90, 0, 110, 10)],
        crs="EPSG:2154",
    )
    lc = landcover_from_frame(g)
    assert lc.overlap_m2 == pytest.approx(100.0)
    assert lc.layer.area.tolist() == pytest.approx([9_900.0, 200.0])
    assert any("overlapped" in n for n in lc.notes)


def test_ign_artif_flag_is_parsed_and_bad_values_rejected():
    lc = landcover_from_frame(_layer(code_cs=["CS1.1.1.1", "CS2.2.1"], artif=["artif", "non artif"]))
    assert lc.has_ign_flag and lc.layer["artif_ign"].tolist() == [True, False]
    with pytest.raises(DataError, match="'peut-être'"):
        landcover_from_frame(_layer(code_cs=["CS1.1.1.1"], artif=["peut-être"]))


def test_vintage_from_column_or_file_name(tmp_path):
    g = _layer(CODE_CS=["CS1.1.1.1"], CODE_US=["US5"])
    path = tmp_path / "OCS-GE_59_2021.gpkg"
    g.to_file(path)
    assert read_ocsge(path).vintage == 2021
    assert landcover_from_frame(g.assign(millesime=2018)).vintage == 2018


def test_difference_product(tmp_path):
    g = _layer(CS_AVANT=["CS2.2.1"], CS_APRES=["CS1.1.1.1"], US_AVANT=["US1.1"], US_APRES=["US5"])
    path = tmp_path / "diff_2018_2021.gpkg"
    g.to_file(path)
    d = read_ocsge_difference(path)
    assert d.vintages == (2018, 2021) and d.has_usage
    assert d.layer[["cs_before", "cs_after", "us_before", "us_after"]].iloc[0].tolist() == [
        "CS2.2.1", "CS1.1.1.1", "US1.1", "US5"]
    with pytest.raises(SchemaError, match="cs_apres"):
        g.drop(columns="CS_APRES").to_file(tmp_path / "bad.gpkg")
        read_ocsge_difference(tmp_path / "bad.gpkg")


@pytest.mark.realdata
def test_metaleurop_extract_loads_repaired_and_couverture_only():
    path = shared_path("hdf", "ocs", "ocsge_2018_metaleurop_simplified.gpkg")
    lc = read_ocsge(path)
    raw = gpd.read_file(path)
    assert len(raw) == 9 and int((~raw.is_valid).sum()) == 2
    assert lc.repaired == 2 and bool(lc.layer.is_valid.all())
    assert not lc.has_usage and lc.vintage == 2018
    union = shapely.union_all(shapely.make_valid(np.asarray(raw.geometry.array)))
    # overlaps removed: the layer now counts each m2 once, i.e. the area of the union
    assert float(lc.layer.area.sum()) == pytest.approx(union.area, abs=1.0)
    assert lc.overlap_m2 > 2_000_000  # about 285 ha of overlaps between classes
    assert set(lc.layer["code_cs"]) == set(raw["code_cs"])


# ---------------------------------------------------------------------- nomenclature


def test_default_matrix_follows_the_state_tool():
    cs = pd.Series(["CS1.1.1.1", "CS1.1.1.2", "CS1.1.2.2", "CS1.1.2.1", "CS1.1.2.1", "CS2.2.1",
                    "CS2.2.1", "CS2.2.2", "CS2.1.1.1", "CS1.2.2"])
    us = pd.Series(["US1.1", "US6.6", "US1.2", "US2", "US1.3", "US4.1.3", "US1.1", "US6.2",
                    "US5", "US5"])
    expected = [True, True, True, True, False, True, False, True, False, False]
    assert classify_pairs(cs, us)["artificialise"].tolist() == expected


def test_custom_matrix_needs_a_wildcard_for_every_couverture(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("code_cs,code_us,artificialise\nCS1.1.1.1,*,1\n", encoding="utf-8")
    with pytest.raises(SchemaError, match="no '\\*' row for couverture CS1.1.1.2"):
        read_matrix(path)
    base = read_matrix()
    custom = tmp_path / "c.csv"
    base.assign(artificialise=base["artificialise"].astype(int)).to_csv(custom, index=False)
    changed = custom.read_text(encoding="utf-8").replace("CS2.2.1,US5,1", "CS2.2.1,US5,0")
    custom.write_text(changed, encoding="utf-8")
    m = read_matrix(custom)
    assert not classify_pairs(pd.Series(["CS2.2.1"]), pd.Series(["US5"]), matrix=m)[
        "artificialise"].iloc[0]


# ---------------------------------------------------------------------- cache


def test_cache_roundtrip_bbox_and_communes(tmp_path):
    n = 400
    x = np.arange(n) % 20 * 100.0
    y = np.arange(n) // 20 * 100.0
    g = gpd.GeoDataFrame(
        {"commune": np.where(x < 1000, "59001", "59002"), "v": np.arange(n)},
        geometry=shapely.box(x, y, x + 100, y + 100),
        index=pd.Index([f"p{i:04d}" for i in range(n)], name="id"),
        crs="EPSG:2154",
    )
    path = write_cache(g, tmp_path / "c.parquet", row_group_size=50)
    back = read_cache(path).sort_index()
    pd.testing.assert_frame_equal(back[["commune", "v"]], g[["commune", "v"]], check_dtype=False)
    sub = read_cache(path, bbox=(0, 0, 250, 250))
    assert len(sub) == 9  # 3 x 3 boxes intersect (touching ones included)
    assert set(read_cache(path, communes=["59002"])["commune"]) == {"59002"}
    assert len(read_cache(path, communes=["59002"])) == 200
    parts = write_cache(g, tmp_path / "parts", partitions=4)
    assert len(cache_partitions(parts)) == 4
    assert len(read_cache(parts, bbox=(0, 0, 250, 250))) == 9
    with pytest.raises(SchemaError, match="commune_column"):
        read_cache(path, communes=["59001"], commune_column="insee")


def test_read_ocsge_from_cache(tmp_path):
    g = _layer(code_cs=["CS1.1.1.1", "CS2.2.1"], code_us=["US5", "US1.1"])
    path = write_cache(g, tmp_path / "ocs.parquet")
    lc = read_ocsge(path, bbox=(150, 0, 200, 100), vintage=2021)
    assert lc.layer["code_cs"].tolist() == ["CS2.2.1"]
