"""The Cerema consumption releases and the INSEE table de passage, for :mod:`zan.download`.

Each yearly release of the Cerema file "consommation d'espaces naturels, agricoles
et forestiers" is a new data.gouv.fr dataset, in the Code officiel géographique
(COG) of its release (DOMAIN.md §3); :data:`CEREMA_RELEASES` lists those zan knows,
newest last. :func:`release` picks one (the newest by default), and
:func:`region_consumption` fetches its per-commune file and keeps the rows of some
départements.

The boundaries of geo.api.gouv.fr follow the COG in force: :func:`region_passage`
fetches INSEE's *table de passage annuelle* (``table_passage_annuelle_<year>.zip``,
sheet ``COM``: one column ``CODGEO_<y>`` per year since 2003) and writes the pairs
old code → new code from the release's COG to the boundaries' COG, in the two-column
form :func:`zan.io.cog.read_passage` reads.

Every URL can be changed (:class:`zan.download.Settings` or the environment):
``ZAN_CEREMA_DATASET`` (the dataset), ``ZAN_CONSUMPTION_URL`` (the file itself),
``ZAN_INSEE_URL`` (the folder of INSEE's tables), ``ZAN_PASSAGE_URL`` (the table
itself). docs/DOWNLOAD.md lists them.
"""

from __future__ import annotations

import datetime as _dt
import re
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .download_folder import load_json
from .errors import DataError, DownloadError
from .settings import INSEE_URL

if TYPE_CHECKING:
    from .fetching import Settings

__all__ = [
    "CEREMA_RELEASES",
    "INSEE_URL",
    "CeremaRelease",
    "release",
    "consumption_source",
    "region_consumption",
    "passage_url",
    "passage_pairs",
    "region_passage",
]

#: Folder of INSEE's COG files (the page "Table de passage annuelle",
#: https://www.insee.fr/fr/information/7671867); files ``table_passage_annuelle_<year>.zip``.
_SLUG = (
    "consommation-despaces-naturels-agricoles-et-forestiers"
    "-du-1er-janvier-{first}-au-1er-janvier-{end}"
)


@dataclass(frozen=True)
class CeremaRelease:
    """One release of the Cerema consumption file.

    Attributes
    ----------
    vintage : int
        Year of the release's end date ("au 1er janvier 2025" → 2025); its last
        annual flow is that of ``vintage - 1``.
    first_year : int
        Its first annual flow (the window slides: 2009, then 2011 from 2025).
    dataset : str
        data.gouv.fr dataset (slug).
    cog : int or None
        COG year of its commune codes, when its notice states it; ``None``: found
        from the codes themselves (:func:`passage_pairs`).
    dataset_id, resource_id : str or None
        data.gouv.fr ids of the dataset and of its per-commune CSV, when known; the
        resource is then taken by its id, else by its title and format.
    """

    vintage: int
    first_year: int
    dataset: str
    cog: int | None
    dataset_id: str | None = None
    resource_id: str | None = None

    @property
    def title(self) -> str:
        """``"du 1er janvier 2011 au 1er janvier 2025"``."""
        return f"du 1er janvier {self.first_year} au 1er janvier {self.vintage}"


def _release(first: int, end: int, cog: int | None, *ids: str) -> CeremaRelease:
    return CeremaRelease(end, first, _SLUG.format(first=first, end=end), cog, *ids)


#: The releases zan knows, by vintage (DOMAIN.md §3). The 2023 and 2025 COG come
#: from the releases' notices; the 2024 release's is found from its codes. The
#: 2011-2025 release: dataset 6a01b9280dd2d45907e5fc61, ``conso_com.csv`` resource
#: b258feec-f8ff-4e0a-93b3-baf1fe46ef66 (172 columns, ratios recalculated 24 Jul 2026).
CEREMA_RELEASES: dict[int, CeremaRelease] = {
    2023: _release(2009, 2023, 2024),
    2024: _release(2009, 2024, None),
    2025: _release(
        2011, 2025, 2025, "6a01b9280dd2d45907e5fc61", "b258feec-f8ff-4e0a-93b3-baf1fe46ef66"
    ),
}


