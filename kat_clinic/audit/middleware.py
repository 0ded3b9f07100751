"""Request ids and the audit writer.

The audit row is written here, after the view has returned and outside any transaction the view
opened, so rows for denied or failed requests survive the request's rollback. Every /api/ path
counts as PHI unless it stands on the allow-list below.
"""

from __future__ import annotations

import functools
import logging
import re
import uuid

from django.conf import settings
from django.db import connection
from django.utils import timezone

from kat_clinic.audit.context import AuditContext

logger = logging.getLogger(__name__)

# Reviewed allow-list: paths that carry no protected health information.
NOT_PHI_PATHS = (
    re.compile(r"^/api/v1/schema/"),
    re.compile(r"^/api/v1/docs/"),
    re.compile(r"^/api/v1/auth/login/$"),
    re.compile(r"^/api/v1/auth/logout/$"),
)

_API_VERSION_RE = re.compile(r"^v[0-9]+$")
ADMIN_PREFIX = "/admin/"

# Paths audited although they carry no PHI: every login attempt, failed or not, is a security event.
AUDITED_NON_PHI_PATHS = (re.compile(r"^/api/v1/auth/login/$"),)

# A client's correlation id is kept only in the canonical UUID form (lower-case, hyphenated), and
# never the nil UUID; it is stored apart from the server's own request id.
_CLIENT_REQUEST_ID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_NIL_UUID = "00000000-0000-0000-0000-000000000000"


def well_formed_client_request_id(value: str) -> str:
    """The client's X-Request-ID if it is a canonical, non-nil UUID (case-insensitive), else ''."""
    value = value.strip().lower()
    return value if _CLIENT_REQUEST_ID_RE.match(value) and value != _NIL_UUID else ""


class RequestIdMiddleware:
    """Every request gets its own server-generated id; a well-formed client id is kept apart.

    The response carries the server's id as X-Request-ID (and the client's as X-Client-Request-ID
    when one was accepted), so support can find the audit row either way.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.request_id = str(uuid.uuid4())
        # From the WSGI environ itself: `request.headers` would first copy every header of the request.
        request.client_request_id = well_formed_client_request_id(request.META.get("HTTP_X_REQUEST_ID", ""))
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        if request.client_request_id:
            response["X-Client-Request-ID"] = request.client_request_id
        return response


def is_phi_path(path: str) -> bool:
    return path.startswith("/api/") and not any(p.match(path) for p in NOT_PHI_PATHS)


def is_audited_path(path: str) -> bool:
    return is_phi_path(path) or any(p.match(path) for p in AUDITED_NON_PHI_PATHS)


def outcome_for(status_code: int) -> str:
    from kat_clinic.audit.models import AuditEvent

    if status_code < 400:
        return AuditEvent.Outcome.SUCCESS
    if status_code in (401, 403):
        return AuditEvent.Outcome.DENIED
    if status_code == 404:
        return AuditEvent.Outcome.NOT_FOUND
    if status_code < 500:
        return AuditEvent.Outcome.REJECTED
    return AuditEvent.Outcome.ERROR


class AuditMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(ADMIN_PREFIX):
            # An admin page is audited when it shows PHI: a PHI admin (kat_clinic/admin_phi.py)
            # names what it showed; other admin pages write nothing.
            request.audit = AuditContext(request_id=request.request_id)
            response = self.get_response(request)
            if request.audit.resource_type:
                self.write(request, response.status_code)
            return response
        if not is_audited_path(request.path):
            return self.get_response(request)
        request.audit = AuditContext(request_id=request.request_id)
        response = self.get_response(request)
        self.write(request, response.status_code)
        return response

    def write(self, request, status_code: int) -> None:
        from kat_clinic.access.scoping import roles_by_clinic

        audit: AuditContext = request.audit
        user = getattr(request, "user", None)
        authenticated = bool(user and user.is_authenticated)
        clinic_id = audit.clinic_ids[0] if len(audit.clinic_ids) == 1 else None
        roles: set[str] = set()
        if authenticated:
            by_clinic = roles_by_clinic(user)
            if clinic_id is not None:
                roles = set(by_clinic.get(clinic_id, ()))
            else:
                for clinic_roles in by_clinic.values():
                    roles |= clinic_roles
        insert_audit_event(
            occurred_at=timezone.now(),
            user_id=user.pk if authenticated else audit.user_id,
            username=user.get_username() if authenticated else audit.username[:150],
            roles=sorted(roles),
            clinic_id=clinic_id,
            action=audit.action or request.method.lower(),
            operation=audit.operation,
            method=request.method,
            path=request.path[:300],
            resource_type=audit.resource_type or _resource_from_path(request.path),
            resource_ids=list(audit.resource_ids),
            patient_ids=list(audit.patient_ids),
            outcome=outcome_for(status_code),
            status_code=status_code,
            request_id=str(audit.request_id),
            client_request_id=getattr(request, "client_request_id", ""),
            ip=client_ip(request),
            break_glass=audit.break_glass,
        )


# Typed placeholders: an empty list is an empty array of the column's type, an address an inet.
_CASTS = {
    "roles": "::varchar(16)[]",
    "resource_ids": "::bigint[]",
    "patient_ids": "::bigint[]",
    "request_id": "::uuid",
    "ip": "::inet",
}


@functools.cache
def audit_insert_statement() -> tuple[str, tuple[str, ...]]:
    """The INSERT of one audit row and its columns in placeholder order: every column of the
    AuditEvent model but its id, read from the model so the two cannot drift apart."""
    from kat_clinic.audit.models import AuditEvent

    columns = tuple(f.column for f in AuditEvent._meta.concrete_fields if not f.primary_key)
    sql = "INSERT INTO {} ({}) VALUES ({})".format(
        AuditEvent._meta.db_table,
        ", ".join(f'"{c}"' for c in columns),
        ", ".join("%s" + _CASTS.get(c, "") for c in columns),
    )
    return sql, columns


# The id arrays, sent as PostgreSQL's array text ("{1,2,3}", cast by the placeholder): a board's
# row names dozens of sessions and patients, which the driver adapted one element at a time.
_ID_ARRAYS = frozenset({"resource_ids", "patient_ids"})


def _id_array_text(ids) -> str:
    return "{" + ",".join(map(str, map(int, ids))) + "}"


def insert_audit_event(**values) -> None:
    """One audit row in one INSERT, without the ORM's model instance and signals (the row is the
    same: kat_clinic.audit.models.AuditEvent; the sealer chains it later, kat_clinic.audit.chain)."""
    sql, columns = audit_insert_statement()
    with connection.cursor() as cursor:
        cursor.execute(sql, [_id_array_text(values[c]) if c in _ID_ARRAYS else values[c] for c in columns])


def _resource_from_path(path: str) -> str:
    # /api/v1/patients/7/ -> "patients" (the API version is not a resource)
    parts = [p for p in path.split("/") if p and not p.isdigit() and not _API_VERSION_RE.match(p)]
    return parts[1] if len(parts) > 1 else ""


def client_ip(request) -> str | None:
    """The client's address: REMOTE_ADDR, or behind TRUSTED_PROXY_COUNT proxies, from X-Forwarded-For.

    Each trusted proxy appends the address it received the request from, so the client is the
    entry TRUSTED_PROXY_COUNT from the right; anything further left was written by the client and
    is never trusted. Used by the audit trail and by django-axes (AXES_CLIENT_IP_CALLABLE).
    """
    trusted = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if trusted:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= trusted:
            return forwarded[-trusted]
    return request.META.get("REMOTE_ADDR") or None
