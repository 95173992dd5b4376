"""A regression project's labeling calls: the item with the model's prediction, an answer that is
a number, and undo (the skip is the classification route's own).

    GET  /next      RegressionNextOut: `task: "regression"`, `unit`, `value_range`,
                    `predicted_value`, `predicted_std`
    POST /labels    ValueIn ``{"item_id", "value": 12.5, "request_id"}``
    POST /undo      ValueUndoOut: the undone number in `undone_value`
"""

from __future__ import annotations

from fastapi import APIRouter

from ..contract import errors
from ..deps import CurrentPrincipal, ServiceDep
from ..labellog import record_value
from ..leases import lease_next
from ..schemas import RegressionNextOut, UndoIn, ValueEventOut, ValueIn, ValueUndoOut
from .labels import undo_with_next

router = APIRouter()


@router.get("/next", response_model=RegressionNextOut, summary="Lease the next item to label")
def get_next(svc: ServiceDep, who: CurrentPrincipal) -> RegressionNextOut:
    leased = lease_next(svc.runtime.store, who.id, svc.runtime.settings().lease_seconds)
    return svc.present.regression_next_out(who, leased)


@router.post("/labels", response_model=ValueEventOut,
             summary="Answer an item with its number (idempotent in request_id)",
             responses=errors(
                 (403, ("The item is labeled by another annotator: only they or an admin can "
                        "relabel it.")),
                 404,
                 (409, ("You hold no unexpired lease on the item, or the request_id was used "
                        "for a different request.")),
                 (422, ("Malformed request: a value that is not a finite number or lies outside "
                        "the project's range, or a `label` / `labels` (this project takes "
                        "`value`).")),
             ))
def post_value(body: ValueIn, svc: ServiceDep, who: CurrentPrincipal) -> ValueEventOut:
    out = record_value(svc.runtime.store, who, body.item_id, body.value, body.request_id,
                       svc.runtime.value_range)
    if not out.duplicate:
        svc.worker.trigger()
    return svc.present.value_event_out(who, out)


@router.post("/undo", response_model=ValueUndoOut,
             summary="Undo your most recent answer or skip (kept in the log as an undo event)",
             responses=errors(
                 (409, "Nothing to undo, or the request_id was used for a different request."),
                 422,
             ))
def post_undo(body: UndoIn, svc: ServiceDep, who: CurrentPrincipal) -> ValueUndoOut:
    out, nxt, undone = undo_with_next(svc, who, body.request_id, svc.present.regression_next_out,
                                      "answer it again")
    base = svc.present.value_event_out(who, out)
    return ValueUndoOut(**base.model_dump(), undone_event_id=out.target_event_id,
                        undone_kind=undone.kind, undone_value=undone.value, next=nxt)
