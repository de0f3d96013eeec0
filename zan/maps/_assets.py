"""Offline assets: Leaflet and zan's own script, inlined in the page.

A default folium page links Leaflet, jQuery, Bootstrap, Font Awesome and more from
CDNs, so it shows a blank page without network. zan maps need Leaflet alone
(legends, tooltips, the fullscreen button and the scenario switcher are plain
HTML/CSS and a few lines of zan's own JavaScript), taken from the
``xstatic-leaflet`` package (a dependency of zan) and inlined in the page.
"""

from __future__ import annotations

import base64
import re
from functools import cache
from pathlib import Path

from ..errors import require

__all__: list[str] = []

_STATIC = Path(__file__).resolve().parent / "static"


def _script_safe(text: str) -> str:
    """Make text safe inside an inline ``<script>`` or ``<style>`` element."""
    return re.sub(r"</(?=[sS][cCtT])", r"<\\/", text)


@cache
def _leaflet_dir() -> Path:
    pkg = require("xstatic.pkg.leaflet", None, "zan's offline maps", package="xstatic-leaflet")
    return Path(pkg.BASE_DIR)


@cache
def leaflet_js() -> str:
    """Leaflet's minified script, without its source map comment."""
    text = (_leaflet_dir() / "leaflet.js").read_text(encoding="utf-8")
    text = re.sub(r"//# sourceMappingURL=\S+\s*$", "", text)
    return _script_safe(text)


@cache
def leaflet_css() -> str:
    """Leaflet's stylesheet with every ``url(...)`` inlined or dropped."""
    base = _leaflet_dir()
    text = (base / "leaflet.css").read_text(encoding="utf-8")

    def inline(match: re.Match[str]) -> str:
        target = match.group(1).strip("'\"")
        path = base / target
        if target.startswith("images/layers") and path.exists():
            data = base64.b64encode(path.read_bytes()).decode("ascii")
            return f"url(data:image/png;base64,{data})"
        return "none"  # marker icons (unused) and IE's VML behaviour

    text = re.sub(r"behavior:\s*url\([^)]*\);", "", text)
    text = re.sub(r"url\(([^)]*)\)", inline, text)
    return _script_safe(text)


@cache
def zan_js() -> str:
    """zan's decoder and map helpers (``zan/maps/static/zan.js``)."""
    return _script_safe((_STATIC / "zan.js").read_text(encoding="utf-8"))


@cache
def zan_css() -> str:
    """zan's stylesheet for titles, legends, labels and conference mode."""
    return _script_safe((_STATIC / "zan.css").read_text(encoding="utf-8"))


@cache
def static_text(name: str) -> str:
    """A file of ``zan/maps/static/``, safe to inline in a ``<script>`` or ``<style>``."""
    return _script_safe((_STATIC / name).read_text(encoding="utf-8"))


@cache
def conference_js() -> str:
    """Conference mode's side panel and scenario switcher (``static/zan_conf.js``)."""
    return _script_safe((_STATIC / "zan_conf.js").read_text(encoding="utf-8"))


@cache
def conference_css() -> str:
    """Conference mode's side panel stylesheet (``static/zan_conf.css``)."""
    return _script_safe((_STATIC / "zan_conf.css").read_text(encoding="utf-8"))


def conference_elements() -> list[tuple[str, str]]:
    """``(name, html)`` pairs added to the header of conference-mode maps only."""
    return [
        ("zan_conf_css", f"<style>{conference_css()}</style>"),
        ("zan_conf_js", f"<script>{conference_js()}</script>"),
    ]


def header_elements() -> list[tuple[str, str]]:
    """``(name, html)`` pairs to put once in the page header."""
    return [
        ("zan_leaflet_css", f"<style>{leaflet_css()}</style>"),
        ("zan_css", f"<style>{zan_css()}</style>"),
        ("zan_leaflet_js", f"<script>{leaflet_js()}</script>"),
        ("zan_js", f"<script>{zan_js()}</script>"),
    ]
