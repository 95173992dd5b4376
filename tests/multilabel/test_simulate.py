"""simulate_multilabel's curves, pairing and determinism; every input error it promises."""

from __future__ import annotations

import numpy as np
import pytest

from activelab import UNLABELED
from activelab._errors import (
    BatchSizeError,
    ColdStartError,
    InvalidInputError,
    UnknownNameError,
)
from activelab._tasks import TaskResult
from activelab.multilabel import (
    METRICS,
    MultilabelLoop,
    check_label_matrix,
    load_multilabel_dataset,
    multilabel_dataset_names,
    query_multilabel,
    simulate_multilabel,
)

from ._pool import make_ml_pool


def _data(seed=0):
    X, _, Y = make_ml_pool(n=120, n_features=5, n_labels=3, seed=seed)
    return X[:80], Y[:80], X[80:], Y[80:]


def test_curves_have_one_entry_per_round_and_label_axis():
    X, Y, Xt, Yt = _data()
    seen = []
    r = simulate_multilabel(X, Y, Xt, Yt, strategy="mmc", initial=10, batch_size=5, rounds=3,
                            random_state=0, on_round=lambda i, res: seen.append(i))
    assert isinstance(r, TaskResult)
    assert (r.task, r.x_name, r.strategy, r.primary_metric) == ("multilabel", "labels", "mmc", "micro_f1")
    assert r.x == r.labels == [10, 15, 20, 25]
    assert set(r.metrics) == set(METRICS)
    assert all(len(v) == 4 for v in r.metrics.values())
    assert all(0 <= v <= 1 for vals in r.metrics.values() for v in vals)
    assert [len(s) for s in r.selected] == [10, 5, 5, 5]
    assert len({i for s in r.selected for i in s}) == 25
    assert seen == [0, 1, 2, 3]
    r.to_dict()


def test_seed_set_is_paired_across_strategies_and_runs_are_deterministic():
    X, Y, Xt, Yt = _data(1)
    runs = {s: simulate_multilabel(X, Y, Xt, Yt, strategy=s, initial=10, batch_size=5,
                                   rounds=2, random_state=7)
            for s in ("random", "max_uncertainty", "cvirs")}
    seeds = {tuple(r.selected[0]) for r in runs.values()}
    assert len(seeds) == 1
    assert len({r.metrics["micro_f1"][0] for r in runs.values()}) == 1
    again = simulate_multilabel(X, Y, Xt, Yt, strategy="cvirs", initial=10, batch_size=5,
                                rounds=2, random_state=7)
    assert again.selected == runs["cvirs"].selected
    assert again.metrics == runs["cvirs"].metrics
    other = simulate_multilabel(X, Y, Xt, Yt, strategy="random", initial=10, batch_size=5,
                                rounds=2, random_state=8)
    assert other.selected[0] != runs["random"].selected[0]


def test_metrics_are_scikit_learns():
    from sklearn.metrics import f1_score, hamming_loss

    from activelab.multilabel import multilabel_metrics

    t = np.array([[1, 0, 1], [0, 0, 0]])
    p = np.array([[1, 1, 0], [0, 0, 0]])
    m = multilabel_metrics(t, p)
    assert m["micro_f1"] == pytest.approx(f1_score(t, p, average="micro"))
    assert m["macro_f1"] == pytest.approx(f1_score(t, p, average="macro", zero_division=0))
    assert m["hamming_loss"] == pytest.approx(hamming_loss(t, p))
    assert m["subset_accuracy"] == 0.5


# -- label format ---------------------------------------------------------------------------------

def test_all_zero_row_is_a_valid_label_and_unlabeled_rows_are_minus_one():
    Y, lab = check_label_matrix([[0, 0, 0], [1, 0, 1], [-1, -1, -1]])
    assert lab.tolist() == [True, True, False]
    Y, lab = check_label_matrix(np.array([[True, False]]))
    assert Y.dtype == np.int64 and lab.all()


@pytest.mark.parametrize("Y, match", [
    ([[1, -1, 0]], "partial labels are not supported"),
    ([[1, 0, 2]], "may only hold 0"),
    ([[1.0, np.nan, 0.0]], "NaN"),
    ([1, 0, 1], "2-D indicator matrix"),
    (np.zeros((2, 0)), "no label columns"),
    ([["a", "b"]], "must hold numbers"),
])
def test_bad_label_matrices(Y, match):
    with pytest.raises(InvalidInputError, match=match):
        check_label_matrix(Y)


