"""Set a project up and open it for serving: `init_project` imports the data into the project
folder; `open_store` migrates a database and syncs the project's items into it; `Runtime` holds
what a running server keeps in memory (features, item contents, the store)."""

from __future__ import annotations

import os
import shutil
import tempfile
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from sqlalchemy import insert, select

from .db import Store
from .features import compute_features, text_field_of
from .importers import merge_items, read_source
from .labelset import full_labels
from .multilabel import default_strategy, is_multilabel
from .overlap import overlap_key
from .project import (
    CONFIG_FILE,
    DEFAULT_DB_FILE,
    ITEMS_FILE,
    TASKS,
    TERMS_FILE,
    Project,
    ProjectConfig,
    ProjectError,
    parse_labels,
)
from .regression import DEFAULT_MODEL as REGRESSION_MODEL
from .regression import is_regression, parse_range, parse_unit
from .settings import from_config, read_settings, validate
from .stream_service import is_stream
from .tables import Item

OWNER_KEY = "project"


@dataclass(frozen=True)
class InitReport:
    project: Project
    n_items: int
    n_new: int
    created: bool


def init_project(path, *, data=None, labels: str | None = None, task: str = "classification",
                 strategy: str | None = None, model: str | None = None,
                 features: str | None = None, db_url: str | None = None,
                 value_range: str | None = None, unit: str | None = None,
                 budget=None, dim=None, selector: str | None = None) -> InitReport:
    """Create a project (or re-import its data: idempotent, new items are appended).

    A regression project (`task="regression"`) has no label set: `labels` must be None, and
    `value_range` (``"MIN,MAX"``) and `unit` bound and name its numbers.

    All or nothing: the data, labels and settings are checked before anything is written, and
    a failure after that (a database that refuses) leaves no project folder behind, or an
    existing project as it was."""
    if task not in TASKS:
        raise ProjectError(f"--task {task!r} is not supported; supported: {', '.join(TASKS)}.")
    if is_stream(task):
        return _init_stream(path, data=data, labels=labels, strategy=strategy, model=model,
                            features=features, db_url=db_url, value_range=value_range, unit=unit,
                            budget=budget, dim=dim, selector=selector)
    if budget is not None or dim is not None or selector is not None:
        raise ProjectError("--budget, --dim and --selector are for stream projects (--task "
                           f"stream); a {task} project labels the items of --data.")
    if data is None:
        raise ProjectError("--data is needed: a folder of images, a CSV/Parquet table or JSONL "
                           "text (only a stream project, --task stream, has none).")
    label_list, bounds, unit = _answer_spec(task, labels, value_range, unit)
    root = Path(path).expanduser().resolve()
    existing = Project.open(root) if (root / "project.json").is_file() else None
    if existing is not None and existing.config.task != task:
        raise ProjectError(f"{root} is a {existing.config.task} project; pass --task "
                           f"{existing.config.task} (a project's task cannot change).")
    changes = validate({"strategy": strategy, "model": model}, error=ProjectError, task=task)
    if existing is None and (is_multilabel(task) or is_regression(task)):
        changes.setdefault("strategy", default_strategy(task))
    if existing is None and is_regression(task):
        changes.setdefault("model", REGRESSION_MODEL)
    if existing is not None and is_regression(task):
        if bounds is not None and bounds != existing.config.value_range:
            raise ProjectError(
                f"{root} was created with range {existing.config.value_range}; a project's range "
                "cannot change (the values given so far were checked against it): pass it again "
                "or leave --range out.")
        bounds = existing.config.value_range
        unit = existing.config.unit if unit is None else unit
    if existing is not None and existing.config.labels != label_list:
        raise ProjectError(
            f"{root} was created with labels {existing.config.labels}; pass those again. A "
            "project's label set only grows: its labels cannot be reordered, renamed or removed "
            "(they would lose their meaning); an admin adds new ones at the end on the admin "
            "page (/admin)."
        )
    spec = features or (existing.config.features if existing else "auto")
    # Everything that can refuse the data runs before anything is written.
    source = read_source(data, text_field=text_field_of(spec))
    old_items = existing.read_items() if existing else []
    items, n_new = merge_items(old_items, source.items)
    X, terms = compute_features(source, spec, items)
    with _all_or_nothing(root):
        if existing is None:
            root.mkdir(parents=True, exist_ok=True)
            config = ProjectConfig(name=root.name, data=str(Path(data).expanduser().resolve()),
                                   data_kind=source.kind, labels=label_list, task=task,
                                   features=spec, value_range=bounds, unit=unit or "",
                                   **changes)
            project = Project(root, config)
        else:
            project = Project(root, ProjectConfig.from_dict(asdict(existing.config)))
            project.config.data = str(Path(data).expanduser().resolve())
            project.config.data_kind = source.kind
            project.config.features = spec
            if is_regression(task):
                project.config.unit = unit or ""
            for key, value in changes.items():
                setattr(project.config, key, value)
        project.save_features(X)
        project.save_terms(terms)
        project.write_items(items)
        project.save_config()
        open_store(project, db_url, items=items, settings=changes).dispose()
    return InitReport(project, len(items), n_new, existing is None)


