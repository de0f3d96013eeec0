"""The ``zan`` command: a thin mirror of the library.

Each command parses its options, calls one or two library functions, and writes
their result. Errors raised by zan (:class:`zan.errors.ZanError`) are printed as
one line and exit with status 2; ``zan --debug ...`` shows the traceback instead.
"""

from __future__ import annotations

import sys
import warnings

import click
import pandas as pd

from . import __version__
from .errors import ZanError, ZanWarning, cli_text

LEVELS = ["commune", "epci", "scot", "departement", "region"]


class _ZanGroup(click.Group):
    """Click group that turns zan's own errors into a clear message and exit status 2,
    and prints zan's warnings (:class:`zan.errors.ZanWarning`) once each as
    ``warning: <message>`` on standard error."""

    def invoke(self, ctx: click.Context):
        seen: set[str] = set()
        default_show = warnings.showwarning

        def show(message, category, filename, lineno, file=None, line=None):
            if not issubclass(category, ZanWarning):
                return default_show(message, category, filename, lineno, file, line)
            if str(message) not in seen:
                seen.add(str(message))
                click.secho(f"warning: {message}", err=True, fg="yellow")

        with warnings.catch_warnings():
            warnings.simplefilter("always", ZanWarning)
            warnings.showwarning = show
            try:
                return super().invoke(ctx)
            except ZanError as exc:
                if (ctx.obj or {}).get("debug"):
                    raise
                click.secho(f"Error: {cli_text(str(exc))}", err=True, fg="red")
                click.echo("(run 'zan --debug ...' to see the traceback)", err=True)
                ctx.exit(2)


