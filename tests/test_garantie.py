"""The garantie communale: per commune by default, pooled per EPCI on request, eligibility."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from click.testing import CliRunner

from zan.allocate import allocate, allocate_cascade
from zan.cli import main
from zan.errors import ScenarioError, ZanWarning
from zan.export import write_allocation
from zan.garantie import eligibility_warning, garantie_floors, garantie_levels
from zan.rules import Criterion
from zan.scenario import Scenario, load_scenario, run_scenario, scenario_inputs

SCENARIOS = Path(__file__).resolve().parents[1] / "data" / "scenarios"
CASCADE = SCENARIOS / "05_cascade_reserve_pene_garantie.toml"
POP = [Criterion("indicator", 1.0, {"column": "population"})]


def communes() -> pd.DataFrame:
    # E1: a big commune and two tiny ones; E2: one commune
    return pd.DataFrame(
        {
            "epci": ["E1", "E1", "E1", "E2"],
            "population": [9_800, 100, 100, 10_000],
            "nom": ["Grande", "Petite", "Minuscule", "Seule"],
        },
        index=["01001", "01002", "01003", "01004"],
    )


def test_garantie_levels_per_mode():
    assert garantie_levels(("epci", "commune")) == ("epci", "commune")
    assert garantie_levels(("scot", "epci", "commune"), "epci") == ("scot", "epci")
    assert garantie_levels(("epci",), "epci") == ("epci",)
    with pytest.raises(ScenarioError, match="needs the EPCI among the allocation levels"):
        garantie_levels(("commune",), "epci")
    with pytest.raises(ScenarioError, match="needs the EPCI"):
        garantie_levels(("scot", "commune"), "epci")
    with pytest.raises(ScenarioError, match="unknown garantie_pooling 'scot'"):
        garantie_levels(("epci",), "scot")


def test_cascade_per_commune_floors_each_eligible_commune():
    c = communes()
    gar = garantie_floors(communes=c.index)  # 1 ha each
    a = allocate_cascade(c, 4.0, criteria=POP, levels=("epci", "commune"), garantie=gar)
    t = a.table
    # by population E1 and E2 get 2 ha each; the two tiny communes (1 % each) are held at 1 ha
    assert t["envelope_ha"].to_dict() == {"01001": 1.0, "01002": 1.0, "01003": 1.0, "01004": 1.0}
    assert a.level_table("epci")["envelope_ha"].to_dict() == {"E1": 3.0, "E2": 1.0}
    assert (t["garantie_ha"] == 1.0).all()
    assert a.garantie_pooling == "commune"
    assert a.check()
    assert "Garantie communale par commune" in a.explain("01002")


def test_cascade_pooled_floors_the_epci_not_its_communes():
    c = communes()
    gar = garantie_floors(communes=c.index)
    a = allocate_cascade(
        c, 4.0, criteria=POP, levels=("epci", "commune"), garantie=gar, garantie_pooling="epci"
    )
    epci = a.level_table("epci")
    assert epci["envelope_ha"].to_dict() == {"E1": 3.0, "E2": 1.0}  # 3 × 1 ha pooled
    assert epci["garantie_ha"].to_dict() == {"E1": 3.0, "E2": 1.0}
    t = a.table
    # inside E1 the 3 ha follow population: the tiny communes are not floored at 1 ha
    assert t.loc["01002", "envelope_ha"] < 1.0
    assert t.loc["01001", "envelope_ha"] == pytest.approx(2.94)
    assert (t["garantie_ha"] == 0.0).all()
    assert a.garantie_pooling == "epci"
    assert a.check()
    assert "mutualisée à l'échelle intercommunale" in a.explain("01002")
    assert "la commune n'a pas de plancher propre" in a.explain("01002")


def test_single_level_pooling():
    c = communes()
    gar = garantie_floors(communes=c.index)
    with pytest.raises(ScenarioError, match="needs the EPCI"):
        allocate(c, 4.0, criteria=POP, level="commune", garantie=gar, garantie_pooling="epci")
    # above the communes both modes give the same figures; explain says which applies
    table = c.groupby("epci").agg(population=("population", "sum"))
    g = garantie_floors(communes=c.index, assignment=c["epci"])
    per = allocate(table, 4.0, criteria=POP, level="epci", garantie=g)
    pooled = allocate(table, 4.0, criteria=POP, level="epci", garantie=g, garantie_pooling="epci")
    assert per.table["envelope_ha"].equals(pooled.table["envelope_ha"])
    assert per.table["envelope_ha"].to_dict() == {"E1": 3.0, "E2": 1.0}
    assert "par commune" in per.explain("E1") and "mutualisée" in pooled.explain("E1")


def _cascade(tmp_path: Path, name: str = "s.toml", **floors) -> Path:
    """The shipped cascade with absolute paths and [floors] keys changed (None: removed)."""
    demo = (CASCADE.parent.parent / "demo").resolve().as_posix()
    lines = CASCADE.read_text(encoding="utf-8").replace("../demo", demo).splitlines()
    lines = [ln for ln in lines if ln.split(" = ")[0] not in floors]
    # [floors] is the last section: its keys are appended
    assert [ln for ln in lines if ln.startswith("[")][-1] == "[floors]"
    lines += [f"{k} = {json.dumps(v)}" for k, v in floors.items() if v is not None]
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_shipped_cascade_keeps_its_hash_and_figures_per_commune(tmp_path):
    # the hash recorded before garantie_pooling existed: unset keys stay out of the hash
    assert load_scenario(CASCADE).hash == (
        "4af5befb485778591dcaed406cced03473831e21c39b983257f23c31ad49cc69"
    )
    a = run_scenario(CASCADE)
    t = a.table
    eligible = t["garantie_ha"] > 0
    assert eligible.sum() == 409
    assert (t.loc[eligible, "envelope_ha"] >= 1.0).all()
    assert a.warnings == ()  # the scenario gives its eligibility column
    pooled_path = _cascade(tmp_path, garantie_pooling="epci")
    pooled_sc = load_scenario(pooled_path)
    assert pooled_sc.hash != load_scenario(_cascade(tmp_path, "u.toml")).hash
    pooled = run_scenario(pooled_sc)
    assert pooled.garantie_pooling == "epci" and pooled.check()
    for level in ("scot", "epci"):
        assert pooled.level_table(level)["envelope_ha"].equals(a.level_table(level)["envelope_ha"])
    pt = pooled.table
    assert (pt.loc[eligible, "envelope_ha"] < 1.0).sum() > 0
    assert pt["garantie_ha"].sum() == 0
    assert pooled.level_table("epci")["garantie_ha"].sum() == 409


def test_pooling_key_is_validated(tmp_path):
    with pytest.raises(ScenarioError, match="garantie_pooling"):
        load_scenario(_cascade(tmp_path, garantie_pooling="scot"))
    text = (SCENARIOS / "02_consommation_population.toml").read_text(encoding="utf-8")
    text = text.replace('level = "epci"', 'level = "commune"').replace("../demo/", "")
    data = tomllib.loads(text)
    for key in ("communes", "membership", "consumption", "passage"):
        if key in data["data"]:
            data["data"][key] = str((SCENARIOS.parent / "demo" / data["data"][key]).resolve())
    data["floors"]["garantie_pooling"] = "epci"
    with pytest.raises(ScenarioError, match=r"key 'floors.garantie_pooling'.*needs the EPCI"):
        run_scenario(Scenario.model_validate(data))


def test_without_eligibility_every_commune_counts_with_a_warning(tmp_path):
    path = _cascade(tmp_path, eligible_column=None)
    with pytest.warns(ZanWarning, match="aucune liste des communes éligibles"):
        a = run_scenario(path)
    assert len(a.warnings) == 1
    assert a.warnings[0] == eligibility_warning(445)
    assert "445 communes sont toutes comptées éligibles" in a.warnings[0].replace("\u202f", " ")
    assert a.table["garantie_ha"].sum() == 445
    out = tmp_path / "out"
    write_allocation(a, out, inputs=scenario_inputs(path))
    sources = json.loads((out / "sources.json").read_text(encoding="utf-8"))
    assert sources["warnings"] == list(a.warnings)
    assert sources["garantie_communale"] == {"pooling": "commune"}


def test_cli_prints_the_eligibility_warning_once(tmp_path):
    path = _cascade(tmp_path, eligible_column=None)
    res = CliRunner().invoke(main, ["allocate", str(path), "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert res.stderr.count("warning: Garantie communale : aucune liste") == 1
    sources = json.loads((tmp_path / "o" / "sources.json").read_text(encoding="utf-8"))
    assert len(sources["warnings"]) == 1
    res = CliRunner().invoke(main, ["allocate", str(CASCADE), "--out", str(tmp_path / "p")])
    assert res.exit_code == 0 and "warning:" not in res.stderr
    # any command that runs a scenario prints it
    res = CliRunner().invoke(main, ["export", str(path), str(tmp_path / "e.csv")])
    assert res.exit_code == 0, res.output
    assert res.stderr.count("warning: Garantie communale : aucune liste") == 1


@pytest.mark.slow
def test_reports_show_the_warning_and_the_mode(tmp_path):
    from zan.reports.build import prepare_reports, regional_data, territory_data
    from zan.reports.render import regional_report

    path = _cascade(tmp_path, eligible_column=None)
    with pytest.warns(ZanWarning):
        ctx = prepare_reports(path, level="epci")
    reg = regional_data(ctx)
    assert reg["meta"]["warnings"] and "aucune liste" in reg["meta"]["warnings"][0]
    assert reg["meta"]["garantie_pooling"].startswith("par commune")
    assert reg["meta"]["envelope_kind"].startswith("estimation")
    code = ctx.allocation.level_table("epci").index[0]
    assert territory_data(ctx, code)["meta"]["warnings"] == reg["meta"]["warnings"]
    page = next(p for p in regional_report(ctx, tmp_path / "r", formats=("html",))
                if p.name == "synthese.html").read_text(encoding="utf-8")
    assert '<p class="warning"><strong>Avertissement :</strong> Garantie communale' in page
    assert "<dt>Garantie communale</dt><dd>par commune" in page
    assert "estimation (formule de péréquation des PENE)" in page
