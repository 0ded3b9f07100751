"""The flowsheet: vitals, sedation, dissociation, adverse events, and the alerts they raise."""

from __future__ import annotations

from rest_framework import serializers

from monitoring.api.fields import session_field
from monitoring.models import (
    AdverseEvent,
    Alert,
    DissociationScore,
    SedationScore,
    VitalSign,
)


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
