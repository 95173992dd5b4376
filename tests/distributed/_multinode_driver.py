"""Driver of the multi-node test, run in its own process (the test process already holds a
local Ray): ``python _multinode_driver.py ADDRESS POOL_DIR LABELS_JSON RECORD_DIR``.

Queries the pool through `ray_address` and prints one JSON line: each strategy's distributed
and in-memory ids, the cluster's alive node ids, and (pid, node id) of every process that
scored a block — a margin strategy that records where it runs, so the test sees the actors'
nodes through the public strategy seam alone.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import numpy as np

import activelab
from activelab import UNLABELED, ParquetPool
from activelab.strategies.uncertainty import MarginSampling


class WhereMargin(MarginSampling):
    """Margin sampling that leaves a file named ``<pid>_<node id>`` in `record_dir` each time it
    scores in a Ray process (this module runs as __main__, so Ray ships the class by value)."""

    def __init__(self, record_dir: str = "") -> None:
        super().__init__()
        self.record_dir = record_dir

    def scores(self, ctx):
        import ray

        if self.record_dir and ray.is_initialized():
            node = ray.get_runtime_context().get_node_id()
            # the process's session, read now: the actors stop when the query ends
            Path(self.record_dir, f"{os.getpid()}_{node}_{os.getsid(0)}").touch()
        return super().scores(ctx)


def main(address: str, pool_dir: str, labels_json: str, record_dir: str) -> None:
    pool = ParquetPool(pool_dir)
    labels = {int(k): v for k, v in json.loads(Path(labels_json).read_text()).items()}
    ids, X = pool.to_numpy()
    where = {k: i for i, k in enumerate(ids.tolist())}
    y = np.full(ids.shape[0], UNLABELED)
    for k, v in labels.items():
        y[where[k]] = v
    # connect as the Ray backend does for ray_address (reachability check, then ray.init), and
    # wait until the second node has registered: the backend sizes its actors by the cluster's
    # CPUs when it starts
    import ray

    from activelab.backends.ray import start_ray

    start_ray(address)
    end = time.monotonic() + 60
    while ray.cluster_resources().get("CPU", 0) < 2 and time.monotonic() < end:
        time.sleep(0.2)
    out = {"driver_pid": os.getpid(), "picks": {}}
    for name in ("margin", "coreset", "badge"):
        kw = {"batch_size": 12, "random_state": 21}
        strategy = WhereMargin(record_dir) if name == "margin" else name
        expected = ids[activelab.query(X, y, strategy=name, **kw)]
        got = activelab.query(pool, labels=labels, strategy=strategy, backend="ray",
                              ray_address=address, **kw)
        out["picks"][name] = [got.tolist(), expected.tolist()]
    out["cluster_cpus"] = ray.cluster_resources().get("CPU")
    out["alive_nodes"] = sorted(n["NodeID"] for n in ray.nodes() if n["Alive"])
    recorded = sorted(os.listdir(record_dir))  # pid_node_session of each scoring process
    out["scored_in"] = sorted({"_".join(f.split("_")[:2]) for f in recorded})
    out["scored_in_sessions"] = sorted({int(f.split("_")[2]) for f in recorded})
    print("RESULT " + json.dumps(out), flush=True)
    from activelab.backends.ray import release

    release()
    ray.shutdown()


if __name__ == "__main__":
    main(*sys.argv[1:5])
