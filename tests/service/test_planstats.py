"""The worker keeps PostgreSQL's planner statistics in step with the label log (planstats)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import insert, text

from activelab.service.auth import add_annotator
from activelab.service.db import utcnow
from activelab.service.planstats import CHURNING, PlannerStats
from activelab.service.tables import Event


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _log_events(store, n: int) -> None:
    now = utcnow()
    with store.write() as s:
        s.execute(insert(Event), [{"request_id": uuid.uuid4().hex, "kind": "skip", "item_idx": 0,
                                   "annotator_id": 1, "created_at": now} for _ in range(n)])


def _recorded_rows(store, table: str) -> float:
    with store.engine.connect() as conn:
        return conn.execute(text("SELECT reltuples FROM pg_class WHERE relname = :t"),
                            {"t": table}).scalar()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_sqlite_needs_nothing(store, backend):
    assert PlannerStats().refresh(store) == []


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_grown_log_is_analyzed_and_the_rest_waits_for_its_turn(store, backend):
    add_annotator(store, "alice")
    clock = Clock()
    stats = PlannerStats(min_seconds=5.0, clock=clock)
    first = stats.refresh(store)
    vacuums = [f"VACUUM (ANALYZE, TRUNCATE false) {t}" for t in CHURNING]
    assert [s for s in first if s.startswith("VACUUM")] == vacuums
    _log_events(store, 3000)  # many pages more than the statistics say
    clock.now = 1.0
    assert stats.refresh(store) == []  # too soon
    clock.now = 6.0
    ran = stats.refresh(store)
    assert "ANALYZE events" in ran
    assert _recorded_rows(store, "events") == pytest.approx(3000, rel=0.05)
    clock.now = 12.0
    assert "ANALYZE events" not in stats.refresh(store)  # analyzed since: not grown by a fifth
    _log_events(store, 1500)
    clock.now = 18.0
    assert "ANALYZE events" in stats.refresh(store)
    assert _recorded_rows(store, "events") == pytest.approx(4500, rel=0.05)


@pytest.mark.parametrize("backend", ["postgresql"])
def test_the_worker_refreshes_after_a_retrain_and_survives_a_failure(store, backend, caplog):
    import numpy as np

    from activelab.service.worker import RetrainWorker

    worker = RetrainWorker(store, np.random.default_rng(0).normal(size=(12, 3)), ["red", "blue"])
    calls = []
    worker.planner.refresh = lambda s: calls.append(s) or []
    worker.run_once(force=True)
    assert calls == [store]

    def broken(s):
        raise RuntimeError("no permission")

    worker.planner.refresh = broken
    assert worker.run_once(force=True) is not None  # the retrain still counts
    assert "refreshing the planner statistics failed" in caplog.text
