"""The files and map of a scenario comparison: tables, workbook, map, notebook summary.

Presentation of a :class:`~zan.compare.Comparison` (its methods ``explore``, ``to_csv``,
``to_xlsx`` and its notebook repr delegate here): French headers and number formats,
:func:`comparison_map` (one layer per scenario plus the differences to the baseline) and
:func:`write_comparison` (every file into a folder, atomically).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._write import Sheet, write_csv, write_workbook
from .allocate import LEVEL_LABELS
from .compare import Comparison
from .errors import ScenarioError
from .formatting import fr_text
from .notebook import Column, html_table

__all__ = ["comparison_html", "comparison_map", "write_view_csv", "write_xlsx", "write_comparison"]


def comparison_html(comparison: Comparison) -> str:
    """French HTML summary of a :class:`~zan.compare.Comparison` (its notebook repr)."""

    lv = LEVEL_LABELS.get(comparison.level, comparison.level)
    head = (
        f"<strong>Comparaison de {len(comparison.names)} scénarios</strong> — "
        f"{len(comparison.envelope_ha)} territoires ({_h(lv)}) ; référence : « {_h(comparison.baseline)} »."
    )
    ind = comparison.indicators()
    labels = comparison.indicator_labels()
    shown = ind.T
    shown.insert(0, "indicateur", [labels[c] for c in ind.columns])
    dec = {
        c: (
            0
            if c in ("at_floor", "at_cap", "winners", "losers")
            else (3 if c.startswith("gini") else 1)
        )
        for c in ind.columns
    }
    body = []
    for c, rec in zip(ind.columns, shown.itertuples(index=False), strict=True):
        cells = "".join(
            f"<td style='text-align:right'>{_h(fr_text(float(v), dec[c]))}</td>" for v in rec[1:]
        )
        body.append(f"<tr><td>{_h(rec[0])}</td>{cells}</tr>")
    header = "".join(f"<th>{_h(n)}</th>" for n in comparison.names)
    indicators = (
        f"<table><caption>Indicateurs par scénario</caption><thead><tr><th></th>{header}"
        f"</tr></thead><tbody>{''.join(body)}</tbody></table>"
    )
    wl = comparison.winners_losers(3)
    wl["side"] = wl["side"].map({"gain": "gagnant", "perte": "perdant"})
    winners = html_table(
        wl,
        {
            "scenario": Column("Scénario"),
            "side": Column("Sens"),
            "nom": Column("Territoire"),
            "baseline_ha": Column("Référence (ha)", 2),
            "envelope_ha": Column("Scénario (ha)", 2),
            "difference_ha": Column("Écart (ha)", 2, signed=True),
            "difference_pts": Column("Écart (points)", 1, signed=True),
        },
        max_rows=60,
        caption="Principaux gagnants et perdants par rapport à la référence",
    )
    wide = comparison.territories_table[["nom"]].join(comparison.envelope_ha.add_prefix("env::"))
    cols = {"nom": Column("Territoire")}
    cols.update({f"env::{n}": Column(f"Enveloppe (ha) — {n}", 2) for n in comparison.names})
    table = html_table(wide, cols, max_rows=15, caption="Enveloppes par territoire")
    notes = "".join(f"<p>{_h(n)}</p>" for n in comparison.notes)
    return f"<div>{head}{indicators}{winners}{table}{notes}</div>"


def comparison_map(
    comparison: Comparison, column: str = "envelope_ha", *, versus: str | None = None, **kwargs: Any
):
    """The comparison map (:meth:`zan.compare.Comparison.explore`)."""
    from .maps import scenario_layers

    if len(comparison.names) < 2:
        difference: Any = False
    elif versus is None:
        difference = [(comparison.baseline, other) for other in comparison.others]
    else:
        if versus not in comparison.names:
            raise ScenarioError(
                f"versus: no scenario named {versus!r}; scenarios: {', '.join(comparison.names)}"
            )
        difference = (comparison.baseline, versus)
    tables = {}
    for name, alloc in zip(comparison.names, comparison.allocations, strict=True):
        t = alloc.level_table(comparison.level)
        tables[name] = t.drop(columns=[c for c in ("weight", "multiplier") if c in t])
    kwargs.setdefault("title", f"Comparaison des scénarios — référence : {comparison.baseline}")
    if "credit" not in kwargs:
        from .maps.credits import allocation_credit

        credit = allocation_credit(comparison.allocations[0])
        kwargs["credit"] = credit.split(", scénario ")[0]
    return scenario_layers(
        comparison._geometries(), column, tables, difference=difference, **kwargs
    )


def _views(comparison: Comparison) -> dict[str, tuple[pd.DataFrame, dict[str, str]]]:
    """The tables written, by French sheet name, with their number formats."""
    HA, PCT, PTS = "#,##0.00", "0.0", "+0.0;-0.0;0.0"
    t = comparison.territories_table
    base = pd.DataFrame(
        {
            "Code": t.index.to_numpy(),
            "Nom": t["nom"].to_numpy(),
            "Consommation de référence (ha)": t["reference_ha"].to_numpy(),
        }
    )
    fmt: dict[str, str] = {"Consommation de référence (ha)": HA}
    wide = base.copy()
    for n in comparison.names:
        wide[f"Enveloppe (ha) — {n}"] = comparison.envelope_ha[n].to_numpy()
        fmt[f"Enveloppe (ha) — {n}"] = HA
    for n in comparison.names:
        wide[f"Réduction (%) — {n}"] = comparison.reduction_pct[n].to_numpy()
        fmt[f"Réduction (%) — {n}"] = PCT
    for n in comparison.others:
        wide[f"Écart (ha) — {n} − {comparison.baseline}"] = comparison.difference_ha[n].to_numpy()
        fmt[f"Écart (ha) — {n} − {comparison.baseline}"] = "+#,##0.00;-#,##0.00;0.00"
    for n in comparison.others:
        wide[f"Écart (points) — {n} − {comparison.baseline}"] = comparison.difference_pts[
            n
        ].to_numpy()
        fmt[f"Écart (points) — {n} − {comparison.baseline}"] = PTS

    def per_scenario(df: pd.DataFrame, f: str) -> tuple[pd.DataFrame, dict[str, str]]:
        out = base[["Code", "Nom"]].copy()
        for n in df.columns:
            out[n] = df[n].to_numpy()
        return out, {n: f for n in df.columns}

    ind = comparison.indicators()
    labels = comparison.indicator_labels()
    indicators = pd.DataFrame({"Indicateur": [labels[c] for c in ind.columns]})
    for n in comparison.names:
        indicators[n] = ind.loc[n].to_numpy(np.float64)
    wl = comparison.winners_losers(10)
    wl = pd.DataFrame(
        {
            "Scénario": wl["scenario"].to_numpy(),
            "Sens": wl["side"].map({"gain": "gagnant", "perte": "perdant"}).to_numpy(),
            "Rang": wl["rank"].to_numpy(),
            "Code": wl["code"].to_numpy(),
            "Nom": wl["nom"].to_numpy(),
            f"Enveloppe (ha) — {comparison.baseline}": wl["baseline_ha"].to_numpy(),
            "Enveloppe du scénario (ha)": wl["envelope_ha"].to_numpy(),
            "Écart (ha)": wl["difference_ha"].to_numpy(),
            "Écart (points)": wl["difference_pts"].to_numpy(),
        }
    )
    about = pd.DataFrame(
        {
            "Scénario": list(comparison.names),
            "Rôle": [
                "référence" if n == comparison.baseline else "comparé" for n in comparison.names
            ],
            "Niveau": [LEVEL_LABELS.get(comparison.level, comparison.level)]
            * len(comparison.names),
            "Enveloppe répartie (ha)": [
                float(comparison.envelope_ha[n].sum()) for n in comparison.names
            ],
            "Empreinte du scénario (sha256)": [
                h or "" for h in (comparison.hashes or (None,) * len(comparison.names))
            ],
        }
    )
    return {
        "Territoires": (wide, fmt),
        "Indicateurs": (indicators, {n: "#,##0.000" for n in comparison.names}),
        "Enveloppes (ha)": per_scenario(comparison.envelope_ha, HA),
        "Réductions (%)": per_scenario(comparison.reduction_pct, PCT),
        "Écarts (ha)": per_scenario(comparison.difference_ha, "+#,##0.00;-#,##0.00;0.00"),
        "Écarts (points)": per_scenario(comparison.difference_pts, PTS),
        "Gagnants et perdants": (
            wl,
            {c: HA for c in wl.columns if "(ha)" in c} | {"Écart (points)": PTS},
        ),
        "Scénarios": (about, {"Enveloppe répartie (ha)": HA}),
    }


def write_view_csv(
    comparison: Comparison, path: str | os.PathLike, *, view: str = "territoires"
) -> Path:
    """Write one view as CSV (:meth:`zan.compare.Comparison.to_csv`)."""

    views = {_view_slug(k): v[0] for k, v in _views(comparison).items()}
    if view not in views:
        raise ScenarioError(f"unknown view {view!r}; views: {', '.join(views)}")
    return write_csv(views[view], path, index=False, decimals=4)


def write_xlsx(comparison: Comparison, path: str | os.PathLike) -> Path:
    """Write every view into one workbook (:meth:`zan.compare.Comparison.to_xlsx`)."""
    sheets = []
    for title, (frame, fmt) in _views(comparison).items():
        freeze = "C2" if "Code" in frame.columns[:1] else "B2"
        sheets.append(Sheet(title, frame, fmt, freeze=freeze))
    return write_workbook(path, sheets)


def write_comparison(
    comparison: Comparison, out: str | os.PathLike, *, html: bool = True
) -> list[Path]:
    """Write a comparison's files into ``out``: see :func:`zan.compare.write_comparison`."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    written = [
        write_view_csv(comparison, out / "comparaison.csv"),
        write_view_csv(comparison, out / "indicateurs.csv", view="indicateurs"),
        write_view_csv(comparison, out / "gagnants_perdants.csv", view="gagnants_perdants"),
        write_xlsx(comparison, out / "comparaison.xlsx"),
    ]
    if html and any(a.territories is not None for a in comparison.allocations):
        from .maps import save

        written.append(save(comparison_map(comparison), out / "carte_comparaison.html"))
    return written


def _view_slug(name: str) -> str:
    return {
        "Territoires": "territoires",
        "Indicateurs": "indicateurs",
        "Enveloppes (ha)": "enveloppes",
        "Réductions (%)": "reductions",
        "Écarts (ha)": "ecarts_ha",
        "Écarts (points)": "ecarts_points",
        "Gagnants et perdants": "gagnants_perdants",
        "Scénarios": "scenarios",
    }[name]


def _h(text: Any) -> str:
    import html

    return html.escape(str(text))
