"""System checks of the project's own settings (`manage.py check --deploy`)."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register(Tags.security, deploy=True)
def secret_key_is_not_the_development_key(app_configs, **kwargs):
    if settings.SECRET_KEY == settings.DEVELOPMENT_SECRET_KEY:
        return [
            Error(
                "SECRET_KEY is the development key written in the settings.",
                hint="Set SECRET_KEY to a long random value; anything signed with the development key can be forged.",
                id="kat_clinic.E001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def rate_limits_are_counted_in_a_shared_cache(app_configs, **kwargs):
    backend = settings.CACHES["default"]["BACKEND"]
    if backend.endswith("LocMemCache") or backend.endswith("DummyCache"):
        return [
            Warning(
                "The cache is kept in each process's memory, so rate limits are counted per process.",
                hint="Set CACHE_URL (or REDIS_URL) to the Redis every web process shares.",
                id="kat_clinic.W002",
            )
        ]
    return []
