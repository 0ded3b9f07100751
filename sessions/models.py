"""Booked sessions, their staff assignments, and the availability they are booked against.

No-overlap rules live in PostgreSQL as exclusion constraints over `tstzrange(start, end, '[)')`,
so two concurrent bookings cannot both succeed whatever the Python side checked first.
Cancelled and no-show rows carry `active = false` and drop out of every constraint.
"""

from __future__ import annotations

import datetime as dt

import pghistory
import pgtrigger
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import DateTimeRangeField, IntegerRangeField, RangeBoundary, RangeOperators
from django.db import models
from django.db.models import F, Func, Q, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from kat_clinic.roles import Role
from programs.choices import SessionKind, StaffMode

# No block or assignment is longer than this (check constraints hold it), so "overlaps [a, b)" can
# also say "starts after a - MAX_BLOCK", which lets a btree index on the start time bound the scan.
MAX_BLOCK = dt.timedelta(hours=24)

# Exclusive assignments occupy lanes [0, ALL_LANES_END); shared ones occupy [lane, lane + 1).
ALL_LANES_END = 32767


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = DateTimeRangeField()


class Int4Range(Func):
    function = "INT4RANGE"
    output_field = IntegerRangeField()


def _block_range(start: str, end: str) -> TsTzRange:
    return TsTzRange(start, end, RangeBoundary(inclusive_lower=True, inclusive_upper=False))


