"""The Cerema ENAF consumption as zan holds it: :class:`Consumption` and its destinations.

:func:`zan.io.consumption.read_consumption` reads the Cerema file (wide or long
layout, DOMAIN.md §3) into a :class:`Consumption`, whose ``flows`` is a tidy table
(``code``, ``year``, ``destination``, ``m2``) as set out in docs/ARCHITECTURE.md.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd

from ..errors import DataError, PeriodError
from .cog import align as _align_values

__all__ = [
    "DESTINATIONS",
    "DESTINATION_ORDER",
    "INFRASTRUCTURES",
    "MAX_LISTED",
    "Consumption",
    "WideFlows",
    "listed",
    "sort_flows",
    "tidy_flows",
    "years_text",
]

#: Destinations of the Cerema file, in its column order (suffixes act, hab, mix, rou, fer, inc).
DESTINATIONS: tuple[str, ...] = ("activite", "habitat", "mixte", "routes", "ferroviaire", "inconnu")
#: Road and rail as one figure (Cerema API ``conso_infra``).
INFRASTRUCTURES = "infrastructures"
#: Destinations in the order of the tables: the Cerema's, then the API's road and rail.
DESTINATION_ORDER: tuple[str, ...] = (*DESTINATIONS, INFRASTRUCTURES)
#: Largest number of items listed in a message.
MAX_LISTED = 10


def years_text(years: Iterable[int]) -> str:
    """``[2009, 2010, 2011, 2015]`` → ``"2009-2011, 2015"``."""
    years = sorted(set(years))
    if not years:
        return "none"
    runs, start, prev = [], years[0], years[0]
    for y in years[1:]:
        if y != prev + 1:
            runs.append((start, prev))
            start = y
        prev = y
    runs.append((start, prev))
    return ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in runs)


def listed(items: list[str], n: int = MAX_LISTED, *, total: int | None = None) -> str:
    """The first ``n`` items joined by commas, and how many more there are."""
    more = (len(items) if total is None else total) - n
    return ", ".join(items[:n]) + (f" and {more} more" if more > 0 else "")


@dataclass(frozen=True, eq=False)
class Consumption:
    """ENAF consumption per commune and year, read from a Cerema file.

    Attributes
    ----------
    flows : pandas.DataFrame
        Tidy table: ``code`` (str), ``year`` (int, calendar year of the flow),
        ``destination`` (``"total"``, then those of :data:`DESTINATIONS` or
        ``"infrastructures"``), ``m2`` (float). A cell left empty in the file is
        unknown and has no row (it is never read as zero).
    communes : pandas.DataFrame
        Indexed by ``code``: ``nom`` and the file's other per-commune columns
        (``iddep``, ``idreg``, ``epciYY``, ``scot``... as text; ``popYY``,
        ``menYY``, ``empYY``, ``surfcomYYYY``, multi-year totals as numbers).
    years : tuple of int
        Years with at least one flow.
    destinations : tuple of str
        Destinations available for every year, in :data:`DESTINATIONS` order,
        then ``"infrastructures"`` (API layout).
    missing_destinations : tuple of str
        Destinations absent from the file (or from some of its years).
    source : str
        The file read.
    notes : tuple of str
        Everything inferred while reading (padded codes, totals computed from
        destinations, lower bounds, alignment...).
    lower_bound : pandas.DataFrame or None
        The (``code``, ``year``) pairs whose total is only a lower bound: the
        Cerema API long layout without ``naf_arti`` total and with a destination
        unknown (road and rail without their split...); None when every total is
        complete. :func:`zan.consumption` flags the territories they fall in.
    """

    flows: pd.DataFrame
    communes: pd.DataFrame
    years: tuple[int, ...]
    destinations: tuple[str, ...]
    missing_destinations: tuple[str, ...] = ()
    source: str = "consumption"
    notes: tuple[str, ...] = ()
    lower_bound: pd.DataFrame | None = None

    def lower_bound_codes(self, start: int, end: int) -> pd.Index:
        """Communes whose total over ``start``..``end`` is only a lower bound.

        Examples
        --------
        >>> from zan.datasets import get_path
        >>> from zan.io.consumption import read_consumption
        >>> list(read_consumption(get_path("conso_enaf_2009_2023.csv")).lower_bound_codes(2011, 2020))
        []
        """
        lb = self.lower_bound
        if lb is None or not len(lb):
            return pd.Index([], dtype=object, name="code")
        years = lb["year"].to_numpy()
        codes = lb.loc[(years >= start) & (years <= end), "code"].astype(str)
        return pd.Index(sorted(set(codes)), dtype=object, name="code")

    def __getattribute__(self, name: str):
        value = object.__getattribute__(self, name)
        if name == "flows" and isinstance(value, WideFlows):  # built on first use
            value = value.tidy()
            object.__setattr__(self, "flows", value)
        return value

    def __repr__(self) -> str:
        missing = (
            f"; missing: {', '.join(self.missing_destinations)}"
            if self.missing_destinations
            else ""
        )
        notes = (
            f"; {len(self.notes)} note{'s' if len(self.notes) != 1 else ''}" if self.notes else ""
        )
        return (
            f"<Consumption: {len(self.communes):,} communes, {years_text(self.years)}, "
            f"destinations: {', '.join(self.destinations) or 'none'}{missing}{notes}; "
            f"source: {self.source}>"
        )

    # -- periods --------------------------------------------------------------------------
    def check_period(self, start: int, end: int) -> None:
        """Raise :class:`~zan.errors.PeriodError` unless every year start..end is in the file.

        Parameters
        ----------
        start, end : int
            Inclusive calendar years, e.g. 2011 and 2020 for the ten reference years.

        Examples
        --------
        >>> from zan.datasets import get_path
        >>> from zan.io.consumption import read_consumption
        >>> conso = read_consumption(get_path("conso_enaf_2009_2023.csv"))
        >>> conso.check_period(2011, 2020)
        >>> conso.check_period(2011, 2040)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        zan.errors.PeriodError: ...conso_enaf_2009_2023.csv: period 2011-2040 is not covered...
        """
        try:
            start, end = int(start), int(end)
        except (TypeError, ValueError):
            raise PeriodError(
                f"{self.source}: period {start!r}-{end!r} is not a pair of years; "
                "pass e.g. 2011, 2020"
            ) from None
        if start > end:
            raise PeriodError(
                f"{self.source}: period {start}-{end} starts after it ends; "
                "pass the first year first"
            )
        absent = sorted(set(range(start, end + 1)) - set(self.years))
        if absent:
            raise PeriodError(
                f"{self.source}: period {start}-{end} is not covered: the file holds the flows of "
                f"{years_text(self.years)} (missing {years_text(absent)}); choose years within "
                "those, or use a more recent vintage of the file"
            )

    def _period_years(self, period: tuple[int, int] | None) -> list[int]:
        if period is None:
            return list(self.years)
        start, end = period
        self.check_period(start, end)
        return list(range(int(start), int(end) + 1))

    # -- views ----------------------------------------------------------------------------
    def total(self, period: tuple[int, int] | None = None) -> pd.DataFrame:
        """Total consumption per commune and year, in m².

        Parameters
        ----------
        period : tuple of int, optional
            Inclusive (start, end) years; all years by default.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``code``, one column per year; NaN where the file gives no total.

        Examples
        --------
        >>> from zan.datasets import get_path
        >>> from zan.io.consumption import read_consumption
        >>> conso = read_consumption(get_path("conso_enaf_2009_2023.csv"))
        >>> list(conso.total((2011, 2020)).columns) == list(range(2011, 2021))
        True
        """
        years = self._period_years(period)
        held = object.__getattribute__(self, "flows")
        if isinstance(held, WideFlows) and held.codes_are(self.communes.index):
            return held.total(years, self.communes.index)
        tot = self.flows[self.flows["destination"] == "total"]
        wide = tot.pivot(index="code", columns="year", values="m2")
        wide = wide.reindex(index=self.communes.index, columns=years)
        wide.index.name, wide.columns.name = "code", "year"
        return wide

    def by_destination(self, period: tuple[int, int] | None = None) -> pd.DataFrame:
        """Consumption per commune and destination, summed over a period, in m².

        Parameters
        ----------
        period : tuple of int, optional
            Inclusive (start, end) years; all years by default.

        Returns
        -------
        pandas.DataFrame
            Indexed by ``code``: one column per destination found in the file, then
            ``total``. NaN when any year of the period is unknown for that
            commune and destination.

        Examples
        --------
        >>> from zan.datasets import get_path
        >>> from zan.io.consumption import read_consumption
        >>> conso = read_consumption(get_path("conso_enaf_2009_2023.csv"))
        >>> d = conso.by_destination((2011, 2020))
        >>> bool(((d[list(conso.destinations)].sum(axis=1) - d["total"]).abs() <= 10).all())
        True
        """
        years = self._period_years(period)
        wide = object.__getattribute__(self, "flows")
        if isinstance(wide, WideFlows) and wide.codes_are(self.communes.index):
            return wide.by_destination(years, self.communes.index)
        fast = self._summed_by_destination(years)
        if fast is not None:
            return fast
        flows = self.flows[self.flows["year"].isin(years)]
        per_year = flows.pivot(index=["code", "destination"], columns="year", values="m2")
        per_year = per_year.reindex(columns=years)
        summed = per_year.sum(axis=1, skipna=False).unstack("destination")
        present = set(self.flows["destination"])
        cols = [d for d in DESTINATION_ORDER if d in present] + ["total"]
        out = summed.reindex(index=self.communes.index, columns=cols)
        out.index.name, out.columns.name = "code", None
        return out

    def _summed_by_destination(self, years: list[int]) -> pd.DataFrame | None:
        """:meth:`by_destination` on arrays: the flows placed in a commune × destination ×
        year cube, summed over the years as the pivot's sum is (the same additions, so
        the same figures to the last bit). None when flows repeat a (code, year, destination)
        or name a destination outside the known ones (the pivot then says so)."""
        flows = self.flows
        if not len(flows) or not len(years):
            return None
        dest_codes, dest_names = pd.factorize(flows["destination"], sort=False)
        known = ("total", *DESTINATION_ORDER)
        if any(str(d) not in known for d in dest_names):
            return None
        code_codes, code_names = pd.factorize(flows["code"], sort=False)
        row_of_code = self.communes.index.get_indexer(pd.Index(code_names))
        if (row_of_code < 0).any() or not self.communes.index.is_unique:
            return None
        year = flows["year"].to_numpy()
        first = years[0]
        if years != list(range(first, first + len(years))):
            return None
        col_of_dest = np.array([known.index(str(d)) for d in dest_names], dtype=np.int64)
        n, k, m = len(self.communes), len(known), len(years)
        sel = (year >= first) & (year < first + m)
        cell = (row_of_code[code_codes[sel]] * k + col_of_dest[dest_codes[sel]]) * m + (
            year[sel] - first
        )
        if len(cell) and np.bincount(cell, minlength=n * k * m).max() > 1:
            return None
        cube = np.full(n * k * m, np.nan)
        cube[cell] = flows["m2"].to_numpy(dtype="float64")[sel]
        present = {str(d) for d in dest_names}
        return _by_destination_frame(cube.reshape(n, k, m), present, self.communes.index)

    def period_total(self, start: int, end: int) -> pd.Series:
        """Total consumption per commune over the inclusive years start..end, in m².

        Parameters
        ----------
        start, end : int
            Inclusive calendar years (2011, 2020 = the ten reference years).

        Returns
        -------
        pandas.Series
            Indexed by ``code``, named ``"m2"``; NaN when a year's total is unknown.

        Raises
        ------
        PeriodError
            When the file lacks some of the years.

        Examples
        --------
        >>> from zan.datasets import get_path
        >>> from zan.io.consumption import read_consumption
        >>> conso = read_consumption(get_path("conso_enaf_2009_2023.csv"))
        >>> ref = conso.period_total(2011, 2020)
        >>> bool(ref.sum() == conso.total((2011, 2020)).to_numpy().sum())
        True
        """
        self.check_period(start, end)
        return self.total((start, end)).sum(axis=1, skipna=False).rename("m2")

    def select(self, codes: Iterable[str]) -> Consumption:
        """Keep only some communes, in the order given.

        Parameters
        ----------
        codes : iterable of str
            Commune codes, all present in the file.

        Returns
        -------
        Consumption

        Raises
        ------
        DataError
            When some codes are not in the file; the message lists them.

        Examples
        --------
        >>> from zan.datasets import get_path
        >>> from zan.io.consumption import read_consumption
        >>> conso = read_consumption(get_path("conso_enaf_2009_2023.csv"))
        >>> first = conso.communes.index[:2]
        >>> list(conso.select(first).communes.index) == list(first)
        True
        """
        wanted = pd.Index([str(c) for c in codes]).unique()
        absent = wanted.difference(self.communes.index)
        if len(absent):
            raise DataError(
                f"{self.source}: {len(absent)} commune code(s) not in the file: "
                f"{listed(list(absent))}; check the codes or align the file on their COG first"
            )
        flows = self.flows[self.flows["code"].isin(wanted)]
        order = pd.Series(np.arange(len(wanted)), index=wanted)
        flows = (
            flows.assign(_o=order.reindex(flows["code"]).to_numpy())
            .sort_values(["_o", "year"], kind="stable")
            .drop(columns="_o")
            .reset_index(drop=True)
        )
        lb = self.lower_bound
        if lb is not None:
            lb = lb[lb["code"].isin(wanted)].reset_index(drop=True)
        return replace(self, flows=flows, communes=self.communes.loc[wanted], lower_bound=lb)

    def align(
        self,
        passage: pd.DataFrame,
        *,
        target_codes: Iterable[str] | None = None,
        split_weights: pd.Series | None = None,
    ) -> tuple[Consumption, pd.Series]:
        """Move the file onto another COG: merged communes summed, split ones shared.

        Parameters
        ----------
        passage : pandas.DataFrame
            Table de passage read by :func:`zan.io.cog.read_passage`.
        target_codes : iterable of str, optional
            Codes of the target geography (see :func:`zan.io.cog.align`).
        split_weights : pandas.Series, optional
            Weights of the new communes (e.g. areas) to share split communes.

        Returns
        -------
        consumption : Consumption
            Flows and numeric commune indicators moved to the new codes (totals
            conserved); text columns taken from the commune that keeps the code (or
            the largest share); names from the table's ``nom_to`` where it has them.
        status : pandas.Series
            Per new code: ``unchanged``, ``merged``, ``split``, ``recoded`` or ``missing``.

        Examples
        --------
        >>> from zan.datasets import get_path
        >>> from zan.io.consumption import read_consumption
        >>> from zan.io._files import read_layer
        >>> from zan.io.cog import read_passage
        >>> conso = read_consumption(get_path("conso_enaf_2009_2023.csv"))  # COG 2023
        >>> passage = read_passage(get_path("passage_cog2023_cog2024.csv"))
        >>> communes = read_layer(get_path("communes.gpkg")).set_index("code_insee")  # COG 2024
        >>> aligned, status = conso.align(
        ...     passage, target_codes=communes.index, split_weights=communes.area)
        >>> len(conso.communes), len(aligned.communes), int((status == "split").sum())
        (446, 445, 2)
        >>> before, after = conso.period_total(2011, 2020), aligned.period_total(2011, 2020)
        >>> bool(abs(before.sum() - after.sum()) < 1e-6)
        True
        """
        wide = self.flows.pivot(index="code", columns=["year", "destination"], values="m2")
        wide = wide.reindex(self.communes.index)
        res = _align_values(
            wide,
            passage,
            target_codes=target_codes,
            split_weights=split_weights,
            source=self.source,
        )
        vals = res.values.dropna(how="all")
        flows = tidy_flows(
            vals.index.to_numpy(),
            vals.to_numpy(dtype="float64"),
            vals.columns.get_level_values(0).astype("int64").tolist(),
            vals.columns.get_level_values(1).tolist(),
        )
        flows = sort_flows(flows)

        communes = self._align_communes(res, passage, vals.index, split_weights)
        counts = res.status.value_counts()
        summary = ", ".join(
            f"{int(counts[s])} {s}"
            for s in ("merged", "split", "recoded", "missing")
            if s in counts
        )
        note = (
            f"aligned on a new COG with {passage.attrs.get('source', 'a table de passage')}: "
            f"{summary or 'no change'} (merges summed, splits shared pro rata)"
        )
        notes = (*self.notes, *passage.attrs.get("notes", ()), note)
        lower_bound = self.lower_bound
        if lower_bound is not None and len(lower_bound):
            # A new commune is a lower bound where any old one it receives from is.
            flag = (
                lower_bound.assign(one=1.0)
                .pivot_table(index="code", columns="year", values="one", aggfunc="max")
                .reindex(self.communes.index)
                .fillna(0.0)
            )
            moved = _align_values(
                flag,
                passage,
                target_codes=target_codes,
                split_weights=split_weights,
                source=self.source,
            ).values.fillna(0.0)
            stacked = moved.stack()
            stacked = stacked[stacked > 0]
            lower_bound = pd.DataFrame(
                {
                    "code": stacked.index.get_level_values(0).astype(str),
                    "year": stacked.index.get_level_values(1).astype("int64"),
                }
            )
        out = replace(self, flows=flows, communes=communes, notes=notes, lower_bound=lower_bound)
        return out, res.status

    def _align_communes(
        self, res, passage: pd.DataFrame, codes: pd.Index, split_weights: pd.Series | None
    ) -> pd.DataFrame:
        communes = self.communes
        numeric = [c for c in communes.columns if pd.api.types.is_numeric_dtype(communes[c].dtype)]
        # One representative old commune per new code: the one keeping the code, else the
        # largest share.
        mapping = res.mapping.assign(_self=res.mapping["code_from"] == res.mapping["code_to"])
        rep = mapping.sort_values(["code_to", "_self", "share"], ascending=[True, False, False])
        rep = rep.drop_duplicates("code_to").set_index("code_to")["code_from"].reindex(codes)
        text = communes.drop(columns=numeric).reindex(rep.to_numpy())
        text.index = codes
        if numeric:
            num = _align_values(
                communes[numeric], passage, split_weights=split_weights, source=self.source
            ).values.reindex(codes)
            out = pd.concat([text, num], axis=1)[list(communes.columns)]
        else:
            out = text
        if "nom_to" in passage.columns and "nom" in out.columns:
            names = passage.drop_duplicates("code_to").set_index("code_to")["nom_to"]
            changed = (
                out.index.isin(names.index)
                & (res.status.reindex(out.index) != "unchanged").to_numpy()
            )
            out.loc[changed, "nom"] = names.reindex(out.index[changed]).to_numpy()
        out.index.name = "code"
        return out


def sort_flows(flows: pd.DataFrame) -> pd.DataFrame:
    """Sort by code, year, then destination ("total" first, then the Cerema order)."""
    rank = pd.Categorical(flows["destination"], categories=("total", *DESTINATION_ORDER)).codes
    order = np.lexsort((rank, flows["year"].to_numpy(), flows["code"].to_numpy(dtype=object)))
    return flows.iloc[order].reset_index(drop=True)


def _by_destination_frame(cube: np.ndarray, present: set[str], index: pd.Index) -> pd.DataFrame:
    """:meth:`Consumption.by_destination`'s table from a commune × ("total", then
    :data:`DESTINATION_ORDER`) × year cube: summed along contiguous rows of years, as
    the pivot's ``sum(axis=1)`` adds them (the same figures to the last bit)."""
    n, k, m = cube.shape
    summed = cube.reshape(n * k, m).sum(axis=1).reshape(n, k)
    known = ("total", *DESTINATION_ORDER)
    cols = [d for d in DESTINATION_ORDER if d in present] + ["total"]
    out = pd.DataFrame(
        summed[:, [known.index(c) for c in cols]], index=index.copy(), columns=pd.Index(cols)
    )
    out.index.name, out.columns.name = "code", None
    return out


