"""Benchmark zan maps against a naive folium map of the same unsimplified layer.

Two layers: the real Hauts-de-France communes (3,782 features, from
``$ZAN_SHARED_DATA`` or ``../shared/data`` beside the checkout) and a synthetic
3,800-commune region with pixel-staircase borders (many vertices). For each:
HTML size, build time in Python, first paint in headless Chromium (time from
navigation until every polygon is in the page), for

* zan: ``zan.maps.choropleth`` (offline, simplified, compact encoding);
* naive GeoJson: ``folium.Map()`` + ``folium.GeoJson`` with a tooltip;
* naive Choropleth: ``folium.Map()`` + ``folium.Choropleth`` (without its d3 legend).

The naive pages load Leaflet and friends from CDNs: the benchmark serves
Leaflet from the local ``xstatic-leaflet`` files and answers other CDN
requests with empty files, so they can paint offline. Also printed: overlap
area and gap area after simplification, as % of the region.

Usage::

    python scripts/bench_maps.py [--runs 3] [--no-browser] [--only real|synthetic]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from zan.maps import choropleth, save  # noqa: E402
from zan.maps._geometry import MapGeometry, decode, overlap_pct  # noqa: E402

SHARED = Path(os.environ.get("ZAN_SHARED_DATA", ROOT.parent / "shared" / "data"))
REAL = (
    SHARED
    / "hdf"
    / "boundaries"
    / "communes_hdf_cog2026_from_france-geojson-2018_dissolved.geojson"
)
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def synthetic_region(n: int = 3800, *, seed: int = 0) -> gpd.GeoDataFrame:
    """``n`` communes with wiggly 100 m pixel borders over 200 km x 160 km (Lambert-93)."""
    from rasterio.features import shapes
    from rasterio.transform import from_origin
    from scipy.ndimage import zoom
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(seed)
    nx, ny, px = 2000, 1600, 100.0
    seeds = np.column_stack([rng.uniform(0, nx, n), rng.uniform(0, ny, n)])
    warp = [zoom(rng.normal(0, 8, (ny // 20, nx // 20)), 20, order=3) for _ in range(2)]
    yy, xx = np.mgrid[0:ny, 0:nx].astype(float)
    _, labels = cKDTree(seeds).query(
        np.column_stack([(xx + warp[0]).ravel(), (yy + warp[1]).ravel()])
    )
    labels = labels.reshape(ny, nx).astype(np.int32)
    transform = from_origin(620_000, 7_060_000, px, px)
    geoms, values = [], []
    for geom, value in shapes(labels, transform=transform):
        geoms.append(shapely.geometry.shape(geom))
        values.append(int(value))
    parts = gpd.GeoDataFrame({"label": values}, geometry=geoms, crs="EPSG:2154")
    out = parts.dissolve("label")
    out.index = [f"99{i:04d}" for i in out.index]
    out.index.name = "code"
    out["nom"] = [f"Commune {i}" for i in range(len(out))]
    return out


def _fit(m: folium.Map, wgs: gpd.GeoDataFrame) -> folium.Map:
    minx, miny, maxx, maxy = wgs.total_bounds
    m.fit_bounds([[miny, minx], [maxy, maxx]])  # same view as the zan map
    return m


def naive_geojson(gdf: gpd.GeoDataFrame) -> folium.Map:
    m = folium.Map()
    wgs = gdf.to_crs(4326).reset_index()
    folium.GeoJson(wgs, tooltip=folium.GeoJsonTooltip(["nom"])).add_to(m)
    return _fit(m, wgs)


def naive_choropleth(gdf: gpd.GeoDataFrame, values: pd.DataFrame) -> folium.Map:
    m = folium.Map()
    wgs = gdf.to_crs(4326).reset_index()
    ch = folium.Choropleth(
        geo_data=wgs,
        data=values.reset_index(),
        columns=["code", "area_ha"],
        key_on="feature.properties.code",
        fill_color="YlGnBu",
    )
    # drop its d3 legend, which cannot load offline and would stop the page's script
    ch._children.pop(ch.color_scale.get_name(), None)
    ch.color_scale = None
    ch.add_to(m)
    return _fit(m, wgs)


def first_paint(browser, path: Path, n: int, runs: int) -> float:
    """Median seconds from navigation until ``n`` interactive paths are in the page."""
    from xstatic.pkg import leaflet

    base = Path(leaflet.BASE_DIR)
    times = []
    for _ in range(runs):
        ctx = browser.new_context(viewport={"width": 1600, "height": 1000})

        def route(r):
            url = r.request.url
            if url.startswith("file:"):
                return r.continue_()
            if url.endswith("leaflet.js"):
                return r.fulfill(
                    body=(base / "leaflet.js").read_text(), content_type="text/javascript"
                )
            if url.endswith("leaflet.css"):
                return r.fulfill(body=(base / "leaflet.css").read_text(), content_type="text/css")
            if url.endswith(".js"):
                return r.fulfill(body="", content_type="text/javascript")
            return r.fulfill(
                body="", content_type="text/css" if url.endswith(".css") else "text/plain"
            )

        ctx.route("**/*", route)
        page = ctx.new_page()
        page.goto(path.as_uri(), wait_until="commit")
        page.wait_for_function(
            f"document.querySelectorAll('path.leaflet-interactive').length >= {n}",
            timeout=120_000,
            polling="raf",
        )
        times.append(page.evaluate("performance.now()") / 1000)
        ctx.close()
    return statistics.median(times)


def bench(name: str, gdf: gpd.GeoDataFrame, browser, runs: int, out: Path) -> None:
    values = pd.DataFrame({"area_ha": gdf.to_crs(2154).area / 1e4}, index=gdf.index)
    n = len(gdf)
    # warm up (imports, caches) so that build times compare the work itself
    choropleth(gdf.iloc[:20], "area_ha", values=values.iloc[:20]).get_root().render()
    naive_geojson(gdf.iloc[:20]).get_root().render()
    naive_choropleth(gdf.iloc[:20], values.iloc[:20]).get_root().render()
    rows = {}
    t = time.perf_counter()
    m = choropleth(gdf, "area_ha", values=values, title=name)
    html = m.get_root().render()
    rows["zan"] = [time.perf_counter() - t, save(html, out / f"{name}_zan.html")]
    t = time.perf_counter()
    html = naive_geojson(gdf).get_root().render()
    rows["naive GeoJson"] = [time.perf_counter() - t, save(html, out / f"{name}_geojson.html")]
    t = time.perf_counter()
    html = naive_choropleth(gdf, values).get_root().render()
    rows["naive Choropleth"] = [time.perf_counter() - t, save(html, out / f"{name}_choro.html")]
    for row in rows.values():
        row.append(first_paint(browser, row[1], n, runs) if browser is not None else float("nan"))

    vertices = shapely.get_num_coordinates(gdf.geometry.values).sum()
    print(f"\n== {name}: {n} features, {vertices:,} vertices")
    print(f"{'map':<18}{'HTML MB':>10}{'build s':>10}{'paint s':>10}")
    for key, (build, path, paint) in rows.items():
        print(f"{key:<18}{path.stat().st_size / 1e6:>10.2f}{build:>10.2f}{paint:>10.2f}")
    zan_size = rows["zan"][1].stat().st_size
    for key in ("naive GeoJson", "naive Choropleth"):
        build, path, paint = rows[key]
        print(
            f"ratio {key} / zan: size {path.stat().st_size / zan_size:.1f}x, "
            f"build {build / rows['zan'][0]:.2f}x, paint {paint / rows['zan'][2]:.2f}x"
        )

    projected = gdf.to_crs(2154)
    geom = MapGeometry.build(projected, list(gdf["nom"]))
    decoded = gpd.GeoSeries(decode(geom.spec), crs=4326).to_crs(2154).values
    region = shapely.union_all(projected.geometry.values).area
    gap = (region - shapely.union_all(decoded).area) / region * 100
    print(
        f"tolerance {geom.tolerance_m:.0f} m; vertices kept "
        f"{shapely.get_num_coordinates(decoded).sum():,}; overlap after simplification "
        f"{overlap_pct(decoded):.5f} % of the region; area lost or gained at the edges "
        f"{gap:+.4f} %; invalid polygons {int((~shapely.is_valid(decoded)).sum())}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="browser runs per page (median)")
    parser.add_argument("--no-browser", action="store_true", help="skip the first-paint timing")
    parser.add_argument("--only", choices=["real", "synthetic"], default=None)
    args = parser.parse_args()

    layers = []
    if args.only in (None, "real"):
        if REAL.exists():
            layers.append(("hdf", gpd.read_file(REAL).set_index("code_insee").rename_axis("code")))
        else:
            print(f"real layer not found: {REAL} (set ZAN_SHARED_DATA); skipped")
    if args.only in (None, "synthetic"):
        t = time.perf_counter()
        layers.append(("synthetic", synthetic_region()))
        print(f"synthetic region built in {time.perf_counter() - t:.1f} s")

    out = Path(tempfile.mkdtemp(prefix="zan-bench-maps-"))
    print(f"pages written to {out}")
    if args.no_browser or not Path(CHROMIUM).exists():
        for name, gdf in layers:
            bench(name, gdf, None, args.runs, out)
        return
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        try:
            for name, gdf in layers:
                bench(name, gdf, browser, args.runs, out)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
