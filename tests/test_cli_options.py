"""--missing on the command line: its three values, and options spelt the CLI way."""

from __future__ import annotations

import pandas as pd
import pytest
from click.testing import CliRunner

from zan.cli import main
from zan.datasets import get_path
from zan.errors import cli_text

CONSO = get_path("conso_enaf_2009_2023.csv")
MEMBERSHIP = str(get_path("communes.csv"))


@pytest.fixture
def partial(tmp_path):
    """The demo Cerema file without one EPCI's communes (and without the two codes of
    COG 2023 that the COG 2024 membership does not know)."""
    raw = pd.read_csv(CONSO, dtype=str, keep_default_na=False)
    members = pd.read_csv(MEMBERSHIP, dtype=str)
    gone = members.loc[members["epci_siren"] == members["epci_siren"].iloc[0], "code_insee"]
    keep = ~raw["idcom"].isin({*gone, "96127", "99090"})
    path = tmp_path / "conso_partielle.csv"
    raw[keep].to_csv(path, index=False)
    return path, members["epci_siren"].iloc[0]


def _run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_missing_raise_zero_ignore(partial, tmp_path):
    path, epci = partial
    base = ["consumption", path, "--membership", MEMBERSHIP, "--by", "epci"]
    res = _run(*base)
    assert res.exit_code == 2
    # The library says missing='zero'; the command line shows its own option.
    assert "--missing zero" in res.output and "--missing ignore" in res.output
    assert "missing='" not in res.output
    out_zero, out_ignore = tmp_path / "zero.csv", tmp_path / "ignore.csv"
    assert _run(*base, "--missing", "zero", "--out", out_zero).exit_code == 0
    res = _run(*base, "--missing", "ignore", "--out", out_ignore)
    assert res.exit_code == 0, res.output
    zero = pd.read_csv(out_zero, dtype={"code": str}).set_index("code")
    ignore = pd.read_csv(out_ignore, dtype={"code": str}).set_index("code")
    assert zero.loc[epci, "total_ha"] == 0.0
    assert epci not in ignore.index  # "ignore" is not "zero": the EPCI without data is left out
    assert len(ignore) == len(zero) - 1
    assert f"1 territories without data left out (--missing ignore): {epci}" in res.output
    shared = ignore.index
    assert (zero.loc[shared, "total_ha"] == ignore.loc[shared, "total_ha"]).all()


def test_ledger_init_names_the_force_option(tmp_path):
    scenario = tmp_path / "s.toml"
    from zan.datasets import scenario_path

    source = scenario_path("01_reduction_uniforme")
    text = source.read_text(encoding="utf-8").replace(
        "../demo/", f"{source.parent.parent / 'demo'}/"
    )
    scenario.write_text(text, encoding="utf-8")
    ledger = tmp_path / "compte.gpkg"
    ledger.write_bytes(b"")
    res = _run("ledger", "init", ledger, "--scenario", scenario, "--justification", "essai")
    assert res.exit_code == 2
    assert "--force" in res.output and "overwrite=True" not in res.output


def test_cli_text_rewrites_only_cli_options():
    assert cli_text("pass missing='zero' (--missing zero) or missing=\"ignore\"") == (
        "pass --missing zero or --missing ignore"
    )
    assert cli_text("lower it, or pass allow_overdraft=True (--allow-overdraft)") == (
        "lower it, or pass --allow-overdraft"
    )
    assert cli_text("pass repair=True to repair them") == "pass repair=True to repair them"
    assert cli_text("column code_column='x'") == "column --code-column x"


def test_trajectory_missing_ignore_leaves_the_territory_out(partial, tmp_path):
    path, epci = partial
    base = ["trajectory", path, "--membership", MEMBERSHIP, "--by", "epci"]
    out_zero, out_ignore = tmp_path / "tz.csv", tmp_path / "ti.csv"
    assert _run(*base).exit_code == 2
    assert _run(*base, "--missing", "zero", "--out", out_zero).exit_code == 0
    assert _run(*base, "--missing", "ignore", "--out", out_ignore).exit_code == 0
    zero = pd.read_csv(out_zero, dtype={"code": str}).set_index("code")
    ignore = pd.read_csv(out_ignore, dtype={"code": str}).set_index("code")
    assert zero.loc[epci, "reference_ha"] == 0.0 and epci not in ignore.index
