"""The ledger's kernel: :class:`Book` owns the file, its write transactions, accounts and periods.

A :class:`Book` is an open ledger file: its SQLite connection (opened, checked and
migrated to the current schema), its write transactions (:meth:`Book.write`: one
transaction, retried while another process holds the lock), the accounts and
periods it holds, and the checks every write shares (:meth:`Book.account`,
:meth:`Book.period_for`, :meth:`Book.remaining_m2`, :meth:`Book.append`: entries
appended to the hash chain under a new operation number, then the invariants of
every allocated period re-checked before the commit).

The modules that write and read the ledger take a Book: :mod:`~zan.ledger.moves`
(grants, transfers, PENE, reversals), :mod:`~zan.ledger.imports`,
:mod:`~zan.ledger.projects`, :mod:`~zan.ledger.balance`, :mod:`~zan.ledger.verify`.
:class:`zan.ledger.Ledger` is a Book with one method per operation, each delegating
to its module; this module imports none of them.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd

from .._write import atomic_path
from ..errors import LedgerError, PeriodError
from . import access, store
from .entries import LEGAL_PERIODS, M2_PER_HA, append_entries
from .lines import line_filter
from .verify import check_invariants

__all__ = ["Book", "check_new_path", "write_new"]

T = TypeVar("T")


def check_new_path(path: Path, *, overwrite: bool = False) -> None:
    """Refuse to create a ledger over an existing file (unless ``overwrite``) or an open one.

    Raises
    ------
    LedgerError
        The file exists (without ``overwrite``), or its ``-wal`` journal does.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> check_new_path(pathlib.Path(tempfile.mkdtemp()) / "compte.gpkg")  # nothing to say
    """
    if path.exists() and not overwrite:
        raise LedgerError(
            f"{path}: a file already exists; choose another name or pass overwrite=True (--force)"
        )
    if path.with_name(path.name + "-wal").exists():
        raise LedgerError(
            f"{path}: the file is open in another program (its -wal journal exists); "
            "close it there before replacing it"
        )


def write_new(path: Path, write: Callable[[sqlite3.Connection], Any]) -> None:
    """Create a ledger file whole or not at all: the schema, then ``write`` in one transaction.

    The file is written beside ``path`` and moved in place once complete
    (:func:`zan._write.atomic_path`).
    """
    with atomic_path(path) as tmp:
        conn = store.connect(tmp, create=True)
        try:
            store.create_schema(conn)
            store.write_transaction(conn, write, source=str(path))
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            conn.close()


class Book:
    """An open ledger file: connection, write transactions, accounts and periods.

    Parameters
    ----------
    path : path-like
        The ledger file (``.gpkg``).
    busy_timeout_ms : int, default 10000
        Wait for a lock held by another process before retrying.
    retries : int, default 8
        Retries (with exponential backoff) after the busy timeout.
    readonly : bool, optional
        Open the file read-only (SQLite ``mode=ro``): every read works, every write
        raises :class:`~zan.errors.LedgerReadOnlyError`. By default, read-only when
        this process may not write the file or its folder
        (:func:`zan.ledger.access.writable`).

    Raises
    ------
    LedgerError
        The file does not exist or is not a zan ledger, or was written by a newer zan.
    LedgerDamagedError
        SQLite cannot read the file (raised by any method that reads a damaged part).

    Examples
    --------
    >>> from zan.ledger import example_ledger
    >>> book = Book(example_ledger().path)
    >>> book.level, book.default_period, book.account(book.connection, "reserve")
    ('departement', '2021-2030', ('reserve', 'reserve'))
    >>> book.close()
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        busy_timeout_ms: int = store.BUSY_TIMEOUT_MS,
        retries: int = store.RETRIES,
        readonly: bool | None = None,
    ) -> None:
        self.path = Path(path)
        self.source = str(self.path)
        self.retries = retries
        self._readonly_reason = "opened for reading only"
        if readonly is None:
            readonly = self.path.is_file() and not access.writable(self.path)
            self._readonly_reason = "no write permission on the file or its folder"
        self.readonly = bool(readonly)
        try:
            if self.readonly:
                self._conn = access.connect_readonly(self.path, busy_timeout_ms=busy_timeout_ms)
            else:
                self._conn = store.connect(self.path, busy_timeout_ms=busy_timeout_ms)
        except LedgerError as exc:
            cause = exc.__context__
            if isinstance(cause, sqlite3.Error) and access.is_damage(cause):
                raise access.damaged_error(self.source, cause) from None
            raise
        try:
            app = self._conn.execute("PRAGMA application_id").fetchone()[0]
            version = store.schema_version(self._conn)
        except sqlite3.DatabaseError as exc:
            self._conn.close()
            if access.is_damage(exc):
                raise access.damaged_error(self.source, exc) from None
            raise LedgerError(
                f"{self.source}: not a zan ledger ({exc}); check the file name"
            ) from None
        if app != store.GPKG_APPLICATION_ID or version == 0:
            self._conn.close()
            raise LedgerError(
                f"{self.source}: not a zan ledger (no ledger schema in this file); "
                "create one with: zan ledger init LEDGER.gpkg --scenario S.toml"
            )
        if 0 < version < store.SCHEMA_VERSION and self.readonly:
            if not access.writable(self.path):
                self._conn.close()
                raise access.readonly_error(
                    self.source,
                    f"its schema, version {version}, must be upgraded to version "
                    f"{store.SCHEMA_VERSION} once by a zan that may write it",
                )
            upgrade = store.connect(self.path, busy_timeout_ms=busy_timeout_ms)
            try:  # an older file is upgraded once, even when opened for reading
                store.migrate(upgrade, source=self.source)
            finally:
                upgrade.close()
            version = store.schema_version(self._conn)
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

    def __enter__(self: T) -> T:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        n = self._conn.execute(
            "SELECT (SELECT COUNT(*) FROM entries WHERE action != 'vintage') "
            "+ (SELECT COUNT(*) FROM import_lines)"
        ).fetchone()[0]
        k = self._conn.execute("SELECT COUNT(*) FROM accounts").fetchone()[0]
        name = type(self).__name__
        return f"<{name} {self.source}: {k} accounts, {n:,} entries, period {self.default_period}>"

    @property
    def connection(self) -> sqlite3.Connection:
        """The SQLite connection (autocommit; writes go through :meth:`write`)."""
        return self._conn

    def write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn(connection)`` in one write transaction, retried while the file is locked.

        Whatever ``fn`` raises rolls the whole write back
        (:func:`zan.ledger.store.write_transaction`).
        """
        if self.readonly:
            raise access.readonly_error(self.source, self._readonly_reason)
        try:
            return store.write_transaction(self._conn, fn, source=self.source, retries=self.retries)
        except LedgerError as exc:
            cause = exc.__cause__
            if isinstance(cause, sqlite3.Error) and access.is_readonly(cause):
                raise access.readonly_error(self.source, str(cause)) from cause
            if isinstance(cause, sqlite3.Error) and access.is_damage(cause):
                raise access.damaged_error(self.source, cause) from cause
            raise

    def __init_subclass__(cls, **kwargs: Any) -> None:
        # Every public method of a ledger says "damaged" or "read-only", never sqlite3's words.
        super().__init_subclass__(**kwargs)
        access.guard_class(cls)

    def meta(self, key: str) -> str | None:
        """A value of the ledger's ``ledger_meta`` table (e.g. ``"head"``), or None.

        Examples
        --------
        >>> from zan.ledger import example_ledger
        >>> example_ledger().meta("level")
        'departement'
        """
        row = self._conn.execute("SELECT value FROM ledger_meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    # ------------------------------------------------------------------ accounts and periods
    @property
    def default_period(self) -> str:
        """The period of the first allocation recorded (e.g. ``"2021-2030"``)."""
        return self.meta("default_period") or LEGAL_PERIODS[0]

    @property
    def level(self) -> str:
        """The allocation level of the territory accounts."""
        return self.meta("level") or "territoire"

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

    def entries(self, *, account: str | None = None, kind: str | None = None) -> pd.DataFrame:
        """All entries (or one account's, or one kind's), indexed by ``id``, with ``amount_ha``.

        The lines of a vintage import are listed as the consumption entries they
        stand for (``prev_hash`` empty, ``hash`` that of the import's entry, which
        seals them and is itself listed by :meth:`imports`; :mod:`zan.ledger.lines`).

        Examples
        --------
        >>> from zan.ledger import example_ledger
        >>> e = example_ledger().entries(kind="allocation")
        >>> e["account"].tolist()
        ['96', '98', '99', 'reserve', 'pene']
        """
        sql, args = "SELECT * FROM ledger_entries", []
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

    # ------------------------------------------------------------------ checks shared by the writes
    def account(
        self, conn: sqlite3.Connection, code: Any, *, what: str = "account"
    ) -> tuple[str, str]:
        """(code, account type) of an account, read in ``conn``; an unknown code is refused.

        Raises
        ------
        LedgerError
            No such account (a few codes are named).
        """
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

    def period_for(self, conn: sqlite3.Connection, period: Any, date: str) -> tuple[str, str]:
        """(period, metric) of a write: the one given, or the allocated one holding the date.

        Raises
        ------
        PeriodError
            Unknown period, a date in no allocated period, or a period without envelope.

        Examples
        --------
        >>> from zan.ledger import example_ledger
        >>> book = example_ledger()
        >>> book.period_for(book.connection, None, "2024-05-02")
        ('2021-2030', 'enaf_consumption')
        """
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

    def remaining_m2(self, conn: sqlite3.Connection, account: str, period: str) -> int:
        """Remaining balance of an account for a period, in m² (envelope − consumed − committed).

        Examples
        --------
        >>> from zan.ledger import example_ledger
        >>> book = example_ledger()
        >>> book.remaining_m2(book.connection, "reserve", "2021-2030")
        500000
        """
        row = conn.execute(
            "SELECT COALESCE(SUM(CASE WHEN kind IN ('allocation', 'reserve_grant', 'transfer') "
            "THEN amount_m2 ELSE -amount_m2 END), 0) FROM entries WHERE account = ? AND period = ?",
            (account, period),
        ).fetchone()
        where, args = line_filter(conn, period, accounts=[account])  # the imports' lines
        lines = conn.execute(
            f"SELECT COALESCE(SUM(l.amount_m2), 0) FROM import_lines l WHERE {where}", args
        ).fetchone()
        return int(row[0]) - int(lines[0])

    def append(
        self, conn: sqlite3.Connection, entries: pd.DataFrame | dict[str, Any]
    ) -> tuple[int, int]:
        """Append entries to the hash chain, then re-check the invariants (inside a write).

        Returns the first and last ids written; an invariant broken raises
        :class:`~zan.errors.IntegrityError`, which rolls the write back.
        """
        ids = append_entries(conn, entries, recorded_at=store.now_utc())
        check_invariants(conn, self.source)
        return ids


access.guard_class(Book)
