"""Margin's, least confidence's and entropy's top k for linear models, streamed: float32
logits block by block, then the model's own predict_proba for the rows near the cut, so the
picks are exactly those of the model.

Why: for the default pipeline (StandardScaler + LogisticRegression) most of a query's time is
the pipeline's own per-block work (a scaled copy of every block, input checks, a float64
probability table). With the scaler folded into the weights (`activelab.models.linear_form`)
a block costs one float32 GEMM and a float32 softmax, and no (n, n_classes) table is held.
Rows whose float32 score is within its rounding bound of the k-th are recomputed with the
model itself (`uncertainty._refined_top_k`, one bound per row); any recomputed row that
disagrees with its float32 score by more than its bound sends the whole query back to the exact
path, so a wrong bound can cost time, never a pick.
"""

from __future__ import annotations

import numpy as np

from ..models.linear_form import U32, LinearForm, linear_form
from ._context import PoolContext, map_rows, predict_threads
from .uncertainty import (
    _BLOCK_ROWS,
    _refined_top_k,
    _top_two_gap,
    entropy_scores,
    least_confidence_scores,
    margin_scores,
)

#: Below this many candidates the exact path is as fast (and simpler to reason about).
MIN_ROWS = 4 * _BLOCK_ROWS
#: Score whole slices of the pool (labeled rows included, then dropped) instead of gathering
#: the candidates block by block when they are at least this fraction of their span of rows.
DENSE_FRACTION = 0.75


class _BoundExceeded(Exception):
    """A recomputed row differed from its float32 score by more than the bound."""


def linear_top_k(ctx: PoolContext, k: int, rng: np.random.Generator,
                 kind: str = "margin") -> tuple[np.ndarray, np.ndarray] | None:
    """(positions among the candidates, scores) as the exact path gives them for `kind`
    ("margin", "least_confidence" or "entropy"), or None when the fast path does not apply (not a
    recognised linear model, not a checked float NumPy pool, too few candidates, or the bound
    failed its check).

    ``rng`` is drawn from only after every recomputed row passed its check (`_refined_top_k`
    calls `exact_at` before it ranks), so a None leaves it untouched."""
    block_scores, exact_scores, error = KINDS[kind]
    form = _applicable(ctx, k)
    if form is None:
        return None
    cand = ctx.candidate_idx
    n_logits = form.W.shape[1]

    # float32 sums of d squares are within (d + 2)·u relatively: widened by that, still a bound
    widen = 1.0 + (ctx.X.shape[1] + 2) * U32

    def scores(block: np.ndarray) -> np.ndarray:
        out = np.empty((block.shape[0], 2))
        out[:, 0] = block_scores(form.logits(block))
        norms = np.sqrt(np.einsum("ij,ij->i", block, block).astype(np.float64) * widen)
        out[:, 1] = error(probability_error(form, norms), n_logits)
        return out

    threads = ctx.threads or predict_threads(ctx.model)
    first, last = int(cand[0]), int(cand[-1])
    if cand.shape[0] >= DENSE_FRACTION * (last - first + 1):
        # candidates are most rows of their span: score the span's contiguous slices (views,
        # no gather) and keep the candidates' rows; the labeled rows' work is the waste
        both = map_rows(scores, ctx.X, np.arange(first, last + 1), threads=threads)[cand - first]
    else:
        both = map_rows(scores, ctx.X, cand, threads=threads)
    approx, err = both[:, 0].copy(), both[:, 1].copy()
    del both
    if not (np.isfinite(approx).all() and np.isfinite(err).all()):
        return None  # an overflow in float32: the model's own path decides

    def exact_at(near: np.ndarray) -> np.ndarray:
        exact = exact_scores(ctx.predict_proba_rows(cand[near], kind))
        if (np.abs(exact - approx[near]) > err[near]).any():
            raise _BoundExceeded
        return exact

    try:
        return _refined_top_k(approx, err, exact_at, k, rng)
    except _BoundExceeded:
        return None


def probability_error(form: LinearForm, row_norms):
    """A bound on the relative difference of a float32 softmax probability from the model's own,
    per row (`row_norms`: the rows' Euclidean norms).

    A logit error δ (`form.logit_error`) moves each softmax probability by a factor within
    e^{±2δ}, and each float32 softmax (ours and the model's) rounds each probability by at most
    (n_logits + 8)·u relatively (the exponent's rounding costs e^{-t}·t·u ≤ u/e per term)."""
    delta = form.logit_error(row_norms)
    return np.expm1(2.0 * delta) + 2.0 * (form.W.shape[1] + 8) * U32


