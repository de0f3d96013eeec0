"""Damaged and read-only ledger files: clear errors, never a raw sqlite3 traceback.

A truncated file, a page overwritten with junk and a file that is not SQLite are
refused by every command with a zan error (how to check the file, how to recover);
a file that cannot be written is read by balance, history, verify and the exports,
and a write to it says so. ``zan ledger backup`` makes a verified copy to restore.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import stat

import pytest
from click.testing import CliRunner

from zan.cli import main
from zan.errors import IntegrityError, LedgerDamagedError, LedgerError, LedgerReadOnlyError
from zan.ledger import Ledger, backup_ledger, example_ledger, export_balance, export_history

TERRITORY = "96"  # an account of the example ledger (département level)


@pytest.fixture(scope="module")
def pristine(tmp_path_factory):
    book = example_ledger(tmp_path_factory.mktemp("ex") / "compte.gpkg")
    book.grant(TERRITORY, 1.0, justification="délibération 1", date="2024-03-01")
    path = book.path
    book.close()
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture
def ledger(pristine, tmp_path):
    path = tmp_path / "compte.gpkg"
    shutil.copy(pristine, path)
    return path


def _sha(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _junk_page(path, table="entries"):
    """Overwrite the root pages of ``table`` and its indexes with junk (damaged sectors)."""
    with sqlite3.connect(path) as conn:
        roots = conn.execute(
            "SELECT rootpage FROM sqlite_master WHERE tbl_name = ? AND rootpage > 0", (table,)
        ).fetchall()
        size = conn.execute("PRAGMA page_size").fetchone()[0]
    conn.close()
    assert roots
    raw = bytearray(path.read_bytes())
    for (root,) in roots:
        start = (root - 1) * size
        raw[start : start + size] = b"\xde\xad\xbe\xef" * (size // 4)
    path.write_bytes(bytes(raw))


def _truncate(path):
    raw = path.read_bytes()
    path.write_bytes(raw[: len(raw) // 2])


def _not_sqlite(path):
    path.write_bytes(b"PK\x03\x04" + b"not a ledger at all " * 200)


DAMAGES = {"junk_page": _junk_page, "truncated": _truncate}
COMMANDS = {
    "balance": lambda p: ["ledger", "balance", p],
    "history": lambda p: ["ledger", "history", p, TERRITORY],
    "verify": lambda p: ["ledger", "verify", p],
    "grant": lambda p: ["ledger", "grant", p, TERRITORY, "1", "--justification", "x"],
    "backup": lambda p: ["ledger", "backup", p, p.with_name("copie.gpkg")],
}


def _run(args):
    return CliRunner().invoke(main, [str(a) for a in args])


@pytest.mark.parametrize("damage", sorted(DAMAGES))
@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_damaged_file_gives_a_clear_error_on_every_command(ledger, damage, command):
    DAMAGES[damage](ledger)
    res = _run(COMMANDS[command](ledger))
    assert res.exit_code == 2, res.output
    assert "Traceback" not in res.output and "sqlite3." not in res.output
    assert "the ledger file is damaged" in res.output
    assert f'sqlite3 "{ledger}" "PRAGMA integrity_check"' in res.output
    assert "zan ledger backup" in res.output and "zan ledger verify" in res.output
    assert not ledger.with_name("copie.gpkg").exists()


@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_damaged_file_in_the_library(ledger, damage):
    DAMAGES[damage](ledger)
    with pytest.raises(LedgerDamagedError, match="PRAGMA integrity_check") as info:
        book = Ledger(ledger)
        book.verify()
    assert isinstance(info.value, IntegrityError)


def test_junk_page_found_by_a_read_after_opening(ledger):
    _junk_page(ledger)
    book = Ledger(ledger)  # opens: the damage is in a table read later
    with pytest.raises(LedgerDamagedError):
        book.balance()
    with pytest.raises(LedgerDamagedError):
        export_balance(book, ledger.with_name("b.csv"))
    assert not ledger.with_name("b.csv").exists()
    book.close()


def test_not_sqlite_is_not_a_ledger_not_damaged(ledger):
    _not_sqlite(ledger)
    with pytest.raises(
        LedgerError, match="not a zan ledger .not an SQLite/GeoPackage file"
    ) as info:
        Ledger(ledger)
    assert not isinstance(info.value, LedgerDamagedError)
    res = _run(["ledger", "balance", ledger])
    assert res.exit_code == 2 and "not a zan ledger" in res.output
    assert "PK" not in res.output  # the file's bytes are never printed


def test_readonly_open_reads_everything_and_refuses_writes(ledger, tmp_path):
    before = _sha(ledger)
    book = Ledger(ledger, readonly=True)
    assert book.readonly
    assert len(book.balance()) > 0 and len(book.history(TERRITORY)) > 0
    assert book.verify().ok
    export_balance(book, tmp_path / "soldes.csv")
    export_history(book, TERRITORY, tmp_path / "historique.xlsx")
    with pytest.raises(LedgerReadOnlyError, match="read-only.*nothing was recorded") as info:
        book.grant(TERRITORY, 1.0, justification="x")
    assert isinstance(info.value, PermissionError)
    # SQLite itself refuses a write that would bypass the ledger's methods
    with pytest.raises(sqlite3.OperationalError, match="readonly"):
        book.connection.execute("DELETE FROM ledger_meta")
    book.close()
    assert _sha(ledger) == before
    assert not ledger.with_name(ledger.name + "-wal").exists()  # reading leaves no journal


def _deny_writes(monkeypatch, folder):
    """os.access as on a read-only share: nothing under ``folder`` is writable (even for root)."""
    real = os.access

    def access(path, mode, *args, **kwargs):
        inside = os.path.abspath(path).startswith(str(folder))
        if inside and mode & os.W_OK:
            return False
        return real(path, mode, *args, **kwargs)

    monkeypatch.setattr(os, "access", access)


def test_file_without_write_permission_is_opened_readonly(ledger, monkeypatch, tmp_path):
    before = _sha(ledger)
    _deny_writes(monkeypatch, ledger.parent)
    book = Ledger(ledger)
    assert book.readonly  # mode=ro: SQLite never writes the file
    assert book.verify().ok and len(book.balance()) > 0
    with pytest.raises(LedgerReadOnlyError, match="no write permission"):
        book.transfer(TERRITORY, "98", 0.5, justification="x")
    book.close()
    for args in (
        COMMANDS["balance"](ledger),
        COMMANDS["verify"](ledger),
        COMMANDS["history"](ledger),
    ):
        res = _run(args)
        assert res.exit_code == 0, res.output
    res = _run(COMMANDS["grant"](ledger))
    assert res.exit_code == 2 and "read-only (no write permission" in res.output
    assert "Traceback" not in res.output
    assert _sha(ledger) == before


def _permissions_bind_this_account(folder) -> bool:
    probe = folder / "probe.txt"
    probe.write_text("x")
    probe.chmod(stat.S_IRUSR)
    try:
        with open(probe, "a"):
            return False  # root (CAP_DAC_OVERRIDE): chmod does not stop it
    except PermissionError:
        return True
    finally:
        probe.chmod(stat.S_IRUSR | stat.S_IWUSR)
        probe.unlink()


def test_chmod_readonly_file_and_folder(ledger, tmp_path_factory):
    if not _permissions_bind_this_account(tmp_path_factory.mktemp("probe")):
        pytest.skip(
            "this account writes read-only files (root): chmod cannot make a read-only "
            "ledger here; the os.access test above covers the same path"
        )
    folder = ledger.parent
    ledger.chmod(stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        assert _run(COMMANDS["balance"](ledger)).exit_code == 0
        assert _run(COMMANDS["verify"](ledger)).exit_code == 0
        res = _run(COMMANDS["grant"](ledger))
        assert res.exit_code == 2 and "read-only" in res.output
    finally:
        folder.chmod(stat.S_IRWXU)
        ledger.chmod(stat.S_IRUSR | stat.S_IWUSR)


def test_backup_is_verified_and_restores(ledger, tmp_path):
    copy, head, n = backup_ledger(ledger, tmp_path / "copie.gpkg")
    assert n > 0 and Ledger(copy).verify().head == head
    with pytest.raises(LedgerError, match="already exists"):
        backup_ledger(ledger, copy)
    res = _run(["ledger", "backup", ledger, copy, "--force"])
    assert res.exit_code == 0 and head in res.output
    # the ledger is damaged; the copy is put back and is whole
    _junk_page(ledger)
    with pytest.raises(LedgerDamagedError):
        Ledger(ledger).verify()
    shutil.copy(copy, ledger)
    report = Ledger(ledger).verify(expected_head=head)
    assert report.ok and report.entries == n


def test_backup_of_a_readonly_ledger(ledger, monkeypatch, tmp_path):
    _deny_writes(monkeypatch, ledger.parent)
    out = tmp_path.parent / f"{tmp_path.name}-copie.gpkg"
    try:
        copy, _, n = backup_ledger(ledger, out)
        assert Ledger(copy).verify().ok
    finally:
        out.unlink(missing_ok=True)


def _v1_ledger(path):
    from zan.ledger import store

    conn = store.connect(path, create=True)
    store.create_schema(conn, target=1)
    conn.execute("INSERT INTO ledger_meta VALUES ('default_period', '2021-2030')")
    conn.close()
    return path


def test_old_schema_opened_for_reading(tmp_path, monkeypatch):
    from zan.ledger import SCHEMA_VERSION, store

    (tmp_path / "a").mkdir()
    upgraded = _v1_ledger(tmp_path / "a" / "v1.gpkg")
    book = Ledger(upgraded, readonly=True)  # writable: upgraded once, then read only
    assert store.schema_version(book.connection) == SCHEMA_VERSION and book.readonly
    book.close()
    (tmp_path / "b").mkdir()
    locked = _v1_ledger(tmp_path / "b" / "v1.gpkg")
    _deny_writes(monkeypatch, locked.parent)
    with pytest.raises(LedgerReadOnlyError, match="schema, version 1, must be upgraded"):
        Ledger(locked)
