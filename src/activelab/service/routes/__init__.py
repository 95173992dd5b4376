"""The JSON API under ``/api``, one router per resource. Every route needs a token
(``Authorization: Bearer TOKEN``, or the cookie the login page sets); export, settings, retrain,
the label set and annotators need an admin token.

    items      GET /next             lease the next item to label
    labels     POST /labels, /skip, /undo
    progress   GET /stats, /progress
    export     GET /export           csv, jsonl, parquet, labelstudio (admin)
    settings   GET, PUT /settings; POST /retrain   (admin)
    labelset   GET, POST /label-set  add a label at the end of the set (admin)
    annotators GET /annotators, POST /annotators/revoke, POST /invitations   (admin)
    review     GET /agreement, GET, POST /review, POST /review/undo   (admin)
    me         GET /me
    content    GET /content          an image item's file
    openapi    GET /openapi.json     the schema (any token; not listed in itself)

Each route's decorator lists the refusals it can answer (`contract.errors`); every route can
answer 401 (no valid token) and 413 (a body over the cap), listed here once.
"""

from __future__ import annotations

from fastapi import APIRouter

from ..contract import errors
from . import (
    annotators,
    content,
    export,
    items,
    labels,
    labelset,
    me,
    openapi,
    progress,
    review,
    settings,
)

router = APIRouter(prefix="/api")
for _resource in (items, labels, progress, export, settings, labelset, annotators, review, me,
                  content, openapi):
    router.include_router(_resource.router, responses=errors(401, 413))
