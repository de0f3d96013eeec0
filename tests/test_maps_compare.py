"""Structural tests: scenarios, differences, side by side, status map, atlas, static PNG."""

from __future__ import annotations

import json

import folium
import numpy as np
import pandas as pd
import pytest
from branca.element import Figure
from browser.synthetic import EVIL, allocation_table, voronoi_communes

from zan.errors import DataError, SchemaError
from zan.maps import atlas, choropleth, scenario_layers, side_by_side, status_map, to_png
from zan.maps._base import _ChoroLayer, _Store, _Switcher
from zan.maps.compare import difference_classes


def layers(m) -> list[_ChoroLayer]:
    return [c for c in m._children.values() if isinstance(c, _ChoroLayer)]


@pytest.fixture(scope="module")
def communes():
    return voronoi_communes(50)


@pytest.fixture(scope="module")
def scenarios(communes):
    return {
        "SRADDET": allocation_table(communes, seed=1),
        "Population": allocation_table(communes, seed=2, factor=1.2),
    }


def test_one_layer_per_scenario_plus_differences(communes, scenarios):
    m = scenario_layers(communes, "envelope_ha", scenarios)
    names = [lay.layer_name for lay in layers(m)]
    assert names == [
        "SRADDET",
        "Population",
        "Écart Population − SRADDET (ha)",
        "Écart Population − SRADDET (points de réduction)",
    ]
    assert [lay.show for lay in layers(m)] == [True, False, False, False]
    assert all(not lay.overlay for lay in layers(m))  # radio buttons: one at a time
    assert len([c for c in m._children.values() if isinstance(c, _Store)]) == 1  # geometry once
    assert [c for c in m._children.values() if isinstance(c, folium.LayerControl)]


