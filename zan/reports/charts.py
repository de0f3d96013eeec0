"""Charts of the reports (matplotlib, French labels), written atomically as SVG or PNG.

Figures are built with :class:`matplotlib.figure.Figure` and the Agg canvas, never
through ``pyplot``: no global state, so worker processes draw in parallel safely.
SVG keeps its text as text (``svg.fonttype = "none"``): it stays sharp and searchable
in the PDF, and the browser draws it with the page's own fonts (no network font).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from .._write import atomic_path
from ..maps import format_number

__all__ = [
    "DESTINATION_COLOURS",
    "consumption_chart",
    "trajectory_chart",
    "reduction_histogram",
    "envelope_bars",
    "comparison_chart",
]

#: Colours of the Cerema destinations (stable across reports).
DESTINATION_COLOURS: dict[str, str] = {
    "habitat": "#e6a141",
    "activite": "#7b5ea7",
    "mixte": "#d1605e",
    "routes": "#7f7f7f",
    "ferroviaire": "#3d3d3d",
    "infrastructures": "#6f6f6f",
    "inconnu": "#c7c7c7",
}
_ENVELOPE = "#1f6f8b"
_OBSERVED = "#c0392b"
_RC = {
    "font.family": "DejaVu Sans",  # shipped with matplotlib: metrics always known
    "font.size": 9,
    "svg.fonttype": "none",
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
    # Same figure, same bytes: SVG ids (clip paths...) are hashes salted with this, not
    # with a random value, and no date is written (see _save).
    "svg.hashsalt": "zan",
}
#: Metadata written per format: no creation date, so that two runs give the same bytes.
_NO_DATE: dict[str, dict[str, None]] = {
    "svg": {"Date": None},
    "pdf": {"CreationDate": None, "ModDate": None},
}


def _figure(width: float, height: float, **margins: float) -> Any:
    """A figure with fixed margins (a constrained layout costs more than the drawing)."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width, height), dpi=100)
    fig.subplots_adjust(**{"left": 0.09, "right": 0.98, "bottom": 0.13, "top": 0.93, **margins})
    return fig


def _name(name: object, width: int = 40) -> str:
    """A territory name as a bar label: on two lines past ``width`` characters.

    >>> _name("Communauté d'agglomération du Pays de Courbonne-en-Sélonnais")
    "Communauté d'agglomération du Pays de\\nCourbonne-en-Sélonnais"
    """
    import textwrap

    text = str(name)
    return text if len(text) <= width else textwrap.fill(text, width, break_on_hyphens=False)


def _fr_axis(ax: Any, decimals: int = 0, *, axis: str = "y") -> None:
    from matplotlib.ticker import FuncFormatter

    fmt = FuncFormatter(lambda v, _pos: format_number(v, decimals))
    (ax.yaxis if axis == "y" else ax.xaxis).set_major_formatter(fmt)


def _fit(fig: Any, pad: float = 3.0) -> None:
    """Bring in the texts that would be clipped: tick and axis labels, titles, legends.

    The fixed margins of :func:`_figure` suit most charts; long territory names,
    large numbers or a long title can run past the figure's edge. Then a text of
    the axes running past the figure is wrapped, and each axes is moved in just
    enough for its texts to fit, ``pad`` pixels from the edge. Charts that already
    fit are left untouched (same bytes).
    """
    import textwrap

    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.text import Text

    renderer = FigureCanvasAgg(fig).get_renderer()
    width, height = fig.bbox.width, fig.bbox.height

    def fits(b: Any) -> bool:
        return b.x0 >= -0.5 and b.y0 >= -0.5 and b.x1 <= width + 0.5 and b.y1 <= height + 0.5

    for _ in range(3):
        boxes = [(ax, ax.get_tightbbox(renderer)) for ax in fig.axes]
        if all(b is None or fits(b) for _ax, b in boxes):
            return
        for ax, b in boxes:
            if b is None or fits(b):
                continue
            for t in ax.get_children():  # titles and free texts (tick labels are the axis')
                text = t.get_text() if isinstance(t, Text) and t.get_visible() else ""
                e = t.get_window_extent(renderer) if text else None
                if e is not None and (e.x0 < -0.5 or e.x1 > width + 0.5):
                    room = width - pad - max(e.x0, pad)
                    t.set_text(textwrap.fill(text, max(10, int(0.95 * len(text) * room / e.width))))
            b = ax.get_tightbbox(renderer)
            p = ax.get_position()
            x0 = p.x0 if b.x0 >= -0.5 else (p.x0 * width - b.x0 + pad) / width
            x1 = p.x1 if b.x1 <= width + 0.5 else 1 - (b.x1 - p.x1 * width + pad) / width
            y0 = p.y0 if b.y0 >= -0.5 else (p.y0 * height - b.y0 + pad) / height
            y1 = p.y1 if b.y1 <= height + 0.5 else 1 - (b.y1 - p.y1 * height + pad) / height
            ax.set_position([x0, y0, max(x1 - x0, 0.05), max(y1 - y0, 0.05)])


