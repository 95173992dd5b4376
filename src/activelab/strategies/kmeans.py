"""Cluster-based selection (exploration): one representative per k-means cluster of the candidates.

Cluster the unlabeled candidates into `batch_size` groups and label the member nearest each
centroid, so the batch is both representative (near a centroid) and diverse (one per cluster).
References: Nguyen & Smeulders 2004 (pre-clustering); Zhdanov 2019, "Diverse mini-batch Active
Learning" (with uniform weights, i.e. without its informativeness pre-filter).
"""

from __future__ import annotations

import numpy as np

from ..geometry import kmeans, sq_norms
from ._base import Selection, Strategy
from ._context import PoolContext
from .params import Interval, Options
from ._registry import register


def closest_to_centers(
    features: np.ndarray, labels: np.ndarray, centers: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """For each non-empty cluster, its member closest to its center.

    Parameters
    ----------
    features : ndarray of shape (n, d)
    labels : ndarray of int, shape (n,)
        Cluster of each row, in [0, n_clusters).
    centers : ndarray of shape (n_clusters, d)

    Returns
    -------
    rows : ndarray of int, shape (n_nonempty,)
        One row per non-empty cluster (ties → lowest row), ordered by cluster size (largest
        first, then cluster id).
    dist : ndarray of float, shape (n,)
        Euclidean distance of every row to its own cluster's center.
    """
    labels = np.asarray(labels, dtype=np.intp)
    features = np.asarray(features)
    diff = features - np.asarray(centers, dtype=features.dtype)[labels]
    dist = np.sqrt(sq_norms(diff))
    order = np.lexsort((np.arange(labels.shape[0]), dist, labels))
    sorted_labels = labels[order]
    first = np.flatnonzero(np.r_[True, sorted_labels[1:] != sorted_labels[:-1]])
    rows, clusters = order[first], sorted_labels[first]
    sizes = np.bincount(labels, minlength=centers.shape[0])
    by_size = np.lexsort((clusters, -sizes[clusters]))
    return rows[by_size], dist


@register
class KMeansSampling(Strategy):
    """k-means representatives: cluster the candidates into batch_size groups, take each
    cluster's member nearest its centroid (one per cluster, largest cluster first).

    Clusters the unlabeled candidates only (labeled rows play no part). Uses scikit-learn's
    KMeans, or MiniBatchKMeans above `minibatch_above` candidates; the seed comes from the
    query's rng. Scores are minus each candidate's distance to its own centroid (closer = more
    representative). If k-means leaves clusters empty (duplicate points), the batch is filled with
    random candidates.

    Parameters
    ----------
    n_init : int or "auto"
        k-means restarts (scikit-learn's meaning).
    minibatch_above : int
        Pools with more candidates are clustered with MiniBatchKMeans.

    Reference: Zhdanov 2019, "Diverse mini-batch Active Learning" (arXiv:1901.05954); Nguyen &
    Smeulders 2004, "Active Learning Using Pre-clustering" (ICML).
    """

    name = "kmeans"
    family = "exploration"
    reference = (
        "Zhdanov 2019, Diverse mini-batch Active Learning (arXiv:1901.05954); "
        "Nguyen & Smeulders 2004, Active Learning Using Pre-clustering (ICML)"
    )
    needs_model = False

    _parameter_constraints = {
        "n_init": [Options(["auto"]), Interval("int", 1)],
        "minibatch_above": [Interval("int", 1)],
    }

    def __init__(self, n_init="auto", minibatch_above: int = 20_000) -> None:
        self.n_init = n_init
        self.minibatch_above = minibatch_above

    def select(self, ctx: PoolContext, batch_size: int, rng: np.random.Generator) -> Selection:
        self._validate_params()
        cand = ctx.candidate_idx
        if batch_size >= cand.shape[0]:  # every candidate is its own cluster
            return Selection(idx=rng.permutation(cand), scores=np.zeros(cand.shape[0]),
                             candidate_idx=cand)
        feats = ctx.features()[cand]
        labels, centers = kmeans(
            feats, batch_size, int(rng.integers(2**31 - 1)),
            minibatch_above=int(self.minibatch_above), n_init=self.n_init,
        )
        rows, dist = closest_to_centers(feats, labels, centers)
        if rows.shape[0] < batch_size:  # empty clusters: fill at random
            rest = np.setdiff1d(np.arange(cand.shape[0]), rows)
            fill = rng.choice(rest, size=batch_size - rows.shape[0], replace=False)
            rows = np.concatenate([rows, fill])
        return Selection(
            idx=cand[rows], scores=-dist, candidate_idx=cand,
            info={"n_clusters": int(batch_size)},
        )