def test_wrong_width_is_refused():
    with pytest.raises(InvalidInputError, match="has 2 columns but the task has the 3 label names"):
        check_label_matrix([[0, 1]], label_names=["a", "b", "c"])
    X, Y, _ = make_ml_pool(n=30, n_labels=3, n_labeled=10)
    loop = MultilabelLoop(X, Y, strategy="random", random_state=0)
    with pytest.raises(InvalidInputError, match="has 2 columns but the task has 3 labels"):
        loop.teach([int(np.flatnonzero(Y[:, 0] < 0)[0])], [[1, 0]])
    Xs, Ys, Xt, Yt = _data()
    with pytest.raises(InvalidInputError, match="Y_test has 2 columns"):
        simulate_multilabel(Xs, Ys, Xt, Yt[:, :2], rounds=1, random_state=0)


def test_ground_truth_with_unknown_rows_names_them():
    X, Y, Xt, Yt = _data()
    Y = Y.copy()
    Y[[3, 17]] = UNLABELED
    with pytest.raises(InvalidInputError, match=r"rows 3, 17 have every label unknown"):
        simulate_multilabel(X, Y, Xt, Yt, rounds=1, random_state=0)


def test_nan_or_inf_in_X():
    X, Y, Xt, Yt = _data()
    bad = X.copy()
    bad[5, 1] = np.inf
    with pytest.raises(InvalidInputError, match="NaN or infinity"):
        simulate_multilabel(bad, Y, Xt, Yt, rounds=1, random_state=0)
    bad_t = Xt.copy()
    bad_t[0, 0] = np.nan
    with pytest.raises(InvalidInputError, match="X_test contains NaN"):
        simulate_multilabel(X, Y, bad_t, Yt, rounds=1, random_state=0)
    Xp, Yp, _ = make_ml_pool()
    Xp[0, 0] = np.nan
    with pytest.raises(InvalidInputError, match="NaN or infinity"):
        query_multilabel(Xp, Yp, batch_size=2)


def test_budget_larger_than_pool():
    X, Y, Xt, Yt = _data()
    with pytest.raises(BatchSizeError, match="only 70 rows are unlabeled"):
        simulate_multilabel(X, Y, Xt, Yt, initial=10, batch_size=10, rounds=8, random_state=0)
    Xp, Yp, _ = make_ml_pool(n=30, n_labeled=10)
    with pytest.raises(BatchSizeError, match="larger than the unlabeled pool"):
        query_multilabel(Xp, Yp, batch_size=21)


def test_unknown_names():
    X, Y, Xt, Yt = _data()
    with pytest.raises(UnknownNameError, match="Did you mean 'cvirs'"):
        simulate_multilabel(X, Y, Xt, Yt, strategy="cvirz", rounds=1)
    with pytest.raises(UnknownNameError, match="multi-label dataset"):
        load_multilabel_dataset("yeasts")


def test_seed_set_with_constant_columns_needs_more_rows():
    X, Y, Xt, Yt = _data()
    Y = Y.copy()
    Y[:5] = [1, 0, 0]
    with pytest.raises(ColdStartError, match="every label column is constant.*larger `initial`"):
        simulate_multilabel(X, Y, Xt, Yt, strategy="mmc", initial=np.arange(5), rounds=1)
    # random needs no model: the same seed set runs
    r = simulate_multilabel(X, Y, Xt, Yt, strategy="random", initial=np.arange(5), rounds=1,
                            batch_size=3, random_state=0)
    assert r.x == [5, 8]


def test_model_strategy_as_seed_strategy_is_refused():
    X, Y, Xt, Yt = _data()
    with pytest.raises(ColdStartError, match="initial_strategy 'mmc' needs a trained model"):
        simulate_multilabel(X, Y, Xt, Yt, initial_strategy="mmc", rounds=1)


def test_query_without_labels_needs_a_label_free_strategy():
    X, _, Y = make_ml_pool(n=30)
    empty = np.full(Y.shape, UNLABELED)
    with pytest.raises(ColdStartError, match="no row is labeled"):
        query_multilabel(X, empty, strategy="cvirs", batch_size=2)
    assert query_multilabel(X, empty, strategy="kmeans", batch_size=3, random_state=0).shape == (3,)


@pytest.mark.parametrize("name", multilabel_dataset_names())
def test_datasets_load_offline(name):
    X, Y, names = load_multilabel_dataset(name)
    assert X.ndim == 2 and Y.shape == (X.shape[0], len(names))
    assert set(np.unique(Y)) <= {0, 1} and np.isfinite(X).all()
    expected = {"yeast": (2417, 103, 14), "solar_flare": (1066, 22, 3)}[name]
    assert (X.shape[0], X.shape[1], Y.shape[1]) == expected
