"""Atlas: several maps bundled in one offline HTML page with a menu."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import folium
from branca.element import Figure

from ..errors import SchemaError
from ._base import save, stable_ids
from ._text import escape, script_json

__all__ = ["atlas"]

_KINDS = ("choropleth", "status", "scenarios", "side_by_side")

_PAGE = """<!DOCTYPE html>
<html lang="fr">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>
html,body{{margin:0;height:100%;font:15px/1.4 system-ui,"Segoe UI",Roboto,sans-serif;color:#222}}
body{{display:flex;flex-direction:column}}
#zan-menu{{display:flex;flex-wrap:wrap;align-items:center;gap:6px;padding:6px 10px;
  background:#263238;color:#fff}}
#zan-menu h1{{font-size:17px;margin:0 14px 0 0}}
#zan-menu button{{font:inherit;padding:5px 12px;border:1px solid #90a4ae;border-radius:3px;
  background:#37474f;color:#fff;cursor:pointer}}
#zan-menu button.on{{background:#fff;color:#263238}}
#zan-view{{flex:1;position:relative}}
#zan-view iframe{{position:absolute;inset:0;width:100%;height:100%;border:0}}
#zan-credit{{font-size:12px;color:#cfd8dc;margin-left:auto}}
body.zan-conf{{font-size:24px}} body.zan-conf #zan-menu h1{{font-size:28px}}
</style>
</head>
<body class="{body_class}">
<nav id="zan-menu"><h1>{title}</h1>{buttons}<span id="zan-credit">{credit}</span></nav>
<main id="zan-view"></main>
<script type="application/json" id="zan-pages">{pages}</script>
<script>
(function () {{
  var pages = JSON.parse(document.getElementById("zan-pages").textContent);
  var view = document.getElementById("zan-view"), frames = {{}};
  var buttons = document.querySelectorAll("#zan-menu button");
  function show(i) {{
    for (var k in frames) frames[k].style.display = "none";
    if (!frames[i]) {{
      var f = document.createElement("iframe");
      f.setAttribute("allowfullscreen", "");
      f.title = buttons[i].textContent;
      f.srcdoc = pages[i];
      view.appendChild(f);
      frames[i] = f;
    }}
    frames[i].style.display = "block";
    for (var j = 0; j < buttons.length; j++) buttons[j].className = j === i ? "on" : "";
  }}
  for (var j = 0; j < buttons.length; j++) (function (j) {{
    buttons[j].addEventListener("click", function () {{ show(j); }});
  }})(j);
  show(0);{keys}
}})();
</script>
</body>
</html>
"""


# conference mode: the arrow keys reach the map shown (its scenario switcher)
_KEYS = """
  document.addEventListener("keydown", function (e) {
    if (e.target && e.target.tagName === "BUTTON" && (e.key === "Enter" || e.key === " ")) return;
    for (var k in frames) if (frames[k].style.display === "block" && frames[k].contentWindow) {
      frames[k].contentWindow.document.dispatchEvent(new KeyboardEvent("keydown", {key: e.key}));
    }
  });"""


def _render(name: str, item: Any) -> str:
    if isinstance(item, folium.Map | Figure):
        return item.get_root().render()
    if isinstance(item, str):
        return item
    if isinstance(item, Mapping):
        from .choropleth import choropleth
        from .compare import scenario_layers, side_by_side
        from .status import status_map

        spec = dict(item)
        kind = spec.pop("kind", "choropleth")
        makers = {
            "choropleth": choropleth,
            "status": status_map,
            "scenarios": scenario_layers,
            "side_by_side": side_by_side,
        }
        if kind not in makers:
            raise SchemaError(
                f"atlas: map {name!r} has unknown kind {kind!r}; kinds: {', '.join(_KINDS)}"
            )
        try:
            return makers[kind](**spec).get_root().render()
        except TypeError as exc:
            raise SchemaError(
                f"atlas: map {name!r}: {exc}; see help(zan.maps.{makers[kind].__name__})"
            ) from exc
    raise SchemaError(
        f"atlas: map {name!r} is a {type(item).__name__}; give a folium map, a figure, "
        "HTML text or a dict of options with a 'kind' among " + ", ".join(_KINDS)
    )


def atlas(
    maps: Mapping[str, folium.Map | Figure | str | Mapping[str, Any]],
    path: str | os.PathLike | None = None,
    *,
    title: str = "Atlas ZAN",
    credit: str | None = "Calcul zan",
    conference: bool = False,
) -> str:
    """Bundle several maps into one offline HTML page with a menu.

    Each map is kept whole (its own inlined Leaflet) and shown in a frame built
    on demand when its menu button is pressed, so the page opens fast and works
    without network.

    Parameters
    ----------
    maps : dict
        ``{menu label: map}``; a map is a folium map or figure (from
        :func:`choropleth`, :func:`status_map`, :func:`scenario_layers`,
        :func:`side_by_side`), HTML text, or a dict of that function's
        arguments with ``kind`` among ``"choropleth"``, ``"status"``,
        ``"scenarios"``, ``"side_by_side"``.
    path : str or path-like, optional
        Where to write the page (atomically).
    title : str, default "Atlas ZAN"
        Page title, shown in the menu bar.
    credit : str, optional
        Source line shown in the menu bar.
    conference : bool, default False
        Larger menu for a projector.

    Returns
    -------
    str
        The HTML page.

    Raises
    ------
    SchemaError
        When ``maps`` is empty or an entry cannot be made into a map.

    Examples
    --------
    >>> import folium
    >>> html = atlas({"Vide": "<p>carte</p>"}, title="Atlas <démo>")
    >>> "Atlas &lt;démo&gt;" in html
    True
    """
    if not isinstance(maps, Mapping) or not maps:
        raise SchemaError(
            "atlas: give a non-empty dict {menu label: map}, e.g. "
            "{'Enveloppes': choropleth(...), 'Trajectoire': status_map(...)}"
        )
    pages = [_render(str(name), item) for name, item in maps.items()]
    buttons = "".join(f'<button type="button">{escape(name)}</button>' for name in maps)
    html = _PAGE.format(
        title=escape(title),
        credit=escape(credit or ""),
        buttons=buttons,
        pages=script_json(pages),
        body_class="zan-conf" if conference else "",
        keys=_KEYS if conference else "",
    )
    if path is not None:
        save(html, Path(path))
    return stable_ids(html)
