""":meth:`zan.Allocation.explain` as compact data, for maps that build the text on demand.

A national map of 35,000 communes cannot carry 35,000 French paragraphs (17 MB) nor
wait for Python to write them: :func:`explain_data` gives, for every territory of a
level, one short list of numbers, and the few sentences that do not change from one
territory to the next. The page's script (``zan.explain`` in ``zan/maps/static/zan.js``)
writes a territory's paragraph when its popup opens, with the same words and figures
as :meth:`~zan.Allocation.explain`; :func:`explain_text` writes it the same way in
Python (tests compare both with :meth:`~zan.Allocation.explain`).

The numbers are rounded here, with Python's formatting, to the decimals shown (2, or 4
for the rounding term) and written as decimal text, so that the page only adds the
French separators: no figure is rounded twice.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from .formatting import LEVEL_LABELS, fr_text
from .garantie import pooling_text
from .number_text import short_decimals
from .rules import Criterion, get_rule

__all__ = ["ROUNDING_FR", "criterion_label", "explain_data", "explain_text"]

#: Rounding methods in French, as the explanation names them.
ROUNDING_FR = {
    "largest_remainder": "plus forts restes",
    "sainte_lague": "Sainte-Laguë",
}
#: Positions in a territory's row of numbers (criteria follow, from ``_CRIT``).
_ENV, _REF, _RED, _PARENT, _BOUND, _BEFORE, _FLOOR, _CAP, _ADJ, _GAR, _ROUND, _CRIT = range(12)
#: Bound codes: 1 raised to the floor, 2 cut to the cap, 3 floor exceeded, 0 none.
_BOUNDS = {"floor": 1, "cap": 2}


def criterion_label(crit: Criterion) -> str:
    """A criterion's name in the explanation: the rule's label and its column."""
    label = get_rule(crit.rule).label
    detail = crit.params.get("column") if isinstance(crit.params, Mapping) else None
    if crit.rule == "growth":
        start = crit.params.get("start", "population_2015")
        detail = f"{start} → {crit.params.get('end', 'population')}"
    return f"{label} ({detail})" if detail else label


def _numbers(values: np.ndarray, decimals: int) -> list[str]:
    """JSON tokens: the value rounded as ``fr_text`` rounds it, or its text when not finite."""
    out = short_decimals(values, decimals)  # f"{v:.2f}" without trailing zeros, vectorised
    texts: dict[float, str] = {}  # not finite: NaN, inf or -inf, one text each
    for i in np.flatnonzero(~np.isfinite(values)).tolist():
        v = float(values[i])
        key = 0.0 if v != v else v
        if key not in texts:
            texts[key] = json.dumps(fr_text(v, decimals), ensure_ascii=False)
        out[i] = texts[key]
    with np.errstate(invalid="ignore"):
        for i in np.flatnonzero((values <= 0) & (values > -1)).tolist():
            if out[i] == "-0":  # "-0" would read as 0 in Python
                out[i] = "-0.0"
    return out  # type: ignore[return-value]


def explain_data(allocation: Any, level: str | None = None) -> dict:
    """What the page needs to write :meth:`~zan.Allocation.explain` for one level.

    Parameters
    ----------
    allocation : Allocation
    level : str, optional
        Level (default: the allocation's own).

    Returns
    -------
    dict
        ``codes`` (the table's order), ``names`` (``nom``), and ``x``: the sentences
        common to all territories (``lab``, ``tgt``, ``refp``, ``par``: the sentences
        naming the parent envelope, ``crit``: the criteria's words, ``pool``, ``rnd``)
        and ``r``: one JSON array of numbers per territory (raw JSON text, see
        :func:`zan.maps.explain_field`).

    Examples
    --------
    >>> from zan.allocate import allocate
    >>> from zan.rules import Criterion
    >>> t = pd.DataFrame({"nom": ["Aval", "Amont"], "reference_ha": [10.0, 30.0]},
    ...                  index=["a", "b"])
    >>> a = allocate(t, 20.0, criteria=[Criterion("uniform")], level="epci")
    >>> data = explain_data(a)
    >>> explain_text(data, 0) == a.explain("a")
    True
    """
    lv = level or allocation.level
    t = allocation.level_table(lv)
    env = allocation.envelope
    x: dict[str, Any] = {
        "lab": f"{LEVEL_LABELS[lv]} " if lv in LEVEL_LABELS else "",
        "tgt": f" pour {env.target_period[0]}-{env.target_period[1]}" if env else "",
        "refp": (
            f"en {env.reference_period[0]}-{env.reference_period[1]}"
            if env
            else "sur la période de référence"
        ),
        "crit": [
            f"{fr_text(100 * a, 0)} % {criterion_label(c)} → "
            for c, a in zip(allocation.criteria, allocation.weights, strict=True)
        ],
        "pool": (
            pooling_text(allocation.garantie_pooling, lv)
            if any(float(tab["garantie_ha"].sum()) > 0 for tab in allocation.tables.values())
            else ""
        ),
        "rnd": f"Arrondi au {fr_text(allocation.resolution, 2)} ha "
        f"({ROUNDING_FR[allocation.rounding]}) : ",
    }
    n = len(t)
    if "parent" in t.columns:
        up = allocation.levels[allocation.levels.index(lv) - 1]
        ptab = allocation.tables[up]
        parents, parent_of = np.unique(t["parent"].astype(str).to_numpy(), return_inverse=True)
        x["par"] = [
            f"Cette part est prise sur l'enveloppe de {p['nom']} "
            f"({LEVEL_LABELS.get(up, up)} {p['code']}, {fr_text(p['envelope_ha'])} ha)."
            for p in (ptab.loc[code] for code in parents)
        ]
    else:
        parent_of = np.zeros(n, dtype=np.int64)
        x["par"] = [
            "Cette part est prise sur l'enveloppe répartie de "
            f"{fr_text(allocation.distributed_ha)} ha."
        ]

    def col(name: str) -> np.ndarray:
        return t[name].to_numpy(dtype="float64")

    ref = col("reference_ha")
    floor, gar = col("floor_ha"), col("garantie_ha")
    bound = t["bound"].astype(str).to_numpy()
    code = np.where(bound == "floor", 1, np.where(bound == "cap", 2, np.where(floor > 0, 3, 0)))
    with np.errstate(invalid="ignore"):
        has_ref = np.isfinite(ref) & (ref > 0)
        has_gar = gar > 0
    rounding = col("rounding_ha")
    round_tokens = _numbers(rounding, 4)
    negative_token = np.array([tok.startswith("-") for tok in round_tokens], dtype=bool)
    with np.errstate(invalid="ignore"):
        # not finite, or -0.0 (its sign and its text disagree): the text as Python writes it
        odd = ~np.isfinite(rounding) | ((rounding >= 0) == negative_token)
    for i in np.flatnonzero(odd).tolist():
        v = float(rounding[i])
        round_tokens[i] = json.dumps(("+" if v >= 0 else "") + fr_text(v, 4), ensure_ascii=False)
    columns = [
        _numbers(col("envelope_ha"), 2),
        [tok if ok else "null" for tok, ok in zip(_numbers(ref, 2), has_ref, strict=True)],
        _numbers(col("reduction_pct"), 2),
        [str(int(p)) for p in parent_of],
        [str(int(b)) for b in code],
        _numbers(col("exact_ha") - col("adjustment_ha"), 2),
        _numbers(floor, 2),
        _numbers(col("cap_ha"), 2),
        _numbers(col("adjustment_ha"), 2),
        [tok if ok else "null" for tok, ok in zip(_numbers(gar, 2), has_gar, strict=True)],
        round_tokens,
        *(_numbers(col(f"{c.key}_ha"), 2) for c in allocation.criteria),
    ]
    rows = ["[" + ",".join(cells) + "]" for cells in zip(*columns, strict=True)]
    return {
        "codes": [str(c) for c in t["code"].tolist()],
        "names": [str(v) for v in t["nom"].tolist()],
        "x": x,
        "r": rows,
    }


def _fx(token: Any, decimals: int) -> str:
    """A JSON number token of :func:`explain_data` as ``fr_text`` writes it (or its text)."""
    if isinstance(token, str):
        return token
    if token is None:
        return "—"
    value = float(token)
    negative = value < 0 or (value == 0 and np.signbit(value))
    text = f"{abs(value):,.{decimals}f}".replace(",", " ").replace(".", ",")
    return ("-" if negative else "") + text


def explain_text(data: dict, i: int) -> str:
    """Write territory ``i``'s explanation from :func:`explain_data`, as the page does.

    Examples
    --------
    See :func:`explain_data`.
    """
    x = data["x"]
    r = json.loads(data["r"][i])
    text = [f"{data['names'][i]} ({x['lab']}{data['codes'][i]}) : {_fx(r[_ENV], 2)} ha{x['tgt']}"]
    if r[_REF] is not None:
        text[0] += (
            f", contre {_fx(r[_REF], 2)} ha consommés {x['refp']}, soit une réduction de "
            f"{_fx(r[_RED], 2)} %."
        )
    else:
        text[0] += "."
    text.append(x["par"][r[_PARENT]])
    parts = [f"{w}{_fx(v, 2)} ha" for w, v in zip(x["crit"], r[_CRIT:], strict=True)]
    text.append("Règle de partage : " + " ; ".join(parts) + ".")
    gar = r[_GAR]
    if r[_BOUND] == 1:
        gtxt = f", dont {_fx(gar, 2)} ha de garantie communale" if gar is not None else ""
        text.append(
            f"La part calculée ({_fx(r[_BEFORE], 2)} ha) est relevée au plancher de "
            f"{_fx(r[_FLOOR], 2)} ha{gtxt} : +{_fx(r[_ADJ], 2)} ha."
        )
    elif r[_BOUND] == 2:
        text.append(
            f"La part calculée ({_fx(r[_BEFORE], 2)} ha) est ramenée au plafond de "
            f"{_fx(r[_CAP], 2)} ha : {_fx(r[_ADJ], 2)} ha, redistribués aux autres territoires."
        )
    elif r[_BOUND] == 3:
        gtxt = f" (garantie communale : {_fx(gar, 2)} ha)" if gar is not None else ""
        text.append(f"Le plancher de {_fx(r[_FLOOR], 2)} ha{gtxt} est dépassé.")
    if x["pool"]:
        text.append(x["pool"])
    rnd = r[_ROUND]
    if isinstance(rnd, str):
        text.append(f"{x['rnd']}{rnd} ha.")
    else:
        plus = "+" if not (rnd < 0 or (rnd == 0 and np.signbit(float(rnd)))) else ""
        text.append(f"{x['rnd']}{plus}{_fx(rnd, 4)} ha.")
    return " ".join(text)


def positions(data: dict, codes: pd.Index) -> list[int]:
    """Row of each code of ``codes`` in ``data`` (-1 when absent)."""
    return pd.Index(data["codes"]).get_indexer(pd.Index(codes.astype(str))).tolist()
