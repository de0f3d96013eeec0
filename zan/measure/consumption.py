"""ENAF consumption per territory and period, and the 2021-2030 trajectory.

The legal reference is the consumption of the ten calendar years 2011-2020, i.e.
the ten annual flows ``naf11art12`` ... ``naf20art21`` of the Cerema file; the
target period is 2021-2030 and the allowed consumption is
``max(reference × (1 − reduction), 1 ha)`` with a 50 % reduction by default (loi
2021-1104 art. 191 and 194; periods and the 1 ha floor as computed by the State's
tool, Mon Diagnostic Artificialisation, DOMAIN.md §1).

Quantities are summed in m² (integers in the Cerema file, so sums are exact) and
converted to hectares at the end: the total over territories equals the total
over communes exactly.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

import numpy as np
import pandas as pd

from ..errors import DataError, MembershipError, PeriodError, ScenarioError

if TYPE_CHECKING:  # pragma: no cover
    from ..io.consumption import Consumption
    from ..territory import Territories

__all__ = [
    "REFERENCE_PERIOD",
    "TARGET_PERIOD",
    "ALLOWED_FLOOR_HA",
    "STATUS_LABELS",
    "consumption",
    "trajectory",
    "parse_period",
]

#: Reference period of the law: 1 Jan 2011 - 31 Dec 2020, ten calendar years.
REFERENCE_PERIOD: tuple[int, int] = (2011, 2020)
#: Target period of the first decade: 2021-2030.
TARGET_PERIOD: tuple[int, int] = (2021, 2030)
#: Floor of the allowed consumption computed by the State's tool (Mon Diagnostic
#: Artificialisation): allowed = max(reference × (1 − reduction), 1 ha) (DOMAIN.md §1).
ALLOWED_FLOOR_HA: float = 1.0

#: French labels of the trajectory statuses, for maps and reports.
STATUS_LABELS: dict[str, str] = {
    "on_track": "Dans la trajectoire",
    "will_exceed": "Dépassement prévu",
    "exceeded": "Enveloppe dépassée",
}

Missing = Literal["raise", "zero", "ignore"]
Unplaced = Literal["raise", "exclude"]
M2_PER_HA = 10_000.0
#: Temporary column counting the lower-bound communes of each territory.
_LOWER = "__lower_bound__"

# Where each level is found in the Cerema file's own identifier columns,
# when no territories are given: (code column pattern, name column pattern).
_OWN_LEVELS = {
    "departement": ("iddep", "iddeptxt"),
    "region": ("idreg", "idregtxt"),
    "scot": ("scot", "scot"),
}


def parse_period(
    period: str | tuple[int, int] | list[int], *, what: str = "period"
) -> tuple[int, int]:
    """Turn ``"2011-2020"``, ``"2022"`` or ``(2011, 2020)`` into an inclusive (start, end) pair.

    Parameters
    ----------
    period : str or tuple of int
        Inclusive calendar years.
    what : str
        Name of the argument, for messages.

    Returns
    -------
    tuple of int

    Raises
    ------
    PeriodError
        When the text is not a year or a range of years, or start > end.

    Examples
    --------
    >>> parse_period("2011-2020")
    (2011, 2020)
    >>> parse_period("2022")
    (2022, 2022)
    """
    try:
        if isinstance(period, str):
            parts = [p.strip() for p in period.replace("–", "-").split("-")]
            if len(parts) == 1:
                parts = parts * 2
            start, end = (int(p) for p in parts)
        else:
            start, end = (int(p) for p in period)
    except (TypeError, ValueError):
        raise PeriodError(
            f"{what} {period!r} is not a year or a range of years; write e.g. '2011-2020' or '2022'"
        ) from None
    if start > end:
        raise PeriodError(f"{what} {period!r} starts after it ends; write it as START-END")
    return start, end


def _place(
    wide: pd.DataFrame,
    groups: pd.Series,
    *,
    unplaced: Unplaced,
    source: str,
    where: str,
    level: str,
) -> tuple[pd.DataFrame, tuple[str, ...]]:
    """Communes of the file that have a group of ``level``; the others raise or are excluded.

    A commune absent from ``groups`` or whose group is empty cannot be placed: with
    ``unplaced="raise"`` a :class:`~zan.errors.MembershipError` names them (and their
    hectares, which would otherwise be missing from a total); with ``"exclude"`` they
    are left out and returned, for the caller to report.
    """
    if unplaced not in ("raise", "exclude"):
        raise DataError(f"unplaced={unplaced!r} is unknown; valid: 'raise', 'exclude'")
    key = groups.reindex(wide.index)
    lost = key.isna().to_numpy() | (key.astype("string") == "").fillna(False).to_numpy()
    if not lost.any():
        return wide, ()
    codes = [str(c) for c in wide.index[lost]]
    if unplaced == "raise":
        absent = [c for c in codes if c not in groups.index]
        blank = [c for c in codes if c in groups.index]
        ha = float(wide.loc[lost, "total"].sum()) / M2_PER_HA
        parts = []
        if absent:
            parts.append(
                f"{len(absent)} are not in {where} ({', '.join(absent[:20])}"
                f"{' ...' if len(absent) > 20 else ''})"
            )
        if blank:
            parts.append(
                f"{len(blank)} have no {level} there ({', '.join(blank[:20])}"
                f"{' ...' if len(blank) > 20 else ''})"
            )
        raise MembershipError(
            f"{source}: {len(codes)} commune(s) of the consumption file cannot be placed in any "
            f"{level}: {'; '.join(parts)}; their {ha:,.2f} ha would be missing from the totals; "
            f"complete {where} (the {level} of every commune), align the file's geography "
            "(zan consumption --passage TABLE), or pass unplaced='exclude' to leave them out "
            "and report them"
        )
    return wide[~lost], tuple(codes)


def _own_grouping(conso: Consumption, level: str) -> tuple[pd.Series, pd.Series]:
    """Commune → territory code and territory names from the Cerema file's own columns."""
    ids = conso.communes
    if level == "epci":
        cols = sorted(c for c in ids.columns if c.lower().startswith("epci") and c[4:].isdigit())
        if not cols:
            raise DataError(
                f"{conso.source}: no epciYY column to group communes by EPCI; "
                "pass territories (or --membership) holding the EPCI of each commune"
            )
        code_col = cols[-1]
        name_col = code_col + "txt" if code_col + "txt" in ids.columns else None
    elif level in _OWN_LEVELS:
        code_col, name_col = _OWN_LEVELS[level]
        if code_col not in ids.columns:
            raise DataError(
                f"{conso.source}: no {code_col!r} column to group communes by {level}; "
                "pass territories (or --membership) holding that level"
            )
        if name_col not in ids.columns:
            name_col = None
    else:
        raise DataError(
            f"{conso.source}: the consumption file alone cannot group communes by {level!r}; "
            "valid levels without territories: commune, epci, scot, departement, region"
        )
    groups = ids[code_col].astype("string").str.strip()
    missing = groups.isna() | (groups == "")
    if level == "scot":
        groups = groups.mask(missing, "hors_scot")
    elif missing.any():
        codes = ", ".join(groups.index[missing][:20])
        raise DataError(
            f"{conso.source}, column {code_col!r}: {int(missing.sum())} communes have no {level} "
            f"({codes}); pass territories with a complete membership"
        )
    if name_col is None:
        names = pd.Series(groups.unique(), index=groups.unique())
    else:
        names = ids[name_col].astype("string").groupby(groups).first()
    if level == "scot":
        names.loc["hors_scot"] = "Hors SCoT"
    return groups, names


