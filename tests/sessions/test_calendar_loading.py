"""Reading a clinic's calendar: weekly hours expanded once per distinct week, shared by the rooms
and staff members who keep them, and time off kept to the person who takes it; a calendar read for
one shape holds only the rooms it fits and the people holding its roles; the slot grid a search
walks, and its length from the clinic's policy."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from django.db import connection

from kat_clinic.compiled_batch import read_together
from kat_clinic.models import Room
from kat_clinic.roles import Role
from sessions import calendar_loading, calendar_queries
from sessions.calendar_loading import calendar_load
from sessions.models import SchedulingPolicy
from sessions.placement import slot_starts
from sessions.search import availability_search
from tests.factories import PatientFactory, RoomFactory
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
    cal = calendar_load(clinic=clinic, start=at(clinic, MONDAY, 0), end=at(clinic, MONDAY, 23))
    assert cal.slot == dt.timedelta(minutes=20)
    assert [o["starts_at"] for o in options] == [
        "2027-06-07T08:00:00-04:00",
        "2027-06-07T08:20:00-04:00",
        "2027-06-07T08:40:00-04:00",
    ]


@pytest.fixture
def two_kinds_booked(clinic, patient, chair, make_staff, book):
    """A chair and a consult room, a nurse and a therapist, each room with a session of the patient
    (Monday 09:00 in the chair with the nurse, 13:00 in the consult room with the therapist) and one
    of another patient (Monday 15:00 in the chair, 17:00 in the consult room)."""
    consult = RoomFactory(clinic=clinic, name="Consult", kind=Room.Kind.CONSULT_ROOM, capabilities=["therapy"])
    nurse = works_every_day(make_staff(clinic, Role.NURSE), clinic)
    therapist = works_every_day(make_staff(clinic, Role.THERAPIST), clinic)
    other = PatientFactory(home_clinic=clinic)
    sessions = {
        "chair": book(patient, at(clinic, MONDAY, 9), chair, [nurse], shape=NURSE_SHARED),
        "consult": book(patient, at(clinic, MONDAY, 13), consult, [therapist]),
        "chair_other": book(other, at(clinic, MONDAY, 15), chair, [nurse], shape=NURSE_SHARED),
        "consult_other": book(other, at(clinic, MONDAY, 17), consult, [therapist]),
    }
    return {"consult": consult, "nurse": nurse, "therapist": therapist, "sessions": sessions}


CHAIR_NURSE = dataclasses.replace(NURSE_SHARED, room_kind=Room.Kind.INFUSION_CHAIR)


def _busy_ids(busy_by_key: dict) -> dict:
    return {key: sorted(b.session_id for b in busy) for key, busy in busy_by_key.items()}


def test_given_a_shape_when_loading_then_only_the_rooms_it_fits_and_the_people_holding_its_roles_are_read(
    clinic, patient, chair, two_kinds_booked
):
    # given a chair session with the nurse, consult sessions with the therapist
    consult, nurse, therapist = (two_kinds_booked[k] for k in ("consult", "nurse", "therapist"))
    ids = {name: s.pk for name, s in two_kinds_booked["sessions"].items()}
    monday = {"clinic": clinic, "start": at(clinic, MONDAY, 0), "end": at(clinic, MONDAY, 23)}

    # when the calendar is read for a chair block with a nurse, and for every placement
    for_shape = calendar_load(**monday, patient_ids=[patient.pk], shape=CHAIR_NURSE)
    whole = calendar_load(**monday, patient_ids=[patient.pk])

    # then the shape's holds the chair and the nurse only: their hours and their bookings
    assert list(for_shape.rooms) == [chair.pk]
    assert list(for_shape.room_open) == [chair.pk]
    assert _busy_ids(for_shape.room_busy) == {chair.pk: sorted([ids["chair"], ids["chair_other"]])}
    assert for_shape.roles == {nurse.pk: {Role.NURSE}}
    assert list(for_shape.staff_open) == [nurse.pk]
    assert _busy_ids(for_shape.staff_busy) == {nurse.pk: sorted([ids["chair"], ids["chair_other"]])}
    # and the patient's every session, wherever it is (a patient is never in two places at once)
    assert _busy_ids(for_shape.patient_busy) == {patient.pk: sorted([ids["chair"], ids["consult"]])}
    # while the whole calendar holds both rooms and both people, with the same lists for the chair
    # and the nurse
    assert sorted(whole.rooms) == sorted([chair.pk, consult.pk])
    assert whole.roles == {nurse.pk: {Role.NURSE}, therapist.pk: {Role.THERAPIST}}
    assert _busy_ids(whole.room_busy) == {
        chair.pk: sorted([ids["chair"], ids["chair_other"]]),
        consult.pk: sorted([ids["consult"], ids["consult_other"]]),
    }
    assert _busy_ids(whole.staff_busy)[nurse.pk] == _busy_ids(for_shape.staff_busy)[nurse.pk]
    assert whole.room_open[chair.pk] == for_shape.room_open[chair.pk]
    assert whole.staff_open[nurse.pk] == for_shape.staff_open[nurse.pk]
    assert _busy_ids(whole.patient_busy) == _busy_ids(for_shape.patient_busy)


def test_given_a_telehealth_shape_when_loading_then_no_room_is_read(clinic, patient, chair, two_kinds_booked):
    # when
    cal = calendar_load(
        clinic=clinic,
        start=at(clinic, MONDAY, 0),
        end=at(clinic, MONDAY, 23),
        patient_ids=[patient.pk],
        shape=dataclasses.replace(NURSE_SHARED, telehealth=True),
    )

    # then no room, and still the nurse and the patient's sessions
    assert cal.rooms == {} and cal.room_open == {} and cal.room_busy == {}
    assert cal.roles == {two_kinds_booked["nurse"].pk: {Role.NURSE}}
    sessions = two_kinds_booked["sessions"]
    assert _busy_ids(cal.patient_busy) == {patient.pk: sorted([sessions["chair"].pk, sessions["consult"].pk])}


def test_given_a_search_for_a_chair_then_it_reads_no_other_rooms_hours_or_bookings(
    clinic, patient, chair, two_kinds_booked, monkeypatch
):
    # given the reads a search asks for, each with its values, and the statements it sends
    asked, sent = {}, []

    def reading_together(*runs, **kwargs):
        asked.update((prepared, values) for prepared, values in runs)
        return read_together(*runs, **kwargs)

    def record(execute, sql, params, many, context):
        sent.append(sql)
        return execute(sql, params, many, context)

    monkeypatch.setattr(calendar_loading, "read_together", reading_together)

    # when a chair with a nurse is searched for on Monday
    with connection.execute_wrapper(record):
        availability_search(
            clinic=clinic, patient=patient, shape=CHAIR_NURSE, date_from=MONDAY, date_to=MONDAY, limit=2
        )

    # then the room hours and the rooms' bookings were read for the chair alone, and the calendar
    # in two statements: the clinic's, then its chosen rooms' and people's with their bookings
    assert asked[calendar_queries.ROOM_HOURS]["rooms"] == [chair.pk]
    assert asked[calendar_queries.BUSY_SESSIONS]["rooms"] == [chair.pk]
    assert asked[calendar_queries.BUSY_ASSIGNMENTS]["staff"] == [two_kinds_booked["nurse"].pk]
    assert len(sent) == 2
    assert all(table in sent[1] for table in ('"clinic_sessions_roomhours"', '"clinic_sessions_session"'))
