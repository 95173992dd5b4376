"""Issue 17: a multilabel project's API keeps its own OpenAPI document (test_schema_fuzz.py's
checks, in process, on SQLite): the label set is an enum of each list item, a single `label` is
refused as the document says, and every answer matches its schema."""

from __future__ import annotations

import shutil

import pytest

schemathesis = pytest.importorskip("schemathesis")

from schemathesis import GenerationMode

from .task_fuzz import app_schema, fuzz_operation, fuzzed_app
from .test_multilabel_service import ml_template  # noqa: F401 - the fixture

OPERATIONS = ["GET /api/next", "POST /api/labels", "POST /api/skip", "POST /api/undo",
              "GET /api/stats", "GET /api/export", "PUT /api/settings", "GET /api/review",
              "POST /api/review"]


@pytest.fixture(scope="module")
def fuzzed(ml_template, tmp_path_factory):  # noqa: F811 - the fixture
    root = tmp_path_factory.mktemp("fuzz-multilabel") / "proj"
    shutil.copytree(ml_template, root)
    with fuzzed_app(root, f"sqlite:///{root / 'activelab.db'}") as fuzzed:
        yield fuzzed


@pytest.fixture(scope="module")
def api_schema(fuzzed):
    return app_schema(*fuzzed)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                         ids=lambda mode: mode.value)
@pytest.mark.parametrize("label", OPERATIONS)
def test_the_multilabel_api_keeps_its_contract(api_schema, fuzzed, label, mode):
    fuzz_operation(api_schema, *fuzzed, label, mode)
