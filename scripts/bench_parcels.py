"""Benchmark: per-commune artificialised area of parcels × OCS GE.

Compares, in one run on the same synthetic data:

* zan: :func:`zan.measure.parcels.parcel_landcover` (containment join + exact
  intersection of the boundary pairs only, numpy aggregation), then a groupby
  per commune;
* baseline: ``geopandas.overlay(parcels, artificialised polygons, how="intersection")``
  followed by ``dissolve(by="commune", aggfunc="sum")``.

Each variant runs in a fresh process, which reports its wall time and its peak
memory (maximum resident set size above the one after loading the data). The
overlay baseline is slow: it runs on a subset (``--baseline-parcels``, the first
rows of a Hilbert-sorted layer, i.e. a compact area) and is extrapolated
linearly to the full count; zan runs on both the subset (for a like-for-like
ratio and the per-commune totals check) and the full set. With ``--dask`` the
dask path is also timed on 1 and on 2 local workers.

Usage::

    python scripts/bench_parcels.py [--parcels 1000000] [--baseline-parcels 100000] [--dask]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import resource
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from zan.io.cache import write_cache  # noqa: E402


def make_data(n_parcels: int, out: Path, seed: int = 1) -> dict[str, Path]:
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
    write_cache(parcels, paths["parcels_parts"], partitions=8)
    return paths


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _run(kind: str, paths: dict[str, Path], n: int | None, queue: mp.Queue) -> None:
    parcels = gpd.read_parquet(paths["parcels"])
    if n is not None:
        parcels = parcels.iloc[:n]
    lc = gpd.read_parquet(paths["landcover"])
    base = _peak_mb()
    t = time.perf_counter()
    if kind == "zan":
        from zan.measure.parcels import parcel_landcover

        table = parcel_landcover(parcels, lc)
        per = table.groupby("commune")["artificialised_m2"].sum()
    elif kind == "overlay":
        art = lc[lc["artificialised"]][["geometry"]]
        pieces = gpd.overlay(parcels[["commune", "geometry"]].reset_index(drop=True), art,
                             how="intersection", keep_geom_type=True)
        pieces["artificialised_m2"] = pieces.area
        per = pieces.dissolve(by="commune", aggfunc={"artificialised_m2": "sum"})["artificialised_m2"]
    elif kind.startswith("dask"):
        from zan.measure.distributed import parcel_landcover_distributed

        workers = int(kind[-1])
        table = parcel_landcover_distributed(paths["parcels_parts"], paths["landcover"],
                                             n_workers=workers)
        per = table.groupby("commune")["artificialised_m2"].sum()
    else:
        raise ValueError(kind)
    elapsed = time.perf_counter() - t
    queue.put((elapsed, _peak_mb() - base, per.astype(float)))


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
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        paths = make_data(args.parcels, Path(tmp))
        print(f"synthetic data: {args.parcels:,} parcels, "
              f"{len(gpd.read_parquet(paths['landcover'])):,} OCS GE polygons "
              f"({time.perf_counter() - t:.1f} s to make)")
        nb = min(args.baseline_parcels, args.parcels)
        t_zs, m_zs, per_zs = measure("zan", paths, nb)
        t_ov, m_ov, per_ov = measure("overlay", paths, nb)
        diff = (per_zs - per_ov.reindex(per_zs.index).fillna(0.0)).abs().max()
        print(f"subset {nb:,} parcels: zan {t_zs:.2f} s (peak +{m_zs:.0f} MB), "
              f"overlay+dissolve {t_ov:.2f} s (peak +{m_ov:.0f} MB): ratio {t_ov / t_zs:.1f}x; "
              f"max per-commune difference {diff:.6f} m2 over {len(per_zs)} communes")
        t_zf, m_zf, _ = measure("zan", paths, None)
        scale = args.parcels / nb
        t_ov_full = t_ov * scale
        print(f"full {args.parcels:,} parcels: zan {t_zf:.2f} s (peak +{m_zf:.0f} MB); overlay "
              f"extrapolated linearly x{scale:.0f} from the subset: {t_ov_full:.0f} s; "
              f"ratio {t_ov_full / t_zf:.1f}x")
        if args.dask:
            t_d1, m_d1, per_d1 = measure("dask1", paths)
            t_d2, m_d2, per_d2 = measure("dask2", paths)
            same = per_d1.equals(per_d2)
            print(f"dask (local cluster, 8 partitions): 1 worker {t_d1:.2f} s, 2 workers "
                  f"{t_d2:.2f} s: speed-up {t_d1 / t_d2:.2f}x; results identical: {same}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
