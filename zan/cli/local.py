"""``zan local-report``: the rapport local de suivi de l'artificialisation (art. R. 2231-1 CGCT)."""

from __future__ import annotations

import click

from .common import pdf_engine_option, scenario_arg, set_option
from .group import main


@main.command("local-report")
@click.argument("scenario", type=click.Path(exists=True, dir_okay=False), required=False)
@click.option(
    "--consumption",
    type=click.Path(exists=True, dir_okay=False),
    help="Without a scenario: the Cerema consumption file.",
)
@click.option(
    "--territories",
    type=click.Path(exists=True, dir_okay=False),
    help="Commune layer (needed with --ocsge when there is no scenario).",
)
@click.option(
    "--membership",
    type=click.Path(exists=True, dir_okay=False),
    help="Commune → EPCI table (CSV); default: the consumption file's epciYY column.",
)
@click.option(
    "--level",
    type=click.Choice(["commune", "epci"]),
    default="commune",
    show_default=True,
    help="One report per commune or per EPCI.",
)
@click.option("--period", help="Calendar years, e.g. 2021-2023 (default: 2021 to the file's last).")
@click.option(
    "--ocsge", type=click.Path(exists=True), help="OCS GE, first vintage (items 2° and 3°)."
)
@click.option("--ocsge-later", type=click.Path(exists=True), help="OCS GE, later vintage.")
@click.option(
    "--objectives",
    type=click.Path(exists=True, dir_okay=False),
    help="Objectives table (CSV): code and objective_ha or reduction_pct.",
)
@click.option(
    "--ledger",
    type=click.Path(exists=True, dir_okay=False),
    help="Compte foncier: items 1° and 4° from its entries and balances.",
)
@click.option(
    "--renaturation",
    type=click.Path(exists=True, dir_okay=False),
    help="Renaturation table (CSV): code, year, renaturated_ha or renaturated_m2 (item 1°).",
)
@click.option(
    "--format",
    "formats",
    default="html",
    show_default=True,
    help="html, pdf, docx, comma-separated.",
)
@pdf_engine_option
@click.option("--jobs", type=int, help="Browsers printing PDFs in parallel (default: the cores).")
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default="zan-rapports-locaux",
    show_default=True,
    help="Folder: index.html, sources.json and one folder per territory.",
)
@set_option
def local_report_cmd(
    scenario,
    consumption,
    territories,
    membership,
    level,
    period,
    ocsge,
    ocsge_later,
    objectives,
    ledger,
    renaturation,
    formats,
    pdf_engine,
    jobs,
    out,
    overrides,
):
    """One rapport local de suivi de l'artificialisation per commune or EPCI (French)."""
    from ..reports.local import local_report

    if scenario is not None and consumption is not None:
        raise click.UsageError("give a SCENARIO or --consumption, not both")
    result = local_report(
        out,
        scenario=scenario_arg(scenario, overrides) if scenario else None,
        consumption=consumption,
        territories=territories,
        membership=membership,
        level=level,
        period=period,
        ocsge=ocsge,
        ocsge_later=ocsge_later,
        objectives=objectives,
        ledger=ledger,
        renaturation=renaturation,
        formats=formats,
        pdf_engine=pdf_engine,
        jobs=jobs,
    )
    click.echo(f"{len(result.reports)} reports written: {result.index}")
