"""Conference maps: labels without collisions, and a side panel that needs no scroll.

In Chromium (Playwright, network blocked), on the demo conference atlas at the
projector sizes: the boxes of the visible territory labels never meet each other
nor the side panel, the label type is readable from the back of the room
(≥ 16 px), a larger screen shows more labels, the largest territory is always
named; and every control of the panel lies inside the viewport without scrolling
at 1280×720 and 1024×768. Skipped with the reason when Chromium or playwright is
missing (``helpers.chromium_path``).
"""

from __future__ import annotations

import pytest
from browser.chromium import OfflinePage, browser

from zan.atlas import scenario_atlas
from zan.compare import compare
from zan.datasets import scenario_path
from zan.maps import save
from zan.scenario import run_scenario

pytestmark = pytest.mark.slow

SIZES = [(1920, 1080), (1280, 720), (1024, 768)]
DEMO = ["01_reduction_uniforme", "02_consommation_population", "03_efficacite"]
TABS = ("Enveloppes", "Réductions", "Trajectoire", "Écarts")

# JavaScript: the visible labels, the panel and the controls of the map's frame
_LABELS = """
() => {
  const box = (e) => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
  const spans = [...document.querySelectorAll('.zan-label span')];
  const shown = spans.filter(s => getComputedStyle(s).visibility === 'visible'
    && s.getBoundingClientRect().width > 0);
  const panel = document.querySelector('.zan-panel');
  const controls = [...document.querySelectorAll(
      '.zan-panel .leaflet-control, .zan-panel .zan-title, .zan-now')]
    .filter(e => e.getBoundingClientRect().width > 0)
    .map(e => ({name: e.className, box: box(e)}));
  return {
    labels: shown.map(s => ({name: s.textContent, box: box(s),
                             size: parseFloat(getComputedStyle(s).fontSize)})),
    all: spans.length,
    panel: box(panel), scroll: [panel.scrollHeight, panel.clientHeight],
    controls, view: [0, 0, window.innerWidth, window.innerHeight],
  };
}
"""


def _meet(a: list[float], b: list[float]) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


@pytest.fixture(scope="module")
def chromium():
    with browser() as b:
        yield b


@pytest.fixture(scope="module")
def atlas_page(tmp_path_factory):
    out = tmp_path_factory.mktemp("conf") / "atlas.html"
    scenario_atlas([scenario_path(n) for n in DEMO], out, conference=True)
    return out


@pytest.fixture(scope="module")
def largest_name():
    """Name of the demo's largest territory (Lambert-93 area), computed apart from the map."""
    alloc = run_scenario(scenario_path(DEMO[0]))
    geoms = alloc.territories.geometries(alloc.level).to_crs(2154)
    return str(geoms.loc[geoms.area.idxmax(), "nom"])


def _map_frame(page: OfflinePage):
    for f in page.page.frames[1:]:
        if f.frame_element().is_visible():
            f.wait_for_selector("path.leaflet-interactive", timeout=30_000)
            return f
    raise AssertionError("no visible map frame in the atlas")


@pytest.fixture(scope="module")
def measured(chromium, atlas_page):
    """Labels and controls of every atlas tab (and the next scenario) at each size."""
    out = {}
    for width, height in SIZES:
        page = OfflinePage(chromium, width=width, height=height)
        try:
            page.page.goto(atlas_page.resolve().as_uri())
            for tab in TABS:
                page.page.click(f"#zan-menu button:text-is('{tab}')")
                frame = _map_frame(page)
                page.page.wait_for_timeout(250)
                out[(width, height, tab)] = frame.evaluate(_LABELS)
            page.page.keyboard.press("ArrowRight")
            page.page.wait_for_timeout(250)
            out[(width, height, "Écarts suivant")] = frame.evaluate(_LABELS)
            assert page.network == [] and page.errors == []
        finally:
            page.close()
    return out


def test_visible_labels_never_meet_each_other_nor_the_panel(measured):
    for (w, h, tab), got in measured.items():
        where = f"{tab} {w}×{h}"
        labels = got["labels"]
        assert labels, f"{where}: no label shown"
        assert len(labels) < got["all"] or w == 1920, f"{where}: nothing dropped"
        for i, a in enumerate(labels):
            assert a["size"] >= 16, f"{where}: {a['name']} in {a['size']} px"
            assert not _meet(a["box"], got["panel"]), f"{where}: {a['name']} under the panel"
            assert a["box"][0] >= 0 and a["box"][1] >= 0, f"{where}: {a['name']} off the map"
            for b in labels[i + 1 :]:
                assert not _meet(a["box"], b["box"]), f"{where}: {a['name']} meets {b['name']}"


