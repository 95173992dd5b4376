"""Every regression strategy (and the shared label-free ones) keeps the selection contract."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from activelab._errors import InvalidInputError, UnknownNameError
from activelab.regression import (
    describe_regression_strategies,
    make_regression_strategy,
    propose_regression,
    query_regression,
    regression_strategy_names,
)
from activelab.strategies import Strategy

from ._pool import make_regression_pool

ALL = regression_strategy_names()
MODEL_FREE = {"coreset", "greedy_x", "kmeans", "random", "typiclust"}


def test_names_and_descriptions():
    assert set(ALL) == {"coreset", "emc", "gp_std", "greedy_x", "greedy_y", "igs", "kmeans",
                        "random", "typiclust", "variance"}
    assert [d[0] for d in describe_regression_strategies()] == ALL
    assert all(d[2] for d in describe_regression_strategies())


def test_unknown_name_suggests_close_matches():
    with pytest.raises(UnknownNameError, match="'variance'") as err:
        make_regression_strategy("varience")
    assert "variance" in err.value.close_matches
    with pytest.raises(InvalidInputError, match="takes"):
        make_regression_strategy("variance", bogus=1)
    with pytest.raises(InvalidInputError, match="n_members"):
        query_regression(*make_regression_pool()[:2], strategy="variance", n_members=1)


def test_strategy_objects_pass_through_with_params():
    s = make_regression_strategy("emc", n_members=3)
    clone = make_regression_strategy(s, n_members=6)
    assert isinstance(clone, Strategy) and clone.n_members == 6 and s.n_members == 3


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(name=st.sampled_from(ALL), seed=st.integers(0, 10_000), batch=st.integers(1, 6),
       n_labeled=st.integers(4, 15))
def test_contract_and_determinism(name, seed, batch, n_labeled):
    X, y, _ = make_regression_pool(n=40, d=3, n_labeled=n_labeled, seed=seed % 50)
    model = "gp" if name == "gp_std" and seed % 2 else "ridge"
    idx = query_regression(X, y, strategy=name, model=model, batch_size=batch, random_state=seed)
    assert idx.shape == (batch,)
    assert np.unique(idx).size == batch
    assert np.isnan(y[idx]).all()  # never a labeled row
    again = query_regression(X, y, strategy=name, model=model, batch_size=batch, random_state=seed)
    np.testing.assert_array_equal(idx, again)


@pytest.mark.parametrize("name", ALL)
def test_every_strategy_runs_with_float_targets_of_many_values(name):
    """Thousands of distinct float labels: the shared context's 'classes' must not get in the way."""
    rng = np.random.default_rng(0)
    X = rng.normal(size=(3000, 4))
    y = X @ rng.normal(size=4) + 0.1 * rng.normal(size=3000)
    y[rng.choice(3000, 2900, replace=False)] = np.nan  # 100 distinct labeled values
    sel = propose_regression(X, y, strategy=name, batch_size=5, random_state=0,
                             model="ridge")
    assert np.isnan(y[sel.idx]).all() and np.unique(sel.idx).size == 5


@pytest.mark.parametrize("name", sorted(MODEL_FREE))
def test_model_free_strategies_need_no_labels(name):
    X, _, _ = make_regression_pool(n=30)
    idx = query_regression(X, np.full(30, np.nan), strategy=name, batch_size=4, random_state=1)
    assert np.unique(idx).size == 4


def test_variance_scores_shrink_where_labels_are_dense():
    """Sanity of the committee: far from every label, the members disagree more."""
    rng = np.random.default_rng(0)
    X = np.r_[rng.normal(size=(30, 1)), [[8.0]]]
    y = np.full(31, np.nan)
    y[:20] = 2 * X[:20, 0] + rng.normal(size=20)
    sel = propose_regression(X, y, strategy="variance", batch_size=1, random_state=0)
    assert sel.idx[0] == 30


@pytest.mark.parametrize("name", sorted(set(ALL) - {"coreset", "kmeans", "random", "typiclust"}))
def test_conformance_checks_that_need_no_classifier(name):
    """The kit's model-independent checks (its pools are classification pools)."""
    from activelab.testing import (
        check_clone,
        check_init_stores_params,
        check_metadata,
        check_param_validation,
    )

    strategy = make_regression_strategy(name)
    for check in (check_metadata, check_init_stores_params, check_clone, check_param_validation):
        check(strategy)
