"""One error shape for the API: RFC 9457 problem details, built here and nowhere else.

Every error under /api/ answers `Content-Type: application/problem+json` with

    {"type": "urn:kat-clinic:problem:<slug>", "title": ..., "status": ..., "detail": ...,
     "instance": <request path>, "errors": {<dotted field path>: [messages]}, ...extras}

The extras are what a refusal carries beyond that (`conflicts` for a double booking, `violations`
for program rules, `unmet` for a gate, `constraint` / `sqlstate` for a database rule, ...); an extra
named like a standard member is emitted as `current_<name>` (an illegal transition's `current_status`).

`PROBLEMS` maps an exception class to its (status, type slug, title), looked up along the class's
MRO, so a new error is one row. An exception instance may carry:
`detail` (the sentence), `errors` (field messages), `extra` (the extras), and a per-instance slug
(`type` on our domain errors, the detail's `code` on DRF's) that refines the row's slug.
Database refusals map by SQLSTATE in `DATABASE_PROBLEMS`. Django's own error pages answer the same
shape for /api/ paths (handler400/403/404/500 and `api_not_found`), HTML elsewhere.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

from django.core import signals
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, IntegrityError, InternalError, OperationalError
from django.http import Http404, HttpResponse, HttpResponsePermanentRedirect
from django.urls import Resolver404, resolve
from django.views import defaults
from rest_framework import exceptions
from rest_framework.renderers import JSONRenderer
from rest_framework.views import set_rollback

from kat_clinic import errors
from kat_clinic.errors import (  # noqa: F401  (re-exported: the SQLSTATE names the handler maps)
    CHECK_VIOLATION,
    DEADLOCK_DETECTED,
    EXCLUSION_VIOLATION,
    FOREIGN_KEY_VIOLATION,
    NOT_NULL_VIOLATION,
    RAISE_EXCEPTION,
    SERIALIZATION_FAILURE,
    UNIQUE_VIOLATION,
    is_concurrent_write,
    pg_error,
)

logger = logging.getLogger(__name__)

PROBLEM_CONTENT_TYPE = "application/problem+json"
PROBLEM_TYPE_PREFIX = "urn:kat-clinic:problem:"
API_PREFIX = "/api/"


@dataclass(frozen=True)
class ProblemType:
    status: int
    slug: str
    title: str
    detail: str = ""  # the sentence when the exception carries none


INVALID = "The data is not valid"
STANDARD_MEMBERS = frozenset({"type", "title", "status", "detail", "instance", "errors"})

# exception class -> what it answers. Most specific first is not needed: lookup walks the MRO.
PROBLEMS: dict[type[BaseException], ProblemType] = {
    # Domain errors (raised by services).
    errors.RuleViolation: ProblemType(422, "rule_violation", "Refused by a rule of the clinic"),
    errors.Conflict: ProblemType(409, "conflict", "Conflicts with the current state"),
    errors.PreconditionFailed: ProblemType(412, "stale_version", "The record changed since you read it"),
    errors.PreconditionRequired: ProblemType(428, "if_match_required", "If-Match is required"),
    errors.NotAuthenticated: ProblemType(401, "not_authenticated", "Not authenticated"),
    errors.NotAllowed: ProblemType(403, "permission_denied", "Permission denied"),
    errors.LockedOut: ProblemType(
        429, "locked_out", "Too many failed logins", "Too many failed logins; try again later."
    ),
    errors.DomainError: ProblemType(422, "unprocessable", "Refused by a rule of the clinic"),
    # Django.
    DjangoValidationError: ProblemType(422, "invalid", INVALID, "The data is not valid."),
    DataError: ProblemType(400, "invalid", INVALID, "A value is outside what the database accepts."),
    Http404: ProblemType(404, "not_found", "Not found", "Not found."),
    DjangoPermissionDenied: ProblemType(403, "permission_denied", "Permission denied", "Permission denied."),
    RequestDataTooBig: ProblemType(
        413, "payload_too_large", "Request body too large", "The request body is too large."
    ),
    # Django REST framework.
    exceptions.ValidationError: ProblemType(400, "invalid", INVALID, "The data is not valid."),
    exceptions.ParseError: ProblemType(400, "parse_error", "Malformed request"),
    exceptions.AuthenticationFailed: ProblemType(401, "authentication_failed", "Authentication failed"),
    exceptions.NotAuthenticated: ProblemType(401, "not_authenticated", "Not authenticated"),
    exceptions.PermissionDenied: ProblemType(403, "permission_denied", "Permission denied"),
    exceptions.NotFound: ProblemType(404, "not_found", "Not found"),
    exceptions.MethodNotAllowed: ProblemType(405, "method_not_allowed", "Method not allowed"),
    exceptions.NotAcceptable: ProblemType(406, "not_acceptable", "Not acceptable"),
    exceptions.UnsupportedMediaType: ProblemType(415, "unsupported_media_type", "Unsupported media type"),
    exceptions.Throttled: ProblemType(429, "throttled", "Too many requests"),
    exceptions.APIException: ProblemType(500, "error", "Server error"),
}

# SQLSTATE -> what a database refusal answers (IntegrityError / InternalError raised by PostgreSQL).
DATABASE_PROBLEMS: dict[str, ProblemType] = {
    EXCLUSION_VIOLATION: ProblemType(409, "overlap", "Double booking", "The booking overlaps another active booking."),
    UNIQUE_VIOLATION: ProblemType(409, "duplicate", "Duplicate record", "A record like this already exists."),
    RAISE_EXCEPTION: ProblemType(409, "frozen", "Locked record", "The record is locked and cannot be changed."),
    CHECK_VIOLATION: ProblemType(422, "invalid", INVALID, "The data breaks a rule of the database."),
    NOT_NULL_VIOLATION: ProblemType(422, "invalid", INVALID, "The data breaks a rule of the database."),
    FOREIGN_KEY_VIOLATION: ProblemType(422, "invalid", INVALID, "The data breaks a rule of the database."),
}
CONCURRENT_WRITE_PROBLEM = ProblemType(
    409,
    "concurrent_write",
    "Changed by another request at the same moment",
    "Another change to the same records was being saved at the same moment; nothing was saved. Try again.",
)
DATABASE_PROBLEMS[DEADLOCK_DETECTED] = DATABASE_PROBLEMS[SERIALIZATION_FAILURE] = CONCURRENT_WRITE_PROBLEM

# Set on a request whose transaction the request wrapper would run again (kat_clinic/api/transactions.py):
# the handler lets a concurrent-write refusal through to it instead of answering.
RETRY_ON_CONCURRENT_WRITE = "kat_retry_on_concurrent_write"

SERVER_ERROR = ProblemType(500, "server_error", "Server error", "Something went wrong on our side; nothing was saved.")


def problem_type_uri(slug: str) -> str:
    return PROBLEM_TYPE_PREFIX + slug


def problem_body(
    problem: ProblemType,
    *,
    instance: str,
    slug: str | None = None,
    status: int | None = None,
    detail: str | None = None,
    errors: dict | None = None,
    **extra: Any,
) -> dict:
    return {
        "type": problem_type_uri(slug or problem.slug),
        "title": problem.title,
        "status": status or problem.status,
        "detail": detail or problem.detail or problem.title + ".",
        "instance": instance,
        "errors": errors or {},
        **extra,
    }


class ProblemResponse(HttpResponse):
    """A problem details body, always JSON whatever the client's Accept (never the browsable API)."""

    def __init__(self, body: dict, *, headers: dict | None = None) -> None:
        super().__init__(
            JSONRenderer().render(body), status=body["status"], content_type=PROBLEM_CONTENT_TYPE, headers=headers
        )
        self.problem = body


