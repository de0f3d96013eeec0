"""Exports of allocation and comparison tables: CSV, XLSX, GeoPackage, GeoParquet.

For French spreadsheets, :func:`to_csv` writes UTF-8 with a byte-order mark (so that
Excel shows the accents), ``;`` as separator and, on request, a decimal comma;
:func:`to_xlsx` writes one formatted sheet per view (bold frozen header, filters,
column widths, number formats, French headers). :func:`to_gpkg` and
:func:`to_geoparquet` keep the geometry (Lambert-93) for GIS. Every file is written
atomically (:func:`zan._write.atomic_path`): it appears whole or not at all.

:func:`export_allocation` writes an :class:`~zan.allocate.Allocation` in the format
its file name ends with; :func:`export_comparison` does the same for a table of
several scenarios (:func:`zan.reports.comparison_table`).

The plain files of an allocation (``Allocation.to_csv``, ``to_gpkg``, ``to_parquet``:
comma-separated UTF-8 and the code names, for scripts and GIS) are
:func:`allocation_to_csv`, :func:`allocation_to_gpkg` and
:func:`allocation_to_parquet`; :func:`write_allocation` writes an allocation's output
folder (table, layers, map, ``sources.json``). Every format has one writer in
:mod:`zan._write` (:func:`~zan._write.write_csv`, :func:`~zan._write.write_workbook`,
:func:`~zan._write.write_gpkg`, :func:`~zan._write.write_parquet`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ._write import Sheet, write_csv, write_gpkg, write_manifest, write_parquet, write_workbook
from .errors import DataError, ScenarioError

__all__ = [
    "FRENCH_HEADERS",
    "EXPORT_FORMATS",
    "french_table",
    "to_csv",
    "to_xlsx",
    "to_gpkg",
    "to_geoparquet",
    "allocation_views",
    "export_allocation",
    "export_comparison",
    "allocation_frame",
    "allocation_to_csv",
    "allocation_to_gpkg",
    "allocation_to_parquet",
    "write_allocation",
]

#: French header of each column zan exports (criteria columns are named from their key).
FRENCH_HEADERS: dict[str, str] = {
    "code": "Code",
    "nom": "Nom",
    "parent": "Territoire parent",
    "reference_ha": "Consommation de référence (ha)",
    "envelope_ha": "Enveloppe (ha)",
    "reduction_pct": "Réduction (%)",
    "floor_ha": "Plancher (ha)",
    "cap_ha": "Plafond (ha)",
    "bound": "Borne appliquée",
    "garantie_ha": "Garantie communale (ha)",
    "adjustment_ha": "Ajustement plancher / plafond (ha)",
    "rounding_ha": "Arrondi (ha)",
    "exact_ha": "Valeur avant arrondi (ha)",
    "terme": "Terme",
    "ha": "Hectares",
}

#: Formats by file suffix.
EXPORT_FORMATS: dict[str, str] = {
    ".csv": "csv",
    ".xlsx": "xlsx",
    ".gpkg": "gpkg",
    ".parquet": "parquet",
    ".geoparquet": "parquet",
}

_BOUNDS_FR = {"none": "aucune", "floor": "plancher", "cap": "plafond"}


def _header(column: str, criteria: Sequence[str] = ()) -> str:
    if column in FRENCH_HEADERS:
        return FRENCH_HEADERS[column]
    if column.startswith("ecart_ha "):
        return f"Écart {column.removeprefix('ecart_ha ')} (ha)"
    if column in criteria or column.endswith("_ha"):
        return f"Critère « {column.removesuffix('_ha').replace('_', ' ')} » (ha)"
    return column


def french_table(
    table: pd.DataFrame, *, headers: Mapping[str, str] | None = None, index: bool = True
) -> pd.DataFrame:
    """A table with French headers and labels, its index (codes) as the first column.

    ``bound`` values are translated (``floor`` → ``plancher``...), infinite caps
    become empty cells; other columns keep their values.

    Parameters
    ----------
    table : pandas.DataFrame
    headers : mapping, optional
        Extra or replacement headers (column → French header).
    index : bool, default True
        Put the index in a first ``Code`` column (unless a ``code`` column exists).

    Returns
    -------
    pandas.DataFrame

    Examples
    --------
    >>> t = pd.DataFrame({"nom": ["Amont"], "envelope_ha": [1.5], "cap_ha": [np.inf],
    ...                   "bound": ["floor"]}, index=pd.Index(["A"], name="code"))
    >>> french_table(t).to_dict("records")[0]["Borne appliquée"]
    'plancher'
    >>> bool(french_table(t)["Plafond (ha)"].isna().all())
    True
    >>> list(french_table(t).columns)
    ['Code', 'Nom', 'Enveloppe (ha)', 'Plafond (ha)', 'Borne appliquée']
    """
    out = table.copy()
    extra = {n: f"Enveloppe « {n} » (ha)" for n in table.attrs.get("scenarios", [])}
    extra.update(headers or {})
    if index and "code" not in out.columns:
        out.insert(0, "code", out.index.astype(str))
    out = out.reset_index(drop=True)
    for c in out.columns:
        if c == "bound":
            out[c] = out[c].map(lambda v: _BOUNDS_FR.get(str(v), v))
        elif pd.api.types.is_float_dtype(out[c].dtype):
            out[c] = out[c].where(np.isfinite(out[c].to_numpy(dtype="float64", na_value=np.nan)))
    names = {c: extra.get(c, _header(str(c))) for c in out.columns}
    return out.rename(columns=names)


def to_csv(
    table: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    decimal_comma: bool = False,
    sep: str = ";",
    decimals: int = 4,
    french_headers: bool = True,
) -> Path:
    """Write a table as CSV for spreadsheets: UTF-8 with BOM, ``;``, optional decimal comma.

    Parameters
    ----------
    table : pandas.DataFrame
        Indexed by code (the index becomes the first column).
    path : path-like
    decimal_comma : bool, default False
        Write ``1234,5`` instead of ``1234.5`` (French spreadsheets).
    sep : str, default ";"
    decimals : int, default 4
        Decimals of floating-point columns (hectares to 4 decimals = 1 m²).
    french_headers : bool, default True
        Headers and labels in French (:func:`french_table`).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    DataError
        When the separator is the decimal mark.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> t = pd.DataFrame({"nom": ["Aval"], "envelope_ha": [1234.5]}, index=["A"])
    >>> p = to_csv(t, pathlib.Path(tempfile.mkdtemp()) / "t.csv", decimal_comma=True)
    >>> p.read_bytes()[:3], p.read_text(encoding="utf-8-sig").splitlines()
    (b'\\xef\\xbb\\xbf', ['Code;Nom;Enveloppe (ha)', 'A;Aval;1234,5000'])
    """
    decimal = "," if decimal_comma else "."
    if sep == decimal:
        raise DataError(
            f"{path}: the separator {sep!r} is also the decimal mark; use sep=';' with a "
            "decimal comma"
        )
    frame = french_table(table) if french_headers else table.reset_index()
    return write_csv(
        frame,
        path,
        decimals=decimals,
        index=False,
        sep=sep,
        encoding="utf-8-sig",
        decimal=decimal,
    )


def _number_format(header: str, decimals: int) -> str | None:
    if header.endswith("(%)") or header.endswith("%"):
        return "0.0"
    if "(ha)" in header or header == "Hectares":
        return "#,##0." + "0" * decimals if decimals else "#,##0"
    return None


def to_xlsx(
    sheets: Mapping[str, pd.DataFrame] | pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    info: Mapping[str, Any] | None = None,
    french_headers: bool = True,
    decimals: int = 2,
) -> Path:
    """Write one formatted sheet per view into an Excel workbook.

    Headers are bold on a tinted background and frozen, with filters; columns are
    sized to their content; hectares are shown with ``decimals`` decimals (the
    cells keep full precision) and percentages with one.

    Parameters
    ----------
    sheets : mapping of sheet name → DataFrame, or one DataFrame
        The views (tables indexed by code). Names are cut to 31 characters and
        cleaned of characters Excel refuses.
    path : path-like
    info : mapping, optional
        Written to a last sheet « Informations » (scenario, hash, date...).
    french_headers : bool, default True
        Headers and labels in French (:func:`french_table`).
    decimals : int, default 2
        Decimals shown for hectares.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import tempfile, pathlib, openpyxl
    >>> t = pd.DataFrame({"nom": ["Aval"], "envelope_ha": [1234.5]}, index=["A"])
    >>> p = to_xlsx({"Territoires": t}, pathlib.Path(tempfile.mkdtemp()) / "t.xlsx",
    ...             info={"Scénario": "test"})
    >>> wb = openpyxl.load_workbook(p)
    >>> wb.sheetnames, [c.value for c in wb["Territoires"][1]]
    (['Territoires', 'Informations'], ['Code', 'Nom', 'Enveloppe (ha)'])
    """
    views = {"Tableau": sheets} if isinstance(sheets, pd.DataFrame) else dict(sheets)
    if not views:
        raise DataError(f"{path}: nothing to write; give at least one table")
    items = [
        (name, french_table(t) if french_headers else t.reset_index()) for name, t in views.items()
    ]
    if info:
        about = pd.DataFrame(
            {"Élément": list(info.keys()), "Valeur": [str(v) for v in info.values()]}
        )
        items.append(("Informations", about))
    out = []
    for name, frame in items:
        formats = {}
        for column in frame.columns:
            fmt = _number_format(str(column), decimals)
            if fmt and pd.api.types.is_numeric_dtype(frame[column].dtype):
                formats[column] = fmt
        out.append(Sheet(str(name), frame, formats, freeze="A2"))
    write_workbook(path, out)
    return Path(path)


def _geoframe(table: pd.DataFrame, geometries: Any, *, french_headers: bool) -> Any:
    import geopandas as gpd

    geoms = geometries
    if not isinstance(geoms, gpd.GeoDataFrame | gpd.GeoSeries):
        raise DataError(
            "geometries must be a GeoDataFrame or GeoSeries indexed by territory code "
            f"(got {type(geometries).__name__}); use Territories.geometries(level)"
        )
    geom = geoms.geometry if isinstance(geoms, gpd.GeoDataFrame) else geoms
    geom = geom.copy()
    geom.index = geom.index.astype(str)
    idx = table.index.astype(str)
    missing = idx.difference(geom.index)
    if len(missing):
        raise DataError(
            f"no geometry for {len(missing)} territories ({', '.join(missing[:5])}); give the "
            "geometries of the level the table is at"
        )
    frame = french_table(table) if french_headers else table.reset_index()
    if not french_headers and "code" not in frame.columns:
        frame = frame.rename(columns={frame.columns[0]: "code"})
    frame.columns = [str(c) for c in frame.columns]
    return gpd.GeoDataFrame(frame, geometry=geom.reindex(idx).to_numpy(), crs=geom.crs)


def to_gpkg(
    layers: Mapping[str, pd.DataFrame] | pd.DataFrame,
    path: str | os.PathLike[str],
    geometries: Any,
    *,
    french_headers: bool = False,
) -> Path:
    """Write tables with their geometry as a GeoPackage (one layer per table).

    Parameters
    ----------
    layers : mapping of layer name → DataFrame, or one DataFrame
        Tables indexed by territory code.
    path : path-like
    geometries : GeoDataFrame or mapping layer name → GeoDataFrame
        Geometries indexed by code (:meth:`zan.Territories.geometries`).
    french_headers : bool, default False
        French column names (default: the code names, easier in GIS expressions).

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import tempfile, pathlib, geopandas as gpd
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)], index=["A"], crs="EPSG:2154")
    >>> t = pd.DataFrame({"envelope_ha": [2.0]}, index=pd.Index(["A"], name="code"))
    >>> p = to_gpkg({"epci": t}, pathlib.Path(tempfile.mkdtemp()) / "t.gpkg", g)
    >>> gpd.read_file(p, layer="epci")[["code", "envelope_ha"]].values.tolist()
    [['A', 2.0]]
    """
    tables = {"territoires": layers} if isinstance(layers, pd.DataFrame) else dict(layers)
    frames = {
        name: _geoframe(
            t,
            geometries[name] if isinstance(geometries, Mapping) else geometries,
            french_headers=french_headers,
        )
        for name, t in tables.items()
    }
    return write_gpkg(frames, path)


def to_geoparquet(
    table: pd.DataFrame,
    path: str | os.PathLike[str],
    geometries: Any,
    *,
    french_headers: bool = False,
) -> Path:
    """Write a table with its geometry as GeoParquet.

    Examples
    --------
    >>> import tempfile, pathlib, geopandas as gpd
    >>> from shapely.geometry import box
    >>> g = gpd.GeoDataFrame(geometry=[box(0, 0, 1, 1)], index=["A"], crs="EPSG:2154")
    >>> t = pd.DataFrame({"envelope_ha": [2.0]}, index=pd.Index(["A"], name="code"))
    >>> p = to_geoparquet(t, pathlib.Path(tempfile.mkdtemp()) / "t.parquet", g)
    >>> gpd.read_parquet(p).crs.to_epsg()
    2154
    """
    return write_parquet(_geoframe(table, geometries, french_headers=french_headers), path)


def _level_label(level: str) -> str:
    return {
        "epci": "EPCI",
        "scot": "SCoT",
        "commune": "Communes",
        "departement": "Départements",
        "region": "Régions",
    }.get(level, level)


def allocation_views(
    alloc: Any, *, comparison: pd.DataFrame | None = None
) -> dict[str, pd.DataFrame]:
    """The views of an allocation exported as sheets: summary, envelope terms, one per level.

    Parameters
    ----------
    alloc : Allocation
    comparison : DataFrame, optional
        A comparison of scenarios (:func:`zan.reports.comparison_table`).

    Returns
    -------
    dict of sheet name → DataFrame

    Examples
    --------
    >>> from zan.scenario import run_scenario
    >>> from zan.datasets import scenario_path
    >>> list(allocation_views(run_scenario(scenario_path("01_reduction_uniforme"))))
    ['Synthèse', 'Construction enveloppe', 'EPCI']
    """
    views: dict[str, pd.DataFrame] = {"Synthèse": alloc.summary().set_index("terme")}
    if alloc.envelope is not None:
        views["Construction enveloppe"] = alloc.envelope.terms().set_index("terme")
    for level in alloc.levels:
        views[_level_label(level)] = _table(alloc, level)
    if comparison is not None:
        views["Comparaison"] = comparison
    return views


def _table(alloc: Any, level: str) -> pd.DataFrame:
    t = alloc.level_table(level)
    t = t.drop(columns=[c for c in ("weight", "multiplier") if c in t.columns])
    t.index = t.index.astype(str)
    if "code" in t.columns:
        t = t.drop(columns="code")
    t.index.name = "code"
    return t


def export_allocation(
    alloc: Any,
    path: str | os.PathLike[str],
    *,
    level: str | None = None,
    decimal_comma: bool = False,
    french_headers: bool | None = None,
    comparison: pd.DataFrame | None = None,
    info: Mapping[str, Any] | None = None,
) -> Path:
    """Write an allocation in the format its file name ends with.

    ``.csv``: the table of ``level`` (default the last) for spreadsheets;
    ``.xlsx``: one sheet per view (:func:`allocation_views`) and an information
    sheet; ``.gpkg``: one layer per level, with geometry; ``.parquet`` /
    ``.geoparquet``: the table of ``level`` with geometry.

    Parameters
    ----------
    alloc : Allocation
        From :func:`zan.scenario.run_scenario` (it carries its territories).
    path : path-like
    level : str, optional
    decimal_comma : bool, default False
        CSV only.
    french_headers : bool, optional
        Default True for CSV and XLSX, False for geographic files.
    comparison : DataFrame, optional
        Added as a sheet « Comparaison » (XLSX).
    info : mapping, optional
        XLSX information sheet (default: scenario name and hash).

    Returns
    -------
    pathlib.Path

    Raises
    ------
    DataError
        Unknown suffix; no territories for a geographic format.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from zan.scenario import run_scenario
    >>> from zan.datasets import scenario_path
    >>> alloc = run_scenario(scenario_path("01_reduction_uniforme"))
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> [export_allocation(alloc, d / f"a{s}").name for s in (".csv", ".xlsx", ".gpkg")]
    ['a.csv', 'a.xlsx', 'a.gpkg']
    """
    path = Path(path)
    fmt = EXPORT_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise DataError(
            f"{path}: unknown export format {path.suffix!r}; valid suffixes: "
            f"{', '.join(EXPORT_FORMATS)}"
        )
    lv = level or alloc.level
    if lv not in alloc.levels:
        raise ScenarioError(
            f"no level {lv!r} in this allocation; levels: {', '.join(alloc.levels)}"
        )
    if fmt == "csv":
        return to_csv(
            _table(alloc, lv),
            path,
            decimal_comma=decimal_comma,
            french_headers=True if french_headers is None else french_headers,
        )
    if fmt == "xlsx":
        meta = (
            dict(info)
            if info is not None
            else {
                "Scénario": alloc.name or "",
                "Empreinte du scénario (SHA-256)": alloc.scenario_hash or "",
                "Niveaux": " → ".join(alloc.levels),
            }
        )
        return to_xlsx(
            allocation_views(alloc, comparison=comparison),
            path,
            info=meta,
            french_headers=True if french_headers is None else french_headers,
        )
    if alloc.territories is None:
        raise DataError(
            f"{path}: this allocation has no territories, so no geometry; run it from a "
            "scenario (zan.scenario.run_scenario) or use .csv / .xlsx"
        )
    fh = bool(french_headers)
    if fmt == "gpkg":
        levels = [lv] if level else list(alloc.levels)
        return to_gpkg(
            {x: _table(alloc, x) for x in levels},
            path,
            {x: alloc.territories.geometries(x) for x in levels},
            french_headers=fh,
        )
    return to_geoparquet(
        _table(alloc, lv), path, alloc.territories.geometries(lv), french_headers=fh
    )


def export_comparison(
    comparison: pd.DataFrame,
    path: str | os.PathLike[str],
    *,
    geometries: Any = None,
    decimal_comma: bool = False,
) -> Path:
    """Write a comparison of scenarios (:func:`zan.reports.comparison_table`) by suffix.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> t = pd.DataFrame({"nom": ["A"], "S1": [1.0], "S2": [2.0], "ecart_ha S2": [1.0]},
    ...                  index=pd.Index(["a"], name="code"))
    >>> p = export_comparison(t, pathlib.Path(tempfile.mkdtemp()) / "c.csv")
    >>> p.read_text(encoding="utf-8-sig").splitlines()[0]
    'Code;Nom;S1;S2;Écart S2 (ha)'
    """
    path = Path(path)
    fmt = EXPORT_FORMATS.get(path.suffix.lower())
    if fmt == "csv":
        return to_csv(comparison, path, decimal_comma=decimal_comma)
    if fmt == "xlsx":
        return to_xlsx({"Comparaison": comparison}, path)
    if fmt in ("gpkg", "parquet"):
        if geometries is None:
            raise DataError(f"{path}: a geographic export needs geometries= (indexed by code)")
        if fmt == "gpkg":
            return to_gpkg({"comparaison": comparison}, path, geometries)
        return to_geoparquet(comparison, path, geometries)
    raise DataError(
        f"{path}: unknown export format {path.suffix!r}; valid suffixes: {', '.join(EXPORT_FORMATS)}"
    )


# ============================================================================ allocation files
def allocation_frame(alloc: Any, level: str | None = None) -> pd.DataFrame:
    """A level's table as the plain files write it: no ``weight``/``multiplier``, no infinite cap.

    Examples
    --------
    >>> from zan.allocate import allocate
    >>> from zan.rules import Criterion
    >>> t = pd.DataFrame({"reference_ha": [1.0, 2.0]}, index=["a", "b"])
    >>> f = allocation_frame(allocate(t, 3.0, criteria=[Criterion("uniform")]))
    >>> "weight" in f.columns, bool(f["cap_ha"].isna().all())
    (False, True)
    """
    t = alloc.level_table(level or alloc.level)
    t["cap_ha"] = t["cap_ha"].where(np.isfinite(t["cap_ha"]))
    return t.drop(columns=["weight", "multiplier"])


def _allocation_geoframe(alloc: Any, territories: Any, level: str) -> Any:
    import geopandas as gpd

    if territories is None:
        territories = alloc.territories
    if territories is None:
        raise ScenarioError(
            "no geometries: pass the territories (a zan.Territories or a GeoDataFrame "
            "indexed by code) to write a geographic file"
        )
    if isinstance(territories, gpd.GeoDataFrame):
        geoms = territories
    elif isinstance(territories, Mapping):
        geoms = territories[level]
    else:
        geoms = territories.geometries(level)
    geoms = geoms.copy()
    geoms.index = geoms.index.astype(str)
    frame = allocation_frame(alloc, level)
    missing = frame.index.difference(geoms.index)
    if len(missing):
        raise DataError(
            f"no geometry for {len(missing)} {level} territories ({', '.join(missing[:5])}); "
            "pass the territories the allocation was computed on"
        )
    geo = gpd.GeoDataFrame(
        frame, geometry=geoms.geometry.reindex(frame.index).to_numpy(), crs=geoms.crs
    )
    geo.index.name = None
    return geo


def allocation_to_csv(alloc: Any, path: str | os.PathLike, *, level: str | None = None) -> Path:
    """Write a level's table (:func:`allocation_frame`) as CSV: UTF-8, ``,``, 4 decimals.

    What :meth:`zan.Allocation.to_csv` writes; default the last level.
    """
    return write_csv(allocation_frame(alloc, level), path, index=False)


def allocation_to_gpkg(
    alloc: Any, path: str | os.PathLike, territories: Any = None, *, level: str | None = None
) -> Path:
    """Write the allocation with geometries as a GeoPackage, one layer per level.

    What :meth:`zan.Allocation.to_gpkg` writes (only ``level`` when given); geometries
    from ``territories`` (a Territories, a GeoDataFrame or a mapping level →
    GeoDataFrame), default the allocation's own.
    """
    levels = [level] if level else list(alloc.levels)
    layers = {lv: _allocation_geoframe(alloc, territories, lv) for lv in levels}
    return write_gpkg(layers, path, arrow=True)  # numbers and text: Arrow, same bytes


def allocation_to_parquet(
    alloc: Any, path: str | os.PathLike, territories: Any = None, *, level: str | None = None
) -> Path:
    """Write a level's table with geometries as GeoParquet (:meth:`zan.Allocation.to_parquet`)."""
    return write_parquet(_allocation_geoframe(alloc, territories, level or alloc.level), path)


