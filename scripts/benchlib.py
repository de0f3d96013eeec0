"""The small protocol shared by the ``scripts/bench_*.py`` benchmarks and ``bench_all.py``.

Each benchmark script exposes::

    def bench_rows(quick: bool = False) -> list[dict]

returning one dict per case with the keys of :data:`COLUMNS` (build them with
:func:`row`): ``case`` (what is measured), ``zan_s`` (zan's time, s), ``baseline_name``
(the competent alternative it is compared with, in the same run), ``baseline_s``,
``ratio`` (``baseline_s / zan_s``: above 1, zan is faster; or the figure the goal is on,
said in ``goal``), ``goal`` (the goal in words, e.g. ``"ratio >= 1"``, ``"zan < 4 s"``)
and ``verdict`` (``"met"``, ``"not met"`` or ``"info"`` when there is no goal).
``quick=True`` runs a smaller size in a few seconds.

Times are taken over alternated rounds (:func:`alternate`: zan, baseline, zan,
baseline...) so that a change in the machine's load hits both; the minimum is reported
and the median kept in the case's text when useful. :func:`run_child` times a command in
its own process and returns its peak resident memory (``os.wait4``: per process, not
the maximum over all children).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import time
from collections.abc import Callable, Sequence

COLUMNS = ("case", "zan_s", "baseline_name", "baseline_s", "ratio", "goal", "verdict")


def row(
    case: str,
    zan_s: float | None,
    baseline_name: str = "",
    baseline_s: float | None = None,
    *,
    ratio: float | None = None,
    goal: str = "",
    met: bool | None = None,
) -> dict:
    """One result row; ``ratio`` defaults to ``baseline_s / zan_s``."""
    if ratio is None and zan_s and baseline_s is not None:
        ratio = baseline_s / zan_s
    verdict = "info" if met is None else ("met" if met else "not met")
    return {
        "case": case,
        "zan_s": zan_s,
        "baseline_name": baseline_name,
        "baseline_s": baseline_s,
        "ratio": ratio,
        "goal": goal,
        "verdict": verdict,
    }


def alternate(funcs: Sequence[Callable[[], object]], rounds: int = 3) -> list[list[float]]:
    """Run each function once per round, in turn; return their wall times (s) per function."""
    times: list[list[float]] = [[] for _ in funcs]
    for _ in range(rounds):
        for i, func in enumerate(funcs):
            t0 = time.perf_counter()
            func()
            times[i].append(time.perf_counter() - t0)
    return times


def summary(times: Sequence[float]) -> str:
    """``"min 1.23 s, median 1.30 s"``."""
    return f"min {min(times):.2f} s, median {statistics.median(times):.2f} s"


def run_child(cmd: Sequence[str], *, env: dict | None = None, cwd=None) -> tuple[float, float]:
    """Run a command; return (wall seconds, peak RSS in MiB of that process).

    Raises ``subprocess.CalledProcessError`` (with its stderr) when it fails.
    """
    t0 = time.perf_counter()
    proc = subprocess.Popen(
        list(cmd), env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read() if proc.stderr else b""
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode:
        raise subprocess.CalledProcessError(proc.returncode, list(cmd), stderr=err)
    return seconds, usage.ru_maxrss / 1024  # Linux: KiB


def load() -> str:
    """``"load average 3.21 on 2 cores"``."""
    return f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores"


def print_rows(rows: Sequence[dict]) -> None:
    """Print rows as an aligned table."""
    cells = [[_cell(r[c]) for c in COLUMNS] for r in rows]
    widths = [max(len(c), *(len(x[i]) for x in cells)) for i, c in enumerate(COLUMNS)]
    print("  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True)))
    for x in cells:
        print("  ".join(v.ljust(w) for v, w in zip(x, widths, strict=True)))


def _cell(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:.3g}" if abs(value) < 100 else f"{value:.0f}"
    return str(value)
