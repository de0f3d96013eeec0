"""Classification of an OCS GE layer: artificialised or not, per polygon.

Each polygon gets a status from its couverture × usage pair through a configurable
matrix (:func:`zan.nomenclature.read_matrix`, DOMAIN.md §3), then the reference
thresholds of décret n° 2023-1096 are applied (:class:`Thresholds`, DOMAIN.md §2),
or IGN's own ``artif`` flag is used as it is. Optional exemptions (public parks,
ground-mounted solar panels) are switches. :mod:`zan.measure.artificialisation`
measures the classified layer per territory.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..errors import DataError
from ..io.ocsge import LandCover
from ..nomenclature import classify_pairs
from .overlay import geom_array

__all__ = ["Thresholds", "classify", "ensure_classified"]


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
    geoms = geom_array(mask)
    if min_area is not None:
        geoms = geoms[np.nan_to_num(shapely.area(geoms)) > min_area]
    if len(geoms) == 0:
        return np.zeros(len(layer), dtype=bool)
    pts = shapely.point_on_surface(geom_array(layer))
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
        multi = shapely.get_type_id(geom_array(layer)) == 6
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
    geoms = geom_array(layer)
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


def ensure_classified(lc: LandCover, kwargs: dict[str, Any]) -> LandCover:
    """``lc`` classified with ``kwargs`` (passed to :func:`classify`), unless it already is.

    Raises :class:`zan.errors.DataError` when ``lc`` is not a :class:`~zan.io.ocsge.LandCover`.
    """
    if not isinstance(lc, LandCover):
        raise DataError(
            f"expected a LandCover from zan.io.ocsge.read_ocsge (got {type(lc).__name__}); "
            "wrap a GeoDataFrame with zan.io.ocsge.landcover_from_frame"
        )
    return lc if lc.classified and not kwargs else classify(lc, **kwargs)
