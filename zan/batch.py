"""The batch path: thousands of weight vectors (or parameter sets) in one call.

:func:`allocate_batch` water-fills and rounds many rows at once (:mod:`zan.waterfill`,
:mod:`zan.rounding`), each row bit-identical to the one-at-a-time path.
:class:`BatchProblem` is a prepared single-level scenario in the form the batch path
takes (criteria shares, bounds in integer units, codes in their order); the sensitivity
analysis (:mod:`zan.sensitivity`), :func:`zan.scenario.sensitivity` and the notebook's
weights widget build it with :meth:`BatchProblem.from_prepared` and run it with
:meth:`BatchProblem.run`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from .cascade import criteria_raw, final_bounds, group_shares, sorted_table
from .errors import InfeasibleError, ScenarioError
from .rounding import (
    NO_CAP_UNITS,
    ROUNDING_METHODS,
    check_resolution,
    round_rows,
    to_units_bounds,
)
from .waterfill import blend_rows, output_array, refill_rows, water_fill_rows

__all__ = ["BatchAllocation", "BatchProblem", "allocate_batch"]


@dataclass(frozen=True)
class BatchAllocation:
    """Results of :func:`allocate_batch`: one row per scenario (weight vector).

    Attributes
    ----------
    values : numpy.ndarray
        (K, n) exact envelopes (ha), before rounding. With rounding they are not kept
        while the batch runs: they are computed on first access from the multipliers
        (:func:`zan.waterfill.refill_rows`, the same floats) and then kept, so a rounded
        batch whose exact values are not read never holds them.
    multipliers : numpy.ndarray
        (K,) λ of each row.
    units : numpy.ndarray or None
        (K, n) rounded envelopes in units of ``resolution`` (None without rounding).
    resolution : float or None
    codes : pandas.Index or None
        Territory codes of the columns.
    iterations : numpy.ndarray
        (K,) Newton steps per row.
    """

    _values: np.ndarray | None = field(repr=False)
    multipliers: np.ndarray
    units: np.ndarray | None
    resolution: float | None
    codes: pd.Index | None
    iterations: np.ndarray
    _refill: Callable[[], np.ndarray] | None = field(default=None, repr=False, compare=False)

    @property
    def values(self) -> np.ndarray:
        """(K, n) exact envelopes (ha), before rounding."""
        if self._values is None:
            assert self._refill is not None
            object.__setattr__(self, "_values", self._refill())
        return self._values  # type: ignore[return-value]

    @property
    def rounded_ha(self) -> np.ndarray:
        """(K, n) rounded envelopes in ha."""
        if self.units is None:
            raise ScenarioError("no rounding was asked; pass resolution= to allocate_batch")
        return self.units * self.resolution

    def to_frame(self, rounded: bool = True) -> pd.DataFrame:
        """(K, n) DataFrame, one column per territory code.

        Examples
        --------
        >>> b = allocate_batch([[1, 1], [1, 3]], 10, codes=["a", "b"])
        >>> b.to_frame().to_dict("list")
        {'a': [5.0, 2.5], 'b': [5.0, 7.5]}
        """
        data = self.rounded_ha if (rounded and self.units is not None) else self.values
        return pd.DataFrame(data, columns=self.codes)


def allocate_batch(
    weights: Any,
    envelope: float | Any,
    *,
    blend: Any = None,
    floors: Any = None,
    caps: Any = None,
    resolution: float | None = 0.01,
    rounding: str = "largest_remainder",
    codes: Sequence[str] | None = None,
    chunk_rows: int = 32,
    threads: int | None = None,
) -> BatchAllocation:
    """Evaluate thousands of weight vectors (or parameter sets) in one call.

    Each row is the same problem as :func:`water_fill` followed by
    :func:`round_to_resolution`, and gives bit-identical results; the work is done on
    cache-sized chunks of rows.

    Parameters
    ----------
    weights : array-like
        (K, n) weights, one row per scenario; or, with ``blend``, the (n, C) matrix of
        the criteria's shares.
    envelope : float or array-like
        Total to share, one for all rows or (K,) per row.
    blend : array-like, optional
        (K, C) blend weights: row k's weights are ``Σ_c blend[k, c] × weights[:, c]``,
        computed chunk by chunk (the (K, n) matrix is never built in one piece).
    floors, caps : float, (n,) or (K, n) array-like, optional
    resolution : float or None, default 0.01
        Rounding resolution (ha); None skips the rounding.
    rounding : {"largest_remainder", "sainte_lague"}
    codes : sequence of str, optional
        Territory codes of the columns (for :meth:`BatchAllocation.to_frame`).
    chunk_rows : int, default 32
        Rows water-filled together (work buffers of chunk_rows × n values).
    threads : int, optional
        Threads water-filling the rows (default :func:`batch_threads`: the machine's
        cores for large batches); the values do not depend on it.

    Returns
    -------
    BatchAllocation

    Raises
    ------
    InfeasibleError
        When a row's floors and caps cannot meet its envelope.

    Examples
    --------
    >>> shares = np.array([[0.5, 0.2], [0.5, 0.8]])       # 2 territories, 2 criteria
    >>> b = allocate_batch(shares, 100.0, blend=[[1, 0], [0.5, 0.5]], floors=[40, 0])
    >>> b.values.round(2).tolist()
    [[50.0, 50.0], [40.0, 60.0]]
    """
    if blend is not None:
        S = np.ascontiguousarray(np.asarray(weights, dtype=np.float64))
        A = np.ascontiguousarray(np.asarray(blend, dtype=np.float64))
        if S.ndim != 2 or A.ndim != 2 or A.shape[1] != S.shape[1]:
            raise ScenarioError(
                f"with blend, weights must be (n, C) and blend (K, C) (got {S.shape} and {A.shape})"
            )
        if not (np.isfinite(S).all() and np.isfinite(A).all()) or (S < 0).any() or (A < 0).any():
            raise ScenarioError("shares and blend weights must be finite and >= 0")
        K, n = A.shape[0], S.shape[0]
        St = np.ascontiguousarray(S.T)

        def rows(sl: slice, out: np.ndarray) -> np.ndarray:
            return blend_rows(A[sl], St, out)

        source: Any = rows
    else:
        Wm = np.asarray(weights, dtype=np.float64)
        if Wm.ndim != 2:
            raise ScenarioError(f"weights must be a (K, n) array (got shape {Wm.shape})")
        if not np.isfinite(Wm).all() or (Wm < 0).any():
            raise ScenarioError("weights must be finite and >= 0")
        K, n = Wm.shape
        source = np.ascontiguousarray(Wm)
    E = np.broadcast_to(np.asarray(envelope, dtype=np.float64), (K,)).copy()
    F = np.asarray(0.0 if floors is None else floors, dtype=np.float64)
    C = np.asarray(np.inf if caps is None else caps, dtype=np.float64)
    F = np.broadcast_to(F, (n,)).copy() if F.ndim < 2 else np.broadcast_to(F, (K, n)).copy()
    C = np.broadcast_to(C, (n,)).copy() if C.ndim < 2 else np.broadcast_to(C, (K, n)).copy()
    if np.isnan(F).any() or np.isnan(C).any() or (F < 0).any():
        raise ScenarioError("floors must be >= 0 and floors/caps not missing")
    # feasibility, all rows at once (effective cap of a zero weight is its floor)
    sf = F.sum(axis=-1) * np.ones(K)
    if (F > C).any():
        raise InfeasibleError(
            "some floors are above their caps; lower the floors or raise the caps"
        )
    if (sf > E + 1e-9 * np.maximum(E, 1)).any():
        k = int(np.flatnonzero(sf > E + 1e-9 * np.maximum(E, 1))[0])
        raise InfeasibleError(
            f"row {k}: infeasible: the floors add up to {sf[k]:,.2f} ha, more than the "
            f"envelope of {E[k]:,.2f} ha; lower the floors or raise the envelope"
        )
    sc = C.sum(axis=-1) * np.ones(K)
    if (sc < E - 1e-9 * np.maximum(E, 1)).any():
        k = int(np.flatnonzero(sc < E - 1e-9 * np.maximum(E, 1))[0])
        raise InfeasibleError(
            f"row {k}: infeasible: the caps add up to {sc[k]:,.2f} ha, less than the "
            f"envelope of {E[k]:,.2f} ha; raise the caps or lower the envelope"
        )
    units = None
    res = None
    on_chunk = None
    sums = np.empty(K)  # each row's exact total, for the check below
    if resolution is not None:
        res = check_resolution(resolution)
        if rounding not in ROUNDING_METHODS:
            raise ScenarioError(
                f"unknown rounding method {rounding!r}; valid methods: "
                f"{', '.join(ROUNDING_METHODS)}"
            )
        lo, hi = to_units_bounds(F, C, res)
        tot = np.floor(E / res + 1e-6).astype(np.int64)
        units = output_array((K, n), np.int64)
        feasible = (lo.sum(axis=-1) <= tot) & (np.minimum(hi, NO_CAP_UNITS).sum(axis=-1) >= tot)
        if not np.all(feasible):
            k = int(np.flatnonzero(~np.broadcast_to(feasible, (K,)))[0])
            raise InfeasibleError(
                f"row {k}: the floors and caps cannot meet {tot[k] * res:,.2f} ha at the "
                f"resolution {res:g} ha; lower the floors or raise the caps"
            )

        def on_chunk(sl: slice, values: np.ndarray) -> None:
            values.sum(axis=1, out=sums[sl])
            round_rows(
                values,
                tot[sl],
                lo[sl] if lo.ndim == 2 else lo,
                hi[sl] if hi.ndim == 2 else hi,
                rounding,
                resolution=res,
                out=units[sl],
            )

    X, lam, iters = water_fill_rows(
        source,
        E,
        F,
        C,
        n_rows=K,
        n_cols=n,
        chunk_rows=chunk_rows,
        on_chunk=on_chunk,
        threads=threads,
        keep=resolution is None,  # rounded: the exact values are given back on demand
    )
    if X is not None:
        X.sum(axis=1, out=sums)
    bad = np.abs(sums - E) > 1e-6 * np.maximum(E, 1.0)
    if bad.any():
        k = int(np.flatnonzero(bad)[0])
        raise InfeasibleError(
            f"row {k}: infeasible: the caps (of territories with a weight) add up to "
            f"{sums[k]:,.2f} ha, less than the envelope of {E[k]:,.2f} ha; raise the caps"
        )

    def refill() -> np.ndarray:
        return refill_rows(source, lam, F, C, n_cols=n)

    return BatchAllocation(
        X,
        lam,
        units,
        res,
        None if codes is None else pd.Index(list(codes)),
        iters,
        _refill=None if X is not None else refill,
    )


@dataclass(frozen=True, eq=False)
class BatchProblem:
    """A prepared single-level scenario in the form the batch path takes.

    Columns are the territories in code order (:attr:`codes`), the order of every
    :class:`BatchAllocation` it gives; row ``k`` of :meth:`run` is exactly what
    :func:`zan.scenario.run_scenario` gives for the blend ``k`` (and envelope ``k``).

    Attributes
    ----------
    codes : pandas.Index
        Territory codes, sorted: the columns of every batch.
    order : numpy.ndarray
        Position in ``prep.table`` of each code (``prep.table.iloc[order]`` is in
        code order).
    names : numpy.ndarray
        Territory names (``nom``, else the codes).
    reference_ha : numpy.ndarray
        Reference consumption (ha), NaN when missing.
    shares : numpy.ndarray
        (n, C) share of each territory in each criterion (each column sums to 1).
    criteria_names : tuple of str
        The criteria's keys, in the scenario's order (the columns of ``shares``).
    base_weights : numpy.ndarray
        (C,) the scenario's criteria weights, normalised.
    floor_units, cap_units : numpy.ndarray
        (n,) floors (garantie communale included) and caps in integer units of the
        resolution; an absent cap is :data:`zan.rounding.NO_CAP_UNITS`.
    garantie_ha : numpy.ndarray
        (n,) garantie communale floor of each territory (ha).
    distributed_ha : float
        The scenario's envelope to distribute (ha, exact).
    resolution : float
    rounding : str

    Examples
    --------
    >>> from zan.datasets import scenario_path
    >>> from zan.scenario import prepare_scenario
    >>> p = BatchProblem.from_prepared(prepare_scenario(scenario_path("02_consommation_population")))
    >>> p.criteria_names, p.shares.shape[1], bool(np.allclose(p.shares.sum(axis=0), 1.0))
    (('consommation', 'population'), 2, True)
    >>> b = p.run([[1.0, 0.0], [0.5, 0.5]])
    >>> bool((b.units.sum(axis=1) == round(p.envelope_ha / p.resolution)).all())
    True
    """

    codes: pd.Index
    order: np.ndarray
    names: np.ndarray
    reference_ha: np.ndarray
    shares: np.ndarray
    criteria_names: tuple[str, ...]
    base_weights: np.ndarray
    floor_units: np.ndarray
    cap_units: np.ndarray
    garantie_ha: np.ndarray
    distributed_ha: float
    resolution: float
    rounding: str

    @classmethod
    def from_prepared(cls, prep: Any, *, resolution: float | None = None) -> BatchProblem:
        """The batch problem of a prepared scenario (:class:`zan.scenario.PreparedScenario`).

        Parameters
        ----------
        prep : PreparedScenario
            A single-level scenario with ``scale_targets = true``.
        resolution : float, optional
            Default the scenario's.

        Raises
        ------
        ScenarioError
            A cascade, or rates taken as they are (``scale_targets = false``).
        """
        sc = prep.scenario
        if len(prep.levels) > 1:
            raise ScenarioError(
                f"{sc.source}: the sensitivity analysis and the weights widget work on "
                f"single-level scenarios, and this one is a cascade ({' → '.join(prep.levels)}); "
                "set [allocation] level to one level (e.g. 'epci') to study it"
            )
        if not sc.allocation.scale_targets:
            raise ScenarioError(
                f"{sc.source}: the sensitivity analysis needs scale_targets = true (rates given "
                "as they are leave nothing to vary); remove scale_targets = false"
            )
        table = sorted_table(prep.table, "the territory table")
        res = float(sc.allocation.resolution if resolution is None else resolution)
        _, _, gar, lo, hi = final_bounds(
            table,
            prep.floors.reindex(table.index),
            prep.caps.reindex(table.index),
            prep.garantie.reindex(table.index),
            res,
        )
        raw, _ = criteria_raw(table, prep.criteria, strict_codes=True)
        n_crit = len(prep.criteria)
        shares, _, _ = group_shares(
            raw, np.zeros(len(table), dtype=np.int64), 1, np.ones(n_crit) / n_crit
        )
        alpha = np.array([float(c.weight) for c in prep.criteria])
        ref = pd.to_numeric(table["reference_ha"], errors="coerce").to_numpy(np.float64)
        names = table["nom"].astype(str).to_numpy() if "nom" in table else table.index.to_numpy()
        return cls(
            codes=table.index,
            order=pd.Index(prep.table.index.astype(str)).get_indexer(table.index),
            names=names,
            reference_ha=ref,
            shares=np.ascontiguousarray(shares),
            criteria_names=tuple(c.key for c in prep.criteria),
            base_weights=alpha / alpha.sum(),
            floor_units=lo,
            cap_units=hi,
            garantie_ha=prep.garantie.reindex(table.index).to_numpy(np.float64),
            distributed_ha=float(prep.envelope.distributed_ha),
            resolution=res,
            rounding=sc.allocation.rounding,
        )

    @property
    def floors(self) -> np.ndarray:
        """(n,) floors in ha, at the resolution."""
        return self.floor_units * self.resolution

    @property
    def caps(self) -> np.ndarray:
        """(n,) caps in ha, at the resolution (``inf`` when none)."""
        return np.where(self.cap_units >= NO_CAP_UNITS, np.inf, self.cap_units * self.resolution)

    @property
    def envelope_ha(self) -> float:
        """The envelope distributed: :attr:`distributed_ha` rounded down to the resolution."""
        return math.floor(self.distributed_ha / self.resolution + 1e-6) * self.resolution

    def envelopes(self, total: Any) -> np.ndarray:
        """Envelopes (ha, one or per row) rounded down to the resolution, as ``run`` takes them."""
        units = np.floor(np.asarray(total, dtype=np.float64) / self.resolution + 1e-6)
        return units * self.resolution

    def bounds(self, floors: Any, caps: Any) -> tuple[np.ndarray, np.ndarray]:
        """Floors and caps (ha; (n,) or (k, n)) rounded to the resolution, floors up, caps down."""
        lo, hi = to_units_bounds(
            np.ascontiguousarray(floors, dtype=np.float64),
            np.ascontiguousarray(caps, dtype=np.float64),
            self.resolution,
        )
        res = self.resolution
        return lo * res, np.where(hi >= NO_CAP_UNITS, np.inf, hi * res)

    def run(
        self,
        blend: Any,
        envelope: Any = None,
        *,
        floors: Any = None,
        caps: Any = None,
        rounded: bool = True,
        chunk_rows: int = 32,
        threads: int | None = None,
    ) -> BatchAllocation:
        """Allocate each row of criteria weights (:func:`allocate_batch` with ``blend``).

        Parameters
        ----------
        blend : array-like
            (K, C) criteria weights, one row per variant, each summing to 1.
        envelope : float or array-like, optional
            Hectares per row, at the resolution (:meth:`envelopes`); default
            :attr:`envelope_ha`.
        floors, caps : array-like, optional
            (n,) or (K, n) bounds in ha at the resolution (:meth:`bounds`); default the
            scenario's.
        rounded : bool, default True
            Round each row to the resolution (``units``); otherwise exact values only.
        chunk_rows, threads :
            As in :func:`allocate_batch`.

        Returns
        -------
        BatchAllocation
            Columns in :attr:`codes` order.
        """
        return allocate_batch(
            self.shares,
            self.envelope_ha if envelope is None else envelope,
            blend=blend,
            floors=self.floors if floors is None else floors,
            caps=self.caps if caps is None else caps,
            resolution=self.resolution if rounded else None,
            rounding=self.rounding,
            codes=self.codes,
            chunk_rows=chunk_rows,
            threads=threads,
        )
