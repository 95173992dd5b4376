"""The k-means based strategies over workers: distributed Lloyd iterations, then the pieces that
need a whole cluster (TypiClust's typicality) gathered only for the clusters it will visit.

An approximation, documented and tested: the in-memory strategies cluster with scikit-learn
(KMeans, or MiniBatchKMeans above 20,000 rows), whose iterations cannot be split over shards.
Here k-means++ seeds a uniform sample of the rows, as scikit-learn's MiniBatchKMeans does, then
full Lloyd passes (each one pass over the pool) run until the centers move less than `tol` ×
the features' mean variance, or `max_iter` passes.
"""

from __future__ import annotations

import numpy as np

from .._errors import InvalidInputError
from ..strategies.typiclust import typiclust_select
from .worker import Featurizer

#: Lloyd passes at most (each one pass over the pool's rows).
MAX_ITER = 20
#: Stop when Σ‖Δcenter‖² ≤ TOL × the sample's mean feature variance (scikit-learn's rule).
TOL = 1e-4


def _ranks_to_positions(ranks, labeled, which):
    from .query import _candidate_positions

    return _candidate_positions(ranks, labeled) if which == "candidates" else np.asarray(ranks, dtype=np.int64)


def _gather_features(runner, workers, bounds, positions, featurize) -> np.ndarray:
    """Featurized rows at sorted global `positions`, from the workers that own them."""
    owner = np.searchsorted(bounds, positions, side="right") - 1
    parts = runner.call(workers, "gather", [(positions[owner == w],) for w in range(len(workers))])
    return featurize(np.concatenate(parts))


def lloyd(runner, workers, bounds, featurize: Featurizer, n_clusters: int, n_rows: int,
          labeled: np.ndarray, which: str, seed: int):
    """Distributed k-means over the `which` rows ("candidates" or "all"): k-means++ on a random
    sample, then Lloyd passes; the last pass stores each row's cluster in its worker.
    Returns (centers, sizes)."""
    from sklearn.cluster import kmeans_plusplus

    rs = np.random.RandomState(seed)
    size = min(n_rows, max(3 * max(4096, 2 * n_clusters), n_clusters))
    ranks = np.sort(rs.choice(n_rows, size=size, replace=False))
    sample = _gather_features(runner, workers, bounds, _ranks_to_positions(ranks, labeled, which),
                              featurize).astype(np.float64)
    centers, _ = kmeans_plusplus(sample, n_clusters, random_state=rs)
    tol = TOL * float(np.mean(np.var(sample, axis=0)))
    for _ in range(MAX_ITER):
        stats = runner.call(workers, "km_stats", [(featurize, centers, which)] * len(workers))
        sums = sum(s for s, _, _ in stats if s is not None)
        counts = sum(c for _, c, _ in stats)
        new = centers.copy()
        full = counts > 0
        new[full] = sums[full] / counts[full, None]  # an empty cluster keeps its center
        shift = float(((new - centers) ** 2).sum())
        centers = new
        if shift <= tol:
            break
    stats = runner.call(workers, "km_stats", [(featurize, centers, which, True)] * len(workers))
    return centers, sum(c for _, c, _ in stats)


def kmeans_select(*, batch_size, runner, workers, rng, positions, n_cand, bounds, fitted,
                  X_lab, strategy, **_) -> np.ndarray:
    """`KMeansSampling` over workers: batch_size clusters of the candidates, each cluster's
    member closest to its center, largest cluster first; empty clusters filled at random."""
    from .query import _candidate_positions, _featurizer

    if batch_size >= n_cand:  # every candidate is its own cluster (as in memory)
        return _candidate_positions(rng.permutation(n_cand), positions)
    seed = int(rng.integers(2**31 - 1))
    feat = _featurizer(runner, workers, fitted, X_lab)
    _, sizes = lloyd(runner, workers, bounds, feat, batch_size, n_cand, positions, "candidates", seed)
    best = runner.call(workers, "km_best")
    dist = np.stack([d for d, _ in best])
    pos = np.stack([p for _, p in best])
    # per cluster the closest row over all workers; ties → lowest position (workers are ordered)
    w = np.argmin(dist, axis=0)
    rows = pos[w, np.arange(batch_size)]
    clusters = np.flatnonzero(sizes > 0)
    order = clusters[np.lexsort((clusters, -sizes[clusters]))]
    chosen = rows[order]
    if chosen.shape[0] < batch_size:
        taken = np.searchsorted(_candidate_positions(np.arange(n_cand), positions), chosen)
        rest = np.setdiff1d(np.arange(n_cand), taken)
        fill = rng.choice(rest, size=batch_size - chosen.shape[0], replace=False)
        chosen = np.concatenate([chosen, _candidate_positions(fill, positions)])
    return chosen


