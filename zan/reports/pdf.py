"""HTML → PDF, offline: headless Chromium (through Playwright or its command line) or WeasyPrint.

Engines, in the order ``engine="auto"`` tries them:

``"playwright"``
    Chromium driven by Playwright (``pip install playwright``), launched once per
    :class:`PdfPrinter` and reused for every page: about half a second per report.
    The browser is the system's Chromium (``/usr/bin/chromium``, or the path given
    with ``browser=`` or ``ZAN_CHROMIUM``); Playwright's own browser download is
    never needed.
``"chromium"``
    The Chromium command line (``--headless --print-to-pdf``): no Python
    dependency, but a browser start for every page (a few seconds each).
``"weasyprint"``
    WeasyPrint (``pip install weasyprint``; needs the Pango library): no browser at
    all, a different layout engine (no JavaScript, partial flexbox).

Every engine is offline: the pages zan prints reference local files only, and
Chromium runs with background networking, component updates and sync disabled.
Output files are written atomically.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from .._write import atomic_path
from ..errors import DataError, MissingDependencyError
from ..settings import read_setting

__all__ = [
    "ENGINES",
    "PdfPrinter",
    "available_engines",
    "chromium_executable",
    "fix_pdf_dates",
    "html_to_pdf",
]

#: Engines known to :class:`PdfPrinter`.
ENGINES = ("playwright", "chromium", "weasyprint")

_CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-default-apps",
    "--disable-extensions",
    "--no-first-run",
    "--disable-dev-shm-usage",
    "--mute-audio",
]


def chromium_executable(browser: str | os.PathLike[str] | None = None) -> str | None:
    """Path of a Chromium-family browser: ``browser``, ``$ZAN_CHROMIUM``, or one on PATH.

    Examples
    --------
    >>> chromium_executable("/nonexistent/chromium") is None
    True
    """
    if browser is not None:
        return str(browser) if Path(browser).exists() else None
    env = read_setting("chromium")
    if env:
        return env if Path(env).exists() else None
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    return "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None


def _has(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def available_engines(browser: str | os.PathLike[str] | None = None) -> list[str]:
    """Engines usable on this machine, in the order ``"auto"`` tries them.

    Examples
    --------
    >>> set(available_engines()) <= set(ENGINES)
    True
    """
    out = []
    exe = chromium_executable(browser)
    if exe and _has("playwright"):
        out.append("playwright")
    if exe:
        out.append("chromium")
    if _has("weasyprint"):
        out.append("weasyprint")
    return out


class PdfPrinter:
    """Print HTML files to PDF with one engine, reusing its browser across pages.

    Use it as a context manager (or call :meth:`close`) so that the browser
    stops.

    Parameters
    ----------
    engine : {"auto", "playwright", "chromium", "weasyprint"}, default "auto"
        See the module docstring.
    browser : path, optional
        Chromium executable (default ``$ZAN_CHROMIUM`` or ``chromium`` on PATH).
    timeout : float, default 120
        Seconds allowed for one page.

    Raises
    ------
    MissingDependencyError
        No engine is available, or the one asked for is not; the message says
        what to install.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "p.html").write_text("<h1>Bonjour</h1>", encoding="utf-8")
    >>> with PdfPrinter() as printer:
    ...     printer.print(d / "p.html", d / "p.pdf").read_bytes()[:5]
    b'%PDF-'
    """

    def __init__(
        self,
        engine: str = "auto",
        *,
        browser: str | os.PathLike[str] | None = None,
        timeout: float = 120.0,
    ) -> None:
        avail = available_engines(browser)
        if engine == "auto":
            if not avail:
                raise MissingDependencyError(
                    "PDF reports need headless Chromium (apt-get install chromium, or set "
                    "ZAN_CHROMIUM to a Chromium/Chrome executable; pip install playwright makes "
                    "it faster) or WeasyPrint (pip install weasyprint); or ask for --format html"
                )
            engine = avail[0]
        elif engine not in ENGINES:
            raise DataError(
                f"unknown PDF engine {engine!r}; valid engines: auto, {', '.join(ENGINES)}"
            )
        elif engine not in avail:
            need = {
                "playwright": "pip install playwright, and a Chromium (apt-get install chromium "
                "or ZAN_CHROMIUM)",
                "chromium": "apt-get install chromium, or set ZAN_CHROMIUM to its path",
                "weasyprint": "pip install weasyprint (it needs the Pango library)",
            }[engine]
            raise MissingDependencyError(
                f"PDF engine {engine!r} is not available here (available: "
                f"{', '.join(avail) or 'none'}); install it with: {need}"
            )
        self.engine = engine
        self.executable = chromium_executable(browser)
        self.timeout = float(timeout)
        self._pw: Any = None
        self._browser: Any = None
        self._context: Any = None
        self._page: Any = None
        self._profile: str | None = None

    # ------------------------------------------------------------------ life cycle
    def __enter__(self) -> PdfPrinter:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def close(self) -> None:
        """Stop the browser, if one was started (safe to call twice)."""
        if self._browser is not None:
            try:
                self._browser.close()
            finally:
                self._browser = self._context = self._page = None
        if self._pw is not None:
            try:
                self._pw.stop()
            finally:
                self._pw = None
        if self._profile is not None:
            shutil.rmtree(self._profile, ignore_errors=True)
            self._profile = None

    def __repr__(self) -> str:
        return f"<PdfPrinter engine={self.engine} browser={self.executable}>"

    # ------------------------------------------------------------------ printing
    def print(self, html: str | os.PathLike[str], pdf: str | os.PathLike[str]) -> Path:
        """Print one HTML file (its ``@page`` rules set the paper) to a PDF file.

        Parameters
        ----------
        html : path-like
            A local HTML file; relative links (images) resolve from its folder.
        pdf : path-like
            Output file, written atomically.

        Returns
        -------
        pathlib.Path
        """
        src = Path(html).resolve()
        if not src.is_file():
            raise DataError(f"{src}: HTML file not found; render the report first")
        with atomic_path(pdf, suffix=".pdf") as tmp:
            getattr(self, f"_print_{self.engine}")(src, tmp)
            if not tmp.exists() or tmp.read_bytes()[:5] != b"%PDF-":
                raise DataError(
                    f"{src}: the {self.engine} engine wrote no PDF; try another engine "
                    f"(available: {', '.join(available_engines(self.executable))})"
                )
            fix_pdf_dates(tmp)
        return Path(pdf)

    def _print_playwright(self, src: Path, out: Path) -> None:
        if self._browser is None:
            from playwright.sync_api import sync_playwright

            self._pw = sync_playwright().start()
            self._browser = self._pw.chromium.launch(
                executable_path=self.executable, headless=True, args=_CHROMIUM_ARGS
            )
            self._context = self._browser.new_context()
            # only local files: anything else is refused (offline, and no tracking)
            self._context.route(
                "**/*",
                lambda route: (
                    route.continue_()
                    if route.request.url.startswith(("file:", "data:", "about:", "blob:"))
                    else route.abort()
                ),
            )
        if self._page is None:
            # one page for every document: a new page costs as much as the printing
            self._page = self._context.new_page()
        try:
            self._page.goto(src.as_uri(), wait_until="load", timeout=self.timeout * 1000)
            self._page.pdf(path=str(out), prefer_css_page_size=True, print_background=True)
        except Exception:
            page, self._page = self._page, None  # start the next document on a fresh page
            with contextlib.suppress(Exception):
                page.close()
            raise

    def _print_chromium(self, src: Path, out: Path) -> None:
        if self._profile is None:
            self._profile = tempfile.mkdtemp(prefix="zan-chromium-")
        cmd = [
            str(self.executable),
            "--headless",
            *_CHROMIUM_ARGS,
            f"--user-data-dir={self._profile}",
            "--no-pdf-header-footer",
            "--run-all-compositor-stages-before-draw",
            f"--print-to-pdf={out}",
            src.as_uri(),
        ]
        try:
            proc = subprocess.run(
                cmd, capture_output=True, text=True, timeout=self.timeout, check=False
            )
        except subprocess.TimeoutExpired as exc:
            raise DataError(
                f"{src}: Chromium did not print within {self.timeout:g} s; raise timeout="
            ) from exc
        if proc.returncode != 0 or not out.exists():
            tail = (proc.stderr or "").strip().splitlines()[-3:]
            raise DataError(
                f"{src}: Chromium failed to print (exit status {proc.returncode}: "
                f"{' | '.join(tail)}); check the browser with: {self.executable} --version"
            )

    def _print_weasyprint(self, src: Path, out: Path) -> None:
        import weasyprint

        weasyprint.HTML(filename=str(src), base_url=str(src.parent)).write_pdf(str(out))


_PDF_DATE = re.compile(rb"/(CreationDate|ModDate)\s*\(D:(\d{4,14})")


def fix_pdf_dates(path: str | os.PathLike[str], date: bytes = b"20000101000000") -> bool:
    """Replace the creation and modification dates of a PDF by a fixed date, in place.

    The browser stamps each PDF with the time of printing; with a fixed date the
    same report gives the same bytes. Only the digits are replaced (same length),
    so the cross-reference offsets of the file stay right.

    Returns
    -------
    bool
        Whether a date was replaced.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "a.pdf"
    >>> _ = p.write_bytes(b"%PDF-1.4 /CreationDate (D:20261203112141+00'00')")
    >>> fix_pdf_dates(p), p.read_bytes()
    (True, b"%PDF-1.4 /CreationDate (D:20000101000000+00'00')")
    """
    path = Path(path)
    raw = path.read_bytes()

    def fixed(m: re.Match[bytes]) -> bytes:
        digits = m.group(2)
        return m.group(0)[: -len(digits)] + date[: len(digits)]

    out = _PDF_DATE.sub(fixed, raw)
    if out == raw:
        return False
    path.write_bytes(out)
    return True


def html_to_pdf(
    html: str | os.PathLike[str],
    pdf: str | os.PathLike[str],
    *,
    engine: str = "auto",
    browser: str | os.PathLike[str] | None = None,
) -> Path:
    """Print one HTML file to PDF (a :class:`PdfPrinter` for a single page).

    For many pages, keep one :class:`PdfPrinter` open: the browser starts once.

    Parameters
    ----------
    html, pdf : path-like
    engine, browser
        As in :class:`PdfPrinter`.

    Returns
    -------
    pathlib.Path

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "p.html").write_text("<p>Enveloppe</p>", encoding="utf-8")
    >>> html_to_pdf(d / "p.html", d / "p.pdf").read_bytes()[:5]
    b'%PDF-'
    """
    with PdfPrinter(engine, browser=browser) as printer:
        return printer.print(html, pdf)
