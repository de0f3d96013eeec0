"""The command line, driven with click's test runner."""

from __future__ import annotations

import re

import pandas as pd
import pytest
from click.testing import CliRunner

from zan.cli import main
from zan.datasets import get_path

CONSO = str(get_path("conso_enaf_2009_2023.csv"))
COMMUNES = str(get_path("communes.gpkg"))
MEMBERSHIP = str(get_path("communes.csv"))
PASSAGE = str(get_path("passage_cog2023_cog2024.csv"))


@pytest.fixture
def runner():
    return CliRunner()


def test_consumption_by_epci_from_the_file_own_columns(runner, tmp_path):
    out = tmp_path / "epci.csv"
    res = runner.invoke(main, ["consumption", CONSO, "--by", "epci", "--out", str(out)])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out, dtype={"code": str})
    assert list(table.columns[:3]) == ["code", "nom", "total_ha"]
    assert {"habitat_ha", "activite_ha", "routes_ha"} <= set(table.columns)
    communes = pd.read_csv(CONSO, dtype={"idcom": str})
    ten = [f"naf{y:02d}art{y + 1:02d}" for y in range(11, 21)]
    assert table["total_ha"].sum() == pytest.approx(communes[ten].to_numpy().sum() / 1e4, abs=1e-3)
    # 4 decimals in the CSV
    line = out.read_text().splitlines()[1]
    assert len(line.split(",")[2].split(".")[1]) == 4


def test_consumption_single_commune_hand_computed(runner, tmp_path):
    out = tmp_path / "c.csv"
    res = runner.invoke(main, ["consumption", CONSO, "--period", "2015-2016", "--out", str(out)])
    assert res.exit_code == 0, res.output
    table = pd.read_csv(out, dtype={"code": str}).set_index("code")
    raw = pd.read_csv(CONSO, dtype={"idcom": str}).set_index("idcom")
    code = raw.index[10]
    expected = (raw.loc[code, "naf15art16"] + raw.loc[code, "naf16art17"]) / 1e4
    assert table.loc[code, "total_ha"] == pytest.approx(expected, abs=5e-5)


