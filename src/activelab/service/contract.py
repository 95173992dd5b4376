"""The API's contract: what every refusal looks like, and an OpenAPI document that says so.

`install(app, labels)` gives the app its error handlers and its `openapi()` (rebuilt when the label
set has grown):

    ServiceError                 its status: ErrorOut (a 422: ValidationErrorOut)
    RequestValidationError       422 ValidationErrorOut
    a body that does not parse   422 ValidationErrorOut, where FastAPI answers 400: bytes that
                                 are not UTF-8, a number past Python's 4,300 digits, JSON
                                 nested deeper than the parser's recursion limit
    a method the path lacks      405 with ``Allow`` naming every method of the path (Starlette
                                 names only those of the first route matching the path);
                                 OPTIONS: 204 with that ``Allow``
    any other HTTPException      as FastAPI answers it: ErrorOut (401, 403, 404)

The document lists every status an operation can answer: route-specific refusals come from
`errors(...)` in its decorator, 401 and 413 (the body cap applies to every request) from the
API router. It is patched when first asked for, and again once the label set grew: a 422 shows
`ValidationErrorOut` (never FastAPI's `HTTPValidationError`, a body the app does not send);
fields typed `schemas.Label` show the project's label set as an enum, a setting's strategy and
model the known ones; and a `schemas.Name` shows the characters it refuses as a `pattern`.
"""

from __future__ import annotations

from collections.abc import Callable

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException
from starlette.routing import Match

from .errors import ServiceError
from .schemas import (
    ENUM_MARK,
    RANGE_MARK,
    TEXT_MARK,
    TEXT_PATTERN,
    ErrorOut,
    ValidationErrorOut,
)

DESCRIPTIONS = {
    401: "No token, a malformed Authorization header, or an invalid or revoked token.",
    403: "Forbidden: this needs an admin token.",
    404: "Unknown item.",
    409: "Conflicts with the current state.",
    413: "The request body is over the size limit.",
    422: "The request is malformed: a missing, extra or mistyped field, a value out of range, "
         "or a body that is not JSON.",
}
METHOD_ORDER = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
_THEIR_422 = "#/components/schemas/HTTPValidationError"


def errors(*statuses: int | tuple[int, str]) -> dict:
    """The `responses=` of a route decorator for the refusals it can answer: each status alone
    (with its usual description) or as ``(status, description)``."""
    out = {}
    for entry in statuses:
        status, text = entry if isinstance(entry, tuple) else (entry, DESCRIPTIONS[entry])
        out[status] = {"model": ValidationErrorOut if status == 422 else ErrorOut,
                       "description": text}
    return out