@click.group(cls=_ZanGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="zan")
@click.option("--debug", is_flag=True, help="Show the full traceback of errors.")
@click.pass_context
def main(ctx: click.Context, debug: bool) -> None:
    """zan: measure ENAF consumption and share the regional ZAN envelope."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


def _print_table(df: pd.DataFrame, *, max_rows: int = 25) -> None:
    with pd.option_context(
        "display.max_rows", max_rows, "display.width", 160, "display.float_format", "{:,.2f}".format
    ):
        click.echo(df.to_string(max_rows=max_rows))


def _load_grouping(territories: str | None, membership: str | None, code_column: str | None):
    """Territories (with geometry) or a membership table, or None."""
    from .io.territories import read_membership
    from .territory import Territories

    if territories:
        return Territories.from_files(territories, membership, code_column=code_column)
    if membership:
        return read_membership(membership, code_column=code_column)
    return None


def _load_consumption(file: str, passage: str | None, grouping):
    from .io.cog import read_passage
    from .io.consumption import read_consumption

    conso = read_consumption(file)
    if passage:
        target = (
            grouping.communes.index
            if hasattr(grouping, "communes")
            else (grouping.index if grouping is not None else None)
        )
        weights = grouping.communes["area_ha"] if hasattr(grouping, "communes") else None
        conso, _status = conso.align(
            read_passage(passage), target_codes=target, split_weights=weights
        )
    return conso


_grouping_options = [
    click.option(
        "--by",
        "level",
        default="commune",
        show_default=True,
        help=f"Territorial level: {', '.join(LEVELS)} (or any level of the membership table).",
    ),
    click.option(
        "--territories",
        type=click.Path(exists=True, dir_okay=False),
        help="Commune layer (GeoJSON, GeoPackage, Shapefile, GeoParquet).",
    ),
    click.option(
        "--membership",
        type=click.Path(exists=True, dir_okay=False),
        help="Commune → EPCI → SCoT table (CSV). Without it, --by epci/scot use the file's own columns.",
    ),
    click.option(
        "--code-column",
        help="Commune code column of the territories/membership (detected by default).",
    ),
    click.option(
        "--passage",
        type=click.Path(exists=True, dir_okay=False),
        help="Table de passage to align the file's communes on the territories' geography.",
    ),
    click.option(
        "--missing",
        type=click.Choice(["raise", "zero", "ignore"]),
        default="raise",
        show_default=True,
        help="Communes of the territories absent from the file: error (raise), count them as "
        "zero, or leave them out (ignore: territories without any data are not in the result).",
    ),
    click.option(
        "--out", type=click.Path(dir_okay=False), help="Write the table to this CSV file."
    ),
    click.option(
        "--level-table",
        "level_tables",
        nargs=3,
        multiple=True,
        metavar="NAME TERRITORIES MEMBERSHIP",
        help="Add a level (e.g. a SRADDET's receiving territories) from a territory table and "
        "a commune → territory table, then --by NAME; 'region:hdf/<file>' names a shipped "
        "table (zan.datasets.region_files). Communes outside every territory: row hors_NAME.",
    ),
]


def _add_levels(grouping, level_tables):
    """Add the ``--level-table`` levels to the territories or the membership table."""
    if not level_tables:
        return grouping
    from .datasets import data_path
    from .io.levels import read_level_table
    from .levels import add_level, membership_with_level

    if grouping is None:
        raise click.UsageError("--level-table needs --territories or --membership")
    for name, terr, members in level_tables:
        table = read_level_table(data_path(terr), data_path(members), name=name)
        if hasattr(grouping, "communes"):
            grouping = add_level(grouping, table)
        else:
            grouping = membership_with_level(grouping, table)
    return grouping


def _echo_unassigned(grouping, level) -> None:
    """One line on the communes outside every territory of an added level."""
    from .levels import outside_code

    added = getattr(grouping, "membership", grouping)
    if added is None or level not in added.attrs.get("level_tables", {}):
        return
    members = grouping.assignment(level) if hasattr(grouping, "assignment") else added[level]
    n = int((members.astype(str) == outside_code(level)).sum())
    click.echo(
        f"{n} commune(s) outside every territory of level {level!r}: "
        + (f"counted in the row {outside_code(level)}" if n else "none")
    )


def _with_options(options):
    def decorate(f):
        for option in reversed(options):
            f = option(f)
        return f

    return decorate


_SET_HELP = (
    "Override a scenario value, e.g. --set data.consumption=conso_com.csv "
    "--set envelope.reduction=0.55 (dotted key, repeatable; TOML values, else text; "
    "relative paths from the current folder). Checked like the file; the scenario hash "
    "changes (a different run)."
)


def _set_option(f):
    """``--set KEY=VALUE`` (repeatable) for every command that takes a scenario."""
    return click.option("overrides", "--set", multiple=True, metavar="KEY=VALUE", help=_SET_HELP)(f)


def _scenario(path, overrides):
    """The scenario file, or the loaded Scenario when ``--set`` overrides values."""
    if not overrides:
        return path
    from .scenario import load_scenario
    from .scenario_overrides import parse_overrides

    return load_scenario(path, overrides=parse_overrides(overrides))


def _measure(
    measure, file, *, territories, membership, code_column, passage, out, level_tables, **kwargs
) -> None:
    """Load the grouping and the file, run one measure (``level``, ``missing``... passed
    on), print and write its table."""
    grouping = _add_levels(_load_grouping(territories, membership, code_column), level_tables)
    conso = _load_consumption(file, passage, grouping)
    table = measure(conso, grouping, **kwargs)
    _write_table(table, out)
    _echo_unassigned(grouping, kwargs.get("level"))
    left_out, incomplete = table.attrs.get("left_out", ()), table.attrs.get("incomplete", ())
    if left_out:
        more = " ..." if len(left_out) > 20 else ""
        _notes(
            [
                f"{len(left_out)} territories without data left out (--missing ignore): "
                f"{', '.join(left_out[:20])}{more}"
            ]
        )
    if incomplete:
        more = " ..." if len(incomplete) > 20 else ""
        _notes(
            [
                f"{len(incomplete)} territories summed over the communes with data only "
                f"(--missing ignore): {', '.join(incomplete[:20])}{more}"
            ]
        )


@main.command("consumption")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--period",
    default="2011-2020",
    show_default=True,
    help="Inclusive calendar years, e.g. 2011-2020 or 2022.",
)
@_with_options(_grouping_options)
def consumption_cmd(file, period, **grouping):
    """ENAF consumption per territory over a period, in hectares, by destination.

    Destination columns are shown clipped at 0 (the Cerema's rounding residues of
    −1 or −2 m²); total_ha is exact.
    """
    from .io.consumption import clip_destinations
    from .measure.consumption import consumption

    def shown(*args, **kwargs):
        return clip_destinations(consumption(*args, **kwargs))

    _measure(shown, file, period=period, **grouping)


@main.command("trajectory")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--reduction",
    type=float,
    default=0.5,
    show_default=True,
    help="Reduction against 2011-2020 (0.5 = −50 %).",
)
@click.option(
    "--floor-ha",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    help="Smallest allowed consumption of a territory, in ha (the State's tool's 1 ha floor).",
)
@click.option(
    "--no-floor",
    is_flag=True,
    help="No floor: allowed = reference × (1 − reduction) (same as --floor-ha 0).",
)
@_with_options(_grouping_options)
def trajectory_cmd(file, reduction, floor_ha, no_floor, **grouping):
    """Trajectory 2021-2030 per territory: allowed, consumed since 2021, projection, status.

    Allowed = max(reference × (1 − reduction), 1 ha) as in the State's tool; the
    column allowed_floor_applied says where the 1 ha floor applies.
    """
    from .measure.consumption import trajectory

    floor = 0.0 if no_floor else floor_ha
    _measure(trajectory, file, reduction=reduction, floor_ha=floor, **grouping)


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
    from .demo import run_demo

    result = run_demo(out)
    _print_table(
        result.trajectory[["nom", "reference_ha", "allowed_ha", "consumed_since_2021_ha", "status"]]
    )
    click.echo("")
    for path in result.outputs:
        click.echo(f"written: {path}")


_territory_options = [
    click.option(
        "--territories",
        type=click.Path(exists=True, dir_okay=False),
        required=True,
        help="Commune layer (GeoJSON, GeoPackage, Shapefile, GeoParquet).",
    ),
    click.option(
        "--membership",
        type=click.Path(exists=True, dir_okay=False),
        help="Commune → EPCI → SCoT table (CSV), for --by above commune.",
    ),
    click.option(
        "--code-column", help="Commune code column of the territories (detected by default)."
    ),
    click.option("--by", "level", default="commune", show_default=True, help="Territorial level."),
    click.option("--quiet", is_flag=True, help="No progress bars."),
]


def _write_table(table: pd.DataFrame, out: str | None) -> None:
    from ._write import write_csv

    _print_table(table)
    if out:
        write_csv(table, out)
        click.echo(f"written: {out}")


def _notes(notes) -> None:
    for note in notes:
        click.echo(f"note: {cli_text(str(note))}", err=True)


@main.command("artif")
@click.argument("ocsge", type=click.Path(exists=True))
@click.argument("later", type=click.Path(exists=True), required=False)
@_with_options(_territory_options)
@click.option(
    "--matrix",
    type=click.Path(exists=True, dir_okay=False),
    help="Couverture × usage matrix (CSV); the décret 2023-1096 one by default.",
)
@click.option(
    "--no-thresholds", is_flag=True, help="Apply the matrix alone, without the size thresholds."
)
@click.option(
    "--exempt-parks",
    type=click.Path(exists=True),
    help="Layer of public parks to exempt (> 2,500 m²).",
)
@click.option(
    "--exempt-solar", type=click.Path(exists=True), help="Layer of ground solar farms to exempt."
)
@click.option(
    "--by-class",
    type=click.Path(dir_okay=False),
    help="Also write the area per couverture class (CSV).",
)
@click.option("--out", type=click.Path(dir_okay=False), help="Write the table to this CSV file.")
def artif_cmd(
    ocsge,
    later,
    territories,
    membership,
    code_column,
    level,
    quiet,
    matrix,
    no_thresholds,
    exempt_parks,
    exempt_solar,
    by_class,
    out,
):
    """Artificialised stock per territory (one OCS GE vintage), or the net change between two."""
    from .io._files import read_layer
    from .io.ocsge import read_ocsge
    from .measure.artificialisation import (
        Thresholds,
        artificialisation_change,
        artificialisation_stock,
    )
    from .nomenclature import read_matrix
    from .territory import Territories

    zones = Territories.from_files(territories, membership, code_column=code_column)
    kwargs = dict(
        matrix=read_matrix(matrix) if matrix else None,
        thresholds=None if no_thresholds else Thresholds(),
        exempt_parks=read_layer(exempt_parks) if exempt_parks else None,
        exempt_solar=read_layer(exempt_solar) if exempt_solar else None,
    )
    before = read_ocsge(ocsge)
    if later:
        result = artificialisation_change(
            before, read_ocsge(later), zones, level=level, progress=not quiet, **kwargs
        )
    else:
        result = artificialisation_stock(before, zones, level=level, progress=not quiet, **kwargs)
        if by_class:
            _write_table(result.by_couverture(), by_class)
    _notes(result.notes)
    _write_table(result.table, out)


@main.command("parcels")
@click.argument("parcels", nargs=-1, required=True, type=click.Path(exists=True))
@click.option("--landcover", type=click.Path(exists=True), required=True, help="OCS GE layer.")
@click.option(
    "--territories",
    type=click.Path(exists=True, dir_okay=False),
    help="Commune layer, to list communes without parcels and sum above commune level.",
)
@click.option(
    "--membership", type=click.Path(exists=True, dir_okay=False), help="Membership table (CSV)."
)
@click.option("--code-column", help="Commune code column of the territories (detected by default).")
@click.option("--by", "level", default="commune", show_default=True, help="Territorial level.")
@click.option(
    "--parcel-table",
    type=click.Path(dir_okay=False),
    help="Also write the per-parcel table (artificialised and ENAF m² and share).",
)
@click.option(
    "--scheduler",
    help="Run on dask: 'local' for a LocalCluster, or tcp://host:port of a cluster "
    "(PARCELS must then be a partitioned GeoParquet).",
)
@click.option(
    "--workers", type=int, default=2, show_default=True, help="Workers of the local dask cluster."
)
@click.option("--quiet", is_flag=True, help="No progress bars.")
@click.option(
    "--out", type=click.Path(dir_okay=False), help="Write the per-commune table to this CSV file."
)
def parcels_cmd(
    parcels,
    landcover,
    territories,
    membership,
    code_column,
    level,
    parcel_table,
    scheduler,
    workers,
    quiet,
    out,
):
    """ENAF and artificialised area of cadastral parcels, per parcel and per commune."""
    from .io.cadastre import read_parcels
    from .io.ocsge import read_ocsge
    from .measure.artificialisation import classify
    from .measure.parcels import enaf_by_commune, parcel_landcover
    from .territory import Territories

    zones = (
        Territories.from_files(territories, membership, code_column=code_column)
        if territories
        else None
    )
    lc = read_ocsge(landcover)
    if scheduler:
        from .measure.distributed import parcel_landcover_distributed

        if len(parcels) != 1:
            raise click.UsageError("with --scheduler, give one partitioned GeoParquet of parcels")
        table = parcel_landcover_distributed(
            parcels[0],
            classify(lc).layer,
            scheduler=None if scheduler == "local" else scheduler,
            n_workers=workers,
            progress=not quiet,
        )
    else:
        table = parcel_landcover(read_parcels(list(parcels)), lc, progress=not quiet)
    if parcel_table:
        from ._write import write_csv

        write_csv(table, parcel_table)
        click.echo(f"written: {parcel_table}")
    _write_table(enaf_by_commune(table, territories=zones, level=level), out)


@main.command("raster-stats")
@click.argument("raster", type=click.Path(exists=True, dir_okay=False))
@_with_options(_territory_options)
@click.option(
    "--legend", help="Class table: 'corine', 'corine_grid' or a CSV (value, label, artificiel)."
)
@click.option(
    "--by-class", type=click.Path(dir_okay=False), help="Also write the area per class (CSV)."
)
@click.option("--out", type=click.Path(dir_okay=False), help="Write the table to this CSV file.")
def raster_stats_cmd(
    raster, territories, membership, code_column, level, quiet, legend, by_class, out
):
    """Area of each raster class per territory, and the artificial share (e.g. Corine Land Cover)."""
    from .measure.raster import raster_class_areas
    from .territory import Territories

    zones = Territories.from_files(territories, membership, code_column=code_column)
    stats = raster_class_areas(raster, zones, level=level, legend=legend, progress=not quiet)
    _notes(stats.notes)
    if by_class:
        _write_table(stats.by_class, by_class)
    _write_table(stats.table, out)


@main.command("allocate")
@click.argument("scenario", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default="zan-allocation",
    show_default=True,
    help="Folder for allocation.csv, allocation.gpkg and carte.html.",
)
@click.option("--png", is_flag=True, help="Also write a static map (carte.png) for reports.")
@_set_option
def allocate_cmd(scenario, out, png, overrides):
    """Share the regional envelope across territories as a scenario file says."""
    from .allocate import write_allocation
    from .scenario import run_scenario, scenario_inputs
    from .scenario_levels import envelope_comparison

    scenario = _scenario(scenario, overrides)
    alloc = run_scenario(scenario)
    click.echo(alloc.envelope.explain() if alloc.envelope is not None else "")
    _print_table(alloc.summary().set_index("terme"))
    click.echo("")
    _print_table(alloc.table[["nom", "reference_ha", "envelope_ha", "reduction_pct", "bound"]])
    if alloc.unassigned is not None:  # an added level: envelopes side by side, outsiders listed
        side_by_side = envelope_comparison(alloc)
        click.echo(side_by_side)
        _notes([n for n in alloc.notes if n != side_by_side])
    for path in write_allocation(alloc, out, png=png, inputs=scenario_inputs(scenario)):
        click.echo(f"written: {path}")


@main.command("schema")
def schema_cmd():
    """Print the JSON Schema of scenario files (for editor completion)."""
    import json

    from .scenario import scenario_schema

    click.echo(json.dumps(scenario_schema(), indent=2, ensure_ascii=False))


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
    from .maps import map_files

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


@main.group("data")
def data_group():
    """Official open data: fetch a region's files into a ready-to-use folder."""


