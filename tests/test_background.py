"""zan.background: work in a forked child, its result or its error back in the caller.

The tests that fork run in a fresh interpreter: in the test process other tests may have
left threads running (a browser driver, a dask client), and then :func:`can_fork` rightly
keeps the work in the caller.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
import threading

import pytest

from zan.background import can_fork, in_child
from zan.errors import ScenarioError

forks = pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="forks only with two cores or more")


def fresh(code: str, **env: str) -> str:
    """Run ``code`` in a fresh interpreter (no thread but the main one); its stdout."""
    done = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env={**os.environ, **env},
        timeout=300,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


def _fail() -> None:
    raise ScenarioError("bad weights in the child; give weights >= 0")


@forks
def test_the_work_runs_in_another_process_and_its_results_and_errors_come_back():
    out = fresh(
        """
        import os
        from zan.background import can_fork, in_child
        from zan.errors import ScenarioError

        def fail():
            raise ScenarioError("bad weights in the child; give weights >= 0")

        def die():
            os._exit(3)

        assert can_fork()
        print(in_child(os.getpid).wait() != os.getpid(), in_child(sum, [1, 2, 3]).wait())
        job = in_child(fail)  # started: the error comes with wait()
        try:
            job.wait()
        except ScenarioError as exc:
            print("raised:", exc)
        try:
            in_child(die).wait()
        except RuntimeError as exc:
            print("died:", exc)
        """
    )
    lines = out.splitlines()
    assert lines[0] == "True 6"
    assert lines[1] == "raised: bad weights in the child; give weights >= 0"
    assert lines[2].startswith("died: ") and "exit code 3" in lines[2]


def test_zan_threads_1_keeps_the_work_in_the_caller(monkeypatch):
    monkeypatch.setenv("ZAN_THREADS", "1")
    assert not can_fork()
    assert in_child(os.getpid).wait() == os.getpid()
    with pytest.raises(ScenarioError):
        in_child(_fail)


def test_another_python_thread_keeps_the_work_in_the_caller():
    """A thread running beside the caller could hold a lock the forked child would need."""
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, daemon=True)
    thread.start()
    try:
        assert not can_fork()
        assert in_child(os.getpid).wait() == os.getpid()
    finally:
        stop.set()
        thread.join()


@forks
def test_sensitivity_files_are_the_same_bytes_in_one_process_or_two(tmp_path):
    code = """
        import os, sys
        from zan.background import can_fork
        from zan.datasets import scenario_path
        from zan.sensitivity import sensitivity_analysis, write_sensitivity

        r = sensitivity_analysis(scenario_path("02_consommation_population"), samples=256)
        print(can_fork())
        for p in write_sensitivity(r, sys.argv[1], html=False):
            print(p.name)
        """
    two = fresh(code.replace("sys.argv[1]", repr(str(tmp_path / "two")))).split()
    one = fresh(code.replace("sys.argv[1]", repr(str(tmp_path / "one"))), ZAN_THREADS="1").split()
    assert two[0] == "True" and one[0] == "False"  # children, then one process
    names = ["intervalles.csv", "indices.csv", "sensibilite.xlsx", "eventail.png"]
    assert one[1:] == two[1:] == names
    for name in names:
        assert (tmp_path / "one" / name).read_bytes() == (tmp_path / "two" / name).read_bytes()
