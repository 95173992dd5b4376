"""What a user without a test set would have seen during a simulated run: the estimated accuracy
with its 90 % interval after every round, and the label count at which each stopping rule first
fired.

Computed after `simulate`, from the rows it selected, without touching the strategy: round r's
model is refitted on the rows labeled by then (the same fit as the loop's: same factory, rows and
seed). The held-out split's true labels are never used here.

The stop set (Bloodgood & Vijay-Shanker's unlabeled agreement set) is the held-out split's
*features* (at most 2,000 rows, drawn once per seed): rows no strategy can pick, so it can never
be labeled, and whose labels it does not need.
"""

from __future__ import annotations

import numpy as np

from .._validation import n_rows, take_rows
from ..estimate import estimate_accuracy
from ..models import SklearnModel, predict_labels
from ..stopping import StoppingMonitor

#: Fewest labels an estimate is made from (one per cross-validation fold).
MIN_LABELS = 5
#: Size of the stop set (Bloodgood & Vijay-Shanker 2009 used 2,000 unlabeled rows).
STOP_SET_SIZE = 2000


def stop_set_rows(n_test: int, seed: int, size: int = STOP_SET_SIZE) -> np.ndarray:
    """Rows of the held-out split used as the stop set (all of them up to `size`)."""
    if n_test <= size:
        return np.arange(n_test)
    return np.sort(np.random.default_rng([seed, 14]).choice(n_test, size, replace=False))


def monitor_run(X_pool, y_pool, X_test, selected, labels, model, classes, seed: int, *,
                random_rounds: int | None = 1) -> dict:
    """Per-round accuracy estimates and stopping-rule firings of one simulated run.

    Parameters
    ----------
    X_pool, y_pool : the pool and its labels (only the selected rows' labels are read).
    X_test : the held-out features (the stop set is drawn from them; their labels are not used).
    selected, labels : `SimulationResult.selected` and `.labels` (round 0 = the seed set).
    model : the unfitted scikit-learn classifier of the run.
    random_rounds : how many leading rounds were drawn uniformly from the pool (1: the random
        seed set; None: every round, the `random` strategy; 0: none — the estimate then assumes
        selection ignorable given confidence and is marked unreliable).

    Returns
    -------
    dict with ``estimated_accuracy`` and ``estimated_accuracy_ci`` (one entry per round; None
    where the labels hold a single class or
    fewer than 5 rows) and ``stopping`` ({rule: labels or None}).
    """
    factory = SklearnModel(model)
    y_pool = np.asarray(y_pool)
    X_stop = take_rows(X_test, stop_set_rows(n_rows(X_test), seed))
    labeled = np.zeros(y_pool.shape[0], dtype=bool)
    monitor = StoppingMonitor()
    estimates: list[float | None] = []
    intervals: list[list[float] | None] = []
    is_random = np.zeros(y_pool.shape[0], dtype=bool)
    for r, (idx, n_labels) in enumerate(zip(selected, labels, strict=True)):
        labeled[np.asarray(idx, dtype=np.intp)] = True
        if random_rounds is None or r < random_rounds:
            is_random[np.asarray(idx, dtype=np.intp)] = True
        lab = np.flatnonzero(labeled)
        if lab.size < MIN_LABELS or np.unique(y_pool[lab]).shape[0] < 2:
            estimates.append(None)
            intervals.append(None)
            continue
        fitted = factory.fit(X_pool, y_pool, lab, classes, random_state=seed)
        X_unl = take_rows(X_pool, np.flatnonzero(~labeled))
        rnd = is_random[lab]
        est = estimate_accuracy(take_rows(X_pool, lab), y_pool[lab], X_unl, model,
                                random=rnd if rnd.sum() >= 2 else None, fitted=fitted,
                                classes=classes, random_state=seed)
        estimates.append(est.accuracy)
        intervals.append([est.low, est.high])
        monitor.update(int(n_labels), stop_predictions=predict_labels(fitted, X_stop),
                       pool_proba=fitted.predict_proba(X_unl), accuracy=est.accuracy,
                       accuracy_ci=(est.low, est.high))
    return {"estimated_accuracy": estimates, "estimated_accuracy_ci": intervals,
            "stopping": dict(monitor.fired_)}
