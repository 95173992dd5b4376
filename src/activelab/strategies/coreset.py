"""Core-set selection (exploration): k-center greedy over the pool's features.

Sener & Savarese 2018 cast batch selection as the k-center problem: choose the batch so that every
pool point lies close to some labeled or chosen point. Their k-Center-Greedy (Algorithm 1) adds,
one at a time, the candidate farthest from its nearest center — a 2-approximation of the optimal
covering radius. (The paper's robust MIP refinement with an outlier budget is not implemented.)
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .._errors import InvalidInputError
from ..geometry import min_sq_dist, sq_dist_to, sq_norms
from ._base import Selection, Strategy
from ._context import PoolContext
from ._registry import register


class KCenterResult(NamedTuple):
    """Outcome of `k_center_greedy`.

    idx : ndarray of int, shape (k,)
        Chosen row positions, in the order they were picked.
    min_dist : ndarray of float, shape (n_candidates,)
        Euclidean distance from each candidate to its nearest labeled row *before* selection
        (+inf everywhere when nothing is labeled).
    radius : float
        Covering radius after selection: the largest distance from an unchosen candidate to its
        nearest labeled or chosen row (0 when every candidate was chosen).
    """

    idx: np.ndarray
    min_dist: np.ndarray
    radius: float


def k_center_greedy(
    features: np.ndarray,
    labeled_idx: np.ndarray,
    candidate_idx: np.ndarray,
    k: int,
    rng: np.random.Generator,
    *,
    head_size: int | None = None,
) -> KCenterResult:
    """Greedy k-center: repeatedly pick the candidate farthest from labeled ∪ already chosen.

    Parameters
    ----------
    features : ndarray of shape (n_samples, n_dims)
        The whole pool's representation (float32 is kept as float32).
    labeled_idx : ndarray of int, shape (n_labeled,)
        Rows that are centers from the start; may be empty.
    candidate_idx : ndarray of int, shape (n_candidates,)
        Rows that may be chosen.
    k : int
        How many to choose, 1 <= k <= n_candidates.
    rng : numpy Generator
        Draws the first center when nothing is labeled (the only randomness).
    head_size : int, optional
        Size of the eagerly updated "head" (see below); default max(4096, 8k). Any value gives
        the same picks; it only trades per-pick work against full passes.

    Ties for the farthest candidate go to the lowest position in `candidate_idx`.

    Every candidate keeps its squared distance to the nearest center. One chunked pass computes
    it against the labeled rows (O(n·L·d) time, O(n) extra memory: candidate rows are gathered a
    chunk at a time). Then, instead of a full O(n·d) update after each pick, the updates are lazy,
    which gives the same picks: distances only shrink, so a stale value is an upper bound. The
    `head_size` largest candidates are updated eagerly after every pick; the best of them is the
    true farthest point as soon as it beats the best stale value outside the head. Otherwise the
    outside is brought up to date in one pass over the picks it missed (a matrix product, not one
    matrix–vector product per pick) and the head is rebuilt. Measured on a random 10⁶×64 float32
    pool with 1,000 labeled: 100 picks in ~0.1 s instead of ~3.5 s of eager updates; the pass
    against the labeled rows dominates.
    """
    features = np.asarray(features)
    if features.dtype not in (np.float32, np.float64):
        features = features.astype(np.float32)
    labeled_idx = np.asarray(labeled_idx, dtype=np.intp)
    cand = np.asarray(candidate_idx, dtype=np.intp)
    n = cand.shape[0]
    if not 1 <= k <= n:
        raise InvalidInputError(f"k_center_greedy: k must be in [1, {n}] (the candidates); got {k}.")
    if labeled_idx.size:
        min_d = min_sq_dist(features, features[labeled_idx], rows=cand)
    else:
        min_d = np.full(n, np.inf, dtype=features.dtype)
    initial = np.sqrt(min_d.astype(np.float64))
    m = min(n, head_size if head_size is not None else max(4096, 8 * k))
    centers = np.empty((k, features.shape[1]), dtype=features.dtype)
    chosen = np.empty(k, dtype=np.intp)
    synced = 0  # every candidate's min_d accounts for centers[:synced]
    head, out_v, out_p = _head(min_d, m)
    H = features[cand[head]]
    h_norms = sq_norms(H)
    radius = 0.0
    for t in range(min(k + 1, n)):  # step k only finds the next-farthest row: the covering radius
        if t == 0 and not labeled_idx.size:
            p = int(rng.integers(n))
        else:
            while True:
                p = int(head[np.argmax(min_d[head])])  # head is sorted: ties → lowest position
                if min_d[p] > out_v or (min_d[p] == out_v and p < out_p):
                    break
                np.minimum(min_d, min_sq_dist(features, centers[synced:t], rows=cand), out=min_d)
                synced = t
                head, out_v, out_p = _head(min_d, m)
                H = features[cand[head]]
                h_norms = sq_norms(H)
        if t == k:
            radius = float(np.sqrt(max(float(min_d[p]), 0.0)))
            break
        chosen[t] = p
        centers[t] = features[cand[p]]
        min_d[head] = np.minimum(min_d[head], sq_dist_to(H, h_norms, centers[t]))
        min_d[p] = -1  # chosen: never the farthest again, even when every distance is 0
    return KCenterResult(cand[chosen], initial, radius)


def _head(values: np.ndarray, m: int) -> tuple[np.ndarray, float, int]:
    """The m best positions by (value desc, position asc), sorted; and the best key outside them.

    Returns (head, out_value, out_position); out_value is -inf when the head is everything.
    """
    n = values.shape[0]
    if m >= n:
        return np.arange(n), -np.inf, n
    boundary = values[np.argpartition(values, n - m)[n - m:]].min()
    above = np.flatnonzero(values > boundary)
    ties = np.flatnonzero(values == boundary)
    r = m - above.shape[0]
    head = np.sort(np.concatenate([above, ties[:r]]))
    if r < ties.shape[0]:
        return head, float(boundary), int(ties[r])
    rest = values < boundary
    out_v = values[rest].max()
    return head, float(out_v), int(np.flatnonzero(rest & (values == out_v))[0])


@register
class CoreSet(Strategy):
    """Core-set (k-center greedy): cover the pool's feature space so no point is far from a label.

    Picks, one by one, the unlabeled row farthest from every labeled and already chosen row. With
    no label yet the first row is drawn at random. Scores are each candidate's distance to the
    nearest labeled row before selection (None when nothing is labeled).

    Geometry comes from `PoolContext.features()` (user embedding → model embedding →
    standardized inputs), so no model is needed.

    Reference: Sener & Savarese 2018, "Active Learning for Convolutional Neural Networks:
    A Core-Set Approach" (ICLR), Algorithm 1.
    """

    name = "coreset"
    reports_scores = "sometimes"  # distances to the labeled set: none before any label
    family = "exploration"
    reference = (
        "Sener & Savarese 2018, Active Learning for Convolutional Neural Networks: "
        "A Core-Set Approach (ICLR)"
    )
    needs_model = False

    def select(self, ctx: PoolContext, batch_size: int, rng: np.random.Generator) -> Selection:
        cand = ctx.candidate_idx
        res = k_center_greedy(ctx.features(), ctx.labeled_idx, cand, batch_size, rng)
        scores = res.min_dist if ctx.labeled_idx.size else None
        return Selection(
            idx=res.idx, scores=scores, candidate_idx=cand,
            info={"covering_radius": res.radius},
        )
