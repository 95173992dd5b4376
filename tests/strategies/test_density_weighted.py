"""Information density: the O(N·d) cosine identity and chunked kernels against N×N matrices."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics.pairwise import cosine_similarity, rbf_kernel

import activelab
from activelab import UNLABELED
from activelab.loop import build_context
from activelab.strategies import make_strategy
from activelab.strategies.density_weighted import (
    information_density_scores,
    mean_cosine_similarity,
    mean_kernel_similarity,
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
    u = np.array([0.5, 1.0, 0.2])
    d = np.array([0.25, -0.1, 1.0])
    np.testing.assert_allclose(information_density_scores(u, d, 2.0), [0.5 * 0.0625, 0.0, 0.2])
    np.testing.assert_allclose(information_density_scores(u, d, 0.0), u)


@pytest.mark.parametrize(
    "params",
    [{}, {"beta": 2.0, "base": "margin"}, {"similarity": "rbf", "gamma": 0.5}, {"similarity": "laplacian"}],
)
def test_strategy_scores_match_direct_computation(params):
    X, y, _ = make_pool(n=60, seed=3)
    X = np.abs(X)  # non-negative features, where cosine density is meaningful
    emb = np.abs(np.random.default_rng(0).standard_normal((60, 3)))
    strat = make_strategy("density_weighted", **params)
    ctx = build_context(X, y, strategy=strat, embedding=emb, random_state=0)
    F = emb[ctx.candidate_idx].astype(np.float32).astype(np.float64)
    sim = params.get("similarity", "cosine")
    if sim == "cosine":
        S = cosine_similarity(F)
    elif sim == "rbf":
        S = rbf_kernel(F, gamma=params["gamma"])
    else:
        S = np.exp(-np.abs(F[:, None, :] - F[None, :, :]).sum(axis=2) / F.shape[1])
    base = margin_scores if params.get("base") == "margin" else entropy_scores
    expected = base(ctx.proba()) * np.maximum(S.mean(axis=1), 0) ** params.get("beta", 1.0)
    np.testing.assert_allclose(strat.scores(ctx), expected, rtol=1e-5, atol=1e-9)


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
