"""Commune layers and commune → territory membership tables.

Two readers feed :class:`zan.Territories`:

- :func:`read_communes` reads a commune boundary layer (IGN ADMIN EXPRESS
  ``COMMUNE``, Etalab / geo.api.gouv.fr, france-geojson, or any layer with an
  INSEE code column), reprojects it to Lambert-93 (EPSG:2154, DOMAIN.md §3) and
  computes each commune's area in hectares;
- :func:`read_membership` reads which EPCI, SCoT, département and région each
  commune belongs to, from a table (the Etalab *découpage administratif* export,
  a Cerema consumption file with its ``epciYY`` / ``scot`` / ``iddep`` / ``idreg``
  columns, DOMAIN.md §3) or from the attributes of the commune layer itself.

Both return frames indexed by the commune INSEE code (``code``, five characters:
``"02001"``, ``"2A004"``, ``"97101"``), as set out in docs/ARCHITECTURE.md.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from typing import Any

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from zan.crs import LAMBERT93, to_projected
from zan.errors import (
    GeometryError,
    MembershipError,
    Problem,
    SchemaError,
    ValidationError,
)
from zan.io._files import find_column, read_layer, read_table
from zan.io.codes import (
    CODE_FIX,
    COMMUNE_CODE_PATTERN,
    as_code_text,
    commune_codes,
    labelled_values,
    listed_values,
    pad_digits,
    rule_problem,
)
from zan.io.geometry import polygonal_part

__all__ = ["COMMUNE_CODE_PATTERN", "LEVELS", "read_communes", "read_membership"]

_CODE_RE = re.compile(COMMUNE_CODE_PATTERN)

#: Standard levels of the territorial hierarchy, from small to large.
LEVELS: tuple[str, ...] = ("epci", "scot", "departement", "region")

#: Candidate names of the commune code column, tried in this order (case-insensitive).
COMMUNE_CODE_COLUMNS = (
    "code_insee",
    "insee_com",
    "code_commune",
    "codgeo",
    "insee",
    "idcom",
    "com",
    "code",
)
_COMMUNE_NAME_COLUMNS = (
    "nom",
    "nom_officiel",
    "nom_commune",
    "nom_com",
    "libgeo",
    "libelle",
    "idcomtxt",
    "name",
)
#: Candidate names of each level's code and name columns (case-insensitive).
LEVEL_COLUMNS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "epci": (
        (
            "epci_siren",
            "siren_epci",
            "code_siren_epci",
            "codeEpci",
            "code_epci",
            "epci_code",
            "epci",
        ),
        ("epci_nom", "nom_epci", "nomEpci", "epci_name", "lib_epci", "libepci"),
    ),
    "scot": (
        ("scot_code", "code_scot", "scot_id", "id_scot", "scot_siren", "scot"),
        ("scot_nom", "nom_scot", "nomScot", "scot_libelle", "libelle_scot"),
    ),
    "departement": (
        (
            "departement",
            "code_departement",
            "codeDepartement",
            "code_insee_du_departement",
            "insee_dep",
            "code_dep",
            "iddep",
            "dep",
        ),
        ("departement_nom", "nom_departement", "nomDepartement", "libelle_departement", "dep_nom"),
    ),
    "region": (
        (
            "region",
            "code_region",
            "codeRegion",
            "code_insee_de_la_region",
            "insee_reg",
            "code_reg",
            "idreg",
            "reg",
        ),
        ("region_nom", "nom_region", "nomRegion", "libelle_region", "reg_nom"),
    ),
}
# Cerema consumption files name the EPCI column after the year: epci23, epci23txt.
_CEREMA_EPCI = re.compile(r"^epci(\d{2})$", re.IGNORECASE)
# Columns whose digits are identifiers, never converted to numbers.
# (first or last word of the name: "siren_commune", "code_postal", "commune_id").
_IDENTIFIER = re.compile(
    r"^(codes?|siren|siret|id|insee|cp|postal|postaux)(_|$)|"
    r"_(codes?|siren|siret|id|insee|cp|postal|postaux)$|^code|^id"
)
_NUMBER = r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?"
_DECIMAL_COMMA = r"[+-]?\d+(,\d+)?"
_QUANTITY = re.compile(rf"(?i:true|false)|{_NUMBER}|{_DECIMAL_COMMA}")  # one value of either
_LIST_LIMIT = 20


# --------------------------------------------------------------------------- helpers


def _source_name(path: str | os.PathLike[str]) -> str:
    return str(path)


def shorten(items: Sequence[Any], limit: int = _LIST_LIMIT) -> str:
    """Format a list for a message: the first ``limit`` items and a count."""
    items = list(items)
    shown = ", ".join(str(i) for i in items[:limit])
    if len(items) > limit:
        shown += f", ... ({len(items)} in all)"
    return shown


def raise_problems(cls: type[Exception], problems: list[Problem]) -> None:
    """Raise ``cls`` with every problem in the message and in ``.problems``."""
    if not problems:
        return
    if len(problems) == 1:
        exc = cls(str(problems[0]))
    else:
        exc = cls(str(ValidationError(problems)))
    exc.problems = problems  # type: ignore[attr-defined]
    raise exc


def _rows(positions: np.ndarray | Sequence[Any], kind: str) -> str:
    """Describe rows for a message: CSV lines, layer features or frame labels."""
    if kind == "line":
        return "lines " + shorten([int(p) + 2 for p in positions])
    if kind == "feature":
        return "features " + shorten([int(p) + 1 for p in positions])
    return "positions " + shorten([int(p) for p in positions])


def _check_codes(
    codes: pd.Series, labels: np.ndarray, *, source: str, column: str, kind: str
) -> list[Problem]:
    """Problems for missing, malformed and duplicate commune codes."""
    problems: list[Problem] = []
    missing = codes.isna().to_numpy()
    if missing.any():
        problems.append(
            Problem(
                source,
                f"{int(missing.sum())} empty commune code(s) ({_rows(labels[missing], kind)})",
                column=column,
                fix="give every commune its INSEE code",
            )
        )
    bad = (~codes.str.fullmatch(COMMUNE_CODE_PATTERN, na=True)).to_numpy()
    if bad.any():
        problems.append(
            Problem(
                source,
                f"{int(bad.sum())} invalid commune code(s): "
                f"{shorten([repr(c) for c in codes[bad]])} ({_rows(labels[bad], kind)})",
                column=column,
                fix=f"{CODE_FIX}; pass code_column= if this is not the commune code column",
            )
        )
    return problems


def _is_identifier(column: str) -> bool:
    """Whether a column holds codes (kept as text) rather than quantities."""
    name = column.lower()
    return bool(
        _IDENTIFIER.search(name)
        or _CEREMA_EPCI.match(name)
        or any(name == c.lower() for codes, _ in LEVEL_COLUMNS.values() for c in codes)
    )


def _to_numbers(frame: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Convert text columns that hold only numbers (indicators) to numbers.

    Columns holding only ``True`` / ``False`` become booleans (object dtype when
    some are empty).

    Columns named like identifiers (``code``, ``siren``, ``insee``, ``id``...) and
    columns with leading zeros (``"022"``) stay text.
    """
    out = frame.copy()
    for col in columns:
        s = out[col]
        if not pd.api.types.is_string_dtype(s) or _is_identifier(str(col)):
            continue
        text = s.astype("str").str.strip()
        text = text.where(text != "", np.nan)
        filled = text.dropna()
        if filled.empty or not _QUANTITY.fullmatch(filled.iloc[0]):
            continue  # names: the first value already rules out every conversion below
        if filled.str.match(r"[+-]?0\d").any():
            continue
        if filled.str.lower().isin(("true", "false")).all():
            out[col] = text.str.lower().map({"true": True, "false": False})
        elif filled.str.fullmatch(_NUMBER).all():
            out[col] = pd.to_numeric(text)
        elif filled.str.fullmatch(_DECIMAL_COMMA).all():
            out[col] = pd.to_numeric(text.str.replace(",", ".", regex=False))
    return out


