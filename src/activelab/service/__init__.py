"""The labeling service: annotators label, in a browser, the items a query strategy selects.

    activelab init PROJECT --data PATH --labels "cat,dog"
    activelab token add PROJECT alice --admin
    activelab serve PROJECT

Modules, one job each:

- `project` — the project folder (settings, item manifest, features)
- `importers`, `features` — data (images, CSV/Parquet, JSONL) → items and a feature matrix
- `tables`, `db`, `migrations/` — SQLAlchemy tables, SQLite/PostgreSQL engines, Alembic
- `auth` — hashed, expiring tokens; `sessions`, `invitations`, `ratelimit` — browser sign-in
- `leases` — who works on what (and the lease check a write passes)
- `labellog` — writes to the append-only label log; `queries` — the state derived from it
- `modeling`, `worker` — retrain and re-rank in a background thread
- `progress`, `export` — read-only views
- `app` — the web app: `routes/` (the JSON API, one router per resource), `deps` (the service
  state and the caller, as dependencies), `presenter` (response bodies), `pages`, `middleware`
- `commands` — `init`, `serve`, `export`, `token`, `invite` for the `activelab` command line

Needs the ``serve`` extra: ``pip install "activelab[serve]"``.
"""

import importlib as _importlib

# Imported on first use, so `activelab --help` does not pay for FastAPI and SQLAlchemy.
_EXPORTS = {
    "create_app": "app",
    "ConflictError": "errors",
    "ForbiddenError": "errors",
    "LabelError": "errors",
    "NotFoundError": "errors",
    "ServiceError": "errors",
    "Project": "project",
    "ProjectError": "project",
    "Runtime": "runtime",
    "init_project": "runtime",
    "open_store": "runtime",
}


def __getattr__(name):
    if name in _EXPORTS:
        return getattr(_importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ConflictError",
    "ForbiddenError",
    "LabelError",
    "NotFoundError",
    "Project",
    "ProjectError",
    "Runtime",
    "ServiceError",
    "create_app",
    "init_project",
    "open_store",
]
