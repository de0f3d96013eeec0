"""The compte foncier régional: a durable, auditable land account in one GeoPackage file.

The region and its territories keep together, in one file that needs no server
and that QGIS opens, each territory's envelope, its consumption year after year
(imported from the Cerema vintages), the projects it has committed, the grants of
the regional reserve, the transfers between territories and the national projects
counted against the PENE forfait.

=======================================  ==========================================
:func:`init_ledger`                      a new ledger from a scenario (``zan ledger init``)
:class:`Ledger`                          open a ledger; write and read through it
:func:`allocate_period`                  a scenario's allocation for 2031-2040 or
                                         2041-2050 (``zan ledger allocate``)
:meth:`Ledger.record_allocation`         the same from an allocation object
:meth:`Ledger.import_consumption`        a Cerema vintage (2021-2030), idempotent,
                                         revisions adjusted
:meth:`Ledger.import_artificialisation`  net artificialisation per commune and year
                                         (from 2031; a table or a measure), the same
                                         guarantees (``zan ledger
                                         import-artificialisation``)
:meth:`Ledger.add_project`               a project by parcels or polygon, ENAF
                                         measured, checked to lie in its territory
:meth:`Ledger.grant`                     from the regional reserve to a territory
:meth:`Ledger.transfer`                  between territories
:meth:`Ledger.record_pene`               a national project, against the PENE forfait
:meth:`Ledger.reverse`                   correct a mistake (entries are never edited)
:meth:`Ledger.balance`                   balances, pace, projection, status at any
                                         date, per period (``period=``)
:meth:`Ledger.history`                   the entries of one account, per period
:meth:`Ledger.verify`                    SHA-256 chain and invariants of every period
:func:`export_balance`                   balance table, French headers, CSV or XLSX
:func:`export_history`                   history of an account, French headers
:func:`report_data`                      the tables a report needs, in one object
:func:`example_ledger`                   a small ledger of the demo region, to try
                                         things
:func:`balance_map`                      map of remaining balance or status
=======================================  ==========================================

Modules: :mod:`~zan.ledger.store` (file, schema, migrations, locking),
:mod:`~zan.ledger.entries` (kinds, hash chain), :mod:`~zan.ledger.accounts`,
:mod:`~zan.ledger.allocation` (recording an allocation run), :mod:`~zan.ledger.core`
(:class:`Ledger`), :mod:`~zan.ledger.imports`, :mod:`~zan.ledger.projects`,
:mod:`~zan.ledger.balance`, :mod:`~zan.ledger.verify`, :mod:`~zan.ledger.export`.

Periods (loi n° 2021-1104 art. 191 and 194, DOMAIN.md §1): the ledger is created
with the allocation of its first period (2021-2030, measured in ENAF consumption);
each later decade (2031-2040, 2041-2050, measured in net artificialisation) is
credited by an allocation of its own, recorded once, with its own reserve,
garantie pools and PENE forfait; the regional invariant is checked per period.
Balances, histories, maps and exports read one period (the first by default).

Amounts are stored as whole square metres (exact sums, invariants checked without
tolerance) and shown in hectares (4 decimals = 1 m²).
"""

from __future__ import annotations

import functools
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from .accounts import PENE, RESERVE, garantie_account
from .balance import BALANCE_COLUMNS, balance_map, balances, history, map_frame
from .core import Ledger
from .entries import KINDS, LEGAL_PERIODS, METRICS
from .export import LedgerReport, french_balance, french_history, report_data, write_table
from .imports import ImportReport, import_artificialisation, import_consumption
from .projects import (
    OUTSIDE_TOLERANCE_M2,
    OUTSIDE_TOLERANCE_SHARE,
    ProjectMeasure,
    measure_project,
)
from .store import SCHEMA_VERSION
from .verify import VerifyReport

__all__ = [
    "Ledger",
    "VerifyReport",
    "ImportReport",
    "ProjectMeasure",
    "init_ledger",
    "allocate_period",
    "example_ledger",
    "report_data",
    "LedgerReport",
    "import_consumption",
    "import_artificialisation",
    "measure_project",
    "balances",
    "history",
    "map_frame",
    "balance_map",
    "export_balance",
    "export_history",
    "french_balance",
    "french_history",
    "write_table",
    "garantie_account",
    "BALANCE_COLUMNS",
    "KINDS",
    "LEGAL_PERIODS",
    "RESERVE",
    "PENE",
    "SCHEMA_VERSION",
    "METRICS",
    "OUTSIDE_TOLERANCE_M2",
    "OUTSIDE_TOLERANCE_SHARE",
]


