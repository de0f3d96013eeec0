"""The synthetic national set (scripts/make_national.py) and the national run (scripts/national_run.py)."""

from __future__ import annotations

import hashlib
import importlib.util
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPTS = ROOT / "scripts"


def _script(name: str):
    sys.path.insert(0, str(SCRIPTS))
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_generator_is_deterministic_and_nested(tmp_path):
    runs = []
    for name in ("a", "b"):
        out = tmp_path / name
        subprocess.run(
            [
                sys.executable,
                str(SCRIPTS / "make_national.py"),
                str(out),
                "--communes",
                "600",
                "--epci",
                "40",
                "--seed",
                "7",
            ],
            check=True,
            capture_output=True,
        )
        runs.append(out)
    names = sorted(p.name for p in runs[0].iterdir())
    assert names == sorted(p.name for p in runs[1].iterdir())
    assert {"communes.parquet", "communes.csv", "conso_com.csv", "scenario_communes.toml"} <= set(
        names
    )
    for name in ("communes.csv", "conso_com.csv", "scenario_communes.toml", "README.md"):
        assert _sha(runs[0] / name) == _sha(runs[1] / name), name
    geo = [gpd.read_parquet(r / "communes.parquet") for r in runs]
    pd.testing.assert_frame_equal(geo[0].to_wkb(), geo[1].to_wkb())

    members = pd.read_csv(runs[0] / "communes.csv", dtype=str)
    assert len(members) == 600 and members["code_insee"].is_unique
    assert members["epci_siren"].nunique() == 40 and members["region"].nunique() == 13
    # commune -> EPCI -> département -> région nests: one parent per child
    assert (members.groupby("epci_siren")["departement"].nunique() == 1).all()
    assert (members.groupby("departement")["region"].nunique() == 1).all()
    assert set(members["garantie_communale"]) == {"True", "False"}
    assert geo[0].crs.to_epsg() == 2154
    assert list(geo[0]["code_insee"]) == list(members["code_insee"])
    # polygons tile the plane: no overlap, each about 15.7 km²
    assert geo[0].geometry.area.round().eq(3_960.0**2).all()
    assert geo[0].geometry.union_all().area == pytest.approx(600 * 3_960.0**2)

    conso = pd.read_csv(runs[0] / "conso_com.csv", dtype={"idcom": str, "idreg": str})
    assert list(conso["idcom"]) == list(members["code_insee"])
    assert "naf11art12" in conso.columns and "art24inc25" in conso.columns
    assert conso["naf11art21"].sum() / 10_000 == pytest.approx(240_000 * 600 / 35_000, abs=1)

    other = tmp_path / "c"
    subprocess.run(
        [
            sys.executable,
            str(SCRIPTS / "make_national.py"),
            str(other),
            "--communes",
            "600",
            "--epci",
            "40",
            "--seed",
            "8",
        ],
        check=True,
        capture_output=True,
    )
    assert _sha(other / "conso_com.csv") != _sha(runs[0] / "conso_com.csv")


def test_national_run_small(tmp_path):
    national_run = _script("national_run")
    rows = national_run.run(communes=800, epci=40, out=tmp_path)
    steps = [r["step"] for r in rows]
    assert steps[0].startswith("generate")
    assert any(s.startswith("consumption") for s in steps)
    assert any(s.startswith("trajectory") for s in steps)
    assert any(s.startswith("PENE") for s in steps)
    assert all(r["seconds"] >= 0 for r in rows)
    pene = next(r for r in rows if r["step"].startswith("PENE"))
    assert pene["detail"].startswith("13 regions")
    alloc = pd.read_csv(tmp_path / "allocation" / "allocation.csv", sep=None, engine="python")
    assert len(alloc) == 800
    assert (tmp_path / "allocation" / "carte.html").stat().st_size > 10_000
