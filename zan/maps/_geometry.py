"""Light geometry for web maps: coverage simplification and a compact encoding.

The commune layer is simplified in its projected CRS (Lambert-93) with
:func:`shapely.coverage_simplify`, which keeps shared borders shared (no gaps,
no overlaps), then reprojected to WGS84 and snapped to an integer grid. Each ring
is written as zig-zag varints of coordinate deltas in a URL-safe base-64
alphabet (5 payload bits and a continuation bit per character), decoded in the
browser by ``zan/maps/static/zan.js``. Shared vertices snap to the same grid
point on both sides of a border, so the decoded polygons still tile the region.

The stream format (keys of the dictionary returned by :func:`encode`):

``x0``, ``y0``, ``s``
    Origin (degrees of longitude and latitude) and grid step (degrees).
``p``
    Number of polygons of each feature.
``r``
    Number of rings of each polygon (the first is the shell).
``n``
    Number of vertices of each ring, the closing vertex left out.
``c``
    Vertex coordinates as (x, y) integer deltas from the previous vertex,
    running on from one ring to the next.
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..crs import LAMBERT93, to_projected
from ..errors import GeometryError

__all__ = [
    "auto_tolerance",
    "simplify",
    "encode",
    "decode",
    "encode_points",
    "decode_points",
    "overlap_pct",
    "MapGeometry",
    "prefetch",
    "names_of",
    "project_for_map",
]

#: Column names recognised as territory names, in order of preference.
NAME_COLUMNS = ("nom", "name", "libelle", "nom_commune", "nom_com", "lib")

_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_ALPHABET_ARRAY = np.frombuffer(_ALPHABET, dtype=np.uint8)
_LOOKUP = np.full(256, 255, dtype=np.uint8)
_LOOKUP[_ALPHABET_ARRAY] = np.arange(64, dtype=np.uint8)

#: Default ratio between the map extent and the simplification tolerance: the
#: Hauts-de-France extent (250 km) gives 100 m, about one screen pixel when the
#: whole region fills a 1920-pixel screen.
EXTENT_DIVISOR = 2500

#: Grid step as a fraction of the tolerance (25 m for a 100 m tolerance: a quarter
#: of a pixel when the whole region is on screen).
STEP_FRACTION = 0.25

_M_PER_DEGREE = 111_320.0


def auto_tolerance(bounds: np.ndarray | tuple[float, float, float, float]) -> float:
    """Simplification tolerance (metres) for a map of the given projected extent.

    Parameters
    ----------
    bounds : array-like of 4 floats
        ``(minx, miny, maxx, maxy)`` in a projected CRS in metres.

    Returns
    -------
    float
        The larger side of the extent divided by :data:`EXTENT_DIVISOR`.

    Examples
    --------
    >>> auto_tolerance((0, 0, 250_000, 200_000))
    100.0
    """
    minx, miny, maxx, maxy = (float(v) for v in bounds)
    return max(maxx - minx, maxy - miny) / EXTENT_DIVISOR


def simplify(
    gdf: gpd.GeoDataFrame, *, tolerance: float | None = None, source: str = "territories"
) -> gpd.GeoSeries:
    """Simplify a polygon coverage in its projected CRS, keeping shared borders shared.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Polygons forming a coverage (communes, EPCI, ...), in any CRS; a
        geographic layer is projected to Lambert-93 first.
    tolerance : float, optional
        Tolerance in metres (:func:`shapely.coverage_simplify`); by default
        :func:`auto_tolerance` of the layer's extent. ``0`` keeps every vertex.
    source : str, default "territories"
        Layer name for error messages.

    Returns
    -------
    geopandas.GeoSeries
        Simplified polygons in the projected CRS, on the input's index.

    Raises
    ------
    GeometryError
        When a geometry is missing, empty or not polygonal.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame(geometry=[box(0, 0, 1000, 1000)], crs="EPSG:2154")
    >>> simplify(g).iloc[0].area
    1000000.0
    """
    projected = project_for_map(gdf, source)
    geoms = projected.geometry.values
    _check_polygonal(projected, source)
    if tolerance is None:
        tolerance = auto_tolerance(projected.total_bounds)
    if tolerance < 0:
        raise GeometryError(
            f"{source}: simplification tolerance must be >= 0 metres (got {tolerance!r}); "
            "pass tolerance=None for the automatic value"
        )
    out = np.asarray(geoms) if tolerance == 0 else shapely.coverage_simplify(geoms, tolerance)
    bad = ~shapely.is_valid(out)
    if bad.any():
        out = out.copy()
        out[bad] = shapely.make_valid(out[bad], method="structure", keep_collapsed=False)
    return gpd.GeoSeries(out, index=projected.index, crs=projected.crs)


def encode(geoms: np.ndarray, *, step: float) -> dict:
    """Encode WGS84 polygons as a compact quantized delta stream.

    Parameters
    ----------
    geoms : numpy.ndarray of shapely Polygon or MultiPolygon
        Longitude/latitude polygons.
    step : float
        Grid step in degrees.

    Returns
    -------
    dict
        Keys ``x0``, ``y0``, ``s``, ``p``, ``r``, ``n``, ``c`` (see the module
        docstring).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> spec = encode(np.array([box(2.0, 50.0, 2.01, 50.01)]), step=0.001)
    >>> spec["p"], spec["r"], spec["n"]
    ('C', 'C', 'I')
    >>> decode(spec)[0].bounds
    (2.0, 50.0, 2.01, 50.01)
    """
    geoms = np.asarray(geoms, dtype=object)
    if len(geoms) == 0:
        return {"x0": 0.0, "y0": 0.0, "s": step, "p": "", "r": "", "n": "", "c": ""}
    minx, miny = shapely.total_bounds(geoms)[:2]
    x0 = float(np.floor(minx / step) * step)
    y0 = float(np.floor(miny / step) * step)
    grid = shapely.transform(geoms, lambda c: (c - (x0, y0)) / step)
    grid = _snap(grid)
    empty = shapely.is_empty(grid)
    if empty.any():
        # a feature smaller than the grid step: keep one tiny triangle so it stays drawable
        pts = shapely.get_coordinates(shapely.point_on_surface(geoms[empty]))
        pts = np.round((pts - (x0, y0)) / step)
        grid[empty] = shapely.polygons(np.stack([pts, pts + (1, 0), pts + (0, 1), pts], axis=1))
    grid = _as_multi(grid)
    _, coords, (ring_off, poly_off, geom_off) = shapely.to_ragged_array(grid)
    ring_len = np.diff(ring_off)
    keep = np.ones(len(coords), dtype=bool)
    keep[ring_off[1:] - 1] = False  # closing vertex
    ints = coords[keep].astype(np.int64)
    deltas = np.diff(ints, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    return {
        "x0": x0,
        "y0": y0,
        "s": step,
        "p": _varints(np.diff(geom_off)),
        "r": _varints(np.diff(poly_off)),
        "n": _varints(ring_len - 1),
        "c": _varints(deltas.reshape(-1)),
    }


#: From this many territories (a national map of communes), vertices are rounded to the
#: grid directly and only the polygons that this leaves invalid go through GEOS's
#: precision reducer (six times faster on 35,000 communes; the same shapes, the vertices
#: of each ring possibly in another order). Smaller maps keep the reducer for all.
SNAP_ROUND_FROM = 10_000


def _snap(grid: np.ndarray) -> np.ndarray:
    """Snap polygons in grid units to the integer grid, keeping them valid."""
    if len(grid) >= SNAP_ROUND_FROM:
        rounded = shapely.remove_repeated_points(shapely.transform(grid, np.round))
        bad = ~shapely.is_valid(rounded) | shapely.is_empty(rounded)
        if bad.any():
            rounded[bad] = _snap_reduce(grid[bad])
        return rounded
    return _snap_reduce(grid)


def _snap_reduce(grid: np.ndarray) -> np.ndarray:
    try:
        return shapely.set_precision(grid, 1.0)  # snap to the grid, keeping polygons valid
    except shapely.errors.GEOSException:
        return shapely.set_precision(shapely.make_valid(grid), 1.0)


def _as_multi(grid: np.ndarray) -> np.ndarray:
    """Cast polygons to one-part multipolygons (vectorised by type)."""
    single = shapely.get_type_id(grid) == 3
    if single.any():
        grid = grid.copy()
        grid[single] = shapely.multipolygons(
            grid[single].reshape(-1), indices=np.arange(int(single.sum()))
        )
    return grid


def decode(spec: dict) -> np.ndarray:
    """Decode a stream written by :func:`encode` back to WGS84 multipolygons.

    Parameters
    ----------
    spec : dict
        Output of :func:`encode`.

    Returns
    -------
    numpy.ndarray of shapely MultiPolygon

    Examples
    --------
    >>> from shapely.geometry import box
    >>> spec = encode(np.array([box(0, 0, 1, 1), box(1, 0, 2, 1)]), step=0.5)
    >>> [g.area for g in decode(spec)]
    [1.0, 1.0]
    """
    polys = _unvarints(spec["p"])
    if len(polys) == 0:
        return np.array([], dtype=object)
    rings = _unvarints(spec["r"])
    counts = _unvarints(spec["n"])
    ints = np.cumsum(_unvarints(spec["c"]).reshape(-1, 2), axis=0)
    xy = ints * spec["s"] + (spec["x0"], spec["y0"])
    # re-insert the closing vertex of every ring
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    closed = np.insert(xy, np.cumsum(counts), xy[starts], axis=0)
    ring_off = np.concatenate([[0], np.cumsum(counts + 1)])
    poly_off = np.concatenate([[0], np.cumsum(rings)])
    geom_off = np.concatenate([[0], np.cumsum(polys)])
    return shapely.from_ragged_array(
        shapely.GeometryType.MULTIPOLYGON, closed, (ring_off, poly_off, geom_off)
    )


def encode_points(latlon: np.ndarray, spec: dict) -> str:
    """Encode ``(n, 2)`` latitude/longitude points on the grid of ``spec`` (delta varints).

    Examples
    --------
    >>> spec = {"x0": 2.0, "y0": 50.0, "s": 0.001}
    >>> decode_points(encode_points(np.array([[50.01, 2.02]]), spec), spec).tolist()
    [[50.01, 2.02]]
    """
    pts = np.asarray(latlon, dtype=float).reshape(-1, 2)
    ints = np.round((pts[:, ::-1] - (spec["x0"], spec["y0"])) / spec["s"]).astype(np.int64)
    return _varints(np.diff(ints, axis=0, prepend=np.zeros((1, 2), dtype=np.int64)).reshape(-1))


def decode_points(text: str, spec: dict) -> np.ndarray:
    """Inverse of :func:`encode_points`: ``(n, 2)`` latitude/longitude."""
    ints = np.cumsum(_unvarints(text).reshape(-1, 2), axis=0)
    xy = ints * spec["s"] + (spec["x0"], spec["y0"])
    return np.round(xy[:, ::-1], 7)


def overlap_pct(geoms: np.ndarray | gpd.GeoSeries) -> float:
    """Overlap area between polygons, as a percentage of the area they cover.

    ``(sum of areas - area of the union) / area of the union * 100``: 0 for a
    clean coverage. Use a projected CRS.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> round(overlap_pct(np.array([box(0, 0, 2, 1), box(1, 0, 3, 1)])), 2)
    33.33
    """
    geoms = np.asarray(geoms, dtype=object)
    union = shapely.union_all(geoms).area
    if union == 0:
        return 0.0
    return float((shapely.area(geoms).sum() - union) / union * 100)


def _varints(values: np.ndarray) -> str:
    """Zig-zag varint encoding of integers in the URL-safe base-64 alphabet."""
    v = np.asarray(values, dtype=np.int64)
    if len(v) == 0:
        return ""
    u = ((v << 1) ^ (v >> 63)).astype(np.uint64)
    ndig = np.ones(len(u), dtype=np.int64)
    for k in range(1, 13):
        ndig += u >= np.uint64(32**k)
    idx = np.repeat(np.arange(len(u)), ndig)
    first = np.cumsum(ndig) - ndig
    pos = np.arange(int(ndig.sum())) - np.repeat(first, ndig)
    digit = (u[idx] >> (5 * pos).astype(np.uint64)) & np.uint64(31)
    digit = digit.astype(np.uint8) | np.where(pos < ndig[idx] - 1, 32, 0).astype(np.uint8)
    return _ALPHABET_ARRAY[digit].tobytes().decode("ascii")


def _unvarints(text: str) -> np.ndarray:
    """Inverse of :func:`_varints`."""
    if not text:
        return np.array([], dtype=np.int64)
    d = _LOOKUP[np.frombuffer(text.encode("ascii"), dtype=np.uint8)].astype(np.uint64)
    if (d == 255).any():
        raise GeometryError("encoded geometry: unexpected character; re-encode the layer")
    end = (d & np.uint64(32)) == 0
    group = np.concatenate([[0], np.cumsum(end)[:-1]])
    starts = np.flatnonzero(np.concatenate([[True], end[:-1]]))
    pos = np.arange(len(d)) - starts[group]
    payload = (d & np.uint64(31)) << (np.uint64(5) * pos.astype(np.uint64))
    u = np.add.reduceat(payload, starts).astype(np.int64)
    return (u >> 1) ^ -(u & 1)


def names_of(frame: pd.DataFrame) -> list[str]:
    """Territory names from the usual name columns, else the codes."""
    lower = {str(c).lower(): c for c in frame.columns}
    col = next((lower[c] for c in NAME_COLUMNS if c in lower), None)
    codes = pd.Series(frame.index.astype(str), index=frame.index)
    if col is None:
        return codes.tolist()
    names = frame[col].astype("string")
    return names.where(names.notna(), codes).astype(object).tolist()


def project_for_map(gdf: gpd.GeoDataFrame, source: str) -> gpd.GeoDataFrame:
    """The layer in its projected CRS, or in Lambert-93 when it has none or a geographic one."""
    if gdf.crs is not None and gdf.crs.is_projected:
        return to_projected(gdf, source, target=None)
    return to_projected(gdf, source, LAMBERT93)


def _check_polygonal(gdf: gpd.GeoDataFrame, source: str) -> None:
    geoms = gdf.geometry.values
    missing = shapely.is_missing(np.asarray(geoms)) | shapely.is_empty(np.asarray(geoms))
    ok = np.isin(shapely.get_type_id(np.asarray(geoms)), (3, 6))
    bad = missing | ~ok
    if bad.any():
        rows = ", ".join(map(str, gdf.index[bad][:5]))
        raise GeometryError(
            f"{source}: {int(bad.sum())} geometries are empty or not polygons "
            f"(rows {rows}); drop them or repair the layer (e.g. with make_valid)"
        )


@dataclass(frozen=True)
class MapGeometry:
    """Territories ready for a web map: encoded shapes, bounds and label points.

    Attributes
    ----------
    codes : list of str
        Territory codes, in feature order.
    names : list of str
        Territory names, in feature order.
    spec : dict
        Encoded geometry (see :func:`encode`).
    bounds : list
        ``[[south, west], [north, east]]`` in degrees.
    label_points : numpy.ndarray
        ``(n, 2)`` latitude, longitude of a point inside each territory.
    area_ha : numpy.ndarray
        Area of each territory (hectares, projected CRS, before simplification).
    tolerance_m : float
        Simplification tolerance used, in metres.
    """

    codes: list[str]
    names: list[str]
    spec: dict
    bounds: list
    label_points: np.ndarray
    area_ha: np.ndarray
    tolerance_m: float

    @classmethod
    def build(
        cls,
        gdf: gpd.GeoDataFrame,
        names: list[str],
        *,
        tolerance: float | None = None,
        source: str = "territories",
    ) -> MapGeometry:
        """Simplify, reproject and encode a layer indexed by territory code.

        The result is kept for the last few layers (keyed by their codes, names,
        CRS, tolerance and the bytes of every geometry), so that maps drawn again of
        the same territories (an atlas, a notebook redrawing after each change, a
        layer prepared ahead by :func:`prefetch`) skip the simplification. The
        result is shared: treat it as read-only.
        """
        projected = project_for_map(gdf, source)
        key = _layer_key(projected, names, tolerance)
        with _CACHE_LOCK:
            future = _CACHE.get(key)
            owner = future is None
            if owner:
                future = Future()
                _CACHE[key] = future
                while len(_CACHE) > _CACHE_SIZE:
                    _CACHE.popitem(last=False)
            else:
                _CACHE.move_to_end(key)
        if not owner:
            return future.result()
        try:
            built = cls._build(projected, names, tolerance=tolerance, source=source)
        except BaseException as exc:
            with _CACHE_LOCK:
                if _CACHE.get(key) is future:
                    del _CACHE[key]
            future.set_exception(exc)
            raise
        future.set_result(built)
        return built

    @classmethod
    def _build(
        cls,
        projected: gpd.GeoDataFrame,
        names: list[str],
        *,
        tolerance: float | None,
        source: str,
    ) -> MapGeometry:
        _check_polygonal(projected, source)
        tol = auto_tolerance(projected.total_bounds) if tolerance is None else float(tolerance)
        simple = simplify(projected, tolerance=tol, source=source)
        wgs = simple.to_crs(4326)
        step = max(tol * STEP_FRACTION, 0.05) / _M_PER_DEGREE
        spec = encode(wgs.values, step=step)
        inside = gpd.GeoSeries(shapely.point_on_surface(simple.values), crs=simple.crs).to_crs(4326)
        minx, miny, maxx, maxy = wgs.total_bounds
        return cls(
            codes=[str(c) for c in projected.index.tolist()],
            names=list(names),
            spec=spec,
            bounds=[[float(miny), float(minx)], [float(maxy), float(maxx)]],
            label_points=np.round(np.column_stack([inside.y, inside.x]), 5),
            area_ha=shapely.area(projected.geometry.values) / 10_000,
            tolerance_m=tol,
        )


#: Layers whose map geometry is kept (most recent last).
_CACHE: OrderedDict[str, Future] = OrderedDict()
_CACHE_LOCK = threading.Lock()
_CACHE_SIZE = 4


def _layer_key(projected: gpd.GeoDataFrame, names: list[str], tolerance: float | None) -> str:
    h = hashlib.sha256()
    crs = projected.crs
    h.update(str(crs.to_wkt() if crs is not None else None).encode())
    h.update(repr(None if tolerance is None else float(tolerance)).encode())
    h.update("\x1f".join(map(str, projected.index)).encode())
    h.update("\x1f".join(map(str, names)).encode())
    for wkb in shapely.to_wkb(projected.geometry.values):
        h.update(b"\x00" if wkb is None else wkb)
    return h.hexdigest()


def prefetch(
    gdf: gpd.GeoDataFrame | Callable[[], gpd.GeoDataFrame], *, tolerance: float | None = None
) -> threading.Thread:
    """Prepare a layer's map geometry in a background thread, for a map drawn later.

    Shapely and pyproj release the GIL, so the simplification runs beside other
    work (an analysis) on another core; the map drawn afterwards finds it ready
    (:meth:`MapGeometry.build`). Errors are not raised here: the map raises them.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame, or a function returning one
        Territories indexed by code (as given to the map); a function is called in
        the background thread too (e.g. ``lambda: territories.geometries("epci")``).
    tolerance : float, optional
        As in :func:`simplify`.

    Returns
    -------
    threading.Thread
        The started (daemon) thread.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame({"nom": ["A"]}, geometry=[box(650000, 6860000, 651000, 6861000)],
    ...                      index=["96001"], crs="EPSG:2154")
    >>> prefetch(g).join()
    >>> MapGeometry.build(g, ["A"]).codes
    ['96001']
    """

    def run() -> None:
        try:
            layer = gdf() if callable(gdf) else gdf
            MapGeometry.build(layer, names_of(layer), tolerance=tolerance)
        except Exception:  # noqa: BLE001 - raised again when the map is drawn
            pass

    thread = threading.Thread(target=run, name="zan-map-prefetch", daemon=True)
    thread.start()
    return thread
