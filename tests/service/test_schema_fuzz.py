"""Issue 13, a truthful API: Schemathesis sends the service what its own OpenAPI document
allows, and what it forbids, in process (ASGI), on SQLite and PostgreSQL, as an annotator and
as an admin; every response must be no server error, carry a documented status and content
type, and match the documented schema.

Bounded and deterministic: `MAX_EXAMPLES` generated cases per operation and mode (positive,
negative), each sent with both tokens; derandomized, no example database. Half the positive
cases that name an item name the item `GET /api/next` just leased to the caller, so labels,
skips, relabels and image files are reached, not only 404s. The retrain worker does not run.
One app per database serves every case, so later cases meet the state earlier ones left.
"""

from __future__ import annotations

import shutil

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from .conftest import drop_pg_database, new_pg_database

MAX_EXAMPLES = 20
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
ROLES = {"annotator": "alice", "admin": "admin"}


def _bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def fuzzed(request, image_project_template, tmp_path_factory):
    """(app, tokens by name) on a fresh database of the backend; no retrain worker."""
    from activelab.service import Runtime, create_app
    from activelab.service.auth import add_annotator

    root = tmp_path_factory.mktemp(f"fuzz-{request.param}") / "proj"
    shutil.copytree(image_project_template, root)
    pg_name = None
    if request.param == "sqlite":
        db_url = f"sqlite:///{root / 'activelab.db'}"
    else:
        admin_url = request.getfixturevalue("pg_server")
        db_url, pg_name = new_pg_database(admin_url)
    runtime = Runtime.open(root, db_url)
    tokens = {"admin": add_annotator(runtime.store, "admin", admin=True),
              "alice": add_annotator(runtime.store, "alice")}
    app = create_app(runtime, start_worker=False)
    try:
        yield app, tokens
    finally:
        from schemathesis.python import asgi

        asgi.shutdown_lifespans()  # Schemathesis keeps an app's lifespan open until told
        runtime.close()
        if pg_name is not None:
            drop_pg_database(admin_url, pg_name)


def app_schema(app, tokens):
    """The app's OpenAPI document as Schemathesis reads it."""
    return schemathesis.openapi.from_asgi("/api/openapi.json", app,
                                          headers=_bearer(tokens["admin"]))


def fuzz_operation(api_schema, app, tokens, label: str, mode) -> None:
    """Generate `mode` cases of operation `label` ("POST /api/labels") and check every answer,
    as the annotator and as the admin (positive cases aimed at a leased item half the time)."""
    from fastapi.testclient import TestClient

    client = TestClient(app)
    method, path = label.split(" ")
    operation = api_schema[path][method]

    @given(case=operation.as_strategy(generation_mode=mode), leased=st.booleans())
    @settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
              suppress_health_check=list(HealthCheck))
    def fuzz(case, leased):
        for name in ROLES.values():  # the same request as an annotator, then as an admin
            headers = _bearer(tokens[name])
            if leased and mode is GenerationMode.POSITIVE:
                _aim_at_leased_item(case, client, headers)
            case.call_and_validate(headers=headers, checks=CHECKS)

    fuzz()


OPERATIONS = [
    "GET /api/next", "POST /api/labels", "POST /api/skip", "POST /api/undo", "GET /api/stats",
    "GET /api/progress", "GET /api/export", "GET /api/settings", "PUT /api/settings",
    "POST /api/retrain", "GET /api/me", "GET /api/content", "GET /api/label-set",
    "GET /api/annotators", "GET /api/agreement", "GET /api/review", "POST /api/review",
    "POST /api/review/undo",
]
# Fuzzed last (`test_admin_writes_keep_the_contract`): they grow the label set (so later
# responses would list labels the loaded document's enum lacks) and add or revoke annotators.
ADMIN_WRITES = ["POST /api/label-set", "POST /api/invitations", "POST /api/annotators/revoke"]


@pytest.fixture(scope="module")
def api_schema(fuzzed):
    """The document the app serves (fetched with a token), loaded by Schemathesis."""
    return app_schema(*fuzzed)


def test_every_operation_is_fuzzed(api_schema):
    found = [f"{op.ok().method.upper()} {op.ok().path}" for op in api_schema.get_all_operations()]
    assert sorted(found) == sorted(OPERATIONS + ADMIN_WRITES)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                         ids=lambda mode: mode.value)
@pytest.mark.parametrize("label", OPERATIONS)
def test_every_response_keeps_the_contract(api_schema, fuzzed, label, mode):
    fuzz_operation(api_schema, *fuzzed, label, mode)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                         ids=lambda mode: mode.value)
@pytest.mark.parametrize("label", ADMIN_WRITES)
def test_admin_writes_keep_the_contract(api_schema, fuzzed, label, mode):
    """After every other operation (the state they leave is theirs alone)."""
    test_every_response_keeps_the_contract(api_schema, fuzzed, label, mode)


def _aim_at_leased_item(case, client, headers) -> None:
    """Point the case's `item_id` (body or query) at the item leased to the caller now."""
    for part in (case.body, case.query):
        if isinstance(part, dict) and "item_id" in part:
            item = client.get("/api/next", headers=headers).json()
            if not item["done"]:
                part["item_id"] = item["item_id"]
