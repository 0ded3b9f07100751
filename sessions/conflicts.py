"""The Python-side conflict finder: the database's exclusion constraints, restated to explain a clash.

The database remains the judge (two concurrent bookings both pass this check; the exclusion
constraint lets one through). This finder runs first so that the usual refusal names what clashes
with what, which a bare SQLSTATE 23P01 cannot. `tests/sessions/test_conflict_finder_matches_db.py`
checks, by property-based testing, that it agrees with the constraints.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Q

from programs.choices import StaffMode
from sessions.models import MAX_BLOCK, Session, StaffAssignment
from sessions.timeutil import overlaps


def python_check_enabled() -> bool:
    """Off only in tests that prove the database alone refuses double bookings."""
    return getattr(settings, "SCHEDULING_PYTHON_CONFLICT_CHECK", True)


@dataclass(frozen=True)
class ProposedAssignment:
    staff_id: int
    role: str
    mode: str
    lane: int | None
    starts_at: dt.datetime
    ends_at: dt.datetime


@dataclass(frozen=True)
class Proposal:
    patient_id: int
    room_id: int | None
    block_starts_at: dt.datetime
    block_ends_at: dt.datetime
    assignments: tuple[ProposedAssignment, ...] = ()


def _range(a: dt.datetime, b: dt.datetime, c: dt.datetime, d: dt.datetime) -> list[str]:
    return [max(a, c).astimezone(dt.UTC).isoformat(), min(b, d).astimezone(dt.UTC).isoformat()]


def _lanes(lane: int | None) -> tuple[int, int]:
    # Same lane algebra as the constraint: exclusive holds every lane.
    return (0, 32767) if lane is None else (lane, lane + 1)


def _lanes_overlap(x: int | None, y: int | None) -> bool:
    (a, b), (c, d) = _lanes(x), _lanes(y)
    return a < d and c < b


def find_conflicts(proposal: Proposal, *, exclude_session_ids: Iterable[int] = ()) -> list[dict]:
    """Every active booking the proposal would clash with, in two queries.

    Each item: {"resource": "room" | "patient" | "staff", "id": <resource id>, "session": <other
    session id or None for a clash inside the proposal>, "range": [start, end] (ISO, the overlap),
    "constraint": <the exclusion constraint that would refuse it>}.
    """
    excluded = list(exclude_session_ids)
    start, end = proposal.block_starts_at, proposal.block_ends_at
    conflicts: list[dict] = []

    who = Q(patient_id=proposal.patient_id)
    if proposal.room_id is not None:
        who |= Q(room_id=proposal.room_id)
    rows = (
        Session.objects.filter(
            who, active=True, block_starts_at__gt=start - MAX_BLOCK, block_starts_at__lt=end, block_ends_at__gt=start
        )
        .exclude(pk__in=excluded)
        .order_by("block_starts_at", "pk")
        .values_list("pk", "room_id", "patient_id", "block_starts_at", "block_ends_at")
    )
    for sid, room_id, patient_id, s, e in rows:
        if proposal.room_id is not None and room_id == proposal.room_id:
            conflicts.append(
                {
                    "resource": "room",
                    "id": room_id,
                    "session": sid,
                    "range": _range(s, e, start, end),
                    "constraint": "session_no_room_overlap",
                }
            )
        if patient_id == proposal.patient_id:
            conflicts.append(
                {
                    "resource": "patient",
                    "id": patient_id,
                    "session": sid,
                    "range": _range(s, e, start, end),
                    "constraint": "session_no_patient_overlap",
                }
            )

    tied: Sequence[ProposedAssignment] = [a for a in proposal.assignments if a.mode != StaffMode.PRESENT]
    if tied:
        span_start = min(a.starts_at for a in tied)
        span_end = max(a.ends_at for a in tied)
        existing = (
            StaffAssignment.objects.filter(
                staff_id__in={a.staff_id for a in tied},
                active=True,
                starts_at__gt=span_start - MAX_BLOCK,
                starts_at__lt=span_end,
                ends_at__gt=span_start,
            )
            .exclude(mode=StaffMode.PRESENT)
            .exclude(session_id__in=excluded)
            .order_by("starts_at", "pk")
            .values_list("staff_id", "session_id", "lane", "starts_at", "ends_at")
        )
        for staff_id, sid, lane, s, e in existing:
            for a in tied:
                if a.staff_id == staff_id and overlaps(s, e, a.starts_at, a.ends_at) and _lanes_overlap(lane, a.lane):
                    conflicts.append(
                        {
                            "resource": "staff",
                            "id": staff_id,
                            "role": a.role,
                            "lane": a.lane,
                            "session": sid,
                            "range": _range(s, e, a.starts_at, a.ends_at),
                            "constraint": "staffassignment_no_staff_overlap",
                        }
                    )
        # The same person twice in one booking (two roles) clashes with itself.
        for i, a in enumerate(tied):
            for b in tied[i + 1 :]:
                if (
                    a.staff_id == b.staff_id
                    and overlaps(a.starts_at, a.ends_at, b.starts_at, b.ends_at)
                    and _lanes_overlap(a.lane, b.lane)
                ):
                    conflicts.append(
                        {
                            "resource": "staff",
                            "id": a.staff_id,
                            "role": b.role,
                            "lane": b.lane,
                            "session": None,
                            "range": _range(a.starts_at, a.ends_at, b.starts_at, b.ends_at),
                            "constraint": "staffassignment_no_staff_overlap",
                        }
                    )
    return conflicts
