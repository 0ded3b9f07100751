"""One exception handler for the API: every error is JSON, database refusals are 409/422, never 500."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, InternalError
from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler
from rest_framework.views import set_rollback

from kat_clinic.api.errors import DomainError

logger = logging.getLogger(__name__)

# SQLSTATE codes PostgreSQL raises when a rule it holds refuses a write.
UNIQUE_VIOLATION = "23505"
EXCLUSION_VIOLATION = "23P01"
CHECK_VIOLATION = "23514"
FOREIGN_KEY_VIOLATION = "23503"
NOT_NULL_VIOLATION = "23502"
RAISE_EXCEPTION = "P0001"  # raised by our triggers (signed, published, append-only)


def pg_error(exc: BaseException) -> tuple[str | None, str | None, str]:
    """(sqlstate, constraint name, primary message) of a database error, if it came from PostgreSQL."""
    cause = exc.__cause__ or exc
    pgcode = getattr(cause, "pgcode", None)
    diag = getattr(cause, "diag", None)
    constraint = getattr(diag, "constraint_name", None) if diag else None
    message = (getattr(diag, "message_primary", None) if diag else None) or str(cause)
    return pgcode, constraint, message


def database_error_response(exc: BaseException) -> Response | None:
    pgcode, constraint, message = pg_error(exc)
    if pgcode == EXCLUSION_VIOLATION:
        body = {
            "type": "overlap",
            "detail": "The booking overlaps another active booking.",
            "errors": {},
            "conflicts": [{"constraint": constraint}],
        }
        return Response(body, status=status.HTTP_409_CONFLICT)
    if pgcode == UNIQUE_VIOLATION:
        return Response(
            {
                "type": "duplicate",
                "detail": "A record like this already exists.",
                "errors": {},
                "constraint": constraint,
            },
            status=status.HTTP_409_CONFLICT,
        )
    if pgcode == RAISE_EXCEPTION:
        return Response(
            {
                "type": "frozen",
                "detail": "The record is locked and cannot be changed.",
                "errors": {},
                "reason": message,
            },
            status=status.HTTP_409_CONFLICT,
        )
    if pgcode in (CHECK_VIOLATION, NOT_NULL_VIOLATION, FOREIGN_KEY_VIOLATION):
        return Response(
            {
                "type": "invalid",
                "detail": "The data breaks a rule of the database.",
                "errors": {},
                "constraint": constraint,
            },
            status=status.HTTP_422_UNPROCESSABLE_ENTITY,
        )
    return None


def _errors_from_django(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for e in errs for m in e.messages] for field, errs in exc.error_dict.items()}
    return {"non_field_errors": [str(m) for m in exc.messages]}


def exception_handler(exc: Exception, context: dict) -> Response | None:
    response = _error_response(exc, context)
    if response is not None and _runs_in_request_transaction(context.get("view")):
        # The request's transaction (ATOMIC_REQUESTS) must not commit anything of a refused request.
        set_rollback()
    return response


def _runs_in_request_transaction(view) -> bool:
    # Views marked @transaction.non_atomic_requests (login: failed attempts must persist) are not
    # wrapped, and the open atomic block, if any, is not theirs to roll back.
    non_atomic = getattr(getattr(view, "dispatch", None), "_non_atomic_requests", set())
    return "default" not in non_atomic


def _error_response(exc: Exception, context: dict) -> Response | None:
    if isinstance(exc, DomainError):
        body = {"type": exc.type, "detail": str(exc.detail), "errors": exc.errors, **exc.extra}
        return Response(body, status=exc.status_code)
    if isinstance(exc, DjangoValidationError):
        errors = _errors_from_django(exc)
        return Response(
            {"type": "invalid", "detail": "The data is not valid.", "errors": errors},
            status=status.HTTP_422_UNPROCESSABLE_ENTITY,
        )
    if isinstance(exc, DataError):
        # SQLSTATE class 22: a value the database cannot represent (an offset beyond ±15:59, a
        # number out of range) that passed the field's own parsing. The client's input, not our fault.
        _, _, message = pg_error(exc)
        return Response(
            {
                "type": "invalid",
                "detail": "A value is outside what the database accepts.",
                "errors": {},
                "reason": message,
            },
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, (IntegrityError, InternalError)):
        response = database_error_response(exc)
        if response is not None:
            return response
        logger.exception("Unmapped database error")
        return None
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        data = response.data
        errors = data if isinstance(data, dict) else {"non_field_errors": data}
        response.data = {"type": "invalid", "detail": "The data is not valid.", "errors": errors}
    else:
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else response.data
        code = getattr(getattr(exc, "detail", None), "code", None) or getattr(exc, "default_code", "error")
        response.data = {"type": code, "detail": str(detail), "errors": {}}
    return response


def axes_lockout_response(request, original_response=None, credentials=None):
    """django-axes' lockout answer, in the API's error shape."""
    from django.http import JsonResponse

    body = {"type": "locked_out", "detail": "Too many failed logins; try again later.", "errors": {}}
    return JsonResponse(body, status=status.HTTP_429_TOO_MANY_REQUESTS)
