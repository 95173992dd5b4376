"""Small regression pools for the tests (no fixtures shared with classification)."""

from __future__ import annotations

import numpy as np


def make_regression_pool(n=60, d=3, n_labeled=12, seed=0, noise=0.1):
    """(X, y with NaN for unlabeled rows, the true targets): y = a nonlinear function of X."""
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    y_true = np.sin(X[:, 0]) + 0.5 * X[:, 1] ** 2 - X[:, -1] + noise * rng.normal(size=n)
    y = np.full(n, np.nan)
    lab = rng.choice(n, size=n_labeled, replace=False)
    y[lab] = y_true[lab]
    return X, y, y_true
