"""Scenarios compared: one layer each on one map, differences B − A, side by side."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import Figure, MacroElement
from folium.utilities import _parse_size
from jinja2 import Template

from ..errors import SchemaError
from ._base import MapBuilder, RawHtml, ZanMap, field, join_values, numeric
from ._classify import Classes, classify, palette
from ._text import decimals_of, format_number, label_of, number_list, unit_of
from .choropleth import (
    Outlines,
    choropleth,
    default_cmap,
    legend_for,
    popup_fields,
    regional_rate,
    tooltip_fields,
)

__all__ = ["scenario_layers", "side_by_side", "difference_classes"]


def _frames(
    gdf: gpd.GeoDataFrame, column: str, scenarios: Mapping[str, pd.DataFrame]
) -> dict[str, gpd.GeoDataFrame]:
    if not isinstance(scenarios, Mapping) or len(scenarios) == 0:
        raise SchemaError(
            "scenarios: give a dict {scenario name: table indexed by code}, e.g. "
            "{'SRADDET': allocation_a.table, 'Population': allocation_b.table}"
        )
    return {
        str(name): join_values(gdf, table, [column], source=f"scenario {name!r}")
        for name, table in scenarios.items()
    }


def _reclassify(classes: Classes, y: np.ndarray) -> Classes:
    """Apply the bounds of ``classes`` to other values (same colours and labels)."""
    upper = np.asarray(classes.upper)
    yb = np.full(len(y), -1, dtype=np.int64)
    ok = np.isfinite(y)
    yb[ok] = np.minimum(np.searchsorted(upper, y[ok], side="left"), len(upper) - 1)
    return Classes(yb, classes.lower, classes.upper, classes.colours, classes.labels)


def difference_classes(
    d: np.ndarray, *, k: int = 5, decimals: int = 1, cmap: str = "RdBu"
) -> Classes:
    """Classes of a difference, symmetric around zero, with an "inchangé" class.

    Negative and positive differences are each cut at the quantiles of the
    absolute differences (``k // 2`` classes a side); differences that round to
    zero at the shown precision form the neutral middle class.

    Examples
    --------
    >>> c = difference_classes(np.array([-4.0, -1.0, 0.0, 1.0, 4.0]), k=5)
    >>> c.labels
    ['-4,0 – -1,0', '-1,0 – -0,1', 'inchangé', '0,1 – 1,0', '1,0 – 4,0']
    >>> c.yb.tolist()
    [0, 1, 2, 3, 4]
    """
    d = np.asarray(d, dtype=float)
    ok = np.isfinite(d)
    eps = 0.5 * 10.0 ** (-decimals)
    a = np.abs(d[ok])
    moved = a[a >= eps]
    m = max(1, k // 2)
    qs = (
        np.unique(np.quantile(moved, np.linspace(0, 1, m + 1)[1:], method="lower"))
        if len(moved)
        else np.array([], dtype=float)
    )
    m = len(qs)
    step = 10.0 ** (-decimals)
    lows = np.concatenate([[step], qs[:-1]]) if m else np.array([])
    yb = np.full(len(d), -1, dtype=np.int64)
    idx = np.minimum(np.searchsorted(qs, np.abs(d[ok]), side="left"), max(m - 1, 0))
    cls = np.where(np.abs(d[ok]) < eps, m, np.where(d[ok] > 0, m + 1 + idx, m - 1 - idx))
    yb[ok] = cls
    neg_labels = [
        f"{format_number(-hi, decimals)} – {format_number(-lo, decimals)}"
        for lo, hi in zip(lows[::-1], qs[::-1], strict=True)
    ]
    pos_labels = [
        f"{format_number(lo, decimals)} – {format_number(hi, decimals)}"
        for lo, hi in zip(lows, qs, strict=True)
    ]
    lower = [-float(h) for h in qs[::-1]] + [-eps] + [float(v) for v in lows]
    upper = [-float(v) for v in lows[::-1]] + [eps] + [float(h) for h in qs]
    return Classes(
        yb, lower, upper, palette(cmap, 2 * m + 1), neg_labels + ["inchangé"] + pos_labels
    )


def scenario_layers(
    gdf: gpd.GeoDataFrame,
    column: str,
    scenarios: Mapping[str, pd.DataFrame],
    *,
    difference: bool | tuple[str, str] | Sequence[tuple[str, str]] = True,
    scheme: str = "quantiles",
    k: int = 5,
    bins: Sequence[float] | None = None,
    cmap: str | Sequence[str] | None = None,
    title: str | None = None,
    credit: str | None = "Calcul zan",
    outlines: Outlines = None,
    labels: bool | int | Sequence[str] | None = None,
    tooltip: Sequence[str] | Mapping[str, str] | None = None,
    popup: bool | Sequence[str] | Mapping[str, str] | None = None,
    tiles: str | None = None,
    conference: bool = False,
    tolerance: float | None = None,
    renderer: str = "svg",
) -> ZanMap:
    """Several scenarios on one map: one layer each, plus differences to the first.

    All scenario layers share the geometry (encoded once) and one
    classification computed on every scenario's values, so a colour means the
    same figure in each. One layer is shown at a time (radio buttons in the
    layer control; in conference mode, large scenario buttons too). The
    difference layers show ``B − A`` of ``column`` in hectares and, when both
    tables carry ``reduction_pct``, in points of reduction, on a diverging
    scale with an "inchangé" class.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Territories indexed by code.
    column : str
        Column mapped for every scenario (e.g. ``envelope_ha``).
    scenarios : dict
        ``{name: table indexed by code}``, in display order (allocation tables).
    difference : bool, (str, str) or list of (str, str), default True
        ``True``: the difference layers of every scenario minus the first (the
        baseline), so three scenarios give ``2 − 1`` and ``3 − 1``; a named pair
        ``(A, B)`` → ``B − A`` alone, or a list of such pairs; ``False`` for none.
    scheme, k, bins, cmap, title, credit, outlines, labels, tooltip, popup, tiles,
    conference, tolerance, renderer
        As in :func:`zan.maps.choropleth`.

    Returns
    -------
    ZanMap

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame(
    ...     {"nom": ["Amont", "Aval"]},
    ...     geometry=[box(650000, 6900000, 660000, 6910000), box(660000, 6900000, 670000, 6910000)],
    ...     index=pd.Index(["59001", "59002"], name="code"), crs="EPSG:2154")
    >>> a = pd.DataFrame({"envelope_ha": [10.0, 20.0]}, index=g.index)
    >>> b = pd.DataFrame({"envelope_ha": [12.0, 18.0]}, index=g.index)
    >>> html = scenario_layers(g, "envelope_ha", {"A": a, "B": b}).get_root().render()
    >>> "Écart B − A" in html
    True
    >>> c = pd.DataFrame({"envelope_ha": [9.0, 21.0]}, index=g.index)
    >>> html = scenario_layers(g, "envelope_ha", {"A": a, "B": b, "C": c}).get_root().render()
    >>> "écart B − A (ha)" in html and "écart C − A (ha)" in html
    True
    """
    frames = _frames(gdf, column, scenarios)
    names = list(frames)
    ys = {n: numeric(f, column, source=f"scenario {n!r}") for n, f in frames.items()}
    first = frames[names[0]]
    decimals = decimals_of(column, np.concatenate(list(ys.values())))
    cmap = cmap if cmap is not None else default_cmap(column)
    center, note = None, None
    if "reduction" in column and cmap == default_cmap("reduction_pct"):
        rate = regional_rate(first)
        center = rate if rate is not None else float(np.nanmedian(ys[names[0]]))
        note = f"Centre : {format_number(center, 1)} %"
    common = classify(
        np.concatenate(list(ys.values())),
        scheme=scheme,
        k=k,
        bins=bins,
        cmap=cmap,
        center=center,
        decimals=decimals,
        source=column,
    )
    builder = MapBuilder(
        first,
        tolerance=tolerance,
        tiles=tiles,
        conference=conference,
        title=title,
        credit=credit,
        renderer=renderer,
    )
    unit = unit_of(column)
    for i, name in enumerate(names):
        frame = frames[name]
        classes = _reclassify(common, ys[name])
        legend = legend_for(classes, f"{label_of(column)} — {name}", unit, note)
        builder.add_layer(
            name,
            classes,
            tip=tooltip_fields(frame, column, tooltip),
            pop=popup_fields(frame, popup),
            legend=legend,
            show=i == 0,
        )
    for a, b in _difference_pairs(difference, names):
        _add_differences(builder, frames, ys, column, a, b, k)
    builder.add_outlines(outlines)
    builder.add_labels(labels)
    return builder.finish(switcher=conference)


def _difference_pairs(
    difference: bool | tuple[str, str] | Sequence[tuple[str, str]], names: list[str]
) -> list[tuple[str, str]]:
    """The ``(A, B)`` pairs whose difference ``B − A`` gets layers, in order."""
    if difference is False or difference is None or len(names) < 2:
        return []
    if difference is True:
        return [(names[0], b) for b in names[1:]]
    if (
        isinstance(difference, Sequence)
        and len(difference) == 2
        and all(isinstance(n, str) for n in difference)
    ):
        pairs = [tuple(difference)]
    else:
        pairs = [tuple(p) for p in difference]
    for pair in pairs:
        if len(pair) != 2:
            raise SchemaError(
                f"difference: give pairs (A, B) of scenario names, got {pair!r}; "
                f"scenarios: {', '.join(names)}"
            )
        for n in pair:
            if n not in names:
                raise SchemaError(
                    f"difference: no scenario named {n!r}; scenarios: {', '.join(names)}"
                )
    return [(str(a), str(b)) for a, b in pairs]


def _add_differences(builder, frames, ys, column, a, b, k) -> None:
    fa, fb = frames[a], frames[b]
    pairs = [(column, ys[b] - ys[a], unit_of(column) or "", label_of(column))]
    if (
        "reduction_pct" in fa.columns
        and "reduction_pct" in fb.columns
        and column != "reduction_pct"
    ):
        ra = numeric(fa, "reduction_pct")
        rb = numeric(fb, "reduction_pct")
        pairs.append(("reduction_pct", rb - ra, "points", label_of("reduction_pct")))
    elif column == "reduction_pct":
        pairs = [(column, ys[b] - ys[a], "points", label_of(column))]
    for col, d, unit, what in pairs:
        dec = 1 if unit in ("ha", "points", "%") else decimals_of(col, d)
        classes = difference_classes(d, k=k, decimals=dec)
        diff = pd.DataFrame(
            {"diff": d, "a": numeric(fa, col), "b": numeric(fb, col)}, index=fa.index
        )
        u = "points" if unit == "points" else unit
        tip = [
            {**field(diff, "diff", label=f"Écart {b} − {a}", unit=u), "d": dec, "sg": True},
            field(diff, "a", label=f"{what} — {a}", unit=unit_of(col)),
            field(diff, "b", label=f"{what} — {b}", unit=unit_of(col)),
        ]
        tip[0]["v"] = number_list(d, dec)
        unit_text = "points de réduction" if unit == "points" else u
        name = f"Écart {b} − {a} ({unit_text})"
        legend = legend_for(classes, f"{what} : écart {b} − {a}", unit_text)
        builder.add_layer(name, classes, tip=tip, pop=None, legend=legend, show=False)


class _Sync(MacroElement):
    _template = Template(
        "{% macro script(this, kwargs) %}"
        "zan.sync({{ this.left.get_name() }}, {{ this.right.get_name() }});\n"
        "{% endmacro %}"
    )

    def __init__(self, left: ZanMap, right: ZanMap):
        super().__init__()
        self._name = "ZanSync"
        self.left = left
        self.right = right


def side_by_side(
    gdf: gpd.GeoDataFrame,
    column: str,
    scenarios: Mapping[str, pd.DataFrame],
    *,
    scheme: str = "quantiles",
    k: int = 5,
    bins: Sequence[float] | None = None,
    **kwargs,
) -> Figure:
    """Two scenarios side by side on synchronised maps, in one offline page.

    Both maps share one classification (computed on both scenarios' values);
    panning or zooming one moves the other.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Territories indexed by code.
    column : str
        Column mapped.
    scenarios : dict
        Exactly two ``{name: table indexed by code}``; the first goes left.
    scheme, k, bins
        Classification, as in :func:`zan.maps.choropleth`.
    **kwargs
        Other :func:`zan.maps.choropleth` options (``outlines``, ``credit``,
        ``conference``, ...); ``title`` defaults to each scenario's name.

    Returns
    -------
    branca.element.Figure
        Write it with :func:`zan.maps.save`; displays in a notebook.

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame(
    ...     {"nom": ["Amont", "Aval"]},
    ...     geometry=[box(650000, 6900000, 660000, 6910000), box(660000, 6900000, 670000, 6910000)],
    ...     index=pd.Index(["59001", "59002"], name="code"), crs="EPSG:2154")
    >>> a = pd.DataFrame({"envelope_ha": [10.0, 20.0]}, index=g.index)
    >>> b = pd.DataFrame({"envelope_ha": [12.0, 18.0]}, index=g.index)
    >>> "zan.sync(" in side_by_side(g, "envelope_ha", {"A": a, "B": b}).render()
    True
    """
    frames = _frames(gdf, column, scenarios)
    if len(frames) != 2:
        raise SchemaError(
            f"scenarios: side_by_side needs exactly two scenarios (got {len(frames)}: "
            f"{', '.join(frames)}); use scenario_layers for more"
        )
    ys = [numeric(f, column) for f in frames.values()]
    if scheme != "user":
        common = classify(np.concatenate(ys), scheme=scheme, k=k, cmap="Greys", source=column)
        bins = common.upper
    title = kwargs.pop("title", None)
    fig = Figure()
    maps = []
    for i, (name, table) in enumerate(scenarios.items()):
        m = choropleth(
            gdf,
            column,
            values=table,
            scheme="user",
            bins=bins,
            title=title or str(name),
            layer_name=str(name),
            **kwargs,
        )
        m.position = "absolute"
        m.width = _parse_size("50%")
        m.height = _parse_size("100%")
        m.left = _parse_size(f"{50 * i}%")
        m.top = _parse_size("0%")
        fig.add_child(m)
        maps.append(m)
    fig.header.add_child(
        RawHtml(f"<style>#{maps[1].get_name()}{{border-left:2px solid #333}}</style>"),
        name="zan_split",
    )
    fig.add_child(_Sync(maps[0], maps[1]))
    return fig
