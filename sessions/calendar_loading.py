"""Reading a clinic's calendar for a time range (`calendar_load`) in two statements
(`read_together`): the clinic's closures, marked holidays, rooms, memberships, certifications and
slot length; then its chosen rooms' hours, its chosen people's working hours, exceptions and
licences, and the sessions and assignments that keep those rooms, people and patients busy. What
is read is judged in pure Python (`sessions.availability`, `sessions.placement`).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from kat_clinic.compiled_batch import read_together
from kat_clinic.models import Clinic
from programs.choices import StaffMode
from sessions import calendar_queries
from sessions.availability import Busy, Calendar, Shape
from sessions.models import MAX_BLOCK, AvailabilityException
from sessions.timeutil import Interval, local_days, local_to_aware, merge, subtract


def _weekly_intervals(
    rows: Iterable, days: Sequence[dt.date], tz: ZoneInfo, *, dated: bool, instants: dict | None = None
) -> list[Interval]:
    """The rows' weekly clock times on `days`, as UTC intervals. `instants` memoizes (day, clock) ->
    instant across calls: rooms and staff of a clinic mostly share their hours."""
    instants = {} if instants is None else instants

    def instant(day: dt.date, clock: dt.time) -> dt.datetime:
        key = (day, clock)
        found = instants.get(key)
        if found is None:
            found = instants[key] = local_to_aware(day, clock, tz).astimezone(dt.UTC)
        return found

    by_weekday: dict[int, list] = defaultdict(list)
    for row in rows:
        by_weekday[row.weekday].append(row)
    intervals = []
    for day in days:
        for row in by_weekday.get(day.weekday(), ()):
            if dated and (day < row.valid_from or (row.valid_until and day > row.valid_until)):
                continue
            # In UTC: comparing instants that share one tzinfo is several times faster than across zones.
            intervals.append((instant(day, row.start_time), instant(day, row.end_time)))
    return intervals


def _holiday_intervals(holidays: list, days: Sequence[dt.date], tz: ZoneInfo) -> list[Interval]:
    """The marked public holidays among `days`, each its whole local day (23 or 25 hours on a
    daylight-saving change day)."""
    return [
        (local_to_aware(day, dt.time(0), tz), local_to_aware(day + dt.timedelta(days=1), dt.time(0), tz))
        for day in days
        if any(h.falls_on(day) for h in holidays)
    ]


def _holding_roles(shape: Shape) -> set[str]:
    """The roles of the shape's needs that hold the person filling them (all but present ones)."""
    return {need.role for need in shape.needs if need.mode != StaffMode.PRESENT}


@dataclass(frozen=True)
class CalendarBasis:
    """What a calendar read for one range read that does not depend on its range (the clinic's
    rooms, memberships, certifications and slot length; its chosen rooms' hours, its people's
    working hours and licences), for a calendar of another range read with the same arguments
    (`calendar_load(basis=...)`): an availability search reads its range a few days at a time."""

    chosen: tuple  # (clinic id, room ids, staff ids, shape) it was read for
    rooms: list
    memberships: list
    rems_days: list
    slot: list
    room_hours: list
    working_hours: list
    licences: list


