"""Real regression tables that load offline: scikit-learn's diabetes and two tables river ships.

Each loader returns ``(X, y)``: X float64 of shape (n, d) with categorical columns one-hot encoded
and identifier columns dropped, y float64 of shape (n,). Nothing is downloaded: the river tables
are read from the CSV files inside the installed river package (extra ``tasks``).
"""

from __future__ import annotations

import csv
import gzip
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .._errors import InvalidInputError, UnknownNameError


@dataclass(frozen=True)
class RegressionDataset:
    """What `regression_datasets()` says about one table."""

    name: str
    n_samples: int
    n_features: int
    target: str
    source: str


def _river_file(filename: str) -> Path:
    spec = importlib.util.find_spec("river")
    if spec is None or not spec.submodule_search_locations:
        raise InvalidInputError(
            "this dataset ships with river; install the extra: pip install 'activelab[tasks]'.")
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / filename
    if not path.is_file():
        raise InvalidInputError(f"river's file {path} is missing; reinstall river (extra 'tasks').")
    return path


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", newline="") as fh:
        rows = list(csv.reader(fh))
    return rows[0], rows[1:]


def load_diabetes() -> tuple[np.ndarray, np.ndarray]:
    """Diabetes progression one year after baseline from 10 baseline variables (442 patients;
    Efron, Hastie, Johnstone & Tibshirani 2004), as scikit-learn ships it, unscaled."""
    from sklearn.datasets import load_diabetes as _load

    X, y = _load(return_X_y=True, scaled=False)
    return np.asarray(X, dtype=np.float64), np.asarray(y, dtype=np.float64)


def load_trump_approval() -> tuple[np.ndarray, np.ndarray]:
    """FiveThirtyEight's modelled approval rating of Donald Trump (1,001 days) from the day
    (days since the first) and the ratings of 5 polling agencies (river's TrumpApproval)."""
    header, rows = _read_csv(_river_file("trump_approval.csv.gz"))
    data = np.asarray(rows, dtype=np.float64)
    target = header.index("five_thirty_eight")
    X = np.delete(data, target, axis=1)
    day = header.index("ordinal_date")
    X[:, day] -= X[:, day].min()
    return X, data[:, target]


def load_chick_weights() -> tuple[np.ndarray, np.ndarray]:
    """Weight (g) of chicks on 4 diets from age in days and diet, one-hot (578 weighings; R's
    ChickWeight, Crowder & Hand 1990; river's ChickWeights). The chick's id is dropped."""
    header, rows = _read_csv(_river_file("chick-weights.csv"))
    data = np.asarray(rows, dtype=np.float64)
    col = {name: i for i, name in enumerate(header)}
    diet = data[:, col["diet"]].astype(int)
    levels = np.unique(diet)
    onehot = (diet[:, None] == levels[None, :]).astype(np.float64)
    X = np.column_stack([data[:, col["time"]], onehot])
    return X, data[:, col["weight"]]


_LOADERS: dict[str, tuple[Callable[[], tuple[np.ndarray, np.ndarray]], str, str]] = {
    "diabetes": (load_diabetes, "disease progression",
                 "scikit-learn (Efron et al. 2004, Least Angle Regression, Ann. Statist.)"),
    "trump_approval": (load_trump_approval, "FiveThirtyEight approval %",
                       ("river TrumpApproval (FiveThirtyEight, projects.fivethirtyeight.com/"
                        "trump-approval-ratings)")),
    "chick_weights": (load_chick_weights, "weight (g)",
                      ("river ChickWeights (R datasets::ChickWeight; Crowder & Hand 1990, "
                       "Analysis of Repeated Measures)")),
}


def regression_dataset_names() -> list[str]:
    """Names `load_regression_dataset` knows, sorted."""
    return sorted(_LOADERS)


def load_regression_dataset(name: str) -> tuple[np.ndarray, np.ndarray]:
    """(X, y) of a registered regression table (see `regression_dataset_names`)."""
    if not isinstance(name, str) or name not in _LOADERS:
        raise UnknownNameError("regression dataset", str(name), _LOADERS)
    return _LOADERS[name][0]()


def regression_datasets() -> list[RegressionDataset]:
    """Name, size, target and source of every registered table (loads each once)."""
    out = []
    for name in regression_dataset_names():
        loader, target, source = _LOADERS[name]
        X, _ = loader()
        out.append(RegressionDataset(name, int(X.shape[0]), int(X.shape[1]), target, source))
    return out
