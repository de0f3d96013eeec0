"""Generate the embedded synthetic demo data of zan: the fictitious "Région Démo".

Usage::

    python scripts/make_demo_data.py [--out DIR]

``DIR`` defaults to ``data/demo`` in the repository that holds this script. The
output is deterministic: every random draw comes from a numpy ``Generator``
seeded from :data:`SEED` and the name of the step that uses it (so a step added
later does not change the files written by the others), the GeoPackage is
written with a fixed ``OGR_CURRENT_DATE``, and two runs give byte-identical
files.

Everything in the output is fictitious: the region (code ``"99"``), its three
départements (``"96"``, ``"98"``, ``"99"``, outside the real mainland numbering),
the commune names and codes, the EPCI and SCoT and every figure. Only the file
layouts are real:

* the consumption file follows the Cerema "consommation d'espaces" commune file,
  vintage 2009-2023 (``nafYYartZZ`` flows in m², destinations ``artYY{act,hab,
  mix,rou,fer,inc}ZZ``; see ``shared/DOMAIN.md`` §3), coded in the previous
  geography (COG 2023), as the real file is;
* the communes table extends the layout of the DGCL/INSEE commune lists
  (``code_insee, nom, departement, departement_nom, region, region_nom, epci_siren,
  epci_nom, epci_type``);
* the commune boundaries are a perfect coverage in Lambert-93 (EPSG:2154).

Between COG 2023 and COG 2024 the demo has two mergers (communes nouvelles
keeping the chef-lieu's code) and one split, listed in
``passage_cog2023_cog2024.csv``.

The script is organised as one ``build_region()`` that returns every table, and
one ``write_*`` function per output file; ``main()`` chains them. Later work
(OCS GE, parcels, rasters) should add a step with its own random stream
(:func:`_rng`) and its own ``write_*`` function.
"""

from __future__ import annotations

import argparse
import heapq
import os
import re
import sys
import unicodedata
import zlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely
from shapely.geometry import Polygon

# --------------------------------------------------------------------------------------
# Constants (the contract other code relies on)
# --------------------------------------------------------------------------------------

SEED = 2154
CRS = "EPSG:2154"
REGION_CODE = "99"
REGION_NAME = "Région Démo"
DEPARTEMENTS = {"96": "Côtes-de-Démo", "98": "Haut-Démo", "99": "Val-de-Démo"}
#: Bounding box the outline is fitted into (Lambert-93 metres).
OUTLINE_BOX = (655_000.0, 6_554_000.0, 756_000.0, 6_676_000.0)
#: Coordinates are rounded to this grid (metres).
GRID_M = 0.1
#: The fixed timestamp written into the GeoPackage metadata.
OGR_DATE = "2024-01-01T00:00:00.000Z"
#: Lloyd relaxations of the commune seed points (more: more even commune areas).
LLOYD = 3
#: Annual flows of the Cerema 2009-2023 vintage: calendar years 2009..2022.
FLOW_YEARS = tuple(range(2009, 2023))
#: Destinations in the Cerema column order (``artYY<dest>ZZ``).
DESTINATIONS = ("act", "hab", "mix", "rou", "fer", "inc")
ARMATURE = ("metropole", "pole", "pole_relais", "bourg", "rural")

#: Output file names (the contract).
FILES = (
    "communes.gpkg",
    "communes.csv",
    "epci.csv",
    "scot.csv",
    "departements.csv",
    "conso_enaf_2009_2023.csv",
    "passage_cog2023_cog2024.csv",
    "README.md",
)

COMMUNES_CSV_COLUMNS = [
    "code_insee", "nom", "departement", "departement_nom", "region", "region_nom",
    "epci_siren", "epci_nom", "epci_type", "scot_code", "scot_nom", "population", "population_2015", "menages", "menages_2015",
    "emplois", "emplois_2015", "armature", "littoral", "document_urbanisme",
    "garantie_communale", "friches_ha",
]  # fmt: skip
EPCI_CSV_COLUMNS = [
    "epci_siren", "nom", "type", "departement", "scot_code", "nb_communes", "population",
]  # fmt: skip
SCOT_CSV_COLUMNS = ["scot_code", "nom", "nb_epci"]
PASSAGE_COLUMNS = ["code_2023", "nom_2023", "code_2024", "nom_2024"]


def conso_columns() -> list[str]:
    """Return the columns of the Cerema 2009-2023 commune file, in order.

    Returns
    -------
    list of str

    Examples
    --------
    >>> cols = conso_columns()
    >>> cols[:3], cols[9:12], len(cols)
    (['idcom', 'idcomtxt', 'idreg'], ['naf09art10', 'art09act10', 'art09hab10'], 126)
    """
    cols = ["idcom", "idcomtxt", "idreg", "idregtxt", "iddep", "iddeptxt", "epci23", "epci23txt"]
    cols.append("scot")
    for year in FLOW_YEARS:
        yy, zz = year % 100, (year + 1) % 100
        cols.append(f"naf{yy:02d}art{zz:02d}")
        cols += [f"art{yy:02d}{d}{zz:02d}" for d in DESTINATIONS]
    cols.append("naf09art23")
    cols += [f"art09{d}23" for d in DESTINATIONS]
    cols += ["naf11art21", "artcom0923"]
    cols += ["pop14", "pop20", "pop1420", "men14", "men20", "men1420"]
    cols += ["emp14", "emp20", "emp1420", "surfcom2023"]
    return cols


def _rng(step: str) -> np.random.Generator:
    """Return the random stream of one generation step (stable across added steps)."""
    return np.random.default_rng([SEED, zlib.crc32(step.encode("utf-8"))])


# --------------------------------------------------------------------------------------
# Geometry: outline, Voronoi coverage, adjacency
# --------------------------------------------------------------------------------------


def region_outline() -> Polygon:
    """Return the outline of the Région Démo: a smoothed random star polygon.

    The north-west side (polar angles 100°-175° around the centre) is rougher: it
    is the coastline that makes communes ``littoral``.

    Returns
    -------
    shapely.Polygon
        In Lambert-93, vertices on a 0.1 m grid, inside :data:`OUTLINE_BOX`.
    """
    rng = _rng("outline")
    theta = np.linspace(0.0, 2.0 * np.pi, 900, endpoint=False)
    radius = np.ones_like(theta)
    for k in range(2, 9):
        amp = rng.uniform(0.05, 0.11) / k**0.6
        radius += amp * np.cos(k * theta + rng.uniform(0.0, 2.0 * np.pi))
    coast = _coast_window(theta)
    for k in range(6, 90):
        amp = rng.normal(0.0, 0.06 / k)
        radius += coast * amp * np.cos(k * theta + rng.uniform(0.0, 2.0 * np.pi))
    x = radius * np.cos(theta)
    y = radius * np.sin(theta)
    x0, y0, x1, y1 = OUTLINE_BOX
    x = x0 + (x - x.min()) / (x.max() - x.min()) * (x1 - x0)
    y = y0 + (y - y.min()) / (y.max() - y.min()) * (y1 - y0)
    outline = shapely.set_precision(Polygon(np.column_stack([x, y])), GRID_M)
    if not outline.is_valid or outline.geom_type != "Polygon":
        raise RuntimeError("the region outline is not a valid polygon; change SEED")
    return outline


def _coast_window(theta: np.ndarray) -> np.ndarray:
    """Weight in [0, 1] of the coastline sector (polar angle ~100°-175°)."""
    deg = np.degrees(theta)
    return np.clip(np.minimum(deg - 100.0, 175.0 - deg) / 15.0, 0.0, 1.0)


def coastline(outline: Polygon) -> shapely.Geometry:
    """Return the part of the outline boundary that is the sea coast (north-west).

    Parameters
    ----------
    outline : shapely.Polygon
        The region outline from :func:`region_outline`.

    Returns
    -------
    shapely.Geometry
        A (Multi)LineString.
    """
    c = outline.centroid
    far = 1e6
    angles = np.radians(np.linspace(105.0, 170.0, 30))
    wedge = Polygon([(c.x, c.y)] + [(c.x + far * np.cos(a), c.y + far * np.sin(a)) for a in angles])
    return shapely.intersection(outline.exterior, wedge)


def _adjacency(geoms: np.ndarray, min_shared_m: float = 1.0) -> pd.DataFrame:
    """Pairs ``i < j`` of polygons sharing a boundary longer than ``min_shared_m``."""
    tree = shapely.STRtree(geoms)
    i, j = tree.query(geoms, predicate="intersects")
    keep = i < j
    i, j = i[keep], j[keep]
    bounds = shapely.boundary(geoms)
    shared = shapely.length(shapely.intersection(bounds[i], bounds[j], grid_size=GRID_M))
    keep = shared > min_shared_m
    return pd.DataFrame({"i": i[keep], "j": j[keep], "shared_m": shared[keep]})


