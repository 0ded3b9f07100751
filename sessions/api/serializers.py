"""Request and response shapes of the scheduling API. Status, times of transitions, clinic of a
session and who booked it are never client-settable: only services write them."""

from __future__ import annotations

import datetime as dt

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db.models import OuterRef, Value
from django.db.models.functions import Concat
from rest_framework import serializers

from kat_clinic.access.fields import ClinicScopedPrimaryKeyRelatedField
from kat_clinic.api.fields import TimeZoneField
from kat_clinic.api.filters import QuerySerializer
from kat_clinic.api.lean import FieldsBuiltOnce, LeanComposite, LeanRepresentationMixin
from kat_clinic.api.lean_rows import row_plan
from kat_clinic.api.times import AwareDateTimeField, PlausibleDateField
from kat_clinic.compiled_query import Prepared
from kat_clinic.models import Clinic, Patient, Room, StaffMember
from kat_clinic.roles import Role
from programs.choices import Medication, SessionKind, StaffMode
from programs.models import Enrollment, PlannedSession
from sessions.models import Session, StaffAssignment
from sessions.selectors import AssignmentRow, assignments_of_session, assignments_of_sessions
from sessions.services.linked_integration import LinkedIntegration


class StaffField(ClinicScopedPrimaryKeyRelatedField):
    """A staff member of a clinic where the operation is allowed (distinct: several memberships)."""

    def __init__(self, **kwargs):
        super().__init__(clinic_lookup="memberships__clinic", queryset=StaffMember.objects.all(), **kwargs)

    def get_queryset(self):
        return super().get_queryset().distinct()


def clinic_field(**kwargs):
    return ClinicScopedPrimaryKeyRelatedField(clinic_lookup="id", queryset=Clinic.objects.all(), **kwargs)


def patient_field(queryset=None, **kwargs):
    """A patient of a clinic in scope; `queryset` may narrow the columns read (`only()`)."""
    return ClinicScopedPrimaryKeyRelatedField(
        clinic_lookup="home_clinic", queryset=Patient.objects.all() if queryset is None else queryset, **kwargs
    )


def room_field(**kwargs):
    return ClinicScopedPrimaryKeyRelatedField(clinic_lookup="clinic", queryset=Room.objects.all(), **kwargs)


# Dates a clinic can schedule on: keeps date arithmetic (a day or a horizon later) far from the
# limits of the calendar, so an absurd date is a 400, never an overflow.
EARLIEST_DATE = dt.date(2000, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)


def schedule_date(**kwargs) -> serializers.DateField:
    return PlausibleDateField(validators=[MinValueValidator(EARLIEST_DATE), MaxValueValidator(LATEST_DATE)], **kwargs)


def schedule_datetime(**kwargs) -> serializers.DateTimeField:
    return AwareDateTimeField(
        validators=[
            MinValueValidator(dt.datetime(2000, 1, 1, tzinfo=dt.UTC)),
            MaxValueValidator(dt.datetime(2100, 12, 31, tzinfo=dt.UTC)),
        ],
        **kwargs,
    )


# --- responses -----------------------------------------------------------------------------------


class StaffAssignmentSerializer(LeanRepresentationMixin, serializers.ModelSerializer):
    staff_name = serializers.SerializerMethodField()
    # The same name from the columns of a row read without instances (kat_clinic/api/lean_rows.py).
    lean_row_methods = {
        "staff_name": (("staff__first_name", "staff__last_name", "staff__credentials_suffix"), StaffMember.display_name)
    }
    # And as PostgreSQL writes it, for a list read as JSON text (lean_rows.json_rows_text).
    lean_row_sql = {"staff_name": lambda: StaffMember.display_name_sql("staff__")}

    class Meta:
        model = StaffAssignment
        fields = ["id", "staff", "staff_name", "role", "mode", "lane", "starts_at", "ends_at", "active"]
        read_only_fields = fields

    def get_staff_name(self, obj: StaffAssignment | AssignmentRow) -> str:
        # The session list reads its assignments as rows, the name with them (sessions/selectors.py).
        return obj.staff_name if isinstance(obj, AssignmentRow) else str(obj.staff)


def _patient_name(first_name: str, last_name: str) -> str:
    return f"{first_name} {last_name}"


# A page of the session list read as rows: its sessions' assignments in one query, written from
# their columns (kat_clinic/api/lean_rows.py), in the order the instances' rows have them.
# (By whether the current zone is UTC: then their times are read as text.)
_ASSIGNMENT_ROWS = {
    utc: Prepared(
        lambda utc=utc: row_plan(StaffAssignmentSerializer, ("session_id",)).values_list(assignments_of_sessions(), utc)
    )
    for utc in (False, True)
}


