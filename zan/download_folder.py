"""The region folder of :func:`zan.download.download_region`: its files and their record.

:class:`RegionData` describes the folder; the functions here write its commune
contours and membership table, its scenario skeleton and the region's shipped
scenarios, and record each file's URL, SHA-256 and size for ``sources.json``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .download_transfer import file_hash
from .errors import DownloadError

__all__ = [
    "SCENARIO_TEMPLATE",
    "RegionData",
    "copy_region_scenarios",
    "find_ocsge_layer",
    "load_json",
    "source_record",
    "split_codes",
    "toml_string",
    "write_communes",
    "write_membership",
]


@dataclass(frozen=True)
class RegionData:
    """The region folder built by :func:`download_region`.

    Attributes
    ----------
    folder : pathlib.Path
    communes : pathlib.Path
        Commune contours (GeoJSON, EPSG:4326, geo.api.gouv.fr properties).
    membership : pathlib.Path
        ``code_insee``, ``nom``, ``epci_siren``, ``epci_nom``, ``departement``,
        ``departement_nom``, ``region``, ``region_nom``, ``population``.
    consumption : pathlib.Path or None
        The Cerema file, the region's rows only.
    ocsge : dict
        Département → main OCS GE layer (GeoPackage or shapefile).
    parcels : tuple of pathlib.Path
        Etalab parcel files.
    scenario : pathlib.Path
        Scenario skeleton (:func:`zan.scenario.load_scenario`).
    sources : pathlib.Path
        ``sources.json``: each file's URL, SHA-256 and size.
    notes : tuple of str
        What was assumed or left out.
    passage : pathlib.Path or None
        ``passage.csv``: the release's commune codes → the boundaries' (INSEE table de
        passage), when they differ.
    scenarios : tuple of pathlib.Path
        The region's shipped scenarios (e.g. ``hdf_sraddet_2024.toml``, the adopted
        SRADDET), copied into the folder: they read its files by name.
    """

    folder: Path
    communes: Path
    membership: Path
    consumption: Path | None
    ocsge: dict[str, Path]
    parcels: tuple[Path, ...]
    scenario: Path
    sources: Path
    notes: tuple[str, ...] = ()
    passage: Path | None = None
    scenarios: tuple[Path, ...] = ()


def copy_region_scenarios(code: str | None, folder: Path, *, passage: bool) -> list[Path]:
    """Copy the shipped scenarios of the région ``code`` into its folder (none: [])."""
    from ._write import write_text
    from .datasets import region_scenarios
    from .regions import available_regions, load_region

    if not code:
        return []
    out = []
    for name in available_regions():
        if load_region(name).code != code:
            continue
        for src in region_scenarios(name):
            text = src.read_text(encoding="utf-8")
            if not passage:  # the release is on the boundaries' COG: no table to read
                text = text.replace('passage = "passage.csv"\n', "")
            out.append(write_text(text, folder / src.name))
    return out


def load_json(path: Path, what: str) -> Any:
    """The JSON in a cached file; a damaged file is deleted and :class:`~zan.errors.DownloadError` raised."""
    try:
        return json.loads(path.read_bytes())
    except (ValueError, UnicodeDecodeError) as exc:
        path.unlink(missing_ok=True)
        raise DownloadError(
            f"{path}: the {what} is not valid JSON ({exc}); it was deleted from the cache: "
            "run the command again"
        ) from None


def write_communes(features: list[dict[str, Any]], out: Path) -> Path:
    """Write the geo.api.gouv.fr commune features, sorted by code, as a GeoJSON collection."""
    from ._write import write_text

    features = sorted(features, key=lambda f: str(f["properties"].get("code")))
    collection = {"type": "FeatureCollection", "features": features}
    return write_text(json.dumps(collection, ensure_ascii=False, separators=(",", ":")), out)


def write_membership(
    features: list[dict[str, Any]], names: dict[str, dict[str, str]], out: Path
) -> Path:
    """Write the membership table (commune → EPCI → département → région, population)."""
    import pandas as pd

    from ._write import write_csv

    props = pd.DataFrame([f["properties"] for f in features])
    for col in ("code", "nom", "codeEpci", "codeDepartement", "codeRegion", "population"):
        if col not in props.columns:
            props[col] = None
    epci = props["codeEpci"].astype("str").where(props["codeEpci"].notna())
    table = pd.DataFrame(
        {
            "code_insee": props["code"].astype("str"),
            "nom": props["nom"].astype("str"),
            "epci_siren": epci,
            "epci_nom": epci.map(names["epcis"]),
            "departement": props["codeDepartement"].astype("str"),
            "departement_nom": props["codeDepartement"].astype("str").map(names["departements"]),
            "region": props["codeRegion"].astype("str"),
            "region_nom": props["codeRegion"].astype("str").map(names["regions"]),
            "population": pd.to_numeric(props["population"], errors="coerce").astype("Int64"),
        }
    ).sort_values("code_insee", kind="stable")
    return write_csv(table, out, index=False)


def find_ocsge_layer(folder: Path, departement: str) -> Path:
    """The main OCS GE layer of an extracted archive (the largest "occupation du sol" layer)."""
    files = [p for p in folder.rglob("*") if p.suffix.lower() in (".gpkg", ".shp")]
    if not files:
        raise DownloadError(
            f"{folder}: the OCS GE archive of département {departement} holds no .gpkg or "
            ".shp layer; check the archive"
        )
    preferred = [p for p in files if "occupation_sol" in p.name.lower()]
    return max(preferred or files, key=lambda p: p.stat().st_size)


SCENARIO_TEMPLATE = """\
# Scenario skeleton written by `zan data download` for {label}.
# Paths are relative to this file. Check the data first:  zan validate {folder}
# The Cerema file follows the COG of its release and the contours the COG in force:
# passage.csv (INSEE table de passage) aligns them when they differ.

[scenario]
name = "{name}"
description = "Données officielles téléchargées : contours geo.api.gouv.fr, consommation Cerema."

[data]
communes = "communes.geojson"
membership = "membership.csv"
{consumption}
[envelope]
profile = "loi_2023"
reduction = 0.5

[allocation]
level = "epci"

[[criteria]]
name = "consommation"
rule = "past_consumption"
weight = 1.0
"""


def toml_string(text: str) -> str:
    """``text`` escaped for a TOML basic string.

    Examples
    --------
    >>> toml_string('Hauts-de-"France"')
    'Hauts-de-\\\\"France\\\\"'
    """
    return text.replace("\\", "\\\\").replace('"', '\\"')


def source_record(path: Path, url: str, folder: Path) -> dict[str, Any]:
    """The ``sources.json`` entry of a file: path in the folder, URL, SHA-256 and size."""
    return {
        "file": path.relative_to(folder).as_posix() if path.is_relative_to(folder) else str(path),
        "url": url,
        "sha256": file_hash(path),
        "bytes": path.stat().st_size,
    }


def split_codes(items: Iterable[str] | str | None) -> list[str]:
    """Codes given as a list or a comma-separated text, stripped and upper-cased.

    Examples
    --------
    >>> split_codes(" 59, 2a ")
    ['59', '2A']
    """
    if items is None:
        return []
    if isinstance(items, str):
        items = items.split(",")
    return [str(i).strip().upper() for i in items if str(i).strip()]
