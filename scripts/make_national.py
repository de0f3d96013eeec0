"""Write a SYNTHETIC national-size region set: communes with polygons, membership, consumption.

Usage::

    python scripts/make_national.py OUT [--communes 35000] [--epci 1250] [--regions 13]
                                        [--seed 2026] [--format parquet|gpkg]

**Every figure and name this script writes is invented** (seeded random draws): it is a
stand-in for metropolitan France at its real size (about 35,000 communes, 1,250 EPCI,
96 départements, 13 regions; DOMAIN.md §1), to measure zan at national scale. Written in
``OUT``:

- ``communes.parquet`` (GeoParquet, or ``communes.gpkg`` with ``--format gpkg``): one
  square polygon per commune on a regular grid in Lambert-93 (about 4 km a side, so the
  national area), columns ``code_insee``, ``nom``, ``departement``;
- ``communes.csv``: the membership table (commune → EPCI → département → région) in the
  layout of ``data/demo/communes.csv``: ``code_insee``, ``nom``, ``departement``,
  ``region``, ``epci_siren``, ``epci_nom``, ``epci_type``, ``population``,
  ``population_2015``, ``menages``, ``emplois``, ``garantie_communale`` (True/False);
- ``conso_com.csv``: the consumption in the layout of the Cerema 2011→2025 release
  (``scripts/make_cerema_2025.py``), about 240,000 ha over 2011-2020 nationally;
- ``scenario_communes.toml``: a commune-level allocation (half past consumption, half
  population, garantie communale) of a 120,000 ha envelope;
- ``README.md`` saying that everything is synthetic.

EPCI, départements and regions are contiguous: the grid cells are ordered along a
Hilbert curve and cut into consecutive runs, so every EPCI lies in one département and
every département in one region. The regions carry the codes of the 13 metropolitan
regions (``11`` Île-de-France and ``94`` Corse included: they have no SRADDET). The
output is deterministic: the same arguments give the same bytes.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_cerema_2025 import make_cerema_2025  # noqa: E402

SEED = 2026
#: Codes of the 13 metropolitan regions (COG), Île-de-France and Corse first.
REGION_CODES = ("11", "94", "24", "27", "28", "32", "44", "52", "53", "75", "76", "84", "93")
#: National 2011-2020 consumption, ha (about the sum of the Cerema release).
NATIONAL_HA = 240_000.0
#: Side of a commune's cell, m (≈ 550,000 km² / 35,000 communes).
CELL_M = 3_960.0
_SYLLABLES = (
    "bar",
    "ville",
    "mont",
    "court",
    "lieu",
    "val",
    "bois",
    "champ",
    "fontaine",
    "roche",
    "mer",
    "sur",
    "les",
    "saint",
    "neuf",
    "lac",
    "pré",
    "ay",
    "ac",
    "é",
    "ière",
    "ol",
    "in",
)
README = """# Synthetic national data (`scripts/make_national.py`)

**Everything here is synthetic**: invented by `scripts/make_national.py` of zan (seed {seed})
to measure zan at national scale. Nothing is real, neither the names, the codes' grouping,
the populations, the polygons nor the consumption figures.

- {n:,} communes, {n_epci:,} EPCI, {n_dep} départements, {n_reg} regions;
- consumption 2011-2020: {ref:,.0f} ha (layout of the Cerema 2011→2025 release);
- communes eligible for the garantie communale: {garantie:,}.
"""


def _hilbert_index(x: np.ndarray, y: np.ndarray, order: int) -> np.ndarray:
    """Position of the cells (x, y) along a Hilbert curve over a 2**order square."""
    x, y = x.astype(np.int64).copy(), y.astype(np.int64).copy()
    d = np.zeros(x.shape, dtype=np.int64)
    s = 1 << (order - 1)
    while s > 0:
        rx = (x & s) > 0
        ry = (y & s) > 0
        d += s * s * ((3 * rx) ^ ry)
        # rotate the quadrant
        flip = ~ry
        swap_x = np.where(flip & rx, s - 1 - x, x)
        swap_y = np.where(flip & rx, s - 1 - y, y)
        x, y = np.where(flip, swap_y, swap_x), np.where(flip, swap_x, swap_y)
        s >>= 1
    return d


def _cuts(n: int, k: int, rng: np.random.Generator, spread: float) -> np.ndarray:
    """Sizes (k,) of consecutive runs adding up to n, each at least 1, varying by ``spread``."""
    weights = rng.lognormal(0.0, spread, size=k)
    raw = weights / weights.sum() * (n - k)
    sizes = np.floor(raw).astype(np.int64) + 1
    short = n - int(sizes.sum())
    sizes[np.argsort(-(raw - np.floor(raw)), kind="stable")[:short]] += 1
    return sizes


def _groups(sizes_child: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Parent index (len(sizes_child),) of consecutive children (of ``sizes_child``
    communes each) cut into at most k runs of similar numbers of communes."""
    bounds = np.cumsum(_cuts(int(sizes_child.sum()), k, rng, 0.25))
    middle = np.cumsum(sizes_child) - sizes_child / 2
    parent = np.searchsorted(bounds, middle, side="right")
    return np.unique(parent, return_inverse=True)[1]  # no empty parent


