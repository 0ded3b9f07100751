"""DRF permission enforcing the matrix. Object access is decided by the scoped queryset (404)."""

from __future__ import annotations

from rest_framework.permissions import BasePermission

from kat_clinic.access.scoping import clinics_for


def view_operation(view, request) -> str | None:
    """The matrix operation of this request: by viewset action, else by HTTP method."""
    operations = getattr(view, "operations", None) or {}
    action = getattr(view, "action", None)
    if action and action in operations:
        return operations[action]
    return operations.get(request.method.lower())


def _handles(view, method: str) -> bool:
    name = method.lower()
    return name in view.http_method_names and hasattr(view, name)


class MatrixPermission(BasePermission):
    """Allow when the user holds, at some clinic, a role that the matrix grants for the operation.

    Fails closed: a view that declares no operation for the action is refused to everyone.
    """

    message = "Your role does not allow this operation."

    def has_permission(self, request, view) -> bool:
        if getattr(view, "public", False) or not _handles(view, request.method):
            # A method the view does not handle is DRF's 405 to answer, for everyone alike.
            return True
        if not (request.user and request.user.is_authenticated):
            # DRF checks rate limits only after permissions: count the refused anonymous request
            # here, so hammering private endpoints without a token is limited too (429, not 401).
            view.check_throttles(request)
            return False
        operation = view_operation(view, request)
        if operation is None:
            return False
        return bool(clinics_for(request.user, operation))
