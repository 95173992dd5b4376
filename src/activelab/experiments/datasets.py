"""Datasets that work offline: scikit-learn's bundled ones, synthetic generators, and user files
(CSV, Parquet, NPZ)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
from sklearn import datasets as skd

from .._errors import InvalidInputError, UnknownNameError


def _bundled(loader) -> Callable[[int], tuple[np.ndarray, np.ndarray]]:
    return lambda seed: loader(return_X_y=True)


def _synthetic(**kw) -> Callable[[int], tuple[np.ndarray, np.ndarray]]:
    # The generator's seed is fixed so every experiment seed sees the same data;
    # experiment seeds vary the split, the seed set and the strategy's randomness.
    return lambda seed: skd.make_classification(random_state=0, **kw)


_DATASETS: dict[str, tuple[str, Callable[[int], tuple[np.ndarray, np.ndarray]]]] = {
    "digits": ("8x8 handwritten digits, 1,797 × 64, 10 classes (scikit-learn)", _bundled(skd.load_digits)),
    "breast_cancer": ("Wisconsin breast cancer, 569 × 30, 2 classes (scikit-learn)", _bundled(skd.load_breast_cancer)),
    "wine": ("Wine recognition, 178 × 13, 3 classes (scikit-learn)", _bundled(skd.load_wine)),
    "iris": ("Iris, 150 × 4, 3 classes (scikit-learn)", _bundled(skd.load_iris)),
    "synthetic_easy": ("make_classification 2,000 × 20, 2 classes, well separated",
                       _synthetic(n_samples=2000, n_features=20, n_informative=5, class_sep=2.0)),
    "synthetic_hard": ("make_classification 2,000 × 20, 3 classes, overlapping, 5% label noise",
                       _synthetic(n_samples=2000, n_features=20, n_informative=5, n_classes=3,
                                  class_sep=0.7, flip_y=0.05)),
    "synthetic_imbalanced": ("make_classification 2,000 × 20, 2 classes at 1:9",
                             _synthetic(n_samples=2000, n_features=20, n_informative=5,
                                        weights=[0.9, 0.1])),
    "synthetic_many_classes": ("make_classification 3,000 × 30, 15 classes",
                               _synthetic(n_samples=3000, n_features=30, n_informative=15,
                                          n_classes=15, n_clusters_per_class=1)),
}


def dataset_names() -> list[str]:
    return sorted(_DATASETS)


def describe_datasets() -> dict[str, str]:
    return {name: desc for name, (desc, _) in sorted(_DATASETS.items())}


def load_dataset(name: str | None = None, *, data: str | Path | None = None,
                 target: str | None = None, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """(X, y) of a built-in dataset by `name`, or of a user file `data` with label column `target`."""
    if data is not None:
        return load_file(data, target)
    if name is None:
        raise InvalidInputError("give a dataset name or a data file.")
    if name not in _DATASETS:
        raise UnknownNameError("dataset", name, _DATASETS)
    X, y = _DATASETS[name][1](seed)
    return np.asarray(X, dtype=np.float64), np.asarray(y)


def load_file(path: str | Path, target: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Features and labels from a CSV, Parquet or NPZ file."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInputError(f"data file {str(path)!r} does not exist.")
    if path.stat().st_size == 0:
        raise InvalidInputError(f"data file {str(path)!r} is empty.")
    suffix = path.suffix.lower()
    if suffix == ".npz":
        return _load_npz(path, target or "y")
    if suffix not in {".csv", ".parquet", ".pq"}:
        raise InvalidInputError(
            f"unsupported data file type {suffix!r}; use .csv, .parquet or .npz."
        )
    if not target:
        raise InvalidInputError(f"{path.name}: name the label column with --target.")
    import pandas as pd

    try:
        frame = pd.read_csv(path) if suffix == ".csv" else pd.read_parquet(path)
    except (pd.errors.EmptyDataError, pd.errors.ParserError, OSError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InvalidInputError(f"cannot read {path.name}: {first}") from exc
    if frame.shape[0] == 0:
        raise InvalidInputError(f"{path.name} has a header but no rows.")
    if target not in frame.columns:
        raise InvalidInputError(
            f"{path.name} has no column {target!r}; columns are: {', '.join(map(str, frame.columns))}."
        )
    y = frame[target]
    if y.isna().any():
        raise InvalidInputError(
            f"{path.name}: the target column {target!r} has {int(y.isna().sum())} empty values; "
            "a simulated oracle needs every label."
        )
    features = frame.drop(columns=[target])
    if features.shape[1] == 0:
        raise InvalidInputError(f"{path.name} has no feature columns besides {target!r}.")
    categorical = features.select_dtypes(exclude="number").columns
    if len(categorical):  # one-hot encode text/categorical columns
        features = pd.get_dummies(features, columns=list(categorical), dtype=float)
    return features.to_numpy(dtype=np.float64), y.to_numpy()


def _load_npz(path: Path, target: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as npz:
            keys = list(npz.keys())
            if "X" not in keys or target not in keys:
                raise InvalidInputError(
                    f"{path.name} must hold arrays 'X' and {target!r}; it holds {keys}."
                )
            return np.asarray(npz["X"], dtype=np.float64), np.asarray(npz[target])
    except (OSError, ValueError) as exc:
        if isinstance(exc, InvalidInputError):
            raise
        raise InvalidInputError(f"cannot read {path.name}: not a valid .npz file ({exc}).") from exc