def _names(n: int, rng: np.random.Generator) -> np.ndarray:
    """Invented, French-looking names (not unique, as real commune names are not)."""
    syl = np.asarray(_SYLLABLES, dtype=object)
    a = syl[rng.integers(0, len(syl), n)]
    b = syl[rng.integers(0, len(syl), n)]
    first = np.char.capitalize(a.astype(str))
    return np.char.add(first, b.astype(str)).astype(object)


def make_national(
    n_communes: int = 35_000, n_epci: int = 1_250, n_regions: int = 13, *, seed: int = SEED
):
    """The synthetic communes (GeoDataFrame), membership and Cerema tables.

    Parameters
    ----------
    n_communes, n_epci, n_regions : int
        Sizes; départements are about ``n_epci / 13`` (96 for 1,250 EPCI), at least one
        per region. ``n_regions`` is at most 13.
    seed : int
        Seed of every draw.

    Returns
    -------
    communes : geopandas.GeoDataFrame
        ``code_insee``, ``nom``, ``departement``, ``geometry`` (Lambert-93).
    membership : pandas.DataFrame
        One row per commune (see the module docstring).
    conso : pandas.DataFrame
        The consumption in the Cerema 2011→2025 layout.
    """
    import geopandas as gpd
    import shapely

    if not 1 <= n_regions <= len(REGION_CODES):
        raise SystemExit(f"--regions must be between 1 and {len(REGION_CODES)}")
    n_dep = max(n_regions, min(96, round(n_epci / 13)))
    if not n_dep <= n_epci <= n_communes:
        raise SystemExit("need regions <= départements <= EPCI <= communes")
    rng = np.random.default_rng(seed)
    width = int(np.ceil(np.sqrt(n_communes * 1.1)))
    height = int(np.ceil(n_communes / width))
    gx, gy = np.meshgrid(np.arange(width), np.arange(height))
    gx, gy = gx.ravel(), gy.ravel()
    order = int(np.ceil(np.log2(max(width, height, 2))))
    walk = np.argsort(_hilbert_index(gx, gy, order), kind="stable")[:n_communes]
    cx, cy = gx[walk], gy[walk]

    epci_sizes = _cuts(n_communes, n_epci, rng, 0.6)
    epci_of = np.repeat(np.arange(n_epci), epci_sizes)
    dep_of_epci = _groups(epci_sizes, n_dep, rng)
    n_dep = int(dep_of_epci.max()) + 1
    if n_dep < n_regions:  # small sets: one EPCI run per département
        dep_of_epci = np.repeat(np.arange(n_dep := n_regions), _cuts(n_epci, n_regions, rng, 0.3))
    # regions: consecutive runs of départements, at least one each
    reg_of_dep = np.repeat(np.arange(n_regions), _cuts(n_dep, n_regions, rng, 0.3))
    dep_of = dep_of_epci[epci_of]
    reg_of = reg_of_dep[dep_of]

    dep_codes = np.array([f"{i + 1:02d}" if i < 19 else f"{i + 2:02d}" for i in range(n_dep)])
    if n_dep > 98:
        dep_codes = np.array([f"{i + 1:03d}" for i in range(n_dep)])
    region_codes = np.asarray(REGION_CODES[:n_regions])
    # commune codes: département + rank in it (3 digits; INSEE codes are 5 characters)
    rank = np.arange(n_communes) - np.searchsorted(dep_of, dep_of)
    if rank.max() >= 1000:
        raise SystemExit("too many communes per département for 5-character codes")
    code = np.char.add(dep_codes[dep_of], np.char.zfill((rank + 1).astype(str), 3))
    epci_siren = np.array([f"2{d}{i:06d}" for i, d in enumerate(dep_codes[dep_of_epci])])
    nom = _names(n_communes, rng)
    epci_kind = np.where(epci_sizes >= 40, "CA", "CC")
    epci_nom = np.char.add(
        np.char.add(epci_kind.astype(str), " de "), nom[np.cumsum(epci_sizes) - 1].astype(str)
    )

    population = np.rint(rng.lognormal(6.3, 1.25, n_communes)).astype(np.int64) + 20
    pop_2015 = np.rint(population * (1 - rng.normal(0.01, 0.03, n_communes))).astype(np.int64)
    menages = np.rint(population / rng.uniform(2.0, 2.6, n_communes)).astype(np.int64)
    emplois = np.rint(population * rng.uniform(0.1, 0.6, n_communes)).astype(np.int64)
    garantie = rng.random(n_communes) < 0.9
    membership = pd.DataFrame(
        {
            "code_insee": code,
            "nom": nom,
            "departement": dep_codes[dep_of],
            "region": region_codes[reg_of],
            "epci_siren": epci_siren[epci_of],
            "epci_nom": epci_nom[epci_of],
            "epci_type": epci_kind[epci_of],
            "population": population,
            "population_2015": pop_2015,
            "menages": menages,
            "emplois": emplois,
            "garantie_communale": garantie,
        }
    )
    x0, y0 = 100_000.0, 6_050_000.0  # south-west corner in Lambert-93
    minx, miny = x0 + cx * CELL_M, y0 + cy * CELL_M
    geometry = shapely.box(minx, miny, minx + CELL_M, miny + CELL_M)
    communes = gpd.GeoDataFrame(
        membership[["code_insee", "nom", "departement"]], geometry=geometry, crs="EPSG:2154"
    )
    conso = make_cerema_2025(membership, seed=seed, total_ha=NATIONAL_HA * n_communes / 35_000)
    return communes, membership, conso


