"""Atomic output: every file zan writes appears whole or not at all.

Outputs are written to a temporary file in the destination folder, flushed, and
renamed over the destination with :func:`os.replace` (atomic on POSIX and Windows).
A failure midway leaves the previous file, if any, untouched.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import logging
import math
import os
import re
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .number_text import fixed_decimals

__all__ = [
    "Sheet",
    "atomic_path",
    "fixed_gpkg_date",
    "guard_formula",
    "guard_frame",
    "write_csv",
    "write_gpkg",
    "write_parquet",
    "write_text",
    "write_workbook",
    "sha256_file",
    "write_manifest",
]

logger = logging.getLogger(__name__)


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` on success.

    Parameters
    ----------
    path : path-like
        Final destination. Its folder is created if needed.
    suffix : str, optional
        Suffix of the temporary file (defaults to the destination's, so that
        drivers choosing a format from the extension keep working).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_path(d / "a.txt") as tmp:
    ...     _ = tmp.write_text("bonjour")
    >>> (d / "a.txt").read_text()
    'bonjour'
    """
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(
        prefix=f".{dest.name}.",
        suffix=suffix if suffix is not None else dest.suffix,
        dir=dest.parent,
    )
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # let writers that refuse to overwrite (GDAL drivers) create it
    try:
        yield tmp
        os.replace(tmp, dest)
        logger.debug("written %s", dest)
    finally:
        if tmp.exists():
            tmp.unlink()


@contextlib.contextmanager
def fixed_gpkg_date(date: str = "2000-01-01T00:00:00.000Z") -> Iterator[None]:
    """Write GeoPackages with a fixed ``last_change`` date, so that they are reproducible.

    GDAL stamps each GeoPackage table with the time of writing; its configuration
    option ``OGR_CURRENT_DATE`` replaces that stamp, so the same data gives the same bytes.
    """
    import pyogrio

    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": date})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})


