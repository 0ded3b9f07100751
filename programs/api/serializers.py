from __future__ import annotations

import datetime as dt

from rest_framework import serializers

from kat_clinic.access.fields import ClinicScopedPrimaryKeyRelatedField
from kat_clinic.access.permissions import view_operation
from kat_clinic.access.scoping import clinics_for
from kat_clinic.api.times import PlausibleDateField
from kat_clinic.models import Clinic, Patient
from programs import selectors
from programs.models import (
    Enrollment,
    PlannedSession,
    ProgramTemplate,
    ScaleScheduleItem,
    StaffNeed,
    TemplatePrerequisite,
    TemplateRule,
    TemplateStep,
)
from programs.services import STEP_FIELDS
from programs.validation import MAX_INTERVAL

# --- templates -----------------------------------------------------------------------------------


class StaffNeedSerializer(serializers.ModelSerializer):
    class Meta:
        model = StaffNeed
        fields = ["role", "mode", "start_offset_minutes", "end_offset_minutes"]


class TemplateStepSerializer(serializers.ModelSerializer):
    staff_needs = StaffNeedSerializer(many=True, required=False)

    class Meta:
        model = TemplateStep
        fields = ["id", *STEP_FIELDS, "staff_needs"]
        read_only_fields = ["id"]


def _interval(help_text: str) -> serializers.DurationField:
    return serializers.DurationField(
        required=False,
        allow_null=True,
        default=None,
        min_value=dt.timedelta(0),
        max_value=MAX_INTERVAL,
        help_text=f"{help_text} Elapsed time, ISO 8601 (P1D, PT24H) or 'D HH:MM:SS'.",
    )


class TemplateRuleSerializer(serializers.ModelSerializer):
    step_position = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        min_value=1,
        max_value=32767,
        help_text="Position of the step the rule applies to.",
    )
    min_interval = _interval("Window start, minimum gap, or booster due from.")
    max_interval = _interval("Window end, or booster due until.")
    period = _interval("Rolling period of a cap, e.g. P7D.")

    class Meta:
        model = TemplateRule
        fields = ["id", "kind", "step_position", "min_interval", "max_interval", "max_count", "period"]
        read_only_fields = ["id"]


class TemplatePrerequisiteSerializer(serializers.ModelSerializer):
    class Meta:
        model = TemplatePrerequisite
        fields = ["kind", "max_age_days"]
        # Duplicates are the service's to report, with the index of the offending row.
        validators: list = []


class ScaleScheduleItemSerializer(serializers.ModelSerializer):
    class Meta:
        model = ScaleScheduleItem
        fields = ["scale", "timing", "interval_days"]
        validators: list = []


class ProgramTemplateSerializer(serializers.ModelSerializer):
    """A template with all its parts. On write, each list given replaces the stored one (drafts only)."""

    clinic = ClinicScopedPrimaryKeyRelatedField(
        clinic_lookup="id",
        queryset=Clinic.objects.all(),
        required=False,
        allow_null=True,
        help_text="Empty: offered at every clinic of the organisation.",
    )
    steps = TemplateStepSerializer(many=True, required=False)
    rules = TemplateRuleSerializer(many=True, required=False)
    prerequisites = TemplatePrerequisiteSerializer(many=True, required=False)
    scale_schedule = ScaleScheduleItemSerializer(many=True, required=False)

    class Meta:
        model = ProgramTemplate
        fields = [
            "id",
            "family",
            "name",
            "description",
            "pathway",
            "clinic",
            "version",
            "state",
            "published_at",
            "retired_at",
            "created_by",
            "created_at",
            "steps",
            "rules",
            "prerequisites",
            "scale_schedule",
        ]
        read_only_fields = ["family", "version", "state", "published_at", "retired_at", "created_by", "created_at"]


# --- enrollments ---------------------------------------------------------------------------------


class VisibleTemplateField(serializers.PrimaryKeyRelatedField):
    """A template the requesting user may see: organisation-wide, or of a clinic where they act."""

    def get_queryset(self):
        request = self.context.get("request")
        view = self.context.get("view")
        if request is None or view is None:
            return ProgramTemplate.objects.none()
        operation = view_operation(view, request)
        clinic_ids = clinics_for(request.user, operation) if operation else frozenset()
        return selectors.templates_visible_to(user=request.user, clinic_ids=clinic_ids)


class EnrollmentSerializer(serializers.ModelSerializer):
    template_name = serializers.CharField(source="template.name", read_only=True)
    template_version = serializers.IntegerField(source="template.version", read_only=True)

    class Meta:
        model = Enrollment
        fields = [
            "id",
            "patient",
            "template",
            "template_name",
            "template_version",
            "clinic",
            "pathway",
            "status",
            "status_reason",
            "status_changed_at",
            "status_changed_by",
            "enrolled_by",
            "enrolled_at",
        ]
        read_only_fields = fields


class EnrollmentCreateSerializer(serializers.Serializer):
    patient = ClinicScopedPrimaryKeyRelatedField(clinic_lookup="home_clinic", queryset=Patient.objects.all())
    template = VisibleTemplateField(queryset=ProgramTemplate.objects.none())


class EnrollmentStatusChangeSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")


class EnrollmentReasonedChangeSerializer(serializers.Serializer):
    """Pausing and withdrawing say why: the schema states it, so a missing reason fails on the field."""

    reason = serializers.CharField(max_length=2000)


class PlannedSessionSerializer(serializers.ModelSerializer):
    step_label = serializers.CharField(source="step.label", read_only=True)

    class Meta:
        model = PlannedSession
        fields = [
            "id",
            "sequence",
            "step",
            "step_label",
            "occurrence",
            "kind",
            "status",
            "status_changed_at",
            "linked_dosing",
            "window_min",
            "window_max",
        ]
        read_only_fields = fields


class StepProgressSerializer(serializers.Serializer):
    step = serializers.IntegerField()
    position = serializers.IntegerField()
    label = serializers.CharField()
    kind = serializers.CharField()
    planned = serializers.IntegerField()
    completed = serializers.IntegerField()
    booked = serializers.IntegerField()
    to_book = serializers.IntegerField()
    cancelled = serializers.IntegerField()


class ProgressTotalsSerializer(serializers.Serializer):
    to_book = serializers.IntegerField()
    booked = serializers.IntegerField()
    completed = serializers.IntegerField()
    cancelled = serializers.IntegerField()


class EnrollmentProgressSerializer(serializers.Serializer):
    enrollment = serializers.IntegerField()
    status = serializers.CharField()
    steps = StepProgressSerializer(many=True)
    totals = ProgressTotalsSerializer()
    next_session = PlannedSessionSerializer(allow_null=True, help_text="The first session of the plan still to book.")
    booster_due_from = PlausibleDateField(allow_null=True)
    booster_due_until = PlausibleDateField(allow_null=True)
    prerequisites = TemplatePrerequisiteSerializer(
        many=True, help_text="What each dosing session requires (records arrive with charting)."
    )
