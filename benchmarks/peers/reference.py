"""Plain NumPy references: each algorithm written as directly as the paper states it —
vectorized, but with no algorithmic shortcut (no lazy updates, no factorized distances, no
chunking beyond what keeps a matrix finite). They set the floor the table compares against and
double as readable specifications.
"""

from __future__ import annotations

import numpy as np

from . import Pool


def _top(scores: np.ndarray, cand: np.ndarray, k: int) -> np.ndarray:
    return cand[np.argsort(-scores, kind="stable")[:k]]


def margin(pool: Pool, batch_size: int, seed: int) -> np.ndarray:
    p = np.sort(pool.proba, axis=1)
    return _top(1.0 - (p[:, -1] - p[:, -2]), pool.candidate_idx, batch_size)


def entropy(pool: Pool, batch_size: int, seed: int) -> np.ndarray:
    p = pool.proba
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -np.where(p > 0, p * np.log(p), 0.0).sum(axis=1)
    return _top(h, pool.candidate_idx, batch_size)


def _sq_dist(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """Full (len(A), len(B)) matrix of squared Euclidean distances."""
    d = (A * A).sum(1)[:, None] + (B * B).sum(1)[None, :] - 2.0 * (A @ B.T)
    return np.maximum(d, 0.0)


def coreset(pool: Pool, batch_size: int, seed: int) -> np.ndarray:
    """k-center greedy (Sener & Savarese 2018, Alg. 1): distance matrix to the labeled rows,
    then one full O(N·d) update per pick."""
    X, cand, lab = pool.X, pool.candidate_idx, pool.labeled_idx
    Xc = X[cand]
    min_d = _sq_dist(Xc, X[lab]).min(axis=1)
    chosen = []
    for _ in range(batch_size):
        j = int(np.argmax(min_d))
        chosen.append(j)
        min_d = np.minimum(min_d, ((Xc - Xc[j]) ** 2).sum(axis=1))
        min_d[j] = -1.0
    return cand[np.asarray(chosen)]


def badge(pool: Pool, batch_size: int, seed: int) -> np.ndarray:
    """BADGE (Ash et al. 2020): build the gradient embeddings (p − e_ŷ) ⊗ h explicitly, then
    k-means++ seeding (first center: largest norm)."""
    rng = np.random.default_rng(seed)
    cand = pool.candidate_idx
    p = pool.proba
    a = p.copy()
    a[np.arange(len(a)), p.argmax(axis=1)] -= 1.0
    h = pool.X[cand]
    g = (a[:, :, None] * h[:, None, :]).reshape(len(cand), -1)
    j = int(np.argmax((g * g).sum(axis=1)))
    chosen = [j]
    min_d = ((g - g[j]) ** 2).sum(axis=1)
    for _ in range(batch_size - 1):
        w = min_d / min_d.sum()
        j = int(rng.choice(len(w), p=w))
        chosen.append(j)
        min_d = np.minimum(min_d, ((g - g[j]) ** 2).sum(axis=1))
    return cand[np.asarray(chosen)]


def typiclust(pool: Pool, batch_size: int, seed: int, max_clusters: int = 500,
              k_neighbors: int = 20, min_cluster_size: int = 5,
              max_cluster_rows: int = 4000) -> np.ndarray:
    """TypiClust (Hacohen et al. 2022, as in the authors' code): k-means into min(|L| + B, 500)
    clusters (MiniBatchKMeans beyond 20,000 rows), clusters of at most 5 rows set aside; visit
    the others round-robin, fewest labeled rows first, then largest, and take the most typical
    unlabeled point of each (typicality = inverse mean distance to the K nearest neighbours
    within the cluster's unlabeled rows, K = min(20, size // 2)); the small clusters only once
    the others run out. As activelab, a cluster with more than 4,000 unlabeled rows is ranked on
    a random sample of 4,000 of them, kept for its later visits until it runs out (same
    algorithm). Plainly, the K-NN is searched again at every visit; activelab keeps each
    cluster's K-NN graph between visits."""
    from sklearn.cluster import KMeans, MiniBatchKMeans
    from sklearn.neighbors import NearestNeighbors

    X, lab = pool.X, pool.labeled_idx
    rng = np.random.default_rng(seed)
    k = min(len(lab) + batch_size, max_clusters)
    km = (KMeans(k, n_init=1, random_state=seed) if len(X) <= 20_000
          else MiniBatchKMeans(k, n_init=1, random_state=seed, batch_size=4096))
    labels = km.fit_predict(X)
    sizes = np.bincount(labels, minlength=k)
    covered = np.bincount(labels[lab], minlength=k)
    free = np.ones(len(X), bool)
    free[lab] = False
    order = np.lexsort((np.arange(k), -sizes, covered))
    order = order[sizes[order] > 0]
    chosen, samples = [], {}
    for tier in (order[sizes[order] > min_cluster_size], order[sizes[order] <= min_cluster_size]):
        while len(chosen) < batch_size:
            before = len(chosen)
            for c in tier:
                if len(chosen) == batch_size:
                    break
                members = np.flatnonzero((labels == c) & free)
                if len(members) == 0:
                    continue
                kept = samples.get(c)
                if kept is not None and free[kept].sum() >= 2:
                    members = kept[free[kept]]
                elif len(members) > max_cluster_rows:
                    members = samples[c] = np.sort(rng.choice(members, max_cluster_rows, replace=False))
                if len(members) == 1:
                    best = members[0]
                else:
                    kk = max(1, min(k_neighbors, len(members) // 2))
                    dist, _ = NearestNeighbors(n_neighbors=kk).fit(X[members]).kneighbors()
                    best = members[int(np.argmax(1.0 / (dist.mean(axis=1) + 1e-5)))]
                chosen.append(int(best))
                free[best] = False
            if len(chosen) == before:  # this tier is exhausted
                break
    return np.asarray(chosen)


def density_weighted(pool: Pool, batch_size: int, seed: int, rows: int = 2048) -> np.ndarray:
    """Information density (Settles & Craven 2008) as activelab defines it: entropy × the mean of
    (1 + cosine similarity) / 2 over the unlabeled pool, the similarity matrix computed block by
    block (O(N²·d) time)."""
    cand = pool.candidate_idx
    Xn = pool.X[cand].astype(np.float64)
    Xn /= np.maximum(np.linalg.norm(Xn, axis=1, keepdims=True), 1e-12)
    dens = np.empty(len(cand))
    for i in range(0, len(cand), rows):
        dens[i:i + rows] = ((1.0 + Xn[i:i + rows] @ Xn.T) / 2.0).mean(axis=1)
    p = pool.proba
    with np.errstate(divide="ignore", invalid="ignore"):
        h = -np.where(p > 0, p * np.log(p), 0.0).sum(axis=1)
    return _top(h * dens, cand, batch_size)


IMPLEMENTATIONS = {
    "margin": margin, "entropy": entropy, "coreset": coreset, "badge": badge,
    "typiclust": typiclust, "density_weighted": density_weighted,
}