@data_group.command("download")
@click.option("--region", help="INSEE région code, e.g. 32 (Hauts-de-France).")
@click.option(
    "--departements", "--departement", help="Départements, comma-separated, e.g. 59,62."
)
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
    from .download import Settings, download_region

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
        settings=Settings.from_env(progress=not quiet),
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
    _notes(result.notes)


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
    from ._write import write_csv
    from .validate import validate_paths

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
@_set_option
def atlas_cmd(scenarios, out, level, title, conference, overrides):
    """Envelopes, reductions, trajectory status and scenario differences in one offline page."""
    from .maps import scenario_atlas

    scenarios = [_scenario(s, overrides) for s in scenarios]
    scenario_atlas(list(scenarios), out, level=level, conference=conference, title=title)
    click.echo(f"written: {out}")


@main.command("compare")
@click.argument("scenarios", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default="zan-comparaison",
    show_default=True,
    help="Folder for comparaison.csv/.xlsx, indicateurs.csv, gagnants_perdants.csv, carte_comparaison.html.",
)
@click.option("--baseline", help="Name of the reference scenario (default: the first file).")
@click.option(
    "--level", help="Level compared (e.g. epci to compare a cascade with single-level scenarios)."
)
@_set_option
def compare_cmd(scenarios, out, baseline, level, overrides):
    """Compare scenarios on the same territories: table, indicators, winners and losers, map."""
    from .compare import compare, write_comparison

    scenarios = [_scenario(s, overrides) for s in scenarios]
    comparison = compare(list(scenarios), baseline=baseline, level=level)
    ind = comparison.indicators()
    ind.columns = [comparison.indicator_labels()[c] for c in ind.columns]
    _print_table(ind.T.round(2))
    for path in write_comparison(comparison, out):
        click.echo(f"written: {path}")


