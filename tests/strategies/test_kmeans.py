"""k-means representatives: one pick per cluster, each the member nearest its centroid."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import activelab
from activelab import UNLABELED
from activelab.geometry import kmeans
from activelab.strategies.kmeans import closest_to_centers


@pytest.mark.parametrize("seed", range(4))
def test_closest_to_centers_brute_force(seed):
    rng = np.random.default_rng(seed)
    F = rng.standard_normal((60, 3))
    labels, centers = kmeans(F, 6, seed)
    rows, dist = closest_to_centers(F, labels, centers)
    assert sorted(labels[rows].tolist()) == list(range(6))  # one pick per cluster
    for r in rows:
        members = np.flatnonzero(labels == labels[r])
        d = np.linalg.norm(F[members] - centers[labels[r]], axis=1)
        assert r == members[np.argmin(d)]
    sizes = np.bincount(labels)[labels[rows]]
    assert (np.diff(sizes) <= 0).all()  # largest cluster first
    np.testing.assert_allclose(dist, np.linalg.norm(F - centers[labels], axis=1))


def test_picks_one_point_per_blob_nearest_its_mean():
    """Well-separated blobs: k-means recovers them, so the batch is each blob's most central
    unlabeled point."""
    rng = np.random.default_rng(0)
    means = np.array([[0, 0], [50, 0], [0, 50], [50, 50]], dtype=float)
    blob = np.repeat(np.arange(4), 25)
    emb = means[blob] + rng.standard_normal((100, 2))
    y = np.full(100, UNLABELED)
    y[[0, 30, 60]] = [0, 1, 0]
    sel = activelab.propose(emb, y, strategy="kmeans", batch_size=4, embedding=emb,
                            random_state=0)
    assert sorted(blob[sel.idx].tolist()) == [0, 1, 2, 3]
    for b in range(4):
        cand = np.flatnonzero((blob == b) & (y == UNLABELED))
        centre = emb[cand].mean(axis=0)
        assert sel.idx[blob[sel.idx] == b][0] == cand[np.argmin(np.linalg.norm(emb[cand] - centre, axis=1))]
    assert np.all(sel.chosen_scores() <= 0)


def test_duplicates_leave_empty_clusters_filled_at_random():
    X = np.repeat(np.array([[0.0, 0.0], [1.0, 1.0], [5.0, 5.0]]), 10, axis=0)
    y = np.full(30, UNLABELED)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scikit-learn warns that it found fewer clusters
        idx = activelab.query(X, y, strategy="kmeans", batch_size=5, random_state=0)
    assert np.unique(idx).size == 5
    assert len({tuple(X[i]) for i in idx}) == 3  # every distinct point is represented


def test_bad_params_are_input_errors():
    X = np.random.default_rng(0).standard_normal((20, 2))
    y = np.full(20, UNLABELED)
    with pytest.raises(activelab.InvalidInputError, match="n_init"):
        activelab.query(X, y, strategy="kmeans", batch_size=3, n_init=0)
    with pytest.raises(activelab.InvalidInputError, match="minibatch_above"):
        activelab.query(X, y, strategy="kmeans", batch_size=3, minibatch_above=-5)


def test_minibatch_path_for_large_pools():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((400, 3))
    y = np.full(400, UNLABELED)
    idx = activelab.query(X, y, strategy="kmeans", batch_size=7, random_state=0,
                          minibatch_above=100)
    assert np.unique(idx).size == 7


def test_minibatch_kmeans_init_is_kmeanspp_on_a_float64_subset():
    from activelab.geometry import _kmeanspp_on_subset, kmeans

    rng = np.random.default_rng(2)
    centers = np.array([[0, 0], [10, 0], [0, 10], [10, 10]], dtype=np.float32)
    truth = rng.integers(4, size=600)
    X = (centers[truth] + rng.standard_normal((600, 2))).astype(np.float32)
    init = _kmeanspp_on_subset(X, 4, 50, np.random.RandomState(0))
    assert init.dtype == np.float32 and init.shape == (4, 2)
    assert all((X == c).all(axis=1).any() for c in init)  # k-means++ picks rows of X
    assert np.unique(truth[[int(np.flatnonzero((X == c).all(axis=1))[0]) for c in init]]).size == 4
    labels, fitted = kmeans(X, 4, 0, minibatch_above=100)
    again, _ = kmeans(X, 4, 0, minibatch_above=100)
    np.testing.assert_array_equal(labels, again)  # deterministic under random_state
    # the blobs are recovered: each cluster is one blob
    assert all(np.unique(truth[labels == c]).size == 1 for c in range(4))
    labels3, _ = kmeans(X, 4, 0, minibatch_above=100, n_init=3)  # scikit-learn's own init
    assert all(np.unique(truth[labels3 == c]).size == 1 for c in range(4))


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(2, 150), d=st.integers(1, 40),
       dtype=st.sampled_from([np.float32, np.float64, np.int64]), duplicates=st.booleans(),
       data=st.data())
def test_kmeans_is_scikit_learns_kmeans(seed, n, d, dtype, duplicates, data):
    """`kmeans` finds scikit-learn's k-means++ seeds itself (without its per-center overhead):
    labels and centers must be exactly those of KMeans(n_init="auto") under the same seed."""
    from sklearn.cluster import KMeans

    rng = np.random.default_rng(seed)
    X = rng.standard_normal((n, d)) * rng.uniform(0.1, 50)
    if duplicates:
        X[rng.integers(0, n, n // 2)] = X[0]
    X = X.astype(dtype) if dtype != np.int64 else np.round(X).astype(np.int64)
    k = data.draw(st.integers(1, n))
    random_state = data.draw(st.integers(0, 2**31 - 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # fewer distinct clusters than k on duplicates
        labels, centers = kmeans(X, k, random_state)
        ref = KMeans(n_clusters=k, n_init="auto", random_state=random_state).fit(X)
    np.testing.assert_array_equal(labels, ref.labels_)
    np.testing.assert_array_equal(centers, ref.cluster_centers_)


def test_kmeanspp_seeds_are_scikit_learns():
    from sklearn.cluster import kmeans_plusplus

    from activelab.geometry import sklearn_kmeanspp_indices

    rng = np.random.default_rng(3)
    for dtype in (np.float32, np.float64):
        X = rng.standard_normal((2_500, 30)).astype(dtype)  # several upcast chunks in float32
        Xc = X - X.mean(axis=0)
        _, ref = kmeans_plusplus(Xc, 60, random_state=7)
        np.testing.assert_array_equal(sklearn_kmeanspp_indices(X, 60, 7), ref)
