"""Run strategies × seeds of simulated active learning, saving each finished run at once so an
interrupted experiment resumes where it stopped."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from sklearn.model_selection import train_test_split

from .._errors import ActiveLabError, InvalidInputError
from .._simulate import simulate
from .._validation import check_embedding
from ..models import SCALES, SklearnModel, make_model, predict_labels, scale_pool
from ..strategies import make_strategy
from .datasets import load_dataset
from .monitor import monitor_run
from .summary import summarize

#: 3: runs of regression, multi-label and stream tasks (`task`, `primary_metric`, curves by
#: metric name, `x` for streams); classification runs are stored as in schema 2.
SCHEMA_VERSION = 3


@dataclass(frozen=True)
class ExperimentConfig:
    """What defines an experiment; runs saved under one `out` folder share all of it except
    strategies and seeds (which may grow between invocations)."""

    dataset: str | None = "digits"
    data: str | None = None
    target: str | None = None
    model: str = "logreg"
    initial: int = 20
    initial_strategy: str = "random"
    batch_size: int = 10
    rounds: int = 20
    test_size: float = 0.25
    scale: str = "pool"
    strategies: tuple[str, ...] = ("random", "auto", "margin")  # as `activelab run`
    seeds: tuple[int, ...] = (0, 1, 2, 3, 4)
    strategy_params: dict = field(default_factory=dict)
    embedding: str | None = None  # .npy, one row per dataset row (before the split)
    id_column: str | None = None  # of `data`: a row id, checked unique and not used as a feature
    drop: tuple[str, ...] = ()  # columns of `data` not to use as features
    # where the rounds' selections run (ActiveLoop): None in memory, "local" or "ray"
    backend: str | None = None
    ray_address: str | None = None
    # estimated accuracy and stopping rules per round (experiments/monitor.py): 5 extra fits a
    # round, so off for costly models; not part of the identity (it changes no learning curve)
    monitor: bool = True
    # the setting (activelab._tasks.TASKS): classification, regression, multilabel or stream
    task: str = "classification"
    # stream only: the labeling rate (fraction of the items whose label may be bought)
    budget: float | None = None

    def identity(self) -> dict:
        """The fields that must match for saved runs to be reused (`embedding`, `id_column` and
        `drop` only when set, so folders saved before they existed still resume)."""
        d = asdict(self)
        for k in ("strategies", "seeds", "monitor", "ray_address"):
            d.pop(k)
        d["drop"] = list(d["drop"])  # as JSON stores it
        for k, default in (("embedding", None), ("id_column", None), ("drop", []),
                           ("backend", None), ("task", "classification"), ("budget", None)):
            if d[k] == default:
                d.pop(k)
        return d


def parse_seeds(spec: str) -> tuple[int, ...]:
    """'0-4' → (0, 1, 2, 3, 4); '0,3,7-8' → (0, 3, 7, 8)."""
    seeds: list[int] = []
    for part in (p.strip() for p in str(spec).split(",")):
        m = re.fullmatch(r"(\d+)(?:-(\d+))?", part)
        if not m:
            raise InvalidInputError(f"cannot read seeds {spec!r}; write e.g. '0-4' or '0,2,5'.")
        lo, hi = int(m.group(1)), int(m.group(2) or m.group(1))
        if hi < lo:
            raise InvalidInputError(f"seed range {part!r} runs backwards.")
        seeds.extend(range(lo, hi + 1))
    return tuple(dict.fromkeys(seeds))


def validate_config(config: ExperimentConfig) -> None:
    """Fail fast, before any run starts, on names and numbers that cannot work."""
    from . import tasks

    if not config.strategies:
        raise InvalidInputError("no strategy given; name at least one (e.g. --strategy random,margin).")
    tasks.check_task(config.task)
    if config.task != "classification":
        _validate_numbers(config)
        return tasks.validate(config)
    if config.budget is not None:
        raise InvalidInputError("--budget is the labeling rate of --task stream.")
    for name in config.strategies:
        make_strategy(name, **config.strategy_params.get(name, {}))
    make_strategy(config.initial_strategy)
    make_model(config.model)
    _validate_numbers(config)
    if config.backend is not None:
        from ..backends import BACKENDS
        from ..distributed import support_for

        if config.backend not in BACKENDS:
            raise InvalidInputError(
                f"unknown backend {config.backend!r}; choose one of {', '.join(BACKENDS)}.")
        for name in config.strategies:
            support_for(make_strategy(name, **config.strategy_params.get(name, {})))
        if config.embedding:
            raise InvalidInputError("--embedding is not used with --backend: the pool's own "
                                    "features are sent to the workers.")
    if config.ray_address is not None and config.backend != "ray":
        raise InvalidInputError("--ray-address needs --backend ray.")


def _validate_numbers(config: ExperimentConfig) -> None:
    if not config.seeds:
        raise InvalidInputError("no seed given; e.g. --seeds 0-4.")
    for key in ("initial", "batch_size"):
        if getattr(config, key) < 1:
            raise InvalidInputError(f"{key} must be at least 1; got {getattr(config, key)}.")
    if config.rounds < 0:
        raise InvalidInputError(f"rounds must be >= 0; got {config.rounds}.")
    if config.scale not in SCALES:
        raise InvalidInputError(f"scale must be one of {', '.join(SCALES)}; got {config.scale!r}.")
    if not 0 < config.test_size < 1:
        raise InvalidInputError(f"test_size must be between 0 and 1; got {config.test_size}.")


def load_embedding(path: str, n_rows: int) -> np.ndarray:
    """The `--embedding` file: finite numbers, shape (n_rows, n_dims), rows = the dataset's."""
    try:
        E = np.load(Path(path).expanduser(), allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise InvalidInputError(f"cannot read the embedding {path}: {exc}") from None
    if not isinstance(E, np.ndarray) or E.ndim != 2 or E.shape[0] != n_rows:
        shape = getattr(E, "shape", "an .npz archive")
        raise InvalidInputError(
            f"the embedding {path} has shape {shape}; it needs one row per dataset row, in the "
            f"dataset's order, before the train/test split: ({n_rows}, n_dims)."
        )
    return check_embedding(E, n_rows)


def split(X, y, seed: int, test_size: float, stratify: bool = True):
    """The held-out split of one seed (stratified by class unless `stratify=False`, as for
    regression targets and label matrices), identical for every strategy."""
    by = y if stratify and np.unique(y, return_counts=True)[1].min() >= 2 else None
    return train_test_split(X, y, test_size=test_size, random_state=seed, stratify=by)


def run_one(config: ExperimentConfig, strategy: str, seed: int,
            on_round: Callable[[int], None] | None = None,
            cache_dir: Path | None = None) -> dict:
    """One simulated run; returns the record stored in results.json's `runs`.

    The full-pool reference accuracy depends on the seed only, so with `cache_dir` it is
    computed once per seed and shared by every strategy (one fit of a deep model on the whole
    pool costs more than a whole active-learning run). Other tasks: `tasks.run_task`."""
    if config.task != "classification":
        from .tasks import run_task

        try:
            return run_task(config, strategy, seed, on_round=on_round)
        except ActiveLabError as exc:
            raise type(exc)(f"seed {seed}, strategy {strategy!r}: {exc}") from exc
    X, y = load_dataset(config.dataset, data=config.data, target=config.target, seed=seed,
                        id_column=config.id_column, drop=config.drop)
    X_pool, X_test, y_pool, y_test = split(X, y, seed, config.test_size)
    X_pool, X_test = scale_pool(X_pool, X_test, scale=config.scale)
    embedding = None
    if config.embedding:  # the same split of row positions: it depends only on y and the seed
        pool_idx = split(np.arange(len(y)), y, seed, config.test_size)[0]
        embedding = load_embedding(config.embedding, len(y))[pool_idx]
    model = make_model(config.model)
    try:
        result = simulate(
            X_pool, y_pool, X_test, y_test, strategy=strategy, model=model,
            initial=config.initial, batch_size=config.batch_size, rounds=config.rounds,
            random_state=seed, initial_strategy=config.initial_strategy, classes=np.unique(y),
            embedding=embedding, on_round=(lambda r, _res: on_round(r)) if on_round else None,
            backend=config.backend, ray_address=config.ray_address,
            **config.strategy_params.get(strategy, {}),
        )
    except ActiveLabError as exc:  # say which run: one seed's data can differ from the others'
        raise type(exc)(f"seed {seed}, strategy {strategy!r}: {exc}") from exc
    full_acc = _full_pool_accuracy(model, seed, X_pool, y_pool, X_test, y_test, np.unique(y),
                                   cache_dir)
    record = {
        "strategy": strategy,
        "seed": seed,
        "labels": result.labels,
        "accuracy": result.accuracy,
        "f1": result.f1,
        "select_seconds": result.select_seconds,
        "fit_seconds": result.fit_seconds,
        "full_pool_accuracy": full_acc,
    }
    if config.monitor:  # what a user without a test set would have seen (reads no test label)
        random_rounds = (None if strategy == "random" and config.initial_strategy == "random"
                         else int(config.initial_strategy == "random"))
        record.update(monitor_run(X_pool, y_pool, X_test, result.selected, result.labels, model,
                                  np.unique(y), seed, random_rounds=random_rounds))
    arms = [info.get("arm") for info in result.info]
    if any(a is not None for a in arms):
        record["arms"] = arms
    return record


def _full_pool_accuracy(model, seed, X_pool, y_pool, X_test, y_test, classes,
                        cache_dir: Path | None) -> float:
    """Test accuracy of the model trained on every pool row (cached per seed in `cache_dir`)."""
    path = None if cache_dir is None else Path(cache_dir) / f"seed{seed}.json"
    if path is not None and path.exists():
        try:
            return float(json.loads(path.read_text())["accuracy"])
        except (json.JSONDecodeError, KeyError, TypeError, ValueError):
            path.unlink()  # a torn write: compute it again
    full = SklearnModel(model).fit(X_pool, y_pool, np.arange(len(y_pool)), classes,
                                   random_state=seed)
    acc = float((predict_labels(full, X_test) == y_test).mean())
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        _write_json(path, {"seed": seed, "accuracy": acc})
    return acc


class RunStore:
    """Finished runs as one JSON file each under out/runs/, written atomically."""

    def __init__(self, out: Path, config: ExperimentConfig, overwrite: bool = False) -> None:
        self.out = Path(out)
        self.dir = self.out / "runs"
        self.dir.mkdir(parents=True, exist_ok=True)
        cfg_path = self.out / "config.json"
        identity = config.identity()
        if cfg_path.exists() and not overwrite:
            try:
                saved = json.loads(cfg_path.read_text())
            except json.JSONDecodeError as exc:
                raise InvalidInputError(f"{cfg_path} is corrupt ({exc}); remove it or use a new --out.") from exc
            if saved != json.loads(json.dumps(identity)):
                diff = sorted(k for k in identity if saved.get(k) != json.loads(json.dumps(identity[k])))
                raise InvalidInputError(
                    f"{self.out} holds runs of a different experiment (differs in: {', '.join(diff)}); "
                    "use another --out, or --overwrite to discard them."
                )
        self.full_pool_dir = self.out / "full_pool"
        if overwrite:
            for f in [*self.dir.glob("*.json"), *self.full_pool_dir.glob("*.json")]:
                f.unlink()
        _write_json(cfg_path, identity)

    def path(self, strategy: str, seed: int) -> Path:
        return self.dir / f"{strategy}__seed{seed}.json"

    def load(self, strategy: str, seed: int) -> dict | None:
        p = self.path(strategy, seed)
        if not p.exists():
            return None
        try:
            return json.loads(p.read_text())
        except json.JSONDecodeError:
            p.unlink()  # a torn write from a killed process: rerun it
            return None

    def save(self, record: dict) -> None:
        _write_json(self.path(record["strategy"], record["seed"]), record)

    def saved(self) -> list[tuple[str, int]]:
        """(strategy, seed) of every run saved in this folder."""
        out = []
        for p in self.dir.glob("*__seed*.json"):
            strategy, _, seed = p.stem.rpartition("__seed")
            if seed.isdigit():
                out.append((strategy, int(seed)))
        return sorted(out)


def left_out(config: ExperimentConfig, out: str | Path) -> list[str]:
    """Strategies (with their seeds) saved in `out` by earlier runs but not in this config's
    strategies × seeds: results.json and report.md do not cover them (the CLI says so)."""
    runs_dir = Path(out) / "runs"
    if not runs_dir.is_dir():
        return []
    asked = {(s, seed) for s in config.strategies for seed in config.seeds}
    extra: dict[str, list[int]] = {}
    for p in runs_dir.glob("*__seed*.json"):
        strategy, _, seed = p.stem.rpartition("__seed")
        if seed.isdigit() and (strategy, int(seed)) not in asked:
            extra.setdefault(strategy, []).append(int(seed))
    return [f"{s} (seeds {', '.join(map(str, sorted(v)))})" for s, v in sorted(extra.items())]


def _write_json(path: Path, obj) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(obj, indent=1))
    os.replace(tmp, path)


