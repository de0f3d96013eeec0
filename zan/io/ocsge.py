"""IGN OCS GE land cover: the couverture/usage layer, the artificialisation and difference products.

OCS GE (occupation du sol à grande échelle) is published by IGN per département
and vintage (millésime) as GeoPackage or Shapefile (DOMAIN.md §3). Each polygon
carries a couverture code ``code_cs`` (``CS1.1.1.1`` buildings, ``CS2.2.1``
herbaceous...) and a usage code ``code_us`` (``US1.1`` agriculture, ``US5``
residential...); column names vary in case (``CODE_CS``, ``couverture``...).
Two other products exist:

- "artificialisation": the same polygons with IGN's own ``artif`` flag
  (``artif`` / ``non artif``) and ``crit_seuil``;
- "difference" between two vintages: ``cs_avant``, ``cs_apres``, ``us_avant``,
  ``us_apres`` on the polygons that changed.

The readers normalise the columns, reproject to Lambert-93, repair invalid
geometries and resolve overlaps, and say what they did in ``notes``. Extracts
without usage (couverture only, like the dissolved Metaleurop 2018 extract) are
accepted: measurements then flag their artificialisation as an estimate.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from ..crs import LAMBERT93, ensure_crs, to_projected
from ..errors import DataError, GeometryError
from ..nomenclature import normalize_codes, unknown_codes
from ._files import find_column, read_layer
from .geometry import polygonal_pieces

__all__ = [
    "LandCover",
    "LandCoverDifference",
    "read_ocsge",
    "read_ocsge_difference",
    "landcover_from_frame",
    "repair_geometries",
    "resolve_overlaps",
]

_CS_COLUMNS = ("code_cs", "couverture", "code_couverture", "cs", "code_couv")
_US_COLUMNS = ("code_us", "usage", "code_usage", "us")
_ARTIF_COLUMNS = ("artif", "artificialisation", "statut_artif", "is_artif")
_SEUIL_COLUMNS = ("crit_seuil",)
_VINTAGE_COLUMNS = ("millesime", "annee", "year", "millésime")
_DIFF_COLUMNS = {
    "cs_before": ("cs_avant", "code_cs_avant", "cs_old", "cs_1"),
    "cs_after": ("cs_apres", "cs_après", "code_cs_apres", "cs_new", "cs_2"),
    "us_before": ("us_avant", "code_us_avant", "us_old", "us_1"),
    "us_after": ("us_apres", "us_après", "code_us_apres", "us_new", "us_2"),
}
_TRUE = {
    "artif",
    "artificialise",
    "artificialisé",
    "artificialisée",
    "oui",
    "1",
    "true",
    "vrai",
    "yes",
}
_FALSE = {
    "non artif",
    "non_artif",
    "nonartif",
    "non artificialise",
    "non artificialisé",
    "non",
    "0",
    "false",
    "faux",
    "no",
}
#: Layers with at most this many polygons are checked for overlaps by default.
OVERLAP_CHECK_LIMIT = 50_000


@dataclass(frozen=True)
class LandCover:
    """An OCS GE layer, normalised.

    Attributes
    ----------
    layer : geopandas.GeoDataFrame
        One row per polygon (integer index = position): ``code_cs`` (str),
        ``code_us`` (str, missing on a couverture-only layer), ``artif_ign``
        (boolean, missing without IGN's flag), the file's other attributes, and
        ``geometry`` in Lambert-93 (or the CRS asked for). After
        :func:`zan.measure.artificialisation.classify` it also holds
        ``artificialised`` (bool), ``matrix_status`` (bool), ``category`` and ``rule``.
    source : str
        File name.
    vintage : int or None
        Millésime, from the ``millesime`` column, the file name, or the argument.
    has_usage : bool
        Whether usage codes are present (else artificialisation is an estimate).
    has_ign_flag : bool
        Whether IGN's ``artif`` flag is present.
    notes : tuple of str
        What the reader (and the classification) did: repairs, reprojection,
        overlaps resolved, estimates.
    repaired : int
        Number of invalid geometries repaired.
    overlap_m2 : float
        Area removed from overlapping polygons (0 when none or not checked).
    method : str or None
        Set by the classification: ``"matrix"``, ``"ign_flag"`` or
        ``"couverture_only"``.
    """

    layer: gpd.GeoDataFrame
    source: str
    vintage: int | None = None
    has_usage: bool = True
    has_ign_flag: bool = False
    notes: tuple[str, ...] = ()
    repaired: int = 0
    overlap_m2: float = 0.0
    method: str | None = None

    @property
    def classified(self) -> bool:
        """Whether :func:`~zan.measure.artificialisation.classify` was applied."""
        return self.method is not None and "artificialised" in self.layer.columns

    @property
    def crs(self) -> Any:
        """The layer's CRS."""
        return self.layer.crs

    def __repr__(self) -> str:
        kind = "couverture + usage" if self.has_usage else "couverture only"
        extra = ", IGN artif flag" if self.has_ign_flag else ""
        return (
            f"LandCover({self.source!r}, vintage={self.vintage}, {len(self.layer)} polygons, "
            f"{kind}{extra}, method={self.method})"
        )


@dataclass(frozen=True)
class LandCoverDifference:
    """The OCS GE "difference" product between two vintages, normalised.

    Attributes
    ----------
    layer : geopandas.GeoDataFrame
        ``cs_before``, ``cs_after`` (str), ``us_before``, ``us_after`` (str or
        missing), ``geometry`` in Lambert-93.
    source : str
        File name.
    vintages : tuple of (int or None)
        (before, after).
    has_usage : bool
        Whether usage codes are present.
    notes : tuple of str
        What the reader did.
    """

    layer: gpd.GeoDataFrame
    source: str
    vintages: tuple[int | None, int | None] = (None, None)
    has_usage: bool = True
    notes: tuple[str, ...] = field(default_factory=tuple)


# ---------------------------------------------------------------------- geometry


def repair_geometries(
    gdf: gpd.GeoDataFrame, source: str, *, what: str = "polygon"
) -> tuple[gpd.GeoDataFrame, list[str], int]:
    """Repair invalid polygons, drop empty ones, and say so.

    Invalid geometries (self-intersections, holes outside their shell...) are
    rebuilt with :func:`shapely.make_valid` (``method="structure"``), keeping
    their polygonal parts. Rows whose geometry is missing, empty, or not a
    polygon after repair are dropped.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        The layer.
    source : str
        File name, for the notes and errors.
    what : str, default "polygon"
        What a row is, for the notes ("parcel"...).

    Returns
    -------
    (geopandas.GeoDataFrame, list of str, int)
        The repaired layer, notes describing the repairs (rows, reason, area
        change in m²), and the number of geometries repaired.

    Raises
    ------
    GeometryError
        When the layer holds no polygon at all (points or lines).

    Examples
    --------
    >>> from shapely.geometry import Polygon
    >>> bow = Polygon([(0, 0), (10, 10), (10, 0), (0, 10)])  # self-intersecting
    >>> g = gpd.GeoDataFrame(geometry=[bow], crs="EPSG:2154")
    >>> fixed, notes, n = repair_geometries(g, "demo")
    >>> n, bool(fixed.is_valid.all()), round(float(fixed.area.iloc[0]))
    (1, True, 50)
    """
    notes: list[str] = []
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    missing = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    types = shapely.get_type_id(geoms)
    polygonal = np.isin(types, (3, 6, 7))
    if not (polygonal & ~missing).any():
        found = sorted({str(t) for t in gdf.geometry.geom_type.dropna().unique()}) or ["none"]
        raise GeometryError(
            f"{source}: no polygon in the layer (geometry types: {', '.join(found)}); "
            f"give a polygon layer of {what}s"
        )
    invalid = ~missing & ~shapely.is_valid(geoms)
    n_invalid = int(invalid.sum())
    if n_invalid:
        reasons = shapely.is_valid_reason(geoms[invalid])
        before = shapely.area(geoms[invalid])
        fixed = polygonal_pieces(
            shapely.make_valid(geoms[invalid], method="structure", keep_collapsed=False)
        )
        geoms = geoms.copy()
        geoms[invalid] = fixed
        after = np.nan_to_num(shapely.area(fixed))
        rows = np.flatnonzero(invalid)
        short = [re.sub(r"\[.*", "", str(reason)).strip() for reason in reasons[:5]]
        quoted = "; ".join(f"row {r} ({why})" for r, why in zip(rows[:5], short, strict=False))
        more = f" and {n_invalid - 5} more" if n_invalid > 5 else ""
        notes.append(
            f"{source}: {n_invalid} invalid {what} geometr{'y' if n_invalid == 1 else 'ies'} "
            f"repaired: {quoted}{more}; area change {float(np.sum(after - before)):+.2f} m2"
        )
    types = shapely.get_type_id(geoms)
    drop = shapely.is_missing(geoms) | shapely.is_empty(geoms) | ~np.isin(types, (3, 6))
    out = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))
    if drop.any():
        notes.append(
            f"{source}: {int(drop.sum())} row(s) without a polygon dropped "
            f"(empty, missing, or not polygonal): rows {', '.join(map(str, np.flatnonzero(drop)[:5]))}"
            + (" ..." if drop.sum() > 5 else "")
        )
        out = out[~drop]
    return out, notes, n_invalid


