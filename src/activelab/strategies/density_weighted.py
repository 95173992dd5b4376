"""Information density (hybrid): uncertainty weighted by how representative a candidate is.

``score(x) = uncertainty(x) · (1/|U| Σ_{u∈U} sim(x, u))^β`` over the unlabeled pool U
(Settles & Craven 2008, eq. for information density). No N×N matrix is built: for cosine
similarity the mean is exact in O(N·d) as ``⟨x̂, mean_u û⟩`` (x̂ = x/‖x‖); any other kernel is
averaged in row chunks (O(N²·d) time, O(chunk·N) memory).
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.metrics.pairwise import PAIRWISE_KERNEL_FUNCTIONS, pairwise_kernels
from sklearn.utils import gen_batches

from .._errors import InvalidInputError
from ._base import ScoreStrategy
from ._context import PoolContext
from .params import Interval, Options
from ._registry import register
from .uncertainty import entropy_scores, least_confidence_scores, margin_scores

BASE_UNCERTAINTY = {
    "entropy": entropy_scores,
    "margin": margin_scores,
    "least_confidence": least_confidence_scores,
}
SIMILARITIES = tuple(sorted(PAIRWISE_KERNEL_FUNCTIONS))  # "cosine", "rbf", "laplacian", ...
_CHUNK_BYTES = 64 * 2**20


def mean_cosine_similarity(
    X: np.ndarray, reference: np.ndarray | None = None, chunk_bytes: int = _CHUNK_BYTES // 8,
    *, rows: np.ndarray | None = None,
) -> np.ndarray:
    """Mean cosine similarity of every row of X to the rows of `reference` (default: X itself),
    shape (n,). Exact via ``mean_u cos(x, u) = ⟨x̂, mean_u û⟩``; zero rows have similarity 0.
    `rows` (indices) restricts both to ``X[rows]`` without copying it whole.

    Rows are normalized in float64 a chunk of at most `chunk_bytes` at a time (once to sum the
    reference directions, once to project), so memory beyond the output is one chunk, not a
    float64 copy of X (8 GiB at 10⁶ × 512 before).
    """
    X = np.asarray(X)
    ref = X if reference is None else np.asarray(reference)
    if X.ndim != 2 or ref.ndim != 2 or ref.shape[1] != X.shape[1]:
        raise InvalidInputError(
            f"mean_cosine_similarity: X {X.shape} and reference {ref.shape} must be 2-D with "
            "the same number of columns."
        )
    if rows is not None and reference is not None:
        raise InvalidInputError("mean_cosine_similarity: pass rows= or reference=, not both.")
    n = X.shape[0] if rows is None else rows.shape[0]

    def take(A, chunk):
        return A[chunk] if rows is None else A[rows[chunk]]

    size = max(1, chunk_bytes // (8 * max(1, X.shape[1])))
    direction = np.zeros(X.shape[1])
    n_ref = n if reference is None else ref.shape[0]
    for chunk in gen_batches(n_ref, size):
        direction += _unit_rows(take(ref, chunk)).sum(axis=0)  # rows= implies ref is X
    direction /= max(1, n_ref)
    out = np.empty(n)
    for chunk in gen_batches(n, size):
        out[chunk] = _unit_rows(take(X, chunk)) @ direction
    return out


def _unit_rows(block: np.ndarray) -> np.ndarray:
    """The rows of `block` scaled to unit Euclidean norm, as float64 (zero rows stay zero)."""
    unit = np.array(block, dtype=np.float64)
    norms = np.sqrt(np.einsum("ij,ij->i", unit, unit))
    norms[norms == 0.0] = 1.0
    unit /= norms[:, None]
    return unit


def mean_kernel_similarity(
    X: np.ndarray, reference: np.ndarray | None = None, metric: str = "rbf",
    gamma: float | None = None, chunk_bytes: int = _CHUNK_BYTES,
) -> np.ndarray:
    """Mean kernel similarity of every row of X to the rows of `reference` (default: X), shape
    (n,), computed in row chunks of at most `chunk_bytes` so no (n, n_ref) matrix is held.
    `metric` is a scikit-learn pairwise kernel; `gamma` goes to the kernels that take it."""
    X = np.asarray(X, dtype=np.float64)
    ref = X if reference is None else np.asarray(reference, dtype=np.float64)
    rows = max(1, chunk_bytes // (8 * max(1, ref.shape[0])))
    out = np.empty(X.shape[0])
    for chunk in gen_batches(X.shape[0], rows):
        K = pairwise_kernels(X[chunk], ref, metric=metric, filter_params=True, gamma=gamma)
        out[chunk] = K.mean(axis=1)
    return out


def information_density_scores(uncertainty: np.ndarray, density: np.ndarray, beta: float = 1.0) -> np.ndarray:
    """``uncertainty · max(density, 0)^β``. Negative mean similarities (possible with cosine on
    centered features) count as density 0, so the power stays real for any β ≥ 0."""
    return np.asarray(uncertainty, dtype=np.float64) * np.maximum(density, 0.0) ** beta


@register
class DensityWeighted(ScoreStrategy):
    """Information density: base uncertainty times mean similarity to the unlabeled pool, to the β.

    Settles & Craven 2008, "An Analysis of Active Learning Strategies for Sequence Labeling
    Tasks" (EMNLP). Similarities are computed on `PoolContext.features` (user embedding, model
    representation, or standardized X).

    Parameters
    ----------
    beta : float, default 1
        Weight of the density term (0 = plain uncertainty sampling).
    base : {"entropy", "margin", "least_confidence"}, default "entropy"
        The uncertainty score (functions of `activelab.strategies.uncertainty`).
    similarity : str, default "cosine"
        "cosine" (exact in O(N·d)) or another scikit-learn pairwise kernel such as "rbf" or
        "laplacian" (chunked, O(N²·d) time). Cosine density is meaningful where direction carries
        the meaning (counts, TF-IDF, ReLU embeddings); on centered features the mean cosine is
        near 0 everywhere, so prefer "rbf" there.
    gamma : float or None, default None
        Kernel width for "rbf"/"laplacian"/...; None = scikit-learn's default 1/n_dims.
    """

    name = "density_weighted"
    family = "hybrid"
    reference = (
        "Settles & Craven 2008, An Analysis of Active Learning Strategies for Sequence Labeling "
        "Tasks (EMNLP)"
    )

    _parameter_constraints = {
        "beta": [Interval("real", 0)],
        "base": [Options(BASE_UNCERTAINTY, "base uncertainty")],
        "similarity": [Options(SIMILARITIES, "similarity")],
        "gamma": [None, Interval("real", 0, closed="neither")],
    }

    def __init__(self, beta: float = 1.0, base: str = "entropy", similarity: str = "cosine",
                 gamma: float | None = None) -> None:
        self.beta = beta
        self.base = base
        self.similarity = similarity
        self.gamma = gamma

    def density(self, ctx: PoolContext) -> np.ndarray:
        """Mean similarity of each candidate to the unlabeled pool, shape (n_candidates,)."""
        if self.similarity == "cosine":  # chunks gathered from the pool: no candidate copy
            return mean_cosine_similarity(ctx.features(), rows=ctx.candidate_idx)
        feats = ctx.features()[ctx.candidate_idx]
        return mean_kernel_similarity(feats, metric=self.similarity, gamma=self.gamma)

    def scores(self, ctx: PoolContext) -> np.ndarray:
        uncertainty = BASE_UNCERTAINTY[self.base](ctx.proba(self.name))
        return information_density_scores(uncertainty, self.density(ctx), float(self.beta))


def _is_real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)
