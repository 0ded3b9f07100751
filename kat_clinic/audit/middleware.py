"""Request ids and the audit writer.

The audit row is written here, after the view has returned and outside any transaction the view
opened, so rows for denied or failed requests survive the request's rollback. Every /api/ path
counts as PHI unless it stands on the allow-list below.
"""

from __future__ import annotations

import logging
import re
import uuid

from django.conf import settings

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
_REQUEST_ID_RE = re.compile(r"^[0-9a-fA-F-]{32,36}$")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.request_id = incoming if _REQUEST_ID_RE.match(incoming) else str(uuid.uuid4())
        response = self.get_response(request)
        response["X-Request-ID"] = request.request_id
        return response


def is_phi_path(path: str) -> bool:
    return path.startswith("/api/") and not any(p.match(path) for p in NOT_PHI_PATHS)


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
        if not is_phi_path(request.path):
            return self.get_response(request)
        request.audit = AuditContext(request_id=request.request_id)
        response = self.get_response(request)
        self.write(request, response.status_code)
        return response

    def write(self, request, status_code: int) -> None:
        from kat_clinic.access.scoping import roles_by_clinic
        from kat_clinic.audit.models import AuditEvent

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
        AuditEvent.objects.create(
            user_id=user.pk if authenticated else None,
            username=user.get_username() if authenticated else "",
            roles=sorted(roles),
            clinic_id=clinic_id,
            action=audit.action or request.method.lower(),
            operation=audit.operation,
            method=request.method,
            path=request.path[:300],
            resource_type=audit.resource_type or _resource_from_path(request.path),
            resource_ids=audit.resource_ids,
            patient_ids=audit.patient_ids,
            outcome=outcome_for(status_code),
            status_code=status_code,
            request_id=audit.request_id,
            ip=_client_ip(request),
            break_glass=audit.break_glass,
        )


def _resource_from_path(path: str) -> str:
    # /api/v1/patients/7/ -> "patients" (the API version is not a resource)
    parts = [p for p in path.split("/") if p and not p.isdigit() and not _API_VERSION_RE.match(p)]
    return parts[1] if len(parts) > 1 else ""


def _client_ip(request) -> str | None:
    # Behind a proxy the deployment sets TRUSTED_PROXY_COUNT; we never trust the header otherwise.
    trusted = getattr(settings, "TRUSTED_PROXY_COUNT", 0)
    if trusted:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= trusted:
            return forwarded[-trusted]
    return request.META.get("REMOTE_ADDR") or None