def resolve_overlaps(
    gdf: gpd.GeoDataFrame, source: str
) -> tuple[gpd.GeoDataFrame, list[str], float]:
    """Remove overlaps between polygons: where two overlap, the smaller keeps the area.

    A land-cover layer should be a partition; dissolved or simplified extracts
    (such as the Metaleurop 2018 extract) are not. Where polygons overlap, the
    overlapping part is kept by the smallest polygon (the most detailed one) and
    cut out of the others, so that each m² is counted once.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Valid polygons, in a projected CRS.
    source : str
        File name, for the note.

    Returns
    -------
    (geopandas.GeoDataFrame, list of str, float)
        The layer without overlaps, a note when overlaps were found, and the
        area removed (m²).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame(geometry=[box(0, 0, 10, 10), box(8, 0, 12, 10)], crs="EPSG:2154")
    >>> out, notes, removed = resolve_overlaps(g, "demo")
    >>> out.area.tolist(), removed
    ([80.0, 40.0], 20.0)
    """
    geoms = np.asarray(gdf.geometry.array, dtype=object)
    tree = shapely.STRtree(geoms)
    i, j = tree.query(geoms, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    if len(i):
        inner = shapely.relate_pattern(geoms[i], geoms[j], "2********")
        i, j = i[inner], j[inner]
    if len(i) == 0:
        return gdf, [], 0.0
    area = shapely.area(geoms)
    # The smaller polygon wins; ties go to the first row.
    i_wins = (area[i] < area[j]) | ((area[i] == area[j]) & (i < j))
    winner = np.where(i_wins, i, j)
    loser = np.where(i_wins, j, i)
    cut = gpd.GeoDataFrame({"loser": loser}, geometry=geoms[winner], crs=gdf.crs)
    cutters = cut.dissolve(by="loser")
    losers = cutters.index.to_numpy()
    new = shapely.difference(geoms[losers], np.asarray(cutters.geometry.array, dtype=object))
    new = polygonal_pieces(shapely.make_valid(new))
    geoms = geoms.copy()
    removed = float(np.sum(area[losers]) - np.sum(np.nan_to_num(shapely.area(new))))
    geoms[losers] = new
    out = gdf.set_geometry(gpd.GeoSeries(geoms, index=gdf.index, crs=gdf.crs))
    gone = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if gone.any():
        out = out[~gone]
    note = (
        f"{source}: {len(losers)} polygon(s) overlapped others over {removed / 1e4:.2f} ha; "
        "each overlap was kept by the smaller polygon and cut out of the larger, "
        "so that every m2 is counted once"
    )
    return out, [note], removed


# ---------------------------------------------------------------------- attributes


def _parse_flag(values: pd.Series, source: str, column: str) -> pd.Series:
    text = pd.Series(values, dtype="str").str.strip().str.lower()
    truthy = text.isin(_TRUE)
    falsy = text.isin(_FALSE)
    bad = text.notna() & ~truthy & ~falsy
    if bad.any():
        found = text[bad].value_counts().head(5)
        raise DataError(
            f"{source}, column {column!r}: unknown artificialisation flag value(s) "
            f"{', '.join(f'{v!r} ({n} rows)' for v, n in found.items())}; expected "
            "'artif' / 'non artif' (IGN artificialisation product), or 1 / 0"
        )
    out = pd.Series(pd.array(truthy.to_numpy(), dtype="boolean"), index=values.index)
    return out.mask(text.isna())


def _check_codes(df: pd.DataFrame, columns: dict[str, str], source: str) -> None:
    """Raise one error listing every unknown CS/US code, with counts and the column."""
    found = []
    for col, kind in columns.items():
        bad = unknown_codes(df[col], kind)
        if len(bad):
            shown = ", ".join(f"{c} ({n} polygons)" for c, n in bad.head(15).items())
            more = f" and {len(bad) - 15} more" if len(bad) > 15 else ""
            found.append(f"column {col!r}: {shown}{more}")
    if found:
        raise DataError(
            f"{source}: unknown OCS GE codes: {'; '.join(found)}; check that the layer is "
            "IGN OCS GE (codes like CS1.1.1.1 and US1.1), map local codes to the IGN "
            "nomenclature first, or pass code_cs= / code_us= to name the right columns"
        )


def _vintage(gdf: gpd.GeoDataFrame, source: str, vintage: int | None) -> int | None:
    if vintage is not None:
        return int(vintage)
    col = find_column(gdf, _VINTAGE_COLUMNS, source=source, what="vintage", required=False)
    if col is not None:
        years = pd.to_numeric(gdf[col], errors="coerce").dropna().astype("int64").unique()
        if len(years) == 1:
            return int(years[0])
    match = re.findall(r"(?<!\d)(19[5-9]\d|20\d\d)(?!\d)", Path(source).name)
    return int(match[-1]) if match else None


def _finish(
    gdf: gpd.GeoDataFrame,
    source: str,
    *,
    to_crs: Any,
    repair: bool,
    check_overlaps: bool | None,
    notes: list[str],
) -> tuple[gpd.GeoDataFrame, int, float]:
    ensure_crs(gdf, source)
    if to_crs is not None and CRS.from_user_input(gdf.crs) != CRS.from_user_input(to_crs):
        before = gdf.crs.to_string()
        gdf = to_projected(gdf, source, to_crs)
        notes.append(f"{source}: reprojected from {before} to {gdf.crs.to_string()}")
    elif to_crs is None:
        gdf = to_projected(gdf, source, None)
    repaired = 0
    if repair:
        gdf, more, repaired = repair_geometries(gdf, source)
        notes.extend(more)
    elif not gdf.is_valid.all():
        bad = np.flatnonzero(~gdf.is_valid.to_numpy())
        raise GeometryError(
            f"{source}: {len(bad)} invalid geometries (rows {', '.join(map(str, bad[:5]))}); "
            "pass repair=True to repair them"
        )
    overlap = 0.0
    if check_overlaps is None:
        check_overlaps = len(gdf) <= OVERLAP_CHECK_LIMIT
        if not check_overlaps:
            notes.append(
                f"{source}: {len(gdf)} polygons: overlaps not checked "
                "(pass check_overlaps=True to check them)"
            )
    if check_overlaps:
        gdf, more, overlap = resolve_overlaps(gdf, source)
        notes.extend(more)
    return gdf.reset_index(drop=True), repaired, overlap


def landcover_from_frame(
    gdf: gpd.GeoDataFrame,
    *,
    source: str = "land cover",
    vintage: int | None = None,
    code_cs: str | None = None,
    code_us: str | None = None,
    artif: str | None = None,
    to_crs: Any = LAMBERT93,
    repair: bool = True,
    check_overlaps: bool | None = None,
) -> LandCover:
    """Normalise an OCS GE layer already in memory (see :func:`read_ocsge`).

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
        Polygons with a couverture column (``code_cs``, ``CODE_CS``,
        ``couverture``...), optionally a usage column and IGN's ``artif`` flag.
    source : str, default "land cover"
        Name for messages.
    vintage, code_cs, code_us, artif, to_crs, repair, check_overlaps
        As in :func:`read_ocsge`.

    Returns
    -------
    LandCover

    Examples
    --------
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame({"CODE_CS": ["CS1.1.1.1"], "CODE_US": ["US5"]},
    ...                      geometry=[box(0, 0, 100, 100)], crs="EPSG:2154")
    >>> lc = landcover_from_frame(g, vintage=2021)
    >>> lc.layer[["code_cs", "code_us"]].iloc[0].tolist(), lc.has_usage
    (['CS1.1.1.1', 'US5'], True)
    """
    notes: list[str] = []
    if len(gdf) == 0:
        raise DataError(f"{source}: the land-cover layer is empty (0 polygons); export it again")
    cs_col = code_cs or find_column(
        gdf, _CS_COLUMNS, source=source, what="OCS GE couverture code (CS)", argument="code_cs"
    )
    if cs_col not in gdf.columns:
        find_column(gdf, [cs_col], source=source, what="couverture code", argument="code_cs")
    us_col = code_us or find_column(gdf, _US_COLUMNS, source=source, what="usage", required=False)
    if code_us is not None and code_us not in gdf.columns:
        find_column(gdf, [code_us], source=source, what="usage code", argument="code_us")
    art_col = artif or find_column(gdf, _ARTIF_COLUMNS, source=source, what="artif", required=False)
    if artif is not None and artif not in gdf.columns:
        find_column(gdf, [artif], source=source, what="artificialisation flag", argument="artif")
    seuil_col = find_column(gdf, _SEUIL_COLUMNS, source=source, what="crit_seuil", required=False)

    reserved = {cs_col, us_col, art_col, seuil_col, gdf.geometry.name}
    others = [
        c
        for c in gdf.columns
        if c not in reserved
        and c
        not in (
            "code_cs",
            "code_us",
            "artif_ign",
            "crit_seuil",
            "artificialised",
            "matrix_status",
            "category",
            "rule",
        )
    ]
    out = gpd.GeoDataFrame(
        {"code_cs": normalize_codes(gdf[cs_col], "cs").to_numpy()},
        geometry=np.asarray(gdf.geometry.array, dtype=object),
        crs=gdf.crs,
    )
    missing_cs = out["code_cs"].isna()
    if missing_cs.any():
        rows = np.flatnonzero(missing_cs.to_numpy())
        raise DataError(
            f"{source}, column {cs_col!r}: {len(rows)} polygon(s) without a couverture code "
            f"(rows {', '.join(map(str, rows[:5]))}); fill them or drop them"
        )
    has_usage = us_col is not None and gdf[us_col].notna().any()
    if us_col is not None:
        out["code_us"] = normalize_codes(gdf[us_col], "us").to_numpy()
    else:
        out["code_us"] = pd.Series(pd.NA, index=out.index, dtype="str")
    shown = out.rename(columns={"code_cs": cs_col, "code_us": us_col or "code_us"})
    _check_codes(shown, {cs_col: "cs", **({us_col: "us"} if has_usage else {})}, source)
    if art_col is not None:
        out["artif_ign"] = _parse_flag(gdf[art_col], source, art_col).to_numpy()
    else:
        out["artif_ign"] = pd.array([pd.NA] * len(out), dtype="boolean")
    if seuil_col is not None:
        out["crit_seuil"] = gdf[seuil_col].to_numpy()
    for c in others:
        out[c] = gdf[c].to_numpy()
    has_flag = art_col is not None and out["artif_ign"].notna().any()
    if not has_usage:
        notes.append(
            f"{source}: no usage (US) codes: couverture only; artificialisation will be a "
            "couverture-only estimate (usage unknown)"
        )
    vint = _vintage(gdf, source, vintage)
    out, repaired, overlap = _finish(
        out, source, to_crs=to_crs, repair=repair, check_overlaps=check_overlaps, notes=notes
    )
    return LandCover(
        layer=out,
        source=source,
        vintage=vint,
        has_usage=bool(has_usage),
        has_ign_flag=bool(has_flag),
        notes=tuple(notes),
        repaired=repaired,
        overlap_m2=overlap,
    )


def _read(path: str | Path, layer: str | None, crs: Any, bbox: Any) -> gpd.GeoDataFrame:
    path = Path(path)
    if path.suffix.lower() in (".parquet", ".geoparquet") or path.is_dir():
        from .cache import read_cache

        return read_cache(path, bbox=bbox)
    gdf = read_layer(path, layer=layer, crs=crs)
    if bbox is not None:
        x0, y0, x1, y1 = bbox
        gdf = gdf.cx[x0:x1, y0:y1]
        if len(gdf) == 0:
            raise DataError(
                f"{path}: no polygon within bbox {tuple(bbox)} (layer bounds "
                f"{tuple(round(v) for v in read_layer(path, layer=layer, crs=crs).total_bounds)}); "
                "check the bbox and its CRS (the layer's own)"
            )
    return gdf


def read_ocsge(
    path: str | Path,
    *,
    layer: str | None = None,
    crs: Any = None,
    vintage: int | None = None,
    code_cs: str | None = None,
    code_us: str | None = None,
    artif: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    to_crs: Any = LAMBERT93,
    repair: bool = True,
    check_overlaps: bool | None = None,
) -> LandCover:
    """Read an IGN OCS GE layer (land cover/use, or the artificialisation product).

    Parameters
    ----------
    path : str or pathlib.Path
        GeoPackage, Shapefile, GeoJSON, or a GeoParquet cache
        (:func:`zan.io.cache.write_cache`).
    layer : str, optional
        Layer name in a multi-layer GeoPackage.
    crs : str, optional
        CRS to assume when the file declares none.
    vintage : int, optional
        Millésime; read from a ``millesime`` column or the file name when omitted.
    code_cs, code_us, artif : str, optional
        Column names, when they are not among the usual ones (``code_cs`` /
        ``couverture``, ``code_us`` / ``usage``, ``artif``), case-insensitive.
    bbox : (xmin, ymin, xmax, ymax), optional
        Read only the polygons intersecting this box (in the file's CRS).
    to_crs : str or None, default "EPSG:2154"
        CRS of the result (projected); None keeps the file's (must be projected).
    repair : bool, default True
        Repair invalid geometries (reported in ``notes``); False raises instead.
    check_overlaps : bool, optional
        Find and resolve overlaps (:func:`resolve_overlaps`); by default only for
        layers of at most 50,000 polygons.

    Returns
    -------
    LandCover

    Raises
    ------
    SchemaError
        No couverture column.
    DataError
        Unknown CS/US codes (all listed, with counts), unreadable flag values,
        polygons without couverture code.
    CRSError
        No CRS and ``crs`` not given.

    Examples
    --------
    >>> from zan.datasets import get_path
    >>> lc = read_ocsge(get_path("ocsge_demo_2018.gpkg"))
    >>> lc.vintage, lc.has_usage, lc.crs.to_epsg()
    (2018, True, 2154)
    """
    source = str(path)
    gdf = _read(path, layer, crs, bbox)
    return landcover_from_frame(
        gdf,
        source=source,
        vintage=vintage,
        code_cs=code_cs,
        code_us=code_us,
        artif=artif,
        to_crs=to_crs,
        repair=repair,
        check_overlaps=check_overlaps,
    )


def read_ocsge_difference(
    path: str | Path,
    *,
    layer: str | None = None,
    crs: Any = None,
    vintages: tuple[int | None, int | None] | None = None,
    to_crs: Any = LAMBERT93,
    repair: bool = True,
) -> LandCoverDifference:
    """Read the OCS GE "difference" product between two vintages.

    Parameters
    ----------
    path : str or pathlib.Path
        The difference layer, with ``cs_avant``, ``cs_apres`` and (optionally)
        ``us_avant``, ``us_apres`` (case-insensitive).
    layer, crs, to_crs, repair
        As in :func:`read_ocsge`.
    vintages : (int, int), optional
        Vintages before and after; read from ``millesime_debut`` /
        ``millesime_fin`` columns or the two years in the file name otherwise.

    Returns
    -------
    LandCoverDifference

    Raises
    ------
    SchemaError
        When ``cs_avant`` or ``cs_apres`` is missing.
    DataError
        Unknown codes (listed).

    Examples
    --------
    >>> from zan.datasets import get_path
    >>> d = read_ocsge_difference(get_path("ocsge_demo_difference_2018_2021.gpkg"))
    >>> d.vintages
    (2018, 2021)
    """
    source = str(path)
    gdf = _read(path, layer, crs, None)
    notes: list[str] = []
    cols = {}
    for key, cands in _DIFF_COLUMNS.items():
        required = key.startswith("cs")
        cols[key] = find_column(
            gdf, cands, source=source, what=f"difference {cands[0]}", required=required
        )
    out = gpd.GeoDataFrame(
        {
            "cs_before": normalize_codes(gdf[cols["cs_before"]], "cs").to_numpy(),
            "cs_after": normalize_codes(gdf[cols["cs_after"]], "cs").to_numpy(),
        },
        geometry=np.asarray(gdf.geometry.array, dtype=object),
        crs=gdf.crs,
    )
    has_usage = cols["us_before"] is not None and cols["us_after"] is not None
    for key in ("us_before", "us_after"):
        if has_usage:
            out[key] = normalize_codes(gdf[cols[key]], "us").to_numpy()
        else:
            out[key] = pd.Series(pd.NA, index=out.index, dtype="str")
    check = {cols["cs_before"]: "cs", cols["cs_after"]: "cs"}
    shown = pd.DataFrame({cols["cs_before"]: out["cs_before"], cols["cs_after"]: out["cs_after"]})
    if has_usage:
        check.update({cols["us_before"]: "us", cols["us_after"]: "us"})
        shown[cols["us_before"]] = out["us_before"]
        shown[cols["us_after"]] = out["us_after"]
    _check_codes(shown, check, source)
    if not has_usage:
        notes.append(f"{source}: no usage (US) codes: couverture-only estimate")
    if vintages is None:
        start = find_column(
            gdf,
            ("millesime_debut", "millesime_avant", "annee_debut"),
            source=source,
            what="vintage",
            required=False,
        )
        end = find_column(
            gdf,
            ("millesime_fin", "millesime_apres", "annee_fin"),
            source=source,
            what="vintage",
            required=False,
        )
        if start is not None and end is not None:
            vintages = (
                int(pd.to_numeric(gdf[start]).iloc[0]),
                int(pd.to_numeric(gdf[end]).iloc[0]),
            )
        else:
            years = re.findall(r"(?<!\d)(19[5-9]\d|20\d\d)(?!\d)", Path(source).name)
            vintages = (int(years[0]), int(years[1])) if len(years) >= 2 else (None, None)
    out, _, _ = _finish(
        out, source, to_crs=to_crs, repair=repair, check_overlaps=False, notes=notes
    )
    return LandCoverDifference(
        layer=out, source=source, vintages=tuple(vintages), has_usage=has_usage, notes=tuple(notes)
    )
