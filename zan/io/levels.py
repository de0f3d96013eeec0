"""Territory levels that are not administrative, read from a territory table and a membership table.

A SRADDET territorialises its envelope among *receiving territories* that are neither
EPCI nor SCoT as the administrative tables know them: SCoT perimeters, custom SCoT,
EPCI not covered by a SCoT, mixed (DOMAIN.md §1, "Hauts-de-France's adopted
territorialisation": 40 SCoT, the custom SCoT du Pays du Saint-Quentinois and 5 EPCI).
Such a level is described by two tables:

- a **territory table**, one row per territory: its code, its name and any attribute
  (e.g. the SRADDET's reduction rate);
- a **membership table**, one row per commune: its INSEE code and its territory's code.

:func:`read_level_table` reads and checks both and returns a :class:`LevelTable`;
:func:`zan.levels.add_level` adds it to a :class:`zan.Territories` as one more level.
Communes the membership table does not list are *outside every territory of the
level*: they are never dropped, and never put into a territory without saying so
(see :func:`zan.levels.unassigned_communes`).

The tables of the adopted Hauts-de-France SRADDET ship with zan
(``zan.datasets.region_path("hdf", ...)``, sources in ``data/regions/hdf/SOURCES.md``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

import pandas as pd

from zan.errors import MembershipError, SchemaError
from zan.io._files import find_column, read_table
from zan.io.territories import LEVELS, read_membership

__all__ = ["LevelTable", "read_level_table", "LEVEL_NAME_PATTERN"]

#: Allowed names of an added level (lower case, digits and ``_``; not a standard level).
LEVEL_NAME_PATTERN = r"^[a-z][a-z0-9_]*$"

_CODE_COLUMNS = ("territory_id", "code_territoire", "territoire", "id", "code")
_NAME_COLUMNS = ("nom", "name", "libelle", "nom_territoire", "label")
_LIST = 10


@dataclass(frozen=True)
class LevelTable:
    """A non-administrative territory level: its territories and their communes.

    Attributes
    ----------
    name : str
        Level name (e.g. ``"sraddet"``), used as ``--by`` / ``allocation.level``.
    territories : pandas.DataFrame
        Indexed by territory ``code`` (str, sorted), with ``nom`` first, then the
        territory table's other columns (as text).
    membership : pandas.Series
        Commune INSEE ``code`` → territory code, for every commune the membership
        table assigns.
    label : str
        French label of the level, shown in outputs (e.g. "Territoires de réception").
    outside_name : str
        French name of the group of communes outside every territory.
    source : str
        The two files, for messages.
    """

    name: str
    territories: pd.DataFrame
    membership: pd.Series
    label: str
    outside_name: str
    source: str

    def __repr__(self) -> str:
        return (
            f"<LevelTable {self.name}: {len(self.territories)} territories, "
            f"{len(self.membership)} communes ({self.source})>"
        )


def _check_name(name: str) -> None:
    if not isinstance(name, str) or not re.fullmatch(LEVEL_NAME_PATTERN, name):
        raise SchemaError(
            f"level name {name!r} is not valid; use lower-case letters, digits and '_' "
            "(e.g. 'sraddet')"
        )
    if name in ("commune", "cascade", *LEVELS):
        raise SchemaError(
            f"level name {name!r} is already a standard level; choose another name "
            "(e.g. 'sraddet')"
        )


def read_level_table(
    territories: str | os.PathLike[str] | pd.DataFrame,
    membership: str | os.PathLike[str] | pd.DataFrame,
    *,
    name: str,
    code_column: str | None = None,
    name_column: str | None = None,
    commune_column: str | None = None,
    territory_column: str | None = None,
    label: str | None = None,
    outside_name: str | None = None,
) -> LevelTable:
    """Read a non-administrative level (receiving territories) from its two tables.

    Parameters
    ----------
    territories : path or DataFrame
        Territory table: one row per territory.
    membership : path or DataFrame
        Commune → territory table: one row per commune of a territory.
    name : str
        Name of the level (lower case, e.g. ``"sraddet"``); not a standard level.
    code_column : str, optional
        Territory code column of the territory table; detected among
        ``territory_id``, ``code_territoire``, ``territoire``, ``id``, ``code``.
    name_column : str, optional
        Name column of the territory table; detected among ``nom``, ``name``,
        ``libelle``, ``nom_territoire``, ``label`` (else the codes are the names).
    commune_column : str, optional
        Commune INSEE code column of the membership table (detected as in
        :func:`~zan.io.territories.read_membership`).
    territory_column : str, optional
        Territory code column of the membership table; default the territory
        table's code column.
    label : str, optional
        French label of the level (default "Territoires de réception").
    outside_name : str, optional
        French name of the communes outside every territory (default
        "Hors territoires de réception").

    Returns
    -------
    LevelTable

    Raises
    ------
    SchemaError
        A missing column, a bad level name, a territory listed twice.
    MembershipError
        A commune listed with two territories, or membership codes absent from the
        territory table: every problem at once, with the rows.

    Examples
    --------
    >>> from zan.datasets import region_path
    >>> lt = read_level_table(
    ...     region_path("hdf", "territoires_sraddet_hdf_2024.csv"),
    ...     region_path("hdf", "communes_territoires_sraddet_hdf_2024.csv"),
    ...     name="sraddet",
    ... )
    >>> len(lt.territories), len(lt.membership)
    (46, 3671)
    >>> lt.territories.loc["EPCI_240200592", ["nom", "reduction_pct"]].tolist()
    ['CC du Chemin des Dames', '82.20']
    """
    _check_name(name)
    if isinstance(territories, pd.DataFrame):
        t_src = str(territories.attrs.get("source", "territory table"))
        table = territories.reset_index(drop=territories.index.name is None).astype("str")
        table = table.where(territories.reset_index(drop=territories.index.name is None).notna())
    else:
        t_src = str(territories)
        table = read_table(territories, what="territory table")
    code_col = code_column or find_column(
        table, _CODE_COLUMNS, source=t_src, what="territory code", argument="code_column"
    )
    if code_col not in table.columns:
        raise SchemaError(
            f"{t_src}: column {code_col!r} (code_column) not found (columns: "
            f"{', '.join(map(str, table.columns))})"
        )
    if name_column is not None and name_column not in table.columns:
        raise SchemaError(
            f"{t_src}: column {name_column!r} (name_column) not found (columns: "
            f"{', '.join(map(str, table.columns))})"
        )
    name_col = name_column or find_column(
        table, _NAME_COLUMNS, source=t_src, what="territory name", required=False
    )
    codes = table[code_col].astype("str").str.strip()
    empty = table[code_col].isna() | (codes == "")
    if empty.any():
        rows = ", ".join(str(i + 2) for i in table.index[empty][:_LIST])
        raise SchemaError(
            f"{t_src}: column {code_col!r}: empty territory code on line(s) {rows}; "
            "give every territory a code"
        )
    dup = codes[codes.duplicated()].unique()
    if len(dup):
        raise SchemaError(
            f"{t_src}: column {code_col!r}: territories listed more than once: "
            f"{', '.join(map(str, dup[:_LIST]))}; keep one row per territory"
        )
    out = table.drop(columns=[c for c in (code_col, name_col) if c is not None])
    out.insert(0, "nom", table[name_col].astype("str").to_numpy() if name_col else codes)
    out.index = pd.Index(codes.to_numpy(), name="code", dtype="str")
    out = out.sort_index()

    m_src = (
        str(membership.attrs.get("source", "membership table"))
        if isinstance(membership, pd.DataFrame)
        else str(membership)
    )
    terr_col = territory_column or code_col
    member = read_membership(
        membership, code_column=commune_column, levels={name: terr_col}, source=m_src
    )
    assign = member[name].dropna().astype("str")
    unknown = sorted(set(assign) - set(out.index))
    if unknown:
        n = int(assign.isin(unknown).sum())
        raise MembershipError(
            f"{m_src}: column {terr_col!r}: {n} commune(s) belong to territories absent from "
            f"the territory table {t_src}: {', '.join(unknown[:_LIST])}; add them to the "
            "territory table, or correct the codes"
        )
    return LevelTable(
        name=name,
        territories=out,
        membership=assign.rename(name),
        label=label or "Territoires de réception",
        outside_name=outside_name or "Hors territoires de réception",
        source=f"{t_src} + {m_src}",
    )
