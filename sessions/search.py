"""Availability search and whole-program booking.

Both load one calendar for the whole range (a fixed handful of queries, however long the range)
and then try candidate starts on the clinic's slot grid in pure Python: for each start, the first
room and the first staff member per need that fit, preferred ones tried first.

Preferences: in the search they only rank (every feasible option is eligible, those matching more
preferences first, then the earliest). In whole-program booking, days of the week and time of day
are hard filters (the patient said when they can come), while staff and room preferences rank.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from kat_clinic.api.errors import RuleViolation
from kat_clinic.models import Clinic, Patient, StaffMember
from programs.choices import StaffMode
from programs.models import Enrollment, PlannedSession
from sessions.availability import (
    Busy,
    Calendar,
    Placement,
    Shape,
    calendar_load,
    credential_problem,
    free_lane,
    overlapping,
    placement_is_free,
    placement_lanes,
    placement_violations,
)
from sessions.models import SchedulingPolicy, Session
from sessions.program_rules import ProgramContext, planned_shape, program_context_load, program_violations
from sessions.timeutil import covers, local_days, local_to_aware, overlaps

DEFAULT_SLOT_MINUTES = 15
MAX_SEARCH_DAYS = 62


@dataclass(frozen=True)
class Preferences:
    staff_ids: frozenset[int] = frozenset()
    room_ids: frozenset[int] = frozenset()
    weekdays: frozenset[int] = frozenset()  # 0 = Monday
    earliest: dt.time | None = None  # local time of day the session may start from
    latest: dt.time | None = None  # local time of day the session must start by


@dataclass
class Option:
    placement: Placement
    shape: Shape
    score: int
    lanes: tuple[int | None, ...] = field(default=())

    def as_dict(self, tz) -> dict:
        start = self.placement.starts_at
        return {
            "starts_at": start.astimezone(tz).isoformat(),
            "ends_at": (start + dt.timedelta(minutes=self.shape.session_minutes)).astimezone(tz).isoformat(),
            "block_ends_at": (start + self.shape.block).astimezone(tz).isoformat(),
            "room": self.placement.room_id,
            "telehealth": self.shape.telehealth,
            "staff": [
                {"role": need.role, "mode": need.mode, "staff": staff_id}
                for need, staff_id in zip(self.shape.needs, self.placement.staff_ids, strict=True)
            ],
            "score": self.score,
        }


def _slot(clinic: Clinic) -> dt.timedelta:
    minutes = SchedulingPolicy.objects.filter(clinic=clinic).values_list("slot_minutes", flat=True).first()
    return dt.timedelta(minutes=minutes or DEFAULT_SLOT_MINUTES)


def _grid(cal: Calendar, start: dt.datetime, end: dt.datetime, slot: dt.timedelta) -> list[dt.datetime]:
    """Starts on the local slot grid in [start, end). Local midnight is the anchor of each day."""
    starts = []
    for day in local_days(start, end, cal.tz):
        # UTC instants: every later comparison then stays within one tzinfo (much faster).
        t = local_to_aware(day, dt.time(0), cal.tz).astimezone(dt.UTC)
        next_day = local_to_aware(day + dt.timedelta(days=1), dt.time(0), cal.tz).astimezone(dt.UTC)
        while t < next_day:
            if start <= t < end:
                starts.append(t)
            t += slot
    return starts


class _Finder:
    """Picks rooms and staff for a shape at a given start, against one calendar."""

    def __init__(self, cal: Calendar, shape: Shape, patient_id: int, prefs: Preferences) -> None:
        self.cal, self.shape, self.patient_id, self.prefs = cal, shape, patient_id, prefs
        self.rooms = sorted(
            (
                r
                for r in cal.rooms.values()
                if (not shape.room_kind or r.kind == shape.room_kind)
                and (not shape.room_capability or shape.room_capability in r.capabilities)
            ),
            key=lambda r: (r.pk not in prefs.room_ids, r.name, r.pk),
        )
        self.staff_by_need = [
            sorted(
                (sid for sid, roles in cal.roles.items() if need.role in roles),
                key=lambda sid: (sid not in prefs.staff_ids, sid),
            )
            for need in shape.needs
        ]
        self._credentials: dict[tuple[int, str, dt.date], bool] = {}

    def _credentialed(self, staff_id: int, role: str, day: dt.date) -> bool:
        key = (staff_id, role, day)
        if key not in self._credentials:
            self._credentials[key] = credential_problem(self.cal, staff_id, role, day) is None
        return self._credentials[key]

    def _free(self, busy: list[Busy], a: dt.datetime, b: dt.datetime) -> bool:
        return not overlapping(self.cal, busy, a, b)

    def _staff_overlapping(self, sid: int, held: dict[int, list[Busy]], a: dt.datetime, b: dt.datetime) -> list[Busy]:
        found = overlapping(self.cal, self.cal.staff_busy.get(sid, []), a, b)
        extra = held.get(sid)
        if extra:
            found = found + [x for x in extra if overlaps(x.start, x.end, a, b)]
        return found

    def place(self, start: dt.datetime) -> Option | None:
        cal, shape = self.cal, self.shape
        end = start + shape.block
        if not self._free(cal.patient_busy.get(self.patient_id, []), start, end):
            return None
        if any(overlaps(s, e, start, end) for s, e in cal.closures):
            return None
        day = start.astimezone(cal.tz).date()
        if shape.requires_rems and not any(f <= day <= t for f, t in cal.rems_days):
            return None
        room_id = None
        if not shape.telehealth:
            for room in self.rooms:
                opened = cal.room_open.get(room.pk, [])
                if covers(opened, start, end, cal.open_starts(("room", room.pk), opened)) and self._free(
                    cal.room_busy.get(room.pk, []), start, end
                ):
                    room_id = room.pk
                    break
            if room_id is None:
                return None
        chosen: list[int] = []
        lanes: list[int | None] = []
        held: dict[int, list[Busy]] = {}
        for need, candidates in zip(shape.needs, self.staff_by_need, strict=True):
            a, b = start + need.start_offset, start + need.end_offset
            picked = None
            for sid in candidates:
                if sid in chosen or not self._credentialed(sid, need.role, day):
                    continue
                opened = cal.staff_open.get(sid, [])
                if not covers(opened, a, b, cal.open_starts(("staff", sid), opened)):
                    continue
                busy = self._staff_overlapping(sid, held, a, b)
                if need.mode == StaffMode.EXCLUSIVE:
                    if busy:
                        continue
                    lane = None
                elif need.mode == StaffMode.SHARED:
                    lane = free_lane(busy, a, b, cal.clinic.nurse_shared_capacity)
                    if lane is None:
                        continue
                else:
                    lane = None
                picked = sid
                lanes.append(lane)
                if need.mode != StaffMode.PRESENT:
                    held.setdefault(sid, []).append(Busy(a, b, 0, lane))
                break
            if picked is None:
                return None
            chosen.append(picked)
        placement = Placement(starts_at=start, room_id=room_id, staff_ids=tuple(chosen))
        return Option(placement=placement, shape=shape, score=self.score(placement), lanes=tuple(lanes))

    def score(self, placement: Placement) -> int:
        prefs, local = self.prefs, placement.starts_at.astimezone(self.cal.tz)
        score = sum(1 for sid in placement.staff_ids if sid in prefs.staff_ids)
        score += int(placement.room_id is not None and placement.room_id in prefs.room_ids)
        score += int(bool(prefs.weekdays) and local.weekday() in prefs.weekdays)
        score += int(bool(prefs.earliest or prefs.latest) and self.in_time_of_day(local))
        return score

    def in_time_of_day(self, local: dt.datetime) -> bool:
        clock = local.time()
        return (self.prefs.earliest is None or clock >= self.prefs.earliest) and (
            self.prefs.latest is None or clock <= self.prefs.latest
        )


def _check_range(date_from: dt.date, date_to: dt.date) -> None:
    if date_to < date_from or (date_to - date_from).days > MAX_SEARCH_DAYS:
        raise RuleViolation(
            f"Search between 1 and {MAX_SEARCH_DAYS} days.",
            code="search_range",
            errors={"date_to": [f"Must be on or after date_from and at most {MAX_SEARCH_DAYS} days later."]},
        )


def availability_search(
    *,
    clinic: Clinic,
    patient: Patient,
    shape: Shape,
    date_from: dt.date,
    date_to: dt.date,
    prefs: Preferences = Preferences(),
    planned: PlannedSession | None = None,
    limit: int = 10,
    now: dt.datetime | None = None,
) -> list[dict]:
    """Feasible options (start, room, staff) between two local dates inclusive, best first.

    Every rule of booking holds for each option (availability, licences, rooms, program rules of
    `planned`). About a dozen queries, whatever the range.
    """
    _check_range(date_from, date_to)
    now = now or timezone.now()
    tz = clinic.tz
    start = max(local_to_aware(date_from, dt.time(0), tz), now)
    end = local_to_aware(date_to + dt.timedelta(days=1), dt.time(0), tz)
    cal = calendar_load(clinic=clinic, start=start, end=end + shape.block, patient_ids=[patient.pk])
    ctx = program_context_load(enrollment=planned.enrollment) if planned is not None else None
    finder = _Finder(cal, shape, patient.pk, prefs)
    options: list[Option] = []
    for t in _grid(cal, start, end, _slot(clinic)):
        if ctx is not None and program_violations(ctx, planned, t, t + shape.block, telehealth=shape.telehealth):
            continue
        option = finder.place(t)
        if option is not None:
            options.append(option)
    options.sort(key=lambda o: (-o.score, o.placement.starts_at))
    return [o.as_dict(tz) for o in options[:limit]]


# --- whole-program booking -----------------------------------------------------------------------


@dataclass
class ProgramPlanItem:
    planned: PlannedSession
    option: Option


def _first_fit(
    *,
    cal: Calendar,
    ctx: ProgramContext,
    planned: PlannedSession,
    shape: Shape,
    patient_id: int,
    grid: Sequence[dt.datetime],
    prefs: Preferences,
    accept: Callable[[dt.datetime], bool],
) -> tuple[Option | None, dict[str, int]]:
    """The earliest start (then the best-scored option of that day) that satisfies everything, plus
    a tally of why the other starts were refused, to explain a failure."""
    finder = _Finder(cal, shape, patient_id, prefs)
    reasons: dict[str, int] = {}
    best: Option | None = None
    best_day = None
    for t in grid:
        day = t.astimezone(cal.tz).date()
        if best_day is not None and day != best_day:
            break
        if not accept(t):
            reasons["preferences"] = reasons.get("preferences", 0) + 1
            continue
        violations = program_violations(ctx, planned, t, t + shape.block, telehealth=shape.telehealth)
        if violations:
            for v in violations:
                reasons[v.rule] = reasons.get(v.rule, 0) + 1
            continue
        option = finder.place(t)
        if option is None:
            reasons["no_free_room_or_staff"] = reasons.get("no_free_room_or_staff", 0) + 1
            continue
        if best is None or option.score > best.score:
            best, best_day = option, day
    return best, reasons


def program_schedule_propose(
    *,
    enrollment: Enrollment,
    date_from: dt.date,
    horizon_days: int = 56,
    prefs: Preferences = Preferences(),
    now: dt.datetime | None = None,
    calendar: Calendar | None = None,
    context: ProgramContext | None = None,
) -> list[ProgramPlanItem]:
    """A complete schedule for every to-book session of the enrollment, in plan order, or a 422
    (`program_unschedulable`) naming the first step that could not be placed and why."""
    now = now or timezone.now()
    clinic = enrollment.clinic
    tz = clinic.tz
    start = max(local_to_aware(date_from, dt.time(0), tz), now)
    end = local_to_aware(date_from + dt.timedelta(days=horizon_days), dt.time(0), tz)
    ctx = context or program_context_load(enrollment=enrollment)
    to_book = [p for p in ctx.planned.values() if p.status == PlannedSession.Status.TO_BOOK and p.pk not in ctx.booked]
    longest = max((p.step.block_minutes for p in to_book), default=0)
    cal = calendar or calendar_load(
        clinic=clinic, start=start, end=end + dt.timedelta(minutes=longest), patient_ids=[enrollment.patient_id]
    )
    grid = _grid(cal, start, end, _slot(clinic))
    if not to_book:
        return []

    def accept(t: dt.datetime) -> bool:
        local = t.astimezone(tz)
        if prefs.weekdays and local.weekday() not in prefs.weekdays:
            return False
        clock = local.time()
        return (prefs.earliest is None or clock >= prefs.earliest) and (prefs.latest is None or clock <= prefs.latest)

    def place(planned: PlannedSession, floor: dt.datetime) -> tuple[Option | None, dict[str, int]]:
        candidates = grid[bisect.bisect_left(grid, floor) :]
        shape = planned_shape(planned)
        option, reasons = _first_fit(
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
            option, more = _first_fit(
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
            f"Step '{planned.step.label}' (session #{planned.sequence}) cannot be placed by "
            f"{(end.astimezone(tz).date() - dt.timedelta(days=1)).isoformat()}: {_REASONS.get(why, why)}.",
            code="program_unschedulable",
            errors={"planned_session": [f"Session #{planned.sequence} cannot be placed."]},
            planned_session=planned.pk,
            step=planned.step_id,
            sequence=planned.sequence,
            reason=why,
            refused_starts=reasons,
            placed=[_item_dict(i, tz) for i in plan],
        )

    def hold(planned: PlannedSession, option: Option) -> list:
        block_end = option.placement.starts_at + option.shape.block
        ctx.place(planned.pk, option.placement.starts_at, block_end, None)
        return _hold(cal, option, enrollment.patient_id)

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
    "prep_before_first_dosing": "its preparation sessions are not placed first",
    "horizon": "the horizon has no start left",
}


def _hold(cal: Calendar, option: Option, patient_id: int) -> list[tuple[list[Busy], Busy]]:
    """Mark the option busy in the calendar, so the next sessions of the plan avoid it; returns
    what was added, so a tentative placement can be taken back."""
    p, shape = option.placement, option.shape
    end = p.starts_at + shape.block
    added: list[tuple[list[Busy], Busy]] = []

    def add(bucket: list[Busy], busy: Busy) -> None:
        bucket.append(busy)
        added.append((bucket, busy))

    cal.touch()

    if p.room_id is not None:
        add(cal.room_busy.setdefault(p.room_id, []), Busy(p.starts_at, end, 0))
    add(cal.patient_busy.setdefault(patient_id, []), Busy(p.starts_at, end, 0))
    for need, sid, lane in zip(shape.needs, p.staff_ids, option.lanes, strict=True):
        if need.mode != StaffMode.PRESENT:
            add(
                cal.staff_busy.setdefault(sid, []),
                Busy(p.starts_at + need.start_offset, p.starts_at + need.end_offset, 0, lane),
            )
    return added


def _item_dict(item: ProgramPlanItem, tz) -> dict:
    return {"planned_session": item.planned.pk, "sequence": item.planned.sequence, **item.option.as_dict(tz)}


def program_schedule_dicts(plan: Sequence[ProgramPlanItem], tz) -> list[dict]:
    return [_item_dict(i, tz) for i in plan]


@transaction.atomic
def enrollment_book_program(
    *,
    enrollment: Enrollment,
    date_from: dt.date,
    by: StaffMember | None,
    horizon_days: int = 56,
    prefs: Preferences = Preferences(),
    preview: bool = False,
    now: dt.datetime | None = None,
) -> tuple[list[dict], list[Session]]:
    """Propose, and unless `preview`, book every to-book session of the enrollment: all or nothing.

    The enrollment row is locked so two clerks cannot book the same plan at once; any refusal of
    any session (422 or 409) rolls every booking of the call back.
    """
    from integration.planners import followups_plan_for_sessions
    from sessions.services import book_planned_placement

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
    # Reminders and scale requests for the whole plan, in this transaction, in one write.
    followups_plan_for_sessions(sessions=sessions)
    return proposal, sessions


# --- moving a dosing session together with its integration ---------------------------------------


def dosing_move_proposal(
    *,
    dosing: Session,
    starts_at: dt.datetime,
    room_id: int | None,
    staff_ids: Sequence[int],
    now: dt.datetime | None = None,
) -> list[dict] | None:
    """Moves for a dosing session and its booked integration(s) that keep every integration inside
    its window after the dosing's new time, or None when the window has no free slot.

    Each move: {"session": id, "starts_at", "room", "staff": [{role, mode, staff}], "telehealth"}.
    """
    now = now or timezone.now()
    clinic = dosing.clinic
    tz = clinic.tz
    followers = list(
        Session.objects.filter(planned_session__linked_dosing_id=dosing.planned_session_id, active=True)
        .select_related("planned_session")
        .order_by("starts_at")
    )
    moving = [dosing.pk, *(f.pk for f in followers)]
    ctx = program_context_load(enrollment=dosing.enrollment, exclude_session_ids=moving)
    shape = planned_shape(ctx.planned[dosing.planned_session_id], telehealth=dosing.telehealth)
    block_end = starts_at + shape.block
    widest = max(
        (p.window_max or dt.timedelta(days=7) for p in (f.planned_session for f in followers)), default=dt.timedelta(0)
    )
    cal = calendar_load(
        clinic=clinic,
        start=starts_at,
        end=block_end + widest + dt.timedelta(days=1),
        patient_ids=[dosing.patient_id],
        exclude_session_ids=moving,
    )
    placement = Placement(starts_at=starts_at, room_id=room_id, staff_ids=tuple(staff_ids))
    if placement_violations(cal, shape, placement) or not placement_is_free(cal, shape, placement, dosing.patient_id):
        return None  # the dosing's own move is refused anyway: nothing worth proposing
    lanes = placement_lanes(cal, shape, placement)
    _hold(cal, Option(placement, shape, 0, lanes), dosing.patient_id)
    ctx.place(dosing.planned_session_id, starts_at, block_end, None)
    moves = [{"session": dosing.pk, **Option(placement, shape, 0, lanes).as_dict(tz)}]
    slot = _slot(clinic)
    for follower in followers:
        planned = ctx.planned[follower.planned_session_id]
        low = block_end + (planned.window_min or dt.timedelta(0))
        high = block_end + (planned.window_max or dt.timedelta(days=7)) + slot
        grid = _grid(cal, max(low, now), high, slot)
        f_shape = planned_shape(planned, telehealth=follower.telehealth)
        option, _ = _first_fit(
            cal=cal,
            ctx=ctx,
            planned=planned,
            shape=f_shape,
            patient_id=dosing.patient_id,
            grid=grid,
            prefs=Preferences(room_ids=frozenset({follower.room_id} if follower.room_id else set())),
            accept=lambda t: True,
        )
        if option is None:
            return None
        _hold(cal, option, dosing.patient_id)
        ctx.place(planned.pk, option.placement.starts_at, option.placement.starts_at + f_shape.block, None)
        moves.append({"session": follower.pk, **option.as_dict(tz)})
    return moves
