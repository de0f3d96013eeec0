"""Session-wide test settings.

- Hypothesis: the ``ci`` profile (loaded when ``CI`` is set, as in ``.ci/run``) is
  derandomized, so that no landing depends on luck; its example database and caches
  live in a temporary folder, never in the source tree.
- Doctests that print a PDF need Chromium: they skip with the reason on a machine
  without it, and fail instead when ``ZAN_REQUIRE_BROWSER`` is set (CI).
- The source tree is listed before and after the session: a test (or a notebook run
  by a test) that leaves a file in it fails the session.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

# Before hypothesis writes anything: its storage outside the checkout.
os.environ.setdefault(
    "HYPOTHESIS_STORAGE_DIRECTORY", str(Path(tempfile.gettempdir()) / "zan-hypothesis")
)

import pytest  # noqa: E402
from hypothesis import settings  # noqa: E402

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))

ROOT = Path(__file__).resolve().parents[1]
#: Folders a test run may create or change in the checkout (caches and installs).
_IGNORED = {".git", "__pycache__", ".pytest_cache", ".ruff_cache", ".venv", "zan.egg-info"}
#: Calls in a doctest that print a PDF through a browser.
_PDF_CALLS = ("PdfPrinter(", "html_to_pdf(")


def _tree() -> set[str]:
    out = set()
    for dirpath, dirnames, filenames in os.walk(ROOT):
        dirnames[:] = [d for d in dirnames if d not in _IGNORED and not d.startswith(".venv")]
        rel = Path(dirpath).relative_to(ROOT)
        out.update(str(rel / f) for f in filenames if not f.endswith(".pyc"))
    return out


def pytest_sessionstart(session: pytest.Session) -> None:
    if not hasattr(session.config, "workerinput"):  # the controller (or a plain run)
        session.config.stash[_before] = _tree()


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    before = session.config.stash.get(_before, None)
    if before is None:
        return
    added = sorted(_tree() - before)
    if added:
        shown = ", ".join(added[:10]) + (f" and {len(added) - 10} more" if len(added) > 10 else "")
        writer = session.config.get_terminal_writer()
        writer.line()
        writer.line(
            f"ERROR: the test run wrote into the source tree: {shown}", red=True
        )
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


_before = pytest.StashKey[set]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from zan.reports.pdf import available_engines

    if os.environ.get("ZAN_REQUIRE_BROWSER") or available_engines():
        return
    skip = pytest.mark.skip(
        reason="no PDF engine here: apt-get install chromium (or set ZAN_CHROMIUM), "
        "or pip install weasyprint"
    )
    for item in items:
        dtest = getattr(item, "dtest", None)
        if dtest is not None and any(
            call in ex.source for ex in dtest.examples for call in _PDF_CALLS
        ):
            item.add_marker(skip)
