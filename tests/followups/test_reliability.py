"""Reliability of the follow-up engine with real Celery workers and a real Redis of its own.

Every test here runs against a private `redis-server` the module starts on a free port
(`tests/private_redis.py`), so FLUSHALL never reaches the machine's shared Redis.

Workers are subprocesses (`celery worker --pool=solo`) on the test's own queue and the test
database. Deliveries are counted by the recording provider, in a file outside PostgreSQL and
Redis. The test itself plays beat: it calls the dispatcher in a loop. Nothing asserts on speed;
waits are generous and end as soon as the outcome is reached.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest
import redis
from django.conf import settings as django_settings
from django.db import connection, connections, transaction
from django.utils import timezone

from followups.engine import followups_dispatch
from followups.models import FollowUp
from kat_clinic.tasks import broker_roundtrip, roundtrip_seen
from tests.factories import ClinicFactory, PatientFactory
from tests.followups.conftest import RECORDING
from tests.followups.factories import FollowUpFactory
from tests.private_redis import celery_pointed_at, private_redis

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ROOT = Path(__file__).resolve().parents[2]
CELERY = Path(sys.executable).with_name("celery")
LEASE_SECONDS = 4
WAIT_SECONDS = 90


@pytest.fixture(scope="module")
def private_redis_url():
    with private_redis() as url:
        yield url


@pytest.fixture(autouse=True)
def _own_redis(private_redis_url, settings):
    """This process, its workers and the broker fixture all use the private Redis."""
    with celery_pointed_at(private_redis_url, settings):
        yield


@pytest.fixture
def short_lease(settings):
    settings.FOLLOWUP_LEASE_SECONDS = LEASE_SECONDS


@pytest.fixture
def start_worker(_isolated_celery_queue, provider_dir, short_lease, tmp_path):
    """start_worker() -> a Celery worker process on this test's queue and the test database."""
    db = connection.settings_dict
    env = {
        **os.environ,
        # The worker runs as the runtime role, as in production (tests/runtime_role.py).
        "DATABASE_URL": f"postgres://{django_settings.RUNTIME_DB_ROLE}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "SECRET_KEY": django_settings.SECRET_KEY,
        "REDIS_URL": django_settings.REDIS_URL,
        "CELERY_BROKER_URL": django_settings.CELERY_BROKER_URL,
        "CELERY_TASK_DEFAULT_QUEUE": _isolated_celery_queue,
        "FOLLOWUP_LEASE_SECONDS": str(LEASE_SECONDS),
        "FOLLOWUP_SMS_PROVIDER": RECORDING,
        "FOLLOWUP_EMAIL_PROVIDER": RECORDING,
        "FOLLOWUP_TEST_PROVIDER_DIR": str(provider_dir),
        "CONN_MAX_AGE": "0",
    }
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    workers: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        log = open(tmp_path / f"worker-{len(workers)}.log", "w")  # noqa: SIM115 - lives as long as the worker
        command = [str(CELERY), "-A", "kat_clinic", "worker", "--pool=solo", "-Q", _isolated_celery_queue]
        command += ["--without-heartbeat", "--without-gossip", "--without-mingle", "-l", "warning"]
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        workers.append(proc)
        return proc

    yield start
    for proc in workers:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


@pytest.fixture
def broker(_isolated_celery_queue, _own_redis, private_redis_url):
    client = redis.Redis.from_url(private_redis_url)  # never the machine's shared Redis
    yield client
    client.delete(_isolated_celery_queue)
    client.close()


@pytest.fixture
def open_clinic():
    """A clinic without quiet hours, so the real clock never postpones a test message."""
    return ClinicFactory(timezone="America/New_York", quiet_hours_start=dt.time(0), quiet_hours_end=dt.time(0))


def _patient_followups(clinic, n: int) -> list[FollowUp]:
    patient = PatientFactory(home_clinic=clinic, sms_opt_in=True)
    now = timezone.now()
    return [
        FollowUpFactory(clinic=clinic, patient=patient, idempotency_key=f"rel:{uuid.uuid4().hex}", due_at=now)
        for _ in range(n)
    ]


