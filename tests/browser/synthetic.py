"""Synthetic communes for the map tests: a Voronoi coverage in Lambert-93."""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

EVIL = "<script>alert(1)</script>"


def voronoi_communes(n: int = 60, *, seed: int = 0, evil: bool = True) -> gpd.GeoDataFrame:
    """``n`` Voronoi cells over a 40 km x 30 km box near Lille, indexed by code.

    The cells form a valid coverage (shared borders have identical vertices).
    One commune is named ``EVIL`` when ``evil``.
    """
    rng = np.random.default_rng(seed)
    x0, y0, w, h = 690_000.0, 7_040_000.0, 40_000.0, 30_000.0
    pts = np.column_stack([x0 + rng.uniform(0, w, n), y0 + rng.uniform(0, h, n)])
    frame = shapely.box(x0, y0, x0 + w, y0 + h)
    cells = shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=frame)
    cells = shapely.intersection(shapely.get_parts(cells), frame)
    # order cells like the seed points
    order = shapely.STRtree(cells).query(shapely.points(pts), predicate="within")
    cells = cells[order[1][np.argsort(order[0])]]
    cells = shapely.set_precision(cells, 1.0)
    codes = [f"59{i:03d}" for i in range(1, n + 1)]
    names = [f"Commune {i}" for i in range(1, n + 1)]
    if evil:
        names[1] = EVIL
    return gpd.GeoDataFrame(
        {"nom": names}, geometry=cells, crs="EPSG:2154", index=pd.Index(codes, name="code")
    )


def allocation_table(gdf: gpd.GeoDataFrame, *, seed: int = 1, factor: float = 1.0) -> pd.DataFrame:
    """An allocation-like table indexed by code (see zan.allocate.Allocation.table)."""
    rng = np.random.default_rng(seed)
    n = len(gdf)
    reference = np.round(rng.lognormal(2.0, 0.8, n), 2)
    envelope = np.round(reference * rng.uniform(0.3, 0.7, n) * factor, 2)
    envelope = np.maximum(envelope, 1.0)
    return pd.DataFrame(
        {
            "nom": gdf["nom"].to_numpy(),
            "reference_ha": reference,
            "envelope_ha": envelope,
            "reduction_pct": np.round(100 * (1 - envelope / reference), 2),
            "population_ha": np.round(envelope * 0.6, 2),
            "efficacite_ha": np.round(envelope * 0.4, 2),
            "floor_ha": 1.0,
            "cap_ha": np.nan,
            "bound": np.where(envelope <= 1.0, "floor", "none"),
        },
        index=gdf.index,
    )
