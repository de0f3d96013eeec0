"""Generate the land-cover demo files of the fictitious "Région Démo".

Usage::

    python scripts/make_demo_landcover.py [--out DIR]

reads ``DIR/communes.gpkg`` (``data/demo`` by default, written by
``scripts/make_demo_data.py``) and writes, beside it:

* ``ocsge_demo_2018.gpkg`` and ``ocsge_demo_2021.gpkg``: an OCS GE-like layer
  (layer ``occupation_du_sol``, EPSG:2154) over a window around three
  communes, with couverture ``code_cs`` and usage ``code_us`` (upper-case
  column names in 2018, lower-case in 2021, as real deliveries vary), including
  small sheds (< 50 m²), houses, and 4 m / 7 m wide roads that exercise the
  décret 2023-1096 thresholds;
* ``ocsge_demo_difference_2018_2021.gpkg``: the "difference" product
  (``cs_avant``, ``cs_apres``, ``us_avant``, ``us_apres``) on the polygons that
  changed;
* ``cadastre-<insee>-parcelles.json.gz`` for the three communes: Etalab-style
  parcels (EPSG:4326, properties ``id``, ``commune``, ``prefixe``, ``section``,
  ``numero``, ``contenance``, ``arpente``, ``created``, ``updated``);
* ``corine_demo.tif``: a Corine-like raster (100 m, EPSG:2154, codes 111-523,
  nodata 0 outside the region) over the whole region.

Everything is synthetic. The output is deterministic (seeded random streams,
fixed GeoPackage timestamps, gzip without a timestamp) and small (< 3 MB).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import zlib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

__all__ = ["write_landcover_demo", "main"]

OGR_DATE = "2024-01-01T00:00:00.000Z"
LAYER = "occupation_du_sol"
#: Number of land-cover blocks in the OCS GE window.
N_BLOCKS = 900
#: Parcels per commune (about).
PARCELS_PER_COMMUNE = 1200


def _rng(seed: int, step: str) -> np.random.Generator:
    return np.random.default_rng([seed, zlib.crc32(step.encode())])


@contextmanager
def _fixed_ogr_date() -> Iterator[None]:
    before = os.environ.get("OGR_CURRENT_DATE")
    os.environ["OGR_CURRENT_DATE"] = OGR_DATE
    pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": OGR_DATE})
    try:
        yield
    finally:
        pyogrio.set_gdal_config_options({"OGR_CURRENT_DATE": before})
        if before is None:
            del os.environ["OGR_CURRENT_DATE"]
        else:
            os.environ["OGR_CURRENT_DATE"] = before


def _replace(tmp: Path, dest: Path) -> Path:
    os.replace(tmp, dest)
    return dest


def _tmp(dest: Path) -> Path:
    tmp = dest.with_name(f".{dest.stem}.tmp{''.join(dest.suffixes[-1:])}")
    if tmp.exists():
        tmp.unlink()
    return tmp


def _write_gpkg(gdf: gpd.GeoDataFrame, dest: Path) -> Path:
    tmp = _tmp(dest)
    with _fixed_ogr_date():
        pyogrio.write_dataframe(gdf, tmp, layer=LAYER, driver="GPKG", SPATIAL_INDEX="NO")
    return _replace(tmp, dest)


# ---------------------------------------------------------------------- choice of communes


def _communes_frame(communes: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    if "code_insee" in communes.columns:
        communes = communes.set_index("code_insee")
    communes = communes.sort_index()
    communes.index = communes.index.astype("str")
    return communes.to_crs("EPSG:2154") if communes.crs.to_epsg() != 2154 else communes


def pick_communes(communes: gpd.GeoDataFrame, n: int = 3) -> list[str]:
    """The commune nearest the region's centre and its neighbours with the smallest codes."""
    c = _communes_frame(communes)
    geoms = np.asarray(c.geometry.array, dtype=object)
    centre = shapely.centroid(shapely.union_all(geoms))
    first = int(np.argmin(shapely.distance(geoms, centre)))
    touching = shapely.STRtree(geoms).query(geoms[first], predicate="touches")
    shared = shapely.length(shapely.intersection(geoms[touching], geoms[first]))
    touching = touching[shared > 100]
    chosen = [c.index[first], *sorted(c.index[touching])[: n - 1]]
    return [str(x) for x in chosen]


# ---------------------------------------------------------------------- OCS GE


