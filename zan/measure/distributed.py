"""The parcel × OCS GE measurement on dask: many cores, or a cluster, for France.

The single-process path (:func:`zan.measure.parcels.parcel_landcover`) handles a
region on one machine. For the whole of France (about 100 million parcels) the
same function runs here on each partition of a **spatially partitioned
GeoParquet** of parcels (:func:`zan.io.cache.write_cache` with ``partitions=``),
on a ``dask.distributed`` cluster: a local one by default, or an existing one
given by its scheduler address (``"tcp://host:8786"``).

One task per partition file reads the file (a contiguous range of the parcels
sorted along a Hilbert curve, hence a compact area), takes from the classified
land cover the polygons within the partition's bounding box, measures, and
sends back **only its per-commune sums** (``gather=False``; a few integers per
commune), or its per-parcel table when asked (``gather=True``). The land cover
is a GeoParquet path that each worker process reads **once** (kept in memory
between tasks), or a GeoDataFrame sent once to every worker: the parcels and
the land cover never travel with the tasks. With ``out_dir`` each task writes
its part of the per-parcel table as Parquet (the geometry only if asked), so
that the client never holds the parcels. A ``dask_geopandas.GeoDataFrame`` of
parcels is accepted too.

Results are **identical** to the single-process path: each parcel is measured
by the same code on the same land-cover polygons (every polygon near a parcel
is within its partition's bounding box), and its sums run in a fixed order;
per-commune sums are exact integer sums of each area rounded to 2⁻⁴⁰ m²
(:func:`commune_sums`), so that sums made partition by partition and added on
the client equal, bit for bit, :func:`commune_sums` of the whole table.
``docs/DISTRIBUTED.md`` explains how to run it on a real cluster.

Needs the ``dask`` extra: ``pip install 'zan[dask]'`` (dask, distributed,
dask-geopandas).
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
import threading
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from .._write import write_parquet
from ..errors import DataError, require
from ..io.cache import cache_partitions, read_cache
from .parcels import PARCEL_MEASURE_COLUMNS, parcel_landcover

__all__ = [
    "parcel_landcover_distributed",
    "dask_client",
    "commune_sums",
    "classified_cache",
    "LOCAL_CLUSTER_CONFIG",
]


@contextlib.contextmanager
def dask_client(
    scheduler: Any = None, *, n_workers: int = 2, threads_per_worker: int = 1
) -> Iterator[Any]:
    """A ``dask.distributed`` client: to an existing scheduler, or to a new local cluster.

    Parameters
    ----------
    scheduler : str, distributed.Client or None
        ``"tcp://host:port"`` of a running scheduler, a client (used as is), or
        None to start a ``LocalCluster`` (closed on exit).
    n_workers : int, default 2
        Worker processes of the local cluster.
    threads_per_worker : int, default 1
        Threads per local worker (GEOS work holds the GIL only partly: processes scale best).

    Yields
    ------
    distributed.Client
    """
    distributed = require("distributed", "dask", "the distributed measurement")
    if scheduler is not None and not isinstance(scheduler, str):
        yield scheduler
        return
    if isinstance(scheduler, str):
        try:
            client = distributed.Client(scheduler, timeout="20s")
        except OSError as exc:
            raise DataError(
                f"cannot reach the dask scheduler at {scheduler!r} ({exc}); check the address "
                "(tcp://host:8786) and that `dask scheduler` runs there"
            ) from None
        with client:
            yield client
        return
    import dask

    with dask.config.set(LOCAL_CLUSTER_CONFIG):  # read by the scheduler and the nannies
        cluster = distributed.LocalCluster(
            n_workers=n_workers,
            threads_per_worker=threads_per_worker,
            processes=True,
            dashboard_address=":0",  # a free port: never collides with another cluster
            silence_logs=40,
        )
    with cluster, distributed.Client(cluster) as client:
        yield client


#: dask settings of the local cluster (and advised for the workers of a real one,
#: docs/DISTRIBUTED.md): the event-loop tick every 20 ms, the memory monitor every
#: 100 ms and the statistical profiler of the workers (every 10 ms) cost, on a
#: loaded machine, about a tenth of the measurement's CPU time; and dask's
#: MALLOC_TRIM_THRESHOLD_ for worker processes turns off glibc's adaptive mmap
#: threshold, so that every large numpy temporary is mapped and page-faulted anew.
LOCAL_CLUSTER_CONFIG = {
    "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_": None,
    "distributed.admin.tick.interval": "1s",
    "distributed.worker.memory.monitor-interval": "1s",
    "distributed.worker.profile.enabled": False,
}


#: Columns summed per commune when the per-parcel table stays on the workers.
SUM_COLUMNS = ("parcels", "area_m2", "covered_m2", "artificialised_m2", "enaf_m2")

# The land cover of each GeoParquet path, read once per worker process and kept
# (the newest one only: a worker serves one measurement at a time).
_LANDCOVER: dict[tuple[str, int, int], gpd.GeoDataFrame] = {}
_LANDCOVER_LOCK = threading.Lock()


def _worker_landcover(path: str | Path) -> gpd.GeoDataFrame:
    """The land cover at ``path``, read on the first task of this process, then from memory."""
    files = cache_partitions(path)
    stats = [f.stat() for f in files]
    key = (
        str(Path(path).resolve()),
        max(st.st_mtime_ns for st in stats),
        sum(st.st_size for st in stats),
    )
    with _LANDCOVER_LOCK:
        layer = _LANDCOVER.get(key)
        if layer is None:
            _LANDCOVER.clear()
            layer = read_cache(path)
            _ = layer.sindex  # built once, used by every task
            _LANDCOVER[key] = layer
    return layer


def classified_cache(path: str | Path) -> bool:
    """Whether ``path`` is a GeoParquet cache of a classified land cover (an ``artificialised`` column).

    Examples
    --------
    >>> classified_cache("ocsge.gpkg")
    False
    """
    p = Path(path)
    if not (p.is_dir() or p.suffix == ".parquet") or not p.exists():
        return False
    import pyarrow.parquet as pq

    try:
        return "artificialised" in pq.read_schema(cache_partitions(p)[0]).names
    except (OSError, DataError, ValueError):
        return False


def _measure_file(
    path: str,
    landcover: Any,
    out_dir: str | None = None,
    gather: bool = True,
    geometry: bool = False,
) -> pd.DataFrame:
    """Read one partition file of parcels and measure it (runs on a worker).

    With ``out_dir`` the partition's per-parcel table is written there (Parquet,
    same file name; GeoParquet with the parcels' geometry if ``geometry``).
    Returns the table (sorted by id) if ``gather``, else its per-commune partial
    sums (a few integers per commune).
    """
    parcels = read_cache(path)
    table = _measure_partition(parcels, landcover, {}, sort=gather)
    if out_dir is not None:
        part = table
        if geometry:
            geoms = parcels.geometry.set_axis(parcels.index.astype("str")).reindex(table.index)
            part = gpd.GeoDataFrame(table, geometry=geoms.array, crs=parcels.crs)
        write_parquet(part, Path(out_dir) / Path(path).name)
    return table if gather else _partial_sums(table)


def commune_sums(table: pd.DataFrame) -> pd.DataFrame:
    """Parcel count and summed areas per commune, the input of ``enaf_by_commune``.

    The sums are **exact and independent of the order of the rows**: each area is
    rounded to a multiple of 2⁻⁴⁰ m² (about 1e-12 m²), the multiples are added as
    integers and the total rounded once to the nearest float. Per-commune sums made
    on the workers, partition by partition, and added on the client are therefore
    identical, bit for bit, to the sums of the whole table in one process.

    Parameters
    ----------
    table : pandas.DataFrame
        A per-parcel table of :func:`zan.measure.parcels.parcel_landcover`, or
        a concatenation of per-commune sums (summed again).

    Returns
    -------
    pandas.DataFrame
        One row per commune (sorted): ``commune`` and the :data:`SUM_COLUMNS`.

    Raises
    ------
    DataError
        When an area is infinite or above 2⁴¹ m² (no parcel is).

    Examples
    --------
    >>> t = pd.DataFrame({"commune": ["59350", "59001", "59350"], "area_m2": [1.0, 2.0, 3.0],
    ...                   "covered_m2": [1.0, 2.0, 3.0], "artificialised_m2": [1.0, 0.0, 0.0],
    ...                   "enaf_m2": [0.0, 2.0, 3.0]})
    >>> commune_sums(t)[["commune", "parcels", "enaf_m2"]].values.tolist()
    [['59001', 1.0, 2.0], ['59350', 2.0, 3.0]]
    """
    return _finish_sums(_partial_sums(table))


# Exact sums: an area v (m²) is the integer round(v · 2**_FRAC_BITS), held as
# _LIMBS limbs of _LIMB_BITS bits (the top one signed); a limb is below 2**27, so
# that float64 bincounts of up to 2**26 rows are exact, and limb totals are int64.
_FRAC_BITS = 40
_LIMB_BITS = 27
_LIMBS = 3
_MAX_M2 = 2.0 ** (_LIMB_BITS * _LIMBS - _FRAC_BITS)  # 2**41 m², four times France
_CHUNK = 1 << 25


def _partial_sums(table: pd.DataFrame) -> pd.DataFrame:
    """Per-commune integer limbs of the :data:`SUM_COLUMNS` (what a worker sends back).

    Indexed by commune (sorted), one int64 column ``<column>#<k>`` per column and
    limb; partial sums of several partitions add up exactly (``_combine_sums``).
    """
    frame = table if "parcels" in table.columns else table.assign(parcels=1.0)
    codes, communes = pd.factorize(frame["commune"].astype("str"), sort=True)
    n_groups = len(communes)
    out: dict[str, np.ndarray] = {}
    for col in SUM_COLUMNS:
        values = frame[col].to_numpy(dtype="float64")
        values = np.where(np.isnan(values), 0.0, values)  # as pandas sums: NaN skipped
        big = ~(np.abs(values) < _MAX_M2)
        if big.any():
            raise DataError(
                f"{col}: value {values[big][0]!r} (commune {communes[codes[big][0]]}) is not a "
                f"finite area below {_MAX_M2:.3g} m²; check the parcels' CRS (Lambert-93, metres)"
            )
        scaled = np.rint(np.ldexp(values, _FRAC_BITS))  # exact scaling, one rounding
        limbs = []
        for k in range(_LIMBS - 1, 0, -1):
            base = 2.0 ** (k * _LIMB_BITS)
            top = np.floor(scaled / base)
            scaled = scaled - top * base  # exact: the low bits of an integer
            limbs.append(top)
        limbs.append(scaled)
        for k, limb in enumerate(reversed(limbs)):
            total = np.zeros(n_groups, dtype=np.int64)
            for s in range(0, len(limb), _CHUNK):
                total += np.bincount(
                    codes[s : s + _CHUNK], weights=limb[s : s + _CHUNK], minlength=n_groups
                ).astype(np.int64)
            out[f"{col}#{k}"] = total
    return pd.DataFrame(out, index=pd.Index(np.asarray(communes, dtype=object), name="commune"))


def _combine_sums(parts: list[pd.DataFrame]) -> pd.DataFrame:
    """Partial sums of several partitions added (exactly: int64)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return _partial_sums(_empty_result())
    if len(parts) == 1:
        return parts[0]
    return pd.concat(parts).groupby(level=0, sort=True).sum()


