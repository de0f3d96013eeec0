"""The data of a report run: the scenario run once, its consumption and ledger read once.

:func:`prepare_reports` runs the scenario (its consumption, read by
:func:`zan.scenario.run_scenario`, is not read again), reads the optional compte foncier
(ledger) once, and aggregates the yearly flows of every territory in one vectorised pass
into a :class:`ReportContext`; :func:`comparison_table` puts other scenarios beside it;
:func:`page_meta` gives what every page shows (scenario, hash, sources, date).
:mod:`zan.reports.build` picks one territory's (or the region's) figures out of it.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import DataError, ScenarioError
from ..formatting import shorten

__all__ = [
    "DESTINATION_LABELS",
    "ITEMS",
    "LEVEL_LABELS",
    "ReportContext",
    "prepare_reports",
    "comparison_table",
    "default_level",
    "select_codes",
    "page_meta",
    "finite_or_none",
    "territory_name",
]

#: French names of the Cerema destinations (DOMAIN.md §3).
DESTINATION_LABELS: dict[str, str] = {
    "activite": "Activité",
    "habitat": "Habitat",
    "mixte": "Mixte",
    "routes": "Routes",
    "ferroviaire": "Ferroviaire",
    "inconnu": "Inconnue",
    "infrastructures": "Infrastructures",
}

#: French names of the territorial levels, with their article, for titles.
LEVEL_LABELS: dict[str, str] = {
    "commune": "Commune",
    "epci": "Intercommunalité (EPCI)",
    "scot": "Schéma de cohérence territoriale (SCoT)",
    "departement": "Département",
    "region": "Région",
}

#: The four items of article R. 2231-1 CGCT, in the decree's order: the headings of the
#: rapport local de suivi de l'artificialisation (:mod:`zan.reports.local`).
ITEMS = (
    "1° Consommation d'espaces naturels, agricoles et forestiers",
    "2° Solde entre surfaces artificialisées et désartificialisées",
    "3° Surfaces imperméabilisées",
    "4° Évaluation du respect des objectifs de réduction",
)

#: How a territory whose data give no name is called in a sentence ("département 96").
_UNNAMED: dict[str, str] = {
    "commune": "commune",
    "epci": "EPCI",
    "scot": "SCoT",
    "departement": "département",
    "region": "région",
}


def territory_name(level: str, code: Any, name: Any = None) -> str:
    """The name a report shows for a territory: its name, else its level and code.

    Real membership tables name the départements and régions (``departement_nom``,
    ``region_nom``, see :mod:`zan.io.territories`), but a table without those
    columns names them by their code; a page then reads "département 96", never a
    bare "96".

    Parameters
    ----------
    level : str
        Level of the territory (``"departement"``, ``"region"``, ``"epci"``…).
    code : str
        Its code.
    name : str, optional
        Its name from the data; missing, blank or equal to the code when unknown.

    Returns
    -------
    str

    Examples
    --------
    >>> territory_name("departement", "96", "Côtes-de-Démo")
    'Côtes-de-Démo'
    >>> territory_name("departement", "96", "96"), territory_name("region", "99")
    ('département 96', 'région 99')
    """
    text = "" if name is None or (isinstance(name, float) and math.isnan(name)) else str(name)
    text = text.strip()
    if text and text.lower() not in ("nan", "<na>", "none") and text != str(code).strip():
        return text
    return f"{_UNNAMED.get(level, level)} {code}"


_MONTHS = (
    "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
).split()


def _date_fr(day: _dt.date) -> str:
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


@dataclass
class ReportContext:
    """Everything the reports of one run need, prepared once and shared by the workers.

    Build it with :func:`prepare_reports`. It holds plain pandas objects only (the
    ledger is read and closed), so forked worker processes share it without copying
    and spawned ones receive it pickled.

    Attributes
    ----------
    allocation : zan.allocate.Allocation
        The scenario's allocation (with its territories).
    scenario : zan.scenario.Scenario
    level : str
        Level reported on (one per territory report).
    table : pandas.DataFrame
        The allocation table of ``level``, indexed by code.
    yearly : pandas.DataFrame
        Consumption (ha) per territory of ``level`` and year: index (``code``,
        ``year``), one column per destination, then ``total``. Empty without a
        consumption file.
    communes : pandas.DataFrame
        One row per commune: ``nom``, ``territory`` (code at ``level``),
        ``area_ha``, ``population`` (when known), ``reference_ha``,
        ``since_2021_ha``, ``garantie`` (eligible, bool), and ``envelope_ha`` when
        the allocation goes down to the communes.
    destinations : tuple of str
        Destinations of the consumption file.
    years : tuple of int
        Years of the consumption file.
    reference_period, target_period : tuple of int
    ledger_balance, ledger_projects : pandas.DataFrame or None
        Balance of every account and projects, when a ledger was given.
    ledger_info : dict
        Source, period, date and last observed year of the ledger.
    comparison : pandas.DataFrame or None
        Envelopes of several scenarios (:func:`comparison_table`).
    sources : list of dict
        Files used, with their vintage (``label``, ``file``, ``vintage``).
    generated : datetime.date
    credit : str
        Source line of the maps, named after the data used
        (:func:`zan.maps.credits.data_credit`).
    """

    allocation: Any
    scenario: Any
    level: str
    table: pd.DataFrame
    yearly: pd.DataFrame
    communes: pd.DataFrame
    destinations: tuple[str, ...]
    years: tuple[int, ...]
    reference_period: tuple[int, int]
    target_period: tuple[int, int]
    ledger_balance: pd.DataFrame | None = None
    ledger_projects: pd.DataFrame | None = None
    ledger_info: dict[str, Any] = field(default_factory=dict)
    comparison: pd.DataFrame | None = None
    sources: list[dict[str, str]] = field(default_factory=list)
    generated: _dt.date = field(default_factory=_dt.date.today)
    ha_per_commune: float = 1.0
    credit: str = "Calcul zan"

    @property
    def codes(self) -> list[str]:
        """Codes of the territories of :attr:`level`, sorted."""
        return self.table.index.astype(str).tolist()

    @property
    def name(self) -> str:
        """Scenario name, as shown: cut to :data:`zan.formatting.TITLE_MAX_CHARS` characters."""
        return shorten(self.scenario.scenario.name)


def default_level(allocation: Any) -> str:
    """The level reported on by default: ``epci`` when the allocation has it, else its last.

    Examples
    --------
    >>> class A:
    ...     levels = ("scot", "epci", "commune")
    >>> default_level(A())
    'epci'
    """
    return "epci" if "epci" in allocation.levels else allocation.levels[-1]


# ============================================================================ preparation
def _yearly(conso: Any, assign: pd.Series) -> pd.DataFrame:
    """Consumption in ha per (territory, year) and destination, in one groupby."""
    if conso is None:
        return pd.DataFrame(
            index=pd.MultiIndex.from_arrays([[], []], names=["code", "year"]), columns=["total"]
        )
    f = conso.flows
    terr = assign.reindex(f["code"].to_numpy()).to_numpy()
    keep = pd.notna(terr)
    wide = (
        pd.DataFrame(
            {
                "code": terr[keep].astype(str),
                "year": f["year"].to_numpy()[keep],
                "destination": f["destination"].to_numpy()[keep],
                "m2": f["m2"].to_numpy()[keep],
            }
        )
        .pivot_table(
            index=["code", "year"], columns="destination", values="m2", aggfunc="sum", fill_value=0
        )
        .astype("float64")
        / 10_000.0
    )
    cols = [d for d in conso.destinations if d in wide.columns]
    if "total" not in wide.columns:
        wide["total"] = wide[cols].sum(axis=1)
    out = wide[[*cols, "total"]]
    out.columns = pd.Index([str(c) for c in out.columns])
    # Displayed figures: a destination's rounding residue (−1 m²) shows as 0, the
    # total stays as published (DOMAIN.md §3).
    from ..io.consumption import clip_destinations

    return clip_destinations(out)


def _commune_frame(
    alloc: Any, scenario: Any, conso: Any, level: str, target: tuple[int, int]
) -> pd.DataFrame:
    terr = alloc.territories
    communes = terr.communes
    m = terr.membership
    out = pd.DataFrame(index=communes.index.astype(str))
    out["nom"] = communes["nom"].astype(str).to_numpy()
    out["territory"] = terr.assignment(level).reindex(communes.index).astype(str).to_numpy()
    out["area_ha"] = communes["area_ha"].to_numpy(dtype="float64")
    if "population" in m.columns:
        out["population"] = pd.to_numeric(m["population"], errors="coerce").to_numpy()
    ref_start, ref_end = _reference(alloc, scenario)
    if conso is not None:
        f = conso.flows
        total = f[f["destination"].to_numpy() == "total"]
        years = total["year"].to_numpy()
        codes = total["code"].to_numpy()
        m2 = total["m2"].to_numpy()
        sel = (years >= ref_start) & (years <= ref_end)
        ref = pd.Series(m2[sel]).groupby(codes[sel]).sum() / 10_000.0
        sel = (years >= target[0]) & (years <= target[1])
        since = pd.Series(m2[sel]).groupby(codes[sel]).sum() / 10_000.0
        out["reference_ha"] = ref.reindex(out.index).to_numpy()
        out["since_2021_ha"] = since.reindex(out.index).to_numpy()
    fl = scenario.floors
    eligible = np.zeros(len(out), dtype=bool)
    if fl.garantie_communale:
        if fl.eligible_column is not None and fl.eligible_column in m.columns:
            col = m[fl.eligible_column].reindex(communes.index)
            text = col.astype("string").str.strip().str.lower()
            eligible = text.isin(["true", "1", "oui", "yes", "vrai"]).to_numpy(dtype=bool)
        elif fl.eligible is not None:
            eligible = out.index.isin(list(fl.eligible))
        else:
            eligible = np.ones(len(out), dtype=bool)
    out["garantie"] = eligible
    if "commune" in alloc.levels:
        out["envelope_ha"] = alloc.level_table("commune")["envelope_ha"].reindex(out.index)
    return out


def _reference(alloc: Any, scenario: Any) -> tuple[int, int]:
    env = alloc.envelope
    if env is not None:
        return tuple(env.reference_period)  # type: ignore[return-value]
    if scenario.envelope.reference_period is not None:
        return tuple(scenario.envelope.reference_period)  # type: ignore[return-value]
    return (2011, 2020)


def _target(alloc: Any) -> tuple[int, int]:
    env = alloc.envelope
    return tuple(env.target_period) if env is not None else (2021, 2030)  # type: ignore[return-value]


def _read_ledger(
    ledger: Any,
    level: str | None = None,
    assignment: pd.Series | None = None,
    names: pd.Series | None = None,
) -> tuple[pd.DataFrame | None, pd.DataFrame | None, dict[str, Any]]:
    """Balance and projects of a compte foncier (:mod:`zan.ledger`), read and closed.

    A ledger kept at another level than the report's (commune accounts, an EPCI
    report) is summed to the report's territories (:func:`zan.ledger.group_balances`),
    its projects with them; when its accounts do not fit in the report's
    territories (a ledger per EPCI, a report per commune), they are shown as they are.
    """
    if ledger is None:
        return None, None, {}
    try:
        from ..ledger.core import Ledger
    except ImportError as exc:  # pragma: no cover - the ledger ships with zan
        raise DataError(f"{ledger}: the ledger module cannot be imported ({exc})") from exc
    own = not isinstance(ledger, Ledger)
    book = Ledger(ledger, readonly=True) if own else ledger
    try:
        balance = book.balance()
        projects = book.projects()
        info = {
            "source": book.source,
            "period": balance.attrs.get("period"),
            "last_year": balance.attrs.get("last_year"),
            "level": book.level,
            "regional_envelope_ha": balance.attrs.get("regional_envelope_ha"),
            "summed": False,
        }
        if assignment is not None and level is not None and book.level != level:
            from ..errors import LedgerError
            from ..ledger.balance import account_groups, group_balances

            try:
                groups = account_groups(book, assignment)
            except LedgerError:
                groups = None  # accounts larger than the report's territories
            if groups is not None:
                balance = group_balances(book, assignment, names=names)
                projects = projects.assign(
                    account=projects["account"].astype(str).map(groups).fillna(projects["account"])
                )
                info["summed"] = True
    finally:
        if own:
            book.close()
    return balance, projects, info


def _sources(scenario: Any, conso: Any) -> list[dict[str, str]]:
    out = []
    d = scenario.data
    if scenario.path is not None:
        out.append({"label": "Scénario", "file": Path(scenario.path).name, "vintage": ""})
    for key, label in (
        ("communes", "Communes (contours)"),
        ("membership", "Appartenance des communes (EPCI, SCoT...)"),
        ("passage", "Table de passage du COG"),
    ):
        value = getattr(d, key)
        if value is not None:
            out.append({"label": label, "file": Path(value).name, "vintage": ""})
    if conso is not None and d.consumption is not None:
        years = conso.years
        vintage = f"flux annuels {years[0]} à {years[-1]}" if years else ""
        out.append(
            {
                "label": "Consommation d'ENAF (Cerema, fichiers fonciers)",
                "file": Path(d.consumption).name,
                "vintage": vintage,
            }
        )
    return out


def prepare_reports(
    scenario: Any,
    *,
    level: str | None = None,
    ledger: str | os.PathLike[str] | Any | None = None,
    compare: Sequence[Any] = (),
) -> ReportContext:
    """Run a scenario and gather what its reports need, once.

    Parameters
    ----------
    scenario : path, Scenario or PreparedScenario
        The scenario (:func:`zan.scenario.run_scenario` runs it).
    level : str, optional
        Level to report on; default ``epci`` when the allocation has it (a cascade
        region → SCoT → EPCI → commune), else its last level.
    ledger : path or zan.ledger.Ledger, optional
        Compte foncier: each territory's balance and committed projects are shown.
    compare : sequence of path, Scenario or Allocation, optional
        Other scenarios for the comparison table of the regional summary.

    Returns
    -------
    ReportContext

    Raises
    ------
    ScenarioError
        An invalid scenario, or a ``level`` the allocation does not have.

    Examples
    --------
    >>> from zan.datasets import scenario_path
    >>> ctx = prepare_reports(scenario_path("02_consommation_population"))
    >>> ctx.level, len(ctx.codes), ctx.years[0]
    ('epci', 20, 2009)
    """
    from ..maps.credits import data_credit
    from ..scenario import PreparedScenario, Scenario, load_consumption, load_scenario, run_scenario

    if isinstance(scenario, (str, os.PathLike)):
        scenario = load_scenario(scenario)
    if isinstance(scenario, PreparedScenario):
        sc = scenario.scenario
    elif isinstance(scenario, Scenario):
        sc = scenario
    else:
        raise ScenarioError(
            f"prepare_reports() takes a scenario file or Scenario (got {type(scenario).__name__}); "
            "give the scenario so that its data files and sources can be shown"
        )
    alloc = run_scenario(scenario)
    if alloc.territories is None:
        raise ScenarioError(f"{sc.source}: the allocation carries no territories to report on")
    lv = level or default_level(alloc)
    if lv not in alloc.levels:
        raise ScenarioError(
            f"{sc.source}: no level {lv!r} in this allocation; levels: "
            f"{', '.join(alloc.levels)}; pass one of them as level="
        )
    conso = load_consumption(alloc.prepared)  # read by run_scenario: not read again
    target = _target(alloc)
    assign = alloc.territories.assignment(lv)
    assign.index = assign.index.astype(str)
    yearly = _yearly(conso, assign.astype(str))
    communes = _commune_frame(alloc, sc, conso, lv, target)
    names = alloc.territories.names(lv)
    names.index = names.index.astype(str)
    balance, projects, info = _read_ledger(ledger, lv, assign, names)
    table = alloc.level_table(lv)
    table.index = table.index.astype(str)
    table["nom"] = [
        territory_name(lv, c, n) for c, n in zip(table.index, table["nom"], strict=True)
    ]
    from ..envelope import load_profile

    prof = alloc.envelope.profile if alloc.envelope is not None else load_profile()
    hpc = sc.floors.ha_per_commune
    hpc = prof.garantie_communale.ha_per_commune if hpc is None else hpc
    ctx = ReportContext(
        allocation=alloc,
        scenario=sc,
        level=lv,
        table=table,
        yearly=yearly,
        communes=communes,
        destinations=tuple(conso.destinations) if conso is not None else (),
        years=tuple(conso.years) if conso is not None else (),
        reference_period=_reference(alloc, sc),
        target_period=target,
        ledger_balance=balance,
        ledger_projects=projects,
        ledger_info=info,
        sources=_sources(sc, conso),
        ha_per_commune=float(hpc),
        credit=data_credit(
            communes=alloc.territories.source, consumption=conso, scenario=str(sc.scenario.name)
        ),
    )
    if compare:
        ctx.comparison = comparison_table([alloc, *compare], level=lv)
        ctx.comparison["nom"] = (
            ctx.table["nom"].reindex(ctx.comparison.index).fillna(ctx.comparison["nom"])
        )
    return ctx


# ============================================================================ comparison
def _as_allocation(item: Any) -> Any:
    if hasattr(item, "tables"):
        return item
    from ..scenario import run_scenario

    return run_scenario(item)


def comparison_table(scenarios: Sequence[Any], *, level: str | None = None) -> pd.DataFrame:
    """Envelopes of several scenarios side by side, with differences to the first.

    Built with :func:`zan.compare.compare` (whose indicators — spread of the reduction
    rates, Gini index of the envelope per inhabitant, winners and losers — are kept in
    ``.attrs["indicators"]``); without that module, the ``envelope_ha`` columns of the
    allocations are joined.

    Parameters
    ----------
    scenarios : sequence of path, Scenario or Allocation
        At least two; the first is the reference of the differences.
    level : str, optional
        Level compared (default that of the first allocation, see :func:`default_level`).

    Returns
    -------
    pandas.DataFrame
        Indexed by territory code: ``nom``, ``reference_ha``, then one
        ``envelope_ha`` column per scenario named after it, then ``ecart_ha`` columns
        (scenario − first); ``.attrs["scenarios"]`` lists the names in order.

    Raises
    ------
    ScenarioError
        Fewer than two scenarios, or one without the compared level.

    Examples
    --------
    >>> from zan.datasets import scenario_path
    >>> t = comparison_table([scenario_path("01_reduction_uniforme"),
    ...                       scenario_path("02_consommation_population")])
    >>> t.attrs["scenarios"]
    ['Réduction uniforme', 'Consommation et population']
    """
    allocs = [_as_allocation(s) for s in scenarios]
    if len(allocs) >= 2:
        try:
            from ..compare import compare
        except ImportError:  # pragma: no cover - zan.compare ships with zan
            compare = None
        if compare is not None:
            lv = level or default_level(allocs[0])
            c = compare(allocs, level=lv)
            out = c.territories_table[["nom", "reference_ha"]].copy()
            out.index = out.index.astype(str)
            out.index.name = "code"
            for name in c.names:
                out[name] = c.envelope_ha[name].to_numpy(dtype="float64")
            for name in c.others:
                out[f"ecart_ha {name}"] = c.difference_ha[name].to_numpy(dtype="float64")
            out.attrs["scenarios"] = list(c.names)
            ind = c.indicators()
            labels = c.indicator_labels()
            out.attrs["indicators"] = [
                {
                    "label": labels.get(k, k),
                    "values": [finite_or_none(ind.at[n, k]) for n in c.names],
                    "decimals": 0
                    if k in ("at_floor", "at_cap", "winners", "losers")
                    else 3
                    if k.startswith("gini")
                    else 1,
                }
                for k in ind.columns
            ]
            return out
    if len(allocs) < 2:
        raise ScenarioError(
            f"a comparison needs at least two scenarios (got {len(allocs)}); add --compare"
        )
    lv = level or default_level(allocs[0])
    names: list[str] = []
    for i, a in enumerate(allocs):
        name = str(a.name or f"Scénario {i + 1}")
        while name in names:
            name += f" ({i + 1})"
        names.append(name)
        if lv not in a.levels:
            raise ScenarioError(
                f"scenario {name!r} has no level {lv!r} (levels: {', '.join(a.levels)}); "
                "compare scenarios allocated at the same level"
            )
    first = allocs[0].level_table(lv)
    first.index = first.index.astype(str)
    out = pd.DataFrame(index=first.index)
    out.index.name = "code"
    out["nom"] = first["nom"].astype(str)
    out["reference_ha"] = first["reference_ha"].astype("float64")
    for name, a in zip(names, allocs, strict=True):
        t = a.level_table(lv)
        t.index = t.index.astype(str)
        out[name] = t["envelope_ha"].reindex(out.index).astype("float64")
    for name in names[1:]:
        out[f"ecart_ha {name}"] = out[name] - out[names[0]]
    out.attrs["scenarios"] = names
    return out


# ============================================================================ shared by the pages
def finite_or_none(value: Any) -> float | None:
    """A float, or None for missing / infinite (the templates show a dash)."""
    if value is None:
        return None
    try:
        x = float(value)
    except (TypeError, ValueError):
        return None
    return x if math.isfinite(x) else None


def page_meta(ctx: ReportContext) -> dict[str, Any]:
    """Scenario name, hash, profile, sources and date shown on every page."""
    from .._version import __version__

    alloc = ctx.allocation
    env = alloc.envelope
    sc = ctx.scenario
    return {
        "scenario": ctx.name,
        "description": str(sc.scenario.description or ""),
        "hash": str(alloc.scenario_hash or sc.hash),
        "hash_short": str(alloc.scenario_hash or sc.hash)[:12],
        "profile": env.profile.title if env is not None else "",
        "reference_period": f"{ctx.reference_period[0]}-{ctx.reference_period[1]}",
        "target_period": f"{ctx.target_period[0]}-{ctx.target_period[1]}",
        "level": ctx.level,
        "level_label": LEVEL_LABELS.get(ctx.level, ctx.level),
        "levels": " → ".join(LEVEL_LABELS.get(lv, lv) for lv in alloc.levels),
        "sources": list(ctx.sources),
        "generated": _date_fr(ctx.generated),
        "generated_iso": ctx.generated.isoformat(),
        "version": __version__,
        "rounding": f"{alloc.resolution:g} ha",
        "warnings": list(getattr(alloc, "warnings", ())),
        "garantie_pooling": _POOLING_FR.get(getattr(alloc, "garantie_pooling", "commune"), ""),
        "envelope_kind": env.provenance()["label"] if env is not None else "",
        "envelope_source": env.provenance().get("source", "") if env is not None else "",
    }


#: How the garantie communale applies, as the reports say it (zan.garantie).
_POOLING_FR = {
    "commune": "par commune : chaque commune éligible garde au moins 1 ha "
    "(loi n° 2023-630, art. 4)",
    "epci": "mutualisée à l'échelle intercommunale, à la demande des communes (loi n° 2023-630, "
    "art. 4)",
}


def select_codes(ctx: ReportContext, territories: str | Iterable[str] | None) -> list[str]:
    """Codes asked for: ``"all"`` / None, a comma-separated string, or an iterable.

    Raises
    ------
    DataError
        Listing the unknown codes and a few valid ones.

    Examples
    --------
    >>> from zan.datasets import scenario_path
    >>> ctx = prepare_reports(scenario_path("02_consommation_population"))
    >>> select_codes(ctx, "249600297, 249604612")
    ['249600297', '249604612']
    """
    if territories is None or (isinstance(territories, str) and territories.strip() == "all"):
        return ctx.codes
    items = territories.split(",") if isinstance(territories, str) else list(territories)
    codes = list(dict.fromkeys(str(c).strip() for c in items if str(c).strip()))
    unknown = [c for c in codes if c not in ctx.table.index]
    if unknown:
        raise DataError(
            f"--territories: {len(unknown)} unknown code{'s' if len(unknown) > 1 else ''} at "
            f"level {ctx.level!r} ({', '.join(unknown[:10])}); valid codes are e.g. "
            f"{', '.join(ctx.codes[:5])}; or write 'all'"
        )
    if not codes:
        raise DataError("--territories: no code given; write 'all' or codes separated by commas")
    return codes
