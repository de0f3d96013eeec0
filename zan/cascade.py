"""Allocate an envelope among the territories of one level or down a cascade of levels.

The table layer over :mod:`zan.waterfill` and :mod:`zan.rounding` (DOMAIN.md §5):

- **weights**: each criterion (see :mod:`zan.rules`) gives shares that sum to 1 within a
  group of sibling territories; the blend ``w = Σ_c α_c s_c`` is the territory's weight;
- **garantie communale** (loi n° 2023-630): 1 ha per eligible commune, per commune by
  default, or pooled at intercommunal level on the communes' request
  (``garantie_pooling="epci"``); see :mod:`zan.garantie`;
- **cascade**: region → SCoT → EPCI → commune, each level splitting its parent's rounded
  envelope among its members, floors and caps summed up the tree so that every level is
  feasible.

Front functions: :func:`allocate` (one level) and :func:`allocate_cascade`; both give an
:class:`~zan.allocation.Allocation`. :func:`criteria_raw`, :func:`group_shares`,
:func:`final_bounds`, :func:`sorted_table` and :func:`aggregate` are the steps the batch
path (:class:`zan.batch.BatchProblem`) and the scenario runner share with them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .allocation import Allocation
from .envelope import Envelope
from .errors import InfeasibleError, ScenarioError
from .formatting import LEVEL_LABELS, fr_text
from .garantie import garantie_levels
from .rounding import (
    NO_CAP_UNITS,
    ROUNDING_METHODS,
    check_resolution,
    round_rows,
    to_units_bounds,
    total_units,
)
from .rules import Criterion, criteria_weights, criterion_values, get_rule
from .waterfill import as_bounds, water_fill_rows

__all__ = [
    "allocate",
    "allocate_cascade",
    "aggregate",
    "criteria_raw",
    "group_shares",
    "final_bounds",
    "sorted_table",
]


@dataclass(frozen=True)
class _Level:
    """One level of an allocation: its table (indexed by code, sorted) and parents."""

    name: str
    table: pd.DataFrame
    parent: np.ndarray | None  # parent code per row; None for the top level


def criteria_raw(
    data: pd.DataFrame, criteria: Sequence[Criterion], *, strict_codes: bool
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Raw values (n, C) of each criterion (rule × modulation) and the rules' kinds."""
    cols = [criterion_values(c, data, strict_codes=strict_codes) for c in criteria]
    return np.column_stack(cols), tuple(get_rule(c.rule).kind for c in criteria)


def group_shares(
    raw: np.ndarray, g: np.ndarray, n_groups: int, alpha: np.ndarray
) -> tuple[np.ndarray, np.ndarray, list[int]]:
    """Normalise each criterion within each group; per-group blend weights.

    A criterion that gives nothing to any member of a group leaves its weight to the
    other criteria of that group; when none gives anything, members share equally.
    Returns the shares (n, C), the blend weights (G, C) and the groups shared equally.
    """
    n, n_crit = raw.shape
    sums = np.zeros((n_groups, n_crit))
    for c in range(n_crit):
        sums[:, c] = np.bincount(g, weights=raw[:, c], minlength=n_groups)
    positive = sums > 0
    shares = np.zeros_like(raw)
    for c in range(n_crit):
        den = sums[g, c]
        shares[:, c] = np.divide(raw[:, c], den, out=np.zeros(n), where=den > 0)
    A = np.where(positive, alpha[None, :], 0.0)
    tot = A.sum(axis=1)
    equal = np.flatnonzero(~(tot > 0))
    if equal.size:
        size = np.bincount(g, minlength=n_groups).astype(np.float64)
        rows = np.isin(g, equal)
        shares[rows, :] = (1.0 / size[g[rows]])[:, None]
        A[equal] = alpha
        tot = A.sum(axis=1)
    A = A / tot[:, None]
    if n_groups == 1 and not equal.size and positive.all():
        A = alpha[None, :].copy()  # untouched: the batch path gives the same floats
    return shares, A, equal.tolist()


def _pad(values: np.ndarray, g: np.ndarray, pos: np.ndarray, shape: tuple[int, int], fill):
    out = np.full(shape, fill, dtype=values.dtype)
    out[g, pos] = values
    return out


