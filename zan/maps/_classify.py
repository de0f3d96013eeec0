"""Classification of values into colour classes and palettes.

Schemes follow mapclassify, the standard of geopandas and PySAL, and give the same
bins: ``quantiles`` (``mapclassify.Quantiles``: linear percentiles at 100/k, 200/k...,
repeated bounds merged), ``equal_interval`` (``mapclassify.EqualInterval``),
``user`` (breaks given) and ``natural_breaks`` (Jenks' optimal classification,
computed exactly with numpy on at most 2,000 order statistics, so that it is
deterministic and fast without numba). They are computed with numpy here (the tests
check them against mapclassify) because importing mapclassify loads scikit-learn
and scipy.stats: about 2 s at the start of every command that draws a map.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ..errors import SchemaError
from ._text import format_number

__all__ = ["SCHEMES", "Classes", "classify", "palette"]

SCHEMES = ("quantiles", "natural_breaks", "equal_interval", "user")

#: Colour of territories without a value.
NA_COLOUR = "#d9d9d9"

_JENKS_MAX = 2000


@dataclass(frozen=True)
class Classes:
    """Result of a classification.

    Attributes
    ----------
    yb : numpy.ndarray of int
        Class of each value, ``-1`` where the value is missing.
    lower, upper : list of float
        Bounds of each class.
    colours : list of str
        One hex colour per class.
    labels : list of str
        French legend text of each class (``"12,3 – 45,6"``).
    """

    yb: np.ndarray
    lower: list[float]
    upper: list[float]
    colours: list[str]
    labels: list[str]

    @property
    def k(self) -> int:
        """Number of classes."""
        return len(self.upper)


def palette(cmap: str | Sequence[str], n: int) -> list[str]:
    """``n`` colours from a ColorBrewer name (``"YlGnBu"``, ``"RdBu_r"``) or a colour list.

    Examples
    --------
    >>> palette("YlGnBu", 3)
    ['#edf8b1', '#7fcdbb', '#2c7fb8']
    >>> palette(["#000000", "#777777", "#ffffff"], 2)
    ['#000000', '#ffffff']
    """
    if n <= 0:
        return []
    if not isinstance(cmap, str):
        colours = [str(c) for c in cmap]
        if not colours:
            raise SchemaError("cmap: the colour list is empty; give at least one colour")
        pick = np.round(np.linspace(0, len(colours) - 1, n)).astype(int)
        return [colours[i] for i in pick]
    from branca.utilities import color_brewer

    name, reverse = (cmap[:-2], True) if cmap.endswith("_r") else (cmap, False)
    try:
        colours = color_brewer(name, max(n, 3))
    except (ValueError, KeyError) as exc:
        raise SchemaError(
            f"cmap: unknown ColorBrewer scheme {cmap!r}; use a name such as 'YlGnBu', "
            "'OrRd', 'RdBu' (add '_r' to reverse) or a list of colours"
        ) from exc
    if n < 3:
        colours = [colours[i] for i in np.round(np.linspace(0, len(colours) - 1, n)).astype(int)]
    return colours[::-1] if reverse else colours


def classify(
    values: np.ndarray,
    *,
    scheme: str = "quantiles",
    k: int = 5,
    bins: Sequence[float] | None = None,
    cmap: str | Sequence[str] = "YlGnBu",
    center: float | None = None,
    decimals: int = 1,
    source: str = "values",
) -> Classes:
    """Put values into classes and give each a colour and a French label.

    Parameters
    ----------
    values : numpy.ndarray
        Numbers; NaN marks a missing value (class ``-1``).
    scheme : {"quantiles", "natural_breaks", "equal_interval", "user"}
        Classification scheme.
    k : int, default 5
        Number of classes (ignored for ``"user"``).
    bins : sequence of float, optional
        Upper bounds of the classes for ``scheme="user"``.
    cmap : str or sequence of str
        ColorBrewer name or colour list.
    center : float, optional
        Value around which a diverging palette is centred: it becomes a class
        bound, classes below take the first half of the palette, classes above
        the second.
    decimals : int, default 1
        Decimals of the legend labels.
    source : str
        Name of the column, for messages.

    Returns
    -------
    Classes

    Raises
    ------
    SchemaError
        Unknown scheme, ``k`` < 1, ``bins`` missing for ``"user"``, or no value.

    Examples
    --------
    >>> c = classify(np.array([1.0, 2.0, 3.0, 4.0, np.nan]), scheme="equal_interval", k=3)
    >>> c.yb.tolist(), c.labels
    ([0, 0, 1, 2, -1], ['1,0 – 2,0', '2,0 – 3,0', '3,0 – 4,0'])
    """
    y = np.asarray(values, dtype=float)
    ok = np.isfinite(y)
    if scheme not in SCHEMES:
        raise SchemaError(f"scheme: unknown scheme {scheme!r}; valid schemes: {', '.join(SCHEMES)}")
    if not ok.any():
        raise SchemaError(
            f"{source}: no numeric value to map (all missing); check the column and the join "
            "between the values' codes and the territories' codes"
        )
    if scheme != "user" and (not isinstance(k, int | np.integer) or k < 1):
        raise SchemaError(f"k: the number of classes must be a positive integer (got {k!r})")
    v = y[ok]
    if scheme == "user":
        if bins is None or len(bins) == 0:
            raise SchemaError(
                "bins: scheme='user' needs bins=[upper bound, ...]; e.g. bins=[5, 10, 50]"
            )
        upper = np.unique(np.asarray(bins, dtype=float))
    elif np.unique(v).size == 1:
        upper = np.array([v[0]])
    elif scheme == "quantiles":
        upper = _quantile_bins(v, k)
    elif scheme == "equal_interval":
        upper = _equal_interval_bins(v, k)
    else:
        upper = _jenks(v, k)
    if center is not None and v.min() < center < v.max() and not np.isclose(upper, center).any():
        upper = np.sort(np.append(upper, center))
    if upper[-1] < v.max():
        upper = np.append(upper, v.max())
    yb = np.full(len(y), -1, dtype=np.int64)
    yb[ok] = np.minimum(np.searchsorted(upper, v, side="left"), len(upper) - 1)
    lower = np.concatenate([[v.min()], upper[:-1]])
    colours = _colours(cmap, upper, v, center)
    labels = [
        f"{format_number(lo, decimals)} – {format_number(hi, decimals)}"
        for lo, hi in zip(lower, upper, strict=True)
    ]
    return Classes(yb, lower.tolist(), upper.tolist(), colours, labels)


def _quantile_bins(v: np.ndarray, k: int) -> np.ndarray:
    """Upper bounds of ``k`` quantile classes, as ``mapclassify.Quantiles`` (repeats merged)."""
    pct = np.minimum(np.arange(1, k + 1) * (100.0 / k), 100.0)
    return np.unique(np.percentile(v, pct))


def _equal_interval_bins(v: np.ndarray, k: int) -> np.ndarray:
    """Upper bounds of ``k`` classes of equal width, as ``mapclassify.EqualInterval``."""
    lo, hi = float(v.min()), float(v.max())
    upper = lo + (hi - lo) / k * np.arange(1, k + 1)
    upper[-1] = hi
    return upper


def _colours(cmap, upper: np.ndarray, v: np.ndarray, center: float | None) -> list[str]:
    n = len(upper)
    if center is None:
        return palette(cmap, n)
    n_lo = int(np.sum(upper <= center + 1e-12 * max(1.0, abs(center))))
    n_lo = min(n_lo, n)
    n_hi = n - n_lo
    m = max(n_lo, n_hi, 1)
    pal = palette(cmap, 2 * m)
    return pal[m - n_lo : m] + pal[m : m + n_hi]


def _jenks(v: np.ndarray, k: int) -> np.ndarray:
    """Jenks natural breaks by dynamic programming (exact on up to 2,000 values)."""
    y = np.sort(v)
    if len(y) > _JENKS_MAX:  # evenly spaced order statistics: deterministic sample
        y = y[np.round(np.linspace(0, len(y) - 1, _JENKS_MAX)).astype(int)]
    # classes split between distinct values only: equal values weigh by their count (on
    # distinct values the sums are those of the values themselves, bit for bit)
    y, counts = np.unique(y, return_counts=True)
    w = counts.astype(float)
    n = len(y)
    k = min(k, n)
    if k <= 1:
        return np.array([y[-1]])
    s0 = np.concatenate([[0.0], np.cumsum(w)])
    s1 = np.concatenate([[0.0], np.cumsum(w * y)])
    s2 = np.concatenate([[0.0], np.cumsum(w * y * y)])
    i = np.arange(n)[:, None]
    j = np.arange(n)[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        cost = s2[j + 1] - s2[i] - (s1[j + 1] - s1[i]) ** 2 / (s0[j + 1] - s0[i])
    cost = np.where(j >= i, np.maximum(cost, 0.0), np.inf)
    best = cost[0].copy()
    back = []
    cols = np.arange(n)
    for _ in range(1, k):
        total = best[:-1, None] + cost[1:, :]
        arg = np.argmin(total, axis=0)
        best = np.concatenate([[np.inf], total[arg, cols][1:]])
        back.append(arg + 1)
    bounds = [y[-1]]
    end = n - 1
    for start_of in reversed(back):
        start = start_of[end]
        bounds.append(y[start - 1])
        end = start - 1
    return np.unique(np.array(bounds))
