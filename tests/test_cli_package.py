"""The CLI package: a fast start (no pandas/geopandas for --help), python -m zan, -v and -q."""

from __future__ import annotations

import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from zan.cli import main
from zan.datasets import get_path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = [
    "pandas",
    "geopandas",
    "numpy",
    "shapely",
    "pyogrio",
    "pyproj",
    "matplotlib",
    "folium",
    "scipy",
    "rasterio",
    "docx",
    "xlsxwriter",
]


def _loaded_after(code: str) -> list[str]:
    """Heavy modules in sys.modules after running ``code`` in a fresh interpreter."""
    probe = (
        "import sys, json\n"
        f"{code}\n"
        f"print(json.dumps(sorted(m for m in {HEAVY!r} if m in sys.modules)))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    "args",
    [
        [],
        ["allocate"],
        ["consumption"],
        ["artif"],
        ["map"],
        ["report"],
        ["sensitivity"],
        ["data", "download"],
        ["ledger"],
        ["ledger", "balance"],
        ["validate"],
    ],
    ids=lambda a: " ".join(a) or "zan",
)
def test_help_loads_no_heavy_library(args):
    code = (
        "from zan.cli import main\n"
        "try:\n"
        f"    main({[*args, '--help']!r})\n"
        "except SystemExit as exc:\n"
        "    assert exc.code == 0, exc.code\n"
    )
    assert _loaded_after(code) == []


def test_import_zan_is_lazy_and_complete():
    # import zan loads nothing heavy; the first use of a name imports it
    assert _loaded_after("import zan") == []
    assert "pandas" in _loaded_after("import zan\nzan.read_consumption")


def test_public_names_after_lazy_import():
    import zan

    assert set(zan.__all__) <= set(dir(zan))
    for name in zan.__all__:
        assert getattr(zan, name) is not None, name
    # the function zan.allocate is not replaced by the module of the same name
    import sys

    import zan.allocate  # noqa: F401 (the import that used to shadow it)
    from zan.allocate import Allocation

    assert callable(zan.allocate) and zan.allocate is sys.modules["zan.allocate"].allocate
    assert zan.Allocation is Allocation
    with pytest.raises(AttributeError, match="no attribute 'nope'"):
        zan.nope  # noqa: B018


def test_library_logger_has_a_null_handler():
    import zan  # noqa: F401

    assert any(isinstance(h, logging.NullHandler) for h in logging.getLogger("zan").handlers)


def test_python_m_zan():
    for module in ("zan", "zan.cli"):
        out = subprocess.run(
            [sys.executable, "-m", module, "--version"],
            capture_output=True,
            text=True,
            cwd=ROOT,
            check=True,
        )
        assert out.stdout.strip() == "zan, version 0.1.0"


CONSO = str(get_path("conso_enaf_2009_2023.csv"))


def test_verbose_shows_what_is_read():
    quiet = CliRunner().invoke(main, ["consumption", CONSO, "--by", "epci"])
    loud = CliRunner().invoke(main, ["-v", "consumption", CONSO, "--by", "epci"])
    assert quiet.exit_code == loud.exit_code == 0, loud.output
    line = f"info: read {CONSO}: 446 rows, 126 columns (utf-8)"
    assert line in loud.stderr and "info:" not in quiet.stderr
    assert loud.stdout == quiet.stdout  # the table itself does not change


def test_verbose_debug_names_the_written_file(tmp_path):
    out = tmp_path / "t.csv"
    res = CliRunner().invoke(main, ["-vv", "consumption", CONSO, "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert f"debug: zan._write: written {out}" in res.stderr
    # the handler is removed after the command: nothing piles up across calls
    assert not [h for h in logging.getLogger("zan").handlers if type(h).__name__ == "EchoHandler"]


def test_verbose_and_quiet_contradict():
    res = CliRunner().invoke(main, ["-v", "-q", "consumption", CONSO])
    assert res.exit_code == 2 and "-v and -q contradict" in res.output


def test_quiet_hides_progress_bars():
    args = [
        "raster-stats",
        str(get_path("corine_demo.tif")),
        "--territories",
        str(get_path("communes.gpkg")),
        "--legend",
        "corine",
    ]
    shown = CliRunner().invoke(main, args)
    hidden = CliRunner().invoke(main, ["-q", *args])
    assert shown.exit_code == hidden.exit_code == 0, hidden.output
    assert "raster rows" in shown.stderr  # the tqdm bar
    assert "raster rows" not in hidden.stderr
    assert hidden.stdout == shown.stdout