# --------------------------------------------------------------------------- communes


def read_communes(
    path: str | os.PathLike[str],
    *,
    code_column: str | None = None,
    name_column: str | None = None,
    layer: str | None = None,
    crs: Any = None,
    target_crs: Any = LAMBERT93,
) -> gpd.GeoDataFrame:
    """Read a commune boundary layer, indexed by INSEE code, with areas in hectares.

    The usual layouts are recognised: IGN ADMIN EXPRESS ``COMMUNE``
    (``INSEE_COM``, ``NOM``, ``POPULATION``, ``SIREN_EPCI``; DOMAIN.md §3),
    Etalab / geo.api.gouv.fr (``code``, ``nom``, ``codeEpci``, ``population``),
    france-geojson (``code``, ``nom``) and layers with a ``code_insee`` or
    ``insee`` column.

    Parameters
    ----------
    path : str or path-like
        GeoJSON, GeoPackage, shapefile or GeoParquet file.
    code_column : str, optional
        Column holding the INSEE commune code; detected when omitted.
    name_column : str, optional
        Column holding the commune name; detected when omitted. When the layer
        has no name column, ``nom`` repeats the code.
    layer : str, optional
        Layer to read in a multi-layer file (GeoPackage).
    crs : optional
        CRS to give a layer whose file declares none (e.g. a shapefile without
        ``.prj``).
    target_crs : str, pyproj.CRS or None, default "EPSG:2154"
        Projected CRS to reproject to (Lambert-93; use EPSG:2975 for La Réunion,
        etc., DOMAIN.md §3). ``None`` keeps the layer's CRS, which must then be
        projected.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by ``code`` (str), with columns ``nom``, ``area_ha`` (computed in
        the projected CRS), the file's other attributes, and ``geometry``.
        ``attrs["source"]`` is the path; ``attrs["repaired"]`` lists the codes of
        communes whose invalid geometry was repaired (``shapely.make_valid``,
        polygonal part kept).

    Raises
    ------
    DataError
        The file cannot be read or holds no feature.
    SchemaError
        No commune code column, or invalid or duplicate codes (all listed).
    CRSError
        The layer has no CRS and none was given, or ``target_crs`` is None and
        the layer is in degrees.
    GeometryError
        Missing, empty or non-polygonal geometries (codes listed).

    Examples
    --------
    >>> from zan.datasets import get_path
    >>> communes = read_communes(get_path("communes.gpkg"), layer="communes")
    >>> communes.index.name, list(communes.columns[:2]), communes.crs.to_epsg()
    ('code', ['nom', 'area_ha'], 2154)
    >>> bool((communes["area_ha"] > 0).all())
    True
    """
    source = _source_name(path)
    gdf = read_layer(path, layer=layer, crs=crs)
    code_col = code_column or find_column(
        gdf,
        COMMUNE_CODE_COLUMNS,
        source=source,
        what="commune code (INSEE)",
        argument="code_column",
    )
    if code_col not in gdf.columns:
        raise SchemaError(
            f"{source}: column {code_col!r} not found (columns: "
            f"{', '.join(map(str, gdf.columns))}); pass code_column= to name the INSEE code column"
        )
    name_col = name_column or find_column(
        gdf, _COMMUNE_NAME_COLUMNS, source=source, what="commune name", required=False
    )
    if name_col is not None and name_col not in gdf.columns:
        raise SchemaError(
            f"{source}: column {name_col!r} not found (columns: "
            f"{', '.join(map(str, gdf.columns))}); "
            "pass name_column= to name the commune name column"
        )

    codes = commune_codes(gdf[code_col])
    labels = np.arange(len(gdf))
    problems = _check_codes(codes, labels, source=source, column=code_col, kind="feature")
    dup = codes.duplicated(keep=False) & codes.notna()
    if dup.any():
        problems.append(
            Problem(
                source,
                "duplicate commune code(s): " + shorten(sorted(codes[dup].unique())),
                column=code_col,
                fix="keep one feature per commune (dissolve the parts first, "
                "e.g. layer.dissolve('code'))",
            )
        )
    raise_problems(SchemaError, problems)

    gdf = to_projected(gdf, source, target_crs)
    geoms = gdf.geometry.array
    geom_np = np.asarray(geoms, dtype=object)
    absent = shapely.is_missing(geom_np) | shapely.is_empty(geom_np)
    if absent.any():
        raise GeometryError(
            f"{source}: {int(absent.sum())} commune(s) without geometry: "
            f"{shorten(codes[absent].tolist())}; give them their boundary or drop them"
        )
    type_ids = shapely.get_type_id(geom_np)
    polygonal = np.isin(type_ids, (3, 6))  # Polygon, MultiPolygon
    invalid = ~shapely.is_valid(geom_np)
    # Invalid polygons and geometry collections are repaired; points and lines are not.
    not_polygons = ~polygonal & ~np.isin(type_ids, (7,))
    if not_polygons.any():
        types = shapely.get_type_id(geom_np[not_polygons])
        names = {
            0: "Point",
            1: "LineString",
            2: "LinearRing",
            4: "MultiPoint",
            5: "MultiLineString",
        }
        found = sorted({names.get(int(t), str(t)) for t in types})
        raise GeometryError(
            f"{source}: {int(not_polygons.sum())} commune(s) are not polygons "
            f"({', '.join(found)}): {shorten(codes[not_polygons].tolist())}; "
            "a commune layer needs Polygon or MultiPolygon boundaries"
        )
    to_fix = invalid | (type_ids == 7)
    repaired: list[str] = []
    if to_fix.any():
        fixed = polygonal_part(shapely.make_valid(geom_np[to_fix]))
        lost = shapely.is_empty(fixed)
        if lost.any():
            raise GeometryError(
                f"{source}: the geometry of {int(lost.sum())} commune(s) is invalid and "
                f"has no area once repaired: {shorten(codes[to_fix][lost].tolist())}; "
                "fix these boundaries in a GIS"
            )
        geom_np = geom_np.copy()
        geom_np[to_fix] = fixed
        repaired = codes[to_fix].tolist()

    others = [c for c in gdf.columns if c not in (code_col, name_col, gdf.geometry.name)]
    attributes = pd.DataFrame(gdf[others]).rename(
        columns={c: f"{c}_source" for c in others if str(c).lower() in ("code", "nom", "area_ha")}
    )
    index = pd.Index(codes.to_numpy(), name="code", dtype="str")
    geometry = gpd.GeoSeries(geom_np, index=index, crs=gdf.crs)
    names = gdf[name_col].astype("str").str.strip() if name_col is not None else codes
    data = {"nom": names.to_numpy(), "area_ha": geometry.area.to_numpy() / 10_000.0}
    out = pd.DataFrame(data, index=index)
    out = pd.concat([out, attributes.set_axis(index)], axis=1)
    result = gpd.GeoDataFrame(out, geometry=geometry, crs=gdf.crs)
    result.attrs["source"] = source
    result.attrs["repaired"] = repaired
    return result


