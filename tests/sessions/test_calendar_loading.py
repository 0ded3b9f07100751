"""Reading a clinic's calendar: weekly hours expanded once per distinct week; the search reads the
busy times of its first days first, and those of the rest of its range only when a start gets
there, and the calendar then holds each busy block exactly once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kat_clinic.roles import Role
from sessions.calendar_loading import busy_extend, calendar_load
from sessions.search import availability_search
from tests.factories import PatientFactory
from tests.sessions.conftest import MONDAY, NURSE_SHARED, at, works_every_day
from tests.sessions.factories import ClosureFactory, RoomHoursFactory, TimeOffFactory

pytestmark = pytest.mark.django_db

FRIDAY = MONDAY + dt.timedelta(days=4)


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


def busy_reads(queries) -> int:
    """How many statements read the busy sessions (one per read of busy times)."""
    return sum('FROM "clinic_sessions_session"' in q["sql"] and "block_ends_at" in q["sql"] for q in queries)


def as_rows(busy_lists: dict) -> dict:
    return {key: sorted((b.start, b.end, b.session_id, b.lane) for b in items) for key, items in busy_lists.items()}


def test_given_the_first_days_closed_when_searching_then_the_later_busy_times_are_read_and_avoided(
    clinic, patient, chair, working_nurse, book
):
    # given: the only chair is taken on Thursday 12:00-13:40 and the clinic is closed until then
    other = PatientFactory(home_clinic=clinic)
    taken = book(other, at(clinic, MONDAY + dt.timedelta(days=3), 12), chair, [working_nurse], shape=NURSE_SHARED)
    ClosureFactory(clinic=clinic, starts_at=at(clinic, MONDAY, 0), ends_at=taken.block_starts_at)

    # when
    with CaptureQueriesContext(connection) as ctx:
        options = availability_search(
            clinic=clinic, patient=patient, shape=NURSE_SHARED, date_from=MONDAY, date_to=FRIDAY, limit=1
        )

    # then: the first start after the taken block (on the 15-minute grid), found in a second read
    assert [o["starts_at"] for o in options] == ["2027-06-10T13:45:00-04:00"]
    assert busy_reads(ctx.captured_queries) == 2


def test_given_options_in_the_first_days_when_searching_then_busy_times_are_read_once(
    clinic, patient, chair, working_nurse, book
):
    # given: the chair is taken on Thursday, after the first days
    book(
        PatientFactory(home_clinic=clinic),
        at(clinic, MONDAY + dt.timedelta(days=3), 8),
        chair,
        [working_nurse],
        shape=NURSE_SHARED,
    )

    # when
    with CaptureQueriesContext(connection) as ctx:
        options = availability_search(
            clinic=clinic, patient=patient, shape=NURSE_SHARED, date_from=MONDAY, date_to=FRIDAY, limit=2
        )

    # then
    assert [o["starts_at"] for o in options] == ["2027-06-07T08:00:00-04:00", "2027-06-07T08:15:00-04:00"]
    assert busy_reads(ctx.captured_queries) == 1


def test_given_a_block_starting_on_the_boundary_when_the_rest_is_read_then_every_block_is_held_once(
    clinic, patient, chair, chair2, working_nurse, book
):
    # given: blocks a quarter of an hour before, exactly on and a day after the boundary of the first
    # read (a day after its end)
    wednesday = MONDAY + dt.timedelta(days=2)
    booked = [
        book(patient, at(clinic, wednesday, 8), chair, [working_nurse], shape=NURSE_SHARED),
        book(
            PatientFactory(home_clinic=clinic),
            at(clinic, wednesday, 8, 15),
            chair2,
            [working_nurse],
            shape=NURSE_SHARED,
        ),
        book(patient, at(clinic, wednesday + dt.timedelta(days=1), 8), chair, [working_nurse], shape=NURSE_SHARED),
    ]
    start, end = at(clinic, MONDAY, 0), at(clinic, FRIDAY, 0)
    whole = calendar_load(clinic=clinic, start=start, end=end, patient_ids=[patient.pk])

    # when: the busy times are read up to Tuesday 08:15 (so blocks starting before Wednesday 08:15),
    # then the rest
    first = calendar_load(
        clinic=clinic,
        start=start,
        end=end,
        patient_ids=[patient.pk],
        busy_until=at(clinic, MONDAY + dt.timedelta(1), 8, 15),
    )
    first_rooms = as_rows(first.room_busy)
    busy_extend(first, end)

    # then: the first read stopped at the boundary, and both reads together hold what one read holds
    assert first_rooms == {chair.pk: [(booked[0].block_starts_at, booked[0].block_ends_at, booked[0].pk, None)]}
    assert as_rows(first.room_busy) == as_rows(whole.room_busy)
    assert as_rows(first.patient_busy) == as_rows(whole.patient_busy)
    assert as_rows(first.staff_busy) == as_rows(whole.staff_busy)
    assert sorted(b.session_id for items in first.room_busy.values() for b in items) == sorted(s.pk for s in booked)
    assert len(first.staff_busy[working_nurse.pk]) == 3
