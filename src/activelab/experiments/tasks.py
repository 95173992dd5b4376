"""The experiment runner's regression, multi-label and stream runs (`--task`): names, data,
one simulated run, and the record results.json stores. Classification stays in `runner.run_one`.

Each setting's own package (`activelab.regression`, `activelab.multilabel`, `activelab.stream`)
holds its strategies, models and datasets; this module only wires them to the runner, imported
when a run of that task starts.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .._errors import InvalidInputError, UnknownNameError
from .._tasks import TASKS, TaskResult


@dataclass(frozen=True)
class TaskSpec:
    """Where a setting's names live (module and function names in its package)."""

    module: str
    default_model: str
    strategies: str  # () -> list of names
    make_strategy: str  # (name, **params) -> object (validates name and params)
    models: str  # () -> list of names
    datasets: str  # () -> list of names


SPECS: dict[str, TaskSpec] = {
    "regression": TaskSpec("activelab.regression", "ridge", "regression_strategy_names",
                           "make_regression_strategy", "regressor_names",
                           "regression_dataset_names"),
    "multilabel": TaskSpec("activelab.multilabel", "logreg", "multilabel_strategy_names",
                           "make_multilabel_strategy", "multilabel_model_names",
                           "multilabel_dataset_names"),
    "stream": TaskSpec("activelab.stream", "sgd", "stream_selector_names", "make_selector",
                       "stream_model_names", "stream_names"),
}

#: Default datasets and strategies per task for `activelab run --task T` with none named.
DEFAULT_DATASET = {"classification": "digits", "regression": "diabetes", "multilabel": "yeast",
                   "stream": "phishing"}

#: Strategies `activelab run --task T` compares when none are named (random: the baseline).
DEFAULT_STRATEGIES = {
    "classification": "random,auto,margin",
    "regression": "random,igs,greedy_x,variance",
    "multilabel": "random,mean_uncertainty,adaptive,mmc",
    "stream": "random,variable_uncertainty,split",
}

#: The stream's default labeling rate (fraction of items whose label may be bought).
DEFAULT_BUDGET = 0.1


def check_task(task: str) -> str:
    """`task` if it is a known setting, else a clear error naming them."""
    if task not in TASKS:
        raise UnknownNameError("task", task, TASKS)
    return task


def package(task: str):
    """The setting's package, imported now (a clear error when its extra is missing)."""
    spec = SPECS[task]
    try:
        return importlib.import_module(spec.module)
    except ImportError as exc:
        raise InvalidInputError(
            f"--task {task} needs {spec.module}, which could not be imported ({exc}); install "
            "activelab with the 'tasks' extra: pip install 'activelab[tasks]'.") from exc


def _call(task: str, attr: str, *args, **kwargs):
    return getattr(package(task), getattr(SPECS[task], attr))(*args, **kwargs)


def names(task: str, what: str) -> list[str]:
    """Registered names of `what` ("strategies", "models" or "datasets") for a task."""
    return list(_call(task, what))


def describe_datasets(task: str) -> dict[str, str]:
    """Name → one line (size, source) of a task's built-in datasets, for `activelab datasets`."""
    pkg = package(task)
    if task == "regression":
        return {d.name: f"{d.n_samples} rows × {d.n_features} features, target {d.target}; "
                        f"{d.source}" for d in pkg.regression_datasets()}
    if task == "multilabel":
        return {n: f"{d.n_samples} rows × {d.n_features} features, {d.n_labels} labels; {d.source}"
                for n, d in pkg.MULTILABEL_DATASETS.items()}
    return {d.name: f"{d.n_items} items × {d.n_features} features, {d.n_classes} classes; "
                    f"{d.source}; order: {d.order}" for d in pkg.describe_streams()}


def default_model(task: str) -> str:
    return "logreg" if task == "classification" else SPECS[task].default_model


