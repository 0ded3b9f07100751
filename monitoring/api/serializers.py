from __future__ import annotations

from decimal import Decimal

from django.core.validators import RegexValidator
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kat_clinic.access.fields import ClinicScopedPrimaryKeyRelatedField
from monitoring.api.fields import StaffField, patient_field, session_field
from monitoring.models import (
    CONTRAINDICATIONS,
    AdverseEvent,
    Alert,
    Allergy,
    ChecklistOverride,
    ClinicalNote,
    Consent,
    ContraindicationScreen,
    Diagnosis,
    DissociationScore,
    DoseAdministration,
    Escalation,
    PatientMedication,
    PregnancyTest,
    PriorAuthorization,
    RemsMonitoringForm,
    RemsPatientEnrollment,
    Scale,
    ScaleResponse,
    SedationScore,
    SessionAttestation,
    SessionMedication,
    VitalSign,
)
from programs.models import Enrollment

# --- notes -------------------------------------------------------------------------------------


class PreparationSections(serializers.Serializer):
    intentions = serializers.CharField(required=False, allow_blank=True)
    psychoeducation = serializers.CharField(required=False, allow_blank=True)
    consent_reviewed = serializers.BooleanField(required=False)
    set_and_setting = serializers.CharField(required=False, allow_blank=True)


class DosingSections(serializers.Serializer):
    pre_dose_checks = serializers.CharField(required=False, allow_blank=True)
    therapist_observations = serializers.CharField(required=False, allow_blank=True)
    patient_experience = serializers.CharField(required=False, allow_blank=True)


class IntegrationSections(serializers.Serializer):
    themes = serializers.CharField(required=False, allow_blank=True)
    insights = serializers.CharField(required=False, allow_blank=True)
    homework = serializers.CharField(required=False, allow_blank=True)
    mood = serializers.CharField(required=False, allow_blank=True)
    risk_check = serializers.CharField(required=False, allow_blank=True)


class GeneralSections(serializers.Serializer):
    pass


SECTIONS_BY_KIND = {
    ClinicalNote.Kind.PREPARATION: PreparationSections,
    ClinicalNote.Kind.DOSING: DosingSections,
    ClinicalNote.Kind.INTEGRATION: IntegrationSections,
    ClinicalNote.Kind.GENERAL: GeneralSections,
}


def validate_sections(kind: str, sections) -> dict:
    """Sections of the note's kind only, each of its type; unknown keys are refused."""
    serializer_class = SECTIONS_BY_KIND[kind]
    if not isinstance(sections, dict):
        raise serializers.ValidationError({"sections": ["Expected an object."]})
    unknown = set(sections) - set(serializer_class().fields)
    if unknown:
        raise serializers.ValidationError(
            {"sections": [f"Unknown sections for a {kind} note: {', '.join(sorted(unknown))}."]}
        )
    serializer = serializer_class(data=sections)
    if not serializer.is_valid():
        raise serializers.ValidationError({"sections": serializer.errors})
    return dict(serializer.validated_data)


class AddendumSerializer(serializers.ModelSerializer):
    class Meta:
        model = ClinicalNote
        fields = ["id", "body", "author", "status", "version", "created_at", "signed_by", "signed_at", "content_sha256"]
        read_only_fields = fields


class ClinicalNoteSerializer(serializers.ModelSerializer):
    session = session_field()
    sections = serializers.JSONField(required=False)
    addenda = AddendumSerializer(many=True, read_only=True)
    etag = serializers.CharField(read_only=True)

    class Meta:
        model = ClinicalNote
        fields = [
            "id",
            "session",
            "patient",
            "kind",
            "amends",
            "sections",
            "body",
            "author",
            "status",
            "version",
            "etag",
            "created_at",
            "updated_at",
            "signed_by",
            "signed_at",
            "content_sha256",
            "cosigned_by",
            "cosigned_at",
            "addenda",
        ]
        read_only_fields = [
            "patient",
            "kind",
            "amends",
            "author",
            "status",
            "version",
            "created_at",
            "updated_at",
            "signed_by",
            "signed_at",
            "content_sha256",
            "cosigned_by",
            "cosigned_at",
        ]


class NoteCreateSerializer(serializers.Serializer):
    session = session_field()
    sections = serializers.JSONField(required=False, default=dict)
    body = serializers.CharField(required=False, allow_blank=True, default="")

    def validate(self, attrs):
        from monitoring.services.notes import note_kind_for

        attrs["sections"] = validate_sections(note_kind_for(attrs["session"]), attrs["sections"])
        return attrs


