"""What the per-task Schemathesis modules share (multilabel, regression, stream projects): an
in-process app on SQLite with an admin and an annotator, its document, and one fuzz of an
operation as both roles with test_schema_fuzz.py's checks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from .test_schema_fuzz import CHECKS, MAX_EXAMPLES, ROLES, _aim_at_leased_item, _bearer


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


def app_schema(app, tokens):
    """The app's OpenAPI document as Schemathesis reads it."""
    import schemathesis

    return schemathesis.openapi.from_asgi("/api/openapi.json", app,
                                          headers=_bearer(tokens["admin"]))


def fuzz_operation(api_schema, app, tokens, label: str, mode) -> None:
    """Generate `mode` cases of operation `label` ("POST /api/labels") and check every answer,
    as the annotator and as the admin (positive cases aimed at a leased item half the time)."""
    from fastapi.testclient import TestClient
    from schemathesis import GenerationMode

    client = TestClient(app)
    method, path = label.split(" ")
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode), leased=st.booleans())
    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def fuzz(case, leased):
        for name in ROLES.values():
            headers = _bearer(tokens[name])
            if leased and mode is GenerationMode.POSITIVE:
                _aim_at_leased_item(case, client, headers)
            case.call_and_validate(headers=headers, checks=CHECKS)

    fuzz()
