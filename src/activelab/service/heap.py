"""Keep the garbage collector's full passes off the server's request path.

CPython's full (generation 2) collection walks every container object alive, holding the GIL:
in `activelab serve` that is ~1.8·10⁵ objects of imported modules, the app and the project's
items before the first request, and more with every item of a large pool. Measured under 200
annotators on PostgreSQL (benchmarks/service_load.py, 2026-12-02): a full pass every ~7 s took
150–170 ms, collected nothing, and stalled every request in flight. `freeze_startup_heap` moves
what is alive once the server is built into the permanent generation, which collections skip:
the same passes then took 2–25 ms (the retrain worker's: 140–300 ms before, 5–24 ms after).
An object alive at the freeze that later becomes garbage in a reference cycle is never freed,
so freeze once, after loading what the process keeps for its whole life.
"""

from __future__ import annotations

import gc


def freeze_startup_heap() -> int:
    """Collect once (so no garbage is kept), then freeze every object alive now: later
    collections look only at objects made since. Returns how many objects are frozen. Call it
    once, when a long-running process has loaded what it keeps for its whole life."""
    gc.collect()
    gc.freeze()
    return gc.get_freeze_count()