def _voronoi(points: np.ndarray, extent: shapely.Geometry) -> np.ndarray:
    cells = shapely.get_parts(shapely.voronoi_polygons(shapely.multipoints(points), extend_to=extent))
    cells = shapely.intersection(cells, extent)
    # Order cells like the points, for determinism.
    idx = shapely.STRtree(cells).query(shapely.points(points), predicate="within")
    order = np.full(len(points), -1)
    order[idx[0]] = idx[1]
    return cells[order[order >= 0]]


def _landscape(window: shapely.Geometry, centres: np.ndarray, seed: int) -> gpd.GeoDataFrame:
    rng = _rng(seed, "ocsge-blocks")
    x0, y0, x1, y1 = window.bounds
    pts = np.column_stack([rng.uniform(x0, x1, N_BLOCKS), rng.uniform(y0, y1, N_BLOCKS)])
    pts = np.round(pts, 1)
    cells = shapely.set_precision(_voronoi(pts, window), 0.1)
    mid = shapely.get_coordinates(shapely.point_on_surface(cells))
    d = np.min(np.hypot(mid[:, None, 0] - centres[None, :, 0], mid[:, None, 1] - centres[None, :, 1]),
               axis=1)
    u = rng.uniform(size=len(cells))
    urban = d < 1300
    edge = (d >= 1300) & (d < 2200)
    table_urban = [("CS1.1.1.1", "US5"), ("CS1.1.1.1", "US235"), ("CS1.1.1.2", "US4.1.1"),
                   ("CS2.2.1", "US5"), ("CS1.1.2.1", "US2"), ("CS2.1.1.1", "US3")]
    p_urban = [0.34, 0.12, 0.14, 0.22, 0.1, 0.08]
    table_edge = [("CS1.1.1.1", "US2"), ("CS1.1.1.1", "US5"), ("CS2.2.1", "US1.1"),
                  ("CS2.2.1", "US5"), ("CS1.1.2.1", "US1.3"), ("CS1.1.1.2", "US4.2")]
    p_edge = [0.15, 0.2, 0.4, 0.1, 0.05, 0.1]
    table_rural = [("CS2.2.1", "US1.1"), ("CS2.1.1.1", "US1.2"), ("CS2.1.1.2", "US1.2"),
                   ("CS2.1.2", "US6.3"), ("CS1.2.2", "US6.3"), ("CS2.2.1", "US6.3")]
    p_rural = [0.66, 0.14, 0.04, 0.06, 0.04, 0.06]

    def draw(table: list[tuple[str, str]], p: list[float], uu: np.ndarray) -> np.ndarray:
        edges = np.cumsum(p)
        return np.asarray([table[min(int(k), len(table) - 1)] for k in np.searchsorted(edges, uu)])

    codes = np.where(
        urban[:, None], draw(table_urban, p_urban, u),
        np.where(edge[:, None], draw(table_edge, p_edge, u), draw(table_rural, p_rural, u)),
    )
    return gpd.GeoDataFrame({"code_cs": codes[:, 0], "code_us": codes[:, 1]}, geometry=cells,
                            crs="EPSG:2154")


def _features(blocks: gpd.GeoDataFrame, window: shapely.Geometry, seed: int) -> gpd.GeoDataFrame:
    """Small sheds and houses in fields, and two roads (4 m and 7 m wide) across the window."""
    rng = _rng(seed, "ocsge-features")
    fields = blocks[(blocks["code_cs"] == "CS2.2.1") & (blocks["code_us"] == "US1.1")]
    geoms = np.asarray(fields.geometry.array, dtype=object)
    pick = rng.choice(len(geoms), size=min(60, len(geoms)), replace=False)
    centres = shapely.get_coordinates(shapely.point_on_surface(geoms[pick]))
    sides = np.where(np.arange(len(pick)) % 2 == 0, 6.0, 12.0)  # 36 m² sheds, 144 m² houses
    sq = shapely.box(centres[:, 0] - sides / 2, centres[:, 1] - sides / 2,
                     centres[:, 0] + sides / 2, centres[:, 1] + sides / 2)
    us = np.where(sides < 10, "US1.1", "US5")
    x0, y0, x1, y1 = window.bounds
    ym = round((y0 + y1) / 2 + 137.3, 1)
    xm = round((x0 + x1) / 2 - 211.7, 1)
    narrow = shapely.box(x0, ym - 2.0, x1, ym + 2.0)  # 4 m: under the 5 m threshold
    wide = shapely.box(xm - 3.5, y0, xm + 3.5, y1)  # 7 m
    narrow = shapely.difference(narrow, wide)
    return gpd.GeoDataFrame(
        {
            "code_cs": [*["CS1.1.1.1"] * len(sq), "CS1.1.1.2", "CS1.1.1.2"],
            "code_us": [*us, "US4.1.1", "US4.1.1"],
        },
        geometry=[*sq, narrow, wide],
        crs="EPSG:2154",
    )


