"""Shared parameter validation: one declarative table per strategy, one clear error."""

from __future__ import annotations

import numpy as np
import pytest

import activelab
from activelab.strategies import strategy_class, strategy_names
from activelab.strategies.params import Interval, Options, Predicate, validate_params

from ..conftest import make_pool


@pytest.mark.parametrize("constraint, good, bad", [
    (Interval("int", 1), [1, 7, np.int64(3)], [0, -1, 2.5, True, "3", None, float("nan")]),
    (Interval("real", 0, closed="neither"), [1e-9, 3, 2.5], [0, -1.0, float("inf"), False]),
    (Interval("real", 0, 1, closed="right"), [1, 0.5], [0, 1.0001, float("nan")]),
    (Options(["auto"]), ["auto"], ["Auto", 1, None]),
    (Predicate(lambda v: len(v) == 2, "a pair"), [(1, 2), "ab"], [(1,), 5]),
])
def test_constraints_accept_and_reject(constraint, good, bad):
    assert all(constraint.accepts(v) for v in good)
    assert not any(constraint.accepts(v) for v in bad)


def test_message_names_the_parameter_and_puts_the_value_kind_first():
    table = {"radius": [Interval("real", 0, closed="neither"), Options(["auto"])]}
    with pytest.raises(activelab.InvalidInputError, match=r"s: radius must be a positive finite number or 'auto'; got -1"):
        validate_params("s", {"radius": -1}, table)
    with pytest.raises(activelab.InvalidInputError, match=r"radius must be 'auto' or a positive"):
        validate_params("s", {"radius": "big"}, table)
    with pytest.raises(activelab.UnknownNameError, match="Did you mean 'cosine'"):
        validate_params("s", {"sim": "cosin"}, {"sim": [Options(["cosine", "rbf"], "similarity")]})
    validate_params("s", {"radius": "auto"}, table)  # no error


@pytest.mark.parametrize("name", strategy_names())
def test_every_declared_parameter_exists_and_defaults_are_valid(name):
    cls = strategy_class(name)
    strat = cls()
    params = strat.get_params(deep=False)
    assert set(cls._parameter_constraints) <= set(params), "constraint on an unknown parameter"
    strat._validate_params()  # the defaults meet the constraints


BAD = [
    ("qbc_vote", {"n_members": 1}), ("qbc_kl", {"n_members": 2.0}), ("bald", {"n_members": True}),
    ("variation_ratios", {"estimators": ["only one"]}), ("eer", {"n_eval": 0}),
    ("cluster_margin", {"m": float("inf")}), ("kmeans", {"n_init": 0}),
    ("typiclust", {"max_cluster_rows": 1}), ("density_weighted", {"gamma": -1.0}),
    ("probcover", {"alpha": 0}), ("ucb", {"exploration": -0.1}), ("thompson", {"prior": (1, 0)}),
    ("thompson", {"discount": 1.5}), ("albl", {"budget": 0}), ("albl", {"delta": 0}),
    ("albl", {"p_min": 0.9}),
]


@pytest.mark.parametrize("name, params", BAD, ids=[f"{n}-{next(iter(p))}" for n, p in BAD])
def test_bad_parameters_are_clear_input_errors(name, params):
    X, y, _ = make_pool(n=60, n_labeled=12)
    with pytest.raises(activelab.InvalidInputError, match=next(iter(params))):
        activelab.query(X, y, strategy=name, batch_size=3, random_state=0, **params)
