"""Browser sign-in (issue 13, part 4): server-side sessions in a cookie that never holds the token,
logout that ends the session on the server, one-time invitation codes, a limit on failed
sign-ins, expiring tokens, and a login page that never signs in by itself. On SQLite and
PostgreSQL where a database is involved."""

from __future__ import annotations

import hashlib
import re
from datetime import datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path

import pytest
from sqlalchemy import select, update

from activelab.service import (
    Runtime,
    auth,
    create_app,
    invitations,
    pages,
    ratelimit,
    sessions,
)
from activelab.service.auth import add_annotator, forget, parse_expiry, revoke_annotator
from activelab.service.db import utcnow
from activelab.service.invitations import invite
from activelab.service.project import ProjectError
from activelab.service.ratelimit import FailureLimiter
from activelab.service.sessions import SESSION_COOKIE
from activelab.service.tables import Invitation, LoginSession

from ._server import ThreadServer
from .conftest import require
from .test_browser import CHROMIUM, CHROMIUM_FLAGS
from .test_commands import run  # noqa: F401 - the CLI fixture

sqlite_only = pytest.mark.parametrize("backend", ["sqlite"])


def _set_cookie(response) -> SimpleCookie:
    jar = SimpleCookie()
    for header in response.headers.get_list("set-cookie"):
        jar.load(header)
    return jar


def _flags(response, name: str = SESSION_COOKIE) -> set[str]:
    header = next(h for h in response.headers.get_list("set-cookie") if h.startswith(name + "="))
    return {part.strip().split("=")[0].lower() for part in header.split(";")[1:]}


def _client(api, **kw):
    from fastapi.testclient import TestClient

    return TestClient(api.app, **kw)


def _sign_in(api, who="alice", client=None):
    c = client or _client(api)
    r = c.post("/login", json={"token": api.tokens[who]})
    assert r.status_code == 204, r.text
    return c, r.cookies[SESSION_COOKIE]


def _with_cookie(api, session_id):
    """A fresh client (another browser) presenting `session_id`."""
    c = _client(api)
    c.cookies.set(SESSION_COOKIE, session_id)
    return c


def _store(api):
    return api.service.runtime.store


# -- 1. sessions ---------------------------------------------------------------------------------

def test_login_sets_a_session_cookie_that_is_not_the_token(api):
    token = api.tokens["alice"]
    r = api.client.post("/login", json={"token": token})
    assert r.status_code == 204
    cookie = _set_cookie(r)[SESSION_COOKIE]
    assert cookie.value and token not in cookie.value and cookie.value != token
    assert not any(token in h for h in r.headers.get_list("set-cookie"))
    assert _flags(r) >= {"httponly", "samesite", "path", "max-age"} and "secure" not in _flags(r)
    assert cookie["samesite"].lower() == "strict" and cookie["path"] == "/"
    assert int(cookie["max-age"]) == 7 * 24 * 3600
    with _store(api).read() as s:
        rows = s.execute(select(LoginSession.id_hash, LoginSession.expires_at,
                                LoginSession.revoked_at)).all()
    assert [r.id_hash for r in rows] == [hashlib.sha256(cookie.value.encode()).hexdigest()]
    assert abs((rows[0].expires_at - utcnow()) - timedelta(days=7)) < timedelta(minutes=1)
    assert rows[0].revoked_at is None
    # the cookie authenticates the API and the pages; a copy works in another browser
    other = _with_cookie(api, cookie.value)
    assert other.get("/api/me").json()["name"] == "alice"
    assert other.get("/", follow_redirects=False).status_code == 200
    assert other.get("/static/label.js").status_code == 200


@sqlite_only
def test_the_cookie_is_secure_only_over_https(api):
    https = _client(api, base_url="https://testserver")
    r = https.post("/login", json={"token": api.tokens["alice"]})
    assert r.status_code == 204 and "secure" in _flags(r)
    assert https.get("/api/me").json()["name"] == "alice"
    assert "secure" in _flags(https.post("/logout"))
    # the app does not read X-Forwarded-Proto itself (uvicorn applies it from trusted proxies)
    r = _client(api).post("/login", json={"token": api.tokens["alice"]},
                          headers={"X-Forwarded-Proto": "https"})
    assert r.status_code == 204 and "secure" not in _flags(r)


