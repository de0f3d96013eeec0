"""The rapport local de suivi de l'artificialisation as an editable Word file (python-docx).

Councils amend the report's text before the vote: this writes the figures of
:func:`zan.reports.local.local_report_data` as tables, in the order of article
R. 2231-1 CGCT, each with its source, vintage and method, and leaves the commentary
paragraphs empty for the authors. The charts of :mod:`zan.reports.local_charts` are
inserted as PNGs after the tables of items 1° and 4°, each with its caption. The bytes are reproducible: the core properties'
dates are fixed and every part of the archive carries the same date.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import zipfile
from pathlib import Path
from typing import Any

from .._write import atomic_path
from ..errors import MissingDependencyError
from ..formatting import fr_text
from .local_charts import annual_caption, chart_pngs, trajectory_caption

__all__ = ["COMMENTARY_TITLE", "write_docx"]

#: Heading of the section left for the council's text.
COMMENTARY_TITLE = "Commentaire : raisons des évolutions observées"
#: Number of empty paragraphs left under the commentary heading.
COMMENTARY_PARAGRAPHS = 3
_FIXED = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)


def _ha(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "—"
    text = fr_text(value)
    return f"+{text}" if signed and value > 0 else text


def _pct(value: float | None, decimals: int = 1) -> str:
    return "—" if value is None else f"{fr_text(value, decimals)} %"


def _table(doc: Any, header: tuple[str, str], rows: list[tuple[str, str]]) -> None:
    table = doc.add_table(rows=1, cols=2)
    table.style = "Table Grid"
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = header
    for label, value in rows:
        cells = table.add_row().cells
        cells[0].text, cells[1].text = label, value


def _item_rows(number: int, item: dict[str, Any]) -> list[tuple[str, str]]:
    if number == 1:
        rows = [(d["label"], _ha(d["ha"])) for d in item["destinations"]]
        rows.append(("Total", _ha(item["total_ha"])))
        rows.append(("Part de la superficie du territoire", _pct(item["share_pct"], 3)))
        return rows
    if number == 2:
        return [
            ("Surfaces artificialisées", _ha(item["artificialised_ha"])),
            ("Surfaces désartificialisées", _ha(item["desartificialised_ha"])),
            ("Solde (artificialisation nette)", _ha(item["balance_ha"], signed=True)),
        ]
    if number == 3:
        rows = []
        if item["before_ha"] is not None:
            rows.append(("Premier millésime", _ha(item["before_ha"])))
        rows.append(("Second millésime" if rows else "Millésime disponible", _ha(item["after_ha"])))
        if item["change_ha"] is not None:
            rows.append(("Évolution", _ha(item["change_ha"], signed=True)))
        return rows
    rows = []
    if item["reference_ha"] is not None:
        rows.append(("Consommation de référence 2011-2020", _ha(item["reference_ha"])))
    rows += [
        ("Consommation maximale permise 2021-2030", _ha(item["objective_ha"])),
        (f"Consommation {item['consumed_period']}", _ha(item["consumed_ha"])),
        *((label, _ha(value)) for label, value in item.get("extra_rows", ())),
        ("Reste à consommer jusqu'en 2030", _ha(item["remaining_ha"], signed=True)),
        ("Part de l'objectif déjà consommée", _pct(item["used_pct"])),
    ]
    return rows


def _source(item: dict[str, Any]) -> str:
    parts = [f"Source : {item['source']}"]
    if item.get("vintage"):
        parts.append(f"millésime : {item['vintage']}")
    if item.get("coverage_pct") is not None:
        parts.append(f"couverture du territoire : {_pct(item['coverage_pct'])}")
    parts.append(f"méthode : {item['method']}")
    return " ; ".join(parts) + "."


def _fixed_zip(data: bytes) -> bytes:
    """The same archive with one fixed date on every member (reproducible bytes)."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o644 << 16
            dst.writestr(fixed, src.read(info.filename))
    return out.getvalue()


def _picture(doc: Any, png: bytes | None, caption: str) -> None:
    from docx.shared import Cm

    if png:
        doc.add_picture(io.BytesIO(png), width=Cm(16))
        doc.add_paragraph(caption, style="Caption")


