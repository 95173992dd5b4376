"""Margin's streamed path for linear models (models.linear_form + strategies._linear_top_k):
the closed form matches the model within its stated bound, and queries pick exactly what the
model's own predict_proba would pick (order and random tie-breaking included)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression, LogisticRegressionCV, SGDClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, StandardScaler

import activelab
from activelab.models.linear_form import linear_form
from activelab.strategies import _linear_top_k


def _data(n, d, n_classes, seed, dtype=np.float32):
    rng = np.random.default_rng(seed)
    X = (rng.standard_normal((n, d)) * rng.uniform(0.5, 3, d) + rng.uniform(-2, 2, d)).astype(dtype)
    w = rng.standard_normal((d, n_classes))
    truth = (X @ w + rng.gumbel(size=(n, n_classes))).argmax(1)
    return X, truth


PIPELINES = {
    "lr": lambda: LogisticRegression(max_iter=500),
    "standard": lambda: make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)),
    "standard_no_mean": lambda: make_pipeline(StandardScaler(with_mean=False),
                                              LogisticRegression(max_iter=500)),
    "minmax": lambda: make_pipeline(MinMaxScaler(), LogisticRegression(max_iter=500)),
    "maxabs_chain": lambda: make_pipeline(MaxAbsScaler(), "passthrough", StandardScaler(),
                                          LogisticRegression(max_iter=500)),
    "lr_cv": lambda: make_pipeline(StandardScaler(), LogisticRegressionCV(Cs=2, cv=2, max_iter=200)),
}


def _exact_query(monkeypatch, *args, **kwargs):
    """The same query with the fast path switched off."""
    with monkeypatch.context() as m:
        m.setattr(_linear_top_k, "linear_top_k", lambda *a, **k: None)
        return activelab.query(*args, **kwargs)


#: The model's own float32 probabilities of a row change in the last bits with the batch it is
#: predicted in (BLAS kernels differ by batch shape), so two paths that predict in different
#: batches agree on the picks up to rows whose margins differ by that much.
NOISE = 1e-6


def assert_same_picks(fast, exact, X, y, model, strategy="margin"):
    """`fast` picks what `exact` picks, in the same order, except where rows' scores (from the
    model's own probabilities, one call) are within float noise of each other."""
    scores_of = _linear_top_k.KINDS[strategy][1]
    assert len(set(fast.tolist())) == len(fast) == len(exact)
    assert (y[fast] == -1).all()
    score = np.full(len(y), -np.inf)
    cand = np.flatnonzero(y == -1)
    score[cand] = scores_of(model.predict_proba(X[cand]))
    if np.array_equal(fast, exact):
        return
    # both orders descend within noise, and every row left out scores below every pick
    assert (np.diff(score[fast]) <= NOISE).all() and (np.diff(score[exact]) <= NOISE).all()
    rest = np.setdiff1d(cand, fast)
    assert score[rest].max(initial=-np.inf) <= score[fast].min() + NOISE
    differ = np.flatnonzero(fast != exact)
    assert (np.abs(score[fast[differ]] - score[exact[differ]]) <= NOISE).all()


@pytest.mark.parametrize("name", sorted(PIPELINES))
@pytest.mark.parametrize("n_classes", [2, 5])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_logits_within_bound_of_the_models_own(name, n_classes, dtype):
    X, truth = _data(1500, 12, n_classes, seed=n_classes, dtype=dtype)
    model = PIPELINES[name]().fit(X[:300], truth[:300])
    form = linear_form(model)
    assert form is not None
    logits = form.logits(X).astype(np.float64)
    own = model.decision_function(X).astype(np.float64)
    if n_classes == 2:  # scikit-learn's binary decision is logit(1) − logit(0)
        own = np.column_stack([np.zeros_like(own), own])
    bound = form.logit_error(np.linalg.norm(X.astype(np.float64), axis=1))[:, None]
    assert (np.abs(logits - own) <= bound).all()
    # and the bound is not vacuous: a few hundred ulps of the logits, not their size
    assert bound.max() < 1e-3 * max(1.0, np.abs(own).max())
    proba = np.exp(logits - logits.max(1, keepdims=True))
    np.testing.assert_allclose(proba / proba.sum(1, keepdims=True), model.predict_proba(X),
                               atol=1e-4)


