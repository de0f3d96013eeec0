"""The live offline simulator: one HTML file that recomputes an allocation as weights move.

For a governance conference: the region and its intercommunalités move a criterion's
weight, the reduction rate, the regional reserve, the garantie communale, the floors and
caps or the rounding, and every territory's envelope changes at once on the map, in a
ranked bar chart (with the change against a baseline: winners and losers) and in the
table. The page is one self-contained file (no network request, no server): the data
(:func:`zan.maps.simulator_data.simulator_data`) and the engine
(``static/zan_sim_engine.js``, zan's arithmetic ported float for float: water-filling
within floors and caps, garantie communale, rounding in integer units by largest
remainder or Sainte-Laguë; DOMAIN.md §5) are inlined. "Télécharger le scénario" saves
the current settings as a scenario TOML that ``zan allocate`` reproduces to the
0.01 ha, naming the SHA-256 of the data it was computed on.

Scripted use (and the tests): ``window.zanSimulator.set(settings)``,
``window.zanSimulator.state()`` → ``{settings, envelopes: {code: ha}, total_ha}``,
``window.zanSimulator.toml()``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ._assets import static_text
from ._text import escape, script_json
from .simulator_data import simulator_data

__all__ = ["simulator_html"]

_PAGE = """<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{css}</style>
</head>
<body class="zs">
<aside id="zs-panel">
<h1>Simulateur : {name}</h1>
<div class="zs-sub">{n} territoires ({level}) · calcul dans le navigateur, hors ligne, identique à
<code>zan allocate</code></div>
<div class="zs-buttons"><button type="button" id="zs-download">Télécharger le scénario</button>
<button type="button" id="zs-reset">Revenir au scénario</button></div>
<div id="zs-controls"></div>
</aside>
<main id="zs-main">
<div id="zs-head"><div id="zs-summary"></div><div id="zs-error" role="alert"></div></div>
<div id="zs-view">
<div id="zs-mapbox"><svg id="zs-svg" role="img" aria-label="Carte des enveloppes"
 preserveAspectRatio="xMidYMid meet"></svg><div id="zs-legend"></div></div>
<div id="zs-charts"><h2>Enveloppes les plus grandes</h2><div class="zs-note" id="zs-rank-note"></div>
<div id="zs-rank"></div><h2>Écart à la référence : gagnants et perdants</h2>
<div class="zs-note" id="zs-diff-note"></div><div id="zs-diff"></div></div>
</div>
<div id="zs-tablebox"><table id="zs-table"><thead><tr><th>Code</th><th>Nom</th>
<th>Référence (ha)</th><th>Enveloppe (ha)</th><th>Réduction (%)</th><th>Écart (ha)</th>
<th>Écart (points de réduction)</th><th>Borne</th></tr></thead><tbody id="zs-tbody"></tbody></table></div>
</main>
<div id="zs-tip"></div>
<script type="application/json" id="zs-data">{data}</script>
<script>{engine}</script>
<script>{ui}</script>
</body>
</html>
"""


def simulator_page(data: dict[str, Any]) -> str:
    """The simulator page for the data of :func:`~zan.maps.simulator_data.simulator_data`.

    Parameters
    ----------
    data : dict

    Returns
    -------
    str
        Self-contained HTML.
    """
    from ..formatting import format_number

    return _PAGE.format(
        title=escape(f"Simulateur zan : {data['name']}"),
        name=escape(data["name"]),
        n=format_number(len(data["codes"]), 0),
        level=escape(data["level_label"]),
        css=static_text("zan_sim.css"),
        data=script_json(data),
        engine=static_text("zan_sim_engine.js"),
        ui=static_text("zan_sim.js"),
    )


def simulator_html(
    source: Any,
    *,
    baseline: Any = None,
    out: str | os.PathLike[str] | None = None,
) -> Path | str:
    """Write the live offline simulator of a scenario: one self-contained HTML file.

    Parameters
    ----------
    source : Allocation, PreparedScenario, Scenario or path
        A single-level scenario whose criteria are scaled to the envelope (an
        :class:`~zan.allocate.Allocation` from :func:`zan.run_scenario` reuses the data
        it read).
    baseline : Allocation, Scenario or path, optional
        What differences are measured against (at the same level); default the
        scenario as given.
    out : path-like, optional
        File to write (atomically); without it the page is returned as text.

    Returns
    -------
    pathlib.Path or str
        The file written, or the HTML.

    Raises
    ------
    ScenarioError
        A cascade, unscaled targets (``scale_targets = false``), a baseline at another
        level.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from zan.datasets import scenario_path
    >>> path = simulator_html(scenario_path("02_consommation_population"),
    ...                       out=pathlib.Path(tempfile.mkdtemp()) / "simulateur.html")
    >>> text = path.read_text(encoding="utf-8")
    >>> "Télécharger le scénario" in text, "https://" in text
    (True, False)
    """
    html = simulator_page(simulator_data(source, baseline=baseline))
    if out is None:
        return html
    from .._write import write_text

    return write_text(html, Path(out))
