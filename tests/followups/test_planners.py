from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from followups.engine import followup_deliver, followups_claim_due
from followups.messages import FORBIDDEN_IN_PATIENT_MESSAGES, render_patient_message
from followups.models import FollowUp
from followups.planners import (
    followups_after_dosing_completed,
    followups_cancel_for_session,
    followups_for_enrollment,
    followups_plan_for_session,
    followups_rems_form_submitted,
    followups_retime_for_session,
)
from kat_clinic.roles import Role
from programs.catalog import install_shipped_templates
from programs.choices import SessionKind
from programs.models import ProgramTemplate
from programs.services import enrollment_create
from sessions.models import Session
from tests.factories import PatientFactory
from tests.followups.factories import SessionFactory

pytestmark = pytest.mark.django_db

K = FollowUp.Kind
S = FollowUp.Status


@pytest.fixture
def sms_patient(clinic):
    return PatientFactory(home_clinic=clinic, sms_opt_in=True)


@pytest.fixture
def booked(clinic, sms_patient):
    starts = dt.datetime(2031, 3, 12, 10, 0, tzinfo=clinic.tz)
    return SessionFactory(clinic=clinic, patient=sms_patient, starts_at=starts, ends_at=starts + dt.timedelta(hours=2))


def _open(session: Session) -> dict[str, dt.datetime]:
    rows = FollowUp.objects.filter(session=session, status__in=FollowUp.OPEN_STATUSES)
    return {row.kind: row.due_at for row in rows}


def _enroll(patient, catalog_key: str):
    install_shipped_templates(organization=patient.organization)
    template = ProgramTemplate.objects.get(organization=patient.organization, catalog_key=catalog_key)
    return enrollment_create(patient=patient, template=template, by=None)


def test_booking_plans_a_reminder_at_the_clinic_offset_and_a_no_show_review(booked, clinic):
    # when
    followups_plan_for_session(session=booked)

    # then
    assert _open(booked) == {
        K.SESSION_REMINDER: dt.datetime(2031, 3, 11, 10, 0, tzinfo=clinic.tz),
        K.NO_SHOW_REVIEW: dt.datetime(2031, 3, 12, 13, 0, tzinfo=clinic.tz),
    }
    reminder = FollowUp.objects.get(session=booked, kind=K.SESSION_REMINDER)
    assert (reminder.target, reminder.channel, reminder.payload) == ("patient", "sms", {"session_id": booked.pk})
    review = FollowUp.objects.get(session=booked, kind=K.NO_SHOW_REVIEW)
    assert (review.target, review.role, review.channel) == ("role", Role.SCHEDULER, "in_app")


def test_planning_twice_writes_nothing_new(booked):
    # given
    followups_plan_for_session(session=booked)

    # when
    followups_plan_for_session(session=booked)

    # then
    assert FollowUp.objects.count() == 2


def test_a_patient_reachable_by_neither_channel_gets_no_reminder(clinic):
    # given
    patient = PatientFactory(home_clinic=clinic, sms_opt_in=False, email_opt_in=False)
    session = SessionFactory(clinic=clinic, patient=patient)

    # when
    followups_plan_for_session(session=session)

    # then
    assert set(_open(session)) == {K.NO_SHOW_REVIEW}


def test_the_reminder_gives_preparation_and_never_names_the_drug(booked, clinic):
    # given
    clinic.phone = "+1 212 555 0199"
    clinic.save()
    followups_plan_for_session(session=booked)
    reminder = FollowUp.objects.get(session=booked, kind=K.SESSION_REMINDER)

    # when
    subject, body = render_patient_message(reminder)

    # then
    assert body == (
        "Midtown: a reminder of your visit on Wednesday March 12 at 10:00 AM.\n"
        "Please have nothing to eat for 6 hours before your visit.\n"
        "Arrange a ride home: an adult must take you home.\n"
        "Do not drive for 24 hours after your visit.\n"
        "Questions or need to change it? Call +1 212 555 0199."
    )
    assert not any(term in (subject + body).lower() for term in FORBIDDEN_IN_PATIENT_MESSAGES)


def test_moving_a_session_retimes_its_pending_followups(booked, clinic):
    # given
    followups_plan_for_session(session=booked)
    old_keys = set(FollowUp.objects.values_list("idempotency_key", flat=True))

    # when
    with transaction.atomic():
        booked.starts_at += dt.timedelta(days=2)
        booked.ends_at += dt.timedelta(days=2)
        booked.block_starts_at, booked.block_ends_at = booked.starts_at, booked.ends_at
        booked.save()
        followups_retime_for_session(session=booked)

    # then
    assert _open(booked) == {
        K.SESSION_REMINDER: dt.datetime(2031, 3, 13, 10, 0, tzinfo=clinic.tz),
        K.NO_SHOW_REVIEW: dt.datetime(2031, 3, 14, 13, 0, tzinfo=clinic.tz),
    }
    assert set(FollowUp.objects.filter(status=S.CANCELLED).values_list("idempotency_key", flat=True)) == old_keys


