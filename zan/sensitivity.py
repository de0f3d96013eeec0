"""Sensitivity of an allocation to its weights and parameters: intervals and Sobol indices.

A planner's figures rest on choices (the weight of each criterion, the reduction rate,
the garantie communale...). :func:`sensitivity_analysis` draws thousands of variants of
a scenario, evaluates them all at once through the batch path
(:func:`zan.allocate.allocate_batch`, the same water-filling as
:func:`zan.scenario.run_scenario`), and reports

- per territory, the minimum, 5th percentile, median, 95th percentile and maximum of
  its envelope, i.e. a **90 % interval** of what the uncertain choices allow;
- per parameter, the **first-order** and **total Sobol indices**: the share of the
  variance of a territory's envelope due to that parameter alone, and with all its
  interactions; and the same indices for the whole map (variance-weighted over the
  territories).

What varies
-----------
The scenario file's ``[sensitivity]`` section lists ranges or distributions::

    [sensitivity]
    samples = 4096          # model evaluations (default 4096)
    seed = 2154

    [sensitivity.weights]   # criteria weights, by criterion name
    consommation = [0.3, 0.7]                       # uniform between the bounds
    population = { distribution = "triangular", min = 0.3, mode = 0.5, max = 0.7 }

    [sensitivity.parameters]
    "envelope.reduction" = [0.45, 0.55]
    "floors.ha_per_commune" = { distribution = "normal", mean = 1.0, sd = 0.2, min = 0 }

Distributions: ``uniform`` (``min``, ``max``; a two-number list is a shorthand),
``triangular`` (``min``, ``mode``, ``max``), ``normal`` (``mean``, ``sd``, optionally
truncated to ``min``/``max``), ``loguniform`` (``min`` > 0, ``max``). Weights are
normalised to sum to 1 in every variant, as the scenario's own weights are. Parameters:
``envelope.reduction``, ``envelope.envelope_ha``, ``floors.ha_per_commune`` (garantie
communale), ``floors.ha``, ``floors.share_of_reference``, ``caps.ha``,
``caps.share_of_reference``.

**Default**: without a ``[sensitivity]`` section (or with one that lists neither weights
nor parameters), every criterion weight varies uniformly by ±50 % around its value
(``default_range = 0.5``), then the weights are normalised. A scenario with a single
criterion therefore shows no variation at all (its envelope does not depend on the
weight).

Estimators
----------
The variants form a Saltelli design (Saltelli 2002; Saltelli et al., *Computer Physics
Communications* 181, 2010): two independent matrices ``A`` and ``B`` of ``N`` rows drawn
from a scrambled Sobol sequence (:class:`scipy.stats.qmc.Sobol`) mapped through each
parameter's distribution, and for each parameter ``i`` the matrix ``A_B^(i)`` (``A`` with
column ``i`` taken from ``B``): ``N × (P + 2)`` evaluations in all, so ``samples`` is the
total number of evaluations and ``N = samples // (P + 2)``. With the outputs centred on
their mean and ``V`` the variance of ``f(A)`` and ``f(B)`` together:

- first order (Saltelli et al. 2010, eq. (b) of table 2):
  ``S_i = mean(f(B) · (f(A_B^(i)) − f(A))) / V``;
- total (Jansen 1999): ``ST_i = mean((f(A) − f(A_B^(i)))²) / (2 V)``.

These are the estimators of SALib's ``sobol.analyze`` (``tests/test_sensitivity.py``
checks that both give the same numbers, and the Ishigami function's known indices); zan
computes them for every territory at once with numpy. The indices of the whole map
weight each territory by its variance (Gamboa, Janon, Klein & Lagnoux, *Electronic
Journal of Statistics* 8, 2014): ``S_i = Σ_t V_t S_{i,t} / Σ_t V_t``. A territory whose
envelope does not vary has no variance to share: its indices are missing (NaN).

The intervals use every evaluation (each row of ``A``, ``B`` and ``A_B^(i)`` is a draw of
the parameters' joint distribution). Envelopes are the exact values before rounding
(the rounding to 0.01 ha moves each by less than the resolution); ``rounded=True`` rounds
them as the scenario says.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel
from pydantic import ValidationError as _PydanticValidationError

from .allocate import BatchProblem
from .batch_stream import STREAM_MIN_VALUES, stream_batch
from .errors import InfeasibleError, ScenarioError
from .formatting import fr_text
from .scenario_model import (
    DEFAULT_SAMPLES as _DEFAULT_SAMPLES,
)
from .scenario_model import (
    DEFAULT_SEED as _DEFAULT_SEED,
)
from .scenario_model import (
    PARAMETERS,
    DistributionConfig,
    SensitivityConfig,
)
from .scenario_model import (
    as_distribution as _as_distribution,
)
from .sensitivity_result import SensitivityResult
from .sobol import saltelli_design, sobol_indices
from .sobol import summaries as _summaries

__all__ = [
    "DistributionConfig",
    "SensitivityConfig",
    "SensitivityResult",
    "PARAMETERS",
    "read_scenario",
    "prepare",
    "sensitivity_analysis",
    "sobol_indices",
    "saltelli_design",
    "write_sensitivity",
]


def read_scenario(path: str | os.PathLike) -> tuple[Any, SensitivityConfig | None]:
    """Read a scenario file and its ``[sensitivity]`` section.

    Parameters
    ----------
    path : path-like
        A ``.toml`` scenario, with or without a ``[sensitivity]`` section.

    Returns
    -------
    (Scenario, SensitivityConfig or None)

    Raises
    ------
    ScenarioError
        As :func:`zan.scenario.load_scenario`, and for a malformed ``[sensitivity]``
        section (naming the key, e.g. ``sensitivity.weights.population``).

    Examples
    --------
    >>> from zan.datasets import scenario_path
    >>> sc, config = read_scenario(scenario_path("02_consommation_population"))
    >>> sc.scenario.name, config is None
    ('Consommation et population', True)
    """
    from .scenario import load_scenario

    sc = load_scenario(path)  # the scenario model reads and validates the section
    return sc, _config_of(sc)


def _config_of(sc: Any) -> SensitivityConfig | None:
    value = getattr(sc, "sensitivity", None)
    if value is None or isinstance(value, SensitivityConfig):
        return value
    return SensitivityConfig.model_validate(
        value.model_dump() if isinstance(value, BaseModel) else value
    )


def prepare(scenario: Any) -> Any:
    """A :class:`~zan.scenario.PreparedScenario` from a path, a Scenario or a prepared one.

    Scenario files may carry a ``[sensitivity]`` section.

    Examples
    --------
    >>> from zan.datasets import scenario_path
    >>> prepare(scenario_path("02_consommation_population")).levels
    ('epci',)
    """
    from .scenario import PreparedScenario, Scenario, prepare_scenario

    if isinstance(scenario, PreparedScenario):
        return scenario
    if isinstance(scenario, Scenario):
        return prepare_scenario(scenario)
    if isinstance(scenario, (str, os.PathLike)):
        return prepare_scenario(read_scenario(scenario)[0])
    raise ScenarioError(
        f"expected a scenario file, a Scenario or a PreparedScenario (got {type(scenario).__name__})"
    )


# ============================================================================ batch set-up
@dataclass(frozen=True)
class _Terms:
    """Scenario terms the parameters vary, beside the batch problem (territory-code order)."""

    reduction: float | None  # of the regional envelope (None when given in hectares)
    garantie: bool
    ha_per_commune: float
    eligible: np.ndarray  # communes eligible for the garantie communale, per territory


def _terms(prep: Any, problem: BatchProblem) -> _Terms:
    from .envelope import load_profile

    fl = prep.scenario.floors
    hpc = (
        load_profile(prep.envelope.profile).garantie_communale.ha_per_commune
        if fl.ha_per_commune is None
        else float(fl.ha_per_commune)
    )
    gar = problem.garantie_ha
    eligible = np.rint(gar / hpc) if hpc > 0 else np.zeros(len(gar))
    return _Terms(
        reduction=prep.envelope.reduction,
        garantie=bool(fl.garantie_communale),
        ha_per_commune=hpc,
        eligible=eligible,
    )


# ============================================================================ analysis
@dataclass(frozen=True)
class _Parameter:
    key: str
    label: str
    dist: DistributionConfig
    base: float


def _parameters(
    sc: Any,
    setup: BatchProblem,
    terms: _Terms,
    config: SensitivityConfig | None,
    ranges: Mapping[str, Any] | None,
) -> tuple[list[_Parameter], list[str]]:
    """The varying parameters, in a stable order (weights first), and notes in French."""
    notes: list[str] = []
    weights: dict[str, DistributionConfig] = {}
    params: dict[str, DistributionConfig] = {}
    where = f"{sc.source}: [sensitivity]"
    if config is not None:
        weights.update(config.weights)
        params.update(config.parameters)
    if ranges is not None:
        where = "ranges="
        extra_w, extra_p = {}, {}
        for key, value in ranges.items():
            key = str(key)
            try:
                dist = DistributionConfig.model_validate(_as_distribution(value))
            except (_PydanticValidationError, ValueError) as exc:
                raise ScenarioError(f"ranges[{key!r}]: {exc}".splitlines()[0]) from None
            if key.startswith("weights."):
                extra_w[key.removeprefix("weights.")] = dist
            elif key in PARAMETERS:
                extra_p[key] = dist
            elif key in setup.criteria_names:
                extra_w[key] = dist
            else:
                raise ScenarioError(
                    f"ranges: unknown key {key!r}; give a criterion name "
                    f"({', '.join(setup.criteria_names)}) or a parameter ({', '.join(PARAMETERS)})"
                )
        weights, params = extra_w, extra_p
    if not weights and not params:
        share = config.default_range if config is not None else 0.5
        for name, w in zip(setup.criteria_names, setup.base_weights, strict=True):
            weights[name] = DistributionConfig(min=w * (1 - share), max=w * (1 + share))
        notes.append(
            f"Par défaut, chaque poids varie de ±{fr_text(100 * share, 0)} % autour de sa valeur "
            "(loi uniforme), puis les poids sont normalisés."
        )
        if len(setup.criteria_names) == 1:
            notes.append(
                "Le scénario n'a qu'un critère : après normalisation, son poids vaut toujours "
                "1 et l'enveloppe ne varie pas."
            )
    for name in weights:
        if name not in setup.criteria_names:
            raise ScenarioError(
                f"{where}: key 'sensitivity.weights.{name}': no criterion named {name!r}; "
                f"criteria: {', '.join(setup.criteria_names)}"
            )
    out = []
    for name, w in zip(setup.criteria_names, setup.base_weights, strict=True):
        if name in weights:
            d = weights[name]
            if d.bounds[0] < 0:
                raise ScenarioError(
                    f"{where}: key 'sensitivity.weights.{name}': a weight cannot be negative "
                    f"(the distribution reaches {d.bounds[0]:g}); set min = 0 or more"
                )
            out.append(_Parameter(f"weights.{name}", f"Poids « {name} »", d, float(w)))
    for key in PARAMETERS:
        if key in params:
            out.append(
                _Parameter(key, PARAMETERS[key], params[key], _base_value(sc, terms, key, where))
            )
    constant = [p for p in out if p.dist.is_constant]
    if constant:
        notes.append(
            "Paramètres fixés (intervalle nul) : " + ", ".join(p.label for p in constant) + "."
        )
    return [p for p in out if not p.dist.is_constant], notes


def _base_value(sc: Any, terms: _Terms, key: str, where: str) -> float:
    e, fl, cp = sc.envelope, sc.floors, sc.caps
    if key == "envelope.reduction":
        if e.envelope_ha is not None:
            raise ScenarioError(
                f"{where}: key 'sensitivity.parameters.\"envelope.reduction\"': the scenario gives "
                "envelope_ha, not a reduction; vary 'envelope.envelope_ha' instead"
            )
        return float(terms.reduction)
    if key == "envelope.envelope_ha":
        if e.envelope_ha is None:
            raise ScenarioError(
                f"{where}: key 'sensitivity.parameters.\"envelope.envelope_ha\"': the scenario "
                "gives a reduction, not envelope_ha; vary 'envelope.reduction' instead"
            )
        return float(e.envelope_ha)
    if key == "floors.ha_per_commune":
        if not terms.garantie:
            raise ScenarioError(
                f"{where}: key 'sensitivity.parameters.\"floors.ha_per_commune\"': the scenario "
                "has no garantie communale; set [floors] garantie_communale = true"
            )
        return terms.ha_per_commune
    if key == "floors.ha":
        return float(fl.ha)
    if key == "floors.share_of_reference":
        return float(fl.share_of_reference)
    if key == "caps.ha":
        return math.inf if cp.ha is None else float(cp.ha)
    if key == "caps.share_of_reference":
        return math.inf if cp.share_of_reference is None else float(cp.share_of_reference)
    raise AssertionError(key)  # pragma: no cover


def _distributed(prep: Any, override: Mapping[str, float]) -> float:
    from .envelope import regional_envelope

    e = prep.scenario.envelope
    env = prep.envelope
    args: dict[str, Any] = dict(
        reduction=env.reduction,
        envelope_ha=None if env.reduction is not None else env.gross_ha,
        # PENE in hectares: the péréquation depends on the reference, not on the reduction
        pene=env.pene_ha if env.pene_mode != "none" else None,
        reserve_ha=e.reserve_ha,
        reserve_share=e.reserve_share,
        garantie_communes=env.garantie_communes,
        profile=env.profile,
        tolerance=env.tolerance,
        reference_period=env.reference_period,
    )
    args.update(override)
    return float(regional_envelope(env.reference_ha, **args).distributed_ha)


def _envelopes(prep: Any, setup: BatchProblem, key: str, x: np.ndarray, where: str) -> np.ndarray:
    """Distributed envelope (ha, at the resolution) for each value of an envelope parameter."""
    arg = "reduction" if key == "envelope.reduction" else "envelope_ha"
    lo, hi = float(x.min()), float(x.max())
    try:
        d_lo = _distributed(prep, {arg: lo})
        d_hi = _distributed(prep, {arg: hi})
        mid = 0.5 * (lo + hi)
        d_mid = _distributed(prep, {arg: mid})
    except ScenarioError as exc:
        raise ScenarioError(
            f"{where}: the range of {key!r} [{lo:g}, {hi:g}] gives an impossible envelope: {exc}"
        ) from None
    if hi > lo and abs(d_mid - 0.5 * (d_lo + d_hi)) <= 1e-9 * max(abs(d_hi), 1.0):
        E = d_lo + (x - lo) * ((d_hi - d_lo) / (hi - lo))  # the envelope is affine in it
    else:
        E = np.array([_distributed(prep, {arg: float(v)}) for v in x])
    return setup.envelopes(E)


def _bounds_rows(
    setup: BatchProblem,
    terms: _Terms,
    sc: Any,
    cols: Mapping[str, np.ndarray],
    *,
    columns: Any = slice(None),
) -> tuple[np.ndarray, np.ndarray]:
    """(k, n) floors and caps at the resolution for rows whose bound parameters vary.

    ``columns`` selects territories (the same floats, element by element).
    """
    fl, cp = sc.floors, sc.caps
    ref = np.nan_to_num(setup.reference_ha[columns], nan=0.0)
    eligible = terms.eligible[columns]
    k = len(next(iter(cols.values())))

    def col(key: str, default: float) -> np.ndarray:
        return cols[key][:, None] if key in cols else np.full((k, 1), default)

    floor = np.maximum(
        col("floors.ha", fl.ha), col("floors.share_of_reference", fl.share_of_reference) * ref
    )
    gar = col("floors.ha_per_commune", terms.ha_per_commune) * eligible if terms.garantie else 0.0
    cap_ha = col("caps.ha", math.inf if cp.ha is None else cp.ha)
    cap_share = col(
        "caps.share_of_reference",
        math.inf if cp.share_of_reference is None else cp.share_of_reference,
    )
    with np.errstate(invalid="ignore"):
        cap = np.minimum(cap_ha, np.where(np.isinf(cap_share), np.inf, cap_share * ref))
    cap = np.broadcast_to(cap, (k, len(ref)))
    floor = np.broadcast_to(np.maximum(floor, gar), (k, len(ref)))
    cap = np.maximum(cap, gar)
    return setup.bounds(floor, cap)


def sensitivity_analysis(
    scenario: Any,
    *,
    samples: int | None = None,
    seed: int | None = None,
    ranges: Mapping[str, Any] | None = None,
    rounded: bool = False,
    chunk_rows: int = 2048,
    prepare_map: Callable[[Callable[[], Any]], Any] | None = None,
    stream: bool | None = None,
) -> SensitivityResult:
    """Vary a scenario's weights and parameters; intervals and Sobol indices per territory.

    See the module docstring for the ``[sensitivity]`` section, the default (every
    weight ±50 %) and the estimators.

    Parameters
    ----------
    scenario : path, Scenario or PreparedScenario
        A single-level scenario (not a cascade); a file may carry a ``[sensitivity]``
        section.
    samples : int, optional
        Total number of evaluations (default: the section's ``samples``, else 4,096);
        ``N = samples // (P + 2)`` rows per Saltelli matrix.
    seed : int, optional
        Default: the section's ``seed``, else 2154. The same seed gives the same result.
    ranges : dict, optional
        Replaces the section: ``{criterion name or "weights.<name>" or parameter:
        (min, max) or {"distribution": ..., ...}}``.
    rounded : bool, default False
        Round every variant to the scenario's resolution (slower; the exact values
        differ by less than the resolution).
    chunk_rows : int, default 2048
        Rows evaluated at once when floors or caps vary (memory).
    prepare_map : callable, optional
        A function that runs work in a background thread, e.g. :func:`zan.maps.prefetch`:
        given, the territories' map geometry is prepared while the variants are
        evaluated, for a map of the result drawn next (``zan sensitivity`` does so).
    stream : bool, optional
        Keep the variants' envelopes as their multipliers and recompute them block by
        block (:func:`zan.batch_stream.stream_batch`: memory bounded whatever the
        size, the same numbers); default above
        :data:`zan.batch_stream.STREAM_MIN_VALUES` evaluations × territories (10,000
        variants of 35,000 communes). ``values`` is then a
        :class:`~zan.batch_stream.BatchColumns` (``np.asarray`` gives the array).

    Returns
    -------
    SensitivityResult

    Raises
    ------
    ScenarioError
        A cascade, an unknown criterion or parameter, a range that makes the envelope
        impossible; :class:`~zan.errors.InfeasibleError` when a variant's floors cannot
        fit in its envelope (the message gives the parameter values).

    Examples
    --------
    >>> from zan.datasets import scenario_path
    >>> r = sensitivity_analysis(scenario_path("02_consommation_population"), samples=512)
    >>> list(r.parameters.index)
    ['weights.consommation', 'weights.population']
    >>> bool((r.intervals["p05_ha"] <= r.intervals["p95_ha"]).all())
    True
    """
    from .scenario import PreparedScenario

    if isinstance(scenario, (str, os.PathLike)):
        sc, config = read_scenario(scenario)
        prep = prepare(sc)
    else:
        prep = prepare(scenario)
        sc = prep.scenario
        config = _config_of(sc)
    assert isinstance(prep, PreparedScenario)
    if prepare_map is not None and prep.territories is not None:
        territories, level = prep.territories, prep.levels[-1]
        prepare_map(lambda: territories.geometries(level))
    setup = BatchProblem.from_prepared(prep)
    terms = _terms(prep, setup)
    where = f"{sc.source}: [sensitivity]" if ranges is None else "ranges="
    params, notes = _parameters(sc, setup, terms, config, ranges)
    samples = int(
        samples if samples is not None else (config.samples if config else _DEFAULT_SAMPLES)
    )
    seed = int(
        seed
        if seed is not None
        else (config.seed if config and config.seed is not None else _DEFAULT_SEED)
    )
    P = len(params)
    if samples < 2 * (P + 2):
        raise ScenarioError(
            f"samples = {samples} is too few for {P} parameters: the Saltelli design needs at "
            f"least {2 * (P + 2)} evaluations (2 × (P + 2)); give samples >= {2 * (P + 2)}, "
            "ideally thousands"
        )
    if P:
        n_base = samples // (P + 2)
        X = saltelli_design([p.dist for p in params], n_base, seed=seed)
    else:
        n_base = samples // 2
        X = np.zeros((2 * n_base, 0))
    K = X.shape[0]
    cols = {p.key: X[:, j] for j, p in enumerate(params)}
    # weights (K, C), normalised
    W = np.broadcast_to(setup.base_weights, (K, len(setup.criteria_names))).copy()
    for j, name in enumerate(setup.criteria_names):
        if f"weights.{name}" in cols:
            W[:, j] = cols[f"weights.{name}"]
    tot = W.sum(axis=1)
    if (tot <= 0).any():
        raise ScenarioError(
            f"{where}: some variants give every criterion a zero weight; keep at least one "
            "weight range above 0"
        )
    W /= tot[:, None]
    # envelopes
    E: Any = setup.envelope_ha
    for key in ("envelope.reduction", "envelope.envelope_ha"):
        if key in cols:
            E = _envelopes(prep, setup, key, cols[key], where)
    bound_keys = [k for k in cols if k.startswith(("floors.", "caps."))]
    t0 = time.perf_counter()
    if stream is None:
        stream = K * len(setup.codes) > STREAM_MIN_VALUES
    offset = 0
    try:
        if stream:

            def row_bounds(rows: Any, columns: Any) -> tuple[np.ndarray, np.ndarray]:
                given = {k: cols[k][rows] for k in bound_keys}
                return _bounds_rows(setup, terms, sc, given, columns=columns)

            Y: Any = stream_batch(
                setup, W, E, bounds=row_bounds if bound_keys else None, rounded=rounded
            )
        elif not bound_keys:
            batch = setup.run(W, E, rounded=rounded)
            Y = batch.rounded_ha if rounded else batch.values
        else:
            Y = np.empty((K, len(setup.codes)))
            Ek = np.broadcast_to(np.asarray(E, dtype=np.float64), (K,))
            for offset in range(0, K, chunk_rows):
                sl = slice(offset, min(offset + chunk_rows, K))
                F, C = _bounds_rows(setup, terms, sc, {k: cols[k][sl] for k in bound_keys})
                b = setup.run(W[sl], Ek[sl], floors=F, caps=C, rounded=rounded)
                Y[sl] = b.rounded_ha if rounded else b.values
    except InfeasibleError as exc:
        msg = str(exc)
        row = None
        if msg.startswith("row "):
            row = int(msg.split(":")[0].split()[1]) + offset
        values = (
            ", ".join(f"{p.key} = {X[row, j]:.4g}" for j, p in enumerate(params))
            if row is not None
            else ""
        )
        raise InfeasibleError(
            f"{where}: a variant cannot be allocated ({values}): {msg}; narrow the ranges"
        ) from None
    seconds = time.perf_counter() - t0
    # the scenario's own envelope, rounded as run_scenario does
    base = setup.run(setup.base_weights[None, :]).rounded_ha[0]
    S, ST, V, q, ymin, ymax = _summaries(Y, P)
    constant = (ymax - ymin) <= 1e-9 * np.maximum(np.abs(ymax), 1.0)
    q = np.where(constant[None, :], ymin[None, :], q)
    width = q[2] - q[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        width_pct = np.where(q[1] > 0, 100.0 * width / q[1], np.nan)
    intervals = pd.DataFrame(
        {
            "code": setup.codes.to_numpy(),
            "nom": setup.names,
            "reference_ha": setup.reference_ha,
            "base_ha": base,
            "min_ha": ymin,
            "p05_ha": q[0],
            "median_ha": q[1],
            "p95_ha": q[2],
            "max_ha": ymax,
            "width90_ha": width,
            "width90_pct": width_pct,
        },
        index=setup.codes,
    )
    keys = [p.key for p in params]
    tv = V.sum()
    if P and tv > 0:
        agg_s = np.nansum(S * V, axis=1) / tv
        agg_t = np.nansum(ST * V, axis=1) / tv
    else:
        agg_s = agg_t = np.full(P, np.nan)
    if constant.all():
        notes.append("Aucune variation : les intervalles sont de largeur nulle.")
    first = pd.DataFrame(S.T, index=setup.codes, columns=keys)
    total = pd.DataFrame(ST.T, index=setup.codes, columns=keys)
    parameters = pd.DataFrame(
        {
            "label": [p.label for p in params],
            "distribution": [p.dist.describe() for p in params],
            "min": [p.dist.bounds[0] for p in params],
            "max": [p.dist.bounds[1] for p in params],
            "base": [p.base for p in params],
        },
        index=pd.Index(keys, dtype=object),
    )
    indices = pd.DataFrame(
        {"label": parameters["label"].to_numpy(), "first_order": agg_s, "total": agg_t},
        index=parameters.index,
    )
    return SensitivityResult(
        name=sc.scenario.name,
        level=prep.levels[-1],
        parameters=parameters,
        samples=pd.DataFrame(X, columns=keys),
        values=Y,
        intervals=intervals,
        first_order=first,
        total=total,
        indices=indices,
        n_base=n_base,
        seconds=seconds,
        seed=seed,
        notes=tuple(n for n in notes if n),
        territories=prep.territories,
    )


def write_sensitivity(
    result: SensitivityResult,
    out: str | os.PathLike,
    *,
    png: bool = False,
    html: bool = True,
    fan: bool = True,
) -> list[Path]:
    """Write an analysis into a folder: tables, workbook, fan plot and maps.

    See :func:`zan.sensitivity_outputs.write_sensitivity` (the files written).

    Examples
    --------
    >>> import tempfile
    >>> from zan.datasets import scenario_path
    >>> r = sensitivity_analysis(scenario_path("02_consommation_population"), samples=64)
    >>> [p.name for p in write_sensitivity(r, tempfile.mkdtemp(), html=False, fan=False)]
    ['intervalles.csv', 'indices.csv', 'sensibilite.xlsx']
    """
    from .sensitivity_outputs import write_sensitivity as write

    return write(result, out, png=png, html=html, fan=fan)
