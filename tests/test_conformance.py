"""The conformance kit: every registered strategy obeys the same contract.

Exactly batch_size distinct unlabeled row positions; deterministic under a fixed random_state;
inputs never mutated. New strategies are picked up from the registry automatically.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

import activelab
from activelab import UNLABELED, strategy_names

from .conftest import make_pool

ALL = strategy_names()


@pytest.mark.parametrize("name", ALL)
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**16),
    n=st.integers(40, 90),
    n_classes=st.integers(2, 4),
    frac_batch=st.floats(0.01, 1.0),
)
def test_selection_contract(name, seed, n, n_classes, frac_batch):
    X, y, _ = make_pool(n=n, n_classes=n_classes, n_labeled=3 * n_classes, seed=seed)
    n_unlabeled = int((y == UNLABELED).sum())
    batch = max(1, int(frac_batch * min(n_unlabeled, 25)))
    X0, y0 = X.copy(), y.copy()
    model = LogisticRegression(max_iter=300)
    idx = activelab.query(X, y, strategy=name, model=model, batch_size=batch, random_state=seed)
    assert idx.shape == (batch,)
    assert np.unique(idx).size == batch
    assert (y[idx] == UNLABELED).all()
    assert ((0 <= idx) & (idx < n)).all()
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
    assert not hasattr(model, "classes_"), "the user's model was fitted in place"
    again = activelab.query(X, y, strategy=name, model=model, batch_size=batch, random_state=seed)
    np.testing.assert_array_equal(idx, again)


@pytest.mark.parametrize("name", ALL)
def test_whole_pool_batch(name):
    """Asking for every unlabeled row returns each exactly once."""
    X, y, _ = make_pool(n=40, n_labeled=8)
    n_unlabeled = int((y == UNLABELED).sum())
    idx = activelab.query(X, y, strategy=name, batch_size=n_unlabeled, random_state=1)
    assert sorted(idx.tolist()) == np.flatnonzero(y == UNLABELED).tolist()


@pytest.mark.parametrize("name", ALL)
def test_registered_metadata(name):
    cls = activelab.strategies.strategy_class(name)
    assert cls.family in {"baseline", "exploitation", "exploration", "hybrid", "adaptive"}
    assert cls.reference and cls.__doc__
    assert repr(cls())  # sklearn-style params: constructible with defaults


@pytest.mark.parametrize("name", ALL)
def test_selection_scores_align(name):
    """When a strategy reports scores, there is one per candidate and the chosen rows are candidates."""
    X, y, _ = make_pool()
    sel = activelab.propose(X, y, strategy=name, batch_size=5, random_state=0)
    if sel.scores is not None:
        assert sel.candidate_idx is not None
        assert sel.scores.shape == sel.candidate_idx.shape
        assert np.isin(sel.idx, sel.candidate_idx).all()
        assert np.isfinite(sel.scores).all()
