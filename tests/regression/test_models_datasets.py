"""Regressor registry, target standardization, the torch MLP, the offline datasets, __all__."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

import activelab.regression as reg
from activelab.regression import (
    SklearnRegressor,
    load_regression_dataset,
    make_regressor,
    regression_dataset_names,
    regressor_names,
)

from ._pool import make_regression_pool


def test_public_surface_is_all():
    public = {n for n in dir(reg) if not n.startswith("_")}
    modules = {"datasets", "models", "scores", "simulation", "strategies"}
    assert public - modules == set(reg.__all__)


def test_import_activelab_stays_light():
    import subprocess
    import sys

    code = "import sys, activelab; print('activelab.regression' in sys.modules, 'torch' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_registry_gives_fresh_models():
    assert regressor_names() == ["gp", "random_forest_regressor", "ridge", "torch_mlp"]
    assert make_regressor("ridge") is not make_regressor("ridge")


@pytest.mark.parametrize("name", ["ridge", "gp"])
def test_predictions_come_back_in_the_unit_of_y(name):
    X, _, y = make_regression_pool(n=50)
    lab = np.arange(30)
    small = SklearnRegressor(make_regressor(name)).fit(X, y, lab, random_state=0)
    big = SklearnRegressor(make_regressor(name)).fit(X, 1000 * y + 5, lab, random_state=0)
    np.testing.assert_allclose(big.predict(X[30:]), 1000 * small.predict(X[30:]) + 5,
                               rtol=1e-4, atol=1e-3)
    assert hasattr(small, "predict_std") == (name == "gp")


def test_random_forest_predicts_in_the_unit_of_y():
    X, _, y = make_regression_pool(n=50)
    fitted = SklearnRegressor(make_regressor("random_forest_regressor")).fit(
        X, 1000 * y + 5, np.arange(30), random_state=0)
    pred = fitted.predict(X[30:])
    assert np.corrcoef(pred, y[30:])[0, 1] > 0.5 and abs(pred.mean() - 5) < 1000


@pytest.mark.skipif(importlib.util.find_spec("torch") is None, reason="torch not installed")
def test_torch_mlp_learns_a_line():
    from activelab.torch import TorchRegressor

    rng = np.random.default_rng(0)
    X = rng.normal(size=(80, 2))
    y = 3 * X[:, 0] - X[:, 1]
    model = SklearnRegressor(TorchRegressor(hidden=(16,), epochs=80, random_state=0))
    fitted = model.fit(X, y, np.arange(60), random_state=1)
    again = model.fit(X, y, np.arange(60), random_state=1)
    pred = fitted.predict(X[60:])
    np.testing.assert_array_equal(pred, again.predict(X[60:]))
    assert np.corrcoef(pred, y[60:])[0, 1] > 0.95
    assert type(make_regressor("torch_mlp")).__name__ == "TorchRegressor"


@pytest.mark.parametrize("name", regression_dataset_names())
def test_datasets_load_offline(name):
    if name != "diabetes" and importlib.util.find_spec("river") is None:
        pytest.skip("river (extra 'tasks') not installed")
    X, y = load_regression_dataset(name)
    assert X.ndim == 2 and X.shape[0] == y.shape[0] >= 400
    assert np.isfinite(X).all() and np.isfinite(y).all() and np.ptp(y) > 0
    expected = {"diabetes": (442, 10), "trump_approval": (1001, 6), "chick_weights": (578, 5)}
    assert X.shape == expected[name]
