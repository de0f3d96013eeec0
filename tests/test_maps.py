"""Structural tests of zan.maps.choropleth: offline page, classes, French text, escaping."""

from __future__ import annotations

import json
import re

import folium
import numpy as np
import pandas as pd
import pytest
from browser.synthetic import EVIL, allocation_table, voronoi_communes
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from zan.errors import GeometryError, SchemaError
from zan.maps import (
    ZanMap,
    allocation_map,
    choropleth,
    classify,
    credit_line,
    format_number,
    index_by_code,
    save,
    trajectory_map,
)
from zan.maps._base import _ChoroLayer, _Frame, _Labels, _Outline, _Store


def children(m: folium.Map, cls: type) -> list:
    return [c for c in m._children.values() if isinstance(c, cls)]


def payload(element) -> dict:
    return json.loads(element.payload)


@pytest.fixture(scope="module")
def communes():
    return voronoi_communes(60)


@pytest.fixture(scope="module")
def table(communes):
    return allocation_table(communes)


@pytest.fixture(scope="module")
def html(communes, table):
    return choropleth(communes[["geometry"]], "envelope_ha", values=table).get_root().render()


def test_page_makes_no_network_reference(html):
    assert not re.search(r"<(script|link)[^>]+(src|href)=", html)
    for host in ("cdn.jsdelivr", "code.jquery", "bootstrapcdn", "cloudflare", "tile.openstreetmap"):
        assert host not in html
    assert "jQuery" not in html and "$(document)" not in html
    # Leaflet and zan's decoder are inlined
    assert 'L.version="1.9.3"' in html or 'version="1.9.3"' in html
    assert "zan.layer(" in html and "zan.store(" in html


def test_notebook_display_is_self_contained(communes, table):
    m = choropleth(communes, "envelope_ha", values=table)
    iframe = m._repr_html_()
    assert iframe.startswith("<div") and "srcdoc=" in iframe
    assert "zan.store(" in iframe
    assert not re.search(r"&lt;script src=", iframe)


def test_tiles_only_when_asked(communes, table):
    m = choropleth(communes, "envelope_ha", values=table)
    assert not children(m, folium.TileLayer)
    online = choropleth(communes, "envelope_ha", values=table, tiles="OpenStreetMap")
    assert len(children(online, folium.TileLayer)) == 1
    assert "tile.openstreetmap.org" in online.get_root().render()


def test_structure_of_a_choropleth(communes, table):
    m = choropleth(
        communes, "envelope_ha", values=table, k=4, title="Enveloppes", credit="Source X"
    )
    assert isinstance(m, ZanMap) and isinstance(m, folium.Map)
    [store] = children(m, _Store)
    [layer] = children(m, _ChoroLayer)
    [frame] = children(m, _Frame)
    assert payload(store)["codes"] == list(communes.index)
    assert payload(frame)["title"] == "Enveloppes" and payload(frame)["credit"] == "Source X"
    data = payload(layer)
    assert len(data["cls"]) == len(communes)
    assert len(data["pal"]) == 4 and max(data["cls"]) == 3
    assert "Enveloppe 2021-2030 (ha)" in data["legend"]
    # one style per class, not per feature
    assert "fillColor" not in layer.payload
    assert not children(m, folium.LayerControl)  # a single layer needs no control


def test_classes_follow_the_values(communes, table):
    m = choropleth(communes, "envelope_ha", values=table, scheme="user", bins=[2, 5, 10])
    data = payload(children(m, _ChoroLayer)[0])
    y = table["envelope_ha"].to_numpy()
    expected = np.minimum(np.searchsorted([2, 5, 10, max(10, y.max())], y), 3)
    assert data["cls"] == expected.tolist()


@pytest.mark.parametrize("scheme", ["quantiles", "natural_breaks", "equal_interval"])
def test_schemes_give_k_classes_covering_the_values(scheme):
    y = np.random.default_rng(3).lognormal(2, 1, 500)
    c = classify(y, scheme=scheme, k=5)
    assert c.k == 5
    assert c.upper[-1] == pytest.approx(y.max())
    assert c.lower[0] == pytest.approx(y.min())
    assert np.all(np.diff(c.upper) > 0)
    counts = np.bincount(c.yb, minlength=5)
    assert counts.sum() == 500 and (counts > 0).all()


