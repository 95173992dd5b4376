"""Invitation codes: a one-time code that signs an annotator in once, in a browser, without
handing them a token.

    activelab invite add PROJECT bob [--admin] [--expires 7d]    # prints the code (last line)
    → bob opens /login, pastes the code: a session starts, the code is spent

`invite` creates the annotator when the name is new (with a token nobody sees: they sign in only
through invitations), or invites an existing, active annotator again (a new browser, a lost
cookie) — without changing their role. Codes are ``inv_`` + 128 random bits, stored as SHA-256
hashes, valid until `expires_at` (default `INVITATION_LIFETIME`) and for one use: a second use is
refused, also when two race (the code is spent by a conditional UPDATE).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from .._errors import ActiveLabError
from .auth import Principal, add_annotator, check_name, hash_token
from .db import Store, utcnow
from .project import ProjectError
from .sessions import SESSION_LIFETIME, NewSession, start_session
from .tables import Annotator, Invitation

CODE_PREFIX = "inv_"
INVITATION_LIFETIME = timedelta(days=7)


class InvitationRefused(ActiveLabError):
    """An invitation code that cannot sign in: unknown, used, expired, or its annotator gone."""


@dataclass(frozen=True)
class Invite:
    code: str  # shown once, never stored
    name: str
    is_admin: bool
    new_annotator: bool
    expires_at: datetime


def invite(store: Store, name: str, admin: bool = False,
           expires_at: datetime | None = None) -> Invite:
    """A one-time code for `name`, created first if new (`admin` sets a new annotator's role; an
    existing one keeps theirs, and asking to make a non-admin an admin is an error)."""
    expires_at = expires_at or utcnow() + INVITATION_LIFETIME
    check_name(name)
    new = False
    row = _annotator(store, name)
    if row is None:
        try:
            add_annotator(store, name, admin=admin)  # its token is never shown
            new = True
        except ProjectError:  # created meanwhile by someone else
            pass
        row = _annotator(store, name)
    now = utcnow()
    if row.revoked_at is not None:
        raise ProjectError(f"{name!r} was revoked; invite them under another name.")
    if row.expires_at is not None and row.expires_at <= now:
        raise ProjectError(f"{name!r}'s access expired at {row.expires_at:%Y-%m-%d %H:%M} UTC; "
                           "invite them under another name.")
    if admin and not row.is_admin:
        raise ProjectError(f"{name!r} exists and is not an admin; an invitation does not change "
                           "roles (invite under a new name for an admin).")
    code = CODE_PREFIX + secrets.token_urlsafe(16)
    try:
        with store.write(durable=True) as s:
            s.add(Invitation(code_hash=hash_token(code), annotator_id=row.id, created_at=now,
                             expires_at=expires_at))
    except IntegrityError:  # pragma: no cover - 128 random bits do not collide
        raise ProjectError("could not store the invitation; try again.") from None
    return Invite(code, row.name, bool(row.is_admin), new, expires_at)


def list_invitations(store: Store) -> list:
    """Rows of (name, is_admin, created_at, expires_at, used_at), oldest first; never codes."""
    with store.read() as s:
        return list(s.execute(
            select(Annotator.name, Annotator.is_admin, Invitation.created_at,
                   Invitation.expires_at, Invitation.used_at)
            .join(Annotator, Annotator.id == Invitation.annotator_id)
            .order_by(Invitation.id)
        ))


def redeem(store: Store, code: str, lifetime: timedelta = SESSION_LIFETIME) -> tuple[Principal, NewSession]:
    """Spend `code` and open a session for its annotator, in one transaction; raises
    `InvitationRefused` (the message says why) when it cannot."""
    digest = hash_token(code)
    now = utcnow()
    with store.write(durable=True) as s:
        row = s.execute(
            select(Invitation.id, Invitation.expires_at, Invitation.used_at, Annotator.id.label("who"),
                   Annotator.name, Annotator.is_admin, Annotator.revoked_at,
                   Annotator.expires_at.label("until"))
            .join(Annotator, Annotator.id == Invitation.annotator_id)
            .where(Invitation.code_hash == digest)
        ).first()
        if row is None:
            raise InvitationRefused("unknown invitation code; check it, or ask an admin for a new "
                                    "one (`activelab invite add PROJECT NAME`).")
        if row.used_at is not None:
            raise InvitationRefused("this invitation code was already used; ask an admin for a "
                                    "new one.")
        if row.expires_at <= now:
            raise InvitationRefused("this invitation code expired; ask an admin for a new one.")
        who = Principal(row.who, row.name, bool(row.is_admin), row.until)
        if row.revoked_at is not None or who.expired(now):
            raise InvitationRefused(f"{row.name!r} was revoked or expired; ask an admin.")
        spent = s.execute(update(Invitation)
                          .where(Invitation.id == row.id, Invitation.used_at.is_(None))
                          .values(used_at=now))
        if spent.rowcount != 1:
            raise InvitationRefused("this invitation code was already used; ask an admin for a "
                                    "new one.")
        return who, start_session(s, who, lifetime)


def _annotator(store: Store, name: str):
    with store.read() as s:
        return s.execute(select(Annotator.id, Annotator.name, Annotator.is_admin,
                                Annotator.revoked_at, Annotator.expires_at)
                         .where(Annotator.name == name)).first()
