"""``zan.show_versions()``: the versions of zan and its dependencies, for bug reports."""

from __future__ import annotations

import importlib.metadata
import platform
import sys

_PACKAGES = (
    "zan",
    "geopandas",
    "shapely",
    "pyproj",
    "pyogrio",
    "rasterio",
    "folium",
    "pandas",
    "numpy",
    "click",
    "pydantic",
    "matplotlib",
    "pyarrow",
    "openpyxl",
    "xlsxwriter",
    "jinja2",
    "dask-geopandas",
    "hypothesis",
    "pytest",
)


def versions() -> dict[str, str | None]:
    """Return a mapping name → version (None when not installed)."""
    out: dict[str, str | None] = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }
    for name in _PACKAGES:
        try:
            out[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            out[name] = None
    try:
        import pyogrio

        out["GDAL"] = pyogrio.__gdal_version_string__
    except Exception:  # pragma: no cover - pyogrio is a core dependency
        out["GDAL"] = None
    try:
        import pyproj

        out["PROJ"] = pyproj.proj_version_str
    except Exception:  # pragma: no cover
        out["PROJ"] = None
    return out


def show_versions() -> None:
    """Print the versions of zan, Python, GDAL, PROJ and the dependencies.

    Examples
    --------
    >>> show_versions()  # doctest: +ELLIPSIS
    python ...
    """
    for name, version in versions().items():
        print(f"{name:<16} {version if version is not None else '(not installed)'}")
