"""Artificialisation measured on IGN OCS GE, per commune, EPCI, SCoT...

From 2031 the ZAN law counts net *artificialisation* (DOMAIN.md §1), measured on
OCS GE land cover with the nomenclature of décret n° 2023-1096 (annex to art.
R.101-1 of the code de l'urbanisme, DOMAIN.md §2):

1. each polygon gets a status from its couverture × usage pair through a
   configurable matrix (:func:`zan.nomenclature.read_matrix`; the State tool's
   matrix by default, DOMAIN.md §3);
2. the reference thresholds are applied (:class:`Thresholds`): built surfaces
   count from 50 m²; other patches under 2,500 m² take the status of what
   surrounds them, as the State's tool does; linear infrastructure counts from
   5 m wide;
3. or, when the layer is IGN's "artificialisation" product, IGN's own ``artif``
   flag is used as it is;
4. optional exemptions (public parks over 2,500 m², ground-mounted solar
   panels) are switches.

Measurements are exact polygon intersections with the territories, computed
once per (polygon, territory) pair: pairs where the territory contains the
polygon are counted whole (a prepared containment test), and only the pairs on
a boundary are intersected. Areas are summed in m² and turned into hectares at
the end; every table conserves area (the territories add up to the measured
total) and reports the area the layer does not cover.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from ..errors import CRSError, DataError
from ..io.ocsge import LandCover, LandCoverDifference
from ..nomenclature import classify_pairs

__all__ = [
    "Thresholds",
    "ArtificialisationStock",
    "ArtificialisationChange",
    "classify",
    "artificialisation_stock",
    "artificialisation_change",
    "artificialisation_from_difference",
    "intersection_areas",
    "intersection_pieces",
]

_M2_PER_HA = 10_000.0

#: Labels of the ``method`` column (French: shown in exported tables).
METHOD_LABELS = {
    "matrix": "matrice couverture × usage et seuils (décret 2023-1096)",
    "matrix_no_thresholds": "matrice couverture × usage, sans seuils",
    "ign_flag": "champ artif de l'IGN",
    "couverture_only": "ESTIMATION couverture seule (usage inconnu)",
}


@dataclass(frozen=True)
class Thresholds:
    """Reference thresholds of décret n° 2023-1096 (DOMAIN.md §2).

    Parameters
    ----------
    built_m2 : float, default 50
        Built surfaces (``built_couvertures``) count as artificialised from this
        footprint, whatever surrounds them.
    patch_m2 : float, default 2500
        Other patches (connected polygons of one status) smaller than this take
        the status of the larger patches around them.
    linear_width_m : float, default 5
        Linear infrastructure (``linear_usages``) counts from this width; a
        narrower strip takes the status of what borders it (longest shared
        boundary).
    built_couvertures : tuple of str, default ("CS1.1.1.1",)
        Couverture codes of buildings.
    linear_usages : tuple of str, default US4.1.1-US4.1.5
        Usage codes of linear transport infrastructure.

    Notes
    -----
    The width of a polygon is that of the rectangle with the same area and
    perimeter, ``(P - sqrt(P² - 16 A)) / 4``: exact for a straight strip, an
    average width otherwise.

    Examples
    --------
    >>> Thresholds().patch_m2
    2500.0
    """

    built_m2: float = 50.0
    patch_m2: float = 2500.0
    linear_width_m: float = 5.0
    built_couvertures: tuple[str, ...] = ("CS1.1.1.1",)
    linear_usages: tuple[str, ...] = ("US4.1.1", "US4.1.2", "US4.1.3", "US4.1.4", "US4.1.5")


# ---------------------------------------------------------------------- intersection engine


def _geom_array(obj: Any) -> np.ndarray:
    if isinstance(obj, gpd.GeoDataFrame):
        obj = obj.geometry
    if isinstance(obj, gpd.GeoSeries):
        return np.asarray(obj.array, dtype=object)
    return np.asarray(obj, dtype=object)


def _pairs(
    left: np.ndarray, right: np.ndarray, big: str | None = None
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Intersecting pairs (left pos, right pos), sorted, and whether left is the 'big' side."""
    if len(left) == 0 or len(right) == 0:
        return np.empty(0, np.intp), np.empty(0, np.intp), False
    if big is None:
        la = np.nan_to_num(shapely.area(left))
        ra = np.nan_to_num(shapely.area(right))
        left_big = bool(np.median(la) > np.median(ra))
    elif big in ("left", "right"):
        left_big = big == "left"
    else:
        raise DataError(f"intersection_areas: big={big!r} is unknown; use 'left', 'right' or None")
    big, small = (left, right) if left_big else (right, left)
    tree = shapely.STRtree(small)
    bi, si = tree.query(big, predicate="intersects")
    li, ri = (bi, si) if left_big else (si, bi)
    order = np.lexsort((ri, li))
    return li[order], ri[order], left_big


def _chunks(n: int, size: int, progress: bool, desc: str):
    from tqdm.auto import tqdm

    starts = range(0, n, size)
    return tqdm(
        starts, total=len(starts), desc=desc, unit="chunk", disable=not progress, leave=False
    )


