"""Exports: CSV for French spreadsheets, formatted XLSX, GeoPackage and GeoParquet."""

from __future__ import annotations

import threading

import geopandas as gpd
import numpy as np
import openpyxl
import pandas as pd
import pytest
from shapely.geometry import box

from zan.datasets import scenario_path
from zan.errors import DataError
from zan.export import (
    allocation_views,
    export_allocation,
    export_comparison,
    french_table,
    to_csv,
    to_xlsx,
    write_allocation,
)
from zan.scenario import run_scenario


@pytest.fixture(scope="module")
def alloc():
    return run_scenario(scenario_path("02_consommation_population"))


@pytest.fixture(scope="module")
def cascade():
    return run_scenario(scenario_path("05_cascade_reserve_pene_garantie"))


def read_french_csv(path, decimal=","):
    return pd.read_csv(path, sep=";", decimal=decimal, encoding="utf-8-sig", dtype={"Code": str})


def test_csv_has_bom_semicolons_decimal_comma_and_french_headers(tmp_path, alloc):
    path = export_allocation(alloc, tmp_path / "a.csv", decimal_comma=True)
    raw = path.read_bytes()
    assert raw[:3] == b"\xef\xbb\xbf"
    lines = raw[3:].decode("utf-8").splitlines()
    assert lines[0].startswith("Code;Nom;Consommation de référence (ha);Enveloppe (ha)")
    first = lines[1].split(";")
    assert first[0] == alloc.table.index[0]
    assert first[3] == f"{alloc.table['envelope_ha'].iloc[0]:.4f}".replace(".", ",")
    back = read_french_csv(path)
    assert len(back) == len(alloc.table)
    np.testing.assert_allclose(back["Enveloppe (ha)"], alloc.table["envelope_ha"], atol=5e-5)
    assert set(back["Borne appliquée"]) <= {"aucune", "plancher", "plafond"}
    # infinite caps are empty cells, not "inf"
    assert "inf" not in raw.decode("utf-8") and back["Plafond (ha)"].isna().all()


def test_csv_refuses_a_separator_equal_to_the_decimal_mark(tmp_path):
    with pytest.raises(DataError, match="decimal mark"):
        to_csv(pd.DataFrame({"x": [1.5]}), tmp_path / "t.csv", sep=",", decimal_comma=True)
    assert not (tmp_path / "t.csv").exists()


def test_xlsx_read_back_equals_the_csv(tmp_path, cascade):
    xlsx = export_allocation(cascade, tmp_path / "a.xlsx")
    wb = openpyxl.load_workbook(xlsx)
    assert wb.sheetnames == [
        "Synthèse",
        "Construction enveloppe",
        "SCoT",
        "EPCI",
        "Communes",
        "Informations",
    ]
    for level, sheet in (("epci", "EPCI"), ("commune", "Communes")):
        csv = read_french_csv(
            export_allocation(cascade, tmp_path / f"{level}.csv", level=level, decimal_comma=True)
        )
        ws = wb[sheet]
        rows = list(ws.values)
        frame = pd.DataFrame(rows[1:], columns=rows[0])
        assert list(frame.columns) == list(csv.columns)
        assert frame["Code"].astype(str).tolist() == csv["Code"].tolist()
        for column in csv.columns:
            if pd.api.types.is_numeric_dtype(csv[column]):
                np.testing.assert_allclose(
                    pd.to_numeric(frame[column]).to_numpy(dtype=float),
                    csv[column].to_numpy(dtype=float),
                    atol=5e-5,
                    err_msg=column,
                )
            else:
                assert (
                    frame[column].fillna("").astype(str).tolist()
                    == csv[column].fillna("").astype(str).tolist()
                ), column
    info = {r[0]: r[1] for r in list(wb["Informations"].values)[1:]}
    assert info["Empreinte du scénario (SHA-256)"] == cascade.scenario_hash


