"""Opening a ledger file for reading or writing; damaged and read-only files said clearly.

Reading never needs write access: a ledger that the user cannot write (a read-only
file, a file in a read-only folder, another user's file on a shared drive) is
opened read-only (SQLite URI ``mode=ro``), so that ``zan ledger balance``,
``history``, ``verify``, ``map`` and the exports work; a write to it is refused
with :class:`~zan.errors.LedgerReadOnlyError`.

A file SQLite cannot read (a page overwritten, the file truncated, a header that
is not SQLite's) is never shown as a raw ``sqlite3.DatabaseError``: every public
method of a ledger turns it into :class:`~zan.errors.LedgerDamagedError`, whose
message says how to check the file (``PRAGMA integrity_check``) and how to get
the last good state back (a backup made by :func:`backup_ledger`, or the entries
SQLite can still read, checked by their hash chain).
"""

from __future__ import annotations

import functools
import os
import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from .._write import atomic_path
from ..errors import LedgerDamagedError, LedgerError, LedgerReadOnlyError
from . import store

__all__ = [
    "SQLITE_MAGIC",
    "is_damage",
    "is_readonly",
    "damaged_error",
    "readonly_error",
    "writable",
    "connect_readonly",
    "guard",
    "guard_class",
    "backup_ledger",
]

#: The first 16 bytes of every SQLite file (and so of every GeoPackage).
SQLITE_MAGIC = b"SQLite format 3\x00"
_DAMAGE = ("malformed", "not a database", "disk i/o error", "corrupt", "short read")
_READONLY = ("readonly database", "read-only", "readonly")

F = TypeVar("F", bound=Callable[..., Any])


def is_damage(exc: BaseException) -> bool:
    """Whether an SQLite error says the file cannot be read (corrupt, truncated, not SQLite).

    Examples
    --------
    >>> is_damage(sqlite3.DatabaseError("database disk image is malformed"))
    True
    >>> is_damage(sqlite3.OperationalError("database is locked"))
    False
    """
    return isinstance(exc, sqlite3.Error) and any(w in str(exc).lower() for w in _DAMAGE)


def is_readonly(exc: BaseException) -> bool:
    """Whether an SQLite error says the file cannot be written.

    Examples
    --------
    >>> is_readonly(sqlite3.OperationalError("attempt to write a readonly database"))
    True
    """
    return isinstance(exc, sqlite3.Error) and any(w in str(exc).lower() for w in _READONLY)


def _starts_like_sqlite(path: Path) -> bool:
    try:
        with open(path, "rb") as f:
            return f.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:
        return False


def damaged_error(source: str | os.PathLike[str], exc: BaseException | str) -> LedgerError:
    """The error for a ledger file SQLite cannot read: how to check it, how to recover.

    A file that does not even start like an SQLite file is "not a zan ledger" (a
    wrong file name is likelier than damage); one that does is damaged.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "compte.gpkg"
    >>> _ = p.write_bytes(b"SQLite format 3\\x00" + bytes(100))
    >>> print(damaged_error(p, "database disk image is malformed"))  # doctest: +ELLIPSIS
    /.../compte.gpkg: the ledger file is damaged (database disk image is malformed): ...
    """
    path = Path(source)
    if path.is_file() and not _starts_like_sqlite(path):
        return LedgerError(
            f"{path}: not a zan ledger (not an SQLite/GeoPackage file: {exc}); check the file "
            "name, or create a ledger with: zan ledger init LEDGER.gpkg --scenario S.toml"
        )
    return LedgerDamagedError(
        f"{path}: the ledger file is damaged ({exc}): SQLite cannot read part of it, and "
        "nothing was read or recorded. Check it with: sqlite3 "
        f'"{path}" "PRAGMA integrity_check". Do not write to it; restore the last good copy '
        "(made with zan ledger backup) and check it with zan ledger verify COPY (its SHA-256 "
        "chain of entries, and --expected-head with a head published since, show it is "
        "intact); record again what was recorded after that copy"
    )


