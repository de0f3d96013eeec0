"""Committed projects: footprint, ENAF area, and their life (planned → realised or abandoned).

A project is committed on a territory's account by cadastral references or by a
polygon. Its ENAF area is measured, not declared: the part of its footprint that
OCS GE classifies as *not artificialised* (décret n° 2023-1096, DOMAIN.md §2),
through :func:`zan.measure.parcels.parcel_landcover` (for parcels, the same
figure :func:`zan.measure.parcels.lookup_parcels` gives). A figure may still be
declared (``enaf_ha``) when no land cover is at hand; the entry says so.

While planned, the ENAF area is *committed* (it lowers the remaining balance).
When realised or abandoned, the commitment is released: a realised project's
consumption reaches the ledger through the Cerema vintage that measures it, so it
is never counted twice. The footprint is stored in the GeoPackage layer
``projects`` (QGIS shows it, with its status in ``project_status``).

A project must lie in its territory. Parcels are checked by their commune (the
commune assignment stored with the ledger). A polygon is checked against the
territory's boundary stored in the ledger (layer ``territories``, Lambert-93):
the part of the footprint outside it may not exceed :data:`OUTSIDE_TOLERANCE_M2`
or :data:`OUTSIDE_TOLERANCE_SHARE` of the footprint, whichever is larger (the
cadastre, OCS GE and the commune boundaries are not digitised alike); beyond,
the project is refused and the territories it spills into are named. A ledger
created without geometries (``assignment=`` only) cannot check it, and warns.
"""

from __future__ import annotations

import os
import sqlite3
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import shapely

from ..errors import DataError, GeometryError, LedgerError
from . import store
from .accounts import author_name, clean_text
from .entries import M2_PER_HA, append_entries, next_operation, parse_date, to_m2
from .verify import check_invariants

if TYPE_CHECKING:  # pragma: no cover
    from .book import Book

__all__ = [
    "OUTSIDE_TOLERANCE_M2",
    "OUTSIDE_TOLERANCE_SHARE",
    "ProjectMeasure",
    "measure_project",
    "add_project",
    "realise_project",
    "abandon_project",
    "close_project",
    "project_actions",
    "projects",
]


#: Area of a polygon project that may lie outside its territory, in m² (digitising noise).
OUTSIDE_TOLERANCE_M2 = 1.0
#: Share of a polygon project's footprint that may lie outside its territory (0.1 %):
#: boundaries of the cadastre, OCS GE and ADMIN EXPRESS differ by a metre or two.
OUTSIDE_TOLERANCE_SHARE = 0.001


@dataclass(frozen=True)
class ProjectMeasure:
    """A project's footprint and ENAF area.

    Attributes
    ----------
    enaf_m2 : int
        ENAF area (whole m²).
    area_m2 : float
        Area of the footprint (NaN when there is none).
    geometry : shapely geometry or None
        Footprint in Lambert-93.
    parcels : tuple of str
        Parcel ids (14 characters), when given by parcels.
    communes : tuple of str
        Communes of the parcels.
    method : str
        ``"parcels"``, ``"polygon"`` or ``"declared"``.
    landcover_source : str or None
        The land-cover file measured.
    """

    enaf_m2: int
    area_m2: float
    geometry: Any
    parcels: tuple[str, ...]
    communes: tuple[str, ...]
    method: str
    landcover_source: str | None


def _landcover(landcover: Any) -> Any:
    if isinstance(landcover, str | os.PathLike):
        from ..io.ocsge import read_ocsge

        return read_ocsge(landcover)
    return landcover


def _refs(parcels: str | Iterable[str]) -> list[str]:
    if isinstance(parcels, str):
        parcels = parcels.split(",")
    refs = [str(r).strip() for r in parcels if str(r).strip()]
    if not refs:
        raise DataError(
            "parcels: no cadastral reference given; write e.g. 99006000AB0012,99006000AB0013"
        )
    return refs


