"""Whole-program booking in a few dozen queries: one read of the plan and calendar, bulk writes,
every rule kept and the exclusion constraints still the last word."""

from __future__ import annotations

import datetime as dt

import pytest

from kat_clinic.errors import Conflict
from kat_clinic.roles import Role
from programs.choices import SessionKind
from programs.models import PlannedSession
from sessions import calendar_loading
from sessions.availability import adhoc_shape
from sessions.models import Session, StaffAssignment
from sessions.placement import Preferences
from sessions.services import enrollment_book_program, program_booking
from tests.sessions.conftest import MONDAY, at, works_every_day

pytestmark = pytest.mark.django_db

PREP, DOSING, INTEGRATION = SessionKind.PREPARATION, SessionKind.DOSING, SessionKind.INTEGRATION
THERAPIST = ("therapist", "therapist", "exclusive", None)
DOSING_TEAM = [("nurse", "nurse", "shared", 1), ("prescriber", "prescriber", "present", None), THERAPIST]

# (sequence, kind, local start, local end, local block end, room, [(who, role, mode, lane)])
SHIPPED_KAT_PLAN_FROM_MONDAY = [
    # one preparation a day, the first dosing at least a day after the last (the shipped template's spacing)
    (1, PREP, "Mon 2027-06-07 08:00", "09:00", "09:00", "Consult 1", [THERAPIST]),
    (2, PREP, "Tue 2027-06-08 08:00", "09:00", "09:00", "Consult 1", [THERAPIST]),
    (3, DOSING, "Wed 2027-06-09 09:00", "11:30", "12:00", "Treatment 1", DOSING_TEAM),
    (4, INTEGRATION, "Thu 2027-06-10 12:00", "13:00", "13:00", "Consult 1", [THERAPIST]),
    (5, DOSING, "Thu 2027-06-10 13:00", "15:30", "16:00", "Treatment 1", DOSING_TEAM),
    (6, INTEGRATION, "Fri 2027-06-11 16:00", "17:00", "17:00", "Consult 1", [THERAPIST]),
    (7, DOSING, "Wed 2027-06-16 09:00", "11:30", "12:00", "Treatment 1", DOSING_TEAM),
    (8, INTEGRATION, "Thu 2027-06-17 12:00", "13:00", "13:00", "Consult 1", [THERAPIST]),
    (9, DOSING, "Thu 2027-06-17 13:00", "15:30", "16:00", "Treatment 1", DOSING_TEAM),
    (10, INTEGRATION, "Fri 2027-06-18 16:00", "17:00", "17:00", "Consult 1", [THERAPIST]),
    (11, DOSING, "Wed 2027-06-23 09:00", "11:30", "12:00", "Treatment 1", DOSING_TEAM),
    (12, INTEGRATION, "Thu 2027-06-24 12:00", "13:00", "13:00", "Consult 1", [THERAPIST]),
    (13, DOSING, "Thu 2027-06-24 13:00", "15:30", "16:00", "Treatment 1", DOSING_TEAM),
    (14, INTEGRATION, "Fri 2027-06-25 16:00", "17:00", "17:00", "Consult 1", [THERAPIST]),
]


def _booked(clinic, who: dict[int, str]) -> list[tuple]:
    tz = clinic.tz
    return [
        (
            s.planned_session.sequence,
            s.kind,
            s.starts_at.astimezone(tz).strftime("%a %Y-%m-%d %H:%M"),
            s.ends_at.astimezone(tz).strftime("%H:%M"),
            s.block_ends_at.astimezone(tz).strftime("%H:%M"),
            s.room.name if s.room else None,
            sorted((who[a.staff_id], a.role, a.mode, a.lane) for a in s.assignments.all()),
        )
        for s in Session.objects.filter(active=True)
        .select_related("room", "planned_session")
        .prefetch_related("assignments")
        .order_by("starts_at")
    ]


def test_booking_the_shipped_kat_plan_takes_at_most_40_queries_and_books_exactly_the_plan(
    kat_enrollment, clinic, kat_clinic_setup, django_assert_max_num_queries
):
    # given: the shipped 14-session KAT plan, nothing booked
    who = {kat_clinic_setup[k].pk: k for k in ("therapist", "nurse", "prescriber")}

    # when
    with django_assert_max_num_queries(40):
        proposal, sessions = enrollment_book_program(enrollment=kat_enrollment, date_from=MONDAY, by=None)

    # then: the sessions, rooms, staff and lanes of the plan, each planned session booked once
    assert _booked(clinic, who) == SHIPPED_KAT_PLAN_FROM_MONDAY
    assert [s.planned_session.sequence for s in sessions] == list(range(1, 15))
    assert [p["starts_at"] for p in proposal] == [s.starts_at.astimezone(clinic.tz).isoformat() for s in sessions]
    assert set(kat_enrollment.planned_sessions.values_list("status", flat=True)) == {PlannedSession.Status.BOOKED}
    assert StaffAssignment.objects.count() == 8 * 1 + 6 * 3


