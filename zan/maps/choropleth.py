"""Choropleth of any indicator per territory, offline and light."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd

from ..formatting import NOT_AVAILABLE
from ._base import (
    MapBuilder,
    ZanMap,
    allocation_fields,
    field,
    fields_from,
    is_allocation,
    join_values,
    numeric,
    text_field,
)
from ._classify import NA_COLOUR, Classes, classify
from ._geometry import names_of
from ._legend import legend_html
from ._text import decimals_of, format_number, label_of, unit_of

__all__ = ["choropleth", "default_cmap", "regional_rate"]

Outlines = Sequence[gpd.GeoDataFrame] | Mapping[str, gpd.GeoDataFrame] | gpd.GeoDataFrame | None


def default_cmap(column: str) -> str:
    """Colour scheme suited to an indicator.

    Diverging (``RdBu_r``, centred) for reduction rates and differences,
    sequential ``OrRd`` for other percentages, sequential ``YlGnBu`` for
    hectares and anything else.

    Examples
    --------
    >>> default_cmap("reduction_pct"), default_cmap("used_pct"), default_cmap("envelope_ha")
    ('RdBu_r', 'OrRd', 'YlGnBu')
    """
    if "reduction" in column or column.startswith(("diff", "ecart")):
        return "RdBu_r"
    if column.endswith("_pct"):
        return "OrRd"
    return "YlGnBu"


def regional_rate(frame: pd.DataFrame) -> float | None:
    """Reduction rate of the whole map, in %: ``100 × (1 − Σ envelope / Σ reference)``.

    ``None`` when the frame lacks ``envelope_ha`` or ``reference_ha``.

    Examples
    --------
    >>> regional_rate(pd.DataFrame({"envelope_ha": [40.0, 10.0], "reference_ha": [80.0, 20.0]}))
    50.0
    """
    if not {"envelope_ha", "reference_ha"} <= set(frame.columns):
        return None
    ref = float(np.nansum(frame["reference_ha"].to_numpy(dtype=float, na_value=np.nan)))
    env = float(np.nansum(frame["envelope_ha"].to_numpy(dtype=float, na_value=np.nan)))
    return None if ref <= 0 else 100.0 * (1.0 - env / ref)


def choropleth(
    gdf: gpd.GeoDataFrame,
    column: str,
    *,
    values: pd.DataFrame | pd.Series | None = None,
    scheme: str = "quantiles",
    k: int = 5,
    bins: Sequence[float] | None = None,
    cmap: str | Sequence[str] | None = None,
    center: float | None = None,
    title: str | None = None,
    credit: str | None = "Calcul zan",
    legend_title: str | None = None,
    unit: str | None = None,
    outlines: Outlines = None,
    labels: bool | int | Sequence[str] | None = None,
    tooltip: Sequence[str] | Mapping[str, str] | None = None,
    popup: bool | Sequence[str] | Mapping[str, str] | pd.Series | None = None,
    tiles: str | None = None,
    conference: bool = False,
    tolerance: float | None = None,
    renderer: str = "svg",
    layer_name: str | None = None,
) -> ZanMap:
    """Map an indicator per territory, in classes, with a French legend and tooltips.

    The page needs no network (Leaflet is inlined, no tiles by default), the
    geometry is coverage-simplified and compactly encoded (see
    :mod:`zan.maps._geometry`), and every text from the data is escaped.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Territories indexed by code (``Territories.geometries(level)``), or with
        a code column among the usual names (see :func:`index_by_code`).
    column : str
        Column to map, from ``values`` or ``gdf`` (``envelope_ha``,
        ``reduction_pct``, ``used_pct``, ...).
    values : DataFrame or Series, optional
        Table indexed by territory code (an allocation or trajectory table),
        joined on ``gdf``'s index. Territories without a value are drawn grey
        ("non renseigné").
    scheme : {"quantiles", "natural_breaks", "equal_interval", "user"}
        Classification (mapclassify's schemes); ``"user"`` takes ``bins``.
    k : int, default 5
        Number of classes.
    bins : sequence of float, optional
        Upper class bounds for ``scheme="user"``.
    cmap : str or sequence of str, optional
        ColorBrewer name or colours; default from :func:`default_cmap`.
    center : float, optional
        Centre of a diverging scale. For ``reduction_pct`` it defaults to the
        regional rate (:func:`regional_rate`) when the table allows, else the
        median.
    title : str, optional
        Title shown at the top of the map.
    credit : str, optional
        Source line, e.g. ``credit_line(scenario="SRADDET")`` →
        ``"Sources : Cerema, IGN ; calcul zan, scénario SRADDET"``.
    legend_title, unit : str, optional
        Legend title and unit; default from the column (:data:`LABELS`).
    outlines : GeoDataFrame, list or dict of GeoDataFrame, optional
        Upper-level territories whose borders are drawn on top (EPCI over
        communes, SCoT over EPCI, département); a dict names them in the layer
        control. The first level's names are shown when it has at most 40
        territories.
    labels : bool, int or sequence of str, optional
        Names shown on the map: all (``True``), the ``n`` largest territories,
        or the listed codes. Default: all when there are at most 40. They are
        placed largest territory first; a name whose box would meet one already
        placed, a control or (in conference mode) the side panel is hidden and
        shown while its territory is hovered (placed again on zoom and resize).
    tooltip : sequence of str or dict, optional
        Columns to show on hover (a dict gives French aliases). Default: the
        mapped figure and the reduction rate when present.
    popup : bool, sequence, dict or Series, optional
        Fields shown on click. Default: the breakdown of an allocation (reference,
        each criterion, envelope, floor/cap, bound, garantie communale) when the
        table is one. A Series of text per code (e.g. from
        ``Allocation.explain``) is shown as escaped text under the fields.
    tiles : str, optional
        Background tiles for users online (``"OpenStreetMap"`` or any
        xyzservices name). Default none: the page works offline.
    conference : bool, default False
        Projector mode: fullscreen button, large legend, labels and tooltips; the
        title, layer list, legend, credit and a compact scenario switcher (arrow
        keys, the current scenario named in large type) sit in a side panel, and
        the map is fitted to the space the panel leaves, so no control covers the
        territory (``static/zan_conf.js``, ``static/zan_conf.css``).
    tolerance : float, optional
        Simplification tolerance in metres; default from the map extent.
    renderer : {"svg", "canvas"}
        Leaflet renderer.
    layer_name : str, optional
        Name of the layer in the layer control.

    Returns
    -------
    ZanMap
        A :class:`folium.Map`; write it with :func:`zan.maps.save`.

    Raises
    ------
    SchemaError
        Column missing or not numeric, no code in common, unknown scheme.
    GeometryError
        Empty or non-polygonal geometries.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame(
    ...     {"nom": ["Amont", "Aval"], "envelope_ha": [12.5, 30.0]},
    ...     geometry=[box(650000, 6900000, 660000, 6910000), box(660000, 6900000, 670000, 6910000)],
    ...     index=pd.Index(["59001", "59002"], name="code"), crs="EPSG:2154")
    >>> m = choropleth(g, "envelope_ha", k=2, title="Enveloppes")
    >>> "Enveloppe 2021-2030 (ha)" in m.get_root().render()
    True
    """
    frame = join_values(gdf, values, [column])
    y = numeric(frame, column)
    decimals = decimals_of(column, y)
    cmap = cmap if cmap is not None else default_cmap(column)
    note = None
    if center is None and cmap == default_cmap("reduction_pct") and "reduction" in column:
        rate = regional_rate(frame)
        center = rate if rate is not None else float(np.nanmedian(y))
        what = "taux régional" if rate is not None else "médiane"
        note = f"Centre : {what} {format_number(center, 1)} %"
    classes = classify(
        y, scheme=scheme, k=k, bins=bins, cmap=cmap, center=center, decimals=decimals, source=column
    )
    builder = MapBuilder(
        frame,
        tolerance=tolerance,
        tiles=tiles,
        conference=conference,
        title=title,
        credit=credit,
        renderer=renderer,
    )
    tip = tooltip_fields(frame, column, tooltip)
    pop = popup_fields(frame, popup)
    legend = legend_for(
        classes,
        legend_title or label_of(column),
        unit if unit is not None else unit_of(column),
        note,
    )
    builder.add_layer(layer_name or label_of(column), classes, tip=tip, pop=pop, legend=legend)
    builder.add_outlines(outlines)
    builder.add_labels(labels)
    return builder.finish()


def tooltip_fields(
    frame: pd.DataFrame, column: str, tooltip: Sequence[str] | Mapping[str, str] | None
) -> list[dict]:
    """Hover fields: the mapped figure first, then the user's fields or the reduction rate."""
    tip = [field(frame, column)]
    if tooltip is None:
        if column != "reduction_pct" and "reduction_pct" in frame.columns:
            tip.append(field(frame, "reduction_pct"))
        return tip
    names = list(tooltip.keys()) if isinstance(tooltip, Mapping) else list(tooltip)
    if column in names:
        tip = []
    return tip + fields_from(frame, tooltip)


def popup_fields(
    frame: pd.DataFrame, popup: bool | Sequence[str] | Mapping[str, str] | pd.Series | None
) -> list[dict] | None:
    """Click fields: allocation breakdown by default, user fields, or free text."""
    if popup is False:
        return None
    if isinstance(popup, pd.Series):
        base = allocation_fields(frame) if is_allocation(frame) else []
        return base + [text_field(popup, frame.index)]
    if isinstance(popup, Mapping) and "x" in popup and "r" in popup:  # explain_data
        base = allocation_fields(frame) if is_allocation(frame) else []
        return base + [explain_field(popup, frame)]
    if popup is None:
        return allocation_fields(frame) if is_allocation(frame) else None
    if popup is True:
        numeric_cols = [
            c
            for c in frame.columns
            if c != frame.geometry.name and pd.api.types.is_numeric_dtype(frame[c].dtype)
        ]
        return (
            allocation_fields(frame) if is_allocation(frame) else fields_from(frame, numeric_cols)
        )
    return fields_from(frame, popup)


def legend_for(classes: Classes, title: str, unit: str, note: str | None = None) -> str:
    """Legend HTML of classes, with a "non renseigné" row when values are missing."""
    items = list(zip(classes.colours, classes.labels, strict=True))
    if (classes.yb < 0).any():
        items.append((NA_COLOUR, NOT_AVAILABLE))
    return legend_html(title, items, unit=unit, note=note)


def explain_field(data: Mapping[str, Any], frame: pd.DataFrame) -> dict:
    """Popup field writing :meth:`zan.Allocation.explain` in the page (``zan.explain``).

    ``data`` is :func:`zan.allocation_explain.explain_data`: its rows are put in the
    map's order (``null`` for a territory without one) and sent as one JSON text, parsed
    when a popup first opens; names and codes are sent only where they differ from the
    map's own.
    """
    own = [str(c) for c in frame.index.tolist()]
    if list(map(str, data["codes"])) == own:  # the map's order already (a level's own map)
        rows = "[" + ",".join(data["r"]) + "]"
        names, codes = list(data["names"]), list(data["codes"])
    else:
        at = pd.Index([str(c) for c in data["codes"]]).get_indexer(pd.Index(own))
        rows = "[" + ",".join(data["r"][i] if i >= 0 else "null" for i in at) + "]"
        names = [data["names"][i] if i >= 0 else None for i in at]
        codes = [data["codes"][i] if i >= 0 else None for i in at]
    x = {**data["x"], "r": rows}
    if names != names_of(frame):
        x["nm"] = names
    if codes != own:
        x["cd"] = codes
    return {"x": x}
