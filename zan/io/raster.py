"""Classified land-cover rasters (GeoTIFF): Corine Land Cover or any raster with a class table.

Corine Land Cover (DOMAIN.md §3) is a 100 m raster whose classes are the codes
111-523 (or, in the distributed GeoTIFF, the grid codes 1-44 with a colour
table); the 1xx classes are artificial surfaces. Any other classified raster
works with a legend: a CSV with the columns ``value``, ``libelle`` and,
optionally, ``artificiel`` (1/0).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from pyproj import CRS

from ..errors import CRSError, DataError, SchemaError
from ..nomenclature import corine

__all__ = ["RasterSource", "open_raster", "read_legend"]


@dataclass(frozen=True)
class RasterSource:
    """A classified raster, checked and described (the pixels are read later, by strips).

    Attributes
    ----------
    path : pathlib.Path
        The file.
    crs : pyproj.CRS
        Its CRS (from the file, or the ``crs`` given to :func:`open_raster`).
    transform : affine.Affine
        Pixel → CRS coordinates (north-up: no rotation).
    width, height : int
        Size in pixels.
    band : int
        Band read (1-based).
    dtype : str
        Integer data type.
    nodata : int or None
        Value of pixels without data.
    legend : pandas.DataFrame or None
        Indexed by pixel ``value``: ``libelle``, ``artificiel`` (bool or NA).
    notes : tuple of str
        What was assumed.
    """

    path: Path
    crs: CRS
    transform: Any
    width: int
    height: int
    band: int
    dtype: str
    nodata: int | None
    legend: pd.DataFrame | None
    notes: tuple[str, ...] = ()

    @property
    def pixel_area_m2(self) -> float | None:
        """Area of one pixel in m² for a projected CRS (None when geographic)."""
        if not self.crs.is_projected:
            return None
        t = self.transform
        return abs(t.a * t.e - t.b * t.d)

    @property
    def bounds(self) -> tuple[float, float, float, float]:
        """(xmin, ymin, xmax, ymax) in the raster's CRS."""
        t = self.transform
        xs = (t.c, t.c + t.a * self.width)
        ys = (t.f, t.f + t.e * self.height)
        return (min(xs), min(ys), max(xs), max(ys))


def read_legend(legend: Any) -> pd.DataFrame:
    """Read a class table for a classified raster.

    Parameters
    ----------
    legend : str, pathlib.Path, Mapping or pandas.DataFrame
        ``"corine"`` (values are the Corine codes 111-523), ``"corine_grid"``
        (values are the grid codes 1-44 of the distributed GeoTIFF), a CSV path
        with columns ``value``, ``libelle`` and optionally ``artificiel`` (1/0),
        a mapping value → label, or such a DataFrame.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``value`` (int): ``libelle`` (str), ``artificiel`` (boolean, NA
        when unknown).

    Raises
    ------
    SchemaError
        Missing ``value`` column, or values that are not integers.

    Examples
    --------
    >>> leg = read_legend("corine_grid")
    >>> leg.loc[2, "libelle"], bool(leg.loc[2, "artificiel"])
    ('Tissu urbain discontinu', True)
    """
    if isinstance(legend, str) and legend in ("corine", "corine_grid"):
        clc = corine()
        if legend == "corine":
            df = pd.DataFrame({"libelle": clc["libelle"], "artificiel": clc["artificiel"]})
        else:
            df = pd.DataFrame(
                {"libelle": clc["libelle"].to_numpy(), "artificiel": clc["artificiel"].to_numpy()},
                index=clc["grid_code"].to_numpy(),
            )
        df.index.name = "value"
        df["artificiel"] = df["artificiel"].astype("boolean")
        return df
    if isinstance(legend, Mapping):
        df = pd.DataFrame(
            {"value": list(legend.keys()), "libelle": list(map(str, legend.values()))}
        )
        source = "legend"
    elif isinstance(legend, pd.DataFrame):
        df = legend.reset_index() if "value" not in legend.columns else legend.copy()
        source = "legend"
    else:
        from ._files import read_table

        df = read_table(legend, what="raster legend")
        source = str(legend)
    df.columns = [str(c).strip().lower() for c in df.columns]
    if "value" not in df.columns:
        raise SchemaError(
            f"{source}: no 'value' column (columns: {', '.join(df.columns)}); the legend needs "
            "value (the pixel value), libelle and optionally artificiel (1/0)"
        )
    values = pd.to_numeric(df["value"], errors="coerce")
    bad = values.isna() | (values != values.round())
    if bad.any():
        raise SchemaError(
            f"{source}, column 'value': not integers: "
            f"{', '.join(map(repr, df.loc[bad, 'value'].head(5)))}; classified rasters hold integers"
        )
    out = pd.DataFrame(index=pd.Index(values.astype("int64").to_numpy(), name="value"))
    out["libelle"] = (
        df["libelle"].astype("str").to_numpy()
        if "libelle" in df.columns
        else out.index.astype("str").to_numpy()
    )
    if "artificiel" in df.columns:
        flag = df["artificiel"].astype("str").str.strip().str.lower()
        out["artificiel"] = pd.array(
            np.where(
                flag.isin(["1", "true", "oui", "vrai"]),
                True,
                np.where(flag.isin(["0", "false", "non", "faux"]), False, None),
            ).tolist(),
            dtype="boolean",
        )
    else:
        out["artificiel"] = pd.array([pd.NA] * len(out), dtype="boolean")
    return out