def test_booking_the_shipped_kat_plan_counts_the_starts_its_rules_refuse_without_wording_them(
    kat_enrollment, clinic, kat_clinic_setup, monkeypatch
):
    from sessions import placement, program_rules

    # given: the rules' refusals of candidate starts recorded, and their wording counted
    who = {kat_clinic_setup[k].pk: k for k in ("therapist", "nurse", "prescriber")}
    refused, worded = [], []
    judge = placement.program_violations

    def recorded(*args, **kwargs):
        violations = judge(*args, **kwargs)
        refused.extend(v.rule for v in violations)
        return violations

    monkeypatch.setattr(placement, "program_violations", recorded)

    def counted(real):
        return lambda *args: worded.append(args) or real(*args)

    monkeypatch.setattr(program_rules, "_called", counted(program_rules._called))
    monkeypatch.setattr(program_rules, "_local", counted(program_rules._local))

    # when
    enrollment_book_program(enrollment=kat_enrollment, date_from=MONDAY, by=None)

    # then: the plan is booked as ever, after the rules refused starts, and no refusal was worded
    assert _booked(clinic, who) == SHIPPED_KAT_PLAN_FROM_MONDAY
    assert {"prep_before_first_dosing", "prep_min_gap", "dosing_weekly_cap"} <= set(refused)
    assert worded == []
    # and a refusal's message, once read, is worded as before
    ctx = program_rules.program_context_load(enrollment=kat_enrollment)
    first_prep = Session.objects.get(active=True, planned_session__sequence=1)
    second_prep = kat_enrollment.planned_sessions.get(sequence=2)
    violations = program_rules.program_violations(ctx, second_prep, first_prep.starts_at, first_prep.block_ends_at)
    assert [(v.rule, v.field, v.message) for v in violations] == [
        (
            "prep_min_gap",
            "starts_at",
            "Preparation sessions must start at least 24 h apart (preparation 1 of 2, Monday 07 June 2027, 08:00).",
        )
    ]


def test_a_clash_only_the_database_sees_refuses_the_whole_plan_with_409_and_writes_nothing(
    kat_enrollment, clinic, kat_clinic_setup, patient, book, monkeypatch
):
    # given: the patient has a telehealth visit at 09:00 on Wednesday, which another transaction
    # booked after this one read its calendar (simulated: the calendar does not see the patient)
    visit = book(
        patient,
        at(clinic, MONDAY + dt.timedelta(days=2), 9),
        None,
        shape=adhoc_shape(kind=SessionKind.CHECK_IN, session_minutes=30, block_minutes=60, staff=[], telehealth=True),
    )
    real_load = calendar_loading.calendar_load
    monkeypatch.setattr(
        program_booking, "calendar_load", lambda **kw: real_load(**{**kw, "patient_ids": []}), raising=True
    )

    # when: the proposal puts the first dosing at 09:00 on Wednesday over the visit
    with pytest.raises(Conflict) as refused:
        enrollment_book_program(enrollment=kat_enrollment, date_from=MONDAY, by=None)

    # then: the exclusion constraint's 409, nothing booked
    assert refused.value.type == "overlap"
    assert refused.value.extra["conflicts"] == [{"resource": "patient", "constraint": "session_no_patient_overlap"}]
    assert list(Session.objects.values_list("pk", flat=True)) == [visit.pk]
    assert StaffAssignment.objects.count() == 0
    assert set(kat_enrollment.planned_sessions.values_list("status", flat=True)) == {PlannedSession.Status.TO_BOOK}


def test_a_preferred_therapist_later_in_the_day_wins_over_the_first_free_start(
    kat_enrollment, kat_clinic_setup, clinic, make_staff
):
    # given a second therapist working from 11:00, preferred for the program
    later = works_every_day(make_staff(clinic, Role.THERAPIST), clinic, start=dt.time(11))

    # when the plan is proposed without and then with the preference
    plain, _ = enrollment_book_program(enrollment=kat_enrollment, date_from=MONDAY, preview=True, by=None)
    preferred, _ = enrollment_book_program(
        enrollment=kat_enrollment,
        date_from=MONDAY,
        prefs=Preferences(staff_ids=frozenset({later.pk})),
        preview=True,
        by=None,
    )

    # then the first fit is the day's first start; with the preference, the same day at 11:00 with them
    first_plain, first_preferred = plain[0], preferred[0]
    assert first_plain["starts_at"][:10] == first_preferred["starts_at"][:10]
    assert first_plain["staff"][0]["staff"] == kat_clinic_setup["therapist"].pk
    assert first_preferred["starts_at"][11:16] == "11:00"
    assert first_preferred["staff"][0]["staff"] == later.pk
    assert first_preferred["score"] == 1
