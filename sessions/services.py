"""Write paths for sessions: booking, the status machine, cancellation, no-show, rescheduling.

Every service is atomic. A status change is one conditional UPDATE (`... WHERE status IN (...)`),
so two clerks pressing "check in" at once change the row once, and the staff assignments' `active`
flag is updated in the same transaction, so the exclusion constraints always see both agree.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.utils import timezone

from integration.planners import (
    followups_after_dosing_completed,
    followups_cancel_for_session,
    followups_plan_for_session,
)
from kat_clinic.api.errors import Conflict, RuleViolation
from kat_clinic.api.exceptions import CHECK_VIOLATION, EXCLUSION_VIOLATION, UNIQUE_VIOLATION, pg_error
from kat_clinic.models import Clinic, Patient, Room, StaffMember
from monitoring.services import session_discharge_check
from programs.choices import SessionKind, StaffMode
from programs.models import Enrollment, PlannedSession
from programs.services import (
    planned_session_mark_booked,
    planned_session_mark_completed,
    planned_session_mark_to_book,
)
from sessions.availability import (
    Busy,
    Need,
    Placement,
    Shape,
    Violation,
    calendar_load,
    placement_is_free,
    placement_lanes,
    placement_violations,
)
from sessions.conflicts import Proposal, ProposedAssignment, find_conflicts, python_check_enabled
from sessions.models import SchedulingPolicy, Session, StaffAssignment
from sessions.program_rules import ProgramContext, planned_shape, program_context_load, program_violations
from sessions.timeutil import overlaps

S = Session.Status

DEFAULT_LATE_CANCEL_HOURS = 24

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


def _late_cancel_window(clinic: Clinic) -> dt.timedelta:
    hours = (
        SchedulingPolicy.objects.filter(clinic=clinic).values_list("late_cancel_hours", flat=True).first()
        or DEFAULT_LATE_CANCEL_HOURS
    )
    return dt.timedelta(hours=hours)


# --- what a booking change means to other apps (same transaction) -----------------------------


def _followups_plan_after_booking(*, session: Session) -> None:
    """Reminders (with preparation instructions) and no-show review: outbox rows in this transaction."""
    followups_plan_for_session(session=session)


def _followups_replan_after_cancel(*, session: Session) -> None:
    """A cancelled, absent or moved booking withdraws its pending follow-ups in this transaction."""
    followups_cancel_for_session(session=session)


def _discharge_criteria_check(*, session: Session) -> None:
    """Charting's discharge criteria (monitoring time, vitals, MOAA/S, escort) gate completion: 422."""
    session_discharge_check(session=session)


# --- booking -----------------------------------------------------------------------------------


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


def _check_same_clinic(*, clinic: Clinic, patient: Patient, room: Room | None) -> None:
    violations = []
    if patient.home_clinic_id != clinic.pk:
        violations.append(Violation("patient_not_in_clinic", "patient", "The patient does not belong to this clinic."))
    if room is not None and room.clinic_id != clinic.pk:
        violations.append(Violation("room_not_in_clinic", "room", "The room does not belong to this clinic."))
    raise_rule_violations(violations)


