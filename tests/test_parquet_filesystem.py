"""ParquetPool on file systems other than the local disk (object storage goes through the same
pyarrow FileSystem path): an fsspec in-memory file system and a file:// URI, with the same picks
as in memory."""

from __future__ import annotations

import numpy as np
import pytest

pa = pytest.importorskip("pyarrow")
pq = pytest.importorskip("pyarrow.parquet")
fsspec = pytest.importorskip("fsspec")

import activelab  # noqa: E402
from activelab import InvalidInputError, ParquetPool, UNLABELED  # noqa: E402


def _data(n=2400, d=5, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)).astype(np.float32)
    truth = (X @ rng.standard_normal((d, 3))).argmax(axis=1)
    ids = np.arange(n) * 7 + 3
    lab = rng.choice(n, 24, replace=False)
    y = np.full(n, UNLABELED)
    y[lab] = truth[lab]
    return X, y, ids, {int(ids[i]): int(truth[i]) for i in lab}


def _table(X, ids):
    return pa.table({"id": ids, **{f"f{j}": X[:, j] for j in range(X.shape[1])}})


@pytest.fixture
def memory_fs():
    fs = fsspec.filesystem("memory")
    yield fs
    fs.rm("/bucket", recursive=True) if fs.exists("/bucket") else None


@pytest.mark.parametrize("strategy", ["margin", "coreset", "badge"])
def test_fsspec_file_system_picks_as_in_memory(memory_fs, strategy):
    X, y, ids, labels = _data()
    for s in range(3):
        sl = slice(s * 800, (s + 1) * 800)
        with memory_fs.open(f"/bucket/pool/part-{s}.parquet", "wb") as f:
            pq.write_table(_table(X[sl], ids[sl]), f, row_group_size=300)
    pool = ParquetPool("/bucket/pool", filesystem=memory_fs)
    assert pool.n_rows == 2400 and len(pool.pieces) == 3
    mem = activelab.query(X, y, strategy=strategy, batch_size=9, random_state=2)
    got = activelab.query(pool, labels=labels, strategy=strategy, batch_size=9, random_state=2)
    np.testing.assert_array_equal(got, ids[mem])


def test_file_uri_with_an_embedding_column(tmp_path):
    X, y, ids, labels = _data()
    for s in range(2):
        sl = slice(s * 1200, (s + 1) * 1200)
        emb = pa.FixedSizeListArray.from_arrays(pa.array(X[sl].ravel()), X.shape[1])
        pq.write_table(pa.table({"id": ids[sl], "emb": emb}), tmp_path / f"q{s}.parquet")
    pool = ParquetPool(f"file://{tmp_path}", features="emb")
    mem = activelab.query(X, y, strategy="entropy", batch_size=5, random_state=0)
    got = activelab.query(pool, labels=labels, strategy="entropy", batch_size=5, random_state=0)
    np.testing.assert_array_equal(got, ids[mem])


def test_missing_path_on_a_file_system_is_a_clear_error(memory_fs):
    with pytest.raises(InvalidInputError, match="no such file or directory"):
        ParquetPool("/bucket/nothing", filesystem=memory_fs)


def test_a_shard_deleted_from_the_file_system_is_named(memory_fs):
    X, y, ids, labels = _data(n=600)
    for s in range(2):
        with memory_fs.open(f"/bucket/p/s{s}.parquet", "wb") as f:
            pq.write_table(_table(X[s * 300:(s + 1) * 300], ids[s * 300:(s + 1) * 300]), f)
    pool = ParquetPool("/bucket/p", filesystem=memory_fs)
    memory_fs.rm("/bucket/p/s1.parquet")
    with pytest.raises(InvalidInputError, match="s1.parquet is missing"):
        activelab.query(pool, labels=labels, strategy="margin", batch_size=3)
