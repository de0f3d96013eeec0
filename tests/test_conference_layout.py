"""Conference mode never hides the territory: every control sits in the side panel.

In Chromium (Playwright, network blocked), at the projector sizes, the boxes of the
visible controls (title, layer list, legend, credit, zoom, scenario switcher) never
meet the box of the drawn polygons; the arrow keys switch scenarios. Skipped with
the reason when Chromium or playwright is missing (``helpers.chromium_path``).
"""

from __future__ import annotations

import pytest
from browser.chromium import OfflinePage, browser

from zan.atlas import scenario_atlas
from zan.compare import compare
from zan.datasets import scenario_path
from zan.maps import save

pytestmark = pytest.mark.slow

SIZES = [(1920, 1080), (1280, 720), (1024, 768)]
DEMO = ["01_reduction_uniforme", "02_consommation_population", "03_efficacite"]

# JavaScript: boxes of the visible controls and the union box of the drawn polygons
_BOXES = """
() => {
  const box = (e) => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const seen = (e) => { const r = e.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
  const controls = [...document.querySelectorAll(
      '.leaflet-control, .zan-legend, .zan-title, .zan-switch, .zan-now, .zan-panel')]
    .filter(seen).map(e => ({name: e.className, box: box(e)}));
  const paths = [...document.querySelectorAll('path.leaflet-interactive')].filter(seen).map(box);
  const view = [0, 0, window.innerWidth, window.innerHeight];
  const union = paths.length ? [Math.min(...paths.map(b => b[0])), Math.min(...paths.map(b => b[1])),
    Math.max(...paths.map(b => b[2])), Math.max(...paths.map(b => b[3]))] : null;
  return {controls, union, paths: paths.length, view};
}
"""


def _meet(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def assert_territory_clear(frame, where: str) -> None:
    got = frame.evaluate(_BOXES)
    assert got["paths"] > 0, f"{where}: no polygon drawn"
    union = got["union"]
    names = {c["name"] for c in got["controls"]}
    assert any("zan-legend" in n for n in names) and any("zan-panel" in n for n in names)
    for c in got["controls"]:
        assert not _meet(c["box"], union), f"{where}: {c['name']} {c['box']} covers {union}"
    # the map uses the room the panel leaves: the region fills its height or its width
    w, h = union[2] - union[0], union[3] - union[1]
    panel = next(c["box"] for c in got["controls"] if "zan-panel" in c["name"])
    free_w, free_h = panel[0], got["view"][3] - panel[1]
    assert w >= 0.8 * free_w or h >= 0.8 * free_h, f"{where}: region {w}×{h} in {free_w}×{free_h}"


@pytest.fixture(scope="module")
def chromium():
    with browser() as b:
        yield b


@pytest.fixture(scope="module")
def atlas_page(tmp_path_factory):
    out = tmp_path_factory.mktemp("conf") / "atlas.html"
    scenario_atlas([scenario_path(n) for n in DEMO[:2]], out, conference=True)
    return out


@pytest.fixture(scope="module")
def notebook_map(tmp_path_factory):
    # the map of notebook 04_carte_conference
    comparison = compare([scenario_path(n) for n in DEMO[:2]])
    carte = comparison.explore(conference=True, title="Enveloppe foncière 2021-2030 par EPCI")
    return save(carte, tmp_path_factory.mktemp("conf") / "carte_conference.html")


def _map_frame(page: OfflinePage):
    """The frame of the atlas's visible map, once its polygons are drawn."""
    for f in page.page.frames[1:]:
        el = f.frame_element()
        if el.is_visible():
            f.wait_for_selector("path.leaflet-interactive", timeout=30_000)
            return f
    raise AssertionError("no visible map frame in the atlas")


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_atlas_controls_never_cover_the_region(chromium, atlas_page, width, height):
    page = OfflinePage(chromium, width=width, height=height)
    try:
        page.page.goto(atlas_page.resolve().as_uri())
        for tab in ("Enveloppes", "Réductions", "Trajectoire", "Écarts"):
            page.page.click(f"#zan-menu button:text-is('{tab}')")
            frame = _map_frame(page)
            page.page.wait_for_timeout(200)
            assert_territory_clear(frame, f"atlas {tab} {width}×{height}")
        assert page.network == [] and page.errors == []
    finally:
        page.close()


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_notebook_map_controls_never_cover_the_region(chromium, notebook_map, width, height):
    page = OfflinePage(chromium, width=width, height=height)
    try:
        page.open(notebook_map)
        page.page.wait_for_timeout(200)
        assert_territory_clear(page.page, f"notebook 04 map {width}×{height}")
        # every scenario and difference layer keeps the territory clear
        for _ in range(3):
            page.page.keyboard.press("ArrowRight")
            page.page.wait_for_timeout(100)
            assert_territory_clear(page.page, f"notebook 04 map {width}×{height}, next layer")
        assert page.network == [] and page.errors == []
    finally:
        page.close()


def test_arrow_keys_switch_scenarios_named_in_large_type(chromium, atlas_page):
    page = OfflinePage(chromium, width=1280, height=720)
    try:
        page.page.goto(atlas_page.resolve().as_uri())
        page.page.click("#zan-menu button:text-is('Écarts')")
        frame = _map_frame(page)
        name = frame.locator(".zan-now-name")

        def shown() -> str:
            return name.evaluate("e => e.firstChild.textContent")

        assert shown() == "Réduction uniforme"
        size = float(name.evaluate("e => parseFloat(getComputedStyle(e).fontSize)"))
        assert size >= 24  # large type, read from the back of the room
        page.page.keyboard.press("ArrowRight")  # focus on the atlas page: forwarded to the map
        assert shown() == "Consommation et population"
        legend = frame.locator(".zan-legend").inner_text()
        assert "Consommation et population" in legend
        frame.locator(".zan-now-name").click()
        page.page.keyboard.press("ArrowRight")  # focus in the map itself
        assert shown().startswith("Écart Consommation et population − Réduction uniforme")
        page.page.keyboard.press("ArrowLeft")
        page.page.keyboard.press("ArrowLeft")
        assert shown() == "Réduction uniforme"
        page.page.keyboard.press("ArrowLeft")  # wraps round to the last layer
        assert shown().endswith("(points de réduction)")
        assert page.errors == []
    finally:
        page.close()
