"""Net artificialisation tables read for the ledger (the metric of the periods from 2031).

From 2031 the ledger counts net artificialisation (loi n° 2021-1104 art. 191,
DOMAIN.md §1): artificialised minus renaturated area per commune and year,
measured on OCS GE (décret n° 2023-1096, DOMAIN.md §2). This module reads such a
table (a CSV/XLSX file, a DataFrame, or the result of
:func:`zan.measure.artificialisation.artificialisation_change`) into one figure per
commune and year, and names every row it cannot import;
:func:`zan.ledger.imports.import_artificialisation` records it.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError, PeriodError, SchemaError
from .entries import M2_PER_HA

__all__ = ["read_net_table", "content_sha", "period_of_years", "net_file_hint"]

#: Value columns of a net artificialisation table, and their factor to m².
_NET_COLUMNS: dict[str, float] = {"net_ha": M2_PER_HA, "net_m2": 1.0}
_ARTIF_COLUMNS: dict[str, float] = {
    "artificialised_ha": M2_PER_HA,
    "artificialisation_ha": M2_PER_HA,
    "artificialised_m2": 1.0,
    "artificialisation_m2": 1.0,
}
_RENAT_COLUMNS: dict[str, float] = {
    "renaturated_ha": M2_PER_HA,
    "renaturation_ha": M2_PER_HA,
    "renaturated_m2": 1.0,
    "renaturation_m2": 1.0,
}
_CEREMA_COLUMN = re.compile(
    r"^(naf\d{2}art\d{2}|art\d{2}[a-z]{3}\d{2}|idcom|naf_arti_m2|conso_\w+)$"
)
_HOW_NET = (
    "give columns code (commune), year and net_ha (or net_m2), or artificialised_ha and "
    "renaturated_ha"
)


def net_file_hint(exc: DataError, path: Any) -> DataError:
    """A consumption reader error, pointing to the net artificialisation import when it is one."""
    try:
        from ..io._files import read_table

        columns = set(read_table(path, what="consumption").columns)
    except Exception:  # noqa: BLE001 - the reader's own error is the one to show
        return exc
    if columns & (set(_NET_COLUMNS) | set(_ARTIF_COLUMNS)):
        return type(exc)(
            f"{path}: this is a net artificialisation table (columns "
            f"{', '.join(sorted(columns & (set(_NET_COLUMNS) | set(_ARTIF_COLUMNS))))}), not a "
            "Cerema consumption vintage; import it with import_artificialisation "
            "(zan ledger import-artificialisation)"
        )
    return exc


def _is_change(obj: Any) -> bool:
    return isinstance(getattr(obj, "table", None), pd.DataFrame) and hasattr(obj, "vintages")


def _rows_text(where: np.ndarray, mask: np.ndarray) -> str:
    shown = [str(w) for w in where[mask][:5]]
    more = int(mask.sum()) - len(shown)
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def _change_frame(changes: dict[Any, Any], year: Any) -> tuple[pd.DataFrame, str]:
    """ArtificialisationChange results → one table (code, year, net_ha) per commune and year."""
    frames, names = [], []
    for key, ch in changes.items():
        level = str(getattr(ch, "level", "commune"))
        if level not in ("commune", "zone"):
            raise DataError(
                f"artificialisation change: measured at level {level!r}; the ledger sums "
                "communes into its accounts: measure it per commune (level='commune')"
            )
        when = key if key is not None else year
        if when is None:
            when = ch.vintages[1]
        if when is None:
            raise DataError(
                "artificialisation change: its vintages are unknown; give the year it "
                "counts for (year=2034)"
            )
        table = ch.table
        if "net_ha" not in table.columns:
            raise SchemaError(
                f"artificialisation change: no 'net_ha' column (columns: "
                f"{', '.join(map(str, table.columns))}); pass the result of "
                "zan.measure.artificialisation.artificialisation_change"
            )
        frames.append(
            pd.DataFrame(
                {
                    "code": table.index.astype(str).to_numpy(),
                    "year": when,
                    "net_ha": table["net_ha"].to_numpy(dtype="float64"),
                }
            )
        )
        before, after = ch.vintages
        names.append(f"OCS GE {before or '?'}-{after or '?'}")
    frame = pd.concat(frames, ignore_index=True)
    frame.index = pd.Index("commune " + frame["code"] + " (" + frame["year"].astype(str) + ")")
    return frame, "artificialisation " + ", ".join(names)


def read_net_table(
    data: Any, *, year: Any, code_column: str | None
) -> tuple[pd.DataFrame, str, str | None, list[str]]:
    """Net artificialisation per commune and year: ``code``, ``year``, ``m2`` and ``where``.

    Returns the table (an unknown figure is NaN), the source name, the file path
    (None for objects) and notes; ``where`` names each row for messages (the file
    line, the DataFrame label or the commune). Raises on anything that cannot be
    imported as it is.

    Examples
    --------
    >>> frame = pd.DataFrame({"code": ["5935"], "year": [2032],
    ...                       "artificialised_ha": [1.5], "renaturated_ha": [0.5]})
    >>> table, source, path, notes = read_net_table(frame, year=None, code_column=None)
    >>> table[["code", "year", "m2"]].values.tolist(), path
    ([['05935', 2032, 10000.0]], None)
    >>> notes
    ['net artificialisation table: 1 commune code(s) of 4 digits padded to 5']
    """
    from ..io._files import read_table

    notes: list[str] = []
    path = None
    if isinstance(data, str | os.PathLike):
        path = str(data)
        if not Path(data).is_file():
            raise DataError(
                f"{path}: no such file; check the path of the net artificialisation table"
            )
        frame = read_table(data, what="net artificialisation")
        frame.index = "row " + pd.RangeIndex(2, len(frame) + 2).astype("str")
        source = path
    elif isinstance(data, pd.DataFrame):
        frame = data.copy()
        source = str(data.attrs.get("source", "net artificialisation table"))
        if (code_column or "code") not in frame.columns and frame.index.name == (
            code_column or "code"
        ):
            frame = frame.reset_index()
        frame.index = "row " + pd.Index(data.index).astype("str")
    elif _is_change(data) or (
        isinstance(data, dict) and data and all(_is_change(v) for v in data.values())
    ):
        changes = data if isinstance(data, dict) else {None: data}
        if isinstance(data, dict) and year is not None:
            raise DataError(
                "artificialisation changes given per year: the keys are the years, do not "
                f"pass year= as well (got year={year!r})"
            )
        frame, source = _change_frame(changes, year)
        year = None
    else:
        raise DataError(
            "net artificialisation: expected a CSV/XLSX file, a DataFrame or the result of "
            f"zan.measure.artificialisation.artificialisation_change (got {type(data).__name__})"
        )

    columns = [str(c) for c in frame.columns]
    has_net = [c for c in columns if c in _NET_COLUMNS]
    has_art = [c for c in columns if c in _ARTIF_COLUMNS]
    has_ren = [c for c in columns if c in _RENAT_COLUMNS]
    cerema = [c for c in columns if _CEREMA_COLUMN.match(c)]
    if not has_net and not has_art and cerema:
        raise DataError(
            f"{source}: this is a Cerema ENAF consumption file (columns "
            f"{', '.join(cerema[:6])}{', ...' if len(cerema) > 6 else ''}), the metric of "
            "2021-2030; import it with import_consumption (zan ledger import-consumption). "
            f"Net artificialisation (from 2031) is a table per commune and year: {_HOW_NET}"
        )
    code_col = code_column or "code"
    if code_col not in columns:
        raise SchemaError(
            f"{source}: column {code_col!r} not found (columns: {', '.join(columns)}); "
            f"{_HOW_NET}, or pass code_column= (--code-column)"
        )
    if has_net:
        value_cols = [has_net[0]]
    elif has_art and has_ren:
        value_cols = [has_art[0], has_ren[0]]
    else:
        raise SchemaError(
            f"{source}: no net artificialisation column (columns: {', '.join(columns)}); {_HOW_NET}"
        )

    where = frame.index.to_numpy(dtype=object)
    values = []
    for col in value_cols:
        raw = frame[col]
        text = raw.astype("str").str.strip() if raw.dtype == object or raw.dtype == "str" else None
        num = pd.to_numeric(
            text.str.replace(",", ".", regex=False) if text is not None else raw, errors="coerce"
        ).to_numpy(dtype="float64")
        blank = raw.isna().to_numpy() | (
            (text == "").to_numpy() if text is not None else np.zeros(len(raw), bool)
        )
        bad = np.isnan(num) & ~blank | np.isinf(num)
        if bad.any():
            raise DataError(
                f"{source}, column {col!r}: not a number at {_rows_text(where, bad)} "
                f"(e.g. {frame[col].to_numpy()[bad][0]!r}); write a number (decimal point or "
                "comma), or leave the cell empty when the figure is unknown"
            )
        factor = _NET_COLUMNS.get(col) or _ARTIF_COLUMNS.get(col) or _RENAT_COLUMNS[col]
        if col in _ARTIF_COLUMNS or col in _RENAT_COLUMNS:
            negative = num < 0
            if negative.any():
                raise DataError(
                    f"{source}, column {col!r}: negative at {_rows_text(where, negative)}; "
                    "artificialised and renaturated areas are positive (net = artificialised - "
                    "renaturated)"
                )
        values.append(num * factor)
    m2 = values[0] if len(values) == 1 else values[0] - values[1]

    if "year" in columns:
        if year is not None:
            raise DataError(
                f"{source}: the table has a 'year' column; pass year= only for a table without one"
            )
        years = pd.to_numeric(frame["year"], errors="coerce").to_numpy(dtype="float64")
    elif year is not None:
        years = np.full(len(frame), float(int(year)))
    else:
        raise SchemaError(
            f"{source}: no 'year' column (columns: {', '.join(columns)}); {_HOW_NET}, or pass "
            "year= for a table of one year"
        )
    bad = ~np.isfinite(years) | (years != np.round(years))
    if bad.any():
        raise DataError(
            f"{source}, column 'year': not a year at {_rows_text(where, bad)}; write the calendar "
            "year of the flow, e.g. 2032"
        )

    missing = frame[code_col].isna().to_numpy()
    if missing.any():
        raise DataError(
            f"{source}, column {code_col!r}: no commune code at {_rows_text(where, missing)}; "
            "give the INSEE code of each commune (e.g. 59350)"
        )
    codes = frame[code_col].astype("str").str.strip()
    short = codes.str.fullmatch(r"\d{4}").to_numpy()
    if short.any():
        codes = codes.where(~short, "0" + codes)
        notes.append(f"{source}: {int(short.sum())} commune code(s) of 4 digits padded to 5")
    out = pd.DataFrame(
        {
            "code": codes.to_numpy(),
            "year": years.astype(np.int64),
            "m2": m2,
            "where": where,
        }
    )
    dup = out.duplicated(["code", "year"], keep=False).to_numpy()
    if dup.any():
        raise DataError(
            f"{source}: commune and year given twice at {_rows_text(where, dup)}; give one "
            "figure per commune and year"
        )
    unknown = np.isnan(m2)
    if unknown.any():
        notes.append(f"{source}: {int(unknown.sum())} figure(s) left empty, read as unknown")
    return out, source, path, notes


def content_sha(table: pd.DataFrame) -> str:
    """SHA-256 of a table's figures (code, year, m²), for tables given without a file."""
    canon = table.sort_values(["code", "year"])[["code", "year", "m2"]]
    return hashlib.sha256(canon.to_csv(index=False).encode()).hexdigest()


