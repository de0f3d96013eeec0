"""The polygonal parts of geometries, as a repair with :func:`shapely.make_valid` needs.

:func:`shapely.make_valid` may turn an invalid polygon into a collection holding lines
or points besides polygons; areas are measured on the polygons only. Shared by the
readers (:mod:`zan.io.territories`, :mod:`zan.io.ocsge`), the measures and
:mod:`zan.validate`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import shapely

__all__ = ["polygonal_part", "polygonal_pieces"]


def polygonal_part(geoms: np.ndarray) -> np.ndarray:
    """Keep only the polygons of each geometry (a repaired one may hold lines)."""
    parts, owner = shapely.get_parts(geoms, return_index=True)
    parts2, owner2 = shapely.get_parts(parts, return_index=True)  # MultiPolygon → Polygons
    owner = owner[owner2]
    keep = shapely.get_type_id(parts2) == 3
    out = np.full(len(geoms), shapely.MultiPolygon(), dtype=object)
    if keep.any():
        found = np.unique(owner[keep])
        merged = shapely.multipolygons(parts2[keep], indices=owner[keep])
        # multipolygons() returns one geometry per index from 0 to max(index).
        out[found] = np.asarray(merged, dtype=object)[found]
    single = shapely.get_num_geometries(out) == 1
    out[single] = shapely.get_geometry(out[single], 0)
    return out


def polygonal_pieces(geoms: np.ndarray) -> np.ndarray:
    """Keep the polygonal parts of each geometry (collections from make_valid)."""
    out = geoms.copy()
    types = shapely.get_type_id(geoms)
    coll = np.flatnonzero(types == 7)  # GeometryCollection
    if len(coll):
        parts, owner = shapely.get_parts(geoms[coll], return_index=True)
        keep = np.isin(shapely.get_type_id(parts), (3, 6))
        merged = (
            pd.Series(parts[keep])
            .groupby(owner[keep])
            .agg(lambda s: shapely.union_all(s.to_numpy()))
        )
        repl = np.full(len(coll), None, dtype=object)
        repl[merged.index.to_numpy()] = merged.to_numpy()
        out[coll] = repl
    return out
