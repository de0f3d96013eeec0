"""Override scenario values from the command line: ``--set data.consumption=PATH``.

One scenario then runs on another release or another folder without being copied::

    zan allocate S.toml --set data.consumption=conso_com.csv --set envelope.reduction=0.55

An override is a dotted key (``envelope.reduction``, ``data.levels.sraddet.membership``,
``criteria[0].weight`` or ``criteria.0.weight``) and a value. The value is read as a
TOML literal when it is one (``0.55``, ``true``, ``[2011, 2020]``, ``"text"``), else
as a string (``conso_com.csv``). Overrides are applied to the file's content *before*
validation, so that a wrong key or value gets the same error as in the file, naming
the key. A relative path given as an override resolves against the current folder
(where the command runs), not against the scenario's folder: it is made absolute when
applied. An optional input can be removed with the value ``none``
(``--set data.passage=none``: the consumption file is already on the boundaries'
COG). An overridden scenario is a different run: its hash
(:attr:`zan.scenario.Scenario.hash`) changes.
"""

from __future__ import annotations

import copy
import re
import tomllib
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from .errors import ScenarioError

__all__ = ["parse_overrides", "parse_value", "apply_overrides", "is_path_key"]

_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")
#: Keys whose values are file paths (resolved against the current folder when overridden).
_PATH_KEYS = re.compile(
    r"^data\.(communes|membership|consumption|passage)$"
    r"|^data\.levels\.[^.]+\.(territories|membership)$"
    r"|^criteria\.\d+\.params\.table$"
    r"|^envelope\.profile$"
)
_PREFIXES = ("demo:", "region:")
#: Optional inputs that ``--set KEY=none`` removes.
_OPTIONAL_KEYS = ("data.membership", "data.consumption", "data.passage", "data.communes_layer")


def parse_value(text: str) -> Any:
    """A command-line value: a TOML literal when it parses as one, else the string.

    Examples
    --------
    >>> parse_value("0.55"), parse_value("true"), parse_value("[2011, 2020]")
    (0.55, True, [2011, 2020])
    >>> parse_value("conso_com.csv"), parse_value('"0.55"')
    ('conso_com.csv', '0.55')
    """
    try:
        return tomllib.loads(f"v = {text}")["v"]
    except tomllib.TOMLDecodeError:
        return text


def parse_overrides(items: Iterable[str]) -> dict[str, Any]:
    """``["key=value", ...]`` (as given to ``--set``) → ``{key: parsed value}``.

    Raises
    ------
    ScenarioError
        An item without ``=`` or with an empty key.

    Examples
    --------
    >>> parse_overrides(["envelope.reduction=0.55", "data.consumption=c.csv"])
    {'envelope.reduction': 0.55, 'data.consumption': 'c.csv'}
    """
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = str(item).partition("=")
        key = key.strip()
        if not sep or not key:
            raise ScenarioError(
                f"--set {item!r}: write KEY=VALUE with a dotted key, e.g. "
                "--set envelope.reduction=0.55 or --set data.consumption=conso.csv"
            )
        out[key] = parse_value(value.strip())
    return out


def _parts(key: str) -> list[str | int]:
    parts: list[str | int] = []
    pos = 0
    for m in _PART.finditer(key):
        gap = key[pos : m.start()]
        if gap not in ("", "."):
            break
        pos = m.end()
        name, index = m.groups()
        parts.append(int(index) if index is not None else (int(name) if name.isdigit() else name))
    if pos != len(key) or not parts or not isinstance(parts[0], str):
        raise ScenarioError(
            f"--set {key!r}: not a dotted key; write e.g. envelope.reduction, "
            "data.levels.sraddet.membership or criteria[0].weight"
        )
    return parts


def _dotted(parts: list[str | int]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else ("." if i else "") + p
                   for i, p in enumerate(parts))


def is_path_key(key: str) -> bool:
    """Whether a (dotted) key names a file path.

    Examples
    --------
    >>> is_path_key("data.consumption"), is_path_key("criteria[1].params.table")
    (True, True)
    >>> is_path_key("envelope.reduction")
    False
    """
    norm = re.sub(r"\[(\d+)\]", r".\1", key)
    return bool(_PATH_KEYS.match(norm))


def _as_path(key: str, value: Any, cwd: Path) -> Any:
    if not isinstance(value, str) or not is_path_key(key) or value.startswith(_PREFIXES):
        return value
    if key == "envelope.profile" and not value.endswith(".toml"):
        return value  # a profile name, not a file
    if not value.strip():
        raise ScenarioError(f"--set {key}=: empty path; give the file, e.g. --set {key}=PATH")
    path = Path(value).expanduser()
    return str(path if path.is_absolute() else (cwd / path).resolve())


def apply_overrides(
    data: Mapping[str, Any], overrides: Mapping[str, Any], *, cwd: str | Path | None = None
) -> dict[str, Any]:
    """A copy of a scenario's raw content with the overrides set (not yet validated).

    Parameters
    ----------
    data : mapping
        The scenario file's content (as read by ``tomllib``).
    overrides : mapping
        Dotted key → value (:func:`parse_overrides`).
    cwd : path, optional
        Folder relative paths resolve against (default the current folder).

    Returns
    -------
    dict

    Raises
    ------
    ScenarioError
        A key that cannot be set: an index past the end of a list, or a key below a
        value that is not a table. Unknown keys and bad values are left to the
        scenario's validation, which names them.

    Examples
    --------
    >>> raw = {"envelope": {"reduction": 0.5}, "criteria": [{"rule": "uniform"}]}
    >>> out = apply_overrides(raw, {"envelope.reduction": 0.55, "criteria[0].weight": 1.0})
    >>> out["envelope"]["reduction"], out["criteria"][0]["weight"], raw["envelope"]["reduction"]
    (0.55, 1.0, 0.5)
    >>> apply_overrides({"data": {"passage": "passage.csv"}}, {"data.passage": "none"})
    {'data': {}}
    """
    out = copy.deepcopy(dict(data))
    base = Path.cwd() if cwd is None else Path(cwd)
    for key, value in overrides.items():
        parts = _parts(key)
        node: Any = out
        for i, part in enumerate(parts[:-1]):
            here = _dotted(parts[: i + 1])
            if isinstance(part, int):
                if not isinstance(node, list) or part >= len(node):
                    n = len(node) if isinstance(node, list) else 0
                    raise ScenarioError(
                        f"--set {key!r}: {here!r} does not exist (the scenario has {n} "
                        f"entr{'y' if n == 1 else 'ies'} there); use an index below {n}"
                    )
                node = node[part]
            else:
                if not isinstance(node, dict):
                    raise ScenarioError(
                        f"--set {key!r}: {_dotted(parts[:i])!r} is a value, not a table; "
                        "check the key"
                    )
                node = node.setdefault(part, {})
        last = parts[-1]
        normalised = _dotted(parts)
        if isinstance(last, int):
            if not isinstance(node, list) or last >= len(node):
                raise ScenarioError(
                    f"--set {key!r}: {normalised!r} does not exist; use an existing index"
                )
        elif not isinstance(node, dict):
            raise ScenarioError(
                f"--set {key!r}: {_dotted(parts[:-1])!r} is a value, not a table; check the key"
            )
        if normalised in _OPTIONAL_KEYS and isinstance(value, str) and value.lower() == "none":
            node.pop(last, None)
            continue
        node[last] = _as_path(normalised, value, base)
    return out
