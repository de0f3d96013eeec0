"""Building blocks shared by every zan map: the offline folium map, its elements,
the join of values onto territories, tooltip fields and the atomic writer."""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import folium
import geopandas as gpd
import numpy as np
import pandas as pd
from branca.element import Element, Figure, MacroElement
from folium.map import Layer
from jinja2 import Template

from .._write import write_text
from ..errors import SchemaError
from ..formatting import CREDIT_MAX_CHARS, shorten
from ._assets import conference_elements, header_elements
from ._classify import NA_COLOUR, Classes
from ._geometry import MapGeometry, encode_points, names_of
from ._text import (
    BOUND_LABELS,
    decimals_of,
    escape,
    label_of,
    number_list,
    script_json,
    unit_of,
)

__all__ = ["ZanMap", "index_by_code", "save"]

#: Column names recognised as territory codes, in order of preference.
CODE_COLUMNS = (
    "code",
    "code_insee",
    "insee_com",
    "insee",
    "codgeo",
    "com",
    "siren",
    "epci_siren",
    "siren_epci",
    "code_epci",
    "epci",
    "scot_code",
    "code_scot",
    "code_dep",
    "departement",
)


class RawHtml(Element):
    """Raw HTML put in the page as it is (no Jinja parsing of inlined scripts)."""

    def __init__(self, html: str):
        super().__init__()
        self._html = html

    def render(self, **kwargs: Any) -> str:
        return self._html


class ZanMap(folium.Map):
    """A folium map that needs no network: Leaflet and zan's script are inlined.

    Unlike :class:`folium.Map`, it links no CDN (no jQuery, Bootstrap, Font
    Awesome or d3) and has no tile layer unless ``tiles`` is given. Its
    ``_repr_html_`` (notebook display) and :func:`save` output are
    self-contained.

    Parameters
    ----------
    bounds : list
        ``[[south, west], [north, east]]`` to fit.
    tiles : str, optional
        A tile layer for users online: ``"OpenStreetMap"`` or any xyzservices
        name; ``None`` (default) draws on a plain background.
    renderer : {"svg", "canvas"}
        Leaflet renderer; canvas draws faster, svg keeps one element per shape.
    **kwargs
        Passed to :class:`folium.Map`.

    Examples
    --------
    >>> m = ZanMap(bounds=[[50.0, 2.0], [51.0, 3.0]])
    >>> "cdn" in m.get_root().render()
    False
    """

    default_js: list[tuple[str, str]] = []
    default_css: list[tuple[str, str]] = []

    def __init__(
        self,
        *,
        bounds: list,
        tiles: str | None = None,
        renderer: str = "svg",
        **kwargs: Any,
    ):
        if renderer not in ("svg", "canvas"):
            raise SchemaError(f"renderer: must be 'svg' or 'canvas' (got {renderer!r})")
        (s, w), (n, e) = bounds
        super().__init__(
            location=[(s + n) / 2, (w + e) / 2],
            zoom_start=8,
            tiles=tiles,
            prefer_canvas=renderer == "canvas",
            zoomSnap=0.25,
            **kwargs,
        )
        self._name = "ZanMap"
        self.bounds = bounds
        # conference mode's side panel, added by zan.frame when the map asks for it
        self.conference = False

    def render(self, **kwargs: Any) -> None:
        figure = self.get_root()
        extra = conference_elements() if self.conference else []
        for name, html in header_elements() + extra:
            figure.header.add_child(RawHtml(html), name=name)
        super().render(**kwargs)


#: A template without macros: what an element shows while its script is rendered as text.
_NO_MACROS = Template("")


class _TextScript:
    """Mixin putting an element's ``script`` macro in the page as text (:class:`RawHtml`).

    branca's ``MacroElement.render`` wraps the script's output in an ``Element``, which
    compiles it as a Jinja template: the lexer then reads every character of the data
    inlined in it (seconds for a national map's megabytes), and would run any ``{{``
    found in a territory's name. The text is the same, Jinja's one trailing newline
    dropped; the element's other work (a layer's ``addTo``, its children) is folium's.
    """

    def render(self, **kwargs: Any) -> None:
        script = self._template.module.__dict__.get("script")
        if script is None or getattr(self, "includes", None):
            super().render(**kwargs)  # type: ignore[misc]
            return
        text = str(script(self, kwargs))
        self.get_root().script.add_child(
            RawHtml(text[:-1] if text.endswith("\n") else text), name=self.get_name()
        )
        self._template = _NO_MACROS  # the instance's, for folium's render below
        try:
            super().render(**kwargs)  # type: ignore[misc]
        finally:
            del self._template


