"""Moving booked sessions: one session (cancel and rebook, all or nothing), or several of one
patient together (a dosing and its integration)."""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from kat_clinic.errors import RuleViolation
from kat_clinic.models import Room, StaffMember
from programs.choices import SessionKind
from programs.models import PlannedSession
from sessions import signals
from sessions.availability import Placement, Violation
from sessions.models import Session, StaffAssignment
from sessions.move_proposals import dosing_move_proposal
from sessions.program_rules import planned_shape, program_context_load
from sessions.services.booking import (
    StaffChoice,
    book_placement,
    book_planned_placement,
    check_same_clinic,
    staff_in_need_order,
)
from sessions.services.program_links import (
    lock_active_enrollment,
    program_after_book,
    program_after_release,
    program_fields,
    program_refusals_for,
    shape_for,
)
from sessions.services.status import deactivate_assignments, refuse_transition

Status = Session.Status


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
    if old.status != Status.SCHEDULED:
        refuse_transition(session_id, "rescheduled")
    shape = shape_for(old)
    staff_ids = (
        staff_in_need_order(shape, staff)
        if staff is not None
        else tuple(a.staff_id for a in sorted(old.assignments.all(), key=lambda a: a.pk))
    )
    room_id = room.pk if room is not None else old.room_id
    if room is not None:
        check_same_clinic(clinic=old.clinic, patient=old.patient, room=room)
    program_refusals = program_refusals_for(session=old, shape=shape, starts_at=starts_at)
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
        status=Status.CANCELLED,
        active=False,
        cancelled_at=now,
        cancelled_by=by,
        cancellation_reason="rescheduled",
        late_cancel=False,
    )
    deactivate_assignments(old.pk)
    program_after_release(session=old)
    new = book_placement(
        clinic=old.clinic,
        patient=old.patient,
        shape=shape,
        placement=Placement(starts_at=starts_at, room_id=room_id, staff_ids=staff_ids),
        by=by,
        now=now,
        extra_violations=program_refusals,
        rescheduled_from=old,
        **program_fields(old),
    )
    program_after_book(session=new)
    signals.session_released.send(sender=Session, session=old)
    signals.session_booked.send(sender=Session, session=new)
    return new


def _refuse_with_joint_move(
    *, old: Session, starts_at: dt.datetime, room_id: int | None, staff_ids, now, violations: list[Violation]
) -> None:
    """Moving a dosing session moves its integration's window: refuse, and offer moves for both."""
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
        if s.status != Status.SCHEDULED:
            refuse_transition(s.pk, "rescheduled")
    shapes = {}
    for move in moves:
        old = olds[move.session_id]
        # The move says whether the session is held by telehealth, for planned and ad-hoc alike.
        shapes[move.session_id] = (
            planned_shape(old.planned_session, telehealth=move.telehealth)
            if old.planned_session_id
            else dataclasses.replace(shape_for(old), telehealth=move.telehealth)
        )
    Session.objects.filter(pk__in=ids).update(
        status=Status.CANCELLED,
        active=False,
        cancelled_at=now,
        cancelled_by=by,
        cancellation_reason="rescheduled",
        late_cancel=False,
    )
    StaffAssignment.objects.filter(session_id__in=ids, active=True).update(active=False)
    for old in olds.values():
        program_after_release(session=old)
    first = next(iter(olds.values()))
    enrollment = lock_active_enrollment(first.enrollment_id) if first.enrollment_id else None
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
