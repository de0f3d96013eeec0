"""The ledger for people: French tables (CSV or XLSX, written atomically), report data, the map.

Presentation: this module reads the ledger through :mod:`zan.ledger.balance` and
the kernel never imports it (:func:`export_balance`, :func:`export_history` and
:func:`balance_map` are reached from :mod:`zan.ledger` and the CLI).

The tables of :func:`zan.ledger.balance.balances` and
:func:`zan.ledger.balance.history` keep English column names for code; these
functions rename them (:data:`BALANCE_HEADERS`, :data:`HISTORY_HEADERS`),
translate statuses, kinds and account types, and write a CSV (UTF-8 with BOM so
that spreadsheets show the accents) or an Excel workbook (with a second sheet
describing the extract: ledger, period, date, head of the hash chain).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from .._write import Sheet, write_csv, write_workbook
from ..errors import DataError
from ..measure.consumption import STATUS_LABELS
from .access import guard
from .balance import PENE_STATUS, balances, history, map_frame
from .entries import METRICS
from .projects import projects

if TYPE_CHECKING:  # pragma: no cover
    from .book import Book

__all__ = [
    "BALANCE_HEADERS",
    "HISTORY_HEADERS",
    "NET_HEADERS",
    "KIND_LABELS",
    "ACCOUNT_TYPE_LABELS",
    "ACTION_LABELS",
    "french_balance",
    "french_history",
    "write_table",
    "LedgerReport",
    "report_data",
    "export_balance",
    "export_history",
    "balance_map",
]

#: French label of the PENE account's status (counted nationally, not capped).
PENE_STATUS_LABEL = "Décompté au niveau national (non plafonné)"

#: French headers of the balance table.
BALANCE_HEADERS: dict[str, str] = {
    "code": "Code",
    "nom": "Nom",
    "account_type": "Type de compte",
    "allocated_ha": "Enveloppe allouée (ha)",
    "granted_ha": "Réserve attribuée (ha)",
    "transferred_ha": "Transferts nets (ha)",
    "envelope_ha": "Enveloppe (ha)",
    "consumed_ha": "Consommé (ha)",
    "committed_ha": "Engagé – projets (ha)",
    "remaining_ha": "Solde disponible (ha)",
    "used_pct": "Part consommée (%)",
    "annual_rate_ha": "Rythme annuel depuis le début de la période (ha/an)",
    "projected_ha": "Projection en fin de période (ha)",
    "projected_pct": "Projection en fin de période (% de l'enveloppe)",
    "status": "Situation",
    "runs_out_year": "Année d'épuisement au rythme actuel",
}
#: French headers of the history table.
HISTORY_HEADERS: dict[str, str] = {
    "id": "N° d'écriture",
    "effective_date": "Date d'effet",
    "recorded_at": "Enregistrée le (UTC)",
    "kind": "Nature",
    "action": "Mouvement",
    "account": "Compte",
    "counterpart": "Contrepartie",
    "year": "Année de consommation",
    "project": "Projet",
    "label": "Libellé",
    "author": "Auteur",
    "justification": "Justification",
    "source_file": "Source",
    "envelope_ha": "Enveloppe (ha)",
    "consumed_ha": "Consommé (ha)",
    "committed_ha": "Engagé (ha)",
    "remaining_ha": "Solde disponible après l'écriture (ha)",
}
#: Headers that name the metric, for the periods of net artificialisation (from 2031).
NET_HEADERS: dict[str, str] = {
    "consumed_ha": "Artificialisation nette (ha)",
    "used_pct": "Part utilisée (%)",
    "year": "Année d'artificialisation",
}
#: French names of the kinds of entries.
KIND_LABELS: dict[str, str] = {
    "allocation": "Allocation",
    "consumption": "Consommation (Cerema)",
    "project": "Projet",
    "reserve_grant": "Attribution de la réserve régionale",
    "transfer": "Transfert entre territoires",
    "pene": "Projet d'envergure nationale ou européenne (PENE)",
}
#: French names of the account types.
ACCOUNT_TYPE_LABELS: dict[str, str] = {
    "territoire": "Territoire",
    "garantie": "Garantie communale mutualisée",
    "reserve": "Réserve régionale",
    "pene": "Forfait PENE",
    "region": "Région",
}
#: French names of the movements.
ACTION_LABELS: dict[str, str] = {
    "credit": "Crédit",
    "import": "Import",
    "revision": "Révision",
    "planned": "Engagement",
    "realised": "Réalisation",
    "abandoned": "Abandon",
    "grant": "Attribution",
    "transfer": "Transfert",
    "pene": "Consommation PENE",
    "offset": "Déduction PENE",
    "reversal": "Annulation",
}


def french_balance(table: pd.DataFrame) -> pd.DataFrame:
    """The balance table with French headers and labels.

    A balance of a period measured in net artificialisation (``attrs["metric"]``,
    from 2031) says so in its headers (:data:`NET_HEADERS`).

    Examples
    --------
    >>> t = pd.DataFrame({"nom": ["Amont"], "status": ["exceeded"], "account_type": ["territoire"]},
    ...                  index=pd.Index(["A"], name="code"))
    >>> french_balance(t).iloc[0].tolist()
    ['A', 'Amont', 'Enveloppe dépassée', 'Territoire']
    """
    net = table.attrs.get("metric") == "net_artificialisation"
    out = table.reset_index()
    if "status" in out:
        labels = {**STATUS_LABELS, PENE_STATUS: PENE_STATUS_LABEL}
        out["status"] = out["status"].map(labels).fillna(out["status"])
    if "account_type" in out:
        out["account_type"] = (
            out["account_type"].map(ACCOUNT_TYPE_LABELS).fillna(out["account_type"])
        )
    return out.rename(columns={**BALANCE_HEADERS, **(NET_HEADERS if net else {})})


def french_history(table: pd.DataFrame) -> pd.DataFrame:
    """The history table with French headers and labels (net artificialisation from 2031).

    Examples
    --------
    >>> t = pd.DataFrame({"kind": ["transfer"], "action": ["reversal"]},
    ...                  index=pd.Index([7], name="id"))
    >>> french_history(t).columns.tolist()
    ["N° d'écriture", 'Nature', 'Mouvement']
    """
    net = table.attrs.get("metric") == "net_artificialisation"
    kinds = {**KIND_LABELS, "consumption": "Artificialisation nette"} if net else KIND_LABELS
    out = table.reset_index()
    for col in ("year", "project"):  # whole numbers with gaps: "1", never "1,00"
        if col in out and out[col].dtype.kind == "f":
            out[col] = out[col].round().astype("Int64")
    if "kind" in out:
        out["kind"] = out["kind"].map(kinds).fillna(out["kind"])
    if "action" in out:
        out["action"] = out["action"].map(ACTION_LABELS).fillna(out["action"])
    return out.rename(columns={**HISTORY_HEADERS, **(NET_HEADERS if net else {})})


def write_table(
    table: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    info: dict[str, Any] | None = None,
    sheet: str = "Soldes",
) -> Path:
    """Write a French table as CSV (UTF-8 with BOM) or XLSX, chosen by the extension.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`french_balance` or :func:`french_history`.
    path : path-like
        ``.csv`` or ``.xlsx``; written whole or not at all.
    info : dict, optional
        Description of the extract (XLSX: a second sheet "Informations").
    sheet : str, default "Soldes"
        Name of the XLSX sheet.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    DataError
        Unknown extension.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = write_table(pd.DataFrame({"Code": ["A"], "Solde (ha)": [1.5]}),
    ...                 pathlib.Path(tempfile.mkdtemp()) / "soldes.csv")
    >>> p.read_text(encoding="utf-8-sig").splitlines()
    ['Code,Solde (ha)', 'A,1.5000']
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return write_csv(table, path, index=False, encoding="utf-8-sig")
    if suffix != ".xlsx":
        raise DataError(f"{path}: unknown table format {suffix!r}; write a .csv or an .xlsx file")
    formats = {
        c: "0.0" if str(c).endswith("(%)") else "#,##0.0000"
        for c in table.columns
        if "(ha)" in str(c) or str(c).endswith("(%)")
    }
    sheets = [Sheet(sheet, table, formats, freeze="A2")]
    if info:
        about = pd.DataFrame({"Rubrique": list(info), "Valeur": [str(v) for v in info.values()]})
        sheets.append(Sheet("Informations", about, {}, freeze="A2"))
    return write_workbook(path, sheets)


