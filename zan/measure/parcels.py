"""Cadastral parcels × OCS GE: artificialised and ENAF area per parcel and per commune.

Planners reason on parcels: how much of each parcel is artificialised, and
how much is still natural, agricultural or forest land (ENAF) that a project
would consume. Per parcel, the OCS GE polygons are intersected exactly: a
parcel inside one land-cover polygon (most of them) is counted whole through a
prepared containment test, and only parcels on a land-cover boundary are
intersected (:func:`zan.measure.artificialisation.intersection_areas`).

Here **ENAF** means the area that OCS GE classifies as *not artificialised*
(décret 2023-1096, DOMAIN.md §2), the land-cover reading of "espaces naturels,
agricoles et forestiers"; the Cerema consumption file measures ENAF
consumption from the fichiers fonciers instead (DOMAIN.md §3).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
from pyproj import CRS

from ..errors import DataError
from ..io.cadastre import normalize_parcel_refs
from ..io.ocsge import LandCover
from .artificialisation import _classified, _geom_array, intersection_areas

__all__ = ["parcel_landcover", "enaf_by_commune", "lookup_parcels"]

_M2_PER_HA = 10_000.0

#: Columns of the per-parcel table.
PARCEL_MEASURE_COLUMNS = (
    "commune",
    "area_m2",
    "contenance_m2",
    "covered_m2",
    "artificialised_m2",
    "enaf_m2",
    "uncovered_m2",
    "artificialised_share",
    "enaf_share",
)


def _landcover_frame(landcover: LandCover | gpd.GeoDataFrame, kwargs: dict[str, Any]) -> gpd.GeoDataFrame:
    if isinstance(landcover, gpd.GeoDataFrame):
        if "artificialised" not in landcover.columns:
            raise DataError(
                "landcover: a GeoDataFrame needs a boolean 'artificialised' column; pass a "
                "LandCover from zan.io.ocsge.read_ocsge to classify it"
            )
        return landcover
    return _classified(landcover, kwargs).layer


def parcel_landcover(
    parcels: gpd.GeoDataFrame,
    landcover: LandCover | gpd.GeoDataFrame,
    *,
    progress: bool = False,
    **classify_kwargs: Any,
) -> pd.DataFrame:
    """Artificialised and ENAF area of each parcel.

    Parameters
    ----------
    parcels : geopandas.GeoDataFrame
        Parcels indexed by id (:func:`zan.io.cadastre.read_parcels`), with a
        ``commune`` column; reprojected to the land cover's CRS if needed.
    landcover : LandCover or geopandas.GeoDataFrame
        OCS GE (classified here with ``classify_kwargs`` unless it already is),
        or a GeoDataFrame with a boolean ``artificialised`` column.
    progress : bool, default False
        Show progress bars.
    **classify_kwargs
        Passed to :func:`zan.measure.artificialisation.classify`.

    Returns
    -------
    pandas.DataFrame
        Indexed like ``parcels`` (sorted by id): ``commune``, ``area_m2`` (the
        polygon's), ``contenance_m2`` (the cadastre's, NaN if absent),
        ``covered_m2``, ``artificialised_m2``, ``enaf_m2`` (covered, not
        artificialised), ``uncovered_m2``, ``artificialised_share`` and
        ``enaf_share`` (of ``area_m2``).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> lc = gpd.GeoDataFrame({"artificialised": [True, False]},
    ...                       geometry=[box(0, 0, 50, 100), box(50, 0, 100, 100)], crs="EPSG:2154")
    >>> parcels = gpd.GeoDataFrame({"commune": ["59350"]}, geometry=[box(40, 0, 60, 10)],
    ...                            index=pd.Index(["59350000AB0123"], name="id"), crs="EPSG:2154")
    >>> parcel_landcover(parcels, lc)[["area_m2", "artificialised_m2", "enaf_m2"]].iloc[0].tolist()
    [200.0, 100.0, 100.0]
    """
    layer = _landcover_frame(landcover, classify_kwargs)
    if "commune" not in parcels.columns:
        raise DataError(
            f"parcels: no 'commune' column (columns: {', '.join(map(str, parcels.columns))}); "
            "read them with zan.io.cadastre.read_parcels"
        )
    if parcels.crs is None:
        raise DataError("parcels: no CRS; set it with parcels.set_crs(...)")
    if CRS.from_user_input(parcels.crs) != CRS.from_user_input(layer.crs):
        parcels = parcels.to_crs(layer.crs)
    parcels = parcels.sort_index(kind="stable")
    geoms = _geom_array(parcels)
    area = np.asarray(gpd.GeoSeries(geoms).area, dtype="float64")
    pairs = intersection_areas(geoms, layer, progress=progress, big="right")
    n = len(parcels)
    art = layer["artificialised"].to_numpy(dtype=bool)[pairs["right"].to_numpy()]
    # Sum each parcel's pieces in a fixed order (by area) so that the result does not
    # depend on the order of the land-cover rows: the dask path gives identical bits.
    order = np.lexsort((pairs["area_m2"].to_numpy(), art, pairs["left"].to_numpy()))
    li = pairs["left"].to_numpy()[order]
    a = pairs["area_m2"].to_numpy()[order]
    art = art[order]
    covered = np.bincount(li, weights=a, minlength=n)
    artificialised = np.bincount(li, weights=np.where(art, a, 0.0), minlength=n)
    out = pd.DataFrame(index=parcels.index)
    out["commune"] = parcels["commune"].astype("str").to_numpy()
    out["area_m2"] = area
    out["contenance_m2"] = (
        pd.to_numeric(parcels["contenance"], errors="coerce").to_numpy(dtype="float64")
        if "contenance" in parcels.columns else np.nan
    )
    out["covered_m2"] = covered
    out["artificialised_m2"] = artificialised
    out["enaf_m2"] = covered - artificialised
    out["uncovered_m2"] = np.clip(area - covered, 0.0, None)
    with np.errstate(divide="ignore", invalid="ignore"):
        out["artificialised_share"] = artificialised / area
        out["enaf_share"] = (covered - artificialised) / area
    return out


def enaf_by_commune(
    parcel_table: pd.DataFrame,
    *,
    territories: Any = None,
    level: str = "commune",
) -> pd.DataFrame:
    """ENAF area still available on parcels, per commune (or higher level).

    Parameters
    ----------
    parcel_table : pandas.DataFrame
        From :func:`parcel_landcover`.
    territories : Territories, optional
        To sum communes per ``level`` and list communes without parcels (0).
    level : str, default "commune"
        Level, when ``territories`` is given.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``code``: ``parcels`` (count), ``parcels_area_ha``,
        ``covered_ha``, ``artificialised_ha``, ``enaf_ha`` (plus ``nom`` with
        territories).

    Examples
    --------
    >>> t = pd.DataFrame({"commune": ["59350", "59350"], "area_m2": [100.0, 300.0],
    ...                   "covered_m2": [100.0, 300.0], "artificialised_m2": [100.0, 0.0],
    ...                   "enaf_m2": [0.0, 300.0]}, index=["a", "b"])
    >>> enaf_by_commune(t)[["parcels", "enaf_ha"]].iloc[0].tolist()
    [2.0, 0.03]
    """
    cols = ["area_m2", "covered_m2", "artificialised_m2", "enaf_m2"]
    frame = parcel_table.assign(parcels=1.0)
    per = frame.groupby("commune", sort=True)[["parcels", *cols]].sum()
    per.index.name = "code"
    if territories is not None:
        per = territories.aggregate(per, level, missing="zero")
    out = pd.DataFrame(index=per.index)
    if "nom" in per.columns:
        out["nom"] = per["nom"]
    out["parcels"] = per["parcels"]
    out["parcels_area_ha"] = per["area_m2"] / _M2_PER_HA
    out["covered_ha"] = per["covered_m2"] / _M2_PER_HA
    out["artificialised_ha"] = per["artificialised_m2"] / _M2_PER_HA
    out["enaf_ha"] = per["enaf_m2"] / _M2_PER_HA
    return out


def lookup_parcels(
    refs: str | Iterable[str],
    parcel_table: pd.DataFrame,
    *,
    missing: str = "raise",
) -> pd.DataFrame:
    """Find parcels by cadastral reference: their ENAF area and their commune.

    Parameters
    ----------
    refs : str or iterable of str
        References such as ``59350000AB0123`` (also ``59350 000 AB 0123``,
        ``59350-AB-123``: see :func:`zan.io.cadastre.normalize_parcel_refs`).
    parcel_table : pandas.DataFrame
        From :func:`parcel_landcover` (indexed by parcel id).
    missing : {"raise", "ignore"}, default "raise"
        Unknown or unreadable references: raise, or return them with
        ``found=False``.

    Returns
    -------
    pandas.DataFrame
        One row per reference, in the order given: ``ref`` (as given), ``id``
        (normalised), ``found``, ``commune``, ``area_m2``, ``enaf_m2``,
        ``artificialised_m2``, ``enaf_share``.

    Raises
    ------
    DataError
        With ``missing="raise"``, listing the references not read or not found.

    Examples
    --------
    >>> t = pd.DataFrame({"commune": ["59350"], "area_m2": [200.0], "enaf_m2": [150.0],
    ...                   "artificialised_m2": [50.0], "enaf_share": [0.75]},
    ...                  index=pd.Index(["59350000AB0123"], name="id"))
    >>> lookup_parcels("59350 AB 123", t)[["id", "commune", "enaf_m2"]].values.tolist()
    [['59350000AB0123', '59350', 150.0]]
    """
    if missing not in ("raise", "ignore"):
        raise DataError(f"lookup_parcels: missing={missing!r} is unknown; use 'raise' or 'ignore'")
    ids = normalize_parcel_refs(refs)
    given = ids.index.to_numpy()
    known = ids.isin(parcel_table.index).to_numpy() & ids.notna().to_numpy()
    if missing == "raise" and not known.all():
        unread = [str(r) for r, i in zip(given, ids, strict=True) if pd.isna(i)]
        absent = [str(i) for i, k in zip(ids, known, strict=True) if pd.notna(i) and not k]
        parts = []
        if unread:
            parts.append(f"not cadastral references: {', '.join(map(repr, unread[:10]))} "
                         "(expected e.g. 59350000AB0123)")
        if absent:
            communes = sorted({a[:5] for a in absent})
            parts.append(f"not among the parcels measured: {', '.join(absent[:10])} "
                         f"(communes {', '.join(communes[:10])}: load their parcel files)")
        raise DataError("parcel lookup: " + "; ".join(parts))
    cols = ["commune", "area_m2", "enaf_m2", "artificialised_m2", "enaf_share"]
    cols = [c for c in cols if c in parcel_table.columns]
    found = parcel_table.reindex(ids.fillna("").to_numpy())[cols].reset_index(drop=True)
    out = pd.DataFrame({"ref": given, "id": ids.to_numpy(), "found": known})
    return pd.concat([out, found], axis=1)
