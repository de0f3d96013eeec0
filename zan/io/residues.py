"""Negative rounding residues in the Cerema destinations: load, report once, clip in displays.

The Cerema's releases as published hold small negative values (−1 or −2 m²) in the
unknown destination ``artYYincZZ``: residues of its rounded split of each annual
flow among six destinations (DOMAIN.md §3: 31 cells in the 2011-2025 release, 20 in
the 2009-2023 one). The ``nafYYartZZ`` total is authoritative: such files load,
the residues are kept as published in every computation and reported once
(:func:`negative_residues`); figures shown to users clip a destination at 0
(:func:`clip_destinations`), never a total.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..errors import Problem
from ._files import row_label
from .codes import listed_values, rule_problem
from .consumption_data import DESTINATIONS, INFRASTRUCTURES

__all__ = [
    "RESIDUE_MAX_M2",
    "RESIDUE_RULES",
    "MAX_FLOW_M2",
    "check_residues",
    "clip_destinations",
    "implausible_flows",
    "is_residue_note",
    "negative_residues",
]

#: Largest magnitude of a negative destination loaded as a rounding residue (m²).
#: Six destinations each rounded to the m² leave at most 6 × 0.5 = 3 m² (the
#: published residues are −1 or −2 m²: DOMAIN.md §3). A larger negative destination,
#: or any negative total, is an error.
RESIDUE_MAX_M2 = 3.0
_MAX_LISTED = 10
#: Largest consumption of one commune in one year that zan reads (m²): 2 × 10¹⁰ m²
#: (20,000 km²), more than the whole area of the largest commune of France
#: (Maripasoula, Guyane, 18,360 km²). A larger value is a unit or column mistake;
#: with the commune's area (``surfcomYYYY``) in the file, a flow above it is one too.
MAX_FLOW_M2 = 2e10


#: The rule on residues: rule code → (message, fix), English (:func:`check_residues`;
#: :mod:`zan.validate` gives it in French).
RESIDUE_RULES: dict[str, tuple[str, str]] = {
    "destination_residues": (
        "{n} negative destination value(s), largest magnitude {largest:g} m²: {values}; "
        "rounding residues of the Cerema's destination split, loaded as published (the total "
        "is authoritative; displays show these destinations at 0)",
        "",
    ),
}
# The note of negative_residues, as the reader writes it.
_NOTE = "negative destination value(s) in"


def _listed(items: list[str], n: int = _MAX_LISTED, *, total: int | None = None) -> str:
    more = (len(items) if total is None else total) - n
    return ", ".join(items[:n]) + (f" and {more} more" if more > 0 else "")


def negative_residues(
    num: pd.DataFrame,
    columns: list[str],
    codes: pd.Series,
    source: str,
    problems: list[Problem],
    total_name: str,
) -> str | None:
    """Check the negative values of destination columns.

    Values down to −:data:`RESIDUE_MAX_M2` are rounding residues: kept as published
    and reported in one note; below, each column gets a problem naming its rows.

    Parameters
    ----------
    num : pandas.DataFrame
        The table, destination columns already numbers (m²).
    columns : list of str
        Destination columns (``artYYincZZ``..., or ``conso_inc_m2``...).
    codes : pandas.Series
        Commune code of each row (same index as ``num``).
    source : str
        The file, for messages.
    problems : list of Problem
        Appended with one :class:`~zan.errors.Problem` per column holding negative
        values beyond a residue.
    total_name : str
        The total columns, named in the note (``"nafYYartZZ"``).

    Returns
    -------
    str or None
        The note (count, columns, largest magnitude), or ``None`` without residues.

    Examples
    --------
    >>> t = pd.DataFrame({"art12inc13": [-1.0, 0.0], "art17inc18": [2.0, -2.0]})
    >>> found = []
    >>> print(negative_residues(t, list(t), pd.Series(["59009", "59350"]), "c.csv", found,
    ...                         "nafYYartZZ"))  # doctest: +NORMALIZE_WHITESPACE
    c.csv: 2 negative destination value(s) in 2 column(s) (art12inc13, art17inc18),
    largest magnitude 2 m²: rounding residues of the Cerema's destination split, loaded
    as published; the totals (nafYYartZZ) are authoritative and displays show these
    destinations at 0
    >>> t.loc[0, "art12inc13"] = -146
    >>> _ = negative_residues(t, list(t), pd.Series(["59009", "59350"]), "c.csv", found, "")
    >>> found[0].column, "line 2 (59009: -146 m²)" in found[0].message
    ('art12inc13', True)
    """
    cells, cols, largest = 0, [], 0.0
    for col in columns:
        values = num[col].to_numpy(dtype="float64")
        with np.errstate(invalid="ignore"):
            neg = values < 0
            big = neg & (values < -RESIDUE_MAX_M2)
        if big.any():
            first = np.flatnonzero(big)[:_MAX_LISTED]
            shown = [
                f"{lab} ({code}: {v:,.0f} m²)"
                for lab, code, v in zip(
                    row_label(num.index[first]), codes.iloc[first], values[first], strict=True
                )
            ]
            problems.append(
                Problem(
                    source,
                    f"{int(big.sum())} negative destination value(s) beyond a rounding residue "
                    f"(at most {RESIDUE_MAX_M2:g} m²): {_listed(shown, total=int(big.sum()))}",
                    column=str(col),
                    fix="a destination cannot be negative; check the file against the Cerema "
                    "release",
                )
            )
        small = neg & ~big
        if small.any():
            cells += int(small.sum())
            cols.append(str(col))
            largest = max(largest, float(-values[small].min()))
    if not cells:
        return None
    return (
        f"{source}: {cells} negative destination value(s) in {len(cols)} column(s) "
        f"({_listed(cols)}), largest magnitude {largest:g} m²: rounding residues of the "
        f"Cerema's destination split, loaded as published; the totals ({total_name}) are "
        "authoritative and displays show these destinations at 0"
    )


def clip_destinations(table: pd.DataFrame) -> pd.DataFrame:
    """Clip negative destination figures at 0 for display; totals are never touched.

    The Cerema files hold small negative rounding residues in destination columns
    (DOMAIN.md §3, :data:`RESIDUE_MAX_M2`). Computations keep them as published;
    tables shown to users (``zan consumption``, reports) clip them with this function.

    Parameters
    ----------
    table : pandas.DataFrame
        A table with destination columns named after :data:`DESTINATIONS` or
        ``"infrastructures"``, bare or with a ``_ha`` / ``_m2`` suffix.

    Returns
    -------
    pandas.DataFrame
        A copy, destination columns clipped at 0; other columns (``total``,
        ``total_ha``...) unchanged.

    Examples
    --------
    >>> t = pd.DataFrame({"total_ha": [-0.5, 1.0], "inconnu_ha": [-0.0002, 0.3]})
    >>> clip_destinations(t)
       total_ha  inconnu_ha
    0      -0.5         0.0
    1       1.0         0.3
    """
    names = {*DESTINATIONS, INFRASTRUCTURES}
    cols = [
        c
        for c in table.columns
        if re.sub(r"_(ha|m2)$", "", str(c)) in names
        and pd.api.types.is_numeric_dtype(table[c].dtype)
    ]
    if not cols:
        return table
    out = table.copy()
    out[cols] = out[cols].clip(lower=0.0)
    return out


def check_residues(flows: pd.DataFrame, *, source: str) -> list[Problem]:
    """The negative destination figures of loaded flows, as one warning (``destination_residues``).

    ``flows`` is :attr:`zan.io.consumption.Consumption.flows`: the residues the
    reader loaded (each within :data:`RESIDUE_MAX_M2`), listed per cell.

    Examples
    --------
    >>> flows = pd.DataFrame({"code": ["59350", "59350"], "year": [2012, 2012],
    ...                       "destination": ["total", "inconnu"], "m2": [100.0, -2.0]})
    >>> p = check_residues(flows, source="c.csv")[0]
    >>> p.severity, p.params["values"]
    ('warning', '59350 inconnu 2012 (-2 m²)')
    """
    residues = flows[(flows["destination"] != "total") & (flows["m2"] < 0)]
    if not len(residues):
        return []
    shown = (f"{r.code} {r.destination} {r.year} ({r.m2:g} m²)" for r in residues.itertuples())
    return [
        rule_problem(
            RESIDUE_RULES,
            "destination_residues",
            source,
            severity="warning",
            n=len(residues),
            largest=float(-residues["m2"].min()),
            values=listed_values(shown, 10),
        )
    ]


def is_residue_note(note: str) -> bool:
    """Whether a note of the reader is that of :func:`negative_residues` (what
    :func:`check_residues` reports as a warning).

    Examples
    --------
    >>> is_residue_note("c.csv: 2 negative destination value(s) in 2 column(s) (art12inc13)")
    True
    """
    return _NOTE in note


def implausible_flows(
    num: pd.DataFrame,
    columns: list[str],
    codes: pd.Series,
    source: str,
    surface: np.ndarray | None = None,
) -> Problem | None:
    """The flows no commune-year can reach: above :data:`MAX_FLOW_M2`, or above the
    commune's area (``surface``, m², NaN where unknown), as one problem.

    Examples
    --------
    >>> num = pd.DataFrame({"naf11art12": [1e13, 500.0, 2e7]})
    >>> codes = pd.Series(["59001", "59002", "59003"])
    >>> p = implausible_flows(num, ["naf11art12"], codes, "c.csv", np.array([1e7, 1e7, 1e7]))
    >>> p.message
    '2 implausible flow(s) for a commune and a year: 59001 naf11art12 (1e+13 m²), 59003 naf11art12 (2e+07 m², area 1e+07 m²)'
    """
    found: list[str] = []
    n = 0
    for col in columns:
        values = num[col].to_numpy(dtype="float64")
        with np.errstate(invalid="ignore"):
            over = values > MAX_FLOW_M2
            above_area = (
                (values > surface) & ~np.isnan(surface) if surface is not None else over & False
            )
        bad = over | above_area
        n += int(bad.sum())
        for i in np.flatnonzero(bad)[:_MAX_LISTED]:
            area = f", area {surface[i]:.3g} m²" if above_area[i] and not over[i] else ""
            found.append(f"{codes.iloc[i]} {col} ({values[i]:.3g} m²{area})")
    if not n:
        return None
    return Problem(
        source,
        f"{n} implausible flow(s) for a commune and a year: {_listed(found, total=n)}",
        fix=f"a commune cannot consume more than its area in a year, nor more than "
        f"{MAX_FLOW_M2:.0e} m² (the largest commune of France is 1.8e+10 m²): flows are in m² "
        "per commune and year; check the unit (hectares? already summed?) and the column",
    )