def test_larger_screen_more_labels_and_the_largest_territory_named(measured, largest_name):
    for tab in (*TABS, "Écarts suivant"):
        counts = [len(measured[(w, h, tab)]["labels"]) for w, h in SIZES]
        assert counts[0] > counts[2], f"{tab}: {counts} labels at {SIZES}"
        for w, h in SIZES:
            names = {a["name"] for a in measured[(w, h, tab)]["labels"]}
            assert largest_name in names, f"{tab} {w}×{h}: {largest_name} not named"


def test_panel_fits_without_scrolling(measured):
    for (w, h, tab), got in measured.items():
        if w == 1920:
            continue
        where = f"{tab} {w}×{h}"
        view = got["view"]
        names = " ".join(c["name"] for c in got["controls"])
        assert "leaflet-control-zoom" in names and "zan-fs" in names, where
        for c in got["controls"]:
            b = c["box"]
            inside = b[0] >= view[0] and b[1] >= view[1] and b[2] <= view[2] and b[3] <= view[3]
            assert inside, f"{where}: {c['name']} {b} outside the viewport {view}"
        assert got["scroll"][0] <= got["scroll"][1], f"{where}: the panel scrolls {got['scroll']}"


@pytest.mark.parametrize(("width", "height"), SIZES[1:])
def test_standalone_map_panel_fits_without_scrolling(chromium, tmp_path, width, height):
    # notebook 04's map, the whole window high (no atlas menu above it)
    comparison = compare([scenario_path(n) for n in DEMO])
    carte = comparison.explore(conference=True, title="Enveloppe foncière 2021-2030 par EPCI")
    page = OfflinePage(chromium, width=width, height=height)
    try:
        page.open(save(carte, tmp_path / "carte.html"))
        for _ in range(4):
            page.page.wait_for_timeout(150)
            got = page.page.evaluate(_LABELS)
            where = f"{got['controls'][0]['name']} {width}×{height}"
            for c in got["controls"]:
                b, view = c["box"], got["view"]
                assert b[0] >= 0 and b[1] >= 0 and b[2] <= view[2] and b[3] <= view[3], (
                    f"{where}: {c['name']} {b} outside the viewport"
                )
            assert got["scroll"][0] <= got["scroll"][1], f"{where}: the panel scrolls"
            page.page.keyboard.press("ArrowRight")
        assert page.network == [] and page.errors == []
    finally:
        page.close()


def test_hidden_label_shown_while_its_territory_is_hovered(chromium, atlas_page):
    page = OfflinePage(chromium, width=1024, height=768)
    try:
        page.page.goto(atlas_page.resolve().as_uri())
        frame = _map_frame(page)
        page.page.wait_for_timeout(250)
        hidden = frame.locator(".zan-label.zan-off")
        assert hidden.count() > 0
        label = hidden.first
        assert label.evaluate("e => getComputedStyle(e.firstChild).visibility") == "hidden"
        # the label's anchor lies inside its territory: hover there
        x, y = label.evaluate(
            "e => { const r = e.firstChild.getBoundingClientRect();"
            " return [(r.left + r.right) / 2, (r.top + r.bottom) / 2]; }"
        )
        offset = frame.frame_element().bounding_box()
        page.page.mouse.move(offset["x"] + x, offset["y"] + y)
        page.page.wait_for_timeout(100)
        assert label.evaluate("e => getComputedStyle(e.firstChild).visibility") == "visible"
        page.page.mouse.move(1, 1)
        page.page.wait_for_timeout(100)
        assert label.evaluate("e => getComputedStyle(e.firstChild).visibility") == "hidden"
    finally:
        page.close()


def _overlaps(got) -> list[str]:
    labels, out = got["labels"], []
    for i, a in enumerate(labels):
        if _meet(a["box"], got["panel"]):
            out.append(f"{a['name']} under the panel")
        out += [f"{a['name']} × {b['name']}" for b in labels[i + 1 :] if _meet(a["box"], b["box"])]
    return out


def test_labels_placed_again_on_resize_and_zoom(chromium, atlas_page):
    page = OfflinePage(chromium, width=1920, height=1080)
    try:
        page.page.goto(atlas_page.resolve().as_uri())
        frame = _map_frame(page)
        page.page.wait_for_timeout(250)
        wide = frame.evaluate(_LABELS)
        page.page.set_viewport_size({"width": 1024, "height": 768})
        page.page.wait_for_timeout(400)
        narrow = frame.evaluate(_LABELS)
        assert _overlaps(narrow) == [], "after the resize"
        assert len(narrow["labels"]) < len(wide["labels"])
        frame.locator(".leaflet-control-zoom-in").click()
        # the zoom animation over (Leaflet marks the map meanwhile), then its zoomend
        frame.wait_for_function("!document.querySelector('.leaflet-zoom-anim')")
        page.page.wait_for_timeout(300)
        zoomed = frame.evaluate(_LABELS)
        assert _overlaps(zoomed) == [], "after the zoom"
        assert zoomed["labels"]
        assert {a["name"] for a in zoomed["labels"]} != {a["name"] for a in narrow["labels"]}
        assert page.errors == []
    finally:
        page.close()
