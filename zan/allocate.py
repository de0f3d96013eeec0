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

This module gathers them from the modules that hold them:

- :mod:`zan.waterfill`: the multiplier λ within floors and caps (:func:`water_fill`);
- :mod:`zan.rounding`: exact rounding in integer units (:func:`round_to_resolution`);
- :mod:`zan.cascade`: one level or a cascade of levels (:func:`allocate`,
  :func:`allocate_cascade`);
- :mod:`zan.batch`: the batch path (:func:`allocate_batch`,
  :class:`~zan.batch.BatchProblem`);
- :mod:`zan.allocation`: the result (:class:`Allocation`: tables, totals, ``check``,
  ``explain``); its files are written by :mod:`zan.export` (:func:`write_allocation`).
"""

from __future__ import annotations

from .allocation import Allocation
from .batch import BatchAllocation, BatchProblem, allocate_batch
from .cascade import allocate, allocate_cascade
from .formatting import LEVEL_LABELS
from .garantie import garantie_floors
from .rounding import ROUNDING_METHODS, round_to_resolution
from .waterfill import WaterFill, batch_threads, water_fill

__all__ = [
    "WaterFill",
    "BatchAllocation",
    "BatchProblem",
    "Allocation",
    "water_fill",
    "round_to_resolution",
    "garantie_floors",
    "allocate",
    "allocate_cascade",
    "allocate_batch",
    "batch_threads",
    "ROUNDING_METHODS",
    "LEVEL_LABELS",
]
