"""Same inputs, same bytes: published figures and maps can be checked by their hash."""

from __future__ import annotations

import hashlib

import pytest

from zan.demo import run_demo


def _hashes(folder):
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.suffix in {".csv", ".html", ".json", ".gpkg"}
    }


@pytest.mark.slow
def test_two_demo_runs_give_identical_outputs(tmp_path):
    run_demo(tmp_path / "a")
    run_demo(tmp_path / "b")
    first, second = _hashes(tmp_path / "a"), _hashes(tmp_path / "b")
    assert {"carte.html", "trajectoire_epci.csv", "allocation/allocation.csv", "allocation/carte.html"} <= set(first)
    assert first == second
    # the manifest traces every output to the inputs' SHA-256
    import json

    manifest = json.loads((tmp_path / "a" / "allocation" / "sources.json").read_text(encoding="utf-8"))
    assert manifest["scenario_sha256"] and "data.consumption" in manifest["inputs"]
    assert manifest["outputs"]["allocation.csv"] == first["allocation/allocation.csv"]
