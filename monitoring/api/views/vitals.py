"""The flowsheet: vitals (by hand or from a monitor), sedation, dissociation, adverse events, alerts."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from monitoring import selectors
from monitoring.api import serializers as s
from monitoring.api.views.base import ERRORS, SESSION_PATIENT, ChartViewSet, CreatingChartViewSet, acting_staff
from monitoring.api.views.corrections import EnteredInErrorMixin
from monitoring.models import (
    AdverseEvent,
    DissociationScore,
    SedationScore,
)
from monitoring.services import alerts as alert_services
from monitoring.services import vitals


class VitalSignViewSet(EnteredInErrorMixin, CreatingChartViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    serializer_class = s.VitalSignSerializer
    audit_resource = "vital_sign"
    filterset_fields = ["session", "patient", "source"]
    operations = {
        "list": "vitals.read",
        "retrieve": "vitals.read",
        "create": "vitals.write",
        "batch": "vitals.write",
        "entered_in_error": "vitals.write",
    }

    def get_base_queryset(self):
        return selectors.vital_list()

    @extend_schema(responses={201: s.VitalSignSerializer, **ERRORS})
    def create(self, request, *args, **kwargs):
        return super().create(request, *args, **kwargs)

    def perform_service_create(self, data, by):
        session = data.pop("session")
        created, _ = vitals.vitals_record(session=session, by=by, readings=[data])
        if created:
            return created[0]
        # A resent monitor reading: answer with the one already stored.
        return session.vitals.get(device_reading_id=data["device_reading_id"])

    @extend_schema(request=s.VitalBatchSerializer, responses={200: s.VitalBatchResultSerializer, **ERRORS})
    @action(detail=False, methods=["post"])
    def batch(self, request):
        """Readings from a monitor; resending a reading (same device_reading_id) is a no-op."""
        serializer = s.VitalBatchSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        session = serializer.validated_data["session"]
        created, duplicates = vitals.vitals_record(
            session=session,
            by=acting_staff(request),
            readings=[dict(r) for r in serializer.validated_data["readings"]],
            batch=True,
        )
        self.audit_objects(created)
        alert_ids = list(session.alerts.values_list("pk", flat=True).order_by("pk"))
        body = {"created": len(created), "duplicates": duplicates, "readings": created, "alerts": alert_ids}
        return Response(s.VitalBatchResultSerializer(body).data)


class SedationScoreViewSet(EnteredInErrorMixin, CreatingChartViewSet, mixins.ListModelMixin):
    serializer_class = s.SedationScoreSerializer
    audit_resource = "sedation_score"
    audit_patient_attr = SESSION_PATIENT
    filterset_fields = ["session"]
    operations = {"list": "vitals.read", "create": "vitals.write", "entered_in_error": "vitals.write"}

    def get_base_queryset(self):
        return selectors.session_rows(SedationScore)

    def perform_service_create(self, data, by):
        return vitals.sedation_record(by=by, **data)


class DissociationScoreViewSet(EnteredInErrorMixin, CreatingChartViewSet, mixins.ListModelMixin):
    serializer_class = s.DissociationScoreSerializer
    audit_resource = "dissociation_score"
    audit_patient_attr = SESSION_PATIENT
    filterset_fields = ["session"]
    operations = {"list": "vitals.read", "create": "vitals.write", "entered_in_error": "vitals.write"}

    def get_base_queryset(self):
        return selectors.session_rows(DissociationScore)

    def perform_service_create(self, data, by):
        return vitals.dissociation_record(by=by, **data)


class AdverseEventViewSet(CreatingChartViewSet, mixins.ListModelMixin):
    serializer_class = s.AdverseEventSerializer
    audit_resource = "adverse_event"
    filterset_fields = ["session", "patient", "type"]
    operations = {"list": "vitals.read", "create": "vitals.write"}

    def get_base_queryset(self):
        return selectors.session_rows(AdverseEvent)

    def perform_service_create(self, data, by):
        return vitals.adverse_event_record(by=by, **data)


class AlertViewSet(ChartViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    serializer_class = s.AlertSerializer
    clinic_lookup = "clinic"
    audit_resource = "alert"
    audit_clinic_attr = "clinic_id"
    filterset_fields = ["session", "patient", "kind", "priority"]
    operations = {"list": "alert.read", "retrieve": "alert.read", "acknowledge": "alert.ack"}

    def get_base_queryset(self):
        queryset = selectors.alert_list()
        if self.request.query_params.get("open") in ("1", "true"):
            queryset = queryset.filter(acknowledged_at__isnull=True)
        return queryset

    @extend_schema(request=None, responses={200: s.AlertSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, pk=None):
        alert = alert_services.alert_acknowledge(alert=self.get_object(), by=acting_staff(request))
        return Response(self.get_serializer(alert).data)
