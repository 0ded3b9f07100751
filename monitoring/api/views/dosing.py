"""Doses, other session medications, escalations."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from monitoring import selectors
from monitoring.api import serializers as s
from monitoring.api.views.base import ERRORS, SESSION_PATIENT, CreatingChartViewSet, acting_staff
from monitoring.api.views.corrections import EnteredInErrorMixin
from monitoring.models import (
    Escalation,
    SessionMedication,
)
from monitoring.services import dosing


class DoseViewSet(EnteredInErrorMixin, CreatingChartViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    serializer_class = s.DoseAdministrationSerializer
    audit_resource = "dose"
    filterset_fields = ["session", "patient", "medication", "route"]
    operations = {
        "list": "dose.read",
        "retrieve": "dose.read",
        "create": "dose.administer",
        "stop": "dose.administer",
        "entered_in_error": "dose.administer",
    }

    def get_base_queryset(self):
        return selectors.dose_list()

    @extend_schema(responses={201: s.DoseAdministrationSerializer, **ERRORS})
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def perform_service_create(self, data, by):
        return dosing.dose_record(by=by, **data)

    @extend_schema(request=s.DoseStopSerializer, responses={200: s.DoseAdministrationSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def stop(self, request, pk=None):
        serializer = s.DoseStopSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        dose = dosing.dose_stop(dose=self.get_object(), by=acting_staff(request), **serializer.validated_data)
        return Response(self.get_serializer(dose).data)


class SessionMedicationViewSet(CreatingChartViewSet, mixins.ListModelMixin):
    serializer_class = s.SessionMedicationSerializer
    audit_resource = "session_medication"
    audit_patient_attr = SESSION_PATIENT
    filterset_fields = ["session"]
    operations = {"list": "dose.read", "create": "dose.administer"}

    def get_base_queryset(self):
        return selectors.session_rows(SessionMedication)

    def perform_service_create(self, data, by):
        return dosing.session_medication_record(by=by, **data)


class EscalationViewSet(CreatingChartViewSet, mixins.ListModelMixin):
    serializer_class = s.EscalationSerializer
    audit_resource = "escalation"
    audit_patient_attr = SESSION_PATIENT
    filterset_fields = ["session"]
    operations = {"list": "vitals.read", "create": "vitals.write"}

    def get_base_queryset(self):
        return selectors.session_rows(Escalation)

    def perform_service_create(self, data, by):
        return dosing.escalation_record(by=by, **data)
