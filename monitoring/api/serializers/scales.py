"""Rating-scale responses and their trends."""

from __future__ import annotations

from rest_framework import serializers

from kat_clinic.access.fields import ClinicScopedPrimaryKeyRelatedField
from kat_clinic.api.lean import LeanRepresentationMixin
from monitoring.api.fields import patient_field, session_field
from monitoring.models import (
    Scale,
    ScaleResponse,
)
from programs.models import Enrollment


class ScaleResponseSerializer(LeanRepresentationMixin, serializers.ModelSerializer):
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
