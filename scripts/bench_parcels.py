"""Benchmark: per-commune artificialised and ENAF area of parcels × OCS GE.

Compares, in one process on the same synthetic data (a grid of 40 m × 25 m
parcels in 100 Voronoi communes, and an OCS GE of Voronoi blocks of about
2.5 ha, 30 % of them artificialised: 1,000,000 parcels × about 40,000 polygons
by default), what a competent user would write against zan:

* **zan**: :func:`zan.measure.parcels.parcel_landcover` (covered, artificialised
  and ENAF m² per parcel, from the polygon edges, with exact GEOS intersections
  only where needed), then a groupby per commune;
* **baseline** (the headline ratio): ``shapely.STRtree(artificialised
  polygons).query(parcels, predicate="intersects")`` on geometry arrays,
  ``shapely.intersection`` vectorised over the pairs, ``shapely.area``, then a
  pandas groupby per commune; the covered area is the parcels' own (OCS GE
  covers the whole territory), ENAF the difference;
* extra rows: the same baseline intersecting every polygon (it measures the
  covered area too, as zan does, and is much slower), and with ``--overlay N``
  ``geopandas.overlay`` + ``dissolve`` on the first N parcels, extrapolated
  (dissolve does union work the task does not need).

The variants run alternately, ``--rounds`` times (3 by default) after the data
are loaded; min and median wall times are printed, and the ratio of the
minima (the median ratio too). Per-commune results are checked to agree.
With ``--dask`` the dask path (:mod:`zan.measure.distributed`) is timed on 1
and 2 local worker processes (1 thread each), alternately with the single
process reading the same partitioned GeoParquet files, each computing the exact
per-commune sums (the workers send back only theirs), and with 2 workers
writing the per-parcel table (``out_dir``) or gathering it; CPU seconds of the
client and the workers are printed too. The machine's load average is printed: on a
shared machine, wall-time ratios mean little when the load exceeds the cores.

``bench_rows(quick)`` returns the table rows for ``scripts/bench_all.py``.

Usage::

    python scripts/bench_parcels.py [--parcels 1000000] [--rounds 3] [--dask] [--overlay]
                                    [--partitions 8]
"""

from __future__ import annotations

import argparse
import gc
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from zan.io.cache import write_cache  # noqa: E402


def make_data(n_parcels: int, out: Path, seed: int = 1, partitions: int = 8) -> dict[str, Path]:
    """Synthetic parcels (jittered grid, 40 m × 25 m), communes and classified OCS GE."""
    rng = np.random.default_rng(seed)
    side = int(np.ceil(np.sqrt(n_parcels)))
    nx, ny = side, int(np.ceil(n_parcels / side))
    w, h = 40.0, 25.0
    ix, iy = np.meshgrid(np.arange(nx), np.arange(ny))
    ix, iy = ix.ravel()[:n_parcels], iy.ravel()[:n_parcels]
    x0 = 700_000 + ix * w
    y0 = 6_600_000 + iy * h
    parcels_geom = shapely.box(x0, y0, x0 + w, y0 + h)
    extent = shapely.box(700_000, 6_600_000, 700_000 + nx * w, 6_600_000 + ny * h)
    # communes: Voronoi of 100 points, parcel commune = commune of its centre
    cpts = np.column_stack(
        [
            rng.uniform(extent.bounds[0], extent.bounds[2], 100),
            rng.uniform(extent.bounds[1], extent.bounds[3], 100),
        ]
    )
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(cpts), extend_to=extent))
    cells = shapely.intersection(cells, extent)
    centres = shapely.points(x0 + w / 2, y0 + h / 2)
    pi, ci = shapely.STRtree(cells).query(centres, predicate="intersects")
    first = np.unique(pi, return_index=True)[1]
    commune = np.empty(n_parcels, dtype=object)
    commune[pi[first]] = np.char.add("59", np.char.zfill(ci[first].astype(str), 3))
    ids = np.char.add(
        commune.astype(str),
        np.char.add("000AB", np.char.zfill(np.arange(n_parcels).astype(str), 6)),
    )
    parcels = gpd.GeoDataFrame(
        {"commune": commune.astype(str)},
        geometry=parcels_geom,
        index=pd.Index(ids, name="id"),
        crs="EPSG:2154",
    )
    # OCS GE: Voronoi blocks of about 2.5 ha, 30 % artificialised
    n_lc = max(int(extent.area / 25_000), 10)
    lpts = np.column_stack(
        [
            rng.uniform(extent.bounds[0], extent.bounds[2], n_lc),
            rng.uniform(extent.bounds[1], extent.bounds[3], n_lc),
        ]
    )
    blocks = shapely.get_parts(
        shapely.voronoi_polygons(shapely.multipoints(lpts), extend_to=extent)
    )
    blocks = shapely.intersection(blocks, extent)
    lc = gpd.GeoDataFrame(
        {"artificialised": rng.uniform(size=len(blocks)) < 0.3}, geometry=blocks, crs="EPSG:2154"
    )
    paths = {
        "parcels": out / "parcels.parquet",
        "landcover": out / "landcover.parquet",
        "parcels_parts": out / "parcels_parts",
    }
    write_cache(parcels, paths["parcels"])
    write_cache(lc, paths["landcover"])
    write_cache(parcels, paths["parcels_parts"], partitions=partitions)
    return paths


