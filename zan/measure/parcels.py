"""Cadastral parcels × OCS GE: artificialised and ENAF area per parcel and per commune.

Planners reason on parcels: how much of each parcel is artificialised, and
how much is still natural, agricultural or forest land (ENAF) that a project
would consume. Per parcel, the areas are exact: ``covered_m2`` is the sum over
the land-cover polygons ``L`` of ``area(parcel ∩ L)``, ``artificialised_m2`` the
same sum over the artificialised polygons (what intersecting each pair and
adding the pieces gives).

They are computed from the polygon boundaries rather than by intersecting
polygons (Green's theorem: an area is ``½ ∮ x dy − y dx`` along its boundary,
and the boundary of ``parcel ∩ L`` is made of the parts of each outline inside
the other). Land-cover edges shared by two polygons (once in each direction)
cancel out of the sums and are dropped: in a land cover without gaps or
overlaps only the outline of the layer is left for ``covered_m2``, and only the
boundary between artificialised and other polygons for ``artificialised_m2``.
A parcel that no remaining edge crosses is counted whole from the status of one
of its points (a point-in-polygon join); the others from the pieces of edges
inside them, in vectorised numpy. Parcels whose outline touches a land-cover
edge without crossing it (shared vertices, collinear edges), or that fail the
consistency checks of the method, are measured by exact GEOS intersections
(:func:`zan.measure.artificialisation.intersection_areas`).

Here **ENAF** means the area that OCS GE classifies as *not artificialised*
(décret 2023-1096, DOMAIN.md §2), the land-cover reading of "espaces naturels,
agricoles et forestiers"; the Cerema consumption file measures ENAF
consumption from the fichiers fonciers instead (DOMAIN.md §3).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from ..errors import DataError
from ..io.cadastre import normalize_parcel_refs
from ..io.ocsge import LandCover
from .classification import ensure_classified
from .overlay import geom_array, intersection_areas

__all__ = ["parcel_landcover", "enaf_by_commune", "lookup_parcels"]

_M2_PER_HA = 10_000.0

#: Columns of the per-parcel table.
PARCEL_MEASURE_COLUMNS = (
    "commune",
    "area_m2",
    "contenance_m2",
    "covered_m2",
    "artificialised_m2",
    "enaf_m2",
    "uncovered_m2",
    "artificialised_share",
    "enaf_share",
)


# ---------------------------------------------------------------------- edge engine

#: Orientation tests closer to zero than this share of the squared extent of the
#: points involved count as "touching" (the parcel then goes to GEOS).
_TOUCH_EPS = 1e-11


@dataclass(frozen=True)
class _Outline:
    """Polygon rings as flat closed coordinate runs, exteriors anticlockwise, holes clockwise."""

    x: np.ndarray
    y: np.ndarray
    start: np.ndarray  # first coordinate of each ring, then len(x)
    geom: np.ndarray  # geometry position of each ring (rings of a geometry are consecutive)
    odd: np.ndarray  # geometry positions left to GEOS (not polygonal, flat rings)


def _outline(geoms: np.ndarray) -> _Outline:
    type_id = shapely.get_type_id(geoms)
    simple = (type_id == 3) & (shapely.get_num_interior_rings(geoms) == 0)
    multi = (type_id == 6) | ((type_id == 3) & ~simple)
    odd = (type_id >= 0) & ~simple & ~multi  # (empty polygons have flat rings: odd below)
    si = np.flatnonzero(simple)
    xy, gi = shapely.get_coordinates(geoms[si], return_index=True)
    start = np.searchsorted(gi, np.arange(len(si) + 1))
    ring_geom = si
    exterior = np.ones(len(si), dtype=bool)
    mi = np.flatnonzero(multi)
    if len(mi):
        parts, pi = shapely.get_parts(geoms[mi], return_index=True)
        poly = shapely.get_type_id(parts) == 3
        parts, pi = parts[poly], pi[poly]
        rings, ri = shapely.get_rings(parts, return_index=True)
        xy2, rci = shapely.get_coordinates(rings, return_index=True)
        start = np.concatenate(
            (start[:-1], len(xy) + np.searchsorted(rci, np.arange(len(rings) + 1)))
        )
        xy = np.concatenate((xy, xy2))
        ring_geom = np.concatenate((ring_geom, mi[pi[ri]]))
        exterior = np.concatenate((exterior, np.r_[True, ri[1:] != ri[:-1]] if len(ri) else []))
    count = np.diff(start)
    short = count < 4  # empty or collapsed rings: their geometry goes to GEOS
    if short.any():
        odd[ring_geom[short]] = True
        keep = np.repeat(~short, count)
        xy, ring_geom, exterior, count = (
            xy[keep],
            ring_geom[~short],
            exterior[~short],
            count[~short],
        )
        start = np.concatenate(([0], np.cumsum(count)))
    # orientation from each ring's signed area (relative to its first vertex)
    nring = len(ring_geom)
    ring_of = np.repeat(np.arange(nring), count)
    x, y = xy[:, 0], xy[:, 1]
    edge = np.ones(len(x), dtype=bool)
    edge[start[1:] - 1] = False
    i = np.flatnonzero(edge)
    x0, y0 = x[start[:-1]][ring_of[i]], y[start[:-1]][ring_of[i]]
    twice = np.bincount(
        ring_of[i],
        weights=(x[i] - x0) * (y[i + 1] - y0) - (x[i + 1] - x0) * (y[i] - y0),
        minlength=nring,
    )
    odd[ring_geom[twice == 0]] = True
    reverse = np.where(exterior, twice < 0, twice > 0)
    if reverse.any():
        idx = np.arange(len(x))
        rc = reverse[ring_of]
        idx[rc] = (start[:-1][ring_of] + start[1:][ring_of] - 1 - idx)[rc]
        x, y = x[idx], y[idx]
    return _Outline(x=x, y=y, start=start, geom=ring_geom, odd=np.flatnonzero(odd))


def _ring_edges(o: _Outline) -> tuple[np.ndarray, np.ndarray]:
    """Start coordinate of every edge (its end is the next one), and its ring; no zero-length edge."""
    count = np.diff(o.start)
    ring_of = np.repeat(np.arange(len(count)), count)
    edge = np.ones(len(o.x), dtype=bool)
    edge[o.start[1:] - 1] = False
    i = np.flatnonzero(edge)
    i = i[(o.x[i] != o.x[i + 1]) | (o.y[i] != o.y[i + 1])]
    return i, ring_of[i]


@dataclass(frozen=True)
class _NetEdges:
    """Land-cover edges after cancelling the shared ones: segment (x0, y0) → (x1, y1), weights."""

    x0: np.ndarray
    y0: np.ndarray
    x1: np.ndarray
    y1: np.ndarray
    w_all: np.ndarray  # net count of the edge (direction included) over all polygons
    w_art: np.ndarray  # ... over the artificialised polygons


def _net_edges(o: _Outline, art: np.ndarray) -> _NetEdges:
    i, ring = _ring_edges(o)
    keep = ~np.isin(o.geom[ring], o.odd)
    i, ring = i[keep], ring[keep]
    ax, ay, bx, by = o.x[i] + 0.0, o.y[i] + 0.0, o.x[i + 1] + 0.0, o.y[i + 1] + 0.0
    swap = (ax > bx) | ((ax == bx) & (ay > by))
    k0, k1 = np.where(swap, bx, ax), np.where(swap, by, ay)
    k2, k3 = np.where(swap, ax, bx), np.where(swap, ay, by)
    sign = np.where(swap, -1.0, 1.0)
    # group identical segments: sorted by a hash of their coordinates, then by
    # the coordinates themselves for what is left (the few net edges), so that
    # the result does not depend on the order of the rows
    h = np.zeros(len(k0), dtype=np.uint64)
    for k, mult in (
        (k0, 0x9E3779B97F4A7C15),
        (k1, 0xC2B2AE3D27D4EB4F),
        (k2, 0x165667B19E3779F9),
        (k3, 0x27D4EB2F165667C5),
    ):
        h ^= k.view(np.uint64) * np.uint64(mult)
        h ^= h >> np.uint64(29)
    order = np.argsort(h, kind="stable")
    k0, k1, k2, k3, h = k0[order], k1[order], k2[order], k3[order], h[order]
    new = np.ones(len(order), dtype=bool)
    new[1:] = (
        (h[1:] != h[:-1])
        | (k0[1:] != k0[:-1])
        | (k1[1:] != k1[:-1])
        | (k2[1:] != k2[:-1])
        | (k3[1:] != k3[:-1])
    )
    group = np.cumsum(new) - 1
    ngroup = int(new.sum())
    w_all = np.bincount(group, weights=sign[order], minlength=ngroup)
    w_art = np.bincount(group, weights=(sign * art[o.geom[ring]])[order], minlength=ngroup)
    net = (w_all != 0) | (w_art != 0)
    head = np.flatnonzero(new)[net]
    k0, k1, k2, k3 = k0[head], k1[head], k2[head], k3[head]
    w_all, w_art = w_all[net], w_art[net]
    final = np.lexsort((w_art, w_all, k3, k2, k1, k0))
    return _NetEdges(k0[final], k1[final], k2[final], k3[final], w_all[final], w_art[final])


def _green_chunk(
    geoms: np.ndarray,
    area: np.ndarray,
    bounds: np.ndarray,
    tree: shapely.STRtree,
    lc_geoms: np.ndarray,
    lc_art: np.ndarray,
    lc_bounds: np.ndarray,
    net: _NetEdges,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(covered, artificialised) m² of each parcel, and the positions left to GEOS."""
    n = len(geoms)
    n_lc = len(lc_geoms)
    bad = np.zeros(n, dtype=bool)
    qi, ti = tree.query(geoms)
    is_poly = ti < n_lc
    # parcel × remaining-edge candidates (bounding boxes), in (parcel, edge) order
    # so that each parcel's sums run in a fixed order
    bits = max(int(len(net.x0)).bit_length(), 1)
    key = (qi[~is_poly].astype(np.int64) << bits) | (ti[~is_poly] - n_lc)
    key.sort()
    cf = key & ((1 << bits) - 1)
    owner = key >> bits
    first = np.ones(len(owner), dtype=bool)
    first[1:] = owner[1:] != owner[:-1]
    sub = owner[first]  # the parcels with candidates, sorted
    cg = np.cumsum(first) - 1  # position of each candidate's parcel in ``sub``
    ns = len(sub)
    in_sub = np.zeros(n, dtype=bool)
    in_sub[sub] = True

    # Parcels that no remaining edge's box reaches have one multiplicity over their
    # whole bounding box: count the polygons containing its centre.
    pg, pj = qi[is_poly], ti[is_poly]
    keep = ~in_sub[pg]
    pg0, pj0 = pg[keep], pj[keep]
    cx, cy = 0.5 * (bounds[:, 0] + bounds[:, 2]), 0.5 * (bounds[:, 1] + bounds[:, 3])
    m_all, m_art, on_edge = _multiplicity(
        lc_geoms[pj0], lc_art[pj0], lc_bounds[pj0], cx[pg0], cy[pg0], pg0, n
    )
    bad |= on_edge
    area0 = np.nan_to_num(area)
    covered = m_all * area0
    artificialised = m_art * area0
    if ns == 0:
        return covered, artificialised, np.flatnonzero(bad)

    # The others, from their outline.
    o = _outline(geoms[sub])
    bad[sub[o.odd]] = True
    ei, ering = _ring_edges(o)
    egeom = o.geom[ering]
    gcount = np.bincount(egeom, minlength=ns)
    gfirst = np.zeros(ns, dtype=np.int64)
    if len(egeom):
        change = np.flatnonzero(np.r_[True, egeom[1:] != egeom[:-1]])
        gfirst[egeom[change]] = change
    nring = len(o.geom)
    rfirst = np.full(ns, -1, dtype=np.int64)
    rfirst[o.geom[::-1]] = np.arange(nring)[::-1]
    has_ring = rfirst >= 0
    # a local origin per parcel (its first vertex): differences of nearby
    # Lambert-93 coordinates are exact
    ox = np.zeros(ns)
    oy = np.zeros(ns)
    ox[has_ring] = o.x[o.start[rfirst[has_ring]]]
    oy[has_ring] = o.y[o.start[rfirst[has_ring]]]
    ex0, ey0 = o.x[ei] - ox[egeom], o.y[ei] - oy[egeom]
    ex1, ey1 = o.x[ei + 1] - ox[egeom], o.y[ei + 1] - oy[egeom]

    # multiplicity at the first vertex of each ring
    local = np.full(n, -1, dtype=np.int64)
    local[sub] = np.arange(ns)
    pg1, pj1 = local[pg[~keep]], pj[~keep]
    rep = np.bincount(o.geom, minlength=ns)[pg1]
    pr = np.repeat(rfirst[pg1] - np.cumsum(rep) + rep, rep) + np.arange(int(rep.sum()))
    pj1 = np.repeat(pj1, rep)
    m0_all, m0_art, ring_on_edge = _multiplicity(
        lc_geoms[pj1], lc_art[pj1], lc_bounds[pj1], o.x[o.start[pr]], o.y[o.start[pr]], pr, nring
    )
    bad[sub[o.geom[ring_on_edge]]] = True

    # each candidate × the parcel's edges
    ne = gcount[cg]
    nt = int(ne.sum())
    c_of = np.repeat(np.arange(len(cg)), ne)
    e_of = np.repeat(gfirst[cg] - np.cumsum(ne) + ne, ne) + np.arange(nt)
    fx0, fy0 = net.x0[cf] - ox[cg], net.y0[cf] - oy[cg]
    fx1, fy1 = net.x1[cf] - ox[cg], net.y1[cf] - oy[cg]
    # what depends on one side only is computed once per edge (or candidate), then
    # spread over the pairs
    Fx0, Fy0, Fx1, Fy1 = fx0[c_of], fy0[c_of], fx1[c_of], fy1[c_of]
    Ex0, Ey0, Ex1, Ey1 = ex0[e_of], ey0[e_of], ex1[e_of], ey1[e_of]
    fdx, fdy = (fx1 - fx0)[c_of], (fy1 - fy0)[c_of]
    edx, edy = (ex1 - ex0)[e_of], (ey1 - ey0)[e_of]
    dx0, dy0 = Ex0 - Fx0, Ey0 - Fy0
    o1 = fdx * dy0 - fdy * dx0  # parcel edge start: left (+) of the land-cover edge
    o2 = fdx * (Ey1 - Fy0) - fdy * (Ex1 - Fx0)  # parcel edge end
    o3 = edy * dx0 - edx * dy0  # land-cover edge start: left (+) of the parcel edge
    o4 = edx * (Fy1 - Ey0) - edy * (Fx1 - Ex0)  # land-cover edge end
    # _TOUCH_EPS × the squared reach of the points (rounding is monotonic: the max
    # of the two sides' tolerances is the tolerance of the max)
    e_reach = np.maximum(np.abs(ex0) + np.abs(ey0), np.abs(ex1) + np.abs(ey1))
    f_reach = np.maximum(np.abs(fx0) + np.abs(fy0), np.abs(fx1) + np.abs(fy1))
    tol = np.maximum((_TOUCH_EPS * e_reach * e_reach)[e_of], (_TOUCH_EPS * f_reach * f_reach)[c_of])
    # each orientation: clearly left (p), clearly right (m), or within the tolerance
    p1, m1 = o1 > tol, o1 < -tol
    p2, m2 = o2 > tol, o2 < -tol
    p3, m3 = o3 > tol, o3 < -tol
    p4, m4 = o4 > tol, o4 < -tol
    apart = (p1 & p2) | (m1 & m2) | (p3 & p4) | (m3 & m4)
    cross = ((p1 & m2) | (m1 & p2)) & ((p3 & m4) | (m3 & p4))
    level = np.flatnonzero(~apart & ~cross)
    if len(level):
        # on one line: touching only if the two segments overlap along it
        lin = ~(p1 | m1 | p2 | m2)[level]
        fl, lt = fdx[level], fdy[level]
        flen = fl * fl + lt * lt
        u0 = dx0[level] * fl + dy0[level] * lt
        u1 = (Ex1[level] - Fx0[level]) * fl + (Ey1[level] - Fy0[level]) * lt
        tl = tol[level]
        gap = (np.maximum(u0, u1) < -tl) | (np.minimum(u0, u1) > flen + tl)
        level = level[~(lin & gap)]
        bad[sub[np.unique(cg[c_of[level]])]] = True

    # winding number of each land-cover edge's start in the parcel (ray towards +x)
    up = (Ey0 <= Fy0) & (Ey1 > Fy0) & (o3 > 0)
    down = (Ey1 <= Fy0) & (Ey0 > Fy0) & (o3 < 0)
    wn = np.bincount(c_of, weights=up.astype(np.float64) - down, minlength=len(cg))
    t_c, t_e = c_of[cross], e_of[cross]
    along_e = o1[cross] / (o1[cross] - o2[cross])
    along_f = o3[cross] / (o3[cross] - o4[cross])
    into_lc = np.where(
        o2[cross] > 0, 1.0, -1.0
    )  # the parcel edge enters the polygon on the left of f
    into_p = np.where(o4[cross] > 0, 1.0, -1.0)  # the land-cover edge enters the parcel
    enter = np.bincount(t_c, weights=into_p, minlength=len(cg))
    part = np.bincount(t_c, weights=into_p * (1.0 - along_f), minlength=len(cg))
    ends = wn + enter
    wrong = (wn < 0) | (wn > 1) | (ends < 0) | (ends > 1)
    bad[sub[np.unique(cg[wrong])]] = True
    f_cross = fx0 * fy1 - fx1 * fy0
    e_cross = ex0 * ey1 - ex1 * ey0
    ring_first_edge = np.zeros(nring, dtype=np.int64)
    if len(ering):
        change = np.flatnonzero(np.r_[True, ering[1:] != ering[:-1]])
        ring_first_edge[ering[change]] = change
    whole_sub = np.nan_to_num(area[sub])
    results = []
    for w, m0 in ((net.w_all, m0_all), (net.w_art, m0_art)):
        wc = w[cf]
        wt = wc[t_c]
        delta = np.bincount(t_e, weights=into_lc * wt, minlength=len(ei))
        partial = np.bincount(t_e, weights=into_lc * wt * (1.0 - along_e), minlength=len(ei))
        before = np.cumsum(delta) - delta
        m_start = m0[ering] + before - before[ring_first_edge[ering]]
        # back to the start of each ring, and never a negative multiplicity
        closed = np.bincount(ering, weights=delta, minlength=nring)
        bad[sub[o.geom[closed != 0]]] = True
        bad[sub[egeom[m_start < 0]]] = True
        twice = np.bincount(egeom, weights=e_cross * (m_start + partial), minlength=ns)
        twice += np.bincount(cg, weights=wc * f_cross * (wn + part), minlength=ns)
        crossed = np.bincount(cg, weights=wc != 0, minlength=ns) > 0
        flat = m0[np.maximum(rfirst, 0)] * whole_sub * has_ring
        results.append(np.where(crossed, 0.5 * twice, flat))
    covered[sub], artificialised[sub] = results
    return covered, artificialised, np.flatnonzero(bad)


