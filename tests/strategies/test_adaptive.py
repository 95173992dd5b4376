"""Adaptive strategies (albl, ucb, thompson): EXP4.P against the paper's formulas by hand, state
learned only in `update`, the `info["arm"]` contract over a simulated run, and bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest
from sklearn.datasets import load_digits
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

import activelab
from activelab import UNLABELED
from activelab.models import SklearnModel
from activelab.strategies import Feedback, PoolContext, Selection, make_strategy
from activelab.strategies.albl import (
    exp4p_p_min,
    exp4p_probabilities,
    exp4p_update,
    importance_weighted_accuracy,
)
from activelab.strategies.bandit import ucb1_index
from activelab.strategies.random import RandomSampling
from activelab.strategies.uncertainty import MarginSampling

from ..conftest import make_pool

ADAPTIVE = ["albl", "ucb", "thompson"]


def fast_model():
    """Regularized logistic regression: converges in few iterations on small labeled sets."""
    return make_pipeline(StandardScaler(), LogisticRegression(C=0.05))


def context(X, y, with_model=True):
    labeled = y != UNLABELED
    classes = np.unique(y[labeled])
    model = None
    if with_model:
        model = SklearnModel(fast_model()).fit(X, y, np.flatnonzero(labeled), classes, random_state=0)
    return PoolContext(X=X, y=y, labeled=labeled, classes=classes, model=model, random_state=0)


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)


# --- EXP4.P by hand ------------------------------------------------------------------------------
# N = 3 experts, T = 10, δ = 0.1, weights w = (1, 2, 1). Paper formulas (Beygelzimer et al. 2011,
# as used by Hsu & Lin 2015), worked out with a calculator:
#   p_min = sqrt(ln 3 / 30)                         = 0.191364599
#   p_m   = (1 − 3 p_min) w_m / 4 + p_min           = (0.297841150, 0.404317701, 0.297841150)
# The query i is advised with ψ(i) = (1/4 [uniform over 4 rows], 1 [its top pick], 0):
#   q(i)  = Σ p_m ψ_m(i)                            = 0.478777988
# Reward r = 0.5, confidence c = sqrt(ln(3/0.1) / 30) = 0.336709439;
#   w_m ← w_m exp(p_min/2 (r ψ_m(i)/q(i) + c/p_m))  = (1.142421016, 2.393491913, 1.114235863)


def test_exp4p_probabilities_by_hand():
    p_min = exp4p_p_min(3, 10)
    assert p_min == pytest.approx(0.191364599, abs=1e-9)
    p = exp4p_probabilities(np.log([1.0, 2.0, 1.0]), p_min)
    np.testing.assert_allclose(p, [0.297841150, 0.404317701, 0.297841150], atol=1e-9)
    assert p.sum() == pytest.approx(1.0)


def test_exp4p_update_by_hand():
    N, T, delta, r = 3, 10, 0.1, 0.5
    w = [1.0, 2.0, 1.0]
    p_min = math.sqrt(math.log(N) / (N * T))
    p = [(1 - N * p_min) * wi / sum(w) + p_min for wi in w]
    psi = [0.25, 1.0, 0.0]
    q = sum(pi * si for pi, si in zip(p, psi))
    c = math.sqrt(math.log(N / delta) / (N * T))
    expected = [wi * math.exp(p_min / 2 * (r * si / q + c / pi)) for wi, si, pi in zip(w, psi, p)]
    np.testing.assert_allclose(expected, [1.142421016, 2.393491913, 1.114235863], atol=1e-8)

    log_w = exp4p_update(np.log(w), np.array(p), np.array(psi), q, r,
                         p_min=p_min, delta=delta, horizon=T)
    np.testing.assert_allclose(np.exp(log_w), expected, rtol=1e-12)


def test_iw_acc_by_hand():
    # W = (1/0.5, 1/0.25, 1/0.1) = (2, 4, 10); correct = (1, 0, 1); n = 20, T = 5
    reward = importance_weighted_accuracy([2.0, 4.0, 10.0], [True, False, True], 20, 5)
    assert reward == pytest.approx((2 + 10) / (20 * 5))


def test_exp4p_moves_mass_to_the_rewarded_expert():
    """Repeated rewards for the expert whose advice is followed raise its probability."""
    p_min = exp4p_p_min(2, 50)
    log_w = np.zeros(2)
    for _ in range(50):
        p = exp4p_probabilities(log_w, p_min)
        log_w = exp4p_update(log_w, p, np.array([0.0, 1.0]), p[1], 1.0,
                             p_min=p_min, delta=0.1, horizon=50)
    p = exp4p_probabilities(log_w, p_min)
    assert p[1] > 0.8 and p.min() >= p_min - 1e-12


def test_albl_update_equals_hand_computation():
    """One round end to end: the reward is the IW-ACC of the refitted model on the queried rows
    and each pick is one EXP4.P step with the probabilities it was drawn with."""
    X, y, y_true = make_pool(n=80, n_classes=3, n_labeled=12, seed=3)
    strat = make_strategy("albl", arms=("random", "margin"), budget=20, delta=0.1)
    sel = strat.select(context(X, y), 4, np.random.default_rng(0))
    assert not [k for k in vars(strat) if k.endswith("_")], "select must not learn"

    y_after = y.copy()
    y_after[sel.idx] = y_true[sel.idx]
    ctx_after = context(X, y_after)
    strat.update(Feedback(selection=sel, labels=y_true[sel.idx], ctx_after=ctx_after))

    q = np.asarray(sel.info["query_probability"])
    pred = ctx_after.model.estimator.predict(X[sel.idx])
    reward = np.sum((pred == y_true[sel.idx]) / q) / (80 * 20)
    assert strat.reward_ == pytest.approx(reward)

    p_min = math.sqrt(math.log(2) / (2 * 20))
    p = [sel.info["probabilities"][a] for a in ("random", "margin")]
    assert p == pytest.approx([0.5, 0.5])
    c = math.sqrt(math.log(2 / 0.1) / (2 * 20))
    log_w = [sum(p_min / 2 * (reward * adv[m] / qk + c / p[m])
                 for adv, qk in zip(sel.info["advice"], q)) for m in range(2)]
    np.testing.assert_allclose(strat.log_weights_, np.array(log_w) - max(log_w), atol=1e-12)
    np.testing.assert_array_equal(strat.queried_idx_, sel.idx)
    assert strat.n_steps_ == 4

    # the advice recorded is what the arms advise: uniform for random, one-hot for margin
    n_cand = int((y == UNLABELED).sum())
    for k, (adv, arm) in enumerate(zip(sel.info["advice"], sel.info["arms"])):
        assert adv[0] == pytest.approx(1.0 / (n_cand - k))
        assert adv[1] in (0.0, 1.0)
        if arm == "margin":
            assert adv[1] == 1.0
        assert q[k] == pytest.approx(p[0] * adv[0] + p[1] * adv[1])


def test_albl_batch_margin_picks_follow_margin_ranking():
    """With p_min pushed to 0 and all weight on margin, ALBL's batch is margin's batch."""
    X, y, _ = make_pool(n=60, n_labeled=9, seed=1)
    ctx = context(X, y)
    strat = make_strategy("albl", arms=("random", "margin"), p_min=0.0)
    strat.log_weights_ = np.array([-1e9, 0.0])
    sel = strat.select(ctx, 5, np.random.default_rng(0))
    margin = MarginSampling().select(ctx, 5, np.random.default_rng(1))
    np.testing.assert_array_equal(sel.idx, margin.idx)
    assert sel.info["arms"] == ["margin"] * 5 and sel.info["arm"] == "margin"


# --- simulated runs ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ADAPTIVE)
def test_simulate_records_arm_each_round_and_learns(name, digits):
    X, X_test, y, y_test = digits
    kw = {"budget": 40} if name == "albl" else {}
    arms = ("random", "margin", "entropy")
    res = activelab.simulate(X, y, X_test, y_test, strategy=name, model=fast_model(), initial=20,
                             batch_size=10, rounds=4, random_state=0, arms=arms, **kw)
    for info in res.info[1:]:
        assert info["arm"] in arms
        assert len(info["arms"]) == 10 and set(info["arms"]) <= set(arms)
        assert info["arm"] == max(arms, key=info["arms"].count)
        assert set(info["weights"]) == set(arms)
    # the weights a round selects with reflect the updates of the rounds before
    assert res.info[1]["weights"] != res.info[4]["weights"]
    again = activelab.simulate(X, y, X_test, y_test, strategy=name, model=fast_model(), initial=20,
                               batch_size=10, rounds=4, random_state=0, arms=arms, **kw)
    assert again.selected == res.selected and again.info == res.info


@pytest.mark.parametrize("name", ["thompson", "ucb"])
def test_bandit_moves_toward_the_better_arm(name, digits):
    """On digits, margin sampling beats random; its batches surprise the model far more often,
    so over several seeds the bandit plays margin more and rates it higher.

    Bounds are loose: in trial runs over 20 seeds (five groups of four) every seed rated margin
    above random (by 0.03 to 0.56), each group's mean gap was at least 0.16, and margin was
    played more than random in every group."""
    X, X_test, y, y_test = digits
    margin_plays = random_plays = 0
    gaps = []
    for seed in range(4):
        res = activelab.simulate(X, y, X_test, y_test, strategy=name, model=fast_model(),
                                 initial=20, batch_size=10, rounds=8, random_state=seed,
                                 arms=("random", "margin"))
        arms = [info["arm"] for info in res.info[1:]]
        margin_plays += arms.count("margin")
        random_plays += arms.count("random")
        rated = res.info[-1]["means" if name == "ucb" else "weights"]
        gaps.append(rated["margin"] - rated["random"])
    assert margin_plays > random_plays
    assert np.mean(gaps) > 0.05


# ALBL is not held to the same check: its reward (IW-ACC of the refitted model on the rows it
# queried) is shared by every pick of a batch and near 1 for separable data, so in trial runs on
# digits (random vs margin, 8 rounds, 5 seeds) margin's final probability ranged from 0.33 to
# 0.59, starting from 0.5: no robust direction. test_exp4p_moves_mass_to_the_rewarded_expert
# checks the mechanism instead.


# --- state and determinism ------------------------------------------------------------------------


@pytest.mark.parametrize("name", ADAPTIVE)
def test_select_is_pure_and_first_select_stateless(name):
    X, y, _ = make_pool(n=60, n_labeled=9, seed=2)
    X0, y0 = X.copy(), y.copy()
    strat = make_strategy(name)
    before = dict(vars(strat))
    a = strat.select(context(X, y), 6, np.random.default_rng(5))
    b = strat.select(context(X, y), 6, np.random.default_rng(5))
    assert vars(strat) == before
    np.testing.assert_array_equal(a.idx, b.idx)
    assert a.info == b.info
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)


def test_ucb_and_thompson_update_by_hand():
    X, y, y_true = make_pool(n=60, n_labeled=9, seed=4)
    ctx = context(X, y)
    for name in ("ucb", "thompson"):
        strat = make_strategy(name, arms=("random", "margin"))
        sel = strat.select(ctx, 5, np.random.default_rng(0))
        labels = y_true[sel.idx]
        miss = np.asarray(sel.info["predicted"]) != labels
        arm_of = np.array([["random", "margin"].index(a) for a in sel.info["arms"]])
        wrong = np.array([(miss & (arm_of == m)).sum() for m in range(2)], dtype=float)
        chose = np.array([(arm_of == m).sum() for m in range(2)], dtype=float)
        strat.update(Feedback(selection=sel, labels=labels, ctx_after=ctx))
        if name == "ucb":
            assert sel.info["arms"] == ["random"] * 5  # unplayed arms first, in order
            np.testing.assert_array_equal(strat.counts_, [5, 0])  # one play per label
            np.testing.assert_array_equal(strat.reward_sums_, wrong)
        else:
            np.testing.assert_array_equal(strat.alpha_, 1 + wrong)
            np.testing.assert_array_equal(strat.beta_, 1 + chose - wrong)


def test_thompson_gives_each_slot_its_own_draw():
    """With a flat posterior the slots split between arms; with a confident one they all go to the
    arm whose surprise rate is higher, and every slot still gets a distinct row."""
    X, y, _ = make_pool(n=80, n_labeled=9, seed=3)
    ctx = context(X, y)
    strat = make_strategy("thompson", arms=("random", "margin"))
    sel = strat.select(ctx, 20, np.random.default_rng(0))
    assert set(sel.info["arms"]) == {"random", "margin"}
    assert len(set(sel.idx.tolist())) == 20 and not ctx.labeled[sel.idx].any()
    strat.alpha_, strat.beta_ = np.array([1.0, 900.0]), np.array([900.0, 1.0])
    sel = strat.select(ctx, 20, np.random.default_rng(0))
    assert sel.info["arms"] == ["margin"] * 20
    margin_only = make_strategy("margin").select(ctx, 20, np.random.default_rng(0))
    assert sorted(sel.idx.tolist()) == sorted(margin_only.idx.tolist())
    assert sel.scores is not None  # one arm filled the batch: its scores explain the picks


def test_fill_slots_takes_each_arms_best_row_not_taken():
    from activelab.strategies.bandit import fill_slots

    ranked = {0: np.array([5, 3, 1, 7]), 1: np.array([5, 2, 3, 9])}
    out = fill_slots(np.array([0, 1, 1, 0]), ranked)
    np.testing.assert_array_equal(out, [5, 2, 3, 1])


def test_ucb1_index():
    idx = ucb1_index(np.array([1.0, 3.0, 0.0]), np.array([2, 4, 0]), exploration=1.0)
    assert idx[0] == pytest.approx(0.5 + math.sqrt(2 * math.log(6) / 2))
    assert idx[1] == pytest.approx(0.75 + math.sqrt(2 * math.log(6) / 4))
    assert idx[2] == np.inf


def test_thompson_discount_forgets_evidence_not_prior():
    strat = make_strategy("thompson", arms=("random", "margin"), prior=(2.0, 3.0), discount=0.5)
    strat._learn(np.array([4.0, 0.0]), np.array([6.0, 0.0]))
    strat._learn(np.array([0.0, 0.0]), np.array([0.0, 2.0]))
    np.testing.assert_allclose(strat.alpha_, [2 + 0.5 * 4, 2 + 0])
    np.testing.assert_allclose(strat.beta_, [3 + 0.5 * 6, 3 + 2])


def test_arms_as_strategy_objects_get_unique_names():
    X, y, _ = make_pool(n=60, n_labeled=9, seed=2)
    arms = (RandomSampling(), MarginSampling(), MarginSampling())
    sel = activelab.propose(X, y, strategy="albl", arms=arms, batch_size=4, random_state=0)
    assert sel.info["arm_names"] == ["random", "margin", "margin_2"]


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ADAPTIVE)
def test_unknown_and_empty_arms(name):
    X, y, _ = make_pool(n=50, n_labeled=9)
    with pytest.raises(activelab.UnknownNameError, match="margn"):
        activelab.query(X, y, strategy=name, arms=("random", "margn"), random_state=0)
    with pytest.raises(activelab.InvalidInputError, match="arms is empty"):
        activelab.query(X, y, strategy=name, arms=(), random_state=0)
    with pytest.raises(activelab.InvalidInputError, match="adaptive"):
        activelab.query(X, y, strategy=name, arms=("random", "ucb"), random_state=0)


@pytest.mark.parametrize("name, params", [
    ("albl", {"budget": 0}),
    ("albl", {"delta": 0.0}),
    ("albl", {"p_min": 0.6}),
    ("ucb", {"exploration": -1}),
    ("thompson", {"prior": (0.0, 1.0)}),
    ("thompson", {"discount": 0.0}),
])
def test_bad_parameters(name, params):
    X, y, _ = make_pool(n=50, n_labeled=9)
    with pytest.raises(activelab.InvalidInputError):
        activelab.query(X, y, strategy=name, random_state=0, **params)


@pytest.mark.parametrize("name", ADAPTIVE)
def test_cold_start_names_the_arm(name):
    X, y, _ = make_pool(n=50, n_labeled=9)
    ctx = context(X, y, with_model=False)
    with pytest.raises(activelab.ColdStartError, match="trained model"):
        make_strategy(name, arms=("margin",)).select(ctx, 3, np.random.default_rng(0))
    if name == "albl":
        with pytest.raises(activelab.ColdStartError, match="arm 'margin'"):
            make_strategy(name, arms=("random", "margin")).select(ctx, 3, np.random.default_rng(0))


def test_update_rejects_a_foreign_selection():
    X, y, _ = make_pool(n=50, n_labeled=9)
    ctx = context(X, y)
    sel = Selection(idx=np.flatnonzero(y == UNLABELED)[:2])
    for name in ADAPTIVE:
        with pytest.raises(activelab.InvalidInputError, match="Selection this strategy returned"):
            make_strategy(name).update(Feedback(selection=sel, labels=np.array([0, 1]), ctx_after=ctx))
