"""The scenario atlas (``zan atlas``): one offline page of maps of one or several scenarios.

An application: it runs the scenarios (:mod:`zan.scenario`) and draws their maps
(:mod:`zan.maps`) on one page (:func:`zan.maps.atlas`).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from .errors import SchemaError
from .maps import allocation_map, atlas, choropleth, scenario_layers, status_map
from .maps.credits import allocation_credit
from .measure.consumption import trajectory
from .scenario import load_consumption, run_scenario

__all__ = ["scenario_atlas"]


def scenario_atlas(
    scenarios: Sequence[Any],
    path: str | os.PathLike | None = None,
    *,
    level: str | None = None,
    conference: bool = False,
    title: str = "Atlas ZAN",
) -> str:
    """The atlas of one or several scenarios: envelopes, reductions, trajectory, differences.

    For the first scenario: its envelopes (popups explain each figure), its
    reduction rates (diverging around the regional rate), and, when it names a
    consumption file, the trajectory status of each territory against its own
    envelope (consumed since 2021 and projected to 2030); with two scenarios or
    more, a map with one layer per scenario and the difference of every other
    scenario against the first (ha and points of reduction).

    Parameters
    ----------
    scenarios : sequence of path, Scenario or Allocation
        The scenarios (the first is the reference of the differences).
    path : path-like, optional
        Where to write the page (atomically).
    level : str, optional
        Level mapped; the first allocation's last level by default.
    conference : bool, default False
        Projector mode.
    title : str, default "Atlas ZAN"
        Page title.

    Returns
    -------
    str
        The HTML page.

    Examples
    --------
    >>> from zan.datasets import scenario_path
    >>> page = scenario_atlas([scenario_path("01_reduction_uniforme"),
    ...                        scenario_path("02_consommation_population")])
    >>> all(label in page for label in ("Enveloppes", "Réductions", "Trajectoire", "Écarts"))
    True
    """
    if not scenarios:
        raise SchemaError("scenario_atlas needs at least one scenario")
    allocs = [s if hasattr(s, "level_table") else run_scenario(s) for s in scenarios]
    first = allocs[0]
    level = level or first.level
    territories = first.territories
    geoms = territories.geometries(level)
    table = first.level_table(level)
    source = scenarios[0]
    conso = None
    if not hasattr(source, "level_table"):
        conso = load_consumption(first.prepared)  # read by run_scenario: not read again
    credit = allocation_credit(first, conso)
    maps: dict[str, Any] = {
        "Enveloppes": allocation_map(
            first if level == first.level else table,
            geoms,
            explain=level == first.level,
            title=f"Enveloppes 2021-2030 — {first.name}",
            credit=credit,
            conference=conference,
        ),
        "Réductions": choropleth(
            geoms,
            "reduction_pct",
            values=table,
            title=f"Taux de réduction — {first.name}",
            credit=credit,
            conference=conference,
        ),
    }
    if conso is not None and max(conso.years) >= 2021:
        # communes outside every territory of an added level (hors_<level>) have no
        # envelope of their own: no trajectory status for them
        allowed = table["envelope_ha"].reindex(geoms.index)
        traj = trajectory(conso, territories, level=level, allowed=allowed)
        traj = traj[traj.index.isin(table.index)]
        maps["Trajectoire"] = status_map(
            geoms,
            values=traj,
            title="Trajectoire au regard de l'enveloppe attribuée",
            credit=credit,
            conference=conference,
        )
    if len(allocs) > 1:
        names = [a.name or f"Scénario {i + 1}" for i, a in enumerate(allocs)]
        maps["Écarts"] = scenario_layers(
            geoms,
            "envelope_ha",
            {n: a.level_table(level) for n, a in zip(names, allocs, strict=True)},
            difference=True,
            title="Scénarios et écarts",
            credit=credit,
            conference=conference,
        )
    return atlas(maps, path, title=title, credit=credit, conference=conference)
