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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel
from pydantic import ValidationError as _PydanticValidationError

from .allocate import LEVEL_LABELS, allocate_batch
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
class _BatchSetup:
    """What the batch path needs, in territory-code order (as zan.scenario.sensitivity)."""

    codes: pd.Index
    names: np.ndarray
    reference_ha: np.ndarray
    shares: np.ndarray  # (n, C)
    criteria_names: tuple[str, ...]
    base_weights: np.ndarray  # (C,), sums to 1
    envelope_ha: float  # distributed, at the resolution
    floors: np.ndarray  # (n,) at the resolution
    caps: np.ndarray
    resolution: float
    rounding: str
    eligible: np.ndarray  # communes eligible for the garantie communale, per territory
    ha_per_commune: float
    garantie: bool
    reduction: float | None  # of the regional envelope (None when given in hectares)


def _batch_setup(prep: Any) -> _BatchSetup:
    from .allocate import _criteria_raw, _final_bounds, _group_shares, _sorted_table

    sc = prep.scenario
    if len(prep.levels) > 1:
        raise ScenarioError(
            f"{sc.source}: the sensitivity analysis and the weights widget work on single-level "
            f"scenarios, and this one is a cascade ({' → '.join(prep.levels)}); set "
            "[allocation] level to one level (e.g. 'epci') to study it"
        )
    if not sc.allocation.scale_targets:
        raise ScenarioError(
            f"{sc.source}: the sensitivity analysis needs scale_targets = true (rates given as "
            "they are leave nothing to vary); remove scale_targets = false"
        )
    table = _sorted_table(prep.table, "the territory table")
    res = float(sc.allocation.resolution)
    _, _, _, lo, hi = _final_bounds(
        table,
        prep.floors.reindex(table.index),
        prep.caps.reindex(table.index),
        prep.garantie.reindex(table.index),
        res,
    )
    raw, _ = _criteria_raw(table, prep.criteria, strict_codes=True)
    n_crit = len(prep.criteria)
    shares, _, _ = _group_shares(
        raw, np.zeros(len(table), dtype=np.int64), 1, np.ones(n_crit) / n_crit
    )
    alpha = np.array([float(c.weight) for c in prep.criteria])
    alpha = alpha / alpha.sum()
    units = math.floor(prep.envelope.distributed_ha / res + 1e-6)
    from .envelope import load_profile

    fl = sc.floors
    hpc = (
        load_profile(prep.envelope.profile).garantie_communale.ha_per_commune
        if fl.ha_per_commune is None
        else float(fl.ha_per_commune)
    )
    gar = prep.garantie.reindex(table.index).to_numpy(np.float64)
    eligible = np.rint(gar / hpc) if hpc > 0 else np.zeros(len(table))
    ref = pd.to_numeric(table["reference_ha"], errors="coerce").to_numpy(np.float64)
    return _BatchSetup(
        codes=table.index,
        names=table["nom"].astype(str).to_numpy() if "nom" in table else table.index.to_numpy(),
        reference_ha=ref,
        shares=np.ascontiguousarray(shares),
        criteria_names=tuple(c.key for c in prep.criteria),
        base_weights=alpha,
        envelope_ha=units * res,
        floors=lo * res,
        caps=np.where(hi >= 2**42, np.inf, hi * res),
        resolution=res,
        rounding=sc.allocation.rounding,
        eligible=eligible,
        ha_per_commune=hpc,
        garantie=bool(fl.garantie_communale),
        reduction=prep.envelope.reduction,
    )


