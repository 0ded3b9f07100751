"""The availability search reads the calendar of its first days, and of its whole range only when
those do not settle the answer: the same options either way."""

from __future__ import annotations

import datetime as dt

import pytest

from sessions import search
from sessions.models import ClinicClosure
from sessions.placement import Preferences
from sessions.search import availability_search
from tests.sessions.conftest import MONDAY, NURSE_SHARED, at

pytestmark = pytest.mark.django_db

# A Saturday before the end of daylight saving time (Sunday 2027-11-07 in New York).
BEFORE_FALL_BACK = dt.date(2027, 11, 6)


@pytest.fixture
def calendars_read(monkeypatch) -> list[tuple[dt.datetime, dt.datetime]]:
    """The ranges of the calendars the search reads, in order."""
    read, load = [], search.calendar_load
    monkeypatch.setattr(search, "calendar_load", lambda **kw: read.append((kw["start"], kw["end"])) or load(**kw))
    return read


def _both(monkeypatch, **query) -> tuple[list[dict], list[dict]]:
    """The search's answer read in stages, and read as one calendar of the whole range."""
    staged = availability_search(shape=NURSE_SHARED, **query)
    with monkeypatch.context() as m:
        m.setattr(search, "FIRST_DAYS", 0)  # the first days end before the range starts: one calendar
        whole = availability_search(shape=NURSE_SHARED, **query)
    return staged, whole


def test_given_room_on_the_first_day_then_only_the_first_days_calendar_is_read(
    clinic, patient, chair, working_nurse, monkeypatch, calendars_read
):
    # when a week is searched
    week = {"clinic": clinic, "patient": patient, "date_from": MONDAY, "date_to": MONDAY + dt.timedelta(days=6)}
    staged, whole = _both(monkeypatch, **week)

    # then the same ten options, Monday's first, the first from a calendar of Monday and Tuesday only
    assert staged == whole
    assert [o["starts_at"][:16] for o in staged[:2]] == ["2027-06-07T08:00", "2027-06-07T08:15"]
    assert len(staged) == 10
    assert calendars_read[0] == (
        at(clinic, MONDAY, 0),
        at(clinic, MONDAY + dt.timedelta(days=2), 0) + NURSE_SHARED.block,
    )
    assert calendars_read[1] == (
        at(clinic, MONDAY, 0),
        at(clinic, MONDAY + dt.timedelta(days=7), 0) + NURSE_SHARED.block,
    )
    assert len(calendars_read) == 2  # (the second is the whole range's, asked for by `_both`)


def test_given_the_first_days_closed_then_the_whole_range_is_read_and_the_answer_is_the_same(
    clinic, patient, chair, working_nurse, monkeypatch, calendars_read
):
    # given the clinic closed from Monday until Wednesday 10:00
    ClinicClosure.objects.create(
        clinic=clinic, starts_at=at(clinic, MONDAY, 0), ends_at=at(clinic, MONDAY + dt.timedelta(days=2), 10)
    )

    # when a week is searched
    week = {"clinic": clinic, "patient": patient, "date_from": MONDAY, "date_to": MONDAY + dt.timedelta(days=6)}
    staged, whole = _both(monkeypatch, **week)

    # then Wednesday's options from 10:00, read from the first days and then the whole week
    assert staged == whole
    assert staged[0]["starts_at"] == "2027-06-09T10:00:00-04:00"
    assert [end - start for start, end in calendars_read[:2]] == [
        dt.timedelta(days=2) + NURSE_SHARED.block,
        dt.timedelta(days=7) + NURSE_SHARED.block,
    ]


def test_given_a_few_options_in_the_first_days_then_later_ones_complete_the_answer(
    clinic, patient, chair, working_nurse, monkeypatch, calendars_read
):
    # given the clinic closed until Tuesday 16:00: two starts fit on Tuesday before 18:00
    ClinicClosure.objects.create(
        clinic=clinic, starts_at=at(clinic, MONDAY, 0), ends_at=at(clinic, MONDAY + dt.timedelta(days=1), 16)
    )

    # when five are asked for
    query = {"clinic": clinic, "patient": patient, "date_from": MONDAY, "date_to": MONDAY + dt.timedelta(days=6)}
    staged, whole = _both(monkeypatch, **query, limit=5)

    # then Tuesday's two, then Wednesday's first three, the first days read, then the week
    assert staged == whole
    assert [o["starts_at"][:16] for o in staged] == [
        "2027-06-08T16:00",
        "2027-06-08T16:15",
        "2027-06-09T08:00",
        "2027-06-09T08:15",
        "2027-06-09T08:30",
    ]
    assert len(calendars_read) == 3


def test_given_a_preferred_later_weekday_or_a_change_of_clock_then_the_answer_is_the_same(
    clinic, patient, chair, working_nurse, monkeypatch
):
    # given a preference for Thursday (the first days cannot hold the best options)
    query = {"clinic": clinic, "patient": patient, "date_from": MONDAY, "date_to": MONDAY + dt.timedelta(days=6)}
    staged, whole = _both(monkeypatch, **query, prefs=Preferences(weekdays=frozenset({3})), limit=3)
    assert staged == whole
    assert [o["starts_at"][:16] for o in staged] == ["2027-06-10T08:00", "2027-06-10T08:15", "2027-06-10T08:30"]

    # and a search whose first days end across the end of daylight saving time
    query = {"clinic": clinic, "patient": patient, "date_from": BEFORE_FALL_BACK}
    staged, whole = _both(monkeypatch, **query, date_to=BEFORE_FALL_BACK + dt.timedelta(days=6), limit=30)
    assert staged == whole
    assert staged[0]["starts_at"] == "2027-11-06T08:00:00-04:00"
    assert staged[-1]["starts_at"][-6:] == "-04:00" and len(staged) == 30
    late = availability_search(shape=NURSE_SHARED, **query, date_to=BEFORE_FALL_BACK + dt.timedelta(days=6), limit=60)
    assert late[-1]["starts_at"].startswith("2027-11-07T") and late[-1]["starts_at"].endswith("-05:00")
