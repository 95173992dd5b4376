"""Writes to the append-only label log: label, skip, undo, review.

Events: ``label`` (an annotator's label of an item, needs their valid lease), ``relabel`` (a new
label for an item from one of its labelers, or from an admin correcting someone else's label),
``skip`` (releases the lease; the item is not offered to that annotator again), ``undo``
(cancels the annotator's most recent live label, relabel or skip — or, from the review queue,
their most recent review), ``review`` (an admin's decision on an item's label, from the review
queue). Nothing is updated or deleted: an item's current label is derived from its live events
(read it with `queries`).

Every write carries a client-generated ``request_id`` (unique in the log): a retried request
finds its first outcome instead of writing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .auth import Principal
from .db import Store, utcnow
from .errors import ConflictError, ForbiddenError, LabelError
from .leases import claim, lease_expiry, overlap_now, release, require_lease
from .multilabel import check_answer, decode, encode
from .queries import LABEL_KINDS, ItemState, find_item, item_state, live
from .regression import check_value
from .tables import Event, Item

UNDOABLE = ("label", "relabel", "skip")  # what POST /api/undo takes back (reviews: undo_review)


@dataclass(frozen=True)
class Outcome:
    """What a write did: the event written (or found, when `duplicate`)."""

    event_id: int
    kind: str
    item_idx: int
    item_id: str
    label: str | None
    duplicate: bool
    target_event_id: int | None = None
    labels: list[str] | None = None  # a multilabel answer (None on any other event)
    value: float | None = None  # a regression answer (None on any other event)


def record_label(
    store: Store, who: Principal, item_id: str, label: str, request_id: str, label_set
) -> Outcome:
    """Label (or relabel) an item; idempotent in `request_id`."""
    _check_label(label, label_set)
    return _record_answer(store, who, item_id, request_id, label=label)


def record_labels(
    store: Store, who: Principal, item_id: str, labels: list[str], request_id: str, label_set
) -> Outcome:
    """Label (or relabel) an item of a multilabel project with a set of labels (`[]`: none of
    them), kept in label-set order; idempotent in `request_id` (a retry must name the same set,
    in any order)."""
    answer = check_answer(labels, label_set)
    return _record_answer(store, who, item_id, request_id, labels=encode(answer))


def record_value(
    store: Store, who: Principal, item_id: str, value: float, request_id: str, bounds=None
) -> Outcome:
    """Label (or relabel) an item of a regression project with a number (finite, within
    `bounds` [min, max] when given); idempotent in `request_id` (a retry must give the same
    number)."""
    number = check_value(value, bounds)
    return _record_answer(store, who, item_id, request_id, value=number)


def _record_answer(store: Store, who: Principal, item_id: str, request_id: str,
                   label: str | None = None, labels: str | None = None,
                   value: float | None = None) -> Outcome:
    """Write a label or relabel event holding `label` (one label), `labels` (a JSON set) or
    `value` (a number)."""
    overlap = overlap_now(store)

    def write(s: Session, now: datetime) -> Event:
        item = find_item(s, item_id)
        state = item_state(s, overlap, item)
        kind = _label_kind(s, who, item, state, now)
        ev = _append(s, request_id=request_id, kind=kind, item_idx=item.idx,
                     annotator_id=who.id, label=label, labels=labels, value=value, created_at=now)
        release(s, item.idx, who.id)
        return ev

    return _idempotent(store, who, request_id, write, expect=(item_id, label, LABEL_KINDS),
                       labels=labels, value=value)


def _label_kind(s: Session, who: Principal, item, state: ItemState | None,
                now: datetime) -> str:
    """``label`` (a new vote, on the caller's lease) or ``relabel`` (the caller's own vote
    changed, or an admin's correction); refuses everyone else."""
    if state is None:
        require_lease(s, who, item, now)
        return "label"
    if who.id in state.votes:
        decision = state.decision
        if decision is not None and decision.annotator_id != who.id and not who.is_admin:
            raise ForbiddenError(
                f"item {item.item_id!r} was decided by a reviewer; only an admin can relabel it now."
            )
        return "relabel"
    expires_at = lease_expiry(s, item.idx, who.id)
    if expires_at is not None and expires_at > now:
        return "label"  # one more of the labels the item needs
    if who.is_admin:
        return "relabel"  # a correction: it decides the item
    if state.status != "pending":
        raise ForbiddenError(
            f"item {item.item_id!r} is already labeled by another annotator; only they or an "
            "admin can relabel it."
        )
    require_lease(s, who, item, now)  # raises: no lease, or an expired one
    return "label"


def record_skip(store: Store, who: Principal, item_id: str, request_id: str) -> Outcome:
    """Skip a leased item: it goes back to the pool, never again to this annotator."""
    overlap = overlap_now(store)

    def write(s: Session, now: datetime) -> Event:
        item = find_item(s, item_id)
        state = item_state(s, overlap, item)
        if state is not None:
            expires_at = lease_expiry(s, item.idx, who.id, lock=False)
            if who.id in state.votes or (
                    state.status != "pending" and (expires_at is None or expires_at <= now)):
                raise ConflictError(
                    f"item {item_id!r} is already labeled; there is nothing to skip.")
        require_lease(s, who, item, now)
        ev = _append(s, request_id=request_id, kind="skip", item_idx=item.idx,
                     annotator_id=who.id, created_at=now)
        release(s, item.idx, who.id)
        return ev

    return _idempotent(store, who, request_id, write, expect=(item_id, None, ("skip",)))


def record_undo(store: Store, who: Principal, request_id: str, lease_seconds: int) -> Outcome:
    """Undo the annotator's most recent live label, relabel or skip, and lease the item back to
    them when it is open for them again."""
    overlap = overlap_now(store)

    def write(s: Session, now: datetime) -> Event:
        target = _last_live(s, who, UNDOABLE)
        if target is None:
            raise ConflictError("nothing to undo: you have no label or skip left to take back.")
        ev = _undo(s, who, target, request_id, now)
        claim(s, store.dialect, target.item_idx, who.id, now,
              now + timedelta(seconds=lease_seconds), overlap)
        return ev

    return _idempotent(store, who, request_id, write, expect=(None, None, ("undo",)))


def record_review(store: Store, who: Principal, item_id: str, label: str, request_id: str,
                  label_set) -> Outcome:
    """A reviewer's decision on an item's label (an admin's; the route checks): it becomes the
    item's current label, whatever its annotators said."""
    _check_label(label, label_set)
    overlap = overlap_now(store)

    def write(s: Session, now: datetime) -> Event:
        item = find_item(s, item_id)
        state = item_state(s, overlap, item)
        if state is None or not state.votes:
            raise ConflictError(f"item {item_id!r} has no annotator's label to review; label it "
                                "instead (POST /api/labels).")
        ev = Event(request_id=request_id, kind="review", item_idx=item.idx, annotator_id=who.id,
                   label=label, created_at=now)
        s.add(ev)
        s.flush()
        return ev

    return _idempotent(store, who, request_id, write, expect=(item_id, label, ("review",)))


def undo_review(store: Store, who: Principal, request_id: str) -> Outcome:
    """Undo the caller's most recent live review (the item's label is derived without it
    again)."""

    def write(s: Session, now: datetime) -> Event:
        target = _last_live(s, who, ("review",))
        if target is None:
            raise ConflictError("nothing to undo: you have no review left to take back.")
        return _undo(s, who, target, request_id, now)

    return _idempotent(store, who, request_id, write, expect=(None, None, ("undo",)))


def _check_label(label: str, label_set) -> None:
    if label not in label_set:
        raise LabelError(
            f"label {label[:100]!r} is not in this project's label set {list(label_set)}.",
            loc=("body", "label"),
        )


def _last_live(s: Session, who: Principal, kinds) -> Event | None:
    return s.scalar(
        select(Event)
        .where(Event.annotator_id == who.id, Event.kind.in_(kinds), live())
        .order_by(Event.id.desc())
        .limit(1)
    )


_APPEND = insert(Event).returning(Event.id)


def _append(s: Session, **values) -> Event:
    """Insert an event (one prebuilt statement, not the unit of work); returns it, with its id,
    as a detached `Event`."""
    event_id = s.connection().execute(_APPEND, values).scalar_one()
    return Event(id=event_id, **values)


def _undo(s: Session, who: Principal, target: Event, request_id: str, now: datetime) -> Event:
    ev = Event(request_id=request_id, kind="undo", item_idx=target.item_idx, annotator_id=who.id,
               target_event_id=target.id, created_at=now)
    s.add(ev)
    s.flush()
    return ev


def _idempotent(store: Store, who: Principal, request_id: str, write, expect,
                labels: str | None = None, value: float | None = None) -> Outcome:
    """Run `write` in a transaction unless `request_id` was already used; a retried request
    gets its first outcome back (`duplicate=True`). `expect` (item id, label, kinds), `labels`
    (a multilabel answer) and `value` (a regression answer) say what a retry must match."""
    for _attempt in range(2):
        try:
            with store.write(durable=True) as s:
                found = _by_request(s, request_id)
                if found is not None:
                    return _duplicate(found, who, request_id, expect, labels, value)
                ev = write(s, utcnow())
                item_id = expect[0]  # the item written is the one asked for (`find_item`)
                if item_id is None:  # an undo: the item of its target
                    item_id = s.scalar(select(Item.item_id).where(Item.idx == ev.item_idx))
                return Outcome(ev.id, ev.kind, ev.item_idx, item_id, ev.label, False,
                               ev.target_event_id, decode(ev.labels), ev.value)
        except IntegrityError:
            continue  # a concurrent twin of this request won the race; return its outcome
    raise ConflictError(f"request_id {request_id!r} could not be recorded; retry the request.")


_BY_REQUEST = (
    select(*Event.__table__.c, Item.item_id).join(Item, Item.idx == Event.item_idx)
    .where(Event.request_id == bindparam("rid"))
)


def _by_request(s: Session, request_id: str):
    """The event written under `request_id` (a row: its columns and its item's item_id)."""
    return s.connection().execute(_BY_REQUEST, {"rid": request_id}).first()


def _duplicate(found, who: Principal, request_id: str, expect,
               labels: str | None = None, value: float | None = None) -> Outcome:
    ev, item_id = found, found.item_id
    want_item, want_label, kinds = expect
    if (
        ev.annotator_id != who.id
        or ev.kind not in kinds
        or (want_item is not None and item_id != want_item)
        or (want_label is not None and ev.label != want_label)
        or (labels is not None and ev.labels != labels)
        or (value is not None and ev.value != value)
    ):
        raise ConflictError(
            f"request_id {request_id!r} was already used for a different request; generate a "
            "new id for every new action (and reuse it only to retry the same one)."
        )
    return Outcome(ev.id, ev.kind, ev.item_idx, item_id, ev.label, True, ev.target_event_id,
                   decode(ev.labels), ev.value)