def per_commune(
    commune: np.ndarray, idx: np.ndarray, covered: np.ndarray, artificialised: np.ndarray
) -> pd.DataFrame:
    """Covered and artificialised m² per commune (a pandas groupby)."""
    frame = pd.DataFrame(
        {"commune": commune[idx], "covered_m2": covered, "artificialised_m2": artificialised}
    )
    return frame.groupby("commune", sort=True)[["covered_m2", "artificialised_m2"]].sum()


def run_zan(parcels: gpd.GeoDataFrame, lc: gpd.GeoDataFrame) -> pd.DataFrame:
    """zan: the per-parcel table, then the per-commune sums."""
    from zan.measure.parcels import parcel_landcover

    table = parcel_landcover(parcels, lc)
    return table.groupby("commune", sort=True)[["covered_m2", "artificialised_m2"]].sum()


def run_strtree(parcels: gpd.GeoDataFrame, lc: gpd.GeoDataFrame) -> pd.DataFrame:
    """Baseline intersecting every polygon (covered and artificialised areas)."""
    pg = np.asarray(parcels.geometry.values)
    lg = np.asarray(lc.geometry.values)
    art = lc["artificialised"].to_numpy(dtype=bool)
    pi, li = shapely.STRtree(lg).query(pg, predicate="intersects")
    area = shapely.area(shapely.intersection(pg[pi], lg[li]))
    return per_commune(parcels["commune"].to_numpy(), pi, area, np.where(art[li], area, 0.0))


def run_strtree_art(parcels: gpd.GeoDataFrame, lc: gpd.GeoDataFrame) -> pd.DataFrame:
    """Baseline: STRtree of the artificialised polygons + intersection + area + groupby."""
    pg = np.asarray(parcels.geometry.values)
    lg = np.asarray(lc.geometry.values)[lc["artificialised"].to_numpy(dtype=bool)]
    pi, li = shapely.STRtree(lg).query(pg, predicate="intersects")
    area = shapely.area(shapely.intersection(pg[pi], lg[li]))
    per = per_commune(parcels["commune"].to_numpy(), pi, np.zeros(len(pi)), area)
    whole = pd.Series(shapely.area(pg)).groupby(parcels["commune"].to_numpy(), sort=True).sum()
    whole.index.name = "commune"
    per = per.reindex(whole.index, fill_value=0.0)  # communes without artificialised land too
    per["covered_m2"] = whole
    return per


def run_overlay(parcels: gpd.GeoDataFrame, lc: gpd.GeoDataFrame) -> pd.DataFrame:
    """geopandas.overlay with the artificialised polygons, then dissolve per commune."""
    art = lc[lc["artificialised"]][["geometry"]]
    pieces = gpd.overlay(
        parcels[["commune", "geometry"]].reset_index(drop=True),
        art,
        how="intersection",
        keep_geom_type=True,
    )
    pieces["artificialised_m2"] = pieces.area
    out = pieces.dissolve(by="commune", aggfunc={"artificialised_m2": "sum"})
    return pd.DataFrame({"covered_m2": np.nan, "artificialised_m2": out["artificialised_m2"]})


def alternate(
    variants: dict[str, Callable[[], pd.DataFrame]], rounds: int
) -> tuple[dict[str, list[float]], dict[str, pd.DataFrame]]:
    """Run the variants in turn, ``rounds`` times; wall seconds of each run, last results."""
    times: dict[str, list[float]] = {k: [] for k in variants}
    results: dict[str, pd.DataFrame] = {}
    for _ in range(rounds):
        for name, fn in variants.items():
            gc.collect()
            t = time.perf_counter()
            results[name] = fn()
            times[name].append(time.perf_counter() - t)
    return times, results


def _fmt(ts: list[float]) -> str:
    return f"min {min(ts):.2f} s, median {statistics.median(ts):.2f} s"


