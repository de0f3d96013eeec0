"""Notebook experience: French HTML tables for rich reprs, and a weights widget.

Jupyter shows an object through its ``_repr_html_`` method. The result objects of
zan (:class:`~zan.allocate.Allocation`, :class:`~zan.compare.Comparison`,
:class:`~zan.sensitivity.SensitivityResult`) render French tables built with
:func:`html_table`; :func:`scenario_html` renders a :class:`~zan.scenario.Scenario`.

:func:`weights_widget` puts one slider per criterion weight in front of a map of the
scenario's territories: each move recomputes the allocation through the batch path
(:func:`zan.allocate.allocate_batch`, one row) and recolours the map, in well under a
second on 3,800 communes (``scripts/bench_sensitivity.py`` measures it). It needs the
optional package ``ipywidgets`` (``pip install 'zan[notebook]'``); without it the
function returns a plain French message (and says how to install it) instead of
failing.
"""

from __future__ import annotations

import html
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .formatting import fr_text

__all__ = [
    "Column",
    "allocation_html",
    "html_table",
    "scenario_html",
    "weights_widget",
    "WeightsModel",
]


@dataclass(frozen=True)
class Column:
    """How to show one column in a French table.

    Parameters
    ----------
    label : str
        French header.
    decimals : int or None, default None
        Decimals of numbers; None shows the value as text.
    signed : bool, default False
        Show a ``+`` before positive numbers (differences).
    """

    label: str
    decimals: int | None = None
    signed: bool = False


def _cell(value: Any, spec: Column) -> str:
    if spec.decimals is None or isinstance(value, str) or value is None:
        return f"<td>{html.escape('' if value is None else str(value))}</td>"
    try:
        x = float(value)
    except (TypeError, ValueError):
        return f"<td>{html.escape(str(value))}</td>"
    text = fr_text(x, spec.decimals) if math.isfinite(x) else ("—" if math.isnan(x) else "∞")
    if spec.signed and math.isfinite(x) and x > 0:
        text = "+" + text
    text = html.escape(text).replace(" ", "&#8239;")
    return f"<td style='text-align:right'>{text}</td>"


def html_table(
    frame: pd.DataFrame,
    columns: Mapping[str, Column],
    *,
    max_rows: int = 20,
    caption: str | None = None,
) -> str:
    """Render a table in HTML with French headers and number formats.

    Every text from the data is escaped.

    Parameters
    ----------
    frame : pandas.DataFrame
    columns : dict
        ``{column: Column}`` in display order; columns absent from ``frame`` are skipped.
    max_rows : int, default 20
        Rows shown; a line says how many more there are.
    caption : str, optional
        Title above the table.

    Returns
    -------
    str

    Examples
    --------
    >>> t = pd.DataFrame({"nom": ["<b>Aval</b>"], "envelope_ha": [1234.5]})
    >>> out = html_table(t, {"nom": Column("Nom"), "envelope_ha": Column("Enveloppe (ha)", 1)})
    >>> "&lt;b&gt;Aval" in out, "1&#8239;234,5" in out
    (True, True)
    """
    cols = [c for c in columns if c in frame.columns]
    head = "".join(f"<th>{html.escape(columns[c].label)}</th>" for c in cols)
    shown = frame[cols].head(max_rows)
    rows = []
    for rec in shown.itertuples(index=False):
        cells = "".join(_cell(v, columns[c]) for c, v in zip(cols, rec, strict=True))
        rows.append(f"<tr>{cells}</tr>")
    more = (
        f"<p>… {fr_text(len(frame) - max_rows, 0)} autres lignes</p>"
        if len(frame) > max_rows
        else ""
    )
    cap = f"<caption>{html.escape(caption)}</caption>" if caption else ""
    return f"<table>{cap}<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{more}"


