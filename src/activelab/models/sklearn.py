"""The scikit-learn side of the model seam: `SklearnModel` (a factory around an unfitted
classifier) and `SklearnFitted` (a fitted one seen through the full label set)."""

from __future__ import annotations

import numpy as np
from sklearn.base import clone
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

from .._errors import ColdStartError, InvalidInputError
from .._features import dense_float32
from .._labels import compact
from .._validation import non_numeric_columns, take_rows


def default_model():
    """Standardized logistic regression: a sound, fast default for tabular pools."""
    from sklearn.linear_model import LogisticRegression

    return Pipeline([("scale", StandardScaler()), ("clf", LogisticRegression(max_iter=1000))])


def with_random_state(estimator, random_state):
    """A clone of `estimator` whose random_state params (also nested) are set to `random_state`."""
    est = clone(estimator)
    if random_state is None:
        return est
    seed = int(np.random.default_rng(random_state).integers(2**31 - 1)) if not isinstance(
        random_state, (int, np.integer)
    ) else int(random_state)
    params = {k: seed for k in est.get_params(deep=True) if k.split("__")[-1] == "random_state"}
    if params:
        est.set_params(**params)
    return est


def check_classifier(estimator) -> None:
    """Raise unless `estimator` looks like a scikit-learn classifier with predict_proba."""
    if not (hasattr(estimator, "fit") and hasattr(estimator, "predict_proba")):
        raise InvalidInputError(
            f"model must be a classifier with fit and predict_proba; {type(estimator).__name__} "
            "lacks them (for SVC pass probability=True)."
        )


def check_trainable(y_labeled: np.ndarray, who: str) -> None:
    """Raise ColdStartError when the labeled set cannot train a classifier."""
    if y_labeled.shape[0] == 0:
        raise ColdStartError(
            f"{who} needs a trained model but no example is labeled; label a few examples first "
            "or start with an exploration strategy (e.g. 'random' or --initial-strategy)."
        )
    n_classes = np.unique(y_labeled).shape[0]
    if n_classes < 2:
        first = y_labeled[0]
        shown = first.item() if isinstance(first, np.generic) else first
        raise ColdStartError(
            f"{who} needs a trained model but the labeled examples hold a single class "
            f"({shown!r}); label at least one example of another class, or start with "
            "an exploration strategy (e.g. 'random' or --initial-strategy)."
        )


class SklearnModel:
    """A `ModelFactory` around an unfitted scikit-learn classifier: each `fit` trains a clone
    (random_state set to the call's) on the labeled rows; the prototype is never changed.

    Parameters
    ----------
    estimator : scikit-learn classifier with predict_proba, default standardized logistic
        regression.
    """

    def __init__(self, estimator=None) -> None:
        self.estimator = estimator

    def _prototype(self):
        est = self.estimator if self.estimator is not None else default_model()
        check_classifier(est)
        return est

    def fit(self, X, y, labeled_idx, classes, *, random_state=None) -> "SklearnFitted":
        """A clone fitted on rows `labeled_idx` of the pool X."""
        labeled_idx = np.asarray(labeled_idx, dtype=np.intp)
        y_lab = compact(np.asarray(y)[labeled_idx])
        check_trainable(y_lab, "the model")
        model = with_random_state(self._prototype(), random_state)
        X_lab = take_rows(X, labeled_idx)
        try:
            model.fit(X_lab, y_lab)
        except ValueError as exc:
            columns = non_numeric_columns(X_lab)
            if not columns or "convert" not in str(exc):
                raise
            raise InvalidInputError(
                f"the model {type(model).__name__} needs numeric features, but X holds text in "
                f"column(s) {', '.join(map(str, columns[:5]))}"
                f"{' …' if len(columns) > 5 else ''}; encode them (e.g. OneHotEncoder), drop "
                "them, or pass a model (pipeline) that handles them."
            ) from None
        return SklearnFitted(model, classes)

    def __repr__(self) -> str:
        return f"SklearnModel({self.estimator!r})"


