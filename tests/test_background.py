"""zan.background: work in a forked child, its result or its error back in the caller."""

from __future__ import annotations

import os
import threading

import pytest

from zan.background import can_fork, in_child
from zan.errors import ScenarioError

forks = pytest.mark.skipif(not can_fork(), reason="needs fork and two cores")


def _fail() -> None:
    raise ScenarioError("bad weights in the child; give weights >= 0")


def _die() -> None:
    os._exit(3)


@forks
def test_the_work_runs_in_another_process_and_its_result_comes_back():
    assert in_child(os.getpid).wait() != os.getpid()
    assert in_child(sum, [1, 2, 3]).wait() == 6


@forks
def test_the_childs_error_is_raised_in_the_caller():
    job = in_child(_fail)
    with pytest.raises(ScenarioError, match="bad weights in the child"):
        job.wait()


@forks
def test_a_child_that_dies_is_reported():
    with pytest.raises(RuntimeError, match="exit code 3"):
        in_child(_die).wait()


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


def test_sensitivity_files_are_the_same_bytes_in_one_process_or_two(tmp_path, monkeypatch):
    from zan.datasets import scenario_path
    from zan.sensitivity import sensitivity_analysis, write_sensitivity

    r = sensitivity_analysis(scenario_path("02_consommation_population"), samples=256)
    two = write_sensitivity(r, tmp_path / "two", html=False)
    monkeypatch.setenv("ZAN_THREADS", "1")
    one = write_sensitivity(r, tmp_path / "one", html=False)
    assert [p.name for p in one] == [p.name for p in two]
    assert [p.name for p in one] == [
        "intervalles.csv",
        "indices.csv",
        "sensibilite.xlsx",
        "eventail.png",
    ]
    for a, b in zip(one, two, strict=True):
        assert a.read_bytes() == b.read_bytes(), a.name