def _run_levels(
    levels: Sequence[_Level],
    *,
    criteria: Sequence[Criterion],
    alpha: np.ndarray,
    total_ha: float,
    lo_units: Mapping[str, np.ndarray],
    hi_units: Mapping[str, np.ndarray],
    garantie: Mapping[str, np.ndarray],
    resolution: float,
    rounding: str,
    scale_targets: bool,
) -> tuple[dict[str, pd.DataFrame], dict[str, pd.Series], int, float, list[str]]:
    """Allocate level by level; return tables, multipliers, units used, unallocated, notes."""
    res = resolution
    total_u = total_units(total_ha, res)
    names = [c.key for c in criteria]
    tables: dict[str, pd.DataFrame] = {}
    multipliers: dict[str, pd.Series] = {}
    notes: list[str] = []
    parent_units: pd.Series | None = None
    unallocated = 0.0
    for depth, lev in enumerate(levels):
        T = lev.table
        n = len(T)
        codes = T.index.to_numpy(dtype=object).astype(str)
        if lev.parent is None:
            group_codes = np.array(["region"], dtype=object)
            g = np.zeros(n, dtype=np.int64)
        else:
            g, group_codes = pd.factorize(pd.Index(lev.parent.astype(str)), sort=True)
            group_codes = np.asarray(group_codes, dtype=object)
        G = len(group_codes)
        raw, kinds = criteria_raw(T, criteria, strict_codes=len(levels) == 1)
        if scale_targets:
            shares, A, equal = group_shares(raw, g, G, alpha)
            for gi in equal:
                notes.append(
                    f"{lev.name} : aucun critère ne départage les membres de {group_codes[gi]}, "
                    "partage égal"
                )
        else:
            shares, A = raw, alpha[None, :].repeat(G, axis=0)
        # blended weight, criterion by criterion (same floats as blend_rows for 1 group)
        w = A[g, 0] * shares[:, 0]
        for c in range(1, shares.shape[1]):
            w = w + A[g, c] * shares[:, c]
        lo, hi = lo_units[lev.name], hi_units[lev.name]
        # group totals in units
        if depth == 0:
            if not scale_targets:
                target = np.minimum(
                    np.maximum(w, lo * res), np.where(hi >= NO_CAP_UNITS, np.inf, hi * res)
                )
                want = int(math.floor(float(target.sum()) / res + 1e-6))
                if want < total_u:
                    unallocated = (total_u - want) * res
                    notes.append(
                        f"les taux donnés n'utilisent que {fr_text(want * res)} ha ; "
                        f"{fr_text(unallocated)} ha restent au niveau régional"
                    )
                    total_u = want
                elif want > total_u:
                    notes.append(
                        f"les taux donnés demandent {fr_text(want * res)} ha, plus que l'enveloppe : "
                        "ils sont réduits en proportion"
                    )
            group_u = np.array([total_u], dtype=np.int64)
        else:
            assert parent_units is not None
            group_u = parent_units.reindex(group_codes).to_numpy(dtype=np.int64)
        # feasibility per group, in units
        eff_hi = np.where(w > 0, hi, lo)
        sum_lo = np.bincount(g, weights=lo.astype(np.float64), minlength=G)
        sum_hi = np.bincount(
            g, weights=np.minimum(eff_hi, NO_CAP_UNITS).astype(np.float64), minlength=G
        )
        for gi in np.flatnonzero((sum_lo > group_u) | (sum_hi < group_u)):
            where = "region" if depth == 0 else f"{levels[depth - 1].name} {group_codes[gi]}"
            cap_txt = "∞" if sum_hi[gi] >= NO_CAP_UNITS else f"{sum_hi[gi] * res:,.2f} ha"
            if sum_lo[gi] > group_u[gi]:
                label = LEVEL_LABELS.get(lev.name, lev.name)
                raise InfeasibleError(
                    f"{where}: infeasible: the floors of its {label} "
                    f"territories add up to {sum_lo[gi] * res:,.2f} ha, more than the envelope "
                    f"of {group_u[gi] * res:,.2f} ha (caps: {cap_txt}); lower the floors "
                    "(e.g. restrict the garantie communale eligibility) or raise the envelope"
                )
            raise InfeasibleError(
                f"{where}: infeasible: the caps add up to {cap_txt}, less than the envelope of "
                f"{group_u[gi] * res:,.2f} ha (floors: {sum_lo[gi] * res:,.2f} ha; territories "
                "of weight 0 only get their floor); raise the caps or lower the envelope"
            )
        # pad groups into rows
        order = np.argsort(g, kind="stable")
        counts = np.bincount(g, minlength=G)
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        pos = np.empty(n, dtype=np.int64)
        pos[order] = np.arange(n) - starts[g[order]]
        shape = (G, int(counts.max()) if n else 0)
        floors_ha = lo * res
        caps_ha = np.where(hi >= NO_CAP_UNITS, np.inf, hi * res)
        Wp = _pad(w, g, pos, shape, 0.0)
        Fp = _pad(floors_ha, g, pos, shape, 0.0)
        Cp = _pad(caps_ha, g, pos, shape, 0.0)
        Xp, lam, _ = water_fill_rows(Wp, group_u * res, Fp, Cp)
        Up = round_rows(
            Xp / res, group_u, _pad(lo, g, pos, shape, 0), _pad(hi, g, pos, shape, 0), rounding
        )
        x = Xp[g, pos]
        units = Up[g, pos]
        lam_i = lam[g]
        lw = lam_i * w
        bound = np.where(lw < x, "floor", np.where(lw > x, "cap", "none"))
        env = units * res
        ref = (
            pd.to_numeric(T["reference_ha"], errors="coerce").to_numpy(np.float64, na_value=np.nan)
            if "reference_ha" in T.columns
            else np.full(n, np.nan)
        )
        with np.errstate(divide="ignore", invalid="ignore"):
            red = np.where(ref > 0, 100.0 * (1.0 - env / ref), np.nan)
        nom = T["nom"].astype(str).to_numpy() if "nom" in T.columns else codes
        out = pd.DataFrame(
            {
                "code": codes,
                "nom": nom,
            },
            index=pd.Index(codes, name="code"),
        )
        if lev.parent is not None:
            out["parent"] = lev.parent.astype(str)
        out["reference_ha"] = ref
        out["envelope_ha"] = env
        out["reduction_pct"] = red
        out["floor_ha"] = floors_ha
        out["cap_ha"] = caps_ha
        out["bound"] = bound
        out["garantie_ha"] = garantie[lev.name]
        for c, key in enumerate(names):
            out[f"{key}_ha"] = lam_i * A[g, c] * shares[:, c]
        out["adjustment_ha"] = x - lw
        out["rounding_ha"] = env - x
        out["exact_ha"] = x
        out["weight"] = w
        out["multiplier"] = lam_i
        tables[lev.name] = out
        multipliers[lev.name] = pd.Series(lam, index=pd.Index(group_codes.astype(str)))
        parent_units = pd.Series(units, index=pd.Index(codes))
    return tables, multipliers, total_u, unallocated, notes