def book_placement(
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
) -> Session:
    """Validate and insert one session with its assignments. Raises 422 / 409; writes nothing then.

    Must run inside a transaction (the public services are atomic). `calendar` may be passed by
    whole-program booking, which loads one calendar for all its sessions.
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
    # A shared calendar (whole-program booking) was loaded in this transaction with the enrollment
    # locked and is kept current as the plan is booked: when it says nothing clashes, the finder's
    # two queries are skipped (the database keeps the last word). Only a clash needs its list.
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

    # No savepoint: a refusal here aborts the whole booking anyway (the caller is atomic).
    try:
        session = Session.objects.create(
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
        StaffAssignment.objects.bulk_create(
            StaffAssignment(
                session=session,
                staff_id=a.staff_id,
                role=a.role,
                mode=a.mode,
                lane=a.lane,
                starts_at=a.starts_at,
                ends_at=a.ends_at,
            )
            for a in assignments
        )
    except IntegrityError as exc:
        refusal = _database_refusal(exc)
        if refusal is None:
            raise
        raise refusal from exc

    if calendar is not None:
        # Keep the shared calendar current for the next sessions of a whole-program booking.
        cal.touch()
        if room_id is not None:
            cal.room_busy.setdefault(room_id, []).append(Busy(start, block_end, session.pk))
        cal.patient_busy.setdefault(patient.pk, []).append(Busy(start, block_end, session.pk))
        for a in assignments:
            if a.mode != StaffMode.PRESENT:
                cal.staff_busy.setdefault(a.staff_id, []).append(Busy(a.starts_at, a.ends_at, session.pk, a.lane))
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
    _check_same_clinic(clinic=clinic, patient=patient, room=room)
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
    _followups_plan_after_booking(session=session)
    return session


# --- the status machine ------------------------------------------------------------------------


def _refuse_transition(session_id: int, action: str) -> None:
    current = Session.objects.filter(pk=session_id).values_list("status", flat=True).first()
    raise Conflict(
        f"A session that is {current} cannot be {action}.",
        code="illegal_transition",
        errors={"status": [f"Cannot {action} from {current}."]},
        status=current,
    )


def _transition(*, session_id: int, allowed: Sequence[str], target: str, action: str, **fields) -> tuple[Session, bool]:
    """(session, changed): changed is False when a repeated request finds the work already done."""
    updated = Session.objects.filter(pk=session_id, status__in=allowed).update(status=target, **fields)
    if not updated:
        current = Session.objects.filter(pk=session_id).values_list("status", flat=True).first()
        if current != target:
            _refuse_transition(session_id, action)
    return Session.objects.get(pk=session_id), bool(updated)


@transaction.atomic
def session_check_in(*, session_id: int, by: StaffMember | None = None) -> Session:
    """scheduled -> checked_in. Repeating it is a no-op; any other state is 409."""
    session, _ = _transition(
        session_id=session_id,
        allowed=[S.SCHEDULED],
        target=S.CHECKED_IN,
        action="checked in",
        checked_in_at=timezone.now(),
    )
    return session


@transaction.atomic
def session_start(*, session_id: int, by: StaffMember | None = None) -> Session:
    """checked_in -> in_progress. Repeating it is a no-op; any other state is 409."""
    session, _ = _transition(
        session_id=session_id,
        allowed=[S.CHECKED_IN],
        target=S.IN_PROGRESS,
        action="started",
        started_at=timezone.now(),
    )
    return session


@transaction.atomic
def session_complete(*, session_id: int, by: StaffMember | None = None) -> Session:
    """in_progress -> completed, once discharge criteria allow it. Repeating it is a no-op."""
    session = Session.objects.select_for_update().get(pk=session_id)
    if session.status == S.IN_PROGRESS:
        _discharge_criteria_check(session=session)
    session, changed = _transition(
        session_id=session_id,
        allowed=[S.IN_PROGRESS],
        target=S.COMPLETED,
        action="completed",
        completed_at=timezone.now(),
    )
    if changed:
        _program_after_complete(session=session)
        if session.kind == SessionKind.DOSING:
            # Integration window watch, next-day check-in, REMS form due, booster: outbox rows.
            followups_after_dosing_completed(session=session)
    return session


def _deactivate(session_id: int) -> None:
    StaffAssignment.objects.filter(session_id=session_id, active=True).update(active=False)


@transaction.atomic
def session_cancel(*, session_id: int, by: StaffMember | None, reason: str, now: dt.datetime | None = None) -> Session:
    """scheduled / checked_in -> cancelled, freeing room, patient and staff. Late if inside the
    clinic's late-cancel window. Cancelling a cancelled session is a no-op; other states are 409."""
    now = now or timezone.now()
    session = Session.objects.select_related("clinic").get(pk=session_id)
    reason = reason.strip()
    if not reason:
        raise RuleViolation(
            "Say why the session is cancelled.", code="reason_required", errors={"reason": ["This field is required."]}
        )
    late = session.starts_at - now < _late_cancel_window(session.clinic)
    updated = Session.objects.filter(pk=session_id, status__in=[S.SCHEDULED, S.CHECKED_IN]).update(
        status=S.CANCELLED,
        active=False,
        cancelled_at=now,
        cancelled_by=by,
        cancellation_reason=reason,
        late_cancel=late,
    )
    if not updated:
        if session.status == S.CANCELLED:
            return session
        _refuse_transition(session_id, "cancelled")
    _deactivate(session_id)
    session.refresh_from_db()
    _program_after_release(session=session)
    _followups_replan_after_cancel(session=session)
    return session


