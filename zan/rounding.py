"""Exact rounding: integer units of the resolution apportioned within floors and caps.

The envelope is expressed in integer units of the resolution (0.01 ha by default); the
distributed total is the envelope rounded *down* to the resolution, so the sum never
exceeds the legal envelope; the units are apportioned by largest remainder (Hamilton,
default) or by the Sainte-Laguë divisor method (Balinski & Young, *Fair
Representation*), floors rounded up and caps down kept, ties broken by territory code
(DOMAIN.md §5).

:func:`round_to_resolution` is the front function; :func:`round_rows` rounds many rows
of quotas at once (the batch path and the cascade); :func:`to_units_bounds` and
:func:`total_units` convert hectares to units.
"""

from __future__ import annotations

import math
import threading
from typing import Any

import numpy as np

from .errors import InfeasibleError, ScenarioError
from .waterfill import as_bounds

__all__ = [
    "ROUNDING_METHODS",
    "NO_CAP_UNITS",
    "UNITS_EPS",
    "round_to_resolution",
    "round_rows",
    "to_units_bounds",
    "total_units",
    "check_resolution",
]

#: Rounding methods accepted by ``rounding=``.
ROUNDING_METHODS = ("largest_remainder", "sainte_lague")

#: "No cap" in integer units (sums of many stay in int64).
NO_CAP_UNITS = np.int64(2**42)
#: Slack when converting hectares to units (float noise).
UNITS_EPS = 1e-9


def to_units_bounds(
    floors: np.ndarray, caps: np.ndarray, resolution: float
) -> tuple[np.ndarray, np.ndarray]:
    """Floors rounded up and caps rounded down to the resolution, as integer units."""
    lo = np.ceil(floors / resolution - UNITS_EPS).astype(np.int64)
    finite = np.isfinite(caps)
    hi = np.full(caps.shape, NO_CAP_UNITS, dtype=np.int64)
    hi[finite] = np.floor(caps[finite] / resolution + UNITS_EPS).astype(np.int64)
    return np.maximum(lo, 0), hi


#: Work buffers kept per thread up to this many values each (larger calls allocate).
SCRATCH_MAX_VALUES = 1 << 22
_SCRATCH = threading.local()


def _scratch(name: str, shape: tuple[int, ...]) -> np.ndarray:
    """A float64 work buffer of this shape, reused by the thread from call to call.

    Fresh megabyte-sized arrays cost their page faults on every chunk of a batch
    (more than the arithmetic on them); the buffers are kept per thread, up to
    :data:`SCRATCH_MAX_VALUES` values each.
    """
    size = math.prod(shape)
    if size > SCRATCH_MAX_VALUES:
        return np.empty(shape)
    bufs = getattr(_SCRATCH, "bufs", None)
    if bufs is None:
        bufs = _SCRATCH.bufs = {}
    buf = bufs.get(name)
    if buf is None or buf.size < size:
        buf = bufs[name] = np.empty(size)
    return buf[:size].reshape(shape)


def total_units(total_ha: float, resolution: float) -> int:
    """The envelope in units of the resolution, rounded down (never above the envelope)."""
    return int(math.floor(total_ha / resolution + 1e-6))


