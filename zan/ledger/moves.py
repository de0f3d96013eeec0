"""Moves of envelope between accounts: transfers, grants of the reserve, PENE, reversals.

Each function takes a :class:`~zan.ledger.book.Book` and makes one write (one
operation number shared by its legs, the invariants re-checked before the commit).
:class:`zan.ledger.Ledger` exposes them as methods, documented there:

- :func:`transfer`: between territories (pooling, with both agreements);
- :func:`grant`: from the regional reserve to a territory (projet d'envergure
  régionale);
- :func:`record_pene`: a national project against the PENE forfait, taken off
  the territory where the Cerema file counts it (loi n° 2023-630);
- :func:`reverse`: a mistake corrected by opposite entries (entries are never edited).
"""

from __future__ import annotations

import sqlite3
from typing import Any

import pandas as pd

from ..errors import LedgerError
from .accounts import PENE, RESERVE, author_name, clean_text
from .book import Book
from .entries import M2_PER_HA, next_operation, parse_date, to_m2
from .lines import VINTAGE_ACTION
from .projects import project_actions

__all__ = ["transfer", "grant", "record_pene", "reverse"]


def transfer(
    book: Book,
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
    """Move envelope from one account to another, in one write (:meth:`zan.ledger.Ledger.transfer`)."""
    m2 = to_m2(ha, what="transfer amount")
    why = clean_text(justification, "transfer justification", required=True)
    when = parse_date(date)
    who = author_name(author)

    def write(conn: sqlite3.Connection) -> int:
        src, src_type = book.account(conn, from_account, what="giving account")
        dst, dst_type = book.account(conn, to_account, what="receiving account")
        if src == dst:
            raise LedgerError(f"{book.source}: transfer from {src!r} to itself; give two accounts")
        if PENE in (src_type, dst_type):
            raise LedgerError(
                f"{book.source}: the PENE forfait is counted apart and takes no transfer; "
                "record national projects with record_pene (zan ledger pene)"
            )
        if src_type == "reserve":
            raise LedgerError(
                f"{book.source}: hectares leave the regional reserve by a grant "
                "(zan ledger grant), not a transfer"
            )
        return _move(
            book,
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

    return book.write(write)


def _move(
    book: Book,
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
    per, metric = book.period_for(conn, period, when)
    _check_balance(book, conn, src, per, m2, allow_overdraft, kind.replace("reserve_", ""))
    op = next_operation(conn)
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
    book.append(conn, pd.DataFrame(legs))
    return op


def _check_balance(
    book: Book, conn: sqlite3.Connection, account: str, period: str, m2: int, allow: bool, what: str
) -> None:
    remaining = book.remaining_m2(conn, account, period)
    if m2 > remaining and not allow:
        raise LedgerError(
            f"{book.source}: {what} of {m2 / M2_PER_HA:,.4f} ha from {account!r} exceeds its "
            f"remaining balance for {period} ({remaining / M2_PER_HA:,.4f} ha); lower the "
            "amount, or pass allow_overdraft=True (--allow-overdraft) if the governance agreed"
        )


def grant(
    book: Book,
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
    """Grant hectares of the regional reserve to a territory (:meth:`zan.ledger.Ledger.grant`)."""
    m2 = to_m2(ha, what="grant amount")
    why = clean_text(justification, "grant justification", required=True)
    when = parse_date(date)
    who = author_name(author)

    def write(conn: sqlite3.Connection) -> int:
        dst, dst_type = book.account(conn, territory, what="territory")
        if dst_type not in ("territoire", "garantie"):
            raise LedgerError(
                f"{book.source}: the reserve grants to territories; "
                f"{dst!r} is the {dst_type} account"
            )
        if project is not None:
            row = conn.execute(
                "SELECT account FROM projects WHERE fid = ?", (int(project),)
            ).fetchone()
            if row is None:
                raise LedgerError(
                    f"{book.source}: unknown project {project!r}; see zan ledger history"
                )
        return _move(
            book,
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

    return book.write(write)


def record_pene(
    book: Book,
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
    """Record a national project against the PENE forfait (:meth:`zan.ledger.Ledger.record_pene`)."""
    m2 = to_m2(ha, what="PENE amount")
    what = clean_text(label, "PENE label", required=True)
    when = parse_date(date)
    who = author_name(author)
    flow_year = int(year) if year is not None else int(when[:4])

    def write(conn: sqlite3.Connection) -> int:
        rows = []
        per, metric = book.period_for(conn, period, when)
        op = next_operation(conn)
        common = dict(
            operation=op,
            effective_date=when,
            period=per,
            metric=metric,
            kind="pene",
            label=what,
            author=who,
            justification=clean_text(justification, "justification"),
            year=flow_year,
        )
        rows.append(
            {**common, "account": PENE, "action": "pene", "amount_m2": m2, "counterpart": None}
        )
        if territory is not None:
            dst, dst_type = book.account(conn, territory, what="territory")
            if dst_type != "territoire":
                raise LedgerError(f"{book.source}: {dst!r} is not a territory account")
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
        book.append(conn, pd.DataFrame(rows))
        return op

    return book.write(write)


def reverse(
    book: Book,
    entry: int,
    *,
    justification: str,
    date: Any = None,
    author: str | None = None,
) -> list[int]:
    """Reverse an entry and the other legs of its operation (:meth:`zan.ledger.Ledger.reverse`)."""
    why = clean_text(justification, "reversal justification", required=True)
    who = author_name(author)
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
            if conn.execute("SELECT 1 FROM import_lines WHERE id = ?", (int(entry),)).fetchone():
                raise LedgerError(
                    f"{book.source}: entry {entry} is a line of a vintage import; a vintage is "
                    "corrected by importing the revised vintage (its revisions are recorded as "
                    "adjustments), or an older one with allow_older=True (--allow-older)"
                )
            raise LedgerError(f"{book.source}: no entry {entry!r}; zan ledger history lists them")
        e = dict(zip(cols, row, strict=True))
        if e["action"] == VINTAGE_ACTION:
            raise LedgerError(
                f"{book.source}: entry {entry} records a vintage import (its lines); a vintage "
                "is corrected by importing the revised vintage (its revisions are recorded as "
                "adjustments), or an older one with allow_older=True (--allow-older)"
            )
        if e["kind"] == "allocation":
            raise LedgerError(
                f"{book.source}: entry {entry} is an allocation credit; it cannot be reversed "
                "alone (the accounts would no longer add up to the regional envelope): move "
                "hectares with transfers or grants instead"
            )
        if e["reverses"] is not None:
            raise LedgerError(
                f"{book.source}: entry {entry} is itself a reversal; "
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
            raise LedgerError(f"{book.source}: entry {done[0][0]} was already reversed")
        if e["kind"] == "project":
            actions = project_actions(conn, e["project"])
            if not actions or actions[-1][0] != e["id"]:
                raise LedgerError(
                    f"{book.source}: entry {entry} is not the last action of project "
                    f"{e['project']}; reverse the later ones first"
                )
        op = next_operation(conn)
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
        first, last = book.append(conn, frame.drop(columns="id"))
        return list(range(first, last + 1))

    return book.write(write)
