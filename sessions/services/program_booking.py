"""Whole-program booking: book every to-book session of an enrollment as proposed, all or nothing."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone

from kat_clinic.errors import RuleViolation
from kat_clinic.models import StaffMember
from programs.models import Enrollment
from programs.services import planned_sessions_mark_booked
from sessions import signals
from sessions.calendar_loading import calendar_load
from sessions.models import Session
from sessions.placement import NO_PREFERENCES, Preferences
from sessions.program_rules import program_context_load
from sessions.program_schedule import program_schedule_dicts, program_schedule_propose, program_window
from sessions.services.booking import hold_prepared, insert_prepared, prepare_planned_placement, refuse_already_booked


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
    # One read of the plan and one of the calendar for the whole window: the proposal places the
    # plan in copies of both, booking re-checks every placement against the originals.
    ctx = program_context_load(enrollment=enrollment)
    start, _, calendar_end = program_window(ctx, date_from=date_from, horizon_days=horizon_days, now=now)
    cal = calendar_load(clinic=enrollment.clinic, start=start, end=calendar_end, patient_ids=[enrollment.patient_id])
    plan = program_schedule_propose(
        enrollment=enrollment,
        date_from=date_from,
        horizon_days=horizon_days,
        prefs=prefs,
        now=now,
        context=ctx.fork(),
        calendar=cal.fork(),
    )
    proposal = program_schedule_dicts(plan, enrollment.clinic.tz)
    if preview or not plan:
        return proposal, []
    prepared = []
    for item in plan:
        one = prepare_planned_placement(
            enrollment=enrollment,
            planned=item.planned,
            shape=item.option.shape,
            placement=item.option.placement,
            by=by,
            ctx=ctx,
            now=now,
            calendar=cal,
        )
        # The next sessions of the plan are checked against this one (the rules and the calendar).
        hold_prepared(cal, one)
        ctx.place(item.planned.pk, one.session.block_starts_at, one.session.block_ends_at, None)
        prepared.append(one)
    # Every session, then every assignment, in one statement each; the exclusion constraints judge
    # each row (a clash only they saw is the same 409), and the plan's rows move to booked at once.
    sessions = insert_prepared(prepared)
    refused = planned_sessions_mark_booked(planned_sessions=[item.planned for item in plan])
    if refused:
        raise refuse_already_booked(refused[0], meanwhile=True)
    # Reminders and scale requests for the whole plan are planned by the receivers, in one write.
    signals.program_booked.send(sender=Session, sessions=sessions)
    return proposal, sessions
