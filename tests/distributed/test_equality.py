"""The exact strategies pick the same ids on a ParquetPool (backend "local" and "ray") as
`activelab.query` on the in-memory pool `pool.to_numpy()`, in the same order."""

from __future__ import annotations

import itertools

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from sklearn.linear_model import LogisticRegression

import activelab
from activelab import ParquetPool
from activelab.backends.ray import release

from ._pools import EXACT, feature_table, make_data, pick_labels, write_shards
from .conftest import BIG_ROWS, Case

BACKENDS = ("local", "ray")


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    if request.param == "ray":
        request.getfixturevalue("ray_session")
    return request.param


def _case(root, *, n, d=12, layout="columns", n_shards=4, row_group_size=1000, seed=0,
          n_labeled=40) -> Case:
    ids, X, y_true = make_data(n, d=d, n_classes=3, seed=seed)
    write_shards(root, ids, X, n_shards=n_shards, row_group_size=row_group_size, layout=layout)
    pool = ParquetPool(root)
    pids, pX = pool.to_numpy()
    return Case(pool, pids, pX, pick_labels(pids, y_true, n_labeled, seed=seed))


# ---- 10^5 rows, every exact strategy, both backends -------------------------------------------

@pytest.mark.parametrize("strategy", EXACT)
def test_big_pool_matches_in_memory(big_case, backend, strategy):
    assert big_case.pool.n_rows == BIG_ROWS and len(big_case.pool.pieces) == 5
    kw = {"strategy": strategy, "batch_size": 20, "random_state": 7}
    got = activelab.query(big_case.pool, labels=big_case.labels, backend=backend, **kw)
    assert got.dtype == big_case.ids.dtype
    np.testing.assert_array_equal(got, big_case.expected(**kw))


@pytest.mark.parametrize("strategy", ["random", "coreset"])
def test_cold_start_matches_in_memory(big_case, backend, strategy):
    kw = {"strategy": strategy, "batch_size": 15, "random_state": 3}
    got = activelab.query(big_case.pool, labels={}, backend=backend, **kw)
    np.testing.assert_array_equal(got, big_case.expected(labels={}, **kw))


def test_repeated_queries_on_kept_workers_do_not_leak_state(big_case, backend):
    """A second query on the same pool (the Ray actors are reused) with more labels and another
    strategy in between still matches in memory."""
    more = dict(big_case.labels)
    first = activelab.query(big_case.pool, labels=more, strategy="coreset", batch_size=10,
                            random_state=1, backend=backend)
    activelab.query(big_case.pool, labels=more, strategy="badge", batch_size=10,
                    random_state=1, backend=backend)
    for i in first:  # label the first query's picks (any class seen already will do)
        more[i.item()] = 0
    kw = {"strategy": "coreset", "batch_size": 10, "random_state": 1}
    got = activelab.query(big_case.pool, labels=more, backend=backend, **kw)
    np.testing.assert_array_equal(got, big_case.expected(labels=more, **kw))
    assert not set(got.tolist()) & set(more)


# one score strategy and one that reads the model beyond probabilities (suite time)
@pytest.mark.parametrize("strategy", ["margin", "badge"])
@pytest.mark.parametrize("fitted", [False, True], ids=["unfitted", "fitted"])
def test_model_argument_is_used_the_same_way(big_case, backend, strategy, fitted):
    model = LogisticRegression(C=0.3, max_iter=300)
    if fitted:  # fitted on other rows: used as is, never refitted, on both sides
        Xo, yo = make_data(500, d=16, n_classes=4, seed=9)[1:]
        model.fit(Xo, yo)
    kw = {"strategy": strategy, "batch_size": 10, "random_state": 4, "model": model}
    got = activelab.query(big_case.pool, labels=big_case.labels, backend=backend, **kw)
    np.testing.assert_array_equal(got, big_case.expected(**kw))


def test_kept_actors_leave_cpus_for_other_ray_work(ray_session, big_case):
    activelab.query(big_case.pool, labels=big_case.labels, strategy="margin", batch_size=3,
                    backend="ray")
    ref = ray_session.remote(lambda: 1).options(num_cpus=1).remote()
    try:  # held CPUs would leave the task unscheduled for good; 20 s covers a worker's start
        assert ray_session.get(ref, timeout=20) == 1  # on a loaded machine (3 s timed out at load 9)
    finally:
        ray_session.cancel(ref, force=True)


# ---- other pool shapes (one pool per module-scoped fixture: the Ray actors are kept across
# the queries on one pool, a new pool costs new actors) --------------------------------------

@pytest.fixture(scope="module", params=["fixed_list", "list"])
def emb_case(request, tmp_path_factory) -> Case:
    """One list column of 24-dim float32 embeddings: pa.fixed_size_list or a plain list<float>."""
    return _case(tmp_path_factory.mktemp(f"emb_{request.param}"), n=8000, d=24,
                 layout=request.param, n_shards=3, row_group_size=1000, seed=2)


