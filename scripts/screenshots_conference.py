"""Screenshots of the conference atlas at the projector sizes, to look at.

Builds ``zan atlas A.toml B.toml [C.toml] --conference`` on the demo scenarios and
photographs, in Chromium (network blocked), each map of the atlas at 1920×1080,
1280×720 and 1024×768, plus the difference map after one press of the right arrow.
Writes ``atlas_conference.html`` and ``<map>_<width>x<height>.png`` into the folder
given (never into the source tree) and prints, for each picture, whether a control
box meets the box of the drawn polygons (it never should).

Usage::

    python scripts/screenshots_conference.py OUT_FOLDER [--scenarios 2|3]

Needs playwright and a Chromium (``$ZAN_CHROMIUM`` or one on ``PATH``; Playwright's
own browser download is not used).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from zan.atlas import scenario_atlas
from zan.datasets import scenario_path
from zan.reports.pdf import chromium_executable

ROOT = Path(__file__).resolve().parents[1]
SIZES = [(1920, 1080), (1280, 720), (1024, 768)]
DEMO = ["01_reduction_uniforme", "02_consommation_population", "03_efficacite"]
TABS = {
    "Enveloppes": "enveloppes",
    "Réductions": "reductions",
    "Trajectoire": "trajectoire",
    "Écarts": "ecarts",
}

# boxes of the visible controls and union box of the drawn polygons (in the map's frame)
BOXES = """
() => {
  const box = (e) => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const seen = (e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const controls = [...document.querySelectorAll(
      '.leaflet-control, .zan-legend, .zan-title, .zan-switch, .zan-now, .zan-panel')]
    .filter(seen).map(box);
  const paths = [...document.querySelectorAll('path.leaflet-interactive')].filter(seen).map(box);
  const labels = [...document.querySelectorAll('.zan-label span')]
    .filter(s => seen(s) && getComputedStyle(s).visibility === 'visible').length;
  if (!paths.length) return {controls, labels, union: null};
  return {controls, labels, union: [Math.min(...paths.map(b => b[0])), Math.min(...paths.map(b => b[1])),
    Math.max(...paths.map(b => b[2])), Math.max(...paths.map(b => b[3]))]};
}
"""


def covered(frame) -> tuple[int, int]:
    """Number of visible controls whose box meets the polygons' box, and of labels shown."""
    got = frame.evaluate(BOXES)
    u = got["union"]
    if u is None:
        return got["labels"], 0
    return got["labels"], sum(
        a[0] < u[2] and u[0] < a[2] and a[1] < u[3] and u[1] < a[3] for a in got["controls"]
    )


def visible_frame(page):
    for f in page.frames[1:]:
        if f.frame_element().is_visible():
            f.wait_for_selector("path.leaflet-interactive", timeout=30_000)
            return f
    raise SystemExit("no visible map in the atlas")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="folder for the page and the PNGs")
    parser.add_argument("--scenarios", type=int, choices=(2, 3), default=3)
    args = parser.parse_args(argv)
    out = args.out.resolve()
    if out == ROOT or ROOT in out.parents:
        parser.error(f"{out}: inside the source tree {ROOT}; give a folder outside it")
    chromium = chromium_executable()
    if chromium is None:
        parser.error("Chromium not found: apt-get install chromium, or set ZAN_CHROMIUM")
    from playwright.sync_api import sync_playwright

    out.mkdir(parents=True, exist_ok=True)
    page_path = out / "atlas_conference.html"
    scenario_atlas([scenario_path(n) for n in DEMO[: args.scenarios]], page_path, conference=True)
    problems = 0
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, headless=True, args=["--no-sandbox"])
        try:
            for width, height in SIZES:
                context = browser.new_context(viewport={"width": width, "height": height})
                context.route(
                    "**/*",
                    lambda r: (
                        r.continue_()
                        if r.request.url.startswith(("file:", "data:", "about:", "blob:"))
                        else r.abort()
                    ),
                )
                page = context.new_page()
                page.goto(page_path.as_uri())
                shots = [(tab, slug, False) for tab, slug in TABS.items()]
                shots.append(("Écarts", "ecarts_suivant", True))
                for tab, slug, press in shots:
                    page.click(f"#zan-menu button:text-is('{tab}')")
                    frame = visible_frame(page)
                    if press:
                        page.keyboard.press("ArrowRight")
                    page.wait_for_timeout(300)
                    png = out / f"{slug}_{width}x{height}.png"
                    page.screenshot(path=str(png))
                    shown, n = covered(frame)
                    problems += n
                    print(f"{png}: {n} control(s) over the region, {shown} label(s) shown")
                context.close()
        finally:
            browser.close()
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
