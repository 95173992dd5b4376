"""The JSON API. Every route needs a token (``Authorization: Bearer TOKEN``, or the cookie the
login page sets); export, settings and retrain need an admin token."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Literal
from urllib.parse import quote

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from . import export as exporting
from .auth import Principal, authenticate
from .errors import NotFoundError
from .labellog import record_label, record_skip, record_undo
from .leases import Leased, held_lease, lease_next
from .progress import iso, progress, stats
from .queries import annotator_count
from .schemas import (
    EventOut, LabelIn, MeOut, NextOut, ProgressOut, SettingsIn, SettingsOut, SkipIn, StatsOut,
    UndoIn, UndoOut,
)
from .settings import write_settings
from .tables import Run

COOKIE = "activelab_token"
_bearer = HTTPBearer(auto_error=False, description="A token from `activelab token add`.")

router = APIRouter(prefix="/api")


def service(request: Request):
    return request.app.state.service


def principal(
    request: Request, credentials: HTTPAuthorizationCredentials | None = Depends(_bearer)
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


def admin(who: Principal = Depends(principal)) -> Principal:
    if not who.is_admin:
        raise HTTPException(403, f"{who.name!r} is not an admin; this needs an admin token "
                                 "(`activelab token add PROJECT NAME --admin`).")
    return who


@router.get("/next", response_model=NextOut, summary="Lease the next item to label")
def get_next(request: Request, who: Principal = Depends(principal)) -> NextOut:
    svc = service(request)
    leased = lease_next(svc.runtime.store, who.id, svc.runtime.settings().lease_seconds)
    return svc.next_out(who, leased)


@router.post("/labels", response_model=EventOut, summary="Label an item (idempotent in request_id)")
def post_label(body: LabelIn, request: Request, who: Principal = Depends(principal)) -> EventOut:
    svc = service(request)
    out = record_label(svc.runtime.store, who, body.item_id, body.label, body.request_id,
                       svc.runtime.labels)
    if not out.duplicate:
        svc.worker.trigger()
    return svc.event_out(who, out)


@router.post("/skip", response_model=EventOut, summary="Skip a leased item")
def post_skip(body: SkipIn, request: Request, who: Principal = Depends(principal)) -> EventOut:
    svc = service(request)
    out = record_skip(svc.runtime.store, who, body.item_id, body.request_id)
    return svc.event_out(who, out)


@router.post("/undo", response_model=UndoOut,
             summary="Undo your most recent label or skip (kept in the log as an undo event)")
def post_undo(body: UndoIn, request: Request, who: Principal = Depends(principal)) -> UndoOut:
    svc = service(request)
    settings = svc.runtime.settings()
    out = record_undo(svc.runtime.store, who, body.request_id, settings.lease_seconds)
    back = svc.leased_item(who, out.item_idx)
    nxt = svc.next_out(who, back or lease_next(svc.runtime.store, who.id, settings.lease_seconds))
    if back is not None:
        nxt.why = "Back after your undo: label it again, or skip it."
    base = svc.event_out(who, out)
    return UndoOut(**base.model_dump(), undone_event_id=out.target_event_id, next=nxt)


@router.get("/stats", response_model=StatsOut, summary="Counts: items, labeled, per class, per annotator")
def get_stats(request: Request, who: Principal = Depends(principal)) -> dict:
    svc = service(request)
    return stats(svc.runtime.store, svc.runtime.labels)


@router.get("/progress", response_model=ProgressOut,
            summary="Series for the progress page: labels over time, learning curve, queue scores")
def get_progress(request: Request, who: Principal = Depends(principal)) -> dict:
    svc = service(request)
    return progress(svc.runtime.store, svc.runtime.labels)


@router.get("/export", summary="Export labels (admin)", response_class=PlainTextResponse,
            responses={200: {"content": {"text/csv": {}, "application/x-ndjson": {}}}})
def get_export(
    request: Request,
    format: Literal["csv", "jsonl"] = Query("csv", description="csv or jsonl"),
    history: bool = Query(False, description="Every event of the log instead of current labels."),
    who: Principal = Depends(admin),
):
    svc = service(request)
    fields, rows = exporting.export_rows(svc.runtime.store, history=history)
    body = exporting.render(fields, rows, format)
    media = "text/csv" if format == "csv" else "application/x-ndjson"
    name = f"{svc.runtime.project.config.name}-{'history' if history else 'labels'}.{format}"
    return PlainTextResponse(body, media_type=media,
                             headers={"Content-Disposition": f'attachment; filename="{quote(name)}"'})


@router.get("/settings", response_model=SettingsOut, summary="Run-time settings (admin)")
def get_settings(request: Request, who: Principal = Depends(admin)) -> dict:
    return service(request).runtime.settings().as_dict()


@router.put("/settings", response_model=SettingsOut, summary="Change run-time settings (admin)")
def put_settings(body: SettingsIn, request: Request, who: Principal = Depends(admin)) -> dict:
    svc = service(request)
    updated = write_settings(svc.runtime.store, body.model_dump(exclude_none=True))
    svc.worker.trigger()
    return updated.as_dict()


@router.post("/retrain", status_code=202, summary="Retrain and re-rank now (admin)")
def post_retrain(request: Request, who: Principal = Depends(admin)) -> dict:
    svc = service(request)
    svc.worker.retrain_now()
    return {"detail": "retraining started; see GET /api/progress for the outcome."}


@router.get("/me", response_model=MeOut, summary="Who this token belongs to")
def get_me(request: Request, who: Principal = Depends(principal)) -> MeOut:
    svc = service(request)
    with svc.runtime.store.read() as s:
        count = annotator_count(s, who.id)
    return MeOut(name=who.name, is_admin=who.is_admin, annotator_count=count,
                 project=svc.runtime.project.config.name, labels=svc.runtime.labels)


@router.get("/content", summary="The file of an image item", response_class=FileResponse,
            responses={200: {"content": {"image/png": {}, "image/jpeg": {}}}})
def get_content(request: Request, item_id: str = Query(..., min_length=1, max_length=512),
                who: Principal = Depends(principal)):
    svc = service(request)
    item = svc.runtime.by_id.get(item_id)
    if item is None:
        raise NotFoundError(f"unknown item {item_id[:100]!r}.")
    if item["kind"] != "image":
        raise NotFoundError(f"item {item_id!r} is a {item['kind']}; its content is in GET /api/next.")
    path = safe_path(svc.runtime.project.data_root, item["path"])
    media = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return FileResponse(path, media_type=media, headers={"Cache-Control": "private, max-age=3600"})


def safe_path(root: Path, relative: str) -> Path:
    """`root/relative`, refusing anything that resolves outside `root` (.., absolute paths,
    symbolic links leading out)."""
    base = Path(root).resolve()
    candidate = (base / relative).resolve()
    if not candidate.is_relative_to(base) or base == candidate:
        raise HTTPException(403, "refused: the path leads outside the project's data folder.")
    if not candidate.is_file():
        raise NotFoundError(f"the file of item {relative!r} is missing from the data folder.")
    return candidate


def openapi_route(app) -> None:
    @app.get("/api/openapi.json", include_in_schema=False)
    def openapi(who: Principal = Depends(principal)) -> JSONResponse:
        return JSONResponse(app.openapi())


class Service:
    """What the routes share: the runtime (store, features, items) and the retrain worker."""

    def __init__(self, runtime, worker) -> None:
        self.runtime = runtime
        self.worker = worker
        self._runs: dict[int, Run] = {}

    def run(self, run_id: int | None) -> Run | None:
        if run_id is None:
            return None
        if run_id not in self._runs:
            with self.runtime.store.read() as s:
                run = s.get(Run, run_id)
            if run is None:
                return None
            self._runs[run_id] = run
        return self._runs[run_id]

    def leased_item(self, who: Principal, item_idx: int) -> Leased | None:
        return held_lease(self.runtime.store, who.id, item_idx)

    def next_out(self, who: Principal, leased: Leased | None) -> NextOut:
        with self.runtime.store.read() as s:
            count = annotator_count(s, who.id)
        common = {"labels": self.runtime.labels, "annotator": who.name, "annotator_count": count}
        if leased is None:
            return NextOut(done=True, why="Nothing left to label for you: every item is labeled, "
                                          "skipped by you, or leased to someone else.", **common)
        item = self.runtime.items[leased.item_idx]
        out = NextOut(
            done=False, item_id=item["item_id"], kind=item["kind"], score=leased.score,
            rank=None if leased.rank is None else leased.rank + 1,
            why=self.why(leased), lease_expires_at=iso(leased.expires_at), **common,
        )
        if item["kind"] == "image":
            out.content_url = "/api/content?item_id=" + quote(item["item_id"], safe="")
        elif item["kind"] == "text":
            out.text = item["text"]
        else:
            out.fields = item["fields"]
        return out

    def why(self, leased: Leased) -> str:
        run = self.run(leased.run_id)
        if leased.rank is None or run is None:
            return "Random pick: the ranked queue is used up; the model is re-ranking."
        if leased.score is None:
            return ("Random pick: no model yet — once items of at least two classes are "
                    "labeled, the strategy ranks the rest.")
        return (f"Chosen by {run.strategy}: score {leased.score:.3f}, rank {leased.rank + 1} in "
                f"the queue of model #{run.id} (trained on {run.n_labels} labels).")

    def event_out(self, who: Principal, out) -> EventOut:
        with self.runtime.store.read() as s:
            count = annotator_count(s, who.id)
        return EventOut(event_id=out.event_id, kind=out.kind, item_id=out.item_id, label=out.label,
                        duplicate=out.duplicate, annotator_count=count)
