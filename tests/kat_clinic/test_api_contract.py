"""The API contract: versioned paths, permanent aliases, one problem-details shape for every error."""

from __future__ import annotations

import pytest
from django.test import Client

from integration.links import checkin_token
from integration.models import CheckIn
from kat_clinic.api import views as core_views
from kat_clinic.models import Patient
from tests.factories import PatientFactory
from tests.followups.factories import FollowUpFactory

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def problem(slug, title, status, detail, instance, errors=None, **extra):
    return {
        "type": f"urn:kat-clinic:problem:{slug}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": instance,
        "errors": errors or {},
        **extra,
    }


def test_a_check_in_link_already_sent_keeps_working_at_its_old_path(api, patient):
    # given: a link in the form sent before the API was versioned
    token = checkin_token(patient_id=patient.pk, clinic_id=patient.home_clinic_id)

    # when
    response = api().post(f"/api/checkins/{patient.pk}/{token}/", {"mood_0_10": 6, "note": "Calmer."})

    # then
    assert response.status_code == 201
    assert response.json()["crisis"] is None
    checkin = CheckIn.objects.get()
    assert (checkin.patient_id, checkin.mood_0_10) == (patient.pk, 6)


def test_the_sms_webhook_keeps_answering_at_its_old_path(api, clinic, settings):
    # given: the address configured at the SMS provider
    settings.SMS_WEBHOOK_TOKEN = "s3cret"
    patient = PatientFactory(home_clinic=clinic, sms_opt_in=True, phone="+1 (212) 555-0142")
    FollowUpFactory(clinic=clinic, patient=patient)

    # when
    response = api().post("/api/sms/inbound/", {"from": "+12125550142", "body": "STOP"}, HTTP_X_WEBHOOK_TOKEN="s3cret")

    # then
    assert (response.status_code, response.json()) == (200, {"result": "stopped"})
    patient.refresh_from_db()
    assert patient.sms_opt_in is False


def test_other_unversioned_paths_are_gone_with_a_problem_404(api, scheduler):
    # when
    response = api(scheduler).get("/api/patients/")

    # then
    assert (response.status_code, response["Content-Type"]) == (404, PROBLEM)
    assert response.json() == problem("not_found", "Not found", 404, "Not found.", "/api/patients/")


def test_new_check_in_links_open_the_web_apps_check_in_page(patient):
    from integration.links import checkin_url

    assert f"/checkin/{patient.pk}/" in checkin_url(patient_id=patient.pk, clinic_id=patient.home_clinic_id)


def test_a_non_integer_path_id_is_a_problem_404_not_djangos_page(api, settings):
    # given: DEBUG on, where Django's own 404 page lists every URL pattern
    settings.DEBUG = True

    # when
    response = api().get("/api/v1/checkins/abc/some-token/")

    # then
    assert (response.status_code, response["Content-Type"]) == (404, PROBLEM)
    assert response.json() == problem("not_found", "Not found", 404, "Not found.", "/api/v1/checkins/abc/some-token/")


def test_a_missing_object_is_a_problem_404(api, scheduler):
    # when
    response = api(scheduler).get("/api/v1/patients/999999/")

    # then
    assert (response.status_code, response["Content-Type"]) == (404, PROBLEM)
    assert response.json() == problem("not_found", "Not found", 404, "Not found.", "/api/v1/patients/999999/")


def test_a_path_without_its_trailing_slash_still_redirects(api, scheduler):
    # when
    response = api(scheduler).get("/api/v1/patients?search=a")

    # then
    assert (response.status_code, response["Location"]) == (301, "/api/v1/patients/?search=a")


def test_a_method_the_endpoint_lacks_is_a_problem_405(api):
    # when: login takes POST only
    response = api().get("/api/v1/auth/login/")

    # then
    assert (response.status_code, response["Content-Type"]) == (405, PROBLEM)
    assert response.json() == problem(
        "method_not_allowed", "Method not allowed", 405, 'Method "GET" not allowed.', "/api/v1/auth/login/"
    )


