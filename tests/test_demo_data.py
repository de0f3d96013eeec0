"""Tests of the synthetic "Région Démo" in data/demo and of scripts/make_demo_data.py.

The files are a contract (names, columns, codes) that the rest of zan and its
doctests rely on; these tests read the committed files and check that they equal
a fresh run of the script.
"""

from __future__ import annotations

import hashlib
import importlib.util
import re
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import pytest
import shapely

ROOT = Path(__file__).resolve().parents[1]
DEMO = ROOT / "data" / "demo"
SCRIPT = ROOT / "scripts" / "make_demo_data.py"

FILES = {
    "communes.gpkg",
    "communes.csv",
    "epci.csv",
    "scot.csv",
    "departements.csv",
    "conso_enaf_2009_2023.csv",
    "passage_cog2023_cog2024.csv",
    "README.md",
}
CODE_COLUMNS = {
    c: str
    for c in (
        "code_insee", "departement", "region", "epci_siren", "scot_code", "code", "idcom",
        "idreg", "iddep", "epci23", "code_2023", "code_2024",
    )
}  # fmt: skip
DEST = ["act", "hab", "mix", "rou", "fer", "inc"]
YEARS = list(range(9, 23))  # flows 2009..2022 (naf09art10 .. naf22art23)
REF_FLOWS = [f"naf{y:02d}art{y + 1:02d}" for y in range(11, 21)]  # 2011-2020


