"""Receiving territories as a first-class level of :class:`zan.Territories`.

A SRADDET shares its envelope among receiving territories (DOMAIN.md §1: in
Hauts-de-France 40 SCoT, one custom SCoT and 5 EPCI) that no administrative table
describes. :func:`add_level` adds such a level, read by
:func:`zan.io.levels.read_level_table`, to a :class:`~zan.Territories`: assignment,
names, aggregation and geometries (dissolved from the communes) then work on it as on
EPCI or SCoT, in ``zan consumption --by <level>`` and in scenarios (``[data.levels]``).

Communes outside every territory of the level are never dropped silently: they form
the group ``hors_<level>``, named after :attr:`~zan.io.levels.LevelTable.outside_name`
("Hors territoires de réception"), and :func:`unassigned_communes` lists them
(:func:`membership_with_level` does the same for a membership table without geometry). A
scenario that allocates at such a level leaves them out of the allocation and lists
them in :attr:`zan.Allocation.unassigned` (``zan allocate`` writes
``communes_hors_territoires.csv``).
"""

from __future__ import annotations

import pandas as pd

from zan.errors import DataError
from zan.io.levels import LevelTable
from zan.territory import Territories

__all__ = [
    "add_level",
    "membership_with_level",
    "unassigned_communes",
    "level_notes",
    "outside_code",
    "UNASSIGNED_FILE",
]

_LIST = 8
#: File name of the communes outside every receiving territory, beside allocation.csv.
UNASSIGNED_FILE = "communes_hors_territoires.csv"


def outside_code(level: str) -> str:
    """Code of the group of communes outside every territory of ``level``.

    Examples
    --------
    >>> outside_code("sraddet")
    'hors_sraddet'
    """
    return f"hors_{level}"


def membership_with_level(
    membership: pd.DataFrame, table: LevelTable, communes: pd.Index | None = None
) -> pd.DataFrame:
    """A membership table with one more level, read from a :class:`LevelTable`.

    Parameters
    ----------
    membership : pandas.DataFrame
        From :func:`zan.io.territories.read_membership` (indexed by commune ``code``).
    table : LevelTable
    communes : pandas.Index, optional
        The communes of the run (default the membership's).

    Returns
    -------
    pandas.DataFrame
        A copy with the columns ``<level>`` and ``<level>_nom``: communes outside every
        territory get the code ``hors_<level>`` and the name ``table.outside_name``
        (never a missing value that a grouping would drop). ``attrs["levels"]`` gains
        the level; ``attrs["level_tables"][level]`` records the source, the communes of
        the table absent from ``communes`` and the territories without any commune
        (:func:`level_notes` words them).

    Raises
    ------
    DataError
        When the level already exists.

    Examples
    --------
    >>> import pandas as pd
    >>> from zan.io.levels import read_level_table
    >>> m = pd.DataFrame({"epci": ["E1", "E1", "E2"]}, index=pd.Index(["01001", "01002",
    ...     "01003"], name="code"))
    >>> lt = read_level_table(pd.DataFrame({"code": ["T1"], "nom": ["Nord"]}),
    ...     pd.DataFrame({"code_insee": ["01001", "01002"], "code": ["T1", "T1"]}), name="bassin")
    >>> membership_with_level(m, lt)["bassin"].tolist()
    ['T1', 'T1', 'hors_bassin']
    """
    name = table.name
    levels = tuple(membership.attrs.get("levels", ()))
    if name in membership.columns or name in levels:
        raise DataError(
            f"{table.source}: the territories already have a level {name!r}; give the added "
            "level another name"
        )
    index = membership.index if communes is None else communes
    assign = table.membership.reindex(index)
    inside = assign.notna().to_numpy()
    out = membership.copy()
    out[name] = assign.where(inside, outside_code(name)).reindex(out.index).to_numpy()
    names = assign.map(table.territories["nom"]).where(inside, table.outside_name)
    out[f"{name}_nom"] = names.reindex(out.index).to_numpy()
    present = set(assign.dropna())
    attrs = dict(membership.attrs)
    attrs["levels"] = (*levels, name)
    attrs["level_tables"] = {
        **attrs.get("level_tables", {}),
        name: {
            "source": table.source,
            "label": table.label,
            "territories": len(table.territories),
            "not_in_layer": list(table.membership.index.difference(index)),
            "empty_territories": [c for c in table.territories.index if c not in present],
        },
    }
    out.attrs = attrs
    return out


