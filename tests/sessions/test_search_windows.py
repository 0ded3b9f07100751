"""The search's start windows and its narrower calendar: starts no room or person can take are not
tried at all, and a calendar read for one shape holds only the busy times that can refuse it (those
within the searched range, of people a need holds), with the answers of the whole calendar tried in
full."""

from __future__ import annotations

import dataclasses
import datetime as dt

import hypothesis
import pytest
from hypothesis import strategies as st

from kat_clinic.roles import Role
from programs.choices import SessionKind, StaffMode
from sessions import search
from sessions.availability import adhoc_shape
from sessions.calendar_loading import calendar_load
from sessions.placement import NO_PREFERENCES, Finder
from sessions.search import availability_search
from sessions.timeutil import covers, intersect_ranges, merge, starts_fitting
from tests.factories import PatientFactory
from tests.sessions.conftest import MONDAY, NURSE_SHARED, THERAPIST_EXCLUSIVE, at, book_chair_in_the_week

pytestmark = pytest.mark.django_db

# A therapist's hour and a prescriber's by video: they hold the person, not a room.
THERAPIST_BY_VIDEO = dataclasses.replace(THERAPIST_EXCLUSIVE, telehealth=True)
PRESCRIBER_BY_VIDEO = adhoc_shape(
    kind=SessionKind.CHECK_IN,
    session_minutes=30,
    block_minutes=60,
    staff=[(Role.PRESCRIBER, StaffMode.EXCLUSIVE)],
    telehealth=True,
)

ORIGIN = dt.datetime(2027, 6, 7, tzinfo=dt.UTC)
_MINUTES = st.lists(st.tuples(st.integers(0, 300), st.integers(1, 60)), max_size=10)
_OFFSETS = st.tuples(st.integers(-30, 30), st.integers(1, 90))


def _intervals(pairs) -> list:
    return merge((ORIGIN + dt.timedelta(minutes=a), ORIGIN + dt.timedelta(minutes=a + n)) for a, n in pairs)


@hypothesis.settings(max_examples=300, deadline=None)
@hypothesis.given(_MINUTES, _MINUTES, _OFFSETS, _OFFSETS)
def test_given_two_calendars_then_the_start_windows_hold_exactly_the_starts_both_cover(first, second, one, two):
    # given two lists of open times and the span each must cover, relative to a start
    a, b = _intervals(first), _intervals(second)
    a_from, a_to = dt.timedelta(minutes=one[0]), dt.timedelta(minutes=one[0] + one[1])
    b_from, b_to = dt.timedelta(minutes=two[0]), dt.timedelta(minutes=two[0] + two[1])

    # when
    windows = intersect_ranges(starts_fitting(a, a_from, a_to), starts_fitting(b, b_from, b_to))

    # then every minute's start lies in a window exactly when both lists cover its spans
    for minute in range(-120, 420):
        t = ORIGIN + dt.timedelta(minutes=minute)
        inside = any(lo <= t <= hi for lo, hi in windows)
        assert inside == (covers(a, t + a_from, t + a_to) and covers(b, t + b_from, t + b_to))
    assert all(lo <= hi for lo, hi in windows)
    assert all(earlier[1] < later[0] for earlier, later in zip(windows, windows[1:], strict=False))


def test_given_a_busy_therapist_then_the_windows_are_the_chairs_hours_less_the_therapists_booking(
    clinic, patient, chair, working_therapist, book
):
    # given the only therapist booked 10:00-11:00 on Monday (the chair is free all day)
    booked = book(
        PatientFactory(home_clinic=clinic), at(clinic, MONDAY, 10), None, [working_therapist], shape=THERAPIST_BY_VIDEO
    )
    cal = calendar_load(
        clinic=clinic, start=at(clinic, MONDAY, 0), end=at(clinic, MONDAY, 23), patient_ids=[patient.pk]
    )

    # when
    windows = Finder(cal, THERAPIST_EXCLUSIVE, patient.pk, NO_PREFERENCES).start_windows()

    # then starts of the 60-minute block from 08:00 to 09:00 (ending as the booking starts) and from
    # the booking's end to 17:00, Monday; the same around the clock every other day of the calendar
    monday = [(lo.astimezone(clinic.tz), hi.astimezone(clinic.tz)) for lo, hi in windows if lo.date() == MONDAY]
    assert booked.block_ends_at == at(clinic, MONDAY, 11)
    assert monday == [
        (at(clinic, MONDAY, 8), at(clinic, MONDAY, 9)),
        (at(clinic, MONDAY, 11), at(clinic, MONDAY, 17)),
    ]


