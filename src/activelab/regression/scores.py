"""Pure score and selection functions of the regression strategies: arrays in, arrays out.

Nothing here fits a model; the strategies (`activelab.regression.strategies`) hand these
functions predictions, committee predictions and features computed once per round, and the tests
check each against a brute-force reference on tiny inputs.

Greedy sampling (Wu, Lin & Huang 2019) picks a batch one row at a time: the candidate farthest
from every labeled row and every row already picked in the batch; after each pick the distances
are updated. GSy and iGS measure the target side with the true label for labeled rows and the
model's prediction for rows picked in the batch (whose labels are not known yet), as the
original and scikit-activeml do. Ties go to the lowest candidate position.
"""

from __future__ import annotations

import numpy as np

from .._errors import InvalidInputError
from ..geometry import min_sq_dist, sq_norms

#: Bytes of one (candidates × labeled) distance block in `improved_greedy`.
_BLOCK_BYTES = 8 * 2**20


def variance_scores(member_predictions: np.ndarray) -> np.ndarray:
    """Variance of a committee's predictions per candidate (QBC for regression).

    Parameters
    ----------
    member_predictions : ndarray of shape (n_members, n_candidates)

    Returns
    -------
    ndarray of shape (n_candidates,): the population variance over members (higher = the
    committee disagrees more).
    """
    P = _members(member_predictions)
    return P.var(axis=0)


def emc_scores(prediction: np.ndarray, member_predictions: np.ndarray, features: np.ndarray,
               ord=2) -> np.ndarray:
    """Expected model change (EMCM, Cai, Zhang & Zhou 2013) of each candidate.

    For a linear model f(x) = θᵀφ(x) with squared loss, the gradient a new example (x, y) adds is
    (f(x) − y)·φ(x), of length |f(x) − y|·||φ(x)||. The unknown y is replaced by each bootstrap
    member's prediction y_k(x), and the lengths are averaged:

        EMC(x) = (1/K) Σ_k |f(x) − y_k(x)| · ||φ(x)||.

    Parameters
    ----------
    prediction : ndarray of shape (n_candidates,)
        The model's prediction f(x) (trained on every labeled row).
    member_predictions : ndarray of shape (n_members, n_candidates)
        The bootstrap members' predictions y_k(x).
    features : ndarray of shape (n_candidates, n_dims)
        φ(x): what the (linear) model's gradient multiplies; the model's inputs by default.
    ord : norm order passed to `numpy.linalg.norm` (2: Euclidean).
    """
    P = _members(member_predictions)
    f = np.asarray(prediction, dtype=np.float64).reshape(-1)
    Phi = np.asarray(features, dtype=np.float64)
    if f.shape[0] != P.shape[1] or Phi.ndim != 2 or Phi.shape[0] != P.shape[1]:
        raise InvalidInputError(
            f"emc_scores: prediction {f.shape}, member predictions {P.shape} and features "
            f"{Phi.shape} must describe the same candidates.")
    return np.abs(P - f[None, :]).mean(axis=0) * np.linalg.norm(Phi, ord=ord, axis=1)


def greedy_x(features: np.ndarray, labeled_idx: np.ndarray, candidate_idx: np.ndarray,
             k: int) -> tuple[np.ndarray, np.ndarray]:
    """GSx: k rows, each the candidate farthest (Euclidean, in `features`) from the labeled rows
    and the rows picked before it. With nothing labeled, the first pick is the candidate nearest
    the centroid of the whole pool (Wu et al.'s initialization).

    Returns
    -------
    idx : ndarray of int, shape (k,), the picks (row positions) in order.
    scores : ndarray of shape (n_candidates,), each candidate's distance to its nearest labeled
        row before selection (+inf everywhere when nothing is labeled).
    """
    F, lab, cand = _geometry(features, labeled_idx, candidate_idx, k)
    if lab.size:
        d = np.sqrt(min_sq_dist(F, F[lab], rows=cand))
    else:
        d = np.full(cand.shape[0], np.inf)
    scores = d.copy()
    first = None
    if not lab.size:
        centroid = F.mean(axis=0, keepdims=True)
        first = int(np.argmin(min_sq_dist(F, centroid, rows=cand)))
    C = F[cand]
    c_norms = sq_norms(C)
    picks = _greedy(d, k, lambda p: _dist_to(C, c_norms, C[p]), first)
    return cand[picks], scores


