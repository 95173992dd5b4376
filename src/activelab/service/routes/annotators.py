"""People (admin): list annotators, invite one (a one-time sign-in code), revoke a token — the
same operations as `activelab token list|revoke` and `activelab invite add` (`auth`,
`invitations`)."""

from __future__ import annotations

from contextlib import contextmanager

from fastapi import APIRouter

from ..auth import access_state, check_name, list_annotators, parse_expiry, revoke_annotator
from ..contract import errors
from ..db import utcnow
from ..deps import AdminPrincipal, ServiceDep
from ..errors import ConflictError, LabelError, NotFoundError
from ..invitations import invite
from ..progress import iso
from ..project import ProjectError
from ..schemas import AnnotatorOut, InvitationIn, InvitationOut, RevokeIn

router = APIRouter()


def _out(row, now) -> AnnotatorOut:
    return AnnotatorOut(name=row.name, is_admin=bool(row.is_admin), state=access_state(row, now),
                        created_at=iso(row.created_at), expires_at=iso(row.expires_at),
                        revoked_at=iso(row.revoked_at))


@contextmanager
def _refusal(error, *args):
    """A `ProjectError` of the command-line functions, as the API's `error`."""
    try:
        yield
    except ProjectError as exc:
        raise error(str(exc), *args) from None


@router.get("/annotators", response_model=list[AnnotatorOut],
            summary="Annotators and their tokens' state, never the tokens (admin)",
            responses=errors(403))
def get_annotators(svc: ServiceDep, who: AdminPrincipal) -> list[AnnotatorOut]:
    now = utcnow()
    return [_out(row, now) for row in list_annotators(svc.runtime.store)]


@router.post("/annotators/revoke", response_model=AnnotatorOut,
             summary="Revoke an annotator's token and end their sessions; their labels stay "
                     "(admin)",
             responses=errors(
                 403, (404, "No annotator has this name."),
                 (409, "The annotator is revoked already, or is you (another admin, or "
                       "`activelab token revoke`, can revoke you)."),
                 422))
def post_revoke(body: RevokeIn, svc: ServiceDep, who: AdminPrincipal) -> AnnotatorOut:
    store = svc.runtime.store
    row = next((r for r in list_annotators(store) if r.name == body.name), None)
    if row is None:
        raise NotFoundError(f"no annotator named {body.name[:100]!r}.")
    if row.id == who.id:
        raise ConflictError("you cannot revoke your own token here (you would lock yourself "
                            "out); another admin or `activelab token revoke` can.")
    if row.revoked_at is not None:
        raise ConflictError(f"{row.name!r} is revoked already.")
    with _refusal(ConflictError):
        revoke_annotator(store, row.name)
    row = next(r for r in list_annotators(store) if r.id == row.id)
    return _out(row, utcnow())


@router.post("/invitations", response_model=InvitationOut, status_code=201,
             summary="A one-time sign-in code for an annotator, shown once (admin)",
             responses=errors(
                 403,
                 (409, "The annotator was revoked or has expired, or exists without being an "
                       "admin while an admin was asked for."),
                 (422, "Malformed request, a name that is not allowed, or an expiry that is "
                       "not a duration or date, or is in the past.")))
def post_invitation(body: InvitationIn, svc: ServiceDep, who: AdminPrincipal) -> InvitationOut:
    with _refusal(LabelError, ("body", "name")):
        check_name(body.name)
    with _refusal(LabelError, ("body", "expires")):
        expires_at = parse_expiry(body.expires)
    with _refusal(ConflictError):
        inv = invite(svc.runtime.store, body.name, admin=body.admin, expires_at=expires_at)
    return InvitationOut(code=inv.code, name=inv.name, is_admin=inv.is_admin,
                         new_annotator=inv.new_annotator, expires_at=iso(inv.expires_at))
