"""scripts/bench_all.py: the benchmarks' common table (protocol in scripts/benchlib.py)."""

from __future__ import annotations

import csv
import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"


def _script(name: str):
    sys.path.insert(0, str(SCRIPTS))
    spec = importlib.util.spec_from_file_location(name, SCRIPTS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_row_protocol_and_csv(tmp_path):
    benchlib = _script("benchlib")
    bench_all = _script("bench_all")
    rows = [
        benchlib.row("case a", 2.0, "pandas", 3.0, goal="ratio >= 1", met=True),
        benchlib.row("case b", 4.0, goal="zan < 4 s", met=False),
        benchlib.row("case c", None, ratio=5.9, goal="< 8 MB", met=True),
    ]
    assert list(rows[0]) == list(benchlib.COLUMNS)
    assert rows[0]["ratio"] == pytest.approx(1.5) and rows[0]["verdict"] == "met"
    assert rows[1]["ratio"] is None and rows[1]["verdict"] == "not met"
    path = bench_all.write_csv(rows, tmp_path / "bench.csv")
    with path.open(encoding="utf-8") as f:
        back = list(csv.DictReader(f))
    assert [r["case"] for r in back] == ["case a", "case b", "case c"]
    assert back[0]["baseline_s"] == "3.0" and back[1]["baseline_s"] == ""
    assert not (tmp_path / "bench.csv.tmp").exists()


def test_every_benchmark_has_rows_or_quick_sizes():
    bench_all = _script("bench_all")
    for path in sorted(SCRIPTS.glob("bench_*.py")):
        if path.name == "bench_all.py":
            continue
        text = path.read_text(encoding="utf-8")
        assert "def bench_rows(" in text or path.name in bench_all.QUICK_ARGS, path.name


def test_alternate_and_child_peak_memory():
    benchlib = _script("benchlib")
    calls = []
    times = benchlib.alternate([lambda: calls.append("a"), lambda: calls.append("b")], rounds=3)
    assert calls == ["a", "b"] * 3 and [len(t) for t in times] == [3, 3]
    small = benchlib.run_child([sys.executable, "-c", "pass"])[1]
    big = benchlib.run_child([sys.executable, "-c", "b = bytearray(200 * 2**20)"])[1]
    assert big - small > 150  # MiB, measured per process


@pytest.mark.slow
def test_bench_all_runs_the_national_run(tmp_path, capsys):
    bench_all = _script("bench_all")
    assert (
        bench_all.main(["--quick", "--only", "national_run", "--out", str(tmp_path / "b.csv")]) == 0
    )
    with (tmp_path / "b.csv").open(encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert any("péréquation" in r["case"] for r in rows)
    assert all(float(r["zan_s"]) >= 0 for r in rows)
    assert "verdict" in capsys.readouterr().out
