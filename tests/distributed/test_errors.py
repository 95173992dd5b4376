"""Bad input to a ParquetPool query fails with activelab's own errors, whose messages name the
problem: broken or mismatched shards, duplicate or unknown ids, NaN, bad arguments."""

from __future__ import annotations

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

import activelab
from activelab import (
    ActiveLabError,
    BatchSizeError,
    InvalidInputError,
    ParquetPool,
    UnknownNameError,
)

from ._pools import feature_table, make_data, pick_labels, write_shards


def _small(root, n_shards=3):
    """(pool, labels, root) of 400 rows in `n_shards` shards of 50-row groups."""
    ids, X, y_true = make_data(400, d=5, n_classes=3, seed=0)
    root = write_shards(root, ids, X, n_shards=n_shards, row_group_size=50)
    return ParquetPool(root), pick_labels(ids, y_true, 12), root


@pytest.fixture
def small(tmp_path):
    return _small(tmp_path / "pool")




# ---- shards ----------------------------------------------------------------------------------

@pytest.mark.parametrize("n_shards", [3, 8])
def test_shard_deleted_after_the_pool_was_made(tmp_path, n_shards):
    pool, labels, root = _small(tmp_path, n_shards)
    sorted(root.glob("*.parquet"))[1].unlink()
    with pytest.raises(InvalidInputError, match=r"shard .*part-001\.parquet is missing"):
        activelab.query(pool, labels=labels, strategy="margin", batch_size=3)


def test_shard_deleted_after_a_successful_query(tmp_path):
    """The id index is cached on the pool; a file removed later is still noticed."""
    pool, labels, root = _small(tmp_path, 8)
    activelab.query(pool, labels=labels, strategy="margin", batch_size=3)
    (root / "part-002.parquet").unlink()
    with pytest.raises(InvalidInputError, match=r"part-002\.parquet is missing"):
        activelab.query(pool, labels=labels, strategy="margin", batch_size=3)


@pytest.mark.parametrize("n_shards", [3, 8])
def test_shard_corrupted_after_the_pool_was_made(tmp_path, n_shards):
    """Only metadata is read at construction; a file overwritten later fails at the query."""
    pool, labels, root = _small(tmp_path, n_shards)
    (root / "part-000.parquet").write_bytes(b"garbage" * 100)
    with pytest.raises(InvalidInputError, match=r"part-000\.parquet cannot be read"):
        activelab.query(pool, labels=labels, strategy="margin", batch_size=3)


def test_missing_path():
    with pytest.raises(InvalidInputError, match="no such file or directory"):
        ParquetPool("/nonexistent/activelab/pool")


def test_missing_file_in_a_list(small, tmp_path):
    _, _, root = small
    files = sorted(str(f) for f in root.glob("*.parquet")) + [str(tmp_path / "nope.parquet")]
    with pytest.raises(InvalidInputError, match=r"nope\.parquet is missing"):
        ParquetPool(files)


@pytest.mark.parametrize("garbage", [b"", b"not a parquet file at all" * 40,
                                     b"PAR1" + bytes(range(256)) * 4 + b"PAR1"])
def test_corrupt_shard_at_construction(small, garbage):
    _, _, root = small
    (root / "part-001.parquet").write_bytes(garbage)
    with pytest.raises(InvalidInputError, match=r"part-001\.parquet is not a readable Parquet file"):
        ParquetPool(root)


def test_different_column_sets_between_shards(tmp_path):
    ids, X, _ = make_data(60, d=4, seed=1)
    pq.write_table(feature_table(ids[:30], X[:30]), tmp_path / "a.parquet")
    pq.write_table(feature_table(ids[30:], X[30:, :3]), tmp_path / "b.parquet")
    with pytest.raises(InvalidInputError, match=r"b\.parquet does not match the first shard: "
                                                r"mismatched feature widths"):
        ParquetPool(tmp_path)


