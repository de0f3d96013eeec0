"""Area per class of a classified raster, per territory (zonal class statistics).

The territories are rasterized once on the raster's grid, by pixel centre (so
that each pixel belongs to exactly one territory, with GDAL's rule: the same
pixels as ``rasterio.features.rasterize``), as row spans computed from the
polygon edges rather than painted pixel by pixel. Blocks of rows (about a
million pixels, to stay in the processor's cache) are then read and counted
with one integer ``numpy.bincount`` over (territory × class). Counts are exact
integers, turned into areas by the pixel's exact area in the raster's CRS:
``|a·e − b·d|`` for a projected CRS, the ellipsoidal area of each row's pixels
for a geographic one. Sums over territories therefore equal the total counted
area exactly.
"""

from __future__ import annotations

import threading
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
from .overlay import geom_array, prepare_zones

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


# ---------------------------------------------------------------------- zone scanlines
#
# The territories are not painted pixel by pixel with GDAL: each polygon edge is
# intersected with the horizontal lines through the pixel centres, giving, per
# row, the spans of pixels whose centre lies inside each territory. The rule is
# GDAL's own for ``all_touched=False`` (llrasterize.cpp): an edge counts on the
# line ``y + 0.5`` when ``y1 <= y + 0.5 < y2``; the crossing
# ``x = (y + 0.5 - y1) * (x2 - x1) / (y2 - y1) + x1`` (same operations) is
# rounded with ``floor(x + 0.5)``; pixels from one rounded crossing to the next
# are inside (even-odd over all the rings of a geometry). Pixel coordinates come
# from the inverse geotransform written as GDAL writes it, so the spans give the
# same pixels as ``rasterio.features.rasterize``. Cases where GDAL applies another
# rule (a horizontal edge exactly on a line of pixel centres, overlapping
# territories where the last one wins, non-polygonal geometries, rotated grids)
# fall back to ``rasterize`` for the rows concerned.


@dataclass(frozen=True)
class _Edges:
    """Non-horizontal polygon edges in pixel coordinates, lower end first."""

    x1: np.ndarray
    y1: np.ndarray
    dx: np.ndarray  # x2 - x1
    dy: np.ndarray  # y2 - y1 (> 0)
    zone: np.ndarray  # 1-based zone id
    row0: np.ndarray  # first pixel row whose centre line crosses the edge
    row1: np.ndarray  # one past the last
    tie_rows: np.ndarray  # rows with a horizontal edge on the centre line (GDAL's own rule)


def _pixel_edges(geoms: np.ndarray, transform: Any, height: int) -> _Edges | None:
    """The zones' edges in pixel space, or None when the scanline path does not apply."""
    t = transform
    if t.b != 0 or t.d != 0 or t.a == 0 or t.e == 0:
        return None
    parts, gi = shapely.get_parts(geoms, return_index=True)
    if len(parts) and not np.all(shapely.get_type_id(parts) == 3):
        return None  # lines or points: GDAL burns them with other rules
    rings, pi = shapely.get_rings(parts, return_index=True)
    coords, ri = shapely.get_coordinates(rings, return_index=True)
    zone = (gi[pi[ri]] + 1).astype(np.int64)
    # GDALInvGeoTransform, no-rotation case
    inv0, inv1 = -t.c / t.a, 1.0 / t.a
    inv3, inv5 = -t.f / t.e, 1.0 / t.e
    x = inv0 + coords[:, 0] * inv1
    y = inv3 + coords[:, 1] * inv5
    same = ri[1:] == ri[:-1]
    xa, ya, xb, yb = x[:-1][same], y[:-1][same], x[1:][same], y[1:][same]
    ze = zone[:-1][same]
    flat = ya == yb
    centre = ya[flat] - 0.5
    on_line = (centre == np.floor(centre)) & (centre >= 0) & (centre < height)
    tie_rows = np.unique(centre[on_line].astype(np.int64))
    keep = ~flat
    xa, ya, xb, yb, ze = xa[keep], ya[keep], xb[keep], yb[keep], ze[keep]
    up = ya < yb
    x1, y1 = np.where(up, xa, xb), np.where(up, ya, yb)
    x2, y2 = np.where(up, xb, xa), np.where(up, yb, ya)
    with np.errstate(invalid="ignore"):
        row0 = np.clip(np.ceil(y1 - 0.5), 0, height).astype(np.int64)
        row1 = np.clip(np.ceil(y2 - 0.5), 0, height).astype(np.int64)
    return _Edges(x1, y1, x2 - x1, y2 - y1, ze, row0, row1, tie_rows)


