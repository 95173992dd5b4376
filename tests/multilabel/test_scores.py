"""Every multi-label score against a brute-force reference written from the papers' formulas."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.linear_model import LogisticRegression

from activelab.multilabel import (
    BinaryRelevance,
    MultilabelContext,
    make_multilabel_strategy,
)
from activelab.multilabel import scores as S

from ._pool import make_ml_pool

probas = arrays(np.float64, st.tuples(st.integers(1, 7), st.integers(1, 5)),
                elements=st.floats(0, 1))


# -- references -----------------------------------------------------------------------------------

def ref_uncertainty(p):
    return [[1 - abs(p[i][j] - (1 - p[i][j])) for j in range(len(p[i]))] for i in range(len(p))]


def ref_mmc(proba_lab, Y_lab, proba, f):
    """Yang et al. 2009 step by step: sorted normalized probabilities → LR → label count k →
    ŷ = +1 on the k most probable labels → Σ (1 − ŷ f)/2."""
    def feats(rows):
        out = []
        for r in rows:
            s = sorted(r, reverse=True)
            tot = sum(s)
            out.append([v / tot for v in s] if tot > 0 else [1 / len(s)] * len(s))
        return np.array(out)
    counts = [int(sum(r)) for r in Y_lab]
    if len(set(counts)) == 1:
        k = [counts[0]] * len(proba)
    else:
        k = LogisticRegression(max_iter=1000).fit(feats(proba_lab), counts).predict(feats(proba))
    scores = []
    for i, row in enumerate(proba):
        order = sorted(range(len(row)), key=lambda j: (-row[j], j))
        yhat = [1 if j in order[:k[i]] else -1 for j in range(len(row))]
        scores.append(sum((1 - yhat[j] * f[i][j]) / 2 for j in range(len(row))))
    return np.array(scores)


def ref_separation(drow):
    pos = [v for v in drow if v > 0]
    neg = [v for v in drow if v <= 0]
    return (min(pos) if pos else 0.0) - (max(neg) if neg else 0.0)


def ref_approx_error(D):
    total = 0.0
    for row in D:
        pos = [1 - v for v in row if v >= 0]
        neg = [1 + v for v in row if v <= 0]
        total += max(0.0, max(pos, default=0.0)) + max(0.0, max(neg, default=0.0))
    return total


def ref_entropy(counts):
    n = sum(counts)
    return -sum(c / n * math.log2(c / n) for c in counts if c > 0)


def ref_distance(u, v):
    """Reyes et al. 2018: 1 for complementary vectors, else (2H(U,V) − H(U) − H(V)) / H(U,V),
    the entropies of the empirical distributions over the label positions."""
    L = len(u)
    if all(a != b for a, b in zip(u, v)):
        return 1.0
    pairs = [(a, b) for a, b in zip(u, v)]
    joint = ref_entropy([pairs.count(c) for c in [(0, 0), (0, 1), (1, 0), (1, 1)]])
    hu = ref_entropy([list(u).count(0), list(u).count(1)])
    hv = ref_entropy([list(v).count(0), list(v).count(1)])
    assert L == len(v)
    return 0.0 if joint == 0 else (2 * joint - hu - hv) / joint


def ref_borda(proba):
    n, L = len(proba), len(proba[0])
    if n == 1:
        return np.ones(1)
    out = []
    for i in range(n):
        total = 0.0
        for j in range(L):
            m = [abs(2 * proba[r][j] - 1) for r in range(n)]
            less = sum(1 for r in range(n) if m[r] < m[i])
            equal = sum(1 for r in range(n) if m[r] == m[i])
            rank = less + (equal + 1) / 2  # average rank, 1 = smallest margin
            total += n - rank
        out.append(total / (L * (n - 1)))
    return np.array(out)


# -- uncertainty ----------------------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(probas)
def test_mean_and_max_uncertainty_match_reference(p):
    ref = np.array(ref_uncertainty(p.tolist()))
    np.testing.assert_allclose(S.mean_uncertainty_scores(p), ref.mean(axis=1), atol=1e-12)
    np.testing.assert_allclose(S.max_uncertainty_scores(p), ref.max(axis=1), atol=1e-12)


def test_uncertainty_extremes():
    p = np.array([[0.5, 0.0, 1.0], [1.0, 0.0, 0.0]])
    np.testing.assert_allclose(S.mean_uncertainty_scores(p), [1 / 3, 0.0])
    np.testing.assert_allclose(S.max_uncertainty_scores(p), [1.0, 0.0])


# -- MMC ------------------------------------------------------------------------------------------

def _ctx(seed=0, **kw):
    X, Y, _ = make_ml_pool(n=40, n_features=4, n_labels=4, n_labeled=12, seed=seed)
    lab = np.flatnonzero(Y[:, 0] >= 0)
    model = BinaryRelevance().fit(X[lab], Y[lab])
    return MultilabelContext(X=X, Y=Y, model=model, factory=BinaryRelevance(), random_state=0, **kw)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("outputs", ["proba", "decision"])
def test_mmc_matches_reference(seed, outputs):
    ctx = _ctx(seed)
    proba = ctx.proba()
    f = 2 * proba - 1 if outputs == "proba" else ctx.decision()
    ref = ref_mmc(ctx.proba_rows(ctx.labeled_idx).tolist(), ctx.Y_labeled.tolist(),
                  proba.tolist(), f.tolist())
    np.testing.assert_allclose(make_multilabel_strategy("mmc", outputs=outputs).scores(ctx), ref,
                               atol=1e-10)


def test_mmc_cardinality_model_predicts_label_counts():
    # two well separated groups: one label (flat sorted profile) vs three labels
    P = np.array([[0.9, 0.1, 0.1], [0.95, 0.05, 0.1], [0.9, 0.9, 0.8], [0.85, 0.9, 0.95]])
    Y = np.array([[1, 0, 0], [1, 0, 0], [1, 1, 1], [1, 1, 1]])
    cm = S.CardinalityModel(C=100.0).fit(P, Y)
    assert cm.predict(np.array([[0.99, 0.02, 0.01], [0.9, 0.88, 0.91]])).tolist() == [1, 3]
    const = S.CardinalityModel().fit(P[:2], Y[:2])
    assert const.predict(P).tolist() == [1, 1, 1, 1]


def test_sorted_normalized_zero_row_is_uniform():
    out = S.sorted_normalized(np.array([[0.0, 0.0], [0.2, 0.6]]))
    np.testing.assert_allclose(out, [[0.5, 0.5], [0.75, 0.25]])


# -- Adaptive -------------------------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 5)),
              elements=st.floats(-3, 3)))
def test_separation_margin_and_error_match_reference(D):
    np.testing.assert_allclose(S.separation_margin(D), [ref_separation(r) for r in D.tolist()])
    assert S.approximate_error(D) == pytest.approx(ref_approx_error(D.tolist()))


def test_adaptive_scores_match_reference():
    ctx = _ctx(1)
    D = ctx.decision()
    mean_card = ctx.Y_labeled.sum(axis=1).mean()
    for beta in (0.0, 0.3, 1.0):
        ref = [(1 / ref_separation(r)) ** beta * abs(sum(v > 0 for v in r) - mean_card) ** (1 - beta)
               for r in D.tolist()]
        np.testing.assert_allclose(
            make_multilabel_strategy("adaptive", beta=beta).select(
                ctx, 3, np.random.default_rng(0)).scores, ref, rtol=1e-10)


def test_adaptive_chooses_beta_with_lowest_lookahead_error():
    ctx = _ctx(2)
    betas = (0.3, 0.6, 1.0)
    strat = make_multilabel_strategy("adaptive", betas=betas)
    sel = strat.select(ctx, 2, np.random.default_rng(0))
    D = ctx.decision()
    pred = (D > 0).astype(int)
    u = [1 / ref_separation(r) for r in D.tolist()]
    c = [abs(sum(r) - ctx.Y_labeled.sum(axis=1).mean()) for r in pred.tolist()]
    errors = {}
    for beta in betas:
        s = [ui ** beta * ci ** (1 - beta) for ui, ci in zip(u, c)]
        best = int(np.argmax(s))
        X_aug = np.vstack([ctx.X[ctx.labeled_idx], ctx.X[ctx.candidate_idx[best]]])
        Y_aug = np.vstack([ctx.Y_labeled, pred[best]])
        model = BinaryRelevance().fit(X_aug, Y_aug)
        errors[beta] = ref_approx_error(model.decision_function(ctx.X[ctx.candidate_idx]).tolist())
    assert errors[sel.info["beta"]] == pytest.approx(min(errors.values()))
    assert sel.info["approx_error"] == pytest.approx(min(errors.values()))


# -- CVIRS ----------------------------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(probas)
def test_borda_matches_reference(p):
    np.testing.assert_allclose(S.borda_uncertainty(p), ref_borda(p.tolist()), atol=1e-12)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 6).flatmap(lambda L: st.tuples(
    arrays(np.int64, st.tuples(st.integers(1, 5), st.just(L)), elements=st.integers(0, 1)),
    arrays(np.int64, st.tuples(st.integers(1, 5), st.just(L)), elements=st.integers(0, 1)))))
def test_vector_inconsistency_matches_reference(pair):
    P, Yl = pair
    ref = [np.mean([ref_distance(u, v) for v in Yl.tolist()]) for u in P.tolist()]
    np.testing.assert_allclose(S.vector_inconsistency(P, Yl, block=2), ref, atol=1e-12)


def test_vector_distance_cases():
    one = lambda u, v: S.vector_inconsistency(np.array([u]), np.array([v]))[0]
    assert one([1, 0, 1], [0, 1, 0]) == 1.0  # complementary
    assert one([1, 0, 1], [1, 0, 1]) == 0.0  # identical
    assert one([0, 0, 0], [0, 0, 0]) == 0.0
    assert 0 < one([1, 1, 0, 0], [1, 0, 0, 0]) < 1


def test_cvirs_is_product_of_parts():
    ctx = _ctx(0)
    p = ctx.proba()
    ref = ref_borda(p.tolist()) * np.array(
        [np.mean([ref_distance(u, v) for v in ctx.Y_labeled.tolist()])
         for u in (p > 0.5).astype(int).tolist()])
    np.testing.assert_allclose(make_multilabel_strategy("cvirs").scores(ctx), ref, atol=1e-12)