def _written_assignments(session_ids: list[int], utc: bool) -> dict[int, list[dict]]:
    plan = row_plan(StaffAssignmentSerializer, ("session_id",))
    rows = list(_ASSIGNMENT_ROWS[utc].bind(sessions=session_ids))
    session_at = plan.index("session_id")
    by_session: dict[int, list[dict]] = {}
    for row, written in zip(rows, plan.represent(rows, utc), strict=True):
        by_session.setdefault(row[session_at], []).append(written)
    return by_session


class SessionSerializer(LeanRepresentationMixin, serializers.ModelSerializer):
    patient_name = serializers.SerializerMethodField()
    assignments = StaffAssignmentSerializer(many=True, read_only=True)
    # A page read as rows (kat_clinic/api/lean_rows.py): the name from the patient's columns, the
    # assignments in one more query for the page (in a zone other than UTC).
    lean_row_methods = {"patient_name": (("patient__first_name", "patient__last_name"), _patient_name)}
    # And as PostgreSQL writes it, for a page written whole in UTC (lean_rows.written_row).
    lean_row_sql = {"patient_name": lambda: Concat("patient__first_name", Value(" "), "patient__last_name")}
    lean_row_children = {"assignments": _written_assignments}
    # Where the current zone is UTC, each session's assignments are written by PostgreSQL as JSON
    # text in the page's own query (lean_rows.json_rows_text).
    lean_row_json_children = {"assignments": lambda: assignments_of_session(OuterRef("pk"))}

    class Meta:
        model = Session
        fields = [
            "id",
            "clinic",
            "patient",
            "patient_name",
            "kind",
            "status",
            "active",
            "starts_at",
            "ends_at",
            "block_starts_at",
            "block_ends_at",
            "room",
            "telehealth",
            "planned_session",
            "enrollment",
            "assignments",
            "booked_by",
            "checked_in_at",
            "started_at",
            "completed_at",
            "cancelled_at",
            "cancelled_by",
            "cancellation_reason",
            "late_cancel",
            "no_show_at",
            "no_show_by",
            "rescheduled_from",
            "created_at",
        ]
        read_only_fields = fields

    def get_patient_name(self, obj: Session) -> str:
        return _patient_name(obj.patient.first_name, obj.patient.last_name)


class LinkedIntegrationSessionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.ChoiceField(choices=Session.Status.choices)
    starts_at = AwareDateTimeField(help_text="In the clinic's local time, with its offset.")


class LinkedIntegrationOutcomeSerializer(serializers.Serializer):
    choice = serializers.ChoiceField(choices=LinkedIntegration.choices, help_text="What was done.")
    default = serializers.ChoiceField(choices=LinkedIntegration.choices)
    chosen_by_default = serializers.BooleanField(help_text="True when the request did not say.")
    choices = serializers.ListField(child=serializers.ChoiceField(choices=LinkedIntegration.choices))
    sessions = LinkedIntegrationSessionSerializer(many=True, help_text="The dosing's booked integration sessions.")


class SessionReleasedSerializer(SessionSerializer):
    """A cancelled or no-show session; for a dosing session, what became of its integration."""

    linked_integration = LinkedIntegrationOutcomeSerializer(
        required=False, help_text="Only for a dosing session: what was done with its booked integration sessions."
    )

    class Meta(SessionSerializer.Meta):
        fields = [*SessionSerializer.Meta.fields, "linked_integration"]
        read_only_fields = SessionSerializer.Meta.fields


class ConflictItemSerializer(serializers.Serializer):
    resource = serializers.CharField()
    id = serializers.IntegerField(required=False)
    session = serializers.IntegerField(required=False, allow_null=True)
    range = serializers.ListField(child=AwareDateTimeField(), required=False)
    constraint = serializers.CharField(allow_null=True)


class ConflictProblemSerializer(serializers.Serializer):
    """What a booking clash adds to the problem details (the schema combines it with `Problem`)."""

    conflicts = ConflictItemSerializer(many=True, required=False)


class OptionStaffSerializer(FieldsBuiltOnce, serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)
    mode = serializers.ChoiceField(choices=StaffMode.choices)
    staff = serializers.IntegerField()


class OptionSerializer(LeanComposite, serializers.Serializer):
    starts_at = AwareDateTimeField()
    ends_at = AwareDateTimeField()
    block_ends_at = AwareDateTimeField()
    room = serializers.IntegerField(allow_null=True)
    telehealth = serializers.BooleanField()
    staff = OptionStaffSerializer(many=True)
    score = serializers.IntegerField()


