"""Accuracy without a test set: LURE is unbiased under a known selection process, the calibrated
estimate's interval covers at about its level, and bad input fails clearly."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from activelab import InvalidInputError
from activelab.estimate import (
    AccuracyEstimate,
    calibrated_accuracy,
    estimate_accuracy,
    heldout_predictions,
    lure_accuracy,
    lure_weights,
    rectified_accuracy,
)


def _acquire(scores, m, rng):
    """Draw m rows without replacement, each step proportional to `scores` among the rest;
    return the rows in order and the probability each had at its step."""
    s = np.asarray(scores, dtype=float).copy()
    idx, q = [], []
    for _ in range(m):
        p = s / s.sum()
        i = rng.choice(s.size, p=p)
        idx.append(i)
        q.append(p[i])
        s[i] = 0.0
    return np.array(idx), np.array(q)


def _hard_pool(n=300, seed=0):
    """A fixed model's correctness on a pool, and acquisition scores favouring its errors."""
    rng = np.random.default_rng(seed)
    conf = rng.uniform(0.4, 1.0, n)
    correct = rng.random(n) < conf
    scores = 1.05 - conf  # uncertainty sampling, stochastic
    return correct, scores


def test_lure_is_unbiased_with_known_probabilities():
    correct, scores = _hard_pool()
    truth = correct.mean()
    rng = np.random.default_rng(1)
    lure, naive = [], []
    for _ in range(1500):
        idx, q = _acquire(scores, 30, rng)
        lure.append(lure_accuracy(correct[idx], q, correct.size).accuracy)
        naive.append(correct[idx].mean())
    lure, naive = np.array(lure), np.array(naive)
    se = lure.std(ddof=1) / np.sqrt(lure.size)
    assert abs(lure.mean() - truth) < 4 * se
    assert truth - naive.mean() > 10 * se  # the plain mean of actively chosen rows is biased


def test_lure_interval_coverage_is_near_nominal():
    correct, scores = _hard_pool(seed=2)
    rng = np.random.default_rng(3)
    hits = []
    for _ in range(600):
        idx, q = _acquire(scores, 60, rng)
        est = lure_accuracy(correct[idx], q, correct.size, confidence=0.9)
        hits.append(est.low <= correct.mean() <= est.high)
    assert 0.84 <= np.mean(hits) <= 0.96


def test_lure_weights_are_one_for_uniform_sampling_and_the_whole_pool():
    n, m = 50, 10
    q = 1.0 / (n - np.arange(m))  # uniform draws without replacement
    assert lure_weights(q, n) == pytest.approx(np.ones(m))
    assert lure_weights(np.full(5, 0.3), 5) == pytest.approx(np.ones(5))


def test_lure_bad_inputs():
    with pytest.raises(InvalidInputError, match="deterministic top-k"):
        lure_accuracy([True, False], [0.5, 0.0], 10)
    with pytest.raises(InvalidInputError, match="n_pool"):
        lure_accuracy([True, False], [0.5, 0.5], 1)
    with pytest.raises(InvalidInputError, match="2 correctness values for 3"):
        lure_accuracy([True, False], [0.5, 0.5, 0.5], 10)
    with pytest.raises(InvalidInputError, match="booleans"):
        lure_accuracy([2, 0], [0.5, 0.5], 10)


def test_lure_flags_few_labels():
    est = lure_accuracy([True] * 5, [0.1] * 5, 100)
    assert isinstance(est, AccuracyEstimate) and not est.reliable and "only 5 labels" in est.reason


def _calibrated_world(n_pool, rng):
    """Pool confidences and a calibration map that is not the identity (overconfident)."""
    conf = rng.beta(5, 1.2, n_pool).clip(0.2, 1.0)
    p_right = 0.1 + 0.85 * conf ** 2
    return conf, p_right


def test_calibrated_estimate_corrects_selection_on_confidence_and_covers():
    rng = np.random.default_rng(0)
    hits, errors, naive_errors = [], [], []
    for _ in range(300):
        conf, p_right = _calibrated_world(3000, rng)
        correct = rng.random(conf.size) < p_right
        # 20 random rows, then 80 chosen with a preference for low confidence
        seed_rows = rng.choice(conf.size, 20, replace=False)
        w = (1.02 - conf) ** 2
        w[seed_rows] = 0
        active = rng.choice(conf.size, 80, replace=False, p=w / w.sum())
        lab = np.concatenate([seed_rows, active])
        pool = np.setdiff1d(np.arange(conf.size), lab)
        est = calibrated_accuracy(conf[lab], correct[lab], conf[pool], random_state=0)
        truth = correct[pool].mean()
        hits.append(est.low <= truth <= est.high)
        errors.append(est.accuracy - truth)
        naive_errors.append(correct[lab].mean() - truth)
    assert abs(np.mean(errors)) < 0.02 < abs(np.mean(naive_errors))
    assert 0.82 <= np.mean(hits) <= 0.99


def test_calibrated_estimate_flags_thin_support():
    rng = np.random.default_rng(0)
    pool = rng.uniform(0.9, 1.0, 500)
    est = calibrated_accuracy(np.full(40, 0.5), np.ones(40, bool), pool)
    assert not est.reliable and "leans on the model's own confidence" in est.reason
    few = calibrated_accuracy(pool[:10], np.ones(10, bool), pool)
    assert not few.reliable and "only 10 labels" in few.reason