@main.command("sensitivity")
@click.argument("scenario", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--samples",
    type=int,
    help="Model evaluations (default: the [sensitivity] section's, else 4096).",
)
@click.option("--seed", type=int, help="Random seed (default: the section's, else 2154).")
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default="zan-sensibilite",
    show_default=True,
    help="Folder for intervalles.csv, indices.csv, sensibilite.xlsx, eventail.png, carte_largeur.html.",
)
@click.option(
    "--png", is_flag=True, help="Also write a static map (carte_largeur.png) for reports."
)
@_set_option
def sensitivity_cmd(scenario, samples, seed, out, png, overrides):
    """Vary weights and parameters ([sensitivity] section, else every weight ±50 %): intervals, Sobol indices."""
    from .sensitivity import sensitivity_analysis, write_sensitivity

    scenario = _scenario(scenario, overrides)
    result = sensitivity_analysis(scenario, samples=samples, seed=seed, prepare_map=True)
    click.echo(f"{len(result.samples):,} evaluations in {result.seconds:.2f} s")
    _print_table(result.indices.set_index("label").round(3))
    for note in result.notes:
        click.echo(note)
    for path in write_sensitivity(result, out, png=png):
        click.echo(f"written: {path}")


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
@click.option(
    "--pdf-engine",
    type=click.Choice(["auto", "playwright", "chromium", "weasyprint"]),
    default="auto",
    show_default=True,
    help="How PDFs are printed.",
)
@click.option("--quiet", is_flag=True, help="No progress bar.")
@_set_option
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
    from .reports import write_reports

    scenario = _scenario(scenario, overrides)
    compare_with = [_scenario(s, overrides) for s in compare_with]
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
        progress=not quiet,
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
@_set_option
def export_cmd(scenario, out, level, decimal_comma, compare_with, overrides):
    """Export an allocation as CSV (;, BOM), XLSX, GeoPackage or GeoParquet, by OUT's suffix."""
    from .export import export_allocation
    from .reports.build import comparison_table
    from .scenario import run_scenario

    scenario = _scenario(scenario, overrides)
    compare_with = [_scenario(s, overrides) for s in compare_with]

    comparison = comparison_table([scenario, *compare_with], level=level) if compare_with else None
    path = export_allocation(
        run_scenario(scenario), out, level=level, decimal_comma=decimal_comma, comparison=comparison
    )
    click.echo(f"written: {path}")