def greedy_y(prediction: np.ndarray, y_labeled: np.ndarray, candidate_idx: np.ndarray,
             k: int) -> tuple[np.ndarray, np.ndarray]:
    """GSy: k rows, each the candidate whose predicted target is farthest from every labeled
    target and from the predictions of the rows picked before it.

    Parameters
    ----------
    prediction : ndarray of shape (n_candidates,), the model's f(x) for each candidate.
    y_labeled : ndarray of shape (n_labeled,), n_labeled >= 1, the labeled rows' true targets.

    Returns (idx, scores) as `greedy_x` (scores: min |f(x) − y_m| over labeled m).
    """
    f = np.asarray(prediction, dtype=np.float64).reshape(-1)
    cand = np.asarray(candidate_idx, dtype=np.intp)
    yl = np.sort(np.asarray(y_labeled, dtype=np.float64).reshape(-1))
    _check_k(k, cand.shape[0], f.shape[0])
    if yl.size == 0:
        raise InvalidInputError("greedy_y needs at least one labeled target.")
    pos = np.searchsorted(yl, f)  # nearest labeled target: one of its two sorted neighbours
    lo = np.abs(f - yl[np.clip(pos - 1, 0, yl.size - 1)])
    hi = np.abs(f - yl[np.clip(pos, 0, yl.size - 1)])
    d = np.minimum(lo, hi)
    scores = d.copy()
    picks = _greedy(d, k, lambda p: np.abs(f - f[p]))
    return cand[picks], scores


def improved_greedy(features: np.ndarray, prediction: np.ndarray, labeled_idx: np.ndarray,
                    y_labeled: np.ndarray, candidate_idx: np.ndarray,
                    k: int) -> tuple[np.ndarray, np.ndarray]:
    """iGS: k rows, each the candidate maximizing min over labeled-or-picked m of
    ||x − x_m|| · |f(x) − y_m| (y_m: the true target of a labeled row, the prediction of a
    picked one).

    Parameters
    ----------
    features : ndarray of shape (n_samples, n_dims), the whole pool's representation.
    prediction : ndarray of shape (n_candidates,), f(x) per candidate.
    labeled_idx, y_labeled : the labeled rows (n_labeled >= 1) and their targets.
    candidate_idx : ndarray of int, shape (n_candidates,)

    Returns (idx, scores) as `greedy_x`.
    """
    F, lab, cand = _geometry(features, labeled_idx, candidate_idx, k)
    f = np.asarray(prediction, dtype=np.float64).reshape(-1)
    yl = np.asarray(y_labeled, dtype=np.float64).reshape(-1)
    if f.shape[0] != cand.shape[0] or yl.shape[0] != lab.shape[0]:
        raise InvalidInputError("improved_greedy: one prediction per candidate and one target "
                                "per labeled row are needed.")
    if lab.size == 0:
        raise InvalidInputError("improved_greedy needs at least one labeled row.")
    L = F[lab]
    l_norms = sq_norms(L)
    d = np.empty(cand.shape[0])
    step = max(1, _BLOCK_BYTES // (8 * lab.shape[0]))
    for a in range(0, cand.shape[0], step):
        B = F[cand[a:a + step]]
        sq = sq_norms(B)[:, None] + l_norms[None, :] - 2.0 * (B @ L.T)
        dx = np.sqrt(np.maximum(sq, 0.0))
        d[a:a + step] = (dx * np.abs(f[a:a + step, None] - yl[None, :])).min(axis=1)
    scores = d.copy()
    C = F[cand]
    c_norms = sq_norms(C)
    picks = _greedy(d, k, lambda p: _dist_to(C, c_norms, C[p]) * np.abs(f - f[p]))
    return cand[picks], scores


# -- helpers -------------------------------------------------------------------------------------

def _members(member_predictions) -> np.ndarray:
    P = np.asarray(member_predictions, dtype=np.float64)
    if P.ndim != 2 or P.shape[0] < 2:
        raise InvalidInputError(
            f"member predictions must have shape (n_members >= 2, n_candidates); got {P.shape}.")
    return P


def _check_k(k, n_candidates: int, n_given: int) -> None:
    if n_given != n_candidates:
        raise InvalidInputError(f"got {n_given} values for {n_candidates} candidates.")
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or not 1 <= k <= n_candidates:
        raise InvalidInputError(f"k must be an integer in [1, {n_candidates}]; got {k!r}.")


def _geometry(features, labeled_idx, candidate_idx, k):
    """Features as float64 (distances compared exactly enough for the references), indices."""
    F = np.asarray(features, dtype=np.float64)
    if F.ndim != 2:
        raise InvalidInputError(f"features must be 2-D (n_samples, n_dims); got {F.shape}.")
    lab = np.asarray(labeled_idx, dtype=np.intp).reshape(-1)
    cand = np.asarray(candidate_idx, dtype=np.intp).reshape(-1)
    _check_k(k, cand.shape[0], cand.shape[0])
    return F, lab, cand


def _dist_to(C: np.ndarray, c_norms: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Euclidean distance of each row of C to x."""
    return np.sqrt(np.maximum(c_norms + x @ x - 2.0 * (C @ x), 0.0))


def _greedy(d: np.ndarray, k: int, dist_to_pick, first: int | None = None) -> np.ndarray:
    """k positions: each the argmax of `d` (lowest position on ties) among the unpicked, then
    ``d = min(d, dist_to_pick(p))``; `first`, when given, is the first pick."""
    d = np.array(d, dtype=np.float64, copy=True)
    picked = np.empty(k, dtype=np.intp)
    for t in range(k):
        p = first if (t == 0 and first is not None) else int(np.argmax(d))
        picked[t] = p
        np.minimum(d, dist_to_pick(p), out=d)
        d[picked[:t + 1]] = -np.inf
    return picked
