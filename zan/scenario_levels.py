"""``[data.levels.<name>]``: levels a scenario adds from a territory and a membership table.

A receiving territory of a SRADDET (DOMAIN.md §1) is not an administrative level: a
scenario adds it by naming its two tables (:func:`zan.io.levels.read_level_table`)::

    [data.levels.sraddet]
    territories = "region:hdf/territoires_sraddet_hdf_2024.csv"
    membership = "region:hdf/communes_territoires_sraddet_hdf_2024.csv"
    # optional: code_column, name_column, commune_column, territory_column,
    #           label, outside_name

The level is then a level like ``epci`` (``allocation.level = "sraddet"``, in a
cascade, in reports). Communes outside every territory of the level are left out of
an allocation at that level and listed (:attr:`zan.Allocation.unassigned`): their
reference consumption still counts in the regional reference (when the envelope is
computed from it), but they get no territory envelope and no garantie communale floor
of a territory; what they would need stays at regional level.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field

from .errors import ScenarioError, ZanError
from .formatting import format_number
from .io.levels import LEVEL_NAME_PATTERN, read_level_table
from .io.territories import LEVELS
from .levels import (
    UNASSIGNED_FILE,
    add_level,
    level_notes,
    outside_code,
    unassigned_communes,
)

__all__ = [
    "LevelConfig",
    "check_level_names",
    "level_files",
    "add_scenario_levels",
    "split_unassigned",
    "envelope_comparison",
]

#: The keys of a level entry that name files (resolved like the other data paths).
FILE_KEYS = ("territories", "membership")


class LevelConfig(BaseModel):
    """``[data.levels.<name>]``: a level read from a territory table and a membership table."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    territories: str = Field(
        description="Territory table: one row per territory (code, name, attributes)."
    )
    membership: str = Field(description="Commune → territory table: one row per commune.")
    code_column: str | None = Field(
        None, description="Territory code column of the territory table (detected)."
    )
    name_column: str | None = Field(
        None, description="Name column of the territory table (detected)."
    )
    commune_column: str | None = Field(
        None, description="Commune INSEE code column of the membership table (detected)."
    )
    territory_column: str | None = Field(
        None, description="Territory code column of the membership table (default code_column)."
    )
    label: str | None = Field(
        None, description="French label of the level (default 'Territoires de réception')."
    )
    outside_name: str | None = Field(
        None,
        description="French name of the communes outside every territory "
        "(default 'Hors territoires de réception').",
    )


def check_level_names(levels: Mapping[str, Any] | None) -> None:
    """Raise ``ValueError`` (turned into a keyed scenario error) for a bad level name.

    Examples
    --------
    >>> check_level_names({"sraddet": None})
    >>> check_level_names({"epci": None})
    Traceback (most recent call last):
    ...
    ValueError: level 'epci' is a standard level; give the added level another name (e.g. 'sraddet')
    """
    for name in levels or {}:
        if not re.fullmatch(LEVEL_NAME_PATTERN, name):
            raise ValueError(
                f"level name {name!r} is not valid; use lower-case letters, digits and '_'"
            )
        if name in ("commune", "cascade", *LEVELS):
            raise ValueError(
                f"level {name!r} is a standard level; give the added level another name "
                "(e.g. 'sraddet')"
            )


def level_files(levels: Mapping[str, LevelConfig] | None) -> Iterator[tuple[str, str]]:
    """``(dotted key, value)`` of every file a scenario's added levels name.

    Examples
    --------
    >>> cfg = LevelConfig(territories="t.csv", membership="m.csv")
    >>> list(level_files({"sraddet": cfg}))
    [('data.levels.sraddet.territories', 't.csv'), ('data.levels.sraddet.membership', 'm.csv')]
    """
    for name, cfg in (levels or {}).items():
        for key in FILE_KEYS:
            yield f"data.levels.{name}.{key}", getattr(cfg, key)


