"""What a booking change means elsewhere, in the same transaction: follow-ups and discharge criteria."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from followups.models import FollowUp
from kat_clinic.errors import RuleViolation
from monitoring.models import DoseAdministration
from programs.choices import Medication, Route, SessionKind, StaffMode
from sessions import services
from sessions.availability import adhoc_shape
from sessions.models import Session
from tests.sessions.conftest import MONDAY, NURSE_SHARED, at

pytestmark = pytest.mark.django_db
K = FollowUp.Kind
# Whole-program booking of the 14-session KAT plan: proposal, rule checks, inserts, follow-ups.
QUERY_BUDGET_WHOLE_PROGRAM = 120


@pytest.fixture
def session(clinic, patient, chair, working_nurse, book):
    return book(patient, at(clinic, MONDAY, 9), chair, [working_nurse], shape=NURSE_SHARED)


def pending(session: Session) -> list[str]:
    return sorted(
        FollowUp.objects.filter(session=session, status=FollowUp.Status.PENDING).values_list("kind", flat=True)
    )


def test_booking_plans_the_reminder_and_the_no_show_review(session):
    assert pending(session) == [K.NO_SHOW_REVIEW, K.SESSION_REMINDER]


def test_cancelling_withdraws_the_pending_follow_ups(session, scheduler):
    # when
    services.session_cancel(session_id=session.pk, by=scheduler, reason="Patient has the flu")

    # then
    assert pending(session) == []
    assert set(FollowUp.objects.filter(session=session).values_list("status", flat=True)) == {FollowUp.Status.CANCELLED}


def test_a_dosed_session_cannot_complete_before_discharge_criteria_hold(
    clinic, patient, chair, working_nurse, prescriber, book
):
    # given: a dosing session in progress with a dose just given and no vitals since
    shape = adhoc_shape(
        kind=SessionKind.DOSING, session_minutes=40, block_minutes=100, staff=[("nurse", StaffMode.SHARED)]
    )
    session = book(patient, at(clinic, MONDAY, 10), chair, [working_nurse], shape=shape)
    services.session_check_in(session_id=session.pk, by=working_nurse, now=session.starts_at)
    services.session_start(session_id=session.pk, by=working_nurse, now=session.starts_at)
    DoseAdministration.objects.create(
        session=session,
        patient=patient,
        medication=Medication.KETAMINE,
        route=Route.IM,
        dose_mg=Decimal("35"),
        lot_number="L1",
        lot_expires_on=dt.date(2030, 1, 1),
        ordered_by=prescriber,
        administered_by=working_nurse,
        started_at=timezone.now(),
    )

    # when
    with pytest.raises(RuleViolation) as refused:
        services.session_complete(session_id=session.pk, by=working_nurse)

    # then
    assert refused.value.type == "discharge_criteria_unmet"
    assert "monitoring_time" in {item["item"] for item in refused.value.extra["unmet"]}
    assert Session.objects.get(pk=session.pk).status == Session.Status.IN_PROGRESS
    assert not FollowUp.objects.filter(session=session, kind=K.CHECKIN_LINK).exists()


def test_completing_a_dosing_session_plans_the_next_day_check_in(clinic, patient, chair, working_nurse, book):
    # given: a dosing session with no dose charted has nothing to monitor
    shape = adhoc_shape(
        kind=SessionKind.DOSING, session_minutes=40, block_minutes=100, staff=[("nurse", StaffMode.SHARED)]
    )
    session = book(patient, at(clinic, MONDAY, 10), chair, [working_nurse], shape=shape)
    services.session_check_in(session_id=session.pk, by=working_nurse, now=session.starts_at)
    services.session_start(session_id=session.pk, by=working_nurse, now=session.starts_at)

    # when
    services.session_complete(session_id=session.pk, by=working_nurse)

    # then
    assert FollowUp.objects.filter(session=session, kind=K.CHECKIN_LINK, status=FollowUp.Status.PENDING).count() == 1


def test_whole_program_booking_plans_every_sessions_follow_ups_at_once(
    kat_enrollment, clinic, django_assert_max_num_queries
):
    from sessions.services import enrollment_book_program

    # when
    with django_assert_max_num_queries(QUERY_BUDGET_WHOLE_PROGRAM):
        _, sessions = enrollment_book_program(enrollment=kat_enrollment, date_from=MONDAY, by=None)

    # then: each of the 14 sessions has its reminder and its no-show review
    assert len(sessions) == 14
    for session in sessions:
        assert {K.NO_SHOW_REVIEW, K.SESSION_REMINDER} <= set(pending(session))
    reminders = FollowUp.objects.filter(kind=K.SESSION_REMINDER, session__in=sessions)
    assert reminders.count() == 14


def test_moving_an_adhoc_session_to_telehealth_together_needs_no_room(session, working_nurse):
    # given
    new_start = session.starts_at + dt.timedelta(hours=3)

    # when
    [moved] = services.sessions_reschedule_together(
        moves=[
            services.Move(
                session_id=session.pk, starts_at=new_start, room_id=None, staff_ids=[working_nurse], telehealth=True
            )
        ],
        by=None,
    )

    # then
    assert (moved.telehealth, moved.room_id, moved.starts_at) == (True, None, new_start)
    assert Session.objects.get(pk=session.pk).status == Session.Status.CANCELLED
