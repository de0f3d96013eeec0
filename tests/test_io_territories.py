"""Tests of zan.io.territories: commune layers and membership tables."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely
from helpers import shared_path
from shapely.geometry import Polygon, box

from zan.errors import CRSError, DataError, GeometryError, MembershipError, SchemaError
from zan.io.territories import read_communes, read_membership

DATA = Path(__file__).parent / "data" / "territories"
BOXES = DATA / "communes_boxes.geojson"
MEMBERSHIP = DATA / "membership.csv"
CODES = ["02001", "02002", "02003", "59001", "59002", "59003"]


def _boxes(codes=CODES, crs="EPSG:2154") -> gpd.GeoDataFrame:
    geoms = [
        box(700_000 + 1000 * i, 6_950_000, 701_000 + 1000 * i, 6_951_000) for i in range(len(codes))
    ]
    return gpd.GeoDataFrame(
        {"code": list(codes), "nom": [f"C{c}" for c in codes]}, geometry=geoms, crs=crs
    )


def _write(gdf: gpd.GeoDataFrame, path: Path, **kwargs) -> Path:
    gdf.to_file(path, **kwargs)
    return path


# ----------------------------------------------------------------------------- read_communes


def test_read_communes_fixture_contract():
    communes = read_communes(BOXES)
    assert communes.index.name == "code"
    assert communes.index.tolist() == CODES
    assert list(communes.columns) == ["nom", "area_ha", "departement", "geometry"]
    assert communes.crs.to_epsg() == 2154
    # 1 km x 1 km boxes in Lambert-93: exactly 100 ha each
    assert np.array_equal(communes["area_ha"].to_numpy(), np.full(6, 100.0))
    assert communes.loc["02001", "nom"] == "Abbécourt"
    assert communes.attrs["source"] == str(BOXES)
    assert communes.attrs["repaired"] == []


def test_read_communes_reprojects_wgs84(tmp_path):
    path = _write(_boxes().to_crs("EPSG:4326"), tmp_path / "wgs84.geojson")
    communes = read_communes(path)
    assert communes.crs.to_epsg() == 2154
    # straight edges in degrees are not straight in metres: a close, not an exact, match
    np.testing.assert_allclose(communes["area_ha"], 100.0, rtol=1e-5)


def test_read_communes_target_crs(tmp_path):
    kept = read_communes(BOXES, target_crs=None)
    assert kept.crs.to_epsg() == 2154
    other = read_communes(BOXES, target_crs="EPSG:3035")
    assert other.crs.to_epsg() == 3035
    path = _write(_boxes().to_crs("EPSG:4326"), tmp_path / "wgs84.geojson")
    with pytest.raises(CRSError, match="wgs84.geojson.*geographic"):
        read_communes(path, target_crs=None)


@pytest.mark.parametrize(
    ("columns", "expected_extra"),
    [
        (
            {
                "INSEE_COM": CODES,
                "NOM": list("abcdef"),
                "POPULATION": [1, 2, 3, 4, 5, 6],
                "SIREN_EPCI": ["200000001"] * 6,
            },
            ["POPULATION", "SIREN_EPCI"],
        ),
        (
            {
                "code": CODES,
                "nom": list("abcdef"),
                "codeEpci": ["200000001"] * 6,
                "population": [1, 2, 3, 4, 5, 6],
            },
            ["codeEpci", "population"],
        ),
        ({"insee": CODES, "libelle": list("abcdef")}, []),
        ({"INSEE": CODES, "name": list("abcdef")}, []),
    ],
    ids=["admin-express", "geo-api", "insee", "INSEE"],
)
def test_read_communes_layouts(tmp_path, columns, expected_extra):
    gdf = gpd.GeoDataFrame(columns, geometry=_boxes().geometry.to_numpy(), crs="EPSG:2154")
    communes = read_communes(_write(gdf, tmp_path / "layer.gpkg"))
    assert communes.index.tolist() == CODES
    assert communes["nom"].tolist() == list("abcdef")
    assert list(communes.columns) == ["nom", "area_ha", *expected_extra, "geometry"]


def test_read_communes_pads_numeric_codes(tmp_path):
    gdf = _boxes(["2001", "2002", "59001"])
    gdf["code"] = gdf["code"].astype(int)
    communes = read_communes(_write(gdf, tmp_path / "numeric.gpkg"))
    assert communes.index.tolist() == ["02001", "02002", "59001"]


def test_read_communes_explicit_columns(tmp_path):
    gdf = _boxes().rename(columns={"code": "CODGEO_2026", "nom": "LIBGEO_LONG"})
    path = _write(gdf, tmp_path / "odd.gpkg")
    communes = read_communes(path, code_column="CODGEO_2026", name_column="LIBGEO_LONG")
    assert communes.index.tolist() == CODES
    assert communes["nom"].iloc[0] == "C02001"


def test_read_communes_unknown_code_column():
    with pytest.raises(SchemaError) as err:
        read_communes(BOXES, code_column="INSEE_COM")
    msg = str(err.value)
    assert str(BOXES) in msg and "'INSEE_COM'" in msg and "code, nom, departement" in msg


def test_read_communes_no_code_column(tmp_path):
    gdf = _boxes().rename(columns={"code": "identifiant"})
    path = _write(gdf, tmp_path / "nocode.gpkg")
    with pytest.raises(SchemaError) as err:
        read_communes(path)
    msg = str(err.value)
    assert "nocode.gpkg" in msg and "identifiant" in msg and "code_column=" in msg


def test_read_communes_invalid_codes(tmp_path):
    path = _write(_boxes(["02001", "1234567", "ABCDE"]), tmp_path / "bad.gpkg")
    with pytest.raises(SchemaError) as err:
        read_communes(path)
    msg = str(err.value)
    assert "bad.gpkg" in msg and "'code'" in msg
    assert "'1234567'" in msg and "'ABCDE'" in msg and "features 2, 3" in msg


def test_read_communes_duplicate_codes(tmp_path):
    path = _write(_boxes(["02001", "02002", "02001", "59001", "59001"]), tmp_path / "dup.gpkg")
    with pytest.raises(SchemaError) as err:
        read_communes(path)
    msg = str(err.value)
    assert "dup.gpkg" in msg and "duplicate" in msg and "02001, 59001" in msg
    assert "02002" not in msg


def test_read_communes_empty_geometry(tmp_path):
    gdf = _boxes()
    gdf.loc[2, "geometry"] = Polygon()
    gdf.loc[4, "geometry"] = None
    path = _write(gdf, tmp_path / "holes.gpkg")
    with pytest.raises(GeometryError) as err:
        read_communes(path)
    msg = str(err.value)
    assert "holes.gpkg" in msg and "02003" in msg and "59002" in msg and "02001" not in msg


def test_read_communes_repairs_invalid_geometry(tmp_path):
    gdf = _boxes()
    # a bow-tie: self-intersecting, repaired into two triangles of 25 ha each
    x, y = 700_000, 6_950_000
    gdf.loc[1, "geometry"] = Polygon([(x, y), (x + 1000, y + 1000), (x + 1000, y), (x, y + 1000)])
    path = _write(gdf, tmp_path / "bowtie.gpkg")
    communes = read_communes(path)
    assert communes.attrs["repaired"] == ["02002"]
    assert communes.is_valid.all()
    assert communes.geometry.iloc[1].geom_type == "MultiPolygon"
    assert communes.loc["02002", "area_ha"] == pytest.approx(50.0)


def test_read_communes_rejects_lines(tmp_path):
    gdf = _boxes()
    gdf.loc[0, "geometry"] = shapely.LineString([(0, 0), (1, 1)])
    path = _write(gdf, tmp_path / "lines.geojson")
    with pytest.raises(GeometryError, match=r"lines.geojson.*not polygons.*LineString.*02001"):
        read_communes(path)


def test_read_communes_gpkg_without_crs(tmp_path):
    with pytest.warns(UserWarning, match="'crs' was not provided"):
        path = _write(_boxes(crs=None), tmp_path / "nocrs.gpkg")
    with pytest.raises(CRSError) as err:
        read_communes(path)
    assert "nocrs.gpkg" in str(err.value) and "crs=" in str(err.value)
    assert read_communes(path, crs="EPSG:2154")["area_ha"].sum() == pytest.approx(600.0)


def test_read_communes_shapefile_without_prj(tmp_path):
    path = _write(_boxes(), tmp_path / "communes.shp")
    path.with_suffix(".prj").unlink()
    with pytest.raises(CRSError, match="communes.shp.*no coordinate reference system"):
        read_communes(path)


def test_read_communes_invalid_json():
    with pytest.raises(GeometryError) as err:
        read_communes(DATA / "not_json.geojson")
    assert "not_json.geojson" in str(err.value)


def test_read_communes_empty_file(tmp_path):
    path = tmp_path / "empty.geojson"
    path.write_bytes(b"")
    with pytest.raises(DataError, match="empty.geojson.*empty"):
        read_communes(path)


# ----------------------------------------------------------------------------- read_membership


def test_read_membership_fixture():
    m = read_membership(MEMBERSHIP)
    assert m.index.name == "code" and m.index.tolist() == CODES
    assert m.attrs["levels"] == ("epci", "scot", "departement", "region")
    assert m.attrs["source"] == str(MEMBERSHIP)
    assert list(m.columns[:8]) == [
        "epci",
        "epci_nom",
        "scot",
        "scot_nom",
        "departement",
        "departement_nom",
        "region",
        "region_nom",
    ]
    assert m.loc["02003", "epci"] == "200000002" and m.loc["02003", "epci_nom"] == "CA Beta"
    # communes outside any SCoT keep a missing code
    assert m["scot"].isna().tolist() == [False, False, False, False, True, True]
    assert m["departement_nom"].isna().all()
    # indicators become numbers; codes with leading zeros stay text; decimal commas read
    assert m["population"].dtype == np.int64 and m["population"].sum() == 7337
    assert m.loc["02001", "code_postal"] == "02300"
    assert m["densite"].tolist() == [1.5, 2.25, 3.0, 0.5, 10.0, 0.75]
    assert m.loc["02001", "nom"] == "Abbécourt"


def test_read_membership_from_layer_attributes(tmp_path):
    gdf = _boxes()
    gdf = gdf.rename(columns={"code": "INSEE_COM", "nom": "NOM"})
    gdf["SIREN_EPCI"] = ["200000001", "200000001", "200000002", "200000002", "NC", "200000003"]
    gdf["INSEE_DEP"] = [c[:2] for c in CODES]
    gdf["INSEE_REG"] = "32"
    communes = read_communes(_write(gdf, tmp_path / "COMMUNE.shp"))
    m = read_membership(communes)
    assert m.attrs["levels"] == ("epci", "departement", "region")
    assert m.index.tolist() == CODES
    assert m.loc["02003", "epci"] == "200000002"
    assert pd.isna(m.loc["59002", "epci"])  # ADMIN EXPRESS "NC": no EPCI
    assert "geometry" not in m.columns
    assert m["area_ha"].sum() == pytest.approx(600.0)


def test_read_membership_geo_api_frame():
    frame = pd.DataFrame(
        {
            "code": ["02001", "2A004", "97101"],
            "nom": ["a", "b", "c"],
            "codeEpci": ["200000001", "200000002", "200000003"],
            "codeDepartement": ["02", "2A", "971"],
            "codeRegion": ["32", "94", "01"],
            "population": [518, 2000, 30000],
        }
    )
    m = read_membership(frame, source="geo.api")
    assert m.attrs["levels"] == ("epci", "departement", "region")
    assert m["departement"].tolist() == ["02", "2A", "971"]
    assert m["region"].tolist() == ["32", "94", "01"]
    assert m.attrs["source"] == "geo.api"


def test_read_membership_cerema_layout():
    m = read_membership(DATA / "membership_cerema.csv")
    assert m.attrs["levels"] == ("epci", "scot", "departement", "region")
    # the latest epciYY column wins
    assert m.loc["02001", "epci"] == "200000001" and m.loc["02001", "epci_nom"] == "CC Alpha"
    assert m.loc["02001", "scot"] == "SCoT Nord"  # a SCoT given by name only: its text is its code
    assert m["naf11art21"].sum() == 12500 + 48211 + 7300 + 150000 + 2100
    assert m["epci22"].tolist()[0] == "200000099"  # older vintage kept as an attribute


def test_read_membership_custom_levels():
    frame = pd.DataFrame(
        {
            "com": ["02001", "02002", "59001"],
            "bv": ["A", "B", "A"],
            "bv_lib": ["Bassin A", "Bassin B", "Bassin A"],
            "epci_siren": ["1", "1", "2"],
        }
    )
    m = read_membership(frame, levels={"bassin": ("bv", "bv_lib"), "epci": "epci_siren"})
    assert m.attrs["levels"] == ("epci", "bassin")
    assert m["bassin"].tolist() == ["A", "B", "A"] and m["bassin_nom"].iloc[1] == "Bassin B"
    assert m["epci_nom"].isna().all()


def test_read_membership_levels_with_unknown_column():
    with pytest.raises(SchemaError) as err:
        read_membership(MEMBERSHIP, levels={"bassin": ("bv", None)})
    msg = str(err.value)
    assert str(MEMBERSHIP) in msg and "'bv'" in msg and "bassin" in msg and "epci_siren" in msg


def test_read_membership_conflicts_listed_at_once():
    path = DATA / "membership_conflicts.csv"
    with pytest.raises(MembershipError) as err:
        read_membership(path)
    msg = str(err.value)
    assert str(path) in msg
    # the EPCI conflict: commune, file column, level, both territories, file lines
    assert (
        "column 'epci_siren': commune 02002 belongs to several territories of level 'epci': "
        "200000001, 200000009 (lines 4, 5)" in msg
    )
    # the SCoT conflict is reported in the same error
    assert "column 'scot_code': commune 59001 belongs to several territories of level 'scot'" in msg
    assert "S02, S03" in msg
    # exact duplicates (02001) are not a conflict; names that differ with the EPCI are not repeated
    assert "02001" not in msg and "CC Omega" not in msg
    assert len(err.value.problems) == 2
    assert {p.column for p in err.value.problems} == {"epci_siren", "scot_code"}


def test_read_membership_conflicting_values_in_frame():
    frame = pd.DataFrame(
        {
            "code_insee": ["02001", "02002", "02001", "02002"],
            "epci_siren": ["1", "2", "1", "2"],
            "epci_nom": ["CC Un", "CC Deux", "CC Un", "CC Dos"],
            "population": ["10", "20", "11", "20"],
        }
    )
    with pytest.raises(MembershipError) as err:
        read_membership(frame, source="frame")
    msg = str(err.value)
    assert "frame, column 'population': commune 02001 is listed several times" in msg
    assert "10, 11 (positions 0, 2)" in msg
    assert "frame, column 'epci_nom': commune 02002" in msg and "CC Deux, CC Dos" in msg


def test_read_membership_exact_duplicates_collapsed(tmp_path):
    text = MEMBERSHIP.read_text(encoding="utf-8")
    lines = text.splitlines()
    path = tmp_path / "twice.csv"
    path.write_text("\n".join([*lines, lines[1], lines[3]]) + "\n", encoding="utf-8")
    m = read_membership(path)
    assert m.index.tolist() == CODES
    assert m["population"].sum() == 7337


def test_read_membership_missing_code_column():
    frame = pd.DataFrame({"commune_id": ["02001"], "epci": ["1"]})
    with pytest.raises(SchemaError) as err:
        read_membership(frame, source="table.csv")
    msg = str(err.value)
    assert "table.csv" in msg and "commune_id" in msg and "code_column=" in msg
    with pytest.raises(SchemaError, match=r"table.csv.*'nope' not found"):
        read_membership(frame, code_column="nope", source="table.csv")


def test_read_membership_invalid_code_lines(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("code_insee,epci_siren\n02001,1\n123456,1\n,1\n", encoding="utf-8")
    with pytest.raises(SchemaError) as err:
        read_membership(path)
    msg = str(err.value)
    assert "bad.csv" in msg and "'code_insee'" in msg
    assert "'123456' (lines 3)" in msg and "empty commune code(s) (lines 4)" in msg


def test_read_membership_no_level(tmp_path):
    path = tmp_path / "flat.csv"
    path.write_text("code_insee,population\n02001,5\n", encoding="utf-8")
    with pytest.raises(SchemaError, match=r"flat.csv: no territorial level column found.*levels="):
        read_membership(path)


def test_read_membership_empty_file(tmp_path):
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(DataError, match="empty.csv"):
        read_membership(path)


# ----------------------------------------------------------------------------- demo region


def test_demo_region_files():
    from zan.datasets import get_path

    communes = read_communes(get_path("communes.gpkg"), layer="communes")
    m = read_membership(get_path("communes.csv"))
    assert communes.index.is_unique and communes.crs.to_epsg() == 2154
    assert set(m.index) == set(communes.index)
    assert m.attrs["levels"] == ("epci", "scot", "departement", "region")
    assert m["scot"].isna().any() and m["epci"].notna().all()
    assert pd.api.types.is_numeric_dtype(m["population"])


# ----------------------------------------------------------------------------- real data


@pytest.mark.realdata
def test_real_dissolved_layer():
    path = shared_path(
        "hdf", "boundaries", "communes_hdf_cog2026_from_france-geojson-2018_dissolved.geojson"
    )
    communes = read_communes(path)
    assert len(communes) == 3782 and communes.index.is_unique
    assert communes.attrs["repaired"] == []
    assert communes.loc["62041", "nom"] == "Arras"
    # 32,002 km² (SOURCES.md)
    assert communes["area_ha"].sum() / 100 == pytest.approx(32_002, rel=1e-3)


@pytest.mark.realdata
def test_real_2018_layer():
    path = shared_path("hdf", "boundaries", "communes_hdf_2018_france-geojson.geojson")
    communes = read_communes(path)
    assert len(communes) == 3808 and communes.index.is_unique
    assert list(communes.columns) == ["nom", "area_ha", "geometry"]


@pytest.mark.realdata
def test_real_membership():
    path = shared_path("hdf", "admin", "communes_hdf_cog2026.csv")
    m = read_membership(path)
    assert len(m) == 3782
    assert m.attrs["levels"] == ("epci", "departement", "region")
    assert m["epci"].nunique() == 92 and m["epci"].notna().all()
    assert sorted(m["departement"].unique()) == ["02", "59", "60", "62", "80"]
    assert m["population_insee_pmun"].sum() == 5_992_194
    assert m.loc["02001", "arrondissement"] == "022"  # leading zero kept


def test_membership_indicators_converted_only_when_every_value_is_a_number(tmp_path):
    """The first value rules out names at once; the whole column decides otherwise.

    Thousands separators stay text (as before), decimal commas become numbers, blanks
    become missing values, True/False booleans, leading zeros and a name after numbers
    keep the column as text.
    """
    path = tmp_path / "membership.csv"
    path.write_text(
        "code_insee;epci_siren;population;surface;milliers;garantie;rang;mixte;nom\n"
        "01001;200000001;120;1,5;1 234;True;012;12;Amont\n"
        "01002;200000001;;2,25;5 000; false ;3;Abbeville;Aval\n"
        "01003;200000001; 7 ;;12;;4;3;12\n",
        encoding="utf-8",
    )
    m = read_membership(path)
    assert m["population"].tolist()[0] == 120 and np.isnan(m["population"].iloc[1])
    assert m.loc["01003", "population"] == 7
    assert m["surface"].tolist()[:2] == [1.5, 2.25] and np.isnan(m["surface"].iloc[2])
    assert m["milliers"].tolist() == ["1 234", "5 000", "12"]  # not a plain number: text
    assert m["garantie"].tolist()[:2] == [True, False] and pd.isna(m["garantie"].iloc[2])
    assert m["rang"].tolist() == ["012", "3", "4"]  # leading zero: an identifier
    assert m["mixte"].tolist() == ["12", "Abbeville", "3"]  # a name after a number
    assert m["nom"].tolist() == ["Amont", "Aval", "12"]  # a number after names


def test_commune_code_pattern_is_the_rule_and_runs_in_arrow():
    """Two characters (digits but 20, or 2A/2B) and three digits, ASCII only; no
    look-ahead, so pandas matches a text column in C."""
    import itertools
    import re

    from zan.io.codes import COMMUNE_CODE_PATTERN

    def rule(code: str) -> bool:
        ascii_digits = set("0123456789")
        return (
            len(code) == 5
            and (set(code[:2]) <= ascii_digits and code[:2] != "20" or code[:2] in ("2A", "2B"))
            and set(code[2:]) <= ascii_digits
        )

    codes = ["".join(p) for n in (4, 5, 6) for p in itertools.product("0129A7b", repeat=n)]
    codes += ["20004", "2A004", "2B123", "97101", "٠١٢٣٤", "02001\n", " 02001", ""]
    expected = [rule(c) for c in codes]
    assert [bool(re.fullmatch(COMMUNE_CODE_PATTERN, c)) for c in codes] == expected
    assert pd.Series(codes, dtype="str").str.fullmatch(COMMUNE_CODE_PATTERN).tolist() == expected
    assert "(?" not in COMMUNE_CODE_PATTERN.replace("(?:", "")  # no look-around: RE2 takes it
