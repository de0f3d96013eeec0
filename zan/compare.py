"""Compare allocation scenarios on the same territories: tables, indicators, winners, map.

Planners try several ways of sharing the envelope and show them side by side to elected
officials. :func:`compare` runs (or takes) any number of scenarios allocated on the same
territories at the same level and builds a :class:`Comparison`:

- one table territory × scenario of ``envelope_ha`` and ``reduction_pct``;
- the differences against a baseline scenario, in hectares and in points of reduction
  (``B − A``: a positive difference in hectares is a gain for the territory, and lowers
  its reduction rate);
- the territories that gain or lose most in each scenario;
- indicators per scenario: spread of the reduction rates (minimum, quartiles, maximum,
  interquartile range), Gini index of the envelope per inhabitant, territories held at
  their floor or cap, territories that gain or lose against the baseline, and, when a
  class column exists (the demo's ``armature``), the share of the envelope going to each
  class of territory (métropole, pôles, bourgs, rural...).

The **Gini index of the envelope per inhabitant** is weighted by population: with the
territories sorted by hectares per inhabitant, ``P_k`` the cumulative share of
inhabitants and ``L_k`` that of the envelope (the Lorenz curve),
``G = 1 − Σ_k (P_k − P_{k−1}) (L_k + L_{k−1})``; 0 when every inhabitant gets the same
area, towards 1 when a few get it all. Each territory counts as if its envelope were
spread evenly over its inhabitants. The budget-sharing literature uses it to compare
grandfathering with per-capita shares (Raupach et al., *Nature Climate Change*, 2014;
DOMAIN.md §5).

Above the commune level, a territory's class is the class of its most populous
commune (an EPCI whose largest commune is a pôle counts as a pôle).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._write import Sheet, write_workbook
from .allocate import LEVEL_LABELS, Allocation
from .errors import DataError, ScenarioError, SchemaError

__all__ = ["Comparison", "Sheet", "compare", "gini", "write_comparison", "write_workbook"]

_TOL_HA = 1e-6

#: French labels of the indicators (rows of :meth:`Comparison.indicators`).
INDICATOR_LABELS: dict[str, str] = {
    "distributed_ha": "Enveloppe répartie (ha)",
    "reduction_min_pct": "Taux de réduction minimal (%)",
    "reduction_q1_pct": "Taux de réduction, 1er quartile (%)",
    "reduction_median_pct": "Taux de réduction médian (%)",
    "reduction_q3_pct": "Taux de réduction, 3e quartile (%)",
    "reduction_max_pct": "Taux de réduction maximal (%)",
    "reduction_iqr_pts": "Écart interquartile des taux (points)",
    "m2_per_inhabitant": "Enveloppe par habitant (m²)",
    "gini_per_inhabitant": "Indice de Gini de l'enveloppe par habitant",
    "at_floor": "Territoires au plancher",
    "at_cap": "Territoires au plafond",
    "winners": "Territoires gagnants (vs référence)",
    "losers": "Territoires perdants (vs référence)",
    "gain_ha": "Hectares gagnés par les gagnants",
    "loss_ha": "Hectares perdus par les perdants",
}

_CLASS_LABELS = {
    "metropole": "métropole",
    "pole": "pôles",
    "pole_relais": "pôles relais",
    "bourg": "bourgs",
    "rural": "communes rurales",
}


def gini(values: Any, weights: Any = None) -> float:
    """Gini index of ``values / weights`` weighted by ``weights`` (e.g. ha per inhabitant).

    Parameters
    ----------
    values : array-like
        Quantities shared (e.g. envelope in ha), one per territory.
    weights : array-like, optional
        Population of each territory; default 1 each (plain Gini of ``values``).

    Returns
    -------
    float
        In [0, 1); NaN when nothing is shared or nobody is counted.

    Examples
    --------
    Equal hectares per inhabitant give 0; one of four equal territories getting
    everything gives 0.75:

    >>> gini([10, 20, 30], [100, 200, 300])
    0.0
    >>> gini([0, 0, 0, 8], [1, 1, 1, 1])
    0.75
    """
    v = np.asarray(values, dtype=np.float64)
    w = np.ones_like(v) if weights is None else np.asarray(weights, dtype=np.float64)
    ok = np.isfinite(v) & np.isfinite(w) & (w > 0)
    v, w = v[ok], w[ok]
    if v.size == 0 or v.sum() <= 0:
        return float("nan")
    order = np.argsort(v / w, kind="stable")
    P = np.concatenate([[0.0], np.cumsum(w[order]) / w.sum()])
    L = np.concatenate([[0.0], np.cumsum(v[order]) / v.sum()])
    g = 1.0 - float(np.sum((P[1:] - P[:-1]) * (L[1:] + L[:-1])))
    return 0.0 if abs(g) < 1e-12 else g


# ============================================================================ comparison
@dataclass(frozen=True, eq=False, repr=False)
class Comparison:
    """Several allocations of the same territories, side by side.

    Built by :func:`compare`. Tables are indexed by territory code (sorted), with one
    column per scenario, in the order given.

    Attributes
    ----------
    names : tuple of str
        Scenario names (made unique).
    baseline : str
        The scenario differences are taken against.
    level : str
        Territorial level compared.
    territories_table : pandas.DataFrame
        ``nom``, ``reference_ha``, ``population`` (NaN when unknown), ``classe`` (None
        when no class column).
    envelope_ha, reduction_pct : pandas.DataFrame
        Territory × scenario.
    bound : pandas.DataFrame
        Territory × scenario: ``none``, ``floor`` or ``cap``.
    allocations : tuple of Allocation
    hashes : tuple of str or None
        Hash of each scenario, when known.
    notes : tuple of str
        Remarks in French.
    """

    names: tuple[str, ...]
    baseline: str
    level: str
    territories_table: pd.DataFrame
    envelope_ha: pd.DataFrame
    reduction_pct: pd.DataFrame
    bound: pd.DataFrame
    allocations: tuple[Allocation, ...]
    hashes: tuple[str | None, ...] = ()
    notes: tuple[str, ...] = ()
    _geoms: Any = field(default=None)

    # ------------------------------------------------------------------ views
    @property
    def others(self) -> list[str]:
        """The scenarios other than the baseline."""
        return [n for n in self.names if n != self.baseline]

    @property
    def difference_ha(self) -> pd.DataFrame:
        """Envelope of each other scenario minus the baseline's (ha), territory × scenario.

        Examples
        --------
        >>> c = _example()
        >>> c.difference_ha["B"].tolist()
        [2.0, -2.0]
        """
        base = self.envelope_ha[self.baseline]
        return self.envelope_ha[self.others].sub(base, axis=0)

    @property
    def difference_pts(self) -> pd.DataFrame:
        """Reduction rate of each other scenario minus the baseline's (points of %).

        Examples
        --------
        >>> c = _example()
        >>> c.difference_pts["B"].round(1).tolist()
        [-10.0, 10.0]
        """
        base = self.reduction_pct[self.baseline]
        return self.reduction_pct[self.others].sub(base, axis=0)

    @property
    def table(self) -> pd.DataFrame:
        """Everything per territory, with two-level columns ``(quantity, scenario)``.

        Quantities: ``envelope_ha``, ``reduction_pct``, ``difference_ha``,
        ``difference_pts``; plus ``("nom", "")`` and ``("reference_ha", "")``.
        """
        parts = {
            ("nom", ""): self.territories_table["nom"],
            ("reference_ha", ""): self.territories_table["reference_ha"],
        }
        frame = pd.DataFrame(parts)
        blocks = [frame]
        for q, df in (
            ("envelope_ha", self.envelope_ha),
            ("reduction_pct", self.reduction_pct),
            ("difference_ha", self.difference_ha),
            ("difference_pts", self.difference_pts),
        ):
            d = df.copy()
            d.columns = pd.MultiIndex.from_product([[q], list(df.columns)])
            blocks.append(d)
        out = pd.concat(blocks, axis=1)
        out.index.name = "code"
        return out

    def winners_losers(self, n: int = 5) -> pd.DataFrame:
        """The ``n`` territories that gain most and lose most in each other scenario.

        Returns
        -------
        pandas.DataFrame
            Columns ``scenario``, ``side`` (``gain``/``perte``), ``rank``, ``code``,
            ``nom``, ``baseline_ha``, ``envelope_ha``, ``difference_ha``,
            ``difference_pts``.

        Examples
        --------
        >>> c = _example()
        >>> c.winners_losers(1)[["side", "code", "difference_ha"]].values.tolist()
        [['gain', 'a', 2.0], ['perte', 'b', -2.0]]
        """
        rows = []
        dha, dpts = self.difference_ha, self.difference_pts
        base = self.envelope_ha[self.baseline]
        for name in self.others:
            d = dha[name]
            for side, sel in (
                ("gain", d[d > _TOL_HA].sort_values(ascending=False, kind="stable")),
                ("perte", d[d < -_TOL_HA].sort_values(ascending=True, kind="stable")),
            ):
                top = sel.index[:n]
                rows.append(
                    pd.DataFrame(
                        {
                            "scenario": name,
                            "side": side,
                            "rank": np.arange(1, len(top) + 1),
                            "code": top.to_numpy(),
                            "nom": self.territories_table["nom"].reindex(top).to_numpy(),
                            "baseline_ha": base.reindex(top).to_numpy(),
                            "envelope_ha": self.envelope_ha[name].reindex(top).to_numpy(),
                            "difference_ha": d.reindex(top).to_numpy(),
                            "difference_pts": dpts[name].reindex(top).to_numpy(),
                        }
                    )
                )
        cols = [
            "scenario",
            "side",
            "rank",
            "code",
            "nom",
            "baseline_ha",
            "envelope_ha",
            "difference_ha",
            "difference_pts",
        ]
        if not rows:
            return pd.DataFrame(columns=cols)
        return pd.concat(rows, ignore_index=True)[cols]

    def indicators(self) -> pd.DataFrame:
        """Summary indicators, one row per scenario (see :data:`INDICATOR_LABELS`).

        Columns: ``distributed_ha``, ``reduction_min_pct``, ``reduction_q1_pct``,
        ``reduction_median_pct``, ``reduction_q3_pct``, ``reduction_max_pct``,
        ``reduction_iqr_pts``, ``m2_per_inhabitant``, ``gini_per_inhabitant``,
        ``at_floor``, ``at_cap``, ``winners``, ``losers``, ``gain_ha``, ``loss_ha``,
        then ``share_<class>_pct`` per class when there is a class column.

        Examples
        --------
        >>> c = _example()
        >>> ind = c.indicators()
        >>> ind.loc["B", ["reduction_min_pct", "reduction_max_pct"]].tolist()
        [40.0, 60.0]
        >>> int(ind.loc["B", "winners"]), int(ind.loc["B", "losers"])
        (1, 1)
        """
        t = self.territories_table
        pop = t["population"].to_numpy(np.float64)
        rows = {}
        dha = self.difference_ha
        for name in self.names:
            env = self.envelope_ha[name].to_numpy(np.float64)
            red = self.reduction_pct[name].to_numpy(np.float64)
            red = red[np.isfinite(red)]
            q = np.quantile(red, [0.0, 0.25, 0.5, 0.75, 1.0]) if red.size else np.full(5, np.nan)
            row: dict[str, float] = {
                "distributed_ha": float(env.sum()),
                "reduction_min_pct": q[0],
                "reduction_q1_pct": q[1],
                "reduction_median_pct": q[2],
                "reduction_q3_pct": q[3],
                "reduction_max_pct": q[4],
                "reduction_iqr_pts": q[3] - q[1],
                "m2_per_inhabitant": (
                    10_000.0 * env.sum() / np.nansum(pop) if np.nansum(pop) > 0 else np.nan
                ),
                "gini_per_inhabitant": gini(env, pop) if np.isfinite(pop).all() else np.nan,
                "at_floor": int((self.bound[name] == "floor").sum()),
                "at_cap": int((self.bound[name] == "cap").sum()),
            }
            if name == self.baseline:
                row.update(winners=0, losers=0, gain_ha=0.0, loss_ha=0.0)
            else:
                d = dha[name].to_numpy(np.float64)
                row.update(
                    winners=int((d > _TOL_HA).sum()),
                    losers=int((d < -_TOL_HA).sum()),
                    gain_ha=float(d[d > _TOL_HA].sum()),
                    loss_ha=float(-d[d < -_TOL_HA].sum()),
                )
            if t["classe"].notna().any():
                sums = pd.Series(env, index=t.index).groupby(t["classe"].to_numpy()).sum()
                total = env.sum()
                for cls in self.classes:
                    row[f"share_{cls}_pct"] = (
                        100.0 * float(sums.get(cls, 0.0)) / total if total > 0 else np.nan
                    )
            rows[name] = row
        out = pd.DataFrame.from_dict(rows, orient="index")
        for c in ("at_floor", "at_cap", "winners", "losers"):
            out[c] = out[c].astype(np.int64)
        out.index.name = "scenario"
        return out

    @property
    def classes(self) -> list[str]:
        """Classes of territories found (ordered as the demo's armature when it is one)."""
        found = self.territories_table["classe"].dropna().unique().tolist()
        known = [c for c in _CLASS_LABELS if c in found]
        return known + sorted(str(c) for c in found if c not in _CLASS_LABELS)

    def indicator_labels(self) -> dict[str, str]:
        """French label of every column of :meth:`indicators`."""
        labels = dict(INDICATOR_LABELS)
        for cls in self.classes:
            labels[f"share_{cls}_pct"] = f"Part de l'enveloppe : {_CLASS_LABELS.get(cls, cls)} (%)"
        return labels

    # ------------------------------------------------------------------ display
    def __repr__(self) -> str:
        return (
            f"<Comparison {len(self.names)} scenarios ({', '.join(self.names)}) "
            f"baseline={self.baseline!r} level={self.level} territories={len(self.envelope_ha)}>"
        )

    def _repr_html_(self) -> str:
        from .compare_outputs import comparison_html

        return comparison_html(self)

    # ------------------------------------------------------------------ maps
    def _geometries(self):
        if self._geoms is not None:
            return self._geoms
        for a in self.allocations:
            if a.territories is not None:
                return a.territories.geometries(self.level)
        raise ScenarioError(
            "no allocation carries its territories, so there is no geometry to map; "
            "run the scenarios with run_scenario (or pass scenario files to compare)"
        )

    def explore(self, column: str = "envelope_ha", *, versus: str | None = None, **kwargs: Any):
        """The comparison map: one layer per scenario, plus the differences to the baseline.

        Built with :func:`zan.maps.scenario_layers`: every scenario shares one
        classification; the difference layers show every other scenario minus the
        baseline (or ``versus − baseline`` alone) in hectares and in points of reduction.

        Parameters
        ----------
        column : str, default "envelope_ha"
            ``"reduction_pct"`` for the rates.
        versus : str, optional
            The one scenario compared with the baseline on the difference layers
            (default every scenario other than the baseline).
        **kwargs
            :func:`zan.maps.scenario_layers` options (``conference=True`` for the screen).

        Returns
        -------
        folium.Map
        """
        from .compare_outputs import comparison_map

        return comparison_map(self, column, versus=versus, **kwargs)

    # ------------------------------------------------------------------ export

    def to_csv(self, path: str | os.PathLike, *, view: str = "territoires") -> Path:
        """Write one view as CSV (UTF-8, French headers, hectares to 4 decimals), atomically.

        Parameters
        ----------
        path : path-like
        view : str, default "territoires"
            ``territoires`` (every figure per territory), ``indicateurs``,
            ``enveloppes``, ``reductions``, ``ecarts_ha``, ``ecarts_points``,
            ``gagnants_perdants``, ``scenarios``.

        Returns
        -------
        pathlib.Path

        Examples
        --------
        >>> import tempfile, pathlib
        >>> p = _example().to_csv(pathlib.Path(tempfile.mkdtemp()) / "comparaison.csv")
        >>> p.read_text(encoding="utf-8").splitlines()[0]
        'Code,Nom,Consommation de référence (ha),Enveloppe (ha) — A,Enveloppe (ha) — B,Réduction (%) — A,Réduction (%) — B,Écart (ha) — B − A,Écart (points) — B − A'
        """
        from .compare_outputs import write_view_csv

        return write_view_csv(self, path, view=view)

    def to_xlsx(self, path: str | os.PathLike) -> Path:
        """Write every view into one formatted workbook (one sheet each), atomically.

        Sheets: Territoires, Indicateurs, Enveloppes (ha), Réductions (%), Écarts (ha),
        Écarts (points), Gagnants et perdants, Scénarios; French headers, number
        formats, fitted column widths, frozen header and name columns.

        Examples
        --------
        >>> import tempfile, pathlib, openpyxl
        >>> p = _example().to_xlsx(pathlib.Path(tempfile.mkdtemp()) / "comparaison.xlsx")
        >>> openpyxl.load_workbook(p).sheetnames[:3]
        ['Territoires', 'Indicateurs', 'Enveloppes (ha)']
        """
        from .compare_outputs import write_xlsx

        return write_xlsx(self, path)


# ============================================================================ building
def _as_allocation(item: Any, i: int) -> tuple[Allocation, str | None]:
    from .scenario import PreparedScenario, Scenario, load_scenario, run_scenario

    if isinstance(item, Allocation):
        return item, item.scenario_hash
    if isinstance(item, (Scenario, PreparedScenario)):
        a = run_scenario(item)
        return a, a.scenario_hash
    if isinstance(item, (str, os.PathLike)):
        a = run_scenario(load_scenario(item))
        return a, a.scenario_hash
    raise ScenarioError(
        f"scenarios[{i}]: expected a scenario file, a Scenario or an Allocation "
        f"(got {type(item).__name__})"
    )


def _unique(names: Sequence[str]) -> list[str]:
    out: list[str] = []
    for n in names:
        cand, k = n, 2
        while cand in out:
            cand, k = f"{n} ({k})", k + 1
        out.append(cand)
    return out


def _population(
    allocs: Sequence[Allocation], level: str, index: pd.Index, column: str | pd.Series | None
):
    if column is None:
        return pd.Series(np.nan, index=index), None
    if isinstance(column, pd.Series):
        s = column.copy()
        s.index = s.index.astype(str)
        missing = index.difference(s.index)
        if len(missing):
            raise DataError(
                f"population: no value for {len(missing)} territories (e.g. "
                f"{', '.join(missing[:3])}); give one per territory code"
            )
        return pd.to_numeric(s.reindex(index), errors="coerce").astype(np.float64), None
    for a in allocs:
        t = a.territories
        if t is None:
            continue
        try:
            return t.indicator(column, level).reindex(index).astype(np.float64), None
        except (SchemaError, DataError) as exc:
            return pd.Series(np.nan, index=index), (
                f"Population « {column} » indisponible ({exc}) : pas d'indice de Gini."
            )
    return pd.Series(np.nan, index=index), (
        "Territoires inconnus (allocations sans territoires) : pas de population, "
        "pas d'indice de Gini."
    )


def _classes(
    allocs: Sequence[Allocation], level: str, index: pd.Index, column: str | pd.Series | None
):
    if column is None:
        return pd.Series(None, index=index, dtype=object)
    if isinstance(column, pd.Series):
        s = column.copy()
        s.index = s.index.astype(str)
        return s.reindex(index).astype(object)
    for a in allocs:
        t = a.territories
        if t is None or column not in t.membership.columns:
            continue
        m = t.membership
        cls = m[column].astype(object)
        if level == "commune":
            return cls.reindex(index)
        assign = t.assignment(level).reindex(m.index)
        if "population" in m.columns:
            pop = pd.to_numeric(m["population"], errors="coerce").fillna(0.0)
        else:
            pop = pd.Series(1.0, index=m.index)
        frame = pd.DataFrame({"t": assign.to_numpy(), "pop": pop.to_numpy(), "cls": cls.to_numpy()})
        # the class of each territory's most populous commune (ties: first by code)
        frame = frame.sort_values(["t", "pop"], ascending=[True, False], kind="stable")
        main = frame.drop_duplicates("t").set_index("t")["cls"]
        main.index = main.index.astype(str)
        return main.reindex(index).astype(object)
    return pd.Series(None, index=index, dtype=object)


def compare(
    scenarios: Sequence[Any] | Mapping[str, Any],
    *,
    baseline: str | int | None = None,
    level: str | None = None,
    population: str | pd.Series | None = "population",
    classes: str | pd.Series | None = "armature",
) -> Comparison:
    """Compare scenarios allocated on the same territories.

    Parameters
    ----------
    scenarios : sequence or dict
        Scenario files, :class:`~zan.scenario.Scenario` objects or
        :class:`~zan.allocate.Allocation` objects (a dict gives them names); files and
        Scenarios are run with :func:`zan.scenario.run_scenario`.
    baseline : str or int, optional
        Name (or position) of the scenario the differences are taken against; default
        the first.
    level : str, optional
        Level compared; default each allocation's last level. Give an upper level to
        compare a cascade with single-level scenarios (e.g. ``level="epci"``).
    population : str or Series, default "population"
        Column of the territory table summed per territory (or the values, by code);
        None to skip the Gini index.
    classes : str or Series, default "armature"
        Class column of the territory table (or classes by code); ignored when absent.

    Returns
    -------
    Comparison

    Raises
    ------
    ScenarioError
        Fewer than one scenario, an unknown baseline, or scenarios that do not cover the
        same territories at the same level (the message lists the mismatch).

    Examples
    --------
    >>> from zan.datasets import scenario_path
    >>> c = compare([scenario_path("01_reduction_uniforme"),
    ...              scenario_path("02_consommation_population")])
    >>> c.names, c.level, c.envelope_ha.shape
    (('Réduction uniforme', 'Consommation et population'), 'epci', (20, 2))
    """
    if isinstance(scenarios, Mapping):
        given_names: list[str] | None = [str(k) for k in scenarios]
        items = list(scenarios.values())
    else:
        given_names = None
        items = list(scenarios)
    if not items:
        raise ScenarioError("compare: no scenario given; give at least one scenario file")
    runs = [_as_allocation(item, i) for i, item in enumerate(items)]
    allocs = [a for a, _ in runs]
    raw_names = given_names or [
        a.name
        or (
            Path(items[i]).stem if isinstance(items[i], (str, os.PathLike)) else f"Scénario {i + 1}"
        )
        for i, a in enumerate(allocs)
    ]
    names = _unique(raw_names)
    # the level
    if level is None:
        levels = {n: a.level for n, a in zip(names, allocs, strict=True)}
        if len(set(levels.values())) > 1:
            listing = ", ".join(f"{n!r}: {lv}" for n, lv in levels.items())
            common = set.intersection(*(set(a.levels) for a in allocs))
            hint = (
                f"pass level={sorted(common)[0]!r} to compare them at a level they share"
                if common
                else "run them at the same level ([allocation] level)"
            )
            raise ScenarioError(
                f"compare: the scenarios are allocated at different levels ({listing}); {hint}"
            )
        level = allocs[0].level
    tables = {}
    for n, a in zip(names, allocs, strict=True):
        if level not in a.levels:
            raise ScenarioError(
                f"compare: scenario {n!r} has no level {level!r} (levels: {', '.join(a.levels)}); "
                "choose a level every scenario has"
            )
        tables[n] = a.level_table(level).sort_index()
    # baseline
    if baseline is None:
        base = names[0]
    elif isinstance(baseline, int) and not isinstance(baseline, bool):
        if not -len(names) <= baseline < len(names):
            raise ScenarioError(
                f"baseline: position {baseline} out of range (0 to {len(names) - 1})"
            )
        base = names[baseline]
    else:
        base = str(baseline)
        if base not in names:
            raise ScenarioError(
                f"baseline: no scenario named {base!r}; scenarios: {', '.join(names)}"
            )
    # same territories
    ref_idx = tables[base].index
    problems = []
    for n, t in tables.items():
        if n == base or t.index.equals(ref_idx):
            continue
        only_here = t.index.difference(ref_idx)
        only_base = ref_idx.difference(t.index)
        problems.append(
            f"{n!r} has {len(t)} territories against {len(ref_idx)} in {base!r}: "
            f"{len(only_here)} only in {n!r} ({', '.join(map(str, only_here[:5]))}"
            f"{'…' if len(only_here) > 5 else ''}), {len(only_base)} only in {base!r} "
            f"({', '.join(map(str, only_base[:5]))}{'…' if len(only_base) > 5 else ''})"
        )
    if problems:
        raise ScenarioError(
            f"compare: the scenarios do not cover the same territories at level {level!r}: "
            + "; ".join(problems)
            + "; run them on the same territory files"
        )
    idx = ref_idx
    first = tables[base]
    envelope = pd.DataFrame(
        {n: t["envelope_ha"].to_numpy(np.float64) for n, t in tables.items()}, index=idx
    )
    reduction = pd.DataFrame(
        {
            n: pd.to_numeric(t["reduction_pct"], errors="coerce").to_numpy(np.float64)
            for n, t in tables.items()
        },
        index=idx,
    )
    bound = pd.DataFrame(
        {n: t["bound"].astype(str).to_numpy() for n, t in tables.items()}, index=idx
    )
    notes: list[str] = []
    pop, note = _population(allocs, level, idx, population)
    if note:
        notes.append(note)
    cls = _classes(allocs, level, idx, classes)
    if level != "commune" and cls.notna().any() and isinstance(classes, str):
        notes.append(
            f"Classe d'un territoire ({LEVEL_LABELS.get(level, level)}) : celle de sa commune la "
            f"plus peuplée (colonne « {classes} »)."
        )
    refs = {n: pd.to_numeric(t["reference_ha"], errors="coerce") for n, t in tables.items()}
    ref = refs[base]
    if any(
        not np.allclose(r.to_numpy(), ref.to_numpy(), equal_nan=True, rtol=1e-9)
        for r in refs.values()
    ):
        notes.append(
            "Les consommations de référence diffèrent entre scénarios (périodes ou fichiers "
            "différents) : les taux de réduction ne se comparent pas directement."
        )
    territories_table = pd.DataFrame(
        {
            "nom": first["nom"].astype(str).to_numpy() if "nom" in first else idx.to_numpy(),
            "reference_ha": ref.to_numpy(np.float64),
            "population": pop.to_numpy(np.float64),
            "classe": cls.to_numpy(),
        },
        index=idx,
    )
    territories_table.index.name = "code"
    return Comparison(
        names=tuple(names),
        baseline=base,
        level=level,
        territories_table=territories_table,
        envelope_ha=envelope,
        reduction_pct=reduction,
        bound=bound,
        allocations=tuple(allocs),
        hashes=tuple(h for _, h in runs),
        notes=tuple(notes),
    )


def write_comparison(
    comparison: Comparison, out: str | os.PathLike, *, html: bool = True
) -> list[Path]:
    """Write a comparison's outputs into a folder.

    Writes ``comparaison.csv`` (every figure per territory), ``indicateurs.csv``,
    ``gagnants_perdants.csv``, ``comparaison.xlsx`` (one sheet per view) and, when the
    allocations carry their territories, ``carte_comparaison.html`` (one layer per
    scenario plus the differences to the baseline). Every file is written atomically.

    Parameters
    ----------
    comparison : Comparison
    out : path-like
        Output folder (created if needed).
    html : bool, default True
        Write the map.

    Returns
    -------
    list of pathlib.Path

    Examples
    --------
    >>> import tempfile
    >>> [p.name for p in write_comparison(_example(), tempfile.mkdtemp())]
    ['comparaison.csv', 'indicateurs.csv', 'gagnants_perdants.csv', 'comparaison.xlsx']
    """
    from .compare_outputs import write_comparison as write

    return write(comparison, out, html=html)


def _example() -> Comparison:
    """Two hand-made allocations of two territories (for the examples)."""
    from .allocate import allocate
    from .rules import Criterion

    t = pd.DataFrame({"nom": ["Amont", "Aval"], "reference_ha": [20.0, 20.0]}, index=["a", "b"])
    a = allocate(t, 20.0, criteria=[Criterion("uniform")], name="A")
    b = allocate(
        t.assign(population=[600.0, 400.0]),
        20.0,
        criteria=[Criterion("indicator", params={"column": "population"})],
        name="B",
    )
    return compare([a, b], population=pd.Series({"a": 600.0, "b": 400.0}), classes=None)
