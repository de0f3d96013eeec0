"""Report runs: the same bytes twice, a folder swapped in whole, nothing left by an interrupted run."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from zan.cli import main
from zan.datasets import scenario_path
from zan.errors import DataError
from zan.reports import batch as batch_module
from zan.reports import write_reports
from zan.reports.pdf import available_engines

SCENARIO = scenario_path("02_consommation_population")
TWO = "249600297,249612771"
ROOT = Path(__file__).resolve().parents[1]


def _files(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _hidden(parent: Path) -> list[str]:
    return sorted(p.name for p in parent.iterdir() if p.name.startswith("."))


def _run(out, territories=TWO, formats="html"):
    return write_reports(
        SCENARIO, out, territories=territories, formats=formats, jobs=1, progress=False
    )


@pytest.mark.slow
def test_two_report_runs_give_the_same_bytes(tmp_path):
    formats = "html,pdf" if available_engines() else "html"
    a, b = _run(tmp_path / "a", formats=formats), _run(tmp_path / "b", formats=formats)
    assert a.ok and b.ok
    first, second = _files(tmp_path / "a"), _files(tmp_path / "b")
    assert any(name.endswith(".svg") for name in first)
    assert first.keys() == second.keys()
    differ = [name for name in first if first[name] != second[name]]
    assert differ == []
    for name, raw in first.items():
        if name.endswith(".svg"):
            assert b"<dc:date>" not in raw
        if name.endswith(".pdf"):
            dates = re.findall(rb"/CreationDate\s*\(D:(\d{14})", raw)
            assert dates and set(dates) == {b"20000101000000"}


def test_second_run_replaces_the_first_whole(tmp_path):
    out = tmp_path / "rapports"
    first = _run(out)
    assert {r.folder.name for r in first.results} <= set(os.listdir(out))
    second = _run(out, territories="249604612")
    assert second.out == out and second.index == out / "index.html"
    assert [r.folder.parent for r in second.results] == [out]
    assert all(p.exists() for r in second.results for p in r.files)
    # the first run's territories do not linger under the new index
    assert sorted(os.listdir(out)) == sorted(
        ["index.html", "synthese", second.results[0].folder.name]
    )
    assert _hidden(tmp_path) == []


@pytest.mark.parametrize("failure", [KeyboardInterrupt, RuntimeError])
def test_interrupted_run_leaves_the_previous_one_whole(tmp_path, monkeypatch, failure):
    out = tmp_path / "rapports"
    _run(out)
    before = _files(out)
    real = batch_module.territory_report
    calls = []

    def territory_report(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:  # midway: the first territory of the new run is written
            raise failure("interrupted")
        return real(*args, **kwargs)

    def write_index(*args, **kwargs):
        raise failure("interrupted")

    monkeypatch.setattr(batch_module, "territory_report", territory_report)
    if failure is RuntimeError:  # a report's error is isolated: fail at the index instead
        monkeypatch.setattr(batch_module, "_write_index", write_index)
    with pytest.raises(failure, match="interrupted"):
        _run(out, territories="249604612,249612771,249600297")
    assert len(calls) >= 2
    assert _files(out) == before
    assert _hidden(tmp_path) == []


def test_a_folder_with_other_files_is_refused(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("à garder", encoding="utf-8")
    with pytest.raises(DataError, match=r"not reports of zan \(notes.txt\).*--out"):
        _run(tmp_path)
    assert notes.read_text(encoding="utf-8") == "à garder"
    assert sorted(os.listdir(tmp_path)) == ["notes.txt"]
    # a page someone else wrote is not taken for a previous run
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<p>mon site</p>", encoding="utf-8")
    res = CliRunner().invoke(
        main, ["report", str(SCENARIO), "--out", str(site), "--format", "html", "--quiet"]
    )
    assert res.exit_code == 2 and "not reports of zan (index.html)" in res.output
    assert (site / "index.html").read_text(encoding="utf-8") == "<p>mon site</p>"


def test_hidden_folders_of_a_killed_run_are_removed_by_the_next(tmp_path):
    out = tmp_path / "rapports"
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    pid = int(dead.stdout)  # a process that has exited
    stale = tmp_path / f".rapports.tmp-{pid}-abc123"
    (stale / "x").mkdir(parents=True)
    other = tmp_path / ".autre.tmp-1-abc123"  # another folder's: left alone
    other.mkdir()
    _run(out, territories="249604612")
    assert _hidden(tmp_path) == [other.name]


@pytest.mark.slow
def test_sigint_removes_the_hidden_folder(tmp_path):
    out = tmp_path / "rapports"
    _run(out, territories="249604612")
    before = _files(out)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "zan",
            "report",
            str(SCENARIO),
            "--out",
            str(out),
            "--format",
            "html",
            "--jobs",
            "1",
            "--quiet",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and proc.poll() is None:
            staged = [p for p in tmp_path.glob(".rapports.tmp-*") if any(p.iterdir())]
            if staged:  # the run has started writing
                break
            time.sleep(0.05)
        else:
            pytest.fail(f"the run never started writing: {proc.communicate()[1][-2000:]!r}")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode != 0, err
    assert _hidden(tmp_path) == []
    assert _files(out) == before


def test_output_below_a_symbolic_link(tmp_path):
    (tmp_path / "vrai").mkdir()
    (tmp_path / "lien").symlink_to(tmp_path / "vrai", target_is_directory=True)
    batch = _run(tmp_path / "lien" / "r", territories="249604612")
    assert batch.out == tmp_path / "lien" / "r"
    assert batch.results[0].folder.parent == batch.out
    assert all(p.is_file() for p in batch.results[0].files)
    assert (tmp_path / "vrai" / "r" / "index.html").is_file()