def _verdict(ratio: float, goal: float) -> str:
    return "met" if ratio >= goal else "not met"


def _load(paths: dict[str, Path]) -> tuple[gpd.GeoDataFrame, gpd.GeoDataFrame]:
    from zan.io.cache import read_cache

    return read_cache(paths["parcels"]), read_cache(paths["landcover"])


def bench_single(
    paths: dict[str, Path],
    rounds: int,
    overlay_parcels: int = 0,
    echo: Callable[[str], None] = print,
) -> list[dict]:
    """Alternated rounds of zan and the STRtree baselines; the table rows."""
    parcels, lc = _load(paths)
    n, n_lc = len(parcels), len(lc)
    cpu: dict[str, list[float]] = {}

    def timed(name: str, fn: Callable[..., pd.DataFrame]) -> Callable[[], pd.DataFrame]:
        # CPU seconds too: steadier than wall time when the machine is loaded
        def run() -> pd.DataFrame:
            c = time.process_time()
            out = fn(parcels, lc)
            cpu.setdefault(name, []).append(time.process_time() - c)
            return out

        return run

    variants = {
        "zan": timed("zan", run_zan),
        "strtree": timed("strtree", run_strtree),
        "strtree_art": timed("strtree_art", run_strtree_art),
    }
    times, res = alternate(variants, rounds)
    ref = res["strtree_art"]
    diff = {
        c: float((res["zan"][c] - ref[c].reindex(res["zan"].index)).abs().max())
        for c in ("covered_m2", "artificialised_m2")
    }
    diff_all = float(
        (
            res["zan"]["artificialised_m2"]
            - res["strtree"]["artificialised_m2"].reindex(res["zan"].index)
        )
        .abs()
        .max()
    )
    z = times["zan"]
    echo(
        f"{n:,} parcels x {n_lc:,} OCS GE polygons, {rounds} alternated rounds "
        f"(load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores)"
    )
    for name, label in (
        ("zan", "zan parcel_landcover + groupby"),
        ("strtree_art", "STRtree (artificialised) + intersection + area + groupby"),
        ("strtree", "same, intersecting every polygon"),
    ):
        ratio = min(times[name]) / min(z)
        med = statistics.median(times[name]) / statistics.median(z)
        echo(
            f"  {label}: {_fmt(times[name])}"
            + ("" if name == "zan" else f"; zan is {ratio:.2f}x faster (medians {med:.2f}x)")
        )
    echo(
        f"  CPU seconds (min): zan {min(cpu['zan']):.2f}, STRtree baseline "
        f"{min(cpu['strtree_art']):.2f} ({min(cpu['strtree_art']) / min(cpu['zan']):.2f}x), "
        f"every polygon {min(cpu['strtree']):.2f} ({min(cpu['strtree']) / min(cpu['zan']):.2f}x)"
    )
    echo(
        f"  max per-commune difference zan - baseline: covered {diff['covered_m2']:.3g} m2, "
        f"artificialised {diff['artificialised_m2']:.3g} m2 (every-polygon baseline: "
        f"{diff_all:.3g} m2), over {len(ref)} communes"
    )
    case = f"parcels {n // 1000:,}k x {n_lc // 1000:,}k OCS GE"
    out = []
    for name, label, goal in (
        ("strtree_art", "STRtree+intersection+groupby", 3.0),
        ("strtree", "same, every polygon intersected", None),
    ):
        ratio = min(times[name]) / min(z)
        out.append(
            {
                "case": case if goal else f"{case} (extra)",
                "zan_s": float(f"{min(z):.4g}"),  # significant digits: small runs stay exact
                "baseline_name": label,
                "baseline_s": float(f"{min(times[name]):.4g}"),
                "ratio": round(ratio, 2),
                "goal": f">= {goal:g}x" if goal else "",
                "verdict": _verdict(ratio, goal) if goal else "info",
            }
        )
    if overlay_parcels:
        m = min(overlay_parcels, n)
        sub = parcels.iloc[:m]  # the first rows of the Hilbert-sorted cache: a compact area
        t_ov, r_ov = alternate(
            {"zan": lambda: run_zan(sub, lc), "overlay": lambda: run_overlay(sub, lc)}, 1
        )
        scale = n / m
        ratio = t_ov["overlay"][0] * scale / min(z)
        d = float(
            (
                r_ov["zan"]["artificialised_m2"]
                - r_ov["overlay"]["artificialised_m2"].reindex(r_ov["zan"].index).fillna(0)
            )
            .abs()
            .max()
        )
        echo(
            f"  overlay + dissolve on {m:,} parcels: {t_ov['overlay'][0]:.2f} s (zan "
            f"{t_ov['zan'][0]:.2f} s), x{scale:.0f} extrapolated {t_ov['overlay'][0] * scale:.1f} s: "
            f"{ratio:.1f}x zan (max per-commune difference {d:.3g} m2)"
        )
        out.append(
            {
                "case": f"{case} (extra)",
                "zan_s": round(min(z), 3),
                "baseline_name": f"overlay+dissolve (extrapolated from {m // 1000}k)",
                "baseline_s": round(t_ov["overlay"][0] * scale, 3),
                "ratio": round(ratio, 2),
                "goal": "",
                "verdict": "info",
            }
        )
    return out


