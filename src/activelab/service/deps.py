"""What the routes depend on, as `Annotated` aliases: the service state (`ServiceDep`), the
caller from their token (`CurrentPrincipal`, 401 without a valid one) and an admin caller
(`AdminPrincipal`, 403 for anyone else).

    @router.get("/me")
    def get_me(svc: ServiceDep, who: CurrentPrincipal) -> MeOut: ...
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from .auth import Principal, authenticate
from .presenter import Presenter

COOKIE = "activelab_token"
_bearer = HTTPBearer(auto_error=False, description="A token from `activelab token add`.")


class Service:
    """What the routes share: the runtime (store, features, items), the retrain worker and the
    presenter of response bodies."""

    def __init__(self, runtime, worker) -> None:
        self.runtime = runtime
        self.worker = worker
        self.present = Presenter(runtime)


def service(request: Request) -> Service:
    return request.app.state.service


ServiceDep = Annotated[Service, Depends(service)]


def principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, from the Bearer header (or the login cookie); 401 otherwise."""
    if credentials is not None:
        token = credentials.credentials
    elif "authorization" in request.headers:
        raise HTTPException(401, "malformed Authorization header: send 'Authorization: Bearer TOKEN'.",
                            headers={"WWW-Authenticate": "Bearer"})
    else:
        token = request.cookies.get(COOKIE)
    if not token:
        raise HTTPException(
            401, "missing token: send 'Authorization: Bearer TOKEN' (create a token with "
                 "`activelab token add PROJECT NAME`).",
            headers={"WWW-Authenticate": "Bearer"})
    who = authenticate(service(request).runtime.store, token)
    if who is None:
        raise HTTPException(401, "invalid or revoked token; ask an admin for a new one "
                                 "(`activelab token add PROJECT NAME`).",
                            headers={"WWW-Authenticate": "Bearer"})
    return who


CurrentPrincipal = Annotated[Principal, Depends(principal)]


def admin(who: CurrentPrincipal) -> Principal:
    if not who.is_admin:
        raise HTTPException(403, f"{who.name!r} is not an admin; this needs an admin token "
                                 "(`activelab token add PROJECT NAME --admin`).")
    return who


AdminPrincipal = Annotated[Principal, Depends(admin)]