def scenario_html(scenario: Any) -> str:
    """French HTML summary of a scenario: envelope, level, criteria, floors and caps.

    Meant as the body of ``Scenario._repr_html_``.

    Parameters
    ----------
    scenario : zan.scenario.Scenario

    Returns
    -------
    str

    Examples
    --------
    >>> from zan.scenario import load_scenario
    >>> from zan.datasets import scenario_path
    >>> out = scenario_html(load_scenario(scenario_path("02_consommation_population")))
    >>> "Consommation et population" in out, "population" in out
    (True, True)
    """
    from .allocate import LEVEL_LABELS

    sc = scenario
    e = sc.envelope
    if e.envelope_ha is not None:
        env = f"{fr_text(e.envelope_ha)} ha donnés"
    elif e.reduction is not None:
        env = f"réduction de {fr_text(100 * e.reduction, 1)} % de la consommation de référence"
    else:
        env = "réduction du profil légal"
    pene = {"none": "aucun", "perequation": "péréquation nationale"}.get(
        str(e.pene), f"{fr_text(float(e.pene))} ha" if not isinstance(e.pene, str) else str(e.pene)
    )
    reserve = (
        f"{fr_text(e.reserve_ha)} ha"
        if e.reserve_ha is not None
        else (f"{fr_text(100 * e.reserve_share, 1)} %" if e.reserve_share is not None else "aucune")
    )
    a = sc.allocation
    if a.level == "cascade":
        level = " → ".join(LEVEL_LABELS.get(lv, lv) for lv in a.cascade)
    else:
        level = LEVEL_LABELS.get(a.level, a.level)
    rows = [
        ("Profil légal", e.profile),
        ("Enveloppe", env),
        ("PENE", pene),
        ("Réserve régionale", reserve),
        ("Niveau de répartition", level),
        ("Garantie communale", "oui" if sc.floors.garantie_communale else "non"),
        ("Plancher par territoire", f"{fr_text(sc.floors.ha)} ha" if sc.floors.ha else "aucun"),
        (
            "Plafond",
            (
                f"{fr_text(100 * sc.caps.share_of_reference, 0)} % de la consommation de référence"
                if sc.caps.share_of_reference is not None
                else (f"{fr_text(sc.caps.ha)} ha" if sc.caps.ha is not None else "aucun")
            ),
        ),
    ]
    info = "".join(
        f"<tr><th style='text-align:left'>{html.escape(k)}</th><td>{html.escape(v)}</td></tr>"
        for k, v in rows
    )
    total = sum(c.weight for c in sc.criteria) or 1.0
    crit = pd.DataFrame(
        {
            "name": [c.name or c.rule for c in sc.criteria],
            "rule": [c.rule for c in sc.criteria],
            "weight_pct": [100.0 * c.weight / total for c in sc.criteria],
            "params": [
                ", ".join(f"{k} = {v}" for k, v in c.params.items()) or "—" for c in sc.criteria
            ],
        }
    )
    table = html_table(
        crit,
        {
            "name": Column("Critère"),
            "rule": Column("Règle"),
            "weight_pct": Column("Poids (%)", 1),
            "params": Column("Paramètres"),
        },
        max_rows=50,
    )
    desc = f"<p>{html.escape(sc.scenario.description)}</p>" if sc.scenario.description else ""
    return (
        f"<div><strong>Scénario : {html.escape(sc.scenario.name)}</strong>{desc}"
        f"<table><tbody>{info}</tbody></table>{table}</div>"
    )


_ALLOCATION_COLUMNS = {
    "code": "Code",
    "nom": "Nom",
    "parent": "Territoire parent",
    "reference_ha": "Consommation de référence (ha)",
    "envelope_ha": "Enveloppe (ha)",
    "reduction_pct": "Réduction (%)",
    "floor_ha": "Plancher (ha)",
    "cap_ha": "Plafond (ha)",
    "bound": "Borne",
    "garantie_ha": "Garantie communale (ha)",
}
_BOUND_FR = {"none": "—", "floor": "plancher", "cap": "plafond"}