def test_logout_revokes_the_session_on_the_server(api):
    c, session_id = _sign_in(api)
    copy = _with_cookie(api, session_id)
    assert copy.get("/api/me").status_code == 200  # remembered in the cache now
    r = c.post("/logout")
    assert r.status_code == 204
    assert 'activelab_session=""' in r.headers["set-cookie"] or "max-age=0" in r.headers["set-cookie"].lower()
    r = copy.get("/api/me")  # the copied cookie dies at once, cache or not
    assert r.status_code == 401 and "sign in again" in r.json()["detail"]
    assert copy.get("/", follow_redirects=False).headers["location"] == "/login"
    assert copy.get("/static/label.js").status_code == 401
    with _store(api).read() as s:
        assert s.scalar(select(LoginSession.revoked_at)) is not None
    assert _client(api).post("/logout").status_code == 204  # without a session: nothing to do


def test_an_expired_session_is_refused(api, monkeypatch):
    _, session_id = _sign_in(api)
    c = _with_cookie(api, session_id)
    assert c.get("/api/me").status_code == 200
    later = utcnow() + timedelta(days=7, seconds=1)
    monkeypatch.setattr(sessions, "utcnow", lambda: later)  # a cached session expires too
    assert c.get("/api/me").status_code == 401
    monkeypatch.undo()
    with _store(api).write() as s:  # and one read from the database
        s.execute(update(LoginSession).values(expires_at=utcnow() - timedelta(seconds=1)))
    forget(_store(api))
    assert c.get("/api/me").status_code == 401
    assert c.get("/progress", follow_redirects=False).status_code == 303


def test_revoking_an_annotator_ends_their_sessions(api):
    _, session_id = _sign_in(api, "bob")
    c = _with_cookie(api, session_id)
    assert c.get("/api/me").json()["name"] == "bob"
    revoke_annotator(_store(api), "bob")
    assert c.get("/api/me").status_code == 401
    with _store(api).read() as s:
        assert s.scalar(select(LoginSession.revoked_at)) is not None


def test_a_new_sign_in_ends_the_previous_session_of_the_browser(api):
    c, first = _sign_in(api)
    _, second = _sign_in(api, client=c)
    assert first != second
    assert _with_cookie(api, first).get("/api/me").status_code == 401
    assert _with_cookie(api, second).get("/api/me").status_code == 200


@sqlite_only
def test_the_old_token_cookie_no_longer_signs_in_and_is_erased(api):
    c = _client(api)
    c.cookies.set(pages.LEGACY_COOKIE, api.tokens["alice"])
    assert c.get("/api/me").status_code == 401
    assert c.get("/", follow_redirects=False).status_code == 303
    r = c.post("/login", json={"token": api.tokens["alice"]})
    assert r.status_code == 204
    erased = _set_cookie(r)[pages.LEGACY_COOKIE]
    assert erased.value == "" and erased["max-age"] == "0"


@sqlite_only
def test_login_needs_exactly_one_of_token_and_code(api):
    c = _client(api)
    assert c.post("/login", json={}).status_code == 422
    assert c.post("/login", json={"token": api.tokens["alice"], "code": "inv_x"}).status_code == 422
    assert c.post("/login", json={"token": 5}).status_code == 422


# -- 2. invitations ------------------------------------------------------------------------------