class ProgramItemSerializer(OptionSerializer):
    planned_session = serializers.IntegerField()
    sequence = serializers.IntegerField()


class ProgramBookingResultSerializer(serializers.Serializer):
    preview = serializers.BooleanField()
    proposal = ProgramItemSerializer(many=True)
    sessions = SessionSerializer(many=True)


# --- requests ------------------------------------------------------------------------------------
# Each body's serializer builds its fields once per class (`FieldsBuiltOnce`), where DRF deep-copies
# the declared fields for every request: a tenth of an availability search's CPU.


class StaffRoleSerializer(FieldsBuiltOnce, serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)
    staff = StaffField()


class AdhocStaffSerializer(StaffRoleSerializer):
    mode = serializers.ChoiceField(choices=StaffMode.choices)


def _by_role(items: list[dict]) -> dict[str, StaffMember]:
    roles = [i["role"] for i in items]
    if len(set(roles)) != len(roles):
        raise serializers.ValidationError("Name each role once.")
    return {i["role"]: i["staff"] for i in items}


class BookSessionSerializer(FieldsBuiltOnce, serializers.Serializer):
    """An ad-hoc session: every staff member is needed for the whole block."""

    clinic = clinic_field()
    patient = patient_field()
    kind = serializers.ChoiceField(choices=SessionKind.choices)
    starts_at = schedule_datetime()
    session_minutes = serializers.IntegerField(min_value=5, max_value=24 * 60)
    block_minutes = serializers.IntegerField(min_value=5, max_value=24 * 60)
    room = room_field(required=False, allow_null=True)
    telehealth = serializers.BooleanField(default=False)
    medication = serializers.ChoiceField(choices=Medication.choices, required=False, allow_blank=True)
    staff = AdhocStaffSerializer(many=True, required=False, default=list)

    def validate(self, attrs):
        if attrs["block_minutes"] < attrs["session_minutes"]:
            raise serializers.ValidationError({"block_minutes": ["The block must cover the session."]})
        return attrs


class BookPlannedSerializer(FieldsBuiltOnce, serializers.Serializer):
    planned_session = ClinicScopedPrimaryKeyRelatedField(
        clinic_lookup="enrollment__clinic", queryset=PlannedSession.objects.select_related("enrollment")
    )
    starts_at = schedule_datetime()
    room = room_field(required=False, allow_null=True)
    telehealth = serializers.BooleanField(default=False)
    staff = StaffRoleSerializer(many=True)

    def validate_staff(self, value):
        return _by_role(value)


LINKED_INTEGRATION_HELP = (
    "For a dosing session: what to do with its booked integration session. "
    "`cancel` (the default) or `keep`; the answer's `linked_integration` states what was done."
)


class NoShowSerializer(FieldsBuiltOnce, serializers.Serializer):
    linked_integration = serializers.ChoiceField(
        choices=LinkedIntegration.choices, required=False, help_text=LINKED_INTEGRATION_HELP
    )


class CancelSerializer(NoShowSerializer):
    reason = serializers.CharField(max_length=300)


class RescheduleSerializer(FieldsBuiltOnce, serializers.Serializer):
    starts_at = schedule_datetime()
    room = room_field(required=False, allow_null=True)
    staff = StaffRoleSerializer(many=True, required=False)

    def validate_staff(self, value):
        return _by_role(value)


class MoveSerializer(FieldsBuiltOnce, serializers.Serializer):
    session = serializers.IntegerField()
    starts_at = schedule_datetime()
    room = room_field(required=False, allow_null=True)
    telehealth = serializers.BooleanField(default=False)
    staff = StaffRoleSerializer(many=True)

    def validate_staff(self, value):
        return _by_role(value)


class RescheduleTogetherSerializer(FieldsBuiltOnce, serializers.Serializer):
    moves = MoveSerializer(many=True, min_length=1, max_length=10)


class PreferencesSerializer(FieldsBuiltOnce, serializers.Serializer):
    staff = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    rooms = serializers.ListField(child=serializers.IntegerField(), required=False, default=list)
    weekdays = serializers.ListField(
        child=serializers.IntegerField(min_value=0, max_value=6),
        required=False,
        default=list,
        help_text="0 = Monday ... 6 = Sunday",
    )
    earliest = serializers.TimeField(required=False, allow_null=True, help_text="Local time of day, start from.")
    latest = serializers.TimeField(required=False, allow_null=True, help_text="Local time of day, start by.")


class NeedSerializer(FieldsBuiltOnce, serializers.Serializer):
    role = serializers.ChoiceField(choices=Role.choices)
    mode = serializers.ChoiceField(choices=StaffMode.choices)


