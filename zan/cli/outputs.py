"""Output commands: ``zan report`` (HTML/PDF per territory) and ``zan export`` (CSV, XLSX, GIS)."""

from __future__ import annotations

import click

from .common import pdf_engine_option, scenario_arg, set_option, show_progress
from .group import main


@main.command("report")
@click.argument("scenario", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default="zan-rapports",
    show_default=True,
    help="Folder: index.html, synthese/ and one folder per territory.",
)
@click.option(
    "--ledger",
    type=click.Path(exists=True, dir_okay=False),
    help="Compte foncier (GeoPackage): balances and committed projects.",
)
@click.option(
    "--territories", default="all", show_default=True, help="'all' or codes, comma-separated."
)
@click.option(
    "--format", "formats", default="html,pdf", show_default=True, help="html, pdf or html,pdf."
)
@click.option("--level", help="Level reported (default: EPCI when present, else the last).")
@click.option(
    "--compare",
    "compare_with",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Other scenarios compared in the regional summary (repeatable).",
)
@click.option("--jobs", type=int, help="Parallel workers (default: the machine's cores).")
@click.option(
    "--template-dir",
    type=click.Path(exists=True, file_okay=False),
    help="Folder of Jinja2 templates overriding the shipped ones.",
)
@pdf_engine_option
@click.option("--quiet", is_flag=True, help="No progress bar.")
@set_option
@click.pass_context
def report_cmd(
    ctx,
    scenario,
    out,
    ledger,
    territories,
    formats,
    level,
    compare_with,
    jobs,
    template_dir,
    pdf_engine,
    quiet,
    overrides,
):
    """One report per territory (HTML and PDF, French), a regional summary and an index."""
    from ..reports import write_reports

    scenario = scenario_arg(scenario, overrides)
    compare_with = [scenario_arg(s, overrides) for s in compare_with]
    batch = write_reports(
        scenario,
        out,
        ledger=ledger,
        territories=territories,
        formats=[f.strip() for f in formats.split(",") if f.strip()],
        level=level,
        compare=list(compare_with),
        jobs=jobs,
        template_dir=template_dir,
        pdf_engine=pdf_engine,
        progress=show_progress(quiet),
    )
    click.echo(f"written: {batch.index}")
    for failure in batch.failures:
        click.secho(f"failed: {failure}", err=True, fg="red")
    if batch.failures:
        ctx.exit(1)


@main.command("export")
@click.argument("scenario", type=click.Path(exists=True, dir_okay=False))
@click.argument("out", type=click.Path(dir_okay=False))
@click.option("--level", help="Level exported (default: the allocation's last level).")
@click.option(
    "--decimal-comma", is_flag=True, help="Decimal comma in CSV, for French spreadsheets."
)
@click.option(
    "--compare",
    "compare_with",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Other scenarios added as a comparison view (repeatable).",
)
@set_option
def export_cmd(scenario, out, level, decimal_comma, compare_with, overrides):
    """Export an allocation as CSV (;, BOM), XLSX, GeoPackage or GeoParquet, by OUT's suffix."""
    from ..export import export_allocation
    from ..reports.build import comparison_table
    from ..scenario import run_scenario

    scenario = scenario_arg(scenario, overrides)
    compare_with = [scenario_arg(s, overrides) for s in compare_with]

    comparison = comparison_table([scenario, *compare_with], level=level) if compare_with else None
    path = export_allocation(
        run_scenario(scenario), out, level=level, decimal_comma=decimal_comma, comparison=comparison
    )
    click.echo(f"written: {path}")
