"""Webhook deliveries against a real receiver on 127.0.0.1: Standard Webhooks signatures checked
with the spec's algorithm, retries under one webhook-id, at least once through an interrupted try,
rotation, refusals at delivery time, and a disclosure for every try that reached the receiver."""

from __future__ import annotations

import datetime as dt
import json
import socket

import pytest
import time_machine
from django.utils import timezone

import followups.engine
from followups.models import Delivery, FollowUp
from interop.models import Disclosure
from interop.webhooks.services import webhook_endpoint_rotate_secret, webhook_endpoint_update
from interop.webhooks.signing import signed_headers
from kat_clinic.models import AuditEvent
from tests.interop.webhook_receiver import spec_signature, verify
from tests.interop.webhook_world import deliver_due

pytestmark = pytest.mark.django_db


def webhook_rows():
    return FollowUp.objects.filter(kind=FollowUp.Kind.WEBHOOK).order_by("pk")


def test_signatures_match_the_test_vector_published_with_the_spec():
    # given the spec's secret, message id, timestamp and body
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    at = dt.datetime.fromtimestamp(1614265330, tz=dt.UTC)

    # when we sign them
    headers = signed_headers(
        secrets_=[secret], webhook_id="msg_p5jXN8AQM9LWM0D4loKWxJek", body='{"test": 2432232314}', at=at
    )

    # then the headers are the spec's, signature included
    assert headers == {
        "webhook-id": "msg_p5jXN8AQM9LWM0D4loKWxJek",
        "webhook-timestamp": "1614265330",
        "webhook-signature": "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
        "content-type": "application/json",
    }
    assert (
        spec_signature(secret, "msg_p5jXN8AQM9LWM0D4loKWxJek", "1614265330", b'{"test": 2432232314}')
        == (headers["webhook-signature"])
    )


def test_a_booked_session_reaches_the_receiver_signed_with_ids_only_and_is_disclosed(
    endpoint, receiver, booking, clinic
):
    # given a session booked through the scheduling service
    session = booking()
    row = webhook_rows().get()

    # when the dispatcher runs
    outcomes = deliver_due()

    # then the receiver got one POST whose signature verifies with the spec's algorithm
    assert outcomes == ["sent"]
    [request] = receiver.requests
    assert request.path == "/hooks/kat"
    assert verify(request, endpoint.secret)
    assert request.headers["webhook-id"] == row.payload["webhook_id"]
    assert request.headers["webhook-id"].startswith("msg_")
    assert abs(int(request.headers["webhook-timestamp"]) - timezone.now().timestamp()) < 3600
    assert request.headers["content-type"] == "application/json"
    # and the body names the event and ids, nothing else
    body = json.loads(request.body)
    assert body["type"] == "session.booked"
    assert body["data"] == {"session_id": session.pk, "patient_id": session.patient_id, "clinic_id": clinic.pk}
    assert set(body) == {"type", "timestamp", "data"}
    # and the row is sent, with one delivery record
    row.refresh_from_db()
    assert (row.status, row.attempts, row.delivery.state, row.delivery.tries) == ("sent", 1, "sent", 1)
    # and the release is in the accounting of disclosures, with its audit row
    disclosure = Disclosure.objects.get()
    assert (disclosure.channel, disclosure.document, disclosure.resource_type) == (
        "webhook",
        "webhook:session.booked",
        "session",
    )
    assert (disclosure.resource_ids, disclosure.patient_ids, disclosure.clinic_id) == (
        [session.pk],
        [session.patient_id],
        clinic.pk,
    )
    assert disclosure.recipient == f"webhook:{endpoint.pk}:{receiver.url}"
    audit = AuditEvent.objects.get(request_id=disclosure.request_id)
    assert (audit.action, audit.operation, audit.status_code, audit.outcome) == (
        "disclose",
        "webhook.deliver",
        204,
        "success",
    )
    assert (audit.patient_ids, audit.clinic_id) == ([session.patient_id], clinic.pk)


def test_a_5xx_answer_is_retried_later_under_the_same_webhook_id(endpoint, receiver, booking):
    # given a receiver that fails once, then accepts
    booking()
    receiver.answers.extend([503, 200])

    # when the dispatcher runs, and again once the backoff has passed
    first = deliver_due()
    row = webhook_rows().get()
    retry_at = row.due_at
    second = deliver_due(now=retry_at)

    # then the first try was refused and retried, the second delivered
    assert (first, second) == (["retry"], ["sent"])
    assert retry_at > timezone.now()
    # and both tries carried the same webhook-id and body, each validly signed
    one, two = receiver.requests
    assert one.webhook_id == two.webhook_id == row.payload["webhook_id"]
    assert one.body == two.body
    assert verify(one, endpoint.secret) and verify(two, endpoint.secret)
    row.refresh_from_db()
    assert (row.status, row.attempts, row.delivery.tries) == ("sent", 2, 2)
    # and each try that reached the receiver is a disclosure with the answer it got
    assert sorted(AuditEvent.objects.filter(action="disclose").values_list("status_code", flat=True)) == [200, 503]
    assert Disclosure.objects.count() == 2