def _save(fig: Any, path: str | os.PathLike[str]) -> Path:
    """Write a figure atomically; its format follows the suffix (.svg, .png, .pdf).

    Reproducible: no date in the file, SVG ids salted with a fixed value (``_RC``). Texts
    that would run off the figure are brought in first (:func:`_fit`).
    """
    path = Path(path)
    fmt = path.suffix.lstrip(".").lower() or "svg"
    _fit(fig)
    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=150, format=fmt, metadata=_NO_DATE.get(fmt))
    return path


def _style():
    import matplotlib

    return matplotlib.rc_context(_RC)


def consumption_chart(
    by_year: Sequence[Mapping[str, float]],
    destinations: Sequence[str],
    path: str | os.PathLike[str],
    *,
    labels: Mapping[str, str] | None = None,
    title: str | None = None,
    colours: Mapping[str, str] | None = None,
    highlight: tuple[int, int] | None = None,
) -> Path:
    """Stacked bars of ENAF consumption per year and destination (ha).

    Parameters
    ----------
    by_year : sequence of mapping
        One mapping per year: ``year`` and one value (ha) per destination.
    destinations : sequence of str
        Destinations to stack, bottom up.
    path : path-like
        Output file (``.svg`` or ``.png``).
    labels : mapping, optional
        French label of each destination.
    title : str, optional
    colours : mapping, optional
        Colour of a destination not in :data:`DESTINATION_COLOURS`.
    highlight : (int, int), optional
        Years shown on a shaded band, their bars in full colour (the others lighter).

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import tempfile, pathlib
    >>> rows = [{"year": 2011, "habitat": 2.0, "activite": 1.0},
    ...         {"year": 2012, "habitat": 1.5, "activite": 0.5}]
    >>> p = consumption_chart(rows, ["habitat", "activite"],
    ...                       pathlib.Path(tempfile.mkdtemp()) / "c.svg")
    >>> "<svg" in p.read_text()
    True
    """
    years = np.array([int(r["year"]) for r in by_year])
    with _style():
        fig = _figure(7.0, 3.0, right=0.80)
        ax = fig.add_subplot()
        bottom = np.zeros(len(years))
        inside = np.ones(len(years), dtype=bool)
        if highlight is not None:
            inside = (years >= highlight[0]) & (years <= highlight[1])
            ax.axvspan(highlight[0] - 0.5, highlight[1] + 0.5, color="#f1f4f6", zorder=0)
        for d in destinations:
            v = np.array([float(r.get(d, 0.0)) for r in by_year])
            if not np.any(v):
                continue
            colour = DESTINATION_COLOURS.get(d, (colours or {}).get(d, "#999999"))
            ax.bar(
                years,
                v,
                bottom=bottom,
                color=colour,
                label=(labels or {}).get(d, d),
                width=0.75,
            )
            if not inside.all():  # the years outside the highlight drawn lighter
                ax.bar(
                    years[~inside],
                    v[~inside],
                    bottom=bottom[~inside],
                    color="white",
                    alpha=0.55,
                    width=0.75,
                )
            bottom += v
        ax.set_xticks(years)
        ax.set_xticklabels([str(y) for y in years])
        ax.set_ylabel("hectares")
        _fr_axis(ax, 1 if bottom.max(initial=0) < 10 else 0)
        if title:
            ax.set_title(title, loc="left")
        if len(ax.get_legend_handles_labels()[0]):
            ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False, fontsize=8)
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        return _save(fig, path)


