"""Regression through the one loop: `simulate_regression` (a simulated oracle reveals true
targets) and `query_regression` / `propose_regression` (one round on the current labels).

Targets are a float `y` over the whole pool with NaN for unlabeled rows. Seeding follows
`activelab.simulate`: the seed set depends only on `random_state` (drawn with ``[seed, 0]``), the
rounds' draws and every fit on ``[seed, 1]`` / ``seed`` inside `ActiveLoop`, so runs with the same
seed and different strategies start from the same labels (a paired comparison).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from sklearn.base import clone
from sklearn.metrics import mean_absolute_error, mean_squared_error, r2_score

from .._errors import BatchSizeError, ColdStartError, InvalidInputError
from .._tasks import TaskResult
from .._validation import check_batch_size, check_finite, check_pool, n_rows
from ..experiments.metrics import learning_curve_auc
from ..loop import ActiveLoop, build_context, select_checked
from ..strategies import Selection
from .models import as_regressor_factory, check_regression_target
from .strategies import make_regression_strategy

#: The metrics recorded each round (R² is the task's primary metric, higher is better).
REGRESSION_METRICS = ("r2", "rmse", "mae")


def as_targets(y, name: str = "y") -> np.ndarray:
    """`y` as a 1-D float64 array (None → NaN, the unlabeled marker); clear errors for text,
    2-D input or infinity."""
    try:
        arr = np.asarray(y, dtype=np.float64)
    except (TypeError, ValueError):
        raise InvalidInputError(
            f"{name} must hold real-valued targets (NaN or None for unlabeled rows); "
            f"got values that are not numbers, e.g. {np.asarray(y, dtype=object).ravel()[:3].tolist()!r}."
        ) from None
    if arr.ndim != 1:
        raise InvalidInputError(f"{name} must be 1-D (one target per row); got shape {arr.shape}.")
    if np.isinf(arr).any():
        raise InvalidInputError(f"{name} holds infinity (first at row "
                                f"{int(np.flatnonzero(np.isinf(arr))[0])}); targets must be finite.")
    return arr


def regression_metrics(y_true, y_pred) -> dict[str, float]:
    """R², RMSE and MAE of predictions against true targets."""
    y_true = np.asarray(y_true, dtype=np.float64)
    y_pred = np.asarray(y_pred, dtype=np.float64)
    return {
        "r2": float(r2_score(y_true, y_pred)),
        "rmse": float(np.sqrt(mean_squared_error(y_true, y_pred))),
        "mae": float(mean_absolute_error(y_true, y_pred)),
    }


def regression_auc(result: TaskResult, metric: str = "r2") -> float:
    """Normalized area under a run's `metric` curve over labels (`learning_curve_auc`)."""
    if metric not in result.metrics:
        raise InvalidInputError(f"the run has no metric {metric!r}; it has {sorted(result.metrics)}.")
    return learning_curve_auc(result.x, result.metrics[metric])


def simulate_regression(
    X, y, X_test, y_test, *, strategy="variance", model=None, initial=20, batch_size: int = 10,
    rounds: int = 20, random_state: int | None = None, initial_strategy="random",
    on_round: Callable[[int, TaskResult], None] | None = None, **strategy_params,
) -> TaskResult:
    """Pool-based active learning for regression with a simulated oracle.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The pool.
    y : array-like of float, shape (n_samples,)
        The true target of every pool row (revealed only when queried); no NaN.
    X_test, y_test : held-out rows scored (R², RMSE, MAE) after every round.
    strategy : name (see `regression_strategy_names`) or Strategy, used for rounds 1..rounds.
    model : registered regressor name, unfitted scikit-learn regressor, a factory of the seam,
        or None (standardized ridge). Targets are standardized inside the wrapper.
    initial : int or array of int
        Size of the seed set chosen by `initial_strategy`, or the seed rows themselves.
    batch_size, rounds : labels per round and number of query rounds.
    random_state : int or None; the seed set depends only on it (paired comparisons).
    initial_strategy : a strategy that needs no model (e.g. 'random', 'greedy_x', 'coreset').
    on_round : called after every round with (round, result so far).
    **strategy_params : passed to the strategy (e.g. ``n_members=7`` for 'variance').

    Returns
    -------
    TaskResult with task="regression", x = labels after each round (round 0 = seed set), and
    metrics {"r2", "rmse", "mae"} with rounds + 1 entries each.
    """
    y_true = as_targets(y)
    check_pool(X, y_true)
    missing = np.isnan(y_true)
    if missing.any():
        raise InvalidInputError(
            f"simulate_regression needs the true target of every pool row; y has {int(missing.sum())} "
            f"NaN (first at row {int(np.flatnonzero(missing)[0])}). Drop or impute those rows "
            "(use query_regression for a pool with unlabeled rows).")
    y_test = as_targets(y_test, "y_test")
    if n_rows(X_test) != y_test.shape[0]:
        raise InvalidInputError(f"X_test has {n_rows(X_test)} rows but y_test has {y_test.shape[0]}.")
    if np.isnan(y_test).any():
        raise InvalidInputError("y_test holds NaN; every test row needs its true target.")
    check_finite(X_test, "X_test")
    if np.ndim(X_test) != np.ndim(X) or np.shape(X_test)[1:] != np.shape(X)[1:]:
        raise InvalidInputError(
            f"X_test rows have shape {np.shape(X_test)[1:]} but pool rows {np.shape(X)[1:]}.")
    if isinstance(rounds, bool) or not isinstance(rounds, (int, np.integer)) or rounds < 0:
        raise InvalidInputError(f"rounds must be a non-negative integer; got {rounds!r}.")
    if random_state is not None and (isinstance(random_state, bool)
                                     or not isinstance(random_state, (int, np.integer))):
        raise InvalidInputError(f"random_state must be an int or None; got {random_state!r}.")
    n = y_true.shape[0]
    seed = None if random_state is None else int(random_state)
    factory = as_regressor_factory(model)
    strat = clone(make_regression_strategy(strategy, **strategy_params))

    y_obs = np.full(n, np.nan)
    init_idx = _initial_rows(X, initial, initial_strategy, factory,
                             np.random.default_rng(None if seed is None else [seed, 0]), n)
    y_obs[init_idx] = y_true[init_idx]
    budget_left = n - init_idx.shape[0]
    check_batch_size(batch_size, budget_left)
    if rounds * batch_size > budget_left:
        raise BatchSizeError(
            f"{rounds} rounds of {batch_size} labels need {rounds * batch_size} rows but only "
            f"{budget_left} are unlabeled after the seed set; lower rounds or batch_size.")
    check_regression_target(y_true[init_idx], f"the seed set of {init_idx.size} rows")

    result = TaskResult(task="regression", strategy=strat.name, x_name="labels")
    loop = ActiveLoop(X, y_obs, strategy=strat, model=factory, random_state=seed)
    fitted = loop.fit()
    _record(result, X_test, y_test, fitted, loop.labeled, loop.last_fit_seconds, 0.0, init_idx, {})
    if on_round:
        on_round(0, result)
    for r in range(1, rounds + 1):
        sel = loop.propose(batch_size)
        loop.teach(sel.idx, y_true[sel.idx])  # the oracle answers
        fitted = loop.fit()
        done = loop.history[-1]
        _record(result, X_test, y_test, fitted, loop.labeled, done.fit_seconds,
                done.select_seconds, sel.idx, sel.info)
        if on_round:
            on_round(r, result)
    return result


