"""Rate limits (DRF throttles) counted in the shared cache (Redis), so every web process sees one count.

Three throttles run on every API view (`DEFAULT_THROTTLE_CLASSES`):
- `AnonymousThrottle` ("anon"): requests without a user, per client address;
- `UserThrottle` ("user"): requests of a signed-in user, per user, whatever their address;
- `EndpointThrottle`: the view's own `throttle_scope` ("login", "checkin", "sms_inbound",
  "schema"), per user or, without one, per address. A view without a scope has only the two above.

Rates are `REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]`, read at each request (so a test or a settings
change takes effect at once). The client address is `client_ip()`, the audit trail's and the login
lockout's, which trusts X-Forwarded-For only behind TRUSTED_PROXY_COUNT proxies. A refusal is a 429
problem with Retry-After (kat_clinic/api/exceptions.py).

With Redis as the cache, each count is one round trip: a Lua script keeps DRF's sliding window (a
list of request times, newest first; times a window old or older dropped; refused at the limit,
else the time added) on the server, where DRF reads the pickled list and writes it back (two round
trips, and two requests at once could both read the old list). A refusal carries what DRF's
`wait()` needs, so Retry-After is computed exactly as before. Any other cache keeps DRF's own code.
"""

from __future__ import annotations

import hashlib
import os
import threading
import weakref

from django.conf import settings
from django.core.cache import DEFAULT_CACHE_ALIAS, caches
from django.core.cache.backends.redis import RedisCache
from redis import exceptions as redis_errors
from rest_framework import throttling

from kat_clinic.audit.middleware import client_ip


class _Configured:
    @property
    def THROTTLE_RATES(self) -> dict[str, str | None]:  # noqa: N802 - the name DRF reads
        return settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {})

    def get_ident(self, request) -> str:
        return client_ip(request) or "unknown"


# KEYS[1]: the count's key; ARGV: now, window (s), limit. Returns {allowed, count, oldest time}.
SLIDING_WINDOW = """
local key = KEYS[1]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
while true do
  local oldest = redis.call('LINDEX', key, -1)
  if not oldest or tonumber(oldest) > now - window then break end
  redis.call('RPOP', key)
end
local count = redis.call('LLEN', key)
if count >= limit then
  return {0, count, redis.call('LINDEX', key, -1) or ARGV[1]}
end
redis.call('LPUSH', key, ARGV[1])
redis.call('EXPIRE', key, math.ceil(window))
return {1, count + 1, redis.call('LINDEX', key, -1)}
"""
WINDOW_KEY_SUFFIX = ":window"
_SCRIPT_SHA = hashlib.sha1(SLIDING_WINDOW.encode()).hexdigest()  # noqa: S324 - Redis names scripts by it


class _Connection(threading.local):
    """This thread's own connection to the cache's Redis, made from the cache's write pool and kept.

    Each count is one EVALSHA written and read on it directly: through a client (the pool's
    checkout, its readiness poll, retries and reply callbacks) the count cost several times its
    round trip, on every request. A connection is never shared between threads or inherited
    across a fork; one that failed is dropped, so no reply is ever read by the wrong count."""

    pool = None  # a weak reference: a pool dropped with its thread's cache is not kept alive here
    pid = 0
    connection = None

    def get(self, backend: RedisCache):
        pool = backend._cache._get_connection_pool(True)
        if self.connection is None or self.pool() is not pool or self.pid != os.getpid():
            self.drop()  # (another pool's: the cache was configured anew)
            self.pool, self.pid = weakref.ref(pool), os.getpid()
            self.connection = pool.connection_class(**pool.connection_kwargs)
        return self.connection

    def drop(self) -> None:
        if self.connection is not None and self.pid == os.getpid():
            self.connection.disconnect()
        self.connection = None


_connection = _Connection()


def _command(connection, *args):
    connection.send_command(*args)
    return connection.read_response()


def _count(backend: RedisCache, key: str, now: float, duration: float, limit: int):
    """The sliding window's script run for `key`: (allowed, count, oldest time). A connection that
    fails is dropped and the count is tried once more on a new one; a second failure raises."""
    args = (1, key, repr(now), duration, limit)
    for attempt in (1, 2):
        connection = _connection.get(backend)
        try:
            try:
                return _command(connection, "EVALSHA", _SCRIPT_SHA, *args)
            except redis_errors.NoScriptError:  # this Redis has not seen the script yet (or was flushed)
                return _command(connection, "EVAL", SLIDING_WINDOW, *args)
        except (redis_errors.ConnectionError, redis_errors.TimeoutError, OSError):
            _connection.drop()
            if attempt == 2:
                raise
        except BaseException:
            _connection.drop()  # whatever was left unread must not answer the next count
            raise
    raise AssertionError("unreachable")


class _OneRoundTrip(throttling.SimpleRateThrottle):
    """DRF's SimpleRateThrottle.allow_request, counted by one Lua script when the cache is Redis."""

    def allow_request(self, request, view):
        backend = caches[DEFAULT_CACHE_ALIAS]
        if self.rate is None or not isinstance(backend, RedisCache):
            return super().allow_request(request, view)
        self.key = self.get_cache_key(request, view)
        if self.key is None:
            return True
        # A key of its own: DRF's pickled list under the plain key (written by a process of the
        # previous release during a rolling deploy, or still in Redis after it) is another type.
        key = backend.make_and_validate_key(f"{self.key}{WINDOW_KEY_SUFFIX}")
        self.now = self.timer()
        allowed, count, oldest = _count(backend, key, self.now, self.duration, self.num_requests)
        if allowed:
            return True
        # What DRF's wait() reads: how many requests the window holds, and the oldest one's time.
        self.history = [self.now] * (int(count) - 1) + [float(oldest)]
        return self.throttle_failure()


class AnonymousThrottle(_Configured, throttling.AnonRateThrottle, _OneRoundTrip):
    scope = "anon"


class UserThrottle(_Configured, throttling.UserRateThrottle, _OneRoundTrip):
    scope = "user"

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None  # the anonymous throttle counts these
        return super().get_cache_key(request, view)


class EndpointThrottle(_Configured, throttling.ScopedRateThrottle, _OneRoundTrip):
    pass
