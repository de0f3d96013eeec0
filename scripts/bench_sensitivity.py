"""Benchmark: a sensitivity analysis of 10,000 evaluations over 3,800 synthetic communes.

A synthetic region of 3,800 communes (Voronoi cells in Lambert-93, lognormal
populations, households, jobs and ENAF consumption in the Cerema wide layout) is
written to a temporary folder with a commune-level scenario: four criteria (past
consumption, population, households, jobs), the garantie communale (1 ha per commune)
and a cap at each commune's 2011-2020 consumption, reduction 50 %.

Timed:

* ``zan.sensitivity.sensitivity_analysis`` with 10,000 evaluations (the four weights
  ±50 % and the reduction rate in [0.45, 0.55]: a Saltelli design of N × 7 rows),
  all through the batch path;
* end to end as ``zan sensitivity SCENARIO.toml --samples 10000 --out DIR`` works: read
  the files, analyse, write every default output (CSV, XLSX, fan plot, HTML map), in
  one process whose imports are done (goal: < 5 s on this 2-core machine); and the
  command itself in a fresh interpreter, with the share of Python start-up and imports;
* the plain path: the same variants one by one through ``zan.scenario.run_scenario``
  on the prepared scenario (files read once), timed on a subset and extrapolated
  (said so in the output); results are compared on that subset;
* the weights widget's update (``zan.notebook.WeightsModel``: recompute the allocation
  and redraw the map as PNG) on the 3,800 communes (goal: < 1 s);
* the rounded batch (10,000 blends × 3,800 communes, 0.01 ha, largest remainder) in
  every one of five runs (goal: < 1 s each);
* the streamed batch at national size (10,000 variants × 35,000 communes, summaries
  included) in a fresh process: its peak resident memory (goal: < 2 GiB; dense would be
  2.8 GB of values alone).

Every timing is printed as min / median / max over ``--runs`` (default 5) runs, and the
goals with a verdict. ``bench_rows(quick)`` gives the summary rows of ``scripts/bench_all.py``
(case, zan_s, baseline_name, baseline_s, ratio, goal, verdict).

Usage::

    python scripts/bench_sensitivity.py [--samples 10000] [--communes 3800] [--runs 5] [--no-cli]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from zan.maps import (
    _geometry,  # noqa: E402
    prefetch,  # noqa: E402
)
from zan.sensitivity import prepare, sensitivity_analysis, write_sensitivity  # noqa: E402


def make_region(folder: str | os.PathLike, n: int = 3800, *, seed: int = 2154) -> Path:
    """Write a synthetic region of ``n`` communes and a commune-level scenario; return its path.

    Files: ``communes.gpkg`` (EPSG:2154), ``communes.csv`` (membership and indicators),
    ``conso.csv`` (Cerema wide layout, m², 2009-2022) and ``scenario.toml``.
    """
    import geopandas as gpd
    import shapely

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    side = 180_000.0
    x0, y0 = 600_000.0, 6_900_000.0
    pts = np.column_stack([x0 + rng.uniform(0, side, n), y0 + rng.uniform(0, side, n)])
    frame = shapely.box(x0, y0, x0 + side, y0 + side)
    cells = shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=frame)
    cells = shapely.intersection(shapely.get_parts(cells), frame)
    order = shapely.STRtree(cells).query(shapely.points(pts), predicate="within")
    cells = cells[order[1][np.argsort(order[0])]]
    cells = shapely.set_precision(cells, 1.0)
    codes = [f"{90 + i // 1000:02d}{i % 1000:03d}" for i in range(n)]
    names = [f"Commune {i + 1}" for i in range(n)]
    gdf = gpd.GeoDataFrame({"code_insee": codes, "nom": names}, geometry=cells, crs="EPSG:2154")
    gdf.to_file(folder / "communes.gpkg", layer="communes", driver="GPKG")
    population = np.round(rng.lognormal(6.0, 1.3, n)).astype(int) + 20
    households = np.round(population * rng.uniform(0.35, 0.5, n)).astype(int)
    jobs = np.round(population * rng.uniform(0.1, 0.6, n)).astype(int)
    epci = np.array([f"2499{i // 40:05d}" for i in range(n)])
    members = pd.DataFrame(
        {
            "code_insee": codes,
            "nom": names,
            "epci_siren": epci,
            "epci_nom": [f"CC {e[-3:]}" for e in epci],
            "population": population,
            "menages": households,
            "emplois": jobs,
            "armature": np.where(population > 5000, "pole", "rural"),
        }
    )
    members.to_csv(folder / "communes.csv", index=False)
    # ENAF consumption, Cerema wide layout (m² per year, destinations adding up)
    yearly = (
        rng.lognormal(0.0, 1.0, n)[:, None] * 4.0 * 10_000 / 10 * rng.uniform(0.5, 1.5, (n, 14))
    )
    yearly = np.round(yearly).astype(np.int64)
    cols: dict[str, object] = {
        "idcom": codes,
        "idcomtxt": names,
        "idreg": "99",
        "idregtxt": "Région Synthétique",
        "iddep": [c[:2] for c in codes],
        "iddeptxt": "Synthétique",
        "epci23": epci,
        "epci23txt": "CC",
        "scot": "",
    }
    for j, year in enumerate(range(9, 23)):
        tot = yearly[:, j]
        act = tot // 3
        hab = tot - act
        yy, zz = f"{year:02d}", f"{year + 1:02d}"
        cols[f"naf{yy}art{zz}"] = tot
        cols[f"art{yy}act{zz}"] = act
        cols[f"art{yy}hab{zz}"] = hab
        for d in ("mix", "rou", "fer", "inc"):
            cols[f"art{yy}{d}{zz}"] = 0
    pd.DataFrame(cols).to_csv(folder / "conso.csv", index=False)
    (folder / "scenario.toml").write_text(
        """[scenario]
