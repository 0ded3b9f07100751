from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from kat_clinic.errors import Conflict, RuleViolation
from sessions import services
from sessions.models import SchedulingPolicy, Session, StaffAssignment
from tests.sessions.conftest import MONDAY, NURSE_SHARED, at

pytestmark = pytest.mark.django_db
S = Session.Status


@pytest.fixture
def session(clinic, patient, chair, working_nurse, book):
    return book(patient, at(clinic, MONDAY, 9), chair, [working_nurse], shape=NURSE_SHARED)


def test_session_walks_scheduled_checked_in_in_progress_completed(session, nurse):
    # when: all at the booked time
    with time_machine.travel(session.starts_at, tick=True):
        services.session_check_in(session_id=session.pk, by=nurse)
        services.session_start(session_id=session.pk, by=nurse)
        done = services.session_complete(session_id=session.pk, by=nurse)

    # then
    assert done.status == S.COMPLETED
    assert done.active is True
    assert done.checked_in_at <= done.started_at <= done.completed_at


def test_completing_a_scheduled_session_is_refused(session, nurse):
    # when
    with pytest.raises(Conflict) as refused:
        services.session_complete(session_id=session.pk, by=nurse)

    # then
    assert refused.value.type == "illegal_transition"
    assert refused.value.extra["status"] == "scheduled"
    assert Session.objects.get(pk=session.pk).status == S.SCHEDULED


def test_checking_in_twice_is_a_no_op(session, nurse):
    # given
    first = services.session_check_in(session_id=session.pk, by=nurse, now=session.starts_at)

    # when
    second = services.session_check_in(session_id=session.pk, by=nurse, now=session.starts_at)

    # then
    assert second.checked_in_at == first.checked_in_at


def test_cancelling_a_completed_session_is_refused(session, nurse):
    # given
    services.session_check_in(session_id=session.pk, by=nurse, now=session.starts_at)
    services.session_start(session_id=session.pk, by=nurse, now=session.starts_at)
    services.session_complete(session_id=session.pk, by=nurse)

    # when
    with pytest.raises(Conflict):
        services.session_cancel(session_id=session.pk, by=nurse, reason="too late")

    # then
    assert Session.objects.get(pk=session.pk).status == S.COMPLETED


def test_cancel_records_who_why_and_is_late_inside_the_window(session, scheduler, clinic):
    # given: the clinic's window is 48 h; cancelling 30 h before the start
    SchedulingPolicy.objects.create(clinic=clinic, late_cancel_hours=48)
    now = session.starts_at - dt.timedelta(hours=30)

    # when
    cancelled = services.session_cancel(session_id=session.pk, by=scheduler, reason="car broke down", now=now)

    # then
    assert (cancelled.status, cancelled.active, cancelled.late_cancel) == (S.CANCELLED, False, True)
    assert (cancelled.cancelled_by_id, cancelled.cancellation_reason, cancelled.cancelled_at) == (
        scheduler.pk,
        "car broke down",
        now,
    )
    assert not StaffAssignment.objects.filter(session=session, active=True).exists()


def test_cancel_outside_the_window_is_not_late(session, scheduler):
    # when: default window 24 h, cancelling 25 h before
    cancelled = services.session_cancel(
        session_id=session.pk, by=scheduler, reason="holiday", now=session.starts_at - dt.timedelta(hours=25)
    )

    # then
    assert cancelled.late_cancel is False


def test_no_show_before_the_start_is_refused(session, scheduler):
    # when
    with pytest.raises(RuleViolation) as refused:
        services.session_mark_no_show(
            session_id=session.pk, by=scheduler, now=session.starts_at - dt.timedelta(minutes=1)
        )

    # then
    assert refused.value.type == "no_show_before_start"
    assert Session.objects.get(pk=session.pk).status == S.SCHEDULED


def test_no_show_frees_the_resources(session, scheduler):
    # when
    marked = services.session_mark_no_show(
        session_id=session.pk, by=scheduler, now=session.starts_at + dt.timedelta(minutes=20)
    )

    # then
    assert (marked.status, marked.active, marked.no_show_by_id) == (S.NO_SHOW, False, scheduler.pk)
    assert not StaffAssignment.objects.filter(session=session, active=True).exists()


def test_reschedule_moves_the_session_and_cancels_the_old_one(session, scheduler, clinic):
    # when: later the same day, overlapping its old block (which no longer counts)
    moved = services.session_reschedule(session_id=session.pk, starts_at=at(clinic, MONDAY, 10), by=scheduler)

    # then
    old = Session.objects.get(pk=session.pk)
    assert (old.status, old.cancellation_reason, old.late_cancel) == (S.CANCELLED, "rescheduled", False)
    assert moved.rescheduled_from_id == session.pk
    assert moved.starts_at == at(clinic, MONDAY, 10)
    assert moved.room_id == session.room_id
    assert [(a.staff_id, a.lane) for a in moved.assignments.all()] == [
        (a.staff_id, a.lane) for a in session.assignments.all()
    ]


def test_refused_reschedule_leaves_the_original_booked(session, scheduler, clinic):
    # when: outside the nurse's hours
    with pytest.raises(RuleViolation):
        services.session_reschedule(session_id=session.pk, starts_at=at(clinic, MONDAY, 19), by=scheduler)

    # then
    old = Session.objects.get(pk=session.pk)
    assert (old.status, old.active) == (S.SCHEDULED, True)
    assert Session.objects.count() == 1
    assert StaffAssignment.objects.filter(active=True).count() == 1
