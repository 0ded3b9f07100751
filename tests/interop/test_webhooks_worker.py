"""A webhook through the whole pipeline: the booking commits, its outbox row is handed to Celery
after commit, and a real worker (connected as the runtime database role) claims, signs, delivers
and records the disclosure."""

from __future__ import annotations

import json
import time

import pytest
from celery.contrib.testing.worker import start_worker

from followups.models import FollowUp
from interop.models import Disclosure
from kat_clinic.celery import app
from tests.interop.webhook_receiver import verify

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def wait_for(predicate, timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return predicate()


def test_a_committed_booking_is_delivered_by_a_worker_running_as_the_runtime_role(
    _isolated_celery_queue, endpoint, receiver, booking
):
    with start_worker(app, pool="solo", perform_ping_check=False, queues=[_isolated_celery_queue], shutdown_timeout=10):
        # when a session is booked (its transaction commits, which wakes the dispatcher)
        session = booking()

        # then the worker delivers it, signed, and records it as sent and disclosed
        assert wait_for(lambda: FollowUp.objects.filter(kind="webhook", status="sent").exists())
    [request] = receiver.requests
    assert verify(request, endpoint.secret)
    assert json.loads(request.body)["data"]["session_id"] == session.pk
    disclosure = Disclosure.objects.get()
    assert (disclosure.document, disclosure.patient_ids) == ("webhook:session.booked", [session.patient_id])
