"""Vintage imports as one chained entry and compact lines (schema version 5)."""

from __future__ import annotations

import sqlite3

import numpy as np
import pandas as pd
import pytest
from test_ledger_common import (  # noqa: F401 (fixtures)
    ASSIGNMENT,
    FLOWS_V1,
    FakeAllocation,
    ledger_fixture,
    vintage1_fixture,
    vintage2_fixture,
)

from zan.errors import IntegrityError, LedgerError
from zan.ledger import Ledger, store
from zan.ledger.entries import append_entries
from zan.ledger.lines import lines_sha256


def _raw(led: Ledger) -> sqlite3.Connection:
    return sqlite3.connect(led.path, isolation_level=None)


def _drop_triggers(conn: sqlite3.Connection) -> None:
    for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
        conn.execute(f'DROP TRIGGER "{name}"')


def test_an_import_is_one_chained_entry_and_its_lines(ledger: Ledger, vintage1) -> None:
    before = ledger.connection.execute("SELECT MAX(id) FROM entries").fetchone()[0]
    report = ledger.import_consumption(vintage1)
    head = before + 1
    assert report.entries == (head + 1, head + 6)  # the lines follow their entry
    with _raw(ledger) as conn:
        chained = conn.execute(
            "SELECT id, kind, action, amount_m2, source_file FROM entries WHERE id > ?", (before,)
        ).fetchall()
        assert chained == [(head, "consumption", "vintage", 0, "conso_v1.csv")]
        row = conn.execute("SELECT entry, lines, lines_sha256 FROM imports").fetchone()
        assert row[:2] == (head, 6) and len(row[2]) == 64
        lines = conn.execute(
            "SELECT id, year, amount_m2, revision FROM import_lines ORDER BY id"
        ).fetchall()
    assert [r[0] for r in lines] == list(range(head + 1, head + 7))
    assert [r[2] for r in lines] == [40_000, 60_000, 60_000, 100_000, 120_000, 110_000]
    # Listed as before: one consumption entry per account-year, with its label.
    e = ledger.entries(kind="consumption")
    assert e.index.tolist() == list(range(head + 1, head + 7))
    assert e["label"].iloc[0] == "Consommation d'ENAF 2021 (Cerema, millésime 2019-2023)"
    seal = ledger.connection.execute("SELECT hash FROM entries WHERE id = ?", (head,)).fetchone()
    assert set(e["action"]) == {"import"} and (e["hash"] == seal[0]).all()  # sealed by it
    assert ledger.verify().ok
    # The next write continues the sequence after the lines.
    op = ledger.transfer("A", "B", 1, justification="accord", date="2024-02-01")
    assert op and ledger.entries(kind="transfer").index.tolist() == [head + 7, head + 8]
    assert ledger.verify().ok


def test_a_changed_line_makes_verify_fail(ledger: Ledger, vintage1, vintage2) -> None:
    ledger.import_consumption(vintage1)
    ledger.import_consumption(vintage2)
    assert ledger.verify().ok
    with _raw(ledger) as conn:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("UPDATE import_lines SET amount_m2 = 0")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("DELETE FROM import_lines")
        _drop_triggers(conn)
        conn.execute("UPDATE import_lines SET amount_m2 = amount_m2 + 1 WHERE id = 8")
    report = ledger.verify()
    assert not report.ok
    assert "a line was edited, added or deleted" in str(report)
    with pytest.raises(IntegrityError, match="the row was edited"):
        ledger.verify(strict=True)


@pytest.mark.parametrize(
    "tamper",
    [
        "DELETE FROM import_lines WHERE id = (SELECT MAX(id) FROM import_lines)",
        "INSERT INTO import_lines VALUES (999, 1, 1, 2022, 5000, 1)",
        "UPDATE import_lines SET year = 2022 WHERE id = 8",
        # the lines are moved to another account
        "UPDATE line_accounts SET code = 'x' WHERE code = 'A'; "
        "UPDATE line_accounts SET code = 'A' WHERE code = 'B'; "
        "UPDATE line_accounts SET code = 'B' WHERE code = 'x'",
    ],
)
def test_lines_deleted_added_or_moved_make_verify_fail(ledger: Ledger, vintage1, tamper) -> None:
    ledger.import_consumption(vintage1)
    with _raw(ledger) as conn:
        _drop_triggers(conn)
        conn.execute("PRAGMA foreign_keys = OFF")
        conn.executescript(tamper)
    assert not ledger.verify().ok


