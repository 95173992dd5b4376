"""Read-side SQL over the label log: the state derived from it.

An event is *live* when no ``undo`` event targets it. What an item's live events say:

- an annotator's **vote** is their newest live ``label``/``relabel`` of the item (a ``relabel``
  by someone with no live ``label`` of the item — an admin correcting another's label — is not a
  vote but a decision);
- its **decision** is the newest live ``review`` (the review queue), or such an admin relabel;
- its **current label** (`resolve`), for an item that needs one label: the newest of those
  events, as it always was (a relabel replaces the label); for an item that needs k > 1
  (`overlap.py`): the decision if any, else — once k annotators voted — the label more of them
  gave than any other; a tie is *unresolved*; with fewer than k votes the item is *pending*.

The model trains on resolved items only (`current_labels`). These conditions and reads are shared
by the log writes (`labellog`), the leases, the worker and the read-only views (`progress`,
`export`, `agreement`).
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass

from sqlalchemy import and_, bindparam, exists, func, select
from sqlalchemy.orm import Session, aliased

from .errors import NotFoundError
from .overlap import Overlap, needed_sql
from .tables import Annotator, Event, Item, Setting

LABEL_KINDS = ("label", "relabel")
CHANGE_KINDS = ("label", "relabel", "review")  # the events that can change a current label
STATUSES = ("labeled", "agreed", "majority", "reviewed", "unresolved", "pending")
"""How an item's current label was reached:

    labeled     one annotator's label (the item needs one)
    agreed      the k annotators the item needs gave the same label
    majority    more of its annotators gave this label than any other
    reviewed    a reviewer decided (the review queue, or an admin's relabel)
    unresolved  its annotators tie: no label until a reviewer decides
    pending     fewer labels than the item needs so far (the label shown is the lead so far)
"""
RESOLVED = ("labeled", "agreed", "majority", "reviewed")

# Aliases built once: building them per query costs more than running the query.
_UNDO = aliased(Event, name="undo_ev")
_LAB = aliased(Event, name="lab_ev")
_LAB_UNDO = aliased(Event, name="lab_undo_ev")
_SKIP = aliased(Event, name="skip_ev")
_SKIP_UNDO = aliased(Event, name="skip_undo_ev")
_ANY = aliased(Event, name="any_ev")
_ANY_UNDO = aliased(Event, name="any_undo_ev")
_MINE = aliased(Event, name="mine_ev")
_MINE_UNDO = aliased(Event, name="mine_undo_ev")
_VOTER = aliased(Event, name="voter_ev")
_VOTER_UNDO = aliased(Event, name="voter_undo_ev")
_REV = aliased(Event, name="rev_ev")
_REV_UNDO = aliased(Event, name="rev_undo_ev")
_OVR = aliased(Event, name="ovr_ev")
_OVR_UNDO = aliased(Event, name="ovr_undo_ev")
_OVR_LAB = aliased(Event, name="ovr_lab_ev")
_OVR_LAB_UNDO = aliased(Event, name="ovr_lab_undo_ev")


def live(event=Event, undo=_UNDO):
    """SQL condition: no undo event targets `event`."""
    return ~exists().where(undo.target_event_id == event.id)


def labeled_condition(item_idx_col):
    """SQL condition: the item at `item_idx_col` has a live label."""
    return exists().where(_LAB.item_idx == item_idx_col, _LAB.kind.in_(LABEL_KINDS),
                          live(_LAB, _LAB_UNDO))


def skipped_by_condition(item_idx_col, annotator_id):
    """SQL condition: the annotator skipped this item (and did not undo the skip)."""
    return exists().where(
        _SKIP.item_idx == item_idx_col, _SKIP.kind == "skip", _SKIP.annotator_id == annotator_id,
        live(_SKIP, _SKIP_UNDO),
    )


def touched_condition(item_idx_col):
    """SQL condition: the item has a live label, relabel or review (for an item that needs one
    label: it is done)."""
    return exists().where(_ANY.item_idx == item_idx_col, _ANY.kind.in_(CHANGE_KINDS),
                          live(_ANY, _ANY_UNDO))


def voted_by_condition(item_idx_col, annotator_id):
    """SQL condition: the annotator has a live label or relabel of this item."""
    return exists().where(
        _MINE.item_idx == item_idx_col, _MINE.kind.in_(LABEL_KINDS),
        _MINE.annotator_id == annotator_id, live(_MINE, _MINE_UNDO),
    )


def decided_condition(item_idx_col):
    """SQL condition: the item has a decision — a live review, or a live relabel by someone
    with no live label of the item (an admin's correction)."""
    reviewed = exists().where(_REV.item_idx == item_idx_col, _REV.kind == "review",
                              live(_REV, _REV_UNDO))
    corrected = exists().where(
        _OVR.item_idx == item_idx_col, _OVR.kind == "relabel", live(_OVR, _OVR_UNDO),
        ~exists().where(_OVR_LAB.item_idx == item_idx_col, _OVR_LAB.kind == "label",
                        _OVR_LAB.annotator_id == _OVR.annotator_id,
                        live(_OVR_LAB, _OVR_LAB_UNDO)),
    )
    return reviewed | corrected


def wanting_condition(item_idx_col, single: bool):
    """SQL condition: the item still wants labels — no label yet (`single`: every item needs
    one), or fewer votes than it needs and no decision. The query must have `items` in its FROM
    (the parameters of `Overlap.params` read `items.overlap_key`)."""
    if single:
        return ~touched_condition(item_idx_col)
    return ~decided_condition(item_idx_col) & (voters_count(item_idx_col)
                                               < needed_sql(Item.overlap_key))


def voters_count(item_idx_col):
    """SQL: how many annotators have a live label of the item (its votes)."""
    return (select(func.count(func.distinct(_VOTER.annotator_id)))
            .where(_VOTER.item_idx == item_idx_col, _VOTER.kind == "label",
                   live(_VOTER, _VOTER_UNDO))
            .scalar_subquery())


# -- the current label --------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemState:
    """What an item's live events say (see the module docstring)."""

    item_idx: int
    needed: int
    votes: dict  # annotator id -> their vote (an Event), in the order they first labeled
    decision: Event | None
    status: str  # one of STATUSES
    label: str | None
    event: Event | None  # where the current label comes from (None: unresolved)
    credited: tuple[int, ...]  # the annotators whose label it is

    @property
    def resolved(self) -> bool:
        return self.status in RESOLVED

    @property
    def disagree(self) -> bool:
        """At least two votes, not all the same label."""
        return len({ev.label for ev in self.votes.values()}) > 1


def resolve(item_idx: int, events, needed: int) -> ItemState | None:
    """The state of one item from its live ``label``/``relabel``/``review`` events (oldest
    first); None when there are none."""
    votes: dict[int, Event] = {}
    decision = newest = None
    for ev in events:
        if ev.kind == "review" or (ev.kind == "relabel" and ev.annotator_id not in votes):
            decision = ev
        else:
            votes[ev.annotator_id] = ev
        newest = ev
    if newest is None:
        return None
    if needed <= 1:  # one label: the newest event says it
        status = "reviewed" if newest is decision else "labeled"
        return ItemState(item_idx, needed, votes, decision, status, newest.label, newest,
                         (newest.annotator_id,))
    if decision is not None:
        return ItemState(item_idx, needed, votes, decision, "reviewed", decision.label, decision,
                         (decision.annotator_id,))
    counts = Counter(ev.label for ev in votes.values()).most_common()
    tie = len(counts) > 1 and counts[0][1] == counts[1][1]
    if len(votes) >= needed:
        status = "unresolved" if tie else ("agreed" if len(counts) == 1 else "majority")
    else:
        status = "pending"
    if tie:
        return ItemState(item_idx, needed, votes, None, status, None, None, ())
    label = counts[0][0]
    backers = [ev for ev in votes.values() if ev.label == label]
    return ItemState(item_idx, needed, votes, None, status, label,
                     max(backers, key=lambda ev: ev.id), tuple(ev.annotator_id for ev in backers))


def overlap_in(s: Session) -> Overlap:
    """The overlap settings stored in the database (`settings.Settings` defaults otherwise)."""
    keys = ("annotations_per_item", "overlap_fraction", "overlap_seed")
    stored = {k: json.loads(v) for k, v in s.execute(
        select(Setting.key, Setting.value).where(Setting.key.in_(keys)))}
    return Overlap(int(stored.get(keys[0], 1)), float(stored.get(keys[1], 1.0)),
                   int(stored.get(keys[2], 0)))


def item_states(s: Session, overlap: Overlap | None = None,
                item_idx: int | None = None) -> dict[int, ItemState]:
    """item_idx → its state, for every item with a live label, relabel or review (or only
    `item_idx`)."""
    overlap = overlap_in(s) if overlap is None else overlap
    query = select(Event).where(Event.kind.in_(CHANGE_KINDS), live()).order_by(Event.id)
    if item_idx is not None:
        query = query.where(Event.item_idx == item_idx)
    by_item: dict[int, list[Event]] = defaultdict(list)
    for ev in s.scalars(query):
        by_item[ev.item_idx].append(ev)
    keys: dict[int, int] = {}
    if not overlap.single and by_item:
        keyed = select(Item.idx, Item.overlap_key)
        if item_idx is not None:
            keyed = keyed.where(Item.idx == item_idx)
        else:
            keyed = keyed.where(exists().where(and_(_ANY.item_idx == Item.idx,
                                                    _ANY.kind.in_(CHANGE_KINDS))))
        keys = dict(s.execute(keyed).all())
    states = {}
    for idx, events in by_item.items():
        state = resolve(idx, events, overlap.needed(keys.get(idx, 0)))
        if state is not None:
            states[idx] = state
    return states


_ITEM_EVENTS = (select(*Event.__table__.c)
                .where(Event.item_idx == bindparam("idx"), Event.kind.in_(CHANGE_KINDS), live())
                .order_by(Event.id))


def item_state(s: Session, overlap: Overlap, item) -> ItemState | None:
    """`item_states(s, overlap, item.idx).get(item.idx)` for one item (`find_item`'s row), read
    with one prebuilt statement: the state's events are rows with the event's columns."""
    events = s.connection().execute(_ITEM_EVENTS, {"idx": item.idx}).all()
    needed = overlap.needed(0 if overlap.single else item.overlap_key)
    return resolve(item.idx, events, needed)


def current_labels(s: Session, overlap: Overlap | None = None) -> dict[int, Event]:
    """item_idx → the event its current label comes from, for every *resolved* item (what the
    model trains on; pending and unresolved items are left out)."""
    return {idx: st.event for idx, st in sorted(item_states(s, overlap).items()) if st.resolved}


def current_label_event(s: Session, item_idx: int, overlap: Overlap | None = None) -> Event | None:
    """The event of the item's current label, None unless it is resolved."""
    state = item_states(s, overlap, item_idx).get(item_idx)
    return state.event if state is not None and state.resolved else None


_COUNT = select(func.count(func.distinct(Event.item_idx))).where(
    Event.annotator_id == bindparam("who"), Event.kind.in_(LABEL_KINDS), live()
)


def annotator_count(s, annotator_id: int) -> int:
    """How many items this annotator's live labels cover (`s`: a Session or a Connection)."""
    conn = s.connection() if isinstance(s, Session) else s
    return int(conn.execute(_COUNT, {"who": annotator_id}).scalar() or 0)


def annotator_names(s: Session) -> dict[int, str]:
    return dict(s.execute(select(Annotator.id, Annotator.name)).all())


_FIND_ITEM = select(Item.idx, Item.item_id, Item.kind, Item.overlap_key).where(
    Item.item_id == bindparam("item_id"))


def find_item(s: Session, item_id: str):
    """The item's row (idx, item_id, kind, overlap_key); `NotFoundError` for an unknown id."""
    item = s.connection().execute(_FIND_ITEM, {"item_id": item_id}).first()
    if item is None:
        raise NotFoundError(f"unknown item {item_id[:100]!r}; item ids come from GET /api/next.")
    return item
