"""Saltelli designs and Sobol indices, for every output column at once (numpy).

:func:`saltelli_design` draws the ``A``, ``B`` and ``A_B^(i)`` matrices from a scrambled
Sobol sequence mapped through each parameter's distribution;
:func:`sobol_indices` estimates the first-order (Saltelli et al. 2010) and total
(Jansen 1999) indices of every column of the outputs. :mod:`zan.sensitivity` uses them
(its module docstring gives the estimators).
"""

from __future__ import annotations

import importlib.util
import math
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from .errors import ScenarioError
from .scenario_model import DistributionConfig

__all__ = ["saltelli_design", "sobol_indices", "sobol_points", "summaries"]

_BITS = 30
_DIRECTIONS: list[tuple[np.ndarray, np.ndarray]] = []


def _directions() -> tuple[np.ndarray, np.ndarray] | None:
    """SciPy's Joe & Kuo direction numbers (poly, vinit), read without importing scipy.stats."""
    if not _DIRECTIONS:
        spec = importlib.util.find_spec("scipy")
        roots = list(spec.submodule_search_locations or []) if spec else []
        path = Path(roots[0], "stats", "_sobol_direction_numbers.npz") if roots else None
        if path is None or not path.is_file():
            return None
        with np.load(path) as z:
            _DIRECTIONS.append((z["poly"], z["vinit"]))
    return _DIRECTIONS[0]


def sobol_points(d: int, m: int, *, seed: int | None = None) -> np.ndarray:
    """``2**m`` points of a scrambled Sobol sequence in ``[0, 1)^d``.

    The very numbers of ``scipy.stats.qmc.Sobol(d, scramble=True, seed=seed).random_base2(m)``
    (direction numbers of Joe & Kuo 2008, left linear matrix scrambling and digital
    shift drawn from ``numpy.random.default_rng(seed)``, Gray-code order), computed with
    numpy: importing ``scipy.stats`` costs longer than a whole analysis' design
    (``tests/test_batch_stream.py`` compares both). Falls back to SciPy when its
    direction numbers are not where this SciPy keeps them.

    Examples
    --------
    >>> U = sobol_points(2, 3, seed=1)
    >>> U.shape, bool(((U >= 0) & (U < 1)).all())
    ((8, 2), True)
    """
    found = _directions() if seed is None or isinstance(seed, (int, np.integer)) else None
    if found is None or d < 1:
        from scipy.stats import qmc

        return qmc.Sobol(d=d, scramble=True, seed=seed).random_base2(m)
    poly, vinit = found
    bits = _BITS
    v = np.zeros((d, bits), dtype=np.int64)
    v[0, :] = 1
    for k in range(1, d):  # Bratley & Fox (1988), Algorithm 659
        p = int(poly[k])
        deg = p.bit_length() - 1
        v[k, :deg] = vinit[k, :deg]
        for j in range(deg, bits):
            new = int(v[k, j - deg])
            pow2 = 1
            for i in range(deg):
                pow2 <<= 1
                if (p >> (deg - 1 - i)) & 1:
                    new ^= pow2 * int(v[k, j - i - 1])
            v[k, j] = new
    msb = np.arange(bits - 1, -1, -1, dtype=np.int64)  # bit weights, most significant first
    v <<= msb[None, :]
    rng = np.random.default_rng(seed)
    shift_bits = rng.integers(2, size=(d, bits), dtype=np.uint32).astype(np.int64)
    shift = (shift_bits << np.arange(bits, dtype=np.int64)).sum(axis=1)
    ltm = np.tril(rng.integers(2, size=(d, bits, bits), dtype=np.uint32)).astype(np.int64)
    ltm[:, np.arange(bits), np.arange(bits)] = 1
    v_bits = (v[:, :, None] >> msb[None, None, :]) & 1  # (d, column, bit)
    scrambled = np.einsum("dpi,dji->djp", ltm, v_bits) & 1  # left matrix scramble, mod 2
    v = (scrambled << msb[None, None, :]).sum(axis=2)
    n = 1 << m
    i = np.arange(n, dtype=np.int64)
    gray = i ^ (i >> 1)
    q = np.broadcast_to(shift, (n, d)).copy()
    for b in range(m):
        q[((gray >> b) & 1).astype(bool)] ^= v[:, b]
    return q * (1.0 / 2**bits)


