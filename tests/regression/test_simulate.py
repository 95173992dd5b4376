"""simulate_regression: curve shapes, determinism under a seed, pairing across strategies."""

from __future__ import annotations

import numpy as np
import pytest

from activelab._tasks import TaskResult
from activelab.regression import (
    REGRESSION_METRICS,
    regression_auc,
    regression_metrics,
    simulate_regression,
)

from ._pool import make_regression_pool


def _split(n=80, seed=0):
    X, _, y = make_regression_pool(n=n, d=3, seed=seed)
    return X[:60], y[:60], X[60:], y[60:]


@pytest.mark.parametrize("strategy", ["igs", "variance", "coreset"])
def test_curves_have_one_point_per_round(strategy):
    X, y, Xt, yt = _split()
    seen = []
    r = simulate_regression(X, y, Xt, yt, strategy=strategy, initial=10, batch_size=4, rounds=3,
                            random_state=0, on_round=lambda i, res: seen.append(i))
    assert isinstance(r, TaskResult) and r.task == "regression" and r.x_name == "labels"
    assert r.primary_metric == "r2" and r.strategy == strategy
    assert r.x == r.labels == [10, 14, 18, 22]
    assert set(r.metrics) == set(REGRESSION_METRICS)
    assert all(len(v) == 4 for v in r.metrics.values())
    assert len(r.selected) == len(r.select_seconds) == len(r.fit_seconds) == len(r.info) == 4
    assert [len(s) for s in r.selected] == [10, 4, 4, 4]
    flat = [i for s in r.selected for i in s]
    assert len(set(flat)) == len(flat)
    assert seen == [0, 1, 2, 3]
    assert np.isfinite(regression_auc(r)) and regression_auc(r, "rmse") > 0
    assert r.to_dict()["metrics"]["r2"] == r.metrics["r2"]


def test_deterministic_and_paired():
    X, y, Xt, yt = _split()
    kw = {"initial": 10, "batch_size": 5, "rounds": 2}
    a = simulate_regression(X, y, Xt, yt, strategy="emc", random_state=3, **kw)
    b = simulate_regression(X, y, Xt, yt, strategy="emc", random_state=3, **kw)
    assert a.selected == b.selected and a.metrics == b.metrics
    c = simulate_regression(X, y, Xt, yt, strategy="greedy_y", random_state=3, **kw)
    assert c.selected[0] == a.selected[0]  # same seed set: a paired comparison
    assert c.metrics["r2"][0] == a.metrics["r2"][0]
    d = simulate_regression(X, y, Xt, yt, strategy="emc", random_state=4, **kw)
    assert d.selected[0] != a.selected[0]


def test_explicit_seed_rows_and_initial_strategy():
    X, y, Xt, yt = _split()
    r = simulate_regression(X, y, Xt, yt, strategy="random", initial=[3, 1, 2, 1], rounds=1,
                            batch_size=2, random_state=0)
    assert r.selected[0] == [1, 2, 3]
    g = simulate_regression(X, y, Xt, yt, strategy="gp_std", model="gp", initial=6,
                            initial_strategy="greedy_x", rounds=1, batch_size=2, random_state=0)
    assert len(g.selected[0]) == 6 and g.x == [6, 8]


def test_metrics_values():
    m = regression_metrics([1.0, 2.0, 3.0], [1.0, 2.0, 5.0])
    assert m["mae"] == pytest.approx(2 / 3)
    assert m["rmse"] == pytest.approx(np.sqrt(4 / 3))
    assert m["r2"] == pytest.approx(1 - 4 / 2)


def test_classification_looking_targets_are_fine():
    X, _, _ = make_regression_pool(n=50)
    y = (X[:, 0] > 0).astype(int) + (X[:, 1] > 0).astype(int)  # 0, 1, 2 as integers
    r = simulate_regression(X[:40], y[:40], X[40:], y[40:].astype(float), strategy="variance",
                            initial=10, rounds=1, batch_size=3, random_state=0)
    assert len(r.metrics["r2"]) == 2


def test_model_variants():
    from sklearn.neighbors import KNeighborsRegressor

    from activelab.regression import SklearnRegressor

    X, y, Xt, yt = _split()
    for model in (KNeighborsRegressor(3), SklearnRegressor(KNeighborsRegressor(3)),
                  "random_forest_regressor"):
        r = simulate_regression(X, y, Xt, yt, strategy="igs", model=model, initial=10, rounds=1,
                                batch_size=3, random_state=0)
        assert len(r.x) == 2
