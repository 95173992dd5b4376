"""Every registered multi-label strategy: the batch contract, determinism, the registry."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from activelab import UNLABELED
from activelab._errors import InvalidInputError, UnknownNameError
from activelab.multilabel import (
    make_multilabel_model,
    make_multilabel_strategy,
    multilabel_model_names,
    multilabel_strategy_names,
    query_multilabel,
)

from ._pool import make_ml_pool

NAMES = multilabel_strategy_names()


def test_registry_lists_the_issue_strategies():
    assert {"random", "mean_uncertainty", "max_uncertainty", "mmc", "adaptive", "cvirs",
            "coreset", "typiclust", "kmeans"} <= set(NAMES)


def test_unknown_strategy_suggests_close_names():
    with pytest.raises(UnknownNameError, match="'mmc'") as err:
        make_multilabel_strategy("mcm")
    assert "mmc" in err.value.close_matches


def test_unknown_parameter_names_what_it_takes():
    with pytest.raises(InvalidInputError, match="does not take parameters"):
        make_multilabel_strategy("mmc", gamma=1)


def test_unknown_model_name():
    with pytest.raises(UnknownNameError, match="multi-label model"):
        make_multilabel_model("logregg")


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=2, deadline=None)
@given(seed=st.integers(0, 2**16), batch=st.integers(1, 8))
def test_batch_contract_and_determinism(name, seed, batch):
    X, Y, _ = make_ml_pool(n=40, n_features=4, n_labels=3, n_labeled=10, seed=seed % 7)
    idx = query_multilabel(X, Y, strategy=name, batch_size=batch, random_state=seed)
    assert idx.shape == (batch,)
    assert np.unique(idx).size == batch
    assert (Y[idx] == UNLABELED).all()
    again = query_multilabel(X, Y, strategy=name, batch_size=batch, random_state=seed)
    np.testing.assert_array_equal(idx, again)


@pytest.mark.parametrize("model", multilabel_model_names())
@pytest.mark.parametrize("name", ["max_uncertainty", "mmc", "adaptive", "cvirs"])
def test_every_model_serves_the_model_strategies(model, name):
    X, Y, _ = make_ml_pool(n=40, n_features=4, n_labels=3, n_labeled=12, seed=3)
    idx = query_multilabel(X, Y, strategy=name, model=model, batch_size=4, random_state=0)
    assert (Y[idx] == UNLABELED).all() and np.unique(idx).size == 4


@pytest.mark.parametrize("model", multilabel_model_names())
def test_constant_label_is_predicted_without_crash(model):
    X, _, Y_true = make_ml_pool(n=40, n_features=4, n_labels=3, seed=1)
    Y_true = Y_true.copy()
    Y_true[:, 1] = 0  # never present among the labeled rows
    Y_true[:, 2] = 1  # always present
    Y_true[:10, 0] = [0, 1] * 5
    est = make_multilabel_model(model).fit(X[:10], Y_true[:10])
    proba = est.predict_proba(X)
    assert proba.shape == (40, 3)
    np.testing.assert_array_equal(proba[:, 1], 0.0)
    np.testing.assert_array_equal(proba[:, 2], 1.0)
    assert ((proba[:, 0] >= 0) & (proba[:, 0] <= 1)).all()


def test_exploration_reuses_main_registry_unchanged():
    X, Y, _ = make_ml_pool(n=40, n_features=4, n_labels=3, n_labeled=10, seed=0)
    # core-set's first pick is the candidate farthest from the labeled rows
    idx = query_multilabel(X, Y, strategy="coreset", batch_size=1, random_state=0)
    from activelab._features import standardized

    Z = standardized(X)
    lab, cand = np.flatnonzero(Y[:, 0] >= 0), np.flatnonzero(Y[:, 0] < 0)
    dist = np.linalg.norm(Z[cand][:, None] - Z[lab][None], axis=2).min(axis=1)
    assert idx[0] == cand[np.argmax(dist)]


def test_top_k_ties_broken_by_rng():
    X, _, Y_true = make_ml_pool(n=30, n_features=3, n_labels=2, seed=0)
    Y = np.full(Y_true.shape, UNLABELED)
    Y[:6] = [[0, 1], [1, 0]] * 3
    X = np.zeros_like(X)  # every candidate gets the same probabilities: all tied
    X[:6, 0] = [0, 1] * 3
    picks = {tuple(query_multilabel(X, Y, strategy="max_uncertainty", batch_size=3,
                                    random_state=s)) for s in range(6)}
    assert len(picks) > 1
