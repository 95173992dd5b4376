"""Parquet pools for the distributed tests, and the in-memory picks they are compared with."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

import activelab
from activelab import UNLABELED

#: The strategies whose distributed picks must equal the in-memory ones (support.SUPPORT, exact).
EXACT = ("random", "least_confidence", "margin", "entropy", "qbc_vote", "qbc_kl", "bald",
         "variation_ratios", "coreset", "badge")


def make_data(n: int, d: int = 16, n_classes: int = 4, seed: int = 0, dtype=np.float32,
              decimals: int | None = None):
    """(ids, X, y_true): ids unique, unsorted and never equal to the row positions; classes
    from a noisy linear rule. `decimals` rounds X (repeated rows, tied scores)."""
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d))
    if decimals is not None:
        X = np.round(X, decimals)
    X = X.astype(dtype)
    W = rng.standard_normal((d, n_classes))
    y_true = (X @ W + 0.5 * rng.standard_normal((n, n_classes))).argmax(axis=1)
    ids = rng.permutation(3 * n)[:n].astype(np.int64) + 1000
    return ids, X, y_true


def pick_labels(ids, y_true, n_labeled: int, seed: int = 0) -> dict:
    """{id: label} for `n_labeled` rows, two of each class first (so every class is labeled)."""
    rng = np.random.default_rng(seed)
    classes = np.unique(y_true)
    first = np.concatenate([rng.permutation(np.flatnonzero(y_true == c))[:2] for c in classes])
    rest = rng.permutation(np.setdiff1d(np.arange(ids.shape[0]), first))
    rows = np.concatenate([first, rest[: max(0, n_labeled - first.shape[0])]])
    return {_key(ids[i]): int(y_true[i]) for i in rows}


def _key(v):
    """A plain Python id (np.int64 -> int; str stays)."""
    return v.item() if isinstance(v, np.generic) else v


def feature_table(ids, X, layout: str = "columns") -> pa.Table:
    """A table of `ids` and `X` as numeric columns f00.. ("columns"), one fixed-size list column
    ("fixed_list") or one plain list<float> column ("list") named "emb"."""
    id_arr = pa.array(ids)
    if layout == "columns":
        return pa.table({"id": id_arr, **{f"f{j:02d}": X[:, j] for j in range(X.shape[1])}})
    n, d = X.shape
    values = pa.array(np.ascontiguousarray(X).ravel())
    if layout == "fixed_list":
        emb = pa.FixedSizeListArray.from_arrays(values, d)
    elif layout == "list":
        emb = pa.ListArray.from_arrays(pa.array(np.arange(0, n * d + 1, d, dtype=np.int32)), values)
    else:
        raise ValueError(layout)
    return pa.table({"id": id_arr, "emb": emb})


def write_shards(root: Path, ids, X, *, n_shards: int, row_group_size: int,
                 layout: str = "columns", sizes=None) -> Path:
    """Write the rows as `n_shards` Parquet files under `root` (rows in file-name order), each
    in row groups of `row_group_size`; `sizes` gives uneven shard sizes."""
    root = Path(root)
    root.mkdir(parents=True, exist_ok=True)
    n = ids.shape[0]
    if sizes is None:
        bounds = np.linspace(0, n, n_shards + 1).astype(int)
    else:
        bounds = np.concatenate([[0], np.cumsum(sizes)])
        assert bounds[-1] == n and len(sizes) == n_shards
    for s in range(n_shards):
        sl = slice(int(bounds[s]), int(bounds[s + 1]))
        table = feature_table(ids[sl], X[sl], layout)
        pq.write_table(table, root / f"part-{s:03d}.parquet", row_group_size=row_group_size)
    return root


def in_memory_ids(ids, X, labels: dict, **kwargs) -> np.ndarray:
    """The ids `activelab.query` picks on the in-memory pool (X, y with UNLABELED except at the
    labeled rows) — what every exact distributed query must return, in the same order."""
    where = {k: i for i, k in enumerate(ids.tolist())}
    y = np.full(ids.shape[0], UNLABELED)
    for k, v in labels.items():
        y[where[k]] = v
    return ids[activelab.query(X, y, **kwargs)]
