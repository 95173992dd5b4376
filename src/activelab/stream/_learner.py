"""`StreamLearner`: the one place a stream item is handled — predict (test), decide, learn.

A service, a user's loop and `run_stream` all drive it an item at a time:

    learner = StreamLearner("sgd", "variable_uncertainty", classes=[0, 1], budget=0.1)
    for x in items:
        step = learner.process(x, oracle)      # oracle(x) is called only if step.queried

or, when the label arrives later: ``step = learner.decide(x)`` … ``learner.teach(step, y)``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .._errors import InvalidInputError
from ._models import make_stream_model
from ._registry import make_selector
from ._selectors import StreamSelector

_UNSET: Any = object()


@dataclass
class StreamStep:
    """One item handled by a `StreamLearner`.

    index : the item's position in the stream (0-based).
    prediction : the model's label before learning this item (None before any label).
    proba : class probabilities (columns = `classes_`) or None at cold start.
    queried : whether the label was (or is to be) bought.
    utility : the selector's score (NaN at cold start).
    reason : "rule", "cold_start" or "budget" (see `Decision`).
    label : the label learned from this item (None unless queried and taught).
    """

    index: int
    prediction: Any
    proba: np.ndarray | None
    queried: bool
    utility: float
    reason: str
    label: Any = None


class StreamLearner:
    """An incremental model, a stream selector and its budget, handling one item at a time.

    Parameters
    ----------
    model : stream model name (`stream_model_names()`), scikit-learn estimator with
        partial_fit, River classifier or `StreamModel`.
    selector : selector name (`stream_selector_names()`) or `StreamSelector` (copied; its own
        budget and parameters are used, so pass neither `budget` nor `selector_params` then).
    classes : array-like, every label the stream can carry (at least two).
    budget : labeling rate in (0, 1].
    random_state : int or None; seeds the selector's randomness and the model.
    **selector_params : the selector's own parameters (e.g. ``s=0.01``, ``v=0.1``).

    Cold start: until labels of two classes have been learned, `predict_proba` is None (the
    prediction is the most frequent label learned, or None before any), and selectors that
    need probabilities query every item the budget allows.
    """

    def __init__(self, model="sgd", selector="variable_uncertainty", *, classes,
                 budget: float = 0.1, random_state=None, **selector_params) -> None:
        classes = np.asarray(classes)
        if classes.ndim != 1 or np.unique(classes).size < 2:
            raise InvalidInputError(
                f"classes must list every label of the stream, at least two distinct; got "
                f"{classes.tolist()!r}.")
        self.classes_ = np.unique(classes)
        if isinstance(selector, StreamSelector):
            self.selector = make_selector(selector, **selector_params)  # params: an error
        else:
            self.selector = make_selector(selector, budget=budget, **selector_params)
        seed = None if random_state is None else int(random_state)
        self.model = make_stream_model(model, random_state=seed)
        self.model.start(self.classes_)
        self.selector.reset(self.classes_.size, None if seed is None else [seed, 1])
        self._pos = {c: i for i, c in enumerate(self.classes_.tolist())}
        self.label_counts_ = np.zeros(self.classes_.size, dtype=np.int64)
        self.n_features_: int | None = None
        self.n_seen_ = 0
        self._pending: dict[int, np.ndarray] = {}

    # -- state -----------------------------------------------------------------------------
    @property
    def n_labels_(self) -> int:
        """Labels learned so far."""
        return int(self.label_counts_.sum())

    @property
    def budget_(self):
        """The selector's `BudgetManager` (items seen, labels spent)."""
        return self.selector.budget_

    @property
    def warm(self) -> bool:
        """Whether labels of two classes have been learned (the model is used from then on)."""
        return int((self.label_counts_ > 0).sum()) >= 2

    # -- one item --------------------------------------------------------------------------
    def check_item(self, x) -> np.ndarray:
        """`x` as a finite float row of the stream's width (fixed by the first item)."""
        try:
            row = np.asarray(x, dtype=float)
        except (TypeError, ValueError) as exc:
            raise InvalidInputError(f"a stream item must be numeric features; got {x!r:.80}.") from exc
        if row.ndim != 1:
            raise InvalidInputError(
                f"a stream item is one row of features, shape (n_features,); got shape {row.shape}.")
        if self.n_features_ is None:
            if row.size == 0:
                raise InvalidInputError("a stream item needs at least one feature; got none.")
            self.n_features_ = row.size
        elif row.size != self.n_features_:
            raise InvalidInputError(
                f"item {self.n_seen_} has {row.size} features but the stream's items have "
                f"{self.n_features_}; send rows of width {self.n_features_}.")
        if not np.isfinite(row).all():
            raise InvalidInputError(
                f"item {self.n_seen_} contains NaN or infinity; impute or drop it before "
                "sending it to the stream.")
        return row

    def predict_proba(self, X) -> np.ndarray | None:
        """Class probabilities of rows X (n, len(classes_)), or None at cold start."""
        if not self.warm:
            return None
        P = self.model.predict_proba(np.asarray(X, dtype=float).reshape(-1, self.n_features_))
        if not np.isfinite(P).all():
            raise InvalidInputError(
                f"the stream model {self.model!r} returned NaN or infinite probabilities; "
                "check its features' scales or use another model.")
        return P

    def decide(self, x, proba=_UNSET) -> StreamStep:
        """Predict item `x`, then let the selector decide whether to buy its label.

        The label is not learned here: call `teach(step, y)` for a queried step.
        """
        row = self.check_item(x)
        if proba is _UNSET:
            p = self.predict_proba(row)
            proba = None if p is None else p[0]
        return self._decide(row, proba)

    def _decide(self, row: np.ndarray, proba: np.ndarray | None) -> StreamStep:
        """`decide` for a checked row and its probabilities (computed by the caller)."""
        if proba is None:
            prediction = (self.classes_[int(np.argmax(self.label_counts_))]
                          if self.n_labels_ else None)
        else:
            prediction = self.classes_[int(np.argmax(proba))]
        d = self.selector.decide(row, proba)
        step = StreamStep(self.n_seen_, prediction, proba, d.queried, d.utility, d.reason)
        if d.queried:
            self._pending[self.n_seen_] = row
        self.n_seen_ += 1
        return step

    def teach(self, step: StreamStep, y) -> None:
        """Learn the label `y` of a queried step (each queried step once)."""
        row = self._pending.pop(step.index, None)
        if row is None:
            raise InvalidInputError(
                f"item {step.index} was not queried (or was already taught); only labels the "
                "selector bought may be learned, so the budget stays true.")
        j = self._pos.get(y.item() if isinstance(y, np.generic) else y)
        if j is None:
            self._pending[step.index] = row
            raise InvalidInputError(
                f"label {y!r} is not one of the stream's classes {self.classes_.tolist()!r}; "
                "pass classes= with every label the stream can carry.")
        self.model.learn_one(row, self.classes_[j])
        self.label_counts_[j] += 1
        step.label = self.classes_[j]

    def process(self, x, label_or_oracle: Any | Callable[[np.ndarray], Any]) -> StreamStep:
        """Test-then-train one item: predict, decide, and if queried learn its label — the
        given label, or ``oracle(x)``, called only when the selector queries."""
        step = self.decide(x)
        if step.queried:
            y = label_or_oracle(np.asarray(x)) if callable(label_or_oracle) else label_or_oracle
            self.teach(step, y)
        return step

    def __repr__(self) -> str:
        return (f"StreamLearner(model={self.model!r}, selector={self.selector!r}, "
                f"classes={self.classes_.tolist()!r})")


