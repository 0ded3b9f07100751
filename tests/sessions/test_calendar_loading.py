"""Reading a clinic's calendar: weekly hours expanded once per distinct week, shared by the rooms
and staff members who keep them, and time off kept to the person who takes it."""

from __future__ import annotations

import datetime as dt

import pytest

from kat_clinic.roles import Role
from sessions.calendar_loading import calendar_load
from tests.sessions.conftest import MONDAY, at, works_every_day
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
