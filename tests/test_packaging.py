"""The wheel holds every subpackage, the package data and the demo data."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def test_every_subpackage_is_listed():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = {
        ".".join(p.parent.relative_to(ROOT).parts)
        for p in (ROOT / "zan").rglob("__init__.py")
        if "__pycache__" not in p.parts
    }
    assert found <= set(config["packages"]), sorted(found - set(config["packages"]))


@pytest.mark.slow
def test_wheel_ships_demo_and_package_data(tmp_path):
    # built from a copy, so that the build folders land in tmp_path, not in the checkout
    src = tmp_path / "src"
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
    for part in ("zan", "data"):
        shutil.copytree(ROOT / part, src / part, ignore=ignore)
    for name in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, src / name)
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
         "-w", str(tmp_path), str(src)],
        check=True, capture_output=True,
    )
    (wheel,) = tmp_path.glob("zan-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    demo = {p.name for p in (ROOT / "data" / "demo").iterdir() if p.is_file()}
    assert {f"zan/_data/demo/{n}" for n in demo} <= names
    for sub in ("maps/static", "nomenclature", "profiles", "reports/templates"):
        shipped = {p.name for p in (ROOT / "zan" / sub).iterdir() if p.is_file() and p.suffix != ".py"}
        assert {f"zan/{sub}/{n}" for n in shipped} <= names, sub
    # the per-region reference tables (SRADDET Hauts-de-France) and the scenarios that use them
    regions = {
        p.relative_to(ROOT / "data").as_posix()
        for p in (ROOT / "data" / "regions").rglob("*")
        if p.is_file()
    }
    assert {"regions/hdf/territoires_sraddet_hdf_2024.csv", "regions/hdf/SOURCES.md"} <= regions
    assert {f"zan/_data/{n}" for n in regions} <= names
    assert "zan/_data/scenarios/hdf_sraddet_2024.toml" in names


def _version(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split("."))


def test_build_backend_reads_the_license_expression():
    # `license = "MIT"` (an SPDX expression, PEP 639) needs setuptools 77; older ones refuse it
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert isinstance(pyproject["project"]["license"], str)
    (setuptools,) = [r for r in pyproject["build-system"]["requires"] if r.startswith("setuptools")]
    assert _version(setuptools.split(">=")[1]) >= (77,)


def test_min_constraints_pin_every_core_dependency_at_its_lower_bound(tmp_path):
    # the CI's second job installs with these pins: each core dependency at its >= bound
    out = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "min_constraints.py")],
        check=True, capture_output=True, text=True,
    ).stdout.splitlines()
    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    assert len(out) == len(deps)
    for pin, dep in zip(out, deps, strict=True):
        name, version = pin.split("==")
        assert dep.startswith(name) and f">={version}" in dep.replace(" ", ""), (pin, dep)
    bad = tmp_path / "pyproject.toml"
    bad.write_text('[project]\ndependencies = ["numpy"]\n')
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import min_constraints
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    with pytest.raises(SystemExit, match="'numpy' declares no lower bound"):
        min_constraints.lower_bounds(bad)
