"""Maps in a real browser: Debian's Chromium driven by Playwright, network blocked.

Skipped (with the reason) when Chromium or playwright is missing, failed instead
when ZAN_REQUIRE_BROWSER is set (CI installs both, see .ci/run).
"""

from __future__ import annotations

import io
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from browser.chromium import OfflinePage, browser
from browser.synthetic import EVIL, allocation_table, voronoi_communes
from helpers import shared_path

from zan.maps import atlas, choropleth, save, scenario_layers, side_by_side, status_map

pytestmark = pytest.mark.slow

PATHS = "path.leaflet-interactive"

# JavaScript: the first zan map and its geometry store on the page
_FIND = """
() => {
  const key = (p) => Object.keys(window).filter(k => k.startsWith(p));
  return {maps: key('zan_map_'), stores: key('zan_store_')};
}
"""


@pytest.fixture(scope="module")
def chromium():
    with browser() as b:
        yield b


@pytest.fixture
def page(chromium):
    p = OfflinePage(chromium)
    p.page.on("request", lambda r: p.requests.append(r.url))
    yield p
    p.close()


@pytest.fixture(scope="module")
def communes():
    return voronoi_communes(60)


@pytest.fixture(scope="module")
def table(communes):
    return allocation_table(communes)


def point_of(page: OfflinePage, i: int, map_index: int = 0) -> tuple[float, float]:
    """Page coordinates of a point inside feature ``i``."""
    names = page.page.evaluate(_FIND)
    m, s = names["maps"][map_index], names["stores"][0]
    return tuple(
        page.page.evaluate(
            f"""() => {{
          const p = {m}.latLngToContainerPoint({s}.pts[{i}]);
          const r = {m}.getContainer().getBoundingClientRect();
          return [p.x + r.left, p.y + r.top];
        }}"""
        )
    )


def assert_offline(page: OfflinePage) -> None:
    assert page.network == []
    assert all(u.startswith(("file:", "data:", "about:", "blob:")) for u in page.requests)
    assert page.errors == []


def screenshot_colours(page: OfflinePage) -> set[tuple[int, int, int]]:
    import matplotlib.image as mpimg

    img = mpimg.imread(io.BytesIO(page.page.screenshot()), format="png")
    px = (img[..., :3] * 255).round().astype(int).reshape(-1, 3)
    return {tuple(p) for p in px[::13]}


def hex_rgb(h: str) -> tuple[int, int, int]:
    return tuple(int(h[i : i + 2], 16) for i in (1, 3, 5))


def test_choropleth_offline_counts_tooltip_popup_legend(tmp_path, page, communes, table):
    m = choropleth(communes[["geometry"]], "envelope_ha", values=table, title="Enveloppes")
    path = save(m, tmp_path / "carte.html")
    page.open(path)
    assert page.page.locator(PATHS).count() == len(communes)
    assert_offline(page)
    legend = page.page.inner_text(".zan-legend")
    assert legend.startswith("Enveloppe 2021-2030 (ha)")
    assert len(legend.strip().splitlines()) == 1 + 5

    x, y = point_of(page, 0)
    page.page.mouse.move(x, y)
    tip = page.page.wait_for_selector(".leaflet-tooltip").inner_text()
    figure = table["envelope_ha"].iloc[0]
    assert "Commune 1 (59001)" in tip
    assert f"{figure:.1f}".replace(".", ",") + "\u00a0ha" in tip
    assert "Taux de réduction" in tip and "%" in tip

    page.page.mouse.click(x, y)
    pop = page.page.wait_for_selector(".leaflet-popup-content").inner_text()
    for text in (
        "Détail du calcul",
        "Consommation de référence 2011-2020",
        "Part selon le critère « population »",
        "Plancher",
        "Borne appliquée",
    ):
        assert text in pop

    colours = screenshot_colours(page)
    assert len(colours) > 5
    data = json.loads([c for c in m._children.values() if hasattr(c, "classes")][0].payload)
    assert any(hex_rgb(data["pal"][-1]) == c for c in colours)  # darkest class is drawn


def test_script_name_shows_as_text_and_opens_no_dialog(tmp_path, page, communes, table):
    m = choropleth(communes, "envelope_ha", values=table, labels=True, title=EVIL)
    page.open(save(m, tmp_path / "evil.html"))
    assert page.page.inner_text(".zan-title") == EVIL
    assert EVIL in page.page.inner_text(".leaflet-marker-pane")
    x, y = point_of(page, 1)
    page.page.mouse.move(x, y)
    tip = page.page.wait_for_selector(".leaflet-tooltip").inner_text()
    assert EVIL in tip
    page.page.mouse.click(x, y)
    page.page.wait_for_timeout(200)
    assert page.dialogs == []
    assert page.page.evaluate("document.querySelectorAll('.leaflet-pane script').length") == 0
    assert_offline(page)


