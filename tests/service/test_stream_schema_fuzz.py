"""Issue 17: a stream project's API keeps its own OpenAPI document (test_schema_fuzz.py's checks,
in process, on SQLite): arrivals of the project's width (minItems = maxItems in the document),
their decisions, the stream's counts, and the classification routes that label queried items;
every answer matches its schema."""

from __future__ import annotations

import uuid

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from .test_schema_fuzz import CHECKS, MAX_EXAMPLES, ROLES, _aim_at_leased_item, _bearer
from .test_stream_service import DIM, LABELS, stream_rows

OPERATIONS = ["POST /api/stream/items", "GET /api/stream", "GET /api/next", "POST /api/labels",
              "POST /api/skip", "POST /api/undo", "GET /api/stats", "GET /api/progress",
              "GET /api/export", "PUT /api/settings", "GET /api/me", "POST /api/label-set"]


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory):
    from fastapi.testclient import TestClient

    from activelab.service import Runtime, create_app, init_project
    from activelab.service.auth import add_annotator

    root = tmp_path_factory.mktemp("fuzz-stream") / "proj"
    db_url = f"sqlite:///{root.parent / 'activelab.db'}"
    init_project(root, task="stream", labels=",".join(LABELS), budget="0.3", dim=str(DIM),
                 db_url=db_url)
    runtime = Runtime.open(root, db_url)
    tokens = {"admin": add_annotator(runtime.store, "admin", admin=True),
              "alice": add_annotator(runtime.store, "alice")}
    app = create_app(runtime, start_worker=False)
    client = TestClient(app)
    for t, x in enumerate(stream_rows(20)):  # a queue to label
        r = client.post("/api/stream/items", headers=_bearer(tokens["admin"]), json={
            "item_id": f"s{t}", "features": x.tolist(), "request_id": uuid.uuid4().hex})
        assert r.status_code == 200, r.text
    try:
        yield app, tokens
    finally:
        from schemathesis.python import asgi

        asgi.shutdown_lifespans()
        runtime.close()


@pytest.fixture(scope="module")
def api_schema(fuzzed):
    app, tokens = fuzzed
    return schemathesis.openapi.from_asgi("/api/openapi.json", app,
                                          headers=_bearer(tokens["admin"]))


def test_the_document_states_the_width(api_schema):
    body = api_schema["/api/stream/items"]["POST"].definition.raw["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    features = api_schema.raw_schema["components"]["schemas"][ref]["properties"]["features"]
    assert features["minItems"] == features["maxItems"] == DIM


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                         ids=lambda mode: mode.value)
@pytest.mark.parametrize("label", OPERATIONS)
def test_the_stream_api_keeps_its_contract(api_schema, fuzzed, label, mode):
    from fastapi.testclient import TestClient

    app, tokens = fuzzed
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
