"""Exception tree, CRS helpers, atomic writes, demo paths, versions."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

import zan
from zan import errors
from zan._write import atomic_path, write_csv
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
    with pytest.raises(errors.MissingDependencyError, match=r"pip install 'zan\[maps\]'"):
        errors.require("no_such_module_zan", "maps", "classification")


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


def test_public_api_is_declared():
    for name in zan.__all__:
        assert hasattr(zan, name), name


def test_show_versions(capsys):
    zan.show_versions()
    out = capsys.readouterr().out
    assert "geopandas" in out and "GDAL" in out