@pytest.mark.parametrize("strategy", ["qbc_kl", "coreset"])
def test_embedding_list_column_matches_in_memory(emb_case, backend, strategy):
    assert emb_case.pool.spec.list_column and emb_case.pool.n_features == 24
    kw = {"strategy": strategy, "batch_size": 12, "random_state": 5}
    got = activelab.query(emb_case.pool, labels=emb_case.labels, backend=backend, **kw)
    np.testing.assert_array_equal(got, emb_case.expected(**kw))


@pytest.fixture(scope="module")
def ray_case(ray_session) -> Case:
    """A pool over a Ray Dataset's blocks (`ray.data.from_arrow` of three tables); the
    `read_parquet` route gives the same kind of pool (blocks as ObjectRefs), at twice the time."""
    # the actors kept from earlier Ray queries hold every CPU, and Ray Data runs tasks
    release()
    ids, X, y_true = make_data(12_000, d=10, n_classes=3, seed=4)
    bounds = [0, 3000, 7000, 12_000]
    ds = ray_session.data.from_arrow(
        [feature_table(ids[a:b], X[a:b]) for a, b in itertools.pairwise(bounds)])
    pool = ParquetPool.from_ray(ds)
    assert len(pool.pieces) == 3
    pids, pX = pool.to_numpy()
    assert sorted(pids.tolist()) == sorted(ids.tolist())
    return Case(pool, pids, pX, pick_labels(ids, y_true, 30, seed=4))


@pytest.mark.parametrize("strategy", ["bald", "badge"])
def test_ray_dataset_pool_matches_in_memory(ray_case, backend, strategy):
    kw = {"strategy": strategy, "batch_size": 10, "random_state": 11}
    got = activelab.query(ray_case.pool, labels=ray_case.labels, backend=backend, **kw)
    np.testing.assert_array_equal(got, ray_case.expected(**kw))


@pytest.fixture(scope="module")
def string_case(tmp_path_factory) -> Case:
    """String ids in random order, three shards of uneven sizes."""
    ids = np.array([f"row-{i:05d}-{(i * 7919) % 1000}" for i in range(6000)], dtype=object)
    ids = ids[np.random.default_rng(0).permutation(ids.shape[0])]
    _, X, y_true = make_data(6000, d=8, n_classes=3, seed=6)
    root = write_shards(tmp_path_factory.mktemp("str"), ids, X, n_shards=3, row_group_size=700,
                        sizes=[500, 4100, 1400])
    pool = ParquetPool(root)
    pids, pX = pool.to_numpy()
    return Case(pool, pids, pX, pick_labels(pids, y_true, 25, seed=6))


@pytest.mark.parametrize("strategy", ["margin", "coreset"])
def test_string_ids_and_uneven_shards_match_in_memory(string_case, backend, strategy):
    kw = {"strategy": strategy, "batch_size": 8, "random_state": 2}
    got = activelab.query(string_case.pool, labels=string_case.labels, backend=backend, **kw)
    assert all(isinstance(i, str) for i in got)
    np.testing.assert_array_equal(got, string_case.expected(**kw))


def test_global_order_is_files_sorted_by_path_then_row_groups(tmp_path):
    """Files are ordered by path (nested folders included), whatever order they were written in."""
    ids, X, _ = make_data(90, d=3, seed=10)
    layout = {"b/part-1.parquet": slice(60, 90), "a/z.parquet": slice(30, 60),
              "a/m.parquet": slice(0, 30)}  # written in reverse of the sorted order
    for name, sl in layout.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        pq.write_table(feature_table(ids[sl], X[sl]), tmp_path / name, row_group_size=7)
    pool = ParquetPool(tmp_path)
    assert [p.source for p in pool.pieces] == sorted(p.source for p in pool.pieces)
    assert [p.offset for p in pool.pieces] == [0, 30, 60]
    assert [len(p.row_groups) for p in pool.pieces] == [5, 5, 5]
    pids, pX = pool.to_numpy()
    np.testing.assert_array_equal(pids, ids)
    np.testing.assert_array_equal(pX, X)


def test_float64_columns_and_numeric_subset(tmp_path):
    """Mixed float32/float64 columns are read as float64; features= picks a subset in its order."""
    ids, X, y_true = make_data(3000, d=4, n_classes=3, seed=12, dtype=np.float64)
    table = pa.table({"id": ids, "a": X[:, 0].astype(np.float32), "b": X[:, 1], "c": X[:, 2],
                      "skip": np.array(["x"] * 3000), "d": X[:, 3]})
    pq.write_table(table, tmp_path / "one.parquet", row_group_size=400)
    pool = ParquetPool(tmp_path, features=["d", "a", "c"])
    pids, pX = pool.to_numpy()
    assert pX.dtype == np.float64 and pX.shape == (3000, 3)
    np.testing.assert_array_equal(pX[:, 1], X[:, 0].astype(np.float32).astype(np.float64))
    labels = pick_labels(pids, y_true, 20, seed=12)
    case = Case(pool, pids, pX, labels)
    for strategy in ("margin", "coreset", "badge"):
        kw = {"strategy": strategy, "batch_size": 6, "random_state": 0}
        np.testing.assert_array_equal(
            activelab.query(pool, labels=labels, **kw), case.expected(**kw))
