"""Accuracy without a test set: estimates of the current model's accuracy on the pool from the
labels gathered so far, with a confidence interval and a word on when not to trust them.

Actively chosen labels are a biased sample: uncertainty sampling asks for the rows the model finds
hard, so the plain accuracy on them (even cross-validated) underestimates the model. Two
corrections:

- `lure_accuracy` — Kossen, Farquhar, Gal & Rainforth 2021, "Active Testing: Sample-Efficient
  Model Evaluation" (ICML), the LURE estimator: each acquired row is weighted by how unlikely its
  selection was. Unbiased for the pool accuracy of a *fixed* model whenever every acquired row's
  selection probability q is known (a stochastic acquisition: sampling proportional to scores,
  random, a softmax of scores). Deterministic top-k strategies give q ∈ {0, 1}: LURE does not apply.
- `estimate_accuracy` (the practical one, used by the runner) — calibration transfer by
  post-stratification on the model's confidence. Every labeled row gets a *held-out* prediction
  (k-fold cross-validation: a model that never saw it; `heldout_predictions`), so we know, for
  labeled rows, how often a prediction made with confidence c is right. The pool rows are split
  into bins of the current model's confidence (equal shares of the pool); each bin's accuracy is
  the Beta posterior of its labeled rows' held-out correctness (prior: the bin's mean confidence,
  worth ``prior_strength`` rows, so an empty bin falls back on the model's own claim and is wide);
  the pool accuracy is the share-weighted sum, and its interval the quantiles of posterior draws.

  Assumptions, so its limits: (1) *selection is ignorable given confidence* — within a
  confidence bin, the labeled rows are as hard as the pool's. True of uncertainty sampling (which
  selects on confidence), of random sampling, and roughly of diversity strategies; false for a
  strategy that seeks e.g. outliers the model is confidently wrong on. (2) *The calibration map
  transfers*: models trained on (k−1)/k of the labels relate confidence to correctness as the
  model trained on all of them does. (3) The target is the accuracy on the unlabeled pool; a test
  set is a finite sample of it, so a test accuracy differs by its own noise too.
  `reliable` is False (with the reason) below ``min_labels`` labels or when more than half of the
  pool lies in bins with fewer than 3 labeled rows (the estimate then leans on the model's own
  confidence).

    >>> est = estimate_accuracy(X_labeled, y_labeled, X_unlabeled, model=LogisticRegression())
    >>> est.accuracy, (est.low, est.high), est.reliable, est.reason
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._errors import InvalidInputError
from ._validation import n_rows, take_rows

__all__ = [
    "AccuracyEstimate",
    "calibrated_accuracy",
    "estimate_accuracy",
    "heldout_predictions",
    "lure_accuracy",
    "lure_weights",
]


@dataclass(frozen=True)
class AccuracyEstimate:
    """An accuracy estimate with its interval (`low`, `high` at level `confidence`), the number of
    labels behind it, the method, and whether to trust it (`reliable`, `reason`)."""

    accuracy: float
    low: float
    high: float
    confidence: float
    n_labels: int
    method: str
    reliable: bool
    reason: str = ""

    def to_dict(self) -> dict:
        return {"accuracy": self.accuracy, "low": self.low, "high": self.high,
                "confidence": self.confidence, "n_labels": self.n_labels, "method": self.method,
                "reliable": self.reliable, "reason": self.reason}


# -- LURE (known selection probabilities) ------------------------------------------------------

def lure_weights(q, n_pool: int) -> np.ndarray:
    """LURE weights v_m = 1 + (N−M)/(N−m) · (1/((N−m+1)·q_m) − 1) for M rows acquired in order
    from a pool of N, where q_m is the probability row m had of being drawn at its step, given
    the rows drawn before it (Kossen et al. 2021, eq. 4)."""
    q = np.asarray(q, dtype=float)
    if q.ndim != 1 or q.size == 0:
        raise InvalidInputError("q must be a non-empty 1-D array, one probability per acquired row.")
    if not np.isfinite(q).all() or (q <= 0).any() or (q > 1).any():
        raise InvalidInputError(
            "every selection probability q must lie in (0, 1]; a row chosen with q = 0 (a "
            "deterministic top-k pick) cannot be reweighted — use estimate_accuracy instead."
        )
    if not isinstance(n_pool, (int, np.integer)) or n_pool < q.size:
        raise InvalidInputError(f"n_pool must be an integer ≥ the {q.size} acquired rows; got {n_pool!r}.")
    N, M = int(n_pool), q.size
    if M == N:
        return np.ones(M)
    m = np.arange(1, M + 1, dtype=float)
    return 1.0 + (N - M) / (N - m) * (1.0 / ((N - m + 1) * q) - 1.0)


def lure_accuracy(correct, q, n_pool: int, *, confidence: float = 0.9,
                  min_labels: int = 30) -> AccuracyEstimate:
    """Pool accuracy of a fixed model from rows acquired with known probabilities (LURE).

    Parameters
    ----------
    correct : array-like of bool, shape (n_acquired,)
        Whether the model's prediction on each acquired row, in acquisition order, was right.
    q : array-like of shape (n_acquired,)
        Each row's selection probability at its step (see `lure_weights`).
    n_pool : int
        Pool size N the rows were drawn from (without replacement).

    The interval is normal with the standard error of the weighted terms (they are nearly
    uncorrelated; Kossen et al. 2021, Appendix); `reliable` is False below `min_labels` rows or
    when the weights' effective sample size is under a quarter of the rows.
    """
    z = _check_correct(correct)
    v = lure_weights(q, n_pool)
    if v.size != z.size:
        raise InvalidInputError(f"got {z.size} correctness values for {v.size} probabilities.")
    _check_level(confidence)
    terms = v * (1.0 - z)
    risk = float(terms.mean())
    se = float(terms.std(ddof=1) / np.sqrt(z.size)) if z.size > 1 else np.inf
    zq = _normal_quantile((1 + confidence) / 2)
    acc = 1.0 - risk
    ess = float(v.sum() ** 2 / (v ** 2).sum())
    reasons = []
    if z.size < min_labels:
        reasons.append(f"only {z.size} labels (< {min_labels})")
    if ess < z.size / 4:
        reasons.append(f"extreme weights (effective sample size {ess:.1f} of {z.size})")
    return AccuracyEstimate(acc, max(0.0, acc - zq * se), min(1.0, acc + zq * se), confidence,
                            int(z.size), "lure", not reasons, "; ".join(reasons))


# -- calibration transfer (any strategy) --------------------------------------------------------

def heldout_predictions(X_labeled, y_labeled, model=None, *, classes=None, n_splits: int = 5,
                        random_state=None) -> np.ndarray:
    """Class probabilities of each labeled row from a model that never saw it (k-fold).

    Parameters
    ----------
    X_labeled : array-like of shape (n_labeled, n_features)
    y_labeled : array-like of shape (n_labeled,)
    model : unfitted scikit-learn classifier, model factory, or None (default model)
    classes : array-like, optional; the probability columns (default: the labels seen)

    Returns
    -------
    proba : ndarray of shape (n_labeled, n_classes). A fold whose training part holds a single
    class predicts that class with probability 1.
    """
    from .models import as_model_factory

    y = np.asarray(y_labeled)
    n = y.shape[0]
    if y.ndim != 1 or n_rows(X_labeled) != n:
        raise InvalidInputError(f"X_labeled has {n_rows(X_labeled)} rows but y_labeled has {y.shape}.")
    if not isinstance(n_splits, (int, np.integer)) or n_splits < 2:
        raise InvalidInputError(f"n_splits must be an integer ≥ 2; got {n_splits!r}.")
    if n < n_splits:
        raise InvalidInputError(f"{n} labeled rows cannot be split in {n_splits} folds; label more.")
    classes = np.unique(y) if classes is None else np.asarray(classes)
    factory = as_model_factory(model)
    rng = np.random.default_rng(random_state)
    folds = rng.permutation(n) % n_splits
    proba = np.zeros((n, classes.shape[0]))
    for k in range(n_splits):
        test = np.flatnonzero(folds == k)
        train = np.flatnonzero(folds != k)
        if np.unique(y[train]).shape[0] < 2:
            proba[test, np.searchsorted(classes, y[train][0])] = 1.0
            continue
        fitted = factory.fit(X_labeled, y, train, classes,
                             random_state=None if random_state is None else int(random_state))
        proba[test] = fitted.predict_proba(take_rows(X_labeled, test))
    return proba


def calibrated_accuracy(heldout_confidence, heldout_correct, pool_confidence, *,
                        n_bins: int = 5, prior_strength: float = 2.0, confidence: float = 0.9,
                        min_labels: int = 30, n_draws: int = 4000,
                        random_state=None) -> AccuracyEstimate:
    """Post-stratified pool accuracy from held-out (confidence, correct) pairs (see the module).

    Parameters
    ----------
    heldout_confidence : array-like of shape (n_labeled,)
        Top-class probability of each labeled row's held-out prediction.
    heldout_correct : array-like of bool, shape (n_labeled,)
        Whether that held-out prediction was right.
    pool_confidence : array-like of shape (n_pool,)
        The current model's top-class probability on each unlabeled row.
    n_bins : int, default 5
        Confidence bins, with equal shares of the pool.
    prior_strength : float, default 2
        Weight, in rows, of each bin's prior (its mean pool confidence).
    """
    c_lab = np.asarray(heldout_confidence, dtype=float)
    z = _check_correct(heldout_correct)
    c_pool = np.asarray(pool_confidence, dtype=float)
    if c_lab.shape != z.shape:
        raise InvalidInputError(f"got {c_lab.size} confidences for {z.size} correctness values.")
    for name, c in (("heldout_confidence", c_lab), ("pool_confidence", c_pool)):
        if c.ndim != 1 or c.size == 0 or not np.isfinite(c).all() or (c < 0).any() or (c > 1).any():
            raise InvalidInputError(f"{name} must be a non-empty 1-D array of probabilities in [0, 1].")
    if not isinstance(n_bins, (int, np.integer)) or n_bins < 1:
        raise InvalidInputError(f"n_bins must be a positive integer; got {n_bins!r}.")
    if not prior_strength > 0:
        raise InvalidInputError(f"prior_strength must be positive; got {prior_strength!r}.")
    _check_level(confidence)
    edges = np.unique(np.quantile(c_pool, np.linspace(0, 1, n_bins + 1)[1:-1]))
    pool_bin = np.searchsorted(edges, c_pool, side="right")
    lab_bin = np.searchsorted(edges, c_lab, side="right")
    n_b = edges.size + 1
    share = np.bincount(pool_bin, minlength=n_b) / c_pool.size
    count = np.bincount(lab_bin, minlength=n_b).astype(float)
    hits = np.bincount(lab_bin, weights=z, minlength=n_b)
    prior_mean = np.array([c_pool[pool_bin == b].mean() if share[b] > 0 else 0.5 for b in range(n_b)])
    prior_mean = np.clip(prior_mean, 0.02, 0.98)
    alpha = prior_strength * prior_mean + hits
    beta = prior_strength * (1 - prior_mean) + count - hits
    point = float(share @ (alpha / (alpha + beta)))
    rng = np.random.default_rng(random_state)
    draws = rng.beta(alpha, beta, size=(n_draws, n_b)) @ share
    low, high = np.quantile(draws, [(1 - confidence) / 2, (1 + confidence) / 2])
    reasons = []
    if z.size < min_labels:
        reasons.append(f"only {z.size} labels (< {min_labels})")
    thin = float(share[count < 3].sum())
    if thin > 0.5:
        reasons.append(f"{thin:.0%} of the pool lies where fewer than 3 labeled rows were held out: "
                       "the estimate leans on the model's own confidence")
    return AccuracyEstimate(point, float(low), float(high), confidence, int(z.size),
                            "calibrated_cv", not reasons, "; ".join(reasons))


def estimate_accuracy(X_labeled, y_labeled, X_pool, model=None, *, fitted=None, classes=None,
                      n_splits: int = 5, confidence: float = 0.9, random_state=None,
                      **kwargs) -> AccuracyEstimate:
    """The current model's accuracy on the pool, from its labels alone (see the module).

    Parameters
    ----------
    X_labeled : array-like of shape (n_labeled, n_features)
        The labeled rows (however they were chosen).
    y_labeled : array-like of shape (n_labeled,)
    X_pool : array-like of shape (n_unlabeled, n_features)
        The rows the estimate speaks for (the unlabeled pool, or a sample of it).
    model : unfitted scikit-learn classifier, model factory, or None (default model)
        What the held-out folds train.
    fitted : fitted model, optional
        The current model (anything with `classes` and `predict_proba`, or a fitted
        scikit-learn classifier); default: `model` trained on all labeled rows.
    classes : array-like, optional
        The full label set (default: the labels seen and the fitted model's).
    **kwargs : passed to `calibrated_accuracy` (n_bins, prior_strength, min_labels).
    """
    from .models import SklearnFitted, as_model_factory, is_fitted_model

    y = np.asarray(y_labeled)
    if fitted is not None and not is_fitted_model(fitted):
        fitted = SklearnFitted(fitted, np.unique(np.concatenate([np.unique(y), fitted.classes_])))
    if classes is None:
        classes = np.unique(y) if fitted is None else np.union1d(np.unique(y), fitted.classes)
    classes = np.asarray(classes)
    if n_rows(X_pool) == 0:
        raise InvalidInputError("X_pool is empty; the estimate needs the rows it speaks for.")
    proba = heldout_predictions(X_labeled, y, model, classes=classes, n_splits=n_splits,
                                random_state=random_state)
    if fitted is None:
        fitted = as_model_factory(model).fit(X_labeled, y, np.arange(y.shape[0]), classes,
                                             random_state=random_state)
    pool_proba = np.asarray(fitted.predict_proba(X_pool), dtype=float)
    correct = classes[proba.argmax(axis=1)] == y
    return calibrated_accuracy(proba.max(axis=1), correct, pool_proba.max(axis=1),
                               confidence=confidence, random_state=random_state, **kwargs)


# -- checks ---------------------------------------------------------------------------------

def _check_correct(correct) -> np.ndarray:
    z = np.asarray(correct)
    if z.ndim != 1 or z.size == 0:
        raise InvalidInputError("correct must be a non-empty 1-D array of booleans (or 0/1).")
    if z.dtype != bool and not np.isin(z, (0, 1)).all():
        raise InvalidInputError("correct must hold booleans or 0/1 values only.")
    return z.astype(float)


def _check_level(confidence) -> None:
    if not isinstance(confidence, (float, int)) or not 0 < confidence < 1:
        raise InvalidInputError(f"confidence must lie strictly between 0 and 1; got {confidence!r}.")


def _normal_quantile(p: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(p))
