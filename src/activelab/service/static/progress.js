// The progress page: four small canvas charts drawn by hand (no library), refreshed every 10 s.
"use strict";

(() => {
  const { api, el } = activelab;
  const $ = (id) => document.getElementById(id);
  const COLORS = ["#2456c8", "#d2691e", "#1d7a46", "#a4361d", "#7b3fb0", "#008b8b", "#b8860b", "#c71585"];

  function setup(canvas) {
    const ratio = window.devicePixelRatio || 1;
    const w = canvas.clientWidth || canvas.width;
    const h = canvas.clientHeight || canvas.height;
    canvas.width = Math.round(w * ratio);
    canvas.height = Math.round(h * ratio);
    const ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, w, h);
    ctx.font = "12px system-ui, sans-serif";
    return { ctx, w, h, pad: { l: 44, r: 12, t: 10, b: 28 } };
  }

  function empty(canvas, text) {
    const { ctx, w, h } = setup(canvas);
    ctx.fillStyle = "#5b6478";
    ctx.textAlign = "center";
    ctx.fillText(text, w / 2, h / 2);
  }

  // Up to ~5 round tick values from lo to hi (integers when `integer`).
  function ticks(lo, hi, integer) {
    const span = hi - lo || 1;
    let step = Math.pow(10, Math.floor(Math.log10(span / 4)));
    for (const m of [1, 2, 2.5, 5, 10]) {
      if (span / (step * m) <= 5) { step *= m; break; }
    }
    if (integer) step = Math.max(1, Math.round(step));
    const out = [];
    for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(v);
    return out;
  }

  // The smallest tick value at or above `max`, so the top bar or point sits under a gridline.
  function niceMax(max, integer) {
    const t = ticks(0, max, integer);
    const step = t.length > 1 ? t[1] - t[0] : max || 1;
    return t[t.length - 1] < max ? t[t.length - 1] + step : max;
  }

  function axes(c, xmin, xmax, ymin, ymax, xfmt, yfmt, yInteger) {
    const { ctx, w, h, pad } = c;
    const X = (x) => pad.l + ((x - xmin) / (xmax - xmin || 1)) * (w - pad.l - pad.r);
    const Y = (y) => h - pad.b - ((y - ymin) / (ymax - ymin || 1)) * (h - pad.t - pad.b);
    ctx.strokeStyle = "#dde1e8";
    ctx.fillStyle = "#5b6478";
    ctx.lineWidth = 1;
    for (const y of ticks(ymin, ymax, yInteger)) {
      ctx.beginPath(); ctx.moveTo(pad.l, Y(y)); ctx.lineTo(w - pad.r, Y(y)); ctx.stroke();
      ctx.textAlign = "right"; ctx.fillText(yfmt(y), pad.l - 6, Y(y) + 4);
    }
    if (xfmt) {
      const xs = ticks(xmin, xmax, false);
      xs.forEach((x, i) => {
        ctx.textAlign = i === xs.length - 1 && X(x) > w - 30 ? "right" : "center";
        ctx.fillText(xfmt(x), X(x), h - pad.b + 16);
      });
    }
    return { X, Y };
  }

  function line(canvas, points, { ymin, ymax, xfmt, yfmt, dots, step, yInteger, none, xlabel }) {
    if (!points.length) return empty(canvas, none || "nothing yet");
    const c = setup(canvas);
    const xs = points.map((p) => p[0]);
    let xmin = Math.min(...xs), xmax = Math.max(...xs);
    if (xmin === xmax) { xmin -= 1; xmax += 1; }
    const { X, Y } = axes(c, xmin, xmax, ymin, ymax, xfmt, yfmt, yInteger);
    const { ctx } = c;
    if (xlabel) axisLabel(c, xlabel);
    ctx.strokeStyle = COLORS[0]; ctx.lineWidth = 2;
    ctx.beginPath();
    points.forEach(([x, y], i) => {
      if (!i) { ctx.moveTo(X(x), Y(y)); return; }
      if (step) ctx.lineTo(X(x), Y(points[i - 1][1]));
      ctx.lineTo(X(x), Y(y));
    });
    ctx.stroke();
    if (dots) {
      ctx.fillStyle = COLORS[0];
      points.forEach(([x, y]) => { ctx.beginPath(); ctx.arc(X(x), Y(y), 3, 0, 2 * Math.PI); ctx.fill(); });
    }
  }

  // A small caption under the x axis, at the right end.
  function axisLabel(c, text) {
    const { ctx, w, h } = c;
    ctx.save();
    ctx.fillStyle = "#5b6478"; ctx.textAlign = "right";
    ctx.fillText(text, w - 4, h - 2);
    ctx.restore();
  }

  function bars(canvas, values, names, { ymax, yfmt, xlabel, none }) {
    if (!values.length) return empty(canvas, none || "nothing yet");
    const c = setup(canvas);
    const { ctx, w, h, pad } = c;
    if (names) {
      // Room for the names: rotated when a slot is narrower than its text.
      const slotW = (w - pad.l - pad.r) / values.length;
      const widest = Math.max(...names.map((n, i) => ctx.measureText(`${n} (${values[i]})`).width));
      c.rotate = widest > slotW - 4;
      if (c.rotate) pad.b = Math.min(90, 14 + Math.min(widest, 80) * 0.72);
    }
    const top = niceMax(ymax || Math.max(1, ...values), !!names);
    const { Y } = axes(c, 0, 1, 0, top, null, yfmt, !!names);
    const slot = (w - pad.l - pad.r) / values.length;
    values.forEach((v, i) => {
      ctx.fillStyle = names ? COLORS[i % COLORS.length] : COLORS[0];
      const bw = Math.max(1, slot * (names ? 0.6 : 0.85));
      const x = pad.l + i * slot + (slot - bw) / 2;
      ctx.fillRect(x, Y(v), bw, Y(0) - Y(v));
      if (names) {
        ctx.fillStyle = "#1d2330";
        let text = `${names[i]} (${v})`;
        if (c.rotate) {
          while (ctx.measureText(text).width > 80 && text.length > 4) text = text.slice(0, -5) + "…)";
          ctx.save();
          ctx.translate(x + bw / 2, h - pad.b + 8);
          ctx.rotate(-Math.PI / 4);
          ctx.textAlign = "right";
          ctx.fillText(text, 0, 4);
          ctx.restore();
        } else {
          ctx.textAlign = "center";
          ctx.fillText(text, x + bw / 2, h - pad.b + 16);
        }
      }
    });
    if (xlabel) axisLabel(c, xlabel);
  }

  function table(node, head, rows) {
    node.replaceChildren(
      el("tr", {}, head.map((t) => el("th", { text: t }))),
      ...rows.map((r) => el("tr", {}, r.map((t) => el("td", { text: t === null ? "" : String(t) })))),
    );
  }

  const RULE_NAMES = {
    stabilizing_predictions: "Stabilizing predictions (Bloodgood & Vijay-Shanker 2009)",
    overall_uncertainty: "Overall uncertainty (Zhu et al. 2008)",
    max_confidence: "Max-confidence (Zhu et al. 2008)",
    forecast_gain: "Forecast gain (learning-curve fit)",
  };
  const pct = (x) => (x === null || x === undefined ? "–" : `${(100 * x).toFixed(1)} %`);

  // The newest retrain's accuracy estimate (no test set needed), each stopping rule's verdict
  // and the forecast, as text: what a lead needs to decide whether to keep labeling.
  function insights(node, ins) {
    if (!ins) {
      node.replaceChildren(el("span", { class: "muted", text: "No retrain yet." }));
      return;
    }
    const parts = [];
    const est = ins.estimate;
    if (est) {
      const line = el("p", { class: "estimate" }, [
        el("strong", { text: `Estimated accuracy ${pct(est.accuracy)}` }),
        document.createTextNode(` (90 % interval ${pct(est.low)}–${pct(est.high)}, from ${est.n_labels} labels, no test set)`),
      ]);
      parts.push(line);
      if (!est.reliable) parts.push(el("p", { class: "muted", text: `Not reliable yet: ${est.reason}` }));
    }
    if (ins.note) parts.push(el("p", { class: "muted", text: ins.note }));
    const rules = Object.entries(ins.stopping || {});
    if (rules.length) {
      const stops = rules.filter(([, v]) => v.stop).length;
      parts.push(el("p", { text: stops ? `${stops} of ${rules.length} stopping rules say stop.` :
        `No stopping rule says stop (${rules.length} checked).` }));
      parts.push(el("ul", { class: "verdicts" }, rules.map(([name, v]) =>
        el("li", { "data-rule": name, "data-stop": v.stop ? "1" : "0" }, [
          el("strong", { text: `${v.stop ? "Stop" : "Continue"}: ` }),
          document.createTextNode(`${RULE_NAMES[name] || name} — ${v.reason}`),
        ]))));
    }
    const fc = ins.forecast;
    if (fc) {
      const lines = (fc.targets || []).map((t) => t.more_labels === null
        ? `${pct(t.target)}: not expected with more labels of this kind.`
        : `about ${t.more_labels} more labels to reach ${pct(t.target)} (band ${t.low}–${t.high === null ? "never" : t.high}).`);
      if (fc.plateau !== null && fc.plateau !== undefined) {
        lines.unshift(`Learning curve levels off near ${pct(fc.plateau)} (${pct(fc.plateau_low)}–${pct(fc.plateau_high)}).`);
      }
      if (fc.reason) lines.push(fc.reason);
      parts.push(el("ul", { class: "forecast" }, lines.map((t) => el("li", { text: t }))));
    }
    parts.push(el("p", { class: "muted", text: `After retrain #${ins.run} on ${ins.n_labels} labels.` }));
    node.replaceChildren(...parts);
  }

  let refreshing = false; // one refresh at a time: a refresh waits out a server restart

  async function refresh() {
    if (refreshing) return;
    refreshing = true;
    try {
      const [stats, prog, me] = await Promise.all([
        api("GET", "/api/stats"), api("GET", "/api/progress"), api("GET", "/api/me"),
      ]);
      $("project").textContent = me.project;
      $("admin-link").hidden = !me.is_admin;
      $("review-link").hidden = !me.is_admin;
      $("summary").textContent = `${stats.labeled} of ${stats.items} labeled · ${stats.active_leases} in progress`;
      if (me.task === "stream") { // the stream's budget line and the learner's prequential accuracy
        const st = await api("GET", "/api/stream");
        const acc = st.prequential_accuracy === null ? "no labeled prediction yet"
          : `prequential accuracy ${st.prequential_accuracy.toFixed(2)} on ${st.prequential_n} labeled items`;
        $("summary").textContent += ` · stream: ${st.items_seen} items seen, ${st.labels_spent} labels bought ` +
          `(budget ${st.budget}: at most ${st.ceiling.toFixed(1)}) · ${acc}`;
      }
      const times = prog.labels_over_time.map((p) => Date.parse(p.t) / 1000);
      const span = times.length ? times[times.length - 1] - times[0] : 0;
      const [unit, div] = span < 120 ? ["s", 1] : span < 7200 ? ["min", 60] : ["h", 3600];
      line($("over-time"),
        prog.labels_over_time.map((p, i) => [(times[i] - times[0]) / div, p.labeled]),
        { ymin: 0, ymax: niceMax(Math.max(1, ...prog.labels_over_time.map((p) => p.labeled)), true), step: true,
          yInteger: true, xfmt: (x) => `${+x.toFixed(1)} ${unit}`, yfmt: (y) => y.toFixed(0) });
      const regression = me.task === "regression"; // numbers: no classes, R² not accuracy
      $("balance-card").hidden = regression;
      const names = Object.keys(prog.per_class);
      if (!regression) bars($("balance"), names.map((n) => prog.per_class[n]), names, { yfmt: (y) => y.toFixed(0) });
      if (regression) {
        $("curve-title").textContent = "Learning curve (cross-validated R² vs. labels)";
        const r2 = prog.learning_curve.filter((p) => typeof p.cv_r2 === "number");
        line($("curve"), r2.map((p) => [p.n_labels, p.cv_r2]),
          { ymin: Math.min(0, ...r2.map((p) => Math.floor(p.cv_r2))), ymax: 1,
            xfmt: (x) => `${+x.toFixed(1)}`, yfmt: (y) => y.toFixed(2), dots: true, xlabel: "labels",
            none: "after a retrain with ≥ 10 labels holding two different numbers" });
      } else {
        const cv = prog.learning_curve.filter((p) => p.cv_accuracy !== null);
        line($("curve"), cv.map((p) => [p.n_labels, p.cv_accuracy]),
          { ymin: 0, ymax: 1, xfmt: (x) => `${+x.toFixed(1)}`, yfmt: (y) => y.toFixed(2), dots: true,
            xlabel: "labels",
            none: prog.runs.length ? "after a retrain with ≥ 2 labels in each of two classes"
                                   : "after the first retrain" });
      }
      const scored = prog.queue_scores.filter((q) => q.score !== null);
      if (scored.length) {
        bars($("queue"), scored.map((q) => q.score), null,
          { ymax: Math.max(...scored.map((q) => q.score)) || 1, yfmt: (y) => +y.toPrecision(2) + "",
            xlabel: "queue rank → (score, higher = asked first)" });
      } else {
        const last = prog.runs.length ? prog.runs[0].strategy : "";
        empty($("queue"), !prog.queue_scores.length ? "queue empty"
          : last.startsWith("random") ? "random order (no model yet)"
          : `${last} ranks without scores (an exploration pick)`);
      }
      insights($("insights"), prog.insights);
      table($("annotators"), ["annotator", "labels"], Object.entries(stats.per_annotator));
      table($("runs"), ["#", "status", "labels", "strategy", "cv accuracy", "seconds"],
        prog.runs.map((r) => [r.id, r.status === "ok" ? "ok" : `failed: ${r.error || ""}`, r.n_labels,
          r.strategy, r.cv_accuracy === null ? "–" : r.cv_accuracy.toFixed(3), r.seconds]));
      $("updated").textContent = `Updated ${new Date().toLocaleTimeString()}; refreshes every 10 s.`;
    } catch (err) {
      $("updated").textContent = err.message;
    } finally {
      refreshing = false;
    }
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("sign-out").addEventListener("click", activelab.signOut);
    refresh();
    setInterval(refresh, 10000);
  });
})();
