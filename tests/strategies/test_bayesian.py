"""BALD and variation ratios: hand-computed committees, the explicit-ensemble path, errors."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB

import activelab
from activelab import UNLABELED
from activelab.loop import build_context
from activelab.strategies import make_strategy
from activelab.strategies.bayesian import bald_scores, variation_ratio_scores

from ..conftest import make_pool

# members × candidates × classes
COMMITTEE = np.array([
    [[1.0, 0.0, 0.0], [0.5, 0.5, 0.0], [0.2, 0.3, 0.5], [0.6, 0.4, 0.0]],
    [[0.0, 1.0, 0.0], [0.5, 0.5, 0.0], [0.2, 0.3, 0.5], [0.1, 0.9, 0.0]],
    [[0.0, 0.0, 1.0], [0.5, 0.5, 0.0], [0.2, 0.3, 0.5], [0.7, 0.2, 0.1]],
])


def test_bald_by_hand():
    s = bald_scores(COMMITTEE)
    # confident members that all disagree: H(1/3,1/3,1/3) − 0
    assert s[0] == pytest.approx(np.log(3))
    # members that agree carry no information about the model, however uncertain
    assert s[1] == pytest.approx(0.0, abs=1e-12) and s[2] == pytest.approx(0.0, abs=1e-12)
    H = lambda p: -sum(q * np.log(q) for q in p if q > 0)  # noqa: E731
    mean = [(0.6 + 0.1 + 0.7) / 3, (0.4 + 0.9 + 0.2) / 3, 0.1 / 3]
    expected = H(mean) - (H([0.6, 0.4]) + H([0.1, 0.9]) + H([0.7, 0.2, 0.1])) / 3
    assert s[3] == pytest.approx(expected)


def test_variation_ratios_by_hand():
    # votes: [0,1,2] → mode count 1; all 0 → 3 (argmax of a tie takes the first class);
    # [2,2,2] → 3; [0,1,0] → 2
    np.testing.assert_allclose(variation_ratio_scores(COMMITTEE), [2 / 3, 0.0, 0.0, 1 / 3])


def test_explicit_ensemble_is_fitted_on_the_labeled_rows():
    X, y, _ = make_pool(seed=2)
    ests = [LogisticRegression(C=0.1), LogisticRegression(C=10.0), GaussianNB()]
    strat = make_strategy("bald", estimators=ests)
    ctx = build_context(X, y, strategy=strat, random_state=4)
    P = ctx.ensemble_proba(ests, "bald")
    lab, cand = ctx.labeled_idx, ctx.candidate_idx
    for m, est in enumerate(ests):
        ref = clone(est).fit(X[lab], y[lab]).predict_proba(X[cand])
        np.testing.assert_allclose(P[m], ref, rtol=1e-6, atol=1e-8)
        assert not hasattr(est, "classes_"), "the user's estimator was fitted in place"
    assert ctx.ensemble_proba(ests, "bald") is P  # cached for the round
    np.testing.assert_allclose(strat.scores(ctx), bald_scores(P))


@pytest.mark.parametrize("name", ["bald", "variation_ratios"])
def test_explicit_ensemble_end_to_end_is_reproducible(name):
    X, y, _ = make_pool(seed=1)
    ests = [LogisticRegression(C=c) for c in (0.01, 1.0, 100.0)]
    a = activelab.query(X, y, strategy=name, estimators=ests, batch_size=4, random_state=3)
    b = activelab.query(X, y, strategy=name, estimators=ests, batch_size=4, random_state=3)
    np.testing.assert_array_equal(a, b)
    assert (y[a] == UNLABELED).all()


@pytest.mark.parametrize("name", ["bald", "variation_ratios"])
@pytest.mark.parametrize(
    "params, match",
    [
        ({"n_members": 1}, "n_members must be"),
        ({"n_members": 2.5}, "n_members must be"),
        ({"estimators": [LogisticRegression()]}, "at least two"),
        ({"estimators": "logreg"}, "at least two"),
        ({"estimators": [object(), object()]}, "predict_proba"),
    ],
)
def test_bad_parameters(name, params, match):
    X, y, _ = make_pool()
    with pytest.raises(activelab.InvalidInputError, match=match):
        activelab.query(X, y, strategy=name, batch_size=2, random_state=0, **params)


@pytest.mark.parametrize("name", ["bald", "variation_ratios"])
def test_cold_start_raises(name):
    X, y, _ = make_pool()
    y1 = np.full_like(y, UNLABELED)
    y1[:3] = 2
    with pytest.raises(activelab.ColdStartError):
        activelab.query(X, y1, strategy=name, batch_size=3, random_state=0)
