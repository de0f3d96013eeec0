"""French number formats, one module for every output.

Two spellings of the same French rule (decimal comma, thousands grouped), by medium:

- :func:`format_number`: maps, reports and tables in pages (narrow no-break space
  U+202F between thousands, ``non renseigné`` when missing, optional sign); mirrored
  by ``fmt`` in ``zan/maps/static/zan.js``;
- :func:`fr_text`: explanations and messages in plain text (``explain()``, notes,
  the CLI), with a plain space between thousands, ``—`` when missing and ``∞``;
- :func:`fr_html`: :func:`fr_text` for HTML, with its unit, never broken across lines.

:data:`LEVEL_LABELS` names the territorial levels in French.

Examples
--------
>>> fr_text(7409.963), format_number(7409.963, 2)
('7 409,96', '7\\u202f409,96')
"""

from __future__ import annotations

import math

__all__ = ["NOT_AVAILABLE", "LEVEL_LABELS", "format_number", "fr_text", "fr_html"]

#: Shown for a missing number in pages.
NOT_AVAILABLE = "non renseigné"

#: French labels of the territorial levels.
LEVEL_LABELS = {
    "region": "région",
    "departement": "département",
    "scot": "SCoT",
    "epci": "EPCI",
    "commune": "commune",
}


def format_number(value: float | None, decimals: int = 1, *, signed: bool = False) -> str:
    """French number format: decimal comma, narrow no-break space between thousands.

    Mirrors ``fmt`` in ``zan/maps/static/zan.js``.

    Examples
    --------
    >>> format_number(12345.678, 1)
    '12\\u202f345,7'
    >>> format_number(-0.04, 1), format_number(2, 0, signed=True)
    ('0,0', '+2')
    >>> format_number(float("nan"))
    'non renseigné'
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return NOT_AVAILABLE
    text = f"{abs(float(value)):,.{decimals}f}".replace(",", "\u202f").replace(".", ",")
    zero = set(text) <= set("0,\u202f")
    sign = "-" if value < 0 and not zero else ("+" if signed and value > 0 and not zero else "")
    return sign + text


def fr_text(value: float | None, decimals: int = 2) -> str:
    """A number in plain French text: spaces between thousands, decimal comma.

    Examples
    --------
    >>> fr_text(7409.963), fr_text(None), fr_text(float("inf"))
    ('7 409,96', '—', '∞')
    """
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "—"
    if isinstance(value, float) and math.isinf(value):
        return "∞"
    text = f"{value:,.{decimals}f}"
    return text.replace(",", " ").replace(".", ",")


def fr_html(value: float | None, decimals: int = 2, unit: str = "ha") -> str:
    """:func:`fr_text` for HTML: narrow no-break spaces, the unit after a no-break space.

    Examples
    --------
    >>> fr_html(1234.5, 1)
    '1&#8239;234,5&nbsp;ha'
    """
    text = fr_text(value, decimals).replace(" ", "&#8239;")
    return f"{text}&nbsp;{unit}" if unit else text
