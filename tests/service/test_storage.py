"""Storage: migrations, constraints, the derived label state and lease claims, on SQLite and
PostgreSQL."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from activelab.service.auth import Principal, add_annotator
from activelab.service.db import Store, normalize_url, utcnow
from activelab.service.labellog import record_label, record_undo
from activelab.service.leases import _CLAIM_LOCK, claim, lease_next
from activelab.service.project import Project, ProjectError
from activelab.service.queries import current_label_event
from activelab.service.runtime import open_store
from activelab.service.tables import Base, Event, Item, QueueEntry


def test_migrations_create_exactly_the_models(empty_db_url):
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    store = Store(empty_db_url)
    try:
        store.upgrade()
        store.upgrade()  # idempotent
        with store.engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
            version = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
        assert diff == []
        assert version == "0009"
    finally:
        store.dispose()


def test_sqlite_runs_wal_with_foreign_keys(tmp_path):
    store = Store(f"sqlite:///{tmp_path / 'x.db'}")
    try:
        store.upgrade()
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        with store.durable_engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2  # FULL
    finally:
        store.dispose()


def _event(**kw):
    base = dict(request_id=uuid.uuid4().hex, kind="label", item_idx=0, annotator_id=1,
                label="red", created_at=utcnow())
    base.update(kw)
    return Event(**base)


def test_constraints_hold(store):
    add_annotator(store, "alice")
    with store.write() as s:
        s.add(_event(request_id="same-id-1"))
    for bad in (dict(item_idx=10_000), dict(annotator_id=99), dict(kind="delete"),
                dict(request_id="same-id-1")):
        with pytest.raises(IntegrityError):
            with store.write() as s:
                s.add(_event(**bad))


def test_derived_state_follows_the_log(store):
    add_annotator(store, "alice")
    who = Principal(1, "alice", False)
    leased = lease_next(store, who.id, 600)
    labels = ["red", "blue"]
    record_label(store, who, leased.item_id, "red", "req-00001", labels)
    record_label(store, who, leased.item_id, "blue", "req-00002", labels)  # relabel
    with store.read() as s:
        assert current_label_event(s, leased.item_idx).label == "blue"
    record_undo(store, who, "req-00003", 600)  # undoes the relabel
    with store.read() as s:
        assert current_label_event(s, leased.item_idx).label == "red"
    record_undo(store, who, "req-00004", 600)  # undoes the label
    with store.read() as s:
        assert current_label_event(s, leased.item_idx) is None
        kinds = [k for (k,) in s.execute(text("SELECT kind FROM events ORDER BY id"))]
    assert kinds == ["label", "relabel", "undo", "undo"]


def test_claim_is_exclusive_until_expiry(store):
    add_annotator(store, "alice")
    add_annotator(store, "bob")
    now = utcnow()
    with store.write() as s:
        assert claim(s, store.dialect, 3, 1, now, now + timedelta(seconds=60))
    with store.write() as s:
        assert not claim(s, store.dialect, 3, 2, now, now + timedelta(seconds=60))
        assert claim(s, store.dialect, 3, 1, now, now + timedelta(seconds=90))  # renewal
    later = now + timedelta(seconds=120)
    with store.write() as s:
        assert claim(s, store.dialect, 3, 2, later, later + timedelta(seconds=60))


def test_a_database_serves_one_project(project_dir, db_url, tmp_path, image_dir):
    import json
    import shutil

    store = open_store(Project.open(project_dir), db_url)
    store.dispose()
    other = tmp_path / "other"
    shutil.copytree(project_dir, other)
    cfg = json.loads((other / "project.json").read_text())
    cfg["name"] = "other"
    (other / "project.json").write_text(json.dumps(cfg))
    with pytest.raises(ProjectError, match="belongs to project 'proj'"):
        open_store(Project.open(other), db_url)


def test_database_urls():
    assert normalize_url("postgresql://u:p@h/db") == "postgresql+psycopg://u:p@h/db"
    assert normalize_url("postgres://u@h/db") == "postgresql+psycopg://u@h/db"
    with pytest.raises(ProjectError, match="not a database URL"):
        Store("nonsense")
    with pytest.raises(ProjectError, match="unsupported database"):
        Store("mysql://u@h/db")


def test_unreachable_postgres_is_one_clear_error():
    store = Store("postgresql://nobody:secret@127.0.0.1:1/none")
    with pytest.raises(ProjectError) as err:
        store.upgrade()
    msg = str(err.value)
    assert "cannot open the database" in msg and "secret" not in msg and "\n" not in msg


def _queue_all(store) -> list[int]:
    """Queue every item in idx order (rank = position); returns the idx in rank order."""
    with store.write() as s:
        idx = sorted(i for (i,) in s.execute(select(Item.idx)))
        s.execute(insert(QueueEntry), [{"item_idx": i, "rank": r, "run_id": None, "score": None}
                                       for r, i in enumerate(idx)])
    return idx


def test_lease_finds_an_item_queued_after_the_queue_was_read(store, monkeypatch):
    """A retrain can queue every remaining item between lease_next's read of the queue and its
    scan of the pool; the scan must still hand one out (it once answered 'no item')."""
    import activelab.service.leases as leases

    add_annotator(store, "alice")
    idx = _queue_all(store)
    real = leases._candidates

    def stale_queue(s, annotator_id, now, from_queue, tried, *overlap):
        return [] if from_queue else real(s, annotator_id, now, from_queue, tried, *overlap)

    monkeypatch.setattr(leases, "_candidates", stale_queue)
    got = lease_next(store, 1, 600)
    assert got is not None and got.item_idx in idx


def _skip(store, annotator_id: int, items) -> None:
    """Log a skip of each of `items` by the annotator."""
    now = utcnow()
    with store.write() as s:
        s.execute(insert(Event), [{"request_id": uuid.uuid4().hex, "kind": "skip", "item_idx": i,
                                   "annotator_id": annotator_id, "created_at": now} for i in items])


def _lease_in_thread(store, annotator_id: int):
    """Run `lease_next` in a thread; returns (thread, result box)."""
    box: dict = {}

    def run():
        try:
            box["got"] = lease_next(store, annotator_id, 600)
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            box["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, box


def _hold_claim_lock(conn, item_idx: int) -> None:
    """Take the claim lock of `item_idx` in `conn`'s transaction, as a concurrent claim does."""
    conn.execute(text("SELECT pg_advisory_xact_lock(:c, :i)"), {"c": _CLAIM_LOCK, "i": item_idx})


