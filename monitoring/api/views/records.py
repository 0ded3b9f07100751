"""Patient-level records and the session's attestation."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from monitoring import selectors
from monitoring.api import serializers as s
from monitoring.api.views.base import ERRORS, SESSION_PATIENT, CreatingChartViewSet, acting_staff
from monitoring.models import (
    Allergy,
    Consent,
    ContraindicationScreen,
    Diagnosis,
    PatientMedication,
    PregnancyTest,
    PriorAuthorization,
    RemsPatientEnrollment,
    SessionAttestation,
)
from monitoring.services import records


class RecordViewSet(CreatingChartViewSet, mixins.ListModelMixin, mixins.RetrieveModelMixin):
    """Patient-level records, scoped by the patient's home clinic."""

    clinic_lookup = "patient__home_clinic"
    filterset_fields = ["patient"]
    operations = {"list": "record.read", "retrieve": "record.read", "create": "record.write"}
    model = None

    def get_base_queryset(self):
        return selectors.patient_records(self.model)

    def perform_service_create(self, data, by):
        patient = data.pop("patient")
        return records.record_create(model=self.model, patient=patient, by=by, **data)


def _record_viewset(model_class, serializer_class, resource: str):
    return type(
        f"{model_class.__name__}ViewSet",
        (RecordViewSet,),
        {
            "model": model_class,
            "serializer_class": serializer_class,
            "audit_resource": resource,
            "__doc__": f"{model_class._meta.verbose_name_plural.capitalize()} of a patient.",
        },
    )


PatientMedicationViewSet = _record_viewset(PatientMedication, s.PatientMedicationSerializer, "patient_medication")
AllergyViewSet = _record_viewset(Allergy, s.AllergySerializer, "allergy")
PregnancyTestViewSet = _record_viewset(PregnancyTest, s.PregnancyTestSerializer, "pregnancy_test")
DiagnosisViewSet = _record_viewset(Diagnosis, s.DiagnosisSerializer, "diagnosis")
PriorAuthorizationViewSet = _record_viewset(PriorAuthorization, s.PriorAuthorizationSerializer, "prior_authorization")
RemsEnrollmentViewSet = _record_viewset(RemsPatientEnrollment, s.RemsPatientEnrollmentSerializer, "rems_enrollment")


class ConsentViewSet(RecordViewSet):
    model = Consent
    serializer_class = s.ConsentSerializer
    audit_resource = "consent"
    operations = {**RecordViewSet.operations, "revoke": "record.write"}

    def perform_service_create(self, data, by):
        return records.consent_record(by=by, **data)

    @extend_schema(request=s.ConsentRevokeSerializer, responses={200: s.ConsentSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def revoke(self, request, pk=None):
        serializer = s.ConsentRevokeSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        consent = records.consent_revoke(
            consent=self.get_object(), by=acting_staff(request), **serializer.validated_data
        )
        return Response(self.get_serializer(consent).data)


class ContraindicationScreenViewSet(RecordViewSet):
    model = ContraindicationScreen
    serializer_class = s.ContraindicationScreenSerializer
    audit_resource = "contraindication_screen"
    operations = {**RecordViewSet.operations, "review": "screen.review"}

    def get_base_queryset(self):
        return selectors.contraindication_screen_list()

    def perform_service_create(self, data, by):
        return records.contraindication_screen_record(by=by, **data)

    @extend_schema(request=None, responses={200: s.ContraindicationScreenSerializer, **ERRORS})
    @action(detail=True, methods=["post"])
    def review(self, request, pk=None):
        """The requesting prescriber reviews the screen; nobody reviews on another's behalf."""
        screen = records.contraindication_screen_review(screen=self.get_object(), by=acting_staff(request))
        return Response(self.get_serializer(screen).data)


class SessionAttestationViewSet(CreatingChartViewSet, mixins.ListModelMixin):
    """Escort and fasting for one session; posting again updates the session's row."""

    serializer_class = s.SessionAttestationSerializer
    audit_resource = "session_attestation"
    audit_patient_attr = SESSION_PATIENT
    filterset_fields = ["session"]
    operations = {"list": "record.read", "create": "record.write"}

    def get_base_queryset(self):
        return selectors.session_rows(SessionAttestation)

    def perform_service_create(self, data, by):
        return records.session_attestation_record(by=by, **data)


class RideConfirmationViewSet(CreatingChartViewSet):
    """The front desk confirms a session's ride home and escort (no fasting, nothing clinical)."""

    serializer_class = s.RideConfirmationSerializer
    audit_resource = "ride_confirmation"
    audit_patient_attr = SESSION_PATIENT
    operations = {"create": "ride.write"}

    def get_base_queryset(self):
        return selectors.session_rows(SessionAttestation)

    def perform_service_create(self, data, by):
        return records.ride_confirmation_record(by=by, **data)
