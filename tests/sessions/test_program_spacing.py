"""Whole-program booking spaces the preparation sessions as the template says and keeps off the
clinic's closures, public holidays included (issue 12, item 10)."""

from __future__ import annotations

import datetime as dt

import pytest

from kat_clinic.errors import RuleViolation
from programs.models import TemplateRule
from programs.validation import validate_for_save
from sessions.models import ClinicHoliday, Session
from sessions.services import enrollment_book_program
from tests.sessions.conftest import MONDAY, at, planned

pytestmark = pytest.mark.django_db
DAY = dt.timedelta(days=1)


def _local(item: dict) -> dt.datetime:
    return dt.datetime.fromisoformat(item["starts_at"])


def test_the_shipped_kat_template_spaces_preparations_a_day_apart_and_doses_a_day_after(kat_enrollment, clinic):
    # given: the shipped KAT template (two 60-minute preparations, then dosing), every room and
    # staff member free from Monday 08:00

    # when: the whole program is proposed from Monday
    proposal, _ = enrollment_book_program(enrollment=kat_enrollment, date_from=MONDAY, by=None, preview=True)

    # then: one preparation a day, and the first dosing a day after the last preparation ends
    kinds = {p.sequence: p.kind for p in kat_enrollment.planned_sessions.all()}
    preps = [_local(i) for i in proposal if kinds[i["sequence"]] == "preparation"]
    first_dosing = min(_local(i) for i in proposal if kinds[i["sequence"]] == "dosing")
    assert [p.isoformat() for p in preps] == ["2027-06-07T08:00:00-04:00", "2027-06-08T08:00:00-04:00"]
    assert first_dosing.isoformat() == "2027-06-09T09:00:00-04:00"
    assert first_dosing - (preps[-1] + dt.timedelta(minutes=60)) >= DAY


def test_the_shipped_kat_template_carries_the_spacing_rules(shipped):
    # given / when
    rules = {r.kind: (r.step.position, r.min_interval) for r in shipped["ketamine_assisted_therapy"].rules.all()}

    # then
    assert rules[TemplateRule.Kind.PREP_MIN_GAP] == (1, DAY)
    assert rules[TemplateRule.Kind.PREP_BEFORE_FIRST_DOSING] == (1, DAY)


def test_booking_a_second_preparation_the_same_day_is_refused(kat_enrollment, kat_clinic_setup, clinic):
    # given: the first preparation Monday 09:00
    from tests.sessions.test_program_rules import book_prep, refused

    book_prep(kat_enrollment, kat_clinic_setup, 1, at(clinic, MONDAY, 9))

    # when: the second at 10:00 the same day
    error = refused(lambda: book_prep(kat_enrollment, kat_clinic_setup, 2, at(clinic, MONDAY, 10)), kat_enrollment)

    # then
    assert error.type == "prep_min_gap"
    assert error.errors == {
        "starts_at": [
            "Preparation sessions must start at least 24 h apart (preparation 1 of 2, Monday 07 June 2027, 09:00)."
        ]
    }


def test_a_dosing_session_the_day_of_the_last_preparation_is_refused(kat_enrollment, kat_clinic_setup, clinic):
    # given: preparations Monday and Tuesday 09:00-10:00
    from tests.sessions.test_program_rules import book_dosing, book_prep, refused

    book_prep(kat_enrollment, kat_clinic_setup, 1, at(clinic, MONDAY, 9))
    book_prep(kat_enrollment, kat_clinic_setup, 2, at(clinic, MONDAY + DAY, 9))

    # when: the first dosing Tuesday 13:00, three hours after the last preparation
    error = refused(
        lambda: book_dosing(kat_enrollment, kat_clinic_setup, 3, at(clinic, MONDAY + DAY, 13)), kat_enrollment
    )

    # then: refused; Wednesday 10:00 (24 h after it ended) is accepted
    assert error.type == "prep_before_first_dosing"
    assert book_dosing(kat_enrollment, kat_clinic_setup, 3, at(clinic, MONDAY + 2 * DAY, 10)).pk


