"""When to stop labeling: stopping rules that each answer *stop* or *continue* with their evidence.

Every rule is a pure function of what a labeling session already has (predictions, class
probabilities, a history of accuracy estimates) and returns a `StopDecision`:

- `stabilizing_predictions` — Bloodgood & Vijay-Shanker 2009, "A Method for Stopping Active
  Learning Based on Stabilizing Predictions and the Need for User-Adjustable Stopping" (CoNLL):
  Cohen's kappa between consecutive models' predictions on a fixed *stop set* of unlabeled rows;
  stop when the mean of the last ``window=3`` kappas is at least ``threshold=0.99`` (their
  defaults). The stop set needs no labels, is drawn once (`draw_stop_set`) and must never be
  labeled; one that overlaps the labeled rows is refused.
- `overall_uncertainty` and `max_confidence` — Zhu, Wang & Hovy 2008, "Multi-criteria-based
  Strategy to Stop Active Learning for Data Annotation" (COLING): stop when the mean (overall
  uncertainty) or the largest (max-confidence: even the least certain row is certain) predictive
  entropy over the unlabeled pool, or a stop set, falls below a threshold. Entropy is in nats.
  Defaults 0.01 (mean) and 0.001 (max) are the order of magnitude used in their experiments on
  word-sense and text data (binary or few-class tasks); entropy grows with the number of
  classes (at most ln K), so treat them as parameters: on ten classes the max rule rarely fires.
- `forecast_learning_curve` fits an inverse power law ``acc(n) = a − b·n^(−c)`` to the accuracy
  estimates so far (`scipy.optimize.curve_fit`, bounded) with an uncertainty band, and answers
  "how many more labels to reach X" (`LearningCurveForecast.labels_to_reach`);
  `forecast_gain` turns it into a rule: stop when even the optimistic end of the band expects
  less than ``min_gain`` from the next ``horizon`` labels.

    >>> d = stabilizing_predictions([pred_round_3, pred_round_4, pred_round_5, pred_round_6])
    >>> d.stop, d.reason
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field
from itertools import pairwise

import numpy as np

from ._errors import InvalidInputError

__all__ = [
    "RULES",
    "LearningCurveForecast",
    "StopDecision",
    "StoppingMonitor",
    "cohen_kappa",
    "draw_stop_set",
    "forecast_gain",
    "forecast_learning_curve",
    "max_confidence",
    "overall_uncertainty",
    "predictive_entropy",
    "stabilizing_predictions",
]


@dataclass(frozen=True)
class StopDecision:
    """A stopping rule's verdict: `stop`, the rule's name, the numbers it looked at, and why."""

    stop: bool
    rule: str
    evidence: dict = field(default_factory=dict)
    reason: str = ""

    def to_dict(self) -> dict:
        return {"stop": self.stop, "rule": self.rule, "evidence": dict(self.evidence),
                "reason": self.reason}


# -- stabilizing predictions -------------------------------------------------------------------

def cohen_kappa(a, b) -> float:
    """Cohen's kappa between two label vectors of the same length (1.0 when they are identical,
    also when both predict a single class everywhere)."""
    a, b = np.asarray(a), np.asarray(b)
    if a.ndim != 1 or a.shape != b.shape or a.size == 0:
        raise InvalidInputError(
            f"kappa needs two non-empty 1-D prediction vectors of the same length; got shapes "
            f"{a.shape} and {b.shape}."
        )
    if np.array_equal(a, b):
        return 1.0
    labels, codes = np.unique(np.concatenate([a, b]), return_inverse=True)
    ca, cb = codes[: a.size], codes[a.size:]
    p_obs = float(np.mean(ca == cb))
    pa = np.bincount(ca, minlength=labels.size) / a.size
    pb = np.bincount(cb, minlength=labels.size) / a.size
    p_exp = float(pa @ pb)
    if p_exp >= 1.0:  # both constant but different
        return 0.0
    return (p_obs - p_exp) / (1.0 - p_exp)


def draw_stop_set(labeled, size: int = 2000, random_state=None) -> np.ndarray:
    """Row positions of a stop set: up to `size` rows drawn once, uniformly, from the rows not
    labeled (`labeled` is a boolean mask over the pool). Sorted. Keep these rows out of the
    labeling queue; Bloodgood & Vijay-Shanker used 2,000."""
    labeled = np.asarray(labeled)
    if labeled.ndim != 1 or labeled.dtype != bool:
        raise InvalidInputError("labeled must be a 1-D boolean mask over the pool rows.")
    if not isinstance(size, (int, np.integer)) or isinstance(size, bool) or size < 1:
        raise InvalidInputError(f"size must be a positive integer; got {size!r}.")
    free = np.flatnonzero(~labeled)
    if free.size == 0:
        raise InvalidInputError("every row is labeled; a stop set needs unlabeled rows.")
    rng = np.random.default_rng(random_state)
    return np.sort(rng.choice(free, size=min(int(size), free.size), replace=False))


def _check_stop_set(stop_idx, labeled) -> None:
    stop_idx = np.asarray(stop_idx)
    labeled = np.asarray(labeled)
    if labeled.dtype == bool:
        labeled = np.flatnonzero(labeled)
    both = np.intersect1d(stop_idx, labeled)
    if both.size:
        raise InvalidInputError(
            f"the stop set overlaps the labeled rows ({both.size} rows, e.g. {both[:5].tolist()}); "
            "a stop set must stay unlabeled — draw it with draw_stop_set and keep its rows out "
            "of the labeling queue."
        )


def stabilizing_predictions(predictions, *, window: int = 3, threshold: float = 0.99,
                            stop_idx=None, labeled=None) -> StopDecision:
    """Stop when consecutive models agree on the stop set (Bloodgood & Vijay-Shanker 2009).

    Parameters
    ----------
    predictions : sequence of array-like of shape (n_stop,)
        Each model's predicted labels on the same stop set, oldest first (one per round).
    window : int, default 3
        Number of consecutive-model kappas averaged (their k = 3).
    threshold : float, default 0.99
        Stop when the mean of the last `window` kappas reaches it.
    stop_idx, labeled : optional
        The stop set's row positions and the labeled rows (mask or positions); when both are
        given, a stop set that overlaps the labels is an `InvalidInputError`.
    """
    _check_window(window)
    _check_unit(threshold, "threshold")
    if stop_idx is not None and labeled is not None:
        _check_stop_set(stop_idx, labeled)
    preds = [np.asarray(p) for p in predictions]
    shapes = {p.shape for p in preds}
    if len(shapes) > 1:
        raise InvalidInputError(
            f"every model's predictions must cover the same stop set; got shapes {sorted(shapes)}."
        )
    kappas = [cohen_kappa(a, b) for a, b in pairwise(preds)]
    evidence = {"kappas": kappas[-window:], "window": window, "threshold": threshold}
    if len(kappas) < window:
        return StopDecision(False, "stabilizing_predictions", evidence,
                            f"{len(preds)} models so far; need {window + 1} to average {window} kappas.")
    mean = float(np.mean(kappas[-window:]))
    evidence["mean_kappa"] = mean
    stop = mean >= threshold
    verb = "reached" if stop else "below"
    return StopDecision(stop, "stabilizing_predictions", evidence,
                        f"mean kappa of the last {window} model pairs {mean:.4f} {verb} {threshold}.")


# -- uncertainty over the pool ----------------------------------------------------------------

def predictive_entropy(proba) -> np.ndarray:
    """Entropy (nats) of each row of class probabilities, shape (n,)."""
    p = _check_proba(proba)
    with np.errstate(divide="ignore", invalid="ignore"):
        terms = np.where(p > 0, -p * np.log(p), 0.0)
    return terms.sum(axis=1)


def overall_uncertainty(proba, *, threshold: float = 0.01) -> StopDecision:
    """Stop when the mean predictive entropy over the unlabeled pool (or a stop set) is below
    `threshold` nats (Zhu, Wang & Hovy 2008, overall uncertainty).

    proba : array-like of shape (n_unlabeled, n_classes), the current model's probabilities.
    """
    h = predictive_entropy(proba)
    _check_positive(threshold, "threshold")
    value = float(h.mean())
    return _uncertainty_decision("overall_uncertainty", "mean", value, threshold, h)


def max_confidence(proba, *, threshold: float = 0.001) -> StopDecision:
    """Stop when even the most uncertain unlabeled row has entropy below `threshold` nats
    (Zhu, Wang & Hovy 2008, max-confidence).

    proba : array-like of shape (n_unlabeled, n_classes), the current model's probabilities.
    """
    h = predictive_entropy(proba)
    _check_positive(threshold, "threshold")
    value = float(h.max())
    return _uncertainty_decision("max_confidence", "max", value, threshold, h)


def _uncertainty_decision(rule, stat, value, threshold, h) -> StopDecision:
    stop = value < threshold
    evidence = {f"{stat}_entropy": value, "threshold": threshold, "n_rows": int(h.size)}
    verb = "below" if stop else "not below"
    return StopDecision(stop, rule, evidence,
                        f"{stat} entropy over {h.size} unlabeled rows {value:.4g} nats, {verb} {threshold}.")


# -- learning-curve forecast ------------------------------------------------------------------

def _power_law(n, a, b, c):
    return a - b * np.power(n, -c)


def _power_law_grad(n, a, b, c) -> np.ndarray:
    """d acc(n) / d(a, b, c), shape (len(n), 3)."""
    n = np.asarray(n, dtype=float)
    t = np.power(n, -c)
    return np.column_stack([np.ones_like(n), -t, b * t * np.log(n)])


@dataclass(frozen=True)
class LearningCurveForecast:
    """A fitted learning curve ``acc(n) = a − b·n^(−c)`` and the fit's parameter covariance.

    `method` is ``"inverse_power_law"``, or ``"flat"`` when the fit failed (then the curve is the
    mean of the last three points, its variance their spread; `reason` says why). Bands are
    delta-method intervals at level `confidence` from `cov`, the covariance of (a, b, c).
    """

    labels: np.ndarray
    accuracy: np.ndarray
    params: tuple[float, float, float]
    cov: np.ndarray
    method: str
    confidence: float
    reason: str = ""

    @property
    def _z(self) -> float:
        from scipy.stats import norm

        return float(norm.ppf((1 + self.confidence) / 2))

    @property
    def plateau(self) -> float:
        """The fitted asymptote a (the accuracy the curve approaches)."""
        return float(self.params[0])

    def plateau_band(self) -> tuple[float, float]:
        sd = float(np.sqrt(max(self.cov[0, 0], 0.0)))
        return max(0.0, self.plateau - self._z * sd), min(1.0, self.plateau + self._z * sd)

    def predict(self, n) -> np.ndarray:
        """The fitted accuracy at label counts `n`."""
        return _power_law(np.asarray(n, dtype=float), *self.params)

    def predict_band(self, n) -> tuple[np.ndarray, np.ndarray]:
        """(low, high) of the band at label counts `n`."""
        n = np.atleast_1d(np.asarray(n, dtype=float))
        J = _power_law_grad(n, *self.params)
        sd = np.sqrt(np.maximum(np.einsum("ij,jk,ik->i", J, self.cov, J), 0.0))
        mid = self.predict(n)
        return np.clip(mid - self._z * sd, 0, 1), np.clip(mid + self._z * sd, 0, 1)

    def gain(self, horizon: int) -> tuple[float, float]:
        """Expected accuracy gain from `horizon` more labels and the band's upper end (for a
        flat fallback: 0, and what the spread of the last points allows)."""
        if self.method == "flat":
            return 0.0, self._z * float(np.sqrt(2 * max(self.cov[0, 0], 0.0)))
        n = float(self.labels[-1])
        J = _power_law_grad([n + horizon], *self.params) - _power_law_grad([n], *self.params)
        sd = float(np.sqrt(max((J @ self.cov @ J.T)[0, 0], 0.0)))
        point = float(self.predict(n + horizon) - self.predict(n))
        return point, point + self._z * sd

    def labels_to_reach(self, target: float) -> dict:
        """How many more labels (beyond the last point) until the fitted curve reaches `target`.

        Returns ``{"more_labels": int | None, "low": int | None, "high": int | None,
        "reason": str}``: None when the plateau lies below `target` (the curve never gets
        there); ``low``/``high`` bound it at the band's level (``high`` None: possibly never).
        """
        _check_unit(target, "target")
        a, b, c = self.params
        n_now = float(self.labels[-1])
        if self.predict(n_now) >= target:
            return {"more_labels": 0, "low": 0, "high": 0,
                    "reason": f"the fitted curve is already at {self.predict(n_now):.4f} ≥ {target}."}
        if a <= target or b <= 0:
            return {"more_labels": None, "low": None, "high": None,
                    "reason": (f"the fitted plateau {a:.4f} is not above the target {target}; more "
                               "labels of this kind are not expected to get there.")}
        log_n = (np.log(b) - np.log(a - target)) / c
        grad = np.array([-1.0 / (c * (a - target)), 1.0 / (c * b), -log_n / c])
        sd = float(np.sqrt(max(grad @ self.cov @ grad, 0.0)))
        def more(ln):
            return max(0, int(np.ceil(np.exp(min(ln, 50.0)) - n_now)))

        point, low = more(log_n), more(log_n - self._z * sd)
        high = None if self.plateau_band()[0] <= target else more(log_n + self._z * sd)
        reason = (f"about {point} more labels to reach {target} ({self.confidence:.0%} band "
                  f"{low}–{'never' if high is None else high}).")
        if self.method != "inverse_power_law":
            reason += f" ({self.reason})"
        return {"more_labels": point, "low": low, "high": high, "reason": reason}


def forecast_learning_curve(labels, accuracy, *, sigma=None,
                            confidence: float = 0.9) -> LearningCurveForecast:
    """Fit ``acc(n) = a − b·n^(−c)`` (a ∈ [0, 1], b ≥ 0, c ∈ [0.05, 3]) to accuracy estimates.

    Parameters
    ----------
    labels : array-like of shape (n_points,)
        Label counts, increasing; at least 3 points.
    accuracy : array-like of shape (n_points,)
        The accuracy (an estimate, in practice; see `activelab.estimate`) at each count.
    sigma : array-like of shape (n_points,), optional
        Standard errors of the points (relative weights of the fit).
    confidence : float, default 0.9
        Level of the bands (delta method on the fit's covariance, scaled by the residuals).

    A fit that fails or has no finite covariance falls back to a flat curve at the mean of the
    last three points, with `method` ``"flat"`` and the reason.
    """
    x = np.asarray(labels, dtype=float)
    yv = np.asarray(accuracy, dtype=float)
    if x.ndim != 1 or x.shape != yv.shape:
        raise InvalidInputError(f"labels and accuracy must be 1-D of one length; got {x.shape} and {yv.shape}.")
    if x.size < 3:
        raise InvalidInputError(
            f"a learning-curve forecast needs at least 3 points (label count, accuracy); got "
            f"{x.size}. Label another batch or two first."
        )
    if not (np.isfinite(x).all() and np.isfinite(yv).all()) or (x <= 0).any():
        raise InvalidInputError("labels must be positive and accuracy finite.")
    if (np.diff(x) <= 0).any():
        raise InvalidInputError("labels must be strictly increasing (one point per label count).")
    if ((yv < 0) | (yv > 1)).any():
        raise InvalidInputError("accuracy values must lie in [0, 1].")
    if not isinstance(confidence, (int, float)) or not 0 < confidence < 1:
        raise InvalidInputError(f"confidence must lie strictly between 0 and 1; got {confidence!r}.")
    if sigma is not None:
        sigma = np.asarray(sigma, dtype=float)
        if sigma.shape != x.shape or not (sigma > 0).all():
            raise InvalidInputError("sigma must hold one positive standard error per point.")
    from scipy.optimize import curve_fit

    lower, upper = np.array([0.0, 0.0, 0.05]), np.array([1.0, np.inf, 3.0])
    p0 = (min(1.0, float(yv.max()) + 0.01), max(1e-3, float(yv.max() - yv.min()) * x[0] ** 0.5), 0.5)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            popt, pcov = curve_fit(_power_law, x, yv, p0=p0, sigma=sigma, bounds=(lower, upper),
                                   maxfev=5000)
        if not np.isfinite(pcov).all():
            raise RuntimeError("the fit's covariance is not finite (too few or too flat points)")
    except (RuntimeError, ValueError) as exc:
        last = yv[-3:]
        cov = np.zeros((3, 3))
        cov[0, 0] = float(last.var(ddof=1))
        return LearningCurveForecast(
            x, yv, (float(last.mean()), 0.0, 1.0), cov, "flat", confidence,
            f"inverse power law not fitted ({exc}); flat at the mean of the last three points",
        )
    return LearningCurveForecast(x, yv, tuple(float(v) for v in popt), np.asarray(pcov),
                                 "inverse_power_law", confidence)


def forecast_gain(labels, accuracy, *, horizon: int = 100, min_gain: float = 0.005,
                  sigma=None, confidence: float = 0.9) -> StopDecision:
    """Stop when the fitted learning curve expects less than `min_gain` accuracy from the next
    `horizon` labels, even at the upper end of its band (see `forecast_learning_curve`)."""
    if not isinstance(horizon, (int, np.integer)) or isinstance(horizon, bool) or horizon < 1:
        raise InvalidInputError(f"horizon must be a positive integer; got {horizon!r}.")
    _check_positive(min_gain, "min_gain")
    fc = forecast_learning_curve(labels, accuracy, sigma=sigma, confidence=confidence)
    point, optimistic = fc.gain(horizon)
    evidence = {"expected_gain": point, "gain_high": optimistic, "horizon": horizon,
                "min_gain": min_gain, "plateau": fc.plateau, "params": list(fc.params),
                "method": fc.method}
    stop = optimistic < min_gain
    reason = (f"the next {horizon} labels are expected to add {point:+.4f} accuracy (at most "
              f"{optimistic:+.4f} at the band's {confidence:.0%} end); "
              f"{'below' if stop else 'not below'} {min_gain}.")
    if fc.method != "inverse_power_law":
        reason += f" ({fc.reason})"
    return StopDecision(stop, "forecast_gain", evidence, reason)


# -- all rules, round by round ----------------------------------------------------------------

#: The rules `StoppingMonitor` runs, in report order.
RULES = ("stabilizing_predictions", "overall_uncertainty", "max_confidence", "forecast_gain")


class StoppingMonitor:
    """Every stopping rule, fed once per round; remembers when each first said *stop*.

    The runner and the labeling service call it the same way::

        monitor = StoppingMonitor()
        decisions = monitor.update(n_labels, stop_predictions=model_preds_on_stop_set,
                                   pool_proba=proba_on_unlabeled, accuracy=est.accuracy,
                                   accuracy_ci=(est.low, est.high))
        monitor.fired_   # {rule: labels at which it first fired, or None}

    A rule whose input is not given (None) is skipped that round. Parameters are the rules'
    (see each function); `forecast_gain` waits for `min_points` accuracy estimates.
    """

    def __init__(self, *, window: int = 3, kappa_threshold: float = 0.99,
                 mean_entropy_threshold: float = 0.01, max_entropy_threshold: float = 0.001,
                 horizon: int = 100, min_gain: float = 0.005, min_points: int = 5) -> None:
        self.window = window
        self.kappa_threshold = kappa_threshold
        self.mean_entropy_threshold = mean_entropy_threshold
        self.max_entropy_threshold = max_entropy_threshold
        self.horizon = horizon
        self.min_gain = min_gain
        self.min_points = min_points
        self.fired_: dict[str, int | None] = dict.fromkeys(RULES)
        self.predictions_: list[np.ndarray] = []
        self.labels_: list[int] = []
        self.accuracy_: list[float] = []
        self.sigma_: list[float] = []

    def update(self, n_labels: int, *, stop_predictions=None, pool_proba=None, accuracy=None,
               accuracy_ci=None) -> dict[str, StopDecision]:
        """Record one round (the model trained on `n_labels` labels) and return each rule's
        verdict. `accuracy_ci` (low, high) of a 90 % interval weights the forecast's points."""
        out: dict[str, StopDecision] = {}
        if stop_predictions is not None:
            self.predictions_.append(np.asarray(stop_predictions))
            del self.predictions_[:-(self.window + 1)]  # only the last window + 1 are needed
            out["stabilizing_predictions"] = stabilizing_predictions(
                self.predictions_, window=self.window, threshold=self.kappa_threshold)
        if pool_proba is not None:
            out["overall_uncertainty"] = overall_uncertainty(
                pool_proba, threshold=self.mean_entropy_threshold)
            out["max_confidence"] = max_confidence(pool_proba, threshold=self.max_entropy_threshold)
        if accuracy is not None and np.isfinite(accuracy):
            if self.labels_ and n_labels <= self.labels_[-1]:
                raise InvalidInputError(
                    f"rounds must come with growing label counts; got {n_labels} after {self.labels_[-1]}."
                )
            self.labels_.append(int(n_labels))
            self.accuracy_.append(float(accuracy))
            lo, hi = accuracy_ci if accuracy_ci is not None else (accuracy, accuracy)
            self.sigma_.append(max(float(hi - lo) / (2 * 1.645), 1e-3))
            if len(self.labels_) >= max(3, self.min_points):
                out["forecast_gain"] = forecast_gain(
                    self.labels_, self.accuracy_, horizon=self.horizon, min_gain=self.min_gain,
                    sigma=self.sigma_)
        for rule, decision in out.items():
            if decision.stop and self.fired_[rule] is None:
                self.fired_[rule] = int(n_labels)
        return out


# -- checks ---------------------------------------------------------------------------------

def _check_proba(proba) -> np.ndarray:
    p = np.asarray(proba, dtype=float)
    if p.ndim != 2 or p.shape[0] == 0 or p.shape[1] < 1:
        raise InvalidInputError(
            f"proba must have shape (n_rows, n_classes) with at least one row; got {p.shape}."
        )
    if not np.isfinite(p).all() or (p < 0).any() or not np.allclose(p.sum(axis=1), 1.0, atol=1e-6):
        raise InvalidInputError("proba rows must be finite, non-negative and sum to 1.")
    return p


def _check_window(window) -> None:
    if not isinstance(window, (int, np.integer)) or isinstance(window, bool) or window < 1:
        raise InvalidInputError(f"window must be a positive integer; got {window!r}.")


def _check_unit(value, name) -> None:
    if not isinstance(value, (int, float, np.floating)) or not 0 < float(value) <= 1:
        raise InvalidInputError(f"{name} must lie in (0, 1]; got {value!r}.")


def _check_positive(value, name) -> None:
    if not isinstance(value, (int, float, np.floating)) or not float(value) > 0:
        raise InvalidInputError(f"{name} must be a positive number; got {value!r}.")