def test_different_column_types_between_shards(tmp_path):
    ids, X, _ = make_data(60, d=3, seed=1)
    pq.write_table(feature_table(ids[:30], X[:30]), tmp_path / "a.parquet")
    pq.write_table(feature_table(ids[30:], X[30:].astype(np.float64)), tmp_path / "b.parquet")
    with pytest.raises(InvalidInputError, match=r"b\.parquet does not match the first shard"):
        ParquetPool(tmp_path)


def test_fixed_size_lists_of_different_lengths_between_shards(tmp_path):
    ids, X, _ = make_data(60, d=8, seed=1)
    pq.write_table(feature_table(ids[:30], X[:30], "fixed_list"), tmp_path / "a.parquet")
    pq.write_table(feature_table(ids[30:], X[30:, :6], "fixed_list"), tmp_path / "b.parquet")
    with pytest.raises(InvalidInputError, match=r"mismatched feature widths or types "
                                                r"\(6 × float32 in \['emb'\], first shard 8 ×"):
        ParquetPool(tmp_path)


def test_plain_lists_of_different_lengths_within_a_shard(tmp_path):
    ids, X, y_true = make_data(60, d=8, seed=1)
    values = [list(map(float, row)) for row in X]
    values[17] = values[17][:5]
    pq.write_table(pa.table({"id": ids, "emb": pa.array(values, type=pa.list_(pa.float32()))}),
                   tmp_path / "a.parquet")
    pool = ParquetPool(tmp_path)
    with pytest.raises(InvalidInputError,
                       match=rf"mismatched feature widths: row {ids[17]} has 5 values, others 8"):
        activelab.query(pool, labels=pick_labels(ids, y_true, 6), strategy="margin", batch_size=3)


@pytest.mark.parametrize("strategy", ["margin", "coreset"])
def test_plain_lists_of_different_lengths_between_shards(tmp_path, strategy):
    ids, X, y_true = make_data(100, d=8, seed=1)
    pq.write_table(feature_table(ids[:50], X[:50], "list"), tmp_path / "a.parquet")
    pq.write_table(feature_table(ids[50:], X[50:, :6], "list"), tmp_path / "b.parquet")
    labels = pick_labels(ids, y_true, 8)
    with pytest.raises(InvalidInputError, match="mismatched feature widths"):
        pool = ParquetPool(tmp_path)
        activelab.query(pool, labels=labels, strategy=strategy, batch_size=3)


def test_non_numeric_feature_column(tmp_path):
    ids, X, _ = make_data(20, d=2, seed=1)
    pq.write_table(pa.table({"id": ids, "a": X[:, 0], "name": ["x"] * 20}), tmp_path / "a.parquet")
    with pytest.raises(InvalidInputError, match=r"must be numeric; \['name \(string\)'\]"):
        ParquetPool(tmp_path)


def test_missing_id_column(tmp_path):
    ids, X, _ = make_data(20, d=2, seed=1)
    pq.write_table(feature_table(ids, X), tmp_path / "a.parquet")
    with pytest.raises(InvalidInputError, match=r"no id column 'row_id'.*Pass id_column="):
        ParquetPool(tmp_path, id_column="row_id")


# ---- ids and labels --------------------------------------------------------------------------

def test_duplicate_ids_within_one_shard(tmp_path):
    ids, X, y_true = make_data(120, d=3, seed=2)
    ids[70] = ids[75]
    write_shards(tmp_path, ids, X, n_shards=2, row_group_size=25)
    with pytest.raises(InvalidInputError, match=rf"duplicate ids in 'id': {ids[75]} \(1 ids"):
        activelab.query(ParquetPool(tmp_path), labels=pick_labels(ids[:60], y_true[:60], 6),
                        strategy="margin", batch_size=3)


def test_duplicate_ids_across_shards(tmp_path):
    ids, X, _ = make_data(120, d=3, seed=2)
    ids[100], ids[110] = ids[3], ids[4]  # shard 3 repeats two ids of shard 1
    write_shards(tmp_path, ids, X, n_shards=3, row_group_size=25)
    with pytest.raises(InvalidInputError,
                       match=r"duplicate ids in 'id': .*\(2 ids occur more than once\); ids must "
                             "be unique across all shards"):
        activelab.query(ParquetPool(tmp_path), labels={}, strategy="random", batch_size=3)