def test_trajectory_with_territories_membership_and_passage(runner, tmp_path):
    out = tmp_path / "t.csv"
    res = runner.invoke(
        main,
        [
            "trajectory",
            CONSO,
            "--territories",
            COMMUNES,
            "--membership",
            MEMBERSHIP,
            "--passage",
            PASSAGE,
            "--by",
            "scot",
            "--reduction",
            "0.6",
            "--out",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    t = pd.read_csv(out, dtype={"code": str}).set_index("code")
    assert list(t.columns) == [
        "nom",
        "reference_ha",
        "allowed_ha",
        "allowed_floor_applied",
        "consumed_since_2021_ha",
        "annual_rate_since_2021_ha",
        "projected_2030_ha",
        "used_pct",
        "projected_pct",
        "status",
    ]
    assert (t["allowed_ha"] - t["reference_ha"] * 0.4).abs().max() < 1e-3
    assert "hors_scot" in t.index


def test_trajectory_floor_on_by_default_and_switchable(runner, tmp_path):
    raw = pd.read_csv(CONSO, dtype={"idcom": str}).set_index("idcom")
    ref_ha = raw[[f"naf{y:02d}art{y + 1:02d}" for y in range(11, 21)]].sum(axis=1) / 1e4
    small = ref_ha[ref_ha * 0.5 < 1.0].index
    assert len(small) > 0
    tables = {}
    options = {
        "floor": [],
        "nofloor": ["--no-floor"],
        "zero": ["--floor-ha", "0"],
        "two": ["--floor-ha", "2"],
    }
    for name, extra in options.items():
        out = tmp_path / f"{name}.csv"
        res = runner.invoke(main, ["trajectory", CONSO, "--out", str(out), *extra])
        assert res.exit_code == 0, res.output
        tables[name] = pd.read_csv(out, dtype={"code": str}).set_index("code")
    floor, nofloor = tables["floor"], tables["nofloor"]
    assert set(floor.index[floor["allowed_floor_applied"]]) == set(small)
    assert (floor.loc[small, "allowed_ha"] == 1.0).all()
    assert not nofloor["allowed_floor_applied"].any()
    assert nofloor.loc[small, "allowed_ha"].max() < 1.0
    pd.testing.assert_frame_equal(nofloor, tables["zero"])
    big = floor.index.difference(small)
    pd.testing.assert_frame_equal(floor.loc[big], nofloor.loc[big])
    assert (tables["two"]["allowed_ha"] >= 2.0).all()
    res = runner.invoke(main, ["trajectory", CONSO, "--floor-ha", "-1"])
    assert res.exit_code == 2 and "--floor-ha" in res.output


def test_membership_without_geometry(runner, tmp_path):
    raw = pd.read_csv(CONSO, dtype=str)
    table = pd.DataFrame(
        {
            "code_insee": raw["idcom"],
            "epci_siren": raw["epci23"],
            "epci_nom": raw["epci23txt"],
            "departement": raw["iddep"],
            "region": "99",
        }
    )
    table.to_csv(tmp_path / "m.csv", index=False)
    res = runner.invoke(
        main,
        [
            "consumption",
            CONSO,
            "--membership",
            str(tmp_path / "m.csv"),
            "--by",
            "departement",
            "--out",
            str(tmp_path / "d.csv"),
        ],
    )
    assert res.exit_code == 0, res.output
    by_dep = pd.read_csv(tmp_path / "d.csv", dtype={"code": str}).set_index("code")
    assert sorted(by_dep.index) == ["96", "98", "99"]


def test_split_without_areas_is_a_clear_error(runner):
    res = runner.invoke(
        main,
        [
            "consumption",
            CONSO,
            "--membership",
            MEMBERSHIP,
            "--passage",
            PASSAGE,
            "--by",
            "departement",
        ],
    )
    assert res.exit_code == 2
    assert "98095" in res.output and "split" in res.output


def test_unaligned_geography_is_a_clear_error(runner):
    res = runner.invoke(main, ["consumption", CONSO, "--membership", MEMBERSHIP, "--by", "epci"])
    assert res.exit_code == 2
    assert "Error:" in res.output and "--passage" in res.output
    assert "Traceback" not in res.output


def test_period_outside_the_file(runner):
    res = runner.invoke(main, ["consumption", CONSO, "--period", "2001-2005"])
    assert res.exit_code == 2
    assert "conso_enaf_2009_2023.csv" in res.output and "2009" in res.output


def test_debug_shows_the_exception(runner):
    res = runner.invoke(main, ["--debug", "consumption", CONSO, "--period", "2001-2005"])
    assert res.exit_code != 0 and res.exception is not None


def test_bad_reduction_exit_2(runner):
    res = runner.invoke(main, ["trajectory", CONSO, "--by", "departement", "--reduction", "1.5"])
    assert res.exit_code == 2 and "'reduction' must be between 0 and 1" in res.output


def test_demo_writes_tables_and_map(runner, tmp_path):
    res = runner.invoke(main, ["demo", "--out", str(tmp_path / "d")])
    assert res.exit_code == 0, res.output
    names = {p.name for p in (tmp_path / "d").iterdir()}
    assert {
        "carte.html",
        "trajectoire_epci.csv",
        "consommation_epci_2011_2020.csv",
        "alignement_cog.csv",
    } <= names
    status = pd.read_csv(tmp_path / "d" / "alignement_cog.csv", dtype={"code": str}).set_index(
        "code"
    )
    assert set(status["statut"]) == {"unchanged", "merged", "split"}
    html = (tmp_path / "d" / "carte.html").read_text()
    assert "Enveloppe 2021-2030" in html
    # offline: no external script, stylesheet or tile layer
    assert not re.search(r"<script[^>]*\ssrc=", html)
    assert not re.search(r"<link[^>]*href=[\"']?https?:", html)
    assert "tile.openstreetmap" not in html


def test_versions(runner):
    res = runner.invoke(main, ["versions"])
    assert res.exit_code == 0 and "shapely" in res.output


def test_map_any_table_on_territories(runner, tmp_path):
    values = tmp_path / "v.csv"
    values.write_text("code_insee;part_ha\n96001;1,5\n96002;3\n96003;7\n", encoding="utf-8")
    out = tmp_path / "carte.html"
    res = runner.invoke(
        main,
        [
            "map",
            "--territories",
            COMMUNES,
            "--values",
            str(values),
            "--column",
            "part_ha",
            "--out",
            str(out),
            "--png",
            str(tmp_path / "c.png"),
            "--scheme",
            "user",
            "--bins",
            "2,5,10",
            "--title",
            "Essai",
        ],
    )
    assert res.exit_code == 0, res.output
    assert out.exists() and (tmp_path / "c.png").stat().st_size > 1000
    assert "Essai" in out.read_text(encoding="utf-8")


def test_map_unknown_column_is_exit_2(runner, tmp_path):
    values = tmp_path / "v.csv"
    values.write_text("code,x\n96001,1\n", encoding="utf-8")
    res = runner.invoke(
        main,
        [
            "map",
            "--territories",
            COMMUNES,
            "--values",
            str(values),
            "--column",
            "envelope_ha",
            "--out",
            str(tmp_path / "c.html"),
        ],
    )
    assert res.exit_code == 2 and "envelope_ha" in res.output
    assert not (tmp_path / "c.html").exists()


def test_map_bad_bins(runner, tmp_path):
    values = tmp_path / "v.csv"
    values.write_text("code,x\n96001,1\n", encoding="utf-8")
    res = runner.invoke(
        main,
        [
            "map",
            "--territories",
            COMMUNES,
            "--values",
            str(values),
            "--column",
            "x",
            "--bins",
            "a,b",
        ],
    )
    assert res.exit_code == 2 and "--bins" in res.output


def test_allocate_writes_table_layers_and_map(runner, tmp_path):
    from zan.datasets import scenario_path

    out = tmp_path / "alloc"
    res = runner.invoke(
        main,
        ["allocate", str(scenario_path("02_consommation_population")), "--out", str(out), "--png"],
    )
    assert res.exit_code == 0, res.output
    assert {p.name for p in out.iterdir()} == {
        "allocation.csv",
        "allocation.gpkg",
        "carte.html",
        "carte.png",
        "sources.json",
    }
    table = pd.read_csv(out / "allocation.csv", dtype={"code": str})
    for col in (
        "code",
        "nom",
        "reference_ha",
        "envelope_ha",
        "reduction_pct",
        "floor_ha",
        "cap_ha",
        "bound",
    ):
        assert col in table.columns
    # the distributed envelope is printed, and the CSV sums to it exactly (0.01 ha steps)
    from zan.scenario import run_scenario

    distributed = run_scenario(scenario_path("02_consommation_population")).totals["distributed_ha"]
    assert "Enveloppe répartie" in res.output
    assert table["envelope_ha"].sum() == pytest.approx(distributed, abs=1e-6)
    assert ((table["envelope_ha"] * 100).round(6) % 1 == 0).all()
    html = (out / "carte.html").read_text(encoding="utf-8")
    assert "Enveloppe" in html and not re.search(r"<script[^>]*\ssrc=", html)


def test_allocate_bad_scenario_names_file_and_key(runner, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[scenario]\nname = "x"\nunknown_key = 1\n', encoding="utf-8")
    res = runner.invoke(main, ["allocate", str(bad), "--out", str(tmp_path / "o")])
    assert res.exit_code == 2
    assert "bad.toml" in res.output and "unknown_key" in res.output
    assert not (tmp_path / "o").exists()


def test_schema_is_json_schema(runner):
    import json

    res = runner.invoke(main, ["schema"])
    assert res.exit_code == 0
    schema = json.loads(res.output)
    assert schema["type"] == "object" and "properties" in schema


def test_validate_demo_files_ok_and_bad_file_exit_2(runner, tmp_path):
    res = runner.invoke(main, ["validate", COMMUNES, MEMBERSHIP, "--lang", "en"])
    assert res.exit_code == 0, res.output
    bad = tmp_path / "communes.csv"
    bad.write_text("code_insee,nom,epci_siren\n59001,A,123\n59001,B,200000001\n", encoding="utf-8")
    res = runner.invoke(main, ["validate", str(bad), "--out", str(tmp_path / "problems.csv")])
    assert res.exit_code == 2
    assert "59001" in res.output and "communes.csv" in res.output
    assert (tmp_path / "problems.csv").exists()


def test_data_download_offline_says_where_to_put_the_file(runner, tmp_path, monkeypatch):
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there
    monkeypatch.setenv("ZAN_GEO_API_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("ZAN_DATA_DIR", str(tmp_path / "cache"))
    res = runner.invoke(
        main, ["data", "download", "--region", "32", "--out", str(tmp_path / "o"), "--quiet"]
    )
    assert res.exit_code == 2, res.output
    assert "place it at" in res.output and str(tmp_path / "cache") in res.output
    assert "Traceback" not in res.output


def test_data_download_needs_a_region(runner):
    res = runner.invoke(main, ["data", "download"])
    assert res.exit_code == 2 and "--region" in res.output


def test_atlas_bundles_maps_offline(runner, tmp_path):
    from zan.datasets import scenario_path

    out = tmp_path / "atlas.html"
    res = runner.invoke(
        main,
        [
            "atlas",
            str(scenario_path("01_reduction_uniforme")),
            str(scenario_path("03_efficacite")),
            "--out",
            str(out),
            "--conference",
        ],
    )
    assert res.exit_code == 0, res.output
    html = out.read_text(encoding="utf-8")
    for label in ("Enveloppes", "Réductions", "Trajectoire", "Écarts"):
        assert label in html
    assert not re.search(r"<script[^>]*\ssrc=", html)


def test_compare_and_sensitivity_commands(tmp_path):
    import openpyxl
    from click.testing import CliRunner

    from zan.cli import main
    from zan.datasets import scenario_path

    a, b = scenario_path("01_reduction_uniforme"), scenario_path("02_consommation_population")
    r = CliRunner().invoke(
        main,
        [
            "compare",
            str(a),
            str(b),
            "--out",
            str(tmp_path / "c"),
            "--baseline",
            "Consommation et population",
        ],
    )
    assert r.exit_code == 0, r.output
    assert "Écarts (ha)" in openpyxl.load_workbook(tmp_path / "c" / "comparaison.xlsx").sheetnames
    assert (tmp_path / "c" / "carte_comparaison.html").stat().st_size > 0
    r = CliRunner().invoke(
        main, ["sensitivity", str(b), "--samples", "512", "--out", str(tmp_path / "s"), "--png"]
    )
    assert r.exit_code == 0, r.output
    assert (tmp_path / "s" / "carte_largeur.png").read_bytes()[:4] == b"\x89PNG"
    assert (
        openpyxl.load_workbook(tmp_path / "s" / "sensibilite.xlsx").sheetnames[0] == "Intervalles"
    )
    r = CliRunner().invoke(
        main, ["compare", str(a), str(scenario_path("05_cascade_reserve_pene_garantie"))]
    )
    assert r.exit_code == 2 and "level='epci'" in r.output
