"""Each decision rule against a reference computed by hand or by brute force on tiny inputs."""

from __future__ import annotations

import math

import numpy as np
import pytest

from activelab import InvalidInputError, UnknownNameError
from activelab.stream import (
    least_confidence,
    make_selector,
    margin_utility,
    stream_selector_names,
)

LOOSE = {"budget": 1.0, "budget_window": None, "allowance": 1.0}  # the budget never binds


def _binary(conf: float) -> np.ndarray:
    return np.array([conf, 1.0 - conf])


def _run(sel, probas, X=None):
    X = np.zeros((len(probas), 1)) if X is None else X
    return [sel.decide(x, p) for x, p in zip(X, probas)]


def test_scores():
    assert least_confidence(np.array([0.7, 0.2, 0.1])) == pytest.approx(0.3)
    assert margin_utility(np.array([0.2, 0.5, 0.3])) == pytest.approx(0.8)


def test_registry_names():
    assert stream_selector_names() == sorted([
        "random", "fixed_uncertainty", "variable_uncertainty",
        "randomized_variable_uncertainty", "split", "density_uncertainty", "biqf"])


def test_variable_uncertainty_thresholds_by_hand():
    sel = make_selector("variable_uncertainty", theta=1.0, s=0.5, **LOOSE).reset(2, 0)
    confs = [0.9, 0.6, 0.55, 0.8, 0.7]
    thetas, queried = [], []
    for c in confs:
        queried.append(sel.decide(np.zeros(1), _binary(c)).queried)
        thetas.append(sel.theta_)
    assert queried == [True, False, True, False, False]
    assert thetas == pytest.approx([0.5, 0.75, 0.375, 0.5625, 0.84375])


def test_variable_uncertainty_threshold_frozen_while_budget_refuses():
    sel = make_selector("variable_uncertainty", budget=0.1, budget_window=None,
                        allowance=1.0, s=0.5).reset(2, 0)
    d = _run(sel, [_binary(0.6)] * 3)
    assert [x.queried for x in d] == [True, False, False]
    assert [x.reason for x in d] == ["rule", "budget", "budget"]
    assert sel.theta_ == pytest.approx(0.5)  # only the first (affordable) item moved it


def test_fixed_uncertainty_threshold():
    # θ = 1/C + b(1 − 1/C) = 1/3 + 0.4·2/3 = 0.6 for three classes
    sel = make_selector("fixed_uncertainty", budget=0.4, budget_window=None,
                        allowance=100.0).reset(3, 0)
    assert sel.theta_ == pytest.approx(0.6)
    probas = [np.array([0.6, 0.3, 0.1]), np.array([0.61, 0.3, 0.09]), np.array([0.4, 0.4, 0.2])]
    assert [d.queried for d in _run(sel, probas)] == [True, False, True]
    own = make_selector("fixed_uncertainty", threshold=0.5, **LOOSE).reset(2, 0)
    assert [d.queried for d in _run(own, [_binary(0.5), _binary(0.51)])] == [True, False]


def test_randomized_variable_uncertainty_matches_reference():
    seed, s, delta = 7, 0.1, 1.0
    confs = np.random.default_rng(1).uniform(0.5, 1.0, 200)
    sel = make_selector("randomized_variable_uncertainty", s=s, delta=delta, **LOOSE)
    sel.reset(2, seed)
    got = [d.queried for d in _run(sel, [_binary(c) for c in confs])]
    rng, theta, want = np.random.default_rng(seed), 1.0, []
    for c in confs:
        q = c < theta * rng.normal(1.0, delta)
        theta *= (1 - s) if q else (1 + s)
        want.append(bool(q))
    assert got == want
    assert sel.theta_ == pytest.approx(theta)


def test_split_matches_reference_and_its_random_share():
    seed, v, b, s = 3, 0.3, 0.5, 0.05
    confs = np.random.default_rng(2).uniform(0.5, 1.0, 4000)
    sel = make_selector("split", budget=b, v=v, s=s, budget_window=None, allowance=1e9)
    sel.reset(2, seed)
    got = [d.queried for d in _run(sel, [_binary(c) for c in confs])]
    rng, theta, want, n_random = np.random.default_rng(seed), 1.0, [], 0
    for c in confs:
        if rng.random() < v:
            q = bool(rng.random() < b)
            n_random += q
        else:
            q = bool(c < theta)
            theta *= (1 - s) if q else (1 + s)
        want.append(q)
    assert got == want
    assert sel.state()["random_labels"] == n_random
    # the random branch buys about v·b of the items
    assert n_random / confs.size == pytest.approx(v * b, abs=0.03)


def test_random_is_a_coin_at_the_budget_rate():
    sel = make_selector("random", budget=0.2, budget_window=None, allowance=1e9).reset(2, 5)
    got = [d.queried for d in _run(sel, [None] * 5000)]
    rng = np.random.default_rng(5)
    assert got == [bool(rng.random() < 0.2) for _ in range(5000)]
    assert np.mean(got) == pytest.approx(0.2, abs=0.02)


