"""The demo clinic's charted past, so a new user's clinical screens are not empty: weeks of
completed dosing sessions for three patients, each charted through the product's own services
(pre-dose records, dose, vitals through the block, signed notes, PHQ-9 and GAD-7 over weeks), and
the controlled-substance ledger behind the doses (controlled/demo.py: the lot received, each dose
drawn from a vial, the rest of the first vial wasted with a witness, one count).

Idempotent: a patient who already has a completed session is left as is. Each past session is
charted with the services' clock (`django.utils.timezone.now`) set to the moment it happened, so
their time rules (pre-dose vitals within the hour, monitoring time before discharge) judge it
as they would have then; only demo data is ever written this way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from unittest import mock

from django.apps import apps
from django.db import transaction
from django.utils import timezone

from kat_clinic.models import Clinic, Organization, Patient, Room, StaffMember

# PHQ-9 per session, oldest first: one patient responding (>= 50 % down), one remitting (< 5),
# one slower. Item 9 stays 0, so the history raises no crisis page.
PHQ9_COURSES = {
    "DEMO0003": (
        [2, 3, 2, 2, 2, 2, 2, 1, 0],
        [2, 2, 2, 2, 1, 2, 1, 1, 0],
        [1, 2, 1, 2, 1, 1, 1, 1, 0],
        [1, 1, 1, 1, 1, 1, 0, 1, 0],
    ),
    "DEMO0004": (
        [3, 2, 2, 3, 2, 2, 2, 1, 0],
        [2, 2, 1, 2, 1, 1, 1, 1, 0],
        [1, 1, 1, 1, 0, 1, 0, 0, 0],
        [0, 1, 0, 1, 0, 0, 1, 0, 0],
    ),
    "DEMO0005": (
        [2, 2, 2, 2, 2, 2, 1, 1, 0],
        [2, 2, 2, 2, 1, 2, 1, 1, 0],
        [2, 2, 1, 2, 1, 2, 1, 1, 0],
        [2, 1, 1, 2, 1, 1, 1, 1, 0],
    ),
}
GAD7_COURSES = {
    "DEMO0003": ([2, 2, 2, 1, 1, 2, 1], [1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 0, 1, 0], [1, 0, 1, 0, 0, 1, 0]),
    "DEMO0004": ([2, 2, 2, 2, 1, 1, 1], [1, 2, 1, 1, 1, 1, 1], [1, 1, 0, 1, 0, 0, 0], [0, 0, 0, 1, 0, 0, 0]),
    "DEMO0005": ([2, 1, 2, 1, 1, 1, 1], [2, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1, 1], [1, 1, 1, 1, 1, 1, 0]),
}
# Weeks before today of each patient's dosing sessions (10:00, 11:30 and 13:00 local).
WEEKS_AGO = (6, 4, 2, 1)
START_TIMES = {"DEMO0003": dt.time(10, 0), "DEMO0004": dt.time(11, 30), "DEMO0005": dt.time(13, 0)}
ROOMS = {"DEMO0003": "Treatment Room 1", "DEMO0004": "Treatment Room 2", "DEMO0005": "Treatment Room 1"}
# The one session whose blood pressure stays above the severe threshold (180 systolic, 5 minutes).
HYPERTENSIVE = ("DEMO0005", 2)
# The first vial is opened on the first dosing day; its rest is wasted after the third (28 days).
VIAL_DISCARDED_AFTER = 2


_REAL_NOW = timezone.now


def _now_defaulted_fields() -> list:
    return [
        field
        for model in apps.get_models()
        for field in model._meta.concrete_fields
        if field.default is _REAL_NOW or getattr(field.default, "demo_clock", False)
    ]


@contextmanager
def _clock_at(moment: dt.datetime) -> Iterator[None]:
    """The services' clock and every field defaulting to `timezone.now` (a scale response's
    completed_at, a witnessing's time...) read `moment`. A field keeps the function it was given, so
    patching the module alone would leave those defaults at the real time. Nests."""
    at = moment.astimezone(dt.UTC)

    def clock() -> dt.datetime:
        return at

    clock.demo_clock = True  # type: ignore[attr-defined]
    saved = [(field, field.default) for field in _now_defaulted_fields()]
    with mock.patch("django.utils.timezone.now", return_value=at):
        for field, _ in saved:
            field.default = clock
            field.__dict__.pop("_get_default", None)  # Field caches its default getter
        try:
            yield
        finally:
            for field, previous in saved:
                field.default = previous
                field.__dict__.pop("_get_default", None)


def _monday(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


@transaction.atomic
def seed_history(*, clinic: Clinic, organization: Organization) -> None:
    from kat_clinic.demo import DEMO_PASSWORD
    from sessions.models import Session

    staff = {s.user.username: s for s in StaffMember.objects.filter(organization=organization).select_related("user")}
    patients = [
        patient
        for patient in Patient.objects.filter(organization=organization, mrn__in=PHQ9_COURSES).order_by("mrn")
        if not Session.objects.filter(patient=patient, status=Session.Status.COMPLETED).exists()
    ]
    if patients:
        _seed_weeks(clinic=clinic, patients=patients, staff=staff, password=DEMO_PASSWORD)
    # The ledger's count of the cabinet today, once (controlled/demo.py).
    from controlled.demo import count_cabinet

    count_cabinet(clinic=clinic, by=staff["nurse2"])


def _seed_weeks(*, clinic: Clinic, patients: list[Patient], staff: dict[str, StaffMember], password: str) -> None:
    """Week by week, patient by patient, so the ledger's entries follow the order things happened."""
    from controlled.demo import stock_up, waste_rest_of_vial
    from kat_clinic.services import patient_weight_record

    tz = clinic.tz
    this_monday = _monday(clinic.local_date())
    days = [this_monday - dt.timedelta(weeks=w) for w in WEEKS_AGO]
    nurse, witness = staff["nurse1"], staff["nurse2"]
    # The lot arrives the Friday before the first dosing day, checked in by the second nurse.
    with _clock_at(dt.datetime.combine(days[0] - dt.timedelta(days=3), dt.time(15, 0), tzinfo=tz)):
        stock_up(clinic=clinic, by=nurse, checker=witness, password=password)
    for patient in patients:
        _prepare_patient(clinic=clinic, patient=patient, first_day=days[0], staff=staff)
    for index, day in enumerate(days):
        for patient in patients:
            room = Room.objects.get(clinic=clinic, name=ROOMS[patient.mrn])
            starts_at = dt.datetime.combine(day, START_TIMES[patient.mrn], tzinfo=tz)
            patient_weight_record(
                patient=patient,
                weight_kg=Decimal("74.0") - Decimal(index) / 2,
                measured_at=starts_at - dt.timedelta(minutes=20),
                recorded_by=nurse,
            )
            _charted_dosing(
                clinic=clinic,
                patient=patient,
                room=room,
                starts_at=starts_at,
                nurse=nurse,
                prescriber=staff["prescriber"],
                therapist=staff["therapist1"],
                index=index,
            )
        if index == VIAL_DISCARDED_AFTER:
            with _clock_at(dt.datetime.combine(day, dt.time(17, 0), tzinfo=tz)):
                waste_rest_of_vial(clinic=clinic, by=nurse, witness=witness, password=password)