class NoteUpdateSerializer(serializers.Serializer):
    sections = serializers.JSONField(required=False)
    body = serializers.CharField(required=False, allow_blank=True)

    def validate(self, attrs):
        if "sections" in attrs:
            attrs["sections"] = validate_sections(self.context["note"].kind, attrs["sections"])
        return attrs


class AddendumCreateSerializer(serializers.Serializer):
    body = serializers.CharField()


# --- scales ------------------------------------------------------------------------------------


class ScaleResponseSerializer(serializers.ModelSerializer):
    patient = patient_field()
    session = session_field(required=False, allow_null=True)
    enrollment = ClinicScopedPrimaryKeyRelatedField(
        clinic_lookup="clinic", queryset=Enrollment.objects.all(), required=False, allow_null=True
    )
    answers = serializers.JSONField()

    class Meta:
        model = ScaleResponse
        fields = [
            "id",
            "patient",
            "session",
            "enrollment",
            "scale",
            "answers",
            "total",
            "severity",
            "high_risk",
            "loinc_panel",
            "loinc_total",
            "source",
            "recorded_by",
            "completed_at",
        ]
        read_only_fields = [
            "total",
            "severity",
            "high_risk",
            "loinc_panel",
            "loinc_total",
            "recorded_by",
            "completed_at",
        ]


class ScaleTrendSerializer(serializers.Serializer):
    scale = serializers.ChoiceField(choices=Scale.choices)
    points = serializers.ListField(child=serializers.DictField())
    baseline = serializers.IntegerField(allow_null=True)
    latest = serializers.IntegerField(allow_null=True)
    change_percent = serializers.DecimalField(max_digits=6, decimal_places=1, allow_null=True)
    response = serializers.BooleanField()
    remission = serializers.BooleanField()


# --- vitals, sedation, dissociation, adverse events, alerts -------------------------------------


class VitalSignSerializer(serializers.ModelSerializer):
    session = session_field()
    # The plausible ranges `validate` enforces, stated so clients (and the schema) know them.
    systolic_mmhg = serializers.IntegerField(min_value=40, max_value=300, required=False, allow_null=True)
    diastolic_mmhg = serializers.IntegerField(min_value=20, max_value=200, required=False, allow_null=True)
    heart_rate_bpm = serializers.IntegerField(min_value=20, max_value=250, required=False, allow_null=True)
    spo2_percent = serializers.IntegerField(min_value=50, max_value=100, required=False, allow_null=True)
    respiratory_rate_per_min = serializers.IntegerField(min_value=2, max_value=80, required=False, allow_null=True)

    class Meta:
        model = VitalSign
        fields = [
            "id",
            "session",
            "patient",
            "measured_at",
            "systolic_mmhg",
            "diastolic_mmhg",
            "heart_rate_bpm",
            "spo2_percent",
            "respiratory_rate_per_min",
            "temperature_c",
            "source",
            "device_reading_id",
            "entered_by",
            "entered_at",
        ]
        read_only_fields = ["patient", "entered_by", "entered_at"]
        # The (session, device_reading_id) uniqueness is the batch's idempotency key, not an error.
        validators: list = []

    def validate(self, attrs):
        errors: dict[str, list[str]] = {}
        systolic, diastolic = attrs.get("systolic_mmhg"), attrs.get("diastolic_mmhg")
        if (systolic is None) != (diastolic is None):
            errors["diastolic_mmhg"] = ["Blood pressure needs both systolic and diastolic."]
        elif systolic is not None and diastolic >= systolic:
            errors["diastolic_mmhg"] = ["Diastolic must be below systolic."]
        spo2 = attrs.get("spo2_percent")
        if spo2 is not None and not 50 <= spo2 <= 100:
            errors["spo2_percent"] = ["SpO2 is a percentage from 50 to 100."]
        for name, low, high in (
            ("systolic_mmhg", 40, 300),
            ("diastolic_mmhg", 20, 200),
            ("heart_rate_bpm", 20, 250),
            ("respiratory_rate_per_min", 2, 80),
            ("temperature_c", 30, 44),
        ):
            value = attrs.get(name)
            if value is not None and not low <= value <= high and name not in errors:
                errors[name] = [f"Must be from {low} to {high}."]
        measured = [
            n
            for n in ("systolic_mmhg", "heart_rate_bpm", "spo2_percent", "respiratory_rate_per_min", "temperature_c")
            if attrs.get(n) is not None
        ]
        if not measured:
            errors["non_field_errors"] = ["A reading measures something."]
        if attrs.get("source") == VitalSign.Source.DEVICE and not attrs.get("device_reading_id"):
            errors["device_reading_id"] = ["A reading from a monitor carries the monitor's reading id."]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class VitalReadingSerializer(VitalSignSerializer):
    class Meta(VitalSignSerializer.Meta):
        fields = [f for f in VitalSignSerializer.Meta.fields if f != "session"]

    session = None