def open_raster(
    path: str | Path,
    *,
    band: int = 1,
    crs: Any = None,
    legend: Any = None,
    nodata: int | None = None,
) -> RasterSource:
    """Open and check a classified raster (no pixel is read yet).

    Parameters
    ----------
    path : str or pathlib.Path
        A GeoTIFF (anything GDAL reads).
    band : int, default 1
        Band holding the classes.
    crs : str, optional
        CRS to assume when the file has none.
    legend : optional
        Class table (:func:`read_legend`): ``"corine"``, ``"corine_grid"``, a CSV...
    nodata : int, optional
        Nodata value when the file declares none.

    Returns
    -------
    RasterSource

    Raises
    ------
    DataError
        Missing file, unreadable file, band out of range, non-integer pixels
        (not a classified raster), rotated grid.
    CRSError
        No CRS in the file and ``crs`` not given.

    Examples
    --------
    >>> from zan.datasets import get_path
    >>> src = open_raster(get_path("corine_demo.tif"), legend="corine")
    >>> src.crs.to_epsg(), src.pixel_area_m2
    (2154, 10000.0)
    """
    import rasterio

    p = Path(path)
    if not p.exists():
        raise DataError(
            f"{p}: raster file not found; check the path (working folder: {Path.cwd()})"
        )
    try:
        with rasterio.open(p) as ds:
            count, dtypes = ds.count, ds.dtypes
            file_crs = ds.crs
            transform = ds.transform
            width, height = ds.width, ds.height
            file_nodata = ds.nodata
    except rasterio.errors.RasterioIOError as exc:
        raise DataError(f"{p}: cannot read the raster ({exc}); give a GeoTIFF") from None
    notes: list[str] = []
    if not 1 <= band <= count:
        raise DataError(
            f"{p}: band {band} requested, the raster has {count} band(s); pass band=1..{count}"
        )
    dtype = dtypes[band - 1]
    if not np.issubdtype(np.dtype(dtype), np.integer):
        raise DataError(
            f"{p}: pixels are {dtype}, not integer classes; a classified raster (Corine Land "
            "Cover, a land-cover map) is expected; convert it with gdal_translate -ot UInt16"
        )
    if file_crs is None:
        if crs is None:
            raise CRSError(
                f"{p}: the raster has no coordinate reference system; set it on the file "
                "(gdal_edit.py -a_srs EPSG:2154) or pass crs='EPSG:2154' (or its true CRS)"
            )
        the_crs = CRS.from_user_input(crs)
        notes.append(f"{p}: no CRS in the file; {the_crs.to_string()} assumed as given")
    else:
        the_crs = CRS.from_user_input(file_crs.to_wkt())
    if transform.b != 0 or transform.d != 0:
        raise DataError(
            f"{p}: the raster grid is rotated ({transform}); warp it to a north-up grid "
            "with gdalwarp first"
        )
    nd = file_nodata if file_nodata is not None else nodata
    if nd is not None:
        if float(nd) != round(float(nd)):
            raise DataError(f"{p}: nodata value {nd!r} is not an integer; pass nodata= an integer")
        nd = int(nd)
    return RasterSource(
        path=p,
        crs=the_crs,
        transform=transform,
        width=int(width),
        height=int(height),
        band=band,
        dtype=str(dtype),
        nodata=nd,
        legend=read_legend(legend) if legend is not None else None,
        notes=tuple(notes),
    )
