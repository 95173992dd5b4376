"""Errors the service answers with, each mapped to one HTTP status.

ActiveLabError
└── ServiceError                      400  (none is raised as such)
    ├── NotFoundError (LookupError)   404  unknown item
    ├── ForbiddenError                403  e.g. relabeling someone else's item
    ├── ConflictError                 409  no or expired lease, reused request id, nothing to undo
    └── LabelError (ValueError)       422  a label outside the project's label set, an unknown
                                           strategy or model

Authentication failures (401) and admin-only endpoints (403) are answered by `deps`; malformed
requests (422), wrong methods (405) and bodies over the cap (413) by `contract` and
`middleware`. Each route's decorator lists the statuses it can answer (`contract.errors`).
`ProjectError` (project.py) covers project folders and databases, for the command line.
"""

from __future__ import annotations

from .._errors import ActiveLabError, InvalidInputError


class ServiceError(ActiveLabError):
    """A request the service refuses; `status` is the HTTP status it maps to."""

    status = 400


class NotFoundError(ServiceError, LookupError):
    status = 404

    def __str__(self) -> str:  # LookupError would otherwise repr() the message
        return str(self.args[0])


class ForbiddenError(ServiceError):
    status = 403


class ConflictError(ServiceError):
    """The request clashes with the current state (no or expired lease, reused request id)."""

    status = 409


class LabelError(ServiceError, InvalidInputError):
    """A well-formed request with a value the project refuses; `loc` names the field, as in a
    422 body's ``errors`` (e.g. ``("body", "label")``)."""

    status = 422

    def __init__(self, message: str, loc: tuple = ("body",)) -> None:
        super().__init__(message)
        self.loc = tuple(loc)
