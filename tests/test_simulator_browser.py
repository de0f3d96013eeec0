"""The live simulator in Chromium: the page's allocation equals zan's on the TOML it exports.

For random settings (and the edge ones) the envelopes the page computes equal, territory by
territory in integer units of the resolution, what zan allocates from the scenario TOML the
page exports (``toml()`` written to a file and read back by zan: a share of them through
``run_scenario``, the rest on data prepared once); the same settings typed into the inputs
give the same state; no network request; no control over the polygons at three screen
sizes; the download button saves ``toml()``.
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np
import pandas as pd
import pytest
from browser.chromium import OfflinePage, browser
from browser.sim_data import random_settings, write_scenario

from zan.allocate import allocate
from zan.envelope import regional_envelope
from zan.garantie import garantie_floors
from zan.maps.simulator import simulator_html
from zan.scenario import load_scenario, prepare_scenario, run_scenario

pytestmark = pytest.mark.filterwarnings("ignore::zan.errors.ZanWarning")

SIZES = [(1920, 1080), (1280, 720), (1024, 768)]


def allocate_on(prep, scenario):
    """Allocate a scenario read from a file on the data of ``prep`` (same data, read once).

    The envelope, garantie, floors and caps are built from ``scenario`` as
    :func:`zan.scenario.prepare_scenario` builds them; the full path is checked against
    this one on part of the settings.
    """
    fl, communes = scenario.floors, prep.communes
    level = prep.levels[-1]
    n_gar = 0
    per_commune = pd.Series(0.0, index=communes.index)
    if fl.garantie_communale:
        eligible = communes[fl.eligible_column] if fl.eligible_column else fl.eligible
        per_commune = garantie_floors(
            eligible, communes=communes.index, ha_per_commune=fl.ha_per_commune
        )
        n_gar = int(round(per_commune.sum() / fl.ha_per_commune)) if fl.ha_per_commune else 0
    assign = communes.index.to_series() if level == "commune" else communes[level]
    table = prep.table
    garantie = per_commune.groupby(assign.to_numpy()).sum().reindex(table.index).fillna(0.0)
    e = scenario.envelope
    env = regional_envelope(
        prep.envelope.reference_ha,
        reduction=e.reduction,
        envelope_ha=e.envelope_ha,
        pene=e.pene,
        reserve_ha=e.reserve_ha,
        reserve_share=e.reserve_share,
        garantie_communes=n_gar,
        reference_period=prep.envelope.reference_period,
    )
    ref = pd.to_numeric(table["reference_ha"], errors="coerce").fillna(0.0)
    floors = pd.Series(fl.ha, index=table.index, dtype=np.float64)
    if fl.share_of_reference:
        floors = np.maximum(floors, fl.share_of_reference * ref)
    caps = pd.Series(np.inf, index=table.index, dtype=np.float64)
    if scenario.caps.ha is not None:
        caps = np.minimum(caps, scenario.caps.ha)
    if scenario.caps.share_of_reference is not None:
        caps = np.minimum(caps, scenario.caps.share_of_reference * ref)
    criteria = [
        dataclasses.replace(c, weight=s.weight)
        for c, s in zip(prep.criteria, scenario.criteria, strict=True)
    ]
    a = scenario.allocation
    return allocate(
        table,
        env,
        criteria=criteria,
        level=level,
        floors=floors,
        caps=caps,
        garantie=garantie,
        resolution=a.resolution,
        rounding=a.rounding,
        normalise=a.normalise,
    )


def units_of(alloc, codes, resolution):
    t = alloc.table.copy()
    t.index = t.index.astype(str)
    return np.round(t.loc[codes, "envelope_ha"].to_numpy() / resolution).astype(np.int64)


def page_states(page, settings):
    """``set`` each settings in the page; its envelopes, total and TOML for each."""
    return page.evaluate(
        """(all) => all.map((s) => {
             window.zanSimulator.reset();
             const st = window.zanSimulator.set(s);
             return {envelopes: st.envelopes, total_ha: st.total_ha, error: st.error,
                     toml: window.zanSimulator.toml()};
           })""",
        settings,
    )


def check_parity(tmp_path, prep, page, settings, *, full_every: int):
    """Compare the page and zan on every settings; return how many were compared."""
    codes = sorted(map(str, prep.table.index))
    states = page_states(page, settings)
    compared = 0
    for k, (s, st) in enumerate(zip(settings, states, strict=True)):
        path = tmp_path / f"exported_{k}.toml"
        path.write_text(st["toml"], encoding="utf-8")
        sc = load_scenario(path)
        try:
            fast = allocate_on(prep, sc)
        except Exception as exc:  # an infeasible setting: the page must refuse it too
            assert st["error"], f"settings {k} {s}: zan refused ({exc}) but the page did not"
            continue
        assert st["error"] is None, f"settings {k} {s}: page refused: {st['error']}"
        page_units = np.round(np.array([st["envelopes"][c] for c in codes]) / s["resolution"])
        zan_units = units_of(fast, codes, s["resolution"])
        assert (page_units.astype(np.int64) == zan_units).all(), (
            f"settings {k} {s}: {int((page_units != zan_units).sum())} territories differ"
        )
        assert round(st["total_ha"] / s["resolution"]) == zan_units.sum()
        if k % full_every == 0:  # the whole path: zan reads the exported file and its data
            full = run_scenario(path)
            assert (units_of(full, codes, s["resolution"]) == zan_units).all()
        compared += 1
    return compared


@pytest.fixture(scope="module")
def epci92(tmp_path_factory):
    folder = tmp_path_factory.mktemp("sim92")
    path = write_scenario(folder / "data", communes=460, epci=92, seed=3)
    prep = prepare_scenario(path)
    page_path = simulator_html(prep, out=folder / "simulateur.html")
    with browser() as b:
        page = OfflinePage(b, width=1280, height=720)
        page.open(page_path, selector="path.zs-poly")
        yield prep, page, page_path, b
        page.close()


@pytest.mark.slow
def test_page_equals_zan_on_the_exported_toml_at_92_epci(tmp_path, epci92):
    prep, page, _, _ = epci92
    base = page.page.evaluate("window.zanSimulator.reset().settings")
    settings = random_settings(np.random.default_rng(15), base, 230)
    compared = check_parity(tmp_path, prep, page.page, settings, full_every=12)
    assert compared >= 200
    assert page.network == [] and page.errors == []


def test_edge_settings_equal_zan_at_92_epci(tmp_path, epci92):
    prep, page, _, _ = epci92
    base = page.page.evaluate("window.zanSimulator.reset().settings")
    settings = random_settings(np.random.default_rng(1), base, 12)
    assert check_parity(tmp_path, prep, page.page, settings, full_every=4) >= 10
    assert page.network == []


def test_infeasible_settings_are_refused_in_french(epci92):
    _, page, _, _ = epci92
    st = page.page.evaluate("window.zanSimulator.set({floor_ha: 1e6})")
    assert st["envelopes"] is None and "planchers" in st["error"]
    assert page.page.is_visible("#zs-error")
    st = page.page.evaluate("window.zanSimulator.reset()")
    assert st["error"] is None and not page.page.is_visible("#zs-error")


def fill_inputs(page, s, n_crit):
    """Type settings into the page's inputs as a person would."""

    def typed(selector, value):
        page.fill(selector, "" if value is None else repr(float(value)))

    for i in range(n_crit):
        typed(f"#zs-w{i}", s["weights"][i])
    typed("#zs-reduction", s["reduction"])
    typed("#zs-reserve", s["reserve_share"])
    if page.is_checked("#zs-garantie") != s["garantie"]:
        page.click("#zs-garantie")
    typed("#zs-garantie-ha", s["garantie_ha"])
    typed("#zs-floor-share", s["floor_share"])
    typed("#zs-floor-ha", s["floor_ha"])
    typed("#zs-cap-share", s["cap_share"])
    typed("#zs-cap-ha", s["cap_ha"])
    page.select_option("#zs-resolution", str(s["resolution"]).removesuffix(".0"))
    page.select_option("#zs-rounding", s["rounding"])


