"""Every chart read records its clinic and patient from the object read, and the admin's audit view by
patient (the access log of one patient's record) lists every read and write of that record."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from kat_clinic.models import AuditEvent
from kat_clinic.roles import Role
from monitoring.models import DoseAdministration, SedationScore
from monitoring.models.records import Diagnosis
from monitoring.services.notes import note_create
from tests.factories import PatientFactory
from tests.monitoring.factories import ConsentFactory, SessionFactory, VitalFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def chart(patient, nurse, prescriber):
    """One of each charted row of the patient, in an in-progress session at the patient's clinic."""
    SessionFactory.reset_sequence()
    session = SessionFactory(patient=patient)
    now = timezone.now()
    return {
        "notes": note_create(session=session, author=nurse, sections={"patient_experience": "Calm"}),
        "vitals": VitalFactory(session=session, entered_by=nurse, measured_at=now - dt.timedelta(minutes=5)),
        "doses": DoseAdministration.objects.create(
            session=session,
            patient=patient,
            kind="initial",
            medication="ketamine",
            route="im",
            dose_mg=Decimal("10.00"),
            lot_number="L1",
            lot_expires_on=dt.date(2030, 1, 1),
            ordered_by=prescriber,
            administered_by=nurse,
            started_at=now - dt.timedelta(minutes=4),
        ),
        "sedation-scores": SedationScore.objects.create(
            session=session, measured_at=now - dt.timedelta(minutes=3), moaas=5, recorded_by=nurse
        ),
        "diagnoses": Diagnosis.objects.create(
            patient=patient, icd10_code="F33.2", description="MDD", diagnosed_on=dt.date(2025, 1, 2), recorded_by=nurse
        ),
        "consents": ConsentFactory(patient=patient, witness=nurse, recorded_by=nurse),
    }


# URL segment -> the audit row's resource type
DETAIL_ROUTES = {
    "notes": "clinical_note",
    "vitals": "vital_sign",
    "doses": "dose",
    "diagnoses": "diagnosis",
    "consents": "consent",
}


@pytest.mark.parametrize("resource", DETAIL_ROUTES)
def test_a_chart_detail_read_records_the_clinic_and_patient_of_the_object(resource, api, prescriber, chart, clinic):
    # given
    obj = chart[resource]

    # when
    response = api(prescriber).get(f"/api/v1/chart/{resource}/{obj.pk}/")

    # then
    assert response.status_code == 200
    event = AuditEvent.objects.get()
    assert (event.clinic_id, event.patient_ids, event.resource_ids) == (clinic.pk, [obj.patient_id], [obj.pk])


def test_a_chart_list_records_the_clinic_of_its_rows_without_a_query_per_row(
    api, prescriber, chart, clinic, patient, django_assert_max_num_queries
):
    # given: a second session's score, so the list holds two rows read through their sessions
    earlier = SessionFactory(patient=patient)
    SedationScore.objects.create(session=earlier, measured_at=earlier.starts_at, moaas=4, recorded_by=prescriber)

    # when
    with django_assert_max_num_queries(8):
        response = api(prescriber).get("/api/v1/chart/sedation-scores/")

    # then
    assert response.json()["count"] == 2
    event = AuditEvent.objects.get()
    assert (event.clinic_id, event.patient_ids) == (clinic.pk, [patient.pk])


def test_the_admins_audit_view_by_patient_lists_every_chart_read_of_that_patient(
    api, admin_staff, prescriber, chart, patient, clinic
):
    # given: the prescriber reads each record, and a record of another patient
    for resource in DETAIL_ROUTES:
        api(prescriber).get(f"/api/v1/chart/{resource}/{chart[resource].pk}/")
    other = PatientFactory(home_clinic=clinic)
    api(prescriber).get(f"/api/v1/patients/{other.pk}/")

    # when
    response = api(admin_staff).get(f"/api/v1/audit-events/?patient={patient.pk}")

    # then
    assert response.status_code == 200
    rows = response.json()["results"]
    assert sorted((r["resource_type"], r["resource_ids"], r["patient_ids"]) for r in rows) == sorted(
        (resource_type, [chart[route].pk], [patient.pk]) for route, resource_type in DETAIL_ROUTES.items()
    )


def test_a_read_spanning_two_clinics_is_in_the_access_log_of_each_patients_home_clinic(
    api, make_staff, admin_staff, clinic, other_clinic, patient
):
    # given: a nurse of both clinics lists patients of both in one request, so the row has no one clinic
    nurse = make_staff(clinic, Role.NURSE)
    nurse.memberships.create(clinic=other_clinic, role=Role.NURSE)
    elsewhere = PatientFactory(home_clinic=other_clinic)
    api(nurse).get("/api/v1/patients/")
    assert AuditEvent.objects.get().clinic_id is None

    # when
    mine = api(admin_staff).get(f"/api/v1/audit-events/?patient={patient.pk}").json()["results"]
    not_mine = api(admin_staff).get(f"/api/v1/audit-events/?patient={elsewhere.pk}").json()["results"]

    # then: the home clinic's admin sees the read of its patient, and nothing of the other clinic's
    assert [(r["username"], sorted(r["patient_ids"])) for r in mine] == [
        (nurse.user.username, sorted([patient.pk, elsewhere.pk]))
    ]
    assert not_mine == []
