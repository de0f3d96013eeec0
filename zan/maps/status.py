"""Trajectory status map: on track, will exceed, exceeded (categorical legend)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd

from ..errors import SchemaError
from ..formatting import NOT_AVAILABLE
from ._base import MapBuilder, ZanMap, field, fields_from, join_values
from ._classify import NA_COLOUR, Classes
from ._legend import legend_html
from ._text import STATUS_LABELS, label_of
from .choropleth import Outlines

__all__ = ["status_map", "STATUS_COLOURS", "STATUS_HATCHES"]

#: Colour of each trajectory status: Paul Tol's high-contrast scheme, safe for
#: colour-blind viewers (no red/green pair; distinct in lightness as well as hue).
STATUS_COLOURS: dict[str, str] = {
    "on_track": "#004488",
    "will_exceed": "#ddaa33",
    "exceeded": "#bb5566",
}

#: Hatching of each status, so that they differ by more than colour: none, one
#: diagonal, crossed diagonals (matplotlib hatch strings; the same drawn in the HTML map).
STATUS_HATCHES: dict[str, str] = {
    "on_track": "",
    "will_exceed": "//",
    "exceeded": "xx",
}

_TIP = ("used_pct", "projected_pct", "allowed_ha", "consumed_since_2021_ha")


def status_map(
    gdf: gpd.GeoDataFrame,
    *,
    values: pd.DataFrame | pd.Series | None = None,
    column: str = "status",
    title: str | None = "Trajectoire 2021-2030",
    credit: str | None = "Calcul zan",
    outlines: Outlines = None,
    labels: bool | int | Sequence[str] | None = None,
    tooltip: Sequence[str] | Mapping[str, str] | None = None,
    tiles: str | None = None,
    conference: bool = False,
    tolerance: float | None = None,
    renderer: str = "svg",
) -> ZanMap:
    """Map the trajectory status of each territory with a categorical legend.

    Statuses come from the trajectory table (``zan.trajectory``, see
    docs/ARCHITECTURE.md): ``on_track`` ("Dans la trajectoire"),
    ``will_exceed`` ("Dépassement prévu": the 2021 pace, carried on to 2030,
    exceeds the allowed consumption) and ``exceeded`` ("Enveloppe dépassée").

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Territories indexed by code.
    values : DataFrame or Series, optional
        Trajectory table indexed by code.
    column : str, default "status"
        Status column.
    title, credit, outlines, labels, tiles, conference, tolerance, renderer
        As in :func:`zan.maps.choropleth`.
    tooltip : sequence of str or dict, optional
        Extra columns on hover; default the status, the share of the envelope
        used and projected, the allowed and consumed hectares when present.

    Returns
    -------
    ZanMap

    Raises
    ------
    SchemaError
        When a status is not one of ``on_track``, ``will_exceed``, ``exceeded``.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame(
    ...     {"nom": ["Amont", "Aval"], "status": ["on_track", "exceeded"]},
    ...     geometry=[box(650000, 6900000, 660000, 6910000), box(660000, 6900000, 670000, 6910000)],
    ...     index=pd.Index(["59001", "59002"], name="code"), crs="EPSG:2154")
    >>> "Enveloppe dépassée" in status_map(g).get_root().render()
    True
    """
    frame = join_values(gdf, values, [column])
    status = frame[column].astype("string")
    known = list(STATUS_COLOURS)
    bad = status.notna() & ~status.isin(known)
    if bad.any():
        first = bad.idxmax()
        raise SchemaError(
            f"values, column {column!r}, row {first}: unknown status {status[first]!r}; "
            f"valid statuses: {', '.join(known)}"
        )
    yb = np.full(len(frame), -1, dtype=np.int64)
    for i, key in enumerate(known):
        yb[(status == key).fillna(False).to_numpy()] = i
    classes = Classes(
        yb=yb,
        lower=[float(i) for i in range(3)],
        upper=[float(i) for i in range(3)],
        colours=[STATUS_COLOURS[s] for s in known],
        labels=[STATUS_LABELS[s] for s in known],
    )
    counts = np.bincount(yb[yb >= 0], minlength=3)
    items = [
        (_swatch(STATUS_COLOURS[s], STATUS_HATCHES[s]), f"{STATUS_LABELS[s]} ({counts[i]})")
        for i, s in enumerate(known)
    ]
    if (yb < 0).any():
        items.append((NA_COLOUR, f"{NOT_AVAILABLE} ({int((yb < 0).sum())})"))
    legend = legend_html("Trajectoire 2021-2030", items)
    builder = MapBuilder(
        frame,
        tolerance=tolerance,
        tiles=tiles,
        conference=conference,
        title=title,
        credit=credit,
        renderer=renderer,
    )
    tip = [field(frame, column, label="Situation", translate=STATUS_LABELS)]
    if tooltip is None:
        tip += [field(frame, c) for c in _TIP if c in frame.columns]
    else:
        items_ = tooltip.items() if isinstance(tooltip, Mapping) else [(c, None) for c in tooltip]
        tip += fields_from(frame, {c: a or label_of(c) for c, a in items_ if c != column})
    layer = builder.add_layer("Trajectoire 2021-2030", classes, tip=tip, pop=None, legend=legend)
    layer.hatch([STATUS_HATCHES[s] for s in known])
    builder.add_outlines(outlines)
    builder.add_labels(labels)
    return builder.finish()


def _swatch(colour: str, hatch: str) -> str:
    """CSS background of a legend swatch: the colour, with the status's hatching."""
    if not hatch:
        return colour
    lines = "rgba(255,255,255,.75) 0 1.5px,transparent 1.5px 5px"
    layers = [f"repeating-linear-gradient(-45deg,{lines})"]
    if hatch == "xx":
        layers.append(f"repeating-linear-gradient(45deg,{lines})")
    return ",".join(layers) + f",{colour}"
