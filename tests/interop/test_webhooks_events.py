"""Which events become webhook rows: written in the cause's transaction through the apps' signals,
one per subscribed endpoint of the event's clinic, ids only, once per occurrence."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from followups.models import FollowUp
from interop.webhooks.services import webhook_endpoint_create
from kat_clinic.errors import Conflict
from monitoring.services.scales import scale_response_record
from sessions import services as session_services
from sessions.models import Session
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db

URL = "https://93.184.215.14/kat-hooks"  # a public address: only checked, never contacted here


def events_sent(endpoint=None) -> list[tuple[str, dict]]:
    rows = FollowUp.objects.filter(kind=FollowUp.Kind.WEBHOOK).order_by("pk")
    if endpoint is not None:
        rows = rows.filter(payload__endpoint_id=endpoint.pk)
    return [(r.payload["event"]["type"], r.payload["event"]["data"]) for r in rows]


@pytest.fixture
def subscribed(clinic, admin_staff):
    def make(*events, url=URL, clinic_=None):
        return webhook_endpoint_create(clinic=clinic_ or clinic, url=url, events=list(events), by=admin_staff.user)

    return make


def test_a_booking_writes_one_row_per_endpoint_subscribed_to_it_in_its_clinic(
    subscribed, booking, clinic, other_clinic
):
    # given endpoints for bookings, for cancellations only, and another clinic's for bookings
    bookings = subscribed("session.booked", "session.completed")
    subscribed("session.cancelled", url=URL + "/cancel")
    elsewhere = subscribed("session.booked", clinic_=other_clinic)

    # when a session is booked
    session = booking()

    # then only the endpoint of this clinic subscribed to bookings gets a row, naming ids only
    data = {"session_id": session.pk, "patient_id": session.patient_id, "clinic_id": clinic.pk}
    assert events_sent() == [("session.booked", data)]
    row = FollowUp.objects.get(kind=FollowUp.Kind.WEBHOOK)
    assert (row.payload["endpoint_id"], row.clinic_id, row.patient_id, row.session_id) == (
        bookings.pk,
        clinic.pk,
        session.patient_id,
        None,
    )
    assert (row.channel, row.target, row.status) == ("webhook", "endpoint", "pending")
    assert events_sent(elsewhere) == []


def test_cancelling_and_completing_sessions_are_announced(subscribed, booking, clinic):
    # given an endpoint for both, a booked session and one held today
    endpoint = subscribed("session.cancelled", "session.completed")
    cancelled = booking(hour=10)
    held = booking(hour=12)
    start = held.starts_at

    # when one is cancelled and the other checked in, started and completed
    session_services.session_cancel(session_id=cancelled.pk, by=None, reason="Patient unwell")
    session_services.session_check_in(session_id=held.pk, now=start)
    session_services.session_start(session_id=held.pk, now=start)
    session_services.session_complete(session_id=held.pk)

    # then both are announced, once each
    assert events_sent(endpoint) == [
        ("session.cancelled", {"session_id": cancelled.pk, "patient_id": cancelled.patient_id, "clinic_id": clinic.pk}),
        ("session.completed", {"session_id": held.pk, "patient_id": held.patient_id, "clinic_id": clinic.pk}),
    ]


def test_a_rescheduled_session_announces_the_old_one_cancelled_and_the_new_one_booked(subscribed, booking, clinic):
    # given a booked session
    endpoint = subscribed("session.booked", "session.cancelled")
    old = booking(hour=10)

    # when it is moved two hours later
    new = session_services.session_reschedule(
        session_id=old.pk, starts_at=old.starts_at + dt.timedelta(hours=2), by=None
    )

    # then the old one is cancelled and the new one booked
    assert [(t, d["session_id"]) for t, d in events_sent(endpoint)] == [
        ("session.booked", old.pk),
        ("session.cancelled", old.pk),
        ("session.booked", new.pk),
    ]


def test_a_risky_phq9_announces_the_scale_and_the_alert_it_raised(subscribed, clinic, make_staff):
    # given an endpoint for scales and alerts
    from kat_clinic.roles import Role
    from monitoring.models import Alert

    endpoint = subscribed("scale.completed", "alert.raised")
    therapist = make_staff(clinic, Role.THERAPIST)
    patient = PatientFactory(home_clinic=clinic)

    # when a PHQ-9 with thoughts of self-harm is recorded
    response = scale_response_record(patient=patient, scale="phq9", answers=[1, 1, 1, 1, 1, 1, 1, 1, 2], by=therapist)

    # then the alert and the scale are announced, with ids only
    alert = Alert.objects.get(scale_response=response)
    assert events_sent(endpoint) == [
        (
            "alert.raised",
            {"alert_id": alert.pk, "patient_id": patient.pk, "clinic_id": clinic.pk, "session_id": None},
        ),
        (
            "scale.completed",
            {"scale_response_id": response.pk, "patient_id": patient.pk, "clinic_id": clinic.pk, "session_id": None},
        ),
    ]


def test_a_webhook_row_exists_only_if_its_cause_committed(subscribed, booking):
    # given an endpoint for bookings
    subscribed("session.booked")

    # when a booking's transaction rolls back after the booking
    with pytest.raises(Conflict), transaction.atomic():
        booking()
        raise Conflict("the caller changed its mind")

    # then neither the session nor its webhook row exists
    assert Session.objects.count() == 0
    assert events_sent() == []


def test_announcing_the_same_occurrence_twice_writes_one_row(subscribed, booking):
    # given an endpoint and a booked session
    from sessions import signals

    endpoint = subscribed("session.booked")
    session = booking()

    # when the booking is announced again (a retried receiver, a second signal)
    signals.session_booked.send(sender=Session, session=session)

    # then there is still one row
    assert len(events_sent(endpoint)) == 1


def test_a_clinic_without_endpoints_gets_no_webhook_rows(booking):
    # given no endpoint anywhere, when a session is booked
    booking()

    # then no webhook row is written
    assert events_sent() == []


def test_the_database_refuses_a_webhook_row_without_its_endpoint(clinic):
    # given a webhook row missing the endpoint in its payload
    from django.db import IntegrityError
    from django.utils import timezone

    row = FollowUp(
        clinic=clinic,
        kind=FollowUp.Kind.WEBHOOK,
        channel=FollowUp.Channel.WEBHOOK,
        target=FollowUp.Target.ENDPOINT,
        due_at=timezone.now(),
        idempotency_key="webhook:x",
        payload={"webhook_id": "msg_1", "event": {}},
    )

    # when it is saved, then PostgreSQL refuses it
    with pytest.raises(IntegrityError, match="followup_webhook_payload_complete"), transaction.atomic():
        row.save()
    assert FollowUp.objects.count() == 0
