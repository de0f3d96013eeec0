"""Water-filling: share an amount in proportion to weights within floors and caps.

The exact envelope is ``x_i = clamp(λ·w_i, floor_i, cap_i)`` with the multiplier λ
found so that ``Σ x_i = E`` (DOMAIN.md §5). ``λ ↦ Σ clamp(λ·w_i, ...)`` is piecewise
linear and non-decreasing, so a safeguarded Newton iteration (each step solves the
problem exactly for the current set of free territories) finds it in a few steps; it is
feasible iff ``Σ floor ≤ E ≤ Σ cap`` (a territory of weight 0 only gets its floor).

:func:`water_fill` is the one-row front function; :func:`water_fill_rows` water-fills
many rows at once, chunk by chunk and optionally in threads (the batch path,
:mod:`zan.batch`), with the same floats row by row; :func:`blend_rows` blends criteria
shares into weights with the same float operations for one row or many.
"""

from __future__ import annotations

import math
import mmap
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .errors import InfeasibleError, ScenarioError
from .settings import read_setting

__all__ = [
    "WaterFill",
    "water_fill",
    "water_fill_rows",
    "refill_rows",
    "blend_rows",
    "batch_threads",
    "as_bounds",
    "output_array",
]


def blend_rows(
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


#: Outputs from this many bytes up are mapped in small pages (:func:`output_array`).
SMALL_PAGES_MIN_BYTES = 64 << 20


def output_array(shape: tuple[int, ...], dtype: Any = np.float64) -> np.ndarray:
    """A new, uninitialised array for a large batch output, in 4 KiB pages.

    numpy asks transparent huge pages for large arrays; on a busy machine their first
    touch waits for the kernel to compact memory (1 to 3 s of system time for the
    300 MB of 10,000 × 3,800 values, from run to run). An anonymous memory map of
    small pages costs a steady ~0.15 s per 300 MB instead, so a batch's time does not
    jump. Below :data:`SMALL_PAGES_MIN_BYTES`, a plain :func:`numpy.empty`. The array
    owns its memory like any other (freed when the last reference goes).

    Examples
    --------
    >>> a = output_array((3, 2), np.int64)
    >>> a.shape, a.dtype.name, a.flags.writeable
    ((3, 2), 'int64', True)
    """
    dt = np.dtype(dtype)
    size = math.prod(shape) * dt.itemsize
    if size < SMALL_PAGES_MIN_BYTES or not hasattr(mmap, "MAP_ANONYMOUS"):
        return np.empty(shape, dtype=dt)
    mem = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    return np.frombuffer(mem, dtype=dt).reshape(shape)


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


def water_fill_rows(
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
    keep: bool = True,
) -> tuple[np.ndarray | None, np.ndarray, np.ndarray]:
    """Water-fill many rows, chunk by chunk in cache-sized work buffers.

    ``W`` is a (K, n) array, or a function ``(slice, out) -> rows`` that fills ``out``
    with the weights of those rows (so a (K, n) weight matrix is never built).
    ``on_chunk(slice, values)`` is called after each chunk, while it is in cache.
    With ``keep=False`` the (K, n) values are not kept (None is returned in their
    place): each chunk's values live in a work buffer for ``on_chunk`` only, and
    :func:`refill_rows` gives them back from the multipliers when needed.
    With ``threads`` > 1 (None: :func:`batch_threads`), ranges of rows (about eight
    per thread, taken in turn, so that a thread slowed down by another process does
    fewer) are water-filled by that many threads, each with its own buffers (numpy
    releases the GIL on whole-chunk operations); rows are independent, so the values
    are the same floats whatever the number of threads. ``W`` and ``on_chunk`` must then
    accept calls from several threads on disjoint rows.
    """
    if callable(W):
        K, n = int(n_rows), int(n_cols)  # type: ignore[arg-type]
        get = W
    else:
        K, n = W.shape
        get = lambda sl, out: W[sl]  # noqa: E731
    X = output_array((K, n)) if keep else None
    lam = np.empty(K)
    iters = np.empty(K, dtype=np.int64)
    f2, c2 = F.ndim == 2, C.ndim == 2

    local = threading.local()  # each thread's work buffers, kept from task to task

    def run(first: int, last: int) -> None:
        rows = min(chunk_rows, last - first)
        if rows <= 0:
            return
        bufs = getattr(local, "bufs", None)
        if bufs is None or bufs[0].shape[0] < rows:
            bufs = local.bufs = (
                np.empty((rows, n)),
                np.empty((rows, n)),
                np.empty((rows, n), dtype=bool),
                None if keep else np.empty((rows, n)),
            )
        wbuf, xw, m, xbuf = bufs
        for start in range(first, last, chunk_rows):
            sl = slice(start, min(start + chunk_rows, last))
            k = sl.stop - sl.start
            w = get(sl, wbuf[:k])
            x = X[sl] if X is not None else xbuf[:k]  # type: ignore[index]
            lam[sl], iters[sl] = _wf_chunk(
                w, E[sl], F[sl] if f2 else F, C[sl] if c2 else C, x, xw[:k], m[:k]
            )
            if on_chunk is not None:
                on_chunk(sl, x)

    n_threads = batch_threads(K * n) if threads is None else max(1, int(threads))
    n_threads = min(n_threads, -(-K // chunk_rows)) if K else 1
    if n_threads <= 1:
        run(0, K)
    else:
        from concurrent.futures import ThreadPoolExecutor

        # about eight tasks per thread, taken in turn: a thread slowed down by another
        # process on its core takes fewer of them (the values do not depend on it)
        task = chunk_rows * -(-K // (chunk_rows * n_threads * _TASKS_PER_THREAD))
        with ThreadPoolExecutor(n_threads, thread_name_prefix="zan-batch") as pool:
            for f in [pool.submit(run, a, min(a + task, K)) for a in range(0, K, task)]:
                f.result()
    return X, lam, iters


def refill_rows(
    W: np.ndarray | Callable[[slice, np.ndarray], np.ndarray],
    lam: np.ndarray,
    F: np.ndarray,
    C: np.ndarray,
    *,
    n_cols: int | None = None,
    chunk_rows: int = 256,
) -> np.ndarray:
    """The values ``clip(λ_k w_kj, F_kj, C_kj)`` of rows water-filled with ``keep=False``.

    ``W``, ``F`` and ``C`` as given to :func:`water_fill_rows`, ``lam`` the multipliers
    it returned: the same floats as the values it would have kept (they are computed
    by the same operations: a product, then the floor, then the cap; floors are
    never above caps).

    Examples
    --------
    >>> w = np.array([[1.0, 1.0, 2.0], [0.0, 1.0, 3.0]])
    >>> F, C = np.array([3.0, 0.0, 0.0]), np.full(3, np.inf)
    >>> X, lam, _ = water_fill_rows(w, np.array([10.0, 8.0]), F, C)
    >>> bool((refill_rows(w, lam, F, C) == X).all())
    True
    """
    if callable(W):
        n = int(n_cols)  # type: ignore[arg-type]
        get = W
    else:
        n = W.shape[1]
        get = lambda sl, out: W[sl]  # noqa: E731
    K = lam.shape[0]
    X = output_array((K, n))
    wbuf = np.empty((min(chunk_rows, K), n))
    for start in range(0, K, chunk_rows):
        sl = slice(start, min(start + chunk_rows, K))
        x = X[sl]
        np.multiply(get(sl, wbuf[: sl.stop - sl.start]), lam[sl, None], out=x)
        np.maximum(x, F[sl] if F.ndim == 2 else F, out=x)
        np.minimum(x, C[sl] if C.ndim == 2 else C, out=x)
    return X


#: Tasks per thread of a threaded batch (load balance between the threads).
_TASKS_PER_THREAD = 8

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
    threads = read_setting("threads")  # ZAN_THREADS, checked by zan.settings
    return threads if threads is not None else max(1, min(os.cpu_count() or 1, 8))


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


def as_bounds(
    floors: Any, caps: Any, n: int, *, index: pd.Index | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Floors (default 0) and caps (default +inf) as (n,) float arrays, checked.

    Scalars are broadcast; a Series is aligned on ``index`` (every territory needs a
    value); values must be >= 0 and not missing.
    """

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
    f, c = as_bounds(floors, caps, w.size)
    _feasibility(w, float(total), f, c)
    X, lam, it = water_fill_rows(w[None, :], np.array([float(total)]), f, c)
    lw = lam[0] * w
    return WaterFill(X[0], float(lam[0]), lw < X[0], lw > X[0], int(it[0]))