def _ocsge_2018(window: shapely.Geometry, centres: np.ndarray, seed: int) -> gpd.GeoDataFrame:
    blocks = _landscape(window, centres, seed)
    feats = _features(blocks, window, seed)
    cut = shapely.union_all(np.asarray(feats.geometry.array, dtype=object))
    rest = shapely.difference(np.asarray(blocks.geometry.array, dtype=object), cut)
    blocks = blocks.set_geometry(gpd.GeoSeries(rest, crs=blocks.crs))
    layer = pd.concat([blocks, feats], ignore_index=True)
    layer = layer.explode(index_parts=False).reset_index(drop=True)
    layer = layer[layer.area > 1.0].reset_index(drop=True)
    layer = layer.set_geometry(gpd.GeoSeries(shapely.set_precision(
        np.asarray(layer.geometry.array, dtype=object), 0.1), crs=layer.crs))
    return layer


def _ocsge_2021(v2018: gpd.GeoDataFrame, centres: np.ndarray, seed: int) -> gpd.GeoDataFrame:
    rng = _rng(seed, "ocsge-2021")
    v = v2018.copy()
    mid = shapely.get_coordinates(shapely.point_on_surface(np.asarray(v.geometry.array, dtype=object)))
    d = np.min(np.hypot(mid[:, None, 0] - centres[None, :, 0], mid[:, None, 1] - centres[None, :, 1]),
               axis=1)
    big = v.area > 5000
    field = (v["code_cs"] == "CS2.2.1") & (v["code_us"] == "US1.1") & big
    near = field & (d < 2600)
    u = rng.uniform(size=len(v))
    to_housing = near & (u < 0.3)
    to_activity = near & (u >= 0.3) & (u < 0.4)
    v.loc[to_housing, ["code_cs", "code_us"]] = ["CS1.1.1.1", "US5"]
    v.loc[to_activity, ["code_cs", "code_us"]] = ["CS1.1.1.1", "US2"]
    brown = (v["code_cs"] == "CS1.1.2.1") & (v["code_us"] == "US2") & big
    renat = brown & (rng.uniform(size=len(v)) < 0.5)
    v.loc[renat, ["code_cs", "code_us"]] = ["CS2.1.2", "US6.3"]
    return v