class VitalBatchSerializer(serializers.Serializer):
    session = session_field()
    readings = VitalReadingSerializer(many=True, allow_empty=False, max_length=500)


class VitalBatchResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    readings = VitalSignSerializer(many=True)
    alerts = serializers.ListField(child=serializers.IntegerField())


class SedationScoreSerializer(serializers.ModelSerializer):
    session = session_field()
    moaas = serializers.IntegerField(min_value=0, max_value=5)

    class Meta:
        model = SedationScore
        fields = ["id", "session", "measured_at", "moaas", "recorded_by"]
        read_only_fields = ["recorded_by"]


class DissociationScoreSerializer(serializers.ModelSerializer):
    session = session_field()
    items = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=4), min_length=23, max_length=23
    )

    class Meta:
        model = DissociationScore
        fields = ["id", "session", "measured_at", "items", "total", "recorded_by"]
        read_only_fields = ["total", "recorded_by"]


class AdverseEventSerializer(serializers.ModelSerializer):
    session = session_field()

    class Meta:
        model = AdverseEvent
        fields = [
            "id",
            "session",
            "patient",
            "type",
            "severity",
            "serious",
            "onset_at",
            "description",
            "action_taken",
            "recorded_by",
        ]
        read_only_fields = ["patient", "recorded_by"]


class AlertSerializer(serializers.ModelSerializer):
    class Meta:
        model = Alert
        fields = [
            "id",
            "clinic",
            "patient",
            "session",
            "scale_response",
            "kind",
            "priority",
            "message",
            "episode_started_at",
            "details",
            "raised_at",
            "notified_at",
            "acknowledged_by",
            "acknowledged_at",
        ]
        read_only_fields = fields


# --- dosing ------------------------------------------------------------------------------------


class DoseAdministrationSerializer(serializers.ModelSerializer):
    session = session_field()
    ordered_by = StaffField()
    cap_override_reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)

    class Meta:
        model = DoseAdministration
        fields = [
            "id",
            "session",
            "patient",
            "kind",
            "medication",
            "route",
            "patient_weight",
            "weight_kg",
            "dose_mg_per_kg",
            "dose_mg",
            "concentration_mg_per_ml",
            "volume_ml",
            "infusion_minutes",
            "rate_mg_per_h",
            "lot_number",
            "lot_expires_on",
            "ordered_by",
            "administered_by",
            "started_at",
            "stopped_at",
            "cap_override_reason",
            "cap_overridden_by",
            "recorded_at",
        ]
        read_only_fields = [
            "patient",
            "patient_weight",
            "weight_kg",
            "volume_ml",
            "rate_mg_per_h",
            "administered_by",
            "cap_overridden_by",
            "recorded_at",
        ]
        extra_kwargs = {"dose_mg": {"required": False, "allow_null": True}}


class DoseStopSerializer(serializers.Serializer):
    stopped_at = serializers.DateTimeField()


@extend_schema_field(
    {"type": "string", "format": "decimal", "pattern": r"^(0\.(0[1-9]|[1-9][0-9]?)|[1-9][0-9]{0,4}(\.[0-9]{1,2})?)$"}
)
class PositiveMgField(serializers.DecimalField):
    """A dose in mg above zero, two decimals: what the database's check and column accept."""

    def __init__(self, **kwargs):
        super().__init__(max_digits=7, decimal_places=2, min_value=Decimal("0.01"), **kwargs)


class SessionMedicationSerializer(serializers.ModelSerializer):
    session = session_field()
    ordered_by = StaffField()
    dose_mg = PositiveMgField()

    class Meta:
        model = SessionMedication
        fields = [
            "id",
            "session",
            "drug",
            "drug_name",
            "dose_mg",
            "route",
            "given_at",
            "reason",
            "ordered_by",
            "given_by",
        ]
        read_only_fields = ["given_by"]


