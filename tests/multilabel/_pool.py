"""Small multi-label pools for the tests (scikit-learn's generator; no file, no network)."""

from __future__ import annotations

import numpy as np
from sklearn.datasets import make_multilabel_classification

from activelab import UNLABELED


def make_ml_pool(n=60, n_features=5, n_labels=3, n_labeled=12, seed=0):
    """(X, Y with unlabeled rows, Y_true): the first `n_labeled` rows of a shuffled draw labeled,
    chosen so that every label column takes both values among them."""
    X, Y_true = make_multilabel_classification(
        n_samples=n, n_features=n_features, n_classes=n_labels, n_labels=2,
        allow_unlabeled=True, random_state=seed)
    rng = np.random.default_rng(seed)
    for _ in range(100):
        lab = rng.choice(n, n_labeled, replace=False)
        if (Y_true[lab].min(axis=0) != Y_true[lab].max(axis=0)).all():
            break
    Y = np.full(Y_true.shape, UNLABELED, dtype=np.int64)
    Y[lab] = Y_true[lab]
    return X.astype(np.float64), Y, Y_true.astype(np.int64)