def period_of_years(
    table: pd.DataFrame, rows: list[tuple[str, int, int, str, Any]], source: str
) -> dict[int, str]:
    """Year → period for the years of the table; every year must be in an allocated
    net artificialisation period (the row is named otherwise)."""
    years = table["year"].to_numpy()
    where = table["where"].to_numpy(dtype=object)
    period_of = np.full(len(years), None, dtype=object)
    metric_of_row = np.full(len(years), None, dtype=object)
    allocated = np.zeros(len(years), dtype=bool)
    # Allocated periods last: they win over a legal decade they overlap (e.g. 2024-2033).
    for per, s, e, metric, envelope in sorted(rows, key=lambda r: (r[4] is not None, r[1])):
        inside = (years >= s) & (years <= e)
        period_of[inside] = per
        metric_of_row[inside] = metric
        allocated[inside] = envelope is not None
    enaf = metric_of_row == "enaf_consumption"
    if enaf.any():
        first = int(years[enaf][0])
        raise PeriodError(
            f"{source}: year {first} at {_rows_text(where, enaf)} is in period "
            f"{period_of[enaf][0]}, whose metric is ENAF consumption; net artificialisation "
            "counts from 2031 (loi n° 2021-1104 art. 191): import the years before 2031 as "
            "Cerema consumption (zan ledger import-consumption) and leave them out of this table"
        )
    nowhere = period_of == None  # noqa: E711 - element-wise on an object array
    if nowhere.any():
        raise PeriodError(
            f"{source}: year {int(years[nowhere][0])} at {_rows_text(where, nowhere)} is in no "
            f"period of the ledger ({', '.join(r[0] for r in rows)}); check the year column"
        )
    waiting = ~allocated
    if waiting.any():
        raise PeriodError(
            f"{source}: year {int(years[waiting][0])} at {_rows_text(where, waiting)} is in "
            f"period {period_of[waiting][0]}, which has no allocation yet; record it first "
            "(Ledger.record_allocation, zan ledger allocate), or leave those years out"
        )
    pairs = pd.DataFrame({"year": years, "period": period_of}).drop_duplicates("year")
    return dict(zip(pairs["year"].astype(int).tolist(), pairs["period"].tolist(), strict=True))
