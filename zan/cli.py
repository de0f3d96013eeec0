"""The ``zan`` command: a thin mirror of the library.

Each command parses its options, calls one or two library functions, and writes
their result. Errors raised by zan (:class:`zan.errors.ZanError`) are printed as
one line and exit with status 2; ``zan --debug ...`` shows the traceback instead.
"""

from __future__ import annotations

import sys

import click
import pandas as pd

from . import __version__
from .errors import ZanError

LEVELS = ["commune", "epci", "scot", "departement", "region"]


class _ZanGroup(click.Group):
    """Click group that turns zan's own errors into a clear message and exit status 2."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except ZanError as exc:
            if (ctx.obj or {}).get("debug"):
                raise
            click.secho(f"Error: {exc}", err=True, fg="red")
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
        help="Communes of the territories absent from the file: error, zero, or leave out.",
    ),
    click.option(
        "--out", type=click.Path(dir_okay=False), help="Write the table to this CSV file."
    ),
]


def _with_options(options):
    def decorate(f):
        for option in reversed(options):
            f = option(f)
        return f

    return decorate


def _measure(measure, file, territories, membership, code_column, passage, out, **kwargs) -> None:
    """Load the grouping and the file, run one measure, print and write its table."""
    grouping = _load_grouping(territories, membership, code_column)
    conso = _load_consumption(file, passage, grouping)
    _write_table(measure(conso, grouping, **kwargs), out)


@main.command("consumption")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--period",
    default="2011-2020",
    show_default=True,
    help="Inclusive calendar years, e.g. 2011-2020 or 2022.",
)
@_with_options(_grouping_options)
def consumption_cmd(
    file, period, level, territories, membership, code_column, passage, missing, out
):
    """ENAF consumption per territory over a period, in hectares, by destination."""
    from .measure.consumption import consumption

    _measure(
        consumption,
        file,
        territories,
        membership,
        code_column,
        passage,
        out,
        level=level,
        period=period,
        missing=missing,
    )


@main.command("trajectory")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--reduction",
    type=float,
    default=0.5,
    show_default=True,
    help="Reduction against 2011-2020 (0.5 = −50 %).",
)
@_with_options(_grouping_options)
def trajectory_cmd(
    file, reduction, level, territories, membership, code_column, passage, missing, out
):
    """Trajectory 2021-2030 per territory: allowed, consumed since 2021, projection, status."""
    from .measure.consumption import trajectory

    _measure(
        trajectory,
        file,
        territories,
        membership,
        code_column,
        passage,
        out,
        level=level,
        reduction=reduction,
        missing=missing,
    )


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
        click.echo(f"note: {note}", err=True)


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
def allocate_cmd(scenario, out, png):
    """Share the regional envelope across territories as a scenario file says."""
    from .allocate import write_allocation
    from .scenario import run_scenario

    alloc = run_scenario(scenario)
    click.echo(alloc.envelope.explain() if alloc.envelope is not None else "")
    _print_table(alloc.summary().set_index("terme"))
    click.echo("")
    _print_table(alloc.table[["nom", "reference_ha", "envelope_ha", "reduction_pct", "bound"]])
    for path in write_allocation(alloc, out, png=png):
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
    help="Territory layer (GeoPackage, GeoJSON, Shapefile, GeoParquet).",
)
@click.option(
    "--values",
    type=click.Path(exists=True, dir_okay=False),
    required=True,
    help="Table (CSV or XLSX) with a code column and the column to map.",
)
@click.option(
    "--column", required=True, help="Column to map (e.g. envelope_ha, reduction_pct, status)."
)
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
@click.option("--credit", default="Calcul zan", show_default=True, help="Source line.")
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
    """Render any table on territories as an offline interactive map."""
    from .maps import map_files

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
@click.option("--departements", help="Départements, comma-separated, e.g. 59,62.")
@click.option(
    "--out", type=click.Path(file_okay=False), help="Folder to build (default zan-region-<code>)."
)
@click.option("--no-consumption", is_flag=True, help="Skip the Cerema consumption file.")
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
def atlas_cmd(scenarios, out, level, title, conference):
    """Envelopes, reductions, trajectory status and scenario differences in one offline page."""
    from .maps import scenario_atlas

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
def compare_cmd(scenarios, out, baseline, level):
    """Compare scenarios on the same territories: table, indicators, winners and losers, map."""
    from .compare import compare, write_comparison

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
    help="Folder for intervalles.csv, indices.csv, sensibilite.xlsx, eventail.png, carte_largeur.html/.png.",
)
def sensitivity_cmd(scenario, samples, seed, out):
    """Vary weights and parameters ([sensitivity] section, else every weight ±50 %): intervals, Sobol indices."""
    from .sensitivity import sensitivity_analysis, write_sensitivity

    result = sensitivity_analysis(scenario, samples=samples, seed=seed)
    click.echo(f"{len(result.samples):,} evaluations in {result.seconds:.2f} s")
    _print_table(result.indices.set_index("label").round(3))
    for note in result.notes:
        click.echo(note)
    for path in write_sensitivity(result, out):
        click.echo(f"written: {path}")


@main.command("versions")
def versions_cmd():
    """Print the versions of zan and its dependencies."""
    from ._show_versions import show_versions

    show_versions()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
