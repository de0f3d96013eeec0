/* zan simulator engine: the allocation of zan recomputed in the browser, float for float.
 *
 * A port of zan.envelope.regional_envelope (reduction, PENE, tolerance, regional reserve),
 * zan.cascade.allocate on one level (criteria shares, blend), zan.waterfill (λ within floors
 * and caps, safeguarded Newton) and zan.rounding (integer units of the resolution: largest
 * remainder or Sainte-Laguë, floors and caps kept, ties by code). Every sum is taken in the
 * order numpy takes it (pairwise summation for .sum(), sequential for bincount, two lanes
 * for einsum), so the integer units equal zan's (DOMAIN.md §5).
 */
(function (root) {
  "use strict";

  var NO_CAP = 4398046511104; // 2**42, zan.rounding.NO_CAP_UNITS
  var EPS = 1e-9; // zan.rounding.UNITS_EPS

  /* numpy's pairwise summation (add.reduce on a contiguous float64 row). */
  function psum(a, lo, n) {
    var i, res;
    if (n < 8) {
      res = -0.0;
      for (i = 0; i < n; i++) res = res + a[lo + i];
      return res;
    }
    if (n <= 128) {
      var r0 = a[lo], r1 = a[lo + 1], r2 = a[lo + 2], r3 = a[lo + 3];
      var r4 = a[lo + 4], r5 = a[lo + 5], r6 = a[lo + 6], r7 = a[lo + 7];
      var m = n - (n % 8);
      for (i = 8; i < m; i += 8) {
        r0 += a[lo + i]; r1 += a[lo + i + 1]; r2 += a[lo + i + 2]; r3 += a[lo + i + 3];
        r4 += a[lo + i + 4]; r5 += a[lo + i + 5]; r6 += a[lo + i + 6]; r7 += a[lo + i + 7];
      }
      res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
      for (; i < n; i++) res = res + a[lo + i];
      return res;
    }
    var n2 = Math.floor(n / 2);
    n2 -= n2 % 8;
    return psum(a, lo, n2) + psum(a, lo + n2, n - n2);
  }

  function sum(a) { return psum(a, 0, a.length); }

  /* np.einsum("ij,ij->i", w, mask) on one row: two lanes, four vectors per step, 8192-long buffers. */
  function einsumMasked(w, mask) {
    var n = w.length, out = 0.0;
    for (var c0 = 0; c0 < n; c0 += 8192) {
      var end = Math.min(n, c0 + 8192), a0 = 0.0, a1 = 0.0, i = c0;
      for (; end - i >= 8; i += 8) {
        for (var u = 3; u >= 0; u--) {
          var k = i + 2 * u;
          a0 = (mask[k] ? w[k] : 0.0) + a0;
          a1 = (mask[k + 1] ? w[k + 1] : 0.0) + a1;
        }
      }
      for (; i < end; i += 2) {
        a0 = (mask[i] ? w[i] : 0.0) + a0;
        a1 = (i + 1 < end ? (mask[i + 1] ? w[i + 1] : 0.0) : 0.0) + a1;
      }
      out = out + (a0 + a1);
    }
    return out;
  }

  function SimError(message) { this.name = "SimError"; this.message = message; }
  SimError.prototype = Object.create(Error.prototype);

  function fr(v) {
    var p = Math.abs(v).toFixed(2).split(".");
    p[0] = p[0].replace(/\B(?=(\d{3})+(?!\d))/g, "\u202f");
    return (v < 0 ? "-" : "") + p.join(",");
  }

  /* zan.envelope.regional_envelope: hectares to distribute for these settings. */
  function envelope(D, s) {
    var e = D.env, regional, gross = null, pene = 0.0;
    if (s.reduction === null || s.reduction === undefined) {
      regional = e.regional_ha;
    } else {
      var red = +s.reduction;
      if (!(red >= 0 && red <= 1)) throw new SimError("le taux de réduction doit être entre 0 et 1");
      gross = e.reference_ha * (1.0 - red);
      pene = e.pene_with_reduction_ha;
      if (pene > gross) throw new SimError("les PENE (" + fr(pene) + " ha) dépassent l'enveloppe brute (" + fr(gross) + " ha)");
      regional = (gross - pene) * (1.0 + e.tolerance);
    }
    var reserve;
    if (s.reserve_share === null || s.reserve_share === undefined) {
      reserve = e.reserve_ha;
    } else {
      var share = +s.reserve_share;
      if (!(share >= 0 && share <= 1)) throw new SimError("la part de réserve régionale doit être entre 0 et 1");
      reserve = regional * share;
    }
    if (reserve > regional) throw new SimError("la réserve régionale dépasse l'enveloppe régionale");
    return {gross_ha: gross, pene_ha: pene, regional_ha: regional, reserve_ha: reserve,
            distributed_ha: regional - reserve};
  }

  /* Criteria weights as zan.criteria.criteria_weights(normalise=True). */
  function alphaOf(weights) {
    var w = weights.map(Number), i;
    for (i = 0; i < w.length; i++) {
      if (!(isFinite(w[i]) && w[i] >= 0)) throw new SimError("les poids des critères doivent être positifs ou nuls");
    }
    var t = sum(w);
    if (!(t > 0)) throw new SimError("tous les poids sont nuls : donnez un poids à au moins un critère");
    return w.map(function (x) { return x / t; });
  }

  /* Blended weight of each territory (zan.cascade.group_shares for one group). */
  function blend(D, alpha) {
    var n = D.codes.length, C = D.raw.length, c, i;
    var sums = new Float64Array(C), A = new Float64Array(C), positive = true;
    for (c = 0; c < C; c++) {
      var s = 0.0, raw = D.raw[c];
      for (i = 0; i < n; i++) s += raw[i];
      sums[c] = s;
      if (!(s > 0)) positive = false;
    }
    var shares = [];
    var allZero = true;
    for (c = 0; c < C; c++) if (sums[c] > 0 && alpha[c] > 0) allZero = false;
    for (c = 0; c < C; c++) {
      var col = new Float64Array(n);
      if (allZero) {
        for (i = 0; i < n; i++) col[i] = 1.0 / n;
      } else if (sums[c] > 0) {
        for (i = 0; i < n; i++) col[i] = D.raw[c][i] / sums[c];
      }
      shares.push(col);
    }
    if (positive && !allZero) {
      for (c = 0; c < C; c++) A[c] = alpha[c];
    } else {
      var Araw = new Float64Array(C);
      for (c = 0; c < C; c++) Araw[c] = allZero ? alpha[c] : (sums[c] > 0 ? alpha[c] : 0.0);
      var tot = sum(Araw);
      for (c = 0; c < C; c++) A[c] = Araw[c] / tot;
    }
    var w = new Float64Array(n);
    for (i = 0; i < n; i++) w[i] = A[0] * shares[0][i];
    for (c = 1; c < C; c++) for (i = 0; i < n; i++) w[i] = w[i] + A[c] * shares[c][i];
    return w;
  }

  /* zan.waterfill._wf_chunk on one row. */
  function waterFill(w, E, F, Cap) {
    var n = w.length, i, tot = sum(w);
    var done = !(tot > 0);
    var lam = done ? 0.0 : E / tot, lo = 0.0, hi = Infinity;
    var tol = 1e-13 * Math.max(Math.abs(E), 1.0);
    var hasFloor = false, hasCap = false;
    for (i = 0; i < n; i++) { if (F[i] > 0) hasFloor = true; if (Cap[i] !== Infinity) hasCap = true; }
    var x = new Float64Array(n), xw = new Float64Array(n), m = new Uint8Array(n);
    function evaluate() {
      for (var j = 0; j < n; j++) {
        var v = w[j] * lam;
        xw[j] = v;
        if (hasFloor && F[j] > v) v = F[j];
        if (hasCap && Cap[j] < v) v = Cap[j];
        x[j] = v;
      }
    }
    var converged = false;
    for (var it = 0; it < 200; it++) {
      evaluate();
      if (done) { converged = true; break; }
      var s = sum(x);
      for (i = 0; i < n; i++) m[i] = x[i] === xw[i] ? 1 : 0;
      var d = einsumMasked(w, m);
      var err = s - E;
      if (err < 0) lo = lam; else hi = lam;
      var newton = (E - (s - lam * d)) / d;
      var ok = d > 0 && newton > lo && newton < hi;
      var nxt = ok ? newton : (hi === Infinity ? Math.max(2.0 * lam, 1e-300) : 0.5 * (lo + hi));
      if (Math.abs(err) <= tol || nxt === lam) { done = true; converged = true; break; }
      lam = nxt;
    }
    if (!converged) evaluate();
    return {x: x, lam: lam};
  }

  function sortedCopy(R) {
    var s = Float64Array.from(R);
    s.sort();
    return s;
  }

  /* zan.rounding._round_rows_lr on one row. */
  function roundLR(Q, total, lo, hi) {
    var n = Q.length, i;
    var units = new Float64Array(n), rem = new Float64Array(n);
    var anyLo = false, anyHi = false;
    for (i = 0; i < n; i++) { if (lo[i] > 0) anyLo = true; if (hi[i] < NO_CAP) anyHi = true; }
    for (i = 0; i < n; i++) {
      var u = Math.floor(Q[i] + EPS), r = Q[i] - u;
      rem[i] = r < 0 ? 0.0 : (r > 1 ? 1.0 : r);
      if (anyLo && lo[i] > u) u = lo[i];
      if (anyHi && hi[i] < u) u = hi[i];
      units[i] = u;
    }
    var k = total - sum(units);
    var R = new Float64Array(n), flag = new Uint8Array(n);
    for (var round = 0; round < n + 2; round++) {
      if (k === 0) return units;
      var kk, thr, got, extra, tieN, seen;
      if (k > 0) {
        kk = Math.min(k, n);
        for (i = 0; i < n; i++) R[i] = units[i] < hi[i] ? rem[i] : -Infinity;
        thr = sortedCopy(R)[n - kk];
        got = 0; tieN = 0;
        for (i = 0; i < n; i++) {
          flag[i] = R[i] >= thr && (thr !== -Infinity || R[i] > -Infinity) ? 1 : 0;
          got += flag[i];
          if (R[i] === thr) tieN++;
        }
        extra = got - kk;
        if (extra > 0) { // keep the first ties (lowest codes)
          seen = 0;
          for (i = 0; i < n; i++) {
            if (R[i] === thr) { seen++; if (seen > tieN - extra) flag[i] = 0; }
          }
          got = kk;
        }
        for (i = 0; i < n; i++) units[i] += flag[i];
        k -= got;
        if (k > 0) for (i = 0; i < n; i++) if (flag[i]) rem[i] = rem[i] - 1.0;
      } else {
        kk = Math.min(-k, n);
        for (i = 0; i < n; i++) R[i] = units[i] > lo[i] ? rem[i] : Infinity;
        thr = sortedCopy(R)[kk - 1];
        got = 0; tieN = 0;
        for (i = 0; i < n; i++) {
          flag[i] = R[i] <= thr && R[i] < Infinity ? 1 : 0;
          got += flag[i];
          if (R[i] === thr) tieN++;
        }
        extra = got - kk;
        if (extra > 0) { // take from the last ties (highest codes)
          seen = 0;
          for (i = n - 1; i >= 0; i--) {
            if (R[i] === thr) { seen++; if (seen > tieN - extra) flag[i] = 0; }
          }
          got = kk;
        }
        for (i = 0; i < n; i++) units[i] -= flag[i];
        k += got;
        if (k < 0) for (i = 0; i < n; i++) if (flag[i]) rem[i] = rem[i] + 1.0;
      }
    }
    if (k === 0) return units;
    throw new SimError("l'arrondi ne peut pas atteindre l'enveloppe dans les planchers et plafonds");
  }

  /* np.clip: maximum with the lower bound, then minimum with the upper (even when lo > hi). */
  function clip(v, a, b) { return Math.min(Math.max(v, a), b); }

  /* zan.rounding._round_row_sl: Sainte-Laguë on one row. */
  function roundSL(q, total, lo, hi) {
    var n = q.length, i, s = new Float64Array(n), ssum = 0;
    for (i = 0; i < n; i++) { s[i] = clip(Math.floor(q[i] + 0.5 + EPS), lo[i], hi[i]); }
    ssum = sum(s);
    var k = total - ssum;
    if (k === 0) return s;
    var pos = new Uint8Array(n), room = new Float64Array(n), out = new Float64Array(n);
    for (i = 0; i < n; i++) pos[i] = q[i] > 0 ? 1 : 0;
    var tLo, tHi, mid, it, c, cum, tot;
    if (k > 0) {
      for (i = 0; i < n; i++) room[i] = pos[i] ? hi[i] - s[i] : 0;
      var count = function (t, dst) {
        var total2 = 0;
        for (var j = 0; j < n; j++) {
          var cc = pos[j] ? Math.floor(t * q[j] - s[j] - 0.5) + 1.0 : 0;
          cc = clip(cc, 0, room[j]);
          if (dst) dst[j] = cc;
          total2 += cc;
        }
        return total2;
      };
      tLo = 0.0; tHi = 0.0;
      for (i = 0; i < n; i++) {
        var th = pos[i] ? (s[i] + k + 0.5) / q[i] : 0.0;
        if (i === 0 || th > tHi) tHi = th;
      }
      var base = new Float64Array(n), up = new Float64Array(n);
      if (count(tHi, up) < k) {
        for (i = 0; i < n; i++) s[i] += up[i];
        var rest = total - sum(s);
        cum = 0;
        for (i = 0; i < n; i++) {
          var zr = pos[i] ? 0 : hi[i] - s[i];
          cum += zr;
          out[i] = s[i] + clip(rest - (cum - zr), 0, zr);
        }
        return out;
      }
      for (it = 0; it < 200; it++) {
        mid = 0.5 * (tLo + tHi);
        if (mid === tLo || mid === tHi) break;
        if (count(mid, null) >= k) tHi = mid; else tLo = mid;
      }
      tot = count(tLo, base);
      count(tHi, up);
      var need = k - tot;
      cum = 0;
      for (i = 0; i < n; i++) {
        var ex = up[i] - base[i];
        cum += ex;
        out[i] = s[i] + base[i] + clip(need - (cum - ex), 0, ex);
      }
      return out;
    }
    k = -k;
    for (i = 0; i < n; i++) room[i] = s[i] - lo[i];
    var anyInf = false;
    for (i = 0; i < n; i++) if (!pos[i] && room[i] > 0) anyInf = true;
    if (anyInf) {
      var zc = 0, takeTot = 0;
      for (i = n - 1; i >= 0; i--) {
        var zroom = (!pos[i] && room[i] > 0) ? room[i] : 0;
        zc += zroom;
        var tz = clip(k - (zc - zroom), 0, zroom);
        s[i] -= tz;
        takeTot += tz;
      }
      k -= takeTot;
      for (i = 0; i < n; i++) room[i] = s[i] - lo[i];
      if (k === 0) return s;
    }
    var countDown = function (t, dst) {
      var total2 = 0;
      for (var j = 0; j < n; j++) {
        var cc = pos[j] ? Math.floor(s[j] - 0.5 - t * q[j]) + 1.0 : room[j];
        cc = clip(cc, 0, room[j]);
        if (dst) dst[j] = pos[j] ? cc : 0;
        total2 += cc;
      }
      return total2;
    };
    tHi = 0.0;
    for (i = 0; i < n; i++) {
      var t2 = pos[i] ? (s[i] + 0.5) / q[i] : 0.0;
      if (i === 0 || t2 > tHi) tHi = t2;
    }
    tHi = tHi + 1.0;
    tLo = 0.0;
    for (it = 0; it < 200; it++) {
      mid = 0.5 * (tLo + tHi);
      if (mid === tLo || mid === tHi) break;
      if (countDown(mid, null) >= k) tLo = mid; else tHi = mid;
    }
    var bse = new Float64Array(n), dn = new Float64Array(n);
    countDown(tHi, bse);
    countDown(tLo, dn);
    var btot = 0;
    for (i = 0; i < n; i++) btot += bse[i];
    var need2 = k - btot;
    cum = 0;
    for (i = n - 1; i >= 0; i--) {
      var ex2 = dn[i] - bse[i];
      cum += ex2;
      out[i] = s[i] - bse[i] - clip(need2 - (cum - ex2), 0, ex2);
    }
    return out;
  }

  /* Floors and caps in units (zan.scenario_run.prepare_scenario, zan.cascade.final_bounds). */
  function bounds(D, s, res) {
    var n = D.codes.length, i;
    var lo = new Float64Array(n), hi = new Float64Array(n), gar = new Float64Array(n);
    var fHa = +(s.floor_ha || 0), fShare = +(s.floor_share || 0);
    var cHa = s.cap_ha === null || s.cap_ha === undefined ? null : +s.cap_ha;
    var cShare = s.cap_share === null || s.cap_share === undefined ? null : +s.cap_share;
    var gha = s.garantie ? +s.garantie_ha : 0;
    for (i = 0; i < n; i++) {
      var ref = D.ref[i] === null ? 0.0 : D.ref[i];
      var f = fHa;
      if (fShare) f = Math.max(f, fShare * ref);
      var c = Infinity;
      if (cHa !== null) c = Math.min(c, cHa);
      if (cShare !== null) c = Math.min(c, cShare * ref);
      var g = s.garantie ? D.gar_n[i] * gha : 0.0;
      if (f > c) {
        throw new SimError("le territoire " + D.codes[i] + " a un plancher de " + fr(f) +
          " ha au-dessus de son plafond de " + fr(c) + " ha");
      }
      var fl = Math.max(f, g), cp = Math.max(c, g);
      lo[i] = Math.max(Math.ceil(fl / res - EPS), 0);
      hi[i] = cp === Infinity ? NO_CAP : Math.floor(cp / res + EPS);
      gar[i] = g;
    }
    return {lo: lo, hi: hi, gar: gar};
  }

  /* The allocation for these settings: {units, envelopes, total_units, ...} or throws SimError. */
  function compute(D, s) {
    var res = +s.resolution;
    if (!(isFinite(res) && res > 0)) throw new SimError("la résolution doit être positive");
    if (s.rounding !== "largest_remainder" && s.rounding !== "sainte_lague") {
      throw new SimError("méthode d'arrondi inconnue");
    }
    if (s.weights.length !== D.raw.length) throw new SimError("un poids par critère");
    var env = envelope(D, s);
    var alpha = alphaOf(s.weights);
    var w = blend(D, alpha);
    var b = bounds(D, s, res);
    var n = w.length, i;
    var totalU = Math.floor(env.distributed_ha / res + 1e-6);
    var sumLo = 0, sumHi = 0;
    for (i = 0; i < n; i++) {
      sumLo += b.lo[i];
      sumHi += Math.min(w[i] > 0 ? b.hi[i] : b.lo[i], NO_CAP);
    }
    if (sumLo > totalU) {
      throw new SimError("les planchers (" + fr(sumLo * res) + " ha) dépassent l'enveloppe à répartir (" +
        fr(totalU * res) + " ha) : baissez les planchers ou la garantie communale");
    }
    if (sumHi < totalU) {
      throw new SimError("les plafonds (" + fr(sumHi * res) + " ha) n'atteignent pas l'enveloppe à répartir (" +
        fr(totalU * res) + " ha) : relevez les plafonds");
    }
    var F = new Float64Array(n), Cp = new Float64Array(n);
    for (i = 0; i < n; i++) {
      F[i] = b.lo[i] * res;
      Cp[i] = b.hi[i] >= NO_CAP ? Infinity : b.hi[i] * res;
    }
    var wf = waterFill(w, totalU * res, F, Cp);
    var Q = new Float64Array(n);
    for (i = 0; i < n; i++) Q[i] = wf.x[i] / res;
    var units = s.rounding === "largest_remainder" ? roundLR(Q, totalU, b.lo, b.hi) : roundSL(Q, totalU, b.lo, b.hi);
    var env_ha = new Float64Array(n), bound = [];
    for (i = 0; i < n; i++) {
      env_ha[i] = units[i] * res;
      var lw = wf.lam * w[i];
      bound.push(lw < wf.x[i] ? "floor" : (lw > wf.x[i] ? "cap" : "none"));
    }
    return {units: units, envelope_ha: env_ha, exact_ha: wf.x, total_units: totalU,
            total_ha: totalU * res, envelope: env, bound: bound, garantie_ha: b.gar,
            weights: w, multiplier: wf.lam};
  }

  var api = {compute: compute, envelope: envelope, psum: sum, einsumMasked: einsumMasked,
             waterFill: waterFill, roundLR: roundLR, roundSL: roundSL, SimError: SimError};
  if (typeof module !== "undefined" && module.exports) module.exports = api;
  else root.zanSimEngine = api;
})(this);

