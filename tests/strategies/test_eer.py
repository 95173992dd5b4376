"""Expected error reduction: the obvious pick on a 1-D toy, brute-force expected losses,
finite scores outside the subsample, and no mutation of the context."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression

import activelab
from activelab import UNLABELED
from activelab.loop import build_context
from activelab.strategies import make_strategy
from activelab.strategies.eer import expected_loss

from ..conftest import make_pool


def _toy():
    """Labeled −2 (class 0) and +2 (class 1); an ambiguous cluster near the boundary and four
    far, confidently classified outliers."""
    rng = np.random.default_rng(0)
    X = np.concatenate([[-2.0, 2.0], 0.3 + 0.05 * rng.standard_normal(12), [-5, -4.5, 5, 4.5]])
    y = np.full(X.shape[0], UNLABELED)
    y[:2] = [0, 1]
    return X[:, None], y


def test_expected_loss_formula():
    label_proba = np.array([0.25, 0.75, 0.0])
    eval_probas = np.zeros((3, 2, 3))
    eval_probas[0] = [[0.5, 0.5, 0.0], [1.0, 0.0, 0.0]]  # 0/1: (0.5 + 0) / 2
    eval_probas[1] = [[0.2, 0.8, 0.0], [0.4, 0.6, 0.0]]  # 0/1: (0.2 + 0.4) / 2
    eval_probas[2] = np.nan  # P(y|x) = 0: never read
    assert expected_loss(label_proba, eval_probas, "zero_one") == pytest.approx(0.25 * 0.25 + 0.75 * 0.3)
    H = lambda p: -sum(q * np.log(q) for q in p if q > 0)  # noqa: E731
    log = 0.25 * (H([0.5, 0.5]) + 0) / 2 + 0.75 * (H([0.2, 0.8]) + H([0.4, 0.6])) / 2
    assert expected_loss(label_proba, eval_probas, "log") == pytest.approx(log)


@pytest.mark.parametrize("loss", ["zero_one", "log"])
def test_picks_the_ambiguous_cluster_and_losses_match_brute_force(loss):
    X, y = _toy()
    model = LogisticRegression(C=100.0)
    strat = make_strategy("eer", n_candidates=100, n_eval=100, loss=loss)
    ctx = build_context(X, y, strategy=strat, model=model, random_state=0)
    y_before = ctx.y.copy()
    sel = strat.select(ctx, 1, np.random.default_rng(0))
    cand = ctx.candidate_idx
    assert 2 <= sel.idx[0] < 14, "labeling a point of the ambiguous cluster helps most"
    scores = dict(zip(cand.tolist(), sel.scores.tolist()))
    assert min(scores[i] for i in range(2, 14)) > max(scores[i] for i in range(14, 18))
    np.testing.assert_array_equal(ctx.y, y_before)
    assert not hasattr(model, "classes_")

    # brute force for the chosen row and one outlier: refit on L ∪ {(x, y)} for each y
    proba = LogisticRegression(C=100.0).fit(X[:2], y[:2]).predict_proba(X[cand])
    for row in (int(sel.idx[0]), 16):
        p = proba[np.searchsorted(cand, row)]
        total = 0.0
        for c in (0, 1):
            fit = LogisticRegression(C=100.0).fit(X[[0, 1, row]], [0, 1, c])
            P = fit.predict_proba(X[cand])  # n_eval ≥ pool: every candidate is evaluated
            per_row = 1 - P.max(axis=1) if loss == "zero_one" else -(P * np.log(P)).sum(axis=1)
            total += p[c] * per_row.mean()
        assert -scores[row] == pytest.approx(total, rel=1e-6)


def test_only_the_subsample_is_ranked_and_every_score_is_finite():
    X, y, _ = make_pool(n=60, n_classes=2, n_labeled=6, seed=1)
    sel = activelab.propose(X, y, strategy="eer", n_candidates=4, n_eval=20, batch_size=2,
                            random_state=0)
    assert np.isfinite(sel.scores).all()
    floor = sel.scores.min()
    scored = sel.scores > floor
    assert scored.sum() == 4 and sel.info["n_scored"] == 4
    np.testing.assert_allclose(floor, sel.scores[scored].min() - 1.0)
    assert np.isin(sel.idx, sel.candidate_idx[scored]).all()


def test_batch_larger_than_n_candidates_widens_the_subsample():
    X, y, _ = make_pool(n=50, n_classes=2, n_labeled=6, seed=2)
    sel = activelab.propose(X, y, strategy="eer", n_candidates=2, n_eval=10, batch_size=5,
                            random_state=0)
    assert sel.info["n_scored"] == 5 and np.unique(sel.idx).shape == (5,)


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"n_candidates": 0}, activelab.InvalidInputError, "n_candidates must be"),
        ({"n_eval": 2.5}, activelab.InvalidInputError, "n_eval must be"),
        ({"loss": "hinge"}, activelab.UnknownNameError, "unknown loss"),
    ],
)
def test_bad_parameters(params, error, match):
    X, y = _toy()
    with pytest.raises(error, match=match):
        activelab.query(X, y, strategy="eer", batch_size=1, random_state=0, **params)


def test_cold_start_raises():
    X, y = _toy()
    y[1] = UNLABELED
    with pytest.raises(activelab.ColdStartError):
        activelab.query(X, y, strategy="eer", batch_size=1, random_state=0)
