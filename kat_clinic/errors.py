"""Domain errors: plain Python exceptions that services raise, and what a database refusal says.

Nothing here knows HTTP. The API's exception handler (`kat_clinic.api.exceptions.PROBLEMS`) maps
each class to its status and problem type, once; the admin and the tasks catch them as exceptions.

An error carries `detail` (the sentence for a person), `type` (a machine code refining its class:
"overlap", "illegal_transition", ...), `errors` (messages per field) and `extra` (what the refusal
adds: `conflicts`, `violations`, `unmet`, ...).
"""

from __future__ import annotations

from typing import Any

# SQLSTATE codes PostgreSQL raises when a rule it holds refuses a write.
UNIQUE_VIOLATION = "23505"
EXCLUSION_VIOLATION = "23P01"
CHECK_VIOLATION = "23514"
FOREIGN_KEY_VIOLATION = "23503"
NOT_NULL_VIOLATION = "23502"
RAISE_EXCEPTION = "P0001"  # raised by our triggers (signed, published, append-only)
# Two transactions writing the same rows at the same moment: PostgreSQL rolls one back. Nothing of
# it was saved, and the same request run again sees the other's rows (a clash, or room after all).
DEADLOCK_DETECTED = "40P01"
SERIALIZATION_FAILURE = "40001"
CONCURRENT_WRITE = frozenset({DEADLOCK_DETECTED, SERIALIZATION_FAILURE})


class DomainError(Exception):
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
        self.detail = detail or self.default_detail
        self.type = code or self.default_code
        self.errors = errors or {}
        self.extra = extra
        super().__init__(self.detail)


class RuleViolation(DomainError):
    """The request is well-formed but a clinical or program rule refuses it."""

    default_code = "rule_violation"


class Conflict(DomainError):
    """The request clashes with the current state (a booking, a signed record, a transition)."""

    default_code = "conflict"
    default_detail = "The request conflicts with the current state."


class PreconditionFailed(DomainError):
    """The record changed since the caller read it (a stale version or ETag)."""

    default_code = "stale_version"
    default_detail = "The record changed since you read it; reload and try again."


class PreconditionRequired(DomainError):
    default_code = "if_match_required"
    default_detail = "Send the If-Match header with the ETag you read."


class NotAllowed(DomainError):
    """The caller may not do this (not their alert, a link that is not valid for them)."""

    default_code = "permission_denied"
    default_detail = "You do not have permission to perform this action."


class NotAuthenticated(DomainError):
    default_code = "not_authenticated"
    default_detail = "Authentication failed."


class LockedOut(DomainError):
    default_code = "locked_out"
    default_detail = "Too many failed logins; try again later."


def is_concurrent_write(exc: BaseException) -> bool:
    """A transaction PostgreSQL rolled back for another's sake: safe to run again from its start."""
    return pg_error(exc)[0] in CONCURRENT_WRITE


def pg_error(exc: BaseException) -> tuple[str | None, str | None, str]:
    """(sqlstate, constraint name, primary message) of a database error, if it came from PostgreSQL."""
    cause = exc.__cause__ or exc
    pgcode = getattr(cause, "pgcode", None)
    diag = getattr(cause, "diag", None)
    constraint = getattr(diag, "constraint_name", None) if diag else None
    message = (getattr(diag, "message_primary", None) if diag else None) or str(cause)
    return pgcode, constraint, message