def _answer_spec(task: str, labels, value_range, unit) -> tuple[list[str], list | None, str | None]:
    """What an answer is: the label set (checked), or, for a regression project, no labels and
    the range and unit of its numbers."""
    if is_regression(task):
        if labels is not None and str(labels).strip():
            raise ProjectError("a regression project has no label set: drop --labels (each item "
                               "gets a number; --range MIN,MAX bounds it and --unit names it).")
        return [], parse_range(value_range, ProjectError), (
            None if unit is None else parse_unit(unit, ProjectError))
    if value_range is not None or unit is not None:
        raise ProjectError("--range and --unit are for regression projects (--task regression); "
                           f"a {task} project's answers are labels.")
    if labels is None:
        raise ProjectError('--labels is needed: the comma-separated label set, e.g. "cat,dog" '
                           "(only a regression project has none).")
    return parse_labels(labels, task), None, None


def _init_stream(path, *, data, labels, strategy, model, features, db_url, value_range, unit,
                 budget, dim, selector) -> InitReport:
    """`init_project` for a stream project: no data (items arrive through the API), a label set,
    the labeling rate, the items' width, the stream selector and model. Re-running it with the
    same settings is a no-op; other settings are refused (the learner replays its decisions
    with them)."""
    from .stream_service import (
        DEFAULT_MODEL,
        DEFAULT_SELECTOR,
        model_names,
        parse_budget,
        parse_dim,
        selector_names,
    )

    if data is not None:
        raise ProjectError("a stream project has no --data: its items arrive one at a time "
                           "through POST /api/stream/items.")
    for given, name in ((value_range, "--range"), (unit, "--unit"), (features, "--features")):
        if given is not None:
            raise ProjectError(f"{name} is not for stream projects: an arriving item carries "
                               "its own features (--dim of them).")
    if strategy is not None:
        raise ProjectError("a stream project takes --selector (a stream selector, e.g. "
                           "variable_uncertainty), not --strategy.")
    if labels is None:
        raise ProjectError('--labels is needed: the comma-separated label set, e.g. "cat,dog".')
    label_list = parse_labels(labels, "stream")
    rate, width = parse_budget(budget, ProjectError), parse_dim(dim, ProjectError)
    selector = selector or DEFAULT_SELECTOR
    model = model or DEFAULT_MODEL
    if selector not in selector_names():
        raise ProjectError(f"unknown stream selector {selector!r}; known: "
                           f"{', '.join(selector_names())}.")
    if model not in model_names():
        raise ProjectError(f"unknown stream model {model!r}; known: {', '.join(model_names())}.")
    root = Path(path).expanduser().resolve()
    existing = Project.open(root) if (root / CONFIG_FILE).is_file() else None
    if existing is not None:
        cfg = existing.config
        if cfg.task != "stream":
            raise ProjectError(f"{root} is a {cfg.task} project; pass --task {cfg.task} (a "
                               "project's task cannot change).")
        given = {"labels": label_list, "budget": rate, "dim": width, "selector": selector,
                 "model": model}
        stored = {"labels": cfg.labels, "budget": cfg.budget, "dim": cfg.dim,
                  "selector": cfg.strategy, "model": cfg.model}
        changed = [k for k in given if given[k] != stored[k]]
        if changed:
            raise ProjectError(
                f"{root} was created with {', '.join(f'{k} {stored[k]!r}' for k in changed)}; "
                "a stream project's settings cannot change (the learner replays every stored "
                "decision with them): pass them again, or init a new project.")
    with _all_or_nothing(root):
        if existing is None:
            root.mkdir(parents=True, exist_ok=True)
            project = Project(root, ProjectConfig(
                name=root.name, data="", data_kind="stream", labels=label_list, task="stream",
                strategy=selector, model=model, features="stream", budget=rate, dim=width))
            project.write_items([])
            project.save_config()
        else:
            project = existing
        open_store(project, db_url, items=[]).dispose()
    return InitReport(project, 0, 0, existing is None)


# What `init_project` writes in a project folder (write_atomic's and save_features' temporary
# files included), and the SQLite database it may create there.
_PROJECT_FILES = (CONFIG_FILE, ITEMS_FILE, "features.npy", "features.npz", TERMS_FILE)
_SCRATCH_FILES = (tuple(f".{name}.tmp" for name in (CONFIG_FILE, ITEMS_FILE, TERMS_FILE))
                  + (".features.tmp",))
_DB_FILES = tuple(DEFAULT_DB_FILE + suffix for suffix in ("", "-wal", "-shm", "-journal"))