def run_experiment(config: ExperimentConfig, out: str | Path, *, jobs: int = 1,
                   overwrite: bool = False, progress: "Progress | None" = None) -> dict:
    """Run every (strategy, seed) not already saved in `out`, then write results.json and
    return it. Finished runs are saved as they complete, so Ctrl-C loses only runs in flight."""
    validate_config(config)
    if config.backend == "ray" and config.ray_address is None and jobs > 1:
        raise InvalidInputError(
            "--backend ray with --jobs > 1 would start one local Ray per job process: use "
            "--jobs 1 (Ray runs the selection on every core) or --ray-address of a running cluster.")
    if config.task != "classification":  # fail fast on the data too
        from .tasks import load

        y = load(config, config.seeds[0])[1]
    else:
        _, y = load_dataset(config.dataset, data=config.data, target=config.target,
                            id_column=config.id_column, drop=config.drop)
    if config.embedding:
        load_embedding(config.embedding, len(y))
    store = RunStore(Path(out), config, overwrite)
    todo = [(s, seed) for s in config.strategies for seed in config.seeds
            if store.load(s, seed) is None]
    progress = progress or Progress()
    steps = _steps(config)
    total = len(config.strategies) * len(config.seeds) * steps
    progress.start(total=total, done=total - len(todo) * steps)
    try:
        for record in _execute(config, todo, jobs, progress, store.full_pool_dir):
            store.save(record)
    finally:
        progress.stop()
        results = collect(config, store)
        _write_json(Path(out) / "results.json", results)
    return results


