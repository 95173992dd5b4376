"""Handing out work: lease the best open item to an annotator.

An item needs one label, or k from different annotators when chosen for overlap (`overlap.py`).
It is *open for* an annotator who has not labeled or skipped it while it has no decision and its
votes plus the unexpired leases of others stay under what it needs: an item needing k can be
leased to up to k − (labels so far) annotators at a time, never twice to the same one.

`lease_next` returns the annotator's current unexpired lease when they hold one (a reloaded page
shows the same item); otherwise it walks the queue in rank order and claims the first item open
for them. A claim (`claim`) is one ``INSERT … SELECT … WHERE open ON CONFLICT DO UPDATE`` of the
annotator's lease row, run while holding the item: on PostgreSQL a transaction-scoped advisory
lock on it (labels never wait for it; it writes nothing), on SQLite the database's single writer.
So concurrent claims of one item run one after the other, each seeing the leases and votes the
previous ones left (under PostgreSQL's READ COMMITTED the claim is a statement of its own, after
the lock), and no item is ever handed to more annotators than it needs. On PostgreSQL a caller
first only *tries* each candidate's lock and passes over an item another caller is claiming at
that instant (it would most likely lose it anyway), so a crowd never queues on one item; only
when nothing else was left does it wait for the items it passed over. When the queue has nothing left (the retrain worker has not
re-ranked yet) any open item is handed out at random, so labeling never waits for the model (and
never sees "nothing to label" while a retrain swaps the queue). `require_lease` is the check a
label or skip passes first: the caller holds the item's unexpired lease.

(`random` here only spreads concurrent annotators over the pool; it needs no seeding.)
"""

from __future__ import annotations

