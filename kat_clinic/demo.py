"""The demo clinic: what `make demo` seeds. Idempotent: running it twice changes nothing."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
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
from kat_clinic.roles import CLINICAL_ROLES, LicenceKind, Role

DEMO_PASSWORD = "kat-demo-clinic-2026"
# How far back the demo's charted history goes (kat_clinic/demo_history.py); staff hours cover it.
HISTORY_SPAN = dt.timedelta(weeks=8)


@dataclass(frozen=True)
class DemoStaff:
    username: str
    first_name: str
    last_name: str
    suffix: str
    role: str
    licences: tuple[str, ...]


DEMO_STAFF = (
    DemoStaff("admin", "Alex", "Morgan", "", Role.ADMIN, ()),
    DemoStaff("frontdesk", "Sam", "Rivera", "", Role.SCHEDULER, ()),
    DemoStaff("prescriber", "Priya", "Shah", "MD", Role.PRESCRIBER, (LicenceKind.MD, LicenceKind.DEA)),
    DemoStaff("nurse1", "Noah", "Kim", "RN", Role.NURSE, (LicenceKind.RN,)),
    DemoStaff("nurse2", "Nina", "Lopez", "RN", Role.NURSE, (LicenceKind.RN,)),
    DemoStaff("therapist1", "Theo", "Grant", "LCSW", Role.THERAPIST, (LicenceKind.LCSW,)),
    DemoStaff("therapist2", "Tara", "Quinn", "PhD", Role.THERAPIST, (LicenceKind.PSYCHOLOGIST,)),
)

DEMO_ROOMS = (
    ("Treatment Room 1", Room.Kind.TREATMENT_ROOM, [Room.Capability.MONITORED, Room.Capability.THERAPY]),
    ("Treatment Room 2", Room.Kind.TREATMENT_ROOM, [Room.Capability.MONITORED, Room.Capability.THERAPY]),
    ("Infusion Chair 1", Room.Kind.INFUSION_CHAIR, [Room.Capability.MONITORED, Room.Capability.IV]),
    ("Recovery Chair 1", Room.Kind.RECOVERY_CHAIR, [Room.Capability.MONITORED, Room.Capability.RECOVERY]),
    # KAT preparation and integration sessions are held in a consult room (or by telehealth).
    ("Consult Room 1", Room.Kind.CONSULT_ROOM, [Room.Capability.THERAPY]),
)

DEMO_PATIENTS = (
    ("Avery", "Bennett"), ("Jordan", "Castillo"), ("Riley", "Dawson"), ("Casey", "Ellis"),
    ("Morgan", "Fischer"), ("Quinn", "Garcia"), ("Rowan", "Hughes"), ("Emerson", "Ibarra"),
    ("Parker", "Jensen"), ("Skyler", "Kowalski"), ("Reese", "Larsen"), ("Dakota", "Moreno"),
)  # fmt: skip


@transaction.atomic
def seed_demo() -> Clinic:
    organization, _ = Organization.objects.get_or_create(slug="demo-group", defaults={"name": "Demo Clinic Group"})
    clinic, _ = Clinic.objects.get_or_create(
        slug="midtown",
        defaults={
            "organization": organization,
            "name": "Midtown Ketamine Clinic",
            # What patients' messages say: the clinic's own name would tell who sees the phone.
            "patient_facing_name": "Midtown Clinic",
            "timezone": "America/New_York",
            "address": "100 Example Avenue, New York, NY",
            "phone": "+1 212 555 0100",
        },
    )
    if not clinic.patient_facing_name:  # a demo database seeded before clinics had one
        clinic.patient_facing_name = "Midtown Clinic"
        clinic.save(update_fields=["patient_facing_name"])
    ClinicCertification.objects.get_or_create(
        clinic=clinic,
        kind=ClinicCertification.Kind.ESKETAMINE_REMS,
        defaults={
            "identifier": "REMS-DEMO-001",
            "valid_from": dt.date(2025, 1, 1),
            "expires_on": dt.date(2028, 12, 31),
        },
    )
    for name, kind, capabilities in DEMO_ROOMS:
        Room.objects.get_or_create(clinic=clinic, name=name, defaults={"kind": kind, "capabilities": capabilities})

    for i, person in enumerate(DEMO_STAFF):
        user, created = User.objects.get_or_create(
            username=person.username, defaults={"first_name": person.first_name, "last_name": person.last_name}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.is_staff = person.role == Role.ADMIN
            user.is_superuser = person.role == Role.ADMIN
            user.save()
        staff, _ = StaffMember.objects.get_or_create(
            user=user,
            defaults={
                "organization": organization,
                "first_name": person.first_name,
                "last_name": person.last_name,
                "credentials_suffix": person.suffix,
                # Pages for clinical alerts go to this number (the demo's SMS provider only logs).
                "phone": f"+1 212 555 03{i:02d}",
            },
        )
        ClinicMembership.objects.get_or_create(staff=staff, clinic=clinic, role=person.role)
        for kind in person.licences:
            Licence.objects.get_or_create(
                staff=staff,
                kind=kind,
                defaults={"state": "NY", "number": f"DEMO-{kind.upper()}-{i:03d}", "expires_on": dt.date(2028, 6, 30)},
            )

    # The four programs the product ships, published and ready to enroll.
    from programs.catalog import install_shipped_templates

    install_shipped_templates(organization=organization)

    # Who gets paged for a clinical alert, in turn: the prescriber, then the nurses.
    from integration.services import oncall_set

    on_call = StaffMember.objects.filter(user__username__in=["prescriber", "nurse1", "nurse2"])
    order = {"prescriber": 0, "nurse1": 1, "nurse2": 2}
    oncall_set(clinic_id=clinic.pk, staff_ids=[s.pk for s in sorted(on_call, key=lambda s: order[s.user.username])])

    now = timezone.now()
    for i, (first, last) in enumerate(DEMO_PATIENTS, start=1):
        patient, created = Patient.objects.get_or_create(
            organization=organization,
            mrn=f"DEMO{i:04d}",
            defaults={
                "home_clinic": clinic,
                "first_name": first,
                "last_name": last,
                "date_of_birth": dt.date(1970 + i * 2, (i % 12) + 1, 10 + i),
                "phone": f"+1 212 555 01{i:02d}",
                "email": f"demo.patient{i}@example.org",
                "emergency_contact_name": f"Contact of {first}",
                "emergency_contact_phone": f"+1 212 555 02{i:02d}",
                "emergency_contact_relationship": "partner",
                "sms_opt_in": i % 3 != 0,
            },
        )
        if created:
            PatientWeight.objects.create(
                patient=patient, weight_kg=Decimal("60.0") + Decimal(i * 2), measured_at=now - dt.timedelta(days=3)
            )
    _seed_schedule(clinic=clinic, organization=organization)
    from kat_clinic.demo_history import seed_history

    seed_history(clinic=clinic, organization=organization)
    return clinic


def _seed_schedule(*, clinic: Clinic, organization: Organization) -> None:
    """Clinical staff work Mon-Fri 08:00-18:00 local; two patients have their programs booked."""
    from programs.models import Enrollment, ProgramTemplate
    from programs.services import enrollment_create
    from sessions.models import WorkingHours
    from sessions.services import enrollment_book_program

    today = clinic.local_date()
    clinical = StaffMember.objects.filter(memberships__clinic=clinic, memberships__role__in=list(CLINICAL_ROLES))
    for staff in clinical.distinct():
        for weekday in range(5):
            WorkingHours.objects.get_or_create(
                staff=staff,
                clinic=clinic,
                weekday=weekday,
                defaults={"start_time": dt.time(8, 0), "end_time": dt.time(18, 0), "valid_from": today - HISTORY_SPAN},
            )
    scheduler = StaffMember.objects.get(user__username="frontdesk")
    for mrn, catalog_key in (("DEMO0001", "ketamine_assisted_therapy"), ("DEMO0002", "iv_ketamine_induction")):
        patient = Patient.objects.get(organization=organization, mrn=mrn)
        if Enrollment.objects.filter(patient=patient).exists():
            continue
        template = ProgramTemplate.objects.get(
            organization=organization, catalog_key=catalog_key, state=ProgramTemplate.State.PUBLISHED
        )
        enrollment = enrollment_create(patient=patient, template=template, by=scheduler)
        enrollment_book_program(enrollment=enrollment, date_from=today + dt.timedelta(days=1), by=scheduler)
