"""Placing one session in a loaded calendar: the slot grid, the finder that picks a room and staff
for a start, the earliest fit of a day, and holding a placement so the next ones avoid it.

Pure Python over one calendar (`sessions.calendar_loading.calendar_load`): for each start, the first
room and the first staff member per need that fit, preferred ones tried first. Used by the search,
by whole-program scheduling and by move proposals.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from programs.choices import StaffMode
from programs.models import PlannedSession
from sessions.availability import Busy, Calendar, Placement, Shape, credential_problem, free_lane, overlapping
from sessions.program_rules import ProgramContext, program_violations
from sessions.timeutil import (
    Interval,
    covers,
    intersect_ranges,
    local_days,
    local_to_aware,
    merge,
    minus,
    overlaps,
    starts_fitting,
)


@dataclass(frozen=True)
class Preferences:
    staff_ids: frozenset[int] = frozenset()
    room_ids: frozenset[int] = frozenset()
    weekdays: frozenset[int] = frozenset()  # 0 = Monday
    earliest: dt.time | None = None  # local time of day the session may start from
    latest: dt.time | None = None  # local time of day the session must start by


# The default of every caller that takes preferences: none given.
NO_PREFERENCES = Preferences()


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


def slot_grid(cal: Calendar, start: dt.datetime, end: dt.datetime, slot: dt.timedelta) -> list[dt.datetime]:
    """Starts on the local slot grid in [start, end). Local midnight is the anchor of each day."""
    return list(slot_starts(cal, start, end, slot))


def slot_starts(cal: Calendar, start: dt.datetime, end: dt.datetime, slot: dt.timedelta) -> Iterator[dt.datetime]:
    """`slot_grid`'s starts one at a time, for a caller that may stop at the first few."""
    # Compared in UTC, like the grid: the same instants, without a zone conversion per comparison.
    start, end = start.astimezone(dt.UTC), end.astimezone(dt.UTC)
    for day in local_days(start, end, cal.tz):
        # UTC instants: every later comparison then stays within one tzinfo (much faster).
        t = local_to_aware(day, dt.time(0), cal.tz).astimezone(dt.UTC)
        next_day = local_to_aware(day + dt.timedelta(days=1), dt.time(0), cal.tz).astimezone(dt.UTC)
        if t < start:  # the first day: straight to its first start in range
            t += (start - t) // slot * slot
        while t < next_day and t < end:
            if t >= start:
                yield t
            t += slot


