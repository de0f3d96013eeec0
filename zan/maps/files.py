"""Maps from files: the work behind ``zan map`` (the CLI only parses options)."""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

from ..errors import SchemaError
from ..io._files import read_layer, read_table, to_number
from ._base import CODE_COLUMNS, index_by_code, save
from .choropleth import choropleth
from .png import to_png
from .status import status_map

__all__ = ["map_files"]


def map_files(
    territories: str | os.PathLike,
    values: str | os.PathLike,
    column: str,
    out: str | os.PathLike,
    *,
    code_column: str | None = None,
    values_code_column: str | None = None,
    png: str | os.PathLike | None = None,
    title: str | None = None,
    credit: str | None = "Calcul zan",
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
    values : path
        CSV or Excel table; codes in ``values_code_column`` (default: the first
        usual code column found, e.g. ``code``). Numbers may use a decimal comma.
    column : str
        Column to map; ``status`` draws the trajectory status map.
    out : path
        HTML file to write (offline page).
    code_column, values_code_column : str, optional
        Code columns of the layer and of the table.
    png : path, optional
        Also write a static map (PNG, PDF or SVG by suffix) for reports.
    title, credit, scheme, k, bins, tiles, conference
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
    gdf = index_by_code(read_layer(territories, layer=layer), code_column, source=str(territories))
    table = read_table(values, what="values")
    source = Path(values).name
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
