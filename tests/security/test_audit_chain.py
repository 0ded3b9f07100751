"""Tamper evidence: audit rows sealed in a hash chain per clinic; audit_verify names the first broken link."""

from __future__ import annotations

import datetime as dt
import io
import time

import pgtrigger
import pytest
from celery.contrib.testing.worker import start_worker
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone
from django_celery_beat.models import PeriodicTask

from kat_clinic.audit.chain import CURRENT_SCHEME, GENESIS_HASH, audit_seal, audit_verify, link_hash
from kat_clinic.audit.models import AuditChainLink, AuditEvent
from kat_clinic.celery import app

IGNORE_APPEND_ONLY = "kat_clinic.AuditEvent:append_only"


def audit_row(*, clinic_id: int | None, path: str = "/api/patients/", age_seconds: float = 60, **fields):
    return AuditEvent.objects.create(
        occurred_at=timezone.now() - dt.timedelta(seconds=age_seconds),
        clinic_id=clinic_id,
        action="list",
        method="GET",
        path=path,
        outcome="success",
        status_code=200,
        **fields,
    )


def event_row(event_id: int) -> dict:
    from kat_clinic.audit.chain import _event_columns, _rows

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {_event_columns()} FROM kat_clinic_auditevent e WHERE e.id = %s", [event_id])
        return _rows(cursor)[0]


def verify_output() -> tuple[str, str]:
    """(stdout, error) of manage.py audit_verify; error is '' when every chain holds."""
    out = io.StringIO()
    try:
        call_command("audit_verify", stdout=out)
    except CommandError as error:
        return out.getvalue(), str(error)
    return out.getvalue(), ""


@pytest.mark.django_db
def test_sealing_chains_each_clinics_rows_in_id_order(clinic, other_clinic):
    # given
    first = audit_row(clinic_id=clinic.pk)
    other = audit_row(clinic_id=other_clinic.pk)
    second = audit_row(clinic_id=clinic.pk, path="/api/chart/notes/")
    anonymous = audit_row(clinic_id=None, path="/api/checkins/x/")

    # when
    sealed = audit_seal(settle_seconds=0)

    # then
    assert sealed == 4
    links = {link.event_id: link for link in AuditChainLink.objects.all()}
    first_hash = link_hash(previous_hash=GENESIS_HASH, row=event_row(first.pk), scheme=CURRENT_SCHEME)
    assert [(links[e.pk].clinic_id, links[e.pk].position, links[e.pk].previous_hash) for e in (first, second)] == [
        (clinic.pk, 1, GENESIS_HASH),
        (clinic.pk, 2, first_hash),
    ]
    assert links[first.pk].hash == first_hash
    assert links[second.pk].hash == link_hash(previous_hash=first_hash, row=event_row(second.pk), scheme=CURRENT_SCHEME)
    assert (links[other.pk].clinic_id, links[other.pk].position) == (other_clinic.pk, 1)
    assert (links[anonymous.pk].clinic_id, links[anonymous.pk].position) == (None, 1)
    report = audit_verify()
    assert (report.breaks, report.sealed, report.unsealed) == ([], 4, 0)


@pytest.mark.django_db
def test_a_later_seal_continues_each_chain_from_its_head(clinic):
    # given
    first = audit_row(clinic_id=clinic.pk)
    audit_seal(settle_seconds=0)
    later = audit_row(clinic_id=clinic.pk, path="/api/chart/vitals/")

    # when
    sealed = audit_seal(settle_seconds=0)

    # then
    link = AuditChainLink.objects.get(event_id=later.pk)
    assert (sealed, link.position, link.previous_hash) == (1, 2, AuditChainLink.objects.get(event_id=first.pk).hash)
    assert verify_output()[1] == ""


@pytest.mark.django_db
def test_sealing_waits_for_rows_to_settle_and_stops_at_the_first_young_one(clinic):
    # given: a settled row, a row just written, then a settled row with a higher id
    settled = audit_row(clinic_id=clinic.pk, age_seconds=120)
    young = audit_row(clinic_id=clinic.pk, age_seconds=0)
    audit_row(clinic_id=clinic.pk, age_seconds=120)

    # when
    sealed = audit_seal(settle_seconds=30)

    # then: nothing past the young row is sealed, so it can never be skipped
    assert sealed == 1
    assert list(AuditChainLink.objects.values_list("event_id", flat=True)) == [settled.pk]
    assert audit_verify().unsealed == 2
    assert young.pk > settled.pk


