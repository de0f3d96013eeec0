"""Static maps (matplotlib) for reports: same classes, colours and French legend."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from ..crs import LAMBERT93
from ..errors import DataError, SchemaError, require
from ..formatting import CREDIT_MAX_CHARS, NOT_AVAILABLE, shorten
from ._base import join_values, numeric
from ._classify import NA_COLOUR, Classes, classify
from ._geometry import project_for_map
from ._text import STATUS_LABELS, decimals_of, format_number, label_of, unit_of
from .choropleth import default_cmap, regional_rate

__all__ = ["to_png"]


def _status_classes(frame: pd.DataFrame, column: str) -> Classes:
    """Trajectory statuses as classes (colours and labels of :func:`status_map`)."""
    from .status import STATUS_COLOURS

    status = frame[column].astype("string")
    known = list(STATUS_COLOURS)
    bad = status.notna() & ~status.isin(known)
    if bad.any():
        first = bad.idxmax()
        raise SchemaError(
            f"values, column {column!r}, row {first}: unknown status {status[first]!r}; "
            f"valid statuses: {', '.join(known)}"
        )
    codes = pd.Categorical(status, categories=known).codes.astype(np.int64)
    return Classes(
        codes,
        [0.0, 1.0, 2.0],
        [0.0, 1.0, 2.0],
        [STATUS_COLOURS[s] for s in known],
        [STATUS_LABELS[s] for s in known],
    )


def _status_hatches() -> list[str]:
    """Hatching of the trajectory statuses, in class order (:data:`STATUS_HATCHES`)."""
    from .status import STATUS_COLOURS, STATUS_HATCHES

    return [STATUS_HATCHES[s] for s in STATUS_COLOURS]


def _polygon_collection(geoms: np.ndarray, facecolors: Sequence[str], **kwargs):
    """One matplotlib PathCollection for many (multi)polygons, built without a loop over rings.

    Each geometry becomes one compound path (every ring a closed sub-path; shells
    counter-clockwise and holes clockwise, so holes stay empty under the nonzero fill
    rule). Much faster than a patch per polygon on thousands of communes.
    """
    from matplotlib.collections import PathCollection
    from matplotlib.path import Path as MplPath

    geoms = shapely.orient_polygons(np.asarray(geoms, dtype=object))
    parts, part_of = shapely.get_parts(geoms, return_index=True)
    rings, ring_of = shapely.get_rings(parts, return_index=True)
    xy, vertex_of = shapely.get_coordinates(rings, return_index=True)
    codes = np.full(len(xy), MplPath.LINETO, dtype=MplPath.code_type)
    if len(xy):
        first = np.r_[True, vertex_of[1:] != vertex_of[:-1]]
        last = np.r_[vertex_of[1:] != vertex_of[:-1], True]
        codes[first] = MplPath.MOVETO
        codes[last] = MplPath.CLOSEPOLY
    geom_of_vertex = part_of[ring_of[vertex_of]] if len(xy) else np.empty(0, dtype=np.int64)
    cuts = np.searchsorted(geom_of_vertex, np.arange(1, len(geoms)))
    paths = [MplPath(v, c) for v, c in zip(np.split(xy, cuts), np.split(codes, cuts), strict=True)]
    return PathCollection(paths, facecolors=list(facecolors), **kwargs)


def to_png(
    gdf: gpd.GeoDataFrame,
    column: str,
    path: str | os.PathLike,
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
    outlines: Sequence[gpd.GeoDataFrame] | Mapping[str, gpd.GeoDataFrame] | None = None,
    figsize: tuple[float, float] = (8.0, 8.0),
    dpi: int = 150,
) -> Path:
    """Write a static choropleth (PNG, or PDF/SVG by the file's suffix) for reports.

    Drawn in Lambert-93 (or the layer's projected CRS) with the classes, colours
    and French legend of :func:`zan.maps.choropleth`. The file is written
    atomically.

    Parameters
    ----------
    gdf, column, values, scheme, k, bins, cmap, center, title, credit, legend_title, unit
        As in :func:`zan.maps.choropleth`; ``column="status"`` draws the trajectory
        statuses with the colours of :func:`zan.maps.status_map`.
    path : str or path-like
        Output file; its suffix (``.png``, ``.pdf``, ``.svg``) sets the format.
    outlines : GeoDataFrame, list or dict of GeoDataFrame, optional
        Upper-level borders drawn on top.
    figsize : (float, float), default (8, 8)
        Figure size in inches.
    dpi : int, default 150
        Resolution of raster output.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import tempfile, pathlib, geopandas as gpd
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame(
    ...     {"nom": ["Amont", "Aval"], "envelope_ha": [12.5, 30.0]},
    ...     geometry=[box(650000, 6900000, 660000, 6910000), box(660000, 6900000, 670000, 6910000)],
    ...     index=pd.Index(["59001", "59002"], name="code"), crs="EPSG:2154")
    >>> out = to_png(g, "envelope_ha", pathlib.Path(tempfile.mkdtemp()) / "carte.png", k=2)
    >>> out.read_bytes()[:4]
    b'\\x89PNG'
    """
    require("matplotlib", None, "static maps (to_png)")
    import matplotlib.pyplot as plt

    path = Path(path)
    if not path.parent.exists():
        raise DataError(f"{path}: folder {path.parent} does not exist; create it first")
    fig = _figure(
        gdf,
        column,
        values=values,
        scheme=scheme,
        k=k,
        bins=bins,
        cmap=cmap,
        center=center,
        title=title,
        credit=credit,
        legend_title=legend_title,
        unit=unit,
        outlines=outlines,
        figsize=figsize,
    )
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=path.suffix)
        os.close(fd)
        try:
            fig.savefig(tmp, dpi=dpi, bbox_inches="tight")
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    finally:
        plt.close(fig)
    return path


def _figure(
    gdf: gpd.GeoDataFrame,
    column: str,
    *,
    values: pd.DataFrame | pd.Series | None,
    scheme: str,
    k: int,
    bins: Sequence[float] | None,
    cmap: str | Sequence[str] | None,
    center: float | None,
    title: str | None,
    credit: str | None,
    legend_title: str | None,
    unit: str | None,
    outlines: Sequence[gpd.GeoDataFrame] | Mapping[str, gpd.GeoDataFrame] | None,
    figsize: tuple[float, float],
):
    """The matplotlib figure of :func:`to_png` (closed by the caller)."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    frame = join_values(gdf, values, [column])
    if column == "status":
        classes = _status_classes(frame, column)
        legend_title = legend_title or "Trajectoire 2021-2030"
    else:
        y = numeric(frame, column)
        decimals = decimals_of(column, y)
        cmap = cmap if cmap is not None else default_cmap(column)
        if center is None and "reduction" in column and cmap == default_cmap("reduction_pct"):
            rate = regional_rate(frame)
            center = rate if rate is not None else float(np.nanmedian(y))
        classes = classify(
            y,
            scheme=scheme,
            k=k,
            bins=bins,
            cmap=cmap,
            center=center,
            decimals=decimals,
            source=column,
        )
    projected = project_for_map(frame, "territories")
    colours = np.array(classes.colours + [NA_COLOUR], dtype=object)[classes.yb]
    fig, ax = plt.subplots(figsize=figsize)
    try:
        ax.add_collection(
            _polygon_collection(
                projected.geometry.to_numpy(), colours, edgecolors="white", linewidths=0.2
            )
        )
        hatches = _status_hatches() if column == "status" else [""] * len(classes.colours)
        for cls, hatch in enumerate(hatches):
            # statuses differ by their hatching too, not by colour alone
            picked = classes.yb == cls
            if hatch and picked.any():
                ax.add_collection(
                    _polygon_collection(
                        projected.geometry.to_numpy()[picked],
                        ["none"] * int(picked.sum()),
                        edgecolors=[(1.0, 1.0, 1.0, 0.8)],
                        linewidths=0.0,
                        hatch=hatch,
                    )
                )
        x0, y0, x1, y1 = projected.total_bounds
        if np.isfinite([x0, y0, x1, y1]).all():
            pad = 0.01 * max(x1 - x0, y1 - y0, 1.0)
            ax.set_xlim(x0 - pad, x1 + pad)
            ax.set_ylim(y0 - pad, y1 + pad)
        if outlines is not None:
            items = (
                outlines.values()
                if isinstance(outlines, Mapping)
                else ([outlines] if isinstance(outlines, gpd.GeoDataFrame) else outlines)
            )
            for level, outline in enumerate(items):
                crs = projected.crs or LAMBERT93
                outline.to_crs(crs).boundary.plot(
                    ax=ax, color="#333333", linewidth=0.8 + 0.6 * level
                )
        ax.set_axis_off()
        ax.set_aspect("equal")
        handles = [
            Patch(facecolor=c, edgecolor="#888888", label=lab, hatch=h or None)
            for c, lab, h in zip(classes.colours, classes.labels, hatches, strict=True)
        ]
        if (classes.yb < 0).any():
            handles.append(Patch(facecolor=NA_COLOUR, edgecolor="#888888", label=NOT_AVAILABLE))
        u = unit if unit is not None else ("" if column == "status" else unit_of(column))
        head = (legend_title or label_of(column)) + (f" ({u})" if u else "")
        # outside the axes, at their top right: the axes hold the region (equal aspect,
        # limits = its bounds), so the legend never covers a polygon; the tight bounding
        # box of savefig widens the picture when the figure has no room left
        ax.legend(
            handles=handles,
            title=head,
            loc="upper left",
            bbox_to_anchor=(1.02, 1.0),
            borderaxespad=0.0,
            frameon=True,
            fontsize=8,
            title_fontsize=9,
        )
        if title:
            ax.set_title(shorten(title), fontsize=13, fontweight="bold")
        if credit:
            fig.text(
                0.99,
                0.01,
                shorten(credit, CREDIT_MAX_CHARS),
                ha="right",
                va="bottom",
                fontsize=7,
                color="#444444",
            )
        if center is not None:
            fig.text(
                0.01, 0.01, f"Centre : {format_number(center, 1)} %", fontsize=7, color="#444444"
            )
    except BaseException:
        plt.close(fig)
        raise
    return fig
