"""The scenario model: the validated, immutable sections of a scenario file and its JSON Schema.

Each section of a scenario file (see :mod:`zan.scenario` for the layout) is a frozen
pydantic model: ``[scenario]`` :class:`ScenarioInfo`, ``[data]`` :class:`DataConfig`,
``[envelope]`` :class:`EnvelopeConfig`, ``[allocation]`` :class:`AllocationConfig`,
``[[criteria]]`` :class:`CriterionConfig`, ``[floors]`` :class:`FloorsConfig`, ``[caps]``
:class:`CapsConfig` and ``[sensitivity]`` :class:`SensitivityConfig` (what
:mod:`zan.sensitivity` varies, with :class:`DistributionConfig`); :class:`Scenario` holds
them all. Reading a file is :func:`zan.scenario.load_scenario`; running it
:func:`zan.scenario.run_scenario`.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, field_validator, model_validator

from .envelope import DEFAULT_PROFILE, available_profiles
from .errors import ScenarioError
from .formatting import fr_text
from .rules import Criterion, Modulation, get_rule, rule_names, rule_parameters
from .scenario_levels import LevelConfig, check_level_names

__all__ = [
    "Scenario",
    "ScenarioInfo",
    "DataConfig",
    "EnvelopeConfig",
    "AllocationConfig",
    "ModulationConfig",
    "CriterionConfig",
    "FloorsConfig",
    "CapsConfig",
    "DistributionConfig",
    "SensitivityConfig",
    "PARAMETERS",
    "DEFAULT_SAMPLES",
    "DEFAULT_SEED",
    "LEVELS_HINT",
    "as_distribution",
    "scenario_schema",
]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


#: Longest scenario name read (characters): it heads every map, report and table.
MAX_NAME_CHARS = 200
#: Longest scenario description read (characters).
MAX_DESCRIPTION_CHARS = 5000


class ScenarioInfo(_Model):
    """``[scenario]``: name and description."""

    name: str = Field(
        max_length=MAX_NAME_CHARS,
        description=f"Short name of the scenario, shown in reports ({MAX_NAME_CHARS} "
        "characters at most).",
    )
    description: str = Field(
        "",
        max_length=MAX_DESCRIPTION_CHARS,
        description="What the scenario tests, in plain words "
        f"({MAX_DESCRIPTION_CHARS} characters at most).",
    )


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


LEVELS_HINT = "commune, epci, scot, departement, region or cascade"


class AllocationConfig(_Model):
    """``[allocation]``: level, cascade, rounding."""

    level: str = Field("epci", description=f"Allocation level: {LEVELS_HINT}.")
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


# ============================================================================ [sensitivity]
#: Parameters that can vary besides the weights, with their French labels.
PARAMETERS: dict[str, str] = {
    "envelope.reduction": "Taux de réduction régional",
    "envelope.envelope_ha": "Enveloppe régionale (ha)",
    "floors.ha_per_commune": "Garantie communale (ha par commune)",
    "floors.ha": "Plancher par territoire (ha)",
    "floors.share_of_reference": "Plancher (part de la consommation de référence)",
    "caps.ha": "Plafond par territoire (ha)",
    "caps.share_of_reference": "Plafond (part de la consommation de référence)",
}

DEFAULT_SAMPLES = 4096
DEFAULT_SEED = 2154


# ============================================================================ configuration


class DistributionConfig(_Model):
    """One uncertain value: a distribution and its parameters.

    Examples
    --------
    >>> DistributionConfig(distribution="triangular", min=0.2, mode=0.5, max=0.6).mode
    0.5
    """

    distribution: Literal["uniform", "triangular", "normal", "loguniform"] = Field(
        "uniform", description="uniform, triangular, normal (optionally truncated), loguniform."
    )
    min: float | None = Field(
        None, description="Lower bound (uniform, triangular, loguniform; truncation of normal)."
    )
    max: float | None = Field(None, description="Upper bound.")
    mode: float | None = Field(None, description="Most likely value (triangular).")
    mean: float | None = Field(None, description="Mean (normal).")
    sd: float | None = Field(None, gt=0, description="Standard deviation (normal).")

    @model_validator(mode="after")
    def _check(self) -> DistributionConfig:
        d = self.distribution
        if d in ("uniform", "triangular", "loguniform"):
            if self.min is None or self.max is None:
                raise ValueError(f"a {d} distribution needs 'min' and 'max'")
            if self.min > self.max:
                raise ValueError(f"'min' ({self.min:g}) is above 'max' ({self.max:g})")
        if d == "triangular":
            if self.mode is None or not (self.min <= self.mode <= self.max):  # type: ignore[operator]
                raise ValueError("a triangular distribution needs min <= mode <= max")
        if d == "loguniform" and self.min is not None and self.min <= 0:
            raise ValueError(f"a loguniform distribution needs 'min' > 0 (got {self.min:g})")
        if d == "normal":
            if self.mean is None or self.sd is None:
                raise ValueError("a normal distribution needs 'mean' and 'sd'")
            lo = -math.inf if self.min is None else self.min
            hi = math.inf if self.max is None else self.max
            if lo >= hi:
                raise ValueError("the truncation bounds must satisfy min < max")
        return self

    @property
    def bounds(self) -> tuple[float, float]:
        """Smallest and largest value the distribution can give."""
        if self.distribution == "normal":
            lo = -math.inf if self.min is None else self.min
            hi = math.inf if self.max is None else self.max
            return lo, hi
        return float(self.min), float(self.max)  # type: ignore[arg-type]

    def ppf(self, u: np.ndarray) -> np.ndarray:
        """Map uniform numbers in (0, 1) to values of the distribution (inverse CDF)."""
        u = np.clip(np.asarray(u, dtype=np.float64), 1e-12, 1.0 - 1e-12)
        lo, hi = self.bounds
        if self.distribution == "uniform":
            return lo + u * (hi - lo)
        if self.distribution == "loguniform":
            return np.exp(np.log(lo) + u * (np.log(hi) - np.log(lo)))
        if self.distribution == "triangular":
            if hi == lo:
                return np.full_like(u, lo)
            from scipy import stats  # only here: importing scipy.stats takes a second

            c = (float(self.mode) - lo) / (hi - lo)  # type: ignore[arg-type]
            return stats.triang.ppf(u, c, loc=lo, scale=hi - lo)
        from scipy import stats

        a = (lo - self.mean) / self.sd  # type: ignore[operator]
        b = (hi - self.mean) / self.sd  # type: ignore[operator]
        return stats.truncnorm.ppf(u, a, b, loc=self.mean, scale=self.sd)

    @property
    def is_constant(self) -> bool:
        lo, hi = self.bounds
        return self.distribution != "normal" and lo == hi

    def describe(self) -> str:
        """French description, e.g. ``uniforme [0,3 ; 0,7]``."""
        if self.distribution == "normal":
            text = f"normale (moyenne {fr_text(self.mean, 3)}, écart-type {fr_text(self.sd, 3)})"
            if self.min is not None or self.max is not None:
                text += f" tronquée à [{fr_text(self.bounds[0], 3)} ; {fr_text(self.bounds[1], 3)}]"
            return text
        name = {"uniform": "uniforme", "triangular": "triangulaire", "loguniform": "log-uniforme"}[
            self.distribution
        ]
        mode = f", mode {fr_text(self.mode, 3)}" if self.distribution == "triangular" else ""
        return f"{name} [{fr_text(self.bounds[0], 3)} ; {fr_text(self.bounds[1], 3)}]{mode}"


def as_distribution(value: Any) -> Any:
    """A ``[min, max]`` range as a uniform distribution's table; other values as they are."""
    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            raise ValueError(
                f"a range is two numbers [min, max] (got {list(value)!r}); or give a table "
                'such as { distribution = "normal", mean = 0.5, sd = 0.1 }'
            )
        return {"distribution": "uniform", "min": value[0], "max": value[1]}
    return value


