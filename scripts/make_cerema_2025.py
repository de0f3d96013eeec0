"""Write a SYNTHETIC consumption file in the layout of the Cerema 2011→2025 release.

Usage::

    python scripts/make_cerema_2025.py [--communes CSV] [--out FILE] [--seed N]
                                       [--total-ha HA] [--residues]

**Every figure this script writes is invented** (seeded random draws). Only the layout
is real: the Cerema "consommation d'espaces" commune file "du 1er janvier 2011 au
1er janvier 2025" (``conso_com.csv``, COG 2025; DOMAIN.md §3):

- identifiers ``idcom``, ``idcomtxt``, ``iddep``, ``idreg``, ``epci25``, ``epci25txt``,
  ``scot`` (left empty);
- annual flows ``naf11art12`` … ``naf24art25`` (m², the flow of calendar year 20YY) and
  their destinations ``artYY{act,hab,mix,rou,fer,inc}ZZ``, which add up to the flow;
- the multi-year totals ``naf11art21``, ``naf21art25``, ``naf11art25``, ``naf11art16``,
  ``naf16art22``, ``naf11art22``, the stocks ``surfcom2025`` (m²) and ``artcom1125``,
  and socio-demographic columns (``popYY``, ``menYY``, ``empYY``, ``popYYZZ``…,
  ``artpopYYZZ``, ``mepartYYZZ``, ``menhabYYZZ`` for 1116, 1622, 1122).

The communes come from a commune list (default: the 3,782 communes of Hauts-de-France,
COG 2026, ``../shared/data/hdf/admin/communes_hdf_cog2026.csv``; any CSV with
``code_insee``, ``nom``, ``departement``, ``region``, ``epci_siren``, ``epci_nom`` and a
population column works). The regional totals have the right order of magnitude for
Hauts-de-France (DOMAIN.md §4): the 2011-2020 flows add up to ``--total-ha`` (16,275 ha
by default), about 55 % housing and 37 % activity; 2021-2023 add up to 3,763 ha. Each
commune's share follows its population with a random factor; many small communes
consume nothing in a given year.

``--residues`` also writes the small negative rounding residues of the real release:
−1 or −2 m² in ``--n-residues`` (31) ``artYYincZZ`` cells, the housing destination
taking the difference so that the destinations still add up to the flow.

A ``<out>.README.md`` beside the CSV says that the file is synthetic. The output is
deterministic: the same arguments give the same bytes.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_COMMUNES = ROOT.parent / "shared" / "data" / "hdf" / "admin" / "communes_hdf_cog2026.csv"
SEED = 2025
YEARS = tuple(range(2011, 2025))  # flows of 2011 … 2024 (1 Jan 2011 → 1 Jan 2025)
SUFFIXES = ("act", "hab", "mix", "rou", "fer", "inc")
#: Regional destination shares (DOMAIN.md §4: 55 % housing, 37 % activity).
SHARES = np.array([0.37, 0.55, 0.02, 0.04, 0.005, 0.015])
#: Multi-year totals of the release: column → (first year, last year), both included.
TOTALS = {
    "naf11art21": (2011, 2020),
    "naf21art25": (2021, 2024),
    "naf11art25": (2011, 2024),
    "naf11art16": (2011, 2015),
    "naf16art22": (2016, 2021),
    "naf11art22": (2011, 2021),
}
#: Regional flow per year relative to the 2011-2020 mean; 2021-2023 give 3,763 ha
#: for 16,275 ha (DREAL tableau de bord, DOMAIN.md §4).
_DECLINE = {y: 1.135 - 0.03 * (y - 2011) for y in range(2011, 2021)}
_AFTER = {2021: 1300.0 / 1627.5, 2022: 1250.0 / 1627.5, 2023: 1213.0 / 1627.5, 2024: 0.70}
README = """# {name}: SYNTHETIC data

