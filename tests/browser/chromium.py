"""Launch Debian's Chromium (``/usr/bin/chromium``) through Playwright, offline.

Playwright's own browser download is never used (no ``playwright install``):
CI installs the ``chromium`` Debian package and ``pip install playwright``.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from pathlib import Path

from helpers import chromium_path

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


@contextlib.contextmanager
def browser() -> Iterator[object]:
    """A headless Chromium browser.

    The test is skipped when Chromium or playwright is missing, and fails
    instead when ``ZAN_REQUIRE_BROWSER`` is set, as in CI (``helpers.chromium_path``).
    """
    executable = chromium_path()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=executable, headless=True, args=ARGS)
        try:
            yield b
        finally:
            b.close()


class OfflinePage:
    """A page whose every non-``file:``/``data:``/``about:`` request is aborted and recorded."""

    def __init__(self, browser, *, width: int = 1280, height: int = 800):
        self.context = browser.new_context(viewport={"width": width, "height": height})
        self.page = self.context.new_page()
        self.requests: list[str] = []
        self.network: list[str] = []
        self.dialogs: list[str] = []
        self.errors: list[str] = []

        def on_route(route):
            url = route.request.url
            self.requests.append(url)
            if url.startswith(("file:", "data:", "about:", "blob:")):
                route.continue_()
            else:
                self.network.append(url)
                route.abort()

        self.context.route("**/*", on_route)
        self.page.on("dialog", lambda d: (self.dialogs.append(d.message), d.dismiss()))
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def open(self, path: Path, *, selector: str = "path.leaflet-interactive") -> float:
        """Load a file and wait until ``selector`` appears; return the seconds it took."""
        start = time.perf_counter()
        self.page.goto(path.resolve().as_uri())
        self.page.wait_for_selector(selector, timeout=30_000)
        return time.perf_counter() - start

    def close(self) -> None:
        self.context.close()