def trajectory_chart(
    years: Sequence[Mapping[str, float]],
    envelope_ha: float,
    path: str | os.PathLike[str],
    *,
    start: int = 2021,
    end: int = 2030,
    projected_ha: float | None = None,
    title: str | None = None,
    envelope_label: str = "Enveloppe",
) -> Path:
    """Cumulated consumption since ``start`` against the envelope, projected to ``end``.

    Draws the observed cumulated consumption (solid), its projection at the
    current pace to the end of the period (dashed), the envelope (horizontal
    line) and the even pace that would use exactly the envelope (dotted).

    Parameters
    ----------
    years : sequence of mapping
        ``year`` and ``cumul_ha`` (cumulated since ``start``), one per observed year.
    envelope_ha : float
    path : path-like
    start, end : int
        The target period (2021-2030).
    projected_ha : float, optional
        Consumption projected at ``end``.
    title : str, optional
    envelope_label : str, default "Enveloppe"
        Legend of the horizontal line.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = trajectory_chart([{"year": 2021, "cumul_ha": 3.0}, {"year": 2022, "cumul_ha": 7.0}],
    ...                      20.0, pathlib.Path(tempfile.mkdtemp()) / "t.svg", projected_ha=35.0)
    >>> p.stat().st_size > 1000
    True
    """
    with _style():
        fig = _figure(7.0, 3.0)
        ax = fig.add_subplot()
        # flows of year y are counted at the end of y (1 January of y + 1)
        x0 = start
        ax.axhline(envelope_ha, color=_ENVELOPE, linewidth=2, label=envelope_label)
        ax.plot(
            [x0, end + 1],
            [0, envelope_ha],
            color=_ENVELOPE,
            linestyle=":",
            linewidth=1.2,
            label="Rythme régulier dans l'enveloppe",
        )
        if years:
            xs = [x0] + [int(r["year"]) + 1 for r in years]
            ys = [0.0] + [float(r["cumul_ha"]) for r in years]
            ax.plot(
                xs,
                ys,
                color=_OBSERVED,
                linewidth=2.2,
                marker="o",
                markersize=3.5,
                label="Consommation observée (cumul)",
            )
            if projected_ha is not None and np.isfinite(projected_ha):
                ax.plot(
                    [xs[-1], end + 1],
                    [ys[-1], projected_ha],
                    color=_OBSERVED,
                    linestyle="--",
                    linewidth=1.4,
                    label="Projection au rythme actuel",
                )
        ax.set_xlim(x0, end + 1)
        ticks = list(range(x0, end + 2))
        ax.set_xticks(ticks)
        ax.set_xticklabels(
            [f"1/1/{t}" if t in (x0, end + 1) else str(t) for t in ticks], fontsize=7
        )
        ax.set_ylabel("hectares cumulés")
        ax.set_ylim(bottom=0)
        _fr_axis(ax, 0 if envelope_ha >= 10 else 1)
        if title:
            ax.set_title(title, loc="left")
        ax.legend(loc="lower right", frameon=True, framealpha=0.9, edgecolor="none", fontsize=7.5)
        ax.grid(axis="y", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        return _save(fig, path)


def reduction_histogram(
    reduction_pct: Sequence[float],
    path: str | os.PathLike[str],
    *,
    regional_pct: float | None = None,
    title: str | None = None,
) -> Path:
    """Histogram of the territories' reduction rates, with the regional rate.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = reduction_histogram([40.0, 55.0, 60.0], pathlib.Path(tempfile.mkdtemp()) / "h.svg",
    ...                         regional_pct=54.5)
    >>> p.suffix
    '.svg'
    """
    v = np.asarray([x for x in reduction_pct if x is not None], dtype="float64")
    v = v[np.isfinite(v)]
    with _style():
        fig = _figure(5.0, 3.0, left=0.11, bottom=0.16)
        ax = fig.add_subplot()
        if len(v):
            ax.hist(v, bins=min(20, max(5, len(v) // 3)), color="#8fb8c9", edgecolor="white")
        if regional_pct is not None and np.isfinite(regional_pct):
            ax.axvline(
                regional_pct,
                color=_OBSERVED,
                linewidth=1.6,
                label=f"Région : {format_number(regional_pct, 1)} %",
            )
            ax.legend(frameon=False, fontsize=8)
        ax.set_xlabel("taux de réduction par rapport à 2011-2020 (%)")
        ax.set_ylabel("territoires")
        _fr_axis(ax, 0, axis="x")
        if title:
            ax.set_title(title, loc="left")
        return _save(fig, path)


def envelope_bars(
    names: Sequence[str],
    envelope_ha: Sequence[float],
    path: str | os.PathLike[str],
    *,
    reference_ha: Sequence[float] | None = None,
    title: str | None = None,
    max_bars: int = 100,
) -> Path:
    """Horizontal bars of the envelopes (largest first), with the reference consumption.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = envelope_bars(["A", "B"], [10.0, 4.0], pathlib.Path(tempfile.mkdtemp()) / "e.svg",
    ...                   reference_ha=[25.0, 7.0])
    >>> p.exists()
    True
    """
    env = np.asarray(envelope_ha, dtype="float64")
    order = np.argsort(-env, kind="stable")[:max_bars]
    n = len(order)
    with _style():
        height = max(2.5, 0.16 * n + 1.0)
        fig = _figure(7.0, height, left=0.36, bottom=0.55 / height, top=1 - 0.3 / height)
        ax = fig.add_subplot()
        y = np.arange(n)
        if reference_ha is not None:
            ref = np.asarray(reference_ha, dtype="float64")[order]
            ax.barh(y, ref, color="#dddddd", label="Consommation 2011-2020", height=0.8)
        ax.barh(y, env[order], color=_ENVELOPE, label="Enveloppe 2021-2030", height=0.5)
        ax.set_yticks(y)
        ax.set_yticklabels([_name(names[i]) for i in order], fontsize=6.5 if n > 30 else 8)
        ax.invert_yaxis()
        ax.set_xlabel("hectares")
        _fr_axis(ax, 0, axis="x")
        ax.legend(loc="lower right", frameon=False, fontsize=8)
        if title:
            ax.set_title(title, loc="left")
        ax.grid(axis="x", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        return _save(fig, path)


def comparison_chart(
    names: Sequence[str],
    values: Mapping[str, Sequence[float]],
    path: str | os.PathLike[str],
    *,
    title: str | None = None,
) -> Path:
    """Grouped horizontal bars: each territory's envelope under each scenario.

    Parameters
    ----------
    names : sequence of str
        Territory names.
    values : mapping scenario → sequence of float
        Envelopes (ha), in the order of ``names``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = comparison_chart(["A", "B"], {"S1": [1.0, 2.0], "S2": [1.5, 1.0]},
    ...                      pathlib.Path(tempfile.mkdtemp()) / "k.svg")
    >>> p.exists()
    True
    """
    scen = list(values)
    n = len(names)
    k = max(len(scen), 1)
    colours = ["#1f6f8b", "#e6a141", "#7b5ea7", "#2e8b57", "#c0392b", "#7f7f7f"]
    with _style():
        height = max(2.5, 0.12 * n * k + 1.0)
        fig = _figure(7.0, height, left=0.36, bottom=0.55 / height, top=1 - 0.3 / height)
        ax = fig.add_subplot()
        y = np.arange(n)
        h = 0.8 / k
        for j, s in enumerate(scen):
            ax.barh(
                y - 0.4 + h * (j + 0.5),
                np.asarray(values[s], dtype="float64"),
                height=h,
                color=colours[j % len(colours)],
                label=s,
            )
        ax.set_yticks(y)
        ax.set_yticklabels([_name(x) for x in names], fontsize=6.5 if n > 30 else 8)
        ax.invert_yaxis()
        ax.set_xlabel("enveloppe (ha)")
        _fr_axis(ax, 0, axis="x")
        ax.legend(loc="lower right", frameon=False, fontsize=8)
        if title:
            ax.set_title(title, loc="left")
        return _save(fig, path)
