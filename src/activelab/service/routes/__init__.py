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

A multilabel project's API (`api_router("multilabel")`) answers GET /next, POST /labels and POST
/undo from `multilabel` instead: an answer there is a set of labels; a regression project's
(`api_router("regression")`) from `regression`: an answer there is a number. A stream project's
(`api_router("stream", dim)`) adds `stream`: POST /stream/items (an arriving item, decided at
once; admin) and GET /stream, and answers GET /next saying the item came from the stream.

Each route's decorator lists the refusals it can answer (`contract.errors`); every route can
answer 401 (no valid token) and 413 (a body over the cap), listed here once.
"""

from __future__ import annotations

from fastapi import APIRouter

from ..contract import errors
from ..multilabel import is_multilabel
from ..regression import is_regression
from . import (
    annotators,
    content,
    export,
    items,
    labels,
    labelset,
    me,
    multilabel,
    openapi,
    progress,
    regression,
    review,
    settings,
    stream,
)


def api_router(task: str = "classification", dim: int | None = None) -> APIRouter:
    """The JSON API of a project of `task` (`project.TASKS`); `dim`: a stream project's width."""
    if task == "stream":
        rest = APIRouter()
        rest.routes.extend(r for r in labels.router.routes)
        labeling = (stream.make_router(int(dim)), rest)
    elif is_multilabel(task) or is_regression(task):
        skip = APIRouter()
        skip.routes.extend(r for r in labels.router.routes if r.path == "/skip")
        labeling = (multilabel.router if is_multilabel(task) else regression.router, skip)
    else:
        labeling = (items.router, labels.router)
    router = APIRouter(prefix="/api")
    for resource in (*labeling, progress.router, export.router, settings.router,
                     labelset.router, annotators.router, review.router, me.router,
                     content.router, openapi.router):
        router.include_router(resource, responses=errors(401, 413))
    return router


router = api_router()  # a classification project's
