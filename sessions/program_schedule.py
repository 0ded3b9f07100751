"""Whole-program scheduling: a complete proposal for every to-book session of an enrollment.

A read: it places the plan in a calendar (tentatively holding each placement so the next avoid it)
and writes nothing; `sessions.services.enrollment_book_program` books what it proposes. Days of
the week and time of day are hard filters here (the patient said when they can come), while staff
and room preferences rank.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.utils import timezone

from kat_clinic.errors import RuleViolation
from programs.models import Enrollment, PlannedSession
from sessions.availability import Calendar
from sessions.calendar_loading import calendar_load
from sessions.placement import NO_PREFERENCES, Option, Preferences, first_fit, hold_option, slot_grid
from sessions.program_rules import ProgramContext, planned_shape, program_context_load
from sessions.timeutil import local_to_aware


def program_to_book(ctx: ProgramContext) -> list[PlannedSession]:
    """The planned sessions still to book, in plan order."""
    return [p for p in ctx.planned.values() if p.status == PlannedSession.Status.TO_BOOK and p.pk not in ctx.booked]


def program_window(
    ctx: ProgramContext, *, date_from: dt.date, horizon_days: int, now: dt.datetime
) -> tuple[dt.datetime, dt.datetime, dt.datetime]:
    """Where a proposal may start sessions, [start, end), and the end of the calendar it needs
    (the longest block past `end`)."""
    tz = ctx.enrollment.clinic.tz
    start = max(local_to_aware(date_from, dt.time(0), tz), now)
    end = local_to_aware(date_from + dt.timedelta(days=horizon_days), dt.time(0), tz)
    longest = max((p.step.block_minutes for p in program_to_book(ctx)), default=0)
    return start, end, end + dt.timedelta(minutes=longest)


@dataclass
class ProgramPlanItem:
    planned: PlannedSession
    option: Option


def program_schedule_propose(
    *,
    enrollment: Enrollment,
    date_from: dt.date,
    horizon_days: int = 56,
    prefs: Preferences = NO_PREFERENCES,
    now: dt.datetime | None = None,
    calendar: Calendar | None = None,
    context: ProgramContext | None = None,
) -> list[ProgramPlanItem]:
    """A complete schedule for every to-book session of the enrollment, in plan order, or a 422
    (`program_unschedulable`) naming the first step that could not be placed and why."""
    now = now or timezone.now()
    clinic = enrollment.clinic
    tz = clinic.tz
    ctx = context or program_context_load(enrollment=enrollment)
    to_book = program_to_book(ctx)
    start, end, calendar_end = program_window(ctx, date_from=date_from, horizon_days=horizon_days, now=now)
    cal = calendar or calendar_load(clinic=clinic, start=start, end=calendar_end, patient_ids=[enrollment.patient_id])
    grid = slot_grid(cal, start, end, cal.slot)
    if not to_book:
        return []

    any_preference = bool(prefs.weekdays) or prefs.earliest is not None or prefs.latest is not None

    def accept(t: dt.datetime) -> bool:
        if not any_preference:
            return True
        local = t.astimezone(tz)
        if prefs.weekdays and local.weekday() not in prefs.weekdays:
            return False
        clock = local.time()
        return (prefs.earliest is None or clock >= prefs.earliest) and (prefs.latest is None or clock <= prefs.latest)

    def place(planned: PlannedSession, floor: dt.datetime) -> tuple[Option | None, dict[str, int]]:
        candidates = grid[bisect.bisect_left(grid, floor) :]
        shape = planned_shape(planned)
        option, reasons = first_fit(
            cal=cal,
            ctx=ctx,
            planned=planned,
            shape=shape,
            patient_id=enrollment.patient_id,
            grid=candidates,
            prefs=prefs,
            accept=accept,
        )
        if option is None and planned.step.telehealth_allowed:
            option, more = first_fit(
                cal=cal,
                ctx=ctx,
                planned=planned,
                shape=planned_shape(planned, telehealth=True),
                patient_id=enrollment.patient_id,
                grid=candidates,
                prefs=prefs,
                accept=accept,
            )
            reasons = {k: reasons.get(k, 0) + more.get(k, 0) for k in {*reasons, *more}}
        return option, reasons

    def unschedulable(planned: PlannedSession, reasons: dict[str, int]) -> RuleViolation:
        why = max(reasons, key=reasons.get) if reasons else "horizon"
        return RuleViolation(
            f"Step '{planned.step.label}' ({planned.ordinal_name}) cannot be placed by "
            f"{(end.astimezone(tz).date() - dt.timedelta(days=1)).isoformat()}: {_REASONS.get(why, why)}.",
            code="program_unschedulable",
            errors={"planned_session": [f"{planned.ordinal_name.capitalize()} cannot be placed."]},
            planned_session=planned.pk,
            step=planned.step_id,
            sequence=planned.sequence,
            reason=why,
            refused_starts=reasons,
            placed=[plan_item_dict(i, tz) for i in plan],
        )

    def hold(planned: PlannedSession, option: Option) -> list:
        block_end = option.placement.starts_at + option.shape.block
        ctx.place(planned.pk, option.placement.starts_at, block_end, None)
        return hold_option(cal, option, enrollment.patient_id)

    def unhold(planned: PlannedSession, held: list) -> None:
        ctx.release(planned.pk)
        for bucket, busy in held:
            bucket.remove(busy)
        cal.touch()

    plan: list[ProgramPlanItem] = []
    index = 0
    while index < len(to_book):
        planned = to_book[index]
        # An integration follows its dosing in the plan: they are placed together, and if the
        # integration has no room in the window, the dosing moves to a later day (bounded retries).
        followers = []
        for nxt in to_book[index + 1 :]:
            if nxt.linked_dosing_id != planned.pk:
                break
            followers.append(nxt)
        floor = plan[-1].option.placement.starts_at + plan[-1].option.shape.block if plan else start
        if planned.linked_dosing_id and planned.linked_dosing_id in ctx.booked:
            floor = max(floor, ctx.booked[planned.linked_dosing_id].block_end + (planned.window_min or dt.timedelta(0)))
        for _attempt in range(MAX_DOSING_RETRIES):
            option, reasons = place(planned, floor)
            if option is None:
                raise unschedulable(planned, reasons)
            held = [(planned, hold(planned, option))]
            placed = [ProgramPlanItem(planned=planned, option=option)]
            failed = None
            for follower in followers:
                block_end = option.placement.starts_at + option.shape.block
                f_option, f_reasons = place(follower, block_end + (follower.window_min or dt.timedelta(0)))
                if f_option is None:
                    failed = (follower, f_reasons)
                    break
                held.append((follower, hold(follower, f_option)))
                placed.append(ProgramPlanItem(planned=follower, option=f_option))
            if failed is None:
                plan.extend(placed)
                break
            for item_planned, item_held in reversed(held):
                unhold(item_planned, item_held)
            next_day = option.placement.starts_at.astimezone(tz).date() + dt.timedelta(days=1)
            floor = local_to_aware(next_day, dt.time(0), tz)
        else:
            raise unschedulable(*failed)
        index += 1 + len(followers)
    return plan


MAX_DOSING_RETRIES = 14

_REASONS = {
    "preferences": "no start matches the patient's days and times",
    "no_free_room_or_staff": "no room or staff member is free",
    "integration_window": "its dosing session's integration window has no free slot",
    "dosing_weekly_cap": "the weekly cap of dosing sessions is reached",
    "dosing_min_gap": "the minimum gap between dosing sessions leaves no slot",
    "prep_before_first_dosing": "its preparation sessions are not placed first, or not long enough before",
    "prep_min_gap": "the minimum spacing between preparation sessions leaves no slot",
    "clinic_closed": "the clinic is closed",
    "horizon": "the horizon has no start left",
}


def plan_item_dict(item: ProgramPlanItem, tz) -> dict:
    return {"planned_session": item.planned.pk, "sequence": item.planned.sequence, **item.option.as_dict(tz)}


def program_schedule_dicts(plan: Sequence[ProgramPlanItem], tz) -> list[dict]:
    return [plan_item_dict(i, tz) for i in plan]