def _round_rows_lr(
    Q: np.ndarray,
    total: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Largest remainder on each row of quotas Q (units), bounded by [lo, hi].

    Extra units go to the largest remainders; ties to the lowest column (the rows are
    in territory-code order). Units taken back (only when bounds pushed the floors up)
    come from the smallest remainders, ties from the highest column. The k-th largest
    remainder of each row is found by a selection per row; the units are counted in
    float64 (exact below 2**53) and returned as int64 (into ``out`` when given). Q is
    overwritten.
    """
    K, n = Q.shape
    units = np.add(Q, UNITS_EPS, out=_scratch("units", (K, n)))
    np.floor(units, out=units)
    rem = np.subtract(Q, units, out=Q)  # Q is not needed any more
    np.clip(rem, 0.0, 1.0, out=rem)
    if (lo > 0).any():
        np.maximum(units, lo, out=units)
    capped = bool((hi < NO_CAP_UNITS).any())
    if capped:
        np.minimum(units, hi, out=units)
    hi_f = np.broadcast_to(hi.astype(np.float64), (K, n))
    lo_f = np.broadcast_to(lo.astype(np.float64), (K, n))
    k = np.asarray(total, dtype=np.float64) - units.sum(axis=1)
    for _ in range(n + 2):
        up = np.flatnonzero(k > 0)
        down = np.flatnonzero(k < 0)
        if not (up.size or down.size):
            if out is None:
                return units.astype(np.int64)
            np.copyto(out, units, casting="unsafe")
            return out
        if up.size:
            sel = slice(None) if up.size == K else up
            u, r = units[sel], rem[sel]
            kk = np.minimum(k[up], n).astype(np.int64)
            if capped:  # a unit only where the cap leaves room
                R = _scratch("eligible", r.shape)
                np.copyto(R, r)
                np.copyto(R, -np.inf, where=u >= hi_f[sel])
            else:
                R = r
            thr = _kth_largest(R, kk)
            grant = R >= thr[:, None]
            if np.isneginf(thr).any():  # fewer eligible than needed: never the ineligible
                grant &= R > -np.inf
            got = np.count_nonzero(grant, axis=1)
            extra = got - kk  # ties at the threshold beyond what is needed
            rows = np.flatnonzero(extra > 0)
            if rows.size:  # keep the first ties (lowest columns)
                tie = R[rows] == thr[rows, None]
                after = np.cumsum(tie, axis=1) > (tie.sum(axis=1) - extra[rows])[:, None]
                grant[rows] &= ~(tie & after)
                got[rows] = kk[rows]
            if isinstance(sel, slice):
                np.add(units, grant, out=units)
            else:
                units[sel] = u + grant
            k[up] -= got
            again = np.flatnonzero(k[up] > 0)  # rows short of eligible units: next round
            if again.size:
                rr = up[again]
                rem[rr] = np.where(grant[again], rem[rr] - 1.0, rem[rr])
        if down.size:
            sel = slice(None) if down.size == K else down
            u, r = units[sel], rem[sel]
            kk = np.minimum(-k[down], n).astype(np.int64)
            R = np.where(u > lo_f[sel], r, np.inf)
            thr = np.sort(R, axis=1)[np.arange(down.size), kk - 1]
            take = R <= thr[:, None]
            take &= R < np.inf
            got = take.sum(axis=1)
            extra = got - kk
            rows = np.flatnonzero(extra > 0)
            if rows.size:  # keep taking from the last ties (highest columns)
                tie = R[rows] == thr[rows, None]
                from_right = np.cumsum(tie[:, ::-1], axis=1)[:, ::-1]
                keep = from_right > (tie.sum(axis=1) - extra[rows])[:, None]
                take[rows] &= ~(tie & keep)
                got[rows] = kk[rows]
            units[sel] = u - take
            k[down] += got
            again = np.flatnonzero(k[down] < 0)
            if again.size:
                rr = down[again]
                rem[rr] = np.where(take[again], rem[rr] + 1.0, rem[rr])
    raise InfeasibleError(
        "rounding could not meet the envelope within the floors and caps; "
        "check that floors <= caps and that the envelope lies between their sums"
    )


def _kth_largest(R: np.ndarray, kk: np.ndarray) -> np.ndarray:
    """The ``kk[i]``-th largest value of each row ``R[i]`` (1 <= kk <= n).

    A selection per row (:func:`numpy.partition`, linear time) rather than a sort of
    every row; the same values as ``np.sort(R, axis=1)[i, n - kk[i]]``.
    """
    n = R.shape[1]
    out = np.empty(R.shape[0])
    for i, k in enumerate((n - kk).tolist()):
        out[i] = np.partition(R[i], k)[k]
    return out


def _round_row_sl(q: np.ndarray, total: int, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Sainte-Laguë (Webster) divisor method on one row of quotas, bounded by [lo, hi].

    Start from the quotas rounded half up, then add (or take back) the seats in the
    order of their divisor thresholds ``(s + 0.5) / q`` (or ``(s − 0.5) / q``); the
    k-th threshold is found by bisection, ties go to the lowest column.
    """
    s = np.clip(np.floor(q + 0.5 + UNITS_EPS).astype(np.int64), lo, hi)
    k = int(total - s.sum())
    if k == 0:
        return s
    pos = q > 0
    if k > 0:
        room = np.where(pos, hi - s, 0)

        def count(t: float) -> np.ndarray:  # seats whose threshold is <= t
            c = np.floor(t * q - s - 0.5) + 1.0
            return np.clip(np.where(pos, c, 0), 0, room).astype(np.int64)

        t_lo = 0.0
        t_hi = float(np.max(np.where(pos, (s + k + 0.5) / np.where(pos, q, 1.0), 0.0)))
        if count(t_hi).sum() < k:  # territories of zero quota take the rest, in order
            s = s + count(t_hi)
            rest = int(total - s.sum())
            zroom = np.where(~pos, hi - s, 0)
            cum = np.cumsum(zroom)
            give = np.clip(rest - (cum - zroom), 0, zroom)
            return s + give
        for _ in range(200):
            mid = 0.5 * (t_lo + t_hi)
            if mid in (t_lo, t_hi):
                break
            if count(mid).sum() >= k:
                t_hi = mid
            else:
                t_lo = mid
        base = count(t_lo)
        extra = count(t_hi) - base  # seats exactly at the threshold
        need = k - int(base.sum())
        cum = np.cumsum(extra)
        give = np.clip(need - (cum - extra), 0, extra)
        return s + base + give
    k = -k
    room = s - lo
    inf_thr = ~pos & (room > 0)

    def count_down(t: float) -> np.ndarray:  # seats whose threshold is >= t
        c = np.floor(s - 0.5 - t * q) + 1.0
        c = np.where(pos, c, room)
        return np.clip(c, 0, room).astype(np.int64)

    if inf_thr.any():
        zc = np.cumsum(np.where(inf_thr, room, 0)[::-1])[::-1]
        zroom = np.where(inf_thr, room, 0)
        take_z = np.clip(k - (zc - zroom), 0, zroom)
        s = s - take_z
        k -= int(take_z.sum())
        room = s - lo
        if k == 0:
            return s
    t_hi = float(np.max(np.where(pos, (s + 0.5) / np.where(pos, q, 1.0), 0.0))) + 1.0
    t_lo = 0.0
    for _ in range(200):
        mid = 0.5 * (t_lo + t_hi)
        if mid in (t_lo, t_hi):
            break
        if count_down(mid).sum() >= k:
            t_lo = mid
        else:
            t_hi = mid
    base = np.where(pos, count_down(t_hi), 0)
    extra = np.where(pos, count_down(t_lo), 0) - base
    need = k - int(base.sum())
    cum = np.cumsum(extra[::-1])[::-1]
    take = np.clip(need - (cum - extra), 0, extra)
    return s - base - take


def round_rows(
    Q: np.ndarray,
    total: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    method: str,
    *,
    resolution: float | None = None,
    out: np.ndarray | None = None,
) -> np.ndarray:
    """Round each row of quotas Q (units) to integers summing to ``total``, within [lo, hi].

    With ``resolution``, Q is in hectares and divided by it first (into a work buffer:
    Q is left as it is); otherwise Q is overwritten. ``out`` receives the (K, n) int64
    units (a new array otherwise).
    """
    if resolution is not None:
        Q = np.divide(Q, resolution, out=_scratch("quotas", Q.shape))
    if method == "largest_remainder":
        return _round_rows_lr(Q, total, lo, hi, out)
    if method == "sainte_lague":
        out = np.empty(Q.shape, dtype=np.int64) if out is None else out
        for r in range(Q.shape[0]):
            out[r] = _round_row_sl(
                Q[r],
                int(total[r]),
                lo[r] if lo.ndim == 2 else lo,
                hi[r] if hi.ndim == 2 else hi,
            )
        return out
    raise ScenarioError(
        f"unknown rounding method {method!r}; valid methods: {', '.join(ROUNDING_METHODS)}"
    )


def round_to_resolution(
    values: Any,
    total: float | None = None,
    *,
    resolution: float = 0.01,
    method: str = "largest_remainder",
    floors: Any = None,
    caps: Any = None,
) -> np.ndarray:
    """Round values to a resolution so that they sum exactly to the total.

    Works in integer units of the resolution: the total is rounded down to the
    resolution, each value's units are apportioned by largest remainder (Hamilton) or
    Sainte-Laguë, floors (rounded up) and caps (rounded down) kept, ties broken by
    position.

    Parameters
    ----------
    values : array-like
        Exact values (e.g. from :func:`water_fill`).
    total : float, optional
        Total to reach; default ``sum(values)``.
    resolution : float, default 0.01
    method : {"largest_remainder", "sainte_lague"}
    floors, caps : float or array-like, optional

    Returns
    -------
    numpy.ndarray
        Multiples of the resolution; ``round(result / resolution)`` sums exactly to
        ``floor(total / resolution)``.

    Examples
    --------
    >>> round_to_resolution([1/3, 1/3, 1/3], 1.0).tolist()
    [0.34, 0.33, 0.33]
    """
    x = np.asarray(values, dtype=np.float64).ravel()
    res = check_resolution(resolution)
    tot = float(x.sum()) if total is None else float(total)
    f, c = as_bounds(floors, caps, x.size)
    lo, hi = to_units_bounds(f, c, res)
    tu = total_units(tot, res)
    if lo.sum() > tu or hi.sum() < tu:
        raise InfeasibleError(
            f"rounding: the floors ({lo.sum() * res:,.2f} ha) and caps "
            f"({hi.sum() * res:,.2f} ha) cannot meet {tu * res:,.2f} ha at {res:g} ha"
        )
    units = round_rows(x[None, :] / res, np.array([tu]), lo, hi, method)[0]
    return units * res


def check_resolution(resolution: float) -> float:
    """The resolution as a float, or a ScenarioError unless it is finite and > 0."""
    res = float(resolution)
    if not (math.isfinite(res) and res > 0):
        raise ScenarioError(f"'resolution' must be > 0 (got {resolution!r}); e.g. 0.01 ha")
    return res