def test_quantiles_hold_equal_counts():
    y = np.arange(100, dtype=float)
    assert np.bincount(classify(y, scheme="quantiles", k=4).yb).tolist() == [25, 25, 25, 25]


@pytest.mark.parametrize("k", [1, 3, 5, 7])
@pytest.mark.parametrize(
    "y",
    [
        np.random.default_rng(5).lognormal(2, 1.5, 3800),
        np.array([0.0, 0.0, 0.0, 0.0, 1.0, 1.0, 2.0, 50.0]),  # repeated values merge classes
        np.linspace(-40.0, 12.5, 91),
    ],
    ids=["lognormal", "repeats", "linear"],
)
def test_quantile_and_equal_interval_bins_are_mapclassify_s(y, k):
    import warnings

    import mapclassify as mc

    from zan.maps._classify import _equal_interval_bins, _quantile_bins

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mapclassify warns when repeats merge classes
        expected_q = np.unique(mc.Quantiles(y, k=k).bins)
        expected_e = mc.EqualInterval(y, k=k).bins
    np.testing.assert_allclose(_quantile_bins(y, k), expected_q, rtol=1e-12, atol=0)
    np.testing.assert_allclose(_equal_interval_bins(y, k), expected_e, rtol=1e-12, atol=1e-12)


def test_natural_breaks_find_obvious_groups():
    y = np.array([1, 1.2, 1.1, 10, 10.5, 11, 50, 52, 51.0])
    assert classify(y, scheme="natural_breaks", k=3).upper == [1.2, 11.0, 52.0]


def _within_class_squares(y: np.ndarray, upper) -> float:
    yb = np.minimum(np.searchsorted(np.asarray(upper), y, side="left"), len(upper) - 1)
    return float(sum(((y[yb == c] - y[yb == c].mean()) ** 2).sum() for c in np.unique(yb)))


@settings(max_examples=60, deadline=None)
@given(
    y=st.lists(
        st.floats(-1e5, 1e5, allow_nan=False, allow_infinity=False), min_size=2, max_size=60
    ).map(np.array),
    k=st.integers(2, 6),
)
def test_natural_breaks_are_as_good_as_mapclassify_fisher_jenks(y, k):
    # Jenks' classes minimise the squares within classes; mapclassify's FisherJenks finds
    # that optimum (up to its own rounding on tiny values), so the hand-written breaks must
    # be at least as good (the bounds themselves may differ only where two partitions tie)
    import warnings

    import mapclassify as mc

    assume(np.unique(y).size > k)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Numba not installed": the pure Python version
        expected = mc.FisherJenks(y, k=k).bins
    got = classify(y, scheme="natural_breaks", k=k).upper
    assert len(got) == k
    assert got[-1] == y.max()
    best = _within_class_squares(y, expected)
    total = float(((y - y.mean()) ** 2).sum())
    assert _within_class_squares(y, got) <= best + max(1e-9 * abs(best), 1e-9 * total)


def test_unknown_scheme_lists_the_valid_ones():
    with pytest.raises(SchemaError, match="valid schemes: quantiles, natural_breaks"):
        classify(np.array([1.0, 2.0]), scheme="jenks")
    with pytest.raises(SchemaError, match="needs bins"):
        classify(np.array([1.0, 2.0]), scheme="user")
    with pytest.raises(SchemaError, match="positive integer"):
        classify(np.array([1.0, 2.0]), k=0)


def test_reduction_rate_is_diverging_around_the_regional_rate(communes, table):
    m = choropleth(communes, "reduction_pct", values=table)
    data = payload(children(m, _ChoroLayer)[0])
    rate = 100 * (1 - table["envelope_ha"].sum() / table["reference_ha"].sum())
    assert f"Centre : taux régional {format_number(rate, 1)} %" in data["legend"]
    c = classify(table["reduction_pct"].to_numpy(), cmap="RdBu_r", center=rate)
    assert rate in c.upper
    below = sum(u <= rate for u in c.upper)
    # classes below the centre are blue (RdBu_r starts blue), above red
    assert all(
        col in ("#0571b0", "#2166ac", "#4393c3", "#92c5de", "#d1e5f0", "#67a9cf")
        for col in c.colours[:below]
    )
    assert all(
        col in ("#ca0020", "#b2182b", "#d6604d", "#f4a582", "#fddbc7", "#ef8a62")
        for col in c.colours[below:]
    )


