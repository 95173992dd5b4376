"""The model seam: what the loop and the strategies need of a model, as typed Protocols.

A `ModelFactory` trains; a `FittedModel` predicts. Any framework plugs in by implementing these
(the scikit-learn implementation is `activelab.models.SklearnModel`; a PyTorch one is a module of
its own). Only `classes` and `predict_proba` are required of a fitted model; strategies that need
more ask for it through the `PoolContext` and say clearly when a model lacks it.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

import numpy as np


@runtime_checkable
class FittedModel(Protocol):
    """A model trained on the labeled rows, seen through the full label set.

    Attributes
    ----------
    classes : ndarray of shape (n_classes,)
        The full label set; `predict_proba` columns follow this order (unseen classes get 0).
    """

    classes: np.ndarray

    def predict_proba(self, X) -> np.ndarray:
        """Class probabilities, shape (n_rows, n_classes)."""
        ...


@runtime_checkable
class Embedder(Protocol):
    """Optional: the model's own representation of X (None when it has none)."""

    def embed(self, X) -> np.ndarray | None: ...


@runtime_checkable
class LastLayer(Protocol):
    """Optional: what the final (softmax/linear) layer sees, for gradient embeddings (BADGE)."""

    def last_layer_input(self, X) -> np.ndarray: ...


@runtime_checkable
class PosteriorSampler(Protocol):
    """Optional: samples of the predictive posterior (MC dropout, ensembles, Laplace).

    Returns probabilities of shape (n_samples, n_rows, n_classes).
    """

    def posterior_samples(self, X, n_samples: int, random_state: int | None = None) -> np.ndarray: ...


@runtime_checkable
class ModelFactory(Protocol):
    """Trains a `FittedModel` on rows `labeled_idx` of the pool.

    `fit` never mutates the factory and is deterministic under an integer `random_state`; the
    pool `X` is passed whole so a factory may use the unlabeled rows (semi-supervised models,
    pool statistics), and `y` holds the unlabeled marker outside `labeled_idx`.
    """

    def fit(self, X, y: np.ndarray, labeled_idx: np.ndarray, classes: np.ndarray, *,
            random_state: int | None = None) -> FittedModel: ...


def is_fitted_model(obj: Any) -> bool:
    """Whether `obj` is a fitted model of the seam (has `classes` and `predict_proba`), as
    opposed to a scikit-learn estimator (`classes_`) or a factory."""
    return hasattr(obj, "classes") and callable(getattr(obj, "predict_proba", None))


def is_model_factory(obj: Any) -> bool:
    """Whether `obj` is a factory of the seam: a `fit` that returns a fitted model, and neither
    a scikit-learn estimator (`get_params`) nor a predictor itself (`predict_proba`)."""
    return callable(getattr(obj, "fit", None)) and not hasattr(obj, "predict_proba") \
        and not hasattr(obj, "classes") and not hasattr(obj, "get_params")


def predict_labels(model: FittedModel, X) -> np.ndarray:
    """Predicted labels: the model's own `predict` when it has one (e.g. an SVM's decision
    function), else the most probable class."""
    predict = getattr(model, "predict", None)
    if callable(predict):
        return np.asarray(predict(X))
    return np.asarray(model.classes)[np.asarray(model.predict_proba(X)).argmax(axis=1)]
