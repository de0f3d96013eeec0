"""Outputs: balance and history tables in French (CSV, XLSX), map data, and a scenario ledger."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from test_ledger_common import (  # noqa: F401 (fixtures)
    ledger_fixture,
    vintage1_fixture,
)

import zan
from zan.errors import DataError, LedgerError
from zan.ledger import (
    BALANCE_COLUMNS,
    Ledger,
    balance_map,
    export_balance,
    export_history,
    init_ledger,
)

SCENARIOS = Path(zan.datasets.demo_dir()).parent / "scenarios"


def test_balance_csv_has_french_headers(ledger: Ledger, vintage1, tmp_path) -> None:
    ledger.import_consumption(vintage1)
    path = export_balance(ledger, tmp_path / "soldes.csv", at="2023-12-31")
    table = pd.read_csv(path, encoding="utf-8-sig", dtype={"Code": str})
    assert table.columns[:3].tolist() == ["Code", "Nom", "Type de compte"]
    assert "Solde disponible (ha)" in table.columns and "Situation" in table.columns
    assert len(table.columns) == len(BALANCE_COLUMNS) + 1
    rows = table.set_index("Code")
    assert rows.loc["B", "Situation"] == "Enveloppe dépassée"  # 33 ha > 30 ha
    assert rows.loc["region", "Type de compte"] == "Région"
    assert rows.loc["A", "Solde disponible (ha)"] == pytest.approx(34.0)
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # BOM: spreadsheets show the accents


def test_balance_xlsx_with_an_information_sheet(ledger: Ledger, tmp_path) -> None:
    path = export_balance(ledger, tmp_path / "soldes.xlsx", at="2022-01-01")
    sheets = pd.read_excel(path, sheet_name=None)
    assert list(sheets) == ["Soldes", "Informations"]
    assert sheets["Soldes"].set_index("Code").loc["reserve", "Enveloppe (ha)"] == 20.0
    info = sheets["Informations"].set_index("Rubrique")["Valeur"]
    assert info["Arrêté au"] == "2022-01-01"
    assert info["Empreinte de la dernière écriture (SHA-256)"] == ledger.verify().head


def test_history_export_in_french(ledger: Ledger, vintage1, tmp_path) -> None:
    ledger.import_consumption(vintage1)
    ledger.transfer("A", "B", 1, justification="accord", date="2022-06-01")
    path = export_history(ledger, "A", tmp_path / "historique_A.csv")
    h = pd.read_csv(path, encoding="utf-8-sig")
    assert h["Nature"].tolist() == [
        "Allocation",
        "Consommation (Cerema)",
        "Transfert entre territoires",
        "Consommation (Cerema)",
        "Consommation (Cerema)",
    ]
    assert h["Solde disponible après l'écriture (ha)"].iloc[-1] == pytest.approx(50 - 16 - 1)
    with pytest.raises(LedgerError, match="unknown account 'Z'"):
        export_history(ledger, "Z", tmp_path / "z.csv")
    assert not (tmp_path / "z.csv").exists()


def test_unknown_output_format_writes_nothing(ledger: Ledger, tmp_path) -> None:
    with pytest.raises(DataError, match=r"unknown table format '\.ods'"):
        export_balance(ledger, tmp_path / "soldes.ods")
    assert list(tmp_path.glob("soldes*")) == []


@pytest.mark.slow
def test_ledger_from_a_scenario_and_its_map(tmp_path) -> None:
    scenario = SCENARIOS / "05_cascade_reserve_pene_garantie.toml"
    led = init_ledger(
        tmp_path / "compte.gpkg",
        scenario,
        author="région",
        justification="SRADDET modifié, délibération du 21 novembre 2024",
    )
    from zan.scenario import load_scenario, run_scenario

    sc = load_scenario(scenario)
    alloc = run_scenario(sc)
    totals = alloc.totals
    b = led.balance()
    assert b.loc["region", "envelope_ha"] == pytest.approx(totals["envelope_ha"], abs=1e-4)
    assert b.loc["reserve", "envelope_ha"] == pytest.approx(
        totals["envelope_ha"] - totals["distributed_ha"], abs=1e-4
    )
    assert b.loc["pene", "envelope_ha"] == pytest.approx(totals["pene_ha"], abs=1e-4)
    table = alloc.table
    territories = b[b["account_type"] == "territoire"]
    assert len(territories) == len(table)  # a cascade to the communes: one account per commune
    assert (
        territories["envelope_ha"] - table["envelope_ha"].reindex(territories.index)
    ).abs().max() < 1e-9
    e = led.entries(kind="allocation")
    assert set(e["scenario_hash"]) == {sc.hash} and set(e["scenario_name"]) == {sc.scenario.name}
    assert e["source_sha256"].str.len().eq(64).all()
    report = led.import_consumption(
        zan.get_path("conso_enaf_2009_2023.csv"),
        passage=zan.get_path("passage_cog2023_cog2024.csv"),
    )
    assert report.years == (2021, 2022)
    gdf = led.map_frame(at="2023-01-01")
    assert gdf.crs.to_epsg() == 2154 and len(gdf) == len(table) and gdf.geometry.notna().all()
    assert set(gdf["status"]) <= {"on_track", "will_exceed", "exceeded"}
    html = balance_map(led, at="2023-01-01").get_root().render()
    assert "Compte foncier 2021-2030" in html and "Dépassement prévu" in html
    html = balance_map(led, column="remaining_ha").get_root().render()
    assert "Solde restant" in html


def test_map_frame_needs_geometries(ledger: Ledger) -> None:
    with pytest.raises(LedgerError, match="no territory geometry; pass territories="):
        ledger.map_frame()