name = "Région synthétique (communes)"

[data]
communes = "communes.gpkg"
communes_layer = "communes"
membership = "communes.csv"
consumption = "conso.csv"

[envelope]
reduction = 0.5

[allocation]
level = "commune"

[[criteria]]
name = "consommation"
rule = "past_consumption"
weight = 0.4

[[criteria]]
name = "population"
rule = "indicator"
weight = 0.3
params = { column = "population" }

[[criteria]]
name = "menages"
rule = "indicator"
weight = 0.2
params = { column = "menages" }

[[criteria]]
name = "emplois"
rule = "indicator"
weight = 0.1
params = { column = "emplois" }

[floors]
garantie_communale = true

[caps]
share_of_reference = 1.0
""",
        encoding="utf-8",
    )
    return folder / "scenario.toml"


def _stats(times: list[float]) -> str:
    return f"min {min(times):.2f} / median {np.median(times):.2f} / max {max(times):.2f} s"


def _each(times: list[float]) -> str:
    return "every run: " + ", ".join(f"{t:.2f}" for t in times) + " s"


def _fresh(cmd: list[str], env: dict) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=env)
    return time.perf_counter() - t0


def _national_memory(samples: int, communes: int) -> tuple[float, float]:
    """(seconds, peak MiB) of a streamed batch and its summaries in a fresh process."""
    code = f"""
import resource, sys, time
sys.path.insert(0, {str(Path(__file__).resolve().parents[1] / "tests")!r})
from test_batch_stream import blends, synthetic_problem
from zan.batch_stream import stream_batch
from zan.sobol import summaries
p = synthetic_problem({communes}, seed=3)
t0 = time.perf_counter()
cols = stream_batch(p, blends({samples}, seed=4))
summaries(cols, 2)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
try:  # ru_maxrss counts the parent's memory at the fork: VmHWM is this process' own
    status = open("/proc/self/status").read().split("VmHWM:")[1]
    peak = int(status.split()[0]) / 1024
except (OSError, IndexError):
    pass
