"""Each score and greedy selection against a brute-force reference on tiny inputs."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel
from sklearn.linear_model import Ridge

from activelab._errors import InvalidInputError
from activelab.regression import (
    SklearnRegressor,
    emc_scores,
    greedy_x,
    greedy_y,
    improved_greedy,
    make_regression_strategy,
    variance_scores,
)
from activelab.strategies import PoolContext

from ._pool import make_regression_pool


def _dist(a, b):
    return float(np.sqrt(((np.asarray(a, float) - np.asarray(b, float)) ** 2).sum()))


def ref_greedy(n_cand, k, score_to):
    """Brute force: each pick maximizes min over 'centers' of score_to(candidate, center); a
    center is a labeled row ('L', j) or an earlier pick ('C', p). Ties → lowest position."""
    picks = []
    for _ in range(k):
        best, best_v = None, -np.inf
        for i in range(n_cand):
            if i in picks:
                continue
            v = score_to(i, picks)
            if v > best_v:
                best, best_v = i, v
        picks.append(best)
    return picks


@pytest.mark.parametrize("seed", range(5))
def test_greedy_x_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    F = rng.normal(size=(14, 3))
    lab = np.array([1, 5, 9])
    cand = np.setdiff1d(np.arange(14), lab)
    idx, scores = greedy_x(F, lab, cand, 4)

    def score(i, picks):
        centers = [F[j] for j in lab] + [F[cand[p]] for p in picks]
        return min(_dist(F[cand[i]], c) for c in centers)

    assert idx.tolist() == cand[ref_greedy(cand.size, 4, score)].tolist()
    np.testing.assert_allclose(scores, [score(i, []) for i in range(cand.size)], rtol=1e-9)


def test_greedy_x_without_labels_starts_nearest_the_centroid():
    rng = np.random.default_rng(3)
    F = rng.normal(size=(12, 2))
    cand = np.arange(12)
    idx, scores = greedy_x(F, np.array([], dtype=int), cand, 3)
    first = int(np.argmin(((F - F.mean(axis=0)) ** 2).sum(axis=1)))
    assert idx[0] == first and np.isinf(scores).all()
    second = max((i for i in cand if i != first), key=lambda i: (_dist(F[i], F[first]), -i))
    assert idx[1] == second


@pytest.mark.parametrize("seed", range(5))
def test_greedy_y_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    f = rng.normal(size=9)
    y_lab = rng.normal(size=4)
    cand = np.arange(20, 29)
    idx, scores = greedy_y(f, y_lab, cand, 4)

    def score(i, picks):  # picked rows count with their prediction, as in the paper
        return min([abs(f[i] - v) for v in y_lab] + [abs(f[i] - f[p]) for p in picks])

    assert idx.tolist() == cand[ref_greedy(9, 4, score)].tolist()
    np.testing.assert_allclose(scores, [score(i, []) for i in range(9)])


@pytest.mark.parametrize("seed", range(5))
def test_improved_greedy_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    F = rng.normal(size=(13, 2))
    lab = np.array([0, 4, 7])
    y_lab = rng.normal(size=3)
    cand = np.setdiff1d(np.arange(13), lab)
    f = rng.normal(size=cand.size)
    idx, scores = improved_greedy(F, f, lab, y_lab, cand, 5)

    def score(i, picks):
        vals = [_dist(F[cand[i]], F[j]) * abs(f[i] - yj) for j, yj in zip(lab, y_lab)]
        vals += [_dist(F[cand[i]], F[cand[p]]) * abs(f[i] - f[p]) for p in picks]
        return min(vals)

    assert idx.tolist() == cand[ref_greedy(cand.size, 5, score)].tolist()
    np.testing.assert_allclose(scores, [score(i, []) for i in range(cand.size)], rtol=1e-9)


def test_variance_and_emc_scores_match_loops():
    rng = np.random.default_rng(1)
    P = rng.normal(size=(4, 6))
    f = rng.normal(size=6)
    Phi = rng.normal(size=(6, 3))
    var = [np.mean([(P[m, i] - P[:, i].mean()) ** 2 for m in range(4)]) for i in range(6)]
    np.testing.assert_allclose(variance_scores(P), var)
    emc = [np.mean([abs(f[i] - P[k, i]) * np.linalg.norm(Phi[i]) for k in range(4)])
           for i in range(6)]
    np.testing.assert_allclose(emc_scores(f, P, Phi), emc)
    with pytest.raises(InvalidInputError, match="n_members >= 2"):
        variance_scores(P[:1])
    with pytest.raises(InvalidInputError, match="same candidates"):
        emc_scores(f[:3], P, Phi)


def _context(X, y, model="ridge", seed=7):
    factory = SklearnRegressor(Ridge(alpha=1.0) if model == "ridge" else model)
    lab = np.flatnonzero(~np.isnan(y))
    fitted = factory.fit(X, y, lab, random_state=seed)
    return PoolContext(X=X, y=y, model=fitted, factory=factory, random_state=seed,
                       classes=np.empty(0)), fitted


def _ref_members(X, y, seed, n_members):
    """Ridge on standardized targets of bootstrap resample m, drawn with default_rng([seed, m])."""
    lab = np.flatnonzero(~np.isnan(y))
    preds = []
    for m in range(n_members):
        rows = np.random.default_rng([seed, m]).choice(lab, size=lab.size, replace=True)
        t = y[rows]
        mu, sd = t.mean(), t.std()
        preds.append(Ridge(alpha=1.0).fit(X[rows], (t - mu) / sd).predict(X[np.isnan(y)]) * sd + mu)
    return np.array(preds)


def test_variance_strategy_is_committee_variance():
    X, y, _ = make_regression_pool(seed=2)
    ctx, _ = _context(X, y)
    sel = make_regression_strategy("variance", n_members=4).select(ctx, 3, np.random.default_rng(0))
    ref = _ref_members(X, y, 7, 4).var(axis=0)
    np.testing.assert_allclose(sel.scores, ref, rtol=1e-8)
    assert set(sel.idx.tolist()) == set(ctx.candidate_idx[np.argsort(-ref)[:3]].tolist())


def test_emc_strategy_is_expected_gradient_length():
    X, y, _ = make_regression_pool(seed=4)
    ctx, fitted = _context(X, y)
    sel = make_regression_strategy("emc", n_members=3).select(ctx, 3, np.random.default_rng(0))
    Xc = X[np.isnan(y)]
    f = fitted.predict(Xc)
    P = _ref_members(X, y, 7, 3)
    ref = [np.mean([abs(f[i] - P[k, i]) * np.linalg.norm(Xc[i]) for k in range(3)])
           for i in range(Xc.shape[0])]
    np.testing.assert_allclose(sel.scores, ref, rtol=1e-8)
    assert sel.idx.tolist() == ctx.candidate_idx[np.argsort(-np.asarray(ref))[:3]].tolist()


def test_gp_std_matches_the_closed_form_posterior():
    X, y, _ = make_regression_pool(n=30, seed=5)
    kernel = ConstantKernel(1.3, "fixed") * RBF(0.8, "fixed") + WhiteKernel(0.05, "fixed")
    ctx, _ = _context(X, y)  # ridge has no std: the strategy fits its own GP
    sel = make_regression_strategy("gp_std", kernel=kernel).select(ctx, 2, np.random.default_rng(0))
    lab = np.isnan(y) == False
    XL, Xc, t = X[lab], X[~lab], y[lab]
    sd = t.std()

    def k(a, b):
        return 1.3 * np.exp(-0.5 * ((a[:, None, :] - b[None, :, :]) ** 2).sum(-1) / 0.8 ** 2)

    K = k(XL, XL) + (0.05 + 1e-10) * np.eye(XL.shape[0])
    Ks = k(Xc, XL)
    var = 1.3 + 0.05 - np.einsum("ij,ji->i", Ks, np.linalg.solve(K, Ks.T))
    # normalize_y divides the (already standardized) targets by their std, 1 up to rounding
    np.testing.assert_allclose(sel.scores, np.sqrt(var) * sd, rtol=1e-5)
    assert sel.idx.tolist() == ctx.candidate_idx[np.argsort(-var)[:2]].tolist()


def test_gp_std_uses_a_gp_models_own_std():
    from activelab.regression import make_regressor

    X, y, _ = make_regression_pool(n=30, seed=6)
    ctx, fitted = _context(X, y, model=make_regressor("gp"))
    sel = make_regression_strategy("gp_std").select(ctx, 2, np.random.default_rng(0))
    np.testing.assert_allclose(sel.scores, fitted.predict_std(X[np.isnan(y)]))