def _multiplicity(
    polys: np.ndarray,
    art: np.ndarray,
    b: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    at: np.ndarray,
    n: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """How many polygons (and artificialised ones) contain each point, from (point, polygon) pairs.

    ``b`` holds the polygons' bounds, ``at`` the point (0..n-1) of each pair; the
    third result flags points on a polygon's boundary, where the count is ambiguous.
    """
    box = (b[:, 0] <= x) & (x <= b[:, 2]) & (b[:, 1] <= y) & (y <= b[:, 3])
    inside = box.copy()
    inside[box] = shapely.contains_xy(polys[box], x[box], y[box])
    # on the boundary: in the box, not inside, yet intersecting (tested on those only)
    edge = box & ~inside
    edge[edge] = shapely.intersects_xy(polys[edge], x[edge], y[edge])
    m_all = np.bincount(at, weights=inside, minlength=n)
    m_art = np.bincount(at, weights=inside & art, minlength=n)
    on_edge = np.bincount(at, weights=edge, minlength=n) > 0
    return m_all, m_art, on_edge


def _geos_sums(
    geoms: np.ndarray, lc_geoms: np.ndarray, lc_art: np.ndarray, progress: bool
) -> tuple[np.ndarray, np.ndarray]:
    """(covered, artificialised) m² by exact GEOS intersections, pieces summed in a fixed order."""
    n = len(geoms)
    pairs = intersection_areas(geoms, lc_geoms, progress=progress, big="right")
    li = pairs["left"].to_numpy()
    a = pairs["area_m2"].to_numpy()
    art = lc_art[pairs["right"].to_numpy()]
    # Sum each parcel's pieces in a fixed order (by area) so that the result does
    # not depend on the order of the land-cover rows (the dask path gives identical bits).
    order = np.lexsort((a, art, li))
    li, a, art = li[order], a[order], art[order]
    covered = np.bincount(li, weights=a, minlength=n)
    artificialised = np.bincount(li, weights=np.where(art, a, 0.0), minlength=n)
    return covered, artificialised


def _parcel_sums(
    geoms: np.ndarray,
    lc_geoms: np.ndarray,
    lc_art: np.ndarray,
    *,
    area: np.ndarray | None = None,
    method: str = "edges",
    chunk_size: int = 250_000,
    progress: bool = False,
) -> tuple[np.ndarray, np.ndarray]:
    """(covered, artificialised) m² per parcel: the edge engine, or ``method="geos"`` for all."""
    n = len(geoms)
    if method == "geos" or n == 0 or len(lc_geoms) == 0:
        return _geos_sums(geoms, lc_geoms, lc_art, progress)
    if area is None:
        area = shapely.area(geoms)
    # only the land cover around the parcels
    bounds = shapely.bounds(geoms)
    finite = np.isfinite(bounds).all(axis=1)
    if not finite.any():
        return np.zeros(n), np.zeros(n)
    x0, y0 = bounds[finite, 0].min(), bounds[finite, 1].min()
    x1, y1 = bounds[finite, 2].max(), bounds[finite, 3].max()
    lb = shapely.bounds(lc_geoms)
    with np.errstate(invalid="ignore"):
        near = (lb[:, 0] <= x1) & (lb[:, 2] >= x0) & (lb[:, 1] <= y1) & (lb[:, 3] >= y0)
    if not near.any():
        return np.zeros(n), np.zeros(n)
    if not near.all():
        lc_geoms, lc_art, lb = lc_geoms[near], lc_art[near], lb[near]
    net = _net_edges(_outline(lc_geoms), lc_art)
    boxes = shapely.box(
        np.minimum(net.x0, net.x1),
        np.minimum(net.y0, net.y1),
        np.maximum(net.x0, net.x1),
        np.maximum(net.y0, net.y1),
    )
    tree = shapely.STRtree(np.concatenate((lc_geoms, boxes)))
    prepared = shapely.is_prepared(lc_geoms)
    shapely.prepare(lc_geoms)
    covered = np.zeros(n)
    artificialised = np.zeros(n)
    fallback = []
    try:
        starts: Iterable[int] = range(0, n, chunk_size)
        if progress:
            from tqdm.auto import tqdm

            starts = tqdm(starts, desc="parcels", unit="chunk", leave=False)
        for s in starts:
            sl = slice(s, min(s + chunk_size, n))
            c, a, bad = _green_chunk(
                geoms[sl], area[sl], bounds[sl], tree, lc_geoms, lc_art, lb, net
            )
            covered[sl], artificialised[sl] = c, a
            fallback.append(bad + s)
    finally:
        shapely.destroy_prepared(lc_geoms[~prepared])
    redo = np.concatenate(fallback) if fallback else np.empty(0, np.int64)
    if len(redo):
        c, a = _geos_sums(geoms[redo], lc_geoms, lc_art, progress)
        covered[redo], artificialised[redo] = c, a
    return covered, artificialised


def _landcover_frame(
    landcover: LandCover | gpd.GeoDataFrame, kwargs: dict[str, Any]
) -> gpd.GeoDataFrame:
    if isinstance(landcover, gpd.GeoDataFrame):
        if "artificialised" not in landcover.columns:
            raise DataError(
                "landcover: a GeoDataFrame needs a boolean 'artificialised' column; pass a "
                "LandCover from zan.io.ocsge.read_ocsge to classify it"
            )
        return landcover
    return ensure_classified(landcover, kwargs).layer


def parcel_landcover(
    parcels: gpd.GeoDataFrame,
    landcover: LandCover | gpd.GeoDataFrame,
    *,
    progress: bool = False,
    sort: bool = True,
    **classify_kwargs: Any,
) -> pd.DataFrame:
    """Artificialised and ENAF area of each parcel.

    Parameters
    ----------
    parcels : geopandas.GeoDataFrame
        Parcels indexed by id (:func:`zan.io.cadastre.read_parcels`), with a
        ``commune`` column; reprojected to the land cover's CRS if needed.
    landcover : LandCover or geopandas.GeoDataFrame
        OCS GE (classified here with ``classify_kwargs`` unless it already is),
        or a GeoDataFrame with a boolean ``artificialised`` column.
    progress : bool, default False
        Show progress bars.
    sort : bool, default True
        Sort the table by parcel id; False keeps the order of ``parcels``.
    **classify_kwargs
        Passed to :func:`zan.measure.artificialisation.classify`.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``parcels`` (sorted by id): ``commune``, ``area_m2`` (the
        polygon's), ``contenance_m2`` (the cadastre's, NaN if absent),
        ``covered_m2``, ``artificialised_m2``, ``enaf_m2`` (covered, not
        artificialised), ``uncovered_m2``, ``artificialised_share`` and
        ``enaf_share`` (of ``area_m2``).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> lc = gpd.GeoDataFrame({"artificialised": [True, False]},
    ...                       geometry=[box(0, 0, 50, 100), box(50, 0, 100, 100)], crs="EPSG:2154")
    >>> parcels = gpd.GeoDataFrame({"commune": ["59350"]}, geometry=[box(40, 0, 60, 10)],
    ...                            index=pd.Index(["59350000AB0123"], name="id"), crs="EPSG:2154")
    >>> parcel_landcover(parcels, lc)[["area_m2", "artificialised_m2", "enaf_m2"]].iloc[0].tolist()
    [200.0, 100.0, 100.0]
    """
    layer = _landcover_frame(landcover, classify_kwargs)
    if "commune" not in parcels.columns:
        raise DataError(
            f"parcels: no 'commune' column (columns: {', '.join(map(str, parcels.columns))}); "
            "read them with zan.io.cadastre.read_parcels"
        )
    if parcels.crs is None:
        raise DataError("parcels: no CRS; set it with parcels.set_crs(...)")
    if CRS.from_user_input(parcels.crs) != CRS.from_user_input(layer.crs):
        parcels = parcels.to_crs(layer.crs)
    # measured in the given order (usually the order of the file, hence of the
    # geometries in memory), then sorted by id
    geoms = geom_array(parcels)
    area = shapely.area(geoms)
    covered, artificialised = _parcel_sums(
        geoms,
        geom_array(layer),
        layer["artificialised"].to_numpy(dtype=bool),
        area=area,
        progress=progress,
    )
    # the table is built directly in id order (no sort of the finished frame)
    order = _id_order(parcels.index) if sort else None
    commune = parcels["commune"].astype("str").array
    contenance = (
        pd.to_numeric(parcels["contenance"], errors="coerce").to_numpy(dtype="float64", copy=True)
        if "contenance" in parcels.columns
        else np.full(len(parcels), np.nan)
    )
    index = parcels.index
    if order is not None:
        index, commune = index.take(order), commune.take(order)
        area, contenance = area[order], contenance[order]
        covered, artificialised = covered[order], artificialised[order]
    enaf = covered - artificialised
    with np.errstate(divide="ignore", invalid="ignore"):
        columns = {
            "commune": commune,
            "area_m2": area,
            "contenance_m2": contenance,
            "covered_m2": covered,
            "artificialised_m2": artificialised,
            "enaf_m2": enaf,
            "uncovered_m2": np.clip(area - covered, 0.0, None),
            "artificialised_share": artificialised / area,
            "enaf_share": enaf / area,
        }
    return pd.DataFrame(columns, index=index, copy=False)  # the arrays are this table's own


def _id_order(index: pd.Index) -> np.ndarray | None:
    """The stable permutation that sorts ``index`` as ``sort_index(kind="stable")`` does.

    None when the index is already sorted. String ids without missing values are
    sorted by their UTF-8 bytes (the order of their code points), read as
    big-endian integers 8 bytes at a time, zero-padded, the length last: a
    ``numpy.lexsort`` of a few integer columns, several times faster than
    sorting the strings; other indexes go through pandas.

    Examples
    --------
    >>> _id_order(pd.Index(["b", "a", "ab", "a"])).tolist()
    [1, 3, 2, 0]
    >>> _id_order(pd.Index(["a", "b"])) is None
    True
    """
    n = len(index)
    keys = _byte_keys(index) if n > 1 else None
    if keys is None:
        if index.is_monotonic_increasing:
            return None
        return pd.Series(np.arange(n), index=index).sort_index(kind="stable").to_numpy()
    # already sorted: each row not after the next one (first differing key decides)
    later = np.zeros(n - 1, dtype=bool)
    tie = np.ones(n - 1, dtype=bool)
    for k in reversed(keys):  # the primary key is the last one (lexsort's convention)
        later |= tie & (k[:-1] > k[1:])
        tie &= k[:-1] == k[1:]
    if not later.any():
        return None
    return np.lexsort(keys)


def _byte_keys(index: pd.Index) -> list[np.ndarray] | None:
    """Sort keys of string ids (see :func:`_id_order`), least significant first; None if not strings."""
    if index.nlevels != 1 or not pd.api.types.is_string_dtype(index.dtype):
        return None
    if index.dtype == object and not pd.api.types.infer_dtype(index, skipna=False) == "string":
        return None
    import pyarrow as pa

    try:
        arr = pa.array(index.array, type=pa.large_string())
    except (pa.ArrowException, TypeError, ValueError):
        return None
    if isinstance(arr, pa.ChunkedArray):
        arr = arr.combine_chunks()
    if arr.null_count:
        return None
    _, off_buf, data_buf = arr.buffers()
    off = np.frombuffer(off_buf, dtype=np.int64, count=len(arr) + 1, offset=8 * arr.offset)
    data = (
        np.frombuffer(data_buf, dtype=np.uint8) if data_buf is not None else np.zeros(0, np.uint8)
    )
    data = data[off[0] : off[-1]]
    length = np.diff(off)
    width = int(length.max())
    words = max((width + 7) // 8, 1)
    same = bool((length == width).all())
    if same and width == 8 * words:
        padded = data.reshape(len(arr), width)
    elif same:
        padded = np.zeros((len(arr), 8 * words), dtype=np.uint8)
        padded[:, :width] = data.reshape(len(arr), width)
    else:
        padded = np.zeros((len(arr), 8 * words), dtype=np.uint8)
        row = np.repeat(np.arange(len(arr)), length)
        padded[row, np.arange(len(data)) - np.repeat(off[:-1] - off[0], length)] = data
    big = padded.view(">u8")
    keys = [big[:, j].astype(np.uint64) for j in range(words - 1, -1, -1)]
    if not same:
        keys.insert(0, length)
    return keys


def enaf_by_commune(
    parcel_table: pd.DataFrame,
    *,
    territories: Any = None,
    level: str = "commune",
) -> pd.DataFrame:
    """ENAF area still available on parcels, per commune (or higher level).

    Parameters
    ----------
    parcel_table : pandas.DataFrame
        From :func:`parcel_landcover`; or per-commune sums with a ``parcels``
        count column (:func:`zan.measure.distributed.commune_sums`).
    territories : Territories, optional
        To sum communes per ``level`` and list communes without parcels (0).
    level : str, default "commune"
        Level, when ``territories`` is given.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``code``: ``parcels`` (count), ``parcels_area_ha``,
        ``covered_ha``, ``artificialised_ha``, ``enaf_ha`` (plus ``nom`` with
        territories).

    Examples
    --------
    >>> t = pd.DataFrame({"commune": ["59350", "59350"], "area_m2": [100.0, 300.0],
    ...                   "covered_m2": [100.0, 300.0], "artificialised_m2": [100.0, 0.0],
    ...                   "enaf_m2": [0.0, 300.0]}, index=["a", "b"])
    >>> enaf_by_commune(t)[["parcels", "enaf_ha"]].iloc[0].tolist()
    [2.0, 0.03]
    """
    cols = ["area_m2", "covered_m2", "artificialised_m2", "enaf_m2"]
    frame = parcel_table if "parcels" in parcel_table.columns else parcel_table.assign(parcels=1.0)
    per = frame.groupby("commune", sort=True)[["parcels", *cols]].sum()
    per.index.name = "code"
    if territories is not None:
        per = territories.aggregate(per, level, missing="zero")
    out = pd.DataFrame(index=per.index)
    if "nom" in per.columns:
        out["nom"] = per["nom"]
    out["parcels"] = per["parcels"]
    out["parcels_area_ha"] = per["area_m2"] / _M2_PER_HA
    out["covered_ha"] = per["covered_m2"] / _M2_PER_HA
    out["artificialised_ha"] = per["artificialised_m2"] / _M2_PER_HA
    out["enaf_ha"] = per["enaf_m2"] / _M2_PER_HA
    return out


def lookup_parcels(
    refs: str | Iterable[str],
    parcel_table: pd.DataFrame,
    *,
    missing: str = "raise",
) -> pd.DataFrame:
    """Find parcels by cadastral reference: their ENAF area and their commune.

    Parameters
    ----------
    refs : str or iterable of str
        References such as ``59350000AB0123`` (also ``59350 000 AB 0123``,
        ``59350-AB-123``: see :func:`zan.io.cadastre.normalize_parcel_refs`).
    parcel_table : pandas.DataFrame
        From :func:`parcel_landcover` (indexed by parcel id).
    missing : {"raise", "ignore"}, default "raise"
        Unknown or unreadable references: raise, or return them with
        ``found=False``.

    Returns
    -------
    pandas.DataFrame
        One row per reference, in the order given: ``ref`` (as given), ``id``
        (normalised), ``found``, ``commune``, ``area_m2``, ``enaf_m2``,
        ``artificialised_m2``, ``enaf_share``.

    Raises
    ------
    DataError
        With ``missing="raise"``, listing the references not read or not found.

    Examples
    --------
    >>> t = pd.DataFrame({"commune": ["59350"], "area_m2": [200.0], "enaf_m2": [150.0],
    ...                   "artificialised_m2": [50.0], "enaf_share": [0.75]},
    ...                  index=pd.Index(["59350000AB0123"], name="id"))
    >>> lookup_parcels("59350 AB 123", t)[["id", "commune", "enaf_m2"]].values.tolist()
    [['59350000AB0123', '59350', 150.0]]
    """
    if missing not in ("raise", "ignore"):
        raise DataError(f"lookup_parcels: missing={missing!r} is unknown; use 'raise' or 'ignore'")
    ids = normalize_parcel_refs(refs)
    given = ids.index.to_numpy()
    known = ids.isin(parcel_table.index).to_numpy() & ids.notna().to_numpy()
    if missing == "raise" and not known.all():
        unread = [str(r) for r, i in zip(given, ids, strict=True) if pd.isna(i)]
        absent = [str(i) for i, k in zip(ids, known, strict=True) if pd.notna(i) and not k]
        parts = []
        if unread:
            parts.append(
                f"not cadastral references: {', '.join(map(repr, unread[:10]))} "
                "(expected e.g. 59350000AB0123)"
            )
        if absent:
            communes = sorted({a[:5] for a in absent})
            parts.append(
                f"not among the parcels measured: {', '.join(absent[:10])} "
                f"(communes {', '.join(communes[:10])}: load their parcel files)"
            )
        raise DataError("parcel lookup: " + "; ".join(parts))
    cols = ["commune", "area_m2", "enaf_m2", "artificialised_m2", "enaf_share"]
    cols = [c for c in cols if c in parcel_table.columns]
    found = parcel_table.reindex(ids.fillna("").to_numpy())[cols].reset_index(drop=True)
    out = pd.DataFrame({"ref": given, "id": ids.to_numpy(), "found": known})
    return pd.concat([out, found], axis=1)
