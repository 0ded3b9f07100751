"""Booking: one session at a placement (ad hoc or planned), checked against every rule.

Python checks give the good messages (422 naming the rule, 409 listing every clash); the database's
exclusion constraints keep the last word, and a refusal only they saw is explained the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from kat_clinic.errors import CHECK_VIOLATION, EXCLUSION_VIOLATION, UNIQUE_VIOLATION, Conflict, RuleViolation, pg_error
from kat_clinic.models import Clinic, Patient, Room, StaffMember
from programs.choices import StaffMode
from programs.models import Enrollment, PlannedSession
from programs.services import planned_session_mark_booked
from sessions import signals
from sessions.availability import (
    Busy,
    Placement,
    Shape,
    Violation,
    placement_is_free,
    placement_lanes,
    placement_violations,
)
from sessions.calendar_loading import calendar_load
from sessions.conflicts import Proposal, ProposedAssignment, find_conflicts, python_check_enabled
from sessions.models import Session, StaffAssignment
from sessions.program_rules import ProgramContext, planned_shape, program_context_load, program_violations
from sessions.services.program_links import lock_active_enrollment
from sessions.timeutil import overlaps

# Constraint name -> the resource it protects, to explain a refusal that only the database saw.
CONSTRAINT_RESOURCES = {
    "session_no_room_overlap": "room",
    "session_no_patient_overlap": "patient",
    "staffassignment_no_staff_overlap": "staff",
    "staffassignment_lane_within_capacity": "staff",
    "session_one_active_booking_per_planned": "planned_session",
}


def raise_rule_violations(violations: Sequence[Violation]) -> None:
    """422 naming the first rule that failed; every failure is listed under its field and in `violations`."""
    if not violations:
        return
    errors: dict[str, list[str]] = {}
    for v in violations:
        errors.setdefault(v.field, []).append(v.message)
    first = violations[0]
    raise RuleViolation(
        first.message,
        code=first.rule,
        errors=errors,
        violations=[{"rule": v.rule, "field": v.field, "message": v.message} for v in violations],
    )


def _overlap_conflict(conflicts: list[dict], **extra) -> Conflict:
    return Conflict(
        "The booking overlaps another active booking.",
        code="overlap",
        errors={"starts_at": ["This time clashes with another booking."]},
        conflicts=conflicts,
        **extra,
    )


def _database_refusal(exc: IntegrityError) -> Conflict | None:
    pgcode, constraint, _ = pg_error(exc)
    known = constraint in CONSTRAINT_RESOURCES
    if pgcode == EXCLUSION_VIOLATION or (pgcode in (CHECK_VIOLATION, UNIQUE_VIOLATION) and known):
        return _overlap_conflict(
            [{"resource": CONSTRAINT_RESOURCES.get(constraint or "", "unknown"), "constraint": constraint}],
            sqlstate=pgcode,
        )
    return None


def _capacity_conflict(cal, shape: Shape, placement: Placement) -> Conflict:
    items = []
    for need, staff_id in zip(shape.needs, placement.staff_ids, strict=True):
        if need.mode != StaffMode.SHARED:
            continue
        a, b = placement.starts_at + need.start_offset, placement.starts_at + need.end_offset
        for busy in cal.staff_busy.get(staff_id, ()):
            if overlaps(busy.start, busy.end, a, b):
                items.append(
                    {
                        "resource": "staff",
                        "id": staff_id,
                        "role": need.role,
                        "lane": busy.lane,
                        "session": busy.session_id,
                        "range": [
                            max(a, busy.start).astimezone(dt.UTC).isoformat(),
                            min(b, busy.end).astimezone(dt.UTC).isoformat(),
                        ],
                        "constraint": "staffassignment_no_staff_overlap",
                    }
                )
    return _overlap_conflict(items, capacity=cal.clinic.nurse_shared_capacity)


StaffChoice = Sequence[StaffMember | int] | Mapping[str, StaffMember | int]


def staff_in_need_order(shape: Shape, staff: StaffChoice) -> tuple[int, ...]:
    """Staff ids aligned with `shape.needs`: a sequence is taken in order, a mapping by role."""
    if isinstance(staff, Mapping):
        missing = [need.role for need in shape.needs if need.role not in staff]
        raise_rule_violations(
            [Violation("required_roles", "staff", f"No staff member is given for the {role} role.") for role in missing]
        )
        return tuple(getattr(staff[n.role], "pk", staff[n.role]) for n in shape.needs)
    return tuple(getattr(s, "pk", s) for s in staff)


def check_same_clinic(*, clinic: Clinic, patient: Patient, room: Room | None) -> None:
    violations = []
    if patient.home_clinic_id != clinic.pk:
        violations.append(Violation("patient_not_in_clinic", "patient", "The patient does not belong to this clinic."))
    if room is not None and room.clinic_id != clinic.pk:
        violations.append(Violation("room_not_in_clinic", "room", "The room does not belong to this clinic."))
    raise_rule_violations(violations)


@dataclass
class Prepared:
    """A placement that passed every Python check: the unsaved session and its assignments."""

    session: Session
    assignments: tuple[ProposedAssignment, ...]


def prepare_placement(
    *,
    clinic: Clinic,
    patient: Patient,
    shape: Shape,
    placement: Placement,
    by: StaffMember | None,
    extra_violations: Sequence[Violation] = (),
    exclude_session_ids: Sequence[int] = (),
    now: dt.datetime | None = None,
    calendar=None,
    **session_fields,
) -> Prepared:
    """Every check of a booking (422 rules, 409 clashes), in Python; writes nothing.

    Without `calendar`, one is loaded for the placement. A shared calendar (whole-program booking)
    was loaded in this transaction with the enrollment locked and is kept current as the plan is
    booked: when it says nothing clashes, the finder's two queries are skipped (the database keeps
    the last word). Only a clash needs its list.
    """
    now = now or timezone.now()
    start = placement.starts_at
    block_end = start + shape.block
    if start <= now:
        raise_rule_violations([Violation("starts_in_past", "starts_at", "A session cannot be booked in the past.")])

    cal = calendar or calendar_load(
        clinic=clinic,
        start=start,
        end=block_end,
        room_ids=[placement.room_id] if placement.room_id else [],
        staff_ids=placement.staff_ids,
        patient_ids=[patient.pk],
        exclude_session_ids=exclude_session_ids,
    )
    raise_rule_violations([*placement_violations(cal, shape, placement), *extra_violations])

    check = python_check_enabled()
    lanes = placement_lanes(cal, shape, placement)
    if lanes is None:
        if check:
            raise _capacity_conflict(cal, shape, placement)
        # Without the Python check, take lane 1 and let the database decide.
        lanes = tuple(1 if need.mode == StaffMode.SHARED else None for need in shape.needs)

    assignments = tuple(
        ProposedAssignment(
            staff_id=staff_id,
            role=need.role,
            mode=need.mode,
            lane=lane,
            starts_at=start + need.start_offset,
            ends_at=start + need.end_offset,
        )
        for need, staff_id, lane in zip(shape.needs, placement.staff_ids, lanes, strict=True)
    )
    room_id = None if shape.telehealth else placement.room_id
    trusted_free = calendar is not None and placement_is_free(cal, shape, placement, patient.pk)
    if check and not trusted_free:
        conflicts = find_conflicts(
            Proposal(
                patient_id=patient.pk,
                room_id=room_id,
                block_starts_at=start,
                block_ends_at=block_end,
                assignments=assignments,
            ),
            exclude_session_ids=exclude_session_ids,
        )
        if conflicts:
            raise _overlap_conflict(conflicts)
    session = Session(
        clinic=clinic,
        patient=patient,
        kind=shape.kind,
        starts_at=start,
        ends_at=start + dt.timedelta(minutes=shape.session_minutes),
        block_starts_at=start,
        block_ends_at=block_end,
        room_id=room_id,
        telehealth=shape.telehealth,
        booked_by=by,
        **session_fields,
    )
    return Prepared(session=session, assignments=assignments)


def hold_prepared(cal, prepared: Prepared) -> None:
    """Keep a shared calendar current: the prepared session's room, patient and staff are busy
    (under its id once inserted, 0 before)."""
    session = prepared.session
    sid = session.pk or 0
    start, block_end = session.block_starts_at, session.block_ends_at
    cal.touch()
    if session.room_id is not None:
        cal.room_busy.setdefault(session.room_id, []).append(Busy(start, block_end, sid))
    cal.patient_busy.setdefault(session.patient_id, []).append(Busy(start, block_end, sid))
    for a in prepared.assignments:
        if a.mode != StaffMode.PRESENT:
            cal.staff_busy.setdefault(a.staff_id, []).append(Busy(a.starts_at, a.ends_at, sid, a.lane))


def insert_prepared(prepared: Sequence[Prepared]) -> list[Session]:
    """Insert checked sessions and all their assignments: two statements however many sessions.

    No savepoint: a refusal here aborts the whole booking anyway (the caller is atomic). The
    exclusion constraints judge every row; a refusal only they saw is the same 409 as ours.
    """
    try:
        if len(prepared) == 1:
            prepared[0].session.save(force_insert=True)
        else:
            Session.objects.bulk_create([p.session for p in prepared])
        StaffAssignment.objects.bulk_create(
            StaffAssignment(
                session=p.session,
                staff_id=a.staff_id,
                role=a.role,
                mode=a.mode,
                lane=a.lane,
                starts_at=a.starts_at,
                ends_at=a.ends_at,
            )
            for p in prepared
            for a in p.assignments
        )
    except IntegrityError as exc:
        refusal = _database_refusal(exc)
        if refusal is None:
            raise
        raise refusal from exc
    return [p.session for p in prepared]


def book_placement(*, calendar=None, **kwargs) -> Session:
    """Validate and insert one session with its assignments. Raises 422 / 409; writes nothing then.

    Must run inside a transaction (the public services are atomic). `calendar` may be passed by a
    caller that loaded one for several sessions; it is kept current.
    """
    prepared = prepare_placement(calendar=calendar, **kwargs)
    (session,) = insert_prepared([prepared])
    if calendar is not None:
        hold_prepared(calendar, prepared)
    return session


@transaction.atomic
def session_book(
    *,
    clinic: Clinic,
    patient: Patient,
    shape: Shape,
    starts_at: dt.datetime,
    room: Room | None,
    staff: StaffChoice,
    by: StaffMember | None,
    now: dt.datetime | None = None,
) -> Session:
    """Book an ad-hoc session of `shape` at `starts_at`; `staff` fills `shape.needs` in order.

    422 (`RuleViolation`) names the failed availability rule; 409 (`Conflict`, code "overlap")
    lists every clash. Nothing is written on refusal.
    """
    check_same_clinic(clinic=clinic, patient=patient, room=room)
    session = book_placement(
        clinic=clinic,
        patient=patient,
        shape=shape,
        placement=Placement(
            starts_at=starts_at, room_id=room.pk if room else None, staff_ids=staff_in_need_order(shape, staff)
        ),
        by=by,
        now=now,
    )
    signals.session_booked.send(sender=Session, session=session)
    return session


def refuse_already_booked(planned: PlannedSession, *, meanwhile: bool = False) -> Conflict:
    if meanwhile:
        return Conflict(
            f"{planned.ordinal_name.capitalize()} was booked meanwhile.",
            code="already_booked",
            errors={"planned_session": ["This planned session is already booked."]},
        )
    return Conflict(
        f"{planned.ordinal_name.capitalize()} is {planned.status}, not to be booked.",
        code="already_booked",
        errors={"planned_session": ["This planned session is not to be booked."]},
    )


def prepare_planned_placement(
    *,
    enrollment: Enrollment,
    planned: PlannedSession,
    shape: Shape,
    placement: Placement,
    by: StaffMember | None,
    ctx: ProgramContext,
    now: dt.datetime | None = None,
    calendar=None,
) -> Prepared:
    """Every check of booking one planned session at `placement`: its template's rules, then those
    of any booking. Writes nothing."""
    if planned.status != PlannedSession.Status.TO_BOOK or planned.pk in ctx.booked:
        raise refuse_already_booked(planned)
    start = placement.starts_at
    violations = program_violations(ctx, planned, start, start + shape.block, telehealth=shape.telehealth)
    return prepare_placement(
        clinic=enrollment.clinic,
        patient=enrollment.patient,
        shape=shape,
        placement=placement,
        by=by,
        extra_violations=violations,
        now=now,
        calendar=calendar,
        planned_session=planned,
        enrollment=enrollment,
    )


def book_planned_placement(
    *,
    enrollment: Enrollment,
    planned: PlannedSession,
    shape: Shape,
    placement: Placement,
    by: StaffMember | None,
    ctx: ProgramContext,
    now: dt.datetime | None = None,
    calendar=None,
    plan_followups: bool = True,
) -> Session:
    """Book one planned session at `placement` under its template's rules; `ctx` is kept current.

    `plan_followups=False` leaves the follow-ups to a caller that plans a batch at once."""
    prepared = prepare_planned_placement(
        enrollment=enrollment,
        planned=planned,
        shape=shape,
        placement=placement,
        by=by,
        ctx=ctx,
        now=now,
        calendar=calendar,
    )
    (session,) = insert_prepared([prepared])
    if calendar is not None:
        hold_prepared(calendar, prepared)
    if not planned_session_mark_booked(planned_session=planned):
        raise refuse_already_booked(planned, meanwhile=True)
    planned.status = PlannedSession.Status.BOOKED
    ctx.place(planned.pk, session.block_starts_at, session.block_ends_at, session.pk)
    if plan_followups:
        signals.session_booked.send(sender=Session, session=session)
    return session


@transaction.atomic
def session_book_planned(
    *,
    planned_session: PlannedSession,
    starts_at: dt.datetime,
    room: Room | None,
    staff: StaffChoice,
    by: StaffMember | None,
    telehealth: bool = False,
    now: dt.datetime | None = None,
) -> Session:
    """Book one planned session of an enrollment: its step gives durations, staff needs (filled by
    `staff` in the order of the step's needs) and room requirements; its template, the rules."""
    enrollment = lock_active_enrollment(planned_session.enrollment_id)
    ctx = program_context_load(enrollment=enrollment)
    planned = ctx.planned[planned_session.pk]
    check_same_clinic(clinic=enrollment.clinic, patient=enrollment.patient, room=room)
    shape = planned_shape(planned, telehealth=telehealth)
    return book_planned_placement(
        enrollment=enrollment,
        planned=planned,
        shape=shape,
        placement=Placement(
            starts_at=starts_at,
            room_id=None if telehealth or room is None else room.pk,
            staff_ids=staff_in_need_order(shape, staff),
        ),
        by=by,
        ctx=ctx,
        now=now,
    )
