"""The rate limits count in Redis in one round trip, with DRF's sliding window and Retry-After."""

from __future__ import annotations

import uuid

import pytest
import redis
from django.core.cache import caches
from rest_framework import throttling

from kat_clinic.api.throttling import UserThrottle, _OneRoundTrip

pytestmark = pytest.mark.django_db
OUT_OF_REACH = "1000000/min"


@pytest.fixture
def user_rate(settings):
    def set_rate(rate: str):
        settings.CACHES = {"default": {**settings.CACHES["default"], "KEY_PREFIX": f"window-{uuid.uuid4().hex}"}}
        scopes = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
        rates = {scope: (rate if scope == "user" else OUT_OF_REACH) for scope in scopes}
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": rates}

    return set_rate


@pytest.fixture
def clock(monkeypatch):
    now = [1_000_000.0]
    monkeypatch.setattr(_OneRoundTrip, "timer", lambda self: now[0])
    monkeypatch.setattr(throttling.SimpleRateThrottle, "timer", lambda self: now[0])
    return now


def test_a_signed_in_request_costs_one_redis_round_trip(api, scheduler, user_rate, monkeypatch):
    # given
    user_rate("100/min")
    commands: list[str] = []
    original = redis.Redis.execute_command

    def counting(self, *args, **options):
        commands.append(str(args[0]))
        return original(self, *args, **options)

    monkeypatch.setattr(redis.Redis, "execute_command", counting)

    # when
    response = api(scheduler).get("/api/v1/me/")

    # then one EVALSHA counted it (a first call may load the script once)
    assert response.status_code == 200
    assert [c for c in commands if c not in ("SCRIPT LOAD", "EVAL")] == ["EVALSHA"]


def test_the_limit_the_window_and_retry_after_are_drfs(api, scheduler, user_rate, clock):
    # given three requests a minute, sent at 0, 1 and 2 seconds
    user_rate("3/min")
    client = api(scheduler)
    start = clock[0]
    answers = []
    for offset in (0, 1, 2):
        clock[0] = start + offset
        answers.append(client.get("/api/v1/me/").status_code)

    # when a fourth comes at 10 s, then again at 30 s, then once the first has left the window
    clock[0] = start + 10
    refused = client.get("/api/v1/me/")
    clock[0] = start + 30
    refused_again = client.get("/api/v1/me/")
    clock[0] = start + 60.5
    after = client.get("/api/v1/me/")

    # then: DRF's wait() is (60 - (now - oldest)) / 1; a refusal is not counted
    assert answers == [200, 200, 200]
    assert (refused.status_code, refused["Retry-After"]) == (429, "50")
    assert (refused_again.status_code, refused_again["Retry-After"]) == (429, "30")
    assert after.status_code == 200


def test_the_same_sequence_through_drfs_own_code_decides_the_same(scheduler, user_rate, clock, settings, rf):
    # given the user limit at 2 a second, requests at these times
    user_rate("2/s")
    times = [0.0, 0.2, 0.4, 0.9, 1.0, 1.1, 1.3, 2.5, 2.6, 2.7]

    def decisions(throttle_class, cache=None):
        out = []
        for t in times:
            clock[0] = 1_000_000.0 + t
            request = rf.get("/api/v1/me/")
            request.user = scheduler.user
            throttle = throttle_class()
            if cache is not None:
                throttle.cache = cache
            allowed = throttle.allow_request(request, None)
            out.append((allowed, None if allowed else round(throttle.wait(), 6)))
        return out

    class DrfUserThrottle(throttling.UserRateThrottle):
        THROTTLE_RATES = {"user": "2/s"}

    settings.CACHES = {**settings.CACHES, "drf": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

    # when the same times go through ours (Redis, one script) and DRF's (its cache, its list)
    ours = decisions(UserThrottle)
    theirs = decisions(DrfUserThrottle, caches["drf"])

    # then every decision and every wait is the same
    assert ours == theirs
    assert [allowed for allowed, _ in ours] == [True, True, False, False, True, False, True, True, True, False]


def test_a_count_left_by_drfs_own_throttle_under_the_same_name_breaks_nothing(api, scheduler, user_rate):
    # given DRF's pickled list under the plain key, as a process of the previous release leaves it
    user_rate("2/min")
    caches["default"].set(f"throttle_user_{scheduler.user.pk}", [1.0, 2.0], 60)
    client = api(scheduler)

    # when the user sends three requests
    answers = [client.get("/api/v1/me/").status_code for _ in range(3)]

    # then the count is ours, in a key of its own, and the old value is left as it was
    assert answers == [200, 200, 429]
    assert caches["default"].get(f"throttle_user_{scheduler.user.pk}") == [1.0, 2.0]
