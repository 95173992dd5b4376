// Exchange a token (al_…) or a one-time invitation code (inv_…) for a session cookie.
// Signing in takes a click on "Sign in": nothing here signs in by itself, so a crafted link
// cannot sign a visitor into someone else's account (login CSRF). Old /login#token=… links no
// longer work; their fragment is only erased from the address bar and history entry.
"use strict";

async function signIn(secret) {
  const status = document.getElementById("status");
  status.textContent = "Signing in…";
  status.className = "";
  const value = secret.trim();
  const body = value.startsWith("inv_") ? { code: value } : { token: value };
  const resp = await fetch("/login", {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  if (resp.status === 204) {
    window.location.assign("/");
    return;
  }
  let detail = `HTTP ${resp.status}`;
  try { detail = (await resp.json()).detail || detail; } catch (e) { /* not JSON */ }
  status.textContent = typeof detail === "string" ? detail : "sign-in refused";
  status.className = "error";
}

document.addEventListener("DOMContentLoaded", () => {
  document.getElementById("login-form").addEventListener("submit", (ev) => {
    ev.preventDefault();
    signIn(document.getElementById("token").value);
  });
  if (window.location.hash || window.location.search) {
    history.replaceState(null, "", "/login");
    const status = document.getElementById("status");
    status.textContent = "Sign-in links are not supported: paste your token or code.";
  }
});
