"""A scenario name of 50 MB makes a map of normal size: titles and credits are cut.

The limits are :data:`zan.formatting.TITLE_MAX_CHARS` (titles, layer names, the
scenario name in reports) and :data:`zan.formatting.CREDIT_MAX_CHARS` (credit lines).
"""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from zan.datasets import scenario_path
from zan.errors import ScenarioError
from zan.formatting import CREDIT_MAX_CHARS, TITLE_MAX_CHARS, shorten
from zan.maps import choropleth, save
from zan.maps.png import to_png
from zan.reports import write_reports
from zan.scenario import load_scenario

BIG = "Scénario <b>&" + "A" * (50 * 1024 * 1024)  # 50 MB


@pytest.fixture(scope="module")
def frame():
    return gpd.GeoDataFrame(
        {"nom": ["Amont", "Aval"], "envelope_ha": [12.5, 30.0]},
        geometry=[box(650000, 6900000, 660000, 6910000), box(660000, 6900000, 670000, 6910000)],
        index=pd.Index(["59001", "59002"], name="code"),
        crs="EPSG:2154",
    )


def test_shorten_limits():
    assert len(shorten(BIG)) == TITLE_MAX_CHARS and shorten(BIG).endswith("…")
    assert len(shorten(BIG, CREDIT_MAX_CHARS)) == CREDIT_MAX_CHARS
    short = "Consommation et population"
    assert shorten(short) is not None and shorten(short) == short
    exact = "x" * TITLE_MAX_CHARS
    assert shorten(exact) == exact


def test_a_50_mb_title_gives_a_small_map(frame, tmp_path):
    m = choropleth(frame, "envelope_ha", k=2, title=BIG, credit=BIG)
    path = save(m, tmp_path / "carte.html")
    size = path.stat().st_size
    small = save(choropleth(frame, "envelope_ha", k=2, title="T", credit="C"), tmp_path / "c.html")
    assert size < small.stat().st_size + 4 * (TITLE_MAX_CHARS + CREDIT_MAX_CHARS) * 6
    text = path.read_text(encoding="utf-8")
    assert "Scénario" in text and "…" in text
    assert "<b>&" not in text  # still escaped after the cut


def test_a_50_mb_title_on_a_static_map(frame, tmp_path):
    path = to_png(frame, "envelope_ha", tmp_path / "carte.png", title=BIG, credit=BIG)
    assert 0 < path.stat().st_size < 2_000_000


@pytest.mark.slow
def test_reports_of_a_scenario_with_a_huge_name(tmp_path):
    # a 2 MB name is refused when the scenario is read, before any work
    with pytest.raises(ScenarioError, match="at most 200 characters"):
        load_scenario(
            scenario_path("02_consommation_population"),
            overrides={"scenario.name": "Scénario " + "B" * 2_000_000},
        )
    # the longest name a scenario may have is carried whole, and the pages stay small
    name = "Scénario " + "B" * (200 - len("Scénario "))
    scenario = load_scenario(
        scenario_path("02_consommation_population"), overrides={"scenario.name": name}
    )
    batch = write_reports(
        scenario, tmp_path / "r", territories="249600297", formats="html", jobs=1, progress=False
    )
    assert batch.ok
    pages = [p for p in (tmp_path / "r").rglob("*.html")]
    assert pages and any(name in p.read_text(encoding="utf-8") for p in pages)
    for p in (tmp_path / "r").rglob("*"):
        if p.is_file():
            assert p.stat().st_size < 1_500_000, p
