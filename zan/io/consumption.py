"""The Cerema ENAF consumption file ("consommation d'espaces", fichiers fonciers).

Two layouts are read (DOMAIN.md §3):

- the **wide** file published by the Cerema, one row per commune: ``idcom``,
  ``idcomtxt``, identifier columns (``iddep``, ``idreg``, ``epciYY``, ``scot``...),
  annual flows ``nafYYartZZ`` (ZZ = YY + 1: the consumption of calendar year 20YY,
  in m²), their split by destination ``artYY{act,hab,mix,rou,fer,inc}ZZ``, then
  multi-year totals (``naf09art23``, ``naf11art21``), stocks and
  socio-demographic columns. Each release adds one year;
- the **long** layout served by the Cerema API ``/indicateurs/conso_espace``:
  one row per commune and year (``annee``), total ``naf_arti_m2`` and destinations
  ``conso_act_m2``, ``conso_hab_m2``, ``conso_mix_m2``, ``conso_inc_m2`` and
  ``conso_infra_m2`` (road and rail as one figure, destination
  ``"infrastructures"``).

Both give a :class:`Consumption`, whose ``flows`` is a tidy table (``code``,
``year``, ``destination``, ``m2``) as set out in docs/ARCHITECTURE.md. Nothing is
invented: an empty cell is unknown (no row in ``flows``), a missing destination
is listed in ``missing_destinations``, and anything inferred is written in
``notes``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import Problem, SchemaError, ValidationError
from ._files import find_column, parse_numbers, read_table, row_label
from .cog import normalize_codes
from .consumption_data import (
    DESTINATION_ORDER,
    DESTINATIONS,
    INFRASTRUCTURES,
    MAX_LISTED,
    Consumption,
    WideFlows,
    listed,
    sort_flows,
    years_text,
)
from .residues import RESIDUE_MAX_M2, clip_destinations, implausible_flows, negative_residues

__all__ = [
    "DESTINATIONS",
    "RESIDUE_MAX_M2",
    "TOLERANCE_M2",
    "Consumption",
    "clip_destinations",
    "is_consumption_table",
    "read_consumption",
]

_SUFFIXES = {
    "act": "activite",
    "hab": "habitat",
    "mix": "mixte",
    "rou": "routes",
    "fer": "ferroviaire",
    "inc": "inconnu",
}
_API_SUFFIXES = {**_SUFFIXES, "infra": INFRASTRUCTURES}

_NAF_RE = re.compile(r"^naf(\d\d)art(\d\d)$", re.IGNORECASE)
_ART_RE = re.compile(r"^art(\d\d)(act|hab|mix|rou|fer|inc)(\d\d)$", re.IGNORECASE)
_API_TOTAL = ("naf_arti_m2", "naf_arti")
_API_DEST_RE = re.compile(r"^conso_(act|hab|mix|inc|infra|rou|fer)(?:_m2)?$", re.IGNORECASE)
#: Per-commune numeric indicators of the wide file (kept in ``communes`` as numbers):
#: populations, households, jobs and their changes, commune area (``surfcom2025``),
#: share of the area consumed (``artcom1125``, a percentage) and the consumption per
#: new inhabitant or household (``artpop1116``, ``mepart1622``, ``menhab1122``).
_INDICATOR_RE = re.compile(r"^(pop|men|emp|menhab|mepart|artpop|surfcom|artcom)\d+$", re.IGNORECASE)
#: Tolerance when checking that destinations add up to the total (m²). The Cerema
#: rounds each of the six destinations to the m² (DOMAIN.md §3): their sum may differ
#: from the rounded total by at most 6 × 0.5 = 3 m².
TOLERANCE_M2 = 3.0


def _codes_and_checks(
    df: pd.DataFrame, code_col: str, source: str, problems: list[Problem], notes: list[str]
) -> pd.Series:
    codes, p, n = normalize_codes(df[code_col], source=source, column=code_col)
    problems += p
    notes += n
    return pd.Series(codes.to_numpy(), index=df.index)


def _duplicates(keys: pd.DataFrame, source: str, column: str, what: str) -> Problem | None:
    dup = keys.duplicated(keep=False).to_numpy()
    if not dup.any():
        return None
    lines = pd.Series(row_label(keys.index[dup]), index=keys.index[dup])
    label = (
        keys[dup].astype(str).agg(" ".join, axis=1) if keys.shape[1] > 1 else keys[dup].iloc[:, 0]
    )
    grouped = lines.groupby(label.to_numpy(), sort=True).agg(", ".join)
    shown = [f"{k} ({v})" for k, v in grouped.items()]
    return Problem(
        source,
        f"{len(grouped)} duplicate {what}(s): {listed(shown)}",
        column=column,
        fix="keep one row per " + what,
    )


def _sum_check(
    total: np.ndarray,
    parts: np.ndarray,
    complete: bool,
    *,
    index: pd.Index,
    codes: pd.Series,
    source: str,
    column: str,
) -> Problem | None:
    """Destinations must add up to the total (complete), or not exceed it (partial)."""
    with np.errstate(invalid="ignore"):
        s = np.nansum(parts, axis=1)
        known = ~np.isnan(total) & ~np.all(np.isnan(parts), axis=1)
        if complete:
            known &= ~np.any(np.isnan(parts), axis=1)
            bad = known & (np.abs(s - total) > TOLERANCE_M2)
        else:
            bad = known & (s > total + TOLERANCE_M2)
    if not bad.any():
        return None
    first = np.flatnonzero(bad)[:MAX_LISTED]
    shown = [
        f"{lab} ({c}: destinations {a:,.0f} m² vs total {b:,.0f} m²)"
        for lab, c, a, b in zip(
            row_label(index[first]), codes.iloc[first], s[first], total[first], strict=True
        )
    ]
    verb = "do not add up to" if complete else "exceed"
    return Problem(
        source,
        f"{int(bad.sum())} row(s) whose destinations {verb} the total "
        f"(tolerance {TOLERANCE_M2:g} m²): {listed(shown, total=int(bad.sum()))}",
        column=column,
        fix="check the file against the Cerema release (destinations add up to the total)",
    )


def _numeric_indicators(
    df: pd.DataFrame, columns: list[str], source: str, notes: list[str]
) -> pd.DataFrame:
    """Convert indicator columns to numbers where every value parses; note the others."""
    if not columns:
        return df
    converted, bad_type, _ = parse_numbers(df, columns, source=source)
    failed = {p.column for p in bad_type}
    ok = [c for c in columns if c not in failed]
    if failed:
        notes.append(
            f"{source}: column(s) {', '.join(sorted(failed))} kept as text "
            "(some values are not numbers)"
        )
    return df.assign(**{c: converted[c] for c in ok})


def _read_wide(df: pd.DataFrame, source: str, code_col: str) -> Consumption:
    problems: list[Problem] = []
    notes: list[str] = []
    codes = _codes_and_checks(df, code_col, source, problems, notes)

    totals: dict[int, str] = {}
    parts: dict[tuple[int, str], str] = {}
    multi: list[str] = []
    for col in df.columns:
        name = str(col).strip()
        m = _NAF_RE.match(name)
        if m:
            yy, zz = int(m.group(1)), int(m.group(2))
            if zz == yy + 1:
                totals[2000 + yy] = col
            else:
                multi.append(col)
            continue
        m = _ART_RE.match(name)
        if m:
            yy, zz = int(m.group(1)), int(m.group(3))
            if zz == yy + 1:
                parts[(2000 + yy, _SUFFIXES[m.group(2).lower()])] = col
            else:
                multi.append(col)
    years = sorted(set(totals) | {y for y, _ in parts})
    flow_cols = [*totals.values(), *parts.values()]

    dup = _duplicates(codes.to_frame("code"), source, code_col, "commune code")
    if dup is not None:
        problems.append(dup)
    num, bad_type, bad_sign = parse_numbers(
        df, list(totals.values()), source=source, allow_negative=False
    )
    problems += bad_type + bad_sign
    num_parts, bad_type, _ = parse_numbers(num, list(parts.values()), source=source)
    problems += bad_type
    num = num_parts
    residue = negative_residues(num, list(parts.values()), codes, source, problems, "nafYYartZZ")
    if residue:
        notes.append(residue)
    surf = [c for c in df.columns if str(c).lower().startswith("surfcom")]
    area = parse_numbers(df, surf[-1:], source=source)[0][surf[-1]] if surf else None
    huge = implausible_flows(num, flow_cols, codes, source, area.to_numpy() if surf else None)
    problems += [huge] if huge else []

    present = {d: [y for y in years if (y, d) in parts] for d in DESTINATIONS}
    destinations = tuple(d for d in DESTINATIONS if len(present[d]) == len(years))
    missing = tuple(d for d in DESTINATIONS if len(present[d]) < len(years))
    for d in missing:
        if present[d]:
            absent = sorted(set(years) - set(present[d]))
            notes.append(f"{source}: destination {d!r} has no column for {years_text(absent)}")
    if missing and not any(present[d] for d in DESTINATIONS):
        notes.append(f"{source}: no destination columns (artYY...ZZ): only totals are known")

    blocks: list[np.ndarray] = []
    block_years: list[int] = []
    block_dests: list[str] = []
    for year in years:
        cols = {d: parts[(year, d)] for d in DESTINATIONS if (year, d) in parts}
        dmat = (
            num[list(cols.values())].to_numpy(dtype="float64") if cols else np.empty((len(df), 0))
        )
        complete = len(cols) == len(DESTINATIONS)
        tag = f"{year % 100:02d}art{(year + 1) % 100:02d}"
        if year in totals:
            tot = num[totals[year]].to_numpy(dtype="float64")
            if cols:
                pb = _sum_check(
                    tot,
                    dmat,
                    complete,
                    index=df.index,
                    codes=codes,
                    source=source,
                    column=totals[year],
                )
                if pb is not None:
                    problems.append(pb)
        elif complete:
            tot = dmat.sum(axis=1)  # NaN when a destination is unknown
            notes.append(
                f"{source}: no naf{tag} column: the {year} total is the sum of the six destinations"
            )
        else:
            tot = np.full(len(df), np.nan)
            notes.append(
                f"{source}: no naf{tag} column and only {len(cols)} of 6 destinations for {year}: "
                "the total of that year is unknown"
            )
        blocks.append(tot[:, None])
        block_years.append(year)
        block_dests.append("total")
        if cols:
            blocks.append(dmat)
            block_years += [year] * len(cols)
            block_dests += list(cols)

    if problems:
        raise ValidationError(problems)

    empty = int(num[flow_cols].isna().to_numpy().sum()) if flow_cols else 0
    if empty:
        notes.append(
            f"{source}: {empty} empty flow cell(s) left out as unknown (not counted as zero)"
        )
    _check_multi_year(num, multi, totals, source, notes)

    matrix = np.hstack(blocks) if blocks else np.empty((len(df), 0))
    # the tidy table is built when first read (blocks are already year-major)
    flows = WideFlows(codes.to_numpy(), matrix, block_years, block_dests)

    name_col = find_column(
        df, ["idcomtxt", "nom", "libcom", "libgeo"], source=source, what="name", required=False
    )
    keep = [c for c in df.columns if c not in set(flow_cols) | {code_col, name_col}]
    communes = df[keep].copy()
    indicators = [c for c in keep if _INDICATOR_RE.match(str(c)) or c in multi]
    communes = _numeric_indicators(communes, indicators, source, notes)
    if name_col is None:
        notes.append(f"{source}: no idcomtxt column: communes are named by their code")
        names = codes
    else:
        names = df[name_col].astype(str)
    communes.insert(0, "nom", names.to_numpy())
    communes.index = pd.Index(codes.to_numpy(), name="code")
    return Consumption(
        flows=flows,
        communes=communes,
        years=tuple(years),
        destinations=destinations,
        missing_destinations=missing,
        source=source,
        notes=tuple(notes),
    )


def _check_multi_year(
    num: pd.DataFrame, multi: list[str], totals: dict[int, str], source: str, notes: list[str]
) -> None:
    """Compare multi-year totals (naf09art23...) with the sum of the annual flows; note gaps."""
    for col in multi:
        m = _NAF_RE.match(str(col).strip())
        if not m:
            continue
        first, end = 2000 + int(m.group(1)), 2000 + int(m.group(2))
        span = range(first, end)
        if not all(y in totals for y in span):
            continue
        if pd.api.types.is_float_dtype(num[col].dtype):  # read as numbers already
            given = num[col].to_numpy(dtype="float64")
        else:
            given = pd.to_numeric(
                pd.Series(num[col], dtype="string").str.replace(",", ".", regex=False),
                errors="coerce",
            ).to_numpy(dtype="float64", na_value=np.nan)
        summed = num[[totals[y] for y in span]].to_numpy(dtype="float64").sum(axis=1)
        with np.errstate(invalid="ignore"):
            off = np.abs(given - summed) > TOLERANCE_M2
        if off.any():
            notes.append(
                f"{source}: column {col!r} differs from the sum of the annual flows "
                f"{first}-{end - 1} for {int(off.sum())} commune(s) (first at "
                f"{row_label(num.index[off])[0]}); the annual flows are used"
            )


def _spans(codes: np.ndarray, years: np.ndarray, sel: np.ndarray) -> str:
    """``"59009 (2009-2023), 62041 (2010)"`` for the selected rows (first communes only)."""
    frame = pd.DataFrame({"code": codes[sel], "year": years[sel]})
    uniq = pd.unique(frame["code"])
    head = frame[frame["code"].isin(uniq[:MAX_LISTED])]
    spans = head.groupby("code", sort=False)["year"].agg(years_text)
    return listed([f"{c} ({y})" for c, y in spans.items()], total=len(uniq))


def _api_years(df: pd.DataFrame, year_col: str, source: str, problems: list[Problem]) -> np.ndarray:
    """Calendar years of the API rows as int64 (0 where invalid, with a problem recorded)."""
    parsed, _, _ = parse_numbers(df, [year_col], source=source)
    years = parsed[year_col].to_numpy(dtype="float64")
    with np.errstate(invalid="ignore"):
        bad = np.isnan(years) | (years != np.round(years)) | (years < 1900) | (years > 2100)
    if bad.any():
        first = np.flatnonzero(bad)[:MAX_LISTED]
        shown = [
            f"{lab} ({v!r})"
            for lab, v in zip(row_label(df.index[first]), df[year_col].iloc[first], strict=True)
        ]
        problems.append(
            Problem(
                source,
                f"{int(bad.sum())} invalid year(s): {listed(shown, total=int(bad.sum()))}",
                column=year_col,
                fix="write the calendar year of each flow, e.g. 2021",
            )
        )
    return np.where(bad, 0, np.nan_to_num(years)).astype("int64")


def _read_api(df: pd.DataFrame, source: str, code_col: str) -> Consumption:
    problems: list[Problem] = []
    notes: list[str] = []
    codes = _codes_and_checks(df, code_col, source, problems, notes)
    year_col = find_column(df, ["annee", "année", "year"], source=source, what="year")
    total_col = find_column(df, _API_TOTAL, source=source, what="total", required=False)
    found: dict[str, str] = {}
    for col in df.columns:
        m = _API_DEST_RE.match(str(col).strip())
        if m:
            found.setdefault(_API_SUFFIXES[m.group(1).lower()], col)
    dest_cols = {d: found[d] for d in DESTINATION_ORDER if d in found}
    flow_cols = ([total_col] if total_col else []) + list(dest_cols.values())

    years = _api_years(df, year_col, source, problems)
    keys = pd.DataFrame({"code": codes, "year": years}, index=df.index)
    dup = _duplicates(keys, source, f"{code_col}, {year_col}", "commune and year")
    if dup is not None:
        problems.append(dup)
    num, bad_type, bad_sign = parse_numbers(
        df, [total_col] if total_col else [], source=source, allow_negative=False
    )
    problems += bad_type + bad_sign
    num, bad_type, _ = parse_numbers(num, list(dest_cols.values()), source=source)
    problems += bad_type
    residue = negative_residues(
        num, list(dest_cols.values()), codes, source, problems, total_col or "naf_arti"
    )
    if residue:
        notes.append(residue)
    huge = implausible_flows(num, flow_cols, codes, source)
    problems += [huge] if huge else []

    n = len(df)
    dmat = num[list(dest_cols.values())].to_numpy(dtype="float64").reshape(n, len(dest_cols))
    given = num[total_col].to_numpy(dtype="float64") if total_col else np.full(n, np.nan)
    # Road and rail come as one figure (infrastructures) or, exceptionally, as two.
    split_infra = {"routes", "ferroviaire"} <= set(dest_cols)
    full = {"activite", "habitat", "mixte", "inconnu"} <= set(dest_cols) and (
        INFRASTRUCTURES in dest_cols or split_infra
    )
    no_part = np.isnan(dmat).all(axis=1)
    some_part_unknown = np.isnan(dmat).any(axis=1) | (not full)
    if total_col:
        complete = ~some_part_unknown
        for rows, is_complete in ((complete, True), (~complete, False)):
            pb = _sum_check(
                np.where(rows, given, np.nan),
                dmat,
                is_complete,
                index=df.index,
                codes=codes,
                source=source,
                column=total_col,
            )
            if pb is not None:
                problems.append(pb)
    if problems:
        raise ValidationError(problems)

    # Total per row: naf_arti_m2 when given, else the sum of the known destinations.
    from_parts = np.isnan(given) & ~no_part
    with np.errstate(invalid="ignore"):
        total = np.where(from_parts, np.nansum(dmat, axis=1), given)
    available = [d for d, c in dest_cols.items() if num[c].notna().any()]
    expected = (*DESTINATIONS[:3], DESTINATIONS[5], INFRASTRUCTURES)
    missing = [d for d in expected if d not in available]
    if split_infra and INFRASTRUCTURES in missing:
        missing.remove(INFRASTRUCTURES)
    codes_arr = codes.to_numpy()
    total_name = total_col or "naf_arti_m2"
    lower = from_parts & some_part_unknown
    if lower.any():
        unknown = [
            d for d in expected if d not in dest_cols or num.loc[lower, dest_cols[d]].isna().any()
        ]
        unknown_txt = ", ".join(
            "infrastructures (routes and ferroviaire)" if d == INFRASTRUCTURES else d
            for d in unknown
        )
        notes.append(
            f"{source}: no {total_name} for {_spans(codes_arr, years, lower)}: the total is the "
            f"sum of the known destinations, a lower bound since {unknown_txt} are unknown"
        )
    exact = from_parts & ~some_part_unknown
    if exact.any():
        notes.append(
            f"{source}: no {total_name} for {_spans(codes_arr, years, exact)}: "
            "the total is the sum of the destinations"
        )
    only_total = ~np.isnan(given) & no_part
    if only_total.any() and dest_cols:
        notes.append(
            f"{source}: no destination figures for {_spans(codes_arr, years, only_total)}: "
            "only the total is known"
        )
    nothing = np.isnan(total)
    if nothing.any():
        notes.append(
            f"{source}: {int(nothing.sum())} row(s) with neither total nor destinations "
            f"(first at {row_label(df.index[nothing])[0]}) left out as unknown"
        )

    matrix = np.column_stack([total, dmat])
    dests = ["total", *dest_cols]
    k = matrix.shape[1]
    m2 = matrix.ravel()
    keep = ~np.isnan(m2)
    flows = pd.DataFrame(
        {
            "code": np.repeat(codes_arr.astype(object), k)[keep],
            "year": np.repeat(years, k)[keep],
            "destination": np.tile(np.asarray(dests, dtype=object), n)[keep],
            "m2": m2[keep],
        }
    )

    name_col = find_column(
        df, ["idcomtxt", "nom", "libcom"], source=source, what="name", required=False
    )
    other = [c for c in df.columns if c not in {*flow_cols, code_col, year_col, name_col}]
    # One row per commune: the first non-empty value of each identifier column.
    communes = df[other].groupby(codes_arr, sort=True).first()
    if name_col is not None:
        names = df[name_col].astype(str).groupby(codes_arr, sort=True).first()
    else:
        notes.append(f"{source}: no idcomtxt column: communes are named by their code")
        names = pd.Series(communes.index, index=communes.index)
    communes.insert(0, "nom", names.reindex(communes.index).to_numpy())
    communes.index = pd.Index(communes.index.astype(str), name="code")
    return Consumption(
        flows=sort_flows(flows),
        communes=communes,
        years=tuple(sorted(set(years.tolist()))),
        destinations=tuple(d for d in DESTINATION_ORDER if d in available),
        missing_destinations=tuple(missing),
        source=source,
        notes=tuple(notes),
        lower_bound=pd.DataFrame(
            {"code": codes_arr[lower].astype(str), "year": years[lower].astype("int64")}
        )
        if lower.any()
        else None,
    )


def _wide_numbers(names: list[str]) -> list[str]:
    """Columns of a wide Cerema file read as numbers (flows, multi-year totals, indicators)."""
    if not any(_NAF_RE.match(n) or _ART_RE.match(n) for n in names):
        return []
    return [n for n in names if _NAF_RE.match(n) or _ART_RE.match(n) or _INDICATOR_RE.match(n)]


def is_consumption_table(columns: Iterable[Any]) -> bool:
    """Whether columns are those of a Cerema consumption file (wide or long layout).

    Wide: ``nafYYartZZ`` or ``artYY{act,hab,...}ZZ`` columns; long (Cerema API): a
    year column (``annee``) with ``naf_arti_m2`` or ``conso_*`` destinations.

    Examples
    --------
    >>> is_consumption_table(["idcom", "naf09art10"]), is_consumption_table(["code_insee"])
    (True, False)
    >>> is_consumption_table(["code_insee", "annee", "conso_hab_m2"])
    True
    """
    names = [str(c).strip() for c in columns]
    lower = {n.lower() for n in names}
    if any(_NAF_RE.match(n) or _ART_RE.match(n) for n in names):
        return True
    return bool(lower & {"annee", "année", "year"}) and any(
        _API_DEST_RE.match(n) or n.lower() in _API_TOTAL for n in names
    )


def read_consumption(path: str | Path, *, code_column: str | None = None) -> Consumption:
    """Read a Cerema ENAF consumption file (wide release file or API export).

    The layout is detected from the columns: annual flows ``nafYYartZZ`` (ZZ = YY + 1,
    year = 2000 + YY) and destinations ``artYY{act,hab,mix,rou,fer,inc}ZZ`` for the
    wide file, whatever its first and last years (2009-2022 in the 2009-2023
    release, 2011-2024 in the 2011-2025 one...); ``annee`` with ``naf_arti(_m2)`` /
    ``conso_*(_m2)`` for the API. Multi-year columns (``naf09art23``, ``naf11art21``,
    ``naf21art25``, ``art11hab25``...) are not annual flows and are never counted as
    such; they are kept in ``communes`` as numbers, with the stocks and indicators
    (``surfcom2025``, ``artcom1125``, ``artpop1116``, ``popYY``...). Flows are in m²
    (DOMAIN.md §3).

    Small negative destinations (down to −:data:`RESIDUE_MAX_M2` m², the rounding
    residues the Cerema publishes in ``artYYincZZ``) are loaded as published and
    reported once in ``notes`` (count, columns, largest magnitude); the total stays
    authoritative. Every problem is collected before raising: malformed or duplicate
    codes, non-numeric flows, negative totals, negative destinations beyond a
    residue, destinations that do not add up to the total (beyond
    :data:`TOLERANCE_M2`).

    Parameters
    ----------
    path : str or pathlib.Path
        CSV (``,`` or ``;``, UTF-8 with or without BOM, or Latin-1), optionally
        gzip-compressed, or ``.xlsx``.
    code_column : str, optional
        Commune code column when it is not ``idcom``.

    Returns
    -------
    Consumption

    Raises
    ------
    SchemaError
        When the code column is missing (the message lists the columns and says to
        pass ``code_column=``) or no consumption column is found.
    ValidationError
        Lists every problem found in the rows (a :class:`~zan.errors.SchemaError`,
        itself a :class:`~zan.errors.DataError`), each with its column and file line.
    DataError
        When the file cannot be read (missing, empty, header only...).

    Examples
    --------
    >>> from zan.datasets import get_path
    >>> conso = read_consumption(get_path("conso_enaf_2009_2023.csv"))
    >>> conso.years[0], conso.years[-1]
    (2009, 2022)
    >>> conso.destinations
    ('activite', 'habitat', 'mixte', 'routes', 'ferroviaire', 'inconnu')
    >>> sorted(conso.flows.columns)
    ['code', 'destination', 'm2', 'year']
    """
    df = read_table(path, what="consumption", numeric=_wide_numbers)
    source = df.attrs["source"]
    names = [str(c).strip() for c in df.columns]
    wide = any(
        (m := _NAF_RE.match(c)) and int(m.group(2)) == int(m.group(1)) + 1 for c in names
    ) or any((m := _ART_RE.match(c)) and int(m.group(3)) == int(m.group(1)) + 1 for c in names)
    api = (
        not wide
        and find_column(df, ["annee", "année", "year"], source=source, what="year", required=False)
        is not None
        and (
            any(_API_DEST_RE.match(c) for c in names) or any(c.lower() in _API_TOTAL for c in names)
        )
    )
    if not wide and not api:
        shown = ", ".join(names[:30]) + (", ..." if len(names) > 30 else "")
        raise SchemaError(
            f"{source}: no consumption columns found (columns: {shown}); expected annual flows "
            "nafYYartZZ (Cerema file, e.g. naf11art12) or annee with naf_arti_m2 / conso_*_m2 "
            "(Cerema API export)"
        )
    code_col = find_column(
        df,
        [code_column] if code_column else ["idcom"],
        source=source,
        what="commune code",
        argument="code_column",
    )
    if wide:
        return _read_wide(df, source, code_col)
    return _read_api(df, source, code_col)
