"""Share an envelope across territories: water-filling, exact rounding, cascade, batch.

The mathematics (DOMAIN.md §5):

- **weights**: each criterion (see :mod:`zan.rules`) gives shares that sum to 1 within a
  group of sibling territories; the blend ``w = Σ_c α_c s_c`` is the territory's weight;
- **floors and caps**: the exact envelope is ``x_i = clamp(λ·w_i, floor_i, cap_i)`` with
  the multiplier λ found so that ``Σ x_i = E``. ``λ ↦ Σ clamp(λ·w_i, ...)`` is
  piecewise linear and non-decreasing, so a safeguarded Newton iteration (each step
  solves the problem exactly for the current set of free territories) finds it in a few
  steps; it is feasible iff ``Σ floor ≤ E ≤ Σ cap`` (a territory of weight 0 only
  gets its floor);
- **exact rounding**: the envelope is expressed in integer units of the resolution
  (0.01 ha by default); the distributed total is the envelope rounded *down* to the
  resolution, so the sum never exceeds the legal envelope; the units are apportioned by
  largest remainder (Hamilton, default) or by the Sainte-Laguë divisor method
  (Balinski & Young, *Fair Representation*), floors and caps kept, ties broken by
  territory code;
- **garantie communale** (loi n° 2023-630): 1 ha per eligible commune, per commune by
  default (each eligible commune floored at 1 ha, a territory above the communes at
  the sum of its communes'), or pooled at intercommunal level on the communes' request
  (``garantie_pooling="epci"``: the EPCI floored at the sum, its communes not
  individually); see :mod:`zan.garantie`;
- **cascade**: region → SCoT → EPCI → commune, each level splitting its parent's rounded
  envelope among its members, floors and caps summed up the tree so that every level is
  feasible.

Front functions: :func:`allocate` (one level), :func:`allocate_cascade`,
:func:`allocate_batch` (thousands of weight vectors at once, identical to the
one-at-a-time path), and the low-level :func:`water_fill` and :func:`round_to_resolution`.
"""

from __future__ import annotations

import html
import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd

from .envelope import Envelope
from .errors import DataError, InfeasibleError, Problem, ScenarioError, ValidationError
from .formatting import fr_html, fr_text
from .garantie import garantie_floors, garantie_levels, pooling_text
from .rules import Criterion, criteria_weights, criterion_values, get_rule

__all__ = [
    "WaterFill",
    "BatchAllocation",
    "Allocation",
    "water_fill",
    "round_to_resolution",
    "garantie_floors",
    "allocate",
    "allocate_cascade",
    "allocate_batch",
    "ROUNDING_METHODS",
    "LEVEL_LABELS",
]

#: Rounding methods accepted by ``rounding=``.
ROUNDING_METHODS = ("largest_remainder", "sainte_lague")

#: French labels of the territorial levels.
LEVEL_LABELS = {
    "region": "région",
    "departement": "département",
    "scot": "SCoT",
    "epci": "EPCI",
    "commune": "commune",
}

_BIG = np.int64(2**42)  # "no cap" in integer units (sums of many stay in int64)
_EPS_UNITS = 1e-9  # slack when converting hectares to units (float noise)


# ============================================================================ numerics
def _blend_rows(
    alpha: np.ndarray, shares_t: np.ndarray, out: np.ndarray | None = None
) -> np.ndarray:
    """Blended weights ``alpha @ shares_t`` accumulated criterion by criterion.

    ``alpha`` is (k, C), ``shares_t`` (C, n). The same sequence of float operations for
    one row or many, so the batch path and the one-at-a-time path give bit-identical
    weights.
    """
    k, n = alpha.shape[0], shares_t.shape[1]
    if out is None:
        out = np.empty((k, n))
    np.multiply(alpha[:, 0:1], shares_t[0], out=out)
    if shares_t.shape[0] > 1:
        tmp = np.empty((k, n))
        for c in range(1, shares_t.shape[0]):
            np.multiply(alpha[:, c : c + 1], shares_t[c], out=tmp)
            np.add(out, tmp, out=out)
    return out


def _wf_chunk(
    w: np.ndarray,
    E: np.ndarray,
    F: np.ndarray,
    C: np.ndarray,
    x: np.ndarray,
    xw: np.ndarray,
    m: np.ndarray,
    max_iter: int = 200,
) -> tuple[np.ndarray, np.ndarray]:
    """Water-fill the rows of one chunk: ``Σ_j clip(λ_k w_kj, F_kj, C_kj) = E_k``.

    ``x`` receives the result; ``xw`` and ``m`` are work buffers of the same shape.
    F and C are (n,) or (k, n). Safeguarded Newton on λ: each step solves the problem
    exactly for the current set of free territories; a bracket [lo, hi] with bisection
    (or doubling while hi is unknown) guarantees convergence. Rows are independent:
    a row gives the same floats whatever the other rows of the chunk.
    """
    k = w.shape[0]
    tot = w.sum(axis=1)
    done = ~(tot > 0)  # no weight anywhere: λ = 0, every territory at its floor
    lam = np.where(done, 0.0, E / np.where(done, 1.0, tot))
    lo = np.zeros(k)
    hi = np.full(k, np.inf)
    tol = 1e-13 * np.maximum(np.abs(E), 1.0)
    iters = np.zeros(k, dtype=np.int64)
    has_floor = bool((F > 0).any())
    has_cap = not bool(np.isposinf(C).all())

    def evaluate() -> None:  # x = clip(λ·w, F, C), as maximum then minimum (faster)
        np.multiply(w, lam[:, None], out=xw)
        if has_floor:
            np.maximum(xw, F, out=x)
            if has_cap:
                np.minimum(x, C, out=x)
        elif has_cap:
            np.minimum(xw, C, out=x)
        else:
            x[...] = xw

    for _ in range(max_iter):
        evaluate()
        if done.all():
            break
        s = x.sum(axis=1)
        np.equal(x, xw, out=m)
        d = np.einsum("ij,ij->i", w, m)
        err = s - E
        below = err < 0
        lo = np.where(done, lo, np.where(below, lam, lo))
        hi = np.where(done, hi, np.where(below, hi, lam))
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = (E - (s - lam * d)) / d
        ok = (d > 0) & (newton > lo) & (newton < hi)
        fallback = np.where(np.isinf(hi), np.maximum(2.0 * lam, 1e-300), 0.5 * (lo + hi))
        nxt = np.where(ok, newton, fallback)
        newly = ~done & ((np.abs(err) <= tol) | (nxt == lam))
        iters += ~done
        lam = np.where(done | newly, lam, nxt)
        done |= newly
        if done.all():  # x already holds every row at its final λ
            break
    else:  # not converged within max_iter: values at the last bracket point
        evaluate()
    return lam, iters


