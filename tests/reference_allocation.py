"""A straightforward pure-Python allocation, kept as the reference for tests and benchmark.

Deliberately written with plain lists and loops, and with a *different* algorithm
from :mod:`zan.allocate` (which runs a vectorised safeguarded Newton iteration): the
water-filling here walks the sorted breakpoints of ``λ ↦ Σ clamp(λ·w_i, f_i, c_i)``,
a piecewise linear function, until it reaches the envelope. Agreement of the two (to
1e-9 ha before rounding) is a real check, and ``scripts/bench_allocate.py`` measures
the speed-up of the batch path against it.
"""

from __future__ import annotations

import math


def blend(shares: list[list[float]], alpha: list[float]) -> list[float]:
    """Blended weights ``w_i = Σ_c alpha_c × shares[i][c]``."""
    out = []
    for row in shares:
        total = 0.0
        for a, s in zip(alpha, row, strict=True):
            total += a * s
        out.append(total)
    return out


def water_fill(
    weights: list[float], total: float, floors: list[float], caps: list[float]
) -> tuple[list[float], float]:
    """Exact ``clamp(λ·w_i, floor_i, cap_i)`` summing to ``total``, by sorted breakpoints.

    Assumes a feasible problem (Σ floor ≤ total ≤ Σ effective cap).
    """
    const = 0.0  # value of the bound territories on the current segment
    slope = 0.0  # Σ w of the free territories on the current segment
    events = []
    for w, f, c in zip(weights, floors, caps, strict=True):
        const += f
        if w > 0:
            events.append((f / w, w, -f))  # becomes free above f / w
            if not math.isinf(c):
                events.append((c / w, -w, c))  # capped above c / w
    events.sort()
    lam = 0.0
    prev = 0.0
    found = False
    for bp, dslope, dconst in events:
        value = const + slope * bp
        if value >= total:
            lam = (total - const) / slope if slope > 0 else prev
            found = True
            break
        const += dconst
        slope += dslope
        prev = bp
    if not found:
        lam = (total - const) / slope if slope > 0 else prev
    values = [min(max(lam * w, f), c) for w, f, c in zip(weights, floors, caps, strict=True)]
    return values, lam


def largest_remainder(
    values: list[float], total_units: int, resolution: float, floors: list[float], caps: list[float]
) -> list[int]:
    """Hamilton's method in units of ``resolution``, within floors and caps, ties by position."""
    eps = 1e-9
    lo = [max(math.ceil(f / resolution - eps), 0) for f in floors]
    hi = [math.floor(c / resolution + eps) if not math.isinf(c) else 2**42 for c in caps]
    units, rem = [], []
    for v, a, b in zip(values, lo, hi, strict=True):
        q = v / resolution
        base = math.floor(q + eps)
        rem.append(min(max(q - base, 0.0), 1.0))
        units.append(min(max(base, a), b))
    k = total_units - sum(units)
    order = sorted(range(len(values)), key=lambda i: (-rem[i], i))
    while k > 0:
        for i in order:
            if k == 0:
                break
            if units[i] < hi[i]:
                units[i] += 1
                rem[i] -= 1.0
                k -= 1
        order = sorted(range(len(values)), key=lambda i: (-rem[i], i))
    order = sorted(range(len(values)), key=lambda i: (rem[i], -i))
    while k < 0:
        for i in order:
            if k == 0:
                break
            if units[i] > lo[i]:
                units[i] -= 1
                rem[i] += 1.0
                k += 1
        order = sorted(range(len(values)), key=lambda i: (rem[i], -i))
    return units


def allocate_one(
    shares: list[list[float]],
    alpha: list[float],
    total: float,
    floors: list[float],
    caps: list[float],
) -> list[float]:
    """One scenario: blend the criteria's shares, then water-fill (no rounding)."""
    return water_fill(blend(shares, alpha), total, floors, caps)[0]
