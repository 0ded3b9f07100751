from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.utils import timezone
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from kat_clinic.access.fields import ClinicScopedPrimaryKeyRelatedField
from kat_clinic.api.fields import TimeZoneField
from kat_clinic.api.lean import LeanRepresentationMixin
from kat_clinic.api.times import AwareDateTimeField, refuse_future_date
from kat_clinic.models import (
    AuditEvent,
    Clinic,
    ClinicCertification,
    ClinicMembership,
    Licence,
    Patient,
    PatientWeight,
    Room,
    StaffMember,
)
from kat_clinic.patient_messages import patient_facing_name_problem


class ClinicCertificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = ClinicCertification
        fields = ["id", "kind", "identifier", "valid_from", "expires_on"]


class ClinicSerializer(serializers.ModelSerializer):
    certifications = ClinicCertificationSerializer(many=True, read_only=True)
    timezone = TimeZoneField()
    nurse_shared_capacity = serializers.IntegerField(min_value=1, max_value=20)

    class Meta:
        model = Clinic
        fields = [
            "id",
            "name",
            "slug",
            "timezone",
            "address",
            "phone",
            "nurse_shared_capacity",
            "crisis_line",
            "reminder_offset_hours",
            "quiet_hours_start",
            "quiet_hours_end",
            "patient_facing_name",
            "message_problem",
            "message_problem_at",
            "active",
            "certifications",
        ]
        # Deactivating a clinic locks its staff out: a Django admin task, not an API field.
        read_only_fields = ["slug", "certifications", "active", "message_problem", "message_problem_at"]

    def validate(self, attrs):
        name = attrs.get("name", getattr(self.instance, "name", ""))
        patient_facing_name = attrs.get("patient_facing_name", getattr(self.instance, "patient_facing_name", ""))
        problem = patient_facing_name_problem(patient_facing_name or name)
        if problem:
            raise serializers.ValidationError({"patient_facing_name": [problem]})
        return attrs


class RoomSerializer(serializers.ModelSerializer):
    clinic = ClinicScopedPrimaryKeyRelatedField(clinic_lookup="id", queryset=Clinic.objects.all())

    class Meta:
        model = Room
        fields = ["id", "clinic", "name", "kind", "capabilities", "active"]


class LicenceSerializer(serializers.ModelSerializer):
    class Meta:
        model = Licence
        fields = ["id", "kind", "state", "number", "issued_on", "expires_on"]


class MembershipSerializer(serializers.ModelSerializer):
    class Meta:
        model = ClinicMembership
        fields = ["clinic", "role"]


class StaffMemberSerializer(serializers.ModelSerializer):
    licences = LicenceSerializer(many=True, read_only=True)
    memberships = MembershipSerializer(many=True, read_only=True)
    username = serializers.CharField(source="user.username", read_only=True)

    class Meta:
        model = StaffMember
        fields = [
            "id",
            "username",
            "first_name",
            "last_name",
            "credentials_suffix",
            "npi",
            "phone",
            "active",
            "licences",
            "memberships",
        ]
        read_only_fields = fields


class PatientSerializer(LeanRepresentationMixin, serializers.ModelSerializer):
    home_clinic = ClinicScopedPrimaryKeyRelatedField(clinic_lookup="id", queryset=Clinic.objects.all())

    class Meta:
        model = Patient
        fields = [
            "id",
            "mrn",
            "home_clinic",
            "first_name",
            "last_name",
            "preferred_name",
            "date_of_birth",
            "sex_at_birth",
            "pronouns",
            "phone",
            "email",
            "address",
            "preferred_language",
            "emergency_contact_name",
            "emergency_contact_phone",
            "emergency_contact_relationship",
            "sms_opt_in",
            "email_opt_in",
            "created_at",
        ]
        read_only_fields = ["created_at"]

    def validate_date_of_birth(self, value: dt.date) -> dt.date:
        return refuse_future_date(value, "A date of birth is in the past.")

    def validate_home_clinic(self, clinic: Clinic) -> Clinic:
        if self.instance is not None and self.instance.home_clinic_id != clinic.pk:
            # Moving a patient between clinics changes who may read the record: an admin task.
            raise serializers.ValidationError("A patient's home clinic cannot be changed here.")
        return clinic


@extend_schema_field(
    {"type": "string", "format": "decimal", "pattern": r"^([1-9][0-9]?|[1-4][0-9]{2})(\.[0-9])?$", "example": "72.5"}
)
class WeightKgField(serializers.DecimalField):
    """A body weight in kg, 1.0 to 499.9: the plausible range the database also checks."""

    def __init__(self, **kwargs):
        super().__init__(max_digits=4, decimal_places=1, min_value=Decimal("1.0"), max_value=Decimal("499.9"), **kwargs)


class PatientWeightSerializer(serializers.ModelSerializer):
    recorded_by = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    weight_kg = WeightKgField()

    def validate_measured_at(self, value):
        if value > timezone.now() + dt.timedelta(minutes=5):
            raise serializers.ValidationError("A weight cannot be measured in the future.")
        return value

    class Meta:
        model = PatientWeight
        fields = ["id", "weight_kg", "measured_at", "recorded_by"]


class BreakGlassRequestSerializer(serializers.Serializer):
    patient = serializers.IntegerField()
    reason = serializers.CharField(max_length=2000)


class BreakGlassGrantSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    patient = serializers.IntegerField(source="patient_id")
    expires_at = AwareDateTimeField()


class AuditEventSerializer(serializers.ModelSerializer):
    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "occurred_at",
            "user_id",
            "username",
            "roles",
            "clinic_id",
            "action",
            "operation",
            "method",
            "path",
            "resource_type",
            "resource_ids",
            "patient_ids",
            "outcome",
            "status_code",
            "request_id",
            "client_request_id",
            "ip",
            "break_glass",
        ]
        read_only_fields = fields


class MeClinicSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    timezone = TimeZoneField()
    roles = serializers.ListField(child=serializers.CharField())


class MeSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    username = serializers.CharField()
    staff_id = serializers.IntegerField(allow_null=True)
    name = serializers.CharField()
    clinics = MeClinicSerializer(many=True)


class LoginSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False)
    otp = serializers.CharField(max_length=12, required=False, allow_blank=True)


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField()
    expiry = AwareDateTimeField()
