"""zan: zéro artificialisation nette, the land account of a French region.

Load the official layers, measure ENAF consumption per commune, EPCI, SCoT and
region, follow each territory's 2021-2030 trajectory, share the regional envelope
across territories under configurable rules, and render it as maps.

The data flows one way: ``io`` (read and validate) → ``territory`` (hierarchy and
aggregation) → ``measure`` (consumption, trajectory, artificialisation) →
``envelope`` / ``rules`` / ``allocate`` (described by a ``scenario``) → ``maps``. See
``docs/ARCHITECTURE.md``.

Examples
--------
>>> import zan
>>> territories = zan.Territories.demo()
>>> conso = zan.read_consumption(zan.get_path("conso_enaf_2009_2023.csv"))
>>> conso, status = conso.align(zan.read_passage(zan.get_path("passage_cog2023_cog2024.csv")),
...                             target_codes=territories.communes.index,
...                             split_weights=territories.communes["area_ha"])
>>> traj = zan.trajectory(conso, territories, level="epci")
>>> len(traj) == len(territories.codes("epci"))
True
"""

from __future__ import annotations

from . import errors
from ._show_versions import show_versions
from .allocate import Allocation, allocate, allocate_batch, allocate_cascade
from .crs import LAMBERT93, to_projected
from .datasets import get_path, region_path
from .envelope import Envelope, load_profile, regional_envelope
from .errors import (
    CRSError,
    DataError,
    GeometryError,
    InfeasibleError,
    MembershipError,
    NoSraddetError,
    PeriodError,
    ScenarioError,
    SchemaError,
    ValidationError,
    ZanError,
    ZanWarning,
)
from .export import write_allocation
from .io import (
    AlignResult,
    Consumption,
    LevelTable,
    align,
    clip_destinations,
    read_communes,
    read_consumption,
    read_level_table,
    read_membership,
    read_passage,
)
from .levels import add_level, unassigned_communes
from .measure.consumption import STATUS_LABELS, consumption, trajectory
from .regions import load_region
from .rules import Criterion, register_rule, rule_names
from .scenario import Scenario, load_scenario, run_scenario, scenario_schema
from .territory import Territories

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "errors",
    "show_versions",
    # data
    "LAMBERT93",
    "to_projected",
    "get_path",
    "region_path",
    "read_communes",
    "read_membership",
    "read_consumption",
    "read_passage",
    "align",
    "AlignResult",
    "Consumption",
    "clip_destinations",
    "Territories",
    "read_level_table",
    "LevelTable",
    "add_level",
    "unassigned_communes",
    # measure
    "consumption",
    "trajectory",
    "STATUS_LABELS",
    # envelope and allocation
    "regional_envelope",
    "Envelope",
    "load_profile",
    "load_region",
    "Criterion",
    "rule_names",
    "register_rule",
    "allocate",
    "allocate_cascade",
    "allocate_batch",
    "Allocation",
    "write_allocation",
    "Scenario",
    "load_scenario",
    "run_scenario",
    "scenario_schema",
    # errors
    "ZanError",
    "DataError",
    "SchemaError",
    "ValidationError",
    "CRSError",
    "GeometryError",
    "MembershipError",
    "PeriodError",
    "ScenarioError",
    "InfeasibleError",
    "NoSraddetError",
    "ZanWarning",
]
