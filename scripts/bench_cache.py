"""Benchmark: reloading a large layer from the GeoParquet cache versus the GeoPackage.

Writes synthetic parcels (``--rows``, default 1,000,000, in random order as in a
real export) to a GeoPackage and to the zan cache (:func:`zan.io.cache.write_cache`:
Hilbert-sorted, bbox covering column, zstd), then times, in the same process: a
full read of each (named baseline: ``geopandas.read_file`` of the GeoPackage
with its default options; the faster ``use_arrow=True`` read is printed too),
and a read of a 5 km × 5 km box from each (GeoPackage with its spatial index,
cache with its row-group statistics). Wall and CPU times are printed (the CPU
time is steadier on a shared machine).

Usage::

    python scripts/bench_cache.py [--rows 1000000] [--repeat 2]
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from zan.io.cache import read_cache, write_cache  # noqa: E402


def _timed(fn, repeat: int = 1):
    """Best (wall, CPU) seconds of ``fn()`` over ``repeat`` runs, and its last result."""
    best = (float("inf"), float("inf"))
    out = None
    for _ in range(repeat):
        out = None
        gc.collect()
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        best = (min(best[0], time.perf_counter() - t), min(best[1], time.process_time() - c))
    return best, out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--repeat", type=int, default=2, help="runs of each full read (best kept)")
    args = ap.parse_args(argv)
    rng = np.random.default_rng(1)
    n = args.rows
    side = int(np.ceil(np.sqrt(n)))
    ix, iy = np.divmod(rng.permutation(n), side)  # rows in random order, as in a real export
    x0 = 700_000 + ix * 40.0
    y0 = 6_600_000 + iy * 25.0
    gdf = gpd.GeoDataFrame(
        {"commune": np.char.add("59", np.char.zfill((ix // 100).astype(str), 3)),
         "contenance": rng.integers(100, 5000, n)},
        geometry=shapely.box(x0, y0, x0 + 40, y0 + 25),
        index=pd.Index(np.char.zfill(np.arange(n).astype(str), 14), name="id"),
        crs="EPSG:2154",
    )
    with tempfile.TemporaryDirectory() as tmp:
        gpkg = Path(tmp) / "parcels.gpkg"
        cache = Path(tmp) / "parcels.parquet"
        t = time.perf_counter()
        pyogrio.write_dataframe(gdf.reset_index(), gpkg, layer="parcels")
        t_wg = time.perf_counter() - t
        t = time.perf_counter()
        write_cache(gdf, cache)
        t_wc = time.perf_counter() - t
        print(f"{n:,} parcels: GeoPackage {gpkg.stat().st_size / 1e6:.0f} MB written in {t_wg:.1f} s; "
              f"cache {cache.stat().st_size / 1e6:.0f} MB written in {t_wc:.1f} s")
        codes = sorted(gdf["commune"].unique())[:3]
        del gdf  # nothing large left in memory while reading (as in a fresh session)
        gc.collect()
        (t_rg, c_rg), _ = _timed(lambda: gpd.read_file(gpkg, engine="pyogrio"), args.repeat)
        (t_rc, c_rc), full_c = _timed(lambda: read_cache(cache), args.repeat)
        assert len(full_c) == n and full_c.index.name == "id"
        del full_c
        print(f"full read: GeoPackage (geopandas.read_file, pyogrio) {t_rg:.2f} s (CPU {c_rg:.2f} s), "
              f"cache {t_rc:.2f} s (CPU {c_rc:.2f} s): ratio {t_rg / t_rc:.1f}x (CPU {c_rg / c_rc:.1f}x)")
        (t_ra, c_ra), _ = _timed(
            lambda: gpd.read_file(gpkg, engine="pyogrio", use_arrow=True), args.repeat
        )
        print(f"  for reference, GeoPackage read with use_arrow=True: {t_ra:.2f} s (CPU {c_ra:.2f} s): "
              f"ratio {t_ra / t_rc:.1f}x")
        box = (700_000, 6_600_000, 705_000, 6_605_000)
        t = time.perf_counter()
        sub_g = gpd.read_file(gpkg, engine="pyogrio", bbox=box)
        t_bg = time.perf_counter() - t
        t = time.perf_counter()
        sub_c = read_cache(cache, bbox=box)
        t_bc = time.perf_counter() - t
        print(f"5 km box ({len(sub_c):,} rows; GeoPackage {len(sub_g):,}): GeoPackage {t_bg:.3f} s, "
              f"cache {t_bc:.3f} s: ratio {t_bg / t_bc:.1f}x; "
              f"the box read is {t_rc / t_bc:.0f}x faster than a full cache read")
        t = time.perf_counter()
        sub_k = read_cache(cache, communes=codes)
        print(f"3 communes ({len(sub_k):,} rows) read from the cache in {time.perf_counter() - t:.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
