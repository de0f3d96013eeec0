"""The ledger file: GeoPackage tables, schema versions and migrations, tamper detection."""

from __future__ import annotations

import sqlite3

import numpy as np
import pyogrio
import pytest
import shapely
from shapely.geometry import MultiPolygon, Point, box
from test_ledger_common import (  # noqa: F401 (fixtures)
    count_entries,
    ledger_fixture,
    vintage1_fixture,
)

import zan
from zan.errors import GeometryError, IntegrityError, LedgerError
from zan.ledger import Ledger, store
from zan.ledger.entries import GENESIS_HASH, entry_hash


def _raw(led: Ledger) -> sqlite3.Connection:
    return sqlite3.connect(led.path, isolation_level=None)


def test_file_is_a_geopackage_that_gdal_reads(tmp_path) -> None:
    t = zan.Territories.demo()

    class Alloc:
        level = "departement"
        table = __import__("pandas").DataFrame(
            {"nom": t.names("departement"), "envelope_ha": 500.0}
        )
        totals = {"envelope_ha": 2000.0}

    led = Ledger.create(tmp_path / "compte.gpkg", Alloc(), territories=t)
    with _raw(led) as conn:
        assert conn.execute("PRAGMA application_id").fetchone()[0] == 0x47504B47
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 10400
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    layers = dict(pyogrio.list_layers(led.path).tolist())
    assert (
        layers["territories"] == "MultiPolygon" and layers["territory_balances"] == "MultiPolygon"
    )
    assert layers["entries"] is None and layers["accounts"] is None
    balances = pyogrio.read_dataframe(led.path, layer="territory_balances")
    assert balances.crs.to_epsg() == 2154 and len(balances) == 3
    assert balances["envelope_ha"].dtype == np.float64 and (balances["envelope_ha"] == 500.0).all()
    areas = balances.set_index("code").geometry.area / 1e4
    expected = t.geometries("departement")["area_ha"]
    assert np.allclose(areas.reindex(expected.index), expected, rtol=1e-9)
    info = pyogrio.read_info(led.path, layer="territory_balances")
    assert info["layer_metadata"]["IDENTIFIER"] == "Soldes des territoires"


def test_qgis_views_show_every_allocated_period(tmp_path) -> None:
    t = zan.Territories.demo()
    names = t.names("departement")

    class First:
        level = "departement"
        table = __import__("pandas").DataFrame({"nom": names, "envelope_ha": 500.0})
        totals = {"envelope_ha": 1500.0}

    class Second:
        level = "departement"
        table = __import__("pandas").DataFrame({"nom": names, "envelope_ha": [100.0, 200.0, 300.0]})
        totals = {"envelope_ha": 600.0}

    # (GDAL reads the file once the ledger is closed: in one process, two SQLite
    # libraries on one file share POSIX locks; QGIS, another process, reads it live)
    with Ledger.create(tmp_path / "compte.gpkg", First(), territories=t) as led:
        pass
    layer = pyogrio.read_dataframe(led.path, layer="territory_balances")
    assert len(layer) == 3 and set(layer["period"]) == {"2021-2030"}
    code = names.index[0]
    with Ledger(led.path) as led:
        led.record_allocation(Second(), period="2031-2040", justification="SRADDET 2030")
        led.transfer(code, names.index[1], 40, justification="accord", period="2031-2040")
    layer = pyogrio.read_dataframe(led.path, layer="territory_balances", fid_as_index=True)
    assert len(layer) == 6 and layer.index.is_unique  # one feature per territory and period
    got = layer.set_index(["code", "period"])
    assert got.loc[(code, "2021-2030"), "envelope_ha"] == 500.0
    assert got.loc[(code, "2031-2040"), "envelope_ha"] == 60.0  # 100 less the transfer
    assert got.loc[(names.index[1], "2031-2040"), "remaining_ha"] == 240.0
    assert set(got.xs("2031-2040", level="period")["metric"]) == {"net_artificialisation"}
    with _raw(led) as conn:
        rows = conn.execute(
            "SELECT period, SUM(envelope_ha) FROM account_balances GROUP BY period"
        ).fetchall()
    assert rows == [("2021-2030", 1500.0), ("2031-2040", 600.0)]


