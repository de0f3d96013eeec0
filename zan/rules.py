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
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from .errors import ScenarioError

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


_REGISTRY: dict[str, Rule] = {}


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
    >>> _ = _REGISTRY.pop("surface_doc")
    """

    def deco(func: Callable[..., np.ndarray]) -> Callable[..., np.ndarray]:
        if name in _REGISTRY:
            raise ScenarioError(f"a rule named {name!r} is already registered; pick another name")
        if kind not in ("share", "target"):
            raise ScenarioError(f"rule kind must be 'share' or 'target' (got {kind!r})")
        _REGISTRY[name] = Rule(name, func, kind, monotone, modulable, label or name)
        return func

    return deco


def rule_names() -> list[str]:
    """List the registered rule names.

    Examples
    --------
    >>> rule_names()[:4]
    ['blend', 'convergence', 'efficiency', 'fixed_rates']
    """
    return sorted(_REGISTRY)


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
        return _REGISTRY[name]
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
def _column(
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


def _check_rates(rates: np.ndarray, codes: pd.Index, *, rule: str, source: str) -> None:
    bad = ~np.isfinite(rates) | (rates < 0) | (rates > 1)
    if bad.any():
        first = codes[bad][0]
        raise ScenarioError(
            f"rule {rule!r}: {source} holds reduction rates outside [0, 1] "
            f"(e.g. {first}: {float(rates[bad][0])!r}); write 0.5 for a 50 % reduction "
            "(or 50 with percent = true)"
        )


def _lookup(
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


# ----------------------------------------------------------------------------- rules
@register_rule("uniform", kind="target", modulable=False, label="réduction uniforme")
def uniform(
    data: pd.DataFrame, *, reference: str = "reference_ha", reduction: float | None = None
) -> np.ndarray:
    """Same reduction everywhere: target = reference × (1 − reduction).

    Without ``reduction`` the region's own effort applies (the targets are scaled to the
    envelope), so every territory ends with the same reduction rate.

    Parameters
    ----------
    data : pandas.DataFrame
    reference : str, default "reference_ha"
        Column of reference consumption (ha).
    reduction : float, optional
        Rate in [0, 1]; matters only when targets are not scaled to the envelope.

    Returns
    -------
    numpy.ndarray
        Target hectares.

    Examples
    --------
    >>> t = pd.DataFrame({"reference_ha": [10.0, 30.0]})
    >>> uniform(t, reduction=0.5)
    array([ 5., 15.])
    """
    ref = _column(data, reference, rule="uniform", param="reference")
    if reduction is None:
        return ref
    if not 0.0 <= float(reduction) <= 1.0:
        raise ScenarioError(
            f"rule 'uniform': 'reduction' must be between 0 and 1 (got {reduction!r}); "
            "write 0.5 for a 50 % reduction"
        )
    return ref * (1.0 - float(reduction))


@register_rule("past_consumption", label="consommation passée")
def past_consumption(data: pd.DataFrame, *, column: str = "reference_ha") -> np.ndarray:
    """Grandfathering: weight = past consumption (ha).

    Examples
    --------
    >>> past_consumption(pd.DataFrame({"reference_ha": [2.0, 6.0]}))
    array([2., 6.])
    """
    return _column(data, column, rule="past_consumption", param="column")


@register_rule("indicator", label="indicateur")
def indicator(data: pd.DataFrame, *, column: str) -> np.ndarray:
    """Share of any indicator: population, households, jobs, area...

    Parameters
    ----------
    data : pandas.DataFrame
    column : str
        Column read as weights (>= 0).

    Examples
    --------
    >>> indicator(pd.DataFrame({"emplois": [50, 150]}), column="emplois")
    array([ 50., 150.])
    """
    return _column(data, column, rule="indicator", param="column")


@register_rule("growth", label="croissance")
def growth(
    data: pd.DataFrame,
    *,
    start: str = "population_2015",
    end: str = "population",
    relative: bool = False,
) -> np.ndarray:
    """Growth of an indicator between two columns (years); declines count as zero.

    Parameters
    ----------
    data : pandas.DataFrame
    start, end : str
        Columns holding the indicator at the first and the last year.
    relative : bool, default False
        Weight by the relative change ``end / start − 1`` instead of ``end − start``.

    Examples
    --------
    >>> t = pd.DataFrame({"population_2015": [100, 200, 50], "population": [120, 190, 60]})
    >>> growth(t)
    array([20.,  0., 10.])
    >>> growth(t, relative=True)
    array([0.2, 0. , 0.2])
    """
    a = _column(data, start, rule="growth", param="start")
    b = _column(data, end, rule="growth", param="end")
    gain = b - a
    if relative:
        gain = np.divide(gain, a, out=np.zeros_like(gain), where=a > 0)
    return np.maximum(gain, 0.0)


@register_rule("efficiency", label="efficacité foncière")
def efficiency(
    data: pd.DataFrame,
    *,
    households_start: str = "menages_2015",
    households_end: str = "menages",
    jobs_start: str = "emplois_2015",
    jobs_end: str = "emplois",
    consumption: str = "reference_ha",
    elasticity: float = 0.5,
    min_ratio: float = 0.5,
    max_ratio: float = 2.0,
) -> np.ndarray:
    """Grandfathering modulated by the efficiency already achieved.

    Efficiency = (households gained + jobs gained) per hectare consumed, the measure of
    "reduction efforts already made" of art. R.4251-3 CGCT (DOMAIN.md §1). Each
    territory's efficiency is compared to the region's (total gains / total
    consumption); the ratio, clipped to ``[min_ratio, max_ratio]``, raised to
    ``elasticity``, multiplies its past consumption:

    ``w = consumption × clip(e / e_region, min_ratio, max_ratio) ** elasticity``

    so an efficient territory bears a smaller reduction. Losses count as zero gain; a
    territory that consumed nothing gets ``max_ratio`` (its weight is 0 anyway).

    Parameters
    ----------
    data : pandas.DataFrame
    households_start, households_end, jobs_start, jobs_end : str
        Columns of households and jobs at the two dates.
    consumption : str, default "reference_ha"
        Hectares consumed over the period.
    elasticity : float, default 0.5
        0 gives pure grandfathering; 1 gives shares of the gains where no clip applies.
    min_ratio, max_ratio : float, default 0.5 and 2.0
        Bounds on the efficiency ratio.

    Examples
    --------
    Territory a accommodated 40 households and jobs on 10 ha, b 10 on 10 ha; the
    region's efficiency is 2.5 per ha, so a's ratio is 1.6 and b's 0.4 → 0.5 (clipped):

    >>> t = pd.DataFrame({"menages_2015": [100, 100], "menages": [130, 105],
    ...                   "emplois_2015": [50, 50], "emplois": [60, 55],
    ...                   "reference_ha": [10.0, 10.0]})
    >>> efficiency(t, elasticity=1.0)
    array([16.,  5.])
    """
    p = "efficiency"
    gain = np.maximum(
        _column(data, households_end, rule=p, param="households_end")
        - _column(data, households_start, rule=p, param="households_start")
        + _column(data, jobs_end, rule=p, param="jobs_end")
        - _column(data, jobs_start, rule=p, param="jobs_start"),
        0.0,
    )
    cons = _column(data, consumption, rule=p, param="consumption")
    if not (0.0 < min_ratio <= max_ratio) or elasticity < 0:
        raise ScenarioError(
            f"rule 'efficiency': need 0 < min_ratio <= max_ratio and elasticity >= 0 "
            f"(got min_ratio={min_ratio!r}, max_ratio={max_ratio!r}, elasticity={elasticity!r})"
        )
    total_cons, total_gain = cons.sum(), gain.sum()
    if total_cons <= 0 or total_gain <= 0:
        raise ScenarioError(
            "rule 'efficiency': the region shows no consumption or no gain of households "
            f"and jobs (consumption {total_cons:g} ha, gains {total_gain:g}); "
            "check the columns, or use another rule"
        )
    regional = total_gain / total_cons
    ratio = np.divide(gain, cons * regional, out=np.full_like(gain, max_ratio), where=cons > 0)
    return cons * np.clip(ratio, min_ratio, max_ratio) ** float(elasticity)


@register_rule("fixed_rates", kind="target", modulable=False, label="taux différenciés")
def fixed_rates(
    data: pd.DataFrame,
    *,
    rates: str | Mapping[str, float] = "reduction",
    table: pd.DataFrame | None = None,
    code_column: str = "code",
    reference: str = "reference_ha",
    default: float | None = None,
    percent: bool = False,
    others: str = "error",
) -> np.ndarray:
    """Reduction rate per territory, as SRADDETs publish them: target = ref × (1 − rate).

    Parameters
    ----------
    data : pandas.DataFrame
    rates : str or mapping, default "reduction"
        Without ``table``: a column of ``data`` holding the rates, or a mapping
        code → rate. With ``table``: the column of ``table`` holding the rates.
    table : pandas.DataFrame, optional
        Rates table (e.g. read from ``data/scenarios/taux_differencies.csv``).
    code_column : str, default "code"
        Territory code column of ``table``.
    reference : str, default "reference_ha"
    default : float, optional
        Rate for territories absent from the table; without it they are an error.
    percent : bool, default False
        The rates (and ``default``) are written in percent, as published (54.47 for
        −54.47 %, e.g. the Hauts-de-France SRADDET's ``reduction_pct``).
    others : {"error", "ignore"}, default "error"
        Codes of ``table`` that are not territories of this level: an error (a typo
        shows), or ignored when the table covers more than the communes read (a
        SRADDET's rates on part of its region).

    Examples
    --------
    >>> t = pd.DataFrame({"reference_ha": [10.0, 20.0]}, index=["a", "b"])
    >>> fixed_rates(t, rates={"a": 0.4, "b": 0.6})
    array([6., 8.])
    >>> fixed_rates(t, rates={"a": 40, "b": 60}, percent=True)
    array([6., 8.])
    """
    rule = "fixed_rates"
    ref = _column(data, reference, rule=rule, param="reference")
    if table is not None:
        if not isinstance(rates, str):
            raise ScenarioError(
                f"rule {rule!r}: with 'table', 'rates' names its rate column (got {rates!r})"
            )
        for col, param in ((code_column, "code_column"), (rates, "rates")):
            if col not in table.columns:
                raise ScenarioError(
                    f"rule {rule!r}: column {col!r} (parameter {param!r}) not found in the "
                    f"rates table (columns: {', '.join(map(str, table.columns))})"
                )
        codes = table[code_column].astype(str)
        dup = codes[codes.duplicated()]
        if len(dup):
            raise ScenarioError(
                f"rule {rule!r}: the rates table lists {dup.iloc[0]!r} twice; keep one row "
                "per territory"
            )
        values = pd.to_numeric(table[rates], errors="coerce").to_numpy(np.float64, na_value=np.nan)
        values = values / 100.0 if percent else values
        _check_rates(values, pd.Index(codes), rule=rule, source="the rates table")
        if others not in ("error", "ignore"):
            raise ScenarioError(
                f"rule {rule!r}: 'others' is 'error' or 'ignore' (got {others!r})"
            )
        unknown = sorted(set(codes) - set(map(str, data.index)))
        if unknown and others == "error":
            raise ScenarioError(
                f"rule {rule!r}: the rates table has codes that are not territories of this "
                f"level ({', '.join(unknown[:8])}); check the codes and the level, or set "
                "others = \"ignore\" when the table covers more than these communes"
            )
        mapping: Mapping[str, float] = dict(zip(codes, values, strict=True))
    elif isinstance(rates, str):
        rate_values = _column(data, rates, rule=rule, param="rates") / (100.0 if percent else 1.0)
        _check_rates(rate_values, data.index, rule=rule, source=f"column {rates!r}")
        return ref * (1.0 - rate_values)
    else:
        mapping = {k: v / 100.0 for k, v in rates.items()} if percent else rates
    if percent and default is not None:
        default = default / 100.0
    r = _lookup(data.index, mapping, default=default, rule=rule, what="territories")
    _check_rates(r, data.index, rule=rule, source="'rates'")
    return ref * (1.0 - r)


@register_rule("profiles", kind="target", modulable=False, label="profils de territoires")
def profiles(
    data: pd.DataFrame,
    *,
    column: str,
    rates: Mapping[str, float],
    reference: str = "reference_ha",
    default: float | None = None,
) -> np.ndarray:
    """One reduction rate per territory class (e.g. Nouvelle-Aquitaine's five profiles).

    Parameters
    ----------
    data : pandas.DataFrame
    column : str
        Class column (e.g. ``armature``).
    rates : mapping
        Class → reduction rate in [0, 1].
    reference : str, default "reference_ha"
    default : float, optional
        Rate for classes absent from ``rates``.

    Examples
    --------
    >>> t = pd.DataFrame({"reference_ha": [10.0, 10.0], "armature": ["pole", "rural"]})
    >>> profiles(t, column="armature", rates={"pole": 0.4, "rural": 0.6})
    array([6., 4.])
    """
    rule = "profiles"
    ref = _column(data, reference, rule=rule, param="reference")
    if column not in data.columns:
        raise ScenarioError(
            f"rule {rule!r}: column {column!r} (parameter 'column') not found in the "
            f"territory table (columns: {', '.join(map(str, data.columns))})"
        )
    classes = data[column].astype(str).to_numpy()
    r = _lookup(classes, rates, default=default, rule=rule, what="territories' classes")
    _check_rates(r, data.index, rule=rule, source="'rates'")
    return ref * (1.0 - r)


@register_rule("blend", label="combinaison")
def blend(
    data: pd.DataFrame,
    *,
    components: Sequence[Mapping[str, Any]],
    normalise: bool = False,
) -> np.ndarray:
    """Weighted blend of other rules' shares: ``Σ_c weight_c × w_c / Σ w_c``.

    Parameters
    ----------
    data : pandas.DataFrame
    components : sequence of mappings
        Each ``{"rule": name, "weight": float, "params": {...}}``.
    normalise : bool, default False
        Rescale the weights to sum to 1; otherwise they must.

    Examples
    --------
    >>> t = pd.DataFrame({"reference_ha": [1.0, 3.0], "population": [1, 1]})
    >>> blend(t, components=[{"rule": "past_consumption", "weight": 0.5},
    ...                      {"rule": "indicator", "weight": 0.5,
    ...                       "params": {"column": "population"}}])
    array([0.375, 0.625])
    """
    crits = [
        Criterion(
            rule=c["rule"],
            weight=c.get("weight", 1.0),
            params=dict(c.get("params", {})),
            name=c.get("name"),
        )
        for c in components
    ]
    m = criteria_matrix(data, crits, normalise=normalise)
    return m.shares @ m.weights


def convergence_factor(period: tuple[int, int], start_year: int, end_year: int) -> float:
    """Mean convergence ``t`` over the years of ``period``.

    ``t(y) = clip((y − start_year) / (end_year − start_year), 0, 1)``, averaged over
    the calendar years of the period (both included).

    Examples
    --------
    >>> convergence_factor((2031, 2040), 2021, 2050)
    0.5
    """
    y0, y1 = int(period[0]), int(period[1])
    if y1 < y0 or end_year <= start_year:
        raise ScenarioError(
            "rule 'convergence': need period[0] <= period[1] and start_year < end_year "
            f"(got period={period!r}, start_year={start_year!r}, end_year={end_year!r})"
        )
    years = np.arange(y0, y1 + 1, dtype=np.float64)
    return float(np.clip((years - start_year) / (end_year - start_year), 0.0, 1.0).mean())


@register_rule("convergence", label="contraction et convergence")
def convergence(
    data: pd.DataFrame,
    *,
    period: tuple[int, int] = (2031, 2040),
    start_year: int = 2021,
    end_year: int = 2050,
    reference: str = "reference_ha",
    population: str = "population",
) -> np.ndarray:
    """Shares moving linearly from grandfathering to per-capita (contraction and convergence).

    At ``start_year`` the shares are those of past consumption, at ``end_year`` those of
    population; a decade gets the mean of the yearly mix (:func:`convergence_factor`):
    with the defaults, 2031-2040 is half-way (t = 0.5) and 2041-2050 at t ≈ 0.845.

    Parameters
    ----------
    data : pandas.DataFrame
    period : tuple of int, default (2031, 2040)
        Decade allocated (2031-2040 or 2041-2050 in the ZAN trajectory).
    start_year, end_year : int, default 2021 and 2050
        Dates of pure grandfathering and of pure per-capita shares.
    reference, population : str
        Columns of past consumption and population.

    Examples
    --------
    >>> t = pd.DataFrame({"reference_ha": [3.0, 1.0], "population": [1, 1]})
    >>> convergence(t, period=(2031, 2040))
    array([0.625, 0.375])
    """
    ref = _column(data, reference, rule="convergence", param="reference")
    pop = _column(data, population, rule="convergence", param="population")
    if ref.sum() <= 0 or pop.sum() <= 0:
        raise ScenarioError(
            "rule 'convergence': the reference consumption and the population must not "
            "both be zero everywhere; check the columns"
        )
    t = convergence_factor(period, start_year, end_year)
    return (1.0 - t) * ref / ref.sum() + t * pop / pop.sum()


# ----------------------------------------------------------------------------- criteria
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
        out = _lookup(
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
        override = _lookup(data.index, codes, default=np.nan, rule="modulation", what="codes")
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
