"""The rule registry: name → a pure, vectorised rule function, and its checked evaluation.

A rule reads columns of a territory table (a ``DataFrame`` indexed by territory code)
and returns one non-negative number per row (see :mod:`zan.rules`). This module holds
the registry (:func:`register_rule`, :func:`get_rule`, :func:`rule_names`,
:func:`rule_parameters`), the front function :func:`evaluate_rule` (which checks every
result), and the helpers rules share to read their inputs with errors that name the
rule, the parameter and the fix (:func:`column_values`, :func:`check_rates`,
:func:`lookup_values`). The built-in rules are in :mod:`zan.rule_library`.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import pandas as pd

from .errors import ScenarioError

__all__ = [
    "REGISTRY",
    "Rule",
    "RuleKind",
    "register_rule",
    "get_rule",
    "rule_names",
    "rule_parameters",
    "evaluate_rule",
    "column_values",
    "check_rates",
    "lookup_values",
]

RuleKind = Literal["share", "target"]


@dataclass(frozen=True)
class Rule:
    """One entry of the rule registry.

    Attributes
    ----------
    name : str
        Registry name, used in scenario files (``rule = "indicator"``).
    func : callable
        ``func(data, **params) -> numpy.ndarray``.
    kind : {"share", "target"}
        Raw weights, or target hectares (rate rules).
    monotone : bool
        Raising a territory's input never lowers its weight (and, through the
        allocator, never lowers its envelope).
    modulable : bool
        Whether per-territory modulation coefficients may multiply its weights.
    label : str
        French label for reports and explanations.
    """

    name: str
    func: Callable[..., np.ndarray]
    kind: RuleKind
    monotone: bool
    modulable: bool
    label: str


#: The registered rules, name → :class:`Rule` (add one with :func:`register_rule`).
REGISTRY: dict[str, Rule] = {}


def register_rule(
    name: str,
    *,
    kind: RuleKind = "share",
    monotone: bool = True,
    modulable: bool = True,
    label: str | None = None,
) -> Callable[[Callable[..., np.ndarray]], Callable[..., np.ndarray]]:
    """Register a rule function under a name (decorator).

    Parameters
    ----------
    name : str
        Registry name; must not be taken.
    kind : {"share", "target"}, default "share"
    monotone : bool, default True
    modulable : bool, default True
    label : str, optional
        French label; default the name.

    Returns
    -------
    callable
        The decorator, which returns the function unchanged.

    Examples
    --------
    >>> @register_rule("surface_doc", label="surface (exemple)")
    ... def _surface(data):
    ...     return data["area_ha"].to_numpy(float)
    >>> "surface_doc" in rule_names()
    True
    >>> _ = REGISTRY.pop("surface_doc")
    """

    def deco(func: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
        if name in REGISTRY:
            raise ScenarioError(f"a rule named {name!r} is already registered; pick another name")
        if kind not in ("share", "target"):
            raise ScenarioError(f"rule kind must be 'share' or 'target' (got {kind!r})")
        REGISTRY[name] = Rule(name, func, kind, monotone, modulable, label or name)
        return func

    return deco


def rule_names() -> list[str]:
    """List the registered rule names.

    Examples
    --------
    >>> rule_names()[:4]
    ['blend', 'convergence', 'efficiency', 'fixed_rates']
    """
    return sorted(REGISTRY)


def get_rule(name: str) -> Rule:
    """Return the registry entry of a rule.

    Raises
    ------
    ScenarioError
        Unknown name; the message lists the valid ones.

    Examples
    --------
    >>> get_rule("indicator").kind
    'share'
    """
    try:
        return REGISTRY[name]
    except (KeyError, TypeError):
        raise ScenarioError(
            f"unknown rule {name!r}; valid rules: {', '.join(rule_names())}"
        ) from None


def rule_parameters(name: str) -> dict[str, inspect.Parameter]:
    """Return the keyword parameters a rule accepts (name → ``inspect.Parameter``).

    Examples
    --------
    >>> list(rule_parameters("growth"))
    ['start', 'end', 'relative']
    """
    sig = inspect.signature(get_rule(name).func)
    return {p.name: p for p in list(sig.parameters.values())[1:] if p.kind is p.KEYWORD_ONLY}


def evaluate_rule(name: str, data: pd.DataFrame, /, **params: Any) -> np.ndarray:
    """Evaluate a rule on a territory table and check its output.

    Parameters
    ----------
    name : str
        Registry name (see :func:`rule_names`).
    data : pandas.DataFrame
        Territory table indexed by code.
    **params
        The rule's keyword parameters (see :func:`rule_parameters`).

    Returns
    -------
    numpy.ndarray
        float64, one non-negative finite value per row, not all zero.

    Raises
    ------
    ScenarioError
        Unknown rule or parameter, missing column, invalid values, or a result with no
        weight anywhere.

    Examples
    --------
    >>> t = pd.DataFrame({"population": [100, 300]}, index=["a", "b"])
    >>> evaluate_rule("indicator", t, column="population")
    array([100., 300.])
    """
    rule = get_rule(name)
    valid = rule_parameters(name)
    unknown = sorted(set(params) - set(valid))
    if unknown:
        raise ScenarioError(
            f"rule {name!r}: unknown parameter {unknown[0]!r}; valid parameters: "
            f"{', '.join(valid) or '(none)'}"
        )
    out = np.asarray(rule.func(data, **params), dtype=np.float64)
    if out.shape != (len(data),):
        raise ScenarioError(f"rule {name!r} returned shape {out.shape}, expected ({len(data)},)")
    bad = ~np.isfinite(out) | (out < 0)
    if bad.any():
        codes = ", ".join(map(str, data.index[bad][:5]))
        raise ScenarioError(
            f"rule {name!r} gives negative or undefined weights for {int(bad.sum())} "
            f"territories ({codes}); check the columns it reads"
        )
    if len(out) and not (out > 0).any():
        raise ScenarioError(
            f"rule {name!r} gives a zero weight to every territory; "
            "check its columns and parameters"
        )
    return out


# ----------------------------------------------------------------------------- helpers
def column_values(
    data: pd.DataFrame, column: str, *, rule: str, param: str, allow_negative: bool = False
) -> np.ndarray:
    """Read a numeric column as float64, with errors naming the parameter and the fix."""
    if column not in data.columns:
        cols = ", ".join(map(str, data.columns))
        raise ScenarioError(
            f"rule {rule!r}: column {column!r} (parameter {param!r}) not found in the "
            f"territory table (columns: {cols}); set {param!r} to one of them"
        )
    values = np.array(
        pd.to_numeric(data[column], errors="coerce").to_numpy(dtype=np.float64, na_value=np.nan)
    )
    missing = np.isnan(values)
    if missing.any():
        codes = ", ".join(map(str, data.index[missing][:5]))
        raise ScenarioError(
            f"rule {rule!r}: column {column!r} has {int(missing.sum())} missing or "
            f"non-numeric values (territories {codes}); fill them in the data"
        )
    if not allow_negative and (values < 0).any():
        codes = ", ".join(map(str, data.index[values < 0][:5]))
        raise ScenarioError(
            f"rule {rule!r}: column {column!r} has negative values (territories {codes}); "
            "a weight column must be >= 0"
        )
    return values


def check_rates(rates: np.ndarray, codes: pd.Index, *, rule: str, source: str) -> None:
    """Raise a ScenarioError naming the first reduction rate outside [0, 1] and its territory."""
    bad = ~np.isfinite(rates) | (rates < 0) | (rates > 1)
    if bad.any():
        first = codes[bad][0]
        raise ScenarioError(
            f"rule {rule!r}: {source} holds reduction rates outside [0, 1] "
            f"(e.g. {first}: {float(rates[bad][0])!r}); write 0.5 for a 50 % reduction "
            "(or 50 with percent = true)"
        )


def lookup_values(
    keys: pd.Index | np.ndarray,
    mapping: Mapping[str, float],
    *,
    default: float | None,
    rule: str,
    what: str,
) -> np.ndarray:
    """Vectorised lookup of ``mapping`` at ``keys`` (as str), ``default`` for the rest."""
    series = pd.Series({str(k): float(v) for k, v in mapping.items()}, dtype="float64")
    keys_str = pd.Index(np.asarray(keys, dtype=object).astype(str))
    out = np.array(series.reindex(keys_str).to_numpy(dtype=np.float64, na_value=np.nan))
    missing = np.isnan(out)
    if missing.any():
        if default is None:
            absent = ", ".join(sorted(set(keys_str[missing]))[:8])
            raise ScenarioError(
                f"rule {rule!r}: no value for {int(missing.sum())} {what} ({absent}); "
                "add them or set 'default'"
            )
        out[missing] = float(default)
    return out
