"""Interactive maps for planners and governance conferences.

Every map is a :class:`folium.Map` that works offline (Leaflet and zan's small
decoder are inlined, no CDN, no tiles unless asked), stays light (coverage
simplification in Lambert-93 and a compact geometry encoding), explains itself
in French (legend with units, tooltips, allocation breakdown in popups) and
escapes every text that comes from data.

=====================  ==========================================================
:func:`choropleth`     any indicator per territory, in classes (mapclassify's schemes)
:func:`status_map`     trajectory status (on track / will exceed / exceeded)
:func:`scenario_layers` several scenarios on one map, differences B − A
:func:`side_by_side`   two scenarios on synchronised maps
:func:`atlas`          several maps in one offline page with a menu
:func:`to_png`         static map for reports (matplotlib)
:func:`save`           atomic write of a map or page
:func:`map_files`      a table file on a territory file, or on communes dissolved by level (``zan map``)
:func:`data_credit`    the source line, named after the data used (demo, Cerema release, boundaries)
:func:`prefetch`       prepare a layer's geometry in the background for a map to come
=====================  ==========================================================
"""

from __future__ import annotations

from typing import Any

import geopandas as gpd
import pandas as pd

from ._base import ZanMap, index_by_code, save
from ._classify import SCHEMES, classify
from ._geometry import prefetch
from ._text import credit_line, format_number
from .atlas import atlas
from .choropleth import choropleth, default_cmap, regional_rate
from .compare import scenario_layers, side_by_side
from .credits import data_credit
from .files import map_files
from .png import to_png
from .status import STATUS_COLOURS, STATUS_HATCHES, status_map

__all__ = [
    "SCHEMES",
    "STATUS_COLOURS",
    "STATUS_HATCHES",
    "ZanMap",
    "allocation_map",
    "atlas",
    "choropleth",
    "classify",
    "credit_line",
    "data_credit",
    "default_cmap",
    "format_number",
    "index_by_code",
    "map_files",
    "prefetch",
    "regional_rate",
    "save",
    "scenario_layers",
    "side_by_side",
    "status_map",
    "to_png",
    "trajectory_map",
    "explore_allocation",
]


def allocation_map(
    allocation: Any,
    gdf: gpd.GeoDataFrame,
    *,
    column: str = "envelope_ha",
    explain: bool = False,
    **kwargs: Any,
) -> ZanMap:
    """Map an allocation (``zan.allocate.Allocation`` or its ``table``).

    The popup of each territory shows the breakdown: reference consumption,
    each criterion's contribution, floor and cap, bound applied, garantie
    communale; with ``explain=True`` also the text of ``allocation.explain(code)``,
    written by the page when the popup opens from compact figures
    (:func:`zan.allocation_explain.explain_data`), for an :class:`~zan.Allocation`.

    Parameters
    ----------
    allocation : Allocation or DataFrame
        An object with a ``table`` attribute indexed by code, or that table.
    gdf : geopandas.GeoDataFrame
        Territories of the allocation's level, indexed by code.
    column : str, default "envelope_ha"
        Column mapped (``reduction_pct`` for the rates).
    explain : bool, default False
        Add ``allocation.explain(code)`` to each popup (for an Allocation, written in
        the page on demand; otherwise one call per territory).
    **kwargs
        :func:`choropleth` options.

    Returns
    -------
    ZanMap

    Examples
    --------
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame(
    ...     {"nom": ["Amont", "Aval"]},
    ...     geometry=[box(650000, 6900000, 660000, 6910000), box(660000, 6900000, 670000, 6910000)],
    ...     index=pd.Index(["59001", "59002"], name="code"), crs="EPSG:2154")
    >>> t = pd.DataFrame({"reference_ha": [20.0, 40.0], "envelope_ha": [10.0, 15.0],
    ...                   "floor_ha": [1.0, 1.0], "bound": ["none", "none"]}, index=g.index)
    >>> "Détail du calcul" in allocation_map(t, g, k=2).get_root().render()
    True
    """
    table = getattr(allocation, "table", allocation)
    popup = kwargs.pop("popup", None)
    if explain and hasattr(allocation, "tables") and hasattr(allocation, "level_table"):
        from ..allocation_explain import explain_data  # written in the page, on demand

        popup = explain_data(allocation)
    elif explain and hasattr(allocation, "explain"):
        popup = pd.Series({code: str(allocation.explain(code)) for code in table.index})
    return choropleth(gdf, column, values=table, popup=popup, **kwargs)


def explore_allocation(
    allocation: Any, column: str = "envelope_ha", *, level: str | None = None, **kwargs: Any
) -> ZanMap:
    """Interactive offline map of an allocation's level (``Allocation.explore``).

    The allocation's own level gets the :meth:`~zan.Allocation.explain` text in its
    popups and the allocation's credit line (:func:`zan.maps.credits.allocation_credit`)
    unless ``credit`` is given; ``kwargs`` go to :func:`allocation_map`.

    Raises
    ------
    ScenarioError
        When the allocation was computed without territories (no geometry).
    """
    from ..errors import ScenarioError
    from .credits import allocation_credit

    if allocation.territories is None:
        raise ScenarioError(
            "this allocation has no territories, so no geometry to map; "
            "run it from a scenario (run_scenario) or pass territories to allocate()"
        )
    level = level or allocation.level
    source = allocation if level == allocation.level else allocation.level_table(level)
    kwargs.setdefault("explain", level == allocation.level)
    if "credit" not in kwargs:
        kwargs["credit"] = allocation_credit(allocation)
    return allocation_map(source, allocation.territories.geometries(level), column=column, **kwargs)


def trajectory_map(
    table: pd.DataFrame, gdf: gpd.GeoDataFrame, *, column: str = "status", **kwargs: Any
) -> ZanMap:
    """Map a trajectory table (``zan.trajectory``): the status, or any of its columns.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame(
    ...     {"nom": ["Amont"]}, geometry=[box(650000, 6900000, 660000, 6910000)],
    ...     index=pd.Index(["59001"], name="code"), crs="EPSG:2154")
    >>> t = pd.DataFrame({"status": ["will_exceed"], "used_pct": [80.0]}, index=g.index)
    >>> "Dépassement prévu" in trajectory_map(t, g).get_root().render()
    True
    """
    if column == "status":
        return status_map(gdf, values=table, **kwargs)
    return choropleth(gdf, column, values=table, **kwargs)
