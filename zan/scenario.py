"""Scenario files: a TOML description of an allocation run, validated and immutable.

A scenario names its data (paths relative to the scenario file, or ``demo:<name>`` for
the demo files shipped with zan), the envelope (legal profile, reference period,
reduction or hectares, PENE, regional reserve), the allocation level (``commune``,
``epci``, ``scot``... or ``cascade``), the criteria with their weights, the floors
(garantie communale, minimum shares), the caps, and the rounding::

    [scenario]
    name = "Consommation et population"

    [data]
    communes = "demo:communes.gpkg"
    membership = "demo:communes.csv"
    consumption = "demo:conso_enaf_2009_2023.csv"
    passage = "demo:passage_cog2023_cog2024.csv"

    [envelope]
    reduction = 0.5
    pene = "perequation"

    [allocation]
    level = "epci"

    [[criteria]]
    name = "consommation"
    rule = "past_consumption"
    weight = 0.5

    [[criteria]]
    name = "population"
    rule = "indicator"
    weight = 0.5
    params = { column = "population" }

    [floors]
    garantie_communale = true

A level that is not administrative (the receiving territories of a SRADDET) is added
from a territory table and a commune → territory table, then used like ``epci``
(:mod:`zan.scenario_levels`; communes outside every territory are left out of the
allocation and listed in :attr:`~zan.allocate.Allocation.unassigned`)::

    [data.levels.sraddet]
    territories = "region:hdf/territoires_sraddet_hdf_2024.csv"
    membership = "region:hdf/communes_territoires_sraddet_hdf_2024.csv"

    [allocation]
    level = "sraddet"

Data paths are relative to the scenario file; ``demo:<name>`` names a demo file and
``region:<region>/<name>`` a reference table shipped in ``data/regions/``. Any value can
be overridden without editing the file: ``load_scenario(path, overrides={"envelope.
reduction": 0.55})``, ``zan allocate S.toml --set data.consumption=conso.csv``
(:mod:`zan.scenario_overrides`; validated like the file; the hash changes).

:func:`load_scenario` reads and validates a file (every error is a
:class:`~zan.errors.ScenarioError` naming the file, the key and the fix),
:func:`run_scenario` computes the :class:`~zan.allocate.Allocation`,
:func:`scenario_schema` gives the JSON Schema (for editor completion) and
:func:`sensitivity` evaluates thousands of weight vectors on the same data at once.
The files shipped in ``data/scenarios/`` are documented in its README.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator
from pydantic import ValidationError as _PydanticValidationError

from .allocate import (
    Allocation,
    BatchAllocation,
    BatchProblem,
    allocate,
    allocate_cascade,
    garantie_floors,
)
from .cascade import aggregate
from .envelope import DEFAULT_PROFILE, Envelope, available_profiles, load_profile, regional_envelope
from .errors import InfeasibleError, ScenarioError, ZanError
from .garantie import eligibility_warning, garantie_levels, warn
from .rules import Criterion, Modulation, evaluate_rule, get_rule, rule_names, rule_parameters
from .scenario_levels import (
    LevelConfig,
    add_scenario_levels,
    check_level_names,
    envelope_comparison,
    level_files,
    split_unassigned,
)
from .scenario_overrides import apply_overrides
from .sensitivity import SensitivityConfig

__all__ = [
    "Scenario",
    "PreparedScenario",
    "load_scenario",
    "run_scenario",
    "prepare_scenario",
    "load_consumption",
    "scenario_inputs",
    "scenario_schema",
    "sensitivity",
]

_HINTS = {
    "envelope.reduction": "write 0.5 for a 50 % reduction",
    "envelope.reserve_share": "write 0.05 for 5 % of the regional envelope",
    "envelope.tolerance": "write 0.2 for +20 %",
    "allocation.resolution": "e.g. 0.01 ha",
    "allocation.level": "e.g. 'epci', 'scot', 'commune' or 'cascade'",
    "envelope.pene": "write a number of hectares, 'perequation' or 'none'",
}


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScenarioInfo(_Model):
    """``[scenario]``: name and description."""

    name: str = Field(description="Short name of the scenario, shown in reports.")
    description: str = Field("", description="What the scenario tests, in plain words.")


class DataConfig(_Model):
    """``[data]``: input files, relative to the scenario file or ``demo:<name>``."""

    communes: str = Field(description="Commune layer (GeoPackage, GeoJSON, shapefile...).")
    communes_layer: str | None = Field(None, description="Layer name inside the file.")
    membership: str | None = Field(
        None, description="Territory table (commune → EPCI, SCoT..., indicators)."
    )
    consumption: str | None = Field(
        None, description="Cerema ENAF consumption file (gives reference_ha per commune)."
    )
    passage: str | None = Field(
        None, description="COG passage table to align the consumption codes on the communes."
    )
    levels: dict[str, LevelConfig] | None = Field(
        None,
        description="Added territory levels (receiving territories of a SRADDET...): "
        "name → territory table and commune → territory table (see zan.scenario_levels).",
    )

    @field_validator("levels")
    @classmethod
    def _level_names(cls, v: dict[str, LevelConfig] | None) -> dict[str, LevelConfig] | None:
        check_level_names(v)
        return v


#: Optional keys added after scenario hashes were first recorded (in ledgers and
#: ``sources.json``): left out of the hash while unset, so that those hashes still match.
_HASHED_WHEN_SET = (
    ("envelope", "target_period"),
    ("envelope", "region"),
    ("floors", "garantie_pooling"),
    ("data", "levels"),
)


class EnvelopeConfig(_Model):
    """``[envelope]``: the regional envelope (see zan.envelope)."""

    profile: str = Field(DEFAULT_PROFILE, description="Legal profile: loi_2023 or trace_2025.")
    reference_period: tuple[int, int] | None = Field(
        None, description="Reference years, both included (default: the profile's)."
    )
    target_period: tuple[int, int] | None = Field(
        None,
        description="Years the envelope is for, both included (default: the profile's); "
        "e.g. [2031, 2040] for the SRADDET's second decade (net artificialisation).",
    )
    reference_ha: float | None = Field(
        None, ge=0, description="Regional reference consumption given directly (ha)."
    )
    reduction: float | None = Field(
        None, ge=0, le=1, description="Reduction (0.5 = -50 %); default: the profile's."
    )
    envelope_ha: float | None = Field(
        None, ge=0, description="Gross envelope given directly (ha), instead of a reduction."
    )
    pene: float | Literal["none", "perequation"] = Field(
        "none", description="PENE taken off: hectares, 'perequation' or 'none'."
    )
    reserve_ha: float | None = Field(None, ge=0, description="Regional reserve (ha).")
    reserve_share: float | None = Field(
        None, ge=0, le=1, description="Regional reserve as a share of the regional envelope."
    )
    tolerance: float | None = Field(None, ge=0, description="Override the profile's tolerance.")
    national_reference_ha: float | None = Field(
        None, gt=0, description="Override ΣC_ref of the SRADDET regions for the péréquation."
    )
    region: str | None = Field(
        None,
        description="The region: a shipped name ('hdf'), an INSEE code or a region.toml. "
        "Without reduction nor envelope_ha, its published envelope is the envelope (PENE "
        "already off); the péréquation is refused for a region without a SRADDET.",
    )

    @field_validator("pene", mode="before")
    @classmethod
    def _pene(cls, v: Any) -> Any:
        if isinstance(v, bool):
            raise ValueError("write a number of hectares, 'perequation' or 'none'")
        if isinstance(v, (int, float)) and (v < 0 or not math.isfinite(v)):
            raise ValueError(f"must be >= 0 hectares (got {v!r})")
        return v

    @field_validator("profile")
    @classmethod
    def _profile(cls, v: str) -> str:
        if not v.endswith(".toml") and v not in available_profiles():
            raise ValueError(
                f"unknown legal profile {v!r}; valid profiles: {', '.join(available_profiles())}"
            )
        return v

    @model_validator(mode="after")
    def _exclusive(self) -> EnvelopeConfig:
        if self.reduction is not None and self.envelope_ha is not None:
            raise ValueError("give either 'reduction' or 'envelope_ha', not both")
        if self.reserve_ha is not None and self.reserve_share is not None:
            raise ValueError("give either 'reserve_ha' or 'reserve_share', not both")
        for name in ("reference_period", "target_period"):
            years = getattr(self, name)
            if years and years[0] > years[1]:
                raise ValueError(f"{name!r} must be [first, last] (got {list(years)})")
        return self


_LEVELS_HINT = "commune, epci, scot, departement, region or cascade"


class AllocationConfig(_Model):
    """``[allocation]``: level, cascade, rounding."""

    level: str = Field("epci", description=f"Allocation level: {_LEVELS_HINT}.")
    cascade: tuple[str, ...] = Field(
        ("scot", "epci", "commune"), description="Levels of a cascade, from the top down."
    )
    rounding: Literal["largest_remainder", "sainte_lague"] = Field(
        "largest_remainder", description="Rounding method."
    )
    resolution: float = Field(0.01, gt=0, description="Rounding resolution (ha).")
    normalise: bool = Field(False, description="Rescale criteria weights to sum to 1.")
    scale_targets: bool = Field(
        True, description="False keeps rate targets unscaled; the rest stays at regional level."
    )


class ModulationConfig(_Model):
    """``modulation``: coefficients per territory class or code."""

    column: str | None = Field(None, description="Class column (e.g. armature).")
    values: dict[str, float] = Field(default_factory=dict, description="Class → coefficient.")
    codes: dict[str, float] = Field(default_factory=dict, description="Code → coefficient.")
    default: float = Field(1.0, ge=0, description="Coefficient of the other territories.")


class CriterionConfig(_Model):
    """``[[criteria]]``: one rule, its weight, parameters and modulation."""

    rule: str = Field(description="Rule name.", json_schema_extra={"enum": rule_names()})
    name: str | None = Field(
        None,
        pattern=r"^[a-z][a-z0-9_]*$",
        description="Criterion name (column <name>_ha); default the rule name.",
    )
    weight: float = Field(1.0, ge=0, description="Weight in the blend.")
    params: dict[str, Any] = Field(default_factory=dict, description="Rule parameters.")
    modulation: ModulationConfig | None = None

    @field_validator("rule")
    @classmethod
    def _rule(cls, v: str) -> str:
        _rule_or_value_error(v)
        return v

    @model_validator(mode="after")
    def _params(self) -> CriterionConfig:
        valid = rule_parameters(self.rule)
        for key in self.params:
            if key not in valid:
                raise ValueError(
                    f"unknown parameter {key!r} for rule {self.rule!r}; valid parameters: "
                    f"{', '.join(valid) or '(none)'}"
                )
        required = [
            p for p, spec in valid.items() if spec.default is spec.empty and p not in self.params
        ]
        if required:
            raise ValueError(
                f"rule {self.rule!r} needs the parameter {required[0]!r}; add it to 'params'"
            )
        if self.modulation is not None and not get_rule(self.rule).modulable:
            raise ValueError(
                f"rule {self.rule!r} does not allow modulation (its rates are given); "
                "remove 'modulation'"
            )
        return self

    def to_criterion(self, params: dict[str, Any] | None = None) -> Criterion:
        """The :class:`~zan.rules.Criterion` this entry describes."""
        mod = None
        if self.modulation is not None:
            m = self.modulation
            mod = Modulation(m.column, dict(m.values), dict(m.codes), m.default)
        return Criterion(
            rule=self.rule,
            weight=self.weight,
            params=dict(self.params if params is None else params),
            name=self.name,
            modulation=mod,
        )


def _rule_or_value_error(name: str) -> None:
    try:
        get_rule(name)
    except ScenarioError as exc:
        raise ValueError(str(exc)) from None


class FloorsConfig(_Model):
    """``[floors]``: garantie communale and minimum envelopes."""

    garantie_communale: bool = Field(
        False, description="Apply the garantie communale (1 ha per eligible commune)."
    )
    eligible_column: str | None = Field(
        None, description="Yes/no column of the territory table; default: every commune."
    )
    eligible: tuple[str, ...] | None = Field(None, description="Eligible commune codes.")
    garantie_pooling: Literal["commune", "epci"] | None = Field(
        None,
        description="'commune' (default): each eligible commune keeps 1 ha on its own; "
        "'epci': pooled at intercommunal level, at the communes' request (loi 2023-630 art. 4).",
    )
    ha_per_commune: float | None = Field(
        None, ge=0, description="Hectares per commune (default: the profile's, 1 ha)."
    )
    ha: float = Field(0.0, ge=0, description="Floor per territory (ha).")
    share_of_reference: float = Field(
        0.0, ge=0, description="Floor as a share of the territory's reference consumption."
    )

    @model_validator(mode="after")
    def _one_eligibility(self) -> FloorsConfig:
        if self.eligible_column is not None and self.eligible is not None:
            raise ValueError("give either 'eligible_column' or 'eligible', not both")
        return self

    @property
    def pooling(self) -> str:
        """The garantie communale's mode: ``garantie_pooling``, ``"commune"`` when unset."""
        return self.garantie_pooling or "commune"


