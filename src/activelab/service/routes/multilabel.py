"""A multilabel project's labeling calls: the item with the model's probability of each label,
an answer that is a set of labels, and undo (the skip is the classification route's own).

    GET  /next      MultilabelNextOut: `task: "multilabel"`, `label_probabilities`
    POST /labels    LabelsIn ``{"item_id", "labels": [...], "request_id"}``; ``[]``: none of them
    POST /undo      LabelsUndoOut: the undone set in `undone_labels`
"""

from __future__ import annotations

from fastapi import APIRouter

from ..contract import errors
from ..deps import CurrentPrincipal, ServiceDep
from ..labellog import record_labels
from ..leases import lease_next
from ..multilabel import decode
from ..schemas import LabelsEventOut, LabelsIn, LabelsUndoOut, MultilabelNextOut, UndoIn
from .labels import undo_with_next

router = APIRouter()


@router.get("/next", response_model=MultilabelNextOut, summary="Lease the next item to label")
def get_next(svc: ServiceDep, who: CurrentPrincipal) -> MultilabelNextOut:
    leased = lease_next(svc.runtime.store, who.id, svc.runtime.settings().lease_seconds)
    return svc.present.multilabel_next_out(who, leased)


@router.post("/labels", response_model=LabelsEventOut,
             summary="Label an item with the set of labels that apply (idempotent in request_id)",
             responses=errors(
                 (403, ("The item is labeled by another annotator: only they or an admin can "
                        "relabel it.")),
                 404,
                 (409, ("You hold no unexpired lease on the item, or the request_id was used "
                        "for a different request.")),
                 (422, ("Malformed request, a label outside the project's label set or named "
                        "twice, or a single `label` (this project takes `labels`).")),
             ))
def post_labels(body: LabelsIn, svc: ServiceDep, who: CurrentPrincipal) -> LabelsEventOut:
    out = record_labels(svc.runtime.store, who, body.item_id, body.labels, body.request_id,
                        svc.runtime.labels)
    if not out.duplicate:
        svc.worker.trigger()
    return svc.present.labels_event_out(who, out)


@router.post("/undo", response_model=LabelsUndoOut,
             summary="Undo your most recent label or skip (kept in the log as an undo event)",
             responses=errors(
                 (409, "Nothing to undo, or the request_id was used for a different request."),
                 422,
             ))
def post_undo(body: UndoIn, svc: ServiceDep, who: CurrentPrincipal) -> LabelsUndoOut:
    out, nxt, undone = undo_with_next(svc, who, body.request_id, svc.present.multilabel_next_out,
                                      "label it again")
    base = svc.present.labels_event_out(who, out)
    return LabelsUndoOut(**base.model_dump(), undone_event_id=out.target_event_id,
                         undone_kind=undone.kind, undone_labels=decode(undone.labels), next=nxt)
