"""The request hot path stays cheap: how many statements GET /api/next and POST /api/labels send,
reads outside transactions on PostgreSQL, and a pooled connection that died while idle is
replaced rather than failing a request (the server pings only idle connections)."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import event, select, text

from activelab.service.db import Store
from activelab.service.tables import Item, QueueEntry

# What each request sends (BEGIN/COMMIT aside). GET /api/next with a lease to hand out: the held
# lease and the queue's first candidates (one read), the item lock and the claim (PostgreSQL; a
# single claim on SQLite), the annotator's count. POST /api/labels: the request_id, the item, its
# events, the lease, the insert, the release, the count.
NEXT_STATEMENTS = {"sqlite": 4, "postgresql": 5}
LABEL_STATEMENTS = 7


def _count_statements(store: Store) -> list[str]:
    """The statements `store` sends from now on (SQLite's own BEGIN left out)."""
    seen: list[str] = []

    def note(_conn, _cursor, statement, *_):
        if not statement.startswith("BEGIN"):
            seen.append(statement)

    for engine in {store.engine, store.write_engine, store.durable_engine}:
        event.listen(engine, "before_cursor_execute", note)
    return seen


def test_next_and_label_send_few_statements(api, backend):
    store = api.service.runtime.store
    with store.write() as s:  # a ranked queue, as the worker leaves it
        idx = [i for (i,) in s.execute(select(Item.idx).order_by(Item.idx))]
        s.execute(QueueEntry.__table__.insert(), [
            {"item_idx": i, "rank": r, "run_id": None, "score": None} for r, i in enumerate(idx)])
    api.next()  # warm the caches (token, settings, label set)
    api.label(api.next()["item_id"], "red")
    seen = _count_statements(store)
    item = api.next()
    assert not item["done"]
    assert len(seen) <= NEXT_STATEMENTS[backend], seen
    seen.clear()
    r = api.label(item["item_id"], "red")
    assert r.status_code == 200, r.text
    assert len(seen) <= LABEL_STATEMENTS, seen
    seen.clear()
    assert api.next()["item_id"] != item["item_id"]


def test_a_retried_label_still_finds_its_first_outcome(api):
    """The label path's prebuilt statements keep the request_id guarantee: a retry answers the
    first event (duplicate), a different request under the same id is refused."""
    item = api.next()
    first = api.label(item["item_id"], "red", request_id="rid-hot-1")
    again = api.label(item["item_id"], "red", request_id="rid-hot-1")
    assert first.status_code == again.status_code == 200
    assert again.json()["event_id"] == first.json()["event_id"] and again.json()["duplicate"]
    other = api.label(item["item_id"], "blue", request_id="rid-hot-1")
    assert other.status_code == 409


@pytest.mark.parametrize("backend", ["postgresql"])  # PostgreSQL only: no SQLite run to skip
def test_postgresql_reads_run_outside_a_transaction(pg_server, empty_db_url, backend):
    store = Store(empty_db_url)
    try:
        with store.read() as s:
            s.execute(text("SELECT 1"))
            status = s.connection().connection.dbapi_connection.info.transaction_status
        assert status.name == "IDLE"  # no BEGIN was sent: nothing to roll back
        with store.connect() as conn:
            conn.execute(text("SELECT 1"))
            assert conn.connection.dbapi_connection.info.transaction_status.name == "IDLE"
    finally:
        store.dispose()


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_connection_that_died_while_idle_is_replaced(pg_server, empty_db_url, backend,
                                                       monkeypatch):
    import psycopg

    from activelab.service import db

    monkeypatch.setattr(db, "IDLE_PING_SECONDS", 0.05)
    store = Store(empty_db_url)
    try:
        with store.connect() as conn:
            pid = conn.execute(text("SELECT pg_backend_pid()")).scalar()
        with psycopg.connect(pg_server, autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        time.sleep(0.2)  # idle longer than IDLE_PING_SECONDS: pinged, found dead, replaced
        with store.connect() as conn:
            assert conn.execute(text("SELECT pg_backend_pid()")).scalar() != pid
    finally:
        store.dispose()