def allocation_html(alloc: Any) -> str:
    """French HTML summary of an allocation: levels, totals and the first 20 territories.

    The body of ``Allocation._repr_html_`` (what Jupyter shows).

    Parameters
    ----------
    alloc : zan.Allocation

    Returns
    -------
    str

    Examples
    --------
    >>> from zan.allocate import allocate
    >>> from zan.rules import Criterion
    >>> t = pd.DataFrame({"reference_ha": [1.0, 2.0]}, index=["a", "b"])
    >>> out = allocation_html(allocate(t, 10.0, criteria=[Criterion("uniform")]))
    >>> "Enveloppe répartie" in out, out.count("<tr>")
    (True, 10)
    """
    from .formatting import LEVEL_LABELS, fr_html

    t = alloc.tables[alloc.level]
    head = (
        f"<strong>Répartition de l'enveloppe foncière</strong>"
        f"{' — ' + html.escape(alloc.name) if alloc.name else ''}<br>"
        f"Niveau : {html.escape(' → '.join(LEVEL_LABELS.get(lv, lv) for lv in alloc.levels))} ; "
        f"{len(t)} territoires ; {int((t['bound'] == 'floor').sum())} au plancher, "
        f"{int((t['bound'] == 'cap').sum())} au plafond."
    )
    tot = "".join(
        f"<tr><td>{html.escape(lbl)}</td><td style='text-align:right'>{fr_html(v)}</td></tr>"
        for lbl, v in alloc.summary().itertuples(index=False)
    )
    cols = [c for c in _ALLOCATION_COLUMNS if c in t.columns]
    shown = t[cols].head(20)
    header = "".join(f"<th>{html.escape(_ALLOCATION_COLUMNS[c])}</th>" for c in cols)
    body = []
    for rec in shown.itertuples(index=False):
        cells = []
        for c, v in zip(cols, rec, strict=True):
            if c == "bound":
                cells.append(f"<td>{_BOUND_FR.get(v, v)}</td>")
            elif isinstance(v, float):
                cells.append(f"<td style='text-align:right'>{fr_html(v, unit='')}</td>")
            else:
                cells.append(f"<td>{html.escape(str(v))}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    more = f"<p>… {len(t) - 20} autres territoires</p>" if len(t) > 20 else ""
    return (
        f"<div>{head}<table><tbody>{tot}</tbody></table>"
        f"<table><thead><tr>{header}</tr></thead><tbody>{''.join(body)}</tbody></table>"
        f"{more}</div>"
    )


# ============================================================================ widget
class WeightsModel:
    """The computation behind :func:`weights_widget`, usable without ipywidgets.

    Holds a prepared single-level scenario as a :class:`zan.batch.BatchProblem` (its
    criteria shares, bounds and envelope) and the territories drawn once as a
    matplotlib collection; :meth:`update` recomputes the allocation for new weights
    through :meth:`zan.batch.BatchProblem.run` (one row, rounded as the scenario says)
    and recolours the map.

    Parameters
    ----------
    scenario : Scenario, path or PreparedScenario
        A single-level scenario (not a cascade).
    column : {"envelope_ha", "reduction_pct"}, default "envelope_ha"
        What the map shows.

    Examples
    --------
    >>> from zan.datasets import scenario_path
    >>> m = WeightsModel(scenario_path("02_consommation_population"))
    >>> t = m.update({"consommation": 1.0, "population": 0.0})
    >>> round(float(t["envelope_ha"].sum()), 2) == round(m.distributed_ha, 2)
    True
    >>> m.close()
    """

    def __init__(self, scenario: Any, *, column: str = "envelope_ha"):
        from .allocate import BatchProblem
        from .sensitivity import prepare

        if column not in ("envelope_ha", "reduction_pct"):
            raise _scenario_error(
                f"column must be 'envelope_ha' or 'reduction_pct' (got {column!r})"
            )
        self.prep = prepare(scenario)
        self.setup = BatchProblem.from_prepared(self.prep)
        self.column = column
        self.names = list(self.setup.criteria_names)
        self.base = dict(zip(self.names, self.setup.base_weights.tolist(), strict=True))
        self.distributed_ha = float(self.setup.envelope_ha)
        self._figure = None
        self._collection = None
        self.last_seconds = float("nan")

    # ------------------------------------------------------------------ compute
    def allocation(self, weights: Mapping[str, float]) -> pd.DataFrame:
        """Envelope per territory for these weights (normalised to sum to 1).

        Returns
        -------
        pandas.DataFrame
            Indexed by code: ``nom``, ``reference_ha``, ``envelope_ha``, ``reduction_pct``.
        """
        w = np.array([max(float(weights.get(n, 0.0)), 0.0) for n in self.names])
        if w.sum() <= 0:
            w = np.ones_like(w)
        w = w / w.sum()
        s = self.setup
        env = s.run(w[None, :]).rounded_ha[0]
        ref = s.reference_ha
        with np.errstate(divide="ignore", invalid="ignore"):
            red = np.where(ref > 0, 100.0 * (1.0 - env / ref), np.nan)
        return pd.DataFrame(
            {"nom": s.names, "reference_ha": ref, "envelope_ha": env, "reduction_pct": red},
            index=s.codes,
        )

    # ------------------------------------------------------------------ drawing
    def figure(self):
        """The map (a matplotlib Figure), drawn once; later calls reuse it."""
        if self._figure is None:
            self._draw()
        return self._figure

    def _draw(self) -> None:
        import matplotlib

        matplotlib.use("Agg", force=False)
        from matplotlib.figure import Figure

        geoms = self.prep.territories.geometries(self.prep.levels[-1]).reindex(self.setup.codes)
        fig = Figure(figsize=(7, 6))
        ax = fig.add_subplot(1, 1, 1)
        geoms.plot(ax=ax, color="#cccccc", edgecolor="white", linewidth=0.2)
        ax.set_axis_off()
        ax.set_aspect("equal")
        self._collection = ax.collections[0]
        self._norm = None
        self._ax = ax
        self._figure = fig
        self._cbar = None

    def recolour(self, table: pd.DataFrame) -> None:
        """Colour the map with ``table[column]`` (one colour scale per update)."""
        from matplotlib import colormaps
        from matplotlib.colors import Normalize

        fig = self.figure()
        y = table[self.column].to_numpy(np.float64)
        finite = y[np.isfinite(y)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
        if hi <= lo:
            hi = lo + 1.0
        # no red/green ramp: reductions in the colour-blind-safe diverging RdBu
        cmap = colormaps["YlOrRd" if self.column == "envelope_ha" else "RdBu_r"]
        norm = Normalize(lo, hi)
        colours = cmap(norm(np.where(np.isfinite(y), y, lo)))
        colours[~np.isfinite(y)] = (0.8, 0.8, 0.8, 1.0)
        self._collection.set_facecolor(colours)
        if self._cbar is None:
            from matplotlib.cm import ScalarMappable

            self._mappable = ScalarMappable(norm=norm, cmap=cmap)
            label = "Enveloppe 2021-2030 (ha)" if self.column == "envelope_ha" else "Réduction (%)"
            self._cbar = fig.colorbar(self._mappable, ax=self._ax, shrink=0.6, label=label)
        else:
            self._mappable.set_norm(norm)
            self._cbar.update_normal(self._mappable)

    def update(self, weights: Mapping[str, float]) -> pd.DataFrame:
        """Recompute for ``weights`` and recolour the map; returns the table.

        The time taken is kept in :attr:`last_seconds`.
        """
        t0 = time.perf_counter()
        table = self.allocation(weights)
        self.recolour(table)
        self.last_seconds = time.perf_counter() - t0
        return table

    def png(self) -> bytes:
        """The current map as PNG bytes."""
        import io

        buf = io.BytesIO()
        self.figure().savefig(buf, format="png", dpi=80)
        return buf.getvalue()

    def close(self) -> None:
        """Release the figure."""
        self._figure = None
        self._collection = None


def _scenario_error(message: str):
    from .errors import ScenarioError

    return ScenarioError(message)


_NO_WIDGETS = (
    "Le curseur interactif des poids nécessite le paquet optionnel « ipywidgets », "
    "absent de cet environnement. Installez-le avec : pip install 'zan[notebook]' "
    "(ou pip install ipywidgets), puis relancez le noyau."
)


class _Message:
    """A plain message shown in a notebook (HTML) and in a console (text)."""

    def __init__(self, text: str):
        self.text = text

    def __repr__(self) -> str:
        return self.text

    def _repr_html_(self) -> str:
        return f"<p style='color:#8a4b00'>{html.escape(self.text)}</p>"


def weights_widget(scenario: Any, *, column: str = "envelope_ha", step: float = 0.05) -> Any:
    """Sliders for the criteria weights that recompute the allocation and redraw the map.

    Each slider sets one criterion's weight (the weights are normalised to sum to 1);
    every move recomputes the allocation through the batch path and recolours the map,
    shows the time taken and the territories that move most against the scenario's own
    weights. Only the colours change, so an update takes well under a second even on
    3,800 communes.

    Parameters
    ----------
    scenario : Scenario, path or PreparedScenario
        A single-level scenario (not a cascade).
    column : {"envelope_ha", "reduction_pct"}, default "envelope_ha"
    step : float, default 0.05
        Slider step.

    Returns
    -------
    ipywidgets.VBox or a message object
        Without ``ipywidgets``, an object that displays a French message saying how to
        install it (nothing is raised).

    Examples
    --------
    >>> from zan.datasets import scenario_path
    >>> w = weights_widget(scenario_path("02_consommation_population"))
    >>> type(w).__name__ in ("VBox", "_Message")
    True
    """
    try:
        import ipywidgets as widgets
    except ImportError:
        return _Message(_NO_WIDGETS)

    model = WeightsModel(scenario, column=column)
    base_table = model.allocation(model.base)
    sliders = {
        n: widgets.FloatSlider(
            value=round(w, 4),
            min=0.0,
            max=1.0,
            step=step,
            description=n,
            continuous_update=False,
            readout_format=".2f",
        )
        for n, w in model.base.items()
    }
    image = widgets.Image(format="png")
    status = widgets.HTML()
    moves = widgets.HTML()

    def refresh(_change: Any = None) -> None:
        weights = {n: s.value for n, s in sliders.items()}
        table = model.update(weights)
        image.value = model.png()
        total = sum(weights.values()) or 1.0
        parts = " ; ".join(
            f"{html.escape(n)} {fr_text(100 * v / total, 0)} %" for n, v in weights.items()
        )
        status.value = (
            f"<p>Poids normalisés : {parts}. Recalcul et carte : "
            f"{fr_text(1000 * model.last_seconds, 0)} ms.</p>"
        )
        diff = (table["envelope_ha"] - base_table["envelope_ha"]).rename("difference_ha")
        top = pd.concat([table[["nom", "envelope_ha"]], diff], axis=1)
        top = top.reindex(diff.abs().sort_values(ascending=False).index[:8])
        moves.value = html_table(
            top,
            {
                "nom": Column("Territoire"),
                "envelope_ha": Column("Enveloppe (ha)", 2),
                "difference_ha": Column("Écart au scénario (ha)", 2, signed=True),
            },
            caption="Territoires qui bougent le plus",
        )

    for s in sliders.values():
        s.observe(refresh, names="value")
    refresh()
    title = widgets.HTML(
        f"<strong>{html.escape(model.prep.scenario.scenario.name)}</strong> : "
        "faites varier les poids des critères"
    )
    return widgets.VBox([title, *sliders.values(), status, widgets.HBox([image, moves])])