def _footprint(geometry: Any, crs: Any) -> Any:
    import geopandas as gpd

    if isinstance(geometry, str | os.PathLike):
        if not Path(geometry).is_file():
            raise DataError(f"{geometry}: no such file; give the project's polygon file")
        geometry = gpd.read_file(geometry)
    if isinstance(geometry, gpd.GeoDataFrame | gpd.GeoSeries):
        if geometry.crs is None:
            raise GeometryError("project geometry: no CRS; set it (e.g. EPSG:2154) before use")
        geoms = (
            geometry.to_crs(store.SRS_ID).geometry.to_numpy()
            if isinstance(geometry, gpd.GeoDataFrame)
            else geometry.to_crs(store.SRS_ID).to_numpy()
        )
    else:
        geoms = gpd.GeoSeries([geometry], crs=crs).to_crs(store.SRS_ID).to_numpy()
    geom = shapely.union_all(shapely.make_valid(np.asarray(geoms, dtype=object)))
    geom = shapely.get_parts(geom)
    geom = geom[np.isin(shapely.get_type_id(geom), [3, 6])]
    if len(geom) == 0 or shapely.area(shapely.union_all(geom)) <= 0:
        raise GeometryError(
            "project geometry: no polygon with an area; give the project's footprint"
        )
    return shapely.union_all(geom)


def measure_project(
    *,
    parcels: str | Sequence[str] | None = None,
    geometry: Any = None,
    cadastre: Any = None,
    landcover: Any = None,
    parcel_table: pd.DataFrame | None = None,
    enaf_ha: float | None = None,
    crs: Any = "EPSG:2154",
) -> ProjectMeasure:
    """Measure a project's ENAF area from its parcels or its polygon.

    Parameters
    ----------
    parcels : str or sequence of str, optional
        Cadastral references (``"59350000AB0123,59350000AB0124"`` or a list).
    geometry : path, GeoDataFrame, GeoSeries or shapely geometry, optional
        The project's polygon(s).
    cadastre : path(s) or GeoDataFrame, optional
        Etalab parcel files (:func:`zan.io.cadastre.read_parcels`) or parcels
        already read, holding the references.
    landcover : path, LandCover or GeoDataFrame, optional
        OCS GE (:func:`zan.io.ocsge.read_ocsge`), or a GeoDataFrame with a boolean
        ``artificialised`` column.
    parcel_table : pandas.DataFrame, optional
        Parcels already measured by :func:`zan.measure.parcels.parcel_landcover`
        (then ``cadastre`` and ``landcover`` are optional; ``cadastre`` still
        gives the footprint).
    enaf_ha : float, optional
        A declared ENAF area, when no land cover is given.
    crs : str, default "EPSG:2154"
        CRS of a bare shapely ``geometry``.

    Returns
    -------
    ProjectMeasure

    Raises
    ------
    DataError
        References not readable or not found, nothing to measure with, or both
        a measure and a declared area.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> lc = gpd.GeoDataFrame({"artificialised": [True, False]},
    ...     geometry=[box(0, 0, 50, 100), box(50, 0, 100, 100)], crs="EPSG:2154")
    >>> m = measure_project(geometry=box(40, 0, 60, 10), landcover=lc)
    >>> m.enaf_m2, m.area_m2, m.method
    (100, 200.0, 'polygon')
    """
    if (parcels is None) == (geometry is None):
        raise DataError(
            "project: give either parcels (cadastral references) or a geometry, not "
            f"{'both' if parcels is not None else 'neither'}"
        )
    measured = landcover is not None or parcel_table is not None
    if enaf_ha is not None and measured:
        raise DataError(
            "project: enaf_ha is a declared area and cannot be combined with a land cover to "
            "measure; drop one of them"
        )
    if enaf_ha is None and not measured:
        raise DataError(
            "project: nothing to measure the ENAF area with; pass landcover (--ocsge FILE) "
            "or declare it with enaf_ha (--enaf-ha)"
        )
    lc = _landcover(landcover)
    source = getattr(lc, "source", None) if lc is not None else None
    if parcels is not None:
        return _measure_parcels(_parcel_ids(parcels), cadastre, lc, parcel_table, enaf_ha, source)
    geom = _footprint(geometry, crs)
    if enaf_ha is not None:
        enaf = to_m2(enaf_ha, what="enaf_ha", allow_zero=True)
        return ProjectMeasure(enaf, float(geom.area), geom, (), (), "declared", None)
    if lc is None:
        raise DataError(
            "project: a polygon is measured on the land cover; pass landcover (--ocsge FILE)"
        )
    import geopandas as gpd

    from ..measure.parcels import parcel_landcover

    frame = gpd.GeoDataFrame(
        {"commune": [""]}, geometry=[geom], crs=store.SRS_ID, index=pd.Index(["projet"], name="id")
    )
    enaf = int(round(float(parcel_landcover(frame, lc)["enaf_m2"].iloc[0])))
    return ProjectMeasure(enaf, float(geom.area), geom, (), (), "polygon", source)


