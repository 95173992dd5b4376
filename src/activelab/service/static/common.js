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

  // One call; network failures and 5xx are retried (same body, so the same request_id)
  // with backoff, which is safe because every write is idempotent in its request_id.
  async function api(method, path, body, attempts = 5) {
    let delay = 250;
    for (let i = 1; ; i++) {
      let resp;
      try {
        resp = await fetch(path, {
          method,
          credentials: "same-origin",
          headers: body === undefined ? {} : { "Content-Type": "application/json" },
          body: body === undefined ? undefined : JSON.stringify(body),
        });
      } catch (err) {
        if (i >= attempts) throw new ApiError(0, "the server cannot be reached; check that it is running.");
        await new Promise((r) => setTimeout(r, delay));
        delay *= 2;
        continue;
      }
      if (resp.status === 401) {
        window.location.assign("/login");
        throw new ApiError(401, "signed out");
      }
      if (resp.status >= 500 && i < attempts) {
        await new Promise((r) => setTimeout(r, delay));
        delay *= 2;
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
