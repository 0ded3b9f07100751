"""What every charting viewset shares: JSON bodies, the audit of the patient, the staff member acting."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiResponse
from rest_framework import status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from kat_clinic.access.viewsets import ClinicScopedViewSet
from kat_clinic.api.parsers import JSON_ONLY
from kat_clinic.models import StaffMember

# The audit path of rows that carry no patient of their own: they belong to their session's patient.
SESSION_PATIENT = "session.patient_id"

ERRORS = {
    409: OpenApiResponse(description="Conflicts with the current state (e.g. a signed record)."),
    422: OpenApiResponse(description="A clinical rule refuses the request; `unmet` lists gate items."),
}


def acting_staff(request) -> StaffMember:
    staff = getattr(request.user, "staff", None)
    if staff is None:
        raise PermissionDenied("Only staff members chart.")
    return staff


class ChartViewSet(ClinicScopedViewSet):
    """Base for charting endpoints: rows hang off a session unless `clinic_lookup` says otherwise."""

    clinic_lookup = "session__clinic"
    # A path: rows without a patient column (scores, overrides, ...) say "session.patient_id", and
    # their querysets join the session so the audit costs no query per row. The clinic is the
    # scope's (`clinic_lookup`), read from each row.
    audit_patient_attr = "patient_id"
    # Bodies carry JSON objects and lists (sections, answers, readings), which form encodings cannot: JSON only.
    parser_classes = JSON_ONLY


class CreatingChartViewSet(ChartViewSet):
    """A charting endpoint whose POST validates the body and hands it to one service."""

    create_serializer_class = None

    def create(self, request, *args, **kwargs):
        serializer_class = self.create_serializer_class or self.get_serializer_class()
        serializer = serializer_class(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        instance = self.perform_service_create(dict(serializer.validated_data), acting_staff(request))
        self.audit_objects([instance])
        return Response(self.get_serializer(instance).data, status=status.HTTP_201_CREATED)

    def perform_service_create(self, data: dict, by: StaffMember):
        raise NotImplementedError