class EscalationSerializer(serializers.ModelSerializer):
    session = session_field()

    class Meta:
        model = Escalation
        fields = ["id", "session", "kind", "occurred_at", "description", "recorded_by"]
        read_only_fields = ["recorded_by"]
        extra_kwargs = {"occurred_at": {"required": False}}


# --- the patient's record ----------------------------------------------------------------------


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
# The database's diagnosis_icd10_format check, as a field rule (400 with the field named) and a schema pattern.
DiagnosisSerializer._declared_fields["icd10_code"] = serializers.CharField(
    max_length=8,
    validators=[RegexValidator(r"^[A-TV-Z][0-9][0-9AB](\.[0-9A-Z]{1,4})?$", "Not an ICD-10-CM code, e.g. F33.2.")],
)
PriorAuthorizationSerializer = record_serializer(
    PriorAuthorization,
    ["payer", "reference", "authorised_sessions", "used_sessions", "valid_from", "valid_until"],
    ("used_sessions",),
)
RemsPatientEnrollmentSerializer = record_serializer(
    RemsPatientEnrollment, ["rems_patient_id", "enrolled_on", "ended_on"]
)


class ConsentSerializer(serializers.ModelSerializer):
    patient = patient_field()
    witness = StaffField()

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
    reviewed_by = StaffField()
    answers = serializers.JSONField(help_text="{contraindication: bool} for each of: " + ", ".join(CONTRAINDICATIONS))

    class Meta:
        model = ContraindicationScreen
        fields = ["id", "patient", "answers", "result", "notes", "screened_at", "reviewed_by", "valid_until"]
        read_only_fields = ["result"]

    def validate_answers(self, answers):
        if not isinstance(answers, dict):
            raise serializers.ValidationError("Expected an object.")
        unknown = set(answers) - set(CONTRAINDICATIONS)
        if unknown:
            raise serializers.ValidationError(f"Unknown items: {', '.join(sorted(unknown))}.")
        return answers


class SessionAttestationSerializer(serializers.ModelSerializer):
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


# --- gate, discharge, REMS ---------------------------------------------------------------------


class ChecklistOverrideSerializer(serializers.ModelSerializer):
    session = session_field()

    class Meta:
        model = ChecklistOverride
        fields = ["id", "session", "stage", "item", "reason", "overridden_by", "overridden_at"]
        read_only_fields = ["overridden_by", "overridden_at"]
        extra_kwargs = {"reason": {"min_length": 10}}
        validators: list = []


class ChecklistStatusSerializer(serializers.Serializer):
    ready = serializers.BooleanField()
    unmet = serializers.ListField(child=serializers.DictField())
    overridden = serializers.ListField(child=serializers.DictField())


class RemsMonitoringFormSerializer(serializers.ModelSerializer):
    class Meta:
        model = RemsMonitoringForm
        fields = ["id", "session", "data", "due_on", "status", "generated_at", "submitted_at", "submitted_by"]
        read_only_fields = fields


class RemsGenerateSerializer(serializers.Serializer):
    session = session_field()
    ready_to_leave_at = serializers.DateTimeField(required=False, allow_null=True)


# --- chart and timeline ------------------------------------------------------------------------


class SessionChartSerializer(serializers.Serializer):
    session = serializers.DictField()
    note = ClinicalNoteSerializer(allow_null=True)
    doses = DoseAdministrationSerializer(many=True)
    other_medications = SessionMedicationSerializer(many=True)
    escalations = EscalationSerializer(many=True)
    vitals = VitalSignSerializer(many=True)
    sedation = SedationScoreSerializer(many=True)
    dissociation = DissociationScoreSerializer(many=True)
    adverse_events = AdverseEventSerializer(many=True)
    alerts = AlertSerializer(many=True)
    scales = ScaleResponseSerializer(many=True)
    attestation = SessionAttestationSerializer(allow_null=True)
    gate = ChecklistStatusSerializer()
    discharge = ChecklistStatusSerializer()
    rems_form = RemsMonitoringFormSerializer(allow_null=True)


class TimelineEntrySerializer(serializers.Serializer):
    at = serializers.DateTimeField()
    type = serializers.CharField()
    id = serializers.IntegerField()
    session = serializers.IntegerField(allow_null=True)
    summary = serializers.CharField()
