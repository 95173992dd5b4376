"""TypiClust: most typical point of the largest uncovered clusters, checked by brute force."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import activelab
from activelab import UNLABELED
from activelab.strategies.typiclust import typicality, typiclust_select

from ..conftest import make_pool


def brute_typicality(F, k_neighbors=20):
    D = np.sqrt(((F[:, None] - F[None]) ** 2).sum(axis=2))
    np.fill_diagonal(D, np.inf)
    K = min(k_neighbors, F.shape[0] // 2)
    return 1.0 / (np.sort(D, axis=1)[:, :K].mean(axis=1) + 1e-5)


def _clustered(sizes, seed=0, d=2):
    rng = np.random.default_rng(seed)
    labels = rng.permutation(np.repeat(np.arange(len(sizes)), sizes))
    return rng.standard_normal((labels.size, d)), labels


@pytest.mark.parametrize("n", [2, 3, 9, 50])
def test_typicality_brute_force(n):
    F = np.random.default_rng(n).standard_normal((n, 3))
    np.testing.assert_allclose(typicality(F), brute_typicality(F), rtol=1e-10)
    np.testing.assert_allclose(typicality(F, 3), brute_typicality(F, 3), rtol=1e-10)


def test_picks_most_typical_of_largest_uncovered_clusters():
    sizes = [14, 12, 11, 10, 9, 8, 7, 6, 3]
    F, labels = _clustered(sizes)
    labeled = np.array([np.flatnonzero(labels == 0)[0], np.flatnonzero(labels == 3)[0]])
    res = typiclust_select(F, labels, labeled, 4)
    assert res.clusters.tolist() == [1, 2, 4, 5]  # largest first, covered clusters 0 and 3 skipped
    assert np.unique(labels[res.idx]).size == 4
    for i, c in zip(res.idx, res.clusters):
        members = np.flatnonzero(labels == c)
        t = brute_typicality(F[members])
        assert i == members[np.argmax(t)]
        assert res.typicality[list(res.idx).index(i)] == pytest.approx(t.max())


def test_round_robin_recomputes_typicality_and_keeps_outliers_last():
    sizes = [10, 10, 8, 3]
    F, labels = _clustered(sizes, seed=1)
    res = typiclust_select(F, labels, np.array([], dtype=int), 29)
    assert res.clusters[:6].tolist() == [0, 1, 2, 0, 1, 2]
    assert res.clusters[-1] == 3 and 3 not in res.clusters[:-1].tolist()  # outlier cluster last
    members = np.flatnonzero(labels == 0)
    rest = members[members != res.idx[0]]  # the second visit ranks the cluster's remaining rows
    assert res.idx[3] == rest[np.argmax(brute_typicality(F[rest]))]
    assert np.unique(res.idx).size == 29


def test_never_picks_labeled_rows_and_fills_the_batch():
    F, labels = _clustered([4, 4, 4], seed=2)
    labeled = np.array([0, 1, 2])
    res = typiclust_select(F, labels, labeled, 9)
    assert sorted(res.idx.tolist()) == list(range(3, 12))


def test_cold_start_cluster_count_and_cap():
    X, _, _ = make_pool(n=120)
    y = np.full(120, UNLABELED)
    sel = activelab.propose(X, y, strategy="typiclust", batch_size=6, random_state=0)
    assert sel.info["n_clusters"] == 6
    assert len(set(sel.info["clusters"])) == 6
    X, y, _ = make_pool(n=120, n_labeled=15)
    sel = activelab.propose(X, y, strategy="typiclust", batch_size=6, random_state=0,
                            max_clusters=10)
    assert sel.info["n_clusters"] == 10


@pytest.mark.parametrize("param", [{"k_neighbors": 0}, {"max_clusters": 0}, {"max_cluster_rows": 1},
                                   {"min_cluster_size": -1}, {"k_neighbors": 2.5}])
def test_bad_params_are_input_errors(param):
    X, y, _ = make_pool(n=40, n_labeled=6)
    with pytest.raises(activelab.InvalidInputError, match=next(iter(param))):
        activelab.query(X, y, strategy="typiclust", batch_size=3, **param)


def test_large_cluster_is_ranked_on_a_sample_drawn_with_rng():
    F, labels = _clustered([40, 12], seed=3)
    labeled = np.flatnonzero(labels == 0)[:2]
    res = typiclust_select(F, labels, labeled, 2, max_cluster_rows=10,
                           rng=np.random.default_rng(5))
    # cluster 1 (12 rows > 10) and cluster 0 (38 available rows) are both sampled: replay the draws
    rng = np.random.default_rng(5)
    for i, c in zip(res.idx, res.clusters):
        members = np.flatnonzero(labels == c)
        members = members[~np.isin(members, labeled)]
        sample = np.sort(rng.choice(members, size=10, replace=False))
        assert i == sample[np.argmax(brute_typicality(F[sample]))]
    again = typiclust_select(F, labels, labeled, 2, max_cluster_rows=10,
                             rng=np.random.default_rng(5))
    np.testing.assert_array_equal(res.idx, again.idx)
    with pytest.raises(activelab.InvalidInputError, match="rng"):
        typiclust_select(F, labels, labeled, 2, max_cluster_rows=10)
    exact = typiclust_select(F, labels, labeled, 2, max_cluster_rows=40, rng=np.random.default_rng(5))
    np.testing.assert_array_equal(exact.idx, typiclust_select(F, labels, labeled, 2).idx)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), k_neighbors=st.sampled_from([1, 2, 3, 5]),
       duplicates=st.booleans(), dtype=st.sampled_from([np.float64, np.float32]))
def test_revisits_with_a_kept_knn_graph_equal_recomputing(seed, k_neighbors, duplicates, dtype):
    """Many visits per cluster (lists run short and are searched again): each pick and its
    typicality are those of a K-NN recomputed among the remaining rows at that visit."""
    rng = np.random.default_rng(seed)
    sizes = rng.integers(1, 30, size=rng.integers(1, 5))
    F, labels = _clustered(sizes.tolist(), seed=seed, d=3)
    if duplicates:  # exact ties at distance 0: the row itself may not come first
        F[rng.integers(0, F.shape[0], 8)] = F[0]
        F = np.round(F, 1)
    F = F.astype(dtype)
    tol = {"rel": 1e-7, "abs": 1e-6} if dtype == np.float64 else {"rel": 1e-5, "abs": 1e-5}
    labeled = rng.choice(labels.size, size=rng.integers(0, labels.size // 3 + 1), replace=False)
    k = int(rng.integers(1, labels.size - labeled.size + 1))
    res = typiclust_select(F, labels, labeled, k, k_neighbors=k_neighbors)
    # every pick is a most typical row of its cluster's remaining rows (compared as mean K-NN
    # distances: near 0, 1/(mean + 1e-5) magnifies the rounding of scikit-learn's distances)
    free = np.ones(labels.size, bool)
    free[labeled] = False
    for i, c, t in zip(res.idx, res.clusters, res.typicality):
        rows = np.flatnonzero((labels == c) & free)
        if rows.size > 1:
            brute_mean = 1.0 / brute_typicality(F[rows].astype(np.float64), k_neighbors) - 1e-5
            assert 1.0 / t - 1e-5 == pytest.approx(brute_mean.min(), **tol)
            assert brute_mean[rows == i][0] == pytest.approx(brute_mean.min(), **tol)
        free[i] = False
    assert np.unique(res.idx).size == k and not np.isin(res.idx, labeled).any()


def test_a_sampled_cluster_keeps_its_sample_until_it_runs_out():
    F, labels = _clustered([25], seed=4)
    res = typiclust_select(F, labels, np.array([], dtype=int), 12, max_cluster_rows=5,
                           rng=np.random.default_rng(7))
    rng = np.random.default_rng(7)
    free = np.ones(25, bool)
    sample = np.array([], dtype=int)
    for i in res.idx:
        live = sample[free[sample]]
        if live.size < 2:  # first visit, or the sample is down to one row: a new sample
            sample = np.sort(rng.choice(np.flatnonzero(free), size=5, replace=False))
            live = sample
        assert i == live[np.argmax(brute_typicality(F[live]))]
        free[i] = False


def test_sparse_features_are_a_clear_input_error():
    from scipy import sparse

    F, labels = _clustered([6, 6], seed=5)
    with pytest.raises(activelab.InvalidInputError, match="dense"):
        typiclust_select(sparse.csr_matrix(F), labels, np.array([], dtype=int), 2)


def test_typicality_input_errors():
    F = np.random.default_rng(0).standard_normal((5, 2))
    with pytest.raises(activelab.InvalidInputError, match="2 rows"):
        typicality(F[:1])
    with pytest.raises(activelab.InvalidInputError, match="k_neighbors"):
        typicality(F, 0)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), m=st.integers(2, 120), d=st.sampled_from([1, 3, 15, 16, 40]),
       duplicates=st.booleans(), dtype=st.sampled_from([np.float32, np.float64]))
def test_kneighbors_within_is_nearest_neighbors(seed, m, d, duplicates, dtype):
    """The direct brute-force call gives scikit-learn's kneighbors() numbers exactly (ties at
    distance 0 included), and falls back to it where scikit-learn would use a tree."""
    from sklearn.neighbors import NearestNeighbors

    from activelab.strategies.typiclust import kneighbors_within

    rng = np.random.default_rng(seed)
    F = rng.standard_normal((m, d))
    if duplicates:
        F[rng.integers(0, m, m // 2)] = F[rng.integers(0, m)]
    F = F.astype(dtype)
    c = min(40, m - 1)
    dist, ind = kneighbors_within(F, c)
    ref_dist, ref_ind = NearestNeighbors(n_neighbors=c).fit(F).kneighbors()
    np.testing.assert_array_equal(dist, ref_dist)
    np.testing.assert_array_equal(ind, ref_ind)


def reference_typiclust(F, labeled, batch_size, seed, k_neighbors=20, min_cluster_size=5,
                        max_clusters=500):
    """TypiClust straight from its description: scikit-learn's KMeans into min(|L| + B, 500)
    clusters; visit the clusters round-robin (fewest labels, largest, lowest id first; those of
    at most 5 rows only once the others run out), each visit taking the cluster's remaining row
    of highest typicality from a fresh K-NN search (scikit-learn's NearestNeighbors)."""
    from sklearn.cluster import KMeans
    from sklearn.neighbors import NearestNeighbors

    k = min(len(labeled) + batch_size, max_clusters, F.shape[0])
    labels = KMeans(k, n_init="auto", random_state=seed).fit_predict(F)
    sizes = np.bincount(labels, minlength=k)
    covered = np.bincount(labels[labeled], minlength=k)
    free = np.ones(F.shape[0], bool)
    free[labeled] = False
    order = [c for c in np.lexsort((np.arange(k), -sizes, covered)) if sizes[c] > 0]
    chosen = []
    for tier in ([c for c in order if sizes[c] > min_cluster_size],
                 [c for c in order if sizes[c] <= min_cluster_size]):
        while len(chosen) < batch_size and any(free[labels == c].any() for c in tier):
            for c in tier:
                members = np.flatnonzero((labels == c) & free)
                if len(chosen) == batch_size or members.size == 0:
                    continue
                if members.size == 1:
                    best = members[0]
                else:
                    kk = min(k_neighbors, members.size // 2)
                    dist, _ = NearestNeighbors(n_neighbors=kk).fit(F[members]).kneighbors()
                    best = members[np.argmax(1.0 / (dist.mean(axis=1) + 1e-5))]
                chosen.append(int(best))
                free[best] = False
    return np.asarray(chosen)


@pytest.mark.parametrize("n_labeled, batch_size, d", [(0, 6, 2), (20, 10, 18), (60, 25, 5), (120, 40, 30)])
def test_strategy_picks_what_the_reference_picks(n_labeled, batch_size, d):
    """The fast path (own k-means++ seeding, direct K-NN calls, kept K-NN graphs) picks exactly
    the rows the plain reference picks."""
    from activelab.loop import build_context
    from activelab.strategies import make_strategy

    rng = np.random.default_rng(n_labeled + d)
    centers = rng.standard_normal((8, d)) * 4
    X = centers[rng.integers(0, 8, 250)] + rng.standard_normal((250, d))
    X[rng.integers(0, 250, 20)] = X[0]  # duplicates: ties at distance 0
    y_true = rng.integers(0, 3, 250)
    y = np.full(250, UNLABELED)
    lab = rng.choice(250, n_labeled, replace=False)
    y[lab] = y_true[lab]
    strat = make_strategy("typiclust")
    ctx = build_context(X, y, strategy=strat, random_state=0)
    for round_seed in range(2):
        sel = strat.select(ctx, batch_size, np.random.default_rng(round_seed))
        seed = int(np.random.default_rng(round_seed).integers(2**31 - 1))
        ref = reference_typiclust(ctx.features(), np.sort(lab), batch_size, seed)
        np.testing.assert_array_equal(sel.idx, ref)
