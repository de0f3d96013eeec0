"""Benchmark: HTML + PDF reports for all 92 Hauts-de-France EPCI, in parallel, against serial.

Data: the real commune boundaries (COG 2026, ``communes_hdf_cog2026_from_france-geojson-
2018_dissolved.geojson``) and the real commune → EPCI table with INSEE populations
(``communes_hdf_cog2026.csv``), both from ``$ZAN_SHARED_DATA/hdf`` (default
``../shared/data`` beside the checkout). There is no public Cerema consumption file for
the region (see ``hdf/SOURCES.md``), so the script **generates a synthetic one** in the
Cerema wide layout (``nafYYartZZ`` and ``artYY<dest>ZZ`` flows in m², 2009-2022) for the
real communes: about 1,630 ha a year over 2011-2020 (the DREAL figure of 16,275 ha for the
decade), 55 % housing and 37 % activity, shared by population with random noise, and
about 1,250 ha a year since 2021. The scenario (written by the script) is
population-based: reduction 50 %, PENE by péréquation, garantie communale of 1 ha for
every commune, allocation to the EPCI in proportion to their population.

Baseline (same process): the same reports rendered serially (``jobs=1``) for a subset of
territories; the ratio is the parallel speed-up per report. The target is the whole
batch (preparation included) in under 3 minutes on a 2-core machine.

Usage::

    python scripts/bench_reports.py [--jobs N] [--baseline 8] [--out DIR] [--keep]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("ZAN_SHARED_DATA", ROOT.parent / "shared" / "data"))
HDF = SHARED / "hdf"
BOUNDARIES = HDF / "boundaries" / "communes_hdf_cog2026_from_france-geojson-2018_dissolved.geojson"
ADMIN = HDF / "admin" / "communes_hdf_cog2026.csv"
DESTS = ("act", "hab", "mix", "rou", "fer", "inc")
SHARES = np.array(
    [0.37, 0.55, 0.02, 0.04, 0.005, 0.015]
)  # DOMAIN.md §4 (55 % housing, 37 % activity)

SCENARIO = """[scenario]
name = "Hauts-de-France — part selon la population"
description = "Banc d'essai : consommation synthétique, contours et populations réels."

[data]
communes = "{communes}"
membership = "membership.csv"
consumption = "conso_synthetique.csv"

[envelope]
reduction = 0.5
pene = "perequation"

[allocation]
level = "epci"

[[criteria]]
name = "population"
rule = "indicator"
weight = 1.0
params = {{ column = "population" }}