def readonly_error(source: str | os.PathLike[str], reason: str = "") -> LedgerReadOnlyError:
    """The error for a write to a ledger that cannot be written.

    Examples
    --------
    >>> print(readonly_error("compte.gpkg"))  # doctest: +ELLIPSIS
    compte.gpkg: the ledger file is read-only; nothing was recorded. It can still be read ...
    """
    why = f" ({reason})" if reason else ""
    return LedgerReadOnlyError(
        f"{source}: the ledger file is read-only{why}; nothing was recorded. It can still be "
        "read (zan ledger balance, history, verify, map, --out exports); to record, ask its "
        "owner for write access to the file and its folder, or work on a copy "
        "(zan ledger backup LEDGER COPY.gpkg)"
    )


def writable(path: str | os.PathLike[str]) -> bool:
    """Whether this process may write the ledger file and its journal.

    The file must be writable, and so must its folder unless the WAL journal files
    (``-wal``, ``-shm``) are already there and writable (SQLite creates them on
    each write). Read through :func:`os.access`, so that it also holds for an
    account that ignores permissions, as far as the system says so.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.gpkg"
    >>> _ = p.write_bytes(b"")
    >>> writable(p)
    True
    """
    path = Path(path)
    if not os.access(path, os.W_OK):
        return False
    journals = [path.with_name(path.name + s) for s in ("-wal", "-shm")]
    if all(j.exists() and os.access(j, os.W_OK) for j in journals):
        return True
    return os.access(path.parent, os.W_OK | os.X_OK)


def connect_readonly(
    path: str | os.PathLike[str], *, busy_timeout_ms: int = 10_000
) -> sqlite3.Connection:
    """Open a ledger file for reading only: no write can go through.

    A file this process may not write (:func:`writable`) is opened with the SQLite
    URI ``mode=ro``, so reading needs no write access; one it may write is opened
    as usual with ``PRAGMA query_only`` (SQLite refuses every change), so that the
    journal files are removed when it is closed.
    A WAL-mode file needs its shared-memory index (``-shm``); in a folder where it
    cannot be created and no ``-wal`` journal is left (nothing uncommitted to
    read), the file is opened ``immutable`` instead: read as it is on disk.

    Raises
    ------
    LedgerError
        The file does not exist or cannot be opened even read-only.

    Examples
    --------
    >>> from zan.ledger import example_ledger
    >>> conn = connect_readonly(example_ledger().path)
    >>> conn.execute("SELECT COUNT(*) FROM accounts").fetchone()[0] > 0
    True
    """
    path = Path(path)
    if not path.is_file():
        raise LedgerError(
            f"{path}: no ledger file here; create one with: "
            f"zan ledger init {path} --scenario S.toml"
        )
    uri = path.resolve().as_uri()
    if writable(path):
        # Its journal files can be written and removed: open it as usual, refusing every
        # change (query_only), so that reading leaves no -wal/-shm file behind.
        try:
            conn = store.connect(path, busy_timeout_ms=busy_timeout_ms)
        except LedgerError as exc:
            cause = exc.__context__
            if isinstance(cause, sqlite3.Error) and is_damage(cause):
                raise damaged_error(path, cause) from None
            raise
        conn.execute("PRAGMA query_only = ON")
        return conn
    conn = sqlite3.connect(
        f"{uri}?mode=ro",
        uri=True,
        timeout=busy_timeout_ms / 1000,
        isolation_level=None,
        check_same_thread=False,
    )
    try:
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()
    except sqlite3.OperationalError as exc:
        conn.close()
        if path.with_name(path.name + "-wal").exists() or is_damage(exc):
            raise LedgerError(
                f"{path}: cannot open the ledger read-only ({exc}); its journal "
                f"({path.name}-wal) holds writes not yet merged and its folder cannot be "
                "written: ask its owner to open it once with zan, or copy the file with its "
                "-wal journal to a folder you can write"
            ) from None
        conn = sqlite3.connect(
            f"{uri}?mode=ro&immutable=1",
            uri=True,
            isolation_level=None,
            check_same_thread=False,
        )
    return conn


