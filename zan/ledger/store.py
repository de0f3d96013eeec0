"""The ledger file: a GeoPackage (SQLite) with versioned schema, WAL and retried writes.

One file holds the whole *compte foncier*: it needs no server, and QGIS opens it as
a GeoPackage (OGC 12-128r18): territories, project footprints and the balance of
each territory are feature layers; entries, accounts and imports are attribute
tables. The GeoPackage parts are written with the standard library alone
(``sqlite3``): the ``gpkg_*`` metadata tables and the geometry blobs
(``GP`` header + ISO WKB, :func:`gpkg_blob`).

Durability and concurrency:

- the journal is in WAL mode (readers never block the writer) with
  ``synchronous=FULL`` (a committed write survives a power cut);
- every write is one ``BEGIN IMMEDIATE`` transaction (:func:`write_transaction`):
  the write lock is taken before anything is read, so the hash chain and the
  invariants are checked against the state the write will extend; a process
  killed midway leaves the file as it was before the transaction (SQLite rolls
  the WAL back);
- a writer that finds the file locked waits ``busy_timeout`` milliseconds, then
  retries with exponential backoff and jitter before giving up with a
  :class:`~zan.errors.LedgerError`;
- the schema carries its own version (table ``schema_version``; the SQLite
  ``user_version`` holds the GeoPackage version) and is upgraded by
  :data:`MIGRATIONS` when an older file is opened.
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import os
import random
import sqlite3
import struct
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import shapely

from ..errors import GeometryError, LedgerError

__all__ = [
    "SCHEMA_VERSION",
    "MIGRATIONS",
    "Migration",
    "connect",
    "create_schema",
    "migrate",
    "schema_version",
    "write_transaction",
    "read_snapshot",
    "now_utc",
    "update_extent",
    "gpkg_blob",
    "read_gpkg_blob",
]

#: Version of the ledger schema written by this version of zan.
SCHEMA_VERSION = 5
#: ``PRAGMA application_id`` of a GeoPackage ("GPKG").
GPKG_APPLICATION_ID = 0x47504B47
#: ``PRAGMA user_version`` of a GeoPackage 1.4.
GPKG_USER_VERSION = 10400
#: Default wait for a lock held by another process, in milliseconds.
BUSY_TIMEOUT_MS = 10_000
#: Default number of retries after the busy timeout.
RETRIES = 8
#: Page cache of each connection, in KiB (large imports touch several indexes).
CACHE_KIB = 65_536
#: Spatial reference of the geometries (Lambert-93).
SRS_ID = 2154

T = TypeVar("T")

# --------------------------------------------------------------------------- schema

_V1_TABLES = """
CREATE TABLE ledger_meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
CREATE TABLE periods (
    period TEXT PRIMARY KEY,
    start_year INTEGER NOT NULL,
    end_year INTEGER NOT NULL,
    metric TEXT NOT NULL,
    envelope_m2 INTEGER,
    pene_m2 INTEGER,
    scenario_name TEXT,
    scenario_hash TEXT,
    recorded_at TEXT
);
CREATE TABLE accounts (
    code TEXT PRIMARY KEY,
    account_type TEXT NOT NULL
        CHECK (account_type IN ('territoire', 'reserve', 'pene', 'garantie')),
    nom TEXT NOT NULL,
    territory TEXT,
    level TEXT,
    created_at TEXT NOT NULL
);
CREATE TABLE communes (
    code TEXT PRIMARY KEY,
    account TEXT NOT NULL REFERENCES accounts(code),
    nom TEXT,
    area_ha REAL
);
CREATE TABLE entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    operation INTEGER NOT NULL,
    recorded_at TEXT NOT NULL,
    effective_date TEXT NOT NULL,
    period TEXT NOT NULL REFERENCES periods(period),
    metric TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN
        ('allocation', 'consumption', 'project', 'reserve_grant', 'transfer', 'pene')),
    action TEXT NOT NULL,
    account TEXT NOT NULL REFERENCES accounts(code),
    counterpart TEXT,
    amount_m2 INTEGER NOT NULL,
    year INTEGER,
    project INTEGER,
    label TEXT NOT NULL,
    author TEXT NOT NULL,
    justification TEXT NOT NULL,
    source_file TEXT,
    source_sha256 TEXT,
    scenario_name TEXT,
    scenario_hash TEXT,
    reverses INTEGER REFERENCES entries(id),
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE INDEX entries_balance ON entries (period, account, kind, effective_date, year, amount_m2);
CREATE INDEX entries_envelope ON entries (period, account, operation, kind, amount_m2)
    WHERE kind IN ('allocation', 'reserve_grant', 'transfer');