@contextmanager
def _all_or_nothing(root: Path):
    """On any failure inside, leave the project folder as it was: remove it when it did not
    exist (and the parents made for it); otherwise put back the project files it held (kept as
    hard links, or copies) and remove the files added (a new SQLite database included). A
    database is changed in one transaction at the end, so it needs no undoing."""
    if root.exists() and not root.is_dir():
        raise ProjectError(f"{root} is a file; a project is a folder.")
    top = root
    while not top.exists() and top.parent != top and not top.parent.exists():
        top = top.parent
    created = not root.exists()
    kept: Path | None = None
    before: set[str] = set()
    if not created:
        before = {name for name in _PROJECT_FILES + _DB_FILES if (root / name).exists()}
        kept = Path(tempfile.mkdtemp(prefix=".init-undo-", dir=root))
        for name in before & set(_PROJECT_FILES):
            try:
                os.link(root / name, kept / name)
            except OSError:
                shutil.copy2(root / name, kept / name)
    try:
        yield
    except BaseException:
        if created:
            shutil.rmtree(top, ignore_errors=True)
        else:
            for name in _PROJECT_FILES + _DB_FILES + _SCRATCH_FILES:
                if (kept / name).exists():
                    os.replace(kept / name, root / name)
                elif name not in before:
                    (root / name).unlink(missing_ok=True)
        raise
    finally:
        if kept is not None:
            shutil.rmtree(kept, ignore_errors=True)


def open_store(project: Project, db_url: str | None = None, items: list[dict] | None = None,
               settings: dict | None = None) -> Store:
    """The project's database, migrated, owned by this project, holding all its items (and
    `settings` written over the stored ones): after the migrations, one transaction, so a
    refusal half-way leaves the database as it was."""
    items = items if items is not None else project.read_items()
    store = Store(db_url or project.default_db_url)
    try:
        store.upgrade()
        with store.write() as s:
            _claim_ownership(store, s, project)
            if not is_stream(project.config.task):  # a stream's items arrive through the API
                _sync_items(s, items)
            if settings:
                store.put_settings(s, settings)
    except Exception:
        store.dispose()
        raise
    return store


def _sync_items(s, items: list[dict]) -> int:
    """Insert the manifest's items the database lacks; returns how many. Refuses a database
    whose items disagree with the manifest (another project's data)."""
    have = dict(s.execute(select(Item.idx, Item.item_id)).all())
    for idx, item_id in have.items():
        if idx >= len(items) or items[idx]["item_id"] != item_id:
            raise ProjectError(
                f"the database holds item {item_id!r} at position {idx}, which this project "
                "does not; use one database per project."
            )
    new = [{"idx": it["idx"], "item_id": it["item_id"], "kind": it["kind"],
            "overlap_key": overlap_key(it["item_id"])}
           for it in items if it["idx"] not in have]
    for start in range(0, len(new), 5000):
        s.execute(insert(Item), new[start:start + 5000])
    return len(new)


def _claim_ownership(store: Store, s, project: Project) -> None:
    stored = store.get_settings(s)
    owner = stored.get(OWNER_KEY)
    if owner is not None and owner != project.config.name:
        raise ProjectError(
            f"this database belongs to project {owner!r}, not {project.config.name!r}; use "
            "one database per project."
        )
    defaults = {OWNER_KEY: project.config.name, **from_config(project.config).as_dict()}
    store.put_settings(s, {k: v for k, v in defaults.items() if k not in stored})


class Runtime:
    """What a serving process keeps in memory: the project, its store and item manifest; the
    feature matrix only when asked for (`X`), since the web server never needs it — only the
    retrain worker does, and loading a large pool would delay a restart."""

    def __init__(self, project: Project, store: Store, items: list[dict], X=None) -> None:
        self.project = project
        self.store = store
        self.items = items
        self.by_id: dict[str, dict] = {it["item_id"]: it for it in items}
        self._X = X

    @classmethod
    def open(cls, project_path, db_url: str | None = None) -> "Runtime":
        project = Project.open(project_path)
        if is_stream(project.config.task):
            from .stream_service import load_items

            store = open_store(project, db_url, items=[])
            try:
                return cls(project, store, load_items(store))
            except Exception:
                store.dispose()
                raise
        items = project.read_items()
        n_rows = project.feature_rows()
        if n_rows != len(items):
            raise ProjectError(
                f"{project.root}: {n_rows} feature rows for {len(items)} items; run "
                "`activelab init` again to re-import."
            )
        store = open_store(project, db_url, items=items)
        return cls(project, store, items)

    @property
    def X(self):
        """The feature matrix, loaded on first use."""
        if self._X is None:
            self._X = self.project.load_features()
        return self._X

    @property
    def task(self) -> str:
        """classification, multilabel or regression (`project.TASKS`)."""
        return self.project.config.task

    @property
    def value_range(self) -> list[float] | None:
        """A regression project's bounds on every answer, [min, max] (None: unbounded)."""
        return self.project.config.value_range

    @property
    def labels(self) -> list[str]:
        """The label set: the project's labels, then those an admin added (`labelset`)."""
        return full_labels(self.store, self.project.config.labels)

    def settings(self):
        return read_settings(self.store)

    def close(self) -> None:
        self.store.dispose()