def write_text(text: str, path: str | os.PathLike[str], *, encoding: str = "utf-8") -> Path:
    """Write text atomically and return the path."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding=encoding)
    return Path(path)


#: First characters that make a spreadsheet read a text cell as a formula (OWASP, "CSV
#: Injection"): such text cells are written with a leading single quote.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Text that is a plain number (``-12``, ``-1,5``, ``+3.25e-4``): read as a number, never
#: as a formula, so it is left as it is.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:[.,]\d+)*|[.,]\d+)(?:[eE][+-]?\d+)?")


def guard_formula(value: Any) -> Any:
    """A text cell made safe for spreadsheets: ``'`` before a leading ``= + - @ \\t \\r``.

    Spreadsheets run a cell starting with one of these characters as a formula
    (``=HYPERLINK(...)``, ``+cmd|' /C calc'!A0``); OWASP's rule is to prefix it with
    a single quote, which shows the text as written. Numbers, and text that is a
    plain number (``-12,5``), are returned unchanged, as are empty and missing cells.

    Examples
    --------
    >>> guard_formula("=HYPERLINK(A1)"), guard_formula("+cmd|' /C calc'!A0")
    ("'=HYPERLINK(A1)", "'+cmd|' /C calc'!A0")
    >>> guard_formula("-12,5"), guard_formula(-3.5), guard_formula("Aval")
    ('-12,5', -3.5, 'Aval')
    """
    if isinstance(value, str) and value.startswith(FORMULA_START):
        if _PLAIN_NUMBER.fullmatch(value):
            return value
        return "'" + value
    return value


def _guard_index(index: pd.Index) -> pd.Index:
    if isinstance(index, pd.MultiIndex):
        return pd.MultiIndex.from_tuples(
            [tuple(guard_formula(v) for v in t) for t in index], names=index.names
        )
    if index.dtype.kind in "OSU" or isinstance(index.dtype, pd.CategoricalDtype | pd.StringDtype):
        return pd.Index([guard_formula(v) for v in index], name=index.name, dtype=object)
    return index


def _needs_guard(values: Any) -> bool:
    if isinstance(values, pd.Series | pd.Index) and isinstance(values.dtype, pd.StringDtype):
        return bool(np.asarray(values.str.startswith(FORMULA_START, na=False)).any())
    return any(isinstance(v, str) and v.startswith(FORMULA_START) for v in values)


def guard_frame(df: pd.DataFrame, *, index: bool = True) -> pd.DataFrame:
    """The table with every text cell (and header) passed through :func:`guard_formula`.

    Numeric columns are never touched; the table is copied only when a cell changes.

    Examples
    --------
    >>> t = pd.DataFrame({"nom": ["=1+1", "Aval"], "solde_ha": [-2.5, 1.0]})
    >>> guard_frame(t).to_dict("list")
    {'nom': ["'=1+1", 'Aval'], 'solde_ha': [-2.5, 1.0]}
    """
    out = df
    text_columns = [
        j
        for j in range(df.shape[1])
        if not pd.api.types.is_numeric_dtype(df.dtypes.iloc[j])
        or pd.api.types.is_bool_dtype(df.dtypes.iloc[j])
    ]
    for j in text_columns:
        col = df.iloc[:, j]
        values = col.cat.categories if isinstance(col.dtype, pd.CategoricalDtype) else col
        if _needs_guard(values):
            if out is df:
                out = df.copy()
            out.isetitem(j, col.astype(object).map(guard_formula))
    if _needs_guard(str(c) for c in df.columns) or (
        isinstance(df.columns, pd.MultiIndex) and _needs_guard(v for t in df.columns for v in t)
    ):
        if out is df:
            out = df.copy()
        out.columns = _guard_index(
            df.columns.astype(object) if not isinstance(df.columns, pd.MultiIndex) else df.columns
        )
    if index:
        idx = df.index
        flat = (v for t in idx for v in t) if isinstance(idx, pd.MultiIndex) else idx
        if _needs_guard(flat):
            if out is df:
                out = df.copy()
            out.index = _guard_index(idx)
    return out


def write_csv(
    df: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    decimals: int = 4,
    index: bool = True,
    sep: str = ",",
    encoding: str = "utf-8",
    decimal: str = ".",
) -> Path:
    """Write a table as CSV atomically, floats with a fixed number of decimals.

    Parameters
    ----------
    df : pandas.DataFrame
        The table.
    path : path-like
        Destination.
    decimals : int, default 4
        Decimals for floating-point columns (hectares to 4 decimals = 1 m²).
    index : bool, default True
        Write the index as the first column.
    sep : str, default ","
        Separator.
    encoding : str, default "utf-8"
        Text encoding ("utf-8-sig" adds a BOM for spreadsheets).
    decimal : str, default "."
        Decimal mark ("," for French spreadsheets).

    Returns
    -------
    pathlib.Path

    Notes
    -----
    Every CSV zan writes goes through this function. Text cells (and headers) that
    a spreadsheet would run as a formula are written with a leading quote
    (:func:`guard_formula`, as :func:`write_workbook` writes text as text); numbers
    are written as numbers.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> t = pd.DataFrame({"nom": ["+cmd|' /C calc'!A0"], "solde_ha": [-1.5]})
    >>> p = write_csv(t, pathlib.Path(tempfile.mkdtemp()) / "t.csv", index=False)
    >>> p.read_text().splitlines()
    ['nom,solde_ha', "'+cmd|' /C calc'!A0,-1.5000"]
    """
    df = _floats_as_text(guard_frame(df, index=index), decimals, decimal)
    with atomic_path(path) as tmp:
        df.to_csv(
            tmp,
            index=index,
            sep=sep,
            encoding=encoding,
            decimal=decimal,
            float_format=f"%.{decimals}f",
            lineterminator="\n",
        )
    return Path(path)


def _floats_as_text(df: pd.DataFrame, decimals: int, decimal: str) -> pd.DataFrame:
    """The float columns written as :meth:`~pandas.DataFrame.to_csv` writes them, in bulk.

    ``float_format="%.4f"`` makes pandas format every value through several Python
    calls (seconds for a national table); :func:`zan.number_text.fixed_decimals` gives
    the same text, NaN as an empty cell, at a fraction of the cost.
    """
    floats = [j for j in range(df.shape[1]) if df.dtypes.iloc[j] in (np.float64, np.float32)]
    if not floats:
        return df
    out = df.copy(deep=False)
    for j in floats:
        text = fixed_decimals(df.iloc[:, j].to_numpy(), decimals, decimal=decimal)
        out.isetitem(j, pd.Series(text, index=df.index, dtype=object))
    return out


def write_gpkg(
    layers: Mapping[str, Any], path: str | os.PathLike[str], *, arrow: bool = False
) -> Path:
    """Write GeoDataFrames as the layers of one GeoPackage, atomically and reproducibly.

    The tables' ``last_change`` date is fixed (:func:`fixed_gpkg_date`), so the same
    data gives the same bytes.

    Parameters
    ----------
    layers : mapping of layer name → geopandas.GeoDataFrame
    path : path-like
    arrow : bool, default False
        Hand the columns to GDAL through Arrow (pyogrio's ``use_arrow``): faster, and
        the same bytes for frames of plain columns (numbers, text, booleans); a column
        of mixed Python objects needs the default.

    Returns
    -------
    pathlib.Path
    """
    with atomic_path(path, suffix=".gpkg") as tmp, fixed_gpkg_date():
        for name, frame in layers.items():
            frame.to_file(tmp, layer=name, driver="GPKG", **({"use_arrow": True} if arrow else {}))
    return Path(path)


def write_parquet(frame: Any, path: str | os.PathLike[str]) -> Path:
    """Write a (Geo)DataFrame as (Geo)Parquet atomically."""
    with atomic_path(path, suffix=".parquet") as tmp:
        frame.to_parquet(tmp)
    return Path(path)


def sha256_file(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes, read in blocks.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> _ = p.write_bytes(b"zan")
    >>> sha256_file(p)[:12]
    'd6bdb7c3e5a7'
    """
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(
    folder: str | os.PathLike[str],
    inputs: dict[str, str | os.PathLike[str]],
    outputs: list[str | os.PathLike[str]] | tuple = (),
    *,
    extra: dict | None = None,
) -> Path:
    """Write ``sources.json``: the name and SHA-256 of every input and output file.

    A published figure or map can then be traced to the exact files it came from,
    and checked by its own hash. Paths are given relative to ``folder`` when inside
    it, else by file name; no date is written, so the same inputs give the same bytes.

    Parameters
    ----------
    folder : path-like
        Output folder; ``sources.json`` is written there, atomically.
    inputs : dict
        Key (e.g. ``"data.consumption"``) → input file.
    outputs : sequence of path-like
        Files written.
    extra : dict, optional
        More facts (scenario name and hash, zan version...).

    Returns
    -------
    pathlib.Path
    """
    import json

    folder = Path(folder)

    def name(p: str | os.PathLike[str]) -> str:
        path = Path(p)
        try:
            return path.resolve().relative_to(folder.resolve()).as_posix()
        except ValueError:
            return path.name

    manifest = {
        **(extra or {}),
        "inputs": {
            k: {"file": Path(v).name, "sha256": sha256_file(v)} for k, v in sorted(inputs.items())
        },
        "outputs": {name(p): sha256_file(p) for p in sorted(outputs, key=str) if Path(p).is_file()},
    }
    return write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", folder / "sources.json"
    )


