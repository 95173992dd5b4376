"""Fixtures of the distributed tests: one local Ray for the session, and Parquet pools."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
import pytest

pytest.importorskip("pyarrow")

from activelab import ParquetPool

from ._pools import in_memory_ids, make_data, pick_labels, write_shards

BIG_ROWS = 100_000


@pytest.fixture(scope="session")
def ray_session():
    """A single-node Ray with 2 CPUs, started once for the session (the library reuses an
    initialized Ray) and shut down at the end, with the actors the library kept."""
    ray = pytest.importorskip("ray")
    if ray.is_initialized():  # pragma: no cover - someone else's Ray: use it, leave it running
        yield ray
        return
    old = os.environ.get("RAY_worker_niceness")
    os.environ["RAY_worker_niceness"] = "0"  # Ray's default 15 starves the actors on a busy machine
    try:
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False,
                 configure_logging=False)
        yield ray
    finally:
        from activelab.backends.ray import release

        release()
        ray.shutdown()
        if old is None:
            os.environ.pop("RAY_worker_niceness", None)
        else:
            os.environ["RAY_worker_niceness"] = old


@dataclass
class Case:
    """A pool on disk with its in-memory twin and its labels; `expected` memoizes the
    in-memory picks (the same for both backends)."""

    pool: ParquetPool
    ids: np.ndarray
    X: np.ndarray
    labels: dict
    _memo: dict = field(default_factory=dict)

    def expected(self, labels=None, **kwargs) -> np.ndarray:
        labels = self.labels if labels is None else labels
        if not all(v is None or isinstance(v, (str, int, float)) for v in kwargs.values()):
            return in_memory_ids(self.ids, self.X, labels, **kwargs)  # a model: not memoized
        key = (tuple(sorted(labels.items())), tuple(sorted(kwargs.items())))
        if key not in self._memo:
            self._memo[key] = in_memory_ids(self.ids, self.X, labels, **kwargs)
        return self._memo[key]


@pytest.fixture(scope="session")
def big_case(tmp_path_factory) -> Case:
    """10^5 rows × 16 float32 columns in 5 shards of 4 row groups each, ids not positions."""
    ids, X, y_true = make_data(BIG_ROWS, d=16, n_classes=4, seed=1)
    root = write_shards(tmp_path_factory.mktemp("big"), ids, X, n_shards=5, row_group_size=5000)
    pool = ParquetPool(root)
    pids, pX = pool.to_numpy()
    assert np.array_equal(pids, ids) and np.array_equal(pX, X)
    return Case(pool, pids, pX, pick_labels(ids, y_true, 80, seed=1))
