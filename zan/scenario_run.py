"""Preparing and running a scenario: its data read once, its envelope and bounds, the allocation.

:func:`prepare_scenario` reads a scenario's files (territories, consumption aligned by the
table de passage, rate tables) and computes its envelope, floors and caps: a
:class:`PreparedScenario`, which keeps what it read so that nothing downstream (reports,
atlas, ledger) reads the same file again. :func:`run_scenario` allocates it;
:func:`load_consumption` gives the scenario's aligned consumption.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .allocate import Allocation, allocate, allocate_cascade, garantie_floors
from .cascade import aggregate
from .envelope import Envelope, load_profile, regional_envelope
from .errors import InfeasibleError, ScenarioError, ZanError
from .garantie import eligibility_warning, garantie_levels, warn
from .rules import Criterion, evaluate_rule
from .scenario_files import load_scenario, resolve_path, scenario_region, shown_path
from .scenario_levels import add_scenario_levels, envelope_comparison, split_unassigned
from .scenario_model import LEVELS_HINT, Scenario

__all__ = ["PreparedScenario", "prepare_scenario", "run_scenario", "load_consumption"]


@dataclass(frozen=True)
class PreparedScenario:
    """A scenario with its data loaded: what :func:`run_scenario` allocates.

    Attributes
    ----------
    scenario : Scenario
    territories : zan.Territories
    communes : pandas.DataFrame
        Commune table: level codes and names, indicators, ``reference_ha``.
    envelope : Envelope
    criteria : list of Criterion
        With rate tables read.
    levels : tuple of str
        Allocation levels, from the top down (one unless a cascade).
    table : pandas.DataFrame
        Territory table of the last level.
    floors, caps, garantie : pandas.Series
        Per territory of the last level (ha).
    warnings : tuple of str
        Warnings in French on the run's assumptions (see :attr:`zan.Allocation.warnings`).
    unassigned : pandas.DataFrame or None
        When allocating at a level of ``[data.levels]``: the communes outside every
        territory of it, left out of the allocation
        (:func:`zan.scenario_levels.split_unassigned`); None otherwise.
    notes : tuple of str
        French remarks on the added levels.
    consumption : zan.Consumption or None
        The consumption file as read, aligned on the communes when the scenario names a
        table de passage (what :func:`load_consumption` gives); None without
        ``[data] consumption``. Reports and maps take it from here rather than read the
        file again.
    alignment : pandas.Series or None
        The status of each commune code in the alignment (``unchanged``, ``merged``,
        ``split``, ``recoded``, ``missing``: :meth:`zan.Consumption.align`); None
        without a table de passage.
    """

    scenario: Scenario
    territories: Any
    communes: pd.DataFrame
    envelope: Envelope
    criteria: list[Criterion]
    levels: tuple[str, ...]
    table: pd.DataFrame
    floors: pd.Series
    caps: pd.Series
    garantie: pd.Series
    warnings: tuple[str, ...] = ()
    unassigned: pd.DataFrame | None = None
    notes: tuple[str, ...] = ()
    consumption: Any = None
    alignment: pd.Series | None = None


def _load_territories(sc: Scenario) -> Any:
    from .territory import Territories

    communes = resolve_path(sc, sc.data.communes, "data.communes")
    membership = (
        resolve_path(sc, sc.data.membership, "data.membership") if sc.data.membership else None
    )
    try:
        territories = Territories.from_files(communes, membership, layer=sc.data.communes_layer)
    except ZanError as exc:
        key = "data.membership" if membership is not None else "data.communes"
        where = shown_path(sc, key, sc.data.membership if membership else sc.data.communes)
        raise ScenarioError(f"{sc.source}: {where}: {exc}") from exc
    return add_scenario_levels(
        territories, sc.data.levels, resolve=lambda v, k: resolve_path(sc, v, k), source=sc.source
    )


def _reference_period(sc: Scenario) -> tuple[int, int]:
    if sc.envelope.reference_period is not None:
        return tuple(sc.envelope.reference_period)  # type: ignore[return-value]
    return tuple(load_profile(_profile_arg(sc)).periods.reference)  # type: ignore[return-value]


def _profile_arg(sc: Scenario) -> str | Path:
    prof = sc.envelope.profile
    return resolve_path(sc, prof, "envelope.profile") if prof.endswith(".toml") else prof


def load_consumption(
    scenario: Scenario | str | Path | PreparedScenario, territories: Any = None
) -> Any:
    """The scenario's consumption file, aligned on its communes when it names a table de passage.

    Parameters
    ----------
    scenario : Scenario, path or PreparedScenario
        The scenario; a prepared one gives the consumption it read (no file read).
    territories : Territories, optional
        Its territories (loaded from the scenario when not given).

    Returns
    -------
    zan.Consumption or None
        None when the scenario names no consumption file.

    Raises
    ------
    ScenarioError
        When the file cannot be read or aligned (the message names the key).

    Examples
    --------
    >>> from zan.datasets import scenario_path
    >>> conso = load_consumption(scenario_path("01_reduction_uniforme"))
    >>> conso.years[-1]
    2022
    """
    if isinstance(scenario, PreparedScenario):
        return scenario.consumption
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    return _read_consumption(sc, territories)[0]


def _read_consumption(sc: Scenario, territories: Any = None) -> tuple[Any, pd.Series | None]:
    """The consumption (aligned when a passage is named) and the alignment status."""
    from .io import read_consumption, read_passage

    if sc.data.consumption is None:
        return None, None
    if territories is None:
        territories = _load_territories(sc)
    status = None
    try:
        conso = read_consumption(resolve_path(sc, sc.data.consumption, "data.consumption"))
        if sc.data.passage is not None:
            passage = read_passage(resolve_path(sc, sc.data.passage, "data.passage"))
            conso, status = conso.align(
                passage,
                target_codes=territories.communes.index,
                split_weights=territories.communes["area_ha"],
            )
    except ZanError as exc:
        where = shown_path(sc, "data.consumption", sc.data.consumption)
        raise ScenarioError(f"{sc.source}: {where}: {exc}") from exc
    return conso, status


def _commune_table(sc: Scenario, territories: Any, conso: Any) -> pd.DataFrame:
    """Membership (with level codes from the territories) plus ``reference_ha``."""
    m = territories.membership.copy()
    for level in territories.levels[1:]:
        m[level] = territories.assignment(level).reindex(m.index).astype(str)
        m[f"{level}_nom"] = m[level].map(territories.names(level)).astype(str)
    m["nom"] = territories.communes["nom"].reindex(m.index).astype(str)
    if "area_ha" not in m.columns:
        m["area_ha"] = territories.communes["area_ha"].reindex(m.index)
    if sc.data.consumption is not None:
        start, end = _reference_period(sc)
        try:
            ref_m2 = conso.period_total(start, end)
        except ZanError as exc:
            raise ScenarioError(f"{sc.source}: key 'data.consumption': {exc}") from exc
        ref_m2.index = ref_m2.index.astype(str)
        extra = ref_m2.index.difference(m.index)
        missing = m.index.difference(ref_m2.index)
        if len(extra) or len(missing):
            raise ScenarioError(
                f"{sc.source}: key 'data.consumption': the consumption codes do not match the "
                f"communes ({len(missing)} communes without consumption, e.g. "
                f"{', '.join(missing[:3])}; {len(extra)} codes unknown, e.g. "
                f"{', '.join(extra[:3])}); give [data] passage to align the COG vintages"
            )
        m["reference_ha"] = ref_m2.reindex(m.index).to_numpy(np.float64) / 10_000.0
        if "idreg" in conso.communes.columns:  # the region, for the péréquation check
            m.attrs["idreg"] = sorted(set(conso.communes["idreg"].dropna().astype(str)))
    else:
        m["reference_ha"] = np.nan
    return m


def _build_envelope(sc: Scenario, communes: pd.DataFrame, garantie_n: int) -> Envelope:
    from .regions import check_perequation

    e = sc.envelope
    region = scenario_region(sc)
    published = region is not None and e.reduction is None and e.envelope_ha is None
    if region is None and e.pene == "perequation":
        # no region named: the consumption file's region code, when it has one
        for code in communes.attrs.get("idreg", []):
            try:
                check_perequation(code)
            except ScenarioError as exc:
                raise type(exc)(
                    f"{sc.source}: key 'envelope.pene': the consumption file's {exc}"
                ) from exc
    if e.reference_ha is not None:
        reference = e.reference_ha
    elif communes["reference_ha"].notna().all():
        reference = float(communes["reference_ha"].sum())
    elif published and region.reference is not None:
        reference = region.reference.ha
    elif e.envelope_ha is not None and e.pene != "perequation":
        reference = float("nan")
    else:
        need = "the PENE péréquation needs" if e.envelope_ha is not None else "no"
        raise ScenarioError(
            f"{sc.source}: key 'envelope': {need} reference consumption: give [data] "
            "consumption or envelope.reference_ha"
            + ("" if e.envelope_ha is not None else ", or envelope.envelope_ha")
        )
    try:
        if math.isnan(reference):
            reference = 0.0
        return regional_envelope(
            reference,
            reduction=e.reduction,
            envelope_ha=e.envelope_ha,
            pene=e.pene,
            reserve_ha=e.reserve_ha,
            reserve_share=e.reserve_share,
            garantie_communes=garantie_n,
            profile=_profile_arg(sc),
            national_reference_ha=e.national_reference_ha,
            tolerance=e.tolerance,
            reference_period=_reference_period(sc),
            target_period=e.target_period,
            region=region,
        )
    except ScenarioError as exc:
        raise type(exc)(f"{sc.source}: key 'envelope': {exc}") from exc


def _criteria_with_tables(sc: Scenario) -> list[Criterion]:
    from .io._files import read_table

    out = []
    for i, c in enumerate(sc.criteria):
        params = dict(c.params)
        if isinstance(params.get("table"), str):
            path = resolve_path(sc, params["table"], f"criteria[{i}].params.table")
            try:
                params["table"] = read_table(path, what="rates table")
            except ZanError as exc:
                raise ScenarioError(
                    f"{sc.source}: key 'criteria[{i}].params.table': {exc}"
                ) from exc
        if "period" in params and isinstance(params["period"], list):
            params["period"] = tuple(params["period"])
        out.append(c.to_criterion(params))
    return out


def _check_criteria(
    sc: Scenario, criteria: list[Criterion], tables: dict[str, pd.DataFrame]
) -> None:
    """Evaluate every criterion on every level, so errors name the criterion's key."""
    for i, crit in enumerate(criteria):
        for level, table in tables.items():
            try:
                evaluate_rule(crit.rule, table, **dict(crit.params))
            except ScenarioError as exc:
                where = f" at level {level!r}" if len(tables) > 1 else ""
                raise ScenarioError(
                    f"{sc.source}: key 'criteria[{i}]' ({crit.key}){where}: {exc}"
                ) from exc