@dataclass(frozen=True)
class LedgerReport:
    """The state of the ledger at a date, as a report needs it.

    Attributes
    ----------
    period : str
        E.g. ``"2021-2030"``.
    at : str or None
        Date of the balance (None: every entry).
    last_year : int or None
        Last year of consumption observed.
    balances : pandas.DataFrame
        :func:`zan.ledger.balances` (consolidated, with the region row).
    region : pandas.Series
        The region row of ``balances``.
    projects : pandas.DataFrame
        :meth:`zan.ledger.Ledger.projects`.
    imports : pandas.DataFrame
        The Cerema vintages imported.
    entries : int
        Number of entries.
    head : str
        SHA-256 of the last entry (anchors the figures of the report).
    metric : str
        Metric of the period: ``"enaf_consumption"`` (2021-2030) or
        ``"net_artificialisation"`` (from 2031).
    """

    period: str
    at: str | None
    last_year: int | None
    balances: pd.DataFrame
    region: pd.Series
    projects: pd.DataFrame
    imports: pd.DataFrame
    entries: int
    head: str
    metric: str = "enaf_consumption"


@guard
def report_data(ledger: Book, *, at: Any = None, period: str | None = None) -> LedgerReport:
    """Gather what a report on the compte foncier shows, at a date.

    Parameters
    ----------
    ledger : Ledger
        The ledger.
    at, period
        As in :func:`zan.ledger.balances`.

    Returns
    -------
    LedgerReport

    Examples
    --------
    >>> from zan.ledger import example_ledger
    >>> data = report_data(example_ledger(), at="2024-12-31")
    >>> data.period, data.entries, len(data.head)
    ('2021-2030', 5, 64)
    """
    table = balances(ledger, at=at, period=period)
    conn = ledger.connection
    last = conn.execute("SELECT id, hash FROM entries ORDER BY id DESC LIMIT 1").fetchone()
    return LedgerReport(
        period=table.attrs["period"],
        at=table.attrs["at"],
        last_year=table.attrs["last_year"],
        balances=table,
        region=table.loc["region"],
        projects=projects(ledger),
        imports=ledger.imports(),
        entries=int(
            conn.execute(
                "SELECT (SELECT COUNT(*) FROM entries WHERE action != 'vintage') "
                "+ (SELECT COUNT(*) FROM import_lines)"
            ).fetchone()[0]
        ),
        head="" if last is None else str(last[1]),
        metric=table.attrs["metric"],
    )