def _difference(v1: gpd.GeoDataFrame, v2: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    changed = (v1["code_cs"] != v2["code_cs"]) | (v1["code_us"] != v2["code_us"])
    return gpd.GeoDataFrame(
        {
            "cs_avant": v1.loc[changed, "code_cs"].to_numpy(),
            "cs_apres": v2.loc[changed, "code_cs"].to_numpy(),
            "us_avant": v1.loc[changed, "code_us"].to_numpy(),
            "us_apres": v2.loc[changed, "code_us"].to_numpy(),
            "millesime_debut": 2018,
            "millesime_fin": 2021,
        },
        geometry=np.asarray(v2.geometry.array, dtype=object)[changed.to_numpy()],
        crs=v1.crs,
    )


# ---------------------------------------------------------------------- parcels


def _section_codes(n: int) -> list[str]:
    letters = [chr(c) for c in range(ord("A"), ord("Z") + 1)]
    single = ["0" + a for a in letters]
    double = [a + b for a in letters for b in letters]
    return (single + double)[:n]


def _parcels(commune: str, geom: shapely.Geometry, seed: int) -> gpd.GeoDataFrame:
    rng = _rng(seed, f"parcels-{commune}")
    x0, y0, x1, y1 = geom.bounds
    n = int(PARCELS_PER_COMMUNE * geom.area / shapely.box(x0, y0, x1, y1).area) + PARCELS_PER_COMMUNE
    pts = np.column_stack([rng.uniform(x0, x1, n), rng.uniform(y0, y1, n)])
    pts = pts[shapely.contains_xy(geom, pts[:, 0], pts[:, 1])][:PARCELS_PER_COMMUNE]
    pts = np.round(pts, 1)
    cells = _voronoi(pts, geom.envelope)
    cells = shapely.intersection(cells, geom)
    cells = shapely.get_parts(cells)
    cells = cells[shapely.get_type_id(cells) == 3]
    cells = cells[shapely.area(cells) > 20]
    mid = shapely.get_coordinates(shapely.point_on_surface(cells))
    # Sections: 1.5 km squares, ordered from north-west; numbers within a section from north-west.
    gx = np.floor((mid[:, 0] - x0) / 1500).astype(int)
    gy = np.floor((y1 - mid[:, 1]) / 1500).astype(int)
    sec_key = gy * 1000 + gx
    uniq = np.unique(sec_key)
    codes = np.asarray(_section_codes(len(uniq)))
    section = codes[np.searchsorted(uniq, sec_key)]
    order = np.lexsort((mid[:, 0], -mid[:, 1], sec_key))
    cells, section = cells[order], section[order]
    numero = pd.Series(section).groupby(section).cumcount().to_numpy() + 1
    area = shapely.area(cells)
    contenance = np.round(area * rng.normal(1.0, 0.01, len(cells))).astype(int)
    created = np.datetime64("2006-03-01") + rng.integers(0, 5000, len(cells)).astype("timedelta64[D]")
    updated = created + rng.integers(0, 3000, len(cells)).astype("timedelta64[D]")
    ids = [f"{commune}000{s}{k:04d}" for s, k in zip(section, numero, strict=True)]
    return gpd.GeoDataFrame(
        {
            "id": ids,
            "commune": commune,
            "prefixe": "000",
            "section": section,
            "numero": [f"{k:04d}" for k in numero],
            "contenance": contenance,
            "arpente": rng.uniform(size=len(cells)) < 0.1,
            "created": created.astype(str),
            "updated": updated.astype(str),
        },
        geometry=cells,
        crs="EPSG:2154",
    )


def _round_coords(obj: list | float) -> list | float:
    if isinstance(obj, list):
        return [_round_coords(o) for o in obj]
    return round(float(obj), 7)


def _write_parcels_json(gdf: gpd.GeoDataFrame, dest: Path) -> Path:
    wgs = gdf.to_crs("EPSG:4326")
    geojson = json.loads(gpd.GeoSeries(wgs.geometry.to_numpy(), crs=wgs.crs).to_json())
    features = []
    props = wgs.drop(columns="geometry")
    for rec, feat in zip(props.to_dict("records"), geojson["features"], strict=True):
        geom = feat["geometry"]
        geom["coordinates"] = _round_coords(geom["coordinates"])
        rec = {k: (bool(v) if isinstance(v, (bool, np.bool_)) else
                   int(v) if isinstance(v, (np.integer,)) else v) for k, v in rec.items()}
        features.append({"type": "Feature", "id": rec["id"], "geometry": geom, "properties": rec})
    text = json.dumps({"type": "FeatureCollection", "features": features}, ensure_ascii=False,
                      separators=(",", ":"))
    tmp = _tmp(dest)
    with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0, filename="") as gz:
        gz.write(text.encode("utf-8"))
    return _replace(tmp, dest)


# ---------------------------------------------------------------------- Corine-like raster