def _water_fill_rows(
    W: np.ndarray | Callable[[slice, np.ndarray], np.ndarray],
    E: np.ndarray,
    F: np.ndarray,
    C: np.ndarray,
    *,
    n_rows: int | None = None,
    n_cols: int | None = None,
    chunk_rows: int = 32,
    on_chunk: Callable[[slice, np.ndarray], None] | None = None,
    threads: int | None = 1,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Water-fill many rows, chunk by chunk in cache-sized work buffers.

    ``W`` is a (K, n) array, or a function ``(slice, out) -> rows`` that fills ``out``
    with the weights of those rows (so a (K, n) weight matrix is never built).
    ``on_chunk(slice, values)`` is called after each chunk, while it is in cache.
    With ``threads`` > 1 (None: :func:`batch_threads`), consecutive ranges of rows
    are water-filled by that many threads, each with its own buffers (numpy releases
    the GIL on whole-chunk operations); rows are independent, so the values are the
    same floats whatever the number of threads. ``W`` and ``on_chunk`` must then
    accept calls from several threads on disjoint rows.
    """
    if callable(W):
        K, n = int(n_rows), int(n_cols)  # type: ignore[arg-type]
        get = W
    else:
        K, n = W.shape
        get = lambda sl, out: W[sl]  # noqa: E731
    X = np.empty((K, n))
    lam = np.empty(K)
    iters = np.empty(K, dtype=np.int64)
    f2, c2 = F.ndim == 2, C.ndim == 2

    def run(first: int, last: int) -> None:
        rows = min(chunk_rows, last - first)
        if rows <= 0:
            return
        wbuf = np.empty((rows, n))
        xw = np.empty((rows, n))
        m = np.empty((rows, n), dtype=bool)
        for start in range(first, last, chunk_rows):
            sl = slice(start, min(start + chunk_rows, last))
            k = sl.stop - sl.start
            w = get(sl, wbuf[:k])
            lam[sl], iters[sl] = _wf_chunk(
                w, E[sl], F[sl] if f2 else F, C[sl] if c2 else C, X[sl], xw[:k], m[:k]
            )
            if on_chunk is not None:
                on_chunk(sl, X[sl])

    n_threads = batch_threads(K * n) if threads is None else max(1, int(threads))
    n_threads = min(n_threads, -(-K // chunk_rows)) if K else 1
    if n_threads <= 1:
        run(0, K)
    else:
        from concurrent.futures import ThreadPoolExecutor

        cuts = [round(K * i / n_threads) for i in range(n_threads + 1)]
        with ThreadPoolExecutor(n_threads, thread_name_prefix="zan-batch") as pool:
            for f in [pool.submit(run, a, b) for a, b in zip(cuts[:-1], cuts[1:], strict=True)]:
                f.result()
    return X, lam, iters


#: Below this many values (rows × territories) a batch runs in one thread.
_THREADED_MIN_VALUES = 2_000_000


def batch_threads(values: int | None = None) -> int:
    """Threads used by the batch path: ``$ZAN_THREADS``, else the machine's cores (at most 8).

    Small batches (fewer than two million values) run in one thread, where starting
    threads would cost more than it saves.

    Parameters
    ----------
    values : int, optional
        Size of the batch (rows × territories).

    Returns
    -------
    int

    Examples
    --------
    >>> batch_threads(10)
    1
    """
    if values is not None and values < _THREADED_MIN_VALUES:
        return 1
    env = os.environ.get("ZAN_THREADS", "").strip()
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            raise ScenarioError(
                f"ZAN_THREADS={env!r}: not a whole number; set it to the number of threads "
                "(e.g. ZAN_THREADS=2) or unset it"
            ) from None
    return max(1, min(os.cpu_count() or 1, 8))


def _to_units_bounds(
    floors: np.ndarray, caps: np.ndarray, resolution: float
) -> tuple[np.ndarray, np.ndarray]:
    """Floors rounded up and caps rounded down to the resolution, as integer units."""
    lo = np.ceil(floors / resolution - _EPS_UNITS).astype(np.int64)
    finite = np.isfinite(caps)
    hi = np.full(caps.shape, _BIG, dtype=np.int64)
    hi[finite] = np.floor(caps[finite] / resolution + _EPS_UNITS).astype(np.int64)
    return np.maximum(lo, 0), hi


def _total_units(total_ha: float, resolution: float) -> int:
    """The envelope in units of the resolution, rounded down (never above the envelope)."""
    return int(math.floor(total_ha / resolution + 1e-6))


def _round_rows_lr(Q: np.ndarray, total: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Largest remainder on each row of quotas Q (units), bounded by [lo, hi].

    Extra units go to the largest remainders; ties to the lowest column (the rows are
    in territory-code order). Units taken back (only when bounds pushed the floors up)
    come from the smallest remainders, ties from the highest column. The k-th largest
    remainder of each row is found by a row sort; the units are counted in float64
    (exact below 2**53) and returned as int64.
    """
    K, n = Q.shape
    units = Q + _EPS_UNITS
    np.floor(units, out=units)
    rem = np.subtract(Q, units, out=Q)  # Q is not needed any more
    np.clip(rem, 0.0, 1.0, out=rem)
    if (lo > 0).any():
        np.maximum(units, lo, out=units)
    if (hi < _BIG).any():
        np.minimum(units, hi, out=units)
    hi_f = np.broadcast_to(hi.astype(np.float64), (K, n))
    lo_f = np.broadcast_to(lo.astype(np.float64), (K, n))
    k = np.asarray(total, dtype=np.float64) - units.sum(axis=1)
    for _ in range(n + 2):
        up = np.flatnonzero(k > 0)
        down = np.flatnonzero(k < 0)
        if not (up.size or down.size):
            return units.astype(np.int64)
        if up.size:
            sel = slice(None) if up.size == K else up
            u, r = units[sel], rem[sel]
            kk = np.minimum(k[up], n).astype(np.int64)
            R = np.where(u < hi_f[sel], r, -np.inf)
            thr = np.sort(R, axis=1)[np.arange(up.size), n - kk]
            grant = R >= thr[:, None]
            if np.isneginf(thr).any():  # fewer eligible than needed: never the ineligible
                grant &= R > -np.inf
            got = grant.sum(axis=1)
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


def _round_row_sl(q: np.ndarray, total: int, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Sainte-Laguë (Webster) divisor method on one row of quotas, bounded by [lo, hi].

    Start from the quotas rounded half up, then add (or take back) the seats in the
    order of their divisor thresholds ``(s + 0.5) / q`` (or ``(s − 0.5) / q``); the
    k-th threshold is found by bisection, ties go to the lowest column.
    """
    s = np.clip(np.floor(q + 0.5 + _EPS_UNITS).astype(np.int64), lo, hi)
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


def _round_rows(
    Q: np.ndarray, total: np.ndarray, lo: np.ndarray, hi: np.ndarray, method: str
) -> np.ndarray:
    if method == "largest_remainder":
        return _round_rows_lr(Q, total, lo, hi)
    if method == "sainte_lague":
        out = np.empty(Q.shape, dtype=np.int64)
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


def _feasibility(
    weights: np.ndarray,
    total: float,
    floors: np.ndarray,
    caps: np.ndarray,
    *,
    where: str = "",
    codes: Sequence[str] | None = None,
) -> None:
    """Raise InfeasibleError unless Σ floor <= E <= Σ effective cap (numbers stated)."""
    prefix = f"{where}: " if where else ""
    if (floors > caps).any():
        i = int(np.flatnonzero(floors > caps)[0])
        who = codes[i] if codes is not None else f"#{i}"
        raise InfeasibleError(
            f"{prefix}territory {who} has a floor of {floors[i]:.2f} ha above its cap of "
            f"{caps[i]:.2f} ha; lower the floor or raise the cap"
        )
    eff_caps = np.where(weights > 0, caps, floors)
    sf, sc = float(floors.sum()), float(eff_caps.sum())
    tol = 1e-9 * max(abs(total), 1.0)
    if sf > total + tol:
        raise InfeasibleError(
            f"{prefix}infeasible: the floors add up to {sf:,.2f} ha, more than the envelope "
            f"of {total:,.2f} ha (caps add up to {sc:,.2f} ha); lower the floors "
            "(e.g. the garantie communale eligibility) or raise the envelope"
        )
    if sc < total - tol:
        zero = int((weights <= 0).sum())
        extra = f" ({zero} territories of weight 0 can only get their floor)" if zero else ""
        raise InfeasibleError(
            f"{prefix}infeasible: the caps add up to {sc:,.2f} ha{extra}, less than the "
            f"envelope of {total:,.2f} ha (floors add up to {sf:,.2f} ha); raise the caps "
            "or lower the envelope"
        )


# ============================================================================ low level API
@dataclass(frozen=True)
class WaterFill:
    """Result of :func:`water_fill`.

    Attributes
    ----------
    values : numpy.ndarray
        ``clamp(multiplier × w, floor, cap)``, summing to the total.
    multiplier : float
        λ.
    at_floor, at_cap : numpy.ndarray of bool
        Territories raised to their floor / cut to their cap.
    iterations : int
        Newton steps taken.
    """

    values: np.ndarray
    multiplier: float
    at_floor: np.ndarray
    at_cap: np.ndarray
    iterations: int


def _as_bounds(
    floors: Any, caps: Any, n: int, *, index: pd.Index | None = None
) -> tuple[np.ndarray, np.ndarray]:
    def conv(value: Any, default: float, name: str) -> np.ndarray:
        if value is None:
            return np.full(n, default)
        if isinstance(value, pd.Series) and index is not None:
            missing = index.difference(value.index)
            if len(missing):
                raise ScenarioError(
                    f"'{name}' has no value for {len(missing)} territories "
                    f"({', '.join(map(str, missing[:5]))}); give one per territory"
                )
            value = value.reindex(index)
        arr = np.asarray(value, dtype=np.float64)
        arr = np.broadcast_to(arr, (n,)).copy() if arr.ndim == 0 else arr.copy()
        if arr.shape != (n,):
            raise ScenarioError(f"'{name}' has {arr.shape} values for {n} territories")
        if np.isnan(arr).any() or (arr < 0).any():
            raise ScenarioError(f"'{name}' must be >= 0 and not missing")
        return arr

    return conv(floors, 0.0, "floors"), conv(caps, np.inf, "caps")


def water_fill(
    weights: Any,
    total: float,
    *,
    floors: Any = None,
    caps: Any = None,
) -> WaterFill:
    """Share ``total`` in proportion to ``weights`` within floors and caps.

    Finds λ with ``Σ clamp(λ·w_i, floor_i, cap_i) = total`` (DOMAIN.md §5).

    Parameters
    ----------
    weights : array-like
        Non-negative weights (any scale).
    total : float
        Amount to share (ha).
    floors, caps : float or array-like, optional
        Bounds per territory (default 0 and +inf).

    Returns
    -------
    WaterFill

    Raises
    ------
    InfeasibleError
        When ``Σ floor > total`` or ``Σ cap < total``; the message states the numbers.

    Examples
    --------
    >>> r = water_fill([1, 1, 2], 10, floors=[3, 0, 0])
    >>> r.values.round(6).tolist(), r.at_floor.tolist()
    ([3.0, 2.333333, 4.666667], [True, False, False])
    """
    w = np.asarray(weights, dtype=np.float64).ravel()
    if not np.isfinite(w).all() or (w < 0).any():
        raise ScenarioError("weights must be finite and >= 0")
    f, c = _as_bounds(floors, caps, w.size)
    _feasibility(w, float(total), f, c)
    X, lam, it = _water_fill_rows(w[None, :], np.array([float(total)]), f, c)
    lw = lam[0] * w
    return WaterFill(X[0], float(lam[0]), lw < X[0], lw > X[0], int(it[0]))


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
    res = _check_resolution(resolution)
    tot = float(x.sum()) if total is None else float(total)
    f, c = _as_bounds(floors, caps, x.size)
    lo, hi = _to_units_bounds(f, c, res)
    tu = _total_units(tot, res)
    if lo.sum() > tu or hi.sum() < tu:
        raise InfeasibleError(
            f"rounding: the floors ({lo.sum() * res:,.2f} ha) and caps "
            f"({hi.sum() * res:,.2f} ha) cannot meet {tu * res:,.2f} ha at {res:g} ha"
        )
    units = _round_rows(x[None, :] / res, np.array([tu]), lo, hi, method)[0]
    return units * res


def _check_resolution(resolution: float) -> float:
    res = float(resolution)
    if not (math.isfinite(res) and res > 0):
        raise ScenarioError(f"'resolution' must be > 0 (got {resolution!r}); e.g. 0.01 ha")
    return res


# ============================================================================ batch
@dataclass(frozen=True)
class BatchAllocation:
    """Results of :func:`allocate_batch`: one row per scenario (weight vector).

    Attributes
    ----------
    values : numpy.ndarray
        (K, n) exact envelopes (ha), before rounding.
    multipliers : numpy.ndarray
        (K,) λ of each row.
    units : numpy.ndarray or None
        (K, n) rounded envelopes in units of ``resolution`` (None without rounding).
    resolution : float or None
    codes : pandas.Index or None
        Territory codes of the columns.
    iterations : numpy.ndarray
        (K,) Newton steps per row.
    """

    values: np.ndarray
    multipliers: np.ndarray
    units: np.ndarray | None
    resolution: float | None
    codes: pd.Index | None
    iterations: np.ndarray

    @property
    def rounded_ha(self) -> np.ndarray:
        """(K, n) rounded envelopes in ha."""
        if self.units is None:
            raise ScenarioError("no rounding was asked; pass resolution= to allocate_batch")
        return self.units * self.resolution

    def to_frame(self, rounded: bool = True) -> pd.DataFrame:
        """(K, n) DataFrame, one column per territory code.

        Examples
        --------
        >>> b = allocate_batch([[1, 1], [1, 3]], 10, codes=["a", "b"])
        >>> b.to_frame().to_dict("list")
        {'a': [5.0, 2.5], 'b': [5.0, 7.5]}
        """
        data = self.rounded_ha if (rounded and self.units is not None) else self.values
        return pd.DataFrame(data, columns=self.codes)


def allocate_batch(
    weights: Any,
    envelope: float | Any,
    *,
    blend: Any = None,
    floors: Any = None,
    caps: Any = None,
    resolution: float | None = 0.01,
    rounding: str = "largest_remainder",
    codes: Sequence[str] | None = None,
    chunk_rows: int = 32,
    threads: int | None = None,
) -> BatchAllocation:
    """Evaluate thousands of weight vectors (or parameter sets) in one call.

    Each row is the same problem as :func:`water_fill` followed by
    :func:`round_to_resolution`, and gives bit-identical results; the work is done on
    cache-sized chunks of rows.

    Parameters
    ----------
    weights : array-like
        (K, n) weights, one row per scenario; or, with ``blend``, the (n, C) matrix of
        the criteria's shares.
    envelope : float or array-like
        Total to share, one for all rows or (K,) per row.
    blend : array-like, optional
        (K, C) blend weights: row k's weights are ``Σ_c blend[k, c] × weights[:, c]``,
        computed chunk by chunk (the (K, n) matrix is never built in one piece).
    floors, caps : float, (n,) or (K, n) array-like, optional
    resolution : float or None, default 0.01
        Rounding resolution (ha); None skips the rounding.
    rounding : {"largest_remainder", "sainte_lague"}
    codes : sequence of str, optional
        Territory codes of the columns (for :meth:`BatchAllocation.to_frame`).
    chunk_rows : int, default 32
        Rows water-filled together (work buffers of chunk_rows × n values).
    threads : int, optional
        Threads water-filling the rows (default :func:`batch_threads`: the machine's
        cores for large batches); the values do not depend on it.

    Returns
    -------
    BatchAllocation

    Raises
    ------
    InfeasibleError
        When a row's floors and caps cannot meet its envelope.

    Examples
    --------
    >>> shares = np.array([[0.5, 0.2], [0.5, 0.8]])       # 2 territories, 2 criteria
    >>> b = allocate_batch(shares, 100.0, blend=[[1, 0], [0.5, 0.5]], floors=[40, 0])
    >>> b.values.round(2).tolist()
    [[50.0, 50.0], [40.0, 60.0]]
    """
    if blend is not None:
        S = np.ascontiguousarray(np.asarray(weights, dtype=np.float64))
        A = np.ascontiguousarray(np.asarray(blend, dtype=np.float64))
        if S.ndim != 2 or A.ndim != 2 or A.shape[1] != S.shape[1]:
            raise ScenarioError(
                f"with blend, weights must be (n, C) and blend (K, C) (got {S.shape} and {A.shape})"
            )
        if not (np.isfinite(S).all() and np.isfinite(A).all()) or (S < 0).any() or (A < 0).any():
            raise ScenarioError("shares and blend weights must be finite and >= 0")
        K, n = A.shape[0], S.shape[0]
        St = np.ascontiguousarray(S.T)

        def rows(sl: slice, out: np.ndarray) -> np.ndarray:
            return _blend_rows(A[sl], St, out)

        source: Any = rows
    else:
        Wm = np.asarray(weights, dtype=np.float64)
        if Wm.ndim != 2:
            raise ScenarioError(f"weights must be a (K, n) array (got shape {Wm.shape})")
        if not np.isfinite(Wm).all() or (Wm < 0).any():
            raise ScenarioError("weights must be finite and >= 0")
        K, n = Wm.shape
        source = np.ascontiguousarray(Wm)
    E = np.broadcast_to(np.asarray(envelope, dtype=np.float64), (K,)).copy()
    F = np.asarray(0.0 if floors is None else floors, dtype=np.float64)
    C = np.asarray(np.inf if caps is None else caps, dtype=np.float64)
    F = np.broadcast_to(F, (n,)).copy() if F.ndim < 2 else np.broadcast_to(F, (K, n)).copy()
    C = np.broadcast_to(C, (n,)).copy() if C.ndim < 2 else np.broadcast_to(C, (K, n)).copy()
    if np.isnan(F).any() or np.isnan(C).any() or (F < 0).any():
        raise ScenarioError("floors must be >= 0 and floors/caps not missing")
    # feasibility, all rows at once (effective cap of a zero weight is its floor)
    sf = F.sum(axis=-1) * np.ones(K)
    if (F > C).any():
        raise InfeasibleError(
            "some floors are above their caps; lower the floors or raise the caps"
        )
    if (sf > E + 1e-9 * np.maximum(E, 1)).any():
        k = int(np.flatnonzero(sf > E + 1e-9 * np.maximum(E, 1))[0])
        raise InfeasibleError(
            f"row {k}: infeasible: the floors add up to {sf[k]:,.2f} ha, more than the "
            f"envelope of {E[k]:,.2f} ha; lower the floors or raise the envelope"
        )
    sc = C.sum(axis=-1) * np.ones(K)
    if (sc < E - 1e-9 * np.maximum(E, 1)).any():
        k = int(np.flatnonzero(sc < E - 1e-9 * np.maximum(E, 1))[0])
        raise InfeasibleError(
            f"row {k}: infeasible: the caps add up to {sc[k]:,.2f} ha, less than the "
            f"envelope of {E[k]:,.2f} ha; raise the caps or lower the envelope"
        )
    units = None
    res = None
    on_chunk = None
    if resolution is not None:
        res = _check_resolution(resolution)
        if rounding not in ROUNDING_METHODS:
            raise ScenarioError(
                f"unknown rounding method {rounding!r}; valid methods: "
                f"{', '.join(ROUNDING_METHODS)}"
            )
        lo, hi = _to_units_bounds(F, C, res)
        tot = np.floor(E / res + 1e-6).astype(np.int64)
        units = np.empty((K, n), dtype=np.int64)
        feasible = (lo.sum(axis=-1) <= tot) & (np.minimum(hi, _BIG).sum(axis=-1) >= tot)
        if not np.all(feasible):
            k = int(np.flatnonzero(~np.broadcast_to(feasible, (K,)))[0])
            raise InfeasibleError(
                f"row {k}: the floors and caps cannot meet {tot[k] * res:,.2f} ha at the "
                f"resolution {res:g} ha; lower the floors or raise the caps"
            )

        def on_chunk(sl: slice, values: np.ndarray) -> None:
            units[sl] = _round_rows(
                values / res,
                tot[sl],
                lo[sl] if lo.ndim == 2 else lo,
                hi[sl] if hi.ndim == 2 else hi,
                rounding,
            )

    X, lam, iters = _water_fill_rows(
        source,
        E,
        F,
        C,
        n_rows=K,
        n_cols=n,
        chunk_rows=chunk_rows,
        on_chunk=on_chunk,
        threads=threads,
    )
    bad = np.abs(X.sum(axis=1) - E) > 1e-6 * np.maximum(E, 1.0)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise InfeasibleError(
            f"row {k}: infeasible: the caps (of territories with a weight) add up to "
            f"{X[k].sum():,.2f} ha, less than the envelope of {E[k]:,.2f} ha; raise the caps"
        )
    return BatchAllocation(
        X, lam, units, res, None if codes is None else pd.Index(list(codes)), iters
    )


# ============================================================================ table layer
@dataclass(frozen=True)
class _Level:
    """One level of an allocation: its table (indexed by code, sorted) and parents."""

    name: str
    table: pd.DataFrame
    parent: np.ndarray | None  # parent code per row; None for the top level


def _criteria_raw(
    data: pd.DataFrame, criteria: Sequence[Criterion], *, strict_codes: bool
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Raw values (n, C) of each criterion (rule × modulation) and the rules' kinds."""
    cols = [criterion_values(c, data, strict_codes=strict_codes) for c in criteria]
    return np.column_stack(cols), tuple(get_rule(c.rule).kind for c in criteria)


def _group_shares(
    raw: np.ndarray, g: np.ndarray, n_groups: int, alpha: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Normalise each criterion within each group; per-group blend weights.

    A criterion that gives nothing to any member of a group leaves its weight to the
    other criteria of that group; when none gives anything, members share equally.
    Returns the shares (n, C), the blend weights (G, C) and the groups shared equally.
    """
    n, n_crit = raw.shape
    sums = np.zeros((n_groups, n_crit))
    for c in range(n_crit):
        sums[:, c] = np.bincount(g, weights=raw[:, c], minlength=n_groups)
    positive = sums > 0
    shares = np.zeros_like(raw)
    for c in range(n_crit):
        den = sums[g, c]
        shares[:, c] = np.divide(raw[:, c], den, out=np.zeros(n), where=den > 0)
    A = np.where(positive, alpha[None, :], 0.0)
    tot = A.sum(axis=1)
    equal = np.flatnonzero(~(tot > 0))
    if equal.size:
        size = np.bincount(g, minlength=n_groups).astype(np.float64)
        rows = np.isin(g, equal)
        shares[rows, :] = (1.0 / size[g[rows]])[:, None]
        A[equal] = alpha
        tot = A.sum(axis=1)
    A = A / tot[:, None]
    if n_groups == 1 and not equal.size and positive.all():
        A = alpha[None, :].copy()  # untouched: the batch path gives the same floats
    return shares, A, equal.tolist()


def _pad(values: np.ndarray, g: np.ndarray, pos: np.ndarray, shape: tuple[int, int], fill):
    out = np.full(shape, fill, dtype=values.dtype)
    out[g, pos] = values
    return out


def _run_levels(
    levels: Sequence[_Level],
    *,
    criteria: Sequence[Criterion],
    alpha: np.ndarray,
    total_ha: float,
    lo_units: Mapping[str, np.ndarray],
    hi_units: Mapping[str, np.ndarray],
    garantie: Mapping[str, np.ndarray],
    resolution: float,
    rounding: str,
    scale_targets: bool,
) -> tuple[dict[str, pd.DataFrame], dict[str, pd.Series], int, float, list[str]]:
    """Allocate level by level; return tables, multipliers, units used, unallocated, notes."""
    res = resolution
    total_u = _total_units(total_ha, res)
    names = [c.key for c in criteria]
    tables: dict[str, pd.DataFrame] = {}
    multipliers: dict[str, pd.Series] = {}
    notes: list[str] = []
    parent_units: pd.Series | None = None
    unallocated = 0.0
    for depth, lev in enumerate(levels):
        T = lev.table
        n = len(T)
        codes = T.index.to_numpy(dtype=object).astype(str)
        if lev.parent is None:
            group_codes = np.array(["region"], dtype=object)
            g = np.zeros(n, dtype=np.int64)
        else:
            g, group_codes = pd.factorize(pd.Index(lev.parent.astype(str)), sort=True)
            group_codes = np.asarray(group_codes, dtype=object)
        G = len(group_codes)
        raw, kinds = _criteria_raw(T, criteria, strict_codes=len(levels) == 1)
        if scale_targets:
            shares, A, equal = _group_shares(raw, g, G, alpha)
            for gi in equal:
                notes.append(
                    f"{lev.name} : aucun critère ne départage les membres de {group_codes[gi]}, "
                    "partage égal"
                )
        else:
            shares, A = raw, alpha[None, :].repeat(G, axis=0)
        # blended weight, criterion by criterion (same floats as _blend_rows for 1 group)
        w = A[g, 0] * shares[:, 0]
        for c in range(1, shares.shape[1]):
            w = w + A[g, c] * shares[:, c]
        lo, hi = lo_units[lev.name], hi_units[lev.name]
        # group totals in units
        if depth == 0:
            if not scale_targets:
                target = np.minimum(np.maximum(w, lo * res), np.where(hi >= _BIG, np.inf, hi * res))
                want = int(math.floor(float(target.sum()) / res + 1e-6))
                if want < total_u:
                    unallocated = (total_u - want) * res
                    notes.append(
                        f"les taux donnés n'utilisent que {fr_text(want * res)} ha ; "
                        f"{fr_text(unallocated)} ha restent au niveau régional"
                    )
                    total_u = want
                elif want > total_u:
                    notes.append(
                        f"les taux donnés demandent {fr_text(want * res)} ha, plus que l'enveloppe : "
                        "ils sont réduits en proportion"
                    )
            group_u = np.array([total_u], dtype=np.int64)
        else:
            assert parent_units is not None
            group_u = parent_units.reindex(group_codes).to_numpy(dtype=np.int64)
        # feasibility per group, in units
        eff_hi = np.where(w > 0, hi, lo)
        sum_lo = np.bincount(g, weights=lo.astype(np.float64), minlength=G)
        sum_hi = np.bincount(g, weights=np.minimum(eff_hi, _BIG).astype(np.float64), minlength=G)
        for gi in np.flatnonzero((sum_lo > group_u) | (sum_hi < group_u)):
            where = "region" if depth == 0 else f"{levels[depth - 1].name} {group_codes[gi]}"
            cap_txt = "∞" if sum_hi[gi] >= _BIG else f"{sum_hi[gi] * res:,.2f} ha"
            if sum_lo[gi] > group_u[gi]:
                label = LEVEL_LABELS.get(lev.name, lev.name)
                raise InfeasibleError(
                    f"{where}: infeasible: the floors of its {label} "
                    f"territories add up to {sum_lo[gi] * res:,.2f} ha, more than the envelope "
                    f"of {group_u[gi] * res:,.2f} ha (caps: {cap_txt}); lower the floors "
                    "(e.g. restrict the garantie communale eligibility) or raise the envelope"
                )
            raise InfeasibleError(
                f"{where}: infeasible: the caps add up to {cap_txt}, less than the envelope of "
                f"{group_u[gi] * res:,.2f} ha (floors: {sum_lo[gi] * res:,.2f} ha; territories "
                "of weight 0 only get their floor); raise the caps or lower the envelope"
            )
        # pad groups into rows
        order = np.argsort(g, kind="stable")
        counts = np.bincount(g, minlength=G)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        pos = np.empty(n, dtype=np.int64)
        pos[order] = np.arange(n) - starts[g[order]]
        shape = (G, int(counts.max()) if n else 0)
        floors_ha = lo * res
        caps_ha = np.where(hi >= _BIG, np.inf, hi * res)
        Wp = _pad(w, g, pos, shape, 0.0)
        Fp = _pad(floors_ha, g, pos, shape, 0.0)
        Cp = _pad(caps_ha, g, pos, shape, 0.0)
        Xp, lam, _ = _water_fill_rows(Wp, group_u * res, Fp, Cp)
        Up = _round_rows(
            Xp / res, group_u, _pad(lo, g, pos, shape, 0), _pad(hi, g, pos, shape, 0), rounding
        )
        x = Xp[g, pos]
        units = Up[g, pos]
        lam_i = lam[g]
        lw = lam_i * w
        bound = np.where(lw < x, "floor", np.where(lw > x, "cap", "none"))
        env = units * res
        ref = (
            pd.to_numeric(T["reference_ha"], errors="coerce").to_numpy(np.float64, na_value=np.nan)
            if "reference_ha" in T.columns
            else np.full(n, np.nan)
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            red = np.where(ref > 0, 100.0 * (1.0 - env / ref), np.nan)
        nom = T["nom"].astype(str).to_numpy() if "nom" in T.columns else codes
        out = pd.DataFrame(
            {
                "code": codes,
                "nom": nom,
            },
            index=pd.Index(codes, name="code"),
        )
        if lev.parent is not None:
            out["parent"] = lev.parent.astype(str)
        out["reference_ha"] = ref
        out["envelope_ha"] = env
        out["reduction_pct"] = red
        out["floor_ha"] = floors_ha
        out["cap_ha"] = caps_ha
        out["bound"] = bound
        out["garantie_ha"] = garantie[lev.name]
        for c, key in enumerate(names):
            out[f"{key}_ha"] = lam_i * A[g, c] * shares[:, c]
        out["adjustment_ha"] = x - lw
        out["rounding_ha"] = env - x
        out["exact_ha"] = x
        out["weight"] = w
        out["multiplier"] = lam_i
        tables[lev.name] = out
        multipliers[lev.name] = pd.Series(lam, index=pd.Index(group_codes.astype(str)))
        parent_units = pd.Series(units, index=pd.Index(codes))
    return tables, multipliers, total_u, unallocated, notes


def _bounds_from_final(
    final_lo: np.ndarray,
    final_hi: np.ndarray,
    final_garantie: np.ndarray,
    ancestors: Mapping[str, np.ndarray],
    level_codes: Mapping[str, np.ndarray],
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Floors, caps (units) and garantie of each level: sums over its final-level members."""
    lo_u, hi_u, gar = {}, {}, {}
    for level, anc in ancestors.items():
        idx = pd.Index(level_codes[level]).get_indexer(anc)
        m = len(level_codes[level])
        lo_u[level] = np.bincount(idx, weights=final_lo, minlength=m).astype(np.int64)
        hi = np.bincount(idx, weights=np.minimum(final_hi, _BIG).astype(np.float64), minlength=m)
        hi_u[level] = np.where(hi >= _BIG, _BIG, hi).astype(np.int64)
        gar[level] = np.bincount(idx, weights=final_garantie, minlength=m)
    return lo_u, hi_u, gar


def _final_bounds(
    table: pd.DataFrame,
    floors: Any,
    caps: Any,
    garantie: Any,
    resolution: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Floors (max of floors and garantie), caps, garantie of the final level; units."""
    n = len(table)
    f, c = _as_bounds(floors, caps, n, index=table.index)
    gar = _as_bounds(garantie, None, n, index=table.index)[0]
    floor = np.maximum(f, gar)
    # the garantie communale is the law: it overrides a lower cap
    cap = np.maximum(c, gar)
    bad = f > c
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InfeasibleError(
            f"territory {table.index[i]} has a floor of {f[i]:.2f} ha above its cap of "
            f"{c[i]:.2f} ha; lower the floor or raise the cap"
        )
    lo, hi = _to_units_bounds(floor, cap, resolution)
    return floor, cap, gar, lo, hi


def _align_to(values: Any, index: pd.Index) -> Any:
    """Array-like bounds given in the input's row order → Series by code."""
    if values is None or isinstance(values, pd.Series) or np.ndim(values) == 0:
        if isinstance(values, pd.Series):
            values = values.copy()
            values.index = values.index.astype(str)
        return values
    arr = np.asarray(values, dtype=np.float64)
    if arr.shape != (len(index),):
        raise ScenarioError(f"bounds have {arr.shape} values for {len(index)} territories")
    return pd.Series(arr, index=index)


def _envelope_total(envelope: float | Envelope) -> tuple[float, Envelope | None]:
    if isinstance(envelope, Envelope):
        return float(envelope.distributed_ha), envelope
    try:
        total = float(envelope)
    except (TypeError, ValueError):
        raise ScenarioError(
            f"'envelope' must be a number of hectares or an Envelope (got {envelope!r})"
        ) from None
    if not (math.isfinite(total) and total >= 0):
        raise ScenarioError(f"the envelope must be >= 0 ha (got {envelope!r})")
    return total, None


def _sorted_table(data: pd.DataFrame, what: str) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise ScenarioError(f"{what} must be a pandas DataFrame indexed by territory code")
    idx = pd.Index(data.index.astype(str))
    if idx.has_duplicates:
        dup = idx[idx.duplicated()][0]
        raise ScenarioError(f"{what}: territory code {dup!r} appears twice; keep one row per code")
    if len(idx) == 0:
        raise ScenarioError(f"{what} has no territory")
    out = data.copy()
    out.index = idx
    return out.sort_index()


def allocate(
    data: pd.DataFrame,
    envelope: float | Envelope,
    *,
    criteria: Sequence[Criterion],
    level: str = "territoire",
    floors: Any = None,
    caps: Any = None,
    garantie: Any = None,
    resolution: float = 0.01,
    rounding: str = "largest_remainder",
    normalise: bool = False,
    scale_targets: bool = True,
    name: str | None = None,
    garantie_pooling: str = "commune",
) -> Allocation:
    """Share an envelope among the territories of one level.

    Parameters
    ----------
    data : pandas.DataFrame
        Territory table indexed by code: ``nom`` (optional), ``reference_ha``
        (reference consumption, needed by rules that read it) and the columns the
        criteria read.
    envelope : float or Envelope
        Hectares to share, or an :class:`~zan.envelope.Envelope` (its
        ``distributed_ha`` is shared, its terms are reported).
    criteria : sequence of Criterion
        Rules with their weights (see :mod:`zan.rules`).
    level : str, default "territoire"
        Name of the level (``"epci"``, ``"scot"``, ``"commune"``...), for labels.
    floors, caps : float, array-like or Series indexed by code, optional
        Bounds per territory in ha (floors rounded up, caps down to the resolution).
    garantie : float, array-like or Series, optional
        Garantie communale floor per territory (see :func:`garantie_floors`); the floor
        is the larger of ``floors`` and ``garantie``, and it overrides a lower cap.
        For territories above the communes, the sum of their eligible communes'.
    resolution : float, default 0.01
        Rounding resolution (ha).
    rounding : {"largest_remainder", "sainte_lague"}
    normalise : bool, default False
        Rescale criteria weights to sum to 1; otherwise they must.
    scale_targets : bool, default True
        With rate rules only: False keeps the targets as they are and leaves what they
        do not use at regional level.
    name : str, optional
        Name of the allocation (scenario name) for reports.
    garantie_pooling : {"commune", "epci"}, default "commune"
        The garantie communale per commune (loi n° 2023-630, art. 4) or pooled at
        intercommunal level on the communes' request (:mod:`zan.garantie`). One level
        above the communes gets the same figures either way (``explain`` says which
        mode applies); a commune-level allocation cannot pool (use
        :func:`allocate_cascade` through the EPCI).

    Returns
    -------
    Allocation
        In the order of ``data``'s rows.

    Raises
    ------
    ScenarioError
        Bad criteria or parameters.
    InfeasibleError
        Floors above the envelope or caps below it; the message gives the sums.

    Examples
    --------
    >>> from zan.rules import Criterion
    >>> t = pd.DataFrame({"nom": ["A", "B", "C"], "reference_ha": [10.0, 20.0, 30.0],
    ...                   "population": [100, 100, 200]}, index=["a", "b", "c"])
    >>> alloc = allocate(t, 30.0, criteria=[Criterion("indicator", 1.0, {"column": "population"})],
    ...                  floors=9.0)
    >>> alloc.table["envelope_ha"].tolist()
    [9.0, 9.0, 12.0]
    >>> alloc.table["bound"].tolist()
    ['floor', 'floor', 'none']
    """
    total, env = _envelope_total(envelope)
    res = _check_resolution(resolution)
    if rounding not in ROUNDING_METHODS:
        raise ScenarioError(
            f"unknown rounding method {rounding!r}; valid methods: {', '.join(ROUNDING_METHODS)}"
        )
    if garantie is not None:
        garantie_levels((level,), garantie_pooling)
    else:
        garantie_levels(("region",), garantie_pooling)  # the mode's name only
    alpha = criteria_weights(criteria, normalise=normalise)
    order = pd.Index(data.index.astype(str))
    floors, caps, garantie = (_align_to(v, order) for v in (floors, caps, garantie))
    table = _sorted_table(data, "the territory table")
    floor, cap, gar, lo, hi = _final_bounds(table, floors, caps, garantie, res)
    tables, mult, total_u, unalloc, notes = _run_levels(
        [_Level(level, table, None)],
        criteria=criteria,
        alpha=alpha,
        total_ha=total,
        lo_units={level: lo},
        hi_units={level: hi},
        garantie={level: gar},
        resolution=res,
        rounding=rounding,
        scale_targets=scale_targets,
    )
    tables[level] = tables[level].reindex(order)
    return _allocation(
        (tables, mult, total_u, unalloc, notes),
        envelope=env,
        total_ha=total,
        resolution=res,
        rounding=rounding,
        criteria=criteria,
        alpha=alpha,
        scale_targets=scale_targets,
        name=name,
        garantie_pooling=garantie_pooling,
    )


def _allocation(
    run: tuple,
    *,
    envelope: Any,
    total_ha: float,
    resolution: float,
    rounding: str,
    criteria: Sequence[Criterion],
    alpha: np.ndarray,
    scale_targets: bool,
    name: str | None,
    garantie_pooling: str = "commune",
) -> Allocation:
    """The :class:`Allocation` of a run of :func:`_run_levels` and the inputs it used."""
    tables, mult, total_u, unalloc, notes = run
    return Allocation(
        tables=tables,
        multipliers=mult,
        envelope=envelope,
        total_ha=total_ha,
        total_units=total_u,
        resolution=resolution,
        rounding=rounding,
        criteria=tuple(criteria),
        weights=tuple(float(a) for a in alpha),
        scale_targets=scale_targets,
        unallocated_ha=unalloc,
        notes=tuple(notes),
        name=name,
        garantie_pooling=garantie_pooling,
    )


def _aggregate(data: pd.DataFrame, level: str, level_columns: Sequence[str]) -> pd.DataFrame:
    """Aggregate a commune table to a level: numbers and yes/no summed, classes by mode.

    Names come from ``<level>_nom`` (or ``nom`` for communes); the class of a territory
    is the value most frequent among its communes (ties: the first in sort order).
    """
    if level == "commune":
        out = data.copy()
        return out.drop(columns=[c for c in level_columns if c in out.columns])
    key = data[level].astype(str).to_numpy()
    skip = set(level_columns) | {f"{lv}_nom" for lv in level_columns} | {"nom"}
    cols = [c for c in data.columns if c not in skip]
    numeric = [c for c in cols if pd.api.types.is_numeric_dtype(data[c]) or data[c].dtype == bool]
    other = [c for c in cols if c not in numeric]
    num = data[numeric].astype(np.float64).groupby(key, sort=True).sum(min_count=1)
    out = num
    for c in other:
        vals = data[c].astype(str)
        counts = (
            pd.DataFrame({"k": key, "v": vals.to_numpy()})
            .value_counts()
            .reset_index(name="n")
            .sort_values(["k", "n", "v"], ascending=[True, False, True])
            .drop_duplicates("k")
            .set_index("k")["v"]
        )
        out[c] = counts.reindex(out.index)
    name_col = f"{level}_nom"
    if name_col in data.columns:
        out.insert(0, "nom", data[name_col].astype(str).groupby(key, sort=True).first())
    else:
        out.insert(0, "nom", out.index.astype(str))
    out.index = pd.Index(out.index.astype(str), name="code")
    return out


def allocate_cascade(
    data: pd.DataFrame,
    envelope: float | Envelope,
    *,
    criteria: Sequence[Criterion],
    levels: Sequence[str] = ("scot", "epci", "commune"),
    floors: Any = None,
    caps: Any = None,
    garantie: Any = None,
    resolution: float = 0.01,
    rounding: str = "largest_remainder",
    normalise: bool = False,
    name: str | None = None,
    garantie_pooling: str = "commune",
) -> Allocation:
    """Cascade: region → first level → ... → last level, each splitting its parent's share.

    At each level the criteria are evaluated on the aggregated table and normalised
    within each group of siblings, so a SCoT's envelope is split among its EPCI with the
    same weights as the region's among SCoT. Floors and caps are given at the last level
    and summed up the tree, so every level is feasible; each level is rounded to the
    resolution and its members' units add up exactly to their parent's.

    Parameters
    ----------
    data : pandas.DataFrame
        Commune table indexed by commune code: one column per level above the communes
        holding the territory code (e.g. ``scot``, ``epci``), optional ``<level>_nom``
        names, ``nom``, ``reference_ha`` and the criteria's columns. Numbers are summed
        up the levels; text columns take their most frequent value.
    envelope : float or Envelope
    criteria : sequence of Criterion
    levels : sequence of str, default ("scot", "epci", "commune")
        From the top down; each must nest in the previous one.
    floors, caps, garantie : optional
        Bounds per territory of the *last* level (scalar, array or Series by code).
    resolution, rounding, normalise, name :
        As in :func:`allocate`.
    garantie_pooling : {"commune", "epci"}, default "commune"
        ``garantie`` is the guarantee of each last-level territory (1 ha per eligible
        commune). Per commune (loi n° 2023-630, art. 4, the default) it floors every
        level, summed up the tree. Pooled at intercommunal level (``"epci"``, on the
        communes' request) it floors the EPCI and the levels above, and the levels
        below the EPCI carry no garantie floor (their other floors stay); the cascade
        must then include ``"epci"`` (:func:`zan.garantie.garantie_levels`).

    Returns
    -------
    Allocation
        With one table per level (:meth:`Allocation.level_table`); ``table`` is the last.

    Raises
    ------
    ScenarioError
        Missing level column, communes without a territory, levels that do not nest.
    InfeasibleError
        Floors or caps that cannot meet the envelope.

    Examples
    --------
    >>> from zan.rules import Criterion
    >>> communes = pd.DataFrame(
    ...     {"epci": ["E1", "E1", "E2"], "population": [100, 300, 400]},
    ...     index=["01001", "01002", "01003"])
    >>> a = allocate_cascade(communes, 10.0, criteria=[Criterion("indicator", 1.0,
    ...                      {"column": "population"})], levels=("epci", "commune"))
    >>> a.level_table("epci")["envelope_ha"].tolist(), a.table["envelope_ha"].tolist()
    ([5.0, 5.0], [1.25, 3.75, 5.0])
    """
    total, env = _envelope_total(envelope)
    res = _check_resolution(resolution)
    if rounding not in ROUNDING_METHODS:
        raise ScenarioError(
            f"unknown rounding method {rounding!r}; valid methods: {', '.join(ROUNDING_METHODS)}"
        )
    levels = tuple(levels)
    if not levels or len(set(levels)) != len(levels):
        raise ScenarioError(f"'levels' must list distinct levels from the top down (got {levels})")
    if "commune" in levels[:-1]:
        raise ScenarioError("'commune' can only be the last level of a cascade")
    alpha = criteria_weights(criteria, normalise=normalise)
    communes = _sorted_table(data, "the commune table")
    upper = [lv for lv in levels if lv != "commune"]
    for lv in upper:
        if lv not in communes.columns:
            raise ScenarioError(
                f"the commune table has no column {lv!r} for the level asked "
                f"(columns: {', '.join(map(str, communes.columns))}); add it or change 'levels'"
            )
        col = communes[lv]
        missing = col.isna() | (col.astype(str).str.strip() == "")
        if missing.any():
            raise ScenarioError(
                f"{int(missing.sum())} communes have no {lv!r} code "
                f"({', '.join(communes.index[missing.to_numpy()][:5])}); fill the column or "
                f"remove {lv!r} from the cascade"
            )
    codes_of = {
        lv: (
            communes.index.to_numpy(dtype=object)
            if lv == "commune"
            else communes[lv].astype(str).to_numpy()
        )
        for lv in levels
    }
    # nesting: each territory of a level lies in exactly one territory of the level above
    for above, below in zip(levels[:-1], levels[1:], strict=False):
        pairs = pd.DataFrame({"b": codes_of[below], "a": codes_of[above]}).drop_duplicates()
        split = pairs["b"][pairs["b"].duplicated()]
        if len(split):
            b = split.iloc[0]
            parents = sorted(pairs.loc[pairs["b"] == b, "a"])
            raise ScenarioError(
                f"levels do not nest: {below} {b} lies in several {above} ({', '.join(parents)}); "
                f"fix the membership or drop {above!r} from the cascade"
            )
    final = levels[-1]
    final_table = _aggregate(communes, final, upper)
    for what, v in (("floors", floors), ("caps", caps), ("garantie", garantie)):
        if v is not None and not isinstance(v, pd.Series) and np.ndim(v) > 0:
            raise ScenarioError(
                f"'{what}' of a cascade must be a number or a Series indexed by the codes of "
                f"the {final!r} level"
            )
    floors, caps, garantie = (_align_to(v, final_table.index) for v in (floors, caps, garantie))
    floor, cap, gar, lo, hi = _final_bounds(final_table, floors, caps, garantie, res)
    final_codes = final_table.index.to_numpy(dtype=object).astype(str)
    # ancestors of each final-level territory
    first_commune = pd.DataFrame({lv: codes_of[lv] for lv in levels}).drop_duplicates(final)
    first_commune = first_commune.set_index(final).reindex(final_codes)
    lv_objs, level_codes, ancestors = [], {}, {}
    for depth, lv in enumerate(levels):
        table = final_table if lv == final else _aggregate(communes, lv, upper)
        level_codes[lv] = table.index.to_numpy(dtype=object).astype(str)
        ancestors[lv] = (
            final_codes if lv == final else first_commune[lv].to_numpy(dtype=object).astype(str)
        )
        parent = None
        if depth:
            link = pd.DataFrame(
                {"b": codes_of[lv], "a": codes_of[levels[depth - 1]]}
            ).drop_duplicates("b")
            parent = (
                link.set_index("b")["a"].reindex(level_codes[lv]).to_numpy(dtype=object).astype(str)
            )
        lv_objs.append(_Level(lv, table, parent))
    lo_u, hi_u, gar_l = _bounds_from_final(lo, hi, gar, ancestors, level_codes)
    floored = garantie_levels(levels, garantie_pooling) if garantie is not None else levels
    if len(floored) < len(levels):  # pooled: no garantie floor below the pooling level
        lo_plain = _final_bounds(final_table, floors, caps, None, res)[3]
        lo_p, _, _ = _bounds_from_final(lo_plain, hi, np.zeros_like(gar), ancestors, level_codes)
        for lv in levels[len(floored) :]:
            lo_u[lv] = lo_p[lv]
            gar_l[lv] = np.zeros(len(level_codes[lv]))
    tables, mult, total_u, unalloc, notes = _run_levels(
        lv_objs,
        criteria=criteria,
        alpha=alpha,
        total_ha=total,
        lo_units=lo_u,
        hi_units=hi_u,
        garantie=gar_l,
        resolution=res,
        rounding=rounding,
        scale_targets=True,
    )
    return _allocation(
        (tables, mult, total_u, unalloc, notes),
        envelope=env,
        total_ha=total,
        resolution=res,
        rounding=rounding,
        criteria=criteria,
        alpha=alpha,
        scale_targets=True,
        name=name,
        garantie_pooling=garantie_pooling,
    )


# ============================================================================ result
_FR_COLUMNS = {
    "code": "Code",
    "nom": "Nom",
    "parent": "Territoire parent",
    "reference_ha": "Consommation de référence (ha)",
    "envelope_ha": "Enveloppe (ha)",
    "reduction_pct": "Réduction (%)",
    "floor_ha": "Plancher (ha)",
    "cap_ha": "Plafond (ha)",
    "bound": "Borne",
    "garantie_ha": "Garantie communale (ha)",
}
_FR_BOUND = {"none": "—", "floor": "plancher", "cap": "plafond"}


def _criterion_label(crit: Criterion) -> str:
    label = get_rule(crit.rule).label
    detail = crit.params.get("column") if isinstance(crit.params, Mapping) else None
    if crit.rule == "growth":
        start = crit.params.get("start", "population_2015")
        detail = f"{start} → {crit.params.get('end', 'population')}"
    return f"{label} ({detail})" if detail else label


def _atomic_write(path: str | os.PathLike, write: Callable[[Path], None]) -> Path:
    """Write through a temporary file in the same folder, then rename it into place."""
    from ._write import atomic_path

    with atomic_path(path) as tmp:
        write(tmp)
    return Path(path)


@dataclass(frozen=True, eq=False, repr=False)
class Allocation:
    """An allocated envelope: one table per level, the regional totals, the explanation.

    Built by :func:`allocate`, :func:`allocate_cascade` or
    :func:`zan.scenario.run_scenario`. Each table is indexed by territory code with the
    columns ``code``, ``nom``, (``parent`` in a cascade), ``reference_ha``,
    ``envelope_ha`` (rounded), ``reduction_pct``, ``floor_ha``, ``cap_ha``, ``bound``
    (``none``/``floor``/``cap``), ``garantie_ha``, one ``<criterion>_ha`` per criterion
    (its contribution before bounds and rounding), ``adjustment_ha`` (raise to the
    floor / cut to the cap), ``rounding_ha``, ``exact_ha`` (before rounding), ``weight``
    (blended share) and ``multiplier`` (λ of the group). For each territory
    ``Σ <criterion>_ha + adjustment_ha + rounding_ha = envelope_ha``.

    Attributes
    ----------
    envelope : Envelope or None
        The regional envelope, when one was given.
    total_ha : float
        Hectares to distribute (exact).
    total_units : int
        What was distributed, in units of ``resolution``.
    resolution : float
    rounding : str
    criteria : tuple of Criterion
    weights : tuple of float
        Blend weights actually used (normalised).
    scale_targets : bool
    unallocated_ha : float
        Hectares the rates left at regional level (``scale_targets=False``).
    notes : tuple of str
        Remarks in French (equal splits, unused hectares...).
    name : str or None
    scenario_hash : str or None
        Hash of the scenario that produced it (:attr:`zan.scenario.Scenario.hash`).
    territories : Territories or None
        The territories it was computed on, when known (default source of geometries
        for :meth:`to_gpkg` and :meth:`to_parquet`).
    garantie_pooling : str
        ``"commune"`` (the garantie communale per commune, the default) or ``"epci"``
        (pooled at intercommunal level); see :mod:`zan.garantie`.
    warnings : tuple of str
        Warnings in French on the assumptions of the run (e.g. every commune taken
        as eligible to the garantie communale for want of a list); written into
        ``sources.json`` and the reports, printed by the CLI.
    unassigned : pandas.DataFrame or None
        Communes outside every territory of an added level (receiving territories,
        :mod:`zan.scenario_levels`), left out of the allocation and listed here.
    prepared : zan.scenario.PreparedScenario or None
        The prepared scenario it was run from (:func:`zan.scenario.run_scenario`), with
        the files it read (territories, aligned consumption), so that reports and maps
        do not read them again; None otherwise.
    """

    tables: Mapping[str, pd.DataFrame]
    multipliers: Mapping[str, pd.Series]
    envelope: Envelope | None
    total_ha: float
    total_units: int
    resolution: float
    rounding: str
    criteria: tuple[Criterion, ...]
    weights: tuple[float, ...]
    scale_targets: bool = True
    unallocated_ha: float = 0.0
    notes: tuple[str, ...] = ()
    name: str | None = None
    scenario_hash: str | None = field(default=None)
    territories: Any = field(default=None)
    garantie_pooling: str = "commune"
    warnings: tuple[str, ...] = ()
    unassigned: Any = field(default=None)
    prepared: Any = field(default=None)

    # ------------------------------------------------------------------ access
    @property
    def levels(self) -> tuple[str, ...]:
        """Levels from the top down (one for a single-level allocation)."""
        return tuple(self.tables)

    @property
    def level(self) -> str:
        """The last (finest) level."""
        return self.levels[-1]

    @property
    def table(self) -> pd.DataFrame:
        """The table of the last level (a copy)."""
        return self.tables[self.level].copy()

    def level_table(self, level: str) -> pd.DataFrame:
        """The table of one level (a copy).

        Raises
        ------
        ScenarioError
            Unknown level; the message lists the allocation's levels.

        Examples
        --------
        >>> from zan.rules import Criterion
        >>> c = pd.DataFrame({"epci": ["E1", "E1"], "reference_ha": [1.0, 3.0]},
        ...                  index=["01001", "01002"])
        >>> a = allocate_cascade(c, 2.0, criteria=[Criterion("uniform")],
        ...                      levels=("epci", "commune"))
        >>> a.level_table("epci")["envelope_ha"].tolist()
        [2.0]
        """
        if level not in self.tables:
            raise ScenarioError(
                f"no level {level!r} in this allocation; levels: {', '.join(self.levels)}"
            )
        return self.tables[level].copy()

    def bound_codes(self, bound: Literal["floor", "cap"], level: str | None = None) -> list[str]:
        """Codes of the territories raised to their floor (or cut to their cap).

        Parameters
        ----------
        bound : {"floor", "cap"}
        level : str, optional
            Default the last level.

        Examples
        --------
        >>> from zan.rules import Criterion
        >>> t = pd.DataFrame({"reference_ha": [1.0, 9.0]}, index=["a", "b"])
        >>> allocate(t, 10.0, criteria=[Criterion("uniform")], floors=2.0).bound_codes("floor")
        ['a']
        """
        if bound not in ("floor", "cap"):
            raise ScenarioError(f"bound must be 'floor' or 'cap' (got {bound!r})")
        t = self.tables[level or self.level] if level is None or level in self.tables else None
        if t is None:
            raise ScenarioError(
                f"no level {level!r} in this allocation; levels: {', '.join(self.levels)}"
            )
        return t.index[t["bound"].to_numpy() == bound].tolist()

    @property
    def criterion_columns(self) -> list[str]:
        """Names of the ``<criterion>_ha`` columns."""
        return [f"{c.key}_ha" for c in self.criteria]

    @property
    def distributed_ha(self) -> float:
        """Hectares distributed (rounded): the sum of the top level's envelopes."""
        return self.total_units * self.resolution

    @property
    def totals(self) -> dict[str, float]:
        """Regional totals (ha): envelope, PENE, reserve, distributed, remainders.

        Examples
        --------
        >>> from zan.rules import Criterion
        >>> t = pd.DataFrame({"reference_ha": [1.0, 2.0]}, index=["a", "b"])
        >>> allocate(t, 10.005, criteria=[Criterion("uniform")]).totals["distributed_ha"]
        10.0
        """
        env = self.envelope
        top = self.tables[self.levels[0]]
        return {
            "reference_ha": float(env.reference_ha) if env else float(top["reference_ha"].sum()),
            "envelope_ha": float(env.regional_ha) if env else float(self.total_ha),
            "pene_ha": float(env.pene_ha) if env else 0.0,
            "reserve_ha": float(env.reserve_ha) if env else 0.0,
            "distributed_ha": self.distributed_ha,
            "rounding_remainder_ha": float(
                self.total_ha - self.unallocated_ha - self.distributed_ha
            ),
            "unallocated_ha": float(self.unallocated_ha),
            "garantie_ha": float(top["garantie_ha"].sum()),
        }

    # ------------------------------------------------------------------ checks
    def check(self) -> bool:
        """Re-verify every invariant of the allocation.

        Checked: no negative envelope; envelopes are multiples of the resolution; the
        top level sums exactly (in units) to the distributed envelope, and each
        territory's members to its envelope; floors and caps respected (exact and
        rounded); the exact values solve the water-filling (free territories at λ·w,
        bound ones at their bound, sums equal to the group's envelope); largest
        remainder moves each value by less than one unit (divisor methods such as
        Sainte-Laguë may move more); the contributions add up.

        Returns
        -------
        bool
            True (otherwise an error is raised).

        Raises
        ------
        zan.errors.ValidationError
            Listing every broken invariant.

        Examples
        --------
        >>> from zan.rules import Criterion
        >>> t = pd.DataFrame({"reference_ha": [1.0, 2.0]}, index=["a", "b"])
        >>> allocate(t, 10.0, criteria=[Criterion("uniform")]).check()
        True
        """
        res = self.resolution
        problems: list[Problem] = []

        def bad(level: str, mask: np.ndarray, column: str, message: str, t: pd.DataFrame) -> None:
            if mask.any():
                first = t.index[np.flatnonzero(mask)[0]]
                problems.append(
                    Problem(
                        f"allocation[{level}]",
                        f"{message} ({int(mask.sum())} territories)",
                        column=column,
                        row=str(first),
                    )
                )

        parent_units: pd.Series | None = None
        expected_total = _total_units(self.total_ha, res) - int(round(self.unallocated_ha / res))
        if self.total_units != expected_total:
            problems.append(
                Problem("allocation", f"distributed units {self.total_units} != {expected_total}")
            )
        for depth, level in enumerate(self.levels):
            t = self.tables[level]
            env = t["envelope_ha"].to_numpy(np.float64)
            units = np.rint(env / res).astype(np.int64)
            exact = t["exact_ha"].to_numpy(np.float64)
            floor = t["floor_ha"].to_numpy(np.float64)
            cap = t["cap_ha"].to_numpy(np.float64)
            w = t["weight"].to_numpy(np.float64)
            lam = t["multiplier"].to_numpy(np.float64)
            scale = max(self.total_ha, 1.0)
            tol = 1e-9 * scale
            bad(
                level,
                ~np.isfinite(env) | (env < 0),
                "envelope_ha",
                "negative or missing envelope",
                t,
            )
            bad(
                level,
                np.abs(env - units * res) > 1e-9 * np.maximum(np.abs(env), 1),
                "envelope_ha",
                f"not a multiple of the resolution {res:g} ha",
                t,
            )
            lo = np.ceil(floor / res - _EPS_UNITS)
            bad(level, units < lo, "envelope_ha", "below the floor", t)
            hi = np.where(np.isfinite(cap), np.floor(cap / res + _EPS_UNITS), np.inf)
            bad(level, units > hi, "envelope_ha", "above the cap", t)
            bad(
                level,
                (exact < floor - tol) | (exact > cap + tol),
                "exact_ha",
                "exact value outside its bounds",
                t,
            )
            if self.rounding == "largest_remainder":  # Hamilton keeps quota
                bad(
                    level,
                    np.abs(units - exact / res) > 1 + 1e-6,
                    "rounding_ha",
                    "rounding moved more than one unit",
                    t,
                )
            lw = lam * w
            free = t["bound"].to_numpy() == "none"
            at_floor = t["bound"].to_numpy() == "floor"
            at_cap = t["bound"].to_numpy() == "cap"
            bad(
                level,
                free & (np.abs(exact - lw) > tol),
                "exact_ha",
                "free territory not at λ·weight",
                t,
            )
            bad(
                level,
                at_floor & ((np.abs(exact - floor) > tol) | (lw > floor + tol)),
                "bound",
                "marked at its floor but is not",
                t,
            )
            bad(
                level,
                at_cap & ((np.abs(exact - cap) > tol) | (lw < cap - tol)),
                "bound",
                "marked at its cap but is not",
                t,
            )
            parts = t[self.criterion_columns].sum(axis=1).to_numpy(np.float64)
            parts = (
                parts
                + t["adjustment_ha"].to_numpy(np.float64)
                + t["rounding_ha"].to_numpy(np.float64)
            )
            bad(
                level,
                np.abs(parts - env) > 1e-6 * np.maximum(env, 1),
                "envelope_ha",
                "contributions do not add up to the envelope",
                t,
            )
            if depth == 0:
                if int(units.sum()) != self.total_units:
                    problems.append(
                        Problem(
                            f"allocation[{level}]",
                            f"envelopes add up to {units.sum()} units, not {self.total_units}",
                            column="envelope_ha",
                        )
                    )
                if abs(exact.sum() - self.total_units * res) > 1e-6 * scale:
                    problems.append(
                        Problem(
                            f"allocation[{level}]",
                            "exact values do not add up to the distributed envelope",
                            column="exact_ha",
                        )
                    )
            else:
                assert parent_units is not None
                sums = pd.Series(units, index=t.index).groupby(t["parent"].to_numpy()).sum()
                want = parent_units.reindex(sums.index)
                diff = sums.to_numpy() != want.to_numpy()
                if diff.any() or len(sums) != len(parent_units):
                    problems.append(
                        Problem(
                            f"allocation[{level}]",
                            "members' envelopes do not add up to their parent's",
                            column="parent",
                        )
                    )
                ex = pd.Series(exact, index=t.index).groupby(t["parent"].to_numpy()).sum()
                if (np.abs(ex.to_numpy() - want.to_numpy() * res) > 1e-6 * scale).any():
                    problems.append(
                        Problem(
                            f"allocation[{level}]",
                            "exact values do not add up to the parent's envelope",
                            column="exact_ha",
                        )
                    )
            parent_units = pd.Series(units, index=t.index)
        if problems:
            raise ValidationError(problems)
        return True

    # ------------------------------------------------------------------ explanation
    def _find(self, code: str, level: str | None) -> tuple[str, pd.Series]:
        code = str(code)
        if level is not None:
            t = self.level_table(level)
            if code not in t.index:
                raise ScenarioError(f"no territory {code!r} at level {level!r}")
            return level, t.loc[code]
        found = [lv for lv in self.levels if code in self.tables[lv].index]
        if not found:
            raise ScenarioError(
                f"no territory {code!r} in this allocation (levels: {', '.join(self.levels)}); "
                "check the code"
            )
        if len(found) > 1:
            raise ScenarioError(
                f"code {code!r} exists at levels {', '.join(found)}; pass level= to choose"
            )
        return found[0], self.tables[found[0]].loc[code]

    def explain(self, code: str, level: str | None = None) -> str:
        """Explain in French how a territory's envelope was built.

        Parameters
        ----------
        code : str
            Territory code.
        level : str, optional
            Level, needed only when the code exists at several levels.

        Returns
        -------
        str

        Examples
        --------
        >>> from zan.rules import Criterion
        >>> t = pd.DataFrame({"nom": ["Aval", "Amont"], "reference_ha": [10.0, 30.0]},
        ...                  index=["a", "b"])
        >>> a = allocate(t, 20.0, criteria=[Criterion("uniform")], level="epci")
        >>> print(a.explain("a"))  # doctest: +ELLIPSIS
        Aval (EPCI a) : 5,00 ha, contre 10,00 ha consommés ..., soit une réduction de 50,00 %...
        """
        lv, row = self._find(code, level)
        env = self.envelope
        tgt = f" pour {env.target_period[0]}-{env.target_period[1]}" if env else ""
        refp = (
            f"en {env.reference_period[0]}-{env.reference_period[1]}"
            if env
            else "sur la période de référence"
        )
        # an added level (receiving territories) mixes SCoT and EPCI: its code alone
        lab = f"{LEVEL_LABELS[lv]} " if lv in LEVEL_LABELS else ""
        text = [f"{row['nom']} ({lab}{row['code']}) : {fr_text(row['envelope_ha'])} ha{tgt}"]
        if np.isfinite(row["reference_ha"]) and row["reference_ha"] > 0:
            text[0] += (
                f", contre {fr_text(row['reference_ha'])} ha consommés {refp}, soit une réduction de "
                f"{fr_text(row['reduction_pct'])} %."
            )
        else:
            text[0] += "."
        if "parent" in row.index:
            up = self.levels[self.levels.index(lv) - 1]
            ptab = self.tables[up]
            p = ptab.loc[row["parent"]]
            text.append(
                f"Cette part est prise sur l'enveloppe de {p['nom']} "
                f"({LEVEL_LABELS.get(up, up)} {p['code']}, {fr_text(p['envelope_ha'])} ha)."
            )
        else:
            text.append(
                f"Cette part est prise sur l'enveloppe répartie de {fr_text(self.distributed_ha)} ha."
            )
        parts = []
        for crit, a in zip(self.criteria, self.weights, strict=True):
            parts.append(
                f"{fr_text(100 * a, 0)} % {_criterion_label(crit)} → {fr_text(row[f'{crit.key}_ha'])} ha"
            )
        text.append("Règle de partage : " + " ; ".join(parts) + ".")
        before = fr_text(row["exact_ha"] - row["adjustment_ha"])
        if row["bound"] == "floor":
            gar = row["garantie_ha"]
            gtxt = f", dont {fr_text(gar)} ha de garantie communale" if gar > 0 else ""
            text.append(
                f"La part calculée ({before} ha) est relevée "
                f"au plancher de {fr_text(row['floor_ha'])} ha{gtxt} : +{fr_text(row['adjustment_ha'])} ha."
            )
        elif row["bound"] == "cap":
            text.append(
                f"La part calculée ({before} ha) est ramenée au plafond de "
                f"{fr_text(row['cap_ha'])} ha : {fr_text(row['adjustment_ha'])} ha, redistribués "
                "aux autres territoires."
            )
        elif row["floor_ha"] > 0:
            gar = row["garantie_ha"]
            gtxt = f" (garantie communale : {fr_text(gar)} ha)" if gar > 0 else ""
            text.append(f"Le plancher de {fr_text(row['floor_ha'])} ha{gtxt} est dépassé.")
        if any(float(t["garantie_ha"].sum()) > 0 for t in self.tables.values()):
            text.append(pooling_text(self.garantie_pooling, lv))
        text.append(
            f"Arrondi au {fr_text(self.resolution, 2)} ha ({_ROUNDING_FR[self.rounding]}) : "
            f"{'+' if row['rounding_ha'] >= 0 else ''}{fr_text(row['rounding_ha'], 4)} ha."
        )
        return " ".join(text)

    def provenance(self) -> dict[str, Any]:
        """The method facts written into ``sources.json`` next to the file hashes.

        Returns
        -------
        dict
            ``garantie_communale`` (``pooling``: ``"commune"`` or ``"epci"``),
            ``envelope`` (how the regional envelope was obtained: ``kind`` is
            ``"published"``, ``"estimate"``, ``"given"`` or ``"computed"``, with
            its label and source; see :meth:`zan.Envelope.provenance`), and
            ``warnings`` (a list, empty when none).

        Examples
        --------
        >>> from zan.rules import Criterion
        >>> t = pd.DataFrame({"reference_ha": [1.0, 2.0]}, index=["a", "b"])
        >>> allocate(t, 10.0, criteria=[Criterion("uniform")]).provenance()["warnings"]
        []
        """
        out: dict[str, Any] = {"garantie_communale": {"pooling": self.garantie_pooling}}
        if self.envelope is not None:
            out["envelope"] = self.envelope.provenance()
        out["warnings"] = list(self.warnings)
        return out

    def summary(self) -> pd.DataFrame:
        """Regional totals as a table with French labels.

        Examples
        --------
        >>> from zan.rules import Criterion
        >>> t = pd.DataFrame({"reference_ha": [1.0, 2.0]}, index=["a", "b"])
        >>> allocate(t, 10.0, criteria=[Criterion("uniform")]).summary()["ha"].tolist()[-1]
        10.0
        """
        tot = self.totals
        rows = [
            ("Enveloppe régionale", tot["envelope_ha"]),
            ("dont PENE déduits", tot["pene_ha"]),
            ("Réserve régionale", tot["reserve_ha"]),
            ("Restant au niveau régional (taux donnés)", tot["unallocated_ha"]),
            ("Reliquat d'arrondi", tot["rounding_remainder_ha"]),
            ("Garantie communale", tot["garantie_ha"]),
            ("Enveloppe répartie", tot["distributed_ha"]),
        ]
        return pd.DataFrame(rows, columns=["terme", "ha"])

    def __repr__(self) -> str:
        t = self.tables[self.level]
        bounds = t["bound"].value_counts()
        return (
            f"<Allocation {self.name or ''} level={'→'.join(self.levels)} n={len(t)} "
            f"distributed={self.distributed_ha:.2f} ha floors={int(bounds.get('floor', 0))} "
            f"caps={int(bounds.get('cap', 0))}>"
        )

    def _repr_html_(self) -> str:
        t = self.tables[self.level]
        head = (
            f"<strong>Répartition de l'enveloppe foncière</strong>"
            f"{' — ' + html.escape(self.name) if self.name else ''}<br>"
            f"Niveau : {html.escape(' → '.join(LEVEL_LABELS.get(lv, lv) for lv in self.levels))} ; "
            f"{len(t)} territoires ; {int((t['bound'] == 'floor').sum())} au plancher, "
            f"{int((t['bound'] == 'cap').sum())} au plafond."
        )
        tot = "".join(
            f"<tr><td>{html.escape(lbl)}</td><td style='text-align:right'>{fr_html(v)}</td></tr>"
            for lbl, v in self.summary().itertuples(index=False)
        )
        cols = [c for c in _FR_COLUMNS if c in t.columns]
        shown = t[cols].head(20)
        header = "".join(f"<th>{html.escape(_FR_COLUMNS[c])}</th>" for c in cols)
        body = []
        for rec in shown.itertuples(index=False):
            cells = []
            for c, v in zip(cols, rec, strict=True):
                if c == "bound":
                    cells.append(f"<td>{_FR_BOUND.get(v, v)}</td>")
                elif isinstance(v, float):
                    cells.append(f"<td style='text-align:right'>{fr_html(v, unit='')}</td>")
                else:
                    cells.append(f"<td>{html.escape(str(v))}</td>")
            body.append("<tr>" + "".join(cells) + "</tr>")
        more = f"<p>… {len(t) - 20} autres territoires</p>" if len(t) > 20 else ""
        return (
            f"<div>{head}<table><tbody>{tot}</tbody></table>"
            f"<table><thead><tr>{header}</tr></thead><tbody>{''.join(body)}</tbody></table>"
            f"{more}</div>"
        )

    def explore(self, column: str = "envelope_ha", *, level: str | None = None, **kwargs: Any):
        """Interactive offline map of this allocation (:func:`zan.maps.allocation_map`).

        Popups explain each figure (reference, criteria, floor/cap, garantie
        communale, and the :meth:`explain` text at the allocation's own level).

        Parameters
        ----------
        column : str, default "envelope_ha"
            Column mapped (``"reduction_pct"`` for the rates).
        level : str, optional
            Level of a cascade to map; the last one by default.
        **kwargs
            Passed to :func:`zan.maps.choropleth` (``title``, ``scheme``, ``outlines``...).

        Returns
        -------
        folium.Map

        Raises
        ------
        ScenarioError
            When the allocation was computed without territories (no geometry).
        """
        from .maps import allocation_map

        if self.territories is None:
            raise ScenarioError(
                "this allocation has no territories, so no geometry to map; "
                "run it from a scenario (run_scenario) or pass territories to allocate()"
            )
        level = level or self.level
        source = self if level == self.level else self.level_table(level)
        kwargs.setdefault("explain", level == self.level)
        if "credit" not in kwargs:
            from .maps.credits import allocation_credit

            kwargs["credit"] = allocation_credit(self)
        return allocation_map(source, self.territories.geometries(level), column=column, **kwargs)

    # ------------------------------------------------------------------ export
    def _export_frame(self, level: str | None) -> pd.DataFrame:
        t = self.level_table(level or self.level)
        t["cap_ha"] = t["cap_ha"].where(np.isfinite(t["cap_ha"]))
        return t.drop(columns=["weight", "multiplier"])

    def to_csv(self, path: str | os.PathLike, *, level: str | None = None) -> Path:
        """Write a level's table as CSV (UTF-8, hectares to 4 decimals), atomically.

        Parameters
        ----------
        path : path-like
        level : str, optional
            Default the last level.

        Returns
        -------
        pathlib.Path

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from zan.rules import Criterion
        >>> t = pd.DataFrame({"reference_ha": [1.0, 2.0]}, index=["a", "b"])
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> p = allocate(t, 10.0, criteria=[Criterion("uniform")]).to_csv(d / "allocation.csv")
        >>> p.read_text().splitlines()[1].split(",")[:5]
        ['a', 'a', '1.0000', '3.3300', '-233.0000']
        """
        frame = self._export_frame(level)
        return _atomic_write(
            path, lambda tmp: frame.to_csv(tmp, index=False, float_format="%.4f", encoding="utf-8")
        )

    def _geoframe(self, territories: Any, level: str) -> gpd.GeoDataFrame:
        import geopandas as gpd

        if territories is None:
            territories = self.territories
        if territories is None:
            raise ScenarioError(
                "no geometries: pass the territories (a zan.Territories or a GeoDataFrame "
                "indexed by code) to write a geographic file"
            )
        if isinstance(territories, gpd.GeoDataFrame):
            geoms = territories
        elif isinstance(territories, Mapping):
            geoms = territories[level]
        else:
            geoms = territories.geometries(level)
        geoms = geoms.copy()
        geoms.index = geoms.index.astype(str)
        frame = self._export_frame(level)
        missing = frame.index.difference(geoms.index)
        if len(missing):
            raise DataError(
                f"no geometry for {len(missing)} {level} territories ({', '.join(missing[:5])}); "
                "pass the territories the allocation was computed on"
            )
        geo = gpd.GeoDataFrame(
            frame, geometry=geoms.geometry.reindex(frame.index).to_numpy(), crs=geoms.crs
        )
        geo.index.name = None
        return geo

    def to_gpkg(
        self, path: str | os.PathLike, territories: Any = None, *, level: str | None = None
    ) -> Path:
        """Write the allocation with geometries as a GeoPackage, atomically.

        One layer per level (named after it) unless ``level`` is given.

        Parameters
        ----------
        path : path-like
        territories : Territories, GeoDataFrame or mapping level → GeoDataFrame, optional
            Source of the geometries (``territories.geometries(level)``), indexed by
            code; default the territories the allocation was computed on.
        level : str, optional

        Returns
        -------
        pathlib.Path

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from shapely.geometry import box
        >>> from zan.rules import Criterion
        >>> t = pd.DataFrame({"reference_ha": [1.0, 2.0]}, index=["a", "b"])
        >>> g = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
        ...                      index=["a", "b"], crs="EPSG:2154")
        >>> alloc = allocate(t, 3.0, criteria=[Criterion("uniform")], level="epci")
        >>> p = alloc.to_gpkg(pathlib.Path(tempfile.mkdtemp()) / "allocation.gpkg", g)
        >>> gpd.list_layers(p)["name"].tolist()
        ['epci']
        """
        levels = [level] if level else list(self.levels)
        frames = {lv: self._geoframe(territories, lv) for lv in levels}

        def write(tmp: Path) -> None:
            from ._write import fixed_gpkg_date

            with fixed_gpkg_date():
                for lv, g in frames.items():
                    g.to_file(tmp, layer=lv, driver="GPKG")

        return _atomic_write(path, write)

    def to_parquet(
        self, path: str | os.PathLike, territories: Any = None, *, level: str | None = None
    ) -> Path:
        """Write a level's table with geometries as GeoParquet, atomically.

        Parameters
        ----------
        path : path-like
        territories : Territories, GeoDataFrame or mapping level → GeoDataFrame, optional
            As in :meth:`to_gpkg`.
        level : str, optional
            Default the last level.

        Returns
        -------
        pathlib.Path

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from shapely.geometry import box
        >>> from zan.rules import Criterion
        >>> t = pd.DataFrame({"reference_ha": [1.0, 2.0]}, index=["a", "b"])
        >>> g = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
        ...                      index=["a", "b"], crs="EPSG:2154")
        >>> alloc = allocate(t, 3.0, criteria=[Criterion("uniform")])
        >>> p = alloc.to_parquet(pathlib.Path(tempfile.mkdtemp()) / "allocation.parquet", g)
        >>> gpd.read_parquet(p)["envelope_ha"].tolist()
        [1.0, 2.0]
        """
        g = self._geoframe(territories, level or self.level)
        return _atomic_write(path, lambda tmp: g.to_parquet(tmp))


_ROUNDING_FR = {
    "largest_remainder": "plus forts restes",
    "sainte_lague": "Sainte-Laguë",
}


def write_allocation(
    alloc: Allocation,
    out: str | os.PathLike,
    *,
    png: bool = False,
    inputs: Mapping[str, str | os.PathLike] | None = None,
) -> list[Path]:
    """Write an allocation's outputs into a folder: table, layers and map.

    Writes ``allocation.csv`` (the last level, hectares to 4 decimals),
    ``communes_hors_territoires.csv`` (when allocating at an added level: the communes
    outside every territory of it, :attr:`Allocation.unassigned`),
    ``allocation.gpkg`` (one layer per level, with geometry), ``carte.html`` (an
    offline choropleth of ``envelope_ha`` whose popups explain each figure) and,
    with ``png=True``, ``carte.png``. Every file is written atomically.

    Parameters
    ----------
    alloc : Allocation
        From :func:`zan.scenario.run_scenario` (it carries its territories).
    out : path-like
        Output folder (created if needed).
    png : bool, default False
        Also write a static map.
    inputs : mapping, optional
        The input files (:func:`zan.scenario.scenario_inputs`): a ``sources.json``
        then records their SHA-256 and those of the outputs.

    Returns
    -------
    list of pathlib.Path

    Examples
    --------
    >>> import tempfile
    >>> from zan.scenario import run_scenario
    >>> from zan.datasets import scenario_path
    >>> alloc = run_scenario(scenario_path("01_reduction_uniforme"))
    >>> [p.name for p in write_allocation(alloc, tempfile.mkdtemp())]
    ['allocation.csv', 'allocation.gpkg', 'carte.html']
    """
    from .maps import save, to_png

    out = Path(out)
    written = [alloc.to_csv(out / "allocation.csv")]
    if alloc.unassigned is not None:  # communes outside every receiving territory, listed
        from ._write import write_csv
        from .levels import UNASSIGNED_FILE

        written.append(write_csv(alloc.unassigned, out / UNASSIGNED_FILE))
    if alloc.territories is not None:
        written.append(alloc.to_gpkg(out / "allocation.gpkg"))
        title = (
            f"Enveloppe foncière 2021-2030 — {alloc.name}"
            if alloc.name
            else "Enveloppe foncière 2021-2030"
        )
        written.append(save(alloc.explore(title=title), out / "carte.html"))
        if png:
            geoms = alloc.territories.geometries(alloc.level)
            written.append(
                Path(
                    to_png(geoms, "envelope_ha", out / "carte.png", values=alloc.table, title=title)
                )
            )
    if inputs is not None:
        from . import __version__
        from ._write import write_manifest

        extra = {
            "zan": __version__,
            "scenario": alloc.name,
            "scenario_sha256": alloc.scenario_hash,
            **alloc.provenance(),
        }
        written.append(write_manifest(out, inputs, written, extra=extra))
    return written
