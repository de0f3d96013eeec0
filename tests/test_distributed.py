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
    from zan.measure.distributed import commune_sums, dask_client, parcel_landcover_distributed
    from zan.measure.parcels import parcel_landcover

    lc = classify(read_ocsge(get_path("ocsge_demo_2018.gpkg")))
    parcels = read_parcels(sorted(demo_dir().glob("cadastre-*-parcelles.json.gz")))
    single = parcel_landcover(parcels, lc)
    ddf = dask_geopandas.from_geopandas(parcels, npartitions=3)
    with dask_client(n_workers=1, threads_per_worker=2) as client:
        from_frame = parcel_landcover_distributed(ddf, lc.layer, scheduler=client)
        frame_sums = parcel_landcover_distributed(ddf, lc.layer, scheduler=client, gather=False)
        write_cache(parcels, tmp_path / "parcels", partitions=4)
        from_files = parcel_landcover_distributed(tmp_path / "parcels", lc.layer, scheduler=client)
    pd.testing.assert_frame_equal(single, from_frame, check_exact=True)
    pd.testing.assert_frame_equal(single, from_files, check_exact=True)
    pd.testing.assert_frame_equal(frame_sums, commune_sums(single), check_exact=True)


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


def test_parcel_geometry_needs_parcel_dir(tmp_path):
    from click.testing import CliRunner

    from zan.cli import main
    from zan.datasets import get_path

    res = CliRunner().invoke(
        main,
        [
            "parcels",
            str(tmp_path),
            "--landcover",
            str(get_path("ocsge_demo_2021.gpkg")),
            "--scheduler",
            "local",
            "--parcel-geometry",
        ],
    )
    assert res.exit_code == 2 and "--parcel-geometry needs --parcel-dir" in res.output


def test_classified_cache_is_recognised(tmp_path):
    from zan.measure.distributed import classified_cache

    lc = gpd.GeoDataFrame({"artificialised": [True]}, geometry=[box(0, 0, 1, 1)], crs="EPSG:2154")
    write_cache(lc, tmp_path / "lc.parquet")
    write_cache(lc.drop(columns="artificialised").assign(code_cs="CS1"), tmp_path / "raw.parquet")
    assert classified_cache(tmp_path / "lc.parquet")
    assert not classified_cache(tmp_path / "raw.parquet")
    assert not classified_cache(tmp_path / "missing.parquet")


def test_commune_sums_are_exact_and_independent_of_row_order():
    import math

    import numpy as np

    from zan.measure.distributed import SUM_COLUMNS, commune_sums

    rng = np.random.default_rng(3)
    n = 20_000
    table = pd.DataFrame({"commune": rng.choice(["59001", "59350", "62041"], n)})
    for col in ("area_m2", "covered_m2", "artificialised_m2", "enaf_m2"):
        # areas from slivers to large fields: the order of a float sum matters
        table[col] = rng.uniform(0, 1, n) ** 4 * 10.0 ** rng.integers(-3, 6, n)
    sums = commune_sums(table)
    assert sums["commune"].tolist() == ["59001", "59350", "62041"]
    assert list(sums.columns) == ["commune", *SUM_COLUMNS]
    for seed in range(3):
        shuffled = table.sample(frac=1.0, random_state=seed)
        pd.testing.assert_frame_equal(commune_sums(shuffled), sums, check_exact=True)
    for code, row in sums.set_index("commune").iterrows():
        part = table[table["commune"] == code]
        assert row["parcels"] == len(part)
        for col in ("area_m2", "enaf_m2"):
            exact = math.fsum(part[col])  # correctly rounded; ours rounds each area to 2**-40
            assert abs(row[col] - exact) <= len(part) * 2.0**-41 + 4.5e-16 * exact
    # integers sum exactly; NaN is skipped as by pandas
    ints = pd.DataFrame({"commune": ["a", "a", "b"], "parcels": [1.0, 1.0, 1.0]})
    for col in SUM_COLUMNS[1:]:
        ints[col] = [2.0**40, 1.0, np.nan]
    out = commune_sums(ints).set_index("commune")
    assert out.loc["a", "area_m2"] == 2.0**40 + 1.0 and out.loc["b", "area_m2"] == 0.0


