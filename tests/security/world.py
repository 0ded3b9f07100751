"""A small seeded clinic for API-wide tests (schemathesis, isolation): one object of each resource.

`seed_world()` returns a World whose `ids` maps a path parameter's resource (the URL segment that
precedes it, e.g. "patients") to a seeded object's id, and `other_ids` the same for an object of
another clinic. Apps add their resources to RESOURCE_SEEDERS as they gain endpoints.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

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


@dataclass
class World:
    clinic: Clinic
    other_clinic: Clinic
    staff: dict[str, StaffMember] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    ids: dict[str, int] = field(default_factory=dict)
    other_ids: dict[str, int] = field(default_factory=dict)
    objects: dict[str, object] = field(default_factory=dict)


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


# Apps append functions (world, clinic, ids) that seed their resources for one clinic.
RESOURCE_SEEDERS: list[Callable[[World, Clinic, dict[str, int]], None]] = [_seed_clinic_resources]


def seed_world() -> World:
    organization = OrganizationFactory()
    clinic = ClinicFactory(organization=organization, name="World", slug="world")
    other = ClinicFactory(organization=organization, name="Elsewhere", slug="elsewhere")
    world = World(clinic=clinic, other_clinic=other)
    for role in Role:
        staff = StaffFactory(organization=organization, roles=[role], roles__clinic=clinic)
        world.staff[role] = staff
        world.tokens[role] = AuthToken.objects.create(user=staff.user)[1]
    for seeder in RESOURCE_SEEDERS:
        seeder(world, clinic, world.ids)
        seeder(world, other, world.other_ids)
    return world
