"""Balances, pace, projection and status of every account at any date; account history.

For an account and a date (entries whose date of effect is on or before it):

- ``envelope_ha`` = allocation + reserve grants received − given + transfers in − out;
- ``consumed_ha`` = the period's metric, with revisions: Cerema ENAF consumption
  for 2021-2030, net artificialisation from 2031 (negative when renaturation
  exceeds artificialisation: it then adds to the remaining balance); ± PENE records;
- ``committed_ha`` = projects planned and not yet realised or abandoned;
- ``remaining_ha`` = envelope − consumed − committed;
- ``annual_rate_ha`` = consumed / number of years observed since the start of the
  period (the years of the latest vintage imported, up to the date);
- ``projected_ha`` = annual_rate × the years of the period (10): the consumption
  at the end of the period at the current pace, as in :func:`zan.trajectory`;
- ``status``: ``exceeded`` when consumed > envelope; ``will_exceed`` when the
  projection, or consumed + committed, is above the envelope; else ``on_track``
  (the vocabulary of :data:`zan.STATUS_LABELS`);
- ``runs_out_year``: the year the envelope runs out at the current pace (the
  year consumption went over it when it already has; empty when the pace is zero).

The region is the sum of the territory, garantie and reserve accounts (its envelope
is the regional envelope); the PENE forfait is shown apart. Its row puts the region's
**contribution** to the national PENE forfait (``envelope_ha``: what the péréquation,
or the published envelope, took off the regional envelope) and the **PENE
consumption located in the region** (``consumed_ha``: :meth:`Ledger.record_pene`)
side by side. PENE consumption is counted nationally, in the 12,500 ha forfait, and
is not capped by the region's contribution (loi n° 2023-630; DOMAIN.md §1): the row's
``status`` is ``national`` (never ``exceeded`` or ``will_exceed``), it has no
``runs_out_year``, and its ``remaining_ha`` (contribution − PENE located in the
region) may be negative without anything being exceeded. Each period is balanced
on its own entries (``period=``: 2021-2030 by default, 2031-2040, 2041-2050 once
allocated).
"""

from __future__ import annotations

import datetime as _dt
import json
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import LedgerError
from ..measure.consumption import STATUS_LABELS
from .entries import CONSUMED_KINDS, ENVELOPE_KINDS, M2_PER_HA, parse_date
from .lines import VINTAGE_ACTION, line_filter
from .store import read_snapshot

if TYPE_CHECKING:  # pragma: no cover
    from .book import Book

__all__ = [
    "BALANCE_COLUMNS",
    "PENE_STATUS",
    "account_groups",
    "balances",
    "group_balances",
    "history",
    "map_frame",
    "STATUS_LABELS",
]

#: Columns of the balance table, in order.
BALANCE_COLUMNS: tuple[str, ...] = (
    "nom",
    "account_type",
    "allocated_ha",
    "granted_ha",
    "transferred_ha",
    "envelope_ha",
    "consumed_ha",
    "committed_ha",
    "remaining_ha",
    "used_pct",
    "annual_rate_ha",
    "projected_ha",
    "projected_pct",
    "status",
    "runs_out_year",
)
_TOL_M2 = 0.5
#: Status of the PENE account: counted nationally, not capped by the region's
#: contribution (loi n° 2023-630), so never ``exceeded``.
PENE_STATUS = "national"
#: Columns of the per-account sums.
_KINDS = ("allocation", "reserve_grant", "transfer", "consumption", "pene", "project")


def _filters(period: str, at: str | None, known_at: str | None) -> tuple[str, list[Any]]:
    where, args = ["period = ?"], [period]
    if at is not None:
        where.append("effective_date <= ?")
        args.append(at)
    if known_at is not None:
        where.append("recorded_at <= ?")
        args.append(known_at)
    return " AND ".join(where), args