/* The scenario TOML of a set of settings: the scenario's own keys, the settings written over. */
(function (root) {
  "use strict";
  var ORDER = ["scenario", "data", "envelope", "allocation", "criteria", "floors", "caps"];

  function key(k) { return /^[A-Za-z0-9_-]+$/.test(k) ? k : JSON.stringify(k); }

  function isTable(v) { return v !== null && typeof v === "object" && !Array.isArray(v); }

  function value(v) {
    if (typeof v === "string") return JSON.stringify(v);
    if (typeof v === "boolean") return v ? "true" : "false";
    if (typeof v === "number") {
      if (!isFinite(v)) throw new Error("nombre non fini dans le scénario");
      return String(v);
    }
    if (Array.isArray(v)) return "[" + v.map(value).join(", ") + "]";
    if (isTable(v)) {
      var parts = [];
      Object.keys(v).forEach(function (k) { if (v[k] !== null) parts.push(key(k) + " = " + value(v[k])); });
      return "{ " + parts.join(", ") + " }";
    }
    throw new Error("valeur inattendue dans le scénario");
  }

  function table(lines, name, obj, inline) {
    var subs = [], arrays = [];
    Object.keys(obj).forEach(function (k) {
      var v = obj[k];
      if (v === null || v === undefined) return;
      if (isTable(v) && !inline) subs.push(k);
      else if (Array.isArray(v) && v.length && v.every(isTable) && !inline) arrays.push(k);
      else lines.push(key(k) + " = " + value(v));
    });
    subs.forEach(function (k) {
      var full = name ? name + "." + key(k) : key(k);
      lines.push("", "[" + full + "]");
      table(lines, full, obj[k], false);
    });
    arrays.forEach(function (k) {
      var full = name ? name + "." + key(k) : key(k);
      obj[k].forEach(function (item) {
        lines.push("", "[[" + full + "]]");
        table(lines, full, item, true);
      });
    });
  }

  function apply(D, s) {
    var d = JSON.parse(JSON.stringify(D.scenario));
    d.criteria.forEach(function (c, i) { c.weight = +s.weights[i]; });
    d.allocation = d.allocation || {};
    d.allocation.normalise = true;
    d.allocation.resolution = +s.resolution;
    d.allocation.rounding = s.rounding;
    d.envelope = d.envelope || {};
    if (s.reduction !== null && s.reduction !== undefined) {
      d.envelope.reduction = +s.reduction;
      delete d.envelope.envelope_ha;
    }
    if (s.reserve_share !== null && s.reserve_share !== undefined) {
      d.envelope.reserve_share = +s.reserve_share;
      delete d.envelope.reserve_ha;
    }
    d.floors = d.floors || {};
    d.floors.garantie_communale = !!s.garantie;
    d.floors.ha_per_commune = +s.garantie_ha;
    d.floors.ha = +s.floor_ha;
    d.floors.share_of_reference = +s.floor_share;
    d.caps = d.caps || {};
    if (s.cap_ha === null || s.cap_ha === undefined) delete d.caps.ha; else d.caps.ha = +s.cap_ha;
    if (s.cap_share === null || s.cap_share === undefined) delete d.caps.share_of_reference;
    else d.caps.share_of_reference = +s.cap_share;
    if (!Object.keys(d.caps).length) delete d.caps;
    return d;
  }

  function toml(D, s) {
    var d = apply(D, s);
    var lines = [
      "# Scénario exporté du simulateur zan (« " + D.name.replace(/[\r\n]/g, " ") + " »).",
      "# Reproduire : zan allocate <ce fichier> (mêmes enveloppes au centième d'hectare).",
      "# Données sur lesquelles il a été calculé (SHA-256, comme dans sources.json) :"
    ];
    Object.keys(D.sources).sort().forEach(function (k) {
      lines.push("#   " + k + " = " + D.sources[k].file.replace(/[\r\n]/g, " ") + " (sha256 " + D.sources[k].sha256 + ")");
    });
    var top = {};
    ORDER.forEach(function (k) { if (d[k] !== undefined) top[k] = d[k]; });
    Object.keys(d).forEach(function (k) { if (top[k] === undefined) top[k] = d[k]; });
    var body = [];
    table(body, "", top, false);
    while (body.length && body[0] === "") body.shift();
    return lines.concat([""], body).join("\n") + "\n";
  }

  var api = {toml: toml, apply: apply};
  if (typeof module !== "undefined" && module.exports) {
    module.exports.toml = toml;
    module.exports.applySettings = apply;
  } else {
    root.zanSimEngine.toml = toml;
    root.zanSimEngine.applySettings = apply;
  }
  return api;
})(this);
