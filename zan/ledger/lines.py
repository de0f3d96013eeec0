"""Vintage imports as one chained entry and a compact table of lines (schema version 5).

A Cerema vintage repeats every account-year (350,000 at commune level, 35,000
communes × 10 years). Recording each one as a chained entry (about 500 bytes: JSON
fields, SHA-256, four indexes) made the import no faster than a row-by-row script.
Since version 5 an import is:

- **one entry of the hash chain** (``action = 'vintage'``, amount 0, booked on the
  reserve account, or on the first account of the lines when the ledger has no
  reserve), whose hash also covers the SHA-256 of its lines
  (:func:`zan.ledger.entries.entry_hash` with ``lines_sha256``); its row in
  ``imports`` carries the source file's SHA-256, the vintage, the period, the
  number of lines and their SHA-256 (:func:`lines_sha256`);
- **its lines** in ``import_lines`` (``id``, ``import_id``, ``account_id``,
  ``year``, ``amount_m2``, ``revision``): whole integers, no JSON, no per-line
  hash, no secondary index, append-only like ``entries``. The lines take the ids
  that follow their entry (entry ``H``, lines ``H+1`` … ``H+n``): entry ids and
  line ids form one sequence, and :meth:`~zan.ledger.Ledger.entries` lists each
  line as the entry it stands for (view ``ledger_entries``).

``verify`` recomputes every import's line hash vectorised (numpy → bytes →
hashlib): a line edited, added or deleted makes its entry's hash fail.
Revisions stay lines of the import that revises (``revision = 1``, amount = the
difference), so balances are plain sums.

Older files (version 4) are migrated when opened: the tables and the view are
added; their past imports stay chained entries and are read with the lines.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from typing import Any

import numpy as np
import pandas as pd

from ..errors import LedgerError, Problem
from .entries import ENTRY_FIELDS, chain_head, entry_hash

__all__ = [
    "LABELS",
    "LINE_TRIGGERS",
    "VINTAGE_ACTION",
    "schema_v5",
    "lines_sha256",
    "insert_lines",
    "next_id",
    "record_vintage",
    "recorded_figures",
    "line_filter",
    "line_problems",
    "vintage_lines",
]

#: Action of the chained entry that seals an import's lines.
VINTAGE_ACTION = "vintage"
#: Label of a first figure and of a revision, per metric (French: shown in the history).
LABELS: dict[str, tuple[str, str]] = {
    "enaf_consumption": ("Consommation d'ENAF ", "Révision de la consommation "),
    "net_artificialisation": (
        "Artificialisation nette ",
        "Révision de l'artificialisation nette ",
    ),
}
#: Triggers that keep the lines append-only (checked by ``verify``).
LINE_TRIGGERS = ("import_lines_no_update", "import_lines_no_delete")
_MAGIC = b"zan-import-lines-1\n"


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _label_sql() -> str:
    cases = " ".join(
        f"WHEN {_sql_text(m)} THEN CASE WHEN l.revision THEN {_sql_text(again)} "
        f"ELSE {_sql_text(first)} END"
        for m, (first, again) in LABELS.items()
    )
    return f"(CASE h.metric {cases} END || l.year || ' (' || i.vintage || ')')"


_COLUMNS = ", ".join((*ENTRY_FIELDS, "prev_hash", "hash"))

_V5_TABLES = f"""
CREATE TABLE line_accounts (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE REFERENCES accounts(code)
);
CREATE TABLE import_lines (
    id INTEGER PRIMARY KEY,
    import_id INTEGER NOT NULL,
    account_id INTEGER NOT NULL,
    year INTEGER NOT NULL,
    amount_m2 INTEGER NOT NULL,
    revision INTEGER NOT NULL
);
ALTER TABLE imports ADD COLUMN entry INTEGER;
ALTER TABLE imports ADD COLUMN lines INTEGER;
ALTER TABLE imports ADD COLUMN lines_sha256 TEXT;
CREATE VIEW ledger_entries AS
SELECT {_COLUMNS} FROM entries WHERE action != '{VINTAGE_ACTION}'
UNION ALL
SELECT l.id, h.operation, h.recorded_at, printf('%04d-12-31', l.year), p.period, h.metric,
       'consumption', CASE WHEN l.revision THEN 'revision' ELSE 'import' END, a.code, NULL,
       l.amount_m2, l.year, NULL, {_label_sql()}, h.author, h.justification, h.source_file,
       h.source_sha256, NULL, NULL, NULL, NULL, h.hash
