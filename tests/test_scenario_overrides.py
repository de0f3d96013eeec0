"""--set KEY=VALUE: scenario values overridden from the command line (zan.scenario_overrides)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from zan.cli import main
from zan.datasets import get_path, scenario_path
from zan.errors import ScenarioError
from zan.scenario import load_scenario, run_scenario
from zan.scenario_overrides import apply_overrides, is_path_key, parse_overrides, parse_value

UNIFORM = scenario_path("01_reduction_uniforme")


def test_values_are_toml_literals_else_text():
    assert parse_value("0.55") == 0.55
    assert parse_value("false") is False
    assert parse_value("[2011, 2020]") == [2011, 2020]
    assert parse_value("'quoted text'") == "quoted text"
    assert parse_value("data/conso_com.csv") == "data/conso_com.csv"
    assert parse_value("perequation") == "perequation"
    assert parse_overrides(["a.b = 1", "c=x=y"]) == {"a.b": 1, "c": "x=y"}
    with pytest.raises(ScenarioError, match="--set 'envelope.reduction': write KEY=VALUE"):
        parse_overrides(["envelope.reduction"])


def test_apply_sets_nested_keys_without_touching_the_original():
    raw = {"envelope": {"reduction": 0.5}, "criteria": [{"rule": "uniform"}]}
    out = apply_overrides(raw, {"caps.ha": 10, "criteria[0].weight": 1.0, "criteria.0.name": "u"})
    assert out["caps"] == {"ha": 10} and out["criteria"][0] == {"rule": "uniform", "weight": 1.0,
                                                                 "name": "u"}
    assert raw == {"envelope": {"reduction": 0.5}, "criteria": [{"rule": "uniform"}]}
    with pytest.raises(ScenarioError, match=r"'criteria\[3\]' does not exist \(the scenario has 1 "
                       r"entry there\)"):
        apply_overrides(raw, {"criteria[3].weight": 1})
    with pytest.raises(ScenarioError, match="'envelope.reduction' is a value, not a table"):
        apply_overrides(raw, {"envelope.reduction.x": 1})
    with pytest.raises(ScenarioError, match="not a dotted key"):
        apply_overrides(raw, {"envelope..reduction": 1})


def test_relative_paths_resolve_against_the_current_folder(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    out = apply_overrides({}, {"data.consumption": "sub/c.csv", "data.passage": "demo:p.csv",
                               "data.levels.s.membership": "m.csv", "scenario.name": "n.csv"})
    assert out["data"]["consumption"] == str(tmp_path / "sub" / "c.csv")
    assert out["data"]["passage"] == "demo:p.csv"
    assert out["data"]["levels"]["s"]["membership"] == str(tmp_path / "m.csv")
    assert out["scenario"]["name"] == "n.csv"  # not a path key
    assert is_path_key("criteria[2].params.table") and not is_path_key("envelope.reduction")
    with pytest.raises(ScenarioError, match="--set data.consumption=: empty path"):
        apply_overrides({}, parse_overrides(["data.consumption="]))


def test_override_changes_the_value_and_the_hash():
    base = load_scenario(UNIFORM)
    sc = load_scenario(UNIFORM, overrides={"envelope.reduction": 0.55})
    assert sc.envelope.reduction == 0.55 and sc.hash != base.hash
    again = load_scenario(UNIFORM, overrides={"envelope.reduction": base.envelope.reduction})
    assert again.hash == base.hash  # setting the same value is the same run
    a, b = run_scenario(base), run_scenario(sc)
    assert b.distributed_ha < a.distributed_ha


def test_override_errors_are_the_file_errors(tmp_path):
    text = UNIFORM.read_text(encoding="utf-8").replace("reduction = 0.5", "reduction = 5")
    assert text != UNIFORM.read_text(encoding="utf-8")
    bad = tmp_path / "bad.toml"
    bad.write_text(text, encoding="utf-8")
    with pytest.raises(ScenarioError) as from_file:
        load_scenario(bad)
    with pytest.raises(ScenarioError) as from_set:
        load_scenario(UNIFORM, overrides={"envelope.reduction": 5})
    message = "key 'envelope.reduction' must be <= 1 (got 5); write 0.5 for a 50 % reduction"
    assert message in str(from_file.value) and message in str(from_set.value)
    assert "(with --set envelope.reduction)" in str(from_set.value)
    with pytest.raises(ScenarioError, match="unknown key 'envelope.reductio'; valid keys here: "):
        load_scenario(UNIFORM, overrides={"envelope.reductio": 0.5})
    with pytest.raises(ScenarioError, match=r"key 'data.consumption': file '.*absent.csv' not "
                       r"found"):
        load_scenario(UNIFORM, overrides={"data.consumption": "absent.csv"})


def test_cli_set_runs_one_scenario_on_another_file(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copy(get_path("conso_enaf_2009_2023.csv"), tmp_path / "autre.csv")
    runner = CliRunner()
    res = runner.invoke(main, ["allocate", str(UNIFORM), "--out", "o",
                               "--set", "data.consumption=autre.csv",
                               "--set", "envelope.reduction=0.55"])
    assert res.exit_code == 0, res.output
    sources = json.loads((tmp_path / "o" / "sources.json").read_text())
    assert sources["scenario_sha256"] == load_scenario(
        UNIFORM, overrides={"data.consumption": str(tmp_path / "autre.csv"),
                            "envelope.reduction": 0.55}).hash
    assert sources["scenario_sha256"] != load_scenario(UNIFORM).hash
    assert "autre.csv" in json.dumps(sources)
    assert "55,00 %" in res.output
    res = runner.invoke(main, ["allocate", str(UNIFORM), "--set", "envelope.reduction=5"])
    assert res.exit_code == 2 and "key 'envelope.reduction' must be <= 1" in res.output


@pytest.mark.parametrize("command", [["allocate"], ["compare"], ["sensitivity"], ["atlas"],
                                     ["report"], ["export"], ["ledger", "init"],
                                     ["ledger", "allocate"]])
def test_every_scenario_command_offers_set(command):
    group = main
    for name in command:
        group = group.commands[name] if isinstance(group, click.Group) else group
    opts = {o for p in group.params for o in p.opts}
    assert "--set" in opts, command
    res = CliRunner().invoke(main, [*command, "--help"])
    assert "--set KEY=VALUE" in res.output and "hash" in res.output


def test_cli_export_and_compare_apply_set(tmp_path):
    runner = CliRunner()
    out = tmp_path / "a.csv"
    res = runner.invoke(main, ["export", str(UNIFORM), str(out), "--set", "envelope.reduction=0.6"])
    assert res.exit_code == 0, res.output
    plain = tmp_path / "b.csv"
    assert runner.invoke(main, ["export", str(UNIFORM), str(plain)]).exit_code == 0
    assert out.read_bytes() != plain.read_bytes()
    res = runner.invoke(main, ["compare", str(UNIFORM), str(scenario_path("02_consommation_population")),
                               "--out", str(tmp_path / "cmp"), "--set", "envelope.reduction=0.6"])
    assert res.exit_code == 0, res.output


def test_set_keeps_the_scenario_folder_for_its_own_paths(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    sc = load_scenario(Path(UNIFORM), overrides={"scenario.name": "autre"})
    assert sc.scenario.name == "autre"
    assert run_scenario(sc).check()
