// The labeling page: show the leased item, send labels, skips and undos; keys 1–9 and 0, s, u.
"use strict";

(() => {
  const { api, requestId, el } = activelab;
  let labels = [];
  let current = null; // the NextOut being shown
  let busy = false;

  const $ = (id) => document.getElementById(id);

  function setStatus(text, kind = "") {
    $("status").textContent = text;
    $("status").className = kind;
  }

  function setBusy(value) {
    busy = value;
    document.querySelectorAll(".buttons button").forEach((b) => {
      b.disabled = value || (b.id !== "undo" && (!current || current.done));
    });
    document.body.dataset.busy = value ? "1" : "0";
  }

  function renderButtons() {
    const box = $("label-buttons");
    box.replaceChildren();
    labels.forEach((name, i) => {
      const btn = el("button", { type: "button", "data-label": name });
      if (i < 10) btn.append(el("kbd", { text: String((i + 1) % 10) }));
      btn.append(document.createTextNode(name));
      btn.addEventListener("click", () => submitLabel(name));
      box.append(btn);
    });
  }

  function render(next) {
    current = next;
    $("count").textContent = String(next.annotator_count);
    const box = $("item");
    box.replaceChildren();
    if (next.done) {
      box.append(el("span", { class: "muted", text: next.why }));
      $("item-id").textContent = "";
      $("why").textContent = "";
      $("prediction").textContent = "";
      document.body.dataset.itemId = "";
      setBusy(false);
      return;
    }
    if (next.kind === "image") {
      box.append(el("img", { src: next.content_url, alt: next.item_id }));
    } else if (next.kind === "text") {
      box.append(el("div", { class: "text", text: next.text }));
    } else {
      const rows = Object.entries(next.fields || {}).map(([k, v]) =>
        el("tr", {}, [el("th", { text: k }), el("td", { text: v === null ? "" : String(v) })]));
      box.append(el("table", {}, rows));
    }
    $("item-id").textContent = `item ${next.item_id}`;
    $("why").textContent = next.why;
    const pred = next.prediction || [];
    $("prediction").textContent = pred.length
      ? "Model: " + pred.map((p) => `${p.label} ${Math.round(100 * p.probability)} %`).join(" · ")
      : "";
    document.querySelectorAll("#label-buttons button").forEach((b) => {
      b.classList.toggle("predicted", pred.length > 0 && b.dataset.label === pred[0].label);
    });
    document.body.dataset.itemId = next.item_id;
    setBusy(false);
  }

  async function loadNext() {
    setBusy(true);
    try {
      render(await api("GET", "/api/next"));
    } catch (err) {
      setStatus(err.message, "error");
      setBusy(false);
    }
  }

  async function submitLabel(label) {
    if (busy || !current || current.done) return;
    setBusy(true);
    const body = { item_id: current.item_id, label, request_id: requestId() };
    try {
      const out = await api("POST", "/api/labels", body);
      $("count").textContent = String(out.annotator_count);
      setStatus(`Saved “${label}” for ${out.item_id}.`, "ok");
      await loadNext();
    } catch (err) {
      setStatus(err.message, "error");
      if (err.status === 409) await loadNext(); else setBusy(false);
    }
  }

  async function skip() {
    if (busy || !current || current.done) return;
    setBusy(true);
    try {
      const out = await api("POST", "/api/skip", { item_id: current.item_id, request_id: requestId() });
      setStatus(`Skipped ${out.item_id}.`, "ok");
      await loadNext();
    } catch (err) {
      setStatus(err.message, "error");
      if (err.status === 409) await loadNext(); else setBusy(false);
    }
  }

  async function undo() {
    if (busy) return;
    setBusy(true);
    try {
      const out = await api("POST", "/api/undo", { request_id: requestId() });
      const what = out.undone_kind === "skip" ? "skip" : `label “${out.undone_label}”`;
      setStatus(`Undid your ${what} on ${out.item_id}.`, "ok");
      render(out.next);
    } catch (err) {
      setStatus(err.message, "error");
      setBusy(false);
    }
  }

  document.addEventListener("keydown", (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.repeat) return;
    if (ev.target instanceof HTMLInputElement || ev.target instanceof HTMLTextAreaElement) return;
    if (ev.key >= "0" && ev.key <= "9") {
      const i = ev.key === "0" ? 9 : Number(ev.key) - 1; // 1–9, then 0 for the 10th label
      if (i < labels.length) { ev.preventDefault(); submitLabel(labels[i]); }
    } else if (ev.key === "s" || ev.key === "S") {
      ev.preventDefault(); skip();
    } else if (ev.key === "u" || ev.key === "U") {
      ev.preventDefault(); undo();
    }
  });

  document.addEventListener("DOMContentLoaded", async () => {
    $("skip").addEventListener("click", skip);
    $("undo").addEventListener("click", undo);
    $("sign-out").addEventListener("click", activelab.signOut);
    try {
      const me = await api("GET", "/api/me");
      labels = me.labels;
      $("annotator").textContent = me.name;
      $("project").textContent = me.project;
      renderButtons();
      await loadNext();
    } catch (err) {
      setStatus(err.message, "error");
    }
  });
})();