[floors]
garantie_communale = true
"""


def synthetic_consumption(admin: pd.DataFrame, seed: int = 2154) -> pd.DataFrame:
    """Cerema wide layout, 2009-2022, integer m² per commune, year and destination."""
    rng = np.random.default_rng(seed)
    n = len(admin)
    pop = admin["population"].to_numpy(dtype="float64")
    weight = np.maximum(pop, 50.0) ** 0.7 * rng.lognormal(0.0, 0.6, n)
    weight /= weight.sum()
    out = {
        "idcom": admin["code_insee"].to_numpy(),
        "idcomtxt": admin["nom"].to_numpy(),
        "idreg": "32",
        "idregtxt": "Hauts-de-France",
        "iddep": admin["departement"].to_numpy(),
        "epci23": admin["epci_siren"].to_numpy(),
        "epci23txt": admin["epci_nom"].to_numpy(),
    }
    for year in range(2009, 2023):
        yy, zz = year % 100, (year + 1) % 100
        total_ha = 1_627.5 if year < 2021 else 1_250.0
        flows = total_ha * 10_000 * weight * rng.gamma(2.0, 0.5, n)
        parts = rng.dirichlet(SHARES * 40, n) * flows[:, None]
        parts = np.floor(parts).astype(np.int64)
        for j, d in enumerate(DESTS):
            out[f"art{yy:02d}{d}{zz:02d}"] = parts[:, j]
        out[f"naf{yy:02d}art{zz:02d}"] = parts.sum(axis=1)
    return pd.DataFrame(out)


def build_inputs(folder: Path) -> Path:
    """Membership table, synthetic consumption and the scenario file; return the scenario."""
    admin = pd.read_csv(ADMIN, dtype=str)
    admin["population"] = pd.to_numeric(admin["population_insee_pmun"])
    membership = admin[
        [
            "code_insee",
            "nom",
            "departement",
            "region",
            "epci_siren",
            "epci_nom",
            "epci_type",
            "population",
        ]
    ]
    membership.to_csv(folder / "membership.csv", index=False)
    synthetic_consumption(admin).to_csv(folder / "conso_synthetique.csv", index=False)
    scenario = folder / "hdf_population.toml"
    scenario.write_text(SCENARIO.format(communes=BOUNDARIES.as_posix()), encoding="utf-8")
    return scenario


def _cpu() -> float:
    """User + system CPU seconds of this process and of its finished descendants."""
    import resource

    me = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=None, help="worker processes (default: cores)")
    parser.add_argument("--baseline", type=int, default=8, help="territories rendered serially")
    parser.add_argument("--out", type=Path, default=None, help="output folder (default: temporary)")
    parser.add_argument("--keep", action="store_true", help="keep the output folder")
    args = parser.parse_args(argv)
    if not BOUNDARIES.exists() or not ADMIN.exists():
        print(f"real data not found under {HDF}; set ZAN_SHARED_DATA", file=sys.stderr)
        return 2
    from zan.reports import prepare_reports, render_batch, write_reports

    work = Path(tempfile.mkdtemp(prefix="zan-bench-reports-"))
    out = args.out or work / "rapports"
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    cores = os.cpu_count()
    try:
        scenario = build_inputs(work)
        t0 = time.perf_counter()
        cpu0 = _cpu()
        batch = write_reports(scenario, out, formats="html,pdf", jobs=args.jobs, progress=True)
        wall = time.perf_counter() - t0
        cpu = _cpu() - cpu0
        load_end = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
        per = [r.seconds for r in batch.results]
        print()
        print(
            f"machine: {cores} cores, load average {load:.1f} at start, {load_end:.1f} at the end "
            "(other work on the machine slows every figure below)"
        )
        print(
            f"territories: {len(batch.results)} EPCI ({batch.level}), {sum(r.ok for r in batch.results)} written, "
            f"{len(batch.failures)} failure(s); jobs={batch.jobs}"
        )
        for r in batch.failures:
            print(f"  failure {r.code} {r.nom}: {r.error}")
        print(f"preparation (scenario, consumption, geometries): {batch.prepare_seconds:6.1f} s")
        print(f"whole batch, HTML + PDF, summary and index:      {wall:6.1f} s  (target < 180 s)")
        print(
            f"per report in its worker: mean {statistics.mean(per):.2f} s, median "
            f"{statistics.median(per):.2f} s, max {max(per):.2f} s"
        )
        if batch.summary is not None:
            print(f"regional summary: {batch.summary.seconds:.2f} s")
        print(f"effective wall time per report: {(wall - batch.prepare_seconds) / len(per):.2f} s")
        print(
            f"CPU time of the batch, every process (Python workers, browsers): {cpu:.1f} s, i.e. "
            f"{cpu / len(per):.2f} s per report; on {cores} idle cores: about {cpu / cores:.0f} s"
        )

        # baseline in the same process: the same reports rendered serially
        if args.baseline > 0:
            ctx = prepare_reports(scenario)
            codes = [r.code for r in sorted(batch.results, key=lambda r: r.code)][: args.baseline]
            t1 = time.perf_counter()
            serial = render_batch(
                ctx,
                work / "serie",
                codes=codes,
                formats=("html", "pdf"),
                summary=False,
                jobs=1,
                progress=False,
            )
            ts = time.perf_counter() - t1
            par = (wall - batch.prepare_seconds) / (len(per) + 1)
            print(
                f"baseline, serial (jobs=1) on {len(codes)} territories: {ts / len(codes):.2f} s "
                f"per report (first includes the browser start)"
            )
            print(f"ratio serial / parallel per report: {ts / len(codes) / par:.2f}x")
            assert serial.ok
        sizes = [p.stat().st_size for r in batch.results for p in r.files if p.suffix == ".pdf"]
        print(f"PDF size: median {statistics.median(sizes) / 1024:.0f} KiB; output in {out}")
        return 0 if batch.ok and wall < 180 else 1
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
