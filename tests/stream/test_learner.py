"""StreamLearner driven one item at a time: the oracle, delayed labels, errors at entry."""

from __future__ import annotations

import numpy as np
import pytest

from activelab import InvalidInputError, UnknownNameError
from activelab.stream import StreamLearner, make_selector, make_stream_model, run_stream

from .conftest import two_blobs


def test_oracle_is_called_only_for_queried_items():
    X, y = two_blobs(150)
    calls = []

    def oracle(x):
        i = int(np.flatnonzero((X == x).all(axis=1))[0])
        calls.append(i)
        return y[i]

    learner = StreamLearner("sgd", "variable_uncertainty", classes=[0, 1], budget=0.1,
                            random_state=0)
    steps = [learner.process(x, oracle) for x in X]
    assert calls == [s.index for s in steps if s.queried]
    assert learner.n_labels_ == len(calls) <= 0.1 * 150 + 1
    assert steps[0].prediction is None and steps[0].reason == "cold_start"
    assert all(s.label is not None for s in steps if s.queried)


def test_delayed_labels_via_decide_and_teach():
    X, y = two_blobs(60)
    learner = StreamLearner("sgd", "random", classes=[0, 1], budget=0.5, random_state=0)
    pending = []
    for i, x in enumerate(X):
        step = learner.decide(x)
        if step.queried:
            pending.append((step, y[i]))
    for step, label in pending:  # labels arrive later
        learner.teach(step, label)
    assert learner.n_labels_ == len(pending) > 0
    with pytest.raises(InvalidInputError, match="was not queried"):
        learner.teach(pending[0][0], pending[0][1])  # already taught
    skipped = next(s for s in (learner.decide(x) for x in X) if not s.queried)
    with pytest.raises(InvalidInputError, match="was not queried"):
        learner.teach(skipped, 0)


def test_wrong_width_names_the_expected_width():
    learner = StreamLearner("sgd", "random", classes=[0, 1])
    learner.process(np.zeros(4), 0)
    with pytest.raises(InvalidInputError, match="has 3 features but the stream's items have 4"):
        learner.process(np.zeros(3), 0)
    with pytest.raises(InvalidInputError, match=r"shape \(n_features,\)"):
        learner.process(np.zeros((1, 4)), 0)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_item(bad):
    learner = StreamLearner("sgd", "random", classes=[0, 1])
    with pytest.raises(InvalidInputError, match="NaN or infinity"):
        learner.process(np.array([1.0, bad]), 0)
    X, y = two_blobs(20)
    X[5, 1] = bad
    with pytest.raises(InvalidInputError, match="NaN or infinity"):
        run_stream(X, y)


def test_label_outside_fixed_classes():
    learner = StreamLearner("sgd", "variable_uncertainty", classes=["a", "b"], budget=1.0)
    with pytest.raises(InvalidInputError, match="label 'c' is not one of the stream's classes"):
        learner.process(np.zeros(2), "c")
    X, y = two_blobs(20)
    with pytest.raises(InvalidInputError, match=r"labels \[1\] that are not in classes"):
        run_stream(X, y, classes=[0, 2])


def test_empty_and_malformed_streams():
    with pytest.raises(InvalidInputError, match="the stream is empty"):
        run_stream(np.zeros((0, 3)), np.zeros(0))
    with pytest.raises(InvalidInputError, match="one label per item"):
        run_stream(np.zeros((5, 3)), np.zeros(4))
    with pytest.raises(InvalidInputError, match="at least two classes"):
        run_stream(np.zeros((5, 3)), np.zeros(5))
    with pytest.raises(InvalidInputError, match="2-D"):
        run_stream(np.zeros(5), np.zeros(5))
    with pytest.raises(InvalidInputError, match="at least two distinct"):
        StreamLearner("sgd", "random", classes=[1])
    X, y = two_blobs(20)
    with pytest.raises(InvalidInputError, match="checkpoint_every"):
        run_stream(X, y, checkpoint_every=0)


def test_budget_and_names_errors():
    X, y = two_blobs(20)
    with pytest.raises(InvalidInputError, match=r"\(0, 1\]"):
        run_stream(X, y, budget=1.5)
    with pytest.raises(UnknownNameError, match="unknown stream selector 'splitt'"):
        run_stream(X, y, selector="splitt")
    with pytest.raises(UnknownNameError, match="unknown stream model 'sgdd'.*'sgd'"):
        run_stream(X, y, model="sgdd")


def test_model_errors():
    with pytest.raises(InvalidInputError, match="classifier with partial_fit"):
        make_stream_model(object())
    from sklearn.svm import SVC

    with pytest.raises(InvalidInputError, match="partial_fit"):
        make_stream_model(SVC())
    X, y = two_blobs(30)
    with pytest.raises(InvalidInputError, match="non-negative features"):
        run_stream(X - 5, y, model="multinomial_nb", selector="random", budget=1.0)


def test_river_missing_gives_a_clear_error(monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "river", None)  # `import river` now raises ImportError
    with pytest.raises(InvalidInputError, match=r"needs River: pip install 'activelab\[tasks\]'"):
        make_stream_model("hoeffding_tree")
    make_stream_model("sgd")  # scikit-learn models need no River


def test_estimators_and_instances_are_accepted():
    from sklearn.linear_model import SGDClassifier

    X, y = two_blobs(80)
    proto = SGDClassifier(loss="log_loss")
    res = run_stream(X, y, model=proto, selector=make_selector("split", budget=0.2),
                     random_state=0)
    assert res.strategy == "split" and res.labels[-1] > 0
    assert not hasattr(proto, "coef_")  # the prototype was cloned, never fitted
    with pytest.raises(InvalidInputError, match="not next to a selector instance"):
        StreamLearner("sgd", make_selector("split"), classes=[0, 1], v=0.5)
