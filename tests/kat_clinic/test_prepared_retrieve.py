"""A hot read of one object through its prepared query answers exactly as DRF's own get_object:
the same object, the same 404 for anything out of reach or not an id, the same audit."""

from __future__ import annotations

import pytest

from kat_clinic.api.views import PatientViewSet
from kat_clinic.models import AuditEvent
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def _drf_answer(api, user, path: str):
    """The same read through DRF's get_object: a query parameter turns the prepared path off."""
    return api(user).get(path, {"ignored": "1"})


def test_given_a_patient_of_the_callers_clinic_then_the_prepared_read_answers_as_drfs(api, scheduler, clinic):
    # given
    patient = PatientFactory(home_clinic=clinic, last_name="Adams")
    PatientViewSet.retrieve_query._compiled.clear()

    # when
    prepared = api(scheduler).get(f"/api/v1/patients/{patient.pk}/")
    plain = _drf_answer(api, scheduler, f"/api/v1/patients/{patient.pk}/")

    # then both answer the patient, the first through the prepared query
    assert (prepared.status_code, plain.status_code) == (200, 200)
    assert prepared.json() == plain.json()
    assert prepared.json()["last_name"] == "Adams"
    assert len(PatientViewSet.retrieve_query._compiled) == 1
    # and each read is audited with the patient and their clinic
    reads = AuditEvent.objects.filter(resource_type="patient", action="retrieve").order_by("pk")
    assert [(e.patient_ids, e.clinic_id) for e in reads] == [([patient.pk], clinic.pk), ([patient.pk], clinic.pk)]


@pytest.mark.parametrize("pk", ["abc", "1.0", str(2**63), "-" + str(2**63 + 1)])
def test_given_an_id_that_is_not_one_then_404_as_drf_answers_it(api, scheduler, clinic, pk):
    # given
    PatientFactory(home_clinic=clinic)

    # when
    prepared = api(scheduler).get(f"/api/v1/patients/{pk}/")
    plain = _drf_answer(api, scheduler, f"/api/v1/patients/{pk}/")

    # then
    assert (prepared.status_code, plain.status_code) == (404, 404)
    assert prepared.json() == plain.json()
    assert prepared.json()["type"] == "urn:kat-clinic:problem:not_found"


def test_given_another_clinics_patient_then_404_as_drf_answers_it(api, scheduler, other_clinic):
    # given
    theirs = PatientFactory(home_clinic=other_clinic)

    # when
    prepared = api(scheduler).get(f"/api/v1/patients/{theirs.pk}/")
    plain = _drf_answer(api, scheduler, f"/api/v1/patients/{theirs.pk}/")

    # then
    assert (prepared.status_code, plain.status_code) == (404, 404)
    assert prepared.json() == plain.json()
