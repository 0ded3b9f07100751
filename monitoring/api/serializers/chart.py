"""Gate and discharge checklists, REMS forms, a session's whole chart, a patient's timeline."""

from __future__ import annotations

from rest_framework import serializers

from kat_clinic.api.lean import LeanComposite, LeanRepresentationMixin
from kat_clinic.api.times import AwareDateTimeField
from monitoring.api.fields import session_field
from monitoring.api.serializers.dosing import (
    DoseAdministrationSerializer,
    EscalationSerializer,
    SessionMedicationSerializer,
)
from monitoring.api.serializers.notes import ClinicalNoteSerializer
from monitoring.api.serializers.records import SessionAttestationSerializer
from monitoring.api.serializers.scales import ScaleResponseSerializer
from monitoring.api.serializers.vitals import (
    AdverseEventSerializer,
    AlertSerializer,
    DissociationScoreSerializer,
    SedationScoreSerializer,
    VitalSignSerializer,
)
from monitoring.models import (
    ChecklistOverride,
    RemsMonitoringForm,
)


class ChecklistOverrideSerializer(serializers.ModelSerializer):
    session = session_field()

    class Meta:
        model = ChecklistOverride
        fields = ["id", "session", "stage", "item", "reason", "overridden_by", "overridden_at"]
        read_only_fields = ["overridden_by", "overridden_at"]
        extra_kwargs = {"reason": {"min_length": 10}}
        validators: list = []


class ChecklistStatusSerializer(LeanComposite, serializers.Serializer):
    ready = serializers.BooleanField()
    unmet = serializers.ListField(child=serializers.DictField())
    overridden = serializers.ListField(child=serializers.DictField())


class RemsMonitoringFormSerializer(LeanRepresentationMixin, serializers.ModelSerializer):
    class Meta:
        model = RemsMonitoringForm
        fields = ["id", "session", "data", "due_on", "status", "generated_at", "submitted_at", "submitted_by"]
        read_only_fields = fields


class RemsGenerateSerializer(serializers.Serializer):
    session = session_field()
    ready_to_leave_at = AwareDateTimeField(required=False, allow_null=True)


class SessionChartSerializer(LeanComposite, serializers.Serializer):
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


class ChartLimitsSerializer(serializers.Serializer):
    """The clinic's numbers a chart screen draws: vital thresholds (null when switched off), dose caps
    per medication and route, and the discharge policy. The server applies them; the app only shows."""

    thresholds = serializers.DictField(child=serializers.DictField(allow_null=True))
    dose_caps = serializers.ListField(child=serializers.DictField())
    discharge_min_spo2_percent = serializers.IntegerField()
    discharge_minutes_ketamine = serializers.IntegerField()
    discharge_minutes_esketamine = serializers.IntegerField()
    predose_vitals_max_age_minutes = serializers.IntegerField()


class TimelineEntrySerializer(LeanComposite, serializers.Serializer):
    at = AwareDateTimeField()
    type = serializers.CharField()
    id = serializers.IntegerField()
    session = serializers.IntegerField(allow_null=True)
    summary = serializers.CharField()