def _key_bits(nzones: int, width: int) -> tuple[int, int]:
    """Bits for a zone id (1..nzones) and a clipped crossing column (0..width + 2)."""
    return int(nzones).bit_length(), int(width + 2).bit_length()


def _band_spans(
    edges: _Edges, r0: int, r1: int, width: int, nzones: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray] | None:
    """Spans of rows ``r0:r1``: flat start, flat end (from row r0) and zone id, in raster order.

    None when GDAL's result may differ from the spans (ties on horizontal edges,
    overlapping zones).
    """
    if len(edges.tie_rows) and np.any((edges.tie_rows >= r0) & (edges.tie_rows < r1)):
        return None
    sel = np.flatnonzero((edges.row0 < r1) & (edges.row1 > r0))
    a = np.maximum(edges.row0[sel], r0)
    n = np.minimum(edges.row1[sel], r1) - a
    total = int(n.sum())
    if total == 0:
        e = np.empty(0, np.int64)
        return e, e, e
    # one crossing per (edge, row); in-place steps keep the temporaries few
    e = np.repeat(sel, n)
    row = np.arange(total, dtype=np.int64)
    row -= np.repeat(np.cumsum(n) - n - a, n)
    cross = row.astype(np.float64)
    cross += 0.5
    tmp = np.take(edges.y1, e)
    cross -= tmp
    np.take(edges.dx, e, out=tmp)
    cross *= tmp
    np.take(edges.dy, e, out=tmp)
    cross /= tmp
    np.take(edges.x1, e, out=tmp)
    cross += tmp
    del tmp
    cross += 0.5
    np.floor(cross, out=cross)
    np.clip(cross, -1, width + 1, out=cross)
    # sort by (row, zone, x), packed in the bits of one integer: pairs of
    # consecutive crossings bound the spans
    zbits, xbits = _key_bits(nzones, width)
    key = row
    key -= r0
    key <<= zbits
    key |= np.take(edges.zone, e)
    del e
    key <<= xbits
    key |= cross.astype(np.int64) + 1
    del cross
    key.sort()
    group = key >> xbits
    if np.any(group[0::2] != group[1::2]):
        return None
    x = key
    x &= (1 << xbits) - 1
    x -= 1
    np.clip(x, 0, width, out=x)
    xs, xe, g = x[0::2], x[1::2], group[0::2]
    nonempty = xe > xs
    g = g[nonempty]
    zid = g & ((1 << zbits) - 1)
    rows = g >> zbits
    rows *= width
    fs = rows + xs[nonempty]
    length = xe[nonempty] - xs[nonempty]
    # in raster order: sort (start, length, zone) packed in one integer
    fbits = int((r1 - r0) * width).bit_length()
    lbits = int(width).bit_length()
    if fbits + lbits + zbits <= 62:
        packed = fs << (lbits + zbits)
        packed |= length << zbits
        packed |= zid
        packed.sort()
        zid = packed & ((1 << zbits) - 1)
        length = (packed >> zbits) & ((1 << lbits) - 1)
        fs = packed >> (lbits + zbits)
    else:
        order = np.argsort(fs)
        fs, length, zid = fs[order], length[order], zid[order]
    fe = fs + length
    if len(fs) > 1 and np.any(fe[:-1] > fs[1:]):
        return None  # overlapping zones: the last one drawn wins in GDAL
    return fs, fe, zid


def _paint(
    fs: np.ndarray, fe: np.ndarray, values: np.ndarray, length: int, dtype: Any
) -> np.ndarray:
    """``length`` pixels: ``values`` on the spans ``[fs, fe)``, 0 between them."""
    n = len(fs)
    lens = np.empty(2 * n + 1, dtype=np.int64)
    lens[0::2] = np.append(fs, length) - np.insert(fe, 0, 0)
    lens[1::2] = fe - fs
    vals = np.zeros(2 * n + 1, dtype=dtype)
    vals[1::2] = values
    return np.repeat(vals, lens)


@dataclass(frozen=True)
class _BlockSpans:
    """The zone spans of one block: flat start and end in the block, local zone index."""

    fs: np.ndarray
    fe: np.ndarray
    local: np.ndarray  # 1-based; 0 is "outside every zone"
    ids: np.ndarray  # local index -> zone id (ids[0] == 0)