# ============================================================================ design and estimators
def saltelli_design(
    distributions: Sequence[DistributionConfig], n_base: int, *, seed: int | None = None
) -> np.ndarray:
    """The Saltelli design: rows of ``A``, ``B``, then ``A_B^(1)`` … ``A_B^(P)``.

    ``A`` and ``B`` come from one scrambled Sobol sequence of dimension ``2P`` (its
    first ``P`` coordinates for ``A``, the others for ``B``), mapped through each
    distribution's inverse CDF.

    Parameters
    ----------
    distributions : sequence of DistributionConfig
        One per parameter (``P``).
    n_base : int
        Rows of ``A`` and ``B`` (``N``).
    seed : int, optional

    Returns
    -------
    numpy.ndarray
        ``(N × (P + 2), P)`` parameter values.

    Examples
    --------
    >>> d = [DistributionConfig(min=0, max=1), DistributionConfig(min=10, max=20)]
    >>> X = saltelli_design(d, 8, seed=1)
    >>> X.shape, bool((X[16:24, 1] == X[:8, 1]).all()), bool((X[16:24, 0] == X[8:16, 0]).all())
    ((32, 2), True, True)
    """
    from scipy.stats import qmc

    P = len(distributions)
    if n_base < 2:
        raise ScenarioError(f"the design needs at least 2 base samples (got {n_base})")
    m = int(math.ceil(math.log2(n_base)))
    U = qmc.Sobol(d=2 * P, scramble=True, seed=seed).random_base2(m)[:n_base]
    A = np.column_stack([d.ppf(U[:, j]) for j, d in enumerate(distributions)])
    B = np.column_stack([d.ppf(U[:, P + j]) for j, d in enumerate(distributions)])
    blocks = [A, B]
    for i in range(P):
        ab = A.copy()
        ab[:, i] = B[:, i]
        blocks.append(ab)
    return np.concatenate(blocks, axis=0)


