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
    text = source.read_text(encoding="utf-8").replace(
        "../demo/", f"{source.parent.parent / 'demo'}/"
    )
    text = text.replace("[envelope]\n", "[envelope]\nreserve_share = 0.05\n", 1)
    scenario = tmp_path / "scenario.toml"
    scenario.write_text(text, encoding="utf-8")
    path = tmp_path / "compte.gpkg"
    res = CliRunner().invoke(
        main,
        [
            "ledger",
            "init",
            str(path),
            "--scenario",
            str(scenario),
            "--justification",
            "SRADDET modifié",
        ],
    )
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
    _invoke(
        "ledger",
        "grant",
        ledger,
        METRO,
        "2.5",
        "--justification",
        "délibération 2025-01",
        "--date",
        "2024-01-15",
    )
    _invoke(
        "ledger",
        "transfer",
        ledger,
        METRO,
        OTHER,
        "1.25",
        "--justification",
        "accord",
        "--date",
        "2024-02-01",
    )
    res = _invoke(
        "ledger",
        "project",
        "add",
        ledger,
        "--territory",
        METRO,
        "--parcels",
        "990060000A0001",
        "--label",
        "Zone d'activités",
        "--cadastre",
        get_path("cadastre-99006-parcelles.json.gz"),
        "--ocsge",
        get_path("ocsge_demo_2021.gpkg"),
        "--date",
        "2024-03-01",
    )
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
    res = runner.invoke(
        main, ["ledger", "transfer", str(ledger), METRO, "99999", "1", "--justification", "x"]
    )
    assert res.exit_code == 2 and "99999" in res.output
    res = runner.invoke(main, ["ledger", "grant", str(ledger), METRO, "-3", "--justification", "x"])
    assert res.exit_code == 2
    res = runner.invoke(
        main, ["ledger", "transfer", str(ledger), METRO, OTHER, "1000000", "--justification", "x"]
    )
    assert res.exit_code == 2
    res = runner.invoke(
        main, ["ledger", "project", "add", str(ledger), "--territory", METRO, "--label", "x"]
    )
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
        triggers = [
            r[0] for r in con.execute("select name from sqlite_master where type='trigger'")
        ]
        for name in triggers:
            con.execute(f'drop trigger "{name}"')
        con.execute(
            "update entries set amount_m2 = amount_m2 + 1 where id = (select max(id) from entries)"
        )
    res = CliRunner().invoke(main, ["ledger", "verify", str(ledger)])
    assert res.exit_code == 2


def test_ledger_allocate_a_later_period(ledger, tmp_path):
    scenario = tmp_path / "scenario.toml"
    res = _invoke(
        "ledger",
        "allocate",
        ledger,
        "--scenario",
        scenario,
        "--period",
        "2031-2040",
        "--justification",
        "SRADDET, délibération 2030-07",
    )
    assert "allocation 2031-2040 recorded" in res.output
    out = tmp_path / "soldes_2031.csv"
    _invoke("ledger", "balance", ledger, "--period", "2031-2040", "--out", out)
    later = pd.read_csv(out, encoding="utf-8-sig").set_index("Code")
    first = _balance(ledger, tmp_path).set_index("Code")
    # The same scenario: the same envelopes, recorded for the second decade.
    assert later.loc["region", "Enveloppe (ha)"] == pytest.approx(
        float(first.loc["region", "Enveloppe (ha)"])
    )
    assert later.loc[METRO, "Enveloppe allouée (ha)"] == pytest.approx(
        float(first.loc[METRO, "Enveloppe allouée (ha)"])
    )
    with sqlite3.connect(ledger) as con:
        rows = con.execute(
            "select distinct metric, justification, source_sha256 from entries "
            "where period = '2031-2040'"
        ).fetchall()
    assert len(rows) == 1 and rows[0][:2] == (
        "net_artificialisation",
        "SRADDET, délibération 2030-07",
    )
    assert len(rows[0][2]) == 64  # the scenario file's SHA-256
    n = _entry_count(ledger)
    runner = CliRunner()
    res = runner.invoke(
        main,
        [
            "ledger",
            "allocate",
            str(ledger),
            "--scenario",
            str(scenario),
            "--period",
            "2031-2040",
            "--justification",
            "encore",
        ],
    )
    assert res.exit_code == 2 and "already has an allocation" in res.output
    res = runner.invoke(
        main,
        [
            "ledger",
            "allocate",
            str(ledger),
            "--scenario",
            str(scenario),
            "--period",
            "2031",
            "--justification",
            "x",
        ],
    )
    assert res.exit_code == 2 and "not a range of years" in res.output
    res = runner.invoke(
        main,
        ["ledger", "allocate", str(ledger), "--scenario", str(scenario), "--justification", "x"],
    )
    assert res.exit_code == 2 and "--period" in res.output
    assert _entry_count(ledger) == n
    _invoke("ledger", "verify", ledger)


