from __future__ import annotations

import datetime as dt

import hypothesis
import pytest
from hypothesis import strategies as st

from kat_clinic.errors import RuleViolation
from programs.models import PlannedSession
from sessions import services
from sessions.calendar_loading import calendar_load
from sessions.models import Session, StaffAssignment
from sessions.placement import Preferences
from sessions.search import availability_search
from sessions.services import enrollment_book_program
from sessions.timeutil import merge, minus, subtract
from tests.factories import PatientFactory
from tests.sessions.conftest import MONDAY, NURSE_SHARED, at, book_chair_in_the_week, planned

pytestmark = pytest.mark.django_db


def test_search_returns_the_earliest_feasible_starts_first(clinic, patient, chair, working_nurse):
    # when: staff work 08:00-18:00, the block is 100 minutes
    options = availability_search(
        clinic=clinic, patient=patient, shape=NURSE_SHARED, date_from=MONDAY, date_to=MONDAY, limit=3
    )

    # then
    assert [o["starts_at"] for o in options] == [
        "2027-06-07T08:00:00-04:00",
        "2027-06-07T08:15:00-04:00",
        "2027-06-07T08:30:00-04:00",
    ]
    assert options[0]["room"] == chair.pk
    assert options[0]["staff"] == [{"role": "nurse", "mode": "shared", "staff": working_nurse.pk}]


def test_search_skips_times_when_the_room_is_taken(clinic, patient, chair, working_nurse, book):
    # given: the only chair is busy 08:00-09:40
    from tests.factories import PatientFactory

    book(PatientFactory(home_clinic=clinic), at(clinic, MONDAY, 8), chair, [working_nurse], shape=NURSE_SHARED)

    # when
    options = availability_search(
        clinic=clinic, patient=patient, shape=NURSE_SHARED, date_from=MONDAY, date_to=MONDAY, limit=1
    )

    # then
    # then: 09:40 is off the 15-minute grid, so the next start is 09:45
    assert options[0]["starts_at"] == "2027-06-07T09:45:00-04:00"


def test_search_last_start_ends_with_the_working_day(clinic, patient, chair, working_nurse):
    # when
    options = availability_search(
        clinic=clinic, patient=patient, shape=NURSE_SHARED, date_from=MONDAY, date_to=MONDAY, limit=100
    )

    # then: 16:15 + 100 min = 17:55; 16:30 would end after 18:00
    assert options[-1]["starts_at"] == "2027-06-07T16:15:00-04:00"
    assert len(options) == 34


def test_search_ranks_preferred_weekday_and_time_first(clinic, patient, chair, working_nurse):
    # when
    options = availability_search(
        clinic=clinic,
        patient=patient,
        shape=NURSE_SHARED,
        date_from=MONDAY,
        date_to=MONDAY + dt.timedelta(days=6),
        prefs=Preferences(weekdays=frozenset({2}), earliest=dt.time(14), latest=dt.time(15)),
        limit=2,
    )

    # then: Wednesday 14:00 and 14:15 match both preferences
    assert [o["starts_at"] for o in options] == ["2027-06-09T14:00:00-04:00", "2027-06-09T14:15:00-04:00"]
    assert [o["score"] for o in options] == [2, 2]


def test_search_prefers_the_preferred_staff_member(clinic, patient, chair, working_nurse, make_staff):
    # given
    from kat_clinic.roles import Role
    from tests.sessions.conftest import works_every_day

    other = works_every_day(make_staff(clinic, Role.NURSE), clinic)

    # when
    options = availability_search(
        clinic=clinic,
        patient=patient,
        shape=NURSE_SHARED,
        date_from=MONDAY,
        date_to=MONDAY,
        prefs=Preferences(staff_ids=frozenset({other.pk})),
        limit=1,
    )

    # then
    assert options[0]["staff"][0]["staff"] == other.pk