class _Store(_TextScript, MacroElement):
    """Decoded geometry, codes, names and label points shared by a map's layers."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "var {{ this.get_name() }} = zan.store({{ this.payload }});\n"
        "{% endmacro %}"
    )

    def __init__(self, geometry: MapGeometry):
        super().__init__()
        self._name = "ZanStore"
        self.geometry = geometry
        self.payload = script_json(
            {
                "g": geometry.spec,
                "codes": geometry.codes,
                "names": geometry.names,
                "pts": encode_points(geometry.label_points, geometry.spec),
            }
        )


class _Frame(_TextScript, MacroElement):
    """Title, credit line, conference mode, fullscreen button, fit to bounds."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "zan.frame({{ this._parent.get_name() }}, {{ this.payload }});\n"
        "{% endmacro %}"
    )

    def __init__(self, **options: Any):
        super().__init__()
        self._name = "ZanFrame"
        self.options = options
        self.payload = script_json(options)


class _ChoroLayer(_TextScript, Layer):
    """One classified layer of territories (a scenario, an indicator, a difference)."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "var {{ this.get_name() }} = zan.layer({{ this._parent.get_name() }}, "
        "{{ this.store.get_name() }}, {{ this.payload }});\n"
        "{% endmacro %}"
    )

    def __init__(
        self,
        store: _Store,
        classes: Classes,
        *,
        name: str,
        tip: list[dict],
        pop: list[dict] | None,
        legend: str | None,
        style: dict,
        show: bool = True,
        overlay: bool = False,
    ):
        # Leaflet's layer control writes names as HTML: escape them
        name = shorten(name)  # a scenario name of megabytes stays a line (TITLE_MAX_CHARS)
        super().__init__(name=escape(name), overlay=overlay, control=True, show=show)
        self._name = "ZanLayer"
        self.store = store
        self.title = name
        self.classes = classes
        self.spec: dict[str, Any] = {
            "cls": classes.yb,
            "pal": classes.colours,
            "na": NA_COLOUR,
            "tip": tip,
            "pop": pop,
            "legend": legend,
            "style": style,
        }
        self.payload = script_json(self.spec)

    def hatch(self, hatches: Sequence[str]) -> None:
        """Hatch the classes (``""``, ``"//"`` or ``"xx"`` each) so they differ beyond colour.

        Drawn by zan.js with SVG patterns (the canvas renderer keeps plain colours).
        """
        self.spec["hatch"] = [str(h) for h in hatches]
        self.payload = script_json(self.spec)


class _Outline(_TextScript, Layer):
    """Borders of an upper level (EPCI, SCoT, département), not interactive."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "var {{ this.get_name() }} = zan.outline({{ this._parent.get_name() }}, "
        "{{ this.store.get_name() }}, {{ this.payload }});\n"
        "{% endmacro %}"
    )

    def __init__(self, store: _Store, *, name: str, weight: float, color: str = "#333333"):
        super().__init__(name=escape(name), overlay=True, control=True, show=True)
        self._name = "ZanOutline"
        self.store = store
        self.payload = script_json({"weight": weight, "color": color})