class Finder:
    """Picks rooms and staff for a shape at a given start, against one calendar."""

    def __init__(self, cal: Calendar, shape: Shape, patient_id: int, prefs: Preferences) -> None:
        self.cal, self.shape, self.patient_id, self.prefs = cal, shape, patient_id, prefs
        # Room ids, in the order they are tried (the search reads them for every start).
        self.room_ids = [
            r.pk
            for r in sorted(
                (r for r in cal.rooms.values() if shape.fits_room(r)),
                key=lambda r: (r.pk not in prefs.room_ids, r.name, r.pk),
            )
        ]
        self.staff_by_need = [
            sorted(
                (sid for sid, roles in cal.roles.items() if need.role in roles),
                key=lambda sid: (sid not in prefs.staff_ids, sid),
            )
            for need in shape.needs
        ]
        self._credentials: dict[tuple[int, str, dt.date], bool] = {}
        self._rooms_free: tuple | None = None
        self._windows: tuple | None = None
        # When any candidate of each need is at work, and (`_free_rooms`) when each room is open and
        # not busy: a start outside these is refused without trying each room and each person in
        # turn (most of a week's starts are nights, or times when every room is taken).
        self._needs_open = []
        for candidates in self.staff_by_need:
            opened = merge(i for sid in candidates for i in cal.staff_open.get(sid, ()))
            self._needs_open.append((opened, [i[0] for i in opened]))

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

    def _free_rooms(self) -> tuple[dict[int, tuple], tuple]:
        """Each room's open hours minus its busy times, and their union, as (intervals, starts),
        for the calendar as it is now (a held option changes it)."""
        cal = self.cal
        if self._rooms_free is None or self._rooms_free[0] != cal._version:
            per_room = {}
            for rid in self.room_ids:
                busy = merge((b.start, b.end) for b in cal.room_busy.get(rid, ()))
                free = minus(cal.room_open.get(rid, []), busy)
                per_room[rid] = (free, [i[0] for i in free])
            union = merge(i for free, _starts in per_room.values() for i in free)
            self._rooms_free = (cal._version, per_room, (union, [i[0] for i in union]))
        return self._rooms_free[1], self._rooms_free[2]

    def may_fit(self, start: dt.datetime) -> bool:
        """Whether some room is open and free for the whole block (unless by telehealth) and, for
        each need, some candidate is at work for its span: what `place` requires of one room and one
        person, asked of them all at once. False only where `place` finds nothing."""
        shape = self.shape
        if not shape.telehealth:
            _per_room, (free, starts) = self._free_rooms()
            if not covers(free, start, start + shape.block, starts):
                return False
        for need, (opened, starts) in zip(shape.needs, self._needs_open, strict=True):
            if not covers(opened, start + need.start_offset, start + need.end_offset, starts):
                return False
        return True

    def start_windows(self) -> list[Interval]:
        """The closed ranges [first, last] of the starts `place` may fill, for the calendar as it is
        now: some room open and free for the whole block (unless by telehealth) and, for each need,
        some candidate at work for its span and, for an exclusive need, not busy then. A start
        outside them is one `place` refuses; one inside may still be refused (the patient, a
        licence, a shared lane, one room and one person for everything at once)."""
        cal, shape = self.cal, self.shape
        if self._windows is not None and self._windows[0] == cal._version:
            return self._windows[1]
        windows: list[Interval] | None = None
        if not shape.telehealth:
            _per_room, (free, _starts) = self._free_rooms()
            windows = starts_fitting(free, dt.timedelta(0), shape.block)
        for need, candidates, (opened, _starts) in zip(shape.needs, self.staff_by_need, self._needs_open, strict=True):
            if need.mode == StaffMode.EXCLUSIVE:
                opened = merge(
                    i
                    for sid in candidates
                    for i in minus(
                        cal.staff_open.get(sid, []), merge((b.start, b.end) for b in cal.staff_busy.get(sid, ()))
                    )
                )
            fitting = starts_fitting(opened, need.start_offset, need.end_offset)
            windows = fitting if windows is None else intersect_ranges(windows, fitting)
        if windows is None:  # by telehealth with no staff: any start
            windows = [(dt.datetime.min.replace(tzinfo=dt.UTC), dt.datetime.max.replace(tzinfo=dt.UTC))]
        self._windows = (cal._version, windows)
        return windows

    def starts_within_windows(self, starts: Iterable[dt.datetime]) -> Iterator[dt.datetime]:
        """The ascending `starts` that lie in `start_windows` (read once: for a search, whose
        calendar does not change while it runs)."""
        windows = self.start_windows()
        at, last = 0, len(windows)
        for t in starts:
            while at < last and windows[at][1] < t:
                at += 1
            if at == last:
                return
            if windows[at][0] <= t:
                yield t

    def place(self, start: dt.datetime) -> Option | None:
        cal, shape = self.cal, self.shape
        if not self.may_fit(start):
            return None
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
            free_rooms, _union = self._free_rooms()
            for candidate in self.room_ids:
                free, free_starts = free_rooms[candidate]
                if not covers(free, start, end, free_starts):
                    continue  # closed or taken then: the checks below would refuse it too
                opened = cal.room_open.get(candidate, [])
                if covers(opened, start, end, cal.open_starts(("room", candidate), opened)) and self._free(
                    cal.room_busy.get(candidate, []), start, end
                ):
                    room_id = candidate
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

    def best_possible_score(self) -> int:
        """The score of an option meeting every preference given: nothing later can beat it."""
        prefs = self.prefs
        return (
            (len(self.shape.needs) if prefs.staff_ids else 0)
            + int(bool(prefs.room_ids))
            + int(bool(prefs.weekdays))
            + int(bool(prefs.earliest or prefs.latest))
        )

    def in_time_of_day(self, local: dt.datetime) -> bool:
        clock = local.time()
        return (self.prefs.earliest is None or clock >= self.prefs.earliest) and (
            self.prefs.latest is None or clock <= self.prefs.latest
        )


def first_fit(
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
    finder = Finder(cal, shape, patient_id, prefs)
    # Without preferences every option scores 0: the first that fits is the answer, and the rest of
    # its day need not be tried (the tally of refusals only explains a failure).
    top = finder.best_possible_score()
    reasons: dict[str, int] = {}
    best: Option | None = None
    best_day = None
    tz = cal.tz
    for t in grid:
        if best_day is not None and t.astimezone(tz).date() != best_day:
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
            best, best_day = option, t.astimezone(tz).date()
            if best.score >= top:
                break
    return best, reasons


def hold_option(cal: Calendar, option: Option, patient_id: int) -> list[tuple[list[Busy], Busy]]:
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