def _parcel_ids(parcels: str | Iterable[str]) -> pd.Series:
    """Normalised, distinct parcel ids (a parcel given twice is counted once)."""
    from ..io.cadastre import normalize_parcel_refs

    refs = _refs(parcels)
    ids = normalize_parcel_refs(refs)
    if ids.isna().any():
        bad = [r for r, i in zip(refs, ids, strict=True) if pd.isna(i)]
        raise DataError(
            f"parcels: not cadastral references: {', '.join(map(repr, bad[:10]))} "
            "(expected e.g. 59350000AB0123)"
        )
    return ids.drop_duplicates()


def _measure_parcels(
    ids: pd.Series,
    cadastre: Any,
    lc: Any,
    parcel_table: pd.DataFrame | None,
    enaf_ha: float | None,
    source: str | None,
) -> ProjectMeasure:
    import geopandas as gpd

    from ..io.cadastre import read_parcels
    from ..measure.parcels import lookup_parcels, parcel_landcover

    wanted = ids.to_numpy()
    shapes = None
    if cadastre is not None:
        if not isinstance(cadastre, gpd.GeoDataFrame):
            communes = sorted({i[:5] for i in wanted})
            try:
                cadastre = read_parcels(cadastre, communes=communes)
            except DataError as exc:
                if "no parcel left" not in str(exc):
                    raise
                raise DataError(
                    f"parcel lookup: no parcel of communes {', '.join(communes)} in the cadastre "
                    f"given ({cadastre}); load those communes' parcel files"
                ) from None
        shapes = cadastre[cadastre.index.isin(wanted)]
    if parcel_table is None and lc is not None:
        if shapes is None:
            raise DataError(
                "project: parcels are measured on the land cover through their shapes; "
                "pass the cadastre (--cadastre FILE)"
            )
        parcel_table = (
            parcel_landcover(shapes, lc)
            if len(shapes)
            else pd.DataFrame(columns=["commune", "area_m2", "enaf_m2"])
        )
    geom = None
    if shapes is not None and len(shapes):
        geom = shapely.union_all(shapes.geometry.to_crs(store.SRS_ID).to_numpy())
    if parcel_table is not None:  # measured (lookup_parcels names the parcels not found)
        found = lookup_parcels(wanted, parcel_table)
        enaf = int(round(float(found["enaf_m2"].sum())))
        area = float(found["area_m2"].sum()) if "area_m2" in found else np.nan
        communes = tuple(sorted(set(found["commune"].astype(str))))
        method = "parcels"
    else:  # declared
        missing = sorted(set(wanted) - set(shapes.index)) if shapes is not None else []
        if missing:
            raise DataError(
                f"parcel lookup: not among the parcels read: {', '.join(missing[:10])}; "
                "check the references or load their commune's parcel file"
            )
        enaf = to_m2(enaf_ha, what="enaf_ha", allow_zero=True)
        area, communes, method, source = (
            np.nan,
            tuple(sorted({i[:5] for i in wanted})),
            "declared",
            None,
        )
    if geom is not None and np.isnan(area):
        area = float(geom.area)
    return ProjectMeasure(enaf, area, geom, tuple(wanted.tolist()), communes, method, source)


