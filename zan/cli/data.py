"""Data commands: ``zan data download``, ``zan validate`` and ``zan demo``."""

from __future__ import annotations

import click

from .common import notes, print_table, show_progress
from .group import main


@main.command("demo")
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default="zan-demo",
    show_default=True,
    help="Folder for the tables and the map.",
)
def demo_cmd(out):
    """Run the main job on the embedded demo region (synthetic "Région Démo")."""
    from ..demo import run_demo

    result = run_demo(out)
    print_table(
        result.trajectory[["nom", "reference_ha", "allowed_ha", "consumed_since_2021_ha", "status"]]
    )
    click.echo("")
    for path in result.outputs:
        click.echo(f"written: {path}")


@main.group("data")
def data_group():
    """Official open data: fetch a region's files into a ready-to-use folder."""


@data_group.command("download")
@click.option("--region", help="INSEE région code, e.g. 32 (Hauts-de-France).")
@click.option("--departements", "--departement", help="Départements, comma-separated, e.g. 59,62.")
@click.option(
    "--out", type=click.Path(file_okay=False), help="Folder to build (default zan-region-<code>)."
)
@click.option("--no-consumption", is_flag=True, help="Skip the Cerema consumption file.")
@click.option(
    "--source",
    type=click.Choice(["file", "api"]),
    default="file",
    show_default=True,
    help="Consumption from the Cerema release file (data.gouv.fr) or the Cerema API.",
)
@click.option(
    "--vintage",
    help="Cerema release by the year of its end date, e.g. 2024 (default: the newest, 2025).",
)
@click.option(
    "--no-passage", is_flag=True, help="Do not fetch INSEE's table de passage (passage.csv)."
)
@click.option(
    "--cog", type=int, help="COG year of the boundaries, for the passage (default: this year)."
)
@click.option("--no-ocsge", is_flag=True, help="Skip IGN OCS GE.")
@click.option("--ocsge-vintage", help="OCS GE vintage, e.g. 2021 (default: the latest known).")
@click.option(
    "--ocsge-product",
    type=click.Choice(["occupation", "artificialisation"]),
    default="occupation",
    show_default=True,
)
@click.option(
    "--cadastre",
    help="Communes whose Etalab parcels to fetch (INSEE codes, comma-separated) or 'all'.",
)
@click.option(
    "--refresh", is_flag=True, help="Ask geo.api.gouv.fr and data.gouv.fr again (ignore the cache)."
)
@click.option("--quiet", is_flag=True, help="No progress bars.")
def data_download_cmd(
    region,
    departements,
    out,
    no_consumption,
    source,
    vintage,
    no_passage,
    cog,
    no_ocsge,
    ocsge_vintage,
    ocsge_product,
    cadastre,
    refresh,
    quiet,
):
    """Download a region's official data and write a scenario skeleton."""
    from ..download import Settings, download_region

    if not region and not departements:
        raise click.UsageError("give --region (e.g. 32) or --departements (e.g. 59,62)")
    result = download_region(
        region,
        departements=departements,
        out=out,
        consumption=not no_consumption,
        vintage=vintage,
        source=source,
        passage=not no_passage,
        passage_cog=cog,
        ocsge=not no_ocsge,
        ocsge_vintage=ocsge_vintage,
        ocsge_product=ocsge_product,
        cadastre=cadastre,
        refresh=refresh,
        settings=Settings.from_env(progress=show_progress(quiet)),
    )
    for path in (
        result.communes,
        result.membership,
        result.consumption,
        result.passage,
        *result.ocsge.values(),
        *result.parcels,
        result.scenario,
        result.sources,
    ):
        if path is not None:
            click.echo(f"written: {path}")
    notes(result.notes)


@main.command("validate")
@click.argument("paths", nargs=-1, required=True, type=click.Path(exists=True))
@click.option(
    "--lang",
    type=click.Choice(["fr", "en"]),
    default="fr",
    show_default=True,
    help="Language of the report.",
)
@click.option(
    "--kind",
    "kinds",
    multiple=True,
    metavar="PATH=KIND",
    help="Kind of a file that is not detected (communes, membership, consumption, ...).",
)
@click.option("--out", type=click.Path(dir_okay=False), help="Also write the problems as CSV.")
@click.pass_context
def validate_cmd(ctx, paths, lang, kinds, out):
    """Check input files, alone and together; list every problem with its fix."""
    from .._write import write_csv
    from ..validate import validate_paths

    mapping = {}
    for item in kinds:
        if "=" not in item:
            raise click.BadParameter(f"{item!r}: write PATH=KIND", param_hint="--kind")
        path, kind = item.rsplit("=", 1)
        mapping[path] = kind
    report = validate_paths(paths, kinds=mapping)
    click.echo(report.to_text(lang))
    if out:
        write_csv(report.to_frame(lang), out, index=False)
        click.echo(f"written: {out}")
    if not report.ok:
        ctx.exit(2)
