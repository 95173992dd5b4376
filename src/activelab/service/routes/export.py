"""The labels as a file (admin): current labels or the whole log, CSV or JSON Lines."""

from __future__ import annotations

from typing import Literal
from urllib.parse import quote

from fastapi import APIRouter, Query
from fastapi.responses import PlainTextResponse, Response

from .. import export as exporting
from ..contract import errors
from ..deps import AdminPrincipal, ServiceDep

router = APIRouter()


@router.get("/export", summary="Export labels (admin)", response_class=Response,
            responses={200: {"content": {"text/csv": {}, "application/x-ndjson": {}}},
                       **errors(403, 422)})
def get_export(
    svc: ServiceDep,
    who: AdminPrincipal,
    format: Literal["csv", "jsonl"] = Query("csv", description="csv or jsonl"),
    history: bool = Query(False, description="Every event of the log instead of current labels."),
):
    fields, rows = exporting.export_rows(svc.runtime.store, history=history)
    body = exporting.render(fields, rows, format)
    media = "text/csv" if format == "csv" else "application/x-ndjson"
    name = f"{svc.runtime.project.config.name}-{'history' if history else 'labels'}.{format}"
    return PlainTextResponse(body, media_type=media,
                             headers={"Content-Disposition": f'attachment; filename="{quote(name)}"'})
