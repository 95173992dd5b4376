"""The multi-label round: fit → context → select → labels, one round at a time.

`MultilabelLoop` mirrors `activelab.ActiveLoop` (propose / teach / set_labels / fit / history)
for an (n, L) label matrix, so the simulation, the runner and the labeling service share it.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import clone

from .._errors import InvalidInputError
from .._validation import (
    check_batch_size,
    check_embedding,
    check_finite,
    n_rows,
    take_rows,
)
from ..models import with_random_state
from ..strategies import Selection
from ._validation import check_label_matrix, check_model_trainable
from .context import MultilabelContext
from .models import default_multilabel_model, make_multilabel_model
from .strategies import DEFAULT_STRATEGY, MultilabelStrategy, make_multilabel_strategy


def resolve_multilabel_model(model):
    """None → binary-relevance logistic regression; a name → `make_multilabel_model`; an
    unfitted estimator with fit(X, Y) and predict_proba(X) → (n, L) is used as given."""
    if model is None:
        return default_multilabel_model()
    if isinstance(model, str):
        return make_multilabel_model(model)
    if not (hasattr(model, "fit") and hasattr(model, "predict_proba")):
        raise InvalidInputError(
            f"model must be a multi-label estimator with fit(X, Y) and predict_proba(X) -> (n, "
            f"n_labels); {type(model).__name__} lacks them. Wrap a binary classifier in "
            "activelab.multilabel.BinaryRelevance.")
    return model


def check_multilabel_pool(X) -> int:
    """Rows of a pool X after checking it is non-empty and finite."""
    n = n_rows(X)
    if n == 0:
        raise InvalidInputError("the pool X is empty; it needs at least one row.")
    if isinstance(X, np.ndarray) and X.ndim != 2:
        raise InvalidInputError(f"X must be 2-D (n_samples, n_features); got shape {X.shape}.")
    check_finite(X)
    return n


@dataclass(frozen=True)
class MultilabelRound:
    """One finished round: the selection, labeled rows after it, and what each step cost."""

    selection: Selection
    n_labels: int
    select_seconds: float
    fit_seconds: float
    info: dict = field(default_factory=dict)


class MultilabelLoop:
    """Pool-based multi-label active learning.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features); checked once here.
    Y : array-like of shape (n_samples, n_labels): 0/1 rows, −1 rows unlabeled.
    strategy : name or MultilabelStrategy (cloned).
    model : None, a name from `multilabel_model_names()`, or an unfitted multi-label estimator.
    label_names : optional; fixes the width of Y.
    embedding : optional (n_samples, n_dims) representation for the exploration strategies.
    random_state : int or None; seeds the rounds' draws (``[seed, 1]``) and every fit (``seed``).
    """

    def __init__(self, X, Y, *, strategy=DEFAULT_STRATEGY, model=None, label_names=None,
                 embedding=None, random_state: int | None = None, **strategy_params) -> None:
        n = check_multilabel_pool(X)
        Y_arr, labeled = check_label_matrix(Y, label_names=label_names)
        if Y_arr.shape[0] != n:
            raise InvalidInputError(
                f"X has {n} rows but Y has {Y_arr.shape[0]}; Y covers the whole pool, with "
                "rows of activelab.UNLABELED for rows not labeled yet.")
        if random_state is not None and (
                isinstance(random_state, bool) or not isinstance(random_state, (int, np.integer))):
            raise InvalidInputError(f"random_state must be an int or None; got {random_state!r}.")
        self.X, self.Y, self._labeled = X, Y_arr, labeled
        self.label_names = None if label_names is None else list(label_names)
        self.embedding = None if embedding is None else check_embedding(embedding, n)
        self.strategy: MultilabelStrategy = clone(make_multilabel_strategy(strategy, **strategy_params))
        self.model = resolve_multilabel_model(model)
        seed = None if random_state is None else int(random_state)
        self._fit_seed = seed
        self._rng = np.random.default_rng(None if seed is None else [seed, 1])
        self.fitted = None
        self.pending: Selection | None = None
        self.history: list[MultilabelRound] = []
        self.last_fit_seconds = 0.0
        self._changed = True
        self._ctx: MultilabelContext | None = None
        self._select_seconds = 0.0

    @property
    def labeled(self) -> np.ndarray:
        view = self._labeled.view()
        view.flags.writeable = False
        return view

    def teach(self, idx, labels) -> None:
        """Record the 0/1 label rows `labels` (k, L) for pool rows `idx` (k,)."""
        idx = np.atleast_1d(np.asarray(idx))
        if idx.dtype.kind not in "iu" or idx.ndim != 1:
            raise InvalidInputError(f"idx must be 1-D integer row positions; got {idx.dtype}.")
        lab, known = check_label_matrix(np.atleast_2d(labels), n_labels=self.Y.shape[1],
                                        name="labels")
        if lab.shape[0] != idx.shape[0]:
            raise InvalidInputError(f"got {lab.shape[0]} label rows for {idx.shape[0]} rows.")
        if idx.size and (idx.min() < 0 or idx.max() >= self.Y.shape[0]):
            raise InvalidInputError(f"row positions must lie in [0, {self.Y.shape[0]}).")
        self.Y[idx] = lab
        self._labeled[idx] = known
        self._changed = True

    def set_labels(self, Y) -> None:
        """Replace the whole label matrix (e.g. read back from the labeling service)."""
        Y_arr, labeled = check_label_matrix(Y, n_labels=self.Y.shape[1])
        if Y_arr.shape != self.Y.shape:
            raise InvalidInputError(f"Y must have shape {self.Y.shape}; got {Y_arr.shape}.")
        if np.array_equal(Y_arr, self.Y):
            return
        self.Y, self._labeled, self._changed = Y_arr, labeled, True

    def fit(self):
        """Refit on the labeled rows when they changed; None while no row is labeled."""
        if not self._changed:
            return self.fitted
        t0 = time.perf_counter()
        lab = np.flatnonzero(self._labeled)
        self.fitted = None
        if lab.size:
            est = with_random_state(self.model, self._fit_seed)
            self.fitted = est.fit(take_rows(self.X, lab), self.Y[lab])
        self.last_fit_seconds = time.perf_counter() - t0 if lab.size else 0.0
        self._changed, self._ctx = False, None
        pending, self.pending = self.pending, None
        if pending is not None:
            self.history.append(MultilabelRound(pending, int(self._labeled.sum()),
                                                self._select_seconds, self.last_fit_seconds,
                                                dict(pending.info)))
        return self.fitted

    def context(self) -> MultilabelContext:
        """This round's context (built once per round; fits first if labels changed)."""
        if self._changed:
            self.fit()
        if self._ctx is None:
            strat = self.strategy
            if strat.needs_model or strat.needs_factory:
                check_model_trainable(self.Y[self._labeled], f"strategy {strat.name!r}")
            self._ctx = MultilabelContext(
                X=self.X, Y=self.Y, labeled=self._labeled.copy(), model=self.fitted,
                factory=with_random_state(self.model, self._fit_seed), embedding=self.embedding,
                random_state=int(self._rng.integers(2**31 - 1)))
        return self._ctx

    def propose(self, batch_size: int) -> Selection:
        """The next batch: `batch_size` distinct unlabeled rows, most informative first."""
        batch_size = check_batch_size(batch_size, int((~self._labeled).sum()))
        ctx = self.context()
        t0 = time.perf_counter()
        sel = select_checked(self.strategy, ctx, batch_size, self._rng)
        self._select_seconds = time.perf_counter() - t0
        self.pending = sel
        return sel


def select_checked(strategy: MultilabelStrategy, ctx: MultilabelContext, batch_size: int,
                   rng) -> Selection:
    """Run a strategy and verify its contract: `batch_size` distinct unlabeled rows."""
    sel = strategy.select(ctx, batch_size, rng)
    idx = np.asarray(sel.idx, dtype=np.intp)
    if (idx.shape != (batch_size,) or np.unique(idx).shape[0] != batch_size
            or (idx < 0).any() or (idx >= ctx.n_samples).any() or ctx.labeled[idx].any()):
        raise RuntimeError(
            f"strategy {strategy.name!r} broke its contract: it must return {batch_size} "
            f"distinct unlabeled rows; got {idx.tolist()[:20]}")
    return sel
