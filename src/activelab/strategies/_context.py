"""The pool state handed to a strategy: data, labels, a fitted model, and shared, cached
computations (probabilities, embeddings, committees) so each is computed once per round.

A `PoolContext` is data the loop fills (`activelab.loop.build_context` validates the pool and
fits the model); anyone may also construct one directly. Models are trained only through the
model seam (`context.factory`), never by cloning inside the context.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._errors import ColdStartError, InvalidInputError
from .._features import standardized
from .._labels import as_label_array, compact, labeled_mask
from .._validation import take_rows
from ..models import (
    FittedModel,
    ModelFactory,
    as_model_factory,
    bootstrap_committee,
    check_trainable,
    ensemble,
)


@dataclass
class PoolContext:
    """Everything a strategy may read about one round.

    Attributes
    ----------
    X : array-like of shape (n_samples, n_features)
        The whole pool (labeled and unlabeled rows); every index is a row position in it.
    y : ndarray of shape (n_samples,)
        Labels with the unlabeled marker where unknown.
    labeled : ndarray of bool, shape (n_samples,), optional
        Derived from `y` when not given.
    classes : ndarray of shape (n_classes,), optional
        The full label set; probability columns follow this order. Default: the labels seen,
        together with the fitted model's classes.
    model : FittedModel or None
        A model fitted on the labeled rows (None when no strategy needs one).
    factory : ModelFactory or None
        Trains further models (committees, refits) through the model seam.
    embedding : ndarray of shape (n_samples, n_dims) or None
        A user-supplied representation; otherwise taken from the model or standardized X.
    random_state : int or None
        Seed of the round, for cached computations that need randomness (committees).
    """

    X: Any
    y: np.ndarray
    labeled: np.ndarray | None = None
    classes: np.ndarray | None = None
    model: FittedModel | None = None
    factory: ModelFactory | None = None
    embedding: np.ndarray | None = None
    random_state: int | None = None
    _cache: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        self.y = as_label_array(self.y)
        if self.labeled is None:
            self.labeled = labeled_mask(self.y)
        self.labeled = np.asarray(self.labeled, dtype=bool)
        if self.labeled.shape != self.y.shape:
            raise InvalidInputError(
                f"labeled has shape {self.labeled.shape} but y has {self.y.shape}."
            )
        if self.classes is None:
            seen = np.unique(compact(self.y[self.labeled])) if self.labeled.any() else np.asarray([])
            if self.model is not None:
                seen = np.unique(np.concatenate([seen, np.asarray(self.model.classes)]))
            self.classes = seen
        self.classes = np.asarray(self.classes)

    @property
    def n_samples(self) -> int:
        return int(self.labeled.shape[0])

    @property
    def candidate_idx(self) -> np.ndarray:
        """Row positions of the unlabeled pool, in increasing order (the candidates)."""
        if "candidate_idx" not in self._cache:
            self._cache["candidate_idx"] = np.flatnonzero(~self.labeled)
        return self._cache["candidate_idx"]

    @property
    def labeled_idx(self) -> np.ndarray:
        if "labeled_idx" not in self._cache:
            self._cache["labeled_idx"] = np.flatnonzero(self.labeled)
        return self._cache["labeled_idx"]

    def require_model(self, who: str) -> FittedModel:
        """The fitted model, or a ColdStartError that says how to get one."""
        if self.model is None:
            raise ColdStartError(
                f"{who} needs a trained model; label at least two classes first or start "
                "with an exploration strategy."
            )
        return self.model

    def require_factory(self, who: str) -> ModelFactory:
        """The model factory (to train committees or refits), or an error that says why not."""
        if self.factory is None:
            raise ColdStartError(
                f"{who} trains extra models and needs a model factory (an unfitted classifier); "
                "the context holds only a fitted model."
            )
        return self.factory

    def proba(self, who: str = "this strategy") -> np.ndarray:
        """Predicted probabilities of the candidates, shape (n_candidates, n_classes)."""
        if "proba" not in self._cache:
            model = self.require_model(who)
            self._cache["proba"] = model.predict_proba(take_rows(self.X, self.candidate_idx))
        return self._cache["proba"]

    def predict_proba_rows(self, idx: np.ndarray, who: str = "this strategy") -> np.ndarray:
        """The fitted model's probabilities for pool rows `idx` (labeled or not), not cached."""
        return self.require_model(who).predict_proba(take_rows(self.X, np.asarray(idx, dtype=np.intp)))

    def last_layer_input(self, who: str = "this strategy") -> np.ndarray:
        """What the model's final layer sees for each candidate, shape (n_candidates, n_dims)."""
        if "last_layer_input" not in self._cache:
            model = self.require_model(who)
            fn = getattr(model, "last_layer_input", None)
            if not callable(fn):
                raise InvalidInputError(
                    f"{who} needs the model's last-layer inputs, but {type(model).__name__} has no "
                    "last_layer_input(X); implement it (see activelab.models.LastLayer)."
                )
            self._cache["last_layer_input"] = fn(take_rows(self.X, self.candidate_idx))
        return self._cache["last_layer_input"]

    def features(self) -> np.ndarray:
        """A float32 representation of the whole pool (n_samples, n_dims) for geometry.

        User embedding first, then the model's own representation, then standardized inputs.
        """
        if "features" not in self._cache:
            emb = self.embedding
            embed = getattr(self.model, "embed", None)
            if emb is None and callable(embed):
                emb = embed(self.X)
            if emb is None:
                emb = standardized(self.X)
            self._cache["features"] = np.ascontiguousarray(emb, dtype=np.float32)
        return self._cache["features"]

    def has_posterior_samples(self) -> bool:
        """Whether the fitted model samples its predictive posterior (e.g. MC dropout)."""
        return callable(getattr(self.model, "posterior_samples", None))

    def posterior_proba(self, n_samples: int, who: str = "this strategy") -> np.ndarray:
        """Candidate probabilities from the model's posterior samples, shape
        (n_samples, n_candidates, n_classes), seeded by the round's random_state."""
        key = ("posterior", n_samples)
        if key not in self._cache:
            model = self.require_model(who)
            sample = getattr(model, "posterior_samples", None)
            if not callable(sample):
                raise InvalidInputError(
                    f"{who}: {type(model).__name__} has no posterior_samples(X, n_samples); "
                    "see activelab.models.PosteriorSampler."
                )
            self._cache[key] = np.asarray(
                sample(take_rows(self.X, self.candidate_idx), n_samples,
                       random_state=self.random_state), dtype=np.float64)
        return self._cache[key]

    def committee_proba(self, n_members: int, who: str = "this strategy") -> np.ndarray:
        """Candidate probabilities from a bootstrap committee, shape (n_members, n_candidates, n_classes).

        Members come from the context's factory fitted on stratified bootstrap resamples of the
        labeled rows, so each member has seen every labeled class.
        """
        key = ("committee", n_members)
        if key not in self._cache:
            factory = self.require_factory(who)
            check_trainable(compact(self.y[self.labeled_idx]), who)
            members = bootstrap_committee(factory, self.X, self.y, self.labeled_idx, self.classes,
                                          n_members, self.random_state)
            self._cache[key] = self._stack(members)
        return self._cache[key]

    def ensemble_proba(self, models, who: str = "this strategy") -> np.ndarray:
        """Candidate probabilities from an explicit ensemble, shape (n_members, n_candidates, n_classes).

        `models` are factories or unfitted classifiers, each fitted on all labeled rows (the
        originals are untouched); cached per list of model objects.
        """
        models = tuple(models)
        key = ("ensemble", tuple(id(m) for m in models))
        cached = self._cache.get(key)
        if cached is not None and all(a is b for a, b in zip(cached[0], models)):
            return cached[1]
        check_trainable(compact(self.y[self.labeled_idx]), who)
        factories = [as_model_factory(m) for m in models]
        members = ensemble(factories, self.X, self.y, self.labeled_idx, self.classes,
                           self.random_state)
        out = self._stack(members)
        self._cache[key] = (models, out)  # holding the objects keeps their ids unique
        return out

    def refit_with(self, rows: np.ndarray, labels, random_state=None,
                   who: str = "this strategy") -> FittedModel:
        """A model from the factory fitted on the labeled rows plus (`rows`, `labels`); the
        context (its y included) is left untouched."""
        factory = self.require_factory(who)
        rows = np.atleast_1d(np.asarray(rows, dtype=np.intp))
        y = self.y.copy()
        y[rows] = labels
        idx = np.append(self.labeled_idx, rows)
        check_trainable(compact(y[idx]), who)
        return factory.fit(self.X, y, idx, self.classes, random_state=random_state)

    def _stack(self, members) -> np.ndarray:
        X_cand = take_rows(self.X, self.candidate_idx)
        out = np.empty((len(members), self.candidate_idx.shape[0], self.classes.shape[0]))
        for m, member in enumerate(members):
            out[m] = member.predict_proba(X_cand)
        return out