# --------------------------------------------------------------------------- membership


def _level_spec(
    frame: pd.DataFrame,
    levels: Mapping[str, Any] | None,
    *,
    source: str,
    code_col: str,
) -> dict[str, tuple[str, str | None]]:
    """Map each level to its (code column, name column or None) in ``frame``."""
    columns = list(frame.columns)
    lower = {str(c).lower(): c for c in columns}
    spec: dict[str, tuple[str, str | None]] = {}
    if levels is not None:
        problems = []
        for level, value in levels.items():
            if isinstance(value, str):
                value = (value, None)
            try:
                code_name, name_name = value
            except (TypeError, ValueError):
                raise SchemaError(
                    f"{source}: levels[{level!r}] must be a column name or a pair "
                    f"(code column, name column or None) (got {value!r})"
                ) from None
            for col in (code_name, name_name):
                if col is not None and col not in frame.columns:
                    problems.append(
                        Problem(
                            source,
                            f"column {col!r} of level {level!r} not found "
                            f"(columns: {', '.join(map(str, columns))})",
                            fix="correct the levels= mapping",
                        )
                    )
            spec[str(level)] = (code_name, name_name)
        raise_problems(SchemaError, problems)
        return spec

    used = {code_col}
    for level, (code_candidates, name_candidates) in LEVEL_COLUMNS.items():
        code_name = next((lower[c.lower()] for c in code_candidates if c.lower() in lower), None)
        name_name = next((lower[c.lower()] for c in name_candidates if c.lower() in lower), None)
        if level == "epci" and code_name is None:
            years = sorted((m.group(1), c) for c in columns if (m := _CEREMA_EPCI.match(str(c))))
            if years:
                year, code_name = years[-1]
                name_name = lower.get(f"epci{year}txt")
        if code_name is None or code_name in used:
            continue
        used.add(code_name)
        spec[level] = (code_name, name_name if name_name not in used else None)
        if name_name is not None:
            used.add(name_name)
    return spec


