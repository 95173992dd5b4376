"""What the per-task Schemathesis modules share (multilabel, regression, stream projects): an
in-process app on SQLite with an admin and an annotator; its document and the fuzz of an
operation as both roles are test_schema_fuzz.py's own (`app_schema`, `fuzz_operation`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .test_schema_fuzz import app_schema, fuzz_operation  # noqa: F401 - the task modules' API


@contextmanager
def fuzzed_app(root: Path, db_url: str, before: Callable | None = None) -> Iterator[tuple]:
    """(app, tokens) of the project at `root`; `before(client, tokens)` may add data first."""
    from fastapi.testclient import TestClient
    from schemathesis.python import asgi

    from activelab.service import Runtime, create_app
    from activelab.service.auth import add_annotator

    runtime = Runtime.open(root, db_url)
    tokens = {"admin": add_annotator(runtime.store, "admin", admin=True),
              "alice": add_annotator(runtime.store, "alice")}
    app = create_app(runtime, start_worker=False)
    if before is not None:
        before(TestClient(app), tokens)
    try:
        yield app, tokens
    finally:
        asgi.shutdown_lifespans()
        runtime.close()