print(time.perf_counter() - t0, peak)
"""
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    out = subprocess.run(
        [sys.executable, "-c", code], check=True, capture_output=True, text=True, env=env
    )
    seconds, peak = out.stdout.split()
    return float(seconds), float(peak)


def measure(
    samples: int = 10_000,
    communes: int = 3_800,
    *,
    runs: int = 5,
    plain: int = 40,
    cli: bool = True,
    national: tuple[int, int] = (10_000, 35_000),
) -> dict:
    """Every timing of the benchmark (seconds), as lists over ``runs`` runs."""
    from zan.batch import BatchProblem
    from zan.scenario import run_scenario

    r: dict = {"load": os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")}
    with tempfile.TemporaryDirectory() as tmp:
        path = make_region(tmp, communes)
        prep = prepare(path)
        weights = [c.weight for c in prep.criteria]
        ranges = {c.key: (0.5 * c.weight, 1.5 * c.weight) for c in prep.criteria}
        ranges["envelope.reduction"] = (0.45, 0.55)
        r["analysis"], r["evaluations"] = [], []
        for _ in range(runs):
            t0 = time.perf_counter()
            result = sensitivity_analysis(prep, samples=samples, ranges=ranges)
            r["analysis"].append(time.perf_counter() - t0)
            r["evaluations"].append(result.seconds)
        r["K"], r["n_base"], r["keys"] = len(result.samples), result.n_base, list(result.samples)
        # the rounded batch: 10,000 blends of the four criteria at 0.01 ha
        problem = BatchProblem.from_prepared(prep)
        rng = np.random.default_rng(1)
        blend = problem.base_weights * rng.uniform(0.5, 1.5, (samples, len(weights)))
        blend /= blend.sum(axis=1, keepdims=True)
        problem.run(blend[:64])
        r["rounded"] = []
        for _ in range(runs):
            t0 = time.perf_counter()
            b = problem.run(blend)
            r["rounded"].append(time.perf_counter() - t0)
        assert (b.units.sum(axis=1) == round(problem.envelope_ha / problem.resolution)).all()

        # plain path: the same variants one by one through run_scenario
        K = r["K"]
        m = min(plain, K)
        rows_ = np.linspace(0, K - 1, m).astype(int)
        X = result.samples.to_numpy()
        keys = r["keys"]
        from zan.envelope import regional_envelope

        t0 = time.perf_counter()
        diffs = []
        for k in rows_:
            w = np.array(weights, dtype=float)
            for j, c in enumerate(prep.criteria):
                w[j] = X[k, keys.index(f"weights.{c.key}")]
            w = w / w.sum()
            crit = [
                dataclasses.replace(c, weight=float(x))
                for c, x in zip(prep.criteria, w, strict=True)
            ]
            red = float(X[k, keys.index("envelope.reduction")])
            sc = prep.scenario.model_copy(
                update={"envelope": prep.scenario.envelope.model_copy(update={"reduction": red})}
            )
            env = prep.envelope
            envelope = regional_envelope(
                env.reference_ha,
                reduction=red,
                profile=env.profile,
                garantie_communes=env.garantie_communes,
            )
            variant = dataclasses.replace(prep, scenario=sc, criteria=crit, envelope=envelope)
            exact = run_scenario(variant).table.sort_index()["exact_ha"].to_numpy()
            diffs.append(float(np.max(np.abs(exact - result.values[k]))))
        r["plain"] = (time.perf_counter() - t0) / m * K
        r["plain_m"], r["max_diff"] = m, max(diffs)

        # end to end in one process (imports done), as `zan sensitivity --out` works
        write_sensitivity(result, Path(tmp) / "warm-up")
        r["end"] = []
        for i in range(runs):
            _geometry._CACHE.clear()  # as in a fresh command: the map geometry is not ready
            t0 = time.perf_counter()
            full = sensitivity_analysis(path, samples=samples, ranges=ranges, prepare_map=prefetch)
            r["written"] = write_sensitivity(full, Path(tmp) / f"sorties{i}")
            r["end"].append(time.perf_counter() - t0)

        # the command itself in fresh interpreters, alternated with the bare imports
        r["cli"], r["imports"] = [], []
        if cli:
            exe = Path(sys.executable).with_name("zan")
            cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "zan.cli"]
            env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
            for i in range(runs):
                out = str(Path(tmp) / f"cli{i}")
                r["cli"].append(
                    _fresh(
                        [*cmd, "sensitivity", str(path), "--samples", str(samples), "--out", out],
                        env,
                    )
                )
                r["imports"].append(
                    _fresh(
                        [
                            sys.executable,
                            "-c",
                            "import zan.cli, zan.sensitivity, zan.maps, matplotlib.figure, "
                            "folium, xlsxwriter",
                        ],
                        env,
                    )
                )

        # the widget's update on the same communes
        from zan.notebook import WeightsModel

        model = WeightsModel(prep)
        model.update(model.base)
        model.png()
        r["widget"] = []
        for k in range(runs):
            w = {
                n: v * (1 + 0.1 * k) if i == 0 else v for i, (n, v) in enumerate(model.base.items())
            }
            t0 = time.perf_counter()
            model.update(w)
            model.png()
            r["widget"].append(time.perf_counter() - t0)
        model.close()
    r["national"] = national
    if national:
        r["national_s"], r["national_mib"] = _national_memory(*national)
    return r


def _row(case: str, zan_s: float, base: str, base_s: float, goal: str, met: bool) -> dict:
    return {
        "case": case,
        "zan_s": round(zan_s, 3),
        "baseline_name": base,
        "baseline_s": round(base_s, 3),
        "ratio": round(base_s / zan_s, 2) if zan_s > 0 else float("nan"),
        "goal": goal,
        "verdict": "met" if met else "not met",
    }


def bench_rows(quick: bool = False, r: dict | None = None) -> list[dict]:
    """Summary rows: sensitivity fresh process, in-process analysis, rounded batch, memory.

    ``quick`` runs smaller cases (1,000 communes, 2,000 samples, 3 runs, national memory
    on 1,000 variants) that do not judge the goals (their verdicts say so).
    """
    if r is None:
        r = (
            measure(2_000, 1_000, runs=3, plain=10, national=(1_000, 35_000))
            if quick
            else measure()
        )
    tag = ""
    K = r["K"]
    out = [
        _row(
            f"sensitivity analysis {K:,} evaluations, in process (median of {len(r['analysis'])})",
            float(np.median(r["analysis"])),
            "plain path: run_scenario per variant (extrapolated)",
            r["plain"],
            ">= 10x the plain path" + tag,
            r["plain"] / float(np.median(r["analysis"])) >= 10,
        ),
        _row(
            f"rounded batch {K:,} x communes at 0.01 ha (max of {len(r['rounded'])} runs)",
            max(r["rounded"]),
            "goal: 1 s in every run",
            1.0,
            "< 1 s in every run" + tag,
            max(r["rounded"]) < 1.0,
        ),
    ]
    if r["cli"]:
        out.insert(
            0,
            _row(
                f"zan sensitivity --samples {K:,}, fresh process (max of {len(r['cli'])})",
                max(r["cli"]),
                "goal: 4 s",
                4.0,
                "< 4 s" + tag,
                max(r["cli"]) < 4.0,
            ),
        )
    if r.get("national"):
        k, n = r["national"]
        out.append(
            _row(
                f"streamed batch + summaries {k:,} x {n:,}: peak {r['national_mib']:.0f} MiB",
                r["national_s"],
                "peak memory goal: 2 GiB (ratio = 2048 MiB / peak)",
                r["national_s"] * 2048 / r["national_mib"],
                "peak < 2 GiB",
                r["national_mib"] < 2048,
            )
        )
    if quick:  # small cases: the goals are for the full sizes
        for row in out:
            row["verdict"] = "not judged (quick)"
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--communes", type=int, default=3_800)
    parser.add_argument("--plain", type=int, default=40, help="variants timed on the plain path")
    parser.add_argument("--runs", type=int, default=5, help="runs of every timing")
    parser.add_argument("--no-cli", action="store_true", help="skip timing the command itself")
    parser.add_argument(
        "--no-national", action="store_true", help="skip the 10,000 x 35,000 memory run"
    )
    parser.add_argument("--quick", action="store_true", help="small cases (goals not judged)")
    args = parser.parse_args(argv)
    if args.quick:
        r = measure(2_000, 1_000, runs=3, plain=10, cli=not args.no_cli, national=(1_000, 35_000))
    else:
        r = measure(
            args.samples,
            args.communes,
            runs=args.runs,
            plain=args.plain,
            cli=not args.no_cli,
            national=() if args.no_national else (10_000, 35_000),
        )
    n = args.communes if not args.quick else 1_000
    print(f"machine: {os.cpu_count()} cores, load average {r['load']:.2f} at the start")
    print(
        f"region: {n:,} synthetic communes; 4 criteria, garantie communale 1 ha, caps at past "
        f"consumption; {r['K']:,} evaluations (Saltelli N = {r['n_base']:,} x "
        f"{len(r['keys']) + 2}; parameters: {', '.join(r['keys'])})"
    )
    print(f"analysis in process (design, evaluations, quantiles, Sobol): {_stats(r['analysis'])}")
    print(f"  of which batch evaluations: {_stats(r['evaluations'])}")
    print(
        f"plain path (run_scenario per variant), {r['plain_m']} variants extrapolated to "
        f"{r['K']:,}: {r['plain']:.1f} s; max |batch - plain| {r['max_diff']:.2e} ha"
    )
    print(
        f"rounded batch ({r['K']:,} x {n:,}, 0.01 ha): {_stats(r['rounded'])}  (goal: < 1 s "
        f"each; met only when the max is)\n  {_each(r['rounded'])}"
    )
    print(
        f"end to end in one process (read, analyse, write {len(r['written'])} files): "
        f"{_stats(r['end'])}"
    )
    if r["cli"]:
        print(
            f"the command in a fresh interpreter: {_stats(r['cli'])}  (goal: < 4 s)\n"
            f"  {_each(r['cli'])}\n  bare imports (zan.cli, zan.sensitivity, zan.maps, "
            f"matplotlib, folium): {_stats(r['imports'])}"
        )
    print(f"weights widget update (recompute + PNG): {_stats(r['widget'])}  (goal: < 1 s)")
    if r.get("national"):
        k, nn = r["national"]
        print(
            f"streamed batch + summaries, {k:,} x {nn:,} in a fresh process: "
            f"{r['national_s']:.1f} s, peak resident {r['national_mib']:.0f} MiB (goal: < 2 GiB)"
        )
    if hasattr(os, "getloadavg"):
        print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    table = bench_rows(args.quick, r)
    print()
    print(f"{'case':70s} {'zan_s':>8s} {'baseline_s':>10s} {'ratio':>7s}  verdict")
    for row in table:
        print(
            f"{row['case'][:70]:70s} {row['zan_s']:8.3f} {row['baseline_s']:10.3f} "
            f"{row['ratio']:7.2f}  {row['verdict']} ({row['goal']}; {row['baseline_name']})"
        )
    return 0 if r["max_diff"] <= 1e-6 else 1


if __name__ == "__main__":
    raise SystemExit(main())
