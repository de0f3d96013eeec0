"""Options and helpers shared by the commands: tables, notes, ``--set``, progress bars.

Nothing here imports pandas or the library at module level: ``zan --help`` stays fast.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from ..errors import cli_text

if TYPE_CHECKING:
    import pandas as pd

__all__ = [
    "CRS_HELP",
    "LEVELS",
    "SET_HELP",
    "crs_arg",
    "notes",
    "print_table",
    "scenario_arg",
    "set_option",
    "show_progress",
    "table_cell",
    "with_options",
    "write_table",
]

LEVELS = ["commune", "epci", "scot", "departement", "region"]


#: Words that mark a column of years or entry numbers (printed without separators: 2021).
_YEAR_WORDS = ("année", "annee", "year", "millésime", "millesime", "n°")


def table_cell(value, *, year: bool = False) -> str:
    """One cell of a console table, in French: integers as integers, 2 decimals otherwise.

    Numbers follow :func:`zan.formatting.fr_text` (space between thousands, decimal
    comma, ``—`` when missing); a year is printed as it is written (``2021``).

    Examples
    --------
    >>> table_cell(2281.964), table_cell(3), table_cell(12000), table_cell(None)
    ('2 281,96', '3', '12 000', '—')
    >>> table_cell(2021.0, year=True), table_cell(float("nan"), year=True), table_cell("Hauhem")
    ('2021', '—', 'Hauhem')
    """
    import numbers

    import pandas as pd

    from ..formatting import fr_text

    if value is None or (pd.api.types.is_scalar(value) and pd.isna(value)):
        return "—"
    if isinstance(value, bool) or not isinstance(value, numbers.Number):
        return str(value)
    if year and float(value).is_integer():
        return str(int(value))
    if isinstance(value, numbers.Integral):
        return fr_text(int(value), 0)
    return fr_text(float(value), 2)


def print_table(df: pd.DataFrame, *, max_rows: int = 25) -> None:
    """Print a table on standard output in one French format, 25 rows at most.

    Every number goes through :func:`table_cell`: decimal comma and spaces between
    thousands, integers without decimals, years and entry numbers (columns whose header
    says *année*, *year*, *millésime* or *n°*) without separators, ``—`` for a missing value.
    """
    import pandas as pd

    def column(name, values: pd.Series) -> pd.Series:
        year = any(word in str(name).lower() for word in _YEAR_WORDS)
        return values.map(lambda v: table_cell(v, year=year)).astype(object)

    # only the rows printed are formatted (the first and last max_rows at most): a
    # national table of 35,000 communes prints 24 of them
    shown = df
    if max_rows and len(df) > 2 * max_rows:
        shown = pd.concat([df.iloc[:max_rows], df.iloc[-max_rows:]])
    text = pd.DataFrame(
        {i: column(name, shown.iloc[:, i]) for i, name in enumerate(df.columns)},
        index=shown.index,
    )
    if shown is not df:  # the hidden rows, empty, keep pandas' "..." and its row choice
        hidden = pd.DataFrame("", index=df.index[max_rows:-max_rows], columns=text.columns)
        text = pd.concat([text.iloc[:max_rows], hidden, text.iloc[max_rows:]])
    text.columns = df.columns
    with pd.option_context("display.max_rows", max_rows, "display.width", 160):
        click.echo(text.to_string(max_rows=max_rows))


def with_options(options):
    """Decorate a command with a list of ``click.option`` decorators, in their order."""

    def decorate(f):
        for option in reversed(options):
            f = option(f)
        return f

    return decorate


SET_HELP = (
    "Override a scenario value, e.g. --set data.consumption=conso_com.csv "
    "--set envelope.reduction=0.55 (dotted key, repeatable; TOML values, else text; "
    "relative paths from the current folder). Checked like the file; the scenario hash "
    "changes (a different run)."
)


DATA_ROOT_HELP = (
    "Folder the scenario's data files must lie in (once '..' and links are resolved); a "
    "file outside it is refused. For scenarios received from others."
)


def _keep_data_root(ctx: click.Context, _param, value):
    if value is not None:
        ctx.meta["zan.data_root"] = value
    return value


def set_option(f):
    """``--set KEY=VALUE`` (repeatable) and ``--data-root DIR`` for every command that
    takes a scenario."""
    f = click.option(
        "--data-root",
        type=click.Path(file_okay=False),
        expose_value=False,
        callback=_keep_data_root,
        help=DATA_ROOT_HELP,
    )(f)
    return click.option("overrides", "--set", multiple=True, metavar="KEY=VALUE", help=SET_HELP)(f)


#: ``--pdf-engine``, shared by the commands that print PDFs (``zan report``, ``zan local-report``).
pdf_engine_option = click.option(
    "--pdf-engine",
    type=click.Choice(["auto", "playwright", "chromium", "weasyprint"]),
    default="auto",
    show_default=True,
    help="How PDFs are printed.",
)


def scenario_arg(path, overrides):
    """The scenario file, or the loaded Scenario when ``--set`` overrides values or
    ``--data-root`` restricts its data files."""
    ctx = click.get_current_context(silent=True)
    data_root = ctx.meta.get("zan.data_root") if ctx is not None else None
    if not overrides and data_root is None:
        return path
    from ..scenario import load_scenario
    from ..scenario_overrides import parse_overrides

    parsed = parse_overrides(overrides) if overrides else None
    return load_scenario(path, overrides=parsed, data_root=data_root)


CRS_HELP = (
    "Coordinate system of the --territories layer when the file declares none or a wrong "
    "one (e.g. 2154 for Lambert-93 numbers in a GeoJSON read as WGS 84)."
)


def crs_arg(crs: str | None) -> str | None:
    """``--crs 2154`` → ``"EPSG:2154"``; other spellings are passed on as they are.

    Examples
    --------
    >>> crs_arg("2154"), crs_arg("EPSG:3857"), crs_arg(None)
    ('EPSG:2154', 'EPSG:3857', None)
    """
    return f"EPSG:{crs}" if crs and crs.strip().isdigit() else crs


def write_table(table: pd.DataFrame, out: str | None) -> None:
    """Print a table, and write it as CSV to ``out`` when given."""
    from .._write import write_csv

    print_table(table)
    if out:
        write_csv(table, out)
        click.echo(f"written: {out}")


def notes(messages) -> None:
    """Print each note on standard error as ``note: <message>``."""
    for note in messages:
        click.echo(f"note: {cli_text(str(note))}", err=True)


def show_progress(quiet: bool = False) -> bool:
    """Whether to show progress bars: not with the command's ``--quiet`` nor ``zan -q``."""
    ctx = click.get_current_context(silent=True)
    root = ctx.find_root().obj if ctx is not None else None
    return not (quiet or (root or {}).get("quiet", False))