def _write_corine(communes: gpd.GeoDataFrame, dest: Path, seed: int) -> Path:
    import rasterio
    from rasterio.features import geometry_mask, rasterize
    from rasterio.transform import from_origin

    rng = _rng(seed, "corine")
    x0, y0, x1, y1 = communes.total_bounds
    x0, y0 = np.floor(x0 / 100) * 100, np.floor(y0 / 100) * 100
    x1, y1 = np.ceil(x1 / 100) * 100, np.ceil(y1 / 100) * 100
    w, h = int((x1 - x0) / 100), int((y1 - y0) / 100)
    transform = from_origin(x0, y1, 100, 100)
    coarse = rng.uniform(size=(h // 20 + 2, w // 20 + 2))
    field = np.kron(coarse, np.ones((20, 20)))[:h, :w]
    field = field + rng.normal(0, 0.08, (h, w))
    classes = np.select(
        [field < 0.55, field < 0.7, field < 0.88, field < 0.95],
        [211, 231, 311, 242], default=512,
    ).astype("uint16")
    # Towns: discs of artificial classes around the commune centres, bigger for larger communes.
    geoms = np.asarray(communes.geometry.array, dtype=object)
    centres = shapely.point_on_surface(geoms)
    radius = np.sqrt(shapely.area(geoms)) * rng.uniform(0.05, 0.12, len(geoms))
    towns = [(g, 112) for g in shapely.buffer(centres, radius)]
    towns += [(g, 111) for g in shapely.buffer(centres, radius * 0.5)]
    urban = rasterize(towns, out_shape=(h, w), transform=transform, fill=0, dtype="uint16")
    classes = np.where(urban > 0, urban, classes).astype("uint16")
    zones = rng.uniform(size=classes.shape) < 0.004
    classes[zones & (classes == 112)] = 121
    outside = geometry_mask(geoms, out_shape=(h, w), transform=transform, invert=False)
    classes[outside] = 0
    tmp = _tmp(dest)
    profile = dict(driver="GTiff", width=w, height=h, count=1, dtype="uint16", crs="EPSG:2154",
                   transform=transform, nodata=0, compress="deflate", predictor=2, tiled=True,
                   blockxsize=256, blockysize=256)
    with rasterio.open(tmp, "w", **profile) as ds:
        ds.write(classes, 1)
    return _replace(tmp, dest)


# ---------------------------------------------------------------------- entry points


def write_landcover_demo(
    out_dir: Path,
    communes: gpd.GeoDataFrame,
    seed: int,
    *,
    parcel_communes: Sequence[str] | None = None,
) -> list[Path]:
    """Write the OCS GE, difference, parcel and Corine demo files into ``out_dir``.

    Parameters
    ----------
    out_dir : pathlib.Path
        Destination folder (``data/demo``).
    communes : geopandas.GeoDataFrame
        The demo communes (``code_insee`` column or index, EPSG:2154).
    seed : int
        Seed of every random stream.
    parcel_communes : sequence of str, optional
        The communes that get parcels and the OCS GE window; by default the
        commune nearest the region's centre and two of its neighbours.

    Returns
    -------
    list of pathlib.Path
        The files written.
    """
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    c = _communes_frame(communes)
    chosen = list(parcel_communes) if parcel_communes is not None else pick_communes(c)
    sub = c.loc[chosen]
    geoms = np.asarray(sub.geometry.array, dtype=object)
    x0, y0, x1, y1 = shapely.union_all(geoms).bounds
    window = shapely.box(round(x0, -2), round(y0, -2), round(x1, -2), round(y1, -2))
    centres = shapely.get_coordinates(shapely.point_on_surface(geoms))
    v2018 = _ocsge_2018(window, centres, seed)
    v2021 = _ocsge_2021(v2018, centres, seed)
    written = []
    upper = v2018.rename(columns={"code_cs": "CODE_CS", "code_us": "CODE_US"}).assign(MILLESIME=2018)
    written.append(_write_gpkg(upper[["CODE_CS", "CODE_US", "MILLESIME", "geometry"]],
                               out_dir / "ocsge_demo_2018.gpkg"))
    written.append(_write_gpkg(v2021.assign(millesime=2021)[["code_cs", "code_us", "millesime",
                                                             "geometry"]],
                               out_dir / "ocsge_demo_2021.gpkg"))
    written.append(_write_gpkg(_difference(v2018, v2021),
                               out_dir / "ocsge_demo_difference_2018_2021.gpkg"))
    for code, geom in zip(chosen, geoms, strict=True):
        written.append(_write_parcels_json(_parcels(code, geom, seed),
                                           out_dir / f"cadastre-{code}-parcelles.json.gz"))
    written.append(_write_corine(c, out_dir / "corine_demo.tif", seed))
    return written


def main(argv: Sequence[str] | None = None) -> int:
    """Read ``communes.gpkg`` from the output folder and write the land-cover demo files."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "data" / "demo")
    parser.add_argument("--seed", type=int, default=2154)
    args = parser.parse_args(argv)
    communes = gpd.read_file(args.out / "communes.gpkg", layer="communes")
    paths = write_landcover_demo(args.out, communes, args.seed)
    total = sum(p.stat().st_size for p in paths)
    for p in paths:
        print(f"{p.name:45s} {p.stat().st_size / 1024:8.1f} KiB")
    print(f"total {total / 1024 / 1024:.2f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
