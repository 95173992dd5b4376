"""Handing out work: lease the best unlabeled item to one annotator at a time.

`lease_next` returns the annotator's current unexpired lease when they hold one (a reloaded page
shows the same item); otherwise it walks the queue in rank order and claims the first item that is
unlabeled, not skipped by this annotator and not leased to anyone else. A claim is one atomic
``INSERT … ON CONFLICT DO UPDATE … WHERE expires_at <= now`` on the item's lease row, so two
annotators can never both win the same unexpired item, on SQLite or PostgreSQL. When the queue has
nothing left (the retrain worker has not re-ranked yet) any eligible item is handed out at random,
so labeling never waits for the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, exists, func, null, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .db import Store, utcnow
from .labels import current_label_event, labeled_condition, skipped_by_condition
from .models import Item, Lease, QueueEntry

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


def claim(s: Session, dialect: str, item_idx: int, annotator_id: int, now: datetime,
          expires_at: datetime) -> bool:
    """Atomically lease `item_idx` to the annotator unless someone else holds an unexpired lease."""
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = insert(Lease).values(
        item_idx=item_idx, annotator_id=annotator_id, leased_at=now, expires_at=expires_at
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=[Lease.item_idx],
        set_={"annotator_id": annotator_id, "leased_at": now, "expires_at": expires_at},
        where=(Lease.expires_at <= now) | (Lease.annotator_id == annotator_id),
    )
    return s.execute(stmt.returning(Lease.item_idx)).first() is not None


def lease_next(store: Store, annotator_id: int, lease_seconds: int) -> Leased | None:
    """Lease the next item to the annotator, or None when nothing is left for them."""
    with store.write() as s:
        now = utcnow()
        expires = now + timedelta(seconds=lease_seconds)
        held = _held(s, annotator_id, now)
        if held is not None:
            return held
        for from_queue in (True, False):
            tried: set[int] = set()
            while True:
                rows = _candidates(s, annotator_id, now, from_queue, tried)
                if not rows:
                    break
                for idx, item_id, score, rank, run_id in rows:
                    tried.add(idx)
                    if not claim(s, store.dialect, idx, annotator_id, now, expires):
                        continue
                    if current_label_event(s, idx) is not None:  # labeled meanwhile (PostgreSQL)
                        s.execute(delete(Lease).where(Lease.item_idx == idx))
                        continue
                    return Leased(idx, item_id, expires, score, rank, run_id)
    return None


def release(store: Store, annotator_id: int) -> int:
    """Drop every lease the annotator holds (e.g. when they log out); returns how many."""
    with store.write() as s:
        return s.execute(delete(Lease).where(Lease.annotator_id == annotator_id)).rowcount


def active_leases(s: Session) -> int:
    return int(s.scalar(select(func.count()).select_from(Lease).where(Lease.expires_at > utcnow())) or 0)


def _held(s: Session, annotator_id: int, now: datetime) -> Leased | None:
    row = s.execute(
        select(Lease.item_idx, Item.item_id, Lease.expires_at, QueueEntry.score, QueueEntry.rank,
               QueueEntry.run_id)
        .join(Item, Item.idx == Lease.item_idx)
        .outerjoin(QueueEntry, QueueEntry.item_idx == Lease.item_idx)
        .where(Lease.annotator_id == annotator_id, Lease.expires_at > now,
               ~labeled_condition(Lease.item_idx))
        .order_by(Lease.leased_at, Lease.item_idx)
        .limit(1)
    ).first()
    return None if row is None else Leased(*row)


def _candidates(s: Session, annotator_id: int, now: datetime, from_queue: bool, tried: set[int]):
    busy = exists().where(
        Lease.item_idx == Item.idx, Lease.expires_at > now, Lease.annotator_id != annotator_id
    )
    eligible = [
        ~labeled_condition(Item.idx),
        ~skipped_by_condition(Item.idx, annotator_id),
        ~busy,
    ]
    if tried:
        eligible.append(Item.idx.not_in(tried))
    if from_queue:
        stmt = (
            select(Item.idx, Item.item_id, QueueEntry.score, QueueEntry.rank, QueueEntry.run_id)
            .join(QueueEntry, QueueEntry.item_idx == Item.idx)
            .where(*eligible)
            .order_by(QueueEntry.rank)
        )
    else:
        queued = exists().where(QueueEntry.item_idx == Item.idx)
        stmt = (
            select(Item.idx, Item.item_id, null(), null(), null())
            .where(*eligible, ~queued)
            .order_by(func.random())
        )
    return s.execute(stmt.limit(CANDIDATES_PER_TRY)).all()
