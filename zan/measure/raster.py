"""Area per class of a classified raster, per territory (zonal class statistics).

The territories are rasterized once on the raster's grid (by pixel centre, so
that each pixel belongs to exactly one territory), strip by strip to bound
memory; each strip's pixels are counted with one integer ``numpy.bincount``
over (territory × class). Counts are exact integers, turned into areas by the
pixel's exact area in the raster's CRS: ``|a·e − b·d|`` for a projected CRS,
the ellipsoidal area of each row's pixels for a geographic one. Sums over
territories therefore equal the total counted area exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely
from pyproj import CRS

from ..crs import LAMBERT93
from ..errors import DataError
from ..io.raster import RasterSource, open_raster, read_legend
from .artificialisation import _geom_array, _prepare_zones

__all__ = ["RasterStats", "raster_class_areas", "geographic_row_areas"]

_M2_PER_HA = 10_000.0


@dataclass(frozen=True)
class RasterStats:
    """Class areas of a raster per territory.

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed by territory ``code``: ``nom``, ``area_ha`` (the polygon's
        surface), ``raster_ha`` (pixels whose centre is in the territory),
        ``classified_ha`` (those with a class), ``nodata_ha``,
        ``outside_extent_ha`` (surface outside the raster's extent),
        ``artificial_ha`` and ``artificial_pct`` (of ``classified_ha``; NaN
        without a legend saying which classes are artificial).
    by_class : pandas.DataFrame
        Territory × pixel value, in ha.
    labels : pandas.Series
        Pixel value → label (from the legend, or the value).
    pixel_area_m2 : float or None
        Area of a pixel (None for a geographic CRS, where it varies by row).
    notes : tuple of str
        Reprojections, assumptions.
    """

    table: pd.DataFrame
    by_class: pd.DataFrame
    labels: pd.Series
    pixel_area_m2: float | None
    notes: tuple[str, ...]


def geographic_row_areas(transform: Any, height: int, crs: CRS) -> np.ndarray:
    """Exact ellipsoidal area (m²) of one pixel in each row of a geographic raster.

    Uses the area of the band between two latitudes on the ellipsoid of ``crs``
    (authalic formula), times the pixel's share of 360° of longitude.

    Parameters
    ----------
    transform : affine.Affine
        North-up geotransform in degrees.
    height : int
        Number of rows.
    crs : pyproj.CRS
        The geographic CRS (its ellipsoid is used).

    Returns
    -------
    numpy.ndarray
        ``height`` areas in m².

    Examples
    --------
    >>> from affine import Affine
    >>> a = geographic_row_areas(Affine(1, 0, 0, 0, -1, 1), 1, CRS("EPSG:4326"))
    >>> round(float(a[0]) / 1e6)  # a 1°×1° cell at the equator, in km²
    12308
    """
    ell = crs.ellipsoid
    a = ell.semi_major_metre
    b = ell.semi_minor_metre
    e2 = 1.0 - (b * b) / (a * a)
    e = np.sqrt(e2)

    def q(lat_deg: np.ndarray) -> np.ndarray:
        s = np.sin(np.radians(lat_deg))
        if e == 0:
            return 2.0 * s
        return (1 - e2) * (s / (1 - e2 * s * s) - (1 / (2 * e)) * np.log((1 - e * s) / (1 + e * s)))

    rows = np.arange(height + 1)
    lats = transform.f + transform.e * rows
    dlon = np.radians(abs(transform.a))
    band = np.abs(q(lats[:-1]) - q(lats[1:]))
    return 0.5 * a * a * band * dlon


def _strip_rows(width: int, target_pixels: int) -> int:
    return max(1, target_pixels // max(width, 1))


def raster_class_areas(
    raster: str | Path | RasterSource,
    zones: Any,
    *,
    level: str | None = "commune",
    band: int = 1,
    legend: Any = None,
    artificial: Any = None,
    strip_pixels: int = 16_000_000,
    progress: bool = False,
) -> RasterStats:
    """Area of each raster class in each territory, and the artificial share.

    Parameters
    ----------
    raster : str, pathlib.Path or RasterSource
        A classified GeoTIFF (:func:`zan.io.raster.open_raster`).
    zones : Territories or geopandas.GeoDataFrame
        As in :func:`zan.measure.artificialisation.artificialisation_stock`;
        reprojected to the raster's CRS (noted) for the rasterization.
    level : str, default "commune"
        Territorial level.
    band : int, default 1
        Band holding the classes (when ``raster`` is a path).
    legend : optional
        Class table (:func:`zan.io.raster.read_legend`): ``"corine"``,
        ``"corine_grid"``, a CSV... Overrides the one of a ``RasterSource``.
    artificial : iterable of int, optional
        Pixel values counted as artificial; by default the legend's
        ``artificiel`` column.
    strip_pixels : int, default 16,000,000
        Pixels processed at once (memory bound: about 13 bytes each).
    progress : bool, default False
        Show a tqdm progress bar over the strips.

    Returns
    -------
    RasterStats

    Raises
    ------
    DataError
        No territory overlaps the raster (both extents given).

    Examples
    --------
    >>> from zan.datasets import get_path
    >>> import zan.io.territories as t
    >>> zones = t.read_communes(get_path("communes.gpkg"))
    >>> st = raster_class_areas(get_path("corine_demo.tif"), zones, legend="corine")
    >>> bool(abs(st.by_class.sum(axis=1) - st.table["classified_ha"]).max() < 1e-9)
    True
    """
    import rasterio
    from rasterio.features import rasterize
    from affine import Affine
    from rasterio.windows import Window
    from tqdm.auto import tqdm

    src = raster if isinstance(raster, RasterSource) else open_raster(raster, band=band)
    leg = read_legend(legend) if legend is not None else src.legend
    notes = list(src.notes)

    # Zone surfaces in a projected CRS, before any reprojection to the raster's CRS.
    z_area = _prepare_zones(zones, level, _area_crs(zones))
    area_m2 = pd.Series(shapely.area(_geom_array(z_area.gdf)), index=z_area.gdf.index)
    z = _prepare_zones(zones, level, src.crs)
    notes.extend(z.notes)
    geoms = _geom_array(z.gdf)
    nz = len(geoms)
    ids = np.arange(1, nz + 1, dtype=np.int32)
    extent = shapely.box(*src.bounds)
    inside_m2 = pd.Series(
        shapely.area(_geom_array(_prepare_zones(
            _clip_frame(z.gdf, extent), None, _area_crs(zones)).gdf)),
        index=z.gdf.index,
    ) if src.crs.is_projected else None
    tree = shapely.STRtree(geoms)
    if len(tree.query(extent, predicate="intersects")) == 0:
        zb = tuple(round(v, 3) for v in z.gdf.total_bounds)
        rb = tuple(round(v, 3) for v in src.bounds)
        raise DataError(
            f"{src.path}: no territory overlaps the raster (raster bounds {rb}, territory bounds "
            f"{zb}, in {src.crs.to_string()}); check that they cover the same area"
        )

    info = np.iinfo(np.dtype(src.dtype))
    small_ints = info.bits <= 16
    offset = int(info.min) if small_ints else 0
    lut = np.full(2 ** info.bits, -1, dtype=np.int64) if small_ints else None
    values: list[int] = []
    cap = 64
    counts = np.zeros((nz + 1, cap), dtype=np.float64)
    pixel_area = src.pixel_area_m2
    row_area = None if pixel_area is not None else geographic_row_areas(src.transform, src.height, src.crs)
    rows = _strip_rows(src.width, strip_pixels)
    starts = range(0, src.height, rows)
    with rasterio.open(src.path) as ds:
        for r0 in tqdm(starts, desc="raster strips", unit="strip", disable=not progress, leave=False):
            h = min(rows, src.height - r0)
            win = Window(0, r0, src.width, h)
            win_transform = src.transform @ Affine.translation(0, r0)
            t = win_transform
            ys = (t.f, t.f + t.e * h)
            wb = shapely.box(t.c, min(ys), t.c + t.a * src.width, max(ys))
            sel = tree.query(wb, predicate="intersects")
            if len(sel) == 0:
                continue
            zone_px = rasterize(
                zip(geoms[sel], ids[sel], strict=True),
                out_shape=(h, src.width),
                transform=win_transform,
                fill=0,
                dtype="int32",
                all_touched=False,
            )
            if not zone_px.any():
                continue
            data = ds.read(src.band, window=win)
            # Pixel value -> class index, registering values seen for the first time.
            if small_ints:
                flat_data = data.ravel()
                shifted = flat_data.astype(np.int64) - offset if offset else flat_data
                seen = np.flatnonzero(np.bincount(shifted, minlength=1)) + offset
                new = seen[lut[seen - offset] < 0]
            else:
                seen = np.unique(data)
                new = seen[~np.isin(seen, values)]
            if len(new):
                if small_ints:
                    lut[new - offset] = np.arange(len(values), len(values) + len(new))
                values.extend(int(v) for v in new)
                while len(values) > cap:
                    cap *= 2
                    counts = np.pad(counts, ((0, 0), (0, cap - counts.shape[1])))
            if small_ints:
                cls = lut[shifted]
            else:
                order = np.asarray(values)
                sorter = np.argsort(order)
                cls = sorter[np.searchsorted(order, data.ravel(), sorter=sorter)]
            # Zone 0 (outside every territory) is counted too, in row 0, then dropped.
            flat = zone_px.ravel().astype(np.int64) * cap + cls
            if row_area is None:
                counts += np.bincount(flat, minlength=(nz + 1) * cap).reshape(nz + 1, cap)
            else:
                w = np.repeat(row_area[r0 : r0 + h], src.width)
                counts += np.bincount(flat, weights=w, minlength=(nz + 1) * cap).reshape(nz + 1, cap)
    counts = counts[1:, : len(values)]
    scale = pixel_area if pixel_area is not None else 1.0
    vals = np.asarray(values, dtype=np.int64)
    order = np.argsort(vals)
    vals, counts = vals[order], counts[:, order]
    m2 = counts * scale
    is_nodata = vals == src.nodata if src.nodata is not None else np.zeros(len(vals), bool)
    class_vals = vals[~is_nodata]
    class_m2 = pd.DataFrame(m2[:, ~is_nodata], index=z.gdf.index, columns=class_vals)

    if artificial is not None:
        art_vals = np.asarray(list(artificial), dtype=np.int64)
    elif leg is not None and leg["artificiel"].notna().any():
        art_vals = leg.index[leg["artificiel"].fillna(False).to_numpy(dtype=bool)].to_numpy()
    else:
        art_vals = None
        notes.append(
            f"{src.path}: no artificial classes known (pass legend='corine' or artificial=[...]); "
            "artificial_ha left empty"
        )
    if leg is not None:
        unknown = sorted(set(class_vals.tolist()) - set(leg.index.tolist()))
        if unknown:
            notes.append(
                f"{src.path}: pixel values not in the legend: {', '.join(map(str, unknown[:20]))}"
            )
    zone_m2 = pd.DataFrame(index=z.gdf.index)
    zone_m2["area_m2"] = area_m2.reindex(z.gdf.index).to_numpy()
    zone_m2["raster_m2"] = m2.sum(axis=1)
    zone_m2["classified_m2"] = class_m2.sum(axis=1).to_numpy()
    zone_m2["nodata_m2"] = m2[:, is_nodata].sum(axis=1)
    zone_m2["outside_extent_m2"] = (
        (zone_m2["area_m2"] - inside_m2.reindex(z.gdf.index)).clip(lower=0.0).to_numpy()
        if inside_m2 is not None else np.nan
    )
    zone_m2["artificial_m2"] = (
        class_m2.loc[:, np.isin(class_vals, art_vals)].sum(axis=1).to_numpy()
        if art_vals is not None else np.nan
    )
    agg = z.aggregate(zone_m2.fillna({"outside_extent_m2": 0.0, "artificial_m2": 0.0}))
    table = pd.DataFrame(index=agg.index)
    table["nom"] = agg["nom"]
    for col in ("area", "raster", "classified", "nodata", "outside_extent", "artificial"):
        table[f"{col}_ha"] = agg[f"{col}_m2"] / _M2_PER_HA
    if inside_m2 is None:
        table["outside_extent_ha"] = np.nan
    if art_vals is None:
        table["artificial_ha"] = np.nan
    with np.errstate(divide="ignore", invalid="ignore"):
        table["artificial_pct"] = 100.0 * table["artificial_ha"] / table["classified_ha"]
    by_class = z.aggregate(class_m2).drop(columns="nom") / _M2_PER_HA
    by_class.columns = pd.Index(class_vals, name="value")
    labels = pd.Series(
        [str(leg["libelle"].get(v, v)) if leg is not None else str(v) for v in class_vals],
        index=pd.Index(class_vals, name="value"), name="libelle", dtype="str",
    )
    return RasterStats(table=table, by_class=by_class, labels=labels, pixel_area_m2=pixel_area,
                       notes=tuple(notes))


def _area_crs(zones: Any) -> Any:
    crs = zones.communes.crs if hasattr(zones, "communes") else getattr(zones, "crs", None)
    if crs is not None and CRS.from_user_input(crs).is_projected:
        return crs
    return LAMBERT93


def _clip_frame(gdf: Any, extent: Any) -> Any:
    clipped = gdf.copy()
    clipped = clipped.set_geometry(shapely.intersection(_geom_array(gdf), extent))
    return clipped
