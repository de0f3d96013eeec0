/* zan maps, conference mode: the title, layer list, legend, credit and a compact scenario
   switcher (arrow keys, current scenario in large type) sit in a side panel; the map is
   fitted to the space the panel leaves, so no control covers the territory. */
(function (root) {
  "use strict";
  var zan = root.zan, frame = zan.frame, switcher = zan.switcher, PAD = 12;

  function fit(map, o, panel) {
    map.invalidateSize({animate: false});
    map.fitBounds(o.bounds, {animate: false, paddingTopLeft: [PAD, PAD],
      paddingBottomRight: [panel.offsetWidth + PAD, PAD]});
  }

  function panelOf(map) { return map.getContainer().querySelector(":scope > .zan-panel"); }

  // labels stay in the map area the panel leaves free
  var free = zan.free;
  zan.free = function (map) {
    var a = free(map), panel = panelOf(map);
    if (panel) {
      var r = panel.getBoundingClientRect();
      if (r.width > 0) a[2] = Math.min(a[2], r.left);
    }
    return a;
  };

  zan.frame = function (map, o) {
    frame(map, o);
    if (!o.conference) return;
    var box = map.getContainer();
    if (map.keyboard) map.keyboard.disable();  // the arrow keys switch scenarios
    var panel = L.DomUtil.create("div", "zan-panel", box);
    L.DomEvent.disableClickPropagation(panel);
    L.DomEvent.disableScrollPropagation(panel);
    var title = box.querySelector(":scope > .zan-title");
    if (title) panel.appendChild(title);
    panel.appendChild(L.DomUtil.create("div", "zan-now-slot"));
    var corners = map._controlCorners;
    // one compact row of tools (zoom, fullscreen, layer list), then the legend, then the credit
    var tools = L.DomUtil.create("div", "zan-tools", panel);
    tools.appendChild(corners.topleft);
    tools.appendChild(corners.topright);
    panel.appendChild(corners.bottomright);
    panel.appendChild(corners.bottomleft);
    fit(map, o, panel);
    var again = function () { fit(map, o, panel); };
    root.addEventListener("resize", again);
    document.addEventListener("fullscreenchange", again);
  };

  zan.switcher = function (map, items) {
    switcher(map, items);
    var panel = panelOf(map);
    if (!panel) return;
    var now = L.DomUtil.create("div", "zan-now", panel.querySelector(".zan-now-slot"));
    var prev = L.DomUtil.create("button", "", now), name = L.DomUtil.create("div", "zan-now-name", now),
      next = L.DomUtil.create("button", "", now);
    prev.type = next.type = "button";
    prev.textContent = "\u25C0"; next.textContent = "\u25B6";
    prev.title = "Sc\u00e9nario pr\u00e9c\u00e9dent (\u2190)"; next.title = "Sc\u00e9nario suivant (\u2192)";
    function current() {
      for (var j = 0; j < items.length; j++) if (map.hasLayer(items[j][1])) return j;
      return -1;
    }
    function show(j) {
      j = (j + items.length) % items.length;
      items.forEach(function (it) { if (it[1] !== items[j][1] && map.hasLayer(it[1])) map.removeLayer(it[1]); });
      if (!map.hasLayer(items[j][1])) map.addLayer(items[j][1]);
    }
    function mark() {
      var j = current();
      name.textContent = j < 0 ? "" : items[j][0];
      var hint = L.DomUtil.create("span", "zan-now-hint", name);
      hint.textContent = (j + 1) + " / " + items.length + " \u2014 fl\u00e8ches \u2190 \u2192";
    }
    L.DomEvent.on(prev, "click", function () { show(current() - 1); });
    L.DomEvent.on(next, "click", function () { show(current() + 1); });
    document.addEventListener("keydown", function (e) {
      if (e.altKey || e.ctrlKey || e.metaKey) return;
      var t = e.target && e.target.tagName;
      if (t === "INPUT" || t === "TEXTAREA" || t === "SELECT") return;
      if (e.key === "ArrowRight" || e.key === "PageDown") { show(current() + 1); e.preventDefault(); }
      else if (e.key === "ArrowLeft" || e.key === "PageUp") { show(current() - 1); e.preventDefault(); }
    });
    map.on("layeradd layerremove", mark);
    mark();
  };
})(window);
