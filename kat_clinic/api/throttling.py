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
"""

from __future__ import annotations

from django.conf import settings
from rest_framework import throttling

from kat_clinic.audit.middleware import client_ip


class _Configured:
    @property
    def THROTTLE_RATES(self) -> dict[str, str | None]:  # noqa: N802 - the name DRF reads
        return settings.REST_FRAMEWORK.get("DEFAULT_THROTTLE_RATES", {})

    def get_ident(self, request) -> str:
        return client_ip(request) or "unknown"


class AnonymousThrottle(_Configured, throttling.AnonRateThrottle):
    scope = "anon"


class UserThrottle(_Configured, throttling.UserRateThrottle):
    scope = "user"

    def get_cache_key(self, request, view):
        if not (request.user and request.user.is_authenticated):
            return None  # the anonymous throttle counts these
        return super().get_cache_key(request, view)


class EndpointThrottle(_Configured, throttling.ScopedRateThrottle):
    pass
