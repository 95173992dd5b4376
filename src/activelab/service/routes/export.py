"""The labels as a file (admin): current labels or the whole log, as CSV, JSON Lines or Parquet;
current labels also as Label Studio tasks."""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import Response

from .. import export as exporting
from ..contract import errors
from ..deps import AdminPrincipal, ServiceDep

router = APIRouter()

_TO_NAME = {"type": "string", "enum": ["image", "text", "item"]}
_CHOICES = {"type": "object", "required": ["from_name", "to_name", "type", "value"],
            "properties": {"from_name": {"type": "string", "enum": ["label"]},
                           "to_name": _TO_NAME,
                           "type": {"type": "string", "enum": ["choices"]},
                           "value": {"type": "object", "required": ["choices"], "properties": {
                               "choices": {"type": "array", "items": {"type": "string"},
                                           "minItems": 1, "description": (
                                               "The item's label; a multilabel project's every "
                                               "label of the set (an empty set: no result).")}}}}}
_NUMBER = {"type": "object", "required": ["from_name", "to_name", "type", "value"],
           "description": "A regression project's answer: the item's number.",
           "properties": {"from_name": {"type": "string", "enum": ["value"]},
                          "to_name": _TO_NAME,
                          "type": {"type": "string", "enum": ["number"]},
                          "value": {"type": "object", "required": ["number"], "properties": {
                              "number": {"type": "number"}}}}}
_RESULT = {"anyOf": [_CHOICES, _NUMBER]}
LABEL_STUDIO_TASKS = {
    "type": "array", "description": "Label Studio tasks, one per labeled item.",
    "items": {"type": "object", "required": ["data", "annotations"], "properties": {
        "data": {"type": "object", "required": ["item_id"],
                 "properties": {"item_id": {"type": "string"}},
                 "description": "image (path or URL), text, or item (a row's fields); item_id"},
        "annotations": {"type": "array", "minItems": 1, "maxItems": 1, "items": {
            "type": "object", "required": ["result"],
            "properties": {"result": {"type": "array", "items": _RESULT}}}}}},
}


@router.get("/export", summary="Export labels (admin)", response_class=Response,
            responses={200: {"content": {"text/csv": {}, "application/x-ndjson": {},
                                         "application/vnd.apache.parquet": {},
                                         "application/json": {"schema": LABEL_STUDIO_TASKS}}},
                       **errors(403, (422, ("Malformed request, or the Label Studio format asked "
                                            "for the history (it holds current labels only).")))})
def get_export(
    svc: ServiceDep,
    who: AdminPrincipal,
    format: Literal["csv", "jsonl", "parquet", "labelstudio"] = Query(
        "csv", description="csv, jsonl, parquet, or labelstudio (Label Studio's JSON tasks)."),
    history: bool = Query(False, description="Every event of the log instead of current labels "
                                             "(not with labelstudio)."),
    image_root: str | None = Query(None, max_length=2000, description=(
        "labelstudio only: put before each image's path (e.g. a URL Label Studio can read); "
        "default: the image file's absolute path on the server.")),
):
    runtime = svc.runtime
    fields, rows = exporting.export_rows(runtime.store, history=history, task=runtime.task)
    body = exporting.encode(fields, rows, format, items=runtime.by_id,
                            data_root=runtime.project.data_root, image_root=image_root)
    media = exporting.MEDIA_TYPES[format]  # text/csv gets "; charset=utf-8" from Starlette
    name = (f"{runtime.project.config.name}-{'history' if history else 'labels'}"
            f"{'-labelstudio' if format == 'labelstudio' else ''}.{exporting.SUFFIXES[format]}")
    return Response(body, media_type=media,
                    headers={"Content-Disposition": f'attachment; filename="{quote(name)}"'})
