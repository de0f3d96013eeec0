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

import importlib
import logging
import sys
import types
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the names below are imported on first use (__getattr__)
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
    from .maps.simulator import simulator_html
    from .measure.consumption import STATUS_LABELS, consumption, trajectory
    from .regions import load_region
    from .reports.local import local_report
    from .rules import Criterion, register_rule, rule_names
    from .scenario import Scenario, load_scenario, run_scenario, scenario_schema
    from .territory import Territories

from ._version import __version__  # noqa: E402

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
    "local_report",
    "Scenario",
    "load_scenario",
    "run_scenario",
    "scenario_schema",
    "simulator_html",
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


#: Where each public name is defined: imported on first use, so that ``import zan``
#: (and ``zan --help``) loads neither pandas nor geopandas (PEP 562).
_LAZY: dict[str, str] = {
    "errors": ".errors",
    "show_versions": "._show_versions",
    "Allocation": ".allocate",
    "allocate": ".allocate",
    "allocate_batch": ".allocate",
    "allocate_cascade": ".allocate",
    "write_allocation": ".export",
    "LAMBERT93": ".crs",
    "to_projected": ".crs",
    "get_path": ".datasets",
    "region_path": ".datasets",
    "Envelope": ".envelope",
    "load_profile": ".envelope",
    "regional_envelope": ".envelope",
    "CRSError": ".errors",
    "DataError": ".errors",
    "GeometryError": ".errors",
    "InfeasibleError": ".errors",
    "MembershipError": ".errors",
    "NoSraddetError": ".errors",
    "PeriodError": ".errors",
    "ScenarioError": ".errors",
    "SchemaError": ".errors",
    "ValidationError": ".errors",
    "ZanError": ".errors",
    "ZanWarning": ".errors",
    "AlignResult": ".io",
    "Consumption": ".io",
    "LevelTable": ".io",
    "align": ".io",
    "clip_destinations": ".io",
    "read_communes": ".io",
    "read_consumption": ".io",
    "read_level_table": ".io",
    "read_membership": ".io",
    "read_passage": ".io",
    "add_level": ".levels",
    "unassigned_communes": ".levels",
    "STATUS_LABELS": ".measure.consumption",
    "consumption": ".measure.consumption",
    "trajectory": ".measure.consumption",
    "load_region": ".regions",
    "local_report": ".reports.local",
    "Criterion": ".rules",
    "register_rule": ".rules",
    "rule_names": ".rules",
    "Scenario": ".scenario",
    "load_scenario": ".scenario",
    "run_scenario": ".scenario",
    "scenario_schema": ".scenario",
    "simulator_html": ".maps.simulator",
    "Territories": ".territory",
}


logging.getLogger(__name__).addHandler(logging.NullHandler())


def __getattr__(name: str) -> Any:
    """Import a public name on first use (PEP 562) and keep it."""
    try:
        module = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
    found = importlib.import_module(module, __name__)
    value = found if name == "errors" else getattr(found, name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(__all__))


class _Package(types.ModuleType):
    """``zan.allocate`` stays the function when the module ``zan.allocate`` is imported.

    Importing a submodule sets it as an attribute of its package; the eager
    ``from .allocate import allocate`` used to overwrite it with the function.
    """

    def __setattr__(self, name: str, value: Any) -> None:
        if name in _SHADOWED and isinstance(value, types.ModuleType):
            value = getattr(value, name)
        super().__setattr__(name, value)


#: Public functions named like the module that defines them.
_SHADOWED = {name for name, module in _LAZY.items() if module == f".{name}" and name != "errors"}
sys.modules[__name__].__class__ = _Package
