"""French labels, units and number formats for map text, and safe embedding.

Every string that comes from data (territory names, codes, scenario names, column
names) is either HTML-escaped here before it reaches a page, or passed to the
browser as a JSON string and inserted with ``textContent`` / zan.js's ``esc``.
"""

from __future__ import annotations

import html
import json
import math
from typing import Any

import numpy as np

from ..formatting import format_number

__all__ = ["LABELS", "label_of", "unit_of", "decimals_of", "format_number", "escape", "credit_line"]

#: French label and unit of the indicators zan computes (docs/ARCHITECTURE.md data contracts).
LABELS: dict[str, tuple[str, str]] = {
    "envelope_ha": ("Enveloppe 2021-2030", "ha"),
    "reference_ha": ("Consommation de référence 2011-2020", "ha"),
    "allowed_ha": ("Consommation permise 2021-2030", "ha"),
    "consumed_since_2021_ha": ("Consommé depuis 2021", "ha"),
    "annual_rate_since_2021_ha": ("Rythme annuel depuis 2021", "ha/an"),
    "projected_2030_ha": ("Consommation projetée 2021-2030", "ha"),
    "remaining_ha": ("Solde restant", "ha"),
    "balance_ha": ("Solde restant", "ha"),
    "used_pct": ("Part de l'enveloppe consommée", "%"),
    "projected_pct": ("Part de l'enveloppe projetée en 2030", "%"),
    "reduction_pct": ("Taux de réduction", "%"),
    "floor_ha": ("Plancher", "ha"),
    "cap_ha": ("Plafond", "ha"),
    "garantie_communale_ha": ("Garantie communale", "ha"),
    "area_ha": ("Superficie", "ha"),
    "total_ha": ("Consommation totale", "ha"),
    "population": ("Population", "hab."),
    "status": ("Situation", ""),
    "bound": ("Borne appliquée", ""),
    "width90_ha": ("Largeur de l'intervalle à 90 %", "ha"),
    "width90_pct": ("Largeur de l'intervalle à 90 %", "% de la médiane"),
}

#: French text of the trajectory statuses (``zan.trajectory`` ``status`` column).
STATUS_LABELS: dict[str, str] = {
    "on_track": "Dans la trajectoire",
    "will_exceed": "Dépassement prévu",
    "exceeded": "Enveloppe dépassée",
}

#: French text of an allocation's ``bound`` column.
BOUND_LABELS: dict[str, str] = {
    "floor": "plancher appliqué",
    "cap": "plafond appliqué",
    "garantie": "garantie communale appliquée",
    "guarantee": "garantie communale appliquée",
    "none": "aucune",
    "": "aucune",
}

_UNITS = {"_ha": "ha", "_pct": "%", "_m2": "m²", "_pts": "points"}


def label_of(column: str) -> str:
    """French label of a column: from :data:`LABELS`, else a readable form of its name.

    Examples
    --------
    >>> label_of("envelope_ha")
    'Enveloppe 2021-2030'
    >>> label_of("population_ha")
    'Critère « population »'
    """
    if column in LABELS:
        return LABELS[column][0]
    for suffix in _UNITS:
        if column.endswith(suffix):
            stem = column[: -len(suffix)].replace("_", " ")
            return f"Critère « {stem} »" if suffix == "_ha" else stem.capitalize()
    return column.replace("_", " ").capitalize()


def unit_of(column: str) -> str:
    """Unit of a column from :data:`LABELS` or its suffix (``_ha``, ``_pct``, ``_m2``).

    Examples
    --------
    >>> unit_of("reduction_pct"), unit_of("x_m2"), unit_of("nom")
    ('%', 'm²', '')
    """
    if column in LABELS:
        return LABELS[column][1]
    for suffix, unit in _UNITS.items():
        if column.endswith(suffix):
            return unit
    return ""


def decimals_of(column: str, values: np.ndarray | None = None) -> int:
    """Decimals shown for a column: 1 for hectares and percentages, else 0 or 2.

    Examples
    --------
    >>> decimals_of("envelope_ha"), decimals_of("population", np.array([10.0, 20.0]))
    (1, 0)
    """
    if unit_of(column) in ("ha", "%", "ha/an", "points"):
        return 1
    if values is not None:
        finite = np.asarray(values, dtype=float)
        finite = finite[np.isfinite(finite)]
        if len(finite) and np.all(finite == np.round(finite)):
            return 0
    return 2


def escape(text: Any) -> str:
    """HTML-escape any value (quotes included).

    Examples
    --------
    >>> escape("<script>alert(1)</script>")
    '&lt;script&gt;alert(1)&lt;/script&gt;'
    """
    return html.escape(str(text), quote=True)


def credit_line(sources: tuple[str, ...] = ("Cerema", "IGN"), scenario: str | None = None) -> str:
    """The usual source line of a zan map.

    Examples
    --------
    >>> credit_line(scenario="SRADDET")
    'Sources : Cerema, IGN ; calcul zan, scénario SRADDET'
    """
    text = f"Sources : {', '.join(sources)} ; calcul zan" if sources else "Calcul zan"
    return f"{text}, scénario {scenario}" if scenario else text


def script_json(obj: Any) -> str:
    """JSON safe to place inside an inline ``<script>``: no ``<``, ``>``, ``&`` or U+2028.

    NaN and infinities become ``null``.
    """
    text = json.dumps(_clean(obj), ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


#: Types json writes as they are (a float only when finite).
_PLAIN = frozenset({str, int, bool, type(None)})


def _clean(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {str(k): _clean(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        kinds = set(map(type, obj))
        if kinds <= _PLAIN or (kinds <= _PLAIN | {float} and _all_finite(obj)):
            return obj  # a long list of plain values (a column of 35,000 figures), as it is
        return [_clean(v) for v in obj]
    if isinstance(obj, np.ndarray):
        return _clean(obj.tolist())
    if isinstance(obj, float | np.floating):
        return float(obj) if math.isfinite(obj) else None
    if isinstance(obj, np.integer):
        return int(obj)
    if isinstance(obj, np.bool_):
        return bool(obj)
    return obj


def _all_finite(values: list | tuple) -> bool:
    floats = [v for v in values if type(v) is float]
    return bool(np.isfinite(np.asarray(floats, dtype=float)).all())


def number_list(values: Any, decimals: int) -> list[float | None]:
    """Round a numeric array for embedding; NaN becomes ``None`` (vectorised)."""
    arr = np.round(np.asarray(values, dtype=float), decimals)
    out = arr.astype(object)
    out[~np.isfinite(arr)] = None
    if decimals == 0:
        ok = np.isfinite(arr)
        out[ok] = arr[ok].astype(np.int64)
    return out.tolist()
