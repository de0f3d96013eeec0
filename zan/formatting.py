"""French number formats, one module for every output.

Two spellings of the same French rule (decimal comma, thousands grouped), by medium:

- :func:`format_number`: maps, reports and tables in pages (narrow no-break space
  U+202F between thousands, ``non renseigné`` when missing, optional sign); mirrored
  by ``fmt`` in ``zan/maps/static/zan.js``;
- :func:`fr_text`: explanations and messages in plain text (``explain()``, notes,
  the CLI), with a plain space between thousands, ``—`` when missing and ``∞``;
- :func:`fr_html`: :func:`fr_text` for HTML, with its unit, never broken across lines.

:data:`LEVEL_LABELS` names the territorial levels in French; :func:`french_sort_key`
sorts names in French alphabetical order whatever the machine's locale;
:func:`shorten` cuts the titles and credits of maps and reports to a documented length.

Examples
--------
>>> fr_text(7409.963), format_number(7409.963, 2)
('7 409,96', '7\\u202f409,96')
"""

from __future__ import annotations

import math
import unicodedata

__all__ = [
    "NOT_AVAILABLE",
    "LEVEL_LABELS",
    "format_number",
    "fr_text",
    "fr_html",
    "french_sort_key",
    "TITLE_MAX_CHARS",
    "CREDIT_MAX_CHARS",
    "shorten",
]

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


#: Ligatures spelt out for sorting (« Œuilly » sorts as « Oeuilly »).
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "ß": "ss"})
#: Separators that do not count at the first level (« Saint-Omer » beside « Saint Omer »).
_SEPARATORS = str.maketrans({"-": " ", "'": " ", "\u2019": " ", "\u2010": " ", "\u2011": " "})


def french_sort_key(name: object) -> str:
    """A key sorting names in French alphabetical order, independent of the locale.

    Accents, case, ligatures and hyphens or apostrophes are ignored first (``Épinay``
    sorts between ``Dunkerque`` and ``Viry``, not after ``Viry`` as code points do);
    names equal on those are then ordered by their exact spelling, so the order is
    total and stable. Missing names (``None``) sort first.

    Examples
    --------
    >>> sorted(["Viry", "Épinay", "Œuilly", "eppes", "Dunkerque"], key=french_sort_key)
    ['Dunkerque', 'Épinay', 'eppes', 'Œuilly', 'Viry']
    >>> sorted(["Saint-Omer", "Saint Amand", "Sainte-Marie"], key=french_sort_key)
    ['Saint Amand', 'Saint-Omer', 'Sainte-Marie']

    With pandas: ``table.sort_values("nom", key=lambda s: s.map(french_sort_key))``.
    """
    text = "" if name is None else str(name)
    base = unicodedata.normalize("NFD", text.translate(_LIGATURES).translate(_SEPARATORS))
    base = "".join(c for c in base if not unicodedata.combining(c)).casefold()
    return f"{' '.join(base.split())}\x00{text}"


#: Longest title shown on a map or a report (characters): a longer one (a scenario
#: name of megabytes, pasted by mistake) is cut, ending with "…".
TITLE_MAX_CHARS = 200
#: Longest credit line of a map (sources, scenario name), in characters.
CREDIT_MAX_CHARS = 400


def shorten(text: object, limit: int = TITLE_MAX_CHARS) -> str:
    """Text cut to at most ``limit`` characters, ending with "…" when cut.

    The cut never separates a letter from its combining accents; text within the
    limit is returned as it is.

    Examples
    --------
    >>> shorten("Consommation et population")
    'Consommation et population'
    >>> shorten("A" * 500), len(shorten("A" * 500))  # doctest: +ELLIPSIS
    ('AAA...A…', 200)
    >>> shorten("e\u0301" * 3, 4)  # "é" as e + combining acute: never split
    'e\u0301…'
    """
    text = str(text)
    if len(text) <= limit:
        return text
    cut = max(limit - 1, 0)
    while cut > 0 and unicodedata.combining(text[cut]):
        cut -= 1
    return text[:cut].rstrip() + "…"
