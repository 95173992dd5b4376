"""What a multi-label strategy may read about one round: the pool, the (n, L) labels, a fitted
model, and cached predictions for the candidates (computed once per round, shared)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from sklearn.base import clone

from .._errors import ColdStartError, InvalidInputError
from .._features import standardized
from .._validation import take_rows
from ._validation import check_label_matrix, check_model_trainable


@dataclass
class MultilabelContext:
    """One round of pool-based multi-label active learning.

    Attributes
    ----------
    X : array-like of shape (n_samples, n_features); every index is a row position in it.
    Y : ndarray of int of shape (n_samples, n_labels); −1 rows are unlabeled.
    model : fitted multi-label model (predict_proba → (n, L)) or None.
    factory : unfitted multi-label model that strategies may clone and fit (Adaptive's
        look-ahead); None when refits are not allowed.
    embedding : ndarray (n_samples, n_dims) or None, for the exploration strategies.
    random_state : int or None, the round's seed.
    """

    X: Any
    Y: np.ndarray
    model: Any = None
    factory: Any = None
    embedding: np.ndarray | None = None
    random_state: int | None = None
    labeled: np.ndarray | None = None
    _cache: dict = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        if self.labeled is None:
            self.Y, self.labeled = check_label_matrix(self.Y)
        self.labeled = np.asarray(self.labeled, dtype=bool)
        if self.labeled.shape[0] != self.Y.shape[0]:
            raise InvalidInputError(f"labeled has {self.labeled.shape[0]} rows but Y has {self.Y.shape[0]}.")

    @property
    def n_samples(self) -> int:
        return int(self.Y.shape[0])

    @property
    def n_labels(self) -> int:
        return int(self.Y.shape[1])

    @property
    def candidate_idx(self) -> np.ndarray:
        """Unlabeled row positions, increasing."""
        if "candidate_idx" not in self._cache:
            self._cache["candidate_idx"] = np.flatnonzero(~self.labeled)
        return self._cache["candidate_idx"]

    @property
    def labeled_idx(self) -> np.ndarray:
        if "labeled_idx" not in self._cache:
            self._cache["labeled_idx"] = np.flatnonzero(self.labeled)
        return self._cache["labeled_idx"]

    @property
    def Y_labeled(self) -> np.ndarray:
        """The labeled rows' 0/1 matrix, shape (n_labeled, n_labels)."""
        return self.Y[self.labeled_idx]

    def require_model(self, who: str):
        if self.model is None:
            check_model_trainable(self.Y_labeled, who)
            raise ColdStartError(f"{who} needs a fitted model; the context holds none.")
        return self.model

    def require_factory(self, who: str):
        if self.factory is None:
            raise ColdStartError(
                f"{who} refits the model on look-ahead labels and needs an unfitted model "
                "(factory); the context holds only a fitted one.")
        return self.factory

    def proba(self, who: str = "this strategy") -> np.ndarray:
        """P(label j applies) for each candidate, shape (n_candidates, n_labels)."""
        if "proba" not in self._cache:
            self._cache["proba"] = self.proba_rows(self.candidate_idx, who)
        return self._cache["proba"]

    def decision(self, who: str = "this strategy") -> np.ndarray:
        """Real-valued outputs for each candidate (positive = present), (n_candidates, n_labels)."""
        if "decision" not in self._cache:
            self._cache["decision"] = self.decision_rows(self.candidate_idx, who)
        return self._cache["decision"]

    def proba_rows(self, idx: np.ndarray, who: str = "this strategy", model=None) -> np.ndarray:
        model = model if model is not None else self.require_model(who)
        return _as_matrix(model.predict_proba(take_rows(self.X, idx)), len(idx), self.n_labels)

    def decision_rows(self, idx: np.ndarray, who: str = "this strategy", model=None) -> np.ndarray:
        """The model's decision_function when it has one, else 2p − 1."""
        model = model if model is not None else self.require_model(who)
        rows = take_rows(self.X, idx)
        fn = getattr(model, "decision_function", None)
        if callable(fn):
            return _as_matrix(fn(rows), len(idx), self.n_labels)
        return 2.0 * self.proba_rows(idx, who, model) - 1.0

    def refit_with(self, rows: np.ndarray, labels: np.ndarray, who: str = "this strategy"):
        """A clone of the factory fitted on the labeled rows plus (`rows`, `labels` (k, L))."""
        factory = self.require_factory(who)
        idx = np.concatenate([self.labeled_idx, np.atleast_1d(rows)])
        Y = np.vstack([self.Y_labeled, np.atleast_2d(labels)])
        return clone(factory).fit(take_rows(self.X, idx), Y)

    def features(self) -> np.ndarray:
        """The user's embedding, else standardized X, as float32 (for the exploration strategies)."""
        if "features" not in self._cache:
            emb = self.embedding if self.embedding is not None else standardized(self.X)
            self._cache["features"] = np.ascontiguousarray(emb, dtype=np.float32)
        return self._cache["features"]


def _as_matrix(out, n: int, L: int) -> np.ndarray:
    arr = np.asarray(out, dtype=np.float64)
    if arr.shape != (n, L):
        raise InvalidInputError(
            f"the multi-label model returned shape {arr.shape}; expected ({n}, {L}) — one column "
            "per label (see activelab.multilabel.BinaryRelevance).")
    return arr