def test_geometry_blobs_round_trip() -> None:
    geoms = [
        box(0, 0, 2, 1),
        MultiPolygon([box(5, 5, 6, 6), box(7, 7, 8, 9)]),
        None,
        shapely.Polygon(),
    ]
    blobs = store.gpkg_blob(geoms)
    assert blobs[2] is None and blobs[0][:2] == b"GP"
    back = store.read_gpkg_blob(blobs)
    assert back[0].equals(MultiPolygon([box(0, 0, 2, 1)])) and back[1].equals(geoms[1])
    assert back[2] is None and back[3].is_empty
    with pytest.raises(GeometryError, match="not polygons"):
        store.gpkg_blob([Point(0, 0)])
    with pytest.raises(GeometryError, match="not a GeoPackage blob"):
        store.read_gpkg_blob([b"XX" + bytes(10)])


def test_an_edited_row_is_detected_by_verify(ledger: Ledger, vintage1) -> None:
    ledger.import_consumption(vintage1)
    assert ledger.verify().ok
    with _raw(ledger) as conn:
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("UPDATE entries SET amount_m2 = 0 WHERE id = 6")
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("DELETE FROM entries WHERE id = 6")
        # The import is entry 6, its lines 7-12.
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            conn.execute("UPDATE import_lines SET amount_m2 = 0 WHERE id = 7")
        # Someone removes the protection and edits a consumption figure.
        conn.execute("DROP TRIGGER import_lines_no_update")
        conn.execute("UPDATE import_lines SET amount_m2 = amount_m2 - 10000 WHERE id = 7")
    report = ledger.verify()
    assert not report.ok
    text = str(report)
    assert "row 6" in text and "the row was edited" in text
    assert "lines of the import recorded by entry 6" in text
    assert "trigger import_lines_no_update is missing" in text
    with pytest.raises(IntegrityError, match="row 6"):
        ledger.verify(strict=True)
    with _raw(ledger) as conn:  # and an edited chained entry
        conn.execute("DROP TRIGGER entries_no_update")
        conn.execute("UPDATE entries SET amount_m2 = amount_m2 - 10000 WHERE id = 3")
    assert "row 3" in str(ledger.verify())


def test_a_deleted_or_rehashed_row_is_detected(ledger: Ledger, vintage1) -> None:
    ledger.import_consumption(vintage1)
    head = ledger.verify().head
    with _raw(ledger) as conn:
        conn.execute("DROP TRIGGER entries_no_delete")
        conn.execute("DROP TRIGGER entries_no_update")
        conn.execute("DELETE FROM entries WHERE id = 3")
    assert "entries were deleted" in str(ledger.verify())
    with _raw(ledger) as conn:
        # A careful forger rewrites the last row and its hash, and the head.
        cols = (
            "id, operation, recorded_at, effective_date, period, metric, kind, action, account, "
            "counterpart, amount_m2, year, project, label, author, justification, source_file, "
            "source_sha256, scenario_name, scenario_hash, reverses"
        )
        row = list(conn.execute(f"SELECT {cols} FROM entries ORDER BY id DESC LIMIT 1").fetchone())
        prev = conn.execute("SELECT prev_hash FROM entries ORDER BY id DESC LIMIT 1").fetchone()[0]
        row[10] = 1
        new = entry_hash(prev, row)
        conn.execute("UPDATE entries SET amount_m2 = 1, hash = ? WHERE id = ?", (new, row[0]))
        conn.execute("UPDATE ledger_meta SET value = ? WHERE key = 'head'", (f"{row[0]}:{new}",))
    report = ledger.verify(expected_head=head)
    assert "the published head" in str(report)