def test_search_for_a_planned_integration_stays_inside_its_window(shipped, kat_enrollment, kat_clinic_setup, clinic):
    # given: preparation Saturday and Sunday, dosing Tuesday 09:00-12:00
    setup = kat_clinic_setup
    for seq, days_before in ((1, 2), (2, 1)):
        services.session_book_planned(
            planned_session=planned(kat_enrollment, seq),
            starts_at=at(clinic, MONDAY - dt.timedelta(days=days_before), 9),
            room=setup["consult"][0],
            staff=[setup["therapist"]],
            by=None,
        )
    services.session_book_planned(
        planned_session=planned(kat_enrollment, 3),
        starts_at=at(clinic, MONDAY + dt.timedelta(days=1), 9),
        room=setup["treatment"][0],
        staff=[setup["nurse"], setup["prescriber"], setup["therapist"]],
        by=None,
    )
    integration = planned(kat_enrollment, 4)
    from sessions.program_rules import planned_shape

    # when
    options = availability_search(
        clinic=clinic,
        patient=kat_enrollment.patient,
        shape=planned_shape(integration),
        planned=integration,
        date_from=MONDAY,
        date_to=MONDAY + dt.timedelta(days=13),
        limit=500,
    )

    # then: Wednesday 12:00 (24 h after 12:00 Tuesday) to Friday 12:00 (72 h)
    assert options[0]["starts_at"] == "2027-06-09T12:00:00-04:00"
    assert options[-1]["starts_at"] == "2027-06-11T12:00:00-04:00"


def test_search_query_count_does_not_grow_with_the_range(
    clinic, patient, chair, working_nurse, django_assert_max_num_queries
):
    with django_assert_max_num_queries(12):
        availability_search(
            clinic=clinic, patient=patient, shape=NURSE_SHARED, date_from=MONDAY, date_to=MONDAY + dt.timedelta(days=30)
        )


# --- whole-program booking -----------------------------------------------------------------------


def test_whole_program_preview_proposes_every_session_and_books_nothing(kat_enrollment, clinic):
    # when
    proposal, sessions = enrollment_book_program(enrollment=kat_enrollment, date_from=MONDAY, by=None, preview=True)

    # then
    assert sessions == []
    assert [p["sequence"] for p in proposal] == list(range(1, 15))
    assert Session.objects.count() == 0
    assert set(kat_enrollment.planned_sessions.values_list("status", flat=True)) == {PlannedSession.Status.TO_BOOK}


def test_whole_program_booking_books_all_fourteen_honouring_every_rule(kat_enrollment, clinic):
    # when
    proposal, sessions = enrollment_book_program(enrollment=kat_enrollment, date_from=MONDAY, by=None)

    # then
    assert len(sessions) == 14
    assert set(kat_enrollment.planned_sessions.values_list("status", flat=True)) == {PlannedSession.Status.BOOKED}
    by_seq = {s.planned_session.sequence: s for s in sessions}
    dosing = sorted(s.starts_at for s in sessions if s.kind == "dosing")
    preps = [by_seq[1], by_seq[2]]
    assert max(p.block_ends_at for p in preps) <= dosing[0]
    for i, start in enumerate(dosing):
        assert sum(1 for other in dosing if start <= other < start + dt.timedelta(days=7)) <= 2, i
    for s in sessions:
        if s.kind == "integration":
            dose = Session.objects.get(planned_session=s.planned_session.linked_dosing, active=True)
            assert dt.timedelta(hours=24) <= s.starts_at - dose.block_ends_at <= dt.timedelta(hours=72)
    assert [p["starts_at"] for p in proposal] == [s.starts_at.astimezone(clinic.tz).isoformat() for s in sessions]


def test_whole_program_honours_days_and_times(kat_enrollment, clinic):
    # when: Mondays to Thursdays, starting between 10:00 and 11:00
    proposal, _ = enrollment_book_program(
        enrollment=kat_enrollment,
        date_from=MONDAY,
        by=None,
        preview=True,
        prefs=Preferences(weekdays=frozenset({0, 1, 2, 3}), earliest=dt.time(10), latest=dt.time(11)),
    )

    # then
    for item in proposal:
        local = dt.datetime.fromisoformat(item["starts_at"])
        assert local.weekday() in {0, 1, 2, 3}
        assert dt.time(10) <= local.time() <= dt.time(11)


