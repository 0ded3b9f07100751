"""Group/{clinic}/$export: a Celery-built NDJSON export of the clinic, polled on its status URL."""

from __future__ import annotations

import json

import pytest
from fhir.resources.R4B import get_fhir_model_class

from interop.fhir.bulk import bulk_export_build_files
from interop.models import BulkExport, Disclosure
from interop.tasks import bulk_export_build
from kat_clinic.roles import Role

pytestmark = pytest.mark.django_db


def kickoff(api, who, clinic_id, query=""):
    return api(who).get(f"/api/v1/fhir/Group/{clinic_id}/$export{query}", HTTP_PREFER="respond-async")


def test_a_prescriber_exports_the_clinic_as_ndjson(api, chart, clinic, django_capture_on_commit_callbacks):
    # when: the kick-off
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = kickoff(api, chart.prescriber, clinic.pk)

    # then: accepted, one task queued after commit, the status URL says "still running"
    assert response.status_code == 202
    export = BulkExport.objects.get()
    assert response["Content-Location"] == f"http://testserver/api/v1/fhir/bulk-status/{export.pk}"
    assert len(callbacks) == 1
    status_url = response["Content-Location"].removeprefix("http://testserver")
    pending = api(chart.prescriber).get(status_url)
    assert (pending.status_code, pending["X-Progress"]) == (202, "pending")

    # when: the worker runs the task
    bulk_export_build.apply(args=[export.pk])

    # then: the manifest lists one file per type with its count
    manifest = api(chart.prescriber).get(status_url).json()
    counts = {o["type"]: o["count"] for o in manifest["output"]}
    assert counts == {
        "AllergyIntolerance": 1,
        "Appointment": 2,
        "CarePlan": 1,
        "Condition": 1,
        "Consent": 1,
        "Encounter": 1,
        "Location": 1,
        "MedicationAdministration": 1,
        "Observation": 7,
        "Organization": 1,
        "Patient": 1,
        "Practitioner": 3,
        "QuestionnaireResponse": 1,
    }
    assert manifest["requiresAccessToken"] is True
    assert manifest["error"] == []

    # when: the Observation file is downloaded
    url = next(o["url"] for o in manifest["output"] if o["type"] == "Observation").removeprefix("http://testserver")
    download = api(chart.prescriber).get(url)

    # then: NDJSON of valid Observations, recorded as a disclosure of the clinic's patients
    assert download.status_code == 200
    assert download["Content-Type"] == "application/fhir+ndjson"
    lines = download.content.decode().splitlines()
    assert len(lines) == 7
    for line in lines:
        resource = json.loads(line)
        get_fhir_model_class("Observation").model_validate(resource)
        assert resource["subject"] == {"reference": f"Patient/{chart.patient.pk}"}
    disclosure = Disclosure.objects.get()
    assert (disclosure.document, disclosure.patient_ids) == ("fhir_bulk_Observation", [chart.patient.pk])


def test_building_an_export_twice_builds_it_once(chart, clinic, api):
    # given
    kickoff(api, chart.prescriber, clinic.pk)
    export = BulkExport.objects.get()

    # when
    first = bulk_export_build_files(export_id=export.pk)
    second = bulk_export_build_files(export_id=export.pk)

    # then
    assert (first, second) == (True, False)
    assert export.files.count() == 13


def test_the_type_filter_limits_the_files(chart, clinic, api):
    kickoff(api, chart.prescriber, clinic.pk, "?_type=Patient,Condition")
    export = BulkExport.objects.get()

    bulk_export_build_files(export_id=export.pk)

    assert sorted(export.files.values_list("resource_type", flat=True)) == ["Condition", "Patient"]


def test_an_unknown_type_is_refused_and_nothing_starts(chart, clinic, api):
    response = kickoff(api, chart.prescriber, clinic.pk, "?_type=Patient,Spaceship")

    assert response.status_code == 400
    assert response.json()["errors"] == {"_type": ["Not exported here: Spaceship."]}
    assert BulkExport.objects.count() == 0


@pytest.mark.parametrize("role", [Role.NURSE, Role.THERAPIST, Role.SCHEDULER, Role.ADMIN])
def test_only_prescribers_export_a_whole_clinic(api, chart, clinic, make_staff, role):
    response = kickoff(api, make_staff(clinic, role), clinic.pk)

    assert response.status_code == 403
    assert BulkExport.objects.count() == 0


def test_another_clinic_cannot_be_exported(api, chart, other_clinic):
    response = kickoff(api, chart.prescriber, other_clinic.pk)

    assert response.status_code == 404
    assert BulkExport.objects.count() == 0


def test_another_clinics_export_status_is_not_found(api, chart, clinic, other_clinic, make_staff):
    # given
    kickoff(api, chart.prescriber, clinic.pk)
    export = BulkExport.objects.get()
    outsider = make_staff(other_clinic, Role.PRESCRIBER)

    # when
    response = api(outsider).get(f"/api/v1/fhir/bulk-status/{export.pk}")

    # then
    assert response.status_code == 404
