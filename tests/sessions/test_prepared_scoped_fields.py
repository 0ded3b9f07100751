"""A write body's clinic, patient or planned session is read by a prepared query, and answered
exactly as DRF's own lookup answers it: the object, or DRF's refusal word for word. The search's
options are written the lean way, as DRF writes them."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from kat_clinic.access.fields import ClinicScopedPrimaryKeyRelatedField
from kat_clinic.api.lean import LeanRepresentationMixin
from tests.factories import PatientFactory
from tests.sessions.conftest import nurse_block_search

pytestmark = pytest.mark.django_db
SEARCH = "/api/v1/scheduling/search/"


def _body(clinic, patient, **changes) -> dict:
    return nurse_block_search(clinic, patient, limit=3, **changes)


def _both_paths(client, body, monkeypatch):
    prepared = client.post(SEARCH, body)
    with monkeypatch.context() as patched:
        patched.setattr(ClinicScopedPrimaryKeyRelatedField, "_prepared_lookup", lambda self: None)
        patched.setattr(LeanRepresentationMixin, "_lean_recipe", classmethod(lambda cls: None))
        plain = client.post(SEARCH, body)
    return prepared, plain


@pytest.mark.parametrize(
    "patient",
    ["mine", "theirs", "abc", "7.5", 7.5, True, None, [1], 2**63, -1, " {mine} ", "1_0"],
)
def test_given_a_patient_value_then_the_prepared_lookup_answers_as_drfs(
    api, scheduler, clinic, other_clinic, chair, working_nurse, monkeypatch, patient
):
    # given
    mine, theirs = PatientFactory(home_clinic=clinic), PatientFactory(home_clinic=other_clinic)
    if isinstance(patient, str):
        patient = {"mine": mine.pk, "theirs": theirs.pk}.get(patient, patient.format(mine=mine.pk))

    # when
    prepared, plain = _both_paths(api(scheduler), _body(clinic.pk, patient), monkeypatch)

    # then
    assert (prepared.status_code, prepared.content) == (plain.status_code, plain.content)


def test_given_my_clinic_and_patient_then_both_are_read_by_prepared_statements(
    api, scheduler, clinic, chair, working_nurse
):
    # given
    mine = PatientFactory(home_clinic=clinic)
    client = api(scheduler)
    client.post(SEARCH, _body(clinic.pk, mine.pk))  # compiles the two lookups

    # when
    with CaptureQueriesContext(connection) as queries:
        response = client.post(SEARCH, _body(clinic.pk, mine.pk))

    # then the options, and the patient and clinic each read with the caller's clinics as one array
    assert response.status_code == 200
    assert [option["starts_at"] for option in response.json()] == [
        "2027-06-07T08:00:00-04:00",
        "2027-06-07T08:15:00-04:00",
        "2027-06-07T08:30:00-04:00",
    ]
    patient_reads = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('SELECT "kat_clinic_patient"')]
    assert len(patient_reads) == 1
    assert '"kat_clinic_patient"."home_clinic_id" = ANY(' in patient_reads[0]
    assert patient_reads[0].endswith("LIMIT 2")
    # and of the patient only what the search uses: no name, no contact details (minimum necessary)
    selected = patient_reads[0].split(" FROM ")[0]
    assert selected == 'SELECT "kat_clinic_patient"."id", "kat_clinic_patient"."home_clinic_id"'
    assert not any("kat_clinic_patient" in q["sql"] for q in queries.captured_queries if q["sql"] not in patient_reads)


def test_given_a_search_body_read_before_when_another_is_read_then_its_fields_are_not_deep_copied_again(
    api, scheduler, clinic, chair, working_nurse, monkeypatch
):
    from rest_framework import serializers

    # given a first search
    mine = PatientFactory(home_clinic=clinic)
    client = api(scheduler)
    first = client.post(SEARCH, _body(clinic.pk, mine.pk, preferences={"weekdays": [0, 2]}))
    copies = []
    original = serializers.Serializer.get_fields
    monkeypatch.setattr(serializers.Serializer, "get_fields", lambda self: copies.append(type(self)) or original(self))

    # when the same search is asked again
    second = client.post(SEARCH, _body(clinic.pk, mine.pk, preferences={"weekdays": [0, 2]}))

    # then the same options, and no serializer (the body's, its needs', its preferences', the
    # options' staff) deep-copied its declared fields again
    assert first.status_code == second.status_code == 200
    assert len(first.json()) == 3
    assert second.json() == first.json()
    assert copies == []