def _dispatch_until(done, *, timeout: float = WAIT_SECONDS, pause: float = 0.3) -> None:
    """Play beat: run dispatcher passes until `done()` holds."""
    deadline = time.monotonic() + timeout
    while not done():
        assert time.monotonic() < deadline, "follow-ups did not settle in time"
        followups_dispatch()
        time.sleep(pause)


def _wait_for(condition, *, timeout: float = WAIT_SECONDS) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.1)


def _all_sent(followups: list[FollowUp]):
    ids = [f.pk for f in followups]
    return lambda: FollowUp.objects.filter(pk__in=ids, status=FollowUp.Status.SENT).count() == len(ids)


def test_a_flushed_broker_loses_nothing_the_lease_brings_it_back(open_clinic, start_worker, broker, sent):
    # given: a follow-up claimed and published, with no worker running yet
    [followup] = _patient_followups(open_clinic, 1)
    assert followups_dispatch() == 1
    assert broker.llen(django_settings.CELERY_TASK_DEFAULT_QUEUE) == 1

    # when: Redis forgets everything, in every database (the private Redis keeps nothing on disk)
    broker.flushall()
    start_worker()
    _dispatch_until(_all_sent([followup]))

    # then
    assert sent() == {followup.idempotency_key: 1}
    followup.refresh_from_db()
    assert followup.attempts == 2  # claimed again after the lease ran out


def test_a_worker_killed_inside_the_provider_call_delivers_everything_once(
    open_clinic, start_worker, provider_dir, sent
):
    # given: three follow-ups, and a provider that holds the first send after recording it
    followups = _patient_followups(open_clinic, 3)
    (provider_dir / "block").touch()
    worker = start_worker()
    assert followups_dispatch() == 3
    _wait_for(lambda: (provider_dir / "reached").exists())
    [in_flight] = sent()

    # when: the worker dies mid-task, after the provider saw the message, before our commit
    os.kill(worker.pid, signal.SIGKILL)
    worker.wait()
    (provider_dir / "block").unlink()
    start_worker()
    _dispatch_until(_all_sent(followups))

    # then: the interrupted one was claimed again and settled by asking the provider, not resending
    assert sent() == {f.idempotency_key: 1 for f in followups}
    interrupted = FollowUp.objects.get(idempotency_key=in_flight)
    assert interrupted.attempts >= 2
    assert interrupted.delivery.tries == 2


def test_two_dispatchers_at_once_never_deliver_twice(open_clinic, start_worker, sent):
    # given
    followups = _patient_followups(open_clinic, 40)
    start_worker()
    done = _all_sent(followups)
    errors: list[BaseException] = []

    def dispatcher() -> None:
        try:
            deadline = time.monotonic() + WAIT_SECONDS
            while not done() and time.monotonic() < deadline:
                followups_dispatch(batch=3)
                time.sleep(0.05)
        except BaseException as exc:  # surfaced in the main thread
            errors.append(exc)
        finally:
            connections.close_all()

    # when
    threads = [threading.Thread(target=dispatcher) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # then
    assert errors == []
    assert done()
    assert sent() == {f.idempotency_key: 1 for f in followups}


def test_a_rolled_back_transaction_enqueues_and_delivers_nothing(open_clinic, start_worker, broker, sent):
    # given: a follow-up written in a transaction that rolls back
    patient = PatientFactory(home_clinic=open_clinic, sms_opt_in=True)
    with pytest.raises(RuntimeError), transaction.atomic():
        FollowUpFactory(clinic=open_clinic, patient=patient, idempotency_key="rolled-back", due_at=timezone.now())
        raise RuntimeError("the cause failed")

    # when: dispatcher passes run and a worker drains the queue
    start_worker()
    assert followups_dispatch() == 0
    marker = uuid.uuid4().hex
    broker_roundtrip.delay(marker)
    _wait_for(lambda: roundtrip_seen(marker))

    # then
    assert not FollowUp.objects.exists()
    assert sent() == {}
    assert broker.llen(django_settings.CELERY_TASK_DEFAULT_QUEUE) == 0