def test_labels_for_unknown_ids(small):
    pool, labels, _ = small
    labels = {**labels, -5: 0, 10**9: 1}
    with pytest.raises(InvalidInputError,
                       match=r"labels for unknown ids: -5, 1000000000 \(2 of 14 label ids"):
        activelab.query(pool, labels=labels, strategy="margin", batch_size=3)


@pytest.mark.parametrize("bad", ["17", b"17", True, (1, 2)])
def test_label_id_of_the_wrong_type(small, bad):
    pool, labels, _ = small
    with pytest.raises(InvalidInputError, match=r"label ids must have the id column's type \(int64\)"):
        activelab.query(pool, labels={bad: 0, **labels}, strategy="margin", batch_size=3)


def test_none_as_a_label_id(small):
    pool, labels, _ = small
    with pytest.raises(InvalidInputError, match=r"labels for unknown ids: None \(1 of 13"):
        activelab.query(pool, labels={None: 0, **labels}, strategy="margin", batch_size=3)


def test_int_label_id_for_a_string_id_column(tmp_path):
    ids, X, _ = make_data(30, d=2, seed=3)
    write_shards(tmp_path, np.array([f"r{i}" for i in ids], dtype=object), X, n_shards=1,
                 row_group_size=10)
    with pytest.raises(InvalidInputError, match=r"id column's type \(string\); got 5 \(int\)"):
        activelab.query(ParquetPool(tmp_path), labels={5: 0}, strategy="random", batch_size=3)


def test_numpy_integer_label_ids_are_accepted(small):
    pool, labels, _ = small
    np_labels = {np.int64(k): np.int32(v) for k, v in labels.items()}
    kw = {"strategy": "margin", "batch_size": 4, "random_state": 0}
    np.testing.assert_array_equal(activelab.query(pool, labels=np_labels, **kw),
                                  activelab.query(pool, labels=labels, **kw))


def test_fractional_label_id_is_refused(small):
    pool, labels, _ = small
    some_id = next(iter(labels))
    with pytest.raises(InvalidInputError, match="label ids must have the id column's type"):
        activelab.query(pool, labels={**labels, some_id + 0.5: 0}, strategy="margin",
                        batch_size=3)


def test_label_equal_to_the_unlabeled_marker(small):
    pool, labels, _ = small
    k = next(iter(labels))
    with pytest.raises(InvalidInputError, match=rf"the label of id {k} is the unlabeled marker"):
        activelab.query(pool, labels={**labels, k: activelab.UNLABELED}, strategy="margin",
                        batch_size=3)


def test_labels_not_a_mapping(small):
    pool, labels, _ = small
    with pytest.raises(InvalidInputError, match=r"labels must be a mapping \{id: label\}; got list"):
        activelab.query(pool, labels=list(labels.items()), strategy="margin", batch_size=3)


# ---- features --------------------------------------------------------------------------------

@pytest.mark.parametrize("backend,strategy", [
    ("local", "margin"), ("local", "coreset"), ("local", "badge"), ("local", "random"),
    ("ray", "margin"),  # the worker's InvalidInputError comes back through Ray as itself
])
def test_nan_in_a_feature_names_the_id(tmp_path, backend, strategy, request):
    if backend == "ray":
        request.getfixturevalue("ray_session")
    ids, X, y_true = make_data(300, d=4, seed=4)
    X[250, 2] = np.nan  # an unlabeled row in the last shard
    write_shards(tmp_path, ids, X, n_shards=3, row_group_size=40)
    labels = pick_labels(ids[:200], y_true[:200], 9)
    assert ids[250].item() not in labels
    pool = ParquetPool(tmp_path)
    call = lambda: activelab.query(pool, labels=labels, strategy=strategy, batch_size=3,
                                   backend=backend)
    if strategy == "random":  # random never reads the features: nothing to complain about
        assert len(call()) == 3
        return
    with pytest.raises(InvalidInputError, match=rf"row {ids[250]} has NaN or infinity"):
        call()


