"""Time zan's main jobs on a national-size SYNTHETIC region set and print a table.

Usage::

    python scripts/national_run.py [--data DIR] [--communes 35000] [--epci 1250]
                                   [--regions 13] [--out DIR]

Without ``--data``, the set is generated first by ``scripts/make_national.py`` (its time
is in the table). Steps timed, in one process, through the public API:

1. ``consumption``: read the Cerema file and sum 2011-2020 per EPCI
   (:func:`zan.io.consumption.read_consumption`, :func:`zan.measure.consumption.consumption`);
2. ``trajectory``: 2021-2030 trajectory per EPCI;
3. ``péréquation``: the envelope of each of the 13 regions at once, with the PENE
   péréquation shared among the regions with a SRADDET pro rata of their 2011-2020
   consumption (the 10,000 ha scaled down for a set smaller than France) (:func:`zan.envelope.regional_envelope`); Île-de-France and Corse have no
   SRADDET (:class:`zan.errors.NoSraddetError`) and get no péréquation;
4. ``allocation``: the commune-level scenario (:func:`zan.scenario.run_scenario`), then
   ``allocation.csv``, ``allocation.gpkg`` and the map ``carte.html``
   (:func:`zan.export.write_allocation`), the map's size reported.

:func:`run` returns the rows (step, seconds, detail) for ``scripts/bench_all.py``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import make_national  # noqa: E402


def _timed(rows: list[dict], step: str, func, detail=lambda result: ""):
    t0 = time.perf_counter()
    result = func()
    rows.append({"step": step, "seconds": time.perf_counter() - t0, "detail": detail(result)})
    return result


def run(
    data: Path | None = None,
    *,
    communes: int = 35_000,
    epci: int = 1_250,
    regions: int = 13,
    out: Path | None = None,
) -> list[dict]:
    """Run the national steps; return one row per step (``step``, ``seconds``, ``detail``)."""
    import pandas as pd

    from zan.envelope import regional_envelope
    from zan.errors import NoSraddetError
    from zan.export import write_allocation
    from zan.io.consumption import read_consumption
    from zan.io.territories import read_membership
    from zan.measure.consumption import consumption, trajectory
    from zan.scenario import load_scenario, run_scenario

    rows: list[dict] = []
    work = Path(tempfile.mkdtemp(prefix="zan-national-")) if out is None else out
    if data is None:
        data = work / "data"
        _timed(
            rows,
            "generate (make_national)",
            lambda: make_national.write_national(data, communes, epci, regions),
            lambda p: f"{communes:,} communes, {epci:,} EPCI, {regions} regions",
        )
    membership = read_membership(data / "communes.csv")

    def measure():
        conso = read_consumption(data / "conso_com.csv")
        return conso, consumption(conso, membership, level="epci", period=(2011, 2020))

    conso, table = _timed(
        rows,
        "consumption (read + per EPCI)",
        measure,
        lambda r: f"{len(r[0].communes):,} communes -> {len(r[1]):,} EPCI",
    )
    _timed(
        rows,
        "trajectory (per EPCI)",
        lambda: trajectory(conso, membership, level="epci"),
        lambda t: f"{len(t):,} EPCI",
    )

    def perequation():
        ref = (
            conso.period_total(2011, 2020)
            .groupby(membership["region"].reindex(conso.communes.index).to_numpy())
            .sum()
            / 10_000
        )
        with_sraddet = [c for c in ref.index if c not in {"11", "94"}]
        national = float(ref[with_sraddet].sum())
        # the 10,000 ha forfait, scaled down when the set is smaller than France
        forfait = 10_000.0 * min(1.0, national / 223_700.0)
        envelopes = {}
        for code, ha in ref.items():
            try:
                env = regional_envelope(
                    float(ha),
                    reduction=0.5,
                    pene="perequation",
                    national_reference_ha=national,
                    pene_regions_ha=forfait,
                    region=str(code),
                )
            except NoSraddetError:
                env = regional_envelope(float(ha), reduction=0.5, pene="none", region=str(code))
            envelopes[code] = env
        return pd.Series({c: e.regional_ha for c, e in envelopes.items()}, name="regional_ha")

    env = _timed(
        rows,
        "PENE péréquation (all regions)",
        perequation,
        lambda s: f"{len(s)} regions, {s.sum():,.0f} ha in all",
    )
    del env
    scenario = load_scenario(data / "scenario_communes.toml")
    alloc = _timed(
        rows,
        "allocation (commune level)",
        lambda: run_scenario(scenario),
        lambda a: f"{len(a.table):,} communes",
    )
    target = work / "allocation"
    paths = _timed(
        rows,
        "allocation outputs (csv, gpkg, map)",
        lambda: write_allocation(alloc, target),
        lambda ps: ", ".join(
            f"{Path(p).name} {os.path.getsize(p) / 1e6:.1f} MB"
            for p in ps
            if Path(p).suffix in {".html", ".gpkg", ".csv"}
        ),
    )
    del paths
    return rows


def bench_rows(quick: bool = False) -> list[dict]:
    """The national run's steps as rows for ``scripts/bench_all.py`` (no baseline: info)."""
    import benchlib

    communes, epci = (3_800, 140) if quick else (35_000, 1_250)
    return [
        benchlib.row(f"national run, {r['step']}: {r['detail']}", r["seconds"])
        for r in run(communes=communes, epci=epci)
    ]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, help="folder written by make_national.py")
    parser.add_argument("--communes", type=int, default=35_000)
    parser.add_argument("--epci", type=int, default=1_250)
    parser.add_argument("--regions", type=int, default=13)
    parser.add_argument("--out", type=Path, help="folder for the outputs (default: temporary)")
    args = parser.parse_args(argv)
    load = os.getloadavg()[0]
    rows = run(
        args.data, communes=args.communes, epci=args.epci, regions=args.regions, out=args.out
    )
    width = max(len(r["step"]) for r in rows)
    print(f"machine: {os.cpu_count()} cores, load average {load:.2f} at the start")
    print(f"{'step':<{width}}  {'seconds':>8}  detail")
    for r in rows:
        print(f"{r['step']:<{width}}  {r['seconds']:8.2f}  {r['detail']}")
    print(f"{'total':<{width}}  {sum(r['seconds'] for r in rows):8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