def _read(name: str) -> pd.DataFrame:
    return pd.read_csv(DEMO / name, dtype=CODE_COLUMNS, keep_default_na=False, encoding="utf-8")


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _luhn_ok(code: str) -> bool:
    total = 0
    for k, ch in enumerate(reversed(code)):
        d = int(ch) * (2 if k % 2 == 1 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


@pytest.fixture(scope="module")
def script():
    spec = importlib.util.spec_from_file_location("make_demo_data", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["make_demo_data"] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    yield module
    del sys.modules["make_demo_data"]


@pytest.fixture(scope="module")
def layer() -> gpd.GeoDataFrame:
    return gpd.read_file(DEMO / "communes.gpkg", layer="communes")


@pytest.fixture(scope="module")
def communes() -> pd.DataFrame:
    return _read("communes.csv")


@pytest.fixture(scope="module")
def epci() -> pd.DataFrame:
    return _read("epci.csv")


@pytest.fixture(scope="module")
def scot() -> pd.DataFrame:
    return _read("scot.csv")


@pytest.fixture(scope="module")
def conso() -> pd.DataFrame:
    return _read("conso_enaf_2009_2023.csv")


@pytest.fixture(scope="module")
def passage() -> pd.DataFrame:
    return _read("passage_cog2023_cog2024.csv")


@pytest.fixture(scope="module")
def joined(layer, communes) -> gpd.GeoDataFrame:
    return layer.merge(communes.drop(columns=["nom", "departement"]), on="code_insee")


# ---------------------------------------------------------------------- files and layer


def test_files_present_and_small():
    present = {p.name for p in DEMO.iterdir() if p.is_file()}
    assert FILES <= present
    assert sum((DEMO / f).stat().st_size for f in FILES) < 10e6


def test_layer_schema_and_codes(layer):
    assert layer.crs.to_epsg() == 2154
    assert list(layer.columns) == ["code_insee", "nom", "departement", "geometry"]
    assert 300 <= len(layer) <= 800
    assert layer["code_insee"].str.fullmatch(r"(96|98|99)\d{3}").all()
    assert (layer["code_insee"].str[:2] == layer["departement"]).all()
    assert layer["code_insee"].is_unique
    assert layer["code_insee"].tolist() == sorted(layer["code_insee"])
    assert set(layer.geom_type) <= {"Polygon", "MultiPolygon"}
    assert layer.is_valid.all()


def test_layer_placement_area_and_grid(layer):
    x0, y0, x1, y1 = layer.total_bounds
    assert 650_000 <= x0 < x1 <= 760_000
    assert 6_550_000 <= y0 < y1 <= 6_680_000
    area_km2 = layer.area / 1e6
    assert area_km2.between(2, 40).all()
    xy = shapely.get_coordinates(layer.geometry.to_numpy())
    assert np.abs(xy * 10 - np.round(xy * 10)).max() < 1e-3  # 0.1 m grid


def test_coverage_without_gap_or_overlap(layer, script):
    geoms = layer.geometry.to_numpy()
    union = shapely.union_all(geoms)
    assert abs(shapely.area(geoms).sum() - union.area) < 1.0
    assert shapely.coverage_is_valid(geoms)
    assert union.geom_type == "Polygon" and len(union.interiors) == 0
    outline = script.region_outline()
    assert shapely.hausdorff_distance(union, outline) < 0.2
    assert shapely.symmetric_difference(union, outline).area < 1e-6 * outline.area


# ---------------------------------------------------------------------- communes.csv


def test_communes_csv_matches_layer(communes, layer):
    assert list(communes.columns) == [
        "code_insee", "nom", "departement", "departement_nom", "region", "region_nom",
        "epci_siren", "epci_nom", "epci_type", "scot_code", "scot_nom", "population", "population_2015", "menages", "menages_2015",
        "emplois", "emplois_2015", "armature", "littoral", "document_urbanisme",
        "garantie_communale", "friches_ha",
    ]  # fmt: skip
    assert communes["code_insee"].tolist() == layer["code_insee"].tolist()
    assert communes["nom"].tolist() == layer["nom"].tolist()
    assert communes["departement"].tolist() == layer["departement"].tolist()
    assert (communes["region"] == "99").all()
    assert (communes["region_nom"] == "Région Démo").all()


def test_names_unique_and_french(communes):
    names = communes["nom"]
    assert names.is_unique
    assert "Saint-Éloi-d'Aval" in set(names)
    assert names.str.contains("'").sum() >= 2
    assert names.str.contains(r"[éèêàâîôûç]", case=False).sum() >= 20
    assert names.str.fullmatch(r"[A-ZÉ][\w'\- ]+").all()


def test_departements(communes, joined):
    deps = _read("departements.csv")
    assert list(deps.columns) == ["code", "nom"]
    assert deps["code"].tolist() == ["96", "98", "99"]
    assert set(communes["departement"]) == {"96", "98", "99"}
    names = dict(zip(deps["code"], deps["nom"], strict=True))
    assert (communes["departement_nom"] == communes["departement"].map(names)).all()
    dissolved = joined.dissolve(by="departement", method="coverage")
    assert (dissolved.geom_type == "Polygon").all()  # contiguous


def test_indicators(communes):
    c = communes
    counts = c["armature"].value_counts()
    assert set(counts.index) == {"metropole", "pole", "pole_relais", "bourg", "rural"}
    assert counts["metropole"] == 1 and 3 <= counts["pole"] <= 4
    assert 200_000 <= c.loc[c["armature"] == "metropole", "population"].iloc[0] <= 300_000
    assert c.loc[c["armature"] == "pole", "population"].between(40_000, 80_000).all()
    assert c.loc[c["armature"] == "rural", "population"].between(100, 2_000).all()
    assert counts["rural"] > len(c) / 2
    for col in ("population", "population_2015", "menages", "menages_2015", "emplois"):
        assert c[col].dtype.kind == "i" and (c[col] > 0).all()
    assert (c["menages"] < c["population"]).all()
    assert (c["emplois_2015"] >= 0).all()
    assert set(c["document_urbanisme"]) == {"PLUi", "PLU", "CC", "RNU"}
    assert 0.05 <= (c["document_urbanisme"] == "RNU").mean() <= 0.11
    assert (c["garantie_communale"] == (c["document_urbanisme"] != "RNU")).all()
    assert c["garantie_communale"].dtype == bool and c["littoral"].dtype == bool
    assert (c["friches_ha"] >= 0).all() and (c["friches_ha"] == 0).mean() > 0.6
    assert (c.loc[c["armature"].isin(["metropole", "pole"]), "friches_ha"] > 0).all()


def test_littoral_communes_are_on_the_outline(joined):
    coastal = joined[joined["littoral"]]
    assert 5 <= len(coastal) <= 40
    region = shapely.union_all(joined.geometry.to_numpy())
    assert (coastal.distance(region.exterior) < 1.0).all()
    assert set(coastal["departement"]) == {"96"}  # the north-west département


# ---------------------------------------------------------------------- EPCI and SCoT


def test_epci_table(epci, communes):
    assert list(epci.columns) == [
        "epci_siren", "nom", "type", "departement", "scot_code", "nb_communes", "population",
    ]  # fmt: skip
    assert 15 <= len(epci) <= 30
    assert epci["epci_siren"].str.fullmatch(r"2\d{8}").all() and epci["epci_siren"].is_unique
    assert epci["epci_siren"].map(_luhn_ok).all()
    assert epci["nom"].is_unique
    types = epci["type"].value_counts()
    assert types["METRO"] == 1 and 1 <= types.get("CU", 0) <= 2 and types["CA"] >= 2
    assert set(types.index) == {"METRO", "CU", "CA", "CC"}
    # every commune in exactly one known EPCI, and the table's figures add up
    assert communes["epci_siren"].isin(epci["epci_siren"]).all()
    members = communes.groupby("epci_siren").agg(n=("code_insee", "size"), p=("population", "sum"))
    e = epci.set_index("epci_siren")
    assert len(members) == len(e)
    assert (members["n"] == e.loc[members.index, "nb_communes"]).all()
    assert (members["p"] == e.loc[members.index, "population"]).all()
    attrs = communes.drop_duplicates("epci_siren").set_index("epci_siren")
    assert (attrs["epci_nom"] == e.loc[attrs.index, "nom"]).all()
    assert (attrs["epci_type"] == e.loc[attrs.index, "type"]).all()
    metro = communes.loc[communes["armature"] == "metropole", "epci_type"]
    assert metro.tolist() == ["METRO"]


def test_epci_contiguous_and_in_one_departement(joined, epci):
    assert (joined.groupby("epci_siren")["departement"].nunique() == 1).all()
    dep = joined.groupby("epci_siren")["departement"].first()
    assert (dep == epci.set_index("epci_siren").loc[dep.index, "departement"]).all()
    dissolved = joined.dissolve(by="epci_siren", method="coverage")
    assert (dissolved.geom_type == "Polygon").all()


def test_scot(scot, epci, communes, joined):
    assert list(scot.columns) == ["scot_code", "nom", "nb_epci"]
    assert 5 <= len(scot) <= 10
    assert scot["scot_code"].str.fullmatch(r"\d{9}").all() and scot["scot_code"].is_unique
    outside = epci["scot_code"] == ""
    assert 1 <= outside.sum() <= 2
    assert epci.loc[~outside, "scot_code"].isin(scot["scot_code"]).all()
    n_epci = epci[~outside].groupby("scot_code").size()
    assert len(n_epci) == len(scot)
    assert (n_epci == scot.set_index("scot_code").loc[n_epci.index, "nb_epci"]).all()
    by_epci = epci.set_index("epci_siren")["scot_code"]
    assert (communes["scot_code"] == communes["epci_siren"].map(by_epci)).all()
    names = scot.set_index("scot_code")["nom"]
    in_scot = communes["scot_code"] != ""
    assert (
        communes.loc[in_scot, "scot_nom"] == communes.loc[in_scot, "scot_code"].map(names)
    ).all()
    assert (communes.loc[~in_scot, "scot_nom"] == "").all()
    dissolved = joined[joined["scot_code"] != ""].dissolve(by="scot_code", method="coverage")
    assert (dissolved.geom_type == "Polygon").all()


# ---------------------------------------------------------------------- consumption


def _expected_conso_columns() -> list[str]:
    cols = "idcom,idcomtxt,idreg,idregtxt,iddep,iddeptxt,epci23,epci23txt,scot".split(",")
    for y in YEARS:
        cols.append(f"naf{y:02d}art{y + 1:02d}")
        cols += [f"art{y:02d}{d}{y + 1:02d}" for d in DEST]
    cols += "naf09art23,art09act23,art09hab23,art09mix23,art09rou23,art09fer23".split(",")
    cols += "art09inc23,naf11art21,artcom0923".split(",")
    cols += "pop14,pop20,pop1420,men14,men20,men1420,emp14,emp20,emp1420,surfcom2023".split(",")
    return cols


def test_conso_layout(conso, epci, scot):
    assert list(conso.columns) == _expected_conso_columns()
    assert conso["idcom"].str.fullmatch(r"(96|98|99)\d{3}").all() and conso["idcom"].is_unique
    assert (conso["idreg"] == "99").all() and (conso["idregtxt"] == "Région Démo").all()
    assert (conso["iddep"] == conso["idcom"].str[:2]).all()
    assert conso["epci23"].isin(epci["epci_siren"]).all()
    assert conso["scot"].isin([*scot["nom"], ""]).all()
    numeric = conso.columns[conso.columns.get_loc("naf09art10") :].drop("artcom0923")
    assert all(conso[c].dtype.kind == "i" for c in numeric)
    flows = [c for c in numeric if re.fullmatch(r"(naf|art)\d\d\w{3}\d\d", c)]
    assert (conso[flows] >= 0).all().all()


def test_conso_identities(conso):
    for y in YEARS:
        total = conso[f"naf{y:02d}art{y + 1:02d}"]
        assert (conso[[f"art{y:02d}{d}{y + 1:02d}" for d in DEST]].sum(axis=1) == total).all()
    annual = [f"naf{y:02d}art{y + 1:02d}" for y in YEARS]
    assert (conso[annual].sum(axis=1) == conso["naf09art23"]).all()
    for d in DEST:
        per_year = [f"art{y:02d}{d}{y + 1:02d}" for y in YEARS]
        assert (conso[per_year].sum(axis=1) == conso[f"art09{d}23"]).all()
    assert (conso[REF_FLOWS].sum(axis=1) == conso["naf11art21"]).all()
    share = 100 * conso["naf09art23"] / conso["surfcom2023"]
    assert np.allclose(conso["artcom0923"], share, atol=0.006)
    for q in ("pop", "men", "emp"):
        assert (conso[f"{q}1420"] == conso[f"{q}20"] - conso[f"{q}14"]).all()


def test_conso_magnitudes(conso, communes):
    ref_ha = conso["naf11art21"].sum() / 1e4
    assert 3_000 <= ref_ha <= 6_000
    recent_ha = (conso["naf21art22"] + conso["naf22art23"]).sum() / 1e4
    assert 0.45 <= (recent_ha / 2) / (ref_ha / 10) <= 0.60
    annual = conso[[f"naf{y:02d}art{y + 1:02d}" for y in YEARS]].sum() / 1e4
    assert annual.iloc[7:12].mean() < annual.iloc[2:7].mean()  # 2016-2020 below 2011-2015
    hab = conso["art09hab23"].sum() / conso["naf09art23"].sum()
    act = conso["art09act23"].sum() / conso["naf09art23"].sum()
    assert 0.45 <= hab <= 0.65 and 0.25 <= act <= 0.45
    rural = conso["idcom"].isin(communes.loc[communes["armature"] == "rural", "code_insee"])
    zero = (conso.loc[rural, annual.index] == 0).to_numpy().mean()
    assert 0.25 <= zero <= 0.45
    biggest_ha = conso[annual.index].max().max() / 1e4
    assert 10 <= biggest_ha <= 50


def test_some_epci_will_exceed_the_halved_pace(conso):
    recent = conso["naf21art22"] + conso["naf22art23"]
    pace_ratio = (recent / 2) / (conso["naf11art21"] / 10)
    assert (pace_ratio > 2).any()  # a commune well above trend since 2021
    by_epci = (
        pd.DataFrame({"epci": conso["epci23"], "recent": recent, "naf11art21": conso["naf11art21"]})
        .groupby("epci")
        .sum()
    )
    projected_2030 = by_epci["recent"] / 2 * 10
    allowed = 0.5 * by_epci["naf11art21"]
    assert (projected_2030 > 1.3 * allowed).any()
    assert (projected_2030 <= allowed).any()


def test_surfcom_matches_geometry(conso, layer, passage):
    area = layer.set_index("code_insee").area
    changed = set(passage["code_2023"]) | set(passage["code_2024"])
    same = conso[~conso["idcom"].isin(changed)].set_index("idcom")["surfcom2023"]
    assert np.allclose(same, area.loc[same.index].round(), atol=1)
    # on the changed communes, total areas agree between both geographies
    old = conso[conso["idcom"].isin(passage["code_2023"])]["surfcom2023"].sum()
    new = area.loc[sorted(set(passage["code_2024"]))].sum()
    assert abs(old - new) < 5


# ---------------------------------------------------------------------- COG change


def test_passage_table(passage, conso, communes):
    assert list(passage.columns) == ["code_2023", "nom_2023", "code_2024", "nom_2024"]
    codes_2023, codes_2024 = set(conso["idcom"]), set(communes["code_insee"])
    assert codes_2023 != codes_2024
    merged = passage.groupby("code_2024").filter(lambda g: len(g) == 2)
    split = passage.groupby("code_2023").filter(lambda g: len(g) == 2)
    assert merged["code_2024"].nunique() == 2 and split["code_2023"].nunique() == 1
    assert len(passage) == 6
    # a commune nouvelle keeps its chef-lieu's code; a split keeps the code for one part
    for code, group in merged.groupby("code_2024"):
        assert code in set(group["code_2023"])
    assert split["code_2023"].iloc[0] in set(split["code_2024"])
    # the table maps one code set onto the other
    unchanged = codes_2023 - set(passage["code_2023"])
    assert unchanged | set(passage["code_2024"]) == codes_2024
    assert unchanged | set(passage["code_2023"]) == codes_2023
    assert not (set(passage["code_2023"]) - set(passage["code_2024"])) & codes_2024
    # names agree with both files
    nom_2023 = conso.set_index("idcom")["idcomtxt"]
    nom_2024 = communes.set_index("code_insee")["nom"]
    assert (passage["nom_2023"] == passage["code_2023"].map(nom_2023)).all()
    assert (passage["nom_2024"] == passage["code_2024"].map(nom_2024)).all()
    # parts of one commune are neighbours in the same EPCI
    epci_2024 = communes.set_index("code_insee")["epci_siren"]
    assert (split["code_2024"].map(epci_2024).nunique()) == 1


def test_readme_documents_the_data(passage):
    text = (DEMO / "README.md").read_text(encoding="utf-8")
    for word in ("SYNTHETIC", "EPSG:2154", "make_demo_data.py", "naf11art21", "COG 2023"):
        assert word in text
    assert all(code in text for code in set(passage["code_2023"]) | set(passage["code_2024"]))


# ---------------------------------------------------------------------- reproducibility


def _gpkg_content(path: Path) -> dict[str, pd.DataFrame]:
    out = {}
    for name, _ in pyogrio.list_layers(path):
        frame = gpd.read_file(path, layer=name)
        out[name] = pd.DataFrame(frame.drop(columns="geometry")).assign(wkb=frame.geometry.to_wkb())
    return out


@pytest.mark.slow
def test_script_is_deterministic_and_committed_data_is_fresh(tmp_path):
    runs = [tmp_path / "a", tmp_path / "b"]
    for out in runs:
        subprocess.run(
            [sys.executable, str(SCRIPT), "--out", str(out)], check=True, capture_output=True
        )
    written = sorted(p.name for p in runs[0].iterdir())
    assert FILES <= set(written)
    assert written == sorted(p.name for p in runs[1].iterdir())
    for name in written:
        assert _sha256(runs[0] / name) == _sha256(runs[1] / name), name
    # the committed files equal a fresh run (GeoPackages compared by content, as
    # another GDAL version may lay the same content out differently)
    for name in written:
        stale = f"data/demo/{name} is stale: run python scripts/make_demo_data.py"
        assert (DEMO / name).exists(), stale
        if name.endswith(".gpkg"):
            committed, fresh = _gpkg_content(DEMO / name), _gpkg_content(runs[0] / name)
            assert committed.keys() == fresh.keys(), stale
            for layer_name, frame in fresh.items():
                pd.testing.assert_frame_equal(committed[layer_name], frame, obj=stale)
        else:
            assert _sha256(DEMO / name) == _sha256(runs[0] / name), stale
