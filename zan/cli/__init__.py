"""The ``zan`` command: a thin mirror of the library.

Each command parses its options, calls one or two library functions, and writes
their result. Errors raised by zan (:class:`zan.errors.ZanError`) are printed as
one line and exit with status 2; ``zan --debug ...`` shows the traceback instead.

One module per command group; each command imports the library inside its function,
so that ``zan --help`` and ``zan COMMAND --help`` load neither pandas nor geopandas:

- :mod:`zan.cli.group`: the ``zan`` group (errors, warnings, ``-v``/``-q``), ``versions``;
- :mod:`zan.cli.common`: options and helpers shared by the commands;
- :mod:`zan.cli.measures`: ``consumption``, ``trajectory``;
- :mod:`zan.cli.landcover`: ``artif``, ``parcels``, ``raster-stats``;
- :mod:`zan.cli.scenarios`: ``allocate``, ``schema``, ``compare``, ``sensitivity``;
- :mod:`zan.cli.maps`: ``map``, ``atlas``, ``simulator``;
- :mod:`zan.cli.outputs`: ``report``, ``export``;
- :mod:`zan.cli.local`: ``local-report``;
- :mod:`zan.cli.ledger`: the ``ledger`` group;
- :mod:`zan.cli.data`: ``data download``, ``validate``, ``demo``.
"""

from __future__ import annotations

# the command modules register their commands on ``main`` when imported
from . import data, landcover, ledger, local, maps, measures, outputs, scenarios  # noqa: F401
from .common import LEVELS
from .group import main

__all__ = ["LEVELS", "main"]