@guard
def export_balance(
    ledger: Book,
    path: str | os.PathLike[str],
    *,
    at: Any = None,
    period: str | None = None,
    consolidate: bool = True,
) -> Path:
    """Write the balance table (French headers) to CSV or XLSX; return the path.

    Parameters
    ----------
    ledger : Ledger
        The ledger.
    path : path-like
        ``.csv`` or ``.xlsx``.
    at, period, consolidate
        As in :func:`~zan.ledger.balance.balances`.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> from zan.ledger import example_ledger
    >>> path = export_balance(example_ledger(), pathlib.Path(tempfile.mkdtemp()) / "soldes.xlsx")
    >>> pd.read_excel(path).columns[:3].tolist()
    ['Code', 'Nom', 'Type de compte']
    """
    table = balances(ledger, at=at, period=period, consolidate=consolidate)
    head = (ledger.meta("head") or "").partition(":")[2] or "aucune écriture"
    info = {
        "Compte foncier": ledger.source,
        "Période": table.attrs["period"],
        "Arrêté au": table.attrs["at"] or "toutes les écritures",
        "Mesure": METRICS[table.attrs["metric"]],
        "Dernière année observée": table.attrs["last_year"] or "aucune",
        "Empreinte de la dernière écriture (SHA-256)": head,
    }
    return write_table(french_balance(table), path, info=info, sheet="Soldes")


@guard
def export_history(
    ledger: Book,
    account: str,
    path: str | os.PathLike[str],
    *,
    period: str | None = None,
) -> Path:
    """Write the history of an account (French headers) to CSV or XLSX; return the path.

    Parameters
    ----------
    ledger : Ledger
        The ledger.
    account : str
        Account code.
    path : path-like
        ``.csv`` or ``.xlsx``.
    period : str, optional
        Period (default: the ledger's).

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> from zan.ledger import example_ledger
    >>> path = export_history(example_ledger(), "96", pathlib.Path(tempfile.mkdtemp()) / "h.csv")
    >>> pd.read_csv(path, encoding="utf-8-sig")["Nature"].tolist()
    ['Allocation']
    """
    table = history(ledger, account, period=period)
    info = {"Compte foncier": ledger.source, "Compte": account, "Période": table.attrs["period"]}
    return write_table(french_history(table), path, info=info, sheet="Historique")


@guard
def balance_map(
    ledger: Book,
    *,
    column: str = "status",
    at: Any = None,
    period: str | None = None,
    territories: Any = None,
    **kwargs: Any,
) -> Any:
    """A map of each territory's status or remaining balance (:mod:`zan.maps`).

    Parameters
    ----------
    ledger : Ledger
        The ledger.
    column : str, default "status"
        ``"status"`` (:func:`zan.maps.status_map`) or a numeric column such as
        ``"remaining_ha"`` (:func:`zan.maps.choropleth`).
    at, period, territories
        As in :func:`map_frame`.
    **kwargs
        Passed to the map function.

    Returns
    -------
    zan.maps.ZanMap

    Examples
    --------
    >>> from zan.ledger import example_ledger
    >>> m = balance_map(example_ledger())
    >>> "Dans la trajectoire" in m.get_root().render()
    True
    """
    from .. import maps

    gdf = map_frame(ledger, at=at, period=period, territories=territories)
    when = gdf.attrs.get("at") or "dernières écritures"
    if column == "status":
        kwargs.setdefault("title", f"Compte foncier {gdf.attrs['period']} – situation au {when}")
        return maps.status_map(gdf, column="status", **kwargs)
    kwargs.setdefault("title", f"Compte foncier {gdf.attrs['period']} – solde au {when}")
    return maps.choropleth(gdf, column, **kwargs)
