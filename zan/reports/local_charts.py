"""Charts of the rapport local: annual ENAF consumption and consumption since 2021.

Two charts per report (article R. 2231-1 CGCT, items 1° and 4°, DOMAIN.md §1):

* the ENAF consumption of each calendar year, from 2011 to the last year of the
  Cerema file, stacked by destination when the file gives it, the report's years
  highlighted (:func:`annual_svg`);
* the consumption cumulated since 1 January 2021 against the 2021-2030 objective of
  item 4°, drawn as a horizontal line (:func:`trajectory_svg`), when an objective exists.

Each figure comes from :func:`zan.consumption` of one calendar year
(:func:`add_chart_data`), so the bars add up to the report's tables.

The HTML page gets an inline SVG written directly from a small template: an
accessible ``<title>`` and ``<desc>``, French labels, hectares with a decimal comma,
the colours of :mod:`zan.reports.charts` (:data:`~zan.reports.charts.DESTINATION_COLOURS`,
colour-blind-safe), no id but the page's own and no date: the same figures give the
same bytes. Matplotlib took 0.3 to 0.5 s per SVG chart on this (loaded) machine
(``savefig`` and the text fit of :mod:`zan.reports.charts`), i.e. 5 to 8 minutes for
the 930 charts of the 445 communes and 20 EPCI of the demo region; the template takes
about a millisecond per report for both charts. The DOCX gets PNGs of the same data drawn by
:func:`zan.reports.charts.consumption_chart` and
:func:`zan.reports.charts.trajectory_chart` (matplotlib, texts kept inside the figure,
no date in the file): :func:`chart_pngs`, only when a DOCX is asked for.
"""

from __future__ import annotations

import math
import tempfile
from collections.abc import Callable, Mapping, Sequence
from html import escape
from pathlib import Path
from typing import Any

import pandas as pd

from ..formatting import fr_text
from .charts import DESTINATION_COLOURS, consumption_chart, trajectory_chart

__all__ = [
    "FIRST_YEAR",
    "add_chart_data",
    "annual_caption",
    "annual_svg",
    "chart_pngs",
    "page_charts",
    "trajectory_caption",
    "trajectory_svg",
]

#: First calendar year of the annual chart (start of the 2011-2020 reference period).
FIRST_YEAR = 2011
#: Colour of the objective line and of the cumulated bars (those of ``zan.reports.charts``).
OBJECTIVE_COLOUR = "#1f6f8b"
CUMUL_COLOUR = "#c0392b"
#: Colour of the consumption the file does not split by destination.
UNSPLIT_COLOUR = "#e3e3e3"
_UNSPLIT = "non_ventile"
_TARGET = (2021, 2030)
_W, _H = 680, 250
_TOP, _BOTTOM = 22, 30
_CHAR = 0.62  # DejaVu Sans: widest average advance per character, in em (an upper bound)


