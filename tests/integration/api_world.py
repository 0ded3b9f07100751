"""What the API-wide fuzz test (tests/security/test_api_fuzz.py) needs to know about integration.

Each clinic gets a follow-up, a check-in, an integration plan and an on-call list. Follow-ups are
seen by whom they are addressed to, so reading and acknowledging one names, for each role, an alert
addressed to that role's staff member. Check-in links are signed per example.
"""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from django.utils import timezone

from integration import services
from integration.links import checkin_token
from integration.models import CheckIn, FollowUp
from kat_clinic.models import Clinic
from kat_clinic.roles import Role
from programs.models import Enrollment
from tests.factories import PatientFactory
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
    enrollment = Enrollment.objects.get(pk=ids["enrollments"])
    patient = enrollment.patient
    reminder = FollowUp.objects.create(
        clinic=clinic,
        kind=FollowUp.Kind.SESSION_REMINDER,
        channel=FollowUp.Channel.SMS,
        target=FollowUp.Target.PATIENT,
        patient=patient,
        idempotency_key=f"fuzz:reminder:{next(_keys)}",
        due_at=timezone.now() + dt.timedelta(days=1),
    )
    checkin = CheckIn.objects.create(patient=patient, clinic=clinic, mood_0_10=6, note="Sleeping better.")
    plan = services.integration_plan_update(enrollment=enrollment, by=None, themes=["grief"], goals=["Walk daily"])
    ids.update({"followups": reminder.pk, "patient-checkins": checkin.pk, "integration-plans": plan.pk})
    if clinic == world.clinic:
        clinicians = [world.staff[Role.NURSE].pk, world.staff[Role.PRESCRIBER].pk, world.staff[Role.THERAPIST].pk]
        services.oncall_set(clinic_id=clinic.pk, staff_ids=clinicians)
        world.objects.update(
            checkin_patient=PatientFactory(home_clinic=clinic),
            integration_enrollment=enrollment,
            alerts={role: _alert(clinic, staff.pk).pk for role, staff in world.staff.items()},
        )


def _own_alert(world: World, role: str) -> dict[str, Any]:
    return {"id": world.objects["alerts"][role]}


def _fresh_alert(world: World, role: str) -> dict[str, Any]:
    return {"id": _alert(world.clinic, world.staff[role].pk).pk}


def _checkin_link(world: World) -> dict[str, Any]:
    patient = world.objects["checkin_patient"]
    return {"patient_id": patient.pk, "token": checkin_token(patient_id=patient.pk, clinic_id=world.clinic.pk)}


def _plan_body(world: World, role: str) -> dict[str, Any]:
    return {
        "enrollment": world.objects["integration_enrollment"].pk,
        "themes": ["grief", "work"],
        "goals": ["Walk daily"],
        "practices": ["Breathing, 10 minutes"],
        "homework": "Journal twice a week.",
    }


def _oncall_body(world: World, role: str) -> dict[str, Any]:
    return {"clinic": world.clinic.pk, "staff": [world.staff[Role.PRESCRIBER].pk, world.staff[Role.NURSE].pk]}


API_WORLD = ApiWorld(
    seed=seed,
    field_resources={"followup": "followups"},
    fresh_paths={
        ("GET", "/api/v1/followups/{id}/"): _own_alert,
        ("POST", "/api/v1/followups/{id}/acknowledge/"): _fresh_alert,
    },
    body_bases={
        ("POST", "/api/v1/integration-plans/"): _plan_body,
        ("POST", "/api/v1/on-call/replace/"): _oncall_body,
    },
    public_paths={
        ("GET", "/api/v1/checkins/{patient_id}/{token}/"): _checkin_link,
        ("POST", "/api/v1/checkins/{patient_id}/{token}/"): _checkin_link,
    },
    ratio_exempt={
        ("POST", "/api/v1/sms/inbound/"): "the gateway proves itself with a shared secret a generator cannot know",
    },
)
