"""Core-set: lazy k-center greedy equals the O(N²) textbook version; chunked distances are exact."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import activelab
from activelab import UNLABELED
from activelab.geometry import min_sq_dist
from activelab.strategies.coreset import k_center_greedy

from ..conftest import make_pool


def brute_k_center(F, labeled_idx, candidate_idx, k, rng):
    """Textbook k-center greedy on the full distance matrix: farthest candidate from all centers,
    ties to the lowest candidate position; first center drawn like the fast version."""
    D = ((F[:, None, :] - F[None, :, :]) ** 2).sum(axis=2)
    centers = list(labeled_idx)
    picks = []
    for _ in range(k):
        if not centers:
            p = int(rng.integers(len(candidate_idx)))
        else:
            d = D[np.ix_(candidate_idx, centers)].min(axis=1)
            d[np.isin(candidate_idx, picks)] = -1
            p = int(np.argmax(d))
        picks.append(candidate_idx[p])
        centers.append(candidate_idx[p])
    rest = np.setdiff1d(candidate_idx, picks)
    radius = np.sqrt(D[np.ix_(rest, centers)].min(axis=1).max()) if rest.size else 0.0
    return np.asarray(picks), radius


@st.composite
def pools(draw):
    n = draw(st.integers(2, 25))
    d = draw(st.integers(1, 3))
    # small integer coordinates: every distance is exact in float64, so ties are real ties
    F = np.asarray(draw(st.lists(st.lists(st.integers(-4, 4), min_size=d, max_size=d),
                                 min_size=n, max_size=n)), dtype=np.float64)
    labeled = np.asarray(sorted(draw(st.sets(st.integers(0, n - 1), max_size=n - 1))), dtype=int)
    cand = np.setdiff1d(np.arange(n), labeled)
    k = draw(st.integers(1, cand.size))
    head = draw(st.sampled_from([None, 1, 2, 3]))
    return F, labeled, cand, k, head


@settings(max_examples=150, deadline=None)
@given(pool=pools(), seed=st.integers(0, 2**16))
def test_k_center_greedy_equals_brute_force(pool, seed):
    F, labeled, cand, k, head = pool
    fast = k_center_greedy(F, labeled, cand, k, np.random.default_rng(seed), head_size=head)
    picks, radius = brute_k_center(F, labeled, cand, k, np.random.default_rng(seed))
    np.testing.assert_array_equal(fast.idx, picks)
    assert fast.radius == pytest.approx(radius, abs=1e-9)
    if labeled.size:
        D = np.sqrt(((F[cand][:, None] - F[labeled][None]) ** 2).sum(axis=2)).min(axis=1)
        np.testing.assert_allclose(fast.min_dist, D, atol=1e-9)
    else:
        assert np.isinf(fast.min_dist).all()


def test_float32_picks_match_float64_brute_force():
    rng = np.random.default_rng(3)
    F = rng.standard_normal((300, 16)).astype(np.float32)
    labeled = rng.choice(300, 20, replace=False)
    cand = np.setdiff1d(np.arange(300), labeled)
    fast = k_center_greedy(F, labeled, cand, 30, rng, head_size=8)
    picks, _ = brute_k_center(F.astype(np.float64), labeled, cand, 30, rng)
    np.testing.assert_array_equal(fast.idx, picks)


@pytest.mark.parametrize("chunk_bytes", [64, 1000, 2**20])
def test_min_sq_dist_chunks_equal_brute_force(chunk_bytes):
    rng = np.random.default_rng(0)
    X, Y = rng.standard_normal((57, 5)), rng.standard_normal((23, 5))
    rows = rng.choice(57, 40, replace=False)
    brute = ((X[rows][:, None] - Y[None]) ** 2).sum(axis=2).min(axis=1)
    np.testing.assert_allclose(min_sq_dist(X, Y, rows=rows, chunk_bytes=chunk_bytes), brute,
                               atol=1e-12)
    got32 = min_sq_dist(X.astype(np.float32), Y, chunk_bytes=chunk_bytes)
    assert got32.dtype == np.float32 and (got32 >= 0).all()
    np.testing.assert_allclose(got32, ((X[:, None] - Y[None]) ** 2).sum(axis=2).min(axis=1),
                               rtol=1e-4, atol=1e-4)


def test_scores_are_distance_to_labeled_set():
    X, y, _ = make_pool(n=80)
    emb = np.random.default_rng(0).standard_normal((80, 4)).astype(np.float32)
    sel = activelab.propose(X, y, strategy="coreset", batch_size=6, embedding=emb, random_state=0)
    lab = np.flatnonzero(y != UNLABELED)
    D = np.sqrt(((emb[sel.candidate_idx][:, None] - emb[lab][None]) ** 2).sum(axis=2)).min(axis=1)
    np.testing.assert_allclose(sel.scores, D, rtol=1e-4, atol=1e-5)
    assert sel.idx[0] == sel.candidate_idx[np.argmax(D)]  # the first pick is the farthest
    assert sel.info["covering_radius"] <= D.max()


def test_cold_start_starts_at_random_and_is_reproducible():
    X, _, _ = make_pool(n=60)
    y = np.full(60, UNLABELED)
    a = activelab.propose(X, y, strategy="coreset", batch_size=5, random_state=1)
    b = activelab.propose(X, y, strategy="coreset", batch_size=5, random_state=1)
    np.testing.assert_array_equal(a.idx, b.idx)
    assert a.scores is None
    firsts = {activelab.query(X, y, strategy="coreset", batch_size=1, random_state=s)[0]
              for s in range(8)}
    assert len(firsts) > 1


def test_bad_k_is_an_input_error():
    F = np.zeros((5, 2))
    with pytest.raises(activelab.InvalidInputError, match="k must be in"):
        k_center_greedy(F, np.array([0]), np.arange(1, 5), 5, np.random.default_rng(0))