def problem_response(request, problem: ProblemType, **fields: Any) -> ProblemResponse:
    headers = fields.pop("headers", None)
    return ProblemResponse(problem_body(problem, instance=request.path, **fields), headers=headers)


def problem_for(exc: BaseException) -> ProblemType | None:
    for cls in type(exc).__mro__:
        if cls in PROBLEMS:
            return PROBLEMS[cls]
    return None


# --- the DRF exception handler ----------------------------------------------------------------


def _database_fields(exc: BaseException) -> tuple[ProblemType, dict] | None:
    pgcode, constraint, message = pg_error(exc)
    if isinstance(exc, DataError):
        # SQLSTATE class 22: a value the database cannot represent (an offset beyond ±15:59, a
        # number out of range) that passed the field's own parsing. The client's input, not our fault.
        return PROBLEMS[DataError], {"reason": message, "sqlstate": pgcode}
    problem = DATABASE_PROBLEMS.get(pgcode or "")
    if problem is None:
        return None
    if pgcode == EXCLUSION_VIOLATION:
        extra = {"conflicts": [{"constraint": constraint}]}
    elif pgcode == RAISE_EXCEPTION:
        extra = {"reason": message}
    elif problem is CONCURRENT_WRITE_PROBLEM:
        extra = {"headers": {"Retry-After": "1"}}
    else:
        extra = {"constraint": constraint}
    return problem, {**extra, "sqlstate": pgcode}


