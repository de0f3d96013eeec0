"""Colours a room of elected officials can tell apart, and static legends off the territory.

Colour-vision deficiencies are simulated with the matrices of Machado, Oliveira and
Fernandes (2009, severity 1) on linear sRGB, and colours compared by their CIE 1976
ΔE in CIELAB. Trajectory statuses must stay ≥ 30 apart under normal vision,
protanopia, deuteranopia and tritanopia; a red/green pair (the former RdYlGn colours
among them) falls below that under protanopia or deuteranopia, so the check would
catch a return to one. Statuses also differ by their hatching.
"""

from __future__ import annotations

import itertools
import json

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from zan.datasets import scenario_path
from zan.maps import STATUS_COLOURS, STATUS_HATCHES, status_map
from zan.maps._classify import palette
from zan.maps.choropleth import default_cmap
from zan.maps.compare import difference_classes
from zan.scenario import run_scenario

#: Machado et al. (2009), severity 1.0, applied to linear RGB.
SIMULATIONS = {
    "vision normale": np.eye(3),
    "protanopie": np.array(
        [
            [0.152286, 1.052583, -0.204868],
            [0.114503, 0.786281, 0.099216],
            [-0.003882, -0.048116, 1.051998],
        ]
    ),
    "deutéranopie": np.array(
        [
            [0.367322, 0.860646, -0.227968],
            [0.280085, 0.672501, 0.047413],
            [-0.011820, 0.042940, 0.968881],
        ]
    ),
    "tritanopie": np.array(
        [
            [1.255528, -0.076749, -0.178779],
            [-0.078411, 0.930809, 0.147602],
            [0.004733, 0.691367, 0.303900],
        ]
    ),
}
THRESHOLD = 30.0  # ΔE76: far apart enough to read a category off a projected map


def _linear(colour: str) -> np.ndarray:
    c = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)]) / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(rgb: np.ndarray) -> np.ndarray:
    xyz = np.array(
        [
            [0.4124564, 0.3575761, 0.1804375],
            [0.2126729, 0.7151522, 0.0721750],
            [0.0193339, 0.1191920, 0.9503041],
        ]
    ) @ np.clip(rgb, 0, 1)
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def closest(colours, simulation: str) -> float:
    """Smallest ΔE76 between two of ``colours`` as seen under ``simulation``."""
    m = SIMULATIONS[simulation]
    labs = [_lab(m @ _linear(c)) for c in colours]
    return min(float(np.linalg.norm(a - b)) for a, b in itertools.combinations(labs, 2))


def test_simulation_reference_points():
    # white and black are unchanged; pure red and green come close for a deuteranope
    assert closest(["#ffffff", "#000000"], "deutéranopie") == pytest.approx(100, abs=0.1)
    normal = closest(["#ff0000", "#00ff00"], "vision normale")
    assert normal > 150 and closest(["#ff0000", "#00ff00"], "deutéranopie") < normal / 3


@pytest.mark.parametrize("simulation", list(SIMULATIONS))
def test_status_colours_stay_apart_for_colour_blind_viewers(simulation):
    got = closest(list(STATUS_COLOURS.values()), simulation)
    assert got >= THRESHOLD, f"{simulation}: statuses {got:.1f} apart"


@pytest.mark.parametrize(
    "pair",
    [
        ("#1a9850", "#fdae61", "#d73027"),  # the former statuses (ColorBrewer RdYlGn)
        ("#d73027", "#1a9850"),
        ("#e41a1c", "#4daf4a"),
        ("#ff0000", "#008000"),
        ("#d62728", "#2ca02c"),
    ],
)
def test_a_red_green_pair_fails_the_check(pair):
    assert min(closest(pair, s) for s in ("protanopie", "deutéranopie")) < THRESHOLD