class WideFlows:
    """The flows of a wide Cerema file as read: a commune × (year, destination) matrix.

    :class:`Consumption` holds it in place of ``flows`` until ``flows`` is first read,
    when it becomes the tidy table (:meth:`tidy`, the same table as if built at once);
    :meth:`Consumption.by_destination` sums it directly, without that table of millions
    of rows (``zan consumption`` on a national file never builds it).

    Parameters
    ----------
    codes : numpy.ndarray
        Commune codes, one per matrix row (file order, unique).
    matrix : numpy.ndarray
        m² (NaN where unknown), one column per (year, destination).
    years, dests : list
        Year and destination (``"total"`` or one of :data:`DESTINATIONS`) of each column.
    """

    def __init__(self, codes: np.ndarray, matrix: np.ndarray, years: list[int], dests: list[str]):
        self.codes, self.matrix, self.years, self.dests = codes, matrix, years, dests

    def codes_are(self, index: pd.Index) -> bool:
        """Whether ``index`` lists the matrix rows' codes, in order."""
        return len(index) == len(self.codes) and bool(
            (index.to_numpy(dtype=object) == self.codes).all()
        )

    def tidy(self) -> pd.DataFrame:
        """The tidy flows (sorted by code, then year-major as the matrix columns)."""
        order = np.argsort(self.codes.astype(object), kind="stable")
        return tidy_flows(self.codes[order], self.matrix[order], self.years, self.dests)

    def total(self, years: list[int], index: pd.Index) -> pd.DataFrame:
        """:meth:`Consumption.total`: the total columns of ``years`` (NaN when absent)."""
        out = np.full((len(self.codes), len(years)), np.nan)
        where = {y: j for j, y in enumerate(years)}
        for c, (year, dest) in enumerate(zip(self.years, self.dests, strict=True)):
            if dest == "total" and year in where:
                out[:, where[year]] = self.matrix[:, c]
        wide = pd.DataFrame(out, index=index.copy(), columns=pd.Index(years, dtype="int64"))
        wide.index.name, wide.columns.name = "code", "year"
        return wide

    def by_destination(self, years: list[int], index: pd.Index) -> pd.DataFrame:
        """Sums over ``years`` per commune (rows of ``index``) and destination."""
        known = ("total", *DESTINATION_ORDER)
        n, m = len(self.codes), len(years)
        where = {y: j for j, y in enumerate(years)}
        cube = np.full((n, len(known), m), np.nan)
        for c, (year, dest) in enumerate(zip(self.years, self.dests, strict=True)):
            if year in where and dest in known:
                cube[:, known.index(dest), where[year]] = self.matrix[:, c]
        has_value = ~np.isnan(self.matrix).all(axis=0) if n else np.zeros(len(self.dests), bool)
        present = {d for d, v in zip(self.dests, has_value, strict=True) if v}
        return _by_destination_frame(cube, present, index)


def _repeated_text(values: np.ndarray, positions: np.ndarray) -> pd.api.extensions.ExtensionArray:
    """``values[positions]`` as a text array, built by one take of the few distinct values
    (a Python-level conversion of millions of strings is what this avoids)."""
    return pd.array(np.asarray(values, dtype=object), dtype="str").take(positions)


def tidy_flows(
    codes: np.ndarray, matrix: np.ndarray, years: list[int], dests: list[str]
) -> pd.DataFrame:
    """Commune × (year, destination) matrix → tidy flows without the unknown cells."""
    n, k = matrix.shape
    m2 = matrix.ravel()
    keep = np.flatnonzero(~np.isnan(m2))
    row, col = np.divmod(keep, k) if k else (keep, keep)
    return pd.DataFrame(
        {
            "code": _repeated_text(codes, row),
            "year": np.asarray(years, dtype="int64")[col],
            "destination": _repeated_text(np.asarray(dests, dtype=object), col),
            "m2": m2[keep],
        }
    )