def release(vintage: int | str | None = None) -> CeremaRelease:
    """The Cerema release of a vintage, the newest by default.

    Parameters
    ----------
    vintage : int or str, optional
        Year of the release's end date, e.g. ``2024`` ("au 1er janvier 2024").

    Returns
    -------
    CeremaRelease

    Raises
    ------
    DataError
        For a vintage zan does not know (the message lists those it knows).

    Examples
    --------
    >>> release().title
    'du 1er janvier 2011 au 1er janvier 2025'
    >>> release(2023).first_year
    2009
    """
    if vintage is None:
        return CEREMA_RELEASES[max(CEREMA_RELEASES)]
    try:
        year = int(str(vintage).strip())
    except ValueError:
        year = -1
    if year not in CEREMA_RELEASES:
        known = ", ".join(map(str, sorted(CEREMA_RELEASES)))
        raise DataError(
            f"Cerema release {vintage!r} is not known to zan (known vintages: {known}); "
            "pass one of them (--vintage 2024), or name the data.gouv.fr dataset with "
            "ZAN_CEREMA_DATASET, or the file itself with ZAN_CONSUMPTION_URL"
        )
    return CEREMA_RELEASES[year]


def _pick_resource(resources: list[dict[str, Any]], source: str) -> dict[str, Any]:
    """The per-commune CSV (or zip) of the Cerema dataset."""

    def text(r: dict[str, Any]) -> str:
        return f"{r.get('title', '')} {r.get('url', '')}".lower()

    def fmt(r: dict[str, Any]) -> str:
        f = str(r.get("format") or "").lower()
        return f or Path(str(r.get("url", ""))).suffix.lstrip(".").lower()

    found = [
        r
        for r in resources
        if fmt(r) in ("csv", "zip")
        and re.search(r"com", text(r))
        and not re.search(r"dep|reg|epci|carroy|scot|doc|notice|pdf", text(r))
    ]
    if not found:
        titles = "; ".join(str(r.get("title")) for r in resources[:15]) or "none"
        raise DownloadError(
            f"{source}: no per-commune CSV among the dataset's resources ({titles}); "
            "pass the file's URL with ZAN_CONSUMPTION_URL (or Settings.consumption_url)"
        )

    def year(r: dict[str, Any]) -> int:
        # the year in the title or the file name, never in the host or port of the URL
        name = Path(urlsplit(str(r.get("url", ""))).path).name
        years = re.findall(r"(?<!\d)20\d\d(?!\d)", f"{r.get('title', '')} {name}")
        return max(map(int, years)) if years else 0

    found.sort(key=lambda r: (fmt(r) == "csv", year(r)), reverse=True)
    return found[0]


def consumption_source(
    settings: Settings, rel: CeremaRelease, refresh: bool = False
) -> tuple[str, str, str | None]:
    """(URL, file name, known hash) of a release's per-commune file.

    ``settings.consumption_url`` wins; else the dataset ``settings.cerema_dataset``
    when set, else the release's, is asked to data.gouv.fr for its resources.
    """
    from .fetching import fetch

    if settings.consumption_url:
        url = settings.consumption_url
        name = Path(url.split("?")[0]).name or "consumption.csv"
        return url, name, None
    dataset = settings.cerema_dataset or rel.dataset
    api = f"{settings.datagouv_url.rstrip('/')}/api/1/datasets/{dataset}/"
    path = fetch(
        api,
        f"dataset_{re.sub(r'[^A-Za-z0-9_.-]', '_', dataset)[:80]}.json",
        subdir="cerema",
        what="description of the Cerema dataset on data.gouv.fr",
        refresh=refresh,
        settings=settings,
    )
    data = load_json(path, "data.gouv.fr dataset description")
    resources = data.get("resources") if isinstance(data, dict) else None
    if not isinstance(resources, list):
        raise DownloadError(f"{api}: no 'resources' in the dataset description; check the dataset")
    by_id = [r for r in resources if rel.resource_id and r.get("id") == rel.resource_id]
    res = by_id[0] if by_id and not settings.cerema_dataset else _pick_resource(resources, api)
    checksum = res.get("checksum") or {}
    known = None
    if isinstance(checksum, dict) and checksum.get("type") and checksum.get("value"):
        known = f"{str(checksum['type']).lower()}:{checksum['value']}"
    name = Path(str(res["url"]).split("?")[0]).name or "consumption.csv"
    return str(res["url"]), name, known