def test_missing_values_are_grey_and_named(communes, table):
    partial = table.iloc[:-5]
    m = choropleth(communes, "envelope_ha", values=partial)
    data = payload(children(m, _ChoroLayer)[0])
    assert data["cls"][-5:] == [-1] * 5
    assert "non renseigné" in data["legend"]


def test_values_without_territory_warn(communes, table):
    extra = pd.concat([table, table.iloc[:1].rename(index={table.index[0]: "99999"})])
    with pytest.warns(UserWarning, match="1 codes have no territory on the map .*99999"):
        choropleth(communes, "envelope_ha", values=extra)


def test_bad_inputs_say_where_and_how(communes, table):
    with pytest.raises(SchemaError, match="no code in common"):
        choropleth(communes, "envelope_ha", values=table.set_axis([f"X{i}" for i in range(60)]))
    with pytest.raises(SchemaError, match="column 'nope' not found"):
        choropleth(communes, "nope", values=table)
    bad = table.assign(envelope_ha=table["envelope_ha"].astype(object))
    bad.loc[bad.index[3], "envelope_ha"] = "douze"
    with pytest.raises(SchemaError, match=r"row 59004: value 'douze' is not a number"):
        choropleth(communes, "envelope_ha", values=bad)
    empty = communes.copy()
    empty.loc[empty.index[0], "geometry"] = None
    with pytest.raises(GeometryError, match="59001"):
        choropleth(empty, "envelope_ha", values=table)


def test_integer_codes_get_their_leading_zero_back():
    g = voronoi_communes(5).rename(index=lambda c: "0" + c[1:])  # 09001 ...
    values = pd.DataFrame({"x_ha": [1.0, 2, 3, 4, 5]}, index=[9001, 9002, 9003, 9004, 9005])
    data = payload(children(choropleth(g, "x_ha", values=values, k=2), _ChoroLayer)[0])
    assert -1 not in data["cls"]


def test_tooltip_fields_are_french_with_units(communes, table):
    m = choropleth(
        communes,
        "envelope_ha",
        values=table,
        tooltip={"envelope_ha": "Enveloppe", "population_ha": "Part population"},
    )
    tip = payload(children(m, _ChoroLayer)[0])["tip"]
    assert [f["l"] for f in tip] == ["Enveloppe", "Part population"]
    assert tip[0]["u"] == "ha" and tip[0]["d"] == 1
    assert tip[0]["v"] == table["envelope_ha"].round(1).tolist()
    default = payload(children(choropleth(communes, "envelope_ha", values=table), _ChoroLayer)[0])
    assert [f["l"] for f in default["tip"]] == ["Enveloppe 2021-2030", "Taux de réduction"]
    assert default["tip"][1]["u"] == "%"


def test_allocation_popup_explains_the_breakdown(communes, table):
    m = allocation_map(table, communes)
    pop = payload(children(m, _ChoroLayer)[0])["pop"]
    labels = [f.get("l") or f.get("h") for f in pop]
    assert labels == [
        "Détail du calcul",
        "Consommation de référence 2011-2020",
        "Part selon le critère « population »",
        "Part selon le critère « efficacite »",
        "Enveloppe 2021-2030",
        "Taux de réduction",
        "Plancher",
        "Plafond",
        "Borne appliquée",
    ]
    bound = pop[-1]["s"]
    assert set(bound) == {"plancher appliqué", "aucune"}


def test_allocation_explain_text_goes_in_the_popup(communes, table):
    class Alloc:
        def __init__(self, t):
            self.table = t

        def explain(self, code):
            return f"{code}: part <b>calculée</b>"

    m = allocation_map(Alloc(table), communes, explain=True)
    pop = payload(children(m, _ChoroLayer)[0])["pop"]
    assert pop[-1]["t"][0] == "59001: part <b>calculée</b>"  # escaped in the browser by zan.js
    assert "\\u003cb\\u003e" in children(m, _ChoroLayer)[0].payload


