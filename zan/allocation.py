"""The result of an allocation: its tables, totals, invariants and explanation.

:class:`Allocation` holds data and arithmetic only: one table per level, the regional
totals, :meth:`~Allocation.check` (every invariant re-verified) and
:meth:`~Allocation.explain` (how a territory's envelope was built, in French). Its
files, maps and notebook view are written by the presentation modules, which its
``to_csv``, ``to_gpkg``, ``to_parquet``, ``explore`` and ``_repr_html_`` call
(:mod:`zan.export`, :mod:`zan.maps`, :mod:`zan.notebook`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

from .allocation_explain import ROUNDING_FR, criterion_label
from .envelope import Envelope
from .errors import Problem, ScenarioError, ValidationError
from .formatting import LEVEL_LABELS, fr_text
from .garantie import pooling_text
from .rounding import UNITS_EPS, total_units
from .rules import Criterion

__all__ = ["Allocation"]


@dataclass(frozen=True, eq=False, repr=False)
class Allocation:
    """An allocated envelope: one table per level, the regional totals, the explanation.

    Built by :func:`allocate`, :func:`allocate_cascade` or
    :func:`zan.scenario.run_scenario`. Each table is indexed by territory code with the
    columns ``code``, ``nom``, (``parent`` in a cascade), ``reference_ha``,
    ``envelope_ha`` (rounded), ``reduction_pct``, ``floor_ha``, ``cap_ha``, ``bound``
    (``none``/``floor``/``cap``), ``garantie_ha``, one ``<criterion>_ha`` per criterion
    (its contribution before bounds and rounding), ``adjustment_ha`` (raise to the
    floor / cut to the cap), ``rounding_ha``, ``exact_ha`` (before rounding), ``weight``
    (blended share) and ``multiplier`` (λ of the group). For each territory
    ``Σ <criterion>_ha + adjustment_ha + rounding_ha = envelope_ha``.

    Attributes
    ----------
    envelope : Envelope or None
        The regional envelope, when one was given.
    total_ha : float
        Hectares to distribute (exact).
    total_units : int
        What was distributed, in units of ``resolution``.
    resolution : float
    rounding : str
    criteria : tuple of Criterion
    weights : tuple of float
        Blend weights actually used (normalised).
    scale_targets : bool
    unallocated_ha : float
        Hectares the rates left at regional level (``scale_targets=False``).
    notes : tuple of str
        Remarks in French (equal splits, unused hectares...).
    name : str or None
    scenario_hash : str or None
        Hash of the scenario that produced it (:attr:`zan.scenario.Scenario.hash`).
    territories : Territories or None
        The territories it was computed on, when known (default source of geometries
        for :meth:`to_gpkg` and :meth:`to_parquet`).
    garantie_pooling : str
        ``"commune"`` (the garantie communale per commune, the default) or ``"epci"``
        (pooled at intercommunal level); see :mod:`zan.garantie`.
    warnings : tuple of str
        Warnings in French on the assumptions of the run (e.g. every commune taken
        as eligible to the garantie communale for want of a list); written into
        ``sources.json`` and the reports, printed by the CLI.
    unassigned : pandas.DataFrame or None
        Communes outside every territory of an added level (receiving territories,
        :mod:`zan.scenario_levels`), left out of the allocation and listed here.
    prepared : zan.scenario.PreparedScenario or None
        The prepared scenario it was run from (:func:`zan.scenario.run_scenario`), with
        the files it read (territories, aligned consumption), so that reports and maps
        do not read them again; None otherwise.
    """

    tables: Mapping[str, pd.DataFrame]
    multipliers: Mapping[str, pd.Series]
    envelope: Envelope | None
    total_ha: float
    total_units: int
    resolution: float
    rounding: str
    criteria: tuple[Criterion, ...]
    weights: tuple[float, ...]
    scale_targets: bool = True
    unallocated_ha: float = 0.0
    notes: tuple[str, ...] = ()
    name: str | None = None
    scenario_hash: str | None = field(default=None)
    territories: Any = field(default=None)
    garantie_pooling: str = "commune"
    warnings: tuple[str, ...] = ()
    unassigned: Any = field(default=None)
    prepared: Any = field(default=None)

    # ------------------------------------------------------------------ access
    @property
    def levels(self) -> tuple[str, ...]:
        """Levels from the top down (one for a single-level allocation)."""
        return tuple(self.tables)

    @property
    def level(self) -> str:
        """The last (finest) level."""
        return self.levels[-1]

    @property
    def table(self) -> pd.DataFrame:
        """The table of the last level (a copy)."""
        return self.tables[self.level].copy()

    def level_table(self, level: str) -> pd.DataFrame:
        """The table of one level (a copy).

        Raises
        ------
        ScenarioError
            Unknown level; the message lists the allocation's levels.

        Examples
        --------
        >>> from zan.allocate import allocate, allocate_cascade
        >>> from zan.rules import Criterion
        >>> c = pd.DataFrame({"epci": ["E1", "E1"], "reference_ha": [1.0, 3.0]},
        ...                  index=["01001", "01002"])
        >>> a = allocate_cascade(c, 2.0, criteria=[Criterion("uniform")],
        ...                      levels=("epci", "commune"))
        >>> a.level_table("epci")["envelope_ha"].tolist()
        [2.0]
        """
        if level not in self.tables:
            raise ScenarioError(
                f"no level {level!r} in this allocation; levels: {', '.join(self.levels)}"
            )
        return self.tables[level].copy()

    def bound_codes(self, bound: Literal["floor", "cap"], level: str | None = None) -> list[str]:
        """Codes of the territories raised to their floor (or cut to their cap).

        Parameters
        ----------
        bound : {"floor", "cap"}
        level : str, optional
            Default the last level.

        Examples
        --------
        >>> from zan.allocate import allocate, allocate_cascade
        >>> from zan.rules import Criterion
        >>> t = pd.DataFrame({"reference_ha": [1.0, 9.0]}, index=["a", "b"])
        >>> allocate(t, 10.0, criteria=[Criterion("uniform")], floors=2.0).bound_codes("floor")
        ['a']
        """
        if bound not in ("floor", "cap"):
            raise ScenarioError(f"bound must be 'floor' or 'cap' (got {bound!r})")
        t = self.tables[level or self.level] if level is None or level in self.tables else None
        if t is None:
            raise ScenarioError(
                f"no level {level!r} in this allocation; levels: {', '.join(self.levels)}"
            )
        return t.index[t["bound"].to_numpy() == bound].tolist()

    @property
    def criterion_columns(self) -> list[str]:
        """Names of the ``<criterion>_ha`` columns."""
        return [f"{c.key}_ha" for c in self.criteria]

    @property
    def distributed_ha(self) -> float:
        """Hectares distributed (rounded): the sum of the top level's envelopes."""
        return self.total_units * self.resolution

    @property
    def totals(self) -> dict[str, float]:
        """Regional totals (ha): envelope, PENE, reserve, distributed, remainders.

        Examples
        --------
        >>> from zan.allocate import allocate, allocate_cascade
        >>> from zan.rules import Criterion
        >>> t = pd.DataFrame({"reference_ha": [1.0, 2.0]}, index=["a", "b"])
        >>> allocate(t, 10.005, criteria=[Criterion("uniform")]).totals["distributed_ha"]
        10.0
        """
        env = self.envelope
        top = self.tables[self.levels[0]]
        return {
            "reference_ha": float(env.reference_ha) if env else float(top["reference_ha"].sum()),
            "envelope_ha": float(env.regional_ha) if env else float(self.total_ha),
            "pene_ha": float(env.pene_ha) if env else 0.0,
            "reserve_ha": float(env.reserve_ha) if env else 0.0,
            "distributed_ha": self.distributed_ha,
            "rounding_remainder_ha": float(
                self.total_ha - self.unallocated_ha - self.distributed_ha
            ),
            "unallocated_ha": float(self.unallocated_ha),
            "garantie_ha": float(top["garantie_ha"].sum()),
        }

    # ------------------------------------------------------------------ checks
    def check(self) -> bool:
        """Re-verify every invariant of the allocation.

        Checked: no negative envelope; envelopes are multiples of the resolution; the
        top level sums exactly (in units) to the distributed envelope, and each
        territory's members to its envelope; floors and caps respected (exact and
        rounded); the exact values solve the water-filling (free territories at λ·w,
        bound ones at their bound, sums equal to the group's envelope); largest
        remainder moves each value by less than one unit (divisor methods such as
        Sainte-Laguë may move more); the contributions add up.

        Returns
        -------
        bool
            True (otherwise an error is raised).

        Raises
        ------
        zan.errors.ValidationError
            Listing every broken invariant.

        Examples
        --------
        >>> from zan.allocate import allocate, allocate_cascade
        >>> from zan.rules import Criterion
        >>> t = pd.DataFrame({"reference_ha": [1.0, 2.0]}, index=["a", "b"])
        >>> allocate(t, 10.0, criteria=[Criterion("uniform")]).check()
        True
        """
        res = self.resolution
        problems: list[Problem] = []
        expected_total = total_units(self.total_ha, res) - int(round(self.unallocated_ha / res))
        if self.total_units != expected_total:
            problems.append(
                Problem("allocation", f"distributed units {self.total_units} != {expected_total}")
            )
        parent_units: pd.Series | None = None
        for level in self.levels:
            t = self.tables[level]
            units = np.rint(t["envelope_ha"].to_numpy(np.float64) / res).astype(np.int64)
            problems += _territory_problems(self, level, t, units)
            problems += _sum_problems(self, level, t, units, parent_units)
            parent_units = pd.Series(units, index=t.index)
        if problems:
            raise ValidationError(problems)
        return True

    # ------------------------------------------------------------------ explanation
    @cached_property
    def _has_garantie(self) -> bool:
        """Whether any territory has a garantie communale (summed once, not per territory)."""
        return any(float(t["garantie_ha"].sum()) > 0 for t in self.tables.values())

    def _find(self, code: str, level: str | None) -> tuple[str, pd.Series]:
        code = str(code)
        if level is not None:
            t = self.level_table(level)
            if code not in t.index:
                raise ScenarioError(f"no territory {code!r} at level {level!r}")
            return level, t.loc[code]
        found = [lv for lv in self.levels if code in self.tables[lv].index]
        if not found:
            raise ScenarioError(
                f"no territory {code!r} in this allocation (levels: {', '.join(self.levels)}); "
                "check the code"
            )
        if len(found) > 1:
            raise ScenarioError(
                f"code {code!r} exists at levels {', '.join(found)}; pass level= to choose"
            )
        return found[0], self.tables[found[0]].loc[code]

    def explain(self, code: str, level: str | None = None) -> str:
        """Explain in French how a territory's envelope was built.

        Parameters
        ----------
        code : str
            Territory code.
        level : str, optional
            Level, needed only when the code exists at several levels.

        Returns
        -------
        str

        Examples
        --------
        >>> from zan.allocate import allocate, allocate_cascade
        >>> from zan.rules import Criterion
        >>> t = pd.DataFrame({"nom": ["Aval", "Amont"], "reference_ha": [10.0, 30.0]},
        ...                  index=["a", "b"])
        >>> a = allocate(t, 20.0, criteria=[Criterion("uniform")], level="epci")
        >>> print(a.explain("a"))  # doctest: +ELLIPSIS
        Aval (EPCI a) : 5,00 ha, contre 10,00 ha consommés ..., soit une réduction de 50,00 %...
        """
        lv, row = self._find(code, level)
        env = self.envelope
        tgt = f" pour {env.target_period[0]}-{env.target_period[1]}" if env else ""
        refp = (
            f"en {env.reference_period[0]}-{env.reference_period[1]}"
            if env
            else "sur la période de référence"
        )
        # an added level (receiving territories) mixes SCoT and EPCI: its code alone
        lab = f"{LEVEL_LABELS[lv]} " if lv in LEVEL_LABELS else ""
        text = [f"{row['nom']} ({lab}{row['code']}) : {fr_text(row['envelope_ha'])} ha{tgt}"]
        if np.isfinite(row["reference_ha"]) and row["reference_ha"] > 0:
            text[0] += (
                f", contre {fr_text(row['reference_ha'])} ha consommés {refp}, soit une réduction de "
                f"{fr_text(row['reduction_pct'])} %."
            )
        else:
            text[0] += "."
        if "parent" in row.index:
            up = self.levels[self.levels.index(lv) - 1]
            ptab = self.tables[up]
            p = ptab.loc[row["parent"]]
            text.append(
                f"Cette part est prise sur l'enveloppe de {p['nom']} "
                f"({LEVEL_LABELS.get(up, up)} {p['code']}, {fr_text(p['envelope_ha'])} ha)."
            )
        else:
            text.append(
                f"Cette part est prise sur l'enveloppe répartie de {fr_text(self.distributed_ha)} ha."
            )
        parts = []
        for crit, a in zip(self.criteria, self.weights, strict=True):
            parts.append(
                f"{fr_text(100 * a, 0)} % {criterion_label(crit)} → {fr_text(row[f'{crit.key}_ha'])} ha"
            )
        text.append("Règle de partage : " + " ; ".join(parts) + ".")
        before = fr_text(row["exact_ha"] - row["adjustment_ha"])
        if row["bound"] == "floor":
            gar = row["garantie_ha"]
            gtxt = f", dont {fr_text(gar)} ha de garantie communale" if gar > 0 else ""
            text.append(
                f"La part calculée ({before} ha) est relevée "
                f"au plancher de {fr_text(row['floor_ha'])} ha{gtxt} : +{fr_text(row['adjustment_ha'])} ha."
            )
        elif row["bound"] == "cap":
            text.append(
                f"La part calculée ({before} ha) est ramenée au plafond de "
                f"{fr_text(row['cap_ha'])} ha : {fr_text(row['adjustment_ha'])} ha, redistribués "
                "aux autres territoires."
            )
        elif row["floor_ha"] > 0:
            gar = row["garantie_ha"]
            gtxt = f" (garantie communale : {fr_text(gar)} ha)" if gar > 0 else ""
            text.append(f"Le plancher de {fr_text(row['floor_ha'])} ha{gtxt} est dépassé.")
        if self._has_garantie:
            text.append(pooling_text(self.garantie_pooling, lv))
        text.append(
            f"Arrondi au {fr_text(self.resolution, 2)} ha ({ROUNDING_FR[self.rounding]}) : "
            f"{'+' if row['rounding_ha'] >= 0 else ''}{fr_text(row['rounding_ha'], 4)} ha."
        )
        return " ".join(text)

    def provenance(self) -> dict[str, Any]:
        """The method facts written into ``sources.json`` next to the file hashes.

        Returns
        -------
        dict
            ``garantie_communale`` (``pooling``: ``"commune"`` or ``"epci"``),
            ``envelope`` (how the regional envelope was obtained: ``kind`` is
            ``"published"``, ``"estimate"``, ``"given"`` or ``"computed"``, with
            its label and source; see :meth:`zan.Envelope.provenance`), and
            ``warnings`` (a list, empty when none).

        Examples
        --------
        >>> from zan.allocate import allocate, allocate_cascade
        >>> from zan.rules import Criterion
        >>> t = pd.DataFrame({"reference_ha": [1.0, 2.0]}, index=["a", "b"])
        >>> allocate(t, 10.0, criteria=[Criterion("uniform")]).provenance()["warnings"]
        []
        """
        out: dict[str, Any] = {"garantie_communale": {"pooling": self.garantie_pooling}}
        if self.envelope is not None:
            out["envelope"] = self.envelope.provenance()
        out["warnings"] = list(self.warnings)
        return out

    def summary(self) -> pd.DataFrame:
        """Regional totals as a table with French labels.

        Examples
        --------
        >>> from zan.allocate import allocate, allocate_cascade
        >>> from zan.rules import Criterion
        >>> t = pd.DataFrame({"reference_ha": [1.0, 2.0]}, index=["a", "b"])
        >>> allocate(t, 10.0, criteria=[Criterion("uniform")]).summary()["ha"].tolist()[-1]
        10.0
        """
        tot = self.totals
        rows = [
            ("Enveloppe régionale", tot["envelope_ha"]),
            ("dont PENE déduits", tot["pene_ha"]),
            ("Réserve régionale", tot["reserve_ha"]),
            ("Restant au niveau régional (taux donnés)", tot["unallocated_ha"]),
            ("Reliquat d'arrondi", tot["rounding_remainder_ha"]),
            ("Garantie communale", tot["garantie_ha"]),
            ("Enveloppe répartie", tot["distributed_ha"]),
        ]
        return pd.DataFrame(rows, columns=["terme", "ha"])

    def __repr__(self) -> str:
        t = self.tables[self.level]
        bounds = t["bound"].value_counts()
        return (
            f"<Allocation {self.name or ''} level={'→'.join(self.levels)} n={len(t)} "
            f"distributed={self.distributed_ha:.2f} ha floors={int(bounds.get('floor', 0))} "
            f"caps={int(bounds.get('cap', 0))}>"
        )

    def _repr_html_(self) -> str:
        from .notebook import allocation_html

        return allocation_html(self)

    def explore(self, column: str = "envelope_ha", *, level: str | None = None, **kwargs: Any):
        """Interactive offline map of this allocation (:func:`zan.maps.explore_allocation`).

        Popups explain each figure (reference, criteria, floor/cap, garantie
        communale, and the :meth:`explain` text at the allocation's own level).

        Parameters
        ----------
        column : str, default "envelope_ha"
            Column mapped (``"reduction_pct"`` for the rates).
        level : str, optional
            Level of a cascade to map; the last one by default.
        **kwargs
            Passed to :func:`zan.maps.choropleth` (``title``, ``scheme``, ``outlines``...).

        Returns
        -------
        folium.Map

        Raises
        ------
        ScenarioError
            When the allocation was computed without territories (no geometry).
        """
        from .maps import explore_allocation

        return explore_allocation(self, column, level=level, **kwargs)

    def simulator(self, **kwargs: Any) -> Path | str:
        """Live offline simulator of this allocation's scenario (:func:`zan.simulator_html`).

        Parameters
        ----------
        **kwargs
            ``baseline`` (the allocation differences are measured against; default this
            one) and ``out`` (the HTML file; without it the page is returned as text).

        Returns
        -------
        pathlib.Path or str
        """
        from .maps.simulator import simulator_html

        return simulator_html(self, **kwargs)

    # ------------------------------------------------------------------ files
    def to_csv(self, path: str | os.PathLike, *, level: str | None = None) -> Path:
        """Write a level's table as CSV (UTF-8, hectares to 4 decimals), atomically.

        See :func:`zan.export.allocation_to_csv`.

        Parameters
        ----------
        path : path-like
        level : str, optional
            Default the last level.

        Returns
        -------
        pathlib.Path

        Examples
        --------
        >>> import tempfile, pathlib
        >>> from zan.allocate import allocate, allocate_cascade
        >>> from zan.rules import Criterion
        >>> t = pd.DataFrame({"reference_ha": [1.0, 2.0]}, index=["a", "b"])
        >>> d = pathlib.Path(tempfile.mkdtemp())
        >>> p = allocate(t, 10.0, criteria=[Criterion("uniform")]).to_csv(d / "allocation.csv")
        >>> p.read_text().splitlines()[1].split(",")[:5]
        ['a', 'a', '1.0000', '3.3300', '-233.0000']
        """
        from .export import allocation_to_csv

        return allocation_to_csv(self, path, level=level)

    def to_gpkg(
        self, path: str | os.PathLike, territories: Any = None, *, level: str | None = None
    ) -> Path:
        """Write the allocation with geometries as a GeoPackage, atomically.

        One layer per level (named after it) unless ``level`` is given; see
        :func:`zan.export.allocation_to_gpkg`.

        Parameters
        ----------
        path : path-like
        territories : Territories, GeoDataFrame or mapping level → GeoDataFrame, optional
            Source of the geometries (``territories.geometries(level)``), indexed by
            code; default the territories the allocation was computed on.
        level : str, optional

        Returns
        -------
        pathlib.Path

        Examples
        --------
        >>> import tempfile, pathlib
        >>> import geopandas as gpd
        >>> from shapely.geometry import box
        >>> from zan.allocate import allocate, allocate_cascade
        >>> from zan.rules import Criterion
        >>> t = pd.DataFrame({"reference_ha": [1.0, 2.0]}, index=["a", "b"])
        >>> g = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
        ...                      index=["a", "b"], crs="EPSG:2154")
        >>> alloc = allocate(t, 3.0, criteria=[Criterion("uniform")], level="epci")
        >>> p = alloc.to_gpkg(pathlib.Path(tempfile.mkdtemp()) / "allocation.gpkg", g)
        >>> gpd.list_layers(p)["name"].tolist()
        ['epci']
        """
        from .export import allocation_to_gpkg

        return allocation_to_gpkg(self, path, territories, level=level)

    def to_parquet(
        self, path: str | os.PathLike, territories: Any = None, *, level: str | None = None
    ) -> Path:
        """Write a level's table with geometries as GeoParquet, atomically.

        See :func:`zan.export.allocation_to_parquet`.

        Parameters
        ----------
        path : path-like
        territories : Territories, GeoDataFrame or mapping level → GeoDataFrame, optional
            As in :meth:`to_gpkg`.
        level : str, optional
            Default the last level.

        Returns
        -------
        pathlib.Path

        Examples
        --------
        >>> import tempfile, pathlib
        >>> import geopandas as gpd
        >>> from shapely.geometry import box
        >>> from zan.allocate import allocate, allocate_cascade
        >>> from zan.rules import Criterion
        >>> t = pd.DataFrame({"reference_ha": [1.0, 2.0]}, index=["a", "b"])
        >>> g = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1), box(1, 0, 2, 1)],
        ...                      index=["a", "b"], crs="EPSG:2154")
        >>> alloc = allocate(t, 3.0, criteria=[Criterion("uniform")])
        >>> p = alloc.to_parquet(pathlib.Path(tempfile.mkdtemp()) / "allocation.parquet", g)
        >>> gpd.read_parquet(p)["envelope_ha"].tolist()
        [1.0, 2.0]
        """
        from .export import allocation_to_parquet

        return allocation_to_parquet(self, path, territories, level=level)


