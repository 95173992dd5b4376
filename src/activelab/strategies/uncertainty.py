"""Uncertainty sampling (exploitation): score candidates by how unsure the model is.

Score functions are pure functions of a probability table `proba (n, n_classes)` and return
`scores (n,)`, higher = more uncertain. Reference: Settles 2009, "Active Learning Literature
Survey", §3.1; Lewis & Gale 1994 (least confidence); Scheffer et al. 2001 (margin);
Shannon entropy as in Settles & Craven 2008.
"""

from __future__ import annotations

import numpy as np

from ._base import ScoreStrategy
from ._context import PoolContext
from ._registry import register


def least_confidence_scores(proba: np.ndarray) -> np.ndarray:
    """1 − max_k p_k: how far the most likely class is from certainty."""
    return 1.0 - proba.max(axis=1)


# Rows per block: a block's temporaries stay in the CPU cache, and memory beyond the (n,) scores
# stays O(block · n_classes) instead of a full (n, n_classes) copy.
_BLOCK_ROWS = 16384
# Up to this many classes, the two largest values are found by a running max over columns
# (3 vectorized passes per column, no sort); beyond it a per-row partition is cheaper.
_COLUMN_SCAN_MAX_CLASSES = 16


def _blocks(n: int):
    for start in range(0, n, _BLOCK_ROWS):
        yield slice(start, min(start + _BLOCK_ROWS, n))


def _top_two_gap(block: np.ndarray, out: np.ndarray) -> None:
    """out ← p_(1) − p_(2) for each row of `block` (0 when the top two are tied)."""
    n_classes = block.shape[1]
    if n_classes > _COLUMN_SCAN_MAX_CLASSES:
        top2 = np.partition(block, n_classes - 2, axis=1)[:, -2:]
        np.subtract(top2[:, 1], top2[:, 0], out=out)
        return
    first = np.maximum(block[:, 0], block[:, 1])
    second = np.minimum(block[:, 0], block[:, 1])
    tmp = np.empty_like(first)
    for j in range(2, n_classes):
        col = block[:, j]
        np.minimum(first, col, out=tmp)
        np.maximum(second, tmp, out=second)
        np.maximum(first, col, out=first)
    np.subtract(first, second, out=out)


def margin_scores(proba: np.ndarray) -> np.ndarray:
    """1 − (p_(1) − p_(2)): a small gap between the two most likely classes scores high.

    Computed block by block (no (n, n_classes) temporary): exact, NaN propagates.
    """
    n, n_classes = proba.shape
    if n_classes < 2:
        return np.zeros(n)
    out = np.empty(n)
    for rows in _blocks(n):
        _top_two_gap(proba[rows], out[rows])
    np.subtract(1.0, out, out=out)
    return out


def entropy_scores(proba: np.ndarray) -> np.ndarray:
    """Shannon entropy −Σ_k p_k log p_k (natural log; 0 log 0 = 0).

    Block by block: log of the block clipped to [tiny, 1] (so 0 log 0 = 0 without a warning),
    times the block, summed over classes by a matrix–vector product.
    """
    n, n_classes = proba.shape
    dtype = np.result_type(proba.dtype, np.float32)
    tiny = np.finfo(dtype).tiny
    ones = np.ones(n_classes, dtype=dtype)
    buf = np.empty((min(n, _BLOCK_ROWS), n_classes), dtype=dtype)
    out = np.empty(n)
    for rows in _blocks(n):
        block = proba[rows]
        tmp = buf[: block.shape[0]]
        np.clip(block, tiny, 1.0, out=tmp)
        np.log(tmp, out=tmp)
        np.multiply(tmp, block, out=tmp)
        out[rows] = tmp @ ones
    np.negative(out, out=out)
    return out


@register
class LeastConfidence(ScoreStrategy):
    """Least-confidence sampling: query where the top class probability is lowest."""

    name = "least_confidence"
    family = "exploitation"
    reference = "Lewis & Gale 1994, A Sequential Algorithm for Training Text Classifiers (SIGIR)"

    def scores(self, ctx: PoolContext) -> np.ndarray:
        return least_confidence_scores(ctx.proba(self.name))


@register
class MarginSampling(ScoreStrategy):
    """Margin sampling: query where the two most likely classes are closest."""

    name = "margin"
    family = "exploitation"
    reference = "Scheffer, Decomain & Wrobel 2001, Active Hidden Markov Models for Information Extraction (IDA)"

    def scores(self, ctx: PoolContext) -> np.ndarray:
        return margin_scores(ctx.proba(self.name))


@register
class EntropySampling(ScoreStrategy):
    """Entropy sampling: query where the predictive distribution has the highest entropy."""

    name = "entropy"
    family = "exploitation"
    reference = "Settles & Craven 2008, An Analysis of Active Learning Strategies for Sequence Labeling Tasks (EMNLP)"

    def scores(self, ctx: PoolContext) -> np.ndarray:
        return entropy_scores(ctx.proba(self.name))