def read_membership(
    path_or_frame: str | os.PathLike[str] | pd.DataFrame,
    *,
    code_column: str | None = None,
    levels: Mapping[str, str | tuple[str, str | None]] | None = None,
    source: str | None = None,
) -> pd.DataFrame:
    """Read which territories (EPCI, SCoT, département, région...) each commune is in.

    Detected layouts: the Etalab *découpage administratif* table (``code_insee``,
    ``epci_siren``, ``epci_nom``, ``departement``, ``region``), the same with
    ``scot_code`` / ``scot_nom``, Cerema consumption files (``idcom``,
    ``epciYY`` / ``epciYYtxt``, ``scot``, ``iddep``, ``idreg``; DOMAIN.md §3),
    IGN ADMIN EXPRESS (``INSEE_COM``, ``SIREN_EPCI``, ``INSEE_DEP``,
    ``INSEE_REG``) and geo.api.gouv.fr (``code``, ``codeEpci``,
    ``codeDepartement``, ``codeRegion``).

    Parameters
    ----------
    path_or_frame : str, path-like or DataFrame
        A CSV file, or a frame such as the result of :func:`read_communes`
        (whose attributes then give the membership).
    code_column : str, optional
        Column holding the commune INSEE code; detected when omitted (for a
        frame indexed by ``code``, the index).
    levels : mapping, optional
        Level name → code column, or → ``(code column, name column or None)``,
        e.g. ``{"epci": ("epci_siren", "epci_nom"), "bassin": ("bv", None)}``.
        When given, only these levels are read; otherwise they are detected.
    source : str, optional
        Name of the table in messages (default: the path, or the frame's
        ``attrs["source"]``).

    Returns
    -------
    pandas.DataFrame
        Indexed by commune ``code``; per level a column named after it with the
        territory code and ``<level>_nom`` with its name (missing when the table
        gives none); then every other column, with numeric ones converted to
        numbers. An empty territory code (a commune outside any SCoT) is kept
        as missing. ``attrs["levels"]`` holds the level names, ``attrs["source"]``
        the source.

    Raises
    ------
    DataError
        The file cannot be read.
    SchemaError
        No commune code column, invalid codes, or no level column found.
    MembershipError
        A commune is listed more than once with different territories (or
        different values): every conflict is listed at once. Exact duplicate
        rows are merged silently.

    Examples
    --------
    >>> from zan.datasets import get_path
    >>> membership = read_membership(get_path("communes.csv"))
    >>> membership.attrs["levels"]
    ('epci', 'scot', 'departement', 'region')
    >>> list(membership.columns[:4])
    ['epci', 'epci_nom', 'scot', 'scot_nom']

    A frame works as well, and ``levels`` names the columns:

    >>> import pandas as pd
    >>> table = pd.DataFrame({"com": ["02001", "02002"], "bv": ["A", "B"], "pop": ["5", "7"]})
    >>> m = read_membership(table, levels={"bassin": "bv"}, source="table")
    >>> m["bassin"].tolist(), m["pop"].sum()
    (['A', 'B'], np.int64(12))
    """
    if isinstance(path_or_frame, pd.DataFrame):
        frame = path_or_frame
        src = source or str(frame.attrs.get("source", "membership table"))
        kind = "position"
        if isinstance(frame, gpd.GeoDataFrame):
            geo_cols = [
                c for c in frame.columns if isinstance(frame[c].dtype, gpd.array.GeometryDtype)
            ]
            frame = pd.DataFrame(frame.drop(columns=geo_cols))
        if (
            code_column is None
            and frame.index.name is not None
            and (str(frame.index.name).lower() in {c.lower() for c in COMMUNE_CODE_COLUMNS})
        ):
            code_column = str(frame.index.name)
            frame = frame.reset_index()
        elif (
            code_column is not None
            and code_column not in frame.columns
            and (frame.index.name == code_column)
        ):
            frame = frame.reset_index()
        frame = frame.reset_index(drop=True)
    else:
        src = source or _source_name(path_or_frame)
        frame = read_table(path_or_frame, what="membership table")
        kind = "line"
    # Labels of the rows for messages: file lines (index + 2) or positions in the frame.
    labels = frame.index.to_numpy() if kind == "line" else np.arange(len(frame))
    frame = frame.reset_index(drop=True)

    code_col = code_column or find_column(
        frame,
        COMMUNE_CODE_COLUMNS,
        source=src,
        what="commune code (INSEE)",
        argument="code_column",
    )
    if code_col not in frame.columns:
        raise SchemaError(
            f"{src}: column {code_col!r} not found (columns: "
            f"{', '.join(map(str, frame.columns))}); "
            "pass code_column= to name the commune code column"
        )
    codes = commune_codes(frame[code_col])
    raise_problems(
        SchemaError,
        _check_codes(codes, labels, source=src, column=code_col, kind=kind),
    )
    spec = _level_spec(frame, levels, source=src, code_col=code_col)
    if not spec and levels is None and not isinstance(path_or_frame, pd.DataFrame):
        raise SchemaError(
            f"{src}: no territorial level column found (columns: "
            f"{', '.join(map(str, frame.columns))}); name them with "
            "levels={'epci': ('epci_code_column', 'epci_name_column'), ...}"
        )
    ordered = [lv for lv in LEVELS if lv in spec] + [lv for lv in spec if lv not in LEVELS]

    out = pd.DataFrame(index=pd.RangeIndex(len(frame)))
    out["code"] = codes.to_numpy()
    consumed = {code_col}
    for level in ordered:
        code_name, name_name = spec[level]
        territory = as_code_text(frame[code_name], upper=level == "departement")
        if level == "departement":
            territory = pad_digits(territory, 2)
        out[level] = territory.to_numpy()
        if name_name is not None:
            names = frame[name_name].astype("str").str.strip()
            out[f"{level}_nom"] = names.where(names != "", np.nan).to_numpy()
        else:
            out[f"{level}_nom"] = pd.Series(np.nan, index=out.index, dtype="str")
        consumed.update(c for c in (code_name, name_name) if c is not None)
    rest = [c for c in frame.columns if c not in consumed and c not in out.columns]
    rest_frame = _to_numbers(frame[rest], rest)
    out = pd.concat([out, rest_frame.set_axis(out.index)], axis=1)

    out = _merge_duplicates(out, spec, source=src, kind=kind, labels=labels)
    out = out.set_index("code")
    out.index = out.index.astype("str")
    out.attrs["source"] = src
    out.attrs["levels"] = tuple(ordered)
    return out