def test_whole_program_that_cannot_fit_says_which_step_and_why_and_books_nothing(
    kat_enrollment, clinic, kat_clinic_setup
):
    # given: the only therapist is off from Friday for a month
    from tests.sessions.factories import TimeOffFactory

    TimeOffFactory(
        staff=kat_clinic_setup["therapist"],
        starts_at=at(clinic, MONDAY + dt.timedelta(days=4), 0),
        ends_at=at(clinic, MONDAY + dt.timedelta(days=40), 0),
    )

    # when
    with pytest.raises(RuleViolation) as refused:
        enrollment_book_program(enrollment=kat_enrollment, date_from=MONDAY, by=None, horizon_days=21)

    # then: a preparation Monday and Tuesday, the first dosing Wednesday, its integration Thursday;
    # the second dosing (and its integration) needs the therapist from Friday on
    assert refused.value.type == "program_unschedulable"
    assert refused.value.extra["sequence"] == 5
    assert refused.value.extra["reason"] == "no_free_room_or_staff"
    assert [p["sequence"] for p in refused.value.extra["placed"]] == [1, 2, 3, 4]
    assert str(refused.value.detail) == (
        "Step 'Dosing session' (dosing 2 of 6) cannot be placed by 2027-06-27: no room or staff member is free."
    )
    assert Session.objects.count() == 0
    assert StaffAssignment.objects.count() == 0


def _places(monkeypatch) -> list:
    """The starts the search tried, in order."""
    from sessions.placement import Finder

    tried, place = [], Finder.place
    monkeypatch.setattr(Finder, "place", lambda self, start: tried.append(start) or place(self, start))
    return tried


def _search_the_week(clinic, patient, **options) -> list[dict]:
    """A nurse-shared block searched over the week from MONDAY."""
    week = {"date_from": MONDAY, "date_to": MONDAY + dt.timedelta(days=6)}
    return availability_search(clinic=clinic, patient=patient, shape=NURSE_SHARED, **week, **options)


def test_given_no_preferences_the_search_stops_at_the_limitth_option_that_fits(
    clinic, patient, chair, working_nurse, monkeypatch
):
    # given a week with room from 08:00 every day
    full = _search_the_week(clinic, patient)
    tried = _places(monkeypatch)

    # when three are asked for
    options = _search_the_week(clinic, patient, limit=3)

    # then they are the first three of the whole answer, found by trying the day's starts up to
    # the third that fits, not the week's (and none of the night's, when no nurse is at work)
    assert options == full[:3]
    assert [o["starts_at"] for o in options] == [
        "2027-06-07T08:00:00-04:00",
        "2027-06-07T08:15:00-04:00",
        "2027-06-07T08:30:00-04:00",
    ]
    assert [t.astimezone(clinic.tz).strftime("%H:%M") for t in tried] == ["08:00", "08:15", "08:30"]


def test_given_a_preferred_weekday_the_search_goes_on_until_enough_options_have_it(
    clinic, patient, chair, working_nurse, monkeypatch
):
    # given a preference for Wednesday: Monday's and Tuesday's options score less
    prefs = Preferences(weekdays=frozenset({2}))
    tried = _places(monkeypatch)

    # when
    options = _search_the_week(clinic, patient, prefs=prefs, limit=2)

    # then the two are Wednesday's first, and the search stopped there, before Thursday
    assert [o["starts_at"] for o in options] == ["2027-06-09T08:00:00-04:00", "2027-06-09T08:15:00-04:00"]
    assert max(tried).astimezone(clinic.tz).date() == MONDAY + dt.timedelta(days=2)