@main.group("ledger")
def ledger_group():
    """The compte foncier régional: envelopes, consumption, projects, grants, transfers."""


_author = click.option("--author", help="Who records the entry.")
_date = click.option("--date", help="Date of effect (YYYY-MM-DD; today by default).")
_justification = click.option(
    "--justification", default="", help="E.g. the deliberation reference."
)


def _open_ledger(path):
    from .ledger import Ledger

    return Ledger(path)


@ledger_group.command("init")
@click.argument("ledger", type=click.Path(dir_okay=False))
@click.option(
    "--scenario",
    type=click.Path(exists=True, dir_okay=False),
    required=True,
    help="Scenario whose allocation credits the accounts.",
)
@click.option("--no-garantie-pools", is_flag=True, help="No garantie communale pool accounts.")
@click.option("--force", is_flag=True, help="Replace an existing ledger file.")
@_author
@_justification
@_set_option
def ledger_init_cmd(ledger, scenario, no_garantie_pools, force, author, justification, overrides):
    """Create a ledger from a scenario's allocation."""
    from .ledger import init_ledger

    init_ledger(
        ledger,
        _scenario(scenario, overrides),
        author=author,
        justification=justification,
        garantie_pools=not no_garantie_pools,
        overwrite=force,
    )
    click.echo(f"written: {ledger}")


