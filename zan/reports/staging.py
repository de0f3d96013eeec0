"""A report run's folder appears whole: written in a hidden sibling, swapped in at the end.

``zan report --out DIR`` writes the whole run (index, summary, one folder per
territory) into a fresh hidden folder beside ``DIR`` (``.DIR.tmp-<pid>-<random>``),
then swaps it in place of ``DIR`` once complete: ``DIR`` holds the previous run, whole,
until the new one is whole. A failed or interrupted run (an exception, Ctrl-C /
SIGINT) removes its hidden folder and leaves ``DIR`` as it was; the hidden folders of a
run killed outright (SIGKILL, a power cut) are removed by the next run into ``DIR``
(those whose process is gone).

A second run replaces the first one entirely: the reports of territories not asked
for again do not linger under an index that does not list them. Since the folder
is replaced, a folder holding anything other than a previous run's files is
refused (:func:`check_replaceable`), so that ``--out`` can never delete a user's files.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..errors import DataError

__all__ = ["check_replaceable", "clean_stale", "staged_folder", "swap_folder"]

#: Top-level names a report run writes besides its territory folders.
RUN_FILES = frozenset({"index.html", "erreurs.txt"})
#: Files a territory or summary folder holds.
_REPORT_FILE = re.compile(r"[\w.-]+\.(html|pdf|svg|png|css|js)$")
_HIDDEN = re.compile(r"\.(?P<name>.+)\.(tmp|old)-(?P<pid>\d+)-[\w]+$")


def _is_report_folder(folder: Path) -> bool:
    try:
        entries = list(folder.iterdir())
    except OSError:
        return False
    return all(
        (p.is_file() and _REPORT_FILE.fullmatch(p.name))
        or (p.is_dir() and p.name.startswith(".tmp-"))  # a territory's own staging folder
        for p in entries
    )


def check_replaceable(out: str | os.PathLike[str]) -> None:
    """Refuse an output folder that holds anything a report run did not write.

    The run replaces ``out`` whole; accepted are a missing or empty folder, and the
    folder of a previous run (``index.html`` written by zan, ``erreurs.txt``, report
    folders holding only report files).

    Raises
    ------
    DataError
        ``out`` is a file, or holds other files (a few are named).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> check_replaceable(d / "rapports")  # a new folder: nothing to say
    >>> _ = (d / "notes.txt").write_text("à garder")
    >>> check_replaceable(d)  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    zan.errors.DataError: ...: holds files that are not reports of zan (notes.txt); ...
    """
    out = Path(out)
    if not out.exists():
        return
    if not out.is_dir():
        raise DataError(f"{out}: is a file, not a folder; choose a folder for the reports (--out)")
    entries = sorted(out.iterdir())
    if not entries:
        return
    foreign = []
    for p in entries:
        if p.name in RUN_FILES and p.is_file():
            continue
        if p.is_dir() and (_is_report_folder(p) or p.name.startswith((".tmp-", ".old-"))):
            continue
        foreign.append(p.name)
    index = out / "index.html"
    if not foreign and index.is_file():
        head = index.read_bytes()[:4096]
        if b'name="generator" content="zan' not in head:
            foreign.append("index.html")
    elif not foreign:
        foreign.append("(no index.html)")
    if foreign:
        shown = ", ".join(foreign[:5]) + (
            f" and {len(foreign) - 5} more" if len(foreign) > 5 else ""
        )
        raise DataError(
            f"{out}: holds files that are not reports of zan ({shown}); a report run "
            "replaces its whole folder: choose a new or empty folder (--out), or move "
            "those files away"
        )


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:
        return True  # another user's process
    return True


def clean_stale(out: str | os.PathLike[str]) -> list[Path]:
    """Remove the hidden folders beside ``out`` left by runs that were killed.

    Only those of ``out`` (``.<name>.tmp-<pid>-...``, ``.<name>.old-<pid>-...``) whose
    process no longer runs; a run in progress keeps its own.

    Returns
    -------
    list of pathlib.Path
        The folders removed.
    """
    out = Path(out)
    removed = []
    if not out.parent.is_dir():
        return removed
    for p in out.parent.iterdir():
        m = _HIDDEN.fullmatch(p.name)
        if m and m["name"] == out.name and p.is_dir() and not _alive(int(m["pid"])):
            shutil.rmtree(p, ignore_errors=True)
            removed.append(p)
    return removed


def swap_folder(new: Path, out: Path) -> None:
    """Put the finished folder ``new`` in place of ``out`` (the previous one is removed)."""
    old = None
    if out.exists():
        old = Path(tempfile.mkdtemp(prefix=f".{out.name}.old-{os.getpid()}-", dir=out.parent))
        os.replace(out, old / "run")
    os.replace(new, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


@contextlib.contextmanager
def staged_folder(out: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a fresh hidden folder beside ``out``; swap it in place of ``out`` on success.

    On any exception, Ctrl-C included, the hidden folder is removed and ``out`` is
    left as it was.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "rapports"
    >>> with staged_folder(out) as tmp:
    ...     _ = (tmp / "index.html").write_text("<p>1</p>")
    >>> sorted(p.name for p in out.parent.iterdir()), (out / "index.html").read_text()
    (['rapports'], '<p>1</p>')
    """
    out = Path(os.path.abspath(out))  # "." has a parent and a name too
    check_replaceable(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    clean_stale(out)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-{os.getpid()}-", dir=out.parent)).resolve()
    try:
        yield tmp
        swap_folder(tmp, out)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
