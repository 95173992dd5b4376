"""Issue 17: a regression project's API keeps its own OpenAPI document (test_schema_fuzz.py's
checks, in process, on SQLite): a number within the project's range (minimum and maximum in the
document), a `label` or `labels` refused as the document says, no label set anywhere, and every
answer matches its schema."""

from __future__ import annotations

import shutil

import pytest

schemathesis = pytest.importorskip("schemathesis")

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode

from .test_regression_service import reg_template  # noqa: F401 - the fixture
from .test_schema_fuzz import CHECKS, MAX_EXAMPLES, ROLES, _aim_at_leased_item, _bearer

OPERATIONS = ["GET /api/next", "POST /api/labels", "POST /api/skip", "POST /api/undo",
              "GET /api/stats", "GET /api/progress", "GET /api/export", "PUT /api/settings",
              "GET /api/me", "GET /api/review", "POST /api/review", "POST /api/label-set"]


@pytest.fixture(scope="module")
def fuzzed(reg_template, tmp_path_factory):  # noqa: F811 - the fixture
    from activelab.service import Runtime, create_app
    from activelab.service.auth import add_annotator

    root = tmp_path_factory.mktemp("fuzz-regression") / "proj"
    shutil.copytree(reg_template, root)
    runtime = Runtime.open(root, f"sqlite:///{root / 'activelab.db'}")
    tokens = {"admin": add_annotator(runtime.store, "admin", admin=True),
              "alice": add_annotator(runtime.store, "alice")}
    app = create_app(runtime, start_worker=False)
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


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                         ids=lambda mode: mode.value)
@pytest.mark.parametrize("label", OPERATIONS)
def test_the_regression_api_keeps_its_contract(api_schema, fuzzed, label, mode):
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
