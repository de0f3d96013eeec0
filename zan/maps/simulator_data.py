"""The data of the live simulator: what the page needs to recompute an allocation.

:func:`simulator_data` turns a single-level scenario, prepared once
(:func:`zan.scenario.prepare_scenario`), into a JSON-ready dict: per territory (in code
order, the order zan's rounding breaks ties in) its code, name, reference consumption,
each criterion's raw values (the rule times its modulation, as
:func:`zan.cascade.criteria_raw` gives them), its eligible communes for the garantie
communale and an SVG outline; the envelope's terms (reference, tolerance, PENE,
reserve: DOMAIN.md §5); the scenario's settings (:data:`SETTING_KEYS`); the scenario
as a TOML-ready dict with absolute data paths; the SHA-256 of its data files; and the
baseline's envelopes. ``zan/maps/static/zan_sim_engine.js`` recomputes zan's allocation
from it float for float; :mod:`zan.maps.simulator` writes the page.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..cascade import criteria_raw, sorted_table
from ..errors import ScenarioError
from ..formatting import LEVEL_LABELS

__all__ = ["SETTING_KEYS", "simulator_data", "scenario_settings", "svg_paths"]

#: The settings the simulator lets one change, as ``window.zanSimulator.set`` takes them.
SETTING_KEYS = (
    "weights",
    "reduction",
    "reserve_share",
    "garantie",
    "garantie_ha",
    "floor_ha",
    "floor_share",
    "cap_ha",
    "cap_share",
    "resolution",
    "rounding",
)

#: Width of the SVG drawing, in its own units.
SVG_WIDTH = 1000.0


def _prepared(source: Any) -> Any:
    """A PreparedScenario from an Allocation run from a scenario, a Scenario or a path."""
    from ..scenario import PreparedScenario, prepare_scenario

    if isinstance(source, PreparedScenario):
        return source
    prep = getattr(source, "prepared", None)
    if isinstance(prep, PreparedScenario):
        return prep
    if hasattr(source, "tables"):
        raise ScenarioError(
            "the simulator needs an allocation run from a scenario (zan.run_scenario) or "
            "the scenario itself: this one was computed from tables"
        )
    return prepare_scenario(source)


def scenario_settings(prep: Any) -> dict[str, Any]:
    """The scenario's own settings, in the simulator's terms (:data:`SETTING_KEYS`).

    Parameters
    ----------
    prep : PreparedScenario

    Returns
    -------
    dict
        ``reduction`` is None when the envelope is given in hectares or published by
        the region; ``reserve_share`` is None when the reserve is given in hectares.

    Examples
    --------
    >>> from zan.datasets import scenario_path
    >>> from zan.scenario import prepare_scenario
    >>> s = scenario_settings(prepare_scenario(scenario_path("02_consommation_population")))
    >>> s["weights"], s["reduction"], s["garantie"], s["rounding"]
    ([0.5, 0.5], 0.5, True, 'largest_remainder')
    """
    sc = prep.scenario
    env = prep.envelope
    e = sc.envelope
    fl = sc.floors
    if e.reserve_ha is not None:
        reserve_share = None
    else:
        reserve_share = float(e.reserve_share) if e.reserve_share is not None else 0.0
    return {
        "weights": [float(c.weight) for c in sc.criteria],
        "reduction": None if env.reduction is None else float(env.reduction),
        "reserve_share": reserve_share,
        "garantie": bool(fl.garantie_communale),
        "garantie_ha": float(_garantie_ha(prep)),
        "floor_ha": float(fl.ha),
        "floor_share": float(fl.share_of_reference),
        "cap_ha": None if sc.caps.ha is None else float(sc.caps.ha),
        "cap_share": None
        if sc.caps.share_of_reference is None
        else float(sc.caps.share_of_reference),
        "resolution": float(sc.allocation.resolution),
        "rounding": sc.allocation.rounding,
    }


def _garantie_ha(prep: Any) -> float:
    fl = prep.scenario.floors
    if fl.ha_per_commune is not None:
        return float(fl.ha_per_commune)
    return float(prep.envelope.profile.garantie_communale.ha_per_commune)


def _eligible_counts(prep: Any, codes: pd.Index) -> np.ndarray:
    """Eligible communes per territory (every commune when the scenario names none)."""
    fl = prep.scenario.floors
    communes = prep.communes
    if fl.eligible_column is not None and fl.eligible_column in communes.columns:
        from ..garantie import garantie_floors

        flag = garantie_floors(communes[fl.eligible_column], communes=communes.index) > 0
    elif fl.eligible is not None:
        flag = pd.Series(communes.index.isin([str(c) for c in fl.eligible]), index=communes.index)
    else:
        flag = pd.Series(True, index=communes.index)
    level = prep.levels[-1]
    assign = communes.index.to_series() if level == "commune" else communes[level].astype(str)
    counts = flag.astype(int).groupby(assign.to_numpy()).sum()
    return counts.reindex(codes).fillna(0).to_numpy(dtype=np.int64)


def _absolute(sc: Any, value: str, key: str) -> str:
    """A data path as the exported scenario writes it: shipped names kept, others absolute."""
    from ..scenario import resolve_path

    if value.startswith(("demo:", "region:")):
        return value
    return str(Path(resolve_path(sc, value, key)).resolve())


def scenario_dict(prep: Any) -> dict[str, Any]:
    """The scenario as written in its file, with every data path made absolute."""
    sc = prep.scenario
    data = sc.model_dump(mode="json", exclude_unset=True, exclude={"sensitivity"})
    d = data.get("data", {})
    for key in ("communes", "membership", "consumption", "passage"):
        if d.get(key):
            d[key] = _absolute(sc, d[key], f"data.{key}")
    for name, level in (d.get("levels") or {}).items():
        for key in ("territories", "membership"):
            if isinstance(level.get(key), str):
                level[key] = _absolute(sc, level[key], f"data.levels.{name}.{key}")
    for i, crit in enumerate(data.get("criteria", [])):
        table = (crit.get("params") or {}).get("table")
        if isinstance(table, str):
            crit["params"]["table"] = _absolute(sc, table, f"criteria[{i}].params.table")
    env = data.get("envelope", {})
    for key in ("profile", "region"):
        if isinstance(env.get(key), str) and env[key].endswith(".toml"):
            env[key] = _absolute(sc, env[key], f"envelope.{key}")
    return data


def data_hashes(prep: Any) -> dict[str, dict[str, str]]:
    """The SHA-256 of each data file the scenario reads, as ``sources.json`` gives them."""
    from .._write import sha256_file
    from ..scenario import scenario_inputs

    out = {}
    for key, path in sorted(scenario_inputs(prep.scenario).items()):
        if key == "scenario":
            continue
        out[key] = {"file": str(Path(path).resolve()), "sha256": sha256_file(path)}
    return out


def svg_paths(geoms: Any, *, width: float = SVG_WIDTH) -> tuple[list[str], float, float]:
    """SVG path data of polygons (projected, metres), simplified, y pointing down.

    Parameters
    ----------
    geoms : geopandas.GeoSeries
        Polygons in a projected CRS.
    width : float
        Width of the drawing.

    Returns
    -------
    paths, width, height

    Examples
    --------
    >>> import geopandas as gpd
    >>> from shapely.geometry import box
    >>> d, w, h = svg_paths(gpd.GeoSeries([box(0, 0, 1000, 500)], crs="EPSG:2154"))
    >>> d[0][:1], w, h
    ('M', 1000.0, 500.0)
    """
    import shapely

    minx, miny, maxx, maxy = (float(v) for v in geoms.total_bounds)
    scale = width / max(maxx - minx, maxy - miny, 1e-9)
    height = (maxy - miny) * scale
    width_out = (maxx - minx) * scale
    out = []
    for geom in geoms:
        parts = [] if geom is None or geom.is_empty else shapely.get_parts(geom)
        d = []
        for poly in parts:
            if poly.geom_type != "Polygon":
                continue
            for ring in [poly.exterior, *poly.interiors]:
                xy = np.asarray(ring.coords)
                px = np.round((xy[:, 0] - minx) * scale, 1)
                py = np.round((maxy - xy[:, 1]) * scale, 1)
                pts = " ".join(f"{x:g} {y:g}" for x, y in zip(px[:-1], py[:-1], strict=True))
                d.append(f"M{pts}Z")
        out.append("".join(d))
    return out, round(width_out, 1), round(height, 1)


def _geometry(prep: Any, codes: pd.Index) -> dict[str, Any]:
    from ._geometry import simplify

    level = prep.levels[-1]
    geoms = prep.territories.geometries(level)
    geoms.index = geoms.index.astype(str)
    geoms = geoms.reindex(codes)
    if geoms.geometry.isna().any():
        missing = codes[geoms.geometry.isna().to_numpy()]
        raise ScenarioError(
            f"the simulator found no boundary for {len(missing)} territories "
            f"({', '.join(missing[:5])}); check the commune layer"
        )
    simple = simplify(geoms, source=f"territories ({level})")
    d, w, h = svg_paths(simple)
    return {"d": d, "width": w, "height": h}


def _baseline(baseline: Any, codes: pd.Index, default: Any) -> dict[str, Any]:
    from ..scenario import run_scenario

    alloc = default if baseline is None else baseline
    if not hasattr(alloc, "tables"):
        alloc = run_scenario(alloc)
    table = alloc.table.copy()
    table.index = table.index.astype(str)
    missing = codes.difference(table.index)
    if len(missing) == len(codes):
        raise ScenarioError(
            f"the baseline ({alloc.name}) is at level {alloc.level!r} and shares no territory "
            "with the simulated scenario; give a baseline at the same level"
        )
    table = table.reindex(codes)
    return {
        "name": str(alloc.name or "référence"),
        "envelope_ha": table["envelope_ha"].to_numpy(dtype=np.float64),
        "reduction_pct": table["reduction_pct"].to_numpy(dtype=np.float64),
    }


def simulator_data(source: Any, *, baseline: Any = None) -> dict[str, Any]:
    """Everything the simulator page needs, JSON-ready (see the module docstring).

    Parameters
    ----------
    source : Allocation, PreparedScenario, Scenario or path
        A single-level scenario whose targets are scaled (``scale_targets = true``).
    baseline : Allocation, Scenario or path, optional
        The allocation shown as the reference for differences; default the scenario
        as given.

    Returns
    -------
    dict

    Raises
    ------
    ScenarioError
        A cascade, unscaled targets, a baseline at another level.

    Examples
    --------
    >>> from zan.datasets import scenario_path
    >>> d = simulator_data(scenario_path("02_consommation_population"))
    >>> len(d["codes"]), [c["key"] for c in d["criteria"]]
    (20, ['consommation', 'population'])
    """
    prep = _prepared(source)
    sc = prep.scenario
    if len(prep.levels) > 1:
        raise ScenarioError(
            f"{sc.source}: the simulator works on one allocation level; this scenario is a "
            f"cascade ({' → '.join(prep.levels)}): simulate one of its levels "
            "([allocation] level = ...)"
        )
    if not sc.allocation.scale_targets:
        raise ScenarioError(
            f"{sc.source}: the simulator scales the criteria to the envelope; this scenario "
            "keeps its target rates as they are (scale_targets = false): remove that line "
            "to simulate it"
        )
    table = sorted_table(prep.table, "the territory table")
    codes = pd.Index(table.index.astype(str))
    raw, _ = criteria_raw(table, prep.criteria, strict_codes=True)
    from ..rules import get_rule

    ref = pd.to_numeric(table["reference_ha"], errors="coerce").to_numpy(np.float64)
    env = prep.envelope
    pene_with_reduction = env.pene_ha if env.pene_mode in ("perequation", "hectares") else 0.0
    level = prep.levels[0]
    default_run = None
    if baseline is None:
        from ..scenario import run_scenario

        default_run = source if hasattr(source, "tables") else run_scenario(prep)
    return {
        "name": sc.scenario.name,
        "level": level,
        "level_label": LEVEL_LABELS.get(level, level),
        "codes": list(codes),
        "names": table["nom"].astype(str).tolist() if "nom" in table.columns else list(codes),
        "ref": [None if not math.isfinite(v) else float(v) for v in ref],
        "raw": [raw[:, c].astype(np.float64).tolist() for c in range(raw.shape[1])],
        "criteria": [
            {"key": c.key, "label": get_rule(c.rule).label, "rule": c.rule} for c in prep.criteria
        ],
        "gar_n": _eligible_counts(prep, codes).tolist(),
        "env": {
            "reference_ha": float(env.reference_ha),
            "regional_ha": float(env.regional_ha),
            "tolerance": float(env.tolerance),
            "pene_mode": env.pene_mode,
            "pene_with_reduction_ha": float(pene_with_reduction),
            "reserve_ha": float(env.reserve_ha),
        },
        "settings": scenario_settings(prep),
        "scenario": scenario_dict(prep),
        "sources": data_hashes(prep),
        "baseline": _baseline(baseline, codes, default_run),
        "geometry": _geometry(prep, codes),
    }
