"""The checks of :func:`zan.validate.validate_paths`, file by file.

Each kind of input has its check (:data:`CHECKS`; the kinds of
:mod:`zan.validate_roles` have theirs): it reads the file with zan's reader, reports
what the reader refuses or notes, and the rules the readers expose
(:func:`zan.io.codes.check_commune_codes`, :func:`zan.io.codes.check_siren`,
:func:`zan.io._files.check_numbers`, :func:`zan.io.territories.check_membership_levels`,
:func:`zan.io.cadastre.check_parcel_communes`), every problem at once. What the
cross-file checks need (codes, areas, consumption totals) is kept in a
:class:`Checked`.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .errors import ZanError
from .io._files import check_numbers
from .io.codes import (
    check_commune_codes,
    check_siren,
    commune_codes,
    listed_values,
)
from .io.geometry import polygonal_part
from .io.territories import COMMUNE_CODE_COLUMNS, LEVEL_COLUMNS
from .validate_report import Issue, loader_issues, problem_issues

__all__ = [
    "CHECKS",
    "RASTER_SUFFIXES",
    "TABLE_SUFFIXES",
    "VECTOR_SUFFIXES",
    "Checked",
    "check_file",
    "columns_of_layer",
    "more_than_area",
]

#: Extensions read as layers, tables and rasters.
VECTOR_SUFFIXES = (".geojson", ".json", ".gpkg", ".shp", ".parquet", ".geoparquet", ".fgb", ".gz")
TABLE_SUFFIXES = (".csv", ".txt", ".tsv", ".xlsx", ".xlsm")
RASTER_SUFFIXES = (".tif", ".tiff", ".vrt", ".img", ".asc")


def columns_of_layer(path: Path) -> list[str]:
    """The column names of a layer (GeoParquet schema, or the fields pyogrio reads)."""
    import pyogrio

    target = f"/vsigzip/{path}" if path.suffix.lower() == ".gz" else str(path)
    if path.suffix.lower() in (".parquet", ".geoparquet"):
        import pyarrow.parquet as pq

        return [str(c) for c in pq.read_schema(path).names]
    info = pyogrio.read_info(target)
    return [str(c) for c in info["fields"]]


@dataclass
class Checked:
    """What the check of one file found: its issues, and what the cross-file checks need.

    ``codes`` (commune codes), ``areas_ha`` (commune areas of a layer), ``total_m2``,
    ``surfcom_m2`` and ``years`` (consumption), ``passage`` (a table de passage),
    ``extra_paths`` (files a scenario names) and ``facts`` (of the other kinds).
    """

    file: str
    kind: str
    issues: list[Issue] = field(default_factory=list)
    codes: pd.Index | None = None
    areas_ha: pd.Series | None = None
    total_m2: pd.Series | None = None
    surfcom_m2: pd.Series | None = None
    years: str = ""
    passage: pd.DataFrame | None = None
    extra_paths: list[Path] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)

    def add(
        self,
        severity: str,
        code: str,
        row: str | None = None,
        column: str | None = None,
        **params: Any,
    ) -> None:
        self.issues.append(Issue(self.file, self.kind, severity, code, params, row, column))


def _code_checks(c: Checked, raw: pd.Series, labels: np.ndarray, column: str) -> pd.Series:
    """Empty, malformed, padded and duplicate codes; return the normalised codes."""
    codes, problems = check_commune_codes(raw, labels, source=c.file, column=column)
    c.issues += problem_issues(c.file, c.kind, problems)
    return codes


def _siren_check(c: Checked, values: pd.Series, codes: pd.Series, column: str) -> None:
    c.issues += problem_issues(
        c.file, c.kind, check_siren(values, codes, source=c.file, column=column)
    )


def _numeric_check(
    c: Checked, df: pd.DataFrame, column: str, labels: np.ndarray, *, negative: str = "error"
) -> None:
    problems = check_numbers(df, column, labels, source=c.file, negative=negative)
    c.issues += problem_issues(c.file, c.kind, problems)


def _check_communes(path: Path, c: Checked) -> None:
    import geopandas as gpd
    import shapely

    from .crs import LAMBERT93, OVERSEAS_CRS
    from .errors import CoordinatesError, CRSError
    from .io._files import find_column, read_layer

    try:
        gdf = read_layer(path)
    except CoordinatesError:  # reported below as coordinates_out_of_range
        gdf = read_layer(path, check_bounds=False)
    except CRSError:
        c.add("error", "no_crs")
        try:
            gdf = read_layer(path, crs="EPSG:4326")  # go on with the other checks
            gdf = gdf.set_crs(None, allow_override=True)
        except ZanError:
            return
    except ZanError as exc:
        c.issues += loader_issues(c.file, c.kind, exc)
        return
    code_col = find_column(gdf, COMMUNE_CODE_COLUMNS, source=c.file, what="code", required=False)
    if code_col is None:
        c.add("error", "no_code_column", columns=listed_values(map(str, gdf.columns)))
        return
    labels = np.array([f"feature {i + 1}" for i in range(len(gdf))], dtype=object)
    codes = _code_checks(c, gdf[code_col], labels, code_col)
    names = np.where(codes.isna(), labels, codes.astype("object"))

    geoms = np.asarray(gdf.geometry.array, dtype=object)
    absent = shapely.is_missing(geoms) | shapely.is_empty(geoms)
    if absent.any():
        c.add("error", "no_geometry", n=int(absent.sum()), values=listed_values(names[absent]))
    types = shapely.get_type_id(geoms)
    not_poly = ~absent & ~np.isin(types, (3, 6, 7))
    if not_poly.any():
        found = sorted({str(t) for t in gdf.geometry[not_poly].geom_type.unique()})
        c.add(
            "error",
            "not_polygon",
            n=int(not_poly.sum()),
            types=", ".join(found),
            values=listed_values(names[not_poly]),
        )
    invalid = ~absent & ~not_poly & ~shapely.is_valid(geoms)
    if invalid.any():
        reasons = [
            re.sub(r"\[.*", "", str(r)).strip() for r in shapely.is_valid_reason(geoms[invalid])
        ]
        fixed = polygonal_part(shapely.make_valid(geoms[invalid]))
        lost = shapely.is_empty(fixed)
        shown = [f"{n} ({r})" for n, r in zip(names[invalid], reasons, strict=True)]
        if lost.any():
            c.add(
                "error",
                "invalid_geometry_lost",
                n=int(lost.sum()),
                values=listed_values(np.array(shown, dtype=object)[lost]),
            )
        if (~lost).any():
            c.add(
                "warning",
                "invalid_geometry",
                n=int((~lost).sum()),
                values=listed_values(np.array(shown, dtype=object)[~lost]),
            )
        geoms = geoms.copy()
        geoms[invalid] = fixed

    for level in ("epci",):
        col = find_column(gdf, LEVEL_COLUMNS[level][0], source=c.file, what=level, required=False)
        if col is not None and col != code_col:
            _siren_check(c, gdf[col], pd.Series(names), col)
    pop = find_column(
        gdf, ["population", "pop", "pmun"], source=c.file, what="population", required=False
    )
    if pop is not None:
        _numeric_check(
            c,
            pd.DataFrame(gdf.drop(columns=gdf.geometry.name)).reset_index(drop=True),
            pop,
            names.astype(object),
        )

    ok = codes.notna().to_numpy() & ~absent & ~not_poly
    c.codes = pd.Index(codes[ok].unique(), name="code", dtype="str")
    if gdf.crs is None:
        return
    layer = gpd.GeoSeries(geoms, crs=gdf.crs)
    if not gdf.crs.is_projected:
        xmin, ymin, xmax, ymax = shapely.bounds(geoms[ok]).T if ok.any() else ([0], [0], [0], [0])
        outside = (
            (np.asarray(xmin) < -180)
            | (np.asarray(xmax) > 180)
            | (np.asarray(ymin) < -90)
            | (np.asarray(ymax) > 90)
        )
        if outside.any():
            c.add(
                "error",
                "coordinates_out_of_range",
                crs=gdf.crs.to_string(),
                n=int(outside.sum()),
                values=listed_values(names[ok][outside]),
            )
            return
        overseas = codes[ok].str[:3]
        target = LAMBERT93
        if len(overseas) and overseas.isin(list(OVERSEAS_CRS)).all():
            target = OVERSEAS_CRS[overseas.iloc[0]]
        c.add("info", "geographic_crs", crs=gdf.crs.to_string(), target=target)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            layer = layer.to_crs(target)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        area = layer.area.to_numpy() / 10_000.0
    areas = pd.Series(np.where(np.isfinite(area), area, np.nan), index=codes.to_numpy())[ok]
    c.areas_ha = areas[~areas.index.duplicated()]


def _raw_table(path: Path, c: Checked) -> pd.DataFrame | None:
    from .io._files import read_table

    try:
        return read_table(path)
    except ZanError as exc:
        c.issues += loader_issues(c.file, c.kind, exc)
        return None


def _check_membership(path: Path, c: Checked) -> None:
    from .io._files import find_column
    from .io.territories import check_membership_levels, read_membership

    df = _raw_table(path, c)
    if df is None:
        return
    labels = np.array([f"line {i + 2}" for i in df.index], dtype=object)
    code_col = find_column(df, COMMUNE_CODE_COLUMNS, source=c.file, what="code", required=False)
    if code_col is None:
        c.add("error", "no_code_column", columns=listed_values(map(str, df.columns)))
        return
    repeated = df.duplicated(keep="first").to_numpy()
    if repeated.any():
        c.add(
            "warning", "duplicate_rows", row=listed_values(labels[repeated]), n=int(repeated.sum())
        )
    from .validate_roles import mixed_cog_rows

    mixed = mixed_cog_rows(df)
    if mixed is not None:  # INSEE's list of communes: COMD/COMA/ARM rows are not communes
        column, in_force, other = mixed
        c.add(
            "error",
            "mixed_cog_table",
            column=column,
            type_column=column,
            in_force=in_force,
            other=other,
        )
    codes = commune_codes(df[code_col])
    c.codes = pd.Index(codes.dropna().unique(), name="code", dtype="str")
    try:
        m = read_membership(path)
    except ZanError as exc:
        c.issues += loader_issues(c.file, c.kind, exc)
        return
    names = m.index.to_numpy().astype(object)
    if "epci" in m.columns:
        candidates = [name.lower() for name in LEVEL_COLUMNS["epci"][0]]
        col = next((k for k in df.columns if str(k).lower() in candidates), "epci")
        _siren_check(c, m["epci"], pd.Series(names), str(col))
    c.issues += problem_issues(c.file, c.kind, check_membership_levels(m, source=c.file))
    for col in df.columns:
        if re.search(r"pop|menages|emplois|surface|_ha$|_m2$", str(col), re.IGNORECASE):
            _numeric_check(c, df, col, labels)


def _check_consumption(path: Path, c: Checked) -> None:
    from .errors import ValidationError as _VE
    from .io._files import find_column
    from .io.cog import normalize_codes
    from .io.consumption import read_consumption
    from .io.residues import check_residues, is_residue_note

    df = _raw_table(path, c)
    if df is None:
        return
    code_col = find_column(
        df, ["idcom", "code_insee", "codgeo"], source=c.file, what="code", required=False
    )
    if code_col is not None:
        codes, _, _ = normalize_codes(df[code_col], source=c.file, column=code_col)
        c.codes = pd.Index(codes[codes != ""].unique(), name="code", dtype="str")
    try:
        conso = read_consumption(path)
    except _VE as exc:
        c.issues += loader_issues(c.file, c.kind, exc)
        return
    except ZanError as exc:
        c.issues += loader_issues(c.file, c.kind, exc)
        return
    residues = check_residues(conso.flows, source=c.file)
    c.issues += problem_issues(c.file, c.kind, residues)
    for note in conso.notes:
        if residues and is_residue_note(note):
            continue  # reported above as a warning, in the report's language
        c.issues.append(
            Issue(
                c.file,
                c.kind,
                "info",
                "loader",
                {"text": note.removeprefix(f"{c.file}: "), "fix": ""},
            )
        )
    c.codes = pd.Index(conso.communes.index, name="code", dtype="str")
    totals = conso.flows[conso.flows["destination"] == "total"]
    c.total_m2 = totals.groupby("code")["m2"].sum()
    c.years = f"{conso.years[0]}-{conso.years[-1]}" if conso.years else ""
    surf = sorted(col for col in conso.communes.columns if re.fullmatch(r"surfcom\d{4}", str(col)))
    if surf and pd.api.types.is_numeric_dtype(conso.communes[surf[-1]]):
        c.surfcom_m2 = conso.communes[surf[-1]].astype("float64")
        more_than_area(c, c.surfcom_m2, f"{surf[-1]} of this file")


def more_than_area(c: Checked, area_m2: pd.Series, what: str) -> None:
    """Communes whose consumption (``c.total_m2``) is larger than their area."""
    if c.total_m2 is None:
        return
    area = area_m2.reindex(c.total_m2.index)
    with np.errstate(invalid="ignore"):
        over = (c.total_m2 > area).to_numpy() & area.notna().to_numpy()
    if over.any():
        shown = [
            f"{code} ({t / 10_000:,.1f} ha consumed, area {a / 10_000:,.1f} ha from {what})"
            for code, t, a in zip(c.total_m2.index[over], c.total_m2[over], area[over], strict=True)
        ]
        c.add(
            "error",
            "consumes_more_than_area",
            n=int(over.sum()),
            years=c.years,
            values=listed_values(shown, 10),
        )


def _check_passage(path: Path, c: Checked) -> None:
    from .io.cog import read_passage

    try:
        c.passage = read_passage(path)
    except ZanError as exc:
        c.issues += loader_issues(c.file, c.kind, exc)


def _notes(c: Checked, notes: Iterable[str]) -> None:
    for note in notes:
        severity = "warning" if re.search(r"repaired|dropped|overlap", note) else "info"
        c.issues.append(
            Issue(
                c.file,
                c.kind,
                severity,
                "loader",
                {"text": note.removeprefix(f"{c.file}: "), "fix": ""},
            )
        )


def _check_ocsge(path: Path, c: Checked) -> None:
    from .io.ocsge import read_ocsge, read_ocsge_difference

    columns = {x.lower() for x in columns_of_layer(path)} if path.suffix else set()
    try:
        if "cs_avant" in columns:
            lc = read_ocsge_difference(path)
        else:
            lc = read_ocsge(path)
    except ZanError as exc:
        c.issues += loader_issues(c.file, c.kind, exc)
        return
    _notes(c, lc.notes)


def _check_parcels(path: Path, c: Checked) -> None:
    from .io.cadastre import check_parcel_communes, read_parcel_file, read_parcels

    try:
        parcels = read_parcels(path)
    except ZanError as exc:
        c.issues += loader_issues(c.file, c.kind, exc)
        return
    _notes(c, parcels.attrs.get("notes", ()))
    raw = read_parcel_file(path, None)
    ids = pd.Index(parcels.index)
    if "contenance" in raw.columns:
        frame = pd.DataFrame({"contenance": raw["contenance"].to_numpy()})
        _numeric_check(c, frame, "contenance", np.array(list(raw.get("id", ids)), dtype=object))
    c.issues += problem_issues(c.file, c.kind, check_parcel_communes(parcels, source=c.file))


def _check_raster(path: Path, c: Checked) -> None:
    from .io.raster import open_raster

    try:
        src = open_raster(path)
    except ZanError as exc:
        c.issues += loader_issues(c.file, c.kind, exc)
        return
    if not src.crs.is_projected:
        c.add("warning", "geographic_raster", crs=src.crs.to_string())
    _notes(c, src.notes)


def _check_scenario(path: Path, c: Checked) -> None:
    from .scenario import load_scenario, scenario_inputs

    try:
        sc = load_scenario(path)
        inputs = scenario_inputs(sc)
    except ZanError as exc:
        c.issues += loader_issues(c.file, c.kind, exc)
        return
    keys = ("communes", "membership", "consumption", "passage")
    found = [inputs[f"data.{key}"] for key in keys if f"data.{key}" in inputs]
    c.extra_paths = found
    c.add("info", "scenario_ok", files=listed_values(p.name for p in found))


def _role_checks() -> dict[str, Any]:
    from .validate_roles import (
        check_area_layer,
        check_delegated,
        check_territories,
        check_territory_membership,
    )

    return {
        "departements": check_area_layer,
        "regions": check_area_layer,
        "delegated": check_delegated,
        "territories": check_territories,
        "territory_membership": check_territory_membership,
    }


CHECKS = {
    "communes": _check_communes,
    "membership": _check_membership,
    "consumption": _check_consumption,
    "passage": _check_passage,
    "ocsge": _check_ocsge,
    "parcels": _check_parcels,
    "raster": _check_raster,
    "scenario": _check_scenario,
}


def check_file(path: Path, kind: str) -> Checked:
    """Check one file of a known kind; every problem is collected, none raised."""
    c = Checked(str(path), kind)
    if not path.exists():
        c.add("error", "unreadable", reason=f"file not found (working folder: {Path.cwd()})")
        return c
    if kind == "unknown":
        try:
            cols = columns_of_layer(path) if path.suffix.lower() in VECTOR_SUFFIXES else []
        except Exception:
            cols = []
        if not cols and path.suffix.lower() in TABLE_SUFFIXES:
            from .io._files import read_table

            try:
                cols = list(read_table(path).columns)
            except ZanError as exc:
                c.issues += loader_issues(c.file, c.kind, exc)
                return c
            except Exception as exc:  # a bug of the reader
                c.add("error", "internal_error", error=type(exc).__name__, reason=str(exc)[:200])
                return c
        c.add("warning", "unknown_kind", columns=listed_values(map(str, cols)) or "none")
        return c
    try:
        (CHECKS.get(kind) or _role_checks()[kind])(path, c)
    except ZanError as exc:  # a reader refused the file in a way not caught above
        c.issues += loader_issues(c.file, c.kind, exc)
    except Exception as exc:  # a bug of a reader: reported, so that the other files are checked
        c.add("error", "internal_error", error=type(exc).__name__, reason=str(exc)[:200])
    return c
