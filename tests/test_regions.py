"""Regions: the published envelope as the authority, the péréquation as an estimate, no SRADDET."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from zan.envelope import regional_envelope
from zan.errors import NoSraddetError, ScenarioError
from zan.export import write_allocation
from zan.regions import (
    REGIONS_WITHOUT_SRADDET,
    available_regions,
    check_perequation,
    load_region,
    region_info,
)
from zan.scenario import load_scenario, run_scenario, scenario_inputs

DEMO = (Path(__file__).resolve().parents[1] / "data" / "demo").as_posix()

SCENARIO = f"""\
[scenario]
name = "région"

[data]
communes = "{DEMO}/communes.gpkg"
communes_layer = "communes"
membership = "{DEMO}/communes.csv"
consumption = "{DEMO}/conso_enaf_2009_2023.csv"
passage = "{DEMO}/passage_cog2023_cog2024.csv"

[envelope]
ENVELOPE

[allocation]
level = "epci"

[[criteria]]
rule = "past_consumption"

[floors]
garantie_communale = true
eligible_column = "garantie_communale"
"""


def scenario(tmp_path: Path, envelope: str, name: str = "s.toml") -> Path:
    path = tmp_path / name
    path.write_text(SCENARIO.replace("ENVELOPE", envelope), encoding="utf-8")
    return path


def test_hauts_de_france_published_figures_with_sources():
    assert "hdf" in available_regions()
    r = load_region("hdf")
    assert (r.code, r.name, r.sraddet) == ("32", "Hauts-de-France", True)
    assert r.envelope.published_ha == 7_410.0 and r.envelope.period == (2021, 2030)
    assert r.reduction.rate == 0.5447
    assert r.reference.ha == 16_275.0 and r.reference.estimated
    assert r.consumed.ha == 3_763.0 and r.consumed.period == (2021, 2023)
    # the back-solved reference agrees with the published envelope and rate
    assert r.reference.ha * (1 - r.reduction.rate) == pytest.approx(7_410, abs=1)
    for fig in (r.envelope, r.reduction, r.reference, r.consumed):
        assert fig.source and fig.date
    assert "DREAL" in r.envelope.source
    assert load_region("32") == r


def test_region_files_are_checked(tmp_path):
    with pytest.raises(ScenarioError, match="no published figures for region 'bzh'.*hdf"):
        load_region("bzh")
    bad = tmp_path / "region.toml"
    bad.write_text('code = "32"\nname = "X"\nsraddet = true\n[envelope]\nperiod = [2021, 2030]\n'
                   'published_ha = 10.0\ndate = "2025"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match=r"region\.toml: key 'envelope.source'"):
        load_region(bad)
    bad.write_text("code = ", encoding="utf-8")
    with pytest.raises(ScenarioError, match="not valid TOML"):
        load_region(bad)
    assert region_info("94").sraddet is False and region_info("94").envelope is None
    with pytest.raises(ScenarioError, match="INSEE region code"):
        region_info("99")


@pytest.mark.parametrize("code", sorted(REGIONS_WITHOUT_SRADDET))
def test_perequation_refused_without_sraddet(code):
    with pytest.raises(NoSraddetError, match=f"region {code} .*has no SRADDET"):
        check_perequation(code)
    with pytest.raises(NoSraddetError, match="give pene as a number of hectares or 'none'"):
        regional_envelope(10_000, pene="perequation", reduction=0.5, region=code)
    # PENE in hectares or none stay possible
    assert regional_envelope(10_000, pene=100.0, region=code).pene_ha == 100.0
    assert regional_envelope(10_000, pene="none", reduction=0.5, region=code).kind == "computed"


def test_perequation_accepted_with_a_sraddet():
    assert issubclass(NoSraddetError, ScenarioError)
    check_perequation("32")
    check_perequation(None)
    env = regional_envelope(16_275, reduction=0.5, pene="perequation", region="32")
    assert env.kind == "estimate"
    assert round(env.regional_ha, 2) == 7_409.96


def test_published_envelope_is_the_authority():
    env = regional_envelope(16_290, region="hdf")
    assert env.kind == "published" and env.published
    assert env.regional_ha == 7_410.0 and env.pene_mode == "included" and env.pene_ha == 0
    assert env.effort_pct == pytest.approx(100 * (1 - 7_410 / 16_290))
    text = env.explain()
    assert "enveloppe publiée par la région Hauts-de-France : 7 410,00 ha" in text
    assert "PENE déjà déduits" in text and "DREAL Hauts-de-France" in text
    assert "Enveloppe régionale 2021-2030 (publiée)" in text
    labels = env.terms()["terme"].tolist()
    assert "Enveloppe publiée par la région (PENE déjà déduits)" in labels
    assert "Enveloppe régionale (publiée)" in labels
    prov = env.provenance()
    assert prov["kind"] == "published" and prov["source"].startswith("DREAL Hauts-de-France")
    assert prov["region"] == {"code": "32", "name": "Hauts-de-France", "sraddet": True}


def test_formula_is_labelled_an_estimate_next_to_the_published_figure():
    env = regional_envelope(16_275, reduction=0.5, pene="perequation", region="hdf")
    assert env.kind == "estimate" and not env.published
    text = env.explain()
    assert "Enveloppe régionale 2021-2030 (estimation) : 7 409,96 ha" in text
    assert "Enveloppe publiée par la région Hauts-de-France pour 2021-2030 : 7 410,00 ha" in text
    assert "qui fait foi" in text
    assert "Enveloppe régionale (estimation)" in env.terms()["terme"].tolist()
    prov = env.provenance()
    assert prov["label"].startswith("estimation")
    assert prov["published_ha"] == 7_410.0 and "DREAL" in prov["published_source"]
    # without a region the formula is an estimate all the same
    assert regional_envelope(16_275, pene="perequation").kind == "estimate"


def test_published_envelope_refuses_pene_and_applies_to_its_period_only():
    with pytest.raises(ScenarioError, match="already takes the region's PENE contribution off"):
        regional_envelope(16_275, region="hdf", pene="perequation")
    later = regional_envelope(16_275, region="hdf", reduction=0.7, target_period=(2031, 2040))
    assert later.kind == "computed" and "publiée" not in later.explain()
    assert "published_ha" not in later.provenance()
    # a region without a published envelope: the profile's reduction, as without a region
    idf = regional_envelope(16_275, region="11")
    assert idf.kind == "computed" and idf.regional_ha == pytest.approx(8_137.5)


def test_scenario_takes_the_published_envelope(tmp_path):
    path = scenario(tmp_path, 'region = "hdf"')
    sc = load_scenario(path)
    without = load_scenario(scenario(tmp_path, "", "b.toml"))
    assert sc.hash != without.hash
    a = run_scenario(path)
    assert a.envelope.kind == "published"
    assert a.envelope.regional_ha == 7_410.0
    assert a.table["envelope_ha"].sum() == pytest.approx(7_410.0)
    assert a.check()
    inputs = scenario_inputs(path)
    assert inputs["envelope.region"].name == "region.toml"
    out = tmp_path / "out"
    write_allocation(a, out, inputs=inputs)
    sources = json.loads((out / "sources.json").read_text(encoding="utf-8"))
    assert sources["envelope"]["kind"] == "published"
    assert sources["envelope"]["regional_ha"] == 7_410.0
    assert "DREAL Hauts-de-France" in sources["envelope"]["source"]
    assert "envelope.region" in json.dumps(sources)


def test_scenario_estimate_is_labelled_in_sources(tmp_path):
    a = run_scenario(scenario(tmp_path, 'reduction = 0.5\npene = "perequation"'))
    out = tmp_path / "out"
    write_allocation(a, out, inputs={})
    sources = json.loads((out / "sources.json").read_text(encoding="utf-8"))
    assert sources["envelope"]["kind"] == "estimate"
    assert sources["envelope"]["label"] == "estimation (formule de péréquation des PENE)"


def test_scenario_perequation_refused_for_a_region_without_sraddet(tmp_path):
    with pytest.raises(NoSraddetError, match=r"s\.toml: key 'envelope': region 94 \(Corse\)"):
        run_scenario(scenario(tmp_path, 'region = "94"\nreduction = 0.5\npene = "perequation"'))
    # the region read from the consumption file's idreg column when no region is named
    conso = pd.read_csv(f"{DEMO}/conso_enaf_2009_2023.csv", dtype=str)
    conso["idreg"] = "11"
    conso.to_csv(tmp_path / "conso_idf.csv", index=False)
    text = SCENARIO.replace("ENVELOPE", 'reduction = 0.5\npene = "perequation"').replace(
        f"{DEMO}/conso_enaf_2009_2023.csv", (tmp_path / "conso_idf.csv").as_posix()
    )
    (tmp_path / "idf.toml").write_text(text, encoding="utf-8")
    with pytest.raises(NoSraddetError, match="consumption file's region 11 .Île-de-France."):
        run_scenario(tmp_path / "idf.toml")
    # PENE in hectares stay possible for that region
    ok = text.replace('pene = "perequation"', "pene = 20.0")
    (tmp_path / "idf_ha.toml").write_text(ok, encoding="utf-8")
    assert run_scenario(tmp_path / "idf_ha.toml").envelope.pene_ha == 20.0


def test_unknown_region_in_a_scenario_names_the_key(tmp_path):
    with pytest.raises(ScenarioError, match=r"key 'envelope.region'.*no published figures"):
        load_scenario(scenario(tmp_path, 'region = "atlantide"'))


@pytest.mark.slow
def test_reports_label_the_published_envelope(tmp_path):
    from zan.reports.build import prepare_reports, regional_data

    reg = regional_data(prepare_reports(scenario(tmp_path, 'region = "hdf"')))
    assert reg["meta"]["envelope_kind"] == "enveloppe publiée par la région (fait foi)"
    assert reg["meta"]["envelope_source"].startswith("DREAL Hauts-de-France")
    assert reg["meta"]["warnings"] == []