def test_xlsx_is_formatted(tmp_path, alloc):
    wb = openpyxl.load_workbook(export_allocation(alloc, tmp_path / "a.xlsx"))
    ws = wb["EPCI"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref
    head = {c.value: c for c in ws[1]}
    assert head["Enveloppe (ha)"].font.bold
    col = head["Enveloppe (ha)"].column_letter
    assert ws[f"{col}2"].number_format == "#,##0.00"
    assert ws[f"{head['Réduction (%)'].column_letter}2"].number_format == "0.0"
    assert ws.column_dimensions[head["Nom"].column_letter].width > 10
    # the summary sheet holds the regional totals
    summary = {r[0]: r[1] for r in list(wb["Synthèse"].values)[1:]}
    assert summary["Enveloppe répartie"] == pytest.approx(alloc.distributed_ha)


def test_sheet_names_are_cleaned_and_unique(tmp_path):
    t = pd.DataFrame({"x": [1]}, index=["a"])
    p = to_xlsx({"a/b:c" * 10: t, "A/B:C" * 10: t}, tmp_path / "t.xlsx")
    names = openpyxl.load_workbook(p).sheetnames
    assert len(names) == 2 and all(len(n) <= 31 and "/" not in n for n in names)
    assert names[0] != names[1]


def test_gpkg_has_one_layer_per_level_with_geometry(tmp_path, cascade):
    path = export_allocation(cascade, tmp_path / "a.gpkg")
    layers = gpd.list_layers(path)["name"].tolist()
    assert layers == ["scot", "epci", "commune"]
    epci = gpd.read_file(path, layer="epci")
    assert epci.crs.to_epsg() == 2154 and len(epci) == len(cascade.level_table("epci"))
    np.testing.assert_allclose(epci["envelope_ha"], cascade.level_table("epci")["envelope_ha"])
    areas = epci.set_index("code").geometry.area / 1e4
    expected = cascade.territories.geometries("epci")["area_ha"]
    np.testing.assert_allclose(areas.reindex(expected.index.astype(str)), expected, rtol=1e-6)


def test_geoparquet_round_trip(tmp_path, alloc):
    path = export_allocation(alloc, tmp_path / "a.parquet")
    g = gpd.read_parquet(path)
    assert g.crs.to_epsg() == 2154 and g.geometry.notna().all()
    assert g["code"].tolist() == alloc.table.index.astype(str).tolist()
    np.testing.assert_allclose(g["envelope_ha"], alloc.table["envelope_ha"])
    fr = export_allocation(alloc, tmp_path / "fr.geoparquet", french_headers=True)
    assert "Enveloppe (ha)" in gpd.read_parquet(fr).columns


def test_comparison_exports(tmp_path):
    from zan.reports import comparison_table

    t = comparison_table(
        [scenario_path("01_reduction_uniforme"), scenario_path("02_consommation_population")]
    )
    names = t.attrs["scenarios"]
    csv = export_comparison(t, tmp_path / "c.csv", decimal_comma=True)
    head = csv.read_text(encoding="utf-8-sig").splitlines()[0].split(";")
    assert head[:3] == ["Code", "Nom", "Consommation de référence (ha)"]
    assert f"Enveloppe « {names[0]} » (ha)" in head and f"Écart {names[1]} (ha)" in head
    xlsx = export_comparison(t, tmp_path / "c.xlsx")
    rows = list(openpyxl.load_workbook(xlsx)["Comparaison"].values)
    back = read_french_csv(csv)
    assert [str(r[0]) for r in rows[1:]] == back["Code"].tolist()
    geoms = run_scenario(scenario_path("01_reduction_uniforme")).territories.geometries("epci")
    g = gpd.read_file(export_comparison(t, tmp_path / "c.gpkg", geometries=geoms))
    assert len(g) == len(t)
    with pytest.raises(DataError, match="needs geometries"):
        export_comparison(t, tmp_path / "c.parquet")


def test_bad_suffix_and_no_geometry_are_refused(tmp_path, alloc):
    with pytest.raises(DataError, match="unknown export format '.docx'"):
        export_allocation(alloc, tmp_path / "a.docx")
    t = pd.DataFrame({"envelope_ha": [1.0, 2.0]}, index=pd.Index(["A", "B"], name="code"))
    g = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)], index=["A"], crs="EPSG:2154")
    from zan.export import to_gpkg

    with pytest.raises(DataError, match="no geometry for 1 territories \\(B\\)"):
        to_gpkg(t, tmp_path / "t.gpkg", g)
    assert not (tmp_path / "t.gpkg").exists()


def test_views_and_french_headers(alloc):
    views = allocation_views(alloc)
    assert list(views) == ["Synthèse", "Construction enveloppe", "EPCI"]
    fr = french_table(views["EPCI"])
    assert "Critère « population » (ha)" in fr.columns
    assert "weight" not in fr.columns and "multiplier" not in fr.columns


def test_write_allocation_map_uses_the_geometry_simplified_in_the_background(tmp_path):
    """The map's geometry is prepared while the tables are written (one build, reused)."""
    from zan.maps import _geometry

    alloc = run_scenario(scenario_path("02_consommation_population"))
    _geometry._CACHE.clear()
    built = []
    original = _geometry.MapGeometry._build.__func__

    def counting(cls, *args, **kwargs):
        built.append(threading.current_thread().name)
        return original(cls, *args, **kwargs)

    _geometry.MapGeometry._build = classmethod(counting)
    try:
        written = write_allocation(alloc, tmp_path / "out")
    finally:
        _geometry.MapGeometry._build = classmethod(original)
    assert [p.name for p in written] == ["allocation.csv", "allocation.gpkg", "carte.html"]
    assert built == ["zan-map-prefetch"]  # built once, in the background thread
