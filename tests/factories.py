"""Factories for the clinic itself. App-specific factories live beside their tests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import factory
from django.utils import timezone

from kat_clinic.models import (
    Clinic,
    ClinicCertification,
    ClinicMembership,
    Licence,
    Organization,
    Patient,
    PatientWeight,
    Room,
    StaffMember,
    User,
)
from kat_clinic.roles import LicenceKind, Role

DEFAULT_LICENCES = {
    Role.NURSE: [LicenceKind.RN],
    Role.PRESCRIBER: [LicenceKind.MD, LicenceKind.DEA],
    Role.THERAPIST: [LicenceKind.LCSW],
}


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization
        django_get_or_create = ("slug",)

    name = "Test Clinic Group"
    slug = "test-group"


class ClinicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Clinic

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Clinic {n}")
    slug = factory.Sequence(lambda n: f"clinic-{n}")
    timezone = "America/New_York"


class CertificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ClinicCertification

    clinic = factory.SubFactory(ClinicFactory)
    kind = ClinicCertification.Kind.ESKETAMINE_REMS
    identifier = factory.Sequence(lambda n: f"REMS-{n:05d}")
    valid_from = dt.date(2020, 1, 1)
    expires_on = dt.date(2035, 12, 31)


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room

    clinic = factory.SubFactory(ClinicFactory)
    name = factory.Sequence(lambda n: f"Room {n}")
    kind = Room.Kind.TREATMENT_ROOM
    capabilities = factory.LazyFunction(lambda: [Room.Capability.MONITORED, Room.Capability.THERAPY])


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("correct horse battery staple")


class StaffFactory(factory.django.DjangoModelFactory):
    """A staff member; `roles` and `clinic` create memberships and the licences those roles need."""

    class Meta:
        model = StaffMember
        skip_postgeneration_save = True

    user = factory.SubFactory(UserFactory)
    organization = factory.SubFactory(OrganizationFactory)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if not create or not extracted:
            return
        clinic = kwargs.get("clinic")
        clinics = kwargs.get("clinics") or ([clinic] if clinic else [])
        for clinic in clinics:
            for role in extracted:
                ClinicMembership.objects.create(staff=self, clinic=clinic, role=role)
        for role in extracted:
            for kind in DEFAULT_LICENCES.get(role, []):
                Licence.objects.get_or_create(
                    staff=self,
                    kind=kind,
                    defaults={"state": "NY", "number": f"{kind}-{self.pk}", "expires_on": dt.date(2035, 12, 31)},
                )


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient

    home_clinic = factory.SubFactory(ClinicFactory)
    organization = factory.SelfAttribute("home_clinic.organization")
    mrn = factory.Sequence(lambda n: f"MRN{n:06d}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    date_of_birth = dt.date(1985, 6, 15)
    phone = "+1 212 555 0100"
    email = factory.LazyAttribute(lambda p: f"{p.mrn.lower()}@example.org")


class WeightFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = PatientWeight

    patient = factory.SubFactory(PatientFactory)
    weight_kg = Decimal("70.0")
    measured_at = factory.LazyFunction(timezone.now)
