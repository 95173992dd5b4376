"""`heap.freeze_startup_heap`: the server's startup heap leaves the GC's full passes (so they
stop stalling requests), without keeping garbage alive; `activelab serve` freezes it before it
serves."""

from __future__ import annotations

import gc
import json
import subprocess
import sys
import textwrap

import pytest
import uvicorn

from activelab.service import init_project, worker_main
from activelab.service.commands import main

from ._data import make_table

_PROBE = textwrap.dedent("""
    import gc, json, weakref
    from activelab.service.heap import freeze_startup_heap

    class Node:
        pass

    def cycle():
        a, b = Node(), Node()
        a.other, b.other = b, a
        return a

    def seen_by_collector(obj):  # gc.get_objects() lists generations 0-2, not the frozen one
        return any(o is obj for o in gc.get_objects())

    gc.disable()  # only our own calls collect: the cycle below is still garbage when we freeze
    garbage = weakref.ref(cycle())  # unreachable, but a cycle: only a collection frees it
    kept = cycle()
    before = gc.get_freeze_count()
    frozen = freeze_startup_heap()
    later = cycle()
    later_garbage = weakref.ref(cycle())
    gc.collect()
    print(json.dumps({"before": before, "frozen": frozen, "garbage_freed": garbage() is None,
                      "kept_frozen": not seen_by_collector(kept),
                      "later_tracked": seen_by_collector(later),
                      "later_garbage_freed": later_garbage() is None}))
""")


def test_the_startup_heap_is_frozen_after_its_garbage_is_collected():
    out = subprocess.run([sys.executable, "-c", _PROBE], capture_output=True, text=True,
                         timeout=120, check=True)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["before"] == 0 and got["frozen"] > 0, got
    assert got["garbage_freed"], "a garbage cycle was frozen instead of freed"
    assert got["kept_frozen"], "an object alive at the freeze is still in the collected generations"
    # what is made afterwards stays with the collector, and its garbage is still freed
    assert got["later_tracked"] and got["later_garbage_freed"], got


def test_serve_freezes_the_heap_before_serving(tmp_path, image_dir, monkeypatch, capsys):
    proj = tmp_path / "p"
    assert main(["init", str(proj), "--data", str(image_dir), "--labels", "red,blue"]) == 0
    seen = {}

    def fake_run(app, **kwargs):  # what the server would start with
        seen["frozen"] = gc.get_freeze_count()

    monkeypatch.setattr(uvicorn, "run", fake_run)
    try:
        assert main(["serve", str(proj)]) == 0
    finally:
        gc.unfreeze()  # give this test process its heap back
    assert seen["frozen"] > 0
    capsys.readouterr()


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_worker_freezes_its_heap_once_it_holds_the_pool_and_the_model(
        tmp_path, db_url, backend, monkeypatch):
    """`serve_worker` freezes after building its `RetrainWorker` (the pool and the modeling
    stack loaded), before its first retrain; a parent that is not ours ends its loop at once."""
    data = make_table(tmp_path / "pool.csv", n=60)
    init_project(tmp_path / "proj", data=data, labels="a,b", db_url=db_url, model="logreg")
    calls = []
    monkeypatch.setattr(worker_main, "freeze_startup_heap",
                        lambda: calls.append("sklearn" in sys.modules) or 0)
    assert worker_main.serve_worker(tmp_path / "proj", db_url, 0.05, parent=-1) == 0
    assert calls == [True]
