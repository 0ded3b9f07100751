"""Scheduling's part of the API-wide world (tests/security/world.py).

Per clinic: rooms of every kind open all day, clinicians working every day with their licences,
the shipped program templates, an enrollment with its planned sessions, and one session.
Operations that change a session's state get a session in the right state per example, and
bookings get a free valid time found by the availability search itself, so each example can succeed.
"""

from __future__ import annotations

import datetime as dt
import itertools

from django.utils import timezone

from kat_clinic.models import Clinic, Patient, Room
from kat_clinic.roles import Role
from programs.choices import SessionKind, StaffMode
from programs.models import Enrollment, ProgramTemplate
from sessions.availability import adhoc_shape
from sessions.models import Session
from sessions.program_rules import planned_shape
from sessions.search import availability_search
from tests.factories import PatientFactory, RoomFactory, StaffFactory
from tests.security.world import ApiWorld, World
from tests.sessions.factories import RoomHoursFactory, WorkingHoursFactory

# Far enough ahead that no rule about the past applies; each booking takes its own day.
FIRST_DAY = dt.date(2027, 6, 7)
_days = itertools.count()
CLINICIANS = (Role.NURSE, Role.PRESCRIBER, Role.THERAPIST)
ROOMS = {
    Room.Kind.CONSULT_ROOM: [Room.Capability.THERAPY],
    Room.Kind.TREATMENT_ROOM: [Room.Capability.MONITORED, Room.Capability.THERAPY],
    Room.Kind.INFUSION_CHAIR: [Room.Capability.MONITORED, Room.Capability.IV],
}


def _next_day() -> dt.date:
    return FIRST_DAY + dt.timedelta(days=next(_days))


def _open_all_week(clinic: Clinic, staff=(), rooms=()) -> None:
    for weekday in range(7):
        for member in staff:
            WorkingHoursFactory(
                staff=member, clinic=clinic, weekday=weekday, start_time=dt.time(6, 0), end_time=dt.time(22, 0)
            )
        for room in rooms:
            RoomHoursFactory(room=room, weekday=weekday, start_time=dt.time(6, 0), end_time=dt.time(22, 0))


def _enroll(world: World, clinic: Clinic, patient=None) -> Enrollment:
    from programs.services import enrollment_create

    template = (
        ProgramTemplate.objects.filter(organization=clinic.organization, catalog_key="ketamine_assisted_therapy")
        .order_by("-version")
        .first()
    )
    patient = patient or PatientFactory(home_clinic=clinic)
    return enrollment_create(patient=patient, template=template, by=None, clinic=clinic)


def _seed(world: World, clinic: Clinic, ids: dict[str, int]) -> None:
    from programs.catalog import install_shipped_templates

    install_shipped_templates(organization=clinic.organization)
    if clinic == world.clinic:
        staff = [world.staff[role] for role in CLINICIANS]
    else:
        staff = [
            StaffFactory(organization=clinic.organization, roles=[role], roles__clinic=clinic) for role in CLINICIANS
        ]
    rooms = {
        kind: RoomFactory(clinic=clinic, name=f"{kind} {clinic.slug}", kind=kind, capabilities=caps)
        for kind, caps in ROOMS.items()
    }
    _open_all_week(clinic, staff, rooms.values())
    # The clinic's seeded patient is enrolled and in session, so patient, enrollment and session agree.
    enrollment = _enroll(world, clinic, patient=Patient.objects.get(pk=ids["patients"]))
    first = enrollment.planned_sessions.order_by("sequence").first()
    session = _session(clinic, Session.Status.IN_PROGRESS, patient=enrollment.patient)
    ids.setdefault("enrollments", enrollment.pk)
    ids.update(sessions=session.pk, planned_sessions=first.pk)
    if clinic == world.clinic:
        world.objects.update(sessions_rooms=rooms, sessions_enrollment=enrollment, session=session)


def _session(
    clinic: Clinic, status: str, *, patient=None, kind=SessionKind.DOSING, starts_at=None, room=None
) -> Session:
    """A session in `status` straight from the table, at a time nobody else uses."""
    if starts_at is None:
        if status in (Session.Status.SCHEDULED,):
            starts_at = dt.datetime.combine(_next_day(), dt.time(10, 0), tzinfo=clinic.tz)
        else:
            starts_at = timezone.now() - dt.timedelta(minutes=30)
    now = timezone.now()
    return Session.objects.create(
        clinic=clinic,
        patient=patient or PatientFactory(home_clinic=clinic),
        kind=kind,
        status=status,
        room=room,
        starts_at=starts_at,
        ends_at=starts_at + dt.timedelta(minutes=60),
        block_starts_at=starts_at,
        block_ends_at=starts_at + dt.timedelta(minutes=90),
        checked_in_at=now if status != Session.Status.SCHEDULED else None,
        started_at=now if status == Session.Status.IN_PROGRESS else None,
    )


def _fresh(status: str, **kwargs):
    def make(world: World, role: str) -> dict:
        return {"id": _session(world.clinic, status, **kwargs).pk}

    return make


