"""docs/LEDGER.md walks through every ``zan ledger`` command, with options that exist.

The page pastes the output of real runs on the demo data; these tests keep it true to
the command line: every command of the group is shown, every option written on a
``$ zan ...`` line is one the command takes, and the README links the page.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import numpy as np
import pandas as pd

from zan.cli import main
from zan.ledger import french_history

ROOT = Path(__file__).resolve().parents[1]
PAGE = ROOT / "docs" / "LEDGER.md"


def _commands(group: click.Group, prefix: tuple[str, ...]) -> dict[tuple[str, ...], click.Command]:
    out = {}
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            out |= _commands(command, (*prefix, name))
        else:
            out[(*prefix, name)] = command
    return out


def _shown_commands() -> list[list[str]]:
    lines = [line[2:] for line in PAGE.read_text(encoding="utf-8").splitlines()]
    return [shlex.split(line) for line in lines if line.startswith("zan ")]


def test_every_ledger_command_is_walked_through():
    text = PAGE.read_text(encoding="utf-8")
    ledger = main.commands["ledger"]
    commands = _commands(ledger, ("ledger",))
    assert len(commands) >= 14
    run = {tuple(words[1:4]) for words in _shown_commands()}
    for path in commands:
        shown = any(r[: len(path)] == path for r in run)
        assert shown, f"docs/LEDGER.md runs no 'zan {' '.join(path)}'"
        assert f"zan {' '.join(path)}" in text


def test_options_on_the_page_exist():
    commands = _commands(main, ())
    checked = 0
    for words in _shown_commands():
        args = words[1:]
        path = next(
            p for p in sorted(commands, key=len, reverse=True) if tuple(args[: len(p)]) == p
        )
        known = {o for param in commands[path].params for o in getattr(param, "opts", [])}
        for word in args[len(path) :]:
            if word.startswith("--"):
                assert word in known, f"zan {' '.join(path)} has no option {word}"
                checked += 1
    assert checked > 40


def test_pasted_outputs_are_those_of_a_run():
    text = PAGE.read_text(encoding="utf-8")
    # each command is followed by its output in the same block, never by a placeholder
    assert "..." not in text.replace("…", "")
    assert re.search(r"OK: \d+ entries, head [0-9a-f]{64}", text)
    assert "written: soldes.xlsx" in text and "project 1 recorded" in text
    assert "/work/" not in text and "wt-" not in text  # no machine-specific path


def test_readme_links_the_page():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "(docs/LEDGER.md)" in readme
    quick = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert "LEDGER" not in quick


def test_history_shows_project_numbers_and_years_as_whole_numbers():
    table = pd.DataFrame(
        {"kind": ["project", "consumption"], "year": [np.nan, 2021.0], "project": [3.0, np.nan]},
        index=pd.Index([7, 8], name="id"),
    )
    out = french_history(table)
    assert out["Projet"].tolist()[0] == 3 and pd.isna(out["Projet"].tolist()[1])
    assert str(out["Projet"].dtype) == "Int64"
    assert out["Année de consommation"].tolist()[1] == 2021
