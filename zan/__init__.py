"""zan: zéro artificialisation nette, the land account of a French region.

Load the official layers, measure ENAF consumption and artificialisation per
commune, EPCI, SCoT and region, share the regional envelope across territories
under configurable rules, and render it as maps and reports.
"""

from __future__ import annotations

from . import errors
from .crs import LAMBERT93, to_projected
from .datasets import get_path
from .errors import DataError, ScenarioError, ZanError

__version__ = "0.1.0"

__all__ = [
    "__version__",
    "errors",
    "LAMBERT93",
    "to_projected",
    "get_path",
    "ZanError",
    "DataError",
    "ScenarioError",
]
