"""The calendar's reads (`sessions.calendar_loading.calendar_load`), each built and compiled once per
connection (`kat_clinic.compiled_query.Prepared`): an availability search and a booking read a
clinic's calendar on every request, and compiling its ten small queries cost about as much as
running them. A query limited to some rooms or staff members, or to none, is a variant of its own."""

from __future__ import annotations

import functools

from django.db.models import Q

from kat_clinic.compiled_query import Param, ParamArray, ParamIds, Prepared
from kat_clinic.models import ClinicCertification, ClinicMembership, Licence, Room
from programs.choices import StaffMode
from sessions.models import (
    AvailabilityException,
    ClinicClosure,
    ClinicHoliday,
    RoomHours,
    SchedulingPolicy,
    Session,
    StaffAssignment,
    WorkingHours,
)

CLOSURES = Prepared(
    lambda: ClinicClosure.objects.filter(
        clinic_id=Param("clinic"), starts_at__lt=Param("end"), ends_at__gt=Param("start")
    ).values_list("starts_at", "ends_at")
)

# The clinic's holidays on one of `days`, or repeating every year and first marked by `last_day`.
HOLIDAYS = Prepared(
    lambda: ClinicHoliday.objects.filter(clinic_id=Param("clinic")).filter(
        Q(date__in_array=ParamArray("days", "date")) | Q(repeats_yearly=True, date__lte=Param("last_day"))
    )
)


@functools.cache
def rooms(*, chosen: bool) -> Prepared:
    """The clinic's active rooms; `chosen`: only those of `rooms`."""

    def build():
        active = Room.objects.filter(clinic_id=Param("clinic"), active=True)
        return active.filter(pk__in_array=ParamIds("rooms")) if chosen else active

    return Prepared(build)


ROOM_HOURS = Prepared(
    lambda: RoomHours.objects.filter(room_id__in_array=ParamIds("rooms")).values_list(
        "room_id", "weekday", "start_time", "end_time", named=True
    )
)


@functools.cache
def members(*, chosen: bool) -> Prepared:
    """The clinic's active members' roles and names; `chosen`: only those of `staff`."""

    def build():
        active = ClinicMembership.objects.filter(clinic_id=Param("clinic"), active=True, staff__active=True)
        if chosen:
            active = active.filter(staff_id__in_array=ParamIds("staff"))
        return active.values_list("staff_id", "role", "staff__first_name", "staff__last_name")

    return Prepared(build)


WORKING_HOURS = Prepared(
    lambda: WorkingHours.objects.filter(clinic_id=Param("clinic"), staff_id__in_array=ParamIds("staff")).values_list(
        "staff_id", "weekday", "start_time", "end_time", "valid_from", "valid_until", named=True
    )
)

# Extra shifts and time off over [start, end): at this clinic, or at every clinic (none named).
EXCEPTIONS = Prepared(
    lambda: AvailabilityException.objects.filter(
        Q(clinic_id=Param("clinic")) | Q(clinic__isnull=True),
        staff_id__in_array=ParamIds("staff"),
        starts_at__lt=Param("end"),
        ends_at__gt=Param("start"),
    ).values_list("staff_id", "kind", "starts_at", "ends_at")
)

LICENCES = Prepared(lambda: Licence.objects.filter(staff_id__in_array=ParamIds("staff")))

REMS_CERTIFICATIONS = Prepared(
    lambda: ClinicCertification.objects.filter(
        clinic_id=Param("clinic"), kind=ClinicCertification.Kind.ESKETAMINE_REMS
    ).values_list("valid_from", "expires_on")
)

# Active sessions in the clinic's `rooms`, or of `patients` anywhere, whose blocks may overlap
# [start, end) (a block starts at most `longest` before it), except the `excluded` ones.
BUSY_SESSIONS = Prepared(
    lambda: (
        Session.objects.filter(
            Q(clinic_id=Param("clinic"), room_id__in_array=ParamIds("rooms"))
            | Q(patient_id__in_array=ParamIds("patients")),
            active=True,
            block_starts_at__gt=Param("earliest_start"),
            block_starts_at__lt=Param("end"),
            block_ends_at__gt=Param("start"),
        )
        .exclude(pk__in_array=ParamIds("excluded"))
        .values_list("pk", "room_id", "patient_id", "block_starts_at", "block_ends_at")
    )
)

# The `staff`'s active assignments that hold them (not the present-only mode) over [start, end).
BUSY_ASSIGNMENTS = Prepared(
    lambda: (
        StaffAssignment.objects.filter(
            staff_id__in_array=ParamIds("staff"),
            active=True,
            starts_at__gt=Param("earliest_start"),
            starts_at__lt=Param("end"),
            ends_at__gt=Param("start"),
        )
        .exclude(mode=StaffMode.PRESENT)
        .exclude(session_id__in_array=ParamIds("excluded"))
        .values_list("staff_id", "session_id", "lane", "starts_at", "ends_at")
    )
)

# The clinic's slot length in minutes: one row, or none when the clinic has no scheduling policy.
SLOT_MINUTES = Prepared(lambda: SchedulingPolicy.objects.filter(clinic_id=Param("clinic")).values_list("slot_minutes"))
