"""activelab.simulate: the learning curve it records and the guarantees of a paired comparison."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import load_iris
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

import activelab
from activelab import BatchSizeError, ColdStartError, InvalidInputError
from activelab.strategies import Selection, Strategy


@pytest.fixture(scope="module")
def iris_split():
    X, y = load_iris(return_X_y=True)
    return train_test_split(X, y, test_size=0.3, random_state=0, stratify=y)


def _sim(iris_split, **kw):
    Xp, Xt, yp, yt = iris_split
    args = dict(initial=10, batch_size=5, rounds=4, random_state=0)
    args.update(kw)
    return activelab.simulate(Xp, yp, Xt, yt, **args)


def test_curve_shape_and_labels(iris_split):
    r = _sim(iris_split, strategy="margin")
    assert r.labels == [10, 15, 20, 25, 30]
    for key in ("accuracy", "f1", "select_seconds", "fit_seconds", "selected"):
        assert len(getattr(r, key)) == 5
    assert all(0 <= a <= 1 for a in r.accuracy) and all(0 <= f <= 1 for f in r.f1)
    assert r.select_seconds[0] == 0 and all(s >= 0 for s in r.select_seconds)
    chosen = np.concatenate([np.asarray(s) for s in r.selected])
    assert np.unique(chosen).size == 30, "no row is queried twice"


def test_same_seed_same_seed_set_across_strategies(iris_split):
    a = _sim(iris_split, strategy="margin")
    b = _sim(iris_split, strategy="random")
    assert a.selected[0] == b.selected[0]
    assert a.accuracy[0] == b.accuracy[0]


def test_deterministic(iris_split):
    a = _sim(iris_split, strategy="qbc_kl")
    b = _sim(iris_split, strategy="qbc_kl")
    assert a.selected == b.selected and a.accuracy == b.accuracy


def test_model_not_mutated(iris_split):
    model = LogisticRegression(max_iter=200)
    _sim(iris_split, strategy="entropy", model=model)
    assert not hasattr(model, "coef_")


def test_explicit_seed_rows(iris_split):
    Xp, _, yp, _ = iris_split
    rows = np.concatenate([np.flatnonzero(yp == c)[:2] for c in range(3)])
    r = _sim(iris_split, strategy="margin", initial=rows)
    assert sorted(r.selected[0]) == sorted(rows.tolist()) and r.labels[0] == 6


def test_budget_larger_than_pool(iris_split):
    with pytest.raises(BatchSizeError, match="rounds of"):
        _sim(iris_split, rounds=50, batch_size=10)


def test_single_class_seed_set_is_cold_start(iris_split):
    Xp, _, yp, _ = iris_split
    rows = np.flatnonzero(yp == 0)[:5]
    with pytest.raises(ColdStartError, match="single class"):
        _sim(iris_split, strategy="margin", initial=rows)
    # random can start there: the curve begins with a constant predictor
    r = _sim(iris_split, strategy="random", initial=rows)
    assert r.accuracy[0] == pytest.approx(1 / 3, abs=0.05)


def test_initial_strategy_must_not_need_a_model(iris_split):
    with pytest.raises(ColdStartError, match="initial_strategy"):
        _sim(iris_split, initial_strategy="margin")


def test_ground_truth_required(iris_split):
    Xp, Xt, yp, yt = iris_split
    y = yp.copy()
    y[3] = activelab.UNLABELED
    with pytest.raises(InvalidInputError, match="ground truth"):
        activelab.simulate(Xp, y, Xt, yt)


def test_margin_beats_random_on_average(iris_split):
    """A sanity check of direction, not of size: over seeds margin is not worse than random."""
    from activelab.experiments import learning_curve_auc

    gap = []
    for seed in range(4):
        m = _sim(iris_split, strategy="margin", random_state=seed, initial=6, rounds=6)
        r = _sim(iris_split, strategy="random", random_state=seed, initial=6, rounds=6)
        gap.append(learning_curve_auc(m.labels, m.accuracy) - learning_curve_auc(r.labels, r.accuracy))
    assert np.mean(gap) > -0.02


class _Recorder(Strategy):
    """An adaptive stand-in that records which context objects it sees (class-level: simulate
    clones the strategy)."""

    name = "recorder"
    family = "adaptive"
    needs_model = True
    selected_in: list = []
    learned_from: list = []

    def select(self, ctx, batch_size, rng):
        type(self).selected_in.append(ctx)
        return Selection(idx=ctx.candidate_idx[:batch_size])

    def update(self, feedback):
        type(self).learned_from.append(feedback.ctx_after)


def test_adaptive_strategy_learns_from_the_context_it_selects_from_next(iris_split):
    """After a round, the context handed to `update` (model refitted with the new labels) is the
    one the next `select` gets: the pool is validated and predicted once per round."""
    _Recorder.selected_in, _Recorder.learned_from = [], []
    r = _sim(iris_split, strategy=_Recorder())
    assert len(r.selected) == 5
    sel, learned = _Recorder.selected_in, _Recorder.learned_from
    assert len(sel) == len(learned) == 4
    assert all(a is b for a, b in zip(learned[:-1], sel[1:]))
    assert all(a.labeled.sum() + 5 == b.labeled.sum() for a, b in zip(sel, learned))
