"""Information density: the O(N·d) cosine identity and chunked kernels against N×N matrices;
every candidate has a positive density on centered features (issue 14)."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics.pairwise import chi2_kernel, cosine_similarity, rbf_kernel

import activelab
from activelab import UNLABELED
from activelab.loop import build_context
from activelab.strategies import make_strategy
from activelab.strategies.density_weighted import (
    information_density_scores,
    mean_cosine_similarity,
    mean_kernel_similarity,
    median_heuristic_gamma,
    shifted_cosine_density,
)
from activelab.strategies.uncertainty import entropy_scores, margin_scores

from ..conftest import make_pool


def test_mean_cosine_identity_matches_full_matrix():
    rng = np.random.default_rng(0)
    X = rng.standard_normal((12, 5))
    X[3] = 0.0  # a zero row has similarity 0 to everything
    np.testing.assert_allclose(mean_cosine_similarity(X), cosine_similarity(X).mean(axis=1), atol=1e-12)
    ref = rng.standard_normal((7, 5))
    np.testing.assert_allclose(
        mean_cosine_similarity(X, ref), cosine_similarity(X, ref).mean(axis=1), atol=1e-12
    )


@pytest.mark.parametrize("chunk_bytes", [8, 8 * 5 * 3, 2**20])  # 1 row, 3 rows, all rows
def test_mean_cosine_in_chunks_and_on_a_row_subset(chunk_bytes):
    rng = np.random.default_rng(2)
    X = rng.standard_normal((20, 5)).astype(np.float32)
    X[4] = 0.0
    full = cosine_similarity(X.astype(np.float64)).mean(axis=1)
    np.testing.assert_allclose(mean_cosine_similarity(X, chunk_bytes=chunk_bytes), full, atol=1e-12)
    rows = np.array([1, 4, 5, 9, 17, 18])
    sub = cosine_similarity(X[rows].astype(np.float64)).mean(axis=1)
    np.testing.assert_allclose(mean_cosine_similarity(X, chunk_bytes=chunk_bytes, rows=rows), sub,
                               atol=1e-12)
    with pytest.raises(activelab.InvalidInputError, match="not both"):
        mean_cosine_similarity(X, X, rows=rows)
    with pytest.raises(activelab.InvalidInputError, match="same number of columns"):
        mean_cosine_similarity(X, X[:, :3])


def test_chunked_kernel_matches_full_matrix():
    rng = np.random.default_rng(1)
    X = rng.standard_normal((23, 4))
    full = rbf_kernel(X, gamma=0.3).mean(axis=1)
    # chunk_bytes small enough for one row per chunk
    np.testing.assert_allclose(mean_kernel_similarity(X, gamma=0.3, chunk_bytes=8), full, rtol=1e-12)
    np.testing.assert_allclose(mean_kernel_similarity(X, gamma=0.3), full, rtol=1e-12)
    lin = mean_kernel_similarity(X, metric="linear", gamma=0.3, chunk_bytes=100)
    np.testing.assert_allclose(lin, (X @ X.T).mean(axis=1), rtol=1e-10, atol=1e-12)


def test_information_density_formula():
    u = np.array([0.5, 1.0, 0.2])  # a caller's own (negative) density is still clipped at 0
    d = np.array([0.25, -0.1, 1.0])
    np.testing.assert_allclose(information_density_scores(u, d, 2.0), [0.5 * 0.0625, 0.0, 0.2])
    np.testing.assert_allclose(information_density_scores(u, d, 0.0), u)


def brute_density(F, similarity="cosine", gamma=None):
    """Mean similarity of each row of F to all rows, from the full N×N matrix."""
    if similarity == "cosine":
        return ((1.0 + cosine_similarity(F)) / 2.0).mean(axis=1)
    pairs = np.triu_indices(F.shape[0], k=1)
    if similarity == "rbf":
        D = ((F[:, None, :] - F[None, :, :]) ** 2).sum(axis=2)
        return np.exp(-D / np.median(D[pairs]) if gamma is None else -gamma * D).mean(axis=1)
    D = np.abs(F[:, None, :] - F[None, :, :]).sum(axis=2)
    return np.exp(-D / np.median(D[pairs]) if gamma is None else -gamma * D).mean(axis=1)


@pytest.mark.parametrize("chunk_bytes", [8, 8 * 4 * 3, 2**20])
def test_shifted_cosine_density_matches_brute_force(chunk_bytes):
    rng = np.random.default_rng(5)
    X = rng.standard_normal((15, 4))
    X[6] = 0.0  # a zero row: cosine 0 to everything, density 1/2
    np.testing.assert_allclose(shifted_cosine_density(X, chunk_bytes=chunk_bytes), brute_density(X),
                               atol=1e-12)
    rows = np.array([0, 2, 6, 7, 11, 14])
    np.testing.assert_allclose(shifted_cosine_density(X, chunk_bytes=chunk_bytes, rows=rows),
                               brute_density(X[rows]), atol=1e-12)
    assert shifted_cosine_density(X)[6] == pytest.approx(0.5)


def test_shifted_cosine_density_is_at_least_one_over_n():
    # every other row points the opposite way: the lowest mean cosine a row can have
    X = np.vstack([[1.0, 0.0], np.tile([-1.0, 0.0], (9, 1))])
    dens = shifted_cosine_density(X)
    assert dens[0] == pytest.approx(1 / 10) and (dens > 0).all()


def test_median_heuristic_gamma():
    rng = np.random.default_rng(6)
    X = rng.standard_normal((30, 3))
    pairs = np.triu_indices(30, k=1)
    sq = ((X[:, None] - X[None]) ** 2).sum(axis=2)[pairs]
    l1 = np.abs(X[:, None] - X[None]).sum(axis=2)[pairs]
    assert median_heuristic_gamma(X, "rbf") == pytest.approx(1 / np.median(sq))
    assert median_heuristic_gamma(X, "laplacian") == pytest.approx(1 / np.median(l1))
    P = np.abs(X)
    chi = (((P[:, None] - P[None]) ** 2) / (P[:, None] + P[None])).sum(axis=2)[pairs]
    assert median_heuristic_gamma(P, "chi2") == pytest.approx(1 / np.median(chi))
    # a large input is summarized by evenly spaced rows: first and last always included
    big = rng.standard_normal((50, 2))
    sample = big[np.unique(np.linspace(0, 49, 10).astype(int))]
    assert median_heuristic_gamma(big, "rbf", max_rows=10) == pytest.approx(
        median_heuristic_gamma(sample, "rbf"))
    assert median_heuristic_gamma(np.ones((4, 2))) == 1.0  # all rows equal: no scale to take


@pytest.mark.parametrize(
    "params",
    [{}, {"beta": 2.0, "base": "margin"}, {"similarity": "rbf", "gamma": 0.5}, {"similarity": "rbf"},
     {"similarity": "laplacian"}, {"similarity": "chi2", "gamma": 0.7}],
)
def test_strategy_scores_match_direct_computation(params):
    X, y, _ = make_pool(n=60, seed=3)
    X = np.abs(X)
    emb = np.abs(np.random.default_rng(0).standard_normal((60, 3)))  # chi2 needs non-negative
    strat = make_strategy("density_weighted", **params)
    ctx = build_context(X, y, strategy=strat, embedding=emb, random_state=0)
    F = emb[ctx.candidate_idx].astype(np.float32).astype(np.float64)
    sim = params.get("similarity", "cosine")
    if sim == "chi2":
        dens = chi2_kernel(F, gamma=params["gamma"]).mean(axis=1)
    else:
        dens = brute_density(F, sim, params.get("gamma"))
    base = margin_scores if params.get("base") == "margin" else entropy_scores
    expected = base(ctx.proba()) * dens ** params.get("beta", 1.0)
    np.testing.assert_allclose(strat.scores(ctx), expected, rtol=1e-5, atol=1e-9)


def _standardized_pool(n=200, seed=4):
    X, y, _ = make_pool(n=n, n_features=8, n_labeled=20, seed=seed)
    return (X - X.mean(axis=0)) / X.std(axis=0), y


@pytest.mark.parametrize("similarity", ["cosine", "rbf", "laplacian"])
def test_every_candidate_has_positive_density_on_standardized_features(similarity):
    """Regression (issue 14): on centered features the mean cosine of many rows is <= 0; the old
    density clipped it to 0, so those rows scored 0 and were never queried."""
    X, y = _standardized_pool()
    strat = make_strategy("density_weighted", similarity=similarity)
    ctx = build_context(X, y, strategy=strat, random_state=0)
    F = ctx.features()[ctx.candidate_idx].astype(np.float64)
    assert (cosine_similarity(F).mean(axis=1) <= 0).mean() > 0.2  # the case the bug was about
    dens = strat.density(ctx)
    assert dens.shape == (ctx.candidate_idx.size,) and (dens > 0).all()
    np.testing.assert_allclose(dens, brute_density(F, similarity), rtol=1e-5)
    assert (strat.scores(ctx) > 0).all()  # every candidate has entropy > 0 under logistic regression


def test_uncertain_row_with_negative_cosine_is_selected():
    X, y = _standardized_pool(seed=7)
    cand = np.flatnonzero(y == UNLABELED)
    F = X[cand].astype(np.float32).astype(np.float64)
    cos = cosine_similarity(F).mean(axis=1)
    target = cand[np.argmin(cos)]
    assert cos.min() < 0

    class Fixed:  # confident everywhere but on `target`, which is a coin toss
        classes = np.array([0, 1, 2])

        def predict_proba(self, Xs):
            p = np.tile([0.9, 0.05, 0.05], (len(Xs), 1))
            p[np.all(np.isclose(Xs, X[target]), axis=1)] = [0.4, 0.3, 0.3]
            return p

    sel = activelab.propose(X, y, model=Fixed(), strategy="density_weighted", batch_size=1,
                            random_state=0)
    assert sel.idx.tolist() == [target]
    assert sel.scores[np.flatnonzero(cand == target)[0]] > 0


def test_beta_zero_is_entropy_sampling():
    X, y, _ = make_pool()
    a = activelab.query(X, y, strategy="density_weighted", beta=0, batch_size=5, random_state=0)
    b = activelab.query(X, y, strategy="entropy", batch_size=5, random_state=0)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"beta": -1.0}, activelab.InvalidInputError, "beta must be"),
        ({"beta": float("nan")}, activelab.InvalidInputError, "beta must be"),
        ({"base": "variance"}, activelab.UnknownNameError, "base uncertainty"),
        ({"similarity": "cosin"}, activelab.UnknownNameError, "Did you mean 'cosine'"),
        ({"similarity": "rbf", "gamma": 0}, activelab.InvalidInputError, "gamma must be"),
        ({"similarity": "linear"}, activelab.UnknownNameError, "similarity"),  # can be negative
    ],
)
def test_bad_parameters(params, error, match):
    X, y, _ = make_pool()
    with pytest.raises(error, match=match):
        activelab.query(X, y, strategy="density_weighted", batch_size=2, random_state=0, **params)


def test_cold_start_raises():
    X, y, _ = make_pool()
    y1 = np.full_like(y, UNLABELED)
    y1[:3] = 1
    with pytest.raises(activelab.ColdStartError):
        activelab.query(X, y1, strategy="density_weighted", batch_size=3, random_state=0)
