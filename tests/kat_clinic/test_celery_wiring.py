"""Celery is wired to the real Redis, and delay_on_commit publishes only after commit."""

from __future__ import annotations

import time
import uuid

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import transaction

from kat_clinic.celery import app
from kat_clinic.tasks import broker_roundtrip, roundtrip_seen

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def wait_for(predicate, timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def queued_messages(queue: str) -> int:
    return redis.Redis.from_url(settings.CELERY_BROKER_URL).llen(queue)


def test_task_sent_on_commit_runs_only_after_commit(_isolated_celery_queue):
    # given
    queue = _isolated_celery_queue
    marker = uuid.uuid4().hex

    with start_worker(app, pool="solo", perform_ping_check=False, queues=[queue], shutdown_timeout=10):
        # when
        with transaction.atomic():
            broker_roundtrip.delay_on_commit(marker)
            # then: nothing reached the broker while the transaction is open
            assert queued_messages(queue) == 0
            assert not roundtrip_seen(marker)

        # then: after commit, a real worker consumed it
        assert wait_for(lambda: roundtrip_seen(marker))


def test_task_sent_on_commit_never_runs_after_rollback(_isolated_celery_queue):
    # given
    queue = _isolated_celery_queue
    rolled_back, sentinel = uuid.uuid4().hex, uuid.uuid4().hex

    with start_worker(app, pool="solo", perform_ping_check=False, queues=[queue], shutdown_timeout=10):
        # when
        with pytest.raises(RuntimeError), transaction.atomic():
            broker_roundtrip.delay_on_commit(rolled_back)
            raise RuntimeError("roll back")
        # A task sent afterwards on the same queue: once the solo worker has run it, anything
        # published before it would have run too.
        broker_roundtrip.delay(sentinel)

        # then
        assert wait_for(lambda: roundtrip_seen(sentinel))
        assert not roundtrip_seen(rolled_back)
        assert queued_messages(queue) == 0