def test_scenario_layers_toggle(tmp_path, page, communes):
    scenarios = {
        "SRADDET": allocation_table(communes, seed=1),
        "Population": allocation_table(communes, seed=2, factor=1.3),
    }
    m = scenario_layers(communes, "envelope_ha", scenarios)
    page.open(save(m, tmp_path / "scen.html"))
    assert page.page.locator(PATHS).count() == len(communes)
    assert "— SRADDET" in page.page.inner_text(".zan-legend")
    before = page.page.locator(PATHS).evaluate_all("ps => ps.map(p => p.getAttribute('fill'))")

    page.page.get_by_text("Population", exact=True).click()
    page.page.wait_for_function(
        "document.querySelector('.zan-legend').innerText.includes('Population')"
    )
    assert page.page.locator(PATHS).count() == len(communes)  # one layer at a time
    after = page.page.locator(PATHS).evaluate_all("ps => ps.map(p => p.getAttribute('fill'))")
    assert before != after
    layer_b = json.loads([c for c in m._children.values() if hasattr(c, "classes")][1].payload)
    expected = [layer_b["pal"][c] for c in layer_b["cls"]]
    assert sorted(after) == sorted(expected)

    page.page.get_by_text("Écart Population − SRADDET (ha)").click()
    page.page.wait_for_function("document.querySelector('.zan-legend').innerText.includes('écart')")
    x, y = point_of(page, 0)
    page.page.mouse.move(x, y)
    tip = page.page.wait_for_selector(".leaflet-tooltip").inner_text()
    d = scenarios["Population"]["envelope_ha"].iloc[0] - scenarios["SRADDET"]["envelope_ha"].iloc[0]
    assert f"{d:+.1f}".replace(".", ",") in tip
    assert_offline(page)


def test_conference_switcher_and_fullscreen(tmp_path, page, communes):
    scenarios = {"A": allocation_table(communes, seed=1), "B": allocation_table(communes, seed=3)}
    m = scenario_layers(communes, "reduction_pct", scenarios, conference=True, title="Réductions")
    page.open(save(m, tmp_path / "conf.html"))
    assert page.page.locator('a[title="Plein écran"]').count() == 1
    size = page.page.evaluate(
        "parseFloat(getComputedStyle(document.querySelector('.zan-legend')).fontSize)"
    )
    assert size >= 24
    # the compact switcher in the side panel: next scenario, named in large type
    page.page.click(".zan-now button:text-is('▶')")
    page.page.wait_for_function("document.querySelector('.zan-legend').innerText.includes('— B')")
    assert page.page.locator(".zan-now-name").evaluate("e => e.firstChild.textContent") == "B"
    assert page.page.locator(".zan-switch button.on").get_attribute("type") == "button"
    assert page.page.locator(".zan-switch button.on").text_content() == "B"
    assert page.page.locator(PATHS).count() == len(communes)
    assert_offline(page)


def test_side_by_side_maps_move_together(tmp_path, page, communes):
    scenarios = {"A": allocation_table(communes, seed=1), "B": allocation_table(communes, seed=3)}
    page.open(save(side_by_side(communes, "envelope_ha", scenarios), tmp_path / "sbs.html"))
    page.page.wait_for_function(
        f"document.querySelectorAll('{PATHS}').length == {2 * len(communes)}"
    )
    maps = page.page.evaluate(_FIND)["maps"]
    assert len(maps) == 2
    page.page.evaluate(f"{maps[0]}.setView([50.45, 3.2], 12, {{animate: false}})")
    zoom, lat = page.page.evaluate(f"[{maps[1]}.getZoom(), {maps[1]}.getCenter().lat]")
    assert zoom == 12 and lat == pytest.approx(50.45, abs=1e-3)
    assert_offline(page)


def test_status_map_legend(tmp_path, page, communes):
    t = pd.DataFrame(
        {"status": np.resize(["on_track", "exceeded"], len(communes))}, index=communes.index
    )
    page.open(save(status_map(communes, values=t), tmp_path / "status.html"))
    legend = page.page.inner_text(".zan-legend")
    assert "Dans la trajectoire (30)" in legend and "Enveloppe dépassée (30)" in legend
    assert "Dépassement prévu (0)" in legend
    assert_offline(page)


def test_atlas_menu_opens_each_map(tmp_path, page, communes, table):
    path = tmp_path / "atlas.html"
    atlas(
        {
            "Enveloppes": choropleth(communes, "envelope_ha", values=table),
            "Réductions": choropleth(communes, "reduction_pct", values=table),
        },
        path,
    )
    page.open(path, selector="iframe")
    first = page.page.frame_locator("iframe").first
    first.locator(PATHS).first.wait_for()
    assert first.locator(PATHS).count() == len(communes)
    page.page.click("#zan-menu button:has-text('Réductions')")
    second = page.page.frame_locator("iframe").nth(1)
    second.locator(PATHS).first.wait_for()
    assert second.locator(".zan-legend").inner_text().startswith("Taux de réduction (%)")
    assert page.page.locator("iframe").nth(0).is_hidden()
    assert_offline(page)


def test_notebook_display_works_offline(tmp_path, page, communes, table):
    m = choropleth(communes, "envelope_ha", values=table)
    path = tmp_path / "notebook.html"
    path.write_text(f"<!DOCTYPE html><html><body>{m._repr_html_()}</body></html>", encoding="utf-8")
    page.open(path, selector="iframe")
    frame = page.page.frame_locator("iframe")
    frame.locator(PATHS).first.wait_for()
    assert frame.locator(PATHS).count() == len(communes)
    assert_offline(page)


@pytest.mark.realdata
def test_real_hdf_communes_render_offline(tmp_path, page):
    src = shared_path(
        "hdf", "boundaries", "communes_hdf_cog2026_from_france-geojson-2018_dissolved.geojson"
    )
    g = gpd.read_file(src).set_index("code_insee")
    values = pd.DataFrame({"area_ha": g.to_crs(2154).area / 1e4}, index=g.index)
    path = save(choropleth(g, "area_ha", values=values), tmp_path / "hdf.html")
    assert path.stat().st_size < 3_000_000
    page.open(path)
    assert page.page.locator(PATHS).count() == len(g)
    assert_offline(page)
