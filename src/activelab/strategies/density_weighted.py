"""Information density (hybrid): uncertainty weighted by how representative a candidate is.

Settles & Craven 2008 define ``score(x) = uncertainty(x) · (1/|U| Σ_{u∈U} sim(x, u))^β`` over the
unlabeled pool U, with sim the cosine similarity of their (non-negative, count-like) feature
vectors, so their density lies in [0, 1]. We keep the formula and depart in the similarity:

- **Default: cosine shifted to [0, 1],** ``sim(x, u) = (1 + cos(x, u)) / 2``. On centered
  features (standardized X, most embeddings) the cosine is negative for about half the pairs,
  and the mean cosine of 30–47 % of the rows was ≤ 0; the old density, clipped at 0, gave those
  rows score 0, so they were never queried whatever their uncertainty (olive: −4.9 ± 1.3 AUC
  points vs random). The shifted density is positive by construction: a candidate's mean over U
  includes its own similarity 1, so it is at least 1/|U| (0.5 for a zero row). It is an affine
  map of the mean cosine, so it is still exact in O(N·d) as ``(1 + ⟨x̂, mean_u û⟩) / 2``
  (x̂ = x/‖x‖); no N×N matrix is built. On non-negative features (Settles & Craven's setting,
  cos ∈ [0, 1]) the shifted density spans [0.5, 1] instead of [0, 1], so the density term weighs
  less than theirs at the same β; raise β to weigh it more.
- ``similarity="rbf"`` or ``"laplacian"``: a kernel density estimate, averaged in row chunks
  (O(N²·d) time, O(chunk·N) memory), with a data-driven bandwidth by default (median heuristic:
  γ = 1 / median pairwise squared distance for rbf, 1 / median L1 distance for laplacian, the
  median taken over at most 1,000 evenly spaced candidates). Positive by construction too.
  ``"chi2"`` is offered for non-negative features. Kernels that can be negative (linear,
  sigmoid, polynomial, additive χ²) are not offered: they bring back the clipped zeros.

Measured on the 44-cell label suite (benchmarks/README.md, "density_weighted rerun"; 10 seeds,
paired against random): better / worse than random in 0 / 30 cells with the clipped cosine,
9 / 21 with the shifted one (entropy alone: 12 / 21). The shifted cosine was preferred to the RBF
density on two cells (it won one) and because it stays O(N·d). On standardized features its
density varies little, so the strategy is close to its base uncertainty score there.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.metrics.pairwise import additive_chi2_kernel, pairwise_distances, pairwise_kernels
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
# Kernels whose values are positive, so every candidate has a positive density.
SIMILARITIES = ("chi2", "cosine", "laplacian", "rbf")
_MEDIAN_ROWS = 1_000
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


def shifted_cosine_density(
    X: np.ndarray, chunk_bytes: int = _CHUNK_BYTES // 8, *, rows: np.ndarray | None = None,
) -> np.ndarray:
    """Mean of ``(1 + cos(x, u)) / 2`` over the rows u of X (or of ``X[rows]``), for every such
    row x, shape (n,): ``(1 + mean_cosine_similarity) / 2``, exact in O(N·d). Every value is in
    (0, 1]: at least 1/n for a non-zero row (its similarity to itself is 1), 0.5 for a zero row."""
    return 0.5 * (1.0 + mean_cosine_similarity(X, chunk_bytes=chunk_bytes, rows=rows))


def median_heuristic_gamma(X: np.ndarray, metric: str = "rbf", max_rows: int = _MEDIAN_ROWS) -> float:
    """Bandwidth γ = 1 / the median distance between pairs of rows of X, in the distance the
    kernel exponentiates (squared Euclidean for "rbf", L1 for "laplacian", χ² for "chi2"), over
    at most `max_rows` evenly spaced rows (deterministic). 1.0 when every row is the same."""
    X = np.asarray(X, dtype=np.float64)
    sample = X[np.unique(np.linspace(0, X.shape[0] - 1, min(max_rows, X.shape[0])).astype(np.intp))]
    if metric == "chi2":
        D = -additive_chi2_kernel(sample)
    else:
        D = pairwise_distances(sample, metric="sqeuclidean" if metric == "rbf" else "manhattan")
    off = D[np.triu_indices(sample.shape[0], k=1)]
    med = float(np.median(off)) if off.size else 0.0
    return 1.0 / med if med > 0 else 1.0


def information_density_scores(uncertainty: np.ndarray, density: np.ndarray, beta: float = 1.0) -> np.ndarray:
    """``uncertainty · max(density, 0)^β``. The strategy's densities are positive by construction
    (see the module docstring); the clip only keeps the power real for a caller's own density."""
    return np.asarray(uncertainty, dtype=np.float64) * np.maximum(density, 0.0) ** beta


@register
class DensityWeighted(ScoreStrategy):
    """Information density: base uncertainty times mean similarity to the unlabeled pool, to the β.

    Settles & Craven 2008, "An Analysis of Active Learning Strategies for Sequence Labeling
    Tasks" (EMNLP), with a similarity that is positive on any features: by default the cosine
    shifted to [0, 1], ``(1 + cos) / 2`` (they use the plain cosine of non-negative vectors; on
    centered features its mean is ≤ 0 for a third of the rows, which then could never be
    queried; see the module docstring). Similarities are computed on `PoolContext.features`
    (user embedding, model representation, or standardized X).

    Parameters
    ----------
    beta : float, default 1
        Weight of the density term (0 = plain uncertainty sampling).
    base : {"entropy", "margin", "least_confidence"}, default "entropy"
        The uncertainty score (functions of `activelab.strategies.uncertainty`).
    similarity : {"cosine", "rbf", "laplacian", "chi2"}, default "cosine"
        "cosine": mean of (1 + cos) / 2, exact in O(N·d). "rbf", "laplacian": a kernel density
        estimate over the candidates (chunked, O(N²·d) time; practical to a few 10⁴ rows), which
        follows local density rather than direction. "chi2": for non-negative features only.
    gamma : float or None, default None
        Kernel width for "rbf"/"laplacian"/"chi2"; None = the median heuristic (1 / the median
        pairwise squared distance for rbf, L1 distance otherwise), computed each round on the
        candidates.
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
            return shifted_cosine_density(ctx.features(), rows=ctx.candidate_idx)
        feats = ctx.features()[ctx.candidate_idx]
        gamma = self.gamma if self.gamma is not None else median_heuristic_gamma(feats, self.similarity)
        return mean_kernel_similarity(feats, metric=self.similarity, gamma=gamma)

    def scores(self, ctx: PoolContext) -> np.ndarray:
        uncertainty = BASE_UNCERTAINTY[self.base](ctx.proba(self.name))
        return information_density_scores(uncertainty, self.density(ctx), float(self.beta))


def _is_real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)
