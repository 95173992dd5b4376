"""Bad input gets one clear error that names the problem (and the fix)."""

from __future__ import annotations

import numpy as np
import pytest

import activelab
from activelab import UNLABELED, BatchSizeError, ColdStartError, InvalidInputError, UnknownNameError

from .conftest import make_pool


def test_shapes_disagree(pool):
    X, y, _ = pool
    with pytest.raises(InvalidInputError, match="X has 120 rows but y has 119"):
        activelab.query(X, y[:-1])


def test_X_must_be_2d(pool):
    X, y, _ = pool
    with pytest.raises(InvalidInputError, match="2-D"):
        activelab.query(X[:, 0], y)


def test_y_must_be_1d(pool):
    X, y, _ = pool
    with pytest.raises(InvalidInputError, match="1-D"):
        activelab.query(X, y.reshape(-1, 1))


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_X(pool, bad):
    X, y, _ = pool
    X = X.copy()
    X[17, 2] = bad
    with pytest.raises(InvalidInputError, match="NaN or infinity.*row 17"):
        activelab.query(X, y)


def test_unknown_strategy_suggests_close_matches(pool):
    X, y, _ = pool
    with pytest.raises(UnknownNameError, match="'margn'.*Did you mean 'margin'") as info:
        activelab.query(X, y, strategy="margn")
    assert isinstance(info.value, LookupError)
    assert "margin" in info.value.close_matches


def test_unknown_strategy_param(pool):
    X, y, _ = pool
    with pytest.raises(InvalidInputError, match="does not take parameters"):
        activelab.query(X, y, strategy="margin", n_members=3)


@pytest.mark.parametrize("batch", [0, -3])
def test_batch_too_small(pool, batch):
    X, y, _ = pool
    with pytest.raises(BatchSizeError, match="at least 1"):
        activelab.query(X, y, batch_size=batch)


def test_batch_larger_than_pool(pool):
    X, y, _ = pool
    n_unlab = int((y == UNLABELED).sum())
    with pytest.raises(BatchSizeError, match=f"larger than the unlabeled pool \\({n_unlab} rows\\)"):
        activelab.query(X, y, batch_size=n_unlab + 1)


def test_batch_not_integer(pool):
    X, y, _ = pool
    with pytest.raises(BatchSizeError, match="integer"):
        activelab.query(X, y, batch_size=2.5)


def test_no_labels_for_model_strategy(pool):
    X, _, _ = pool
    y = np.full(X.shape[0], UNLABELED)
    with pytest.raises(ColdStartError, match="no example is labeled.*exploration strategy"):
        activelab.query(X, y, strategy="margin")


def test_single_class_for_model_strategy(pool):
    X, y, _ = pool
    y = y.copy()
    y[y != UNLABELED] = 2
    with pytest.raises(ColdStartError, match="single class.*another class"):
        activelab.query(X, y, strategy="entropy")
    with pytest.raises(ColdStartError, match="single class"):
        activelab.query(X, y, strategy="qbc_vote")
    # random needs no model, so the same pool is fine for it
    assert activelab.query(X, y, strategy="random", batch_size=2, random_state=0).shape == (2,)


def test_model_without_predict_proba(pool):
    from sklearn.svm import SVC

    X, y, _ = pool
    with pytest.raises(InvalidInputError, match="predict_proba.*probability=True"):
        activelab.query(X, y, model=SVC())


def test_labels_outside_classes(pool):
    X, y, _ = pool
    with pytest.raises(InvalidInputError, match="not in classes"):
        activelab.query(X, y, classes=[0, 1])


def test_empty_pool():
    with pytest.raises(InvalidInputError, match="empty"):
        activelab.query(np.empty((0, 3)), np.empty(0, dtype=int))


def test_qbc_members_checked(pool):
    X, y, _ = pool
    with pytest.raises(InvalidInputError, match="n_members"):
        activelab.query(X, y, strategy="qbc_kl", n_members=1)


def test_errors_share_one_base_class():
    for exc in (InvalidInputError, BatchSizeError, ColdStartError, UnknownNameError):
        assert issubclass(exc, activelab.ActiveLabError)
    assert issubclass(BatchSizeError, ValueError) and issubclass(UnknownNameError, LookupError)
