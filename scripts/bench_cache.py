"""Benchmark: reloading a large layer from the GeoParquet cache versus the GeoPackage.

Writes synthetic parcels (``--rows``, default 1,000,000) to a GeoPackage and to
the zan cache (:func:`zan.io.cache.write_cache`: Hilbert-sorted, bbox covering
column), then times, in the same process: a full read of each, and a read of a
5 km × 5 km box from each (GeoPackage with its spatial index, cache with its
row-group statistics).

Usage::

    python scripts/bench_cache.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
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
        t = time.perf_counter()
        full_g = gpd.read_file(gpkg, engine="pyogrio")
        t_rg = time.perf_counter() - t
        t = time.perf_counter()
        full_c = read_cache(cache)
        t_rc = time.perf_counter() - t
        assert len(full_g) == len(full_c) == n
        print(f"full read: GeoPackage {t_rg:.2f} s, cache {t_rc:.2f} s: ratio {t_rg / t_rc:.1f}x")
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
        codes = sorted(gdf["commune"].unique())[:3]
        t = time.perf_counter()
        sub_k = read_cache(cache, communes=codes)
        print(f"3 communes ({len(sub_k):,} rows) read from the cache in {time.perf_counter() - t:.3f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
