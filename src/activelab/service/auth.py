"""Annotator tokens: random, shown once, stored only as a SHA-256 hash.

A token is 256 random bits (``al_`` + 43 URL-safe characters), so a fast hash is enough: there is
nothing to brute-force that a slow hash would protect. Clients send it as
``Authorization: Bearer TOKEN``; the browser pages get it in an HttpOnly, SameSite=Strict cookie
set by the login page.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from .db import Store, utcnow
from .project import ProjectError
from .tables import Annotator

TOKEN_PREFIX = "al_"
CACHE_SECONDS = 10.0
NAME_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9 ._@-]{0,99}$")


@dataclass(frozen=True)
class Principal:
    """Who is calling: an annotator (maybe an admin)."""

    id: int
    name: str
    is_admin: bool


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add_annotator(store: Store, name: str, admin: bool = False) -> str:
    """Create an annotator and return their token (the only time it is visible)."""
    if not NAME_PATTERN.match(name or ""):
        raise ProjectError(
            f"annotator name {name!r} is not allowed; use 1–100 letters, digits, spaces or . _ @ -"
            ", starting with a letter or digit."
        )
    token = new_token()
    try:
        with store.write(durable=True) as s:
            s.add(Annotator(name=name, token_hash=hash_token(token), is_admin=admin, created_at=utcnow()))
    except IntegrityError:
        raise ProjectError(
            f"an annotator named {name!r} already exists; pick another name, or revoke theirs with "
            "`activelab token revoke`."
        ) from None
    return token


def revoke_annotator(store: Store, name: str) -> None:
    with store.write(durable=True) as s:
        row = s.scalar(select(Annotator).where(Annotator.name == name))
        if row is None or row.revoked_at is not None:
            raise ProjectError(f"no active annotator named {name!r}.")
        row.revoked_at = utcnow()
    forget(store)


def list_annotators(store: Store) -> list[Annotator]:
    with store.read() as s:
        return list(s.scalars(select(Annotator).order_by(Annotator.id)))


def authenticate(store: Store, token: str | None) -> Principal | None:
    """The annotator holding `token`, or None when it is unknown or revoked.

    Valid tokens are remembered for `CACHE_SECONDS` per store (a revocation takes effect within
    that time); unknown tokens are always looked up."""
    if not token or len(token) > 200:
        return None
    digest = hash_token(token)
    cache = _auth_cache(store)
    hit = cache.get(digest)
    if hit is not None and hit[1] > time.monotonic():
        return hit[0]
    with store.read() as s:
        row = s.execute(
            select(Annotator.id, Annotator.name, Annotator.is_admin, Annotator.revoked_at)
            .where(Annotator.token_hash == digest)
        ).first()
    if row is None or row.revoked_at is not None:
        cache.pop(digest, None)
        return None
    who = Principal(row.id, row.name, bool(row.is_admin))
    cache[digest] = (who, time.monotonic() + CACHE_SECONDS)
    return who


def _auth_cache(store: Store) -> dict:
    cache = getattr(store, "_auth_cache", None)
    if cache is None:
        cache = store._auth_cache = {}
    return cache


def forget(store: Store) -> None:
    """Drop remembered tokens (after a revocation in this process)."""
    _auth_cache(store).clear()