@pytest.mark.django_db
def test_audit_verify_says_every_chain_holds(clinic):
    # given
    audit_row(clinic_id=clinic.pk)
    audit_row(clinic_id=clinic.pk)
    audit_seal(settle_seconds=0)
    head = AuditChainLink.objects.get(position=2)

    # when
    out, error = verify_output()

    # then
    assert error == ""
    assert f"chain clinic {clinic.pk}: 2 links, head {head.hash}" in out
    assert out.rstrip().endswith("Every audit chain holds.")


@pytest.mark.django_db
def test_a_row_altered_by_the_owner_is_the_first_broken_link(clinic, other_clinic):
    # given: three sealed rows of one clinic, one of another
    rows = [audit_row(clinic_id=clinic.pk) for _ in range(3)]
    audit_row(clinic_id=other_clinic.pk)
    audit_seal(settle_seconds=0)

    # when: the owner switches the append-only guard off and rewrites the second row
    with pgtrigger.ignore(IGNORE_APPEND_ONLY):
        AuditEvent.objects.filter(pk=rows[1].pk).update(outcome="denied", status_code=403)
    out, error = verify_output()

    # then
    assert error == (
        f"audit chain broken; first broken link: chain of clinic {clinic.pk}, link 2: "
        f"audit event {rows[1].pk} no longer matches its hash: the row was altered"
    )
    assert [line for line in out.splitlines() if line.startswith("BROKEN")] == [
        f"BROKEN chain of clinic {clinic.pk}, link 2: audit event {rows[1].pk} no longer matches its hash: "
        "the row was altered"
    ]


@pytest.mark.django_db
def test_a_row_deleted_by_the_owner_is_reported(clinic):
    # given
    rows = [audit_row(clinic_id=clinic.pk) for _ in range(3)]
    audit_seal(settle_seconds=0)

    # when
    with pgtrigger.ignore(IGNORE_APPEND_ONLY):
        AuditEvent.objects.filter(pk=rows[0].pk).delete()
    error = verify_output()[1]

    # then
    assert error.endswith(
        f"chain of clinic {clinic.pk}, link 1: audit event {rows[0].pk} is missing: the row was deleted"
    )


@pytest.mark.django_db
def test_a_row_slipped_in_below_the_sealed_ones_is_reported(clinic):
    # given
    rows = [audit_row(clinic_id=clinic.pk) for _ in range(3)]
    with pgtrigger.ignore(IGNORE_APPEND_ONLY):
        AuditEvent.objects.filter(pk=rows[1].pk).delete()
    audit_seal(settle_seconds=0)

    # when: the owner writes a row into the gap, after sealing
    audit_row(clinic_id=clinic.pk, id=rows[1].pk, path="/api/forged/")
    error = verify_output()[1]

    # then
    assert error.endswith(
        f"link 0: audit event {rows[1].pk} is not sealed although later rows are: inserted after sealing"
    )


@pytest.mark.django_db
def test_the_sealer_is_registered_with_beat_every_minute():
    # when
    task = PeriodicTask.objects.get(task="kat_clinic.audit_seal")

    # then: and a worker, which imports every app's tasks, knows it
    assert (task.enabled, task.interval.every, task.interval.period) == (True, 60, "seconds")
    app.loader.import_default_modules()
    assert "kat_clinic.audit_seal" in app.tasks


@pytest.mark.django_db(transaction=True)
@pytest.mark.worker
def test_the_periodic_task_seals_in_a_worker_running_as_the_runtime_role(clinic, _isolated_celery_queue, settings):
    # given
    settings.AUDIT_SEAL_SETTLE_SECONDS = 0
    rows = [audit_row(clinic_id=clinic.pk) for _ in range(2)]

    # when
    with start_worker(app, pool="solo", perform_ping_check=False, queues=[_isolated_celery_queue], shutdown_timeout=10):
        app.send_task("kat_clinic.audit_seal", queue=_isolated_celery_queue)
        deadline = time.monotonic() + 20
        while AuditChainLink.objects.count() < 2 and time.monotonic() < deadline:
            time.sleep(0.05)

    # then
    assert list(AuditChainLink.objects.order_by("position").values_list("event_id", flat=True)) == [r.pk for r in rows]
    assert audit_verify().breaks == []
