"""Console tables speak one format: French numbers, integers as integers, years bare."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from click.testing import CliRunner

from zan.cli import main
from zan.cli.common import print_table, table_cell
from zan.datasets import get_path, scenario_path

METRO = "249904830"  # Hauhem Métropole (demo)
#: A number in the English format ("2,281.96", "3.00") that must never be printed.
ENGLISH = re.compile(r"\d,\d{3}\.\d|\b\d+\.\d{2}\b")


def _invoke(*args):
    res = CliRunner().invoke(main, [str(a) for a in args])
    assert res.exit_code == 0, res.output
    return res.output


def test_table_cell_french_integers_years():
    assert table_cell(2281.964) == "2 281,96"
    assert table_cell(3) == "3" and table_cell(12000) == "12 000"
    assert table_cell(2021.0, year=True) == "2021" and table_cell(2021.0) == "2 021,00"
    assert table_cell(float("nan")) == "—" and table_cell(None) == "—" and table_cell(pd.NA) == "—"
    assert table_cell("CA de Quéay") == "CA de Quéay" and table_cell(True) == "True"


def test_print_table_mixed_columns(capsys):
    df = pd.DataFrame(
        {"n": [3, 1200], "x_ha": [2281.964, None], "Année de consommation": [2021.0, None]},
        index=pd.Index(["a", "b"], name="code"),
    )
    print_table(df)
    out = capsys.readouterr().out
    assert "2 281,96" in out and "1 200" in out and "2021" in out and "—" in out
    assert not ENGLISH.search(out) and "2 021" not in out


def _print_table_formatting_every_row(df, max_rows=25):
    """print_table as it was: every cell formatted, pandas cutting afterwards."""
    text = pd.DataFrame(
        {i: df.iloc[:, i].map(table_cell).astype(object) for i in range(df.shape[1])},
        index=df.index,
    )
    text.columns = df.columns
    with pd.option_context("display.max_rows", max_rows, "display.width", 160):
        return text.to_string(max_rows=max_rows) + "\n"


@pytest.mark.parametrize("n", [1, 24, 25, 26, 49, 50, 51, 52, 1000])
def test_print_table_long_tables_print_as_when_every_row_was_formatted(capsys, n):
    """Only the printed rows are formatted; the text is the same as formatting all."""
    df = pd.DataFrame(
        {
            "nom": [f"Commune {i}" * (1 + i % 3) for i in range(n)],
            "x_ha": [1234.5678 * (i - n / 2) if i % 7 else None for i in range(n)],
            "n": list(range(n)),
        },
        index=pd.Index([f"{i:05d}" for i in range(n)], name="code"),
    )
    print_table(df)
    assert capsys.readouterr().out == _print_table_formatting_every_row(df)
    if n > 25:
        assert "..." in _print_table_formatting_every_row(df)


def test_allocate_prints_the_summary_and_the_table_in_french(tmp_path):
    out = _invoke("allocate", scenario_path("02_consommation_population"), "--out", tmp_path / "a")
    assert "2 077,94 ha" in out  # the explanation
    assert re.search(r"Enveloppe répartie\s+2 077,94\n", out)  # the summary table, same format
    assert "512,20" in out  # Hauhem Métropole's envelope in the territories' table
    assert not ENGLISH.search(out.split("written:")[0])


def test_compare_prints_counts_as_integers(tmp_path):
    out = _invoke(
        "compare",
        scenario_path("01_reduction_uniforme"),
        scenario_path("02_consommation_population"),
        "--out",
        tmp_path / "c",
    )
    assert re.search(r"Territoires gagnants \(vs référence\)\s+0\s+3\n", out)
    assert re.search(r"Territoires perdants \(vs référence\)\s+0\s+17\n", out)
    assert re.search(r"Enveloppe répartie \(ha\)\s+2 281,96\s+2 077,94\n", out)
    assert not ENGLISH.search(out.split("written:")[0])


@pytest.fixture
def ledger(tmp_path):
    """The demo EPCI-level ledger with the Cerema consumption 2021-2022 recorded."""
    source = scenario_path("02_consommation_population")
    text = source.read_text(encoding="utf-8").replace(
        "../demo/", f"{source.parent.parent / 'demo'}/"
    )
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(text, encoding="utf-8")
    path = tmp_path / "compte.gpkg"
    _invoke("ledger", "init", path, "--scenario", scenario, "--justification", "SRADDET")
    conso, passage = get_path("conso_enaf_2009_2023.csv"), get_path("passage_cog2023_cog2024.csv")
    _invoke("ledger", "import-consumption", path, conso, "--passage", passage)
    return path


@pytest.mark.slow
def test_ledger_history_prints_years_bare(ledger):
    out = _invoke("ledger", "history", ledger, METRO)
    assert re.search(r"Consommation \(Cerema\)\s+Import\s+249904830\s+—\s+2021\s", out)
    assert "2,021" not in out and "2 021" not in out and "NaN" not in out and "None" not in out
    assert "42,79" in out  # Hauhem Métropole's 2021 consumption, French decimals


@pytest.mark.slow
def test_ledger_balance_prints_a_compact_french_table(ledger, tmp_path):
    out = _invoke("ledger", "balance", ledger, "--at", "2024-06-30", "--out", tmp_path / "b.csv")
    header = out.splitlines()[0].split()
    assert header[:3] == ["Nom", "Enveloppe", "(ha)"] and header[-1] == "Situation"
    assert "Rythme annuel" not in out and "NaN" not in out and "..." not in out
    row = next(line for line in out.splitlines() if line.startswith(METRO))
    assert "Hauhem Métropole" in row and "512,20" in row
    full = pd.read_csv(tmp_path / "b.csv", sep=None, engine="python", encoding="utf-8-sig")
    assert "Rythme annuel depuis le début de la période (ha/an)" in full.columns  # --out: full
    assert len(full.columns) > 10