def _finish_sums(partial: pd.DataFrame) -> pd.DataFrame:
    """Per-commune float sums from integer limbs, each rounded once to the nearest float."""
    out = pd.DataFrame({"commune": pd.array(partial.index.astype("str"), dtype="str")})
    scale = 1 << _FRAC_BITS
    for col in SUM_COLUMNS:
        limbs = [partial[f"{col}#{k}"].to_numpy(dtype=np.int64).tolist() for k in range(_LIMBS)]
        out[col] = np.array(
            [
                sum(int(v) << (k * _LIMB_BITS) for k, v in enumerate(group)) / scale
                for group in zip(*limbs, strict=True)
            ],
            dtype="float64",
        )
    return out


def _measure_partition(
    parcels: gpd.GeoDataFrame,
    landcover: Any,
    classify_kwargs: dict[str, Any],
    sort: bool = True,
) -> pd.DataFrame:
    """Measure one partition of parcels (runs on a worker); sorted by id if ``sort``."""
    if len(parcels) == 0:
        return _empty_result()
    bounds = tuple(parcels.total_bounds)
    layer = _worker_landcover(landcover) if isinstance(landcover, (str, Path)) else landcover
    # the polygons whose box meets the partition's box: every polygon sharing an
    # edge with one near a parcel is then there too
    hits = np.sort(layer.sindex.query(shapely.box(*bounds)))
    layer = layer.iloc[hits]
    if len(layer) == 0:
        layer = landcover.iloc[:0] if isinstance(landcover, gpd.GeoDataFrame) else layer
    out = parcel_landcover(parcels, layer, sort=sort, **classify_kwargs)
    if pd.api.types.is_string_dtype(out.index.dtype) and out.index.dtype != "str":
        out.index = out.index.astype("str")  # dask may hand partitions with string[pyarrow] ids
    return out