def _first_csv(path: Path, settings: Settings, what: str, suffixes: tuple[str, ...]) -> Path:
    """The file itself, or the largest member with one of ``suffixes`` of a zip."""
    from .download_transfer import extract_archive

    if not zipfile.is_zipfile(path):
        return path
    files = extract_archive(
        path, path.with_name(path.name + ".d"), max_bytes=settings.max_extract_bytes
    )
    found = [f for f in files if f.suffix.lower() in suffixes]
    if not found:
        raise DownloadError(
            f"{path}: no {'/'.join(suffixes)} file in the archive of the {what}; "
            "check the archive or pass the file's URL (docs/DOWNLOAD.md)"
        )
    return max(found, key=lambda p: p.stat().st_size)


def region_consumption(
    settings: Settings,
    departements: Sequence[str],
    out: Path,
    *,
    rel: CeremaRelease | None = None,
    refresh: bool = False,
) -> tuple[Path, str]:
    """Fetch a release's file and write the rows of some départements to ``out``.

    Returns
    -------
    path : pathlib.Path
        ``out`` (``;``-separated, the release's columns as they are).
    url : str
        Where the file came from.
    """
    import pandas as pd

    from ._write import write_csv
    from .fetching import fetch
    from .io._files import read_table

    rel = rel or release()
    url, name, known = consumption_source(settings, rel, refresh)
    path = fetch(
        url,
        name,
        subdir="cerema",
        known_hash=known,
        what="Cerema consumption file",
        settings=settings,
    )
    path = _first_csv(path, settings, "Cerema consumption file", (".csv", ".txt"))
    table = read_table(path, what="consumption")
    lower = {str(c).lower(): c for c in table.columns}
    if "iddep" in lower:
        deps = table[lower["iddep"]].astype("str").str.strip().str.upper().str.zfill(2)
    elif "idcom" in lower:
        codes = table[lower["idcom"]].astype("str").str.strip().str.upper().str.zfill(5)
        deps = codes.str[:2].where(~codes.str.startswith("97"), codes.str[:3])
    else:
        raise DataError(
            f"{path}: no iddep or idcom column to select the région's communes "
            f"(columns: {', '.join(map(str, table.columns[:20]))}); is it the Cerema file?"
        )
    keep = deps.isin([d.upper() for d in departements])
    if not keep.any():
        raise DataError(
            f"{path}: no commune of départements {', '.join(departements)} in the file; "
            "check the codes or the file"
        )
    region_rows = pd.DataFrame(table[keep.to_numpy()]).reset_index(drop=True)
    return write_csv(region_rows, out, index=False, sep=";"), url


# ----------------------------------------------------------------------------- passage


def passage_url(year: int, *, settings: Settings | None = None) -> str:
    """URL of INSEE's table de passage annuelle of a COG year.

    Examples
    --------
    >>> from zan.download import Settings
    >>> passage_url(2026, settings=Settings.from_env(insee_url="https://example.org/insee"))
    'https://example.org/insee/table_passage_annuelle_2026.zip'
    """
    from .fetching import Settings

    s = settings or Settings.from_env()
    return f"{s.insee_url.rstrip('/')}/table_passage_annuelle_{int(year)}.zip"


