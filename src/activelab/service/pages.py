"""The browser pages: static HTML, JavaScript and CSS shipped in `static/`, served by the app
(no build step, no CDN). Pages need the login cookie; without it they redirect to /login."""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import FileResponse, RedirectResponse

from .auth import authenticate
from .deps import COOKIE, service
from .schemas import LoginIn

STATIC = Path(__file__).with_name("static")
# The only files served: a fixed map, so no request path ever reaches the file system.
ASSETS = {
    "label.js": "text/javascript",
    "progress.js": "text/javascript",
    "login.js": "text/javascript",
    "common.js": "text/javascript",
    "style.css": "text/css",
}
PUBLIC_ASSETS = {"login.js", "style.css"}
COOKIE_MAX_AGE = 30 * 24 * 3600

router = APIRouter(include_in_schema=False)


def _signed_in(request: Request) -> bool:
    token = request.cookies.get(COOKIE)
    return bool(token) and authenticate(service(request).runtime.store, token) is not None


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


@router.get("/login")
def login_page():
    return FileResponse(STATIC / "login.html", media_type="text/html; charset=utf-8")


@router.post("/login", status_code=204)
def login(body: LoginIn, request: Request, response: Response):
    if authenticate(service(request).runtime.store, body.token) is None:
        raise HTTPException(401, "invalid or revoked token.")
    response.set_cookie(COOKIE, body.token, max_age=COOKIE_MAX_AGE, httponly=True,
                        samesite="strict", path="/")
    response.status_code = 204
    return response


@router.post("/logout", status_code=204)
def logout(response: Response):
    response.delete_cookie(COOKIE, path="/")
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