def _safe_intersection(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    try:
        return shapely.intersection(a, b)
    except shapely.errors.GEOSException:
        return shapely.intersection(shapely.make_valid(a), shapely.make_valid(b))


def _run(
    left: np.ndarray,
    right: np.ndarray,
    want: str,
    progress: bool,
    chunk_size: int,
    desc: str,
    big_side: str | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    li, ri, left_big = _pairs(left, right, big_side)
    n = len(li)
    big, small = (left, right) if left_big else (right, left)
    bi, si = (li, ri) if left_big else (ri, li)
    out = np.empty(n, dtype=float if want == "area" else object)
    if n == 0:
        return li, ri, out
    small_area = shapely.area(small) if want == "area" else None
    used = np.unique(bi)
    was_prepared = shapely.is_prepared(big[used])
    shapely.prepare(big[used])
    try:
        for start in _chunks(n, chunk_size, progress, desc):
            sl = slice(start, start + chunk_size)
            b, s = big[bi[sl]], small[si[sl]]
            inside = shapely.contains(b, s)
            edge = ~inside
            if want == "area":
                res = small_area[si[sl]].copy()
                res[edge] = shapely.area(_safe_intersection(b[edge], s[edge]))
            else:
                res = s.copy()
                res[edge] = _safe_intersection(b[edge], s[edge])
            out[sl] = res
    finally:
        shapely.destroy_prepared(big[used][~was_prepared])
    return li, ri, out


def intersection_areas(
    left: Any,
    right: Any,
    *,
    progress: bool = False,
    chunk_size: int = 200_000,
    big: str | None = None,
) -> pd.DataFrame:
    """Areas of the intersections between two polygon layers, pair by pair.

    The side with the larger polygons (median area) is prepared and queried
    against an STR-tree of the other side; a pair where the large polygon
    contains the small one is counted with the small polygon's area, and only
    the other pairs (on a boundary) are intersected. No Python loop runs over
    the rows: work is done in vectorised chunks of ``chunk_size`` pairs.

    Parameters
    ----------
    left, right : GeoDataFrame, GeoSeries or array of shapely geometries
        Polygons in the same projected CRS (not checked here).
    progress : bool, default False
        Show a tqdm progress bar.
    chunk_size : int, default 200,000
        Pairs per vectorised step (memory bound).
    big : {"left", "right"}, optional
        The side whose polygons are larger (prepared and tested for
        containment); by default the side with the larger median area.

    Returns
    -------
    pandas.DataFrame
        ``left`` and ``right`` (integer positions), ``area_m2``; sorted by
        ``(left, right)``; pairs that only touch have area 0.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> zones = [box(0, 0, 100, 100), box(100, 0, 200, 100)]
    >>> parcels = [box(10, 10, 20, 20), box(90, 0, 110, 10)]
    >>> intersection_areas(parcels, zones).to_dict("list")
    {'left': [0, 1, 1], 'right': [0, 0, 1], 'area_m2': [100.0, 100.0, 100.0]}
    """
    li, ri, area = _run(
        _geom_array(left), _geom_array(right), "area", progress, chunk_size, "intersections"
    )
    return pd.DataFrame({"left": li.astype("int64"), "right": ri.astype("int64"), "area_m2": area})


def intersection_pieces(
    left: Any,
    right: Any,
    *,
    progress: bool = False,
    chunk_size: int = 200_000,
) -> gpd.GeoDataFrame:
    """Geometries of the intersections between two polygon layers, pair by pair.

    Same method as :func:`intersection_areas` (contained pairs are not
    intersected: the contained polygon is the piece).

    Parameters
    ----------
    left, right : GeoDataFrame, GeoSeries or array of shapely geometries
        Polygons in the same projected CRS; the result takes ``left``'s CRS when
        it has one.
    progress : bool, default False
        Show a tqdm progress bar.
    chunk_size : int, default 200,000
        Pairs per vectorised step.

    Returns
    -------
    geopandas.GeoDataFrame
        ``left``, ``right`` (positions) and the piece ``geometry``; pieces
        without area (touching pairs) are dropped.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> pieces = intersection_pieces([box(0, 0, 10, 10)], [box(5, 0, 20, 10)])
    >>> pieces.area.tolist()
    [50.0]
    """
    li, ri, geoms = _run(
        _geom_array(left), _geom_array(right), "geometry", progress, chunk_size, "pieces"
    )
    crs = getattr(left, "crs", None)
    gdf = gpd.GeoDataFrame(
        {"left": li.astype("int64"), "right": ri.astype("int64")}, geometry=geoms, crs=crs
    )
    keep = np.nan_to_num(shapely.area(geoms)) > 0 if len(geoms) else np.zeros(0, bool)
    gdf = gdf[keep]
    if len(gdf):
        parts = shapely.get_type_id(np.asarray(gdf.geometry.array, dtype=object))
        mixed = parts == 7
        if mixed.any():
            from ..io.ocsge import _polygonal

            arr = np.asarray(gdf.geometry.array, dtype=object).copy()
            arr[mixed] = _polygonal(arr[mixed])
            gdf = gdf.set_geometry(gpd.GeoSeries(arr, index=gdf.index, crs=crs))
    return gdf.reset_index(drop=True)


# ---------------------------------------------------------------------- zones


@dataclass(frozen=True)
class _Zones:
    """The zones measured (communes or plain zones) and how to regroup them."""

    gdf: gpd.GeoDataFrame
    level: str
    names: pd.Series  # territory code -> nom
    group: pd.Series  # zone code -> territory code
    notes: tuple[str, ...]

    def aggregate(self, frame: pd.DataFrame) -> pd.DataFrame:
        """Sum zone values (indexed by zone code) per territory; all territories kept."""
        keys = self.group.reindex(frame.index).to_numpy()
        out = frame.groupby(keys, sort=True).sum(min_count=0)
        out = out.reindex(self.names.index, fill_value=0.0)
        out.index.name = "code"
        out.insert(0, "nom", self.names.reindex(out.index).to_numpy())
        return out

    def regroup_long(self, frame: pd.DataFrame, keys: list[str], value: str) -> pd.DataFrame:
        """Sum a tidy frame with a zone ``code`` column per territory and keys."""
        frame = frame.assign(code=self.group.reindex(frame["code"]).to_numpy())
        out = frame.groupby(["code", *keys], sort=True, dropna=False)[value].sum().reset_index()
        return out


def _is_territories(obj: Any) -> bool:
    return hasattr(obj, "communes") and hasattr(obj, "assignment") and hasattr(obj, "aggregate")


def _prepare_zones(zones: Any, level: str | None, crs: Any, source: str = "zones") -> _Zones:
    """Accept a Territories (+ level) or a GeoDataFrame of zones indexed by code."""
    notes: list[str] = []
    if _is_territories(zones):
        level = level or "commune"
        base = zones.communes
        group = zones.assignment(level)
        names = zones.names(level)
        src = getattr(zones, "source", "territories")
    elif isinstance(zones, gpd.GeoDataFrame):
        base = zones
        src = zones.attrs.get("source", source)
        if len(base) == 0:
            raise DataError(f"{src}: no zone (0 rows); give at least one territory polygon")
        if base.index.has_duplicates:
            dup = base.index[base.index.duplicated()].unique()[:5]
            raise DataError(
                f"{src}: duplicate zone codes in the index ({', '.join(map(str, dup))}); "
                "index the zones by a unique territory code (set_index('code'))"
            )
        codes = pd.Index(base.index.astype("str"), name="code")
        base = base.set_axis(codes)
        if level is None or (level in ("commune", "zone") and level not in base.columns):
            level = level or "zone"
            group = pd.Series(codes.to_numpy(), index=codes)
            if "nom" in base.columns:
                names = base["nom"].astype("str")
            else:
                names = pd.Series(codes.to_numpy(), index=codes)
        elif level in base.columns:
            group = base[level].astype("str")
            nom_col = f"{level}_nom"
            if nom_col in base.columns:
                names = base.groupby(group.to_numpy())[nom_col].first().astype("str")
            else:
                uniq = sorted(group.unique())
                names = pd.Series(uniq, index=uniq)
        else:
            raise DataError(
                f"{src}: no column {level!r} to group the zones by (columns: "
                f"{', '.join(map(str, base.columns))}); pass level=None to measure each zone, "
                "or a Territories object"
            )
        names = names.sort_index()
        names.index.name = "code"
        names.name = "nom"
    else:
        raise DataError(
            f"zones must be a GeoDataFrame indexed by territory code or a zan.Territories "
            f"(got {type(zones).__name__}); read them with zan.read_communes"
        )
    if base.crs is None:
        raise CRSError(
            f"{src}: the zones have no CRS; set it with zones.set_crs('EPSG:2154') "
            "(or their true CRS)"
        )
    if CRS.from_user_input(base.crs) != CRS.from_user_input(crs):
        notes.append(
            f"{src}: zones reprojected from {base.crs.to_string()} to {CRS.from_user_input(crs).to_string()} "
            "(the land-cover layer's CRS) for the measurement"
        )
        base = base.to_crs(crs)
    gdf = gpd.GeoDataFrame(
        geometry=np.asarray(base.geometry.array, dtype=object), index=base.index, crs=base.crs
    )
    return _Zones(gdf=gdf, level=level, names=names, group=group, notes=tuple(notes))


def _zone_area(z: _Zones) -> pd.Series:
    return pd.Series(shapely.area(_geom_array(z.gdf)), index=z.gdf.index, dtype="float64")


def _empty_check(pairs: pd.DataFrame, layer: gpd.GeoDataFrame, z: _Zones, source: str) -> None:
    if len(pairs) == 0 or float(pairs["area_m2"].sum()) == 0.0:
        lb = tuple(round(v) for v in layer.total_bounds)
        zb = tuple(round(v) for v in z.gdf.total_bounds)
        raise DataError(
            f"{source}: no polygon intersects the territories (layer bounds {lb}, territory "
            f"bounds {zb}, {CRS.from_user_input(layer.crs).to_string()}); check that the layer "
            "covers these territories (right département, right CRS)"
        )


# ---------------------------------------------------------------------- classification


def _mask_hits(layer: gpd.GeoDataFrame, mask: Any, min_area: float | None, what: str) -> np.ndarray:
    """Polygons whose point-on-surface lies in the mask (a layer), or a boolean column."""
    if isinstance(mask, str):
        if mask not in layer.columns:
            raise DataError(
                f"{what}: no column {mask!r} in the land-cover layer (columns: "
                f"{', '.join(map(str, layer.columns))}); pass a polygon layer or an existing column"
            )
        return pd.Series(layer[mask]).fillna(False).astype(bool).to_numpy()
    if isinstance(mask, gpd.GeoDataFrame):
        mask = mask.geometry
    if not isinstance(mask, gpd.GeoSeries):
        raise DataError(
            f"{what}: expected a GeoDataFrame/GeoSeries of polygons or a column name "
            f"(got {type(mask).__name__})"
        )
    if mask.crs is None:
        raise DataError(f"{what}: the mask layer has no CRS; set it with set_crs(...)")
    mask = mask.to_crs(layer.crs)
    geoms = _geom_array(mask)
    if min_area is not None:
        geoms = geoms[np.nan_to_num(shapely.area(geoms)) > min_area]
    if len(geoms) == 0:
        return np.zeros(len(layer), dtype=bool)
    pts = shapely.point_on_surface(_geom_array(layer))
    idx, _ = shapely.STRtree(geoms).query(pts, predicate="within")
    hits = np.zeros(len(layer), dtype=bool)
    hits[idx] = True
    return hits


def _apply_thresholds(
    geoms: np.ndarray,
    status0: np.ndarray,
    code_cs: np.ndarray,
    code_us: np.ndarray,
    th: Thresholds,
) -> tuple[np.ndarray, np.ndarray]:
    """Apply the 50 m² / 2,500 m² / 5 m rules; return (status, rule labels)."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = len(geoms)
    rule = np.full(n, "matrix", dtype=object)
    if n == 0:
        return status0.copy(), rule
    area = shapely.area(geoms)
    perim = shapely.length(geoms)
    width = (perim - np.sqrt(np.maximum(perim**2 - 16.0 * area, 0.0))) / 4.0
    built = np.isin(code_cs, th.built_couvertures)
    linear = np.isin(code_us, th.linear_usages) & status0 & ~built
    narrow = linear & (width < th.linear_width_m)
    wide_linear = linear & ~narrow
    keep_built = built & (area >= th.built_m2)

    i, j = shapely.STRtree(geoms).query(geoms, predicate="intersects")
    upper = i < j
    i, j = i[upper], j[upper]
    if len(i):
        adjacent = shapely.relate_pattern(geoms[i], geoms[j], "****1****") | shapely.relate_pattern(
            geoms[i], geoms[j], "2********"
        )
        i, j = i[adjacent], j[adjacent]
    eligible = ~narrow
    same = (status0[i] == status0[j]) & eligible[i] & eligible[j]
    graph = coo_matrix((np.ones(int(same.sum())), (i[same], j[same])), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    comp_area = np.bincount(labels, weights=area)
    small = (comp_area[labels] < th.patch_m2) & eligible
    fixed = ~small | keep_built | wide_linear  # these keep their matrix status
    # A small patch takes the status of the large patches (or kept polygons) around it.
    vote = (labels[i] != labels[j]) & eligible[i] & eligible[j]
    ii, jj = i[vote], j[vote]
    a_side = np.concatenate([ii, jj])
    b_side = np.concatenate([jj, ii])
    voter_ok = fixed[b_side] & small[a_side]
    a_side, b_side = a_side[voter_ok], b_side[voter_ok]
    ncomp = labels.max() + 1
    votes_art = np.bincount(labels[a_side], weights=status0[b_side].astype(float), minlength=ncomp)
    votes_all = np.bincount(labels[a_side], minlength=ncomp).astype(float)
    # status of a component before thresholds: that of its members (one status per component)
    comp_status = np.bincount(labels, weights=status0.astype(float), minlength=ncomp) / np.bincount(
        labels, minlength=ncomp
    )
    has_voters = votes_all > 0
    new_comp = np.where(
        has_voters, votes_art / np.where(has_voters, votes_all, 1) >= 0.5, comp_status >= 0.5
    )
    status = status0.copy()
    flip_rows = small & ~fixed & has_voters[labels] & (new_comp[labels] != status0)
    status[flip_rows] = ~status0[flip_rows]
    rule[flip_rows] = "patch_2500m2"
    rule[small & keep_built & ~flip_rows] = "built_50m2"
    rule[small & wide_linear] = "linear_5m_wide"

    # Narrow linear strips: status of the longest shared boundary among non-narrow neighbours.
    nl = narrow[i] ^ narrow[j]
    if nl.any():
        strip = np.where(narrow[i[nl]], i[nl], j[nl])
        other = np.where(narrow[i[nl]], j[nl], i[nl])
        shared = shapely.length(
            shapely.intersection(shapely.boundary(geoms[strip]), shapely.boundary(geoms[other]))
        )
        art_len = np.bincount(strip, weights=shared * status[other], minlength=n)
        non_len = np.bincount(strip, weights=shared * ~status[other], minlength=n)
        decided = narrow & ((art_len > 0) | (non_len > 0))
        new = art_len > non_len
        change = decided & (new != status)
        status[decided] = new[decided]
        rule[change] = "linear_under_5m"
    return status, rule


def classify(
    landcover: LandCover,
    *,
    matrix: pd.DataFrame | None = None,
    thresholds: Thresholds | None = Thresholds(),
    exempt_parks: Any = None,
    exempt_solar: Any = None,
    use_ign_flag: bool = True,
) -> LandCover:
    """Classify each OCS GE polygon as artificialised or not (décret 2023-1096).

    Parameters
    ----------
    landcover : LandCover
        From :func:`zan.io.ocsge.read_ocsge`.
    matrix : pandas.DataFrame, optional
        Couverture × usage matrix (:func:`zan.nomenclature.read_matrix`); the
        State tool's by default.
    thresholds : Thresholds or None, default Thresholds()
        Reference thresholds; None applies the matrix alone.
    exempt_parks : GeoDataFrame, GeoSeries or str, optional
        Optional exemption of public parks and gardens over 2,500 m²: a layer of
        park polygons (those over 2,500 m² are used), or the name of a boolean
        column of the layer. Vegetated polygons (``CS2…``) inside are counted
        as not artificialised.
    exempt_solar : GeoDataFrame, GeoSeries or str, optional
        Optional exemption of ground-mounted solar panels that keep the soil's
        functions: a layer of solar-farm polygons or a boolean column; polygons
        inside are counted as not artificialised.
    use_ign_flag : bool, default True
        When the layer carries IGN's ``artif`` flag (artificialisation product),
        use it instead of the matrix and thresholds.

    Returns
    -------
    LandCover
        A copy whose layer has ``matrix_status`` (bool, the matrix alone),
        ``artificialised`` (bool, final), ``category`` (row of the décret's
        annex, Int64) and ``rule`` (why: ``matrix``, ``built_50m2``,
        ``patch_2500m2``, ``linear_5m_wide``, ``linear_under_5m``, ``ign_flag``,
        ``park_exemption``, ``solar_exemption``), and ``method`` set to
        ``"matrix"``, ``"ign_flag"`` or ``"couverture_only"`` (an estimate:
        without usage, each couverture takes its ``*`` rule).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> from zan.io.ocsge import landcover_from_frame
    >>> g = gpd.GeoDataFrame(
    ...     {"code_cs": ["CS2.2.1", "CS1.1.1.1"], "code_us": ["US1.1", "US1.1"]},
    ...     geometry=[box(0, 0, 200, 200), box(90, 90, 96, 96)], crs="EPSG:2154")
    >>> g.loc[0, "geometry"] = g.geometry[0].difference(g.geometry[1])
    >>> lc = classify(landcover_from_frame(g))
    >>> lc.layer[["matrix_status", "artificialised", "rule"]].values.tolist()
    [[False, False, 'matrix'], [True, False, 'patch_2500m2']]
    """
    layer = landcover.layer.copy()
    notes = list(landcover.notes)
    if thresholds is not None and not (landcover.has_ign_flag and use_ign_flag):
        multi = shapely.get_type_id(_geom_array(layer)) == 6
        if multi.any():
            n_before = len(layer)
            layer = layer.explode(index_parts=False).reset_index(drop=True)
            notes.append(
                f"{landcover.source}: {int(multi.sum())} multipolygon(s) split into "
                f"{len(layer) - (n_before - int(multi.sum()))} parts, each a patch for the thresholds"
            )
    cs = layer["code_cs"].astype("str")
    us = layer["code_us"].astype("str") if landcover.has_usage else None
    pairs = classify_pairs(cs, us, matrix=matrix)
    status0 = pairs["artificialise"].to_numpy(dtype=bool)
    layer["matrix_status"] = status0
    layer["category"] = pairs["categorie"].to_numpy()
    geoms = _geom_array(layer)
    if landcover.has_ign_flag and use_ign_flag:
        flag = layer["artif_ign"]
        if flag.isna().any():
            rows = np.flatnonzero(flag.isna().to_numpy())
            raise DataError(
                f"{landcover.source}: {len(rows)} polygon(s) without an artif value "
                f"(rows {', '.join(map(str, rows[:5]))}); fill them, or pass use_ign_flag=False "
                "to classify with the matrix"
            )
        status = flag.to_numpy(dtype=bool)
        rule = np.full(len(layer), "ign_flag", dtype=object)
        method = "ign_flag"
        notes.append(f"{landcover.source}: artificialisation from IGN's artif field")
    else:
        if thresholds is not None:
            us_arr = layer["code_us"].fillna("").to_numpy(dtype=object).astype(str)
            status, rule = _apply_thresholds(
                geoms, status0, cs.to_numpy(dtype=object).astype(str), us_arr, thresholds
            )
        else:
            status, rule = status0.copy(), np.full(len(layer), "matrix", dtype=object)
        method = "matrix" if landcover.has_usage else "couverture_only"
        if thresholds is None and landcover.has_usage:
            method = "matrix_no_thresholds"
        if not landcover.has_usage:
            notes.append(
                f"{landcover.source}: ESTIMATE from couverture only (usage unknown): each "
                "couverture takes its '*' rule, so herbaceous land in urban use counts as not "
                "artificialised and mineral land in quarries as artificialised"
            )
    if exempt_parks is not None:
        hit = _mask_hits(layer, exempt_parks, 2500.0, "exempt_parks")
        hit &= cs.str.startswith("CS2").to_numpy() & status
        status = status & ~hit
        rule[hit] = "park_exemption"
        notes.append(f"{landcover.source}: park exemption applied to {int(hit.sum())} polygon(s)")
    if exempt_solar is not None:
        hit = _mask_hits(layer, exempt_solar, None, "exempt_solar") & status
        status = status & ~hit
        rule[hit] = "solar_exemption"
        notes.append(f"{landcover.source}: solar exemption applied to {int(hit.sum())} polygon(s)")
    layer["artificialised"] = status
    layer["rule"] = pd.array(rule.astype(str), dtype="str")
    return dataclasses.replace(landcover, layer=layer, method=method, notes=tuple(notes))


# ---------------------------------------------------------------------- results


@dataclass(frozen=True)
class ArtificialisationStock:
    """Artificialised stock per territory for one vintage.

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed by territory ``code``: ``nom``, ``area_ha`` (the territory's
        surface), ``covered_ha`` (classified by the layer), ``uncovered_ha``,
        ``artificialised_ha``, ``not_artificialised_ha``, ``artificialised_pct``
        (of the surface), ``artificialised_pct_covered`` (of the covered area),
        ``method`` (French label; an estimate is flagged ``ESTIMATION``).
    by_class : pandas.DataFrame
        Tidy: ``code``, ``code_cs``, ``code_us``, ``artificialised``, ``area_ha``.
    level : str
        Territorial level.
    vintage : int or None
        Millésime.
    method : str
        ``"matrix"``, ``"matrix_no_thresholds"``, ``"ign_flag"`` or ``"couverture_only"``.
    notes : tuple of str
        Repairs, reprojections, estimates, area outside the territories.
    total_m2 : float
        Covered area measured inside the territories (sum of ``covered_ha`` in m²).
    outside_m2 : float
        Area of the layer outside every territory.
    """

    table: pd.DataFrame
    by_class: pd.DataFrame
    level: str
    vintage: int | None
    method: str
    notes: tuple[str, ...]
    total_m2: float
    outside_m2: float

    @property
    def is_estimate(self) -> bool:
        """True when usage was unknown (couverture-only estimate)."""
        return self.method == "couverture_only"

    def by_couverture(self, *, artificialised_only: bool = False) -> pd.DataFrame:
        """Area per couverture class (columns) and territory (rows), in ha."""
        return _pivot(self.by_class, "code_cs", artificialised_only)

    def by_usage(self, *, artificialised_only: bool = False) -> pd.DataFrame:
        """Area per usage class (columns) and territory (rows), in ha (empty without usage)."""
        return _pivot(self.by_class.dropna(subset=["code_us"]), "code_us", artificialised_only)


def _pivot(tidy: pd.DataFrame, column: str, artificialised_only: bool) -> pd.DataFrame:
    if artificialised_only:
        tidy = tidy[tidy["artificialised"]]
    out = tidy.pivot_table(
        index="code", columns=column, values="area_ha", aggfunc="sum", fill_value=0.0
    )
    out.columns = out.columns.astype("str")
    out.columns.name = None
    return out


@dataclass(frozen=True)
class ArtificialisationChange:
    """Artificialisation, renaturation and net artificialisation between two vintages.

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed by territory ``code``: ``nom``, ``area_ha``, ``stock_before_ha``,
        ``stock_after_ha``, ``artificialisation_ha`` (not artificialised → artificialised),
        ``renaturation_ha`` (artificialised → not), ``net_ha`` (the difference,
        = ``stock_after_ha - stock_before_ha``), ``covered_before_ha``,
        ``covered_after_ha``, ``method``.
    flows : pandas.DataFrame
        Tidy: ``code``, ``flow`` (``artificialisation`` / ``renaturation``),
        ``code_cs``, ``code_us``, ``area_ha``: artificialisation by the
        couverture/usage it became, renaturation by the couverture/usage it was.
    level : str
    vintages : (int or None, int or None)
    method : str
    notes : tuple of str
    """

    table: pd.DataFrame
    flows: pd.DataFrame
    level: str
    vintages: tuple[int | None, int | None]
    method: str
    notes: tuple[str, ...]


# ---------------------------------------------------------------------- measurements


def _classified(lc: LandCover, kwargs: dict[str, Any]) -> LandCover:
    if not isinstance(lc, LandCover):
        raise DataError(
            f"expected a LandCover from zan.io.ocsge.read_ocsge (got {type(lc).__name__}); "
            "wrap a GeoDataFrame with zan.io.ocsge.landcover_from_frame"
        )
    return lc if lc.classified and not kwargs else classify(lc, **kwargs)


def _key_codes(layer: gpd.GeoDataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Factorize (code_cs, code_us, artificialised) per polygon."""
    keys = pd.DataFrame(
        {
            "code_cs": layer["code_cs"].astype("str").to_numpy(),
            "code_us": layer["code_us"].astype("str").to_numpy(),
            "artificialised": layer["artificialised"].to_numpy(dtype=bool),
        }
    )
    cols = ["code_cs", "code_us", "artificialised"]
    grouped = keys.groupby(cols, sort=True, dropna=False)
    codes = grouped.ngroup().to_numpy()
    table = grouped.size().reset_index()[cols]
    return np.asarray(codes), table


def _zone_key_areas(pairs: pd.DataFrame, key: np.ndarray, nkeys: int, nzones: int) -> np.ndarray:
    flat = pairs["right"].to_numpy() * nkeys + key[pairs["left"].to_numpy()]
    return np.bincount(flat, weights=pairs["area_m2"].to_numpy(), minlength=nzones * nkeys).reshape(
        nzones, nkeys
    )


def _tidy(mat: np.ndarray, zone_codes: pd.Index, keys: pd.DataFrame) -> pd.DataFrame:
    z, k = np.nonzero(mat)
    out = keys.iloc[k].reset_index(drop=True)
    out.insert(0, "code", zone_codes.to_numpy()[z])
    out["area_m2"] = mat[z, k]
    return out


def artificialisation_stock(
    landcover: LandCover,
    zones: Any,
    *,
    level: str | None = "commune",
    progress: bool = False,
    **classify_kwargs: Any,
) -> ArtificialisationStock:
    """Artificialised stock per territory: ha and % of the surface, by couverture and usage.

    Parameters
    ----------
    landcover : LandCover
        Read with :func:`zan.io.ocsge.read_ocsge`; classified with
        :func:`classify` here unless it already is (``classify_kwargs`` force a
        new classification).
    zones : Territories or geopandas.GeoDataFrame
        A :class:`zan.Territories` (measured per commune, then summed per
        ``level``), or a GeoDataFrame of zones indexed by code (``nom`` column
        optional; ``level`` may name a column to group them by).
    level : str, default "commune"
        Territorial level (``"commune"``, ``"epci"``, ``"scot"``...).
    progress : bool, default False
        Show progress bars.
    **classify_kwargs
        Passed to :func:`classify` (``matrix``, ``thresholds``, ``exempt_parks``...).

    Returns
    -------
    ArtificialisationStock

    Raises
    ------
    DataError
        When no polygon intersects the territories (the message gives both
        extents and the CRS).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> from zan.io.ocsge import landcover_from_frame
    >>> lc = landcover_from_frame(gpd.GeoDataFrame(
    ...     {"code_cs": ["CS1.1.1.1", "CS2.2.1"], "code_us": ["US5", "US1.1"]},
    ...     geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)], crs="EPSG:2154"))
    >>> zones = gpd.GeoDataFrame({"nom": ["A"]}, geometry=[box(0, 0, 200, 200)],
    ...                          index=pd.Index(["59001"], name="code"), crs="EPSG:2154")
    >>> res = artificialisation_stock(lc, zones)
    >>> res.table[["area_ha", "covered_ha", "uncovered_ha", "artificialised_ha"]].iloc[0].tolist()
    [4.0, 2.0, 2.0, 1.0]
    """
    lc = _classified(landcover, classify_kwargs)
    z = _prepare_zones(zones, level, lc.crs)
    layer = lc.layer
    pairs = intersection_areas(layer, z.gdf, progress=progress)
    _empty_check(pairs, layer, z, lc.source)
    key, keys = _key_codes(layer)
    nz = len(z.gdf)
    mat = _zone_key_areas(pairs, key, len(keys), nz)
    art = keys["artificialised"].to_numpy(dtype=bool)
    zone_m2 = pd.DataFrame(
        {
            "area_m2": _zone_area(z).to_numpy(),
            "covered_m2": mat.sum(axis=1),
            "artificialised_m2": mat[:, art].sum(axis=1),
        },
        index=z.gdf.index,
    )
    table = _stock_table(z, zone_m2, lc.method)
    tidy = z.regroup_long(
        _tidy(mat, z.gdf.index, keys), ["code_cs", "code_us", "artificialised"], "area_m2"
    )
    tidy["area_ha"] = tidy.pop("area_m2") / _M2_PER_HA
    total = float(zone_m2["covered_m2"].sum())
    outside = float(np.sum(shapely.area(_geom_array(layer)))) - total
    notes = list(lc.notes) + list(z.notes)
    if outside > 1.0:
        notes.append(
            f"{lc.source}: {outside / 1e4:.2f} ha of the layer lie outside the territories "
            "(not counted)"
        )
    return ArtificialisationStock(
        table=table,
        by_class=tidy,
        level=z.level,
        vintage=lc.vintage,
        method=lc.method or "matrix",
        notes=tuple(notes),
        total_m2=total,
        outside_m2=max(outside, 0.0),
    )


def _stock_table(z: _Zones, zone_m2: pd.DataFrame, method: str | None) -> pd.DataFrame:
    agg = z.aggregate(zone_m2)
    uncovered = (agg["area_m2"] - agg["covered_m2"]).clip(lower=0.0)
    out = pd.DataFrame(index=agg.index)
    out["nom"] = agg["nom"]
    out["area_ha"] = agg["area_m2"] / _M2_PER_HA
    out["covered_ha"] = agg["covered_m2"] / _M2_PER_HA
    out["uncovered_ha"] = uncovered / _M2_PER_HA
    out["artificialised_ha"] = agg["artificialised_m2"] / _M2_PER_HA
    out["not_artificialised_ha"] = (agg["covered_m2"] - agg["artificialised_m2"]) / _M2_PER_HA
    with np.errstate(divide="ignore", invalid="ignore"):
        out["artificialised_pct"] = 100.0 * agg["artificialised_m2"] / agg["area_m2"]
        out["artificialised_pct_covered"] = 100.0 * agg["artificialised_m2"] / agg["covered_m2"]
    out["method"] = METHOD_LABELS.get(method or "matrix", str(method))
    return out


def _check_same_settings(before: LandCover, after: LandCover) -> list[str]:
    notes = []
    if before.method != after.method:
        notes.append(
            f"the two vintages were classified differently ({before.method} / {after.method}); "
            "flows mix methods"
        )
    return notes


def artificialisation_change(
    before: LandCover,
    after: LandCover,
    zones: Any,
    *,
    level: str | None = "commune",
    progress: bool = False,
    **classify_kwargs: Any,
) -> ArtificialisationChange:
    """Artificialisation, renaturation and net artificialisation between two vintages.

    The artificialised areas of both vintages are intersected once (exact
    geometry); per territory, artificialisation = artificialised after − both,
    renaturation = artificialised before − both, net = artificialisation −
    renaturation = stock after − stock before (DOMAIN.md §1: net
    artificialisation, counted from 2031).

    Parameters
    ----------
    before, after : LandCover
        The two vintages (classified here with ``classify_kwargs`` unless they already are).
    zones : Territories or geopandas.GeoDataFrame
        As in :func:`artificialisation_stock`.
    level : str, default "commune"
        Territorial level.
    progress : bool, default False
        Show progress bars.
    **classify_kwargs
        Passed to :func:`classify`.

    Returns
    -------
    ArtificialisationChange

    Examples
    --------
    >>> from shapely.geometry import box
    >>> from zan.io.ocsge import landcover_from_frame
    >>> def layer(cs, us):
    ...     return landcover_from_frame(gpd.GeoDataFrame(
    ...         {"code_cs": cs, "code_us": us},
    ...         geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)], crs="EPSG:2154"))
    >>> zones = gpd.GeoDataFrame(geometry=[box(0, 0, 200, 100)],
    ...                          index=pd.Index(["z"], name="code"), crs="EPSG:2154")
    >>> ch = artificialisation_change(layer(["CS1.1.1.1", "CS2.2.1"], ["US5", "US1.1"]),
    ...                               layer(["CS2.2.1", "CS1.1.1.1"], ["US1.1", "US5"]), zones)
    >>> ch.table[["artificialisation_ha", "renaturation_ha", "net_ha"]].iloc[0].tolist()
    [1.0, 1.0, 0.0]
    """
    lb = _classified(before, classify_kwargs)
    la = _classified(after, classify_kwargs)
    if CRS.from_user_input(lb.crs) != CRS.from_user_input(la.crs):
        la = dataclasses.replace(
            la,
            layer=la.layer.to_crs(lb.crs),
            notes=la.notes
            + (f"{la.source}: reprojected to {lb.crs.to_string()} to match {lb.source}",),
        )
    z = _prepare_zones(zones, level, lb.crs)
    nz = len(z.gdf)
    pb = intersection_areas(lb.layer, z.gdf, progress=progress)
    pa = intersection_areas(la.layer, z.gdf, progress=progress)
    _empty_check(pb, lb.layer, z, lb.source)
    _empty_check(pa, la.layer, z, la.source)
    kb, keys_b = _key_codes(lb.layer)
    ka, keys_a = _key_codes(la.layer)
    mb = _zone_key_areas(pb, kb, len(keys_b), nz)
    ma = _zone_key_areas(pa, ka, len(keys_a), nz)
    art_b = lb.layer["artificialised"].to_numpy(dtype=bool)
    art_a = la.layer["artificialised"].to_numpy(dtype=bool)
    ab_pos = np.flatnonzero(art_b)
    aa_pos = np.flatnonzero(art_a)
    pieces = intersection_pieces(la.layer.iloc[aa_pos], lb.layer.iloc[ab_pos], progress=progress)
    pp = intersection_areas(pieces, z.gdf, progress=progress)
    # both-artificialised area per zone, keyed by the after and the before classes
    piece_key_a = ka[aa_pos[pieces["left"].to_numpy()]] if len(pieces) else np.zeros(0, np.intp)
    piece_key_b = kb[ab_pos[pieces["right"].to_numpy()]] if len(pieces) else np.zeros(0, np.intp)
    both_a = _zone_key_areas(pp, piece_key_a, len(keys_a), nz)
    both_b = _zone_key_areas(pp, piece_key_b, len(keys_b), nz)
    ka_art = keys_a["artificialised"].to_numpy(dtype=bool)
    kb_art = keys_b["artificialised"].to_numpy(dtype=bool)
    artif_flow = ma * ka_art - both_a  # zone × after-key
    renat_flow = mb * kb_art - both_b  # zone × before-key
    zone_m2 = pd.DataFrame(
        {
            "area_m2": _zone_area(z).to_numpy(),
            "stock_before_m2": (mb * kb_art).sum(axis=1),
            "stock_after_m2": (ma * ka_art).sum(axis=1),
            "artificialisation_m2": artif_flow.sum(axis=1),
            "renaturation_m2": renat_flow.sum(axis=1),
            "covered_before_m2": mb.sum(axis=1),
            "covered_after_m2": ma.sum(axis=1),
        },
        index=z.gdf.index,
    )
    agg = z.aggregate(zone_m2)
    table = pd.DataFrame(index=agg.index)
    table["nom"] = agg["nom"]
    for col in ("area", "stock_before", "stock_after", "artificialisation", "renaturation"):
        table[f"{col}_ha"] = agg[f"{col}_m2"] / _M2_PER_HA
    table["net_ha"] = (agg["artificialisation_m2"] - agg["renaturation_m2"]) / _M2_PER_HA
    table["covered_before_ha"] = agg["covered_before_m2"] / _M2_PER_HA
    table["covered_after_ha"] = agg["covered_after_m2"] / _M2_PER_HA
    method = la.method or "matrix"
    table["method"] = METHOD_LABELS.get(method, method)
    flows_a = _tidy(np.where(np.abs(artif_flow) > 1e-6, artif_flow, 0.0), z.gdf.index, keys_a)
    flows_a.insert(1, "flow", "artificialisation")
    flows_b = _tidy(np.where(np.abs(renat_flow) > 1e-6, renat_flow, 0.0), z.gdf.index, keys_b)
    flows_b.insert(1, "flow", "renaturation")
    flows = pd.concat([flows_a, flows_b], ignore_index=True).drop(columns="artificialised")
    flows = z.regroup_long(flows, ["flow", "code_cs", "code_us"], "area_m2")
    flows["area_ha"] = flows.pop("area_m2") / _M2_PER_HA
    notes = list(lb.notes) + list(la.notes) + list(z.notes) + _check_same_settings(lb, la)
    return ArtificialisationChange(
        table=table,
        flows=flows,
        level=z.level,
        vintages=(lb.vintage, la.vintage),
        method=method,
        notes=tuple(notes),
    )


def artificialisation_from_difference(
    difference: LandCoverDifference,
    zones: Any,
    *,
    level: str | None = "commune",
    matrix: pd.DataFrame | None = None,
    progress: bool = False,
) -> ArtificialisationChange:
    """Artificialisation and renaturation from IGN's OCS GE "difference" product.

    Each changed polygon is classified before (``cs_avant`` × ``us_avant``) and
    after (``cs_apres`` × ``us_apres``) with the matrix; the thresholds are not
    applied (the product holds only the changed polygons, not what surrounds
    them), which the ``method`` column says.

    Parameters
    ----------
    difference : LandCoverDifference
        From :func:`zan.io.ocsge.read_ocsge_difference`.
    zones : Territories or geopandas.GeoDataFrame
        As in :func:`artificialisation_stock`.
    level : str, default "commune"
        Territorial level.
    matrix : pandas.DataFrame, optional
        Couverture × usage matrix.
    progress : bool, default False
        Show progress bars.

    Returns
    -------
    ArtificialisationChange
        Stocks are not known from a difference layer: ``stock_*`` and
        ``covered_*`` columns are NaN.

    Examples
    --------
    >>> from zan.datasets import get_path
    >>> from zan.io.ocsge import read_ocsge_difference
    >>> import zan.io.territories as t
    >>> d = read_ocsge_difference(get_path("ocsge_demo_difference_2018_2021.gpkg"))
    >>> zones = t.read_communes(get_path("communes.gpkg"))
    >>> ch = artificialisation_from_difference(d, zones)
    >>> bool((ch.table["net_ha"] == ch.table["artificialisation_ha"] - ch.table["renaturation_ha"]).all())
    True
    """
    layer = difference.layer
    us_b = layer["us_before"] if difference.has_usage else None
    us_a = layer["us_after"] if difference.has_usage else None
    sb = classify_pairs(layer["cs_before"], us_b, matrix=matrix)["artificialise"].to_numpy(bool)
    sa = classify_pairs(layer["cs_after"], us_a, matrix=matrix)["artificialise"].to_numpy(bool)
    z = _prepare_zones(zones, level, layer.crs)
    nz = len(z.gdf)
    pairs = intersection_areas(layer, z.gdf, progress=progress)
    _empty_check(pairs, layer, z, difference.source)
    gained = sa & ~sb
    lost = sb & ~sa
    after_keys = layer[["cs_after", "us_after"]].set_axis(["code_cs", "code_us"], axis=1)
    before_keys = layer[["cs_before", "us_before"]].set_axis(["code_cs", "code_us"], axis=1)
    frames = []
    for flow, mask, keys in (
        ("artificialisation", gained, after_keys),
        ("renaturation", lost, before_keys),
    ):
        sub = keys.assign(artificialised=mask)
        key, uniq = _key_codes(sub)
        mat = _zone_key_areas(pairs, key, len(uniq), nz) * uniq["artificialised"].to_numpy(bool)
        tidy = _tidy(mat, z.gdf.index, uniq).drop(columns="artificialised")
        tidy.insert(1, "flow", flow)
        frames.append(tidy)
    flows = pd.concat(frames, ignore_index=True)
    per_zone = flows.pivot_table(index="code", columns="flow", values="area_m2", aggfunc="sum")
    zone_m2 = pd.DataFrame(index=z.gdf.index)
    zone_m2["area_m2"] = _zone_area(z).to_numpy()
    for flow in ("artificialisation", "renaturation"):
        col = per_zone[flow] if flow in per_zone.columns else pd.Series(dtype=float)
        zone_m2[f"{flow}_m2"] = col.reindex(zone_m2.index).fillna(0.0).to_numpy()
    agg = z.aggregate(zone_m2)
    table = pd.DataFrame(index=agg.index)
    table["nom"] = agg["nom"]
    table["area_ha"] = agg["area_m2"] / _M2_PER_HA
    table["stock_before_ha"] = np.nan
    table["stock_after_ha"] = np.nan
    table["artificialisation_ha"] = agg["artificialisation_m2"] / _M2_PER_HA
    table["renaturation_ha"] = agg["renaturation_m2"] / _M2_PER_HA
    table["net_ha"] = table["artificialisation_ha"] - table["renaturation_ha"]
    table["covered_before_ha"] = np.nan
    table["covered_after_ha"] = np.nan
    method = "matrix_no_thresholds" if difference.has_usage else "couverture_only"
    table["method"] = METHOD_LABELS[method] + " (produit différence)"
    flows = z.regroup_long(flows, ["flow", "code_cs", "code_us"], "area_m2")
    flows["area_ha"] = flows.pop("area_m2") / _M2_PER_HA
    notes = (
        list(difference.notes)
        + list(z.notes)
        + [
            f"{difference.source}: difference product classified with the matrix only "
            "(thresholds need the surrounding polygons, which the product does not hold)"
        ]
    )
    return ArtificialisationChange(
        table=table,
        flows=flows,
        level=z.level,
        vintages=difference.vintages,
        method=method,
        notes=tuple(notes),
    )
