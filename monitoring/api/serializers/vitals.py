"""The flowsheet: vitals, sedation, dissociation, adverse events, and the alerts they raise."""

from __future__ import annotations

from rest_framework import serializers

from kat_clinic.api.lean import LeanRepresentationMixin
from monitoring.api.fields import ENTERED_IN_ERROR, locked_session_field, session_field
from monitoring.models import (
    AdverseEvent,
    Alert,
    DissociationScore,
    SedationScore,
    VitalSign,
)
from monitoring.models.vitals import VITAL_RANGES, VITAL_READING_FIELDS, PlausibleRange, reading_problems


def _plausible_kwargs(plausible: PlausibleRange) -> dict:
    """The model's plausible range as the field's bounds, so the schema states them and a value
    outside is a 400 on the field before the database's check would refuse it."""
    message = f"Must be from {plausible.low} to {plausible.high}."
    return {
        "min_value": plausible.low,
        "max_value": plausible.high,
        "error_messages": {"min_value": message, "max_value": message},
    }


class VitalSignSerializer(LeanRepresentationMixin, serializers.ModelSerializer):
    session = locked_session_field()

    class Meta:
        model = VitalSign
        fields = ["id", "session", "patient", *VITAL_READING_FIELDS, "entered_by", "entered_at", *ENTERED_IN_ERROR]
        read_only_fields = ["patient", "entered_by", "entered_at", *ENTERED_IN_ERROR]
        extra_kwargs = {plausible.field: _plausible_kwargs(plausible) for plausible in VITAL_RANGES}
        # The (session, device_reading_id) uniqueness is the batch's idempotency key, not an error.
        validators: list = []

    def validate(self, attrs):
        errors = reading_problems(attrs)
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class VitalReadingSerializer(VitalSignSerializer):
    class Meta(VitalSignSerializer.Meta):
        fields = [f for f in VitalSignSerializer.Meta.fields if f != "session"]

    session = None


class VitalBatchSerializer(serializers.Serializer):
    session = locked_session_field()
    readings = VitalReadingSerializer(many=True, allow_empty=False, max_length=500)


class VitalBatchResultSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    duplicates = serializers.IntegerField()
    readings = VitalSignSerializer(many=True)
    alerts = serializers.ListField(child=serializers.IntegerField())


class SedationScoreSerializer(LeanRepresentationMixin, serializers.ModelSerializer):
    session = session_field()
    moaas = serializers.IntegerField(min_value=0, max_value=5)

    class Meta:
        model = SedationScore
        fields = ["id", "session", "measured_at", "moaas", "recorded_by", *ENTERED_IN_ERROR]
        read_only_fields = ["recorded_by", *ENTERED_IN_ERROR]


class DissociationScoreSerializer(serializers.ModelSerializer):
    session = session_field()
    items = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=4), min_length=23, max_length=23
    )

    class Meta:
        model = DissociationScore
        fields = ["id", "session", "measured_at", "items", "total", "recorded_by", *ENTERED_IN_ERROR]
        read_only_fields = ["total", "recorded_by", *ENTERED_IN_ERROR]


class AdverseEventSerializer(LeanRepresentationMixin, serializers.ModelSerializer):
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


class AlertSerializer(LeanRepresentationMixin, serializers.ModelSerializer):
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
