"""Incremental models behind one small adapter, `StreamModel`: predict class probabilities for
rows, learn from one labeled item. scikit-learn estimators with `partial_fit` and River models
(imported only when one is made) fit behind it."""

from __future__ import annotations

import copy
from typing import Protocol, runtime_checkable

import numpy as np
from sklearn.base import clone

from .._errors import InvalidInputError, UnknownNameError


@runtime_checkable
class StreamModel(Protocol):
    """What the stream learner needs from a model.

    `start(classes)` resets it for a stream with these classes; `predict_proba(X)` returns
    shape (n, len(classes)), columns in `classes` order, each row a function of that row only;
    `learn_one(x, y)` learns one labeled item.
    """

    batched: bool  # whether predict_proba on many rows is much cheaper than row by row

    def start(self, classes: np.ndarray) -> None: ...

    def predict_proba(self, X: np.ndarray) -> np.ndarray: ...

    def learn_one(self, x: np.ndarray, y) -> None: ...


class SklearnStreamModel:
    """A scikit-learn classifier with `partial_fit` and `predict_proba` (SGDClassifier with
    log loss, GaussianNB, MultinomialNB, ...); `classes` go to the first `partial_fit`.

    Parameters
    ----------
    estimator : unfitted scikit-learn classifier (cloned at `start`, never changed).
    scale : bool, default False — standardize features by a StandardScaler updated with each
        learned item (before that item is learned), as River's StandardScaler does.
    random_state : int or None, set on the clone's `random_state` parameters.
    """

    batched = True

    def __init__(self, estimator, *, scale: bool = False, random_state=None) -> None:
        if not (hasattr(estimator, "partial_fit") and hasattr(estimator, "predict_proba")):
            raise InvalidInputError(
                f"a stream model needs partial_fit and predict_proba; {type(estimator).__name__} "
                "lacks them (e.g. SGDClassifier(loss='log_loss'), GaussianNB, MultinomialNB).")
        self.estimator = estimator
        self.scale = scale
        self.random_state = random_state

    def start(self, classes: np.ndarray) -> None:
        from ..models.sklearn import with_random_state

        self.model_ = with_random_state(self.estimator, self.random_state)
        self.classes_ = np.asarray(classes)
        self.scaler_ = RunningScaler() if self.scale else None
        self.n_learned_ = 0
        self._sum = self._sumsq = 0.0  # per feature, of the learned (transformed) items

    def _transform(self, X: np.ndarray) -> np.ndarray:
        return X if self.scaler_ is None or self.n_learned_ == 0 else self.scaler_.transform(X)

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        if self.n_learned_ == 0:
            return np.full((X.shape[0], self.classes_.size), 1.0 / self.classes_.size)
        X = self._transform(X)
        if not _is_gaussian_nb(self.model_):
            with _fast():
                return np.asarray(self.model_.predict_proba(X), dtype=float)
        # scikit-learn's GaussianNB adds var_smoothing × (largest feature variance of the batch
        # passed to partial_fit) to every variance: 0 for a one-item batch, so classes seen once
        # (or constant features) would give NaN. Predict with the floor taken over every item
        # learned so far instead (var_smoothing when that variance is still 0).
        n = self.n_learned_
        spread = float(np.max(self._sumsq / n - (self._sum / n) ** 2))
        floor = self.model_.var_smoothing * (spread if spread > 0 else 1.0)
        saved = self.model_.var_
        self.model_.var_ = saved + floor
        try:
            with _fast(), np.errstate(divide="ignore"):  # log(0) prior of an unseen class
                return np.asarray(self.model_.predict_proba(X), dtype=float)
        finally:
            self.model_.var_ = saved

    def learn_one(self, x: np.ndarray, y) -> None:
        row = x.reshape(1, -1)
        if self.scaler_ is not None:
            self.scaler_.partial_fit(row)
            row = self.scaler_.transform(row)
        try:
            with _fast():
                self._partial_fit(row, y)
        except ValueError as exc:
            if "Negative values" in str(exc):
                raise InvalidInputError(
                    f"{type(self.model_).__name__} needs non-negative features; this item has "
                    "negative values. Use 'gaussian_nb' or 'sgd', or shift the features.") from None
            raise
        self.n_learned_ += 1
        self._sum += row[0]
        self._sumsq += row[0] ** 2

    def _partial_fit(self, row: np.ndarray, y) -> None:
        if self.n_learned_ == 0:
            self.model_.partial_fit(row, [y], classes=self.classes_)
        else:
            self.model_.partial_fit(row, [y])

    def __repr__(self) -> str:
        return f"SklearnStreamModel({self.estimator!r}, scale={self.scale})"


class RunningScaler:
    """Standardize with the running mean and variance of the rows seen by `partial_fit`
    (Welford's update; a feature with zero variance so far is only centred)."""

    def __init__(self) -> None:
        self.n_ = 0
        self.mean_: np.ndarray | float = 0.0
        self.m2_: np.ndarray | float = 0.0

    def partial_fit(self, X: np.ndarray) -> RunningScaler:
        for row in np.atleast_2d(X):
            self.n_ += 1
            delta = row - self.mean_
            self.mean_ = self.mean_ + delta / self.n_
            self.m2_ = self.m2_ + delta * (row - self.mean_)
        return self

    def transform(self, X: np.ndarray) -> np.ndarray:
        std = np.sqrt(np.asarray(self.m2_) / max(self.n_, 1))
        return (X - self.mean_) / np.where(std > 0, std, 1.0)