def test_moving_a_session_back_revives_its_first_followups(booked):
    # given
    followups_plan_for_session(session=booked)
    original = _open(booked)
    booked.starts_at += dt.timedelta(days=2)
    booked.ends_at += dt.timedelta(days=2)
    followups_retime_for_session(session=booked)

    # when
    booked.starts_at -= dt.timedelta(days=2)
    booked.ends_at -= dt.timedelta(days=2)
    followups_retime_for_session(session=booked)

    # then
    assert _open(booked) == original
    assert FollowUp.objects.count() == 4


def test_cancelling_a_session_cancels_its_pending_followups(booked):
    # given
    followups_plan_for_session(session=booked)

    # when
    booked.status = Session.Status.CANCELLED
    followups_cancel_for_session(session=booked)

    # then
    assert _open(booked) == {}
    assert set(FollowUp.objects.values_list("status", "last_error")) == {(S.CANCELLED, "session cancelled")}


def test_a_booking_that_rolls_back_leaves_no_followup(clinic, sms_patient):
    # when
    with pytest.raises(RuntimeError), transaction.atomic():
        session = SessionFactory(clinic=clinic, patient=sms_patient)
        followups_plan_for_session(session=session)
        raise RuntimeError("the booking failed a later check")

    # then
    assert not FollowUp.objects.exists()


def test_the_no_show_review_is_dropped_at_delivery_if_the_session_was_completed(booked, settings):
    # given
    followups_plan_for_session(session=booked)
    Session.objects.filter(pk=booked.pk).update(status=Session.Status.COMPLETED)
    review = FollowUp.objects.get(kind=K.NO_SHOW_REVIEW)
    later = review.due_at + dt.timedelta(minutes=1)
    FollowUp.objects.exclude(pk=review.pk).delete()
    [(pk, claim)] = followups_claim_due(now=later)

    # when
    outcome = followup_deliver(followup_id=pk, claim=claim, now=later)

    # then
    assert outcome == "cancelled"
    review.refresh_from_db()
    assert (review.status, review.last_error) == (S.CANCELLED, "session is completed")


def test_a_completed_kat_dosing_plans_a_checkin_and_integration_alerts(clinic, sms_patient):
    # given
    _enroll(sms_patient, "ketamine_assisted_therapy")
    starts = dt.datetime(2031, 3, 12, 10, 0, tzinfo=clinic.tz)
    dosing = SessionFactory(
        clinic=clinic,
        patient=sms_patient,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=3),
        status=Session.Status.COMPLETED,
    )

    # when
    followups_after_dosing_completed(session=dosing)

    # then
    rows = FollowUp.objects.filter(session=dosing).order_by("due_at", "role")
    assert [(r.kind, r.role or r.target, r.due_at) for r in rows] == [
        (K.INTEGRATION_UNBOOKED, Role.SCHEDULER, dt.datetime(2031, 3, 12, 15, 0, tzinfo=clinic.tz)),
        (K.CHECKIN_LINK, "patient", dt.datetime(2031, 3, 13, 10, 0, tzinfo=clinic.tz)),
        (K.INTEGRATION_WINDOW_CLOSING, Role.ADMIN, dt.datetime(2031, 3, 14, 13, 0, tzinfo=clinic.tz)),
        (K.INTEGRATION_WINDOW_CLOSING, Role.SCHEDULER, dt.datetime(2031, 3, 14, 13, 0, tzinfo=clinic.tz)),
    ]


def test_the_integration_alert_is_dropped_when_an_integration_is_booked_in_the_window(clinic, sms_patient):
    # given
    ended = timezone.now() - dt.timedelta(hours=3)
    dosing = SessionFactory(
        clinic=clinic,
        patient=sms_patient,
        starts_at=ended - dt.timedelta(hours=3),
        ends_at=ended,
        status=Session.Status.COMPLETED,
    )
    followups_after_dosing_completed(session=dosing)
    SessionFactory(
        clinic=clinic,
        patient=sms_patient,
        kind=SessionKind.INTEGRATION,
        starts_at=ended + dt.timedelta(hours=30),
        ends_at=ended + dt.timedelta(hours=31),
    )
    alert = FollowUp.objects.get(kind=K.INTEGRATION_UNBOOKED)
    at = alert.due_at + dt.timedelta(minutes=1)
    FollowUp.objects.exclude(pk=alert.pk).update(status=S.CANCELLED)
    [(pk, claim)] = followups_claim_due(now=at)

    # when
    outcome = followup_deliver(followup_id=pk, claim=claim, now=at)

    # then
    assert outcome == "cancelled"
    alert.refresh_from_db()
    assert alert.last_error == "integration session booked inside the window"


