"""Handing out work: lease the best unlabeled item to one annotator at a time.

`lease_next` returns the annotator's current unexpired lease when they hold one (a reloaded page
shows the same item); otherwise it walks the queue in rank order and claims the first item that is
unlabeled, not skipped by this annotator and not leased to anyone else. A claim is one atomic
``INSERT … ON CONFLICT DO UPDATE … WHERE expires_at <= now`` on the item's lease row, so two
annotators can never both win the same unexpired item, on SQLite or PostgreSQL. When the queue has
nothing left (the retrain worker has not re-ranked yet) any eligible item is handed out at random,
so labeling never waits for the model (and never sees "nothing to label" while a retrain swaps
the queue). `require_lease` is the check a label or skip passes first: the caller holds the item's
unexpired lease.

(`random` here only spreads concurrent annotators over the pool; it needs no seeding.)
"""

from __future__ import annotations

import random
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, exists, func, null, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .auth import Principal
from .db import Store, utcnow
from .errors import ConflictError
from .queries import current_label_event, labeled_condition, skipped_by_condition
from .tables import Item, Lease, QueueEntry

CANDIDATES_PER_TRY = 16


@dataclass(frozen=True)
class Leased:
    """An item leased to the caller."""

    item_idx: int
    item_id: str
    expires_at: datetime
    score: float | None
    rank: int | None
    run_id: int | None
    prediction: str | None = None  # JSON, see tables.QueueEntry
    resumed: bool = False  # the caller already held this lease (a reload, an undo)


def _claim_statement(insert):
    stmt = insert(Lease.__table__).values(
        item_idx=bindparam("idx"), annotator_id=bindparam("who"), leased_at=bindparam("now"),
        expires_at=bindparam("expires"),
    )
    return stmt.on_conflict_do_update(
        index_elements=[Lease.__table__.c.item_idx],
        set_={"annotator_id": bindparam("who"), "leased_at": bindparam("now"),
              "expires_at": bindparam("expires")},
        where=(Lease.__table__.c.expires_at <= bindparam("now"))
        | (Lease.__table__.c.annotator_id == bindparam("who")),
    ).returning(Lease.__table__.c.item_idx)


# Built once: constructing these statements costs more than running them.
_CLAIM = {"postgresql": _claim_statement(pg_insert), "sqlite": _claim_statement(sqlite_insert)}


def claim(s: Session, dialect: str, item_idx: int, annotator_id: int, now: datetime,
          expires_at: datetime) -> bool:
    """Atomically lease `item_idx` to the annotator unless someone else holds an unexpired lease."""
    params = {"idx": item_idx, "who": annotator_id, "now": now, "expires": expires_at}
    return s.connection().execute(_CLAIM[dialect], params).first() is not None


def lease_next(store: Store, annotator_id: int, lease_seconds: int) -> Leased | None:
    """Lease the next item to the annotator, or None when nothing is left for them.

    Candidates are read outside any write transaction. Callers in flight at the same time start
    at different candidates (the k-th concurrent caller at the k-th), so a crowd of annotators
    does not queue on the top item; a lone annotator always gets the best one. On SQLite (one
    writer at a time anyway) one short transaction tries the candidates in turn; on PostgreSQL
    each claim is its own transaction holding one lease row, so concurrent claims never deadlock
    (PostgreSQL locks a conflicting row even when the upsert's WHERE refuses it)."""
    with store.read() as s:
        held = _held(s, annotator_id, utcnow())
    if held is not None:
        return held
    with _in_flight(store) as order:
        for from_queue in (True, False):
            tried: set[int] = set()
            while True:
                with store.read() as s:
                    rows = _candidates(s, annotator_id, utcnow(), from_queue, tried)
                if not rows:
                    break
                k = order % len(rows)
                rows = rows[k:] + rows[:k]
                tried.update(row[0] for row in rows)
                batches = [rows] if store.dialect == "sqlite" else [[row] for row in rows]
                for batch in batches:
                    got = _claim_first(store, batch, annotator_id, lease_seconds)
                    if got is not None:
                        return got
    return None


def _claim_first(store: Store, rows, annotator_id: int, lease_seconds: int) -> Leased | None:
    """In one write transaction, claim the first of `rows` that is free and still unlabeled."""
    with store.write() as s:
        now = utcnow()
        expires = now + timedelta(seconds=lease_seconds)
        for idx, item_id, score, rank, run_id, prediction in rows:
            if not claim(s, store.dialect, idx, annotator_id, now, expires):
                continue  # someone else was quicker
            if current_label_event(s, idx) is not None:  # labeled since we looked
                s.execute(delete(Lease).where(Lease.item_idx == idx))
                continue
            return Leased(idx, item_id, expires, score, rank, run_id, prediction)
    return None


