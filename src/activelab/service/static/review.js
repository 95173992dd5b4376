// The review page (admin): the items whose annotators disagree, each annotator's label, a
// decision per item (a review event in the log, undoable), and the agreement between annotators.
"use strict";

(() => {
  const { api, el, requestId, ApiError } = activelab;
  const $ = (id) => document.getElementById(id);
  const STATUS = {
    unresolved: "a tie: no label until you decide",
    majority: "the label most annotators gave",
    agreed: "every annotator gave it",
    reviewed: "decided by a reviewer",
    pending: "more labels to come",
    labeled: "one annotator's label",
  };
  let labels = [];
  let state = "open";
  let shown = null; // the item on the page (ReviewItemOut)

  function busy(on) {
    document.body.dataset.busy = on ? "1" : "0";
  }

  function say(text, kind = "ok") {
    $("status").textContent = text;
    $("status").className = kind;
  }

  const fmt = (x, digits = 2) => (x === null || x === undefined ? "–" : x.toFixed(digits));
  const pct = (x) => (x === null || x === undefined ? "–" : `${Math.round(x * 100)} %`);

  function table(node, caption, head, rows) {
    node.replaceChildren(
      el("caption", { text: caption }),
      el("tr", {}, head.map((h) => el("th", { text: h }))),
      ...rows.map((r) => el("tr", {}, r.map((c) => el("td", { text: String(c) })))));
  }

  function showAgreement(a) {
    $("agreement-summary").textContent = a.items
      ? `${a.items} items labeled by two or more annotators (${a.pairs} pairs of labels): ` +
        `they agree in ${pct(a.observed)} of the pairs · Krippendorff's α ${fmt(a.krippendorff_alpha)}` +
        ` · Fleiss' κ ${fmt(a.fleiss_kappa)}${a.note ? ` (${a.note})` : ""}`
      : "No item has labels from two annotators yet (settings: annotations_per_item, overlap_fraction).";
    table($("pairs"), "Cohen's κ, two annotators at a time", ["annotators", "items", "agree", "κ"],
      a.per_pair.map((p) => [`${p.a} · ${p.b}`, p.items, pct(p.observed), fmt(p.cohen_kappa)]));
    table($("per-label"), "Per label: pairs with it, both it", ["label", "pairs", "agree"],
      a.per_label.map((p) => [p.label, p.pairs, pct(p.agreement)]));
    const names = Object.keys(a.confusion);
    table($("confusion"), "Pairs of labels given to one item", ["", ...names],
      names.map((r) => [r, ...names.map((c) => a.confusion[r][c])]));
  }

  function showQueue(list) {
    $("queue-count").textContent = `(${list.total})`;
    const rows = list.items.map((it) => {
      const row = el("tr", { "data-item-id": it.item_id }, [
        el("td", { text: it.item_id }),
        el("td", { text: it.votes.map((v) => `${v.annotator}: ${v.label}`).join(" · ") }),
        el("td", { text: it.status + (it.decision ? ` (${it.decision.label} by ${it.decision.by})` : "") }),
      ]);
      row.addEventListener("click", () => show(it));
      return row;
    });
    $("queue").replaceChildren(
      el("tr", {}, ["item", "labels", "status"].map((h) => el("th", { text: h }))), ...rows);
    if (!list.items.length) {
      $("queue").append(el("tr", {}, [el("td", {
        text: state === "open" ? "No disagreement waits for a decision." : "Nothing here yet." })]));
    }
    return list.items;
  }

  function show(it) {
    shown = it;
    document.body.dataset.itemId = it ? it.item_id : "";
    for (const row of $("queue").querySelectorAll("tr[data-item-id]")) {
      row.classList.toggle("selected", !!it && row.dataset.itemId === it.item_id);
    }
    if (!it) {
      $("item").replaceChildren(el("span", { class: "muted", text: "Nothing to decide." }));
      for (const id of ["item-id", "current"]) $(id).textContent = "";
      $("votes").replaceChildren();
      $("decide-buttons").replaceChildren();
      return;
    }
    let content;
    if (it.kind === "image") content = el("img", { src: it.content_url, alt: it.item_id });
    else if (it.kind === "text") content = el("div", { class: "text", text: it.text });
    else content = el("table", {}, Object.entries(it.fields || {}).map(([k, v]) =>
      el("tr", {}, [el("th", { text: k }), el("td", { text: String(v) })])));
    $("item").replaceChildren(content);
    $("item-id").textContent = `${it.item_id} · needs ${it.needed} label${it.needed > 1 ? "s" : ""}`;
    $("votes").replaceChildren(...it.votes.map((v) =>
      el("li", { "data-annotator": v.annotator }, [document.createTextNode(v.annotator),
        el("strong", { text: v.label })])));
    $("current").textContent = (it.label === null ? "No label" : `Current label: ${it.label}`) +
      ` — ${STATUS[it.status] || it.status}` +
      (it.decision ? ` (${it.decision.by}, ${it.decision.kind})` : "") + ".";
    $("decide-buttons").replaceChildren(...labels.map((label) => {
      const b = el("button", { type: "button", "data-label": label, text: label });
      if (it.decision && it.decision.label === label) b.classList.add("chosen");
      b.addEventListener("click", () => decide(label));
      return b;
    }));
  }

  async function reload(select) {
    const [agreement, list] = await Promise.all([
      api("GET", "/api/agreement"), api("GET", `/api/review?state=${state}&limit=200`)]);
    showAgreement(agreement);
    const items = showQueue(list);
    let next = select ? items.find((it) => it.item_id === select) : null;
    if (!next && select) {
      const one = await api("GET", `/api/review?item_id=${encodeURIComponent(select)}`);
      next = one.items[0] || null;
    }
    show(next || items[0] || null);
  }

  async function act(fn) {
    busy(true);
    try {
      await fn();
    } catch (err) {
      say(err.message, "error");
    } finally {
      busy(false);
    }
  }

  function decide(label) {
    if (!shown) return;
    const item = shown.item_id;
    return act(async () => {
      const out = await api("POST", "/api/review", { item_id: item, label, request_id: requestId() });
      say(`Decided: ${out.label} for ${item}.`);
      await reload(state === "open" ? null : item);
    });
  }

  function undo() {
    return act(async () => {
      const out = await api("POST", "/api/review/undo", { request_id: requestId() });
      say(`Took back your decision on ${out.item_id}: ${STATUS[out.item.status] || out.item.status}.`);
      await reload(out.item_id);
    });
  }

  document.addEventListener("DOMContentLoaded", () => {
    $("sign-out").addEventListener("click", activelab.signOut);
    $("undo-review").addEventListener("click", undo);
    for (const tab of document.querySelectorAll(".rv-tabs button")) {
      tab.addEventListener("click", () => act(async () => {
        state = tab.dataset.state;
        for (const t of document.querySelectorAll(".rv-tabs button")) t.classList.toggle("current", t === tab);
        await reload(null);
      }));
    }
    act(async () => {
      const me = await api("GET", "/api/me");
      $("project").textContent = me.project;
      $("who").textContent = me.name;
      labels = me.labels;
      if (!me.is_admin) {
        $("review-grid").hidden = true;
        $("denied").hidden = false;
        $("denied").textContent = "Reviewing needs an admin token (activelab token add PROJECT NAME --admin).";
        return;
      }
      try {
        await reload(null);
      } catch (err) {
        if (err instanceof ApiError && err.status === 403) $("denied").hidden = false;
        throw err;
      }
    });
  });
})();