def add_project(
    ledger: Book,
    territory: str,
    *,
    label: str,
    parcels: str | Sequence[str] | None = None,
    geometry: Any = None,
    cadastre: Any = None,
    landcover: Any = None,
    parcel_table: pd.DataFrame | None = None,
    enaf_ha: float | None = None,
    justification: str = "",
    date: Any = None,
    period: str | None = None,
    author: str | None = None,
) -> int:
    """Commit a project on a territory's account; return its id.

    The ENAF area is measured first (:func:`measure_project`), outside the
    write; the footprint, the project and its ``project`` entry (action
    ``planned``, amount = ENAF area committed) are then written in one transaction.

    Parameters
    ----------
    ledger : Ledger
        The ledger.
    territory : str
        Account code of the territory (or of its garantie communale pool).
    label : str
        Name of the project.
    parcels, geometry, cadastre, landcover, parcel_table, enaf_ha
        See :func:`measure_project`.
    justification : str, optional
        E.g. the permit or deliberation.
    date : str or date, optional
        Date of the commitment (default today).
    period : str, optional
        Period (default: the allocated one holding the date).
    author : str, optional
        Who records it.

    Returns
    -------
    int
        The project id.

    Raises
    ------
    LedgerError
        Unknown territory, parcels in communes of another account, or a polygon
        lying outside the territory beyond the tolerance (more than 1 m² and
        more than 0.1 % of its footprint: :data:`OUTSIDE_TOLERANCE_M2`,
        :data:`OUTSIDE_TOLERANCE_SHARE`).
    DataError
        See :func:`measure_project`.

    Warns
    -----
    UserWarning
        A polygon project on a ledger that holds no boundary of the territory
        (created with ``assignment=`` only): it could not be checked.

    Examples
    --------
    >>> from zan.ledger import example_ledger
    >>> ledger = example_ledger()
    >>> pid = ledger.add_project("96", label="Lotissement des Prés", parcels="96001000AB0001",
    ...                          enaf_ha=1.2, justification="PA 096001 24 00003")
    >>> print(ledger.balance().loc["96", "committed_ha"])
    1.2
    """
    name = clean_text(label, "project label", required=True)
    when = parse_date(date)
    who = author_name(author)
    measure = measure_project(
        parcels=parcels,
        geometry=geometry,
        cadastre=cadastre,
        landcover=landcover,
        parcel_table=parcel_table,
        enaf_ha=enaf_ha,
    )
    blob = store.gpkg_blob([measure.geometry])[0]
    unchecked: list[str | None] = []

    def write(conn: sqlite3.Connection) -> int:
        code, kind = ledger.account(conn, territory, what="territory")
        if kind not in ("territoire", "garantie"):
            raise LedgerError(
                f"{ledger.source}: projects are committed on territories; "
                f"{code!r} is the {kind} account"
            )
        owner = conn.execute(
            "SELECT COALESCE(territory, code) FROM accounts WHERE code = ?", (code,)
        ).fetchone()[0]
        if measure.communes:
            marks = ", ".join("?" * len(measure.communes))
            rows = conn.execute(
                f"SELECT code, account FROM communes WHERE code IN ({marks})", measure.communes
            ).fetchall()
            where = dict(rows)
            wrong = [c for c in measure.communes if where.get(c) != owner]
            if wrong:
                shown = ", ".join(f"{c} ({where.get(c, 'not in the ledger')})" for c in wrong[:10])
                raise LedgerError(
                    f"{ledger.source}: parcels of project {name!r} lie in communes outside "
                    f"territory {owner!r}: {shown}; commit it on the right territory"
                )
        if not measure.parcels and measure.geometry is not None:
            unchecked[:] = [_check_inside(conn, ledger.source, name, owner, measure.geometry)]
        per, metric = ledger.period_for(conn, period, when)
        now = store.now_utc()
        cur = conn.execute(
            "INSERT INTO projects (geom, label, account, period, method, parcels, communes, "
            "area_m2, enaf_m2, landcover_source, recorded_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                blob,
                name,
                code,
                per,
                measure.method,
                ",".join(measure.parcels) or None,
                ",".join(measure.communes) or None,
                None if np.isnan(measure.area_m2) else measure.area_m2,
                measure.enaf_m2,
                measure.landcover_source,
                now,
            ),
        )
        fid = int(cur.lastrowid)
        how = {
            "parcels": "mesurée sur les parcelles",
            "polygon": "mesurée sur l'emprise",
            "declared": "déclarée",
        }[measure.method]
        append_entries(
            conn,
            {
                "operation": [next_operation(conn)],
                "effective_date": when,
                "period": per,
                "metric": metric,
                "kind": "project",
                "action": "planned",
                "account": code,
                "amount_m2": measure.enaf_m2,
                "project": fid,
                "label": f"Projet {fid} engagé : {name} (surface ENAF {how})",
                "author": who,
                "justification": clean_text(justification, "justification"),
                "source_file": measure.landcover_source,
            },
            recorded_at=now,
        )
        if blob is not None:
            store.update_extent(conn, "projects")
        check_invariants(conn, ledger.source)
        return fid

    fid = ledger.write(write)
    if unchecked and unchecked[0]:
        warnings.warn(unchecked[0], UserWarning, stacklevel=2)
    return fid