def test_settings_typed_into_the_inputs_give_the_same_state(epci92):
    _, page, _, _ = epci92
    p = page.page
    base = p.evaluate("window.zanSimulator.reset().settings")
    settings = random_settings(np.random.default_rng(7), base, 14)[6:]
    for s in settings:
        expected = p.evaluate(
            "(s) => { window.zanSimulator.reset(); return window.zanSimulator.set(s); }", s
        )
        p.evaluate("window.zanSimulator.reset()")
        fill_inputs(p, s, len(base["weights"]))
        got = p.evaluate("window.zanSimulator.state()")
        assert got["settings"] == expected["settings"]
        assert got["envelopes"] == expected["envelopes"] and got["total_ha"] == expected["total_ha"]
        # and the table shows it, in French formatting
        first = p.inner_text("#zs-tbody tr.zs-r >> nth=0 >> td:nth-child(4)")
        code = p.inner_text("#zs-tbody tr.zs-r >> nth=0 >> td:nth-child(1)")
        value = got["envelopes"][code]
        assert first == f"{value:,.2f}".replace(",", "\u202f").replace(".", ",")


def test_download_button_saves_the_toml(tmp_path, epci92):
    _, page, _, _ = epci92
    p = page.page
    p.evaluate("window.zanSimulator.set({weights: [0.2, 0.5, 0.3], reduction: 0.6})")
    with p.expect_download() as info:
        p.click("#zs-download")
    saved = tmp_path / info.value.suggested_filename
    info.value.save_as(saved)
    assert saved.name.endswith(".toml")
    assert saved.read_text(encoding="utf-8") == p.evaluate("window.zanSimulator.toml()")
    assert "sha256" in saved.read_text(encoding="utf-8")
    assert page.network == []