class SearchSerializer(FieldsBuiltOnce, serializers.Serializer):
    """Search for a planned session, or for a session kind with its durations and staff needs."""

    clinic = clinic_field()
    # A search uses the patient's id: the name, contact details and the rest of the row are not read.
    patient = patient_field(queryset=Patient.objects.only("id", "home_clinic"))
    planned_session = ClinicScopedPrimaryKeyRelatedField(
        clinic_lookup="enrollment__clinic",
        queryset=PlannedSession.objects.select_related("enrollment", "step"),
        required=False,
        allow_null=True,
    )
    kind = serializers.ChoiceField(choices=SessionKind.choices, required=False)
    session_minutes = serializers.IntegerField(min_value=5, max_value=24 * 60, required=False)
    block_minutes = serializers.IntegerField(min_value=5, max_value=24 * 60, required=False)
    needs = NeedSerializer(many=True, required=False, default=list)
    room_kind = serializers.ChoiceField(choices=Room.Kind.choices, required=False, allow_blank=True)
    room_capability = serializers.ChoiceField(choices=Room.Capability.choices, required=False, allow_blank=True)
    telehealth = serializers.BooleanField(default=False)
    date_from = schedule_date()
    date_to = schedule_date()
    preferences = PreferencesSerializer(required=False)
    limit = serializers.IntegerField(min_value=1, max_value=100, default=10)

    def validate(self, attrs):
        if attrs.get("planned_session") is None:
            missing = [f for f in ("kind", "session_minutes", "block_minutes") if f not in attrs]
            if missing:
                raise serializers.ValidationError({f: ["Required without a planned session."] for f in missing})
        return attrs


class ProgramBookingSerializer(FieldsBuiltOnce, serializers.Serializer):
    enrollment = ClinicScopedPrimaryKeyRelatedField(clinic_lookup="clinic", queryset=Enrollment.objects.all())
    date_from = schedule_date()
    horizon_days = serializers.IntegerField(min_value=1, max_value=120, default=56)
    preview = serializers.BooleanField(default=False)
    preferences = PreferencesSerializer(required=False)


class DayBoardStaffSerializer(serializers.Serializer):
    staff = serializers.IntegerField()
    name = serializers.CharField()
    role = serializers.CharField()
    mode = serializers.CharField()
    lane = serializers.IntegerField(allow_null=True)


class DayBoardPatientSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class DayBoardFlagsSerializer(serializers.Serializer):
    late = serializers.BooleanField()
    late_cancel = serializers.BooleanField()
    prerequisite_missing = serializers.BooleanField(allow_null=True)
    ride_not_confirmed = serializers.BooleanField(allow_null=True)


class DayBoardLinkedSerializer(serializers.Serializer):
    """A program partner of a board session: its dosing session, or its integration sessions."""

    id = serializers.IntegerField()
    kind = serializers.CharField()
    status = serializers.CharField()
    starts_at = AwareDateTimeField()


class DayBoardSessionSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    patient = DayBoardPatientSerializer()
    kind = serializers.CharField()
    status = serializers.CharField()
    starts_at = AwareDateTimeField()
    ends_at = AwareDateTimeField()
    block_starts_at = AwareDateTimeField()
    block_ends_at = AwareDateTimeField()
    room = serializers.IntegerField(allow_null=True)
    telehealth = serializers.BooleanField()
    staff = DayBoardStaffSerializer(many=True)
    linked = DayBoardLinkedSerializer(many=True)
    flags = DayBoardFlagsSerializer()
    authorization = serializers.ChoiceField(
        choices=["active", "missing", "not_required"],
        allow_null=True,
        help_text="The prior authorization's status for this session (none of its detail); null when not known.",
    )


class DayBoardRoomSerializer(serializers.Serializer):
    room = serializers.IntegerField()
    name = serializers.CharField()
    sessions = serializers.ListField(child=serializers.IntegerField())


class DayBoardStaffRowSerializer(serializers.Serializer):
    staff = serializers.IntegerField()
    name = serializers.CharField()
    sessions = serializers.ListField(child=serializers.IntegerField())


class DayBoardSerializer(serializers.Serializer):
    clinic = serializers.IntegerField()
    date = PlausibleDateField()
    timezone = TimeZoneField()
    sessions = DayBoardSessionSerializer(many=True)
    by_room = DayBoardRoomSerializer(many=True)
    by_staff = DayBoardStaffRowSerializer(many=True)


class DayBoardQuerySerializer(QuerySerializer):
    clinic = serializers.IntegerField()
    date = PlausibleDateField()
