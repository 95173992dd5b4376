"""The one place a round happens: fit → context → select → labels → update → record.

`ActiveLoop` is used by `simulate` (and through it the experiment runner) and by the labeling
service's worker alike, so adaptive strategies learn wherever they run. `build_context` and
`select_checked` are its two steps, public for one-shot use (`activelab.propose`) and for
strategy authors.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import check_is_fitted

from ._errors import InvalidInputError
from ._labels import compact, labeled_mask
from ._validation import check_batch_size, check_embedding, check_pool, n_rows
from .models import (
    FittedModel,
    ModelFactory,
    SklearnFitted,
    SklearnModel,
    check_classifier,
    check_trainable,
    is_fitted_model,
    is_model_factory,
)
from .strategies import Feedback, PoolContext, Selection, Strategy, make_strategy


def resolve_classes(y: np.ndarray, labeled: np.ndarray, classes=None) -> np.ndarray:
    """The full label set: `classes` when given (checked against y), else the labels seen."""
    seen = np.unique(compact(y[labeled])) if labeled.any() else np.asarray([])
    if classes is None:
        return seen
    classes = np.unique(np.asarray(classes))
    unknown = np.setdiff1d(seen, classes)
    if unknown.size:
        raise InvalidInputError(
            f"y holds labels {unknown.tolist()!r} that are not in classes={classes.tolist()!r}."
        )
    return classes


def _is_fitted_estimator(model) -> bool:
    try:
        check_is_fitted(model)
    except (NotFittedError, TypeError):
        return False
    return hasattr(model, "classes_")


def _union(a, b) -> np.ndarray:
    return np.unique(np.concatenate([np.asarray(a), np.asarray(b)]))


def resolve_model(model, classes: np.ndarray) -> tuple[ModelFactory | None, FittedModel | None]:
    """(factory, fixed fitted model) for what a user passed as `model`.

    None → the default factory; a factory → itself; an unfitted scikit-learn classifier → its
    `SklearnModel`; a fitted one → used as is (never refitted; its clones still train
    committees); a fitted model of the seam (`classes`, `predict_proba`) → used as is.
    """
    if model is None:
        return SklearnModel(), None
    if is_fitted_model(model):
        return None, model
    if is_model_factory(model):
        return model, None
    check_classifier(model)
    if _is_fitted_estimator(model):
        return SklearnModel(model), SklearnFitted(model, _union(classes, model.classes_))
    return SklearnModel(model), None


def build_context(
    X, y, *, strategy: Strategy, model=None, fitted: FittedModel | None = None,
    classes=None, embedding=None, random_state=None, validate: bool = True,
    labeled: np.ndarray | None = None,
) -> PoolContext:
    """Validate the pool and build the round's context, fitting the model when the strategy
    needs one and no fitted model is handed in (`validate=False` skips re-checking X, for a
    loop that checked it once, and may then hand in the `labeled` mask it keeps)."""
    if validate:
        y_arr, labeled = check_pool(X, y)
    else:
        y_arr = np.asarray(y)
        labeled = labeled_mask(y_arr) if labeled is None else labeled
    classes = resolve_classes(y_arr, labeled, classes)
    if embedding is not None and validate:
        embedding = check_embedding(embedding, labeled.shape[0])
    factory, fixed = resolve_model(model, classes)
    if fitted is None and fixed is not None and (strategy.needs_model or is_fitted_model(model)):
        fitted = fixed  # a fitted scikit-learn model only serves strategies that need one
    if fitted is not None:
        classes = _union(classes, fitted.classes)
    elif strategy.needs_model:
        lab = np.flatnonzero(labeled)
        check_trainable(compact(y_arr[lab]), f"strategy {strategy.name!r}")
        fitted = factory.fit(X, y_arr, lab, classes, random_state=random_state)
    return PoolContext(
        X=X, y=y_arr, labeled=labeled, classes=classes, model=fitted, factory=factory,
        embedding=embedding, random_state=random_state, checked_finite=True,
    )


def select_checked(strategy: Strategy, ctx: PoolContext, batch_size: int, rng) -> Selection:
    """Run a strategy and verify its contract: batch_size distinct unlabeled row positions."""
    sel = strategy.select(ctx, batch_size, rng)
    idx = np.asarray(sel.idx, dtype=np.intp)
    if (
        idx.shape != (batch_size,)
        or np.unique(idx).shape[0] != batch_size
        or (idx < 0).any() or (idx >= ctx.n_samples).any()
        or ctx.labeled[idx].any()
    ):
        raise RuntimeError(
            f"strategy {strategy.name!r} broke its contract: it must return {batch_size} "
            f"distinct unlabeled rows; got {idx.tolist()[:20]}"
        )
    return sel


@dataclass(frozen=True)
class Round:
    """One finished round: the selection, the labels it led to, and what each step cost."""

    selection: Selection
    n_labels: int
    select_seconds: float
    fit_seconds: float
    info: dict = field(default_factory=dict)


def _is_adaptive(strategy: Strategy) -> bool:
    return type(strategy).update is not Strategy.update


def _backend_pool(X, strategy: Strategy, backend: str, ray_address, embedding):
    """The in-memory pool as pieces for `activelab.distributed`, after checking the round can
    run there (numeric 2-D X, a strategy that runs distributed, no separate embedding)."""
    from .backends import BACKENDS
    from .distributed import support_for
    from .pools import ParquetPool

    if backend not in BACKENDS:
        raise InvalidInputError(f"unknown backend {backend!r}; choose one of {', '.join(BACKENDS)}.")
    if ray_address is not None and backend != "ray":
        raise InvalidInputError("ray_address is only used with backend='ray'.")
    if embedding is not None:
        raise InvalidInputError(
            f"backend={backend!r} selects on X itself; an embedding= is not used there (make the "
            "embedding the pool, or select in memory).")
    support_for(strategy)
    if not isinstance(X, np.ndarray) or X.ndim != 2 or X.dtype.kind not in "fiub":
        raise InvalidInputError(
            f"backend={backend!r} needs the pool as a numeric 2-D NumPy array; got "
            f"{type(X).__name__}.")
    return ParquetPool.from_arrays(X)


class ActiveLoop:
    """Pool-based active learning, one round at a time.

    ``propose(batch_size)`` fits the model on the labels so far (when they changed), builds the
    round's `PoolContext` and asks the strategy; ``teach(idx, labels)`` (a person or a simulated
    oracle answered) or ``set_labels(y)`` (the labeling service's database is the truth) records
    labels; the next ``fit``/``propose`` refits and tells an adaptive strategy how its last batch
    went (`Strategy.update`). Finished rounds are kept in `history`.

    Parameters
    ----------
    X : array-like, DataFrame or sparse matrix of shape (n_samples, n_features)
        The pool; checked once here.
    y : array-like of shape (n_samples,)
        Current labels with the unlabeled marker (see `activelab.UNLABELED`).
    strategy : str or Strategy
        Cloned, so the object passed in never learns; the live one is `self.strategy`.
    model : model factory, scikit-learn classifier, fitted model, or None
        See `resolve_model`; default standardized logistic regression.
    classes : array-like, optional
        The full label set (default: the labels seen so far).
    embedding : ndarray of shape (n_samples, n_dims), optional
    random_state : int or None
        Seeds the rounds' draws (``[seed, 1]``) and every fit (``seed``), so runs with the same
        seed are identical.
    backend : None, "local" or "ray"
        None selects in this process on the in-memory pool (all strategies). "local" or "ray"
        send each selection to `activelab.distributed` (the pool split into pieces; "ray": one
        worker per CPU of the Ray cluster at `ray_address`, a local one when None); the
        strategies that run there are listed by `activelab strategies`, and the exact ones pick
        the same rows as in memory.
    **strategy_params
        Passed to the strategy's constructor.
    """

    def __init__(self, X, y, *, strategy="margin", model=None, classes=None, embedding=None,
                 random_state: int | None = None, backend: str | None = None,
                 ray_address: str | None = None, **strategy_params) -> None:
        y_arr, labeled = check_pool(X, y)
        if random_state is not None and (
            isinstance(random_state, bool) or not isinstance(random_state, (int, np.integer))
        ):
            raise InvalidInputError(f"random_state must be an int or None; got {random_state!r}.")
        self.X = X
        self.y = np.array(y_arr, copy=True)
        self._labeled = np.array(labeled, copy=True)  # kept in step with y by teach/set_labels
        self.classes = None if classes is None else resolve_classes(y_arr, labeled, classes)
        self.embedding = None if embedding is None else check_embedding(embedding, n_rows(X))
        self.strategy = clone(make_strategy(strategy, **strategy_params))
        self.factory, self._fixed = resolve_model(model, resolve_classes(y_arr, labeled, classes))
        seed = None if random_state is None else int(random_state)
        self._rng = np.random.default_rng(None if seed is None else [seed, 1])
        self._fit_seed = seed
        self.fitted: FittedModel | None = self._fixed
        self.pending: Selection | None = None
        self.history: list[Round] = []
        self.last_fit_seconds = 0.0
        self._changed = True
        self._ctx: PoolContext | None = None
        self._carried = 0.0
        self._select_seconds = 0.0
        self.backend, self.ray_address, self._pool = backend, ray_address, None
        if backend is not None:
            self._pool = _backend_pool(X, self.strategy, backend, ray_address, embedding)

    # -- labels ---------------------------------------------------------------------------------

    @property
    def labeled(self) -> np.ndarray:
        """Which pool rows carry a label (read-only view; updated by teach and set_labels)."""
        view = self._labeled.view()
        view.flags.writeable = False
        return view

    def teach(self, idx, labels) -> None:
        """Record `labels` for pool rows `idx` (the oracle's answers)."""
        idx = np.atleast_1d(np.asarray(idx))
        labels = np.atleast_1d(np.asarray(labels, dtype=object if self.y.dtype.kind == "O" else None))
        if idx.dtype.kind not in "iu" or idx.ndim != 1:
            raise InvalidInputError(f"idx must be 1-D integer row positions; got {idx.dtype}.")
        if labels.shape != idx.shape:
            raise InvalidInputError(f"got {labels.shape[0]} labels for {idx.shape[0]} rows.")
        if idx.size and (idx.min() < 0 or idx.max() >= self.y.shape[0]):
            raise InvalidInputError(f"row positions must lie in [0, {self.y.shape[0]}).")
        self.y[idx] = labels
        self._labeled[idx] = labeled_mask(self.y[idx])
        self._changed = True

    def set_labels(self, y) -> None:
        """Replace the whole label vector (e.g. read back from the labeling service's log)."""
        y_arr = np.asarray(y)
        if y_arr.shape != self.y.shape:
            raise InvalidInputError(f"y must have shape {self.y.shape}; got {y_arr.shape}.")
        mask = labeled_mask(y_arr)
        if self.y.dtype == y_arr.dtype and np.array_equal(self._labeled, mask) \
                and np.array_equal(self.y[mask], y_arr[mask]):
            return
        self.y = np.array(y_arr, copy=True)
        self._labeled = mask
        self._changed = True

    # -- the round ------------------------------------------------------------------------------

    def _classes(self) -> np.ndarray:
        if self.classes is not None:
            return self.classes
        return resolve_classes(self.y, self.labeled)

    def fit(self) -> FittedModel | None:
        """Refit on the current labels (when they changed) and, for an adaptive strategy, feed
        back how the pending selection went. None while fewer than two classes are labeled."""
        if not self._changed:
            return self.fitted
        t0 = time.perf_counter()
        fit_s = 0.0
        if self._fixed is None:
            lab = np.flatnonzero(self.labeled)
            if np.unique(compact(self.y[lab])).shape[0] < 2:
                self.fitted = None
            else:
                self.fitted = self.factory.fit(self.X, self.y, lab, self._classes(),
                                               random_state=self._fit_seed)
                fit_s = time.perf_counter() - t0
        self.last_fit_seconds = fit_s
        self._changed = False
        self._ctx = None
        pending, self.pending = self.pending, None
        if pending is not None:
            self._feedback(pending)
            self.history.append(Round(pending, int(self.labeled.sum()), self._select_seconds,
                                      fit_s, dict(pending.info)))
        return self.fitted

    def _feedback(self, pending: Selection) -> None:
        """Tell an adaptive strategy how `pending` went; the context it learns from is the next
        round's (built once, its cost counted in the next selection's time)."""
        if not _is_adaptive(self.strategy) or self.fitted is None:
            return
        known = self.labeled[pending.idx]
        if not known.any():
            return
        t1 = time.perf_counter()
        ctx = self.context()
        self.strategy.update(Feedback(selection=pending, labels=self.y[pending.idx],
                                      ctx_after=ctx, known=None if known.all() else known))
        self._carried += time.perf_counter() - t1

    def context(self) -> PoolContext:
        """This round's context (built once per round; fits first if labels changed)."""
        if self._changed:
            self.fit()
        if self._ctx is None:
            self._ctx = build_context(
                self.X, self.y, strategy=self.strategy, model=self.factory, fitted=self.fitted,
                classes=self._classes(), embedding=self.embedding,
                random_state=int(self._rng.integers(2**31 - 1)), validate=False,
                labeled=self._labeled.copy(),
            )
        return self._ctx

    def propose(self, batch_size: int) -> Selection:
        """The next batch: `batch_size` distinct unlabeled rows, most informative first."""
        batch_size = check_batch_size(batch_size, int((~self.labeled).sum()))
        self.fit()
        t0 = time.perf_counter()
        if self._pool is not None:
            sel = self._select_on_backend(batch_size)
        else:
            sel = select_checked(self.strategy, self.context(), batch_size, self._rng)
        self._select_seconds = self._carried + time.perf_counter() - t0
        self._carried = 0.0
        self.pending = sel
        return sel

    def _select_on_backend(self, batch_size: int) -> Selection:
        """The round on `self.backend`: the loop's fitted model and its rng are handed over, so
        the seed and tie-breaking draws are those `context` + `select_checked` would make."""
        from .distributed import select_rows

        lab = np.flatnonzero(self.labeled)
        idx = select_rows(
            self._pool, lab, self.y[lab], strategy=self.strategy, model=self.factory,
            fitted=self.fitted, batch_size=batch_size, random_state=self._rng,
            classes=self._classes(), backend=self.backend, ray_address=self.ray_address,
        )
        return Selection(idx=np.asarray(idx, dtype=np.intp), info={"backend": self.backend})
