"""A small ledger of the synthetic demo region, to try the ledger out and for examples."""

from __future__ import annotations

import functools
import os
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from .core import Ledger

__all__ = ["example_ledger"]


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
