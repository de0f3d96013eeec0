"""The inputs of :class:`zan.territory.Territories`, checked and prepared.

The commune layer is checked (codes, duplicates, CRS), the membership table
prepared, the coverage of the communes by the membership checked (every commune in
one territory per required level, DOMAIN.md §4) and the commune → territory
assignment built, with the communes outside a level's territories (no SCoT) grouped
under ``hors_<level>``.
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd

from zan.crs import ensure_crs, to_projected
from zan.errors import DataError, MembershipError, Problem, SchemaError
from zan.io.codes import COMMUNE_CODE_PATTERN, commune_codes
from zan.io.territories import (
    LEVELS,
    read_membership,
    shorten,
)

__all__ = [
    "REQUIRED_LEVELS",
    "build_assignment",
    "check_communes",
    "coverage_problems",
    "outside_code",
    "outside_name",
    "prepare_membership",
    "value_frame",
]

#: Levels every commune must belong to (one territory each).
REQUIRED_LEVELS: tuple[str, ...] = ("epci", "departement", "region")

_OUTSIDE_NAMES = {"scot": "Hors SCoT"}


def outside_code(level: str) -> str:
    """Code of the pseudo-territory of the communes outside every territory of ``level``.

    Examples
    --------
    >>> outside_code("scot")
    'hors_scot'
    """
    return f"hors_{level}"


def outside_name(level: str) -> str:
    """Name of that pseudo-territory (French: shown in tables and maps).

    Examples
    --------
    >>> outside_name("scot")
    'Hors SCoT'
    """
    return _OUTSIDE_NAMES.get(level, f"Hors {level}")


def check_communes(communes: gpd.GeoDataFrame, source: str) -> gpd.GeoDataFrame:
    """Validate the layer given to Territories; add ``area_ha`` when absent."""
    if not isinstance(communes, gpd.GeoDataFrame):
        raise DataError(
            f"{source}: the commune layer must be a GeoDataFrame (got "
            f"{type(communes).__name__}); read it with zan.io.territories.read_communes"
        )
    ensure_crs(communes, source)
    codes = pd.Series(communes.index.astype("str"))
    bad = ~codes.str.fullmatch(COMMUNE_CODE_PATTERN, na=False)
    if bad.any():
        raise SchemaError(
            f"{source}: the layer index must hold INSEE commune codes; found "
            f"{shorten([repr(c) for c in codes[bad]])}; read the layer with "
            "zan.io.territories.read_communes (it indexes by code)"
        )
    dup = codes.duplicated(keep=False)
    if dup.any():
        raise SchemaError(
            f"{source}: duplicate commune codes in the layer index: "
            f"{shorten(sorted(codes[dup].unique()))}; keep one feature per commune"
        )
    out = communes
    if not out.index.equals(pd.Index(codes.to_numpy(), name="code", dtype="str")):
        out = out.set_axis(pd.Index(codes.to_numpy(), name="code", dtype="str"))
    if "area_ha" not in out.columns:
        projected = to_projected(out, source, None)
        out = out.assign(area_ha=projected.area.to_numpy() / 10_000.0)
    if "nom" not in out.columns:
        out = out.assign(nom=codes.to_numpy())
    return out


def prepare_membership(membership: Any) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Accept a read_membership result, another frame, or a path."""
    if not isinstance(membership, pd.DataFrame):
        membership = read_membership(membership)
    elif membership.index.name != "code" or "levels" not in membership.attrs:
        if membership.index.name == "code":
            levels = [lv for lv in LEVELS if lv in membership.columns] + [
                c
                for c in membership.columns
                if c not in LEVELS and f"{c}_nom" in membership.columns
            ]
            membership = membership.copy()
            membership.attrs["levels"] = tuple(levels)
        else:
            membership = read_membership(membership)
    levels = tuple(membership.attrs["levels"])
    ordered = tuple(
        [lv for lv in LEVELS if lv in levels] + [lv for lv in levels if lv not in LEVELS]
    )
    if membership.index.has_duplicates:
        dup = membership.index[membership.index.duplicated()].unique()
        raise MembershipError(
            f"{membership.attrs.get('source', 'membership table')}: communes listed more "
            f"than once: {shorten(sorted(dup))}; read the table with read_membership, which "
            "merges exact duplicates and reports conflicts"
        )
    return membership, ordered


