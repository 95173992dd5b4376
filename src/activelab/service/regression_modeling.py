"""The retrain worker's round for a regression project, on `activelab.regression` (the code its
simulator and runner use): the target vector y (n_items,) holds the resolved items' numbers and
NaN elsewhere; `rank_regression_pool` ranks the queue with the project's regression strategy
(`propose_regression`, the same picks as `query_regression` on the same labels and seed) and
predicts each queued item with the project's regressor (`predict`, and `predict_std` when the
model has one: the page shows them); `fit_figures` are what the progress page can say of the fit
without a test set: the in-sample R² and a k-fold cross-validated R² on the labels.

Features are standardized with the pool's statistics first, as for classification
(`activelab.models.scale_pool`; the registered regressors expect it). Until two labeled items
have different numbers no model can learn anything: the queue is then ranked by ``greedy_x``
(far from every labeled item; the centroid first), which needs no model.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from .._errors import ColdStartError
from .._validation import take_rows
from ..models import scale_pool

__all__ = ["RegressionRanking", "RegressionServiceLoop", "describe_fit", "fit_figures",
           "rank_regression_pool", "value_vector"]

COLD_START = "greedy_x"  # label-free: spreads the first labels over the data
CV_FOLDS = 5
CV_MAX_LABELS = 5000  # above this the cross-validated R² is left out (five more fits)


class RegressionServiceLoop:
    """The pool a regression project's worker ranks: its features, standardized once. (No
    state between retrains: the regression strategies are not adaptive.)"""

    def __init__(self, X, random_state: int = 0) -> None:
        self.X_raw = X
        self.random_state = random_state
        self._X = None
        self._lock = threading.Lock()

    @property
    def X(self):
        """The model's features: the pool standardized with its own statistics, once."""
        with self._lock:
            if self._X is None:
                self._X = scale_pool(self.X_raw)[0]
            return self._X

    def set_classes(self, n_classes: int) -> None:
        """A regression project has no label set (`labelset` refuses additions)."""


@dataclass(frozen=True)
class RegressionRanking:
    """The queue: unlabeled pool positions, best first, their scores (None for random order),
    and the model's prediction (and predictive std) for each, None without a model."""

    idx: np.ndarray
    scores: np.ndarray | None
    strategy: str
    value: np.ndarray | None = None
    std: np.ndarray | None = None
    fitted: object | None = None


def value_vector(labeled: dict, n_items: int) -> np.ndarray:
    """y (n_items,): each resolved item's number (item_idx → the event of its current answer),
    NaN elsewhere."""
    y = np.full(n_items, np.nan)
    for idx, ev in labeled.items():
        if ev.value is not None:
            y[idx] = float(ev.value)
    return y


def _learnable(y: np.ndarray) -> bool:
    """Two labeled items with different numbers: a model can learn something."""
    known = y[np.isfinite(y)]
    return known.size >= 2 and bool(np.ptp(known) > 0)


def rank_regression_pool(service_loop: RegressionServiceLoop, y: np.ndarray, strategy: str,
                         model: str, queue_size: int, seed: int) -> RegressionRanking:
    """The next `queue_size` items to label, ranked by the regression `strategy` (seeded with
    `seed`), with the `model`'s predictions for them."""
    from ..regression import as_regressor_factory, propose_regression

    X = service_loop.X
    unlabeled = np.flatnonzero(~np.isfinite(y))
    k = min(int(queue_size), unlabeled.shape[0])
    if k == 0:
        return RegressionRanking(np.empty(0, dtype=np.intp), None, strategy)
    try:
        sel = propose_regression(X, y, strategy=strategy, model=model, batch_size=k,
                                 random_state=seed)
        used = strategy
    except ColdStartError:
        sel = propose_regression(X, y, strategy=COLD_START, batch_size=k, random_state=seed)
        used = f"{COLD_START} (cold start)"
    idx = np.asarray(sel.idx, dtype=np.intp)
    scores = sel.chosen_scores()
    ranking = RegressionRanking(idx, None if scores is None else np.asarray(scores, np.float64),
                                used)
    if not _learnable(y):
        return ranking
    fitted = as_regressor_factory(model).fit(X, y, np.flatnonzero(np.isfinite(y)),
                                             random_state=seed)
    rows = take_rows(X, idx)
    std = getattr(fitted, "predict_std", None)
    return RegressionRanking(ranking.idx, ranking.scores, used, fitted.predict(rows),
                             None if std is None else std(rows), fitted)


def fit_figures(service_loop: RegressionServiceLoop, y: np.ndarray, fitted, model: str,
                seed: int) -> dict:
    """What can be said of the fit without a test set: the in-sample R² of `fitted` on the
    labeled items and, with 10 to `CV_MAX_LABELS` labels, the R² of a `CV_FOLDS`-fold
    cross-validation (out-of-fold predictions of the same model)."""
    from sklearn.metrics import r2_score
    from sklearn.model_selection import KFold

    from ..regression import as_regressor_factory

    labeled = np.flatnonzero(np.isfinite(y))
    out = {"n_labels": int(labeled.size), "r2_in_sample": None, "r2_cv": None, "cv_folds": None}
    if fitted is None or not _learnable(y):
        return out
    X = service_loop.X
    out["r2_in_sample"] = float(r2_score(y[labeled], fitted.predict(take_rows(X, labeled))))
    if not 10 <= labeled.size <= CV_MAX_LABELS:
        return out
    factory = as_regressor_factory(model)
    predicted = np.empty(labeled.size)
    for train, test in KFold(CV_FOLDS, shuffle=True, random_state=seed).split(labeled):
        if not _learnable(y[labeled[train]]):
            return out
        fold = factory.fit(X, y, labeled[train], random_state=seed)
        predicted[test] = fold.predict(take_rows(X, labeled[test]))
    out["r2_cv"], out["cv_folds"] = float(r2_score(y[labeled], predicted)), CV_FOLDS
    return out


def describe_fit(figures: dict) -> str:
    """The progress page's words for `fit_figures`."""
    parts = []
    if figures["r2_in_sample"] is not None:
        parts.append(f"in-sample R² {figures['r2_in_sample']:.3f}")
    if figures["r2_cv"] is not None:
        parts.append(f"{figures['cv_folds']}-fold cross-validated R² {figures['r2_cv']:.3f}")
    fit = (f"Regression model on {figures['n_labels']} labels: {', '.join(parts)}. "
           if parts else f"No regression model yet ({figures['n_labels']} labels: it needs two "
                         "different numbers). ")
    return (fit + "The accuracy estimate, the stopping rules and the forecast are for "
                  "classification projects.")
