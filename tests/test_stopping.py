"""Stopping rules on constructed runs whose right answer is known, and their clear errors."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import cohen_kappa_score

from activelab import InvalidInputError
from activelab.stopping import (
    StopDecision,
    cohen_kappa,
    draw_stop_set,
    forecast_gain,
    forecast_learning_curve,
    max_confidence,
    overall_uncertainty,
    predictive_entropy,
    stabilizing_predictions,
)

# -- kappa and stabilizing predictions ---------------------------------------------------------

def test_kappa_matches_scikit_learn():
    rng = np.random.default_rng(0)
    for _ in range(20):
        a = rng.integers(0, 4, 50)
        b = np.where(rng.random(50) < 0.7, a, rng.integers(0, 4, 50))
        assert cohen_kappa(a, b) == pytest.approx(cohen_kappa_score(a, b))


def test_kappa_of_identical_constant_predictions_is_one():
    assert cohen_kappa(np.zeros(10), np.zeros(10)) == 1.0
    assert cohen_kappa(np.zeros(10), np.ones(10)) == 0.0


def test_identical_predictions_stop():
    p = np.arange(200) % 5
    d = stabilizing_predictions([p, p, p, p])
    assert isinstance(d, StopDecision) and d.stop
    assert d.rule == "stabilizing_predictions"
    assert d.evidence["mean_kappa"] == 1.0 and d.evidence["kappas"] == [1.0, 1.0, 1.0]


def test_changing_predictions_do_not_stop():
    rng = np.random.default_rng(1)
    base = rng.integers(0, 3, 500)
    preds = [np.where(rng.random(500) < 0.1, rng.integers(0, 3, 500), base) for _ in range(6)]
    d = stabilizing_predictions(preds)
    assert not d.stop and d.evidence["mean_kappa"] < 0.99
    assert "below" in d.reason


def test_one_recent_change_keeps_the_window_below_threshold():
    p = np.arange(300) % 3
    q = p.copy()
    q[:30] = (q[:30] + 1) % 3
    assert not stabilizing_predictions([p, p, p, q, q]).stop       # kappas 1, 1, .85, 1
    assert stabilizing_predictions([p, p, p, q, q, q, q]).stop      # last three all 1


def test_too_few_models_continue_with_reason():
    p = np.arange(10) % 2
    d = stabilizing_predictions([p, p, p])
    assert not d.stop and "need 4" in d.reason


def test_stop_set_overlapping_labels_is_refused():
    p = np.arange(10) % 2
    with pytest.raises(InvalidInputError, match="stop set overlaps the labeled rows"):
        stabilizing_predictions([p, p, p, p], stop_idx=[1, 2, 3], labeled=[3, 7])
    mask = np.zeros(20, bool)
    mask[[2, 9]] = True
    with pytest.raises(InvalidInputError, match="overlaps"):
        stabilizing_predictions([p, p, p, p], stop_idx=np.arange(5), labeled=mask)
    stabilizing_predictions([p, p, p, p], stop_idx=[10, 11], labeled=mask)  # disjoint: fine


def test_draw_stop_set_avoids_labeled_rows_and_is_reproducible():
    labeled = np.zeros(100, bool)
    labeled[:40] = True
    s = draw_stop_set(labeled, size=30, random_state=0)
    assert s.size == 30 and (s >= 40).all() and np.unique(s).size == 30
    assert np.array_equal(s, draw_stop_set(labeled, size=30, random_state=0))
    assert draw_stop_set(labeled, size=1000, random_state=0).size == 60
    with pytest.raises(InvalidInputError, match="every row is labeled"):
        draw_stop_set(np.ones(5, bool))


def test_stabilizing_bad_inputs():
    with pytest.raises(InvalidInputError, match="same stop set"):
        stabilizing_predictions([np.zeros(3), np.zeros(4)])
    with pytest.raises(InvalidInputError, match="window"):
        stabilizing_predictions([np.zeros(3)] * 4, window=0)
    with pytest.raises(InvalidInputError, match="threshold"):
        stabilizing_predictions([np.zeros(3)] * 4, threshold=1.5)


# -- uncertainty rules -------------------------------------------------------------------------

def test_confident_pool_stops_uncertain_pool_does_not():
    confident = np.tile([0.99999, 0.00001], (50, 1))
    unsure = np.tile([0.6, 0.4], (50, 1))
    assert overall_uncertainty(confident).stop and max_confidence(confident).stop
    assert not overall_uncertainty(unsure).stop and not max_confidence(unsure).stop
    one_unsure = confident.copy()
    one_unsure[7] = [0.5, 0.5]
    # the mean stays low (ln 2 / 50 = 0.0139 > 0.01 though), the max does not
    assert not max_confidence(one_unsure).stop
    assert max_confidence(one_unsure).evidence["max_entropy"] == pytest.approx(np.log(2))
    assert overall_uncertainty(one_unsure, threshold=0.02).stop


def test_entropy_values():
    h = predictive_entropy([[1.0, 0.0, 0.0], [1 / 3, 1 / 3, 1 / 3]])
    assert h == pytest.approx([0.0, np.log(3)])


@pytest.mark.parametrize("bad", [np.ones(3), [[0.5, 0.6]], [[np.nan, 1.0]], np.zeros((0, 2))])
def test_uncertainty_bad_proba(bad):
    with pytest.raises(InvalidInputError, match="proba"):
        overall_uncertainty(bad)


def test_uncertainty_bad_threshold():
    with pytest.raises(InvalidInputError, match="threshold"):
        max_confidence([[0.5, 0.5]], threshold=0)


# -- learning-curve forecast -------------------------------------------------------------------

LABELS = np.arange(20, 230, 10)


def test_forecast_recovers_a_power_law():
    acc = 0.95 - 1.2 * LABELS ** -0.6
    fc = forecast_learning_curve(LABELS, acc)
    assert fc.method == "inverse_power_law"
    assert fc.plateau == pytest.approx(0.95, abs=1e-3)
    assert fc.params[2] == pytest.approx(0.6, abs=1e-2)
    n_star = (1.2 / (0.95 - 0.93)) ** (1 / 0.6)
    out = fc.labels_to_reach(0.93)
    assert out["more_labels"] == pytest.approx(n_star - LABELS[-1], abs=2)
    assert out["low"] <= out["more_labels"] <= out["high"]
    assert "more labels to reach 0.93" in out["reason"]


def test_target_above_plateau_is_never_reached():
    acc = 0.90 - 0.5 * LABELS ** -0.8
    out = forecast_learning_curve(LABELS, acc).labels_to_reach(0.97)
    assert out["more_labels"] is None and "not above the target" in out["reason"]


def test_already_reached_target_needs_no_more_labels():
    acc = 0.90 - 0.5 * LABELS ** -0.8
    assert forecast_learning_curve(LABELS, acc).labels_to_reach(0.5)["more_labels"] == 0


def test_band_contains_the_fit_and_widens_with_noise():
    rng = np.random.default_rng(3)
    acc = 0.92 - 0.8 * LABELS ** -0.5 + rng.normal(0, 0.01, LABELS.size)
    fc = forecast_learning_curve(LABELS, acc)
    lo, hi = fc.plateau_band()
    assert lo <= fc.plateau <= hi and hi - lo > 0
    lo_n, hi_n = fc.predict_band([300])
    assert lo_n[0] <= fc.predict(300) <= hi_n[0]


def test_flat_curve_stops_rising_curve_does_not():
    rng = np.random.default_rng(0)
    flat = 0.9 + rng.normal(0, 0.002, LABELS.size)
    rising = 0.98 - 2.0 * LABELS ** -0.5
    d_flat = forecast_gain(LABELS, flat)
    d_rise = forecast_gain(LABELS, rising)
    assert d_flat.stop and d_flat.rule == "forecast_gain"
    assert not d_rise.stop and d_rise.evidence["expected_gain"] > 0.005


def test_forecast_needs_three_points():
    with pytest.raises(InvalidInputError, match="at least 3 points"):
        forecast_learning_curve([20, 30], [0.5, 0.6])
    with pytest.raises(InvalidInputError, match="at least 3 points"):
        forecast_gain([20, 30], [0.5, 0.6])


@pytest.mark.parametrize("labels, acc, match", [
    ([20, 30, 30], [0.5, 0.6, 0.7], "strictly increasing"),
    ([20, 30, 40], [0.5, 1.6, 0.7], r"\[0, 1\]"),
    ([20, 30, 40], [0.5, np.nan, 0.7], "finite"),
    ([20, 30], [0.5, 0.6, 0.7], "one length"),
])
def test_forecast_bad_inputs(labels, acc, match):
    with pytest.raises(InvalidInputError, match=match):
        forecast_learning_curve(labels, acc)


def test_decisions_serialize():
    d = overall_uncertainty(np.tile([0.5, 0.5], (3, 1)))
    assert set(d.to_dict()) == {"stop", "rule", "evidence", "reason"}


def test_a_failed_fit_falls_back_to_flat_and_stops_only_on_steady_points():
    labels = [20, 30, 40, 50]
    steady = forecast_learning_curve(labels, [0.9, 0.9, 0.9, 0.9])
    noisy = [0.6, 0.9, 0.6, 0.9]
    fc = forecast_learning_curve(labels, noisy)
    if fc.method == "flat":
        assert "not fitted" in fc.reason
    assert steady.labels_to_reach(0.95)["more_labels"] is None
    assert not forecast_gain(labels, noisy).stop


def test_monitor_records_the_first_firing():
    from activelab.stopping import StoppingMonitor

    m = StoppingMonitor(min_points=3)
    p = np.arange(100) % 4
    confident = np.tile([0.99999, 0.00001], (20, 1))
    for n in (20, 30, 40, 50, 60):
        m.update(n, stop_predictions=p, pool_proba=confident, accuracy=0.9, accuracy_ci=(0.89, 0.91))
    assert m.fired_["stabilizing_predictions"] == 50  # 4 models → 3 kappas
    assert m.fired_["overall_uncertainty"] == 20 and m.fired_["max_confidence"] == 20
    assert m.fired_["forecast_gain"] is not None
    assert len(m.predictions_) == 4
    with pytest.raises(InvalidInputError, match="growing label counts"):
        m.update(60, accuracy=0.9)