# ============================================================================ workbooks
@dataclass(frozen=True)
class Sheet:
    """One sheet of a workbook written by :func:`write_workbook`.

    Parameters
    ----------
    title : str
        Sheet name (characters Excel refuses are replaced, cut to 31 characters,
        made unique within the workbook).
    frame : pandas.DataFrame
        The table; its column names are the header row (the index is not written).
    formats : mapping, optional
        ``{column: Excel number format}``, e.g. ``{"Enveloppe (ha)": "#,##0.00"}``.
    freeze : str, default "B2"
        Top-left cell left free when scrolling ("C2" keeps the header row and two
        columns in view, "A2" the header row only).
    """

    title: str
    frame: pd.DataFrame
    formats: Mapping[str, str] = field(default_factory=dict)
    freeze: str = "B2"


_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
#: Creation date written into workbooks, so that the same tables give the same bytes.
_WORKBOOK_DATE = _dt.datetime(2000, 1, 1)


def _sheet_title(title: str, used: set[str]) -> str:
    base = _SHEET_BAD.sub("-", str(title)).strip("'")[:31] or "Feuille"
    out, i = base, 2
    while out.lower() in used:
        suffix = f" ({i})"
        out, i = base[: 31 - len(suffix)] + suffix, i + 1
    used.add(out.lower())
    return out


def _cells(col: pd.Series) -> tuple[str, list[Any]]:
    """A column as (kind, cell values): numbers (ints kept), booleans or text; None = empty."""
    if pd.api.types.is_bool_dtype(col.dtype):
        return "bool", [None if pd.isna(v) else bool(v) for v in col.tolist()]
    if pd.api.types.is_numeric_dtype(col.dtype):
        arr = col.to_numpy(dtype=np.float64, na_value=np.nan)
        ok = np.isfinite(arr)
        if col.dtype.kind in "iu" or (
            col.dtype.kind != "f" and np.all(arr[ok] == np.round(arr[ok]))
        ):
            values = [int(x) if math.isfinite(x) else None for x in arr.tolist()]
        else:
            values = (
                arr.tolist()
                if ok.all()
                else [x if math.isfinite(x) else None for x in arr.tolist()]
            )
        return "number", values
    out: list[Any] = []
    for v in col.tolist():
        if v is None or (isinstance(v, float) and math.isnan(v)) or v is pd.NA or v is pd.NaT:
            out.append(None)
        elif isinstance(v, bool | np.bool_):
            out.append(bool(v))
        elif isinstance(v, int | float | np.integer | np.floating):
            x = float(v)
            out.append(
                None if not math.isfinite(x) else (int(v) if isinstance(v, int | np.integer) else x)
            )
        else:
            out.append(str(v))
    return "mixed", out


