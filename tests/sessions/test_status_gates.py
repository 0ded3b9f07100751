"""Check-in and start follow the clock and the plan (issue 12, item 4).

The front desk cannot check in tomorrow's session today; a dosing session cannot start before its
preparation is completed, nor an integration session before its own dosing."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from kat_clinic.errors import Conflict, RuleViolation
from programs.models import PlannedSession
from sessions import services
from sessions.models import SchedulingPolicy, Session
from tests.sessions.conftest import MONDAY, NURSE_SHARED, at, planned

pytestmark = pytest.mark.django_db
S = Session.Status
TUESDAY = MONDAY + dt.timedelta(days=1)
WEDNESDAY = MONDAY + dt.timedelta(days=2)


def status_of(session):
    return Session.objects.filter(pk=session.pk).values_list("status", "checked_in_at", "started_at").get()


@pytest.fixture
def session(clinic, patient, chair, working_nurse, book):
    return book(patient, at(clinic, MONDAY, 9), chair, [working_nurse], shape=NURSE_SHARED)


def walk(session, *, until, now):
    """Check in, then start, a booked session at `now`."""
    services.session_check_in(session_id=session.pk, now=now)
    if until == S.IN_PROGRESS:
        services.session_start(session_id=session.pk, now=now)
    if until == S.COMPLETED:
        services.session_start(session_id=session.pk, now=now)
        services.session_complete(session_id=session.pk)


def test_tomorrows_session_cannot_be_checked_in_today(session, clinic):
    # given: the session is booked for Monday 09:00; it is Sunday 09:00
    now = at(clinic, MONDAY - dt.timedelta(days=1), 9)

    # when
    with pytest.raises(RuleViolation) as refused:
        services.session_check_in(session_id=session.pk, now=now)

    # then: the detail says when check-in opens, and nothing changed
    assert refused.value.type == "outside_status_window"
    assert refused.value.detail == (
        f"This session can be checked in from Monday 07 June 2027, 07:00 ({clinic.timezone}); "
        f"it is booked for Monday 07 June 2027, 09:00 ({clinic.timezone})."
    )
    assert status_of(session) == (S.SCHEDULED, None, None)


def test_the_window_is_the_clinics_setting(session, clinic):
    # given: this clinic opens check-in 30 minutes before the start
    SchedulingPolicy.objects.create(clinic=clinic, status_window_before_minutes=30)

    # when: 45 minutes early is refused, 20 minutes early is allowed
    with pytest.raises(RuleViolation):
        services.session_check_in(session_id=session.pk, now=at(clinic, MONDAY, 8, 15))
    checked_in = services.session_check_in(session_id=session.pk, now=at(clinic, MONDAY, 8, 40))

    # then
    assert (checked_in.status, checked_in.checked_in_at) == (S.CHECKED_IN, at(clinic, MONDAY, 8, 40))


def test_a_session_cannot_be_started_hours_after_its_window_closed(session, clinic):
    # given: checked in on time
    services.session_check_in(session_id=session.pk, now=at(clinic, MONDAY, 8, 50))

    # when: someone presses start at 15:00
    with pytest.raises(RuleViolation) as refused:
        services.session_start(session_id=session.pk, now=at(clinic, MONDAY, 15))

    # then
    assert refused.value.type == "outside_status_window"
    assert refused.value.detail == (
        f"This session can no longer be started: the window closed at Monday 07 June 2027, 11:00 ({clinic.timezone})."
    )
    assert status_of(session) == (S.CHECKED_IN, at(clinic, MONDAY, 8, 50), None)


def test_check_in_a_day_early_through_the_api_is_a_422_problem(api, scheduler, session, clinic):
    # given: Sunday 09:00 at the clinic
    with time_machine.travel(at(clinic, MONDAY - dt.timedelta(days=1), 9), tick=False):
        # when
        response = api(scheduler).post(f"/api/v1/sessions/{session.pk}/check-in/")

    # then
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"
    problem = response.json()
    assert problem["type"] == "urn:kat-clinic:problem:outside_status_window"
    assert problem["detail"].startswith("This session can be checked in from Monday 07 June 2027, 07:00")
    assert status_of(session) == (S.SCHEDULED, None, None)


def test_dosing_cannot_start_before_every_preparation_is_completed(booked_course, kat_enrollment, clinic):
    # given: the first preparation was completed, the second was never started
    walk(booked_course["prep1"], until=S.COMPLETED, now=at(clinic, MONDAY - dt.timedelta(days=2), 9))
    dosing = booked_course["dosing"]
    services.session_check_in(session_id=dosing.pk, now=at(clinic, TUESDAY, 8, 45))

    # when
    with pytest.raises(Conflict) as refused:
        services.session_start(session_id=dosing.pk, now=at(clinic, TUESDAY, 9))

    # then
    assert refused.value.type == "dependencies_not_completed"
    assert refused.value.detail == "This session cannot start before these are completed: preparation 2 of 2."
    assert refused.value.extra["unmet"] == [
        {
            "planned_session": planned(kat_enrollment, 2).pk,
            "kind": "preparation",
            "occurrence": 2,
            "of": 2,
            "status": PlannedSession.Status.BOOKED,
        }
    ]
    assert status_of(dosing) == (S.CHECKED_IN, at(clinic, TUESDAY, 8, 45), None)


def test_dosing_starts_once_both_preparations_are_completed(booked_course, clinic):
    # given
    walk(booked_course["prep1"], until=S.COMPLETED, now=at(clinic, MONDAY - dt.timedelta(days=2), 9))
    walk(booked_course["prep2"], until=S.COMPLETED, now=at(clinic, MONDAY - dt.timedelta(days=1), 9))
    dosing = booked_course["dosing"]
    services.session_check_in(session_id=dosing.pk, now=at(clinic, TUESDAY, 8, 45))

    # when
    started = services.session_start(session_id=dosing.pk, now=at(clinic, TUESDAY, 9))

    # then
    assert (started.status, started.started_at) == (S.IN_PROGRESS, at(clinic, TUESDAY, 9))


def test_integration_cannot_start_before_its_dosing_is_completed(api, nurse, booked_course, clinic):
    # given: the integration's dosing was checked in but never completed
    integration = booked_course["integration"]
    services.session_check_in(session_id=booked_course["dosing"].pk, now=at(clinic, TUESDAY, 8, 45))
    services.session_check_in(session_id=integration.pk, now=at(clinic, WEDNESDAY, 11, 50))

    # when: the start goes through the API at the booked time
    with time_machine.travel(at(clinic, WEDNESDAY, 12), tick=False):
        response = api(nurse).post(f"/api/v1/sessions/{integration.pk}/start/")

    # then
    assert response.status_code == 409
    problem = response.json()
    assert problem["type"] == "urn:kat-clinic:problem:dependencies_not_completed"
    assert problem["detail"] == "This session cannot start before these are completed: dosing 1 of 6."
    assert [(u["kind"], u["occurrence"], u["status"]) for u in problem["unmet"]] == [("dosing", 1, "booked")]
    assert status_of(integration) == (S.CHECKED_IN, at(clinic, WEDNESDAY, 11, 50), None)
