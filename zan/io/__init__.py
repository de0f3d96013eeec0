"""Readers of the official layers, one module per source.

- :mod:`zan.io.territories`: commune layers and membership tables;
- :mod:`zan.io.consumption`: the Cerema ENAF consumption file;
- :mod:`zan.io.cog`: tables de passage and COG alignment.
"""

from .cog import AlignResult, align, read_passage
from .consumption import DESTINATIONS, Consumption, clip_destinations, read_consumption
from .levels import LevelTable, read_level_table
from .territories import read_communes, read_membership

__all__ = [
    "AlignResult",
    "Consumption",
    "DESTINATIONS",
    "LevelTable",
    "align",
    "clip_destinations",
    "read_communes",
    "read_consumption",
    "read_level_table",
    "read_membership",
    "read_passage",
]
