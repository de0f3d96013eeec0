"""Benchmark: per-commune class areas of a classified raster.

Compares, in one run on the same synthetic data (a 10,000 × 10,000 raster of
10 m pixels and 3,800 Voronoi communes):

* zan: :func:`zan.measure.raster.raster_class_areas` (territories rasterized
  once, strip by strip, one integer bincount over commune × class);
* baseline: a loop over the communes calling ``rasterio.mask.mask`` (crop to
  the commune, pixel-centre mask) and counting the classes of each.

The baseline may run on the first ``--baseline-communes`` communes and be
extrapolated linearly to all of them (said in the output). The areas of the
communes measured by both are compared.

Usage::

    python scripts/bench_raster.py [--size 10000] [--communes 3800] [--baseline-communes 3800]
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
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from zan.measure.raster import raster_class_areas  # noqa: E402


def make_data(size: int, n_communes: int, out: Path, seed: int = 1) -> tuple[Path, gpd.GeoDataFrame]:
    import rasterio
    from rasterio.transform import from_origin

    rng = np.random.default_rng(seed)
    x0, y1, px = 600_000.0, 6_700_000.0, 10.0
    coarse = rng.integers(0, 8, size=(size // 50 + 1, size // 50 + 1)).astype(np.uint8)
    data = np.kron(coarse, np.ones((50, 50), dtype=np.uint8))[:size, :size]
    noise = rng.uniform(size=(size, size)) < 0.05
    data = np.where(noise, np.uint8(9), data).astype(np.uint8) + 1  # classes 1..10
    path = out / "classes.tif"
    with rasterio.open(path, "w", driver="GTiff", width=size, height=size, count=1, dtype="uint8",
                       crs="EPSG:2154", transform=from_origin(x0, y1, px, px), tiled=True,
                       blockxsize=512, blockysize=512) as ds:
        ds.write(data, 1)
    extent = shapely.box(x0, y1 - size * px, x0 + size * px, y1)
    pts = np.column_stack([rng.uniform(x0, x0 + size * px, n_communes),
                           rng.uniform(y1 - size * px, y1, n_communes)])
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=extent))
    cells = shapely.intersection(cells, extent)
    codes = pd.Index([f"{k:05d}" for k in range(len(cells))], name="code")
    zones = gpd.GeoDataFrame(geometry=cells, index=codes, crs="EPSG:2154")
    return path, zones


def baseline(path: Path, zones: gpd.GeoDataFrame) -> pd.DataFrame:
    import rasterio
    import rasterio.mask

    rows = {}
    with rasterio.open(path) as src:
        pixel = abs(src.transform.a * src.transform.e)
        for code, geom in zip(zones.index, zones.geometry, strict=True):
            out, _ = rasterio.mask.mask(src, [geom], crop=True, filled=False)
            vals = out[0].compressed()
            rows[code] = np.bincount(vals, minlength=256)[:256] * pixel / 10_000
    frame = pd.DataFrame.from_dict(rows, orient="index")
    return frame.loc[:, frame.sum() > 0]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=10_000)
    ap.add_argument("--communes", type=int, default=3_800)
    ap.add_argument("--baseline-communes", type=int, default=3_800)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path, zones = make_data(args.size, args.communes, Path(tmp))
        print(f"synthetic raster {args.size:,} x {args.size:,} (10 m), {len(zones):,} communes")
        t = time.perf_counter()
        stats = raster_class_areas(path, zones, level=None)
        t_zan = time.perf_counter() - t
        nb = min(args.baseline_communes, len(zones))
        t = time.perf_counter()
        base = baseline(path, zones.iloc[:nb])
        t_base = time.perf_counter() - t
        scale = len(zones) / nb
        ours = stats.by_class.loc[base.index, base.columns]
        diff = float((ours - base).abs().to_numpy().max())
        same_px = int(((ours - base).abs() > 1e-9).to_numpy().sum())
        extra = f" (run on {nb:,} communes, extrapolated x{scale:.1f})" if nb < len(zones) else ""
        print(f"zan raster_class_areas: {t_zan:.2f} s; rasterio.mask loop: {t_base * scale:.1f} s"
              f"{extra}; ratio {t_base * scale / t_zan:.1f}x")
        print(f"max per-commune per-class difference: {diff:.6f} ha; cells differing: {same_px}")
        total = stats.table["raster_ha"].sum()
        print(f"area conservation: sum over communes {total:,.4f} ha; raster {args.size**2 * 100 / 1e4:,.4f} ha")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