class _Labels(_TextScript, Layer):
    """Names of the main territories, drawn at a point inside each, without collisions."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "var {{ this.get_name() }} = zan.labels({{ this._parent.get_name() }}, "
        "{{ this.store.get_name() }}, {{ this.payload }}, {{ this.css_class|tojson }});\n"
        "{% endmacro %}"
    )

    def __init__(self, store: _Store, index: np.ndarray, *, name: str, css_class: str = ""):
        super().__init__(name=escape(name), overlay=True, control=True, show=True)
        self._name = "ZanLabels"
        self.store = store
        # priority by area, largest first: zan.js places labels in this order and drops
        # any whose box would meet one already placed (shown on hover instead)
        index = np.asarray(index, dtype=int)
        area = store.geometry.area_ha[index]
        self.index = index[np.argsort(-area, kind="stable")]
        self.css_class = css_class
        self.payload = script_json(
            {"i": self.index, "a": np.round(store.geometry.area_ha[self.index], 1)}
        )


class _Switcher(MacroElement):
    """Big buttons that show one scenario layer at a time (conference mode)."""

    _template = Template(
        "{% macro script(this, kwargs) %}"
        "zan.switcher({{ this._parent.get_name() }}, ["
        "{% for label, layer in this.items %}[{{ label|tojson }}, {{ layer.get_name() }}],"
        "{% endfor %}]);\n"
        "{% endmacro %}"
    )

    def __init__(self, items: list[tuple[str, Layer]]):
        super().__init__()
        self._name = "ZanSwitcher"
        self.items = items


def index_by_code(
    gdf: gpd.GeoDataFrame,
    code_column: str | None = None,
    *,
    source: str = "territories",
) -> gpd.GeoDataFrame:
    """Return the layer indexed by territory code (str), detecting the code column.

    The contract of ``zan.Territories.geometries`` is a layer already indexed by
    code; a layer read from a file usually has the code in a column: it is
    looked for among :data:`CODE_COLUMNS` (``code``, ``code_insee``,
    ``INSEE_COM``, ``insee``, ``siren``, ...; case-insensitive) unless named.

    Parameters
    ----------
    gdf : geopandas.GeoDataFrame
    code_column : str, optional
        Column holding the code.
    source : str
        Layer name for messages.

    Returns
    -------
    geopandas.GeoDataFrame

    Raises
    ------
    SchemaError
        When no code column is found or codes repeat.

    Examples
    --------
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame({"INSEE_COM": ["02001"]}, geometry=[box(0, 0, 1, 1)])
    >>> index_by_code(g).index.tolist()
    ['02001']
    """
    if code_column is not None:
        if code_column not in gdf.columns:
            raise SchemaError(
                f"{source}: code column {code_column!r} not found "
                f"(columns: {', '.join(map(str, gdf.columns))}); pass one of them"
            )
        out = gdf.set_index(code_column)
    elif isinstance(gdf.index, pd.RangeIndex) or gdf.index.name is None and not _looks_coded(gdf):
        lower = {str(c).lower(): c for c in gdf.columns}
        found = next((lower[c] for c in CODE_COLUMNS if c in lower), None)
        if found is None:
            raise SchemaError(
                f"{source}: no territory code column found (columns: "
                f"{', '.join(map(str, gdf.columns))}); name it with code_column= "
                f"(looked for {', '.join(CODE_COLUMNS)})"
            )
        out = gdf.set_index(found)
    else:
        out = gdf
    out = out.copy()
    out.index = out.index.astype(str)
    out.index.name = "code"
    dup = out.index[out.index.duplicated()]
    if len(dup):
        raise SchemaError(
            f"{source}: territory codes repeat ({', '.join(dup.unique()[:5])}); "
            "dissolve the layer by code first (gdf.dissolve('code'))"
        )
    return out


def _looks_coded(gdf: pd.DataFrame) -> bool:
    return gdf.index.dtype == object or pd.api.types.is_string_dtype(gdf.index.dtype)


def _values_frame(values: pd.DataFrame | pd.Series, codes: pd.Index) -> pd.DataFrame:
    frame = values.to_frame() if isinstance(values, pd.Series) else values
    if isinstance(frame.index, pd.RangeIndex) and "code" in frame.columns:
        frame = frame.set_index("code")
    frame = frame.copy()
    idx = frame.index
    if pd.api.types.is_integer_dtype(idx.dtype):
        width = codes.str.len()
        idx = idx.astype(str)
        if width.nunique() == 1:  # INSEE codes read as numbers lost their leading zero
            idx = idx.str.zfill(int(width[0]))
    frame.index = pd.Index(idx.astype(str), name="code")
    dup = frame.index[frame.index.duplicated()]
    if len(dup):
        raise SchemaError(
            f"values: codes repeat ({', '.join(dup.unique()[:5])}); keep one row per territory"
        )
    return frame


def join_values(
    gdf: gpd.GeoDataFrame,
    values: pd.DataFrame | pd.Series | None,
    columns: Sequence[str],
    *,
    source: str = "values",
) -> gpd.GeoDataFrame:
    """Join a table indexed by code onto the territories and check the columns."""
    frame = gdf if not isinstance(gdf.index, pd.RangeIndex) else index_by_code(gdf)
    frame = frame.copy()
    frame.index = frame.index.astype(str)
    if values is not None:
        table = _values_frame(values, frame.index)
        common = frame.index.intersection(table.index)
        if len(common) == 0:
            raise SchemaError(
                f"{source}: no code in common with the territories (values: "
                f"{', '.join(table.index[:3])}...; territories: {', '.join(frame.index[:3])}...); "
                "map the values on the territories of the same level"
            )
        extra = table.index.difference(frame.index)
        if len(extra):
            warnings.warn(
                f"{source}: {len(extra)} codes have no territory on the map and are left out "
                f"({', '.join(extra[:5])}); check the level and the geography (COG) year",
                UserWarning,
                stacklevel=3,
            )
        keep = [c for c in frame.columns if c not in table.columns or c == frame.geometry.name]
        frame = frame[keep].join(table.drop(columns=[frame.geometry.name], errors="ignore"))
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"{source}: column {missing[0]!r} not found (columns: "
            f"{', '.join(c for c in map(str, frame.columns) if c != frame.geometry.name)}); "
            "pass the name of a column of the values or of the territories"
        )
    return frame


def numeric(frame: pd.DataFrame, column: str, *, source: str = "values") -> np.ndarray:
    """A column as float, with an error naming the first non-numeric value."""
    s = frame[column]
    if pd.api.types.is_bool_dtype(s.dtype) or not pd.api.types.is_numeric_dtype(s.dtype):
        conv = pd.to_numeric(s, errors="coerce")
        bad = s.notna() & conv.isna()
        if bad.any():
            first = bad.idxmax()
            raise SchemaError(
                f"{source}, column {column!r}, row {first}: value {s[first]!r} is not a number; "
                "map a numeric column, or use status_map for categories"
            )
        s = conv
    return s.to_numpy(dtype=float, na_value=np.nan)


def field(
    frame: pd.DataFrame,
    column: str,
    *,
    label: str | None = None,
    optional: bool = False,
    signed: bool = False,
    translate: Mapping[str, str] | None = None,
    unit: str | None = None,
) -> dict:
    """Tooltip/popup field spec read by zan.js ``card``."""
    spec: dict[str, Any] = {"l": label or label_of(column)}
    s = frame[column]
    if pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype):
        values = s.to_numpy(dtype=float, na_value=np.nan)
        d = decimals_of(column, values)
        spec.update(u=unit if unit is not None else unit_of(column), d=d, v=number_list(values, d))
        if signed:
            spec["sg"] = True
    else:
        text = s.astype("string")
        if translate is not None:
            text = text.replace(dict(translate))
        spec["s"] = text.astype(object).where(text.notna(), None).tolist()
    if optional:
        spec["o"] = True
    return spec


def fields_from(frame: pd.DataFrame, spec: Sequence[str] | Mapping[str, str] | None) -> list[dict]:
    """Fields named by the user: a list of columns or a mapping column -> French alias."""
    if spec is None:
        return []
    items = list(spec.items()) if isinstance(spec, Mapping) else [(c, None) for c in spec]
    missing = [c for c, _ in items if c not in frame.columns]
    if missing:
        raise SchemaError(
            f"tooltip/popup: column {missing[0]!r} not found (columns: "
            f"{', '.join(map(str, frame.columns))}); name columns of the values or territories"
        )
    return [field(frame, c, label=alias) for c, alias in items]


#: Allocation columns that are not a criterion's contribution.
_NOT_CRITERIA = {
    "reference_ha",
    "envelope_ha",
    "floor_ha",
    "cap_ha",
    "area_ha",
    "allowed_ha",
    "garantie_communale_ha",
    "consumed_since_2021_ha",
    "annual_rate_since_2021_ha",
    "projected_2030_ha",
    "remaining_ha",
    "balance_ha",
    "total_ha",
}


def allocation_fields(frame: pd.DataFrame) -> list[dict]:
    """Breakdown of an allocation (``zan.allocate.Allocation.table`` columns).

    Reference consumption, each criterion's contribution (``<criterion>_ha``),
    the envelope and its reduction rate, the floor and cap, the bound applied and
    the garantie communale when the table carries it.
    """
    out: list[dict] = [{"h": "Détail du calcul"}]
    cols = list(frame.columns)
    if "reference_ha" in cols:
        out.append(field(frame, "reference_ha"))
    for c in cols:
        if c.endswith("_ha") and c not in _NOT_CRITERIA and _is_number(frame[c]):
            stem = c[: -len("_ha")].replace("_", " ")
            out.append(field(frame, c, label=f"Part selon le critère « {stem} »"))
    for c in ("envelope_ha", "reduction_pct"):
        if c in cols:
            out.append(field(frame, c))
    if "floor_ha" in cols:
        out.append(field(frame, "floor_ha", optional=True))
    if "cap_ha" in cols:
        out.append(field(frame, "cap_ha", optional=True))
    if "bound" in cols:
        out.append(field(frame, "bound", translate=BOUND_LABELS))
    if "garantie_communale_ha" in cols:
        out.append(field(frame, "garantie_communale_ha", optional=True))
    return out


def _is_number(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s.dtype) and not pd.api.types.is_bool_dtype(s.dtype)


def is_allocation(frame: pd.DataFrame) -> bool:
    """True when the frame looks like an allocation table."""
    return "envelope_ha" in frame.columns and bool(
        {"floor_ha", "cap_ha", "bound"} & set(frame.columns)
        or any(c.endswith("_ha") and c not in _NOT_CRITERIA for c in frame.columns)
    )


def text_field(texts: pd.Series | Mapping[str, str], codes: pd.Index) -> dict:
    """Free text per territory (e.g. ``Allocation.explain``), shown escaped in the popup."""
    s = pd.Series(texts).astype("string")
    s.index = s.index.astype(str)
    s = s.reindex(codes)
    return {"t": s.astype(object).where(s.notna(), None).tolist()}


class MapBuilder:
    """Assemble a zan map: geometry store, frame, layers, outlines, labels, controls."""

    def __init__(
        self,
        frame: gpd.GeoDataFrame,
        *,
        tolerance: float | None,
        tiles: str | None,
        conference: bool,
        title: str | None,
        credit: str | None,
        renderer: str = "svg",
        width: str | int = "100%",
        height: str | int = "100%",
    ):
        self.frame = frame
        self.conference = conference
        self.geometry = MapGeometry.build(frame, names_of(frame), tolerance=tolerance)
        self.map = ZanMap(
            bounds=self.geometry.bounds, tiles=tiles, renderer=renderer, width=width, height=height
        )
        self.map.conference = conference
        self.store = _Store(self.geometry)
        self.map.add_child(self.store)
        self.map.add_child(
            _Frame(
                title=None if title is None else shorten(title),
                credit=None if credit is None else shorten(credit, CREDIT_MAX_CHARS),
                conference=conference,
                fullscreen=conference,
                bounds=self.geometry.bounds,
            )
        )
        self.layers: list[_ChoroLayer] = []
        self._others: list[Layer] = []
        self.style = {
            "weight": 0.6 if len(frame) > 400 else 1.0,
            "color": "#ffffff" if len(frame) <= 400 else "#f4f4f4",
            "opacity": 0.9,
            "fillOpacity": 0.85,
        }

    def add_layer(
        self,
        name: str,
        classes: Classes,
        *,
        tip: list[dict],
        pop: list[dict] | None,
        legend: str | None,
        show: bool = True,
    ) -> _ChoroLayer:
        layer = _ChoroLayer(
            self.store,
            classes,
            name=name,
            tip=tip,
            pop=pop,
            legend=legend,
            style=self.style,
            show=show,
        )
        self.map.add_child(layer)
        self.layers.append(layer)
        return layer

    def add_outlines(
        self,
        outlines: Sequence[gpd.GeoDataFrame] | Mapping[str, gpd.GeoDataFrame] | None,
        *,
        labels: bool | None = None,
    ) -> None:
        if outlines is None:
            return
        if isinstance(outlines, gpd.GeoDataFrame):
            outlines = [outlines]
        items = (
            list(outlines.items())
            if isinstance(outlines, Mapping)
            else [(f"Limites {i + 1}", g) for i, g in enumerate(outlines)]
        )
        for level, (name, gdf) in enumerate(items):
            if not isinstance(gdf, gpd.GeoDataFrame):
                raise SchemaError(
                    f"outlines: {name!r} is a {type(gdf).__name__}, not a GeoDataFrame; "
                    "pass upper-level territories, e.g. territories.geometries('epci')"
                )
            geom = MapGeometry.build(
                gdf, names_of(gdf), tolerance=self.geometry.tolerance_m, source=f"outlines {name}"
            )
            store = _Store(geom)
            self.map.add_child(store)
            weight = (2.0 + 1.2 * level) * (1.6 if self.conference else 1.0)
            outline = _Outline(store, name=name, weight=weight)
            self.map.add_child(outline)
            self._others.append(outline)
            show_names = labels if labels is not None else (level == 0 and len(gdf) <= 40)
            if show_names:
                lab = _Labels(
                    store, np.arange(len(gdf)), name=f"Noms ({name})", css_class="zan-upper"
                )
                self.map.add_child(lab)
                self._others.append(lab)

    def add_labels(self, labels: bool | int | Sequence[str] | None) -> None:
        n = len(self.frame)
        if labels is None:
            labels = n <= 40
        if labels is False:
            return
        if labels is True:
            idx = np.arange(n)
        elif isinstance(labels, int | np.integer):
            idx = np.argsort(-self.geometry.area_ha, kind="stable")[: int(labels)]
        else:
            wanted = pd.Index([str(c) for c in labels])
            unknown = wanted.difference(self.frame.index)
            if len(unknown):
                raise SchemaError(
                    f"labels: codes not on the map ({', '.join(unknown[:5])}); "
                    "pass codes of the mapped territories"
                )
            idx = self.frame.index.get_indexer(wanted)
        lab = _Labels(self.store, idx, name="Noms des territoires")
        self.map.add_child(lab)
        self._others.append(lab)

    def finish(self, *, switcher: bool = False) -> ZanMap:
        if len(self.layers) + len(self._others) > 1:
            # expanded for planners; folded behind its icon in conference mode,
            # where the large scenario buttons do the switching
            folium.LayerControl(collapsed=self.conference, position="topright").add_to(self.map)
        if switcher and len(self.layers) > 1:
            self.map.add_child(_Switcher([(lay.title, lay) for lay in self.layers]))
        return self.map


def save(m: folium.Map | Figure | str, path: str | os.PathLike) -> Path:
    """Write a map (or any folium figure, or HTML text) to a file atomically.

    The page is written to a temporary file in the same folder, then moved into
    place (:func:`zan._write.write_text`), so an interrupted run never leaves a
    half-written map. The folder is created if needed.

    Parameters
    ----------
    m : folium.Map, branca Figure or str
    path : str or path-like

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = save("<p>carte</p>", pathlib.Path(tempfile.mkdtemp()) / "carte.html")
    >>> out.read_text()
    '<p>carte</p>'
    """
    html = m if isinstance(m, str) else m.get_root().render()
    return write_text(stable_ids(html), path)


_ELEMENT_ID = re.compile(r"(?<![0-9a-f])[0-9a-f]{32}(?![0-9a-f])")


def stable_ids(html: str) -> str:
    """Replace folium's random element ids by ids numbered in order of appearance.

    folium (branca) names every element with 32 random hexadecimal digits, so two
    renders of the same map differ; numbering them makes the same inputs give a
    byte-identical page, whose hash can be published and checked. Longer hex strings
    (SHA-256 hashes of scenarios) are left alone.

    Examples
    --------
    >>> stable_ids("map_" + "ab" * 16 + " x " + "map_" + "ab" * 16)
    'map_00000000000000000000000000000001 x map_00000000000000000000000000000001'
    """
    numbers: dict[str, str] = {}

    def number(match: re.Match[str]) -> str:
        return numbers.setdefault(match.group(0), f"{len(numbers) + 1:032x}")

    return _ELEMENT_ID.sub(number, html)
