"""Rate limits: DRF throttles counted in Redis, per address without a user and per user with one, on the
public check-in link, the SMS webhook, the schema and docs, login and everything signed in; a refusal
is a 429 problem with Retry-After. knox's limit on tokens per user.

Each test sets low rates and a cache namespace of its own, so no count leaks between tests; the rest of
the suite runs with rates out of reach (tests/conftest.py).
"""

from __future__ import annotations

import uuid

import pytest
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from knox.models import AuthToken

from integration.links import checkin_token
from integration.models import CheckIn
from kat_clinic.checks import rate_limits_are_counted_in_a_shared_cache
from kat_clinic.models import AuditEvent
from tests.followups.factories import FollowUpFactory

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
PASSWORD = "a-long-enough-password-1"
OUT_OF_REACH = "1000000/min"


@pytest.fixture
def rates(settings):
    """rates(checkin="2/min", ...): these rates, every other scope out of reach, in a fresh cache namespace."""

    def set_rates(**low):
        settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"throttle-{uuid.uuid4().hex}"}}
        scopes = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        settings.REST_FRAMEWORK = {
            **settings.REST_FRAMEWORK,
            "DEFAULT_THROTTLE_RATES": {scope: low.get(scope, OUT_OF_REACH) for scope in scopes},
        }

    return set_rates


def _assert_throttled(response) -> None:
    assert (response.status_code, response["Content-Type"]) == (429, PROBLEM)
    body = response.json()
    assert (body["type"], body["title"], body["status"]) == (
        "urn:kat-clinic:problem:throttled",
        "Too many requests",
        429,
    )
    assert 1 <= int(response["Retry-After"]) <= 60


def test_the_counts_live_in_redis_shared_by_every_web_process():
    assert isinstance(caches["default"], RedisCache)


def test_the_public_check_in_link_is_limited_per_address_for_get_and_post(api, patient, rates):
    # given
    rates(checkin="3/min")
    token = checkin_token(patient_id=patient.pk, clinic_id=patient.home_clinic_id)
    url = f"/api/v1/checkins/{patient.pk}/{token}/"
    client = api()
    assert [client.get(url).status_code for _ in range(2)] == [200, 200]
    assert client.post(url, {"mood_0_10": 6}).status_code == 201

    # when
    refused = client.post(url, {"mood_0_10": 7})
    another_link = checkin_token(patient_id=patient.pk, clinic_id=patient.home_clinic_id)
    elsewhere = client.post(f"/api/v1/checkins/{patient.pk}/{another_link}/", {"mood_0_10": 8}, REMOTE_ADDR="10.1.2.3")

    # then: the fourth request from this address is refused, and nothing of it is written
    _assert_throttled(refused)
    assert elsewhere.status_code == 201
    assert sorted(CheckIn.objects.values_list("mood_0_10", flat=True)) == [6, 8]
    assert AuditEvent.objects.filter(status_code=429).count() == 1


def test_anonymous_requests_share_one_count_per_address(api, patient, rates):
    # given: the anonymous rate below the check-in link's own
    rates(anon="2/min")
    token = checkin_token(patient_id=patient.pk, clinic_id=patient.home_clinic_id)
    url = f"/api/v1/checkins/{patient.pk}/{token}/"
    client = api()
    assert [client.get(url).status_code for _ in range(2)] == [200, 200]

    # when
    response = client.get(url)

    # then
    _assert_throttled(response)


def test_the_sms_webhook_is_limited(api, clinic, rates, settings):
    # given
    rates(sms_inbound="2/min")
    settings.SMS_WEBHOOK_TOKEN = "s3cret"
    FollowUpFactory(clinic=clinic)
    client = api()
    body = {"from": "+12125550199", "body": "HELLO"}
    assert [client.post("/api/v1/sms/inbound/", body, HTTP_X_WEBHOOK_TOKEN="s3cret").status_code for _ in range(2)] == [
        200,
        200,
    ]

    # when
    response = client.post("/api/v1/sms/inbound/", body, HTTP_X_WEBHOOK_TOKEN="s3cret")

    # then
    _assert_throttled(response)


def test_the_schema_and_the_docs_share_a_low_limit(api, rates, settings):
    # given
    rates(schema="1/min")
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    client = api()
    assert client.get("/api/v1/docs/").status_code == 200

    # when: the costly schema, after the docs page used the address's one request
    response = client.get("/api/v1/schema/")

    # then
    _assert_throttled(response)


def test_logins_are_limited_per_address_even_with_the_right_password(api, scheduler, rates, settings):
    # given
    rates(login="2/min")
    settings.OTP_REQUIRED_FOR_CLINICAL_ROLES = False
    scheduler.user.set_password(PASSWORD)
    scheduler.user.save()
    client = api()
    credentials = {"username": scheduler.user.username, "password": PASSWORD}
    assert [client.post("/api/v1/auth/login/", credentials).status_code for _ in range(2)] == [200, 200]

    # when
    refused = client.post("/api/v1/auth/login/", credentials)
    elsewhere = client.post("/api/v1/auth/login/", credentials, REMOTE_ADDR="10.9.8.7")

    # then: no token for the refused attempt; another address is not held back
    _assert_throttled(refused)
    assert elsewhere.status_code == 200
    assert AuthToken.objects.filter(user=scheduler.user).count() == 3


def test_a_signed_in_user_is_limited_per_user_and_a_colleague_is_not(api, scheduler, nurse, rates):
    # given
    rates(user="3/min")
    client = api(scheduler)
    assert [client.get("/api/v1/me/").status_code for _ in range(3)] == [200, 200, 200]

    # when
    refused = client.get("/api/v1/patients/", REMOTE_ADDR="10.0.0.9")  # another address: still this user
    colleague = api(nurse).get("/api/v1/me/")

    # then
    _assert_throttled(refused)
    assert colleague.status_code == 200


def test_a_login_past_the_token_limit_is_refused_and_issues_no_token(api, scheduler, settings):
    # given: knox's limit of two live tokens, both in use
    settings.REST_KNOX = {**settings.REST_KNOX, "TOKEN_LIMIT_PER_USER": 2}
    settings.OTP_REQUIRED_FOR_CLINICAL_ROLES = False
    scheduler.user.set_password(PASSWORD)
    scheduler.user.save()
    credentials = {"username": scheduler.user.username, "password": PASSWORD}
    assert [api().post("/api/v1/auth/login/", credentials).status_code for _ in range(2)] == [200, 200]

    # when
    response = api().post("/api/v1/auth/login/", credentials)

    # then
    assert (response.status_code, response["Content-Type"]) == (403, PROBLEM)
    assert response.json()["type"] == "urn:kat-clinic:problem:token_limit"
    assert response.json()["detail"] == (
        "You are signed in on 2 devices already; sign out on one of them, or wait until one expires."
    )
    assert AuthToken.objects.filter(user=scheduler.user).count() == 2


def test_the_default_token_limit_is_set():
    from knox.settings import knox_settings

    assert knox_settings.TOKEN_LIMIT_PER_USER == 10


def test_check_deploy_warns_when_rate_limits_would_be_counted_per_process(settings):
    # given: the demo's fallback without Redis
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

    # when
    warnings = rate_limits_are_counted_in_a_shared_cache(None)

    # then
    assert [w.id for w in warnings] == ["kat_clinic.W002"]


def test_anonymous_requests_to_private_endpoints_are_limited_too(api, rates):
    # given
    rates(anon="2/min")
    client = api()
    assert [client.get("/api/v1/me/").status_code for _ in range(2)] == [401, 401]

    # when
    response = client.get("/api/v1/patients/")

    # then
    _assert_throttled(response)
