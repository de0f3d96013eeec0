"""Etalab cadastre parcels: ``cadastre-<insee>-parcelles.json(.gz)`` and national GeoParquet.

The Etalab "cadastre" export (DOMAIN.md §3) gives one GeoJSON file per commune,
in EPSG:4326, with the properties ``id`` (14 characters: commune (5) + prefixe (3)
+ section (2) + numéro (4), e.g. ``59350000AB0123``), ``commune``, ``prefixe``,
``section``, ``numero``, ``contenance`` (m²), ``arpente``, ``created`` and
``updated``. A whole-France GeoParquet in Lambert-93 also exists; zan reads it
(or its own cache, :mod:`zan.io.cache`) by bounding box or commune list.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import geopandas as gpd
import pandas as pd

from ..crs import LAMBERT93, ensure_crs, to_projected
from ..errors import DataError, GeometryError, Problem, SchemaError
from .codes import listed_values
from .ocsge import repair_geometries

__all__ = [
    "read_parcels",
    "read_parcel_file",
    "check_parcel_communes",
    "normalize_parcel_refs",
    "PARCEL_COLUMNS",
    "PARCEL_ID_PATTERN",
]

#: Properties of an Etalab parcel.
PARCEL_COLUMNS: tuple[str, ...] = (
    "commune",
    "prefixe",
    "section",
    "numero",
    "contenance",
    "arpente",
    "created",
    "updated",
)
#: A normalised cadastral reference: commune + prefixe + section + numéro.
PARCEL_ID_PATTERN = r"^(?:\d{5}|2[AB]\d{3})\d{3}[0-9A-Z]{2}\d{4}$"

_REF_RE = (
    r"^(?P<commune>\d{5}|2[AB]\d{3})[\s\-_/]*"
    r"(?:(?P<prefixe>\d{3})[\s\-_/]*)?"
    r"(?P<section>[0-9A-Z]?[A-Z])[\s\-_/]*"
    r"(?P<numero>\d{1,4})$"
)


def normalize_parcel_refs(refs: Iterable[str] | str) -> pd.Series:
    """Normalise cadastral references to the 14-character Etalab ``id``.

    Accepts ``59350000AB0123``, ``59350 000 AB 0123``, ``59350-AB-123`` (prefixe
    ``000`` assumed), ``59350 A 12`` (section padded to ``0A``, number to ``0012``).

    Parameters
    ----------
    refs : str or iterable of str
        References as typed by a user or found in a table.

    Returns
    -------
    pandas.Series
        Normalised ids (``str``), NaN where a reference cannot be read, indexed
        by the references as given.

    Examples
    --------
    >>> normalize_parcel_refs(["59350 000 AB 0123", "59350-a-12", "nope"]).tolist()
    ['59350000AB0123', '593500000A0012', nan]
    """
    if isinstance(refs, str):
        refs = [refs]
    given = pd.Series(list(refs), dtype="str")
    text = given.str.strip().str.upper()
    parts = text.str.extract(_REF_RE)
    ok = parts["commune"].notna()
    out = (
        parts["commune"]
        + parts["prefixe"].fillna("000")
        + parts["section"].str.pad(2, fillchar="0")
        + parts["numero"].str.pad(4, fillchar="0")
    )
    out = out.where(ok)
    out.index = pd.Index(given.to_numpy(), name="ref")
    return out.rename("id")


def _gz_path(path: Path) -> str:
    return f"/vsigzip/{path}" if path.suffix.lower() == ".gz" else str(path)


def _gzip_damage(path: Path, *, max_bytes: int = 4 * 2**30) -> str | None:
    """'truncated' or 'corrupt' when a .gz file cannot be read to its end, else None."""
    import gzip
    import zlib

    size = 0
    try:
        with gzip.open(path, "rb") as f:
            while chunk := f.read(1 << 20):
                size += len(chunk)
                if size > max_bytes:
                    return None  # too large to check here: not a damage finding
    except EOFError:
        return "truncated"
    except (OSError, zlib.error):
        return "corrupt"
    return None


def read_parcel_file(path: Path, bbox: Any) -> gpd.GeoDataFrame:
    """One parcel file as published (Etalab GeoJSON, gzipped or not, or a GeoParquet cache).

    Its columns are those of the file; :func:`read_parcels` normalises them. A
    damaged gzip archive, an empty or unreadable file raise a
    :class:`~zan.errors.DataError` that says what to do.
    """
    if path.suffix.lower() in (".parquet", ".geoparquet") or path.is_dir():
        from .cache import read_cache

        return read_cache(path, bbox=bbox)
    if not path.exists():
        raise DataError(
            f"{path}: parcel file not found; check the path (working folder: {Path.cwd()})"
        )
    if path.stat().st_size == 0:
        raise DataError(f"{path}: the parcel file is empty (0 bytes); download it again")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            gdf = gpd.read_file(_gz_path(path), engine="pyogrio", bbox=bbox)
    except Exception as exc:
        damage = _gzip_damage(path) if path.suffix.lower() == ".gz" else None
        if damage:
            raise DataError(
                f"{path}: the gzip archive is {damage}; download it again "
                "(zan data download --cadastre CODE, or from cadastre.data.gouv.fr)"
            ) from None
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise GeometryError(
            f"{path}: cannot read the parcels ({reason}); expected an Etalab "
            "cadastre-<insee>-parcelles.json(.gz) file or a GeoParquet"
        ) from None
    if gdf.crs is None:
        gdf = gdf.set_crs("EPSG:4326")  # GeoJSON (RFC 7946) is WGS 84 by definition
    return gdf


def _expand(paths: str | Path | Sequence[str | Path]) -> list[Path]:
    if isinstance(paths, (str, Path)):
        paths = [paths]
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir() and not list(p.glob("*.parquet")):
            found = sorted(p.glob("cadastre-*-parcelles.json*"))
            if not found:
                raise DataError(
                    f"{p}: no cadastre-<insee>-parcelles.json(.gz) file in this folder; "
                    "give the files themselves or the folder holding them"
                )
            out.extend(found)
        else:
            out.append(p)
    if not out:
        raise DataError("read_parcels: no file given; pass one or more parcel files")
    return out


def read_parcels(
    paths: str | Path | Sequence[str | Path],
    *,
    bbox: tuple[float, float, float, float] | None = None,
    communes: Sequence[str] | None = None,
    to_crs: Any = LAMBERT93,
    repair: bool = True,
) -> gpd.GeoDataFrame:
    """Read Etalab cadastre parcels from one or several files.

    Parameters
    ----------
    paths : path or sequence of paths
        ``cadastre-<insee>-parcelles.json`` / ``.json.gz`` files (EPSG:4326), a
        folder of them, or a GeoParquet (national file or zan cache, read by
        ``bbox`` / ``communes`` without loading the rest).
    bbox : (xmin, ymin, xmax, ymax), optional
        Keep parcels intersecting this box, in the files' own CRS.
    communes : sequence of str, optional
        Keep parcels of these INSEE codes (``commune`` property).
    to_crs : str, default "EPSG:2154"
        CRS of the result (projected, for areas).
    repair : bool, default True
        Repair invalid geometries (noted in ``attrs["notes"]``).

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by the 14-character parcel ``id``; columns ``commune``,
        ``prefixe``, ``section``, ``numero``, ``contenance`` (m², float),
        ``arpente``, ``created``, ``updated`` (those present), ``geometry``
        in ``to_crs``. ``attrs["notes"]`` lists what was done; ``attrs["source"]``
        the files.

    Raises
    ------
    SchemaError
        No ``id`` and not enough columns to build it; ids not of 14 characters.
    DataError
        Missing files; the same parcel id in several rows (listed).

    Examples
    --------
    >>> from zan.datasets import demo_dir
    >>> files = sorted(demo_dir().glob("cadastre-*-parcelles.json.gz"))
    >>> parcels = read_parcels(files)
    >>> parcels.crs.to_epsg(), parcels.index.str.len().unique().tolist()
    (2154, [14])
    """
    files = _expand(paths)
    frames = []
    for path in files:
        gdf = read_parcel_file(path, bbox)
        if communes is not None:
            col = "commune" if "commune" in gdf.columns else None
            if col is None:
                raise SchemaError(
                    f"{path}: no 'commune' column to filter the parcels by commune "
                    f"(columns: {', '.join(map(str, gdf.columns))})"
                )
            gdf = gdf[gdf[col].astype("str").isin([str(c) for c in communes])]
        ensure_crs(gdf, str(path))
        gdf = to_projected(gdf, str(path), to_crs)
        gdf.attrs["source"] = str(path)
        frames.append(gdf)
    source = ", ".join(str(p) for p in files[:3]) + (" ..." if len(files) > 3 else "")
    gdf = pd.concat(frames) if len(frames) > 1 else frames[0]
    gdf = gpd.GeoDataFrame(gdf, geometry=gdf.geometry.name, crs=frames[0].crs)
    notes: list[str] = []
    if len(gdf) == 0:
        raise DataError(
            f"{source}: no parcel left (filters bbox={bbox}, communes={communes}); check the filters"
        )
    if gdf.index.name == "id" and "id" not in gdf.columns:
        gdf = gdf.reset_index()
    if "id" not in gdf.columns:
        needed = ["commune", "prefixe", "section", "numero"]
        if not all(c in gdf.columns for c in needed):
            raise SchemaError(
                f"{source}: no parcel 'id' column, and not all of {', '.join(needed)} to build it "
                f"(columns: {', '.join(map(str, gdf.columns))}); use the Etalab parcel files"
            )
        gdf["id"] = (
            gdf["commune"].astype("str")
            + gdf["prefixe"].astype("str").str.zfill(3)
            + gdf["section"].astype("str").str.zfill(2)
            + gdf["numero"].astype("str").str.zfill(4)
        )
    ids = gdf["id"].astype("str").str.strip().str.upper()
    bad = ~ids.str.match(PARCEL_ID_PATTERN)
    if bad.any():
        shown = ", ".join(repr(v) for v in ids[bad].head(5))
        raise SchemaError(
            f"{source}, column 'id': {int(bad.sum())} parcel id(s) are not 14-character cadastral "
            f"references (e.g. 59350000AB0123): {shown}; check the file is an Etalab parcel export"
        )
    dup = ids.duplicated(keep=False)
    if dup.any():
        shown = ", ".join(sorted(ids[dup].unique())[:5])
        raise DataError(
            f"{source}: {int(dup.sum())} rows share a parcel id ({shown}); the same commune file "
            "was probably given twice: give each file once"
        )
    gdf = gdf.drop(columns="id").set_axis(pd.Index(ids.to_numpy(), name="id"))
    if "commune" not in gdf.columns:
        gdf["commune"] = gdf.index.str[:5]
    gdf["commune"] = gdf["commune"].astype("str")
    if "contenance" in gdf.columns:
        gdf["contenance"] = pd.to_numeric(gdf["contenance"], errors="coerce").astype("float64")
    if repair:
        gdf, more, _ = repair_geometries(gdf, source, what="parcel")
        notes.extend(more)
    keep = [c for c in PARCEL_COLUMNS if c in gdf.columns]
    extra = [c for c in gdf.columns if c not in keep and c != gdf.geometry.name]
    gdf = gdf[[*keep, *extra, gdf.geometry.name]]
    gdf.attrs["source"] = source
    gdf.attrs["notes"] = notes
    return gdf


def check_parcel_communes(parcels: gpd.GeoDataFrame, *, source: str) -> list[Problem]:
    """Parcels whose ``commune`` is not the first five characters of their id.

    ``parcels`` as :func:`read_parcels` returns them (indexed by parcel id).

    Examples
    --------
    >>> import geopandas as gpd
    >>> p = gpd.GeoDataFrame({"commune": ["59350", "59009"]},
    ...                      index=["59350000AB0001", "59350000AB0002"])
    >>> print(check_parcel_communes(p, source="p.json")[0])  # doctest: +NORMALIZE_WHITESPACE
    p.json, column 'commune': 1 parcel(s) whose 'commune' differs from the first five
    characters of their id: 59350000AB0002; check the file
    """
    ids = pd.Index(parcels.index)
    wrong = parcels["commune"].astype("str").to_numpy() != ids.str[:5].to_numpy()
    if not wrong.any():
        return []
    return [
        Problem(
            source,
            f"{int(wrong.sum())} parcel(s) whose 'commune' differs from the first five "
            f"characters of their id: {listed_values(ids[wrong])}",
            column="commune",
            fix="check the file",
        )
    ]