def bench_dask(
    paths: dict[str, Path], rounds: int, echo: Callable[[str], None] = print
) -> list[dict]:
    """The dask path on 1 and 2 local worker processes, against the single process.

    All read the same partitioned GeoParquet of parcels; the land cover is loaded
    once beforehand (by the client for the single process, by each worker in the
    warm-up run for dask). Every variant computes the per-commune sums
    (``commune_sums``, exact): the single process from its per-parcel table, the
    workers per partition (``gather=False``), added on the client.
    """
    from zan.io.cache import read_cache
    from zan.measure.distributed import (
        commune_sums,
        dask_client,
        parcel_landcover_distributed,
    )
    from zan.measure.parcels import parcel_landcover

    lc = read_cache(paths["landcover"])
    out_dir = Path(paths["parcels"]).parent / "results"
    cpu: dict[str, list[float]] = {}
    path: dict[str, list[float]] = {}

    def single() -> pd.DataFrame:
        c = time.process_time()
        out = commune_sums(parcel_landcover(read_cache(paths["parcels_parts"]), lc))
        cpu.setdefault("single", []).append(time.process_time() - c)
        return out

    def on(client, name: str, **kw) -> Callable[[], pd.DataFrame]:
        def run() -> pd.DataFrame:
            # CPU seconds of the workers and of the client (with the scheduler): a
            # measure of the work done, steadier than wall time on a loaded machine
            w0 = client.run(time.process_time)
            c = time.process_time()
            out = parcel_landcover_distributed(
                paths["parcels_parts"], paths["landcover"], scheduler=client, **kw
            )
            if kw.get("gather"):
                out = commune_sums(out)
            w1 = client.run(time.process_time)
            client_s = time.process_time() - c
            busy = [w1[k] - w0[k] for k in w1]
            cpu.setdefault(name, []).append(client_s + sum(busy))
            # on free cores the wall time is about the busiest worker's CPU plus the client's
            path.setdefault(name, []).append(client_s + max(busy))
            return out

        return run

    load = os.getloadavg()[0]
    # the clusters are started before the clock runs; an idle worker takes no CPU
    with dask_client(n_workers=1) as c1, dask_client(n_workers=2) as c2:
        on(c1, "")(), on(c2, "")()  # warm-up: imports, and the land cover read once by each worker
        cpu.clear()
        path.clear()
        variants = {
            "single": single,
            "dask1": on(c1, "dask1", gather=False),
            "dask2": on(c2, "dask2", gather=False),
            "dask2w": on(c2, "dask2w", out_dir=out_dir),
            "dask2g": on(c2, "dask2g", gather=True),
        }
        times, res = alternate(variants, rounds)
    same = {k: res[k].equals(res["single"]) for k in variants if k != "single"}
    n = len(read_cache(paths["parcels"], columns=["commune"]))
    parts = len(list(Path(paths["parcels_parts"]).glob("*.parquet")))
    after = os.getloadavg()[0]
    echo(
        f"dask, {parts} partitions of {n:,} parcels read by the tasks from GeoParquet "
        f"({rounds} alternated rounds; worker processes with 1 thread each)"
    )
    labels = {
        "single": "single process (the same files)",
        "dask1": "1 worker, per-commune sums",
        "dask2": "2 workers, per-commune sums",
        "dask2w": "2 workers writing the per-parcel table (Parquet, no geometry)",
        "dask2g": "2 workers, per-parcel table gathered",
    }
    for k, label in labels.items():
        echo(
            f"  {label}: {_fmt(times[k])}; CPU s (client + workers) min {min(cpu[k]):.2f}, "
            f"median {statistics.median(cpu[k]):.2f}"
            + ("" if k == "single" else f"; per-commune sums identical: {same[k]}")
        )
    r1 = min(times["dask1"]) / min(times["dask2"])
    r2 = min(times["single"]) / min(times["dask2"])
    echo(f"  2 workers: {r1:.2f}x 1 worker, {r2:.2f}x the single process (minima)")
    p1 = min(path["dask1"]) / min(path["dask2"])
    p2 = min(cpu["single"]) / min(path["dask2"])
    echo(
        f"  CPU on the critical path (client + busiest worker), min: 1 worker "
        f"{min(path['dask1']):.2f} s, 2 workers {min(path['dask2']):.2f} s: {p1:.2f}x 1 worker, "
        f"{p2:.2f}x the single process's CPU (the wall-time ratios on free cores)"
    )
    echo(
        f"  load average (1 min) before / after: {load:.1f} / {after:.1f} on {os.cpu_count()} cores"
    )
    case = f"parcels {n // 1000:,}k dask 2 workers"
    load_note = f" (load {load:.1f}/{after:.1f})"
    rows = [
        {
            "case": case,
            "zan_s": round(min(times["dask2"]), 3),
            "baseline_name": "dask 1 worker" + load_note,
            "baseline_s": round(min(times["dask1"]), 3),
            "ratio": round(r1, 2),
            "goal": ">= 1.6x",
            "verdict": _verdict(r1, 1.6),
        },
        {
            "case": case,
            "zan_s": round(min(times["dask2"]), 3),
            "baseline_name": "zan single process" + load_note,
            "baseline_s": round(min(times["single"]), 3),
            "ratio": round(r2, 2),
            "goal": "> 1x",
            "verdict": "met" if r2 > 1 and all(same.values()) else "not met",
        },
        {
            "case": f"{case} (extra)",
            "zan_s": round(min(cpu["dask2"]), 3),
            "baseline_name": "CPU s: single process vs 2 workers (all processes)",
            "baseline_s": round(min(cpu["single"]), 3),
            "ratio": round(min(cpu["single"]) / min(cpu["dask2"]), 2),
            "goal": "",
            "verdict": "info",
        },
        {
            "case": f"{case} (extra)",
            "zan_s": round(min(path["dask2"]), 3),
            "baseline_name": "CPU s on the critical path: 1 worker vs 2 workers",
            "baseline_s": round(min(path["dask1"]), 3),
            "ratio": round(p1, 2),
            "goal": "",
            "verdict": "info",
        },
        {
            "case": f"{case} (extra)",
            "zan_s": round(min(path["dask2"]), 3),
            "baseline_name": "CPU s on the critical path: single process vs 2 workers",
            "baseline_s": round(min(cpu["single"]), 3),
            "ratio": round(p2, 2),
            "goal": "",
            "verdict": "info",
        },
    ]
    for k, label in (("dask2w", "writing parts"), ("dask2g", "gathering the table")):
        rows.append(
            {
                "case": f"{case} (extra)",
                "zan_s": round(min(times[k]), 3),
                "baseline_name": f"2 workers {label} vs single process",
                "baseline_s": round(min(times["single"]), 3),
                "ratio": round(min(times["single"]) / min(times[k]), 2),
                "goal": "",
                "verdict": "info",
            }
        )
    return rows