def saltelli_design(
    distributions: Sequence[DistributionConfig], n_base: int, *, seed: int | None = None
) -> np.ndarray:
    """The Saltelli design: rows of ``A``, ``B``, then ``A_B^(1)`` … ``A_B^(P)``.

    ``A`` and ``B`` come from one scrambled Sobol sequence of dimension ``2P`` (its
    first ``P`` coordinates for ``A``, the others for ``B``), mapped through each
    distribution's inverse CDF.

    Parameters
    ----------
    distributions : sequence of DistributionConfig
        One per parameter (``P``).
    n_base : int
        Rows of ``A`` and ``B`` (``N``).
    seed : int, optional

    Returns
    -------
    numpy.ndarray
        ``(N × (P + 2), P)`` parameter values.

    Examples
    --------
    >>> d = [DistributionConfig(min=0, max=1), DistributionConfig(min=10, max=20)]
    >>> X = saltelli_design(d, 8, seed=1)
    >>> X.shape, bool((X[16:24, 1] == X[:8, 1]).all()), bool((X[16:24, 0] == X[8:16, 0]).all())
    ((32, 2), True, True)
    """
    P = len(distributions)
    if n_base < 2:
        raise ScenarioError(f"the design needs at least 2 base samples (got {n_base})")
    m = int(math.ceil(math.log2(n_base)))
    U = sobol_points(2 * P, m, seed=seed)[:n_base]
    A = np.column_stack([d.ppf(U[:, j]) for j, d in enumerate(distributions)])
    B = np.column_stack([d.ppf(U[:, P + j]) for j, d in enumerate(distributions)])
    blocks = [A, B]
    for i in range(P):
        ab = A.copy()
        ab[:, i] = B[:, i]
        blocks.append(ab)
    return np.concatenate(blocks, axis=0)