def _read_insee_table(path: Path) -> Any:
    """INSEE's table (xlsx, sheet COM, a few title lines first; or CSV) as text columns."""
    import pandas as pd

    if path.suffix.lower() in (".csv", ".txt"):
        from .io._files import read_table

        return read_table(path, what="table de passage")
    try:
        with pd.ExcelFile(path) as book:
            name = "COM" if "COM" in book.sheet_names else book.sheet_names[0]
            sheet = pd.read_excel(book, sheet_name=name, header=None, dtype=str)
    except Exception as exc:  # noqa: BLE001 - any unreadable workbook
        raise DownloadError(
            f"{path}: INSEE's table de passage cannot be read ({exc}); delete it and run again"
        ) from None
    for i in range(min(len(sheet), 20)):
        row = [str(v).strip() for v in sheet.iloc[i].tolist()]
        if any(re.fullmatch(r"CODGEO_\d{4}", v) for v in row):
            table = sheet.iloc[i + 1 :].reset_index(drop=True)
            table.columns = row
            return table
    raise DownloadError(
        f"{path}: no CODGEO_<year> header in INSEE's table de passage (sheet COM); "
        "check the file, or pass a table of your own to zan consumption --passage"
    )


def passage_pairs(
    table: Any, to_year: int, *, from_year: int | None = None, codes: Sequence[str] = ()
) -> tuple[Any, int]:
    """Old code → new code pairs of an INSEE table, for the communes that changed.

    Parameters
    ----------
    table : pandas.DataFrame
        INSEE's table de passage annuelle (columns ``CODGEO_<y>``, ``LIBGEO_<y>``).
    to_year : int
        COG year of the boundaries.
    from_year : int, optional
        COG year of the release; found from ``codes`` when not given: the year whose
        codes hold most of them (the latest on a tie).
    codes : sequence of str
        Commune codes of the release, to find its year.

    Returns
    -------
    pairs : pandas.DataFrame
        ``code_<from>``, ``nom_<from>``, ``code_<to>``, ``nom_<to>``: every pair of
        the old codes that changed (a split keeps all its pairs); empty when nothing
        changed.
    from_year : int

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"CODGEO_2026": ["02001", "02001", "02003"],
    ...                   "LIBGEO_2026": ["A", "A", "C"],
    ...                   "CODGEO_2025": ["02001", "02002", "02003"],
    ...                   "LIBGEO_2025": ["A", "B", "C"]})
    >>> pairs, year = passage_pairs(t, 2026, codes=["02001", "02002", "02003"])
    >>> year, pairs["code_2025"].tolist(), pairs["code_2026"].tolist()
    (2025, ['02001', '02002'], ['02001', '02001'])
    """
    years = sorted(
        int(m.group(1)) for c in table.columns if (m := re.fullmatch(r"CODGEO_(\d{4})", str(c)))
    )
    if to_year not in years:
        raise DataError(
            f"INSEE's table de passage has no column CODGEO_{to_year} (it covers "
            f"{years[0] if years else '?'}-{years[-1] if years else '?'}); fetch the table of "
            f"{to_year} or later"
        )
    if from_year is None:
        wanted = {str(c) for c in codes}

        def score(y: int) -> tuple[int, int]:
            return (len(wanted & set(table[f"CODGEO_{y}"].dropna().astype(str))), y)

        from_year = max((y for y in years if y <= to_year), key=score)
    if from_year not in years:
        raise DataError(
            f"INSEE's table de passage has no column CODGEO_{from_year}; the release's COG "
            f"must be within {years[0]}-{years[-1]}"
        )
    cols = {
        f"CODGEO_{from_year}": f"code_{from_year}",
        f"LIBGEO_{from_year}": f"nom_{from_year}",
        f"CODGEO_{to_year}": f"code_{to_year}",
        f"LIBGEO_{to_year}": f"nom_{to_year}",
    }
    pairs = table[[c for c in cols if c in table.columns]].rename(columns=cols)
    old, new = f"code_{from_year}", f"code_{to_year}"
    pairs = pairs.dropna(subset=[old, new]).drop_duplicates()
    moved = pairs[old] != pairs[new]
    # Every pair of an old code that changed (a split keeps all its parts), and the
    # commune that absorbed others (its own pair names it in both years).
    keep = pairs[old].isin(set(pairs.loc[moved, old])) | pairs[new].isin(
        set(pairs.loc[moved, new])
    )
    return pairs[keep].sort_values([new, old], kind="stable").reset_index(drop=True), from_year


