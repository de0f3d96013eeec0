"""The ledger commands, end to end on the demo region."""

from __future__ import annotations

import sqlite3

import pandas as pd
import pytest
from click.testing import CliRunner

from zan.cli import main
from zan.datasets import get_path, scenario_path

METRO = "249904830"  # Hauhem Métropole (demo)
OTHER = "249985805"  # CU de Floeux (demo)


@pytest.fixture
def ledger(tmp_path):
    """A ledger of the EPCI-level population scenario, with a 5 % regional reserve."""
    source = scenario_path("02_consommation_population")
    text = source.read_text(encoding="utf-8").replace("../demo/", f"{source.parent.parent / 'demo'}/")
    text = text.replace("[envelope]\n", "[envelope]\nreserve_share = 0.05\n", 1)
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(text, encoding="utf-8")
    path = tmp_path / "compte.gpkg"
    res = CliRunner().invoke(main, ["ledger", "init", str(path), "--scenario", str(scenario),
                                    "--justification", "SRADDET modifié"])
    assert res.exit_code == 0, res.output
    return path


def _invoke(*args):
    res = CliRunner().invoke(main, [str(a) for a in args])
    assert res.exit_code == 0, res.output
    return res


def _balance(ledger, tmp_path, at="2024-06-30"):
    out = tmp_path / f"b{at}.csv"
    _invoke("ledger", "balance", ledger, "--at", at, "--out", out)
    return pd.read_csv(out, sep=None, engine="python", dtype=str, encoding="utf-8-sig")


@pytest.mark.slow
def test_ledger_lifecycle(ledger, tmp_path):
    conso = get_path("conso_enaf_2009_2023.csv")
    passage = get_path("passage_cog2023_cog2024.csv")
    first = _invoke("ledger", "import-consumption", ledger, conso, "--passage", passage).output
    again = _invoke("ledger", "import-consumption", ledger, conso, "--passage", passage).output
    assert first != again  # the second import records nothing new
    _invoke("ledger", "grant", ledger, METRO, "2.5", "--justification", "délibération 2025-01",
            "--date", "2024-01-15")
    _invoke("ledger", "transfer", ledger, METRO, OTHER, "1.25", "--justification", "accord",
            "--date", "2024-02-01")
    res = _invoke("ledger", "project", "add", ledger, "--territory", METRO, "--parcels",
                  "990060000A0001", "--label", "Zone d'activités", "--cadastre",
                  get_path("cadastre-99006-parcelles.json.gz"), "--ocsge",
                  get_path("ocsge_demo_2021.gpkg"), "--date", "2024-03-01")
    assert "project" in res.output
    history = _invoke("ledger", "history", ledger, METRO).output
    assert "délibération 2025-01" in history and "Zone d'activités" in history
    _invoke("ledger", "verify", ledger)
    table = _balance(ledger, tmp_path)
    assert len(table) > 20
    res = _invoke("ledger", "map", ledger, "--out", tmp_path / "carte.html")
    assert (tmp_path / "carte.html").stat().st_size > 1000


def test_ledger_refuses_bad_input_and_writes_nothing(ledger, tmp_path):
    before = ledger.read_bytes()
    runner = CliRunner()
    res = runner.invoke(main, ["ledger", "transfer", str(ledger), METRO, "99999", "1", "--justification", "x"])
    assert res.exit_code == 2 and "99999" in res.output
    res = runner.invoke(main, ["ledger", "grant", str(ledger), METRO, "-3", "--justification", "x"])
    assert res.exit_code == 2
    res = runner.invoke(main, ["ledger", "transfer", str(ledger), METRO, OTHER, "1000000",
                               "--justification", "x"])
    assert res.exit_code == 2
    res = runner.invoke(main, ["ledger", "project", "add", str(ledger), "--territory", METRO,
                               "--label", "x"])
    assert res.exit_code == 2 and "--parcels" in res.output
    assert _entry_count(ledger) == _entry_count_bytes(before, tmp_path)


def _entry_count(path) -> int:
    with sqlite3.connect(path) as con:
        return con.execute("select count(*) from entries").fetchone()[0]


def _entry_count_bytes(data: bytes, tmp_path) -> int:
    copy = tmp_path / "copy.gpkg"
    copy.write_bytes(data)
    return _entry_count(copy)


def test_ledger_verify_detects_an_edited_row(ledger):
    with sqlite3.connect(ledger) as con:
        triggers = [r[0] for r in con.execute("select name from sqlite_master where type='trigger'")]
        for name in triggers:
            con.execute(f'drop trigger "{name}"')
        con.execute("update entries set amount_m2 = amount_m2 + 1 where id = (select max(id) from entries)")
    res = CliRunner().invoke(main, ["ledger", "verify", str(ledger)])
    assert res.exit_code == 2
