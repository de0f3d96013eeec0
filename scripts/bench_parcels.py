"""Benchmark: per-commune artificialised area of parcels × OCS GE.

Compares, in one run on the same synthetic data (a grid of 40 m × 25 m parcels
in 100 Voronoi communes, and an OCS GE of Voronoi blocks of about 2.5 ha, 30 %
of them artificialised):

* zan: :func:`zan.measure.parcels.parcel_landcover` (per parcel: covered,
  artificialised and ENAF areas, from the polygon edges, with exact GEOS
  intersections for the parcels that touch a land-cover edge without crossing
  it), then a groupby per commune;
* baseline: ``geopandas.overlay(parcels, artificialised polygons, how="intersection")``
  followed by ``dissolve(by="commune", aggfunc="sum")`` on the pieces' areas: the
  straightforward geopandas way to get the same per-commune figure (it computes
  only the artificialised side; zan also computes the covered and ENAF areas).

Each variant runs in a fresh process, which reports its wall time, its CPU time
and its peak memory (resident memory sampled every 5 ms during the
measurement, above the level after loading the data). The overlay baseline is
slow: it runs on a subset (``--baseline-parcels``, the first rows of a
Hilbert-sorted layer, i.e. a compact area) and is extrapolated linearly to the
full count; zan runs on both the subset (for a like-for-like ratio and the
per-commune totals check) and the full set. With ``--dask`` the dask path is
also timed on 1 and on 2 local worker processes (1 thread each), and on one
worker process with 2 threads.

Usage::

    python scripts/bench_parcels.py [--parcels 1000000] [--baseline-parcels 100000] [--dask]
                                    [--partitions 8]
"""

from __future__ import annotations

import argparse
import contextlib
import multiprocessing as mp
import resource
import sys
import tempfile
import threading
import time
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
    cpts = np.column_stack([rng.uniform(extent.bounds[0], extent.bounds[2], 100),
                            rng.uniform(extent.bounds[1], extent.bounds[3], 100)])
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(cpts), extend_to=extent))
    cells = shapely.intersection(cells, extent)
    centres = shapely.points(x0 + w / 2, y0 + h / 2)
    pi, ci = shapely.STRtree(cells).query(centres, predicate="intersects")
    first = np.unique(pi, return_index=True)[1]
    commune = np.empty(n_parcels, dtype=object)
    commune[pi[first]] = np.char.add("59", np.char.zfill(ci[first].astype(str), 3))
    ids = np.char.add(commune.astype(str), np.char.add("000AB", np.char.zfill(np.arange(n_parcels).astype(str), 6)))
    parcels = gpd.GeoDataFrame({"commune": commune.astype(str)}, geometry=parcels_geom,
                               index=pd.Index(ids, name="id"), crs="EPSG:2154")
    # OCS GE: Voronoi blocks of about 2.5 ha, 30 % artificialised
    n_lc = max(int(extent.area / 25_000), 10)
    lpts = np.column_stack([rng.uniform(extent.bounds[0], extent.bounds[2], n_lc),
                            rng.uniform(extent.bounds[1], extent.bounds[3], n_lc)])
    blocks = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(lpts), extend_to=extent))
    blocks = shapely.intersection(blocks, extent)
    lc = gpd.GeoDataFrame({"artificialised": rng.uniform(size=len(blocks)) < 0.3},
                          geometry=blocks, crs="EPSG:2154")
    paths = {"parcels": out / "parcels.parquet", "landcover": out / "landcover.parquet",
             "parcels_parts": out / "parcels_parts"}
    write_cache(parcels, paths["parcels"])
    write_cache(lc, paths["landcover"])
    write_cache(parcels, paths["parcels_parts"], partitions=partitions)
    return paths


def _rss() -> int:
    """Resident memory of this process, in bytes."""
    try:
        import psutil

        return int(psutil.Process().memory_info().rss)
    except ImportError:  # Linux without psutil
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * resource.getpagesize()


class PeakMemory:
    """Peak resident memory above the starting level during a block (sampled every 5 ms)."""

    def __enter__(self) -> PeakMemory:
        self.base = self.peak = _rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.wait(0.005):
            self.peak = max(self.peak, _rss())

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, _rss())

    @property
    def mb(self) -> float:
        return (self.peak - self.base) / 1e6


