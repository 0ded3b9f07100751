"""Patients' links open the web app's check-in page; links sent before it keep working."""

from __future__ import annotations

import pytest

from integration.links import checkin_token, checkin_url

pytestmark = pytest.mark.django_db

BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"


def test_new_links_point_at_the_check_in_page(settings, patient):
    # given
    settings.PATIENT_LINK_BASE_URL = "https://clinic.example"

    # when
    url = checkin_url(patient_id=patient.pk, clinic_id=patient.home_clinic_id)

    # then
    token = url.rstrip("/").rsplit("/", 1)[1]
    assert url == f"https://clinic.example/checkin/{patient.pk}/{token}/"


@pytest.mark.parametrize("prefix", ["/api/checkins", "/api/v1/checkins"])
def test_an_old_link_opened_in_a_browser_goes_on_to_the_page(client, patient, prefix):
    # given a link as they were sent before the page existed (the API path, legacy or versioned)
    token = checkin_token(patient_id=patient.pk, clinic_id=patient.home_clinic_id)

    # when a phone's browser opens it
    response = client.get(f"{prefix}/{patient.pk}/{token}/", HTTP_ACCEPT=BROWSER_ACCEPT)

    # then it is sent on to the check-in page, with the same patient and token
    assert response.status_code == 302
    assert response["Location"] == f"/checkin/{patient.pk}/{token}/"


@pytest.mark.parametrize("prefix", ["/api/checkins", "/api/v1/checkins"])
@pytest.mark.parametrize("accept", ["application/json", "*/*", "application/json, application/problem+json"])
def test_an_old_link_read_by_an_api_client_still_answers_json(client, patient, accept, prefix):
    # given
    token = checkin_token(patient_id=patient.pk, clinic_id=patient.home_clinic_id)

    # when
    response = client.get(f"{prefix}/{patient.pk}/{token}/", HTTP_ACCEPT=accept)

    # then
    assert response.status_code == 200
    assert response.json() == {
        "clinic_name": patient.home_clinic.name,
        "crisis_line": patient.home_clinic.crisis_line,
        "scale": "",
        "answered": False,
    }
