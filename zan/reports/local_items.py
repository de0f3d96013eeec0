"""Additions to the items of the rapport local: renaturation (1°) and OCS GE vintages (2°, 3°).

Renaturation (item 1°). Article R. 2231-1 CGCT lets the report add to the ENAF
consumption "la transformation effective d'espaces urbanisés ou construits en espaces
naturels, agricoles et forestiers du fait d'une renaturation", over the same calendar
years. That is the counterpart of ENAF consumption as the loi Climat et Résilience
defines it (art. 194 III 5°, DOMAIN.md §1: "création ou extension effective d'espaces
urbanisés", measured from the fichiers fonciers), not the désartificialisation of the
décret n° 2023-1096 nomenclature (DOMAIN.md §2), which item 2° reports from OCS GE.
The two differ in object (urbanised land back to ENAF, against a change of
couverture × usage class above the nomenclature's thresholds) and in source, so item 1°
shows only a renaturation table given by the user (:func:`read_renaturation`), and the
OCS GE désartificialised area stays in item 2° alone: copying it into 1° would present
an OCS GE measure as an ENAF one and count it twice in the same report.

OCS GE vintages (items 2° and 3°): an OCS GE vintage is a picture of one year, the
report covers calendar years; :func:`vintage_note` says plainly when the vintages do
not match the report's years.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError

__all__ = ["add_renaturation", "add_vintage_notes", "read_renaturation", "vintage_note"]

#: Sentence of item 1° when no renaturation table is given.
NO_RENATURATION = (
    "Renaturation de sols artificialisés en espaces naturels, agricoles et forestiers "
    "(indicateur facultatif) : non renseignée pour ce rapport."
)


def read_renaturation(table: Any) -> pd.DataFrame:
    """Read a renaturation table: ``code``, ``year``, ``renaturated_ha`` or ``renaturated_m2``.

    Parameters
    ----------
    table : path or pandas.DataFrame
        CSV (separator and encoding sniffed, decimal comma accepted) or Excel file, one
        row per commune (or territory of the report's level) and calendar year.

    Returns
    -------
    pandas.DataFrame
        ``code`` (str), ``year`` (int), ``renaturated_ha`` (float); ``attrs["source"]``.

    Raises
    ------
    DataError
        A column missing, a year or an area that is not a number, or a negative area:
        the message names the file, the column, the row and the fix.

    Examples
    --------
    >>> t = read_renaturation(pd.DataFrame({"code": ["96001"], "year": ["2022"],
    ...                                     "renaturated_m2": ["2 500"]}))
    >>> t.to_dict("records")
    [{'code': '96001', 'year': 2022, 'renaturated_ha': 0.25}]
    """
    if isinstance(table, (str, os.PathLike)):
        from ..io._files import read_table

        frame = read_table(table, what="renaturation")
        source = str(table)
    else:
        frame = table.copy()
        frame.index = range(len(frame))
        source = str(frame.attrs.get("source", "renaturation table"))
    cols = {str(c).strip().lower(): c for c in frame.columns}
    unit = next((u for u in ("renaturated_ha", "renaturated_m2") if u in cols), None)
    if "code" not in cols or "year" not in cols or unit is None:
        raise DataError(
            f"{source}: a renaturation table needs the columns 'code' (INSEE code of the "
            "commune, or code of the report's territory), 'year' (calendar year) and "
            "'renaturated_ha' or 'renaturated_m2'; found "
            f"{', '.join(map(str, frame.columns))}"
        )

    def numbers(name: str) -> np.ndarray:
        raw = frame[cols[name]].astype(str).str.replace(r"[\s\u202f\xa0]", "", regex=True)
        values = pd.to_numeric(raw.str.replace(",", "."), errors="coerce").to_numpy()
        bad = np.flatnonzero(~np.isfinite(values) | (values < 0))
        if len(bad):
            raise DataError(
                f"{source}: column {name!r}, row {int(bad[0]) + 2}: "
                f"{frame[cols[name]].iloc[bad[0]]!r} is not a "
                + (
                    "calendar year; write e.g. 2022"
                    if name == "year"
                    else "non-negative number; write e.g. 0.25 (decimal point or comma)"
                )
            )
        return values

    years = numbers("year")
    if np.any(years != np.round(years)):
        row = int(np.flatnonzero(years != np.round(years))[0])
        raise DataError(f"{source}: column 'year', row {row + 2}: write a whole calendar year")
    area = numbers(unit) / (1e4 if unit == "renaturated_m2" else 1.0)
    out = pd.DataFrame(
        {
            "code": frame[cols["code"]].astype(str).str.strip().to_numpy(),
            "year": years.astype(int),
            "renaturated_ha": area,
        }
    )
    out.attrs["source"] = source
    return out


def add_renaturation(
    rows: list[dict[str, Any]],
    table: Any,
    groups: pd.Series | None,
    period: tuple[int, int],
) -> str | None:
    """Sum the renaturation of the report's years per territory into item 1° (in place).

    Parameters
    ----------
    rows : list of dict
        The territories of :func:`zan.reports.local.local_report_data`.
    table : path, DataFrame or None
        See :func:`read_renaturation`; None: item 1° says the indicator is not given.
    groups : pandas.Series, optional
        Commune code → territory code (None at commune level). A code of the table is a
        commune, or a territory of the report's level.
    period : (int, int)
        The report's calendar years.

    Returns
    -------
    str or None
        The table's path when read from a file (for ``sources.json``).

    Raises
    ------
    DataError
        A code that is neither a commune nor a territory of the report.

    Examples
    --------
    >>> rows = [{"code": "A", "items": [{}]}]
    >>> t = pd.DataFrame({"code": ["A", "A", "A"], "year": [2020, 2021, 2022],
    ...                   "renaturated_ha": [5.0, 0.5, 0.25]})
    >>> _ = add_renaturation(rows, t, None, (2021, 2022))
    >>> rows[0]["items"][0]["renaturation_ha"]
    0.75
    """
    if table is None:
        for row in rows:
            row["items"][0].update(renaturation_ha=None, renaturation_note=NO_RENATURATION)
        return None
    frame = read_renaturation(table)
    codes = {row["code"] for row in rows}
    mapped = frame["code"].map(lambda c: c if c in codes else None)
    if groups is not None:
        mapped = mapped.fillna(frame["code"].map(groups))
    unknown = np.flatnonzero(mapped.isna().to_numpy())
    if len(unknown):
        raise DataError(
            f"{frame.attrs['source']}: row {int(unknown[0]) + 2}: code "
            f"{frame['code'].iloc[unknown[0]]!r} is neither a commune nor a territory of "
            f"the report ({len(unknown)} such row(s)); correct the code or remove the row"
        )
    inside = frame["year"].between(*period).to_numpy()
    sums = frame["renaturated_ha"][inside].groupby(mapped[inside]).sum()
    name = Path(frame.attrs["source"]).name
    for row in rows:
        row["items"][0].update(
            renaturation_ha=float(sums.get(row["code"], 0.0)),
            renaturation_source=f"table de renaturation fournie par la collectivité ({name}), "
            f"somme des années civiles {period[0]} à {period[1]}",
        )
    return frame.attrs["source"] if isinstance(table, (str, os.PathLike)) else None


def vintage_note(vintages: tuple[Any, ...], period: tuple[int, int]) -> str:
    """The sentence saying whether the OCS GE vintages match the report's years.

    Examples
    --------
    >>> vintage_note((2018, 2021), (2021, 2023))
    'Les millésimes OCS GE 2018 et 2021 ne couvrent pas exactement la période 2021-2023.'
    >>> vintage_note((2021, 2023), (2021, 2023))
    'Les millésimes OCS GE 2021 et 2023 correspondent aux années 2021-2023 du rapport.'
    >>> vintage_note((2019,), (2021, 2023))
    'Le millésime OCS GE 2019 ne correspond pas à la période 2021-2023.'
    """
    span = f"{period[0]}-{period[1]}"
    known = [v for v in vintages if v is not None]
    if len(known) < len(vintages):
        return f"L'année d'un millésime OCS GE est inconnue : sa correspondance avec la période {span} n'est pas vérifiée."
    if len(vintages) == 1:
        (v,) = vintages
        if period[0] <= int(v) <= period[1]:
            return f"Le millésime OCS GE {v} est compris dans la période {span} du rapport."
        return f"Le millésime OCS GE {v} ne correspond pas à la période {span}."
    a, b = (int(v) for v in vintages)
    if (a, b) == tuple(period):
        return f"Les millésimes OCS GE {a} et {b} correspondent aux années {span} du rapport."
    return f"Les millésimes OCS GE {a} et {b} ne couvrent pas exactement la période {span}."


def add_vintage_notes(
    rows: list[dict[str, Any]], vintages: tuple[Any, ...] | None, period: tuple[int, int]
) -> None:
    """Add :func:`vintage_note` to items 2° and 3° of every territory OCS GE covers (in place).

    Examples
    --------
    >>> rows = [{"items": [{}, {"available": True}, {"available": True}, {}]}]
    >>> add_vintage_notes(rows, (2018, 2021), (2021, 2022))
    >>> rows[0]["items"][2]["vintage_note"]
    'Les millésimes OCS GE 2018 et 2021 ne couvrent pas exactement la période 2021-2022.'
    """
    if vintages is None:
        return
    note = vintage_note(vintages, period)
    for row in rows:
        for item in row["items"][1:3]:
            if item.get("available") or item.get("stock_ha") is not None:
                item["vintage_note"] = note
