"""Shared fixtures: small pools built from scikit-learn's bundled or generated data."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.datasets import make_classification
from threadpoolctl import threadpool_limits

from activelab import UNLABELED


def make_pool(n=120, n_features=6, n_classes=3, n_labeled=15, seed=0):
    """A small pool with `n_labeled` labeled rows covering every class."""
    X, y_true = make_classification(
        n_samples=n, n_features=n_features, n_informative=4, n_redundant=0,
        n_classes=n_classes, n_clusters_per_class=1, random_state=seed,
    )
    rng = np.random.default_rng(seed)
    lab = np.concatenate([np.flatnonzero(y_true == c)[:2] for c in range(n_classes)])
    rest = np.setdiff1d(np.arange(n), lab)
    lab = np.concatenate([lab, rng.choice(rest, n_labeled - lab.size, replace=False)])
    y = np.full(n, UNLABELED)
    y[lab] = y_true[lab]
    return X, y, y_true


@pytest.fixture(autouse=True, scope="session")
def _one_blas_thread():
    """One BLAS/OpenMP thread in the test process: its arrays are small, and on CI's two cores a
    second BLAS thread only spins against the suite's other processes (servers, workers,
    PostgreSQL). tests/test_cli.py: 177 s -> 81 s wall, 67 s -> 32 s CPU. Subprocesses (servers,
    Ray nodes, joblib workers) keep their own settings."""
    with threadpool_limits(limits=1):
        yield


@pytest.fixture
def pool():
    return make_pool()


def pytest_collection_modifyitems(config, items):
    """Under pytest-xdist (`make test`: a worker per core, up to 4, `--dist loadgroup`) the Ray
    tests stay on one worker: they share one session Ray (or start clusters of their own), and
    two local Rays at once would double the memory and the CPUs Ray assumes it has."""
    for item in items:
        if "distributed" in item.path.parts:
            item.add_marker(pytest.mark.xdist_group("ray"))
