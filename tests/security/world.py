"""A small seeded clinic for API-wide tests (schemathesis, isolation): one object of each resource.

`seed_world()` returns a World whose `ids` maps a path parameter's resource (the URL segment that
precedes it, e.g. "patients") to a seeded object of the caller's clinic, and `other_ids` the same
for another clinic. Each app contributes in `tests/<app>/api_world.py` an `API_WORLD = ApiWorld(...)`:
what it seeds, which body/query fields name its objects, fresh path parameters for operations
that change state (so every example starts from the same state), valid base bodies, and the
operations exempt from the 2xx ratio with the reason.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone
from knox.models import AuthToken

from kat_clinic.models import Clinic, StaffMember
from kat_clinic.roles import Role
from tests.factories import (
    ClinicFactory,
    OrganizationFactory,
    PatientFactory,
    RoomFactory,
    StaffFactory,
    WeightFactory,
)

Operation = tuple[str, str]  # ("POST", "/api/v1/enrollments/{id}/pause/")


@dataclass
class World:
    clinic: Clinic
    other_clinic: Clinic
    staff: dict[str, StaffMember] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)
    other_ids: dict[str, int] = field(default_factory=dict)
    objects: dict[str, Any] = field(default_factory=dict)


@dataclass
class ApiWorld:
    # seed(world, clinic, ids): create this app's objects for one clinic, record their ids by URL segment
    seed: Callable[[World, Clinic, dict[str, int]], None] | None = None
    # body or query field name -> URL segment of the resource it names
    field_resources: dict[str, str] = field(default_factory=dict)
    # operation -> (world, role) -> path parameters of an object in the state the operation needs
    fresh_paths: dict[Operation, Callable[[World, str], dict[str, Any]]] = field(default_factory=dict)
    # operation -> (world, role) -> a valid body; generated scalar values of the keys in `free_fields` are kept
    body_bases: dict[Operation, Callable[[World, str], dict[str, Any]]] = field(default_factory=dict)
    free_fields: frozenset[str] = frozenset({"name", "description", "reason", "notes", "text", "comment"})
    # operation -> why a generated request cannot be expected to succeed half the time
    ratio_exempt: dict[Operation, str] = field(default_factory=dict)
    # public operations (no role): (world) -> path parameters for a valid request
    public_paths: dict[Operation, Callable[[World], dict[str, Any]]] = field(default_factory=dict)


def _seed_clinic_resources(world: World, clinic: Clinic, ids: dict[str, int]) -> None:
    patient = PatientFactory(home_clinic=clinic)
    WeightFactory(patient=patient, measured_at=timezone.now() - dt.timedelta(days=1))
    room = RoomFactory(clinic=clinic)
    ids.update(clinics=clinic.pk, patients=patient.pk, rooms=room.pk)
    if clinic == world.clinic:
        world.objects.update(patient=patient, room=room)
        ids["staff"] = world.staff[Role.NURSE].pk
    else:
        ids["staff"] = StaffFactory(organization=clinic.organization, roles=[Role.NURSE], roles__clinic=clinic).pk


CLINIC_WORLD = ApiWorld(
    seed=_seed_clinic_resources,
    field_resources={
        "patient": "patients",
        "home_clinic": "clinics",
        "clinic": "clinics",
        "room": "rooms",
        "staff": "staff",
    },
    # A time zone is a patterned string, not an enum: a generated one is rarely a real IANA name.
    body_bases={
        ("PUT", "/api/v1/clinics/{id}/"): lambda world, role: {
            "name": "World",
            "timezone": "America/New_York",
            "nurse_shared_capacity": 2,
        },
    },
    ratio_exempt={
        ("POST", "/api/v1/break-glass/"): "needs a patient outside the caller's clinics",
        ("POST", "/api/v1/auth/logout/"): "revokes the token the next examples would use",
    },
)

APP_WORLD_MODULES = (
    "tests.programs.api_world",
    "tests.sessions.api_world",
    "tests.monitoring.api_world",
    "tests.integration_care.api_world",
    "tests.followups.api_world",
    "tests.controlled.api_world",
    "tests.interop.api_world",
)


def api_worlds() -> list[ApiWorld]:
    worlds = [CLINIC_WORLD]
    for name in APP_WORLD_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if not (exc.name and name.startswith(exc.name)):
                raise
            continue
        worlds.append(module.API_WORLD)
    return worlds


def merged(attribute: str) -> dict:
    result: dict = {}
    for world in api_worlds():
        result.update(getattr(world, attribute))
    return result


def seed_world() -> World:
    organization = OrganizationFactory()
    clinic = ClinicFactory(organization=organization, name="World", slug="world")
    other = ClinicFactory(organization=organization, name="Elsewhere", slug="elsewhere")
    world = World(clinic=clinic, other_clinic=other)
    for role in Role:
        staff = StaffFactory(organization=organization, roles=[role], roles__clinic=clinic)
        world.staff[role] = staff
        world.tokens[role] = AuthToken.objects.create(user=staff.user)[1]
    for app_world in api_worlds():
        if app_world.seed is not None:
            app_world.seed(world, clinic, world.ids)
            app_world.seed(world, other, world.other_ids)
    return world
