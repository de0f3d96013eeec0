"""The README's notebook example runs as written."""

from __future__ import annotations

import re
from pathlib import Path

import folium

ROOT = Path(__file__).resolve().parents[1]


def test_readme_python_example_runs():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    (code,) = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    assert len(code.strip().splitlines()) <= 12
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - the project's own README
    assert set(namespace["traj"]["status"]) <= {"on_track", "will_exceed", "exceeded"}
    namespace["alloc"].check()
    assert isinstance(namespace["alloc"].explore(), folium.Map)


def test_readme_quick_start_has_exactly_two_commands():
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Quick start", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, flags=re.S).group(1)
    commands = [line for line in block.splitlines() if line.strip()]
    assert len(commands) == 2
    assert "zan demo" in commands[0] and "pytest" in commands[1] and "[test]" in commands[1]
