"""What the API-wide fuzz test (tests/security/test_api_fuzz.py) needs to know about integration care.

Each clinic gets a check-in, an integration plan and an on-call list. Check-in links are signed
per example.
"""

from __future__ import annotations

from typing import Any

from integration import services
from integration.links import checkin_token
from integration.models import CheckIn
from kat_clinic.models import Clinic
from kat_clinic.roles import Role
from programs.models import Enrollment
from tests.factories import PatientFactory
from tests.security.world import ApiWorld, World


def seed(world: World, clinic: Clinic, ids: dict[str, int]) -> None:
    enrollment = Enrollment.objects.get(pk=ids["enrollments"])
    patient = enrollment.patient
    checkin = CheckIn.objects.create(patient=patient, clinic=clinic, mood_0_10=6, note="Sleeping better.")
    plan = services.integration_plan_update(enrollment=enrollment, by=None, themes=["grief"], goals=["Walk daily"])
    ids.update({"patient-checkins": checkin.pk, "integration-plans": plan.pk})
    if clinic == world.clinic:
        clinicians = [world.staff[Role.NURSE].pk, world.staff[Role.PRESCRIBER].pk, world.staff[Role.THERAPIST].pk]
        services.oncall_set(clinic_id=clinic.pk, staff_ids=clinicians)
        world.objects.update(checkin_patient=PatientFactory(home_clinic=clinic), integration_enrollment=enrollment)


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
    body_bases={
        ("POST", "/api/v1/integration-plans/"): _plan_body,
        ("POST", "/api/v1/on-call/replace/"): _oncall_body,
    },
    public_paths={
        ("GET", "/api/v1/checkins/{patient_id}/{token}/"): _checkin_link,
        ("POST", "/api/v1/checkins/{patient_id}/{token}/"): _checkin_link,
    },
)
