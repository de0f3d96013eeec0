"""The map's popup writes Allocation.explain's text (Chromium, network blocked)."""

from __future__ import annotations

import pytest
from browser.chromium import OfflinePage, browser

from zan.datasets import get_path
from zan.scenario import load_scenario, run_scenario

pytestmark = pytest.mark.slow


def _click(page, i: int) -> str:
    """Open feature ``i``'s popup; return its explanation text."""
    stores = page.page.evaluate("Object.keys(window).filter(k => k.startsWith('zan_store_'))")
    maps = page.page.evaluate("Object.keys(window).filter(k => k.startsWith('zan_map_'))")
    m, s = maps[0], stores[0]
    x, y = page.page.evaluate(
        f"""() => {{
          {m}.setView({s}.pts[{i}], 13, {{animate: false}});
          const p = {m}.latLngToContainerPoint({s}.pts[{i}]);
          const r = {m}.getContainer().getBoundingClientRect();
          return [p.x + r.left, p.y + r.top];
        }}"""
    )
    page.page.mouse.click(x, y)
    page.page.wait_for_selector(".leaflet-popup-content .zan-text")
    text = page.page.inner_text(".leaflet-popup-content .zan-text")
    page.page.evaluate(f"{m}.closePopup()")
    return text, page.page.evaluate(f"{s}.codes[{i}]")


@pytest.mark.parametrize("scenario", ["05_cascade_reserve_pene_garantie.toml"])
def test_popup_text_equals_python_explain(tmp_path, scenario):
    folder = get_path("conso_enaf_2009_2023.csv").parents[1] / "scenarios"
    alloc = run_scenario(load_scenario(folder / scenario))
    from zan.maps import save

    path = save(alloc.explore(), tmp_path / "carte.html")
    with browser() as b:
        page = OfflinePage(b)
        try:
            page.open(path)
            table = alloc.table
            bounds = table["bound"].astype(str)
            picks = {0, 7, len(table) - 1}
            for b_name in ("floor", "cap", "none"):  # one of each bound the level has
                where = [k for k, v in enumerate(bounds) if v == b_name]
                if where:
                    picks.add(where[0])
            seen = 0
            for i in sorted(picks):
                text, code = _click(page, i)
                assert text == alloc.explain(code), code
                seen += 1
            assert seen >= 3
            assert page.network == [] and page.errors == []
        finally:
            page.close()