def test_a_completed_esketamine_dosing_plans_the_rems_form_alerts(clinic, sms_patient):
    # given
    _enroll(sms_patient, "esketamine_induction_rems")
    starts = dt.datetime(2031, 3, 12, 10, 0, tzinfo=clinic.tz)
    dosing = SessionFactory(
        clinic=clinic,
        patient=sms_patient,
        starts_at=starts,
        ends_at=starts + dt.timedelta(hours=2),
        status=Session.Status.COMPLETED,
    )

    # when
    followups_after_dosing_completed(session=dosing)

    # then: the form is due in 7 days, with an alert 2 days before; no integration alerts
    rems = FollowUp.objects.filter(kind__in=[K.REMS_FORM_DUE, K.REMS_FORM_LATE]).order_by("due_at")
    assert [(r.kind, r.role, r.due_at) for r in rems] == [
        (K.REMS_FORM_DUE, Role.PRESCRIBER, dt.datetime(2031, 3, 12, 12, 0, tzinfo=clinic.tz)),
        (K.REMS_FORM_LATE, Role.PRESCRIBER, dt.datetime(2031, 3, 17, 12, 0, tzinfo=clinic.tz)),
    ]
    assert rems[0].payload["form_due_at"] == "2031-03-19T16:00:00+00:00"
    assert not FollowUp.objects.filter(kind=K.INTEGRATION_UNBOOKED).exists()

    # and when the form comes in, the alerts stop
    assert followups_rems_form_submitted(session=dosing) == 2


def test_the_last_induction_infusion_plans_the_booster_alert(clinic, sms_patient):
    # given: six completed infusions of the IV induction
    _enroll(sms_patient, "iv_ketamine_induction")
    starts = dt.datetime(2031, 3, 2, 9, 0, tzinfo=clinic.tz)
    sessions = [
        SessionFactory(
            clinic=clinic,
            patient=sms_patient,
            starts_at=starts + dt.timedelta(days=2 * n),
            ends_at=starts + dt.timedelta(days=2 * n, hours=2),
            status=Session.Status.COMPLETED,
        )
        for n in range(6)
    ]

    # when
    followups_after_dosing_completed(session=sessions[4])
    followups_after_dosing_completed(session=sessions[5])

    # then: one alert, 4 weeks after the sixth
    boosters = FollowUp.objects.filter(kind=K.BOOSTER_DUE)
    assert [(b.role, b.due_at) for b in boosters] == [
        (Role.SCHEDULER, dt.datetime(2031, 4, 9, 11, 0, tzinfo=clinic.tz)),
    ]


def test_an_enrollment_plans_its_baseline_scales(clinic, sms_patient):
    # given
    enrollment = _enroll(sms_patient, "ketamine_assisted_therapy")

    # when
    followups_for_enrollment(enrollment=enrollment)
    followups_for_enrollment(enrollment=enrollment)

    # then: PHQ-9, GAD-7, C-SSRS at baseline, each with a reminder a day later
    requests = FollowUp.objects.filter(kind=K.SCALE_REQUEST)
    assert sorted(r.payload["scale"] for r in requests) == ["cssrs", "gad7", "phq9"]
    assert FollowUp.objects.filter(kind=K.SCALE_REMINDER).count() == 3


def test_a_dosing_booked_under_a_template_plans_its_scales_before_the_session(clinic, sms_patient):
    # given
    _enroll(sms_patient, "ketamine_assisted_therapy")
    starts = dt.datetime(2031, 3, 12, 10, 0, tzinfo=clinic.tz)
    dosing = SessionFactory(
        clinic=clinic, patient=sms_patient, starts_at=starts, ends_at=starts + dt.timedelta(hours=3)
    )

    # when
    followups_plan_for_session(session=dosing)

    # then: PHQ-9 before each dosing, 48 h ahead, reminder 24 h later
    assert {k: v for k, v in _open(dosing).items() if k.startswith("scale")} == {
        K.SCALE_REQUEST: dt.datetime(2031, 3, 10, 10, 0, tzinfo=clinic.tz),
        K.SCALE_REMINDER: dt.datetime(2031, 3, 11, 10, 0, tzinfo=clinic.tz),
    }
