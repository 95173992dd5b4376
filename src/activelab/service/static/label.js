// The labeling page: show the leased item, send labels, skips and undos.
// Keys: 1–9 and 0 label with the first ten labels shown (a search narrows them), s skips,
// u undoes; in accept / reject mode a or Enter accepts the model's guess, x rejects it; / searches
// the labels (more than ten); + and − zoom an image; the annotator's own hotkeys (per project,
// in this browser). Item text is only ever set as text (textContent, text nodes), never as HTML.
// A multilabel project (GET /api/next says `task: "multilabel"`) shows a checkbox per label
// instead (label-multi.js): digits toggle them, Enter submits the set, n "none of these". A
// regression project (`task: "regression"`) shows a number box instead (label-number.js): Enter
// submits the number, a accepts the model's guess.
"use strict";

(() => {
  const { api, requestId, el } = activelab;
  const SEARCH_FROM = 11; // the search box shows when a project has more than ten labels
  const BUILT_IN = new Set(["s", "u", "a", "x", "/", "+", "-", "=", ..."0123456789"]);
  const MODE_KEY = "activelab.decideMode";
  let labels = [];
  let project = "";
  let hotkeys = {}; // label -> key
  let shown = []; // the labels of the visible buttons, in order: keys 1–9, 0 follow it
  let current = null; // the NextOut being shown
  let busy = false;
  let rejected = false; // the annotator rejected the model's guess for the current item
  let multi = false; // a multilabel project: checkboxes, and an answer that is a set
  const multiLabel = activelab.multiLabel;
  let numeric = false; // a regression project: a number box, and an answer that is a number
  const numberAnswer = activelab.numberAnswer;
  const view = { zoom: 1, x: 0, y: 0, contrast: 100, brightness: 100 }; // image display

  const $ = (id) => document.getElementById(id);

  function stored(key, fallback) {
    try {
      const raw = window.localStorage.getItem(key);
      return raw === null ? fallback : JSON.parse(raw);
    } catch (err) {
      return fallback; // storage disabled, or a value that does not parse
    }
  }

  function store(key, value) {
    try { window.localStorage.setItem(key, JSON.stringify(value)); } catch (err) { /* kept for this page only */ }
  }

  function setStatus(text, kind = "") {
    $("status").textContent = text;
    $("status").className = kind;
  }

  function setBusy(value) {
    busy = value;
    document.querySelectorAll(".buttons button").forEach((b) => {
      b.disabled = value || (b.id !== "undo" && (!current || current.done));
    });
    if (multi) multiLabel.setDisabled(value || !current || current.done);
    if (numeric) {
      numberAnswer.setDisabled(value || !current || current.done);
      if (!value) numberAnswer.focus();
    }
    document.body.dataset.busy = value ? "1" : "0";
  }

  // -- label buttons, search, hotkeys ------------------------------------------------------

  function renderButtons() {
    const box = $("label-buttons");
    if (multi) {
      multiLabel.render(box, labels);
      shown = labels.slice();
      return;
    }
    box.replaceChildren();
    labels.forEach((name) => {
      const btn = el("button", { type: "button", "data-label": name }, [
        el("kbd", { class: "num" }), el("kbd", { class: "hk" }), el("span", { text: name })]);
      btn.addEventListener("click", () => submitLabel(name));
      box.append(btn);
    });
    showHotkeys();
    applyFilter();
  }

  function query() {
    return $("search-row").hidden ? "" : $("label-search").value.trim().toLowerCase();
  }

  // Show the labels matching the search (case-insensitive substring), number them 1–9, 0 in
  // order, and mark the first match (Enter picks it).
  function applyFilter() {
    const q = query();
    shown = labels.filter((name) => !q || name.toLowerCase().includes(q));
    document.querySelectorAll("#label-buttons button").forEach((b) => {
      const at = shown.indexOf(b.dataset.label);
      b.hidden = at < 0;
      const num = b.querySelector("kbd.num");
      num.textContent = at >= 0 && at < 10 ? String((at + 1) % 10) : "";
      num.hidden = num.textContent === "";
      b.classList.toggle("first-match", q !== "" && at === 0);
    });
    $("search-count").textContent = !q ? "" :
      shown.length ? `${shown.length} of ${labels.length}` : `no label matches “${q}”`;
  }

  function showHotkeys() {
    document.querySelectorAll("#label-buttons button").forEach((b) => {
      const hk = b.querySelector("kbd.hk");
      hk.textContent = hotkeys[b.dataset.label] || "";
      hk.hidden = hk.textContent === "";
    });
  }

  function hotkeyStore() {
    return `activelab.hotkeys.${project}`;
  }

  function loadHotkeys() {
    const raw = stored(hotkeyStore(), {});
    hotkeys = {};
    for (const [name, key] of Object.entries(raw && typeof raw === "object" ? raw : {})) {
      if (labels.includes(name) && typeof key === "string" && key.length === 1 && !BUILT_IN.has(key)) {
        hotkeys[name] = key;
      }
    }
  }

  // Why `key` cannot label `name`, or "" when it can.
  function refusal(key, name) {
    if ([...key].length !== 1 || key.trim() === "") return "A hotkey is one visible character.";
    if (BUILT_IN.has(key)) {
      return `“${key}” is a built-in key (s skip, u undo, a accept, x reject, digits label by ` +
        "position, / search, + - = zoom); pick another.";
    }
    const other = Object.keys(hotkeys).find((n) => n !== name && hotkeys[n] === key);
    return other === undefined ? "" : `“${key}” already labels “${other}”; clear it there first.`;
  }

  function openHotkeys() {
    const rows = $("hotkey-rows");
    rows.replaceChildren();
    labels.forEach((name) => {
      const input = el("input", { type: "text", maxlength: "1", autocomplete: "off",
                                  "data-label": name, "aria-label": `Hotkey for ${name}` });
      input.value = hotkeys[name] || "";
      input.addEventListener("input", () => assignHotkey(input, name));
      rows.append(el("label", { class: "lp-hk-row" }, [el("span", { text: name }), input]));
    });
    $("hotkey-msg").textContent = "";
    $("hotkeys").showModal();
  }

  function assignHotkey(input, name) {
    const key = input.value.toLowerCase();
    const msg = $("hotkey-msg");
    if (key === "") {
      delete hotkeys[name];
      msg.textContent = `“${name}” has no hotkey now.`;
    } else {
      const why = refusal(key, name);
      if (why) {
        input.value = hotkeys[name] || "";
        msg.textContent = why;
        msg.className = "error";
        return;
      }
      input.value = key;
      hotkeys[name] = key;
      msg.textContent = `“${key}” now labels “${name}”.`;
    }
    msg.className = "ok";
    store(hotkeyStore(), hotkeys);
    showHotkeys();
  }

  // -- accept / reject mode -----------------------------------------------------------------

  function decideMode() {
    return $("decide-mode").checked;
  }

  function guess() {
    return current && !current.done && current.prediction && current.prediction.length
      ? current.prediction[0] : null;
  }

  // What the page shows for the current item: the big guess with accept / reject, or the
  // label buttons (with the search box when there are more than ten labels).
  function layout() {
    const pred = guess();
    const working = current && !current.done;
    const deciding = !multi && !numeric && decideMode() && pred !== null && !rejected;
    $("decide").hidden = !deciding;
    $("label-buttons").hidden = deciding || numeric;
    const searchHidden = multi || numeric || deciding || !working || labels.length < SEARCH_FROM;
    if (searchHidden !== $("search-row").hidden) {
      $("search-row").hidden = searchHidden;
      applyFilter();
    }
    const fallback = !multi && !numeric && decideMode() && working && pred === null;
    $("decide-note").hidden = !fallback;
    $("decide-note").textContent = fallback
      ? "No model guess for this item yet (no model so far, or picked outside the queue): pick its label." : "";
    if (deciding) {
      $("decide-label").textContent = pred.label;
      $("decide-prob").textContent = `${Math.round(100 * pred.probability)} %`;
    }
    document.querySelectorAll("#label-buttons button").forEach((b) => {
      b.classList.toggle("rejected", rejected && pred !== null && b.dataset.label === pred.label);
    });
    document.body.dataset.mode = deciding ? "decide" : "buttons";
  }

  function accept() {
    const pred = guess();
    if (pred && document.body.dataset.mode === "decide") submitLabel(pred.label);
  }

  // Reject the guess: with two labels that is the other one; with more, the annotator picks.
  function reject() {
    const pred = guess();
    if (busy || !pred || document.body.dataset.mode !== "decide") return;
    if (labels.length === 2) {
      submitLabel(labels[0] === pred.label ? labels[1] : labels[0]);
      return;
    }
    rejected = true;
    layout();
    setStatus(`Not “${pred.label}”: pick the right label.`);
    if (!$("search-row").hidden) $("label-search").focus();
  }

  // -- the item -----------------------------------------------------------------------------

  // `text` with the words of `terms` (unigrams, or two words in a row) marked, built from text
  // nodes and <mark> elements: the tokens are those of the TF-IDF vectorizer (two or more word
  // characters), compared lower-cased.
  function marked(text, terms, towards) {
    const words = new Set(), pairs = new Set();
    (terms || []).forEach((t) => (t.term.includes(" ") ? pairs : words).add(t.term));
    const tokens = [...text.matchAll(/[\p{L}\p{N}_]{2,}/gu)];
    const hit = tokens.map((m) => words.has(m[0].toLowerCase()));
    tokens.forEach((m, i) => {
      if (i + 1 < tokens.length && pairs.has(`${m[0]} ${tokens[i + 1][0]}`.toLowerCase())) {
        hit[i] = hit[i + 1] = true;
      }
    });
    const out = [];
    let at = 0;
    tokens.forEach((m, i) => {
      if (!hit[i]) return;
      if (m.index > at) out.push(document.createTextNode(text.slice(at, m.index)));
      out.push(el("mark", { text: m[0], title: `pushed the model towards ${towards}` }));
      at = m.index + m[0].length;
    });
    if (at < text.length) out.push(document.createTextNode(text.slice(at)));
    return out;
  }

  function applyView(img) {
    if (!img) return;
    img.style.transform = `translate(${view.x}px, ${view.y}px) scale(${view.zoom})`;
    img.style.filter = `contrast(${view.contrast}%) brightness(${view.brightness}%)`;
    img.parentElement.classList.toggle("zoomed", view.zoom > 1); // only then drag pans
  }

  const image = () => document.querySelector("#viewer img");

  function zoomBy(factor) {
    view.zoom = Math.min(8, Math.max(1, view.zoom * factor));
    if (view.zoom === 1) view.x = view.y = 0;
    applyView(image());
  }

  function resetView(all) {
    Object.assign(view, { zoom: 1, x: 0, y: 0 });
    if (all) {
      Object.assign(view, { contrast: 100, brightness: 100 });
      $("contrast").value = "100";
      $("brightness").value = "100";
    }
    applyView(image());
  }

  // An image in a frame: the wheel zooms, dragging a zoomed image pans (CSS transforms and
  // filters only). Unzoomed, the wheel and touch scroll the page as usual.
  function viewer(next) {
    const img = el("img", { src: next.content_url, alt: next.item_id, draggable: "false" });
    const frame = el("div", { id: "viewer", class: "lp-viewer" }, [img]);
    frame.addEventListener("wheel", (ev) => {
      if (ev.deltaY > 0 && view.zoom <= 1) return;
      ev.preventDefault();
      zoomBy(ev.deltaY < 0 ? 1.25 : 0.8);
    }, { passive: false });
    let drag = null;
    frame.addEventListener("pointerdown", (ev) => {
      if (view.zoom <= 1) return;
      drag = { x: ev.clientX - view.x, y: ev.clientY - view.y };
      frame.setPointerCapture(ev.pointerId);
      frame.classList.add("dragging");
    });
    frame.addEventListener("pointermove", (ev) => {
      if (!drag) return;
      view.x = ev.clientX - drag.x;
      view.y = ev.clientY - drag.y;
      applyView(img);
    });
    const stop = () => { drag = null; frame.classList.remove("dragging"); };
    frame.addEventListener("pointerup", stop);
    frame.addEventListener("pointercancel", stop);
    resetView(false); // a new image starts unzoomed; contrast and brightness stay as set
    applyView(img);
    return frame;
  }

  // Switch the page to a multilabel project's: checkboxes, Submit and None of these, no accept /
  // reject mode and no hotkeys (the keys toggle boxes).
  function enterMulti() {
    multi = true;
    $("decide-mode").parentElement.hidden = true;
    $("hotkeys-open").hidden = true;
    $("multi-actions").hidden = false;
    $("multi-help").hidden = false;
    $("help").hidden = true;
    document.body.dataset.task = "multilabel";
    renderButtons();
  }

  // Switch the page to a regression project's: a number box, no label buttons, no accept /
  // reject mode and no hotkeys.
  function enterNumeric() {
    numeric = true;
    $("decide-mode").parentElement.hidden = true;
    $("hotkeys-open").hidden = true;
    $("label-buttons").hidden = true;
    $("number-help").hidden = false;
    $("help").hidden = true;
    document.body.dataset.task = "regression";
    numberAnswer.render($("number-answer"), { submit: submitLabel, skip, undo });
  }

  function render(next) {
    current = next;
    rejected = false;
    if (next.task === "multilabel" && !multi) enterMulti();
    if (next.task === "regression" && !numeric) enterNumeric();
    if (Array.isArray(next.labels) && next.labels.join("\n") !== labels.join("\n")) {
      labels = next.labels; // the label set grew
      loadHotkeys();
      renderButtons();
    }
    $("count").textContent = String(next.annotator_count);
    $("label-search").value = "";
    const box = $("item");
    box.replaceChildren();
    $("image-tools").hidden = next.done || next.kind !== "image";
    $("highlight-note").hidden = true;
    if (next.done) {
      box.append(el("span", { class: "muted", text: next.why }));
      $("item-id").textContent = "";
      $("why").textContent = "";
      $("prediction").textContent = "";
      document.body.dataset.itemId = "";
      layout();
      applyFilter();
      setBusy(false);
      return;
    }
    const pred = next.prediction || [];
    const terms = pred.length && next.highlights && next.highlights.length ? next.highlights : null;
    const towards = pred.length ? pred[0].label : "";
    if (next.kind === "image") {
      box.append(viewer(next));
    } else if (next.kind === "text") {
      box.append(el("div", { class: "text" }, marked(next.text || "", terms, towards)));
    } else {
      const rows = Object.entries(next.fields || {}).map(([k, v]) => el("tr", {}, [
        el("th", { text: k }),
        el("td", {}, typeof v === "string" ? marked(v, terms, towards) : [v === null ? "" : String(v)])]));
      box.append(el("table", {}, rows));
    }
    if (terms) {
      $("highlight-note").textContent = `Marked: the words that pushed the model towards “${towards}” ` +
        `(${terms.map((t) => t.term).join(", ")}).`;
      $("highlight-note").hidden = false;
    }
    $("item-id").textContent = `item ${next.item_id}`;
    $("why").textContent = next.why;
    $("prediction").textContent = pred.length
      ? "Model: " + pred.map((p) => `${p.label} ${Math.round(100 * p.probability)} %`).join(" · ")
      : "";
    if (multi) {
      const probs = next.label_probabilities;
      multiLabel.show(probs);
      $("prediction").textContent = probs
        ? `Model's guess (ticked): ${multiLabel.said(probs.filter((p) => p.probability >= 0.5).map((p) => p.label))}`
        : "";
    }
    if (numeric) {
      numberAnswer.show(next);
      $("prediction").textContent = numberAnswer.describe(next);
    }
    document.querySelectorAll("#label-buttons button").forEach((b) => {
      b.classList.toggle("predicted", pred.length > 0 && b.dataset.label === pred[0].label);
    });
    document.body.dataset.itemId = next.item_id;
    layout();
    applyFilter();
    setBusy(false);
  }

  // -- requests -----------------------------------------------------------------------------

  async function loadNext() {
    setBusy(true);
    try {
      render(await api("GET", "/api/next"));
    } catch (err) {
      setStatus(err.message, "error");
      setBusy(false);
    }
  }

  // Send an answer: one label, (multilabel) the list of labels that apply, or (regression) a
  // number.
  async function submitLabel(label) {
    if (busy || !current || current.done) return;
    setBusy(true);
    const body = multi ? { item_id: current.item_id, labels: label, request_id: requestId() }
      : numeric ? { item_id: current.item_id, value: label, request_id: requestId() }
        : { item_id: current.item_id, label, request_id: requestId() };
    try {
      const out = await api("POST", "/api/labels", body);
      $("count").textContent = String(out.annotator_count);
      const what = multi ? multiLabel.said(out.labels) : numeric
        ? numberAnswer.said(out.value) + (current.unit ? ` ${current.unit}` : "") : label;
      setStatus(`Saved “${what}” for ${out.item_id}.`, "ok");
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
      const what = out.undone_kind === "skip" ? "skip" : multi
        ? `labels “${multiLabel.said(out.undone_labels)}”` : numeric
          ? `value “${numberAnswer.said(out.undone_value)}”` : `label “${out.undone_label}”`;
      setStatus(`Undid your ${what} on ${out.item_id}.`, "ok");
      render(out.next);
    } catch (err) {
      setStatus(err.message, "error");
      setBusy(false);
    }
  }

  // -- keys -----------------------------------------------------------------------------------

  function pickShown(key) {
    const i = key === "0" ? 9 : Number(key) - 1; // 1–9, then 0 for the 10th label shown
    if (multi) multiLabel.toggle(i);
    else if (i < shown.length) submitLabel(shown[i]);
  }

  const TEXT_INPUT = (t) => (t instanceof HTMLInputElement &&
    !["checkbox", "radio", "range", "button"].includes(t.type)) || t instanceof HTMLTextAreaElement;

  document.addEventListener("keydown", (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.repeat) return;
    if (TEXT_INPUT(ev.target) || $("hotkeys").open) return;
    const key = ev.key.length === 1 ? ev.key.toLowerCase() : ev.key;
    const deciding = document.body.dataset.mode === "decide";
    const isImage = !$("image-tools").hidden;
    let act = null;
    if (numeric && (key === "Enter" || key === "a") && !(ev.target instanceof HTMLButtonElement)) {
      act = key === "a" ? numberAnswer.acceptGuess : numberAnswer.send;
    } else if (numeric && /^[0-9.-]$/.test(key)) {
      numberAnswer.focus(); // the digit goes into the box
    } else if (/^[0-9]$/.test(key)) act = () => pickShown(key);
    else if (key === "s") act = skip;
    else if (key === "u") act = undo;
    else if (multi && key === "Enter" && !(ev.target instanceof HTMLButtonElement)) act = () => submitLabel(multiLabel.chosen());
    else if (multi && key === "n") act = () => submitLabel([]);
    else if (deciding && (key === "a" || (key === "Enter" && !(ev.target instanceof HTMLButtonElement)))) act = accept;
    else if (deciding && key === "x") act = reject;
    else if (key === "/" && !$("search-row").hidden) act = () => $("label-search").focus();
    else if (isImage && (key === "+" || key === "=")) act = () => zoomBy(1.25);
    else if (isImage && key === "-") act = () => zoomBy(0.8);
    else if (!multi) {
      const name = Object.keys(hotkeys).find((n) => hotkeys[n] === key);
      if (name !== undefined && labels.includes(name)) act = () => submitLabel(name);
    }
    if (act) { ev.preventDefault(); act(); }
  });

  function searchKeys(ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    if (ev.key === "Enter") {
      ev.preventDefault();
      if (query() && shown.length) submitLabel(shown[0]);
    } else if (ev.key === "Escape") {
      ev.preventDefault();
      $("label-search").value = "";
      applyFilter();
      $("label-search").blur();
    } else if (/^[0-9]$/.test(ev.key)) {
      ev.preventDefault(); // digits pick among the matches rather than search
      pickShown(ev.key);
    }
  }

  document.addEventListener("DOMContentLoaded", async () => {
    $("skip").addEventListener("click", skip);
    $("undo").addEventListener("click", undo);
    $("accept").addEventListener("click", accept);
    $("reject").addEventListener("click", reject);
    $("submit-set").addEventListener("click", () => submitLabel(multiLabel.chosen()));
    $("none-of-these").addEventListener("click", () => submitLabel([]));
    $("sign-out").addEventListener("click", activelab.signOut);
    $("decide-mode").checked = stored(MODE_KEY, false) === true;
    $("decide-mode").addEventListener("change", () => {
      store(MODE_KEY, decideMode());
      layout();
    });
    $("label-search").addEventListener("input", applyFilter);
    $("label-search").addEventListener("keydown", searchKeys);
    $("hotkeys-open").addEventListener("click", openHotkeys);
    $("hotkeys-close").addEventListener("click", () => $("hotkeys").close());
    $("hotkeys-clear").addEventListener("click", () => {
      hotkeys = {};
      store(hotkeyStore(), hotkeys);
      showHotkeys();
      openHotkeys();
    });
    $("zoom-in").addEventListener("click", () => zoomBy(1.25));
    $("zoom-out").addEventListener("click", () => zoomBy(0.8));
    $("image-reset").addEventListener("click", () => resetView(true));
    for (const id of ["contrast", "brightness"]) {
      $(id).addEventListener("input", () => {
        view[id] = Number($(id).value);
        applyView(image());
      });
    }
    try {
      const me = await api("GET", "/api/me");
      labels = me.labels;
      project = me.project;
      $("annotator").textContent = me.name;
      $("project").textContent = me.project;
      loadHotkeys();
      renderButtons();
      await loadNext();
    } catch (err) {
      setStatus(err.message, "error");
    }
  });
})();