def _run(kind: str, paths: dict[str, Path], n: int | None, queue: mp.Queue) -> None:
    parcels = gpd.read_parquet(paths["parcels"])
    if n is not None:
        parcels = parcels.iloc[:n]
    lc = gpd.read_parquet(paths["landcover"])
    # imports outside the timed block, for every method
    from zan.measure.distributed import parcel_landcover_distributed
    from zan.measure.parcels import parcel_landcover

    stack = contextlib.ExitStack()
    client, start = None, 0.0
    if kind.startswith("dask"):
        # the local cluster is started before the clock runs (its start-up is reported apart)
        from zan.measure.distributed import dask_client

        t = time.perf_counter()
        workers, threads = (int(v) for v in kind[4:].split("x"))
        client = stack.enter_context(dask_client(n_workers=workers, threads_per_worker=threads))
        start = time.perf_counter() - t
    mem = PeakMemory().__enter__()
    t = time.perf_counter()
    cpu = time.process_time()
    if kind == "zan":
        table = parcel_landcover(parcels, lc)
        per = table.groupby("commune")["artificialised_m2"].sum()
    elif kind == "overlay":
        art = lc[lc["artificialised"]][["geometry"]]
        pieces = gpd.overlay(parcels[["commune", "geometry"]].reset_index(drop=True), art,
                             how="intersection", keep_geom_type=True)
        pieces["artificialised_m2"] = pieces.area
        per = pieces.dissolve(by="commune", aggfunc={"artificialised_m2": "sum"})["artificialised_m2"]
    elif kind.startswith("dask"):
        # best of two runs on the same cluster: the machine may be shared
        best = float("inf")
        for _ in range(2):
            t1 = time.perf_counter()
            table = parcel_landcover_distributed(paths["parcels_parts"], paths["landcover"],
                                                 scheduler=client)
            per = table.groupby("commune")["artificialised_m2"].sum()
            best = min(best, time.perf_counter() - t1)
    else:
        raise ValueError(kind)
    elapsed = time.perf_counter() - t if client is None else best
    cpu = time.process_time() - cpu
    mem.__exit__(None, None, None)
    stack.close()
    queue.put((elapsed, cpu if client is None else start, mem.mb, per.astype(float)))


def measure(kind: str, paths: dict[str, Path], n: int | None = None):
    ctx = mp.get_context("spawn")
    q = ctx.Queue()
    p = ctx.Process(target=_run, args=(kind, paths, n, q))
    p.start()
    result = q.get()
    p.join()
    return result


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--parcels", type=int, default=1_000_000)
    ap.add_argument("--baseline-parcels", type=int, default=100_000)
    ap.add_argument("--dask", action="store_true", help="also time the dask path (1 and 2 workers)")
    ap.add_argument("--partitions", type=int, default=8, help="partitions of the parcels for dask")
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        paths = make_data(args.parcels, Path(tmp), partitions=args.partitions)
        print(f"synthetic data: {args.parcels:,} parcels, "
              f"{len(gpd.read_parquet(paths['landcover'])):,} OCS GE polygons "
              f"({time.perf_counter() - t:.1f} s to make)")
        nb = min(args.baseline_parcels, args.parcels)
        t_zs, c_zs, m_zs, per_zs = measure("zan", paths, nb)
        t_ov, c_ov, m_ov, per_ov = measure("overlay", paths, nb)
        diff = (per_zs - per_ov.reindex(per_zs.index).fillna(0.0)).abs().max()
        print(f"subset {nb:,} parcels: zan {t_zs:.2f} s (CPU {c_zs:.2f} s, peak +{m_zs:.0f} MB), "
              f"overlay+dissolve {t_ov:.2f} s (CPU {c_ov:.2f} s, peak +{m_ov:.0f} MB): "
              f"ratio {t_ov / t_zs:.1f}x (CPU {c_ov / c_zs:.1f}x); "
              f"max per-commune difference {diff:.6f} m2 over {len(per_zs)} communes")
        if nb < args.parcels:
            t_zf, c_zf, m_zf, per_zf = measure("zan", paths, None)
            scale = args.parcels / nb
            print(f"full {args.parcels:,} parcels: zan {t_zf:.2f} s (CPU {c_zf:.2f} s, peak "
                  f"+{m_zf:.0f} MB); overlay+dissolve extrapolated linearly x{scale:.0f} from the "
                  f"subset: {t_ov * scale:.1f} s (CPU {c_ov * scale:.1f} s); ratio "
                  f"{t_ov * scale / t_zf:.1f}x (CPU {c_ov * scale / c_zf:.1f}x)")
        else:
            t_zf, c_zf, per_zf = t_zs, c_zs, per_zs
        if args.dask:
            t_d1, s_d1, m_d1, per_d1 = measure("dask1x1", paths)
            t_d2, s_d2, m_d2, per_d2 = measure("dask2x1", paths)
            t_d3, s_d3, m_d3, per_d3 = measure("dask1x2", paths)
            same = per_d1.equals(per_d2) and per_d1.equals(per_d3) and per_d1.equals(per_zf)
            print(f"dask (LocalCluster of worker processes, 1 thread each; {args.partitions} "
                  f"partitions of {args.parcels:,} parcels read from GeoParquet by the tasks; best "
                  f"of 2 runs): 1 worker {t_d1:.2f} s, 2 workers "
                  f"{t_d2:.2f} s: speed-up {t_d1 / t_d2:.2f}x (single process, data already in "
                  f"memory: {t_zf:.2f} s; "
                  f"cluster start-up, not counted: {s_d1:.1f} s and {s_d2:.1f} s); one worker "
                  f"process with 2 threads: {t_d3:.2f} s, speed-up {t_d1 / t_d3:.2f}x; per-commune "
                  f"results identical to the single process: {same}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
