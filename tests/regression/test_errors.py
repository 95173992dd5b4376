"""Bad input gives a clear activelab error naming the fix."""

from __future__ import annotations

import numpy as np
import pytest

from activelab._errors import (
    BatchSizeError,
    ColdStartError,
    InvalidInputError,
    UnknownNameError,
)
from activelab.regression import (
    load_regression_dataset,
    make_regressor,
    query_regression,
    simulate_regression,
)

from ._pool import make_regression_pool


@pytest.fixture
def data():
    X, y, y_true = make_regression_pool(n=40)
    return X, y, y_true


def test_constant_target_in_the_seed_set(data):
    X, _, _ = data
    y = np.full(40, 3.5)
    with pytest.raises(ColdStartError, match="constant target") as err:
        simulate_regression(X[:30], y[:30], X[30:], y[30:], initial=10, rounds=1, random_state=0)
    assert "initial" in str(err.value)
    y_pool = np.full(40, np.nan)
    y_pool[:5] = 1.0
    with pytest.raises(ColdStartError, match="all 5 labeled targets equal 1.0"):
        query_regression(X, y_pool, strategy="igs", batch_size=2)
    with pytest.raises(ColdStartError, match="constant target"):
        query_regression(X, y_pool, strategy="variance", batch_size=2)
    assert query_regression(X, y_pool, strategy="greedy_x", batch_size=2).shape == (2,)


def test_no_label_for_a_model_strategy(data):
    X, _, _ = data
    with pytest.raises(ColdStartError, match="no row is labeled"):
        query_regression(X, np.full(40, np.nan), strategy="emc", batch_size=2)


def test_nan_or_inf_in_X(data):
    X, y, y_true = data
    Xb = X.copy()
    Xb[3, 1] = np.nan
    with pytest.raises(InvalidInputError, match="NaN or infinity"):
        query_regression(Xb, y, batch_size=2)
    Xb[3, 1] = np.inf
    with pytest.raises(InvalidInputError, match="NaN or infinity"):
        simulate_regression(Xb, y_true, X, y_true, rounds=1, initial=5)
    with pytest.raises(InvalidInputError, match="X_test contains NaN"):
        simulate_regression(X, y_true, Xb, y_true, rounds=1, initial=5)


def test_shapes(data):
    X, y, y_true = data
    with pytest.raises(InvalidInputError, match="2-D"):
        query_regression(X[:, 0], y, batch_size=2)
    with pytest.raises(InvalidInputError, match="X has 40 rows but y has 39"):
        query_regression(X, y[:-1], batch_size=2)
    with pytest.raises(InvalidInputError, match="1-D"):
        query_regression(X, np.c_[y, y], batch_size=2)
    with pytest.raises(InvalidInputError, match="X_test has 10 rows but y_test has 9"):
        simulate_regression(X[:30], y_true[:30], X[30:], y_true[31:], rounds=1, initial=5)
    with pytest.raises(InvalidInputError, match="X_test rows have shape"):
        simulate_regression(X[:30], y_true[:30], X[30:, :2], y_true[30:], rounds=1, initial=5)
    with pytest.raises(InvalidInputError, match="real-valued targets"):
        query_regression(X, np.array(["a"] * 40, dtype=object), batch_size=2)
    with pytest.raises(InvalidInputError, match="infinity"):
        query_regression(X, np.where(np.isnan(y), np.nan, np.inf), batch_size=2)


def test_budget_larger_than_the_pool(data):
    X, y, y_true = data
    with pytest.raises(BatchSizeError, match="need 60 rows but only 20"):
        simulate_regression(X[:30], y_true[:30], X[30:], y_true[30:], initial=10, rounds=6,
                            batch_size=10)
    with pytest.raises(BatchSizeError, match="larger than the unlabeled pool"):
        query_regression(X, y, batch_size=29)
    with pytest.raises(BatchSizeError, match="at least 1"):
        simulate_regression(X[:30], y_true[:30], X[30:], y_true[30:], initial=10, rounds=1,
                            batch_size=0)
    with pytest.raises(BatchSizeError, match="no unlabeled rows"):
        query_regression(X, y_true, batch_size=2)


def test_truth_with_nan(data):
    X, y, y_true = data
    with pytest.raises(InvalidInputError, match="true target of every pool row"):
        simulate_regression(X, y, X, y_true, rounds=1, initial=5)
    with pytest.raises(InvalidInputError, match="y_test holds NaN"):
        simulate_regression(X, y_true, X, y, rounds=1, initial=5)


def test_unknown_names(data):
    X, y, y_true = data
    with pytest.raises(UnknownNameError, match="regression strategy 'igss'"):
        query_regression(X, y, strategy="igss")
    with pytest.raises(UnknownNameError, match="Did you mean 'ridge'"):
        make_regressor("rigde")
    with pytest.raises(UnknownNameError, match="regression dataset"):
        load_regression_dataset("diabetis")
    with pytest.raises(UnknownNameError, match="regressor"):
        simulate_regression(X, y_true, X, y_true, model="lasso", rounds=1, initial=5)


def test_bad_parameters(data):
    X, y, y_true = data
    from sklearn.linear_model import LogisticRegression

    with pytest.raises(InvalidInputError, match="is a classifier"):
        query_regression(X, y, model=LogisticRegression(), batch_size=2)
    with pytest.raises(InvalidInputError, match="rounds"):
        simulate_regression(X, y_true, X, y_true, rounds=-1)
    with pytest.raises(InvalidInputError, match="initial"):
        simulate_regression(X, y_true, X, y_true, initial=1, rounds=1)
    with pytest.raises(ColdStartError, match="initial_strategy 'igs'"):
        simulate_regression(X, y_true, X, y_true, initial=5, rounds=1, initial_strategy="igs")
    with pytest.raises(InvalidInputError, match="random_state"):
        simulate_regression(X, y_true, X, y_true, initial=5, rounds=1, random_state=1.5)
