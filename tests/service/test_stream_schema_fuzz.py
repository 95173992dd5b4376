"""Issue 17: a stream project's API keeps its own OpenAPI document (test_schema_fuzz.py's checks,
in process, on SQLite): arrivals of the project's width (minItems = maxItems in the document),
their decisions, the stream's counts, and the classification routes that label queried items;
every answer matches its schema."""

from __future__ import annotations

import uuid

import pytest

schemathesis = pytest.importorskip("schemathesis")

from schemathesis import GenerationMode

from .task_fuzz import app_schema, fuzz_operation, fuzzed_app
from .test_schema_fuzz import _bearer
from .test_stream_service import DIM, LABELS, stream_rows

OPERATIONS = ["POST /api/stream/items", "GET /api/stream", "GET /api/next", "POST /api/labels",
              "POST /api/skip", "POST /api/undo", "GET /api/stats", "GET /api/progress",
              "GET /api/export", "PUT /api/settings", "GET /api/me", "POST /api/label-set"]


def _arrivals(client, tokens) -> None:
    for t, x in enumerate(stream_rows(20)):  # a queue to label
        r = client.post("/api/stream/items", headers=_bearer(tokens["admin"]), json={
            "item_id": f"s{t}", "features": x.tolist(), "request_id": uuid.uuid4().hex})
        assert r.status_code == 200, r.text


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory):
    from activelab.service import init_project

    root = tmp_path_factory.mktemp("fuzz-stream") / "proj"
    db_url = f"sqlite:///{root.parent / 'activelab.db'}"
    init_project(root, task="stream", labels=",".join(LABELS), budget="0.3", dim=str(DIM),
                 db_url=db_url)
    with fuzzed_app(root, db_url, before=_arrivals) as fuzzed:
        yield fuzzed


@pytest.fixture(scope="module")
def api_schema(fuzzed):
    return app_schema(*fuzzed)


def test_the_document_states_the_width(api_schema):
    body = api_schema["/api/stream/items"]["POST"].definition.raw["requestBody"]
    ref = body["content"]["application/json"]["schema"]["$ref"].split("/")[-1]
    features = api_schema.raw_schema["components"]["schemas"][ref]["properties"]["features"]
    assert features["minItems"] == features["maxItems"] == DIM


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                         ids=lambda mode: mode.value)
@pytest.mark.parametrize("label", OPERATIONS)
def test_the_stream_api_keeps_its_contract(api_schema, fuzzed, label, mode):
    fuzz_operation(api_schema, *fuzzed, label, mode)
