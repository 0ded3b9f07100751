"""What the API-wide fuzz test (tests/security/test_api_fuzz.py) needs to know about follow-ups.

Each clinic gets a follow-up. Follow-ups are seen by whom they are addressed to, so reading and
acknowledging one names, for each role, an alert addressed to that role's staff member.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.utils import timezone

from followups.models import FollowUp
from kat_clinic.models import Clinic
from programs.models import Enrollment
from tests.security.world import ApiWorld, World

_keys = itertools.count(1)


def _alert(clinic: Clinic, staff_id: int) -> FollowUp:
    """An in-app alert addressed to one staff member, due now."""
    return FollowUp.objects.create(
        clinic=clinic,
        kind=FollowUp.Kind.NO_SHOW_REVIEW,
        channel=FollowUp.Channel.IN_APP,
        target=FollowUp.Target.STAFF,
        staff_id=staff_id,
        idempotency_key=f"fuzz:alert:{next(_keys)}",
        due_at=timezone.now() - dt.timedelta(minutes=1),
    )


def seed(world: World, clinic: Clinic, ids: dict[str, int]) -> None:
    patient = Enrollment.objects.get(pk=ids["enrollments"]).patient
    reminder = FollowUp.objects.create(
        clinic=clinic,
        kind=FollowUp.Kind.SESSION_REMINDER,
        channel=FollowUp.Channel.SMS,
        target=FollowUp.Target.PATIENT,
        patient=patient,
        idempotency_key=f"fuzz:reminder:{next(_keys)}",
        due_at=timezone.now() + dt.timedelta(days=1),
    )
    ids["followups"] = reminder.pk
    if clinic == world.clinic:
        world.objects["alerts"] = {role: _alert(clinic, staff.pk).pk for role, staff in world.staff.items()}


def _own_alert(world: World, role: str) -> dict[str, Any]:
    return {"id": world.objects["alerts"][role]}


def _fresh_alert(world: World, role: str) -> dict[str, Any]:
    return {"id": _alert(world.clinic, world.staff[role].pk).pk}


API_WORLD = ApiWorld(
    seed=seed,
    # The queue's `alert` filter names a clinical alert (charting's, seeded by tests/monitoring).
    field_resources={"followup": "followups", "alert": "alerts"},
    fresh_paths={
        ("GET", "/api/v1/followups/{id}/"): _own_alert,
        ("POST", "/api/v1/followups/{id}/acknowledge/"): _fresh_alert,
    },
    ratio_exempt={
        ("POST", "/api/v1/sms/inbound/"): "the gateway proves itself with a shared secret a generator cannot know",
    },
)