def _aggregate_membership(
    wide: pd.DataFrame,
    membership: pd.DataFrame,
    level: str | pd.Series,
    *,
    missing: Missing,
    source: str,
    unplaced: Unplaced = "raise",
) -> pd.DataFrame:
    """Aggregate per-commune values with a membership table (no geometry)."""
    if isinstance(level, pd.Series):
        groups, names = level, None
    elif level == "commune":
        groups = pd.Series(membership.index, index=membership.index)
        names = membership["nom"] if "nom" in membership.columns else None
    else:
        if level not in membership.columns:
            levels = [c for c in membership.columns if f"{c}_nom" in membership.columns]
            raise DataError(
                f"{membership.attrs.get('source', 'membership table')}: no level {level!r} "
                f"(levels: {', '.join(['commune', *levels])}); choose one of them"
            )
        groups = membership[level].astype("string")
        if level == "scot":
            groups = groups.fillna("hors_scot")
        name_col = f"{level}_nom"
        names = membership[name_col].groupby(groups).first() if name_col in membership else None
        if level == "scot" and names is not None:
            names.loc["hors_scot"] = "Hors SCoT"
    where = f"the membership table {membership.attrs.get('source', '')}".rstrip()
    wide, excluded = _place(
        wide,
        groups,
        unplaced=unplaced,
        source=source,
        where=where,
        level=level if isinstance(level, str) else "group",
    )
    absent = groups.index.difference(wide.index).difference(pd.Index(excluded, dtype=object))
    if len(absent) and missing == "raise":
        raise DataError(
            f"{source}: {len(absent)} communes of the membership table are missing from the "
            f"consumption file ({', '.join(absent[:20])}{' ...' if len(absent) > 20 else ''}); "
            "pass missing='zero' to count them as zero, missing='ignore' to leave them out, "
            "or align the file's geography"
        )
    if missing == "zero":
        wide = wide.reindex(wide.index.union(absent), fill_value=0.0)
    table = wide.groupby(groups.reindex(wide.index)).sum()
    table.insert(
        0, "nom", names.reindex(table.index) if names is not None else table.index.astype(str)
    )
    if excluded:
        table.attrs["excluded"] = excluded
    if missing == "ignore":  # territories without data are not in the table: say which
        lacking = groups.reindex(absent).dropna()
        table.attrs.update(
            left_out=tuple(sorted(set(lacking) - set(table.index))),
            incomplete=tuple(sorted(set(lacking) & set(table.index))),
        )
    return table


