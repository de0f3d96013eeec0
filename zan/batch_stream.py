"""The batch path in bounded memory: (K, n) envelopes kept as what gives them back exactly.

A batch of K variants over n territories is, densely, a (K, n) float64 array (10,000 ×
35,000 communes: 2.8 GB, twice that with the rounded units). But each row is
``x = min(max(λ · w, floor), cap)`` (DOMAIN.md §5) with ``w`` the blend of the criteria's
shares (:func:`zan.waterfill.blend_rows`) and ``λ`` the row's multiplier: the K
multipliers and the (K, C) blend weights give back any block of columns with the very
float operations the water-filling did, so bit for bit the dense values.
:func:`stream_batch` water-fills the rows chunk by chunk (work buffers sized by
``budget_bytes``) and keeps only that; :class:`BatchColumns` recomputes blocks of
columns on demand (:func:`zan.sobol.summaries` reduces them block by block into
intervals and Sobol indices). Rounded batches also keep, per value, the difference
between the rounded units and the quota's floor clipped to the bounds (one byte, as
the largest remainder moves a value by a unit or two).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .errors import InfeasibleError
from .rounding import UNITS_EPS, to_units_bounds

__all__ = ["BatchColumns", "stream_batch", "STREAM_MIN_VALUES"]

#: Above this many values (rows × territories) the sensitivity analysis streams its batch.
STREAM_MIN_VALUES = 40_000_000

#: Bounds of a block: ``bounds(rows, cols) -> (floors, caps)`` in ha at the resolution,
#: each of shape (rows, cols).
Bounds = Callable[[Any, Any], tuple[np.ndarray, np.ndarray]]


@dataclass(frozen=True, eq=False)
class BatchColumns:
    """A batch's (K, n) envelopes, any block recomputed exactly (:func:`stream_batch`).

    Attributes
    ----------
    shares : numpy.ndarray
        (n, C) shares of each territory in each criterion.
    blend : numpy.ndarray
        (K, C) blend weights of each row.
    multipliers : numpy.ndarray
        (K,) λ of each row.
    floors, caps : numpy.ndarray
        (n,) bounds (ha, at the resolution) when they are the same for every row.
    bounds : callable or None
        ``bounds(rows, cols)``: (rows, cols) floors and caps when they vary by row.
    resolution : float or None
        Rounded values (units × resolution) when given.
    delta : numpy.ndarray or None
        (K, n) rounded units minus the quota's floor clipped to the bounds.

    Examples
    --------
    >>> from zan.batch import BatchProblem
    >>> from zan.datasets import scenario_path
    >>> from zan.scenario import prepare_scenario
    >>> p = BatchProblem.from_prepared(prepare_scenario(scenario_path("02_consommation_population")))
    >>> blend = [[1.0, 0.0], [0.5, 0.5], [0.2, 0.8]]
    >>> cols = stream_batch(p, blend, budget_bytes=1)
    >>> bool((np.asarray(cols) == p.run(blend, rounded=False).values).all())
    True
    """

    shares: np.ndarray
    blend: np.ndarray
    multipliers: np.ndarray
    floors: np.ndarray
    caps: np.ndarray
    bounds: Bounds | None = None
    resolution: float | None = None
    delta: np.ndarray | None = None

    @property
    def shape(self) -> tuple[int, int]:
        return (len(self.multipliers), self.shares.shape[0])

    @property
    def ndim(self) -> int:
        return 2

    @property
    def dtype(self) -> np.dtype:
        return np.dtype(np.float64)

    def __len__(self) -> int:
        return len(self.multipliers)

    def block_t(self, cols: Any = slice(None), rows: Any = slice(None)) -> np.ndarray:
        """(cols, rows) values, transposed: one territory per row (contiguous).

        The same float operations as :func:`zan.waterfill.blend_rows` and the
        water-filling's ``min(max(λ · w, floor), cap)``, element by element.
        """
        S = self.shares[cols]  # (b, C)
        A = self.blend[rows]  # (k, C)
        out = np.multiply(S[:, 0:1], A[:, 0])  # (b, k)
        if S.shape[1] > 1:
            tmp = np.empty_like(out)
            for c in range(1, S.shape[1]):
                np.multiply(S[:, c : c + 1], A[:, c], out=tmp)
                np.add(out, tmp, out=out)
        np.multiply(out, self.multipliers[rows], out=out)
        if self.bounds is None:
            F, C = self.floors[cols][:, None], self.caps[cols][:, None]
        else:
            f, c = self.bounds(rows, cols)
            F, C = f.T, c.T
        np.maximum(out, F, out=out)
        np.minimum(out, C, out=out)
        if self.resolution is None:
            return out
        res = self.resolution
        lo, hi = to_units_bounds(np.broadcast_to(F, out.shape), np.broadcast_to(C, out.shape), res)
        units = out / res + UNITS_EPS
        np.floor(units, out=units)
        np.maximum(units, lo, out=units)
        np.minimum(units, hi, out=units)
        units += self.delta[rows][:, cols].T
        return units.astype(np.int64) * res

    def take(self, rows: Any = slice(None), cols: Any = slice(None)) -> np.ndarray:
        """(rows, cols) values, as ``dense[rows][:, cols]``."""
        return np.ascontiguousarray(self.block_t(cols, rows).T)

    def __getitem__(self, key: Any) -> np.ndarray:
        """Rows, or ``np.ix_(rows, cols)`` blocks, as a dense array would give them."""
        if isinstance(key, tuple) and len(key) == 2:
            r, c = key
            r = np.asarray(r).ravel() if not isinstance(r, slice) else r
            c = np.asarray(c).ravel() if not isinstance(c, slice) else c
            return self.take(r, c)
        return self.take(key)

    def __array__(self, dtype: Any = None, copy: Any = None) -> np.ndarray:
        out = self.take()
        return out if dtype is None else out.astype(dtype)


def stream_batch(
    problem: Any,
    blend: Any,
    envelope: Any = None,
    *,
    bounds: Bounds | None = None,
    rounded: bool = False,
    budget_bytes: int = 256 * 2**20,
    threads: int | None = None,
) -> BatchColumns:
    """Run a batch problem chunk by chunk, keeping only what gives its values back.

    Parameters
    ----------
    problem : BatchProblem
    blend : array-like
        (K, C) criteria weights, one row per variant.
    envelope : float or array-like, optional
        Hectares per row at the resolution; default the problem's.
    bounds : callable, optional
        ``bounds(rows, cols) -> (floors, caps)`` (ha at the resolution, :meth:`BatchProblem.bounds`)
        when they vary by row; default the problem's.
    rounded : bool, default False
        Keep the rounded values (one byte per value more).
    budget_bytes : int, default 256 MiB
        Memory of one chunk's work buffers (the rows per chunk follow from it).
    threads : int, optional
        As in :func:`zan.batch.allocate_batch`.

    Returns
    -------
    BatchColumns
        ``np.asarray(result)`` equals ``problem.run(...).values`` (or ``rounded_ha``).

    Raises
    ------
    InfeasibleError
        As :meth:`BatchProblem.run`, the row counted from the first.
    """
    A = np.ascontiguousarray(np.asarray(blend, dtype=np.float64))
    K, n = A.shape[0], len(problem.codes)
    E = np.broadcast_to(
        np.asarray(problem.envelope_ha if envelope is None else envelope, dtype=np.float64), (K,)
    )
    # the water-filling and the rounding hold about a dozen (rows, n) buffers
    rows = int(max(1, min(K, budget_bytes // (12 * 8 * max(n, 1)))))
    lam = np.empty(K)
    delta = np.empty((K, n), dtype=np.int8) if rounded else None
    res = problem.resolution
    for start in range(0, K, rows):
        sl = slice(start, min(start + rows, K))
        F, C = (problem.floors, problem.caps) if bounds is None else bounds(sl, slice(None))
        try:
            b = problem.run(A[sl], E[sl], floors=F, caps=C, rounded=rounded, threads=threads)
        except InfeasibleError as exc:
            msg = str(exc)
            if msg.startswith("row "):
                head, _, rest = msg.partition(":")
                msg = f"row {int(head.split()[1]) + start}:{rest}"
            raise InfeasibleError(msg) from None
        lam[sl] = b.multipliers
        if rounded:
            lo, hi = to_units_bounds(
                np.broadcast_to(F, b.values.shape), np.broadcast_to(C, b.values.shape), res
            )
            base = b.values / res + UNITS_EPS
            np.floor(base, out=base)
            np.maximum(base, lo, out=base)
            np.minimum(base, hi, out=base)
            d = b.units - base.astype(np.int64)
            if d.size and (d.min() < -127 or d.max() > 127):  # pragma: no cover - bounds
                delta = delta.astype(np.int32)  # a unit or two in practice; never wrapped
            delta[sl] = d
        del b
    return BatchColumns(
        shares=problem.shares,
        blend=A,
        multipliers=lam,
        floors=problem.floors,
        caps=problem.caps,
        bounds=bounds,
        resolution=res if rounded else None,
        delta=delta,
    )
