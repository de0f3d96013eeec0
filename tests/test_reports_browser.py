"""Reports in a real browser: Debian's Chromium through Playwright, every network request refused.

Skipped (with the reason) when Chromium or playwright is missing; failed instead when
ZAN_REQUIRE_BROWSER is set, as in CI.
"""

from __future__ import annotations

import pytest
from browser.chromium import OfflinePage, browser

from zan.datasets import scenario_path
from zan.reports import fr_number, write_reports

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    out = tmp_path_factory.mktemp("rapports")
    return write_reports(
        scenario_path("02_consommation_population"),
        out,
        territories="249600297,249612771",
        formats="html",
        jobs=1,
        progress=False,
    )


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


def assert_offline(page: OfflinePage) -> None:
    assert page.network == []
    assert all(u.startswith(("file:", "data:", "about:", "blob:")) for u in page.requests)
    assert page.errors == []


def test_territory_report_opens_offline_with_its_charts_and_live_map(reports, page):
    r = reports.results[0]
    page.open(r.folder / "rapport.html", selector="h1")
    assert page.page.inner_text("h1") == r.nom
    # charts are loaded (an image that failed has naturalWidth 0)
    widths = page.page.eval_on_selector_all("img.chart", "els => els.map(e => e.naturalWidth)")
    assert len(widths) == 2 and min(widths) > 0
    # the interactive map draws every commune of the territory inside its frame
    frame = page.page.frame_locator("iframe.map-live")
    frame.locator("path.leaflet-interactive").first.wait_for(timeout=30_000)
    from zan.scenario import run_scenario

    alloc = run_scenario(scenario_path("02_consommation_population"))
    n = len(alloc.territories.members("epci", r.code))
    assert frame.locator("path.leaflet-interactive").count() == n
    text = page.page.inner_text("body").replace("\u202f", " ").replace("\xa0", " ")
    assert fr_number(alloc.table.at[r.code, "envelope_ha"]).replace("\u202f", " ") + " ha" in text
    assert_offline(page)


def test_summary_and_index_open_offline_and_link_the_reports(reports, page):
    page.open(reports.out / "synthese" / "synthese.html", selector="iframe.map-live")
    frame = page.page.frame_locator("iframe.map-live")
    frame.locator("path.leaflet-interactive").first.wait_for(timeout=30_000)
    assert frame.locator("path.leaflet-interactive").count() == 20
    assert_offline(page)
    page.open(reports.index, selector="table")
    links = page.page.eval_on_selector_all("a", "els => els.map(e => e.href)")
    assert any(h.endswith(f"{reports.results[1].folder.name}/rapport.html") for h in links)
    page.page.click(f"a[href='{reports.results[1].folder.name}/rapport.html']")
    page.page.wait_for_selector("h1")
    assert page.page.inner_text("h1") == reports.results[1].nom
    assert_offline(page)
