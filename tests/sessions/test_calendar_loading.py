"""Reading a clinic's calendar: weekly hours expanded once per distinct week, shared by the rooms
and staff members who keep them, and time off kept to the person who takes it; the slot grid a
search walks, and its length from the clinic's policy."""

from __future__ import annotations

import datetime as dt

import pytest

from kat_clinic.roles import Role
from sessions.calendar_loading import calendar_load
from sessions.models import SchedulingPolicy
from sessions.placement import slot_length, slot_starts
from sessions.search import availability_search
from tests.sessions.conftest import MONDAY, NURSE_SHARED, at, works_every_day
from tests.sessions.factories import RoomHoursFactory, TimeOffFactory

pytestmark = pytest.mark.django_db


def test_given_shared_weekly_hours_when_loading_then_each_week_is_expanded_once_and_time_off_kept_apart(
    clinic, chair, chair2, make_staff
):
    # given: both chairs open 09:00-17:00 on Mondays; two nurses work 08:00-18:00 every day, one is
    # off on Monday 12:00-13:00
    for room in (chair, chair2):
        RoomHoursFactory(room=room, weekday=0, start_time=dt.time(9), end_time=dt.time(17))
    nurse, off_nurse = (works_every_day(make_staff(clinic, Role.NURSE), clinic) for _ in range(2))
    TimeOffFactory(staff=off_nurse, clinic=clinic, starts_at=at(clinic, MONDAY, 12), ends_at=at(clinic, MONDAY, 13))

    # when: Monday's calendar (read with a day of margin either side)
    cal = calendar_load(clinic=clinic, start=at(clinic, MONDAY, 0), end=at(clinic, MONDAY, 23))

    # then: one list for both chairs, Monday's hours only (the margin days are not Mondays)
    assert cal.room_open[chair.pk] is cal.room_open[chair2.pk]
    assert cal.room_open[chair.pk] == [(at(clinic, MONDAY, 9), at(clinic, MONDAY, 17))]
    days = [MONDAY + dt.timedelta(days=n) for n in (-1, 0, 1)]
    worked = [(at(clinic, day, 8), at(clinic, day, 18)) for day in days]
    assert cal.staff_open[nurse.pk] == worked
    assert cal.staff_open[off_nurse.pk] == [
        worked[0],
        (at(clinic, MONDAY, 8), at(clinic, MONDAY, 12)),
        (at(clinic, MONDAY, 13), at(clinic, MONDAY, 18)),
        worked[2],
    ]


@pytest.mark.parametrize("minute", [7, 0])  # between two starts, on one
@pytest.mark.parametrize(
    "day",
    [MONDAY, dt.date(2027, 3, 14), dt.date(2027, 11, 7)],  # an ordinary day, spring forward, fall back
)
def test_given_a_start_in_the_middle_of_a_day_then_the_grid_goes_on_from_local_midnights_grid(clinic, day, minute):
    # given: 15-minute slots anchored at local midnight, a start at 10:07 or 10:00 local
    cal = calendar_load(clinic=clinic, start=at(clinic, day, 0), end=at(clinic, day + dt.timedelta(days=1), 0))
    start = at(clinic, day, 10, minute).astimezone(dt.UTC)
    end = at(clinic, day + dt.timedelta(days=1), 12)
    slot = dt.timedelta(minutes=15)

    # when
    starts = list(slot_starts(cal, start, end, slot))

    # then: every step from each local midnight (in elapsed time), from the start on
    expected = []
    for each in (day, day + dt.timedelta(days=1)):
        t = at(clinic, each, 0).astimezone(dt.UTC)
        next_day = at(clinic, each + dt.timedelta(days=1), 0).astimezone(dt.UTC)
        while t < next_day:
            if start <= t < end:
                expected.append(t)
            t += slot
    assert starts == expected
    assert starts[0] == at(clinic, day, 10, 15 if minute else 0)


def test_given_a_clinics_slot_length_then_the_search_proposes_starts_on_its_grid(clinic, patient, chair, make_staff):
    # given: 20-minute slots
    works_every_day(make_staff(clinic, Role.NURSE), clinic)
    SchedulingPolicy.objects.create(clinic=clinic, slot_minutes=20)

    # when
    options = availability_search(
        clinic=clinic, patient=patient, shape=NURSE_SHARED, date_from=MONDAY, date_to=MONDAY, limit=3
    )

    # then
    assert slot_length(clinic) == dt.timedelta(minutes=20)
    assert [o["starts_at"] for o in options] == [
        "2027-06-07T08:00:00-04:00",
        "2027-06-07T08:20:00-04:00",
        "2027-06-07T08:40:00-04:00",
    ]