def overlaps(a, b):
    return not (
        a["x"] + a["width"] <= b["x"]
        or b["x"] + b["width"] <= a["x"]
        or a["y"] + a["height"] <= b["y"]
        or b["y"] + b["height"] <= a["y"]
    )


CONTROLS = "#zs-panel, #zs-head, #zs-legend, #zs-charts, #zs-tablebox, #zs-panel input, #zs-panel select, #zs-panel button"


@pytest.mark.parametrize(("width", "height"), SIZES)
def test_no_control_over_the_polygons_and_no_network(epci92, width, height):
    _, _, page_path, b = epci92
    page = OfflinePage(b, width=width, height=height)
    try:
        page.open(page_path, selector="path.zs-poly")
        polys = page.page.evaluate(
            """() => { const r = document.getElementById('zs-svg').querySelector('path').ownerSVGElement;
                 let x0=1e9,y0=1e9,x1=-1e9,y1=-1e9;
                 for (const p of r.querySelectorAll('path')) { const b = p.getBoundingClientRect();
                   x0=Math.min(x0,b.left); y0=Math.min(y0,b.top); x1=Math.max(x1,b.right); y1=Math.max(y1,b.bottom); }
                 return {x:x0, y:y0, width:x1-x0, height:y1-y0}; }"""
        )
        assert polys["width"] > 200 and polys["height"] > 150  # the map is not squeezed
        assert polys["x"] >= 0 and polys["y"] >= 0
        assert polys["x"] + polys["width"] <= width and polys["y"] + polys["height"] <= height
        boxes = page.page.evaluate(
            "(sel) => Array.from(document.querySelectorAll(sel)).map((e) => {"
            " const b = e.getBoundingClientRect(); return {id: e.id || e.tagName, x: b.left, y: b.top,"
            " width: b.width, height: b.height}; }).filter((b) => b.width > 0 && b.height > 0)",
            CONTROLS,
        )
        assert len(boxes) > 20
        over = [bx["id"] for bx in boxes if overlaps(bx, polys)]
        assert over == [], f"{width}x{height}: {over} over the polygons"
        assert page.network == [] and page.errors == []
    finally:
        page.close()