def prepare_scenario(scenario: Scenario | str | Path) -> PreparedScenario:
    """Load a scenario's data and compute its envelope and bounds (no allocation yet).

    Parameters
    ----------
    scenario : Scenario or path

    Returns
    -------
    PreparedScenario

    Raises
    ------
    ScenarioError
        Naming the file and the key, for every problem found in the data.

    Examples
    --------
    >>> from zan.datasets import demo_dir
    >>> prep = prepare_scenario(demo_dir().parent / "scenarios" / "02_consommation_population.toml")
    >>> prep.levels, len(prep.table), round(prep.garantie.sum())
    (('epci',), 20, 409)
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    territories = _load_territories(sc)
    conso, alignment = _read_consumption(sc, territories)
    communes = _commune_table(sc, territories, conso)
    alloc = sc.allocation
    levels = tuple(alloc.cascade) if alloc.level == "cascade" else (alloc.level,)
    key = "allocation.cascade" if alloc.level == "cascade" else "allocation.level"
    for lv in levels:
        if lv not in territories.levels:
            raise ScenarioError(
                f"{sc.source}: key {key!r}: the territory table has no level {lv!r} "
                f"(levels: {', '.join(territories.levels)}); add a {lv!r} column to the "
                f"membership table or choose another level ({LEVELS_HINT})"
            )
    communes_all = communes  # the regional reference counts every commune
    communes, unassigned, level_notes = split_unassigned(
        communes, territories, [lv for lv in levels if lv in (sc.data.levels or {})]
    )
    final = levels[-1]
    upper = [lv for lv in territories.levels[1:]]
    tables = {lv: aggregate(communes, lv, upper) for lv in levels}
    table = tables[final]
    # garantie communale (per commune, then per territory of the last level)
    fl = sc.floors
    prof = load_profile(_profile_arg(sc))
    ha_gar = (
        prof.garantie_communale.ha_per_commune if fl.ha_per_commune is None else fl.ha_per_commune
    )
    warnings: list[str] = []
    if fl.garantie_communale:
        try:
            garantie_levels(levels, fl.pooling)
        except ScenarioError as exc:
            raise ScenarioError(f"{sc.source}: key 'floors.garantie_pooling': {exc}") from exc
        try:
            if fl.eligible_column is not None:
                if fl.eligible_column not in communes.columns:
                    raise ScenarioError(
                        f"column {fl.eligible_column!r} not found in the territory table "
                        f"(columns: {', '.join(map(str, territories.membership.columns))})"
                    )
                eligible: Any = communes[fl.eligible_column]
            else:
                eligible = list(fl.eligible) if fl.eligible is not None else None
            per_commune = garantie_floors(eligible, communes=communes.index, ha_per_commune=ha_gar)
        except ScenarioError as exc:
            k = "floors.eligible_column" if fl.eligible_column else "floors.eligible"
            raise ScenarioError(f"{sc.source}: key {k!r}: {exc}") from exc
        n_gar = int(round(per_commune.sum() / ha_gar)) if ha_gar > 0 else 0
        if fl.eligible_column is None and fl.eligible is None:
            warnings.append(eligibility_warning(len(communes), ha_gar))
    else:
        per_commune = pd.Series(0.0, index=communes.index)
        n_gar = 0
    assign = communes.index.to_series() if final == "commune" else communes[final]
    garantie = per_commune.groupby(assign.to_numpy()).sum().reindex(table.index).fillna(0.0)
    envelope = _build_envelope(sc, communes_all, n_gar)
    # floors and caps per territory of the last level
    ref = pd.to_numeric(table["reference_ha"], errors="coerce")
    needs_ref = fl.share_of_reference > 0 or sc.caps.share_of_reference is not None
    if needs_ref and ref.isna().any():
        raise ScenarioError(
            f"{sc.source}: key 'floors'/'caps': share_of_reference needs the reference "
            "consumption per territory; give [data] consumption"
        )
    floors = pd.Series(fl.ha, index=table.index, dtype=np.float64)
    if fl.share_of_reference:
        floors = np.maximum(floors, fl.share_of_reference * ref.fillna(0.0))
    caps = pd.Series(np.inf, index=table.index, dtype=np.float64)
    if sc.caps.ha is not None:
        caps = np.minimum(caps, sc.caps.ha)
    if sc.caps.share_of_reference is not None:
        caps = np.minimum(caps, sc.caps.share_of_reference * ref.fillna(0.0))
    criteria = _criteria_with_tables(sc)
    _check_criteria(sc, criteria, tables)
    prepared = PreparedScenario(
        scenario=sc,
        territories=territories,
        communes=communes,
        envelope=envelope,
        criteria=criteria,
        levels=levels,
        table=table,
        floors=pd.Series(floors, index=table.index),
        caps=pd.Series(caps, index=table.index),
        garantie=garantie,
        warnings=tuple(warnings),
        unassigned=unassigned,
        notes=tuple(level_notes),
        consumption=conso,
        alignment=alignment,
    )
    for text in prepared.warnings:
        warn(text)
    return prepared


def run_scenario(scenario: Scenario | str | Path | PreparedScenario) -> Allocation:
    """Run a scenario: load its data, build the envelope, allocate.

    Parameters
    ----------
    scenario : Scenario, path or PreparedScenario

    Returns
    -------
    Allocation
        Its ``territories`` attribute holds the territories used (for maps and
        GeoPackage export); ``scenario_hash`` the scenario's hash; ``prepared`` the
        :class:`PreparedScenario` (with the consumption read), so that nothing reads
        the files again.

    Raises
    ------
    ScenarioError
        Naming the file and the key; :class:`~zan.errors.InfeasibleError` (a
        ScenarioError) when floors and caps cannot meet the envelope.

    Examples
    --------
    >>> from zan.datasets import demo_dir
    >>> alloc = run_scenario(demo_dir().parent / "scenarios" / "01_reduction_uniforme.toml")
    >>> alloc.level, alloc.check()
    ('epci', True)
    """
    prep = scenario if isinstance(scenario, PreparedScenario) else prepare_scenario(scenario)
    sc = prep.scenario
    a = sc.allocation
    try:
        if len(prep.levels) > 1:
            result = allocate_cascade(
                prep.communes,
                prep.envelope,
                criteria=prep.criteria,
                levels=prep.levels,
                floors=prep.floors,
                caps=prep.caps,
                garantie=prep.garantie,
                resolution=a.resolution,
                rounding=a.rounding,
                normalise=a.normalise,
                name=sc.scenario.name,
                garantie_pooling=sc.floors.pooling,
            )
        else:
            result = allocate(
                prep.table,
                prep.envelope,
                criteria=prep.criteria,
                level=prep.levels[0],
                floors=prep.floors,
                caps=prep.caps,
                garantie=prep.garantie,
                resolution=a.resolution,
                rounding=a.rounding,
                normalise=a.normalise,
                scale_targets=a.scale_targets,
                name=sc.scenario.name,
                garantie_pooling=sc.floors.pooling,
            )
    except InfeasibleError as exc:
        raise InfeasibleError(f"{sc.source}: key 'floors': {exc}") from exc
    except ScenarioError as exc:
        raise ScenarioError(f"{sc.source}: {exc}") from exc
    result = dataclasses.replace(result, unassigned=prep.unassigned)
    extra = (envelope_comparison(result),) if prep.unassigned is not None else ()
    return dataclasses.replace(
        result,
        scenario_hash=sc.hash,
        territories=prep.territories,
        warnings=tuple(result.warnings) + tuple(prep.warnings),
        notes=(*result.notes, *prep.notes, *extra),
        prepared=prep,
    )