def _known_at(value: Any) -> str | None:
    """A moment as the UTC text entries are recorded with; a date means the end of that day."""
    if value is None:
        return None
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.UTC)
        return value.astimezone(_dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
    text = str(value).strip()
    if isinstance(value, _dt.date) or len(text) == 10:
        return parse_date(value, what="known_at") + "T23:59:59.999999Z"
    return text


def _status(envelope, consumed, committed, projected) -> np.ndarray:
    return np.select(
        [
            consumed > envelope + _TOL_M2,
            (projected > envelope + _TOL_M2) | (consumed + committed > envelope + _TOL_M2),
        ],
        ["exceeded", "will_exceed"],
        default="on_track",
    )


def _table(
    keys: np.ndarray,
    mat: np.ndarray,
    per_year: pd.DataFrame,
    names: np.ndarray,
    types: np.ndarray,
    period: tuple[int, int],
    last_year: int | None,
) -> pd.DataFrame:
    """Balance columns from per-key sums (keys × :data:`_KINDS`, m²) and yearly consumption."""
    start, end = period
    col = {k: mat[:, i] for i, k in enumerate(_KINDS)}
    env = sum(col[k] for k in ENVELOPE_KINDS)
    con = sum(col[k] for k in CONSUMED_KINDS)
    com = col["project"]
    n_years = (last_year - start + 1) if last_year is not None else 0
    with np.errstate(divide="ignore", invalid="ignore"):
        rate = con / n_years if n_years > 0 else np.full(len(keys), np.nan)
        projected = rate * (end - start + 1)
        used_pct = np.where(env > 0, con / env * 100, np.nan)
        projected_pct = np.where(env > 0, projected / env * 100, np.nan)
    # Year the envelope runs out: observed when already exceeded, else at the current pace.
    runs_out = np.full(len(keys), np.nan)
    if n_years > 0:
        with np.errstate(divide="ignore", invalid="ignore"):
            ahead = np.ceil((env - con) / rate)
        pace = (rate > 0) & np.isfinite(ahead) & (con <= env + _TOL_M2)
        runs_out[pace] = last_year + np.maximum(ahead[pace], 0)
    over = con > env + _TOL_M2
    if over.any() and per_year.shape[1]:
        cum = per_year.reindex(pd.Index(keys)).fillna(0).to_numpy().cumsum(axis=1)
        crossed = cum > env[:, None] + _TOL_M2
        first = np.where(crossed.any(axis=1), crossed.argmax(axis=1), -1)
        years = np.asarray(per_year.columns, dtype="float64")
        runs_out[over & (first >= 0)] = years[first[over & (first >= 0)]]
    out = pd.DataFrame(
        {
            "nom": names,
            "account_type": types,
            "allocated_ha": col["allocation"] / M2_PER_HA,
            "granted_ha": col["reserve_grant"] / M2_PER_HA,
            "transferred_ha": col["transfer"] / M2_PER_HA,
            "envelope_ha": env / M2_PER_HA,
            "consumed_ha": con / M2_PER_HA,
            "committed_ha": com / M2_PER_HA,
            "remaining_ha": (env - con - com) / M2_PER_HA,
            "used_pct": used_pct,
            "annual_rate_ha": rate / M2_PER_HA,
            "projected_ha": projected / M2_PER_HA,
            "projected_pct": projected_pct,
            "status": _status(env, con, com, np.nan_to_num(projected, nan=-np.inf)),
            "runs_out_year": pd.array(
                np.where(np.isfinite(runs_out), runs_out, np.nan), dtype="Int64"
            ),
        },
        index=pd.Index(keys, name="code"),
    )
    # PENE: the contribution and the PENE located in the region side by side, no cap
    pene = types == "pene"
    if pene.any():
        out.loc[pene, "status"] = PENE_STATUS
        out.loc[pene, "runs_out_year"] = pd.NA
    return out


def balances(
    ledger: Book,
    at: Any = None,
    *,
    period: str | None = None,
    known_at: Any = None,
    consolidate: bool = True,
    region: bool = True,
) -> pd.DataFrame:
    """The balance of every account at a date, with pace, projection, status and run-out year.

    Parameters
    ----------
    ledger : Ledger
        The ledger.
    at : str or date, optional
        Date (``YYYY-MM-DD``): only entries whose date of effect is on or before it
        count. Default: every entry.
    period : str, optional
        Period (default: the ledger's, e.g. ``"2021-2030"``).
    known_at : str or date, optional
        Only entries recorded by then count (UTC; a date means the end of that
        day): the balance as it was known at the time.
    consolidate : bool, default True
        Add each territory's garantie communale pool to the territory's row;
        False lists the pools as accounts of their own.
    region : bool, default True
        Add a last row ``region`` (territories, pools and reserve: the regional
        envelope).

    Returns
    -------
    pandas.DataFrame
        Indexed by account ``code`` (territories, then ``reserve``, ``pene``,
        ``region``), columns :data:`BALANCE_COLUMNS`; ``.attrs`` hold the
        ``period``, its ``metric``, ``at``, ``last_year`` observed,
        ``regional_envelope_ha``, and ``pene_contribution_ha`` and
        ``pene_located_ha`` (the PENE row's envelope and consumption: the region's
        contribution to the national forfait and the PENE consumption located in
        the region, side by side; the row's status is :data:`PENE_STATUS`, never
        ``exceeded``).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from zan.ledger import Ledger
    >>> class Alloc:
    ...     table = pd.DataFrame({"nom": ["Amont"], "envelope_ha": [90.0]}, index=["A"])
    ...     totals = {"envelope_ha": 100.0}
    >>> ledger = Ledger.create(pathlib.Path(tempfile.mkdtemp()) / "l.gpkg", Alloc(),
    ...                        assignment=pd.Series(["A"], index=["99001"]))
    >>> b = ledger.balance(at="2025-01-01")
    >>> b.loc["region", ["envelope_ha", "remaining_ha", "status"]].astype(str).tolist()
    ['100.0', '100.0', 'on_track']
    """
    return _balances(ledger, at, period, known_at, consolidate, region)


def _balances(
    ledger: Book,
    at: Any,
    period: str | None,
    known_at: Any,
    consolidate: bool,
    region: bool,
    groups: pd.Series | None = None,
    group_names: pd.Series | None = None,
) -> pd.DataFrame:
    """:func:`balances`; with ``groups`` (account → group), the accounts summed per group."""
    conn = ledger.connection
    period = period or ledger.default_period
    start, end, metric = _period_row(ledger, period)
    at_text = None if at is None else parse_date(at, what="at")
    known_text = _known_at(known_at)
    where, args = _filters(period, at_text, known_text)
    with read_snapshot(conn):
        # (an import's own entry, amount 0 and no year, changes no sum: the query stays
        # within the covering index entries_balance)
        sums = conn.execute(
            f"SELECT account, kind, SUM(amount_m2), MAX(year) FROM entries WHERE {where} "
            "GROUP BY account, kind",
            args,
        ).fetchall()
        # the lines of the imports, summed per account before their code is looked up
        lines_where, lines_args = line_filter(conn, period, at=at_text, known_at=known_text)
        sums += conn.execute(
            "SELECT a.code, 'consumption', s.m2, s.y FROM (SELECT l.account_id, "
            "SUM(l.amount_m2) AS m2, MAX(l.year) AS y FROM import_lines l "
            f"WHERE {lines_where} GROUP BY l.account_id) s "
            "JOIN line_accounts a ON a.id = s.account_id",
            lines_args,
        ).fetchall()
        rows = conn.execute(
            "SELECT code, account_type, nom, COALESCE(territory, code) FROM accounts ORDER BY rowid"
        ).fetchall()
        codes, types, names, owners = (np.array(c, dtype=object) for c in zip(*rows, strict=True))
        # Each key is an account, or a territory with its garantie pool (listed after it).
        key = np.where(types == "garantie", owners, codes) if consolidate else codes
        if groups is not None:
            key = np.asarray(
                groups.reindex(codes).fillna(pd.Series(key, index=codes)), dtype=object
            )
        key_pos, keys = pd.factorize(key)
        first = np.unique(key_pos, return_index=True)[1]
        keys = np.asarray(keys, dtype=object)
        n_accounts = np.bincount(key_pos[types == "territoire"], minlength=len(keys))
        names, types = names[first], types[first]
        if groups is not None:
            grouped = pd.Index(keys).isin(groups.to_numpy())
            types = np.where(grouped, "territoire", types)
            if group_names is not None:
                labels = group_names.reindex(keys).to_numpy(dtype=object)
                names = np.where(grouped & pd.notna(labels), labels, names)
        mat = _sum_by_key(sums, codes, key_pos, len(keys))
        if region:
            mat = np.vstack([mat, mat[types != "pene"].sum(axis=0)])
            keys = np.append(keys, "region")
            names, types = np.append(names, "Région"), np.append(types, "region")
        env = mat[:, [_KINDS.index(k) for k in ENVELOPE_KINDS]].sum(axis=1)
        con = mat[:, [_KINDS.index(k) for k in CONSUMED_KINDS]].sum(axis=1)
        years = [r[3] for r in sums if r[1] == "consumption" and r[3] is not None]
        last = max(years) if years else None
        per_year = _yearly(
            conn,
            where,
            args,
            pd.Series(key, index=codes),
            keys[con > env + _TOL_M2],
            (period, at_text, known_text),
        )
    out = _table(keys, mat, per_year, names, types, (start, end), last)
    if groups is not None:
        n_accounts = np.append(n_accounts, np.zeros(len(out) - len(n_accounts), dtype=int))
        out["n_accounts"] = np.where(out["account_type"] == "territoire", n_accounts, 0)
    out.attrs.update(
        period=period,
        metric=metric,
        at=at_text,
        last_year=last,
        regional_envelope_ha=float(out.loc["region", "envelope_ha"]) if region else None,
        pene_contribution_ha=float(out.loc[out["account_type"] == "pene", "envelope_ha"].sum()),
        pene_located_ha=float(out.loc[out["account_type"] == "pene", "consumed_ha"].sum()),
        source=ledger.source,
    )
    return out


def _period_row(ledger: Book, period: str) -> tuple[int, int, str]:
    """First year, last year and metric of a period of the ledger."""
    conn = ledger.connection
    row = conn.execute(
        "SELECT start_year, end_year, metric FROM periods WHERE period = ?", (str(period),)
    ).fetchone()
    if row is None:
        from ..errors import PeriodError

        known = [r[0] for r in conn.execute("SELECT period FROM periods ORDER BY start_year")]
        raise PeriodError(
            f"{ledger.source}: unknown period {period!r}; "
            f"the ledger's periods are {', '.join(known)}"
        )
    return int(row[0]), int(row[1]), str(row[2])


def _sum_by_key(
    sums: list[tuple[Any, ...]], codes: np.ndarray, key_pos: np.ndarray, n_keys: int
) -> np.ndarray:
    """(account, kind, m², ...) rows summed into a keys × :data:`_KINDS` array of m²."""
    out = np.zeros((n_keys, len(_KINDS)))
    if sums:
        account, kind, m2 = (np.array(c, dtype=object) for c in list(zip(*sums, strict=True))[:3])
        rows = key_pos[pd.Index(codes.astype(object)).get_indexer(account)]
        cols = pd.Index(_KINDS).get_indexer(kind)
        flat = np.bincount(
            rows * len(_KINDS) + cols, weights=m2.astype("float64"), minlength=out.size
        )
        out = flat.reshape(out.shape)
    return out


def _yearly(
    conn: Any,
    where: str,
    args: list[Any],
    key: pd.Series,
    over: np.ndarray,
    filters: tuple[str, str | None, str | None],
) -> pd.DataFrame:
    """Consumption per year of the accounts (rows) that went over their envelope.

    Read only for them, so that a balance of many accounts stays one index scan.
    ``filters``: the period, date and moment of the balance (for the import lines).
    """
    consumed = (
        f"kind IN ({', '.join(repr(k) for k in CONSUMED_KINDS)}) AND action != '{VINTAGE_ACTION}'"
    )
    period, at, known_at = filters
    frames = []
    if "region" in set(over.tolist()):
        lw, la = line_filter(conn, period, at=at, known_at=known_at)
        rows = conn.execute(
            f"SELECT year, SUM(m2) FROM (SELECT year, amount_m2 AS m2 FROM entries WHERE {where} "
            f"AND {consumed} AND account != 'pene' UNION ALL SELECT l.year, l.amount_m2 "
            f"FROM import_lines l WHERE {lw} AND l.account_id NOT IN "
            "(SELECT id FROM line_accounts WHERE code = 'pene')) GROUP BY year",
            [*args, *la],
        ).fetchall()
        frames.append(pd.DataFrame(rows, columns=["year", "m2"]).assign(key="region"))
    accounts = key.index[key.isin(set(over.tolist()) - {"region"}).to_numpy()].tolist()
    if accounts:
        lw, la = line_filter(conn, period, at=at, known_at=known_at, accounts=accounts)
        rows = conn.execute(
            f"SELECT account, year, SUM(m2) FROM (SELECT account, year, amount_m2 AS m2 "
            f"FROM entries WHERE {where} AND {consumed} "
            "AND account IN (SELECT value FROM json_each(?)) UNION ALL "
            "SELECT a.code, l.year, l.amount_m2 FROM import_lines l "
            f"JOIN line_accounts a ON a.id = l.account_id WHERE {lw}) GROUP BY account, year",
            [*args, json.dumps(accounts), *la],
        ).fetchall()
        y = pd.DataFrame(rows, columns=["account", "year", "m2"])
        frames.append(y.assign(key=key.reindex(y["account"]).to_numpy())[["year", "m2", "key"]])
    if not frames:
        return pd.DataFrame()
    return (
        pd.concat(frames)
        .pivot_table(index="key", columns="year", values="m2", aggfunc="sum", fill_value=0)
        .sort_index(axis=1)
    )


def account_groups(ledger: Book, assignment: pd.Series) -> pd.Series:
    """The larger territory each territory account lies in, from the communes it covers.

    The ledger keeps the communes of each account (``Ledger.communes``); an account
    goes to the territory of its communes in ``assignment`` (commune → territory,
    e.g. :meth:`zan.Territories.assignment` of ``"epci"``), and its garantie
    communale pool goes with it.

    Parameters
    ----------
    ledger : Ledger
        The ledger.
    assignment : pandas.Series
        Territory of each commune, indexed by commune code.

    Returns
    -------
    pandas.Series
        Group code, indexed by account code (territory and garantie accounts).

    Raises
    ------
    LedgerError
        When a commune of the ledger has no territory in ``assignment``, or an
        account's communes lie in several territories (a balance is not split:
        group at a level that contains the ledger's own).

    Examples
    --------
    >>> from zan import Territories
    >>> from zan.ledger import example_ledger
    >>> groups = account_groups(example_ledger(), Territories.demo().assignment("region"))
    >>> sorted(set(groups)), groups.index[:2].tolist()
    (['99'], ['96', '98'])
    """
    communes = ledger.communes
    communes.index = communes.index.astype(str)
    a = pd.Series(assignment)
    a.index = a.index.astype(str)
    group = a.reindex(communes.index)
    missing = group.index[group.isna()].tolist()
    if missing:
        raise LedgerError(
            f"{ledger.source}: {len(missing)} commune(s) of the ledger have no territory in the "
            f"assignment (first: {', '.join(missing[:5])}); give the territories of every "
            "commune of the ledger (the same commune geography, COG)"
        )
    per_account = group.astype(str).groupby(communes.to_numpy())
    spread = per_account.nunique()
    if (spread > 1).any():
        code = str(spread.index[spread.to_numpy() > 1][0])
        where = sorted(per_account.get_group(code).unique())
        raise LedgerError(
            f"{ledger.source}: account {code} ({ledger.level}) covers communes of "
            f"{len(where)} territories ({', '.join(where[:5])}); a balance cannot be split: "
            f"group the accounts at a level that contains the ledger's ({ledger.level})"
        )
    out = per_account.first()
    acc = ledger.accounts
    pools = acc[(acc["account_type"] == "garantie") & acc["territory"].isin(out.index)]
    out = pd.concat([out, pd.Series(out.reindex(pools["territory"]).to_numpy(), index=pools.index)])
    out.index = out.index.astype(str)
    out.index.name = "account"
    return out.rename("group")


def group_balances(
    ledger: Book,
    assignment: pd.Series,
    at: Any = None,
    *,
    names: pd.Series | None = None,
    period: str | None = None,
    known_at: Any = None,
    region: bool = True,
) -> pd.DataFrame:
    """The balances of the territory accounts summed into larger territories.

    A ledger kept per commune, read per EPCI or SCoT: each territory account (with
    its garantie communale pool) goes to the territory of its communes
    (:func:`account_groups`) and its entries are summed there, so that envelope,
    consumed, committed and remaining are the sums of the accounts' own, and pace,
    projection, status and run-out year are those of the sums (an EPCI may be on
    track while one of its communes is over its envelope).

    Parameters
    ----------
    ledger : Ledger
        The ledger.
    assignment : pandas.Series
        Territory of each commune, indexed by commune code.
    at, period, known_at, region
        As in :func:`balances`.
    names : pandas.Series, optional
        Name of each territory (default: the name of its first account).

    Returns
    -------
    pandas.DataFrame
        As :func:`balances` (consolidated), indexed by territory code, then
        ``reserve``, ``pene``, ``region``; one more column ``n_accounts``, the number
        of territory accounts summed.

    Raises
    ------
    LedgerError
        As :func:`account_groups`.

    Examples
    --------
    >>> from zan import Territories
    >>> from zan.ledger import example_ledger
    >>> ledger = example_ledger()
    >>> t = Territories.demo()
    >>> b = group_balances(ledger, t.assignment("region"), names=t.names("region"))
    >>> b.loc["99", "nom"], int(b.loc["99", "n_accounts"])
    ('Région Démo', 3)
    >>> per_dep = ledger.balance()
    >>> bool(b.loc["99", "envelope_ha"] == per_dep.loc[["96", "98", "99"], "envelope_ha"].sum())
    True
    """
    groups = account_groups(ledger, assignment)
    return _balances(ledger, at, period, known_at, True, region, groups, names)


def history(
    ledger: Book,
    account: str,
    *,
    period: str | None = None,
    include_pool: bool = True,
) -> pd.DataFrame:
    """Every entry of one account, in order of effect, with the running remaining balance.

    Parameters
    ----------
    ledger : Ledger
        The ledger.
    account : str
        Account code (a territory, ``reserve``, ``pene``, ``garantie:<code>``).
    period : str, optional
        Period (default: the ledger's).
    include_pool : bool, default True
        For a territory, include its garantie communale pool.

    Returns
    -------
    pandas.DataFrame
        Indexed by entry ``id``: ``effective_date``, ``recorded_at``, ``kind``,
        ``action``, ``account``, ``counterpart``, ``year``, ``project``, ``label``,
        ``author``, ``justification``, ``source_file``, ``envelope_ha``,
        ``consumed_ha``, ``committed_ha`` (the entry's movement in each column)
        and ``remaining_ha`` (after the entry).

    Raises
    ------
    LedgerError
        Unknown account.

    Examples
    --------
    >>> from zan.ledger import example_ledger
    >>> ledger = example_ledger()
    >>> op = ledger.transfer("96", "98", 3, justification="accord", date="2024-02-01")
    >>> ledger.history("96")[["kind", "envelope_ha"]].values.tolist()[-1]
    ['transfer', -3.0]
    """
    conn = ledger.connection
    code = str(account).strip()
    if conn.execute("SELECT 1 FROM accounts WHERE code = ?", (code,)).fetchone() is None:
        codes = [r[0] for r in conn.execute("SELECT code FROM accounts ORDER BY rowid LIMIT 8")]
        raise LedgerError(
            f"{ledger.source}: unknown account {code!r}; accounts are e.g. {', '.join(codes)}"
        )
    codes = [code]
    if include_pool:
        codes += [
            r[0] for r in conn.execute("SELECT code FROM accounts WHERE territory = ?", (code,))
        ]
    period = period or ledger.default_period
    metric = _period_row(ledger, period)[2]
    df = pd.read_sql_query(
        "SELECT id, effective_date, recorded_at, kind, action, account, counterpart, year, "
        "project, label, author, justification, source_file, amount_m2 FROM ledger_entries "
        f"WHERE period = ? AND account IN ({', '.join('?' * len(codes))}) "
        "ORDER BY effective_date, id",
        conn,
        params=[period, *codes],
    ).set_index("id")
    amount = df.pop("amount_m2").to_numpy(dtype="float64") / M2_PER_HA
    kind = df["kind"].to_numpy()
    df["envelope_ha"] = np.where(np.isin(kind, ENVELOPE_KINDS), amount, 0.0)
    df["consumed_ha"] = np.where(np.isin(kind, CONSUMED_KINDS), amount, 0.0)
    df["committed_ha"] = np.where(kind == "project", amount, 0.0)
    effect = df["envelope_ha"] - df["consumed_ha"] - df["committed_ha"]
    df["remaining_ha"] = np.round(effect.cumsum().to_numpy(), 4)
    df.attrs.update(account=code, period=period, metric=metric, source=ledger.source)
    return df


def map_frame(
    ledger: Book,
    at: Any = None,
    *,
    period: str | None = None,
    territories: Any = None,
) -> Any:
    """Remaining balance and status of each territory, with its geometry, for maps.

    Parameters
    ----------
    ledger : Ledger
        The ledger.
    at, period
        As in :func:`balances`.
    territories : Territories, optional
        Source of the geometries when the ledger holds none.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by territory ``code`` in EPSG:2154, with the balance columns
        (consolidated) and ``geometry``; ready for :func:`zan.maps.choropleth`
        (``remaining_ha``) and :func:`zan.maps.status_map` (``status``).

    Raises
    ------
    LedgerError
        When neither the ledger nor ``territories`` holds geometries.

    Examples
    --------
    >>> from zan.ledger import example_ledger
    >>> gdf = example_ledger().map_frame()
    >>> gdf.crs.to_epsg(), gdf.index.tolist(), gdf["status"].unique().tolist()
    (2154, ['96', '98', '99'], ['on_track'])
    """
    import geopandas as gpd

    from .store import SRS_ID, read_gpkg_blob

    table = balances(ledger, at=at, period=period, region=False)
    table = table[table["account_type"] == "territoire"]
    rows = ledger.connection.execute("SELECT code, geom FROM territories").fetchall()
    if rows:
        geoms = gpd.GeoSeries(
            read_gpkg_blob([r[1] for r in rows]),
            index=pd.Index([r[0] for r in rows], name="code"),
            crs=SRS_ID,
        )
    elif territories is not None:
        geoms = territories.geometries(ledger.level).geometry.to_crs(SRS_ID)
    else:
        raise LedgerError(
            f"{ledger.source}: the ledger holds no territory geometry; pass territories= "
            "(zan.Territories) to map it"
        )
    out = gpd.GeoDataFrame(table, geometry=geoms.reindex(table.index).to_numpy(), crs=SRS_ID)
    out.index.name = "code"
    out.attrs.update(table.attrs)
    return out
