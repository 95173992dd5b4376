"""Prequential (test-then-train) evaluation of a stream selector: `run_stream`."""

from __future__ import annotations

import math
import time
from collections.abc import Callable

import numpy as np

from .._errors import InvalidInputError
from .._tasks import TaskResult
from .._validation import check_finite
from ._learner import StreamLearner


def check_stream(X, y, classes=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """X as a finite float (n, d) array, y as (n,), and the classes; clear errors otherwise."""
    try:
        X = np.asarray(X, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"a stream's X must be numeric features ({exc}).") from exc
    if X.ndim != 2:
        raise InvalidInputError(f"X must be 2-D, one row per item; got shape {X.shape}.")
    if X.shape[0] == 0:
        raise InvalidInputError("the stream is empty: X has no items; pass at least one row.")
    y = np.asarray(y)
    if y.ndim != 1 or y.shape[0] != X.shape[0]:
        raise InvalidInputError(
            f"y must hold one label per item: X has {X.shape[0]} items, y has shape {y.shape}.")
    check_finite(X, "the stream's X")
    present = np.unique(y)
    if classes is None:
        classes = present
    else:
        classes = np.unique(np.asarray(classes))
        extra = np.setdiff1d(present, classes)
        if extra.size:
            raise InvalidInputError(
                f"y holds labels {extra.tolist()[:5]!r} that are not in classes "
                f"{classes.tolist()!r}; pass classes= with every label.")
    if classes.size < 2:
        raise InvalidInputError(
            f"a stream needs at least two classes; y holds only {classes.tolist()!r} (pass "
            "classes= with every label the stream can carry).")
    return X, y, classes


def run_stream(
    X, y, *, selector="variable_uncertainty", model="sgd", budget: float = 0.1,
    random_state=None, checkpoint_every: int | None = None, window: int = 200, classes=None,
    on_checkpoint: Callable[[int, TaskResult], None] | None = None, **selector_params,
) -> TaskResult:
    """Replay a labeled stream through a selector, test-then-train, and record curves.

    Every item is first predicted by the current model (scored against its true label), then
    the selector decides; only a queried item's label is learned. The run is the same as
    driving `StreamLearner.process` item by item; here probabilities are computed for runs of
    items between two queries at once (the model only changes when it learns).

    Parameters
    ----------
    X : array-like of shape (n_items, n_features), in stream order.
    y : array-like of shape (n_items,), revealed only for queried items (and for scoring).
    selector : name (`stream_selector_names()`) or `StreamSelector`.
    model : name (`stream_model_names()`), scikit-learn estimator with partial_fit, or River
        classifier.
    budget : labeling rate in (0, 1].
    random_state : int or None — the selector's randomness and the model's seed.
    checkpoint_every : items between checkpoints (default ⌈n/100⌉); the last item always is one.
    window : items in `windowed_accuracy`.
    classes : every label (default: those in y).
    on_checkpoint : called with (checkpoint number, result so far).
    **selector_params : the selector's parameters.

    Returns
    -------
    TaskResult with task "stream", x = items seen at each checkpoint, labels = labels spent,
    metrics prequential_accuracy (cumulative), windowed_accuracy (last `window` items) and
    label_rate (labels / items); selected = item positions queried since the previous
    checkpoint; select_seconds (prediction + decisions) and fit_seconds (learning) per interval.
    """
    X, y, classes = check_stream(X, y, classes)
    n = X.shape[0]
    if checkpoint_every is None:
        checkpoint_every = max(1, math.ceil(n / 100))
    for name, value in (("checkpoint_every", checkpoint_every), ("window", window)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise InvalidInputError(f"{name} must be a positive integer; got {value!r}.")
    learner = StreamLearner(model, selector, classes=classes, budget=budget,
                            random_state=random_state, **selector_params)
    learner.check_item(X[0])
    result = TaskResult(task="stream", strategy=learner.selector.name or str(selector),
                        x_name="items")
    correct = np.zeros(n, dtype=bool)
    block = 1 if not getattr(learner.model, "batched", False) else int(
        min(512, max(4, math.ceil(4 / learner.selector.budget_.budget))))
    sel_s = fit_s = 0.0
    picked: list[int] = []
    i = 0
    while i < n:
        j = min(n, i + block)
        t0 = time.perf_counter()
        P = learner.predict_proba(X[i:j])
        sel_s += time.perf_counter() - t0
        k = i
        while k < j:
            t0 = time.perf_counter()
            step = learner._decide(X[k], None if P is None else P[k - i])
            sel_s += time.perf_counter() - t0
            correct[k] = step.prediction is not None and step.prediction == y[k]
            k += 1
            if step.queried:
                t0 = time.perf_counter()
                learner.teach(step, y[k - 1])
                fit_s += time.perf_counter() - t0
                picked.append(k - 1)
            if k % checkpoint_every == 0 or k == n:
                _checkpoint(result, correct, k, window, learner, picked, sel_s, fit_s)
                sel_s = fit_s = 0.0
                picked = []
                if on_checkpoint is not None:
                    on_checkpoint(len(result.x) - 1, result)
            if step.queried:
                break  # the model changed: predict the rest anew
        i = k
    return result


def _checkpoint(result: TaskResult, correct: np.ndarray, t: int, window: int,
                learner: StreamLearner, picked: list[int], sel_s: float, fit_s: float) -> None:
    result.x.append(t)
    result.labels.append(learner.n_labels_)
    m = result.metrics
    m.setdefault("prequential_accuracy", []).append(float(correct[:t].mean()))
    m.setdefault("windowed_accuracy", []).append(float(correct[max(0, t - window):t].mean()))
    m.setdefault("label_rate", []).append(learner.n_labels_ / t)
    result.selected.append(list(picked))
    result.select_seconds.append(sel_s)
    result.fit_seconds.append(fit_s)
    result.info.append(learner.selector.state())