class CapsConfig(_Model):
    """``[caps]``: maximum envelopes."""

    ha: float | None = Field(None, ge=0, description="Cap per territory (ha).")
    share_of_reference: float | None = Field(
        None,
        ge=0,
        description="Cap as a share of the reference consumption (1.0 = no more "
        "than in the reference period).",
    )


class Scenario(_Model):
    """A validated, immutable scenario (see the module docstring for the layout).

    Build it with :func:`load_scenario`; ``Scenario.model_validate(dict)`` also works
    (paths are then relative to the current folder).

    Examples
    --------
    >>> from zan.datasets import get_path
    >>> sc = Scenario.model_validate({
    ...     "scenario": {"name": "test"},
    ...     "data": {"communes": "demo:communes.gpkg", "membership": "demo:communes.csv"},
    ...     "criteria": [{"rule": "indicator", "params": {"column": "population"}}],
    ...     "envelope": {"envelope_ha": 1000},
    ... })
    >>> sc.allocation.level, len(sc.hash)
    ('epci', 64)
    """

    scenario: ScenarioInfo
    data: DataConfig
    envelope: EnvelopeConfig = Field(default_factory=EnvelopeConfig)
    allocation: AllocationConfig = Field(default_factory=AllocationConfig)
    criteria: tuple[CriterionConfig, ...] = Field(min_length=1)
    floors: FloorsConfig = Field(default_factory=FloorsConfig)
    caps: CapsConfig = Field(default_factory=CapsConfig)
    sensitivity: SensitivityConfig | None = Field(
        None, description="What varies in zan sensitivity (see zan.sensitivity); not hashed."
    )

    _path: Path | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _weights(self) -> Scenario:
        names = [c.name or c.rule for c in self.criteria]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError(
                f"criterion name {dup[0]!r} is used twice; give each criterion its own 'name'"
            )
        total = sum(c.weight for c in self.criteria)
        if not self.allocation.normalise and abs(total - 1.0) > 1e-9:
            listing = ", ".join(
                f"{n}={c.weight:g}" for n, c in zip(names, self.criteria, strict=True)
            )
            raise ValueError(
                f"the criteria weights sum to {total:.6g}, not 1 ({listing}); fix them or set "
                "normalise = true in [allocation]"
            )
        if self.allocation.normalise and total <= 0:
            raise ValueError("the criteria weights are all zero; give at least one a weight")
        if self.allocation.level == "cascade" and not self.allocation.scale_targets:
            raise ValueError("a cascade scales its targets; remove scale_targets = false")
        return self

    @property
    def path(self) -> Path | None:
        """The scenario file, when loaded from one."""
        return self._path

    @property
    def base_dir(self) -> Path:
        """Folder that relative paths are resolved against."""
        return self._path.parent if self._path is not None else Path.cwd()

    @property
    def source(self) -> str:
        """Name used in messages: the file, or ``<scenario name>``."""
        return str(self._path) if self._path is not None else f"<{self.scenario.name}>"

    @property
    def hash(self) -> str:
        """sha256 of the normalised content (defaults filled, keys sorted, JSON).

        Two files that say the same thing (order of keys, comments, spacing, omitted
        defaults) have the same hash; paths count as written.
        """
        data = self.model_dump(mode="json", exclude={"sensitivity"})
        for section, key in _HASHED_WHEN_SET:  # keys added later: old hashes stay valid
            if data.get(section, {}).get(key, ...) is None:
                del data[section][key]
        text = json.dumps(data, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def _repr_html_(self) -> str:
        from .notebook import scenario_html

        return scenario_html(self)

    def criteria_objects(self) -> list[Criterion]:
        """The criteria as :class:`~zan.rules.Criterion` (table paths not yet read)."""
        return [c.to_criterion() for c in self.criteria]


# ============================================================================ loading
def _dotted(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _valid_keys(loc: tuple[Any, ...]) -> list[str]:
    """Keys allowed at the parent of ``loc`` (for 'unknown key' messages)."""
    model: Any = Scenario
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return []
        ann = field.annotation
        args = getattr(ann, "__args__", ())
        cand = [a for a in (ann, *args) if isinstance(a, type) and issubclass(a, BaseModel)]
        if not cand:
            for a in args:
                cand += [
                    b
                    for b in getattr(a, "__args__", ())
                    if isinstance(b, type) and issubclass(b, BaseModel)
                ]
        if not cand:
            return []
        model = cand[0]
    return list(model.model_fields)


def _convert_error(source: str, exc: _PydanticValidationError) -> ScenarioError:
    lines, seen = [], set()
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        # unions report the branch tried; keep the path only
        loc = tuple(p for p in loc if p not in ("float", "literal['none','perequation']"))
        key = _dotted(loc)
        if key in seen:  # a union reports each branch: keep the first
            continue
        seen.add(key)
        etype = err["type"]
        value = err.get("input")
        if etype == "extra_forbidden":
            valid = _valid_keys(loc)
            msg = f"unknown key {key!r}"
            if valid:
                msg += f"; valid keys here: {', '.join(valid)}"
            msg += "; remove it or fix its spelling"
        elif etype == "missing":
            msg = f"key {key!r} is missing; add it"
        elif etype in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
            ctx = err.get("ctx", {})
            bound = next(iter(ctx.values())) if ctx else "?"
            bound = f"{bound:g}" if isinstance(bound, (int, float)) else bound
            op = {
                "greater_than_equal": ">=",
                "less_than_equal": "<=",
                "greater_than": ">",
                "less_than": "<",
            }[etype]
            msg = f"key {key!r} must be {op} {bound} (got {value!r})"
            hint = _HINTS.get(key.split("[")[0] if "[" not in key else key)
            if hint:
                msg += f"; {hint}"
        else:
            text = err["msg"].removeprefix("Value error, ")
            msg = f"key {key!r}: {text}"
            if value is not None and etype not in ("value_error",) and not isinstance(value, dict):
                msg += f" (got {value!r})"
            hint = _HINTS.get(key)
            if hint and etype != "value_error":
                msg += f"; {hint}"
        lines.append(msg)
    # one error per key, in order
    uniq = list(dict.fromkeys(lines))
    return ScenarioError(
        f"{source}: "
        + "; ".join(uniq[:1])
        + ("" if len(uniq) == 1 else f" (and {len(uniq) - 1} more: " + " | ".join(uniq[1:5]) + ")")
    )


def load_scenario(path: str | Path, overrides: Mapping[str, Any] | None = None) -> Scenario:
    """Read and validate a scenario file, with values overridden if asked.

    Parameters
    ----------
    path : str or path-like
        A ``.toml`` scenario.
    overrides : mapping, optional
        Dotted key → value set before validation (``zan ... --set KEY=VALUE``; see
        :mod:`zan.scenario_overrides`): ``{"envelope.reduction": 0.55,
        "data.consumption": "conso.csv"}``. Relative paths resolve against the
        current folder. The scenario's hash changes with them.

    Returns
    -------
    Scenario

    Raises
    ------
    ScenarioError
        Missing file, TOML syntax, unknown key, unknown rule or parameter, weights not
        summing to 1, values out of range, missing data file: each names the file, the
        key (dotted path, e.g. ``criteria[1].weight``) and the fix.

    Examples
    --------
    >>> from zan.datasets import demo_dir
    >>> sc = load_scenario(demo_dir().parent / "scenarios" / "01_reduction_uniforme.toml")
    >>> sc.criteria[0].rule
    'uniform'
    >>> sc2 = load_scenario(sc.path, overrides={"envelope.reduction": 0.55})
    >>> sc2.envelope.reduction, sc2.hash != sc.hash
    (0.55, True)
    """
    p = Path(path)
    if not p.is_file():
        raise ScenarioError(f"{p}: scenario file not found; check the path")
    try:
        data = tomllib.loads(p.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{p}: not valid TOML ({exc}); fix the syntax") from exc
    except UnicodeDecodeError as exc:
        raise ScenarioError(f"{p}: not UTF-8 text ({exc}); save it as UTF-8") from exc
    source = str(p)
    if overrides:
        data = apply_overrides(data, overrides)
        source += f" (with --set {', '.join(overrides)})"
    try:
        sc = Scenario.model_validate(data)
    except _PydanticValidationError as exc:
        raise _convert_error(source, exc) from None
    sc._path = p.resolve()
    _check_files(sc)
    return sc


def _resolve(sc: Scenario, value: str, key: str) -> Path:
    """Resolve a data path: ``demo:<name>``, absolute, or relative to the scenario."""
    if value.startswith("demo:"):
        from .datasets import available, demo_dir

        name = value.removeprefix("demo:")
        path = demo_dir() / name
        if not path.exists():
            raise ScenarioError(
                f"{sc.source}: key {key!r}: no demo file {name!r}; demo files: "
                f"{', '.join(available())}"
            )
        return path
    if value.startswith("region:"):
        from .datasets import region_path

        region, _, name = value.removeprefix("region:").partition("/")
        try:
            return region_path(region, name)
        except ZanError as exc:
            raise ScenarioError(f"{sc.source}: key {key!r}: {exc}") from None
    path = Path(value).expanduser()
    if not path.is_absolute():
        path = sc.base_dir / path
    if not path.exists():
        raise ScenarioError(
            f"{sc.source}: key {key!r}: file {value!r} not found (looked for {path}); paths "
            "are relative to the scenario file ('demo:<name>' for a demo file, "
            "'region:<region>/<name>' for a shipped reference table), or give the file on "
            f"the command line: --set {key}=PATH"
        )
    return path


def scenario_inputs(scenario: Scenario | str | Path) -> dict[str, Path]:
    """The files a scenario reads, by key: the scenario itself and its data files.

    Parameters
    ----------
    scenario : Scenario or path

    Returns
    -------
    dict of str to pathlib.Path
        ``"scenario"`` (when it was read from a file), each ``data.*`` file set, and
        ``envelope.region`` (the ``region.toml`` read) when the scenario names a region
        with published figures.

    Examples
    --------
    >>> from zan.datasets import scenario_path
    >>> sorted(scenario_inputs(scenario_path("01_reduction_uniforme")))[:2]
    ['data.communes', 'data.consumption']
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    out: dict[str, Path] = {}
    if sc._path is not None:
        out["scenario"] = Path(sc._path)
    for key in ("communes", "membership", "consumption", "passage"):
        value = getattr(sc.data, key, None)
        if value:
            out[f"data.{key}"] = _resolve(sc, value, f"data.{key}")
    region = _region(sc)
    if region is not None and region.file is not None:
        out["envelope.region"] = Path(region.file)
    for key, value in level_files(sc.data.levels):
        out[key] = _resolve(sc, value, key)
    return out


def _check_files(sc: Scenario) -> None:
    for key in ("communes", "membership", "consumption", "passage"):
        value = getattr(sc.data, key)
        if value is not None:
            _resolve(sc, value, f"data.{key}")
    for key, value in level_files(sc.data.levels):
        _resolve(sc, value, key)
    for i, c in enumerate(sc.criteria):
        if isinstance(c.params.get("table"), str):
            _resolve(sc, c.params["table"], f"criteria[{i}].params.table")
    if sc.envelope.profile.endswith(".toml"):
        _resolve(sc, sc.envelope.profile, "envelope.profile")
    _region(sc)


# ============================================================================ running
@dataclass(frozen=True)
class PreparedScenario:
    """A scenario with its data loaded: what :func:`run_scenario` allocates.

    Attributes
    ----------
    scenario : Scenario
    territories : zan.Territories
    communes : pandas.DataFrame
        Commune table: level codes and names, indicators, ``reference_ha``.
    envelope : Envelope
    criteria : list of Criterion
        With rate tables read.
    levels : tuple of str
        Allocation levels, from the top down (one unless a cascade).
    table : pandas.DataFrame
        Territory table of the last level.
    floors, caps, garantie : pandas.Series
        Per territory of the last level (ha).
    warnings : tuple of str
        Warnings in French on the run's assumptions (see :attr:`zan.Allocation.warnings`).
    unassigned : pandas.DataFrame or None
        When allocating at a level of ``[data.levels]``: the communes outside every
        territory of it, left out of the allocation
        (:func:`zan.scenario_levels.split_unassigned`); None otherwise.
    notes : tuple of str
        French remarks on the added levels.
    """

    scenario: Scenario
    territories: Any
    communes: pd.DataFrame
    envelope: Envelope
    criteria: list[Criterion]
    levels: tuple[str, ...]
    table: pd.DataFrame
    floors: pd.Series
    caps: pd.Series
    garantie: pd.Series
    warnings: tuple[str, ...] = ()
    unassigned: pd.DataFrame | None = None
    notes: tuple[str, ...] = ()


def _load_territories(sc: Scenario) -> Any:
    from .territory import Territories

    communes = _resolve(sc, sc.data.communes, "data.communes")
    membership = _resolve(sc, sc.data.membership, "data.membership") if sc.data.membership else None
    try:
        territories = Territories.from_files(communes, membership, layer=sc.data.communes_layer)
    except ZanError as exc:
        key = "data.membership" if membership is not None else "data.communes"
        raise ScenarioError(f"{sc.source}: key {key!r}: {exc}") from exc
    return add_scenario_levels(
        territories, sc.data.levels, resolve=lambda v, k: _resolve(sc, v, k), source=sc.source
    )


def _reference_period(sc: Scenario) -> tuple[int, int]:
    if sc.envelope.reference_period is not None:
        return tuple(sc.envelope.reference_period)  # type: ignore[return-value]
    return tuple(load_profile(_profile_arg(sc)).periods.reference)  # type: ignore[return-value]


def _profile_arg(sc: Scenario) -> str | Path:
    prof = sc.envelope.profile
    return _resolve(sc, prof, "envelope.profile") if prof.endswith(".toml") else prof


def load_consumption(scenario: Scenario | str | Path, territories: Any = None) -> Any:
    """The scenario's consumption file, aligned on its communes when it names a table de passage.

    Parameters
    ----------
    scenario : Scenario or path
        The scenario.
    territories : Territories, optional
        Its territories (loaded from the scenario when not given).

    Returns
    -------
    zan.Consumption or None
        None when the scenario names no consumption file.

    Raises
    ------
    ScenarioError
        When the file cannot be read or aligned (the message names the key).

    Examples
    --------
    >>> from zan.datasets import scenario_path
    >>> conso = load_consumption(scenario_path("01_reduction_uniforme"))
    >>> conso.years[-1]
    2022
    """
    from .io import read_consumption, read_passage

    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    if sc.data.consumption is None:
        return None
    if territories is None:
        territories = _load_territories(sc)
    try:
        conso = read_consumption(_resolve(sc, sc.data.consumption, "data.consumption"))
        if sc.data.passage is not None:
            passage = read_passage(_resolve(sc, sc.data.passage, "data.passage"))
            conso, _ = conso.align(
                passage,
                target_codes=territories.communes.index,
                split_weights=territories.communes["area_ha"],
            )
    except ZanError as exc:
        raise ScenarioError(f"{sc.source}: key 'data.consumption': {exc}") from exc
    return conso


def _commune_table(sc: Scenario, territories: Any) -> pd.DataFrame:
    """Membership (with level codes from the territories) plus ``reference_ha``."""
    m = territories.membership.copy()
    for level in territories.levels[1:]:
        m[level] = territories.assignment(level).reindex(m.index).astype(str)
        m[f"{level}_nom"] = m[level].map(territories.names(level)).astype(str)
    m["nom"] = territories.communes["nom"].reindex(m.index).astype(str)
    if "area_ha" not in m.columns:
        m["area_ha"] = territories.communes["area_ha"].reindex(m.index)
    if sc.data.consumption is not None:
        start, end = _reference_period(sc)
        conso = load_consumption(sc, territories)
        try:
            ref_m2 = conso.period_total(start, end)
        except ZanError as exc:
            raise ScenarioError(f"{sc.source}: key 'data.consumption': {exc}") from exc
        ref_m2.index = ref_m2.index.astype(str)
        extra = ref_m2.index.difference(m.index)
        missing = m.index.difference(ref_m2.index)
        if len(extra) or len(missing):
            raise ScenarioError(
                f"{sc.source}: key 'data.consumption': the consumption codes do not match the "
                f"communes ({len(missing)} communes without consumption, e.g. "
                f"{', '.join(missing[:3])}; {len(extra)} codes unknown, e.g. "
                f"{', '.join(extra[:3])}); give [data] passage to align the COG vintages"
            )
        m["reference_ha"] = ref_m2.reindex(m.index).to_numpy(np.float64) / 10_000.0
        if "idreg" in conso.communes.columns:  # the region, for the péréquation check
            m.attrs["idreg"] = sorted(set(conso.communes["idreg"].dropna().astype(str)))
    else:
        m["reference_ha"] = np.nan
    return m


def _region(sc: Scenario) -> Any:
    """The scenario's ``[envelope] region``, loaded (None when unset)."""
    from .regions import region_info

    value = sc.envelope.region
    if value is None:
        return None
    arg: Any = _resolve(sc, value, "envelope.region") if value.endswith(".toml") else value
    try:
        return region_info(arg)
    except ScenarioError as exc:
        raise ScenarioError(f"{sc.source}: key 'envelope.region': {exc}") from exc


def _build_envelope(sc: Scenario, communes: pd.DataFrame, garantie_n: int) -> Envelope:
    from .regions import check_perequation

    e = sc.envelope
    region = _region(sc)
    published = region is not None and e.reduction is None and e.envelope_ha is None
    if region is None and e.pene == "perequation":
        # no region named: the consumption file's region code, when it has one
        for code in communes.attrs.get("idreg", []):
            try:
                check_perequation(code)
            except ScenarioError as exc:
                raise type(exc)(
                    f"{sc.source}: key 'envelope.pene': the consumption file's {exc}"
                ) from exc
    if e.reference_ha is not None:
        reference = e.reference_ha
    elif communes["reference_ha"].notna().all():
        reference = float(communes["reference_ha"].sum())
    elif published and region.reference is not None:
        reference = region.reference.ha
    elif e.envelope_ha is not None and e.pene != "perequation":
        reference = float("nan")
    else:
        need = "the PENE péréquation needs" if e.envelope_ha is not None else "no"
        raise ScenarioError(
            f"{sc.source}: key 'envelope': {need} reference consumption: give [data] "
            "consumption or envelope.reference_ha"
            + ("" if e.envelope_ha is not None else ", or envelope.envelope_ha")
        )
    try:
        if math.isnan(reference):
            reference = 0.0
        return regional_envelope(
            reference,
            reduction=e.reduction,
            envelope_ha=e.envelope_ha,
            pene=e.pene,
            reserve_ha=e.reserve_ha,
            reserve_share=e.reserve_share,
            garantie_communes=garantie_n,
            profile=_profile_arg(sc),
            national_reference_ha=e.national_reference_ha,
            tolerance=e.tolerance,
            reference_period=_reference_period(sc),
            target_period=e.target_period,
            region=region,
        )
    except ScenarioError as exc:
        raise type(exc)(f"{sc.source}: key 'envelope': {exc}") from exc


def _criteria_with_tables(sc: Scenario) -> list[Criterion]:
    from .io._files import read_table

    out = []
    for i, c in enumerate(sc.criteria):
        params = dict(c.params)
        if isinstance(params.get("table"), str):
            path = _resolve(sc, params["table"], f"criteria[{i}].params.table")
            try:
                params["table"] = read_table(path, what="rates table")
            except ZanError as exc:
                raise ScenarioError(
                    f"{sc.source}: key 'criteria[{i}].params.table': {exc}"
                ) from exc
        if "period" in params and isinstance(params["period"], list):
            params["period"] = tuple(params["period"])
        out.append(c.to_criterion(params))
    return out


def _check_criteria(
    sc: Scenario, criteria: list[Criterion], tables: dict[str, pd.DataFrame]
) -> None:
    """Evaluate every criterion on every level, so errors name the criterion's key."""
    for i, crit in enumerate(criteria):
        for level, table in tables.items():
            try:
                evaluate_rule(crit.rule, table, **dict(crit.params))
            except ScenarioError as exc:
                where = f" at level {level!r}" if len(tables) > 1 else ""
                raise ScenarioError(
                    f"{sc.source}: key 'criteria[{i}]' ({crit.key}){where}: {exc}"
                ) from exc


def prepare_scenario(scenario: Scenario | str | Path) -> PreparedScenario:
    """Load a scenario's data and compute its envelope and bounds (no allocation yet).

    Parameters
    ----------
    scenario : Scenario or path

    Returns
    -------
    PreparedScenario

    Raises
    ------
    ScenarioError
        Naming the file and the key, for every problem found in the data.

    Examples
    --------
    >>> from zan.datasets import demo_dir
    >>> prep = prepare_scenario(demo_dir().parent / "scenarios" / "02_consommation_population.toml")
    >>> prep.levels, len(prep.table), round(prep.garantie.sum())
    (('epci',), 20, 409)
    """
    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    territories = _load_territories(sc)
    communes = _commune_table(sc, territories)
    alloc = sc.allocation
    levels = tuple(alloc.cascade) if alloc.level == "cascade" else (alloc.level,)
    key = "allocation.cascade" if alloc.level == "cascade" else "allocation.level"
    for lv in levels:
        if lv not in territories.levels:
            raise ScenarioError(
                f"{sc.source}: key {key!r}: the territory table has no level {lv!r} "
                f"(levels: {', '.join(territories.levels)}); add a {lv!r} column to the "
                f"membership table or choose another level ({_LEVELS_HINT})"
            )
    communes_all = communes  # the regional reference counts every commune
    communes, unassigned, level_notes = split_unassigned(
        communes, territories, [lv for lv in levels if lv in (sc.data.levels or {})]
    )
    final = levels[-1]
    upper = [lv for lv in territories.levels[1:]]
    tables = {lv: aggregate(communes, lv, upper) for lv in levels}
    table = tables[final]
    # garantie communale (per commune, then per territory of the last level)
    fl = sc.floors
    prof = load_profile(_profile_arg(sc))
    ha_gar = (
        prof.garantie_communale.ha_per_commune if fl.ha_per_commune is None else fl.ha_per_commune
    )
    warnings: list[str] = []
    if fl.garantie_communale:
        try:
            garantie_levels(levels, fl.pooling)
        except ScenarioError as exc:
            raise ScenarioError(f"{sc.source}: key 'floors.garantie_pooling': {exc}") from exc
        try:
            if fl.eligible_column is not None:
                if fl.eligible_column not in communes.columns:
                    raise ScenarioError(
                        f"column {fl.eligible_column!r} not found in the territory table "
                        f"(columns: {', '.join(map(str, territories.membership.columns))})"
                    )
                eligible: Any = communes[fl.eligible_column]
            else:
                eligible = list(fl.eligible) if fl.eligible is not None else None
            per_commune = garantie_floors(eligible, communes=communes.index, ha_per_commune=ha_gar)
        except ScenarioError as exc:
            k = "floors.eligible_column" if fl.eligible_column else "floors.eligible"
            raise ScenarioError(f"{sc.source}: key {k!r}: {exc}") from exc
        n_gar = int(round(per_commune.sum() / ha_gar)) if ha_gar > 0 else 0
        if fl.eligible_column is None and fl.eligible is None:
            warnings.append(eligibility_warning(len(communes), ha_gar))
    else:
        per_commune = pd.Series(0.0, index=communes.index)
        n_gar = 0
    assign = communes.index.to_series() if final == "commune" else communes[final]
    garantie = per_commune.groupby(assign.to_numpy()).sum().reindex(table.index).fillna(0.0)
    envelope = _build_envelope(sc, communes_all, n_gar)
    # floors and caps per territory of the last level
    ref = pd.to_numeric(table["reference_ha"], errors="coerce")
    needs_ref = fl.share_of_reference > 0 or sc.caps.share_of_reference is not None
    if needs_ref and ref.isna().any():
        raise ScenarioError(
            f"{sc.source}: key 'floors'/'caps': share_of_reference needs the reference "
            "consumption per territory; give [data] consumption"
        )
    floors = pd.Series(fl.ha, index=table.index, dtype=np.float64)
    if fl.share_of_reference:
        floors = np.maximum(floors, fl.share_of_reference * ref.fillna(0.0))
    caps = pd.Series(np.inf, index=table.index, dtype=np.float64)
    if sc.caps.ha is not None:
        caps = np.minimum(caps, sc.caps.ha)
    if sc.caps.share_of_reference is not None:
        caps = np.minimum(caps, sc.caps.share_of_reference * ref.fillna(0.0))
    criteria = _criteria_with_tables(sc)
    _check_criteria(sc, criteria, tables)
    prepared = PreparedScenario(
        scenario=sc,
        territories=territories,
        communes=communes,
        envelope=envelope,
        criteria=criteria,
        levels=levels,
        table=table,
        floors=pd.Series(floors, index=table.index),
        caps=pd.Series(caps, index=table.index),
        garantie=garantie,
        warnings=tuple(warnings),
        unassigned=unassigned,
        notes=tuple(level_notes),
    )
    for text in prepared.warnings:
        warn(text)
    return prepared


def run_scenario(scenario: Scenario | str | Path | PreparedScenario) -> Allocation:
    """Run a scenario: load its data, build the envelope, allocate.

    Parameters
    ----------
    scenario : Scenario, path or PreparedScenario

    Returns
    -------
    Allocation
        Its ``territories`` attribute holds the territories used (for maps and
        GeoPackage export); ``scenario_hash`` the scenario's hash.

    Raises
    ------
    ScenarioError
        Naming the file and the key; :class:`~zan.errors.InfeasibleError` (a
        ScenarioError) when floors and caps cannot meet the envelope.

    Examples
    --------
    >>> from zan.datasets import demo_dir
    >>> alloc = run_scenario(demo_dir().parent / "scenarios" / "01_reduction_uniforme.toml")
    >>> alloc.level, alloc.check()
    ('epci', True)
    """
    prep = scenario if isinstance(scenario, PreparedScenario) else prepare_scenario(scenario)
    sc = prep.scenario
    a = sc.allocation
    try:
        if len(prep.levels) > 1:
            result = allocate_cascade(
                prep.communes,
                prep.envelope,
                criteria=prep.criteria,
                levels=prep.levels,
                floors=prep.floors,
                caps=prep.caps,
                garantie=prep.garantie,
                resolution=a.resolution,
                rounding=a.rounding,
                normalise=a.normalise,
                name=sc.scenario.name,
                garantie_pooling=sc.floors.pooling,
            )
        else:
            result = allocate(
                prep.table,
                prep.envelope,
                criteria=prep.criteria,
                level=prep.levels[0],
                floors=prep.floors,
                caps=prep.caps,
                garantie=prep.garantie,
                resolution=a.resolution,
                rounding=a.rounding,
                normalise=a.normalise,
                scale_targets=a.scale_targets,
                name=sc.scenario.name,
                garantie_pooling=sc.floors.pooling,
            )
    except InfeasibleError as exc:
        raise InfeasibleError(f"{sc.source}: key 'floors': {exc}") from exc
    except ScenarioError as exc:
        raise ScenarioError(f"{sc.source}: {exc}") from exc
    result = dataclasses.replace(result, unassigned=prep.unassigned)
    extra = (envelope_comparison(result),) if prep.unassigned is not None else ()
    return dataclasses.replace(
        result,
        scenario_hash=sc.hash,
        territories=prep.territories,
        warnings=tuple(result.warnings) + tuple(prep.warnings),
        notes=(*result.notes, *prep.notes, *extra),
    )


def sensitivity(
    scenario: Scenario | str | Path | PreparedScenario,
    weights: Any,
    *,
    envelopes: Any = None,
    resolution: float | None = None,
) -> BatchAllocation:
    """Evaluate many blends of a scenario's criteria (and envelopes) in one call.

    Row ``k`` gives exactly what :func:`run_scenario` gives with the criteria weights
    ``weights[k]`` (and the envelope ``envelopes[k]``), before and after rounding.
    Single-level scenarios only.

    Parameters
    ----------
    scenario : Scenario, path or PreparedScenario
    weights : array-like
        (K, C) criteria weights, one row per variant (rows are normalised when the
        scenario has ``normalise = true``; otherwise each must sum to 1).
    envelopes : float or array-like, optional
        Hectares to distribute per variant; default the scenario's.
    resolution : float, optional
        Default the scenario's; rounding as in the scenario.

    Returns
    -------
    BatchAllocation
        Columns in territory-code order (``codes``).

    Examples
    --------
    >>> from zan.datasets import demo_dir
    >>> path = demo_dir().parent / "scenarios" / "02_consommation_population.toml"
    >>> b = sensitivity(path, [[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]])
    >>> b.units.shape[0], bool((b.units.sum(axis=1) == b.units[0].sum()).all())
    (3, True)
    """
    prep = scenario if isinstance(scenario, PreparedScenario) else prepare_scenario(scenario)
    sc = prep.scenario
    if len(prep.levels) > 1:
        raise ScenarioError(f"{sc.source}: sensitivity() works on single-level scenarios")
    if not sc.allocation.scale_targets:
        raise ScenarioError(f"{sc.source}: sensitivity() needs scale_targets = true")
    A = np.asarray(weights, dtype=np.float64)
    n_crit = len(prep.criteria)
    if A.ndim != 2 or A.shape[1] != n_crit:
        raise ScenarioError(
            f"weights must be a (K, {n_crit}) array, one column per criterion (got {A.shape})"
        )
    if (A < 0).any() or not np.isfinite(A).all():
        raise ScenarioError("weights must be finite and >= 0")
    sums = A.sum(axis=1)
    if sc.allocation.normalise:
        A = A / sums[:, None]
    elif (np.abs(sums - 1.0) > 1e-9).any():
        k = int(np.flatnonzero(np.abs(sums - 1.0) > 1e-9)[0])
        raise ScenarioError(f"weights row {k} sums to {sums[k]:.6g}, not 1")
    problem = BatchProblem.from_prepared(prep, resolution=resolution)
    total = problem.distributed_ha if envelopes is None else envelopes
    E = np.broadcast_to(np.asarray(total, dtype=np.float64), (A.shape[0],))
    return problem.run(A, problem.envelopes(E))


def scenario_schema() -> dict[str, Any]:
    """JSON Schema of scenario files (for editor completion; ``zan schema`` prints it).

    Returns
    -------
    dict

    Examples
    --------
    >>> s = scenario_schema()
    >>> sorted(s["properties"])[:3]
    ['allocation', 'caps', 'criteria']
    >>> "indicator" in s["$defs"]["CriterionConfig"]["properties"]["rule"]["enum"]
    True
    """
    schema = Scenario.model_json_schema(mode="validation")
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "zan scenario"
    rules = schema["$defs"]["CriterionConfig"]["properties"]["rule"]
    rules["enum"] = rule_names()
    lines = []
    for name in rule_names():
        params = ", ".join(rule_parameters(name)) or "(none)"
        lines.append(f"{name}: {params}")
    schema["$defs"]["CriterionConfig"]["properties"]["params"]["description"] = (
        "Rule parameters. " + "; ".join(lines)
    )
    return schema
