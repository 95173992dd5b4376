"""More than one annotator per item (admin): their agreement, and the review queue where a
reviewer decides the items whose annotators disagree.

    GET  /agreement      Cohen's kappa per two annotators, Krippendorff's alpha and Fleiss' kappa
                         overall, agreement per label, the pairs of labels given to one item
    GET  /review         the queue: items whose annotators disagree and no one decided (ties
                         first); `state=reviewed` the decided ones, `state=all` both; `item_id`
                         one item
    POST /review         decide an item's label (a ``review`` event in the log)
    POST /review/undo    take your last decision back (an ``undo`` event)
"""

from __future__ import annotations

from collections import Counter
from typing import Literal

import numpy as np
from fastapi import APIRouter, Query

from ..agreement import summarize
from ..contract import errors
from ..deps import AdminPrincipal, ServiceDep
from ..errors import LabelError
from ..labellog import record_review, undo_review
from ..multilabel import is_multilabel
from ..presenter import with_content
from ..progress import iso
from ..queries import ItemState, annotator_names, find_item, item_states
from ..regression import is_regression
from ..schemas import (
    AgreementOut,
    DecisionOut,
    ReviewIn,
    ReviewItemOut,
    ReviewListOut,
    ReviewOut,
    UndoIn,
    VoteOut,
)

router = APIRouter()

_NO_REVIEW = "Nothing to undo (you have no live review), or the request_id was used for a " \
             "different request."


@router.get("/agreement", response_model=AgreementOut, responses=errors(403),
            summary="Agreement between annotators: kappas, alpha, label pairs (admin)")
def get_agreement(svc: ServiceDep, who: AdminPrincipal) -> AgreementOut:
    labels = svc.runtime.labels
    with svc.runtime.store.read() as s:
        states = item_states(s)
        names = annotator_names(s)
    code = {label: i for i, label in enumerate(labels)}
    report = summarize([{a: code[ev.label] for a, ev in st.votes.items() if ev.label in code}
                        for st in states.values()], len(labels))
    pairs = report["pair_counts"]
    return AgreementOut(
        items=report["items"], pairs=report["pairs"], observed=report["observed"],
        krippendorff_alpha=report["krippendorff_alpha"], fleiss_kappa=report["fleiss_kappa"],
        note=report["note"],
        per_pair=[{"a": names.get(a, "?"), "b": names.get(b, "?"), "items": n, "observed": obs,
                   "cohen_kappa": kappa} for a, b, n, obs, kappa in report["per_pair"]],
        per_label=[{"label": labels[c], "pairs": n, "agreement": agree}
                   for c, n, agree in report["per_label"]],
        confusion={a: {b: int(np.rint(pairs[i, j])) for j, b in enumerate(labels)}
                   for i, a in enumerate(labels)},
        statuses=dict(sorted(Counter(st.status for st in states.values()).items())),
        open_reviews=len(_select(states, "open")),
    )


@router.get("/review", response_model=ReviewListOut, responses=errors(403, 404, 422),
            summary="The review queue: items whose annotators disagree (admin)")
def get_review(
    svc: ServiceDep,
    who: AdminPrincipal,
    state: Literal["open", "reviewed", "all"] = Query(
        "open", description="open: annotators disagree, no decision yet (ties first); "
                            "reviewed: decided; all: every item with two labels or a decision."),
    item_id: str | None = Query(None, min_length=1, max_length=512,
                                description="Only this item, whatever its state."),
    limit: int = Query(50, ge=1, le=500),
) -> ReviewListOut:
    _single_label(svc, ("query",))
    store = svc.runtime.store
    with store.read() as s:
        if item_id is not None:
            idx = find_item(s, item_id).idx
            chosen = list(item_states(s, item_idx=idx).values())
        else:
            chosen = _select(item_states(s), state)
        names = annotator_names(s)
    return ReviewListOut(state=state, total=len(chosen),
                         items=[_item_out(svc, st, names) for st in chosen[:limit]])


@router.post("/review", response_model=ReviewOut,
             summary="Decide an item's label (admin; kept in the log as a review event)",
             responses=errors(
                 403, 404,
                 (409, ("The item has no annotator's label to review, or the request_id was "
                        "used for a different request.")),
                 (422, ("Malformed request, a label outside the project's label set, or a "
                        "multilabel or regression project (no review queue).")),
             ))
def post_review(body: ReviewIn, svc: ServiceDep, who: AdminPrincipal) -> ReviewOut:
    _single_label(svc)
    out = record_review(svc.runtime.store, who, body.item_id, body.label, body.request_id,
                        svc.runtime.labels)
    if not out.duplicate:
        svc.worker.trigger()
    return _review_out(svc, out)


@router.post("/review/undo", response_model=ReviewOut,
             summary="Undo your most recent review (admin; kept in the log as an undo event)",
             responses=errors(403, (409, _NO_REVIEW),
                              (422, ("Malformed request, or a multilabel or regression "
                                     "project (no review queue)."))))
def post_review_undo(body: UndoIn, svc: ServiceDep, who: AdminPrincipal) -> ReviewOut:
    _single_label(svc)
    out = undo_review(svc.runtime.store, who, body.request_id)
    if not out.duplicate:
        svc.worker.trigger()
    return _review_out(svc, out)


def _single_label(svc, loc=("body",)) -> None:
    """The review queue decides single labels: a multilabel project (one annotator per item)
    has none; an admin corrects a set by relabeling it."""
    if is_multilabel(svc.runtime.task):
        raise LabelError("a multilabel project has no review queue (one annotator labels each "
                         "item); an admin corrects an item's labels with POST /api/labels.", loc)
    if is_regression(svc.runtime.task):
        raise LabelError("a regression project has no review queue (one annotator answers each "
                         "item); an admin corrects an item's number with POST /api/labels.", loc)


def _select(states: dict[int, ItemState], state: str) -> list[ItemState]:
    """The items of the queue in `state`, in the order the page shows them."""
    if state == "open":
        chosen = [st for st in states.values()
                  if st.disagree and st.decision is None and st.status != "pending"]
        return sorted(chosen, key=lambda st: (st.status != "unresolved", st.item_idx))
    if state == "reviewed":
        return [st for _, st in sorted(states.items()) if st.decision is not None]
    return [st for _, st in sorted(states.items()) if len(st.votes) >= 2 or st.decision]


def _review_out(svc, out) -> ReviewOut:
    with svc.runtime.store.read() as s:
        state = item_states(s, item_idx=out.item_idx).get(out.item_idx)
        names = annotator_names(s)
    item = _item_out(svc, state, names, out.item_idx)
    return ReviewOut(event_id=out.event_id, kind=out.kind, item_id=out.item_id,
                     label=out.label if out.kind == "review" else None, duplicate=out.duplicate,
                     undone_event_id=out.target_event_id, item=item)


def _item_out(svc, state: ItemState | None, names: dict, item_idx: int | None = None):
    item = svc.runtime.items[state.item_idx if state is not None else item_idx]
    out = ReviewItemOut(
        item_id=item["item_id"], kind=item["kind"],
        needed=state.needed if state is not None else 1,
        votes=[] if state is None else [
            VoteOut(annotator=names.get(a, "?"), label=ev.label, at=iso(ev.created_at))
            for a, ev in state.votes.items()],
        decision=None if state is None or state.decision is None else DecisionOut(
            label=state.decision.label, by=names.get(state.decision.annotator_id, "?"),
            at=iso(state.decision.created_at), kind=state.decision.kind),
        label=None if state is None else state.label,
        status="pending" if state is None else state.status,
    )
    return with_content(out, item)
