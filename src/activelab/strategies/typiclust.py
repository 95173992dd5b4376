"""TypiClust (exploration, low budgets): the most typical point of the largest uncovered clusters.

Hacohen, Dekel & Weinshall 2022 show that with few labels the best queries are *typical* ones
(dense regions), kept diverse by clustering: cluster the pool into |L| + B groups, visit the
largest clusters that hold no labeled point, and from each take the point of highest typicality

    Typicality(x) = ( (1/K) Σ_{x_i ∈ K-NN(x)} ||x − x_i||₂ )⁻¹,   K = 20,

where the neighbours are searched within the cluster. Details follow the authors' code
(github.com/avihu111/TypiClust, deep-al/pycls/al/typiclust.py): clusters capped at 500, K
lowered to half the cluster when it is small, clusters of at most 5 points skipped (here: used
only once the larger clusters run out, so any batch can be filled), typicality recomputed among
the cluster's still-unlabeled points, and the clusters visited round-robin when the budget
exceeds them. (The code feeds faiss' *squared* L2 into the mean; we use the paper's
Euclidean distance.)

Two additions for large pools:

- A cluster of more than `max_cluster_rows` still-unlabeled rows at its first visit is
  represented by a random sample of that many of them, drawn once; its picks are the sample's most
  typical remaining rows (K-NN searched within the sample). An exact K-NN inside a 40,000-row
  cluster of 512-d features costs ~10¹² flops (a minute on one core) per visit, and on a 10⁶-row
  pool MiniBatchKMeans leaves dozens of such clusters; pools of up to `max_cluster_rows` rows are
  never affected.
- Revisits reuse the cluster's K-NN graph (`ShrinkingKNN`): each row keeps its 2K nearest
  neighbours, a removed row is skipped in every list, and only the rows left with fewer than K
  are searched again. The K nearest *remaining* rows are the first K remaining entries of a
  sorted list, so this is exact (up to ties and rounding), and a batch that visits a big cluster
  many times pays for one K-NN search instead of one per visit.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from sklearn.neighbors import NearestNeighbors

try:  # what NearestNeighbors.kneighbors calls for a brute-force search (scikit-learn >= 1.1)
    from sklearn.metrics._pairwise_distances_reduction import ArgKmin
except ImportError:  # pragma: no cover - a scikit-learn that moved it: the public call below
    ArgKmin = None

from .._errors import InvalidInputError
from ..geometry import kmeans
from ._base import Selection, Strategy
from ._context import PoolContext
from .params import Interval
from ._registry import register

_EPS = 1e-5  # as in the authors' code, so a cluster of duplicates has finite typicality


def typicality(features: np.ndarray, k_neighbors: int = 20) -> np.ndarray:
    """1 / (mean Euclidean distance to the K nearest other rows + 1e-5), K = min(k, n // 2).

    Parameters
    ----------
    features : ndarray of shape (n, d), n >= 2

    Returns
    -------
    ndarray of shape (n,); higher = in a denser region.
    """
    n = features.shape[0]
    if n < 2:
        raise InvalidInputError(f"typicality needs at least 2 rows; got {n}.")
    if not isinstance(k_neighbors, (int, np.integer)) or k_neighbors < 1:
        raise InvalidInputError(f"typicality: k_neighbors must be an integer >= 1; got {k_neighbors!r}.")
    return ShrinkingKNN(features, np.arange(n), k_neighbors).typicality(k_neighbors)[1]


class ShrinkingKNN:
    """K-NN distances within a fixed set of rows while rows are removed from it.

    Each row keeps its `cache` nearest neighbours (sorted); queries skip removed rows, and a row
    left with fewer than K live neighbours is searched again among the live rows. Exact: the K
    nearest live rows are the first K live entries of any sorted list that holds them.
    """

    def __init__(self, features: np.ndarray, rows: np.ndarray, cache: int) -> None:
        self.features = features
        self.rows = np.asarray(rows, dtype=np.intp)  # pool positions, ascending
        m = self.rows.shape[0]
        self.n_live = m
        self.live = np.ones(m + 1, dtype=bool)
        self.live[m] = False  # position m pads short lists: never live
        c = min(int(cache), m - 1)
        dist, nbr = kneighbors_within(features[self.rows], c)
        # compact: distances at the features' precision, positions in the smallest int that fits
        # (a 10⁶-row pool keeps ~10⁶ × 2K entries while a batch visits all its clusters)
        self.dist = dist.astype(np.result_type(features.dtype, np.float32), copy=False)
        self.nbr = nbr.astype(np.int16 if m < np.iinfo(np.int16).max else np.int32)

    def remove(self, position: int) -> None:
        """Mark one row (its position in `rows`) as gone."""
        if self.live[position]:
            self.live[position] = False
            self.n_live -= 1

    def typicality(self, k_neighbors: int) -> tuple[np.ndarray, np.ndarray]:
        """(positions of the live rows, their typicality among the live rows), K = min(k, n // 2)."""
        pos, mean = self.mean_distances(min(k_neighbors, self.n_live // 2))
        return pos, 1.0 / (mean + _EPS)

    def mean_distances(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(positions of the live rows, mean distance of each to its k >= 1 nearest live rows)."""
        pos = np.flatnonzero(self.live)
        valid = self.live[self.nbr[pos]]
        short = valid.sum(axis=1) < k
        if short.any():
            self._research(pos[short], pos)
            valid = self.live[self.nbr[pos]]
        first_k = valid & (np.cumsum(valid, axis=1) <= k)
        return pos, np.where(first_k, self.dist[pos], 0.0).sum(axis=1, dtype=np.float64) / k

    def _research(self, need: np.ndarray, live: np.ndarray, block: int = 512) -> None:
        """New neighbour lists for rows `need` among the `live` rows (each one itself excluded).

        Few rows run short at a time, so this is a direct float64 distance block rather than a
        scikit-learn search (whose per-call overhead is ~10 ms, and far more when OpenMP threads
        compete for busy cores)."""
        c = min(self.nbr.shape[1], live.shape[0] - 1)
        L = self.features[self.rows[live]].astype(np.float64)
        L_sq = np.einsum("ij,ij->i", L, L)
        own = np.searchsorted(live, need)
        self.dist[need] = np.inf
        self.nbr[need] = self.live.shape[0] - 1
        for s in range(0, need.shape[0], block):
            rows, mine = need[s:s + block], own[s:s + block]
            d2 = L_sq[mine, None] - 2.0 * (L[mine] @ L.T) + L_sq[None, :]
            d2[np.arange(rows.shape[0]), mine] = np.inf  # not its own neighbour
            part = np.argpartition(d2, c - 1, axis=1)[:, :c]
            part_d2 = np.take_along_axis(d2, part, axis=1)
            order = np.argsort(part_d2, axis=1, kind="stable")
            self.dist[rows, :c] = np.sqrt(np.maximum(np.take_along_axis(part_d2, order, axis=1), 0.0))
            self.nbr[rows, :c] = live[np.take_along_axis(part, order, axis=1)]


def kneighbors_within(F: np.ndarray, n_neighbors: int) -> tuple[np.ndarray, np.ndarray]:
    """``NearestNeighbors(n_neighbors).fit(F).kneighbors()``: distances and positions of each
    row's nearest other rows, shape (m, n_neighbors) each, sorted by distance.

    Where scikit-learn would search by brute force (more than 15 columns, or n_neighbors at
    least half the rows: every small cluster) on float rows, this calls the routine its
    `kneighbors` calls (`ArgKmin`, with one extra neighbour, then drops each row itself as it
    does), so the numbers are the same, without the ~0.5 ms of estimator validation per call
    that a round visiting 50 small clusters paid 50 times. Otherwise it is that call itself.
    """
    m, d = F.shape
    if ArgKmin is not None and F.dtype in (np.float32, np.float64) and (d > 15 or n_neighbors >= m // 2):
        X = np.ascontiguousarray(F)
        dist, ind = ArgKmin.compute(X=X, Y=X, k=n_neighbors + 1, metric="euclidean",
                                    metric_kwargs={}, strategy="auto", return_distance=True)
        keep = ind != np.arange(m)[:, None]
        keep[np.all(keep, axis=1), 0] = False  # a row tied with duplicates at 0: drop the first
        return dist[keep].reshape(m, n_neighbors), ind[keep].reshape(m, n_neighbors)
    return NearestNeighbors(n_neighbors=n_neighbors).fit(F).kneighbors()


class TypiClustResult(NamedTuple):
    """Outcome of `typiclust_select`: chosen rows, their clusters and typicality (aligned)."""

    idx: np.ndarray
    clusters: np.ndarray
    typicality: np.ndarray


def typiclust_select(
    features: np.ndarray,
    cluster_labels: np.ndarray,
    labeled_idx: np.ndarray,
    k: int,
    *,
    k_neighbors: int = 20,
    min_cluster_size: int = 5,
    max_cluster_rows: int | None = None,
    rng: np.random.Generator | None = None,
    rank_sizes: np.ndarray | None = None,
    rank_covered: np.ndarray | None = None,
) -> TypiClustResult:
    """Pick k unlabeled rows: the most typical one from each cluster, largest uncovered first.

    Parameters
    ----------
    features : ndarray of shape (n_samples, d)
        The whole pool.
    cluster_labels : ndarray of int, shape (n_samples,)
        Cluster of every row (labeled rows included).
    labeled_idx : ndarray of int
        Labeled rows; they are never chosen and count towards covering their cluster.
    k : int
        How many rows to choose, at most the number of unlabeled rows.
    k_neighbors : int
        K of the typicality (lowered to half the cluster for small clusters).
    min_cluster_size : int
        Clusters with at most this many rows are outliers, used only once every larger cluster
        is exhausted.
    max_cluster_rows : int or None
        A cluster with more available rows than this at its first visit is ranked on a random
        sample of this many of them (drawn with `rng`), kept for later visits until it runs out;
        None: always all rows (exact).
    rng : numpy Generator
        Needed only when `max_cluster_rows` is set.
    rank_sizes, rank_covered : ndarray of int, shape (n_clusters,), optional
        Cluster sizes and labeled counts to rank and tier the clusters by, when `features` holds
        only part of each cluster (a distributed query gathers a sample of the clusters it will
        visit); default: counted from `cluster_labels` and `labeled_idx`.

    Clusters are ranked by (number of labeled rows ascending, size descending, id ascending) and
    visited round-robin in that order; each visit takes the most typical of the cluster's rows
    not yet labeled or chosen (typicality computed among those rows, from the cluster's K-NN
    graph kept between visits; ties → lowest row).
    Deterministic unless a cluster is sampled (then determined by `rng`).
    """
    if not isinstance(features, np.ndarray):
        raise InvalidInputError(
            "typiclust: features must be a dense NumPy array (call .toarray() on a sparse matrix, "
            f"or pass a dense embedding); got {type(features).__name__}."
        )
    labels = np.asarray(cluster_labels, dtype=np.intp)
    n = labels.shape[0]
    available = np.ones(n, dtype=bool)
    available[np.asarray(labeled_idx, dtype=np.intp)] = False
    if not 1 <= k <= int(available.sum()):
        raise InvalidInputError(
            f"typiclust: k must be in [1, {int(available.sum())}] (the unlabeled rows); got {k}."
        )
    if max_cluster_rows is not None and rng is None:
        raise InvalidInputError("typiclust: max_cluster_rows needs rng= to draw the samples.")
    n_clusters = int(labels.max()) + 1
    if rank_sizes is not None:
        n_clusters = max(n_clusters, len(rank_sizes))
    sizes = np.bincount(labels, minlength=n_clusters)
    covered = np.bincount(labels[~available], minlength=n_clusters)
    remaining = sizes - covered  # available rows per cluster
    rank_s = sizes if rank_sizes is None else np.asarray(rank_sizes)
    rank_c = covered if rank_covered is None else np.asarray(rank_covered)
    ids = np.flatnonzero(rank_s)
    ranked = ids[np.lexsort((ids, -rank_s[ids], rank_c[ids]))]
    by_cluster = np.argsort(labels, kind="stable")  # rows grouped by cluster, ascending within
    starts = np.r_[0, np.cumsum(sizes)]
    idx, clusters, typ = [], [], []
    graphs: dict[int, ShrinkingKNN | None] = {}  # per visited cluster: its rows' K-NN graph
    large = rank_s[ranked] > min_cluster_size
    for tier in (ranked[large], ranked[~large]):
        active = list(tier)
        while active and len(idx) < k:
            still = []
            for c in active:
                if len(idx) == k:
                    break
                if remaining[c] == 0:
                    continue
                graph = graphs.get(c)
                if graph is None or graph.n_live < 2:  # first visit, or its sample ran out
                    members = by_cluster[starts[c]:starts[c + 1]]
                    members = members[available[members]]
                    if max_cluster_rows is not None and members.size > max_cluster_rows:
                        members = np.sort(rng.choice(members, size=max_cluster_rows, replace=False))
                    graph = ShrinkingKNN(features, members, 2 * k_neighbors) if members.size > 1 else None
                    graphs[c] = graph
                if graph is None:  # the cluster's last row
                    best, score = members[0], np.nan
                else:
                    pos, t = graph.typicality(k_neighbors)
                    j = int(np.argmax(t))
                    best, score = graph.rows[pos[j]], float(t[j])
                    graph.remove(pos[j])
                available[best] = False
                remaining[c] -= 1
                idx.append(int(best))
                clusters.append(int(c))
                typ.append(score)
                if remaining[c] > 0:
                    still.append(c)
                else:
                    graphs.pop(c, None)
            active = still
    return TypiClustResult(np.asarray(idx, dtype=np.intp), np.asarray(clusters), np.asarray(typ))


@register
class TypiClust(Strategy):
    """TypiClust: the most typical point of each of the largest clusters holding no label.

    A cold-start strategy for small budgets. Clusters the whole pool's features into
    min(|L| + batch_size, max_clusters) groups, then picks as `typiclust_select` describes.
    Clustering uses KMeans up to `minibatch_above` rows and MiniBatchKMeans beyond. (The authors
    switch on the cluster count instead — KMeans up to 50 clusters — but Lloyd iterations on
    10⁶ rows take minutes even for 20 clusters.)
    Typicality is the inverse mean distance to the K = `k_neighbors` nearest neighbours within
    the cluster. Scores are None (typicality is only computed in the visited clusters); `info`
    holds each pick's cluster and typicality.

    Parameters
    ----------
    k_neighbors : int
        K of the typicality (paper: 20).
    max_clusters : int
        Cap on the number of clusters (paper: 500), which bounds the clustering cost.
    min_cluster_size : int
        Clusters of at most this many rows are skipped until the others run out (paper: 5).
    minibatch_above : int
        Pools with more rows are clustered with MiniBatchKMeans.
    max_cluster_rows : int
        Typicality in a cluster with more unlabeled rows is computed on a random sample of this
        many (not in the paper; bounds a visit's cost at max_cluster_rows² · d, see the module
        docstring). Pools of at most this many rows are exact.

    Reference: Hacohen, Dekel & Weinshall 2022, "Active Learning on a Budget: Opposite
    Strategies Suit High and Low Budgets" (ICML).
    """

    name = "typiclust"
    reports_scores = "never"  # typicality is per cluster visit, in info
    _parameter_constraints = {
        "k_neighbors": [Interval("int", 1)],
        "max_clusters": [Interval("int", 1)],
        "min_cluster_size": [Interval("int", 0)],
        "minibatch_above": [Interval("int", 1)],
        "max_cluster_rows": [Interval("int", 2)],
    }
    family = "exploration"
    reference = (
        "Hacohen, Dekel & Weinshall 2022, Active Learning on a Budget: Opposite Strategies "
        "Suit High and Low Budgets (ICML)"
    )
    needs_model = False

    def __init__(
        self, k_neighbors: int = 20, max_clusters: int = 500, min_cluster_size: int = 5,
        minibatch_above: int = 20_000, max_cluster_rows: int = 4_000,
    ) -> None:
        self.k_neighbors = k_neighbors
        self.max_clusters = max_clusters
        self.min_cluster_size = min_cluster_size
        self.minibatch_above = minibatch_above
        self.max_cluster_rows = max_cluster_rows

    def select(self, ctx: PoolContext, batch_size: int, rng: np.random.Generator) -> Selection:
        self._validate_params()
        feats = ctx.features()
        lab = ctx.labeled_idx
        n_clusters = min(lab.shape[0] + batch_size, int(self.max_clusters), ctx.n_samples)
        labels, _ = kmeans(feats, n_clusters, int(rng.integers(2**31 - 1)),
                           minibatch_above=int(self.minibatch_above))
        res = typiclust_select(
            feats, labels, lab, batch_size,
            k_neighbors=int(self.k_neighbors), min_cluster_size=int(self.min_cluster_size),
            max_cluster_rows=int(self.max_cluster_rows), rng=rng,
        )
        return Selection(
            idx=res.idx, candidate_idx=ctx.candidate_idx,
            info={"n_clusters": n_clusters, "clusters": res.clusters.tolist(),
                  "typicality": [None if np.isnan(t) else t for t in res.typicality.tolist()]},
        )