CREATE INDEX entries_project ON entries (project) WHERE project IS NOT NULL;
CREATE INDEX entries_reverses ON entries (reverses) WHERE reverses IS NOT NULL;
CREATE TABLE imports (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    operation INTEGER NOT NULL,
    source_file TEXT NOT NULL,
    source_sha256 TEXT NOT NULL,
    options_sha256 TEXT NOT NULL,
    years TEXT NOT NULL,
    new_entries INTEGER NOT NULL,
    revisions INTEGER NOT NULL,
    recorded_at TEXT NOT NULL,
    author TEXT NOT NULL
);
CREATE INDEX imports_sha ON imports (source_sha256, options_sha256);
CREATE TABLE territories (
    fid INTEGER PRIMARY KEY AUTOINCREMENT,
    geom MULTIPOLYGON,
    code TEXT NOT NULL UNIQUE,
    nom TEXT
);
CREATE TABLE projects (
    fid INTEGER PRIMARY KEY AUTOINCREMENT,
    geom MULTIPOLYGON,
    label TEXT NOT NULL,
    account TEXT NOT NULL REFERENCES accounts(code),
    period TEXT NOT NULL,
    method TEXT NOT NULL,
    parcels TEXT,
    communes TEXT,
    area_m2 REAL,
    enaf_m2 INTEGER NOT NULL,
    landcover_source TEXT,
    recorded_at TEXT NOT NULL
);
"""

_APPEND_ONLY = ("entries", "imports", "projects")


def _append_only_triggers() -> str:
    sql = []
    for table in _APPEND_ONLY:
        for op in ("UPDATE", "DELETE"):
            sql.append(
                f"CREATE TRIGGER {table}_no_{op.lower()} BEFORE {op} ON {table} "
                f"BEGIN SELECT RAISE(ABORT, '{table} is append-only: record a reversing "
                "entry instead of editing or deleting'); END;\n"
            )
    return "\n".join(sql)


#: Names of the triggers that keep the append-only tables append-only.
APPEND_ONLY_TRIGGERS = tuple(f"{t}_no_{op}" for t in _APPEND_ONLY for op in ("update", "delete"))

# Version 2: live views for QGIS (balance of each account and of each territory with
# its geometry, status of each project). They read the default period of the ledger
# (version 4 replaces the balance views with one row per allocated period).
_CURRENT_PERIOD = "(SELECT value FROM ledger_meta WHERE key = 'default_period')"
_SUMS = """
    CAST(COALESCE(SUM(CASE WHEN e.kind IN ('allocation', 'reserve_grant', 'transfer')
                      THEN e.amount_m2 END), 0) / 10000.0 AS REAL) AS envelope_ha,
    CAST(COALESCE(SUM(CASE WHEN e.kind IN ('consumption', 'pene')
                      THEN e.amount_m2 END), 0) / 10000.0 AS REAL) AS consumed_ha,
    CAST(COALESCE(SUM(CASE WHEN e.kind = 'project' THEN e.amount_m2 END), 0) / 10000.0 AS REAL)
        AS committed_ha
"""
# (CAST gives the view columns a type, so that GDAL and QGIS read numbers, not text.)
_V2_VIEWS = f"""
CREATE VIEW account_balances AS
SELECT a.code, a.nom, a.account_type, a.territory, {_SUMS}
FROM accounts a
LEFT JOIN entries e ON e.account = a.code AND e.period = {_CURRENT_PERIOD}
GROUP BY a.code;
CREATE VIEW territory_balances AS
SELECT t.fid AS fid, t.geom AS geom, t.code AS code, t.nom AS nom,
       CAST(b.envelope_ha AS REAL) AS envelope_ha, CAST(b.consumed_ha AS REAL) AS consumed_ha,
       CAST(b.committed_ha AS REAL) AS committed_ha,
       CAST(b.envelope_ha - b.consumed_ha - b.committed_ha AS REAL) AS remaining_ha
FROM territories t
JOIN (SELECT COALESCE(territory, code) AS code, SUM(envelope_ha) AS envelope_ha,
             SUM(consumed_ha) AS consumed_ha, SUM(committed_ha) AS committed_ha
      FROM account_balances WHERE account_type IN ('territoire', 'garantie')
      GROUP BY COALESCE(territory, code)) b ON b.code = t.code;
