"""Receiving territories as a level: the shipped SRADDET tables, reading, Territories, scenarios."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from helpers import shared_path

from zan.cli import main
from zan.datasets import data_path, get_path, region_files, region_path
from zan.errors import DataError, MembershipError, ScenarioError, SchemaError
from zan.io.levels import read_level_table
from zan.levels import add_level, level_notes, membership_with_level, unassigned_communes
from zan.rules import fixed_rates
from zan.scenario import load_scenario, run_scenario, scenario_inputs, scenario_schema
from zan.territory import Territories

ROOT = Path(__file__).resolve().parents[1]
TERR = "territoires_sraddet_hdf_2024.csv"
COMM = "communes_territoires_sraddet_hdf_2024.csv"


def sraddet_table():
    return read_level_table(region_path("hdf", TERR), region_path("hdf", COMM), name="sraddet")


# ----------------------------------------------------------------------------- shipped data
def test_shipped_tables_match_the_checksums_their_sources_give():
    sources = (ROOT / "data" / "regions" / "hdf" / "SOURCES.md").read_text(encoding="utf-8")
    for name, (head, tail) in {TERR: ("3710c472", "c46779"), COMM: ("10397ea7", "31ea44")}.items():
        digest = hashlib.sha256(region_path("hdf", name).read_bytes()).hexdigest()
        assert digest.startswith(head) and digest.endswith(tail), name
        assert f"`{head}…{tail}`" in sources


def test_shipped_files_are_byte_copies_of_the_shared_folder():
    for name in (TERR, COMM, "SOURCES.md"):
        shared = shared_path("hdf", "sraddet", name)
        assert region_path("hdf", name).read_bytes() == shared.read_bytes(), name


def test_region_paths_and_their_errors():
    assert {TERR, COMM, "SOURCES.md"} <= set(region_files("hdf"))
    assert data_path(f"region:hdf/{TERR}") == region_path("hdf", TERR)
    assert data_path("demo:communes.csv") == get_path("communes.csv")
    with pytest.raises(DataError, match="no file 'nope.csv' for region 'hdf'; available: .*SOURCES"):
        region_path("hdf", "nope.csv")
    with pytest.raises(DataError, match="no reference tables for region 'xx'; regions: .*hdf"):
        region_files("xx")


# ----------------------------------------------------------------------------- reading
def test_sraddet_tables_read_46_territories_and_3671_communes():
    lt = sraddet_table()
    t = lt.territories
    assert len(t) == 46 and t.index.is_monotonic_increasing and t.index.is_unique
    assert t["territory_type"].value_counts().to_dict() == {"SCOT": 40, "EPCI": 5, "CUSTOM": 1}
    rates = pd.to_numeric(t["reduction_pct"])
    assert rates.min() == pytest.approx(12.9) and rates.max() == pytest.approx(82.2)
    assert len(lt.membership) == 3671 and lt.membership.index.is_unique
    counts = lt.membership.value_counts()
    assert counts.reindex(t.index).tolist() == pd.to_numeric(t["n_communes_cog2026"]).tolist()
    assert lt.membership["02001"] == "SCOT_3895"


def _write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_level_table_errors_name_the_file_column_and_fix(tmp_path):
    terr = _write(tmp_path, "t.csv", "code,nom\nT1,Nord\nT2,Sud\n")
    dup = _write(tmp_path, "dup.csv", "code,nom\nT1,Nord\nT1,Nord bis\n")
    with pytest.raises(SchemaError, match=r"dup.csv: column 'code': territories listed more than "
                       r"once: T1; keep one row per territory"):
        read_level_table(dup, _write(tmp_path, "m.csv", "code_insee,code\n01001,T1\n"), name="b")
    unknown = _write(tmp_path, "m2.csv", "code_insee,code\n01001,T1\n01002,T9\n")
    with pytest.raises(MembershipError, match=r"m2.csv: column 'code': 1 commune\(s\) belong to "
                       r"territories absent from the territory table .*t.csv: T9; add them"):
        read_level_table(terr, unknown, name="b")
    twice = _write(tmp_path, "m3.csv", "code_insee,code\n01001,T1\n01001,T2\n")
    with pytest.raises(MembershipError, match="commune 01001 belongs to several territories"):
        read_level_table(terr, twice, name="b")
    with pytest.raises(SchemaError, match="level name 'epci' is already a standard level"):
        read_level_table(terr, unknown, name="epci")
    with pytest.raises(SchemaError, match="column 'label' \\(name_column\\) not found"):
        read_level_table(terr, unknown, name="b", name_column="label")


# ----------------------------------------------------------------------------- Territories
@pytest.fixture(scope="module")
def demo_level():
    t = Territories.demo()
    codes = t.communes.index
    n = len(codes)
    table = read_level_table(
        pd.DataFrame({"code": ["T1", "T2", "T3"], "nom": ["Nord", "Sud", "Vide"]}),
        pd.DataFrame({"code_insee": codes[: n - 5], "code": ["T1", "T2"] * ((n - 5) // 2)
                      + ["T1"] * ((n - 5) % 2)}),
        name="bassin",
        outside_name="Hors bassins",
    )
    return t, add_level(t, table)


def test_added_level_works_like_any_level(demo_level):
    t, t2 = demo_level
    assert t2.levels == (*t.levels, "bassin")
    assert t2.names("bassin").to_dict() == {"T1": "Nord", "T2": "Sud", "hors_bassin": "Hors bassins"}
    area = t2.aggregate(t2.communes["area_ha"], "bassin")["area_ha"]
    assert area.sum() == pytest.approx(t2.communes["area_ha"].sum(), rel=1e-12)
    geoms = t2.geometries("bassin")
    assert list(geoms.index) == ["T1", "T2", "hors_bassin"]
    assert geoms.area.sum() / 1e4 == pytest.approx(t2.communes.area.sum() / 1e4, rel=1e-6)
    out = unassigned_communes(t2, "bassin")
    assert list(out.index) == sorted(t.communes.index[-5:])
    assert {"nom", "epci", "epci_nom", "departement"} <= set(out.columns)
    notes = level_notes(t2, "bassin")
    assert any(n.startswith("5 commune(s) hors de tout territoire") for n in notes)
    assert any("1 territoire(s) du niveau 'bassin' sans commune" in n and "T3" in n for n in notes)
    with pytest.raises(DataError, match="already have a level 'bassin'"):
        add_level(t2, read_level_table(pd.DataFrame({"code": ["X"]}),
                                       pd.DataFrame({"code_insee": ["99001"], "code": ["X"]}),
                                       name="bassin"))


def test_membership_without_geometry_never_drops_the_outsiders():
    m = pd.DataFrame({"epci": ["E1", "E1", "E2"]},
                     index=pd.Index(["01001", "01002", "01003"], name="code"))
    lt = read_level_table(pd.DataFrame({"code": ["T1"], "nom": ["Nord"]}),
                          pd.DataFrame({"code_insee": ["01001", "09999"], "code": ["T1", "T1"]}),
                          name="bassin")
    out = membership_with_level(m, lt)
    assert out["bassin"].tolist() == ["T1", "hors_bassin", "hors_bassin"]
    assert out["bassin_nom"].tolist() == ["Nord"] + ["Hors territoires de réception"] * 2
    assert out.attrs["level_tables"]["bassin"]["not_in_layer"] == ["09999"]


def test_fixed_rates_in_percent_match_fractions():
    t = pd.DataFrame({"reference_ha": [100.0, 50.0]}, index=["a", "b"])
    table = pd.DataFrame({"code": ["a", "b"], "pct": ["54.47", "12.9"]})
    got = fixed_rates(t, table=table, rates="pct", percent=True)
    assert got == pytest.approx([45.53, 43.55])
    with pytest.raises(ScenarioError, match="outside \\[0, 1\\].*or 50 with percent = true"):
        fixed_rates(t, table=table, rates="pct")


# ----------------------------------------------------------------------------- scenarios
def _level_scenario(tmp_path, level_keys: str = "", level: str = "bassin") -> Path:
    t = Territories.demo()
    codes = sorted(t.communes.index)
    pd.DataFrame({"code": ["T1", "T2"], "nom": ["Nord", "Sud"], "taux": [50.0, 60.0]}).to_csv(
        tmp_path / "bassins.csv", index=False)
    pd.DataFrame({"insee": codes[:-4], "bassin": ["T1", "T2"] * ((len(codes) - 4) // 2)
                  + ["T1"] * ((len(codes) - 4) % 2)}).to_csv(tmp_path / "membres.csv", index=False)
    text = f"""