def consumption(
    conso: Consumption,
    territories: Territories | pd.DataFrame | None = None,
    *,
    level: str | pd.Series = "commune",
    period: str | tuple[int, int] = REFERENCE_PERIOD,
    by_destination: bool = True,
    missing: Missing = "raise",
    unplaced: Unplaced = "raise",
) -> pd.DataFrame:
    """ENAF consumption per territory over an inclusive period of calendar years, in hectares.

    Parameters
    ----------
    conso : Consumption
        The Cerema consumption file, read by :func:`zan.read_consumption` (aligned
        on the territories' commune geography when they differ).
    territories : Territories or pandas.DataFrame, optional
        The commune hierarchy, or a membership table read by
        :func:`zan.read_membership` (levels as columns). Without it, ``level`` may be ``"commune"`` or one of
        the file's own groupings: ``"epci"`` (latest ``epciYY`` column), ``"scot"``,
        ``"departement"`` (``iddep``), ``"region"`` (``idreg``).
    level : str or pandas.Series, default "commune"
        Territorial level, or a Series mapping commune code → group for a custom grouping.
    period : str or tuple of int, default (2011, 2020)
        Inclusive calendar years; ``(2011, 2020)`` sums the ten flows
        ``naf11art12`` ... ``naf20art21``.
    by_destination : bool, default True
        Add one ``<destination>_ha`` column per destination available in the file.
    missing : {"raise", "zero", "ignore"}, default "raise"
        What to do with communes of the territories absent from the file: raise a
        :class:`~zan.errors.DataError` listing them, count them as zero, or leave them
        out: a territory without any data is then absent from the table (its code in
        ``attrs["left_out"]``), one with part of its communes sums those it has
        (``attrs["incomplete"]``).
    unplaced : {"raise", "exclude"}, default "raise"
        What to do with communes of the file that cannot be placed in the level
        (absent from the territories or membership table, or without a territory
        of that level there): raise a :class:`~zan.errors.MembershipError` naming
        them, or leave them out and report them in ``attrs["excluded"]`` (codes)
        and ``attrs["excluded_ha"]``. Never dropped without a word (nor are the
        communes of unknown total left out by ``missing="ignore"``: their codes are
        in ``attrs["unknown"]``).

    Returns
    -------
    pandas.DataFrame
        Indexed by territory ``code``: ``nom``, ``total_ha`` and ``<destination>_ha``;
        and a boolean ``lower_bound`` column when some commune total of the period
        is only a lower bound (:attr:`Consumption.lower_bound`: the Cerema API long
        layout without total nor road/rail figures); its codes are also in
        ``attrs["lower_bound"]``.

    Raises
    ------
    PeriodError
        When the period is not covered by the file.
    DataError
        When communes are missing (``missing="raise"``) or a level cannot be formed.

    Examples
    --------
    >>> import zan
    >>> conso = zan.read_consumption(zan.get_path("conso_enaf_2009_2023.csv"))
    >>> ref = consumption(conso, level="departement", period="2011-2020")
    >>> list(ref.columns[:2])
    ['nom', 'total_ha']
    >>> bool(abs(ref["total_ha"].sum() - conso.period_total(2011, 2020).sum() / 1e4) < 1e-9)
    True
    """
    start, end = parse_period(period)
    conso.check_period(start, end)
    wide = conso.by_destination((start, end))
    dests = [d for d in conso.destinations if d in wide.columns] if by_destination else []
    wide = wide.reindex(columns=["total", *dests]).astype("float64")
    unknown = wide.index[wide["total"].isna()]
    if len(unknown):
        if missing == "raise":
            raise DataError(
                f"{conso.source}: the total consumption of {len(unknown)} communes is unknown "
                f"(empty cells) for some year of {start}-{end} "
                f"({', '.join(unknown[:20])}{' ...' if len(unknown) > 20 else ''}); "
                "complete the file, choose a period it covers, or pass missing='zero' or missing='ignore'"
            )
        wide = wide.fillna(0.0) if missing == "zero" else wide.drop(index=unknown)
    dropped = tuple(str(c) for c in unknown) if missing == "ignore" else ()
    wide.index.name = "code"
    lower = conso.lower_bound_codes(start, end)
    if len(lower):  # summed with the values: > 0 where a territory holds a lower bound
        wide[_LOWER] = wide.index.isin(lower).astype("float64")
    level_name = level if isinstance(level, str) else "group"
    place = {"unplaced": unplaced, "source": conso.source, "level": level_name}
    excluded: tuple[str, ...] = ()
    total_m2 = wide["total"]

    if isinstance(territories, pd.DataFrame):
        table = _aggregate_membership(
            wide, territories, level, missing=missing, source=conso.source, unplaced=unplaced
        )
        excluded = table.attrs.get("excluded", ())
    elif territories is not None:
        universe = pd.Series(territories.communes.index, index=territories.communes.index)
        wide, excluded = _place(
            wide,
            universe,
            where=f"the territories ({territories.source}; the file is probably coded in "
            "another COG vintage)",
            **place,
        )
        table = territories.aggregate(wide, level, missing=missing)
    elif isinstance(level, pd.Series):
        wide, excluded = _place(wide, level, where="the grouping", **place)
        table = wide.groupby(level.reindex(wide.index)).sum()
        table.insert(0, "nom", table.index.astype(str))
    elif level == "commune":
        table = wide.copy()
        table.insert(0, "nom", conso.communes["nom"].reindex(wide.index))
    else:
        groups, names = _own_grouping(conso, level)
        wide, excluded = _place(wide, groups, where=conso.source, **place)
        table = wide.groupby(groups.reindex(wide.index)).sum()
        table.insert(0, "nom", names.reindex(table.index))
    table.index.name = "code"
    flagged = None
    if _LOWER in table.columns:
        flagged = table.pop(_LOWER) > 0
    values = table.drop(columns="nom") / M2_PER_HA
    values.columns = [f"{c}_ha" for c in values.columns]
    out = pd.concat([table[["nom"]], values], axis=1)
    out.attrs.update(period=(start, end), source=conso.source, unit="ha")
    if flagged is not None:
        out["lower_bound"] = flagged.reindex(out.index, fill_value=False).astype(bool)
        out.attrs["lower_bound"] = tuple(str(c) for c in out.index[out["lower_bound"]])
    if dropped:  # missing="ignore": communes of unknown total, left out and said
        out.attrs["unknown"] = dropped
    if excluded:
        out.attrs["excluded"] = tuple(excluded)
        out.attrs["excluded_ha"] = float(total_m2.reindex(list(excluded)).sum()) / M2_PER_HA
    for key in ("left_out", "incomplete"):  # missing="ignore": territories without (all) data
        if table.attrs.get(key):
            out.attrs[key] = table.attrs[key]
    return out


