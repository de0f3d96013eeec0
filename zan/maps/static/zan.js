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

  function layer(map, st, o) {
    var group = L.featureGroup(), styles = [];
    for (var c = 0; c < o.pal.length; c++) styles.push(L.extend({}, o.style, {fillColor: o.pal[c]}));
    var na = L.extend({}, o.style, {fillColor: o.na});
    for (var i = 0; i < st.feats.length; i++) {
      var k = o.cls[i], p = L.polygon(st.feats[i], k < 0 ? na : styles[k]);
      p.zi = i;
      group.addLayer(p);
    }
    group.bindTooltip(function (l) { return card(st, o.tip, l.zi); }, {sticky: true, className: "zan-tip"});
    if (o.pop) group.bindPopup(function (l) { return card(st, o.pop, l.zi); }, {maxWidth: 420, className: "zan-pop"});
    group.on("mouseover", function (e) { e.layer.setStyle({weight: o.style.weight * 3 + 1, color: "#222"}); });
    group.on("mouseout", function (e) { e.layer.setStyle({weight: o.style.weight, color: o.style.color}); });
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

  function labels(map, st, idx, cls) {
    var group = L.layerGroup();
    for (var j = 0; j < idx.length; j++) {
      var i = idx[j];
      L.marker(st.pts[i], {
        icon: L.divIcon({className: "zan-label " + (cls || ""), html: "<span>" + esc(st.names[i]) + "</span>", iconSize: null}),
        interactive: false, keyboard: false
      }).addTo(group);
    }
    return group;
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

  root.zan = {ints: ints, geom: geom, esc: esc, fmt: fmt, card: card, explain: explain, frame: frame, store: store,
    layer: layer, outline: outline, labels: labels, fullscreen: fullscreen, switcher: switcher, sync: sync};
})(window);