@ledger_group.command("allocate")
@click.argument("ledger", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--scenario",
    type=click.Path(exists=True, dir_okay=False),
    required=True,
    help="Scenario whose allocation credits the accounts for the period.",
)
@click.option("--period", required=True, help="Period credited (2031-2040, 2041-2050).")
@click.option("--justification", required=True, help="E.g. the SRADDET deliberation.")
@click.option("--no-garantie-pools", is_flag=True, help="No garantie communale pool accounts.")
@_author
@_set_option
def ledger_allocate_cmd(
    ledger, scenario, period, justification, no_garantie_pools, author, overrides
):
    """Record a scenario's allocation for a further period (recorded once per period)."""
    from .ledger import allocate_period

    op = allocate_period(
        ledger,
        _scenario(scenario, overrides),
        period=period,
        justification=justification,
        author=author,
        garantie_pools=not no_garantie_pools,
    )
    click.echo(f"allocation {period} recorded (operation {op})")


def _import_options(default_code: str) -> list:
    """Options shared by the ledger's imports (passage, code column, older vintages, who, why)."""
    return [
        click.option(
            "--passage",
            type=click.Path(exists=True, dir_okay=False),
            help="Table de passage of the file's COG.",
        ),
        click.option(
            "--code-column", help=f"Commune code column of the file ({default_code} by default)."
        ),
        click.option(
            "--allow-older", is_flag=True, help="Accept a vintage older than one already imported."
        ),
        _author,
        _justification,
    ]


@ledger_group.command("import-consumption")
@click.argument("ledger", type=click.Path(exists=True, dir_okay=False))
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@_with_options(_import_options("idcom"))
def ledger_import_cmd(ledger, file, passage, code_column, allow_older, author, justification):
    """Import a Cerema vintage (idempotent; revisions recorded as adjustments)."""
    report = _open_ledger(ledger).import_consumption(
        file,
        passage=passage,
        code_column=code_column,
        author=author,
        justification=justification,
        allow_older=allow_older,
    )
    click.echo(str(report))


@ledger_group.command("import-artificialisation")
@click.argument("ledger", type=click.Path(exists=True, dir_okay=False))
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--vintage", help="Name of the release, shown in the entries (e.g. 'OCS GE 2034').")
@click.option("--year", type=int, help="Year of a table without a year column.")
@_with_options(_import_options("code"))
def ledger_import_artif_cmd(
    ledger, file, vintage, year, passage, code_column, allow_older, author, justification
):
    """Import net artificialisation per commune and year (from 2031; idempotent, revisions)."""
    report = _open_ledger(ledger).import_artificialisation(
        file,
        vintage=vintage,
        year=year,
        passage=passage,
        code_column=code_column,
        author=author,
        justification=justification,
        allow_older=allow_older,
    )
    click.echo(str(report))