def trajectory(
    conso: Consumption,
    territories: Territories | pd.DataFrame | None = None,
    *,
    level: str | pd.Series = "epci",
    reduction: float = 0.5,
    reference: str | tuple[int, int] = REFERENCE_PERIOD,
    target: str | tuple[int, int] = TARGET_PERIOD,
    allowed: pd.Series | None = None,
    missing: Missing = "raise",
    floor_ha: float = ALLOWED_FLOOR_HA,
    unplaced: Unplaced = "raise",
) -> pd.DataFrame:
    """Trajectory of each territory against its allowed 2021-2030 consumption.

    ``allowed_ha = max(reference_ha × (1 − reduction), floor_ha)`` with a 1 ha floor
    by default, as the State's tool (Mon Diagnostic Artificialisation) computes it
    (DOMAIN.md §1); ``allowed_floor_applied`` says where the floor raised the
    amount. The consumption since 2021 uses
    every year of the file from the start of the target period; its annual pace,
    projected over the ten years of the target period, gives ``projected_2030_ha``.
    The status is ``exceeded`` when the consumption since 2021 is already above the
    allowed amount, ``will_exceed`` when the projection is, else ``on_track``.

    Parameters
    ----------
    conso : Consumption
        The Cerema consumption file.
    territories : Territories, optional
        The commune hierarchy (see :func:`consumption`).
    level : str or pandas.Series, default "epci"
        Territorial level or custom grouping.
    reduction : float, default 0.5
        Reduction against the reference, between 0 and 1 (0.5 = −50 %).
    reference : str or tuple of int, default (2011, 2020)
        Reference period (inclusive calendar years).
    target : str or tuple of int, default (2021, 2030)
        Target period; the file must hold at least its first year.
    allowed : pandas.Series, optional
        The allowed consumption of each territory in ha, e.g. the ``envelope_ha`` of
        an :class:`~zan.Allocation` at the same level; it replaces
        ``max(reference_ha × (1 − reduction), floor_ha)`` as it is: the floor is
        not applied to it (an allocation carries its own floors, e.g. the
        garantie communale).
    missing : {"raise", "zero", "ignore"}, default "raise"
        See :func:`consumption`.
    floor_ha : float, default 1.0
        Smallest allowed consumption of a territory, in ha: the State's tool
        computes ``max(reference × (1 − reduction), 1 ha)`` (DOMAIN.md §1,
        :data:`ALLOWED_FLOOR_HA`). ``0`` turns the floor off (the bare
        ``reference × (1 − reduction)`` of the law's text).
    unplaced : {"raise", "exclude"}, default "raise"
        See :func:`consumption`; excluded communes in ``attrs["excluded"]``.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``code``: ``nom``, ``reference_ha``, ``allowed_ha``,
        ``allowed_floor_applied`` (bool: the floor raised ``allowed_ha``),
        ``consumed_since_2021_ha``, ``annual_rate_since_2021_ha``,
        ``projected_2030_ha``, ``used_pct``, ``projected_pct``, ``status``.
        The column names keep "2021" and "2030" whatever the target period; its
        actual years are in ``.attrs["target"]``. A boolean ``lower_bound``
        column (and ``attrs["lower_bound"]``) when a figure of either period is only
        a lower bound (see :func:`consumption`).

    Raises
    ------
    ScenarioError
        When ``reduction`` is not between 0 and 1, or ``floor_ha`` is negative.
    PeriodError
        When the file does not cover the reference period or the first target year.

    Examples
    --------
    >>> import zan
    >>> conso = zan.read_consumption(zan.get_path("conso_enaf_2009_2023.csv"))
    >>> t = trajectory(conso, level="departement", reduction=0.5)
    >>> bool((t["allowed_ha"] == t["reference_ha"] * 0.5).all())
    True
    >>> sorted(set(t["status"]) - {"on_track", "will_exceed", "exceeded"})
    []

    A commune whose halved reference is under 1 ha is allowed 1 ha, unless
    ``floor_ha=0``:

    >>> c = trajectory(conso, level="commune", reduction=0.5)
    >>> bool((c["allowed_ha"] >= 1.0).all())
    True
    >>> bool((c.loc[c["allowed_floor_applied"], "reference_ha"] * 0.5 < 1.0).all())
    True
    >>> bool(trajectory(conso, level="commune", floor_ha=0)["allowed_floor_applied"].any())
    False
    """
    if (
        not isinstance(floor_ha, int | float)
        or isinstance(floor_ha, bool)
        or not floor_ha >= 0
        or np.isinf(floor_ha)
    ):
        raise ScenarioError(
            f"'floor_ha' must be a number of hectares >= 0 (got {floor_ha!r}); write 1.0 for "
            "the State's tool's 1 ha floor or 0 to turn it off"
        )
    if not isinstance(reduction, int | float) or not 0 <= reduction <= 1 or np.isnan(reduction):
        raise ScenarioError(
            f"'reduction' must be between 0 and 1 (got {reduction!r}); write 0.5 for a 50 % reduction"
        )
    ref_start, ref_end = parse_period(reference, what="reference period")
    tgt_start, tgt_end = parse_period(target, what="target period")
    last = max(conso.years)
    if last < tgt_start:
        raise PeriodError(
            f"{conso.source}: the file ends in {last}, before the target period starts "
            f"({tgt_start}); use a more recent vintage of the consumption file"
        )
    since_end = min(last, tgt_end)
    ref = consumption(
        conso,
        territories,
        level=level,
        period=(ref_start, ref_end),
        by_destination=False,
        missing=missing,
        unplaced=unplaced,
    )
    since = consumption(
        conso,
        territories,
        level=level,
        period=(tgt_start, since_end),
        by_destination=False,
        missing=missing,
        unplaced=unplaced,
    )
    n_years = since_end - tgt_start + 1
    target_years = tgt_end - tgt_start + 1
    out = pd.DataFrame(index=ref.index)
    out["nom"] = ref["nom"]
    out["reference_ha"] = ref["total_ha"]
    floored = allowed is None
    if floored:
        raw = out["reference_ha"] * (1.0 - reduction)
        out["allowed_ha"] = raw.clip(lower=float(floor_ha))
        out["allowed_floor_applied"] = (raw < float(floor_ha)).to_numpy()
    else:
        allowed = pd.Series(allowed, dtype="float64")
        absent = out.index.difference(allowed.index)
        if len(absent):
            raise DataError(
                f"'allowed' has no value for {len(absent)} territories ({', '.join(absent[:20])}); "
                "give the envelope of every territory of the level (e.g. allocation.table['envelope_ha'])"
            )
        out["allowed_ha"] = allowed.reindex(out.index)
        out["allowed_floor_applied"] = False
    out["allowed_floor_applied"] = out["allowed_floor_applied"].astype(bool)
    out["consumed_since_2021_ha"] = since["total_ha"].reindex(out.index)
    out["annual_rate_since_2021_ha"] = out["consumed_since_2021_ha"] / n_years
    out["projected_2030_ha"] = out["annual_rate_since_2021_ha"] * target_years
    allowed = out["allowed_ha"].to_numpy()
    with np.errstate(divide="ignore", invalid="ignore"):
        out["used_pct"] = np.where(
            allowed > 0, out["consumed_since_2021_ha"] / allowed * 100, np.nan
        )
        out["projected_pct"] = np.where(
            allowed > 0, out["projected_2030_ha"] / allowed * 100, np.nan
        )
    consumed = out["consumed_since_2021_ha"].to_numpy()
    projected = out["projected_2030_ha"].to_numpy()
    tol = 1e-9
    out["status"] = np.select(
        [consumed > allowed + tol, projected > allowed + tol],
        ["exceeded", "will_exceed"],
        default="on_track",
    )
    out.attrs.update(
        reference=(ref_start, ref_end),
        target=(tgt_start, tgt_end),
        observed=(tgt_start, since_end),
        reduction=reduction,
        floor_ha=float(floor_ha) if floored else None,
        source=conso.source,
    )
    if "lower_bound" in ref.columns or "lower_bound" in since.columns:
        flags = [
            t["lower_bound"].reindex(out.index, fill_value=False)
            for t in (ref, since)
            if "lower_bound" in t.columns
        ]
        out["lower_bound"] = np.logical_or.reduce([f.to_numpy(dtype=bool) for f in flags])
        out.attrs["lower_bound"] = tuple(str(c) for c in out.index[out["lower_bound"]])
    if ref.attrs.get("excluded") or since.attrs.get("excluded"):
        out.attrs["excluded"] = tuple(
            sorted({*ref.attrs.get("excluded", ()), *since.attrs.get("excluded", ())})
        )
        out.attrs["excluded_ha"] = ref.attrs.get("excluded_ha", 0.0)
    return out
