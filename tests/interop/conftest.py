"""A charted patient for the interop tests: one held dosing session with vitals and a dose, a booked
session to come, a PHQ-9, a diagnosis, an allergy, a consent and an enrollment with its plan."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.utils import timezone

from interop.webhooks.services import webhook_endpoint_create
from kat_clinic.models import Patient, Room, StaffMember
from kat_clinic.roles import Role
from monitoring.models import Allergy, Consent, Diagnosis, DoseAdministration, ScaleResponse, VitalSign
from monitoring.services.scales import scale_response_record
from programs.catalog import install_shipped_templates
from programs.choices import Medication, Route, SessionKind, StaffMode
from programs.models import Enrollment, PlannedSession, ProgramTemplate
from programs.services import enrollment_create
from sessions import services as session_services
from sessions.availability import adhoc_shape
from sessions.models import Session, StaffAssignment
from tests.factories import PatientFactory, RoomFactory, WeightFactory
from tests.interop.webhook_receiver import Receiver
from tests.interop.webhook_world import ALL_EVENTS, MONDAY
from tests.sessions.conftest import works_every_day


@dataclass
class Chart:
    patient: Patient
    room: Room
    nurse: StaffMember
    prescriber: StaffMember
    therapist: StaffMember
    held: Session
    booked: Session
    vital: VitalSign
    dose: DoseAdministration
    phq9: ScaleResponse
    diagnosis: Diagnosis
    allergy: Allergy
    consent: Consent
    enrollment: Enrollment


def make_chart(clinic, make_staff, *, patient=None) -> Chart:
    nurse = make_staff(clinic, Role.NURSE)
    prescriber = make_staff(clinic, Role.PRESCRIBER, npi="1234567893")
    therapist = make_staff(clinic, Role.THERAPIST)
    patient = patient or PatientFactory(
        home_clinic=clinic,
        first_name="Ada",
        last_name="Lovelace",
        mrn="MRN-0042",
        date_of_birth=dt.date(1985, 12, 10),
        sex_at_birth=Patient.SexAtBirth.FEMALE,
        phone="+1 212 555 0100",
        email="ada@example.org",
    )
    room = RoomFactory(clinic=clinic, name="Chair 1", kind=Room.Kind.INFUSION_CHAIR)
    install_shipped_templates(organization=clinic.organization)
    template = ProgramTemplate.objects.get(organization=clinic.organization, catalog_key="iv_ketamine_induction")
    enrollment = enrollment_create(patient=patient, template=template, by=prescriber, clinic=clinic)
    first_planned = enrollment.planned_sessions.order_by("sequence").first()
    start = timezone.now().replace(microsecond=0) - dt.timedelta(days=2)
    held = Session.objects.create(
        clinic=clinic,
        patient=patient,
        kind=SessionKind.DOSING,
        status=Session.Status.COMPLETED,
        starts_at=start,
        ends_at=start + dt.timedelta(hours=2),
        block_starts_at=start,
        block_ends_at=start + dt.timedelta(hours=2),
        room=room,
        started_at=start,
        completed_at=start + dt.timedelta(hours=2),
        enrollment=enrollment,
        planned_session=first_planned,
    )
    PlannedSession.objects.filter(pk=first_planned.pk).update(status=PlannedSession.Status.COMPLETED)
    StaffAssignment.objects.create(
        session=held,
        staff=nurse,
        role=Role.NURSE,
        mode="shared",
        lane=1,
        starts_at=held.block_starts_at,
        ends_at=held.block_ends_at,
    )
    later = timezone.now().replace(microsecond=0) + dt.timedelta(days=3)
    booked = Session.objects.create(
        clinic=clinic,
        patient=patient,
        kind=SessionKind.INTEGRATION,
        status=Session.Status.SCHEDULED,
        starts_at=later,
        ends_at=later + dt.timedelta(hours=1),
        block_starts_at=later,
        block_ends_at=later + dt.timedelta(hours=1),
        room=room,
    )
    vital = VitalSign.objects.create(
        session=held,
        patient=patient,
        measured_at=start + dt.timedelta(minutes=40),
        systolic_mmhg=138,
        diastolic_mmhg=86,
        heart_rate_bpm=92,
        spo2_percent=97,
        respiratory_rate_per_min=14,
        temperature_c=Decimal("36.8"),
        entered_by=nurse,
    )
    WeightFactory(patient=patient, weight_kg=Decimal("64.5"), measured_at=start - dt.timedelta(days=1))
    dose = DoseAdministration.objects.create(
        session=held,
        patient=patient,
        medication=Medication.KETAMINE,
        route=Route.IV,
        weight_kg=Decimal("64.5"),
        dose_mg_per_kg=Decimal("0.500"),
        dose_mg=Decimal("32.25"),
        infusion_minutes=40,
        rate_mg_per_h=Decimal("48.38"),
        lot_number="KET-2026-117",
        lot_expires_on=dt.date(2027, 6, 30),
        ordered_by=prescriber,
        administered_by=nurse,
        started_at=start + dt.timedelta(minutes=5),
        stopped_at=start + dt.timedelta(minutes=45),
    )
    phq9 = scale_response_record(
        patient=patient, scale="phq9", answers=[2, 2, 1, 2, 1, 1, 2, 1, 0], by=therapist, session=held
    )
    diagnosis = Diagnosis.objects.create(
        patient=patient,
        icd10_code="F33.2",
        description="Major depressive disorder, recurrent severe without psychotic features",
        primary=True,
        diagnosed_on=dt.date(2026, 9, 1),
        recorded_by=prescriber,
    )
    allergy = Allergy.objects.create(
        patient=patient, substance="Penicillin", reaction="Hives", severity=Allergy.Severity.MODERATE, recorded_by=nurse
    )
    consent = Consent.objects.create(
        patient=patient,
        document_version="KAT-consent-v3",
        medications=[Medication.KETAMINE],
        signed_at=start - dt.timedelta(days=7),
        witness=nurse,
        recorded_by=nurse,
    )
    return Chart(
        patient=patient,
        room=room,
        nurse=nurse,
        prescriber=prescriber,
        therapist=therapist,
        held=held,
        booked=booked,
        vital=vital,
        dose=dose,
        phq9=phq9,
        diagnosis=diagnosis,
        allergy=allergy,
        consent=consent,
        enrollment=enrollment,
    )


@pytest.fixture
def chart(clinic, make_staff) -> Chart:
    return make_chart(clinic, make_staff)


def resources_of(bundle: dict, resource_type: str) -> list[dict]:
    return [e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == resource_type]


# --- webhooks: a live receiver on 127.0.0.1 (allow-listed), an endpoint of the clinic pointing at
# it, and sessions booked through the scheduling service --------------------------------------------


@pytest.fixture
def loopback_allowed(settings):
    settings.WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.1/32"]


@pytest.fixture
def receiver(loopback_allowed):
    with Receiver() as live:
        yield live


@pytest.fixture
def endpoint(clinic, admin_staff, receiver):
    return webhook_endpoint_create(clinic=clinic, url=receiver.url, events=ALL_EVENTS, by=admin_staff.user)


@pytest.fixture
def booking(clinic, make_staff):
    """book(patient=None) -> a check-in session booked through the scheduling service on MONDAY 10:00."""
    nurse = works_every_day(make_staff(clinic, Role.NURSE), clinic)
    room = RoomFactory(clinic=clinic)
    shape = adhoc_shape(
        kind=SessionKind.CHECK_IN, session_minutes=30, block_minutes=60, staff=[(Role.NURSE, StaffMode.EXCLUSIVE)]
    )

    def book(patient=None, hour: int = 10):
        return session_services.session_book(
            clinic=clinic,
            patient=patient or PatientFactory(home_clinic=clinic),
            shape=shape,
            starts_at=dt.datetime.combine(MONDAY, dt.time(hour, 0), tzinfo=clinic.tz),
            room=room,
            staff=[nurse],
            by=None,
        )

    return book
