"""Checks across files for :mod:`zan.validate`: the same communes everywhere?

Files are compared by role (:mod:`zan.validate_roles`):

- *complete* commune files (commune layers, membership tables) are compared with
  each other: codes in one and not in the other are a COG vintage mismatch
  (``cog_mismatch``; a warning between two layers, an error otherwise), unless a
  table de passage of the folder maps them (``cog_covered``, a warning: the
  table must be passed when the files are used together);
- *partial* files (a consumption file, a commune → receiving territory table)
  may lack communes: an extract of the Cerema file (under half of the communes)
  is a warning (``partial_consumption``), a file lacking a few communes an error
  (``missing_communes``); communes outside every receiving territory a warning
  (``outside_territories``, DOMAIN.md §1: 111 Hauts-de-France communes are in
  none); their own codes absent from the complete files are a mismatch as above;
- département and région layers are compared with the communes' départements and
  areas; a table of communes déléguées with the communes in force; receiving
  territories with their commune table; layers of the same codes by area (stale
  polygons); tables de passage with the commune files.

Each finding is reported once per file, whatever the number of files that show
it. Files are duck-typed records (``file``, ``kind``, ``codes``, ``areas_ha``,
``passage``, ``facts``); issues are made by the ``make`` callable given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from .io.codes import listed_values as _shorten

__all__ = ["PARTIAL_SHARE", "cross_issues"]

#: A consumption file covering less than this share of a commune file's communes is
#: an extract (warning), not an incomplete file (error).
PARTIAL_SHARE = 0.5
#: Largest relative difference between a département's area and its communes'.
AREA_TOLERANCE = 0.02

_COMPLETE = ("communes", "membership")
_PARTIAL = ("consumption", "territory_membership")


def _dep(codes: pd.Index) -> np.ndarray:
    return np.where(codes.str.startswith("97"), codes.str[:3], codes.str[:2])


def _name(c: Any) -> str:
    return Path(c.file).name


def cross_issues(
    checked: Sequence[Any], stale_ratio: float, make: Callable[..., Any]
) -> list[Any]:
    """Issues found by comparing the files with each other.

    Parameters
    ----------
    checked : sequence
        Per-file records of :mod:`zan.validate`.
    stale_ratio : float
        Area ratio below which a commune is a stale polygon.
    make : callable
        ``make(file, kind, severity, code, params, row)`` → an issue.
    """
    issues: list[Any] = []
    seen: set[tuple[str, str, frozenset[str]]] = set()

    def add(c: Any, severity: str, check: str, *, row: str | None = None, **params: Any) -> None:
        issues.append(make(c.file, c.kind, severity, check, params, row))

    def once(c: Any, check: str, codes: Any) -> bool:
        key = (c.file, check, frozenset(map(str, codes)))
        if key in seen:
            return False
        seen.add(key)
        return True

    complete = [c for c in checked if c.codes is not None and c.kind in _COMPLETE]
    partial = [c for c in checked if c.codes is not None and c.kind in _PARTIAL]
    passages = [c for c in checked if c.passage is not None]
    layers = [c for c in complete if c.kind == "communes"]

    def covered(codes: pd.Index, other: pd.Index) -> tuple[Any, set[str]]:
        """Codes that a table de passage maps onto (or from) a code of ``other``."""
        wanted, present = set(codes), set(other)
        for p in passages:
            moved = p.passage[p.passage["code_from"] != p.passage["code_to"]]
            pairs = zip(moved["code_from"], moved["code_to"], strict=True)
            hit = {x for f, t in pairs for x, y in ((f, t), (t, f)) if x in wanted and y in present}
            if hit:
                return p, hit
        return None, set()

    # Communes of a complete file missing from a partial file: compared with the complete
    # file closest to it (fewest communes missing), so that each gap is said once.
    for b in partial:
        gaps = []
        for a in complete:
            only = a.codes.difference(b.codes)
            _, cov = covered(only, b.codes)
            rest = only.difference(pd.Index(sorted(cov), dtype="str"))
            gaps.append((len(rest), a, rest))
        for _, a, only in sorted(gaps, key=lambda g: g[0])[:1]:
            only = only.sort_values()
            if not len(only):
                continue
            if b.kind == "consumption":
                share = len(a.codes.intersection(b.codes)) / max(len(a.codes), 1)
                if share >= PARTIAL_SHARE:
                    if once(b, "missing_communes", only):
                        add(b, "error", "missing_communes", n=len(only), other=_name(a),
                            values=_shorten(only), codes=list(only))
                elif once(b, "partial_consumption", []):
                    add(b, "warning", "partial_consumption", n=len(only), other=_name(a),
                        covered=len(a.codes.intersection(b.codes)), total=len(a.codes),
                        values=_shorten(only), codes=list(only))
            elif once(b, "outside_territories", only):
                add(b, "warning", "outside_territories", n=len(only), total=len(a.codes),
                    other=_name(a), values=_shorten(only), codes=list(only))

    # Codes of one file absent from a complete file.
    for a in complete + partial:
        for b in complete:
            if a is b:
                continue
            codes_a, codes_b = a.codes, b.codes
            if a.kind == "consumption":  # a national file: compare on b's départements
                codes_a = codes_a[np.isin(_dep(codes_a), list(set(_dep(codes_b))))]
            only_a = codes_a.difference(codes_b).sort_values()
            if not len(only_a):
                continue
            p, cov = covered(only_a, codes_b)
            if cov:
                shown = sorted(cov)
                if once(a, "cog_covered", shown):
                    add(a, "warning", "cog_covered", n=len(shown), other=_name(b),
                        passage=_name(p), values=_shorten(shown), codes=shown)
                only_a = only_a.difference(pd.Index(shown, dtype="str"))
                if not len(only_a):
                    continue
            only_b = codes_b.difference(codes_a)
            same_area = (
                a.areas_ha is not None
                and b.areas_ha is not None
                and abs(a.areas_ha.sum() - b.areas_ha.sum()) <= 0.02 * b.areas_ha.sum()
            )
            if not len(only_b) and (same_area or len(codes_a) > len(codes_b)):
                reason = f"communes merged since (this file follows an older COG than {_name(b)})"
                reason_fr = (
                    f"communes fusionnées depuis (ce fichier suit un COG plus ancien que {_name(b)})"
                )
                if not same_area:
                    reason += f", or communes missing from {_name(b)}"
                    reason_fr += f", ou communes manquantes dans {_name(b)}"
            elif len(only_b):
                reason = (
                    "the two files follow different COG vintages "
                    "(merged, split or recoded communes)"
                )
                reason_fr = (
                    "les deux fichiers suivent des millésimes du COG différents (communes "
                    "fusionnées, scindées ou recodées)"
                )
            else:
                reason = f"communes missing from {_name(b)}"
                reason_fr = f"communes manquantes dans {_name(b)}"
            severity = "warning" if a.kind == b.kind == "communes" else "error"
            if once(a, "cog_mismatch", only_a):
                add(a, severity, "cog_mismatch", n=len(only_a), other=_name(b),
                    values=_shorten(only_a), codes=list(only_a), reason=reason,
                    reason_fr=reason_fr)

    # Stale polygons: same codes, much smaller area in one layer.
    for a in layers:
        for b in layers:
            if a is b or a.areas_ha is None or b.areas_ha is None:
                continue
            if set(a.codes) != set(b.codes):
                continue  # different COG vintages: merges explain area changes
            ratio = (a.areas_ha / b.areas_ha.reindex(a.areas_ha.index)).dropna()
            for code in ratio.index[(ratio < stale_ratio).to_numpy()].sort_values():
                add(a, "warning", "stale_polygon", row=code, code=code,
                    area=float(a.areas_ha[code]), other_area=float(b.areas_ha[code]),
                    other=_name(b), ratio=float(ratio[code]))

    _area_layers(checked, complete, layers, add, once)
    _territories(checked, add)

    # Chefs-lieux of communes déléguées: communes in force.
    known = set().union(*(set(c.codes) for c in complete)) if complete else set()
    for d in checked:
        if d.kind != "delegated" or not known:
            continue
        unknown = sorted(set(d.facts.get("parents", ())) - known)
        if unknown:
            add(d, "warning", "delegated_unknown_parent", n=len(unknown), values=_shorten(unknown))

    # Tables de passage leading to codes that no commune file knows.
    reference = layers or [c for c in complete if c.kind == "membership"]
    targets = set().union(*(set(c.codes) for c in reference)) if reference else set()
    deps = set().union(*(set(_dep(c.codes)) for c in reference)) if reference else set()
    for p in passages:
        if not targets:
            break
        unknown = sorted(set(p.passage["code_to"]) - targets)
        unknown = [u for u in unknown if (u[:3] if u.startswith("97") else u[:2]) in deps]
        if unknown:
            add(p, "warning", "passage_unknown_targets", n=len(unknown), values=_shorten(unknown))
    return issues


def _area_layers(checked, complete, layers, add, once) -> None:
    """Département layers against the communes' départements and areas."""
    deps_of = {c.file: set(_dep(c.codes)) for c in complete}
    for d in checked:
        if d.kind != "departements" or "area_codes" not in d.facts:
            continue
        have = d.facts["area_codes"]
        for c in complete:
            lacking = sorted(deps_of[c.file] - have)
            if lacking and once(d, "area_not_covered", lacking):
                add(d, "warning", "area_not_covered", n=len(lacking), what="départements",
                    what_fr="départements", other=_name(c), values=_shorten(lacking))
        areas = d.facts.get("area_ha")
        if areas is None:
            continue
        for layer in layers:
            if layer.areas_ha is None:
                continue
            sums = layer.areas_ha.groupby(_dep(layer.areas_ha.index.astype("str"))).sum()
            common = areas.index.intersection(sums.index)
            diff = (sums[common] - areas[common]) / areas[common]
            for code in common[(diff.abs() > AREA_TOLERANCE).to_numpy()]:
                add(d, "warning", "area_differs", row=str(code), what="département",
                    what_fr="département", code=str(code), area=float(areas[code]),
                    other_area=float(sums[code]), other=_name(layer), diff=float(diff[code]))


def _territories(checked, add) -> None:
    """Receiving territories against their commune table."""
    tables = [c for c in checked if c.kind == "territories" and "territory_ids" in c.facts]
    members = [c for c in checked if c.kind == "territory_membership" and "territory_of" in c.facts]
    for t in tables:
        for m in members:
            of = m.facts["territory_of"]
            unknown = sorted(set(of) - t.facts["territory_ids"])
            if unknown:
                add(m, "error", "territory_unknown_ids", n=len(unknown), other=_name(t),
                    values=_shorten(unknown))
            empty = sorted(t.facts["territory_ids"] - set(of))
            if empty:
                add(t, "warning", "territory_without_communes", n=len(empty), other=_name(m),
                    values=_shorten(empty))
            counts = t.facts.get("territory_counts")
            if counts is not None:
                actual = of.value_counts().reindex(counts.index, fill_value=0)
                off = counts.index[(actual != counts).to_numpy()]
                if len(off):
                    shown = [f"{i} ({int(counts[i])} / {int(actual[i])})" for i in off]
                    add(t, "warning", "territory_count_differs", n=len(off), other=_name(m),
                        column=t.facts.get("territory_count_column", "n_communes"),
                        values=_shorten(shown))