This file is **synthetic**: every figure in it was invented by `scripts/make_cerema_2025.py`
of zan (seed {seed}), for tests and demonstrations. It is NOT the Cerema release. Only its
layout follows the Cerema "consommation d'espaces" commune file "du 1er janvier 2011 au
1er janvier 2025" (`conso_com.csv`). Communes: {n} from {communes}.
Regional 2011-2020 total: {total:,.2f} ha; residues written: {residues}.
"""


def _col(df: pd.DataFrame, *names: str) -> str:
    lower = {c.lower(): c for c in df.columns}
    for n in names:
        if n in lower:
            return lower[n]
    raise SystemExit(f"commune list: none of the columns {', '.join(names)} found")


def _integer_split(total: np.ndarray, shares: np.ndarray) -> np.ndarray:
    """Split integer totals (n,) by shares (n, k) into integers that add up exactly."""
    raw = total[:, None] * shares
    base = np.floor(raw).astype(np.int64)
    short = total - base.sum(axis=1)
    order = np.argsort(-(raw - base), axis=1, kind="stable")
    rank = np.argsort(order, axis=1, kind="stable")
    return base + (rank < short[:, None]).astype(np.int64)


def _year_totals(weights: np.ndarray, target_m2: int, rng: np.random.Generator) -> np.ndarray:
    """Integer flows per commune adding up to ``target_m2`` exactly (largest remainder)."""
    draw = weights * rng.gamma(0.6, 1 / 0.6, size=weights.size)
    draw[rng.random(weights.size) < 0.35 / (1 + weights * weights.size)] = 0.0
    raw = draw / draw.sum() * target_m2
    base = np.floor(raw).astype(np.int64)
    short = int(target_m2 - base.sum())
    base[np.argsort(-(raw - base), kind="stable")[:short]] += 1
    return base


def make_cerema_2025(
    communes: pd.DataFrame,
    *,
    seed: int = SEED,
    total_ha: float = 16_275.0,
    residues: bool = False,
    n_residues: int = 31,
) -> pd.DataFrame:
    """The synthetic table (one row per commune), in the 2011→2025 layout.

    Parameters
    ----------
    communes : pandas.DataFrame
        Commune list (``code_insee``, ``nom``, ``departement``, ``region``,
        ``epci_siren``, ``epci_nom``, a population column).
    seed : int
        Seed of every draw.
    total_ha : float
        Regional 2011-2020 consumption (ha).
    residues : bool
        Write −1/−2 m² residues in ``n_residues`` ``artYYincZZ`` cells.
    """
    rng = np.random.default_rng(seed)
    code = communes[_col(communes, "code_insee", "code", "idcom")].astype(str).str.zfill(5)
    pop_col = _col(communes, "population_insee_pmun", "population", "pmun", "population_municipale")
    pop = pd.to_numeric(communes[pop_col], errors="coerce").fillna(0).to_numpy(np.float64)
    n = len(communes)
    weights = (pop + 50.0) ** 0.8 * rng.lognormal(0.0, 0.6, size=n)
    weights /= weights.sum()
    annual_m2 = total_ha * 10_000 / 10
    out = pd.DataFrame(
        {
            "idcom": code.to_numpy(),
            "idcomtxt": communes[_col(communes, "nom", "idcomtxt")].to_numpy(),
            "iddep": communes[_col(communes, "departement", "iddep", "dep")].astype(str).to_numpy(),
            "idreg": communes[_col(communes, "region", "idreg", "reg")].astype(str).to_numpy(),
            "epci25": communes[_col(communes, "epci_siren", "epci")].astype(str).to_numpy(),
            "epci25txt": communes[_col(communes, "epci_nom", "epci_name")].to_numpy(),
            "scot": "",
        }
    )
    factors = {**_DECLINE, **_AFTER}
    flows, parts = {}, {}
    commune_shares = rng.dirichlet(SHARES * 40, size=n)
    for year in YEARS:
        yy, zz = year % 100, year % 100 + 1
        total = _year_totals(weights, int(round(annual_m2 * factors[year])), rng)
        split = _integer_split(total, commune_shares)
        flows[f"naf{yy:02d}art{zz:02d}"] = total
        for k, suffix in enumerate(SUFFIXES):
            parts[f"art{yy:02d}{suffix}{zz:02d}"] = split[:, k]
    if residues:
        cells = [(i, y) for y in YEARS for i in range(n)]
        candidates = [
            (i, y) for i, y in cells if parts[f"art{y % 100:02d}hab{y % 100 + 1:02d}"][i] >= 50
        ]
        chosen = rng.choice(len(candidates), size=min(n_residues, len(candidates)), replace=False)
        for c in sorted(chosen):
            i, y = candidates[c]
            yy, zz = y % 100, y % 100 + 1
            r = int(rng.integers(1, 3))
            inc, hab = parts[f"art{yy:02d}inc{zz:02d}"], parts[f"art{yy:02d}hab{zz:02d}"]
            hab[i] += inc[i] + r  # the destinations still add up to the flow
            inc[i] = -r
    out = pd.concat([out, pd.DataFrame(flows), pd.DataFrame(parts)], axis=1)
    for name, (first, last) in TOTALS.items():
        years = range(first, last + 1)
        out[name] = sum(flows[f"naf{y % 100:02d}art{y % 100 + 1:02d}"] for y in years)
    surf = np.rint(rng.lognormal(np.log(7.5e6), 0.6, size=n)).astype(np.int64)
    surf = np.maximum(surf, out["naf11art25"].to_numpy() * 4 + 100_000)
    out["surfcom2025"] = surf
    out["artcom1125"] = np.round(100.0 * out["naf11art25"] / surf, 4)
    base_pop = np.rint(pop).astype(np.int64)
    growth = rng.normal(0.0, 0.02, size=(3, n))
    popv = {"11": base_pop}
    popv["16"] = np.rint(base_pop * (1 + growth[0])).astype(np.int64)
    popv["22"] = np.rint(popv["16"] * (1 + growth[1])).astype(np.int64)
    men = {k: np.rint(v / 2.3).astype(np.int64) for k, v in popv.items()}
    emp = {k: np.rint(v * (0.35 + 0.05 * growth[2].clip(-1, 1))).astype(np.int64)
           for k, v in popv.items()}
    for k in ("11", "16", "22"):
        out[f"pop{k}"], out[f"men{k}"], out[f"emp{k}"] = popv[k], men[k], emp[k]
    for a, b, (first, last) in (("11", "16", (2011, 2015)), ("16", "22", (2016, 2021)),
                                ("11", "22", (2011, 2021))):
        span = f"{a}{b}"
        art = sum(parts[f"art{y % 100:02d}hab{y % 100 + 1:02d}"] for y in range(first, last + 1))
        out[f"pop{span}"] = popv[b] - popv[a]
        out[f"men{span}"] = men[b] - men[a]
        out[f"emp{span}"] = emp[b] - emp[a]
        out[f"menhab{span}"] = np.maximum(men[b] - men[a], 0)
        out[f"artpop{span}"] = np.round(
            np.divide(art, np.maximum(popv[b] - popv[a], 1)), 2
        )
        out[f"mepart{span}"] = np.round(
            np.divide(np.maximum(men[b] - men[a], 0) + np.maximum(emp[b] - emp[a], 0),
                      np.maximum(art / 10_000, 0.01)),
            2,
        )
    return out


def main(argv: list[str] | None = None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--communes", type=Path, default=DEFAULT_COMMUNES)
    parser.add_argument("--out", type=Path, default=Path("conso_com_SYNTHETIQUE.csv"))
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--total-ha", type=float, default=16_275.0)
    parser.add_argument("--residues", action="store_true",
                        help="write -1/-2 m² residues in artYYincZZ cells, as the release does")
    parser.add_argument("--n-residues", type=int, default=31)
    args = parser.parse_args(argv)
    communes = pd.read_csv(args.communes, dtype=str, keep_default_na=False)
    table = make_cerema_2025(
        communes,
        seed=args.seed,
        total_ha=args.total_ha,
        residues=args.residues,
        n_residues=args.n_residues,
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".tmp")
    table.to_csv(tmp, index=False, lineterminator="\n")
    tmp.replace(args.out)
    readme = args.out.with_name(args.out.name + ".README.md")
    readme.write_text(
        README.format(
            name=args.out.name,
            seed=args.seed,
            n=len(table),
            communes=args.communes.name,
            total=table["naf11art21"].sum() / 10_000,
            residues=args.n_residues if args.residues else 0,
        ),
        encoding="utf-8",
    )
    print(f"written: {args.out} ({len(table)} communes, SYNTHETIC) and {readme}")
    return args.out


if __name__ == "__main__":
    main()