def test_an_invitation_signs_in_once(api):
    inv = invite(_store(api), "carol")
    assert inv.code.startswith("inv_") and inv.new_annotator and not inv.is_admin
    c = _client(api)
    r = c.post("/login", json={"code": inv.code})
    assert r.status_code == 204
    assert inv.code not in r.headers["set-cookie"]
    assert c.get("/api/me").json()["name"] == "carol"
    r = _client(api).post("/login", json={"code": inv.code})
    assert r.status_code == 401 and "already used" in r.json()["detail"]
    with _store(api).read() as s:
        rows = s.execute(select(Invitation.code_hash, Invitation.used_at)).all()
    assert rows[0].code_hash == hashlib.sha256(inv.code.encode()).hexdigest()
    assert rows[0].used_at is not None
    r = _client(api).post("/login", json={"code": "inv_unknown"})
    assert r.status_code == 401 and "unknown" in r.json()["detail"]


def test_an_invitation_used_twice_at_once_signs_in_once(api):
    from concurrent.futures import ThreadPoolExecutor

    store = _store(api)
    code = invite(store, "frank").code

    def use(_):
        try:
            return invitations.redeem(store, code)[1].id
        except invitations.InvitationRefused:
            return None

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(use, range(8)))
    assert sum(r is not None for r in results) == 1
    with store.read() as s:
        assert len(s.scalars(select(LoginSession.id)).all()) == 1


def test_invitations_expire_keep_roles_and_follow_revocation(api):
    store = _store(api)
    old = invite(store, "dave", expires_at=utcnow() + timedelta(days=1))
    with store.write() as s:
        s.execute(update(Invitation).values(expires_at=utcnow() - timedelta(seconds=1)))
    r = _client(api).post("/login", json={"code": old.code})
    assert r.status_code == 401 and "expired" in r.json()["detail"]

    again = invite(store, "admin")  # an existing admin: invited again, still an admin
    assert not again.new_annotator and again.is_admin
    c = _client(api)
    assert c.post("/login", json={"code": again.code}).status_code == 204
    assert c.get("/api/me").json()["is_admin"] is True
    with pytest.raises(ProjectError, match="does not change roles"):
        invite(store, "alice", admin=True)
    new_admin = invite(store, "erin", admin=True)
    assert new_admin.is_admin and new_admin.new_annotator

    pending = invite(store, "bob")
    revoke_annotator(store, "bob")
    r = _client(api).post("/login", json={"code": pending.code})
    assert r.status_code == 401 and "revoked" in r.json()["detail"]
    with pytest.raises(ProjectError, match="revoked"):
        invite(store, "bob")
    with pytest.raises(ProjectError, match="not allowed"):
        invite(store, "../x")


def test_invite_commands(run, tmp_path):  # noqa: F811
    from ._data import make_table

    proj = tmp_path / "p"
    assert run("init", proj, "--data", make_table(tmp_path / "t.csv"), "--labels", "a,b").exit_code == 0
    r = run("invite", "add", proj, "zoe", "--expires", "2d")
    assert r.exit_code == 0, r.output
    code = r.stdout.strip().splitlines()[-1]
    assert code.startswith("inv_") and "/login" in r.stdout and "new annotator 'zoe'" in r.stdout
    r = run("invite", "list", proj)
    assert r.exit_code == 0 and "zoe\tannotator\tpending" in r.stdout and "inv_" not in r.stdout
    assert "zoe\tannotator" in run("token", "list", proj).stdout

    from activelab.service.project import Project
    from activelab.service.runtime import open_store

    store = open_store(Project.open(proj))
    try:
        who, session = invitations.redeem(store, code)
        assert who.name == "zoe" and sessions.session_principal(store, session.id) == who
    finally:
        store.dispose()
    assert "zoe\tannotator\tused " in run("invite", "list", proj).stdout
    r = run("invite", "add", proj, "zoe", "--admin")
    assert r.exit_code == 2 and "does not change roles" in r.stderr
    r = run("invite", "add", proj, "zoe", "--expires", "soon")
    assert r.exit_code == 2 and "neither a duration nor a date" in r.stderr


# -- 3. no login CSRF ----------------------------------------------------------------------------

def test_login_js_never_signs_in_by_itself():
    js = (pages.STATIC / "login.js").read_text(encoding="utf-8")
    calls = [m.start() for m in re.finditer(r"\bsignIn\(", js)]
    assert len(calls) == 2  # its definition and the submit handler
    submit = js.index('addEventListener("submit"')
    assert calls[1] > submit and js.index("});", submit) > calls[1]
    assert "#token=" not in js.split("\n\n", 1)[1]  # no fragment parsing below the header


