"""The simulator's data and page from Python (the browser side: test_simulator_browser.py)."""

from __future__ import annotations

import json
import re

import numpy as np
import pytest

from zan._write import sha256_file
from zan.cascade import criteria_raw, sorted_table
from zan.datasets import scenario_path
from zan.errors import ScenarioError
from zan.maps.simulator import simulator_html
from zan.maps.simulator_data import SETTING_KEYS, simulator_data, svg_paths
from zan.scenario import prepare_scenario, run_scenario, scenario_inputs

pytestmark = pytest.mark.filterwarnings("ignore::zan.errors.ZanWarning")


@pytest.fixture(scope="module")
def prep():
    return prepare_scenario(scenario_path("02_consommation_population"))


@pytest.fixture(scope="module")
def data(prep):
    return simulator_data(prep)


def test_data_holds_what_zan_computes_with(prep, data):
    table = sorted_table(prep.table, "t")
    assert data["codes"] == list(table.index) == sorted(data["codes"])
    raw, _ = criteria_raw(table, prep.criteria, strict_codes=True)
    assert np.array_equal(np.array(data["raw"]).T, raw)
    assert data["env"]["regional_ha"] == prep.envelope.regional_ha
    assert data["env"]["pene_with_reduction_ha"] == prep.envelope.pene_ha > 0  # péréquation
    assert sorted(data["settings"]) == sorted(SETTING_KEYS)
    # eligible communes per territory: the garantie of the scenario, per hectare
    gar = prep.garantie.reindex(data["codes"]).to_numpy()
    assert np.array_equal(np.array(data["gar_n"]) * data["settings"]["garantie_ha"], gar)
    assert len(data["geometry"]["d"]) == len(data["codes"])
    assert all(d.startswith("M") and d.endswith("Z") for d in data["geometry"]["d"])


def test_baseline_is_the_scenario_or_the_one_given(prep, data):
    own = run_scenario(prep).table.reindex(data["codes"])
    assert data["baseline"]["envelope_ha"].tolist() == own["envelope_ha"].tolist()
    other = simulator_data(prep, baseline=scenario_path("03_efficacite"))
    alloc = run_scenario(scenario_path("03_efficacite"))
    theirs = alloc.table
    theirs.index = theirs.index.astype(str)
    assert (
        other["baseline"]["envelope_ha"].tolist()
        == theirs.loc[data["codes"], "envelope_ha"].tolist()
    )
    assert other["baseline"]["name"] == alloc.name != data["name"]


def test_exported_scenario_has_absolute_paths_and_the_data_hashes(prep, data):
    paths = data["scenario"]["data"]
    for key in ("communes", "membership", "consumption", "passage"):
        assert paths[key].startswith("/") and paths[key] == str(
            scenario_inputs(prep.scenario)[f"data.{key}"].resolve()
        )
    for key, entry in data["sources"].items():
        assert entry["sha256"] == sha256_file(entry["file"]), key
    assert "scenario" not in data["sources"]


def test_page_is_offline_and_carries_the_data(tmp_path, prep, data):
    path = simulator_html(prep, out=tmp_path / "simulateur.html")
    html = path.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)
    text = html.replace('"http://www.w3.org/2000/svg"', "")  # the SVG namespace, not a request
    assert "http://" not in text and "https://" not in text
    assert "Télécharger le scénario" in html and 'lang="fr"' in html
    blob = re.search(r'<script type="application/json" id="zs-data">(.*?)</script>', html, re.S)
    assert json.loads(blob.group(1))["codes"] == data["codes"]
    assert html == simulator_html(prep)  # the same page as text


def test_refuses_a_cascade_and_unscaled_targets(tmp_path):
    with pytest.raises(ScenarioError, match="cascade"):
        simulator_data(scenario_path("05_cascade_reserve_pene_garantie"))
    text = scenario_path("01_reduction_uniforme").read_text(encoding="utf-8")
    base = scenario_path("01_reduction_uniforme").parent
    text = re.sub(r'"\.\./demo/', f'"{base.parent}/demo/', text)
    text = text.replace("[allocation]", "[allocation]\nscale_targets = false")
    (tmp_path / "s.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError, match="scale_targets"):
        simulator_data(tmp_path / "s.toml")


def test_refuses_a_baseline_at_another_level(prep):
    with pytest.raises(ScenarioError, match="same level"):
        simulator_data(prep, baseline=scenario_path("05_cascade_reserve_pene_garantie"))


def test_svg_paths_flip_y_and_fit_the_width():
    import geopandas as gpd
    from shapely.geometry import box

    d, w, h = svg_paths(gpd.GeoSeries([box(0, 0, 2000, 1000), box(0, 1000, 2000, 1500)]))
    assert (w, h) == (1000.0, 750.0)
    # shapely draws a box from (maxx, miny); y points down in SVG
    assert d[0] == "M1000 750 1000 250 0 250 0 750Z"


def test_cli_writes_the_simulator_with_a_baseline_and_overrides(tmp_path):
    from click.testing import CliRunner

    from zan.cli import main

    out = tmp_path / "sim.html"
    res = CliRunner().invoke(
        main,
        [
            "simulator",
            str(scenario_path("02_consommation_population")),
            "--out",
            str(out),
            "--baseline",
            str(scenario_path("03_efficacite")),
            "--set",
            "envelope.reduction=0.6",
        ],
    )
    assert res.exit_code == 0, res.output
    assert f"written: {out}" in res.output
    blob = re.search(
        r'<script type="application/json" id="zs-data">(.*?)</script>', out.read_text("utf-8"), re.S
    )
    data = json.loads(blob.group(1))
    assert data["settings"]["reduction"] == 0.6
    assert data["baseline"]["name"] == run_scenario(scenario_path("03_efficacite")).name


def test_cli_refusal_is_one_line(tmp_path):
    from click.testing import CliRunner

    from zan.cli import main

    res = CliRunner().invoke(
        main,
        [
            "simulator",
            str(scenario_path("05_cascade_reserve_pene_garantie")),
            "--out",
            str(tmp_path / "s.html"),
        ],
    )
    assert res.exit_code == 2 and "cascade" in res.output
    assert not (tmp_path / "s.html").exists()


def test_allocation_simulator_delegate(tmp_path, prep):
    alloc = run_scenario(prep)
    path = alloc.simulator(out=tmp_path / "s.html")
    assert path == tmp_path / "s.html" and path.read_text("utf-8") == simulator_html(prep)


def test_an_allocation_without_its_scenario_is_refused():
    import pandas as pd

    from zan.allocate import allocate
    from zan.rules import Criterion

    t = pd.DataFrame({"nom": ["A", "B"], "reference_ha": [10.0, 20.0]}, index=["a", "b"])
    alloc = allocate(t, 10.0, criteria=[Criterion("past_consumption")])
    with pytest.raises(ScenarioError, match="run from a scenario"):
        alloc.simulator()
