"""Small shared inputs for the stream tests."""

from __future__ import annotations

import numpy as np
import pytest


def two_blobs(n: int = 200, seed: int = 0, d: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """A tiny binary stream: two Gaussian blobs, shuffled."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    X = rng.normal(size=(n, d)) + 1.5 * y[:, None]
    return X, y


@pytest.fixture
def blobs() -> tuple[np.ndarray, np.ndarray]:
    return two_blobs()
