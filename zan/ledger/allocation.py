"""Recording an allocation run: the accounts, the communes, the geometries, the credits.

Everything is computed before the file is opened (:func:`init_plan`), then written
in one transaction (:meth:`_InitPlan.write`), which ends with the invariant check:
the territory, garantie and reserve accounts add up to the regional envelope
exactly, in m² (the reserve takes what the rounding left undistributed).

The allocation of a further period (2031-2040, 2041-2050: DOMAIN.md §1, the decades
of net artificialisation set by the SRADDET) credits the same accounts for that
period (:func:`period_plan`, :meth:`_PeriodPlan.write`): its own regional
envelope, reserve, garantie pools and PENE forfait, checked the same way. A
period has one allocation: it is never edited nor reversed.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..errors import LedgerError, PeriodError
from . import store
from .accounts import ACCOUNT_NAMES, GARANTIE_PREFIX, PENE, RESERVE, file_sha256, garantie_account
from .entries import (
    LEGAL_PERIODS,
    M2_PER_HA,
    append_entries,
    metric_of,
    next_operation,
    parse_period,
)
from .verify import check_invariants

__all__ = ["init_plan", "period_plan"]  # used by Ledger.create and Ledger.record_allocation


def _allocation_totals(allocation: Any) -> dict[str, float]:
    totals = getattr(allocation, "totals", None)
    if callable(totals):
        totals = totals()
    if not isinstance(totals, dict):
        totals = {
            k: getattr(allocation, k)
            for k in ("envelope_ha", "pene_ha", "reserve_ha", "distributed_ha")
            if hasattr(allocation, k)
        }
    if "envelope_ha" not in totals:
        raise LedgerError(
            "allocation: no regional 'envelope_ha' total; pass an Allocation from "
            "zan.scenario.run_scenario"
        )
    return {k: float(v) for k, v in totals.items() if v is not None}


def _allocation_period(allocation: Any, period: Any) -> tuple[str, int, int]:
    if period is None:
        env = getattr(allocation, "envelope", None)
        period = getattr(env, "target_period", None) or LEGAL_PERIODS[0]
    return parse_period(period, source="allocation")


@dataclass
class _InitPlan:
    """Everything the creation writes, computed before the file is opened."""

    period: str
    start: int
    end: int
    regional_m2: int
    pene_m2: int
    accounts: pd.DataFrame
    communes: pd.DataFrame
    geometries: Any
    entries: pd.DataFrame
    meta: dict[str, str]
    scenario_name: str | None
    scenario_hash: str | None

    def write(self, conn: sqlite3.Connection) -> None:
        """Write it all (inside the caller's transaction), then check the invariants."""
        now = store.now_utc()
        periods = {p: parse_period(p)[1:] for p in LEGAL_PERIODS}
        periods[self.period] = (self.start, self.end)
        conn.executemany(
            "INSERT INTO periods (period, start_year, end_year, metric) VALUES (?, ?, ?, ?)",
            [(p, s, e, metric_of(s)) for p, (s, e) in periods.items()],
        )
        conn.execute(
            "UPDATE periods SET envelope_m2 = ?, pene_m2 = ?, scenario_name = ?, "
            "scenario_hash = ?, recorded_at = ? WHERE period = ?",
            (
                self.regional_m2,
                self.pene_m2,
                self.scenario_name,
                self.scenario_hash,
                now,
                self.period,
            ),
        )
        cols = ["code", "account_type", "nom", "territory", "level"]
        conn.executemany(
            "INSERT INTO accounts (code, account_type, nom, territory, level, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(*r, now) for r in _records(self.accounts[cols])],
        )
        conn.executemany(
            "INSERT INTO communes (code, account, nom, area_ha) VALUES (?, ?, ?, ?)",
            _records(self.communes[["code", "account", "nom", "area_ha"]]),
        )
        if self.geometries is not None:
            blobs = store.gpkg_blob(self.geometries.geometry.to_numpy())
            conn.executemany(
                "INSERT INTO territories (geom, code, nom) VALUES (?, ?, ?)",
                zip(
                    blobs,
                    self.geometries.index.astype(str).tolist(),
                    self.geometries["nom"].astype(str).tolist(),
                    strict=True,
                ),
            )
            store.update_extent(conn, "territories")
        conn.executemany(
            "INSERT INTO ledger_meta (key, value) VALUES (?, ?)", list(self.meta.items())
        )
        append_entries(conn, self.entries.assign(operation=next_operation(conn)), recorded_at=now)
        check_invariants(conn, "ledger")


def _records(frame: pd.DataFrame) -> list[tuple[Any, ...]]:
    """Rows as tuples of Python values (None for missing), ready for sqlite3."""
    obj = frame.astype(object)
    return list(obj.where(frame.notna(), None).itertuples(index=False, name=None))


def _commune_assignment(
    table: pd.DataFrame, level: str, territories: Any, assignment: pd.Series | None
) -> tuple[pd.Series, pd.DataFrame | None]:
    """Commune → territory code, and commune names/areas when known."""
    info = None
    if territories is not None and hasattr(territories, "communes"):
        communes = territories.communes
        info = pd.DataFrame(
            {
                "nom": communes["nom"].astype(str) if "nom" in communes else None,
                "area_ha": communes["area_ha"] if "area_ha" in communes else np.nan,
            },
            index=communes.index.astype(str),
        )
    if assignment is not None:
        assign = pd.Series(assignment).astype(str)
        assign.index = assign.index.astype(str)
    elif territories is not None and level in getattr(territories, "levels", ()):
        assign = territories.assignment(level).astype(str)
    elif level == "commune":
        assign = pd.Series(table.index.to_numpy(), index=table.index)
    else:
        raise LedgerError(
            f"allocation at level {level!r}: the ledger needs to know the territory of each "
            "commune to import consumption; pass territories= (zan.Territories) or assignment= "
            "(a Series commune code → territory code)"
        )
    assign.index.name = "code"
    return assign, info


def _checked_table(allocation: Any) -> tuple[pd.DataFrame, np.ndarray]:
    """The allocation's table (codes as text) and its envelopes in ha, checked."""
    table = getattr(allocation, "table", None)
    if not isinstance(table, pd.DataFrame) or "envelope_ha" not in table.columns:
        raise LedgerError(
            "allocation: no table with an 'envelope_ha' column; pass an Allocation from "
            "zan.scenario.run_scenario"
        )
    table = table.copy()
    table.index = table.index.astype(str)
    if table.index.duplicated().any():
        dup = table.index[table.index.duplicated()].unique().tolist()[:10]
        raise LedgerError(f"allocation table: duplicate territory codes {dup}; give each once")
    clash = [c for c in table.index if c in (RESERVE, PENE) or c.startswith(GARANTIE_PREFIX)]
    if clash:
        raise LedgerError(
            f"allocation table: territory codes {clash} are reserved names; rename them"
        )
    env = pd.to_numeric(table["envelope_ha"], errors="coerce").to_numpy(dtype="float64")
    bad = ~np.isfinite(env) | (env < 0)
    if bad.any():
        raise LedgerError(
            f"allocation table, column 'envelope_ha': {int(bad.sum())} negative or missing "
            f"envelopes (e.g. {table.index[bad][0]!r}); fix the allocation"
        )
    return table, env


def _names(table: pd.DataFrame) -> np.ndarray:
    if "nom" in table.columns:
        return table["nom"].astype(str).to_numpy()
    return table.index.to_numpy()


@dataclass
class _Credits:
    """The allocation entries of one period, and the garantie pools they credit."""

    regional_m2: int
    pene_m2: int
    rows: pd.DataFrame
    pools: pd.DataFrame  # code, account_type, nom, territory, level of each pool account
    scenario_name: str | None
    scenario_hash: str | None


def _scenario_source(scenario: Any, allocation: Any) -> dict[str, str | None]:
    """Scenario name and hash, and the scenario file with its SHA-256 (when a file)."""
    name = getattr(getattr(scenario, "scenario", None), "name", None) or getattr(
        scenario, "name", None
    )
    name = name or getattr(allocation, "name", None)
    sc_hash = getattr(scenario, "hash", None) or getattr(allocation, "scenario_hash", None)
    path = getattr(scenario, "path", None)
    return {
        "scenario_name": name,
        "scenario_hash": sc_hash,
        "source_file": str(path) if path else None,
        "source_sha256": file_sha256(path) if path and Path(path).is_file() else None,
    }


def _credits(
    allocation: Any,
    table: pd.DataFrame,
    env: np.ndarray,
    *,
    period: tuple[str, int, int],
    level: str,
    scenario: Any,
    author: str,
    justification: str,
    garantie_pools: bool,
) -> _Credits:
    """One credit per territory, garantie pool, the reserve and the PENE forfait, in m².

    The reserve takes what the rounding (or the rates) left undistributed, so that
    the credits add up to the regional envelope exactly.
    """
    period_text, start, end = period
    totals = _allocation_totals(allocation)
    names = _names(table)
    env_m2 = np.rint(env * M2_PER_HA).astype(np.int64)
    regional_m2 = int(round(totals["envelope_ha"] * M2_PER_HA))
    pene_m2 = int(round(totals.get("pene_ha", 0.0) * M2_PER_HA))
    reserve_m2 = int(round(totals.get("reserve_ha", 0.0) * M2_PER_HA))
    rest_m2 = regional_m2 - int(env_m2.sum()) - reserve_m2
    if reserve_m2 + rest_m2 < 0:
        raise LedgerError(
            f"allocation: the territories' envelopes ({env_m2.sum() / M2_PER_HA:,.4f} ha) exceed "
            "the regional envelope less the reserve "
            f"({(regional_m2 - reserve_m2) / M2_PER_HA:,.4f} ha); "
            "check the allocation"
        )
    if reserve_m2 < 0 or rest_m2 < 0:  # rounding went the other way: keep the reserve whole
        reserve_m2, rest_m2 = reserve_m2 + rest_m2, 0
    if "garantie_ha" in table.columns and garantie_pools and level != "commune":
        gar = np.rint(
            pd.to_numeric(table["garantie_ha"], errors="coerce").fillna(0.0).to_numpy() * M2_PER_HA
        )
        gar = np.minimum(gar.astype(np.int64), env_m2)
    else:
        gar = np.zeros(len(table), dtype=np.int64)

    source = _scenario_source(scenario, allocation)
    codes = table.index.to_numpy()
    pools = gar > 0
    pool_codes = [garantie_account(c) for c in codes[pools]]
    target = getattr(getattr(allocation, "envelope", None), "target_period", None)
    label = f"Allocation {period_text}" + (
        f" – {source['scenario_name']}" if source["scenario_name"] else ""
    )
    if target is not None and (int(target[0]), int(target[1])) != (start, end):
        # The scenario's envelope was computed for another period (a legal profile sets
        # the target period): it is recorded for this one, and the label says so.
        label += f" (enveloppe du scénario calculée pour {int(target[0])}-{int(target[1])})"
    rows = pd.concat(
        [
            pd.DataFrame(
                {
                    "account": codes,
                    "amount_m2": env_m2 - gar,
                    "action": "credit",
                    "label": [f"{label} : enveloppe de {n}" for n in names],
                }
            ),
            pd.DataFrame(
                {
                    "account": pool_codes,
                    "amount_m2": gar[pools],
                    "action": "credit",
                    "label": [f"{label} : garantie communale de {n}" for n in names[pools]],
                }
            ),
            pd.DataFrame(
                {
                    "account": [RESERVE, RESERVE, PENE],
                    "amount_m2": [reserve_m2, rest_m2, pene_m2],
                    "action": "credit",
                    "label": [
                        f"{label} : réserve régionale",
                        f"{label} : reliquat non réparti (arrondis, taux)",
                        f"{label} : forfait PENE (part régionale)",
                    ],
                }
            ),
        ],
        ignore_index=True,
    )
    rows = rows[(rows["amount_m2"] != 0) | (rows["account"].isin(table.index))]
    rows = rows.assign(
        effective_date=f"{start}-01-01",
        period=period_text,
        metric=metric_of(start),
        kind="allocation",
        author=author,
        justification=justification,
        **source,
    ).reset_index(drop=True)
    pool_accounts = pd.DataFrame(
        {
            "code": pool_codes,
            "account_type": "garantie",
            "nom": [f"Garantie communale – {n}" for n in names[pools]],
            "territory": codes[pools],
            "level": level,
        }
    )
    return _Credits(
        regional_m2,
        pene_m2,
        rows,
        pool_accounts,
        source["scenario_name"],
        source["scenario_hash"],
    )


def init_plan(
    allocation: Any,
    *,
    scenario: Any,
    territories: Any,
    assignment: pd.Series | None,
    period: Any,
    author: str,
    justification: str,
    garantie_pools: bool,
) -> _InitPlan:
    """The first allocation, checked and computed before the file exists (:meth:`Ledger.create`).

    Its ``write(conn)`` records the accounts, communes, territories and credits in
    the new file's one transaction.
    """
    table, env = _checked_table(allocation)
    period_text, start, end = _allocation_period(allocation, period)
    level = str(getattr(allocation, "level", None) or "territoire")
    territories = (
        territories if territories is not None else getattr(allocation, "territories", None)
    )
    assign, info = _commune_assignment(table, level, territories, assignment)
    # Communes outside every territory of an added level (a SRADDET's receiving
    # territories) have no envelope of their own: what the rates leave stays at regional
    # level, so their consumption is charged to the regional reserve.
    outside = getattr(allocation, "unassigned", None)
    if outside is not None and len(outside):
        assign = assign.where(~assign.index.isin(outside.index.astype(str)), RESERVE)
    unknown = sorted(set(assign.unique()) - set(table.index) - {RESERVE})
    if unknown:
        raise LedgerError(
            f"commune assignment: {len(unknown)} territory code(s) are not in the allocation "
            f"table: {unknown[:10]}; use the allocation's level ({level}) for the assignment"
        )
    empty = table.index.difference(pd.Index(assign.unique()))
    if len(empty):
        raise LedgerError(
            f"allocation table: {len(empty)} territories have no commune in the assignment "
            f"({list(empty[:10])}); their consumption could never be imported: "
            "complete the assignment"
        )
    credits = _credits(
        allocation,
        table,
        env,
        period=(period_text, start, end),
        level=level,
        scenario=scenario,
        author=author,
        justification=justification,
        garantie_pools=garantie_pools,
    )
    accounts = pd.concat(
        [
            pd.DataFrame(
                {
                    "code": table.index.to_numpy(),
                    "account_type": "territoire",
                    "nom": _names(table),
                    "territory": None,
                    "level": level,
                }
            ),
            credits.pools,
            pd.DataFrame(
                {
                    "code": [RESERVE, PENE],
                    "account_type": ["reserve", "pene"],
                    "nom": [ACCOUNT_NAMES[RESERVE], ACCOUNT_NAMES[PENE]],
                    "territory": None,
                    "level": "region",
                }
            ),
        ],
        ignore_index=True,
    )

    communes = pd.DataFrame({"code": assign.index.to_numpy(), "account": assign.to_numpy()})
    if info is not None:
        communes["nom"] = info["nom"].reindex(assign.index).to_numpy()
        communes["area_ha"] = info["area_ha"].reindex(assign.index).to_numpy(dtype="float64")
    else:
        communes["nom"] = None
        communes["area_ha"] = np.nan
    geoms = None
    if territories is not None and level in getattr(territories, "levels", ()):
        geoms = territories.geometries(level).reindex(table.index)
        if geoms.crs is not None:
            geoms = geoms.to_crs(store.SRS_ID)
        geoms = geoms[geoms.geometry.notna()]
    meta = {"default_period": period_text, "level": level, "created_by": author}
    return _InitPlan(
        period_text,
        start,
        end,
        credits.regional_m2,
        credits.pene_m2,
        accounts,
        communes,
        geoms,
        credits.rows,
        meta,
        credits.scenario_name,
        credits.scenario_hash,
    )


@dataclass
class _PeriodPlan:
    """The allocation of a further period, computed before the transaction."""

    period: str
    start: int
    end: int
    level: str
    codes: pd.Index
    credits: _Credits

    def write(self, conn: sqlite3.Connection, source: str) -> int:
        """Record it (inside the caller's transaction); return the operation number."""
        rows = conn.execute(
            "SELECT period, start_year, end_year, envelope_m2, scenario_name, recorded_at "
            "FROM periods ORDER BY start_year"
        ).fetchall()
        for per, s, e, envelope, sc_name, when in rows:
            if envelope is None:
                continue
            if per == self.period:
                by = f", scenario {sc_name!r}" if sc_name else ""
                raise LedgerError(
                    f"{source}: period {per} already has an allocation (recorded {when}{by}); "
                    "an allocation is never edited nor reversed: move hectares between accounts "
                    "with transfers and reserve grants (zan ledger transfer, zan ledger grant), "
                    "or start a new ledger for a new allocation (zan ledger init)"
                )
            if s <= self.end and e >= self.start:
                raise PeriodError(
                    f"{source}: period {self.period} overlaps period {per}, which already has "
                    "an allocation; give a period that does not overlap it (the periods of the "
                    f"law are {', '.join(LEGAL_PERIODS)})"
                )
        self._check_accounts(conn, source)
        now = store.now_utc()
        if self.period not in {r[0] for r in rows}:
            conn.execute(
                "INSERT INTO periods (period, start_year, end_year, metric) VALUES (?, ?, ?, ?)",
                (self.period, self.start, self.end, metric_of(self.start)),
            )
        credits = self.credits
        conn.execute(
            "UPDATE periods SET envelope_m2 = ?, pene_m2 = ?, scenario_name = ?, "
            "scenario_hash = ?, recorded_at = ? WHERE period = ?",
            (
                credits.regional_m2,
                credits.pene_m2,
                credits.scenario_name,
                credits.scenario_hash,
                now,
                self.period,
            ),
        )
        existing = {r[0] for r in conn.execute("SELECT code FROM accounts")}
        pools = credits.pools[~credits.pools["code"].isin(existing)]
        cols = ["code", "account_type", "nom", "territory", "level"]
        conn.executemany(
            "INSERT INTO accounts (code, account_type, nom, territory, level, created_at) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [(*r, now) for r in _records(pools[cols])],
        )
        op = next_operation(conn)
        append_entries(conn, credits.rows.assign(operation=op), recorded_at=now)
        check_invariants(conn, source)
        return op

    def _check_accounts(self, conn: sqlite3.Connection, source: str) -> None:
        """The allocation's territories must be the ledger's territory accounts, no more, no less."""
        ledger = pd.Index(
            [
                r[0]
                for r in conn.execute("SELECT code FROM accounts WHERE account_type = 'territoire'")
            ]
        )
        unknown = self.codes.difference(ledger)
        missing = ledger.difference(self.codes)
        if len(unknown) or len(missing):
            parts = []
            if len(unknown):
                parts.append(
                    f"{len(unknown)} territory code(s) of the allocation are not accounts of "
                    f"the ledger ({', '.join(map(str, unknown[:10]))}"
                    f"{' ...' if len(unknown) > 10 else ''})"
                )
            if len(missing):
                parts.append(
                    f"{len(missing)} account(s) of the ledger are missing from the allocation "
                    f"({', '.join(map(str, missing[:10]))}{' ...' if len(missing) > 10 else ''})"
                )
            level = conn.execute("SELECT value FROM ledger_meta WHERE key = 'level'").fetchone()
            level = level[0] if level else "territoire"
            raise LedgerError(
                f"{source}: the allocation of {self.period} (level {self.level}) does not match "
                f"the ledger's accounts (level {level}): {'; '.join(parts)}; run the scenario at "
                f"the ledger's level ({level}) on the same territories"
            )


def period_plan(
    allocation: Any,
    *,
    period: Any,
    scenario: Any,
    author: str,
    justification: str,
    garantie_pools: bool,
    ledger_level: str,
    names: pd.Series | None = None,
) -> _PeriodPlan:
    """A further period's allocation, computed before the write (:meth:`Ledger.record_allocation`).

    Its ``write(conn, source)`` checks the accounts against the ledger's and
    records the credits; it returns their operation number.
    """
    table, env = _checked_table(allocation)
    if "nom" not in table.columns and names is not None:  # the ledger's names, in the labels
        known = names.reindex(table.index)
        table["nom"] = known.where(known.notna(), pd.Series(table.index, index=table.index))
    period_text, start, end = parse_period(period, source="allocation")
    level = str(getattr(allocation, "level", None) or ledger_level)
    credits = _credits(
        allocation,
        table,
        env,
        period=(period_text, start, end),
        level=ledger_level,
        scenario=scenario,
        author=author,
        justification=justification,
        garantie_pools=garantie_pools,
    )
    return _PeriodPlan(period_text, start, end, level, table.index, credits)
