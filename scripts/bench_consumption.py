"""Benchmark: ``zan consumption`` on a national Cerema file against a seven-line pandas script.

The file is the SYNTHETIC national set of ``scripts/make_national.py`` (35,000 communes,
1,250 EPCI, the Cerema 2011→2025 layout; ``--quick``: 3,800 communes). The job: the
2011-2020 consumption per EPCI (commune → EPCI from the membership table), total and by
destination, in hectares, written to CSV. Three programs, each in its own process
(start-up, imports and writing included), run in alternated rounds:

- ``zan CLI``: ``zan consumption FILE --by epci --membership communes.csv --out OUT``;
- ``zan API``: :func:`zan.read_consumption` + :func:`zan.measure.consumption.consumption`;
- ``pandas``: what a competent user would write instead (:data:`PANDAS_SCRIPT`:
  read the CSV, melt the 2011-2020 ``naf``/``art`` columns, sum per commune and
  destination, group by EPCI). It checks nothing (codes, sums, empty cells) that zan
  checks.

Reported: min and median wall time, the time ratio (pandas / zan: ≥ 1 means zan is at
least as fast) and the peak-memory ratio (zan / pandas, goal ≤ 1.5), peak RSS taken per
process with ``os.wait4``. The EPCI totals of the three are compared (≤ 1e-6 ha).

Usage::

    python scripts/bench_consumption.py [--communes 35000] [--rounds 3] [--quick]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import benchlib  # noqa: E402
import make_national  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

#: The competent baseline (the same sum, no checks).
PANDAS_SCRIPT = """
import sys, pandas as pd
conso, members, out = sys.argv[1:4]
df = pd.read_csv(conso, dtype={"idcom": str})
cols = [c for c in df.columns if c[3:5].isdigit() and 11 <= int(c[3:5]) <= 20 and c[:3] in ("naf", "art") and int(c[-2:]) == int(c[3:5]) + 1]
long = df.melt(id_vars="idcom", value_vars=cols, var_name="col", value_name="m2")
long["dest"] = long["col"].str[5:-2].replace("art", "total")  # naf11art12: the total
per_commune = long.pivot_table(index="idcom", columns="dest", values="m2", aggfunc="sum")
epci = pd.read_csv(members, dtype=str, usecols=["code_insee", "epci_siren"]).set_index("code_insee")["epci_siren"]
(per_commune.groupby(epci.reindex(per_commune.index)).sum() / 10_000).to_csv(out)
"""

ZAN_API = """
import sys
from zan import read_consumption, read_membership
from zan.measure.consumption import consumption
conso, members, out = sys.argv[1:4]
table = consumption(read_consumption(conso), read_membership(members), level="epci")
table.to_csv(out)
"""


def _programs(data: Path, work: Path) -> dict[str, list[str]]:
    conso, members = str(data / "conso_com.csv"), str(data / "communes.csv")
    py = sys.executable
    return {
        "zan CLI": [
            py,
            "-m",
            "zan",
            "-q",
            "consumption",
            conso,
            "--by",
            "epci",
            "--membership",
            members,
            "--out",
            str(work / "zan_cli.csv"),
        ],
        "zan API": [py, "-c", ZAN_API, conso, members, str(work / "zan_api.csv")],
        "pandas": [py, "-c", PANDAS_SCRIPT, conso, members, str(work / "pandas.csv")],
    }


def _check(work: Path) -> float:
    """Largest |difference| (ha) between the EPCI totals of zan and of pandas."""
    import pandas as pd

    pandas_total = pd.read_csv(work / "pandas.csv", dtype={"epci_siren": str}).set_index(
        "epci_siren"
    )["total"]
    worst = 0.0
    for name in ("zan_api.csv", "zan_cli.csv"):
        zan = pd.read_csv(work / name, sep=None, engine="python", dtype={"code": str})
        zan_total = zan.set_index("code")["total_ha"]
        if zan_total.dtype == object:
            zan_total = zan_total.str.replace(",", ".").astype(float)
        worst = max(worst, float((zan_total - pandas_total.reindex(zan_total.index)).abs().max()))
    return worst


def measure(communes: int = 35_000, epci: int = 1_250, rounds: int = 3) -> dict:
    """Generate the set, run the three programs in alternated rounds; return the figures."""
    work = Path(tempfile.mkdtemp(prefix="zan-bench-consumption-"))
    make_national.write_national(work / "data", communes, epci)
    env = {**__import__("os").environ, "PYTHONPATH": str(ROOT)}
    programs = _programs(work / "data", work)
    times = {name: [] for name in programs}
    peaks = {name: [] for name in programs}
    for _ in range(rounds):
        for name, cmd in programs.items():
            seconds, peak = benchlib.run_child(cmd, env=env)
            times[name].append(seconds)
            peaks[name].append(peak)
    return {"times": times, "peaks": peaks, "diff_ha": _check(work), "communes": communes}


def rows_from(result: dict) -> list[dict]:
    """Benchmark rows (scripts/benchlib.py) from :func:`measure`'s figures."""
    t, p = result["times"], result["peaks"]
    base_s, base_mib = min(t["pandas"]), max(p["pandas"])
    n = f"{result['communes']:,} communes"
    out = []
    for name in ("zan CLI", "zan API"):
        zan_s = min(t[name])
        out.append(
            benchlib.row(
                f"consumption per EPCI, {name}, {n} (time)",
                zan_s,
                "pandas melt + groupby (subprocess)",
                base_s,
                goal="ratio >= 1 (pandas_s / zan_s)",
                met=base_s / zan_s >= 1.0,
            )
        )
        mem = max(p[name]) / base_mib
        out.append(
            benchlib.row(
                f"consumption per EPCI, {name}, {n} (peak MiB {max(p[name]):.0f} vs "
                f"{base_mib:.0f})",
                None,
                "pandas melt + groupby (subprocess)",
                None,
                ratio=mem,
                goal="memory ratio <= 1.5 (zan / pandas)",
                met=mem <= 1.5,
            )
        )
    return out


def bench_rows(quick: bool = False) -> list[dict]:
    """The rows of this benchmark for ``scripts/bench_all.py``."""
    if quick:
        return rows_from(measure(3_800, 140, rounds=3))
    return rows_from(measure())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--communes", type=int, default=35_000)
    parser.add_argument("--epci", type=int, default=1_250)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="3,800 communes")
    args = parser.parse_args(argv)
    if args.quick:
        args.communes, args.epci = 3_800, 140
    print(f"machine: {benchlib.load()} at the start")
    result = measure(args.communes, args.epci, args.rounds)
    for name in result["times"]:
        times, peaks = result["times"][name], result["peaks"][name]
        print(
            f"{name:8s} {benchlib.summary(times)} ({', '.join(f'{x:.2f}' for x in times)}); "
            f"peak RSS max {max(peaks):.0f} MiB, median {statistics.median(peaks):.0f} MiB"
        )
    print(f"largest |zan - pandas| on the EPCI totals: {result['diff_ha']:.2e} ha")
    rows = rows_from(result)
    benchlib.print_rows(rows)
    print(f"machine: {benchlib.load()} at the end")
    return 0 if result["diff_ha"] <= 1e-6 else 1


if __name__ == "__main__":
    raise SystemExit(main())