class SensitivityConfig(_Model):
    """``[sensitivity]``: what varies, how many evaluations, the random seed.

    See the module docstring for the layout and the default (every weight ±50 %).

    Examples
    --------
    >>> c = SensitivityConfig.model_validate(
    ...     {"weights": {"population": [0.3, 0.7]}, "parameters": {"envelope.reduction": [0.4, 0.6]}})
    >>> c.weights["population"].bounds, c.samples
    ((0.3, 0.7), 4096)
    """

    samples: int = Field(DEFAULT_SAMPLES, ge=4, description="Model evaluations (N × (P + 2)).")
    seed: int | None = Field(
        None, description="Seed of the scrambled Sobol sequence (default 2154)."
    )
    default_range: float = Field(
        0.5,
        gt=0,
        le=1,
        description="When nothing is listed, every weight varies by ± this share (0.5 = ±50 %).",
    )
    weights: dict[str, DistributionConfig] = Field(
        default_factory=dict, description="Criterion name → range or distribution of its weight."
    )
    parameters: dict[str, DistributionConfig] = Field(
        default_factory=dict,
        description="Parameter (" + ", ".join(PARAMETERS) + ") → range or distribution.",
    )

    @model_validator(mode="before")
    @classmethod
    def _ranges(cls, data: Any) -> Any:
        if isinstance(data, Mapping):
            data = dict(data)
            for key in ("weights", "parameters"):
                if isinstance(data.get(key), Mapping):
                    data[key] = {k: as_distribution(v) for k, v in data[key].items()}
        return data

    @model_validator(mode="after")
    def _known_parameters(self) -> SensitivityConfig:
        for key in self.parameters:
            if key not in PARAMETERS:
                raise ValueError(
                    f"unknown parameter {key!r}; parameters that can vary: {', '.join(PARAMETERS)} "
                    "(criteria weights go in [sensitivity.weights])"
                )
        return self


# ============================================================================ the scenario
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
    #: Folder the data files must lie in (``load_scenario(..., data_root=)``), or None.
    _data_root: Path | None = PrivateAttr(default=None)

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
