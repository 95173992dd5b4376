"""Model names for the runner → fresh scikit-learn classifiers with predict_proba."""

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
from .._model import check_classifier

# No scaler inside the models: the runner standardizes features with the statistics of the
# whole pool (see runner.SCALES), not of the few labeled rows a pipeline would see.
_MODELS: dict[str, Callable[[], object]] = {
    "logreg": lambda: LogisticRegression(max_iter=1000),
    "svm": lambda: SVC(probability=True, random_state=0),
    "random_forest": lambda: RandomForestClassifier(n_estimators=100, random_state=0),
    "knn": lambda: KNeighborsClassifier(n_neighbors=5),
    "naive_bayes": lambda: GaussianNB(),
    "mlp": lambda: MLPClassifier(hidden_layer_sizes=(64,), max_iter=500, random_state=0),
}


def model_names() -> list[str]:
    return sorted(_MODELS)


def make_model(name: str):
    """A fresh unfitted classifier for `name`, or for an importable `module:Class`."""
    if ":" in name:
        module_name, _, attr = name.partition(":")
        try:
            obj = getattr(importlib.import_module(module_name), attr)
        except (ImportError, AttributeError) as exc:
            raise InvalidInputError(f"cannot import model {name!r}: {exc}") from exc
        model = obj() if callable(obj) else obj
        check_classifier(model)
        return model
    if name not in _MODELS:
        raise UnknownNameError("model", name, _MODELS)
    return _MODELS[name]()
