"""`auto`: which arm each rule picks, picks identical to the arm's own under the same RNG,
determinism over a simulated run, never a labeled row, and bad parameters."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

import activelab
from activelab import UNLABELED
from activelab.models import SklearnModel
from activelab.strategies import PoolContext, ScoreStrategy, make_strategy
from activelab.strategies.auto import far_out_rows, fit_balanced_accuracy

from ..conftest import make_pool


def context(X, y, model=None):
    labeled = np.array([v is not None and v != UNLABELED for v in y])
    classes = np.unique(y[labeled].tolist())
    fitted = SklearnModel(model or LogisticRegression()).fit(X, y, np.flatnonzero(labeled), classes,
                                                             random_state=0)
    return PoolContext(X=X, y=y, labeled=labeled, classes=classes, model=fitted, random_state=0)


class _OneClass:
    """A fitted model that predicts the first class everywhere (a collapsed model)."""

    def __init__(self, classes):
        self.classes = np.asarray(classes)

    def predict_proba(self, X):
        p = np.zeros((np.asarray(X).shape[0], self.classes.shape[0]))
        p[:, 0] = 0.9
        p[:, 1:] = 0.1 / (self.classes.shape[0] - 1)
        return p

    def last_layer_input(self, X):
        return np.asarray(X, dtype=np.float64)


def test_few_labels_per_class_explore_with_the_explore_arm():
    X, y, _ = make_pool(n=200, n_classes=3, n_labeled=6)
    ctx = context(X, y)
    sel = make_strategy("auto", labels_per_class=3).select(ctx, 5, np.random.default_rng(1))
    assert sel.info["phase"] == "explore" and sel.info["reason"] == "budget"
    assert sel.info["arm"] == "typiclust" and sel.info["labels_per_class"] == 2.0
    assert sel.info["fit_balanced_accuracy"] is None
    same = make_strategy("typiclust").select(ctx, 5, np.random.default_rng(1))
    assert np.array_equal(sel.idx, same.idx)
    assert sel.scores is None  # TypiClust reports none


def test_enough_labels_and_a_good_fit_exploit_with_badge_picks():
    X, y, _ = make_pool(n=200, n_classes=3, n_labeled=30)
    ctx = context(X, y)
    sel = make_strategy("auto", labels_per_class=3, min_fit=0.5).select(ctx, 5, np.random.default_rng(2))
    assert sel.info["phase"] == "exploit" and sel.info["reason"] == "ready"
    assert sel.info["arm"] == "badge" and sel.info["fit_balanced_accuracy"] >= 0.5
    badge = make_strategy("badge").select(ctx, 5, np.random.default_rng(2))
    assert np.array_equal(sel.idx, badge.idx)
    assert np.array_equal(sel.scores, badge.scores)
    assert np.array_equal(sel.candidate_idx, ctx.candidate_idx)


def test_a_model_that_misfits_its_labels_explores():
    X, y, _ = make_pool(n=200, n_classes=3, n_labeled=30)
    ctx = context(X, y)
    ctx.model = _OneClass(ctx.classes)
    assert fit_balanced_accuracy(ctx) == pytest.approx(1 / 3)  # one class of three recalled
    sel = make_strategy("auto", labels_per_class=3, min_fit=0.5).select(ctx, 5, np.random.default_rng(0))
    assert sel.info["phase"] == "explore" and sel.info["reason"] == "fit"
    assert sel.info["fit_balanced_accuracy"] == pytest.approx(1 / 3)
    off = make_strategy("auto", labels_per_class=3, min_fit=0).select(ctx, 5, np.random.default_rng(0))
    assert off.info["phase"] == "exploit" and off.info["fit_balanced_accuracy"] is None


def test_fit_balanced_accuracy_weighs_classes_equally():
    # 28 rows of class 0 recalled, 2 rows of class 1 missed: plain accuracy 0.93, balanced 0.5
    X, y, _ = make_pool(n=200, n_classes=2, n_labeled=30)
    lab = np.flatnonzero(y != UNLABELED)
    y = y.copy()
    y[lab] = 0
    y[lab[:2]] = 1
    ctx = context(X, y)
    ctx.model = _OneClass(np.array([0, 1]))
    assert fit_balanced_accuracy(ctx) == pytest.approx(0.5)


def test_custom_arms_and_string_labels():
    X, y, _ = make_pool(n=150, n_classes=2, n_labeled=20)
    names = np.array(["cat", "dog"], dtype=object)
    y_obj = np.where(y == UNLABELED, None, names[np.clip(y, 0, 1)]).astype(object)
    ctx = context(X, y_obj)
    strat = make_strategy("auto", explore="coreset", exploit="margin", labels_per_class=100)
    assert strat.select(ctx, 4, np.random.default_rng(0)).info["arm"] == "coreset"
    strat.set_params(labels_per_class=0)
    sel = strat.select(ctx, 4, np.random.default_rng(0))
    assert sel.info["arm"] == "margin" and 0 <= sel.info["fit_balanced_accuracy"] <= 1


def test_simulated_run_is_deterministic_and_never_picks_a_labeled_row():
    X, y, y_true = make_pool(n=300, n_classes=4, n_labeled=8, seed=3)
    runs = []
    for _ in range(2):
        loop = activelab.ActiveLoop(X, y, strategy="auto", model=LogisticRegression(), random_state=5)
        for _ in range(6):
            sel = loop.propose(10)
            assert not loop.labeled[sel.idx].any()
            assert np.unique(sel.idx).shape[0] == 10
            loop.teach(sel.idx, y_true[sel.idx])
        runs.append([(r.selection.info["arm"], np.asarray(r.selection.idx).tolist()) for r in loop.history])
    assert runs[0] == runs[1]
    arms = [arm for arm, _ in runs[0]]
    assert arms[0] == "typiclust"  # 8 labels of 4 classes: the low-budget regime


@pytest.mark.parametrize("params, word", [
    ({"labels_per_class": -1}, "labels_per_class"),
    ({"min_fit": 1.5}, "min_fit"),
    ({"outlier_fence": -1.0}, "outlier_fence"),
    ({"explore": "auto"}, "explore"),
    ({"exploit": "thompson"}, "exploit"),
    ({"exploit": "no_such_strategy"}, "exploit"),
])
def test_bad_parameters_name_themselves(params, word):
    X, y, _ = make_pool()
    with pytest.raises(activelab.ActiveLabError, match=word):
        make_strategy("auto", **params).select(context(X, y), 3, np.random.default_rng(0))


def test_cold_start_says_to_label():
    X, y, _ = make_pool()
    ctx = PoolContext(X=X, y=np.full_like(y, UNLABELED))
    with pytest.raises(activelab.ColdStartError):
        make_strategy("auto").select(ctx, 3, np.random.default_rng(0))


def test_far_out_rows_flags_extremes_only():
    rng = np.random.default_rng(0)
    gauss = rng.normal(size=(2000, 20))
    assert not far_out_rows(gauss, 3.0).any()
    heavy = gauss.copy()
    heavy[7] *= 50
    assert np.flatnonzero(far_out_rows(heavy, 3.0)).tolist() == [7]


class _Norm(ScoreStrategy):
    """Scores rows by their norm: an exploit arm that always wants the most extreme row."""

    name = "norm"
    family = "exploitation"
    reference = "test"

    def scores(self, ctx):
        return np.linalg.norm(np.asarray(ctx.X)[ctx.candidate_idx], axis=1)


def test_an_extreme_exploit_pick_is_replaced_by_a_typical_one():
    X, y, _ = make_pool(n=200, n_classes=2, n_labeled=30)
    X = X.copy()
    far = int(np.flatnonzero(y == UNLABELED)[0])
    X[far] *= 40
    ctx = context(X, y)
    plain = _Norm().select(ctx, 5, np.random.default_rng(3))
    assert plain.idx[0] == far
    auto = make_strategy("auto", exploit=_Norm(), labels_per_class=0, min_fit=0)
    sel = auto.select(ctx, 5, np.random.default_rng(3))
    assert far not in sel.idx and sel.info["outliers_replaced"] == 1
    assert sel.info["arms"] == ["norm"] * 4 + ["typiclust"] and sel.info["arm"] == "norm"
    assert np.array_equal(sel.idx[:4], plain.idx[1:])
    assert np.unique(sel.idx).shape[0] == 5 and not ctx.labeled[sel.idx].any()
    auto.set_params(outlier_fence=None)
    assert np.array_equal(auto.select(ctx, 5, np.random.default_rng(3)).idx, plain.idx)
