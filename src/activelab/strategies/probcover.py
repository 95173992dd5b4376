"""ProbCover (exploration, low budgets): greedy maximum coverage of the pool by δ-balls.

Yehuda, Dekel, Hacohen & Weinshall 2022 pick the batch that maximises *probability coverage*:
the fraction of the pool within distance δ of a labeled point. The problem is NP-hard; the
greedy algorithm (a 1 − 1/e approximation) builds the ball graph — an edge x → x' whenever
||x − x'|| ≤ δ — removes every point already covered by a labeled ball, then repeatedly takes the
point whose ball covers most still-uncovered points. When every point is covered the rest of the
batch is drawn at random, as the authors' code does.

δ comes from *purity*: cluster the pool with k-means (k = number of classes); a ball is pure when
all its points share its center's cluster; δ is the largest radius with at least α = 0.95 of the
balls pure. Ball B_δ(x) is pure iff δ < r(x), the distance from x to the nearest point of another
cluster, so the largest such δ is (just below) an order statistic of r — computed exactly, over a
sample of ball centers for large pools (the balls themselves always hold the whole pool).
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
import scipy.sparse as sp
from sklearn.metrics import pairwise_distances_chunked
from sklearn.neighbors import NearestNeighbors

from .._errors import InvalidInputError
from ..geometry import kmeans
from ._base import Selection, Strategy
from ._context import PoolContext
from .params import Interval, Options
from ._registry import register

#: δ is taken this much (relatively) below the purity order statistic, so the ball that sets it
#: stays pure despite rounding in the distance computations.
_SHRINK = 1e-6


def purity_radius(
    features: np.ndarray, cluster_labels: np.ndarray, alpha: float = 0.95,
    *, sample_idx: np.ndarray | None = None,
) -> tuple[float, float]:
    """The largest δ whose closed balls are pure for at least a fraction `alpha` of the centers.

    Parameters
    ----------
    features : ndarray of shape (n_samples, d)
    cluster_labels : ndarray of int, shape (n_samples,)
    alpha : float in (0, 1]
    sample_idx : ndarray of int, optional
        Ball centers to evaluate (default: every row); the balls hold the whole pool.

    Returns
    -------
    (radius, purity) : the radius and the fraction of evaluated balls that are pure at it.
    The radius is 0.0 when no positive radius reaches `alpha` or when there is a single cluster.
    """
    labels = np.asarray(cluster_labels)
    rows = np.arange(labels.shape[0]) if sample_idx is None else np.asarray(sample_idx)

    def nearest_other(D, start):
        own = labels[rows[start:start + D.shape[0]]]
        D[labels[None, :] == own[:, None]] = np.inf
        return D.min(axis=1)

    r = np.concatenate(list(pairwise_distances_chunked(
        features[rows], features, reduce_func=nearest_other, working_memory=64,
    ))).astype(np.float64)
    m = r.shape[0]
    n_pure = max(1, math.ceil(alpha * m - 1e-9))  # fewest pure balls that reach alpha
    bound = float(np.sort(r)[::-1][n_pure - 1])
    radius = bound * (1 - _SHRINK) if np.isfinite(bound) else 0.0
    return radius, float(np.mean(r > radius))


def ball_graph(
    features: np.ndarray, radius: float, *, max_edges: int | None = None
) -> sp.csr_matrix:
    """Sparse ball graph: row x holds every row within `radius` of x (x itself included).

    Built with scikit-learn's radius_neighbors a block of rows at a time (O(n²·d) time, memory
    O(edges)); raises InvalidInputError once the edges pass `max_edges`.
    """
    n = features.shape[0]
    nn = NearestNeighbors(radius=radius).fit(features)
    parts, n_edges = [], 0
    for i0 in range(0, n, 4096):
        part = nn.radius_neighbors_graph(features[i0:i0 + 4096], mode="connectivity")
        n_edges += part.nnz
        if max_edges is not None and n_edges > max_edges:
            raise InvalidInputError(
                f"probcover: radius {radius:.4g} links more than {max_edges} pairs after "
                f"{min(n, i0 + 4096)} of {n} rows; pass a smaller radius (or a lower alpha), "
                "or raise max_edges if memory allows."
            )
        parts.append(sp.csr_matrix(  # int8 ones: an eighth of the float64 memory
            (np.ones(part.nnz, dtype=np.int8), part.indices, part.indptr), shape=part.shape
        ))
    graph = sp.vstack(parts, format="csr")
    return graph.maximum(sp.identity(n, dtype=np.int8, format="csr"))  # a ball holds its center


class CoverResult(NamedTuple):
    """Outcome of `max_coverage_greedy`.

    idx : chosen rows in pick order. gain : newly covered rows per pick (0 for random fill).
    degree : (n_candidates,) uncovered rows in each candidate's ball before selection.
    n_covered : rows covered by the labeled and chosen balls together.
    """

    idx: np.ndarray
    gain: np.ndarray
    degree: np.ndarray
    n_covered: int


def max_coverage_greedy(
    graph: sp.csr_matrix, labeled_idx: np.ndarray, candidate_idx: np.ndarray, k: int,
    rng: np.random.Generator,
) -> CoverResult:
    """Greedy max coverage: the labeled balls' points count as covered; then k times take the
    candidate whose ball holds most uncovered points (ties at random). Once nothing is left to
    cover, the remaining picks are random candidates."""
    graph = sp.csr_matrix(graph)
    n = graph.shape[0]
    cand = np.asarray(candidate_idx, dtype=np.intp)
    if not 1 <= k <= cand.shape[0]:
        raise InvalidInputError(f"probcover: k must be in [1, {cand.shape[0]}]; got {k}.")
    indptr, indices = graph.indptr, graph.indices
    covered = np.zeros(n, dtype=bool)
    covered[graph[np.asarray(labeled_idx, dtype=np.intp)].indices] = True
    counts = np.r_[0, np.cumsum(~covered[indices], dtype=np.int64)]
    degree = counts[indptr[1:]] - counts[indptr[:-1]]
    excluded = -(n + 1)  # below any degree, even after decrements
    eligible = np.zeros(n, dtype=bool)
    eligible[cand] = True
    degree[~eligible] = excluded
    degree0 = degree[cand].astype(np.float64)
    covers = graph.T.tocsr()  # row y: the rows whose ball holds y
    chosen, gain = [], []
    while len(chosen) < k:
        best = degree.max()
        if best <= 0:
            break
        ties = np.flatnonzero(degree == best)
        x = int(ties[0] if ties.shape[0] == 1 else rng.choice(ties))
        ball = indices[indptr[x]:indptr[x + 1]]
        new = ball[~covered[ball]]
        covered[new] = True
        degree -= np.bincount(covers[new].indices, minlength=n)
        degree[x] = excluded
        chosen.append(x)
        gain.append(new.shape[0])
    if len(chosen) < k:
        rest = np.flatnonzero(degree >= 0)
        fill = rng.choice(rest, size=k - len(chosen), replace=False)
        chosen.extend(fill.tolist())
        gain.extend([0] * fill.shape[0])
    return CoverResult(np.asarray(chosen, dtype=np.intp), np.asarray(gain), degree0,
                       int(covered.sum()))


@register
class ProbCover(Strategy):
    """ProbCover: greedy maximum coverage of the pool by δ-balls around labeled points.

    A cold-start strategy for small budgets. Builds the ball graph of the pool's features,
    treats points within δ of a labeled row as covered, and picks candidates whose balls cover
    the most uncovered points; random once all is covered. Scores are each candidate's number of
    uncovered points in its ball before selection.

    Parameters
    ----------
    radius : float > 0 or "auto"
        δ, in feature units. "auto": the largest δ with purity >= `alpha`, where purity is
        measured against k-means with `n_clusters` clusters (evaluated on at most
        `purity_sample` ball centers, with balls over the whole pool).
    alpha : float in (0, 1]
        Purity threshold of the automatic radius (paper: 0.95).
    n_clusters : int >= 2 or None
        k of the purity k-means; None uses the number of classes (pass `classes=` to `query`
        when some have no label yet).
    purity_sample : int
        At most this many ball centers are used to estimate purity.
    max_edges : int
        Refuse a radius whose graph would hold more edges (memory guard).

    Building the graph is O(n²·d): fine to ~10⁵ rows on a CPU.

    Reference: Yehuda, Dekel, Hacohen & Weinshall 2022, "Active Learning Through a Covering
    Lens" (NeurIPS).
    """

    name = "probcover"
    family = "exploration"
    reference = (
        "Yehuda, Dekel, Hacohen & Weinshall 2022, Active Learning Through a Covering Lens (NeurIPS)"
    )
    needs_model = False
    _parameter_constraints = {
        "radius": [Interval("real", 0, closed="neither"), Options(["auto"])],
        "alpha": [Interval("real", 0, 1, closed="right")],
        "n_clusters": [None, Interval("int", 2)],
        "purity_sample": [Interval("int", 1)],
        "max_edges": [Interval("int", 1)],
    }

    def __init__(
        self, radius="auto", alpha: float = 0.95, n_clusters: int | None = None,
        purity_sample: int = 2000, max_edges: int = 100_000_000,
    ) -> None:
        self.radius = radius
        self.alpha = alpha
        self.n_clusters = n_clusters
        self.purity_sample = purity_sample
        self.max_edges = max_edges

    def select(self, ctx: PoolContext, batch_size: int, rng: np.random.Generator) -> Selection:
        self._validate_params()
        feats = ctx.features()
        info = {}
        if isinstance(self.radius, str):
            radius, purity = self._auto_radius(ctx, feats, rng)
            info["purity"] = purity
        else:
            radius = float(self.radius)
        graph = ball_graph(feats, radius, max_edges=int(self.max_edges))
        cand = ctx.candidate_idx
        res = max_coverage_greedy(graph, ctx.labeled_idx, cand, batch_size, rng)
        info.update(radius=radius, coverage=res.n_covered / ctx.n_samples,
                    n_edges=int(graph.nnz))
        return Selection(idx=res.idx, scores=res.degree, candidate_idx=cand, info=info)

    def _auto_radius(self, ctx: PoolContext, feats: np.ndarray, rng) -> tuple[float, float]:
        k = self.n_clusters if self.n_clusters is not None else ctx.classes.shape[0]
        if k < 2:
            raise InvalidInputError(
                "probcover: radius='auto' clusters the pool into one cluster per class, but "
                f"only {k} class(es) are known; pass classes= (every label) to query, or "
                "n_clusters=, or a numeric radius."
            )
        n = ctx.n_samples
        k = min(int(k), n)
        labels, _ = kmeans(feats, k, int(rng.integers(2**31 - 1)))
        sample = None
        if n > self.purity_sample:
            sample = np.sort(rng.choice(n, size=int(self.purity_sample), replace=False))
        return purity_radius(feats, labels, float(self.alpha), sample_idx=sample)