def _fast():
    """scikit-learn without its per-call input checks: items are checked where they enter."""
    from sklearn import config_context

    return config_context(assume_finite=True, skip_parameter_validation=True)


def _is_gaussian_nb(model) -> bool:
    from sklearn.naive_bayes import GaussianNB

    return isinstance(model, GaussianNB)


class RiverStreamModel:
    """A River classifier (`predict_proba_one` / `learn_one` on dicts of features).

    Parameters
    ----------
    model : a River classifier or pipeline (cloned at `start`, never changed).
    """

    batched = False

    def __init__(self, model) -> None:
        if not (hasattr(model, "learn_one") and hasattr(model, "predict_proba_one")):
            raise InvalidInputError(
                f"a River stream model needs learn_one and predict_proba_one; "
                f"{type(model).__name__} lacks them.")
        self.model = model

    def start(self, classes: np.ndarray) -> None:
        self.model_ = self.model.clone() if hasattr(self.model, "clone") else copy.deepcopy(self.model)
        self.classes_ = np.asarray(classes)
        self._pos = {_py(c): i for i, c in enumerate(self.classes_.tolist())}

    def predict_proba(self, X: np.ndarray) -> np.ndarray:
        out = np.zeros((X.shape[0], self.classes_.size))
        for i, row in enumerate(X.tolist()):
            for label, p in self.model_.predict_proba_one(dict(enumerate(row))).items():
                j = self._pos.get(_py(label))
                if j is not None:
                    out[i, j] = p
        total = out.sum(axis=1, keepdims=True)
        empty = total[:, 0] <= 0
        out[empty] = 1.0 / self.classes_.size  # nothing learned yet: uniform
        out[~empty] /= total[~empty]
        return out

    def learn_one(self, x: np.ndarray, y) -> None:
        self.model_.learn_one(dict(enumerate(x.tolist())), _py(y))

    def __repr__(self) -> str:
        return f"RiverStreamModel({self.model!r})"


def _py(value):
    return value.item() if isinstance(value, np.generic) else value


def _river(name: str):
    try:
        import river  # noqa: F401
    except ImportError as exc:
        raise InvalidInputError(
            f"stream model {name!r} needs River: pip install 'activelab[tasks]' (river==0.26.1), "
            "or use a scikit-learn model ('sgd', 'gaussian_nb', 'multinomial_nb').") from exc


def _sgd(random_state):
    from sklearn.linear_model import SGDClassifier

    return SklearnStreamModel(SGDClassifier(loss="log_loss"), scale=True, random_state=random_state)


def _gaussian_nb(random_state):
    from sklearn.naive_bayes import GaussianNB

    return SklearnStreamModel(GaussianNB())


def _multinomial_nb(random_state):
    from sklearn.naive_bayes import MultinomialNB

    return SklearnStreamModel(MultinomialNB())


def _river_logreg(random_state):
    _river("river_logreg")
    from river import compose, linear_model, multiclass, preprocessing

    return RiverStreamModel(compose.Pipeline(
        preprocessing.StandardScaler(),
        multiclass.OneVsRestClassifier(linear_model.LogisticRegression())))


def _hoeffding_tree(random_state):
    _river("hoeffding_tree")
    from river import tree

    return RiverStreamModel(tree.HoeffdingTreeClassifier())


def _river_gaussian_nb(random_state):
    _river("river_gaussian_nb")
    from river import naive_bayes

    return RiverStreamModel(naive_bayes.GaussianNB())


_MODELS = {
    "sgd": _sgd,
    "gaussian_nb": _gaussian_nb,
    "multinomial_nb": _multinomial_nb,
    "river_logreg": _river_logreg,
    "hoeffding_tree": _hoeffding_tree,
    "river_gaussian_nb": _river_gaussian_nb,
}

#: What each name builds (for docs and `activelab models --task stream`).
MODEL_DESCRIPTIONS = {
    "sgd": "scikit-learn SGDClassifier(loss='log_loss') on incrementally standardized features",
    "gaussian_nb": "scikit-learn GaussianNB (partial_fit)",
    "multinomial_nb": "scikit-learn MultinomialNB (partial_fit; non-negative features)",
    "river_logreg": "River StandardScaler | OneVsRestClassifier(LogisticRegression)",
    "hoeffding_tree": "River HoeffdingTreeClassifier",
    "river_gaussian_nb": "River naive_bayes.GaussianNB",
}


def stream_model_names() -> list[str]:
    """Registered stream model names, sorted."""
    return sorted(_MODELS)


def make_stream_model(name, *, random_state=None) -> StreamModel:
    """A fresh `StreamModel` from a registered name, a scikit-learn estimator with
    `partial_fit`, a River classifier, or a `StreamModel` (returned as is)."""
    if isinstance(name, str):
        if name not in _MODELS:
            raise UnknownNameError("stream model", name, _MODELS)
        return _MODELS[name](random_state)
    if isinstance(name, (SklearnStreamModel, RiverStreamModel)):
        return name
    if hasattr(name, "learn_one") and hasattr(name, "predict_proba_one"):
        return RiverStreamModel(name)
    if hasattr(name, "partial_fit"):
        return SklearnStreamModel(clone(name), random_state=random_state)
    if isinstance(name, StreamModel):
        return name
    raise InvalidInputError(
        f"model must be a stream model name ({', '.join(stream_model_names())}), a scikit-learn "
        f"classifier with partial_fit, or a River classifier; got {type(name).__name__}.")