def _empty_result() -> pd.DataFrame:
    out = pd.DataFrame({c: pd.Series(dtype="float64") for c in PARCEL_MEASURE_COLUMNS})
    out["commune"] = out["commune"].astype("str")
    out.index = pd.Index([], name="id", dtype="str")
    return out


def parcel_landcover_distributed(
    parcels: str | Path | Any,
    landcover: str | Path | gpd.GeoDataFrame,
    *,
    scheduler: Any = None,
    n_workers: int = 2,
    threads_per_worker: int = 1,
    progress: bool = False,
    out_dir: str | Path | None = None,
    gather: bool | None = None,
    geometry: bool = False,
) -> pd.DataFrame:
    """:func:`zan.measure.parcels.parcel_landcover` on dask, partition by partition.

    Parameters
    ----------
    parcels : str, pathlib.Path or dask_geopandas.GeoDataFrame
        A spatially partitioned GeoParquet of parcels: a folder written by
        :func:`zan.io.cache.write_cache` with ``partitions=`` (one task per
        file; a single file is one task), indexed by parcel id, with a
        ``commune`` column, in the land cover's CRS. Or a
        ``dask_geopandas.GeoDataFrame`` of such parcels.
    landcover : str, pathlib.Path or geopandas.GeoDataFrame
        The **classified** land cover (the ``layer`` of
        :func:`zan.measure.artificialisation.classify`, with its boolean
        ``artificialised`` column): a GeoParquet cache path that every worker
        can read (read once per worker process, then kept in its memory), or a
        GeoDataFrame (sent once to every worker).
    scheduler : str, distributed.Client or None
        ``"tcp://host:8786"`` to use a running cluster, a client, or None for a
        ``LocalCluster`` of ``n_workers`` processes.
    n_workers, threads_per_worker : int
        Size of the local cluster.
    progress : bool, default False
        Show a tqdm progress bar over the partitions.
    out_dir : str or pathlib.Path, optional
        A folder (on storage the workers share with the client) where each task
        writes its part of the per-parcel table as Parquet (``part.00000.parquet``...,
        the rows in the partition's order; the folder is replaced when every part
        is written). Needs partitioned GeoParquet parcels.
    gather : bool, optional
        True: the per-parcel tables come back to the client (memory: about 150
        bytes per parcel). False: each task sends back only its per-commune sums,
        added on the client. Default: True without ``out_dir``, False with it.
    geometry : bool, default False
        With ``out_dir``: write the parcels' geometry too (GeoParquet), which
        costs more than measuring them.

    Returns
    -------
    pandas.DataFrame
        With ``gather``, exactly what :func:`zan.measure.parcels.parcel_landcover`
        returns for the same parcels (sorted by id); otherwise the per-commune
        sums, identical to :func:`commune_sums` of that table (which
        :func:`zan.measure.parcels.enaf_by_commune` takes as it takes the
        per-parcel table).

    Raises
    ------
    MissingDependencyError
        When dask, distributed or dask-geopandas is not installed.
    DataError
        When the land cover is not classified, a parcel is in several
        partitions (found when gathering), or the scheduler cannot be reached.
    """
    distributed = require("distributed", "dask", "the distributed measurement")
    from tqdm.auto import tqdm

    if isinstance(landcover, gpd.GeoDataFrame):
        if "artificialised" not in landcover.columns:
            raise DataError(
                "landcover: no 'artificialised' column; classify it first "
                "(zan.measure.artificialisation.classify(lc).layer)"
            )
    else:
        p = Path(landcover)
        import pyarrow.parquet as pq

        names = pq.read_schema(cache_partitions(p)[0]).names
        if "artificialised" not in names:
            raise DataError(
                f"{p}: no 'artificialised' column in the land-cover cache; write the classified "
                "layer: write_cache(classify(read_ocsge(...)).layer, path)"
            )
    files = (
        None if _is_dask_frame(parcels) else [str(f.absolute()) for f in cache_partitions(parcels)]
    )
    if out_dir is not None and files is None:
        raise DataError(
            "out_dir needs the parcels as a partitioned GeoParquet (a folder written by "
            "write_cache(parcels, path, partitions=N)), not a dask frame"
        )
    if gather is None:
        gather = out_dir is None
    staging = None
    if out_dir is not None:
        dest = Path(out_dir).absolute()  # the workers' working folders differ from ours
        dest.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        with dask_client(
            scheduler, n_workers=n_workers, threads_per_worker=threads_per_worker
        ) as client:
            lc_arg: Any = (
                None if isinstance(landcover, gpd.GeoDataFrame) else str(Path(landcover).absolute())
            )
            if isinstance(landcover, gpd.GeoDataFrame):
                [lc_arg] = client.scatter([landcover], broadcast=True)
            if files is not None:
                futures = client.map(
                    _measure_file,
                    files,
                    landcover=lc_arg,
                    pure=False,
                    out_dir=None if staging is None else str(staging),
                    gather=gather,
                    geometry=geometry,
                )
            else:
                futures = _dask_frame_futures(client, parcels, lc_arg, gather)
            bar = tqdm(
                total=len(futures),
                desc="partitions",
                unit="part",
                disable=not progress,
                leave=False,
            )
            for _ in distributed.as_completed(futures):
                bar.update(1)
            bar.close()
            results = client.gather(futures)
        if staging is not None:
            _replace_dir(staging, dest)
    finally:
        if staging is not None and staging.exists():
            shutil.rmtree(staging)
    if not gather:
        return _finish_sums(_combine_sums(results))
    results = [r for r in results if len(r)]
    if not results:
        return _empty_result()
    out = pd.concat(results)
    if out.index.has_duplicates:
        dup = out.index[out.index.duplicated()].unique()[:5]
        raise DataError(
            f"{parcels}: parcels {', '.join(map(str, dup))} appear in several partitions; "
            "write the parcels once (write_cache(parcels, path, partitions=N))"
        )
    return out.sort_index(kind="stable")


