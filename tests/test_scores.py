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
