"""Operational tasks of the clinic app."""

from __future__ import annotations

import redis
from celery import shared_task
from django.conf import settings

ROUNDTRIP_TTL_SECONDS = 300


@shared_task(name="kat_clinic.broker_roundtrip", ignore_result=True)
def broker_roundtrip(marker: str) -> None:
    """Prove a worker consumes from the broker: record the marker in Redis, outside any database.

    The test suite sends one and waits for it, to show that `delay_on_commit` publishes only
    after commit.
    """
    client = redis.Redis.from_url(settings.REDIS_URL)
    client.set(f"kat_clinic:roundtrip:{marker}", "1", ex=ROUNDTRIP_TTL_SECONDS)


def roundtrip_seen(marker: str) -> bool:
    client = redis.Redis.from_url(settings.REDIS_URL)
    return bool(client.exists(f"kat_clinic:roundtrip:{marker}"))


@shared_task(name="kat_clinic.audit_seal", ignore_result=True)
def audit_seal() -> int:
    """Seal settled audit rows into their clinics' hash chains (periodic, django-celery-beat)."""
    from kat_clinic.audit.chain import audit_seal as seal

    return seal()
