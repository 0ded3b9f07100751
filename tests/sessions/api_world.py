"""Scheduling's part of the API-wide world (tests/security/world.py): a booked session per clinic,
fresh sessions in the state each action needs, and the operations a generated body cannot satisfy."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from programs.choices import SessionKind
from sessions.models import Session
from tests.factories import PatientFactory, RoomFactory
from tests.security.world import ApiWorld


def _session(clinic, *, patient_id=None, room_id=None, status=Session.Status.SCHEDULED, starts_in=dt.timedelta(days=7)):
    start = (timezone.now() + starts_in).replace(second=0, microsecond=0)
    return Session.objects.create(
        clinic=clinic,
        patient_id=patient_id or PatientFactory(home_clinic=clinic).pk,
        kind=SessionKind.CHECK_IN,
        status=status,
        room_id=room_id or RoomFactory(clinic=clinic).pk,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=30),
        block_starts_at=start,
        block_ends_at=start + dt.timedelta(minutes=60),
    )


def seed_sessions(world, clinic, ids: dict[str, int]) -> None:
    ids["sessions"] = _session(clinic, patient_id=ids["patients"], room_id=ids["rooms"]).pk


def _fresh(**kwargs):
    # A new patient and room each time: fresh sessions never clash with one another.
    return lambda world, role: {"id": _session(world.clinic, **kwargs).pk}


API_WORLD = ApiWorld(
    seed=seed_sessions,
    fresh_paths={
        ("POST", "/api/sessions/{id}/check-in/"): _fresh(),
        ("POST", "/api/sessions/{id}/cancel/"): _fresh(),
        ("POST", "/api/sessions/{id}/start/"): _fresh(status=Session.Status.CHECKED_IN),
        ("POST", "/api/sessions/{id}/no-show/"): _fresh(starts_in=-dt.timedelta(hours=1)),
    },
    body_bases={
        ("POST", "/api/sessions/{id}/cancel/"): lambda world, role: {"reason": "The patient asked to move it."},
    },
    ratio_exempt={
        ("POST", "/api/sessions/"): "needs a bookable time, staff working then and a free room",
        ("POST", "/api/sessions/book-planned/"): "needs an enrollment's planned session and a bookable time",
        ("POST", "/api/sessions/reschedule-together/"): "needs sessions of one patient and bookable times",
        ("POST", "/api/sessions/{id}/reschedule/"): "needs a bookable time",
        ("POST", "/api/sessions/{id}/complete/"): "needs a session in progress whose discharge criteria are met",
        ("POST", "/api/scheduling/search/"): "needs a consistent date range and session shape",
        ("POST", "/api/scheduling/program-booking/"): "needs an active enrollment with sessions to book",
    },
)