def add_level(territories: Territories, table: LevelTable) -> Territories:
    """A new :class:`~zan.Territories` with one more level, read from a :class:`LevelTable`.

    Assignment, names, aggregation and geometries (dissolved from the communes) work
    on it as on any level; the communes outside every territory form ``hors_<level>``
    (:func:`membership_with_level`), listed by :func:`unassigned_communes`.

    Parameters
    ----------
    territories : Territories
        Communes and their administrative levels.
    table : LevelTable
        From :func:`zan.io.levels.read_level_table`.

    Returns
    -------
    Territories
        With the level ``table.name`` after the others.

    Raises
    ------
    DataError
        When the level already exists.

    Examples
    --------
    >>> import pandas as pd
    >>> from zan.io.levels import read_level_table
    >>> t = Territories.demo()
    >>> codes = t.communes.index
    >>> table = read_level_table(
    ...     pd.DataFrame({"code": ["T1", "T2"], "nom": ["Nord", "Sud"]}),
    ...     pd.DataFrame({"code_insee": codes[:10], "code": ["T1"] * 5 + ["T2"] * 5}),
    ...     name="bassin",
    ... )
    >>> t2 = add_level(t, table)
    >>> t2.names("bassin").to_dict()
    {'T1': 'Nord', 'T2': 'Sud', 'hors_bassin': 'Hors territoires de réception'}
    >>> len(unassigned_communes(t2, "bassin")) == len(codes) - 10
    True
    """
    if table.name in territories.levels:
        raise DataError(
            f"{table.source}: the territories already have a level {table.name!r}; give the "
            "added level another name"
        )
    membership = membership_with_level(territories.membership, table, territories.communes.index)
    return Territories(territories.communes, membership, source=territories.source)


def unassigned_communes(territories: Territories, level: str) -> pd.DataFrame:
    """The communes outside every territory of ``level`` (group ``hors_<level>``).

    Parameters
    ----------
    territories : Territories
    level : str
        A level of ``territories`` other than ``commune``.

    Returns
    -------
    pandas.DataFrame
        Indexed by commune ``code`` (sorted): ``nom``, then the code and name of each
        administrative level present (``epci``, ``epci_nom``, ``departement``...).
        Empty when every commune belongs to a territory.

    Examples
    --------
    >>> unassigned_communes(Territories.demo(), "epci").empty
    True
    """
    assign = territories.assignment(level)
    codes = assign.index[assign.to_numpy() == outside_code(level)].sort_values()
    out = pd.DataFrame({"nom": territories.communes["nom"].reindex(codes)}, index=codes)
    for lv in ("epci", "scot", "departement"):
        if lv in territories.levels and lv != level:
            out[lv] = territories.assignment(lv).reindex(codes)
            out[f"{lv}_nom"] = out[lv].map(territories.names(lv))
    out.index.name = "code"
    return out


def level_notes(territories: Territories, level: str) -> list[str]:
    """Notes (French) on an added level: communes outside it, table rows left aside.

    Examples
    --------
    >>> level_notes(Territories.demo(), "epci")
    []
    """
    notes = []
    n_out = len(unassigned_communes(territories, level)) if level != "commune" else 0
    info = territories.membership.attrs.get("level_tables", {}).get(level)
    if info is None:
        return notes
    if n_out:
        notes.append(
            f"{n_out} commune(s) hors de tout territoire du niveau {level!r} "
            f"({info['label']}) : listées à part, sans enveloppe de territoire"
        )
    if info["not_in_layer"]:
        codes = info["not_in_layer"]
        notes.append(
            f"{len(codes)} commune(s) de la table du niveau {level!r} absentes de la couche "
            f"des communes, laissées de côté (ex. {', '.join(codes[:_LIST])})"
        )
    if info["empty_territories"]:
        codes = info["empty_territories"]
        notes.append(
            f"{len(codes)} territoire(s) du niveau {level!r} sans commune dans la couche "
            f"(ex. {', '.join(codes[:_LIST])})"
        )
    return notes
