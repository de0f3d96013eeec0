"""The intersection engine and the zones measured (communes or plain zones).

Measurements are exact polygon intersections with the territories, computed once per
(polygon, territory) pair: pairs where the territory contains the polygon are counted
whole (a prepared containment test), and only the pairs on a boundary are intersected.
Shared by :mod:`zan.measure.artificialisation`, :mod:`zan.measure.parcels` and
:mod:`zan.measure.raster`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from ..errors import CRSError, DataError

__all__ = [
    "Zones",
    "geom_array",
    "intersection_areas",
    "intersection_pieces",
    "prepare_zones",
    "require_overlap",
    "zone_area",
]


# ---------------------------------------------------------------------- intersection engine


def geom_array(obj: Any) -> np.ndarray:
    """The geometries of a GeoDataFrame, GeoSeries or sequence as a numpy object array.

    Examples
    --------
    >>> import shapely
    >>> geom_array([shapely.Point(0, 0)]).dtype
    dtype('O')
    """
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
        geom_array(left), geom_array(right), "area", progress, chunk_size, "intersections"
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
        geom_array(left), geom_array(right), "geometry", progress, chunk_size, "pieces"
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
            from ..io.geometry import polygonal_pieces

            arr = np.asarray(gdf.geometry.array, dtype=object).copy()
            arr[mixed] = polygonal_pieces(arr[mixed])
            gdf = gdf.set_geometry(gpd.GeoSeries(arr, index=gdf.index, crs=crs))
    return gdf.reset_index(drop=True)


# ---------------------------------------------------------------------- zones


@dataclass(frozen=True)
class Zones:
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


def prepare_zones(zones: Any, level: str | None, crs: Any, source: str = "zones") -> Zones:
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
    return Zones(gdf=gdf, level=level, names=names, group=group, notes=tuple(notes))


def zone_area(z: Zones) -> pd.Series:
    """Area of each zone, in the zones' CRS units (m² in Lambert-93)."""
    return pd.Series(shapely.area(geom_array(z.gdf)), index=z.gdf.index, dtype="float64")


def require_overlap(pairs: pd.DataFrame, layer: gpd.GeoDataFrame, z: Zones, source: str) -> None:
    """Raise :class:`zan.errors.DataError` when no polygon of ``layer`` meets the zones."""
    if len(pairs) == 0 or float(pairs["area_m2"].sum()) == 0.0:
        lb = tuple(round(v) for v in layer.total_bounds)
        zb = tuple(round(v) for v in z.gdf.total_bounds)
        raise DataError(
            f"{source}: no polygon intersects the territories (layer bounds {lb}, territory "
            f"bounds {zb}, {CRS.from_user_input(layer.crs).to_string()}); check that the layer "
            "covers these territories (right département, right CRS)"
        )
