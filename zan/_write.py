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

__all__ = ["atomic_path", "fixed_gpkg_date", "write_csv", "write_text", "sha256_file", "write_manifest"]


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


@contextlib.contextmanager
def fixed_gpkg_date(date: str = "2000-01-01T00:00:00.000Z") -> Iterator[None]:
    """Write GeoPackages with a fixed ``last_change`` date, so that they are reproducible.

    GDAL stamps each GeoPackage table with the time of writing; its configuration
    option ``OGR_CURRENT_DATE`` replaces that stamp, so the same data gives the same bytes.
    """
    import pyogrio

    previous = pyogrio.get_gdal_config_option("OGR_CURRENT_DATE")
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": date})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": previous})


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


def sha256_file(path: str | os.PathLike[str]) -> str:
    """SHA-256 of a file's bytes, read in blocks.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> _ = p.write_bytes(b"zan")
    >>> sha256_file(p)[:12]
    'd6bdb7c3e5a7'
    """
    import hashlib

    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_manifest(
    folder: str | os.PathLike[str],
    inputs: dict[str, str | os.PathLike[str]],
    outputs: list[str | os.PathLike[str]] | tuple = (),
    *,
    extra: dict | None = None,
) -> Path:
    """Write ``sources.json``: the name and SHA-256 of every input and output file.

    A published figure or map can then be traced to the exact files it came from,
    and checked by its own hash. Paths are given relative to ``folder`` when inside
    it, else by file name; no date is written, so the same inputs give the same bytes.

    Parameters
    ----------
    folder : path-like
        Output folder; ``sources.json`` is written there, atomically.
    inputs : dict
        Key (e.g. ``"data.consumption"``) → input file.
    outputs : sequence of path-like
        Files written.
    extra : dict, optional
        More facts (scenario name and hash, zan version...).

    Returns
    -------
    pathlib.Path
    """
    import json

    folder = Path(folder)

    def name(p: str | os.PathLike[str]) -> str:
        path = Path(p)
        try:
            return path.resolve().relative_to(folder.resolve()).as_posix()
        except ValueError:
            return path.name

    manifest = {
        **(extra or {}),
        "inputs": {
            k: {"file": Path(v).name, "sha256": sha256_file(v)} for k, v in sorted(inputs.items())
        },
        "outputs": {name(p): sha256_file(p) for p in sorted(outputs, key=str) if Path(p).is_file()},
    }
    return write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", folder / "sources.json"
    )
