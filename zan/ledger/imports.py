"""Import a Cerema consumption vintage into the ledger: idempotent, revisions as adjustments.

Each annual release of the Cerema "consommation d'espaces" file (DOMAIN.md §3)
repeats every past year and may revise them. The ledger keeps, per account and
year, what was recorded so far; an import computes the vintage's figure for each
(account, year) of the allocated ENAF periods and records only the difference:

- a year never recorded gets a ``consumption`` entry (action ``import``);
- a year the vintage revises gets an adjustment entry (action ``revision``)
  for the difference, reported in :attr:`ImportReport.revisions`;
- a year that did not change gets nothing, so re-importing the same file (or
  any file saying the same) changes nothing, and nothing is ever counted twice.

A year is recorded for an account only when the file knows every commune of it
(an empty cell is unknown, never zero); such gaps are reported, not guessed.
The whole import is one transaction: a process killed midway leaves the ledger
as it was.
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
from .accounts import _author, _text, file_sha256
from .entries import M2_PER_HA, _next_operation, append_entries
from .verify import check_invariants

if TYPE_CHECKING:  # pragma: no cover
    from .core import Ledger

__all__ = ["ImportReport", "import_consumption", "consumption_by_account"]


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
            lines.append(f"  years recorded: {self.years[0]}-{self.years[-1]}")
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


def _options_hash(passage: Any, code_column: str | None) -> str:
    h = hashlib.sha256()
    if passage is not None:
        h.update(
            file_sha256(passage).encode()
            if isinstance(passage, str | os.PathLike)
            else pd.util.hash_pandas_object(passage, index=False).to_numpy().tobytes()
        )
    h.update(f"|{code_column}".encode())
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
    tot = conso.flows[(conso.flows["destination"] == "total") & conso.flows["year"].isin(years)]
    tot = tot[tot["code"].isin(communes.index)]
    wide = tot.pivot(index="code", columns="year", values="m2").reindex(
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
    return known.reset_index(drop=True), skipped.reset_index(drop=True), outside


def import_consumption(
    ledger: Ledger,
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
        The file cannot be read, or misses communes of the ledger.
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
    from ..io.cog import read_passage
    from ..io.consumption import read_consumption

    source = str(path)
    if not Path(path).is_file():
        raise DataError(f"{source}: no such file; check the path of the Cerema vintage")
    sha = file_sha256(path)
    options = _options_hash(passage, code_column)
    conn = ledger.connection
    seen = conn.execute(
        "SELECT id FROM imports WHERE source_sha256 = ? AND options_sha256 = ?", (sha, options)
    ).fetchone()
    if seen is not None:
        return ImportReport(source, sha, already_imported=True)

    conso = read_consumption(path, code_column=code_column)
    communes = ledger.communes
    if passage is not None:
        table = passage if isinstance(passage, pd.DataFrame) else read_passage(passage)
        areas = pd.read_sql_query("SELECT code, area_ha FROM communes", conn).set_index("code")[
            "area_ha"
        ]
        weights = areas if areas.notna().all() else None
        conso, _status = conso.align(table, target_codes=communes.index, split_weights=weights)

    periods = conn.execute(
        "SELECT period, start_year, end_year FROM periods "
        "WHERE envelope_m2 IS NOT NULL AND metric = 'enaf_consumption'"
    ).fetchall()
    year_period = {y: p for p, s, e in periods for y in range(s, e + 1)}
    years = [y for y in conso.years if y in year_period]
    ignored = tuple(y for y in conso.years if y not in year_period)
    known, skipped, outside = consumption_by_account(conso, communes, years)
    vintage = f"{min(conso.years)}-{max(conso.years)}" if conso.years else "?"
    newest = conn.execute("SELECT MAX(CAST(substr(years, -4) AS INTEGER)) FROM imports").fetchone()[
        0
    ]
    if newest is not None and conso.years and max(conso.years) < newest and not allow_older:
        raise LedgerError(
            f"{source}: this vintage ends in {max(conso.years)}, before a vintage already imported "
            f"(ending in {newest}); its figures would undo the newer revisions: import the newest "
            "vintage, or pass allow_older=True (--allow-older) to correct with it on purpose"
        )
    who = _author(author)
    why = _text(justification, "justification")

    def write(c: sqlite3.Connection) -> ImportReport:
        if c.execute(
            "SELECT 1 FROM imports WHERE source_sha256 = ? AND options_sha256 = ?", (sha, options)
        ).fetchone():
            return ImportReport(source, sha, already_imported=True)
        placeholders = ", ".join("?" * len(periods))
        current = pd.DataFrame(
            c.execute(
                "SELECT account, year, SUM(amount_m2) FROM entries WHERE kind = 'consumption' "
                f"AND period IN ({placeholders}) GROUP BY account, year",
                [p for p, _, _ in periods],
            ).fetchall(),
            columns=["account", "year", "before"],
        )
        merged = known.merge(current, on=["account", "year"], how="left")
        had = merged["before"].notna().to_numpy()
        before = merged["before"].fillna(0).to_numpy(dtype=np.int64)
        delta = merged["m2"].to_numpy(dtype=np.int64) - before
        write_mask = (delta != 0) | ~had  # a first figure is recorded even when zero
        new = write_mask & ~had
        rev = write_mask & had
        report_kwargs = dict(
            years=tuple(years),
            skipped=skipped,
            outside_communes=outside,
            ignored_years=ignored,
            notes=tuple(conso.notes),
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
            return ImportReport(source, sha, revisions=revisions, **report_kwargs)
        sel = merged[write_mask]
        yrs = sel["year"].to_numpy()
        is_rev = rev[write_mask]
        year_text = pd.Series(yrs, dtype="int64").astype(str)
        label_new = "Consommation d'ENAF " + year_text + f" (Cerema, millésime {vintage})"
        label_rev = "Révision de la consommation " + year_text + f" (Cerema, millésime {vintage})"
        op = _next_operation(c)
        frame = pd.DataFrame(
            {
                "operation": op,
                "effective_date": (year_text + "-12-31").to_numpy(),
                "period": pd.Series(yrs).map(year_period).to_numpy(),
                "metric": "enaf_consumption",
                "kind": "consumption",
                "action": np.where(is_rev, "revision", "import"),
                "account": sel["account"].to_numpy(),
                "amount_m2": delta[write_mask],
                "year": yrs,
                "label": np.where(is_rev, label_rev.to_numpy(), label_new.to_numpy()),
                "author": who,
                "justification": why,
                "source_file": Path(source).name,
                "source_sha256": sha,
            }
        )
        now = store._now()
        first, last = append_entries(c, frame, recorded_at=now)
        c.execute(
            "INSERT INTO imports (operation, source_file, source_sha256, options_sha256, years, "
            "new_entries, revisions, recorded_at, author) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                op,
                Path(source).name,
                sha,
                options,
                vintage,
                int(new.sum()),
                int(rev.sum()),
                now,
                who,
            ),
        )
        check_invariants(c, ledger.source)
        return ImportReport(
            source,
            sha,
            new_entries=int(new.sum()),
            revisions=revisions,
            unchanged=False,
            entries=(first, last),
            **report_kwargs,
        )

    return ledger._write(write)
