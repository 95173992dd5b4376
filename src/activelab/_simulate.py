"""The simulated loop: a strategy queries, an oracle reveals ground truth, the model refits."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field

import numpy as np
from sklearn.base import clone
from sklearn.metrics import accuracy_score, f1_score

from ._errors import BatchSizeError, ColdStartError, InvalidInputError
from ._labels import UNLABELED, labeled_mask
from .loop import ActiveLoop, build_context, select_checked
from .models import check_trainable, default_model, predict_labels
from ._validation import check_batch_size, check_finite, check_pool, n_rows
from .strategies import make_strategy


@dataclass
class SimulationResult:
    """Learning curve of one simulated run; every list has one entry per round (round 0 = seed set)."""

    strategy: str
    labels: list[int] = field(default_factory=list)
    accuracy: list[float] = field(default_factory=list)
    f1: list[float] = field(default_factory=list)
    select_seconds: list[float] = field(default_factory=list)
    fit_seconds: list[float] = field(default_factory=list)
    selected: list[list[int]] = field(default_factory=list)
    info: list[dict] = field(default_factory=list)

    def to_dict(self) -> dict:
        return asdict(self)


def simulate(
    X, y, X_test, y_test, *, strategy="margin", model=None, initial=20, batch_size: int = 10,
    rounds: int = 20, random_state=None, initial_strategy="random", classes=None,
    embedding=None, on_round: Callable[[int, SimulationResult], None] | None = None,
    initial_min_classes: int = 2, backend: str | None = None, ray_address: str | None = None,
    **strategy_params,
) -> SimulationResult:
    """Run pool-based active learning with a simulated oracle.

    Parameters
    ----------
    X, y : the pool and its ground-truth labels (revealed only when queried).
    X_test, y_test : held-out data to score the model after every round.
    strategy : name or Strategy used for rounds 1..rounds.
    model : unfitted scikit-learn classifier (default: standardized logistic regression).
    initial : int or array of int
        Size of the seed set chosen by `initial_strategy`, or the seed rows themselves.
    batch_size, rounds : labels per round and number of query rounds.
    random_state : int or None; the seed set depends only on it, so runs with the same seed
        but different strategies start from the same labels (a paired comparison).
    initial_strategy : name or Strategy that needs no model (e.g. 'random') for the seed set.
    initial_min_classes : int, default 2
        A seed set of `initial` rows that holds fewer classes than this (a random draw on
        imbalanced data can hold one) gets, for each missing class, one row of it in place of a
        row of its most frequent class — as a real user seeds with an example of each class.
        0 or 1 keeps the strategy's seed set as drawn. Draws that already hold enough classes are
        unchanged, so stored runs reproduce.
    backend, ray_address : where each round's selection runs (see `ActiveLoop`): None in
        memory, "local" or "ray" through `activelab.distributed` (same picks for the exact
        strategies).
    on_round : called after every round with (round, result so far).

    Returns
    -------
    SimulationResult with rounds + 1 entries per list.
    """
    y_true, mask = check_pool(X, y)
    if not mask.all():
        raise InvalidInputError("simulate needs the ground truth for every pool row; y has unlabeled rows.")
    if n_rows(X_test) != np.asarray(y_test).shape[0]:
        raise InvalidInputError(
            f"X_test has {n_rows(X_test)} rows but y_test has {np.asarray(y_test).shape[0]}."
        )
    check_finite(X_test, "X_test")
    if not isinstance(rounds, (int, np.integer)) or rounds < 0:
        raise InvalidInputError(f"rounds must be a non-negative integer; got {rounds!r}.")
    classes = np.unique(y_true) if classes is None else np.unique(np.asarray(classes))
    n = y_true.shape[0]
    seed = None if random_state is None else int(random_state)
    init_rng = np.random.default_rng(None if seed is None else [seed, 0])
    estimator = model if model is not None else default_model()
    strat = clone(make_strategy(strategy, **strategy_params))

    y_obs = _empty_labels(y_true)
    init_idx = _initial_rows(X, y_true, initial, initial_strategy, estimator, embedding,
                             init_rng, classes, n)
    if np.ndim(initial) == 0:
        init_idx = ensure_classes(init_idx, y_true, initial_min_classes,
                                  np.random.default_rng(None if seed is None else [seed, 1]))
    y_obs[init_idx] = y_true[init_idx]
    budget_left = n - init_idx.shape[0]
    if rounds * batch_size > budget_left:
        check_batch_size(batch_size, budget_left)
        raise BatchSizeError(
            f"{rounds} rounds of {batch_size} labels need {rounds * batch_size} rows but only "
            f"{budget_left} are unlabeled after the seed set; lower rounds or batch_size."
        )
    if strat.needs_model or strat.needs_factory:
        check_trainable(y_obs[init_idx], f"strategy {strat.name!r} (seed set of {init_idx.size})")

    result = SimulationResult(strategy=strat.name)
    loop = ActiveLoop(X, y_obs, strategy=strat, model=estimator, classes=classes,
                      embedding=embedding, random_state=seed, backend=backend,
                      ray_address=ray_address)
    fitted = loop.fit()
    _record(result, X_test, y_test, fitted, loop.y, classes, loop.last_fit_seconds, 0.0,
            init_idx, {})
    if on_round:
        on_round(0, result)
    for r in range(1, rounds + 1):
        sel = loop.propose(batch_size)
        loop.teach(sel.idx, y_true[sel.idx])  # the oracle answers
        fitted = loop.fit()
        done = loop.history[-1]
        _record(result, X_test, y_test, fitted, loop.y, classes, done.fit_seconds,
                done.select_seconds, sel.idx, sel.info)
        if on_round:
            on_round(r, result)
    return result


def _empty_labels(y_true: np.ndarray) -> np.ndarray:
    if y_true.dtype.kind in "iu":
        if (y_true == UNLABELED).any():
            raise InvalidInputError(
                f"integer labels may not use {UNLABELED}, the unlabeled marker; recode the classes."
            )
        return np.full(y_true.shape, UNLABELED, dtype=np.int64)
    if y_true.dtype.kind == "f":
        return np.full(y_true.shape, np.nan)
    return np.full(y_true.shape, None, dtype=object)


def _initial_rows(X, y_true, initial, initial_strategy, estimator, embedding, rng, classes, n):
    if np.ndim(initial) == 0:
        if not isinstance(initial, (int, np.integer)) or not 0 < initial < n:
            raise InvalidInputError(
                f"initial must be a number of seed labels between 1 and {n - 1}; got {initial!r}."
            )
        strat = make_strategy(initial_strategy)
        if strat.needs_model or strat.needs_factory:
            raise ColdStartError(
                f"initial_strategy {strat.name!r} needs a trained model, but the seed set is chosen "
                "before any label exists; use 'random' or an exploration strategy."
            )
        empty = _empty_labels(y_true)
        ctx = build_context(X, empty, strategy=strat, model=estimator, classes=classes,
                            embedding=embedding, random_state=int(rng.integers(2**31 - 1)))
        return np.sort(select_checked(strat, ctx, int(initial), rng).idx)
    idx = np.unique(np.asarray(initial, dtype=np.intp))
    if idx.size == 0 or idx.min() < 0 or idx.max() >= n:
        raise InvalidInputError(f"initial rows must be distinct positions in [0, {n}).")
    return idx


def ensure_classes(idx: np.ndarray, y_true: np.ndarray, min_classes: int, rng) -> np.ndarray:
    """`idx` with at least `min_classes` classes (as many as the pool has): each missing class,
    rarest first, replaces a random row of the seed set's most frequent class with a random row
    of its own. Returns `idx` itself when nothing is missing."""
    if not isinstance(min_classes, (int, np.integer)) or isinstance(min_classes, bool) or min_classes < 0:
        raise InvalidInputError(f"initial_min_classes must be a non-negative integer; got {min_classes!r}.")
    pool_classes, pool_counts = np.unique(y_true, return_counts=True)
    want = min(int(min_classes), pool_classes.size, idx.size)
    have = np.unique(y_true[idx])
    if have.size >= want:
        return idx
    idx = idx.copy()
    chosen = set(idx.tolist())
    for c in pool_classes[np.argsort(pool_counts, kind="stable")]:
        if np.unique(y_true[idx]).size >= want:
            break
        if c in set(y_true[idx].tolist()):
            continue
        values, counts = np.unique(y_true[idx], return_counts=True)
        majority = np.flatnonzero(y_true[idx] == values[np.argmax(counts)])
        out = int(rng.choice(majority))
        candidates = np.array([i for i in np.flatnonzero(y_true == c) if i not in chosen])
        new = int(rng.choice(candidates))
        chosen.discard(int(idx[out]))
        chosen.add(new)
        idx[out] = new
    return np.sort(idx)


def _record(result, X_test, y_test, fitted, y_obs, classes, fit_s, select_s, idx, info):
    if fitted is None:  # one class so far: predict it everywhere
        lab = labeled_mask(y_obs)
        pred = np.full(np.asarray(y_test).shape, y_obs[lab][0], dtype=np.asarray(y_test).dtype)
    else:
        pred = predict_labels(fitted, X_test)
    result.labels.append(int(labeled_mask(y_obs).sum()))
    result.accuracy.append(float(accuracy_score(y_test, pred)))
    result.f1.append(float(f1_score(y_test, pred, labels=classes, average="macro", zero_division=0)))
    result.select_seconds.append(float(select_s))
    result.fit_seconds.append(float(fit_s))
    result.selected.append([int(i) for i in idx])
    result.info.append(dict(info))