def _check_inside(
    conn: sqlite3.Connection, source: str, name: str, owner: str, geom: Any
) -> str | None:
    """Refuse a footprint lying outside its territory beyond the tolerance.

    Returns None when checked, or the warning to give when the ledger holds no
    boundary of the territory.

    Raises
    ------
    LedgerError
        Naming the project, the territory, the hectares outside and the
        territories (or the area outside every territory) they fall in.
    """
    row = conn.execute(
        "SELECT COALESCE(a.nom, t.nom), t.geom FROM territories t "
        "LEFT JOIN accounts a ON a.code = t.code WHERE t.code = ? AND t.geom IS NOT NULL",
        (owner,),
    ).fetchone()
    if row is None:
        return (
            f"{source}: the ledger holds no boundary of territory {owner!r}: the footprint of "
            f"project {name!r} was not checked to lie inside it (create the ledger with "
            "territories= to store the boundaries)"
        )
    territory = store.read_gpkg_blob([row[1]])[0]
    area = float(shapely.area(geom))
    outside = shapely.difference(geom, territory)
    out_m2 = float(shapely.area(outside))
    tolerance = max(OUTSIDE_TOLERANCE_M2, OUTSIDE_TOLERANCE_SHARE * area)
    if out_m2 <= tolerance:
        return None
    others = conn.execute(
        "SELECT t.code, COALESCE(a.nom, t.nom), t.geom FROM territories t "
        "LEFT JOIN accounts a ON a.code = t.code WHERE t.code != ? AND t.geom IS NOT NULL",
        (owner,),
    ).fetchall()
    parts = []
    if others:
        shapes = store.read_gpkg_blob([r[2] for r in others])
        shared = shapely.area(shapely.intersection(outside, shapes))
        order = np.argsort(-shared)
        parts = [
            f"{shared[i] / M2_PER_HA:,.4f} ha in {others[i][0]} ({others[i][1]})"
            for i in order
            if shared[i] > OUTSIDE_TOLERANCE_M2
        ]
        rest = out_m2 - float(shared.sum())
    else:
        rest = out_m2
    if rest > OUTSIDE_TOLERANCE_M2:
        parts.append(f"{rest / M2_PER_HA:,.4f} ha outside every territory of the ledger")
    raise LedgerError(
        f"{source}: project {name!r} lies partly outside territory {owner!r} ({row[0]}): "
        f"{out_m2 / M2_PER_HA:,.4f} ha of its {area / M2_PER_HA:,.4f} ha footprint lie outside "
        f"it: {', '.join(parts)} (tolerance {tolerance / M2_PER_HA:,.4f} ha: 1 m² or 0.1 % of the "
        "footprint); commit it on the territory that holds it, split it into one project "
        "per territory, or correct the footprint"
    )


def project_actions(conn: sqlite3.Connection, project: int) -> list[tuple[int, str]]:
    """(entry id, action) of a project's entries still in force, in order."""
    return [
        (int(r[0]), str(r[1]))
        for r in conn.execute(
            "SELECT e.id, e.action FROM entries e WHERE e.project = ? AND e.kind = 'project' "
            "AND e.reverses IS NULL "
            "AND NOT EXISTS (SELECT 1 FROM entries r WHERE r.reverses = e.id) "
            "ORDER BY e.id",
            (int(project),),
        )
    ]


