"""Writes to the label log: label, skip, undo (each idempotent in its request_id)."""

from __future__ import annotations

from fastapi import APIRouter

from ..contract import errors
from ..deps import CurrentPrincipal, ServiceDep
from ..labellog import record_label, record_skip, record_undo
from ..leases import held_lease, lease_next
from ..schemas import EventOut, LabelIn, SkipIn, UndoIn, UndoOut
from ..tables import Event

router = APIRouter()


@router.post("/labels", response_model=EventOut, summary="Label an item (idempotent in request_id)",
             responses=errors(
                 (403, ("The item is labeled by another annotator: only they or an admin can "
                        "relabel it.")),
                 404,
                 (409, ("You hold no unexpired lease on the item, or the request_id was used "
                        "for a different request.")),
                 (422, "Malformed request, or a label outside the project's label set."),
             ))
def post_label(body: LabelIn, svc: ServiceDep, who: CurrentPrincipal) -> EventOut:
    out = record_label(svc.runtime.store, who, body.item_id, body.label, body.request_id,
                       svc.runtime.labels)
    if not out.duplicate:
        svc.worker.trigger()
    return svc.present.event_out(who, out)


@router.post("/skip", response_model=EventOut, summary="Skip a leased item",
             responses=errors(
                 404,
                 (409, ("The item is labeled already, you hold no unexpired lease on it, or "
                        "the request_id was used for a different request.")),
                 422,
             ))
def post_skip(body: SkipIn, svc: ServiceDep, who: CurrentPrincipal) -> EventOut:
    out = record_skip(svc.runtime.store, who, body.item_id, body.request_id)
    return svc.present.event_out(who, out)


@router.post("/undo", response_model=UndoOut,
             summary="Undo your most recent label or skip (kept in the log as an undo event)",
             responses=errors(
                 (409, "Nothing to undo, or the request_id was used for a different request."),
                 422,
             ))
def post_undo(body: UndoIn, svc: ServiceDep, who: CurrentPrincipal) -> UndoOut:
    out, nxt, undone = undo_with_next(svc, who, body.request_id, svc.present.next_out,
                                      "label it again")
    base = svc.present.event_out(who, out)
    return UndoOut(**base.model_dump(), undone_event_id=out.target_event_id,
                   undone_kind=undone.kind, undone_label=undone.label, next=nxt)


def undo_with_next(svc, who, request_id: str, present_next, again: str):
    """Record `who`'s undo and what they see next, for every project type's /undo: the undone
    item again while they still hold its lease (its `why` says "Back after your undo: {again},
    or skip it."), else their next lease. Returns (the undo record, the next item as
    `present_next` shows it, the undone event)."""
    store = svc.runtime.store
    settings = svc.runtime.settings()
    out = record_undo(store, who, request_id, settings.lease_seconds)
    back = held_lease(store, who.id, out.item_idx)
    nxt = present_next(who, back or lease_next(store, who.id, settings.lease_seconds))
    if back is not None:
        nxt.why = f"Back after your undo: {again}, or skip it."
    with store.read() as s:
        undone = s.get(Event, out.target_event_id)
    return out, nxt, undone
