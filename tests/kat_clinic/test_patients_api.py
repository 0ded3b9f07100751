from __future__ import annotations

import pytest

from kat_clinic.models import AuditEvent, Patient
from kat_clinic.roles import Role
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def test_scheduler_lists_only_patients_of_their_clinics(api, scheduler, clinic, other_clinic):
    # given
    mine = PatientFactory(home_clinic=clinic, last_name="Adams")
    PatientFactory(home_clinic=other_clinic, last_name="Baker")

    # when
    response = api(scheduler).get("/api/v1/patients/")

    # then
    assert response.status_code == 200
    assert [p["id"] for p in response.json()["results"]] == [mine.pk]


def test_another_clinics_patient_answers_404(api, scheduler, other_clinic):
    # given
    theirs = PatientFactory(home_clinic=other_clinic)

    # when
    response = api(scheduler).get(f"/api/v1/patients/{theirs.pk}/")

    # then
    assert response.status_code == 404
    assert response.json()["type"] == "urn:kat-clinic:problem:not_found"


def test_creating_a_patient_in_another_clinic_is_refused_and_nothing_is_saved(api, scheduler, other_clinic):
    # given
    body = {
        "mrn": "X1",
        "home_clinic": other_clinic.pk,
        "first_name": "Ann",
        "last_name": "Lee",
        "date_of_birth": "1990-01-01",
    }

    # when
    response = api(scheduler).post("/api/v1/patients/", body)

    # then
    assert response.status_code == 400
    assert "home_clinic" in response.json()["errors"]
    assert not Patient.objects.filter(mrn="X1").exists()


def test_scheduler_creates_a_patient_in_their_clinic(api, scheduler, clinic):
    # given
    body = {
        "mrn": "A100",
        "home_clinic": clinic.pk,
        "first_name": "Ann",
        "last_name": "Lee",
        "date_of_birth": "1990-01-01",
        "created_at": "2001-01-01T00:00:00Z",
    }

    # when
    response = api(scheduler).post("/api/v1/patients/", body)

    # then
    assert response.status_code == 201
    patient = Patient.objects.get(mrn="A100")
    assert patient.organization_id == clinic.organization_id
    assert patient.created_at.year != 2001  # created_at is not client-settable


def test_admin_role_reads_no_patient_demographics(api, admin_staff, patient):
    # when
    response = api(admin_staff).get("/api/v1/patients/")

    # then
    assert response.status_code == 403


def test_every_patient_read_writes_an_audit_row_with_the_patient_ids(api, nurse, clinic):
    # given
    first, second = PatientFactory(home_clinic=clinic), PatientFactory(home_clinic=clinic)

    # when
    response = api(nurse).get("/api/v1/patients/")

    # then
    assert response.status_code == 200
    event = AuditEvent.objects.get()
    assert event.user_id == nurse.user_id
    assert event.action == "list"
    assert event.resource_type == "patient"
    assert sorted(event.patient_ids) == sorted([first.pk, second.pk])
    assert event.outcome == AuditEvent.Outcome.SUCCESS
    assert event.roles == [Role.NURSE]
    assert event.clinic_id == clinic.pk


def test_patient_list_query_count_is_fixed(api, nurse, clinic, django_assert_max_num_queries):
    # given
    PatientFactory.create_batch(30, home_clinic=clinic)
    client = api(nurse)

    # when / then: roles, count, page, audit insert (and savepoints of the test transaction)
    with django_assert_max_num_queries(6):
        response = client.get("/api/v1/patients/")
    assert response.json()["count"] == 30
