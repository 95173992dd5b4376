"""Read-side SQL over the label log: the state derived from it.

An event is *live* when no ``undo`` event targets it; an item's current label is its newest live
``label``/``relabel`` event. These conditions and reads are shared by the log writes
(`labellog`), the leases, the worker and the read-only views (`progress`, `export`).
"""

from __future__ import annotations

from sqlalchemy import bindparam, exists, func, select
from sqlalchemy.orm import Session, aliased

from .errors import NotFoundError
from .tables import Annotator, Event, Item

LABEL_KINDS = ("label", "relabel")

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


def annotator_names(s: Session) -> dict[int, str]:
    return dict(s.execute(select(Annotator.id, Annotator.name)).all())


def find_item(s: Session, item_id: str) -> Item:
    item = s.scalar(select(Item).where(Item.item_id == item_id))
    if item is None:
        raise NotFoundError(f"unknown item {item_id[:100]!r}; item ids come from GET /api/next.")
    return item