def _due_scheduled(world: World, role: str) -> dict:
    """A session booked for a quarter of an hour from now: inside the check-in window."""
    start = timezone.now() + dt.timedelta(minutes=15)
    return {"id": _session(world.clinic, Session.Status.SCHEDULED, starts_at=start).pk}


def _past_scheduled(world: World, role: str) -> dict:
    start = timezone.now() - dt.timedelta(minutes=20)
    return {"id": _session(world.clinic, Session.Status.SCHEDULED, starts_at=start).pk}


def _option(world: World, patient, shape, planned=None) -> dict:
    """The best free option the search finds on a day nobody else has used."""
    day = _next_day()
    options = availability_search(
        clinic=world.clinic, patient=patient, shape=shape, planned=planned, date_from=day, date_to=day, limit=1
    )
    assert options, "the world has no free option for this booking"
    return options[0]


def _book_body(world: World, role: str) -> dict:
    patient = world.objects["patient"]
    staff = [(Role.NURSE, StaffMode.EXCLUSIVE)]
    shape = adhoc_shape(kind=SessionKind.CHECK_IN, session_minutes=30, block_minutes=45, staff=staff)
    option = _option(world, patient, shape)
    return {
        "clinic": world.clinic.pk,
        "patient": patient.pk,
        "kind": SessionKind.CHECK_IN,
        "starts_at": option["starts_at"],
        "session_minutes": 30,
        "block_minutes": 45,
        "room": option["room"],
        "telehealth": False,
        "staff": [{"role": s["role"], "mode": s["mode"], "staff": s["staff"]} for s in option["staff"]],
    }


def _book_planned_body(world: World, role: str) -> dict:
    enrollment = _enroll(world, world.clinic)
    planned = enrollment.planned_sessions.select_related("step").order_by("sequence").first()
    option = _option(world, enrollment.patient, planned_shape(planned), planned=planned)
    return {
        "planned_session": planned.pk,
        "starts_at": option["starts_at"],
        "room": option["room"],
        "telehealth": False,
        "staff": [{"role": s["role"], "staff": s["staff"]} for s in option["staff"]],
    }


def _reschedule_path(world: World, role: str) -> dict:
    room = world.objects["sessions_rooms"][Room.Kind.CONSULT_ROOM]
    return {"id": _session(world.clinic, Session.Status.SCHEDULED, kind=SessionKind.CHECK_IN, room=room).pk}


def _reschedule_body(world: World, role: str) -> dict:
    day = _next_day()
    return {"starts_at": dt.datetime.combine(day, dt.time(11, 0), tzinfo=world.clinic.tz).isoformat()}


def _search_body(world: World, role: str) -> dict:
    day = _next_day()
    enrollment = world.objects["sessions_enrollment"]
    planned = enrollment.planned_sessions.order_by("sequence").first()
    return {
        "clinic": world.clinic.pk,
        "patient": enrollment.patient_id,
        "planned_session": planned.pk,
        "date_from": day.isoformat(),
        "date_to": day.isoformat(),
        "limit": 3,
    }


def _program_booking_body(world: World, role: str) -> dict:
    enrollment = _enroll(world, world.clinic)
    return {"enrollment": enrollment.pk, "date_from": _next_day().isoformat(), "horizon_days": 56, "preview": True}


def _reschedule_together_body(world: World, role: str) -> dict:
    room = world.objects["sessions_rooms"][Room.Kind.CONSULT_ROOM]
    session = _session(world.clinic, Session.Status.SCHEDULED, kind=SessionKind.CHECK_IN, room=room)
    day = _next_day()
    return {
        "moves": [
            {
                "session": session.pk,
                "starts_at": dt.datetime.combine(day, dt.time(11, 0), tzinfo=world.clinic.tz).isoformat(),
                "room": room.pk,
                "telehealth": False,
                "staff": [],
            }
        ]
    }


API_WORLD = ApiWorld(
    seed=_seed,
    field_resources={"planned_session": "planned_sessions", "enrollment": "enrollments", "session": "sessions"},
    fresh_paths={
        ("POST", "/api/v1/sessions/{id}/check-in/"): _due_scheduled,
        ("POST", "/api/v1/sessions/{id}/start/"): _fresh(Session.Status.CHECKED_IN, kind=SessionKind.CHECK_IN),
        ("POST", "/api/v1/sessions/{id}/complete/"): _fresh(Session.Status.IN_PROGRESS, kind=SessionKind.CHECK_IN),
        ("POST", "/api/v1/sessions/{id}/cancel/"): _fresh(Session.Status.SCHEDULED),
        ("POST", "/api/v1/sessions/{id}/no-show/"): _past_scheduled,
        ("POST", "/api/v1/sessions/{id}/reschedule/"): _reschedule_path,
    },
    body_bases={
        ("POST", "/api/v1/sessions/"): _book_body,
        ("POST", "/api/v1/sessions/book-planned/"): _book_planned_body,
        ("POST", "/api/v1/sessions/{id}/reschedule/"): _reschedule_body,
        ("POST", "/api/v1/sessions/reschedule-together/"): _reschedule_together_body,
        ("POST", "/api/v1/scheduling/search/"): _search_body,
        ("POST", "/api/v1/scheduling/program-booking/"): _program_booking_body,
    },
)
