"""Keep PostgreSQL's planner statistics in step with a label log that grows fast.

The request path runs prepared statements; PostgreSQL caches a generic plan for each after a few
runs and keeps it until the statistics of its tables change. Autovacuum refreshes them at most
once a minute, after a table changed by a tenth. A new project's log grows from nothing by
hundreds of events a second under a crowd, so a plan cached while `events` held a hundred rows —
a nested loop over every undo event for every event — turned quadratic within half a minute:
measured, 200 annotators went from p99 0.2 s to 2 s mid-run and stayed there. The retrain worker
(off the request path) calls `PlannerStats.refresh` after each retrain, at most every few
seconds: ``ANALYZE`` of a table that grew by a fifth since its last one, and ``VACUUM (ANALYZE)``
of the queue and the leases, which the worker and every label rewrite (without giving their
empty tail pages back: that takes a lock every request would queue behind, which stalled
200 annotators for up to 2.7 s). SQLite keeps no such plans: a no-op.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from sqlalchemy import text

log = logging.getLogger("activelab.service.planstats")

GROWING = ("events", "items")  # tables that only grow: analyzed as they do
CHURNING = ("queue", "leases")  # rewritten all the time: vacuumed and analyzed on a clock
GROWTH = 1.2  # analyze a growing table once it spans a fifth more pages than at its last analyze
MIN_SECONDS = 5.0  # at most this often

_SIZES = text(
    "SELECT c.relname, c.relpages, pg_relation_size(c.oid) / current_setting('block_size')::int "
    "FROM pg_class c WHERE c.relkind = 'r' AND c.relname = ANY(:tables) "
    "AND c.relnamespace = current_schema()::regnamespace")


class PlannerStats:
    """When the planner statistics of a PostgreSQL store were last refreshed (one per worker;
    `clock` for tests). A table's growth is read against the size PostgreSQL recorded at its last
    analyze or vacuum (``pg_class.relpages``), so autovacuum's work counts too."""

    def __init__(self, min_seconds: float = MIN_SECONDS, growth: float = GROWTH,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.min_seconds = min_seconds
        self.growth = growth
        self.clock = clock
        self.last: float | None = None

    def refresh(self, store) -> list[str]:
        """Refresh what is due; returns the statements run (none on SQLite, or too soon)."""
        if store.dialect != "postgresql":
            return []
        now = self.clock()
        if self.last is not None and now - self.last < self.min_seconds:
            return []
        self.last = now
        with store.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            sizes = conn.execute(_SIZES, {"tables": list(GROWING)}).all()
            ran = [f"ANALYZE {name}" for name, recorded, pages in sorted(sizes)
                   if pages >= recorded * self.growth + 1]
            ran += [f"VACUUM (ANALYZE, TRUNCATE false) {name}" for name in CHURNING]
            for statement in ran:
                conn.execute(text(statement))
        log.debug("planner statistics refreshed: %s", "; ".join(ran))
        return ran