def coverage_problems(
    communes: gpd.GeoDataFrame,
    membership: pd.DataFrame,
    levels: tuple[str, ...],
    *,
    layer_source: str,
    membership_source: str,
) -> list[Problem]:
    problems: list[Problem] = []
    not_listed = communes.index.difference(membership.index)
    if len(not_listed):
        problems.append(
            Problem(
                membership_source,
                f"{len(not_listed)} commune(s) of the layer {layer_source} are missing: "
                f"{shorten(sorted(not_listed))}",
                fix="add them to the membership table, or use a layer and a table of the "
                "same COG vintage",
            )
        )
    not_mapped = membership.index.difference(communes.index)
    if len(not_mapped):
        problems.append(
            Problem(
                membership_source,
                f"{len(not_mapped)} commune(s) are absent from the layer {layer_source}: "
                f"{shorten(sorted(not_mapped))}",
                fix="drop them from the table, or use a layer and a table of the same COG vintage",
            )
        )
    shared = membership.index.intersection(communes.index)
    for level in levels:
        if level not in REQUIRED_LEVELS:
            continue
        gaps = membership.loc[shared, level].isna()
        if gaps.any():
            problems.append(
                Problem(
                    membership_source,
                    f"{int(gaps.sum())} commune(s) without {level}: "
                    f"{shorten(sorted(gaps.index[gaps.to_numpy()]))}",
                    column=level,
                    fix=f"every commune belongs to exactly one {level}; fill in its code",
                )
            )
    return problems


def build_assignment(
    communes: gpd.GeoDataFrame, membership: pd.DataFrame, levels: tuple[str, ...]
) -> tuple[pd.DataFrame, dict[str, pd.Series]]:
    """Commune → territory table (pseudo-territories filled) and names per level."""
    assign = pd.DataFrame(index=communes.index)
    names: dict[str, pd.Series] = {}
    for level in levels:
        codes = membership[level].astype("str")
        outside = codes.isna()
        codes = codes.where(~outside, outside_code(level))
        assign[level] = codes.to_numpy()
        name_col = f"{level}_nom"
        if name_col in membership.columns:
            raw = membership[name_col].astype("str")
            first = raw.groupby(codes.to_numpy(), sort=True).first()
        else:
            first = pd.Series(dtype="str")
        index = pd.Index(sorted(codes.unique()), name="code", dtype="str")
        level_names = first.reindex(index)
        level_names = level_names.where(level_names.notna(), index.to_series(index=index))
        if outside.any():
            level_names[outside_code(level)] = outside_name(level)
        names[level] = level_names.astype("str").rename("nom")
    assign = assign.astype("str") if levels else assign
    return assign, names


def value_frame(values: pd.Series | pd.DataFrame) -> pd.DataFrame:
    """Values as a float64 frame indexed by normalised commune codes."""
    if isinstance(values, pd.Series):
        frame = values.to_frame(values.name if values.name is not None else "value")
    elif isinstance(values, pd.DataFrame):
        frame = values
    else:
        raise DataError(
            f"values must be a pandas Series or DataFrame indexed by commune code "
            f"(got {type(values).__name__})"
        )
    if isinstance(frame, gpd.GeoDataFrame):
        frame = pd.DataFrame(frame.drop(columns=frame.geometry.name))
    bad = [
        str(c)
        for c in frame.columns
        if not (pd.api.types.is_numeric_dtype(frame[c]) or pd.api.types.is_bool_dtype(frame[c]))
    ]
    if bad:
        raise SchemaError(
            f"values: column(s) {', '.join(map(repr, bad))} are not numeric; "
            "select the numeric columns to aggregate"
        )
    if pd.api.types.is_string_dtype(frame.index.dtype):
        index = pd.Index(frame.index, name="code", dtype="str")
    else:  # numeric codes lost their leading zero: 2001 → "02001"
        index = pd.Index(commune_codes(pd.Series(frame.index)).to_numpy(), name="code")
    dup = index[index.duplicated()].unique()
    if len(dup):
        raise DataError(
            f"values: commune codes listed more than once: {shorten(sorted(map(str, dup)))}; "
            "sum them first (values.groupby(level=0).sum())"
        )
    out = frame.astype("float64").set_axis(index)
    if out.columns.has_duplicates:
        raise SchemaError("values: duplicate column names; rename them")
    return out
