"""The patient's record behind the pre-dose gate: consents, screens, medications, diagnoses..."""

from __future__ import annotations

from rest_framework import serializers

from kat_clinic.api.lean import LeanRepresentationMixin
from kat_clinic.api.times import refuse_future_time
from monitoring.api.fields import StaffField, patient_field, session_field
from monitoring.models import (
    CONTRAINDICATIONS,
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
from monitoring.models.records import PRIOR_AUTHORIZATION_MAX_DAYS


def record_serializer(model_class, record_fields: list[str], extra_read_only: tuple[str, ...] = ()):
    """A ModelSerializer for a patient-level record: patient scoped, recorded_by read-only."""

    class Serializer(serializers.ModelSerializer):
        patient = patient_field()

        class Meta:
            model = model_class
            fields = ["id", "patient", *record_fields, "recorded_by"]
            read_only_fields = ["recorded_by", *extra_read_only]

    Serializer.__name__ = f"{model_class.__name__}Serializer"
    Serializer.__qualname__ = Serializer.__name__
    return Serializer


PatientMedicationSerializer = record_serializer(
    PatientMedication,
    ["name", "dose", "frequency", "concomitant_class", "started_on", "stopped_on", "recorded_at"],
    ("recorded_at",),
)
AllergySerializer = record_serializer(Allergy, ["substance", "reaction", "severity", "recorded_at"], ("recorded_at",))
PregnancyTestSerializer = record_serializer(PregnancyTest, ["tested_at", "result"])
DiagnosisSerializer = record_serializer(Diagnosis, ["icd10_code", "description", "primary", "diagnosed_on"])


class PriorAuthorizationSerializer(
    record_serializer(
        PriorAuthorization,
        ["payer", "reference", "authorised_sessions", "used_sessions", "valid_from", "valid_until"],
        ("used_sessions",),
    )
):
    def validate(self, attrs):
        start, end = attrs.get("valid_from"), attrs.get("valid_until")
        if start and end and end < start:
            raise serializers.ValidationError({"valid_until": ["On or after valid_from."]})
        if start and end and (end - start).days > PRIOR_AUTHORIZATION_MAX_DAYS:
            raise serializers.ValidationError({"valid_until": ["An authorization covers at most three years."]})
        return attrs


RemsPatientEnrollmentSerializer = record_serializer(
    RemsPatientEnrollment, ["rems_patient_id", "enrolled_on", "ended_on"]
)


class ConsentSerializer(serializers.ModelSerializer):
    patient = patient_field()
    witness = StaffField()

    def validate_signed_at(self, value):
        return refuse_future_time(value, "A consent is signed before it is recorded, not in the future.")

    class Meta:
        model = Consent
        fields = [
            "id",
            "patient",
            "document_version",
            "medications",
            "routes",
            "program_name",
            "signed_at",
            "witness",
            "recorded_by",
            "expires_on",
            "revoked_at",
            "revocation_reason",
        ]
        read_only_fields = ["recorded_by", "revoked_at", "revocation_reason"]


class ConsentRevokeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class ContraindicationScreenSerializer(serializers.ModelSerializer):
    patient = patient_field()
    answers = serializers.JSONField(help_text="{contraindication: bool} for each of: " + ", ".join(CONTRAINDICATIONS))

    class Meta:
        model = ContraindicationScreen
        fields = [
            "id",
            "patient",
            "answers",
            "result",
            "notes",
            "screened_at",
            "valid_until",
            "recorded_by",
            "reviewed_by",
            "reviewed_at",
        ]
        read_only_fields = ["result", "recorded_by", "reviewed_by", "reviewed_at"]

    def validate_answers(self, answers):
        if not isinstance(answers, dict):
            raise serializers.ValidationError("Expected an object.")
        unknown = set(answers) - set(CONTRAINDICATIONS)
        if unknown:
            raise serializers.ValidationError(f"Unknown items: {', '.join(sorted(unknown))}.")
        return answers


class SessionAttestationSerializer(LeanRepresentationMixin, serializers.ModelSerializer):
    session = session_field()

    class Meta:
        model = SessionAttestation
        fields = [
            "id",
            "session",
            "escort_name",
            "escort_phone",
            "escort_present",
            "fasting_confirmed",
            "last_ate_at",
            "last_drank_at",
            "recorded_by",
            "recorded_at",
        ]
        read_only_fields = ["recorded_by", "recorded_at"]
        validators: list = []


class RideConfirmationSerializer(serializers.ModelSerializer):
    """The front desk's part of the session's attestation: the ride home and its escort, nothing clinical."""

    session = session_field()
    escort_name = serializers.CharField(max_length=200, allow_blank=False, trim_whitespace=True)
    escort_phone = serializers.CharField(max_length=40, allow_blank=False, trim_whitespace=True)
    escort_present = serializers.BooleanField(
        required=False, default=None, allow_null=True, help_text="On the day: the escort is here. Omitted: unchanged."
    )
    ride_confirmed = serializers.SerializerMethodField()

    class Meta:
        model = SessionAttestation
        fields = ["id", "session", "escort_name", "escort_phone", "escort_present", "ride_confirmed", "recorded_at"]
        read_only_fields = ["recorded_at"]
        validators: list = []

    def get_ride_confirmed(self, obj: SessionAttestation) -> bool:
        return bool(obj.escort_name and obj.escort_phone)