def test_balances_sum_the_lines_as_the_entries_say(ledger: Ledger, vintage1, vintage2) -> None:
    ledger.import_consumption(vintage1)
    moment = ledger.entries()["recorded_at"].max()
    ledger.import_consumption(vintage2)
    e = ledger.entries()
    for at, known_at in [(None, None), ("2022-12-30", None), ("2022-12-31", None), (None, moment)]:
        sel = e[e["kind"] == "consumption"]
        if at is not None:
            sel = sel[sel["effective_date"] <= at]
        if known_at is not None:
            sel = sel[sel["recorded_at"] <= moment]
        expected = sel.groupby("account")["amount_ha"].sum()
        b = ledger.balance(at=at, known_at=known_at)
        assert b.loc[["A", "B"], "consumed_ha"].tolist() == pytest.approx(
            expected.reindex(["A", "B"]).fillna(0).tolist()
        ), (at, known_at)
    assert ledger.balance().loc["A", "consumed_ha"] == pytest.approx(4 + 6 + 5.8 + 1)
    assert ledger.balance(at="2022-12-31").attrs["last_year"] == 2022


def test_a_line_is_corrected_by_a_vintage_not_reversed(ledger: Ledger, vintage1) -> None:
    report = ledger.import_consumption(vintage1)
    with pytest.raises(LedgerError, match="line of a vintage import.*revised vintage"):
        ledger.reverse(report.entries[0], justification="erreur")
    with pytest.raises(LedgerError, match="records a vintage import.*revised vintage"):
        ledger.reverse(report.entries[0] - 1, justification="erreur")  # the import's entry


def test_lines_sha256_depends_on_every_field() -> None:
    base = (["A", "B"], [2, 3], [2021, 2021], [500, 0], [0, 0])
    digest = lines_sha256(*base)
    assert digest == lines_sha256(*base)
    for i, changed in enumerate(
        [["B", "A"], [2, 4], [2021, 2022], [500, 1], [0, 1]],
    ):
        args = list(base)
        args[i] = changed
        assert lines_sha256(*args) != digest


def _v4_ledger(path, monkeypatch) -> pd.DataFrame:
    """A ledger written by a zan of schema version 4: each account-year a chained entry."""
    with monkeypatch.context() as m:
        m.setattr(store, "SCHEMA_VERSION", 4)
        m.setattr(store, "MIGRATIONS", store.MIGRATIONS[:4])
        led = Ledger.create(path, FakeAllocation(), assignment=ASSIGNMENT, author="test")
        rows = []
        for account, communes in ASSIGNMENT.groupby(ASSIGNMENT).groups.items():
            for year in (2021, 2022):
                rows.append((account, year, sum(FLOWS_V1[c][year] for c in communes)))
        frame = pd.DataFrame(rows, columns=["account", "year", "amount_m2"]).assign(
            operation=99,
            effective_date=lambda f: f["year"].astype(str) + "-12-31",
            period="2021-2030",
            metric="enaf_consumption",
            kind="consumption",
            action="import",
            label=lambda f: "Consommation d'ENAF " + f["year"].astype(str) + " (ancien)",
        )
        led.write(lambda c: append_entries(c, frame, recorded_at="2024-01-01T00:00:00Z"))
        with _raw(led) as conn:
            assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == 4
            old = pd.read_sql_query("SELECT * FROM entries ORDER BY id", conn)
        led.close()
    return old


def test_a_version_4_ledger_is_migrated_on_open(tmp_path, monkeypatch, vintage1) -> None:
    path = tmp_path / "v4.gpkg"
    old = _v4_ledger(path, monkeypatch)
    led = Ledger(path)  # migrated to version 5 on open
    with _raw(led) as conn:
        assert conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == 5
    assert led.verify().ok
    e = led.entries()
    assert e.index.tolist() == old["id"].tolist()
    assert e["hash"].tolist() == old["hash"].tolist()
    assert led.balance().loc[["A", "B"], "consumed_ha"].tolist() == pytest.approx([10.0, 22.0])
    # A vintage then adds only what the chained entries do not hold (2023).
    report = led.import_consumption(vintage1)
    assert report.new_entries == 2 and len(report.revisions) == 0
    assert led.balance().loc[["A", "B"], "consumed_ha"].tolist() == pytest.approx([16.0, 33.0])
    assert led.verify().ok
    sums = led.entries(kind="consumption").groupby(["account", "year"])["amount_m2"].sum()
    assert sums.loc[("B", 2023)] == 110_000 and len(sums) == 6
    assert np.isclose(led.history("A")["consumed_ha"].sum(), 16.0)
    led.close()