def add_scenario_levels(
    territories: Any,
    levels: Mapping[str, LevelConfig] | None,
    *,
    resolve: Callable[[str, str], Path],
    source: str,
) -> Any:
    """Add a scenario's ``[data.levels]`` to its territories.

    Parameters
    ----------
    territories : Territories
    levels : mapping of str to LevelConfig, or None
    resolve : callable
        ``resolve(value, key)`` → path (the scenario's path resolution).
    source : str
        The scenario, for messages.

    Returns
    -------
    Territories

    Raises
    ------
    ScenarioError
        Naming the key (``data.levels.<name>``) and the problem in the tables.
    """
    for name, cfg in (levels or {}).items():
        key = f"data.levels.{name}"
        paths = {k: resolve(getattr(cfg, k), f"{key}.{k}") for k in FILE_KEYS}
        try:
            table = read_level_table(
                paths["territories"],
                paths["membership"],
                name=name,
                code_column=cfg.code_column,
                name_column=cfg.name_column,
                commune_column=cfg.commune_column,
                territory_column=cfg.territory_column,
                label=cfg.label,
                outside_name=cfg.outside_name,
            )
            territories = add_level(territories, table)
        except ZanError as exc:
            raise ScenarioError(f"{source}: key {key!r}: {exc}") from exc
    return territories


def split_unassigned(
    communes: pd.DataFrame, territories: Any, levels: Sequence[str]
) -> tuple[pd.DataFrame, pd.DataFrame | None, list[str]]:
    """Set aside the communes outside every territory of the added levels allocated.

    Parameters
    ----------
    communes : pandas.DataFrame
        The scenario's commune table (level codes, ``reference_ha``...).
    territories : Territories
    levels : sequence of str
        The allocation's levels that were added by ``[data.levels]``.

    Returns
    -------
    (kept, unassigned, notes)
        ``kept``: the communes inside a territory of every such level; ``unassigned``
        (None when no level was added): the others, indexed by commune ``code``, with
        ``nom``, their administrative levels (:func:`zan.levels.unassigned_communes`),
        ``level`` (the level they are outside of) and ``reference_ha``; ``notes``:
        French remarks (:func:`zan.levels.level_notes`).
    """
    if not levels:
        return communes, None, []
    out = np.zeros(len(communes), dtype=bool)
    frames, notes = [], []
    for lv in levels:
        mask = communes[lv].astype(str).to_numpy() == outside_code(lv)
        out |= mask
        listed = unassigned_communes(territories, lv).reindex(communes.index[mask])
        listed.insert(len(listed.columns), "level", lv)
        frames.append(listed)
        notes += level_notes(territories, lv)
    unassigned = pd.concat(frames) if frames else pd.DataFrame()
    unassigned = unassigned[~unassigned.index.duplicated()].sort_index()
    unassigned["reference_ha"] = communes["reference_ha"].reindex(unassigned.index)
    unassigned.index.name = "code"
    return communes[~out], unassigned, notes


def envelope_comparison(alloc: Any) -> str:
    """The regional envelope and the sum of the territories' envelopes, side by side (French).

    Parameters
    ----------
    alloc : Allocation

    Returns
    -------
    str

    Examples
    --------
    >>> import pandas as pd
    >>> from zan.allocate import allocate
    >>> from zan.rules import Criterion
    >>> t = pd.DataFrame({"reference_ha": [10.0, 20.0]}, index=["a", "b"])
    >>> a = allocate(t, 20.0, criteria=[Criterion("fixed_rates", params={"rates": {"a": 0.5,
    ...     "b": 0.5}})], scale_targets=False)
    >>> print(envelope_comparison(a))
    Enveloppe régionale : 20,00 ha ; somme des enveloppes des 2 territoires : 15,00 ha (75,0 %) ; 5,00 ha restent au niveau régional.
    """
    tot = alloc.totals
    regional = tot["envelope_ha"]
    top = alloc.tables[alloc.levels[0]]
    summed = float(top["envelope_ha"].sum())
    pct = f" ({format_number(100.0 * summed / regional, 1)} %)" if regional > 0 else ""
    text = (
        f"Enveloppe régionale : {format_number(regional, 2)} ha ; somme des enveloppes des {len(top)} "
        f"territoires : {format_number(summed, 2)} ha{pct} ; {format_number(regional - summed, 2)} ha restent au "
        "niveau régional."
    )
    unassigned = getattr(alloc, "unassigned", None)
    if unassigned is not None and len(unassigned):
        ref = pd.to_numeric(unassigned["reference_ha"], errors="coerce")
        ref_txt = (
            f", consommation de référence {format_number(float(ref.sum()), 2)} ha" if ref.notna().all() else ""
        )
        text += (
            f" {len(unassigned)} commune(s) hors de tout territoire{ref_txt}, sans enveloppe "
            f"de territoire (liste : {UNASSIGNED_FILE})."
        )
    return text
