"""The main job on the embedded demo region, end to end.

``zan demo`` (and :func:`run_demo`) loads the synthetic "Région Démo", aligns its
consumption file (COG 2023) on the commune geography of the layer (COG 2024),
measures consumption per commune and EPCI over the reference period 2011-2020,
computes the 2021-2030 trajectory per EPCI, shares the regional envelope with the
cascade scenario (region → SCoT → EPCI → commune, with regional reserve, PENE and
garantie communale), and writes the tables and maps.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from ._write import write_csv
from .datasets import get_path

__all__ = ["DemoResult", "run_demo"]


@dataclass(frozen=True)
class DemoResult:
    """What :func:`run_demo` computed and wrote.

    Attributes
    ----------
    territories : Territories
        The demo region.
    alignment : pandas.Series
        COG alignment status per commune (unchanged / merged / split / missing).
    consumption_communes, consumption_epci : pandas.DataFrame
        ENAF consumption 2011-2020 per commune and per EPCI, in hectares.
    trajectory : pandas.DataFrame
        The 2021-2030 trajectory per EPCI.
    allocation : Allocation
        The cascade scenario (region → SCoT → EPCI → commune, reserve, PENE,
        garantie communale) run on the demo region.
    outputs : tuple of pathlib.Path
        The files written.
    """

    territories: object
    alignment: pd.Series
    consumption_communes: pd.DataFrame
    consumption_epci: pd.DataFrame
    trajectory: pd.DataFrame
    allocation: object
    outputs: tuple[Path, ...]


def run_demo(out: str | Path = "zan-demo", *, reduction: float = 0.5) -> DemoResult:
    """Run the main job on the demo region and write its outputs into ``out``.

    Parameters
    ----------
    out : path-like, default "zan-demo"
        Output folder (created if needed).
    reduction : float, default 0.5
        Reduction of the 2021-2030 envelope against 2011-2020.

    Returns
    -------
    DemoResult

    Examples
    --------
    >>> import tempfile
    >>> result = run_demo(tempfile.mkdtemp())
    >>> sorted(p.name for p in result.outputs)[:3]
    ['alignement_cog.csv', 'allocation.csv', 'allocation.gpkg']
    >>> bool(abs(result.consumption_epci["total_ha"].sum()
    ...          - result.consumption_communes["total_ha"].sum()) < 1e-6)
    True
    """
    from ._version import __version__
    from ._write import write_manifest
    from .datasets import scenario_path
    from .export import write_allocation
    from .io.cog import read_passage
    from .io.consumption import read_consumption
    from .maps import choropleth, save, trajectory_map
    from .measure.consumption import consumption, trajectory
    from .scenario import run_scenario, scenario_inputs
    from .territory import Territories

    out = Path(out)
    territories = Territories.demo()
    communes = territories.communes
    conso = read_consumption(get_path("conso_enaf_2009_2023.csv"))
    passage = read_passage(get_path("passage_cog2023_cog2024.csv"))
    conso, status = conso.align(
        passage, target_codes=communes.index, split_weights=communes["area_ha"]
    )

    by_commune = consumption(conso, territories, level="commune")
    by_epci = consumption(conso, territories, level="epci")
    traj = trajectory(conso, territories, level="epci", reduction=reduction)

    outputs = [
        write_csv(status.rename("statut").to_frame(), out / "alignement_cog.csv"),
        write_csv(by_commune, out / "consommation_communes_2011_2020.csv"),
        write_csv(by_epci, out / "consommation_epci_2011_2020.csv"),
        write_csv(traj, out / "trajectoire_epci.csv"),
    ]
    epci = territories.geometries("epci")
    fmap = choropleth(
        epci,
        "allowed_ha",
        values=traj,
        title=f"Enveloppe 2021-2030 autorisée par EPCI (−{reduction:.0%})",
        credit="Sources : données synthétiques « Région Démo » ; calcul zan",
        outlines={"Départements": territories.geometries("departement")},
    )
    outputs.append(save(fmap, out / "carte.html"))
    outputs.append(
        save(
            trajectory_map(
                traj,
                epci,
                title="Trajectoire 2021-2030 des EPCI",
                credit="Sources : données synthétiques « Région Démo » ; calcul zan",
            ),
            out / "carte_trajectoire.html",
        )
    )
    cascade = scenario_path("05_cascade_reserve_pene_garantie")
    allocation = run_scenario(cascade)
    outputs += write_allocation(allocation, out / "allocation", inputs=scenario_inputs(cascade))
    inputs = {
        name: get_path(name)
        for name in (
            "communes.gpkg",
            "communes.csv",
            "conso_enaf_2009_2023.csv",
            "passage_cog2023_cog2024.csv",
        )
    }
    outputs.append(
        write_manifest(out, inputs, outputs, extra={"zan": __version__, "region": "Région Démo"})
    )
    return DemoResult(
        territories=territories,
        alignment=status,
        consumption_communes=by_commune,
        consumption_epci=by_epci,
        trajectory=traj,
        allocation=allocation,
        outputs=tuple(sorted(outputs)),
    )
