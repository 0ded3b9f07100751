"""Times carry their offset and dates are plausible: a naive time is refused with a message that says
to send the offset (never silently taken as UTC); years 1 and 9999 are refused, not stored or a 500."""

from __future__ import annotations

import datetime as dt
import pathlib
import re

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from kat_clinic.api.times import DATE_OUT_OF_RANGE, NAIVE, TIME_OUT_OF_RANGE
from kat_clinic.models import Patient, PatientWeight
from monitoring.models import Consent, DoseAdministration
from monitoring.models.records import PriorAuthorization
from tests.monitoring.factories import SessionFactory

pytestmark = pytest.mark.django_db

ROOT = pathlib.Path(__file__).resolve().parents[2]


def _field_errors(response) -> dict:
    assert response.status_code == 400, response.content
    assert response["Content-Type"] == "application/problem+json"
    return response.json()["errors"]


def _consent(patient, nurse, signed_at: str) -> dict:
    return {"patient": patient.pk, "document_version": "v3", "signed_at": signed_at, "witness": nurse.pk}


def test_a_naive_time_in_a_body_is_refused_with_a_field_error_that_asks_for_the_offset(api, nurse, patient):
    # when: a weight measured "at 10:00", no zone said
    response = api(nurse).post(
        f"/api/v1/patients/{patient.pk}/weights/", {"weight_kg": "80.0", "measured_at": "2026-01-05T10:00:00"}
    )

    # then
    assert _field_errors(response) == {"measured_at": [NAIVE]}
    assert PatientWeight.objects.count() == 0


def test_a_naive_time_nested_in_a_list_is_refused_too(api, nurse, patient):
    # given
    session = SessionFactory(patient=patient)
    reading = {"measured_at": "2026-01-05T10:00", "systolic_mmhg": 120, "diastolic_mmhg": 80}

    # when
    response = api(nurse).post("/api/v1/chart/vitals/batch/", {"session": session.pk, "readings": [reading]})

    # then
    assert _field_errors(response) == {"readings": {"0": {"measured_at": [NAIVE]}}}


def test_the_same_time_with_its_offset_is_taken_at_that_offset(api, nurse, patient):
    # when: 10:00 in New York in winter
    response = api(nurse).post("/api/v1/chart/consents/", _consent(patient, nurse, "2026-01-05T10:00:00-05:00"))

    # then: stored as 15:00 UTC, not 10:00 UTC
    assert response.status_code == 201
    assert Consent.objects.get().signed_at == dt.datetime(2026, 1, 5, 15, 0, tzinfo=dt.UTC)


def test_a_naive_time_in_a_query_filter_is_refused(api, admin_staff):
    assert _field_errors(api(admin_staff).get("/api/v1/audit-events/?since=2026-01-05T10:00:00")) == {"since": [NAIVE]}


@pytest.mark.parametrize("started_at", ["0001-01-01T00:00:00Z", "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59Z"])
def test_a_dose_started_in_year_1_or_9999_is_a_400_not_a_500(api, prescriber, nurse, patient, started_at):
    # given
    session = SessionFactory(patient=patient)
    body = {
        "session": session.pk,
        "kind": "initial",
        "medication": "ketamine",
        "route": "im",
        "dose_mg": "10",
        "lot_number": "L1",
        "lot_expires_on": "2030-01-01",
        "ordered_by": prescriber.pk,
        "started_at": started_at,
    }

    # when
    response = api(prescriber).post("/api/v1/chart/doses/", body)

    # then
    errors = _field_errors(response)
    assert errors["started_at"] in ([TIME_OUT_OF_RANGE], ["Datetime value out of range."])
    assert DoseAdministration.objects.count() == 0


@pytest.mark.parametrize(
    ("signed_at", "message"),
    [
        ("9999-01-01T00:00:00Z", TIME_OUT_OF_RANGE),
        ("0001-01-01T00:00:00Z", TIME_OUT_OF_RANGE),
        ("in a day", "A consent is signed before it is recorded, not in the future."),
    ],
)
def test_a_consent_is_not_signed_in_the_future_nor_in_another_millennium(api, nurse, patient, signed_at, message):
    # given
    if signed_at == "in a day":
        signed_at = (timezone.now() + dt.timedelta(days=1)).isoformat()

    # when
    response = api(nurse).post("/api/v1/chart/consents/", _consent(patient, nurse, signed_at))

    # then
    assert _field_errors(response) == {"signed_at": [message]}
    assert Consent.objects.count() == 0


@pytest.mark.parametrize(
    ("born", "message"),
    [
        ("0001-01-01", DATE_OUT_OF_RANGE),
        ("1899-12-31", DATE_OUT_OF_RANGE),
        ("tomorrow", "A date of birth is in the past."),
    ],
)
def test_a_date_of_birth_is_in_the_past_and_after_1900(api, scheduler, patient, born, message):
    # given
    before = patient.date_of_birth
    if born == "tomorrow":
        born = (timezone.now() + dt.timedelta(days=2)).date().isoformat()

    # when
    response = api(scheduler).patch(f"/api/v1/patients/{patient.pk}/", {"date_of_birth": born})

    # then
    assert _field_errors(response) == {"date_of_birth": [message]}
    assert Patient.objects.get(pk=patient.pk).date_of_birth == before


def test_the_database_refuses_a_birth_before_1900(patient):
    with pytest.raises(IntegrityError, match="patient_born_after_1900"), transaction.atomic():
        Patient.objects.filter(pk=patient.pk).update(date_of_birth=dt.date(1850, 1, 1))


def test_a_prior_authorization_covers_at_most_three_years(api, nurse, patient):
    # given
    body = {
        "patient": patient.pk,
        "payer": "Aetna",
        "reference": "PA-1",
        "authorised_sessions": 8,
        "valid_from": "2026-01-01",
        "valid_until": "2031-01-01",
    }

    # when
    refused = api(nurse).post("/api/v1/chart/prior-authorizations/", body)
    allowed = api(nurse).post("/api/v1/chart/prior-authorizations/", {**body, "valid_until": "2027-01-01"})

    # then
    assert _field_errors(refused) == {"valid_until": ["An authorization covers at most three years."]}
    assert allowed.status_code == 201
    assert list(PriorAuthorization.objects.values_list("valid_until", flat=True)) == [dt.date(2027, 1, 1)]
    with pytest.raises(IntegrityError, match="priorauthorization_at_most_three_years"), transaction.atomic():
        PriorAuthorization.objects.update(valid_until=dt.date(2040, 1, 1))


def test_no_api_module_declares_drfs_own_date_time_or_date_field():
    # given: the fields that refuse naive times and implausible years (kat_clinic/api/times.py)
    declared = re.compile(r"serializers\.(DateTimeField|DateField)\(")

    # when
    offenders = [
        str(path.relative_to(ROOT))
        for path in ROOT.glob("*/api/**/*.py")
        if ".venv" not in path.parts and declared.search(path.read_text())
    ]

    # then
    assert offenders == []