# ---------------------------------------------------------------------- check helpers
def _flagged(level: str, t: pd.DataFrame, mask: np.ndarray, column: str, message: str):
    """A problem naming the first territory flagged by ``mask`` and their number."""
    first = t.index[np.flatnonzero(mask)[0]]
    return Problem(
        f"allocation[{level}]",
        f"{message} ({int(mask.sum())} territories)",
        column=column,
        row=str(first),
    )


def _territory_problems(
    alloc: Allocation, level: str, t: pd.DataFrame, units: np.ndarray
) -> list[Problem]:
    """Invariants of each territory of a level: bounds, resolution, λ·w, contributions."""
    res = alloc.resolution
    env = t["envelope_ha"].to_numpy(np.float64)
    exact = t["exact_ha"].to_numpy(np.float64)
    floor = t["floor_ha"].to_numpy(np.float64)
    cap = t["cap_ha"].to_numpy(np.float64)
    lw = t["multiplier"].to_numpy(np.float64) * t["weight"].to_numpy(np.float64)
    bound = t["bound"].to_numpy()
    tol = 1e-9 * max(alloc.total_ha, 1.0)
    lo = np.ceil(floor / res - UNITS_EPS)
    hi = np.where(np.isfinite(cap), np.floor(cap / res + UNITS_EPS), np.inf)
    parts = t[alloc.criterion_columns].sum(axis=1).to_numpy(np.float64)
    parts = parts + t["adjustment_ha"].to_numpy(np.float64) + t["rounding_ha"].to_numpy(np.float64)
    checks = [
        (~np.isfinite(env) | (env < 0), "envelope_ha", "negative or missing envelope"),
        (
            np.abs(env - units * res) > 1e-9 * np.maximum(np.abs(env), 1),
            "envelope_ha",
            f"not a multiple of the resolution {res:g} ha",
        ),
        (units < lo, "envelope_ha", "below the floor"),
        (units > hi, "envelope_ha", "above the cap"),
        ((exact < floor - tol) | (exact > cap + tol), "exact_ha", "exact value outside its bounds"),
    ]
    if alloc.rounding == "largest_remainder":  # Hamilton keeps quota
        checks.append(
            (
                np.abs(units - exact / res) > 1 + 1e-6,
                "rounding_ha",
                "rounding moved more than one unit",
            )
        )
    checks += [
        (
            (bound == "none") & (np.abs(exact - lw) > tol),
            "exact_ha",
            "free territory not at λ·weight",
        ),
        (
            (bound == "floor") & ((np.abs(exact - floor) > tol) | (lw > floor + tol)),
            "bound",
            "marked at its floor but is not",
        ),
        (
            (bound == "cap") & ((np.abs(exact - cap) > tol) | (lw < cap - tol)),
            "bound",
            "marked at its cap but is not",
        ),
        (
            np.abs(parts - env) > 1e-6 * np.maximum(env, 1),
            "envelope_ha",
            "contributions do not add up to the envelope",
        ),
    ]
    return [_flagged(level, t, m, c, msg) for m, c, msg in checks if m.any()]


