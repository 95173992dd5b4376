"""The closed form of a fitted linear probabilistic classifier: scalers, then LogisticRegression.

For such a model ``logits = X @ W + b`` once the scalers are folded into the weights, so a pool's
probabilities can be streamed block by block in float32 without the pipeline's per-call copies
(the scaler's copy of X, the float checks). The result differs from the model's own
`predict_proba` only by float rounding, and `logit_error` bounds that difference; callers that
need the model's exact values (the uncertainty strategies' top k) recompute the rows within the
bound with the model itself, so the picks are the model's own.

Recognised (exact types, so a subclass that changes `predict_proba` is never misread):
`LogisticRegression` / `LogisticRegressionCV` (binary: sigmoid; multiclass: softmax — the
one-vs-rest probabilities of older scikit-learn's ``multi_class="ovr"`` or liblinear are not
folded), alone or at the end of a `Pipeline` whose other steps are
`StandardScaler`, `MinMaxScaler` (``clip=False``), `MaxAbsScaler` or ``"passthrough"``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: float32 unit roundoff.
U32 = 2.0**-24


@dataclass(frozen=True)
class LinearForm:
    """``logits = X @ W + b`` (float32) with what `logit_error` needs to bound the rounding.

    W : (n_features, n_logits) float32, the scalers folded in; b : (n_logits,) float32.
    A binary model has two logits, (0, decision), whose softmax is scikit-learn's
    (1 − σ(d), σ(d)). `gain` and `offset` bound, per logit, the magnitudes the model's own float
    arithmetic rounds and ours: Σ_j |coef_j|·(A_j·|x_j| + C_j) + |intercept| ≤ gain·‖x‖₂ + offset
    (Cauchy–Schwarz; A_j, C_j the scalers' absolute gains and shifts, |W_j| = |coef_j|·A_j).
    """

    W: np.ndarray
    b: np.ndarray
    gain: float
    offset: float
    roundings: int  # roundings per feature before the dot product (scaler steps, input cast)

    @property
    def n_features(self) -> int:
        return int(self.W.shape[0])

    def logits(self, X_block: np.ndarray) -> np.ndarray:
        """float32 logits of a block of rows (cast to float32 first when it is not)."""
        block = X_block if X_block.dtype == np.float32 else X_block.astype(np.float32)
        out = block @ self.W
        out += self.b
        return out

    def logit_error(self, row_norms):
        """A bound on |these float32 logits − the model's own logits| for rows of Euclidean norm
        `row_norms` (a float or an array, one per row): both are sums of d + r rounded terms (r:
        the scaler steps and casts), each within γ = (d + r)·u of the magnitude
        `gain·‖x‖₂ + offset` (Higham's dot product bound), so their difference is within twice
        that."""
        g = (self.n_features + self.roundings + 2) * U32
        return 2.0 * g / (1.0 - g) * (self.gain * np.asarray(row_norms, dtype=np.float64)
                                      + self.offset)


def linear_form(model) -> LinearForm | None:
    """The closed form of `model` (an activelab `SklearnFitted`, a Pipeline or a logistic
    regression), or None when it is not one this module recognises."""
    est = getattr(model, "estimator", model)
    steps = []
    try:
        from sklearn.pipeline import Pipeline

        if isinstance(est, Pipeline):
            steps = [s for _, s in est.steps[:-1] if s is not None and s != "passthrough"]
            est = est.steps[-1][1]
    except ImportError:  # pragma: no cover - scikit-learn is a core dependency
        return None
    coef, intercept = _logistic(est)
    if coef is None:
        return None
    d = coef.shape[1]
    scale, shift, roundings = np.ones(d), np.zeros(d), 1  # z = scale·x + shift
    abs_scale, abs_shift = np.ones(d), np.zeros(d)  # |gains| and rounded magnitudes, for the bound
    for step in steps:
        affine = _affine(step, d)
        if affine is None:
            return None
        a, c, r = affine
        scale, shift = a * scale, a * shift + c
        abs_scale, abs_shift = np.abs(a) * abs_scale, np.abs(a) * abs_shift + np.abs(c)
        roundings += r
    W = (coef * scale).T  # (d, n_logits)
    b = intercept + coef @ shift
    gain = float(np.max(np.linalg.norm(np.abs(coef) * abs_scale, axis=1)))
    offset = float(np.max(np.abs(coef) @ abs_shift + np.abs(intercept) + np.abs(b)))
    if not (np.isfinite(W).all() and np.isfinite(b).all() and np.isfinite([gain, offset]).all()):
        return None
    return LinearForm(W=np.ascontiguousarray(W, dtype=np.float32), b=b.astype(np.float32),
                      gain=gain, offset=offset, roundings=roundings)


def _logistic(est) -> tuple[np.ndarray | None, np.ndarray | None]:
    """(coef (n_logits, d), intercept (n_logits,)) in float64 for a fitted logistic regression."""
    from sklearn.linear_model import LogisticRegression, LogisticRegressionCV

    if type(est) not in (LogisticRegression, LogisticRegressionCV):
        return None, None
    coef, intercept = getattr(est, "coef_", None), getattr(est, "intercept_", None)
    classes = getattr(est, "classes_", None)
    if not isinstance(coef, np.ndarray) or classes is None or coef.ndim != 2:
        return None, None  # unfitted, or sparsified coefficients
    coef = coef.astype(np.float64)
    intercept = np.broadcast_to(np.asarray(intercept, dtype=np.float64), (coef.shape[0],))
    if len(classes) > 2 and (getattr(est, "multi_class", "auto") == "ovr"
                             or (getattr(est, "multi_class", "auto") == "auto"
                                 and est.solver == "liblinear")):
        return None, None  # one-vs-rest probabilities (scikit-learn < 1.8), not a softmax
    if len(classes) == 2 and coef.shape[0] == 1:  # binary: logits (0, decision)
        coef = np.vstack([np.zeros_like(coef), coef])
        intercept = np.array([0.0, intercept[0]])
    elif coef.shape[0] != len(classes):
        return None, None
    return coef, np.array(intercept, dtype=np.float64)


def _affine(step, d: int) -> tuple[np.ndarray, np.ndarray, int] | None:
    """(a, c, roundings) with step.transform(x) = a·x + c column-wise, or None."""
    from sklearn.preprocessing import MaxAbsScaler, MinMaxScaler, StandardScaler

    kind = type(step)
    if kind is StandardScaler:  # (x − mean) / scale, each step rounded in X's dtype
        mean = step.mean_ if step.with_mean and getattr(step, "mean_", None) is not None else None
        scale = step.scale_ if step.with_std and getattr(step, "scale_", None) is not None else None
        if getattr(step, "n_features_in_", None) != d:
            return None
        a = 1.0 / np.asarray(scale, dtype=np.float64) if scale is not None else np.ones(d)
        c = -np.asarray(mean, dtype=np.float64) * a if mean is not None else np.zeros(d)
        return a, c, 3  # the mean cast, the subtraction, the division
    if kind is MinMaxScaler and not step.clip and getattr(step, "n_features_in_", None) == d:
        return np.asarray(step.scale_, np.float64), np.asarray(step.min_, np.float64), 3
    if kind is MaxAbsScaler and getattr(step, "n_features_in_", None) == d:
        return 1.0 / np.asarray(step.scale_, np.float64), np.zeros(d), 2
    return None
