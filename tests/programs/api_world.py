"""What the API-wide fuzz test (tests/security/test_api_fuzz.py) needs to know about programs.

Each clinic gets a draft template of its own (the one path ids name: drafts are what updates need),
a published one, and an active enrollment in it. Operations that change a template's or an
enrollment's state get, for every example, a fresh object in the state they start from.
"""

from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from typing import Any

from kat_clinic.models import Clinic
from programs import services
from programs.models import Enrollment, ProgramTemplate
from tests.factories import PatientFactory
from tests.programs.factories import small_kat_spec
from tests.security.world import ApiWorld, World


def _template(clinic: Clinic, *, state: str = ProgramTemplate.State.DRAFT) -> ProgramTemplate:
    template = services.template_create(organization=clinic.organization, clinic=clinic, by=None, **small_kat_spec())
    if state in (ProgramTemplate.State.PUBLISHED, ProgramTemplate.State.RETIRED):
        template = services.template_publish(template=template, by=None)
    if state == ProgramTemplate.State.RETIRED:
        template = services.template_retire(template=template, by=None)
    return template


def _enrollment(world: World, *, status: str = Enrollment.Status.ACTIVE) -> Enrollment:
    """A new patient's enrollment, so the one-open-enrollment-per-pathway rule is never what is hit."""
    patient = PatientFactory(home_clinic=world.clinic)
    enrollment = services.enrollment_create(patient=patient, template=world.objects["published_template"], by=None)
    if status == Enrollment.Status.PAUSED:
        enrollment = services.enrollment_pause(enrollment=enrollment, by=None, reason="Travelling")
    return enrollment


def seed(world: World, clinic: Clinic, ids: dict[str, int]) -> None:
    draft = _template(clinic)
    published = _template(clinic, state=ProgramTemplate.State.PUBLISHED)
    patient = PatientFactory(home_clinic=clinic)
    enrollment = services.enrollment_create(patient=patient, template=published, by=None)
    ids.update({"program-templates": draft.pk, "enrollments": enrollment.pk})
    if clinic == world.clinic:
        world.objects.update(draft_template=draft, published_template=published, enrollment=enrollment)


def _jsonable(value: Any) -> Any:
    """A spec as a client sends it: decimals as strings, durations in ISO 8601."""

    def default(obj):
        if isinstance(obj, Decimal):
            return str(obj)
        if isinstance(obj, dt.timedelta):
            return f"P{obj.days}DT{obj.seconds}S"
        raise TypeError(obj)

    return json.loads(json.dumps(value, default=default))


def _template_body(world: World, role: str) -> dict[str, Any]:
    return {**_jsonable(small_kat_spec()), "description": "", "clinic": world.clinic.pk}


def _fresh_template(state: str):
    return lambda world, role: {"id": _template(world.clinic, state=state).pk}


def _fresh_enrollment(status: str):
    return lambda world, role: {"id": _enrollment(world, status=status).pk}


def _new_patient_enrollment(world: World, role: str) -> dict[str, Any]:
    return {"patient": PatientFactory(home_clinic=world.clinic).pk, "template": world.objects["published_template"].pk}


DRAFT, PUBLISHED = ProgramTemplate.State.DRAFT, ProgramTemplate.State.PUBLISHED
ACTIVE, PAUSED = Enrollment.Status.ACTIVE, Enrollment.Status.PAUSED

API_WORLD = ApiWorld(
    seed=seed,
    field_resources={"template": "program-templates", "enrollment": "enrollments"},
    fresh_paths={
        ("POST", "/api/v1/program-templates/{id}/publish/"): _fresh_template(DRAFT),
        ("POST", "/api/v1/program-templates/{id}/retire/"): _fresh_template(PUBLISHED),
        ("DELETE", "/api/v1/program-templates/{id}/"): _fresh_template(DRAFT),
        ("PUT", "/api/v1/program-templates/{id}/"): _fresh_template(DRAFT),
        ("PATCH", "/api/v1/program-templates/{id}/"): _fresh_template(DRAFT),
        ("POST", "/api/v1/enrollments/{id}/pause/"): _fresh_enrollment(ACTIVE),
        ("POST", "/api/v1/enrollments/{id}/resume/"): _fresh_enrollment(PAUSED),
        ("POST", "/api/v1/enrollments/{id}/complete/"): _fresh_enrollment(ACTIVE),
        ("POST", "/api/v1/enrollments/{id}/withdraw/"): _fresh_enrollment(ACTIVE),
    },
    body_bases={
        ("POST", "/api/v1/program-templates/"): _template_body,
        ("PUT", "/api/v1/program-templates/{id}/"): _template_body,
        # A generated partial body is mostly nested lists of random steps and rules, refused (400)
        # as it should be; how many of six pass then depends on the seed. PUT sends the nested spec.
        ("PATCH", "/api/v1/program-templates/{id}/"): lambda world, role: {"name": "Renamed", "description": ""},
        ("POST", "/api/v1/enrollments/"): _new_patient_enrollment,
    },
)