def _prepare_patient(*, clinic: Clinic, patient: Patient, first_day: dt.date, staff: dict[str, StaffMember]) -> None:
    from monitoring.models import CONTRAINDICATIONS
    from monitoring.services.records import (
        consent_record,
        contraindication_screen_record,
        contraindication_screen_review,
    )

    nurse, prescriber = staff["nurse1"], staff["prescriber"]
    first_start = dt.datetime.combine(first_day, START_TIMES[patient.mrn], tzinfo=clinic.tz)
    consent_record(
        patient=patient,
        by=nurse,
        witness=staff["nurse2"],
        document_version="KAT-consent-v3",
        signed_at=first_start - dt.timedelta(days=7),
    )
    screen = contraindication_screen_record(
        patient=patient,
        by=nurse,
        answers=dict.fromkeys(CONTRAINDICATIONS, False),
        screened_at=first_start - dt.timedelta(days=7),
        valid_until=clinic.local_date() + dt.timedelta(days=180),
    )
    # The review is the prescriber's own action, never a field the nurse fills.
    contraindication_screen_review(screen=screen, by=prescriber)


def _charted_dosing(
    *,
    clinic: Clinic,
    patient: Patient,
    room: Room,
    starts_at: dt.datetime,
    nurse: StaffMember,
    prescriber: StaffMember,
    therapist: StaffMember,
    index: int,
) -> None:
    from programs.choices import SessionKind, StaffMode
    from sessions import services as scheduling
    from sessions.availability import adhoc_shape

    shape = adhoc_shape(
        kind=SessionKind.DOSING,
        session_minutes=40,
        block_minutes=120,
        staff=[("nurse", StaffMode.SHARED), ("prescriber", StaffMode.SHARED)],
    )
    # Booked the week before it happened, as the desk would have.
    session = scheduling.session_book(
        clinic=clinic,
        patient=patient,
        shape=shape,
        starts_at=starts_at,
        room=room,
        staff=[nurse, prescriber],
        by=None,
        now=starts_at - dt.timedelta(days=7),
    )
    with _clock_at(starts_at - dt.timedelta(minutes=15)):
        _chart(
            session=session,
            starts_at=starts_at,
            patient=patient,
            nurse=nurse,
            prescriber=prescriber,
            therapist=therapist,
            index=index,
        )


