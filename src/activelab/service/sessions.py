"""Browser sessions: ``POST /login`` trades a token (or an invitation code, `invitations.py`) for
a random session id in the ``activelab_session`` cookie; the server keeps only its SHA-256 hash.

    sid = open_session(store, who)          # NewSession(id, expires_at): the cookie's value
    session_principal(store, sid.id)        # → Principal, or None once expired or ended
    end_session(store, sid.id)              # logout: the row is revoked, a copied cookie dies

A session lasts `SESSION_LIFETIME` (7 days), never past its annotator's token expiry, and ends
when the annotator is revoked (`auth.revoke_annotator`). Lookups are remembered for
`auth.CACHE_SECONDS` per process: `end_session` forgets its session at once, so a logout takes
effect immediately in the serving process; a revocation from another process (the `activelab
token revoke` command) takes effect there within that time, as it does for tokens.
"""

from __future__ import annotations

import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from .auth import CACHE_SECONDS, Principal, auth_cache, hash_token
from .db import Store, utcnow
from .tables import Annotator, LoginSession

SESSION_COOKIE = "activelab_session"
SESSION_LIFETIME = timedelta(days=7)


@dataclass(frozen=True)
class NewSession:
    """A session just opened: `id` goes in the cookie (it is not stored), until `expires_at`."""

    id: str
    expires_at: datetime
    max_age: int  # seconds, for the cookie


def start_session(s: Session, who: Principal, lifetime: timedelta = SESSION_LIFETIME) -> NewSession:
    """Open a session for `who` inside the write transaction `s` (and drop expired ones)."""
    now = utcnow()
    expires_at = now + lifetime
    if who.expires_at is not None:
        expires_at = min(expires_at, who.expires_at)
    session_id = secrets.token_urlsafe(32)
    s.execute(delete(LoginSession).where(LoginSession.expires_at < now))
    s.add(LoginSession(id_hash=hash_token(session_id), annotator_id=who.id, created_at=now,
                       expires_at=expires_at))
    return NewSession(session_id, expires_at, max(0, int((expires_at - now).total_seconds())))


def open_session(store: Store, who: Principal, lifetime: timedelta = SESSION_LIFETIME) -> NewSession:
    with store.write() as s:
        return start_session(s, who, lifetime)


def session_principal(store: Store, session_id: str | None) -> Principal | None:
    """The annotator signed in with `session_id`; None when unknown, expired or ended."""
    if not session_id or len(session_id) > 200:
        return None
    digest = hash_token(session_id)
    cache = auth_cache(store, "sessions")
    now = utcnow()
    hit = cache.get(digest)
    if hit is None or hit[2] <= time.monotonic():
        with store.read() as s:
            row = s.execute(
                select(LoginSession.expires_at, LoginSession.revoked_at, Annotator.id,
                       Annotator.name, Annotator.is_admin, Annotator.expires_at.label("until"),
                       Annotator.revoked_at.label("annotator_revoked_at"))
                .join(Annotator, Annotator.id == LoginSession.annotator_id)
                .where(LoginSession.id_hash == digest)
            ).first()
        if row is None or row.revoked_at is not None or row.annotator_revoked_at is not None:
            cache.pop(digest, None)
            return None
        hit = (Principal(row.id, row.name, bool(row.is_admin), row.until), row.expires_at,
               time.monotonic() + CACHE_SECONDS)
        cache[digest] = hit
    who, expires_at, _ = hit
    if expires_at <= now or who.expired(now):
        return None
    return who


def end_session(store: Store, session_id: str | None) -> None:
    """Revoke the session (logout); unknown or ended sessions are ignored."""
    if not session_id or len(session_id) > 200:
        return
    digest = hash_token(session_id)
    auth_cache(store, "sessions").pop(digest, None)
    with store.write(durable=True) as s:
        s.execute(update(LoginSession)
                  .where(LoginSession.id_hash == digest, LoginSession.revoked_at.is_(None))
                  .values(revoked_at=utcnow()))
    auth_cache(store, "sessions").pop(digest, None)  # a lookup may have raced the update
