from __future__ import annotations

from rest_framework import serializers

from integration.models import CheckIn, IntegrationPlan, OnCallEntry
from kat_clinic.access.fields import ClinicScopedPrimaryKeyRelatedField
from kat_clinic.api.times import AwareDateTimeField
from kat_clinic.models import Clinic
from programs.choices import Scale
from programs.models import Enrollment
from sessions.models import Session

SCALES = Scale.choices


class CheckInSubmitSerializer(serializers.Serializer):
    mood_0_10 = serializers.IntegerField(min_value=0, max_value=10)
    sleep_hours = serializers.DecimalField(max_digits=3, decimal_places=1, min_value=0, max_value=24, required=False)
    note = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    scale = serializers.ChoiceField(choices=SCALES, required=False, allow_blank=True, default="")
    scale_answers = serializers.JSONField(required=False, allow_null=True, default=None)


class CrisisSerializer(serializers.Serializer):
    line = serializers.CharField()
    message = serializers.CharField()


class CheckInReceiptSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    received = serializers.BooleanField()
    crisis = CrisisSerializer(allow_null=True)


class CheckInLinkSerializer(serializers.Serializer):
    clinic_name = serializers.CharField()
    crisis_line = serializers.CharField()
    scale = serializers.CharField(allow_blank=True)
    answered = serializers.BooleanField()


class CheckInSerializer(serializers.ModelSerializer):
    class Meta:
        model = CheckIn
        fields = [
            "id",
            "patient",
            "clinic",
            "followup",
            "mood_0_10",
            "sleep_hours",
            "note",
            "scale",
            "scale_answers",
            "scale_total",
            "risk_flagged",
            "risk_reason",
            "submitted_at",
        ]
        read_only_fields = fields


class IntegrationPlanSerializer(serializers.ModelSerializer):
    class Meta:
        model = IntegrationPlan
        fields = [
            "id",
            "enrollment",
            "patient",
            "clinic",
            "themes",
            "goals",
            "practices",
            "homework",
            "last_session",
            "updated_by",
            "updated_at",
            "version",
        ]
        read_only_fields = fields


class IntegrationPlanWriteSerializer(serializers.Serializer):
    enrollment = ClinicScopedPrimaryKeyRelatedField(clinic_lookup="clinic", queryset=Enrollment.objects.all())
    session = ClinicScopedPrimaryKeyRelatedField(
        clinic_lookup="clinic", queryset=Session.objects.all(), required=False, allow_null=True
    )
    expected_version = serializers.IntegerField(required=False, min_value=0)
    themes = serializers.ListField(child=serializers.CharField(max_length=200), required=False)
    goals = serializers.ListField(child=serializers.CharField(max_length=2000), required=False)
    practices = serializers.ListField(child=serializers.CharField(max_length=2000), required=False)
    homework = serializers.CharField(max_length=4000, required=False, allow_blank=True)


class IntegrationPlanEventSerializer(serializers.Serializer):
    version = serializers.IntegerField()
    themes = serializers.ListField(child=serializers.CharField())
    goals = serializers.ListField(child=serializers.CharField())
    practices = serializers.ListField(child=serializers.CharField())
    homework = serializers.CharField()
    last_session = serializers.IntegerField(source="last_session_id", allow_null=True)
    updated_by = serializers.IntegerField(source="updated_by_id", allow_null=True)
    updated_at = AwareDateTimeField()
    event = serializers.CharField(source="pgh_label")


class OnCallEntrySerializer(serializers.ModelSerializer):
    staff_name = serializers.CharField(source="staff.__str__", read_only=True)

    class Meta:
        model = OnCallEntry
        fields = ["id", "clinic", "staff", "staff_name", "position"]
        read_only_fields = fields


class OnCallReplaceSerializer(serializers.Serializer):
    clinic = ClinicScopedPrimaryKeyRelatedField(clinic_lookup="id", queryset=Clinic.objects.all())
    staff = serializers.ListField(child=serializers.IntegerField(), allow_empty=True, max_length=20)
