"""Small generated pools and shared assertions for the conformance checks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.datasets import make_classification
from sklearn.linear_model import LogisticRegression

from .._errors import ColdStartError
from .._labels import UNLABELED
from ..loop import build_context
from ..strategies import PoolContext, Selection, Strategy



_N, _N_FEATURES, _N_CLASSES, _PER_CLASS = 30, 4, 3, 2
_BATCH, _ROUNDS, _SEED = 3, 4, 0



# -- data and helpers ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Pool:
    X: np.ndarray
    y_true: np.ndarray
    y: np.ndarray  # _PER_CLASS labels of every class
    y_cold: np.ndarray  # no label at all
    y_one_class: np.ndarray  # labels of a single class
    classes: np.ndarray


def _pool(seed: int = _SEED) -> _Pool:
    """A 30-row, 3-class pool; a fresh copy each call, so a check may compare against it."""
    X, y_true = make_classification(
        n_samples=_N, n_features=_N_FEATURES, n_informative=3, n_redundant=0,
        n_classes=_N_CLASSES, n_clusters_per_class=1, random_state=seed,
    )
    seed_idx = np.concatenate([np.flatnonzero(y_true == c)[:_PER_CLASS] for c in range(_N_CLASSES)])
    y = np.full(_N, UNLABELED)
    y[seed_idx] = y_true[seed_idx]
    y_one = np.full(_N, UNLABELED)
    y_one[seed_idx[:_PER_CLASS]] = y_true[seed_idx[:_PER_CLASS]]
    return _Pool(X, y_true, y, np.full(_N, UNLABELED), y_one, np.arange(_N_CLASSES))


def _model() -> LogisticRegression:
    return LogisticRegression(max_iter=200)


def _context(strategy: Strategy, pool: _Pool, model=None, seed: int = _SEED) -> PoolContext:
    return build_context(pool.X, pool.y, strategy=strategy, classes=pool.classes,
                         model=_model() if model is None else model, random_state=seed)


def _select(strategy: Strategy, ctx: PoolContext, batch_size: int, seed: int = _SEED) -> Selection:
    return strategy.select(ctx, batch_size, np.random.default_rng(seed))


def _is_adaptive(cls: type) -> bool:
    return cls.update is not Strategy.update


def _learned(obj) -> list[str]:
    """Public attributes ending in ``_``: learned state, by scikit-learn's convention."""
    return sorted(a for a in vars(obj) if a.endswith("_") and not a.startswith("_"))


def _assert_selection(sel, ctx: PoolContext, batch_size: int) -> np.ndarray:
    assert isinstance(sel, Selection), f"select returned {type(sel).__name__}, not a Selection"
    idx = np.asarray(sel.idx)
    assert idx.dtype.kind in "iu", f"idx must hold integer row positions; got dtype {idx.dtype}"
    assert idx.shape == (batch_size,), f"asked for {batch_size} rows, got idx of shape {idx.shape}"
    assert np.unique(idx).size == batch_size, f"idx repeats rows: {idx.tolist()}"
    n = ctx.n_samples
    assert ((idx >= 0) & (idx < n)).all(), f"idx outside [0, {n}): {idx.tolist()}"
    assert not ctx.labeled[idx].any(), f"idx holds labeled rows {idx[ctx.labeled[idx]].tolist()}"
    return idx


def _assert_scores_aligned(sel: Selection, ctx: PoolContext) -> None:
    scores = np.asarray(sel.scores)
    assert sel.candidate_idx is not None, "scores without candidate_idx"
    cand = np.asarray(sel.candidate_idx)
    assert np.array_equal(cand, ctx.candidate_idx), (
        "candidate_idx must be the unlabeled rows in increasing order (ctx.candidate_idx)"
    )
    assert scores.shape == cand.shape, f"scores of shape {scores.shape}, {cand.shape[0]} candidates"
    assert scores.dtype.kind in "fiu", f"scores must be real numbers; got dtype {scores.dtype}"
    assert np.isfinite(scores).all(), "scores hold NaN or inf"
    assert np.isin(np.asarray(sel.idx), cand).all(), "chosen rows are not all candidates"


def _same(a, b) -> bool:
    """Deep equality of parameter values (arrays, estimators, containers, plain objects)."""
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc")
    if isinstance(a, BaseEstimator):
        return _same(a.get_params(deep=False), b.get_params(deep=False))
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, z) for x, z in zip(a, b))
    if isinstance(a, float) and np.isnan(a) and np.isnan(b):
        return True
    if type(a).__eq__ is object.__eq__ and hasattr(a, "__dict__"):
        return _same(vars(a), vars(b))
    return bool(a == b)


def _raises_cold_start(strategy: Strategy, ctx: PoolContext, what: str) -> None:
    try:
        _select(strategy, ctx, _BATCH)
    except ColdStartError as exc:
        assert "label" in str(exc).lower(), (
            f"the ColdStartError for {what} should say what to label; got {str(exc)!r}"
        )
    else:
        raise AssertionError(
            f"needs_model=True, yet select worked with {what} and no model; raise ColdStartError "
            "(ctx.require_model does) or declare needs_model=False"
        )