def region_passage(
    settings: Settings,
    out: Path,
    *,
    codes: Sequence[str],
    rel: CeremaRelease | None = None,
    to_year: int | None = None,
    departements: Sequence[str] = (),
) -> tuple[Path | None, str, list[str]]:
    """Fetch INSEE's table de passage and write the pairs the release needs to ``out``.

    Parameters
    ----------
    settings : Settings
    out : pathlib.Path
        ``passage.csv`` of the region folder.
    codes : sequence of str
        Commune codes of the release's rows.
    rel : CeremaRelease, optional
        The release (its COG when known; else found from ``codes``).
    to_year : int, optional
        COG year of the boundaries (geo.api.gouv.fr serves the COG in force): by
        default the current year, or the year before when INSEE has not published
        that table yet.
    departements : sequence of str
        Keep the pairs of these départements only (old or new code).

    Returns
    -------
    path : pathlib.Path or None
        ``out``, or ``None`` when the release is already in the boundaries' COG.
    url : str
    notes : list of str
    """
    from ._write import write_csv

    notes: list[str] = []
    rel = rel or release()
    if to_year is None:
        this_year = _dt.date.today().year
        try:
            path, year = _fetch_passage(settings, this_year), this_year
        except DownloadError as exc:
            if "HTTP 404" not in str(exc):
                raise
            path, year = _fetch_passage(settings, this_year - 1), this_year - 1
            notes.append(
                f"INSEE's table de passage {this_year} is not published yet: the boundaries "
                f"are taken in COG {year}; pass passage_cog= (--cog) to choose"
            )
    else:
        year = int(to_year)
        path = _fetch_passage(settings, year)
    url = settings.passage_url or passage_url(year, settings=settings)
    table = _read_insee_table(
        _first_csv(path, settings, "table de passage", (".xlsx", ".xls", ".csv"))
    )
    pairs, from_year = passage_pairs(table, year, from_year=rel.cog, codes=codes)
    if departements:
        deps = tuple(d.upper() for d in departements)
        pairs = pairs[
            pairs[f"code_{from_year}"].str.startswith(deps)
            | pairs[f"code_{year}"].str.startswith(deps)
        ]
    if from_year == year:
        notes.append(f"the Cerema release is in COG {year}, as the boundaries: no passage needed")
        return None, url, notes
    if pairs.empty:
        notes.append(
            f"no commune of these départements changed code from COG {from_year} to COG "
            f"{year}: no passage needed"
        )
        return None, url, notes
    if rel.cog is None:
        notes.append(
            f"the COG of the Cerema release {rel.vintage} was found from its codes: {from_year}"
        )
    moved = pairs.loc[pairs[f"code_{from_year}"] != pairs[f"code_{year}"], f"code_{from_year}"]
    notes.append(
        f"passage.csv: {moved.nunique()} commune code(s) of COG {from_year} changed by COG "
        f"{year} (INSEE table de passage)"
    )
    return write_csv(pairs, out, index=False), url, notes


def _fetch_passage(settings: Settings, year: int) -> Path:
    from .fetching import fetch

    url = settings.passage_url or passage_url(year, settings=settings)
    name = Path(url.split("?")[0]).name or f"table_passage_annuelle_{year}.zip"
    return fetch(url, name, subdir="insee", what="INSEE table de passage", settings=settings)