def add_chart_data(
    rows: list[dict[str, Any]],
    measure: Callable[[tuple[int, int]], pd.DataFrame],
    years: Sequence[int],
    labels: Mapping[str, str],
    end: int,
) -> None:
    """Add each territory's yearly consumption to its items 1° and 4° (in place).

    Parameters
    ----------
    rows : list of dict
        The territories of :func:`zan.reports.local.local_report_data`.
    measure : callable
        ``measure((year, year))`` is the :func:`zan.consumption` table of that calendar
        year for the report's level (``total_ha`` and ``<destination>_ha`` columns).
    years : sequence of int
        The calendar years of the consumption file.
    labels : mapping
        French label of each destination.
    end : int
        The report's last calendar year.

    Notes
    -----
    Item 1° gets ``annual`` (one dict per year from :data:`FIRST_YEAR`, or the file's
    first year, to its last: ``year``, ``total_ha`` and one value per destination) and
    ``annual_destinations`` (``(key, label)`` pairs, bottom up; consumption not split by
    destination under the key ``"non_ventile"``). Item 4°, when it has an objective,
    gets ``cumulative``: ``year`` and ``cumul_ha`` from 2021 to the report's last year.

    Examples
    --------
    >>> from zan.datasets import scenario_path
    >>> from zan.reports.local import local_report_data
    >>> rows, run = local_report_data(scenario=scenario_path("01_reduction_uniforme"),
    ...                               level="epci", period="2021-2022")
    >>> a = rows[0]["items"][0]["annual"]
    >>> a[0]["year"], a[-1]["year"], rows[0]["items"][3]["cumulative"][-1]["year"]
    (2011, 2022, 2022)
    """
    span = [int(y) for y in years if int(y) >= FIRST_YEAR]
    tables = {}
    for y in span:
        t = measure((y, y))
        t.index = t.index.astype(str)
        tables[y] = t
    dests = list(
        dict.fromkeys(
            c[:-3]
            for t in tables.values()
            for c in t.columns
            if str(c).endswith("_ha") and c != "total_ha"
        )
    )
    codes = pd.Index([row["code"] for row in rows])
    columns = ["total_ha", *(f"{d}_ha" for d in dests)]
    # one (territories × columns) array per year: rows of plain floats, NaN where absent
    values = {
        y: t.reindex(index=codes, columns=columns).astype(float).to_numpy().tolist()
        for y, t in tables.items()
    }
    present = {y: set(t.index) for y, t in tables.items()}
    for i, row in enumerate(rows):
        item1, item4 = row["items"][0], row["items"][3]
        annual, unsplit = [], False
        for y in tables:
            entry: dict[str, Any] = {"year": y, "total_ha": None}
            if row["code"] in present[y]:
                total, *parts = values[y][i]
                total = None if math.isnan(total) else total
                parts = [0.0 if math.isnan(v) else v for v in parts]
                entry["total_ha"] = total
                entry.update(zip(dests, parts, strict=True))
                if total is not None and dests and abs(total - sum(parts)) > 1e-6:
                    entry[_UNSPLIT], unsplit = total - sum(parts), True
            annual.append(entry)
        keys = [d for d in dests if any(e.get(d) for e in annual)]
        if unsplit or not keys:
            keys.append(_UNSPLIT)
            for e in annual:
                e.setdefault(_UNSPLIT, (e["total_ha"] or 0.0) if not dests else 0.0)
        item1["annual"] = annual
        item1["annual_destinations"] = [
            (k, "Non ventilée par destination" if k == _UNSPLIT else labels.get(k, k)) for k in keys
        ]
        if item4.get("available") and item4.get("objective_ha") is not None:
            cumul, out = 0.0, []
            for e in annual:
                if _TARGET[0] <= e["year"] <= end:
                    cumul += e["total_ha"] or 0.0
                    out.append({"year": e["year"], "cumul_ha": cumul})
            item4["cumulative"] = out


def _ticks(top: float) -> tuple[list[float], int]:
    """Round tick values from 0 covering ``top`` (4 to 6 of them) and their decimals."""
    top = top if top > 0 else 1.0
    raw = top / 4
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= raw)
    n = math.ceil(top / step - 1e-9)
    decimals = max(0, -math.floor(math.log10(step) + 1e-9)) + (1 if step / power == 2.5 else 0)
    return [i * step for i in range(n + 1)], min(decimals, 4)


def _text_width(text: str, size: float) -> float:
    return _CHAR * size * len(text)


def _svg_open(name: str, title: str, desc: str) -> list[str]:
    return [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {_W} {_H}" '
        f'role="img" aria-labelledby="{name}-title {name}-desc" '
        'font-family="DejaVu Sans, Verdana, sans-serif" font-size="11">',
        f'<title id="{name}-title">{escape(title)}</title>',
        f'<desc id="{name}-desc">{escape(desc)}</desc>',
    ]


def _frame(top_value: float, left: float, right: float) -> tuple[list[str], Callable, int]:
    """Y axis (grid lines and labels in ha) of a plot from ``left`` to ``right``."""
    ticks, decimals = _ticks(top_value)
    y0, y1 = _H - _BOTTOM, _TOP
    scale = (y0 - y1) / ticks[-1]

    def y(v: float) -> float:
        return y0 - v * scale

    out = [f'<text x="{left - 6:.0f}" y="{y1 - 10}" text-anchor="end" fill="#444">ha</text>']
    for t in ticks:
        out.append(
            f'<line x1="{left:.0f}" x2="{right:.0f}" y1="{y(t):.2f}" y2="{y(t):.2f}" '
            f'stroke="{"#888" if t == 0 else "#ddd"}" stroke-width="{1 if t == 0 else 0.6}"/>'
        )
        out.append(
            f'<text x="{left - 6:.0f}" y="{y(t) + 4:.2f}" text-anchor="end" fill="#444">'
            f"{fr_text(t, decimals)}</text>"
        )
    return out, y, decimals


