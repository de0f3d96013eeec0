/* zan simulator page: controls in a side panel, an SVG choropleth fitted beside it, a ranked
 * bar chart and the table, all updated together from zanSimEngine.compute.
 * window.zanSimulator = {set(settings), state(), toml(), reset()}.
 */
(function () {
  "use strict";
  var E = window.zanSimEngine;
  var D = JSON.parse(document.getElementById("zs-data").textContent);
  var n = D.codes.length;
  var settings = JSON.parse(JSON.stringify(D.settings));
  var result = null, error = null, lastMs = 0;
  var SVGNS = "http://www.w3.org/2000/svg";

  function $(id) { return document.getElementById(id); }
  function esc(v) {
    return String(v).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }
  /* French number format, as zan.formatting.format_number and fmt in zan.js. */
  function fmt(v, d, signed) {
    if (v === null || v === undefined || isNaN(v)) return "non renseign\u00e9";
    var neg = v < 0, p = Math.abs(v).toFixed(d).split(".");
    p[0] = p[0].replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f");
    var s = p.join(",");
    var zero = /^[0,\u202f]*$/.test(s);
    return (neg && !zero ? "-" : (signed && v > 0 && !zero ? "+" : "")) + s;
  }
  function pct(v) { return fmt(100 * v, 1) + "\u00a0%"; }

  /* ------------------------------------------------------------------ controls */
  var CONTROLS = [];
  function numOrNull(text) {
    text = String(text).trim().replace(",", ".");
    if (text === "") return null;
    var v = Number(text);
    return isFinite(v) ? v : NaN;
  }
  function slider(parent, id, label, min, max, step, get, put, help) {
    var row = document.createElement("div");
    row.className = "zs-row";
    row.innerHTML = '<label for="' + id + '">' + esc(label) + '</label>' +
      '<div class="zs-pair"><input type="range" id="' + id + '-range" min="' + min + '" max="' + max +
      '" step="' + step + '" aria-label="' + esc(label) + '"><input type="number" id="' + id +
      '" min="' + min + '" step="any"></div>' + (help ? '<div class="zs-help" id="' + id + '-help"></div>' : "");
    parent.appendChild(row);
    var range = row.querySelector("input[type=range]"), num = row.querySelector("input[type=number]");
    var c = {
      help: function () { if (help) $(id + "-help").textContent = help(get()); },
      sync: function () {
        var v = get();
        num.value = v === null ? "" : String(v);
        range.value = v === null ? String(min) : String(v);
        c.help();
      }
    };
    range.addEventListener("input", function () { num.value = range.value; put(Number(range.value)); update(); });
    num.addEventListener("input", function () {
      var v = numOrNull(num.value);
      if (v !== null && isNaN(v)) return;
      if (v !== null) range.value = String(v);
      put(v); update();
    });
    CONTROLS.push(c);
    return c;
  }
  function checkbox(parent, id, label, get, put) {
    var row = document.createElement("div");
    row.className = "zs-row zs-check";
    row.innerHTML = '<label><input type="checkbox" id="' + id + '"> ' + esc(label) + "</label>";
    parent.appendChild(row);
    var box = row.querySelector("input");
    box.addEventListener("change", function () { put(box.checked); update(); });
    CONTROLS.push({sync: function () { box.checked = !!get(); }});
  }
  function select(parent, id, label, options, get, put) {
    var row = document.createElement("div");
    row.className = "zs-row";
    var html = '<label for="' + id + '">' + esc(label) + '</label><select id="' + id + '">';
    options.forEach(function (o) { html += '<option value="' + esc(o[0]) + '">' + esc(o[1]) + "</option>"; });
    row.innerHTML = html + "</select>";
    parent.appendChild(row);
    var sel = row.querySelector("select");
    sel.addEventListener("change", function () { put(sel.value); update(); });
    CONTROLS.push({sync: function () { sel.value = String(get()); }});
  }
  function section(title) {
    var f = document.createElement("fieldset");
    f.innerHTML = "<legend>" + esc(title) + "</legend>";
    $("zs-controls").appendChild(f);
    return f;
  }

  function buildControls() {
    var crit = section("Poids des critères");
    D.criteria.forEach(function (c, i) {
      slider(crit, "zs-w" + i, c.key + " (" + c.label + ")", 0, 1, 0.01,
        function () { return settings.weights[i]; },
        function (v) { settings.weights[i] = v === null ? 0 : v; },
        function () {
          var t = settings.weights.reduce(function (a, b) { return a + (+b || 0); }, 0);
          return t > 0 ? "soit " + pct(settings.weights[i] / t) + " du mélange" : "";
        });
    });
    var env = section("Enveloppe régionale");
    slider(env, "zs-reduction", "Taux de réduction (0,5 = −50 %)", 0, 1, 0.005,
      function () { return settings.reduction; },
      function (v) { settings.reduction = v; },
      function (v) { return v === null ? "enveloppe du scénario (vide = garder)" : "−" + pct(v) + " par rapport à la référence"; });
    slider(env, "zs-reserve", "Part de réserve régionale", 0, 0.5, 0.005,
      function () { return settings.reserve_share; },
      function (v) { settings.reserve_share = v; },
      function (v) { return v === null ? "réserve du scénario : " + fmt(D.env.reserve_ha, 2) + " ha" : pct(v) + " de l'enveloppe régionale"; });
    var fl = section("Planchers et plafonds");
    checkbox(fl, "zs-garantie", "Garantie communale (loi n° 2023-630)",
      function () { return settings.garantie; }, function (v) { settings.garantie = v; });
    slider(fl, "zs-garantie-ha", "Hectares par commune éligible", 0, 3, 0.5,
      function () { return settings.garantie_ha; }, function (v) { settings.garantie_ha = v === null ? 0 : v; });
    slider(fl, "zs-floor-share", "Plancher (part de la consommation de référence)", 0, 1, 0.01,
      function () { return settings.floor_share; }, function (v) { settings.floor_share = v === null ? 0 : v; });
    slider(fl, "zs-floor-ha", "Plancher (ha par territoire)", 0, 50, 0.5,
      function () { return settings.floor_ha; }, function (v) { settings.floor_ha = v === null ? 0 : v; });
    slider(fl, "zs-cap-share", "Plafond (part de la référence ; vide = aucun)", 0, 3, 0.01,
      function () { return settings.cap_share; }, function (v) { settings.cap_share = v; });
    var top = 0;  // the cap slider spans up to the largest reference or envelope
    D.ref.concat(D.baseline.envelope_ha).forEach(function (v) { if (v > top) top = v; });
    slider(fl, "zs-cap-ha", "Plafond (ha par territoire ; vide = aucun)", 0, Math.ceil(top) || 2000, 1,
      function () { return settings.cap_ha; }, function (v) { settings.cap_ha = v; });
    var rd = section("Arrondi");
    var resolutions = [0.01, 0.1, 1];
    if (resolutions.indexOf(settings.resolution) < 0) resolutions.push(settings.resolution);
    select(rd, "zs-resolution", "Résolution (ha)", resolutions.map(function (r) { return [String(r), fmt(r, r < 0.1 ? 2 : r < 1 ? 1 : 0) + " ha"]; }),
      function () { return settings.resolution; }, function (v) { settings.resolution = Number(v); });
    select(rd, "zs-rounding", "Méthode", [["largest_remainder", "Plus forts restes"], ["sainte_lague", "Sainte-Laguë"]],
      function () { return settings.rounding; }, function (v) { settings.rounding = v; });
    var view = section("Carte");
    select(view, "zs-layer", "Couche", [["envelope", "Enveloppe (ha)"], ["reduction", "Taux de réduction (%)"], ["diff", "Écart à la référence (ha)"]],
      function () { return layer; }, function (v) { layer = v; });
  }

  /* ------------------------------------------------------------------ map */
  var paths = [], fills = [], layer = "envelope";
  var SEQ = ["#fde725", "#7ad151", "#22a884", "#2a788e", "#414487", "#440154"]; // viridis
  var DIV = ["#b35806", "#f1a340", "#fee0b6", "#d8daeb", "#998ec3", "#542788"]; // orange-purple
  var NA_COLOR = "#d9d9d9";
  function buildMap() {
    var svg = $("zs-svg"), g = D.geometry;
    svg.setAttribute("viewBox", "0 0 " + g.width + " " + g.height);
    var frag = document.createDocumentFragment();
    for (var i = 0; i < n; i++) {
      var p = document.createElementNS(SVGNS, "path");
      p.setAttribute("d", g.d[i]);
      p.setAttribute("data-i", String(i));
      p.setAttribute("class", "zs-poly");
      frag.appendChild(p);
      paths.push(p);
    }
    svg.appendChild(frag);
    svg.addEventListener("mousemove", function (ev) {
      var i = ev.target.getAttribute && ev.target.getAttribute("data-i");
      var tip = $("zs-tip");
      if (i === null || i === undefined || !result) { tip.style.display = "none"; return; }
      i = +i;
      tip.innerHTML = card(i);
      tip.style.display = "block";
      tip.style.left = Math.min(ev.clientX + 14, window.innerWidth - 260) + "px";
      tip.style.top = Math.min(ev.clientY + 14, window.innerHeight - 140) + "px";
    });
    svg.addEventListener("mouseleave", function () { $("zs-tip").style.display = "none"; });
  }
  function reductionOf(i, env) {
    var r = D.ref[i];
    return r > 0 ? 100 * (1 - env / r) : NaN;
  }
  function card(i) {
    var e = result.envelope_ha[i], b = D.baseline.envelope_ha[i];
    return "<b>" + esc(D.names[i]) + "</b> (" + esc(D.codes[i]) + ")<br>Enveloppe : " + fmt(e, 2) +
      "\u00a0ha<br>Réduction : " + fmt(reductionOf(i, e), 1) + "\u00a0%<br>Écart à la référence : " +
      (b === null ? "non renseign\u00e9" : fmt(e - b, 2, true) + "\u00a0ha");
  }
  function breaks(values, k) {
    var v = values.filter(function (x) { return isFinite(x); }).sort(function (a, b) { return a - b; });
    if (!v.length) return [];
    var out = [];
    for (var j = 1; j < k; j++) out.push(v[Math.min(v.length - 1, Math.floor(j * v.length / k))]);
    return out;
  }
  var scaleCache = {};
  function scaleFor(kind, values) {
    if (kind === "diff") {
      var m = 0;
      values.forEach(function (x) { if (isFinite(x)) m = Math.max(m, Math.abs(x)); });
      m = m || 1;
      return {colors: DIV, br: [-m / 2, -m / 6, 0, m / 6, m / 2], diverging: true};
    }
    if (!scaleCache[kind]) { // classes from the baseline, so colours compare across settings
      var base = D.baseline.envelope_ha.map(function (b, i) {
        return kind === "envelope" ? (b === null ? NaN : b) : reductionOf(i, b);
      });
      scaleCache[kind] = {colors: SEQ, br: breaks(base, SEQ.length)};
    }
    return scaleCache[kind];
  }
  function colorOf(sc, x) {
    if (!isFinite(x)) return NA_COLOR;
    var j = 0;
    while (j < sc.br.length && x > sc.br[j]) j++;
    if (sc.diverging && x === 0) return "#f7f7f7";
    return sc.colors[j];
  }
  function renderMap() {
    var values = new Array(n);
    for (var i = 0; i < n; i++) {
      var e = result.envelope_ha[i];
      values[i] = layer === "envelope" ? e : layer === "reduction" ? reductionOf(i, e) :
        (D.baseline.envelope_ha[i] === null ? NaN : e - D.baseline.envelope_ha[i]);
    }
    var sc = scaleFor(layer, values);
    for (i = 0; i < n; i++) {
      var col = colorOf(sc, values[i]);
      if (fills[i] !== col) { paths[i].setAttribute("fill", col); fills[i] = col; }
    }
    var unit = layer === "reduction" ? "\u00a0%" : "\u00a0ha", d = layer === "reduction" ? 1 : 2;
    var title = {envelope: "Enveloppe (ha)", reduction: "Taux de réduction (%)", diff: "Écart à la référence (ha)"}[layer];
    var h = "<b>" + esc(title) + "</b> ";
    for (var j = 0; j < sc.colors.length; j++) {
      var lo = j === 0 ? null : sc.br[j - 1], hi = j < sc.br.length ? sc.br[j] : null;
      var txt = lo === null ? "≤ " + fmt(hi, d, sc.diverging) : hi === null ? "> " + fmt(lo, d, sc.diverging) :
        fmt(lo, d, sc.diverging) + " – " + fmt(hi, d, sc.diverging);
      h += '<span class="zs-key"><i style="background:' + sc.colors[j] + '"></i>' + txt + unit + "</span>";
    }
    $("zs-legend").innerHTML = h;
  }

  /* ------------------------------------------------------------------ charts and table */
  function bars(el, items, maxAbs, signed) {
    var h = "";
    items.forEach(function (it) {
      var w = maxAbs > 0 ? Math.abs(it.v) / maxAbs * 100 : 0;
      var cls = signed ? (it.v >= 0 ? "zs-up" : "zs-down") : "zs-env";
      h += '<div class="zs-bar"><span class="zs-bl" title="' + esc(it.name) + '">' + esc(it.name) +
        '</span><span class="zs-bt"><i class="' + cls + '" style="width:' + w.toFixed(1) + '%"></i></span><span class="zs-bv">' +
        fmt(it.v, 2, signed) + "\u00a0ha</span></div>";
    });
    el.innerHTML = h;
  }
  function renderCharts() {
    var env = result.envelope_ha, idx = [], i;
    for (i = 0; i < n; i++) idx.push(i);
    idx.sort(function (a, b) { return env[b] - env[a] || (D.codes[a] < D.codes[b] ? -1 : 1); });
    var top = idx.slice(0, 15).map(function (i2) { return {name: D.names[i2], v: env[i2]}; });
    bars($("zs-rank"), top, top.length ? top[0].v : 0, false);
    $("zs-rank-note").textContent = n > 15 ? "15 premiers sur " + fmt(n, 0) + " territoires" : "";
    var diff = [];
    for (i = 0; i < n; i++) {
      var b = D.baseline.envelope_ha[i];
      if (b !== null) diff.push({i: i, v: env[i] - b});
    }
    diff.sort(function (a, b) { return b.v - a.v || (D.codes[a.i] < D.codes[b.i] ? -1 : 1); });
    var win = diff.filter(function (x) { return x.v > 0; }).slice(0, 7);
    var lose = diff.filter(function (x) { return x.v < 0; }).slice(-7).reverse();
    var all = win.concat(lose), m = 0;
    all.forEach(function (x) { m = Math.max(m, Math.abs(x.v)); });
    bars($("zs-diff"), all.map(function (x) { return {name: D.names[x.i], v: x.v}; }), m, true);
    var nw = diff.filter(function (x) { return x.v > 0; }).length, nl = diff.filter(function (x) { return x.v < 0; }).length;
    $("zs-diff-note").textContent = fmt(nw, 0) + " gagnants, " + fmt(nl, 0) + " perdants, " +
      fmt(diff.length - nw - nl, 0) + " inchangés par rapport à « " + D.baseline.name + " »";
  }
  /* The table draws only the rows in view (plus a margin): thousands of communes stay fast. */
  var ROW_H = 20, view = {top: 0, height: 1200};
  function measureTable() {
    var box = $("zs-tablebox");
    view.top = box.scrollTop;
    view.height = box.clientHeight || view.height;
  }
  function rowHtml(i) {
    var env = result.envelope_ha, b = D.baseline.envelope_ha[i], red = reductionOf(i, env[i]);
    var bred = D.baseline.reduction_pct[i];
    var bound = result.bound[i] === "floor" ? "plancher" : result.bound[i] === "cap" ? "plafond" : "";
    return '<tr class="zs-r"><td>' + esc(D.codes[i]) + "</td><td>" + esc(D.names[i]) + '</td><td class="n">' +
      fmt(D.ref[i], 2) + '</td><td class="n">' + fmt(env[i], 2) + '</td><td class="n">' + fmt(red, 1) +
      '</td><td class="n">' + (b === null ? "non renseign\u00e9" : fmt(env[i] - b, 2, true)) + '</td><td class="n">' +
      (bred === null || !isFinite(red) ? "non renseign\u00e9" : fmt(red - bred, 1, true)) + "</td><td>" + bound + "</td></tr>";
  }
  function renderTable() {
    if (!result) return;
    // the scroll position and height are read on scroll and resize only: reading them
    // here would force the layout of the whole page (the redrawn map) at every update
    var first = Math.max(0, Math.floor(view.top / ROW_H) - 10);
    var last = Math.min(n, first + Math.ceil(view.height / ROW_H) + 20);
    var rows = ['<tr class="zs-sp" style="height:' + first * ROW_H + 'px"></tr>'];
    for (var i = first; i < last; i++) rows.push(rowHtml(i));
    rows.push('<tr class="zs-sp" style="height:' + (n - last) * ROW_H + 'px"></tr>');
    $("zs-tbody").innerHTML = rows.join("");
  }
  function renderSummary() {
    var e = result.envelope;
    var btot = 0;
    D.baseline.envelope_ha.forEach(function (b) { btot += b || 0; });
    $("zs-summary").innerHTML = "Enveloppe régionale : <b>" + fmt(e.regional_ha, 2) + "\u00a0ha</b> · réserve : " +
      fmt(e.reserve_ha, 2) + "\u00a0ha · à répartir : <b>" + fmt(result.total_ha, 2) + "\u00a0ha</b> (référence « " +
      esc(D.baseline.name) + " » : " + fmt(btot, 2) + "\u00a0ha, écart " + fmt(result.total_ha - btot, 2, true) + "\u00a0ha)";
  }

  /* ------------------------------------------------------------------ update */
  var timings = {};
  function update() {
    var t0 = performance.now(), t;
    try {
      result = E.compute(D, settings);
      error = null;
    } catch (e) {
      if (!(e instanceof E.SimError)) throw e;
      error = e.message;
    }
    timings.compute = (t = performance.now()) - t0;
    CONTROLS.forEach(function (c) { if (c.help) c.help(); });
    $("zs-error").textContent = error ? "Réglage impossible : " + error : "";
    $("zs-error").style.display = error ? "block" : "none";
    document.body.classList.toggle("zs-invalid", !!error);
    if (result && !error) {
      var steps = [["summary", renderSummary], ["map", renderMap], ["charts", renderCharts], ["table", renderTable]];
      steps.forEach(function (st) { var a = performance.now(); st[1](); timings[st[0]] = performance.now() - a; });
    }
    lastMs = performance.now() - t0;
  }
  function syncControls() { CONTROLS.forEach(function (c) { c.sync(); }); }

  function state() {
    var env = null;
    if (result && !error) {
      env = {};
      for (var i = 0; i < n; i++) env[D.codes[i]] = result.envelope_ha[i];
    }
    return {settings: JSON.parse(JSON.stringify(settings)), envelopes: env,
            total_ha: result && !error ? result.total_ha : null, error: error, update_ms: lastMs,
            timings: JSON.parse(JSON.stringify(timings))};
  }
  function set(s) {
    Object.keys(s || {}).forEach(function (k) {
      if (!(k in D.settings)) throw new Error("réglage inconnu : " + k);
      settings[k] = k === "weights" ? s[k].slice() : s[k];
    });
    syncControls();
    update();
    return state();
  }
  function toml() { return E.toml(D, settings); }
  function download() {
    var blob = new Blob([toml()], {type: "application/toml"});
    var a = document.createElement("a");
    a.href = URL.createObjectURL(blob);
    a.download = "scenario_simule.toml";
    document.body.appendChild(a);
    a.click();
    setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 0);
  }

  buildControls();
  buildMap();
  $("zs-download").addEventListener("click", download);
  var pending = false;
  $("zs-tablebox").addEventListener("scroll", function () {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () { pending = false; measureTable(); renderTable(); });
  });
  window.addEventListener("resize", function () { measureTable(); renderTable(); });
  $("zs-reset").addEventListener("click", function () { set(D.settings); });
  syncControls();
  measureTable();
  update();
  window.zanSimulator = {set: set, state: state, toml: toml,
                         reset: function () { return set(D.settings); }};
})();