def _seed_points(outline: Polygon, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` points spread over the outline by 4 Lloyd relaxations of random points."""
    x0, y0, x1, y1 = outline.bounds
    pts = np.empty((0, 2))
    while len(pts) < n:
        cand = rng.uniform((x0, y0), (x1, y1), size=(4 * n, 2))
        pts = np.vstack([pts, cand[shapely.contains_xy(outline, cand[:, 0], cand[:, 1])]])
    pts = pts[:n]
    envelope = shapely.box(x0 - 50_000, y0 - 50_000, x1 + 50_000, y1 + 50_000)
    for _ in range(LLOYD):
        cells = shapely.voronoi_polygons(shapely.multipoints(pts), extend_to=envelope, ordered=True)
        cells = shapely.intersection(shapely.get_parts(cells), outline)
        cent = shapely.centroid(cells)
        inside = shapely.within(cent, outline)
        cent = np.where(inside, cent, shapely.point_on_surface(cells))
        pts = shapely.get_coordinates(cent)
    return pts


def _wiggly_edges(pts: np.ndarray, envelope: Polygon, rng: np.random.Generator) -> np.ndarray:
    """Voronoi edges of ``pts``, each bent by a smooth random curve (fixed endpoints)."""
    edges = shapely.get_parts(shapely.voronoi_polygons(
        shapely.multipoints(pts), extend_to=envelope, only_edges=True
    ))  # fmt: skip
    ends = np.stack([shapely.get_coordinates(shapely.get_point(edges, k)) for k in (0, -1)], 1)
    n_inner = 12
    t = np.linspace(0.0, 1.0, n_inner + 2)
    vec = ends[:, 1] - ends[:, 0]
    length = np.hypot(vec[:, 0], vec[:, 1])
    normal = np.column_stack([-vec[:, 1], vec[:, 0]]) / np.maximum(length, 1e-9)[:, None]
    offset = np.zeros((len(edges), len(t)))
    for h in (1, 2, 3, 5):
        amp = rng.normal(0.0, 0.035 / h, size=len(edges)) * length
        offset += amp[:, None] * np.sin(h * np.pi * t)[None, :]
    limit = 0.12 * length[:, None]
    offset = np.clip(offset, -limit, limit)
    coords = (
        ends[:, None, 0, :]
        + t[None, :, None] * vec[:, None, :]
        + offset[:, :, None] * normal[:, None, :]
    )
    return shapely.linestrings(coords)


def _faces_to_cells(faces: np.ndarray, pts: np.ndarray) -> np.ndarray:
    """Owner (seed point index) of every face; faces holding no seed join a neighbour."""
    owner = np.full(len(faces), -1)
    tree = shapely.STRtree(faces)
    p_idx, f_idx = tree.query(shapely.points(pts), predicate="within")
    owner[f_idx] = p_idx
    adj = _adjacency(faces)
    while (owner < 0).any():
        orphan = np.flatnonzero(owner < 0)
        both = pd.concat([adj, adj.rename(columns={"i": "j", "j": "i"})], ignore_index=True)
        cand = both[np.isin(both["i"], orphan) & (owner[both["j"].to_numpy()] >= 0)]
        if cand.empty:
            raise RuntimeError("a face of the commune coverage has no owner; change SEED")
        best = cand.sort_values(["i", "shared_m"], ascending=[True, False]).drop_duplicates("i")
        owner[best["i"].to_numpy()] = owner[best["j"].to_numpy()]
    return owner


def _merge_small(geoms: np.ndarray, min_area_m2: float) -> np.ndarray:
    """Merge every polygon smaller than ``min_area_m2`` into its longest-shared neighbour."""
    geoms = geoms.copy()
    while True:
        area = shapely.area(geoms)
        small = np.flatnonzero(area < min_area_m2)
        if len(small) == 0:
            return geoms
        k = small[np.argmin(area[small])]
        adj = _adjacency(geoms)
        mine = adj[(adj["i"] == k) | (adj["j"] == k)]
        best = mine.sort_values("shared_m", ascending=False).iloc[0]
        other = int(best["j"] if best["i"] == k else best["i"])
        geoms[other] = shapely.coverage_union_all([geoms[other], geoms[k]])
        geoms = np.delete(geoms, k)


def commune_cells(outline: Polygon, *, target_area_km2: float = 19.5) -> np.ndarray:
    """Split the outline into commune-sized cells forming a perfect coverage.

    Seed points spread by Lloyd relaxation give Voronoi cells; their edges are
    bent by smooth random curves, noded with the outline on the 0.1 m grid and
    polygonised, so neighbours share exactly the same vertices. Pieces cut off by
    the outline join their longest-shared neighbour, then cells under 2.5 km² join
    theirs.

    Parameters
    ----------
    outline : shapely.Polygon
        From :func:`region_outline`.
    target_area_km2 : float, default 19.5
        Mean cell area aimed at.

    Returns
    -------
    numpy.ndarray of shapely.Polygon
        The "fine" cells (COG 2024 communes before the two mergers, equivalently
        COG 2023 communes before the split), in a deterministic order.
    """
    rng = _rng("cells")
    n = int(round(outline.area / (target_area_km2 * 1e6)))
    pts = _seed_points(outline, n, rng)
    x0, y0, x1, y1 = outline.bounds
    envelope = shapely.box(x0 - 50_000, y0 - 50_000, x1 + 50_000, y1 + 50_000)
    lines = np.append(_wiggly_edges(pts, envelope, rng), outline.exterior)
    noded = shapely.union_all(lines, grid_size=GRID_M)
    faces = shapely.get_parts(shapely.polygonize(shapely.get_parts(noded)))
    faces = faces[shapely.within(shapely.point_on_surface(faces), outline)]
    owner = _faces_to_cells(faces, pts)
    frame = gpd.GeoDataFrame({"owner": owner}, geometry=faces)
    cells = frame.dissolve(by="owner", method="coverage").geometry.to_numpy()
    cells = _merge_small(cells, 2.5e6)
    cells = shapely.normalize(cells)
    # deterministic order: north to south, then west to east
    cent = shapely.get_coordinates(shapely.centroid(cells))
    order = np.lexsort((cent[:, 0], -np.round(cent[:, 1], -3)))
    return cells[order]


def _centroids(geoms: np.ndarray) -> np.ndarray:
    return shapely.get_coordinates(shapely.centroid(geoms))


# --------------------------------------------------------------------------------------
# Graph helpers
# --------------------------------------------------------------------------------------


def _neighbours(adj: pd.DataFrame, k: int) -> np.ndarray:
    """Indices adjacent to ``k``, longest shared boundary first."""
    mine = adj[(adj["i"] == k) | (adj["j"] == k)].sort_values("shared_m", ascending=False)
    return np.where(mine["i"].to_numpy() == k, mine["j"].to_numpy(), mine["i"].to_numpy())


def _grow(
    n: int,
    adj: pd.DataFrame,
    weight: np.ndarray,
    seeds: Sequence[int],
    offsets: Sequence[float],
    allowed: np.ndarray | None = None,
) -> np.ndarray:
    """Grow contiguous regions from ``seeds`` over a graph (multi-source Dijkstra).

    Node ``v`` goes to the seed ``k`` minimising ``offsets[k] + path length``; each
    node is reached from a neighbour with the same label, so regions are contiguous.
    Nodes outside ``allowed`` are never entered; unreachable nodes keep label -1.
    """
    nbrs: list[list[tuple[int, float]]] = [[] for _ in range(n)]
    for a, b, w in zip(adj["i"].to_numpy(), adj["j"].to_numpy(), weight, strict=True):
        nbrs[a].append((int(b), float(w)))
        nbrs[b].append((int(a), float(w)))
    label = np.full(n, -1)
    heap = [(float(off), k, int(s)) for k, (s, off) in enumerate(zip(seeds, offsets, strict=True))]
    heapq.heapify(heap)
    while heap:
        d, k, v = heapq.heappop(heap)
        if label[v] >= 0:
            continue
        label[v] = k
        for u, w in nbrs[v]:
            if label[u] < 0 and (allowed is None or allowed[u]):
                heapq.heappush(heap, (d + w, k, u))
    return label


def _edge_weights(xy: np.ndarray, adj: pd.DataFrame, rng: np.random.Generator) -> np.ndarray:
    """Centroid distances along the adjacency edges, with +-20 % noise (irregular borders)."""
    i, j = adj["i"].to_numpy(), adj["j"].to_numpy()
    d = np.hypot(*(xy[i] - xy[j]).T)
    return d * rng.uniform(0.8, 1.25, size=len(d))


def _spread_pick(
    xy: np.ndarray,
    candidates: np.ndarray,
    chosen: Sequence[int],
    k: int,
    rng: np.random.Generator,
    jitter: float = 0.35,
) -> list[int]:
    """Pick ``k`` candidates far from each other and from ``chosen`` (noisy farthest point)."""
    cand = candidates.copy()
    mind = np.full(len(xy), 1e12)
    for c in chosen:
        mind = np.minimum(mind, np.hypot(*(xy - xy[c]).T))
    picks: list[int] = []
    for _ in range(k):
        score = np.where(cand, mind * rng.uniform(1.0 - jitter, 1.0, len(xy)), -np.inf)
        p = int(np.argmax(score))
        if not np.isfinite(score[p]):
            raise RuntimeError("not enough candidate communes to pick from; change SEED")
        picks.append(p)
        cand[p] = False
        mind = np.minimum(mind, np.hypot(*(xy - xy[p]).T))
    return picks


def _is_connected(nodes: np.ndarray, adj: pd.DataFrame) -> bool:
    """Whether ``nodes`` form one connected piece of the graph."""
    nodes_set = set(int(v) for v in nodes)
    if not nodes_set:
        return False
    sub = adj[adj["i"].isin(nodes_set) & adj["j"].isin(nodes_set)]
    seen = {next(iter(nodes_set))}
    frontier = list(seen)
    pairs = list(zip(sub["i"].to_numpy().tolist(), sub["j"].to_numpy().tolist(), strict=True))
    links: dict[int, list[int]] = {v: [] for v in nodes_set}
    for a, b in pairs:
        links[a].append(b)
        links[b].append(a)
    while frontier:
        v = frontier.pop()
        for u in links[v]:
            if u not in seen:
                seen.add(u)
                frontier.append(u)
    return seen == nodes_set


# --------------------------------------------------------------------------------------
# Settlement pattern: armature roles, COG changes, socio-economic indicators
# --------------------------------------------------------------------------------------


def place_roles(cells: np.ndarray, adj: pd.DataFrame, outline: Polygon) -> np.ndarray:
    """Armature class of every fine cell: 1 metropole, 4 poles, 12 pôles relais, 45 bourgs.

    Returns
    -------
    numpy.ndarray of str
        One of :data:`ARMATURE` per cell.
    """
    rng = _rng("roles")
    xy = _centroids(cells)
    centre = shapely.get_coordinates(outline.centroid)[0]
    radius = np.sqrt(outline.area / np.pi)
    to_edge = shapely.distance(shapely.points(xy), outline.exterior)
    role = np.full(len(cells), "rural", dtype=object)

    def nearest(target: np.ndarray, ok: np.ndarray) -> int:
        d = np.where(ok, np.hypot(*(xy - target).T), np.inf)
        return int(np.argmin(d))

    inland = to_edge > 6_000
    metro = nearest(centre + radius * np.array([0.12, -0.06]), inland)
    role[metro] = "metropole"
    for angle in (140.0, 35.0, 235.0, 310.0):
        a = np.radians(angle + rng.uniform(-10, 10))
        target = centre + radius * rng.uniform(0.52, 0.62) * np.array([np.cos(a), np.sin(a)])
        p = nearest(target, inland & (role == "rural"))
        role[p] = "pole"
    big = np.flatnonzero(np.isin(role, ["metropole", "pole"]))
    ring1 = _neighbours(adj, metro)
    role[ring1[:4]] = "pole_relais"
    near_big = np.isin(np.arange(len(cells)), np.concatenate([_neighbours(adj, b) for b in big]))
    free = (role == "rural") & ~near_big & (to_edge > 3_000)
    relais = _spread_pick(xy, free, list(big) + list(ring1[:4]), 8, rng)
    role[relais] = "pole_relais"
    # bourgs: the rest of the metropole's first ring, part of its second ring, two
    # around each pole, and the others spread over the region
    ring2 = np.unique(np.concatenate([_neighbours(adj, r) for r in ring1[:4]]))
    ring2 = ring2[role[ring2] == "rural"]
    role[ring1[4:]] = "bourg"
    role[rng.choice(ring2, size=min(5, len(ring2)), replace=False)] = "bourg"
    for b in np.flatnonzero(role == "pole"):
        ring = _neighbours(adj, b)
        ring = ring[role[ring] == "rural"]
        role[rng.choice(ring, size=2, replace=False)] = "bourg"
    n_left = 45 - int((role == "bourg").sum())
    free = (role == "rural") & (to_edge > 1_500)
    role[_spread_pick(xy, free, list(np.flatnonzero(role != "rural")), n_left, rng)] = "bourg"
    return role


def pick_cog_changes(
    cells: np.ndarray, adj: pd.DataFrame, role: np.ndarray
) -> tuple[list[tuple[int, int]], tuple[int, int]]:
    """Choose two pairs of rural cells that merge in 2024 and one pair that splits.

    Returns
    -------
    merges : list of (int, int)
        Fine-cell pairs forming one COG 2024 commune (two COG 2023 communes).
    split : (int, int)
        Fine-cell pair forming one COG 2023 commune (two COG 2024 communes).
    """
    rng = _rng("cog")
    area = shapely.area(cells)
    urban = np.flatnonzero(np.isin(role, ["metropole", "pole", "pole_relais"]))
    near_urban = np.zeros(len(cells), bool)
    near_urban[urban] = True
    for u in urban:
        near_urban[_neighbours(adj, u)] = True
    i, j = adj["i"].to_numpy(), adj["j"].to_numpy()
    ok = (role[i] == "rural") & (role[j] == "rural") & ~near_urban[i] & ~near_urban[j]
    ok &= (area[i] + area[j]) < 36e6
    cand = np.flatnonzero(ok)[rng.permutation(int(ok.sum()))]
    used = np.zeros(len(cells), bool)
    pairs: list[tuple[int, int]] = []
    for e in cand:
        a, b = int(i[e]), int(j[e])
        if used[a] or used[b]:
            continue
        pairs.append((a, b))
        for v in (a, b):
            used[v] = True
            used[_neighbours(adj, v)] = True
        if len(pairs) == 3:
            return pairs[:2], pairs[2]
    raise RuntimeError("could not find three disjoint rural pairs for the COG changes")


def socio_indicators(
    cells: np.ndarray, role: np.ndarray, merges: list[tuple[int, int]]
) -> pd.DataFrame:
    """Population, households and jobs (2015 and 2021) of every fine cell.

    Returns
    -------
    pandas.DataFrame
        Columns ``population``, ``population_2015``, ``menages``, ``menages_2015``,
        ``emplois``, ``emplois_2015`` (int) and ``growth`` (annual population growth
        rate 2015-2021, float).
    """
    rng = _rng("socio")
    n = len(cells)
    xy = _centroids(cells)
    area_km2 = shapely.area(cells) / 1e6
    metro = int(np.flatnonzero(role == "metropole")[0])
    poles = np.flatnonzero(role == "pole")
    d_metro = np.hypot(*(xy - xy[metro]).T)
    d_poles = np.hypot(xy[:, None, 0] - xy[None, poles, 0], xy[:, None, 1] - xy[None, poles, 1])
    attraction = 2.5 * np.exp(-d_metro / 12_000) + 0.8 * np.exp(-d_poles / 7_000).sum(axis=1)

    pop = np.zeros(n)
    rural = role == "rural"
    noise = rng.lognormal(0.0, 0.55, n)
    pop[rural] = (380 * (1 + attraction) * (area_km2 / 20) ** 0.3 * noise)[rural]
    pop[rural] = np.clip(pop[rural], 110, 1_950)
    bourg = role == "bourg"
    pop[bourg] = np.clip(rng.lognormal(np.log(3_200), 0.35, bourg.sum()), 2_050, 7_500)
    relais = role == "pole_relais"
    pop[relais] = np.exp(rng.uniform(np.log(8_500), np.log(19_500), relais.sum()))
    pop[poles] = rng.permutation([76_000, 61_000, 52_000, 43_000]) * rng.uniform(0.96, 1.04, 4)
    pop[metro] = 250_000 * rng.uniform(0.98, 1.02)
    for a, b in merges:  # a commune nouvelle of two villages stays a village
        total = pop[a] + pop[b]
        if total > 1_900:
            pop[[a, b]] *= 1_900 / total
    pop = np.round(pop).astype(np.int64)

    growth = -0.003 + 0.012 * np.exp(-d_metro / 20_000) + rng.normal(0.0, 0.005, n)
    growth = np.where(role == "metropole", 0.004, growth)
    growth = np.where(role == "pole", rng.uniform(-0.004, 0.006, n), growth)
    growth = np.where(relais, rng.uniform(0.0, 0.010, n), growth)
    pop_2015 = np.round(pop / (1 + growth) ** 6).astype(np.int64)

    size = pd.Series(role).map(
        {"metropole": 1.95, "pole": 2.05, "pole_relais": 2.2, "bourg": 2.3, "rural": 2.4}
    ).to_numpy(float) + rng.normal(0.0, 0.08, n)
    menages = np.round(pop / size).astype(np.int64)
    menages_2015 = np.round(pop_2015 / (size * 1.03)).astype(np.int64)

    jobs_ratio = pd.Series(role).map(
        {"metropole": 0.62, "pole": 0.55, "pole_relais": 0.42, "bourg": 0.30, "rural": 0.12}
    ).to_numpy(float) * rng.lognormal(0.0, 0.3, n)
    emplois = np.round(pop * np.minimum(jobs_ratio, 0.9)).astype(np.int64)
    job_growth = growth + rng.normal(0.0, 0.006, n)
    emplois_2015 = np.round(emplois / (1 + job_growth) ** 6).astype(np.int64)
    return pd.DataFrame({
        "population": pop, "population_2015": pop_2015,
        "menages": menages, "menages_2015": menages_2015,
        "emplois": emplois, "emplois_2015": emplois_2015,
        "growth": growth,
    })  # fmt: skip


# --------------------------------------------------------------------------------------
# Territories: units, départements, EPCI, SCoT
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Units:
    """Fine cells glued into the units that never split across a territory.

    A merged pair and the split pair each form one unit, so that départements,
    EPCI and SCoT hold them whole in both geographies.
    """

    of_cell: np.ndarray  # unit index of every fine cell
    geoms: np.ndarray  # unit polygons
    adj: pd.DataFrame  # unit adjacency (i, j, shared_m)
    chef: np.ndarray  # fine cell that gives each unit its role and seat


def make_units(
    cells: np.ndarray, adj: pd.DataFrame, pairs: Sequence[tuple[int, int]], pop: np.ndarray
) -> Units:
    """Glue each pair of fine cells into one unit (see :class:`Units`)."""
    head = np.arange(len(cells))
    for a, b in pairs:
        head[b] = a
    _, of_cell = np.unique(head, return_inverse=True)
    m = int(of_cell.max()) + 1
    frame = gpd.GeoDataFrame({"unit": of_cell}, geometry=cells)
    geoms = frame.dissolve(by="unit", method="coverage").geometry.to_numpy()
    ui, uj = of_cell[adj["i"].to_numpy()], of_cell[adj["j"].to_numpy()]
    lo, hi = np.minimum(ui, uj), np.maximum(ui, uj)
    uadj = (
        pd.DataFrame({"i": lo, "j": hi, "shared_m": adj["shared_m"].to_numpy()})
        .loc[lambda d: d["i"] != d["j"]]
        .groupby(["i", "j"], as_index=False)["shared_m"]
        .sum()
    )
    order = np.lexsort((-pop, of_cell))  # most populous cell of each unit first
    chef = order[np.unique(of_cell[order], return_index=True)[1]]
    if len(chef) != m or len(geoms) != m:
        raise RuntimeError("units and their chefs-lieux do not match; a pair is not adjacent")
    return Units(of_cell=of_cell, geoms=geoms, adj=uadj, chef=chef)


def group_departements(units: Units, role_u: np.ndarray) -> np.ndarray:
    """Three contiguous départements grown from the metropole and two poles.

    Returns
    -------
    numpy.ndarray of str
        Département code of every unit: ``"96"`` (north-west, coastal),
        ``"98"`` (south-west), ``"99"`` (centre and east, with the metropole).
    """
    rng = _rng("departements")
    xy = _centroids(units.geoms)
    centre = xy.mean(axis=0)
    metro = int(np.flatnonzero(role_u == "metropole")[0])
    poles = np.flatnonzero(role_u == "pole")
    angle = np.degrees(np.arctan2(*(xy[poles] - centre)[:, ::-1].T)) % 360
    north_west = int(poles[np.argmin(np.abs(angle - 140))])
    south_west = int(poles[np.argmin(np.abs(angle - 235))])
    seeds = [north_west, south_west, metro]
    weight = _edge_weights(xy, units.adj, rng)
    label = _grow(len(xy), units.adj, weight, seeds, [0.0, 0.0, 9_000.0])
    if (label < 0).any():
        raise RuntimeError("some units were reached by no département; change SEED")
    return np.array(["96", "98", "99"])[label]


def group_epci(
    units: Units, role_u: np.ndarray, *, pop_u: np.ndarray, dept_u: np.ndarray, n_epci: int = 20
) -> tuple[np.ndarray, pd.DataFrame]:
    """Group units into ``n_epci`` contiguous EPCI, each inside one département.

    1 métropole around the metropole, 1 communauté urbaine around the largest
    pole, communautés d'agglomération around the other poles and two pôles
    relais, communautés de communes elsewhere.

    Returns
    -------
    label : numpy.ndarray of int
        EPCI index of every unit.
    epci : pandas.DataFrame
        One row per EPCI: ``seat`` (unit), ``type``, ``departement``.
    """
    rng = _rng("epci")
    xy = _centroids(units.geoms)
    weight = _edge_weights(xy, units.adj, rng)
    depts = sorted(set(dept_u))
    counts = np.array([(dept_u == d).sum() for d in depts])
    quota = np.floor(n_epci * counts / counts.sum()).astype(int)
    quota[np.argsort(-(n_epci * counts / counts.sum() - quota))[: n_epci - quota.sum()]] += 1

    seeds: list[int] = []
    types: list[str] = []
    metro = int(np.flatnonzero(role_u == "metropole")[0])
    poles = np.flatnonzero(role_u == "pole")
    poles = poles[np.argsort(-pop_u[poles])]
    seeds += [metro, *poles.tolist()]
    types += ["METRO", "CU"] + ["CA"] * (len(poles) - 1)
    relais = np.flatnonzero(role_u == "pole_relais")
    not_suburb = ~np.isin(relais, _neighbours(units.adj, metro))
    ca_relais = _spread_pick(xy, np.isin(np.arange(len(xy)), relais[not_suburb]), seeds, 2, rng)
    seeds += ca_relais
    types += ["CA", "CA"]
    for d, q in zip(depts, quota, strict=True):
        have = sum(dept_u[s] == d for s in seeds)
        cand = (dept_u == d) & np.isin(role_u, ["pole_relais", "bourg"])
        cand[seeds] = False
        extra = _spread_pick(xy, cand, seeds, q - have, rng, jitter=0.2)
        seeds += extra
        types += ["CC"] * len(extra)
    offsets = {"METRO": 0.0, "CU": 7_000.0, "CA": 11_000.0, "CC": 13_000.0}
    label = np.full(len(xy), -1)
    for d in depts:
        mine = [k for k, s in enumerate(seeds) if dept_u[s] == d]
        sub = _grow(
            len(xy), units.adj, weight, [seeds[k] for k in mine],
            [offsets[types[k]] for k in mine], allowed=dept_u == d,
        )  # fmt: skip
        inside = dept_u == d
        if (sub[inside] < 0).any():
            raise RuntimeError(f"département {d}: some units reached by no EPCI; change SEED")
        label[inside] = np.array(mine)[sub[inside]]
    epci = pd.DataFrame({"seat": seeds, "type": types, "departement": dept_u[seeds]})
    return label, epci


def group_scot(
    units: Units, epci_u: np.ndarray, *, epci: pd.DataFrame, outline: Polygon, n_scot: int = 7
) -> np.ndarray:
    """Group EPCI into ``n_scot`` contiguous SCoT; two peripheral CC stay outside.

    Returns
    -------
    numpy.ndarray of int
        SCoT index of every EPCI, -1 for the EPCI outside any SCoT.
    """
    rng = _rng("scot")
    n = len(epci)
    ei, ej = epci_u[units.adj["i"].to_numpy()], epci_u[units.adj["j"].to_numpy()]
    keep = ei != ej
    eadj = (
        pd.DataFrame(
            {"i": np.minimum(ei, ej)[keep], "j": np.maximum(ei, ej)[keep], "shared_m": 1.0}
        )
        .drop_duplicates(["i", "j"])
        .reset_index(drop=True)
    )
    frame = gpd.GeoDataFrame({"epci": epci_u}, geometry=units.geoms)
    egeoms = frame.dissolve(by="epci", method="coverage").geometry.to_numpy()
    xy = _centroids(egeoms)
    metro = int(np.flatnonzero(epci["type"].to_numpy() == "METRO")[0])
    on_edge = shapely.length(shapely.intersection(
        shapely.boundary(egeoms), outline.exterior.buffer(1.0)
    )) > 1_000  # fmt: skip
    d_metro = np.hypot(*(xy - xy[metro]).T)
    outside: list[int] = []
    for e in np.argsort(-d_metro):
        if epci["type"].iloc[e] != "CC" or not on_edge[e]:
            continue
        rest = np.setdiff1d(np.arange(n), [*outside, e])
        if _is_connected(rest, eadj):
            outside.append(int(e))
        if len(outside) == 2:
            break
    allowed = ~np.isin(np.arange(n), outside)
    seeds = [metro, *_spread_pick(xy, allowed & (np.arange(n) != metro), [metro], n_scot - 1, rng)]
    weight = _edge_weights(xy, eadj, rng)
    label = _grow(n, eadj, weight, seeds, [0.0] * n_scot, allowed=allowed)
    if (label[allowed] < 0).any():
        raise RuntimeError("some EPCI were reached by no SCoT; change SEED")
    return label


# --------------------------------------------------------------------------------------
# Names and codes
# --------------------------------------------------------------------------------------

_STEMS = (
    "Aber", "Ambri", "Arde", "Aube", "Bazan", "Beau", "Belle", "Berni", "Blan", "Bois", "Bou",
    "Bra", "Bré", "Cam", "Cha", "Chau", "Cler", "Cour", "Cra", "Dam", "Dor", "Épi", "Esque",
    "Fa", "Fer", "Flo", "Fon", "Fré", "Gar", "Gau", "Gou", "Gra", "Hau", "Her", "Hou", "Jon",
    "Lan", "Lau", "Lé", "Lon", "Mar", "Mau", "Mer", "Mon", "Mor", "Nan", "Neu", "Noi", "Or",
    "Pas", "Per", "Plai", "Pon", "Qué", "Ra", "Ren", "Ri", "Roc", "Ros", "Sar", "Sau", "Ser",
    "Sor", "Ta", "Ter", "Thié", "Tor", "Va", "Vau", "Ver", "Vi", "Vil", "Vir",
)  # fmt: skip
_ENDINGS = (
    "ville", "court", "mont", "ac", "ay", "y", "rières", "eux", "ange", "nois", "tigny",
    "nette", "bert", "lon", "ricourt", "sart", "hans", "lieu", "erville", "bonne", "caux",
    "zelles", "noy", "ut", "bais", "val", "fort", "champ", "mesnil", "ghem", "becque", "hem",
    "dun", "gny", "ssy", "ssac", "quin", "lers", "mé", "thun",
)  # fmt: skip
_SAINTS = (
    "Saint-Martin", "Saint-Pierre", "Saint-Aubin", "Saint-Rémy", "Saint-Germain", "Saint-Léger",
    "Saint-Amand", "Saint-Médard", "Saint-Hilaire", "Saint-Gervais", "Saint-Josse", "Saint-Valéry",
    "Sainte-Marie", "Sainte-Colombe", "Sainte-Geneviève", "Sainte-Radegonde", "Saint-Évroult",
)  # fmt: skip
#: Fictitious rivers and pays of the Région Démo.
RIVERS = (
    "Sorlaine", "Vaubronne", "Orvine", "Méraude", "Lisaure", "Bréaune", "Sélonne", "Aurelle",
    "Tardoise", "Vézoune", "Ancrelle", "Darnette", "Hellebonne", "Ysène",
)  # fmt: skip
PAYS = ("Brévois", "Caudrelais", "Orvinois", "Sélonnais", "Hautmarais", "Vaudrais", "Aurellois")
_QUALIFIERS = (
    "le-Château", "le-Grand", "le-Petit", "la-Forêt", "les-Bois", "l'Abbaye", "le-Haut",
    "le-Bas", "les-Vignes", "aux-Bois",
)  # fmt: skip
#: A name the demo must hold (an apostrophe and an accent), on a village of "96".
SPECIAL_NAME = "Saint-Éloi-d'Aval"

_VOWELS = "AEIOUYÉÈÊÂÎÔH"


def _de(name: str) -> str:
    """French "de" + name with elision and contraction: ``de Orvine`` -> ``d'Orvine``."""
    if name.startswith("Le "):
        return "du " + name[3:]
    if name.startswith("Les "):
        return "des " + name[4:]
    if name[0].upper() in _VOWELS:
        return "d'" + name
    return "de " + name


def _du(pays: str) -> str:
    """``du Brévois`` / ``de l'Orvinois``."""
    return ("de l'" if pays[0] in "AEIOUYÉ" else "du ") + pays


def _de_la(river: str) -> str:
    """``de la Sorlaine`` / ``de l'Orvine``."""
    return ("de l'" if river[0].upper() in _VOWELS else "de la ") + river


def _hyphen_de(name: str) -> str:
    """``-de-Sorlaine`` / ``-d'Orvine`` for compound commune names."""
    return ("-d'" if name[0].upper() in _VOWELS else "-de-") + name


def _base_word(rng: np.random.Generator) -> str:
    word = _STEMS[rng.integers(len(_STEMS))] + _ENDINGS[rng.integers(len(_ENDINGS))]
    word = re.sub(r"([aeiouéy])\1", r"\1", word)  # "Fa" + "ac" -> "Fac"
    return word[0] + word[1:].lower()


def _commune_name(rng: np.random.Generator) -> str:
    form = rng.choice(9, p=[0.50, 0.12, 0.09, 0.07, 0.05, 0.06, 0.05, 0.03, 0.03])
    base = _base_word(rng)
    river = RIVERS[rng.integers(len(RIVERS))]
    if form == 1:
        saint = _SAINTS[rng.integers(len(_SAINTS))]
        tail = rng.choice(4)
        if tail == 0:
            return saint
        if tail == 1:
            return saint + _hyphen_de(base)
        return saint + ("-sur-" + river if tail == 2 else "-en-" + PAYS[rng.integers(len(PAYS))])
    if form == 2:
        return f"{base}-sur-{river}"
    if form == 3:
        return f"{base}-{_QUALIFIERS[rng.integers(len(_QUALIFIERS))]}"
    if form == 4:
        return f"{base}-en-{PAYS[rng.integers(len(PAYS))]}"
    if form == 5:
        article = rng.choice(["Le", "La", "Les"])
        if article == "Les" and not base.endswith(("s", "x", "y")):
            base += "s"
        return f"{article} {base}"
    if form == 6:
        return f"{base}-lès-{_base_word(rng)}"
    if form == 7:
        return f"{base}-et-{_base_word(rng)}"
    return base


def _sort_key(name: str) -> str:
    """Alphabetical key as INSEE orders commune names: accents and hyphens ignored."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[-' ]+", " ", plain).lower()


def commune_names(role: np.ndarray, reserved: Sequence[str] = ()) -> np.ndarray:
    """A unique French-sounding name for every fine cell.

    Cities (metropole, poles) get short one-word names; ``reserved`` names are never
    given (they are kept for the communes nouvelles).

    Returns
    -------
    numpy.ndarray of str
    """
    rng = _rng("names")
    seen = {_sort_key(r) for r in reserved} | {_sort_key(SPECIAL_NAME)}
    pool: list[str] = []
    while len(pool) < 3 * len(role):
        name = _commune_name(rng)
        if _sort_key(name) not in seen and len(name) <= 38:
            seen.add(_sort_key(name))
            pool.append(name)
    short = [p for p in pool if re.fullmatch(r"[A-ZÉ][a-zéèêàâîôûç]{4,9}", p)]
    names = np.empty(len(role), dtype=object)
    cities = np.flatnonzero(np.isin(role, ["metropole", "pole"]))
    names[cities] = short[: len(cities)]
    rest = [p for p in pool if p not in set(short[: len(cities)])]
    others = np.flatnonzero(~np.isin(role, ["metropole", "pole"]))
    names[others] = rest[: len(others)]
    return names


def _luhn(base8: str) -> str:
    """Complete an 8-digit string into a Luhn-valid 9-digit SIREN."""
    total = 0
    for k, ch in enumerate(reversed(base8)):
        d = int(ch) * (2 if k % 2 == 0 else 1)
        total += d - 9 if d > 9 else d
    return base8 + str((10 - total % 10) % 10)


def _sirens(prefixes: Sequence[str], rng: np.random.Generator) -> list[str]:
    """Unique Luhn-valid SIREN-like codes ``prefix`` (4 digits) + 4 random digits + key."""
    out: list[str] = []
    for prefix in prefixes:
        while True:
            code = _luhn(prefix + f"{rng.integers(10_000):04d}")
            if code not in out:
                out.append(code)
                break
    return out


def commune_codes(names: np.ndarray, dept: np.ndarray) -> np.ndarray:
    """INSEE-like codes: département + 3 digits, in alphabetical order with small gaps.

    Returns
    -------
    numpy.ndarray of str
    """
    rng = _rng("codes")
    codes = np.empty(len(names), dtype=object)
    for d in sorted(set(dept)):
        idx = np.flatnonzero(dept == d)
        idx = idx[np.argsort([_sort_key(n) for n in names[idx]], kind="stable")]
        numbers = np.cumsum(rng.choice([1, 2, 3], size=len(idx), p=[0.86, 0.10, 0.04]))
        if numbers[-1] > 999:
            raise RuntimeError(f"département {d}: more than 999 commune numbers")
        codes[idx] = [f"{d}{k:03d}" for k in numbers]
    return codes


# --------------------------------------------------------------------------------------
# ENAF consumption (Cerema layout), planning documents, friches
# --------------------------------------------------------------------------------------

#: Pace of consumption by calendar year (1 = the 2014 level): a slow fall after
#: 2015, a clear drop once the Climat et Résilience law applies (2021).
TREND = np.array([1.22, 1.15, 1.12, 1.10, 1.05, 1.00, 0.96, 0.90, 0.86, 0.84, 0.82, 0.76,
                  0.52, 0.47])  # fmt: skip


def consumption_flows(
    role: np.ndarray,
    soc: pd.DataFrame,
    epci_cell: np.ndarray,
    epci_type: np.ndarray,
    protected: np.ndarray,
) -> tuple[np.ndarray, list[int]]:
    """Annual ENAF consumption by destination of every fine cell, in m² (integers).

    Parameters
    ----------
    role : numpy.ndarray of str
        Armature class of each fine cell.
    soc : pandas.DataFrame
        From :func:`socio_indicators`.
    epci_cell : numpy.ndarray of int
        EPCI index of each fine cell.
    epci_type : numpy.ndarray of str
        Type of each EPCI.
    protected : numpy.ndarray of bool
        Cells that must not be picked as over-consumers (the COG changes).

    Returns
    -------
    flows : numpy.ndarray of int64, shape (n_cells, 14, 6)
        Years 2009..2022 (flow from 1 January of the year to 1 January of the
        next), destinations in :data:`DESTINATIONS` order. The 2009 and 2010 flows
        are equal to within 1 m² per destination, as in the real file (its first
        two years share one two-year difference).
    over : list of int
        The cells consuming well above trend since 2021.
    """
    rng = _rng("conso")
    n, n_years = len(role), len(FLOW_YEARS)
    pop = soc["population"].to_numpy(float)
    growth = soc["growth"].to_numpy(float)
    base = np.select(
        [role == "metropole", role == "pole", role == "pole_relais", role == "bourg"],
        [np.full(n, 150_000.0), rng.uniform(60_000, 90_000, n), rng.uniform(30_000, 50_000, n),
         rng.uniform(14_000, 28_000, n)],
        default=6_500 * (pop / 500) ** 0.6 * (1 + 25 * np.clip(growth, -0.01, 0.02))
        * rng.lognormal(0.0, 0.35, n),
    )  # fmt: skip
    p_zero = pd.Series(role).map({"rural": 0.38, "bourg": 0.10, "pole_relais": 0.02}).fillna(0.0)
    p_zero = p_zero.to_numpy(float)
    sigma = 0.75
    noise = rng.lognormal(-(sigma**2) / 2, sigma, (n, n_years))
    nonzero = rng.random((n, n_years)) >= p_zero[:, None]
    total = base[:, None] * TREND[None, :] * noise / (1 - p_zero[:, None]) * nonzero
    total = np.round(total).astype(np.int64)

    city = np.isin(role, ["metropole", "pole"])
    p_flag = np.stack([
        pd.Series(role).map({"metropole": 0.95, "pole": 0.9, "pole_relais": 0.8, "bourg": 0.6,
                             "rural": 0.3}).to_numpy(float),
        np.full(n, 0.92),
        np.where(city, 0.30, 0.08),
        np.where(city, 0.40, 0.12),
        np.where(city, 0.08, 0.005),
        np.full(n, 0.12),
    ], axis=1)  # fmt: skip
    weight = np.array([2.0, 1.0, 0.25, 0.35, 0.4, 0.15])
    flags = rng.random((n, n_years, 6)) < p_flag[:, None, :]
    flags[..., 1] |= ~flags.any(axis=2)  # nothing drawn: habitat
    share = flags * weight * rng.gamma(2.0, 0.5, (n, n_years, 6))
    share /= share.sum(axis=2, keepdims=True)
    dest = np.floor(total[..., None] * share).astype(np.int64)
    rest = total - dest.sum(axis=2)
    np.put_along_axis(
        dest, share.argmax(axis=2)[..., None],
        np.take_along_axis(dest, share.argmax(axis=2)[..., None], 2) + rest[..., None], axis=2,
    )  # fmt: skip
    pair = dest[:, 0] + dest[:, 1]  # 2009 and 2010 share one two-year difference
    dest[:, 0], dest[:, 1] = (pair + 1) // 2, pair // 2

    act = DESTINATIONS.index("act")
    # a few big activity years (10-40 ha) in the towns, 2011-2020
    towns = np.flatnonzero(~np.isin(role, ["rural"]) & ~protected)
    w = pd.Series(role[towns]).map({"metropole": 3, "pole": 3, "pole_relais": 2, "bourg": 1})
    where = rng.choice(towns, size=10, replace=False, p=(w / w.sum()).to_numpy(float))
    years = rng.integers(FLOW_YEARS.index(2011), FLOW_YEARS.index(2020) + 1, size=10)
    dest[where, years, act] += np.round(rng.uniform(100_000, 400_000, 10)).astype(np.int64)

    # over-consumers since 2021: a bourg of a CC, pushing its EPCI well over the
    # halved pace, and a pôle relais of a CA
    ref = slice(FLOW_YEARS.index(2011), FLOW_YEARS.index(2020) + 1)
    recent = slice(FLOW_YEARS.index(2021), None)
    over: list[int] = []
    for epci_kind, town_kind in (("CC", "bourg"), ("CA", "pole_relais")):
        cand = np.flatnonzero(
            (role == town_kind) & (epci_type[epci_cell] == epci_kind) & ~protected
        )
        cell = int(rng.choice(cand))
        members = epci_cell == epci_cell[cell]
        ref_epci = dest[members, ref].sum()
        now_epci = dest[members, recent].sum()
        own_pace = dest[cell, ref].sum() / 10
        extra = max(0.17 * ref_epci - now_epci, 2.5 * 2 * own_pace)
        dest[cell, recent, act] += np.round(extra * np.array([0.45, 0.55])).astype(np.int64)
        over.append(cell)
    return dest, over


def planning_documents(
    armature: np.ndarray, population: np.ndarray, epci_idx: np.ndarray, epci_type: np.ndarray
) -> np.ndarray:
    """Urban planning document of every COG 2024 commune: PLUi, PLU, CC or RNU.

    Every commune of the métropole, the CU and a few other EPCI is under a PLUi;
    towns elsewhere have a PLU; 8 % of the communes (villages, the smallest more
    often) have none (RNU); the other villages have a PLU or a carte communale.
    """
    rng = _rng("planning")
    n = len(armature)
    n_epci = len(epci_type)
    ca = np.flatnonzero(epci_type == "CA")
    cc = np.flatnonzero(epci_type == "CC")
    plui = np.isin(np.arange(n_epci), np.flatnonzero(np.isin(epci_type, ["METRO", "CU"])))
    plui[rng.choice(ca, 2, replace=False)] = True
    plui[rng.choice(cc, 4, replace=False)] = True
    doc = np.where(plui[epci_idx], "PLUi", "PLU").astype(object)
    village = np.flatnonzero((armature == "rural") & ~plui[epci_idx])
    w = 1.0 / population[village]
    rnu = rng.choice(village, size=int(round(0.08 * n)), replace=False, p=w / w.sum())
    doc[rnu] = "RNU"
    others = np.setdiff1d(village, rnu)
    doc[others[rng.random(len(others)) < 0.45]] = "CC"
    return doc


def friches(role: np.ndarray) -> np.ndarray:
    """Area of brownfield land (friches) per fine cell, in hectares, mostly zero."""
    rng = _rng("friches")
    n = len(role)
    ha = np.select(
        [role == "metropole", role == "pole", role == "pole_relais", role == "bourg"],
        [rng.uniform(40, 90, n), rng.uniform(15, 50, n),
         rng.uniform(2, 20, n) * (rng.random(n) < 0.6),
         rng.uniform(0.5, 6, n) * (rng.random(n) < 0.2)],
        default=rng.uniform(0.2, 3, n) * (rng.random(n) < 0.03),
    )  # fmt: skip
    return np.round(ha, 2)


# --------------------------------------------------------------------------------------
# Assembly
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoRegion:
    """Every table of the Région Démo, ready to be written."""

    outline: Polygon
    communes: gpd.GeoDataFrame  # COG 2024, the communes.csv columns + geometry
    epci: pd.DataFrame
    scot: pd.DataFrame
    departements: pd.DataFrame
    conso: pd.DataFrame  # COG 2023, Cerema layout
    passage: pd.DataFrame
    over_consumers: list[str]  # COG 2023 codes consuming well above trend since 2021


def _epci_names(seat_names: Sequence[str], types: Sequence[str]) -> list[str]:
    rng = _rng("epci-names")
    rivers = list(rng.permutation(RIVERS))
    pays = list(rng.permutation(PAYS))
    cc_patterns: list[Callable[[str], str]] = [
        lambda s: f"CC du Pays {_de(s)}",
        lambda s: f"CC du Val {_de(rivers.pop())}",
        lambda s: f"CC des Coteaux {_de_la(rivers.pop())}",
        lambda s: f"CC des Campagnes {_du(pays.pop())}",
        lambda s: f"CC des Portes {_de(s)}",
        lambda s: f"CC de la Vallée {_de_la(rivers.pop())}",
        lambda s: f"CC du Haut-{pays.pop()}",
    ]
    names: list[str] = []
    n_ca = n_cc = 0
    for seat, kind in zip(seat_names, types, strict=True):
        if kind == "METRO":
            names.append(f"{seat} Métropole")
        elif kind == "CU":
            names.append(f"CU {_de(seat)}")
        elif kind == "CA":
            names.append(f"CA {_de(seat)}" if n_ca % 2 == 0 else f"CA du Pays {_de(seat)}")
            n_ca += 1
        else:
            names.append(cc_patterns[n_cc % len(cc_patterns)](seat))
            n_cc += 1
    if len(set(names)) != len(names):
        raise RuntimeError(f"duplicate EPCI names: {names}")
    return names


def build_region() -> DemoRegion:
    """Generate the whole Région Démo in memory.

    Returns
    -------
    DemoRegion
    """
    outline = region_outline()
    cells = commune_cells(outline)
    adj = _adjacency(cells)
    role = place_roles(cells, adj, outline)
    merges, split = pick_cog_changes(cells, adj, role)
    soc = socio_indicators(cells, role, merges)
    pop = soc["population"].to_numpy()
    # chef-lieu first: the more populous cell of each pair keeps its code
    merges = [(a, b) if pop[a] >= pop[b] else (b, a) for a, b in merges]
    split = split if pop[split[0]] >= pop[split[1]] else split[::-1]
    units = make_units(cells, adj, [*merges, split], pop)
    role_u = role[units.chef]
    pop_u = np.bincount(units.of_cell, pop)
    dept_u = group_departements(units, role_u)
    epci_u, epci = group_epci(units, role_u, pop_u=pop_u, dept_u=dept_u)
    scot_of_epci = group_scot(units, epci_u, epci=epci, outline=outline)
    dept = dept_u[units.of_cell]
    epci_cell = epci_u[units.of_cell]
    protected = np.zeros(len(cells), bool)
    protected[[*np.ravel(merges), *split]] = True

    # names and codes; the communes nouvelles get names of their own
    rng = _rng("cog-names")
    r1, r2, r3 = rng.choice(RIVERS, 3, replace=False)
    merged_names = [f"Val{_hyphen_de(r1)}", f"Terres{_hyphen_de(r2)}"]
    split_name_2023 = f"Les Hauts{_hyphen_de(r3)}"
    names = commune_names(role, reserved=[*merged_names, split_name_2023])
    special = int(np.flatnonzero((dept == "96") & (role == "rural") & ~protected)[0])
    names[special] = SPECIAL_NAME
    codes = commune_codes(names, dept)
    code24, code23 = codes.copy(), codes.copy()
    name24 = dict(zip(codes, names, strict=True))
    name23 = dict(name24)
    for (a, b), new in zip(merges, merged_names, strict=True):
        code24[b] = codes[a]
        name24[codes[a]] = new
        del name24[codes[b]]
    code23[split[1]] = codes[split[0]]
    name23[codes[split[0]]] = split_name_2023
    del name23[codes[split[1]]]

    # EPCI and SCoT tables
    sirens = _sirens([f"24{d}" for d in epci["departement"]], _rng("epci-codes"))
    seat_names = [name24[code24[units.chef[s]]] for s in epci["seat"]]
    epci = epci.assign(
        epci_siren=sirens, nom=_epci_names(seat_names, epci["type"].tolist()),
        scot=scot_of_epci,
    )  # fmt: skip
    epci_pop = np.bincount(epci_cell, pop, minlength=len(epci)).astype(np.int64)
    epci_ncom = np.array([len(set(code24[epci_cell == e])) for e in range(len(epci))])
    epci = epci.assign(population=epci_pop, nb_communes=epci_ncom)
    scot_rows = []
    for s in range(int(scot_of_epci.max()) + 1):
        members = epci[epci["scot"] == s]
        lead = members.sort_values("population", ascending=False).iloc[0]
        scot_rows.append(
            (s, lead["departement"], lead["type"], seat_names[lead.name], len(members))
        )
    scot = pd.DataFrame(scot_rows, columns=["scot", "departement", "lead_type", "seat", "nb_epci"])
    scot["scot_code"] = _sirens([f"25{d}" for d in scot["departement"]], _rng("scot-codes"))
    scot["nom"] = [
        f"SCoT du Grand {seat}" if kind == "METRO"
        else f"SCoT de l'Agglomération {_de(seat)}" if kind in ("CU", "CA")
        else f"SCoT du Pays {_de(seat)}"
        for seat, kind in zip(scot["seat"], scot["lead_type"], strict=True)
    ]  # fmt: skip
    if scot["nom"].duplicated().any():
        raise RuntimeError(f"duplicate SCoT names: {scot['nom'].tolist()}")
    scot_code = dict(enumerate(scot["scot_code"]))
    scot_nom = dict(enumerate(scot["nom"]))
    epci["scot_code"] = epci["scot"].map(scot_code).fillna("")
    epci["scot_nom"] = epci["scot"].map(scot_nom).fillna("")

    # consumption and indicators on fine cells
    flows, over = consumption_flows(role, soc, epci_cell, epci["type"].to_numpy(), protected)
    fine = gpd.GeoDataFrame(
        soc.drop(columns="growth").assign(
            code24=code24, code23=code23, departement=dept, epci=epci_cell,
            role=role, friches_ha=friches(role),
        ),
        geometry=cells, crs=CRS,
    )  # fmt: skip

    # COG 2024 communes
    numeric = ["population", "population_2015", "menages", "menages_2015", "emplois",
               "emplois_2015", "friches_ha"]  # fmt: skip
    agg = {c: "sum" for c in numeric} | {"departement": "first", "epci": "first", "role": "first"}
    com = fine.dissolve(by="code24", method="coverage", aggfunc=agg).sort_index()
    com.index.name = "code_insee"
    com = com.reset_index()
    e = com["epci"].to_numpy()
    com["nom"] = com["code_insee"].map(name24)
    com["departement_nom"] = com["departement"].map(DEPARTEMENTS)
    com["region"] = REGION_CODE
    com["region_nom"] = REGION_NAME
    com["epci_siren"] = epci["epci_siren"].to_numpy()[e]
    com["epci_nom"] = epci["nom"].to_numpy()[e]
    com["epci_type"] = epci["type"].to_numpy()[e]
    com["scot_code"] = epci["scot_code"].to_numpy()[e]
    com["scot_nom"] = epci["scot_nom"].to_numpy()[e]
    com["armature"] = com["role"]
    coast = coastline(outline)
    shared = shapely.length(shapely.intersection(
        shapely.boundary(com.geometry.to_numpy()), coast.buffer(0.5)
    ))  # fmt: skip
    com["littoral"] = shared > 100.0
    com["document_urbanisme"] = planning_documents(
        com["armature"].to_numpy(), com["population"].to_numpy(float), e,
        epci["type"].to_numpy(),
    )  # fmt: skip
    com["garantie_communale"] = com["document_urbanisme"] != "RNU"
    com["friches_ha"] = com["friches_ha"].round(2)
    communes = gpd.GeoDataFrame(
        com[COMMUNES_CSV_COLUMNS].astype({c: "int64" for c in numeric[:-1]}),
        geometry=com.geometry.to_numpy(), crs=CRS,
    )  # fmt: skip

    epci_out = epci.sort_values("epci_siren")[EPCI_CSV_COLUMNS].reset_index(drop=True)
    scot_out = scot.sort_values("scot_code")[SCOT_CSV_COLUMNS].reset_index(drop=True)
    departements = pd.DataFrame({"code": list(DEPARTEMENTS), "nom": list(DEPARTEMENTS.values())})

    conso = _conso_table(fine, flows, epci, name23)
    passage = pd.DataFrame(
        [(codes[b], names[b], codes[a], name24[codes[a]]) for a, b in merges]
        + [(codes[a], names[a], codes[a], name24[codes[a]]) for a, b in merges]
        + [(codes[split[0]], split_name_2023, codes[k], names[k]) for k in split],
        columns=PASSAGE_COLUMNS,
    ).sort_values(["code_2023", "code_2024"], ignore_index=True)
    return DemoRegion(
        outline=outline, communes=communes, epci=epci_out, scot=scot_out,
        departements=departements, conso=conso, passage=passage,
        over_consumers=sorted(code23[over]),
    )  # fmt: skip


def _conso_table(
    fine: gpd.GeoDataFrame, flows: np.ndarray, epci: pd.DataFrame, name23: dict[str, str]
) -> pd.DataFrame:
    """The Cerema 2009-2023 commune file, in COG 2023 codes."""
    n = len(fine)
    cols: dict[str, np.ndarray] = {}
    for k, year in enumerate(FLOW_YEARS):
        yy, zz = year % 100, (year + 1) % 100
        cols[f"naf{yy:02d}art{zz:02d}"] = flows[:, k].sum(axis=1)
        for d, dest in enumerate(DESTINATIONS):
            cols[f"art{yy:02d}{dest}{zz:02d}"] = flows[:, k, d]
    cols["naf09art23"] = flows.sum(axis=(1, 2))
    for d, dest in enumerate(DESTINATIONS):
        cols[f"art09{dest}23"] = flows[:, :, d].sum(axis=1)
    ten = slice(FLOW_YEARS.index(2011), FLOW_YEARS.index(2020) + 1)
    cols["naf11art21"] = flows[:, ten].sum(axis=(1, 2))
    # 2014 and 2020 by the 2015-2021 annual rate of each quantity
    for short, col in (("pop", "population"), ("men", "menages"), ("emp", "emplois")):
        now = fine[col].to_numpy(float)
        then = fine[f"{col}_2015"].to_numpy(float)
        rate = (now / then) ** (1 / 6)
        cols[f"{short}14"] = np.round(then / rate).astype(np.int64)
        cols[f"{short}20"] = np.round(now / rate).astype(np.int64)
    table = pd.DataFrame(cols).astype("int64")
    table["idcom"] = fine["code23"].to_numpy()
    table = table.groupby("idcom", sort=True).sum()
    geoms = fine[["code23", "geometry"]].dissolve(by="code23", method="coverage").sort_index()
    table["surfcom2023"] = np.round(shapely.area(geoms.geometry.to_numpy())).astype(np.int64)
    table["artcom0923"] = np.round(100.0 * table["naf09art23"] / table["surfcom2023"], 2)
    for short in ("pop", "men", "emp"):
        table[f"{short}1420"] = table[f"{short}20"] - table[f"{short}14"]
    table = table.reset_index()
    first = fine.drop_duplicates("code23").set_index("code23")
    e = first.loc[table["idcom"], "epci"].to_numpy()
    dept = first.loc[table["idcom"], "departement"].to_numpy()
    table["idcomtxt"] = table["idcom"].map(name23)
    table["idreg"] = REGION_CODE
    table["idregtxt"] = REGION_NAME
    table["iddep"] = dept
    table["iddeptxt"] = [DEPARTEMENTS[d] for d in dept]
    table["epci23"] = epci["epci_siren"].to_numpy()[e]
    table["epci23txt"] = epci["nom"].to_numpy()[e]
    table["scot"] = epci["scot_nom"].to_numpy()[e]
    if len(table) != len(set(fine["code23"])) or len(table) >= n:
        raise RuntimeError("the COG 2023 table does not have one row per COG 2023 commune")
    return table[conso_columns()]


# --------------------------------------------------------------------------------------
# Writers: one per file, each atomic (temporary file, then os.replace)
# --------------------------------------------------------------------------------------


@contextmanager
def _atomic(path: Path) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; move it onto ``path`` on success."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp_path = path.with_name(f".{path.stem}.tmp{path.suffix}")
    if tmp_path.exists():
        tmp_path.unlink()
    try:
        yield tmp_path
        os.replace(tmp_path, path)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


@contextmanager
def _fixed_ogr_date() -> Iterator[None]:
    """Set GDAL's ``OGR_CURRENT_DATE`` so that GeoPackage timestamps are reproducible."""
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


def _write_csv(table: pd.DataFrame, path: Path) -> None:
    with _atomic(path) as tmp:
        table.to_csv(tmp, index=False, encoding="utf-8", lineterminator="\n", float_format="%.2f")


def write_communes_gpkg(region: DemoRegion, out: Path) -> Path:
    """Write ``communes.gpkg`` (layer ``communes``: code_insee, nom, departement)."""
    path = out / "communes.gpkg"
    layer = region.communes[["code_insee", "nom", "departement", "geometry"]]
    with _fixed_ogr_date(), _atomic(path) as tmp:
        pyogrio.write_dataframe(layer, tmp, layer="communes", driver="GPKG")
    return path


def write_communes_csv(region: DemoRegion, out: Path) -> Path:
    """Write ``communes.csv``: one row per COG 2024 commune, memberships and indicators."""
    path = out / "communes.csv"
    _write_csv(pd.DataFrame(region.communes[COMMUNES_CSV_COLUMNS]), path)
    return path


def write_epci_csv(region: DemoRegion, out: Path) -> Path:
    """Write ``epci.csv``."""
    path = out / "epci.csv"
    _write_csv(region.epci, path)
    return path


def write_scot_csv(region: DemoRegion, out: Path) -> Path:
    """Write ``scot.csv``."""
    path = out / "scot.csv"
    _write_csv(region.scot, path)
    return path


def write_departements_csv(region: DemoRegion, out: Path) -> Path:
    """Write ``departements.csv``."""
    path = out / "departements.csv"
    _write_csv(region.departements, path)
    return path


def write_conso_csv(region: DemoRegion, out: Path) -> Path:
    """Write ``conso_enaf_2009_2023.csv`` (Cerema layout, COG 2023)."""
    path = out / "conso_enaf_2009_2023.csv"
    _write_csv(region.conso, path)
    return path


def write_passage_csv(region: DemoRegion, out: Path) -> Path:
    """Write ``passage_cog2023_cog2024.csv`` (changed communes only)."""
    path = out / "passage_cog2023_cog2024.csv"
    _write_csv(region.passage, path)
    return path


def summary(region: DemoRegion) -> dict[str, object]:
    """Key figures of the region, for the README and the console.

    Returns
    -------
    dict
    """
    conso = region.conso
    ref = conso["naf11art21"].sum() / 1e4
    recent = (conso["naf21art22"].sum() + conso["naf22art23"].sum()) / 1e4
    types = region.epci["type"].value_counts()
    armature = region.communes["armature"].value_counts()
    return {
        "communes_2024": len(region.communes),
        "communes_2023": len(conso),
        "epci": len(region.epci),
        "epci_types": {k: int(types.get(k, 0)) for k in ("METRO", "CU", "CA", "CC")},
        "epci_outside_scot": int((region.epci["scot_code"] == "").sum()),
        "scot": len(region.scot),
        "population": int(region.communes["population"].sum()),
        "armature": {k: int(armature.get(k, 0)) for k in ARMATURE},
        "area_km2": region.communes.area.sum() / 1e6,
        "conso_2011_2020_ha": ref,
        "conso_2021_2022_ha": recent,
        "pace_2021_2022_pct": 100 * (recent / 2) / (ref / 10),
        "habitat_pct": 100 * conso["art09hab23"].sum() / conso["naf09art23"].sum(),
        "activite_pct": 100 * conso["art09act23"].sum() / conso["naf09art23"].sum(),
        "littoral": int(region.communes["littoral"].sum()),
        "rnu": int((region.communes["document_urbanisme"] == "RNU").sum()),
    }


def _md_table(table: pd.DataFrame) -> str:
    lines = ["| " + " | ".join(table.columns) + " |", "|" + "---|" * len(table.columns)]
    lines += ["| " + " | ".join(str(v) for v in row) + " |" for row in table.to_numpy()]
    return "\n".join(lines)


def write_readme(region: DemoRegion, out: Path) -> Path:
    """Write ``README.md``: what each file holds, its columns and units, and the COG changes."""
    s = summary(region)
    t = s["epci_types"]
    assert isinstance(t, dict)
    text = README_TEMPLATE.format(
        seed=SEED, ogr_date=OGR_DATE, passage=_md_table(region.passage),
        over=", ".join(region.over_consumers),
        departements=", ".join(f"{c} {n}" for c, n in DEPARTEMENTS.items()),
        metro=t["METRO"], cu=t["CU"], ca=t["CA"], cc=t["CC"],
        n_poles=s["armature"]["pole"],  # type: ignore[index]
        n_relais=s["armature"]["pole_relais"],  # type: ignore[index]
        n_bourgs=s["armature"]["bourg"],  # type: ignore[index]
        **{k: v for k, v in s.items() if k not in ("epci_types", "armature")},
    )  # fmt: skip
    path = out / "README.md"
    with _atomic(path) as tmp:
        tmp.write_text(text, encoding="utf-8", newline="\n")
    return path


README_TEMPLATE = """\
# Région Démo: synthetic demo data of zan

**Everything here is SYNTHETIC.** The region, its départements, communes, EPCI and
SCoT, their names, codes, boundaries and every figure are invented. The codes are
deliberately outside the real numbering: region `99`, départements {departements}
(no real mainland département has these numbers), SIREN-like codes `2496…`,
`2498…`, `2499…` (EPCI) and `2596…`, `2598…`, `2599…` (SCoT). Only the file
*layouts* copy real ones, so that the code reading them works on real data too.

Generated by `scripts/make_demo_data.py` (seed {seed}); regenerate with

    python scripts/make_demo_data.py            # writes data/demo/
    python scripts/make_demo_data.py --out DIR  # somewhere else

Two runs give byte-identical files (the GeoPackage timestamps are fixed to
`{ogr_date}` through GDAL's `OGR_CURRENT_DATE`); `tests/test_demo_data.py` checks
that these files equal a fresh run.

## The region in figures

- {communes_2024} communes in COG 2024 ({communes_2023} in COG 2023), {area_km2:,.0f} km²,
  {population:,} inhabitants (2021); 1 metropole (~250,000 inhabitants), {n_poles} poles
  (40,000-80,000), {n_relais} pôles relais, {n_bourgs} bourgs, the rest rural villages;
  {littoral} coastal communes on the north-west coast.
- {epci} EPCI ({metro} métropole, {cu} CU, {ca} CA, {cc} CC), each contiguous and inside one
  département; {scot} SCoT grouping contiguous EPCI; {epci_outside_scot} EPCI outside any SCoT.
- ENAF consumption 2011-2020 (the reference decade): {conso_2011_2020_ha:,.0f} ha;
  2021-2022 (1 January 2021 to 1 January 2023, the last flows of this vintage):
  {conso_2021_2022_ha:,.0f} ha, an annual pace of {pace_2021_2022_pct:.0f} % of the
  reference one. Destinations 2009-2022: {habitat_pct:.0f} % habitat, {activite_pct:.0f} %
  activité. Communes consuming well above trend since 2021: {over}.
- {rnu} communes without planning document (RNU).

## Files

All tables are UTF-8 CSV with `,` separators, a header line and `\\n` line ends;
codes are text (keep them as strings). Areas are in m² unless the name ends in `_ha`.

### `communes.gpkg`
GeoPackage, layer `communes`, **EPSG:2154 (Lambert-93)**, Polygon geometries, one
row per COG 2024 commune, sorted by code. Columns: `code_insee` (text, 5 chars:
département + 3 digits), `nom`, `departement`. The polygons form a perfect coverage
of the region (no gap, no overlap, valid), vertices on a 0.1 m grid.

### `communes.csv`
One row per COG 2024 commune; the layout of the DGCL/INSEE commune lists, extended.

| column | meaning |
|---|---|
| `code_insee` | commune code (COG 2024) |
| `nom` | commune name |
| `departement`, `departement_nom` | département code (`96`/`98`/`99`) and name |
| `region`, `region_nom` | région code (`99`) and name (`Région Démo`) |
| `epci_siren`, `epci_nom`, `epci_type` | EPCI: SIREN (9 digits), name, `METRO`/`CU`/`CA`/`CC` |
| `scot_code`, `scot_nom` | the SCoT (9 digits) and its name; empty outside any SCoT |
| `population`, `population_2015` | inhabitants, 2021 and 2015 |
| `menages`, `menages_2015` | households, 2021 and 2015 |
| `emplois`, `emplois_2015` | jobs, 2021 and 2015 |
| `armature` | `metropole`, `pole`, `pole_relais`, `bourg` or `rural` |
| `littoral` | `True` for communes on the sea coast (north-west edge) |
| `document_urbanisme` | `PLUi`, `PLU`, `CC` (carte communale) or `RNU` (none) |
| `garantie_communale` | `True` unless `RNU`: the 1 ha garantie communale (loi 2023-630) |
| `friches_ha` | brownfield land (friches), hectares |

### `epci.csv`
`epci_siren`, `nom`, `type` (`METRO`, `CU`, `CA`, `CC`), `departement`, `scot_code`
(empty outside any SCoT), `nb_communes` (COG 2024), `population` (2021, sum of the
members).

### `scot.csv`
`scot_code`, `nom`, `nb_epci`.

### `departements.csv`
`code`, `nom`.

### `conso_enaf_2009_2023.csv`
The layout of the Cerema "consommation d'espaces" commune file, vintage 2009-2023,
**in COG 2023 codes** (one row per COG 2023 commune), columns in this order:

- `idcom`, `idcomtxt` (code and name, COG 2023), `idreg`, `idregtxt`, `iddep`,
  `iddeptxt`, `epci23`, `epci23txt` (EPCI SIREN and name), `scot` (SCoT name, empty
  outside any SCoT);
- for each year YY = 09..22, ZZ = YY+1: `nafYYartZZ`, the ENAF consumed from
  1 January 20YY to 1 January 20ZZ, then its destinations `artYYactZZ` (activité),
  `artYYhabZZ` (habitat), `artYYmixZZ` (mixte), `artYYrouZZ` (routes), `artYYferZZ`
  (ferroviaire), `artYYincZZ` (inconnu); m², integers; `nafYYartZZ` is exactly the
  sum of its six destinations. As in the real file, the 2009 and 2010 flows are
  equal (to 1 m²);
- `naf09art23` (sum of the 14 annual flows) and `art09actYY`...`art09inc23` (the same per
  destination), `naf11art21` (1 January 2011 to 1 January 2021: the ten flows
  `naf11art12` ... `naf20art21`, the reference decade of the law), m²;
- `artcom0923`: `naf09art23` as a percentage of the commune area (2 decimals, as in
  the real file);
- `pop14`, `pop20`, `pop1420` (population 2014, 2020 and the change), `men14`,
  `men20`, `men1420` (households), `emp14`, `emp20`, `emp1420` (jobs);
- `surfcom2023`: commune area, m².

### `passage_cog2023_cog2024.csv`
Table de passage, changed communes only: `code_2023`, `nom_2023`, `code_2024`,
`nom_2024`. A merger (commune nouvelle keeping the chef-lieu's code) has two rows
with the same `code_2024`; a split has two rows with the same `code_2023`.

{passage}

To put the consumption file on the COG 2024 communes: sum the merged communes; share
the split commune's figures between its two successors in proportion to their areas.

## Land cover, parcels and raster

Written by `scripts/make_demo_landcover.py` (called by `make_demo_data.py`), all synthetic:

### `ocsge_demo_2018.gpkg`, `ocsge_demo_2021.gpkg`
OCS GE-like land cover and use, layer `occupation_du_sol`, **EPSG:2154**, over a window
around three communes: couverture `code_cs` (`CS1.1.1.1` ...) and usage `code_us`
(`US1.1` ...) — upper-case column names (`CODE_CS`, `CODE_US`) in 2018, lower-case in
2021, as real deliveries vary. Small sheds (< 50 m²), houses, and 4 m / 7 m wide roads
exercise the thresholds of décret 2023-1096.

### `ocsge_demo_difference_2018_2021.gpkg`
The OCS GE "difference" product between the two vintages, on the polygons that changed:
`cs_avant`, `cs_apres`, `us_avant`, `us_apres`.

### `cadastre-<insee>-parcelles.json.gz`
Etalab-style cadastral parcels of three communes, GeoJSON in **EPSG:4326**, gzip;
properties `id` (14 characters: commune + prefix + section + number), `commune`,
`prefixe`, `section`, `numero`, `contenance` (m²), `arpente`, `created`, `updated`.

### `corine_demo.tif`
A Corine Land Cover-like raster: GeoTIFF, 100 m pixels, **EPSG:2154**, codes 111-523
(1xx = artificial surfaces), nodata 0 outside the region.
"""


def check_region(region: DemoRegion) -> None:
    """Check the invariants of the demo data before writing; raise listing every failure.

    A change of :data:`SEED` or of a parameter can break them (the generation is
    random); the tests check the written files again, in more detail.

    Raises
    ------
    RuntimeError
        Listing each invariant that does not hold.
    """
    com = region.communes
    area_km2 = com.area.to_numpy() / 1e6
    geoms = com.geometry.to_numpy()
    s = summary(region)
    union = shapely.coverage_union_all(geoms)
    by_epci = com.dissolve(by="epci_siren", method="coverage").geometry
    conso = region.conso
    annual = [f"naf{y % 100:02d}art{(y + 1) % 100:02d}" for y in FLOW_YEARS]
    checks = {
        "300 to 800 communes": 300 <= len(com) <= 800,
        "commune areas within 2-40 km2": bool((area_km2 >= 2).all() and (area_km2 <= 40).all()),
        "valid polygons": bool(shapely.is_valid(geoms).all()),
        "a perfect coverage": bool(shapely.coverage_is_valid(geoms))
        and abs(union.area - area_km2.sum() * 1e6) < 1.0,
        "the coverage fills the outline": shapely.hausdorff_distance(union, region.outline) < 0.2,
        "15 to 30 EPCI": 15 <= s["epci"] <= 30,
        "5 to 10 SCoT": 5 <= s["scot"] <= 10,
        "1 or 2 EPCI outside any SCoT": 1 <= s["epci_outside_scot"] <= 2,
        "contiguous EPCI": bool((by_epci.geom_type == "Polygon").all()),
        "one département per EPCI": bool(
            (com.groupby("epci_siren")["departement"].nunique() == 1).all()
        ),
        "naf09art23 is the sum of the 14 flows": bool(
            (conso[annual].sum(axis=1) == conso["naf09art23"]).all()
        ),
        "2011-2020 consumption within 3,000-6,000 ha": 3_000 <= s["conso_2011_2020_ha"] <= 6_000,
        "2021-2022 pace within 45-60 % of 2011-2020": 45 <= s["pace_2021_2022_pct"] <= 60,
    }
    failed = [name for name, ok in checks.items() if not ok]
    if failed:
        raise RuntimeError("the demo data breaks: " + "; ".join(failed) + "; change SEED")


def write_all(region: DemoRegion, out: Path) -> list[Path]:
    """Write every demo file into ``out``.

    Returns
    -------
    list of pathlib.Path
    """
    writers = (
        write_communes_gpkg, write_communes_csv, write_epci_csv, write_scot_csv,
        write_departements_csv, write_conso_csv, write_passage_csv, write_readme,
    )  # fmt: skip
    return [w(region, out) for w in writers]


def write_landcover(region: DemoRegion, out: Path) -> list[Path]:
    """Write the land-cover, parcel and raster demo files (``make_demo_landcover.py``)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    try:
        from make_demo_landcover import write_landcover_demo
    finally:
        sys.path.pop(0)
    communes = gpd.read_file(out / "communes.gpkg", layer="communes")  # as users will read it
    return write_landcover_demo(out, communes, SEED)


def main(argv: Sequence[str] | None = None) -> int:
    """Command-line entry point: generate the demo data into ``--out``."""
    default = Path(__file__).resolve().parents[1] / "data" / "demo"
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=default, help=f"folder (default {default})")
    args = parser.parse_args(argv)
    region = build_region()
    check_region(region)
    paths = write_all(region, args.out)
    paths += write_landcover(region, args.out)
    size = sum(p.stat().st_size for p in paths)
    print(f"wrote {len(paths)} files, {size / 1e6:.2f} MB, into {args.out}")
    for key, value in summary(region).items():
        print(f"  {key}: {value:,.1f}" if isinstance(value, float) else f"  {key}: {value}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