def test_infinity_and_null_features(tmp_path):
    ids, X, y_true = make_data(100, d=3, seed=5)
    X[40, 0] = np.inf
    write_shards(tmp_path / "inf", ids, X, n_shards=1, row_group_size=30)
    labels = pick_labels(ids, y_true, 6)
    with pytest.raises(InvalidInputError, match=rf"row {ids[40]} has NaN or infinity"):
        activelab.query(ParquetPool(tmp_path / "inf"), labels=labels, strategy="entropy",
                        batch_size=3)
    col = pa.array([None if i == 60 else float(v) for i, v in enumerate(X[:, 1])])
    (tmp_path / "null").mkdir()
    pq.write_table(pa.table({"id": ids, "a": np.nan_to_num(X[:, 0], posinf=0), "b": col}),
                   tmp_path / "null" / "a.parquet")
    with pytest.raises(InvalidInputError, match=rf"row {ids[60]} has a missing value in column 'b'"):
        activelab.query(ParquetPool(tmp_path / "null"), labels=labels, strategy="margin",
                        batch_size=3)


# ---- arguments -------------------------------------------------------------------------------

def test_unknown_backend_name(small):
    pool, labels, _ = small
    with pytest.raises(UnknownNameError, match="unknown backend 'spark'.*Known: local, ray"):
        activelab.query(pool, labels=labels, strategy="margin", batch_size=3, backend="spark")


def test_ray_address_with_the_local_backend(small):
    pool, labels, _ = small
    with pytest.raises(InvalidInputError, match="ray_address is only used with backend='ray'"):
        activelab.query(pool, labels=labels, strategy="margin", batch_size=3, backend="local",
                        ray_address="auto")


def test_unknown_strategy_name(small):
    pool, labels, _ = small
    with pytest.raises(UnknownNameError, match="unknown strategy 'marginn'.*Did you mean 'margin'"):
        activelab.query(pool, labels=labels, strategy="marginn", batch_size=3)


@pytest.mark.parametrize("strategy", ["probcover", "density_weighted", "eer", "cluster_margin"])
def test_strategy_that_refuses_lists_the_supported_ones(small, strategy):
    pool, labels, _ = small
    with pytest.raises(InvalidInputError,
                       match=rf"strategy '{strategy}' cannot run on a ParquetPool: .*Strategies "
                             "that can: random, least_confidence, margin, .*coreset, badge"):
        activelab.query(pool, labels=labels, strategy=strategy, batch_size=3)


@pytest.mark.parametrize("batch_size", [400 - 12 + 1, 10**6, 0, -1])
def test_batch_size_out_of_range(small, batch_size):
    pool, labels, _ = small
    with pytest.raises(BatchSizeError, match="batch_size"):
        activelab.query(pool, labels=labels, strategy="margin", batch_size=batch_size)


def test_batch_size_equal_to_the_candidates_is_fine(small):
    pool, labels, _ = small
    got = activelab.query(pool, labels=labels, strategy="margin", batch_size=400 - 12)
    assert len(set(got.tolist())) == 388 and not set(got.tolist()) & set(labels)


def test_y_with_a_pool(small):
    pool, _, _ = small
    with pytest.raises(InvalidInputError, match=r"takes its labels by id: query\(pool, labels="):
        activelab.query(pool, np.full(400, -1), strategy="margin", batch_size=3)


def test_pool_arguments_with_an_in_memory_pool():
    X = np.zeros((5, 2))
    with pytest.raises(InvalidInputError, match="are for a ParquetPool"):
        activelab.query(X, np.full(5, -1), backend="ray", batch_size=1)


def test_model_strategy_without_enough_labels(small):
    pool, labels, _ = small
    one = dict([next(iter(labels.items()))])
    with pytest.raises(ActiveLabError):
        activelab.query(pool, labels=one, strategy="margin", batch_size=3)
