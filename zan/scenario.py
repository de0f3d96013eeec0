"""Scenario files: a TOML description of an allocation run, validated and immutable.

A scenario names its data (paths relative to the scenario file, or ``demo:<name>`` for
the demo files shipped with zan), the envelope (legal profile, reference period,
reduction or hectares, PENE, regional reserve), the allocation level (``commune``,
``epci``, ``scot``... or ``cascade``), the criteria with their weights, the floors
(garantie communale, minimum shares), the caps, and the rounding::

    [scenario]
    name = "Consommation et population"

    [data]
    communes = "demo:communes.gpkg"
    membership = "demo:communes.csv"
    consumption = "demo:conso_enaf_2009_2023.csv"
    passage = "demo:passage_cog2023_cog2024.csv"

    [envelope]
    reduction = 0.5
    pene = "perequation"

    [allocation]
    level = "epci"

    [[criteria]]
    name = "consommation"
    rule = "past_consumption"
    weight = 0.5

    [[criteria]]
    name = "population"
    rule = "indicator"
    weight = 0.5
    params = { column = "population" }

    [floors]
    garantie_communale = true

A level that is not administrative (the receiving territories of a SRADDET) is added
from a territory table and a commune → territory table, then used like ``epci``
(:mod:`zan.scenario_levels`; communes outside every territory are left out of the
allocation and listed in :attr:`~zan.allocate.Allocation.unassigned`)::

    [data.levels.sraddet]
    territories = "region:hdf/territoires_sraddet_hdf_2024.csv"
    membership = "region:hdf/communes_territoires_sraddet_hdf_2024.csv"

    [allocation]
    level = "sraddet"

Data paths are relative to the scenario file; ``demo:<name>`` names a demo file and
``region:<region>/<name>`` a reference table shipped in ``data/regions/``. Any value can
be overridden without editing the file: ``load_scenario(path, overrides={"envelope.
reduction": 0.55})``, ``zan allocate S.toml --set data.consumption=conso.csv``
(:mod:`zan.scenario_overrides`; validated like the file; the hash changes).

:func:`load_scenario` reads and validates a file (every error is a
:class:`~zan.errors.ScenarioError` naming the file, the key and the fix),
:func:`run_scenario` computes the :class:`~zan.allocate.Allocation`,
:func:`scenario_schema` gives the JSON Schema (for editor completion) and
:func:`sensitivity` evaluates thousands of weight vectors on the same data at once.
The files shipped in ``data/scenarios/`` are documented in its README.

This module is the scenario API; its parts live in :mod:`zan.scenario_model` (the
sections and the JSON Schema), :mod:`zan.scenario_files` (reading a file, resolving its
data paths) and :mod:`zan.scenario_run` (preparing and running a scenario).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from .batch import BatchAllocation, BatchProblem
from .errors import ScenarioError
from .scenario_files import load_scenario, resolve_path, scenario_inputs
from .scenario_model import Scenario, scenario_schema
from .scenario_run import PreparedScenario, load_consumption, prepare_scenario, run_scenario

__all__ = [
    "Scenario",
    "PreparedScenario",
    "load_scenario",
    "run_scenario",
    "prepare_scenario",
    "load_consumption",
    "scenario_inputs",
    "scenario_schema",
    "sensitivity",
]

_resolve = resolve_path  # the name zan.validate uses


def sensitivity(
    scenario: Scenario | str | Path | PreparedScenario,
    weights: Any,
    *,
    envelopes: Any = None,
    resolution: float | None = None,
) -> BatchAllocation:
    """Evaluate many blends of a scenario's criteria (and envelopes) in one call.

    Row ``k`` gives exactly what :func:`run_scenario` gives with the criteria weights
    ``weights[k]`` (and the envelope ``envelopes[k]``), before and after rounding.
    Single-level scenarios only.

    Parameters
    ----------
    scenario : Scenario, path or PreparedScenario
    weights : array-like
        (K, C) criteria weights, one row per variant (rows are normalised when the
        scenario has ``normalise = true``; otherwise each must sum to 1).
    envelopes : float or array-like, optional
        Hectares to distribute per variant; default the scenario's.
    resolution : float, optional
        Default the scenario's; rounding as in the scenario.

    Returns
    -------
    BatchAllocation
        Columns in territory-code order (``codes``).

    Examples
    --------
    >>> from zan.datasets import demo_dir
    >>> path = demo_dir().parent / "scenarios" / "02_consommation_population.toml"
    >>> b = sensitivity(path, [[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]])
    >>> b.units.shape[0], bool((b.units.sum(axis=1) == b.units[0].sum()).all())
    (3, True)
    """
    prep = scenario if isinstance(scenario, PreparedScenario) else prepare_scenario(scenario)
    sc = prep.scenario
    if len(prep.levels) > 1:
        raise ScenarioError(f"{sc.source}: sensitivity() works on single-level scenarios")
    if not sc.allocation.scale_targets:
        raise ScenarioError(f"{sc.source}: sensitivity() needs scale_targets = true")
    A = np.asarray(weights, dtype=np.float64)
    n_crit = len(prep.criteria)
    if A.ndim != 2 or A.shape[1] != n_crit:
        raise ScenarioError(
            f"weights must be a (K, {n_crit}) array, one column per criterion (got {A.shape})"
        )
    if (A < 0).any() or not np.isfinite(A).all():
        raise ScenarioError("weights must be finite and >= 0")
    sums = A.sum(axis=1)
    if sc.allocation.normalise:
        A = A / sums[:, None]
    elif (np.abs(sums - 1.0) > 1e-9).any():
        k = int(np.flatnonzero(np.abs(sums - 1.0) > 1e-9)[0])
        raise ScenarioError(f"weights row {k} sums to {sums[k]:.6g}, not 1")
    problem = BatchProblem.from_prepared(prep, resolution=resolution)
    total = problem.distributed_ha if envelopes is None else envelopes
    E = np.broadcast_to(np.asarray(total, dtype=np.float64), (A.shape[0],))
    return problem.run(A, problem.envelopes(E))