def _translate(source: Any, exc: BaseException) -> LedgerError | None:
    """The zan error for an SQLite error, or for one wrapped by pandas (its cause)."""
    seen: set[int] = set()
    cause: BaseException | None = exc
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, LedgerError):
            return None
        if isinstance(cause, sqlite3.Error):
            if is_damage(cause):
                return damaged_error(source, cause)
            if is_readonly(cause):
                return readonly_error(source, str(cause))
            return None
        cause = cause.__cause__ or cause.__context__
    return None


def guard(fn: F) -> F:
    """Turn SQLite's damage and read-only errors, raised in a ledger method, into zan errors.

    The source is the ``source`` (or ``path``) of the first argument: the ledger.
    """

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as exc:  # sqlite3's, or pandas' wrapping of it
            owner = args[0] if args else None
            source = getattr(owner, "source", None) or getattr(owner, "path", None) or "ledger"
            error = _translate(source, exc)
            if error is None:
                raise
            raise error from exc

    return wrapper  # type: ignore[return-value]


def guard_class(cls: type) -> type:
    """Apply :func:`guard` to every public method and property defined by ``cls``."""
    for name, value in list(vars(cls).items()):
        if name.startswith("__") or (name.startswith("_") and name != "_write"):
            continue
        if isinstance(value, property) and value.fget is not None:
            setattr(cls, name, property(guard(value.fget), value.fset, value.fdel, value.__doc__))
        elif isinstance(value, staticmethod | classmethod):
            setattr(cls, name, type(value)(guard(value.__func__)))
        elif callable(value):
            setattr(cls, name, guard(value))
    return cls


def backup_ledger(
    source: str | os.PathLike[str], dest: str | os.PathLike[str], *, overwrite: bool = False
) -> tuple[Path, str, int]:
    """Copy a ledger file safely while it may be in use, and verify the copy.

    SQLite's online backup copies a consistent state of the file (the writes of
    other processes wait, or are left out whole); reading the source needs no
    write access. The copy is written beside ``dest`` and moved in place once its
    hash chain and invariants are verified: a damaged source gives no copy.
    To restore, put the copy back in place of the ledger (after ``zan ledger
    verify COPY``).

    Parameters
    ----------
    source : path-like
        The ledger.
    dest : path-like
        The copy (``.gpkg``).
    overwrite : bool, default False
        Replace an existing ``dest``.

    Returns
    -------
    (pathlib.Path, str, int)
        The copy, the head of its hash chain (publish it to detect a rewrite later:
        ``zan ledger verify --expected-head``) and its number of entries.

    Raises
    ------
    LedgerDamagedError
        SQLite cannot read the source.
    IntegrityError
        The copy fails verification (the source's entries were edited outside zan).
    LedgerError
        ``dest`` exists (without ``overwrite``) or is the source.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from zan.ledger import example_ledger
    >>> path, head, n = backup_ledger(example_ledger().path,
    ...                               pathlib.Path(tempfile.mkdtemp()) / "copie.gpkg")
    >>> path.name, len(head), n
    ('copie.gpkg', 64, 5)
    """
    from .verify import verify_ledger

    source, dest = Path(source), Path(dest)
    if dest.exists() and dest.resolve() == source.resolve():
        raise LedgerError(f"{dest}: the copy would replace the ledger itself; name another file")
    if dest.exists() and not overwrite:
        raise LedgerError(
            f"{dest}: a file already exists; choose another name or pass overwrite=True (--force)"
        )
    src = connect_readonly(source)
    try:
        with atomic_path(dest) as tmp:
            out = sqlite3.connect(tmp, isolation_level=None)
            try:
                src.backup(out)
                report = verify_ledger(out, str(dest), strict=True)
                out.execute("PRAGMA journal_mode = WAL")  # as every ledger
                out.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                out.close()
    except sqlite3.Error as exc:
        error = _translate(source, exc)
        if error is None:
            raise
        raise error from exc
    finally:
        src.close()
    return dest, report.head, report.entries
