"""Allocation.explain written from compact figures (zan.allocation_explain) and in the page."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from zan.allocate import allocate
from zan.allocation_explain import explain_data, explain_text
from zan.datasets import get_path
from zan.rules import Criterion
from zan.scenario import load_scenario, run_scenario


def _all_equal(alloc) -> int:
    n = 0
    for level in alloc.levels:
        data = explain_data(alloc, level)
        for i, code in enumerate(data["codes"]):
            assert explain_text(data, i) == alloc.explain(code, level=level), (level, code)
            n += 1
    return n


@pytest.fixture(scope="module")
def cascade():
    scenario = get_path("conso_enaf_2009_2023.csv").parents[1] / "scenarios"
    return run_scenario(load_scenario(scenario / "05_cascade_reserve_pene_garantie.toml"))


def test_compact_text_equals_explain_on_a_cascade(cascade):
    # SCoT, EPCI and commune levels: parents, garantie, floors and caps
    assert _all_equal(cascade) > 400
    bounds = set(cascade.table["bound"])
    assert "floor" in bounds


def test_compact_text_equals_explain_on_edge_figures():
    t = pd.DataFrame(
        {
            "nom": ["Aval", "Amont", "Milieu", "Sans passé", "Grand"],
            "reference_ha": [10.0, 30.0, 0.5, 0.0, 123_456.789],
        },
        index=["a", "b", "c", "d", "e"],
    )
    alloc = allocate(
        t,
        100.125,
        criteria=[Criterion("past_consumption", weight=0.7), Criterion("uniform", weight=0.3)],
        floors=pd.Series([10.0, 0.0, 0.01, 1.0, 0.0], index=t.index),
        caps=pd.Series([np.inf, 60.0, np.inf, np.inf, 50.0], index=t.index),
        level="epci",
    )
    assert {"cap", "floor"} <= set(alloc.table["bound"])
    assert _all_equal(alloc) == 5


def test_rows_are_small_json_numbers(cascade):
    data = explain_data(cascade, "commune")
    rows = [json.loads(r) for r in data["r"]]
    assert len(rows) == len(cascade.level_table("commune"))
    # numbers; null; the text of a figure that is not finite (an uncapped commune)
    assert all(isinstance(v, int | float) or v in (None, "∞", "—") for row in rows for v in row)
    assert sum(isinstance(v, str) for row in rows for v in row) <= len(rows)
    # far smaller than the paragraphs they replace
    text = sum(len(cascade.explain(c, level="commune")) for c in data["codes"])
    assert sum(map(len, data["r"])) < text / 4


def test_map_carries_figures_not_paragraphs(cascade, tmp_path):
    from zan.maps import save

    path = save(cascade.explore(), tmp_path / "carte.html")
    html = path.read_text(encoding="utf-8")
    code = cascade.table.index[0]
    sentence = cascade.explain(code).split(" Règle")[0]
    assert sentence not in html  # written by the page, not stored
    assert '"x":{' in html and "function explain(" in html  # the template, once
    assert html.count("Cette part est prise") < 40  # one sentence per parent envelope


def test_national_maps_round_vertices_to_the_same_shapes(monkeypatch):
    import shapely

    from zan.maps import _geometry

    rng = np.random.default_rng(0)
    x = 2 + rng.random(12_000) * 5
    y = 43 + rng.random(12_000) * 5
    geoms = shapely.box(x, y, x + 0.013, y + 0.0071)  # vertices off the grid
    fast = _geometry.encode(geoms, step=0.001)
    monkeypatch.setattr(_geometry, "SNAP_ROUND_FROM", 10**9)
    reduced = _geometry.encode(geoms, step=0.001)
    a, b = _geometry.decode(fast), _geometry.decode(reduced)
    assert len(geoms) >= 10_000 and len(a) == len(geoms)
    assert shapely.is_valid(a).all()
    assert shapely.equals(a, b).all()
