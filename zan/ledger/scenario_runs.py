"""Ledgers from scenarios: run a scenario and record its allocation (application layer).

These helpers run a scenario (:func:`zan.scenario.run_scenario`), which sits
above the ledger's kernel: they import :mod:`zan.scenario` inside the function,
so that ``import zan.ledger`` does not load the scenario machinery. The kernel
(:class:`~zan.ledger.Ledger`) records any allocation object
(:meth:`~zan.ledger.Ledger.create`, :meth:`~zan.ledger.Ledger.record_allocation`).
"""

from __future__ import annotations

import os
from typing import Any

from .core import Ledger

__all__ = ["init_ledger", "allocate_period"]


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