CREATE VIEW project_status AS
SELECT p.fid AS fid, p.geom AS geom, p.label AS label, p.account AS account,
       p.period AS period, p.method AS method, p.parcels AS parcels,
       CAST(p.enaf_m2 / 10000.0 AS REAL) AS enaf_ha,
       CAST(COALESCE((SELECT e.action FROM entries e
                 WHERE e.project = p.fid AND e.kind = 'project' AND e.reverses IS NULL
                   AND NOT EXISTS (SELECT 1 FROM entries r WHERE r.reverses = e.id)
                 ORDER BY e.id DESC LIMIT 1), 'cancelled') AS TEXT) AS status
FROM projects p;
"""

# identifier and description of each table in gpkg_contents (French: QGIS shows them).
_CONTENTS = {
    "territories": ("features", "Territoires", "Territoires des comptes (niveau d'allocation)"),
    "projects": ("features", "Projets", "Emprises des projets engagés"),
    "entries": ("attributes", "Écritures", "Écritures du compte foncier (ajout seul)"),
    "accounts": ("attributes", "Comptes", "Comptes du compte foncier régional"),
    "communes": ("attributes", "Communes", "Rattachement des communes aux comptes"),
    "imports": ("attributes", "Imports", "Millésimes Cerema importés"),
    "periods": ("attributes", "Périodes", "Périodes et enveloppes régionales"),
}
_CONTENTS_V2 = {
    "territory_balances": ("features", "Soldes des territoires", "Solde de chaque territoire"),
    "project_status": ("features", "État des projets", "Projets et leur état"),
    "account_balances": ("attributes", "Soldes des comptes", "Solde de chaque compte"),
}


def _script(conn: sqlite3.Connection, sql: str) -> None:
    """Run several statements inside the current transaction.

    (``executescript`` would commit first; statements are split where
    :func:`sqlite3.complete_statement` says one ends, so triggers stay whole.)
    """
    buf = ""
    for line in sql.splitlines(keepends=True):
        buf += line
        if sqlite3.complete_statement(buf):
            conn.execute(buf)
            buf = ""
    if buf.strip():
        raise LedgerError(f"ledger schema: incomplete statement {buf.strip()[:60]!r}")


def _gpkg_core(conn: sqlite3.Connection) -> None:
    """Create the mandatory GeoPackage tables (spec §1.1.2, §1.1.3, §2.1.5)."""
    from pyproj import CRS

    conn.execute(f"PRAGMA application_id = {GPKG_APPLICATION_ID}")
    conn.execute(f"PRAGMA user_version = {GPKG_USER_VERSION}")
    _script(
        conn,
        """
        CREATE TABLE gpkg_spatial_ref_sys (
            srs_name TEXT NOT NULL, srs_id INTEGER PRIMARY KEY,
            organization TEXT NOT NULL, organization_coordsys_id INTEGER NOT NULL,
            definition TEXT NOT NULL, description TEXT);
        CREATE TABLE gpkg_contents (
            table_name TEXT NOT NULL PRIMARY KEY, data_type TEXT NOT NULL,
            identifier TEXT UNIQUE, description TEXT DEFAULT '',
            last_change DATETIME NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
            min_x DOUBLE, min_y DOUBLE, max_x DOUBLE, max_y DOUBLE,
            srs_id INTEGER, CONSTRAINT fk_gc_r_srs_id FOREIGN KEY (srs_id)
            REFERENCES gpkg_spatial_ref_sys(srs_id));
        CREATE TABLE gpkg_geometry_columns (
            table_name TEXT NOT NULL, column_name TEXT NOT NULL,
            geometry_type_name TEXT NOT NULL, srs_id INTEGER NOT NULL,
            z TINYINT NOT NULL, m TINYINT NOT NULL,
            CONSTRAINT pk_geom_cols PRIMARY KEY (table_name, column_name),
            CONSTRAINT fk_gc_tn FOREIGN KEY (table_name) REFERENCES gpkg_contents(table_name),
            CONSTRAINT fk_gc_srs FOREIGN KEY (srs_id) REFERENCES gpkg_spatial_ref_sys (srs_id));
        """,
    )
    rows = [
        (
            "Undefined cartesian SRS",
            -1,
            "NONE",
            -1,
            "undefined",
            "undefined cartesian coordinate reference system",
        ),
        (
            "Undefined geographic SRS",
            0,
            "NONE",
            0,
            "undefined",
            "undefined geographic coordinate reference system",
        ),
        (
            "WGS 84 geodetic",
            4326,
            "EPSG",
            4326,
            CRS.from_epsg(4326).to_wkt("WKT1_GDAL"),
            "longitude/latitude WGS 84",
        ),
        (
            "RGF93 v1 / Lambert-93",
            SRS_ID,
            "EPSG",
            SRS_ID,
            CRS.from_epsg(SRS_ID).to_wkt("WKT1_GDAL"),
            "Lambert-93",
        ),
    ]
    conn.executemany("INSERT INTO gpkg_spatial_ref_sys VALUES (?, ?, ?, ?, ?, ?)", rows)


def _register(conn: sqlite3.Connection, contents: dict[str, tuple[str, str, str]]) -> None:
    for table, (data_type, identifier, description) in contents.items():
        conn.execute(
            "INSERT INTO gpkg_contents (table_name, data_type, identifier, description, srs_id) "
            "VALUES (?, ?, ?, ?, ?)",
            (
                table,
                data_type,
                identifier,
                description,
                SRS_ID if data_type == "features" else None,
            ),
        )
        if data_type == "features":
            conn.execute(
                "INSERT INTO gpkg_geometry_columns VALUES (?, 'geom', 'MULTIPOLYGON', ?, 0, 0)",
                (table, SRS_ID),
            )


def _v1(conn: sqlite3.Connection) -> None:
    _gpkg_core(conn)
    _script(conn, _V1_TABLES + _append_only_triggers())
    _register(conn, _CONTENTS)


def _v2(conn: sqlite3.Connection) -> None:
    _script(conn, _V2_VIEWS)
    _register(conn, _CONTENTS_V2)


# Version 3: the imports say which metric they recorded (ENAF consumption for 2021-2030,
# net artificialisation from 2031) and under which vintage label; the imports of one
# metric are compared only with each other (an older vintage is refused per metric).
_V3_IMPORTS = """
ALTER TABLE imports ADD COLUMN metric TEXT NOT NULL DEFAULT 'enaf_consumption';
ALTER TABLE imports ADD COLUMN vintage TEXT;
"""


def _v3(conn: sqlite3.Connection) -> None:
    _script(conn, _V3_IMPORTS)
    conn.execute(
        "UPDATE gpkg_contents SET description = ? WHERE table_name = 'imports'",
        ("Millésimes importés (consommation d'ENAF, artificialisation nette)",),
    )


# Version 4: the QGIS views hold one row per account (one feature per territory) and
# allocated period, with the period and its metric, so that a ledger kept over
# 2021-2030, 2031-2040 and 2041-2050 shows every decade (filter on ``period``).
_V4_VIEWS = f"""
DROP VIEW territory_balances;
DROP VIEW account_balances;
CREATE VIEW account_balances AS
SELECT a.code, a.nom, a.account_type, a.territory, p.period AS period, p.metric AS metric,
       {_SUMS}
