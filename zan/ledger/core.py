"""The :class:`Ledger`: open, create, and write to the compte foncier régional.

A thin facade over the ledger's kernel: a :class:`Ledger` is a
:class:`~zan.ledger.book.Book` (the open file: connection, write transactions,
accounts, periods) with one method per operation, each delegating to the module
that holds it: :mod:`~zan.ledger.allocation` (create, record an allocation),
:mod:`~zan.ledger.moves` (transfers, grants, PENE, reversals),
:mod:`~zan.ledger.imports`, :mod:`~zan.ledger.projects`,
:mod:`~zan.ledger.balance` and :mod:`~zan.ledger.verify`. Every write is one
transaction (:func:`zan.ledger.store.write_transaction`) that re-checks, for each
allocated period, the invariant ``Σ accounts + reserve == regional envelope`` (and
the PENE forfait) before it commits (:func:`zan.ledger.verify.check_invariants`).
The ledger is created with the allocation of its first period
(:meth:`Ledger.create`); each further period gets its own, once
(:meth:`Ledger.record_allocation`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

# Modules; the Ledger methods of the same names (balance, imports, projects, verify) call into them.
from . import balance, imports, moves, projects, verify
from .accounts import author_name, clean_text
from .allocation import init_plan, period_plan
from .book import Book, check_new_path, write_new
from .imports import ImportReport
from .verify import VerifyReport

__all__ = ["Ledger"]


class Ledger(Book):
    """The compte foncier régional stored in one GeoPackage file.

    Open an existing ledger with ``Ledger(path)``; create one with
    :meth:`Ledger.create` (or :func:`zan.ledger.init_ledger` from a scenario).
    Several processes may open and write the same file: each write is one
    transaction, retried while another process holds the lock. QGIS (another
    process) reads the layers live, one feature per territory and period in
    ``territory_balances``. Within one Python process, close the ledger (``with
    Ledger(path) as ledger: ...``) before reading its file through GDAL (geopandas,
    pyogrio): GDAL brings its own SQLite library, and two SQLite libraries in one
    process share the file's POSIX locks (SQLite's documentation on file locking),
    so reads in between may be stale. The ledger's own readers (:meth:`balance`,
    :func:`zan.ledger.map_frame`) need no such care.

    Parameters and errors as :class:`~zan.ledger.book.Book` (the file, the lock waits).

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> class Alloc:  # what zan.scenario.run_scenario returns, reduced to the essentials
    ...     table = pd.DataFrame({"nom": ["Amont", "Aval"], "envelope_ha": [60.0, 30.0]},
    ...                          index=pd.Index(["A", "B"], name="code"))
    ...     totals = {"envelope_ha": 100.0, "pene_ha": 5.0, "reserve_ha": 10.0}
    >>> communes = pd.Series(["A", "A", "B"], index=["99001", "99002", "99003"])
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "compte.gpkg"
    >>> ledger = Ledger.create(path, Alloc(), assignment=communes, author="region")
    >>> op = ledger.transfer("A", "B", 5, justification="délibérations 2025-01 et 2025-07")
    >>> ledger.balance().loc[["A", "B", "reserve", "region"], "remaining_ha"].tolist()
    [55.0, 35.0, 10.0, 100.0]
    >>> ledger.verify().ok
    True
    """

    # ------------------------------------------------------------------ creation
    @classmethod
    def create(
        cls,
        path: str | os.PathLike[str],
        allocation: Any,
        *,
        scenario: Any = None,
        territories: Any = None,
        assignment: pd.Series | None = None,
        period: str | tuple[int, int] | None = None,
        author: str | None = None,
        justification: str = "",
        garantie_pools: bool = True,
        overwrite: bool = False,
    ) -> Ledger:
        """Create a ledger from an allocation run: one credit per account, in one write.

        Parameters
        ----------
        path : path-like
            The new file (``.gpkg``); written whole or not at all.
        allocation : Allocation
            From :func:`zan.scenario.run_scenario` (or any object with a ``table``
            indexed by territory code holding ``nom``, ``envelope_ha`` and optionally
            ``garantie_ha``, and ``totals`` with ``envelope_ha`` (regional),
            ``pene_ha`` and ``reserve_ha``).
        scenario : Scenario, optional
            The scenario run (its name and hash are stored with every credit).
        territories : Territories, optional
            Commune hierarchy (defaults to ``allocation.territories``): gives the
            commune → account links and the territory geometries.
        assignment : pandas.Series, optional
            Commune code → territory code, when ``territories`` is not available.
        period : str, optional
            Period of the allocation (default: the envelope's target period, else
            ``"2021-2030"``).
        author, justification : str, optional
            Who records it and why (e.g. the SRADDET deliberation).
        garantie_pools : bool, default True
            Keep each territory's garantie communale (``garantie_ha``) in a pool
            account of its own (not for commune-level allocations).
        overwrite : bool, default False
            Replace an existing file.

        Returns
        -------
        Ledger

        Raises
        ------
        LedgerError
            The file exists; communes or territories do not match; the
            allocation distributes more than the regional envelope.
        Examples
        --------
        >>> import tempfile, pathlib, pandas as pd
        >>> class Alloc:
        ...     table = pd.DataFrame({"nom": ["Amont"], "envelope_ha": [40.0]}, index=["A"])
        ...     totals = {"envelope_ha": 50.0, "reserve_ha": 10.0}
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "compte.gpkg"
        >>> ledger = Ledger.create(path, Alloc(), assignment=pd.Series({"99001": "A"}))
        >>> ledger.entries()["amount_ha"].tolist()  # A, the reserve, the (empty) PENE forfait
        [40.0, 10.0]
        """
        path = Path(path)
        check_new_path(path, overwrite=overwrite)
        plan = init_plan(
            allocation,
            scenario=scenario,
            territories=territories,
            assignment=assignment,
            period=period,
            author=author_name(author),
            justification=clean_text(justification, "justification"),
            garantie_pools=garantie_pools,
        )
        write_new(path, plan.write)
        return cls(path)

    def record_allocation(
        self,
        allocation: Any,
        *,
        period: str | tuple[int, int],
        justification: str,
        scenario: Any = None,
        author: str | None = None,
        garantie_pools: bool = True,
    ) -> int:
        """Record the allocation of a further period (2031-2040, 2041-2050) in one write.

        The same accounts are credited for ``period``: each territory with its
        envelope (less its garantie communale, kept in its pool account), the
        regional reserve with the reserve and what the rounding left
        undistributed, the PENE account with the period's forfait. The period's
        metric is net artificialisation from 2031 (loi n° 2021-1104 art. 191,
        DOMAIN.md §1: the SRADDET sets each decade's envelope), ENAF consumption
        before. Every write re-checks, for each allocated period, that the
        accounts and the reserve add up to the period's regional envelope.

        A scenario says which period its envelope is for (``[envelope]
        target_period = [2031, 2040]``, else its legal profile's: 2021-2030 or
        2024-2033; ``Envelope.target_period``): an allocation computed for another
        period is recorded for ``period`` all the same, and the labels of its credits
        name the period its envelope was computed for.

        Parameters
        ----------
        allocation : Allocation
            As in :meth:`create`, at the ledger's level: its territory codes must be
            exactly the ledger's territory accounts.
        period : str or (int, int)
            The period credited, e.g. ``"2031-2040"``; it must not overlap a period
            already allocated.
        justification : str
            E.g. the SRADDET deliberation; required.
        scenario : Scenario, optional
            The scenario run: its name, hash, file and the file's SHA-256 are
            stored with every credit (default: the allocation's name and hash).
        author : str, optional
            Who records it (default: the system user).
        garantie_pools : bool, default True
            Keep each territory's ``garantie_ha`` in its pool account (created when
            the first allocation had none for that territory).

        Returns
        -------
        int
            The operation number shared by the credits.

        Raises
        ------
        LedgerError
            The period already has an allocation (an allocation is never edited
            nor reversed: use transfers and grants, or a new ledger); the
            allocation's territories are not the ledger's accounts (the unknown
            and missing codes are named); it distributes more than its regional
            envelope.
        PeriodError
            The period is not a range of years, or overlaps an allocated period.
        DataError
            No justification.

        Examples
        --------
        >>> from types import SimpleNamespace
        >>> from zan.ledger import example_ledger
        >>> ledger = example_ledger()
        >>> alloc = SimpleNamespace(
        ...     table=pd.DataFrame({"envelope_ha": [100.0, 80.0, 60.0]}, index=["96", "98", "99"]),
        ...     totals={"envelope_ha": 260.0, "reserve_ha": 20.0, "pene_ha": 5.0})
        >>> op = ledger.record_allocation(alloc, period="2031-2040",
        ...                               justification="SRADDET, délibération 2030-114")
        >>> b = ledger.balance(period="2031-2040")
        >>> b.loc[["96", "reserve", "pene", "region"], "envelope_ha"].tolist()
        [100.0, 20.0, 5.0, 260.0]
        >>> print(ledger.periods.loc["2031-2040", "metric"])
        net_artificialisation
        >>> ledger.default_period
        '2021-2030'
        """
        plan = period_plan(
            allocation,
            period=period,
            scenario=scenario,
            author=author_name(author),
            justification=clean_text(justification, "allocation justification", required=True),
            garantie_pools=garantie_pools,
            ledger_level=self.level,
            names=self.accounts["nom"],
        )
        return self.write(lambda conn: plan.write(conn, self.source))

    # ------------------------------------------------------------------ envelope movements
    def transfer(
        self,
        from_account: str,
        to_account: str,
        ha: float,
        *,
        justification: str,
        label: str | None = None,
        date: Any = None,
        period: str | None = None,
        author: str | None = None,
        allow_overdraft: bool = False,
    ) -> int:
        """Move envelope from one account to another (pooling, with both agreements).

        Parameters
        ----------
        from_account, to_account : str
            Account codes (territories, garantie pools; the reserve may receive).
        ha : float
            Hectares, positive.
        justification : str
            The agreements of both parties (deliberation references); required.
        label : str, optional
            Short description (default: "Transfert de FROM vers TO").
        date : str or date, optional
            Date of effect (default today).
        period : str, optional
            Period (default: the allocated one holding ``date``).
        author : str, optional
            Who records it (default: the system user).
        allow_overdraft : bool, default False
            Allow a transfer above the giver's remaining balance.

        Returns
        -------
        int
            The operation number (both legs share it).

        Raises
        ------
        LedgerError
            Unknown account, PENE forfait involved, same account, or (without
            ``allow_overdraft``) more than the giver's remaining balance.
        DataError
            Amount not positive, date unreadable, justification missing.
        Examples
        --------
        >>> from zan.ledger import example_ledger
        >>> ledger = example_ledger()
        >>> op = ledger.transfer("96", "98", 2.5, date="2024-05-02",
        ...                      justification="délibérations CC 2024-17 et CA 2024-40")
        >>> ledger.history("98")["envelope_ha"].tolist()[-1]
        2.5
        """
        return moves.transfer(
            self,
            from_account,
            to_account,
            ha,
            justification=justification,
            label=label,
            date=date,
            period=period,
            author=author,
            allow_overdraft=allow_overdraft,
        )

    def grant(
        self,
        territory: str,
        ha: float,
        *,
        justification: str,
        label: str | None = None,
        project: int | None = None,
        date: Any = None,
        period: str | None = None,
        author: str | None = None,
        allow_overdraft: bool = False,
    ) -> int:
        """Grant hectares of the regional reserve to a territory (project of regional interest).

        Parameters
        ----------
        territory : str
            Receiving account.
        ha : float
            Hectares, positive.
        justification : str
            The decision (e.g. deliberation of the regional council); required.
        label : str, optional
            Short description.
        project : int, optional
            Project the grant is for (its id in the ledger).
        date, period, author, allow_overdraft
            As in :meth:`transfer` (the reserve's remaining balance is checked).

        Returns
        -------
        int
            The operation number.
        Examples
        --------
        >>> from zan.ledger import example_ledger
        >>> ledger = example_ledger()
        >>> op = ledger.grant("99", 12, justification="CR 2025-118", label="Port fluvial")
        >>> print(ledger.balance().loc["reserve", "remaining_ha"])
        38.0
        """
        return moves.grant(
            self,
            territory,
            ha,
            justification=justification,
            label=label,
            project=project,
            date=date,
            period=period,
            author=author,
            allow_overdraft=allow_overdraft,
        )

    def record_pene(
        self,
        ha: float,
        *,
        label: str,
        territory: str | None = None,
        justification: str = "",
        year: int | None = None,
        date: Any = None,
        period: str | None = None,
        author: str | None = None,
    ) -> int:
        """Record a national project's consumption against the PENE forfait.

        The Cerema file counts the project's consumption in its commune: with
        ``territory`` given, the same hectares are taken off that territory's
        consumption, so that the territory does not bear it (loi n° 2023-630).

        Parameters
        ----------
        ha : float
            Hectares consumed, positive.
        label : str
            The project (e.g. "Canal Seine-Nord Europe, tronçon 2").
        territory : str, optional
            Account of the territory where the Cerema file counts it.
        justification : str
            E.g. the arrêté listing the project.
        year : int, optional
            Year of the consumption (default: the date's).
        date, period, author
            As in :meth:`transfer`.

        Returns
        -------
        int
            The operation number.
        Examples
        --------
        >>> from zan.ledger import example_ledger
        >>> ledger = example_ledger()
        >>> op = ledger.record_pene(4, label="Ligne nouvelle", territory="98", year=2024,
        ...                         date="2024-12-31", justification="arrêté du 31 mai 2024")
        >>> ledger.balance().loc[["pene", "98"], "consumed_ha"].tolist()
        [4.0, -4.0]
        """
        return moves.record_pene(
            self,
            ha,
            label=label,
            territory=territory,
            justification=justification,
            year=year,
            date=date,
            period=period,
            author=author,
        )

    def reverse(
        self,
        entry: int,
        *,
        justification: str,
        date: Any = None,
        author: str | None = None,
    ) -> list[int]:
        """Correct a mistake by reversing an entry (and the other legs of its operation).

        The reversing entries carry the opposite amounts, the same date of effect
        (unless ``date`` is given) and ``reverses`` = the id corrected; nothing
        is edited. Transfers, grants and PENE records are reversed whole; an
        allocation cannot be reversed (the regional envelope would no longer add up).

        Parameters
        ----------
        entry : int
            Id of the entry to reverse.
        justification : str
            Why; required.
        date : str or date, optional
            Date of effect of the reversal (default: the original's).
        author : str, optional
            Who records it.

        Returns
        -------
        list of int
            Ids of the reversing entries.
        Examples
        --------
        >>> from zan.ledger import example_ledger
        >>> ledger = example_ledger()
        >>> op = ledger.transfer("96", "98", 1, justification="accord")
        >>> first = ledger.entries(kind="transfer").index[0]
        >>> ledger.reverse(first, justification="accord annulé")  # both legs
        [8, 9]
        >>> print(ledger.balance().loc["98", "transferred_ha"])
        0.0
        """
        return moves.reverse(self, entry, justification=justification, date=date, author=author)

    # ------------------------------------------------------------------ imports
    def import_consumption(
        self,
        path: str | os.PathLike[str],
        *,
        passage: str | os.PathLike[str] | pd.DataFrame | None = None,
        code_column: str | None = None,
        author: str | None = None,
        justification: str = "",
        allow_older: bool = False,
    ) -> ImportReport:
        """Import a Cerema consumption vintage (:func:`zan.ledger.imports.import_consumption`).

        New years are recorded, revised years adjusted; the same file again changes
        nothing.
        """
        return imports.import_consumption(
            self,
            path,
            passage=passage,
            code_column=code_column,
            author=author,
            justification=justification,
            allow_older=allow_older,
        )

    def import_artificialisation(
        self,
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

        See :func:`zan.ledger.imports.import_artificialisation`.
        """
        return imports.import_artificialisation(
            self,
            data,
            year=year,
            vintage=vintage,
            passage=passage,
            code_column=code_column,
            author=author,
            justification=justification,
            allow_older=allow_older,
        )

    # ------------------------------------------------------------------ projects
    def add_project(
        self,
        territory: str,
        *,
        label: str,
        parcels: str | Sequence[str] | None = None,
        geometry: Any = None,
        cadastre: Any = None,
        landcover: Any = None,
        parcel_table: pd.DataFrame | None = None,
        enaf_ha: float | None = None,
        justification: str = "",
        date: Any = None,
        period: str | None = None,
        author: str | None = None,
    ) -> int:
        """Commit a project on a territory's account; return its id.

        See :func:`zan.ledger.projects.add_project`.
        """
        return projects.add_project(
            self,
            territory,
            label=label,
            parcels=parcels,
            geometry=geometry,
            cadastre=cadastre,
            landcover=landcover,
            parcel_table=parcel_table,
            enaf_ha=enaf_ha,
            justification=justification,
            date=date,
            period=period,
            author=author,
        )

    def realise_project(
        self,
        project: int,
        *,
        justification: str = "",
        date: Any = None,
        author: str | None = None,
    ) -> int:
        """Mark a planned project realised (:func:`zan.ledger.projects.realise_project`)."""
        return projects.realise_project(
            self, project, justification=justification, date=date, author=author
        )

    def abandon_project(
        self,
        project: int,
        *,
        justification: str = "",
        date: Any = None,
        author: str | None = None,
    ) -> int:
        """Mark a planned project abandoned (:func:`zan.ledger.projects.abandon_project`)."""
        return projects.abandon_project(
            self, project, justification=justification, date=date, author=author
        )

    def projects(self) -> pd.DataFrame:
        """Every project with its status (:func:`zan.ledger.projects.projects`)."""
        return projects.projects(self)

    # ------------------------------------------------------------------ balances
    def balance(
        self,
        at: Any = None,
        *,
        period: str | None = None,
        known_at: Any = None,
        consolidate: bool = True,
        region: bool = True,
    ) -> pd.DataFrame:
        """The balance of every account at a date (:func:`zan.ledger.balance.balances`).

        With pace, projection, status and run-out year, per period.
        """
        return balance.balances(
            self, at, period=period, known_at=known_at, consolidate=consolidate, region=region
        )

    def history(
        self, account: str, *, period: str | None = None, include_pool: bool = True
    ) -> pd.DataFrame:
        """Every entry of one account, with the running balance (:func:`zan.ledger.balance.history`)."""
        return balance.history(self, account, period=period, include_pool=include_pool)

    def map_frame(
        self, at: Any = None, *, period: str | None = None, territories: Any = None
    ) -> Any:
        """Balance and status of each territory with its geometry (:func:`zan.ledger.balance.map_frame`)."""
        return balance.map_frame(self, at, period=period, territories=territories)

    # ------------------------------------------------------------------ verification
    def verify(self, *, expected_head: str | None = None, strict: bool = False) -> VerifyReport:
        """Re-check the SHA-256 chain and every invariant of the ledger.

        Checked: the hash chain of every entry (an edited, deleted or inserted row
        is found); the head recorded by the last write; the append-only triggers;
        per allocated period, that the accounts and the reserve add up to the
        regional envelope and the PENE account to the forfait; that the legs of
        every transfer and grant cancel out; that every project's commitment is
        0 or its ENAF area; optionally, that the head equals a published one.

        Parameters
        ----------
        expected_head : str, optional
            A head hash published earlier (the chain must still contain it).
        strict : bool, default False
            Raise :class:`~zan.errors.IntegrityError` when a check fails.

        Returns
        -------
        VerifyReport
        Examples
        --------
        >>> from zan.ledger import example_ledger
        >>> report = example_ledger().verify()
        >>> report.ok, report.entries, len(report.head)
        (True, 5, 64)
        """
        return verify.verify_ledger(
            self.connection, self.source, expected_head=expected_head, strict=strict
        )

    def _write(self, fn: Any) -> Any:
        # The former name of Book.write, kept for code that called it.
        return self.write(fn)