@contextmanager
def _in_flight(store: Store):
    """How many other `lease_next` calls on this store are running now (this process)."""
    state = store.__dict__.setdefault("_lease_in_flight", {"n": 0, "lock": threading.Lock()})
    with state["lock"]:
        order = state["n"]
        state["n"] += 1
    try:
        yield order
    finally:
        with state["lock"]:
            state["n"] -= 1


_HELD = (
    select(Lease.item_idx, Item.item_id, Lease.expires_at, QueueEntry.score, QueueEntry.rank,
           QueueEntry.run_id, QueueEntry.prediction)
    .join(Item, Item.idx == Lease.item_idx)
    .outerjoin(QueueEntry, QueueEntry.item_idx == Lease.item_idx)
    .where(Lease.annotator_id == bindparam("who"), Lease.expires_at > bindparam("now"),
           ~labeled_condition(Lease.item_idx))
    .order_by(Lease.leased_at, Lease.item_idx)
    .limit(1)
)


def _held(s: Session, annotator_id: int, now: datetime) -> Leased | None:
    row = s.connection().execute(_HELD, {"who": annotator_id, "now": now}).first()
    return None if row is None else Leased(*row, resumed=True)


_HELD_ITEM = (
    select(Lease.item_idx, Item.item_id, Lease.expires_at, QueueEntry.score, QueueEntry.rank,
           QueueEntry.run_id, QueueEntry.prediction)
    .join(Item, Item.idx == Lease.item_idx)
    .outerjoin(QueueEntry, QueueEntry.item_idx == Lease.item_idx)
    .where(Lease.item_idx == bindparam("idx"), Lease.annotator_id == bindparam("who"),
           Lease.expires_at > bindparam("now"))
)


def held_lease(store: Store, annotator_id: int, item_idx: int) -> Leased | None:
    """The annotator's unexpired lease on `item_idx`, or None."""
    with store.read() as s:
        row = s.execute(_HELD_ITEM, {"idx": item_idx, "who": annotator_id, "now": utcnow()}).first()
    return None if row is None else Leased(*row, resumed=True)


def require_lease(s: Session, who: Principal, item: Item, now: datetime) -> None:
    """Raise `ConflictError` unless `who` holds an unexpired lease on `item` (locks the lease row
    for the rest of the write transaction)."""
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


def _candidate_statements():
    busy = exists().where(
        Lease.item_idx == Item.idx, Lease.expires_at > bindparam("now"),
        Lease.annotator_id != bindparam("who"),
    )
    eligible = [
        ~labeled_condition(Item.idx),
        ~skipped_by_condition(Item.idx, bindparam("who")),
        ~busy,
        Item.idx.not_in(bindparam("tried", expanding=True)),
    ]
    from_queue = (
        select(Item.idx, Item.item_id, QueueEntry.score, QueueEntry.rank, QueueEntry.run_id,
               QueueEntry.prediction)
        .join(QueueEntry, QueueEntry.item_idx == Item.idx)
        .where(*eligible)
        .order_by(QueueEntry.rank)
        .limit(CANDIDATES_PER_TRY)
    )
    # Anywhere in the pool, queued items included: the queue read above may predate a retrain
    # that has since queued every remaining item (excluding queued items here once answered "no
    # item" in that window). Scan from a random position: an index range scan that stops after a
    # few eligible rows, where ORDER BY random() would visit every item.
    anywhere = (
        select(Item.idx, Item.item_id, null(), null(), null(), null())
        .where(*eligible, Item.idx >= bindparam("start"))
        .order_by(Item.idx)
        .limit(CANDIDATES_PER_TRY)
    )
    return {True: from_queue, False: anywhere}


_CANDIDATES = _candidate_statements()


def _candidates(s: Session, annotator_id: int, now: datetime, from_queue: bool, tried: set[int]):
    params = {"who": annotator_id, "now": now, "tried": sorted(tried) or [-1], "start": 0}
    conn = s.connection()
    if from_queue:
        return conn.execute(_CANDIDATES[True], params).all()
    n_items = _n_items(conn)
    params["start"] = random.randrange(n_items) if n_items else 0
    rows = conn.execute(_CANDIDATES[False], params).all()
    if not rows and params["start"]:
        params["start"] = 0  # wrap around
        rows = conn.execute(_CANDIDATES[False], params).all()
    return rows


def _n_items(conn) -> int:
    return int(conn.execute(select(func.max(Item.idx))).scalar() or 0) + 1