def typiclust(*, batch_size, runner, workers, rng, positions, n_cand, bounds, fitted, X_lab,
              strategy, **_) -> np.ndarray:
    """TypiClust over workers: distributed k-means of the whole pool into min(|L| + B,
    max_clusters) clusters; then, for the clusters it will visit (largest uncovered first), a
    sample of at most `max_cluster_rows` unlabeled rows each is gathered and
    `typiclust_select` ranks them by typicality, with the clusters' true sizes and label counts."""
    from .query import _featurizer

    strategy._validate_params()
    n_rows = n_cand + positions.shape[0]
    n_clusters = min(positions.shape[0] + batch_size, int(strategy.max_clusters), n_rows)
    seed = int(rng.integers(2**31 - 1))
    feat = _featurizer(runner, workers, fitted, X_lab)
    _, sizes = lloyd(runner, workers, bounds, feat, n_clusters, n_rows, positions, "all", seed)
    owner = np.searchsorted(bounds, positions, side="right") - 1
    lab_clusters = runner.call(workers, "km_labels_of",
                               [(positions[owner == w],) for w in range(len(workers))])
    covered = np.bincount(np.concatenate(lab_clusters).astype(np.intp), minlength=n_clusters)
    avail_w = np.stack(runner.call(workers, "km_available"))  # (workers, clusters)
    avail = avail_w.sum(axis=0)
    # the clusters a batch can visit: largest uncovered first, large before small, until they
    # hold batch_size rows and number at least batch_size (or run out)
    ids = np.flatnonzero(sizes)
    ranked = ids[np.lexsort((ids, -sizes[ids], covered[ids]))]
    large = sizes[ranked] > int(strategy.min_cluster_size)
    visit = [c for c in np.concatenate([ranked[large], ranked[~large]]) if avail[c] > 0]
    cap = int(strategy.max_cluster_rows)
    needed, total = [], 0
    for c in visit:
        needed.append(int(c))
        total += min(int(avail[c]), cap)
        if len(needed) >= batch_size and total >= batch_size:
            break
    if total < batch_size:
        raise InvalidInputError(f"typiclust: only {total} unlabeled rows to choose from.")
    shares = [dict() for _ in workers]
    for c in needed:
        m = min(int(avail[c]), cap)
        split = (avail_w[:, c] if m == avail[c]
                 else rng.multivariate_hypergeometric(avail_w[:, c], m))
        for w in range(len(workers)):
            shares[w][c] = int(split[w])
    sampled = np.sort(np.concatenate(runner.call(
        workers, "km_sample", [(shares[w], seed) for w in range(len(workers))])))
    sub_feat = _gather_features(runner, workers, bounds, sampled, feat)
    owner = np.searchsorted(bounds, sampled, side="right") - 1
    sub_lab = np.concatenate(runner.call(
        workers, "km_labels_of", [(sampled[owner == w],) for w in range(len(workers))]))
    res = typiclust_select(
        np.ascontiguousarray(sub_feat), sub_lab, np.empty(0, dtype=np.intp), batch_size,
        k_neighbors=int(strategy.k_neighbors), min_cluster_size=int(strategy.min_cluster_size),
        max_cluster_rows=None, rank_sizes=sizes, rank_covered=covered,
    )
    return sampled[res.idx]
