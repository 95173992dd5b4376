"""Run-time settings: seeded from `project.json`, kept in the database, changed by an admin
through ``PUT /api/settings``; every reader sees the change at its next request."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, fields
from datetime import datetime

from .db import Store, utcnow
from .errors import LabelError

CACHE_SECONDS = 2.0
RETRAIN_REQUEST_KEY = "retrain_requested_at"  # internal: an admin asked for a retrain (ISO time)
LIMITS = {
    "lease_seconds": (5, 7 * 24 * 3600),
    "retrain_every": (1, 1_000_000),
    "queue_size": (1, 100_000),
    "annotations_per_item": (1, 20),  # k labels for the items chosen for overlap (overlap.py)
    "overlap_seed": (0, 2**31 - 1),
}
FRACTIONS = ("overlap_fraction",)  # a number from 0 to 1: the share of items that need k labels


@dataclass(frozen=True)
class Settings:
    lease_seconds: int = 600
    retrain_every: int = 10
    queue_size: int = 100
    strategy: str = "auto"
    model: str = "logreg"
    annotations_per_item: int = 1
    overlap_fraction: float = 1.0
    overlap_seed: int = 0

    def as_dict(self) -> dict:
        return asdict(self)


def from_config(config) -> Settings:
    return Settings(**{f.name: getattr(config, f.name, f.default) for f in fields(Settings)})


def validate(values: dict, error: type[Exception] = LabelError,
             task: str = "classification") -> dict:
    """Check a partial update for a project of `task`; raises `error` (LabelError: HTTP 422)
    naming the bad field."""
    from .multilabel import is_multilabel, model_names, refuse_overlap, strategy_names
    from .regression import is_regression
    from .regression import refuse_overlap as refuse_regression_overlap

    known = {f.name for f in fields(Settings)}
    if is_multilabel(task):
        refuse_overlap(values, error)
    if is_regression(task):
        refuse_regression_overlap(values, error)
    if task == "stream":
        from .stream_service import refuse_settings

        refuse_settings(values, error)
    out = {}
    for key, value in values.items():
        if value is None:
            continue
        if key not in known:
            raise error(f"unknown setting {key!r}; settings are {sorted(known)}.")
        if key in LIMITS:
            lo, hi = LIMITS[key]
            if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
                raise error(f"{key} must be an integer from {lo} to {hi}; got {value!r}.")
        elif key in FRACTIONS:
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 1:
                raise error(f"{key} must be a number from 0 to 1; got {value!r}.")
            value = float(value)
        elif key == "strategy":
            if value not in strategy_names(task):
                raise error(f"unknown strategy {value!r}; known: "
                            f"{', '.join(strategy_names(task))}.")
        elif key == "model":
            if value not in model_names(task):
                raise error(f"unknown model {value!r}; known: {', '.join(model_names(task))}.")
        out[key] = value
    return out


def read_settings(store: Store, max_age: float = CACHE_SECONDS) -> Settings:
    """The current settings (remembered for `max_age` seconds; writes here refresh them)."""
    cached = getattr(store, "_settings_cache", None)
    if cached is not None and cached[1] > time.monotonic() - max_age:
        return cached[0]
    with store.read() as s:
        stored = store.get_settings(s)
    known = {f.name for f in fields(Settings)}
    settings = Settings(**{k: v for k, v in stored.items() if k in known})
    store._settings_cache = (settings, time.monotonic())
    return settings


def write_settings(store: Store, values: dict, error: type[Exception] = LabelError,
                   task: str = "classification") -> Settings:
    checked = validate(values, error, task)
    with store.write() as s:
        store.put_settings(s, checked)
    return read_settings(store, max_age=0)


def request_retrain(store: Store) -> datetime:
    """Record an admin's request to retrain now; the worker (in whichever process) sees it at its
    next check and retrains even if too few labels are new. Returns the request's time."""
    now = utcnow()
    with store.write() as s:
        store.put_settings(s, {RETRAIN_REQUEST_KEY: now.isoformat()})
    return now


def retrain_requested_at(stored: dict) -> datetime | None:
    """When a retrain was last requested, from the stored settings (None: never)."""
    value = stored.get(RETRAIN_REQUEST_KEY)
    try:
        return datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None
