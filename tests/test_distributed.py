"""The dask path gives the same results as the single-process path."""

from __future__ import annotations

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import box

from zan.errors import DataError
from zan.io.cache import write_cache

pytest.importorskip("dask_geopandas")
pytest.importorskip("distributed")


def test_unclassified_landcover_is_refused(tmp_path):
    from zan.measure.distributed import parcel_landcover_distributed

    lc = gpd.GeoDataFrame({"code_cs": ["CS1.1.1.1"]}, geometry=[box(0, 0, 1, 1)], crs="EPSG:2154")
    with pytest.raises(DataError, match="classify"):
        parcel_landcover_distributed(tmp_path, lc)


@pytest.mark.slow
def test_dask_equals_single_process(tmp_path):
    from zan.datasets import demo_dir, get_path
    from zan.io.cadastre import read_parcels
    from zan.io.ocsge import read_ocsge
    from zan.measure.artificialisation import classify
    from zan.measure.distributed import parcel_landcover_distributed
    from zan.measure.parcels import enaf_by_commune, parcel_landcover

    lc = classify(read_ocsge(get_path("ocsge_demo_2018.gpkg")))
    parcels = read_parcels(sorted(demo_dir().glob("cadastre-*-parcelles.json.gz")))
    single = parcel_landcover(parcels, lc)
    write_cache(parcels, tmp_path / "parcels", partitions=3)
    write_cache(lc.layer, tmp_path / "landcover.parquet")
    dist = parcel_landcover_distributed(
        tmp_path / "parcels", tmp_path / "landcover.parquet", n_workers=2
    )
    pd.testing.assert_frame_equal(single, dist, check_exact=True)
    pd.testing.assert_frame_equal(enaf_by_commune(single), enaf_by_commune(dist), check_exact=True)


@pytest.mark.slow
def test_dask_geopandas_frame_and_scattered_landcover_equal_single_process(tmp_path):
    import dask_geopandas

    from zan.datasets import demo_dir, get_path
    from zan.io.cadastre import read_parcels
    from zan.io.ocsge import read_ocsge
    from zan.measure.artificialisation import classify
    from zan.measure.distributed import dask_client, parcel_landcover_distributed
    from zan.measure.parcels import parcel_landcover

    lc = classify(read_ocsge(get_path("ocsge_demo_2018.gpkg")))
    parcels = read_parcels(sorted(demo_dir().glob("cadastre-*-parcelles.json.gz")))
    single = parcel_landcover(parcels, lc)
    ddf = dask_geopandas.from_geopandas(parcels, npartitions=3)
    with dask_client(n_workers=1, threads_per_worker=2) as client:
        from_frame = parcel_landcover_distributed(ddf, lc.layer, scheduler=client)
        write_cache(parcels, tmp_path / "parcels", partitions=4)
        from_files = parcel_landcover_distributed(tmp_path / "parcels", lc.layer, scheduler=client)
    pd.testing.assert_frame_equal(single, from_frame, check_exact=True)
    pd.testing.assert_frame_equal(single, from_files, check_exact=True)


def test_out_dir_needs_partitioned_files(tmp_path):
    import dask_geopandas

    from zan.measure.distributed import parcel_landcover_distributed

    lc = gpd.GeoDataFrame({"artificialised": [True]}, geometry=[box(0, 0, 1, 1)], crs="EPSG:2154")
    parcels = gpd.GeoDataFrame(
        {"commune": ["59350"]},
        geometry=[box(0, 0, 1, 1)],
        index=pd.Index(["59350000AB0001"], name="id"),
        crs="EPSG:2154",
    )
    ddf = dask_geopandas.from_geopandas(parcels, npartitions=1)
    with pytest.raises(DataError, match="partitioned GeoParquet"):
        parcel_landcover_distributed(ddf, lc, out_dir=tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_parcel_dir_needs_scheduler(tmp_path):
    from click.testing import CliRunner

    from zan.cli import main
    from zan.datasets import get_path

    res = CliRunner().invoke(
        main,
        [
            "parcels",
            str(get_path("cadastre-99006-parcelles.json.gz")),
            "--landcover",
            str(get_path("ocsge_demo_2021.gpkg")),
            "--parcel-dir",
            str(tmp_path / "parts"),
        ],
    )
    assert res.exit_code == 2 and "--parcel-dir needs --scheduler" in res.output
    assert not (tmp_path / "parts").exists()


def test_classified_cache_is_recognised(tmp_path):
    from zan.measure.distributed import classified_cache

    lc = gpd.GeoDataFrame({"artificialised": [True]}, geometry=[box(0, 0, 1, 1)], crs="EPSG:2154")
    write_cache(lc, tmp_path / "lc.parquet")
    write_cache(lc.drop(columns="artificialised").assign(code_cs="CS1"), tmp_path / "raw.parquet")
    assert classified_cache(tmp_path / "lc.parquet")
    assert not classified_cache(tmp_path / "raw.parquet")
    assert not classified_cache(tmp_path / "missing.parquet")
