"""Each uncertainty score against its textbook formula on hand-made probability tables."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from activelab.strategies.committee import kl_to_consensus_scores, vote_entropy_scores
from activelab.strategies.uncertainty import entropy_scores, least_confidence_scores, margin_scores

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
    import activelab.strategies.uncertainty as unc

    p = raw + 1e-12
    p = (p / p.sum(axis=1, keepdims=True)).astype(dtype)
    saved = unc._BLOCK_ROWS
    unc._BLOCK_ROWS = block
    try:
        mg, en = margin_scores(p), entropy_scores(p)
    finally:
        unc._BLOCK_ROWS = saved
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
