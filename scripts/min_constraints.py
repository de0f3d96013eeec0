"""Pin every core dependency of zan at the lowest version pyproject.toml declares.

The CI's second job installs zan against these pins (``pip install -c constraints.txt
-e ".[test]"``) and runs the fast tests, so that a lower bound that no longer works
fails there instead of on a user's machine.

Usage::

    python scripts/min_constraints.py > constraints.txt

Only the ``>=`` bounds of ``[project] dependencies`` are pinned (``name>=X`` → ``name==X``);
a dependency without a lower bound is an error: every core dependency declares one.
"""

from __future__ import annotations

import re
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
_REQUIREMENT = re.compile(r"^\s*([A-Za-z0-9_.-]+)(\[[^\]]*\])?\s*(.*)$")


def lower_bounds(pyproject: Path = ROOT / "pyproject.toml") -> dict[str, str]:
    """Each core dependency's lowest supported version, by package name."""
    deps = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"]
    out = {}
    for dep in deps:
        match = _REQUIREMENT.match(dep.split(";")[0])
        name, spec = match.group(1), match.group(3)
        low = [s.strip()[2:].strip() for s in spec.split(",") if s.strip().startswith(">=")]
        if not low:
            raise SystemExit(f"pyproject.toml: dependency {dep!r} declares no lower bound (>=)")
        out[name] = low[0]
    return out


def main() -> None:
    for name, version in lower_bounds().items():
        sys.stdout.write(f"{name}=={version}\n")


if __name__ == "__main__":
    main()