def test_an_oversized_body_is_a_problem_413_and_nothing_is_written(api, scheduler, clinic, settings):
    # given: a limit small enough to cross with one field
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    before = Patient.objects.count()

    # when
    response = api(scheduler).post("/api/v1/patients/", {"home_clinic": clinic.pk, "first_name": "x" * 500})

    # then
    assert (response.status_code, response["Content-Type"]) == (413, PROBLEM)
    assert response.json() == problem(
        "payload_too_large", "Request body too large", 413, "The request body is too large.", "/api/v1/patients/"
    )
    assert Patient.objects.count() == before


def test_a_body_in_an_unsupported_media_type_is_a_problem_415(api, scheduler):
    # when
    response = api(scheduler).generic("POST", "/api/v1/patients/", "first_name=A", content_type="text/plain")

    # then
    assert (response.status_code, response["Content-Type"]) == (415, PROBLEM)
    assert response.json() == problem(
        "unsupported_media_type",
        "Unsupported media type",
        415,
        'Unsupported media type "text/plain" in request.',
        "/api/v1/patients/",
    )


def test_a_locked_out_login_is_a_problem_429(api, scheduler, settings):
    # given: the failures that lock the username
    for _ in range(settings.AXES_FAILURE_LIMIT):
        api().post("/api/v1/auth/login/", {"username": scheduler.user.username, "password": "wrong"})

    # when
    response = api().post("/api/v1/auth/login/", {"username": scheduler.user.username, "password": "wrong"})

    # then
    assert (response.status_code, response["Content-Type"]) == (429, PROBLEM)
    assert response.json() == problem(
        "locked_out",
        "Too many failed logins",
        429,
        "Too many failed logins; try again later.",
        "/api/v1/auth/login/",
    )


def test_a_crash_in_a_view_is_a_problem_500_without_the_traceback(scheduler, monkeypatch):
    # given: a view that fails in a way nothing maps
    def crash(self, request):
        raise RuntimeError("secret internals")

    monkeypatch.setattr(core_views.MeView, "get", crash)
    client = Client(raise_request_exception=False)
    client.force_login(scheduler.user)

    # when
    response = client.get("/api/v1/me/")

    # then
    assert (response.status_code, response["Content-Type"]) == (500, PROBLEM)
    assert response.json() == problem(
        "server_error", "Server error", 500, "Something went wrong on our side; nothing was saved.", "/api/v1/me/"
    )


def test_invalid_fields_are_a_problem_400_with_dotted_field_errors(api, scheduler):
    # when
    response = api(scheduler).post("/api/v1/patients/", {"first_name": "A"})

    # then
    assert (response.status_code, response["Content-Type"]) == (400, PROBLEM)
    body = response.json()
    assert {k: v for k, v in body.items() if k != "errors"} == {
        "type": "urn:kat-clinic:problem:invalid",
        "title": "The data is not valid",
        "status": 400,
        "detail": "The data is not valid.",
        "instance": "/api/v1/patients/",
    }
    assert body["errors"]["last_name"] == ["This field is required."]
    assert not Patient.objects.exists()


def test_a_refusal_of_the_browsable_api_is_still_problem_json(api, scheduler):
    # when: a browser asks for HTML
    response = api(scheduler).get("/api/v1/patients/999999/", HTTP_ACCEPT="text/html")

    # then
    assert (response.status_code, response["Content-Type"]) == (404, PROBLEM)


def test_outside_the_api_a_path_is_the_web_apps_and_never_a_problem_body(client):
    # when: a client-side route of the web app
    response = client.get("/no-such-page/")

    # then: the web app's HTML (or its "run make web" page when unbuilt), not a problem+json body
    assert response.status_code in (200, 503)
    assert response["Content-Type"].startswith("text/html")
