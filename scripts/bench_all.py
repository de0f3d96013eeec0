"""Run every benchmark and print one table (case, zan, baseline, ratio, goal, verdict).

Usage::

    python scripts/bench_all.py [--quick] [--out bench.csv] [--only consumption,allocate]

The protocol (``scripts/benchlib.py``)
--------------------------------------
Each ``scripts/bench_*.py`` exposes::

    def bench_rows(quick: bool = False) -> list[dict]

returning one dict per case with the keys ``case``, ``zan_s``, ``baseline_name``,
``baseline_s``, ``ratio``, ``goal``, ``verdict`` (build them with ``benchlib.row``:
``ratio`` defaults to ``baseline_s / zan_s``, so above 1 zan is faster; ``verdict`` is
``met``, ``not met`` or ``info``). The baseline is the competent alternative named in
the case, timed in the same run, over alternated rounds (``benchlib.alternate``,
``benchlib.run_child`` for a subprocess with its peak memory). ``quick=True`` runs a
smaller size. To add a case, append a row in your script's ``bench_rows``; nothing to
change here.

A script without ``bench_rows`` yet is run whole in a subprocess (with the small sizes of
:data:`QUICK_ARGS` under ``--quick``) and gets one ``info`` row with its wall time; a
script that fails gets a row whose verdict says so. ``scripts/national_run.py`` (the
national run's steps) is included as well.
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import os
import subprocess
import sys
import time
import traceback
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import benchlib  # noqa: E402

#: Small sizes for the scripts run whole (those without ``bench_rows``) under --quick.
QUICK_ARGS: dict[str, list[str]] = {
    "bench_cache.py": ["--rows", "100000", "--repeat", "1"],
    "bench_ledger.py": ["--communes", "3800", "--sample", "500", "--repeat", "1"],
    "bench_maps.py": ["--runs", "1", "--no-browser", "--only", "synthetic"],
    "bench_parcels.py": ["--parcels", "50000", "--baseline-parcels", "10000"],
    "bench_raster.py": [
        "--size",
        "2000",
        "--communes",
        "400",
        "--baseline-communes",
        "400",
        "--rasterstats-communes",
        "100",
    ],
    "bench_reports.py": ["--baseline", "2"],
    "bench_simulator.py": ["--updates", "20", "--synthetic"],
    "bench_sensitivity.py": [
        "--samples",
        "1000",
        "--communes",
        "800",
        "--plain",
        "10",
        "--repeat",
        "1",
        "--no-cli",
    ],
}
#: Longest a script run whole may take (s).
TIMEOUT_S = 1_800


def _load(path: Path):
    spec = importlib.util.spec_from_file_location(path.stem, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _whole(path: Path, quick: bool) -> list[dict]:
    """One info row: the script run whole in a subprocess."""
    args = QUICK_ARGS.get(path.name, []) if quick else []
    env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
    t0 = time.perf_counter()
    try:
        done = subprocess.run(
            [sys.executable, str(path), *args], env=env, capture_output=True, timeout=TIMEOUT_S
        )
        ok, why = done.returncode == 0, f"exit {done.returncode}"
    except subprocess.TimeoutExpired:
        ok, why = False, f"timeout {TIMEOUT_S} s"
    seconds = time.perf_counter() - t0
    row = benchlib.row(
        f"{path.stem}: whole script{' (quick sizes)' if args else ''}, no bench_rows yet",
        seconds,
        goal="see the script's own output",
    )
    if not ok:
        row["verdict"] = f"failed ({why})"
    return [row]


def run(quick: bool = False, only: list[str] | None = None) -> list[dict]:
    """Rows of every benchmark (``only``: names such as ``consumption`` or ``national_run``)."""
    scripts = sorted(p for p in HERE.glob("bench_*.py") if p.name not in {"bench_all.py"})
    scripts.append(HERE / "national_run.py")
    rows: list[dict] = []
    for path in scripts:
        name = path.stem.removeprefix("bench_")
        if only and name not in only and path.stem not in only:
            continue
        print(f"... {path.name} ({benchlib.load()})", flush=True)
        try:
            module = _load(path)
            if hasattr(module, "bench_rows"):
                got = module.bench_rows(quick=quick)
            else:
                got = _whole(path, quick)
        except Exception as exc:  # one failing benchmark does not stop the others
            traceback.print_exc()
            got = [benchlib.row(f"{path.stem}: error", None, goal="")]
            got[0]["verdict"] = f"failed ({type(exc).__name__}: {exc})"[:200]
        for r in got:
            r["case"] = f"{name}: {r['case']}" if not r["case"].startswith(path.stem) else r["case"]
        rows += got
    return rows


def write_csv(rows: list[dict], path: Path) -> Path:
    """The table as CSV (``,``, UTF-8), written to a temporary file then moved in place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=list(benchlib.COLUMNS), lineterminator="\n")
        writer.writeheader()
        for r in rows:
            writer.writerow({k: ("" if r.get(k) is None else r.get(k)) for k in benchlib.COLUMNS})
    tmp.replace(path)
    return path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="smaller sizes (a few minutes)")
    parser.add_argument("--out", type=Path, help="write the table as CSV")
    parser.add_argument("--only", help="comma-separated names (consumption, allocate, ...)")
    args = parser.parse_args(argv)
    start = benchlib.load()
    rows = run(args.quick, args.only.split(",") if args.only else None)
    print(f"machine: {start} at the start, {benchlib.load()} at the end")
    benchlib.print_rows(rows)
    if args.out:
        print(f"written: {write_csv(rows, args.out)}")
    return 0 if all(not r["verdict"].startswith("failed") for r in rows) else 1


if __name__ == "__main__":
    raise SystemExit(main())
