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
:func:`group_balances`                   balances summed per EPCI, SCoT… (commune
                                         accounts into their territory)
:meth:`Ledger.history`                   the entries of one account, per period
:meth:`Ledger.verify`                    SHA-256 chain and invariants of every period
:func:`export_balance`                   balance table, French headers, CSV or XLSX
:func:`export_history`                   history of an account, French headers
:func:`report_data`                      the tables a report needs, in one object
:func:`example_ledger`                   a small ledger of the demo region, to try
                                         things
:func:`balance_map`                      map of remaining balance or status
:func:`backup_ledger`                    a verified copy, safe while in use
                                         (``zan ledger backup``)
=======================================  ==========================================

Modules, from the bottom up: :mod:`~zan.ledger.store` (file, schema, migrations,
locking), :mod:`~zan.ledger.entries` (kinds, hash chain), :mod:`~zan.ledger.lines` (an
import as one chained entry and its compact lines), :mod:`~zan.ledger.accounts`,
:mod:`~zan.ledger.verify` (invariants), :mod:`~zan.ledger.book` (the kernel: the open
file, its write transactions, accounts and periods); the modules that take a book:
:mod:`~zan.ledger.allocation` (recording an allocation run), :mod:`~zan.ledger.moves`
(transfers, grants, PENE, reversals), :mod:`~zan.ledger.imports` (with
:mod:`~zan.ledger.net_table`), :mod:`~zan.ledger.projects`, :mod:`~zan.ledger.balance`;
:mod:`~zan.ledger.core` (:class:`Ledger`, the facade: one method per operation),
:mod:`~zan.ledger.example`, :mod:`~zan.ledger.access` (read-only opening, damaged files,
backups). Presentation: :mod:`~zan.ledger.export` (French tables,
report data, the map). Application: :mod:`~zan.ledger.scenario_runs` (ledgers from
scenarios).

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

from .access import backup_ledger
from .accounts import PENE, RESERVE, garantie_account
from .balance import (
    BALANCE_COLUMNS,
    account_groups,
    balances,
    group_balances,
    history,
    map_frame,
)
from .core import Ledger
from .entries import KINDS, LEGAL_PERIODS, METRICS
from .example import example_ledger
from .export import (
    LedgerReport,
    balance_map,
    export_balance,
    export_history,
    french_balance,
    french_history,
    report_data,
    write_table,
)
from .imports import ImportReport, import_artificialisation, import_consumption
from .projects import (
    OUTSIDE_TOLERANCE_M2,
    OUTSIDE_TOLERANCE_SHARE,
    ProjectMeasure,
    measure_project,
)
from .scenario_runs import allocate_period, init_ledger
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
    "group_balances",
    "account_groups",
    "history",
    "map_frame",
    "balance_map",
    "backup_ledger",
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
