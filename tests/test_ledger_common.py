"""Shared builders for the ledger tests (a tiny region with hand-checkable figures).

Two territories: A (communes 99001, 99002) with 50 ha, B (99003) with 30 ha; a
regional envelope of 100 ha, of which a reserve of 15 ha (plus 5 ha left
undistributed, so the reserve account holds 20 ha); a PENE forfait of 8 ha.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd
import pytest

from zan.ledger import Ledger

ASSIGNMENT = pd.Series(["A", "A", "B"], index=["99001", "99002", "99003"], name="territory")

#: Consumption per commune and year, in m² (vintage 1: flows of 2019-2023).
FLOWS_V1: dict[str, dict[int, int]] = {
    "99001": {2019: 70_000, 2020: 60_000, 2021: 30_000, 2022: 50_000, 2023: 40_000},
    "99002": {2019: 5_000, 2020: 5_000, 2021: 10_000, 2022: 10_000, 2023: 20_000},
    "99003": {2019: 90_000, 2020: 80_000, 2021: 100_000, 2022: 120_000, 2023: 110_000},
}
#: Vintage 2: 2022 of 99003 revised up 0.5 ha, 2023 of 99001 down 0.2 ha, 2024 added.
FLOWS_V2: dict[str, dict[int, int]] = {
    "99001": {**FLOWS_V1["99001"], 2023: 38_000, 2024: 10_000},
    "99002": {**FLOWS_V1["99002"], 2024: 0},
    "99003": {**FLOWS_V1["99003"], 2022: 125_000, 2024: 50_000},
}


class FakeAllocation:
    """What the ledger needs from :class:`zan.allocate.Allocation`."""

    def __init__(
        self,
        envelopes: dict[str, float] | None = None,
        *,
        regional: float = 100.0,
        pene: float = 8.0,
        reserve: float = 15.0,
        garantie: dict[str, float] | None = None,
        level: str = "epci",
    ) -> None:
        envelopes = envelopes or {"A": 50.0, "B": 30.0}
        self.level = level
        self.table = pd.DataFrame(
            {
                "nom": [f"Territoire {c}" for c in envelopes],
                "envelope_ha": list(envelopes.values()),
            },
            index=pd.Index(list(envelopes), name="code"),
        )
        if garantie is not None:
            self.table["garantie_ha"] = [garantie.get(c, 0.0) for c in envelopes]
        self.totals = {"envelope_ha": regional, "pene_ha": pene, "reserve_ha": reserve}
        self.name = "Essai"
        self.scenario_hash = "0" * 64


def write_cerema(path: Path, flows: dict[str, dict[int, int | None]]) -> Path:
    """A Cerema wide file (``idcom``, ``idcomtxt``, ``nafYYartZZ``) holding ``flows``."""
    years = sorted({y for f in flows.values() for y in f})
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(
            ["idcom", "idcomtxt", *[f"naf{y % 100:02d}art{(y + 1) % 100:02d}" for y in years]]
        )
        for code, f in flows.items():
            w.writerow(
                [code, f"Commune {code}", *["" if f.get(y) is None else f[y] for y in years]]
            )
    return path


def make_ledger(tmp_path: Path, name: str = "compte.gpkg", **kwargs) -> Ledger:
    """A new ledger of the tiny region."""
    alloc = kwargs.pop("allocation", None) or FakeAllocation()
    kwargs.setdefault("assignment", ASSIGNMENT)
    return Ledger.create(tmp_path / name, alloc, author="test", **kwargs)


@pytest.fixture(name="ledger")
def ledger_fixture(tmp_path: Path) -> Ledger:
    led = make_ledger(tmp_path)
    yield led
    led.close()


@pytest.fixture(name="vintage1")
def vintage1_fixture(tmp_path: Path) -> Path:
    return write_cerema(tmp_path / "conso_v1.csv", FLOWS_V1)


@pytest.fixture(name="vintage2")
def vintage2_fixture(tmp_path: Path) -> Path:
    return write_cerema(tmp_path / "conso_v2.csv", FLOWS_V2)


def count_entries(path: Path) -> int:
    import sqlite3

    with sqlite3.connect(path) as conn:
        return conn.execute("SELECT COUNT(*) FROM ledger_entries").fetchone()[0]


def test_fixture_region_adds_up(ledger: Ledger) -> None:
    """The tiny region: 50 + 30 + reserve 20 = 100 ha; the PENE forfait apart."""
    b = ledger.balance()
    assert b.loc["A", "envelope_ha"] == 50.0
    assert b.loc["B", "envelope_ha"] == 30.0
    assert b.loc["reserve", "envelope_ha"] == 20.0
    assert b.loc["pene", "envelope_ha"] == 8.0
    assert b.loc["region", "envelope_ha"] == 100.0
