"""Import measured flows into the ledger: idempotent, revisions as adjustments.

Two metrics, one code path (:func:`_record`), parameterised by the metric of the
periods written (loi n° 2021-1104 art. 191 and 194, DOMAIN.md §1):

- ``enaf_consumption`` for 2021-2030: a Cerema "consommation d'espaces" vintage
  (:func:`import_consumption`, DOMAIN.md §3);
- ``net_artificialisation`` from 2031: net artificialisation per commune and year,
  artificialised minus renaturated, measured on OCS GE
  (:func:`import_artificialisation`; a table, or the result of
  :func:`zan.measure.artificialisation.artificialisation_change`). Net can be
  negative (renaturation beyond artificialisation): it then credits the account.

Each vintage repeats every past year and may revise them. The ledger keeps, per
account and year, what was recorded so far; an import computes the vintage's
figure for each (account, year) of the allocated periods of its metric and
records only the difference:

- a year never recorded gets a ``consumption`` entry (action ``import``);
- a year the vintage revises gets an adjustment entry (action ``revision``)
  for the difference, reported in :attr:`ImportReport.revisions`;
- a year that did not change gets nothing, so re-importing the same file (or
  any file saying the same) changes nothing, and nothing is ever counted twice.

A year is recorded for an account only when the file knows every commune of it
(an empty cell is unknown, never zero); such gaps are reported, not guessed.
Commune figures are summed per account through the commune assignment stored
with the ledger. The whole import is one transaction: a process killed midway
leaves the ledger as it was.
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import DataError, LedgerError
from . import store
from .accounts import author_name, clean_text, file_sha256
from .entries import M2_PER_HA, METRICS, next_operation
from .lines import LABELS, record_vintage, recorded_figures
from .net_table import content_sha, net_file_hint, period_of_years, read_net_table
from .verify import check_invariants

if TYPE_CHECKING:  # pragma: no cover
    from .book import Book

__all__ = [
    "ImportReport",
    "import_consumption",
    "import_artificialisation",
    "consumption_by_account",
]


@dataclass(frozen=True)
class ImportReport:
    """What an import did.

    Attributes
    ----------
    source : str
        The file imported.
    sha256 : str
        Its SHA-256.
    years : tuple of int
        Years of the file recorded in the ledger (those of allocated ENAF periods).
    new_entries : int
        Account-years recorded for the first time.
    revisions : pandas.DataFrame
        One row per revised account-year: ``account``, ``year``, ``before_ha``,
        ``after_ha``, ``delta_ha``.
    unchanged : bool
        True when nothing was written.
    already_imported : bool
        True when this very file (with the same options) had been imported before.
    skipped : pandas.DataFrame
        Account-years not recorded because some commune's figure is unknown
        (``account``, ``year``, ``unknown_communes``).
    outside_communes : int
        Communes of the file that are not in the ledger (left out).
    ignored_years : tuple of int
        Years of the file outside the allocated ENAF periods.
    entries : tuple of int
        (first, last) ids written, or ().
    notes : tuple of str
        Notes of the reader (alignment, inferred values...).
    metric : str
        ``"enaf_consumption"`` or ``"net_artificialisation"``.
    """

    source: str
    sha256: str
    years: tuple[int, ...] = ()
    new_entries: int = 0
    revisions: pd.DataFrame = field(default_factory=pd.DataFrame)
    unchanged: bool = True
    already_imported: bool = False
    skipped: pd.DataFrame = field(default_factory=pd.DataFrame)
    outside_communes: int = 0
    ignored_years: tuple[int, ...] = ()
    entries: tuple[int, ...] = ()
    notes: tuple[str, ...] = ()
    metric: str = "enaf_consumption"

    def __str__(self) -> str:
        name = Path(self.source).name
        if self.already_imported:
            return f"{name}: already imported (sha256 {self.sha256[:12]}…); nothing changed"
        lines = []
        if self.unchanged:
            lines.append(f"{name}: no change (the ledger already holds these figures)")
        else:
            lines.append(
                f"{name}: {self.new_entries} account-year(s) recorded, "
                f"{len(self.revisions)} revised (entries {self.entries[0]}-{self.entries[1]})"
            )
        if self.years:
            what = METRICS.get(self.metric, self.metric).lower()
            lines.append(f"  years recorded ({what}): {self.years[0]}-{self.years[-1]}")
        if self.ignored_years:
            lines.append(
                f"  years outside the allocated periods, left out: "
                f"{self.ignored_years[0]}-{self.ignored_years[-1]}"
            )
        for r in self.revisions.head(20).itertuples():
            lines.append(
                f"  revision {r.account} {r.year}: {r.before_ha:,.4f} → {r.after_ha:,.4f} ha "
                f"({r.delta_ha:+,.4f})"
            )
        if len(self.revisions) > 20:
            lines.append(f"  ... and {len(self.revisions) - 20} more revisions")
        if len(self.skipped):
            lines.append(
                f"  {len(self.skipped)} account-year(s) left out: a commune's figure is unknown"
            )
        if self.outside_communes:
            lines.append(f"  {self.outside_communes} commune(s) of the file are outside the ledger")
        return "\n".join(lines)


def _options_hash(passage: Any, code_column: str | None, *extra: Any) -> str:
    h = hashlib.sha256()
    if passage is not None:
        h.update(
            file_sha256(passage).encode()
            if isinstance(passage, str | os.PathLike)
            else pd.util.hash_pandas_object(passage, index=False).to_numpy().tobytes()
        )
    h.update(f"|{code_column}".encode())
    for value in extra:  # options of other metrics (the consumption hash stays as it was)
        h.update(f"|{value}".encode())
    return h.hexdigest()


def consumption_by_account(
    conso: Any, communes: pd.Series, years: list[int]
) -> tuple[pd.DataFrame, pd.DataFrame, int]:
    """Total consumption per account and year, in whole m², from a :class:`~zan.Consumption`.

    Parameters
    ----------
    conso : Consumption
        The Cerema file (aligned on the ledger's communes).
    communes : pandas.Series
        Account of each commune of the ledger.
    years : list of int
        Years wanted.

    Returns
    -------
    known : pandas.DataFrame
        ``account``, ``year``, ``m2`` (integer) for the account-years every commune of
        which the file knows.
    skipped : pandas.DataFrame
        ``account``, ``year``, ``unknown_communes`` for the others.
    outside : int
        Communes of the file not in the ledger.

    Raises
    ------
    DataError
        When communes of the ledger are missing from the file (a COG mismatch).

    Examples
    --------
    >>> from zan.datasets import get_path
    >>> from zan.io.consumption import read_consumption
    >>> conso = read_consumption(get_path("conso_enaf_2009_2023.csv"))
    >>> communes = pd.Series("all", index=conso.communes.index)
    >>> known, skipped, outside = consumption_by_account(conso, communes, [2021])
    >>> int(known["m2"].iloc[0]) == int(conso.period_total(2021, 2021).sum()), outside
    (True, 0)
    """
    file_codes = conso.communes.index
    absent = communes.index.difference(file_codes)
    if len(absent):
        raise DataError(
            f"{conso.source}: {len(absent)} commune(s) of the ledger are not in the file "
            f"({', '.join(absent[:10])}{' ...' if len(absent) > 10 else ''}); the file probably "
            "uses another COG: pass the table de passage (passage=, --passage) to align it"
        )
    outside = int(len(file_codes.difference(communes.index)))
    tot = conso.flows[conso.flows["destination"] == "total"]
    known, skipped = _account_years(tot, communes, years)
    return known, skipped, outside


def _account_years(
    values: pd.DataFrame, communes: pd.Series, years: list[int]
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Commune figures (``code``, ``year``, ``m2``) summed per account and year, in whole m².

    An account-year is *known* when every commune of the account has a figure that
    year; otherwise it is *skipped* with the number of communes unknown.
    """
    if not years:
        empty = pd.DataFrame({"account": [], "year": [], "m2": []})
        return empty, pd.DataFrame({"account": [], "year": [], "unknown_communes": []})
    # (object codes: isin on Arrow strings loops in Python over a national file's rows)
    codes = pd.Index(communes.index.to_numpy(dtype=object))
    in_ledger = codes.get_indexer(values["code"].to_numpy(dtype=object)) >= 0
    vals = values[in_ledger & values["year"].isin(years).to_numpy()]
    wide = vals.pivot(index="code", columns="year", values="m2").reindex(
        index=communes.index, columns=years
    )
    unknown = wide.isna()
    account = communes.reindex(wide.index).to_numpy()
    sums = wide.fillna(0.0).groupby(account).sum()
    n_unknown = unknown.groupby(account).sum()
    long = sums.stack().rename("m2").to_frame()
    long["unknown_communes"] = n_unknown.stack().to_numpy()
    long.index.names = ["account", "year"]
    long = long.reset_index()
    known = long[long["unknown_communes"] == 0]
    known = known.assign(m2=np.rint(known["m2"].to_numpy()).astype(np.int64))[
        ["account", "year", "m2"]
    ]
    skipped = long[long["unknown_communes"] > 0][["account", "year", "unknown_communes"]]
    return known.reset_index(drop=True), skipped.reset_index(drop=True)


def import_consumption(
    ledger: Book,
    path: str | os.PathLike[str],
    *,
    passage: str | os.PathLike[str] | pd.DataFrame | None = None,
    code_column: str | None = None,
    author: str | None = None,
    justification: str = "",
    allow_older: bool = False,
) -> ImportReport:
    """Import a Cerema consumption vintage: new years recorded, revised years adjusted.

    Parameters
    ----------
    ledger : Ledger
        The ledger.
    path : path-like
        The Cerema file (wide release file or API export, see
        :func:`zan.read_consumption`), of the whole country or of the region.
    passage : path-like or pandas.DataFrame, optional
        Table de passage to move the file onto the ledger's commune geography
        (merges summed, splits shared pro rata of area).
    code_column : str, optional
        Commune code column when it is not ``idcom``.
    author, justification : str, optional
        Who imports and why.
    allow_older : bool, default False
        Accept a vintage whose last year is before that of a vintage already
        imported (its figures would undo the newer revisions).

    Returns
    -------
    ImportReport

    Raises
    ------
    DataError
        The file cannot be read, or misses communes of the ledger, or is a net
        artificialisation table (import it with :func:`import_artificialisation`).
    LedgerError
        An older vintage than one already imported (without ``allow_older``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> import zan
    >>> from zan.ledger import Ledger
    >>> t = zan.Territories.demo()
    >>> class Alloc:
    ...     level = "departement"
    ...     table = pd.DataFrame({"nom": t.names("departement"), "envelope_ha": 600.0})
    ...     totals = {"envelope_ha": 2000.0}
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "compte.gpkg"
    >>> ledger = Ledger.create(path, Alloc(), territories=t)
    >>> report = ledger.import_consumption(zan.get_path("conso_enaf_2009_2023.csv"),
    ...                                    passage=zan.get_path("passage_cog2023_cog2024.csv"))
    >>> report.years, report.new_entries
    ((2021, 2022), 6)
    >>> ledger.import_consumption(zan.get_path("conso_enaf_2009_2023.csv"),
    ...                           passage=zan.get_path("passage_cog2023_cog2024.csv")).unchanged
    True
    """
    from ..io.consumption import read_consumption

    source = str(path)
    if not Path(path).is_file():
        raise DataError(f"{source}: no such file; check the path of the Cerema vintage")
    sha = file_sha256(path)
    options = _options_hash(passage, code_column)
    conn = ledger.connection
    if _already_imported(conn, sha, options):
        return ImportReport(source, sha, already_imported=True)

    try:
        conso = read_consumption(path, code_column=code_column)
    except DataError as exc:
        raise net_file_hint(exc, path) from None
    communes = ledger.communes
    if passage is not None:
        conso = _align(ledger, conso, passage)

    periods = _metric_periods(conn, "enaf_consumption")
    year_period = {y: p for p, s, e in periods for y in range(s, e + 1)}
    years = [y for y in conso.years if y in year_period]
    ignored = tuple(y for y in conso.years if y not in year_period)
    known, skipped, outside = consumption_by_account(conso, communes, years)
    batch = _Batch(
        metric="enaf_consumption",
        source=source,
        sha=sha,
        options=options,
        known=known,
        skipped=skipped,
        outside=outside,
        years=tuple(years),
        ignored=ignored,
        year_period=year_period,
        periods=tuple(p for p, _, _ in periods),
        span=f"{min(conso.years)}-{max(conso.years)}" if conso.years else "?",
        vintage=f"Cerema, millésime {min(conso.years)}-{max(conso.years)}"
        if conso.years
        else "Cerema",
        last_year=max(conso.years) if conso.years else None,
        notes=tuple(conso.notes),
    )
    return _record(
        ledger, batch, author=author, justification=justification, allow_older=allow_older
    )


def _already_imported(conn: sqlite3.Connection, sha: str, options: str) -> bool:
    return (
        conn.execute(
            "SELECT 1 FROM imports WHERE source_sha256 = ? AND options_sha256 = ?", (sha, options)
        ).fetchone()
        is not None
    )


def _metric_periods(conn: sqlite3.Connection, metric: str) -> list[tuple[str, int, int]]:
    """(period, first year, last year) of the allocated periods of a metric."""
    return [
        (str(p), int(s), int(e))
        for p, s, e in conn.execute(
            "SELECT period, start_year, end_year FROM periods "
            "WHERE envelope_m2 IS NOT NULL AND metric = ? ORDER BY start_year",
            (metric,),
        )
    ]


def _align(ledger: Book, conso: Any, passage: Any) -> Any:
    """Move commune figures onto the ledger's communes (merges summed, splits pro rata of area)."""
    from ..io.cog import read_passage

    table = passage if isinstance(passage, pd.DataFrame) else read_passage(passage)
    areas = pd.read_sql_query("SELECT code, area_ha FROM communes", ledger.connection).set_index(
        "code"
    )["area_ha"]
    weights = areas if areas.notna().all() else None
    aligned, _status = conso.align(table, target_codes=ledger.communes.index, split_weights=weights)
    return aligned


@dataclass(frozen=True)
class _Batch:
    """What an import would record, computed before the write."""

    metric: str
    source: str
    sha: str
    options: str
    known: pd.DataFrame  # account, year, m2 (the vintage's figure)
    skipped: pd.DataFrame
    outside: int
    years: tuple[int, ...]
    ignored: tuple[int, ...]
    year_period: dict[int, str]
    periods: tuple[str, ...]
    span: str  # first-last year of the vintage (compared between vintages)
    vintage: str  # shown in the labels
    last_year: int | None
    notes: tuple[str, ...]


def _record(
    ledger: Book,
    batch: _Batch,
    *,
    author: str | None,
    justification: str,
    allow_older: bool,
) -> ImportReport:
    """Write an import (one transaction): first figures, revisions, the import row."""
    conn = ledger.connection
    newest = conn.execute(
        "SELECT MAX(CAST(substr(years, -4) AS INTEGER)) FROM imports WHERE metric = ?",
        (batch.metric,),
    ).fetchone()[0]
    if (
        newest is not None
        and batch.last_year is not None
        and batch.last_year < newest
        and not allow_older
    ):
        raise LedgerError(
            f"{batch.source}: this vintage ends in {batch.last_year}, before a vintage already "
            f"imported (ending in {newest}); its figures would undo the newer revisions: import "
            "the newest vintage, or pass allow_older=True (--allow-older) to correct with it on "
            "purpose"
        )
    who = author_name(author)
    why = clean_text(justification, "justification")
    sha, options, known = batch.sha, batch.options, batch.known

    def write(c: sqlite3.Connection) -> ImportReport:
        if _already_imported(c, sha, options):
            return ImportReport(batch.source, sha, already_imported=True, metric=batch.metric)
        current = recorded_figures(c, list(batch.periods))
        merged = known.merge(current, on=["account", "year"], how="left")
        had = merged["before"].notna().to_numpy()
        before = merged["before"].fillna(0).to_numpy(dtype=np.int64)
        delta = merged["m2"].to_numpy(dtype=np.int64) - before
        write_mask = (delta != 0) | ~had  # a first figure is recorded even when zero
        new = write_mask & ~had
        rev = write_mask & had
        report_kwargs = dict(
            years=batch.years,
            skipped=batch.skipped,
            outside_communes=batch.outside,
            ignored_years=batch.ignored,
            notes=batch.notes,
            metric=batch.metric,
        )
        revisions = pd.DataFrame(
            {
                "account": merged["account"].to_numpy()[rev],
                "year": merged["year"].to_numpy()[rev],
                "before_ha": before[rev] / M2_PER_HA,
                "after_ha": merged["m2"].to_numpy()[rev] / M2_PER_HA,
                "delta_ha": delta[rev] / M2_PER_HA,
            }
        )
        if not write_mask.any():
            return ImportReport(batch.source, sha, revisions=revisions, **report_kwargs)
        sel = merged[write_mask]
        yrs = sel["year"].to_numpy(dtype=np.int64)
        is_rev = rev[write_mask]
        lines = pd.DataFrame(
            {
                "account": sel["account"].to_numpy(),
                "year": yrs,
                "amount_m2": delta[write_mask],
                "revision": is_rev,
            }
        )
        n_new, n_rev = int(new.sum()), int(rev.sum())
        first_label = LABELS[batch.metric][0].strip()
        header = {
            "operation": next_operation(c),
            "effective_date": f"{int(yrs.max())}-12-31",
            "period": batch.year_period[int(yrs.max())],
            "metric": batch.metric,
            "label": f"{first_label} : {batch.vintage}, {len(lines)} ligne(s) "
            f"({n_new} nouvelle(s), {n_rev} révision(s))",
            "author": who,
            "justification": why,
            "source_file": Path(batch.source).name,
            "source_sha256": sha,
        }
        now = store.now_utc()
        imports_row = {
            "operation": header["operation"],
            "source_file": Path(batch.source).name,
            "source_sha256": sha,
            "options_sha256": options,
            "years": batch.span,
            "new_entries": n_new,
            "revisions": n_rev,
            "recorded_at": now,
            "author": who,
            "metric": batch.metric,
            "vintage": batch.vintage,
        }
        first_id, last_id = record_vintage(
            c, lines, header=header, imports_row=imports_row, recorded_at=now
        )
        check_invariants(c, ledger.source)
        return ImportReport(
            batch.source,
            sha,
            new_entries=int(new.sum()),
            revisions=revisions,
            unchanged=False,
            entries=(first_id, last_id),
            **report_kwargs,
        )

    return ledger.write(write)


def import_artificialisation(
    ledger: Book,
    data: Any,
    *,
    year: int | None = None,
    vintage: str | None = None,
    passage: str | os.PathLike[str] | pd.DataFrame | None = None,
    code_column: str | None = None,
    author: str | None = None,
    justification: str = "",
    allow_older: bool = False,
) -> ImportReport:
    """Import net artificialisation per commune and year into the periods from 2031.

    From 2031 the ledger's metric is net artificialisation (loi n° 2021-1104
    art. 191, DOMAIN.md §1): artificialised minus renaturated area, measured on
    OCS GE (décret n° 2023-1096, DOMAIN.md §2). The figures of each commune are
    summed into its account (the commune assignment stored with the ledger) and
    recorded as ``consumption`` entries of metric ``net_artificialisation``, with
    the same guarantees as :func:`import_consumption`: the same figures again
    change nothing, a newer vintage that revises past years records adjustments
    (reported), nothing is counted twice, and the whole import is one transaction.
    A negative net (renaturation beyond artificialisation) credits the account.

    Parameters
    ----------
    ledger : Ledger
        The ledger; the periods of the years imported must be allocated
        (:meth:`~zan.ledger.Ledger.record_allocation`).
    data : path-like, pandas.DataFrame, ArtificialisationChange or dict
        A CSV/XLSX file or a DataFrame with columns ``code`` (commune), ``year``
        and either ``net_ha`` (or ``net_m2``) or ``artificialised_ha`` and
        ``renaturated_ha`` (or ``_m2``; ``artificialisation_ha`` and
        ``renaturation_ha`` are read too); or the result of
        :func:`zan.measure.artificialisation.artificialisation_change` (or
        :func:`~zan.measure.artificialisation.artificialisation_from_difference`)
        measured per commune, whose ``net_ha`` counts for ``year`` (default: its
        later vintage); or a dict ``{year: change}``. An empty cell is unknown.
    year : int, optional
        Year of a table or change that has no ``year`` column.
    vintage : str, optional
        Name of the release, shown in the labels of the entries (default: the
        years it covers).
    passage : path-like or pandas.DataFrame, optional
        Table de passage to move the communes onto the ledger's COG.
    code_column : str, optional
        Commune code column when it is not ``code``.
    author, justification : str, optional
        Who imports and why.
    allow_older : bool, default False
        Accept a table whose last year is before that of a net artificialisation
        vintage already imported.

    Returns
    -------
    ImportReport

    Raises
    ------
    PeriodError
        A year before 2031 (a period measured in ENAF consumption), in no period,
        or in a period not yet allocated; the rows are named and nothing is written.
    DataError
        A Cerema consumption file, missing columns, values that are not numbers,
        a commune and year given twice.
    LedgerError
        An older vintage than one already imported (without ``allow_older``).

    Examples
    --------
    >>> from types import SimpleNamespace
    >>> from zan.ledger import example_ledger
    >>> ledger = example_ledger()
    >>> alloc = SimpleNamespace(
    ...     table=pd.DataFrame({"envelope_ha": [40.0, 30.0, 20.0]}, index=["96", "98", "99"]),
    ...     totals={"envelope_ha": 100.0})
    >>> op = ledger.record_allocation(alloc, period="2031-2040", justification="SRADDET")
    >>> table = pd.DataFrame({"code": ledger.communes.index, "year": 2031, "net_ha": 0.0})
    >>> table.loc[table["code"] == "96001", "net_ha"] = -0.25  # a renaturated friche
    >>> report = ledger.import_artificialisation(table, vintage="OCS GE 2031")
    >>> report.years, report.new_entries
    ((2031,), 3)
    >>> ledger.balance(period="2031-2040").loc[["96", "98"], "consumed_ha"].tolist()
    [-0.25, 0.0]
    >>> ledger.import_artificialisation(table).unchanged  # the same figures again
    True
    """
    metric = "net_artificialisation"
    options = _options_hash(passage, code_column, metric, year)
    conn = ledger.connection
    sha = None
    if isinstance(data, str | os.PathLike) and Path(data).is_file():
        sha = file_sha256(data)  # the same file again: nothing to read
        if _already_imported(conn, sha, options):
            return ImportReport(str(data), sha, already_imported=True, metric=metric)
    table, source, _path, notes = read_net_table(data, year=year, code_column=code_column)
    sha = sha or content_sha(table)
    if _already_imported(conn, sha, options):
        return ImportReport(source, sha, already_imported=True, metric=metric)
    rows = conn.execute(
        "SELECT period, start_year, end_year, metric, envelope_m2 FROM periods ORDER BY start_year"
    ).fetchall()
    year_period = period_of_years(table, rows, source)
    known_rows = table[~np.isnan(table["m2"].to_numpy())]
    communes = ledger.communes
    values = known_rows[["code", "year", "m2"]]
    file_codes = pd.Index(table["code"].unique())
    if passage is not None:
        from ..io.consumption import Consumption

        years_all = tuple(sorted(int(y) for y in table["year"].unique()))
        wrapped = Consumption(
            flows=values.assign(destination="total")[["code", "year", "destination", "m2"]],
            communes=pd.DataFrame({"nom": file_codes.to_numpy()}, index=file_codes),
            years=years_all,
            destinations=("total",),
            source=source,
        )
        aligned = _align(ledger, wrapped, passage)
        values = aligned.flows[["code", "year", "m2"]]
        file_codes = aligned.communes.index
        notes += list(aligned.notes)
    years = sorted(year_period)
    known, skipped = _account_years(values, communes, years)
    span = f"{years[0]}-{years[-1]}" if years else "?"
    batch = _Batch(
        metric=metric,
        source=source,
        sha=sha,
        options=options,
        known=known,
        skipped=skipped,
        outside=int(len(pd.Index(file_codes).difference(communes.index))),
        years=tuple(years),
        ignored=(),
        year_period=year_period,
        periods=tuple(r[0] for r in rows if r[3] == metric and r[4] is not None),
        span=span,
        vintage=clean_text(vintage, "vintage") or f"millésime {span}",
        last_year=years[-1] if years else None,
        notes=tuple(notes),
    )
    return _record(
        ledger, batch, author=author, justification=justification, allow_older=allow_older
    )
