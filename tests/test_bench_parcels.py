"""scripts/bench_parcels.py: its baselines agree with zan and its rows follow bench_all's protocol."""

from __future__ import annotations

import importlib.util

import pandas as pd
import pytest
from helpers import ROOT

ROW_KEYS = {"case", "zan_s", "baseline_name", "baseline_s", "ratio", "goal", "verdict"}


def _bench():
    spec = importlib.util.spec_from_file_location(
        "bench_parcels", ROOT / "scripts" / "bench_parcels.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_baselines_give_zan_figures_and_rows_follow_the_protocol(tmp_path):
    bench = _bench()
    paths = bench.make_data(3_000, tmp_path, partitions=2)
    parcels, lc = bench._load(paths)
    zan = bench.run_zan(parcels, lc)
    assert zan["artificialised_m2"].sum() > 0
    for baseline in (bench.run_strtree_art, bench.run_strtree):
        pd.testing.assert_frame_equal(zan, baseline(parcels, lc), check_exact=False, rtol=1e-9)
    lines: list[str] = []
    rows = bench.bench_single(paths, 2, overlay_parcels=500, echo=lines.append)
    assert [set(r) for r in rows] == [ROW_KEYS] * 3
    head = rows[0]
    assert head["baseline_name"] == "STRtree+intersection+groupby"
    assert head["goal"] == ">= 3x" and head["verdict"] in ("met", "not met")
    assert abs(head["ratio"] - head["baseline_s"] / head["zan_s"]) < 0.05
    assert any("max per-commune difference" in line for line in lines)


@pytest.mark.slow
def test_dask_rows_check_identical_sums_and_follow_the_protocol(tmp_path):
    pytest.importorskip("distributed")
    bench = _bench()
    paths = bench.make_data(3_000, tmp_path, partitions=4)
    lines: list[str] = []
    rows = bench.bench_dask(paths, 1, echo=lines.append)
    assert [set(r) for r in rows] == [ROW_KEYS] * len(rows)
    assert [r["goal"] for r in rows[:2]] == [">= 1.6x", "> 1x"]
    assert rows[0]["baseline_name"].startswith("dask 1 worker (load ")
    assert sum("per-commune sums identical: True" in line for line in lines) == 4
    assert any("CPU on the critical path" in line for line in lines)
