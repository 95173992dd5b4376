"""Storage: migrations, constraints, the derived label state and lease claims, on SQLite and
PostgreSQL."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.exc import IntegrityError

from activelab.service.auth import Principal, add_annotator
from activelab.service.db import Store, normalize_url, utcnow
from activelab.service.labellog import record_label, record_undo
from activelab.service.leases import claim, lease_next
from activelab.service.project import Project, ProjectError
from activelab.service.queries import current_label_event
from activelab.service.runtime import open_store
from activelab.service.tables import Base, Event


@pytest.fixture
def store(project_dir, db_url):
    s = open_store(Project.open(project_dir), db_url)
    yield s
    s.dispose()


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


def test_lease_finds_an_item_queued_after_the_queue_was_read(store, monkeypatch):
    """A retrain can queue every remaining item between lease_next's read of the queue and its
    scan of the pool; the scan must still hand one out (it once answered 'no item')."""
    import activelab.service.leases as leases
    from activelab.service.tables import Item, QueueEntry

    add_annotator(store, "alice")
    with store.write() as s:
        idx = [i for (i,) in s.execute(select(Item.idx))]
        s.execute(insert(QueueEntry), [{"item_idx": i, "rank": r, "run_id": None, "score": None}
                                       for r, i in enumerate(idx)])
    real = leases._candidates

    def stale_queue(s, annotator_id, now, from_queue, tried, *overlap):
        return [] if from_queue else real(s, annotator_id, now, from_queue, tried, *overlap)

    monkeypatch.setattr(leases, "_candidates", stale_queue)
    got = lease_next(store, 1, 600)
    assert got is not None and got.item_idx in idx
