"""BADGE: factorized gradient distances and k-means++ (D²) seeding checked by brute force."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.neural_network import MLPClassifier

import activelab
from activelab import UNLABELED
from activelab.strategies.badge import (
    gradient_factors,
    gradient_sq_distances,
    gradient_sq_norms,
    iter_kmeanspp,
    kmeanspp_seeding,
)

from ..conftest import make_pool


def _tiny(n=7, n_classes=3, n_dims=4, seed=0):
    rng = np.random.default_rng(seed)
    logits = 2.0 * rng.standard_normal((n, n_classes))
    proba = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    h = rng.standard_normal((n, n_dims))
    return proba, h


def _explicit_embedding(proba, h):
    """g_x = (p − onehot(ŷ)) ⊗ h, materialized: shape (n, n_classes · n_dims)."""
    e = np.eye(proba.shape[1])[proba.argmax(axis=1)]
    return np.einsum("ik,id->ikd", proba - e, h).reshape(proba.shape[0], -1)


def _explicit_sq_dists(G):
    return ((G[:, None, :] - G[None, :, :]) ** 2).sum(axis=2)


def test_gradient_factors_are_the_cross_entropy_gradient():
    """d/dW of −log softmax(W h)_ŷ is (p − e_ŷ) h^T; check against finite differences."""
    rng = np.random.default_rng(1)
    W, h = rng.standard_normal((3, 4)), rng.standard_normal(4)
    softmax = lambda W: np.exp(W @ h) / np.exp(W @ h).sum()  # noqa: E731
    p = softmax(W)
    y_hat = p.argmax()
    loss = lambda W: -np.log(softmax(W)[y_hat])  # noqa: E731
    num = np.zeros_like(W)
    for i in np.ndindex(W.shape):
        step = np.zeros_like(W)
        step[i] = 1e-6
        num[i] = (loss(W + step) - loss(W - step)) / 2e-6
    a = gradient_factors(p[None])[0]
    np.testing.assert_allclose(np.outer(a, h), num, atol=1e-6)


@pytest.mark.parametrize("seed", range(3))
def test_factorized_distances_equal_explicit(seed):
    proba, h = _tiny(seed=seed)
    a = gradient_factors(proba)
    G = _explicit_embedding(proba, h)
    np.testing.assert_allclose(gradient_sq_norms(a, h), (G**2).sum(axis=1), rtol=1e-12)
    D = _explicit_sq_dists(G)
    for j in range(G.shape[0]):
        np.testing.assert_allclose(gradient_sq_distances(a, h, j), D[j], rtol=1e-9, atol=1e-12)


@pytest.mark.parametrize("seed", range(4))
def test_seeding_probabilities_match_brute_force_kmeanspp(seed):
    proba, h = _tiny(n=9, seed=seed)
    G = _explicit_embedding(proba, h)
    D = _explicit_sq_dists(G)
    chosen = []
    steps = list(iter_kmeanspp(gradient_factors(proba), h, 6, np.random.default_rng(seed)))
    for j, probs in steps:
        if not chosen:
            assert probs is None
            assert j == int(np.argmax((G**2).sum(axis=1)))  # first center: largest gradient norm
        else:
            d2 = D[:, chosen].min(axis=1)
            np.testing.assert_allclose(probs, d2 / d2.sum(), rtol=1e-9, atol=1e-12)
            assert probs[chosen].sum() == 0.0
        chosen.append(j)
    assert len(set(chosen)) == 6


def test_seeding_empirical_frequencies_follow_d2():
    """Over many seeds the second center is drawn with the brute-force D² probabilities."""
    proba, h = _tiny(n=6, seed=5)
    a = gradient_factors(proba)
    G = _explicit_embedding(proba, h)
    first = int(np.argmax((G**2).sum(axis=1)))
    d2 = ((G - G[first]) ** 2).sum(axis=1)
    expected = d2 / d2.sum()
    n_runs = 4000
    counts = np.zeros(6)
    for s in range(n_runs):
        idx = kmeanspp_seeding(a, h, 2, np.random.default_rng(s))
        assert idx[0] == first
        counts[idx[1]] += 1
    sigma = np.sqrt(expected * (1 - expected) / n_runs)
    assert (np.abs(counts / n_runs - expected) <= 5 * sigma + 1e-12).all()


def test_identical_gradients_fall_back_to_uniform_distinct_rows():
    proba = np.tile([[0.7, 0.3]], (5, 1))
    h = np.ones((5, 3))
    idx = kmeanspp_seeding(gradient_factors(proba), h, 5, np.random.default_rng(0))
    assert sorted(idx.tolist()) == list(range(5))


def test_bad_k_raises():
    proba, h = _tiny()
    with pytest.raises(activelab.InvalidInputError, match="k must be"):
        kmeanspp_seeding(gradient_factors(proba), h, 0, np.random.default_rng(0))


def test_strategy_uses_mlp_hidden_layer():
    X, y, _ = make_pool(n=80)
    mlp = MLPClassifier(hidden_layer_sizes=(5,), max_iter=50, random_state=0)
    import warnings

    from sklearn.exceptions import ConvergenceWarning

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        sel = activelab.propose(X, y, strategy="badge", model=mlp, batch_size=6, random_state=0)
    assert sel.idx.shape == (6,) and (y[sel.idx] == UNLABELED).all()
    assert np.isfinite(sel.scores).all() and (sel.scores >= 0).all()


def test_cold_start_raises():
    X, y, _ = make_pool()
    y1 = np.full_like(y, UNLABELED)
    y1[:3] = 0
    with pytest.raises(activelab.ColdStartError):
        activelab.query(X, y1, strategy="badge", batch_size=3, random_state=0)


@pytest.mark.parametrize("cast_bytes", [8 * 7 * 3, 4 << 20])  # 3 rows per block, or one block
def test_float32_h_gives_the_float64_copy_results(monkeypatch, cast_bytes):
    """A float32 h is cast block by block: the picks and D² distributions equal those of a full
    float64 copy, whatever the block size."""
    import activelab.strategies.badge as badge

    monkeypatch.setattr(badge, "_CAST_BYTES", cast_bytes)
    rng = np.random.default_rng(4)
    h = rng.standard_normal((40, 7)).astype(np.float32)
    a = gradient_factors(rng.dirichlet(np.ones(3), size=40))
    np.testing.assert_array_equal(gradient_sq_norms(a, h), gradient_sq_norms(a, h.astype(np.float64)))
    np.testing.assert_array_equal(gradient_sq_distances(a, h, 5),
                                  gradient_sq_distances(a, h.astype(np.float64), 5))
    fast = list(badge.iter_kmeanspp(a, h, 8, np.random.default_rng(0)))
    ref = list(badge.iter_kmeanspp(a, h.astype(np.float64), 8, np.random.default_rng(0)))
    assert [j for j, _ in fast] == [j for j, _ in ref]
    for (_, p), (_, q) in zip(fast[1:], ref[1:]):
        np.testing.assert_allclose(p, q, rtol=1e-12, atol=0)
