"""The garantie communale: eligibility, per commune or pooled, at each allocation level.

Loi n° 2023-630 "ZAN 2" (20 July 2023), art. 4 (DOMAIN.md §1): every commune covered
by a PLU, PLUi, document en tenant lieu or carte communale prescribed, adopted or
approved before 22 August 2026 may consume at least **1 ha** over 2021-2031; the
guarantee *can* be pooled at intercommunal level **at the communes' request**. It is
therefore per commune by default, and pooling is an option a scenario states.

What each mode (``garantie_pooling``) means at each allocation level:

- ``"commune"`` (default): each eligible commune is guaranteed 1 ha on its own. An
  allocation that reaches the communes (``level = "commune"``, or a cascade whose last
  level is ``commune``) floors each eligible commune at 1 ha; every territory above
  (EPCI, SCoT...) is floored at the sum of its eligible communes' guarantees, so that
  its share can honour them.
- ``"epci"`` (pooled at intercommunal level): the EPCI holds ``n × 1 ha`` for its
  ``n`` eligible communes and shares it as it decides: the EPCI and the levels above it
  are floored at that sum, its communes are *not* floored individually. A pooled floor
  is a constraint on a group of communes, so an allocation that reaches the communes
  must pass through the EPCI: a cascade ``[..., "epci", "commune"]``; a single-level
  commune allocation, or a cascade that skips the EPCI, is refused.
- An allocation that stops above the communes (EPCI, SCoT, département...) floors each
  territory at the sum of its eligible communes' guarantees in both modes: the figures
  are the same, and :meth:`zan.Allocation.explain` says which mode applies.

Eligibility depends on the planning document: give the eligible communes as a list of
codes or a yes/no column (:func:`garantie_floors`). Without either, every commune is
taken as eligible, which overstates the floors where a commune has no document: a
scenario run then carries :func:`eligibility_warning` in ``Allocation.warnings``, the
CLI prints it and ``sources.json`` and the reports show it.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from .errors import ScenarioError, ZanWarning

__all__ = [
    "GARANTIE_POOLING",
    "GARANTIE_SOURCE",
    "garantie_floors",
    "garantie_levels",
    "eligibility_warning",
    "pooling_text",
    "warn",
]

#: The pooling modes of the garantie communale: per commune (default) or pooled per EPCI.
GARANTIE_POOLING: tuple[str, ...] = ("commune", "epci")

#: Legal source of the garantie communale, for labels and reports.
GARANTIE_SOURCE = "loi n° 2023-630 du 20 juillet 2023, art. 4"


def garantie_levels(levels: Sequence[str], pooling: str = "commune") -> tuple[str, ...]:
    """The levels of an allocation whose floors include the garantie communale.

    Parameters
    ----------
    levels : sequence of str
        Allocation levels from the top down (one for a single-level allocation).
    pooling : {"commune", "epci"}, default "commune"
        Per commune, or pooled at intercommunal level (see the module docstring).

    Returns
    -------
    tuple of str
        ``levels`` itself per commune; pooled, the levels down to ``epci`` included
        (the communes below it carry no individual floor).

    Raises
    ------
    ScenarioError
        Unknown mode, or a pooled garantie on an allocation that reaches the communes
        without passing through the EPCI.

    Examples
    --------
    >>> garantie_levels(("scot", "epci", "commune"))
    ('scot', 'epci', 'commune')
    >>> garantie_levels(("scot", "epci", "commune"), "epci")
    ('scot', 'epci')
    >>> garantie_levels(("scot",), "epci")
    ('scot',)
    """
    levels = tuple(levels)
    if pooling not in GARANTIE_POOLING:
        raise ScenarioError(
            f"unknown garantie_pooling {pooling!r}; write 'commune' (each eligible commune "
            "keeps 1 ha, the default) or 'epci' (pooled at intercommunal level)"
        )
    if pooling == "commune" or levels[-1] != "commune":
        return levels
    if "epci" not in levels:
        raise ScenarioError(
            "a garantie communale pooled at intercommunal level (garantie_pooling = 'epci') "
            "needs the EPCI among the allocation levels: allocate with a cascade "
            "[..., 'epci', 'commune'], or keep the garantie per commune"
        )
    return levels[: levels.index("epci") + 1]


def garantie_floors(
    eligible: Any = None,
    *,
    communes: pd.Index | Sequence[str] | None = None,
    assignment: pd.Series | None = None,
    ha_per_commune: float = 1.0,
) -> pd.Series:
    """Floors from the garantie communale (loi n° 2023-630, art. 4).

    Every commune covered by a PLU, PLUi, document en tenant lieu or carte communale
    prescribed, adopted or approved before 22 August 2026 keeps at least 1 ha for
    2021-2031 (DOMAIN.md §1). Per commune, the result is each commune's guarantee;
    with ``assignment`` it is summed per territory: the floor of a territory above the
    communes, in either pooling mode (see :func:`garantie_levels`).

    Parameters
    ----------
    eligible : bool Series indexed by commune code, list of codes, or None
        Eligible communes (from the planning documents); None means all of
        ``communes`` (or of ``assignment``): a scenario then warns
        (:func:`eligibility_warning`).
    communes : index or list of str, optional
        All communes (needed when ``eligible`` is a list and no ``assignment``).
    assignment : pandas.Series, optional
        Commune → territory code; the result is then summed per territory.
    ha_per_commune : float, default 1.0

    Returns
    -------
    pandas.Series
        Floor in ha per commune, or per territory when ``assignment`` is given.

    Raises
    ------
    ScenarioError
        Eligible codes that are not communes, communes without a value in the column,
        values that are not yes/no.

    Examples
    --------
    >>> a = pd.Series({"01001": "E1", "01002": "E1", "01003": "E2"})
    >>> garantie_floors(["01001", "01003"], assignment=a).to_dict()
    {'E1': 1.0, 'E2': 1.0}
    >>> garantie_floors(assignment=a).to_dict()
    {'E1': 2.0, 'E2': 1.0}
    """
    if assignment is not None:
        all_codes = pd.Index(assignment.index.astype(str))
    elif communes is not None:
        all_codes = pd.Index(pd.Index(communes).astype(str))
    elif isinstance(eligible, pd.Series):
        all_codes = pd.Index(eligible.index.astype(str))
    else:
        raise ScenarioError(
            "garantie communale: give 'communes' or 'assignment' with a list of eligible codes"
        )
    if eligible is None:
        flag = np.ones(len(all_codes), dtype=bool)
    elif isinstance(eligible, pd.Series):
        s = eligible.copy()
        s.index = s.index.astype(str)
        missing = all_codes.difference(s.index)
        if len(missing):
            raise ScenarioError(
                f"garantie communale: no eligibility for {len(missing)} communes "
                f"({', '.join(missing[:5])}); fill the eligibility column"
            )
        flag = _yes_no(s.reindex(all_codes), "garantie communale eligibility")
    else:
        wanted = pd.Index([str(c) for c in eligible])
        unknown = wanted.difference(all_codes)
        if len(unknown):
            raise ScenarioError(
                f"garantie communale: eligible codes not among the communes "
                f"({', '.join(unknown[:5])}); check the list"
            )
        flag = all_codes.isin(wanted)
    per_commune = pd.Series(flag * float(ha_per_commune), index=all_codes, name="garantie_ha")
    if assignment is None:
        return per_commune
    terr = assignment.astype(str)
    terr.index = all_codes
    out = per_commune.groupby(terr.to_numpy()).sum()
    out.index.name = None
    return out.rename("garantie_ha")


def _yes_no(values: pd.Series, what: str) -> np.ndarray:
    """Read a yes/no column (bool, 0/1, oui/non, true/false) as bool."""
    if values.dtype == bool:
        return values.to_numpy()
    text = values.astype("string").str.strip().str.lower()
    yes = text.isin(["1", "1.0", "true", "oui", "o", "yes", "y", "vrai"])
    no = text.isin(["0", "0.0", "false", "non", "n", "no", "faux", ""]) | text.isna()
    bad = ~(yes | no)
    if bad.any():
        raise ScenarioError(
            f"{what}: values must be yes/no (1/0, true/false, oui/non); found "
            f"{values[bad.to_numpy()].iloc[0]!r} for {values.index[bad.to_numpy()][0]}"
        )
    return yes.to_numpy(dtype=bool)


def eligibility_warning(n_communes: int, ha_per_commune: float = 1.0) -> str:
    """The warning (in French, as shown in reports) when no eligibility list is given.

    Parameters
    ----------
    n_communes : int
        Communes taken as eligible.
    ha_per_commune : float, default 1.0

    Returns
    -------
    str

    Examples
    --------
    >>> eligibility_warning(3)[:60]
    'Garantie communale : aucune liste des communes éligibles (do'
    """
    n = f"{n_communes:,}".replace(",", "\u202f")
    total = f"{n_communes * ha_per_commune:,.0f}".replace(",", "\u202f")
    return (
        "Garantie communale : aucune liste des communes éligibles (document d'urbanisme "
        "prescrit, arrêté ou approuvé avant le 22 août 2026) n'est donnée ; les "
        f"{n} communes sont toutes comptées éligibles, soit {total} ha de planchers, "
        "peut-être surestimés. Donnez [floors] eligible_column ou eligible."
    )


def pooling_text(pooling: str, level: str) -> str:
    """French sentence saying which garantie communale mode applies to a level.

    Parameters
    ----------
    pooling : {"commune", "epci"}
    level : str
        Level of the territory explained.

    Returns
    -------
    str

    Examples
    --------
    >>> pooling_text("commune", "commune")
    'Garantie communale par commune : chaque commune éligible garde au moins 1 ha.'
    """
    if pooling == "epci":
        if level == "commune":
            return (
                "Garantie communale mutualisée à l'échelle intercommunale, à la demande des "
                "communes : la commune n'a pas de plancher propre, l'EPCI garantit la somme "
                "de ses communes éligibles."
            )
        return (
            "Garantie communale mutualisée à l'échelle intercommunale, à la demande des "
            "communes : le plancher est la somme des garanties des communes éligibles."
        )
    if level == "commune":
        return "Garantie communale par commune : chaque commune éligible garde au moins 1 ha."
    return (
        "Garantie communale par commune : le plancher est la somme des garanties de ses "
        "communes éligibles, chacune gardant au moins 1 ha."
    )


def warn(message: str) -> None:
    """Emit a :class:`~zan.errors.ZanWarning` (the CLI prints it as ``warning: ...``).

    Parameters
    ----------
    message : str
    """
    warnings.warn(message, ZanWarning, stacklevel=3)