def _merge_duplicates(
    table: pd.DataFrame,
    spec: Mapping[str, tuple[str, str | None]],
    *,
    source: str,
    kind: str,
    labels: np.ndarray,
) -> pd.DataFrame:
    """Collapse exact duplicate rows; list every commune listed with conflicting values.

    ``spec`` maps each level to its (code column, name column) in the source, so
    that messages name the file's own columns.
    """
    table = table.drop_duplicates()
    repeated = table["code"].duplicated(keep=False)
    if not repeated.any():
        return table
    dup = table[repeated]
    level_of_name = {f"{level}_nom": level for level in spec}
    problems: list[Problem] = []
    conflicting: set[tuple[str, str]] = set()  # (commune, level) with two territories
    columns = [c for c in dup.columns if c != "code"]
    # Level columns first, so that name conflicts they explain are not repeated.
    columns.sort(key=lambda c: (c not in spec, c in level_of_name))
    for col in columns:
        counts = dup.groupby("code", sort=True)[col].nunique(dropna=False)
        bad = counts.index[counts > 1]
        if bad.empty:
            continue
        rows = dup[dup["code"].isin(bad)]
        found = rows.groupby("code", sort=True)[col].agg(
            lambda v: ", ".join(str(x) if pd.notna(x) else "(empty)" for x in dict.fromkeys(v))
        )
        where = rows.groupby("code", sort=True)[col].agg(lambda v: _rows(labels[v.index], kind))
        for code in bad:
            if col in spec:
                conflicting.add((code, col))
                problems.append(
                    Problem(
                        source,
                        f"commune {code} belongs to several territories of level {col!r}: "
                        f"{found[code]} ({where[code]})",
                        column=spec[col][0],
                        fix=f"keep one {col} per commune",
                    )
                )
            elif col in level_of_name:
                if (code, level_of_name[col]) in conflicting:
                    continue
                problems.append(
                    Problem(
                        source,
                        f"commune {code} is listed several times with different names of "
                        f"its {level_of_name[col]}: {found[code]} ({where[code]})",
                        column=spec[level_of_name[col]][1],
                        fix="keep one row per commune",
                    )
                )
            else:
                problems.append(
                    Problem(
                        source,
                        f"commune {code} is listed several times with different values: "
                        f"{found[code]} ({where[code]})",
                        column=col,
                        fix="keep one row per commune",
                    )
                )
    if not problems:  # only NaN-vs-NaN differences: duplicates after all
        return table.drop_duplicates("code")
    raise_problems(MembershipError, problems)
    raise AssertionError("unreachable")  # pragma: no cover