@ledger_group.group("project")
def ledger_project_group():
    """Committed projects: add, realise, abandon."""


@ledger_project_group.command("add")
@click.argument("ledger", type=click.Path(exists=True, dir_okay=False))
@click.option("--territory", required=True, help="Territory code of the account.")
@click.option("--parcels", help="Cadastral references, comma-separated (e.g. 59350000AB0123).")
@click.option(
    "--geometry", type=click.Path(exists=True, dir_okay=False), help="Footprint layer (polygon)."
)
@click.option("--label", required=True, help="Name of the project.")
@click.option(
    "--cadastre", multiple=True, type=click.Path(exists=True), help="Parcel files (repeatable)."
)
@click.option(
    "--ocsge", type=click.Path(exists=True), help="OCS GE layer to measure the ENAF area."
)
@click.option("--enaf-ha", type=float, help="ENAF area given directly, in ha.")
@click.option("--period", help="Period (2021-2030, 2031-2040, 2041-2050).")
@_date
@_author
@_justification
def ledger_project_add_cmd(
    ledger,
    territory,
    parcels,
    geometry,
    label,
    cadastre,
    ocsge,
    enaf_ha,
    period,
    date,
    author,
    justification,
):
    """Commit a project by cadastral references or a polygon; its ENAF area is measured."""
    if bool(parcels) == bool(geometry):
        raise click.UsageError("give either --parcels or --geometry")
    project = _open_ledger(ledger).add_project(
        territory,
        label=label,
        parcels=parcels,
        geometry=geometry,
        cadastre=list(cadastre) or None,
        landcover=ocsge,
        enaf_ha=enaf_ha,
        justification=justification,
        date=date,
        period=period,
        author=author,
    )
    click.echo(f"project {project} recorded")


def _close_project(ledger, project, action, date, author, justification):
    book = _open_ledger(ledger)
    method = book.realise_project if action == "realise" else book.abandon_project
    method(project, justification=justification, date=date, author=author)
    click.echo(f"project {project}: {action}d")


@ledger_project_group.command("realise")
@click.argument("ledger", type=click.Path(exists=True, dir_okay=False))
@click.argument("project", type=int)
@_date
@_author
@_justification
def ledger_project_realise_cmd(ledger, project, date, author, justification):
    """Mark a project realised (its commitment is released)."""
    _close_project(ledger, project, "realise", date, author, justification)


@ledger_project_group.command("abandon")
@click.argument("ledger", type=click.Path(exists=True, dir_okay=False))
@click.argument("project", type=int)
@_date
@_author
@_justification
def ledger_project_abandon_cmd(ledger, project, date, author, justification):
    """Mark a project abandoned (its commitment returns to the account)."""
    _close_project(ledger, project, "abandon", date, author, justification)


@ledger_group.command("grant")
@click.argument("ledger", type=click.Path(exists=True, dir_okay=False))
@click.argument("territory")
@click.argument("ha", type=float)
@click.option("--justification", required=True, help="E.g. the deliberation granting it.")
@click.option("--label", help="Label of the entry.")
@click.option("--project", type=int, help="Project it is granted for.")
@click.option("--allow-overdraft", is_flag=True, help="Allow the reserve to go below zero.")
@_date
@_author
def ledger_grant_cmd(
    ledger, territory, ha, justification, label, project, allow_overdraft, date, author
):
    """Grant hectares from the regional reserve to a territory."""
    _open_ledger(ledger).grant(
        territory,
        ha,
        justification=justification,
        label=label,
        project=project,
        date=date,
        author=author,
        allow_overdraft=allow_overdraft,
    )
    click.echo(f"granted {ha} ha to {territory}")


@ledger_group.command("transfer")
@click.argument("ledger", type=click.Path(exists=True, dir_okay=False))
@click.argument("from_account")
@click.argument("to_account")
@click.argument("ha", type=float)
@click.option("--justification", required=True, help="The agreement of both territories.")
@click.option("--label", help="Label of the entry.")
@click.option("--period", help="Period (2021-2030 by default).")
@click.option("--allow-overdraft", is_flag=True, help="Allow the giving account to go below zero.")
@_date
@_author
def ledger_transfer_cmd(
    ledger,
    from_account,
    to_account,
    ha,
    justification,
    label,
    period,
    allow_overdraft,
    date,
    author,
):
    """Transfer (pool) hectares between two territories."""
    _open_ledger(ledger).transfer(
        from_account,
        to_account,
        ha,
        justification=justification,
        label=label,
        date=date,
        period=period,
        author=author,
        allow_overdraft=allow_overdraft,
    )
    click.echo(f"transferred {ha} ha from {from_account} to {to_account}")


