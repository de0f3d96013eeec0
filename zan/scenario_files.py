"""Reading a scenario file and resolving the data files it names.

:func:`load_scenario` reads and validates a TOML file (every error a
:class:`~zan.errors.ScenarioError` naming the file, the key and the fix);
:func:`resolve_path` resolves a data path (``demo:<name>``, ``region:<region>/<name>``,
absolute, or relative to the scenario file); :func:`scenario_inputs` lists the files a
scenario reads; :func:`scenario_region` loads its ``[envelope] region``.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic import ValidationError as _PydanticValidationError

from .errors import ScenarioError, ZanError
from .scenario_levels import level_files
from .scenario_model import Scenario
from .scenario_overrides import apply_overrides

__all__ = [
    "load_scenario",
    "resolve_path",
    "scenario_inputs",
    "scenario_region",
    "check_files",
    "shown_path",
]

_HINTS = {
    "envelope.reduction": "write 0.5 for a 50 % reduction",
    "envelope.reserve_share": "write 0.05 for 5 % of the regional envelope",
    "envelope.tolerance": "write 0.2 for +20 %",
    "allocation.resolution": "e.g. 0.01 ha",
    "allocation.level": "e.g. 'epci', 'scot', 'commune' or 'cascade'",
    "envelope.pene": "write a number of hectares, 'perequation' or 'none'",
}


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


#: Largest scenario file read (bytes): a scenario is a few kB of settings; a bigger
#: file is refused before it is parsed (its values would end in every output).
MAX_SCENARIO_BYTES = 1_000_000


def _shown(value: Any, limit: int = 80) -> str:
    """A value quoted in a message, cut to ``limit`` characters with its length said."""
    text = repr(value)
    if len(text) <= limit:
        return text
    size = f"{len(value):,} characters" if isinstance(value, str) else f"{len(text):,} characters"
    return f"{text[:limit]}... ({size})"


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
                msg += f" (got {_shown(value)})"
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


def load_scenario(
    path: str | Path,
    overrides: Mapping[str, Any] | None = None,
    *,
    data_root: str | Path | None = None,
) -> Scenario:
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
    data_root : str or path-like, optional
        A folder every data file of the scenario must lie in, once resolved (``..``
        and symbolic links followed): a scenario received from someone else then
        cannot make zan read ``../../etc/passwd`` (``zan ... --data-root DIR``).
        ``demo:`` and ``region:`` files, shipped with zan, are always allowed.

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
    if p.stat().st_size > MAX_SCENARIO_BYTES:
        raise ScenarioError(
            f"{p}: {p.stat().st_size:,} bytes, more than the {MAX_SCENARIO_BYTES:,} of a "
            "scenario file (a few kB of settings); check that it is a scenario, and keep "
            "tables in data files named in [data] or criteria params"
        )
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
    if data_root is not None:
        root = Path(data_root).expanduser().resolve()
        if not root.is_dir():
            raise ScenarioError(
                f"{data_root}: the data folder (data_root=, --data-root) is not a folder "
                f"(resolved: {root}); give an existing folder"
            )
        sc._data_root = root
    check_files(sc)
    return sc


def resolve_path(sc: Scenario, value: str, key: str) -> Path:
    """Resolve a data path: ``demo:<name>``, absolute, or relative to the scenario.

    With a data folder (``load_scenario(..., data_root=)``), a path that resolves
    outside it raises :class:`~zan.errors.ScenarioError` naming the resolved path.
    """
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
    resolved = path.resolve()
    root = sc._data_root
    if root is not None and not resolved.is_relative_to(root):
        raise ScenarioError(
            f"{sc.source}: key {key!r}: {value!r} resolves to {resolved}, outside the data "
            f"folder {root} (data_root=, --data-root); put the file in that folder, or "
            "give the folder that holds it"
        )
    if not path.exists():
        raise ScenarioError(
            f"{sc.source}: key {key!r}: file {value!r} not found (looked for {resolved}); paths "
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
            out[f"data.{key}"] = resolve_path(sc, value, f"data.{key}")
    region = scenario_region(sc)
    if region is not None and region.file is not None:
        out["envelope.region"] = Path(region.file)
    for key, value in level_files(sc.data.levels):
        out[key] = resolve_path(sc, value, key)
    return out


def check_files(sc: Scenario) -> None:
    for key in ("communes", "membership", "consumption", "passage"):
        value = getattr(sc.data, key)
        if value is not None:
            resolve_path(sc, value, f"data.{key}")
    for key, value in level_files(sc.data.levels):
        resolve_path(sc, value, key)
    for i, c in enumerate(sc.criteria):
        if isinstance(c.params.get("table"), str):
            resolve_path(sc, c.params["table"], f"criteria[{i}].params.table")
    if sc.envelope.profile.endswith(".toml"):
        resolve_path(sc, sc.envelope.profile, "envelope.profile")
    scenario_region(sc)


def scenario_region(sc: Scenario) -> Any:
    """The scenario's ``[envelope] region``, loaded (None when unset)."""
    from .regions import region_info

    value = sc.envelope.region
    if value is None:
        return None
    arg: Any = resolve_path(sc, value, "envelope.region") if value.endswith(".toml") else value
    try:
        return region_info(arg)
    except ScenarioError as exc:
        raise ScenarioError(f"{sc.source}: key 'envelope.region': {exc}") from exc


def shown_path(sc: Scenario, key: str, value: str | None) -> str:
    """``key 'data.consumption' (../x.csv → /abs/x.csv)`` for messages on a data file.

    The path as written and as resolved, so that ``../../`` in a scenario is seen.

    Examples
    --------
    >>> from zan.datasets import scenario_path
    >>> sc = load_scenario(scenario_path("01_reduction_uniforme"))
    >>> shown_path(sc, "data.communes", sc.data.communes).endswith("data/demo/communes.gpkg)")
    True
    >>> shown_path(sc, "data.communes", "demo:communes.gpkg")
    "key 'data.communes'"
    """
    if not value or value.startswith(("demo:", "region:")):
        return f"key {key!r}"
    path = Path(value).expanduser()
    resolved = (path if path.is_absolute() else sc.base_dir / path).resolve()
    return f"key {key!r} ({value} → {resolved})"