@transaction.atomic
def session_mark_no_show(*, session_id: int, by: StaffMember | None, now: dt.datetime | None = None) -> Session:
    """scheduled -> no_show, once the session's start has passed. Repeating it is a no-op."""
    now = now or timezone.now()
    session = Session.objects.get(pk=session_id)
    if session.status == S.SCHEDULED and now < session.starts_at:
        raise RuleViolation(
            "A patient cannot be marked absent before the session starts.",
            code="no_show_before_start",
            errors={"status": ["The session has not started yet."]},
        )
    session, changed = _transition(
        session_id=session_id,
        allowed=[S.SCHEDULED],
        target=S.NO_SHOW,
        action="marked no-show",
        active=False,
        no_show_at=now,
        no_show_by=by,
    )
    if not changed:
        return session
    _deactivate(session_id)
    _program_after_release(session=session)
    _followups_replan_after_cancel(session=session)
    return session


def session_shape(session: Session) -> Shape:
    """The shape of an existing session, read back from its times and assignments."""
    start = session.block_starts_at
    needs = tuple(
        Need(a.role, a.mode, a.starts_at - start, a.ends_at - start)
        for a in sorted(session.assignments.all(), key=lambda a: a.pk)
    )
    return Shape(
        kind=session.kind,
        session_minutes=int((session.ends_at - session.starts_at).total_seconds() // 60),
        block_minutes=int((session.block_ends_at - session.block_starts_at).total_seconds() // 60),
        needs=needs,
        telehealth=session.telehealth,
    )


@transaction.atomic
def session_reschedule(
    *,
    session_id: int,
    starts_at: dt.datetime,
    room: Room | None = None,
    staff: StaffChoice | None = None,
    by: StaffMember | None,
    now: dt.datetime | None = None,
) -> Session:
    """Move a scheduled session: the old one is cancelled (reason "rescheduled", never late) and a
    new one is booked with the same needs, `rescheduled_from` pointing back. All or nothing."""
    now = now or timezone.now()
    old = Session.objects.select_for_update().select_related("clinic", "patient").get(pk=session_id)
    if old.status != S.SCHEDULED:
        _refuse_transition(session_id, "rescheduled")
    shape = _shape_for(old)
    staff_ids = (
        staff_in_need_order(shape, staff)
        if staff is not None
        else tuple(a.staff_id for a in sorted(old.assignments.all(), key=lambda a: a.pk))
    )
    room_id = room.pk if room is not None else old.room_id
    if room is not None:
        _check_same_clinic(clinic=old.clinic, patient=old.patient, room=room)
    program_refusals = _program_violations(session=old, shape=shape, starts_at=starts_at)
    # Only when the integration's window is all that stands in the way is a joint move worth offering.
    if (
        program_refusals
        and all(v.rule == "integration_window" for v in program_refusals)
        and old.kind == SessionKind.DOSING
    ):
        _refuse_with_joint_move(
            old=old, starts_at=starts_at, room_id=room_id, staff_ids=staff_ids, now=now, violations=program_refusals
        )
    Session.objects.filter(pk=old.pk).update(
        status=S.CANCELLED,
        active=False,
        cancelled_at=now,
        cancelled_by=by,
        cancellation_reason="rescheduled",
        late_cancel=False,
    )
    _deactivate(old.pk)
    _program_after_release(session=old)
    new = book_placement(
        clinic=old.clinic,
        patient=old.patient,
        shape=shape,
        placement=Placement(starts_at=starts_at, room_id=room_id, staff_ids=staff_ids),
        by=by,
        now=now,
        extra_violations=program_refusals,
        rescheduled_from=old,
        **_program_fields(old),
    )
    _program_after_book(session=new)
    _followups_replan_after_cancel(session=old)
    _followups_plan_after_booking(session=new)
    return new


def _refuse_with_joint_move(
    *, old: Session, starts_at: dt.datetime, room_id: int | None, staff_ids, now, violations: list[Violation]
) -> None:
    """Moving a dosing session moves its integration's window: refuse, and offer moves for both."""
    from sessions.search import dosing_move_proposal

    proposal = dosing_move_proposal(dosing=old, starts_at=starts_at, room_id=room_id, staff_ids=staff_ids, now=now)
    errors: dict[str, list[str]] = {}
    for v in violations:
        errors.setdefault(v.field, []).append(v.message)
    raise RuleViolation(
        "Its integration session would leave its window; move both together"
        + (" (see proposal)." if proposal else ", but the new window has no free slot."),
        code="integration_window",
        errors=errors,
        proposal=proposal,
    )


@dataclass(frozen=True)
class Move:
    session_id: int
    starts_at: dt.datetime
    room_id: int | None
    staff_ids: StaffChoice
    telehealth: bool = False


@transaction.atomic
def sessions_reschedule_together(
    *, moves: Sequence[Move], by: StaffMember | None, now: dt.datetime | None = None
) -> list[Session]:
    """Move several scheduled sessions of one patient at once (a dosing and its integration): every
    old one is cancelled first, then the new ones are booked in time order under every rule. All or
    nothing."""
    now = now or timezone.now()
    ids = sorted({m.session_id for m in moves})
    # Locks in primary-key order, so two joint moves cannot deadlock.
    olds = {s.pk: s for s in Session.objects.select_for_update().filter(pk__in=ids).order_by("pk")}
    if len(olds) != len(ids) or len({s.patient_id for s in olds.values()}) != 1:
        raise RuleViolation(
            "Moves must name existing sessions of one patient.",
            code="invalid_moves",
            errors={"moves": ["Name sessions of one patient, each once."]},
        )
    for s in olds.values():
        if s.status != S.SCHEDULED:
            _refuse_transition(s.pk, "rescheduled")
    shapes = {}
    for move in moves:
        old = olds[move.session_id]
        # The move says whether the session is held by telehealth, for planned and ad-hoc alike.
        shapes[move.session_id] = (
            planned_shape(old.planned_session, telehealth=move.telehealth)
            if old.planned_session_id
            else dataclasses.replace(_shape_for(old), telehealth=move.telehealth)
        )
    Session.objects.filter(pk__in=ids).update(
        status=S.CANCELLED,
        active=False,
        cancelled_at=now,
        cancelled_by=by,
        cancellation_reason="rescheduled",
        late_cancel=False,
    )
    StaffAssignment.objects.filter(session_id__in=ids, active=True).update(active=False)
    for old in olds.values():
        _program_after_release(session=old)
    first = next(iter(olds.values()))
    enrollment = _lock_active_enrollment(first.enrollment_id) if first.enrollment_id else None
    ctx = program_context_load(enrollment=enrollment) if enrollment else None
    booked = []
    for move in sorted(moves, key=lambda m: m.starts_at):
        old = olds[move.session_id]
        shape = shapes[move.session_id]
        placement = Placement(
            starts_at=move.starts_at,
            room_id=None if shape.telehealth else move.room_id,
            staff_ids=staff_in_need_order(shape, move.staff_ids),
        )
        if old.planned_session_id and ctx is not None:
            planned = ctx.planned[old.planned_session_id]
            planned.status = PlannedSession.Status.TO_BOOK
            new = book_planned_placement(
                enrollment=enrollment,
                planned=planned,
                shape=shape,
                placement=placement,
                by=by,
                ctx=ctx,
                now=now,
            )
        else:
            new = book_placement(
                clinic=old.clinic,
                patient=old.patient,
                shape=shape,
                placement=placement,
                by=by,
                now=now,
            )
        Session.objects.filter(pk=new.pk).update(rescheduled_from=old)
        new.rescheduled_from = old
        booked.append(new)
    return booked


# --- program links ------------------------------------------------------------------------------


def _shape_for(session: Session) -> Shape:
    if session.planned_session_id:
        return planned_shape(session.planned_session, telehealth=session.telehealth)
    return session_shape(session)


def _program_fields(session: Session) -> dict:
    return {"planned_session_id": session.planned_session_id, "enrollment_id": session.enrollment_id}


def _program_violations(*, session: Session, shape: Shape, starts_at: dt.datetime) -> list[Violation]:
    if not session.planned_session_id:
        return []
    ctx = program_context_load(enrollment=session.enrollment, exclude_session_ids=[session.pk])
    planned = ctx.planned[session.planned_session_id]
    return program_violations(ctx, planned, starts_at, starts_at + shape.block, telehealth=shape.telehealth)


def _program_after_book(*, session: Session) -> None:
    if session.planned_session_id:
        planned_session_mark_booked(planned_session=session.planned_session)


def _program_after_release(*, session: Session) -> None:
    if session.planned_session_id:
        planned_session_mark_to_book(planned_session=session.planned_session)


def _program_after_complete(*, session: Session) -> None:
    if session.planned_session_id:
        planned_session_mark_completed(planned_session=session.planned_session)


def _lock_active_enrollment(enrollment_id: int) -> Enrollment:
    # Gap and weekly-cap rules read the enrollment's other bookings: locking the enrollment row
    # serialises bookings of one plan, so two clerks cannot each add "the second dosing this week".
    enrollment = Enrollment.objects.select_for_update().select_related("clinic", "patient").get(pk=enrollment_id)
    if enrollment.status != Enrollment.Status.ACTIVE:
        raise RuleViolation(
            "Only an active enrollment can be booked.",
            code="enrollment_not_active",
            errors={"enrollment": [f"The enrollment is {enrollment.status}."]},
        )
    return enrollment


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
    if planned.status != PlannedSession.Status.TO_BOOK or planned.pk in ctx.booked:
        raise Conflict(
            f"Planned session #{planned.sequence} is {planned.status}, not to be booked.",
            code="already_booked",
            errors={"planned_session": ["This planned session is not to be booked."]},
        )
    start = placement.starts_at
    violations = program_violations(ctx, planned, start, start + shape.block, telehealth=shape.telehealth)
    session = book_placement(
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
    if not planned_session_mark_booked(planned_session=planned):
        raise Conflict(
            f"Planned session #{planned.sequence} was booked meanwhile.",
            code="already_booked",
            errors={"planned_session": ["This planned session is already booked."]},
        )
    planned.status = PlannedSession.Status.BOOKED
    ctx.place(planned.pk, start, start + shape.block, session.pk)
    if plan_followups:
        _followups_plan_after_booking(session=session)
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
    enrollment = _lock_active_enrollment(planned_session.enrollment_id)
    ctx = program_context_load(enrollment=enrollment)
    planned = ctx.planned[planned_session.pk]
    _check_same_clinic(clinic=enrollment.clinic, patient=enrollment.patient, room=room)
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
