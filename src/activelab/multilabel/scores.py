"""Pure multi-label score functions: probability / decision matrices in, scores out.

Inputs are `proba (n, L)` = P(label j applies) and `decision (n, L)` = real-valued outputs
(positive = predicted present). Every score is higher = more informative.
"""

from __future__ import annotations

import numpy as np
from scipy.stats import rankdata
from sklearn.linear_model import LogisticRegression

# -- binary uncertainty ---------------------------------------------------------------------------

def binary_uncertainty(proba: np.ndarray) -> np.ndarray:
    """1 − |P(1) − P(0)| = 1 − |2p − 1| per entry: 1 at p = 0.5, 0 at p ∈ {0, 1}."""
    return 1.0 - np.abs(2.0 * np.asarray(proba, dtype=np.float64) - 1.0)


def mean_uncertainty_scores(proba: np.ndarray) -> np.ndarray:
    """Binary uncertainty averaged over the labels (AVG aggregation, Esuli & Sebastiani 2009)."""
    return binary_uncertainty(proba).mean(axis=1)


def max_uncertainty_scores(proba: np.ndarray) -> np.ndarray:
    """The most uncertain label of each row (MAX aggregation, Esuli & Sebastiani 2009)."""
    return binary_uncertainty(proba).max(axis=1)


# -- MMC (Yang, Sun, Wang & Zhang 2009) -----------------------------------------------------------

def sorted_normalized(proba: np.ndarray) -> np.ndarray:
    """Each row's probabilities sorted high to low and divided by their sum (MMC's features
    for predicting the number of labels); a row of zeros becomes uniform."""
    s = -np.sort(-np.asarray(proba, dtype=np.float64), axis=1)
    total = s.sum(axis=1, keepdims=True)
    uniform = np.full_like(s, 1.0 / s.shape[1])
    return np.divide(s, total, out=uniform, where=total > 0)


class CardinalityModel:
    """MMC's label-count predictor: multinomial logistic regression from `sorted_normalized`
    probabilities to the number of labels; a constant when the labeled rows all have one count."""

    def __init__(self, C: float = 1.0, random_state=None):
        self.C = C
        self.random_state = random_state

    def fit(self, proba_labeled: np.ndarray, Y_labeled: np.ndarray) -> CardinalityModel:
        counts = np.asarray(Y_labeled).sum(axis=1).astype(np.int64)
        self.constant_ = int(counts[0]) if np.unique(counts).size == 1 else None
        if self.constant_ is None:
            self.lr_ = LogisticRegression(C=self.C, max_iter=1000, random_state=self.random_state)
            self.lr_.fit(sorted_normalized(proba_labeled), counts)
        return self

    def predict(self, proba: np.ndarray) -> np.ndarray:
        """Predicted number of labels per row, shape (n,)."""
        if self.constant_ is not None:
            return np.full(proba.shape[0], self.constant_, dtype=np.int64)
        return self.lr_.predict(sorted_normalized(proba)).astype(np.int64)