import random
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import (
    Connection,
    DateTime,
    Integer,
    bindparam,
    exists,
    func,
    null,
    select,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, aliased

from .auth import Principal
from .db import Store, utcnow
from .errors import ConflictError
from .overlap import Overlap, needed_sql
from .queries import (
    decided_condition,
    skipped_by_condition,
    touched_condition,
    voted_by_condition,
    voters_count,
)
from .settings import read_settings
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


_WHO = bindparam("who", type_=Integer)
_NOW = bindparam("now", type_=DateTime)
_OTHER = aliased(Lease, name="other_lease")
SINGLE = Overlap()


def open_conditions(item_idx_col, single: bool, held: bool = False) -> list:
    """SQL conditions: the item is open for annotator `:who` at `:now` (see the module
    docstring); `held`: ignoring the leases of others (the caller's own lease is being read).
    `single`: every item needs one label, the cheaper test of the one-annotator service. The
    query must have `items` in its FROM (the overlap parameters read `items.overlap_key`)."""
    others = [_OTHER.item_idx == item_idx_col, _OTHER.expires_at > _NOW, _OTHER.annotator_id != _WHO]
    conditions = [~skipped_by_condition(item_idx_col, _WHO)]
    if single:
        conditions.append(~touched_condition(item_idx_col))
        if not held:
            conditions.append(~exists().where(*others))
        return conditions
    taken = voters_count(item_idx_col)
    if not held:
        taken = taken + select(func.count()).select_from(_OTHER).where(*others).scalar_subquery()
    return conditions + [~voted_by_condition(item_idx_col, _WHO), ~decided_condition(item_idx_col),
                         taken < needed_sql(Item.overlap_key)]


def _claim_statement(insert, single: bool):
    table = Lease.__table__
    source = select(Item.idx, _WHO, _NOW, bindparam("expires", type_=DateTime)).where(
        Item.idx == bindparam("idx"), *open_conditions(Item.idx, single))
    stmt = insert(table).from_select(["item_idx", "annotator_id", "leased_at", "expires_at"],
                                     source)
    return stmt.on_conflict_do_update(
        index_elements=[table.c.item_idx, table.c.annotator_id],
        set_={"leased_at": stmt.excluded.leased_at, "expires_at": stmt.excluded.expires_at},
    ).returning(table.c.item_idx)


# Built once: constructing these statements costs more than running them.
_CLAIM = {(dialect, single): _claim_statement(insert, single)
          for dialect, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
          for single in (True, False)}
_CLAIM_LOCK = 0x61637473  # PostgreSQL advisory locks (this class, item idx): "acts"
_HOLD_ITEM = select(func.pg_advisory_xact_lock(_CLAIM_LOCK, bindparam("idx", type_=Integer)))
_TRY_ITEM = select(func.pg_try_advisory_xact_lock(_CLAIM_LOCK, bindparam("idx", type_=Integer)))
BUSY = None  # `claim`'s answer when `wait=False` and another transaction holds the item


def claim(s: Session, dialect: str, item_idx: int, annotator_id: int, now: datetime,
          expires_at: datetime, overlap: Overlap = SINGLE, wait: bool = True) -> bool | None:
    """Lease `item_idx` to the annotator (or renew their lease) if it is open for them; inside
    the caller's write transaction, which then holds the item until it ends. `wait=False` (on
    PostgreSQL): answer `BUSY` at once, claiming nothing, when another transaction holds it."""
    params = {"idx": item_idx, "who": annotator_id, "now": now, "expires": expires_at}
    conn = s.connection()
    if dialect == "postgresql":
        if wait:
            conn.execute(_HOLD_ITEM, {"idx": item_idx})
        elif not conn.execute(_TRY_ITEM, {"idx": item_idx}).scalar():
            return BUSY
    if not overlap.single:
        params.update(overlap.params())
    return conn.execute(_CLAIM[dialect, overlap.single], params).first() is not None


def overlap_now(store: Store) -> Overlap:
    """The overlap settings in force (read at most every few seconds: `settings.read_settings`)."""
    return Overlap.from_settings(read_settings(store))


def lease_next(store: Store, annotator_id: int, lease_seconds: int,
               overlap: Overlap | None = None) -> Leased | None:
    """Lease the next item to the annotator, or None when nothing is left for them (`overlap`:
    the settings in force, read from the store when not given).

    Candidates are read outside any write transaction. Callers in flight at the same time start
    at different candidates (the k-th concurrent caller at the k-th), so a crowd of annotators
    does not queue on the top item; a lone annotator always gets the best one. One short write
    transaction tries a batch of candidates in turn. On PostgreSQL it only tries each item's lock
    and passes over the items being claimed by others (`busy`); never waiting, it cannot
    deadlock. Only when nothing else is left are the passed-over items claimed waiting for their
    locks, each in a transaction of its own (PostgreSQL locks a conflicting lease row even when
    the upsert's WHERE refuses it, so a waiting claim holds nothing else)."""
    overlap = overlap_now(store) if overlap is None else overlap
    busy: list = []
    with _in_flight(store) as order:
        with store.connect() as conn:  # the lease held, else the first candidates
            held = _held(conn, annotator_id, utcnow(), overlap)
            if held is not None:
                return held
            first = _candidates(conn, annotator_id, utcnow(), True, set(), overlap)
        for from_queue in (True, False):
            tried: set[int] = set()
            while True:
                if first is not None:
                    rows, first = first, None
                else:
                    with store.connect() as conn:
                        rows = _candidates(conn, annotator_id, utcnow(), from_queue, tried,
                                           overlap)
                if not rows:
                    break
                k = order % len(rows)
                rows = rows[k:] + rows[:k]
                tried.update(row[0] for row in rows)
                got = _claim_first(store, rows, annotator_id, lease_seconds, overlap,
                                   wait=store.dialect != "postgresql", busy=busy)
                if got is not None:
                    return got
        for row in busy:  # what others were claiming when we looked: wait for each in turn
            got = _claim_first(store, [row], annotator_id, lease_seconds, overlap)
            if got is not None:
                return got
    return None


def _claim_first(store: Store, rows, annotator_id: int, lease_seconds: int,
                 overlap: Overlap, wait: bool = True, busy: list | None = None) -> Leased | None:
    """In one write transaction, claim the first of `rows` still open for the annotator
    (`wait=False`: pass over the items another transaction holds, appending them to `busy`)."""
    with store.write() as s:
        now = utcnow()
        expires = now + timedelta(seconds=lease_seconds)
        for row in rows:
            idx, item_id, score, rank, run_id, prediction = row
            got = claim(s, store.dialect, idx, annotator_id, now, expires, overlap, wait=wait)
            if got:
                return Leased(idx, item_id, expires, score, rank, run_id, prediction)
            if got is BUSY and busy is not None:
                busy.append(row)
    return None  # others were quicker, or labeled them since we looked


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


def _held_statement(single: bool):
    return (
        select(Lease.item_idx, Item.item_id, Lease.expires_at, QueueEntry.score, QueueEntry.rank,
               QueueEntry.run_id, QueueEntry.prediction)
        .join(Item, Item.idx == Lease.item_idx)
        .outerjoin(QueueEntry, QueueEntry.item_idx == Lease.item_idx)
        .where(Lease.annotator_id == _WHO, Lease.expires_at > _NOW,
               *open_conditions(Lease.item_idx, single, held=True))
        .order_by(Lease.leased_at, Lease.item_idx)
        .limit(1)
    )


_HELD = {single: _held_statement(single) for single in (True, False)}


def _held(conn: Connection, annotator_id: int, now: datetime, overlap: Overlap) -> Leased | None:
    params = {"who": annotator_id, "now": now, **({} if overlap.single else overlap.params())}
    row = conn.execute(_HELD[overlap.single], params).first()
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
    with store.connect() as conn:
        row = conn.execute(_HELD_ITEM, {"idx": item_idx, "who": annotator_id,
                                        "now": utcnow()}).first()
    return None if row is None else Leased(*row, resumed=True)


_EXPIRY = select(Lease.expires_at).where(Lease.item_idx == bindparam("idx"),
                                        Lease.annotator_id == bindparam("who"))
_LEASE_EXPIRY = {False: _EXPIRY, True: _EXPIRY.with_for_update()}
_RELEASE = Lease.__table__.delete().where(Lease.__table__.c.item_idx == bindparam("idx"),
                                          Lease.__table__.c.annotator_id == bindparam("who"))


def lease_expiry(s: Session, item_idx: int, annotator_id: int, lock: bool = True) -> datetime | None:
    """When the annotator's lease on the item ends (expired or not), None without one; `lock`:
    lock the lease row for the rest of the write transaction (PostgreSQL)."""
    return s.connection().execute(_LEASE_EXPIRY[lock], {"idx": item_idx,
                                                        "who": annotator_id}).scalar()


def release(s: Session, item_idx: int, annotator_id: int) -> None:
    """Drop the annotator's lease on the item (inside the caller's write transaction)."""
    s.connection().execute(_RELEASE, {"idx": item_idx, "who": annotator_id})


def require_lease(s: Session, who: Principal, item, now: datetime) -> None:
    """Raise `ConflictError` unless `who` holds an unexpired lease on `item` (an `Item` or a row
    with its idx and item_id; locks the lease row for the rest of the write transaction)."""
    expires_at = lease_expiry(s, item.idx, who.id)
    if expires_at is None:
        raise ConflictError(
            f"you hold no lease on item {item.item_id!r}; ask for work with GET /api/next "
            "(an item is labeled by the annotator it was handed to)."
        )
    if expires_at <= now:
        raise ConflictError(
            f"your lease on item {item.item_id!r} expired at {expires_at.isoformat()}Z; "
            "get a fresh item with GET /api/next."
        )


def _candidate_statements(single: bool):
    eligible = [*open_conditions(Item.idx, single),
                Item.idx.not_in(bindparam("tried", expanding=True))]
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


_CANDIDATES = {single: _candidate_statements(single) for single in (True, False)}


def _candidates(conn: Connection, annotator_id: int, now: datetime, from_queue: bool,
                tried: set[int], overlap: Overlap = SINGLE):
    params = {"who": annotator_id, "now": now, "tried": sorted(tried) or [-1], "start": 0,
              **({} if overlap.single else overlap.params())}
    statements = _CANDIDATES[overlap.single]
    if from_queue:
        return conn.execute(statements[True], params).all()
    n_items = _n_items(conn)
    params["start"] = random.randrange(n_items) if n_items else 0
    rows = conn.execute(statements[False], params).all()
    if not rows and params["start"]:
        params["start"] = 0  # wrap around
        rows = conn.execute(statements[False], params).all()
    return rows


_N_ITEMS_SECONDS = 5.0
_n_items_seen: dict[str, tuple[int, float]] = {}  # database URL -> (items, when read)


def _n_items(conn) -> int:
    """How many positions the pool has (where a random scan starts): read at most every few
    seconds per database — a stale answer only narrows where the scan starts, and it wraps."""
    key = str(conn.engine.url)
    seen = _n_items_seen.get(key)
    if seen is not None and seen[1] > time.monotonic() - _N_ITEMS_SECONDS:
        return seen[0]
    n = int(conn.execute(select(func.max(Item.idx))).scalar() or 0) + 1
    _n_items_seen[key] = (n, time.monotonic())
    return n
