"""The built-in allocation rules, registered in :mod:`zan.rule_registry` under their names.

Share rules (``past_consumption``, ``indicator``, ``growth``, ``efficiency``, ``blend``,
``convergence``) return raw weights; target rules (``uniform``, ``fixed_rates``,
``profiles``) return target hectares, ``reference × (1 − rate)``. The criteria they
follow are those of art. R.4251-3 CGCT (DOMAIN.md §1) and the budget-sharing literature
(DOMAIN.md §5); see :mod:`zan.rules`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from .criteria import Criterion, criteria_matrix
from .errors import ScenarioError
from .rule_registry import check_rates, column_values, lookup_values, register_rule

__all__ = [
    "uniform",
    "past_consumption",
    "indicator",
    "growth",
    "efficiency",
    "fixed_rates",
    "profiles",
    "blend",
    "convergence_factor",
    "convergence",
]


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
    ref = column_values(data, reference, rule="uniform", param="reference")
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
    return column_values(data, column, rule="past_consumption", param="column")


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
    return column_values(data, column, rule="indicator", param="column")


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
    a = column_values(data, start, rule="growth", param="start")
    b = column_values(data, end, rule="growth", param="end")
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
        column_values(data, households_end, rule=p, param="households_end")
        - column_values(data, households_start, rule=p, param="households_start")
        + column_values(data, jobs_end, rule=p, param="jobs_end")
        - column_values(data, jobs_start, rule=p, param="jobs_start"),
        0.0,
    )
    cons = column_values(data, consumption, rule=p, param="consumption")
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
    ref = column_values(data, reference, rule=rule, param="reference")
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
        check_rates(values, pd.Index(codes), rule=rule, source="the rates table")
        if others not in ("error", "ignore"):
            raise ScenarioError(f"rule {rule!r}: 'others' is 'error' or 'ignore' (got {others!r})")
        unknown = sorted(set(codes) - set(map(str, data.index)))
        if unknown and others == "error":
            raise ScenarioError(
                f"rule {rule!r}: the rates table has codes that are not territories of this "
                f"level ({', '.join(unknown[:8])}); check the codes and the level, or set "
                'others = "ignore" when the table covers more than these communes'
            )
        mapping: Mapping[str, float] = dict(zip(codes, values, strict=True))
    elif isinstance(rates, str):
        rate_values = column_values(data, rates, rule=rule, param="rates") / (
            100.0 if percent else 1.0
        )
        check_rates(rate_values, data.index, rule=rule, source=f"column {rates!r}")
        return ref * (1.0 - rate_values)
    else:
        mapping = {k: v / 100.0 for k, v in rates.items()} if percent else rates
    if percent and default is not None:
        default = default / 100.0
    r = lookup_values(data.index, mapping, default=default, rule=rule, what="territories")
    check_rates(r, data.index, rule=rule, source="'rates'")
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
    ref = column_values(data, reference, rule=rule, param="reference")
    if column not in data.columns:
        raise ScenarioError(
            f"rule {rule!r}: column {column!r} (parameter 'column') not found in the "
            f"territory table (columns: {', '.join(map(str, data.columns))})"
        )
    classes = data[column].astype(str).to_numpy()
    r = lookup_values(classes, rates, default=default, rule=rule, what="territories' classes")
    check_rates(r, data.index, rule=rule, source="'rates'")
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
    ref = column_values(data, reference, rule="convergence", param="reference")
    pop = column_values(data, population, rule="convergence", param="population")
    if ref.sum() <= 0 or pop.sum() <= 0:
        raise ScenarioError(
            "rule 'convergence': the reference consumption and the population must not "
            "both be zero everywhere; check the columns"
        )
    t = convergence_factor(period, start_year, end_year)
    return (1.0 - t) * ref / ref.sum() + t * pop / pop.sum()
