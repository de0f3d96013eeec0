"""Measure commands: ``zan consumption`` and ``zan trajectory`` per territory."""

from __future__ import annotations

import click

from .common import CRS_HELP, LEVELS, crs_arg, notes, with_options, write_table
from .group import main


def _load_grouping(
    territories: str | None, membership: str | None, code_column: str | None, crs=None
):
    """Territories (with geometry) or a membership table, or None."""
    from ..io.territories import read_membership
    from ..territory import Territories

    if territories:
        return Territories.from_files(
            territories, membership, code_column=code_column, crs=crs_arg(crs)
        )
    if membership:
        return read_membership(membership, code_column=code_column)
    return None


def _load_consumption(file: str, passage: str | None, grouping):
    from ..io.cog import read_passage
    from ..io.consumption import read_consumption

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
    click.option("--crs", help=CRS_HELP),
    click.option(
        "--membership",
        type=click.Path(dir_okay=False),
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
        "--unplaced",
        type=click.Choice(["raise", "exclude"]),
        default="raise",
        show_default=True,
        help="Communes of the file that cannot be placed in the level (not in the territories "
        "or membership table, or without a territory of that level): error (raise), or leave "
        "them out and list them (exclude; also in <out>.sources.json).",
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
    from ..datasets import data_path
    from ..io.levels import read_level_table
    from ..levels import add_level, membership_with_level

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
    from ..levels import outside_code

    added = getattr(grouping, "membership", grouping)
    if added is None or level not in added.attrs.get("level_tables", {}):
        return
    members = grouping.assignment(level) if hasattr(grouping, "assignment") else added[level]
    n = int((members.astype(str) == outside_code(level)).sum())
    click.echo(
        f"{n} commune(s) outside every territory of level {level!r}: "
        + (f"counted in the row {outside_code(level)}" if n else "none")
    )


def _echo_flags(table, file: str, out: str | None) -> None:
    """Say which figures are lower bounds and which communes were excluded; record both
    in ``<out stem>.sources.json`` beside the written table."""
    from ..measure.flags import flag_sentences, write_flags

    lines = flag_sentences(table)
    for line in lines:
        click.echo(line)
    if out and lines:
        click.echo(f"written: {write_flags(table, file, out)}")


def _measure(
    measure,
    file,
    *,
    territories,
    membership,
    code_column,
    passage,
    out,
    level_tables,
    crs,
    **kwargs,
) -> None:
    """Load the grouping and the file, run one measure (``level``, ``missing``... passed
    on), print and write its table."""
    grouping = _load_grouping(territories, membership, code_column, crs)
    grouping = _add_levels(grouping, level_tables)
    conso = _load_consumption(file, passage, grouping)
    table = measure(conso, grouping, **kwargs)
    write_table(table, out)
    _echo_flags(table, file, out)
    _echo_unassigned(grouping, kwargs.get("level"))
    left_out, incomplete = table.attrs.get("left_out", ()), table.attrs.get("incomplete", ())
    unknown = table.attrs.get("unknown", ())
    if unknown:
        more = " ..." if len(unknown) > 20 else ""
        notes(
            [
                f"{len(unknown)} communes of unknown total left out (--missing ignore): "
                f"{', '.join(unknown[:20])}{more}"
            ]
        )
    if left_out:
        more = " ..." if len(left_out) > 20 else ""
        notes(
            [
                f"{len(left_out)} territories without data left out (--missing ignore): "
                f"{', '.join(left_out[:20])}{more}"
            ]
        )
    if incomplete:
        more = " ..." if len(incomplete) > 20 else ""
        notes(
            [
                f"{len(incomplete)} territories summed over the communes with data only "
                f"(--missing ignore): {', '.join(incomplete[:20])}{more}"
            ]
        )


@main.command("consumption")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option(
    "--period",
    default="2011-2020",
    show_default=True,
    help="Inclusive calendar years, e.g. 2011-2020 or 2022.",
)
@with_options(_grouping_options)
def consumption_cmd(file, period, **grouping):
    """ENAF consumption per territory over a period, in hectares, by destination.

    Destination columns are shown clipped at 0 (the Cerema's rounding residues of
    −1 or −2 m²); total_ha is exact.
    """
    from ..io.consumption import clip_destinations
    from ..measure.consumption import consumption

    def shown(*args, **kwargs):
        return clip_destinations(consumption(*args, **kwargs))

    _measure(shown, file, period=period, **grouping)


@main.command("trajectory")
@click.argument("file", type=click.Path(dir_okay=False))
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
@with_options(_grouping_options)
def trajectory_cmd(file, reduction, floor_ha, no_floor, **grouping):
    """Trajectory 2021-2030 per territory: allowed, consumed since 2021, projection, status.

    Allowed = max(reference × (1 − reduction), 1 ha) as in the State's tool; the
    column allowed_floor_applied says where the 1 ha floor applies.
    """
    from ..measure.consumption import trajectory

    floor = 0.0 if no_floor else floor_ha
    _measure(trajectory, file, reduction=reduction, floor_ha=floor, **grouping)