def _left(top_value: float) -> float:
    ticks, decimals = _ticks(top_value)
    return 12 + max(_text_width(fr_text(t, decimals), 11) for t in ticks)


def _legend(entries: Sequence[tuple[str, str, str]], x: float) -> list[str]:
    """A legend at ``x``: (kind "bar" or "line", colour, label) entries, top down."""
    out = []
    for i, (kind, colour, label) in enumerate(entries):
        y = _TOP + 4 + 18 * i
        if kind == "line":
            out.append(
                f'<line x1="{x:.0f}" x2="{x + 14:.0f}" y1="{y + 5}" y2="{y + 5}" '
                f'stroke="{colour}" stroke-width="2" stroke-dasharray="5 3"/>'
            )
        else:
            out.append(f'<rect x="{x:.0f}" y="{y}" width="14" height="10" fill="{colour}"/>')
        out.append(f'<text x="{x + 20:.0f}" y="{y + 9}" fill="#222">{escape(label)}</text>')
    return out


def _legend_width(labels: Sequence[str]) -> float:
    return 28 + max((_text_width(t, 11) for t in labels), default=0)


def _colour(key: str) -> str:
    return UNSPLIT_COLOUR if key == _UNSPLIT else DESTINATION_COLOURS.get(key, "#999999")


def annual_caption(row: Mapping[str, Any], run: Mapping[str, Any]) -> str:
    """Caption of the annual chart (French)."""
    item1 = row["items"][0]
    years = [e["year"] for e in item1.get("annual", [])]
    span = f"{years[0]} à {years[-1]}" if years else ""
    split = " par destination" if len(item1.get("annual_destinations", [])) > 1 else ""
    return (
        f"Consommation d'ENAF par année civile{split}, {span}, en hectares ; années du rapport "
        f"({run['start']}-{run['end']}) en couleurs pleines. Source : {item1['source']}."
    )