def example_ledger(path: str | os.PathLike[str] | None = None) -> Ledger:
    """A small ledger of the synthetic demo region, to try the ledger out and for examples.

    The accounts are the three départements of the demo region
    (:meth:`zan.Territories.demo`), each credited with half of its 2011-2020 ENAF
    consumption (``zan.trajectory``, rounded down to 0.01 ha); the regional
    envelope adds a 50 ha reserve, and a 10 ha PENE forfait is kept apart.

    Parameters
    ----------
    path : path-like, optional
        Where to write it (default: a new temporary folder).

    Returns
    -------
    Ledger

    Examples
    --------
    >>> ledger = example_ledger()
    >>> ledger.accounts["account_type"].tolist()
    ['territoire', 'territoire', 'territoire', 'reserve', 'pene']
    >>> print(ledger.balance().loc["reserve", "envelope_ha"])
    50.0
    """
    import tempfile

    territories, table = _example_allocation()

    allocation = SimpleNamespace(
        level="departement",
        table=table,
        totals={
            "envelope_ha": float(table["envelope_ha"].sum()) + 50.0,
            "pene_ha": 10.0,
            "reserve_ha": 50.0,
        },
        name="Exemple : moitié de la consommation 2011-2020",
    )
    if path is None:
        path = Path(tempfile.mkdtemp(prefix="zan-ledger-")) / "compte_foncier_demo.gpkg"
    return Ledger.create(
        path, allocation, territories=territories, author="zan", justification="exemple"
    )


@functools.lru_cache(maxsize=1)
def _example_allocation() -> tuple[Any, Any]:
    """The demo territories and the envelopes of :func:`example_ledger` (computed once)."""
    import numpy as np
    import pandas as pd

    from ..datasets import get_path
    from ..io.cog import read_passage
    from ..io.consumption import read_consumption
    from ..measure.consumption import trajectory
    from ..territory import Territories

    territories = Territories.demo()
    conso, _ = read_consumption(get_path("conso_enaf_2009_2023.csv")).align(
        read_passage(get_path("passage_cog2023_cog2024.csv")),
        target_codes=territories.communes.index,
        split_weights=territories.communes["area_ha"],
    )
    allowed = trajectory(conso, territories, level="departement")["allowed_ha"]
    envelopes = np.floor(allowed * 100) / 100
    table = pd.DataFrame({"nom": territories.names("departement"), "envelope_ha": envelopes})
    return territories, table


def init_ledger(
    path: str | os.PathLike[str],
    scenario: Any,
    *,
    author: str | None = None,
    justification: str = "",
    garantie_pools: bool = True,
    overwrite: bool = False,
) -> Ledger:
    """Create a ledger from a scenario: run it and record its allocation.

    Parameters
    ----------
    path : path-like
        The new ledger file (``.gpkg``).
    scenario : path-like or Scenario
        Scenario file (TOML, :func:`zan.scenario.load_scenario`) or object.
    author, justification : str, optional
        Who creates it and why (e.g. the SRADDET deliberation).
    garantie_pools : bool, default True
        Keep each territory's garantie communale in a pool account.
    overwrite : bool, default False
        Replace an existing file.

    Returns
    -------
    Ledger

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from zan.datasets import demo_dir
    >>> scenario = demo_dir().parent / "scenarios" / "01_reduction_uniforme.toml"
    >>> ledger = init_ledger(pathlib.Path(tempfile.mkdtemp()) / "compte.gpkg", scenario)
    >>> print(round(ledger.balance().loc["region", "envelope_ha"], 4))
    2281.9646
    """
    from ..scenario import load_scenario, run_scenario

    sc = load_scenario(scenario) if isinstance(scenario, str | os.PathLike) else scenario
    allocation = run_scenario(sc)
    return Ledger.create(
        path,
        allocation,
        scenario=sc,
        author=author,
        justification=justification,
        garantie_pools=garantie_pools,
        overwrite=overwrite,
    )