# --------------------------------------------------------------------------- checks

#: The rules on a membership table: rule code → (message, fix), English
#: (:func:`check_membership_levels`; :mod:`zan.validate` gives them in French).
MEMBERSHIP_RULES: dict[str, tuple[str, str]] = {
    "missing_level": (
        "{n} commune(s) without {level}: {values}",
        "every commune belongs to exactly one {level}: fill in its code",
    ),
    "dep_mismatch": (
        "{n} commune(s) whose département does not match their INSEE code: {values}",
        "the département is the first two characters of the INSEE code (three overseas)",
    ),
}


def has_commune_code_column(columns: Sequence[Any]) -> bool:
    """Whether one of the columns is named like a commune code (:data:`COMMUNE_CODE_COLUMNS`).

    Examples
    --------
    >>> has_commune_code_column(["INSEE_COM", "nom"])
    True
    """
    lower = {str(c).strip().lower() for c in columns}
    return bool(lower & {c.lower() for c in COMMUNE_CODE_COLUMNS})


def is_membership_table(columns: Sequence[Any]) -> bool:
    """Whether columns are those of a membership table: a commune code and a level's code.

    Examples
    --------
    >>> is_membership_table(["code_insee", "epci_siren"]), is_membership_table(["code_insee"])
    (True, False)
    """
    lower = {str(c).strip().lower() for c in columns}
    levels = {c.lower() for codes, _ in LEVEL_COLUMNS.values() for c in codes}
    return has_commune_code_column(columns) and bool(
        lower & levels or any(_CEREMA_EPCI.match(n) for n in lower)
    )


