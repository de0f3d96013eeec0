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
        reason = (
            "Chromium not installed (apt-get install chromium, or set ZAN_CHROMIUM to its path)"
        )
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


def _drawn_ticks(axis) -> list:
    """Tick labels inside the axis's view limits (the ones matplotlib draws)."""
    lo, hi = sorted(axis.get_view_interval())
    eps = 1e-9 * (hi - lo)
    locs, labels = axis.get_majorticklocs(), axis.get_majorticklabels()
    return [t for x, t in zip(locs, labels, strict=True) if lo - eps <= x <= hi + eps]


def texts_outside(fig) -> list[str]:
    """Texts of the figure's axes whose box runs past the figure's edge."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    canvas = FigureCanvasAgg(fig)
    canvas.draw()  # places the axis labels beside their tick labels
    renderer = canvas.get_renderer()
    w, h = fig.bbox.width, fig.bbox.height
    out = []
    for ax in fig.axes:
        texts = [*_drawn_ticks(ax.xaxis), *_drawn_ticks(ax.yaxis), ax.xaxis.label, ax.yaxis.label]
        texts += [ax.title, ax._left_title, ax._right_title]
        if ax.get_legend() is not None:
            texts += ax.get_legend().get_texts()
        for t in texts:
            if not t.get_visible() or not t.get_text():
                continue
            b = t.get_window_extent(renderer)
            if b.x0 < -0.5 or b.y0 < -0.5 or b.x1 > w + 0.5 or b.y1 > h + 0.5:
                out.append(f"{t.get_text()!r} {b.bounds}")
    return out
