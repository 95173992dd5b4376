"""Issue 17: a regression project's API keeps its own OpenAPI document (test_schema_fuzz.py's
checks, in process, on SQLite): a number within the project's range (minimum and maximum in the
document), a `label` or `labels` refused as the document says, no label set anywhere, and every
answer matches its schema."""

from __future__ import annotations

import shutil

import pytest

schemathesis = pytest.importorskip("schemathesis")

from schemathesis import GenerationMode

from .task_fuzz import app_schema, fuzz_operation, fuzzed_app
from .test_regression_service import reg_template  # noqa: F401 - the fixture

OPERATIONS = ["GET /api/next", "POST /api/labels", "POST /api/skip", "POST /api/undo",
              "GET /api/stats", "GET /api/progress", "GET /api/export", "PUT /api/settings",
              "GET /api/me", "GET /api/review", "POST /api/review", "POST /api/label-set"]


@pytest.fixture(scope="module")
def fuzzed(reg_template, tmp_path_factory):  # noqa: F811 - the fixture
    root = tmp_path_factory.mktemp("fuzz-regression") / "proj"
    shutil.copytree(reg_template, root)
    with fuzzed_app(root, f"sqlite:///{root / 'activelab.db'}") as fuzzed:
        yield fuzzed


@pytest.fixture(scope="module")
def api_schema(fuzzed):
    return app_schema(*fuzzed)


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE],
                         ids=lambda mode: mode.value)
@pytest.mark.parametrize("label", OPERATIONS)
def test_the_regression_api_keeps_its_contract(api_schema, fuzzed, label, mode):
    fuzz_operation(api_schema, *fuzzed, label, mode)
