"""Numbers written as text in bulk, as Python writes them one by one, but faster.

A national table has 35,000 communes and a dozen numeric columns: half a million
numbers to write in a CSV file or a map's data. Python's own formatting
(``"%.4f" % v``) called through pandas' per-value machinery costs seconds; these
functions give the very same text, byte for byte:

- :func:`fixed_decimals`: ``"%.4f" % v`` for every value, the text
  :meth:`pandas.DataFrame.to_csv` writes with ``float_format="%.4f"`` (``na_rep`` for
  NaN, the decimal mark replaced);
- :func:`short_decimals`: ``f"{v:.2f}"`` without its trailing zeros (``"12.5"``,
  ``"3"``, ``"-0"``), computed on whole arrays: the value is rounded to an integer
  number of hundredths with numpy, and :func:`repr` of that number of hundredths
  divided by 100 is exactly the decimal text (the shortest text that reads back as
  that float, below 10¹² with at most 4 decimals). The few values within 1 % of a
  half-unit, where the product ``v × 100`` could round either way, are written by
  Python's formatting itself.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["fixed_decimals", "short_decimals"]

#: Beyond this many units (|v| × 10^decimals), a value is written by Python's formatting.
_EXACT_BELOW = 1e12
#: Values whose product lies within this distance of a half-unit are written by Python.
_HALF_MARGIN = 0.01


def fixed_decimals(
    values: Sequence[float] | np.ndarray, decimals: int, *, decimal: str = ".", na_rep: str = ""
) -> list[str]:
    """``"%.{decimals}f" % v`` for every value; ``na_rep`` for NaN.

    The text :meth:`pandas.DataFrame.to_csv` writes for a float column with
    ``float_format=f"%.{decimals}f"``, ``decimal`` and ``na_rep``.

    Examples
    --------
    >>> fixed_decimals([1.5, float("nan"), -0.0, 2.00005, float("inf")], 4)
    ['1.5000', '', '-0.0000', '2.0000', 'inf']
    >>> fixed_decimals([1234.5], 2, decimal=",")
    ['1234,50']
    """
    arr = np.asarray(values, dtype=float)
    fmt = f"%.{int(decimals)}f"
    out = [fmt % v for v in arr.tolist()]
    for i in np.flatnonzero(np.isnan(arr)).tolist():
        out[i] = na_rep
    if decimal != ".":
        out = [s.replace(".", decimal, 1) for s in out]
    return out


def short_decimals(values: Sequence[float] | np.ndarray, decimals: int) -> list[str | None]:
    """``f"{v:.{decimals}f}"`` without trailing zeros (nor a bare point); None if not finite.

    The same text as the one-by-one loop, byte for byte: ``2.50`` → ``"2.5"``,
    ``3.00`` → ``"3"``, a negative value rounding to zero → ``"-0"``.

    Examples
    --------
    >>> short_decimals([2.5, 3.0, -0.001, 0.125, 1e20, float("nan")], 2)
    ['2.5', '3', '-0', '0.12', '100000000000000000000', None]
    """
    arr = np.asarray(values, dtype=float)
    d = int(decimals)
    out: list[str | None]
    if 0 <= d <= 4:
        scale = 10.0**d
        with np.errstate(invalid="ignore", over="ignore"):
            y = arr * scale
            units = np.rint(y)
            exact = (np.abs(y) < _EXACT_BELOW) & (np.abs(y - np.floor(y) - 0.5) > _HALF_MARGIN)
            whole = exact & (np.abs(units) % scale == 0)  # repr ends in ".0"
        out = list(map(repr, (units / scale).tolist()))
        for i in np.flatnonzero(whole).tolist():
            out[i] = out[i][:-2]  # type: ignore[index]
        slow = np.flatnonzero(~exact & np.isfinite(arr)).tolist()
    else:
        out = [None] * len(arr)
        slow = np.flatnonzero(np.isfinite(arr)).tolist()
    for i in np.flatnonzero(~np.isfinite(arr)).tolist():
        out[i] = None
    for i in slow:
        out[i] = _one(float(arr[i]), d)
    return out


def _one(v: float, decimals: int) -> str | None:
    if v != v or v in (float("inf"), float("-inf")):
        return None
    text = f"{v:.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text
