"""Update time of the live simulator in Chromium: 92 EPCI and ~3,800 communes.

For each page, the median (and 90th percentile) over ``--updates`` updates of
``window.zanSimulator.set(settings)`` (the allocation recomputed and the map, bar chart,
table and summary redrawn) followed by a forced layout, timed with ``performance.now()``
inside the page (and the time of ``set`` alone). Settings alternate among random ones (weights, reduction, reserve,
garantie, floors, caps, resolution, rounding method). Goals: 50 ms for 92 EPCI, 300 ms
for 3,800 communes.

Data: the real Hauts-de-France geography (COG 2026 boundaries, commune → EPCI table,
from ``$ZAN_SHARED_DATA`` or ``../shared/data`` beside the checkout) with a synthetic
consumption, or, when it is absent (or with ``--synthetic``), a synthetic region of
Voronoi communes. With ``--shots DIR`` it also writes screenshots of each page at
1920×1080, 1280×720 and 1024×768.

Usage::

    python scripts/bench_simulator.py [--updates 30] [--synthetic] [--shots DIR]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from browser.sim_data import random_settings, write_real_scenario, write_scenario  # noqa: E402

from zan.maps.simulator import simulator_html  # noqa: E402
from zan.reports.pdf import chromium_executable  # noqa: E402
from zan.scenario import prepare_scenario  # noqa: E402

SHARED = Path(os.environ.get("ZAN_SHARED_DATA", ROOT.parent / "shared" / "data")) / "hdf"
SIZES = [(1920, 1080), (1280, 720), (1024, 768)]

TIMING = """(all) => {
  const t = [];
  for (let k = 0; k < all.length; k++) {
    const a = performance.now();
    const st = window.zanSimulator.set(all[k]);
    const b = performance.now();
    document.getElementById('zs-svg').getBoundingClientRect();
    document.body.offsetHeight;  // force the layout of the redrawn page
    t.push(st.error ? [-1, -1] : [b - a, performance.now() - a]);
  }
  return t;
}"""


def pages(folder: Path, synthetic: bool) -> list[tuple[str, Path, float]]:
    """(label, HTML page, seconds to build it) for 92 EPCI and the communes."""
    out = []
    real = not synthetic and (SHARED / "boundaries").is_dir()
    for level in ("epci", "commune"):
        sub = folder / level
        if real:
            path = write_real_scenario(sub, SHARED, level=level)
            label = "Hauts-de-France"
        else:
            n = 3800 if level == "commune" else 460
            path = write_scenario(sub, communes=n, epci=92, level=level, seed=5)
            label = "synthetic"
        t0 = time.perf_counter()
        prep = prepare_scenario(path)
        page = simulator_html(prep, out=sub / "simulateur.html")
        out.append((f"{label}, {len(prep.table):,} {level}", page, time.perf_counter() - t0))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--updates", type=int, default=30, help="updates timed per page (>= 20)")
    parser.add_argument("--synthetic", action="store_true", help="synthetic region only")
    parser.add_argument("--shots", type=Path, help="folder for screenshots at three sizes")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as tmp, sync_playwright() as pw:
        built = pages(Path(tmp), args.synthetic)
        browser = pw.chromium.launch(
            executable_path=chromium_executable(), headless=True, args=["--no-sandbox"]
        )
        print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}")
        for label, page_path, build_s in built:
            page = browser.new_page(viewport={"width": 1920, "height": 1080})
            t0 = time.perf_counter()
            page.goto(page_path.as_uri())
            page.wait_for_selector("path.zs-poly")
            open_s = time.perf_counter() - t0
            base = page.evaluate("window.zanSimulator.reset().settings")
            n = max(args.updates, 20)
            settings = random_settings(np.random.default_rng(0), base, 3 * n + 8)
            settings = settings[8:]  # the random ones (the first are edge cases)
            page.evaluate(TIMING, settings[:3])  # warm up the JIT
            pairs = [t for t in page.evaluate(TIMING, settings) if t[0] >= 0][:n]  # feasible
            js = sorted(t[0] for t in pairs)
            times = sorted(t[1] for t in pairs)
            p90 = times[int(0.9 * (len(times) - 1))]
            print(
                f"{label}: page {page_path.stat().st_size / 1e6:.2f} MB built in {build_s:.1f} s, "
                f"opened in {open_s:.1f} s; update (set + layout) median "
                f"{statistics.median(times):.1f} ms, p90 {p90:.1f} ms over {len(times)} updates "
                f"(set alone: median {statistics.median(js):.1f} ms)"
            )
            if args.shots:
                args.shots.mkdir(parents=True, exist_ok=True)
                page.evaluate("window.zanSimulator.reset()")
                for w, h in SIZES:
                    page.set_viewport_size({"width": w, "height": h})
                    name = f"simulateur_{label.split(', ')[1].replace(' ', '_')}_{w}x{h}.png"
                    page.screenshot(path=str(args.shots / name.replace(",", "")))
            page.close()
        browser.close()
        if args.shots:
            print(f"screenshots in {args.shots}")


if __name__ == "__main__":
    main()
