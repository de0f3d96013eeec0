"""Exception tree, CRS helpers, atomic writes, demo paths, versions."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

import zan
from zan import errors
from zan._write import Sheet, atomic_path, write_csv, write_workbook
from zan.crs import ensure_crs, to_projected
from zan.datasets import get_path


def test_every_error_is_a_zan_error_and_a_builtin():
    assert issubclass(errors.DataError, ValueError)
    assert issubclass(errors.SchemaError, errors.DataError)
    assert issubclass(errors.ValidationError, errors.SchemaError)
    assert issubclass(errors.InfeasibleError, errors.ScenarioError)
    assert issubclass(errors.DownloadError, OSError)
    assert issubclass(errors.MissingDependencyError, ImportError)
    for name in errors.__all__:
        obj = getattr(errors, name)
        if isinstance(obj, type) and issubclass(obj, Exception):
            assert issubclass(obj, errors.ZanError), name
            assert name in errors.__doc__, f"{name} missing from the tree in the docstring"


def test_validation_error_lists_every_problem():
    probs = [
        errors.Problem("a.csv", "bad code '1'", column="idcom", row="3", fix="use 5 characters"),
        errors.Problem("a.csv", "negative flow", column="naf11art12", row="7"),
    ]
    exc = errors.ValidationError(probs)
    text = str(exc)
    assert "2 problems" in text
    assert "a.csv, column 'idcom', row 3: bad code '1'; use 5 characters" in text
    assert "naf11art12" in text and exc.problems == probs


def test_require_names_the_extra():
    with pytest.raises(errors.MissingDependencyError, match=r"pip install 'zan\[download\]'"):
        errors.require("no_such_module_zan", "download", "extracting archives")


def test_require_names_a_missing_core_dependency():
    with pytest.raises(
        errors.MissingDependencyError,
        match=r"'xstatic-leaflet', a dependency of zan .* pip install 'xstatic-leaflet'",
    ):
        errors.require("no_such_module_zan", None, "offline maps", package="xstatic-leaflet")


def test_every_require_names_a_real_extra():
    # each extra named by a require(...) call in zan/ is one pyproject.toml declares, and
    # a module named None is a core dependency (it names the package to install)
    import ast
    import tomllib
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    extras = set(project["optional-dependencies"])
    core = {d.split(">")[0].split("[")[0].strip().lower() for d in project["dependencies"]}
    calls = []
    for path in sorted((root / "zan").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", None) == "require":
                module, extra = (a.value for a in node.args[:2])
                package = next((k.value.value for k in node.keywords if k.arg == "package"), None)
                calls.append((path.name, module, extra, package))
    assert len(calls) >= 5
    for name, module, extra, package in calls:
        if extra is None:
            assert (package or module).lower() in core, (name, module)
        else:
            assert extra in extras, f"{name}: require({module!r}) names no extra zan[{extra}]"


def test_crs_missing_names_the_fix():
    gdf = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)])
    with pytest.raises(
        errors.CRSError, match=r"layer\.gpkg.*no coordinate reference system.*EPSG:2154"
    ):
        ensure_crs(gdf, "layer.gpkg")


def test_geographic_crs_refused_when_kept():
    gdf = gpd.GeoDataFrame(geometry=[Point(2, 48)], crs="EPSG:4326")
    with pytest.raises(errors.CRSError, match="geographic"):
        to_projected(gdf, "pts.geojson", target=None)
    with pytest.raises(errors.CRSError, match="not projected"):
        to_projected(gdf, "pts.geojson", target="EPSG:4326")


def test_to_projected_reprojects_to_lambert93():
    gdf = gpd.GeoDataFrame(geometry=[Point(3.0, 46.5)], crs="EPSG:4326")
    out = to_projected(gdf, "pts")
    assert out.crs.to_epsg() == 2154
    # (3°E, 46.5°N) is the origin of Lambert-93: (700000, 6600000)
    assert out.geometry.x.iloc[0] == pytest.approx(700_000, abs=0.01)
    assert out.geometry.y.iloc[0] == pytest.approx(6_600_000, abs=0.01)


def test_atomic_write_leaves_old_file_on_failure(tmp_path):
    dest = tmp_path / "t.csv"
    dest.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_path(dest) as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")
    assert dest.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["t.csv"]


def test_write_csv_four_decimals(tmp_path):
    df = pd.DataFrame({"total_ha": [1 / 3]}, index=pd.Index(["96001"], name="code"))
    write_csv(df, tmp_path / "x.csv")
    assert (tmp_path / "x.csv").read_text() == "code,total_ha\n96001,0.3333\n"


def test_get_path_lists_valid_names():
    with pytest.raises(errors.DataError, match="communes.gpkg"):
        get_path("nope.csv")


#: zan's public API: a name added, removed or renamed is a decision, made here too.
PUBLIC_API = """
AlignResult Allocation CRSError Consumption Criterion DataError Envelope GeometryError
InfeasibleError LAMBERT93 LevelTable MembershipError NoSraddetError PeriodError STATUS_LABELS
Scenario ScenarioError SchemaError Territories ValidationError ZanError ZanWarning __version__
add_level align allocate allocate_batch allocate_cascade clip_destinations consumption errors
get_path load_profile load_region load_scenario local_report read_communes read_consumption
read_level_table read_membership read_passage region_path regional_envelope register_rule
rule_names run_scenario scenario_schema show_versions simulator_html to_projected trajectory
unassigned_communes write_allocation
""".split()


def test_public_api_is_the_declared_one():
    assert sorted(zan.__all__) == sorted(PUBLIC_API)
    assert len(set(zan.__all__)) == len(zan.__all__), "a name listed twice in __all__"
    star: dict = {}
    exec("from zan import *", star)
    assert set(star) - {"__builtins__"} == set(PUBLIC_API)
    for name in PUBLIC_API:  # zan's own objects, documented (not a third party's re-exported)
        obj = getattr(zan, name)
        if callable(obj):
            assert obj.__module__.startswith("zan."), (name, obj.__module__)
            assert (obj.__doc__ or "").strip(), f"{name} has no docstring"


def test_show_versions(capsys):
    zan.show_versions()
    out = capsys.readouterr().out
    assert "geopandas" in out and "GDAL" in out


def test_workbook_cells_formats_and_reproducible_bytes(tmp_path):
    import hashlib

    import openpyxl

    t = pd.DataFrame(
        {
            "Code": ["59001", "=1+1", None],
            "Enveloppe (ha)": [1234.5678, np.nan, np.inf],
            "Communes": pd.array([3, 4, None], dtype="Int64"),
            "Plafond": [True, False, True],
            "Mixte": ["a", 2, 3.5],
        }
    )
    sheets = [
        Sheet("Table [1]", t, {"Enveloppe (ha)": "#,##0.00"}, freeze="B2"),
        Sheet("Table [1]", t.head(1), {}, freeze="A2"),
    ]
    a = write_workbook(tmp_path / "a.xlsx", sheets)
    b = write_workbook(tmp_path / "b.xlsx", sheets)
    digest = [hashlib.sha256(p.read_bytes()).hexdigest() for p in (a, b)]
    assert digest[0] == digest[1]  # fixed creation date: same tables, same bytes
    wb = openpyxl.load_workbook(a)
    assert wb.sheetnames == ["Table -1-", "Table -1- (2)"]
    ws = wb["Table -1-"]
    assert [c.value for c in ws[1]] == list(t.columns)
    assert ws["A3"].value == "=1+1" and ws["A3"].data_type == "s"  # text, never a formula
    assert ws["B2"].value == 1234.5678 and ws["B2"].number_format == "#,##0.00"
    assert ws["B3"].value is None and ws["B4"].value is None  # missing and infinite: empty
    assert ws["C2"].value == 3 and isinstance(ws["C2"].value, int) and ws["C4"].value is None
    assert ws["D2"].value is True and ws["E3"].value == 2 and ws["E4"].value == 3.5
    assert ws.freeze_panes == "B2" and ws.auto_filter.ref == "A1:E4"
    assert ws["A1"].font.bold
    with pytest.raises(errors.DataError, match="nothing to write"):
        write_workbook(tmp_path / "c.xlsx", [])
    assert not (tmp_path / "c.xlsx").exists()