FROM accounts a
JOIN periods p ON p.envelope_m2 IS NOT NULL
LEFT JOIN entries e ON e.account = a.code AND e.period = p.period
GROUP BY a.code, p.period;
CREATE VIEW territory_balances AS
SELECT t.fid * 100 + p.rowid AS fid, t.geom AS geom, t.code AS code, t.nom AS nom,
       CAST(b.period AS TEXT) AS period, CAST(p.metric AS TEXT) AS metric,
       CAST(b.envelope_ha AS REAL) AS envelope_ha, CAST(b.consumed_ha AS REAL) AS consumed_ha,
       CAST(b.committed_ha AS REAL) AS committed_ha,
       CAST(b.envelope_ha - b.consumed_ha - b.committed_ha AS REAL) AS remaining_ha
FROM territories t
JOIN (SELECT COALESCE(territory, code) AS code, period, SUM(envelope_ha) AS envelope_ha,
             SUM(consumed_ha) AS consumed_ha, SUM(committed_ha) AS committed_ha
      FROM account_balances WHERE account_type IN ('territoire', 'garantie')
      GROUP BY COALESCE(territory, code), period) b ON b.code = t.code
JOIN periods p ON p.period = b.period;
"""


def _v4(conn: sqlite3.Connection) -> None:
    _script(conn, _V4_VIEWS)
    conn.execute(
        "UPDATE gpkg_contents SET description = ? WHERE table_name = 'territory_balances'",
        ("Solde de chaque territoire, par période",),
    )
    conn.execute(
        "UPDATE gpkg_contents SET description = ? WHERE table_name = 'account_balances'",
        ("Solde de chaque compte, par période",),
    )


def _v5(conn: sqlite3.Connection) -> None:
    from .lines import schema_v5  # version 5: vintage imports as one entry and compact lines

    for sql in schema_v5(_V4_VIEWS):
        _script(conn, sql)


@dataclass(frozen=True)
class Migration:
    """One step of the schema: ``apply`` takes the file from ``version - 1`` to ``version``."""

    version: int
    description: str
    apply: Callable[[sqlite3.Connection], None]


#: Every schema step, in order; the last one's version is :data:`SCHEMA_VERSION`.
MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "GeoPackage tables, accounts, entries (append-only), imports, projects", _v1),
    Migration(2, "views for QGIS: account_balances, territory_balances, project_status", _v2),
    Migration(3, "imports: metric and vintage columns (net artificialisation from 2031)", _v3),
    Migration(4, "views for QGIS: one row per account (territory) and allocated period", _v4),
    Migration(5, "vintage imports: one chained entry and compact lines (import_lines)", _v5),
)


def now_utc() -> str:
    """The time of a write: UTC, ISO 8601 to the microsecond, ``Z``-suffixed."""
    return _dt.datetime.now(_dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


def schema_version(conn: sqlite3.Connection) -> int:
    """Version of the ledger schema of an open file (0 when it has none).

    Examples
    --------
    >>> import sqlite3
    >>> schema_version(sqlite3.connect(":memory:"))
    0
    """
    try:
        row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    except sqlite3.OperationalError:
        return 0
    return int(row[0] or 0)


def migrate(
    conn: sqlite3.Connection, *, target: int = SCHEMA_VERSION, source: str = "ledger"
) -> list[int]:
    """Bring the schema up to ``target`` in one transaction; return the versions applied.

    Parameters
    ----------
    conn : sqlite3.Connection
        Connection in autocommit mode (:func:`connect`).
    target : int, default :data:`SCHEMA_VERSION`
        Version to reach.
    source : str
        File name, for messages.

    Raises
    ------
    LedgerError
        When the file was written by a newer zan (its version is above ``target``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> conn = connect(pathlib.Path(tempfile.mkdtemp()) / "l.gpkg", create=True)
    >>> conn.execute("PRAGMA journal_mode = WAL").fetchone()
    ('wal',)
    >>> migrate(conn, target=1), migrate(conn), schema_version(conn)
    ([1], [2, 3, 4, 5], 5)
    """
    applied: list[int] = []

    def run(c: sqlite3.Connection) -> None:
        c.execute(
            "CREATE TABLE IF NOT EXISTS schema_version "
            "(version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL, description TEXT NOT NULL)"
        )
        current = schema_version(c)
        if current > SCHEMA_VERSION:
            raise LedgerError(
                f"{source}: ledger schema version {current} was written by a newer zan "
                f"(this one reads up to version {SCHEMA_VERSION}); upgrade zan to open it"
            )
        for m in MIGRATIONS:
            if current < m.version <= target:
                m.apply(c)
                c.execute(
                    "INSERT INTO schema_version VALUES (?, ?, ?)",
                    (m.version, now_utc(), m.description),
                )
                applied.append(m.version)

    write_transaction(conn, run, source=source)
    return applied


def create_schema(conn: sqlite3.Connection, *, target: int = SCHEMA_VERSION) -> None:
    """Create a new, empty ledger (WAL journal, GeoPackage tables, ledger schema).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> conn = connect(pathlib.Path(tempfile.mkdtemp()) / "l.gpkg", create=True)
    >>> create_schema(conn)
    >>> conn.execute("SELECT identifier FROM gpkg_contents WHERE table_name = 'entries'").fetchone()
    ('Écritures',)
    """
    conn.execute("PRAGMA journal_mode = WAL")
    migrate(conn, target=target)


# --------------------------------------------------------------------------- connections


def connect(
    path: str | os.PathLike[str],
    *,
    busy_timeout_ms: int = BUSY_TIMEOUT_MS,
    create: bool = False,
) -> sqlite3.Connection:
    """Open a ledger file with the settings every zan process uses.

    Autocommit mode (transactions are explicit), ``busy_timeout``, foreign keys
    on, ``synchronous=FULL``.

    Parameters
    ----------
    path : path-like
        The ledger file.
    busy_timeout_ms : int, default 10000
        How long to wait for a lock held by another process.
    create : bool, default False
        Allow the file not to exist yet.

    Raises
    ------
    LedgerError
        When the file does not exist (and ``create`` is false) or is not SQLite.

    Examples
    --------
    >>> from zan.ledger import example_ledger
    >>> conn = connect(example_ledger().path)
    >>> conn.execute("PRAGMA busy_timeout").fetchone()
    (10000,)
    """
    path = Path(path)
    if not create and not path.is_file():
        raise LedgerError(
            f"{path}: no ledger file here; create one with: "
            f"zan ledger init {path} --scenario S.toml"
        )
    try:
        conn = sqlite3.connect(
            path, timeout=busy_timeout_ms / 1000, isolation_level=None, check_same_thread=False
        )
        conn.execute(f"PRAGMA busy_timeout = {int(busy_timeout_ms)}")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute(f"PRAGMA cache_size = {-CACHE_KIB}")
    except sqlite3.DatabaseError as exc:
        raise LedgerError(f"{path}: not a zan ledger ({exc}); check the file name") from None
    return conn


def _is_locked(exc: sqlite3.OperationalError) -> bool:
    text = str(exc).lower()
    return "locked" in text or "busy" in text


def _transaction(
    conn: sqlite3.Connection, fn: Callable[[sqlite3.Connection], T], *, source: str
) -> T:
    conn.execute("BEGIN IMMEDIATE")
    try:
        result = fn(conn)
        conn.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            conn.execute("ROLLBACK")
        raise
    return result


def write_transaction(
    conn: sqlite3.Connection,
    fn: Callable[[sqlite3.Connection], T],
    *,
    source: str = "ledger",
    retries: int = RETRIES,
    backoff_s: float = 0.05,
) -> T:
    """Run ``fn(conn)`` in one ``BEGIN IMMEDIATE`` transaction, retried while the file is locked.

    Everything ``fn`` writes is committed together, or nothing is (any exception
    rolls back). ``fn`` must read what it checks *inside* the transaction. When
    another process holds the write lock beyond the busy timeout, the
    transaction is retried up to ``retries`` times, waiting
    ``backoff_s × 2**attempt`` seconds (plus jitter) in between.

    Parameters
    ----------
    conn : sqlite3.Connection
        From :func:`connect`.
    fn : callable
        The work; its return value is returned.
    source : str
        File name, for messages.
    retries : int, default 8
        Retries after a lock timeout.
    backoff_s : float, default 0.05
        First wait between retries, in seconds.

    Raises
    ------
    LedgerError
        When the file stays locked through every retry.

    Examples
    --------
    >>> import sqlite3
    >>> conn = sqlite3.connect(":memory:", isolation_level=None)
    >>> write_transaction(conn, lambda c: c.execute("CREATE TABLE t (x)").rowcount)
    -1
    >>> def fails(c):
    ...     c.execute("INSERT INTO t VALUES (1)")
    ...     raise ValueError("refused")
    >>> try:
    ...     write_transaction(conn, fails)
    ... except ValueError:
    ...     pass
    >>> conn.execute("SELECT COUNT(*) FROM t").fetchone()  # rolled back
    (0,)
    """
    for attempt in range(retries + 1):
        try:
            return _transaction(conn, fn, source=source)
        except sqlite3.OperationalError as exc:
            if not _is_locked(exc):
                raise LedgerError(
                    f"{source}: the write failed ({exc}); nothing was recorded"
                ) from exc
            if attempt == retries:
                raise LedgerError(
                    f"{source}: the ledger stayed locked by another process through "
                    f"{retries + 1} attempts ({exc}); nothing was recorded: try again later"
                ) from exc
            time.sleep(backoff_s * 2**attempt * (1 + random.random()))
    raise AssertionError("unreachable")  # pragma: no cover


@contextlib.contextmanager
def read_snapshot(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """A consistent read: every query inside sees the same state of the file."""
    conn.execute("BEGIN")
    try:
        yield conn
    finally:
        conn.execute("COMMIT")


# --------------------------------------------------------------------------- geometry

_HEADER = struct.Struct("<2sBBi4d")  # magic, version, flags, srs_id, envelope (minx maxx miny maxy)
_EMPTY_HEADER = struct.Struct("<2sBBi")


def _multi(geoms: np.ndarray) -> np.ndarray:
    """Polygons as MultiPolygons (the layers declare MULTIPOLYGON)."""
    kind = shapely.get_type_id(geoms)
    out = geoms.copy()
    poly = kind == 3
    if poly.any():
        out[poly] = [shapely.MultiPolygon([g]) for g in geoms[poly]]
    other = ~np.isin(kind, [-1, 3, 6])
    if other.any():
        raise GeometryError(
            f"geometry: {int(other.sum())} geometries are not polygons "
            f"(types {sorted(set(shapely.get_type_id(geoms[other]).tolist()))}); "
            "give polygon footprints"
        )
    return out


def gpkg_blob(geoms: Any, *, srs_id: int = SRS_ID) -> list[bytes | None]:
    """Encode geometries as GeoPackage binary blobs (``GP`` header, envelope, ISO WKB).

    Parameters
    ----------
    geoms : array-like of shapely geometries
        Polygons or MultiPolygons (written as MultiPolygons); None stays NULL.
    srs_id : int, default 2154
        Spatial reference of the coordinates.

    Returns
    -------
    list of bytes or None

    Examples
    --------
    >>> from shapely.geometry import box
    >>> blob = gpkg_blob([box(0, 0, 1, 2)])[0]
    >>> blob[:2], read_gpkg_blob([blob])[0].bounds
    (b'GP', (0.0, 0.0, 1.0, 2.0))
    """
    arr = np.asarray(geoms, dtype=object).ravel()
    missing = np.array([g is None for g in arr], dtype=bool)
    out: list[bytes | None] = [None] * len(arr)
    if missing.all():
        return out
    present = _multi(arr[~missing])
    wkb = shapely.to_wkb(present, byte_order=1, output_dimension=2, flavor="iso")
    bounds = shapely.bounds(present)
    empty = shapely.is_empty(present)
    idx = np.flatnonzero(~missing)
    for i, w, b, e in zip(idx.tolist(), wkb.tolist(), bounds.tolist(), empty.tolist(), strict=True):
        if e:
            out[i] = _EMPTY_HEADER.pack(b"GP", 0, 0b00010001, srs_id) + w
        else:  # flags: little endian (bit 0), envelope [minx, maxx, miny, maxy] (code 1, bits 1-3)
            out[i] = _HEADER.pack(b"GP", 0, 0b00000011, srs_id, b[0], b[2], b[1], b[3]) + w
    return out


_ENVELOPE_BYTES = {0: 0, 1: 32, 2: 48, 3: 48, 4: 64}


def read_gpkg_blob(blobs: Any) -> np.ndarray:
    """Decode GeoPackage geometry blobs into shapely geometries (None for NULL).

    Raises
    ------
    GeometryError
        When a blob is not a GeoPackage geometry.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> read_gpkg_blob(gpkg_blob([box(0, 0, 3, 3), None]))[0].area
    9.0
    """
    blobs = list(blobs)
    wkbs: list[bytes | None] = []
    for blob in blobs:
        if blob is None:
            wkbs.append(None)
            continue
        blob = bytes(blob)
        if blob[:2] != b"GP" or len(blob) < 8:
            raise GeometryError("ledger: a geometry is not a GeoPackage blob; the file is damaged")
        env = _ENVELOPE_BYTES.get((blob[3] >> 1) & 0b111)
        if env is None:
            raise GeometryError(
                "ledger: a geometry has an unknown envelope code; the file is damaged"
            )
        wkbs.append(blob[8 + env :])
    return shapely.from_wkb(np.array(wkbs, dtype=object))


def update_extent(conn: sqlite3.Connection, table: str) -> None:
    """Refresh ``gpkg_contents`` extent and ``last_change`` of a feature table."""
    blobs = [r[0] for r in conn.execute(f"SELECT geom FROM {table} WHERE geom IS NOT NULL")]
    geoms = read_gpkg_blob(blobs)
    if len(geoms):
        minx, miny, maxx, maxy = shapely.total_bounds(geoms).tolist()
    else:
        minx = miny = maxx = maxy = None
    conn.execute(
        "UPDATE gpkg_contents SET min_x = ?, min_y = ?, max_x = ?, max_y = ?, "
        "last_change = ? WHERE table_name = ?",
        (minx, miny, maxx, maxy, now_utc(), table),
    )
