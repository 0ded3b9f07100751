"""Per-app load context: request bodies and pools of single-use ids, for the apps on this branch.

Each extender takes the context dict and the bench clinic and adds what its scenarios need; an app
that is not there yet adds nothing, and its scenarios report "not available".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

EXTENDERS: list[Callable[[dict, object], None]] = []


def extender(fn: Callable[[dict, object], None]) -> Callable[[dict, object], None]:
    EXTENDERS.append(fn)
    return fn


@extender
def vitals(ctx: dict, clinic) -> None:
    """A manual reading as a nurse enters it, within normal limits (no alert), on a current session."""
    from bench.copyutil import model_or_none

    if model_or_none("monitoring.VitalSign") is None:
        return
    path = ctx["paths"].get("vitals_write", "")
    body = {
        "measured_at": "{now}",
        "systolic_mmhg": "{i%112:134}",
        "diastolic_mmhg": "{i%66:84}",
        "heart_rate_bpm": "{i%62:92}",
        "spo2_percent": "{i%95:99}",
        "source": "manual",
    }
    if "{session}" not in path:
        body["session"] = "{session}"
    ctx["vitals_body"] = body


@extender
def booking_pool(ctx: dict, clinic) -> None:
    """Unbooked KAT enrollments (every planned session still to book), round-robin over clinics so
    concurrent bookings mostly land in different clinics, as they would across a network."""
    from bench.copyutil import model_or_none

    Enrollment = model_or_none("programs.Enrollment")
    if Enrollment is None:
        return
    rows = (
        Enrollment.objects.filter(status="active", template__catalog_key="ketamine_assisted_therapy")
        .exclude(planned_sessions__status__in=["booked", "completed", "cancelled"])
        .order_by("id")
        .values_list("id", "clinic_id")
    )
    by_clinic: dict[int, list[int]] = {}
    for enrollment_id, clinic_id in rows:
        by_clinic.setdefault(clinic_id, []).append(enrollment_id)
    queues = list(by_clinic.values())
    pool: list[int] = []
    while any(queues):
        for q in queues:
            if q:
                pool.append(q.pop(0))
    ctx["booking_enrollments"] = pool
    # Book from the day after the dataset's "today", within the endpoint's default 8-week horizon.
    anchor = dt.date.fromisoformat(ctx["anchor"])
    ctx["booking_body"] = {
        "enrollment": "{enrollment}",
        "date_from": (anchor + dt.timedelta(days=1)).isoformat(),
        "horizon_days": 56,
        "preview": False,
    }


@extender
def search(ctx: dict, clinic) -> None:
    """Search body for a KAT dosing block: therapist for the whole block, a nurse lane, a prescriber."""
    if "availability" not in ctx["paths"]:
        return
    ctx["search_body"] = {
        "clinic": ctx["clinic_id"],
        "patient": "{patient}",
        "kind": "dosing",
        "session_minutes": 150,
        "block_minutes": 180,
        "needs": [
            {"role": "therapist", "mode": "exclusive"},
            {"role": "nurse", "mode": "shared"},
            {"role": "prescriber", "mode": "present"},
        ],
        "room_kind": "treatment_room",
        "room_capability": "monitored",
        "date_from": "{date_from}",
        "date_to": "{date_to}",
        "limit": 10,
    }