def _shown_width(v: Any) -> int:
    if v is None:
        return 0
    if isinstance(v, float):
        return len(f"{v:,.2f}")
    return len(str(v))


def write_workbook(path: str | os.PathLike[str], sheets: Sequence[Sheet]) -> Path:
    """Write tables into one formatted XLSX workbook, atomically (XlsxWriter).

    Each sheet has a bold, shaded, wrapped header row, frozen panes, a filter on
    the header, column widths fitted to the content and a number format per column
    (e.g. ``#,##0.00`` for hectares; cells keep their full precision). Missing and
    infinite numbers are left empty; text is always written as text (never read as
    a formula or a link). The workbook's creation date is fixed, so the same tables
    give the same bytes.

    Parameters
    ----------
    path : path-like
        Destination ``.xlsx`` file (its folder is created if needed).
    sheets : sequence of Sheet
        At least one.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    zan.errors.DataError
        No sheet to write.

    Examples
    --------
    >>> import tempfile, pathlib, openpyxl
    >>> t = pd.DataFrame({"Nom": ["Aval"], "Enveloppe (ha)": [1234.5]})
    >>> p = write_workbook(pathlib.Path(tempfile.mkdtemp()) / "t.xlsx",
    ...                    [Sheet("Table", t, {"Enveloppe (ha)": "#,##0.00"})])
    >>> ws = openpyxl.load_workbook(p)["Table"]
    >>> ws["B2"].value, ws["B2"].number_format, ws.freeze_panes
    (1234.5, '#,##0.00', 'B2')
    """
    import xlsxwriter

    from .errors import DataError

    if not sheets:
        raise DataError(f"{path}: nothing to write; give at least one table")
    with atomic_path(path, suffix=".xlsx") as tmp:
        wb = xlsxwriter.Workbook(str(tmp), {"constant_memory": True})
        wb.set_properties({"created": _WORKBOOK_DATE})
        head = wb.add_format(
            {"bold": True, "bg_color": "#DDE6F0", "text_wrap": True, "valign": "top", "border": 1}
        )
        formats: dict[str, Any] = {}
        used: set[str] = set()
        for sheet in sheets:
            ws = wb.add_worksheet(_sheet_title(sheet.title, used))
            frame = sheet.frame
            names = [str(c) for c in frame.columns]
            columns = [_cells(frame[c]) for c in frame.columns]
            cell_formats = []
            for j, name in enumerate(names):
                fmt = sheet.formats.get(frame.columns[j]) or sheet.formats.get(name)
                if fmt and fmt not in formats:
                    formats[fmt] = wb.add_format({"num_format": fmt})
                cell_formats.append(formats[fmt] if fmt else None)
                sample = columns[j][1][:2000]
                longest = max([min(len(name), 28)] + [_shown_width(v) for v in sample])
                ws.set_column(j, j, min(max(8, longest + 2), 48))
            ws.freeze_panes(sheet.freeze)
            ws.set_row(0, 45 if any(len(n) > 20 for n in names) else 30)
            for j, name in enumerate(names):
                ws.write_string(0, j, name, head)
            writers = []
            for kind, _ in columns:
                if kind == "number":
                    writers.append(ws.write_number)
                elif kind == "bool":
                    writers.append(ws.write_boolean)
                else:
                    writers.append(None)
            for i, row in enumerate(zip(*(c[1] for c in columns), strict=True), start=1):
                for j, v in enumerate(row):
                    if v is None:
                        continue
                    w = writers[j]
                    if w is None:
                        if isinstance(v, str):
                            ws.write_string(i, j, v, cell_formats[j])
                        elif isinstance(v, bool):
                            ws.write_boolean(i, j, v, cell_formats[j])
                        else:
                            ws.write_number(i, j, v, cell_formats[j])
                    else:
                        w(i, j, v, cell_formats[j])
            if names:
                ws.autofilter(0, 0, max(len(frame), 1), len(names) - 1)
        wb.close()
    return Path(path)