def calendar_load(
    *,
    clinic: Clinic,
    start: dt.datetime,
    end: dt.datetime,
    room_ids: Iterable[int] | None = None,
    staff_ids: Iterable[int] | None = None,
    patient_ids: Iterable[int] = (),
    exclude_session_ids: Iterable[int] = (),
    shape: Shape | None = None,
    basis: CalendarBasis | None = None,
) -> Calendar:
    """Everything needed to judge placements in [start, end) at `clinic`.

    `room_ids` / `staff_ids` None means every active room / every active member of the clinic.
    Busy intervals exclude `exclude_session_ids` (a session being rescheduled does not block itself).
    With `shape`, only what a placement of that shape can use is read: the rooms it fits (none for
    telehealth) and the members holding a role it needs, with all their roles; busy times only over
    [start, end), whole blocks of that shape lying there, and only of those who may fill a need that
    holds them. An availability search places one shape: the other rooms' and people's hours and
    bookings are not its concern.

    Two statements; one where `basis` (the `basis` of a calendar read before with the same
    arguments but its range) gives what does not depend on the range.
    """
    tz = clinic.tz
    # A day of margin either side: patterns are per local day and blocks may straddle the range.
    days = local_days(start - dt.timedelta(days=1), end + dt.timedelta(days=1), tz)
    pad_start, pad_end = (
        (start - dt.timedelta(days=1)).astimezone(dt.UTC),
        (end + dt.timedelta(days=1)).astimezone(dt.UTC),
    )
    cal = Calendar(clinic=clinic, tz=tz, start=start, end=end)
    instants: dict[tuple[dt.date, dt.time], dt.datetime] = {}
    excluded = list(exclude_session_ids)

    # The clinic's own reads, in one statement; then those of its chosen rooms and people in another
    # (with a basis, only the range's reads, in one).
    room_ids = None if room_ids is None else list(room_ids)
    staff_ids = None if staff_ids is None else list(staff_ids)
    chosen = (clinic.pk, room_ids, staff_ids, shape)
    ranged = [
        (calendar_queries.CLOSURES, {"clinic": clinic.pk, "start": pad_start, "end": pad_end}),
        (calendar_queries.HOLIDAYS, {"clinic": clinic.pk, "days": list(days), "last_day": days[-1]}),
    ]
    if basis is None:
        chosen_rooms = {} if room_ids is None else {"rooms": room_ids}
        chosen_staff = {} if staff_ids is None else {"staff": staff_ids}
        closures, holidays, rooms, memberships, rems_days, slot = read_together(
            *ranged,
            (calendar_queries.rooms(chosen=room_ids is not None), {"clinic": clinic.pk, **chosen_rooms}),
            (calendar_queries.members(chosen=staff_ids is not None), {"clinic": clinic.pk, **chosen_staff}),
            (calendar_queries.REMS_CERTIFICATIONS, {"clinic": clinic.pk}),
            (calendar_queries.SLOT_MINUTES, {"clinic": clinic.pk}),
        )
    elif basis.chosen != chosen:
        raise ValueError("A calendar's basis serves a calendar read with the same arguments but its range.")
    else:
        rooms, memberships, rems_days, slot = basis.rooms, basis.memberships, basis.rems_days, basis.slot
    cal.rems_days = rems_days
    if slot:
        cal.slot = dt.timedelta(minutes=slot[0][0])
    cal.rooms = {room.pk: room for room in rooms if shape is None or (not shape.telehealth and shape.fits_room(room))}
    needed = None if shape is None else {need.role for need in shape.needs}
    wanted = {row[0] for row in memberships if needed is None or row[1] in needed}
    for staff_id, role, first, last in memberships:
        if staff_id in wanted:
            cal.roles.setdefault(staff_id, set()).add(role)
            cal.names[staff_id] = f"{first} {last}".strip()
    members = list(cal.roles)
    # Busy rooms and patients: active sessions anywhere (a patient cannot be at two clinics at once).
    patient_list = list(patient_ids)
    # Whose assignments keep them busy: every member; for a shape, those who may fill one of its
    # needs that holds them (someone only ever present is never busy for it).
    holding = None if shape is None else _holding_roles(shape)
    held = members if holding is None else [sid for sid, roles in cal.roles.items() if roles & holding]
    # Busy times matter where placements lie: [start, end) for a shape (whose placements the search
    # tries there only); otherwise the margin's days too, for callers that look just beyond.
    busy_start, busy_end = (start, end) if shape is not None else (pad_start, pad_end)
    busy_over = {"earliest_start": busy_start - MAX_BLOCK, "start": busy_start, "end": busy_end, "excluded": excluded}
    people_and_rooms = cal.rooms or members or patient_list
    busy_reads = [
        (calendar_queries.EXCEPTIONS, {"clinic": clinic.pk, "staff": members, "start": pad_start, "end": pad_end}),
        (
            calendar_queries.BUSY_SESSIONS,
            {"clinic": clinic.pk, "rooms": list(cal.rooms), "patients": patient_list, **busy_over},
        ),
        (calendar_queries.BUSY_ASSIGNMENTS, {"staff": held, **busy_over}),
    ]
    if basis is not None:
        room_hours, working_hours, licences = basis.room_hours, basis.working_hours, basis.licences
        closures, holidays, exceptions, sessions, assignments = read_together(
            *ranged, *(busy_reads if people_and_rooms else [])
        ) + ([] if people_and_rooms else [[], [], []])
    elif people_and_rooms:
        room_hours, working_hours, licences, exceptions, sessions, assignments = read_together(
            (calendar_queries.ROOM_HOURS, {"rooms": list(cal.rooms)}),
            (calendar_queries.WORKING_HOURS, {"clinic": clinic.pk, "staff": members}),
            (calendar_queries.LICENCES, {"staff": members}),
            *busy_reads,
        )
    else:
        room_hours, working_hours, licences, exceptions, sessions, assignments = [], [], [], [], [], []
    cal.basis = CalendarBasis(chosen, rooms, memberships, rems_days, slot, room_hours, working_hours, licences)
    cal.closures = merge([*closures, *_holiday_intervals(holidays, days, tz)])

    hours_by_room: dict[int, list] = defaultdict(list)
    for row in room_hours:
        hours_by_room[row.room_id].append(row)
    # Rooms and staff of a clinic mostly share their weekly hours: each distinct week is expanded
    # once (the lists are only read, so rooms and people with the same hours share one).
    open_by_week: dict[tuple, list[Interval]] = {}

    def open_over(rows: list, *, dated: bool) -> list[Interval]:
        week = (dated, frozenset(row[1:] for row in rows))  # a repeated row adds no hours
        found = open_by_week.get(week)
        if found is None:
            weekly = _weekly_intervals(rows, days, tz, dated=dated, instants=instants)
            found = open_by_week[week] = subtract(merge(weekly), cal.closures)
        return found

    for room_id in cal.rooms:
        rows = hours_by_room.get(room_id)
        cal.room_open[room_id] = (
            open_over(rows, dated=False) if rows else subtract([(pad_start, pad_end)], cal.closures)
        )

    hours_by_staff: dict[int, list] = defaultdict(list)
    for row in working_hours:
        hours_by_staff[row.staff_id].append(row)
    extra: dict[int, list[Interval]] = defaultdict(list)
    off: dict[int, list[Interval]] = defaultdict(list)
    for staff_id, kind, s, e in exceptions:
        (extra if kind == AvailabilityException.Kind.EXTRA_SHIFT else off)[staff_id].append((s, e))
    for staff_id in members:
        rows = hours_by_staff.get(staff_id, [])
        if staff_id not in extra and staff_id not in off:
            cal.staff_open[staff_id] = open_over(rows, dated=True)
            continue
        worked = merge(_weekly_intervals(rows, days, tz, dated=True, instants=instants) + extra[staff_id])
        cal.staff_open[staff_id] = subtract(subtract(worked, off[staff_id]), cal.closures)

    for licence in licences:
        cal.licences.setdefault(licence.staff_id, []).append(licence)

    for sid, room_id, patient_id, s, e in sessions:
        if room_id in cal.rooms:
            cal.room_busy.setdefault(room_id, []).append(Busy(s, e, sid))
        if patient_id in patient_list:
            cal.patient_busy.setdefault(patient_id, []).append(Busy(s, e, sid))
    for staff_id, sid, lane, s, e in assignments:
        cal.staff_busy.setdefault(staff_id, []).append(Busy(s, e, sid, lane))
    return cal