def _initial_rows(X, initial, initial_strategy, factory, rng, n) -> np.ndarray:
    if np.ndim(initial) == 0:
        if isinstance(initial, bool) or not isinstance(initial, (int, np.integer)) \
                or not 1 < initial < n:
            raise InvalidInputError(
                f"initial must be a number of seed labels between 2 and {n - 1} (a regressor "
                f"needs two different targets); got {initial!r}.")
        strat = make_regression_strategy(initial_strategy)
        if strat.needs_model or strat.needs_factory:
            raise ColdStartError(
                f"initial_strategy {strat.name!r} needs a trained model, but the seed set is "
                "chosen before any label exists; use 'random', 'greedy_x', 'coreset', 'kmeans' "
                "or 'typiclust'.")
        ctx = build_context(X, np.full(n, np.nan), strategy=strat, model=factory,
                            random_state=int(rng.integers(2**31 - 1)), validate=False,
                            labeled=np.zeros(n, dtype=bool))
        return np.sort(select_checked(strat, ctx, int(initial), rng).idx)
    idx = np.unique(np.asarray(initial, dtype=np.intp))
    if idx.size < 2 or idx.min() < 0 or idx.max() >= n:
        raise InvalidInputError(f"initial rows must be at least 2 distinct positions in [0, {n}).")
    return idx


def _record(result: TaskResult, X_test, y_test, fitted, labeled, fit_s, select_s, idx, info):
    n_labels = int(np.asarray(labeled).sum())
    scores = regression_metrics(y_test, fitted.predict(X_test))
    result.x.append(n_labels)
    result.labels.append(n_labels)
    for name in REGRESSION_METRICS:
        result.metrics.setdefault(name, []).append(scores[name])
    result.select_seconds.append(float(select_s))
    result.fit_seconds.append(float(fit_s))
    result.selected.append([int(i) for i in idx])
    result.info.append(dict(info))


def propose_regression(
    X, y, *, strategy="variance", model=None, batch_size: int = 10, random_state=None,
    **strategy_params,
) -> Selection:
    """Like `query_regression`, but returns the full `Selection` (rows, candidate scores, info)."""
    strat = make_regression_strategy(strategy, **strategy_params)
    y_arr = as_targets(y)
    _, labeled = check_pool(X, y_arr)
    batch_size = check_batch_size(batch_size, int((~labeled).sum()))
    rng = np.random.default_rng(random_state)
    seed = int(rng.integers(2**31 - 1))
    factory = as_regressor_factory(model)
    y_lab = y_arr[labeled]
    if strat.needs_model or strat.needs_factory:
        check_regression_target(y_lab, f"strategy {strat.name!r}")
    fitted = None
    if strat.needs_model:
        fitted = factory.fit(X, y_arr, np.flatnonzero(labeled), random_state=seed)
    ctx = build_context(X, y_arr, strategy=strat, model=factory, fitted=fitted,
                        random_state=seed, validate=False, labeled=labeled)
    return select_checked(strat, ctx, batch_size, rng)


def query_regression(
    X, y, *, strategy="variance", model=None, batch_size: int = 10, random_state=None,
    **strategy_params,
) -> np.ndarray:
    """Pick the next `batch_size` pool rows to label for a regression model.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features), the whole pool.
    y : array-like of float, shape (n_samples,); NaN (or None) marks unlabeled rows.
    strategy, model, **strategy_params : as in `simulate_regression`.
    batch_size : how many rows to return.
    random_state : int, Generator or None; seeds tie-breaking and committees.

    Returns
    -------
    ndarray of int, shape (batch_size,): distinct positions of unlabeled rows, most informative
    first (greedy strategies: in the order picked).
    """
    return propose_regression(X, y, strategy=strategy, model=model, batch_size=batch_size,
                              random_state=random_state, **strategy_params).idx