def test_a_template_states_the_preparation_spacing_with_a_positive_interval():
    # given: a preparation step and a spacing rule without an interval
    spec = {
        "name": "KAT",
        "pathway": "kat",
        "steps": [
            {
                "position": 1,
                "phase": "preparation",
                "kind": "preparation",
                "label": "Preparation",
                "count": 3,
                "session_minutes": 60,
                "block_minutes": 60,
            }
        ],
        "rules": [{"kind": "prep_min_gap", "step_position": 1}],
    }

    # when / then
    assert validate_for_save(spec) == {"rules.0.min_interval": ["A minimum gap must be more than 0."]}
    spec["rules"][0]["min_interval"] = DAY
    assert validate_for_save(spec) == {}


# --- closures and public holidays ----------------------------------------------------------------


@pytest.fixture
def esketamine_course(shipped, patient, kat_clinic_setup, clinic):
    from programs.services import enrollment_create
    from tests.factories import CertificationFactory

    CertificationFactory(clinic=clinic)
    return enrollment_create(patient=patient, template=shipped["esketamine_induction_rems"], by=None)


def test_an_esketamine_course_is_never_proposed_on_a_yearly_holiday(esketamine_course, clinic):
    # given: the clinic marks Christmas Day, yearly since 2020
    ClinicHoliday.objects.create(clinic=clinic, date=dt.date(2020, 12, 25), name="Christmas Day", repeats_yearly=True)

    # when: the twice-weekly course (48 h apart at least) is proposed from Thursday 23 December 2027
    proposal, _ = enrollment_book_program(
        enrollment=esketamine_course, date_from=dt.date(2027, 12, 23), by=None, preview=True
    )

    # then: Thursday 23rd, then not Saturday 25th (48 h on) but Sunday 26th
    days = [_local(i).date().isoformat() for i in proposal]
    assert "2027-12-25" not in days
    assert days[:2] == ["2027-12-23", "2027-12-26"]


def test_a_movable_holiday_closes_only_the_year_it_is_listed_for(kat_clinic_setup, clinic, patient, book):
    # given: Thanksgiving 2027 marked for that year only
    ClinicHoliday.objects.create(clinic=clinic, date=dt.date(2027, 11, 25), name="Thanksgiving")
    room, therapist = kat_clinic_setup["consult"][0], kat_clinic_setup["therapist"]

    # when: booking that day, and the same date a year later
    with pytest.raises(RuleViolation) as refused:
        book(patient, at(clinic, dt.date(2027, 11, 25), 9), room, [therapist])
    next_year = book(patient, at(clinic, dt.date(2028, 11, 25), 9), room, [therapist])

    # then
    assert refused.value.type == "clinic_closed"
    assert list(Session.objects.values_list("pk", flat=True)) == [next_year.pk]


def test_booking_on_a_marked_holiday_is_refused_like_a_closure(kat_enrollment, kat_clinic_setup, clinic):
    # given: Independence Day marked yearly
    from tests.sessions.test_program_rules import book_prep, refused

    ClinicHoliday.objects.create(clinic=clinic, date=dt.date(2026, 7, 4), name="Independence Day", repeats_yearly=True)

    # when: a preparation on Sunday 4 July 2027
    error = refused(
        lambda: book_prep(kat_enrollment, kat_clinic_setup, 1, at(clinic, dt.date(2027, 7, 4), 9)), kat_enrollment
    )

    # then
    assert error.type == "clinic_closed"
    assert planned(kat_enrollment, 1).status == "to_book"


def test_a_closure_is_kept_off_by_the_whole_program_proposal(kat_enrollment, clinic):
    # given: the clinic closed all Tuesday for works
    from sessions.models import ClinicClosure

    ClinicClosure.objects.create(
        clinic=clinic, starts_at=at(clinic, MONDAY + DAY, 0), ends_at=at(clinic, MONDAY + 2 * DAY, 0), reason="Works"
    )

    # when
    proposal, _ = enrollment_book_program(enrollment=kat_enrollment, date_from=MONDAY, by=None, preview=True)

    # then: nothing on Tuesday; the second preparation moves to Wednesday
    days = [_local(i).date() for i in proposal]
    assert MONDAY + DAY not in days
    assert days[:2] == [MONDAY, MONDAY + 2 * DAY]
