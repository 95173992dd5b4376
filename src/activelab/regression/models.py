"""The model seam for regression: a factory that trains a regressor on the labeled rows, the fitted
model it returns, bootstrap committees, and the name registry (`ridge`, `gp`, ...).

`SklearnRegressor.fit` has the signature of `activelab.models.ModelFactory.fit`, so the one
`ActiveLoop` runs regression rounds too. A `FittedRegressor` predicts real values (`predict`) and,
where the estimator has a predictive distribution (a Gaussian process), its standard deviation
(`predict_std`). Targets are standardized inside the wrapper (fit on (y − mean) / std, predictions
mapped back), so regularization, GP priors and network training see unit-scale targets whatever
the unit of y.

Like the classifier registry, the registered models hold no feature scaler: the runner
standardizes the pool once with pool statistics (`activelab.models.scale_pool`).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable

import numpy as np
from sklearn.base import is_classifier
from sklearn.ensemble import RandomForestRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from .._errors import ColdStartError, InvalidInputError
from .._validation import take_rows
from ..models import with_random_state

#: What a fitted regressor reports as its label set: none (the classifier seam's `classes`
#: attribute exists so the shared loop and context can treat it like any fitted model).
NO_CLASSES = np.empty(0, dtype=np.float64)


def check_regression_target(y_labeled: np.ndarray, who: str = "the model") -> None:
    """Raise ColdStartError when labeled targets cannot train a regressor: none, or all equal."""
    y_labeled = np.asarray(y_labeled, dtype=np.float64)
    if y_labeled.shape[0] == 0:
        raise ColdStartError(
            f"{who} needs a trained regressor but no row is labeled; label a few rows first or "
            "start with a strategy that needs no model ('random', 'coreset', 'greedy_x')."
        )
    if np.ptp(y_labeled) == 0:
        raise ColdStartError(
            f"{who} needs a trained regressor, but all {y_labeled.shape[0]} labeled targets equal "
            f"{float(y_labeled[0])!r}: a model cannot learn anything from a constant target. Label rows "
            "with different target values (a larger or different seed set: initial=...), or "
            "start with a strategy that needs no model ('random', 'coreset', 'greedy_x')."
        )


def check_regressor(estimator) -> None:
    """Raise unless `estimator` looks like a scikit-learn regressor (fit and predict, not a classifier)."""
    if not (callable(getattr(estimator, "fit", None)) and callable(getattr(estimator, "predict", None))):
        raise InvalidInputError(
            f"model must be a regressor with fit and predict; {type(estimator).__name__} lacks them."
        )
    if is_classifier(estimator):
        raise InvalidInputError(
            f"model {type(estimator).__name__} is a classifier; regression needs a regressor "
            "(e.g. 'ridge', 'gp', 'random_forest_regressor' or any scikit-learn regressor)."
        )


def _final(estimator):
    return estimator.steps[-1][1] if isinstance(estimator, Pipeline) else estimator


class FittedRegressor:
    """A fitted scikit-learn regressor with its target scaling undone on prediction.

    Attributes
    ----------
    estimator : the fitted scikit-learn regressor (trained on standardized targets).
    y_mean, y_scale : the labeled targets' mean and standard deviation (scale 1 when not
        standardized).
    classes : empty array (see `NO_CLASSES`).
    """

    #: scikit-learn's predict only reads the fitted estimator: blocks may be predicted on threads.
    parallel_predict = True
    classes = NO_CLASSES

    def __init__(self, estimator, y_mean: float = 0.0, y_scale: float = 1.0) -> None:
        self.estimator = estimator
        self.y_mean = float(y_mean)
        self.y_scale = float(y_scale)
        if _has_std(estimator):
            self.predict_std = self._predict_std  # only where the model has a predictive std

    def predict(self, X) -> np.ndarray:
        """Predicted targets, shape (n,), in the unit of y."""
        return np.asarray(self.estimator.predict(X), dtype=np.float64).reshape(-1) \
            * self.y_scale + self.y_mean

    def _predict_std(self, X) -> np.ndarray:
        """Predictive standard deviation, shape (n,), in the unit of y."""
        _, std = self.estimator.predict(X, return_std=True)
        return np.asarray(std, dtype=np.float64).reshape(-1) * self.y_scale

    def __repr__(self) -> str:
        return f"FittedRegressor({self.estimator!r})"


def _has_std(estimator) -> bool:
    """Whether predict(X, return_std=True) works (GaussianProcessRegressor, BayesianRidge, ...)."""
    import inspect

    predict = getattr(_final(estimator), "predict", None)
    try:
        return predict is not None and "return_std" in inspect.signature(predict).parameters
    except (TypeError, ValueError):
        return False


class SklearnRegressor:
    """A model factory around an unfitted scikit-learn regressor: each `fit` trains a clone
    (random_state set to the call's) on the labeled rows; the prototype is never changed.

    Parameters
    ----------
    estimator : scikit-learn regressor, default standardized ridge regression.
    standardize_y : bool, default True
        Fit on standardized targets and map predictions back.
    """

    def __init__(self, estimator=None, standardize_y: bool = True) -> None:
        self.estimator = estimator
        self.standardize_y = standardize_y

    def _prototype(self):
        est = self.estimator if self.estimator is not None else default_regressor()
        check_regressor(est)
        return est

    def fit(self, X, y, labeled_idx, classes=None, *, random_state=None) -> FittedRegressor:
        """A clone fitted on rows `labeled_idx` of the pool X (`classes` is ignored)."""
        labeled_idx = np.asarray(labeled_idx, dtype=np.intp)
        y_lab = np.asarray(np.asarray(y)[labeled_idx], dtype=np.float64)
        if not np.isfinite(y_lab).all():
            raise InvalidInputError("the labeled targets hold NaN or infinity; the rows to fit "
                                    "on must carry real-valued labels.")
        check_regression_target(y_lab)
        mean, scale = (float(y_lab.mean()), float(y_lab.std())) if self.standardize_y else (0.0, 1.0)
        model = with_random_state(self._prototype(), random_state)
        with warnings.catch_warnings():
            # a GP's hyperparameters at a bound on a few labels are expected, every round
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(take_rows(X, labeled_idx), (y_lab - mean) / scale)
        return FittedRegressor(model, mean, scale)

    def __repr__(self) -> str:
        return f"SklearnRegressor({self.estimator!r})"


def default_regressor():
    """Standardized ridge regression: the default when no model is given (raw features welcome)."""
    return Pipeline([("scale", StandardScaler()), ("reg", Ridge(alpha=1.0))])


def is_regressor_factory(obj) -> bool:
    """Whether `obj` trains fitted regressors through the seam (`fit(X, y, labeled_idx, classes,
    *, random_state)`), as opposed to a scikit-learn estimator."""
    return callable(getattr(obj, "fit", None)) and not hasattr(obj, "get_params") \
        and not hasattr(obj, "predict")


def as_regressor_factory(model) -> SklearnRegressor:
    """A factory for `model`: None → standardized ridge, a registered name, an unfitted
    scikit-learn regressor, or a factory of the seam (returned as is)."""
    if model is None:
        return SklearnRegressor()
    if isinstance(model, str):
        return SklearnRegressor(make_regressor(model))
    if is_regressor_factory(model):
        return model
    check_regressor(model)
    return SklearnRegressor(model)


def bootstrap_regressors(factory, X, y: np.ndarray, labeled_idx: np.ndarray, n_members: int,
                         random_state: int | None) -> list[FittedRegressor]:
    """`n_members` regressors, each fitted on a bootstrap resample (size |L|, with replacement) of
    the labeled rows; a resample whose targets are all equal is drawn again (up to 100 times).

    Member m is seeded by ``[random_state, m]``: deterministic under a seed, and the same
    committee for every strategy that asks in one context.
    """
    labeled_idx = np.asarray(labeled_idx, dtype=np.intp)
    y = np.asarray(y, dtype=np.float64)
    check_regression_target(y[labeled_idx], "a bootstrap committee")
    members = []
    for m in range(int(n_members)):
        rng = np.random.default_rng(None if random_state is None else [int(random_state), m])
        for _ in range(100):
            rows = rng.choice(labeled_idx, size=labeled_idx.shape[0], replace=True)
            if np.ptp(y[rows]) > 0:
                break
        else:  # pragma: no cover - needs a labeled set with one row of a second value
            raise ColdStartError(
                "a bootstrap committee drew only constant-target resamples 100 times; label more "
                "rows with different targets.")
        members.append(factory.fit(X, y, rows, NO_CLASSES,
                                   random_state=int(rng.integers(2**31 - 1))))
    return members


# -- registry ------------------------------------------------------------------------------------

def default_gp():
    """Gaussian process: constant × RBF (one length scale, starting at 3 for standardized
    inputs) + white noise, targets normalized; no optimizer restarts (fits each round)."""
    kernel = ConstantKernel(1.0, (1e-2, 1e2)) * RBF(3.0, (1e-1, 1e3)) \
        + WhiteKernel(1.0, (1e-3, 1e1))
    return GaussianProcessRegressor(kernel=kernel, normalize_y=True, n_restarts_optimizer=0,
                                    random_state=0)


def _torch_regressor():
    try:
        from ..torch.regressor import TorchRegressor
    except ImportError as exc:
        raise InvalidInputError(
            "model 'torch_mlp' needs PyTorch: pip install torch==2.13.0 first, then "
            "pip install 'activelab[torch]'."
        ) from exc
    return TorchRegressor(epochs=200, random_state=0)


_REGRESSORS: dict[str, Callable[[], object]] = {
    "ridge": lambda: Ridge(alpha=1.0),
    "gp": default_gp,
    "random_forest_regressor": lambda: RandomForestRegressor(n_estimators=100, min_samples_leaf=2,
                                                             random_state=0, n_jobs=1),
    "torch_mlp": _torch_regressor,
}


def regressor_names() -> list[str]:
    """Registered regressor names, sorted."""
    return sorted(_REGRESSORS)


def make_regressor(name: str):
    """A fresh unfitted regressor for a registered `name`, or for an importable `module:Class`."""
    from ..models.registry import build_named

    return build_named(name, _REGRESSORS, "regressor", check_regressor)


def make_regressor_factory(name: str) -> SklearnRegressor:
    """The seam's factory for a registered name (see `make_regressor`)."""
    return SklearnRegressor(make_regressor(name))


__all__ = [
    "FittedRegressor",
    "SklearnRegressor",
    "as_regressor_factory",
    "bootstrap_regressors",
    "check_regression_target",
    "check_regressor",
    "default_gp",
    "default_regressor",
    "make_regressor",
    "make_regressor_factory",
    "regressor_names",
]
