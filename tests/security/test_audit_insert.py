"""The audit row of a request is one INSERT, with the same fields the model declares, and it chains."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from kat_clinic.audit.chain import audit_seal, audit_verify
from kat_clinic.audit.middleware import insert_audit_event
from kat_clinic.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_a_read_writes_its_row_in_one_query_with_every_field(api, scheduler, clinic, patient):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    # when a scheduler reads a patient with a client request id
    client_id = str(uuid.uuid4())
    with CaptureQueriesContext(connection) as queries:
        response = api(scheduler).get(f"/api/v1/patients/{patient.pk}/", HTTP_X_REQUEST_ID=client_id)

    # then one INSERT wrote the row, and the row holds what the request was
    assert response.status_code == 200
    inserts = [q["sql"] for q in queries.captured_queries if "kat_clinic_auditevent" in q["sql"]]
    assert len(inserts) == 1
    event = AuditEvent.objects.get()
    assert (
        event.user_id,
        event.username,
        event.roles,
        event.clinic_id,
        event.action,
        event.operation,
        event.method,
        event.path,
        event.resource_type,
        event.resource_ids,
        event.patient_ids,
        event.outcome,
        event.status_code,
        str(event.request_id),
        event.client_request_id,
        event.ip,
        event.break_glass,
    ) == (
        scheduler.user_id,
        scheduler.user.username,
        ["scheduler"],
        clinic.pk,
        "retrieve",
        "patient.read",
        "GET",
        f"/api/v1/patients/{patient.pk}/",
        "patient",
        [patient.pk],
        [patient.pk],
        "success",
        200,
        response["X-Request-ID"],
        client_id,
        "127.0.0.1",
        False,
    )
    assert event.occurred_at is not None


def test_an_anonymous_refusal_has_empty_arrays_and_no_user(api):
    # when a request comes without a user
    response = api().get("/api/v1/patients/")

    # then its row has empty arrays and no user
    assert response.status_code == 401
    event = AuditEvent.objects.get()
    assert (event.user_id, event.username, event.roles, event.resource_ids, event.patient_ids) == (None, "", [], [], [])
    assert event.outcome == "denied"


def test_rows_written_this_way_are_sealed_and_verify(clinic):
    # given two rows written by the middleware's insert
    for status in (200, 404):
        _insert(
            clinic,
            occurred_at=timezone.now() - dt.timedelta(seconds=60),
            outcome="success" if status == 200 else "not_found",
            status_code=status,
            break_glass=status == 404,
        )

    # when sealed and verified
    sealed = audit_seal(settle_seconds=1)
    report = audit_verify()

    # then both rows chain and the chain holds
    assert sealed == 2
    assert report.breaks == []
    assert [h.length for h in report.heads if h.clinic_id == clinic.pk] == [2]
    assert list(AuditEvent.objects.order_by("id").values_list("ip", "break_glass")) == [
        ("2001:db8::1", False),
        ("2001:db8::1", True),
    ]


def test_the_id_arrays_keep_every_id_in_its_order_whatever_its_size(clinic):
    # given a row naming ids out of order, large ones among them, and many patients
    resource_ids = [30, 2**62, 1, 7, 9_223_372_036_854_775_807]
    patient_ids = list(range(500, 0, -7))

    # when the middleware's insert writes it
    _insert(clinic, resource_ids=resource_ids, patient_ids=patient_ids)

    # then the arrays hold exactly those ids, in that order
    event = AuditEvent.objects.get()
    assert (event.resource_ids, event.patient_ids) == (resource_ids, patient_ids)
    assert len(event.patient_ids) == 72


def _insert(clinic, **changes) -> None:
    """A row written by the middleware's insert: a nurse's read of patients 1 and 2, with `changes`."""
    insert_audit_event(
        **{
            "occurred_at": timezone.now(),
            "user_id": 7,
            "username": "ñandú",
            "roles": ["nurse", "prescriber"],
            "clinic_id": clinic.pk,
            "action": "retrieve",
            "operation": "patient.read",
            "method": "GET",
            "path": "/api/v1/patients/1/",
            "resource_type": "patient",
            "resource_ids": [1, 2],
            "patient_ids": [1],
            "outcome": "success",
            "status_code": 200,
            "request_id": str(uuid.uuid4()),
            "client_request_id": "",
            "ip": "2001:db8::1",
            "break_glass": False,
            **changes,
        }
    )
