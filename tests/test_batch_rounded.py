"""The rounded batch does not keep the exact values while it runs: same results as before.

Since the rounded batch gives its exact values back on demand (from the multipliers,
:func:`zan.waterfill.refill_rows`), every row must still equal the one-at-a-time path
(:func:`zan.allocate.water_fill` then :func:`zan.allocate.round_to_resolution`) and the
unrounded batch, bit for bit, on the edge cases of the rounding: ties, zero envelopes,
floors on the grid, zero weights and binding caps.
"""

from __future__ import annotations

import numpy as np
import pytest

from zan.allocate import allocate_batch, round_to_resolution, water_fill
from zan.waterfill import refill_rows, water_fill_rows


def _cases():
    rng = np.random.default_rng(5)
    n = 40
    yield "ties", np.ones((6, n)), np.array([10.0, 10.01, 9.99, 0.4, 0.39, 1.0]), 0.0, np.inf
    # equal weights and floors exactly on the grid, some binding
    floors = np.where(np.arange(n) % 3 == 0, 0.25, 0.0)
    yield "floors on the grid", np.ones((4, n)), np.array([3.5, 10.0, 3.51, 50.0]), floors, np.inf
    # zero envelope: every territory at 0
    yield "zero envelope", rng.lognormal(size=(3, n)), np.zeros(3), 0.0, np.inf
    # rows with zero weights here and there, caps binding
    W = rng.lognormal(size=(9, n)) * (rng.random((9, n)) > 0.3)
    W[2] = 0.0  # no weight anywhere: the floors only
    caps = np.where(np.arange(n) % 4 == 0, 0.5, np.inf)
    floors = np.where(np.arange(n) % 5 == 0, 0.12, 0.0)
    E = np.r_[rng.uniform(5, 15, 2), floors.sum(), rng.uniform(5, 15, 6)]
    yield "zero weights, caps", W, E, floors, caps
    # many equal remainders: quotas of 1/3 unit
    yield "thirds", np.ones((2, 30)), np.array([0.1, 0.2]), 0.0, np.inf


@pytest.mark.parametrize("case", list(_cases()), ids=lambda c: c[0])
def test_rounded_batch_equals_one_at_a_time(case):
    _, W, E, floors, caps = case
    n = W.shape[1]
    F = np.broadcast_to(np.asarray(floors, dtype=float), (n,))
    C = np.broadcast_to(np.asarray(caps, dtype=float), (n,))
    b = allocate_batch(W, E, floors=F, caps=C, resolution=0.01, chunk_rows=4, threads=2)
    exact = allocate_batch(W, E, floors=F, caps=C, resolution=None, chunk_rows=4)
    assert np.array_equal(b.multipliers, exact.multipliers)
    assert np.array_equal(b.values, exact.values)  # given back from the multipliers
    for r in range(W.shape[0]):
        one = water_fill(W[r], E[r], floors=F, caps=C)
        assert np.array_equal(b.values[r], one.values)
        rounded = round_to_resolution(one.values, E[r], floors=F, caps=C)
        assert np.array_equal(b.units[r], np.rint(rounded / 0.01).astype(np.int64))
        assert b.units[r].sum() == np.floor(E[r] / 0.01 + 1e-6)


def test_rounded_batch_blend_values_on_demand():
    rng = np.random.default_rng(9)
    raw = rng.lognormal(size=(120, 3))
    shares = raw / raw.sum(axis=0)
    blend = rng.dirichlet(np.ones(3), 37)
    floors, caps = np.full(120, 0.5), np.maximum(raw[:, 0] * 3, 1.0)
    args = dict(blend=blend, floors=floors, caps=caps, chunk_rows=5)
    b = allocate_batch(shares, 150.0, resolution=0.01, **args)
    exact = allocate_batch(shares, 150.0, resolution=None, **args)
    assert b.values is b.values  # computed once, then kept
    assert np.array_equal(b.values, exact.values)
    assert np.array_equal(b.to_frame(rounded=False).to_numpy(), exact.values)


def test_refill_rows_gives_the_kept_values():
    rng = np.random.default_rng(2)
    W = rng.lognormal(size=(50, 80)) * (rng.random((50, 80)) > 0.2)
    F = np.where(rng.random((50, 80)) > 0.7, 0.3, 0.0)  # (K, n) floors
    C = np.where(rng.random(80) > 0.6, 1.5, np.inf)
    E = rng.uniform(20, 40, 50)
    X, lam, _ = water_fill_rows(W, E, F, C, chunk_rows=8)
    none, lam2, _ = water_fill_rows(W, E, F, C, chunk_rows=8, keep=False)
    assert none is None and np.array_equal(lam, lam2)
    assert np.array_equal(refill_rows(W, lam, F, C, chunk_rows=7), X)


def test_output_array_small_pages_for_large_outputs():
    import mmap

    from zan.waterfill import SMALL_PAGES_MIN_BYTES, output_array

    small = output_array((10, 4), np.int64)
    assert small.shape == (10, 4) and small.dtype == np.int64
    rows = SMALL_PAGES_MIN_BYTES // (8 * 1000) + 1
    big = output_array((rows, 1000))
    assert big.shape == (rows, 1000) and big.dtype == np.float64 and big.flags.writeable
    base = big
    while isinstance(base, np.ndarray):
        base = base.base
    if isinstance(base, memoryview):
        base = base.obj
    assert isinstance(base, mmap.mmap)  # not numpy's allocation (huge pages)
    big[-1] = 2.5
    assert big[-1].sum() == 2500.0