def test_commune_sums_refuse_a_non_finite_area():
    from zan.measure.distributed import commune_sums

    t = pd.DataFrame(
        {
            "commune": ["59350"],
            "area_m2": [float("inf")],
            "covered_m2": [1.0],
            "artificialised_m2": [0.0],
            "enaf_m2": [1.0],
        }
    )
    with pytest.raises(DataError, match=r"area_m2.*59350.*CRS"):
        commune_sums(t)


@pytest.mark.slow
def test_reduced_path_and_parts_equal_single_process_and_parcels_stay_on_workers(
    tmp_path, monkeypatch
):
    import distributed

    from zan.datasets import demo_dir, get_path
    from zan.io.cache import read_cache
    from zan.io.cadastre import read_parcels
    from zan.io.ocsge import read_ocsge
    from zan.measure.artificialisation import classify
    from zan.measure.distributed import (
        commune_sums,
        dask_client,
        parcel_landcover_distributed,
    )
    from zan.measure.parcels import enaf_by_commune, parcel_landcover

    lc = classify(read_ocsge(get_path("ocsge_demo_2018.gpkg")))
    parcels = read_parcels(sorted(demo_dir().glob("cadastre-*-parcelles.json.gz")))
    single = parcel_landcover(parcels, lc)
    expected = commune_sums(single)
    assert len(expected) >= 2 and len(single) > 50 * len(expected)
    write_cache(parcels, tmp_path / "parcels", partitions=4)
    write_cache(lc.layer, tmp_path / "landcover.parquet")

    gathered: list[list[pd.DataFrame]] = []
    real_gather = distributed.Client.gather

    def spy(self, futures, *args, **kwargs):
        out = real_gather(self, futures, *args, **kwargs)
        gathered.append(list(out) if isinstance(out, list) else [out])
        return out

    monkeypatch.setattr(distributed.Client, "gather", spy)
    run = {"parcels": tmp_path / "parcels", "landcover": tmp_path / "landcover.parquet"}
    with dask_client(n_workers=2) as client:
        sums = parcel_landcover_distributed(**run, scheduler=client, gather=False)
        to_disk = parcel_landcover_distributed(**run, scheduler=client, out_dir=tmp_path / "out")
        with_geometry = parcel_landcover_distributed(
            **run, scheduler=client, out_dir=tmp_path / "geo", geometry=True
        )
    # per-commune sums made on the workers: identical, bit for bit
    for result in (sums, to_disk, with_geometry):
        pd.testing.assert_frame_equal(result, expected, check_exact=True)
    pd.testing.assert_frame_equal(
        enaf_by_commune(sums), enaf_by_commune(expected), check_exact=True
    )
    # the client gathered only a few rows per commune and partition, never the parcels
    assert len(gathered) == 3 and all(len(g) == 4 for g in gathered)
    for results in gathered:
        for part in results:
            assert len(part) <= len(expected) and "area_m2" not in part.columns
            assert part.index.name == "commune"
    # every parcel once in the parts written by the workers, equal to the single process
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == [f"part.{k:05d}.parquet" for k in range(4)]
    back = pd.concat(pd.read_parquet(tmp_path / "out" / f) for f in files)
    assert "geometry" not in back.columns
    assert not back.index.has_duplicates and len(back) == len(single)
    pd.testing.assert_frame_equal(back.sort_index(), single, check_exact=True)
    geo = read_cache(tmp_path / "geo").sort_index()
    assert geo.crs == parcels.crs and len(geo) == len(single)
    assert geo.geometry.geom_equals_exact(parcels.geometry.reindex(geo.index), 0).all()
