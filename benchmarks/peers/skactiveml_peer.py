"""scikit-activeml (1.0.x): UncertaintySampling (margin, entropy), CoreSet, Badge, TypiClust.

Every query gets the whole pool ``X`` and ``y`` with NaN for unlabeled rows (the library's
convention) and, where it needs one, a fitted classifier (``fit_clf=False``) that returns the
precomputed candidate probabilities. Its TypiClust clusters into |L| + B groups with plain
KMeans (activelab caps the clusters at the paper's 500 and switches to MiniBatchKMeans on large
pools); it has no information-density strategy.
"""

from __future__ import annotations

import numpy as np
from skactiveml.base import SkactivemlClassifier
from skactiveml.pool import Badge, CoreSet, TypiClust, UncertaintySampling

from . import Pool


class _Fitted(SkactivemlClassifier):
    """An already 'fitted' classifier: predict_proba returns the pool's candidate probabilities."""

    def __init__(self, proba=None, classes=None, missing_label=np.nan, cost_matrix=None,
                 random_state=None):
        super().__init__(classes=classes, missing_label=missing_label, cost_matrix=cost_matrix,
                         random_state=random_state)
        self.proba = proba

    def fit(self, X, y, sample_weight=None):
        return self

    def predict_proba(self, X, **kwargs):
        if X.shape[0] != self.proba.shape[0]:
            raise RuntimeError(f"asked for {X.shape[0]} rows, have {self.proba.shape[0]}")
        return self.proba


def _clf(pool: Pool) -> _Fitted:
    clf = _Fitted(proba=pool.proba, classes=np.arange(pool.n_classes))
    clf.classes_ = np.arange(pool.n_classes)
    return clf


def _uncertainty(method: str):
    def fn(pool: Pool, batch_size: int, seed: int) -> np.ndarray:
        qs = UncertaintySampling(method=method, random_state=seed)
        return np.asarray(qs.query(pool.X, pool.y_nan(), clf=_clf(pool), fit_clf=False,
                                   batch_size=batch_size), dtype=np.intp)

    return fn


def coreset(pool: Pool, batch_size: int, seed: int) -> np.ndarray:
    return np.asarray(CoreSet(random_state=seed).query(pool.X, pool.y_nan(), batch_size=batch_size),
                      dtype=np.intp)


def badge(pool: Pool, batch_size: int, seed: int) -> np.ndarray:
    qs = Badge(random_state=seed)
    return np.asarray(qs.query(pool.X, pool.y_nan(), clf=_clf(pool), fit_clf=False,
                               batch_size=batch_size), dtype=np.intp)


def typiclust(pool: Pool, batch_size: int, seed: int) -> np.ndarray:
    return np.asarray(TypiClust(random_state=seed).query(pool.X, pool.y_nan(), batch_size=batch_size),
                      dtype=np.intp)


IMPLEMENTATIONS = {
    "margin": _uncertainty("margin_sampling"), "entropy": _uncertainty("entropy"),
    "coreset": coreset, "badge": badge, "typiclust": typiclust,
}