def _steps(config: ExperimentConfig) -> int:
    """Progress steps per run: its rounds (a stream run counts as one step)."""
    return 1 if config.task == "stream" else config.rounds


def _execute(config, todo, jobs, progress, cache_dir: Path | None = None) -> Iterable[dict]:
    if jobs == 1 or len(todo) <= 1:
        for strategy, seed in todo:
            record = run_one(config, strategy, seed, on_round=lambda r: r and progress.advance(1),
                             cache_dir=cache_dir)
            if config.task == "stream":
                progress.advance(1)
            yield record
        return
    from joblib import Parallel, delayed

    parallel = Parallel(n_jobs=jobs, return_as="generator_unordered")
    for record in parallel(delayed(run_one)(config, s, seed, cache_dir=cache_dir)
                           for s, seed in todo):
        progress.advance(_steps(config))
        yield record


def collect(config: ExperimentConfig, store: RunStore) -> dict:
    """results.json from the saved runs of this config's strategies and seeds."""
    runs = [r for s in config.strategies for seed in config.seeds
            if (r := store.load(s, seed)) is not None]
    return {
        "schema_version": SCHEMA_VERSION,
        "config": {**config.identity(), "strategies": list(config.strategies),
                   "seeds": list(config.seeds)},
        "runs": runs,
        "summary": summarize(runs, baseline="random"),
    }


class Progress:
    """Progress sink; the CLI passes a Rich-backed one. The default does nothing."""

    def start(self, total: int, done: int) -> None: ...
    def advance(self, n: int) -> None: ...
    def stop(self) -> None: ...
