"""Set a project up and open it for serving: `init_project` imports the data into the project
folder; `open_store` migrates a database and syncs the project's items into it; `Runtime` holds
what a running server keeps in memory (features, item contents, the store)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import insert, select

from .db import Store
from .features import compute_features, text_field_of
from .importers import merge_items, read_source
from .project import TASKS, Project, ProjectConfig, ProjectError, parse_labels
from .settings import from_config, read_settings, validate
from .tables import Item

OWNER_KEY = "project"


@dataclass(frozen=True)
class InitReport:
    project: Project
    n_items: int
    n_new: int
    created: bool


def init_project(path, *, data, labels: str, task: str = "classification",
                 strategy: str | None = None, model: str | None = None,
                 features: str | None = None, db_url: str | None = None) -> InitReport:
    """Create a project (or re-import its data: idempotent, new items are appended)."""
    if task not in TASKS:
        raise ProjectError(f"--task {task!r} is not supported; supported: {', '.join(TASKS)}.")
    label_list = parse_labels(labels)
    root = Path(path).expanduser().resolve()
    existing = Project.open(root) if (root / "project.json").is_file() else None
    changes = validate({"strategy": strategy, "model": model}, error=ProjectError)
    if existing is not None and existing.config.labels != label_list:
        raise ProjectError(
            f"{root} was created with labels {existing.config.labels}; a project's label set "
            "cannot change (its labels would lose their meaning). Create a new project instead."
        )
    spec = features or (existing.config.features if existing else "auto")
    source = read_source(data, text_field=text_field_of(spec))
    old_items = existing.read_items() if existing else []
    items, n_new = merge_items(old_items, source.items)
    X = compute_features(source, spec, items)
    if existing is None:
        root.mkdir(parents=True, exist_ok=True)
        config = ProjectConfig(name=root.name, data=str(Path(data).expanduser().resolve()),
                               data_kind=source.kind, labels=label_list, task=task,
                               features=spec, **changes)
        project = Project(root, config)
    else:
        project = existing
        project.config.data = str(Path(data).expanduser().resolve())
        project.config.data_kind = source.kind
        project.config.features = spec
        for key, value in changes.items():
            setattr(project.config, key, value)
    project.save_features(X)
    project.write_items(items)
    project.save_config()
    store = open_store(project, db_url, items=items)
    try:
        if existing is not None and changes:
            from .settings import write_settings

            write_settings(store, changes)
    finally:
        store.dispose()
    return InitReport(project, len(items), n_new, existing is None)


def open_store(project: Project, db_url: str | None = None, items: list[dict] | None = None) -> Store:
    """The project's database, migrated, owned by this project, holding all its items."""
    store = Store(db_url or project.default_db_url)
    try:
        store.upgrade()
        _claim_ownership(store, project)
        sync_items(store, items if items is not None else project.read_items())
    except Exception:
        store.dispose()
        raise
    return store


def sync_items(store: Store, items: list[dict]) -> int:
    """Insert the manifest's items the database lacks; returns how many. Refuses a database
    whose items disagree with the manifest (another project's data)."""
    with store.write() as s:
        have = dict(s.execute(select(Item.idx, Item.item_id)).all())
        for idx, item_id in have.items():
            if idx >= len(items) or items[idx]["item_id"] != item_id:
                raise ProjectError(
                    f"the database holds item {item_id!r} at position {idx}, which this project "
                    "does not; use one database per project."
                )
        new = [{"idx": it["idx"], "item_id": it["item_id"], "kind": it["kind"]}
               for it in items if it["idx"] not in have]
        for start in range(0, len(new), 5000):
            s.execute(insert(Item), new[start:start + 5000])
    return len(new)


def _claim_ownership(store: Store, project: Project) -> None:
    with store.write() as s:
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
    def labels(self) -> list[str]:
        return self.project.config.labels

    def settings(self):
        return read_settings(self.store)

    def close(self) -> None:
        self.store.dispose()
