"""The model seam: Protocols a model must meet, the scikit-learn implementation, committees,
the name registry and the pool preprocessing shared by the runner and the service.

    >>> from activelab.models import SklearnModel
    >>> fitted = SklearnModel(LogisticRegression()).fit(X, y, labeled_idx, classes, random_state=0)
"""

from __future__ import annotations

from .._errors import InvalidInputError
from .committee import bootstrap_committee, ensemble, stratified_bootstrap
from .preprocessing import SCALES, scale_pool
from .protocol import (
    Embedder,
    FittedModel,
    LastLayer,
    ModelFactory,
    PosteriorSampler,
    is_fitted_model,
    is_model_factory,
    predict_labels,
)
from .registry import make_factory, make_model, model_names
from .sklearn import (
    SklearnFitted,
    SklearnModel,
    check_classifier,
    check_trainable,
    default_model,
    with_random_state,
)


def as_model_factory(model) -> ModelFactory:
    """A factory for `model`: a factory as is, an unfitted scikit-learn classifier wrapped in
    `SklearnModel`, None → the default (standardized logistic regression)."""
    if model is None:
        return SklearnModel()
    if is_model_factory(model):
        return model
    if is_fitted_model(model):
        raise InvalidInputError(
            f"{type(model).__name__} is an already fitted model; a model factory (or an unfitted "
            "scikit-learn classifier) is needed to train committees and refits."
        )
    check_classifier(model)
    return SklearnModel(model)


__all__ = [
    "Embedder",
    "FittedModel",
    "LastLayer",
    "ModelFactory",
    "PosteriorSampler",
    "SCALES",
    "SklearnFitted",
    "SklearnModel",
    "as_model_factory",
    "bootstrap_committee",
    "check_classifier",
    "check_trainable",
    "default_model",
    "ensemble",
    "is_fitted_model",
    "is_model_factory",
    "make_factory",
    "make_model",
    "model_names",
    "predict_labels",
    "scale_pool",
    "stratified_bootstrap",
    "with_random_state",
]
