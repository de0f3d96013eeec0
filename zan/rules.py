"""Allocation rules: a registry of pure, vectorised functions, name → implementation.

A rule reads columns of a territory table (a ``DataFrame`` indexed by territory code, one
row per territory of the allocation level, with ``reference_ha`` for the reference
consumption and indicator columns such as ``population``) and returns a numpy array of
non-negative numbers, one per row:

- **share rules** return raw weights; the allocator turns them into shares
  (``w / w.sum()``) and scales them to the envelope;
- **target rules** (``uniform``, ``fixed_rates``, ``profiles``) return target hectares,
  ``reference × (1 − rate)``, as SRADDETs publish them; they are shares too once
  normalised, or can be taken as they are (``scale_targets=False`` in
  :func:`zan.allocate.allocate`).

The criteria come from the territorialisation criteria of art. R.4251-3 CGCT (décrets
2022-762 and 2023-1097; DOMAIN.md §1): past consumption ("grandfathering"), population,
households, jobs and their growth, efficiency already achieved (households + jobs
accommodated per hectare consumed), territorial armature, coastal or rural status; blends
of grandfathering and per-capita shares and *contraction and convergence* follow the
budget-sharing literature (Raupach et al., Nature Climate Change, 2014; DOMAIN.md §5).

Use :func:`evaluate_rule` (the front function) or :func:`criteria_matrix` for a weighted
list of :class:`Criterion`; :func:`rule_names` lists the registry, and an unknown name
raises an error listing the valid ones.

The rules are split in three modules, all re-exported here: :mod:`zan.rule_registry`
(the registry and :func:`evaluate_rule`), :mod:`zan.rule_library` (the built-in rules)
and :mod:`zan.criteria` (:class:`Criterion`, :func:`criteria_matrix`).
"""

from __future__ import annotations

from .criteria import (
    CriteriaMatrix,
    Criterion,
    Modulation,
    criteria_matrix,
    criteria_weights,
    criterion_values,
    modulation_coefficients,
)
from .rule_library import (
    blend,
    convergence,
    convergence_factor,
    efficiency,
    fixed_rates,
    growth,
    indicator,
    past_consumption,
    profiles,
    uniform,
)
from .rule_registry import (
    REGISTRY,
    Rule,
    evaluate_rule,
    get_rule,
    register_rule,
    rule_names,
    rule_parameters,
)

__all__ = [
    "Rule",
    "Criterion",
    "Modulation",
    "CriteriaMatrix",
    "register_rule",
    "get_rule",
    "rule_names",
    "rule_parameters",
    "evaluate_rule",
    "modulation_coefficients",
    "criteria_matrix",
    "criteria_weights",
    "criterion_values",
    "convergence_factor",
    "uniform",
    "past_consumption",
    "indicator",
    "growth",
    "efficiency",
    "fixed_rates",
    "profiles",
    "blend",
    "convergence",
]

#: The registry itself (:data:`zan.rule_registry.REGISTRY`), under its former name.
_REGISTRY = REGISTRY
