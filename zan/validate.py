"""Validation of every input: all the problems of a set of files, found at once.

:func:`validate_paths` reads each file, tells what it is from its content (commune
layer, département or région layer, membership table, communes déléguées table,
Cerema consumption file, table de passage, OCS GE layer, cadastral parcels, raster,
scenario, receiving territories and their communes: :mod:`zan.validate_roles`), checks
it against its schema and then checks the files against each other
(:mod:`zan.validate_cross`). It never stops at the first problem: every problem
is collected (as pandera's ``lazy=True`` does) into a :class:`Report`, a table of
problems with the file, the row, the column, the message, the fix and a severity:

``error``
    zan would refuse the file, or would compute a wrong figure with it;
``warning``
    zan repairs or assumes something (invalid geometry repaired with
    :func:`shapely.make_valid`, code padded...), or two files disagree in a way
    that matters only when they are used together;
``info``
    worth knowing (a layer in degrees is reprojected to Lambert-93 for areas).

Checks per file: INSEE commune codes (five characters, ``2A``/``2B`` in Corsica,
``97xxx`` overseas), SIREN (nine digits), duplicates, membership completeness,
numeric columns, negative values, the CRS (missing, or geographic where areas are
computed), geometries (missing, not polygons, invalid), and everything the zan
readers themselves check (their messages are kept as they are). Checks across
files: codes present in one file and absent from another (COG vintage mismatch:
communes merged or created since; the alignment with a table de passage is
offered), communes missing from the membership or the consumption file, stale
polygons (a commune far smaller in one layer than the same code in another, as
when a commune nouvelle kept its pre-merger boundary), communes consuming more
than their area (``surfcomYYYY`` of the Cerema file, else the layer's area).

:meth:`Report.to_text` renders the table in French (default) or English; the
readers' English notes are given in French (:mod:`zan.validate_text`).

Examples
--------
>>> from zan.datasets import get_path
>>> report = validate_paths([get_path("communes.gpkg"), get_path("communes.csv")])
>>> {Path(f).name: kind for f, kind in report.kinds.items()}
{'communes.gpkg': 'communes', 'communes.csv': 'membership'}
>>> report.ok
True
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from .validate_files import (
    RASTER_SUFFIXES,
    TABLE_SUFFIXES,
    VECTOR_SUFFIXES,
    Checked,
    check_file,
    columns_of_layer,
    more_than_area,
)
from .validate_report import KINDS, SEVERITIES, Issue, Report  # noqa: F401 (SEVERITIES re-exported)

__all__ = ["KINDS", "Issue", "Report", "detect_kind", "validate_paths"]

#: Default threshold of the stale-polygon check: a commune whose area is below this
#: share of the same code's area in another layer.
STALE_RATIO = 0.7


# ----------------------------------------------------------------------------- detection


def _table_kind(columns: Sequence[str], frame: Any = None) -> str:
    from .io.cog import find_passage_columns
    from .io.consumption import is_consumption_table
    from .io.territories import is_membership_table
    from .validate_roles import table_role

    names = [str(c).strip() for c in columns]
    role = table_role(names, frame)
    if role is not None:
        return role
    if is_consumption_table(names):
        return "consumption"
    if find_passage_columns(names) is not None:
        return "passage"
    if is_membership_table(names):
        return "membership"
    return "unknown"


def _layer_kind(path: Path, columns: Sequence[str]) -> str:
    from .io.territories import has_commune_code_column

    lower = {str(c).lower() for c in columns}
    if (
        re.match(r"cadastre-.*-parcelles", path.name)
        or "contenance" in lower
        or {
            "section",
            "numero",
        }
        <= lower
    ):
        return "parcels"
    if lower & {"code_cs", "couverture", "code_couverture", "cs_avant"}:
        return "ocsge"
    from .validate_roles import layer_role

    role = layer_role(path, columns)  # a département or région layer is not a commune layer
    if role is not None:
        return role
    if has_commune_code_column(columns):
        return "communes"
    return "unknown"


def detect_kind(path: str | os.PathLike[str]) -> str:
    """Tell what a file is, from its extension and its columns.

    Returns
    -------
    str
        One of :data:`KINDS`.

    Examples
    --------
    >>> from zan.datasets import get_path
    >>> [detect_kind(get_path(n)) for n in ("communes.gpkg", "conso_enaf_2009_2023.csv",
    ...                                     "passage_cog2023_cog2024.csv", "corine_demo.tif")]
    ['communes', 'consumption', 'passage', 'raster']
    """
    from .io._files import read_table

    p = Path(path)
    suffix = p.suffix.lower()
    name = p.name.lower()
    if suffix == ".toml":
        return "scenario"
    if suffix in RASTER_SUFFIXES:
        return "raster"
    if name.endswith((".csv.gz", ".txt.gz")) or suffix in TABLE_SUFFIXES:
        try:
            table = read_table(p)
            return _table_kind(table.columns, table)
        except Exception:  # unreadable: the validator reports why
            return "unknown"
    if suffix in VECTOR_SUFFIXES or p.is_dir():
        try:
            return _layer_kind(p, columns_of_layer(p))
        except Exception:  # unreadable: the validator reports why
            return "unknown"
    if suffix == ".zip":  # a portal's zip: its one table, else its one layer
        from .io._files import read_layer

        for columns in (lambda: read_table(p), lambda: read_layer(p, check_bounds=False)):
            try:
                frame = columns()
            except Exception:  # noqa: S112 - not that kind: try the next
                continue
            if hasattr(frame, "geometry"):
                return _layer_kind(p, [str(c) for c in frame.columns if c != "geometry"])
            return _table_kind(frame.columns, frame)
    return "unknown"


# ----------------------------------------------------------------------------- cross-file checks


def _cross(checked: list[Checked], stale_ratio: float) -> list[Issue]:
    from .validate_cross import cross_issues

    def make(file, kind, severity, code, params, row=None):
        return Issue(file, kind, severity, code, params, row)

    issues = cross_issues(checked, stale_ratio, make)
    # Consumption larger than the commune's area (layer area when the file has no surfcom).
    layers = [c for c in checked if c.kind == "communes" and c.areas_ha is not None]
    for c in checked:
        if c.kind != "consumption" or c.total_m2 is None or c.surfcom_m2 is not None:
            continue
        for layer in layers:
            tmp = Checked(c.file, c.kind, total_m2=c.total_m2, years=c.years)
            more_than_area(tmp, layer.areas_ha * 10_000.0, Path(layer.file).name)
            issues += tmp.issues
            if tmp.issues:
                break
    return issues


# ----------------------------------------------------------------------------- entry point


def _expand(paths: Iterable[str | os.PathLike[str]]) -> list[tuple[Path, bool]]:
    """Files to check, and whether each was found in a folder (rather than named)."""
    out: list[tuple[Path, bool]] = []
    skip = (".shx", ".dbf", ".prj", ".cpg", ".qmd", ".md", ".part", ".txt", ".pdf", ".xml")
    for p in map(Path, paths):
        if p.is_dir() and not (p / "metadata.json").exists():
            for f in sorted(p.rglob("*")):
                if not f.is_file() or f.name.startswith("."):
                    continue
                low = f.name.lower()
                if f.suffix.lower() in skip or low == "sources.json":
                    continue
                if low.endswith((".7z", ".zip", ".md5")):
                    continue
                if f.suffix.lower() in VECTOR_SUFFIXES + TABLE_SUFFIXES + RASTER_SUFFIXES + (
                    ".toml",
                ):
                    out.append((f, True))
        else:
            out.append((p, False))
    return out


def validate_paths(
    paths: str | os.PathLike[str] | Iterable[str | os.PathLike[str]],
    *,
    kinds: Mapping[str, str] | None = None,
    stale_ratio: float = STALE_RATIO,
) -> Report:
    """Check files, alone and against each other, and report every problem.

    Parameters
    ----------
    paths : path or iterable of paths
        Files (or folders, whose known files are all checked). A scenario adds the
        data files it names.
    kinds : mapping, optional
        File → kind (a key of :data:`KINDS`) for files whose kind is not detected.
    stale_ratio : float, default 0.7
        A commune whose area is below this share of the same code's area in
        another layer is reported as a stale polygon.

    Returns
    -------
    Report
        :meth:`Report.to_text` prints it; :meth:`Report.raise_for_errors` raises
        :class:`zan.errors.ValidationError` when there are errors.

    Examples
    --------
    >>> from zan.datasets import get_path
    >>> r = validate_paths([get_path("communes.gpkg"), get_path("conso_enaf_2009_2023.csv")])
    >>> [i.code for i in r.errors]  # the Cerema file is in COG 2023, the layer in COG 2024
    ['missing_communes', 'cog_mismatch']
    >>> r.errors[1].fix("fr")  # doctest: +ELLIPSIS
    'aligner avec une table de passage...'
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    given = {str(Path(k)): v for k, v in (kinds or {}).items()}
    bad = {k: v for k, v in given.items() if v not in KINDS}
    if bad:
        from .errors import DataError

        raise DataError(
            f"unknown kind(s) {', '.join(f'{k}={v!r}' for k, v in bad.items())}; "
            f"valid kinds: {', '.join(KINDS)}"
        )
    queue = _expand(paths)
    seen: set[Path] = set()
    checked: list[Checked] = []
    while queue:
        path, in_folder = queue.pop(0)
        key = path.resolve()
        if key in seen:
            continue
        seen.add(key)
        kind = given.get(str(path)) or (detect_kind(path) if path.exists() else "unknown")
        if in_folder and kind == "unknown":
            # Found in a folder (a publisher's notice, a nomenclature...): listed, not checked.
            c = Checked(str(path), kind)
            c.add("info", "skipped")
        else:
            c = check_file(path, kind)
        checked.append(c)
        queue += [(extra, False) for extra in c.extra_paths]
    issues = [i for c in checked for i in c.issues] + _cross(checked, stale_ratio)
    return Report(tuple(issues), {c.file: c.kind for c in checked})
