"""Invariants of a ParquetPool query on small random pools (local backend): exactly batch_size
distinct ids, none labeled, all in the pool; the same ids for the same seed; and, split over
several local workers, the same ids as in memory (the merge logic Ray runs, without Ray)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import activelab
import activelab.distributed.query as dq
from activelab import ParquetPool
from activelab.backends import LocalBackend
from activelab.strategies import ScoreStrategy

from ._pools import EXACT, in_memory_ids, make_data, pick_labels, write_shards

_COUNTER = itertools.count()
SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


ANY_ROUNDING = st.sampled_from([None, 0, 1])


@st.composite
def pools(draw, ties=ANY_ROUNDING):
    """Parameters of a small pool: 30–300 rows in 1–4 shards, small row groups, 2–3 classes,
    float32 or float64, features rounded to `decimals` (repeated rows, tied scores) or not."""
    return {
        "n": draw(st.integers(30, 300)),
        "n_shards": draw(st.integers(1, 4)),
        "row_group_size": draw(st.integers(5, 80)),
        "d": draw(st.integers(1, 6)),
        "n_classes": draw(st.integers(2, 3)),
        "n_labeled": draw(st.integers(6, 20)),
        "decimals": draw(ties),
        "dtype": draw(st.sampled_from([np.float32, np.float64])),
        "seed": draw(st.integers(0, 2**16)),
    }


def _build(tmp_path_factory, p):
    ids, X, y_true = make_data(p["n"], d=p["d"], n_classes=p["n_classes"], seed=p["seed"],
                               dtype=p["dtype"], decimals=p["decimals"])
    if np.unique(y_true).shape[0] < 2:  # a model needs two classes among the labels
        y_true[: p["n"] // 2] = 0
        y_true[p["n"] // 2:] = 1
    root = write_shards(tmp_path_factory.mktemp(f"h{next(_COUNTER)}"), ids, X,
                        n_shards=p["n_shards"], row_group_size=p["row_group_size"])
    return ParquetPool(root), ids, X, pick_labels(ids, y_true, p["n_labeled"], seed=p["seed"])


@SETTINGS
@given(p=pools(), strategy=st.sampled_from(EXACT), data=st.data())
def test_batch_is_distinct_unlabeled_pool_ids_and_seeded(tmp_path_factory, p, strategy, data):
    pool, ids, _, labels = _build(tmp_path_factory, p)
    n_cand = p["n"] - len(labels)
    batch_size = data.draw(st.integers(1, min(n_cand, 25)), label="batch_size")
    seed = data.draw(st.integers(0, 2**31 - 1), label="random_state")
    kw = {"labels": labels, "strategy": strategy, "batch_size": batch_size, "random_state": seed}
    got = activelab.query(pool, **kw)
    assert got.shape == (batch_size,)
    assert len(set(got.tolist())) == batch_size
    assert not set(got.tolist()) & set(labels)
    assert set(got.tolist()) <= set(ids.tolist())
    np.testing.assert_array_equal(activelab.query(pool, **kw), got)


class _SplitLocal(LocalBackend):
    """The local backend with `k` workers (in this process, called in turn): the driver's
    merge of per-worker results — top-k with ties, k-center bounds, BADGE's chained sums —
    runs as on a k-CPU Ray cluster."""

    def __init__(self, k: int) -> None:
        self.k = k

    def n_workers(self, n_pieces: int) -> int:
        return self.k


def _query_on_k_workers(k, pool, **kw):
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(dq, "get_backend", lambda *a, **_: _SplitLocal(k))
        return activelab.query(pool, **kw)


# continuous features only: on repeated rows, scores tie exactly in memory but not always in
# blocks (see test_duplicate_rows_score_as_in_memory, xfail); ties are tested just below
@SETTINGS
@given(p=pools(ties=st.none()), strategy=st.sampled_from(EXACT), k=st.integers(1, 5),
       data=st.data())
def test_several_workers_pick_as_in_memory(tmp_path_factory, p, strategy, k, data):
    pool, _, _, labels = _build(tmp_path_factory, p)
    if strategy in ("random", "coreset") and data.draw(st.booleans(), label="cold start"):
        labels = {}
    n_cand = p["n"] - len(labels)
    batch_size = data.draw(st.integers(1, min(n_cand, 25)), label="batch_size")
    kw = {"strategy": strategy, "batch_size": batch_size,
              "random_state": data.draw(st.integers(0, 2**31 - 1), label="random_state")}
    expected = in_memory_ids(*pool.to_numpy(), labels, **kw)
    np.testing.assert_array_equal(_query_on_k_workers(k, pool, labels=labels, **kw), expected)


class CoarseFirstFeature(ScoreStrategy):
    """A user's row-wise score with many exact ties, computed element by element (the same bits
    in any block layout): the first feature rounded down to halves."""

    name = "coarse_first_feature"
    needs_model = False
    distributed = "scores"

    def scores(self, ctx):
        return np.floor(2.0 * np.asarray(ctx.X, dtype=np.float64)[ctx.candidate_idx, 0])


@SETTINGS
@given(p=pools(ties=st.just(None)), k=st.integers(1, 5), data=st.data())
def test_tied_scores_are_broken_as_in_memory(tmp_path_factory, p, k, data):
    """Ties at the k-th score spread over several workers: the same rng draws pick the same
    rows, in the same order, as `top_k` over the whole pool."""
    pool, _, _, labels = _build(tmp_path_factory, p)
    n_cand = p["n"] - len(labels)
    kw = {"strategy": CoarseFirstFeature(),
              "batch_size": data.draw(st.integers(1, min(n_cand, 40)), label="batch_size"),
              "random_state": data.draw(st.integers(0, 2**31 - 1), label="random_state")}
    expected = in_memory_ids(*pool.to_numpy(), labels, **kw)
    np.testing.assert_array_equal(_query_on_k_workers(k, pool, labels=labels, **kw), expected)


_TIES = {"n": 60, "n_shards": 3, "row_group_size": 9, "d": 3, "n_classes": 3, "n_labeled": 9, "decimals": 1,
             "dtype": np.float32, "seed": 5}


@pytest.mark.parametrize("strategy", EXACT)
def test_every_candidate_when_batch_size_is_all_of_them(tmp_path_factory, strategy):
    pool, ids, _, labels = _build(tmp_path_factory, _TIES)
    kw = {"strategy": strategy, "batch_size": 51, "random_state": 0}
    got = activelab.query(pool, labels=labels, **kw)
    assert sorted(got.tolist()) == sorted(set(ids.tolist()) - set(labels))
    np.testing.assert_array_equal(got, in_memory_ids(*pool.to_numpy(), labels, **kw))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_featurizer_standardizes_like_memory(tmp_path, dtype):
    from activelab._features import standardized  # what PoolContext.features uses
    from activelab.distributed.query import _featurizer
    from activelab.distributed.worker import ShardWorker

    ids, X, _ = make_data(60, d=3, seed=5, dtype=dtype, decimals=1)
    pool = ParquetPool(write_shards(tmp_path, ids, X, n_shards=1, row_group_size=60))
    worker = ShardWorker(pool.pieces, pool.spec, 65536, 0)
    featurize = _featurizer(LocalBackend(), [worker], None, None)
    np.testing.assert_array_equal(featurize(X), standardized(X))


@pytest.mark.xfail(strict=True, reason=(
    "BUG: scores are computed per block (a worker's Parquet batch) and float32 GEMM results "
    "depend on the block's shape: two identical rows score the same in memory but one ulp apart "
    "in blocks, so tied rows come out in another order (the 19th and 20th picks swap here)."))
@pytest.mark.parametrize("strategy", ["least_confidence", "margin", "entropy"])
def test_duplicate_rows_score_as_in_memory(tmp_path, strategy):
    ids, X, y_true = make_data(91, d=4, n_classes=2, seed=3978, decimals=0)  # float32, rounded
    pool = ParquetPool(write_shards(tmp_path, ids, X, n_shards=1, row_group_size=5))
    labels = pick_labels(ids, y_true, 13, seed=3978)
    kw = {"strategy": strategy, "batch_size": 20, "random_state": 0}
    np.testing.assert_array_equal(activelab.query(pool, labels=labels, **kw),
                                  in_memory_ids(*pool.to_numpy(), labels, **kw))
