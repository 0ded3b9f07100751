"""Scheduling fixtures: a clinic whose staff work every day 08:00-18:00 local, and booking helpers."""

from __future__ import annotations

import datetime as dt

import pytest

from kat_clinic.models import Room
from kat_clinic.roles import Role
from programs.choices import SessionKind, StaffMode
from sessions import services
from sessions.availability import adhoc_shape
from tests.factories import PatientFactory, RoomFactory
from tests.sessions.factories import WorkingHoursFactory

# A Monday, in the future for every test run of this code's lifetime, outside DST changes.
MONDAY = dt.date(2027, 6, 7)


def works_every_day(staff, clinic, start=dt.time(8, 0), end=dt.time(18, 0)):
    for weekday in range(7):
        WorkingHoursFactory(staff=staff, clinic=clinic, weekday=weekday, start_time=start, end_time=end)
    return staff


def book_chair_in_the_week(book, clinic, chair, nurse, hours, days=(0, 2, 4)) -> None:
    """Another patient's nurse-shared block in `chair` at each of `hours` on each of `days` of
    MONDAY's week (Monday, Wednesday and Friday unless told)."""
    for day in days:
        for hour in hours:
            book(
                PatientFactory(home_clinic=clinic),
                at(clinic, MONDAY + dt.timedelta(days=day), hour),
                chair,
                [nurse],
                shape=NURSE_SHARED,
            )


def at(clinic, day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    """An aware instant at local clock time hour:minute on day, in the clinic's zone."""
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=clinic.tz)


@pytest.fixture
def chair(clinic):
    return RoomFactory(
        clinic=clinic,
        name="Chair 1",
        kind=Room.Kind.INFUSION_CHAIR,
        capabilities=[Room.Capability.MONITORED, Room.Capability.IV],
    )


@pytest.fixture
def chair2(clinic):
    return RoomFactory(
        clinic=clinic,
        name="Chair 2",
        kind=Room.Kind.INFUSION_CHAIR,
        capabilities=[Room.Capability.MONITORED, Room.Capability.IV],
    )


@pytest.fixture
def working_nurse(clinic, make_staff):
    return works_every_day(make_staff(clinic, Role.NURSE), clinic)


@pytest.fixture
def working_therapist(clinic, make_staff):
    return works_every_day(make_staff(clinic, Role.THERAPIST), clinic)


@pytest.fixture
def working_prescriber(clinic, make_staff):
    return works_every_day(make_staff(clinic, Role.PRESCRIBER), clinic)


NURSE_SHARED = adhoc_shape(
    kind=SessionKind.DOSING, session_minutes=40, block_minutes=100, staff=[(Role.NURSE, StaffMode.SHARED)]
)
THERAPIST_EXCLUSIVE = adhoc_shape(
    kind=SessionKind.PREPARATION, session_minutes=50, block_minutes=60, staff=[(Role.THERAPIST, StaffMode.EXCLUSIVE)]
)


def nurse_block_search(clinic_id, patient_id, **changes) -> dict:
    """The body of a search for a dosing block of 100 minutes with a shared nurse on MONDAY."""
    return {
        "clinic": clinic_id,
        "patient": patient_id,
        "kind": "dosing",
        "session_minutes": 40,
        "block_minutes": 100,
        "needs": [{"role": "nurse", "mode": "shared"}],
        "date_from": MONDAY.isoformat(),
        "date_to": MONDAY.isoformat(),
        **changes,
    }


@pytest.fixture
def book(clinic):
    """book(patient, start, room, staff=[...], shape=...) -> Session, through the booking service."""

    def make(patient, start, room, staff=(), shape=None, by=None):
        chosen = shape or adhoc_shape(
            kind=SessionKind.CHECK_IN,
            session_minutes=30,
            block_minutes=60,
            staff=[(next(iter(m.role for m in s.memberships.all())), StaffMode.EXCLUSIVE) for s in staff],
        )
        return services.session_book(
            clinic=clinic, patient=patient, shape=chosen, starts_at=start, room=room, staff=list(staff), by=by
        )

    return make


# --- programs ------------------------------------------------------------------------------------


@pytest.fixture
def shipped(organization):
    from programs.catalog import install_shipped_templates
    from programs.models import ProgramTemplate

    install_shipped_templates(organization=organization)
    return {t.catalog_key: t for t in ProgramTemplate.objects.filter(organization=organization)}


@pytest.fixture
def kat_clinic_setup(clinic, make_staff):
    """A clinic equipped for ketamine-assisted therapy: two consult rooms, two treatment rooms,
    a therapist, a nurse and a prescriber working every day 08:00-18:00."""
    consult = [
        RoomFactory(
            clinic=clinic, name=f"Consult {i}", kind=Room.Kind.CONSULT_ROOM, capabilities=[Room.Capability.THERAPY]
        )
        for i in (1, 2)
    ]
    treatment = [
        RoomFactory(
            clinic=clinic,
            name=f"Treatment {i}",
            kind=Room.Kind.TREATMENT_ROOM,
            capabilities=[Room.Capability.MONITORED, Room.Capability.THERAPY],
        )
        for i in (1, 2)
    ]
    return {
        "consult": consult,
        "treatment": treatment,
        "therapist": works_every_day(make_staff(clinic, Role.THERAPIST), clinic),
        "nurse": works_every_day(make_staff(clinic, Role.NURSE), clinic),
        "prescriber": works_every_day(make_staff(clinic, Role.PRESCRIBER), clinic),
    }


@pytest.fixture
def kat_enrollment(shipped, patient, kat_clinic_setup):
    from programs.services import enrollment_create

    return enrollment_create(patient=patient, template=shipped["ketamine_assisted_therapy"], by=None)


def planned(enrollment, sequence):
    return enrollment.planned_sessions.get(sequence=sequence)


@pytest.fixture
def booked_course(kat_enrollment, kat_clinic_setup, clinic):
    """A KAT course booked: preparation Saturday and Sunday 09:00 (one a day, a day before the
    dosing), dosing Tuesday 09:00-12:00, integration Wednesday 12:00."""
    from tests.sessions.test_program_rules import book_dosing, book_integration, book_prep

    saturday, sunday, tuesday, wednesday = (MONDAY + dt.timedelta(days=n) for n in (-2, -1, 1, 2))
    return {
        "prep1": book_prep(kat_enrollment, kat_clinic_setup, 1, at(clinic, saturday, 9)),
        "prep2": book_prep(kat_enrollment, kat_clinic_setup, 2, at(clinic, sunday, 9)),
        "dosing": book_dosing(kat_enrollment, kat_clinic_setup, 3, at(clinic, tuesday, 9)),
        "integration": book_integration(kat_enrollment, kat_clinic_setup, 4, at(clinic, wednesday, 12)),
    }
