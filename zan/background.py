"""Work done in a forked child process beside the caller's own (e.g. one output file).

A command that writes several independent files spends most of its time in Python
code holding the GIL (a workbook cell by cell, a figure's drawing), where threads do not
help. :func:`in_child` runs one of them in a child forked from the current process: the
child sees the caller's data without copying or pickling it (copy-on-write), and
imports what it alone needs (matplotlib for a figure). Each file is written by one
process from the same data, so the bytes do not depend on it. Where ``fork`` is not
available (Windows, or a single core), or with ``ZAN_THREADS=1``, the work runs at
once in the caller.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import sys
import threading
import traceback
import warnings
from collections.abc import Callable
from typing import Any

from .settings import read_setting

__all__ = ["Background", "in_child", "can_fork"]


def can_fork() -> bool:
    """Whether :func:`in_child` runs its work in a child: fork exists, two cores or more.

    ``ZAN_THREADS=1`` (:mod:`zan.settings`) keeps everything in one process; so do
    macOS (where forking a process that has loaded system frameworks is unsafe) and a
    caller running Python threads other than zan's own (``zan-*``, which only compute
    on arrays): one of them could hold a lock the child needs.

    Examples
    --------
    >>> isinstance(can_fork(), bool)
    True
    """
    if "fork" not in mp.get_all_start_methods() or (os.cpu_count() or 1) < 2:
        return False
    if sys.platform == "darwin" or _foreign_threads():
        return False
    threads = read_setting("threads")
    return threads is None or threads > 1


def _foreign_threads() -> bool:
    """Whether Python threads other than the main one and zan's own (``zan-*``) run.

    zan's threads (the map's geometry prepared in the background) only compute on
    arrays; a thread of the caller's could hold any lock when the child is forked.
    """
    main = threading.main_thread()
    return any(t is not main and not t.name.startswith("zan-") for t in threading.enumerate())


class Background:
    """The work started by :func:`in_child`; :meth:`wait` returns its result or raises its error."""

    def __init__(self, process: Any = None, conn: Any = None, value: Any = None) -> None:
        self._process, self._conn, self._value = process, conn, value

    def wait(self) -> Any:
        """Wait for the work; its return value, or its exception raised again here."""
        if self._process is None:
            return self._value
        try:
            ok, payload = self._conn.recv()
        except EOFError:  # the child died without a word (killed, out of memory)
            self._process.join()
            raise RuntimeError(
                f"a child process writing an output died (exit code {self._process.exitcode})"
            ) from None
        finally:
            self._conn.close()
        self._process.join()
        self._process = None
        if ok:
            self._value = payload
            return payload
        error, text = payload
        if isinstance(error, BaseException):
            raise error
        raise RuntimeError(f"in a child process: {text}")


def _child(conn: Any, func: Callable[..., Any], args: tuple, kwargs: dict) -> None:
    try:
        conn.send((True, func(*args, **kwargs)))
    except BaseException as exc:  # noqa: BLE001 - sent to the parent, raised there
        text = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        try:
            conn.send((False, (exc, text)))
        except Exception:  # noqa: BLE001 - an exception that cannot be pickled
            conn.send((False, (None, text)))
    finally:
        conn.close()


def in_child(func: Callable[..., Any], *args: Any, **kwargs: Any) -> Background:
    """Start ``func(*args, **kwargs)`` in a forked child; :meth:`Background.wait` for it.

    The return value (and an exception) comes back pickled, so return something small
    (e.g. the path written). Without fork (:func:`can_fork`), ``func`` runs at once.

    Examples
    --------
    >>> job = in_child(sum, [1, 2, 3])
    >>> job.wait()
    6
    """
    if not can_fork():
        return Background(value=func(*args, **kwargs))
    context = mp.get_context("fork")
    parent, child = context.Pipe(duplex=False)
    process = context.Process(target=_child, args=(child, func, args, kwargs), daemon=True)
    with warnings.catch_warnings():
        # Python 3.12+ warns on fork in any process with threads, counting the idle
        # threads of numpy's BLAS; can_fork() has checked no thread but zan's runs,
        # and the child only writes one file with pure-Python code.
        warnings.simplefilter("ignore", DeprecationWarning)
        process.start()
    child.close()
    return Background(process, parent)