SCENARIO = """# SYNTHETIC national data (scripts/make_national.py): commune-level allocation.
[scenario]
name = "National synthétique, communes"
description = "50 % selon la consommation 2011-2020, 50 % selon la population ; garantie communale."

[data]
communes = "{communes}"
membership = "communes.csv"
consumption = "conso_com.csv"

[envelope]
envelope_ha = {envelope:.0f}

[allocation]
level = "commune"

[[criteria]]
name = "consommation"
rule = "past_consumption"
weight = 0.5

[[criteria]]
name = "population"
rule = "indicator"
weight = 0.5
params = {{ column = "population" }}

[floors]
garantie_communale = true
eligible_column = "garantie_communale"
"""


def write_national(
    out: Path,
    n_communes: int = 35_000,
    n_epci: int = 1_250,
    n_regions: int = 13,
    *,
    seed: int = SEED,
    fmt: str = "parquet",
) -> dict[str, Path]:
    """Write the files in ``out`` (see the module docstring); return them by name."""
    communes, membership, conso = make_national(n_communes, n_epci, n_regions, seed=seed)
    out.mkdir(parents=True, exist_ok=True)
    paths = {
        "communes": out / f"communes.{fmt}",
        "membership": out / "communes.csv",
        "consumption": out / "conso_com.csv",
        "scenario": out / "scenario_communes.toml",
        "readme": out / "README.md",
    }

    def atomic(path: Path, write) -> None:
        tmp = path.with_name(path.name + ".tmp" + path.suffix)
        tmp.unlink(missing_ok=True)
        write(tmp)
        tmp.replace(path)

    if fmt == "gpkg":
        atomic(paths["communes"], lambda p: communes.to_file(p, layer="communes", engine="pyogrio"))
    else:
        atomic(paths["communes"], lambda p: communes.to_parquet(p, index=False))
    atomic(paths["membership"], lambda p: membership.to_csv(p, index=False, lineterminator="\n"))
    atomic(paths["consumption"], lambda p: conso.to_csv(p, index=False, lineterminator="\n"))
    ref_ha = float(conso["naf11art21"].sum()) / 10_000
    envelope = ref_ha * 0.5
    paths["scenario"].write_text(
        SCENARIO.format(communes=paths["communes"].name, envelope=envelope), encoding="utf-8"
    )
    paths["readme"].write_text(
        README.format(
            seed=seed,
            n=len(membership),
            n_epci=membership["epci_siren"].nunique(),
            n_dep=membership["departement"].nunique(),
            n_reg=membership["region"].nunique(),
            ref=ref_ha,
            garantie=int(membership["garantie_communale"].sum()),
        ),
        encoding="utf-8",
    )
    return paths


def main(argv: list[str] | None = None) -> dict[str, Path]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path, help="folder to write into")
    parser.add_argument("--communes", type=int, default=35_000)
    parser.add_argument("--epci", type=int, default=1_250)
    parser.add_argument("--regions", type=int, default=13)
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--format", choices=("parquet", "gpkg"), default="parquet")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    paths = write_national(
        args.out, args.communes, args.epci, args.regions, seed=args.seed, fmt=args.format
    )
    for p in paths.values():
        print(f"written: {p}")
    print(f"SYNTHETIC national data in {time.perf_counter() - t0:.1f} s")
    return paths


if __name__ == "__main__":
    main()
