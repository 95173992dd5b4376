"""What the routes depend on, as `Annotated` aliases: the service state (`ServiceDep`), the
caller from their token or browser session (`CurrentPrincipal`, 401 without a valid one) and an
admin caller (`AdminPrincipal`, 403 for anyone else).

    @router.get("/me")
    def get_me(svc: ServiceDep, who: CurrentPrincipal) -> MeOut: ...

The dependencies are coroutines: FastAPI runs a plain-function dependency in its thread pool,
one thread hop per dependency per request. A caller whose token or session this process
remembers (`auth.remembered`) is known at once, on the event loop; any lookup that needs the
database runs in the thread pool.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from .auth import Principal, lookup_token, remembered
from .presenter import Presenter
from .sessions import SESSION_COOKIE, session_principal

_bearer = HTTPBearer(auto_error=False, description="A token from `activelab token add`.")


class Service:
    """What the routes share: the runtime (store, features, items), the retrain worker and the
    presenter of response bodies."""

    def __init__(self, runtime, worker) -> None:
        self.runtime = runtime
        self.worker = worker
        self.present = Presenter(runtime)
        self.stream = None  # a stream project's learner (`stream_service.StreamBook`)


def service(request: Request) -> Service:
    return request.app.state.service


async def _service(request: Request) -> Service:
    """`service` as a coroutine dependency (no thread hop)."""
    return service(request)


ServiceDep = Annotated[Service, Depends(_service)]


async def principal(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    """The caller, from the Bearer header or the session cookie of /login; 401 otherwise."""
    store = service(request).runtime.store
    if credentials is not None:
        secret, kind = credentials.credentials, "tokens"
    else:
        secret, kind = request.cookies.get(SESSION_COOKIE), "sessions"
    if remembered(store, kind, secret):
        return _principal(request, credentials, store)
    return await run_in_threadpool(_principal, request, credentials, store)


def _principal(request: Request, credentials: HTTPAuthorizationCredentials | None,
               store) -> Principal:
    if credentials is not None:
        who = lookup_token(store, credentials.credentials)
        if who is None:
            raise HTTPException(401, "invalid or revoked token; ask an admin for a new one "
                                     "(`activelab token add PROJECT NAME`).",
                                headers={"WWW-Authenticate": "Bearer"})
        if who.expired():
            raise HTTPException(401, "token expired; ask an admin for a new one "
                                     "(`activelab token add PROJECT NAME`).",
                                headers={"WWW-Authenticate": "Bearer"})
        return who
    if "authorization" in request.headers:
        raise HTTPException(401, "malformed Authorization header: send 'Authorization: Bearer TOKEN'.",
                            headers={"WWW-Authenticate": "Bearer"})
    session_id = request.cookies.get(SESSION_COOKIE)
    if not session_id:
        raise HTTPException(
            401, "missing token: send 'Authorization: Bearer TOKEN' (create a token with "
                 "`activelab token add PROJECT NAME`).",
            headers={"WWW-Authenticate": "Bearer"})
    who = session_principal(store, session_id)
    if who is None:
        raise HTTPException(401, "session expired or signed out; sign in again at /login.",
                            headers={"WWW-Authenticate": "Bearer"})
    return who


CurrentPrincipal = Annotated[Principal, Depends(principal)]


async def admin(who: CurrentPrincipal) -> Principal:
    if not who.is_admin:
        raise HTTPException(403, f"{who.name!r} is not an admin; this needs an admin token "
                                 "(`activelab token add PROJECT NAME --admin`).")
    return who


AdminPrincipal = Annotated[Principal, Depends(admin)]
