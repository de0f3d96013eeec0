"""Criteria: a rule with its weight, parameters and modulation, and their weighted matrix.

A :class:`Criterion` names a registered rule (:mod:`zan.rule_registry`), its weight in
the blend, its parameters and an optional :class:`Modulation` (coefficients per
territory, e.g. ×1.1 for poles); :func:`criterion_values` evaluates one,
:func:`criteria_matrix` all of them as shares, and :func:`criteria_weights` checks the
weights (DOMAIN.md §5).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .errors import ScenarioError
from .rule_registry import evaluate_rule, get_rule, lookup_values

__all__ = [
    "Modulation",
    "Criterion",
    "CriteriaMatrix",
    "modulation_coefficients",
    "criteria_weights",
    "criterion_values",
    "criteria_matrix",
]


@dataclass(frozen=True)
class Modulation:
    """Modulation coefficients per territory (e.g. ×1.1 for poles).

    Attributes
    ----------
    column : str or None
        Class column; ``values`` maps its classes to coefficients.
    values : mapping
        Class → coefficient.
    codes : mapping
        Territory code → coefficient (applied after the classes).
    default : float
        Coefficient of the others.
    """

    column: str | None = None
    values: Mapping[str, float] = field(default_factory=dict)
    codes: Mapping[str, float] = field(default_factory=dict)
    default: float = 1.0


def modulation_coefficients(
    data: pd.DataFrame,
    *,
    column: str | None = None,
    values: Mapping[str, float] | None = None,
    codes: Mapping[str, float] | None = None,
    default: float = 1.0,
) -> np.ndarray:
    """Per-territory coefficients from a class column and/or a code mapping.

    Parameters
    ----------
    data : pandas.DataFrame
    column : str, optional
        Class column read with ``values``.
    values : mapping, optional
        Class → coefficient.
    codes : mapping, optional
        Territory code → coefficient; overrides the class coefficient.
    default : float, default 1.0

    Returns
    -------
    numpy.ndarray
        Coefficients (>= 0).

    Examples
    --------
    >>> t = pd.DataFrame({"armature": ["pole", "rural"]}, index=["a", "b"])
    >>> modulation_coefficients(t, column="armature", values={"pole": 1.1})
    array([1.1, 1. ])
    """
    out = np.full(len(data), float(default))
    if column is not None:
        if column not in data.columns:
            raise ScenarioError(
                f"modulation: column {column!r} not found in the territory table "
                f"(columns: {', '.join(map(str, data.columns))})"
            )
        out = lookup_values(
            data[column].astype(str).to_numpy(),
            values or {},
            default=float(default),
            rule="modulation",
            what="classes",
        )
    if codes:
        unknown = sorted(set(map(str, codes)) - set(map(str, data.index)))
        if unknown:
            raise ScenarioError(
                f"modulation: codes not among the territories ({', '.join(unknown[:8])}); "
                "check the codes and the level"
            )
        override = lookup_values(data.index, codes, default=np.nan, rule="modulation", what="codes")
        out = np.where(np.isnan(override), out, override)
    if not np.isfinite(out).all() or (out < 0).any():
        raise ScenarioError("modulation: coefficients must be finite and >= 0")
    return out


@dataclass(frozen=True)
class Criterion:
    """A rule with its weight in the blend and its parameters.

    Attributes
    ----------
    rule : str
        Registry name.
    weight : float
        Weight in the blend (weights sum to 1 unless normalised).
    params : mapping
        Keyword parameters of the rule.
    name : str or None
        Name of the criterion, giving the ``<name>_ha`` column; default the rule name.
    modulation : Modulation or None
        Coefficients multiplying the rule's weights (modulable rules only).
    """

    rule: str
    weight: float = 1.0
    params: Mapping[str, Any] = field(default_factory=dict)
    name: str | None = None
    modulation: Modulation | None = None

    @property
    def key(self) -> str:
        """Name of the criterion (column ``<key>_ha``)."""
        return self.name or self.rule


@dataclass(frozen=True)
class CriteriaMatrix:
    """Criteria evaluated on a territory table.

    Attributes
    ----------
    names : tuple of str
        Criterion names, in order.
    weights : numpy.ndarray
        Blend weights (C,), summing to 1.
    shares : numpy.ndarray
        (n, C): each criterion's shares (columns sum to 1), or target hectares when
        ``scaled`` is False.
    kinds : tuple of str
        Each rule's kind.
    labels : tuple of str
        French labels.
    scaled : bool
        Whether columns are shares (True) or raw targets in ha (False).
    """

    names: tuple[str, ...]
    weights: np.ndarray
    shares: np.ndarray
    kinds: tuple[str, ...]
    labels: tuple[str, ...]
    scaled: bool = True

    def blended(self) -> np.ndarray:
        """Blended weights ``Σ_c weight_c × shares[:, c]`` (column by column, in order)."""
        out = np.zeros(self.shares.shape[0])
        for c in range(self.shares.shape[1]):
            out += self.weights[c] * self.shares[:, c]
        return out


def criteria_weights(criteria: Sequence[Criterion], *, normalise: bool = False) -> np.ndarray:
    """The criteria's weights, checked: names unique, finite, >= 0, summing to 1.

    Parameters
    ----------
    criteria : sequence of Criterion
    normalise : bool, default False
        Rescale the weights to sum to 1; otherwise they must (within 1e-9).

    Returns
    -------
    numpy.ndarray

    Raises
    ------
    ScenarioError
        No criteria, a name used twice, a negative or missing weight, all weights
        zero, or (without ``normalise``) weights not summing to 1.

    Examples
    --------
    >>> criteria_weights([Criterion("uniform", 1), Criterion("past_consumption", 3)],
    ...                  normalise=True)
    array([0.25, 0.75])
    """
    if not criteria:
        raise ScenarioError("no criteria given; add at least one (e.g. rule 'uniform')")
    names = [c.key for c in criteria]
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise ScenarioError(
            f"criterion name {dup[0]!r} is used twice; give each criterion its own 'name'"
        )
    w = np.array([float(c.weight) for c in criteria])
    if not np.isfinite(w).all() or (w < 0).any():
        raise ScenarioError(f"criteria weights must be >= 0 (got {w.tolist()})")
    if normalise:
        if w.sum() <= 0:
            raise ScenarioError("criteria weights are all zero; give at least one a weight")
        return w / w.sum()
    if abs(w.sum() - 1.0) > 1e-9:
        raise ScenarioError(
            f"criteria weights sum to {w.sum():.6g}, not 1 ({', '.join(f'{x:g}' for x in w)}); "
            "fix them or set normalise = true"
        )
    return w


def criterion_values(
    crit: Criterion, data: pd.DataFrame, *, strict_codes: bool = True
) -> np.ndarray:
    """Raw values of one criterion on a territory table: its rule times its modulation.

    Parameters
    ----------
    crit : Criterion
    data : pandas.DataFrame
        Territory table indexed by code.
    strict_codes : bool, default True
        A modulation code absent from ``data`` is an error; False ignores it (a
        cascade's lower level holds only some of the codes).

    Returns
    -------
    numpy.ndarray
        One value per row of ``data`` (not normalised).

    Raises
    ------
    ScenarioError
        Modulation of a rule whose rates are given, a modulation leaving no weight,
        or any rule error.

    Examples
    --------
    >>> t = pd.DataFrame({"population": [3, 1]}, index=["a", "b"])
    >>> criterion_values(Criterion("indicator", 1, {"column": "population"}), t).tolist()
    [3.0, 1.0]
    """
    rule = get_rule(crit.rule)
    raw = evaluate_rule(crit.rule, data, **dict(crit.params))
    if crit.modulation is None:
        return raw
    if not rule.modulable:
        raise ScenarioError(
            f"criterion {crit.key!r}: rule {crit.rule!r} does not allow modulation "
            "(its rates are given); remove 'modulation'"
        )
    m = crit.modulation
    codes = m.codes
    if codes and not strict_codes:
        known = set(map(str, data.index))
        codes = {k: v for k, v in codes.items() if str(k) in known}
    raw = raw * modulation_coefficients(
        data, column=m.column, values=m.values, codes=codes, default=m.default
    )
    if not (raw > 0).any():
        raise ScenarioError(f"criterion {crit.key!r}: the modulation leaves no weight anywhere")
    return raw


def criteria_matrix(
    data: pd.DataFrame,
    criteria: Sequence[Criterion],
    *,
    normalise: bool = False,
    scale_targets: bool = True,
) -> CriteriaMatrix:
    """Evaluate weighted criteria on a territory table.

    Parameters
    ----------
    data : pandas.DataFrame
        Territory table indexed by code.
    criteria : sequence of Criterion
    normalise : bool, default False
        Rescale the weights to sum to 1; otherwise they must (within 1e-9).
    scale_targets : bool, default True
        When False, every criterion must be a target rule and the matrix holds target
        hectares instead of shares.

    Returns
    -------
    CriteriaMatrix

    Raises
    ------
    ScenarioError
        No criteria, duplicate names, negative weights, weights not summing to 1,
        modulation on a rule that does not allow it, or any rule error.

    Examples
    --------
    >>> t = pd.DataFrame({"reference_ha": [1.0, 3.0], "population": [3, 1]})
    >>> m = criteria_matrix(t, [Criterion("past_consumption", 0.5),
    ...                         Criterion("indicator", 0.5, {"column": "population"})])
    >>> m.blended()
    array([0.5, 0.5])
    """
    names = [c.key for c in criteria]
    w = criteria_weights(criteria, normalise=normalise)
    cols, kinds, labels = [], [], []
    for crit in criteria:
        rule = get_rule(crit.rule)
        raw = criterion_values(crit, data)
        if scale_targets:
            raw = raw / raw.sum()
        elif rule.kind != "target":
            raise ScenarioError(
                f"criterion {crit.key!r}: rule {crit.rule!r} gives shares, not target "
                "hectares; targets can be kept unscaled only with rate rules "
                "(uniform, fixed_rates, profiles)"
            )
        cols.append(raw)
        kinds.append(rule.kind)
        labels.append(rule.label)
    shares = np.column_stack(cols) if cols else np.zeros((len(data), 0))
    return CriteriaMatrix(tuple(names), w, shares, tuple(kinds), tuple(labels), scale_targets)