def _errors_from_django(exc: DjangoValidationError) -> dict[str, list[str]]:
    if hasattr(exc, "error_dict"):
        return {field: [str(m) for e in errs for m in e.messages] for field, errs in exc.error_dict.items()}
    return {"non_field_errors": [str(m) for m in exc.messages]}


def _instance_slug(exc: BaseException) -> str | None:
    slug = getattr(exc, "type", None)  # our domain errors
    if isinstance(slug, str):
        return slug
    code = getattr(getattr(exc, "detail", None), "code", None)  # DRF: the detail's code
    return code if isinstance(code, str) else None


def _fields_of(exc: BaseException, problem: ProblemType) -> dict:
    """What the exception itself says: slug, status, detail, field errors, extras, headers."""
    if isinstance(exc, exceptions.ValidationError):
        data = exc.detail
        field_errors = data if isinstance(data, dict) else {"non_field_errors": data}
        return {"errors": field_errors}
    if isinstance(exc, DjangoValidationError):
        return {"errors": _errors_from_django(exc)}
    fields: dict[str, Any] = {"slug": _instance_slug(exc)}
    status = getattr(exc, "status_code", None)  # DRF turns a 401 without a challenge into a 403
    if isinstance(status, int):
        fields["status"] = status
    detail = getattr(exc, "detail", None)
    if detail is not None and not isinstance(detail, (dict, list)):
        fields["detail"] = str(detail)
    elif not type(exc).__module__.startswith("django.") and exc.args and isinstance(exc.args[0], str):
        # Our own exceptions say what happened; Django's messages are internal (settings names).
        fields["detail"] = exc.args[0]
    if isinstance(getattr(exc, "errors", None), dict):
        fields["errors"] = exc.errors
    for key, value in (getattr(exc, "extra", None) or {}).items():
        # An extra named like a standard member (a transition's `status`) says what the record's is.
        fields[f"current_{key}" if key in STANDARD_MEMBERS else key] = value
    headers = {}
    if getattr(exc, "auth_header", None):
        headers["WWW-Authenticate"] = exc.auth_header
    if getattr(exc, "wait", None) is not None:
        headers["Retry-After"] = str(max(1, math.ceil(exc.wait)))  # whole seconds, never 0
    if headers:
        fields["headers"] = headers
    return fields


