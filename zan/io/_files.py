"""Reading tables (CSV, Excel) and vector layers, with errors that name the file.

French open data comes with every separator (``,`` ``;`` tab ``|``) and every
encoding (UTF-8 with or without BOM, Latin-1/cp1252 from Excel); commune codes lose
their leading zero as soon as a column is read as numbers. The readers here sniff
the separator and the encoding, read every column as text by default, and turn
every reading failure into a :mod:`zan.errors` exception whose message says which
file, what was found, and how to fix it.

Row numbers in messages are **line numbers in the file**, the header being line 1:
:func:`read_table` returns a frame whose integer index ``i`` is file line ``i + 2``
(blank lines are skipped but keep their numbers; a quoted field spanning several
lines shifts the count).
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import logging
import warnings
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from ..errors import DataError, GeometryError, Problem, SchemaError, ValidationError
from . import file_kinds as kinds
from ._csv_floats import read_csv_text
from .codes import labelled_values, rule_problem

logger = logging.getLogger(__name__)

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

__all__ = ["read_table", "read_layer", "find_column", "to_number", "row_label"]

#: Separators tried, in order of preference when the counts tie.
SEPARATORS: tuple[str, ...] = (",", ";", "\t", "|")
_SEP_NAMES = {",": "comma", ";": "semicolon", "\t": "tab", "|": "pipe"}
_EXCEL_SUFFIXES = (".xlsx", ".xlsm")
_LAYER_SUFFIXES = (".parquet", ".geoparquet")
#: Number of offending rows quoted in a message.
_MAX_QUOTED = 5


def _check_exists(path: Path, what: str) -> None:
    if not path.exists():
        raise DataError(
            f"{path}: {what} file not found; check the path (working folder: {Path.cwd()})"
        )
    if path.is_dir():
        raise DataError(f"{path}: is a folder, not a {what} file; give the path of the file itself")


def _read_bytes(path: Path, what: str) -> bytes:
    raw = path.read_bytes()
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise DataError(
                f"{path}: the gzip-compressed {what} file is corrupt ({exc}); download it again"
            ) from None
    elif path.suffix.lower() == ".gz":
        raise DataError(f"{path}: named .gz but not gzip-compressed; rename it or compress it")
    return raw


def _decode(raw: bytes) -> tuple[str, str]:
    """Decode bytes trying UTF-8 with BOM, UTF-16 with BOM, UTF-8, then cp1252 / Latin-1."""
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
        try:
            return raw.decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError:
            pass  # a BOM followed by 8-bit text (an editor's mix-up): try the 8-bit codecs
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return raw.decode("latin-1"), "latin-1"


def _sample_lines(text: str, n: int = 50) -> list[str]:
    """The first ``n`` non-blank lines (split on ``\n``, as ``io.StringIO`` reads them),
    found without copying the whole text (a national file is tens of megabytes)."""
    lines: list[str] = []
    start = 0
    while len(lines) < n and start < len(text):
        end = text.find("\n", start)
        end = len(text) if end < 0 else end + 1
        line = text[start:end]
        start = end
        if line.strip():
            lines.append(line.rstrip("\r\n"))
    return lines


def _sniff_sep(lines: list[str]) -> str | None:
    """Return the separator giving the most columns consistently, or None for one column."""
    best: tuple[float, int, int] | None = None
    best_sep = None
    for rank, sep in enumerate(SEPARATORS):
        rows = list(csv.reader(lines, delimiter=sep))
        n = len(rows[0])
        if n < 2:
            continue
        # A trailing separator adds an empty last field: accept n or n+1 fields.
        body = rows[1:]
        consistent = sum(len(r) in (n, n + 1) for r in body) / len(body) if body else 1.0
        score = (consistent, n, -rank)
        if best is None or score > best:
            best, best_sep = score, sep
    return best_sep


def _first_long_row(text: str, sep: str) -> tuple[int, int, int] | None:
    """Locate the first line with more fields than the header (error path only)."""
    reader = csv.reader(io.StringIO(text), delimiter=sep)
    header = next(reader, [])
    n = len(header)
    for row in reader:
        if len(row) > n and any(f.strip() for f in row[n:]):
            return reader.line_num, len(row), n
    return None


def _read_excel(path: Path, dtype, what: str) -> pd.DataFrame:
    try:
        with warnings.catch_warnings():
            # openpyxl warns about styles and data validation it does not read.
            warnings.simplefilter("ignore", UserWarning)
            df = pd.read_excel(
                path, dtype=dtype, engine="openpyxl", keep_default_na=False, na_values=[""]
            )
    except ImportError as exc:  # pragma: no cover - openpyxl is a dependency of pandas' excel I/O
        from ..errors import MissingDependencyError

        raise MissingDependencyError(
            f"{path}: reading Excel files needs 'openpyxl'; install it with: pip install openpyxl"
        ) from exc
    except Exception as exc:
        raise DataError(
            f"{path}: cannot read the {what} as an Excel workbook ({exc}); "
            "save it again as .xlsx or export it to CSV"
        ) from None
    return df


def read_table(
    path: str | Path,
    *,
    what: str = "table",
    dtype=str,
    sep: str | None = None,
    encoding: str | None = None,
    numeric: Callable[[list[str]], Iterable[str]] | None = None,
) -> pd.DataFrame:
    """Read a CSV (or Excel) table, sniffing the separator and the encoding.

    Parameters
    ----------
    path : str or pathlib.Path
        A ``.csv`` / ``.txt`` / ``.tsv`` file, optionally gzip-compressed (``.gz``),
        or an ``.xlsx`` workbook (first sheet).
    what : str, default "table"
        What the file holds, for messages (e.g. ``"consumption"``).
    dtype : type or dict, default str
        Column types; the default reads every column as text so that codes keep
        their leading zeros (``"02001"``). Empty cells are missing values (NaN);
        nothing else (``NA``, ``null``...) is.
    sep : str, optional
        Separator; sniffed among ``,`` ``;`` tab and ``|`` when not given.
    encoding : str, optional
        Encoding; tried in the order UTF-8 with BOM, UTF-8, cp1252 (Latin-1) when
        not given.
    numeric : callable, optional
        Names of the CSV columns to read as float64 given all the names, with the
        default ``dtype`` (see :func:`zan.io._csv_floats.read_csv_text`).

    Returns
    -------
    pandas.DataFrame
        Column names stripped of surrounding spaces; integer index where row
        ``i`` is file line ``i + 2``. ``df.attrs`` holds ``source`` (the path as
        given), ``encoding`` and ``sep``.

    Raises
    ------
    DataError
        When the file is missing, empty, has a header and no rows, has only one
        column (no separator found), has rows longer than its header, or cannot be
        decoded with the given ``encoding``.
    SchemaError
        When two columns have the same name.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> f = pathlib.Path(tempfile.mkdtemp()) / "communes.csv"
    >>> _ = f.write_bytes("code;nom\\n02001;Abbécourt\\n".encode("cp1252"))
    >>> df = read_table(f)
    >>> df.loc[0, "code"], df.loc[0, "nom"], df.attrs["sep"], df.attrs["encoding"]
    ('02001', 'Abbécourt', ';', 'cp1252')
    """
    path, member = kinds.split_member(path)
    _check_exists(path, what)
    raw, source = kinds.table_bytes(path, member, what)  # a zip's member, else (None, path)
    if raw is None and path.suffix.lower() in _EXCEL_SUFFIXES:
        if path.stat().st_size == 0:
            raise DataError(f"{source}: the {what} file is empty (0 bytes); export the table again")
        df = _read_excel(path, dtype, what)
        enc_used, sep_used = "xlsx", None
    else:
        raw = _read_bytes(path, what) if raw is None else raw
        if not raw.strip():
            raise DataError(f"{source}: the {what} file is empty (0 bytes); export the table again")
        kinds.refuse_binary(raw, path, source, what)
        if encoding is None:
            text, enc_used = _decode(raw)
        else:
            try:
                text, enc_used = raw.decode(encoding), encoding
            except (UnicodeDecodeError, LookupError) as exc:
                raise DataError(
                    f"{source}: cannot decode the {what} file as {encoding!r} ({exc}); "
                    "leave encoding=None to detect it"
                ) from None
        if text.startswith("\ufeff"):
            text = text[1:]
        if "\r" in text:  # Windows (\r\n) and old Mac (\r) line ends read as \n
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        hint, text = kinds.excel_sep_hint(text)  # Excel's first line "sep=;": honoured, skipped
        sep = sep if sep is not None else hint
        lines = _sample_lines(text)
        if not lines:
            raise DataError(
                f"{source}: the {what} file holds only blank lines; export the table again"
            )
        sep_used = sep if sep is not None else _sniff_sep(lines)
        if sep_used is None:
            raise DataError(  # the line is not quoted: the file may be anything
                f"{source}: not a table: one column found in the first line "
                f"({len(lines[0])} characters, {len(raw):,} bytes); "
                "expected columns separated by ',', ';', tab or '|'; "
                "check the file, or pass sep= to name its separator"
            )
        header = next(csv.reader([lines[0]], delimiter=sep_used))
        names = [h.strip() for h in header]
        dupes = sorted({n for n in names if n and names.count(n) > 1})
        if dupes:
            raise SchemaError(
                f"{source}: duplicate column names in the header: {', '.join(dupes)}; "
                "rename them so that each column has a unique name"
            )
        try:
            df = read_csv_text(text, sep_used, dtype, header, numeric if dtype is str else None)
        except (pd.errors.ParserWarning, pd.errors.ParserError) as exc:
            found = _first_long_row(text, sep_used)
            where = (
                f"line {found[0] + bool(hint)} has {found[1]} fields but the header has {found[2]}"
                if found
                else str(exc).strip()
            )
            raise DataError(
                f"{source}: the {what} file is not a regular table ({where}, "
                f"separator {_SEP_NAMES.get(sep_used, repr(sep_used))}); "
                "quote fields that contain the separator, or pass sep= if it was guessed wrong"
            ) from None
        except ValueError as exc:  # e.g. dtype conversion failures
            raise DataError(f"{source}: cannot read the {what} file ({exc})") from None
        # Blank lines were kept as all-empty rows so that the index still gives the line.
        df = df[df.notna().any(axis=1)] if len(df) else df
        df.index += 1 if hint else 0  # the header is line 2 after a "sep=" line

    df.columns = [str(c).strip() for c in df.columns]
    # Trailing separators produce unnamed, empty columns: drop those only.
    unnamed = [
        c for c in df.columns if (c == "" or c.startswith("Unnamed: ")) and df[c].isna().all()
    ]
    if unnamed:
        df = df.drop(columns=unnamed)
    if len(df.columns) == 0:
        raise DataError(f"{source}: the {what} file has no columns; export the table again")
    if len(df) == 0:
        raise DataError(
            f"{source}: the {what} file has a header ({', '.join(map(str, df.columns[:8]))}"
            f"{', ...' if len(df.columns) > 8 else ''}) but no data rows; export the table again"
        )
    df.attrs.update(source=source, encoding=enc_used, sep=sep_used)
    logger.info("read %s: %d rows, %d columns (%s)", source, len(df), len(df.columns), enc_used)
    return df


def read_layer(
    path: str | Path,
    *,
    layer: str | None = None,
    crs=None,
    columns: Sequence[str] | None = None,
    check_bounds: bool = True,
) -> gpd.GeoDataFrame:
    """Read a vector layer (GeoJSON, GeoPackage, Shapefile, GeoParquet) with clear errors.

    Parameters
    ----------
    path : str or pathlib.Path
        The file. ``.parquet`` / ``.geoparquet`` are read as GeoParquet, anything
        else through GDAL (pyogrio).
    layer : str, optional
        Layer name, for files holding several (GeoPackage). When omitted, the only
        layer (or the only layer with geometries) is read.
    crs : str or pyproj.CRS, optional
        CRS to assume when the file declares none, or declares one its coordinates do
        not fit (:func:`zan.crs.check_coordinates`); else the file's own CRS is kept.
    columns : sequence of str, optional
        Attribute columns to read (all by default); the geometry is always read.
    check_bounds : bool, default True
        Refuse coordinates that do not fit the declared CRS (the validator reads them).

    Returns
    -------
    geopandas.GeoDataFrame
        ``attrs["source"]`` holds the path as given.

    Raises
    ------
    DataError
        When the file is missing, the layer is empty, several layers exist and
        none was named, or the named layer does not exist.
    GeometryError
        When the file cannot be parsed (invalid JSON, unknown format...); the
        message quotes the parser's reason.
    SchemaError
        When requested ``columns`` are not in the layer.
    CRSError
        When the file declares no CRS and ``crs`` is not given; CoordinatesError when
        its coordinates do not fit the CRS it declares (Lambert-93 read as WGS 84).

    Examples
    --------
    >>> from zan.datasets import get_path
    >>> read_layer(get_path("communes.gpkg")).crs.to_epsg()
    2154
    """
    import geopandas as gpd
    import pyogrio

    from ..crs import check_coordinates, ensure_crs

    path, member = kinds.split_member(path)
    source = str(path)
    if not path.exists():
        raise DataError(
            f"{source}: layer file not found; check the path (working folder: {Path.cwd()})"
        )
    if path.is_file() and path.stat().st_size == 0:
        raise DataError(f"{source}: the layer file is empty (0 bytes); export the layer again")
    target, source = kinds.layer_target(path, member) if path.is_file() else (source, source)
    kinds.check_shapefile(path, crs is not None)  # its .dbf, .shx and .prj beside it
    if path.suffix.lower() in _LAYER_SUFFIXES:
        try:
            gdf = gpd.read_parquet(path)
        except Exception as exc:
            raise GeometryError(
                f"{source}: cannot read the file as GeoParquet ({exc}); "
                "check that it was written with geometry metadata (GeoDataFrame.to_parquet)"
            ) from None
        if columns is not None:
            _check_columns(gdf, columns, source)
            gdf = gdf[[*columns, gdf.geometry.name]]
    else:
        try:
            layers = pyogrio.list_layers(target)
        except Exception as exc:
            raise GeometryError(
                f"{source}: cannot read the file as a vector layer ({_reason(exc)}); "
                "check that it is a valid GeoJSON, GeoPackage, Shapefile or GeoParquet file"
            ) from None
        names = [str(n) for n in layers[:, 0]]
        if layer is None:
            if len(names) == 0:
                raise DataError(f"{source}: the file holds no layer; export the layer again")
            if len(names) > 1:
                spatial = [str(n) for n, g in layers if g is not None]
                if len(spatial) != 1:
                    raise DataError(
                        f"{source}: the file holds {len(names)} layers ({', '.join(names)}); "
                        "pass layer= to choose one"
                    )
                layer = spatial[0]
            else:
                layer = names[0]
        elif layer not in names:
            raise DataError(
                f"{source}: no layer {layer!r} in the file (layers: {', '.join(names)}); "
                "pass one of these as layer="
            )
        if columns is not None:
            try:
                fields = list(pyogrio.read_info(target, layer=layer)["fields"])
            except Exception as exc:
                raise GeometryError(
                    f"{source}: cannot read layer {layer!r} ({_reason(exc)})"
                ) from None
            missing = [c for c in columns if c not in fields]
            if missing:
                raise SchemaError(
                    f"{source}: layer {layer!r} has no column {', '.join(map(repr, missing))} "
                    f"(columns: {', '.join(fields)}); pass existing column names"
                )
        try:
            with warnings.catch_warnings():
                # GDAL warns about ring orientation and unusual field types it still reads.
                warnings.simplefilter("ignore", RuntimeWarning)
                gdf = gpd.read_file(
                    target,
                    layer=layer,
                    columns=list(columns) if columns is not None else None,
                    engine="pyogrio",
                )
        except Exception as exc:
            raise GeometryError(
                f"{source}: cannot read layer {layer!r} ({_reason(exc)}); "
                "check the file, e.g. with ogrinfo"
            ) from None
    if not isinstance(gdf, gpd.GeoDataFrame) or gdf.geometry.name not in gdf.columns:
        raise GeometryError(f"{source}: the layer has no geometry column; give a spatial layer")
    if len(gdf) == 0:
        raise DataError(f"{source}: the layer is empty (0 features); export the layer again")
    if gdf.crs is None:
        if crs is not None:
            gdf = gdf.set_crs(crs)
        else:
            ensure_crs(gdf, source)
    gdf = check_coordinates(gdf, source, crs=crs) if check_bounds else gdf  # L93 as WGS 84...
    gdf.attrs["source"] = source
    logger.info("read %s: %d features", source, len(gdf))
    return gdf


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0] if text else type(exc).__name__


def _check_columns(df: pd.DataFrame, columns: Iterable[str], source: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise SchemaError(
            f"{source}: no column {', '.join(map(repr, missing))} "
            f"(columns: {', '.join(map(str, df.columns))}); pass existing column names"
        )


def find_column(
    df: pd.DataFrame,
    candidates: str | Sequence[str],
    *,
    source: str,
    what: str,
    required: bool = True,
    argument: str | None = None,
) -> str | None:
    """Find the first of several possible column names, ignoring case and spaces.

    Parameters
    ----------
    df : pandas.DataFrame
        The table.
    candidates : str or sequence of str
        Accepted names, in order of preference.
    source : str
        File or table name, for the message.
    what : str
        What the column holds, for the message (e.g. ``"commune code"``).
    required : bool, default True
        Raise when no candidate is found; else return None.
    argument : str, optional
        Name of the reader's argument that names the column explicitly (e.g.
        ``"code_column"``), quoted in the message.

    Returns
    -------
    str or None
        The column name as spelled in ``df``.

    Raises
    ------
    SchemaError
        When ``required`` and no candidate matches; the message lists the columns
        present and the argument to pass.

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"INSEE_COM": ["02001"], "NOM": ["Abbécourt"]})
    >>> find_column(df, ["code_insee", "insee_com"], source="communes.shp", what="commune code")
    'INSEE_COM'
    >>> find_column(df, "pop", source="c.shp", what="population", required=False) is None
    True
    """
    if isinstance(candidates, str):
        candidates = [candidates]
    lookup: dict[str, str] = {}
    for col in df.columns:
        lookup.setdefault(str(col).strip().casefold(), col)
    for cand in candidates:
        col = lookup.get(cand.strip().casefold())
        if col is not None:
            return col
    if not required:
        return None
    shown = ", ".join(map(str, df.columns[:30])) + (", ..." if len(df.columns) > 30 else "")
    fix = (
        f"pass {argument}= to name the {what} column"
        if argument
        else f"rename the {what} column to {candidates[0]!r}"
    )
    looked = ", ".join(map(repr, candidates))
    raise SchemaError(
        f"{source}: no {what} column found (looked for {looked}; columns: {shown}); {fix}"
    )


def row_label(index: pd.Index) -> list[str]:
    """Label rows for messages: ``"line N"`` for the integer index of :func:`read_table`.

    An integer index ``i`` is file line ``i + 2`` (the header is line 1); any other
    index (e.g. commune codes) is quoted as it is.

    Examples
    --------
    >>> import pandas as pd
    >>> row_label(pd.RangeIndex(2))
    ['line 2', 'line 3']
    >>> row_label(pd.Index(["02001"]))
    ["'02001'"]
    """
    if pd.api.types.is_integer_dtype(index.dtype):
        return [f"line {int(i) + 2}" for i in index]
    return [repr(i) for i in index]


def _quote_rows(index: pd.Index, values: pd.Series | None = None) -> str:
    labels = row_label(index[:_MAX_QUOTED])
    if values is not None:
        labels = [
            f"{lab} ({v!r})" for lab, v in zip(labels, values.iloc[:_MAX_QUOTED], strict=True)
        ]
    more = len(index) - _MAX_QUOTED
    return ", ".join(labels) + (f" and {more} more" if more > 0 else "")


def _fast_float(raw: pd.Series) -> np.ndarray | None:
    """Parse plain numbers fast (pyarrow, else numpy); None when any value needs the slow path."""
    try:
        import pyarrow as pa
        import pyarrow.compute as pc
    except ImportError:  # pragma: no cover - pyarrow is optional
        pa = None
    missing = raw.isna().to_numpy()
    try:
        if pa is not None:
            arr = pa.array(raw.to_numpy(dtype=object, na_value=None), from_pandas=True)
            values = pc.cast(arr, pa.float64()).to_numpy(zero_copy_only=False)
        else:  # pragma: no cover
            values = raw.fillna("nan").to_numpy(dtype=str).astype("float64")
    except (ValueError, TypeError, ArithmeticError, Exception):
        return None
    values = np.asarray(values, dtype="float64")
    if np.isinf(values).any() or (np.isnan(values) & ~missing).any():
        return None
    return values


def parse_numbers(
    df: pd.DataFrame, columns: Iterable[str], *, source: str, allow_negative: bool = True
) -> tuple[pd.DataFrame, list[Problem], list[Problem]]:
    """Convert columns to float64; return (converted, non-numeric problems, negative problems).

    Text is read with a decimal comma or point and thousands spaces; a value that is
    not a number becomes NaN and is reported (one problem per column).

    Examples
    --------
    >>> out, bad, neg = parse_numbers(pd.DataFrame({"a": ["1,5", "x"]}), ["a"], source="t")
    >>> out["a"].tolist()[0], len(bad)
    (1.5, 1)
    """
    converted: dict[str, np.ndarray] = {}
    bad_type: list[Problem] = []
    bad_sign: list[Problem] = []
    for col in columns:
        raw = df[col]
        if pd.api.types.is_numeric_dtype(raw.dtype) and not pd.api.types.is_bool_dtype(raw.dtype):
            values = raw.to_numpy(dtype="float64", na_value=np.nan)
            invalid = np.isinf(values)
            text = raw
        elif (fast := _fast_float(raw)) is not None:
            values, invalid, text = fast, np.zeros(len(raw), dtype=bool), raw
        else:
            text = pd.Series(raw, dtype="string")
            clean = (
                text.str.replace(r"[\s\u00a0\u202f]", "", regex=True).str.replace(
                    ",", ".", regex=False
                )  # thousands spaces  # decimal comma
            )
            clean = clean.mask(clean == "")
            parsed = pd.to_numeric(clean, errors="coerce")
            values = parsed.to_numpy(dtype="float64", na_value=np.nan)
            invalid = (clean.notna().to_numpy() & np.isnan(values)) | np.isinf(values)
        if invalid.any():
            idx = df.index[invalid]
            bad_type.append(
                Problem(
                    source,
                    f"{int(invalid.sum())} non-numeric value(s): {_quote_rows(idx, text[invalid])}",
                    column=str(col),
                    fix="write plain numbers (decimal comma or point, no units), "
                    "or leave the cell empty",
                )
            )
            values = np.where(invalid, np.nan, values)
        if not allow_negative:
            negative = values < 0
            if negative.any():
                idx = df.index[negative]
                bad_sign.append(
                    Problem(
                        source,
                        f"{int(negative.sum())} negative value(s): "
                        f"{_quote_rows(idx, pd.Series(values[negative]))}",
                        column=str(col),
                        fix="these quantities cannot be negative; correct the file",
                    )
                )
        converted[col] = values
    out = df.assign(**{str(k): v for k, v in converted.items()})
    return out, bad_type, bad_sign


#: The rules on numeric columns: rule code → (message, fix), English
#: (:func:`check_numbers`; :mod:`zan.validate` gives them in French).
NUMBER_RULES: dict[str, tuple[str, str]] = {
    "not_numeric": (
        "{n} non-numeric value(s): {values}",
        "write plain numbers (no units), or leave the cell empty",
    ),
    "negative": (
        "{n} negative value(s): {values}",
        "these quantities cannot be negative; correct the file",
    ),
}


def check_numbers(
    df: pd.DataFrame,
    column: str,
    labels: np.ndarray,
    *,
    source: str,
    negative: str = "error",
) -> list[Problem]:
    """Every non-numeric and negative value of a column, found at once.

    Values are read as :func:`parse_numbers` reads them (decimal comma, thousands
    spaces).

    Parameters
    ----------
    df : pandas.DataFrame
    column : str
    labels : numpy.ndarray
        A label per row (``"line 12"``, a commune code), quoted in the messages.
    source : str
        File, for the problems.
    negative : {"error", "warning"}
        Severity of negative values.

    Returns
    -------
    list of zan.errors.Problem
        Rules of :data:`NUMBER_RULES` (``not_numeric``, ``negative``).

    Examples
    --------
    >>> df = pd.DataFrame({"pop": ["12", "douze", "-3"]})
    >>> problems = check_numbers(df, "pop", np.array(["a", "b", "c"]), source="t")
    >>> [p.code for p in problems], problems[0].message
    (['not_numeric', 'negative'], "1 non-numeric value(s): b ('douze')")
    """
    parsed, bad_type, _ = parse_numbers(df[[column]], [column], source=source)
    raw = df[column]
    values = parsed[column].to_numpy(dtype="float64")
    bad = (raw.notna().to_numpy() & np.isnan(values)) if bad_type else np.zeros(len(df), bool)
    problems = []
    if bad.any():
        problems.append(
            rule_problem(
                NUMBER_RULES,
                "not_numeric",
                source,
                column=column,
                n=int(bad.sum()),
                values=labelled_values(list(labels[bad]), list(raw[bad])),
            )
        )
    with np.errstate(invalid="ignore"):
        neg = values < 0
    if neg.any():
        problems.append(
            rule_problem(
                NUMBER_RULES,
                "negative",
                source,
                severity=negative,
                column=column,
                n=int(neg.sum()),
                values=labelled_values(list(labels[neg]), list(values[neg])),
            )
        )
    return problems


def to_number(
    df: pd.DataFrame,
    columns: str | Iterable[str],
    *,
    source: str,
    allow_negative: bool = True,
) -> pd.DataFrame:
    """Convert text columns to numbers strictly (decimal comma accepted, empty → NaN).

    Parameters
    ----------
    df : pandas.DataFrame
        Table read by :func:`read_table` (its integer index gives the file lines).
    columns : str or iterable of str
        Columns to convert to float64.
    source : str
        File name, for messages.
    allow_negative : bool, default True
        When False, negative values raise :class:`~zan.errors.DataError`.

    Returns
    -------
    pandas.DataFrame
        A copy with the columns converted to float64. Spaces inside numbers (French
        thousands separators) are removed; ``"1,5"`` reads as 1.5; empty cells are NaN.

    Raises
    ------
    SchemaError
        When a value is not a number; the message names the file, the column, and
        the first offending lines with their values.
    DataError
        When ``allow_negative`` is False and a value is negative (same details).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"m2": ["1 200", "3,5", None]})
    >>> to_number(df, "m2", source="conso.csv")["m2"].tolist()
    [1200.0, 3.5, nan]
    >>> bad = pd.DataFrame({"m2": ["12", "douze"]})
    >>> to_number(bad, "m2", source="conso.csv")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    zan.errors.SchemaError: conso.csv, column 'm2': 1 non-numeric value(s): line 3 ('douze'); ...
    """
    if isinstance(columns, str):
        columns = [columns]
    columns = list(columns)
    _check_columns(df, columns, source)
    out, bad_type, bad_sign = parse_numbers(
        df, columns, source=source, allow_negative=allow_negative
    )
    if bad_type:
        if len(bad_type) == 1:
            raise SchemaError(str(bad_type[0]))
        raise ValidationError(bad_type)
    if bad_sign:
        raise DataError("\n".join(str(p) for p in bad_sign))
    return out
