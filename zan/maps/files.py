"""Maps from files: the work behind ``zan map`` (the CLI only parses options)."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd

from ..errors import DataError, SchemaError
from ..io._files import read_layer, read_table, to_number
from ._base import CODE_COLUMNS, index_by_code, save
from .choropleth import choropleth
from .credits import consumption_credit, data_credit
from .png import to_png
from .status import status_map

__all__ = ["map_files", "territory_layer"]

#: Cerema consumption file layouts (wide ``nafYYartZZ`` or API ``annee`` + ``conso_*``).
_CEREMA_WIDE = re.compile(r"^naf\d\dart\d\d$", re.IGNORECASE)
_CEREMA_API = re.compile(r"^conso_(act|hab|mix|inc|infra)(_m2)?$", re.IGNORECASE)


def territory_layer(
    territories: str | os.PathLike,
    *,
    membership: str | os.PathLike | None = None,
    level: str | None = None,
    code_column: str | None = None,
    layer: str | None = None,
) -> gpd.GeoDataFrame:
    """The territories to draw: a layer as it is, or communes dissolved into a level.

    Parameters
    ----------
    territories : path
        Vector layer: any territories (without ``level``), or the communes.
    membership : path, optional
        Commune → EPCI → SCoT ... table (:func:`zan.read_membership`); without it,
        the commune layer's own attributes give the levels.
    level : str, optional
        Level to draw (``epci``, ``scot``, ``departement``, ``region`` or any level
        of the membership table): the communes are dissolved with
        :meth:`zan.Territories.geometries`, whose ``area_ha`` is the sum of the
        communes' areas.
    code_column, layer : str, optional
        Code column and GeoPackage layer of ``territories``.

    Returns
    -------
    geopandas.GeoDataFrame
        Indexed by territory code, with ``nom`` when known.

    Raises
    ------
    DataError
        An unknown level: the message lists the valid ones.

    Examples
    --------
    >>> from zan.datasets import get_path
    >>> epci = territory_layer(get_path("communes.gpkg"), membership=get_path("communes.csv"),
    ...                        level="epci")
    >>> len(epci), list(epci.columns)
    (20, ['nom', 'area_ha', 'geometry'])
    """
    if level is None and membership is None:
        gdf = read_layer(territories, layer=layer)
        return index_by_code(gdf, code_column, source=str(territories))
    from ..territory import Territories

    t = Territories.from_files(territories, membership, code_column=code_column, layer=layer)
    level = level or "commune"
    if level not in t.levels:
        where = membership if membership is not None else territories
        raise DataError(
            f"{where}: no level {level!r} to draw; valid levels (--by): {', '.join(t.levels)}"
        )
    gdf = t.geometries(level)
    gdf.index = gdf.index.astype(str)
    return gdf


def _values_credit(values: str | os.PathLike, table: pd.DataFrame) -> str | None:
    """The Cerema release when the values file is a Cerema consumption file."""
    columns = [str(c) for c in table.columns]
    if any(_CEREMA_WIDE.match(c) for c in columns) or (
        {"annee", "année"} & {c.lower() for c in columns}
        and any(_CEREMA_API.match(c) for c in columns)
    ):
        return consumption_credit(path=values)
    return None


def map_files(
    territories: str | os.PathLike,
    values: str | os.PathLike | None,
    column: str | None,
    out: str | os.PathLike,
    *,
    membership: str | os.PathLike | None = None,
    level: str | None = None,
    code_column: str | None = None,
    values_code_column: str | None = None,
    png: str | os.PathLike | None = None,
    title: str | None = None,
    credit: str | None = None,
    scheme: str = "quantiles",
    k: int = 5,
    bins: Sequence[float] | None = None,
    tiles: str | None = None,
    conference: bool = False,
    layer: str | None = None,
) -> list[Path]:
    """Render a table (CSV/Excel with a code column) on a territory layer.

    Parameters
    ----------
    territories : path
        Vector layer (GeoPackage, GeoJSON, Shapefile, GeoParquet); its code
        column is detected among the usual names (``code``, ``code_insee``,
        ``INSEE_COM``, ``insee``, ``siren``, ...) unless ``code_column`` is given.
        With ``membership`` or ``level`` it is the commune layer, dissolved into
        the level's territories (:func:`territory_layer`).
    values : path or None
        CSV or Excel table; codes in ``values_code_column`` (default: the first
        usual code column found, e.g. ``code``). Numbers may use a decimal comma.
        Without it, the map shows the territories with their names (coloured by
        area).
    column : str or None
        Column to map (required with ``values``); ``status`` draws the trajectory
        status map.
    out : path
        HTML file to write (offline page).
    membership : path, optional
        Commune → EPCI → SCoT ... table (``zan map --membership``).
    level : str, optional
        Level to draw (``zan map --by``): ``epci``, ``scot``, ``departement``,
        ``region`` or any level of the membership table.
    code_column, values_code_column : str, optional
        Code columns of the layer and of the table.
    png : path, optional
        Also write a static map (PNG, PDF or SVG by suffix) for reports.
    credit : str, optional
        Source line; by default it names the data used (:func:`zan.maps.credits.data_credit`:
        synthetic demo data, the Cerema release and its years, the boundaries).
    title, scheme, k, bins, tiles, conference
        As in :func:`zan.maps.choropleth`.
    layer : str, optional
        Layer name inside a GeoPackage.

    Returns
    -------
    list of pathlib.Path
        Files written.

    Raises
    ------
    SchemaError
        When a code column or the mapped column cannot be found, or values are
        not numbers (the message names the file, column and lines).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from zan.datasets import get_path
    >>> tmp = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (tmp / "v.csv").write_text("code;x_ha\\n96001;1,5\\n96002;3\\n")
    >>> written = map_files(get_path("communes.gpkg"), tmp / "v.csv", "x_ha", tmp / "c.html")
    >>> [p.name for p in written]
    ['c.html']
    """
    gdf = territory_layer(
        territories, membership=membership, level=level, code_column=code_column, layer=layer
    )
    if values is None:
        if column is not None and column not in gdf.columns:
            raise SchemaError(
                f"{territories}: column {column!r} not found without a values table "
                f"(columns: {', '.join(map(str, gdf.columns.drop(gdf.geometry.name)))}); "
                "give the table with --values, or leave --column out to draw the territories"
            )
        column = column or _area_column(gdf)
        k = max(1, min(k, len(gdf)))
        if credit is None:
            credit = data_credit(communes=territories)
        m = choropleth(
            gdf,
            column,
            title=title,
            credit=credit,
            scheme=scheme,
            k=k,
            bins=bins,
            tiles=tiles,
            conference=conference,
            labels=True if len(gdf) <= 150 else None,
            tooltip=(
                {"nom": "Territoire", column: "Superficie (ha)"} if column == "area_ha" else None
            ),
        )
        written = [save(m, out)]
        if png is not None:
            written.append(
                to_png(gdf, column, png, title=title, credit=credit, scheme=scheme, k=k, bins=bins)
            )
        return written
    if column is None:
        raise SchemaError(f"{values}: which column to map? pass --column with one of its columns")
    table = read_table(values, what="values")
    source = Path(values).name
    if credit is None:
        conso_text = _values_credit(values, table)
        credit = data_credit(communes=territories, others=[conso_text] if conso_text else ())
    if values_code_column is None:
        lower = {str(c).lower(): c for c in table.columns}
        values_code_column = next((lower[c] for c in CODE_COLUMNS if c in lower), None)
        if values_code_column is None:
            raise SchemaError(
                f"{source}: no territory code column found (columns: "
                f"{', '.join(map(str, table.columns))}); name it with --values-code-column"
            )
    if values_code_column not in table.columns:
        raise SchemaError(
            f"{source}: code column {values_code_column!r} not found (columns: "
            f"{', '.join(map(str, table.columns))}); pass one of them"
        )
    if column not in table.columns and column not in gdf.columns:
        raise SchemaError(
            f"{source}: column {column!r} not found (columns: "
            f"{', '.join(map(str, table.columns))}); pass --column with one of them"
        )
    if column in table.columns and column != "status":
        table = to_number(table, column, source=source)
    table = table.set_index(values_code_column)
    table.index = table.index.astype(str).str.strip()
    if column == "status":
        m = status_map(
            gdf, values=table, title=title, credit=credit, tiles=tiles, conference=conference
        )
    else:
        m = choropleth(
            gdf,
            column,
            values=table,
            title=title,
            credit=credit,
            scheme=scheme,
            k=k,
            bins=bins,
            tiles=tiles,
            conference=conference,
        )
    written = [save(m, out)]
    if png is not None:
        written.append(
            to_png(
                gdf,
                column,
                png,
                values=table,
                title=title,
                credit=credit,
                scheme=scheme,
                k=k,
                bins=bins,
            )
        )
    return written


def _area_column(gdf: gpd.GeoDataFrame) -> str:
    """``area_ha`` (computed in Lambert-93 when the layer does not carry it)."""
    if "area_ha" not in gdf.columns:
        from ..crs import to_projected

        gdf["area_ha"] = to_projected(gdf, "territories").area.to_numpy() / 10_000.0
    return "area_ha"