@ledger_group.command("pene")
@click.argument("ledger", type=click.Path(exists=True, dir_okay=False))
@click.argument("ha", type=float)
@click.option("--label", required=True, help="The national project.")
@click.option(
    "--territory", help="Territory where it lies (its consumption is counted against the forfait)."
)
@click.option("--year", type=int, help="Year of the consumption.")
@_date
@_author
@_justification
def ledger_pene_cmd(ledger, ha, label, territory, year, date, author, justification):
    """Record a national project's consumption against the PENE forfait."""
    _open_ledger(ledger).record_pene(
        ha,
        label=label,
        territory=territory,
        year=year,
        date=date,
        author=author,
        justification=justification,
    )
    click.echo(f"recorded {ha} ha against the PENE forfait")


@ledger_group.command("reverse")
@click.argument("ledger", type=click.Path(exists=True, dir_okay=False))
@click.argument("entry", type=int)
@click.option("--justification", required=True, help="Why the entry is reversed.")
@_date
@_author
def ledger_reverse_cmd(ledger, entry, justification, date, author):
    """Correct a mistake by reversing an entry (entries are never edited)."""
    _open_ledger(ledger).reverse(entry, justification=justification, date=date, author=author)
    click.echo(f"entry {entry} reversed")


@ledger_group.command("balance")
@click.argument("ledger", type=click.Path(exists=True, dir_okay=False))
@click.option("--at", help="Date of the balance (YYYY-MM-DD; today by default).")
@click.option("--period", help="Period (2021-2030 by default).")
@click.option(
    "--pools", is_flag=True, help="Show garantie communale pools as accounts of their own."
)
@click.option("--out", type=click.Path(dir_okay=False), help="Write the table (CSV or XLSX).")
def ledger_balance_cmd(ledger, at, period, pools, out):
    """Balances: envelope, consumed, committed, remaining, pace, projection, status."""
    from .ledger import export_balance, french_balance

    book = _open_ledger(ledger)
    _print_table(french_balance(book.balance(at, period=period, consolidate=not pools)))
    if out:
        click.echo(
            f"written: {export_balance(book, out, at=at, period=period, consolidate=not pools)}"
        )


@ledger_group.command("history")
@click.argument("ledger", type=click.Path(exists=True, dir_okay=False))
@click.argument("code")
@click.option("--period", help="Period (2021-2030 by default).")
@click.option("--out", type=click.Path(dir_okay=False), help="Write the history (CSV or XLSX).")
def ledger_history_cmd(ledger, code, period, out):
    """The entries of one account, in order."""
    from .ledger import export_history, french_history

    book = _open_ledger(ledger)
    _print_table(french_history(book.history(code, period=period)), max_rows=200)
    if out:
        click.echo(f"written: {export_history(book, code, out, period=period)}")


@ledger_group.command("map")
@click.argument("ledger", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--column", type=click.Choice(["status", "remaining_ha"]), default="status", show_default=True
)
@click.option("--at", help="Date of the balance (YYYY-MM-DD).")
@click.option("--period", help="Period (2021-2030 by default).")
@click.option(
    "--out", type=click.Path(dir_okay=False), default="carte_compte.html", show_default=True
)
def ledger_map_cmd(ledger, column, at, period, out):
    """Map of each territory's status or remaining balance (offline HTML)."""
    from .ledger import balance_map
    from .maps import save

    book = _open_ledger(ledger)
    click.echo(f"written: {save(balance_map(book, column=column, at=at, period=period), out)}")


@ledger_group.command("verify")
@click.argument("ledger", type=click.Path(exists=True, dir_okay=False))
@click.option("--expected-head", help="A head hash published earlier: detects a rewritten chain.")
@click.pass_context
def ledger_verify_cmd(ctx, ledger, expected_head):
    """Re-check every invariant and the SHA-256 chain of entries; report tampering."""
    report = _open_ledger(ledger).verify(expected_head=expected_head)
    click.echo(str(report))
    if not report.ok:
        ctx.exit(2)


@main.command("versions")
def versions_cmd():
    """Print the versions of zan and its dependencies."""
    from ._show_versions import show_versions

    show_versions()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