def check_membership_levels(membership: pd.DataFrame, *, source: str) -> list[Problem]:
    """Every gap of a membership table read by :func:`read_membership`, found at once.

    Communes without an EPCI, a département or a région (``missing_level``), and
    départements that do not match the INSEE code (``dep_mismatch``): the rules of
    :data:`MEMBERSHIP_RULES`, each a :class:`~zan.errors.Problem` naming its column.

    Examples
    --------
    >>> m = pd.DataFrame({"departement": ["59", "62"]},
    ...                  index=pd.Index(["59350", "59009"], name="code"))
    >>> [p.message for p in check_membership_levels(m, source="m.csv")]
    ["1 commune(s) whose département does not match their INSEE code: 59009 ('62')"]
    """
    problems: list[Problem] = []
    names = membership.index.to_numpy().astype(object)
    for level in ("epci", "departement", "region"):
        if level in membership.columns:
            gaps = membership[level].isna().to_numpy()
            if gaps.any():
                problems.append(
                    rule_problem(
                        MEMBERSHIP_RULES,
                        "missing_level",
                        source,
                        column=level,
                        level=level,
                        n=int(gaps.sum()),
                        values=listed_values(names[gaps]),
                    )
                )
    if "departement" in membership.columns:
        index = membership.index
        expected = pd.Series(
            np.where(index.str.startswith("97"), index.str[:3], index.str[:2]), index=index
        )
        dep = membership["departement"].astype("str")
        wrong = (membership["departement"].notna() & (dep != expected)).to_numpy()
        if wrong.any():
            problems.append(
                rule_problem(
                    MEMBERSHIP_RULES,
                    "dep_mismatch",
                    source,
                    column="departement",
                    n=int(wrong.sum()),
                    values=labelled_values(list(names[wrong]), list(dep[wrong])),
                )
            )
    return problems
