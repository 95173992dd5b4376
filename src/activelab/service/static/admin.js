// The admin page: settings (choices from the API's own OpenAPI document), the label set, people
// (annotators, invitations, revoking), export links and retraining. Every change goes through
// the JSON API; its refusals are shown as they come.
"use strict";

(() => {
  const { api, el } = activelab;
  const $ = (id) => document.getElementById(id);
  const INTEGERS = ["retrain_every", "queue_size", "lease_seconds", "annotations_per_item",
    "overlap_seed"];
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  let me = null;

  function show(id, text, ok) {
    const node = $(id);
    node.textContent = text;
    node.className = "status " + (ok ? "ok" : "error");
  }

  const when = (iso) => (iso ? iso.replace("T", " ").replace("Z", " UTC") : "–");

  // -- settings ---------------------------------------------------------------------------

  // A setting's schema in SettingsIn: the non-null branch of its anyOf.
  const branch = (p) => (p.anyOf ? p.anyOf.find((x) => x.type !== "null") : p) || {};

  async function loadSettings() {
    const [doc, current] = await Promise.all([
      api("GET", "/api/openapi.json"), api("GET", "/api/settings"),
    ]);
    const props = doc.components.schemas.SettingsIn.properties;
    for (const name of ["strategy", "model"]) {
      const values = branch(props[name]).enum || [current[name]];
      $(name).replaceChildren(...values.map((v) => el("option", { value: v, text: v })));
      $(name).value = current[name];
    }
    for (const name of INTEGERS) {
      const spec = branch(props[name]);
      Object.assign($(name), { min: spec.minimum, max: spec.maximum, step: 1, value: current[name] });
      $(name).title = `a whole number from ${spec.minimum} to ${spec.maximum}`;
    }
    $("overlap_fraction").value = current.overlap_fraction;
  }

  async function saveSettings(event) {
    event.preventDefault();
    const body = { strategy: $("strategy").value, model: $("model").value };
    for (const name of INTEGERS) body[name] = Number($(name).value);
    body.overlap_fraction = Number($("overlap_fraction").value);
    try {
      const s = await api("PUT", "/api/settings", body);
      show("settings-status", `Saved: ${s.strategy} with ${s.model}, retrain every ${s.retrain_every} ` +
        `labels, queue of ${s.queue_size}, leases of ${s.lease_seconds} s, ` +
        `${s.annotations_per_item} annotator(s) on ${Math.round(s.overlap_fraction * 100)} % of the items.`, true);
    } catch (err) {
      show("settings-status", err.message, false);
    }
  }

  // -- the label set ----------------------------------------------------------------------

  async function loadLabels() {
    const set = await api("GET", "/api/label-set");
    const added = new Map(set.additions.map((a) => [a.label, a]));
    $("label-list").replaceChildren(...set.labels.map((label) => {
      const a = added.get(label);
      const note = a ? [el("span", { class: "muted", text: ` added by ${a.added_by}, ${when(a.added_at)}` })] : [];
      return el("li", { "data-label": label }, [el("strong", { text: label }), ...note]);
    }));
  }

  async function addLabel(event) {
    event.preventDefault();
    const label = $("new-label").value;
    try {
      await api("POST", "/api/label-set", { label });
      $("new-label").value = "";
      show("label-status", `Added ${label.trim()}: annotators see it from their next item.`, true);
      await loadLabels();
    } catch (err) {
      show("label-status", err.message, false);
    }
  }

  // -- people -----------------------------------------------------------------------------

  async function loadPeople() {
    const people = await api("GET", "/api/annotators");
    const head = el("tr", {}, ["name", "role", "state", "created", "expires", "revoked", ""]
      .map((h) => el("th", { text: h })));
    const rows = people.map((p) => {
      const action = el("td");
      if (p.state !== "revoked" && p.name !== me.name) {
        const button = el("button", { type: "button", class: "secondary", "data-revoke": p.name,
                                      text: "Revoke" });
        button.addEventListener("click", () => revoke(p.name));
        action.append(button);
      }
      return el("tr", { "data-name": p.name, "data-state": p.state }, [
        el("td", { text: p.name }), el("td", { text: p.is_admin ? "admin" : "annotator" }),
        el("td", { text: p.state }), el("td", { text: when(p.created_at) }),
        el("td", { text: p.expires_at ? when(p.expires_at) : "never" }),
        el("td", { text: when(p.revoked_at) }), action,
      ]);
    });
    $("people").replaceChildren(el("thead", {}, [head]), el("tbody", {}, rows));
  }

  async function revoke(name) {
    if (!window.confirm(`Revoke ${name}'s token and end their sessions? Their labels stay.`)) return;
    try {
      await api("POST", "/api/annotators/revoke", { name });
      show("people-status", `Revoked ${name}: their token and sessions no longer work.`, true);
    } catch (err) {
      show("people-status", err.message, false);
    }
    await loadPeople();
  }

  async function invite(event) {
    event.preventDefault();
    $("invite-result").hidden = true;
    try {
      const inv = await api("POST", "/api/invitations", {
        name: $("invite-name").value, admin: $("invite-admin").checked, expires: $("invite-expires").value,
      });
      $("invite-who").textContent = `${inv.name} (${inv.new_annotator ? "new" : "existing"} ` +
        `${inv.is_admin ? "admin" : "annotator"})`;
      $("invite-url").textContent = `${window.location.origin}/login`;
      $("invite-until").textContent = when(inv.expires_at);
      $("invite-code").textContent = inv.code;
      $("invite-result").hidden = false;
      $("invite-name").value = "";
      show("people-status", "", true);
      await loadPeople();
    } catch (err) {
      show("people-status", err.message, false);
    }
  }

  // -- export -----------------------------------------------------------------------------

  function exportLinks() {
    const history = $("export-history").checked;
    for (const a of $("downloads").querySelectorAll("a[data-format]")) {
      const fmt = a.dataset.format;
      if (history && fmt === "labelstudio") {
        a.removeAttribute("href");
        a.setAttribute("aria-disabled", "true");
      } else {
        a.href = `/api/export?format=${fmt}${history ? "&history=true" : ""}`;
        a.removeAttribute("aria-disabled");
      }
    }
  }

  // -- retraining -------------------------------------------------------------------------

  function describe(run) {
    if (!run) return "No retrain yet.";
    if (run.status !== "ok") return `Retrain #${run.id} failed (${when(run.finished_at)}): ${run.error || "no error recorded"}`;
    const acc = run.cv_accuracy === null ? "no cross-validated accuracy yet (too few labels per class)"
      : `cross-validated accuracy ${run.cv_accuracy.toFixed(3)} (${run.cv_folds} folds)`;
    return `Retrain #${run.id} on ${run.n_labels} labels finished ${when(run.finished_at)} in ` +
      `${run.seconds} s: ${run.strategy} with ${run.model}, ${acc}.`;
  }

  async function lastRun() {
    const prog = await api("GET", "/api/progress");
    return prog.runs.length ? prog.runs[0] : null;
  }

  async function retrain() {
    const button = $("retrain");
    button.disabled = true;
    try {
      const before = await lastRun();
      await api("POST", "/api/retrain");
      show("retrain-status", "Retraining…", true);
      const deadline = Date.now() + 300000;
      while (Date.now() < deadline) {
        await sleep(1000);
        const run = await lastRun();
        if (run && (!before || run.id > before.id)) {
          $("retrain-status").dataset.run = run.id;
          show("retrain-status", describe(run), run.status === "ok");
          return;
        }
      }
      show("retrain-status", "Still retraining; the Progress page shows the run when it ends.", true);
    } catch (err) {
      show("retrain-status", err.message, false);
    } finally {
      button.disabled = false;
    }
  }

  document.addEventListener("DOMContentLoaded", async () => {
    $("sign-out").addEventListener("click", activelab.signOut);
    $("settings-form").addEventListener("submit", saveSettings);
    $("label-form").addEventListener("submit", addLabel);
    $("invite-form").addEventListener("submit", invite);
    $("export-history").addEventListener("change", exportLinks);
    $("retrain").addEventListener("click", retrain);
    exportLinks();
    try {
      me = await api("GET", "/api/me");
      $("project").textContent = me.project;
      $("annotator").textContent = me.name;
      await Promise.all([loadSettings(), loadLabels(), loadPeople(),
        lastRun().then((run) => { $("retrain-status").textContent = describe(run); })]);
      document.body.dataset.ready = "1";
    } catch (err) {
      show("settings-status", err.message, false);
    }
  });
})();