def allocate_period(
    ledger: Ledger | str | os.PathLike[str],
    scenario: Any,
    *,
    period: str | tuple[int, int],
    justification: str,
    author: str | None = None,
    garantie_pools: bool = True,
) -> int:
    """Run a scenario and record its allocation for a further period of the ledger.

    The scenario must allocate at the ledger's level, on the same territories
    (:meth:`Ledger.record_allocation` names the codes that do not match). Its
    name, hash, file and the file's SHA-256 are stored with every credit.

    Write the decade's figures in the scenario: ``[envelope] target_period =
    [2031, 2040]`` with its ``envelope_ha`` (or ``reduction``), ``reserve_ha`` and
    ``pene``. A scenario without ``target_period`` targets its legal profile's
    period (2021-2030 for ``loi_2023``, 2024-2033 for ``trace_2025``); its envelope
    is recorded for ``period`` all the same, and the credits' labels name the
    period it was computed for.

    Parameters
    ----------
    ledger : Ledger or path-like
        The ledger (or its file).
    scenario : path-like or Scenario
        Scenario file (TOML) or object.
    period : str or (int, int)
        The period credited, e.g. ``"2031-2040"``.
    justification : str
        E.g. the SRADDET deliberation; required.
    author : str, optional
        Who records it.
    garantie_pools : bool, default True
        Keep each territory's garantie communale in its pool account.

    Returns
    -------
    int
        The operation number of the credits.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from zan.datasets import scenario_path
    >>> scenario = scenario_path("01_reduction_uniforme")
    >>> ledger = init_ledger(pathlib.Path(tempfile.mkdtemp()) / "compte.gpkg", scenario)
    >>> op = allocate_period(ledger, scenario, period="2031-2040", justification="SRADDET")
    >>> b = ledger.balance(period="2031-2040")
    >>> bool(b.loc["region", "envelope_ha"] == ledger.balance().loc["region", "envelope_ha"])
    True
    >>> b.attrs["metric"], ledger.verify().ok
    ('net_artificialisation', True)
    """
    from ..scenario import load_scenario, run_scenario

    sc = load_scenario(scenario) if isinstance(scenario, str | os.PathLike) else scenario
    allocation = run_scenario(sc)
    book = ledger if isinstance(ledger, Ledger) else Ledger(ledger)
    try:
        return book.record_allocation(
            allocation,
            period=period,
            justification=justification,
            scenario=sc,
            author=author,
            garantie_pools=garantie_pools,
        )
    finally:
        if book is not ledger:
            book.close()


def export_balance(
    ledger: Ledger,
    path: str | os.PathLike[str],
    *,
    at: Any = None,
    period: str | None = None,
    consolidate: bool = True,
) -> Path:
    """Write the balance table (French headers) to CSV or XLSX; return the path.

    Parameters
    ----------
    ledger : Ledger
        The ledger.
    path : path-like
        ``.csv`` or ``.xlsx``.
    at, period, consolidate
        As in :func:`~zan.ledger.balance.balances`.

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> path = export_balance(example_ledger(), pathlib.Path(tempfile.mkdtemp()) / "soldes.xlsx")
    >>> pd.read_excel(path).columns[:3].tolist()
    ['Code', 'Nom', 'Type de compte']
    """
    table = balances(ledger, at=at, period=period, consolidate=consolidate)
    head = (ledger._meta("head") or "").partition(":")[2] or "aucune écriture"
    info = {
        "Compte foncier": ledger.source,
        "Période": table.attrs["period"],
        "Arrêté au": table.attrs["at"] or "toutes les écritures",
        "Mesure": METRICS[table.attrs["metric"]],
        "Dernière année observée": table.attrs["last_year"] or "aucune",
        "Empreinte de la dernière écriture (SHA-256)": head,
    }
    return write_table(french_balance(table), path, info=info, sheet="Soldes")


def export_history(
    ledger: Ledger,
    account: str,
    path: str | os.PathLike[str],
    *,
    period: str | None = None,
) -> Path:
    """Write the history of an account (French headers) to CSV or XLSX; return the path.

    Parameters
    ----------
    ledger : Ledger
        The ledger.
    account : str
        Account code.
    path : path-like
        ``.csv`` or ``.xlsx``.
    period : str, optional
        Period (default: the ledger's).

    Examples
    --------
    >>> import tempfile, pathlib, pandas as pd
    >>> path = export_history(example_ledger(), "96", pathlib.Path(tempfile.mkdtemp()) / "h.csv")
    >>> pd.read_csv(path, encoding="utf-8-sig")["Nature"].tolist()
    ['Allocation']
    """
    table = history(ledger, account, period=period)
    info = {"Compte foncier": ledger.source, "Compte": account, "Période": table.attrs["period"]}
    return write_table(french_history(table), path, info=info, sheet="Historique")
