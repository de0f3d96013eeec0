"""Reports in French: one per territory (HTML and PDF), a regional summary, an index.

=====================================  ===============================================
:func:`write_reports`                  the batch behind ``zan report`` (parallel, progress
                                       bar, failures isolated, ``index.html``)
:func:`prepare_reports`                run a scenario and gather the report data once
:func:`territory_report`               one territory's report into a folder
:func:`regional_report`                the regional summary into a folder
:func:`territory_data`,                the figures of a report as plain values (for
:func:`regional_data`                  other templates or notebooks)
:func:`comparison_table`               envelopes of several scenarios side by side
:class:`PdfPrinter`, :func:`html_to_pdf`  HTML → PDF offline (Chromium or WeasyPrint)
:func:`environment`, :func:`copy_templates`  the Jinja2 templates, and a copy to restyle
=====================================  ===============================================

A territory's report shows its identity and communes; its ENAF consumption 2011-2020
by destination and by year; its consumption since 2021 and the trajectory to 2030
against its envelope; the envelope and how it was built (criteria, floor, cap,
rounding); its rank and reduction rate against the region; the garantie communale;
the compte foncier balance and committed projects when a ledger is given; a map
(interactive in HTML, static in PDF); the sources, vintages, scenario name and hash,
and the date. Exports of the tables are in :mod:`zan.export`.
"""

from __future__ import annotations

from .batch import ReportBatch, ReportResult, folder_name, render_batch, write_reports
from .build import (
    ReportContext,
    comparison_table,
    default_level,
    prepare_reports,
    regional_data,
    select_codes,
    territory_data,
)
from .pdf import PdfPrinter, available_engines, html_to_pdf
from .render import (
    FORMATS,
    copy_templates,
    environment,
    fr_ha,
    fr_number,
    fr_pct,
    regional_report,
    territory_report,
)

__all__ = [
    "FORMATS",
    "PdfPrinter",
    "ReportBatch",
    "ReportContext",
    "ReportResult",
    "available_engines",
    "comparison_table",
    "copy_templates",
    "default_level",
    "environment",
    "folder_name",
    "fr_ha",
    "fr_number",
    "fr_pct",
    "html_to_pdf",
    "prepare_reports",
    "regional_data",
    "regional_report",
    "render_batch",
    "select_codes",
    "territory_data",
    "territory_report",
    "write_reports",
]
