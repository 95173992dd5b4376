"""The label convention: one `y` over the whole pool, unlabeled entries marked.

Integer labels use -1 (as scikit-learn's semi-supervised estimators do); float and object
arrays use NaN or None. `labeled_mask` is the single place that reads the convention.
"""

from __future__ import annotations

import numpy as np

#: Marker of an unlabeled entry in an integer label array.
UNLABELED = -1


def as_label_array(y) -> np.ndarray:
    """Return `y` as a 1-D NumPy array without copying when possible."""
    arr = np.asarray(y)
    if arr.ndim != 1:
        from ._errors import InvalidInputError

        raise InvalidInputError(f"y must be 1-D (one label per pool row); got shape {arr.shape}.")
    return arr


def labeled_mask(y) -> np.ndarray:
    """Boolean mask of the pool rows that carry a label."""
    arr = as_label_array(y)
    if arr.dtype.kind in "iu":
        return arr != UNLABELED
    if arr.dtype.kind == "b":
        return np.ones(arr.shape, dtype=bool)
    if arr.dtype.kind in "fc":
        return ~np.isnan(arr)
    if arr.dtype.kind == "O":
        return np.fromiter(
            (not _is_missing(v) for v in arr), dtype=bool, count=arr.shape[0]
        )
    # strings (U/S): an empty string cannot be a label
    return arr != arr.dtype.type("")


def _is_missing(value) -> bool:
    if value is None:
        return True
    return isinstance(value, (float, np.floating)) and bool(np.isnan(value))


def compact(labels: np.ndarray) -> np.ndarray:
    """Labeled values of an object array as a plain int/str/float array scikit-learn understands."""
    if labels.dtype.kind != "O":
        return labels
    return np.asarray(labels.tolist())
