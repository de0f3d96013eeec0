"""INSEE commune codes and SIREN codes: how zan reads them, and the checks of their rules.

A commune code has five characters: the département (two digits, ``2A`` or ``2B`` in
Corsica) and three digits, or ``97`` and three digits overseas
(:data:`zan.io.territories.COMMUNE_CODE_PATTERN`); an EPCI is named by its SIREN,
nine digits (DOMAIN.md §4). Spreadsheets drop the leading zero of ``02001``: a code of
four digits gets it back, a shorter one is reported, never completed.

The readers (:mod:`zan.io.territories`) normalise codes with :func:`commune_codes`;
:func:`check_commune_codes` and :func:`check_siren` collect every problem of a column
at once (as pandera's ``lazy=True`` does), each a :class:`zan.errors.Problem` whose
``code`` names the rule; :mod:`zan.validate` reports them as they are.

Examples
--------
>>> import numpy as np, pandas as pd
>>> codes, problems = check_commune_codes(
...     pd.Series(["2001", "593", "59350", "59350"]),
...     np.array(["line 2", "line 3", "line 4", "line 5"], dtype=object),
...     source="a.csv", column="code_insee")
>>> codes.tolist()
['02001', '593', '59350', '59350']
>>> [(p.severity, p.code) for p in problems]
[('error', 'bad_codes'), ('warning', 'padded_codes'), ('error', 'duplicate_codes')]
>>> problems[0].message
"1 malformed commune code(s): line 3 ('593')"
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from ..errors import Problem

__all__ = [
    "CODE_RULES",
    "CODE_FIX",
    "COMMUNE_CODE_PATTERN",
    "LISTED",
    "NO_TERRITORY",
    "SIREN_PATTERN",
    "as_code_text",
    "check_commune_codes",
    "check_siren",
    "commune_codes",
    "labelled_values",
    "listed_values",
    "pad_digits",
    "rule_problem",
]

#: INSEE commune codes: two-character département (digits, ``2A`` or ``2B``) and
#: three digits, or ``97`` and three digits overseas. ``20`` is no département since
#: 1976 (Corsica: ``2A`` Corse-du-Sud, ``2B`` Haute-Corse): ``20004`` is malformed
#: (often a postal code, or a code whose 2A/2B became 20 in a spreadsheet); zan does
#: not guess which of 2A and 2B it was (the numbers need the COG to tell). ASCII digits,
#: and no look-ahead: pandas then matches a column in C (Arrow's RE2), not value by value.
COMMUNE_CODE_PATTERN = r"^(?:[013-9][0-9]|2[1-9AB])[0-9]{3}$"
#: The fix said for malformed codes.
CODE_FIX = (
    "INSEE commune codes have five characters: '02001', '2A004', '97101'; "
    "Corsica's start with 2A or 2B, never 20 (write 2A004, not 20004)"
)
#: SIREN codes (EPCI): nine digits.
SIREN_PATTERN = r"^\d{9}$"
#: Values that mean "no territory" in the sources (empty, ADMIN EXPRESS "NC",
#: Cerema "ZZZZZZZZZ").
NO_TERRITORY = ("", "NC", "ZZZZZZZZZ")
#: Items quoted in a check's message before "... (+n)".
LISTED = 20

#: The rules on codes: rule code → (message, fix), English, filled with str.format.
#: :mod:`zan.validate` gives them in French.
CODE_RULES: dict[str, tuple[str, str]] = {
    "empty_codes": ("{n} empty commune code(s)", "give every commune its INSEE code"),
    "bad_codes": (
        "{n} malformed commune code(s): {values}",
        CODE_FIX,
    ),
    "padded_codes": (
        "{n} four-digit code(s) read as having lost their leading zero: {values}",
        "store codes as text so that they keep their leading zero",
    ),
    "duplicate_codes": (
        "{n} commune code(s) appear more than once: {values}",
        "keep one row per commune (dissolve the parts of a commune first)",
    ),
    "bad_siren": (
        "{n} SIREN code(s) not of nine digits: {values}",
        "SIREN codes of EPCI have nine digits, e.g. '200093201'; store them as text",
    ),
}


def listed_values(items: Iterable[Any], limit: int = LISTED) -> str:
    """Items for a check's message: the first ``limit``, then how many more.

    Examples
    --------
    >>> listed_values(range(3), 2)
    '0, 1, ... (+1)'
    """
    items = [str(i) for i in items]
    text = ", ".join(items[:limit])
    return text + (f", ... (+{len(items) - limit})" if len(items) > limit else "")


def labelled_values(labels: Sequence[str], values: Sequence[Any] | None = None) -> str:
    """Row labels with their values, for a check's message.

    Examples
    --------
    >>> labelled_values(["line 2"], ["593"])
    "line 2 ('593')"
    """
    if values is None:
        return listed_values(labels)
    return listed_values([f"{lab} ({v!r})" for lab, v in zip(labels, values, strict=True)])


def rule_problem(
    rules: dict[str, tuple[str, str]],
    code: str,
    source: str,
    *,
    severity: str = "error",
    column: str | None = None,
    row: str | None = None,
    **params: Any,
) -> Problem:
    """The :class:`~zan.errors.Problem` of a rule of ``rules``, its message filled with ``params``.

    Examples
    --------
    >>> rule_problem(CODE_RULES, "empty_codes", "a.csv", column="code", n=2).message
    '2 empty commune code(s)'
    """
    message, fix = rules[code]
    return Problem(
        source,
        message.format(**params),
        column=column,
        row=row,
        fix=fix.format(**params) or None,
        severity=severity,
        code=code,
        params=params,
    )


def as_code_text(values: pd.Series, *, upper: bool = False) -> pd.Series:
    """Turn a column of codes (text or numbers) into stripped text, missing as NaN.

    Whole numbers lose their ``.0``; the values of :data:`NO_TERRITORY` are missing.

    Examples
    --------
    >>> as_code_text(pd.Series([2001.0, None])).tolist()
    ['2001', nan]
    """
    if pd.api.types.is_bool_dtype(values):
        text = values.astype("str")
    elif pd.api.types.is_numeric_dtype(values):
        numbers = pd.to_numeric(values)
        whole = numbers.dropna()
        if (whole == np.round(whole)).all():
            text = numbers.astype("Int64").astype("string").astype("str")
        else:
            text = numbers.astype("str")
    else:
        text = values.astype("str")
    text = text.str.strip()
    if upper:
        text = text.str.upper()
    return text.where(~text.isin(NO_TERRITORY) & text.notna(), np.nan)


def pad_digits(text: pd.Series, width: int) -> pd.Series:
    """Left-pad codes made of digits that lost ONE leading zero (spreadsheets do: 2001 → 02001).

    Shorter codes are left as they are, so that validation reports them instead of
    inventing a code ("593" is not "00593").

    Examples
    --------
    >>> pad_digits(pd.Series(["2001", "593"]), 5).tolist()
    ['02001', '593']
    """
    short = text.str.fullmatch(r"\d+", na=False) & (text.str.len() == width - 1)
    return text.where(~short, text.str.zfill(width))


def commune_codes(values: pd.Series) -> pd.Series:
    """Commune codes as the readers take them: text, upper case, a lost leading zero back.

    Examples
    --------
    >>> commune_codes(pd.Series([2001, " 2a004 "])).tolist()
    ['02001', '2A004']
    """
    return pad_digits(as_code_text(values, upper=True), 5)


def check_commune_codes(
    values: pd.Series, labels: np.ndarray, *, source: str, column: str
) -> tuple[pd.Series, list[Problem]]:
    """Every problem of a column of commune codes, and the codes as the readers take them.

    Parameters
    ----------
    values : pandas.Series
        The column as read (text or numbers).
    labels : numpy.ndarray
        A label per row (``"line 12"``, ``"feature 3"``), quoted in the messages.
    source, column : str
        File and column, for the problems.

    Returns
    -------
    codes : pandas.Series
        :func:`commune_codes` of ``values``.
    problems : list of zan.errors.Problem
        Rules of :data:`CODE_RULES`: empty, malformed and duplicate codes (errors), four
        digits read as having lost their leading zero (warning).
    """
    text = values.astype("str").str.strip()
    codes = commune_codes(values)
    problems: list[Problem] = []

    def add(code: str, severity: str = "error", **params: Any) -> None:
        problems.append(
            rule_problem(CODE_RULES, code, source, severity=severity, column=column, **params)
        )

    empty = codes.isna().to_numpy()
    if empty.any():
        add("empty_codes", n=int(empty.sum()), values=listed_values(labels[empty]))
    # Readers pad any short number ("593" → "00593"); only four digits is a lost zero.
    short = text.str.fullmatch(r"\d{1,3}", na=False)
    bad = ((~codes.str.fullmatch(COMMUNE_CODE_PATTERN, na=True)) | short).to_numpy()
    if bad.any():
        add(
            "bad_codes",
            n=int(bad.sum()),
            values=labelled_values(list(labels[bad]), list(text[bad])),
        )
    padded = (text.str.fullmatch(r"\d{4}", na=False) & ~bad).to_numpy()
    if padded.any():
        add(
            "padded_codes",
            "warning",
            n=int(padded.sum()),
            values=labelled_values(list(labels[padded]), list(text[padded])),
        )
    dup = (codes.duplicated(keep=False) & codes.notna()).to_numpy()
    if dup.any():
        add(
            "duplicate_codes",
            n=int(codes[dup].nunique()),
            values=listed_values(sorted(codes[dup].unique())),
        )
    return codes, problems


def check_siren(values: pd.Series, labels: pd.Series, *, source: str, column: str) -> list[Problem]:
    """Every SIREN code of a column that is not of nine digits (rule ``bad_siren``).

    Examples
    --------
    >>> [p.message for p in check_siren(pd.Series(["200093201", "2000932"]),
    ...                                 pd.Series(["59350", "59009"]), source="a.csv",
    ...                                 column="epci")]
    ["1 SIREN code(s) not of nine digits: 59009 ('2000932')"]
    """
    text = as_code_text(values)
    bad = (text.notna() & ~text.str.fullmatch(SIREN_PATTERN, na=False)).to_numpy()
    if not bad.any():
        return []
    return [
        rule_problem(
            CODE_RULES,
            "bad_siren",
            source,
            column=column,
            n=int(bad.sum()),
            values=labelled_values([str(x) for x in labels[bad]], list(text[bad])),
        )
    ]
