"""Simulated multi-label active learning (an oracle reveals ground-truth label rows) and the
one-shot query."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, hamming_loss

from .._errors import BatchSizeError, ColdStartError, InvalidInputError
from .._labels import UNLABELED
from .._tasks import TaskResult
from .._validation import check_batch_size, check_finite, n_rows
from ._validation import check_ground_truth, check_model_trainable
from .context import MultilabelContext
from .loop import MultilabelLoop, check_multilabel_pool, select_checked
from .strategies import DEFAULT_STRATEGY, make_multilabel_strategy

#: The curves a multi-label run records (micro-F1 is the task's primary metric).
METRICS = ("micro_f1", "macro_f1", "hamming_loss", "subset_accuracy")


def multilabel_metrics(Y_true: np.ndarray, Y_pred: np.ndarray) -> dict[str, float]:
    """micro/macro F1 (zero_division=0), Hamming loss and subset accuracy."""
    return {
        "micro_f1": float(f1_score(Y_true, Y_pred, average="micro", zero_division=0)),
        "macro_f1": float(f1_score(Y_true, Y_pred, average="macro", zero_division=0)),
        "hamming_loss": float(hamming_loss(Y_true, Y_pred)),
        "subset_accuracy": float(accuracy_score(Y_true, Y_pred)),
    }


def simulate_multilabel(
    X, Y, X_test, Y_test, *, strategy=DEFAULT_STRATEGY, model=None, initial=20,
    batch_size: int = 10, rounds: int = 20, random_state: int | None = None,
    initial_strategy="random", label_names=None, embedding=None,
    on_round: Callable[[int, TaskResult], None] | None = None, **strategy_params,
) -> TaskResult:
    """Run pool-based multi-label active learning with a simulated oracle.

    Parameters
    ----------
    X, Y : the pool (n, d) and its ground-truth 0/1 matrix (n, L), revealed row by row.
    X_test, Y_test : held-out rows scored after every round.
    strategy : name (see `multilabel_strategy_names()`) or strategy object, rounds 1..rounds.
    model : None (binary-relevance logistic regression), a name from
        `multilabel_model_names()`, or an unfitted multi-label estimator.
    initial : int (seed-set size) or array of row positions.
    batch_size, rounds : labeled rows per round and number of query rounds.
    random_state : int or None. The seed set depends only on it (``[seed, 0]``), so runs with
        the same seed and different strategies start from the same rows (paired comparison);
        rounds draw from ``[seed, 1]`` and every fit uses ``seed``.
    initial_strategy : a label-free strategy for the seed set ('random', 'kmeans', ...).
    label_names : optional; fixes the number of label columns.
    embedding : optional (n, n_dims) representation for the exploration strategies.
    on_round : called after every round with (round, result so far).

    Returns
    -------
    TaskResult with task="multilabel", x_name="labels", x == labels (labeled rows after each
    round, round 0 = seed set) and curves `METRICS`, each with rounds + 1 entries.
    """
    n = check_multilabel_pool(X)
    Y_true = check_ground_truth(Y, label_names=label_names, name="Y")
    if Y_true.shape[0] != n:
        raise InvalidInputError(f"X has {n} rows but Y has {Y_true.shape[0]}.")
    L = Y_true.shape[1]
    Y_test = check_ground_truth(Y_test, n_labels=L, name="Y_test")
    if n_rows(X_test) != Y_test.shape[0]:
        raise InvalidInputError(f"X_test has {n_rows(X_test)} rows but Y_test has {Y_test.shape[0]}.")
    check_finite(X_test, "X_test")
    if isinstance(rounds, bool) or not isinstance(rounds, (int, np.integer)) or rounds < 0:
        raise InvalidInputError(f"rounds must be a non-negative integer; got {rounds!r}.")
    seed = None if random_state is None else int(random_state)
    strat = make_multilabel_strategy(strategy, **strategy_params)

    init_idx = _initial_rows(X, n, L, initial, initial_strategy, embedding,
                             np.random.default_rng(None if seed is None else [seed, 0]))
    budget_left = n - init_idx.shape[0]
    if rounds * batch_size > budget_left:
        check_batch_size(batch_size, budget_left)
        raise BatchSizeError(
            f"{rounds} rounds of {batch_size} rows need {rounds * batch_size} labels but only "
            f"{budget_left} rows are unlabeled after the seed set; lower rounds or batch_size.")
    if strat.needs_model or strat.needs_factory:
        check_model_trainable(Y_true[init_idx], f"strategy {strat.name!r} (seed set of {init_idx.size})")

    Y_obs = np.full(Y_true.shape, UNLABELED, dtype=np.int64)
    Y_obs[init_idx] = Y_true[init_idx]
    loop = MultilabelLoop(X, Y_obs, strategy=strat, model=model, embedding=embedding,
                          random_state=seed)
    result = TaskResult(task="multilabel", strategy=strat.name, x_name="labels",
                        metrics={m: [] for m in METRICS})
    fitted = loop.fit()
    _record(result, X_test, Y_test, fitted, int(loop.labeled.sum()), loop.last_fit_seconds, 0.0,
            init_idx, {})
    if on_round:
        on_round(0, result)
    for r in range(1, rounds + 1):
        sel = loop.propose(batch_size)
        loop.teach(sel.idx, Y_true[sel.idx])  # the oracle answers
        fitted = loop.fit()
        done = loop.history[-1]
        _record(result, X_test, Y_test, fitted, done.n_labels, done.fit_seconds,
                done.select_seconds, sel.idx, sel.info)
        if on_round:
            on_round(r, result)
    return result


def query_multilabel(X, Y, *, strategy=DEFAULT_STRATEGY, model=None, batch_size: int = 10,
                     random_state: int | None = None, label_names=None, embedding=None,
                     **strategy_params) -> np.ndarray:
    """One round: fit `model` on the labeled rows of Y and return `batch_size` unlabeled row
    positions, most informative first."""
    loop = MultilabelLoop(X, Y, strategy=strategy, model=model, label_names=label_names,
                          embedding=embedding, random_state=random_state, **strategy_params)
    return np.asarray(loop.propose(batch_size).idx, dtype=np.intp)


def _initial_rows(X, n, L, initial, initial_strategy, embedding, rng) -> np.ndarray:
    if np.ndim(initial) == 0:
        if isinstance(initial, bool) or not isinstance(initial, (int, np.integer)) or not 0 < initial < n:
            raise InvalidInputError(
                f"initial must be a number of seed rows between 1 and {n - 1}; got {initial!r}.")
        strat = make_multilabel_strategy(initial_strategy)
        if strat.needs_model or strat.needs_factory:
            raise ColdStartError(
                f"initial_strategy {strat.name!r} needs a trained model, but the seed set is "
                "chosen before any label exists; use 'random' or an exploration strategy "
                "('kmeans', 'coreset', 'typiclust').")
        ctx = MultilabelContext(X=X, Y=np.full((n, L), UNLABELED, dtype=np.int64),
                                labeled=np.zeros(n, dtype=bool), embedding=embedding,
                                random_state=int(rng.integers(2**31 - 1)))
        return np.sort(select_checked(strat, ctx, int(initial), rng).idx)
    idx = np.unique(np.asarray(initial, dtype=np.intp))
    if idx.size == 0 or idx.min() < 0 or idx.max() >= n:
        raise InvalidInputError(f"initial rows must be distinct positions in [0, {n}).")
    return idx


def _record(result: TaskResult, X_test, Y_test, fitted, n_labeled, fit_s, select_s, idx, info):
    pred = (np.asarray(fitted.predict_proba(X_test)) > 0.5).astype(np.int64)
    for name, value in multilabel_metrics(Y_test, pred).items():
        result.metrics[name].append(value)
    result.x.append(n_labeled)
    result.labels.append(n_labeled)
    result.select_seconds.append(float(select_s))
    result.fit_seconds.append(float(fit_s))
    result.selected.append([int(i) for i in idx])
    result.info.append(dict(info))