@sqlite_only
def test_a_token_link_does_not_sign_in_in_the_browser(project_dir, db_url, tmp_path):
    if not Path(CHROMIUM).is_file():
        require("Chromium", f"{CHROMIUM} is missing")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require("Playwright", "the playwright package is not installed")
    rt = Runtime.open(project_dir, db_url)
    token = add_annotator(rt.store, "mallory")
    app = create_app(rt, start_worker=False)
    try:
        with ThreadServer(app) as server, sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS)
            try:
                page = browser.new_page()
                page.goto(f"{server.url}/login#token={token}")
                page.wait_for_function("() => document.getElementById('status').textContent !== ''")
                page.wait_for_timeout(300)
                assert page.url == f"{server.url}/login"  # the fragment is erased, nothing else
                assert "not supported" in page.inner_text("#status")
                assert page.input_value("#token") == ""
                assert not [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]
                page.fill("#token", token)  # an explicit click does sign in
                page.click("#sign-in")
                page.wait_for_url(f"{server.url}/")
                (cookie,) = [c for c in page.context.cookies() if c["name"] == SESSION_COOKIE]
                assert cookie["httpOnly"] and cookie["sameSite"] == "Strict"
                assert cookie["value"] != token
            finally:
                browser.close()
    finally:
        with rt.store.read() as s:
            n_sessions = len(s.scalars(select(LoginSession.id)).all())
        rt.close()
    assert n_sessions == 1


# -- 4. failed sign-ins are limited --------------------------------------------------------------

@sqlite_only
def test_too_many_failures_get_429_before_any_query(api, monkeypatch):
    c = _client(api, client=("10.0.0.1", 1234))
    for i in range(ratelimit.MAX_FAILURES):
        body = {"token": f"al_wrong{i}"} if i % 2 else {"code": f"inv_wrong{i}"}
        assert c.post("/login", json=body).status_code == 401
    store = _store(api)
    queries = []
    for name in ("read", "write"):
        real = getattr(store, name)
        monkeypatch.setattr(store, name, lambda *a, _real=real, **k: queries.append(1) or _real(*a, **k))
    r = c.post("/login", json={"token": api.tokens["alice"]})  # even the right token, now
    assert r.status_code == 429 and queries == []
    assert 1 <= int(r.headers["retry-after"]) <= ratelimit.WINDOW_SECONDS
    assert "too many failed sign-ins" in r.json()["detail"]
    monkeypatch.undo()
    # another client is not affected, and its success resets nothing for the first
    other = _client(api, client=("10.0.0.2", 1234))
    assert other.post("/login", json={"token": api.tokens["alice"]}).status_code == 204
    assert other.post("/login", json={"token": "al_wrong"}).status_code == 401
    assert c.post("/login", json={"token": api.tokens["alice"]}).status_code == 429
    # the API's bearer tokens are not behind the sign-in limit
    assert c.get("/api/me", headers=api.headers("alice")).status_code == 200


def test_the_failure_window_slides():
    now = [1000.0]
    limiter = FailureLimiter(max_failures=3, window=60, clock=lambda: now[0])
    for _ in range(2):
        limiter.failed("a")
        now[0] += 10
    assert limiter.retry_after("a") is None
    limiter.failed("a")  # failures at 1000, 1010, 1020
    assert limiter.retry_after("a") == 40 and limiter.retry_after("b") is None
    now[0] = 1060.5  # the first one aged out
    assert limiter.retry_after("a") is None
    limiter.failed("a")
    assert limiter.retry_after("a") == 10  # 1010 + 60 - 1060.5, rounded up
    now[0] = 2000
    assert limiter.retry_after("a") is None and "a" not in limiter._failures


