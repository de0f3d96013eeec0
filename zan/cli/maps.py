"""Map commands: ``zan map`` (any table on territories), ``zan atlas`` (scenarios), ``zan simulator``."""

from __future__ import annotations

import click

from .common import LEVELS, scenario_arg, set_option
from .group import main


@main.command("map")
@click.option(
    "--territories",
    type=click.Path(exists=True, dir_okay=False),
    required=True,
    help="Territory layer (GeoPackage, GeoJSON, Shapefile, GeoParquet); the commune layer "
    "with --by.",
)
@click.option(
    "--membership",
    type=click.Path(exists=True, dir_okay=False),
    help="Commune → EPCI → SCoT table (CSV), to draw --by a level of it.",
)
@click.option(
    "--by",
    "level",
    help=f"Level to draw by dissolving the communes: {', '.join(LEVELS[1:])} "
    "or any level of --membership.",
)
@click.option(
    "--values",
    type=click.Path(exists=True, dir_okay=False),
    help="Table (CSV or XLSX) with a code column and the column to map; without it, the "
    "territories and their names.",
)
@click.option("--column", help="Column to map (e.g. envelope_ha, reduction_pct, status).")
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    default="carte.html",
    show_default=True,
    help="HTML page to write (offline).",
)
@click.option(
    "--code-column",
    help="Code column of the layer (detected among code, code_insee, INSEE_COM, siren...).",
)
@click.option("--values-code-column", help="Code column of the table (detected by default).")
@click.option("--layer", help="Layer name inside a GeoPackage.")
@click.option(
    "--png", type=click.Path(dir_okay=False), help="Also write a static map (PNG, PDF or SVG)."
)
@click.option("--title", help="Title shown on the map.")
@click.option("--credit", help="Source line (default: named after the data used).")
@click.option(
    "--scheme",
    type=click.Choice(["quantiles", "natural_breaks", "equal_interval", "user"]),
    default="quantiles",
    show_default=True,
    help="Classification scheme.",
)
@click.option(
    "-k", "--classes", "k", type=int, default=5, show_default=True, help="Number of classes."
)
@click.option(
    "--bins", help="Upper class bounds for --scheme user, comma-separated (e.g. 10,50,100)."
)
@click.option("--tiles", help="Background tiles when online (e.g. OpenStreetMap); none by default.")
@click.option(
    "--conference", is_flag=True, help="Projector mode: large legend and labels, fullscreen."
)
def map_cmd(
    territories,
    membership,
    level,
    values,
    column,
    out,
    code_column,
    values_code_column,
    layer,
    png,
    title,
    credit,
    scheme,
    k,
    bins,
    tiles,
    conference,
):
    """Render any table on territories (or communes dissolved --by a level) as an offline map."""
    from ..maps import map_files

    if values and not column:
        raise click.UsageError("--values needs --column: the column of the table to map")

    try:
        edges = [float(b) for b in bins.split(",")] if bins else None
    except ValueError:
        raise click.BadParameter(
            f"{bins!r}: write numbers separated by commas, e.g. 10,50,100", param_hint="--bins"
        ) from None
    written = map_files(
        territories,
        values,
        column,
        out,
        membership=membership,
        level=level,
        code_column=code_column,
        values_code_column=values_code_column,
        png=png,
        title=title,
        credit=credit,
        scheme=scheme,
        k=k,
        bins=edges,
        tiles=tiles,
        conference=conference,
        layer=layer,
    )
    for path in written:
        click.echo(f"written: {path}")


@main.command("atlas")
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    default="atlas.html",
    show_default=True,
    help="Offline HTML page with a menu of maps.",
)
@click.option("--level", help="Level mapped (default: the allocation's last level).")
@click.option("--title", default="Atlas ZAN", show_default=True, help="Page title.")
@click.option("--conference", is_flag=True, help="Projector mode: large legend, labels and menu.")
@set_option
def atlas_cmd(scenarios, out, level, title, conference, overrides):
    """Envelopes, reductions, trajectory status and scenario differences in one offline page."""
    from ..atlas import scenario_atlas

    scenarios = [scenario_arg(s, overrides) for s in scenarios]
    scenario_atlas(list(scenarios), out, level=level, conference=conference, title=title)
    click.echo(f"written: {out}")


@main.command("simulator")
@click.argument("scenario", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--out",
    type=click.Path(dir_okay=False),
    default="simulateur.html",
    show_default=True,
    help="Offline HTML page that recomputes the allocation as the settings move.",
)
@click.option(
    "--baseline",
    type=click.Path(exists=True, dir_okay=False),
    help="Scenario the differences are measured against (default: SCENARIO as given).",
)
@set_option
def simulator_cmd(scenario, out, baseline, overrides):
    """Live offline simulator: weights, reduction, reserve, garantie, floors, caps, rounding."""
    from ..maps.simulator import simulator_html

    path = simulator_html(scenario_arg(scenario, overrides), baseline=baseline, out=out)
    click.echo(f"written: {path}")
