"""Accuracy without a test set: estimates of the current model's accuracy on the pool's
distribution from the labels gathered so far, with a confidence interval and a word on when not
to trust them.

Actively chosen labels are a biased sample: uncertainty sampling asks for the rows the model finds
hard, so the plain accuracy on them (even cross-validated) underestimates the model — and they are
harder than pool rows *of the same confidence* too (on digits with margin sampling, 0.78 vs 0.99
held-out accuracy at confidence ≈ 0.95), so reweighting them by confidence does not remove the
bias. What is free of it is a uniformly random subset of the labels, such as the random seed set.
Three estimators:

- `estimate_accuracy(..., random=mask)` → `rectified_accuracy` (the runner's): prediction-powered
  inference (Angelopoulos et al. 2023, "Prediction-Powered Inference", Science). Every labeled row gets a held-out prediction (5-fold: a model that
  never saw it; `heldout_predictions`); the model's confidence c over the whole pool (held-out for
  labeled rows) gives a low-variance but miscalibrated guess, mean(λ·c), and the random labeled
  rows measure its error, mean(z − λ·c). Unbiased however the other labels were chosen, *if* the
  marked rows were drawn uniformly from the pool; the active labels only sharpen the held-out
  models. Limits: the interval's width is set by the number of random labels (≈ ±0.07–0.18 with
  20), not by the total; a held-out random row is harder for its fold's model than a test row for
  the full model — after active selection the random seed rows are the only typical examples of
  their class, and the fold loses some of them — so the estimate is pessimistic where that
  matters (digits with margin sampling: −0.07); the target is the pool's accuracy, of which a test
  set is a finite sample with noise of its own.
- `estimate_accuracy` without `random` → `calibrated_accuracy`: calibration transfer by
  post-stratification on the model's confidence (the pool split into confidence bins with equal
  shares; each bin's accuracy the Beta posterior of the held-out hits of the labeled rows in it,
  prior: the bin's mean confidence worth ``prior_strength`` rows). It assumes selection is
  ignorable given confidence, which active selection breaks, so it is always flagged unreliable.
- `lure_accuracy` — Kossen, Farquhar, Gal & Rainforth 2021, "Active Testing: Sample-Efficient
  Model Evaluation" (ICML), LURE: each acquired row weighted by how unlikely its selection was.
  Unbiased for the pool accuracy of a *fixed* model whenever every acquired row's selection
  probability q is known (stochastic acquisition: sampling proportional to scores, a softmax of
  scores). Deterministic top-k strategies give q ∈ {0, 1}: LURE refuses them.

`reliable` is False (with the reason) with fewer than 10 random labels (rectified), 30 labels
(LURE, calibrated), extreme LURE weights, or no random labels at all.

    >>> est = estimate_accuracy(X_labeled, y_labeled, X_unlabeled, model=LogisticRegression(),
    ...                         random=seed_mask)
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
    "rectified_accuracy",
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

    def __post_init__(self) -> None:
        # accuracies live in [0, 1] and the interval holds the point (clipping can move them)
        acc = min(max(float(self.accuracy), 0.0), 1.0)
        low = min(max(float(self.low), 0.0), acc)
        high = max(min(float(self.high), 1.0), acc)
        object.__setattr__(self, "accuracy", acc)
        object.__setattr__(self, "low", low)
        object.__setattr__(self, "high", high)

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
            proba[test, np.flatnonzero(classes == y[train][0])[0]] = 1.0
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
    _check_confidences(c_lab, z, c_pool)
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


def rectified_accuracy(heldout_confidence, heldout_correct, pool_confidence, random, *,
                       lam: float | None = 1.0, confidence: float = 0.9,
                       min_random: int = 10) -> AccuracyEstimate:
    """Population accuracy from the model's confidence, rectified on uniformly random labels
    (prediction-powered inference, Angelopoulos, Bates, Fannjiang, Jordan & Zrnic 2023).

    ``acc = mean over the pool of λ·c + mean over the random labeled rows of (z − λ·c)``, where
    c is a row's top-class probability (held-out for labeled rows, the current model's for the
    others) and z whether its held-out prediction was right. Unbiased for the pool's accuracy as
    long as the `random` rows were drawn uniformly from the pool (a random seed set is), whatever
    chose the other labels; the model's confidence only narrows the interval. The interval is
    Student-t with n_random − 1 degrees of freedom; its variance counts one right and one wrong
    pseudo-row, so 20 random rows that happen to be all right still give an honest width.

    Parameters
    ----------
    heldout_confidence, heldout_correct : array-like of shape (n_labeled,)
    pool_confidence : array-like of shape (n_unlabeled,)
    random : array-like of bool, shape (n_labeled,)
        Which labeled rows were drawn uniformly at random from the pool.
    lam : float in [0, 1] or None, default 1
        Weight of the model's confidence: 1 is plain PPI, 0 the random rows' held-out accuracy
        alone, None the variance-minimizing λ of PPI++ (Angelopoulos, Duchi & Zrnic 2023),
        estimated on the same few rows, which made its intervals a little short in our runs.
    """
    c_lab = np.asarray(heldout_confidence, dtype=float)
    z = _check_correct(heldout_correct)
    c_pool = np.asarray(pool_confidence, dtype=float)
    _check_confidences(c_lab, z, c_pool)
    _check_level(confidence)
    rnd = np.asarray(random)
    if rnd.dtype != bool or rnd.shape != z.shape:
        raise InvalidInputError(
            f"random must be a boolean mask over the {z.size} labeled rows; got {rnd.dtype} {rnd.shape}."
        )
    n_s = int(rnd.sum())
    if n_s < 2:
        raise InvalidInputError(
            f"{n_s} labeled rows are marked random; the rectified estimate needs at least 2 "
            "labels drawn uniformly from the pool (e.g. a random seed set)."
        )
    c_all = np.concatenate([c_pool, c_lab])
    zs, cs = z[rnd], c_lab[rnd]
    n_all = c_all.size
    if lam is None:
        var_c = float(cs.var(ddof=1))
        lam = 0.0 if var_c == 0 else float(np.cov(zs, cs)[0, 1] / ((1 + n_s / n_all) * var_c))
        lam = min(max(lam, 0.0), 1.0)
    elif not isinstance(lam, (int, float)) or not 0 <= lam <= 1:
        raise InvalidInputError(f"lam must lie in [0, 1] or be None (tuned); got {lam!r}.")
    point = float(lam * c_all.mean() + (zs - lam * cs).mean())
    resid = zs - lam * cs
    # one right and one wrong pseudo-row at the mean confidence: a floor under the variance
    padded = np.concatenate([resid, [1 - lam * cs.mean(), -lam * cs.mean()]])
    var = float(padded.var(ddof=1)) / n_s + lam ** 2 * float(c_all.var(ddof=1)) / n_all
    from scipy.stats import t

    half = float(t.ppf((1 + confidence) / 2, df=n_s - 1)) * np.sqrt(var)
    reasons = []
    if n_s < min_random:
        reasons.append(f"only {n_s} random labels (< {min_random})")
    return AccuracyEstimate(min(max(point, 0.0), 1.0), max(0.0, point - half), min(1.0, point + half),
                            confidence, int(z.size), "rectified", not reasons, "; ".join(reasons))


def estimate_accuracy(X_labeled, y_labeled, X_pool, model=None, *, random=None, fitted=None,
                      classes=None, n_splits: int = 5, confidence: float = 0.9,
                      random_state=None, **kwargs) -> AccuracyEstimate:
    """The current model's accuracy on the pool's distribution, from its labels alone.

    With `random` (the labeled rows drawn uniformly from the pool, e.g. the random seed set):
    `rectified_accuracy`, unbiased whatever chose the other labels. Without it:
    `calibrated_accuracy`, which assumes selection is ignorable given the model's confidence —
    flagged unreliable, because actively chosen rows are harder than pool rows of the same
    confidence (measured: −0.07 on digits with margin sampling).

    Parameters
    ----------
    X_labeled : array-like of shape (n_labeled, n_features)
        The labeled rows (however they were chosen).
    y_labeled : array-like of shape (n_labeled,)
    X_pool : array-like of shape (n_unlabeled, n_features)
        The unlabeled rows (the population is these and the labeled ones).
    model : unfitted scikit-learn classifier, model factory, or None (default model)
        What the held-out folds train.
    random : array-like of bool of shape (n_labeled,), or of int positions into the labeled
        rows, or True (all of them), optional
    fitted : fitted model, optional
        The current model (anything with `classes` and `predict_proba`, or a fitted
        scikit-learn classifier); default: `model` trained on all labeled rows.
    classes : array-like, optional
        The full label set (default: the labels seen and the fitted model's).
    **kwargs : passed to `rectified_accuracy` (min_random) or `calibrated_accuracy`.
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
    mask = _random_mask(random, y.shape[0])
    proba = heldout_predictions(X_labeled, y, model, classes=classes, n_splits=n_splits,
                                random_state=random_state)
    if fitted is None:
        fitted = as_model_factory(model).fit(X_labeled, y, np.arange(y.shape[0]), classes,
                                             random_state=random_state)
    pool_conf = np.asarray(fitted.predict_proba(X_pool), dtype=float).max(axis=1)
    correct = classes[proba.argmax(axis=1)] == y
    if mask is not None:
        return rectified_accuracy(proba.max(axis=1), correct, pool_conf, mask,
                                  confidence=confidence, **kwargs)
    est = calibrated_accuracy(proba.max(axis=1), correct, pool_conf, confidence=confidence,
                              random_state=random_state, **kwargs)
    why = ("no labels marked random: assumes actively chosen rows are as hard as pool rows of "
           "the same confidence (they are usually harder, so this underestimates)")
    return AccuracyEstimate(est.accuracy, est.low, est.high, est.confidence, est.n_labels,
                            est.method, False, "; ".join(filter(None, [why, est.reason])))


def _random_mask(random, n: int) -> np.ndarray | None:
    if random is None or random is False:
        return None
    if random is True:
        return np.ones(n, dtype=bool)
    r = np.asarray(random)
    if r.dtype == bool:
        if r.shape != (n,):
            raise InvalidInputError(f"random must be a mask over the {n} labeled rows; got shape {r.shape}.")
        return r
    if r.dtype.kind not in "iu" or r.ndim != 1 or (r.size and (r.min() < 0 or r.max() >= n)):
        raise InvalidInputError(f"random must hold positions into the {n} labeled rows (or a mask).")
    mask = np.zeros(n, dtype=bool)
    mask[r] = True
    return mask


def _check_confidences(c_lab, z, c_pool) -> None:
    if c_lab.shape != z.shape:
        raise InvalidInputError(f"got {c_lab.size} confidences for {z.size} correctness values.")
    for name, c in (("heldout_confidence", c_lab), ("pool_confidence", c_pool)):
        if c.ndim != 1 or c.size == 0 or not np.isfinite(c).all() or (c < 0).any() or (c > 1).any():
            raise InvalidInputError(f"{name} must be a non-empty 1-D array of probabilities in [0, 1].")


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