def test_given_a_busy_week_then_the_open_hours_precheck_changes_no_answer(
    clinic, patient, chair, chair2, working_nurse, book, monkeypatch
):
    # given a week with sessions taking chairs and the nurse's lanes on some mornings
    from sessions.placement import Finder

    book_chair_in_the_week(book, clinic, chair, working_nurse, hours=(8, 10))
    checked = _search_the_week(clinic, patient, limit=100)

    # when the same search runs with every start and every room tried in full
    monkeypatch.setattr(Finder, "may_fit", lambda self, start: True)
    earliest, latest = dt.datetime.min.replace(tzinfo=dt.UTC), dt.datetime.max.replace(tzinfo=dt.UTC)
    always = ([(earliest, latest)], [earliest])
    monkeypatch.setattr(Finder, "_free_rooms", lambda self: ({rid: always for rid in self.room_ids}, always))
    unchecked = _search_the_week(clinic, patient, limit=100)

    # then the same options, in the same order
    assert checked == unchecked
    assert len(checked) == 100
    assert checked[0]["starts_at"] == "2027-06-07T08:00:00-04:00"


def test_a_start_outside_every_nurses_hours_is_refused_before_any_room_or_nurse_is_tried(
    clinic, patient, chair, working_nurse, monkeypatch
):
    # given
    from sessions import placement

    cal = calendar_load(
        clinic=clinic, start=at(clinic, MONDAY, 0), end=at(clinic, MONDAY, 23), patient_ids=[patient.pk]
    )
    finder = placement.Finder(cal, NURSE_SHARED, patient.pk, placement.NO_PREFERENCES)
    judged = []
    credentialed = placement.Finder._credentialed
    monkeypatch.setattr(
        placement.Finder,
        "_credentialed",
        lambda self, sid, role, day: judged.append(sid) or credentialed(self, sid, role, day),
    )

    # when
    night = finder.place(at(clinic, MONDAY, 3))
    morning = finder.place(at(clinic, MONDAY, 9))

    # then the night start was refused without judging the nurse; the morning one fits
    assert night is None
    assert judged == [working_nurse.pk]  # the morning's only
    assert morning is not None and morning.placement.room_id == chair.pk


_MINUTES = st.lists(st.tuples(st.integers(0, 200), st.integers(1, 40)), max_size=12)


def _intervals(pairs) -> list:
    start = dt.datetime(2027, 6, 7, tzinfo=dt.UTC)
    return merge((start + dt.timedelta(minutes=a), start + dt.timedelta(minutes=a + n)) for a, n in pairs)


@hypothesis.settings(max_examples=300, deadline=None)
@hypothesis.given(_MINUTES, _MINUTES)
def test_open_hours_minus_busy_times_in_one_pass_are_what_subtract_gives(opened, busy):
    intervals, holes = _intervals(opened), _intervals(busy)
    assert minus(intervals, holes) == subtract(intervals, holes)


def test_a_room_taken_at_that_time_is_skipped_without_searching_its_bookings(
    clinic, patient, chair, chair2, working_nurse, book, monkeypatch
):
    # given the first chair taken at 09:00, the second free
    from sessions import placement

    book(PatientFactory(home_clinic=clinic), at(clinic, MONDAY, 9), chair, [working_nurse], shape=NURSE_SHARED)
    cal = calendar_load(
        clinic=clinic, start=at(clinic, MONDAY, 0), end=at(clinic, MONDAY, 23), patient_ids=[patient.pk]
    )
    finder = placement.Finder(cal, NURSE_SHARED, patient.pk, placement.NO_PREFERENCES)
    searched = []
    free = placement.Finder._free

    def searching(self, busy, a, b):
        searched.append(busy)
        return free(self, busy, a, b)

    monkeypatch.setattr(placement.Finder, "_free", searching)

    # when
    option = finder.place(at(clinic, MONDAY, 9))

    # then the second chair, and of the rooms' bookings only its own (empty) list was searched
    assert option is not None and option.placement.room_id == chair2.pk
    assert all(busy is not cal.room_busy.get(chair.pk) for busy in searched)
