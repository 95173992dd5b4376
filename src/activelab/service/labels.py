"""Labels as an append-only event log, and the state derived from it.

Events: ``label`` (first label of an item, needs the annotator's valid lease), ``relabel`` (a new
label for a labeled item, by its last labeler or an admin), ``skip`` (releases the lease; the
item is not offered to that annotator again), ``undo`` (cancels the annotator's most recent live
event). Nothing is updated or deleted: an item's current label is its newest ``label``/``relabel``
event that no ``undo`` targets.

Every write carries a client-generated ``request_id`` (unique in the log): a retried request
finds its first outcome instead of writing twice.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, aliased

from .auth import Principal
from .db import Store, utcnow
from .errors import ConflictError, ForbiddenError, LabelError, NotFoundError
from .tables import Annotator, Event, Item, Lease

LABEL_KINDS = ("label", "relabel")


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


# Aliases built once: building them per query costs more than running the query.
_UNDO = aliased(Event, name="undo_ev")
_LAB = aliased(Event, name="lab_ev")
_LAB_UNDO = aliased(Event, name="lab_undo_ev")
_SKIP = aliased(Event, name="skip_ev")
_SKIP_UNDO = aliased(Event, name="skip_undo_ev")


def live(event=Event, undo=_UNDO):
    """SQL condition: no undo event targets `event`."""
    return ~exists().where(undo.target_event_id == event.id)


def labeled_condition(item_idx_col):
    """SQL condition: the item at `item_idx_col` has a live label."""
    return exists().where(_LAB.item_idx == item_idx_col, _LAB.kind.in_(LABEL_KINDS),
                          live(_LAB, _LAB_UNDO))


def skipped_by_condition(item_idx_col, annotator_id: int):
    """SQL condition: the annotator skipped this item (and did not undo the skip)."""
    return exists().where(
        _SKIP.item_idx == item_idx_col, _SKIP.kind == "skip", _SKIP.annotator_id == annotator_id,
        live(_SKIP, _SKIP_UNDO),
    )


_CURRENT = (
    select(Event)
    .where(Event.item_idx == bindparam("idx"), Event.kind.in_(LABEL_KINDS), live())
    .order_by(Event.id.desc())
    .limit(1)
)


def current_label_event(s: Session, item_idx: int) -> Event | None:
    return s.scalar(_CURRENT, {"idx": item_idx})


def current_labels(s: Session) -> dict[int, Event]:
    """item_idx → its live label event, for every labeled item."""
    rows = s.scalars(select(Event).where(Event.kind.in_(LABEL_KINDS), live()).order_by(Event.id))
    return {ev.item_idx: ev for ev in rows}


_COUNT = select(func.count(func.distinct(Event.item_idx))).where(
    Event.annotator_id == bindparam("who"), Event.kind.in_(LABEL_KINDS), live()
)


def annotator_count(s: Session, annotator_id: int) -> int:
    """How many items this annotator's live labels cover."""
    return int(s.connection().execute(_COUNT, {"who": annotator_id}).scalar() or 0)


def find_item(s: Session, item_id: str) -> Item:
    item = s.scalar(select(Item).where(Item.item_id == item_id))
    if item is None:
        raise NotFoundError(f"unknown item {item_id[:100]!r}; item ids come from GET /api/next.")
    return item


def record_label(
    store: Store, who: Principal, item_id: str, label: str, request_id: str, label_set
) -> Outcome:
    """Label (or relabel) an item; idempotent in `request_id`."""
    if label not in label_set:
        raise LabelError(
            f"label {label[:100]!r} is not in this project's label set {list(label_set)}."
        )

    def write(s: Session, now: datetime) -> Event:
        item = find_item(s, item_id)
        current = current_label_event(s, item.idx)
        if current is None:
            _require_lease(s, who, item, now)
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
        _require_lease(s, who, item, now)
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
            from .leases import claim

            claim(s, store.dialect, target.item_idx, who.id, now, now + timedelta(seconds=lease_seconds))
        return ev

    return _idempotent(store, who, request_id, write, expect=(None, None, ("undo",)))


def _require_lease(s: Session, who: Principal, item: Item, now: datetime) -> None:
    lease = s.get(Lease, item.idx, with_for_update=True)
    if lease is None or lease.annotator_id != who.id:
        raise ConflictError(
            f"you hold no lease on item {item.item_id!r}; ask for work with GET /api/next "
            "(an item is labeled by the annotator it was handed to)."
        )
    if lease.expires_at <= now:
        raise ConflictError(
            f"your lease on item {item.item_id!r} expired at {lease.expires_at.isoformat()}Z; "
            "get a fresh item with GET /api/next."
        )


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


def annotator_names(s: Session) -> dict[int, str]:
    return dict(s.execute(select(Annotator.id, Annotator.name)).all())
