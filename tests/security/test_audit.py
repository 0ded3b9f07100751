from __future__ import annotations

import pytest
from django.db import InternalError, connection

from kat_clinic.models import AuditEvent, Patient
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def test_audit_rows_cannot_be_updated_or_deleted_even_through_raw_sql(api, nurse, patient):
    # given
    api(nurse).get(f"/api/v1/patients/{patient.pk}/")
    event = AuditEvent.objects.get()

    # when / then
    for statement in (
        "UPDATE kat_clinic_auditevent SET outcome = 'denied' WHERE id = %s",
        "DELETE FROM kat_clinic_auditevent WHERE id = %s",
    ):
        with pytest.raises(InternalError) as excinfo, connection.cursor() as cursor:
            from django.db import transaction

            with transaction.atomic():
                cursor.execute(statement, [event.pk])
        assert excinfo.value.__cause__.pgcode == "P0001"
    event.refresh_from_db()
    assert event.outcome == AuditEvent.Outcome.SUCCESS
    assert AuditEvent.objects.count() == 1


def test_a_denied_request_is_audited(api, scheduler):
    # when
    response = api(scheduler).get("/api/v1/audit-events/")

    # then
    assert response.status_code == 403
    event = AuditEvent.objects.get()
    assert (event.user_id, event.outcome, event.status_code, event.method) == (
        scheduler.user_id,
        AuditEvent.Outcome.DENIED,
        403,
        "GET",
    )


def test_an_anonymous_request_is_audited_as_denied(api, patient):
    response = api().get(f"/api/v1/patients/{patient.pk}/")
    assert response.status_code == 401
    event = AuditEvent.objects.get()
    assert (event.user_id, event.outcome, event.resource_type) == (None, AuditEvent.Outcome.DENIED, "patients")


def test_a_failed_write_is_rolled_back_but_its_audit_row_survives(api, scheduler, clinic):
    # given: an MRN already taken, so the insert fails in the database (23505)
    PatientFactory(home_clinic=clinic, mrn="TAKEN")
    body = {
        "mrn": "TAKEN",
        "home_clinic": clinic.pk,
        "first_name": "A",
        "last_name": "B",
        "date_of_birth": "1990-01-01",
    }

    # when
    response = api(scheduler).post("/api/v1/patients/", body)

    # then
    assert response.status_code == 409
    assert response.json()["type"] == "urn:kat-clinic:problem:duplicate"
    assert Patient.objects.filter(mrn="TAKEN").count() == 1
    event = AuditEvent.objects.get()
    assert (event.action, event.outcome, event.status_code) == ("create", AuditEvent.Outcome.REJECTED, 409)


def test_audit_rows_hold_no_phi_values(api, scheduler, clinic):
    # given
    body = {
        "mrn": "SECRET-MRN",
        "home_clinic": clinic.pk,
        "first_name": "Zebulon",
        "last_name": "Quixote",
        "date_of_birth": "1990-01-01",
    }

    # when
    api(scheduler).post("/api/v1/patients/", body)

    # then
    event = AuditEvent.objects.values().get()
    flattened = " ".join(str(v) for v in event.values())
    for value in ("SECRET-MRN", "Zebulon", "Quixote", "1990-01-01"):
        assert value not in flattened


def test_admin_queries_the_audit_trail_by_patient(api, admin_staff, nurse, clinic):
    # given
    first, second = PatientFactory(home_clinic=clinic), PatientFactory(home_clinic=clinic)
    api(nurse).get(f"/api/v1/patients/{first.pk}/")
    api(nurse).get(f"/api/v1/patients/{second.pk}/")

    # when
    response = api(admin_staff).get(f"/api/v1/audit-events/?patient={first.pk}&user={nurse.user_id}")

    # then
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["patient_ids"], r["action"], r["username"]) for r in rows] == [
        ([first.pk], "retrieve", nurse.user.username)
    ]


def test_a_time_the_database_cannot_represent_is_a_400_not_a_500(api, admin_staff):
    # given: a valid ISO 8601 offset that PostgreSQL refuses (beyond ±15:59)
    since = "2031-09-11T08:26:15-17:04"

    # when
    response = api(admin_staff).get("/api/v1/audit-events/", {"since": since})

    # then
    assert response.status_code == 400
    assert response.json()["type"] == "urn:kat-clinic:problem:invalid"
