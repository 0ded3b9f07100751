"""The search reads its calendar a few days at a time (here: the first two local days, the next
seven, then the rest), a later pass only what depends on its range: a search answered within the
first days never reads the bookings of the rest of the range, and one that reaches further answers
exactly as a search reading the whole range at once."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from sessions import search
from sessions.calendar_loading import calendar_load
from sessions.search import availability_search, search_passes
from tests.factories import PatientFactory
from tests.sessions.conftest import MONDAY, NURSE_SHARED, THERAPIST_EXCLUSIVE, at, book_chair_in_the_week

NEW_YORK = ZoneInfo("America/New_York")


@pytest.fixture(autouse=True)
def two_days_then_seven(monkeypatch):
    """The passes these tests cut: two local days, seven more, the rest (the search's own lengths
    are tuned on the bench)."""
    monkeypatch.setattr(search, "PASS_DAYS", (2, 7))


def _local(day: dt.date, hour: int = 0, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=NEW_YORK)


def test_given_a_fortnight_across_the_autumn_change_then_passes_cut_at_local_midnights():
    # given a range from Friday 5 November 2027 to Saturday the 20th (clocks go back on the 7th)
    start, end = _local(dt.date(2027, 11, 5)), _local(dt.date(2027, 11, 21))

    # when it is cut into passes
    passes = search_passes(start, end, NEW_YORK)

    # then two local days, seven more, then the rest, each cut at local midnight in its own offset
    assert [(a.isoformat(), b.isoformat()) for a, b in passes] == [
        ("2027-11-05T00:00:00-04:00", "2027-11-07T00:00:00-04:00"),
        ("2027-11-07T00:00:00-04:00", "2027-11-14T00:00:00-05:00"),
        ("2027-11-14T00:00:00-05:00", "2027-11-21T00:00:00-05:00"),
    ]


def test_given_a_start_in_the_afternoon_then_the_first_pass_ends_two_local_midnights_later():
    # given a search starting now, Monday 15:20, through Thursday
    start, end = _local(MONDAY, 15, 20), _local(MONDAY + dt.timedelta(days=4))

    # when it is cut into passes
    passes = search_passes(start, end, NEW_YORK)

    # then the first pass ends at Wednesday's midnight and the second takes the rest
    assert passes == [(start, _local(MONDAY + dt.timedelta(days=2))), (_local(MONDAY + dt.timedelta(days=2)), end)]


def test_given_a_range_of_two_days_then_it_is_one_pass():
    start, end = _local(MONDAY), _local(MONDAY + dt.timedelta(days=2))

    assert search_passes(start, end, NEW_YORK) == [(start, end)]


@pytest.fixture
def calendars_read(monkeypatch) -> list:
    """The (start, end) of every calendar the search reads, and the calendar, in order."""
    read = []

    def recording(**kw):
        cal = calendar_load(**kw)
        read.append((kw["start"], kw["end"], cal))
        return cal

    monkeypatch.setattr(search, "calendar_load", recording)
    return read


@pytest.mark.django_db
def test_given_options_on_monday_then_only_monday_and_tuesday_are_read(
    clinic, patient, chair, working_nurse, book, calendars_read
):
    # given the chair booked on Friday
    friday = book(
        PatientFactory(home_clinic=clinic), at(clinic, MONDAY + dt.timedelta(days=4), 9), chair, [working_nurse]
    )

    # when the week is searched for three options
    found = availability_search(
        clinic=clinic,
        patient=patient,
        shape=NURSE_SHARED,
        date_from=MONDAY,
        date_to=MONDAY + dt.timedelta(days=6),
        limit=3,
    )

    # then Monday's first three starts, from one calendar of Monday and Tuesday (and a block)
    assert [o["starts_at"] for o in found] == [
        "2027-06-07T08:00:00-04:00",
        "2027-06-07T08:15:00-04:00",
        "2027-06-07T08:30:00-04:00",
    ]
    [(start, end, cal)] = calendars_read
    assert (start, end) == (at(clinic, MONDAY, 0), at(clinic, MONDAY + dt.timedelta(days=2), 1, 40))
    assert friday.pk not in [b.session_id for busy in cal.room_busy.values() for b in busy]


@pytest.mark.django_db
def test_given_monday_and_tuesday_taken_then_the_second_pass_answers_as_one_whole_read(
    clinic, patient, chair, working_nurse, book, calendars_read, monkeypatch
):
    # given the only chair taken all of Monday and Tuesday
    book_chair_in_the_week(book, clinic, chair, working_nurse, hours=(8, 10, 12, 14, 16), days=(0, 1))
    week = {"date_from": MONDAY, "date_to": MONDAY + dt.timedelta(days=6), "limit": 3}

    # when the week is searched in passes, then in one pass over the whole range
    with CaptureQueriesContext(connection) as queries:
        in_passes = availability_search(clinic=clinic, patient=patient, shape=NURSE_SHARED, **week)
    monkeypatch.setattr(search, "PASS_DAYS", (62, 62))
    whole = availability_search(clinic=clinic, patient=patient, shape=NURSE_SHARED, **week)

    # then Wednesday's first starts both ways: two calendars read, then one; the second pass in
    # one statement (its range's closures, exceptions and bookings), the first in two
    assert in_passes == whole
    assert [q["sql"].startswith("SELECT json_build_array(") for q in queries.captured_queries] == [True] * 3
    assert ['"clinic_sessions_roomhours"' in q["sql"] for q in queries.captured_queries] == [False, True, False]
    assert [o["starts_at"] for o in in_passes] == [
        "2027-06-09T08:00:00-04:00",
        "2027-06-09T08:15:00-04:00",
        "2027-06-09T08:30:00-04:00",
    ]
    assert [(start, end) for start, end, _cal in calendars_read] == [
        (at(clinic, MONDAY, 0), at(clinic, MONDAY + dt.timedelta(days=2), 1, 40)),
        (at(clinic, MONDAY + dt.timedelta(days=2), 0), at(clinic, MONDAY + dt.timedelta(days=7), 1, 40)),
        (at(clinic, MONDAY, 0), at(clinic, MONDAY + dt.timedelta(days=7), 1, 40)),
    ]


@pytest.mark.django_db
def test_given_a_busy_fortnight_then_three_passes_answer_as_one_whole_read(
    clinic, patient, chair, chair2, working_nurse, book, calendars_read, monkeypatch
):
    # given chairs taken on some mornings of both weeks, and the patient's own session on the
    # second Thursday
    book_chair_in_the_week(book, clinic, chair, working_nurse, hours=(8, 11), days=(0, 2, 4, 8, 9))
    book_chair_in_the_week(book, clinic, chair2, working_nurse, hours=(9,), days=(1, 9))
    book(patient, at(clinic, MONDAY + dt.timedelta(days=10), 13), chair2, [working_nurse], shape=NURSE_SHARED)
    fortnight = {"date_from": MONDAY, "date_to": MONDAY + dt.timedelta(days=13), "limit": 2000}

    # when every option of the fortnight is searched in passes, then in one pass
    in_passes = availability_search(clinic=clinic, patient=patient, shape=NURSE_SHARED, **fortnight)
    monkeypatch.setattr(search, "PASS_DAYS", (62, 62))
    whole = availability_search(clinic=clinic, patient=patient, shape=NURSE_SHARED, **fortnight)

    # then the same options in the same order, three calendars read then one; none while the
    # patient is booked
    assert in_passes == whole
    assert len(calendars_read) == 4
    # (34 starts a day, 08:00 to 16:15; on the second Wednesday both chairs are free for a block
    # only from 10:45, 11 starts fewer; the patient's session refuses 11:30 to 14:30, 13 fewer)
    assert len(in_passes) == 14 * 34 - 11 - 13
    starts = {o["starts_at"] for o in in_passes}
    assert "2027-06-17T12:00:00-04:00" not in starts
    assert "2027-06-17T11:00:00-04:00" in starts


def _calendar_facts(cal) -> dict:
    """What a calendar holds for placements, in comparable values."""
    return {
        "slot": cal.slot,
        "closures": cal.closures,
        "rooms": sorted(cal.rooms),
        "room_open": cal.room_open,
        "roles": cal.roles,
        "names": cal.names,
        "staff_open": cal.staff_open,
        "licences": {sid: [lic.pk for lic in licences] for sid, licences in cal.licences.items()},
        "rems_days": cal.rems_days,
        "room_busy": cal.room_busy,
        "patient_busy": cal.patient_busy,
        "staff_busy": cal.staff_busy,
    }


def _mondays_calendar(clinic, patient, shape, **more):
    """The calendar of Monday for one shape and the patient."""
    return calendar_load(
        clinic=clinic,
        start=at(clinic, MONDAY, 0),
        end=at(clinic, MONDAY, 23),
        patient_ids=[patient.pk],
        shape=shape,
        **more,
    )


@pytest.mark.django_db
def test_given_a_first_days_calendar_then_the_next_days_read_on_its_basis_are_read_whole_in_one_statement(
    clinic, patient, chair, working_nurse, book
):
    # given the chair booked on Thursday, and Monday's calendar for a shape
    book_chair_in_the_week(book, clinic, chair, working_nurse, hours=(9,), days=(3,))
    first = _mondays_calendar(clinic, patient, NURSE_SHARED)
    later = {
        "clinic": clinic,
        "start": at(clinic, MONDAY + dt.timedelta(days=3), 0),
        "end": at(clinic, MONDAY + dt.timedelta(days=4), 0),
        "patient_ids": [patient.pk],
        "shape": NURSE_SHARED,
    }

    # when Thursday is read on Monday's basis, and read whole
    with CaptureQueriesContext(connection) as queries:
        on_basis = calendar_load(**later, basis=first.basis)
    whole = calendar_load(**later)

    # then the same calendar, Thursday's booking in it, from one statement
    assert _calendar_facts(on_basis) == _calendar_facts(whole)
    assert [b.start for b in on_basis.room_busy[chair.pk]] == [at(clinic, MONDAY + dt.timedelta(days=3), 9)]
    assert len(queries) == 1


@pytest.mark.django_db
def test_given_a_basis_read_for_another_shape_then_it_is_refused(clinic, patient, chair, working_nurse):
    first = _mondays_calendar(clinic, patient, NURSE_SHARED)
    with pytest.raises(ValueError, match="same arguments"):
        _mondays_calendar(clinic, patient, THERAPIST_EXCLUSIVE, basis=first.basis)