def test_random_owes_refused_heads():
    # b = 0.5, allowance 0, no window: the cap allows a label at t = 2, 4, 6, …
    sel = make_selector("random", budget=0.5, allowance=0.0).reset(2, 8)
    got = [d.queried for d in _run(sel, [None] * 400)]
    rng, owed, spent, want = np.random.default_rng(8), 0, 0, []
    for t in range(1, 401):
        owed += rng.random() < 0.5
        q = owed > 0 and spent + 1 <= 0.5 * t
        owed -= q
        spent += q
        want.append(bool(q))
    assert got == want
    assert sel.state()["owed"] == owed


def _ldf_brute_force(X: np.ndarray, t: int, W: int) -> int:
    """Items j among the last W before t whose nearest neighbour (among the items that shared
    the window with j, up to t − 1) is farther than x_t."""
    count = 0
    for j in range(max(0, t - W), t):
        others = [i for i in range(max(0, j - W), t) if i != j]
        nn = min((np.linalg.norm(X[j] - X[i]) for i in others), default=math.inf)
        count += np.linalg.norm(X[t] - X[j]) < nn
    return count


def test_density_factor_matches_brute_force():
    X = np.random.default_rng(0).normal(size=(40, 2))
    sel = make_selector("density_uncertainty", window_size=5, **LOOSE).reset(2, 0)
    for t in range(40):
        sel.decide(X[t], _binary(0.9))
        assert sel.density_ == _ldf_brute_force(X, t, 5), t


def test_density_uncertainty_skips_sparse_items_and_matches_reference():
    seed, W, s = 4, 6, 0.1
    rng0 = np.random.default_rng(9)
    X, confs = rng0.normal(size=(150, 2)), rng0.uniform(0.5, 1.0, 150)
    sel = make_selector("density_uncertainty", window_size=W, s=s, **LOOSE).reset(2, seed)
    decisions = _run(sel, [_binary(c) for c in confs], X)
    rng, theta = np.random.default_rng(seed), 1.0
    for t, (c, d) in enumerate(zip(confs, decisions)):
        margin = abs(2 * c - 1)
        if _ldf_brute_force(X, t, W) == 0:
            assert not d.queried
            continue
        q = margin < theta * rng.normal(1.0, 1.0)
        theta *= (1 - s) if q else (1 + s)
        assert d.queried == q, t


def test_biqf_matches_reference():
    b, w, w_tol = 0.2, 10, 5.0
    u = np.random.default_rng(3).uniform(0, 0.5, 300)
    sel = make_selector("biqf", budget=b, w=w, w_tol=w_tol, budget_window=None, allowance=1e9)
    sel.reset(2, 0)
    got = [d.queried for d in _run(sel, [_binary(1 - x) for x in u])]
    hist, spent, want = [], 0, []
    for t, x in enumerate(u, start=1):
        hist = (hist + [x])[-w:]
        theta = np.quantile(hist, 1 - b) - (max(hist) - min(hist)) * (b * t - spent) / w_tol
        q = bool(x >= theta)
        spent += q
        want.append(q)
    assert got == want
    assert abs(spent - b * len(u)) <= 3  # the balancing term keeps it on b·t


@pytest.mark.parametrize("name", ["fixed_uncertainty", "variable_uncertainty",
                                  "randomized_variable_uncertainty", "split",
                                  "density_uncertainty", "biqf"])
def test_cold_start_queries_while_the_budget_allows(name):
    sel = make_selector(name, budget=0.25, budget_window=None, allowance=1.0).reset(2, 0)
    before = dict(sel.state())
    d = _run(sel, [None] * 8)
    assert [x.queried for x in d] == [True, False, False, True, False, False, False, True]
    assert {x.reason for x in d} == {"cold_start", "budget"}
    assert all(math.isnan(x.utility) for x in d)
    assert sel.state() == before or name == "biqf"  # thresholds untouched


def test_unknown_selector_and_parameters():
    with pytest.raises(UnknownNameError, match="variable_uncertainty") as e:
        make_selector("variable_uncertanty")
    assert "variable_uncertainty" in e.value.close_matches
    with pytest.raises(InvalidInputError, match="has no parameter 'sigma'"):
        make_selector("split", sigma=1.0)
    for kw in ({"s": 0}, {"s": 1.5}, {"delta": -1}):
        with pytest.raises(InvalidInputError):
            make_selector("randomized_variable_uncertainty", **kw)
    with pytest.raises(InvalidInputError, match=r"v \(the random share\)"):
        make_selector("split", v=1.0)


def test_params_and_repr_round_trip():
    sel = make_selector("split", budget=0.2, v=0.3)
    params = sel.get_params()
    assert params["budget"] == 0.2 and params["v"] == 0.3 and "allowance" in params
    assert "Split(" in repr(sel)
    copy = make_selector(sel)
    assert copy is not sel and copy.get_params() == params


def test_non_finite_probabilities_are_refused():
    sel = make_selector("variable_uncertainty").reset(2, 0)
    with pytest.raises(InvalidInputError, match="probabilities must be finite"):
        sel.decide(np.zeros(1), np.array([np.nan, 0.5]))
