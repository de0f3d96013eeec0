"""The ``zan ledger`` group: the compte foncier régional (GeoPackage ledger)."""

from __future__ import annotations

import click

from .common import print_table, scenario_arg, set_option, with_options
from .group import main


@main.group("ledger")
def ledger_group():
    """The compte foncier régional: envelopes, consumption, projects, grants, transfers."""


_author = click.option("--author", help="Who records the entry.")
_date = click.option("--date", help="Date of effect (YYYY-MM-DD; today by default).")
_justification = click.option(
    "--justification", default="", help="E.g. the deliberation reference."
)


def _open_ledger(path, *, readonly=None):
    """The ledger; ``readonly=True`` for the commands that only read (no write access needed)."""
    from ..ledger import Ledger

    return Ledger(path, readonly=readonly)


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
@set_option
def ledger_init_cmd(ledger, scenario, no_garantie_pools, force, author, justification, overrides):
    """Create a ledger from a scenario's allocation."""
    from ..ledger import init_ledger

    init_ledger(
        ledger,
        scenario_arg(scenario, overrides),
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
@set_option
def ledger_allocate_cmd(
    ledger, scenario, period, justification, no_garantie_pools, author, overrides
):
    """Record a scenario's allocation for a further period (recorded once per period)."""
    from ..ledger import allocate_period

    op = allocate_period(
        ledger,
        scenario_arg(scenario, overrides),
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
@with_options(_import_options("idcom"))
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
@with_options(_import_options("code"))
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


#: The columns ``zan ledger balance`` prints (``--out`` writes them all).
BALANCE_COLUMNS = [
    "code",
    "nom",
    "envelope_ha",
    "consumed_ha",
    "remaining_ha",
    "used_pct",
    "status",
]


@ledger_group.command("balance")
@click.argument("ledger", type=click.Path(exists=True, dir_okay=False))
@click.option("--at", help="Date of the balance (YYYY-MM-DD; today by default).")
@click.option("--period", help="Period (2021-2030 by default).")
@click.option(
    "--pools", is_flag=True, help="Show garantie communale pools as accounts of their own."
)
@click.option("--out", type=click.Path(dir_okay=False), help="Write the table (CSV or XLSX).")
def ledger_balance_cmd(ledger, at, period, pools, out):
    """Balances: envelope, consumed, remaining, share used, status (--out: every column)."""
    from ..ledger import export_balance, french_balance

    book = _open_ledger(ledger, readonly=True)
    table = book.balance(at, period=period, consolidate=not pools)
    compact = [c for c in BALANCE_COLUMNS if c in table.columns or c == table.index.name]
    if pools and "account_type" in table.columns:
        compact.insert(1, "account_type")
    table = french_balance(table.reset_index()[compact].set_index(compact[0]))
    print_table(table.set_index(table.columns[0]), max_rows=200)
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
    from ..ledger import export_history, french_history

    book = _open_ledger(ledger, readonly=True)
    print_table(french_history(book.history(code, period=period)), max_rows=200)
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
    from ..ledger import balance_map
    from ..maps import save

    book = _open_ledger(ledger, readonly=True)
    click.echo(f"written: {save(balance_map(book, column=column, at=at, period=period), out)}")


@ledger_group.command("verify")
@click.argument("ledger", type=click.Path(exists=True, dir_okay=False))
@click.option("--expected-head", help="A head hash published earlier: detects a rewritten chain.")
@click.pass_context
def ledger_verify_cmd(ctx, ledger, expected_head):
    """Re-check every invariant and the SHA-256 chain of entries; report tampering."""
    report = _open_ledger(ledger, readonly=True).verify(expected_head=expected_head)
    click.echo(str(report))
    if not report.ok:
        ctx.exit(2)


@ledger_group.command("backup")
@click.argument("ledger", type=click.Path(exists=True, dir_okay=False))
@click.argument("copy", type=click.Path(dir_okay=False))
@click.option("--force", is_flag=True, help="Replace an existing copy.")
def ledger_backup_cmd(ledger, copy, force):
    """Copy the ledger safely (even while in use), verify the copy, print its head hash."""
    from ..ledger import backup_ledger

    path, head, entries = backup_ledger(ledger, copy, overwrite=force)
    click.echo(f"written: {path} ({entries:,} entries verified, head {head})")
