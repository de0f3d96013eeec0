"""Artificialisation measured on IGN OCS GE, per commune, EPCI, SCoT...

From 2031 the ZAN law counts net *artificialisation* (DOMAIN.md §1), measured on
OCS GE land cover with the nomenclature of décret n° 2023-1096 (annex to art.
R.101-1 of the code de l'urbanisme, DOMAIN.md §2):

1. each polygon gets a status from its couverture × usage pair through a
   configurable matrix (:func:`zan.nomenclature.read_matrix`; the State tool's
   matrix by default, DOMAIN.md §3);
2. the reference thresholds are applied (:class:`Thresholds`): built surfaces
   count from 50 m²; other patches under 2,500 m² take the status of what
   surrounds them, as the State's tool does; linear infrastructure counts from
   5 m wide;
3. or, when the layer is IGN's "artificialisation" product, IGN's own ``artif``
   flag is used as it is;
4. optional exemptions (public parks over 2,500 m², ground-mounted solar
   panels) are switches.

Measurements are exact polygon intersections with the territories, computed
once per (polygon, territory) pair: pairs where the territory contains the
polygon are counted whole (a prepared containment test), and only the pairs on
a boundary are intersected. Areas are summed in m² and turned into hectares at
the end; every table conserves area (the territories add up to the measured
total) and reports the area the layer does not cover.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from ..io.ocsge import LandCover, LandCoverDifference
from ..nomenclature import classify_pairs
from .classification import Thresholds, classify, ensure_classified
from .overlay import (
    Zones,
    geom_array,
    intersection_areas,
    intersection_pieces,
    prepare_zones,
    require_overlap,
    zone_area,
)

__all__ = [
    "Thresholds",
    "ArtificialisationStock",
    "ArtificialisationChange",
    "classify",
    "artificialisation_stock",
    "artificialisation_change",
    "artificialisation_from_difference",
    "intersection_areas",
    "intersection_pieces",
]

_M2_PER_HA = 10_000.0

#: Labels of the ``method`` column (French: shown in exported tables).
METHOD_LABELS = {
    "matrix": "matrice couverture × usage et seuils (décret 2023-1096)",
    "matrix_no_thresholds": "matrice couverture × usage, sans seuils",
    "ign_flag": "champ artif de l'IGN",
    "couverture_only": "ESTIMATION couverture seule (usage inconnu)",
}


# ---------------------------------------------------------------------- results


@dataclass(frozen=True)
class ArtificialisationStock:
    """Artificialised stock per territory for one vintage.

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed by territory ``code``: ``nom``, ``area_ha`` (the territory's
        surface), ``covered_ha`` (classified by the layer), ``uncovered_ha``,
        ``artificialised_ha``, ``not_artificialised_ha``, ``artificialised_pct``
        (of the surface), ``artificialised_pct_covered`` (of the covered area),
        ``method`` (French label; an estimate is flagged ``ESTIMATION``).
    by_class : pandas.DataFrame
        Tidy: ``code``, ``code_cs``, ``code_us``, ``artificialised``, ``area_ha``.
    level : str
        Territorial level.
    vintage : int or None
        Millésime.
    method : str
        ``"matrix"``, ``"matrix_no_thresholds"``, ``"ign_flag"`` or ``"couverture_only"``.
    notes : tuple of str
        Repairs, reprojections, estimates, area outside the territories.
    total_m2 : float
        Covered area measured inside the territories (sum of ``covered_ha`` in m²).
    outside_m2 : float
        Area of the layer outside every territory.
    """

    table: pd.DataFrame
    by_class: pd.DataFrame
    level: str
    vintage: int | None
    method: str
    notes: tuple[str, ...]
    total_m2: float
    outside_m2: float

    @property
    def is_estimate(self) -> bool:
        """True when usage was unknown (couverture-only estimate)."""
        return self.method == "couverture_only"

    def by_couverture(self, *, artificialised_only: bool = False) -> pd.DataFrame:
        """Area per couverture class (columns) and territory (rows), in ha."""
        return _pivot(self.by_class, "code_cs", artificialised_only)

    def by_usage(self, *, artificialised_only: bool = False) -> pd.DataFrame:
        """Area per usage class (columns) and territory (rows), in ha (empty without usage)."""
        return _pivot(self.by_class.dropna(subset=["code_us"]), "code_us", artificialised_only)


def _pivot(tidy: pd.DataFrame, column: str, artificialised_only: bool) -> pd.DataFrame:
    if artificialised_only:
        tidy = tidy[tidy["artificialised"]]
    out = tidy.pivot_table(
        index="code", columns=column, values="area_ha", aggfunc="sum", fill_value=0.0
    )
    out.columns = out.columns.astype("str")
    out.columns.name = None
    return out


@dataclass(frozen=True)
class ArtificialisationChange:
    """Artificialisation, renaturation and net artificialisation between two vintages.

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed by territory ``code``: ``nom``, ``area_ha``, ``stock_before_ha``,
        ``stock_after_ha``, ``artificialisation_ha`` (not artificialised → artificialised),
        ``renaturation_ha`` (artificialised → not), ``net_ha`` (the difference,
        = ``stock_after_ha - stock_before_ha``), ``covered_before_ha``,
        ``covered_after_ha``, ``method``.
    flows : pandas.DataFrame
        Tidy: ``code``, ``flow`` (``artificialisation`` / ``renaturation``),
        ``code_cs``, ``code_us``, ``area_ha``: artificialisation by the
        couverture/usage it became, renaturation by the couverture/usage it was.
    level : str
    vintages : (int or None, int or None)
    method : str
    notes : tuple of str
    """

    table: pd.DataFrame
    flows: pd.DataFrame
    level: str
    vintages: tuple[int | None, int | None]
    method: str
    notes: tuple[str, ...]


# ---------------------------------------------------------------------- measurements


def _key_codes(layer: gpd.GeoDataFrame) -> tuple[np.ndarray, pd.DataFrame]:
    """Factorize (code_cs, code_us, artificialised) per polygon."""
    keys = pd.DataFrame(
        {
            "code_cs": layer["code_cs"].astype("str").to_numpy(),
            "code_us": layer["code_us"].astype("str").to_numpy(),
            "artificialised": layer["artificialised"].to_numpy(dtype=bool),
        }
    )
    cols = ["code_cs", "code_us", "artificialised"]
    grouped = keys.groupby(cols, sort=True, dropna=False)
    codes = grouped.ngroup().to_numpy()
    table = grouped.size().reset_index()[cols]
    return np.asarray(codes), table


def _zone_key_areas(pairs: pd.DataFrame, key: np.ndarray, nkeys: int, nzones: int) -> np.ndarray:
    flat = pairs["right"].to_numpy() * nkeys + key[pairs["left"].to_numpy()]
    return np.bincount(flat, weights=pairs["area_m2"].to_numpy(), minlength=nzones * nkeys).reshape(
        nzones, nkeys
    )


def _tidy(mat: np.ndarray, zone_codes: pd.Index, keys: pd.DataFrame) -> pd.DataFrame:
    z, k = np.nonzero(mat)
    out = keys.iloc[k].reset_index(drop=True)
    out.insert(0, "code", zone_codes.to_numpy()[z])
    out["area_m2"] = mat[z, k]
    return out


def artificialisation_stock(
    landcover: LandCover,
    zones: Any,
    *,
    level: str | None = "commune",
    progress: bool = False,
    **classify_kwargs: Any,
) -> ArtificialisationStock:
    """Artificialised stock per territory: ha and % of the surface, by couverture and usage.

    Parameters
    ----------
    landcover : LandCover
        Read with :func:`zan.io.ocsge.read_ocsge`; classified with
        :func:`classify` here unless it already is (``classify_kwargs`` force a
        new classification).
    zones : Territories or geopandas.GeoDataFrame
        A :class:`zan.Territories` (measured per commune, then summed per
        ``level``), or a GeoDataFrame of zones indexed by code (``nom`` column
        optional; ``level`` may name a column to group them by).
    level : str, default "commune"
        Territorial level (``"commune"``, ``"epci"``, ``"scot"``...).
    progress : bool, default False
        Show progress bars.
    **classify_kwargs
        Passed to :func:`classify` (``matrix``, ``thresholds``, ``exempt_parks``...).

    Returns
    -------
    ArtificialisationStock

    Raises
    ------
    DataError
        When no polygon intersects the territories (the message gives both
        extents and the CRS).

    Examples
    --------
    >>> from shapely.geometry import box
    >>> from zan.io.ocsge import landcover_from_frame
    >>> lc = landcover_from_frame(gpd.GeoDataFrame(
    ...     {"code_cs": ["CS1.1.1.1", "CS2.2.1"], "code_us": ["US5", "US1.1"]},
    ...     geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)], crs="EPSG:2154"))
    >>> zones = gpd.GeoDataFrame({"nom": ["A"]}, geometry=[box(0, 0, 200, 200)],
    ...                          index=pd.Index(["59001"], name="code"), crs="EPSG:2154")
    >>> res = artificialisation_stock(lc, zones)
    >>> res.table[["area_ha", "covered_ha", "uncovered_ha", "artificialised_ha"]].iloc[0].tolist()
    [4.0, 2.0, 2.0, 1.0]
    """
    lc = ensure_classified(landcover, classify_kwargs)
    z = prepare_zones(zones, level, lc.crs)
    layer = lc.layer
    pairs = intersection_areas(layer, z.gdf, progress=progress)
    require_overlap(pairs, layer, z, lc.source)
    key, keys = _key_codes(layer)
    nz = len(z.gdf)
    mat = _zone_key_areas(pairs, key, len(keys), nz)
    art = keys["artificialised"].to_numpy(dtype=bool)
    zone_m2 = pd.DataFrame(
        {
            "area_m2": zone_area(z).to_numpy(),
            "covered_m2": mat.sum(axis=1),
            "artificialised_m2": mat[:, art].sum(axis=1),
        },
        index=z.gdf.index,
    )
    table = _stock_table(z, zone_m2, lc.method)
    tidy = z.regroup_long(
        _tidy(mat, z.gdf.index, keys), ["code_cs", "code_us", "artificialised"], "area_m2"
    )
    tidy["area_ha"] = tidy.pop("area_m2") / _M2_PER_HA
    total = float(zone_m2["covered_m2"].sum())
    outside = float(np.sum(shapely.area(geom_array(layer)))) - total
    notes = list(lc.notes) + list(z.notes)
    if outside > 1.0:
        notes.append(
            f"{lc.source}: {outside / 1e4:.2f} ha of the layer lie outside the territories "
            "(not counted)"
        )
    return ArtificialisationStock(
        table=table,
        by_class=tidy,
        level=z.level,
        vintage=lc.vintage,
        method=lc.method or "matrix",
        notes=tuple(notes),
        total_m2=total,
        outside_m2=max(outside, 0.0),
    )


def _stock_table(z: Zones, zone_m2: pd.DataFrame, method: str | None) -> pd.DataFrame:
    agg = z.aggregate(zone_m2)
    uncovered = (agg["area_m2"] - agg["covered_m2"]).clip(lower=0.0)
    out = pd.DataFrame(index=agg.index)
    out["nom"] = agg["nom"]
    out["area_ha"] = agg["area_m2"] / _M2_PER_HA
    out["covered_ha"] = agg["covered_m2"] / _M2_PER_HA
    out["uncovered_ha"] = uncovered / _M2_PER_HA
    out["artificialised_ha"] = agg["artificialised_m2"] / _M2_PER_HA
    out["not_artificialised_ha"] = (agg["covered_m2"] - agg["artificialised_m2"]) / _M2_PER_HA
    with np.errstate(divide="ignore", invalid="ignore"):
        out["artificialised_pct"] = 100.0 * agg["artificialised_m2"] / agg["area_m2"]
        out["artificialised_pct_covered"] = 100.0 * agg["artificialised_m2"] / agg["covered_m2"]
    out["method"] = METHOD_LABELS.get(method or "matrix", str(method))
    return out


def _check_same_settings(before: LandCover, after: LandCover) -> list[str]:
    notes = []
    if before.method != after.method:
        notes.append(
            f"the two vintages were classified differently ({before.method} / {after.method}); "
            "flows mix methods"
        )
    return notes


def artificialisation_change(
    before: LandCover,
    after: LandCover,
    zones: Any,
    *,
    level: str | None = "commune",
    progress: bool = False,
    **classify_kwargs: Any,
) -> ArtificialisationChange:
    """Artificialisation, renaturation and net artificialisation between two vintages.

    The artificialised areas of both vintages are intersected once (exact
    geometry); per territory, artificialisation = artificialised after − both,
    renaturation = artificialised before − both, net = artificialisation −
    renaturation = stock after − stock before (DOMAIN.md §1: net
    artificialisation, counted from 2031).

    Parameters
    ----------
    before, after : LandCover
        The two vintages (classified here with ``classify_kwargs`` unless they already are).
    zones : Territories or geopandas.GeoDataFrame
        As in :func:`artificialisation_stock`.
    level : str, default "commune"
        Territorial level.
    progress : bool, default False
        Show progress bars.
    **classify_kwargs
        Passed to :func:`classify`.

    Returns
    -------
    ArtificialisationChange

    Examples
    --------
    >>> from shapely.geometry import box
    >>> from zan.io.ocsge import landcover_from_frame
    >>> def layer(cs, us):
    ...     return landcover_from_frame(gpd.GeoDataFrame(
    ...         {"code_cs": cs, "code_us": us},
    ...         geometry=[box(0, 0, 100, 100), box(100, 0, 200, 100)], crs="EPSG:2154"))
    >>> zones = gpd.GeoDataFrame(geometry=[box(0, 0, 200, 100)],
    ...                          index=pd.Index(["z"], name="code"), crs="EPSG:2154")
    >>> ch = artificialisation_change(layer(["CS1.1.1.1", "CS2.2.1"], ["US5", "US1.1"]),
    ...                               layer(["CS2.2.1", "CS1.1.1.1"], ["US1.1", "US5"]), zones)
    >>> ch.table[["artificialisation_ha", "renaturation_ha", "net_ha"]].iloc[0].tolist()
    [1.0, 1.0, 0.0]
    """
    lb = ensure_classified(before, classify_kwargs)
    la = ensure_classified(after, classify_kwargs)
    if CRS.from_user_input(lb.crs) != CRS.from_user_input(la.crs):
        la = dataclasses.replace(
            la,
            layer=la.layer.to_crs(lb.crs),
            notes=la.notes
            + (f"{la.source}: reprojected to {lb.crs.to_string()} to match {lb.source}",),
        )
    z = prepare_zones(zones, level, lb.crs)
    nz = len(z.gdf)
    pb = intersection_areas(lb.layer, z.gdf, progress=progress)
    pa = intersection_areas(la.layer, z.gdf, progress=progress)
    require_overlap(pb, lb.layer, z, lb.source)
    require_overlap(pa, la.layer, z, la.source)
    kb, keys_b = _key_codes(lb.layer)
    ka, keys_a = _key_codes(la.layer)
    mb = _zone_key_areas(pb, kb, len(keys_b), nz)
    ma = _zone_key_areas(pa, ka, len(keys_a), nz)
    art_b = lb.layer["artificialised"].to_numpy(dtype=bool)
    art_a = la.layer["artificialised"].to_numpy(dtype=bool)
    ab_pos = np.flatnonzero(art_b)
    aa_pos = np.flatnonzero(art_a)
    pieces = intersection_pieces(la.layer.iloc[aa_pos], lb.layer.iloc[ab_pos], progress=progress)
    pp = intersection_areas(pieces, z.gdf, progress=progress)
    # both-artificialised area per zone, keyed by the after and the before classes
    piece_key_a = ka[aa_pos[pieces["left"].to_numpy()]] if len(pieces) else np.zeros(0, np.intp)
    piece_key_b = kb[ab_pos[pieces["right"].to_numpy()]] if len(pieces) else np.zeros(0, np.intp)
    both_a = _zone_key_areas(pp, piece_key_a, len(keys_a), nz)
    both_b = _zone_key_areas(pp, piece_key_b, len(keys_b), nz)
    ka_art = keys_a["artificialised"].to_numpy(dtype=bool)
    kb_art = keys_b["artificialised"].to_numpy(dtype=bool)
    artif_flow = ma * ka_art - both_a  # zone × after-key
    renat_flow = mb * kb_art - both_b  # zone × before-key
    zone_m2 = pd.DataFrame(
        {
            "area_m2": zone_area(z).to_numpy(),
            "stock_before_m2": (mb * kb_art).sum(axis=1),
            "stock_after_m2": (ma * ka_art).sum(axis=1),
            "artificialisation_m2": artif_flow.sum(axis=1),
            "renaturation_m2": renat_flow.sum(axis=1),
            "covered_before_m2": mb.sum(axis=1),
            "covered_after_m2": ma.sum(axis=1),
        },
        index=z.gdf.index,
    )
    agg = z.aggregate(zone_m2)
    table = pd.DataFrame(index=agg.index)
    table["nom"] = agg["nom"]
    for col in ("area", "stock_before", "stock_after", "artificialisation", "renaturation"):
        table[f"{col}_ha"] = agg[f"{col}_m2"] / _M2_PER_HA
    table["net_ha"] = (agg["artificialisation_m2"] - agg["renaturation_m2"]) / _M2_PER_HA
    table["covered_before_ha"] = agg["covered_before_m2"] / _M2_PER_HA
    table["covered_after_ha"] = agg["covered_after_m2"] / _M2_PER_HA
    method = la.method or "matrix"
    table["method"] = METHOD_LABELS.get(method, method)
    flows_a = _tidy(np.where(np.abs(artif_flow) > 1e-6, artif_flow, 0.0), z.gdf.index, keys_a)
    flows_a.insert(1, "flow", "artificialisation")
    flows_b = _tidy(np.where(np.abs(renat_flow) > 1e-6, renat_flow, 0.0), z.gdf.index, keys_b)
    flows_b.insert(1, "flow", "renaturation")
    flows = pd.concat([flows_a, flows_b], ignore_index=True).drop(columns="artificialised")
    flows = z.regroup_long(flows, ["flow", "code_cs", "code_us"], "area_m2")
    flows["area_ha"] = flows.pop("area_m2") / _M2_PER_HA
    notes = list(lb.notes) + list(la.notes) + list(z.notes) + _check_same_settings(lb, la)
    return ArtificialisationChange(
        table=table,
        flows=flows,
        level=z.level,
        vintages=(lb.vintage, la.vintage),
        method=method,
        notes=tuple(notes),
    )


def artificialisation_from_difference(
    difference: LandCoverDifference,
    zones: Any,
    *,
    level: str | None = "commune",
    matrix: pd.DataFrame | None = None,
    progress: bool = False,
) -> ArtificialisationChange:
    """Artificialisation and renaturation from IGN's OCS GE "difference" product.

    Each changed polygon is classified before (``cs_avant`` × ``us_avant``) and
    after (``cs_apres`` × ``us_apres``) with the matrix; the thresholds are not
    applied (the product holds only the changed polygons, not what surrounds
    them), which the ``method`` column says.

    Parameters
    ----------
    difference : LandCoverDifference
        From :func:`zan.io.ocsge.read_ocsge_difference`.
    zones : Territories or geopandas.GeoDataFrame
        As in :func:`artificialisation_stock`.
    level : str, default "commune"
        Territorial level.
    matrix : pandas.DataFrame, optional
        Couverture × usage matrix.
    progress : bool, default False
        Show progress bars.

    Returns
    -------
    ArtificialisationChange
        Stocks are not known from a difference layer: ``stock_*`` and
        ``covered_*`` columns are NaN.

    Examples
    --------
    >>> from zan.datasets import get_path
    >>> from zan.io.ocsge import read_ocsge_difference
    >>> import zan.io.territories as t
    >>> d = read_ocsge_difference(get_path("ocsge_demo_difference_2018_2021.gpkg"))
    >>> zones = t.read_communes(get_path("communes.gpkg"))
    >>> ch = artificialisation_from_difference(d, zones)
    >>> bool((ch.table["net_ha"] == ch.table["artificialisation_ha"] - ch.table["renaturation_ha"]).all())
    True
    """
    layer = difference.layer
    us_b = layer["us_before"] if difference.has_usage else None
    us_a = layer["us_after"] if difference.has_usage else None
    sb = classify_pairs(layer["cs_before"], us_b, matrix=matrix)["artificialise"].to_numpy(bool)
    sa = classify_pairs(layer["cs_after"], us_a, matrix=matrix)["artificialise"].to_numpy(bool)
    z = prepare_zones(zones, level, layer.crs)
    nz = len(z.gdf)
    pairs = intersection_areas(layer, z.gdf, progress=progress)
    require_overlap(pairs, layer, z, difference.source)
    gained = sa & ~sb
    lost = sb & ~sa
    after_keys = layer[["cs_after", "us_after"]].set_axis(["code_cs", "code_us"], axis=1)
    before_keys = layer[["cs_before", "us_before"]].set_axis(["code_cs", "code_us"], axis=1)
    frames = []
    for flow, mask, keys in (
        ("artificialisation", gained, after_keys),
        ("renaturation", lost, before_keys),
    ):
        sub = keys.assign(artificialised=mask)
        key, uniq = _key_codes(sub)
        mat = _zone_key_areas(pairs, key, len(uniq), nz) * uniq["artificialised"].to_numpy(bool)
        tidy = _tidy(mat, z.gdf.index, uniq).drop(columns="artificialised")
        tidy.insert(1, "flow", flow)
        frames.append(tidy)
    flows = pd.concat(frames, ignore_index=True)
    per_zone = flows.pivot_table(index="code", columns="flow", values="area_m2", aggfunc="sum")
    zone_m2 = pd.DataFrame(index=z.gdf.index)
    zone_m2["area_m2"] = zone_area(z).to_numpy()
    for flow in ("artificialisation", "renaturation"):
        col = per_zone[flow] if flow in per_zone.columns else pd.Series(dtype=float)
        zone_m2[f"{flow}_m2"] = col.reindex(zone_m2.index).fillna(0.0).to_numpy()
    agg = z.aggregate(zone_m2)
    table = pd.DataFrame(index=agg.index)
    table["nom"] = agg["nom"]
    table["area_ha"] = agg["area_m2"] / _M2_PER_HA
    table["stock_before_ha"] = np.nan
    table["stock_after_ha"] = np.nan
    table["artificialisation_ha"] = agg["artificialisation_m2"] / _M2_PER_HA
    table["renaturation_ha"] = agg["renaturation_m2"] / _M2_PER_HA
    table["net_ha"] = table["artificialisation_ha"] - table["renaturation_ha"]
    table["covered_before_ha"] = np.nan
    table["covered_after_ha"] = np.nan
    method = "matrix_no_thresholds" if difference.has_usage else "couverture_only"
    table["method"] = METHOD_LABELS[method] + " (produit différence)"
    flows = z.regroup_long(flows, ["flow", "code_cs", "code_us"], "area_m2")
    flows["area_ha"] = flows.pop("area_m2") / _M2_PER_HA
    notes = (
        list(difference.notes)
        + list(z.notes)
        + [
            f"{difference.source}: difference product classified with the matrix only "
            "(thresholds need the surrounding polygons, which the product does not hold)"
        ]
    )
    return ArtificialisationChange(
        table=table,
        flows=flows,
        level=z.level,
        vintages=difference.vintages,
        method=method,
        notes=tuple(notes),
    )
