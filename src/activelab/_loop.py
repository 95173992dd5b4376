"""One step of the loop — propose a batch for the current labels — shared by `query`, the
simulator and (later) the labeling service."""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import check_is_fitted
from sklearn.exceptions import NotFittedError

from ._labels import compact
from ._model import ModelAdapter, check_classifier, default_model
from ._validation import check_batch_size, check_embedding, check_pool
from .strategies import PoolContext, Selection, Strategy, make_strategy


def resolve_classes(y: np.ndarray, labeled: np.ndarray, classes=None) -> np.ndarray:
    """The full label set: `classes` when given (checked against y), else the labels seen."""
    seen = np.unique(compact(y[labeled])) if labeled.any() else np.asarray([])
    if classes is None:
        return seen
    classes = np.unique(np.asarray(classes))
    unknown = np.setdiff1d(seen, classes)
    if unknown.size:
        from ._errors import InvalidInputError

        raise InvalidInputError(
            f"y holds labels {unknown.tolist()!r} that are not in classes={classes.tolist()!r}."
        )
    return classes


def is_adapter(model) -> bool:
    """Whether `model` is a fitted model adapter (see `activelab._model.ModelAdapter`): an
    object with `classes`, `predict_proba`, `embed` and `last_layer_input`. This is the seam a
    PyTorch (or any other framework's) model plugs into without changing strategies."""
    return all(hasattr(model, a) for a in ("classes", "predict_proba", "embed", "last_layer_input"))


def is_fitted(model) -> bool:
    try:
        check_is_fitted(model)
    except (NotFittedError, TypeError):
        return False
    return hasattr(model, "classes_")


def build_context(
    X, y, *, strategy: Strategy, model=None, fitted: ModelAdapter | None = None,
    classes=None, embedding=None, random_state=None,
) -> PoolContext:
    """Validate the pool and build the round's context, fitting a clone of `model` when the
    strategy needs one and no fitted adapter is handed in."""
    y_arr, labeled = check_pool(X, y)
    classes = resolve_classes(y_arr, labeled, classes)
    if embedding is not None:
        embedding = check_embedding(embedding, labeled.shape[0])
    estimator = model if model is not None else default_model()
    if fitted is None and is_adapter(estimator):  # e.g. a PyTorch adapter: already fitted
        fitted, estimator = estimator, None
        classes = _union(classes, fitted.classes)
    else:
        check_classifier(estimator)
    if fitted is None and strategy.needs_model:
        if is_fitted(estimator):
            fitted = ModelAdapter.from_fitted(estimator, _union(classes, estimator.classes_))
            classes = fitted.classes
        else:
            fitted = ModelAdapter.fit(
                estimator, X, y_arr, np.flatnonzero(labeled), classes,
                random_state=random_state, who=f"strategy {strategy.name!r}",
            )
    return PoolContext(
        X=X, y=y_arr, labeled=labeled, classes=classes, model=fitted,
        estimator=estimator, embedding=embedding, random_state=random_state,
    )


def _union(a, b) -> np.ndarray:
    return np.unique(np.concatenate([np.asarray(a), np.asarray(b)]))


def propose(
    X, y, *, strategy="margin", model=None, batch_size: int = 10, random_state=None,
    classes=None, embedding=None, **strategy_params,
) -> Selection:
    """Like `query`, but returns the full `Selection` (chosen rows, every candidate's score, info)."""
    strat = make_strategy(strategy, **strategy_params)
    y_arr, labeled = check_pool(X, y)
    batch_size = check_batch_size(batch_size, int((~labeled).sum()))
    rng = np.random.default_rng(random_state)
    seed = int(rng.integers(2**31 - 1))
    ctx = build_context(
        X, y_arr, strategy=strat, model=model, classes=classes, embedding=embedding,
        random_state=seed,
    )
    return select_checked(strat, ctx, batch_size, rng)


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


def query(
    X, y, *, strategy="margin", model=None, batch_size: int = 10, random_state=None,
    classes=None, embedding=None, **strategy_params,
) -> np.ndarray:
    """Pick the next `batch_size` pool rows to label.

    Parameters
    ----------
    X : array-like, DataFrame or sparse matrix of shape (n_samples, n_features)
        The whole pool, labeled and unlabeled rows.
    y : array-like of shape (n_samples,)
        Labels, with `activelab.UNLABELED` (-1) for integers or None/NaN for object/float arrays.
    strategy : str or Strategy
        A registered name (see `activelab strategies`) or a strategy object.
    model : scikit-learn classifier with predict_proba, optional
        Fitted (used as is) or not (a clone is fitted on the labeled rows). Default:
        standardized logistic regression. The object passed in is never mutated.
    batch_size : int
        How many rows to return.
    random_state : int, Generator or None
        Seed for tie-breaking, sampling and committees.
    classes : array-like, optional
        The full label set, when some classes have no label yet.
    embedding : ndarray of shape (n_samples, n_dims), optional
        A representation for strategies that need geometry.
    **strategy_params
        Passed to the strategy's constructor (e.g. ``n_members=7`` for ``qbc_vote``).

    Returns
    -------
    ndarray of int, shape (batch_size,)
        Distinct row positions of unlabeled rows, most informative first.
    """
    return propose(
        X, y, strategy=strategy, model=model, batch_size=batch_size,
        random_state=random_state, classes=classes, embedding=embedding, **strategy_params,
    ).idx
