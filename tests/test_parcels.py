"""Etalab parcels: reading, per-parcel artificialised/ENAF area, per commune, lookup."""

from __future__ import annotations

import gzip
import json

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box, mapping

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