def close_project(
    ledger: Book,
    project: int,
    *,
    action: str,
    justification: str = "",
    date: Any = None,
    author: str | None = None,
) -> int:
    """Mark a planned project ``realised`` or ``abandoned``: its commitment is released.

    Parameters
    ----------
    ledger : Ledger
        The ledger.
    project : int
        Project id.
    action : {"realised", "abandoned"}
        What happened.
    justification, date, author
        As in :func:`add_project`.

    Returns
    -------
    int
        Id of the entry written.

    Raises
    ------
    LedgerError
        Unknown project, or a project that is not planned.

    Examples
    --------
    >>> from zan.ledger import example_ledger
    >>> ledger = example_ledger()
    >>> pid = ledger.add_project("98", label="Zone", parcels="98001000AB0001", enaf_ha=1)
    >>> entry = close_project(ledger, pid, action="abandoned")
    >>> ledger.projects()["status"].tolist()
    ['abandoned']
    """
    if action not in ("realised", "abandoned"):
        raise DataError(f"project action {action!r} is unknown; use 'realised' or 'abandoned'")
    when = parse_date(date)
    who = author_name(author)

    def write(conn: sqlite3.Connection) -> int:
        row = conn.execute(
            "SELECT account, period, enaf_m2, label FROM projects WHERE fid = ?", (int(project),)
        ).fetchone()
        if row is None:
            raise LedgerError(
                f"{ledger.source}: no project {project!r}; zan ledger projects lists them"
            )
        actions = project_actions(conn, int(project))
        status = actions[-1][1] if actions else "cancelled"
        if status != "planned":
            raise LedgerError(
                f"{ledger.source}: project {project} is {status}, not planned; only a planned "
                "project can be realised or abandoned"
            )
        account, per, enaf_m2, name = row
        metric = conn.execute("SELECT metric FROM periods WHERE period = ?", (per,)).fetchone()[0]
        verb = "réalisé" if action == "realised" else "abandonné"
        first, _ = append_entries(
            conn,
            {
                "operation": [next_operation(conn)],
                "effective_date": when,
                "period": per,
                "metric": metric,
                "kind": "project",
                "action": action,
                "account": account,
                "amount_m2": -int(enaf_m2),
                "project": int(project),
                "label": f"Projet {project} {verb} : {name}",
                "author": who,
                "justification": clean_text(justification, "justification"),
            },
            recorded_at=store.now_utc(),
        )
        check_invariants(conn, ledger.source)
        return first

    return ledger.write(write)


def realise_project(
    ledger: Book,
    project: int,
    *,
    justification: str = "",
    date: Any = None,
    author: str | None = None,
) -> int:
    """Mark a planned project realised: its commitment is released.

    Its consumption reaches the ledger with the Cerema vintage that measures it.
    See :func:`close_project` for the parameters.

    Examples
    --------
    >>> from zan.ledger import example_ledger
    >>> ledger = example_ledger()
    >>> pid = ledger.add_project("96", label="ZA", parcels="96001000AB0001", enaf_ha=2,
    ...                          date="2024-03-01")
    >>> entry = ledger.realise_project(pid, date="2025-06-30", justification="DAACT")
    >>> ledger.projects().loc[pid, "status"]
    'realised'
    """
    return close_project(
        ledger, project, action="realised", justification=justification, date=date, author=author
    )


def abandon_project(
    ledger: Book,
    project: int,
    *,
    justification: str = "",
    date: Any = None,
    author: str | None = None,
) -> int:
    """Mark a planned project abandoned: its commitment is released.

    See :func:`close_project` for the parameters.

    Examples
    --------
    >>> from zan.ledger import example_ledger
    >>> ledger = example_ledger()
    >>> pid = ledger.add_project("96", label="ZA", parcels="96001000AB0001", enaf_ha=2)
    >>> entry = ledger.abandon_project(pid, justification="délibération de retrait")
    >>> print(ledger.balance().loc["96", "committed_ha"])
    0.0
    """
    return close_project(
        ledger, project, action="abandoned", justification=justification, date=date, author=author
    )


def projects(ledger: Book) -> pd.DataFrame:
    """Every project with its status (``planned``, ``realised``, ``abandoned``, ``cancelled``).

    Returns
    -------
    pandas.DataFrame
        Indexed by project ``id``: ``label``, ``account``, ``period``, ``method``,
        ``parcels``, ``communes``, ``area_ha``, ``enaf_ha``, ``status``.

    Examples
    --------
    >>> from zan.ledger import example_ledger
    >>> ledger = example_ledger()
    >>> pid = ledger.add_project("98", label="Zone", parcels="98001000AB0001", enaf_ha=1)
    >>> ledger.projects()[["label", "account", "enaf_ha", "status"]].values.tolist()
    [['Zone', '98', 1.0, 'planned']]
    """
    df = pd.read_sql_query(
        "SELECT p.fid AS id, p.label, p.account, p.period, p.method, p.parcels, p.communes, "
        "p.area_m2, p.enaf_m2, s.status FROM projects p JOIN project_status s ON s.fid = p.fid "
        "ORDER BY p.fid",
        ledger.connection,
    ).set_index("id")
    df["area_ha"] = df.pop("area_m2") / M2_PER_HA
    df["enaf_ha"] = df.pop("enaf_m2") / M2_PER_HA
    return df[
        [
            "label",
            "account",
            "period",
            "method",
            "parcels",
            "communes",
            "area_ha",
            "enaf_ha",
            "status",
        ]
    ]