@pytest.mark.parametrize("model", [
    SGDClassifier(loss="log_loss", random_state=0),  # a linear model, but not one we fold
    make_pipeline(PCA(3), LogisticRegression()),  # a step that is not a column-wise scaler
    make_pipeline(MinMaxScaler(clip=True), LogisticRegression()),  # clipping is not affine
    type("MyLR", (LogisticRegression,), {})(),  # a subclass may redefine predict_proba
], ids=["sgd", "pca", "minmax_clip", "subclass"])
def test_models_it_does_not_fold(model):
    X, truth = _data(300, 6, 3, seed=1)
    assert linear_form(model.fit(X, truth)) is None
    assert linear_form(LogisticRegression()) is None  # unfitted


def test_one_vs_rest_probabilities_of_older_scikit_learn_are_not_folded():
    X, truth = _data(300, 6, 3, seed=1)
    model = LogisticRegression().fit(X, truth)
    assert linear_form(model) is not None
    model.multi_class = "ovr"  # what scikit-learn < 1.8 stores for a one-vs-rest fit
    assert linear_form(model) is None


def _pool(n, n_classes, seed, n_labeled=60, duplicates=0):
    X, truth = _data(n, 8, n_classes, seed)
    if duplicates:  # repeated rows score exactly alike: ties the random draw must break alike
        X[-duplicates:] = X[:duplicates]
    y = np.full(n, -1)
    rng = np.random.default_rng(seed)
    lab = rng.choice(n, n_labeled, replace=False)
    y[lab] = truth[lab]
    return X, y


def _spy_fast_path(monkeypatch) -> list[bool]:
    """A list that records, for each query, whether the fast path answered it."""
    answered = []
    real = _linear_top_k.linear_top_k

    def spy(*a, **k):
        out = real(*a, **k)
        answered.append(out is not None)
        return out

    monkeypatch.setattr(_linear_top_k, "linear_top_k", spy)
    return answered


@pytest.mark.parametrize("strategy", sorted(_linear_top_k.KINDS))
@pytest.mark.parametrize(("n_classes", "seed"), [(2, 0), (4, 1)])
def test_same_picks_as_the_exact_path_on_a_large_pool(monkeypatch, strategy, n_classes, seed):
    X, y = _pool(_linear_top_k.MIN_ROWS + 5000, n_classes, seed, duplicates=3000)
    answered = _spy_fast_path(monkeypatch)
    model = make_pipeline(StandardScaler(), LogisticRegression(max_iter=300)).fit(
        X[y >= 0], y[y >= 0])
    for batch in (1, 37, 500):
        fast = activelab.query(X, y, strategy=strategy, model=model, batch_size=batch,
                               random_state=seed)
        exact = _exact_query(monkeypatch, X, y, strategy=strategy, model=model,
                             batch_size=batch, random_state=seed)
        assert_same_picks(fast, exact, X, y, model, strategy)
    assert answered == [True] * 3  # the fast path answered every query itself


def test_a_label_set_wider_than_the_model_and_an_unfitted_model(monkeypatch):
    X, y = _pool(_linear_top_k.MIN_ROWS + 100, 3, seed=4)
    answered = _spy_fast_path(monkeypatch)
    kwargs = {"strategy": "margin", "batch_size": 20, "random_state": 3, "classes": [0, 1, 2, 9]}
    fitted = make_pipeline(StandardScaler(), LogisticRegression()).fit(X[y >= 0], y[y >= 0])
    for model in (fitted, make_pipeline(StandardScaler(), LogisticRegression())):
        fast = activelab.query(X, y, model=model, **kwargs)
        exact = _exact_query(monkeypatch, X, y, model=model, **kwargs)
        fitted_now = model if model is fitted else clone(model).fit(X[y >= 0], y[y >= 0])
        assert_same_picks(fast, exact, X, y, fitted_now)
    assert answered == [True, True]


