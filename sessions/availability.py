"""Who and what can be booked when: one calendar per clinic and range, then pure Python.

`sessions.calendar_loading.calendar_load` reads everything a booking or a search needs for a time
range into a `Calendar` in a fixed number of queries. `placement_violations` and
`placement_conflicts` then judge any number of candidate placements without touching the database,
which is what keeps the availability search fast.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from kat_clinic.models import Clinic, Licence, Room, StaffMember
from kat_clinic.roles import ROLE_CREDENTIALS
from programs.choices import SessionKind, StaffMode
from sessions.timeutil import Interval, covers, overlaps


@dataclass(frozen=True)
class Need:
    """A staff need of a session: offsets are from the block start."""

    role: str
    mode: str
    start_offset: dt.timedelta
    end_offset: dt.timedelta


@dataclass(frozen=True)
class Shape:
    """What a session needs, independently of when and with whom: from a template step or ad hoc."""

    kind: str
    session_minutes: int
    block_minutes: int
    needs: tuple[Need, ...]
    room_kind: str = ""
    room_capability: str = ""
    telehealth: bool = False
    requires_rems: bool = False

    @property
    def block(self) -> dt.timedelta:
        return dt.timedelta(minutes=self.block_minutes)

    def fits_room(self, room: Room) -> bool:
        """Whether an in-person session of this shape may take `room` (its kind and capability)."""
        return (not self.room_kind or room.kind == self.room_kind) and (
            not self.room_capability or self.room_capability in room.capabilities
        )


@dataclass(frozen=True)
class Placement:
    """A shape put somewhere: the visible start (the block starts with it), a room, one staff per need."""

    starts_at: dt.datetime
    room_id: int | None
    staff_ids: tuple[int, ...]


@dataclass(frozen=True)
class Violation:
    """A rule a placement breaks, on a field, with its message: a text, or a function that words it
    when it is read (the search judges many starts and reads the message of none it refuses)."""

    rule: str
    field: str
    wording: str | Callable[[], str]

    @property
    def message(self) -> str:
        return self.wording if isinstance(self.wording, str) else self.wording()


@dataclass
class Busy:
    start: dt.datetime
    end: dt.datetime
    session_id: int
    lane: int | None = None  # assignments only: None means exclusive (every lane)


# The slot grid's step where a clinic has no scheduling policy.
DEFAULT_SLOT = dt.timedelta(minutes=15)


@dataclass
class Calendar:
    clinic: Clinic
    tz: ZoneInfo
    start: dt.datetime
    end: dt.datetime
    slot: dt.timedelta = DEFAULT_SLOT  # the clinic's slot length: starts are proposed on its grid
    closures: list[Interval] = field(default_factory=list)
    rooms: dict[int, Room] = field(default_factory=dict)
    room_open: dict[int, list[Interval]] = field(default_factory=dict)
    roles: dict[int, set[str]] = field(default_factory=dict)
    names: dict[int, str] = field(default_factory=dict)  # staff id -> "First Last", for messages
    staff_open: dict[int, list[Interval]] = field(default_factory=dict)
    licences: dict[int, list[Licence]] = field(default_factory=dict)
    rems_days: list[tuple[dt.date, dt.date]] = field(default_factory=list)
    room_busy: dict[int, list[Busy]] = field(default_factory=dict)
    patient_busy: dict[int, list[Busy]] = field(default_factory=dict)
    staff_busy: dict[int, list[Busy]] = field(default_factory=dict)
    # What was read that does not depend on the range (`calendar_loading.CalendarBasis`), for a
    # calendar of another range read alike.
    basis: Any = None
    _starts: dict = field(default_factory=dict)
    _busy_index: dict = field(default_factory=dict)
    _version: int = 0

    def touch(self) -> None:
        """Call after changing a busy list: the sorted copies are rebuilt on next use."""
        self._version += 1

    def fork(self) -> Calendar:
        """A copy whose busy lists can change without touching this one (hours, rooms and staff are
        shared: nothing changes them): whole-program booking proposes on one and books on the other,
        from a single read."""
        return dataclasses.replace(
            self,
            room_busy={k: list(v) for k, v in self.room_busy.items()},
            patient_busy={k: list(v) for k, v in self.patient_busy.items()},
            staff_busy={k: list(v) for k, v in self.staff_busy.items()},
            names=dict(self.names),
            _starts=dict(self._starts),
            _busy_index={},
            _version=0,
        )

    def open_starts(self, key: tuple, intervals: list[Interval]) -> list[dt.datetime]:
        cached = self._starts.get(key)
        if cached is None:
            cached = self._starts[key] = [i[0] for i in intervals]
        return cached


# --- judging one placement ---------------------------------------------------------------------


def staff_name(cal: Calendar, staff_id: int) -> str:
    """The person's name for a message; one query only for someone outside the clinic's staff."""
    if staff_id not in cal.names:
        row = StaffMember.objects.filter(pk=staff_id).values_list("first_name", "last_name").first()
        cal.names[staff_id] = f"{row[0]} {row[1]}".strip() if row else f"Staff member {staff_id}"
    return cal.names[staff_id]


def credential_problem(cal: Calendar, staff_id: int, role: str, day: dt.date) -> str | None:
    """Why this staff member cannot act in `role` on `day`, or None."""
    held = [lic for lic in cal.licences.get(staff_id, ()) if lic.is_valid_on(day)]
    for group in ROLE_CREDENTIALS.get(role, ()):
        if not any(lic.kind in group for lic in held):
            kinds = ", ".join(sorted(group))
            return (
                f"{staff_name(cal, staff_id)} has no valid licence ({kinds}) for the {role} role on {day.isoformat()}."
            )
    return None


def overlapping(cal: Calendar, busy: list[Busy], start: dt.datetime, end: dt.datetime) -> list[Busy]:
    """The items of `busy` (one of the calendar's lists) overlapping [start, end), by bisection over
    a sorted copy cached on the calendar, so a search over thousands of starts stays cheap.

    The calendar owns its lists for its whole life, so their identity is a safe key; whoever
    changes a list calls `cal.touch()`, which invalidates every copy.
    """
    if not busy:
        return []
    key = id(busy)
    cached = cal._busy_index.get(key)
    if cached is None or cached[0] != cal._version:
        items = sorted(busy, key=lambda b: b.start)
        cached = (cal._version, items, [b.start for b in items], max(b.end - b.start for b in items))
        cal._busy_index[key] = cached
    _, items, starts, longest = cached
    lo = bisect.bisect_left(starts, start - longest)
    hi = bisect.bisect_left(starts, end)
    return [b for b in items[lo:hi] if b.end > start]


def free_lane(busy: Iterable[Busy], start: dt.datetime, end: dt.datetime, capacity: int) -> int | None:
    """The lowest shared lane free over [start, end), or None when none is (an exclusive assignment
    over that time takes every lane)."""
    taken: set[int] = set()
    for b in busy:
        if overlaps(b.start, b.end, start, end):
            if b.lane is None:
                return None
            taken.add(b.lane)
    for lane in range(1, capacity + 1):
        if lane not in taken:
            return lane
    return None


def placement_violations(cal: Calendar, shape: Shape, placement: Placement) -> list[Violation]:
    """Availability rules (422): membership, licences, REMS, hours, room, closures. No conflicts here."""
    violations: list[Violation] = []
    start = placement.starts_at
    block_end = start + shape.block
    day = start.astimezone(cal.tz).date()

    if any(overlaps(s, e, start, block_end) for s, e in cal.closures):
        violations.append(Violation("clinic_closed", "starts_at", "The clinic is closed at that time."))
    if shape.requires_rems and not any(f <= day <= t for f, t in cal.rems_days):
        violations.append(
            Violation(
                "clinic_rems_certification_missing",
                "clinic",
                f"The clinic has no esketamine REMS certification valid on {day.isoformat()}.",
            )
        )

    if not shape.telehealth:
        room = cal.rooms.get(placement.room_id) if placement.room_id is not None else None
        if room is None:
            violations.append(
                Violation("room_required", "room", "An in-person session needs an active room of the clinic.")
            )
        else:
            if shape.room_kind and room.kind != shape.room_kind:
                violations.append(
                    Violation(
                        "room_kind", "room", f"This session needs a room of kind {shape.room_kind}, not {room.kind}."
                    )
                )
            if shape.room_capability and shape.room_capability not in room.capabilities:
                violations.append(
                    Violation(
                        "room_capability", "room", f"This session needs a room with capability {shape.room_capability}."
                    )
                )
            opened = cal.room_open.get(room.pk, [])
            if not covers(opened, start, block_end, cal.open_starts(("room", room.pk), opened)):
                violations.append(Violation("room_closed", "room", f"Room {room.pk} is not open for the whole block."))

    if len(placement.staff_ids) != len(shape.needs):
        violations.append(Violation("required_roles", "staff", "Every staff need of the session must be filled."))
        return violations
    for need, staff_id in zip(shape.needs, placement.staff_ids, strict=True):
        if need.role not in cal.roles.get(staff_id, ()):
            violations.append(
                Violation(
                    "required_roles",
                    "staff",
                    f"{staff_name(cal, staff_id)} does not hold the {need.role} role at this clinic.",
                )
            )
            continue
        problem = credential_problem(cal, staff_id, need.role, day)
        if problem:
            violations.append(Violation("credential_missing", "staff", problem))
        opened = cal.staff_open.get(staff_id, [])
        a, b = start + need.start_offset, start + need.end_offset
        if not covers(opened, a, b, cal.open_starts(("staff", staff_id), opened)):
            violations.append(
                Violation(
                    "staff_unavailable",
                    "staff",
                    f"{staff_name(cal, staff_id)} is not working from {a.astimezone(cal.tz):%Y-%m-%d %H:%M} "
                    f"to {b.astimezone(cal.tz):%H:%M} ({cal.tz.key}).",
                )
            )
    return violations


def placement_lanes(cal: Calendar, shape: Shape, placement: Placement) -> tuple[int | None, ...] | None:
    """Lanes for the shared needs (None for others), or None when a shared need has no free lane.

    Exclusive and present needs get None; a clash of an exclusive need is reported by
    `placement_conflicts`.
    """
    lanes: list[int | None] = []
    taken_here: dict[int, list[Busy]] = defaultdict(list)
    for need, staff_id in zip(shape.needs, placement.staff_ids, strict=True):
        a, b = placement.starts_at + need.start_offset, placement.starts_at + need.end_offset
        if need.mode != StaffMode.SHARED:
            lanes.append(None)
            continue
        busy = [*cal.staff_busy.get(staff_id, ()), *taken_here[staff_id]]
        lane = free_lane(busy, a, b, cal.clinic.nurse_shared_capacity)
        if lane is None:
            return None
        taken_here[staff_id].append(Busy(a, b, 0, lane))
        lanes.append(lane)
    return tuple(lanes)


def placement_is_free(cal: Calendar, shape: Shape, placement: Placement, patient_id: int) -> bool:
    """No clash with the loaded busy intervals (room, patient, exclusive staff; shared lanes checked
    by `placement_lanes`)."""
    start, end = placement.starts_at, placement.starts_at + shape.block
    if placement.room_id is not None and any(
        overlaps(b.start, b.end, start, end) for b in cal.room_busy.get(placement.room_id, ())
    ):
        return False
    if any(overlaps(b.start, b.end, start, end) for b in cal.patient_busy.get(patient_id, ())):
        return False
    for need, staff_id in zip(shape.needs, placement.staff_ids, strict=True):
        if need.mode == StaffMode.EXCLUSIVE:
            a, b_ = start + need.start_offset, start + need.end_offset
            if any(overlaps(b.start, b.end, a, b_) for b in cal.staff_busy.get(staff_id, ())):
                return False
    return placement_lanes(cal, shape, placement) is not None


def adhoc_shape(
    *,
    kind: str,
    session_minutes: int,
    block_minutes: int,
    staff: Sequence[tuple[str, str]],
    telehealth: bool = False,
    requires_rems: bool = False,
) -> Shape:
    """An ad-hoc visit: every staff member (role, mode) is needed for the whole block."""
    block = dt.timedelta(minutes=block_minutes)
    needs = tuple(Need(role, mode, dt.timedelta(0), block) for role, mode in staff)
    return Shape(
        kind=kind or SessionKind.CHECK_IN,
        session_minutes=session_minutes,
        block_minutes=block_minutes,
        needs=needs,
        telehealth=telehealth,
        requires_rems=requires_rems,
    )