def sobol_indices(Y: np.ndarray, n_params: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """First-order and total Sobol indices from the outputs of a Saltelli design.

    Parameters
    ----------
    Y : numpy.ndarray
        ``(N × (P + 2),)`` or ``(N × (P + 2), n)`` outputs, rows in the order of
        :func:`saltelli_design`; every column is an output (a territory).
    n_params : int
        ``P``.

    Returns
    -------
    first_order, total : numpy.ndarray
        ``(P,)`` or ``(P, n)``; NaN for an output that does not vary.
    variance : numpy.ndarray
        ``()`` or ``(n,)``: the variance of each output (of ``f(A)`` and ``f(B)``).

    Examples
    --------
    The Ishigami function (Ishigami & Homma 1990), whose indices are known
    (S = 0.314, 0.442, 0; ST = 0.558, 0.442, 0.244):

    >>> d = [DistributionConfig(min=-np.pi, max=np.pi)] * 3
    >>> X = saltelli_design(d, 2 ** 13, seed=0)
    >>> Y = np.sin(X[:, 0]) + 7 * np.sin(X[:, 1]) ** 2 + 0.1 * X[:, 2] ** 4 * np.sin(X[:, 0])
    >>> s, st, _ = sobol_indices(Y, 3)
    >>> np.round(s, 2).tolist(), np.round(st, 2).tolist()
    ([0.31, 0.44, 0.0], [0.56, 0.44, 0.24])
    """
    Y = np.asarray(Y, dtype=np.float64)
    squeeze = Y.ndim == 1
    if squeeze:
        Y = Y[:, None]
    K = Y.shape[0]
    if n_params < 1 or K % (n_params + 2):
        raise ScenarioError(
            f"{K} outputs do not form a Saltelli design of {n_params} parameters "
            f"(expected a multiple of {n_params + 2})"
        )
    S, ST, V, _, _, _ = _summaries(Y, n_params, quantiles=False)
    if squeeze:
        return S[:, 0], ST[:, 0], V[0]
    return S, ST, V


_PROBS = (0.05, 0.5, 0.95)


def _summaries(
    Y: np.ndarray,
    n_params: int,
    *,
    quantiles: bool = True,
    block: int = 64,
    threads: int | None = None,
) -> tuple[np.ndarray, ...]:
    """Sobol indices, variances, quantiles, minimum and maximum of every column of Y.

    Works on blocks of columns copied as contiguous rows (cache-friendly), spread
    over threads for large ``Y`` (:func:`zan.allocate.batch_threads`; numpy releases
    the GIL, and each block is computed alone, so the numbers do not depend on the
    threads): the Sobol sums in double precision, the quantiles (5 %, 50 %, 95 %,
    linear interpolation as :func:`numpy.quantile`) from a single-precision sorted
    copy (relative error below 1e-7, clipped to the exact minimum and maximum).
    """
    from .allocate import batch_threads

    K, n = Y.shape
    P = n_params
    N = K // (P + 2) if P else 0
    S = np.full((P, n), np.nan)
    ST = np.full((P, n), np.nan)
    V = np.zeros(n)
    Q = np.empty((len(_PROBS), n))
    pos = np.array([(K - 1) * p for p in _PROBS])
    lo = np.floor(pos).astype(np.int64)
    hi = np.ceil(pos).astype(np.int64)
    frac = pos - lo
    ymin = np.empty(n)
    ymax = np.empty(n)

    def run(c0: int, c1: int) -> None:
        Yb = np.ascontiguousarray(Y[:, c0:c1].T)  # (b, K)
        ymin[c0:c1] = Yb.min(axis=1)
        ymax[c0:c1] = Yb.max(axis=1)
        if P:
            m = Yb.mean(axis=1, keepdims=True)  # centred on the mean of every output
            A = Yb[:, :N] - m
            B = Yb[:, N : 2 * N] - m
            mean_ab = (A.sum(axis=1) + B.sum(axis=1)) / (2 * N)
            v = (np.einsum("ij,ij->i", A, A) + np.einsum("ij,ij->i", B, B)) / (2 * N) - mean_ab**2
            scale = np.maximum(np.abs(ymax[c0:c1]), np.abs(ymin[c0:c1]))
            const = v <= 1e-12 * np.maximum(scale, 1.0) ** 2
            den = np.where(const, np.nan, v)
            V[c0:c1] = np.where(const, 0.0, v)
            for i in range(P):
                d = Yb[:, (2 + i) * N : (3 + i) * N] - m - A  # f(A_B^(i)) - f(A)
                S[i, c0:c1] = np.einsum("ij,ij->i", B, d) / N / den
                ST[i, c0:c1] = 0.5 * np.einsum("ij,ij->i", d, d) / N / den
        if quantiles:
            srt = np.sort(Yb.astype(np.float32), axis=1)  # SIMD sort: faster than partitions
            q = srt[:, lo] + frac * (srt[:, hi].astype(np.float64) - srt[:, lo])
            Q[:, c0:c1] = np.clip(q.T, ymin[c0:c1], ymax[c0:c1])

    blocks = [(c0, min(c0 + block, n)) for c0 in range(0, n, block)]
    n_threads = min(batch_threads(K * n) if threads is None else max(1, threads), len(blocks))
    if n_threads <= 1:
        for c0, c1 in blocks:
            run(c0, c1)
    else:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(n_threads, thread_name_prefix="zan-sobol") as pool:
            for f in [pool.submit(run, c0, c1) for c0, c1 in blocks]:
                f.result()
    return S, ST, V, Q, ymin, ymax


# ============================================================================ result
_INTERVAL_COLUMNS = {
    "code": ("Code", None),
    "nom": ("Nom", None),
    "reference_ha": ("Consommation de référence (ha)", "ha"),
    "base_ha": ("Enveloppe du scénario (ha)", "ha"),
    "min_ha": ("Minimum (ha)", "ha"),
    "p05_ha": ("5e centile (ha)", "ha"),
    "median_ha": ("Médiane (ha)", "ha"),
    "p95_ha": ("95e centile (ha)", "ha"),
    "max_ha": ("Maximum (ha)", "ha"),
    "width90_ha": ("Largeur de l'intervalle à 90 % (ha)", "ha"),
    "width90_pct": ("Largeur de l'intervalle à 90 % (% de la médiane)", "pct"),
}


@dataclass(frozen=True, eq=False, repr=False)
class SensitivityResult:
    """What :func:`sensitivity_analysis` computed.

    Attributes
    ----------
    name : str
        The scenario's name.
    level : str
        Allocation level (``epci``, ``commune``...).
    parameters : pandas.DataFrame
        One row per varying parameter (index: key such as ``weights.population`` or
        ``envelope.reduction``): ``label`` (French), ``distribution`` (French
        description), ``min``, ``max``, ``base`` (the scenario's value).
    samples : pandas.DataFrame
        ``(K, P)`` parameter values of every evaluation (Saltelli design order).
    values : numpy.ndarray
        ``(K, n)`` envelopes (ha) of every evaluation, columns in ``intervals`` order.
    intervals : pandas.DataFrame
        Per territory (index: code): ``nom``, ``reference_ha``, ``base_ha`` (the
        scenario's own rounded envelope), ``min_ha``, ``p05_ha``, ``median_ha``,
        ``p95_ha``, ``max_ha``, ``width90_ha`` (p95 − p05), ``width90_pct`` (in % of
        the median).
    first_order, total : pandas.DataFrame
        Sobol indices per territory (rows) and parameter (columns).
    indices : pandas.DataFrame
        Per parameter: ``first_order`` and ``total`` for the whole map (variance-weighted
        over the territories), ``label``.
    n_base : int
        ``N``, rows of each Saltelli matrix; ``len(samples) = N × (P + 2)``.
    seconds : float
        Time spent in the batch evaluations.
    seed : int
    notes : tuple of str
        Remarks in French.
    territories : Territories or None
        For maps.
    """

    name: str
    level: str
    parameters: pd.DataFrame
    samples: pd.DataFrame
    values: np.ndarray
    intervals: pd.DataFrame
    first_order: pd.DataFrame
    total: pd.DataFrame
    indices: pd.DataFrame
    n_base: int
    seconds: float
    seed: int
    notes: tuple[str, ...] = ()
    territories: Any = field(default=None)

    # ------------------------------------------------------------------ display
    def __repr__(self) -> str:
        w = self.intervals["width90_ha"]
        return (
            f"<SensitivityResult {self.name} level={self.level} territories={len(self.intervals)} "
            f"parameters={len(self.parameters)} evaluations={len(self.samples)} "
            f"max 90% width={w.max():.2f} ha>"
        )

    def _repr_html_(self) -> str:
        from .notebook import Column, html_table

        lv = LEVEL_LABELS.get(self.level, self.level)
        head = (
            f"<strong>Analyse de sensibilité — {_html(self.name)}</strong><br>"
            f"{fr_text(len(self.samples), 0)} évaluations ({fr_text(self.n_base, 0)} × "
            f"{len(self.parameters) + 2}, plan de Saltelli, graine {self.seed}) en "
            f"{fr_text(self.seconds, 2)} s ; {len(self.intervals)} territoires ({_html(lv)})."
        )
        params = html_table(
            self.parameters.assign(key=self.parameters.index).join(
                self.indices[["first_order", "total"]]
            ),
            {
                "label": Column("Paramètre"),
                "distribution": Column("Loi"),
                "base": Column("Valeur du scénario", 3),
                "first_order": Column("Indice de Sobol du 1er ordre", 2),
                "total": Column("Indice de Sobol total", 2),
            },
            max_rows=50,
            caption="Paramètres et indices pour l'ensemble des territoires",
        )
        widest = self.intervals.sort_values("width90_ha", ascending=False)
        cols = {
            k: _column(label, unit)
            for k, (label, unit) in _INTERVAL_COLUMNS.items()
            if k not in ("code", "reference_ha")
        }
        table = html_table(
            widest, cols, max_rows=15, caption="Territoires les plus sensibles (intervalle à 90 %)"
        )
        notes = "".join(f"<p>{_html(n)}</p>" for n in self.notes)
        return f"<div>{head}{params}{table}{notes}</div>"

    # ------------------------------------------------------------------ plots and maps
    def plot(
        self,
        path: str | os.PathLike | None = None,
        *,
        max_territories: int = 40,
        relative: bool = True,
        strip: int = 150,
    ):
        """Fan/strip plot: per territory, the spread of its envelope across the variants.

        Each territory is a row: light dots for a sample of the variants (strip), a thin
        line from minimum to maximum, a thick bar for the 90 % interval, a white dot for
        the median and a black mark for the scenario's own value. With many
        territories, the ``max_territories`` with the widest intervals are shown.

        Parameters
        ----------
        path : path-like, optional
            Write the figure there (PNG, PDF or SVG by suffix), atomically.
        max_territories : int, default 40
        relative : bool, default True
            Plot in % of the scenario's own envelope (territories of every size on one
            scale); False plots hectares.
        strip : int, default 150
            Variants drawn as dots per territory (0 for none).

        Returns
        -------
        matplotlib.figure.Figure

        Examples
        --------
        >>> from zan.datasets import scenario_path
        >>> r = sensitivity_analysis(scenario_path("02_consommation_population"), samples=256)
        >>> len(r.plot().axes)
        1
        """
        from matplotlib.figure import Figure

        t = self.intervals
        order = t["width90_ha"].sort_values(ascending=False).index[:max_territories]
        order = t.loc[order].sort_values("median_ha").index
        pos = t.index.get_indexer(order)
        base = t.loc[order, "base_ha"].to_numpy()
        scale = np.where(base > 0, 100.0 / np.where(base > 0, base, 1.0), np.nan)
        if relative:

            def f(v: np.ndarray) -> np.ndarray:
                return v * scale - 100.0

        else:

            def f(v: np.ndarray) -> np.ndarray:
                return v

        y = np.arange(len(order))
        width, height = 8.0, max(3.0, 0.28 * len(order) + 1.5)
        fig = Figure(figsize=(width, height))
        # margins from the label lengths (inches; 7-point labels are at most ~0.06 in
        # per character): measuring every text for a "tight" layout costs more than
        # drawing the figure
        longest = max([len(str(n)[:40]) for n in t.loc[order, "nom"]] + [4])
        left = min(0.45, (0.25 + 0.06 * longest) / width)
        fig.subplots_adjust(left=left, right=0.97, bottom=0.75 / height, top=1.0 - 0.45 / height)
        ax = fig.add_subplot(1, 1, 1)
        if strip and len(self.values):
            rng = np.random.default_rng(0)
            rows = rng.choice(len(self.values), size=min(strip, len(self.values)), replace=False)
            v = f(self.values[np.ix_(rows, pos)])
            jitter = rng.uniform(-0.25, 0.25, v.shape)
            ax.scatter(
                v.ravel(),
                (y[None, :] + jitter).ravel(),
                s=3,
                color="#9ecae1",
                alpha=0.5,
                linewidths=0,
                label="variantes (échantillon)",
            )
        get = t.loc[order]
        ax.hlines(
            y,
            f(get["min_ha"].to_numpy()),
            f(get["max_ha"].to_numpy()),
            color="#555555",
            linewidth=0.8,
            label="minimum – maximum",
        )
        ax.hlines(
            y,
            f(get["p05_ha"].to_numpy()),
            f(get["p95_ha"].to_numpy()),
            color="#08519c",
            linewidth=5,
            label="intervalle à 90 %",
        )
        ax.scatter(
            f(get["median_ha"].to_numpy()),
            y,
            s=14,
            color="white",
            edgecolors="#08519c",
            zorder=3,
            label="médiane",
        )
        ax.scatter(
            f(base), y, marker="|", s=120, color="black", zorder=4, label="valeur du scénario"
        )
        ax.set_yticks(y)
        ax.set_yticklabels([str(n)[:40] for n in get["nom"]], fontsize=7)
        ax.set_xlabel(
            "Écart à l'enveloppe du scénario (%)" if relative else "Enveloppe 2021-2030 (ha)"
        )
        if relative:
            ax.axvline(0, color="#999999", linewidth=0.6)
        shown = "" if len(order) == len(t) else f" ({len(order)} plus sensibles sur {len(t)})"
        ax.set_title(f"Sensibilité de l'enveloppe — {self.name}{shown}", fontsize=10)
        ax.legend(fontsize=7, loc="lower right")
        ax.grid(axis="x", color="#eeeeee")
        if path is not None:
            _save_figure(fig, path)
        return fig

    def explore(self, column: str = "width90_ha", **kwargs: Any):
        """Offline map of the interval width per territory (:func:`zan.maps.choropleth`).

        Parameters
        ----------
        column : str, default "width90_ha"
            Any column of :attr:`intervals` (``width90_pct`` for the relative width).
        **kwargs
            :func:`zan.maps.choropleth` options.

        Returns
        -------
        folium.Map
        """
        from .maps import choropleth

        kwargs.setdefault("title", f"Largeur de l'intervalle à 90 % — {self.name}")
        kwargs.setdefault("legend_title", _INTERVAL_COLUMNS.get(column, (column,))[0])
        kwargs.setdefault("cmap", "Purples")
        kwargs.setdefault("credit", "Calcul zan, analyse de sensibilité")
        return choropleth(self._geometries(), column, values=self._map_table(), **kwargs)

    def to_png(self, path: str | os.PathLike, column: str = "width90_ha", **kwargs: Any) -> Path:
        """Static map of the interval width (:func:`zan.maps.to_png`)."""
        from .maps import to_png

        kwargs.setdefault("title", f"Largeur de l'intervalle à 90 % — {self.name}")
        kwargs.setdefault(
            "legend_title", _INTERVAL_COLUMNS.get(column, (column,))[0].split(" (")[0]
        )
        kwargs.setdefault("cmap", "Purples")
        return Path(to_png(self._geometries(), column, path, values=self._map_table(), **kwargs))

    def _map_table(self) -> pd.DataFrame:
        t = self.intervals.drop(columns=["code"]).copy()
        t["envelope_ha"] = t["base_ha"]
        return t

    def _geometries(self):
        if self.territories is None:
            raise ScenarioError(
                "this result has no territories, so no geometry to map; run the analysis "
                "from a scenario"
            )
        return self.territories.geometries(self.level)

    # ------------------------------------------------------------------ export
    def _views(self) -> dict[str, pd.DataFrame]:
        inter = self.intervals.rename(
            columns={k: v[0] for k, v in _INTERVAL_COLUMNS.items()}
        ).reset_index(drop=True)
        labels = self.parameters["label"]
        idx = self.indices.join(self.parameters[["distribution", "min", "max", "base"]])
        idx = pd.DataFrame(
            {
                "Paramètre": labels.to_numpy(),
                "Clé": idx.index.to_numpy(),
                "Loi": idx["distribution"].to_numpy(),
                "Minimum": idx["min"].to_numpy(),
                "Maximum": idx["max"].to_numpy(),
                "Valeur du scénario": idx["base"].to_numpy(),
                "Indice de Sobol du 1er ordre": idx["first_order"].to_numpy(),
                "Indice de Sobol total": idx["total"].to_numpy(),
            }
        )

        def per_territory(frame: pd.DataFrame) -> pd.DataFrame:
            out = frame.rename(columns=labels.to_dict())
            out.insert(0, "Nom", self.intervals["nom"].to_numpy())
            out.insert(0, "Code", self.intervals.index.to_numpy())
            return out.reset_index(drop=True)

        return {
            "Intervalles": inter,
            "Indices": idx,
            "Indices du 1er ordre": per_territory(self.first_order),
            "Indices totaux": per_territory(self.total),
        }

    def to_csv(self, path: str | os.PathLike, *, view: str = "intervalles") -> Path:
        """Write one view as CSV (UTF-8, French headers), atomically.

        Parameters
        ----------
        path : path-like
        view : {"intervalles", "indices", "indices_1er_ordre", "indices_totaux"}

        Returns
        -------
        pathlib.Path

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from zan.datasets import scenario_path
        >>> r = sensitivity_analysis(scenario_path("02_consommation_population"), samples=64)
        >>> p = r.to_csv(pathlib.Path(tempfile.mkdtemp()) / "intervalles.csv")
        >>> p.read_text(encoding="utf-8").splitlines()[0].split(",")[:3]
        ['Code', 'Nom', 'Consommation de référence (ha)']
        """
        from ._write import write_csv

        views = {_slug(k): v for k, v in self._views().items()}
        if view not in views:
            raise ScenarioError(f"unknown view {view!r}; views: {', '.join(views)}")
        return write_csv(views[view], path, index=False, decimals=4)

    def to_xlsx(self, path: str | os.PathLike) -> Path:
        """Write every view into one workbook (one sheet each, French headers), atomically.

        Sheets: Intervalles, Indices, Indices du 1er ordre, Indices totaux, Paramètres
        (the analysis itself: scenario, evaluations, seed, notes).

        Examples
        --------
        >>> import tempfile, pathlib, openpyxl
        >>> from zan.datasets import scenario_path
        >>> r = sensitivity_analysis(scenario_path("02_consommation_population"), samples=64)
        >>> p = r.to_xlsx(pathlib.Path(tempfile.mkdtemp()) / "sensibilite.xlsx")
        >>> openpyxl.load_workbook(p).sheetnames[:2]
        ['Intervalles', 'Indices']
        """
        from .compare import Sheet, write_workbook

        fmt = {
            "ha": "#,##0.00",
            "pct": "0.0",
            "idx": "0.000",
            "num": "0.000",
        }
        views = self._views()
        sheets = []
        inter_formats = {
            v[0]: fmt["ha"] if v[1] == "ha" else fmt["pct"]
            for v in _INTERVAL_COLUMNS.values()
            if v[1]
        }
        sheets.append(Sheet("Intervalles", views["Intervalles"], inter_formats, freeze="C2"))
        sheets.append(
            Sheet(
                "Indices",
                views["Indices"],
                {
                    "Minimum": fmt["num"],
                    "Maximum": fmt["num"],
                    "Valeur du scénario": fmt["num"],
                    "Indice de Sobol du 1er ordre": fmt["idx"],
                    "Indice de Sobol total": fmt["idx"],
                },
                freeze="B2",
            )
        )
        for name in ("Indices du 1er ordre", "Indices totaux"):
            frame = views[name]
            sheets.append(
                Sheet(name, frame, {c: fmt["idx"] for c in frame.columns[2:]}, freeze="C2")
            )
        about = pd.DataFrame(
            {
                "Élément": [
                    "Scénario",
                    "Niveau",
                    "Évaluations",
                    "Échantillons de base (N)",
                    "Graine",
                    "Méthode",
                    *(f"Note {i + 1}" for i in range(len(self.notes))),
                ],
                "Valeur": [
                    self.name,
                    LEVEL_LABELS.get(self.level, self.level),
                    len(self.samples),
                    self.n_base,
                    self.seed,
                    "Plan de Saltelli (suite de Sobol brouillée) ; indices du 1er ordre "
                    "(Saltelli 2010) et totaux (Jansen 1999)",
                    *self.notes,
                ],
            }
        )
        sheets.append(Sheet("Paramètres", about, {}, freeze="A2"))
        return write_workbook(path, sheets)


def _slug(name: str) -> str:
    return name.lower().replace(" du ", "_").replace(" ", "_")


def _column(label: str, unit: str | None):
    from .notebook import Column

    return Column(label, None if unit is None else (2 if unit == "ha" else 1))


def _html(text: Any) -> str:
    import html

    return html.escape(str(text))


def _save_figure(fig: Any, path: str | os.PathLike) -> Path:
    from ._write import atomic_path

    with atomic_path(path) as tmp:  # the figure's own layout: no second "tight" pass
        fig.savefig(tmp, dpi=150)
    return Path(path)


# ============================================================================ analysis
@dataclass(frozen=True)
class _Parameter:
    key: str
    label: str
    dist: DistributionConfig
    base: float


def _parameters(
    sc: Any, setup: _BatchSetup, config: SensitivityConfig | None, ranges: Mapping[str, Any] | None
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
                _Parameter(key, PARAMETERS[key], params[key], _base_value(sc, setup, key, where))
            )
    constant = [p for p in out if p.dist.is_constant]
    if constant:
        notes.append(
            "Paramètres fixés (intervalle nul) : " + ", ".join(p.label for p in constant) + "."
        )
    return [p for p in out if not p.dist.is_constant], notes


def _base_value(sc: Any, setup: _BatchSetup, key: str, where: str) -> float:
    e, fl, cp = sc.envelope, sc.floors, sc.caps
    if key == "envelope.reduction":
        if e.envelope_ha is not None:
            raise ScenarioError(
                f"{where}: key 'sensitivity.parameters.\"envelope.reduction\"': the scenario gives "
                "envelope_ha, not a reduction; vary 'envelope.envelope_ha' instead"
            )
        return float(setup.reduction)
    if key == "envelope.envelope_ha":
        if e.envelope_ha is None:
            raise ScenarioError(
                f"{where}: key 'sensitivity.parameters.\"envelope.envelope_ha\"': the scenario "
                "gives a reduction, not envelope_ha; vary 'envelope.reduction' instead"
            )
        return float(e.envelope_ha)
    if key == "floors.ha_per_commune":
        if not setup.garantie:
            raise ScenarioError(
                f"{where}: key 'sensitivity.parameters.\"floors.ha_per_commune\"': the scenario "
                "has no garantie communale; set [floors] garantie_communale = true"
            )
        return setup.ha_per_commune
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


def _envelopes(prep: Any, setup: _BatchSetup, key: str, x: np.ndarray, where: str) -> np.ndarray:
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
    res = setup.resolution
    return np.floor(E / res + 1e-6) * res


def _bounds_rows(
    setup: _BatchSetup, sc: Any, cols: Mapping[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """(k, n) floors and caps at the resolution for rows whose bound parameters vary."""
    from .allocate import _to_units_bounds

    fl, cp = sc.floors, sc.caps
    ref = np.nan_to_num(setup.reference_ha, nan=0.0)
    k = len(next(iter(cols.values())))

    def col(key: str, default: float) -> np.ndarray:
        return cols[key][:, None] if key in cols else np.full((k, 1), default)

    floor = np.maximum(
        col("floors.ha", fl.ha), col("floors.share_of_reference", fl.share_of_reference) * ref
    )
    gar = (
        col("floors.ha_per_commune", setup.ha_per_commune) * setup.eligible
        if setup.garantie
        else 0.0
    )
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
    lo, hi = _to_units_bounds(
        np.ascontiguousarray(floor), np.ascontiguousarray(cap), setup.resolution
    )
    res = setup.resolution
    return lo * res, np.where(hi >= 2**42, np.inf, hi * res)


def sensitivity_analysis(
    scenario: Any,
    *,
    samples: int | None = None,
    seed: int | None = None,
    ranges: Mapping[str, Any] | None = None,
    rounded: bool = False,
    chunk_rows: int = 2048,
    prepare_map: bool = False,
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
    prepare_map : bool, default False
        Prepare the territories' map geometry in a background thread while the
        variants are evaluated (:func:`zan.maps.prefetch`), for a map of the result
        drawn next (``zan sensitivity`` does so).

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
    if prepare_map and prep.territories is not None:
        from .maps import prefetch

        territories, level = prep.territories, prep.levels[-1]
        prefetch(lambda: territories.geometries(level))
    setup = _batch_setup(prep)
    where = f"{sc.source}: [sensitivity]" if ranges is None else "ranges="
    params, notes = _parameters(sc, setup, config, ranges)
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
    res = setup.resolution if rounded else None
    t0 = time.perf_counter()
    try:
        if not bound_keys:
            batch = allocate_batch(
                setup.shares,
                E,
                blend=W,
                floors=setup.floors,
                caps=setup.caps,
                resolution=res,
                rounding=setup.rounding,
            )
            Y = batch.rounded_ha if rounded else batch.values
        else:
            Y = np.empty((K, len(setup.codes)))
            Ek = np.broadcast_to(np.asarray(E, dtype=np.float64), (K,))
            for start in range(0, K, chunk_rows):
                sl = slice(start, min(start + chunk_rows, K))
                F, C = _bounds_rows(setup, sc, {k: cols[k][sl] for k in bound_keys})
                b = allocate_batch(
                    setup.shares,
                    Ek[sl],
                    blend=W[sl],
                    floors=F,
                    caps=C,
                    resolution=res,
                    rounding=setup.rounding,
                )
                Y[sl] = b.rounded_ha if rounded else b.values
    except InfeasibleError as exc:
        msg = str(exc)
        row = None
        if msg.startswith("row "):
            row = int(msg.split(":")[0].split()[1]) + (start if bound_keys else 0)
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
    base = allocate_batch(
        setup.shares,
        setup.envelope_ha,
        blend=setup.base_weights[None, :],
        floors=setup.floors,
        caps=setup.caps,
        resolution=setup.resolution,
        rounding=setup.rounding,
    ).rounded_ha[0]
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

    Writes ``intervalles.csv``, ``indices.csv``, ``sensibilite.xlsx``,
    ``eventail.png`` (fan/strip plot) and, when the result has territories,
    ``carte_largeur.html`` (offline map of the 90 % interval width), plus
    ``carte_largeur.png`` (static map for reports) when ``png`` is true, as
    ``zan allocate --png`` does. Every file is written atomically.

    Parameters
    ----------
    result : SensitivityResult
    out : path-like
        Output folder (created if needed).
    png : bool, default False
        Also write the static map.
    html : bool, default True
        Write the interactive map.
    fan : bool, default True
        Write the fan plot.

    Returns
    -------
    list of pathlib.Path

    Examples
    --------
    >>> import tempfile
    >>> from zan.datasets import scenario_path
    >>> r = sensitivity_analysis(scenario_path("02_consommation_population"), samples=64)
    >>> [p.name for p in write_sensitivity(r, tempfile.mkdtemp(), html=False, fan=False)]
    ['intervalles.csv', 'indices.csv', 'sensibilite.xlsx']
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = [
        result.to_csv(out / "intervalles.csv", view="intervalles"),
        result.to_csv(out / "indices.csv", view="indices"),
        result.to_xlsx(out / "sensibilite.xlsx"),
    ]
    if fan:
        result.plot(out / "eventail.png")
        written.append(out / "eventail.png")
    if result.territories is not None:
        if html:
            from .maps import save

            written.append(save(result.explore(), out / "carte_largeur.html"))
        if png:
            written.append(result.to_png(out / "carte_largeur.png"))
    return written
