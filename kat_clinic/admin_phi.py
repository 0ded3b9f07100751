"""The Django admin under the API's rules for protected health information.

`PhiAdminMixin` goes first in the bases of every ModelAdmin whose pages show PHI:
- every page of it (list, change/view, history, delete) writes an audit row like the API does:
  who, their roles, the clinic, the rows and patients shown, the outcome. The audit middleware
  writes it after the response, for /admin/ requests that a PHI admin marked;
- with `phi_operation` set (clinical content: notes, doses, alerts, REMS forms, check-ins,
  integration plans), the rows are those of the clinics where the user holds a role the permission
  matrix allows for that operation, superuser or not: a clinic admin without a clinical role there
  sees no clinical content, and the section is hidden.
Rows without an operation (demographics, schedules, follow-ups) stay under Django's permissions, audited.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import F

from kat_clinic.access.scoping import clinics_for
from kat_clinic.access.viewsets import attribute_path

ROW_CLINIC = "phi_clinic_id"


class PhiAdminMixin:
    phi_resource: str = ""  # the audit row's resource type; the model's name when blank
    phi_clinic_lookup: str = "clinic"  # ORM path from the row to its clinic
    phi_patient_attr: str | None = "patient_id"  # dotted attribute path to the patient id
    phi_operation: str | None = None  # matrix operation whose roles may see the rows (clinical content)

    # --- who sees which rows ---------------------------------------------------------------------

    def phi_clinic_ids(self, request) -> frozenset[int] | None:
        """The clinics whose rows the user may see here; None when Django's permissions alone decide."""
        if self.phi_operation is None:
            return None
        return clinics_for(request.user, self.phi_operation)

    def get_queryset(self, request):
        queryset = super().get_queryset(request).annotate(**{ROW_CLINIC: F(self.phi_clinic_lookup)})
        allowed = self.phi_clinic_ids(request)
        if allowed is not None:
            queryset = queryset.filter(**{f"{self.phi_clinic_lookup}__in": allowed})
        return queryset

    def _may_see_any(self, request) -> bool:
        allowed = self.phi_clinic_ids(request)
        return allowed is None or bool(allowed)

    def has_module_permission(self, request):
        return self._may_see_any(request) and super().has_module_permission(request)

    def has_view_permission(self, request, obj=None):
        return self._may_see_any(request) and super().has_view_permission(request, obj)

    # --- the audit -------------------------------------------------------------------------------

    def _audit(self, request, action: str):
        audit = getattr(request, "audit", None)
        if audit is not None:
            audit.resource_type = self.phi_resource or self.model._meta.model_name
            audit.action = action
            audit.operation = self.phi_operation or ""
        return audit

    def phi_audit_objects(self, request, objects: Iterable[object]) -> None:
        audit = getattr(request, "audit", None)
        if audit is None:
            return
        patient_of = attribute_path(self.phi_patient_attr)
        for obj in objects:
            audit.add_object(
                resource_id=obj.pk,
                patient_id=patient_of(obj) if patient_of else None,
                clinic_id=getattr(obj, ROW_CLINIC, None),
            )

    def changelist_view(self, request, extra_context=None):
        self._audit(request, "admin_list")
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if changelist is not None:
            self.phi_audit_objects(request, changelist.result_list)
        return response

    def get_object(self, request, object_id, from_field=None):
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            self.phi_audit_objects(request, [obj])
        return obj

    def change_view(self, request, object_id, form_url="", extra_context=None):
        self._audit(request, "admin_view" if request.method == "GET" else "admin_change")
        return super().change_view(request, object_id, form_url, extra_context)

    def history_view(self, request, object_id, extra_context=None):
        self._audit(request, "admin_history")
        return super().history_view(request, object_id, extra_context)

    def delete_view(self, request, object_id, extra_context=None):
        self._audit(request, "admin_delete")
        return super().delete_view(request, object_id, extra_context)