class SklearnFitted:
    """A fitted scikit-learn classifier seen through the full label set `classes`.

    `estimator` is the fitted scikit-learn object; probability columns follow `classes` (classes
    the estimator never saw get probability 0).
    """

    #: scikit-learn's predict_proba only reads the fitted estimator, so blocks of rows may be
    #: predicted on several threads at once (`PoolContext.proba`).
    parallel_predict = True

    def __init__(self, estimator, classes) -> None:
        check_classifier(estimator)
        self.estimator = estimator
        self.classes = np.asarray(classes)
        model_classes = np.asarray(estimator.classes_)
        pos = {c: i for i, c in enumerate(self.classes.tolist())}
        missing = [c for c in model_classes.tolist() if c not in pos]
        if missing:
            raise InvalidInputError(
                f"the model knows classes {missing!r} that are not in the label set "
                f"{self.classes.tolist()!r}; pass classes= with every label."
            )
        self._columns = np.array([pos[c] for c in model_classes.tolist()], dtype=np.intp)
        if callable(getattr(_final(estimator), "posterior_samples", None)):
            self.posterior_samples = self._posterior_samples  # only where the model has them

    def _full(self, raw: np.ndarray) -> np.ndarray:
        """Probability columns of the estimator mapped onto `classes` (last axis)."""
        if raw.shape[-1] == self.classes.shape[0] and np.array_equal(
            self._columns, np.arange(self.classes.shape[0])
        ):
            return raw
        out = np.zeros(raw.shape[:-1] + (self.classes.shape[0],), dtype=np.float64)
        out[..., self._columns] = raw
        return out

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities of shape (n, len(classes)); unseen classes get probability 0."""
        return self._full(np.asarray(self.estimator.predict_proba(X), dtype=np.float64))

    def _posterior_samples(self, X, n_samples: int, random_state=None) -> np.ndarray:
        """The estimator's own posterior samples (e.g. MC dropout), shape
        (n_samples, n, len(classes)), after any pipeline transforms."""
        Z, final = _transformed(self.estimator, X)
        raw = np.asarray(final.posterior_samples(Z, n_samples, random_state=random_state),
                         dtype=np.float64)
        return self._full(raw)

    def predict(self, X) -> np.ndarray:
        """The estimator's own predictions (an SVM's come from its decision function)."""
        return np.asarray(self.estimator.predict(X))

    def last_layer_input(self, X) -> np.ndarray:
        """What the final (softmax/linear) layer sees: the input to logistic regression, the
        last hidden layer of an MLP, after any pipeline transforms. Used for gradient embeddings."""
        Z, model = _transformed(self.estimator, X)
        own = getattr(model, "last_layer_input", None)
        if callable(own):  # e.g. a TorchClassifier: its output layer's input
            return own(Z)
        if isinstance(model, MLPClassifier):
            return mlp_hidden(model, Z)
        return dense_float32(Z)

    def embed(self, X) -> np.ndarray | None:
        """The model's own representation of X (pipeline transform, MLP hidden layer), or None
        when the model has none and the raw inputs would be returned."""
        est = self.estimator
        model = _final(est)
        if callable(getattr(model, "embed", None)):
            return model.embed(_transformed(est, X)[0])
        has_transform = isinstance(est, Pipeline) and len(est.steps) > 1
        if has_transform or isinstance(model, MLPClassifier):
            return self.last_layer_input(X)
        return None


def _final(estimator):
    """The last step of a pipeline, or the estimator itself."""
    return estimator.steps[-1][1] if isinstance(estimator, Pipeline) else estimator


def _transformed(estimator, X):
    """(X after a pipeline's transforms, the final estimator)."""
    if isinstance(estimator, Pipeline) and len(estimator.steps) > 1:
        return estimator[:-1].transform(X), estimator.steps[-1][1]
    return X, _final(estimator)


_ACTIVATIONS = {
    "identity": lambda a: a,
    "relu": lambda a: np.maximum(a, 0, out=a),
    "tanh": lambda a: np.tanh(a, out=a),
    "logistic": lambda a: np.divide(1.0, 1.0 + np.exp(-a), out=a),
}


def mlp_hidden(mlp: MLPClassifier, X) -> np.ndarray:
    """Activations of a fitted MLPClassifier's last hidden layer, shape (n, hidden_units)."""
    A = dense_float32(X)
    act = _ACTIVATIONS[mlp.activation]
    for W, b in zip(mlp.coefs_[:-1], mlp.intercepts_[:-1]):
        A = act((A @ W.astype(np.float32)) + b.astype(np.float32))
    return np.ascontiguousarray(A, dtype=np.float32)