def write_docx(row: dict[str, Any], run: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write one territory's local report as a DOCX file, atomically.

    Parameters
    ----------
    row : dict
        One territory of :func:`zan.reports.local.local_report_data`.
    run : dict
        The run's facts returned with it (period, level).
    path : path-like
        The ``.docx`` file.

    Returns
    -------
    pathlib.Path

    Raises
    ------
    MissingDependencyError
        python-docx is not installed (``pip install 'zan[docx]'``).

    Examples
    --------
    >>> import tempfile, pathlib, docx
    >>> from zan.datasets import scenario_path
    >>> from zan.reports.local import local_report_data
    >>> rows, run = local_report_data(scenario=scenario_path("01_reduction_uniforme"),
    ...                               level="epci", period="2021-2022")
    >>> p = write_docx(rows[0], run, pathlib.Path(tempfile.mkdtemp()) / "r.docx")
    >>> docx.Document(p).paragraphs[0].text
    "Rapport local de suivi de l'artificialisation des sols"
    """
    try:
        import docx
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingDependencyError(
            "the DOCX report needs python-docx: pip install 'zan[docx]' (or python-docx)"
        ) from exc

    doc = docx.Document()
    doc.add_heading("Rapport local de suivi de l'artificialisation des sols", level=0)
    doc.add_paragraph(
        f"{run['level_label']} {row['nom']} ({row['code']}) — années civiles "
        f"{run['start']} à {run['end']}"
    )
    doc.add_paragraph(
        "Article L. 2231-1 du code général des collectivités territoriales ; contenu fixé par "
        "l'article R. 2231-1 du même code (items 1° à 4° ci-dessous, dans l'ordre du décret)."
    )
    items = row["items"]
    pngs = chart_pngs(row, run)
    for item in items:
        doc.add_heading(item["title"], level=1)
        if item["available"]:
            _table(doc, ("Indicateur", "ha"), _item_rows(item["number"], item))
            if item.get("note"):
                doc.add_paragraph(item["note"])
            doc.add_paragraph(_source(item))
            if item.get("partial"):
                doc.add_paragraph(
                    "Une partie des communes du territoire n'a pas de donnée de consommation dans "
                    "le fichier : le total ne porte que sur les communes renseignées."
                )
            if item["number"] == 4 and "trajectory" in pngs:
                _picture(doc, pngs["trajectory"], trajectory_caption(row))
            if item.get("vintage_note"):
                doc.add_paragraph(item["vintage_note"])
            cov = item.get("coverage_pct")
            if cov is not None and cov < 99.5:
                doc.add_paragraph(
                    f"L'OCS GE ne couvre que {_pct(cov)} du territoire : ces surfaces ne portent "
                    "que sur la partie couverte."
                )
        else:
            reason = item["reason"]
            if item.get("stock_ha") is not None:
                reason += f"{_ha(item['stock_ha'])} ha."
            doc.add_paragraph(reason)
            if item.get("vintage_note"):
                doc.add_paragraph(item["vintage_note"])
        if item["number"] == 1:
            if item.get("renaturation_ha") is not None:
                doc.add_paragraph(
                    "Renaturation de sols artificialisés en espaces naturels, agricoles et "
                    f"forestiers {run['start']}-{run['end']} : {_ha(item['renaturation_ha'])} ha. "
                    f"Source : {item['renaturation_source']}."
                )
            elif item.get("renaturation_note"):
                doc.add_paragraph(item["renaturation_note"])
            _picture(doc, pngs.get("annual"), annual_caption(row, run))
    doc.add_heading(COMMENTARY_TITLE, level=1)
    for _ in range(COMMENTARY_PARAGRAPHS):
        doc.add_paragraph("")
    props = doc.core_properties
    props.title = f"Rapport local de suivi de l'artificialisation — {row['nom']}"
    props.author = props.last_modified_by = "zan"
    props.created = props.modified = props.last_printed = _FIXED
    props.revision = 1
    buffer = io.BytesIO()
    doc.save(buffer)
    with atomic_path(path) as tmp:
        Path(tmp).write_bytes(_fixed_zip(buffer.getvalue()))
    return Path(path)
