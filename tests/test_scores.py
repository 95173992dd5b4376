"""Each uncertainty score against its textbook formula on hand-made probability tables."""

from __future__ import annotations

import math
from contextlib import contextmanager

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

import activelab
from activelab.strategies import top_k
from activelab.strategies.committee import kl_to_consensus_scores, vote_entropy_scores
from activelab.strategies.uncertainty import entropy_scores, least_confidence_scores, margin_scores

@contextmanager
def block_rows(n: int):
    """Blocks of `n` rows in the uncertainty scores, so tiny tables cross block boundaries and
    (from 4·n rows) take the float32 paths."""
    import activelab.strategies.uncertainty as unc

    saved, unc._BLOCK_ROWS = unc._BLOCK_ROWS, n
    try:
        yield
    finally:
        unc._BLOCK_ROWS = saved


P = np.array([
    [1.0, 0.0, 0.0],
    [0.5, 0.5, 0.0],
    [0.2, 0.3, 0.5],
    [1 / 3, 1 / 3, 1 / 3],
    [0.7, 0.1, 0.2],
])


def test_least_confidence_table():
    np.testing.assert_allclose(least_confidence_scores(P), [0.0, 0.5, 0.5, 2 / 3, 0.3])


def test_margin_table():
    # 1 - (p1 - p2)
    np.testing.assert_allclose(margin_scores(P), [0.0, 1.0, 0.8, 1.0, 0.5])


def test_entropy_table():
    def h(row):
        return -sum(p * math.log(p) for p in row if p > 0)

    np.testing.assert_allclose(entropy_scores(P), [h(r) for r in P])
    assert entropy_scores(P)[0] == 0.0
    assert entropy_scores(P)[3] == pytest.approx(math.log(3))


def test_ordering_matches_intuition():
    # the uniform row is the most uncertain under every measure; the one-hot row the least
    for f in (least_confidence_scores, margin_scores, entropy_scores):
        s = f(P)
        assert s.argmax() == 3 or s[3] == s.max()
        assert s.argmin() == 0


def test_vote_entropy_by_hand():
    # 4 members, 2 candidates, 3 classes; candidate 0: votes (0,0,1,2) ; candidate 1: all vote 1
    c = np.zeros((4, 2, 3))
    for m, k in enumerate([0, 0, 1, 2]):
        c[m, 0, k] = 0.9
        c[m, 0, (k + 1) % 3] = 0.1
    c[:, 1, 1] = 1.0
    expected0 = -(0.5 * math.log(0.5) + 2 * 0.25 * math.log(0.25))
    np.testing.assert_allclose(vote_entropy_scores(c), [expected0, 0.0])


def test_kl_to_consensus_by_hand():
    c = np.array([[[0.8, 0.2]], [[0.4, 0.6]]])  # 2 members, 1 candidate
    cons = np.array([0.6, 0.4])
    kl = lambda p: sum(pi * math.log(pi / qi) for pi, qi in zip(p, cons))  # noqa: E731
    np.testing.assert_allclose(kl_to_consensus_scores(c), [(kl([0.8, 0.2]) + kl([0.4, 0.6])) / 2])
    agree = np.array([[[0.3, 0.7]], [[0.3, 0.7]]])
    np.testing.assert_allclose(kl_to_consensus_scores(agree), [0.0], atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 12), st.integers(2, 6)),
              elements=st.floats(0.0, 1.0, allow_nan=False)))
def test_scores_bounded(raw):
    p = raw + 1e-9
    p = p / p.sum(axis=1, keepdims=True)
    k = p.shape[1]
    lc, mg, en = least_confidence_scores(p), margin_scores(p), entropy_scores(p)
    assert ((lc >= -1e-12) & (lc <= 1 - 1 / k + 1e-9)).all()
    assert ((mg >= -1e-12) & (mg <= 1 + 1e-12)).all()
    assert ((en >= -1e-12) & (en <= math.log(k) + 1e-9)).all()
    # a direct, loop-based margin
    direct = [1 - (sorted(r)[-1] - sorted(r)[-2]) for r in p]
    np.testing.assert_allclose(mg, direct, atol=1e-12)


def _direct_margin(p):
    return np.array([1 - (sorted(r)[-1] - sorted(r)[-2]) for r in p.astype(np.float64)])


def _direct_entropy(p):
    return np.array([-sum(float(x) * math.log(float(x)) for x in r if x > 0) for r in p])


@settings(max_examples=80, deadline=None)
@given(
    raw=arrays(np.float64, st.tuples(st.integers(1, 40), st.integers(2, 24)),
               elements=st.sampled_from([0.0, 0.1, 0.25, 0.5, 1.0]) | st.floats(0.0, 1.0)),
    block=st.integers(1, 9),
    dtype=st.sampled_from([np.float64, np.float32]),
)
def test_blocked_scores_equal_direct_formulas(raw, block, dtype):
    """Margin and entropy are computed block by block (column scan up to 16 classes, partition
    beyond): equal to the loop-based formulas for any block size, with ties, exact zeros and
    float32 tables."""

    p = raw + 1e-12
    p = (p / p.sum(axis=1, keepdims=True)).astype(dtype)
    with block_rows(block):
        mg, en = margin_scores(p), entropy_scores(p)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    np.testing.assert_allclose(mg, _direct_margin(p), atol=tol)
    np.testing.assert_allclose(en, _direct_entropy(p), atol=tol * 10)
    assert mg.dtype == en.dtype == np.float64


