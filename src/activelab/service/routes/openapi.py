"""The OpenAPI schema, for token holders only (the app serves no public docs)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from ..deps import CurrentPrincipal

router = APIRouter()


@router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request, who: CurrentPrincipal) -> JSONResponse:
    return JSONResponse(request.app.openapi())
