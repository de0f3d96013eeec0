"""Data of the report pages: one territory's (or the region's) figures, as a template shows them.

:func:`~zan.reports.context.prepare_reports` gathers a run's data once (a
:class:`~zan.reports.context.ReportContext`, re-exported here); :func:`territory_data`
and :func:`regional_data` then pick one territory's (or the region's) figures out of
that context as plain Python values (numbers stay numbers: the templates format them
the French way).

Legal frame shown in the reports (DOMAIN.md §1): reference consumption of ENAF over
the ten calendar years 2011-2020, envelope over 2021-2030 (loi n° 2021-1104
"Climat et Résilience", art. 191 and 194), garantie communale of 1 ha per eligible
commune and PENE counted apart (loi n° 2023-630 "ZAN 2"). The trajectory since 2021
follows :func:`zan.trajectory`: the annual pace observed since 2021, projected over
the ten years of the target period, against the territory's envelope.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError
from ..formatting import french_sort_key
from .context import (
    DESTINATION_LABELS,
    LEVEL_LABELS,
    ReportContext,
    comparison_table,
    default_level,
    page_meta,
    prepare_reports,
    select_codes,
    territory_name,
)
from .context import finite_or_none as _num

__all__ = [
    "DESTINATION_LABELS",
    "LEVEL_LABELS",
    "ReportContext",
    "prepare_reports",
    "territory_data",
    "regional_data",
    "comparison_table",
    "default_level",
    "select_codes",
]


def _by_name(names: pd.Series) -> pd.Series:
    """Sort key of a column of names: French alphabetical order (Épinay before Viry)."""
    return names.map(french_sort_key)


_BOUND_LABELS = {"none": "aucune", "floor": "plancher", "cap": "plafond"}
_STATUS_LABELS = {
    "on_track": "Dans la trajectoire",
    "will_exceed": "Dépassement prévu",
    "exceeded": "Enveloppe dépassée",
}


# ============================================================================ one territory
def _trajectory(years: pd.Series, envelope: float, target: tuple[int, int]) -> dict[str, Any]:
    """Consumption since the start of the target period against the envelope (zan.trajectory)."""
    obs = years[(years.index >= target[0]) & (years.index <= target[1])]
    n = len(obs)
    consumed = float(obs.sum()) if n else 0.0
    rate = consumed / n if n else float("nan")
    span = target[1] - target[0] + 1
    projected = rate * span if n else float("nan")
    tol = 1e-9
    if n and consumed > envelope + tol:
        status = "exceeded"
    elif n and projected > envelope + tol:
        status = "will_exceed"
    else:
        status = "on_track" if n else None
    cum = obs.cumsum()
    return {
        "years": [
            {"year": int(y), "ha": float(v), "cumul_ha": float(c)}
            for y, v, c in zip(obs.index, obs.to_numpy(), cum.to_numpy(), strict=True)
        ],
        "first_year": target[0],
        "last_year": int(obs.index.max()) if n else None,
        "end_year": target[1],
        "n_years": n,
        "consumed_ha": consumed,
        "annual_rate_ha": _num(rate),
        "projected_ha": _num(projected),
        "envelope_ha": envelope,
        "remaining_ha": envelope - consumed,
        "used_pct": _num(100 * consumed / envelope) if envelope > 0 else None,
        "projected_pct": _num(100 * projected / envelope) if envelope > 0 and n else None,
        "status": status,
        "status_label": _STATUS_LABELS.get(status or "", "Pas encore de données depuis 2021"),
    }


def _parents(ctx: ReportContext, code: str, members: pd.Index) -> list[dict[str, str]]:
    """Upper levels of a territory (the most common one among its communes)."""
    terr = ctx.allocation.territories
    out = []
    levels = list(terr.levels)
    start = levels.index(ctx.level) + 1 if ctx.level in levels else 1
    for lv in levels[start:]:
        a = terr.assignment(lv)
        a.index = a.index.astype(str)
        vals = a.reindex(members).astype(str)
        if vals.empty:
            continue
        counts = vals.value_counts()
        top = str(counts.index[0])
        names = terr.names(lv)
        names.index = names.index.astype(str)
        label = territory_name(lv, top, names.get(top))
        if len(counts) > 1:
            label += f" (et {len(counts) - 1} autre{'s' if len(counts) > 2 else ''})"
        out.append({"level": LEVEL_LABELS.get(lv, lv), "code": top, "nom": label})
    return out


def _rank(values: pd.Series, code: str, *, descending: bool) -> int:
    r = values.rank(ascending=not descending, method="min")
    return int(r[code])


def _criteria(ctx: ReportContext, row: pd.Series) -> list[dict[str, Any]]:
    from ..maps._text import label_of

    alloc = ctx.allocation
    out = []
    for crit, w in zip(alloc.criteria, alloc.weights, strict=True):
        label = crit.name or crit.rule
        try:
            from ..rules import get_rule

            label = get_rule(crit.rule).label
            detail = crit.params.get("column") if isinstance(crit.params, Mapping) else None
            if detail:
                label = f"{label} ({detail})"
        except Exception:  # noqa: BLE001 - a custom rule without a label keeps its name
            label = label_of(f"{crit.key}_ha")
        out.append(
            {
                "key": crit.key,
                "label": label[:1].upper() + label[1:],
                "weight_pct": 100.0 * float(w),
                "ha": float(row[f"{crit.key}_ha"]),
            }
        )
    return out


#: How a ledger's accounts are kept, for "le compte foncier est tenu par commune".
_KEPT = {
    "commune": "par commune",
    "epci": "par EPCI",
    "scot": "par SCoT",
    "departement": "par département",
}


def _ledger_part(ctx: ReportContext, code: str) -> dict[str, Any] | None:
    if ctx.ledger_balance is None:
        return None
    bal = ctx.ledger_balance
    info = dict(ctx.ledger_info)
    if code not in bal.index:
        return {**info, "found": False, "balance": None, "projects": []}
    row = bal.loc[code]
    balance = {
        k: (_num(row[k]) if k not in ("status", "nom", "account_type") else row[k])
        for k in bal.columns
        if k in row.index
    }
    balance["status_label"] = _STATUS_LABELS.get(str(row.get("status")), str(row.get("status")))
    if info.get("summed"):
        info["kept"] = _KEPT.get(str(info.get("level")), f"au niveau {info.get('level')}")
        info["n_accounts"] = int(row.get("n_accounts", 0))
    projects = []
    if ctx.ledger_projects is not None and len(ctx.ledger_projects):
        from ..ledger.accounts import garantie_account

        p = ctx.ledger_projects
        mine = p[p["account"].astype(str).isin([code, garantie_account(code)])]
        mine = mine[mine["status"].astype(str) == "planned"]
        projects = [
            {
                "id": int(i),
                "label": str(r["label"]),
                "communes": str(r["communes"] or ""),
                "enaf_ha": float(r["enaf_ha"]),
                "area_ha": float(r["area_ha"]),
            }
            for i, r in mine.iterrows()
        ]
    return {**info, "found": True, "balance": balance, "projects": projects}


def territory_data(ctx: ReportContext, code: str) -> dict[str, Any]:
    """The figures of one territory's report, as plain values.

    Parameters
    ----------
    ctx : ReportContext
        From :func:`prepare_reports`.
    code : str
        Territory code at ``ctx.level``.

    Returns
    -------
    dict
        Keys ``meta``, ``territory``, ``communes``, ``consumption``, ``trajectory``,
        ``envelope``, ``rank``, ``garantie``, ``ledger`` (None without a ledger).

    Raises
    ------
    DataError
        When no territory has this code (the message gives valid codes).

    Examples
    --------
    >>> from zan.datasets import scenario_path
    >>> ctx = prepare_reports(scenario_path("02_consommation_population"))
    >>> d = territory_data(ctx, ctx.codes[0])
    >>> d["territory"]["nom"], d["envelope"]["envelope_ha"]
    ('CA de Lontigny-le-Bas', 104.53)
    """
    code = str(code)
    table = ctx.table
    if code not in table.index:
        raise DataError(
            f"no territory {code!r} at level {ctx.level!r}; codes are e.g. "
            f"{', '.join(table.index[:5])}; check --territories"
        )
    row = table.loc[code]
    alloc = ctx.allocation
    com = ctx.communes[ctx.communes["territory"].to_numpy() == code]
    ref_start, ref_end = ctx.reference_period
    # consumption by year and destination
    yearly = (
        ctx.yearly.xs(code, level="code") if code in ctx.yearly.index.get_level_values(0) else None
    )
    dests = [d for d in ctx.destinations if yearly is not None and d in yearly.columns]
    consumption: dict[str, Any] = {"available": yearly is not None, "period": ctx.reference_period}
    if yearly is not None:
        ref = yearly[(yearly.index >= ref_start) & (yearly.index <= ref_end)]
        total = float(ref["total"].sum())
        consumption.update(
            total_ha=total,
            destinations=[
                {
                    "key": d,
                    "label": DESTINATION_LABELS.get(d, d),
                    "ha": float(ref[d].sum()),
                    "pct": _num(100 * float(ref[d].sum()) / total) if total > 0 else None,
                }
                for d in dests
            ],
            by_year=[
                {
                    "year": int(y),
                    **{d: float(ref.at[y, d]) for d in dests},
                    "total": float(ref.at[y, "total"]),
                }
                for y in ref.index
            ],
            annual_mean_ha=total / max(len(ref), 1),
        )
    envelope = float(row["envelope_ha"])
    traj = _trajectory(yearly["total"], envelope, ctx.target_period) if yearly is not None else None
    # rank and rates against the region
    env_all = table["envelope_ha"].astype("float64")
    red_all = table["reduction_pct"].astype("float64")
    ref_all = table["reference_ha"].astype("float64")
    ref_sum = float(np.nansum(ref_all))
    regional_rate = 100.0 * (1.0 - float(env_all.sum()) / ref_sum) if ref_sum > 0 else None
    reduction = _num(row["reduction_pct"])
    rank = {
        "n": len(table),
        "envelope_rank": _rank(env_all, code, descending=True),
        "reduction_rank": _rank(red_all.fillna(-np.inf), code, descending=True)
        if reduction is not None
        else None,
        "share_pct": 100.0 * envelope / float(env_all.sum()) if env_all.sum() > 0 else None,
        "reduction_pct": reduction,
        "regional_reduction_pct": regional_rate,
        "median_reduction_pct": _num(red_all.median()),
        "min_reduction_pct": _num(red_all.min()),
        "max_reduction_pct": _num(red_all.max()),
        "difference_pts": reduction - regional_rate
        if reduction is not None and regional_rate is not None
        else None,
    }
    garantie_ha = float(row.get("garantie_ha", 0.0))
    n_eligible = int(com["garantie"].sum())
    garantie = {
        "ha": garantie_ha,
        "applies": bool(ctx.scenario.floors.garantie_communale),
        "n_communes": n_eligible,
        "n_total": len(com),
        "ha_per_commune": ctx.ha_per_commune,
        "binding": str(row["bound"]) == "floor",
        "floor_ha": _num(row["floor_ha"]),
        "share_pct": 100.0 * garantie_ha / envelope if envelope > 0 else None,
    }
    explain = alloc.explain(code, level=ctx.level if len(alloc.levels) > 1 else None)
    parent = None
    if "parent" in row.index and len(alloc.levels) > 1:
        up = alloc.levels[alloc.levels.index(ctx.level) - 1]
        pt = alloc.level_table(up)
        pt.index = pt.index.astype(str)
        p = str(row["parent"])
        if p in pt.index:
            parent = {
                "level": LEVEL_LABELS.get(up, up),
                "code": p,
                "nom": territory_name(up, p, pt.at[p, "nom"]),
                "envelope_ha": float(pt.at[p, "envelope_ha"]),
            }
    env_part = {
        "envelope_ha": envelope,
        "reference_ha": _num(row["reference_ha"]),
        "reduction_pct": reduction,
        "annual_ha": envelope / (ctx.target_period[1] - ctx.target_period[0] + 1),
        "explain": explain,
        "criteria": _criteria(ctx, row),
        "adjustment_ha": float(row["adjustment_ha"]),
        "rounding_ha": float(row["rounding_ha"]),
        "exact_ha": float(row["exact_ha"]),
        "floor_ha": _num(row["floor_ha"]),
        "cap_ha": _num(row["cap_ha"]),
        "bound": str(row["bound"]),
        "bound_label": _BOUND_LABELS.get(str(row["bound"]), str(row["bound"])),
        "parent": parent,
    }
    members = com.index
    pop = com["population"] if "population" in com.columns else None
    territory = {
        "code": code,
        "nom": str(row["nom"]),
        "level": ctx.level,
        "level_label": LEVEL_LABELS.get(ctx.level, ctx.level),
        "n_communes": len(com),
        "area_ha": float(com["area_ha"].sum()),
        "population": _num(pop.sum()) if pop is not None and pop.notna().any() else None,
        "parents": _parents(ctx, code, members),
    }
    communes = [
        {
            "code": str(c),
            "nom": str(r["nom"]),
            "population": _num(r.get("population")),
            "area_ha": float(r["area_ha"]),
            "reference_ha": _num(r.get("reference_ha")),
            "since_2021_ha": _num(r.get("since_2021_ha")),
            "garantie": bool(r["garantie"]),
            "envelope_ha": _num(r.get("envelope_ha")),
        }
        for c, r in com.sort_values("nom", key=_by_name, kind="stable").iterrows()
    ]
    return {
        "meta": page_meta(ctx),
        "territory": territory,
        "communes": communes,
        "has_commune_envelopes": "envelope_ha" in com.columns,
        "has_population": pop is not None,
        "consumption": consumption,
        "trajectory": traj,
        "envelope": env_part,
        "rank": rank,
        "garantie": garantie,
        "ledger": _ledger_part(ctx, code),
    }


# ============================================================================ region
def regional_data(ctx: ReportContext, *, links: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The figures of the regional summary, as plain values.

    Parameters
    ----------
    ctx : ReportContext
    links : mapping code → relative path, optional
        Link of each territory's report from the summary page.

    Returns
    -------
    dict
        Keys ``meta``, ``totals``, ``terms``, ``explain``, ``distribution``,
        ``territories`` (rows), ``comparison`` (None or columns and rows),
        ``ledger`` (regional balance or None).

    Examples
    --------
    >>> from zan.datasets import scenario_path
    >>> ctx = prepare_reports(scenario_path("02_consommation_population"))
    >>> d = regional_data(ctx)
    >>> len(d["territories"]), round(d["totals"]["distributed_ha"], 2)
    (20, 2077.94)
    """
    alloc = ctx.allocation
    t = ctx.table
    env = alloc.envelope
    totals = dict(alloc.totals)
    since = (
        ctx.yearly["total"]
        .loc[
            lambda s: (
                (s.index.get_level_values("year") >= ctx.target_period[0])
                & (s.index.get_level_values("year") <= ctx.target_period[1])
            )
        ]
        .groupby(level="code")
        .sum()
        if len(ctx.yearly)
        else pd.Series(dtype="float64")
    )
    red = t["reduction_pct"].astype("float64")
    envs = t["envelope_ha"].astype("float64")
    ref_sum = float(np.nansum(t["reference_ha"].astype("float64")))
    bal = ctx.ledger_balance
    rows = []
    for code, r in t.sort_values("nom", key=_by_name, kind="stable").iterrows():
        s = _num(since.get(code)) if len(since) else None
        e = float(r["envelope_ha"])
        row = {
            "code": str(code),
            "nom": str(r["nom"]),
            "reference_ha": _num(r["reference_ha"]),
            "envelope_ha": e,
            "reduction_pct": _num(r["reduction_pct"]),
            "garantie_ha": float(r.get("garantie_ha", 0.0)),
            "bound_label": _BOUND_LABELS.get(str(r["bound"]), str(r["bound"])),
            "since_2021_ha": s,
            "used_pct": _num(100 * s / e) if s is not None and e > 0 else None,
            "link": (links or {}).get(str(code)),
            "remaining_ha": _num(bal.at[code, "remaining_ha"])
            if bal is not None and code in bal.index
            else None,
        }
        rows.append(row)
    comparison = None
    if ctx.comparison is not None:
        c = ctx.comparison
        names = list(c.attrs.get("scenarios", []))
        comparison = {
            "scenarios": names,
            "rows": [
                {
                    "code": str(code),
                    "nom": str(r["nom"]),
                    "envelopes": [_num(r[n]) for n in names],
                    "diffs": [_num(r[f"ecart_ha {n}"]) for n in names[1:]],
                }
                for code, r in c.iterrows()
            ],
            "totals": [float(c[n].sum()) for n in names],
            "indicators": list(c.attrs.get("indicators", [])),
        }
    terms = (
        [
            {"terme": str(a), "ha": float(b)}
            for a, b in env.terms(resolution=alloc.resolution).itertuples(index=False)
        ]
        if env is not None
        else []
    )
    ledger = None
    if bal is not None and "region" in bal.index:
        r = bal.loc["region"]
        ledger = {
            **ctx.ledger_info,
            "envelope_ha": _num(r["envelope_ha"]),
            "consumed_ha": _num(r["consumed_ha"]),
            "committed_ha": _num(r["committed_ha"]),
            "remaining_ha": _num(r["remaining_ha"]),
            "status_label": _STATUS_LABELS.get(str(r["status"]), str(r["status"])),
        }
    return {
        "meta": page_meta(ctx),
        "totals": totals,
        "terms": terms,
        # the reliquat d'arrondi is under one unit: shown to 4 decimals, not as 0,01
        "summary": [
            {"terme": str(a), "ha": float(b), "decimals": 4 if a == "Reliquat d'arrondi" else 2}
            for a, b in alloc.summary().itertuples(index=False)
        ],
        "explain": env.explain(resolution=alloc.resolution) if env is not None else "",
        "notes": list(alloc.notes),
        "distribution": {
            "n": len(t),
            "n_floor": int((t["bound"] == "floor").sum()),
            "n_cap": int((t["bound"] == "cap").sum()),
            "envelope_min": _num(envs.min()),
            "envelope_median": _num(envs.median()),
            "envelope_max": _num(envs.max()),
            "reduction_min": _num(red.min()),
            "reduction_median": _num(red.median()),
            "reduction_max": _num(red.max()),
            "regional_reduction_pct": 100.0 * (1 - float(envs.sum()) / ref_sum)
            if ref_sum > 0
            else None,
            "since_2021_ha": float(since.sum()) if len(since) else None,
        },
        "territories": rows,
        "comparison": comparison,
        "ledger": ledger,
    }
