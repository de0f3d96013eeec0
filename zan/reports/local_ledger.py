"""The rapport local de suivi de l'artificialisation drawn from the compte foncier.

:func:`zan.local_report` with ``ledger=`` (``zan local-report --ledger L.gpkg``) takes
items 1° and 4° of article R. 2231-1 CGCT (DOMAIN.md §1-§2) from the ledger
(:mod:`zan.ledger`) instead of the Cerema file:

- 1° the ENAF consumption of the report's calendar years is the sum of the ledger's
  consumption entries of those years (imports and revisions of each Cerema vintage,
  :meth:`zan.ledger.Ledger.entries`), per account, the commune accounts summed into
  their EPCI (:func:`zan.ledger.account_groups`) when the report is per EPCI;
- 4° the objective is the account's envelope for 2021-2030 as the ledger holds it
  (allocation, reserve granted, transfers), with the consumption counted against it
  since 2021 (PENE deducted), the commitments of projects, the remaining balance,
  the pace, the projection and the run-out year: :func:`zan.ledger.balances` or
  :func:`zan.ledger.group_balances`, as ``zan ledger balance`` shows them.

Each figure's source names the ledger file, the hash of its last entry (the anchor
of the SHA-256 chain that ``zan ledger verify`` checks), the date of that entry and
the vintages imported. A scenario, a consumption file, territories or a membership
table give the geography the ledger lacks (the commune → EPCI links, the names and
areas of the territories) and, with OCS GE, items 2° and 3°.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import DataError, LedgerError, PeriodError
from ..formatting import fr_text, french_sort_key
from ..measure.consumption import STATUS_LABELS, parse_period
from .context import ITEMS, LEVEL_LABELS
from .local_charts import add_chart_data
from .local_items import add_renaturation

__all__ = ["ledger_report_data", "recorded_years"]

#: Reason of items 2° and 3° without OCS GE (as in :func:`zan.reports.local.local_report_data`).
NO_OCSGE = (
    "L'OCS GE (occupation du sol à grande échelle, IGN) n'a pas été fournie pour ce "
    "rapport : cet indicateur n'est attendu qu'une fois l'OCS GE disponible sur le "
    "territoire."
)
#: The ledger's metric of ENAF consumption (the first decade, loi n° 2021-1104 art. 191).
ENAF = "enaf_consumption"


def recorded_years(entries: pd.DataFrame) -> list[int]:
    """The calendar years of ENAF consumption a ledger's entries hold.

    Parameters
    ----------
    entries : pandas.DataFrame
        :meth:`zan.ledger.Ledger.entries` (``kind="consumption"``).

    Returns
    -------
    list of int

    Examples
    --------
    >>> e = pd.DataFrame({"metric": ["enaf_consumption"] * 2 + ["net_artificialisation"],
    ...                   "year": [2022, 2021, 2031]})
    >>> recorded_years(e)
    [2021, 2022]
    """
    years = entries.loc[entries["metric"] == ENAF, "year"].dropna()
    return sorted({int(y) for y in years})


def _spans(years: list[int]) -> str:
    """``[2021, 2022, 2024]`` → ``"2021-2022, 2024"``."""
    out: list[list[int]] = []
    for y in years:
        if out and y == out[-1][1] + 1:
            out[-1][1] = y
        else:
            out.append([y, y])
    return ", ".join(f"{a}-{b}" if a != b else f"{a}" for a, b in out)


def _geography(
    scenario: Any, consumption: Any, territories: Any, membership: Any, level: str
) -> dict[str, Any]:
    """Commune → territory links, names and areas at ``level``, from what was given."""
    from ..io import read_consumption, read_membership

    files: dict[str, str] = {}
    zones = frame = None
    if scenario is not None:
        from ..scenario import load_scenario, prepare_scenario, scenario_inputs

        sc = load_scenario(scenario) if isinstance(scenario, (str, os.PathLike)) else scenario
        zones = prepare_scenario(sc).territories
        files.update({k: str(v) for k, v in scenario_inputs(sc).items()})
    elif territories is not None:
        from ..territory import Territories

        zones = territories
        if isinstance(territories, (str, os.PathLike)):
            files["territories"] = str(territories)
            if membership is not None:
                files["membership"] = str(membership)
            zones = Territories.from_files(territories, membership)
    elif membership is not None:
        frame = membership
        if isinstance(membership, (str, os.PathLike)):
            files["membership"] = str(membership)
            frame = read_membership(membership)
    elif consumption is not None:
        conso = consumption
        if isinstance(consumption, (str, os.PathLike)):
            files["consumption"] = str(consumption)
            conso = read_consumption(consumption)
        frame = conso.communes.copy()
        cols = sorted(c for c in frame.columns if str(c)[:4] == "epci" and str(c)[4:].isdigit())
        if cols:
            frame["epci"] = frame[cols[-1]]
            if f"{cols[-1]}txt" in frame.columns:
                frame["epci_nom"] = frame[f"{cols[-1]}txt"]
    assignment = names = area = None
    if zones is not None:
        if level != "commune":
            assignment = zones.assignment(level).astype(str)
        names = zones.names(level)
        area = zones.communes["area_ha"].astype(float)
        area.index = area.index.astype(str)
        if assignment is not None:
            area = area.groupby(assignment.reindex(area.index)).sum()
    elif frame is not None:
        col = "nom" if level == "commune" else f"{level}_nom"
        if level != "commune" and level in frame.columns:
            assignment = frame[level].astype(str)
        if col in frame.columns:
            key = frame.index if level == "commune" else frame[level]
            names = pd.Series(frame[col].astype(str).to_numpy(), index=key.astype(str))
            names = names[~names.index.duplicated()]
    if assignment is not None:
        assignment.index = assignment.index.astype(str)
    if names is not None:
        names.index = names.index.astype(str)
    return {"assignment": assignment, "names": names, "area": area, "files": files}


def _groups(book: Any, level: str, geo: dict[str, Any]) -> pd.Series | None:
    """Account → territory at ``level`` (None: the ledger's own accounts are the territories)."""
    if book.level == level:
        return None
    from ..ledger.balance import account_groups

    finer = LedgerError(
        f"{book.source}: the ledger's accounts are kept per {book.level}; a report per "
        f"{level} would split them (a balance is never split): make the reports per "
        f"{book.level} (--level {book.level}) or per a level that contains it"
    )
    if level == "commune":
        raise finer
    assignment = geo["assignment"]
    if assignment is None:
        raise LedgerError(
            f"{book.source}: the ledger has no account per {level} (its accounts are kept per "
            f"{book.level}) and nothing tells which {level} each commune belongs to; give a "
            "scenario, --membership, --territories or --consumption (its epciYY column) "
            "for the geography"
        )
    communes = book.communes.index.astype(str)
    missing = communes[~communes.isin(assignment.index)]
    if len(missing):
        raise LedgerError(
            f"{book.source}: the ledger has no account per {level}, and {len(missing)} of its "
            f"communes are not in the geography given (first: {', '.join(missing[:5])}); give "
            "the geography of the ledger's communes (the same COG, e.g. the ledger's scenario)"
        )
    try:
        return account_groups(book, assignment)
    except LedgerError:
        raise finer from None


def _ledger_source(book: Any, facts: Any) -> dict[str, str]:
    """The source line of the ledger's figures: file, last entry, its hash, vintages."""
    # the hash chain's head "number:sha256", as `zan ledger verify --expected-head` reads it
    number, _, digest = (book.meta("head") or "").partition(":")
    number = number or "0"
    last = book.connection.execute(
        "SELECT recorded_at FROM entries ORDER BY id DESC LIMIT 1"
    ).fetchone()
    when = str(last[0])[:10] if last else "—"
    imports = facts.imports
    vintages = [
        f"{r['vintage'] or r['source_file']} ({r['source_file']}, importé le "
        f"{str(r['recorded_at'])[:10]})"
        for _, r in imports[imports["metric"] == ENAF].iterrows()
    ]
    name = Path(book.source).name
    return {
        "source": f"compte foncier {name} (dernière écriture n° {number}, enregistrée "
        f"le {when}, empreinte SHA-256 {digest or facts.head})",
        "short": f"compte foncier {name} (dernière écriture n° {number} du {when})",
        "number": number,
        "vintage": "; ".join(vintages) or "aucun millésime importé",
        "date": when,
    }


def ledger_report_data(
    ledger: Any,
    *,
    scenario: Any = None,
    consumption: Any = None,
    territories: Any = None,
    membership: Any = None,
    level: str = "commune",
    period: str | tuple[int, int] | None = None,
    ocsge: Any = None,
    ocsge_later: Any = None,
    renaturation: Any = None,
    base: Callable[..., tuple[list[dict[str, Any]], dict[str, Any]]] | None = None,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """The figures of every territory's local report, items 1° and 4° from a compte foncier.

    Parameters
    ----------
    ledger : path or zan.ledger.Ledger
        The compte foncier (opened read-only when a path).
    scenario, consumption, territories, membership : optional
        The geography the ledger lacks: which EPCI each commune belongs to (a report per
        EPCI from a ledger kept per commune), the territories' names and areas; with
        ``ocsge``, items 2° and 3° (as in :func:`zan.reports.local.local_report_data`).
    level : {"commune", "epci"}, default "commune"
    period : str or (int, int), optional
        Calendar years of the report; by default from the start of the ledger's period
        (2021) to the last year it records.
    ocsge, ocsge_later : path or LandCover, optional
        OCS GE vintages (items 2° and 3°; need a scenario or a consumption file).
    renaturation : path or DataFrame, optional
        Renaturation of built-up land into ENAF (item 1°, optional in the decree), as in
        :func:`zan.reports.local_items.read_renaturation`.
    base : callable, optional
        What measures items 2° and 3° from OCS GE:
        :func:`zan.reports.local.local_report_data`, which :func:`zan.local_report`
        passes (this module stays below it); needed with ``ocsge``.

    Returns
    -------
    (list of dict, dict)
        As :func:`zan.reports.local.local_report_data`; the run's facts add ``ledger``
        (file, last entry, its hash and date, vintages imported).

    Raises
    ------
    LedgerError
        The ledger has no account at ``level`` (nor a geography to sum its commune
        accounts into), or its accounts are larger than the report's territories.
    PeriodError
        The period asks for years the ledger does not record (the message lists those
        it records).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from zan.datasets import get_path, scenario_path
    >>> from zan.ledger import init_ledger
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "compte.gpkg"
    >>> ledger = init_ledger(path, scenario_path("05_cascade_reserve_pene_garantie"))
    >>> _ = ledger.import_consumption(get_path("conso_enaf_2009_2023.csv"),
    ...                               passage=get_path("passage_cog2023_cog2024.csv"))
    >>> rows, run = ledger_report_data(ledger, level="commune")
    >>> len(rows), run["period"], rows[0]["items"][3]["available"]
    (445, '2021-2022', True)
    """
    if level not in ("commune", "epci"):
        raise DataError(f"level {level!r}: the local report is made per 'commune' or 'epci'")
    from ..ledger.core import Ledger

    own = not isinstance(ledger, Ledger)
    book = Ledger(ledger, readonly=True) if own else ledger
    try:
        geo = _geography(scenario, consumption, territories, membership, level)
        rows, run = _data(book, geo, level, period)
    finally:
        if own:
            book.close()
    occ: dict[str, Any] = {}
    if ocsge is not None:
        if base is None:
            raise DataError("ocsge= with a ledger: pass base=zan.reports.local.local_report_data")
        occ_rows, base_run = base(
            scenario=scenario,
            consumption=consumption,
            territories=territories,
            membership=membership,
            level=level,
            period=(run["start"], run["end"]),
            ocsge=ocsge,
            ocsge_later=ocsge_later,
            sraddet=False,
        )
        occ = {r["code"]: r["items"] for r in occ_rows}
        run["files"].update(
            {k: v for k, v in base_run["files"].items() if k in ("ocsge", "ocsge_later")}
        )
    for row in rows:
        items = occ.get(row["code"])
        row["items"][1:3] = (
            items[1:3]
            if items is not None
            else [
                {"number": n, "title": ITEMS[n - 1], "available": False, "reason": NO_OCSGE}
                for n in (2, 3)
            ]
        )
    groups = geo["assignment"] if level != "commune" else None  # commune → territory
    if renaturation_file := add_renaturation(
        rows, renaturation, groups, (run["start"], run["end"])
    ):
        run["files"]["renaturation"] = renaturation_file
    return rows, run


def _add_charts(
    book: Any,
    rows: list[dict[str, Any]],
    cons: pd.DataFrame,
    key: pd.Series,
    recorded: list[int],
    span: tuple[int, int],
    geo: dict[str, Any] | None,
) -> None:
    """The charts' figures from the ledger (in place): yearly consumption entries (1°),
    and the consumption counted against the envelope at the end of each year (4°)."""
    from ..ledger.balance import balances, group_balances

    owner = key.reindex(cons["account"].astype(str)).to_numpy()
    yearly = cons["amount_ha"].groupby([owner, cons["year"].to_numpy()]).sum()

    def measure(years: tuple[int, int]) -> pd.DataFrame:
        one = yearly[yearly.index.get_level_values(1) == years[0]]
        return pd.DataFrame({"total_ha": one.to_numpy()}, index=one.index.get_level_values(0))

    add_chart_data(rows, measure, recorded, {}, span[1])
    counted: dict[int, pd.Series] = {}
    for year in range(span[0], span[1] + 1):
        at = f"{year}-12-31"
        if geo is None:
            bal = balances(book, at)
        else:
            bal = group_balances(book, geo["assignment"], at, names=geo["names"])
        counted[year] = bal["consumed_ha"]
    for row in rows:
        item4 = row["items"][3]
        if "cumulative" in item4:  # the ledger's figure: PENE deducted, as item 4° says
            item4["cumulative"] = [
                {"year": y, "cumul_ha": float(c.get(row["code"], 0.0))} for y, c in counted.items()
            ]


def _value(x: Any) -> float | None:
    return None if pd.isna(x) else float(x)


def _data(
    book: Any, geo: dict[str, Any], level: str, period: Any
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Items 1° and 4° of every territory from an open ledger (items 2° and 3° left empty)."""
    from ..ledger.balance import group_balances
    from ..ledger.export import report_data

    name = Path(book.source).name
    groups = _groups(book, level, geo)
    cons = book.entries(kind="consumption")
    cons = cons[cons["metric"] == ENAF]
    recorded = recorded_years(cons)
    if not recorded:
        raise PeriodError(
            f"{book.source}: the ledger records no ENAF consumption yet; import a Cerema "
            "vintage first (zan ledger import-consumption LEDGER FILE)"
        )
    first = int(book.periods.loc[book.default_period, "start_year"])
    start, end = (first, recorded[-1]) if period is None else parse_period(period)
    missing = [y for y in range(start, end + 1) if y not in recorded]
    if missing:
        raise PeriodError(
            f"{book.source}: period {start}-{end}: the ledger does not record the ENAF "
            f"consumption of {_spans(missing)}; it records {_spans(recorded)}: choose the "
            f"years among them (e.g. --period {recorded[0]}-{recorded[-1]}), or import the "
            "Cerema vintage that holds them"
        )
    at = f"{end}-12-31"  # the state of the account at the end of the report's years
    facts = report_data(book, at=at)
    if groups is None:
        bal = facts.balances
    else:
        names = geo["names"]
        if names is None:
            codes = pd.Index(sorted(set(groups)))
            names = pd.Series(codes, index=codes)
        bal = group_balances(book, geo["assignment"], at, names=names)
    terr = bal[bal["account_type"] == "territoire"]
    if terr.empty:
        raise LedgerError(
            f"{book.source}: the ledger has no territory account (only "
            f"{', '.join(map(str, bal.index))}); a local report needs the territories' "
            "accounts: create the ledger from a scenario allocating to communes or EPCI"
        )
    accounts = book.accounts
    kept = accounts[accounts["account_type"].isin(["territoire", "garantie"])]
    owner = kept["territory"].where(kept["territory"].notna(), kept.index.to_series())
    key = owner.astype(str) if groups is None else groups.reindex(owner.astype(str).to_numpy())
    key.index = kept.index.astype(str)
    own_key = key[kept["account_type"].to_numpy() == "territoire"]
    sel = cons[cons["year"].between(start, end)]
    sel_key = key.reindex(sel["account"].astype(str)).to_numpy()
    total = sel["amount_ha"].groupby(sel_key).sum()
    pairs = sel.assign(key=sel_key).drop_duplicates(["account", "year"]).groupby("key").size()
    expected = own_key.value_counts() * (end - start + 1)
    area = geo["area"]
    if area is None:
        try:
            shapes = book.map_frame()
            area = shapes.geometry.area / 1e4  # EPSG:2154 (Lambert-93): m² → ha
            area.index = area.index.astype(str)
            if groups is not None:
                area = area.groupby(groups.reindex(area.index).to_numpy()).sum()
        except LedgerError:
            area = pd.Series(dtype=float)
    src = _ledger_source(book, facts)
    summed = groups is not None
    grouped_text = (
        f", somme des comptes par {book.level} du territoire (zan.ledger.account_groups)"
        if summed
        else ""
    )
    last = facts.last_year
    rows = []
    incomplete = []
    for code, b in terr.iterrows():
        code = str(code)
        a = _value(area.get(code)) if len(area) else None
        n_found, n_expected = int(pairs.get(code, 0)), int(expected.get(code, 0))
        item1: dict[str, Any] = {
            "number": 1,
            "title": ITEMS[0],
            "area_ha": a,
            "destinations": [],
            "source": src["source"],
            "vintage": src["vintage"],
            "method": "somme des écritures de consommation d'ENAF (imports et révisions des "
            f"millésimes Cerema) du compte foncier pour les années civiles {start} à {end}"
            + grouped_text,
        }
        if n_found == 0:
            item1.update(
                available=False,
                total_ha=None,
                share_pct=None,
                partial=False,
                reason=f"Le compte foncier ({name}) n'enregistre la consommation d'ENAF "
                f"{start}-{end} d'aucun compte de ce territoire : les millésimes importés "
                "n'ont pas de donnée complète pour ses communes.",
            )
        else:
            t = float(total.get(code, 0.0))
            item1.update(
                available=True,
                total_ha=t,
                share_pct=100 * t / a if a else None,
                partial=n_found < n_expected,
            )
            if item1["partial"]:
                incomplete.append(code)
        status = str(b["status"])
        runs_out = None if pd.isna(b["runs_out_year"]) else int(b["runs_out_year"])
        note = f"Situation au regard de l'enveloppe : {STATUS_LABELS.get(status, status)}."
        if _value(b["annual_rate_ha"]) is not None and last is not None:
            note += (
                f" Rythme annuel {first}-{last} : {fr_text(float(b['annual_rate_ha']))} ha/an ; "
                f"projection à la fin de la période à ce rythme : "
                f"{fr_text(float(b['projected_ha']))} ha."
            )
        if runs_out is not None:
            note += (
                f" Enveloppe dépassée en {runs_out}."
                if status == "exceeded"
                else f" Au rythme actuel, l'enveloppe serait épuisée en {runs_out}."
            )
        if summed:
            note += (
                f" Le compte foncier est tenu par {book.level} : ces chiffres sont la somme "
                f"des {int(b['n_accounts'])} comptes de ce territoire."
            )
        item4: dict[str, Any] = {
            "number": 4,
            "title": ITEMS[3],
            "available": True,
            "reference_ha": None,
            "objective_ha": float(b["envelope_ha"]),
            "consumed_ha": float(b["consumed_ha"]),
            "consumed_period": f"{first}-{last}" if last is not None else f"depuis {first}",
            "committed_ha": float(b["committed_ha"]),
            "remaining_ha": float(b["remaining_ha"]),
            "used_pct": _value(b["used_pct"]),
            "annual_rate_ha": _value(b["annual_rate_ha"]),
            "projected_ha": _value(b["projected_ha"]),
            "status": status,
            "runs_out_year": runs_out,
            "extra_rows": [("Engagé (projets prévus, non réalisés)", float(b["committed_ha"]))],
            "note": note,
            "partial": False,
            "document": "",
            "source": src["short"],
            "vintage": f"période {facts.period}, solde au 31 décembre {end} (écritures "
            f"jusqu'au {src['date']})",
            "method": "solde du compte foncier = enveloppe (allocation, réserve attribuée, "
            "transferts) − consommation comptée depuis le début de la période (écritures de "
            "consommation, PENE déduits) − projets engagés (zan.ledger.balances"
            + ("; zan.ledger.group_balances" if summed else "")
            + ")",
        }
        names = geo["names"]
        nom = str(names.get(code, b["nom"])) if names is not None else str(b["nom"])
        rows.append(
            {
                "code": code,
                "nom": nom,
                "items": [item1, None, None, item4],
            }
        )
    _add_charts(book, rows, cons, key, recorded, (first, end), geo if summed else None)
    rows.sort(key=lambda x: (french_sort_key(x["nom"]), x["code"]))
    run = {
        "period": f"{start}-{end}",
        "start": start,
        "end": end,
        "level": level,
        "level_label": LEVEL_LABELS.get(level, level),
        "files": {**geo["files"], "ledger": str(book.source)},
        "left_out": [],
        "incomplete": sorted(incomplete),
        "ledger": {
            "file": str(book.source),
            "level": book.level,
            "period": facts.period,
            "entries": int(src["number"]),
            "head": facts.head,
            "last_entry_date": src["date"],
            "recorded_years": recorded,
            "vintages": src["vintage"],
            "summed": summed,
        },
    }
    return rows, run
