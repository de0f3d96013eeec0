"""The files and figures of a sensitivity analysis: tables, workbook, fan plot, width maps.

Presentation of a :class:`~zan.sensitivity.SensitivityResult` (its methods ``plot``,
``explore``, ``to_png``, ``to_csv``, ``to_xlsx`` and its notebook repr delegate here):
French headers, :func:`fan_plot` (the spread of each territory's envelope across the
variants), :func:`width_map` / :func:`width_png` (the 90 % interval width per territory)
and :func:`write_sensitivity` (every file into a folder, atomically).
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._write import Sheet, atomic_path, write_csv, write_workbook
from .allocate import LEVEL_LABELS
from .background import in_child
from .errors import ScenarioError
from .formatting import fr_text
from .notebook import Column, html_table
from .sensitivity_result import SensitivityResult

__all__ = [
    "INTERVAL_COLUMNS",
    "result_html",
    "fan_plot",
    "width_map",
    "width_png",
    "write_view_csv",
    "write_xlsx",
    "write_sensitivity",
]

#: Columns of the intervals table: French header and unit (``ha``, ``pct`` or None).
INTERVAL_COLUMNS = {
    "code": ("Code", None),
    "nom": ("Nom", None),
    "reference_ha": ("Consommation de référence (ha)", "ha"),
    "base_ha": ("Enveloppe du scénario (ha)", "ha"),
    "min_ha": ("Minimum (ha)", "ha"),
    "p05_ha": ("5e centile (ha)", "ha"),
    "median_ha": ("Médiane (ha)", "ha"),
    "p95_ha": ("95e centile (ha)", "ha"),
    "max_ha": ("Maximum (ha)", "ha"),
    "width90_ha": ("Largeur de l'intervalle à 90 % (ha)", "ha"),
    "width90_pct": ("Largeur de l'intervalle à 90 % (% de la médiane)", "pct"),
}


def result_html(result: SensitivityResult) -> str:
    """French HTML summary of a :class:`~zan.sensitivity.SensitivityResult` (its notebook repr)."""

    lv = LEVEL_LABELS.get(result.level, result.level)
    head = (
        f"<strong>Analyse de sensibilité — {_html(result.name)}</strong><br>"
        f"{fr_text(len(result.samples), 0)} évaluations ({fr_text(result.n_base, 0)} × "
        f"{len(result.parameters) + 2}, plan de Saltelli, graine {result.seed}) en "
        f"{fr_text(result.seconds, 2)} s ; {len(result.intervals)} territoires ({_html(lv)})."
    )
    params = html_table(
        result.parameters.assign(key=result.parameters.index).join(
            result.indices[["first_order", "total"]]
        ),
        {
            "label": Column("Paramètre"),
            "distribution": Column("Loi"),
            "base": Column("Valeur du scénario", 3),
            "first_order": Column("Indice de Sobol du 1er ordre", 2),
            "total": Column("Indice de Sobol total", 2),
        },
        max_rows=50,
        caption="Paramètres et indices pour l'ensemble des territoires",
    )
    widest = result.intervals.sort_values("width90_ha", ascending=False)
    cols = {
        k: _column(label, unit)
        for k, (label, unit) in INTERVAL_COLUMNS.items()
        if k not in ("code", "reference_ha")
    }
    table = html_table(
        widest, cols, max_rows=15, caption="Territoires les plus sensibles (intervalle à 90 %)"
    )
    notes = "".join(f"<p>{_html(n)}</p>" for n in result.notes)
    return f"<div>{head}{params}{table}{notes}</div>"


def fan_plot(
    result: SensitivityResult,
    path: str | os.PathLike | None = None,
    *,
    max_territories: int = 40,
    relative: bool = True,
    strip: int = 150,
):
    """Fan/strip plot of a result (:meth:`zan.sensitivity.SensitivityResult.plot`)."""
    from matplotlib.figure import Figure

    t = result.intervals
    order = t["width90_ha"].sort_values(ascending=False).index[:max_territories]
    order = t.loc[order].sort_values("median_ha").index
    pos = t.index.get_indexer(order)
    base = t.loc[order, "base_ha"].to_numpy()
    scale = np.where(base > 0, 100.0 / np.where(base > 0, base, 1.0), np.nan)
    if relative:

        def f(v: np.ndarray) -> np.ndarray:
            return v * scale - 100.0

    else:

        def f(v: np.ndarray) -> np.ndarray:
            return v

    y = np.arange(len(order))
    width, height = 8.0, max(3.0, 0.28 * len(order) + 1.5)
    fig = Figure(figsize=(width, height))
    # margins from the label lengths (inches; 7-point labels are at most ~0.06 in
    # per character): measuring every text for a "tight" layout costs more than
    # drawing the figure
    longest = max([len(str(n)[:40]) for n in t.loc[order, "nom"]] + [4])
    left = min(0.45, (0.25 + 0.06 * longest) / width)
    fig.subplots_adjust(left=left, right=0.97, bottom=0.75 / height, top=1.0 - 0.45 / height)
    ax = fig.add_subplot(1, 1, 1)
    if strip and len(result.values):
        rng = np.random.default_rng(0)
        rows = rng.choice(len(result.values), size=min(strip, len(result.values)), replace=False)
        v = f(result.values[np.ix_(rows, pos)])
        jitter = rng.uniform(-0.25, 0.25, v.shape)
        ax.scatter(
            v.ravel(),
            (y[None, :] + jitter).ravel(),
            s=3,
            color="#9ecae1",
            alpha=0.5,
            linewidths=0,
            label="variantes (échantillon)",
        )
    get = t.loc[order]
    ax.hlines(
        y,
        f(get["min_ha"].to_numpy()),
        f(get["max_ha"].to_numpy()),
        color="#555555",
        linewidth=0.8,
        label="minimum – maximum",
    )
    ax.hlines(
        y,
        f(get["p05_ha"].to_numpy()),
        f(get["p95_ha"].to_numpy()),
        color="#08519c",
        linewidth=5,
        label="intervalle à 90 %",
    )
    ax.scatter(
        f(get["median_ha"].to_numpy()),
        y,
        s=14,
        color="white",
        edgecolors="#08519c",
        zorder=3,
        label="médiane",
    )
    ax.scatter(f(base), y, marker="|", s=120, color="black", zorder=4, label="valeur du scénario")
    ax.set_yticks(y)
    ax.set_yticklabels([str(n)[:40] for n in get["nom"]], fontsize=7)
    ax.set_xlabel("Écart à l'enveloppe du scénario (%)" if relative else "Enveloppe 2021-2030 (ha)")
    if relative:
        ax.axvline(0, color="#999999", linewidth=0.6)
    shown = "" if len(order) == len(t) else f" ({len(order)} plus sensibles sur {len(t)})"
    ax.set_title(f"Sensibilité de l'enveloppe — {result.name}{shown}", fontsize=10)
    ax.legend(fontsize=7, loc="lower right")
    ax.grid(axis="x", color="#eeeeee")
    if path is not None:
        _save_figure(fig, path)
    return fig


def width_map(result: SensitivityResult, column: str = "width90_ha", **kwargs: Any):
    """Offline map of the interval width (:meth:`zan.sensitivity.SensitivityResult.explore`)."""
    from .maps import choropleth

    kwargs.setdefault("title", f"Largeur de l'intervalle à 90 % — {result.name}")
    # layer, legend and tooltip named by the maps' French labels; the legend adds the unit once
    kwargs.setdefault("cmap", "Purples")
    kwargs.setdefault("credit", "Calcul zan, analyse de sensibilité")
    # the popup lists the interval, not an allocation's shares by criterion
    kwargs.setdefault(
        "popup",
        {k: label.split(" (")[0] for k, (label, unit) in INTERVAL_COLUMNS.items() if unit},
    )
    return choropleth(_geometries(result), column, values=_map_table(result), **kwargs)


def width_png(
    result: SensitivityResult, path: str | os.PathLike, column: str = "width90_ha", **kwargs: Any
) -> Path:
    """Static map of the interval width (:meth:`zan.sensitivity.SensitivityResult.to_png`)."""
    from .maps import to_png

    kwargs.setdefault("title", f"Largeur de l'intervalle à 90 % — {result.name}")
    kwargs.setdefault("cmap", "Purples")
    return Path(to_png(_geometries(result), column, path, values=_map_table(result), **kwargs))


def _map_table(result: SensitivityResult) -> pd.DataFrame:
    """The intervals as a map's values (``envelope_ha`` the scenario's)."""
    t = result.intervals.drop(columns=["code"]).copy()
    t["envelope_ha"] = t["base_ha"]
    return t


def _geometries(result: SensitivityResult):
    """The territories' geometries at the result's level."""
    if result.territories is None:
        raise ScenarioError(
            "this result has no territories, so no geometry to map; run the analysis "
            "from a scenario"
        )
    return result.territories.geometries(result.level)


def _views(result: SensitivityResult) -> dict[str, pd.DataFrame]:
    """The tables written, by French sheet name."""
    inter = result.intervals.rename(
        columns={k: v[0] for k, v in INTERVAL_COLUMNS.items()}
    ).reset_index(drop=True)
    labels = result.parameters["label"]
    idx = result.indices.join(result.parameters[["distribution", "min", "max", "base"]])
    idx = pd.DataFrame(
        {
            "Paramètre": labels.to_numpy(),
            "Clé": idx.index.to_numpy(),
            "Loi": idx["distribution"].to_numpy(),
            "Minimum": idx["min"].to_numpy(),
            "Maximum": idx["max"].to_numpy(),
            "Valeur du scénario": idx["base"].to_numpy(),
            "Indice de Sobol du 1er ordre": idx["first_order"].to_numpy(),
            "Indice de Sobol total": idx["total"].to_numpy(),
        }
    )

    def per_territory(frame: pd.DataFrame) -> pd.DataFrame:
        out = frame.rename(columns=labels.to_dict())
        out.insert(0, "Nom", result.intervals["nom"].to_numpy())
        out.insert(0, "Code", result.intervals.index.to_numpy())
        return out.reset_index(drop=True)

    return {
        "Intervalles": inter,
        "Indices": idx,
        "Indices du 1er ordre": per_territory(result.first_order),
        "Indices totaux": per_territory(result.total),
    }


def write_view_csv(
    result: SensitivityResult, path: str | os.PathLike, *, view: str = "intervalles"
) -> Path:
    """Write one view as CSV (:meth:`zan.sensitivity.SensitivityResult.to_csv`)."""

    views = {_slug(k): v for k, v in _views(result).items()}
    if view not in views:
        raise ScenarioError(f"unknown view {view!r}; views: {', '.join(views)}")
    return write_csv(views[view], path, index=False, decimals=4)


def write_xlsx(result: SensitivityResult, path: str | os.PathLike) -> Path:
    """Write every view into one workbook (:meth:`zan.sensitivity.SensitivityResult.to_xlsx`)."""
    fmt = {
        "ha": "#,##0.00",
        "pct": "0.0",
        "idx": "0.000",
        "num": "0.000",
    }
    views = _views(result)
    sheets = []
    inter_formats = {
        v[0]: fmt["ha"] if v[1] == "ha" else fmt["pct"] for v in INTERVAL_COLUMNS.values() if v[1]
    }
    sheets.append(Sheet("Intervalles", views["Intervalles"], inter_formats, freeze="C2"))
    sheets.append(
        Sheet(
            "Indices",
            views["Indices"],
            {
                "Minimum": fmt["num"],
                "Maximum": fmt["num"],
                "Valeur du scénario": fmt["num"],
                "Indice de Sobol du 1er ordre": fmt["idx"],
                "Indice de Sobol total": fmt["idx"],
            },
            freeze="B2",
        )
    )
    for name in ("Indices du 1er ordre", "Indices totaux"):
        frame = views[name]
        sheets.append(Sheet(name, frame, {c: fmt["idx"] for c in frame.columns[2:]}, freeze="C2"))
    about = pd.DataFrame(
        {
            "Élément": [
                "Scénario",
                "Niveau",
                "Évaluations",
                "Échantillons de base (N)",
                "Graine",
                "Méthode",
                *(f"Note {i + 1}" for i in range(len(result.notes))),
            ],
            "Valeur": [
                result.name,
                LEVEL_LABELS.get(result.level, result.level),
                len(result.samples),
                result.n_base,
                result.seed,
                "Plan de Saltelli (suite de Sobol brouillée) ; indices du 1er ordre "
                "(Saltelli 2010) et totaux (Jansen 1999)",
                *result.notes,
            ],
        }
    )
    sheets.append(Sheet("Paramètres", about, {}, freeze="A2"))
    return write_workbook(path, sheets)


def write_sensitivity(
    result: SensitivityResult,
    out: str | os.PathLike,
    *,
    png: bool = False,
    html: bool = True,
    fan: bool = True,
) -> list[Path]:
    """Write an analysis into a folder: tables, workbook, fan plot and maps.

    Writes ``intervalles.csv``, ``indices.csv``, ``sensibilite.xlsx``,
    ``eventail.png`` (fan/strip plot) and, when the result has territories,
    ``carte_largeur.html`` (offline map of the 90 % interval width), plus
    ``carte_largeur.png`` (static map for reports) when ``png`` is true, as
    ``zan allocate --png`` does. Every file is written atomically.

    Parameters
    ----------
    result : SensitivityResult
    out : path-like
        Output folder (created if needed).
    png : bool, default False
        Also write the static map.
    html : bool, default True
        Write the interactive map.
    fan : bool, default True
        Write the fan plot.

    Returns
    -------
    list of pathlib.Path

    Examples
    --------
    >>> import tempfile
    >>> from zan.datasets import scenario_path
    >>> from zan.sensitivity import sensitivity_analysis
    >>> r = sensitivity_analysis(scenario_path("02_consommation_population"), samples=64)
    >>> [p.name for p in write_sensitivity(r, tempfile.mkdtemp(), html=False, fan=False)]
    ['intervalles.csv', 'indices.csv', 'sensibilite.xlsx']
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    # the workbook (XlsxWriter, cell by cell) and the fan plot (matplotlib: its import
    # and drawing) in child processes beside the tables and the map (zan.background:
    # the same bytes, each file written by one process)
    jobs = [in_child(write_xlsx, result, out / "sensibilite.xlsx")]
    if fan:
        jobs.append(in_child(_fan_file, result, out / "eventail.png"))
    try:
        written = [
            write_view_csv(result, out / "intervalles.csv", view="intervalles"),
            write_view_csv(result, out / "indices.csv", view="indices"),
        ]
        maps = []
        if result.territories is not None:
            if html:
                from .maps import save

                maps.append(save(width_map(result), out / "carte_largeur.html"))
            if png:
                maps.append(width_png(result, out / "carte_largeur.png"))
    except BaseException:
        for job in jobs:
            with contextlib.suppress(Exception):
                job.wait()
        raise
    error = None
    for job in jobs:  # every child waited for, the first error raised
        try:
            written.append(job.wait())
        except Exception as exc:  # noqa: BLE001 - raised below, after the others
            error = error or exc
    if error is not None:
        raise error
    return written + maps


def _fan_file(result: SensitivityResult, path: Path) -> Path:
    fan_plot(result, path)
    return path


def _slug(name: str) -> str:
    return name.lower().replace(" du ", "_").replace(" ", "_")


def _column(label: str, unit: str | None) -> Column:
    return Column(label, None if unit is None else (2 if unit == "ha" else 1))


def _html(text: Any) -> str:
    import html

    return html.escape(str(text))


def _save_figure(fig: Any, path: str | os.PathLike) -> Path:
    with atomic_path(path) as tmp:  # the figure's own layout: no second "tight" pass
        fig.savefig(tmp, dpi=150)
    return Path(path)
