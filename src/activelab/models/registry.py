"""Model names → fresh scikit-learn classifiers, shared by the runner and the labeling service.

No scaler inside the models: both faces standardize features with the statistics of the whole
pool first (`activelab.models.scale_pool`), not of the few labeled rows a pipeline would see.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.naive_bayes import GaussianNB
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.svm import SVC

from .._errors import InvalidInputError, UnknownNameError
from .sklearn import SklearnModel, check_classifier

_MODELS: dict[str, Callable[[], object]] = {
    "logreg": lambda: LogisticRegression(max_iter=1000),
    "svm": lambda: SVC(probability=True, random_state=0),
    "random_forest": lambda: RandomForestClassifier(n_estimators=100, random_state=0),
    "knn": lambda: KNeighborsClassifier(n_neighbors=5),
    "naive_bayes": lambda: GaussianNB(),
    "mlp": lambda: MLPClassifier(hidden_layer_sizes=(64,), max_iter=500, random_state=0),
    "torch_mlp": lambda: _torch_model("mlp"),
    "cnn": lambda: _torch_model("cnn"),
}


def _torch_model(module: str):
    """A `TorchClassifier` (extra `torch`): 'mlp' for tables and embeddings, 'cnn' for images
    (flattened square grayscale rows are reshaped)."""
    try:
        from ..torch import TorchClassifier
    except ImportError as exc:
        raise InvalidInputError(
            f"model {('torch_' + module) if module == 'mlp' else module!r} needs PyTorch: "
            "pip install torch==2.13.0 first, then pip install 'activelab[torch]'."
        ) from exc
    return TorchClassifier(module=module, epochs=30, random_state=0)


def model_names() -> list[str]:
    """Registered model names, sorted."""
    return sorted(_MODELS)


def build_named(name: str, registry: dict[str, Callable[[], object]], kind: str,
                check: Callable[[object], None]):
    """A fresh estimator for a `name` of `registry`, or for an importable `module:Class`
    (instantiated when callable, then `check`ed); `kind` names it in errors ("model",
    "regressor"). Shared by every task's model registry."""
    if not isinstance(name, str):
        raise InvalidInputError(f"{kind} name must be a string; got {type(name).__name__}.")
    if ":" in name:
        module_name, _, attr = name.partition(":")
        try:
            obj = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError, ValueError) as exc:
            raise InvalidInputError(f"cannot import {kind} {name!r}: {exc}") from exc
        model = obj() if callable(obj) else obj
        check(model)
        return model
    if name not in registry:
        raise UnknownNameError(kind, name, registry)
    return registry[name]()


def make_model(name: str):
    """A fresh unfitted classifier for `name`, or for an importable `module:Class`."""
    return build_named(name, _MODELS, "model", check_classifier)


def make_factory(name: str) -> SklearnModel:
    """The model seam's factory for a registered name (see `make_model`)."""
    return SklearnModel(make_model(name))
