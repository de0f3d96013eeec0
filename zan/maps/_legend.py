"""Legends in plain HTML/CSS (no d3, no script): title with unit, one swatch per class."""

from __future__ import annotations

from collections.abc import Sequence

from ._text import escape

__all__ = ["legend_html"]


def legend_html(
    title: str,
    items: Sequence[tuple[str, str]],
    *,
    unit: str = "",
    note: str | None = None,
) -> str:
    """HTML of a legend; every text is escaped.

    Parameters
    ----------
    title : str
        Legend title, e.g. ``"Enveloppe 2021-2030"``.
    items : sequence of (colour, label)
        One row per class, in order.
    unit : str
        Unit shown after the title in parentheses.
    note : str, optional
        A last line in small type (e.g. the centre of a diverging scale).

    Returns
    -------
    str

    Examples
    --------
    >>> html = legend_html("Enveloppe", [("#fff", "0 – 5")], unit="ha")
    >>> html[:40]
    '<div class="zan-lt">Enveloppe (ha)</div>'
    >>> html[40:]
    '<div class="zan-li"><i style="background:#fff"></i>0 – 5</div>'
    """
    head = escape(title) + (f" ({escape(unit)})" if unit else "")
    rows = "".join(
        f'<div class="zan-li"><i style="background:{escape(colour)}"></i>{escape(label)}</div>'
        for colour, label in items
    )
    tail = f'<div class="zan-note"><small>{escape(note)}</small></div>' if note else ""
    return f'<div class="zan-lt">{head}</div>{rows}{tail}'
