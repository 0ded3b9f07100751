"""The rate limits count in Redis in one round trip, with DRF's sliding window and Retry-After."""

from __future__ import annotations

import threading
import uuid

import pytest
import redis
import redis.connection
from django.core.cache import caches
from rest_framework import throttling

from kat_clinic.api.throttling import UserThrottle, _connection, _OneRoundTrip

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
    # given a user who has sent a request already (the connection is open, the script known)
    user_rate("100/min")
    client = api(scheduler)
    assert client.get("/api/v1/me/").status_code == 200
    commands: list[str] = []
    original = redis.connection.AbstractConnection.send_command

    def counting(self, *args, **options):
        commands.append(str(args[0]))
        return original(self, *args, **options)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_command", counting)

    # when the next comes
    response = client.get("/api/v1/me/")

    # then one command went to Redis: the EVALSHA that counted it
    assert response.status_code == 200
    assert commands == ["EVALSHA"]


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


def test_a_redis_that_forgot_the_script_still_counts_each_request_once(api, scheduler, user_rate):
    # given two requests a minute, and one already counted
    user_rate("2/min")
    client = api(scheduler)
    first = client.get("/api/v1/me/").status_code

    # when Redis forgets its scripts (a restart, SCRIPT FLUSH) before the next two
    redis.Redis.from_url(settings_cache_location()).script_flush()
    answers = [client.get("/api/v1/me/").status_code for _ in range(2)]

    # then the script is sent again and the count went on where it was
    assert [first, *answers] == [200, 200, 429]


def test_a_connection_redis_closed_is_replaced_and_the_request_counted_once(api, scheduler, user_rate):
    # given two requests a minute, one counted, and the throttle's own connection then closed by Redis
    user_rate("2/min")
    client = api(scheduler)
    first = client.get("/api/v1/me/").status_code
    connection = _connection.connection
    connection.send_command("CLIENT", "ID")
    connection_id = connection.read_response()
    killed = redis.Redis.from_url(settings_cache_location()).client_kill_filter(_id=connection_id)

    # when two more requests come
    answers = [client.get("/api/v1/me/").status_code for _ in range(2)]

    # then the next count went through a new connection, counted once (else the second would be
    # its third) and the one after it is refused
    assert killed == 1
    assert _connection.connection is not connection
    assert [first, *answers] == [200, 200, 429]


def test_each_thread_counts_on_a_connection_of_its_own():
    # given the cache's backend
    backend = caches["default"]
    mine = _connection.get(backend)

    # when another thread asks for its connection
    theirs: list = []
    thread = threading.Thread(target=lambda: theirs.append(_connection.get(backend)))
    thread.start()
    thread.join()

    # then it is another connection, and this thread keeps its own
    assert theirs[0] is not mine
    assert _connection.get(backend) is mine


def settings_cache_location() -> str:
    from django.conf import settings

    return settings.CACHES["default"]["LOCATION"]