def bench_rows(
    quick: bool = False, *, dask: bool | None = None, echo: Callable[[str], None] = print
) -> list[dict]:
    """Table rows for ``scripts/bench_all.py``: case, zan_s, baseline_name, baseline_s, ratio, goal, verdict.

    ``quick`` runs 100,000 parcels (3 rounds, no dask); otherwise 1,000,000
    parcels with the dask rows.
    """
    n = 100_000 if quick else 1_000_000
    dask = (not quick) if dask is None else dask
    with tempfile.TemporaryDirectory() as tmp:
        paths = make_data(n, Path(tmp))
        out = bench_single(paths, 3, echo=echo)
        if dask:
            out += bench_dask(paths, 3, echo=echo)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parcels", type=int, default=1_000_000)
    ap.add_argument("--rounds", type=int, default=3, help="alternated rounds (min and median)")
    ap.add_argument("--dask", action="store_true", help="also time the dask path (1 and 2 workers)")
    ap.add_argument(
        "--overlay",
        type=int,
        default=0,
        metavar="N",
        help="also time overlay+dissolve on the first N parcels (extrapolated)",
    )
    ap.add_argument("--partitions", type=int, default=8, help="partitions of the parcels for dask")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        paths = make_data(args.parcels, Path(tmp), partitions=args.partitions)
        print(f"synthetic data made in {time.perf_counter() - t:.1f} s")
        table = bench_single(paths, args.rounds, overlay_parcels=args.overlay)
        if args.dask:
            table += bench_dask(paths, args.rounds)
    print(pd.DataFrame(table).to_string(index=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