def validate(config) -> None:
    """Names and numbers of a non-classification config that cannot work, before any run."""
    task = config.task
    for name in config.strategies:
        _call(task, "make_strategy", name, **_strategy_kwargs(config, name))
    if config.model not in names(task, "models"):
        raise UnknownNameError(f"{task} model", config.model, names(task, "models"))
    if config.data is None and config.dataset not in names(task, "datasets"):
        raise UnknownNameError(f"{task} dataset", config.dataset, names(task, "datasets"))
    if config.backend is not None:
        raise InvalidInputError(f"--backend applies to classification pools; --task {task} "
                                "selects in memory.")
    if config.embedding:
        raise InvalidInputError(f"--embedding is not supported with --task {task}.")
    if task == "stream":
        if config.budget is None or not 0 < config.budget <= 1:
            raise InvalidInputError(
                f"--budget must be a labeling rate in (0, 1]; got {config.budget!r}.")
    elif config.budget is not None:
        raise InvalidInputError("--budget is the labeling rate of --task stream; pool tasks "
                                "spend --initial + --rounds × --batch-size labels.")
    if task == "multilabel" and config.data is not None and not str(config.data).lower(
            ).endswith(".npz") and len(label_columns(config.target)) < 2:
        raise InvalidInputError(
            "--task multilabel with --data: name the 0/1 label columns with --target, comma-"
            "separated (at least two, e.g. --target sports,politics,tech).")


def _strategy_kwargs(config, name: str) -> dict:
    params = dict(config.strategy_params.get(name, {}))
    if config.task == "stream":
        params.setdefault("budget", config.budget)
    return params


def label_columns(target: str | None) -> list[str]:
    """`--target a,b,c` → ["a", "b", "c"] (the label columns of a multi-label data file)."""
    return [c.strip() for c in str(target or "").split(",") if c.strip()]


def load_multilabel_file(path, target: str | None, *, id_column=None, drop=()):
    """(X, Y) of a user's multi-label file: a CSV/Parquet with one 0/1 column per label (named
    in `target`, comma-separated; the other columns are the features, encoded as for
    classification), or an .npz with arrays X and Y (`target`: another name for Y)."""
    from pathlib import Path

    from .datasets import load_file

    path = Path(path)
    if path.suffix.lower() == ".npz":
        try:
            with np.load(path, allow_pickle=False) as data:
                X, Y = np.asarray(data["X"], dtype=float), np.asarray(data[target or "Y"])
        except (OSError, ValueError, KeyError) as exc:
            raise InvalidInputError(f"cannot read arrays X and {target or 'Y'} from {path.name}: "
                                    f"{exc}") from None
    else:
        columns = label_columns(target)
        X, _ = load_file(path, columns[0], id_column=id_column, drop=(*drop, *columns[1:]))
        import pandas as pd

        frame = pd.read_csv(path) if path.suffix.lower() == ".csv" else pd.read_parquet(path)
        labels = frame[columns]
        if labels.isna().any().any():
            raise InvalidInputError(f"{path.name}: the label columns have empty values; a "
                                    "simulated oracle needs every label (0 or 1).")
        try:
            Y = labels.to_numpy(dtype=np.int64)
        except (TypeError, ValueError):
            raise InvalidInputError(f"{path.name}: the label columns {columns} must hold 0 or 1."
                                    ) from None
    from ..multilabel import check_ground_truth

    return X, check_ground_truth(Y, name=f"the label columns of {path.name}")


def load(config, seed: int):
    """(X, y) of the config's dataset or data file for its task (multi-label: Y matrix)."""
    task = config.task
    if task == "multilabel" and config.data is not None:
        return load_multilabel_file(config.data, config.target, id_column=config.id_column,
                                    drop=config.drop)
    if config.data is not None:
        from .datasets import load_file

        X, y = load_file(config.data, config.target, id_column=config.id_column,
                         drop=config.drop)
        if task == "regression":
            try:
                y = np.asarray(y, dtype=float)
            except (TypeError, ValueError):
                raise InvalidInputError(
                    f"--task regression needs a numeric target; column {config.target!r} of "
                    f"{config.data} is not.") from None
        return X, y
    pkg = package(task)
    if task == "regression":
        return pkg.load_regression_dataset(config.dataset)
    if task == "multilabel":
        X, Y, _names = pkg.load_multilabel_dataset(config.dataset)
        return X, Y
    return pkg.load_stream(config.dataset, seed=seed)