def annual_svg(row: Mapping[str, Any], run: Mapping[str, Any]) -> str:
    """Inline SVG of the territory's ENAF consumption per calendar year.

    Parameters
    ----------
    row : mapping
        One territory of :func:`zan.reports.local.local_report_data` with
        :func:`add_chart_data`'s ``annual``.
    run : mapping
        The run's facts (``start``, ``end``: the report's years, highlighted).

    Returns
    -------
    str
        An ``<svg>`` element; each bar segment is a ``<rect>`` with ``data-year``,
        ``data-dest`` and ``data-ha``; empty when the territory has no yearly figure.

    Examples
    --------
    >>> row = {"code": "1", "nom": "A", "items": [{"source": "Cerema", "annual": [
    ...     {"year": 2021, "total_ha": 2.0, "habitat": 2.0},
    ...     {"year": 2022, "total_ha": 1.0, "habitat": 1.0}],
    ...     "annual_destinations": [("habitat", "Habitat")]}, {}, {}, {}]}
    >>> svg = annual_svg(row, {"start": 2022, "end": 2022})
    >>> svg.count("<rect data-year"), 'data-ha="2.0000"' in svg
    (2, True)
    """
    item1 = row["items"][0]
    annual = item1.get("annual") or []
    if not annual or all(e["total_ha"] is None for e in annual):
        return ""
    keys = item1["annual_destinations"]
    top = max((e["total_ha"] or 0.0 for e in annual), default=0.0)
    legend = [("bar", _colour(k), label) for k, label in keys]
    legend.append(("bar", "#f1f4f6", f"Années du rapport ({run['start']}-{run['end']})"))
    right = _W - _legend_width([e[2] for e in legend]) - 8
    left = _left(top)
    title = f"Consommation d'ENAF par année, {row['nom']}"
    desc = "; ".join(
        f"{e['year']} : {fr_text(e['total_ha'])} ha"
        if e["total_ha"] is not None
        else f"{e['year']} : non renseigné"
        for e in annual
    )
    out = _svg_open("annual", title, desc)
    slot = (right - left) / len(annual)
    inside = [i for i, e in enumerate(annual) if run["start"] <= e["year"] <= run["end"]]
    if inside:  # the report's years behind the bars
        x = left + slot * inside[0]
        out.append(
            f'<rect x="{x:.2f}" y="{_TOP - 4}" width="{slot * len(inside):.2f}" '
            f'height="{_H - _BOTTOM - _TOP + 4}" fill="#f1f4f6"/>'
        )
    frame, y, _dec = _frame(top, left, right)
    out += frame
    for i, e in enumerate(annual):
        x = left + slot * i + slot * 0.15
        highlighted = i in inside
        base = 0.0
        for k, _label in keys:
            v = float(e.get(k) or 0.0)
            if v <= 0:
                continue
            opacity = "" if highlighted else ' fill-opacity="0.45"'
            out.append(
                f'<rect data-year="{e["year"]}" data-dest="{k}" data-ha="{v:.4f}" '
                f'x="{x:.2f}" y="{y(base + v):.2f}" width="{slot * 0.7:.2f}" '
                f'height="{y(base) - y(base + v):.2f}" fill="{_colour(k)}"{opacity}/>'
            )
            base += v
        weight = ' font-weight="bold"' if highlighted else ""
        out.append(
            f'<text x="{left + slot * (i + 0.5):.2f}" y="{_H - _BOTTOM + 15}" '
            f'text-anchor="middle" font-size="10" fill="#333"{weight}>{e["year"]}</text>'
        )
    out += _legend(legend, right + 14)
    out.append("</svg>")
    return "\n".join(out)


def trajectory_caption(row: Mapping[str, Any]) -> str:
    """Caption of the chart of consumption since 2021 against the objective (French)."""
    item4 = row["items"][3]
    return (
        f"Consommation d'ENAF cumulée depuis le 1er janvier {_TARGET[0]} (fin de chaque année) "
        f"et objectif {_TARGET[0]}-{_TARGET[1]} de {fr_text(item4['objective_ha'])} ha "
        f"(trait horizontal), en hectares. Source de l'objectif : {item4['source']}."
    )


def trajectory_svg(row: Mapping[str, Any]) -> str:
    """Inline SVG of the consumption cumulated since 2021 against the 2021-2030 objective.

    Bars: the consumption cumulated at the end of each year from 2021 to the report's
    last; the horizontal line: the objective of item 4°. Empty without an objective.

    Examples
    --------
    >>> row = {"code": "1", "nom": "A", "items": [{}, {}, {}, {
    ...     "objective_ha": 10.0, "source": "scénario",
    ...     "cumulative": [{"year": 2021, "cumul_ha": 3.0}, {"year": 2022, "cumul_ha": 5.0}]}]}
    >>> svg = trajectory_svg(row)
    >>> svg.count("<rect data-year"), 'data-objective-ha="10.0000"' in svg
    (2, True)
    """
    item4 = row["items"][3]
    cumul = item4.get("cumulative")
    if cumul is None or item4.get("objective_ha") is None:
        return ""
    objective = float(item4["objective_ha"])
    top = max([objective, *(c["cumul_ha"] for c in cumul)]) * 1.08
    years = list(range(_TARGET[0], _TARGET[1] + 1))
    label = f"Objectif {_TARGET[0]}-{_TARGET[1]} : {fr_text(objective)} ha"
    legend = [
        ("bar", CUMUL_COLOUR, f"Consommation cumulée depuis {_TARGET[0]}"),
        ("line", OBJECTIVE_COLOUR, label),
    ]
    right = _W - _legend_width([e[2] for e in legend]) - 8
    left = _left(top)
    title = f"Consommation d'ENAF depuis {_TARGET[0]} et objectif, {row['nom']}"
    desc = f"{label}. " + "; ".join(
        f"fin {c['year']} : {fr_text(c['cumul_ha'])} ha cumulés" for c in cumul
    )
    out = _svg_open("trajectory", title, desc)
    frame, y, _dec = _frame(top, left, right)
    out += frame
    slot = (right - left) / len(years)
    for c in cumul:
        i = years.index(c["year"])
        v = float(c["cumul_ha"])
        out.append(
            f'<rect data-year="{c["year"]}" data-ha="{v:.4f}" x="{left + slot * (i + 0.15):.2f}" '
            f'y="{y(v):.2f}" width="{slot * 0.7:.2f}" height="{y(0) - y(v):.2f}" '
            f'fill="{CUMUL_COLOUR}"/>'
        )
    for i, yr in enumerate(years):
        out.append(
            f'<text x="{left + slot * (i + 0.5):.2f}" y="{_H - _BOTTOM + 15}" '
            f'text-anchor="middle" font-size="10" fill="#333">{yr}</text>'
        )
    out.append(
        f'<line class="objective" data-objective-ha="{objective:.4f}" x1="{left:.0f}" '
        f'x2="{right:.0f}" y1="{y(objective):.2f}" y2="{y(objective):.2f}" '
        f'stroke="{OBJECTIVE_COLOUR}" stroke-width="2" stroke-dasharray="5 3"/>'
    )
    out += _legend(legend, right + 14)
    out.append("</svg>")
    return "\n".join(out)


