"""Seeds one booked session per clinic for the API-wide tests (tests/security/world.py)."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from programs.choices import SessionKind
from sessions.models import Session


def seed_sessions(world, clinic, ids: dict[str, int]) -> None:
    start = (timezone.now() + dt.timedelta(days=7)).replace(minute=0, second=0, microsecond=0)
    session = Session.objects.create(
        clinic=clinic,
        patient_id=ids["patients"],
        kind=SessionKind.CHECK_IN,
        room_id=ids["rooms"],
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=30),
        block_starts_at=start,
        block_ends_at=start + dt.timedelta(minutes=60),
    )
    ids["sessions"] = session.pk
