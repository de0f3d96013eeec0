"""Hypothesis strategies for allocation tests: random territories, weights and bounds."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
from hypothesis import strategies as st


@dataclass(frozen=True)
class Problem:
    """A feasible allocation problem on ``n`` territories."""

    codes: list[str]
    weights: np.ndarray
    floors: np.ndarray
    caps: np.ndarray
    total: float

    def table(self) -> pd.DataFrame:
        """Territory table: the weights as a ``poids`` column, plus names and reference."""
        return pd.DataFrame(
            {
                "nom": [f"T{c}" for c in self.codes],
                "reference_ha": self.weights * 3.0 + 1.0,
                "poids": self.weights,
            },
            index=pd.Index(self.codes, name="code"),
        )


codes_st = st.integers(min_value=1000, max_value=99999).map(lambda i: f"{i:05d}")

weight_st = st.one_of(
    st.just(0.0),
    st.floats(min_value=1e-3, max_value=1e4, allow_nan=False, allow_infinity=False),
    st.integers(min_value=1, max_value=50).map(float),  # repeated values make ties
)


@st.composite
def problems(draw, min_size: int = 1, max_size: int = 30, bounds: bool = True) -> Problem:
    """Random feasible problems: weights >= 0 (one > 0), floors, caps, total.

    Floors and caps are multiples of 0.01 ha (as the garantie communale is), so every
    problem is feasible at the default resolution too.
    """
    n = draw(st.integers(min_value=min_size, max_value=max_size))
    codes = draw(st.lists(codes_st, min_size=n, max_size=n, unique=True))
    w = np.array(draw(st.lists(weight_st, min_size=n, max_size=n)))
    if not (w > 0).any():
        w[draw(st.integers(0, n - 1))] = draw(st.floats(0.5, 100.0))
    if bounds:
        floors = np.array(
            draw(st.lists(st.sampled_from([0.0, 0.0, 0.5, 1.0, 2.0, 3.75]), min_size=n, max_size=n))
        )
        extra = np.array(
            draw(
                st.lists(
                    st.one_of(st.just(np.inf), st.integers(0, 5000).map(lambda k: k / 100)),
                    min_size=n,
                    max_size=n,
                )
            )
        )
        caps = floors + extra
    else:
        floors, caps = np.zeros(n), np.full(n, np.inf)
    eff_caps = np.where(w > 0, caps, floors)
    lo, hi = floors.sum(), eff_caps.sum()
    if np.isinf(hi):
        hi = lo + 10_000.0
    frac = draw(st.floats(min_value=0.0, max_value=1.0))
    total = round(lo + frac * (hi - lo), 2)
    total = min(max(total, lo), hi)
    return Problem(codes, w, floors, caps, float(total))
