"""Chunked squared-Euclidean distances for the exploration strategies.

Distances use ||a||² + ||b||² − 2·a·b so the work is one BLAS matrix product per chunk; chunks are
sized to a fixed byte budget, so memory stays O(n·d) however many rows meet (no n×m matrix is held
whole). Results are clipped at 0, since the expansion can go slightly negative in floating point.
"""

from __future__ import annotations

import numpy as np

#: Bytes of one distance block (measured: 16 MiB beats 1–4 MiB on a 10⁶×64 pool).
CHUNK_BYTES = 16 * 2**20


def sq_norms(X: np.ndarray) -> np.ndarray:
    """Squared Euclidean norm of each row, shape (n,), in X's dtype."""
    return np.einsum("ij,ij->i", X, X)


def min_sq_dist(
    X: np.ndarray, Y: np.ndarray, *, rows: np.ndarray | None = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> np.ndarray:
    """Squared Euclidean distance from each row of X (or of ``X[rows]``) to its nearest row of Y.

    Parameters
    ----------
    X : ndarray of shape (n_samples, d)
    Y : ndarray of shape (m, d), m >= 1
    rows : ndarray of int, optional
        Rows of X to use; they are gathered one chunk at a time, so ``X[rows]`` is never copied
        whole.
    chunk_bytes : int
        Memory budget of one (rows of X) × (rows of Y) block. Small problems use less: an eighth
        of the whole distance matrix, at least 1 MiB, so peak memory shrinks with the problem.

    Returns
    -------
    ndarray of shape (len(rows) or n_samples,), dtype of X (float32 stays float32), all >= 0.
    """
    X = np.asarray(X)
    Y = np.asarray(Y, dtype=X.dtype)
    n, m = (X.shape[0] if rows is None else rows.shape[0]), Y.shape[0]
    if m == 0:
        raise ValueError("min_sq_dist needs at least one row in Y")
    itemsize = X.dtype.itemsize
    chunk_bytes = min(chunk_bytes, max(2**20, n * m * itemsize // 8))
    y_step = max(1, min(m, chunk_bytes // (itemsize * 256)))
    x_step = max(1, chunk_bytes // (itemsize * max(y_step, X.shape[1] + 1)))
    # Fold ||y||² into the product: [x, 1] · [−2y, ||y||²] = ||y||² − 2x·y, so each block is one
    # GEMM followed by one row-wise min, with no extra pass to add the norms.
    Y_aug = np.empty((m, Y.shape[1] + 1), dtype=X.dtype)
    np.multiply(Y, -2, out=Y_aug[:, :-1])
    Y_aug[:, -1] = sq_norms(Y)
    out = np.full(n, np.inf, dtype=X.dtype)
    x_aug = np.empty((min(x_step, n), X.shape[1] + 1), dtype=X.dtype)
    x_aug[:, -1] = 1
    block = np.empty((x_aug.shape[0], y_step), dtype=X.dtype)
    for i0 in range(0, n, x_step):
        i1 = min(n, i0 + x_step)
        xa = x_aug[: i1 - i0]
        xa[:, :-1] = X[i0:i1] if rows is None else X[rows[i0:i1]]
        best = out[i0:i1]
        for j0 in range(0, m, y_step):
            j1 = min(m, j0 + y_step)
            b = block[: i1 - i0, : j1 - j0]
            np.matmul(xa, Y_aug[j0:j1].T, out=b)
            np.minimum(best, b.min(axis=1), out=best)
        best += sq_norms(xa[:, :-1])
    return np.maximum(out, 0, out=out)


def nearest_center(X: np.ndarray, centers: np.ndarray,
                   chunk_bytes: int = CHUNK_BYTES) -> tuple[np.ndarray, np.ndarray]:
    """Index of each row's nearest center (ties → lowest index) and the squared distance to it.

    One GEMM per chunk of rows (||c||² − 2x·c, then + ||x||²), chunks sized to `chunk_bytes`;
    distances clipped at 0. Returns (labels (n,) intp, sq_dist (n,) in X's dtype).
    """
    X = np.asarray(X)
    C = np.asarray(centers, dtype=X.dtype)
    n, k = X.shape[0], C.shape[0]
    if k == 0:
        raise ValueError("nearest_center needs at least one center")
    c_norms = sq_norms(C)
    step = max(1, chunk_bytes // (X.dtype.itemsize * k))
    labels = np.empty(n, dtype=np.intp)
    dist = np.empty(n, dtype=X.dtype)
    for i0 in range(0, n, step):
        block = X[i0:i0 + step] @ (-2 * C).T
        block += c_norms
        j = np.argmin(block, axis=1)
        labels[i0:i0 + step] = j
        d = block[np.arange(block.shape[0]), j] + sq_norms(X[i0:i0 + step])
        dist[i0:i0 + step] = np.maximum(d, 0)
    return labels, dist


def sq_dist_to(X: np.ndarray, x_norms: np.ndarray, center: np.ndarray) -> np.ndarray:
    """Squared distance from every row of X to one point, given X's squared row norms.

    One matrix–vector product (memory-bound, O(n·d)); clipped at 0.
    """
    d = X @ (-2 * center)
    d += x_norms
    d += center @ center
    return np.maximum(d, 0, out=d)


def kmeans(
    X: np.ndarray, n_clusters: int, random_state: int, *, minibatch_above: int = 20_000,
    n_init="auto",
) -> tuple[np.ndarray, np.ndarray]:
    """Cluster the rows of X; return (labels (n,), centers (n_clusters, d)).

    scikit-learn's KMeans (Lloyd, k-means++ init) up to `minibatch_above` rows, MiniBatchKMeans
    beyond (each Lloyd iteration costs O(n·k·d), too slow for 10⁶ rows and hundreds of clusters).
    MiniBatchKMeans starts from k-means++ on a random subset of 3 × batch_size rows, as its own
    init does, but computed here in float64: scikit-learn's k-means++ on float32 rows upcasts
    every distance chunk, which took 27 of 37 s for 500 clusters on 10⁵ × 512 (n_init > 1 keeps
    scikit-learn's own init).
    """
    from sklearn.cluster import KMeans, MiniBatchKMeans

    if X.shape[0] <= minibatch_above:
        if n_init in ("auto", 1) and isinstance(X, np.ndarray):
            # scikit-learn's own k-means++ seeds, found without its per-step overhead (see
            # `sklearn_kmeanspp_indices`), then its Lloyd iterations from exactly those seeds
            Xv = _as_kmeans_input(X)
            seeds = sklearn_kmeanspp_indices(Xv, n_clusters, random_state)
            km = KMeans(n_clusters=n_clusters, init=Xv[seeds], n_init=1, random_state=random_state)
            labels = km.fit_predict(Xv)
            return labels.astype(np.intp, copy=False), km.cluster_centers_
        km = KMeans(n_clusters=n_clusters, n_init=n_init, random_state=random_state)
    else:
        batch_size = max(4096, 2 * n_clusters)
        init, init_runs = "k-means++", n_init
        if n_init in ("auto", 1):
            rs = np.random.RandomState(random_state)
            init, init_runs = _kmeanspp_on_subset(X, n_clusters, 3 * batch_size, rs), 1
        km = MiniBatchKMeans(
            n_clusters=n_clusters, init=init, n_init=init_runs, random_state=random_state,
            batch_size=batch_size,
        )
    labels = km.fit_predict(X)
    return labels.astype(np.intp, copy=False), km.cluster_centers_


def _as_kmeans_input(X: np.ndarray) -> np.ndarray:
    """X as scikit-learn's KMeans converts it: float32 or float64, C order."""
    return np.ascontiguousarray(X, dtype=X.dtype if X.dtype in (np.float32, np.float64) else np.float64)


def sklearn_kmeanspp_indices(X: np.ndarray, n_clusters: int, random_state: int) -> np.ndarray:
    """Rows (n_clusters,) that ``KMeans(n_clusters, init="k-means++", n_init=1,
    random_state=random_state).fit(X)`` seeds with, found by the same draws and arithmetic.

    scikit-learn's greedy k-means++ (`sklearn.cluster._kmeans._kmeans_plusplus`, on the centered
    X that `KMeans.fit` builds) calls `euclidean_distances` once per center; at a few thousand
    rows the call's validation and float32 upcasting cost ~1.5 ms against microseconds of
    arithmetic, so 500 centers took 0.3–1.5 s. Here the rows are upcast to float64 once and each
    step repeats scikit-learn's operations on the same chunks (its `_euclidean_distances_upcast`
    for float32, the plain expansion for float64), so the seeds, and hence KMeans' labels and
    centers, are the same (`tests/strategies/test_kmeans.py` checks it against KMeans itself).

    Parameters
    ----------
    X : ndarray of shape (n_samples, d), float32 or float64, C order
    n_clusters : int
    random_state : int
        KMeans' random_state (its RandomState draws the seeds).
    """
    import math

    n, d = X.shape
    rs = np.random.RandomState(random_state)
    Xc = X - X.mean(axis=0)
    sample_weight = np.ones(n, dtype=X.dtype)
    n_local_trials = 2 + int(np.log(n_clusters))
    if X.dtype == np.float32:
        X64 = Xc.astype(np.float64)
        YY = np.einsum("ij,ij->i", X64, X64)[None, :]  # row by row, as on each upcast chunk

        def sq_dist(rows: np.ndarray) -> np.ndarray:
            # sklearn.metrics.pairwise._euclidean_distances_upcast, chunk for chunk
            maxmem = max(((rows.shape[0] + n) * d + rows.shape[0] * n) / 10, 10 * 2**17)
            tmp = 2 * d
            batch = max(int((-tmp + math.sqrt(tmp**2 + 4 * maxmem)) / 2), 1)
            out = np.empty((rows.shape[0], n), dtype=np.float32)
            for x0 in range(0, rows.shape[0], batch):
                Xch = X64[rows[x0:x0 + batch]]
                XX = np.einsum("ij,ij->i", Xch, Xch)[:, None]
                for y0 in range(0, n, batch):
                    block = -2 * (Xch @ X64[y0:y0 + batch].T)
                    block += XX
                    block += YY[:, y0:y0 + batch]
                    out[x0:x0 + batch, y0:y0 + batch] = block
            return np.maximum(out, 0, out=out)
    else:
        YY = np.einsum("ij,ij->i", Xc, Xc).reshape(1, -1)

        def sq_dist(rows: np.ndarray) -> np.ndarray:
            Xch = Xc[rows]
            out = -2 * (Xch @ Xc.T)
            out += np.einsum("ij,ij->i", Xch, Xch)[:, None]
            out += YY
            return np.maximum(out, 0, out=out)

    # sklearn.cluster._kmeans._kmeans_plusplus, step for step
    indices = np.full(n_clusters, -1, dtype=int)
    indices[0] = rs.choice(n, p=sample_weight / sample_weight.sum())
    closest_dist_sq = sq_dist(indices[:1])
    current_pot = closest_dist_sq @ sample_weight
    for c in range(1, n_clusters):
        rand_vals = rs.uniform(size=n_local_trials) * current_pot
        candidate_ids = np.searchsorted(np.cumsum(sample_weight * closest_dist_sq), rand_vals)
        np.clip(candidate_ids, None, closest_dist_sq.size - 1, out=candidate_ids)
        distance_to_candidates = sq_dist(candidate_ids)
        np.minimum(closest_dist_sq, distance_to_candidates, out=distance_to_candidates)
        candidates_pot = distance_to_candidates @ sample_weight.reshape(-1, 1)
        best = np.argmin(candidates_pot)
        current_pot = candidates_pot[best]
        closest_dist_sq = distance_to_candidates[best]
        indices[c] = candidate_ids[best]
    return indices


def _kmeanspp_on_subset(
    X: np.ndarray, n_clusters: int, size: int, rs: np.random.RandomState,
) -> np.ndarray:
    """k-means++ centers (n_clusters, d) chosen among `size` random rows of X, in float64,
    returned in X's dtype."""
    from sklearn.cluster import kmeans_plusplus

    rows = np.sort(rs.choice(X.shape[0], size=min(max(size, n_clusters), X.shape[0]), replace=False))
    centers, _ = kmeans_plusplus(np.asarray(X[rows], dtype=np.float64), n_clusters, random_state=rs)
    return centers.astype(X.dtype if X.dtype.kind == "f" else np.float64, copy=False)
