"""Numeric representations of the pool for strategies that need geometry."""

from __future__ import annotations

import numpy as np
from sklearn.preprocessing import StandardScaler

from ._errors import InvalidInputError


def to_ndarray(Z) -> np.ndarray:
    """Z (array, DataFrame or sparse matrix) as a dense NumPy array, without a copy when it is one."""
    if hasattr(Z, "toarray"):
        Z = Z.toarray()
    if hasattr(Z, "to_numpy"):
        Z = Z.to_numpy()
    return np.asarray(Z)


def dense_float32(Z) -> np.ndarray:
    """Z (array, DataFrame or sparse matrix) as a C-contiguous float32 array; a clear error
    when Z is not numeric."""
    Z = to_ndarray(Z)
    if Z.dtype.kind not in "fiub":
        raise InvalidInputError(
            "this strategy needs a numeric representation of X; pass embedding= or use a "
            "model pipeline whose first steps turn X into numbers."
        )
    if Z.ndim > 2:  # images: one flattened row of pixels per item
        Z = Z.reshape(Z.shape[0], -1)
    return np.ascontiguousarray(Z, dtype=np.float32)


def standardized(X) -> np.ndarray:
    """Inputs scaled to zero mean and unit variance: the representation of last resort."""
    Z = dense_float32(X)
    return StandardScaler().fit_transform(Z).astype(np.float32, copy=False)