def _chart(*, session, starts_at, patient, nurse, prescriber, therapist, index) -> None:
    from controlled.demo import dose_from_stock
    from monitoring.services.records import session_attestation_record
    from monitoring.services.scales import scale_response_record
    from monitoring.services.vitals import sedation_record, vitals_record
    from sessions import services as scheduling

    session_attestation_record(
        session=session,
        by=nurse,
        escort_name="Jamie (partner)",
        escort_phone="+1 212 555 0199",
        escort_present=True,
        fasting_confirmed=True,
        last_ate_at=starts_at - dt.timedelta(hours=8),
    )
    scheduling.session_check_in(session_id=session.pk, by=nurse)
    scheduling.session_start(session_id=session.pk, by=nurse)
    hypertensive = (patient.mrn, index) == HYPERTENSIVE
    readings = []
    for k in range(0, 120, 10):
        at = starts_at + dt.timedelta(minutes=k)
        peak = 62 if hypertensive and 20 <= k <= 60 else 12 if 20 <= k <= 50 else 0
        readings.append(
            {
                "measured_at": at,
                "systolic_mmhg": 122 + peak + (k % 20) // 10,
                "diastolic_mmhg": 78 + peak // 3,
                "heart_rate_bpm": 72 + peak // 4,
                "spo2_percent": 98,
                "respiratory_rate_per_min": 14,
                "device_reading_id": f"demo-{session.pk}-{k}",
            }
        )
    with _clock_at(starts_at + dt.timedelta(minutes=4)):
        vitals_record(session=session, by=nurse, readings=readings[:1])
        # Drawn from the vial in use: the dose and its ledger entry in one transaction.
        dose_from_stock(
            session=session,
            by=nurse,
            ordered_by=prescriber,
            route="im",
            started_at=starts_at + dt.timedelta(minutes=5),
            dose_mg_per_kg=Decimal("0.50") + Decimal(index) / 20,
        )
    with _clock_at(starts_at + dt.timedelta(minutes=119)):
        vitals_record(session=session, by=nurse, readings=readings[1:])
        sedation_record(session=session, by=nurse, measured_at=starts_at + dt.timedelta(minutes=110), moaas=5)
        scheduling.session_complete(session_id=session.pk, by=nurse)

    with _clock_at(starts_at + dt.timedelta(minutes=150)):
        _sign_notes(session=session, nurse=nurse, index=index)
    for scale, courses in (("phq9", PHQ9_COURSES), ("gad7", GAD7_COURSES)):
        with _clock_at(starts_at - dt.timedelta(minutes=15)):
            scale_response_record(
                patient=patient, scale=scale, answers=courses[patient.mrn][index], by=therapist, session=session
            )


def _sign_notes(*, session, nurse, index) -> None:
    from monitoring.services.notes import note_add_addendum, note_create, note_sign

    note = note_create(
        session=session,
        author=nurse,
        sections={
            "assessment": "Tolerated the dose well; transient dissociation resolved within the hour.",
            "plan": "Continue the program as planned.",
        },
        body="Vitals reviewed every 10 minutes through the block; discharged with escort.",
    )
    note = note_sign(note=note, by=nurse)
    if index == 0:
        addendum = note_add_addendum(
            note=note, author=nurse, body="Addendum: escort confirmed by phone at 12:05 that the patient arrived home."
        )
        note_sign(note=addendum, by=nurse)
