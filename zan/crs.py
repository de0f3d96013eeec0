"""Coordinate reference systems: Lambert-93 and the overseas projected systems.

Areas are always computed in a projected CRS: Lambert-93 (EPSG:2154) in mainland
France, and the official projections overseas (DOMAIN.md §3): EPSG:32620
(Guadeloupe, Martinique), EPSG:2972 (Guyane), EPSG:2975 (La Réunion).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from pyproj import CRS

from .errors import CRSError

if TYPE_CHECKING:  # pragma: no cover
    import geopandas as gpd

__all__ = ["LAMBERT93", "OVERSEAS_CRS", "ensure_crs", "to_projected"]

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
