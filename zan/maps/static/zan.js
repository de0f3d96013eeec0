/* zan maps: geometry decoder and Leaflet helpers, inlined in every zan map.
 * Geometry format: see zan/maps/_geometry.py (zig-zag varints of quantized
 * coordinate deltas in the URL-safe base-64 alphabet). Every string that comes
 * from data is escaped with esc() or inserted with textContent. */
(function (root) {
  "use strict";
  var ABC = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
  var LUT = new Int8Array(128);
  for (var i = 0; i < 64; i++) LUT[ABC.charCodeAt(i)] = i;

  function ints(s) {
    var out = [], v = 0, m = 1, d;
    for (var i = 0; i < s.length; i++) {
      d = LUT[s.charCodeAt(i)];
      v += (d & 31) * m;
      if (d & 32) { m *= 32; } else { out.push(v % 2 ? -(v + 1) / 2 : v / 2); v = 0; m = 1; }
    }
    return out;
  }

  function geom(g) {
    var P = ints(g.p), R = ints(g.r), N = ints(g.n), C = ints(g.c);
    var feats = new Array(P.length), pi = 0, ri = 0, ci = 0, x = 0, y = 0, s = g.s;
    for (var f = 0; f < P.length; f++) {
      var polys = new Array(P[f]);
      for (var a = 0; a < P[f]; a++, pi++) {
        var rings = new Array(R[pi]);
        for (var b = 0; b < R[pi]; b++) {
          var n = N[ri++], ring = new Array(n);
          for (var k = 0; k < n; k++) {
            x += C[ci++]; y += C[ci++];
            ring[k] = L.latLng(g.y0 + y * s, g.x0 + x * s);
          }
          rings[b] = ring;
        }
        polys[a] = rings;
      }
      feats[f] = polys;
    }
    return feats;
  }

  function esc(v) {
    return String(v).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }

  function fmt(v, d, signed) {
    var neg = v < 0, p = Math.abs(v).toFixed(d).split(".");
    p[0] = p[0].replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f");
    var s = p.join(",");
    var zero = /^[0,]*$/.test(s);
    return (neg && !zero ? "-" : (signed && v > 0 && !zero ? "+" : "")) + s;
  }

  var NA = "non renseign\u00e9";

  function cell(f, i) {
    if (f.s) return f.s[i] == null ? NA : esc(f.s[i]);
    var v = f.v[i];
    if (v == null) return NA;
    return fmt(v, f.d, f.sg) + (f.u ? "\u00a0" + esc(f.u) : "");
  }

  // Allocation.explain written from compact figures (zan/allocation_explain.py: the same
  // words; numbers come rounded, only the French separators are added here)
  function fx(v, d) {
    if (typeof v === "string") return v;
    if (v == null) return "\u2014";
    var neg = v < 0 || Object.is(v, -0), p = Math.abs(v).toFixed(d).split(".");
    p[0] = p[0].replace(/\B(?=(\d{3})+(?!\d))/g, " ");
    return (neg ? "-" : "") + p.join(",");
  }

  function explain(st, x, i) {
    if (!x.rows) x.rows = JSON.parse(x.r);
    var r = x.rows[i];
    if (r == null) return "";
    var nm = x.nm ? x.nm[i] : st.names[i], cd = x.cd ? x.cd[i] : st.codes[i], g = r[9];
    var t = [nm + " (" + x.lab + cd + ") : " + fx(r[0], 2) + " ha" + x.tgt];
    t[0] += r[1] == null ? "." : ", contre " + fx(r[1], 2) + " ha consomm\u00e9s " + x.refp +
      ", soit une r\u00e9duction de " + fx(r[2], 2) + " %.";
    t.push(x.par[r[3]]);
    var parts = [];
    for (var k = 0; k < x.crit.length; k++) parts.push(x.crit[k] + fx(r[11 + k], 2) + " ha");
    t.push("R\u00e8gle de partage : " + parts.join(" ; ") + ".");
    if (r[4] === 1) {
      t.push("La part calcul\u00e9e (" + fx(r[5], 2) + " ha) est relev\u00e9e au plancher de " + fx(r[6], 2) +
        " ha" + (g != null ? ", dont " + fx(g, 2) + " ha de garantie communale" : "") + " : +" + fx(r[8], 2) + " ha.");
    } else if (r[4] === 2) {
      t.push("La part calcul\u00e9e (" + fx(r[5], 2) + " ha) est ramen\u00e9e au plafond de " + fx(r[7], 2) +
        " ha : " + fx(r[8], 2) + " ha, redistribu\u00e9s aux autres territoires.");
    } else if (r[4] === 3) {
      t.push("Le plancher de " + fx(r[6], 2) + " ha" +
        (g != null ? " (garantie communale : " + fx(g, 2) + " ha)" : "") + " est d\u00e9pass\u00e9.");
    }
    if (x.pool) t.push(x.pool);
    var rd = r[10];
    t.push(x.rnd + (typeof rd === "string" ? rd : (rd < 0 || Object.is(rd, -0) ? "" : "+") + fx(rd, 4)) + " ha.");
    return t.join(" ");
  }

  function card(st, fields, i) {
    var h = '<div class="zan-card"><div class="zan-name">' + esc(st.names[i]) +
      ' <span class="zan-code">(' + esc(st.codes[i]) + ")</span></div><table>";
    for (var j = 0; j < fields.length; j++) {
      var f = fields[j];
      if (f.h) { h += '<tr><th colspan="2">' + esc(f.h) + "</th></tr>"; continue; }
      if (f.x) {
        var ex = explain(st, f.x, i);
        if (ex) h += '<tr><td colspan="2" class="zan-text">' + esc(ex) + "</td></tr>";
        continue;
      }
      if (f.t) {
        if (f.t[i]) h += '<tr><td colspan="2" class="zan-text">' + esc(f.t[i]).replace(/\n/g, "<br>") + "</td></tr>";
        continue;
      }
      var raw = f.s ? f.s[i] : f.v[i];
      if (f.o && (raw == null || raw === 0 || raw === "")) continue;
      h += "<tr><td>" + esc(f.l) + '</td><td class="zan-num">' + cell(f, i) + "</td></tr>";
    }
    return h + "</table></div>";
  }

  function control(pos, cls, fill) {
    var C = L.Control.extend({
      options: {position: pos},
      onAdd: function () {
        var d = L.DomUtil.create("div", cls);
        fill(d);
        L.DomEvent.disableClickPropagation(d);
        L.DomEvent.disableScrollPropagation(d);
        return d;
      }
    });
    return new C();
  }

  function frame(map, o) {
    var box = map.getContainer();
    if (o.conference) L.DomUtil.addClass(box, "zan-conf");
    map.createPane("zanOutline").style.zIndex = 450;
    map.getPane("zanOutline").style.pointerEvents = "none";
    if (o.title) {
      var t = L.DomUtil.create("div", "zan-title", box);
      t.textContent = o.title;
    }
    if (o.credit) control("bottomleft", "zan-credit", function (d) { d.textContent = o.credit; }).addTo(map);
    if (o.fullscreen) fullscreen(map);
    map.fitBounds(o.bounds, {animate: false, paddingTopLeft: [12, o.title ? 56 : 12], paddingBottomRight: [12, 12]});
    // once every control is on the map (legends come after the frame), the territory is
    // fitted beside them (conference mode does it around its side panel instead)
    if (!o.conference) setTimeout(function () { clear(map, o.bounds); }, 0);
  }

  // Fit bounds so that no control (title, legend, layer list, zoom, credit) covers them:
  // each corner control is stepped around on the side that costs the map less room.
  function clear(map, bounds) {
    var box = map.getContainer(), r = box.getBoundingClientRect(), PAD = 12;
    if (!(r.width > 0 && r.height > 0)) return;  // hidden map (an atlas tab): kept as it is
    var pad = {l: PAD, t: PAD, r: PAD, b: PAD};
    var ctl = box.querySelectorAll(".leaflet-control, .zan-title");
    for (var i = 0; i < ctl.length; i++) {
      var q = ctl[i].getBoundingClientRect();
      if (!(q.width > 0 && q.height > 0)) continue;
      var left = q.left - r.left, top = q.top - r.top, right = r.right - q.right, bottom = r.bottom - q.bottom;
      var h = left < right ? ["l", left + q.width] : ["r", right + q.width];
      var v = top < bottom ? ["t", top + q.height] : ["b", bottom + q.height];
      var side = h[1] / r.width <= v[1] / r.height ? h : v;
      pad[side[0]] = Math.max(pad[side[0]], side[1] + PAD);
    }
    if (pad.l + pad.r >= r.width - 40 || pad.t + pad.b >= r.height - 40) return;  // no room left
    map.fitBounds(bounds, {animate: false, paddingTopLeft: [pad.l, pad.t], paddingBottomRight: [pad.r, pad.b]});
  }

  function points(t, g) {
    var v = ints(t), out = new Array(v.length / 2), x = 0, y = 0;
    for (var i = 0; i < out.length; i++) {
      x += v[2 * i]; y += v[2 * i + 1];
      out[i] = L.latLng(g.y0 + y * g.s, g.x0 + x * g.s);
    }
    return out;
  }

  function store(o) {
    return {feats: geom(o.g), codes: o.codes, names: o.names, pts: points(o.pts, o.g)};
  }

  // an SVG pattern of a class colour with white diagonal lines ("//") or crossed ones ("xx")
  function hatch(colour, kind) {
    var id = "zan-h-" + kind.replace(/\//g, "d") + "-" + colour.replace(/[^0-9a-zA-Z]/g, "");
    if (document.getElementById(id)) return "url(#" + id + ")";
    var NS = "http://www.w3.org/2000/svg", defs = document.getElementById("zan-hatches");
    if (!defs) {
      var svg = document.createElementNS(NS, "svg");
      svg.setAttribute("width", "0"); svg.setAttribute("height", "0");
      svg.style.position = "absolute";
      defs = document.createElementNS(NS, "defs");
      defs.id = "zan-hatches";
      svg.appendChild(defs);
      document.body.appendChild(svg);
    }
    var p = document.createElementNS(NS, "pattern"), r = document.createElementNS(NS, "rect"),
      d = document.createElementNS(NS, "path");
    p.id = id;
    p.setAttribute("patternUnits", "userSpaceOnUse");
    p.setAttribute("width", "8"); p.setAttribute("height", "8");
    r.setAttribute("width", "8"); r.setAttribute("height", "8"); r.setAttribute("fill", colour);
    d.setAttribute("d", "M-2,2l4,-4M0,8l8,-8M6,10l4,-4" + (kind === "xx" ? "M-2,6l4,4M0,0l8,8M6,-2l4,4" : ""));
    d.setAttribute("stroke", "rgba(255,255,255,0.75)"); d.setAttribute("stroke-width", "1.5");
    p.appendChild(r); p.appendChild(d); defs.appendChild(p);
    return "url(#" + id + ")";
  }

  function layer(map, st, o) {
    var group = L.featureGroup(), styles = [], svg = !map.options.preferCanvas;
    for (var c = 0; c < o.pal.length; c++) {
      var h = o.hatch && o.hatch[c];
      styles.push(L.extend({}, o.style, {fillColor: h && svg ? hatch(o.pal[c], h) : o.pal[c]}));
    }
    var na = L.extend({}, o.style, {fillColor: o.na});
    for (var i = 0; i < st.feats.length; i++) {
      var k = o.cls[i], p = L.polygon(st.feats[i], k < 0 ? na : styles[k]);
      p.zi = i;
      group.addLayer(p);
    }
    group.bindTooltip(function (l) { return card(st, o.tip, l.zi); }, {sticky: true, className: "zan-tip"});
    if (o.pop) group.bindPopup(function (l) { return card(st, o.pop, l.zi); }, {maxWidth: 420, className: "zan-pop"});
    function hover(e, on) {
      var m = st.lab && st.lab[e.layer.zi];
      if (m && m._icon) L.DomUtil[on ? "addClass" : "removeClass"](m._icon, "zan-hover");
    }
    group.on("mouseover", function (e) { e.layer.setStyle({weight: o.style.weight * 3 + 1, color: "#222"}); hover(e, true); });
    group.on("mouseout", function (e) { e.layer.setStyle({weight: o.style.weight, color: o.style.color}); hover(e, false); });
    if (o.legend) {
      var lg = control("bottomright", "zan-legend", function (d) { d.innerHTML = o.legend; });
      group.on("add", function () { lg.addTo(map); });
      group.on("remove", function () { lg.remove(); });
    }
    return group;
  }

  function outline(map, st, o) {
    var group = L.featureGroup();
    var style = {fill: false, interactive: false, weight: o.weight, color: o.color, opacity: 0.9, pane: "zanOutline"};
    for (var i = 0; i < st.feats.length; i++) group.addLayer(L.polygon(st.feats[i], style));
    return group;
  }

  // Labels by priority (payload "i" sorted by area, descending, with areas "a"): a label is
  // shown only if its box lies in the free map area (zan.free) and meets no label already
  // placed nor any control; the others appear while their territory is hovered. Re-run on
  // zoom, move, resize and when a label layer is switched on or off.
  function labels(map, st, o, cls) {
    var group = L.layerGroup();
    if (Array.isArray(o)) o = {i: o, a: []};
    st.lab = st.lab || {};
    for (var j = 0; j < o.i.length; j++) {
      var i = o.i[j];
      var m = L.marker(st.pts[i], {
        icon: L.divIcon({className: "zan-label " + (cls || ""), html: "<span>" + esc(st.names[i]) + "</span>", iconSize: null}),
        interactive: false, keyboard: false
      }).addTo(group);
      m.zp = o.a[j] == null ? -j : o.a[j];
      st.lab[i] = m;
    }
    var all = map._zanLabels;
    if (!all) {
      all = map._zanLabels = [];
      map.on("zoomend moveend resize viewreset", function () { declutter(map); });
    }
    all.push(group);
    group.on("add remove", function () { declutter(map); });
    return group;
  }

  function free(map) {
    var r = map.getContainer().getBoundingClientRect();
    return [r.left, r.top, r.right, r.bottom];
  }

  function declutter(map) {
    var area = root.zan.free(map), GAP = 2;
    area = [area[0] + GAP, area[1] + GAP, area[2] - GAP, area[3] - GAP];
    if (!(area[2] > area[0] && area[3] > area[1])) return;  // hidden map (atlas tab): later
    var items = [];
    map._zanLabels.forEach(function (g) {
      if (map.hasLayer(g)) g.eachLayer(function (m) { if (m._icon) items.push(m); });
    });
    items.sort(function (a, b) { return b.zp - a.zp; });
    var placed = [], spans = [], boxes = [];
    var ctl = map.getContainer().querySelectorAll(".leaflet-control, .zan-title");
    for (var c = 0; c < ctl.length; c++) {
      var q = ctl[c].getBoundingClientRect();
      if (q.width > 0 && q.height > 0) placed.push([q.left, q.top, q.right, q.bottom]);
    }
    items.forEach(function (m) {
      var s = m._icon.firstChild;
      L.DomUtil.removeClass(m._icon, "zan-off");
      s.style.left = s.style.top = "";
      spans.push(s);
    });
    spans.forEach(function (s) { var r = s.getBoundingClientRect(); boxes.push([r.left, r.top, r.right, r.bottom]); });
    for (var k = 0; k < items.length; k++) {
      var b = boxes[k], cx = (b[0] + b[2]) / 2, cy = (b[1] + b[3]) / 2, dx = 0, dy = 0, ok = b[2] > b[0];
      // the anchor inside the free area: slide the label into it; otherwise drop it
      ok = ok && cx >= area[0] && cx <= area[2] && cy >= area[1] && cy <= area[3] &&
        b[2] - b[0] <= area[2] - area[0] && b[3] - b[1] <= area[3] - area[1];
      if (ok) {
        dx = Math.max(0, area[0] - b[0]) - Math.max(0, b[2] - area[2]);
        dy = Math.max(0, area[1] - b[1]) - Math.max(0, b[3] - area[3]);
        b = [b[0] + dx, b[1] + dy, b[2] + dx, b[3] + dy];
        for (var p = 0; ok && p < placed.length; p++) {
          var a = placed[p];
          if (b[0] < a[2] + GAP && a[0] < b[2] + GAP && b[1] < a[3] + GAP && a[1] < b[3] + GAP) ok = false;
        }
      }
      if (ok) {
        placed.push(b);
        if (dx) spans[k].style.left = dx + "px";
        if (dy) spans[k].style.top = dy + "px";
      } else {
        L.DomUtil.addClass(items[k]._icon, "zan-off");
      }
    }
  }

  function fullscreen(map) {
    control("topleft", "leaflet-bar zan-fs", function (d) {
      var a = L.DomUtil.create("a", "", d);
      a.href = "#"; a.title = "Plein \u00e9cran"; a.setAttribute("role", "button");
      a.innerHTML = '<svg viewBox="0 0 16 16" width="60%" height="60%" aria-hidden="true">' +
        '<path d="M1 6V1h5M10 1h5v5M15 10v5h-5M6 15H1v-5" fill="none" stroke="currentColor" stroke-width="2"/></svg>';
      L.DomEvent.on(a, "click", function (e) {
        L.DomEvent.preventDefault(e);
        var el = document.documentElement;
        if (document.fullscreenElement) document.exitFullscreen();
        else if (el.requestFullscreen) el.requestFullscreen();
      });
    }).addTo(map);
    document.addEventListener("fullscreenchange", function () { map.invalidateSize(); });
  }

  function switcher(map, items) {
    control("topright", "zan-switch", function (d) {
      var buttons = [];
      function mark() {
        for (var j = 0; j < items.length; j++) L.DomUtil[map.hasLayer(items[j][1]) ? "addClass" : "removeClass"](buttons[j], "on");
      }
      items.forEach(function (it) {
        var b = L.DomUtil.create("button", "", d);
        b.type = "button"; b.textContent = it[0];
        L.DomEvent.on(b, "click", function () {
          items.forEach(function (o) { if (o[1] !== it[1] && map.hasLayer(o[1])) map.removeLayer(o[1]); });
          if (!map.hasLayer(it[1])) map.addLayer(it[1]);
          mark();
        });
        buttons.push(b);
      });
      map.on("layeradd layerremove", mark);
      setTimeout(mark, 0);
    }).addTo(map);
  }

  function sync(a, b) {
    var busy = false;
    function follow(src, dst) {
      src.on("move zoomend", function () {
        if (busy) return;
        busy = true;
        dst.setView(src.getCenter(), src.getZoom(), {animate: false});
        busy = false;
      });
    }
    follow(a, b); follow(b, a);
  }

  root.zan = {ints: ints, geom: geom, esc: esc, fmt: fmt, card: card, explain: explain, frame: frame, clear: clear, store: store,
    layer: layer, outline: outline, labels: labels, free: free, declutter: declutter, fullscreen: fullscreen, switcher: switcher, sync: sync};
})(window);
