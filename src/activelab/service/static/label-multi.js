// The labeling page's multilabel part: a checkbox per label, the model's guess pre-ticked (each
// label's probability beside it), and the answer as a set. label.js uses it when GET /api/next
// says `task: "multilabel"`; it owns the boxes, label.js the requests and the keys:
// 1–9 and 0 toggle the first ten boxes, Enter submits the ticked set, n submits "none of these"
// (an answer: no label applies — unlike a skip). Labels are only ever set as text.
"use strict";

activelab.multiLabel = (() => {
  const { el } = activelab;
  let boxes = []; // the checkbox inputs, in label order

  // Build a checkbox per label in `box`, numbered 1–9, 0 for the first ten.
  function render(box, labels) {
    box.replaceChildren();
    box.classList.add("lp-multi");
    boxes = labels.map((name, i) => {
      const input = el("input", { type: "checkbox", "data-label": name });
      const num = el("kbd", { class: "num", text: i < 10 ? String((i + 1) % 10) : "" });
      num.hidden = i >= 10;
      const prob = el("span", { class: "lp-prob muted" });
      box.append(el("label", { class: "lp-check", "data-label": name },
                    [input, num, el("span", { text: name }), prob]));
      return input;
    });
  }

  // A new item: the model's guess (P(label applies) ≥ 0.5) ticked and marked, each label's
  // probability shown; without a model every box starts empty.
  function show(probabilities) {
    const p = new Map((probabilities || []).map((x) => [x.label, x.probability]));
    boxes.forEach((input) => {
      const name = input.dataset.label;
      const known = p.has(name);
      input.checked = known && p.get(name) >= 0.5;
      const row = input.parentElement;
      row.classList.toggle("predicted", input.checked);
      row.querySelector(".lp-prob").textContent = known ? `${Math.round(100 * p.get(name))} %` : "";
    });
  }

  function toggle(i) {
    if (i < boxes.length && !boxes[i].disabled) boxes[i].checked = !boxes[i].checked;
  }

  function chosen() {
    return boxes.filter((b) => b.checked).map((b) => b.dataset.label);
  }

  function setDisabled(value) {
    boxes.forEach((b) => { b.disabled = value; });
  }

  // What a set reads as in a message.
  function said(labels) {
    return labels && labels.length ? labels.join(", ") : "none of these";
  }

  return { render, show, toggle, chosen, setDisabled, said };
})();
