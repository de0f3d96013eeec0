"""Official open data in one command: fetch, cache, check, and build a region folder.

:func:`download_region` fetches the public sources of a region (or of a list of
départements) into a cache, checks them, and builds a ready-to-use folder with a
scenario skeleton that points at it::

    <out>/communes.geojson          commune contours (geo.api.gouv.fr, EPSG:4326)
    <out>/membership.csv            commune → EPCI → département → région, population
    <out>/consumption.csv           Cerema ENAF consumption, the region's rows only
    <out>/ocsge/<dep>/...           IGN OCS GE per département, extracted
    <out>/cadastre/cadastre-<insee>-parcelles.json.gz   Etalab parcels, on request
    <out>/scenario.toml             a scenario skeleton (zan.scenario.load_scenario)
    <out>/sources.json              every file's URL, SHA-256 and size

Sources (each base URL can be changed with :class:`Settings` or the environment
variable in brackets, e.g. to use a mirror or a local test server):

- **commune contours** (``ZAN_GEO_API_URL``):
  ``https://geo.api.gouv.fr/communes?codeRegion=32&format=geojson&geometry=contour``
  ``&fields=code,nom,codeEpci,codeDepartement,codeRegion,population`` (or
  ``codeDepartement=59``); names from ``/epcis``, ``/departements``, ``/regions``
  (``?fields=code,nom&format=json``). A live API: no checksum.
- **Cerema consumption** (``ZAN_DATAGOUV_URL``, ``ZAN_CEREMA_DATASET``,
  ``ZAN_CONSUMPTION_URL``): ``https://www.data.gouv.fr/api/1/datasets/<dataset>/``
  lists the resources of the dataset of the release asked (the newest by default,
  :data:`zan.cerema.CEREMA_RELEASES`); the per-commune CSV (or zip) is taken from
  it, checked against the checksum data.gouv.fr publishes for it. Or, with
  ``source="api"``, the Cerema API (``ZAN_CEREMA_API_URL``, :mod:`zan.cerema_api`).
- **INSEE table de passage** (``ZAN_INSEE_URL``, ``ZAN_PASSAGE_URL``):
  ``https://www.insee.fr/fr/statistiques/fichier/7671867/table_passage_annuelle_<year>.zip``,
  to bring the release's COG to the boundaries' (:func:`zan.cerema.region_passage`).
- **IGN OCS GE** (``ZAN_IGN_URL``):
  ``https://data.geopf.fr/telechargement/download/OCSGE/OCS-GE_2-0__<FMT>_LAMB93_D<dep>_<date>/``
  ``OCS-GE_2-0__<FMT>_LAMB93_D<dep>_<date>.7z`` (occupation du sol, ``<FMT>`` GPKG or
  SHP) and ``.../OCSGE-ARTIFICIALISATION/OCS-GE_2-0_ARTIFICIALISATION_GPKG_LAMB93_``
  ``D<dep>_<date>/<same>.7z`` (artificialisation product); vintages in
  :data:`OCSGE_VINTAGES`. Checksums: :attr:`Settings.hashes`.
- **Etalab cadastre** (``ZAN_CADASTRE_URL``):
  ``https://cadastre.data.gouv.fr/data/etalab-cadastre/latest/geojson/communes/``
  ``<dep>/<insee>/cadastre-<insee>-parcelles.json.gz`` (``latest`` changes: no checksum).

The cache folder is ``ZAN_DATA_DIR`` when set, else the platform's cache folder
(``~/.cache/zan`` on Linux). Every download:

- goes through :mod:`pooch` (cache, known hashes) with a resumable downloader: an
  interrupted download leaves ``<file>.part`` and the next run asks the server for
  the rest (HTTP ``Range``) when it allows it;
- is checked against the publisher's checksum when there is one (data.gouv.fr
  publishes one per resource) or a hash given in :attr:`Settings.hashes`; a mismatch
  raises :class:`~zan.errors.DownloadError` naming the file, both hashes and what to do;
- fails with no network with a :class:`~zan.errors.DownloadError` that gives the
  exact path where the file can be placed by hand.

Archives (zip, 7z, tar) are extracted safely: a member whose path would leave the
target folder, a link, or a total size above :attr:`Settings.max_extract_bytes`
is refused before anything is written; ``.gz`` files are checked by a bounded
decompression. The OCS GE vintages and formats listed come from the IGN download
pages (data.geopf.fr) as of 2025; DOMAIN.md §3 describes the formats.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from .cerema import CEREMA_RELEASES
from .download_folder import (
    SCENARIO_TEMPLATE,
    RegionData,
    copy_region_scenarios,
    find_ocsge_layer,
    load_json,
    source_record,
    split_codes,
    toml_string,
    write_communes,
    write_membership,
)
from .download_transfer import (
    check_gzip,
    extract_archive,
)
from .errors import DataError, DownloadError
from .fetching import Settings, cache_dir, fetch
from .settings import CADASTRE_URL, DATAGOUV_URL, GEO_API_URL, IGN_URL

__all__ = [
    "GEO_API_URL",
    "DATAGOUV_URL",
    "IGN_URL",
    "CADASTRE_URL",
    "CEREMA_DATASET",
    "OCSGE_VINTAGES",
    "Settings",
    "RegionData",
    "cache_dir",
    "fetch",
    "extract_archive",
    "check_gzip",
    "ocsge_url",
    "cadastre_url",
    "communes_url",
    "download_region",
]

#: data.gouv.fr dataset of the newest Cerema ENAF consumption release ("Consommation
#: d'espaces naturels, agricoles et forestiers", Cerema, fichiers fonciers). Each
#: yearly release is a new dataset (:data:`zan.cerema.CEREMA_RELEASES`): pass
#: ``vintage=`` for an older one, set ``ZAN_CEREMA_DATASET`` (slug or id) to any
#: other, or ``ZAN_CONSUMPTION_URL`` to the file itself.
CEREMA_DATASET = CEREMA_RELEASES[max(CEREMA_RELEASES)].dataset
#: Properties asked from geo.api.gouv.fr for each commune.
GEO_FIELDS = "code,nom,codeEpci,codeDepartement,codeRegion,population"

#: OCS GE vintages per département: (date of the vintage, format of the "occupation du
#: sol" archive), from the IGN download pages. Other départements: pass the vintage.
OCSGE_VINTAGES: dict[str, tuple[tuple[str, str], ...]] = {
    "02": (("2018-01-01", "SHP"), ("2021-01-01", "SHP")),
    "59": (("2018-01-01", "SHP"), ("2021-01-01", "SHP")),
    "60": (("2018-01-01", "SHP"), ("2021-01-01", "SHP")),
    "62": (("2018-01-01", "SHP"), ("2021-01-01", "SHP")),
    "80": (("2017-01-01", "SHP"), ("2021-01-01", "SHP")),
}
_OCSGE_PAGE = "https://geoservices.ign.fr/ocsge"


def _strip(url: str) -> str:
    return url.rstrip("/")


def communes_url(
    *, region: str | None = None, departement: str | None = None, settings: Settings | None = None
) -> str:
    """URL of the commune contours of a region or a département on geo.api.gouv.fr.

    Examples
    --------
    >>> communes_url(region="32", settings=Settings(cache_dir=Path(".")))  # doctest: +ELLIPSIS
    'https://geo.api.gouv.fr/communes?codeRegion=32&format=geojson&geometry=contour&fields=code,nom,...'
    """
    base = _strip((settings or Settings(cache_dir=Path("."))).geo_api_url)
    if departement is not None:
        where = f"codeDepartement={departement}"
    elif region is not None:
        where = f"codeRegion={region}"
    else:
        raise DataError("communes_url: give region= or departement=")
    return f"{base}/communes?{where}&format=geojson&geometry=contour&fields={GEO_FIELDS}"


def ocsge_url(
    departement: str,
    date: str,
    *,
    fmt: str = "GPKG",
    product: str = "occupation",
    settings: Settings | None = None,
) -> str:
    """URL of an IGN OCS GE archive (.7z) for one département and vintage.

    Parameters
    ----------
    departement : str
        Département code (``"59"``, ``"2A"``).
    date : str
        Date of the vintage as IGN names it, e.g. ``"2021-01-01"``.
    fmt : {"GPKG", "SHP"}
        Format of the occupation du sol archive (the artificialisation product is
        always GPKG).
    product : {"occupation", "artificialisation"}
        Land cover/use, or IGN's artificialisation product (with ``artif``).

    Examples
    --------
    >>> ocsge_url("59", "2021-01-01", fmt="SHP")  # doctest: +NORMALIZE_WHITESPACE
    'https://data.geopf.fr/telechargement/download/OCSGE/OCS-GE_2-0__SHP_LAMB93_D059_2021-01-01/OCS-GE_2-0__SHP_LAMB93_D059_2021-01-01.7z'
    """
    base = _strip((settings or Settings(cache_dir=Path("."))).ign_url)
    dep = str(departement).upper().zfill(3)
    if product == "artificialisation":
        name = f"OCS-GE_2-0_ARTIFICIALISATION_GPKG_LAMB93_D{dep}_{date}"
        return f"{base}/OCSGE-ARTIFICIALISATION/{name}/{name}.7z"
    if product != "occupation":
        raise DataError(
            f"unknown OCS GE product {product!r}; use 'occupation' or 'artificialisation'"
        )
    name = f"OCS-GE_2-0__{fmt.upper()}_LAMB93_D{dep}_{date}"
    return f"{base}/OCSGE/{name}/{name}.7z"


def _departement_of(insee: str) -> str:
    return insee[:3] if insee.startswith("97") else insee[:2]


def cadastre_url(insee: str, *, settings: Settings | None = None) -> str:
    """URL of the Etalab parcels of one commune.

    Examples
    --------
    >>> cadastre_url("59350")  # doctest: +NORMALIZE_WHITESPACE
    'https://cadastre.data.gouv.fr/data/etalab-cadastre/latest/geojson/communes/59/59350/cadastre-59350-parcelles.json.gz'
    """
    base = _strip((settings or Settings(cache_dir=Path("."))).cadastre_url)
    return (
        f"{base}/latest/geojson/communes/{_departement_of(insee)}/{insee}/"
        f"cadastre-{insee}-parcelles.json.gz"
    )


# ----------------------------------------------------------------------------- region


def _names(settings: Settings, kind: str, refresh: bool) -> dict[str, str]:
    base = _strip(settings.geo_api_url)
    path = fetch(
        f"{base}/{kind}?fields=code,nom&format=json",
        f"{kind}.json",
        subdir="geo-api",
        what=f"list of {kind}",
        refresh=refresh,
        settings=settings,
    )
    data = load_json(path, f"list of {kind}")
    if not isinstance(data, list):
        raise DownloadError(f"{path}: expected a JSON list of {kind}; delete it and run again")
    return {str(d.get("code")): str(d.get("nom")) for d in data if isinstance(d, dict)}


def _communes(
    region: str | None, departements: Sequence[str] | None, settings: Settings, refresh: bool
) -> list[dict[str, Any]]:
    """Commune features from geo.api.gouv.fr (per département when they are given)."""
    queries: list[tuple[str, str, str]] = []
    if departements:
        for dep in departements:
            url = communes_url(departement=dep, settings=settings)
            queries.append((url, f"communes_dep-{dep}.geojson", f"département {dep}"))
    else:
        url = communes_url(region=region, settings=settings)
        queries.append((url, f"communes_reg-{region}.geojson", f"région {region}"))
    features: list[dict[str, Any]] = []
    for url, fname, area in queries:
        path = fetch(
            url,
            fname,
            subdir="geo-api",
            what="commune contours",
            refresh=refresh,
            settings=settings,
        )
        data = load_json(path, "commune contours")
        got = data.get("features") if isinstance(data, dict) else None
        if not got:
            path.unlink(missing_ok=True)
            raise DataError(f"{url}: no commune returned for {area}; check the code")
        features += got
    if departements:
        wanted = {d.upper() for d in departements}
        features = [
            f for f in features if str(f["properties"].get("codeDepartement")).upper() in wanted
        ]
    if region is not None and departements:
        features = [f for f in features if str(f["properties"].get("codeRegion")) == str(region)]
        if not features:
            raise DataError(
                f"none of the départements {', '.join(departements)} is in région {region}; "
                "check the codes"
            )
    return features


def _ocsge_vintage(dep: str, vintage: str | int | None) -> tuple[str, str]:
    known = OCSGE_VINTAGES.get(dep, ())
    if vintage is None:
        if not known:
            raise DataError(
                f"the OCS GE vintages of département {dep} are not in zan's table; "
                f"pass ocsge_vintage= (e.g. 2021 or '2021-01-01', see {_OCSGE_PAGE}) "
                "or ocsge=False"
            )
        return known[-1]
    text = str(vintage)
    for date, fmt in known:
        if date == text or date[:4] == text:
            return date, fmt
    date = text if re.fullmatch(r"\d{4}-\d\d-\d\d", text) else f"{text}-01-01"
    if not re.fullmatch(r"(19|20)\d\d-\d\d-\d\d", date):
        raise DataError(f"OCS GE vintage {vintage!r} is not a year; pass e.g. 2021")
    return date, "GPKG"


def _consumption(
    s: Settings,
    source: str,
    vintage: int | str | None,
    deps: list[str],
    features: list[dict[str, Any]],
    folder: Path,
    records: list[dict[str, Any]],
    notes: list[str],
    refresh: bool,
    *,
    passage: bool,
    passage_cog: int | None,
) -> tuple[Path, Path | None]:
    """The consumption file (release or API) and the passage.csv it needs, recorded."""
    from . import cerema

    out = folder / "consumption.csv"
    codes = sorted(str(f["properties"].get("code")) for f in features)
    if source == "api":
        from .cerema_api import fetch_consumption

        if vintage is not None:
            raise DataError(
                "--vintage chooses a release file; the Cerema API serves its own current "
                "figures: drop --vintage or use --source file"
            )
        names = {str(f["properties"].get("code")): f["properties"].get("nom") for f in features}
        path = fetch_consumption(deps, out, communes=codes, names=names, settings=s)
        api = f"{_strip(s.cerema_api_url)}/indicateurs/conso_espace/"
        records.append(source_record(path, api, folder))
        notes.append(
            "consumption from the Cerema API: road and rail as one figure (infrastructures)"
        )
        return path, None
    if source != "file":
        raise DataError(f"source {source!r} unknown: use 'file' (the release) or 'api'")
    rel = cerema.release(vintage)
    if vintage is None and (s.cerema_dataset or s.consumption_url):
        rel = replace(rel, cog=None)  # a file named by hand: its COG is found from its codes
    path, url = cerema.region_consumption(s, deps, out, rel=rel, refresh=refresh)
    records.append({**source_record(path, url, folder), "release": rel.title})
    if not passage:
        return path, None
    from .io._files import read_table

    table = read_table(path, what="consumption")
    idcom = next((c for c in table.columns if str(c).lower() == "idcom"), None)
    release_codes = table[idcom].astype(str).str.zfill(5).tolist() if idcom else codes
    passage_path, purl, more = cerema.region_passage(
        s,
        folder / "passage.csv",
        codes=release_codes,
        rel=rel,
        to_year=passage_cog,
        departements=deps,
    )
    notes += more
    if passage_path is not None:
        records.append(source_record(passage_path, purl, folder))
    return path, passage_path


def download_region(
    region: str | int | None = None,
    *,
    departements: Sequence[str] | str | None = None,
    out: str | os.PathLike[str] | None = None,
    consumption: bool = True,
    vintage: int | str | None = None,
    source: str = "file",
    passage: bool = True,
    passage_cog: int | None = None,
    ocsge: bool = True,
    ocsge_vintage: str | int | None = None,
    ocsge_product: str = "occupation",
    cadastre: Sequence[str] | str | None = None,
    refresh: bool = False,
    settings: Settings | None = None,
) -> RegionData:
    """Fetch a region's official data and build a ready-to-use folder with a scenario.

    Parameters
    ----------
    region : str or int, optional
        INSEE région code (``"32"`` Hauts-de-France).
    departements : sequence of str or comma-separated str, optional
        Départements (``"59,62"``); alone, or to keep part of ``region``.
    out : path-like, optional
        Folder to build (default ``zan-region-<code>`` in the working folder).
    consumption : bool, default True
        Fetch the Cerema consumption file and keep the region's rows.
    vintage : int or str, optional
        Cerema release, by the year of its end date (``2024`` = "au 1er janvier
        2024"); default the newest (:data:`zan.cerema.CEREMA_RELEASES`).
    source : {"file", "api"}, default "file"
        The release file from data.gouv.fr, or the Cerema API (:mod:`zan.cerema_api`;
        long layout, road and rail as one figure).
    passage : bool, default True
        With the release file, fetch INSEE's table de passage and write
        ``passage.csv`` (release's COG → boundaries' COG) when they differ.
    passage_cog : int, optional
        COG year of the boundaries (default: the current year, or the last one INSEE
        has published a table for).
    ocsge : bool, default True
        Fetch and extract IGN OCS GE for each département.
    ocsge_vintage : str or int, optional
        Vintage (``2021`` or ``"2021-01-01"``); default the latest in
        :data:`OCSGE_VINTAGES`.
    ocsge_product : {"occupation", "artificialisation"}
        OCS GE product.
    cadastre : sequence of str, "all" or None
        Communes whose Etalab parcels to fetch (INSEE codes), or ``"all"``.
    refresh : bool, default False
        Ask geo.api.gouv.fr and data.gouv.fr again instead of using the cache.
    settings : Settings, optional
        URLs, cache, limits; default :meth:`Settings.from_env`.

    Returns
    -------
    RegionData

    Raises
    ------
    DownloadError
        A file cannot be fetched (the message says which file to place where), is
        corrupt, or fails its checksum.
    DataError
        Bad codes (no commune found, départements outside the région).

    Examples
    --------
    >>> download_region()  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    zan.errors.DataError: download_region: give a région code (e.g. region='32') or départements...
    """
    s = settings or Settings.from_env()
    deps = split_codes(departements)
    reg = str(region).strip() if region is not None else None
    if reg is None and not deps:
        raise DataError(
            "download_region: give a région code (e.g. region='32') or départements "
            "(departements='59,62')"
        )
    if reg is not None and not re.fullmatch(r"\d{2}", reg):
        raise DataError(f"région code {reg!r} is not two digits (e.g. '32' Hauts-de-France)")
    bad = [d for d in deps if not re.fullmatch(r"\d{2}|2A|2B|97\d", d)]
    if bad:
        raise DataError(
            f"département code(s) {', '.join(map(repr, bad))} invalid; "
            "write two characters ('59', '2A') or three overseas ('971')"
        )
    label = f"région {reg}" if reg else f"départements {', '.join(deps)}"
    folder = Path(out) if out is not None else Path(f"zan-region-{reg or '-'.join(deps)}")
    folder.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    records: list[dict[str, Any]] = []

    features = _communes(reg, deps or None, s, refresh)
    names = {kind: _names(s, kind, refresh) for kind in ("epcis", "departements", "regions")}
    communes_path = write_communes(features, folder / "communes.geojson")
    membership_path = write_membership(features, names, folder / "membership.csv")
    geo = (
        communes_url(region=reg, settings=s)
        if not deps
        else communes_url(departement=deps[0], settings=s)
    )
    records.append(source_record(communes_path, geo, folder))
    records.append(source_record(membership_path, geo, folder))
    found_deps = sorted({str(f["properties"].get("codeDepartement")) for f in features})
    deps = deps or found_deps

    conso_path = passage_path = None
    if consumption:
        conso_path, passage_path = _consumption(
            s, source, vintage, deps, features, folder, records, notes, refresh,
            passage=passage, passage_cog=passage_cog,
        )

    layers: dict[str, Path] = {}
    if ocsge:
        for dep in deps:
            date, fmt = _ocsge_vintage(dep, ocsge_vintage)
            url = ocsge_url(dep, date, fmt=fmt, product=ocsge_product, settings=s)
            archive = fetch(
                url,
                Path(url).name,
                subdir="ocsge",
                what=f"OCS GE archive of département {dep} ({date})",
                settings=s,
            )
            target = folder / "ocsge" / dep
            try:
                extract_archive(
                    archive, target, max_bytes=s.max_extract_bytes, max_members=s.max_members
                )
            except DownloadError as exc:
                if "truncated or corrupt" in str(exc):
                    archive.unlink(missing_ok=True)
                raise
            layers[dep] = find_ocsge_layer(target, dep)
            records.append(source_record(layers[dep], url, folder))

    parcels: list[Path] = []
    if cadastre is not None:
        all_codes = sorted(str(f["properties"].get("code")) for f in features)
        everything = isinstance(cadastre, str) and cadastre.strip().lower() == "all"
        wanted = all_codes if everything else split_codes(cadastre)
        unknown = sorted(set(wanted) - set(all_codes))
        if unknown:
            raise DataError(
                f"commune(s) {', '.join(unknown[:10])} are not in {label}; "
                "check the INSEE codes passed to cadastre="
            )
        if everything and len(wanted) > 50:
            notes.append(f"{len(wanted)} parcel files fetched (one per commune)")
        for insee in wanted:
            url = cadastre_url(insee, settings=s)
            path = fetch(
                url,
                Path(url).name,
                subdir="cadastre",
                what=f"parcels of commune {insee}",
                settings=s,
            )
            try:
                check_gzip(path, max_bytes=s.max_extract_bytes)
            except DownloadError:
                path.unlink(missing_ok=True)
                raise
            dest = folder / "cadastre" / path.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            from ._write import atomic_path

            with atomic_path(dest) as tmp:
                shutil.copyfile(path, tmp)
            parcels.append(dest)
            records.append(source_record(dest, url, folder))

    from ._write import write_text

    scenario = write_text(
        SCENARIO_TEMPLATE.format(
            label=label,
            folder=folder.name,
            name=toml_string(f"Données officielles, {label}"),
            consumption=('consumption = "consumption.csv"\n' if conso_path else "")
            + ('passage = "passage.csv"\n' if passage_path else ""),
        ),
        folder / "scenario.toml",
    )
    if conso_path is None:
        notes.append(
            "no consumption file: give [envelope] reference_ha or envelope_ha in scenario.toml"
        )
    shipped = copy_region_scenarios(reg, folder, passage=passage_path is not None)
    if shipped:
        notes.append(
            "the region's shipped scenario(s) copied beside the data: "
            + ", ".join(p.name for p in shipped)
        )
    sources = write_text(
        json.dumps(
            {"area": label, "files": records, "notes": notes},
            ensure_ascii=False,
            indent=2,
            sort_keys=True,
        )
        + "\n",
        folder / "sources.json",
    )
    return RegionData(
        folder=folder,
        communes=communes_path,
        membership=membership_path,
        consumption=conso_path,
        ocsge=layers,
        parcels=tuple(parcels),
        scenario=scenario,
        sources=sources,
        notes=tuple(notes),
        passage=passage_path,
        scenarios=tuple(shipped),
    )
