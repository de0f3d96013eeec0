"""GeoParquet cache: re-read a département's layer fast, or only the part you need.

Large vector layers (OCS GE per département, national parcels) are slow to read
from GeoPackage or GeoJSON. :func:`write_cache` stores them as GeoParquet:

- rows sorted along a Hilbert curve, so that neighbours on the ground are
  neighbours in the file;
- in row groups of a few thousand rows, each with min/max statistics of a
  ``bbox`` covering column (GeoParquet 1.1), so that :func:`read_cache` with a
  bounding box or a commune list reads only the row groups that can match;
- optionally split into ``partitions`` files (``part.00000.parquet``...), each a
  contiguous stretch of the curve: the spatially partitioned dataset that the
  dask path (:mod:`zan.measure.distributed`) reads one partition per task.

Files are written to a temporary name and renamed when complete.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import shutil
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np

from ..errors import DataError, GeometryError, SchemaError

__all__ = ["write_cache", "read_cache", "cache_layer", "cache_partitions"]


def _hilbert_order(gdf: gpd.GeoDataFrame) -> np.ndarray:
    bounds = gdf.geometry.total_bounds
    if not np.all(np.isfinite(bounds)):
        raise GeometryError("write_cache: the layer has no finite bounds (empty geometries?)")
    dist = gdf.geometry.hilbert_distance(total_bounds=bounds, level=16)
    return np.argsort(np.asarray(dist), kind="stable")


def _write_file(gdf: gpd.GeoDataFrame, path: Path, row_group_size: int, compression: str) -> None:
    gdf.to_parquet(
        path,
        write_covering_bbox=True,
        row_group_size=row_group_size,
        compression=compression,
    )


def write_cache(
    gdf: gpd.GeoDataFrame,
    path: str | Path,
    *,
    row_group_size: int = 10_000,
    partitions: int | None = None,
    compression: str = "zstd",
) -> Path:
    """Write a layer as a Hilbert-sorted GeoParquet with a bbox covering column.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The layer; its index is stored (e.g. parcel ids).
    path : str or pathlib.Path
        A ``.parquet`` file, or a folder when ``partitions`` is given.
    row_group_size : int, default 10,000
        Rows per row group: the unit that a bbox or commune read skips or loads.
    partitions : int, optional
        Split into this many files of contiguous Hilbert ranges in the folder
        ``path`` (for the dask path).
    compression : str, default "zstd"
        Parquet compression.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    DataError
        Empty layer, or ``partitions`` < 1.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame({"v": [1, 2]}, geometry=[box(0, 0, 1, 1), box(5, 5, 6, 6)],
    ...                      crs="EPSG:2154")
    >>> p = write_cache(g, pathlib.Path(tempfile.mkdtemp()) / "layer.parquet")
    >>> read_cache(p, bbox=(4, 4, 7, 7))["v"].tolist()
    [2]
    """
    if len(gdf) == 0:
        raise DataError("write_cache: the layer is empty (0 rows); nothing to cache")
    if partitions is not None and partitions < 1:
        raise DataError(f"write_cache: partitions must be at least 1 (got {partitions})")
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    ordered = gdf.iloc[_hilbert_order(gdf)]
    if partitions is None:
        fd, name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".parquet", dir=dest.parent)
        os.close(fd)
        tmp = Path(name)
        try:
            _write_file(ordered, tmp, row_group_size, compression)
            os.replace(tmp, dest)
        finally:
            if tmp.exists():
                tmp.unlink()
        return dest
    tmpdir = Path(tempfile.mkdtemp(prefix=f".{dest.name}.", dir=dest.parent))
    try:
        bounds = np.linspace(0, len(ordered), partitions + 1).round().astype(int)
        for k in range(partitions):
            part = ordered.iloc[bounds[k] : bounds[k + 1]]
            if len(part):
                _write_file(part, tmpdir / f"part.{k:05d}.parquet", row_group_size, compression)
        old = None
        if dest.exists():
            old = dest.with_name(f".{dest.name}.old")
            if old.exists():
                shutil.rmtree(old) if old.is_dir() else old.unlink()
            os.replace(dest, old)
        os.replace(tmpdir, dest)
        if old is not None:
            shutil.rmtree(old) if old.is_dir() else old.unlink()
    finally:
        if tmpdir.exists():
            shutil.rmtree(tmpdir)
    return dest


@contextlib.contextmanager
def _no_gc() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a million geometries are created.

    Shapely geometries are tracked by the collector; creating them by the million
    triggers collections that scan every live object again and again (about half
    the time of a large read). They hold no reference cycles, so nothing is lost.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _primary_column(schema: Any) -> str:
    """The GeoParquet primary geometry column ("geometry" when the metadata says nothing)."""
    meta = schema.metadata or {}
    try:
        return str(json.loads(meta[b"geo"])["primary_column"])
    except (KeyError, ValueError, TypeError):
        return "geometry"


def cache_partitions(path: str | Path) -> list[Path]:
    """The partition files of a partitioned cache (sorted), or ``[path]`` for one file.

    Examples
    --------
    >>> cache_partitions("layer.parquet")
    [PosixPath('layer.parquet')]
    """
    p = Path(path)
    if p.is_dir():
        files = sorted(p.glob("*.parquet"))
        if not files:
            raise DataError(f"{p}: no .parquet file in this folder; write it with write_cache")
        return files
    return [p]


def read_cache(
    path: str | Path,
    *,
    bbox: tuple[float, float, float, float] | None = None,
    communes: Sequence[str] | None = None,
    commune_column: str = "commune",
    columns: Sequence[str] | None = None,
) -> gpd.GeoDataFrame:
    """Read a GeoParquet cache, whole or by bounding box and/or commune list.

    Only the row groups whose bbox (or commune) statistics can match are read.

    Parameters
    ----------
    path : str or pathlib.Path
        A file or a partitioned folder written by :func:`write_cache` (any
        GeoParquet works; without a bbox column the bbox filter reads everything
        then filters).
    bbox : (xmin, ymin, xmax, ymax), optional
        Keep rows whose bounding box intersects this box (in the layer's CRS).
    communes : sequence of str, optional
        Keep rows whose ``commune_column`` is one of these codes.
    commune_column : str, default "commune"
        Column holding the commune code.
    columns : sequence of str, optional
        Attribute columns to read (the geometry always is).

    Returns
    -------
    geopandas.GeoDataFrame

    Raises
    ------
    DataError
        Missing file.
    SchemaError
        ``commune_column`` or ``columns`` not in the file.
    GeometryError
        Not a GeoParquet file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame({"commune": ["59001", "59002"]},
    ...                      geometry=[box(0, 0, 1, 1), box(5, 5, 6, 6)], crs="EPSG:2154")
    >>> p = write_cache(g, pathlib.Path(tempfile.mkdtemp()) / "c.parquet")
    >>> read_cache(p, communes=["59002"])["commune"].tolist()
    ['59002']
    """
    p = Path(path)
    if not p.exists():
        raise DataError(f"{p}: cache not found; write it with zan.io.cache.write_cache")
    import pyarrow.parquet as pq

    first = cache_partitions(p)[0]
    try:
        schema = pq.read_schema(first)
    except Exception as exc:
        raise GeometryError(f"{p}: not a Parquet file ({exc}); write it with write_cache") from None
    schema_names = schema.names
    kwargs: dict[str, Any] = {}
    if communes is not None:
        if commune_column not in schema_names:
            raise SchemaError(
                f"{p}: no column {commune_column!r} to select communes (columns: "
                f"{', '.join(n for n in schema_names if n != 'bbox')}); pass commune_column="
            )
        kwargs["filters"] = [(commune_column, "in", [str(c) for c in communes])]
    if columns is not None:
        missing = [c for c in columns if c not in schema_names]
        if missing:
            raise SchemaError(
                f"{p}: no column {', '.join(map(repr, missing))} (columns: "
                f"{', '.join(n for n in schema_names if n != 'bbox')})"
            )
    geometry = _primary_column(schema)
    if columns is None:
        # everything but the covering column (used to filter, not returned)
        columns = [n for n in schema_names if n != "bbox"]
    columns = [c for c in columns if c != geometry]
    try:
        with _no_gc():
            gdf = gpd.read_parquet(
                p,
                bbox=bbox if "bbox" in schema_names else None,
                columns=[*columns, geometry],
                **kwargs,
            )
    except ValueError as exc:
        raise GeometryError(f"{p}: cannot read as GeoParquet ({exc})") from None
    if "bbox" in gdf.columns:
        gdf = gdf.drop(columns="bbox")
    if bbox is not None and "bbox" not in schema_names:
        x0, y0, x1, y1 = bbox
        gdf = gdf.cx[x0:x1, y0:y1]
    gdf.attrs["source"] = str(p)
    return gdf


def cache_layer(
    source: str | Path,
    cache: str | Path | None = None,
    *,
    layer: str | None = None,
    crs: Any = None,
    row_group_size: int = 10_000,
    partitions: int | None = None,
) -> Path:
    """Convert a vector file to a GeoParquet cache unless an up-to-date one exists.

    Parameters
    ----------
    source : str or pathlib.Path
        GeoPackage, Shapefile, GeoJSON...
    cache : str or pathlib.Path, optional
        Destination; defaults to ``<source>.parquet`` beside the source (a folder
        ``<source>.parts`` when ``partitions`` is given).
    layer, crs
        As in :func:`zan.io._files.read_layer`.
    row_group_size, partitions
        As in :func:`write_cache`.

    Returns
    -------
    pathlib.Path
        The cache; rewritten only when older than the source.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from shapely.geometry import box
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)], crs="EPSG:2154").to_file(d / "a.gpkg")
    >>> cache_layer(d / "a.gpkg").name
    'a.gpkg.parquet'
    """
    from ._files import read_layer

    src = Path(source)
    if cache is None:
        cache = src.with_name(src.name + (".parts" if partitions else ".parquet"))
    cache = Path(cache)
    if cache.exists() and cache.stat().st_mtime >= src.stat().st_mtime:
        return cache
    gdf = read_layer(src, layer=layer, crs=crs)
    return write_cache(gdf, cache, row_group_size=row_group_size, partitions=partitions)