def margin_error(rel, n_logits: int):
    """|Δ margin score| for probabilities within relative `rel`: the top two values each move by
    at most rel (they are ≤ 1), so the gap by 2·rel; returned ×4, plus the float64 subtraction."""
    return 4.0 * (2.0 * rel) + 1e-15


def least_confidence_error(rel, n_logits: int):
    """|Δ (1 − p_max)| ≤ rel·p_max ≤ rel; returned ×4, plus the float64 subtraction."""
    return 4.0 * rel + 1e-15


def entropy_error(rel, n_logits: int):
    """|Δ entropy| between our float32 value and the entropy of the model's probabilities.

    Probabilities within relative `rel` move the entropy by at most rel·(H + 1.02) (the terms
    p·ε·log p and p·(1 + ε)·log(1 + ε)), with H ≤ log K. Our float32 evaluation,
    H = log S − Σ e_k t_k / S with t_k = l_k − l₁ ≤ 0 and e_k = e^{t_k}, rounds each e_k·t_k by
    at most 2u (e^{−t}·(t + t²) ≤ 0.84), sums K terms each ≤ 1/e, and divides by S ≥ 1:
    within (K² + 4K + 10)·u·(1 + log K). Returned ×4."""
    h_max = float(np.log(n_logits))
    return 4.0 * (rel * (h_max + 1.02) + (n_logits**2 + 4 * n_logits + 10) * U32 * (1.0 + h_max))


def _applicable(ctx: PoolContext, k: int) -> LinearForm | None:
    X = ctx.X
    if not (ctx.checked_finite and isinstance(X, np.ndarray) and X.ndim == 2
            and X.dtype in (np.float32, np.float64)):
        return None
    n = ctx.candidate_idx.shape[0]
    if n < MIN_ROWS or k >= n or ctx.model is None:
        return None
    form = linear_form(ctx.model)
    if form is None or form.n_features != X.shape[1]:
        return None
    cols = getattr(ctx.model, "_columns", None)
    if cols is None or len(cols) != form.W.shape[1] or form.W.shape[1] < 2:
        return None  # the adapter's column map must cover each logit once
    return form


def _shifted_columns(logits: np.ndarray) -> np.ndarray:
    """t = l − max l, class-major (n_logits, rows), in float32. Class-major (a copy of the
    block's logits) because NumPy reduces a short last axis ~7× slower than it combines whole
    rows."""
    t = np.ascontiguousarray(logits.T)
    t -= t.max(axis=0)
    return t


def _softmax_columns(logits: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(e^{l − max l} class-major, their sums per row), in float32."""
    cols = _shifted_columns(logits)
    np.exp(cols, out=cols)
    return cols, cols.sum(axis=0)


def _margin_block(logits: np.ndarray) -> np.ndarray:
    """1 − (p_(1) − p_(2)) of each row's softmax without forming the probabilities:
    p_(1) − p_(2) = (1 − e^{l₂ − l₁}) / Σ_k e^{l_k − l₁}."""
    cols, total = _softmax_columns(logits)
    gap = np.empty(cols.shape[1], dtype=np.float32)
    _top_two_gap(cols.T, gap)  # scans the rows of `cols`: contiguous
    gap /= total
    return 1.0 - gap


def _least_confidence_block(logits: np.ndarray) -> np.ndarray:
    """1 − p_(1) = 1 − 1 / Σ_k e^{l_k − l₁} of each row."""
    _, total = _softmax_columns(logits)
    return 1.0 - 1.0 / total


def _entropy_block(logits: np.ndarray) -> np.ndarray:
    """H = log S − Σ_k e_k·t_k / S of each row, t_k = l_k − l₁, e_k = e^{t_k}, S = Σ_k e_k."""
    t = _shifted_columns(logits)
    e = np.exp(t)
    total = e.sum(axis=0)
    e *= t
    weighted = e.sum(axis=0)
    weighted /= total
    return np.log(total) - weighted


#: kind → (float32 scores of a block of logits, exact scores of a probability table, the score
#: error for a relative probability error).
KINDS = {
    "margin": (_margin_block, margin_scores, margin_error),
    "least_confidence": (_least_confidence_block, least_confidence_scores, least_confidence_error),
    "entropy": (_entropy_block, entropy_scores, entropy_error),
}
