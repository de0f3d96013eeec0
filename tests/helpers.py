"""Shared test helpers: the one path helper for the real Hauts-de-France data.

The real files live beside the checkout in ``../shared/data`` (or wherever
``ZAN_SHARED_DATA`` points). On a user's machine they are absent and the tests
that need them are skipped with a clear reason.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED_DATA = Path(os.environ.get("ZAN_SHARED_DATA", ROOT.parent / "shared" / "data"))


def shared_path(*parts: str) -> Path:
    """Return a path under the shared real-data folder, or skip the test.

    Examples: ``shared_path("hdf", "admin", "communes_hdf_cog2026.csv")``.
    """
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        reason = f"real data not available: {path} (set ZAN_SHARED_DATA to its folder)"
        if os.environ.get("ZAN_REQUIRE_REALDATA"):
            pytest.fail(reason + "; ZAN_REQUIRE_REALDATA is set, so it must be there")
        pytest.skip(reason)
    return path


def chromium_path() -> str:
    """Return the path of Debian's Chromium for browser tests, or skip the test.

    With ``ZAN_REQUIRE_BROWSER`` set (as in CI), a missing browser fails instead.
    """
    from zan.reports.pdf import chromium_executable

    path = chromium_executable()  # $ZAN_CHROMIUM, else one on PATH
    reason = None
    if path is None:
        reason = "Chromium not installed (apt-get install chromium, or set ZAN_CHROMIUM to its path)"
    else:
        try:
            import playwright  # noqa: F401
        except ImportError:
            reason = "playwright not installed (pip install 'zan[test]')"
    if reason:
        if os.environ.get("ZAN_REQUIRE_BROWSER"):
            pytest.fail(reason + "; ZAN_REQUIRE_BROWSER is set, so it must be there")
        pytest.skip(reason)
    return path
