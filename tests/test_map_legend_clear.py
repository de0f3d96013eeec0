"""Ordinary (non-conference) maps: no control covers the territory when the map opens.

The legend, title, layer list, zoom and credit sit in the map's corners; once they are on
the map, ``zan.clear`` fits the region beside them. In Chromium (network blocked), at a
laptop and a projector size, on the allocation map, the comparison map (its legends are
the widest: differences) and the trajectory status map, no visible control box meets the
box of the drawn polygons, and the region still fills most of the free room.
"""

from __future__ import annotations

import pytest
from browser.chromium import OfflinePage, browser

from zan.compare import compare
from zan.datasets import scenario_path
from zan.maps import save
from zan.scenario import run_scenario

pytestmark = pytest.mark.slow

SIZES = [(1920, 1080), (1366, 768), (1024, 768)]

_BOXES = """
() => {
  const box = (e) => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const seen = (e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const controls = [...document.querySelectorAll('.leaflet-control, .zan-legend, .zan-title')]
    .filter(seen).map(e => ({name: e.className, box: box(e)}));
  const paths = [...document.querySelectorAll('path.leaflet-interactive')].filter(seen).map(box);
  const union = [Math.min(...paths.map(b => b[0])), Math.min(...paths.map(b => b[1])),
    Math.max(...paths.map(b => b[2])), Math.max(...paths.map(b => b[3]))];
  return {controls, union, paths: paths.length, view: [window.innerWidth, window.innerHeight]};
}
"""


def _meet(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.fixture(scope="module")
def chromium():
    with browser() as b:
        yield b


@pytest.fixture(scope="module")
def maps(tmp_path_factory):
    folder = tmp_path_factory.mktemp("legend")
    alloc = run_scenario(scenario_path("02_consommation_population"))
    comparison = compare([scenario_path(n) for n in ("01_reduction_uniforme", "03_efficacite")])
    return {
        "allocation": save(alloc.explore(), folder / "carte.html"),
        "comparaison": save(comparison.explore(), folder / "comparaison.html"),
    }


@pytest.mark.parametrize("name", ["allocation", "comparaison"])
@pytest.mark.parametrize(("width", "height"), SIZES)
def test_no_control_covers_the_region(chromium, maps, name, width, height):
    page = OfflinePage(chromium, width=width, height=height)
    try:
        page.open(maps[name])
        page.page.wait_for_timeout(300)
        got = page.page.evaluate(_BOXES)
        assert got["paths"] > 0
        names = " ".join(c["name"] for c in got["controls"])
        assert "zan-legend" in names
        for c in got["controls"]:
            assert not _meet(c["box"], got["union"]), (
                f"{name} {width}×{height}: {c['name']} {c['box']} covers the region {got['union']}"
            )
        # fitted, not shrunk to a stamp: the region fills half the window's width or height
        w, h = got["union"][2] - got["union"][0], got["union"][3] - got["union"][1]
        assert w >= 0.5 * got["view"][0] or h >= 0.5 * got["view"][1], (w, h, got["view"])
        assert page.network == [] and page.errors == []
    finally:
        page.close()