def run_task(config, strategy: str, seed: int,
             on_round: Callable[[int], None] | None = None) -> dict:
    """One simulated run of `strategy` on the config's task; the record results.json keeps."""
    from ..models import scale_pool
    from .runner import split

    task = config.task
    pkg = package(task)
    X, y = load(config, seed)
    params = config.strategy_params.get(strategy, {})
    if task == "stream":
        kwargs = {k: v for k, v in _strategy_kwargs(config, strategy).items() if k != "budget"}
        result = pkg.run_stream(X, y, selector=strategy, model=config.model,
                                budget=config.budget, random_state=seed, **kwargs)
        return task_record(result, strategy, seed)
    X_pool, X_test, y_pool, y_test = split(X, y, seed, config.test_size, stratify=False)
    X_pool, X_test = scale_pool(X_pool, X_test, scale=config.scale)
    common = dict(strategy=strategy, initial=config.initial, batch_size=config.batch_size,
                  rounds=config.rounds, random_state=seed,
                  initial_strategy=config.initial_strategy,
                  on_round=(lambda r, _res: on_round(r)) if on_round else None, **params)
    if task == "regression":
        result = pkg.simulate_regression(X_pool, y_pool, X_test, y_test,
                                         model=pkg.make_regressor(config.model), **common)
        full = _full_pool(result, pkg.SklearnRegressor(pkg.make_regressor(config.model)),
                          X_pool, y_pool, X_test, y_test, seed)
    else:
        result = pkg.simulate_multilabel(X_pool, y_pool, X_test, y_test,
                                         model=pkg.make_multilabel_model(config.model), **common)
        full = _full_pool(result, pkg.make_multilabel_model(config.model), X_pool, y_pool,
                          X_test, y_test, seed)
    return task_record(result, strategy, seed, full)


def _full_pool(result: TaskResult, model, X_pool, y_pool, X_test, y_test, seed) -> float:
    """The primary metric of the model trained on every pool row (the curve's ceiling), fitted
    as the runs fit it: regression through the seam's `SklearnRegressor` (y standardized)."""
    from sklearn.base import clone
    from sklearn.metrics import f1_score, r2_score

    if result.task == "regression":
        fitted = model.fit(X_pool, y_pool, np.arange(len(y_pool)), random_state=seed)
        return float(r2_score(y_test, fitted.predict(X_test)))
    est = clone(model)
    if "random_state" in est.get_params():
        est.set_params(random_state=seed)
    est.fit(X_pool, y_pool)
    return float(f1_score(y_test, est.predict(X_test), average="micro", zero_division=0))


def task_record(result: TaskResult, strategy: str, seed: int, full: float | None = None) -> dict:
    """results.json's record of one run: its curves by metric name, `x` (labels or items seen)
    and `labels` (labels spent at each point), the primary metric's name."""
    if result.primary_metric not in result.metrics:
        raise RuntimeError(f"a {result.task} run must report {result.primary_metric!r}; got "
                           f"{sorted(result.metrics)}")
    record = {
        "task": result.task, "strategy": strategy, "seed": seed, "x_name": result.x_name,
        "labels": [int(v) for v in result.labels],
        "primary_metric": result.primary_metric, "metric_names": list(result.metrics),
        **{m: [float(v) for v in vals] for m, vals in result.metrics.items()},
        "select_seconds": [float(v) for v in result.select_seconds],
        "fit_seconds": [float(v) for v in result.fit_seconds],
    }
    if result.x_name != "labels":
        record["x"] = [int(v) for v in result.x]
    if full is not None:
        record[f"full_pool_{result.primary_metric}"] = full
    arms = [info.get("arm") for info in result.info]
    if any(a is not None for a in arms):
        record["arms"] = arms
    return record
