"""Coordinate reference systems: Lambert-93 and the overseas projected systems.

Areas are always computed in a projected CRS: Lambert-93 (EPSG:2154) in mainland
France, and the official projections overseas (DOMAIN.md §3): EPSG:32620
(Guadeloupe, Martinique), EPSG:2972 (Guyane), EPSG:2975 (La Réunion).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyproj import CRS

from .errors import CoordinatesError, CRSError

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

__all__ = ["LAMBERT93", "OVERSEAS_CRS", "check_coordinates", "ensure_crs", "to_projected"]

#: Lambert-93, the legal projection of mainland France.
LAMBERT93 = "EPSG:2154"

#: Projected CRS for overseas départements, keyed by département code.
OVERSEAS_CRS: dict[str, str] = {
    "971": "EPSG:32620",
    "972": "EPSG:32620",
    "973": "EPSG:2972",
    "974": "EPSG:2975",
}


def ensure_crs(gdf: gpd.GeoDataFrame, source: str) -> gpd.GeoDataFrame:
    """Check that a layer has a CRS, or raise an error that says how to fix it.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The layer.
    source : str
        File or layer name, for the message.

    Returns
    -------
    geopandas.GeoDataFrame
        The same layer.

    Raises
    ------
    CRSError
        When the layer has no CRS.
    """
    if gdf.crs is None:
        raise CRSError(
            f"{source}: the layer has no coordinate reference system; "
            "set it on the file (e.g. add a .prj, or ogr2ogr -a_srs EPSG:2154) "
            "or pass crs='EPSG:2154' (or the layer's true CRS) to the loader"
        )
    return gdf


def to_projected(
    gdf: gpd.GeoDataFrame, source: str, target: str | CRS | None = LAMBERT93
) -> gpd.GeoDataFrame:
    """Return the layer in a projected CRS in metres, fit for areas.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The layer; it must carry a CRS.
    source : str
        File or layer name, for messages.
    target : str, pyproj.CRS or None, default "EPSG:2154"
        CRS to reproject to. ``None`` keeps the layer's own CRS, which must then
        be projected.

    Returns
    -------
    geopandas.GeoDataFrame

    Raises
    ------
    CRSError
        When the layer has no CRS, or ``target`` is None and the layer's CRS is
        geographic (degrees), or ``target`` is not a projected CRS.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> g = gpd.GeoDataFrame(geometry=[Point(3.0, 46.5)], crs="EPSG:4326")
    >>> [round(c) for c in to_projected(g, "demo").geometry.iloc[0].coords[0]]
    [700000, 6600000]
    """
    ensure_crs(gdf, source)
    if target is None:
        if not gdf.crs.is_projected:
            raise CRSError(
                f"{source}: the layer is in a geographic CRS ({gdf.crs.to_string()}), "
                "unsuitable for areas; reproject it to Lambert-93 with "
                "to_projected(layer, source, 'EPSG:2154') or pass crs='EPSG:2154'"
            )
        return gdf
    target_crs = CRS.from_user_input(target)
    if not target_crs.is_projected:
        raise CRSError(
            f"{source}: target CRS {target_crs.to_string()} is not projected; "
            "areas need a projected CRS such as EPSG:2154 (Lambert-93)"
        )
    if CRS.from_user_input(gdf.crs) == target_crs:
        return gdf
    return gdf.to_crs(target_crs)


#: CRSs a layer's numbers are compared with when they do not fit the CRS it declares,
#: in order of preference (the first two that fit are suggested).
CRS_GUESSES: tuple[tuple[str, str], ...] = (
    ("EPSG:4326", "WGS 84 longitude/latitude in degrees"),
    ("EPSG:2154", "Lambert-93"),
    ("EPSG:27572", "Lambert II étendu"),
    ("EPSG:3857", "Web Mercator"),
    ("EPSG:2975", "RGR92 / UTM 40S, La Réunion"),
    ("EPSG:2972", "RGFG95 / UTM 22N, Guyane"),
    ("EPSG:32620", "WGS 84 / UTM 20N, Antilles"),
)


def _extent(crs: CRS) -> tuple[float, float, float, float] | None:
    """The area of use of a CRS in its own coordinates, widened by 5 % on each side."""
    from pyproj import Transformer

    area = crs.area_of_use
    if area is None:
        return None
    if crs.is_geographic:
        west, south, east, north = -180.0, -90.0, 180.0, 90.0  # x = longitude as read
    else:
        try:
            west, south, east, north = Transformer.from_crs(
                "EPSG:4326", crs, always_xy=True
            ).transform_bounds(*area.bounds)
        except Exception:  # pragma: no cover - a CRS pyproj cannot project to
            return None
    dx, dy = (east - west) * 0.05, (north - south) * 0.05
    return west - dx, south - dy, east + dx, north + dy


def _fits(bounds, crs: CRS) -> bool:
    ext = _extent(crs)
    if ext is None:
        return True
    x0, y0, x1, y1 = bounds
    return ext[0] <= x0 and x1 <= ext[2] and ext[1] <= y0 and y1 <= ext[3]


def check_coordinates(gdf: gpd.GeoDataFrame, source: str, *, crs=None) -> gpd.GeoDataFrame:
    """Check that a layer's coordinates lie within the area of use of the CRS it declares.

    A GeoJSON holds longitude/latitude by default (RFC 7946): one written with
    Lambert-93 metres and no ``crs`` member is read as WGS 84, and its communes then
    look invalid. Coordinates declared in degrees must lie within ±180/±90 and not
    look like a latitude and a longitude of mainland France swapped; coordinates
    declared projected must not fit the CRS's area of use
    (:attr:`pyproj.CRS.area_of_use`, widened by 5 %) only once x and y are swapped.
    When they are wrong, the CRSs they do fit are named (:data:`CRS_GUESSES`).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
    source : str
        File name, for the message.
    crs : str or pyproj.CRS, optional
        The CRS the caller says the numbers are in: it replaces a declared CRS that
        the coordinates do not fit (a warning says so).

    Returns
    -------
    geopandas.GeoDataFrame
        The layer, with ``crs`` set when it replaced the declared one.

    Raises
    ------
    CoordinatesError
        When the coordinates do not fit the declared CRS (nor ``crs``), or look like
        longitude and latitude swapped; the message says what they fit and the fix.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import Point
    >>> g = gpd.GeoDataFrame(geometry=[Point(700000, 7050000)], crs="EPSG:4326")
    >>> check_coordinates(g, "c.geojson")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    zan.errors.CoordinatesError: c.geojson: the coordinates (x 700,000 to 700,000, y 7,050,000 to 7,050,000) are outside the area of EPSG:4326 (WGS 84)...
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as said:
    ...     check_coordinates(g, "c.geojson", crs="EPSG:2154").crs.to_epsg()
    2154
    >>> "read as EPSG:2154 as asked" in str(said[0].message)
    True
    """
    import warnings

    import numpy as np

    from .errors import ZanWarning

    if gdf.crs is None or len(gdf) == 0:
        return gdf
    bounds = tuple(float(v) for v in gdf.total_bounds)
    if not np.all(np.isfinite(bounds)):
        return gdf
    declared = CRS.from_user_input(gdf.crs)
    x0, y0, x1, y1 = bounds
    if declared.is_geographic:  # degrees: numbers past ±180/±90 cannot be
        swapped = 41 <= x0 and x1 <= 52 and -6 <= y0 and y1 <= 11  # France, lat/lon swapped
        wrong = swapped or not _fits(bounds, declared)
    else:  # toy coordinates (0..1000 m) are common in tests: only swapped axes are caught
        swapped = not _fits(bounds, declared) and _fits((y0, x0, y1, x1), declared)
        wrong = swapped
    if not wrong:
        return gdf
    name = f"{declared.to_string()} ({declared.name})"
    given = CRS.from_user_input(crs) if crs is not None else None
    if given is not None and given != declared and _fits(bounds, given):
        warnings.warn(
            f"{source}: the coordinates do not fit the declared {name}; read as "
            f"{given.to_string()} as asked (crs=)",
            ZanWarning,
            stacklevel=3,
        )
        return gdf.set_crs(given, allow_override=True)
    where = f"x {x0:,.0f} to {x1:,.0f}, y {y0:,.0f} to {y1:,.0f}"
    if max(abs(v) for v in bounds) < 1000:
        where = f"x {x0:.4f} to {x1:.4f}, y {y0:.4f} to {y1:.4f}"
    if swapped:
        raise CoordinatesError(
            f"{source}: x and y look swapped ({where}): for {name} x is "
            f"{'the longitude' if declared.is_geographic else 'the easting'} and y "
            f"{'the latitude' if declared.is_geographic else 'the northing'}; swap the "
            "coordinates in a GIS (a GeoJSON holds longitude, latitude: RFC 7946)"
        )
    fits = [(code, label) for code, label in CRS_GUESSES if _fits(bounds, CRS(code))]
    fits = [f for f in fits if f[0] != declared.to_string()][:2]
    if fits:
        code = fits[0][0]
        number = code.split(":")[1]
        looks = " or ".join(f"{c} ({label})" for c, label in fits)
        fix = (
            f"they look like {looks}; if they are {code}, declare it in the file "
            f"(ogr2ogr -a_srs {code}) or pass crs='{code}' (--crs {number}) to read them so"
        )
    else:
        fix = "declare the file's true CRS, or pass crs= (--crs EPSG code) to read it so"
    declared_how = "declared by the file or GeoJSON's default"
    raise CoordinatesError(
        f"{source}: the coordinates ({where}) are outside the area of {name}, the CRS "
        f"{declared_how}; {fix}"
    )
