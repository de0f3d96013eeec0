"""Benchmark: per-commune class areas of a classified raster.

Compares, in one run on the same synthetic data (a 10,000 × 10,000 uint8 raster
of 10 m pixels and 3,800 Voronoi communes):

* zan: :func:`zan.measure.raster.raster_class_areas` (territories turned into
  pixel spans once, by pixel centre as GDAL does; blocks of rows counted with
  one integer bincount over commune × class);
* the competent baseline: **rasterize once + bincount**: every commune burnt once
  into a label raster with ``rasterio.features.rasterize`` (pixel-centre rule, the
  default), the classes read whole, then ``numpy.bincount(label × nclass + class)``
  by blocks of rows (what a user fluent in rasterio and numpy writes); timed in
  ``--rounds`` rounds alternated with zan (min and median printed), goal: zan
  ≥ 3× faster;
* baseline 1: a loop over the communes calling ``rasterio.mask.mask`` (crop to
  the commune, pixel-centre mask) and counting the classes of each;
* baseline 2: ``rasterstats.zonal_stats(..., categorical=True)`` (needs the
  ``rasterstats`` package; skipped with ``--rasterstats-communes 0``).

A baseline may run on the first communes only and be extrapolated linearly to
all of them (said in the output). The areas of the communes measured by both
are compared. Wall and CPU times are printed (CPU is steadier on a shared
machine). ``--classes`` changes the number of pixel classes (zan counts two
pixels at once when the values are under 16, four interleaved counts under 64).

The strawmen (mask loop, rasterstats) are printed for reference only: the ratio that
counts is against rasterize-once + bincount. ``bench_rows(quick)`` gives the summary row of
``scripts/bench_all.py``.

Usage::

    python scripts/bench_raster.py [--size 10000] [--communes 3800] [--classes 10] [--rounds 3]
                                   [--baseline-communes 400] [--rasterstats-communes 0] [--quick]
"""

from __future__ import annotations

import argparse
import importlib.util
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