def test_data_text_never_reaches_the_page_raw(communes, table):
    evil_table = table.assign(bound=EVIL)
    m = choropleth(
        communes,
        "envelope_ha",
        values=evil_table,
        title=EVIL,
        credit=EVIL,
        labels=True,
        layer_name=EVIL,
        popup=True,
    )
    html = m.get_root().render()
    assert EVIL not in html
    assert "alert(1)" in html  # the text is there, escaped
    assert html.count("<script>") == html.count("</script>")


def test_labels_and_outlines(communes, table):
    epci = communes.assign(epci=np.arange(60) // 15).dissolve("epci")
    epci["nom"] = [f"EPCI {i}" for i in range(4)]
    m = choropleth(communes, "envelope_ha", values=table, outlines={"EPCI": epci}, labels=5)
    [outline] = children(m, _Outline)
    assert outline.layer_name == "EPCI"
    labels = children(m, _Labels)
    assert [len(lab.index) for lab in labels] == [4, 5]  # EPCI names (auto), 5 largest communes
    area = communes.area.to_numpy()
    assert set(labels[1].index) == set(np.argsort(-area)[:5])
    assert children(m, folium.LayerControl)
    with pytest.raises(SchemaError, match="labels: codes not on the map"):
        choropleth(communes, "envelope_ha", values=table, labels=["00000"])


def test_conference_mode_switches_frame_options(communes, table):
    m = choropleth(communes, "envelope_ha", values=table, conference=True)
    opts = payload(children(m, _Frame)[0])
    assert opts["conference"] is True and opts["fullscreen"] is True
    assert ".zan-conf .zan-legend{font-size:24px" in m.get_root().render()


def test_save_is_atomic_and_creates_the_folder(tmp_path, communes, table):
    m = choropleth(communes, "envelope_ha", values=table)
    out = save(m, tmp_path / "carte.html")
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in tmp_path.iterdir()] == ["carte.html"]
    nested = save(m, tmp_path / "nouveau" / "carte.html")
    assert nested.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert [p.name for p in (tmp_path / "nouveau").iterdir()] == ["carte.html"]


def test_index_by_code_detects_columns_and_refuses_duplicates(communes):
    flat = communes.reset_index().rename(columns={"code": "INSEE_COM"})
    assert index_by_code(flat).index.tolist() == communes.index.tolist()
    assert index_by_code(flat.rename(columns={"INSEE_COM": "cc"}), "cc").index[0] == "59001"
    with pytest.raises(SchemaError, match="no territory code column found"):
        index_by_code(flat.rename(columns={"INSEE_COM": "cc"}))
    with pytest.raises(SchemaError, match="codes repeat \\(59001\\)"):
        index_by_code(pd.concat([flat, flat.iloc[:1]]))


def test_trajectory_map_picks_the_status_map(communes):
    t = pd.DataFrame({"status": "on_track", "used_pct": 10.0}, index=communes.index)
    html = trajectory_map(t, communes).get_root().render()
    assert "Dans la trajectoire (60)" in html
    other = trajectory_map(t, communes, column="used_pct", k=1)
    legend = payload(children(other, _ChoroLayer)[0])["legend"]
    assert "Part de l&#x27;enveloppe consommée (%)" in legend


def test_credit_line():
    assert credit_line(("Cerema",), scenario="B") == "Sources : Cerema ; calcul zan, scénario B"


def test_data_in_the_page_is_text_never_a_template(tmp_path):
    """A name with Jinja syntax is written as it is: the scripts carrying the data are
    not compiled as Jinja templates (they were: ``{{ 7*7 }}`` was written ``49``)."""
    import geopandas as gpd
    from shapely.geometry import box

    from zan.maps import choropleth, save

    g = gpd.GeoDataFrame(
        {"nom": ["{{ 7*7 }} {% if 1 %}x{% endif %}", "Aval {# note #}"], "envelope_ha": [1.0, 2.0]},
        geometry=[box(650000, 6900000, 660000, 6910000), box(660000, 6900000, 670000, 6910000)],
        index=pd.Index(["59001", "59002"], name="code"),
        crs="EPSG:2154",
    )
    m = choropleth(g, "envelope_ha", k=2)
    first = save(m, tmp_path / "a.html").read_text(encoding="utf-8")
    assert "{{ 7*7 }} {% if 1 %}x{% endif %}" in first and "Aval {# note #}" in first
    assert "49 x" not in first
    assert first.count("zan.store(") == 1 and first.count(".addTo(") >= 1
