"""The :class:`Ledger`: open, create, and write to the compte foncier régional.

Accounts are described in :mod:`zan.ledger.accounts`. Every write is one
transaction (:func:`zan.ledger.store.write_transaction`) that re-checks, for each
allocated period, the invariant ``Σ accounts + reserve == regional envelope`` (and
the PENE forfait) before it commits (:func:`zan.ledger.verify.check_invariants`).
The ledger is created with the allocation of its first period
(:meth:`Ledger.create`); each further period gets its own, once
(:meth:`Ledger.record_allocation`).
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path
from typing import Any

import pandas as pd

from .._write import atomic_path
from ..errors import LedgerError, PeriodError, Problem
from . import balance as _balance
from . import imports as _imports
from . import projects as _projects
from . import store
from .accounts import PENE, RESERVE, _author, _text
from .entries import (
    LEGAL_PERIODS,
    M2_PER_HA,
    _next_operation,
    _raise_integrity,
    append_entries,
    parse_date,
    to_m2,
    verify_chain,
)
from .verify import VerifyReport, _invariant_problems, check_invariants

__all__ = ["Ledger"]


class Ledger:
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

    Parameters
    ----------
    path : path-like
        The ledger file (``.gpkg``).
    busy_timeout_ms : int, default 10000
        Wait for a lock held by another process before retrying.
    retries : int, default 8
        Retries (with exponential backoff) after the busy timeout.

    Raises
    ------
    LedgerError
        The file does not exist or is not a zan ledger, or was written by a newer zan.

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

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout_ms: int = store.BUSY_TIMEOUT_MS,
        retries: int = store.RETRIES,
    ) -> None:
        self.path = Path(path)
        self.source = str(self.path)
        self.retries = retries
        self._conn = store.connect(self.path, busy_timeout_ms=busy_timeout_ms)
        try:
            app = self._conn.execute("PRAGMA application_id").fetchone()[0]
            version = store.schema_version(self._conn)
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            raise LedgerError(
                f"{self.source}: not a zan ledger ({exc}); check the file name"
            ) from None
        if app != store.GPKG_APPLICATION_ID or version == 0:
            self._conn.close()
            raise LedgerError(
                f"{self.source}: not a zan ledger (no ledger schema in this file); "
                "create one with: zan ledger init LEDGER.gpkg --scenario S.toml"
            )
        if version != store.SCHEMA_VERSION:
            try:  # upgrades an older file; refuses one written by a newer zan
                store.migrate(self._conn, source=self.source)
            except LedgerError:
                self._conn.close()
                raise

    # ------------------------------------------------------------------ life cycle
    def close(self) -> None:
        """Close the connection (the object can no longer be used)."""
        self._conn.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        n = self._conn.execute("SELECT COUNT(*) FROM entries").fetchone()[0]
        k = self._conn.execute("SELECT COUNT(*) FROM accounts").fetchone()[0]
        return f"<Ledger {self.source}: {k} accounts, {n:,} entries, period {self.default_period}>"

    @property
    def connection(self) -> sqlite3.Connection:
        """The SQLite connection (autocommit; writes go through :meth:`_write`)."""
        return self._conn

    def _write(self, fn: Any) -> Any:
        return store.write_transaction(self._conn, fn, source=self.source, retries=self.retries)

    def _meta(self, key: str) -> str | None:
        row = self._conn.execute("SELECT value FROM ledger_meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    @property
    def default_period(self) -> str:
        """The period of the first allocation recorded (e.g. ``"2021-2030"``)."""
        return self._meta("default_period") or LEGAL_PERIODS[0]

    @property
    def level(self) -> str:
        """The allocation level of the territory accounts."""
        return self._meta("level") or "territoire"

    @property
    def accounts(self) -> pd.DataFrame:
        """Accounts, indexed by ``code``: ``account_type``, ``nom``, ``territory``, ``level``.

        Examples
        --------
        >>> from zan.ledger import example_ledger
        >>> example_ledger().accounts.loc["reserve", "nom"]
        'Réserve régionale'
        """
        df = pd.read_sql_query("SELECT * FROM accounts ORDER BY rowid", self._conn)
        return df.set_index("code")

    @property
    def periods(self) -> pd.DataFrame:
        """Periods, indexed by ``period``, with ``envelope_ha`` and ``pene_ha`` when allocated.

        Examples
        --------
        >>> from zan.ledger import example_ledger
        >>> example_ledger().periods["pene_ha"].tolist()[:1]
        [10.0]
        """
        df = pd.read_sql_query("SELECT * FROM periods ORDER BY start_year, end_year", self._conn)
        df["envelope_ha"] = df["envelope_m2"] / M2_PER_HA
        df["pene_ha"] = df["pene_m2"] / M2_PER_HA
        return df.set_index("period")

    @property
    def communes(self) -> pd.Series:
        """Account of each commune (indexed by commune code).

        Examples
        --------
        >>> from zan.ledger import example_ledger
        >>> example_ledger().communes["96001"]
        '96'
        """
        df = pd.read_sql_query("SELECT code, account FROM communes ORDER BY code", self._conn)
        return df.set_index("code")["account"]

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
        if path.exists() and not overwrite:
            raise LedgerError(
                f"{path}: a file already exists; choose another name "
                "or pass overwrite=True (--force)"
            )
        if path.with_name(path.name + "-wal").exists():
            raise LedgerError(
                f"{path}: the file is open in another program (its -wal journal exists); "
                "close it there before replacing it"
            )
        from .allocation import _init_plan

        plan = _init_plan(
            allocation,
            scenario=scenario,
            territories=territories,
            assignment=assignment,
            period=period,
            author=_author(author),
            justification=_text(justification, "justification"),
            garantie_pools=garantie_pools,
        )
        with atomic_path(path) as tmp:
            conn = store.connect(tmp, create=True)
            try:
                store.create_schema(conn)
                store.write_transaction(conn, plan.write, source=str(path))
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                conn.close()
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
        from .allocation import _period_plan

        plan = _period_plan(
            allocation,
            period=period,
            scenario=scenario,
            author=_author(author),
            justification=_text(justification, "allocation justification", required=True),
            garantie_pools=garantie_pools,
            ledger_level=self.level,
            names=self.accounts["nom"],
        )
        return self._write(lambda conn: plan.write(conn, self.source))

    # ------------------------------------------------------------------ checks
    def _account(
        self, conn: sqlite3.Connection, code: Any, *, what: str = "account"
    ) -> tuple[str, str]:
        code = str(code).strip()
        row = conn.execute(
            "SELECT code, account_type FROM accounts WHERE code = ?", (code,)
        ).fetchone()
        if row is None:
            codes = [r[0] for r in conn.execute("SELECT code FROM accounts ORDER BY rowid LIMIT 8")]
            raise LedgerError(
                f"{self.source}: unknown {what} {code!r}; accounts are e.g. {', '.join(codes)} "
                "(zan ledger balance lists them all)"
            )
        return str(row[0]), str(row[1])

    def _period_for(self, conn: sqlite3.Connection, period: Any, date: str) -> tuple[str, str]:
        """(period, metric) of a write: the one given, or the allocated one holding the date."""
        rows = conn.execute(
            "SELECT period, start_year, end_year, metric, envelope_m2 FROM periods"
        ).fetchall()
        if period is not None:
            text = str(period).strip()
            match = [r for r in rows if r[0] == text]
            if not match:
                raise PeriodError(
                    f"{self.source}: unknown period {period!r}; the ledger's periods are "
                    f"{', '.join(r[0] for r in rows)}"
                )
            r = match[0]
        else:
            year = int(date[:4])
            match = [r for r in rows if r[1] <= year <= r[2] and r[4] is not None]
            if not match:
                allocated = [r[0] for r in rows if r[4] is not None]
                raise PeriodError(
                    f"{self.source}: the date {date} falls in no allocated period "
                    f"(allocated: {', '.join(allocated) or 'none'}); give a date within one, "
                    "or record the allocation of that period first"
                )
            r = match[0]
        if r[4] is None:
            raise PeriodError(
                f"{self.source}: period {r[0]} has no envelope yet; record its allocation first"
            )
        return str(r[0]), str(r[3])

    def _remaining_m2(self, conn: sqlite3.Connection, account: str, period: str) -> int:
        row = conn.execute(
            "SELECT COALESCE(SUM(CASE WHEN kind IN ('allocation', 'reserve_grant', 'transfer') "
            "THEN amount_m2 ELSE -amount_m2 END), 0) FROM entries WHERE account = ? AND period = ?",
            (account, period),
        ).fetchone()
        return int(row[0])

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
        m2 = to_m2(ha, what="transfer amount")
        why = _text(justification, "transfer justification", required=True)
        when = parse_date(date)
        who = _author(author)

        def write(conn: sqlite3.Connection) -> int:
            src, src_type = self._account(conn, from_account, what="giving account")
            dst, dst_type = self._account(conn, to_account, what="receiving account")
            if src == dst:
                raise LedgerError(
                    f"{self.source}: transfer from {src!r} to itself; give two accounts"
                )
            if PENE in (src_type, dst_type):
                raise LedgerError(
                    f"{self.source}: the PENE forfait is counted apart and takes no transfer; "
                    "record national projects with record_pene (zan ledger pene)"
                )
            if src_type == "reserve":
                raise LedgerError(
                    f"{self.source}: hectares leave the regional reserve by a grant "
                    "(zan ledger grant), not a transfer"
                )
            return self._move(
                conn,
                src,
                dst,
                m2,
                period=period,
                when=when,
                kind="transfer",
                action="transfer",
                label=label or f"Transfert de {src} vers {dst}",
                author=who,
                justification=why,
                allow_overdraft=allow_overdraft,
            )

        return self._write(write)

    def _move(
        self,
        conn: sqlite3.Connection,
        src: str,
        dst: str,
        m2: int,
        *,
        period: Any,
        when: str,
        kind: str,
        action: str,
        label: str,
        author: str,
        justification: str,
        allow_overdraft: bool,
        project: int | None = None,
    ) -> int:
        """Move ``m2`` from one account to another (two legs of one operation), checked."""
        per, metric = self._period_for(conn, period, when)
        self._check_balance(conn, src, per, m2, allow_overdraft, kind.replace("reserve_", ""))
        op = _next_operation(conn)
        common = dict(
            operation=op,
            effective_date=when,
            period=per,
            metric=metric,
            kind=kind,
            action=action,
            label=label,
            author=author,
            justification=justification,
            project=project,
        )
        legs = [
            {**common, "account": src, "counterpart": dst, "amount_m2": -m2},
            {**common, "account": dst, "counterpart": src, "amount_m2": m2},
        ]
        append_entries(conn, pd.DataFrame(legs), recorded_at=store._now())
        check_invariants(conn, self.source)
        return op

    def _check_balance(
        self, conn: sqlite3.Connection, account: str, period: str, m2: int, allow: bool, what: str
    ) -> None:
        remaining = self._remaining_m2(conn, account, period)
        if m2 > remaining and not allow:
            raise LedgerError(
                f"{self.source}: {what} of {m2 / M2_PER_HA:,.4f} ha from {account!r} exceeds its "
                f"remaining balance for {period} ({remaining / M2_PER_HA:,.4f} ha); lower the "
                "amount, or pass allow_overdraft=True (--allow-overdraft) if the governance agreed"
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
        m2 = to_m2(ha, what="grant amount")
        why = _text(justification, "grant justification", required=True)
        when = parse_date(date)
        who = _author(author)

        def write(conn: sqlite3.Connection) -> int:
            dst, dst_type = self._account(conn, territory, what="territory")
            if dst_type not in ("territoire", "garantie"):
                raise LedgerError(
                    f"{self.source}: the reserve grants to territories; "
                    f"{dst!r} is the {dst_type} account"
                )
            if project is not None:
                row = conn.execute(
                    "SELECT account FROM projects WHERE fid = ?", (int(project),)
                ).fetchone()
                if row is None:
                    raise LedgerError(
                        f"{self.source}: unknown project {project!r}; see zan ledger history"
                    )
            return self._move(
                conn,
                RESERVE,
                dst,
                m2,
                period=period,
                when=when,
                kind="reserve_grant",
                action="grant",
                label=label or f"Attribution de la réserve régionale à {dst}",
                author=who,
                justification=why,
                allow_overdraft=allow_overdraft,
                project=None if project is None else int(project),
            )

        return self._write(write)

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
        m2 = to_m2(ha, what="PENE amount")
        what = _text(label, "PENE label", required=True)
        when = parse_date(date)
        who = _author(author)
        flow_year = int(year) if year is not None else int(when[:4])

        def write(conn: sqlite3.Connection) -> int:
            rows = []
            per, metric = self._period_for(conn, period, when)
            op = _next_operation(conn)
            common = dict(
                operation=op,
                effective_date=when,
                period=per,
                metric=metric,
                kind="pene",
                label=what,
                author=who,
                justification=_text(justification, "justification"),
                year=flow_year,
            )
            rows.append(
                {**common, "account": PENE, "action": "pene", "amount_m2": m2, "counterpart": None}
            )
            if territory is not None:
                dst, dst_type = self._account(conn, territory, what="territory")
                if dst_type != "territoire":
                    raise LedgerError(f"{self.source}: {dst!r} is not a territory account")
                rows[0]["counterpart"] = dst
                rows.append(
                    {
                        **common,
                        "account": dst,
                        "action": "offset",
                        "amount_m2": -m2,
                        "counterpart": PENE,
                    }
                )
            append_entries(conn, pd.DataFrame(rows), recorded_at=store._now())
            check_invariants(conn, self.source)
            return op

        return self._write(write)

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
        why = _text(justification, "reversal justification", required=True)
        who = _author(author)
        when = None if date is None else parse_date(date)

        def write(conn: sqlite3.Connection) -> list[int]:
            cols = (
                "id",
                "operation",
                "effective_date",
                "period",
                "metric",
                "kind",
                "action",
                "account",
                "counterpart",
                "amount_m2",
                "year",
                "project",
                "label",
                "reverses",
            )
            row = conn.execute(
                f"SELECT {', '.join(cols)} FROM entries WHERE id = ?", (int(entry),)
            ).fetchone()
            if row is None:
                raise LedgerError(
                    f"{self.source}: no entry {entry!r}; zan ledger history lists them"
                )
            e = dict(zip(cols, row, strict=True))
            if e["kind"] == "allocation":
                raise LedgerError(
                    f"{self.source}: entry {entry} is an allocation credit; it cannot be reversed "
                    "alone (the accounts would no longer add up to the regional envelope): move "
                    "hectares with transfers or grants instead"
                )
            if e["reverses"] is not None:
                raise LedgerError(
                    f"{self.source}: entry {entry} is itself a reversal; "
                    "record the operation again instead"
                )
            if e["kind"] in ("transfer", "reserve_grant", "pene"):
                rows = conn.execute(
                    f"SELECT {', '.join(cols)} FROM entries WHERE operation = ? AND kind = ? "
                    "AND reverses IS NULL ORDER BY id",
                    (e["operation"], e["kind"]),
                ).fetchall()
                legs = [dict(zip(cols, r, strict=True)) for r in rows]
            else:
                legs = [e]
            ids = [leg["id"] for leg in legs]
            done = conn.execute(
                f"SELECT reverses FROM entries WHERE reverses IN ({', '.join('?' * len(ids))})", ids
            ).fetchall()
            if done:
                raise LedgerError(f"{self.source}: entry {done[0][0]} was already reversed")
            if e["kind"] == "project":
                from .projects import _project_actions

                actions = _project_actions(conn, e["project"])
                if not actions or actions[-1][0] != e["id"]:
                    raise LedgerError(
                        f"{self.source}: entry {entry} is not the last action of project "
                        f"{e['project']}; reverse the later ones first"
                    )
            op = _next_operation(conn)
            frame = pd.DataFrame(legs)
            frame["reverses"] = frame["id"]
            frame["amount_m2"] = -frame["amount_m2"]
            frame["operation"] = op
            frame["action"] = "reversal"
            frame["label"] = [
                f"Annulation de l'écriture {i} : {t}"
                for i, t in zip(frame["id"], frame["label"], strict=True)
            ]
            frame["author"] = who
            frame["justification"] = why
            if when is not None:
                frame["effective_date"] = when
            first, last = append_entries(conn, frame.drop(columns="id"), recorded_at=store._now())
            check_invariants(conn, self.source)
            return list(range(first, last + 1))

        return self._write(write)

    # ------------------------------------------------------------------ the other writes and reads
    # (functions of their own modules, bound here as methods)
    import_consumption = _imports.import_consumption
    import_artificialisation = _imports.import_artificialisation
    add_project = _projects.add_project
    realise_project = _projects.realise_project
    abandon_project = _projects.abandon_project
    projects = _projects.projects
    balance = _balance.balances
    history = _balance.history
    map_frame = _balance.map_frame

    def entries(self, *, account: str | None = None, kind: str | None = None) -> pd.DataFrame:
        """All entries (or one account's, or one kind's), indexed by ``id``, with ``amount_ha``.

        Examples
        --------
        >>> from zan.ledger import example_ledger
        >>> e = example_ledger().entries(kind="allocation")
        >>> e["account"].tolist()
        ['96', '98', '99', 'reserve', 'pene']
        """
        sql, args = "SELECT * FROM entries", []
        where = []
        if account is not None:
            where.append("account = ?")
            args.append(str(account))
        if kind is not None:
            where.append("kind = ?")
            args.append(str(kind))
        if where:
            sql += " WHERE " + " AND ".join(where)
        df = pd.read_sql_query(sql + " ORDER BY id", self._conn, params=args)
        df["amount_ha"] = df["amount_m2"] / M2_PER_HA
        return df.set_index("id")

    def imports(self) -> pd.DataFrame:
        """The vintages imported, in order (file, SHA-256, years, metric, entries written).

        Examples
        --------
        >>> from zan.ledger import example_ledger
        >>> len(example_ledger().imports())
        0
        """
        return pd.read_sql_query("SELECT * FROM imports ORDER BY id", self._conn).set_index("id")

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
        conn = self._conn
        with store._read_snapshot(conn):
            problems, count, head = verify_chain(conn)
            checks = ["SHA-256 chain of every entry", "head recorded by the last write"]
            triggers = {
                r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            }
            for name in store.APPEND_ONLY_TRIGGERS:
                if name not in triggers:
                    problems.append(
                        Problem(
                            "schema",
                            f"trigger {name} is missing: the append-only protection was removed",
                            row=name,
                            fix="restore the file from a backup",
                        )
                    )
            checks.append("append-only triggers")
            problems += _invariant_problems(conn)
            checks += [
                "Σ accounts + reserve = regional envelope, PENE = forfait",
                "transfers and grants balance",
                "project commitments",
            ]
            if expected_head is not None:
                checks.append("published head")
                found = conn.execute(
                    "SELECT id FROM entries WHERE hash = ?", (expected_head,)
                ).fetchone()
                if found is None:
                    problems.append(
                        Problem(
                            "entries",
                            f"the published head {expected_head} is not in "
                            "the chain: the ledger was rewritten",
                            fix="restore the file from a backup",
                        )
                    )
        report = VerifyReport(not problems, count, head, tuple(problems), tuple(checks))
        if strict:
            _raise_integrity(problems, self.source)
        return report