# Row history: every booking, status change and cancellation keeps its previous row and who made it.
@pghistory.track()
class Session(models.Model):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        CHECKED_IN = "checked_in", "Checked in"
        IN_PROGRESS = "in_progress", "In progress"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        NO_SHOW = "no_show", "No-show"

    ACTIVE_STATUSES = (Status.SCHEDULED, Status.CHECKED_IN, Status.IN_PROGRESS, Status.COMPLETED)
    INACTIVE_STATUSES = (Status.CANCELLED, Status.NO_SHOW)

    clinic = models.ForeignKey("kat_clinic.Clinic", on_delete=models.PROTECT, related_name="sessions")
    patient = models.ForeignKey("kat_clinic.Patient", on_delete=models.PROTECT, related_name="sessions")
    kind = models.CharField(max_length=32, choices=SessionKind.choices)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCHEDULED)
    # Mirrors status (a check constraint keeps them equal) because the exclusion constraints need a
    # plain predicate: cancelled and no-show sessions no longer hold their room or their patient.
    active = models.BooleanField(default=True)
    # The visible session (what the patient is told) and the whole block, monitoring and recovery
    # included, for which room and staff are busy.
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    block_starts_at = models.DateTimeField()
    block_ends_at = models.DateTimeField()
    room = models.ForeignKey(
        "kat_clinic.Room", on_delete=models.PROTECT, null=True, blank=True, related_name="sessions"
    )
    telehealth = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    booked_by = models.ForeignKey(
        "kat_clinic.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(
        "kat_clinic.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField(null=True, blank=True)
    started_by = models.ForeignKey(
        "kat_clinic.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(
        "kat_clinic.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancelled_by = models.ForeignKey(
        "kat_clinic.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    cancellation_reason = models.CharField(max_length=300, blank=True)
    late_cancel = models.BooleanField(default=False)
    no_show_at = models.DateTimeField(null=True, blank=True)
    no_show_by = models.ForeignKey(
        "kat_clinic.StaffMember", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # A session books one planned session of an enrollment, or stands alone (ad-hoc visit).
    planned_session = models.ForeignKey(
        "programs.PlannedSession", on_delete=models.PROTECT, null=True, blank=True, related_name="bookings"
    )
    enrollment = models.ForeignKey(
        "programs.Enrollment", on_delete=models.PROTECT, null=True, blank=True, related_name="sessions"
    )
    # The session this one replaced when it was rescheduled (the old one is cancelled).
    rescheduled_from = models.OneToOneField(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="rescheduled_to"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(starts_at__lt=F("ends_at")), name="session_starts_before_ends"),
            models.CheckConstraint(
                condition=Q(block_starts_at__lte=F("starts_at")) & Q(block_ends_at__gte=F("ends_at")),
                name="session_block_covers_session",
            ),
            models.CheckConstraint(
                condition=Q(block_ends_at__lte=F("block_starts_at") + MAX_BLOCK), name="session_block_at_most_a_day"
            ),
            models.CheckConstraint(
                condition=Q(active=True, status__in=["scheduled", "checked_in", "in_progress", "completed"])
                | Q(active=False, status__in=["cancelled", "no_show"]),
                name="session_active_matches_status",
            ),
            models.UniqueConstraint(
                fields=["planned_session"],
                condition=Q(active=True, planned_session__isnull=False),
                name="session_one_active_booking_per_planned",
            ),
            models.CheckConstraint(
                condition=Q(planned_session__isnull=True) | Q(enrollment__isnull=False),
                name="session_planned_has_enrollment",
            ),
            ExclusionConstraint(
                name="session_no_room_overlap",
                expressions=[
                    ("room", RangeOperators.EQUAL),
                    (_block_range("block_starts_at", "block_ends_at"), RangeOperators.OVERLAPS),
                ],
                condition=Q(active=True, room__isnull=False),
            ),
            ExclusionConstraint(
                name="session_no_patient_overlap",
                expressions=[
                    ("patient", RangeOperators.EQUAL),
                    (_block_range("block_starts_at", "block_ends_at"), RangeOperators.OVERLAPS),
                ],
                condition=Q(active=True),
            ),
        ]
        indexes = [
            models.Index(fields=["clinic", "block_starts_at"], name="session_clinic_start_idx"),
            models.Index(fields=["patient", "block_starts_at"], name="session_patient_start_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for patient {self.patient_id} at {self.starts_at:%Y-%m-%d %H:%M}"


class StaffAssignment(models.Model):
    """One staff member's part in a session: role, mode and the time range they are needed.

    Capacity is enforced by a single exclusion constraint over (staff, lanes, time range):
    a nurse monitoring shared chairs holds one numbered lane per session (1..clinic capacity,
    picked by the booking service), and two shared assignments clash only on the same lane, so at
    most N overlap. An exclusive assignment holds every lane at once (lane NULL, lanes
    [0, 32767)), so it clashes with any exclusive or shared assignment of the same person over
    the same time. "Present" assignments are outside the constraint: being on site ties nobody up.
    """

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="assignments")
    staff = models.ForeignKey("kat_clinic.StaffMember", on_delete=models.PROTECT, related_name="assignments")
    role = models.CharField(max_length=16, choices=Role.choices)
    mode = models.CharField(max_length=16, choices=StaffMode.choices)
    lane = models.PositiveSmallIntegerField(null=True, blank=True)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    # Copied from the session in the same transaction as every status change (session services).
    active = models.BooleanField(default=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(starts_at__lt=F("ends_at")), name="staffassignment_starts_before_ends"),
            models.CheckConstraint(
                condition=Q(ends_at__lte=F("starts_at") + MAX_BLOCK), name="staffassignment_at_most_a_day"
            ),
            models.CheckConstraint(
                condition=Q(mode="shared", lane__gte=1, lane__lt=ALL_LANES_END)
                | (Q(mode__in=["exclusive", "present"]) & Q(lane__isnull=True)),
                name="staffassignment_lane_matches_mode",
            ),
            models.UniqueConstraint(fields=["session", "staff", "role"], name="staffassignment_unique_role"),
            ExclusionConstraint(
                name="staffassignment_no_staff_overlap",
                expressions=[
                    ("staff", RangeOperators.EQUAL),
                    (
                        Int4Range(Coalesce("lane", Value(0)), Coalesce(F("lane") + 1, Value(ALL_LANES_END))),
                        RangeOperators.OVERLAPS,
                    ),
                    (_block_range("starts_at", "ends_at"), RangeOperators.OVERLAPS),
                ],
                condition=Q(active=True) & ~Q(mode="present"),
            ),
        ]
        indexes = [models.Index(fields=["staff", "starts_at"], name="assignment_staff_start_idx")]
        triggers = [
            # The lane bound depends on the clinic's configured capacity, which a check constraint
            # cannot read; without it, lane N + 1 would let an (N + 1)th chair through.
            pgtrigger.Trigger(
                name="staffassignment_lane_within_capacity",
                when=pgtrigger.Before,
                operation=pgtrigger.Insert | pgtrigger.Update,
                condition=pgtrigger.Q(new__lane__isnull=False),
                func="""
                IF NEW.lane > (
                    SELECT c.nurse_shared_capacity FROM clinic_sessions_session s
                    JOIN kat_clinic_clinic c ON c.id = s.clinic_id WHERE s.id = NEW.session_id
                ) THEN
                    RAISE EXCEPTION 'lane % exceeds the clinic''s shared capacity', NEW.lane
                        USING ERRCODE = 'check_violation', CONSTRAINT = 'staffassignment_lane_within_capacity';
                END IF;
                RETURN NEW;
                """,
            ),
        ]


class SchedulingPolicy(models.Model):
    """Per-clinic scheduling settings that the clinic model does not carry."""

    clinic = models.OneToOneField("kat_clinic.Clinic", on_delete=models.CASCADE, related_name="scheduling_policy")
    late_cancel_hours = models.PositiveSmallIntegerField(
        default=24, help_text="A cancellation closer than this to the start is flagged late."
    )
    slot_minutes = models.PositiveSmallIntegerField(default=15, help_text="Grid on which searches propose starts.")
    # Check-in and start are allowed only from this long before the booked start to this long after.
    status_window_before_minutes = models.PositiveSmallIntegerField(
        default=120, help_text="Check-in and start open this many minutes before the booked start."
    )
    status_window_after_minutes = models.PositiveSmallIntegerField(
        default=120, help_text="Check-in and start close this many minutes after the booked start."
    )

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(slot_minutes__gte=5), name="schedulingpolicy_slot_at_least_5")
        ]


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class WorkingHours(models.Model):
    """A staff member's weekly hours at one clinic, in the clinic's local clock time.

    "Monday 09:00-17:00" means 09:00 local on every Monday, whatever the UTC offset that day.
    """

    staff = models.ForeignKey("kat_clinic.StaffMember", on_delete=models.CASCADE, related_name="working_hours")
    clinic = models.ForeignKey("kat_clinic.Clinic", on_delete=models.CASCADE, related_name="working_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField()
    end_time = models.TimeField()
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(start_time__lt=F("end_time")), name="workinghours_starts_before_ends"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="workinghours_weekday_valid"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_from__lte=F("valid_until")),
                name="workinghours_valid_range",
            ),
        ]
        indexes = [models.Index(fields=["clinic", "staff"], name="workinghours_clinic_staff_idx")]


