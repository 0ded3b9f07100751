"""Doses, other session medications, escalations."""

from __future__ import annotations

from decimal import Decimal

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kat_clinic.api.lean import LeanRepresentationMixin
from kat_clinic.api.times import AwareDateTimeField
from monitoring.api.fields import ENTERED_IN_ERROR, StaffField, session_field
from monitoring.models import (
    DoseAdministration,
    Escalation,
    SessionMedication,
)


class DoseAdministrationSerializer(LeanRepresentationMixin, serializers.ModelSerializer):
    session = session_field()
    ordered_by = StaffField()
    cap_override_reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=2000)
    step_override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2000,
        help_text="Esketamine: a prescriber's reason for a dose outside the course's step for this session.",
    )

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
            "step_override_reason",
            "step_overridden_by",
            "recorded_at",
            *ENTERED_IN_ERROR,
        ]
        read_only_fields = [
            *ENTERED_IN_ERROR,
            "patient",
            "patient_weight",
            "weight_kg",
            "volume_ml",
            "rate_mg_per_h",
            "administered_by",
            "cap_overridden_by",
            "step_overridden_by",
            "recorded_at",
        ]
        extra_kwargs = {"dose_mg": {"required": False, "allow_null": True}}


class DoseStopSerializer(serializers.Serializer):
    stopped_at = AwareDateTimeField()


@extend_schema_field(
    {"type": "string", "format": "decimal", "pattern": r"^(0\.(0[1-9]|[1-9][0-9]?)|[1-9][0-9]{0,4}(\.[0-9]{1,2})?)$"}
)
class PositiveMgField(serializers.DecimalField):
    """A dose in mg above zero, two decimals: what the database's check and column accept."""

    def __init__(self, **kwargs):
        super().__init__(max_digits=7, decimal_places=2, min_value=Decimal("0.01"), **kwargs)


class SessionMedicationSerializer(LeanRepresentationMixin, serializers.ModelSerializer):
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


class EscalationSerializer(LeanRepresentationMixin, serializers.ModelSerializer):
    session = session_field()

    class Meta:
        model = Escalation
        fields = ["id", "session", "kind", "occurred_at", "description", "destination", "recorded_by"]
        read_only_fields = ["recorded_by"]
        extra_kwargs = {
            "occurred_at": {"required": False},
            "destination": {"help_text": "Required for an emergency transfer: where the patient went."},
        }
