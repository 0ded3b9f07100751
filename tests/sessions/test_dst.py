"""Local clock time across daylight-saving changes, in two zones that change on different dates.

New York 2027: clocks spring forward on 14 March, fall back on 7 November.
London 2027: spring forward on 28 March, fall back on 31 October.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from kat_clinic.errors import RuleViolation
from kat_clinic.models import Clinic
from kat_clinic.roles import Role
from sessions import services
from sessions.calendar_loading import calendar_load
from sessions.timeutil import LocalTimeError, Policy, local_time_kind, local_to_aware, weekly_series
from tests.factories import PatientFactory, RoomFactory
from tests.sessions.conftest import NURSE_SHARED
from tests.sessions.factories import WorkingHoursFactory

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    ("tz", "day", "clock", "kind"),
    [
        (NEW_YORK, dt.date(2027, 3, 14), dt.time(2, 30), "nonexistent"),
        (NEW_YORK, dt.date(2027, 11, 7), dt.time(1, 30), "ambiguous"),
        (LONDON, dt.date(2027, 3, 28), dt.time(1, 30), "nonexistent"),
        (LONDON, dt.date(2027, 10, 31), dt.time(1, 30), "ambiguous"),
        (LONDON, dt.date(2027, 3, 14), dt.time(2, 30), "normal"),
        (NEW_YORK, dt.date(2027, 3, 28), dt.time(1, 30), "normal"),
    ],
)
def test_local_time_kind_knows_each_zones_own_transition_dates(tz, day, clock, kind):
    assert local_time_kind(day, clock, tz) == kind


def test_nonexistent_local_time_shifts_forward_by_the_gap():
    # when: 02:30 on the New York spring-forward night
    instant = local_to_aware(dt.date(2027, 3, 14), dt.time(2, 30), NEW_YORK, policy=Policy.SHIFT)

    # then: 03:30 daylight time, the same instant as 02:30 standard time would have been
    assert instant.isoformat() == "2027-03-14T03:30:00-04:00"


def test_ambiguous_local_time_takes_the_first_occurrence():
    # when: 01:30 on the London fall-back night happens at 00:30 and at 01:30 UTC
    instant = local_to_aware(dt.date(2027, 10, 31), dt.time(1, 30), LONDON, policy=Policy.SHIFT)

    # then
    assert instant.astimezone(dt.UTC).isoformat() == "2027-10-31T00:30:00+00:00"


@pytest.mark.parametrize(
    ("tz", "day", "clock", "code"),
    [
        (NEW_YORK, dt.date(2027, 3, 14), dt.time(2, 30), "nonexistent_local_time"),
        (NEW_YORK, dt.date(2027, 11, 7), dt.time(1, 30), "ambiguous_local_time"),
        (LONDON, dt.date(2027, 3, 28), dt.time(1, 0), "nonexistent_local_time"),
        (LONDON, dt.date(2027, 10, 31), dt.time(1, 0), "ambiguous_local_time"),
    ],
)
def test_patient_facing_series_refuses_times_the_clock_never_or_twice_shows(tz, day, clock, code):
    with pytest.raises(LocalTimeError) as refused:
        weekly_series(day - dt.timedelta(weeks=1), clock, 2, tz)
    assert refused.value.code == code


@pytest.mark.parametrize(
    ("tz", "utc_hours"),
    [
        # Mondays from 1 March 2027 for 40 weeks: standard, then summer time, then standard again.
        (NEW_YORK, [14] * 2 + [13] * 34 + [14] * 4),
        (LONDON, [9] * 4 + [8] * 31 + [9] * 5),
    ],
)
def test_weekly_series_keeps_its_local_clock_time_across_spring_and_autumn(tz, utc_hours):
    # when
    series = weekly_series(dt.date(2027, 3, 1), dt.time(9, 0), 40, tz)

    # then
    assert {s.astimezone(tz).strftime("%a %H:%M") for s in series} == {"Mon 09:00"}
    assert [s.astimezone(dt.UTC).hour for s in series] == utc_hours


@pytest.mark.django_db
@pytest.mark.parametrize("zone", ["America/New_York", "Europe/London"])
def test_monday_0900_working_hours_book_a_weekly_series_across_both_changes(organization, make_staff, zone):
    # given: a nurse working Mondays 09:00-12:00 local, and a chair
    clinic = Clinic.objects.create(
        organization=organization, name=zone, slug=zone.replace("/", "-").lower(), timezone=zone
    )
    nurse = make_staff(clinic, Role.NURSE)
    WorkingHoursFactory(staff=nurse, clinic=clinic, weekday=0, start_time=dt.time(9), end_time=dt.time(12))
    chair = RoomFactory(clinic=clinic)
    patient = PatientFactory(home_clinic=clinic)
    starts = weekly_series(dt.date(2027, 3, 1), dt.time(9, 0), 40, clinic.tz)

    # when
    booked = [
        services.session_book(
            clinic=clinic, patient=patient, shape=NURSE_SHARED, starts_at=s, room=chair, staff=[nurse], by=None
        )
        for s in starts
    ]

    # then: every session starts at 09:00 local, at two different UTC hours over the year
    assert {b.starts_at.astimezone(clinic.tz).strftime("%H:%M") for b in booked} == {"09:00"}
    assert len({b.starts_at.astimezone(dt.UTC).hour for b in booked}) == 2


@pytest.mark.django_db
def test_an_hour_before_the_local_opening_is_refused_right_after_the_spring_change(organization, make_staff):
    # given: New York, the Monday after clocks sprang forward; 08:00 local is 12:00 UTC, which was
    # 07:00 local under standard time, so a naive UTC pattern would have let it through
    clinic = Clinic.objects.create(organization=organization, name="NY", slug="ny", timezone="America/New_York")
    nurse = make_staff(clinic, Role.NURSE)
    WorkingHoursFactory(staff=nurse, clinic=clinic, weekday=0, start_time=dt.time(9), end_time=dt.time(12))
    chair = RoomFactory(clinic=clinic)

    # when
    with pytest.raises(RuleViolation) as refused:
        services.session_book(
            clinic=clinic,
            patient=PatientFactory(home_clinic=clinic),
            shape=NURSE_SHARED,
            starts_at=dt.datetime(2027, 3, 15, 8, 0, tzinfo=clinic.tz),
            room=chair,
            staff=[nurse],
            by=None,
        )

    # then
    assert refused.value.type == "staff_unavailable"


@pytest.mark.django_db
def test_working_hours_starting_inside_the_gap_open_when_the_gap_ends(organization, make_staff):
    # given: Sunday hours 02:00-06:00 in New York; on 14 March 2027 02:00-03:00 does not exist
    clinic = Clinic.objects.create(organization=organization, name="NY", slug="ny2", timezone="America/New_York")
    nurse = make_staff(clinic, Role.NURSE)
    WorkingHoursFactory(staff=nurse, clinic=clinic, weekday=6, start_time=dt.time(2), end_time=dt.time(6))

    # when
    cal = calendar_load(
        clinic=clinic,
        start=dt.datetime(2027, 3, 14, 0, 0, tzinfo=clinic.tz),
        end=dt.datetime(2027, 3, 14, 12, 0, tzinfo=clinic.tz),
        staff_ids=[nurse.pk],
    )

    # then: open 03:00-06:00 daylight time, three elapsed hours instead of four
    assert [
        (s.astimezone(clinic.tz).isoformat(), e.astimezone(clinic.tz).isoformat()) for s, e in cal.staff_open[nurse.pk]
    ] == [("2027-03-14T03:00:00-04:00", "2027-03-14T06:00:00-04:00")]