def sobol_indices(Y: np.ndarray, n_params: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """First-order and total Sobol indices from the outputs of a Saltelli design.

    Parameters
    ----------
    Y : numpy.ndarray
        ``(N × (P + 2),)`` or ``(N × (P + 2), n)`` outputs, rows in the order of
        :func:`saltelli_design`; every column is an output (a territory).
    n_params : int
        ``P``.

    Returns
    -------
    first_order, total : numpy.ndarray
        ``(P,)`` or ``(P, n)``; NaN for an output that does not vary.
    variance : numpy.ndarray
        ``()`` or ``(n,)``: the variance of each output (of ``f(A)`` and ``f(B)``).

    Examples
    --------
    The Ishigami function (Ishigami & Homma 1990), whose indices are known
    (S = 0.314, 0.442, 0; ST = 0.558, 0.442, 0.244):

    >>> d = [DistributionConfig(min=-np.pi, max=np.pi)] * 3
    >>> X = saltelli_design(d, 2 ** 13, seed=0)
    >>> Y = np.sin(X[:, 0]) + 7 * np.sin(X[:, 1]) ** 2 + 0.1 * X[:, 2] ** 4 * np.sin(X[:, 0])
    >>> s, st, _ = sobol_indices(Y, 3)
    >>> np.round(s, 2).tolist(), np.round(st, 2).tolist()
    ([0.31, 0.44, 0.0], [0.56, 0.44, 0.24])
    """
    Y = np.asarray(Y, dtype=np.float64)
    squeeze = Y.ndim == 1
    if squeeze:
        Y = Y[:, None]
    K = Y.shape[0]
    if n_params < 1 or K % (n_params + 2):
        raise ScenarioError(
            f"{K} outputs do not form a Saltelli design of {n_params} parameters "
            f"(expected a multiple of {n_params + 2})"
        )
    S, ST, V, _, _, _ = summaries(Y, n_params, quantiles=False)
    if squeeze:
        return S[:, 0], ST[:, 0], V[0]
    return S, ST, V


_PROBS = (0.05, 0.5, 0.95)


def summaries(
    Y: np.ndarray,
    n_params: int,
    *,
    quantiles: bool = True,
    block: int = 64,
    threads: int | None = None,
) -> tuple[np.ndarray, ...]:
    """Sobol indices, variances, quantiles, minimum and maximum of every column of Y.

    Works on blocks of columns copied as contiguous rows (cache-friendly), spread
    over threads for large ``Y`` (:func:`zan.allocate.batch_threads`; numpy releases
    the GIL, and each block is computed alone, so the numbers do not depend on the
    threads): the Sobol sums in double precision, the quantiles (5 %, 50 %, 95 %,
    linear interpolation as :func:`numpy.quantile`) from a single-precision sorted
    copy (relative error below 1e-7, clipped to the exact minimum and maximum).

    ``Y`` is a (K, n) array, or a :class:`zan.batch_stream.BatchColumns` whose blocks
    of columns are recomputed one at a time (the same numbers in bounded memory).
    """
    from .allocate import batch_threads

    K, n = Y.shape
    P = n_params
    N = K // (P + 2) if P else 0
    S = np.full((P, n), np.nan)
    ST = np.full((P, n), np.nan)
    V = np.zeros(n)
    Q = np.empty((len(_PROBS), n))
    pos = np.array([(K - 1) * p for p in _PROBS])
    lo = np.floor(pos).astype(np.int64)
    hi = np.ceil(pos).astype(np.int64)
    frac = pos - lo
    ymin = np.empty(n)
    ymax = np.empty(n)

    def run(c0: int, c1: int) -> None:
        # (b, K): a block of columns as contiguous rows (recomputed by a BatchColumns)
        Yb = (
            Y.block_t(slice(c0, c1))
            if hasattr(Y, "block_t")
            else np.ascontiguousarray(Y[:, c0:c1].T)
        )
        ymin[c0:c1] = Yb.min(axis=1)
        ymax[c0:c1] = Yb.max(axis=1)
        if P:
            m = Yb.mean(axis=1, keepdims=True)  # centred on the mean of every output
            A = Yb[:, :N] - m
            B = Yb[:, N : 2 * N] - m
            mean_ab = (A.sum(axis=1) + B.sum(axis=1)) / (2 * N)
            v = (np.einsum("ij,ij->i", A, A) + np.einsum("ij,ij->i", B, B)) / (2 * N) - mean_ab**2
            scale = np.maximum(np.abs(ymax[c0:c1]), np.abs(ymin[c0:c1]))
            const = v <= 1e-12 * np.maximum(scale, 1.0) ** 2
            den = np.where(const, np.nan, v)
            V[c0:c1] = np.where(const, 0.0, v)
            for i in range(P):
                d = Yb[:, (2 + i) * N : (3 + i) * N] - m - A  # f(A_B^(i)) - f(A)
                S[i, c0:c1] = np.einsum("ij,ij->i", B, d) / N / den
                ST[i, c0:c1] = 0.5 * np.einsum("ij,ij->i", d, d) / N / den
        if quantiles:
            srt = np.sort(Yb.astype(np.float32), axis=1)  # SIMD sort: faster than partitions
            q = srt[:, lo] + frac * (srt[:, hi].astype(np.float64) - srt[:, lo])
            Q[:, c0:c1] = np.clip(q.T, ymin[c0:c1], ymax[c0:c1])

    blocks = [(c0, min(c0 + block, n)) for c0 in range(0, n, block)]
    n_threads = min(batch_threads(K * n) if threads is None else max(1, threads), len(blocks))
    if n_threads <= 1:
        for c0, c1 in blocks:
            run(c0, c1)
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(n_threads, thread_name_prefix="zan-sobol") as pool:
            for f in [pool.submit(run, c0, c1) for c0, c1 in blocks]:
                f.result()
    return S, ST, V, Q, ymin, ymax
