"""Land-cover commands: ``zan artif`` (OCS GE), ``zan parcels`` (cadastre), ``zan raster-stats``."""

from __future__ import annotations

import click

from .common import CRS_HELP, crs_arg, notes, show_progress, with_options, write_table
from .group import main

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
    click.option("--crs", help=CRS_HELP),
    click.option("--by", "level", default="commune", show_default=True, help="Territorial level."),
    click.option("--quiet", is_flag=True, help="No progress bars."),
]


@main.command("artif")
@click.argument("ocsge", type=click.Path(exists=True))
@click.argument("later", type=click.Path(exists=True), required=False)
@with_options(_territory_options)
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
    crs,
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
    from ..io._files import read_layer
    from ..io.ocsge import read_ocsge
    from ..measure.artificialisation import (
        Thresholds,
        artificialisation_change,
        artificialisation_stock,
    )
    from ..nomenclature import read_matrix
    from ..territory import Territories

    zones = Territories.from_files(
        territories, membership, code_column=code_column, crs=crs_arg(crs)
    )
    kwargs = dict(
        matrix=read_matrix(matrix) if matrix else None,
        thresholds=None if no_thresholds else Thresholds(),
        exempt_parks=read_layer(exempt_parks) if exempt_parks else None,
        exempt_solar=read_layer(exempt_solar) if exempt_solar else None,
    )
    before = read_ocsge(ocsge)
    if later:
        result = artificialisation_change(
            before, read_ocsge(later), zones, level=level, progress=show_progress(quiet), **kwargs
        )
    else:
        result = artificialisation_stock(
            before, zones, level=level, progress=show_progress(quiet), **kwargs
        )
        if by_class:
            write_table(result.by_couverture(), by_class)
    notes(result.notes)
    write_table(result.table, out)


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
@click.option(
    "--parcel-dir",
    type=click.Path(file_okay=False),
    help="With --scheduler: the workers write the per-parcel table there, one Parquet file per "
    "partition; only per-commune sums come back (for large runs).",
)
@click.option(
    "--parcel-geometry",
    is_flag=True,
    help="With --parcel-dir: write the parcels' geometry too (GeoParquet; slower).",
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
    parcel_dir,
    parcel_geometry,
    quiet,
    out,
):
    """ENAF and artificialised area of cadastral parcels, per parcel and per commune.

    With --scheduler, PARCELS is a partitioned GeoParquet (write_cache with partitions=)
    and --landcover may be a classified GeoParquet cache that the workers read themselves.
    """
    from ..io.cadastre import read_parcels
    from ..io.ocsge import read_ocsge
    from ..measure.artificialisation import classify
    from ..measure.parcels import enaf_by_commune, parcel_landcover
    from ..territory import Territories

    zones = (
        Territories.from_files(territories, membership, code_column=code_column)
        if territories
        else None
    )
    if parcel_dir and not scheduler:
        raise click.UsageError("--parcel-dir needs --scheduler (use --parcel-table otherwise)")
    if parcel_geometry and not parcel_dir:
        raise click.UsageError("--parcel-geometry needs --parcel-dir")
    if scheduler:
        from ..measure.distributed import classified_cache, parcel_landcover_distributed

        if len(parcels) != 1:
            raise click.UsageError("with --scheduler, give one partitioned GeoParquet of parcels")
        # a classified GeoParquet cache is read by the workers; anything else is read and
        # classified here, then sent once to each worker
        layer = landcover if classified_cache(landcover) else classify(read_ocsge(landcover)).layer
        table = parcel_landcover_distributed(
            parcels[0],
            layer,
            scheduler=None if scheduler == "local" else scheduler,
            n_workers=workers,
            progress=show_progress(quiet),
            out_dir=parcel_dir,
            gather=bool(parcel_table),  # otherwise only per-commune sums come back
            geometry=parcel_geometry,
        )
        if parcel_dir:
            click.echo(f"written: {parcel_dir}")
    else:
        lc = read_ocsge(landcover)
        table = parcel_landcover(read_parcels(list(parcels)), lc, progress=show_progress(quiet))
    if parcel_table:
        from .._write import write_csv

        write_csv(table, parcel_table)
        click.echo(f"written: {parcel_table}")
    write_table(enaf_by_commune(table, territories=zones, level=level), out)


@main.command("raster-stats")
@click.argument("raster", type=click.Path(exists=True, dir_okay=False))
@with_options(_territory_options)
@click.option(
    "--legend", help="Class table: 'corine', 'corine_grid' or a CSV (value, label, artificiel)."
)
@click.option(
    "--by-class", type=click.Path(dir_okay=False), help="Also write the area per class (CSV)."
)
@click.option("--out", type=click.Path(dir_okay=False), help="Write the table to this CSV file.")
def raster_stats_cmd(
    raster, territories, membership, code_column, crs, level, quiet, legend, by_class, out
):
    """Area of each raster class per territory, and the artificial share (e.g. Corine Land Cover)."""
    from ..measure.raster import raster_class_areas
    from ..territory import Territories

    zones = Territories.from_files(
        territories, membership, code_column=code_column, crs=crs_arg(crs)
    )
    stats = raster_class_areas(
        raster, zones, level=level, legend=legend, progress=show_progress(quiet)
    )
    notes(stats.notes)
    if by_class:
        write_table(stats.by_class, by_class)
    write_table(stats.table, out)
