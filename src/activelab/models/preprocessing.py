"""Feature preprocessing shared by the experiment runner and the labeling service.

Pool-based learning knows every unlabeled row, so features are standardized with the statistics
of the whole pool, once, before the loop: far more stable than a scaler fitted inside the model
on a handful of labeled rows, and the same for every model and strategy.
"""

from __future__ import annotations

import scipy.sparse as sp
from sklearn.preprocessing import StandardScaler

from .._errors import InvalidInputError

#: "pool" standardizes dense features with the pool's statistics; "none" keeps them as they are.
SCALES = ("pool", "none")


def scale_pool(X_pool, *others, scale: str = "pool"):
    """`X_pool` and each of `others` (e.g. a test set) transformed with statistics of `X_pool`.

    Sparse features (TF-IDF, one-hot) are returned unchanged: they are already normalized per
    row, and centering would make them dense. Returns a tuple ``(X_pool, *others)``.
    """
    if scale not in SCALES:
        raise InvalidInputError(f"scale must be one of {', '.join(SCALES)}; got {scale!r}.")
    if scale == "none" or sp.issparse(X_pool):
        return (X_pool, *others)
    scaler = StandardScaler().fit(X_pool)
    return (scaler.transform(X_pool), *(scaler.transform(X) for X in others))
