"""Every registered strategy passes the conformance kit (`activelab.testing`), plus property
tests of the contract over varying pool sizes, class counts and batch sizes.

New strategies are picked up from the registry automatically. A (strategy, check) pair that
exposes a known bug goes in EXPECTED_FAILURES with the reason; it is then a strict xfail, so
fixing the bug turns the entry into an error to remove.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression
from threadpoolctl import threadpool_limits

import activelab
from activelab import UNLABELED, strategy_names
from activelab.strategies import strategy_class
from activelab.testing import parametrize_with_checks

from .conftest import make_pool

ALL = strategy_names()


@pytest.fixture(autouse=True, scope="module")
def _one_blas_thread():
    """The pools are tiny: extra BLAS threads only contend (the kit's checks do the same)."""
    with threadpool_limits(limits=1):
        yield

#: {strategy name: {check name: reason}} for known bugs, each a strict xfail.
EXPECTED_FAILURES: dict[str, dict[str, str]] = {}


@parametrize_with_checks([strategy_class(name) for name in ALL],
                         expected_failed_checks=EXPECTED_FAILURES)
def test_strategy_conforms(strategy, check):
    check(strategy)


def _assert_scores_keep_promise(sel, ctx_candidates, promise):
    if promise == "never":
        assert sel.scores is None
        return
    if promise == "always":
        assert sel.scores is not None
    if sel.scores is not None:
        np.testing.assert_array_equal(sel.candidate_idx, ctx_candidates)
        assert sel.scores.shape == sel.candidate_idx.shape
        assert np.isfinite(sel.scores).all()
        assert np.isin(sel.idx, sel.candidate_idx).all()


@pytest.mark.parametrize("name", ALL)
@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.integers(0, 2**16),
    n=st.integers(40, 90),
    n_classes=st.integers(2, 4),
    frac_batch=st.floats(0.01, 1.0),
)
def test_selection_contract(name, seed, n, n_classes, frac_batch):
    """Through `activelab.propose`: batch_size distinct unlabeled rows, inputs and the user's
    model untouched, scores as the strategy promises."""
    X, y, _ = make_pool(n=n, n_classes=n_classes, n_labeled=3 * n_classes, seed=seed)
    unlabeled = np.flatnonzero(y == UNLABELED)
    batch = max(1, int(frac_batch * min(unlabeled.size, 25)))
    X0, y0 = X.copy(), y.copy()
    model = LogisticRegression(max_iter=300)
    sel = activelab.propose(X, y, strategy=name, model=model, batch_size=batch, random_state=seed)
    idx = np.asarray(sel.idx)
    assert idx.shape == (batch,)
    assert np.unique(idx).size == batch
    assert np.isin(idx, unlabeled).all()
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
    assert not hasattr(model, "classes_"), "the user's model was fitted in place"
    _assert_scores_keep_promise(sel, unlabeled, strategy_class(name).reports_scores)


@pytest.mark.parametrize("name", ALL)
def test_whole_pool_batch(name):
    """Asking `activelab.query` for every unlabeled row returns each exactly once."""
    X, y, _ = make_pool(n=24, n_labeled=6)
    unlabeled = np.flatnonzero(y == UNLABELED)
    idx = activelab.query(X, y, strategy=name, model=LogisticRegression(max_iter=300),
                          batch_size=unlabeled.size, random_state=1)
    assert sorted(idx.tolist()) == unlabeled.tolist()