def _sum_problems(
    alloc: Allocation,
    level: str,
    t: pd.DataFrame,
    units: np.ndarray,
    parent_units: pd.Series | None,
) -> list[Problem]:
    """Sums of a level: the top level's to the distributed envelope, members' to parents'."""
    res = alloc.resolution
    exact = t["exact_ha"].to_numpy(np.float64)
    scale = max(alloc.total_ha, 1.0)
    where = f"allocation[{level}]"
    out = []
    if parent_units is None:
        if int(units.sum()) != alloc.total_units:
            out.append(
                Problem(
                    where,
                    f"envelopes add up to {units.sum()} units, not {alloc.total_units}",
                    column="envelope_ha",
                )
            )
        if abs(exact.sum() - alloc.total_units * res) > 1e-6 * scale:
            out.append(
                Problem(
                    where,
                    "exact values do not add up to the distributed envelope",
                    column="exact_ha",
                )
            )
        return out
    parent = t["parent"].to_numpy()
    sums = pd.Series(units, index=t.index).groupby(parent).sum()
    want = parent_units.reindex(sums.index)
    if (sums.to_numpy() != want.to_numpy()).any() or len(sums) != len(parent_units):
        out.append(
            Problem(where, "members' envelopes do not add up to their parent's", column="parent")
        )
    ex = pd.Series(exact, index=t.index).groupby(parent).sum()
    if (np.abs(ex.to_numpy() - want.to_numpy() * res) > 1e-6 * scale).any():
        out.append(
            Problem(where, "exact values do not add up to the parent's envelope", column="exact_ha")
        )
    return out
