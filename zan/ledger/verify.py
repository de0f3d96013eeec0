"""Verification: the invariants every write re-checks, and the full check of ``verify``."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from ..errors import IntegrityError, Problem
from . import store
from .entries import M2_PER_HA, raise_integrity, verify_chain
from .lines import LINE_TRIGGERS, line_problems, vintage_lines

__all__ = ["VerifyReport", "check_invariants", "invariant_problems", "verify_ledger"]


@dataclass(frozen=True)
class VerifyReport:
    """What :meth:`Ledger.verify` found.

    Attributes
    ----------
    ok : bool
        True when every check passed.
    entries : int
        Number of entries.
    head : str
        Hash of the last entry: publish it (e.g. in a deliberation) to anchor the
        ledger; pass it back as ``expected_head`` later.
    problems : tuple of Problem
        Every failure found.
    checks : tuple of str
        What was checked.
    """

    ok: bool
    entries: int
    head: str
    problems: tuple[Problem, ...] = ()
    checks: tuple[str, ...] = ()

    def __str__(self) -> str:
        lines = [
            f"{'OK' if self.ok else 'FAILED'}: {self.entries:,} entries, head {self.head}",
            *(f"  checked: {c}" for c in self.checks),
            *(f"  problem: {p}" for p in self.problems),
        ]
        return "\n".join(lines)


def invariant_problems(
    conn: sqlite3.Connection, fix: str | None = "restore the file from a backup"
) -> list[Problem]:
    """Every invariant that fails in the ledger, as problems (none when all hold).

    Per allocated period, the accounts and the reserve add up to the regional
    envelope and the PENE account to its forfait; no envelope entry lies in a
    period without envelope; the legs of every transfer and grant cancel out;
    every project's commitment is 0 or its ENAF area.

    Examples
    --------
    >>> from zan.ledger import example_ledger
    >>> invariant_problems(example_ledger().connection)
    []
    """
    problems: list[Problem] = []
    periods = {
        r[0]: (r[1], r[2])
        for r in conn.execute(
            "SELECT period, envelope_m2, pene_m2 FROM periods WHERE envelope_m2 IS NOT NULL"
        )
    }
    sums = {
        (r[0], bool(r[1])): int(r[2])
        for r in conn.execute(
            "SELECT e.period, a.account_type = 'pene', SUM(e.amount_m2) FROM entries e "
            "JOIN accounts a ON a.code = e.account WHERE e.kind IN ('allocation', 'reserve_grant', "
            "'transfer') GROUP BY e.period, a.account_type = 'pene'"
        )
    }
    for per, (env, pene) in periods.items():
        got = sums.get((per, False), 0)
        if got != env:
            problems.append(
                Problem(
                    "entries",
                    f"period {per}: the accounts and the reserve add up "
                    f"to {got / M2_PER_HA:,.4f} ha, not the regional envelope "
                    f"{env / M2_PER_HA:,.4f} ha",
                    fix=fix,
                )
            )
        got = sums.get((per, True), 0)
        if got != (pene or 0):
            problems.append(
                Problem(
                    "entries",
                    f"period {per}: the PENE account holds "
                    f"{got / M2_PER_HA:,.4f} ha, not the forfait "
                    f"{(pene or 0) / M2_PER_HA:,.4f} ha",
                    fix=fix,
                )
            )
    stray = [
        r[0]
        for r in conn.execute(
            "SELECT DISTINCT period FROM entries "
            "WHERE kind IN ('allocation', 'reserve_grant', 'transfer') "
            "AND period NOT IN (SELECT period FROM periods WHERE envelope_m2 IS NOT NULL)"
        )
    ]
    if stray:
        problems.append(
            Problem("entries", f"envelope entries in periods without envelope: {stray}")
        )
    bad_ops = [
        r[0]
        for r in conn.execute(
            "SELECT operation FROM entries "
            "WHERE kind IN ('allocation', 'reserve_grant', 'transfer') GROUP BY operation "
            "HAVING SUM(CASE WHEN kind = 'allocation' THEN 0 ELSE amount_m2 END) != 0 "
            "LIMIT 10"
        )
    ]
    if bad_ops:
        problems.append(
            Problem(
                "entries", f"the legs of operations {bad_ops} do not cancel out", column="amount_m2"
            )
        )
    bad_projects = [
        r[0]
        for r in conn.execute(
            "SELECT p.fid FROM projects p "
            "LEFT JOIN entries e ON e.project = p.fid AND e.kind = 'project' GROUP BY p.fid "
            "HAVING COALESCE(SUM(e.amount_m2), 0) NOT IN (0, MAX(p.enaf_m2)) LIMIT 10"
        )
    ]
    if bad_projects:
        problems.append(
            Problem(
                "projects",
                f"projects {bad_projects}: the commitment is neither 0 nor the project's ENAF area",
                column="enaf_m2",
            )
        )
    return problems


def check_invariants(conn: sqlite3.Connection, source: str) -> None:
    """Raise :class:`IntegrityError` (rolling the write back) when an envelope invariant fails.

    Run inside every write transaction, after the entries are appended: per
    allocated period, the territory, garantie and reserve accounts add up to the
    regional envelope, and the PENE account to its forfait, exactly (m²).

    Examples
    --------
    >>> from zan.ledger import example_ledger
    >>> check_invariants(example_ledger().connection, "exemple")  # nothing to say
    """
    problems = [p for p in invariant_problems(conn, fix=None) if p.source != "projects"]
    if problems:
        raise IntegrityError(
            f"{source}: the write would break an invariant, nothing was recorded: "
            + "; ".join(str(p) for p in problems)
        )


def verify_ledger(
    conn: sqlite3.Connection,
    source: str,
    *,
    expected_head: str | None = None,
    strict: bool = False,
) -> VerifyReport:
    """The full check of :meth:`zan.ledger.Ledger.verify`, in one consistent read.

    The SHA-256 chain, the head recorded by the last write, the append-only
    triggers, every invariant (:func:`invariant_problems`) and, optionally, a
    published head.

    Examples
    --------
    >>> from zan.ledger import example_ledger
    >>> verify_ledger(example_ledger().connection, "exemple").ok
    True
    """
    with store.read_snapshot(conn):
        sealed = vintage_lines(conn)
        problems, count, head = verify_chain(conn, sealed=sealed)
        problems += line_problems(conn, sealed)
        count += sum(n for n, _, _ in sealed.values()) - len(sealed)  # lines, not their seals
        checks = [
            "SHA-256 chain of every entry",
            "SHA-256 of the lines of every import",
            "head recorded by the last write",
        ]
        triggers = {
            r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        }
        for name in (*store.APPEND_ONLY_TRIGGERS, *LINE_TRIGGERS):
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
        problems += invariant_problems(conn)
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
        raise_integrity(problems, source)
    return report
