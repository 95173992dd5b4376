// Exchange a token for the HttpOnly login cookie. A link like /login#token=... signs in directly
// (the fragment never reaches the server or its logs).
"use strict";

async function signIn(token) {
  const status = document.getElementById("status");
  status.textContent = "Signing in…";
  status.className = "";
  const resp = await fetch("/login", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify({ token: token.trim() }),
  });
  if (resp.status === 204) {
    window.location.assign("/");
    return;
  }
  let detail = `HTTP ${resp.status}`;
  try { detail = (await resp.json()).detail || detail; } catch (e) { /* not JSON */ }
  status.textContent = typeof detail === "string" ? detail : "invalid token";
  status.className = "error";
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("login-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    signIn(document.getElementById("token").value);
  });
  const match = window.location.hash.match(/^#token=(.+)$/);
  if (match) {
    history.replaceState(null, "", "/login");
    signIn(decodeURIComponent(match[1]));
  }
});