def _split_blocks(
    spans: tuple[np.ndarray, np.ndarray, np.ndarray], block_len: int, nblocks: int, nzones: int
) -> list[_BlockSpans | None]:
    """Cut a band's spans (which never cross a row) into blocks of ``block_len`` pixels."""
    fs, fe, zid = spans
    bounds = np.searchsorted(fs, np.arange(nblocks + 1) * block_len)
    slot = np.zeros(nzones + 1, dtype=np.int64)
    last = np.full(nzones + 1, -1, dtype=np.int64)
    out: list[_BlockSpans | None] = []
    for k in range(nblocks):
        i, j = bounds[k], bounds[k + 1]
        if i == j:
            out.append(None)
            continue
        z = zid[i:j]
        # dense local numbers without sorting: one representative per zone
        at = np.arange(len(z))
        last[z] = at
        ids = z[last[z] == at]
        slot[ids] = np.arange(1, len(ids) + 1)
        off = k * block_len
        out.append(_BlockSpans(fs[i:j] - off, fe[i:j] - off, slot[z], np.concatenate(([0], ids))))
    return out


class _ClassCounter:
    """Pixel counts (or areas) per zone × pixel value, accumulated block by block.

    Unsigned 8-bit rasters are counted on their values directly: with values
    under 16, two neighbouring pixels are counted at once as one pair code
    (half the increments; a pair takes the zone of its first pixel, and the
    pixels of pairs cut by a zone boundary are moved afterwards); with values
    under 64 (or 128), 4 (or 2) interleaved sub-counts avoid the serial
    increments of runs of equal pixels. Other integer types go through a
    value → index table grown as new values appear.
    """

    def __init__(self, dtype: Any, nzones: int, weighted: bool, block_len: int) -> None:
        self.dtype = np.dtype(dtype)
        self.nzones = nzones
        self.weighted = weighted
        self.acc = np.float64 if weighted else np.int64
        self.u8 = self.dtype == np.uint8
        info = np.iinfo(self.dtype)
        self.small = info.bits <= 16
        self.offset = int(info.min) if self.small else 0
        self.lut = np.full(2**info.bits, -1, dtype=np.int64) if self.small and not self.u8 else None
        self.values: list[int] = []
        self.cap = 256 if self.u8 else 64
        self.counts = np.zeros((nzones + 1, self.cap), dtype=self.acc)
        self._lanes: dict[tuple[int, int], np.ndarray] = {}
        self._scratch8 = np.empty(block_len, dtype=np.uint8) if self.u8 else None
        self._scratch16 = np.empty(block_len // 2, dtype=np.uint16) if self.u8 else None
        # bincount's own input: filled by the last addition (no cast, no new allocation)
        self._scratch64 = np.empty(block_len, dtype=np.int64)
        self._pair_lanes: np.ndarray | None = None

    def _lane_codes(self, data: np.ndarray, top: int) -> tuple[np.ndarray, int]:
        lanes = 4 if top < 64 else 2 if top < 128 else 1
        if lanes == 1:
            return data, 1
        key = (lanes, len(data))
        pattern = self._lanes.get(key)
        if pattern is None:
            step = 256 // lanes
            pattern = np.tile(np.arange(0, 256, step, dtype=np.uint8), len(data) // lanes + 1)
            pattern = pattern[: len(data)]
            self._lanes[key] = pattern
        out = self._scratch8[: len(data)]
        np.add(data, pattern, out=out)
        return out, lanes

    def _classes(self, data: np.ndarray) -> np.ndarray:
        """Value → index (registering new values), for the non-8-bit types."""
        if self.small:
            shifted = data.astype(np.int64) - self.offset if self.offset else data
            cls = self.lut[shifted]
            if (cls < 0).any():
                new = np.unique(data[cls < 0]).astype(np.int64)
                self.lut[new - self.offset] = np.arange(
                    len(self.values), len(self.values) + len(new)
                )
                self.values.extend(int(v) for v in new)
                cls = self.lut[shifted]
        else:
            seen = np.unique(data)
            new = seen[~np.isin(seen, self.values)]
            self.values.extend(int(v) for v in new)
            order = np.asarray(self.values)
            sorter = np.argsort(order)
            cls = sorter[np.searchsorted(order, data, sorter=sorter)].astype(np.int64)
        while len(self.values) > self.cap:
            self.counts = np.pad(self.counts, ((0, 0), (0, self.cap)))
            self.cap *= 2
        return cls

    def _add_pairs(self, data: np.ndarray, sp: _BlockSpans) -> None:
        """8-bit values under 16: count pixel pairs (uint16 view), then fix the cut pairs."""
        n = len(data)
        if n % 2:
            # an odd block: its last pixel apart, the others in pairs
            last = int(data[-1])
            inside = len(sp.fe) > 0 and sp.fe[-1] == n
            self.counts[sp.ids[sp.local[-1] if inside else 0], last] += 1
            n -= 1
            data = data[:n]
            sp = _BlockSpans(np.minimum(sp.fs, n), np.minimum(sp.fe, n), sp.local, sp.ids)
        half = n // 2
        view = data.view(np.uint16)
        code = self._scratch16[:half]
        # the two 4-bit values of a pair side by side, whatever the byte order
        np.right_shift(view, 4, out=code)
        np.bitwise_or(code, view, out=code)
        np.bitwise_and(code, 0xFF, out=code)
        m = len(sp.ids)
        # odd pairs counted apart (bins from 32768) when there is room: runs of
        # equal pairs then no longer increment the same counter back to back
        lanes = m * 256 <= 32768
        if lanes:
            if self._pair_lanes is None or len(self._pair_lanes) < half:
                self._pair_lanes = np.tile(np.array([0, 32768], dtype=np.uint16), half // 2 + 1)
            np.bitwise_or(code, self._pair_lanes[:half], out=code)
        comp = _paint(
            (sp.fs + 1) // 2, (sp.fe + 1) // 2, sp.local.astype(np.uint16) << 8, half, np.uint16
        )
        np.add(comp, code, out=comp)
        wide = self._scratch64[:half]
        np.copyto(wide, comp, casting="unsafe")
        counts = np.bincount(wide, minlength=32768 + m * 256 if lanes else m * 256)
        if lanes:
            counts[: m * 256] += counts[32768 : 32768 + m * 256]
        pairs = counts[: m * 256].reshape(m, 16, 16)
        per = pairs.sum(axis=1) + pairs.sum(axis=2)
        # A pair belongs to the zone of its first pixel: move the second pixel of
        # each pair that a zone boundary cuts (boundary at an odd position).
        fs, fe, loc = sp.fs, sp.fe, sp.local
        joined = fe[:-1] == fs[1:]  # span k ends where span k+1 starts
        before = np.zeros(len(fs), dtype=loc.dtype)
        before[1:] = np.where(joined, loc[:-1], 0)
        odd_start = (fs & 1) == 1
        odd_end = ((fe & 1) == 1) & (fe < n)
        odd_end[:-1] &= ~joined
        pos = np.concatenate((fs[odd_start], fe[odd_end]))
        if len(pos):
            cls = data[pos].astype(np.int64)
            gain = np.concatenate((loc[odd_start], np.zeros(int(odd_end.sum()), dtype=loc.dtype)))
            lose = np.concatenate((before[odd_start], loc[odd_end]))
            moved = np.bincount(gain * 16 + cls, minlength=m * 16)
            moved -= np.bincount(lose * 16 + cls, minlength=m * 16)
            per += moved.reshape(m, 16)
        self.counts[sp.ids, :16] += per

    def add(
        self,
        data: np.ndarray,
        zones: _BlockSpans | np.ndarray,
        weights: np.ndarray | None,
    ) -> None:
        """Count one block: ``data`` (flat) and its zones, as spans or as a zone-id array."""
        n = len(data)
        spans = isinstance(zones, _BlockSpans)
        if self.u8:
            top = int(data.max())
            if spans and top < 16 and weights is None and len(zones.ids) <= 256:
                self._add_pairs(data, zones)
                return
            codes, lanes = self._lane_codes(data, top)
            width = 256
        else:
            codes, lanes = self._classes(data), 1
            width = self.cap
        if spans:
            ids = zones.ids
            nbins = len(ids) * width
            dt = np.uint16 if self.u8 and nbins <= 65536 else np.int64
            comp = _paint(zones.fs, zones.fe, zones.local.astype(dt) * dt(width), n, dt)
        else:
            ids = np.arange(self.nzones + 1)
            nbins = len(ids) * width
            comp = zones.astype(np.int64) * width
        np.add(comp, codes, out=comp, casting="unsafe")
        if comp.dtype != np.int64:
            wide = self._scratch64[:n]
            np.copyto(wide, comp, casting="unsafe")
            comp = wide
        counts = np.bincount(comp, weights=weights, minlength=nbins)
        if lanes > 1:
            counts = counts.reshape(len(ids), lanes, width // lanes).sum(axis=1)
        else:
            counts = counts.reshape(len(ids), width)
        self.counts[ids, : counts.shape[1]] += counts

    def result(self) -> tuple[np.ndarray, np.ndarray]:
        """(values seen, sorted), (zones × values) counts without the outside zone."""
        if self.u8:
            seen = np.flatnonzero(self.counts.any(axis=0))
            return seen.astype(np.int64), self.counts[1:, seen]
        vals = np.asarray(self.values, dtype=np.int64)
        order = np.argsort(vals)
        return vals[order], self.counts[1:, : len(vals)][:, order]


def _class_counts(
    path: Path,
    band: int,
    geoms: np.ndarray,
    *,
    transform: Any,
    width: int,
    height: int,
    dtype: str,
    row_area: np.ndarray | None,
    strip_pixels: int,
    progress: bool,
    scanline: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Pixel values seen and their counts (or areas) per zone (rows follow ``geoms``).

    ``scanline=False`` paints the zones with ``rasterio.features.rasterize``
    instead (the reference the scanline spans are tested against).
    """
    import rasterio
    from affine import Affine
    from rasterio.features import rasterize
    from rasterio.windows import Window
    from tqdm.auto import tqdm

    nz = len(geoms)
    ids = np.arange(1, nz + 1, dtype=np.int64)
    rows = min(_strip_rows(width, strip_pixels), height)
    block_len = rows * width
    band_rows = max(rows, (_strip_rows(width, 1 << 25) // rows) * rows)
    zbits, xbits = _key_bits(nz, width)
    band_rows = min(band_rows, 1 << max(62 - zbits - xbits, 0))  # room for the span sort key
    edges = _pixel_edges(geoms, transform, height) if scanline else None
    tree = shapely.STRtree(geoms)
    bar = tqdm(total=height, desc="raster rows", unit="row", disable=not progress, leave=False)

    def count(lo: int, hi: int) -> _ClassCounter:
        """Rows ``lo`` to ``hi`` (``lo`` a multiple of ``rows``) with their own counter."""
        counter = _ClassCounter(dtype, nz, weighted=row_area is not None, block_len=block_len)
        buf = np.empty((rows, width), dtype=np.dtype(dtype))
        with _GDAL_LOCK:
            ds = rasterio.open(path)  # one handle per thread
        with ds:
            for b0 in range(lo, hi, band_rows):
                bh = min(band_rows, hi - b0)
                starts = range(b0, b0 + bh, rows)
                spans = _band_spans(edges, b0, b0 + bh, width, nz) if edges is not None else None
                if spans is not None:
                    blocks: list[Any] = _split_blocks(spans, block_len, len(starts), nz)
                else:
                    t = transform @ Affine.translation(0, b0)
                    ys = (t.f, t.f + t.e * bh)
                    wb = shapely.box(t.c, min(ys), t.c + t.a * width, max(ys))
                    sel = tree.query(wb, predicate="intersects")
                    if len(sel) == 0:
                        bar.update(bh)
                        continue
                    with _GDAL_LOCK:  # rasterio's warning filters are process-wide
                        zone_px = rasterize(
                            zip(geoms[sel], ids[sel], strict=True),
                            out_shape=(bh, width),
                            transform=t,
                            fill=0,
                            dtype="int32",
                            all_touched=False,
                        ).ravel()
                    blocks = [
                        zone_px[(r0 - b0) * width : (r0 - b0 + rows) * width] for r0 in starts
                    ]
                    blocks = [blk if blk.any() else None for blk in blocks]
                for r0, zones in zip(starts, blocks, strict=True):
                    h = min(rows, b0 + bh - r0)
                    if zones is not None:
                        data = ds.read(band, window=Window(0, r0, width, h), out=buf[:h]).ravel()
                        weights = (
                            None if row_area is None else np.repeat(row_area[r0 : r0 + h], width)
                        )
                        counter.add(data, zones, weights)
                    bar.update(h)
        return counter

    # Two halves of the rows in two threads (reading, numpy additions and bincount
    # release the GIL) when the counts are integers of an 8-bit raster: their sum is
    # exact whatever the split; weighted areas (floats) and other types stay in one.
    mid = (height // 2 // rows) * rows  # the halves' boundary, on a block of rows
    split = np.dtype(dtype) == np.uint8 and row_area is None and mid > 0 and _threads() > 1
    if split:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(2, thread_name_prefix="zan-raster") as pool:
            first, second = pool.map(lambda span: count(*span), [(0, mid), (mid, height)])
        first.counts += second.counts
        counter = first
    else:
        counter = count(0, height)
    bar.close()
    return counter.result()


#: Held while a thread opens the raster or paints zones with rasterio: those calls set
#: temporary warning filters, which are process-wide (``warnings.catch_warnings``).
_GDAL_LOCK = threading.Lock()


def _threads() -> int:
    """Threads the raster count may use: ``$ZAN_THREADS``, else the machine's cores."""
    import os

    from ..settings import read_setting

    threads = read_setting("threads")
    return int(threads) if threads is not None else (os.cpu_count() or 1)


def raster_class_areas(
    raster: str | Path | RasterSource,
    zones: Any,
    *,
    level: str | None = "commune",
    band: int = 1,
    legend: Any = None,
    artificial: Any = None,
    strip_pixels: int = 1 << 20,
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
    strip_pixels : int, default 1,048,576
        Pixels counted at once (whole rows; about 11 bytes each). Small blocks
        stay in the processor's cache.
    progress : bool, default False
        Show a tqdm progress bar over the rows.

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
    src = raster if isinstance(raster, RasterSource) else open_raster(raster, band=band)
    leg = read_legend(legend) if legend is not None else src.legend
    notes = list(src.notes)

    # Zone surfaces in a projected CRS, before any reprojection to the raster's CRS.
    z_area = prepare_zones(zones, level, _area_crs(zones))
    area_m2 = pd.Series(shapely.area(geom_array(z_area.gdf)), index=z_area.gdf.index)
    z = prepare_zones(zones, level, src.crs)
    notes.extend(z.notes)
    geoms = geom_array(z.gdf)
    extent = shapely.box(*src.bounds)
    inside_m2 = (
        pd.Series(
            shapely.area(
                geom_array(prepare_zones(_clip_frame(z.gdf, extent), None, _area_crs(zones)).gdf)
            ),
            index=z.gdf.index,
        )
        if src.crs.is_projected
        else None
    )
    if not shapely.intersects(geoms, extent).any():
        zb = tuple(round(v, 3) for v in z.gdf.total_bounds)
        rb = tuple(round(v, 3) for v in src.bounds)
        raise DataError(
            f"{src.path}: no territory overlaps the raster (raster bounds {rb}, territory bounds "
            f"{zb}, in {src.crs.to_string()}); check that they cover the same area"
        )

    pixel_area = src.pixel_area_m2
    row_area = (
        None if pixel_area is not None else geographic_row_areas(src.transform, src.height, src.crs)
    )
    vals, counts = _class_counts(
        src.path,
        src.band,
        geoms,
        transform=src.transform,
        width=src.width,
        height=src.height,
        dtype=src.dtype,
        row_area=row_area,
        strip_pixels=strip_pixels,
        progress=progress,
    )
    scale = pixel_area if pixel_area is not None else 1.0
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
        if inside_m2 is not None
        else np.nan
    )
    zone_m2["artificial_m2"] = (
        class_m2.loc[:, np.isin(class_vals, art_vals)].sum(axis=1).to_numpy()
        if art_vals is not None
        else np.nan
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
        index=pd.Index(class_vals, name="value"),
        name="libelle",
        dtype="str",
    )
    return RasterStats(
        table=table, by_class=by_class, labels=labels, pixel_area_m2=pixel_area, notes=tuple(notes)
    )


def _area_crs(zones: Any) -> Any:
    crs = zones.communes.crs if hasattr(zones, "communes") else getattr(zones, "crs", None)
    if crs is not None and CRS.from_user_input(crs).is_projected:
        return crs
    return LAMBERT93


def _clip_frame(gdf: Any, extent: Any) -> Any:
    """The zones cut to the extent (only those crossing its edge are intersected)."""
    geoms = geom_array(gdf)
    b = shapely.bounds(geoms)
    x0, y0, x1, y1 = shapely.bounds(extent)
    with np.errstate(invalid="ignore"):
        within = (b[:, 0] >= x0) & (b[:, 1] >= y0) & (b[:, 2] <= x1) & (b[:, 3] <= y1)
    cut = geoms.copy()
    cut[~within] = shapely.intersection(geoms[~within], extent)
    return gdf.set_geometry(cut)
