"""Uncertainty sampling (exploitation): score candidates by how unsure the model is.

Score functions are pure functions of a probability table `proba (n, n_classes)` and return
`scores (n,)`, higher = more uncertain. Reference: Settles 2009, "Active Learning Literature
Survey", §3.1; Lewis & Gale 1994 (least confidence); Scheffer et al. 2001 (margin);
Shannon entropy as in Settles & Craven 2008.
"""

from __future__ import annotations

import numpy as np

from ._base import ScoreStrategy, Selection, _check_no_nan, top_k, top_k_at
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


def _blocks(n: int, size: int | None = None):
    size = size or _BLOCK_ROWS
    for start in range(0, n, size):
        yield slice(start, min(start + size, n))


def _small_table_block(n: int) -> int:
    """Rows per block for passes that hold two block-sized temporaries: a sixteenth of the
    table, between _BLOCK_ROWS / 16 and _BLOCK_ROWS, so that on a small table the temporaries
    stay well below the table itself (10⁴ rows: 2 × 80 KB instead of 2 × 720 KB)."""
    return max(1, min(_BLOCK_ROWS, max(_BLOCK_ROWS // 16, n // 16)))


def _top_two_gap(block: np.ndarray, out: np.ndarray, by_class: np.ndarray | None = None) -> np.ndarray:
    """out ← p_(1) − p_(2) for each row of `block` (0 when the top two are tied); returns p_(1).

    Up to `_COLUMN_SCAN_MAX_CLASSES` classes, with a buffer `by_class` (shape (n_classes,
    ≥ rows), the block's dtype) the block is first copied class-major so that the column scan
    reads contiguous memory (about 1.4x faster on large tables); without one the scan reads the
    columns in place (no extra memory).
    """
    rows, n_classes = block.shape
    if n_classes > _COLUMN_SCAN_MAX_CLASSES:
        top2 = np.partition(block, n_classes - 2, axis=1)[:, -2:]
        np.subtract(top2[:, 1], top2[:, 0], out=out)
        return top2[:, 1]
    cols = block.T
    if by_class is not None:
        cols = by_class[:, :rows]
        cols[...] = block.T
    first = np.maximum(cols[0], cols[1])
    second = np.minimum(cols[0], cols[1])
    tmp = np.empty_like(first)
    for j in range(2, n_classes):
        col = cols[j]
        np.minimum(first, col, out=tmp)
        np.maximum(second, tmp, out=second)
        np.maximum(first, col, out=first)
    np.subtract(first, second, out=out)
    return first


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


def margin_float32_error(max_abs_top: float, max_gap: float) -> float:
    """A bound on |margin in float32 − margin in float64| given max |p_(1)| and max p_(1) − p_(2).

    Rounding to float32 is monotonic, so the top two of the rounded row are the rounded top two;
    each costs u·|p| (u = 2⁻²⁴) and their difference u·(gap + rounding), and |p_(2)| ≤
    |p_(1)| + gap. So the error is at most 2.01·u·(2·max|p_(1)| + max gap); we return 4× that.
    """
    return 4.0 * 2.01 * 2.0**-24 * (2.0 * max_abs_top + max_gap) + 1e-30


def margin_top_k(proba: np.ndarray, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """`top_k(margin_scores(proba), k, rng)` with most of the work in float32.

    As `entropy_top_k`: float32 margins for every row, float64 for the rows within twice
    `margin_float32_error` of the k-th value, so picks, order and tie-breaking are the float64
    ones. Returns (positions, scores), scores exact on the recomputed rows and within the bound
    elsewhere. Float64 throughout for small or float32 tables and for tables holding NaN.
    """
    n, n_classes = proba.shape
    if proba.dtype != np.float64 or k >= n or n < 4 * _BLOCK_ROWS or n_classes < 2:
        return _exact_top_k(margin_scores, proba, k, rng)
    gap = np.empty(n)
    cast = np.empty((_BLOCK_ROWS, n_classes), dtype=np.float32)
    by_class = np.empty((n_classes, _BLOCK_ROWS), dtype=np.float32)
    top_hi, top_lo = -np.inf, np.inf
    for rows in _blocks(n):
        c = cast[: rows.stop - rows.start]
        c[...] = proba[rows]
        first = _top_two_gap(c, gap[rows], by_class)
        top_hi, top_lo = max(top_hi, float(first.max())), min(top_lo, float(first.min()))
    if not (np.isfinite(top_hi) and np.isfinite(top_lo)) or np.isnan(gap).any():
        return _exact_top_k(margin_scores, proba, k, rng)
    eps = margin_float32_error(max(abs(top_hi), abs(top_lo)), float(gap.max()))
    np.subtract(1.0, gap, out=gap)
    return _refined_top_k(gap, eps, lambda near: margin_scores(proba[near]), k, rng)


def _exact_top_k(exact, proba, k, rng) -> tuple[np.ndarray, np.ndarray]:
    """(top_k of the float64 scores, the scores): the path for tables the float32 pass skips."""
    scores = exact(proba)
    return top_k(scores, k, rng), scores


def _refined_top_k(approx, err, exact_at, k, rng) -> tuple[np.ndarray, np.ndarray]:
    """`top_k` of scores known to within `err` (a float, or one bound per row): the k-th largest
    lower end L = (approx − err)_(k) is at most the exact k-th score, so every row that can reach
    the exact top k, ties at its cut included, has approx + err ≥ L (with one bound: within
    2·err of the k-th approximate score); those rows are recomputed with `exact_at(positions)`
    and ranked alone, which makes the top k, its order and its ties exact. Returns (positions,
    scores: exact where recomputed)."""
    n = approx.shape[0]
    lower = approx - err
    floor = np.partition(lower, n - k)[n - k]
    del lower
    near = np.flatnonzero(approx + err >= floor)
    approx[near] = exact_near = exact_at(near)
    # `top_k_at` reads only the rows at or above the threshold, so ranking `near` alone gives
    # top_k(exact)'s picks and random draws without another pass over all n rows.
    top = np.partition(exact_near, near.shape[0] - k)[near.shape[0] - k:]
    _check_no_nan(top)
    return near[top_k_at(exact_near, top.min(), k, rng)], approx


def entropy_scores(proba: np.ndarray, *, dtype=None) -> np.ndarray:
    """Shannon entropy −Σ_k p_k log p_k (natural log; 0 log 0 = 0), as float64.

    Block by block: log of the block clipped to [tiny, 1] (so 0 log 0 = 0 without a warning),
    times the block, summed over classes in the same order for every row (so equal rows get
    bit-equal entropies, whatever block they fall in). `dtype` is the working precision
    (default: float64, or float32 for a float32 table); float32 is about twice as fast and
    accurate to `entropy_float32_error` on probability tables.
    """
    return _entropy(proba, dtype)[0]


def _entropy(proba: np.ndarray, dtype=None) -> tuple[np.ndarray, float]:
    """(entropies as float64, the smallest value of `proba`).

    In the table's own precision the log is multiplied by the raw block; in a lower precision
    the block is cast and clipped in one pass and the log multiplied by the clipped values
    (which moves a term by at most 2e-36: p below float32's tiny, or p > 1 whose log is 0).
    """
    n, n_classes = proba.shape
    native = np.result_type(proba.dtype, np.float32)
    dtype = native if dtype is None else np.dtype(dtype)
    tiny = np.finfo(dtype).tiny
    size = _small_table_block(n)
    clipped = np.empty((min(n, size), n_classes), dtype=dtype)
    logs = np.empty_like(clipped)
    out = np.empty(n)
    lowest = np.inf
    for rows in _blocks(n, size):
        block = proba[rows]
        c, lg = clipped[: block.shape[0]], logs[: block.shape[0]]
        np.clip(block, tiny, 1.0, out=c, casting="same_kind")
        np.log(c, out=lg)
        np.multiply(lg, block if dtype == native else c, out=lg, casting="same_kind")
        _row_sums(lg, out[rows])
        if dtype != native:
            lowest = min(lowest, float(block.min()))
    np.negative(out, out=out)
    return out, lowest


def entropy_float32_error(n_classes: int, max_entropy: float) -> float:
    """A bound on |entropy in float32 − entropy in float64| for rows of values in [0, 1] with
    entropy at most `max_entropy`.

    With unit roundoff u = 2⁻²⁴: rounding p costs u·(|p log p| + p) per term, the float32 log
    at most 4 ulp, the product u, and the K-term sum K·u·Σ|p log p|; so the error is at most
    u·((K + 6)·H + Σp) with Σp ≤ K. We return 4× that, plus 1e-30 for the terms of values
    below float32's normal range (each under 2e-36).
    """
    u = 2.0**-24
    return 4.0 * u * ((n_classes + 6) * max_entropy + n_classes) + 1e-30


def entropy_top_k(proba: np.ndarray, k: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """`top_k(entropy_scores(proba), k, rng)` with most of the work in float32.

    Every row's entropy is first computed in float32; rows that could reach the top k (within
    twice `entropy_float32_error` of the k-th float32 value) are recomputed in float64, so the
    chosen rows, their order and the tie-breaking are those of the float64 scores. Returns
    (positions, scores): the scores are exact for the recomputed rows and within the bound for
    the others. Float64 throughout for small or float32 tables, and for tables with NaN or
    negative values.
    """
    n, n_classes = proba.shape
    if proba.dtype != np.float64 or k >= n or n < 4 * _BLOCK_ROWS:
        return _exact_top_k(entropy_scores, proba, k, rng)
    approx, lowest = _entropy(proba, np.float32)
    if not lowest >= 0.0 or not np.isfinite(approx).all():
        return _exact_top_k(entropy_scores, proba, k, rng)
    eps = entropy_float32_error(n_classes, float(approx.max()) + 1e-3)
    return _refined_top_k(approx, eps, lambda near: entropy_scores(proba[near]), k, rng)


def _row_sums(block: np.ndarray, out: np.ndarray) -> None:
    """out ← Σ_k block[:, k], one fixed order per row (BLAS products may group rows differently)."""
    if block.shape[1] > _COLUMN_SCAN_MAX_CLASSES:
        np.sum(block, axis=1, out=out)
        return
    acc = block[:, 0].copy()  # in the block's precision (float32 on the fast path)
    for j in range(1, block.shape[1]):
        acc += block[:, j]
    out[...] = acc


def _select_by(rank, who: str, ctx: PoolContext, batch_size: int,
               rng: np.random.Generator) -> Selection:
    """A Selection from `rank(proba, k, rng) -> (positions, scores)` over the candidates."""
    cand = ctx.candidate_idx
    pos, scores = rank(ctx.proba(who), batch_size, rng)
    return Selection(idx=cand[pos], scores=scores, candidate_idx=cand)


def _linear_or(kind: str, ctx: PoolContext, batch_size: int, rng: np.random.Generator,
               exact) -> Selection:
    """The streamed linear-model path (`_linear_top_k.linear_top_k`) where it applies, else
    `exact()`; both pick the same rows."""
    from . import _linear_top_k

    fast = _linear_top_k.linear_top_k(ctx, batch_size, rng, kind)
    if fast is None:
        return exact()
    cand = ctx.candidate_idx
    return Selection(idx=cand[fast[0]], scores=fast[1], candidate_idx=cand)


@register
class LeastConfidence(ScoreStrategy):
    """Least-confidence sampling: query where the top class probability is lowest."""

    name = "least_confidence"
    family = "exploitation"
    reference = "Lewis & Gale 1994, A Sequential Algorithm for Training Text Classifiers (SIGIR)"

    def scores(self, ctx: PoolContext) -> np.ndarray:
        return least_confidence_scores(ctx.proba(self.name))

    def select(self, ctx: PoolContext, batch_size: int, rng: np.random.Generator) -> Selection:
        """The `batch_size` least confident; a linear model is streamed as for margin."""
        self._validate_params()
        return _linear_or("least_confidence", ctx, batch_size, rng,
                          lambda: super(LeastConfidence, self).select(ctx, batch_size, rng))


@register
class MarginSampling(ScoreStrategy):
    """Margin sampling: query where the two most likely classes are closest."""

    name = "margin"
    family = "exploitation"
    reference = "Scheffer, Decomain & Wrobel 2001, Active Hidden Markov Models for Information Extraction (IDA)"

    def scores(self, ctx: PoolContext) -> np.ndarray:
        return margin_scores(ctx.proba(self.name))

    def select(self, ctx: PoolContext, batch_size: int, rng: np.random.Generator) -> Selection:
        """The `batch_size` smallest margins; see `margin_top_k` for the precision. A linear
        model (scalers + logistic regression) is scored in float32 blocks with the rows near the
        cut recomputed by the model (`_linear_top_k`): the same picks, without a probability table."""
        return _linear_or("margin", ctx, batch_size, rng,
                          lambda: _select_by(margin_top_k, self.name, ctx, batch_size, rng))


@register
class EntropySampling(ScoreStrategy):
    """Entropy sampling: query where the predictive distribution has the highest entropy."""

    name = "entropy"
    family = "exploitation"
    reference = "Settles & Craven 2008, An Analysis of Active Learning Strategies for Sequence Labeling Tasks (EMNLP)"

    def scores(self, ctx: PoolContext) -> np.ndarray:
        return entropy_scores(ctx.proba(self.name))

    def select(self, ctx: PoolContext, batch_size: int, rng: np.random.Generator) -> Selection:
        """The `batch_size` most uncertain candidates; see `entropy_top_k` for the precision.
        A linear model is streamed as for margin."""
        return _linear_or("entropy", ctx, batch_size, rng,
                          lambda: _select_by(entropy_top_k, self.name, ctx, batch_size, rng))