@pytest.mark.slow
def test_page_equals_zan_at_commune_level_3800(tmp_path_factory, epci92):
    b = epci92[3]  # one Playwright per module
    folder = tmp_path_factory.mktemp("sim3800")
    path = write_scenario(folder / "data", communes=3800, epci=92, level="commune", seed=5)
    prep = prepare_scenario(path)
    page_path = simulator_html(prep, out=folder / "simulateur.html")
    page = OfflinePage(b, width=1920, height=1080)
    try:
        page.open(page_path, selector="path.zs-poly")
        base = page.page.evaluate("window.zanSimulator.reset().settings")
        settings = random_settings(np.random.default_rng(38), base, 30)
        compared = check_parity(folder, prep, page.page, settings, full_every=12)
        assert compared >= 20
        ms = page.page.evaluate(
            "(s) => { const t = []; for (let k = 0; k < 5; k++) {"
            " const a = performance.now(); window.zanSimulator.set(s[k % s.length]);"
            " t.push(performance.now() - a); } return t; }",
            settings,
        )
        assert min(ms) < 3000  # a generous bound; scripts/bench_simulator.py measures
        assert page.network == [] and page.errors == []
        data = page.page.evaluate("document.getElementById('zs-data').textContent")
        assert json.loads(data)["level"] == "commune"
    finally:
        page.close()


@pytest.mark.slow
@pytest.mark.realdata
def test_page_equals_zan_on_the_real_hauts_de_france_epci(tmp_path_factory, epci92):
    """The 92 EPCI of Hauts-de-France (real boundaries and membership, synthetic consumption)."""
    from browser.sim_data import write_real_scenario
    from helpers import shared_path

    hdf = shared_path("hdf", "boundaries").parent
    folder = tmp_path_factory.mktemp("simhdf")
    prep = prepare_scenario(write_real_scenario(folder / "data", hdf, level="epci"))
    assert len(prep.table) == 92
    page_path = simulator_html(prep, out=folder / "simulateur.html")
    page = OfflinePage(epci92[3], width=1920, height=1080)
    try:
        page.open(page_path, selector="path.zs-poly")
        base = page.page.evaluate("window.zanSimulator.reset().settings")
        settings = random_settings(np.random.default_rng(92), base, 60)
        assert check_parity(folder, prep, page.page, settings, full_every=20) >= 20
        assert page.network == [] and page.errors == []
    finally:
        page.close()


def test_a_slider_moved_with_the_keyboard_updates_everything(epci92):
    _, page, _, _ = epci92
    p = page.page
    base = p.evaluate("window.zanSimulator.reset().settings")
    before = p.inner_text("#zs-summary")
    p.focus("#zs-w0-range")
    for _ in range(20):
        p.keyboard.press("ArrowLeft")
    got = p.evaluate("window.zanSimulator.state()")
    assert got["settings"]["weights"][0] == round(base["weights"][0] - 0.2, 2)
    assert p.input_value("#zs-w0") == str(got["settings"]["weights"][0])
    expected = p.evaluate(
        "(w) => { window.zanSimulator.reset(); return window.zanSimulator.set({weights: w}); }",
        got["settings"]["weights"],
    )
    assert (
        got["envelopes"]
        == expected["envelopes"]
        != p.evaluate("window.zanSimulator.reset().envelopes")
    )
    assert p.inner_text("#zs-summary") == before  # same total, only the shares moved
    assert "gagnants" in p.inner_text("#zs-diff-note")