class AvailabilityException(models.Model):
    """Time off (removes hours) or an extra shift (adds hours) for one staff member, as aware instants."""

    class Kind(models.TextChoices):
        TIME_OFF = "time_off", "Time off"
        EXTRA_SHIFT = "extra_shift", "Extra shift"

    staff = models.ForeignKey(
        "kat_clinic.StaffMember", on_delete=models.CASCADE, related_name="availability_exceptions"
    )
    # An extra shift is worked at one clinic; time off applies everywhere (clinic NULL).
    clinic = models.ForeignKey("kat_clinic.Clinic", on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(starts_at__lt=F("ends_at")), name="availabilityexception_starts_before_ends"
            ),
            models.CheckConstraint(
                condition=Q(kind="time_off") | Q(clinic__isnull=False),
                name="availabilityexception_extra_shift_has_clinic",
            ),
        ]


class RoomHours(models.Model):
    """Weekly opening hours of a room in the clinic's local time. A room without rows is always open."""

    room = models.ForeignKey("kat_clinic.Room", on_delete=models.CASCADE, related_name="opening_hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField()
    end_time = models.TimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(start_time__lt=F("end_time")), name="roomhours_starts_before_ends"),
            models.CheckConstraint(condition=Q(weekday__lte=6), name="roomhours_weekday_valid"),
        ]


class ClinicClosure(models.Model):
    """The whole clinic is closed (holiday, works): nothing can be booked inside."""

    clinic = models.ForeignKey("kat_clinic.Clinic", on_delete=models.CASCADE, related_name="closures")
    starts_at = models.DateTimeField()
    ends_at = models.DateTimeField()
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=Q(starts_at__lt=F("ends_at")), name="clinicclosure_starts_before_ends"),
        ]


class ClinicHoliday(models.Model):
    """A public holiday the clinic marks as closed, the whole local day. A fixed-date holiday
    (25 December) repeats every year from the year of `date`; a movable one (Thanksgiving) is listed
    for each year with its date. Nothing is booked or proposed on it (`sessions.availability`)."""

    clinic = models.ForeignKey("kat_clinic.Clinic", on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField(help_text="The local date; for a yearly holiday, its first year.")
    name = models.CharField(max_length=200)
    repeats_yearly = models.BooleanField(default=False, help_text="The same day and month every year.")

    class Meta:
        ordering = ["clinic_id", "date"]
        constraints = [
            models.UniqueConstraint(fields=["clinic", "date"], name="clinicholiday_one_per_day"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.date:%d %B}{' yearly' if self.repeats_yearly else f' {self.date.year}'})"

    def falls_on(self, day: dt.date) -> bool:
        if not self.repeats_yearly:
            return day == self.date
        return day.year >= self.date.year and (day.month, day.day) == (self.date.month, self.date.day)