def test_given_a_busy_week_then_the_windows_change_no_answer(
    clinic, patient, chair, chair2, working_nurse, working_therapist, book, monkeypatch
):
    # given chairs, the nurse's lanes and the therapist taken on some mornings, and the patient's
    # own session on Wednesday afternoon
    both = adhoc_shape(
        kind=SessionKind.DOSING,
        session_minutes=90,
        block_minutes=120,
        staff=[(Role.THERAPIST, StaffMode.EXCLUSIVE), (Role.NURSE, StaffMode.SHARED)],
    )
    book_chair_in_the_week(book, clinic, chair, working_nurse, hours=(8, 11))
    for day in (0, 2, 4):
        book(
            PatientFactory(home_clinic=clinic),
            at(clinic, MONDAY + dt.timedelta(days=day), 9),
            None,
            [working_therapist],
            shape=THERAPIST_BY_VIDEO,
        )
    book(patient, at(clinic, MONDAY + dt.timedelta(days=2), 14), chair2, [working_nurse], shape=NURSE_SHARED)
    week = {"date_from": MONDAY, "date_to": MONDAY + dt.timedelta(days=6), "limit": 100}
    windowed = availability_search(clinic=clinic, patient=patient, shape=both, **week)

    # when every start of the grid is tried
    monkeypatch.setattr(Finder, "starts_within_windows", lambda self, starts: starts)
    every_start = availability_search(clinic=clinic, patient=patient, shape=both, **week)

    # then the same options in the same order, none at the therapist's booked hour
    assert windowed == every_start
    assert len(windowed) == 100
    assert windowed[0]["starts_at"] == "2027-06-07T10:00:00-04:00"
    assert "2027-06-07T09:00:00-04:00" not in [o["starts_at"] for o in windowed]


def test_given_a_shape_then_only_busy_times_in_range_of_people_a_need_holds_are_read(
    clinic, patient, chair, working_nurse, working_prescriber, book, monkeypatch
):
    # given the nurse and the only chair booked 09:00-10:40 on Monday, the prescriber 11:00-12:00 by
    # video, and the chair on Sunday evening
    prescribing = book(
        PatientFactory(home_clinic=clinic),
        at(clinic, MONDAY, 11),
        None,
        [working_prescriber],
        shape=PRESCRIBER_BY_VIDEO,
    )
    nursing = book(
        PatientFactory(home_clinic=clinic), at(clinic, MONDAY, 9), chair, [working_nurse], shape=NURSE_SHARED
    )
    sunday = book(PatientFactory(home_clinic=clinic), at(clinic, MONDAY - dt.timedelta(days=1), 16), chair, [])
    shape = adhoc_shape(
        kind=SessionKind.DOSING,
        session_minutes=40,
        block_minutes=100,
        staff=[(Role.NURSE, StaffMode.SHARED), (Role.PRESCRIBER, StaffMode.PRESENT)],
    )
    monday = {"clinic": clinic, "start": at(clinic, MONDAY, 0), "end": at(clinic, MONDAY, 23)}

    # when the calendar is read for that shape, and whole
    for_shape = calendar_load(**monday, patient_ids=[patient.pk], shape=shape)
    whole = calendar_load(**monday, patient_ids=[patient.pk])

    # then the shape's holds the nurse's booking, not the prescriber's (present, never held), and
    # of the chair's only Monday's; the whole calendar holds them all
    assert {sid: [b.session_id for b in busy] for sid, busy in for_shape.staff_busy.items()} == {
        working_nurse.pk: [nursing.pk]
    }
    assert [b.session_id for b in for_shape.room_busy[chair.pk]] == [nursing.pk]
    assert {sid: [b.session_id for b in busy] for sid, busy in whole.staff_busy.items()} == {
        working_nurse.pk: [nursing.pk],
        working_prescriber.pk: [prescribing.pk],
    }
    assert sorted(b.session_id for b in whole.room_busy[chair.pk]) == sorted([sunday.pk, nursing.pk])

    # and the search on it answers as on the whole calendar: from the chair's end, the prescriber
    # offered while booked
    searched = availability_search(clinic=clinic, patient=patient, shape=shape, date_from=MONDAY, date_to=MONDAY)
    monkeypatch.setattr(
        search, "calendar_load", lambda **kw: calendar_load(**{k: v for k, v in kw.items() if k != "shape"})
    )
    assert searched == availability_search(
        clinic=clinic, patient=patient, shape=shape, date_from=MONDAY, date_to=MONDAY
    )
    assert searched[0]["starts_at"] == "2027-06-07T10:45:00-04:00"
    assert searched[0]["staff"] == [
        {"role": "nurse", "mode": "shared", "staff": working_nurse.pk},
        {"role": "prescriber", "mode": "present", "staff": working_prescriber.pk},
    ]