def install(app: FastAPI, labels: list[str] | Callable[[], list[str]],
            task: str = "classification", value_range: list[float] | None = None) -> None:
    """Register the error handlers and the patched OpenAPI document on `app`. `labels` may be
    a function: the label set can grow (`labelset`), and the document follows it. `task` says
    which strategies and models the settings take; `value_range`, a regression project's bounds
    on its numbers."""
    app.add_exception_handler(ServiceError, _service_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(HTTPException, _http_error)
    generate = app.openapi
    label_set = labels if callable(labels) else (lambda: labels)
    made_for: list = [None]  # the label set of the document built last

    def openapi() -> dict:
        current = list(label_set())
        if app.openapi_schema is None or made_for[0] != current:
            app.openapi_schema = None
            try:
                doc = generate()
                _own_422(doc)
                _fill_marks(doc, {"labels": current,
                                  "strategies": lambda: _known("strategies", task),
                                  "models": lambda: _known("models", task),
                                  RANGE_MARK: value_range})
            except BaseException:
                app.openapi_schema = None
                raise
            app.openapi_schema, made_for[0] = doc, current
        return app.openapi_schema

    app.openapi = openapi


def invalid(errors: list[dict], detail: str | None = None) -> JSONResponse:
    """A 422 `ValidationErrorOut` for `errors` (dicts with `loc` and `msg`)."""
    errors = [{"loc": [_loc_part(p) for p in e.get("loc", ())], "msg": _text(e.get("msg"))}
              for e in errors]
    if detail is None:
        parts = []
        for e in errors[:5]:
            where = ".".join(str(p) for p in e["loc"] if p != "body") or "body"
            parts.append(f"{where}: {e['msg']}")
        detail = "invalid request — " + "; ".join(parts)
    return JSONResponse({"detail": _text(detail), "errors": errors}, status_code=422)


async def _service_error(_request: Request, exc: ServiceError) -> JSONResponse:
    if exc.status == 422:
        return invalid([{"loc": getattr(exc, "loc", ("body",)), "msg": str(exc)}], str(exc))
    return JSONResponse({"detail": _text(str(exc))}, status_code=exc.status)


async def _invalid_request(_request: Request, exc: RequestValidationError) -> JSONResponse:
    errors = []
    for e in exc.errors():
        msg = e.get("msg", "invalid")
        if e.get("type") == "json_invalid":  # loc ("body", position)
            msg = f"not valid JSON: {(e.get('ctx') or {}).get('error', msg)} at position " \
                  f"{e['loc'][-1]}"
            e = {**e, "loc": ("body",)}
        errors.append({"loc": e.get("loc", ()), "msg": msg})
    return invalid(errors)


async def _http_error(request: Request, exc: HTTPException) -> Response:
    cause = exc.__cause__
    if exc.status_code == 400 and isinstance(cause, (ValueError, RecursionError)):
        return invalid([{"loc": ["body"], "msg": _unparsable(cause)}])
    if exc.status_code == 405:
        allow = {"Allow": ", ".join(allowed_methods(request.app, request.scope))}
        if request.method == "OPTIONS":
            return Response(status_code=204, headers=allow)
        return JSONResponse({"detail": f"{request.method} is not allowed here; use "
                                       f"{allow['Allow']}."},
                            status_code=405, headers=allow)
    return await http_exception_handler(request, exc)


def allowed_methods(app: FastAPI, scope: dict) -> list[str]:
    """Every method some route of `app` answers at the request's path, and OPTIONS."""
    methods = [m for m in METHOD_ORDER if m != "OPTIONS"
               and any(route.matches({**scope, "method": m})[0] == Match.FULL
                       for route in app.router.routes)]
    return methods + ["OPTIONS"]


def _unparsable(cause: BaseException) -> str:
    """Why a body that FastAPI could not parse is refused, in words."""
    if isinstance(cause, RecursionError):
        return "not valid JSON: nested too deeply"
    if isinstance(cause, UnicodeDecodeError):
        return f"not valid UTF-8 (at byte {cause.start})"
    if "integer string conversion" in str(cause):
        return "not valid JSON: a number has more than 4300 digits"
    return f"not valid JSON: {cause}"


def _own_422(doc: dict) -> None:
    """Show every 422 as `ValidationErrorOut`, the body the app sends."""
    schemas = doc.setdefault("components", {}).setdefault("schemas", {})
    ours = "#/components/schemas/ValidationErrorOut"
    for path_item in doc.get("paths", {}).values():
        for op in path_item.values():
            response = op.get("responses", {}).get("422")
            if response is None:
                continue
            media = response.setdefault("content", {}).setdefault("application/json", {})
            if media.get("schema", {}).get("$ref") in (None, _THEIR_422):
                media["schema"] = {"$ref": ours}
                response["description"] = DESCRIPTIONS[422]
    if "ValidationErrorOut" not in schemas:
        schema = ValidationErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
        schemas.update(schema.pop("$defs", {}))
        schemas["ValidationErrorOut"] = schema
    schemas.pop("HTTPValidationError", None)
    schemas.pop("ValidationError", None)


def _fill_marks(node, sets: dict) -> None:
    """Replace each `ENUM_MARK` with an enum of its set (`sets`, or the known strategies and
    models; none for an empty set — a regression project has no labels), each `TEXT_MARK` with
    `TEXT_PATTERN` where no pattern or enum says more, each `RANGE_MARK` with the minimum and
    maximum of a regression project's range (if any)."""
    if isinstance(node, dict):
        name = node.pop(ENUM_MARK, None)
        if name is not None:
            if callable(sets[name]):
                sets[name] = sets[name]()
            if sets[name]:
                node["enum"] = sets[name]
        if node.pop(RANGE_MARK, None) and sets.get(RANGE_MARK) is not None:
            node["minimum"], node["maximum"] = sets[RANGE_MARK]
        if node.pop(TEXT_MARK, None) and "pattern" not in node and "enum" not in node:
            node["pattern"] = TEXT_PATTERN
        for value in node.values():
            _fill_marks(value, sets)
    elif isinstance(node, list):
        for value in node:
            _fill_marks(value, sets)


def _known(name: str, task: str) -> list[str]:
    """The strategies or models a setting of a `task` project takes (as `settings.validate`
    checks them)."""
    from .multilabel import model_names, strategy_names

    if name == "strategies":
        return strategy_names(task)
    if name == "models":
        return model_names(task)
    raise KeyError(f"no set of values named {name!r}")


def _loc_part(part):
    return part if isinstance(part, int) and not isinstance(part, bool) else _text(part)


def _text(value) -> str:
    """`value` as text that encodes as UTF-8 (a lone surrogate from the request becomes
    ``\\udXXX``: JSONResponse could not send it)."""
    return str(value).encode("utf-8", "backslashreplace").decode("utf-8")
