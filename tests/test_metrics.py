"""Learning-curve summaries against direct computations."""

from __future__ import annotations

import numpy as np
import pytest

from activelab.experiments.metrics import labels_to_reach, learning_curve_auc, paired_difference
from activelab.experiments.summary import summarize


def test_auc_is_mean_accuracy_over_budget():
    assert learning_curve_auc([10, 20, 30], [0.5, 0.5, 0.5]) == pytest.approx(0.5)
    # trapezoids: (0.2+0.4)/2*10 + (0.4+1.0)/2*10 = 3 + 7 = 10, over a range of 20
    assert learning_curve_auc([10, 20, 30], [0.2, 0.4, 1.0]) == pytest.approx(0.5)
    assert learning_curve_auc([5], [0.7]) == pytest.approx(0.7)
    with pytest.raises(ValueError):
        learning_curve_auc([1, 2], [0.1])


def test_labels_to_reach():
    assert labels_to_reach([10, 20, 30], [0.5, 0.8, 0.9], 0.8) == 20
    assert labels_to_reach([10, 20, 30], [0.5, 0.8, 0.9], 0.95) is None


def test_paired_difference():
    mean, se = paired_difference([0.8, 0.9, 0.7], [0.7, 0.7, 0.7])
    d = np.array([0.1, 0.2, 0.0])
    assert mean == pytest.approx(d.mean()) and se == pytest.approx(d.std(ddof=1) / np.sqrt(3))


def _run(strategy, seed, acc, full=1.0):
    return {"strategy": strategy, "seed": seed, "labels": [10, 20, 30], "accuracy": acc,
            "f1": acc, "select_seconds": [0, 0.1, 0.1], "fit_seconds": [0.1] * 3,
            "full_pool_accuracy": full}


def test_summary_numbers():
    runs = [_run("random", 0, [0.5, 0.6, 0.7]), _run("random", 1, [0.5, 0.7, 0.8]),
            _run("margin", 0, [0.5, 0.8, 0.96]), _run("margin", 1, [0.5, 0.9, 0.98])]
    s = summarize(runs)
    aucs = [learning_curve_auc([10, 20, 30], r["accuracy"]) for r in runs]
    assert s["random"]["auc_mean"] == pytest.approx(np.mean(aucs[:2]))
    assert s["random"]["auc_std"] == pytest.approx(np.std(aucs[:2], ddof=1))
    assert s["margin"]["final_accuracy_mean"] == pytest.approx(0.97)
    assert s["margin"]["labels_to_95"] == 30 and s["random"]["labels_to_95"] is None
    assert s["margin"]["auc_minus_random"] == pytest.approx(np.mean(aucs[2:]) - np.mean(aucs[:2]))
    assert "auc_minus_random" not in s["random"]
