"""Read paths for sessions: querysets with their joins applied, and the front desk's day board."""

from __future__ import annotations

import datetime as dt

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone

from kat_clinic.models import Clinic, Room
from sessions import signals
from sessions.models import MAX_BLOCK, Session, StaffAssignment
from sessions.timeutil import local_to_aware


def session_list() -> QuerySet[Session]:
    return (
        Session.objects.select_related("patient", "room")
        .prefetch_related(
            Prefetch("assignments", queryset=StaffAssignment.objects.select_related("staff").order_by("pk"))
        )
        .order_by("block_starts_at", "pk")
    )


BOARD_FIRST_DAY = dt.date(2000, 1, 1)
BOARD_LAST_DAY = dt.date(2100, 12, 31)


def local_day_bounds(clinic: Clinic, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """[local midnight, next local midnight): 23 or 25 hours long on daylight-saving change days."""
    tz = clinic.tz
    return local_to_aware(day, dt.time(0), tz), local_to_aware(day + dt.timedelta(days=1), dt.time(0), tz)


def day_board(*, clinic: Clinic, day: dt.date, now: dt.datetime | None = None) -> dict:
    """The clinic's sessions of one local day, grouped by room and by staff member, with flags.

    Five queries at most whatever the day's size: sessions (with patient, room and planned
    session), their assignments (with staff), the clinic's rooms, the sessions linked to the day's
    program sessions (a dosing session and its integration sessions), when there are any, and
    charting's one query for the dosing sessions' flags (`signals.day_board_flags`).
    """
    now = now or timezone.now()
    if BOARD_FIRST_DAY <= day <= BOARD_LAST_DAY:
        start, end = local_day_bounds(clinic, day)
        sessions = list(
            session_list()
            .select_related("planned_session")
            .filter(
                clinic=clinic, block_starts_at__gt=start - MAX_BLOCK, block_starts_at__lt=end, block_ends_at__gt=start
            )
        )
    else:
        # Nothing is ever booked this far out (bookings are refused in the past and limited to this
        # century), and the date arithmetic near the calendar's ends would overflow.
        sessions = []
    rooms = list(Room.objects.filter(clinic=clinic, active=True).order_by("name", "pk"))
    linked = _linked_sessions(sessions)
    answered = _answered_flags(sessions, now)
    by_room: dict[int, list[int]] = {r.pk: [] for r in rooms}
    by_staff: dict[int, dict] = {}
    items = []
    for s in sessions:
        if s.room_id is not None:
            by_room.setdefault(s.room_id, []).append(s.pk)
        staff = []
        for a in s.assignments.all():
            staff.append({"staff": a.staff_id, "name": str(a.staff), "role": a.role, "mode": a.mode, "lane": a.lane})
            if s.active:
                entry = by_staff.setdefault(a.staff_id, {"staff": a.staff_id, "name": str(a.staff), "sessions": []})
                entry["sessions"].append(s.pk)
        items.append(
            {
                "id": s.pk,
                "patient": {"id": s.patient_id, "name": f"{s.patient.first_name} {s.patient.last_name}"},
                "kind": s.kind,
                "status": s.status,
                "starts_at": s.starts_at,
                "ends_at": s.ends_at,
                "block_starts_at": s.block_starts_at,
                "block_ends_at": s.block_ends_at,
                "room": s.room_id,
                "telehealth": s.telehealth,
                "staff": staff,
                "linked": linked.get(s.pk, []),
                "flags": {
                    # Not checked in and the start has passed.
                    "late": s.status == Session.Status.SCHEDULED and now > s.starts_at,
                    "late_cancel": s.late_cancel,
                    # Answered by charting (`signals.day_board_flags`); None means "not known
                    # here", never "all clear".
                    "prerequisite_missing": answered.get(s.pk, {}).get("prerequisite_missing"),
                    "ride_not_confirmed": answered.get(s.pk, {}).get("ride_not_confirmed"),
                },
                # The prior authorization's status only (active, missing, not_required), no detail.
                "authorization": answered.get(s.pk, {}).get("authorization"),
            }
        )
    names = {r.pk: r.name for r in rooms}
    return {
        "clinic": clinic.pk,
        "date": day,
        "timezone": clinic.timezone,
        "sessions": items,
        "by_room": [{"room": rid, "name": names.get(rid, ""), "sessions": ids} for rid, ids in by_room.items()],
        "by_staff": sorted(by_staff.values(), key=lambda e: e["name"]),
    }


def _answered_flags(sessions: list[Session], now: dt.datetime) -> dict[int, dict]:
    """The flags the apps above answer (`signals.day_board_flags`), merged per session."""
    merged: dict[int, dict] = {}
    if not sessions:
        return merged
    for _receiver, answer in signals.day_board_flags.send(sender=Session, sessions=sessions, now=now):
        for session_id, flags in (answer or {}).items():
            merged.setdefault(session_id, {}).update(flags)
    return merged


def _linked_sessions(sessions: list[Session]) -> dict[int, list[dict]]:
    """Per session: the active bookings of its program partners (a dosing session's integration
    sessions, an integration session's dosing session), whatever day they fall on."""
    planned = {s.planned_session_id: s for s in sessions if s.planned_session_id is not None}
    if not planned:
        return {}
    dosing_of = {
        s.planned_session_id: s.planned_session.linked_dosing_id
        for s in sessions
        if s.planned_session_id is not None and s.planned_session.linked_dosing_id is not None
    }
    partners = (
        Session.objects.filter(active=True)
        .filter(Q(planned_session__linked_dosing_id__in=planned) | Q(planned_session_id__in=dosing_of.values()))
        .values("id", "kind", "status", "starts_at", "planned_session_id", "planned_session__linked_dosing_id")
        .order_by("starts_at", "id")
    )
    out: dict[int, list[dict]] = {}
    for p in partners:
        item = {"id": p["id"], "kind": p["kind"], "status": p["status"], "starts_at": p["starts_at"]}
        # p is an integration of one of the day's dosing sessions ...
        dosing = planned.get(p["planned_session__linked_dosing_id"])
        if dosing is not None and dosing.pk != p["id"]:
            out.setdefault(dosing.pk, []).append(item)
        # ... or the dosing session of one of the day's integration sessions.
        for planned_id, dosing_id in dosing_of.items():
            if dosing_id == p["planned_session_id"] and planned[planned_id].pk != p["id"]:
                out.setdefault(planned[planned_id].pk, []).append(item)
    return out
