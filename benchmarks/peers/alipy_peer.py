"""ALiPy (1.2.x): QueryInstanceUncertainty (margin, entropy), QueryInstanceCoresetGreedy,
QueryInstanceDensityWeighted.

Uncertainty uses ``select_by_prediction_mat`` with the precomputed probabilities; core-set and
density get the whole pool and global index lists. ALiPy's "density weighted" multiplies the
uncertainty by the mean *distance* to the unlabeled pool (raised to β) from a full N×N matrix —
it favours outlying points, the opposite of Settles & Craven's information density that
activelab implements — so its curve is not expected to match.
"""

from __future__ import annotations

import collections
import collections.abc

import numpy as np

# ALiPy 1.2.5 predates Python 3.10 and still spells collections.Iterable; restore the alias it
# needs (a compatibility shim only — no selection logic is touched).
if not hasattr(collections, "Iterable"):
    collections.Iterable = collections.abc.Iterable
from alipy.query_strategy.query_labels import (
    QueryInstanceCoresetGreedy,
    QueryInstanceDensityWeighted,
    QueryInstanceUncertainty,
)

from . import Pool


def _uncertainty(measure: str):
    def fn(pool: Pool, batch_size: int, seed: int) -> np.ndarray:
        qs = QueryInstanceUncertainty(X=pool.X, y=pool.y, measure=measure)
        return np.asarray(qs.select_by_prediction_mat(pool.candidate_idx, pool.proba, batch_size),
                          dtype=np.intp)

    return fn


def coreset(pool: Pool, batch_size: int, seed: int) -> np.ndarray:
    qs = QueryInstanceCoresetGreedy(pool.X, pool.y, train_idx=np.arange(pool.X.shape[0]))
    return np.asarray(qs.select(pool.labeled_idx, pool.candidate_idx, batch_size=batch_size),
                      dtype=np.intp)


def density_weighted(pool: Pool, batch_size: int, seed: int) -> np.ndarray:
    qs = QueryInstanceDensityWeighted(pool.X, pool.y, uncertainty_meansure="entropy",
                                      distance="cosine")
    return np.asarray(qs.select(pool.labeled_idx, pool.candidate_idx, batch_size=batch_size,
                                proba_prediction=pool.proba), dtype=np.intp)


IMPLEMENTATIONS = {
    "margin": _uncertainty("margin"), "entropy": _uncertainty("entropy"),
    "coreset": coreset, "density_weighted": density_weighted,
}
