"""Scenario commands: ``zan allocate``, ``zan schema``, ``zan compare``, ``zan sensitivity``."""

from __future__ import annotations

import click

from .common import notes, print_table, scenario_arg, set_option
from .group import main


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
@set_option
def allocate_cmd(scenario, out, png, overrides):
    """Share the regional envelope across territories as a scenario file says."""
    from ..export import write_allocation
    from ..scenario import run_scenario, scenario_inputs
    from ..scenario_levels import envelope_comparison

    scenario = scenario_arg(scenario, overrides)
    alloc = run_scenario(scenario)
    env = alloc.envelope
    click.echo(env.explain(resolution=alloc.resolution) if env is not None else "")
    print_table(alloc.summary().set_index("terme"))
    click.echo("")
    print_table(alloc.table[["nom", "reference_ha", "envelope_ha", "reduction_pct", "bound"]])
    if alloc.unassigned is not None:  # an added level: envelopes side by side, outsiders listed
        side_by_side = envelope_comparison(alloc)
        click.echo(side_by_side)
        notes([n for n in alloc.notes if n != side_by_side])
    for path in write_allocation(alloc, out, png=png, inputs=scenario_inputs(scenario)):
        click.echo(f"written: {path}")


@main.command("schema")
def schema_cmd():
    """Print the JSON Schema of scenario files (for editor completion)."""
    import json

    from ..scenario import scenario_schema

    click.echo(json.dumps(scenario_schema(), indent=2, ensure_ascii=False))


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
@set_option
def compare_cmd(scenarios, out, baseline, level, overrides):
    """Compare scenarios on the same territories: table, indicators, winners and losers, map."""
    from ..compare import compare, write_comparison

    scenarios = [scenario_arg(s, overrides) for s in scenarios]
    comparison = compare(list(scenarios), baseline=baseline, level=level)
    ind = comparison.indicators()
    ind.columns = [comparison.indicator_labels()[c] for c in ind.columns]
    print_table(ind.astype(object).T)  # object: counts stay integers
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
@set_option
def sensitivity_cmd(scenario, samples, seed, out, png, overrides):
    """Vary weights and parameters ([sensitivity] section, else every weight ±50 %): intervals, Sobol indices."""
    from ..maps import prefetch
    from ..sensitivity import sensitivity_analysis, write_sensitivity

    scenario = scenario_arg(scenario, overrides)
    result = sensitivity_analysis(scenario, samples=samples, seed=seed, prepare_map=prefetch)
    click.echo(f"{len(result.samples):,} evaluations in {result.seconds:.2f} s")
    print_table(result.indices.set_index("label").round(3))
    for note in result.notes:
        click.echo(note)
    for path in write_sensitivity(result, out, png=png):
        click.echo(f"written: {path}")