def write_allocation(
    alloc: Any,
    out: str | os.PathLike,
    *,
    png: bool = False,
    inputs: Mapping[str, str | os.PathLike] | None = None,
) -> list[Path]:
    """Write an allocation's outputs into a folder: table, layers and map.

    Writes ``allocation.csv`` (the last level, hectares to 4 decimals),
    ``communes_hors_territoires.csv`` (when allocating at an added level: the communes
    outside every territory of it, :attr:`Allocation.unassigned`),
    ``allocation.gpkg`` (one layer per level, with geometry), ``carte.html`` (an
    offline choropleth of ``envelope_ha`` whose popups explain each figure) and,
    with ``png=True``, ``carte.png``. Every file is written atomically.

    Parameters
    ----------
    alloc : Allocation
        From :func:`zan.scenario.run_scenario` (it carries its territories).
    out : path-like
        Output folder (created if needed).
    png : bool, default False
        Also write a static map.
    inputs : mapping, optional
        The input files (:func:`zan.scenario.scenario_inputs`): a ``sources.json``
        then records their SHA-256 and those of the outputs.

    Returns
    -------
    list of pathlib.Path

    Examples
    --------
    >>> import tempfile
    >>> from zan.scenario import run_scenario
    >>> from zan.datasets import scenario_path
    >>> alloc = run_scenario(scenario_path("01_reduction_uniforme"))
    >>> [p.name for p in write_allocation(alloc, tempfile.mkdtemp())]
    ['allocation.csv', 'allocation.gpkg', 'carte.html']
    """
    from .levels import UNASSIGNED_FILE
    from .maps import prefetch, save, to_png

    out = Path(out)
    if alloc.territories is not None:  # the map's geometry, simplified while tables are written
        prefetch(alloc.territories.geometries(alloc.level))
    written = [allocation_to_csv(alloc, out / "allocation.csv")]
    if alloc.unassigned is not None:  # communes outside every receiving territory, listed
        written.append(write_csv(alloc.unassigned, out / UNASSIGNED_FILE))
    if alloc.territories is not None:
        written.append(allocation_to_gpkg(alloc, out / "allocation.gpkg"))
        title = (
            f"Enveloppe foncière 2021-2030 — {alloc.name}"
            if alloc.name
            else "Enveloppe foncière 2021-2030"
        )
        written.append(save(alloc.explore(title=title), out / "carte.html"))
        if png:
            geoms = alloc.territories.geometries(alloc.level)
            written.append(
                Path(
                    to_png(geoms, "envelope_ha", out / "carte.png", values=alloc.table, title=title)
                )
            )
    if inputs is not None:
        from ._version import __version__

        extra = {
            "zan": __version__,
            "scenario": alloc.name,
            "scenario_sha256": alloc.scenario_hash,
            **alloc.provenance(),
        }
        written.append(write_manifest(out, inputs, written, extra=extra))
    return written