@pytest.mark.parametrize("backend", ["postgresql"])  # the claim locks are PostgreSQL's
def test_an_item_being_claimed_is_passed_over_not_waited_for(store, backend):
    """While another transaction holds the best item's claim, the caller gets the next item
    without waiting for it (the holder keeps its lock until the caller has answered)."""
    add_annotator(store, "alice")
    ranked = _queue_all(store)
    with store.engine.connect() as other:
        _hold_claim_lock(other, ranked[0])
        thread, box = _lease_in_thread(store, 1)
        thread.join(60)  # waiting for the lock would hang until `other` ends: after the join
        assert not thread.is_alive(), "lease_next waited for an item another caller was claiming"
        other.rollback()
    assert "error" not in box, box.get("error")
    assert box["got"] is not None and box["got"].item_idx == ranked[1]


@pytest.mark.parametrize("backend", ["postgresql"])
def test_an_item_passed_over_is_waited_for_when_nothing_else_is_open(store, backend):
    """The last open item, held by a claim that then gives it up, is still handed out: the
    caller waits for it rather than answering that nothing is left."""
    add_annotator(store, "alice")
    ranked = _queue_all(store)
    _skip(store, 1, ranked[:-1])  # alice skipped every item but the last
    with store.engine.connect() as other:
        _hold_claim_lock(other, ranked[-1])
        thread, box = _lease_in_thread(store, 1)
        time.sleep(0.5)  # let it find the item taken (an early answer would be None below)
        other.rollback()  # the other claim gave up: the item is open again
        thread.join(60)
    assert not thread.is_alive() and "error" not in box, box.get("error")
    assert box["got"] is not None and box["got"].item_idx == ranked[-1]


@pytest.mark.parametrize("backend", ["postgresql"])
def test_an_item_claimed_meanwhile_is_not_handed_out_twice(store, backend):
    """The last open item, claimed by another annotator while the caller waited for it, is not
    handed to the caller too: the caller hears that nothing is left."""
    add_annotator(store, "alice")
    add_annotator(store, "bob")
    ranked = _queue_all(store)
    _skip(store, 1, ranked[:-1])
    with store.engine.connect() as other:  # bob's claim, committed only after alice looked
        _hold_claim_lock(other, ranked[-1])
        thread, box = _lease_in_thread(store, 1)
        time.sleep(0.5)
        with Session(bind=other) as s:
            assert claim(s, store.dialect, ranked[-1], 2, utcnow(),
                         utcnow() + timedelta(seconds=600), wait=False) is True
        other.commit()
        thread.join(60)
    assert not thread.is_alive() and "error" not in box, box.get("error")
    assert box["got"] is None
