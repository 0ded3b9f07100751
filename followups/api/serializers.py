from __future__ import annotations

from rest_framework import serializers

from followups.models import FollowUp
from followups.selectors import BUCKETS
from kat_clinic.api.filters import QuerySerializer
from kat_clinic.api.lean import LeanRepresentationMixin
from kat_clinic.models import StaffMember
from kat_clinic.roles import Role


def _staff_name(staff_id: int | None, *names: str) -> str | None:
    """The addressee's name, from the staff member's columns; None for an item to a role or patient."""
    return StaffMember.display_name(*names) if staff_id else None


class FollowUpSerializer(LeanRepresentationMixin, serializers.ModelSerializer):
    # Blank unless the follow-up is addressed to a role: the schema must say so.
    role = serializers.ChoiceField(choices=Role.choices, allow_blank=True, read_only=True)
    # Who the item is addressed to, by name (staff names are not health information).
    staff_name = serializers.SerializerMethodField()
    # The same name from the columns of a row read without instances (kat_clinic/api/lean_rows.py).
    lean_row_methods = {
        "staff_name": (("staff_id", "staff__first_name", "staff__last_name", "staff__credentials_suffix"), _staff_name)
    }

    class Meta:
        model = FollowUp
        fields = [
            "id",
            "clinic",
            "kind",
            "channel",
            "target",
            "role",
            "staff",
            "staff_name",
            "patient",
            "session",
            "alert",
            "payload",
            "due_at",
            "status",
            "attempts",
            "last_error",
            "sent_at",
            "cancelled_at",
            "acknowledged_at",
            "acknowledged_by",
        ]
        read_only_fields = fields

    def get_staff_name(self, followup: FollowUp) -> str | None:
        return str(followup.staff) if followup.staff_id else None  # (str: StaffMember.display_name)


class FollowUpQueueQuerySerializer(QuerySerializer):
    bucket = serializers.ChoiceField(choices=BUCKETS, required=False)
    clinic = serializers.IntegerField(required=False)
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    kind = serializers.ChoiceField(choices=FollowUp.Kind.choices, required=False)
    patient = serializers.IntegerField(required=False)
    alert = serializers.IntegerField(required=False, help_text="The clinical alert's items and pages (its escalation).")


class SmsInboundSerializer(serializers.Serializer):
    # "from" is a Python keyword; the wire name stays the carrier's.
    locals()["from"] = serializers.CharField(max_length=40)
    body = serializers.CharField(max_length=1600, allow_blank=True)


class SmsInboundResultSerializer(serializers.Serializer):
    result = serializers.ChoiceField(choices=["stopped", "started", "ignored"])
