"""``zan parcels --scheduler tcp://...`` on a real cluster: a ``dask scheduler`` and two
``dask worker`` processes on localhost, each a separate process as on a real cluster.

The results must be identical to the single-process run of the same command.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from helpers import ROOT

from zan.datasets import get_path

pytest.importorskip("distributed")
pytest.importorskip("dask_geopandas")

COMMUNES = ("99006", "99058", "99061")
OCS_2021 = str(get_path("ocsge_demo_2021.gpkg"))


def _env() -> dict[str, str]:
    """The test's environment, with this checkout first on the path of every process."""
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": str(ROOT) + (os.pathsep + path if path else "")}


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


@contextlib.contextmanager
def local_cluster(tmp: Path, workers: int = 2) -> Iterator[str]:
    """A ``dask scheduler`` on a free port and ``workers`` ``dask worker`` processes; its address."""
    from distributed import Client

    scheduler_file = tmp / "scheduler.json"
    dask = [sys.executable, "-m", "dask"]
    procs: list[subprocess.Popen] = []
    logs = []
    try:
        log = open(tmp / "scheduler.log", "w")  # noqa: SIM115 (closed in finally)
        logs.append(log)
        procs.append(
            subprocess.Popen(
                [
                    *dask,
                    "scheduler",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "0",
                    "--dashboard-address",
                    ":0",
                    "--scheduler-file",
                    str(scheduler_file),
                ],
                cwd=tmp,
                env=_env(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        )
        deadline = time.monotonic() + 60
        while not scheduler_file.exists() or not scheduler_file.read_text().strip():
            if procs[0].poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(
                    "dask scheduler did not start:\n" + (tmp / "scheduler.log").read_text()
                )
            time.sleep(0.2)
        time.sleep(0.2)  # the file is written in one go, but give it a moment
        address = json.loads(scheduler_file.read_text())["address"]
        for k in range(workers):
            wdir = tmp / f"worker{k}"
            wdir.mkdir()
            log = open(tmp / f"worker{k}.log", "w")  # noqa: SIM115
            logs.append(log)
            procs.append(
                subprocess.Popen(
                    [
                        *dask,
                        "worker",
                        address,
                        "--nworkers",
                        "1",
                        "--nthreads",
                        "1",
                        "--name",
                        f"w{k}",
                        "--local-directory",
                        str(wdir),
                        "--no-dashboard",
                    ],
                    cwd=wdir,
                    env=_env(),
                    stdout=log,
                    stderr=subprocess.STDOUT,
                )
            )
        with Client(address, timeout="30s") as client:
            client.wait_for_workers(workers, timeout=120)
        yield address
    finally:
        for proc in reversed(procs):
            _stop(proc)
        for log in logs:
            log.close()


def _zan(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    res = subprocess.run(
        [sys.executable, "-m", "zan", "parcels", *args, "--quiet"],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert res.returncode == 0, res.stdout + res.stderr
    return res


@pytest.mark.slow
def test_zan_parcels_on_a_real_scheduler_and_two_workers_equals_single_process(tmp_path):
    from distributed import Client

    from zan.io.cache import read_cache, write_cache
    from zan.io.cadastre import read_parcels
    from zan.io.ocsge import read_ocsge
    from zan.measure.artificialisation import classify
    from zan.measure.parcels import parcel_landcover

    files = [str(get_path(f"cadastre-{c}-parcelles.json.gz")) for c in COMMUNES]
    parcels = read_parcels(files)
    lc = classify(read_ocsge(OCS_2021))
    write_cache(parcels, tmp_path / "parcels", partitions=4)
    write_cache(lc.layer, tmp_path / "ocsge.parquet")
    single_table = parcel_landcover(parcels, lc)

    _zan(
        *files,
        "--landcover",
        OCS_2021,
        "--out",
        "single.csv",
        "--parcel-table",
        "single_parcels.csv",
        cwd=tmp_path,
    )
    with local_cluster(tmp_path) as address:
        assert address.startswith("tcp://127.0.0.1:")
        # the land cover read and classified by the client, sent once to each worker
        _zan(
            str(tmp_path / "parcels"),
            "--landcover",
            OCS_2021,
            "--scheduler",
            address,
            "--out",
            "sent.csv",
            "--parcel-table",
            "sent_parcels.csv",
            cwd=tmp_path,
        )
        # the classified cache read by the workers, the per-parcel table written by them
        res = _zan(
            str(tmp_path / "parcels"),
            "--landcover",
            str(tmp_path / "ocsge.parquet"),
            "--scheduler",
            address,
            "--out",
            "parts.csv",
            "--parcel-dir",
            "parts",
            cwd=tmp_path,
        )
        # the same, with the parcels' geometry (GeoParquet)
        _zan(
            str(tmp_path / "parcels"),
            "--landcover",
            str(tmp_path / "ocsge.parquet"),
            "--scheduler",
            address,
            "--out",
            "geo.csv",
            "--parcel-dir",
            "geo",
            "--parcel-geometry",
            cwd=tmp_path,
        )
        with Client(address, timeout="30s") as client:
            imported = client.run(lambda: "zan.measure.distributed" in sys.modules)
    assert len(imported) == 2 and any(imported.values()), imported  # the tasks ran there
    assert "written: parts" in res.stdout

    single = (tmp_path / "single.csv").read_bytes()
    assert len(pd.read_csv(tmp_path / "single.csv", dtype={"code": str})) == len(COMMUNES)
    assert (tmp_path / "sent.csv").read_bytes() == single
    assert (tmp_path / "parts.csv").read_bytes() == single
    assert (tmp_path / "geo.csv").read_bytes() == single
    assert (tmp_path / "sent_parcels.csv").read_bytes() == (
        tmp_path / "single_parcels.csv"
    ).read_bytes()
    # the per-parcel table written by the workers (no geometry unless asked): every parcel once
    written = sorted(p.name for p in (tmp_path / "parts").iterdir())
    assert written == [f"part.{k:05d}.parquet" for k in range(4)]
    back = pd.concat(pd.read_parquet(tmp_path / "parts" / name) for name in written)
    assert "geometry" not in back.columns and not back.index.has_duplicates
    pd.testing.assert_frame_equal(back.sort_index(), single_table, check_exact=True)
    geo = read_cache(tmp_path / "geo").sort_index()
    assert geo.crs == parcels.crs
    pd.testing.assert_frame_equal(
        pd.DataFrame(geo.drop(columns="geometry")), single_table, check_exact=True
    )
    assert geo.geometry.geom_equals_exact(parcels.geometry.reindex(geo.index), 0).all()