def top_labels(proba: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """±1 matrix: +1 on each row's `counts[i]` most probable labels (ties: lower column first)."""
    n, L = proba.shape
    order = np.argsort(-proba, axis=1, kind="stable")
    rank = np.empty_like(order)
    rank[np.arange(n)[:, None], order] = np.arange(L)[None, :]
    return np.where(rank < np.clip(counts, 0, L)[:, None], 1, -1)


def mmc_scores(outputs: np.ndarray, y_hat: np.ndarray) -> np.ndarray:
    """Expected loss reduction Σ_j (1 − ŷ_j f_j) / 2, with ŷ the ±1 predicted label vector and
    f the real-valued outputs (SVM outputs in the paper; 2p − 1 by default here)."""
    return ((1.0 - y_hat * outputs) / 2.0).sum(axis=1)


# -- Adaptive (Li & Guo 2013) ---------------------------------------------------------------------

def separation_margin(decision: np.ndarray) -> np.ndarray:
    """min over predicted-present labels of f − max over predicted-absent labels of f
    (present: f > 0). An empty side counts as the threshold 0, so the margin is the distance
    of the closest label to a flip."""
    d = np.asarray(decision, dtype=np.float64)
    pos = np.where(d > 0, d, np.inf).min(axis=1)
    neg = np.where(d <= 0, d, -np.inf).max(axis=1)
    pos = np.where(np.isinf(pos), 0.0, pos)
    neg = np.where(np.isinf(neg), 0.0, neg)
    return pos - neg


def max_margin_uncertainty(decision: np.ndarray, eps: float = 1e-12) -> np.ndarray:
    """1 / separation margin (the margin floored at `eps`)."""
    return 1.0 / np.maximum(separation_margin(decision), eps)


def label_cardinality_inconsistency(decision: np.ndarray, Y_labeled: np.ndarray) -> np.ndarray:
    """|number of labels predicted present − mean number of labels of the labeled rows|."""
    predicted = (np.asarray(decision) > 0).sum(axis=1)
    return np.abs(predicted - np.asarray(Y_labeled).sum(axis=1).mean())


def adaptive_scores(uncertainty: np.ndarray, inconsistency: np.ndarray, beta: float) -> np.ndarray:
    """u^β · c^(1−β) (0^0 = 1)."""
    return np.power(uncertainty, beta) * np.power(inconsistency, 1.0 - beta)


def approximate_error(decision: np.ndarray) -> float:
    """Li & Guo's hinge estimate of the generalization error on a pool, with the model's own
    predictions as labels: Σ_rows max(0, max_{f≥0}(1 − f)) + max(0, max_{f≤0}(1 + f))."""
    d = np.asarray(decision, dtype=np.float64)
    pos = np.where(d >= 0, 1.0 - d, 0.0).max(axis=1).clip(min=0.0)
    neg = np.where(d <= 0, 1.0 + d, 0.0).max(axis=1).clip(min=0.0)
    return float((pos + neg).sum())


# -- CVIRS (Reyes, Morell & Ventura 2018) ---------------------------------------------------------

def borda_uncertainty(proba: np.ndarray) -> np.ndarray:
    """Rank aggregation of per-label margins: per label the candidates are ranked by margin
    |2p − 1|, smallest first (rank τ = 1..n, ties averaged); the score is
    Σ_j (n − τ_j) / (L (n − 1)) in [0, 1]."""
    margin = np.abs(2.0 * np.asarray(proba, dtype=np.float64) - 1.0)
    n, L = margin.shape
    if n == 1:
        return np.ones(1)
    ranks = rankdata(margin, method="average", axis=0)
    return (n - ranks).sum(axis=1) / (L * (n - 1))


def _h(*counts: np.ndarray) -> np.ndarray:
    """Entropy (bits) of the distribution proportional to `counts` (0 log 0 = 0)."""
    c = np.stack(np.broadcast_arrays(*counts)).astype(np.float64)
    total = c.sum(axis=0)
    p = np.divide(c, total, out=np.zeros_like(c), where=total > 0)
    logs = np.log2(p, out=np.zeros_like(p), where=p > 0)
    return -(p * logs).sum(axis=0)


def vector_distance(a: np.ndarray, b: np.ndarray, c: np.ndarray, d: np.ndarray, L: int) -> np.ndarray:
    """CVIRS's distance between two 0/1 label vectors from their contingency counts
    a (1,1), b (0,1), c (1,0), d (0,0): 1 when they differ everywhere, else the normalized
    entropy distance (2 H(u, v) − H(u) − H(v)) / H(u, v) (0 when H(u, v) = 0)."""
    joint = _h(a, b, c, d)
    h_u = _h(a + c, b + d)
    h_v = _h(a + b, c + d)
    dist = np.divide(2.0 * joint - h_u - h_v, joint, out=np.zeros_like(joint), where=joint > 0)
    return np.where(b + c == L, 1.0, dist)


def vector_inconsistency(y_pred: np.ndarray, Y_labeled: np.ndarray, block: int = 2048) -> np.ndarray:
    """Mean CVIRS distance from each predicted vector (n, L) to the labeled vectors (m, L)."""
    P = np.asarray(y_pred, dtype=np.int64)
    Yl = np.asarray(Y_labeled, dtype=np.int64)
    L = P.shape[1]
    out = np.empty(P.shape[0])
    for s in range(0, P.shape[0], block):
        p = P[s:s + block]
        a = p @ Yl.T
        b = (1 - p) @ Yl.T
        c = p @ (1 - Yl).T
        d = L - a - b - c
        out[s:s + block] = vector_distance(a, b, c, d, L).mean(axis=1)
    return out


def cvirs_scores(proba: np.ndarray, Y_labeled: np.ndarray, threshold: float = 0.5) -> np.ndarray:
    """Borda-aggregated margin uncertainty × category vector inconsistency."""
    y_pred = (np.asarray(proba) > threshold).astype(np.int64)
    return borda_uncertainty(proba) * vector_inconsistency(y_pred, Y_labeled)