def test_the_limiter_forgets_idle_clients_first(monkeypatch):
    monkeypatch.setattr(ratelimit, "MAX_CLIENTS", 3)
    now = [0.0]
    limiter = FailureLimiter(max_failures=1, window=60, clock=lambda: now[0])
    for key in "abc":
        limiter.failed(key)
        now[0] += 1
    limiter.failed("d")
    assert set(limiter._failures) == {"b", "c", "d"}
    assert limiter.retry_after("a") is None and limiter.retry_after("d") is not None


# -- 5. tokens expire ----------------------------------------------------------------------------

def test_an_expired_token_is_refused(api, monkeypatch):
    store = _store(api)
    soon = utcnow() + timedelta(hours=1)
    token = add_annotator(store, "temp", expires_at=soon)
    assert api.get("/api/me", as_=token).status_code == 200  # now in the cache
    r = api.client.post("/login", json={"token": token})
    assert r.status_code == 204
    assert 3500 <= int(_set_cookie(r)[SESSION_COOKIE]["max-age"]) <= 3600  # not past the token
    session_id = r.cookies[SESSION_COOKIE]
    later = soon + timedelta(seconds=1)
    monkeypatch.setattr(auth, "utcnow", lambda: later)
    monkeypatch.setattr(sessions, "utcnow", lambda: later)
    r = api.get("/api/me", as_=token)
    assert r.status_code == 401 and "token expired" in r.json()["detail"]
    assert _with_cookie(api, session_id).get("/api/me").status_code == 401
    r = _client(api).post("/login", json={"token": token})
    assert r.status_code == 401 and "expired" in r.json()["detail"]
    monkeypatch.undo()
    gone = add_annotator(store, "gone", expires_at=utcnow() - timedelta(seconds=1))
    assert api.get("/api/me", as_=gone).json()["detail"].startswith("token expired")
    assert auth.authenticate(store, gone) is None


def test_parse_expiry():
    now = datetime(2030, 6, 1, 12, 0)
    assert parse_expiry("30d", now) == now + timedelta(days=30)
    assert parse_expiry("12h", now) == now + timedelta(hours=12)
    assert parse_expiry("90m", now) == now + timedelta(minutes=90)
    assert parse_expiry("2031-01-31", now) == datetime(2031, 1, 31)
    assert parse_expiry("2031-01-31T18:00+02:00", now) == datetime(2031, 1, 31, 16, 0)
    for bad, why in [("30x", "neither"), ("d", "neither"), ("0d", "neither"), ("-1d", "neither"),
                     ("", "neither"), ("tomorrow", "neither"), ("2020-01-01", "in the past"),
                     ("999999d", "too far")]:
        with pytest.raises(ProjectError, match=why):
            parse_expiry(bad, now)


def test_token_add_expires_and_list_shows_it(run, tmp_path):  # noqa: F811
    from ._data import make_table

    proj = tmp_path / "p"
    assert run("init", proj, "--data", make_table(tmp_path / "t.csv"), "--labels", "a,b").exit_code == 0
    r = run("token", "add", proj, "ann", "--expires", "2099-12-31")
    assert r.exit_code == 0, r.output
    assert "until 2099-12-31T00:00:00Z" in r.stdout and r.stdout.strip().splitlines()[-1].startswith("al_")
    assert run("token", "add", proj, "ben").exit_code == 0
    listing = run("token", "list", proj).stdout
    assert "ann\tannotator\t" in listing and "expires 2099-12-31T00:00:00Z" in listing
    assert re.search(r"ben\tannotator\t\S+\texpires never", listing)
    for bad in ("30x", "2001-01-01", "1y"):
        r = run("token", "add", proj, "cal", "--expires", bad)
        assert r.exit_code == 2 and r.stderr.startswith("error: --expires"), r.output
    assert "cal" not in run("token", "list", proj).stdout

    from activelab.service.project import Project
    from activelab.service.runtime import open_store

    store = open_store(Project.open(proj))
    try:
        add_annotator(store, "old", expires_at=utcnow() - timedelta(days=1))
    finally:
        store.dispose()
    assert "old\texpired\t" in run("token", "list", proj).stdout
