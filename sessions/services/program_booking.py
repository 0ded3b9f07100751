"""Whole-program booking: book every to-book session of an enrollment as proposed, all or nothing."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from kat_clinic.errors import RuleViolation
from kat_clinic.models import StaffMember
from programs.models import Enrollment
from sessions import signals
from sessions.availability import calendar_load
from sessions.models import Session
from sessions.placement import NO_PREFERENCES, Preferences
from sessions.program_rules import program_context_load
from sessions.program_schedule import program_schedule_dicts, program_schedule_propose
from sessions.services.booking import book_planned_placement


@transaction.atomic
def enrollment_book_program(
    *,
    enrollment: Enrollment,
    date_from: dt.date,
    by: StaffMember | None,
    horizon_days: int = 56,
    prefs: Preferences = NO_PREFERENCES,
    preview: bool = False,
    now: dt.datetime | None = None,
) -> tuple[list[dict], list[Session]]:
    """Propose, and unless `preview`, book every to-book session of the enrollment: all or nothing.

    The enrollment row is locked so two clerks cannot book the same plan at once; any refusal of
    any session (422 or 409) rolls every booking of the call back.
    """
    enrollment = Enrollment.objects.select_for_update().select_related("clinic", "patient").get(pk=enrollment.pk)
    if enrollment.status != Enrollment.Status.ACTIVE:
        raise RuleViolation(
            "Only an active enrollment can be booked.",
            code="enrollment_not_active",
            errors={"enrollment": [f"The enrollment is {enrollment.status}."]},
        )
    now = now or timezone.now()
    ctx = program_context_load(enrollment=enrollment)
    plan = program_schedule_propose(
        enrollment=enrollment, date_from=date_from, horizon_days=horizon_days, prefs=prefs, now=now, context=ctx
    )
    proposal = program_schedule_dicts(plan, enrollment.clinic.tz)
    if preview:
        return proposal, []
    # Book against a fresh context and calendar (one load for the whole plan); every placement of
    # the proposal is re-checked as it is booked.
    booking_ctx = program_context_load(enrollment=enrollment)
    sessions: list[Session] = []
    if not plan:
        return proposal, sessions
    first = min(i.option.placement.starts_at for i in plan)
    last = max(i.option.placement.starts_at + i.option.shape.block for i in plan)
    booking_cal = calendar_load(
        clinic=enrollment.clinic,
        start=first,
        end=last,
        room_ids={i.option.placement.room_id for i in plan if i.option.placement.room_id},
        staff_ids={sid for i in plan for sid in i.option.placement.staff_ids},
        patient_ids=[enrollment.patient_id],
    )
    for item in plan:
        sessions.append(
            book_planned_placement(
                enrollment=enrollment,
                planned=item.planned,
                shape=item.option.shape,
                placement=item.option.placement,
                by=by,
                ctx=booking_ctx,
                now=now,
                calendar=booking_cal,
                plan_followups=False,
            )
        )
    # Reminders and scale requests for the whole plan are planned by the receivers, in one write.
    signals.program_booked.send(sender=Session, sessions=sessions)
    return proposal, sessions
