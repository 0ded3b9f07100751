"""Input the fuzzing found refused too late (by a database check) or in an encoding the API cannot
read: each is now a 400 naming the field, or a 415, and nothing is written."""

from __future__ import annotations

import pytest
from django.utils import timezone

from monitoring.models import Diagnosis, SessionMedication, VitalSign

pytestmark = pytest.mark.django_db


def test_a_diagnosis_code_that_is_not_icd10_is_a_400_on_the_field(api, nurse, patient):
    # given
    body = {"patient": patient.pk, "icd10_code": "X", "description": "Depression", "diagnosed_on": "2026-01-05"}

    # when
    response = api(nurse).post("/api/v1/chart/diagnoses/", body)

    # then
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["icd10_code"]
    assert Diagnosis.objects.count() == 0


def test_a_session_medication_of_zero_mg_is_a_400_on_the_field(api, nurse, prescriber, session):
    # given
    body = {
        "session": session.pk,
        "drug": "ondansetron",
        "dose_mg": "0.00",
        "route": "iv",
        "given_at": timezone.now().isoformat(),
        "reason": "Nausea",
        "ordered_by": prescriber.pk,
    }

    # when
    response = api(nurse).post("/api/v1/chart/session-medications/", body)

    # then
    assert response.status_code == 400
    assert "dose_mg" in response.json()["errors"]
    assert SessionMedication.objects.count() == 0


def test_a_form_encoded_vitals_batch_is_refused_as_unsupported(api, nurse, session):
    # when
    response = api(nurse).post("/api/v1/chart/vitals/batch/", {"session": session.pk}, format="multipart")

    # then
    assert response.status_code == 415
    assert VitalSign.objects.count() == 0