def _bounds_from_final(
    final_lo: np.ndarray,
    final_hi: np.ndarray,
    final_garantie: np.ndarray,
    ancestors: Mapping[str, np.ndarray],
    level_codes: Mapping[str, np.ndarray],
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray], dict[str, np.ndarray]]:
    """Floors, caps (units) and garantie of each level: sums over its final-level members."""
    lo_u, hi_u, gar = {}, {}, {}
    for level, anc in ancestors.items():
        idx = pd.Index(level_codes[level]).get_indexer(anc)
        m = len(level_codes[level])
        lo_u[level] = np.bincount(idx, weights=final_lo, minlength=m).astype(np.int64)
        hi = np.bincount(
            idx, weights=np.minimum(final_hi, NO_CAP_UNITS).astype(np.float64), minlength=m
        )
        hi_u[level] = np.where(hi >= NO_CAP_UNITS, NO_CAP_UNITS, hi).astype(np.int64)
        gar[level] = np.bincount(idx, weights=final_garantie, minlength=m)
    return lo_u, hi_u, gar


def final_bounds(
    table: pd.DataFrame,
    floors: Any,
    caps: Any,
    garantie: Any,
    resolution: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Floors (max of floors and garantie), caps, garantie of the final level; units."""
    n = len(table)
    f, c = as_bounds(floors, caps, n, index=table.index)
    gar = as_bounds(garantie, None, n, index=table.index)[0]
    floor = np.maximum(f, gar)
    # the garantie communale is the law: it overrides a lower cap
    cap = np.maximum(c, gar)
    bad = f > c
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InfeasibleError(
            f"territory {table.index[i]} has a floor of {f[i]:.2f} ha above its cap of "
            f"{c[i]:.2f} ha; lower the floor or raise the cap"
        )
    lo, hi = to_units_bounds(floor, cap, resolution)
    return floor, cap, gar, lo, hi


def _align_to(values: Any, index: pd.Index) -> Any:
    """Array-like bounds given in the input's row order → Series by code."""
    if values is None or isinstance(values, pd.Series) or np.ndim(values) == 0:
        if isinstance(values, pd.Series):
            values = values.copy()
            values.index = values.index.astype(str)
        return values
    arr = np.asarray(values, dtype=np.float64)
    if arr.shape != (len(index),):
        raise ScenarioError(f"bounds have {arr.shape} values for {len(index)} territories")
    return pd.Series(arr, index=index)


def _envelope_total(envelope: float | Envelope) -> tuple[float, Envelope | None]:
    if isinstance(envelope, Envelope):
        return float(envelope.distributed_ha), envelope
    try:
        total = float(envelope)
    except (TypeError, ValueError):
        raise ScenarioError(
            f"'envelope' must be a number of hectares or an Envelope (got {envelope!r})"
        ) from None
    if not (math.isfinite(total) and total >= 0):
        raise ScenarioError(f"the envelope must be >= 0 ha (got {envelope!r})")
    return total, None


def sorted_table(data: pd.DataFrame, what: str) -> pd.DataFrame:
    """A copy of a territory table indexed by code (as text) in code order.

    Raises
    ------
    ScenarioError
        Not a DataFrame, a code twice, or no territory; ``what`` names the table.
    """
    if not isinstance(data, pd.DataFrame):
        raise ScenarioError(f"{what} must be a pandas DataFrame indexed by territory code")
    idx = pd.Index(data.index.astype(str))
    if idx.has_duplicates:
        dup = idx[idx.duplicated()][0]
        raise ScenarioError(f"{what}: territory code {dup!r} appears twice; keep one row per code")
    if len(idx) == 0:
        raise ScenarioError(f"{what} has no territory")
    out = data.copy()
    out.index = idx
    return out.sort_index()


def allocate(
    data: pd.DataFrame,
    envelope: float | Envelope,
    *,
    criteria: Sequence[Criterion],
    level: str = "territoire",
    floors: Any = None,
    caps: Any = None,
    garantie: Any = None,
    resolution: float = 0.01,
    rounding: str = "largest_remainder",
    normalise: bool = False,
    scale_targets: bool = True,
    name: str | None = None,
    garantie_pooling: str = "commune",
) -> Allocation:
    """Share an envelope among the territories of one level.

    Parameters
    ----------
    data : pandas.DataFrame
        Territory table indexed by code: ``nom`` (optional), ``reference_ha``
        (reference consumption, needed by rules that read it) and the columns the
        criteria read.
    envelope : float or Envelope
        Hectares to share, or an :class:`~zan.envelope.Envelope` (its
        ``distributed_ha`` is shared, its terms are reported).
    criteria : sequence of Criterion
        Rules with their weights (see :mod:`zan.rules`).
    level : str, default "territoire"
        Name of the level (``"epci"``, ``"scot"``, ``"commune"``...), for labels.
    floors, caps : float, array-like or Series indexed by code, optional
        Bounds per territory in ha (floors rounded up, caps down to the resolution).
    garantie : float, array-like or Series, optional
        Garantie communale floor per territory (see :func:`zan.garantie.garantie_floors`); the floor
        is the larger of ``floors`` and ``garantie``, and it overrides a lower cap.
        For territories above the communes, the sum of their eligible communes'.
    resolution : float, default 0.01
        Rounding resolution (ha).
    rounding : {"largest_remainder", "sainte_lague"}
    normalise : bool, default False
        Rescale criteria weights to sum to 1; otherwise they must.
    scale_targets : bool, default True
        With rate rules only: False keeps the targets as they are and leaves what they
        do not use at regional level.
    name : str, optional
        Name of the allocation (scenario name) for reports.
    garantie_pooling : {"commune", "epci"}, default "commune"
        The garantie communale per commune (loi n° 2023-630, art. 4) or pooled at
        intercommunal level on the communes' request (:mod:`zan.garantie`). One level
        above the communes gets the same figures either way (``explain`` says which
        mode applies); a commune-level allocation cannot pool (use
        :func:`allocate_cascade` through the EPCI).

    Returns
    -------
    Allocation
        In the order of ``data``'s rows.

    Raises
    ------
    ScenarioError
        Bad criteria or parameters.
    InfeasibleError
        Floors above the envelope or caps below it; the message gives the sums.

    Examples
    --------
    >>> from zan.rules import Criterion
    >>> t = pd.DataFrame({"nom": ["A", "B", "C"], "reference_ha": [10.0, 20.0, 30.0],
    ...                   "population": [100, 100, 200]}, index=["a", "b", "c"])
    >>> alloc = allocate(t, 30.0, criteria=[Criterion("indicator", 1.0, {"column": "population"})],
    ...                  floors=9.0)
    >>> alloc.table["envelope_ha"].tolist()
    [9.0, 9.0, 12.0]
    >>> alloc.table["bound"].tolist()
    ['floor', 'floor', 'none']
    """
    total, env = _envelope_total(envelope)
    res = check_resolution(resolution)
    if rounding not in ROUNDING_METHODS:
        raise ScenarioError(
            f"unknown rounding method {rounding!r}; valid methods: {', '.join(ROUNDING_METHODS)}"
        )
    if garantie is not None:
        garantie_levels((level,), garantie_pooling)
    else:
        garantie_levels(("region",), garantie_pooling)  # the mode's name only
    alpha = criteria_weights(criteria, normalise=normalise)
    order = pd.Index(data.index.astype(str))
    floors, caps, garantie = (_align_to(v, order) for v in (floors, caps, garantie))
    table = sorted_table(data, "the territory table")
    floor, cap, gar, lo, hi = final_bounds(table, floors, caps, garantie, res)
    tables, mult, total_u, unalloc, notes = _run_levels(
        [_Level(level, table, None)],
        criteria=criteria,
        alpha=alpha,
        total_ha=total,
        lo_units={level: lo},
        hi_units={level: hi},
        garantie={level: gar},
        resolution=res,
        rounding=rounding,
        scale_targets=scale_targets,
    )
    tables[level] = tables[level].reindex(order)
    return _allocation(
        (tables, mult, total_u, unalloc, notes),
        envelope=env,
        total_ha=total,
        resolution=res,
        rounding=rounding,
        criteria=criteria,
        alpha=alpha,
        scale_targets=scale_targets,
        name=name,
        garantie_pooling=garantie_pooling,
    )


def _allocation(
    run: tuple,
    *,
    envelope: Any,
    total_ha: float,
    resolution: float,
    rounding: str,
    criteria: Sequence[Criterion],
    alpha: np.ndarray,
    scale_targets: bool,
    name: str | None,
    garantie_pooling: str = "commune",
) -> Allocation:
    """The :class:`Allocation` of a run of :func:`_run_levels` and the inputs it used."""
    tables, mult, total_u, unalloc, notes = run
    return Allocation(
        tables=tables,
        multipliers=mult,
        envelope=envelope,
        total_ha=total_ha,
        total_units=total_u,
        resolution=resolution,
        rounding=rounding,
        criteria=tuple(criteria),
        weights=tuple(float(a) for a in alpha),
        scale_targets=scale_targets,
        unallocated_ha=unalloc,
        notes=tuple(notes),
        name=name,
        garantie_pooling=garantie_pooling,
    )


def aggregate(data: pd.DataFrame, level: str, level_columns: Sequence[str]) -> pd.DataFrame:
    """Aggregate a commune table to a level: numbers and yes/no summed, classes by mode.

    Names come from ``<level>_nom`` (or ``nom`` for communes); the class of a territory
    is the value most frequent among its communes (ties: the first in sort order).
    """
    if level == "commune":
        out = data.copy()
        return out.drop(columns=[c for c in level_columns if c in out.columns])
    key = data[level].astype(str).to_numpy()
    skip = set(level_columns) | {f"{lv}_nom" for lv in level_columns} | {"nom"}
    cols = [c for c in data.columns if c not in skip]
    numeric = [c for c in cols if pd.api.types.is_numeric_dtype(data[c]) or data[c].dtype == bool]
    other = [c for c in cols if c not in numeric]
    num = data[numeric].astype(np.float64).groupby(key, sort=True).sum(min_count=1)
    out = num
    for c in other:
        vals = data[c].astype(str)
        counts = (
            pd.DataFrame({"k": key, "v": vals.to_numpy()})
            .value_counts()
            .reset_index(name="n")
            .sort_values(["k", "n", "v"], ascending=[True, False, True])
            .drop_duplicates("k")
            .set_index("k")["v"]
        )
        out[c] = counts.reindex(out.index)
    name_col = f"{level}_nom"
    if name_col in data.columns:
        out.insert(0, "nom", data[name_col].astype(str).groupby(key, sort=True).first())
    else:
        out.insert(0, "nom", out.index.astype(str))
    out.index = pd.Index(out.index.astype(str), name="code")
    return out


def allocate_cascade(
    data: pd.DataFrame,
    envelope: float | Envelope,
    *,
    criteria: Sequence[Criterion],
    levels: Sequence[str] = ("scot", "epci", "commune"),
    floors: Any = None,
    caps: Any = None,
    garantie: Any = None,
    resolution: float = 0.01,
    rounding: str = "largest_remainder",
    normalise: bool = False,
    name: str | None = None,
    garantie_pooling: str = "commune",
) -> Allocation:
    """Cascade: region → first level → ... → last level, each splitting its parent's share.

    At each level the criteria are evaluated on the aggregated table and normalised
    within each group of siblings, so a SCoT's envelope is split among its EPCI with the
    same weights as the region's among SCoT. Floors and caps are given at the last level
    and summed up the tree, so every level is feasible; each level is rounded to the
    resolution and its members' units add up exactly to their parent's.

    Parameters
    ----------
    data : pandas.DataFrame
        Commune table indexed by commune code: one column per level above the communes
        holding the territory code (e.g. ``scot``, ``epci``), optional ``<level>_nom``
        names, ``nom``, ``reference_ha`` and the criteria's columns. Numbers are summed
        up the levels; text columns take their most frequent value.
    envelope : float or Envelope
    criteria : sequence of Criterion
    levels : sequence of str, default ("scot", "epci", "commune")
        From the top down; each must nest in the previous one.
    floors, caps, garantie : optional
        Bounds per territory of the *last* level (scalar, array or Series by code).
    resolution, rounding, normalise, name :
        As in :func:`allocate`.
    garantie_pooling : {"commune", "epci"}, default "commune"
        ``garantie`` is the guarantee of each last-level territory (1 ha per eligible
        commune). Per commune (loi n° 2023-630, art. 4, the default) it floors every
        level, summed up the tree. Pooled at intercommunal level (``"epci"``, on the
        communes' request) it floors the EPCI and the levels above, and the levels
        below the EPCI carry no garantie floor (their other floors stay); the cascade
        must then include ``"epci"`` (:func:`zan.garantie.garantie_levels`).

    Returns
    -------
    Allocation
        With one table per level (:meth:`Allocation.level_table`); ``table`` is the last.

    Raises
    ------
    ScenarioError
        Missing level column, communes without a territory, levels that do not nest.
    InfeasibleError
        Floors or caps that cannot meet the envelope.

    Examples
    --------
    >>> from zan.rules import Criterion
    >>> communes = pd.DataFrame(
    ...     {"epci": ["E1", "E1", "E2"], "population": [100, 300, 400]},
    ...     index=["01001", "01002", "01003"])
    >>> a = allocate_cascade(communes, 10.0, criteria=[Criterion("indicator", 1.0,
    ...                      {"column": "population"})], levels=("epci", "commune"))
    >>> a.level_table("epci")["envelope_ha"].tolist(), a.table["envelope_ha"].tolist()
    ([5.0, 5.0], [1.25, 3.75, 5.0])
    """
    total, env = _envelope_total(envelope)
    res = check_resolution(resolution)
    if rounding not in ROUNDING_METHODS:
        raise ScenarioError(
            f"unknown rounding method {rounding!r}; valid methods: {', '.join(ROUNDING_METHODS)}"
        )
    levels = tuple(levels)
    if not levels or len(set(levels)) != len(levels):
        raise ScenarioError(f"'levels' must list distinct levels from the top down (got {levels})")
    if "commune" in levels[:-1]:
        raise ScenarioError("'commune' can only be the last level of a cascade")
    alpha = criteria_weights(criteria, normalise=normalise)
    communes = sorted_table(data, "the commune table")
    upper = [lv for lv in levels if lv != "commune"]
    for lv in upper:
        if lv not in communes.columns:
            raise ScenarioError(
                f"the commune table has no column {lv!r} for the level asked "
                f"(columns: {', '.join(map(str, communes.columns))}); add it or change 'levels'"
            )
        col = communes[lv]
        missing = col.isna() | (col.astype(str).str.strip() == "")
        if missing.any():
            raise ScenarioError(
                f"{int(missing.sum())} communes have no {lv!r} code "
                f"({', '.join(communes.index[missing.to_numpy()][:5])}); fill the column or "
                f"remove {lv!r} from the cascade"
            )
    codes_of = {
        lv: (
            communes.index.to_numpy(dtype=object)
            if lv == "commune"
            else communes[lv].astype(str).to_numpy()
        )
        for lv in levels
    }
    # nesting: each territory of a level lies in exactly one territory of the level above
    for above, below in zip(levels[:-1], levels[1:], strict=False):
        pairs = pd.DataFrame({"b": codes_of[below], "a": codes_of[above]}).drop_duplicates()
        split = pairs["b"][pairs["b"].duplicated()]
        if len(split):
            b = split.iloc[0]
            parents = sorted(pairs.loc[pairs["b"] == b, "a"])
            raise ScenarioError(
                f"levels do not nest: {below} {b} lies in several {above} ({', '.join(parents)}); "
                f"fix the membership or drop {above!r} from the cascade"
            )
    final = levels[-1]
    final_table = aggregate(communes, final, upper)
    for what, v in (("floors", floors), ("caps", caps), ("garantie", garantie)):
        if v is not None and not isinstance(v, pd.Series) and np.ndim(v) > 0:
            raise ScenarioError(
                f"'{what}' of a cascade must be a number or a Series indexed by the codes of "
                f"the {final!r} level"
            )
    floors, caps, garantie = (_align_to(v, final_table.index) for v in (floors, caps, garantie))
    floor, cap, gar, lo, hi = final_bounds(final_table, floors, caps, garantie, res)
    final_codes = final_table.index.to_numpy(dtype=object).astype(str)
    # ancestors of each final-level territory
    first_commune = pd.DataFrame({lv: codes_of[lv] for lv in levels}).drop_duplicates(final)
    first_commune = first_commune.set_index(final).reindex(final_codes)
    lv_objs, level_codes, ancestors = [], {}, {}
    for depth, lv in enumerate(levels):
        table = final_table if lv == final else aggregate(communes, lv, upper)
        level_codes[lv] = table.index.to_numpy(dtype=object).astype(str)
        ancestors[lv] = (
            final_codes if lv == final else first_commune[lv].to_numpy(dtype=object).astype(str)
        )
        parent = None
        if depth:
            link = pd.DataFrame(
                {"b": codes_of[lv], "a": codes_of[levels[depth - 1]]}
            ).drop_duplicates("b")
            parent = (
                link.set_index("b")["a"].reindex(level_codes[lv]).to_numpy(dtype=object).astype(str)
            )
        lv_objs.append(_Level(lv, table, parent))
    lo_u, hi_u, gar_l = _bounds_from_final(lo, hi, gar, ancestors, level_codes)
    floored = garantie_levels(levels, garantie_pooling) if garantie is not None else levels
    if len(floored) < len(levels):  # pooled: no garantie floor below the pooling level
        lo_plain = final_bounds(final_table, floors, caps, None, res)[3]
        lo_p, _, _ = _bounds_from_final(lo_plain, hi, np.zeros_like(gar), ancestors, level_codes)
        for lv in levels[len(floored) :]:
            lo_u[lv] = lo_p[lv]
            gar_l[lv] = np.zeros(len(level_codes[lv]))
    tables, mult, total_u, unalloc, notes = _run_levels(
        lv_objs,
        criteria=criteria,
        alpha=alpha,
        total_ha=total,
        lo_units=lo_u,
        hi_units=hi_u,
        garantie=gar_l,
        resolution=res,
        rounding=rounding,
        scale_targets=True,
    )
    return _allocation(
        (tables, mult, total_u, unalloc, notes),
        envelope=env,
        total_ha=total,
        resolution=res,
        rounding=rounding,
        criteria=criteria,
        alpha=alpha,
        scale_targets=True,
        name=name,
        garantie_pooling=garantie_pooling,
    )