def test_a_failed_bound_check_falls_back_to_the_exact_path(monkeypatch):
    X, y = _pool(_linear_top_k.MIN_ROWS + 100, 4, seed=5)
    model = make_pipeline(StandardScaler(), LogisticRegression()).fit(X[y >= 0], y[y >= 0])
    exact = _exact_query(monkeypatch, X, y, strategy="margin", model=model, batch_size=50,
                         random_state=0)
    # a closed form that is off by far more than its bound (as a bug would be): the check of
    # the recomputed rows must catch it and hand the query to the exact path
    from activelab.models.linear_form import LinearForm

    real_logits = LinearForm.logits
    monkeypatch.setattr(LinearForm, "logits", lambda self, block: real_logits(self, block)
                        + np.float32(0.05) * np.sin(block[:, :1] * 1e3)
                        * np.arange(self.W.shape[1], dtype=np.float32))
    seen = []
    real = _linear_top_k._refined_top_k

    def spy(*a, **k):
        try:
            return real(*a, **k)
        except _linear_top_k._BoundExceeded:
            seen.append("fallback")
            raise

    monkeypatch.setattr(_linear_top_k, "_refined_top_k", spy)
    got = activelab.query(X, y, strategy="margin", model=model, batch_size=50, random_state=0)
    assert seen == ["fallback"]
    np.testing.assert_array_equal(got, exact)  # the fallback is the exact path itself


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(n=st.integers(60, 400), n_classes=st.integers(2, 6), seed=st.integers(0, 2**16),
       batch=st.integers(1, 50), dup=st.integers(0, 40), name=st.sampled_from(sorted(PIPELINES)),
       dtype=st.sampled_from([np.float32, np.float64]),
       strategy=st.sampled_from(sorted(_linear_top_k.KINDS)), dense=st.sampled_from([0.0, 2.0]))
def test_same_picks_on_small_pools(monkeypatch, n, n_classes, seed, batch, dup, name, dtype,
                                   strategy, dense):
    """With the size threshold lowered, any pool: same picks and order as the exact path."""
    X, y = _pool(n, n_classes, seed, n_labeled=min(n // 2, 30 + n_classes), duplicates=min(dup, n // 3))
    X = X.astype(dtype)
    if len(np.unique(y[y >= 0])) < 2:
        return
    model = clone(PIPELINES[name]()).fit(X[y >= 0], y[y >= 0])
    batch = min(batch, int((y < 0).sum()) - 1)
    if batch < 1:
        return
    with monkeypatch.context() as m:  # undone after each example
        m.setattr(_linear_top_k, "MIN_ROWS", 1)
        m.setattr(_linear_top_k, "DENSE_FRACTION", dense)  # 0: score whole slices; 2: gather
        answered = _spy_fast_path(m)
        fast = activelab.query(X, y, strategy=strategy, model=model, batch_size=batch,
                               random_state=seed)
        exact = _exact_query(m, X, y, strategy=strategy, model=model, batch_size=batch,
                             random_state=seed)
    assert_same_picks(fast, exact, X, y, model, strategy)
    assert answered == [True]


@settings(max_examples=200, deadline=None)
@given(n=st.integers(2, 300), k=st.integers(1, 40), seed=st.integers(0, 2**32 - 1),
       levels=st.integers(1, 20), err_scale=st.sampled_from([0.0, 1e-6, 1e-2, 0.5]),
       one_bound=st.booleans())
def test_rowwise_refinement_is_top_k_of_the_exact_scores(n, k, seed, levels, err_scale,
                                                         one_bound):
    """Brute-force reference: with approximate scores within a bound of the exact ones (per row,
    or one for all; few distinct exact values, so ties at the cut are common), the refinement
    returns exactly `top_k` of the exact scores, with the same random tie-breaking."""
    from activelab.strategies._base import top_k
    from activelab.strategies.uncertainty import _refined_top_k

    k = min(k, n - 1)
    if k < 1:
        return
    rng = np.random.default_rng(seed)
    exact = rng.integers(0, levels, n) / levels
    err = rng.uniform(0, err_scale, n)
    approx = exact + rng.uniform(-1, 1, n) * err
    if one_bound:  # the float32 table paths pass one bound for every row
        err = float(err.max(initial=0.0))
    seen = []

    def exact_at(near):
        seen.append(near)
        return exact[near]

    got, scores = _refined_top_k(approx.copy(), err, exact_at, k, np.random.default_rng(seed + 1))
    want = top_k(exact, k, np.random.default_rng(seed + 1))
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(scores[seen[0]], exact[seen[0]])