def test_scores_propagate_nan_and_treat_zero_log_zero_as_zero():
    p = np.array([[0.0, 1.0, 0.0], [np.nan, 0.5, 0.5], [0.5, 0.5, 0.0]])
    mg, en = margin_scores(p), entropy_scores(p)
    assert mg[0] == 0.0 and en[0] == 0.0
    assert np.isnan(mg[1]) and np.isnan(en[1])
    assert mg[2] == 1.0 and en[2] == pytest.approx(math.log(2))


def _tables():
    """Probability tables with exact ties (repeated rows), one-hot and near-uniform rows."""
    return arrays(np.float64, st.tuples(st.integers(8, 60), st.integers(2, 20)),
                  elements=st.sampled_from([0.0, 1e-300, 1e-30, 0.1, 0.5, 1.0]) | st.floats(0.0, 1.0))


@settings(max_examples=120, deadline=None)
@given(raw=_tables(), data=st.data())
def test_entropy_top_k_picks_exactly_what_float64_picks(raw, data):
    """The float32-first top-k (refined in float64 near the cut) returns the same positions, in
    the same order, with the same tie-breaking, as top_k over the float64 entropies; its scores
    are exact on the refined rows and within the stated bound elsewhere."""
    from activelab.strategies.uncertainty import entropy_float32_error, entropy_top_k

    p = raw + data.draw(st.sampled_from([0.0, 1e-12]))
    rows = p.sum(axis=1, keepdims=True)
    p = np.where(rows > 0, p / np.where(rows > 0, rows, 1), 1.0 / p.shape[1])
    dup = data.draw(st.integers(0, p.shape[0] - 1))
    p[: p.shape[0] // 3] = p[dup]  # a block of exact ties
    k = data.draw(st.integers(1, p.shape[0] - 1))
    seed = data.draw(st.integers(0, 2**16))
    exact = entropy_scores(p)
    with block_rows(2):  # pools of 8+ rows take the float32 path
        pos, scores = entropy_top_k(p, k, np.random.default_rng(seed))
    np.testing.assert_array_equal(pos, top_k(exact, k, np.random.default_rng(seed)))
    np.testing.assert_array_equal(scores[pos], exact[pos])
    bound = entropy_float32_error(p.shape[1], float(exact.max()) + 1e-3)
    assert np.abs(scores - exact).max() <= bound


@settings(max_examples=80, deadline=None)
@given(raw=_tables())
def test_float32_entropy_within_its_error_bound(raw):
    from activelab.strategies.uncertainty import entropy_float32_error

    p = raw + 1e-15
    p = p / p.sum(axis=1, keepdims=True)
    exact = entropy_scores(p)
    approx = entropy_scores(p, dtype=np.float32)
    bound = entropy_float32_error(p.shape[1], float(exact.max()))
    assert np.abs(approx - exact).max() <= bound / 4  # the bound carries a 4x margin


def test_entropy_top_k_falls_back_on_tables_that_are_not_probabilities():
    from activelab.strategies.uncertainty import entropy_top_k

    rng = np.random.default_rng(0)
    p = rng.dirichlet(np.ones(4), size=40)
    bad = p.copy()
    bad[3, 0] = -0.2  # not a probability: entropy is computed, but never in float32
    with block_rows(2):
        pos, scores = entropy_top_k(bad, 5, np.random.default_rng(1))
        np.testing.assert_array_equal(scores, entropy_scores(bad))
        nan = p.copy()
        nan[7, 1] = np.nan
        with pytest.raises(activelab.InvalidInputError, match="NaN"):
            entropy_top_k(nan, 5, np.random.default_rng(1))


@settings(max_examples=150, deadline=None)
@given(raw=_tables(), data=st.data())
def test_margin_top_k_picks_exactly_what_float64_picks(raw, data):
    """Float32 margins refined near the cut: same positions, order and ties as top_k over the
    float64 margins, for probability tables and for arbitrary real tables (the bound scales with
    the largest |p_(1)|)."""
    from activelab.strategies.uncertainty import margin_float32_error, margin_top_k

    p = raw + data.draw(st.sampled_from([0.0, 1e-12]))
    if data.draw(st.booleans()):
        rows = p.sum(axis=1, keepdims=True)
        p = np.where(rows > 0, p / np.where(rows > 0, rows, 1), 1.0 / p.shape[1])
    else:  # not probabilities: scaled and shifted, negative values included
        p = p * data.draw(st.sampled_from([1.0, 37.0, 1e5])) - data.draw(st.sampled_from([0.0, 0.5]))
    p[: p.shape[0] // 3] = p[data.draw(st.integers(0, p.shape[0] - 1))]  # exact ties
    k = data.draw(st.integers(1, p.shape[0] - 1))
    seed = data.draw(st.integers(0, 2**16))
    exact = margin_scores(p)
    with block_rows(2):
        pos, scores = margin_top_k(p, k, np.random.default_rng(seed))
    np.testing.assert_array_equal(pos, top_k(exact, k, np.random.default_rng(seed)))
    np.testing.assert_array_equal(scores[pos], exact[pos])
    top = np.max(np.abs(np.sort(p, axis=1)[:, -1]))
    assert np.abs(scores - exact).max() <= margin_float32_error(top, float((1 - exact).max()))


def test_margin_top_k_falls_back_on_nan():
    from activelab.strategies.uncertainty import margin_top_k

    p = np.random.default_rng(0).dirichlet(np.ones(3), size=30)
    p[4, 2] = np.nan
    with block_rows(2), pytest.raises(activelab.InvalidInputError, match="NaN"):
        margin_top_k(p, 3, np.random.default_rng(0))
