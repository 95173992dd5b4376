// Shared by the pages: JSON calls to the API (the login cookie authenticates them) and ids.
"use strict";

const activelab = (() => {
  function requestId() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID();
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  }

  class ApiError extends Error {
    constructor(status, detail) {
      super(detail);
      this.status = status;
    }
  }

  // The connection state the pages show: "online", or "reconnecting" while the server
  // cannot be reached (a restart, a crash) and a call is waiting to be sent again.
  function setConnection(state) {
    if (document.body.dataset.connection === state) return;
    document.body.dataset.connection = state;
    const box = document.getElementById("connection");
    if (box) {
      box.hidden = state === "online";
      box.textContent = state === "online" ? "" :
        "Reconnecting to the server… nothing is lost: what you sent is kept and goes out as soon as it is back.";
    }
  }

  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const UNAVAILABLE = new Set([502, 503, 504]); // a proxy in front of a server that is down

  // One call. While the server cannot be reached (network errors, 502/503/504) it is retried
  // for as long as it takes, with the same body — so the same request_id, which makes every
  // write idempotent: a label the server committed before the connection dropped is never
  // counted twice, and never reported as failed. Other 5xx are retried `attempts` times.
  async function api(method, path, body, attempts = 5) {
    let delay = 250;
    let failures = 0;
    for (;;) {
      let resp;
      try {
        resp = await fetch(path, {
          method,
          credentials: "same-origin",
          headers: body === undefined ? {} : { "Content-Type": "application/json" },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (err) {
        resp = null;
      }
      if (resp === null || UNAVAILABLE.has(resp.status)) {
        setConnection("reconnecting");
        await sleep(delay);
        delay = Math.min(delay * 2, 2000);
        continue;
      }
      setConnection("online");
      if (resp.status === 401) {
        window.location.assign("/login");
        throw new ApiError(401, "signed out");
      }
      if (resp.status >= 500 && ++failures < attempts) {
        await sleep(delay);
        delay = Math.min(delay * 2, 2000);
        continue;
      }
      const type = resp.headers.get("content-type") || "";
      const data = type.includes("json") ? await resp.json() : await resp.text();
      if (!resp.ok) {
        const detail = data && data.detail ? data.detail : `HTTP ${resp.status}`;
        throw new ApiError(resp.status, typeof detail === "string" ? detail : JSON.stringify(detail));
      }
      return data;
    }
  }

  function el(tag, attrs = {}, children = []) {
    const node = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs)) {
      if (k === "text") node.textContent = v;
      else if (k === "class") node.className = v;
      else node.setAttribute(k, v);
    }
    for (const c of children) node.append(c);
    return node;
  }

  async function signOut() {
    await fetch("/logout", { method: "POST", credentials: "same-origin" });
    window.location.assign("/login");
  }

  return { api, requestId, el, signOut, ApiError };
})();
