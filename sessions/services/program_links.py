"""What a booking means to the enrollment it belongs to: the program's rules, the planned session's
status. Called by booking, rescheduling and the status machine, in their transaction."""

from __future__ import annotations

import datetime as dt

from kat_clinic.errors import RuleViolation
from programs.models import Enrollment
from programs.services import (
    planned_session_mark_booked,
    planned_session_mark_completed,
    planned_session_mark_to_book,
)
from sessions.availability import Need, Shape, Violation
from sessions.models import Session
from sessions.program_rules import planned_shape, program_context_load, program_violations


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


def shape_for(session: Session) -> Shape:
    if session.planned_session_id:
        return planned_shape(session.planned_session, telehealth=session.telehealth)
    return session_shape(session)


def program_fields(session: Session) -> dict:
    return {"planned_session_id": session.planned_session_id, "enrollment_id": session.enrollment_id}


def program_refusals_for(*, session: Session, shape: Shape, starts_at: dt.datetime) -> list[Violation]:
    if not session.planned_session_id:
        return []
    ctx = program_context_load(enrollment=session.enrollment, exclude_session_ids=[session.pk])
    planned = ctx.planned[session.planned_session_id]
    return program_violations(ctx, planned, starts_at, starts_at + shape.block, telehealth=shape.telehealth)


def program_after_book(*, session: Session) -> None:
    if session.planned_session_id:
        planned_session_mark_booked(planned_session=session.planned_session)


def program_after_release(*, session: Session) -> None:
    if session.planned_session_id:
        planned_session_mark_to_book(planned_session=session.planned_session)


def program_after_complete(*, session: Session) -> None:
    if session.planned_session_id:
        planned_session_mark_completed(planned_session=session.planned_session)


def lock_active_enrollment(enrollment_id: int) -> Enrollment:
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