def test_ledger_import_artificialisation(ledger, tmp_path):
    from zan.ledger import Ledger

    _invoke(
        "ledger",
        "allocate",
        ledger,
        "--scenario",
        tmp_path / "scenario.toml",
        "--period",
        "2031-2040",
        "--justification",
        "SRADDET",
    )
    with Ledger(ledger) as book:
        communes = book.communes
    table = pd.DataFrame(
        {
            "code": list(communes.index) * 2,
            "year": [2031] * len(communes) + [2032] * len(communes),
            "net_ha": [0.02] * len(communes) + [-0.01] * len(communes),
        }
    )
    path = tmp_path / "artif.csv"
    table.to_csv(path, index=False)
    res = _invoke("ledger", "import-artificialisation", ledger, path, "--vintage", "OCS GE 2032")
    assert "recorded" in res.output and "2031-2032" in res.output
    again = _invoke("ledger", "import-artificialisation", ledger, path).output
    assert "already imported" in again
    out = tmp_path / "soldes.csv"
    _invoke("ledger", "balance", ledger, "--period", "2031-2040", "--out", out)
    b = pd.read_csv(out, encoding="utf-8-sig").set_index("Code")
    n_metro = int((communes == METRO).sum())
    assert b.loc[METRO, "Artificialisation nette (ha)"] == pytest.approx(0.01 * n_metro)
    assert b.loc["region", "Artificialisation nette (ha)"] == pytest.approx(0.01 * len(communes))
    history = _invoke("ledger", "history", ledger, METRO, "--period", "2031-2040").output
    assert "OCS GE 2032" in history
    _invoke("ledger", "map", ledger, "--period", "2031-2040", "--out", tmp_path / "carte.html")
    assert "2031-2040" in (tmp_path / "carte.html").read_text(encoding="utf-8")
    # A year of the first decade: refused, nothing written.
    n = _entry_count(ledger)
    table.loc[5, "year"] = 2025
    table.to_csv(path, index=False)
    res = CliRunner().invoke(main, ["ledger", "import-artificialisation", str(ledger), str(path)])
    assert res.exit_code == 2 and "year 2025 at row 7" in res.output
    assert _entry_count(ledger) == n
    _invoke("ledger", "verify", ledger)


def test_ledger_project_outside_its_territory_is_refused(ledger, tmp_path):
    import geopandas as gpd
    import pyogrio
    import shapely

    layer = pyogrio.read_dataframe(ledger, layer="territories").set_index("code")
    metro = layer.geometry[METRO]
    neighbour = next(
        c for c in layer.index if c != METRO and metro.intersection(layer.geometry[c]).length > 0
    )
    edge = shapely.line_merge(metro.intersection(layer.geometry[neighbour]))
    edge = shapely.get_geometry(edge, 0) if edge.geom_type.startswith("Multi") else edge
    footprint = edge.interpolate(0.5, normalized=True).buffer(100)  # about half on each side
    path = tmp_path / "emprise.geojson"
    gpd.GeoDataFrame(geometry=[footprint], crs="EPSG:2154").to_file(path)
    n = _entry_count(ledger)
    res = CliRunner().invoke(
        main,
        [
            "ledger",
            "project",
            "add",
            str(ledger),
            "--territory",
            METRO,
            "--geometry",
            str(path),
            "--label",
            "ZA de la limite",
            "--enaf-ha",
            "2",
        ],
    )
    assert res.exit_code == 2
    assert "project 'ZA de la limite' lies partly outside territory" in res.output
    assert f"in {neighbour} (" in res.output
    assert res.output.startswith("Error: ") and "Traceback" not in res.output
    assert _entry_count(ledger) == n


def test_a_scenario_written_for_the_second_decade(ledger, tmp_path):
    from zan.scenario import load_scenario, prepare_scenario

    first = tmp_path / "scenario.toml"
    text = first.read_text(encoding="utf-8").replace(
        "[envelope]\n", "[envelope]\ntarget_period = [2031, 2040]\nenvelope_ha = 800.0\n", 1
    )
    later = tmp_path / "scenario_2031.toml"
    later.write_text(text.replace("reduction = ", "# reduction = "), encoding="utf-8")
    sc = load_scenario(later)
    env = prepare_scenario(sc).envelope
    assert env.target_period == (2031, 2040) and env.gross_ha == 800.0
    assert "2031-2040" in env.explain()
    assert sc.hash != load_scenario(first).hash  # the key counts in the hash once set
    _invoke(
        "ledger",
        "allocate",
        ledger,
        "--scenario",
        later,
        "--period",
        "2031-2040",
        "--justification",
        "SRADDET modifié, délibération 2030-07",
    )
    with sqlite3.connect(ledger) as con:
        labels = [
            r[0]
            for r in con.execute(
                "select label from entries where period = '2031-2040' and kind = 'allocation'"
            )
        ]
        total = con.execute(
            "select sum(amount_m2) from entries where period = '2031-2040' and kind = 'allocation'"
            " and account != 'pene'"
        ).fetchone()[0]
    assert labels and not any("calculée pour" in label for label in labels)
    # accounts + reserve = the decade's regional envelope (800 ha less the PENE), in m²
    assert env.pene_ha > 0 and total == round(env.regional_ha * 10_000)
    bad = tmp_path / "bad.toml"
    bad.write_text(
        later.read_text(encoding="utf-8").replace("[2031, 2040]", "[2040, 2031]"), encoding="utf-8"
    )
    res = CliRunner().invoke(
        main,
        [
            "ledger",
            "allocate",
            str(ledger),
            "--scenario",
            str(bad),
            "--period",
            "2041-2050",
            "--justification",
            "x",
        ],
    )
    assert res.exit_code == 2 and "'target_period' must be [first, last]" in res.output