[scenario]
name = "bassins"
[data]
communes = "demo:communes.gpkg"
membership = "demo:communes.csv"
consumption = "demo:conso_enaf_2009_2023.csv"
passage = "demo:passage_cog2023_cog2024.csv"
[data.levels.bassin]
territories = "bassins.csv"
membership = "membres.csv"
territory_column = "bassin"
{level_keys}
[envelope]
envelope_ha = 3000
[allocation]
level = "{level}"
scale_targets = false
[[criteria]]
rule = "fixed_rates"
params = {{ table = "bassins.csv", code_column = "code", rates = "taux", percent = true }}
"""
    return _write(tmp_path, "s.toml", text)


def test_scenario_allocates_at_an_added_level_and_lists_the_outsiders(tmp_path):
    path = _level_scenario(tmp_path)
    sc = load_scenario(path)
    assert {"data.levels.bassin.territories", "data.levels.bassin.membership"} <= set(
        scenario_inputs(sc))
    alloc = run_scenario(sc)
    t = alloc.table
    assert list(t.index) == ["T1", "T2"]
    exact = t["reference_ha"] * np.array([0.5, 0.4])
    assert np.abs(t["envelope_ha"] - exact).max() <= 0.01 + 1e-9
    out = alloc.unassigned
    assert len(out) == 4 and out["reference_ha"].notna().all()
    assert (out["level"] == "bassin").all()
    # the regional reference still counts every commune
    assert alloc.envelope.reference_ha == pytest.approx(t["reference_ha"].sum()
                                                        + out["reference_ha"].sum(), rel=1e-9)
    side = [n for n in alloc.notes if n.startswith("Enveloppe régionale : 3\u202f000,00 ha")]
    assert side and "somme des enveloppes des 2 territoires" in side[0]
    assert "4 commune(s) hors de tout territoire" in side[0]
    assert "communes_hors_territoires.csv" in side[0]


def test_cli_allocate_writes_the_outsiders_and_shows_envelopes_side_by_side(tmp_path):
    path = _level_scenario(tmp_path)
    res = CliRunner().invoke(main, ["allocate", str(path), "--out", str(tmp_path / "o")])
    assert res.exit_code == 0, res.output
    assert "Enveloppe régionale : 3\u202f000,00 ha ; somme des enveloppes des 2 territoires" in (
        res.output)
    listed = pd.read_csv(tmp_path / "o" / "communes_hors_territoires.csv", dtype={"code": str})
    assert len(listed) == 4 and listed["code"].is_unique
    sources = json.loads((tmp_path / "o" / "sources.json").read_text())
    assert "communes_hors_territoires.csv" in json.dumps(sources)


def test_scenario_level_errors_name_the_key(tmp_path):
    path = _level_scenario(tmp_path, level_keys='code_column = "absent"')
    with pytest.raises(ScenarioError, match=r"key 'data.levels.bassin': .*column 'absent' "
                       r"\(code_column\) not found"):
        run_scenario(path)
    bad = _write(tmp_path, "bad.toml", path.read_text().replace("[data.levels.bassin]",
                                                                "[data.levels.epci]"))
    with pytest.raises(ScenarioError, match="key 'data.levels': level 'epci' is a standard level"):
        load_scenario(bad)


def test_schema_documents_the_levels_key():
    s = scenario_schema()
    assert "levels" in s["$defs"]["DataConfig"]["properties"]
    assert {"territories", "membership", "code_column"} <= set(
        s["$defs"]["LevelConfig"]["properties"])


def test_cli_consumption_by_an_added_level(tmp_path):
    t = Territories.demo()
    codes = sorted(t.communes.index)
    pd.DataFrame({"code": ["T1"], "nom": ["Nord"]}).to_csv(tmp_path / "t.csv", index=False)
    pd.DataFrame({"code_insee": codes[:10], "code": "T1"}).to_csv(tmp_path / "m.csv", index=False)
    res = CliRunner().invoke(main, [
        "consumption", str(get_path("conso_enaf_2009_2023.csv")),
        "--territories", str(get_path("communes.gpkg")), "--membership",
        str(get_path("communes.csv")), "--passage", str(get_path("passage_cog2023_cog2024.csv")),
        "--level-table", "bassin", str(tmp_path / "t.csv"), str(tmp_path / "m.csv"),
        "--by", "bassin", "--out", str(tmp_path / "c.csv"),
    ])
    assert res.exit_code == 0, res.output
    assert f"{len(codes) - 10} commune(s) outside every territory of level 'bassin'" in res.output
    table = pd.read_csv(tmp_path / "c.csv", index_col=0)
    assert list(table.index) == ["T1", "hors_bassin"]
    assert table.loc["hors_bassin", "nom"] == "Hors territoires de réception"


def test_atlas_maps_an_added_level_without_a_status_for_the_outsiders(tmp_path):
    from zan.atlas import scenario_atlas

    path = _level_scenario(tmp_path)
    page = scenario_atlas([path], tmp_path / "atlas.html")
    assert (tmp_path / "atlas.html").read_text(encoding="utf-8") == page
    assert "Trajectoire au regard de l" in page and "non renseign" in page


def test_ledger_charges_the_outsiders_consumption_to_the_regional_reserve(tmp_path):
    from zan import read_consumption, read_passage
    from zan.datasets import get_path
    from zan.ledger import Ledger

    alloc = run_scenario(load_scenario(_level_scenario(tmp_path)))
    outside = alloc.unassigned.index
    ledger = Ledger.create(tmp_path / "compte.gpkg", alloc)
    communes = ledger.communes
    assert (communes.reindex(outside) == "reserve").all()
    assert set(communes.drop(outside)) == {"T1", "T2"}
    passage = get_path("passage_cog2023_cog2024.csv")
    ledger.import_consumption(get_path("conso_enaf_2009_2023.csv"), passage=passage)
    conso, _ = read_consumption(get_path("conso_enaf_2009_2023.csv")).align(
        read_passage(passage), target_codes=alloc.territories.communes.index,
        split_weights=alloc.territories.communes["area_ha"])
    since_2021 = conso.period_total(2021, max(conso.years)) / 10_000
    balance = ledger.balance()
    assert balance.loc["reserve", "consumed_ha"] == pytest.approx(
        since_2021.reindex(outside).sum(), abs=1e-6)
    assert balance.loc["T1", "consumed_ha"] + balance.loc["T2", "consumed_ha"] == pytest.approx(
        since_2021.drop(outside, errors="ignore").sum(), abs=1e-6)
