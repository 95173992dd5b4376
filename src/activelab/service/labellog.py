"""Writes to the append-only label log: label, skip, undo.

Events: ``label`` (first label of an item, needs the annotator's valid lease), ``relabel`` (a new
label for a labeled item, by its last labeler or an admin), ``skip`` (releases the lease; the
item is not offered to that annotator again), ``undo`` (cancels the annotator's most recent live
event). Nothing is updated or deleted: an item's current label is its newest ``label``/``relabel``
event that no ``undo`` targets (read it with `queries`).

Every write carries a client-generated ``request_id`` (unique in the log): a retried request
finds its first outcome instead of writing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from .auth import Principal
from .db import Store, utcnow
from .errors import ConflictError, ForbiddenError, LabelError
from .leases import claim, require_lease
from .queries import LABEL_KINDS, current_label_event, find_item, live
from .tables import Event, Item, Lease


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


def record_label(
    store: Store, who: Principal, item_id: str, label: str, request_id: str, label_set
) -> Outcome:
    """Label (or relabel) an item; idempotent in `request_id`."""
    if label not in label_set:
        raise LabelError(
            f"label {label[:100]!r} is not in this project's label set {list(label_set)}.",
            loc=("body", "label"),
        )

    def write(s: Session, now: datetime) -> Event:
        item = find_item(s, item_id)
        current = current_label_event(s, item.idx)
        if current is None:
            require_lease(s, who, item, now)
            kind = "label"
        else:
            if not (who.is_admin or current.annotator_id == who.id):
                raise ForbiddenError(
                    f"item {item_id!r} is already labeled by another annotator; only they or "
                    "an admin can relabel it."
                )
            kind = "relabel"
        ev = Event(request_id=request_id, kind=kind, item_idx=item.idx, annotator_id=who.id,
                   label=label, created_at=now)
        s.add(ev)
        s.flush()
        s.execute(delete(Lease).where(Lease.item_idx == item.idx))
        return ev

    return _idempotent(store, who, request_id, write, expect=(item_id, label, LABEL_KINDS))


def record_skip(store: Store, who: Principal, item_id: str, request_id: str) -> Outcome:
    """Skip a leased item: it goes back to the pool, never again to this annotator."""

    def write(s: Session, now: datetime) -> Event:
        item = find_item(s, item_id)
        if current_label_event(s, item.idx) is not None:
            raise ConflictError(f"item {item_id!r} is already labeled; there is nothing to skip.")
        require_lease(s, who, item, now)
        ev = Event(request_id=request_id, kind="skip", item_idx=item.idx, annotator_id=who.id,
                   created_at=now)
        s.add(ev)
        s.flush()
        s.execute(delete(Lease).where(Lease.item_idx == item.idx))
        return ev

    return _idempotent(store, who, request_id, write, expect=(item_id, None, ("skip",)))


def record_undo(store: Store, who: Principal, request_id: str, lease_seconds: int) -> Outcome:
    """Undo the annotator's most recent live label, relabel or skip, and lease the item back to
    them when it is unlabeled again and nobody else holds it."""

    def write(s: Session, now: datetime) -> Event:
        target = s.scalar(
            select(Event)
            .where(Event.annotator_id == who.id, Event.kind != "undo", live())
            .order_by(Event.id.desc())
            .limit(1)
        )
        if target is None:
            raise ConflictError("nothing to undo: you have no label or skip left to take back.")
        ev = Event(request_id=request_id, kind="undo", item_idx=target.item_idx,
                   annotator_id=who.id, target_event_id=target.id, created_at=now)
        s.add(ev)
        s.flush()
        if current_label_event(s, target.item_idx) is None:
            claim(s, store.dialect, target.item_idx, who.id, now, now + timedelta(seconds=lease_seconds))
        return ev

    return _idempotent(store, who, request_id, write, expect=(None, None, ("undo",)))


def _idempotent(store: Store, who: Principal, request_id: str, write, expect) -> Outcome:
    """Run `write` in a transaction unless `request_id` was already used; a retried request
    gets its first outcome back (`duplicate=True`)."""
    for _attempt in range(2):
        try:
            with store.write(durable=True) as s:
                found = _by_request(s, request_id)
                if found is not None:
                    return _duplicate(found, who, request_id, expect)
                ev = write(s, utcnow())
                item_id = s.scalar(select(Item.item_id).where(Item.idx == ev.item_idx))
                return Outcome(ev.id, ev.kind, ev.item_idx, item_id, ev.label, False,
                               ev.target_event_id)
        except IntegrityError:
            continue  # a concurrent twin of this request won the race; return its outcome
    raise ConflictError(f"request_id {request_id!r} could not be recorded; retry the request.")


_BY_REQUEST = (
    select(Event, Item.item_id).join(Item, Item.idx == Event.item_idx)
    .where(Event.request_id == bindparam("rid"))
)


def _by_request(s: Session, request_id: str):
    return s.execute(_BY_REQUEST, {"rid": request_id}).first()


def _duplicate(found, who: Principal, request_id: str, expect) -> Outcome:
    ev, item_id = found
    want_item, want_label, kinds = expect
    if (
        ev.annotator_id != who.id
        or ev.kind not in kinds
        or (want_item is not None and item_id != want_item)
        or (want_label is not None and ev.label != want_label)
    ):
        raise ConflictError(
            f"request_id {request_id!r} was already used for a different request; generate a "
            "new id for every new action (and reuse it only to retry the same one)."
        )
    return Outcome(ev.id, ev.kind, ev.item_idx, item_id, ev.label, True, ev.target_event_id)
