"""ProbCover: the ball graph, greedy coverage and purity radius checked against brute force."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import activelab
from activelab import UNLABELED
from activelab.strategies.probcover import (
    ball_graph,
    max_coverage_greedy,
    purity_radius,
)

from ..conftest import make_pool


def _dist(F):
    return np.sqrt(((F[:, None].astype(np.float64) - F[None]) ** 2).sum(axis=2))


def brute_purity(F, labels, radius, centers=None):
    """Fraction of closed balls B(x, radius), x in centers, whose points all share x's cluster."""
    D = _dist(F)
    centers = np.arange(F.shape[0]) if centers is None else centers
    return np.mean([(labels[D[x] <= radius] == labels[x]).all() for x in centers])


@pytest.mark.parametrize("radius", [0.3, 1.0, 2.5])
def test_ball_graph_equals_brute_force(radius):
    F = np.random.default_rng(0).standard_normal((70, 3))
    G = ball_graph(F, radius).toarray().astype(bool)
    np.testing.assert_array_equal(G, _dist(F) <= radius)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**16), n=st.integers(5, 40), radius=st.floats(0.2, 2.0),
       n_labeled=st.integers(0, 4), k=st.integers(1, 8))
def test_greedy_coverage_claims_hold(seed, n, radius, n_labeled, k):
    rng = np.random.default_rng(seed)
    F = rng.standard_normal((n, 2))
    labeled = rng.choice(n, min(n_labeled, n - 1), replace=False)
    cand = np.setdiff1d(np.arange(n), labeled)
    k = min(k, cand.size)
    res = max_coverage_greedy(ball_graph(F, radius), labeled, cand, k, rng)
    balls = _dist(F) <= radius
    covered = balls[labeled].any(axis=0)
    np.testing.assert_array_equal(res.degree, (balls[cand] & ~covered).sum(axis=1))
    for x, gain in zip(res.idx, res.gain):
        best = (balls[cand] & ~covered).sum(axis=1).max()
        if best > 0:  # a greedy step: the pick covers as much as any candidate could
            assert gain == best == (balls[x] & ~covered).sum()
        else:  # everything covered: random fill
            assert gain == 0
        covered |= balls[x]
    assert res.n_covered == covered.sum() == balls[np.r_[labeled, res.idx]].any(axis=0).sum()
    assert np.unique(res.idx).size == k and np.isin(res.idx, cand).all()


def test_random_fill_once_everything_is_covered():
    F = np.random.default_rng(1).standard_normal((30, 2))
    res = max_coverage_greedy(ball_graph(F, 100.0), np.array([], dtype=int), np.arange(30), 5,
                              np.random.default_rng(0))
    assert res.gain.tolist() == [30, 0, 0, 0, 0]
    assert np.unique(res.idx).size == 5


@pytest.mark.parametrize("alpha", [0.95, 0.8, 1.0])
@pytest.mark.parametrize("seed", range(3))
def test_auto_radius_is_the_largest_pure_enough(alpha, seed):
    rng = np.random.default_rng(seed)
    F = rng.standard_normal((80, 2)).astype(np.float32)
    labels = (F[:, 0] + 0.3 * rng.standard_normal(80) > 0).astype(int)
    radius, purity = purity_radius(F, labels, alpha)
    assert radius > 0
    assert brute_purity(F, labels, radius) == pytest.approx(purity)
    assert purity >= alpha
    assert brute_purity(F, labels, radius * (1 + 1e-5)) < alpha  # any larger radius fails


def test_auto_radius_on_a_sample_of_centers():
    rng = np.random.default_rng(4)
    F = rng.standard_normal((90, 3))
    labels = rng.integers(0, 3, 90)
    sample = np.sort(rng.choice(90, 30, replace=False))
    radius, purity = purity_radius(F, labels, 0.9, sample_idx=sample)
    assert brute_purity(F, labels, radius, sample) == pytest.approx(purity)
    assert purity >= 0.9
    assert brute_purity(F, labels, radius * (1 + 1e-5), sample) < 0.9


def test_strategy_reports_radius_purity_and_scores():
    X, y, _ = make_pool(n=100)
    sel = activelab.propose(X, y, strategy="probcover", batch_size=5, random_state=0)
    assert sel.info["purity"] >= 0.95 and sel.info["radius"] > 0
    assert sel.scores.shape == sel.candidate_idx.shape
    assert sel.chosen_scores()[0] == sel.scores.max()  # the first pick covers the most
    fixed = activelab.propose(X, y, strategy="probcover", batch_size=5, random_state=0,
                              radius=sel.info["radius"])
    assert "purity" not in fixed.info and fixed.info["radius"] == sel.info["radius"]


def test_cold_start_needs_the_number_of_classes():
    X, _, y_true = make_pool(n=60)
    y = np.full(60, UNLABELED)
    with pytest.raises(activelab.InvalidInputError, match="classes="):
        activelab.query(X, y, strategy="probcover", batch_size=3)
    idx = activelab.query(X, y, strategy="probcover", batch_size=3, classes=np.unique(y_true))
    assert idx.shape == (3,)
    idx = activelab.query(X, y, strategy="probcover", batch_size=3, n_clusters=4)
    assert idx.shape == (3,)


@pytest.mark.parametrize("params, match", [
    ({"radius": -1.0}, "radius must be a positive"),
    ({"radius": 0}, "radius must be a positive"),
    ({"radius": float("nan")}, "radius must be a positive"),
    ({"radius": "big"}, "radius must be 'auto'"),
    ({"alpha": 0.0}, "alpha"),
    ({"n_clusters": 1}, "n_clusters"),
    ({"purity_sample": 0}, "purity_sample"),
])
def test_bad_params_are_input_errors(params, match):
    X, y, _ = make_pool(n=40, n_labeled=6)
    with pytest.raises(activelab.InvalidInputError, match=match):
        activelab.query(X, y, strategy="probcover", batch_size=3, **params)


def test_edge_guard_names_the_fix():
    X, y, _ = make_pool(n=40, n_labeled=6)
    with pytest.raises(activelab.InvalidInputError, match="smaller radius"):
        activelab.query(X, y, strategy="probcover", batch_size=3, radius=100.0, max_edges=500)
