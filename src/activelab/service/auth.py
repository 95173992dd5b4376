"""Annotator tokens: random, shown once, stored only as a SHA-256 hash, optionally expiring.

A token is 256 random bits (``al_`` + 43 URL-safe characters), so a fast hash is enough: there is
nothing to brute-force that a slow hash would protect. Clients send it as
``Authorization: Bearer TOKEN``; browsers exchange it at ``POST /login`` for a server-side session
(`sessions.py`), so no cookie ever holds the token.

A token may expire (`add_annotator(..., expires_at=...)`, ``activelab token add --expires 30d``):
after that it is refused on the API ("token expired") and cannot sign in, and the annotator's
sessions end with it. Revoking an annotator ends their token and their sessions.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from .db import Store, utcnow
from .project import ProjectError
from .tables import Annotator, LoginSession

TOKEN_PREFIX = "al_"
CACHE_SECONDS = 10.0
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,99}$")
_DURATION = re.compile(r"^([1-9][0-9]{0,5})([dhm])$")
_UNITS = {"d": "days", "h": "hours", "m": "minutes"}
MAX_EXPIRY = timedelta(days=100 * 366)


@dataclass(frozen=True)
class Principal:
    """Who is calling: an annotator (maybe an admin), and when their access ends (None: never)."""

    id: int
    name: str
    is_admin: bool
    expires_at: datetime | None = None

    def expired(self, now: datetime | None = None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or utcnow())


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def parse_expiry(text: str, now: datetime | None = None) -> datetime:
    """When ``--expires TEXT`` ends, as a naive UTC datetime: ``Nd``, ``Nh``, ``Nm`` (days,
    hours, minutes from `now`) or an ISO date or date-time (a date means 00:00 UTC that day; a
    date-time without an offset is UTC). Raises `ProjectError` for anything else or the past."""
    now = now or utcnow()
    text = (text or "").strip()
    match = _DURATION.match(text)
    if match:
        delta = timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
        if delta > MAX_EXPIRY:
            raise ProjectError(f"--expires {text!r} is too far away; at most 100 years.")
        return now + delta
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ProjectError(
            f"--expires {text!r} is neither a duration nor a date; use e.g. 30d (days), 12h "
            "(hours), 90m (minutes), 2026-01-31 or 2026-01-31T18:00+01:00."
        ) from None
    if when.tzinfo is not None:
        when = when.astimezone(timezone.utc).replace(tzinfo=None)
    if when <= now:
        raise ProjectError(f"--expires {text!r} is in the past (now is "
                           f"{now.isoformat(timespec='seconds')}Z); give a later date.")
    return when


def check_name(name: str) -> None:
    if not NAME_PATTERN.match(name or ""):
        raise ProjectError(
            f"annotator name {name!r} is not allowed; use 1–100 letters, digits, spaces or . _ @ -"
            ", starting with a letter or digit."
        )


def add_annotator(store: Store, name: str, admin: bool = False,
                  expires_at: datetime | None = None) -> str:
    """Create an annotator and return their token (the only time it is visible). The token
    stops working at `expires_at` (naive UTC; None: never)."""
    check_name(name)
    token = new_token()
    try:
        with store.write(durable=True) as s:
            s.add(Annotator(name=name, token_hash=hash_token(token), is_admin=admin,
                            created_at=utcnow(), expires_at=expires_at))
    except IntegrityError:
        raise ProjectError(
            f"an annotator named {name!r} already exists; pick another name, or revoke theirs with "
            "`activelab token revoke`."
        ) from None
    return token


def revoke_annotator(store: Store, name: str) -> None:
    """Revoke an annotator's token and end their browser sessions (their labels stay)."""
    with store.write(durable=True) as s:
        row = s.scalar(select(Annotator).where(Annotator.name == name))
        if row is None or row.revoked_at is not None:
            raise ProjectError(f"no active annotator named {name!r}.")
        now = utcnow()
        row.revoked_at = now
        s.execute(update(LoginSession)
                  .where(LoginSession.annotator_id == row.id, LoginSession.revoked_at.is_(None))
                  .values(revoked_at=now))
    forget(store)


def list_annotators(store: Store) -> list[Annotator]:
    with store.read() as s:
        return list(s.scalars(select(Annotator).order_by(Annotator.id)))


def access_state(row: Annotator, now: datetime | None = None) -> str:
    """Whether an annotator's token works: "active", "expired" or "revoked"."""
    if row.revoked_at is not None:
        return "revoked"
    if row.expires_at is not None and row.expires_at <= (now or utcnow()):
        return "expired"
    return "active"


def lookup_token(store: Store, token: str | None) -> Principal | None:
    """The annotator holding `token`, expired or not; None when it is unknown or revoked.

    Valid tokens are remembered for `CACHE_SECONDS` per store (a revocation in another process
    takes effect within that time); unknown tokens are always looked up."""
    if not token or len(token) > 200:
        return None
    digest = hash_token(token)
    cache = auth_cache(store, "tokens")
    hit = cache.get(digest)
    if hit is not None and hit[1] > time.monotonic():
        return hit[0]
    with store.read() as s:
        row = s.execute(
            select(Annotator.id, Annotator.name, Annotator.is_admin, Annotator.revoked_at,
                   Annotator.expires_at)
            .where(Annotator.token_hash == digest)
        ).first()
    if row is None or row.revoked_at is not None:
        cache.pop(digest, None)
        return None
    who = Principal(row.id, row.name, bool(row.is_admin), row.expires_at)
    cache[digest] = (who, time.monotonic() + CACHE_SECONDS)
    return who


def authenticate(store: Store, token: str | None) -> Principal | None:
    """The annotator holding `token`, or None when it is unknown, revoked or expired."""
    who = lookup_token(store, token)
    return None if who is None or who.expired() else who


def auth_cache(store: Store, kind: str) -> dict:
    """This process's cache of `kind` ("tokens", "sessions") for `store`: digest → entry."""
    caches = store.__dict__.setdefault("_auth_caches", {})
    return caches.setdefault(kind, {})


def remembered(store: Store, kind: str, secret: str | None) -> bool:
    """Whether this process remembers `secret` (a token for `kind` "tokens", a session id for
    "sessions") and the memory is fresh: then `lookup_token` / `sessions.session_principal`
    answer without a query (the caller may run them on the event loop)."""
    if not secret or len(secret) > 200:
        return True  # refused without a query
    hit = auth_cache(store, kind).get(hash_token(secret))
    return hit is not None and hit[-1] > time.monotonic() + 0.5


def forget(store: Store) -> None:
    """Drop remembered tokens and sessions (after a revocation in this process)."""
    for cache in store.__dict__.get("_auth_caches", {}).values():
        cache.clear()