FROM import_lines l
JOIN imports i ON i.id = l.import_id
JOIN entries h ON h.id = i.entry
JOIN line_accounts a ON a.id = l.account_id
JOIN periods p ON p.metric = h.metric AND l.year BETWEEN p.start_year AND p.end_year;
""" + "".join(
    f"CREATE TRIGGER import_lines_no_{op.lower()} BEFORE {op} ON import_lines BEGIN SELECT "
    "RAISE(ABORT, 'import_lines is append-only: import a revised vintage instead of editing "
    "or deleting'); END;\n"
    for op in ("UPDATE", "DELETE")
)


def schema_v5(views_v4: str) -> list[str]:
    """Statements of schema version 5: lines tables, ``ledger_entries``, views reading it.

    ``views_v4`` is the SQL of the version-4 QGIS views; they are recreated to read
    ``ledger_entries`` (the chained entries and the lines) instead of ``entries``.
    """
    views = views_v4.replace("LEFT JOIN entries e", "LEFT JOIN ledger_entries e")
    return [_V5_TABLES, views]


def lines_sha256(codes: Any, ids: Any, years: Any, amounts: Any, revisions: Any) -> str:
    """SHA-256 of an import's lines, from a canonical, deterministic serialisation.

    The lines in id order; the account codes they use (each once, in order of first
    use, UTF-8, one per line), then one little-endian int64 row per line: id,
    position of its account in that list, year, amount (m²), revision flag.

    Examples
    --------
    >>> lines_sha256(["A", "B"], [2, 3], [2021, 2021], [500, 0], [0, 0])[:12]
    '0a645f9c0706'
    >>> lines_sha256(["A", "B"], [2, 3], [2021, 2021], [501, 0], [0, 0])[:12]
    '04e7addfd71d'
    """
    pos, uniques = pd.factorize(np.asarray(codes, dtype=object), sort=False)
    return _digest([str(u) for u in uniques], pos, ids, years, amounts, revisions)


def _digest(
    uniques: list[str], pos: Any, ids: Any, years: Any, amounts: Any, revisions: Any
) -> str:
    """:func:`lines_sha256` from the accounts already factorised (codes, position of each line)."""
    table = np.empty((len(pos), 5), dtype="<i8")
    for k, col in enumerate((ids, pos, years, amounts, revisions)):
        table[:, k] = np.asarray(col, dtype=np.int64)
    h = hashlib.sha256(_MAGIC)
    h.update("\n".join(uniques).encode())
    h.update(b"\n")
    h.update(table.tobytes())
    return h.hexdigest()


def _account_ids(conn: sqlite3.Connection, uniques: list[str]) -> np.ndarray:
    """Compact id of each account code (codes not yet known are added to ``line_accounts``)."""
    known = dict(conn.execute("SELECT code, id FROM line_accounts").fetchall())
    missing = [(c,) for c in uniques if c not in known]
    if missing:
        conn.executemany("INSERT INTO line_accounts (code) VALUES (?)", missing)
        known = dict(conn.execute("SELECT code, id FROM line_accounts").fetchall())
    return np.array([known[c] for c in uniques], dtype=np.int64)


def next_id(conn: sqlite3.Connection) -> int:
    """The next id of the sequence shared by entries and import lines."""
    last = chain_head(conn)[0]
    line = conn.execute("SELECT MAX(id) FROM import_lines").fetchone()[0]
    return max(last, int(line or 0)) + 1


def record_vintage(
    conn: sqlite3.Connection,
    lines: pd.DataFrame,
    *,
    header: dict[str, Any],
    imports_row: dict[str, Any],
    recorded_at: str,
) -> tuple[int, int]:
    """Write an import: its chained entry, its ``imports`` row, its lines (caller's transaction).

    Parameters
    ----------
    conn : sqlite3.Connection
        In a write transaction.
    lines : pandas.DataFrame
        ``account``, ``year``, ``amount_m2`` (whole m², the difference with what is
        recorded) and ``revision`` (bool).
    header : dict
        Fields of the chained entry (:data:`~zan.ledger.entries.ENTRY_FIELDS` but
        ``id``, ``recorded_at``, ``kind``, ``action``, ``amount_m2``).
    imports_row : dict
        Columns of the ``imports`` row (``entry``, ``lines``, ``lines_sha256`` are set here).
    recorded_at : str
        Time of the write.

    Returns
    -------
    tuple of int
        First and last line ids.
    """
    n = len(lines)
    if n == 0:
        raise LedgerError("import: no line to record")
    prev = chain_head(conn)[1]
    head_id = next_id(conn)
    ids = np.arange(head_id + 1, head_id + 1 + n, dtype=np.int64)
    pos, found = pd.factorize(lines["account"], sort=False)
    uniques = [str(u) for u in found]
    years = lines["year"].to_numpy(dtype=np.int64)
    amounts = lines["amount_m2"].to_numpy(dtype=np.int64)
    revisions = lines["revision"].to_numpy(dtype=bool).astype(np.int64)
    digest = _digest(uniques, pos, ids, years, amounts, revisions)
    fields = dict.fromkeys(ENTRY_FIELDS) | header
    fields.update(
        id=head_id,
        recorded_at=recorded_at,
        kind="consumption",
        action=VINTAGE_ACTION,
        amount_m2=0,
        author=header.get("author") or "",
        justification=header.get("justification") or "",
    )
    if fields.get("account") is None:
        has_reserve = conn.execute("SELECT 1 FROM accounts WHERE code = 'reserve'").fetchone()
        fields["account"] = "reserve" if has_reserve else uniques[0]
    values = [fields[f] for f in ENTRY_FIELDS]
    h = entry_hash(prev, values, lines_sha256=digest)
    conn.execute(
        f"INSERT INTO entries ({_COLUMNS}) VALUES ({', '.join('?' * (len(values) + 2))})",
        (*values, prev, h),
    )
    row = dict(imports_row, entry=head_id, lines=n, lines_sha256=digest)
    cur = conn.execute(
        f"INSERT INTO imports ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
        list(row.values()),
    )
    import_id = int(cur.lastrowid)
    account_ids = _account_ids(conn, uniques)[pos]
    insert_lines(conn, import_id, int(ids[0]), account_ids, years, amounts, revisions)
    conn.execute(
        "INSERT OR REPLACE INTO ledger_meta (key, value) VALUES ('head', ?)",
        (f"{head_id}:{h}",),
    )
    return int(ids[0]), int(ids[-1])


#: Bits of one packed line (:func:`insert_lines`): account id, year, revision, amount.
_PACK = (43, 32, 31)
_AMOUNT_OFFSET = 1 << 30


def insert_lines(
    conn: sqlite3.Connection,
    import_id: int,
    first_id: int,
    account_ids: np.ndarray,
    years: np.ndarray,
    amounts: np.ndarray,
    revisions: np.ndarray,
) -> None:
    """Insert an import's lines (ids ``first_id``, ``first_id + 1``, …) in one statement.

    Each line is packed into one 63-bit integer (account id: 20 bits, year: 11,
    revision: 1, amount + 2³⁰: 31, i.e. ±107,374 ha), the lines sent as one JSON
    array and unpacked by SQLite (``json_each``): about twice as fast as an
    ``executemany`` binding six values per line. Lines outside these ranges are
    inserted with ``executemany``.

    Examples
    --------
    >>> conn = sqlite3.connect(":memory:")
    >>> _ = conn.execute("CREATE TABLE import_lines (id INTEGER PRIMARY KEY, import_id, "
    ...                  "account_id, year, amount_m2, revision)")
    >>> insert_lines(conn, 1, 10, np.array([3, 4]), np.array([2021, 2022]),
    ...              np.array([-5, 250_000_000_000]), np.array([1, 0]))
    >>> conn.execute("SELECT * FROM import_lines").fetchall()
    [(10, 1, 3, 2021, -5, 1), (11, 1, 4, 2022, 250000000000, 0)]
    """
    a_bits, y_bits, r_bits = _PACK
    acc, yr = account_ids.astype(np.int64), years.astype(np.int64)
    amt, rev = amounts.astype(np.int64), revisions.astype(np.int64)
    ok = (
        (acc >= 0)
        & (acc < 1 << (63 - a_bits))
        & (yr >= 0)
        & (yr < 1 << (a_bits - y_bits))
        & (amt >= -_AMOUNT_OFFSET)
        & (amt < _AMOUNT_OFFSET)
    )
    ids = np.arange(first_id, first_id + len(acc), dtype=np.int64)
    packed = (acc << a_bits) | (yr << y_bits) | (rev << r_bits) | (amt + _AMOUNT_OFFSET)
    packed = np.where(ok, packed, -1)
    conn.execute(
        "INSERT INTO import_lines SELECT ? + key, ?, value >> 43, (value >> 32) & 2047, "
        "(value & 2147483647) - 1073741824, (value >> 31) & 1 FROM json_each(?) WHERE value >= 0",
        (first_id, import_id, "[" + ",".join(map(str, packed.tolist())) + "]"),
    )
    if not ok.all():
        conn.executemany(
            "INSERT INTO import_lines VALUES (?, ?, ?, ?, ?, ?)",
            zip(
                ids[~ok].tolist(),
                [import_id] * int((~ok).sum()),
                acc[~ok].tolist(),
                yr[~ok].tolist(),
                amt[~ok].tolist(),
                rev[~ok].tolist(),
                strict=True,
            ),
        )


def recorded_figures(conn: sqlite3.Connection, periods: list[str]) -> pd.DataFrame:
    """What the ledger holds per account and year of ``periods``: ``account``, ``year``, ``before``.

    Sums the lines of the imports and the consumption entries chained one by one
    (the imports of files written before schema version 5).
    """
    columns = ["account", "year", "before"]
    empty = pd.DataFrame(
        {"account": pd.Series(dtype=object), "year": pd.Series(dtype="int64"), "before": 0}
    )
    if not periods:
        return empty
    placeholders = ", ".join("?" * len(periods))
    chained = conn.execute(
        "SELECT account, year, SUM(amount_m2) FROM entries WHERE kind = 'consumption' "
        f"AND action != '{VINTAGE_ACTION}' AND period IN ({placeholders}) GROUP BY account, year",
        list(periods),
    ).fetchall()
    bounds = conn.execute(
        f"SELECT metric, start_year, end_year FROM periods WHERE period IN ({placeholders})",
        list(periods),
    ).fetchall()
    frames = [pd.DataFrame(chained, columns=columns)]
    for metric, start, end in bounds:
        rows = conn.execute(
            "SELECT a.code, l.year, l.total FROM (SELECT account_id, year, SUM(amount_m2) AS total "
            "FROM import_lines WHERE year BETWEEN ? AND ? AND import_id IN "
            "(SELECT id FROM imports WHERE metric = ?) GROUP BY account_id, year) l "
            "JOIN line_accounts a ON a.id = l.account_id",
            (int(start), int(end), metric),
        ).fetchall()
        frames.append(pd.DataFrame(rows, columns=columns))
    frames = [f for f in frames if len(f)]
    if not frames:
        return empty
    both = pd.concat(frames, ignore_index=True)
    return both.groupby(["account", "year"], as_index=False, sort=False)["before"].sum()


def line_filter(
    conn: sqlite3.Connection,
    period: str,
    *,
    at: str | None = None,
    known_at: str | None = None,
    accounts: list[str] | None = None,
) -> tuple[str, list[Any]]:
    """``WHERE`` clause (on ``import_lines l``) of the lines a balance of ``period`` counts.

    The lines of the imports of the period's metric, in its years; with ``at``
    (``YYYY-MM-DD``), those whose date of effect (31 December of their year) is on
    or before it; with ``known_at``, those recorded by then; with ``accounts``,
    those of these account codes. Equivalent to filtering ``ledger_entries`` on
    ``period``, ``effective_date``, ``recorded_at`` and ``account``, without
    building the entries.
    """
    row = conn.execute(
        "SELECT start_year, end_year, metric FROM periods WHERE period = ?", (period,)
    ).fetchone()
    if row is None:
        return "0", []
    start, end, metric = int(row[0]), int(row[1]), str(row[2])
    if at is not None:
        end = min(end, int(at[:4]) if at[4:] >= "-12-31" else int(at[:4]) - 1)
    where = "l.year BETWEEN ? AND ? AND l.import_id IN (SELECT id FROM imports WHERE metric = ?"
    args: list[Any] = [start, end, metric]
    if known_at is not None:
        where += " AND recorded_at <= ?"
        args.append(known_at)
    where += ")"
    if accounts is not None:
        where += (
            " AND l.account_id IN (SELECT id FROM line_accounts "
            "WHERE code IN (SELECT value FROM json_each(?)))"
        )
        args.append(json.dumps([str(a) for a in accounts]))
    return where, args


def vintage_lines(conn: sqlite3.Connection) -> dict[int, tuple[int, str, str]]:
    """Each import's entry id → (number of lines, SHA-256 recomputed, SHA-256 stored).

    Reads every line once, in id order, and hashes each import's lines vectorised.
    """
    imports = conn.execute(
        "SELECT id, entry, lines, lines_sha256 FROM imports WHERE entry IS NOT NULL"
    ).fetchall()
    if not imports:
        return {}
    codes = dict(conn.execute("SELECT id, code FROM line_accounts").fetchall())
    frame = pd.DataFrame(
        conn.execute(
            "SELECT import_id, id, account_id, year, amount_m2, revision FROM import_lines "
            "ORDER BY id"
        ).fetchall(),
        columns=["import_id", "id", "account_id", "year", "amount_m2", "revision"],
    )
    out: dict[int, tuple[int, str, str]] = {}
    groups = dict(tuple(frame.groupby("import_id", sort=False))) if len(frame) else {}
    for import_id, entry, _n, stored in imports:
        part = groups.get(import_id)
        if part is None:
            out[int(entry)] = (0, hashlib.sha256(b"").hexdigest(), str(stored))
            continue
        pos, found = pd.factorize(part["account_id"].to_numpy(), sort=False)
        digest = _digest(
            [str(codes.get(int(i))) for i in found],
            pos,
            part["id"].to_numpy(),
            part["year"].to_numpy(),
            part["amount_m2"].to_numpy(),
            part["revision"].to_numpy(),
        )
        out[int(entry)] = (len(part), digest, str(stored))
    return out


def line_problems(
    conn: sqlite3.Connection, sealed: dict[int, tuple[int, str, str]]
) -> list[Problem]:
    """Lines that do not match what their import recorded, or that belong to no import."""
    problems = []
    for entry, (n, digest, stored) in sealed.items():
        if digest != stored:
            problems.append(
                Problem(
                    "import_lines",
                    f"the lines of the import recorded by entry {entry} ({n:,} lines) do not "
                    "match their SHA-256: a line was edited, added or deleted",
                    row=str(entry),
                    column="lines_sha256",
                    fix="restore the file from a backup",
                )
            )
    orphans = conn.execute(
        "SELECT COUNT(*) FROM import_lines WHERE import_id NOT IN "
        "(SELECT id FROM imports WHERE entry IS NOT NULL)"
    ).fetchone()[0]
    if orphans:
        problems.append(
            Problem(
                "import_lines",
                f"{orphans:,} lines belong to no recorded import: they were added outside zan",
                fix="restore the file from a backup",
            )
        )
    return problems
