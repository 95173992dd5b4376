"""activelab.query / propose: inputs it accepts, models it handles, labels it understands."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB

import activelab
from activelab import UNLABELED
from activelab.models import SklearnModel
from activelab.strategies import top_k

from .conftest import make_pool


def test_returns_unlabeled_distinct(pool):
    X, y, _ = pool
    idx = activelab.query(X, y, strategy="margin", batch_size=7, random_state=0)
    assert idx.dtype.kind == "i" and idx.shape == (7,)
    assert (y[idx] == UNLABELED).all() and np.unique(idx).size == 7


def test_margin_picks_the_top_scores(pool):
    X, y, _ = pool
    sel = activelab.propose(X, y, strategy="margin", batch_size=5, random_state=0)
    best = np.sort(sel.scores)[::-1][:5]
    np.testing.assert_allclose(np.sort(sel.chosen_scores())[::-1], best)
    assert np.all(np.diff(sel.chosen_scores()) <= 0), "most informative first"


def test_unfitted_model_is_not_mutated(pool):
    X, y, _ = pool
    model = LogisticRegression(max_iter=200)
    before = model.get_params()
    activelab.query(X, y, model=model, batch_size=3, random_state=0)
    assert not hasattr(model, "coef_") and model.get_params() == before


def test_fitted_model_used_as_is(pool):
    X, y, y_true = pool
    model = LogisticRegression(max_iter=200).fit(X, y_true)  # the user fitted it on more data
    coef = model.coef_.copy()
    sel = activelab.propose(X, y, model=model, strategy="entropy", batch_size=4, random_state=0)
    np.testing.assert_array_equal(model.coef_, coef)
    cand = np.flatnonzero(y == UNLABELED)
    p = model.predict_proba(X[cand])
    expected = -(p * np.log(np.clip(p, 1e-300, 1))).sum(1)
    np.testing.assert_allclose(sel.scores, expected, rtol=1e-6, atol=1e-12)


def test_dataframe_and_sparse_inputs(pool):
    pd = pytest.importorskip("pandas")
    X, y, _ = pool
    dense = activelab.query(X, y, model=LogisticRegression(max_iter=300), batch_size=5, random_state=3)
    frame = activelab.query(pd.DataFrame(X, columns=[f"f{i}" for i in range(X.shape[1])]), y,
                            model=LogisticRegression(max_iter=300), batch_size=5, random_state=3)
    sparse = activelab.query(sp.csr_matrix(X), y, model=LogisticRegression(max_iter=300),
                             batch_size=5, random_state=3)
    np.testing.assert_array_equal(dense, frame)
    np.testing.assert_array_equal(dense, sparse)


def test_probabilities_aligned_to_full_label_set():
    """Classes not labeled yet get probability 0 in their own column, not a shifted one."""
    X, y, y_true = make_pool(n=80, n_classes=4, n_labeled=12)
    y = y.copy()
    y[y == 1] = UNLABELED  # class 1 has no label yet
    lab = np.flatnonzero(y != UNLABELED)
    adapter = SklearnModel(GaussianNB()).fit(X, y, lab, np.array([0, 1, 2, 3]))
    p = adapter.predict_proba(X[:5])
    assert p.shape == (5, 4)
    np.testing.assert_array_equal(p[:, 1], 0.0)
    raw = adapter.estimator.predict_proba(X[:5])
    np.testing.assert_allclose(p[:, [0, 2, 3]], raw)
    sel = activelab.propose(X, y, strategy="least_confidence", classes=[0, 1, 2, 3], batch_size=3,
                            random_state=0)
    assert sel.idx.shape == (3,)


@pytest.mark.parametrize("kind", ["int", "float_nan", "object_none", "str_object"])
def test_label_conventions(kind):
    X, y_int, _ = make_pool(n=60, n_labeled=9)
    if kind == "int":
        y = y_int
    elif kind == "float_nan":
        y = np.where(y_int == UNLABELED, np.nan, y_int.astype(float))
    elif kind == "object_none":
        y = np.array([None if v == UNLABELED else int(v) for v in y_int], dtype=object)
    else:
        y = np.array([None if v == UNLABELED else f"class{v}" for v in y_int], dtype=object)
    idx = activelab.query(X, y, strategy="margin", batch_size=4, random_state=0)
    assert not activelab.labeled_mask(y)[idx].any()
    assert int(activelab.labeled_mask(y).sum()) == 9


def test_strategy_object_and_params(pool):
    X, y, _ = pool
    strat = activelab.make_strategy("qbc_vote", n_members=3)
    a = activelab.query(X, y, strategy=strat, batch_size=4, random_state=5)
    b = activelab.query(X, y, strategy="qbc_vote", n_members=3, batch_size=4, random_state=5)
    np.testing.assert_array_equal(a, b)
    assert strat.get_params() == {"n_members": 3, "estimators": None, "mc_samples": 20}
    assert clone(strat).n_members == 3


def test_random_needs_no_labels():
    X, _, _ = make_pool(n=30)
    y = np.full(30, UNLABELED)
    idx = activelab.query(X, y, strategy="random", batch_size=30, random_state=0)
    assert sorted(idx) == list(range(30))


def test_top_k_ties_broken_by_rng_only():
    scores = np.array([0.1, 0.9, 0.5, 0.5, 0.5, 0.9, 0.0])
    picks = {tuple(top_k(scores, 3, np.random.default_rng(s))) for s in range(40)}
    for p in picks:
        assert set(p[:2]) == {1, 5} and p[2] in {2, 3, 4}
    assert len({p[2] for p in picks}) == 3, "every tied row can be chosen"
    assert top_k(scores, 3, np.random.default_rng(7)).tolist() == top_k(scores, 3, np.random.default_rng(7)).tolist()
    with pytest.raises(activelab.InvalidInputError, match="NaN"):
        top_k(np.array([0.1, np.nan]), 1, np.random.default_rng(0))


def test_public_api_is_exactly_all():
    import types

    # subpackages (strategies, models, loop, torch, ...) appear once imported; they are not names
    public = {n for n in dir(activelab)
              if not n.startswith("_") and not isinstance(getattr(activelab, n), types.ModuleType)}
    assert public <= set(activelab.__all__) | {"annotations"}
    for name in activelab.__all__:
        assert hasattr(activelab, name)


def test_model_adapter_protocol_plugs_in(pool):
    """Any object with classes/predict_proba/embed/last_layer_input is used as a fitted model,
    so a PyTorch adapter needs no change to strategies."""
    X, y, y_true = pool

    class TableAdapter:  # a stand-in for a framework model: fixed probabilities and embedding
        classes = np.array([0, 1, 2])

        def predict_proba(self, Xs):
            z = np.asarray(Xs)[:, :3]
            e = np.exp(z - z.max(1, keepdims=True))
            return e / e.sum(1, keepdims=True)

        def embed(self, Xs):
            return np.asarray(Xs, dtype=np.float32)[:, :2]

        def last_layer_input(self, Xs):
            return np.asarray(Xs, dtype=np.float32)

    adapter = TableAdapter()
    sel = activelab.propose(X, y, model=adapter, strategy="margin", batch_size=4, random_state=0)
    cand = np.flatnonzero(y == UNLABELED)
    from activelab.strategies.uncertainty import margin_scores

    np.testing.assert_allclose(sel.scores, margin_scores(adapter.predict_proba(X[cand])))
    for name in ("badge", "coreset", "density_weighted"):
        idx = activelab.query(X, y, model=adapter, strategy=name, batch_size=4, random_state=0)
        assert idx.shape == (4,) and (y[idx] == UNLABELED).all()


@settings(max_examples=80, deadline=None)
@given(scores=arrays(np.float64, st.integers(1, 60),
                     elements=st.sampled_from([0.0, 0.5, 1.0]) | st.floats(-5, 5)),
       data=st.data())
def test_top_k_matches_a_sort_and_catches_nan_anywhere(scores, data):
    """top_k against a full sort: the same multiset of values, highest first; a NaN at any
    position is an error, whatever k is."""
    n = scores.shape[0]
    k = data.draw(st.integers(1, n))
    pos = top_k(scores, k, np.random.default_rng(0))
    assert len(set(pos.tolist())) == k
    np.testing.assert_array_equal(scores[pos], np.sort(scores)[::-1][:k])
    bad = scores.copy()
    bad[data.draw(st.integers(0, n - 1))] = np.nan
    with pytest.raises(activelab.InvalidInputError, match="NaN"):
        top_k(bad, k, np.random.default_rng(0))