def page_charts(row: Mapping[str, Any], run: Mapping[str, Any]) -> dict[str, Any]:
    """The SVGs and captions of one report page (``annual``, ``trajectory``; ``*_caption``).

    The SVGs are :class:`markupsafe.Markup` (written by this module, their texts escaped):
    the template inserts them as they are. A chart without data is an empty string.

    Examples
    --------
    >>> row = {"code": "1", "nom": "A", "items": [{"source": "Cerema", "annual": []}, {}, {},
    ...        {"objective_ha": None}]}
    >>> page_charts(row, {"start": 2021, "end": 2022})["annual"]
    Markup('')
    """
    from markupsafe import Markup

    annual, trajectory = annual_svg(row, run), trajectory_svg(row)
    return {
        "annual": Markup(annual),
        "annual_caption": annual_caption(row, run) if annual else "",
        "trajectory": Markup(trajectory),
        "trajectory_caption": trajectory_caption(row) if trajectory else "",
    }


def chart_pngs(row: Mapping[str, Any], run: Mapping[str, Any]) -> dict[str, bytes]:
    """PNGs of the territory's charts for the DOCX: ``annual`` and ``trajectory``.

    Drawn from the same figures as the SVGs by :func:`zan.reports.charts.consumption_chart`
    and :func:`zan.reports.charts.trajectory_chart` (no date in the file: same bytes).
    A chart without data is left out.

    Examples
    --------
    >>> row = {"code": "1", "nom": "A", "items": [{"annual": [
    ...     {"year": 2021, "total_ha": 2.0, "habitat": 2.0}],
    ...     "annual_destinations": [("habitat", "Habitat")]}, {}, {}, {}]}
    >>> sorted(chart_pngs(row, {"start": 2021, "end": 2021}))
    ['annual']
    """
    item1, item4 = row["items"][0], row["items"][3]
    out: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory() as tmp:
        annual = item1.get("annual") or []
        if annual and any(e["total_ha"] is not None for e in annual):
            keys = item1["annual_destinations"]
            path = consumption_chart(
                [
                    {"year": e["year"], **{k: float(e.get(k) or 0.0) for k, _ in keys}}
                    for e in annual
                ],
                [k for k, _ in keys],
                Path(tmp) / "annual.png",
                labels=dict(keys),
                colours={k: _colour(k) for k, _ in keys},
                highlight=(int(run["start"]), int(run["end"])),
            )
            out["annual"] = path.read_bytes()
        cumul = item4.get("cumulative")
        if cumul is not None and item4.get("objective_ha") is not None:
            path = trajectory_chart(
                cumul,
                float(item4["objective_ha"]),
                Path(tmp) / "trajectory.png",
                envelope_label=f"Objectif {_TARGET[0]}-{_TARGET[1]}",
            )
            out["trajectory"] = path.read_bytes()
    return out
