// The labeling page's regression part: a number box (focused on every new item), the unit, the
// model's guess, and the answer as a number. label.js uses it when GET /api/next says
// `task: "regression"`; it owns the box, label.js the requests. Keys in the box (letters are
// not part of a number): Enter submits what is typed, a accepts the model's guess, g puts the
// guess in the box to adjust it, s skips, u undoes. Everything is set as text, never as HTML.
"use strict";

activelab.numberAnswer = (() => {
  const { el } = activelab;
  let input = null;
  let message = null;
  let next = null; // the RegressionNextOut shown
  let on = {}; // {submit(value), skip(), undo()} from label.js

  // A number as the page says it: up to 6 significant digits, no trailing zeros.
  function said(value) {
    return value === null || value === undefined ? "" : String(Number(value.toPrecision(6)));
  }

  function unit() {
    return next && next.unit ? ` ${next.unit}` : "";
  }

  // The model's guess for the current item, inside the range (None before a model exists).
  function guess() {
    if (!next || next.done || typeof next.predicted_value !== "number") return null;
    let v = Number(next.predicted_value.toPrecision(6));
    if (Array.isArray(next.value_range)) v = Math.min(next.value_range[1], Math.max(next.value_range[0], v));
    return v;
  }

  // Build the box, its unit and its buttons in `host`; `handlers` sends the answers.
  function render(host, handlers) {
    on = handlers;
    input = el("input", { type: "number", id: "value-input", step: "any", inputmode: "decimal",
                          autocomplete: "off", "aria-label": "Value", "data-testid": "value" });
    const submit = el("button", { type: "button", id: "submit-value" }, [el("kbd", { text: "Enter" }), "Submit"]);
    const accept = el("button", { type: "button", id: "accept-guess", class: "secondary" },
                      [el("kbd", { text: "a" }), "Accept the guess"]);
    message = el("p", { id: "value-note", class: "muted" });
    host.replaceChildren(
      el("div", { class: "lp-number-row" }, [input, el("span", { id: "value-unit", class: "lp-unit" })]),
      el("div", { class: "buttons" }, [submit, accept]), message);
    submit.addEventListener("click", () => send());
    accept.addEventListener("click", () => acceptGuess());
    input.addEventListener("keydown", keys);
    host.hidden = false;
  }

  function keys(ev) {
    if (ev.ctrlKey || ev.metaKey || ev.altKey || ev.repeat) return;
    const key = ev.key.length === 1 ? ev.key.toLowerCase() : ev.key;
    const act = { Enter: send, a: acceptGuess, g: fillGuess, s: () => on.skip(), u: () => on.undo() }[key];
    if (act) {
      ev.preventDefault();
      ev.stopPropagation(); // label.js's page keys would act twice
      act();
    }
  }

  // A new item: an empty box, focused; the guess as its placeholder and in words.
  function show(item) {
    next = item;
    if (!input) return;
    input.value = "";
    const range = Array.isArray(item.value_range) ? item.value_range : null;
    input.min = range ? String(range[0]) : "";
    input.max = range ? String(range[1]) : "";
    const g = guess();
    input.placeholder = g === null ? "a number" : `model: ${said(g)}`;
    document.getElementById("value-unit").textContent = item.unit || "";
    document.getElementById("accept-guess").hidden = g === null;
    message.textContent = range ? `From ${said(range[0])} to ${said(range[1])}${unit()}.` : "";
    if (!item.done) input.focus();
  }

  // What the model says of the item, for the prediction line.
  function describe(item) {
    if (typeof item.predicted_value !== "number") return "";
    const std = typeof item.predicted_std === "number" ? ` ± ${said(item.predicted_std)}` : "";
    return `Model's guess: ${said(item.predicted_value)}${std}${item.unit ? " " + item.unit : ""} (a accepts it)`;
  }

  // The typed number, or a message saying what is wrong (the server checks it again).
  function typed() {
    const text = input.value.trim();
    if (input.validity.badInput || text === "") return { error: "Type a number first (e.g. 12.5)." };
    const v = Number(text);
    if (!Number.isFinite(v)) return { error: "Type a finite number." };
    const range = next && Array.isArray(next.value_range) ? next.value_range : null;
    if (range && (v < range[0] || v > range[1])) {
      return { error: `${said(v)} is outside the range, ${said(range[0])} to ${said(range[1])}${unit()}.` };
    }
    return { value: v };
  }

  function send() {
    const t = typed();
    if (t.error) {
      message.textContent = t.error;
      message.className = "error";
      input.focus();
      return;
    }
    message.className = "muted";
    on.submit(t.value);
  }

  function acceptGuess() {
    const g = guess();
    if (g !== null) on.submit(g);
  }

  function fillGuess() {
    const g = guess();
    if (g === null) return;
    input.value = String(g);
    input.select();
  }

  function setDisabled(value) {
    if (input) input.disabled = value;
  }

  function focus() {
    if (input && !input.disabled) input.focus();
  }

  return { render, show, describe, said, send, acceptGuess, setDisabled, focus };
})();
