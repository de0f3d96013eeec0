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
  and redraw the map as PNG) on the 3,800 communes (goal: < 1 s).

Usage::

    python scripts/bench_sensitivity.py [--samples 10000] [--communes 3800] [--plain 40] [--no-cli]
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--communes", type=int, default=3_800)
    parser.add_argument("--plain", type=int, default=40, help="variants timed on the plain path")
    parser.add_argument("--repeat", type=int, default=3, help="batch runs (best time is kept)")
    parser.add_argument("--no-cli", action="store_true", help="skip timing the command itself")
    args = parser.parse_args(argv)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    from zan.scenario import run_scenario

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        path = make_region(tmp, args.communes)
        t_make = time.perf_counter() - t0
        t0 = time.perf_counter()
        prep = prepare(path)
        t_prep = time.perf_counter() - t0
        weights = [c.weight for c in prep.criteria]
        ranges = {c.key: (0.5 * c.weight, 1.5 * c.weight) for c in prep.criteria}
        ranges["envelope.reduction"] = (0.45, 0.55)

        # batch path: the whole analysis (design, evaluations, quantiles, Sobol indices)
        totals, evals, cpu = [], [], []
        for _ in range(args.repeat):
            t0, c0 = time.perf_counter(), time.process_time()
            result = sensitivity_analysis(prep, samples=args.samples, ranges=ranges)
            totals.append(time.perf_counter() - t0)
            cpu.append(time.process_time() - c0)
            evals.append(result.seconds)
        t_total, t_eval = min(totals), min(evals)
        K = len(result.samples)

        # plain path: the same variants one by one through run_scenario
        m = min(args.plain, K)
        rows = np.linspace(0, K - 1, m).astype(int)
        X = result.samples.to_numpy()
        keys = list(result.samples.columns)
        t0 = time.perf_counter()
        diffs = []
        for r in rows:
            w = np.array(weights, dtype=float)
            for j, c in enumerate(prep.criteria):
                w[j] = X[r, keys.index(f"weights.{c.key}")]
            w = w / w.sum()
            crit = [
                dataclasses.replace(c, weight=float(x))
                for c, x in zip(prep.criteria, w, strict=True)
            ]
            red = X[r, keys.index("envelope.reduction")]
            sc = prep.scenario.model_copy(
                update={
                    "envelope": prep.scenario.envelope.model_copy(update={"reduction": float(red)})
                }
            )
            from zan.envelope import regional_envelope

            env = prep.envelope
            envelope = regional_envelope(
                env.reference_ha,
                reduction=float(red),
                profile=env.profile,
                garantie_communes=env.garantie_communes,
            )
            variant = dataclasses.replace(prep, scenario=sc, criteria=crit, envelope=envelope)
            alloc = run_scenario(variant)
            exact = alloc.table.sort_index()["exact_ha"].to_numpy()
            diffs.append(float(np.max(np.abs(exact - result.values[r]))))
        t_plain_subset = time.perf_counter() - t0
        t_plain = t_plain_subset / m * K

        # end to end, as `zan sensitivity SCENARIO.toml --samples N --out DIR` does:
        # read the files, analyse, write every default output (imports already done by
        # the runs above, as in a notebook or any second run in one process)
        ends, reads = [], []
        write_sensitivity(result, Path(tmp) / "warm-up")  # imports matplotlib, folium, xlsxwriter
        for i in range(args.repeat):
            _geometry._CACHE.clear()  # as in a fresh command: the map geometry is not ready
            t0 = time.perf_counter()
            full = sensitivity_analysis(path, samples=args.samples, ranges=ranges, prepare_map=prefetch)
            reads.append(time.perf_counter() - t0)
            written = write_sensitivity(full, Path(tmp) / f"sorties{i}")
            ends.append(time.perf_counter() - t0)
        t_end, t_read_analyse = min(ends), reads[int(np.argmin(ends))]

        # the command itself in a fresh interpreter (Python start-up and imports included)
        cli, t_imports = None, None
        if not args.no_cli:
            exe = Path(sys.executable).with_name("zan")
            cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "zan.cli"]
            env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
            t0 = time.perf_counter()
            subprocess.run(
                [
                    *cmd,
                    "sensitivity",
                    str(path),
                    "--samples",
                    str(args.samples),
                    "--out",
                    str(Path(tmp) / "cli"),
                ],
                check=True,
                capture_output=True,
                env=env,
            )
            cli = time.perf_counter() - t0
            t0 = time.perf_counter()
            subprocess.run(
                [
                    sys.executable,
                    "-c",
                    "import zan.cli, zan.sensitivity, zan.maps, scipy.stats, "
                    "matplotlib.figure, folium, xlsxwriter",
                ],
                check=True,
                env=env,
            )
            t_imports = time.perf_counter() - t0

        # the widget's update on the same communes
        from zan.notebook import WeightsModel

        model = WeightsModel(prep)
        model.update(model.base)
        model.png()
        upd = []
        for k in range(5):
            w = {
                n: v * (1 + 0.1 * k) if i == 0 else v for i, (n, v) in enumerate(model.base.items())
            }
            t0 = time.perf_counter()
            model.update(w)
            model.png()
            upd.append(time.perf_counter() - t0)
        model.close()

    print(f"machine: {os.cpu_count()} cores, load average {load:.2f} at the start")
    print(
        f"region: {args.communes:,} synthetic communes (written in {t_make:.1f} s, scenario "
        f"prepared in {t_prep:.1f} s, not counted); 4 criteria, garantie communale 1 ha, caps "
        "at past consumption"
    )
    print(
        f"analysis: {K:,} evaluations (Saltelli design N = {result.n_base:,} x "
        f"{len(keys) + 2}; parameters: {', '.join(keys)})"
    )
    print(
        f"batch path, whole analysis (design + evaluations + quantiles + Sobol): {t_total:.3f} s "
        f"(best of {args.repeat}: {', '.join(f'{t:.3f}' for t in totals)}; CPU time "
        f"{min(cpu):.3f} s); of which batch "
        f"evaluations {t_eval:.3f} s  (goal: < 5 s)"
    )
    print(
        f"plain path (run_scenario one variant at a time, files read once): "
        f"{t_plain_subset:.3f} s for {m} variants, extrapolated to {K:,}: {t_plain:.1f} s"
    )
    print(f"speed-up of the batch analysis over the plain path: {t_plain / t_total:.0f}x")
    print(
        f"max |batch - plain| (exact values before rounding) on the {m} variants: "
        f"{max(diffs):.2e} ha"
    )
    print(
        f"end to end like `zan sensitivity --out` in one process (read the files, analyse, write "
        f"{len(written)} files: {', '.join(p.name for p in written)}): {t_end:.2f} s best of "
        f"{args.repeat} ({', '.join(f'{t:.2f}' for t in ends)}), of which reading + analysis "
        f"{t_read_analyse:.2f} s  (goal: < 5 s)"
    )
    if cli is not None:
        print(
            f"the command in a fresh interpreter: {cli:.2f} s, of which Python start-up and "
            f"imports (pandas, geopandas, scipy.stats, matplotlib, folium) {t_imports:.2f} s"
        )
    print(
        f"weights widget update (recompute + redraw PNG) on {args.communes:,} communes: "
        f"median {np.median(upd) * 1000:.0f} ms, max {max(upd) * 1000:.0f} ms (goal: < 1 s)"
    )
    return 0 if max(diffs) <= 1e-6 else 1


if __name__ == "__main__":
    raise SystemExit(main())