def make_data(
    size: int, n_communes: int, out: Path, seed: int = 1, classes: int = 10
) -> tuple[Path, gpd.GeoDataFrame]:
    """A ``size`` × ``size`` raster of 10 m pixels (classes 1..``classes``: 50 px blocks and 5 %
    of scattered pixels of the last class) and ``n_communes`` Voronoi communes."""
    import rasterio
    from rasterio.transform import from_origin

    rng = np.random.default_rng(seed)
    x0, y1, px = 600_000.0, 6_700_000.0, 10.0
    coarse = rng.integers(0, classes - 2, size=(size // 50 + 1, size // 50 + 1)).astype(np.uint8)
    data = np.kron(coarse, np.ones((50, 50), dtype=np.uint8))[:size, :size]
    noise = rng.uniform(size=(size, size)) < 0.05
    data = np.where(noise, np.uint8(classes - 1), data).astype(np.uint8) + 1
    path = out / "classes.tif"
    with rasterio.open(
        path,
        "w",
        driver="GTiff",
        width=size,
        height=size,
        count=1,
        dtype="uint8",
        crs="EPSG:2154",
        transform=from_origin(x0, y1, px, px),
        tiled=True,
        blockxsize=512,
        blockysize=512,
    ) as ds:
        ds.write(data, 1)
    extent = shapely.box(x0, y1 - size * px, x0 + size * px, y1)
    pts = np.column_stack(
        [rng.uniform(x0, x0 + size * px, n_communes), rng.uniform(y1 - size * px, y1, n_communes)]
    )
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


def baseline_bincount(path: Path, zones: gpd.GeoDataFrame) -> pd.DataFrame:
    """Rasterize every commune once into a label raster, then one bincount per block of rows."""
    import rasterio
    from rasterio.features import rasterize

    with rasterio.open(path) as src:
        data = src.read(1)
        transform = src.transform
        pixel_ha = abs(transform.a * transform.e) / 10_000
    n = len(zones)
    dtype = "uint16" if n < 65_535 else "int32"
    labels = rasterize(
        zip(zones.geometry, range(1, n + 1), strict=True),
        out_shape=data.shape,
        transform=transform,
        fill=0,
        dtype=dtype,
    )
    nclass = int(data.max()) + 1
    counts = np.zeros((n + 1) * nclass, dtype=np.int64)
    for r0 in range(0, data.shape[0], 1024):
        key = labels[r0 : r0 + 1024].astype(np.int64) * nclass + data[r0 : r0 + 1024]
        counts += np.bincount(key.ravel(), minlength=counts.size)
    table = counts.reshape(n + 1, nclass)[1:] * pixel_ha
    frame = pd.DataFrame(table, index=zones.index)
    return frame.loc[:, frame.sum() > 0]


def baseline_rasterstats(path: Path, zones: gpd.GeoDataFrame) -> pd.DataFrame:
    """rasterstats' categorical zonal statistics (pixel-centre rule, as zan)."""
    from rasterstats import zonal_stats

    pixel = 100.0 / 10_000  # 10 m pixels, in ha
    # no nodata in the raster: a value that cannot occur, said explicitly
    stats = zonal_stats(list(zones.geometry), str(path), categorical=True, nodata=-999)
    frame = pd.DataFrame(stats, index=zones.index).fillna(0.0) * pixel
    frame.columns = frame.columns.astype("int64")
    return frame.sort_index(axis=1)


def _timed(fn):
    """(wall, CPU) seconds of ``fn()``, and its result."""
    t, c = time.perf_counter(), time.process_time()
    out = fn()
    return time.perf_counter() - t, time.process_time() - c, out


def _median(xs: list[float]) -> float:
    return float(np.median(xs))


def measure(
    size: int = 10_000,
    communes: int = 3_800,
    classes: int = 10,
    rounds: int = 3,
    baseline_communes: int = 3_800,
    rasterstats_communes: int = 1_000,
    echo: bool = True,
) -> dict:
    """Timings of zan and of the baselines (lists over alternated rounds)."""
    say = print if echo else (lambda *a, **k: None)
    r: dict = {"zan": [], "bincount": [], "zan_cpu": [], "bincount_cpu": []}
    with tempfile.TemporaryDirectory() as tmp:
        path, zones = make_data(size, communes, Path(tmp), classes=classes)
        say(
            f"synthetic raster {size:,} x {size:,} (10 m, uint8, {classes} classes), "
            f"{len(zones):,} communes"
        )
        raster_class_areas(path, zones.iloc[:10], level=None)  # imports, GDAL warm-up
        baseline_bincount(path, zones.iloc[:10])
        for _ in range(rounds):  # alternated: the machine may be shared
            t, c, stats = _timed(lambda: raster_class_areas(path, zones, level=None))
            r["zan"].append(t)
            r["zan_cpu"].append(c)
            t, c, bc = _timed(lambda: baseline_bincount(path, zones))
            r["bincount"].append(t)
            r["bincount_cpu"].append(c)
        ours = stats.by_class.reindex(index=bc.index, columns=bc.columns, fill_value=0.0)
        r["bincount_diff"] = float((ours - bc).abs().to_numpy().max())
        total = stats.table["raster_ha"].sum()
        say(
            f"zan raster_class_areas: min {min(r['zan']):.2f} / median {_median(r['zan']):.2f} s "
            f"(CPU median {_median(r['zan_cpu']):.2f} s)"
        )
        say(
            f"baseline rasterize once + bincount: min {min(r['bincount']):.2f} / median "
            f"{_median(r['bincount']):.2f} s (CPU median {_median(r['bincount_cpu']):.2f} s); "
            f"ratio of medians {_median(r['bincount']) / _median(r['zan']):.2f}x (goal >= 3x); "
            f"max per-commune per-class difference {r['bincount_diff']:.6f} ha"
        )
        say(
            f"area conservation: sum over communes {total:,.4f} ha; raster "
            f"{size**2 * 100 / 1e4:,.4f} ha"
        )
        runs = [("rasterio.mask loop", baseline, baseline_communes)] if baseline_communes else []
        if rasterstats_communes and importlib.util.find_spec("rasterstats") is None:
            say("rasterstats not installed (pip install 'zan[bench]'): its strawman row is left out")
        elif rasterstats_communes:
            runs.append(
                (
                    "rasterstats zonal_stats(categorical=True)",
                    baseline_rasterstats,
                    rasterstats_communes,
                )
            )
        t_zan = _median(r["zan"])
        for name, fn, nb in runs:
            nb = min(nb, len(zones))
            t_b, c_b, base = _timed(lambda fn=fn, nb=nb: fn(path, zones.iloc[:nb]))
            scale = len(zones) / nb
            ours = stats.by_class.reindex(index=base.index, columns=base.columns, fill_value=0.0)
            diff = float((ours - base).abs().to_numpy().max())
            extra = (
                f", run on {nb:,} communes and extrapolated x{scale:.1f}" if nb < len(zones) else ""
            )
            say(
                f"strawman {name}: {t_b * scale:.1f} s (CPU {c_b * scale:.1f} s{extra}): ratio "
                f"{t_b * scale / t_zan:.1f}x; max per-commune per-class difference {diff:.6f} ha"
            )
    r["size"], r["communes"] = size, communes
    return r


def bench_rows(quick: bool = False, r: dict | None = None) -> list[dict]:
    """Summary row: zan against rasterize-once + bincount (medians of alternated rounds)."""
    if r is None:
        r = (
            measure(3_000, 500, rounds=3, baseline_communes=0, rasterstats_communes=0, echo=False)
            if quick
            else measure(baseline_communes=0, rasterstats_communes=0, echo=False)
        )
    zan_s, base_s = _median(r["zan"]), _median(r["bincount"])
    ratio = base_s / zan_s
    return [
        {
            "case": f"raster class areas {r['size']:,}² px x {r['communes']:,} communes "
            f"(median of {len(r['zan'])})",
            "zan_s": round(zan_s, 3),
            "baseline_name": "rasterio rasterize once + numpy bincount",
            "baseline_s": round(base_s, 3),
            "ratio": round(ratio, 2),
            "goal": ">= 3x",
            "verdict": "not judged (quick)" if quick else ("met" if ratio >= 3 else "not met"),
        }
    ]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=10_000)
    ap.add_argument("--communes", type=int, default=3_800)
    ap.add_argument(
        "--classes", type=int, default=10, help="pixel classes (1..classes), at most 255"
    )
    ap.add_argument("--rounds", type=int, default=3, help="alternated rounds of zan and bincount")
    ap.add_argument(
        "--baseline-communes",
        type=int,
        default=400,
        help="communes the rasterio.mask loop runs on (then extrapolated; 0 to skip)",
    )
    ap.add_argument(
        "--rasterstats-communes",
        type=int,
        default=0,
        help="communes rasterstats runs on (then extrapolated; 0 to skip it)",
    )
    ap.add_argument("--quick", action="store_true", help="3,000² pixels, 500 communes")
    args = ap.parse_args(argv)
    if args.quick:
        args.size, args.communes = 3_000, 500
    r = measure(
        args.size,
        args.communes,
        args.classes,
        args.rounds,
        args.baseline_communes,
        args.rasterstats_communes,
    )
    for row in bench_rows(args.quick, r):
        print(" | ".join(f"{k}: {v}" for k, v in row.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