def test_estimate_accuracy_on_random_labels_is_close_to_the_truth():
    X, y = make_classification(n_samples=1500, n_features=8, n_informative=5, n_classes=3,
                               random_state=0)
    rng = np.random.default_rng(0)
    lab = rng.choice(1500, 120, replace=False)
    pool = np.setdiff1d(np.arange(1500), lab)
    model = LogisticRegression(max_iter=500)
    est = estimate_accuracy(X[lab], y[lab], X[pool], model, random=True, random_state=0)
    truth = (model.fit(X[lab], y[lab]).predict(X[pool]) == y[pool]).mean()
    assert est.low <= truth <= est.high and est.high - est.low < 0.25
    assert est.method == "rectified" and est.n_labels == 120 and est.reliable
    fitted = LogisticRegression(max_iter=500).fit(X[lab], y[lab])
    again = estimate_accuracy(X[lab], y[lab], X[pool], model, random=np.arange(120),
                              fitted=fitted, random_state=0)
    assert again.accuracy == pytest.approx(est.accuracy)
    unmarked = estimate_accuracy(X[lab], y[lab], X[pool], model, random_state=0)
    assert unmarked.method == "calibrated_cv" and not unmarked.reliable
    assert "no labels marked random" in unmarked.reason


def test_rectified_estimate_is_unbiased_and_covers_whatever_chose_the_other_labels():
    """20 random rows anchor it; 80 rows chosen for low confidence do not bias it."""
    rng = np.random.default_rng(5)
    hits, errors = [], []
    for _ in range(400):
        conf, p_right = _calibrated_world(3000, rng)
        correct = rng.random(conf.size) < p_right
        seed_rows = rng.choice(conf.size, 20, replace=False)
        w = (1.02 - conf) ** 2
        w[seed_rows] = 0
        active = rng.choice(conf.size, 80, replace=False, p=w / w.sum())
        lab = np.concatenate([seed_rows, active])
        pool = np.setdiff1d(np.arange(conf.size), lab)
        rnd = np.arange(lab.size) < 20
        est = rectified_accuracy(conf[lab], correct[lab], conf[pool], rnd)
        truth = correct.mean()  # the whole pool: labeled and unlabeled rows
        hits.append(est.low <= truth <= est.high)
        errors.append(est.accuracy - truth)
    se = np.std(errors, ddof=1) / np.sqrt(len(errors))
    assert abs(np.mean(errors)) < 4 * se
    assert 0.85 <= np.mean(hits) <= 0.99


def test_rectified_bad_inputs():
    with pytest.raises(InvalidInputError, match="at least 2"):
        rectified_accuracy([0.5, 0.6], [1, 0], [0.5], [True, False])
    with pytest.raises(InvalidInputError, match="boolean mask"):
        rectified_accuracy([0.5, 0.6], [1, 0], [0.5], [1, 1])
    X = np.zeros((10, 2))
    y = np.arange(10) % 2
    with pytest.raises(InvalidInputError, match="positions into the 10 labeled rows"):
        estimate_accuracy(X, y, X, random=[0, 12])


def test_heldout_predictions_never_see_their_row():
    X, y = make_classification(n_samples=60, n_features=4, n_informative=3, n_redundant=0,
                               random_state=1)
    proba = heldout_predictions(X, y, LogisticRegression(), n_splits=5, random_state=0)
    assert proba.shape == (60, 2) and np.allclose(proba.sum(axis=1), 1)
    # a 1-nearest-neighbour-like memoriser would be perfect in-sample; held out it is not
    from sklearn.neighbors import KNeighborsClassifier
    memo = heldout_predictions(X + 0.0, y, KNeighborsClassifier(1), n_splits=5, random_state=0)
    assert (memo.argmax(axis=1) == y).mean() < 1.0


@pytest.mark.parametrize("kwargs, match", [
    ({"heldout_confidence": [0.5, 0.6], "heldout_correct": [1], "pool_confidence": [0.5]}, "2 confidences"),
    ({"heldout_confidence": [1.5], "heldout_correct": [1], "pool_confidence": [0.5]}, "probabilities"),
    ({"heldout_confidence": [0.5], "heldout_correct": [1], "pool_confidence": []}, "pool_confidence"),
    ({"heldout_confidence": [0.5], "heldout_correct": [1], "pool_confidence": [0.5], "confidence": 1.0}, "confidence"),
    ({"heldout_confidence": [0.5], "heldout_correct": [1], "pool_confidence": [0.5], "n_bins": 0}, "n_bins"),
])
def test_calibrated_bad_inputs(kwargs, match):
    with pytest.raises(InvalidInputError, match=match):
        calibrated_accuracy(**kwargs)


def test_estimate_accuracy_bad_inputs():
    X = np.zeros((10, 2))
    y = np.arange(10) % 2
    with pytest.raises(InvalidInputError, match="cannot be split in 5 folds"):
        estimate_accuracy(X[:3], y[:3], X)
    with pytest.raises(InvalidInputError, match="rows but y_labeled"):
        estimate_accuracy(X, y[:5], X)
    with pytest.raises(InvalidInputError, match="X_pool is empty"):
        estimate_accuracy(X, y, X[:0])


def test_estimates_stay_in_range_with_the_point_inside_the_interval():
    est = AccuracyEstimate(1.03, 1.01, 1.05, 0.9, 20, "rectified", True)
    assert (est.low, est.accuracy, est.high) == (1.0, 1.0, 1.0)
    est = AccuracyEstimate(0.5, 0.55, 0.7, 0.9, 20, "calibrated_cv", True)
    assert est.low <= est.accuracy <= est.high
    rng = np.random.default_rng(0)
    for _ in range(50):  # nearly all right: the point can sit at the top of the range
        c = rng.uniform(0.95, 1.0, 40)
        r = rectified_accuracy(c, np.ones(40, bool), rng.uniform(0.97, 1.0, 500), np.ones(40, bool))
        assert 0 <= r.low <= r.accuracy <= r.high <= 1
