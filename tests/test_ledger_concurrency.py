"""Durability and concurrency: a killed import leaves nothing, concurrent writers lose nothing."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from test_ledger_common import (  # noqa: F401 (fixtures)
    count_entries,
    ledger_fixture,
    vintage1_fixture,
)

from zan.ledger import Ledger

ROOT = Path(__file__).resolve().parents[1]


def _python(script: str, *args: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(script), *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


# Imports a vintage, but stops inside the transaction, after the entries are written
# and before the commit, and tells the test so through a flag file.
_STALLED_IMPORT = """
    import sys, time
    import zan.ledger.imports as imports
    from zan.ledger import Ledger

    ledger_path, vintage, flag = sys.argv[1:4]
    append = imports.record_vintage

    def stalled(conn, frame, **kwargs):
        out = append(conn, frame, **kwargs)
        open(flag, "w").write(str(out))
        time.sleep(120)
        return out

    imports.record_vintage = stalled
    Ledger(ledger_path).import_consumption(vintage)
"""


@pytest.mark.slow
def test_sigkill_during_an_import_leaves_no_partial_entries(
    ledger: Ledger, vintage1, tmp_path
) -> None:
    n = count_entries(ledger.path)
    head = ledger.verify().head
    flag = tmp_path / "inside.flag"
    proc = _python(_STALLED_IMPORT, str(ledger.path), str(vintage1), str(flag))
    try:
        deadline = time.monotonic() + 60
        while not flag.exists() or not flag.read_text():
            assert proc.poll() is None, proc.communicate()[1]
            assert time.monotonic() < deadline, "the import never reached its write"
            time.sleep(0.05)
        # the import's entry (n + 1) and its six lines written, not committed
        assert flag.read_text() == f"({n + 2}, {n + 7})"
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate()
    assert proc.returncode == -signal.SIGKILL
    # The ledger is as it was: same entries, same head, no import recorded.
    after = Ledger(ledger.path)
    assert count_entries(ledger.path) == n
    report = after.verify()
    assert report.ok and report.head == head
    assert len(after.imports()) == 0
    # And the same import then goes through whole.
    assert after.import_consumption(vintage1).new_entries == 6
    after.close()


_WRITER = """
    import sys
    from zan.ledger import Ledger

    path, source, target, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    ledger = Ledger(path, busy_timeout_ms=5, retries=50)
    for i in range(n):
        ledger.transfer(source, target, 0.01, justification=f"{source}->{target} {i}",
                        allow_overdraft=True)
    print("done")
"""


@pytest.mark.slow
def test_two_processes_writing_at_once_lose_nothing(ledger: Ledger) -> None:
    n = count_entries(ledger.path)
    per_process = 25
    procs = [
        _python(_WRITER, str(ledger.path), "A", "B", str(per_process)),
        _python(_WRITER, str(ledger.path), "B", "reserve", str(per_process)),
    ]
    outputs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], [o[1] for o in outputs]
    assert count_entries(ledger.path) == n + 2 * 2 * per_process
    report = ledger.verify()
    assert report.ok, str(report)
    b = ledger.balance()
    assert b.loc["A", "envelope_ha"] == pytest.approx(50 - 0.25)
    assert b.loc["B", "envelope_ha"] == pytest.approx(30 + 0.25 - 0.25)
    assert b.loc["reserve", "envelope_ha"] == pytest.approx(20 + 0.25)
    # Each write is one operation: 50 operations, two legs each, none interleaved.
    transfers = ledger.entries(kind="transfer")
    assert transfers.groupby("operation").size().eq(2).all()
    assert transfers["operation"].nunique() == 2 * per_process
