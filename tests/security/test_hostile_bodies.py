"""Hostile requests: deep JSON, huge bodies, forms, unhandled methods. Each is a problem+json 4xx,
never a 500 or an HTML page, and nothing is written."""

from __future__ import annotations

import json

import pytest
from django.urls import get_resolver
from rest_framework.parsers import JSONParser

from integration.models import CheckIn
from kat_clinic.api.parsers import BoundedJSONParser
from kat_clinic.models import Clinic, Patient

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
DEEP_ARRAY = "[" * 1000 + "]" * 1000
DEEP_OBJECT = '{"a":' * 1000 + "1" + "}" * 1000
NESTED_TOO_DEEP = "JSON parse error - the document is nested too deeply."


@pytest.mark.parametrize("body", [DEEP_ARRAY, DEEP_OBJECT], ids=["array", "object"])
@pytest.mark.parametrize(
    "path",
    ["/api/v1/auth/login/", "/api/v1/checkins/{patient}/some-token/", "/api/checkins/{patient}/some-token/"],
)
def test_json_nested_a_thousand_deep_is_a_400_on_unauthenticated_endpoints(client, patient, path, body):
    # given
    client.raise_request_exception = False  # a 500 must show as a 500 here, not as an exception
    url = path.format(patient=patient.pk)

    # when
    response = client.post(url, body, content_type="application/json")

    # then
    assert (response.status_code, response["Content-Type"]) == (400, PROBLEM)
    problem = response.json()
    assert (problem["type"], problem["detail"]) == ("urn:kat-clinic:problem:parse_error", NESTED_TOO_DEEP)
    assert CheckIn.objects.count() == 0


def test_json_nested_a_thousand_deep_is_a_400_for_a_signed_in_user_too(api, admin_staff, clinic):
    # when
    response = api(admin_staff).generic(
        "PATCH", f"/api/v1/clinics/{clinic.pk}/", DEEP_OBJECT, content_type="application/json"
    )

    # then
    assert (response.status_code, response["Content-Type"]) == (400, PROBLEM)
    assert response.json()["detail"] == NESTED_TOO_DEEP
    assert Clinic.objects.get(pk=clinic.pk).name == "Midtown"


def test_json_nested_within_the_bound_still_parses(api, admin_staff, clinic):
    # given: 150 levels, inside the parser's limit, in a field the clinic endpoint ignores
    body = json.dumps({"name": "Midtown Two", "ignored": json.loads("[" * 150 + "]" * 150)})

    # when
    response = api(admin_staff).generic("PATCH", f"/api/v1/clinics/{clinic.pk}/", body, content_type="application/json")

    # then
    assert response.status_code == 200
    assert Clinic.objects.get(pk=clinic.pk).name == "Midtown Two"


def test_a_two_megabyte_json_body_is_a_413_before_parsing_on_the_public_check_in_link(client, patient):
    # given: twice the default bound (1 MiB)
    body = json.dumps({"mood_0_10": 5, "note": "x" * (2 * 1024 * 1024)})

    # when
    response = client.post(f"/api/checkins/{patient.pk}/some-token/", body, content_type="application/json")

    # then
    assert (response.status_code, response["Content-Type"]) == (413, PROBLEM)
    assert response.json()["type"] == "urn:kat-clinic:problem:payload_too_large"
    assert CheckIn.objects.count() == 0


def test_a_form_encoded_body_is_a_415_so_a_blank_form_value_cannot_pass_for_absent(api, admin_staff, clinic):
    # when: the form encoding whose blank value DRF would skip as "not given"
    response = api(admin_staff).patch(f"/api/v1/clinics/{clinic.pk}/", {"quiet_hours_end": ""}, format="multipart")

    # then
    assert (response.status_code, response["Content-Type"]) == (415, PROBLEM)
    assert response.json()["type"] == "urn:kat-clinic:problem:unsupported_media_type"


@pytest.mark.parametrize(
    ("method", "path"),
    [("DELETE", "/api/v1/me/"), ("DELETE", "/api/v1/patients/{patient}/"), ("PUT", "/api/v1/audit-events/")],
)
def test_a_method_the_endpoint_lacks_is_a_405_for_a_signed_in_user_not_a_403(api, scheduler, patient, method, path):
    # when
    response = api(scheduler).generic(method, path.format(patient=patient.pk))

    # then
    assert (response.status_code, response["Content-Type"]) == (405, PROBLEM)
    assert response.json()["type"] == "urn:kat-clinic:problem:method_not_allowed"
    assert Patient.objects.filter(pk=patient.pk).exists()


def test_a_non_integer_id_is_a_404_problem_for_a_signed_in_user(api, scheduler):
    # when
    response = api(scheduler).get("/api/v1/patients/abc/")

    # then
    assert (response.status_code, response["Content-Type"]) == (404, PROBLEM)


def _api_views():
    def walk(patterns):
        for pattern in patterns:
            if hasattr(pattern, "url_patterns"):
                yield from walk(pattern.url_patterns)
            elif getattr(pattern.callback, "cls", None) is not None:
                yield pattern.callback.cls

    return set(walk(get_resolver().url_patterns))


def test_no_api_view_parses_json_without_the_size_and_depth_bounds():
    # given
    views = _api_views()

    # when
    unbounded = {
        view.__name__
        for view in views
        for parser in view().get_parsers()
        if isinstance(parser, JSONParser) and not isinstance(parser, BoundedJSONParser)
    }

    # then
    assert len(views) > 50
    assert unbounded == set()
