from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from monitoring.models import CONTRAINDICATIONS, Consent, Diagnosis, SessionAttestation
from monitoring.selectors.gate import gate_unmet

pytestmark = pytest.mark.django_db


def _screen_body(patient, reviewer, **answers) -> dict:
    # `reviewer` is kept for the callers: a review is the prescriber's own request (test_screen_review).
    return {
        "patient": patient.pk,
        "answers": {**dict.fromkeys(CONTRAINDICATIONS, False), **answers},
        "screened_at": timezone.now().isoformat(),
        "valid_until": (timezone.localdate() + dt.timedelta(days=90)).isoformat(),
    }


def test_a_screen_passes_only_when_every_answer_is_no(api, nurse, prescriber, patient):
    client = api(nurse)
    passed = client.post("/api/v1/chart/contraindication-screens/", _screen_body(patient, prescriber))
    failed = client.post("/api/v1/chart/contraindication-screens/", _screen_body(patient, prescriber, pregnancy=True))
    assert (passed.json()["result"], failed.json()["result"]) == ("passed", "failed")


def test_a_screen_must_answer_every_item(api, nurse, prescriber, patient):
    body = _screen_body(patient, prescriber)
    del body["answers"]["active_psychosis"]
    response = api(nurse).post("/api/v1/chart/contraindication-screens/", body)
    assert (response.status_code, list(response.json()["errors"])) == (422, ["active_psychosis"])


def test_a_result_sent_by_the_client_is_ignored(api, nurse, prescriber, patient):
    body = {**_screen_body(patient, prescriber, active_psychosis=True), "result": "passed"}
    assert api(nurse).post("/api/v1/chart/contraindication-screens/", body).json()["result"] == "failed"


def test_a_revoked_consent_no_longer_satisfies_the_gate(api, nurse, ready_session):
    # given
    consent = Consent.objects.get()

    # when
    response = api(nurse).post(f"/api/v1/chart/consents/{consent.pk}/revoke/", {"reason": "Patient withdrew."})

    # then
    assert response.status_code == 200
    assert [i["item"] for i in gate_unmet(session=ready_session)] == ["consent"]


def test_a_consent_records_its_witness_and_recorder(api, nurse, prescriber, patient):
    response = api(nurse).post(
        "/api/v1/chart/consents/",
        {
            "patient": patient.pk,
            "document_version": "v4",
            "medications": ["ketamine"],
            "routes": ["iv", "im"],
            "signed_at": timezone.now().isoformat(),
            "witness": prescriber.pk,
        },
    )
    assert response.status_code == 201
    consent = Consent.objects.get()
    assert (consent.witness_id, consent.recorded_by_id, consent.routes) == (prescriber.pk, nurse.pk, ["iv", "im"])


# A malformed code is refused on the field (400), before the database's check would see it.
@pytest.mark.parametrize(("code", "status"), [("F33.2", 201), ("F32.A", 201), ("F3", 400), ("U07.1", 400)])
def test_diagnoses_take_icd10_codes(api, nurse, patient, code, status):
    response = api(nurse).post(
        "/api/v1/chart/diagnoses/",
        {
            "patient": patient.pk,
            "icd10_code": code,
            "description": "Major depressive disorder",
            "diagnosed_on": "2026-01-10",
        },
    )
    assert response.status_code == status
    assert Diagnosis.objects.count() == (1 if status == 201 else 0)


def test_posting_the_attestation_again_updates_the_one_row(api, nurse, session):
    client = api(nurse)
    client.post("/api/v1/chart/attestations/", {"session": session.pk, "escort_name": "Sam", "escort_phone": "555"})
    response = client.post(
        "/api/v1/chart/attestations/",
        {"session": session.pk, "escort_name": "Sam", "escort_phone": "555", "escort_present": True},
    )
    assert response.status_code == 201
    attestation = SessionAttestation.objects.get()
    assert (attestation.escort_present, attestation.recorded_by_id) == (True, nurse.pk)


def test_prior_authorization_usage_is_not_client_settable(api, nurse, patient):
    response = api(nurse).post(
        "/api/v1/chart/prior-authorizations/",
        {
            "patient": patient.pk,
            "payer": "Cigna",
            "reference": "A1",
            "authorised_sessions": 6,
            "used_sessions": 5,
            "valid_from": "2026-01-01",
            "valid_until": "2026-12-31",
        },
    )
    assert (response.status_code, response.json()["used_sessions"]) == (201, 0)


def test_a_therapist_reads_records_but_does_not_write_them(api, therapist, patient):
    client = api(therapist)
    assert client.get(f"/api/v1/chart/allergies/?patient={patient.pk}").status_code == 200
    refused = client.post("/api/v1/chart/allergies/", {"patient": patient.pk, "substance": "Latex"})
    assert refused.status_code == 403
