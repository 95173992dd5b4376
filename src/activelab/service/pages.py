"""The browser pages: static HTML, JavaScript and CSS shipped in `static/`, served by the app
(no build step, no CDN), and sign-in.

Pages need a session (or a Bearer header); without one they redirect to /login. ``POST /login``
takes ``{"token": ...}`` or a one-time ``{"code": ...}`` and sets the ``activelab_session``
cookie to a random session id (`sessions.py`; never the token): ``HttpOnly; SameSite=Strict;
Path=/``, ``Max-Age`` the session's lifetime, and ``Secure`` when the request came over HTTPS.
HTTPS is read from ``request.url.scheme`` only; behind a TLS proxy that is "https" because
uvicorn applies ``X-Forwarded-Proto`` from the addresses it trusts ($FORWARDED_ALLOW_IPS,
127.0.0.1 and ::1 by default) — the app itself never reads that header, so a remote client
cannot fake it. Failed sign-ins are limited per client (`ratelimit.py`: 429 with Retry-After,
decided before any database query). ``POST /logout`` ends the session on the server.
"""

from __future__ import annotations

import threading
from pathlib import Path

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import FileResponse, RedirectResponse

from .auth import authenticate, lookup_token
from .deps import service
from .invitations import InvitationRefused, redeem
from .ratelimit import FailureLimiter
from .schemas import LoginIn
from .sessions import SESSION_COOKIE, end_session, open_session, session_principal

STATIC = Path(__file__).with_name("static")
# The only files served: a fixed map, so no request path ever reaches the file system.
ASSETS = {
    "label.js": "text/javascript",
    "label-multi.js": "text/javascript",
    "label-number.js": "text/javascript",
    "progress.js": "text/javascript",
    "login.js": "text/javascript",
    "admin.js": "text/javascript",
    "admin.css": "text/css",
    "review.js": "text/javascript",
    "review.css": "text/css",
    "common.js": "text/javascript",
    "style.css": "text/css",
}
PUBLIC_ASSETS = {"login.js", "style.css"}
LEGACY_COOKIE = "activelab_token"  # held the raw token before sessions; erased on sign-in
_limiter_lock = threading.Lock()

router = APIRouter(include_in_schema=False)


def _caller(request: Request):
    """Who is signed in (Bearer header or session cookie), or None."""
    store = service(request).runtime.store
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return authenticate(store, token.strip())
    return session_principal(store, request.cookies.get(SESSION_COOKIE))


def _signed_in(request: Request) -> bool:
    return _caller(request) is not None


def _page(name: str, request: Request):
    if not _signed_in(request):
        return RedirectResponse("/login", status_code=303)
    return FileResponse(STATIC / name, media_type="text/html; charset=utf-8",
                        headers={"Cache-Control": "no-store"})


@router.get("/")
def label_page(request: Request):
    return _page("label.html", request)


@router.get("/progress")
def progress_page(request: Request):
    return _page("progress.html", request)


@router.get("/admin")
def admin_page(request: Request):
    """Settings, the label set, people, export and retraining: admins only (others get a 403
    page that says so)."""
    return _admin_page("admin.html", request)


@router.get("/review")
def review_page(request: Request):
    """The review queue and the agreement between annotators: admins only."""
    return _admin_page("review.html", request)


def _admin_page(name: str, request: Request):
    who = _caller(request)
    if who is None:
        return RedirectResponse("/login", status_code=303)
    name = name if who.is_admin else "admins-only.html"
    return FileResponse(STATIC / name, status_code=200 if who.is_admin else 403,
                        media_type="text/html; charset=utf-8", headers={"Cache-Control": "no-store"})


@router.get("/login")
def login_page():
    return FileResponse(STATIC / "login.html", media_type="text/html; charset=utf-8",
                        headers={"Cache-Control": "no-store"})


def login_limiter(request: Request) -> FailureLimiter:
    """The app's limiter of failed sign-ins (one per app, made on first use)."""
    state = request.app.state
    with _limiter_lock:
        if getattr(state, "login_limiter", None) is None:
            state.login_limiter = FailureLimiter()
        return state.login_limiter


@router.post("/login", status_code=204)
def login(body: LoginIn, request: Request, response: Response):
    client = request.client.host if request.client else "unknown"
    limiter = login_limiter(request)
    wait = limiter.retry_after(client)
    if wait is not None:
        raise HTTPException(429, f"too many failed sign-ins from {client}; try again in {wait} s.",
                            headers={"Retry-After": str(wait)})
    store = service(request).runtime.store
    if body.code is not None:
        try:
            _, session = redeem(store, body.code)
        except InvitationRefused as exc:
            limiter.failed(client)
            raise HTTPException(401, str(exc)) from None
    else:
        who = lookup_token(store, body.token)
        if who is None or who.expired():
            limiter.failed(client)
            raise HTTPException(401, "token expired; ask an admin for a new one." if who
                                else "invalid or revoked token.")
        session = open_session(store, who)
    end_session(store, request.cookies.get(SESSION_COOKIE))  # a previous one in this browser
    response.set_cookie(SESSION_COOKIE, session.id, max_age=session.max_age, httponly=True,
                        samesite="strict", path="/", secure=request.url.scheme == "https")
    if LEGACY_COOKIE in request.cookies:
        response.delete_cookie(LEGACY_COOKIE, path="/")
    response.status_code = 204
    return response


@router.post("/logout", status_code=204)
def logout(request: Request, response: Response):
    end_session(service(request).runtime.store, request.cookies.get(SESSION_COOKIE))
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict",
                           secure=request.url.scheme == "https")
    response.status_code = 204
    return response


@router.get("/static/{name}")
def asset(name: str, request: Request):
    if name not in ASSETS:
        raise HTTPException(404, "no such file.")
    if name not in PUBLIC_ASSETS and not _signed_in(request):
        raise HTTPException(401, "sign in first at /login.")
    return FileResponse(STATIC / name, media_type=ASSETS[name],
                        headers={"Cache-Control": "no-cache"})
