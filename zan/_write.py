"""Atomic output: every file zan writes appears whole or not at all.

Outputs are written to a temporary file in the destination folder, flushed, and
renamed over the destination with :func:`os.replace` (atomic on POSIX and Windows).
A failure midway leaves the previous file, if any, untouched.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

__all__ = ["atomic_path", "write_csv", "write_text"]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str], *, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` on success.

    Parameters
    ----------
    path : path-like
        Final destination. Its folder is created if needed.
    suffix : str, optional
        Suffix of the temporary file (defaults to the destination's, so that
        drivers choosing a format from the extension keep working).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_path(d / "a.txt") as tmp:
    ...     _ = tmp.write_text("bonjour")
    >>> (d / "a.txt").read_text()
    'bonjour'
    """
    dest = Path(path)
    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(
        prefix=f".{dest.name}.",
        suffix=suffix if suffix is not None else dest.suffix,
        dir=dest.parent,
    )
    os.close(fd)
    tmp = Path(name)
    tmp.unlink()  # let writers that refuse to overwrite (GDAL drivers) create it
    try:
        yield tmp
        os.replace(tmp, dest)
    finally:
        if tmp.exists():
            tmp.unlink()


def write_text(text: str, path: str | os.PathLike[str], *, encoding: str = "utf-8") -> Path:
    """Write text atomically and return the path."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding=encoding)
    return Path(path)


def write_csv(
    df: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    decimals: int = 4,
    index: bool = True,
    sep: str = ",",
    encoding: str = "utf-8",
) -> Path:
    """Write a table as CSV atomically, floats with a fixed number of decimals.

    Parameters
    ----------
    df : pandas.DataFrame
        The table.
    path : path-like
        Destination.
    decimals : int, default 4
        Decimals for floating-point columns (hectares to 4 decimals = 1 m²).
    index : bool, default True
        Write the index as the first column.
    sep : str, default ","
        Separator.
    encoding : str, default "utf-8"
        Text encoding ("utf-8-sig" adds a BOM for spreadsheets).

    Returns
    -------
    pathlib.Path
    """
    with atomic_path(path) as tmp:
        df.to_csv(
            tmp,
            index=index,
            sep=sep,
            encoding=encoding,
            float_format=f"%.{decimals}f",
            lineterminator="\n",
        )
    return Path(path)
