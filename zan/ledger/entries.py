"""Ledger entries: kinds, validation, and the SHA-256 hash chain.

An entry is one movement on one account. Entries are only ever appended: a
mistake is corrected by a *reversing* entry (same kind, opposite amount,
``reverses`` = the id corrected), never by editing. Each entry stores the hash of
the previous entry and its own hash, ``sha256(prev_hash + "\\n" + canonical)``,
where ``canonical`` is the JSON list of all its fields in :data:`ENTRY_FIELDS`
order; changing, deleting or reordering any stored entry breaks the chain from
that entry on, which :func:`verify_chain` finds.

Amounts are whole square metres (``amount_m2``, integers: sums are exact, the
invariants are checked without tolerance) and are shown in hectares. The sign is
read in the column of the entry's kind:

==============  ========================  ===========================================
kind            column                    amount
==============  ========================  ===========================================
allocation      envelope                  + credit from an allocation run
reserve_grant   envelope                  − on the reserve, + on the territory
transfer        envelope                  − on the giver, + on the receiver
consumption     consumed                  + the period's metric for a year, ± revision:
                                          ENAF consumption (Cerema) until 2030, net
                                          artificialisation from 2031 (− when the
                                          renaturation exceeds it: a credit)
pene            consumed                  + on the PENE forfait, − on the territory
                                          where the Cerema file counts it
project         committed                 + when planned, − when realised or abandoned
==============  ========================  ===========================================

``remaining = envelope − consumed − committed`` (a realised project leaves the
committed column: its consumption reaches the ledger with the Cerema vintage
that measures it).

Periods follow the law (loi n° 2021-1104 art. 191 and 194, DOMAIN.md §1): the
metric is ENAF consumption for 2021-2030 and net artificialisation afterwards.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import json
import math
import re
import sqlite3
from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError, IntegrityError, LedgerError, PeriodError, Problem

__all__ = [
    "KINDS",
    "ENVELOPE_KINDS",
    "CONSUMED_KINDS",
    "COMMITTED_KINDS",
    "LEGAL_PERIODS",
    "METRICS",
    "ENTRY_FIELDS",
    "GENESIS_HASH",
    "M2_PER_HA",
    "metric_of",
    "parse_period",
    "next_operation",
    "raise_integrity",
    "to_m2",
    "parse_date",
    "append_entries",
    "entry_hash",
    "chain_head",
    "verify_chain",
]

#: Kinds of entries.
KINDS: tuple[str, ...] = (
    "allocation",
    "consumption",
    "project",
    "reserve_grant",
    "transfer",
    "pene",
)
#: Kinds whose amounts make up an account's envelope.
ENVELOPE_KINDS: tuple[str, ...] = ("allocation", "reserve_grant", "transfer")
#: Kinds whose amounts are consumption.
CONSUMED_KINDS: tuple[str, ...] = ("consumption", "pene")
#: Kinds whose amounts are commitments (projects not yet realised).
COMMITTED_KINDS: tuple[str, ...] = ("project",)
#: The decades of the law (loi 2021-1104; DOMAIN.md §1).
LEGAL_PERIODS: tuple[str, ...] = ("2021-2030", "2031-2040", "2041-2050")
#: Metric of each period: ENAF consumption for the first decade, net artificialisation after.
METRICS: dict[str, str] = {
    "enaf_consumption": "Consommation d'ENAF",
    "net_artificialisation": "Artificialisation nette",
}
M2_PER_HA = 10_000
#: The ``prev_hash`` of the first entry.
GENESIS_HASH = "0" * 64

#: Fields of an entry, in the order they are hashed.
ENTRY_FIELDS: tuple[str, ...] = (
    "id",
    "operation",
    "recorded_at",
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
    "author",
    "justification",
    "source_file",
    "source_sha256",
    "scenario_name",
    "scenario_hash",
    "reverses",
)
_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))
_INT_FIELDS = ("id", "operation", "amount_m2", "year", "project", "reverses")
_REQUIRED = (
    "effective_date",
    "period",
    "metric",
    "kind",
    "action",
    "account",
    "amount_m2",
    "label",
)
_PERIOD_RE = re.compile(r"^(\d{4})-(\d{4})$")


def metric_of(start_year: int) -> str:
    """The metric of a period starting in ``start_year``.

    ENAF consumption for the decade 2021-2030, net artificialisation from 2031
    (loi n° 2021-1104 art. 191; DOMAIN.md §1).

    Examples
    --------
    >>> metric_of(2021), metric_of(2031)
    ('enaf_consumption', 'net_artificialisation')
    """
    return "enaf_consumption" if int(start_year) < 2031 else "net_artificialisation"


def parse_period(period: Any, *, source: str = "ledger") -> tuple[str, int, int]:
    """``"2021-2030"`` or ``(2021, 2030)`` → ``("2021-2030", 2021, 2030)``.

    Raises
    ------
    PeriodError
        When it is not two years, first one first.

    Examples
    --------
    >>> parse_period((2031, 2040))
    ('2031-2040', 2031, 2040)
    """
    if isinstance(period, tuple | list) and len(period) == 2:
        text = f"{int(period[0])}-{int(period[1])}"
    else:
        text = str(period).strip().replace("–", "-")
    m = _PERIOD_RE.match(text)
    if not m or int(m.group(1)) > int(m.group(2)):
        raise PeriodError(
            f"{source}: period {period!r} is not a range of years; write it like "
            f"'2021-2030' (the periods of the law are {', '.join(LEGAL_PERIODS)})"
        )
    return text, int(m.group(1)), int(m.group(2))


def to_m2(ha: Any, *, what: str = "amount", allow_zero: bool = False) -> int:
    """Hectares → whole square metres, refusing negative, missing or infinite amounts.

    Parameters
    ----------
    ha : float
        Amount in hectares (4 decimals = 1 m²).
    what : str
        Name of the amount, for messages.
    allow_zero : bool, default False
        Accept 0.

    Raises
    ------
    DataError
        When the amount is not a positive finite number.

    Examples
    --------
    >>> to_m2(1.25)
    12500
    >>> to_m2(-2)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    zan.errors.DataError: amount must be a positive number of hectares (got -2)...
    """
    try:
        value = float(ha)
    except (TypeError, ValueError):
        value = math.nan
    if not math.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        raise DataError(
            f"{what} must be a positive number of hectares (got {ha!r}); "
            "to take hectares back, record the opposite operation or reverse the entry"
        )
    return int(round(value * M2_PER_HA))


def parse_date(value: Any, *, what: str = "date") -> str:
    """A date as ``YYYY-MM-DD`` text (``None`` → today, UTC).

    Raises
    ------
    DataError
        When the value is not a date.

    Examples
    --------
    >>> parse_date("2024-03-01")
    '2024-03-01'
    """
    if value is None:
        return _dt.datetime.now(_dt.UTC).date().isoformat()
    if isinstance(value, _dt.datetime):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    try:
        return _dt.date.fromisoformat(str(value).strip()).isoformat()
    except ValueError:
        raise DataError(
            f"{what} {value!r} is not a date; write it as YYYY-MM-DD, e.g. 2025-12-31"
        ) from None


def _column(values: Any, n: int, integer: bool) -> list[Any]:
    """One field of ``n`` entries as Python values (None for missing)."""
    if values is None or np.isscalar(values):
        return [values] * n
    if integer:
        return pd.array(values, dtype="Int64").to_numpy(dtype=object, na_value=None).tolist()
    if isinstance(values, pd.Series):
        return values.to_numpy(dtype=object, na_value=None).tolist()
    return [None if v is None or (isinstance(v, float) and math.isnan(v)) else v for v in values]


def entry_hash(prev_hash: str, values: Iterable[Any], *, lines_sha256: str | None = None) -> str:
    """Hash of one entry: ``sha256(prev_hash + "\\n" + canonical JSON of its fields)``.

    The entry of a vintage import also seals its lines: ``"\\n" + lines_sha256``
    is appended to the text hashed (:mod:`zan.ledger.lines`).

    Parameters
    ----------
    prev_hash : str
        Hash of the previous entry (:data:`GENESIS_HASH` for the first).
    values : iterable
        The entry's fields in :data:`ENTRY_FIELDS` order (int, str or None).
    lines_sha256 : str, optional
        SHA-256 of the import's lines (:func:`zan.ledger.lines.lines_sha256`).

    Examples
    --------
    >>> len(entry_hash(GENESIS_HASH, [1, 1, "t", "2021-01-01"]))
    64
    """
    canonical = _ENCODER.encode(list(values))
    if lines_sha256 is not None:
        canonical += "\n" + lines_sha256
    return hashlib.sha256(f"{prev_hash}\n{canonical}".encode()).hexdigest()


def _encode_column(values: list[Any], integer: bool) -> np.ndarray:
    """JSON text of each value of one column (what :data:`_ENCODER` writes for it)."""
    if integer:
        arr = pd.array(values, dtype="Int64")
        text = np.asarray(arr.astype("str"), dtype=object)
        text[np.asarray(arr.isna())] = "null"
        return text
    codes, uniques = pd.factorize(np.asarray(values, dtype=object), use_na_sentinel=True)
    encoded = np.array([_ENCODER.encode(u) for u in uniques] + ["null"], dtype=object)
    return encoded[codes]


def _canonical_rows(columns: dict[str, list[Any]]) -> list[str]:
    """Canonical JSON of many entries at once (column by column, same text as :func:`entry_hash`).

    Examples
    --------
    >>> cols = {f: [None] for f in ENTRY_FIELDS} | {"id": [1], "label": ["é"]}
    >>> row = [cols[f][0] for f in ENTRY_FIELDS]
    >>> _canonical_rows(cols)[0] == _ENCODER.encode(row)
    True
    """
    texts = [_encode_column(columns[f], f in _INT_FIELDS) for f in ENTRY_FIELDS]
    texts[0] = "[" + texts[0]
    texts[-1] = texts[-1] + "]"
    return list(map(",".join, zip(*texts, strict=True)))


def _chain(prev: str, canonical: Iterable[str]) -> list[str]:
    """Hashes of successive entries (sequential by nature: each needs the previous one)."""
    sha = hashlib.sha256
    hashes = []
    for text in canonical:
        prev = sha(f"{prev}\n{text}".encode()).hexdigest()
        hashes.append(prev)
    return hashes


def chain_head(conn: sqlite3.Connection) -> tuple[int, str]:
    """(id, hash) of the last chained entry, or (0, :data:`GENESIS_HASH`)."""
    row = conn.execute("SELECT id, hash FROM entries ORDER BY id DESC LIMIT 1").fetchone()
    return (0, GENESIS_HASH) if row is None else (int(row[0]), str(row[1]))


def next_operation(conn: sqlite3.Connection) -> int:
    """A new operation number (entries written together share one)."""
    # Operations grow with the ids, so the last entry holds the largest.
    row = conn.execute("SELECT operation FROM entries ORDER BY id DESC LIMIT 1").fetchone()
    return 1 if row is None else int(row[0]) + 1


def append_entries(
    conn: sqlite3.Connection,
    entries: pd.DataFrame | dict[str, Any],
    *,
    recorded_at: str,
) -> tuple[int, int]:
    """Append entries to the chain (inside the caller's transaction).

    Parameters
    ----------
    conn : sqlite3.Connection
        In a write transaction (:func:`zan.ledger.store.write_transaction`).
    entries : pandas.DataFrame or dict of columns
        Columns of :data:`ENTRY_FIELDS` except ``id`` and ``recorded_at``;
        scalars are repeated. ``amount_m2`` must be whole numbers.
    recorded_at : str
        Time of the write (UTC, ISO 8601), the same for every entry of it.

    Returns
    -------
    tuple of int
        First and last id written ((0, -1) when there is nothing to write).

    Examples
    --------
    >>> from zan.ledger import example_ledger
    >>> from zan.ledger.store import write_transaction
    >>> ledger = example_ledger()
    >>> row = {"operation": [99], "effective_date": "2024-06-01", "period": "2021-2030",
    ...        "metric": "enaf_consumption", "kind": "consumption", "action": "import",
    ...        "account": "96", "amount_m2": 5000, "year": 2023, "label": "Saisie manuelle"}
    >>> write_transaction(ledger.connection, lambda c: append_entries(c, row, recorded_at="now"))
    (6, 6)
    """
    frame = entries if isinstance(entries, pd.DataFrame) else pd.DataFrame(entries)
    n = len(frame)
    if n == 0:
        return 0, -1
    missing = [c for c in _REQUIRED if c not in frame.columns]
    if missing:
        raise LedgerError(f"entries: missing fields {', '.join(missing)}")
    amounts = np.asarray(frame["amount_m2"], dtype="float64")
    if not np.all(np.isfinite(amounts)) or np.any(amounts != np.round(amounts)):
        raise LedgerError("entries: amount_m2 must be whole square metres")
    kinds = set(frame["kind"].tolist())
    if not kinds <= set(KINDS):
        raise LedgerError(f"entries: unknown kind(s) {sorted(kinds - set(KINDS))}")
    last_id, prev = chain_head(conn)
    try:  # the lines of an import follow its entry (schema version 5)
        lines = conn.execute("SELECT MAX(id) FROM import_lines").fetchone()[0]
    except sqlite3.OperationalError:  # a file being migrated from an older version
        lines = None
    last_id = max(last_id, int(lines or 0))
    ids = list(range(last_id + 1, last_id + 1 + n))
    cols: dict[str, list[Any]] = {}
    for field in ENTRY_FIELDS:
        if field == "id":
            cols[field] = ids
        elif field == "recorded_at":
            cols[field] = [recorded_at] * n
        else:
            values = frame[field] if field in frame.columns else None
            cols[field] = _column(values, n, field in _INT_FIELDS)
    for field in ("author", "justification"):
        cols[field] = [v if v is not None else "" for v in cols[field]]
    hashes = _chain(prev, _canonical_rows(cols))
    rows = zip(*(cols[f] for f in ENTRY_FIELDS), [prev, *hashes[:-1]], hashes, strict=True)
    placeholders = ", ".join("?" * (len(ENTRY_FIELDS) + 2))
    conn.executemany(
        f"INSERT INTO entries ({', '.join(ENTRY_FIELDS)}, prev_hash, hash) VALUES ({placeholders})",
        rows,
    )
    conn.execute(
        "INSERT OR REPLACE INTO ledger_meta (key, value) VALUES ('head', ?)",
        (f"{ids[-1]}:{hashes[-1]}",),
    )
    return ids[0], ids[-1]


def verify_chain(
    conn: sqlite3.Connection,
    *,
    batch: int = 50_000,
    sealed: dict[int, tuple[int, str, str]] | None = None,
) -> tuple[list[Problem], int, str]:
    """Recompute the hash chain of every entry.

    The entry of a vintage import is hashed with the SHA-256 of its lines, as
    recomputed from the lines stored (``sealed``), and the ids of its lines
    follow it (:mod:`zan.ledger.lines`).

    Parameters
    ----------
    conn : sqlite3.Connection
        The ledger.
    batch : int, default 50000
        Entries read at a time.
    sealed : dict, optional
        Entry id of each import → (number of lines, SHA-256 recomputed, SHA-256
        stored), from :func:`zan.ledger.lines.vintage_lines`; default: the SHA-256
        stored with each import (the lines themselves are not re-read).

    Returns
    -------
    problems : list of Problem
        The first entry whose stored hash or link does not match (later ones
        follow from it), ids not in sequence, and a head that does not match the
        one recorded with the last write.
    count : int
        Number of chained entries.
    head : str
        Hash of the last entry (publish it to anchor the ledger).

    Examples
    --------
    >>> from zan.ledger import example_ledger
    >>> problems, count, head = verify_chain(example_ledger().connection)
    >>> problems, count
    ([], 5)
    """
    if sealed is None:  # the SHA-256 of the lines as stored (verify_ledger recomputes them)
        try:
            rows = conn.execute(
                "SELECT entry, lines, lines_sha256 FROM imports WHERE entry IS NOT NULL"
            ).fetchall()
        except sqlite3.OperationalError:  # a file before schema version 5
            rows = []
        sealed = {int(e): (int(n), str(h), str(h)) for e, n, h in rows}
    problems: list[Problem] = []
    prev = GENESIS_HASH
    expected_id = 1
    last_id = 0
    count = 0
    cur = conn.execute(
        f"SELECT {', '.join(ENTRY_FIELDS)}, prev_hash, hash FROM entries ORDER BY id"
    )
    broken = False
    while not broken:
        rows = cur.fetchmany(batch)
        if not rows:
            break
        cols = list(zip(*rows, strict=True))
        ids = np.asarray(cols[0], dtype=np.int64)
        stored_prev, stored = list(cols[-2]), list(cols[-1])
        canonical = _canonical_rows(dict(zip(ENTRY_FIELDS, map(list, cols), strict=False)))
        # an import's entry seals its lines, whose ids follow it
        skip = np.zeros(len(ids), dtype=np.int64)
        for k, i in enumerate(ids.tolist()):
            if i in sealed:
                canonical[k] += "\n" + sealed[i][1]
                skip[k] = sealed[i][0]
        expected = _chain(prev, canonical)
        expected_ids = np.concatenate([[expected_id], ids[:-1] + 1 + skip[:-1]])
        links = np.array([prev, *stored[:-1]], dtype=object)
        checks = [
            (
                ids != expected_ids,
                "id",
                "entry ids jump here: entries were deleted",
            ),
            (
                np.asarray(stored_prev, dtype=object) != links,
                "prev_hash",
                "its prev_hash does not match the previous entry's hash (an entry before it was "
                "changed, deleted or inserted)",
            ),
            (
                np.asarray(stored, dtype=object) != np.asarray(expected, dtype=object),
                "hash",
                "its content does not match its hash: the row was edited",
            ),
        ]
        # The first row where the id, the link or the content does not match is named.
        bad_at = min((int(np.argmax(m)) for m, _, _ in checks if m.any()), default=None)
        if bad_at is not None:
            for mask, column, message in checks:
                if mask[bad_at]:
                    problems.append(
                        Problem(
                            "entries",
                            message,
                            row=str(ids[bad_at]),
                            column=column,
                            fix="restore the file from a backup",
                        )
                    )
                    break
            broken = True
        count += len(rows)
        expected_id = int(ids[-1]) + 1 + int(skip[-1])
        last_id = int(ids[-1])
        prev = stored[-1]
    if broken:
        count += sum(len(r) for r in iter(lambda: cur.fetchmany(batch), []))
        prev = chain_head(conn)[1]
    head_row = conn.execute("SELECT value FROM ledger_meta WHERE key = 'head'").fetchone()
    if count and not broken:
        recorded = head_row[0] if head_row else None
        if recorded != f"{last_id}:{prev}":
            problems.append(
                Problem(
                    "ledger_meta",
                    f"the head recorded with the last write ({recorded}) is not the "
                    f"last entry ({last_id}:{prev}): entries were removed or added "
                    "outside zan",
                    row="head",
                    fix="restore the file from a backup",
                )
            )
    return problems, count, prev


def raise_integrity(problems: list[Problem], source: str) -> None:
    """Raise :class:`IntegrityError` listing the problems, if any."""
    if problems:
        lines = "; ".join(str(p) for p in problems[:10])
        raise IntegrityError(f"{source}: verification failed: {lines}")