def test_removed_last_rows_are_detected_by_the_head(ledger: Ledger, vintage1) -> None:
    ledger.import_consumption(vintage1)
    with _raw(ledger) as conn:
        conn.execute("DROP TRIGGER entries_no_delete")
        conn.execute("DELETE FROM entries WHERE id = (SELECT MAX(id) FROM entries)")
    assert "entries were removed or added outside zan" in str(ledger.verify())


def test_hash_chain_links_every_entry(ledger: Ledger) -> None:
    e = ledger.entries()
    assert e["prev_hash"].iloc[0] == GENESIS_HASH
    assert (e["prev_hash"].iloc[1:].to_numpy() == e["hash"].iloc[:-1].to_numpy()).all()
    assert e["hash"].is_unique


def test_old_schema_is_migrated_on_open(tmp_path) -> None:
    path = tmp_path / "v1.gpkg"
    conn = store.connect(path, create=True)
    store.create_schema(conn, target=1)
    conn.execute("INSERT INTO ledger_meta VALUES ('default_period', '2021-2030')")
    conn.close()
    with _raw_path(path) as c:
        assert c.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == 1
        assert (
            c.execute(
                "SELECT COUNT(*) FROM sqlite_master WHERE name = 'account_balances'"
            ).fetchone()[0]
            == 0
        )
    led = Ledger(path)
    with _raw_path(path) as c:
        versions = [r[0] for r in c.execute("SELECT version FROM schema_version ORDER BY version")]
        assert versions == [1, 2, 3, 4, 5]
        assert (
            c.execute(
                "SELECT COUNT(*) FROM sqlite_master WHERE name = 'account_balances'"
            ).fetchone()[0]
            == 1
        )
        # Version 3: each import says which metric it recorded.
        columns = [r[1] for r in c.execute("PRAGMA table_info(imports)")]
        assert columns[-5:-3] == ["metric", "vintage"]
        # Version 4: the balance views have a period column.
        columns = [r[1] for r in c.execute("PRAGMA table_info(account_balances)")]
        assert "period" in columns and "metric" in columns
        # Version 5: vintage imports as one entry and compact lines.
        columns = [r[1] for r in c.execute("PRAGMA table_info(import_lines)")]
        assert columns == ["id", "import_id", "account_id", "year", "amount_m2", "revision"]
    assert led.verify().ok


def _raw_path(path) -> sqlite3.Connection:
    return sqlite3.connect(path, isolation_level=None)


def test_newer_schema_is_refused(ledger: Ledger) -> None:
    with _raw(ledger) as conn:
        conn.execute("INSERT INTO schema_version VALUES (99, 'now', 'future')")
    with pytest.raises(LedgerError, match="version 99 was written by a newer zan"):
        Ledger(ledger.path)


def test_files_that_are_not_ledgers(tmp_path) -> None:
    with pytest.raises(LedgerError, match="no ledger file here.*zan ledger init"):
        Ledger(tmp_path / "absent.gpkg")
    text = tmp_path / "notes.gpkg"
    text.write_text("pas une base de données " * 100)
    with pytest.raises(LedgerError, match="not a zan ledger"):
        Ledger(text)
    other = tmp_path / "other.gpkg"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE t (x)")
    with pytest.raises(LedgerError, match="not a zan ledger"):
        Ledger(other)


def test_locked_file_is_retried_then_refused(ledger: Ledger) -> None:
    import threading

    blocker = sqlite3.connect(ledger.path, isolation_level=None, check_same_thread=False)
    blocker.execute("BEGIN IMMEDIATE")
    quick = Ledger(ledger.path, busy_timeout_ms=20, retries=2)
    n = count_entries(ledger.path)
    with pytest.raises(LedgerError, match="stayed locked by another process through 3 attempts"):
        quick.transfer("A", "B", 1, justification="accord")
    # Released while the writer waits between retries: the write goes through.
    timer = threading.Timer(0.15, blocker.execute, args=("COMMIT",))
    timer.start()
    patient = Ledger(ledger.path, busy_timeout_ms=20, retries=8)
    patient.transfer("A", "B", 1, justification="accord")
    timer.join()
    blocker.close()
    quick.close()
    patient.close()
    assert count_entries(ledger.path) == n + 2