def exception_handler(exc: Exception, context: dict) -> HttpResponse | None:
    request = context["request"]
    if is_concurrent_write(exc) and getattr(request, RETRY_ON_CONCURRENT_WRITE, False):
        return None  # DRF raises it again; the request's transaction is rolled back and run anew
    response = _error_response(exc, request)
    if _runs_in_request_transaction(context.get("view")):
        # The request's transaction (ATOMIC_REQUESTS) must not commit anything of a refused request.
        set_rollback()
    return response


def _runs_in_request_transaction(view) -> bool:
    # Views marked @transaction.non_atomic_requests (login: failed attempts must persist) are not
    # wrapped, and the open atomic block, if any, is not theirs to roll back.
    non_atomic = getattr(getattr(view, "dispatch", None), "_non_atomic_requests", set())
    return "default" not in non_atomic


def _error_response(exc: Exception, request) -> HttpResponse:
    if isinstance(exc, (IntegrityError, InternalError, DataError)) or (
        isinstance(exc, OperationalError) and is_concurrent_write(exc)
    ):
        mapped = _database_fields(exc)
        if mapped is not None:
            problem, extra = mapped
            return problem_response(request, problem, **extra)
        return _server_error(request, "Unmapped database error")
    problem = problem_for(exc)
    if problem is None:
        return _server_error(request, "Unhandled exception in an API view")
    return problem_response(request, problem, **_fields_of(exc, problem))


def _server_error(request, message: str) -> HttpResponse:
    # Called inside the view's `except` block: log the traceback and tell Django's listeners (the
    # test client re-raises from this signal) as Django does for an uncaught exception.
    logger.exception(message)
    signals.got_request_exception.send(sender=None, request=request)
    return problem_response(request, SERVER_ERROR)


def axes_lockout_response(request, original_response=None, credentials=None):
    """django-axes' lockout answer, in the API's error shape, saying when to try again."""
    from django.conf import settings

    cooloff = int(settings.AXES_COOLOFF_TIME.total_seconds()) if settings.AXES_COOLOFF_TIME else None
    headers = {"Retry-After": str(cooloff)} if cooloff else None
    return problem_response(request, PROBLEMS[errors.LockedOut], headers=headers)


# --- Django's own error pages: problem details under /api/, HTML elsewhere ------------------


def is_api_path(request) -> bool:
    return request.path.startswith(API_PREFIX)


def bad_request(request, exception, template_name="400.html"):
    if not is_api_path(request):
        return defaults.bad_request(request, exception, template_name)
    if isinstance(exception, RequestDataTooBig):
        return problem_response(request, PROBLEMS[RequestDataTooBig])
    return problem_response(request, ProblemType(400, "bad_request", "Bad request", "The request is malformed."))


def permission_denied(request, exception, template_name="403.html"):
    if not is_api_path(request):
        return defaults.permission_denied(request, exception, template_name)
    return problem_response(request, PROBLEMS[DjangoPermissionDenied])


def page_not_found(request, exception, template_name="404.html"):
    if not is_api_path(request):
        return defaults.page_not_found(request, exception, template_name)
    return problem_response(request, PROBLEMS[Http404])


def server_error(request, template_name="500.html"):
    if not is_api_path(request):
        return defaults.server_error(request, template_name)
    return problem_response(request, SERVER_ERROR)


def api_not_found(request, *args, **kwargs):
    """Any /api/ path that matches no route (a non-integer id in an integer segment, a typo)."""
    if not request.path.endswith("/") and request.method in ("GET", "HEAD") and _resolves_elsewhere(request.path + "/"):
        # What CommonMiddleware's APPEND_SLASH did before this catch-all matched everything.
        query = request.META.get("QUERY_STRING", "")
        return HttpResponsePermanentRedirect(request.path + "/" + (f"?{query}" if query else ""))
    return problem_response(request, PROBLEMS[Http404])


def _resolves_elsewhere(path: str) -> bool:
    try:
        return resolve(path).url_name != "api-not-found"
    except Resolver404:
        return False