def _replace_dir(staging: Path, dest: Path) -> None:
    """Move a complete folder into place (the previous one, if any, removed after)."""
    old = None
    if dest.exists():
        old = dest.with_name(f".{dest.name}.old")
        if old.exists():
            shutil.rmtree(old) if old.is_dir() else old.unlink()
        dest.replace(old)
    staging.replace(dest)
    if old is not None:
        shutil.rmtree(old) if old.is_dir() else old.unlink()


def _is_dask_frame(obj: Any) -> bool:
    return hasattr(obj, "map_partitions") and hasattr(obj, "npartitions")


def _measure_frame(part: gpd.GeoDataFrame, landcover: Any, gather: bool) -> pd.DataFrame:
    """Measure one partition of a dask frame: its table, or its partial sums."""
    table = _measure_partition(part, landcover, {}, sort=gather)
    return table if gather else _partial_sums(table)


def _dask_frame_futures(client: Any, ddf: Any, lc_arg: Any, gather: bool) -> list[Any]:
    """One future per partition of a dask(-geopandas) frame, read and measured in one task."""
    import dask

    with warnings.catch_warnings():
        # dask-geopandas 0.5 calls reset_index(inplace=True), deprecated in pandas 3.1
        warnings.filterwarnings("ignore", message="The inplace keyword", category=FutureWarning)
        warnings.filterwarnings(
            "ignore",
            message="The inplace keyword",
            category=getattr(pd.errors, "Pandas4Warning", FutureWarning),
        )
        parts = ddf.to_delayed()
    tasks = [dask.delayed(_measure_frame)(part, lc_arg, gather) for part in parts]
    return client.compute(tasks)
