"""Reading a CSV's text with its numeric columns parsed in C, for :func:`zan.io._files.read_table`.

A national Cerema file has about a hundred numeric columns over 35,000 rows: read as text
then parsed, they cost several times what the C parser takes to read them as numbers.
"""

from __future__ import annotations

import io
import warnings
from collections import defaultdict
from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

__all__ = ["read_csv_text", "read_floats"]


def read_floats(text: str, sep: str, floats: list[str]) -> pd.DataFrame | None:
    """The CSV with the ``floats`` columns parsed as float64 by the C parser, the others as
    text; None when one of those cells is not a plain finite number (or the table is not
    regular): the caller then reads it all as text, with its messages."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", pd.errors.ParserWarning)
            df = pd.read_csv(
                io.StringIO(text),
                sep=sep,
                # text as objects, made str once below: the same values, twice as fast as
                # dtype=str (converted chunk by chunk)
                dtype=defaultdict(lambda: object, dict.fromkeys(floats, "float64")),
                keep_default_na=False,
                na_values=[""],
                skip_blank_lines=False,
                index_col=False,
            )
    except (ValueError, pd.errors.ParserWarning, pd.errors.ParserError):
        return None
    values = df[floats].to_numpy(dtype="float64")
    if np.isinf(values).any():
        return None
    text = [c for c in df.columns if c not in set(floats)]
    return df.astype(dict.fromkeys(text, "str")) if text else df


def read_csv_text(
    text: str,
    sep: str,
    dtype,
    header: list[str],
    numeric: Callable[[list[str]], Iterable[str]] | None = None,
) -> pd.DataFrame:
    """Read the CSV ``text`` (its header line split into ``header``) as ``read_table`` does.

    ``numeric``, given the stripped column names, names the columns to parse as float64
    while reading, in C, when every cell of them is a plain finite number or empty
    (:func:`read_floats`); when one is not (a decimal comma, a unit, infinity...), the
    whole file is read as ``dtype`` says and the caller parses the text with its own
    messages. Parser errors and warnings are raised for ``read_table`` to explain.
    """
    if numeric is not None:
        wanted = set(numeric([h.strip() for h in header]))
        floats = [raw for raw in header if raw.strip() in wanted]
        df = read_floats(text, sep, floats) if floats else None
        if df is not None:
            return df
    with warnings.catch_warnings():
        warnings.simplefilter("error", pd.errors.ParserWarning)
        return pd.read_csv(
            io.StringIO(text),
            sep=sep,
            dtype=dtype,
            keep_default_na=False,
            na_values=[""],
            skip_blank_lines=False,
            index_col=False,
        )
