"""Checks for multi-label inputs: the (n, L) indicator matrix, its unlabeled rows, the seed set.

One convention: a row is labeled (every entry 0 or 1) or unlabeled (every entry
`activelab.UNLABELED`, −1). Partially known rows are refused, not guessed.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from .._errors import ColdStartError, InvalidInputError
from .._labels import UNLABELED


def _rows(rows: np.ndarray, limit: int = 10) -> str:
    shown = ", ".join(str(int(r)) for r in rows[:limit])
    return shown + (f", … ({rows.size} rows)" if rows.size > limit else "")


def check_label_matrix(Y, *, n_labels: int | None = None, label_names=None,
                       name: str = "Y") -> tuple[np.ndarray, np.ndarray]:
    """Validate a multi-label indicator matrix; return (Y as int64 copy, labeled row mask).

    Parameters
    ----------
    Y : array-like or sparse matrix of shape (n_samples, n_labels)
        1 = the label applies, 0 = it does not, `UNLABELED` (−1) in every column = row not
        labeled yet. A row of zeros (no label applies) is a valid label.
    n_labels : expected width, optional.
    label_names : sequence of str, optional; its length is the expected width.
    name : how the message calls the matrix.
    """
    if sp.issparse(Y):
        Y = Y.toarray()
    arr = np.asarray(Y)
    if arr.ndim != 2:
        raise InvalidInputError(
            f"{name} must be a 2-D indicator matrix of shape (n_samples, n_labels); got shape "
            f"{arr.shape}. For one class per row use activelab.simulate / activelab.query."
        )
    if arr.shape[1] == 0:
        raise InvalidInputError(f"{name} has no label columns; a multi-label task needs at least one.")
    if label_names is not None and n_labels is None:
        n_labels = len(label_names)
    if n_labels is not None and arr.shape[1] != n_labels:
        what = f"the {n_labels} label names" if label_names is not None else f"{n_labels} labels"
        raise InvalidInputError(
            f"{name} has {arr.shape[1]} columns but the task has {what}; pass one column per label."
        )
    if arr.dtype.kind == "b":
        return arr.astype(np.int64), np.ones(arr.shape[0], dtype=bool)
    if arr.dtype.kind not in "iuf":
        try:
            arr = arr.astype(np.float64)
        except (TypeError, ValueError):
            raise InvalidInputError(
                f"{name} must hold numbers 0, 1 or {UNLABELED}; got dtype {arr.dtype}."
            ) from None
    if arr.dtype.kind == "f" and np.isnan(arr).any():
        rows = np.flatnonzero(np.isnan(arr).any(axis=1))
        raise InvalidInputError(
            f"{name} contains NaN (rows {_rows(rows)}); mark a row that is not labeled yet with "
            f"activelab.UNLABELED ({UNLABELED}) in every column."
        )
    bad = (arr != 0) & (arr != 1) & (arr != UNLABELED)
    if bad.any():
        values = np.unique(arr[bad])[:5].tolist()
        raise InvalidInputError(
            f"{name} may only hold 0 (label absent), 1 (label present) or {UNLABELED} (row "
            f"unlabeled); got {values} (rows {_rows(np.flatnonzero(bad.any(axis=1)))})."
        )
    out = arr.astype(np.int64)
    unknown = out == UNLABELED
    partial = unknown.any(axis=1) & ~unknown.all(axis=1)
    if partial.any():
        raise InvalidInputError(
            f"{name} rows {_rows(np.flatnonzero(partial))} mix {UNLABELED} with 0/1: partial "
            "labels are not supported. Label every column of a row (0 where a label does not "
            f"apply) or mark the whole row {UNLABELED}."
        )
    return out, ~unknown.all(axis=1)


def check_ground_truth(Y, *, n_labels: int | None = None, label_names=None,
                       name: str = "Y") -> np.ndarray:
    """A fully known indicator matrix (the simulated oracle's answers, or a test set)."""
    out, labeled = check_label_matrix(Y, n_labels=n_labels, label_names=label_names, name=name)
    if not labeled.all():
        raise InvalidInputError(
            f"{name} rows {_rows(np.flatnonzero(~labeled))} have every label unknown "
            f"({UNLABELED}); a simulation needs the ground truth of every row: drop those rows "
            "or supply their labels."
        )
    return out


def check_model_trainable(Y_labeled: np.ndarray, who: str) -> None:
    """ColdStartError unless some label column takes both values among the labeled rows."""
    n = Y_labeled.shape[0]
    if n == 0:
        raise ColdStartError(
            f"{who} needs a trained model but no row is labeled; label a few rows first or start "
            "with 'random' or an exploration strategy ('kmeans', 'coreset', 'typiclust')."
        )
    varying = (Y_labeled.min(axis=0) != Y_labeled.max(axis=0))
    if not varying.any():
        raise ColdStartError(
            f"{who} needs a trained model, but every label column is constant among the {n} "
            "labeled rows (each label always present or always absent), so no classifier can "
            "learn anything; label more rows (a larger `initial`), seed with "
            "initial_strategy='kmeans', or use 'random' until some label takes both values."
        )
