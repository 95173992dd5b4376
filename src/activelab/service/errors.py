"""Errors the service answers with, each mapped to one HTTP status.

ActiveLabError
└── ServiceError                      400
    ├── NotFoundError (LookupError)   404  unknown item
    ├── ForbiddenError                403  e.g. relabeling someone else's item
    ├── ConflictError                 409  no or expired lease, reused request id, nothing to undo
    └── LabelError (ValueError)       422  a label outside the project's label set

Authentication failures (401) and admin-only endpoints (403) are answered by the app itself.
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
    status = 422