def test_an_interrupted_delivery_is_sent_again_under_the_same_id_at_least_once(
    endpoint, receiver, booking, monkeypatch, settings
):
    # given a worker that dies after the receiver accepted the POST, before recording it
    booking()
    real_record_sent = followups.engine._record_sent_batch

    def worker_dies(*args, **kwargs):
        raise SystemExit("worker killed")

    monkeypatch.setattr(followups.engine, "_record_sent_batch", worker_dies)
    with pytest.raises(SystemExit):
        deliver_due()
    row = webhook_rows().get()
    assert (row.status, row.delivery.state) == ("claimed", "sending")

    # when the lease runs out and another worker claims the row
    monkeypatch.setattr(followups.engine, "_record_sent_batch", real_record_sent)
    after_lease = row.lease_expires_at + dt.timedelta(seconds=1)
    outcomes = deliver_due(now=after_lease)

    # then the message went again, with the same webhook-id and body: the receiver holds one event
    assert outcomes == ["sent"]
    one, two = receiver.requests
    assert one.webhook_id == two.webhook_id and one.body == two.body
    assert receiver.seen_ids == {one.webhook_id}
    row.refresh_from_db()
    assert (row.status, row.attempts, row.delivery.state, row.delivery.tries) == ("sent", 2, "sent", 2)


def test_a_rotated_secret_signs_beside_the_new_one_until_its_grace_period_ends(endpoint, receiver, booking):
    # given a rotation with a day's grace
    old_secret = endpoint.secret
    rotated = webhook_endpoint_rotate_secret(endpoint=endpoint, grace_hours=24)
    new_secret = rotated.secret
    assert new_secret != old_secret and new_secret.startswith("whsec_")

    # when an event is delivered inside the grace period, and another after it
    booking(hour=10)
    deliver_due()
    with time_machine.travel(rotated.previous_secret_expires_at + dt.timedelta(minutes=1)):
        booking(hour=12)
        deliver_due()

    # then the first carries two signatures, each verifying with its own secret
    during, after = receiver.requests
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    assert verify(during, old_secret) and verify(during, new_secret)
    # and after the grace period only the new secret verifies
    assert len(after.headers["webhook-signature"].split(" ")) == 1
    assert verify(after, new_secret)
    assert not verify(after, old_secret)


def test_webhooks_ignore_quiet_hours_and_the_patients_message_choices(endpoint, receiver, booking, clinic):
    # given a patient who takes no messages at all, and a delivery at 23:00 (inside quiet hours)
    from tests.factories import PatientFactory

    patient = PatientFactory(home_clinic=clinic, sms_opt_in=False, email_opt_in=False, phone="", email="")
    booking(patient=patient)
    late = dt.datetime.combine(timezone.localdate(timezone=clinic.tz), dt.time(23, 0), tzinfo=clinic.tz)
    row = webhook_rows().get()
    FollowUp.objects.filter(pk=row.pk).update(due_at=late - dt.timedelta(minutes=1))

    # when the dispatcher runs then
    outcomes = deliver_due(now=late)

    # then the webhook went out at once: no postponement, no privacy filter
    assert outcomes == ["sent"]
    assert len(receiver.requests) == 1
    assert json.loads(receiver.requests[0].body)["data"]["patient_id"] == patient.pk


def test_a_host_that_resolves_to_a_private_address_at_delivery_time_is_refused_and_nothing_leaves(
    endpoint, receiver, booking, monkeypatch
):
    # given an endpoint whose name was public when configured and now resolves inside the network
    booking()
    real = socket.getaddrinfo

    def rebound(host, port, *args, **kwargs):
        if host == "hooks.ehr.example":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("10.0.0.7", port))]
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", rebound)
    type(endpoint).objects.filter(pk=endpoint.pk).update(url="https://hooks.ehr.example/kat")

    # when the dispatcher runs
    outcomes = deliver_due()

    # then the delivery failed for good, nothing reached anyone, nothing was disclosed
    assert outcomes == ["failed"]
    row = webhook_rows().get()
    assert row.status == "failed"
    assert "refused at delivery" in row.last_error and "10.0.0.7" in row.last_error
    assert receiver.requests == []
    assert Disclosure.objects.count() == 0
    assert row.delivery.state == Delivery.State.NOT_SENT


def test_the_loopback_receiver_is_refused_once_it_leaves_the_allow_list(endpoint, receiver, booking, settings):
    # given the allow-list emptied after the endpoint was configured
    booking()
    settings.WEBHOOK_ALLOWED_NETWORKS = []

    # when the dispatcher runs
    outcomes = deliver_due()

    # then nothing is sent to the loopback address
    assert outcomes == ["failed"]
    assert receiver.requests == []
    assert "127.0.0.1 is a private, loopback, link-local or reserved address" in webhook_rows().get().last_error


def test_an_endpoint_switched_off_cancels_its_deliveries_still_to_go(endpoint, receiver, booking):
    # given an event waiting, and the endpoint switched off
    booking()
    webhook_endpoint_update(endpoint=endpoint, active=False)

    # when the dispatcher runs
    outcomes = deliver_due()

    # then the delivery is cancelled and nothing is sent
    assert outcomes == ["cancelled"]
    assert webhook_rows().get().status == "cancelled"
    assert receiver.requests == []


def test_a_receiver_that_never_answers_2xx_is_given_up_after_the_last_attempt(endpoint, receiver, booking, settings):
    # given a receiver that always fails, and three attempts at most
    settings.FOLLOWUP_MAX_ATTEMPTS = 3
    booking()
    receiver.answers.extend([500, 500, 500])

    # when the dispatcher runs at every retry time
    outcomes = []
    for _ in range(3):
        due = webhook_rows().get().due_at
        outcomes += deliver_due(now=max(due, timezone.now()))

    # then it was tried three times under one id, then failed with the last answer
    assert outcomes == ["retry", "retry", "failed"]
    assert len({r.webhook_id for r in receiver.requests}) == 1 and len(receiver.requests) == 3
    row = webhook_rows().get()
    assert (row.status, row.attempts) == ("failed", 3)
    assert row.last_error.startswith("the receiver answered 500")
