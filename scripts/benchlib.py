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
its own process and returns its peak resident memory (``os.wait4`` in a small launcher
process: per process, not the maximum over all children, nor the benchmark's own).
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
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


#: Runs the command from a fresh, small process: a child forked from the benchmark itself
#: would count the benchmark's own memory in its peak (Linux keeps the high-water mark of
#: the memory a process had before its exec).
_SHIM = """
import os, sys, time
t0 = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_, status, usage = os.wait4(pid, 0)
with open(sys.argv[1], "w") as f:
    f.write(f"{time.perf_counter() - t0} {usage.ru_maxrss}")
sys.exit(os.waitstatus_to_exitcode(status))
"""


def run_child(cmd: Sequence[str], *, env: dict | None = None, cwd=None) -> tuple[float, float]:
    """Run a command; return (wall seconds, peak RSS in MiB of that process).

    Raises ``subprocess.CalledProcessError`` (with its stderr) when it fails.
    """
    import shutil
    import tempfile

    exe = shutil.which(cmd[0]) or cmd[0]
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "usage")
        done = subprocess.run(
            [sys.executable, "-c", _SHIM, out, exe, *cmd[1:]],
            env=env,
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        if done.returncode:
            raise subprocess.CalledProcessError(done.returncode, list(cmd), stderr=done.stderr)
        with open(out) as f:
            seconds, kib = f.read().split()
    return float(seconds), float(kib) / 1024  # Linux: KiB


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
