"""The territorial hierarchy: communes → EPCI → SCoT → département → région.

:class:`Territories` joins a commune layer (:func:`zan.io.territories.read_communes`)
and a membership table (:func:`zan.io.territories.read_membership`) and checks
that they agree. It then tells which territory each commune belongs to, at
every level, and sums commune values per territory so that totals are kept:
the sum over the territories of a level equals the sum over the communes.

Every commune must belong to one EPCI, one département and one région. SCoT
coverage is partial in France (DOMAIN.md §4: "about fifty SCoT" in
Hauts-de-France, not covering every commune), so communes outside any SCoT are
grouped in the pseudo-territory ``"hors_scot"`` ("Hors SCoT"); custom levels
work the same way with ``"hors_<level>"``.
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping
from typing import Any, Literal

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from zan.crs import LAMBERT93
from zan.errors import DataError, MembershipError, Problem, SchemaError
from zan.io.codes import commune_codes
from zan.io.territories import (
    raise_problems,
    read_communes,
    read_membership,
    shorten,
)
from zan.territory_inputs import (
    REQUIRED_LEVELS,
    build_assignment,
    check_communes,
    coverage_problems,
    prepare_membership,
    value_frame,
)

__all__ = ["Territories", "REQUIRED_LEVELS"]

_LABELS_FR = {
    "commune": "Communes",
    "epci": "EPCI",
    "scot": "SCoT",
    "departement": "Départements",
    "region": "Régions",
}
_HOW = ("sum", "mean", "min", "max", "count")
_MISSING = ("raise", "zero", "ignore")


class Territories:
    """Communes and the territories they belong to, level by level.

    Treat an instance as immutable: build a new one to change the data.

    Parameters
    ----------
    communes : geopandas.GeoDataFrame
        Commune layer indexed by INSEE ``code``, as returned by
        :func:`zan.io.territories.read_communes`; ``area_ha`` is computed when
        absent (the CRS must then be projected).
    membership : pandas.DataFrame, optional
        Membership table as returned by :func:`zan.io.territories.read_membership`
        (any frame it accepts also works). When omitted, the layer's own
        attributes give the membership (e.g. ``SIREN_EPCI`` in ADMIN EXPRESS).
    source : str, optional
        Name shown in ``repr`` and messages (default: the layer's source).

    Raises
    ------
    MembershipError
        Every problem found at once: communes of the layer missing from the
        membership, communes of the membership absent from the layer, communes
        without an EPCI, département or région.
    SchemaError
        The layer is not indexed by unique INSEE codes.
    CRSError
        The layer has no CRS, or ``area_ha`` is absent and the CRS is geographic.

    Examples
    --------
    >>> t = Territories.demo()
    >>> t.levels[:2]
    ('commune', 'epci')
    >>> total = t.communes["area_ha"].sum()
    >>> by_epci = t.aggregate(t.communes["area_ha"], "epci")
    >>> bool(np.isclose(by_epci["area_ha"].sum(), total, rtol=1e-12))
    True
    """

    def __init__(
        self,
        communes: gpd.GeoDataFrame,
        membership: pd.DataFrame | None = None,
        *,
        source: str | None = None,
    ) -> None:
        self._source = source or str(communes.attrs.get("source", "communes"))
        self._communes = check_communes(communes, self._source)
        if membership is None:
            membership = read_membership(self._communes, source=self._source)
        self._membership, self._member_levels = prepare_membership(membership)
        self._msource = str(self._membership.attrs.get("source", "membership table"))
        problems = coverage_problems(
            self._communes,
            self._membership,
            self._member_levels,
            layer_source=self._source,
            membership_source=self._msource,
        )
        raise_problems(MembershipError, problems)
        self._membership = self._membership.reindex(self._communes.index)
        self._assign, self._names = build_assignment(
            self._communes, self._membership, self._member_levels
        )
        self._cache: dict[str, gpd.GeoDataFrame] = {}
        self._coverage_valid: bool | None = None

    # ------------------------------------------------------------------ builders

    @classmethod
    def from_files(
        cls,
        communes_path: str | os.PathLike[str],
        membership_path: str | os.PathLike[str] | None = None,
        *,
        code_column: str | None = None,
        name_column: str | None = None,
        layer: str | None = None,
        crs: Any = None,
        target_crs: Any = LAMBERT93,
        membership_code_column: str | None = None,
        levels: Mapping[str, str | tuple[str, str | None]] | None = None,
    ) -> Territories:
        """Read a commune layer and a membership table, and join them.

        Parameters
        ----------
        communes_path : str or path-like
            Commune layer, read with :func:`~zan.io.territories.read_communes`.
        membership_path : str or path-like, optional
            Membership table, read with
            :func:`~zan.io.territories.read_membership`; when omitted, the
            layer's attributes give the membership.
        code_column, name_column, layer, crs, target_crs
            Passed to :func:`~zan.io.territories.read_communes`.
        membership_code_column : str, optional
            ``code_column`` of :func:`~zan.io.territories.read_membership`.
        levels : mapping, optional
            ``levels`` of :func:`~zan.io.territories.read_membership`.

        Returns
        -------
        Territories

        Examples
        --------
        >>> from zan.datasets import get_path
        >>> t = Territories.from_files(
        ...     get_path("communes.gpkg"), get_path("communes.csv"), layer="communes"
        ... )
        >>> "epci" in t.levels
        True
        """
        communes = read_communes(
            communes_path,
            code_column=code_column,
            name_column=name_column,
            layer=layer,
            crs=crs,
            target_crs=target_crs,
        )
        if membership_path is None:
            membership = read_membership(
                communes, code_column=membership_code_column, levels=levels
            )
        else:
            membership = read_membership(
                membership_path, code_column=membership_code_column, levels=levels
            )
        return cls(communes, membership, source=str(communes_path))

    @classmethod
    def demo(cls) -> Territories:
        """The synthetic demo region shipped with zan (``data/demo``).

        Communes from ``communes.gpkg``, membership from ``communes.csv``, and
        the names of the départements from ``departements.csv``.

        Returns
        -------
        Territories

        Examples
        --------
        >>> t = Territories.demo()
        >>> t.crs.to_epsg(), t.names("departement").tolist()
        (2154, ['Côtes-de-Démo', 'Haut-Démo', 'Val-de-Démo'])
        """
        from zan.datasets import get_path
        from zan.io._files import read_table

        communes = read_communes(get_path("communes.gpkg"), layer="communes")
        membership = read_membership(get_path("communes.csv"))
        departements = read_table(get_path("departements.csv"), what="départements table")
        names = pd.Series(departements["nom"].to_numpy(), index=departements["code"].to_numpy())
        membership["departement_nom"] = membership["departement"].map(names)
        membership["region_nom"] = "Région Démo"
        return cls(communes, membership)

    # ------------------------------------------------------------------ accessors

    @property
    def communes(self) -> gpd.GeoDataFrame:
        """The commune layer, indexed by INSEE ``code`` (do not modify it)."""
        return self._communes

    @property
    def membership(self) -> pd.DataFrame:
        """The membership table, in the layer's commune order (do not modify it)."""
        return self._membership

    @property
    def source(self) -> str:
        """Name of the commune layer."""
        return self._source

    @property
    def crs(self) -> Any:
        """CRS of the commune layer (projected, in metres)."""
        return self._communes.crs

    @property
    def levels(self) -> tuple[str, ...]:
        """Level names: ``"commune"``, then the membership levels in hierarchy order.

        Examples
        --------
        >>> Territories.demo().levels
        ('commune', 'epci', 'scot', 'departement', 'region')
        """
        return ("commune", *self._member_levels)

    def _check_level(self, level: str) -> None:
        if not isinstance(level, str) or level not in self.levels:
            raise DataError(
                f"unknown level {level!r}; valid levels: {', '.join(self.levels)}"
                " (aggregate() also takes a Series mapping commune code → group)"
            )

    def assignment(self, level: str) -> pd.Series:
        """The territory of each commune at ``level``.

        Parameters
        ----------
        level : str
            One of :attr:`levels`.

        Returns
        -------
        pandas.Series
            Indexed by commune ``code`` (layer order), holding territory codes;
            communes outside any SCoT get ``"hors_scot"``.

        Examples
        --------
        >>> t = Territories.demo()
        >>> a = t.assignment("departement")
        >>> a.index.equals(t.communes.index), bool(a.notna().all())
        (True, True)
        """
        self._check_level(level)
        if level == "commune":
            return pd.Series(
                self._communes.index.to_numpy(), index=self._communes.index, name="commune"
            )
        return self._assign[level].copy()

    def names(self, level: str) -> pd.Series:
        """The name of each territory at ``level``.

        Parameters
        ----------
        level : str
            One of :attr:`levels`.

        Returns
        -------
        pandas.Series
            Indexed by territory ``code`` (sorted), named ``nom``; a territory
            the membership table names nowhere is named by its code.

        Examples
        --------
        >>> t = Territories.demo()
        >>> t.names("region").size
        1
        """
        self._check_level(level)
        if level == "commune":
            return self._communes["nom"].sort_index().rename("nom")
        return self._names[level].copy()

    def codes(self, level: str) -> pd.Index:
        """The territory codes at ``level``, sorted.

        Examples
        --------
        >>> t = Territories.demo()
        >>> len(t.codes("commune")) == len(t.communes)
        True
        """
        return self.names(level).index

    def members(self, level: str, code: str) -> pd.Index:
        """The communes of one territory.

        Parameters
        ----------
        level : str
            One of :attr:`levels`.
        code : str
            Territory code at that level (e.g. an EPCI SIREN, ``"hors_scot"``).

        Returns
        -------
        pandas.Index
            Commune codes, in layer order.

        Raises
        ------
        DataError
            When no territory of that level has this code.

        Examples
        --------
        >>> t = Territories.demo()
        >>> first = t.codes("epci")[0]
        >>> bool((t.assignment("epci")[t.members("epci", first)] == first).all())
        True
        """
        assign = self.assignment(level)
        code = str(code)
        if code not in self.codes(level):
            raise DataError(
                f"{self._source}: no territory {code!r} at level {level!r}; "
                f"codes are e.g. {shorten(list(self.codes(level)), 10)}"
            )
        return assign.index[(assign == code).to_numpy()]

    # ------------------------------------------------------------------ aggregation

    def _grouping(self, level: str | pd.Series) -> tuple[pd.Series, pd.Series]:
        """(commune → group over the layer's communes, group → name)."""
        if isinstance(level, pd.Series):
            groups = level.copy()
            groups.index = pd.Index(commune_codes(pd.Series(groups.index)).to_numpy(), name="code")
            groups = groups[~groups.index.duplicated(keep="first")]
            assign = groups.reindex(self._communes.index)
            assign = assign.where(assign.isna(), assign.astype("str"))
            codes = pd.Index(sorted(assign.dropna().unique()), name="code", dtype="str")
            names = pd.Series(codes.to_numpy(), index=codes, name="nom", dtype="str")
            return assign, names
        return self.assignment(level), self.names(level)

    def aggregate(
        self,
        values: pd.Series | pd.DataFrame,
        level: str | pd.Series,
        *,
        how: Literal["sum", "mean", "min", "max", "count"] = "sum",
        missing: Literal["raise", "zero", "ignore"] = "raise",
    ) -> pd.DataFrame:
        """Aggregate commune values per territory, conserving totals.

        Values are summed in float64, so integers (m², as in the Cerema file,
        ARCHITECTURE.md) add up exactly: the sum over the territories equals the
        sum over the communes, bit for bit below 2**53.

        Parameters
        ----------
        values : pandas.Series or pandas.DataFrame
            Numeric values indexed by commune code.
        level : str or pandas.Series
            A level of :attr:`levels`, or a Series mapping commune code → group
            for a custom grouping (groups are then named by their code).
        how : {"sum", "mean", "min", "max", "count"}, default "sum"
            Aggregation; only "sum" and "count" conserve totals.
        missing : {"raise", "zero", "ignore"}, default "raise"
            What to do with communes of the territories that have no value
            (absent from ``values`` or NaN): raise, count them as zero, or leave
            them out. With ``"ignore"``, a territory none of whose communes has a
            value is left out of the result (its code in ``attrs["left_out"]``);
            a territory with some values sums those it has (its code in
            ``attrs["incomplete"]``).

        Returns
        -------
        pandas.DataFrame
            Indexed by territory ``code`` (every territory of the level, sorted,
            except those left out by ``missing="ignore"``), with ``nom`` first and
            then one column per value column (a Series gives one column named
            after it, or ``value``).

        Raises
        ------
        DataError
            Unknown level or option; values for communes that are not in the
            territories; missing values with ``missing="raise"``; duplicate codes.
        SchemaError
            Non-numeric value columns.

        Examples
        --------
        >>> t = Territories.demo()
        >>> m2 = pd.Series(10_000, index=t.communes.index, name="conso_m2")
        >>> out = t.aggregate(m2, "departement")
        >>> list(out.columns), int(out["conso_m2"].sum()) == 10_000 * len(t.communes)
        (['nom', 'conso_m2'], True)
        """
        if how not in _HOW:
            raise DataError(f"aggregate: how={how!r} is unknown; valid: {', '.join(_HOW)}")
        if missing not in _MISSING:
            raise DataError(
                f"aggregate: missing={missing!r} is unknown; valid: {', '.join(_MISSING)}"
            )
        if not isinstance(level, pd.Series):
            self._check_level(level)
        assign, names = self._grouping(level)
        frame = value_frame(values)
        universe = self._communes.index

        extra = frame.index.difference(universe)
        if len(extra):
            raise DataError(
                f"values: {len(extra)} commune(s) are not in the territories "
                f"({self._source}): {shorten(sorted(extra))}; drop them, or align the "
                "codes on the same COG vintage (merged communes)"
            )
        frame = frame.reindex(universe)
        lacking = frame.isna().any(axis=1).to_numpy()
        if lacking.any():
            if missing == "raise":
                raise DataError(
                    f"values: no value for {int(lacking.sum())} commune(s) of the territories "
                    f"({self._source}): {shorten(list(universe[lacking]))}; pass "
                    "missing='zero' to count them as zero, or missing='ignore' to leave them out"
                )
            if missing == "zero":
                frame = frame.fillna(0.0)
        ungrouped = assign.isna().to_numpy() & frame.notna().any(axis=1).to_numpy()
        if ungrouped.any():
            raise DataError(
                f"grouping: {int(ungrouped.sum())} commune(s) with values have no group: "
                f"{shorten(list(universe[ungrouped]))}; give them a group, or drop their values"
            )
        left_out: list[str] = []
        incomplete: list[str] = []
        if missing == "ignore" and lacking.any():
            has_value = pd.Series(frame.notna().any(axis=1).to_numpy(), index=universe)
            lacks = pd.Series(lacking, index=universe)
            key = assign.reindex(universe).to_numpy()
            with_value = has_value.groupby(key).sum().reindex(names.index, fill_value=0)
            with_gap = lacks.groupby(key).sum().reindex(names.index, fill_value=0)
            left_out = [str(c) for c in names.index[(with_value == 0).to_numpy()]]
            incomplete = [
                str(c) for c in names.index[((with_value > 0) & (with_gap > 0)).to_numpy()]
            ]
        grouped = frame.groupby(assign.to_numpy(), sort=True)
        if how == "sum":
            result = grouped.sum(min_count=0)
        elif how == "count":
            result = grouped.count().astype("float64")
        else:
            result = getattr(grouped, how)()
        fill = 0.0 if how in ("sum", "count") else np.nan
        result = result.reindex(names.index, fill_value=fill)
        result.index.name = "code"
        result.insert(0, "nom", names.to_numpy())
        if left_out:
            result = result.drop(index=left_out)
        result.attrs.update(left_out=tuple(left_out), incomplete=tuple(incomplete))
        return result

    def indicator(self, column: str, level: str = "commune") -> pd.Series:
        """Sum a numeric column of the membership table (or layer) per territory.

        Parameters
        ----------
        column : str
            Column name, e.g. ``"population"``; the membership table is searched
            first, then the commune layer.
        level : str, default "commune"
            One of :attr:`levels`.

        Returns
        -------
        pandas.Series
            Indexed by territory ``code``, named ``column``, float64.

        Raises
        ------
        SchemaError
            No numeric column of that name.
        DataError
            Communes without a value (NaN).

        Examples
        --------
        >>> t = Territories.demo()
        >>> pop = t.indicator("population", "region")
        >>> int(pop.iloc[0]) == int(t.membership["population"].sum())
        True
        """
        self._check_level(level)
        if column in self._membership.columns:
            values = self._membership[column]
        elif column in self._communes.columns and column != self._communes.geometry.name:
            values = self._communes[column]
        else:
            numeric = [
                c
                for frame in (self._membership, self._communes)
                for c in frame.columns
                if pd.api.types.is_numeric_dtype(frame[c])
                and not pd.api.types.is_bool_dtype(frame[c])
            ]
            raise SchemaError(
                f"{self._msource}: no column {column!r}; numeric columns: "
                f"{', '.join(dict.fromkeys(numeric)) or '(none)'}"
            )
        return self.aggregate(values.rename(column), level)[column]

    # ------------------------------------------------------------------ geometry

    def _is_coverage(self) -> bool:
        if self._coverage_valid is None:
            geoms = np.asarray(self._communes.geometry.array, dtype=object)
            self._coverage_valid = bool(shapely.coverage_is_valid(geoms))
        return self._coverage_valid

    def geometries(self, level: str) -> gpd.GeoDataFrame:
        """Territory boundaries at ``level``, dissolved from the communes (cached).

        Parameters
        ----------
        level : str
            One of :attr:`levels`.

        Returns
        -------
        geopandas.GeoDataFrame
            Indexed by territory ``code``, with ``nom``, ``area_ha`` (sum of the
            communes' areas, so it conserves totals) and ``geometry``. When the
            communes form a valid coverage (no overlaps) they are merged with the
            fast coverage union, otherwise with a full union.

        Examples
        --------
        >>> t = Territories.demo()
        >>> g = t.geometries("departement")
        >>> list(g.columns), len(g) == len(t.codes("departement"))
        (['nom', 'area_ha', 'geometry'], True)
        """
        self._check_level(level)
        if level not in self._cache:
            self._cache[level] = self._dissolve(level)
        return self._cache[level].copy()

    def _dissolve(self, level: str) -> gpd.GeoDataFrame:
        if level == "commune":
            base = self._communes[["nom", "area_ha"]].sort_index()
            geom = self._communes.geometry.reindex(base.index)
            return gpd.GeoDataFrame(base, geometry=geom.to_numpy(), crs=self.crs)
        areas = self.aggregate(self._communes["area_ha"], level)
        layer = gpd.GeoDataFrame(
            {"_territory": self.assignment(level).to_numpy()},
            geometry=self._communes.geometry.to_numpy(),
            crs=self.crs,
        )
        method = "coverage" if self._is_coverage() else "unary"
        dissolved = layer.dissolve("_territory", method=method, sort=True)
        geom = dissolved.geometry.reindex(areas.index)
        return gpd.GeoDataFrame(areas, geometry=geom.to_numpy(), crs=self.crs)

    # ------------------------------------------------------------------ checks, display

    def check(self) -> None:
        """Verify again that communes, membership and assignments agree.

        Raises
        ------
        MembershipError
            Listing every problem found.

        Examples
        --------
        >>> Territories.demo().check()
        """
        problems = coverage_problems(
            self._communes,
            self._membership,
            self._member_levels,
            layer_source=self._source,
            membership_source=self._msource,
        )
        if not self._assign.index.equals(self._communes.index):
            problems.append(
                Problem(
                    self._source,
                    "the assignment table no longer matches the commune layer",
                    fix="rebuild the Territories object",
                )
            )
        for level in self._member_levels:
            unassigned = self._assign[level].isna().to_numpy()
            if unassigned.any():
                problems.append(
                    Problem(
                        self._msource,
                        f"{int(unassigned.sum())} commune(s) without {level}: "
                        f"{shorten(list(self._assign.index[unassigned]))}",
                        column=level,
                        fix="rebuild the Territories object",
                    )
                )
            unknown = ~self._assign[level].isin(self._names[level].index)
            if unknown.any():
                problems.append(
                    Problem(
                        self._msource,
                        f"territories without a name entry: "
                        f"{shorten(sorted(self._assign[level][unknown].unique()))}",
                        column=level,
                        fix="rebuild the Territories object",
                    )
                )
        raise_problems(MembershipError, problems)

    def _counts(self) -> list[tuple[str, int]]:
        return [(level, len(self.codes(level))) for level in self.levels]

    def __repr__(self) -> str:
        crs = self.crs.to_string() if self.crs is not None else "no CRS"
        lines = [f"Territories({self._source}, {crs})"]
        width = max(len(level) for level in self.levels)
        lines += [f"  {level:<{width}}  {n:>7,}" for level, n in self._counts()]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(_LABELS_FR.get(level, level))}</td>"
            f"<td style='text-align:right'>{n:,}".replace(",", "\u202f")
            + "</td></tr>"
            for level, n in self._counts()
        )
        return (
            "<table class='zan-territoires'>"
            f"<caption>Territoires — {html.escape(os.path.basename(self._source))}</caption>"
            "<thead><tr><th>Niveau</th><th>Nombre</th></tr></thead>"
            f"<tbody>{rows}</tbody></table>"
        )


# ---------------------------------------------------------------------- module helpers