def _mirrors(colours: list[str]) -> list[tuple[str, str]]:
    """Classes of a diverging scale at the same distance from its centre."""
    n = len(colours)
    return [(colours[i], colours[n - 1 - i]) for i in range(n // 2)]


@pytest.mark.parametrize("simulation", ["protanopie", "deutéranopie"])
def test_difference_and_reduction_scales_keep_both_sides_apart(simulation):
    # a loss and a gain of the same size differ by hue only: it must survive the simulation
    d = difference_classes(np.array([-9.0, -4.0, -1.0, 0.0, 1.0, 4.0, 9.0]), k=5)
    for cmap in (d.colours, palette(default_cmap("reduction_pct"), 5)):
        for a, b in _mirrors(cmap):
            assert closest([a, b], simulation) >= THRESHOLD, (a, b)
    bad = palette("RdYlGn", 5)  # the check refuses a red/green diverging scale
    assert min(closest([a, b], simulation) for a, b in _mirrors(bad)) < THRESHOLD


def _squares() -> gpd.GeoDataFrame:
    cells = [
        box(650000 + 5000 * i, 6900000 + 5000 * j, 655000 + 5000 * i, 6905000 + 5000 * j)
        for i in range(3)
        for j in range(3)
    ]
    return gpd.GeoDataFrame(
        {"nom": [f"T{i}" for i in range(9)]},
        geometry=cells,
        index=pd.Index([f"{59000 + i}" for i in range(9)], name="code"),
        crs="EPSG:2154",
    )


def test_statuses_differ_by_hatching_in_html_and_png():
    hatches = list(STATUS_HATCHES.values())
    assert len(set(hatches)) == 3 and list(STATUS_HATCHES) == list(STATUS_COLOURS)
    g = _squares()
    t = pd.DataFrame({"status": np.resize(list(STATUS_COLOURS), 9)}, index=g.index)
    m = status_map(g, values=t)
    [layer] = [c for c in m._children.values() if hasattr(c, "classes")]
    data = json.loads(layer.payload)
    assert data["hatch"] == hatches and data["pal"] == list(STATUS_COLOURS.values())
    assert data["legend"].count("repeating-linear-gradient") == 3  # "//" once, "xx" twice
    from zan.maps.png import _figure

    fig = _figure(g, "status", values=t, **_PNG)
    try:
        ax = fig.axes[0]
        drawn = sorted(c.get_hatch() or "" for c in ax.collections)
        assert drawn == ["", "//", "xx"]
        legend = [h.get_hatch() or "" for h in ax.get_legend().legend_handles]
        assert legend == hatches
    finally:
        import matplotlib.pyplot as plt

        plt.close(fig)


_PNG = dict(
    scheme="quantiles",
    k=5,
    bins=None,
    cmap=None,
    center=None,
    title="Titre",
    credit="Calcul zan",
    legend_title=None,
    unit=None,
    outlines=None,
    figsize=(8.0, 8.0),
)


def _demo():
    alloc = run_scenario(scenario_path("01_reduction_uniforme"))
    return alloc.territories.geometries(alloc.level), alloc.level_table(alloc.level)


@pytest.mark.parametrize("region", ["démo", "carré plein", "bande large"])
@pytest.mark.parametrize("column", ["envelope_ha", "status"])
def test_static_legend_never_over_the_polygons(region, column):
    import matplotlib.pyplot as plt

    from zan.maps.png import _figure

    if region == "démo":
        g, table = _demo()
        table = table.copy()
    else:
        g = _squares()
        if region == "bande large":  # one row of cells, far wider than high
            g = g.iloc[::3]
        table = pd.DataFrame({"envelope_ha": np.arange(len(g), dtype=float) + 1}, index=g.index)
    table["status"] = np.resize(list(STATUS_COLOURS), len(table))
    fig = _figure(g, column, values=table, **_PNG)
    try:
        fig.canvas.draw()
        ax = fig.axes[0]
        legend = ax.get_legend().get_window_extent()
        x0, y0, x1, y1 = g.to_crs(2154).total_bounds
        (px0, py0), (px1, py1) = ax.transData.transform([(x0, y0), (x1, y1)])
        assert not (legend.x0 < px1 and px0 < legend.x1 and legend.y0 < py1 and py0 < legend.y1), (
            f"legend {legend} over the polygons ({px0}, {py0}, {px1}, {py1})"
        )
        # pixel by pixel: what the legend covers is blank page, never a polygon
        with_legend = np.asarray(fig.canvas.buffer_rgba())[..., :3].copy()
        ax.get_legend().set_visible(False)
        fig.canvas.draw()
        without = np.asarray(fig.canvas.buffer_rgba())[..., :3]
        under = (with_legend != without).any(axis=2)
        assert (without[under] == 255).all(), f"{int((without[under] < 255).any(axis=1).sum())} px"
    finally:
        plt.close(fig)


@pytest.mark.slow
def test_status_hatching_drawn_in_chromium(tmp_path):
    from browser.chromium import OfflinePage, browser

    from zan.maps import save

    g = _squares()
    t = pd.DataFrame({"status": np.resize(list(STATUS_COLOURS), 9)}, index=g.index)
    path = save(status_map(g, values=t, conference=True), tmp_path / "statuts.html")
    with browser() as b:
        page = OfflinePage(b, width=1280, height=720)
        try:
            page.open(path)
            fills = page.page.evaluate(
                "[...document.querySelectorAll('path.leaflet-interactive')]"
                ".map(p => p.getAttribute('fill'))"
            )
            assert fills[:3] == ["#004488", "url(#zan-h-dd-ddaa33)", "url(#zan-h-xx-bb5566)"]
            patterns = page.page.evaluate(
                "[...document.querySelectorAll('#zan-hatches pattern')].map(p => p.id)"
            )
            assert sorted(patterns) == ["zan-h-dd-ddaa33", "zan-h-xx-bb5566"]
            swatches = page.page.evaluate(
                "[...document.querySelectorAll('.zan-legend i')]"
                ".map(i => getComputedStyle(i).backgroundImage)"
            )
            assert swatches[0] == "none" and all("gradient" in s for s in swatches[1:3])
            # hovering keeps the hatching (Leaflet restyles the path on mouseout)
            page.page.hover("path.leaflet-interactive >> nth=1")
            page.page.mouse.move(1, 1)
            fill = page.page.evaluate(
                "document.querySelectorAll('path.leaflet-interactive')[1].getAttribute('fill')"
            )
            assert fill == "url(#zan-h-dd-ddaa33)"
            assert page.network == [] and page.errors == []
        finally:
            page.close()
