"""Domain errors that services raise; the exception handler turns them into clear JSON bodies.

Body shape for every error: {"type": <machine code>, "detail": <sentence>, "errors": {field: [..]}}
plus extra keys some errors carry (e.g. "conflicts" for a double booking, "unmet" for a gate).
"""

from __future__ import annotations

from typing import Any

from rest_framework import status
from rest_framework.exceptions import APIException


class DomainError(APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "unprocessable"
    default_detail = "The request breaks a rule of the clinic."

    def __init__(
        self,
        detail: str | None = None,
        *,
        code: str | None = None,
        errors: dict[str, list[str]] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or self.default_detail, code or self.default_code)
        self.type = code or self.default_code
        self.errors = errors or {}
        self.extra = extra


class RuleViolation(DomainError):
    """422: the request is well-formed but a clinical or program rule refuses it."""

    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_code = "rule_violation"


class Conflict(DomainError):
    """409: the request clashes with the current state (a booking, a signed record, a transition)."""

    status_code = status.HTTP_409_CONFLICT
    default_code = "conflict"
    default_detail = "The request conflicts with the current state."


class PreconditionFailed(DomainError):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_code = "stale_version"
    default_detail = "The record changed since you read it; reload and try again."


class PreconditionRequired(DomainError):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_code = "if_match_required"
    default_detail = "Send the If-Match header with the ETag you read."


class NotAuthenticated(DomainError):
    status_code = status.HTTP_401_UNAUTHORIZED
    default_code = "not_authenticated"
    default_detail = "Authentication failed."


class LockedOut(DomainError):
    status_code = status.HTTP_429_TOO_MANY_REQUESTS
    default_code = "locked_out"
    default_detail = "Too many failed logins; try again later."
