"""The batch path in bounded memory: streamed results equal the dense ones, memory bounded."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pandas as pd
import pytest

from zan.batch import BatchProblem
from zan.batch_stream import BatchColumns, stream_batch
from zan.datasets import scenario_path
from zan.errors import InfeasibleError
from zan.rounding import NO_CAP_UNITS
from zan.sensitivity import prepare, sensitivity_analysis
from zan.sobol import summaries


@pytest.fixture(scope="module")
def prep02():
    return prepare(scenario_path("02_consommation_population"))


def synthetic_problem(n: int, *, seed: int = 0, caps: bool = True) -> BatchProblem:
    """A single-level batch problem of n territories, 3 criteria, floors and some caps."""
    rng = np.random.default_rng(seed)
    raw = rng.lognormal(0.0, 1.0, (n, 3))
    shares = raw / raw.sum(axis=0)
    ref = rng.lognormal(3.0, 1.0, n)
    lo = np.ceil(rng.uniform(0, 1.0, n) * 100).astype(np.int64)  # floors up to 1 ha
    hi = np.full(n, NO_CAP_UNITS)
    if caps:
        hi[::7] = np.maximum(
            lo[::7], np.floor(ref[::7] * 50).astype(np.int64)
        )  # half the reference on some
    return BatchProblem(
        codes=pd.Index([f"{i:05d}" for i in range(n)]),
        order=np.arange(n),
        names=np.array([f"T{i}" for i in range(n)]),
        reference_ha=ref,
        shares=np.ascontiguousarray(shares),
        criteria_names=("a", "b", "c"),
        base_weights=np.ones(3) / 3,
        floor_units=lo,
        cap_units=hi,
        garantie_ha=np.zeros(n),
        distributed_ha=float(ref.sum() * 0.5),
        resolution=0.01,
        rounding="largest_remainder",
    )


def blends(K: int, seed: int = 1) -> np.ndarray:
    A = np.random.default_rng(seed).uniform(0.1, 1.0, (K, 3))
    return A / A.sum(axis=1, keepdims=True)


@pytest.mark.parametrize("rounded", [False, True])
def test_streamed_values_equal_the_dense_batch(rounded):
    p = synthetic_problem(500)
    A = blends(300)
    E = p.envelopes(np.linspace(0.8, 1.0, 300) * p.envelope_ha)
    dense = p.run(A, E, rounded=rounded)
    cols = stream_batch(p, A, E, rounded=rounded, budget_bytes=500 * 8 * 12 * 7)  # 7 rows
    want = dense.rounded_ha if rounded else dense.values
    assert isinstance(cols, BatchColumns) and cols.shape == want.shape == (300, 500)
    assert np.array_equal(np.asarray(cols), want)  # bit for bit
    rows, c = np.array([3, 299, 10]), np.array([499, 0, 42])
    assert np.array_equal(cols[np.ix_(rows, c)], want[np.ix_(rows, c)])
    assert np.array_equal(cols.block_t(slice(40, 90)), want[:, 40:90].T)
    # the summaries computed block by block from the multipliers are the dense ones
    for a, b in zip(summaries(want, 1, block=64), summaries(cols, 1, block=64), strict=True):
        assert np.array_equal(a, b, equal_nan=True)


def test_streamed_error_names_the_row():
    p = synthetic_problem(50, caps=False)
    A = blends(40)
    E = np.full(40, p.envelope_ha)
    E[33] = 0.5 * p.floors.sum()  # below the floors
    with pytest.raises(InfeasibleError, match="^row 33: "):
        stream_batch(p, A, E, budget_bytes=50 * 8 * 12 * 4)


@pytest.mark.parametrize("rounded", [False, True])
def test_sensitivity_streamed_equals_dense(prep02, rounded):
    ranges = {
        "weights.population": (0.3, 0.7),
        "envelope.reduction": (0.45, 0.55),
        "floors.ha_per_commune": (0.5, 1.5),
        "caps.share_of_reference": (0.9, 2.0),
    }
    dense = sensitivity_analysis(prep02, samples=600, ranges=ranges, rounded=rounded, stream=False)
    streamed = sensitivity_analysis(
        prep02, samples=600, ranges=ranges, rounded=rounded, stream=True
    )
    assert isinstance(streamed.values, BatchColumns) and isinstance(dense.values, np.ndarray)
    assert np.array_equal(np.asarray(streamed.values), dense.values)
    for name in ("intervals", "first_order", "total", "indices"):
        pd.testing.assert_frame_equal(getattr(streamed, name), getattr(dense, name), rtol=0, atol=0)
    assert streamed.intervals["width90_ha"].gt(0).any()
    assert len(streamed.plot(max_territories=5).axes) == 1  # the strip reads rows on demand


def test_streamed_memory_is_bounded_by_the_chunk():
    """Peak traced memory of a 4,000 × 6,000 batch and its summaries: a fraction of K × n."""
    n, K = 6_000, 4_000  # dense values alone: 192 MB
    p = synthetic_problem(n, seed=3)
    A = blends(K, seed=4)
    tracemalloc.start()
    try:
        cols = stream_batch(p, A, budget_bytes=16 * 2**20, threads=1)
        out = summaries(cols, 2, block=64, threads=1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    dense_bytes = K * n * 8
    assert peak < 0.25 * dense_bytes, f"peak {peak / 2**20:.0f} MiB"
    # and the numbers are those of the dense batch on a few columns
    want = p.run(A[:, :], rounded=False).values[:, :64]
    assert np.array_equal(out[4][:64], want.min(axis=0))
    assert np.array_equal(out[5][:64], want.max(axis=0))


def test_sensitivity_streams_above_the_threshold(prep02, monkeypatch):
    import zan.sensitivity as sensitivity

    small = sensitivity_analysis(prep02, samples=64)
    assert isinstance(small.values, np.ndarray)
    monkeypatch.setattr(sensitivity, "STREAM_MIN_VALUES", 10)
    big = sensitivity_analysis(prep02, samples=64)
    assert isinstance(big.values, BatchColumns)
    pd.testing.assert_frame_equal(big.intervals, small.intervals, rtol=0, atol=0)


@pytest.mark.parametrize(("d", "m", "seed"), [(1, 5, 7), (2, 3, 1), (10, 12, 2154), (14, 10, 3)])
def test_sobol_points_are_scipys(d, m, seed):
    from scipy.stats import qmc

    from zan.sobol import sobol_points

    want = qmc.Sobol(d=d, scramble=True, seed=seed).random_base2(m)
    assert np.array_equal(sobol_points(d, m, seed=seed), want)


def test_design_without_scipy_stats():
    import subprocess
    import sys

    code = (
        "import sys; from zan.sobol import saltelli_design; "
        "from zan.scenario_model import DistributionConfig as D; "
        "X = saltelli_design([D(min=0, max=1), D(min=1, max=2)], 64, seed=1); "
        "print(X.shape, 'scipy.stats' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["(256,", "2)", "False"]
