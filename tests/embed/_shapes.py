"""Tiny synthetic image sets and encoders for the embedding tests."""

from __future__ import annotations

import numpy as np


def shapes(n: int = 200, size: int = 16, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """`n` grayscale uint8 images (n, size, size): even rows a filled square, odd rows a hollow
    ring, each at a random place and scale, on a noisy background; returns (images, kind)."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[:size, :size]
    X = rng.normal(30, 12, size=(n, size, size))
    kind = np.arange(n) % 2
    for i in range(n):
        r = rng.uniform(size * 0.2, size * 0.32)
        cy, cx = rng.uniform(r + 1, size - r - 1, size=2)
        if kind[i] == 0:
            mask = (np.abs(yy - cy) <= r * 0.8) & (np.abs(xx - cx) <= r * 0.8)
        else:
            d = np.hypot(yy - cy, xx - cx)
            mask = np.abs(d - r) <= 0.9
        X[i][mask] = rng.uniform(180, 240)
    return np.clip(X, 0, 255).astype(np.uint8), kind


def mean_pixels(data, scale: float = 1.0) -> np.ndarray:
    """A user encoder for `method="tests.embed._shapes:mean_pixels"`: per-image row means."""
    X = np.asarray(data, dtype=np.float64).reshape(len(data), -1)
    return np.stack([X.mean(1), X.std(1)], axis=1) * scale


def wrong_rows(data) -> np.ndarray:
    return np.zeros((len(data) - 1, 3))


def not_finite(data) -> np.ndarray:
    out = np.zeros((len(data), 3))
    out[1, 2] = np.nan
    return out


def text_lengths(data) -> list:
    return [[len(t), t.count(" ")] for t in data]