def test_scenarios_share_one_classification(communes, scenarios):
    a, b = (
        json.loads(lay.payload)
        for lay in layers(scenario_layers(communes, "envelope_ha", scenarios))[:2]
    )
    assert a["pal"] == b["pal"]
    both = np.concatenate([t["envelope_ha"].to_numpy() for t in scenarios.values()])
    # the same figure falls in the same class in either scenario
    ya = scenarios["SRADDET"]["envelope_ha"].to_numpy()
    yb = scenarios["Population"]["envelope_ha"].to_numpy()
    same = np.isclose(ya[:, None], yb[None, :])
    i, j = np.nonzero(same)
    assert all(a["cls"][p] == b["cls"][q] for p, q in zip(i, j, strict=True))
    assert max(a["cls"] + b["cls"]) == 4
    assert np.bincount(a["cls"] + b["cls"]).tolist() == [len(both) // 5] * 5  # joint quantiles


def test_difference_layer_values_are_b_minus_a(communes, scenarios):
    diff = json.loads(layers(scenario_layers(communes, "envelope_ha", scenarios))[2].payload)
    expected = scenarios["Population"]["envelope_ha"] - scenarios["SRADDET"]["envelope_ha"]
    assert diff["tip"][0]["v"] == expected.round(1).tolist()
    assert diff["tip"][0]["sg"] is True and diff["tip"][0]["u"] == "ha"
    points = json.loads(layers(scenario_layers(communes, "envelope_ha", scenarios))[3].payload)
    assert points["tip"][0]["u"] == "points"
    assert "écart Population − SRADDET (points de réduction)" in points["legend"]


def test_every_scenario_gets_its_differences_against_the_first(communes, scenarios):
    three = {**scenarios, "Sobriété": allocation_table(communes, seed=3, factor=0.8)}
    m = scenario_layers(communes, "envelope_ha", three)
    names = [lay.layer_name for lay in layers(m)]
    assert names == [
        "SRADDET",
        "Population",
        "Sobriété",
        "Écart Population − SRADDET (ha)",
        "Écart Population − SRADDET (points de réduction)",
        "Écart Sobriété − SRADDET (ha)",
        "Écart Sobriété − SRADDET (points de réduction)",
    ]
    diff = json.loads(layers(m)[5].payload)
    expected = three["Sobriété"]["envelope_ha"] - three["SRADDET"]["envelope_ha"]
    assert diff["tip"][0]["v"] == expected.round(1).tolist()
    html = m.get_root().render()  # the layer control's entries, JSON-escaped in the page
    assert json.dumps("Écart Population − SRADDET (ha)") in html
    assert json.dumps("Écart Sobriété − SRADDET (points de réduction)") in html
    # a named pair, or a list of pairs, still picks the layers
    one = scenario_layers(communes, "envelope_ha", three, difference=("Population", "Sobriété"))
    assert [lay.layer_name for lay in layers(one)][3:] == [
        "Écart Sobriété − Population (ha)",
        "Écart Sobriété − Population (points de réduction)",
    ]
    listed = scenario_layers(communes, "envelope_ha", three, difference=[("Sobriété", "SRADDET")])
    assert [lay.layer_name for lay in layers(listed)][3] == "Écart SRADDET − Sobriété (ha)"
    with pytest.raises(SchemaError, match="no scenario named 'X'"):
        scenario_layers(communes, "envelope_ha", three, difference=[("SRADDET", "X")])


def test_difference_classes_are_symmetric_with_an_unchanged_class():
    d = np.array([-10.0, -3.0, -0.01, 0.0, 0.02, 2.0, 9.0, np.nan])
    c = difference_classes(d, k=5, decimals=1)
    assert c.labels[len(c.labels) // 2] == "inchangé"
    assert c.yb.tolist()[2:5] == [2, 2, 2] and c.yb[-1] == -1
    assert c.yb[0] < 2 < c.yb[-2]
    assert c.colours[2] == "#f7f7f7"  # white centre of RdBu


def test_difference_pair_must_exist(communes, scenarios):
    with pytest.raises(SchemaError, match="no scenario named 'X'; scenarios: SRADDET, Population"):
        scenario_layers(communes, "envelope_ha", scenarios, difference=("X", "SRADDET"))
    with pytest.raises(SchemaError, match="give a dict"):
        scenario_layers(communes, "envelope_ha", {})


def test_conference_mode_adds_the_scenario_switcher(communes, scenarios):
    m = scenario_layers(communes, "envelope_ha", scenarios, conference=True, difference=False)
    [switcher] = [c for c in m._children.values() if isinstance(c, _Switcher)]
    assert [label for label, _ in switcher.items] == ["SRADDET", "Population"]
    assert "zan.switcher(" in m.get_root().render()


def test_side_by_side_holds_two_synchronised_maps(communes, scenarios):
    fig = side_by_side(communes, "envelope_ha", scenarios)
    assert isinstance(fig, Figure)
    maps = [c for c in fig._children.values() if isinstance(c, folium.Map)]
    assert len(maps) == 2
    assert [m.left for m in maps] == [(0.0, "%"), (50.0, "%")]
    html = fig.render()
    assert f"zan.sync({maps[0].get_name()}, {maps[1].get_name()})" in html
    assert html.count('t.version="1.9.3"') == 1  # Leaflet inlined once for both maps
    pal = [json.loads(layers(m)[0].payload)["pal"] for m in maps]
    assert pal[0] == pal[1]
    with pytest.raises(SchemaError, match="exactly two scenarios"):
        side_by_side(communes, "envelope_ha", {"A": scenarios["SRADDET"]})


def test_status_map_categories_and_counts(communes):
    status = np.array(
        ["on_track", "will_exceed", "exceeded"] * 16 + ["on_track", None], dtype=object
    )
    t = pd.DataFrame({"status": status, "used_pct": 50.0}, index=communes.index)
    m = status_map(communes, values=t)
    data = json.loads(layers(m)[0].payload)
    assert data["pal"] == ["#004488", "#ddaa33", "#bb5566"]  # Paul Tol high-contrast
    assert data["hatch"] == ["", "//", "xx"]
    assert data["cls"][:3] == [0, 1, 2] and data["cls"][-1] == -1
    for text in (
        "Dans la trajectoire (17)",
        "Dépassement prévu (16)",
        "Enveloppe dépassée (16)",
        "non renseigné (1)",
    ):
        assert text in data["legend"]
    assert data["tip"][0]["s"][:3] == [
        "Dans la trajectoire",
        "Dépassement prévu",
        "Enveloppe dépassée",
    ]
    bad = t.assign(status="late")
    with pytest.raises(SchemaError, match="unknown status 'late'; valid statuses: on_track"):
        status_map(communes, values=bad)


def test_atlas_bundles_maps_with_a_menu(tmp_path, communes, scenarios):
    t = scenarios["SRADDET"]
    path = tmp_path / "atlas.html"
    html = atlas(
        {
            "Enveloppes": choropleth(communes, "envelope_ha", values=t),
            "Réductions": {
                "kind": "choropleth",
                "gdf": communes,
                "column": "reduction_pct",
                "values": t,
            },
            EVIL: "<p>page</p>",
        },
        path,
        title="Atlas démo",
    )
    assert path.read_text(encoding="utf-8") == html
    assert html.count("<button") == 3 and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    pages = json.loads(html.split('id="zan-pages">')[1].split("</script>")[0])
    assert len(pages) == 3 and "zan.store(" in pages[1] and "Taux de réduction" in pages[1]
    assert EVIL not in html.replace(json.dumps(EVIL), "")
    with pytest.raises(SchemaError, match="unknown kind 'pie'"):
        atlas({"x": {"kind": "pie"}})
    with pytest.raises(SchemaError, match="non-empty dict"):
        atlas({})


def test_png_map_uses_the_class_colours(tmp_path, communes, scenarios):
    import matplotlib.image as mpimg

    out = to_png(
        communes,
        "envelope_ha",
        tmp_path / "carte.png",
        values=scenarios["SRADDET"],
        title="Enveloppes",
        k=3,
        dpi=60,
    )
    assert [p.name for p in tmp_path.iterdir()] == ["carte.png"]
    img = (mpimg.imread(out)[..., :3] * 255).round().astype(int)
    colours = {tuple(int(h[i : i + 2], 16) for i in (1, 3, 5)) for h in ("#edf8b1", "#2c7fb8")}
    found = {tuple(px) for px in img.reshape(-1, 3)[::7]}
    assert colours <= found
    with pytest.raises(DataError, match="does not exist"):
        to_png(communes, "envelope_ha", tmp_path / "no" / "c.png", values=scenarios["SRADDET"])


@pytest.mark.slow
def test_scenario_atlas_differences_every_scenario_against_the_first(tmp_path):
    from zan.atlas import scenario_atlas
    from zan.datasets import scenario_path

    names = ["01_reduction_uniforme", "02_consommation_population", "03_efficacite"]
    page = scenario_atlas([scenario_path(n) for n in names], tmp_path / "atlas.html")
    base = "Réduction uniforme"
    for other in ("Consommation et population", "Efficacité foncière"):
        for unit in ("ha", "points de réduction"):
            name = f"Écart {other} − {base} ({unit})"
            # the layer control's entry, JSON-escaped in a map JSON-escaped in the atlas
            assert json.dumps(json.dumps(name))[1:-1] in page
            assert f"écart {other} − {base} ({unit})" in page  # its legend
    assert page.count(json.dumps(json.dumps("Écart "))[1:-3]) == 4
