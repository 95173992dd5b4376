"""The pool state handed to a strategy: data, labels, a fitted model, and shared, cached
computations (probabilities, embeddings, committees) so each is computed once per round."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .._errors import ColdStartError
from .._model import ModelAdapter, standardized, stratified_bootstrap
from .._validation import take_rows


@dataclass
class PoolContext:
    """Everything a strategy may read about one round.

    Attributes
    ----------
    X : array-like of shape (n_samples, n_features)
        The whole pool (labeled and unlabeled rows); every index is a row position in it.
    y : ndarray of shape (n_samples,)
        Labels with the unlabeled marker where unknown.
    labeled : ndarray of bool, shape (n_samples,)
    classes : ndarray of shape (n_classes,)
        The full label set; probability columns follow this order.
    model : ModelAdapter or None
        A model fitted on the labeled rows (None when no strategy needs one).
    estimator : scikit-learn classifier or None
        The unfitted prototype, for strategies that build committees.
    embedding : ndarray of shape (n_samples, n_dims) or None
        A user-supplied representation; otherwise taken from the model or standardized X.
    random_state : int or None
        Seed of the round, for cached computations that need randomness (committees).
    """

    X: Any
    y: np.ndarray
    labeled: np.ndarray
    classes: np.ndarray
    model: ModelAdapter | None = None
    estimator: Any = None
    embedding: np.ndarray | None = None
    random_state: int | None = None
    _cache: dict = field(default_factory=dict, repr=False)

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

    def require_model(self, who: str) -> ModelAdapter:
        """The fitted model, or a ColdStartError that says how to get one."""
        if self.model is None:
            raise ColdStartError(
                f"{who} needs a trained model; label at least two classes first or start "
                "with an exploration strategy."
            )
        return self.model

    def proba(self, who: str = "this strategy") -> np.ndarray:
        """Predicted probabilities of the candidates, shape (n_candidates, n_classes)."""
        if "proba" not in self._cache:
            model = self.require_model(who)
            self._cache["proba"] = model.predict_proba(take_rows(self.X, self.candidate_idx))
        return self._cache["proba"]

    def features(self) -> np.ndarray:
        """A float32 representation of the whole pool (n_samples, n_dims) for geometry.

        User embedding first, then the model's own transform, then standardized inputs.
        """
        if "features" not in self._cache:
            emb = self.embedding
            if emb is None and self.model is not None:
                emb = self.model.embed(self.X)
            if emb is None:
                emb = standardized(self.X)
            self._cache["features"] = np.ascontiguousarray(emb, dtype=np.float32)
        return self._cache["features"]

    def committee_proba(self, n_members: int, who: str = "this strategy") -> np.ndarray:
        """Candidate probabilities from a bootstrap committee, shape (n_members, n_candidates, n_classes).

        Members are clones of `estimator` fitted on stratified bootstrap resamples of the
        labeled rows, so each member has seen every labeled class.
        """
        key = ("committee", n_members)
        if key not in self._cache:
            if self.estimator is None:
                raise ColdStartError(f"{who} needs an estimator to build a committee.")
            lab = self.labeled_idx
            y_lab = self.y[lab]
            rng = np.random.default_rng(self.random_state)
            X_cand = take_rows(self.X, self.candidate_idx)
            out = np.empty((n_members, self.candidate_idx.shape[0], self.classes.shape[0]))
            for m in range(n_members):
                boot = lab[stratified_bootstrap(y_lab, rng)]
                member = ModelAdapter.fit(
                    self.estimator, self.X, self.y, boot, self.classes,
                    random_state=int(rng.integers(2**31 - 1)), who=who,
                )
                out[m] = member.predict_proba(X_cand)
            self._cache[key] = out
        return self._cache[key]

    def ensemble_proba(self, estimators, who: str = "this strategy") -> np.ndarray:
        """Candidate probabilities from an explicit ensemble, shape (n_members, n_candidates, n_classes).

        Each estimator is cloned and fitted on all labeled rows (the originals are untouched);
        member m gets a random_state derived from the round's seed and m, so a round is
        reproducible while members stay distinct. Cached per list of estimator objects.
        """
        estimators = tuple(estimators)
        key = ("ensemble", tuple(id(e) for e in estimators))
        cached = self._cache.get(key)
        if cached is not None and all(a is b for a, b in zip(cached[0], estimators)):
            return cached[1]
        lab = self.labeled_idx
        seeds = np.random.default_rng(self.random_state).integers(2**31 - 1, size=len(estimators))
        X_cand = take_rows(self.X, self.candidate_idx)
        out = np.empty((len(estimators), self.candidate_idx.shape[0], self.classes.shape[0]))
        for m, est in enumerate(estimators):
            member = ModelAdapter.fit(
                est, self.X, self.y, lab, self.classes, random_state=int(seeds[m]), who=who,
            )
            out[m] = member.predict_proba(X_cand)
        self._cache[key] = (estimators, out)  # holding the objects keeps their ids unique
        return out
