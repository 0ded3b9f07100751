"""A year of sessions laid out as a timetable the exclusion constraints accept, and the scheduling rows
(working hours, room hours, policies, staff assignments per lane) around it."""

from __future__ import annotations

import datetime as dt
import random
import zoneinfo
from collections.abc import Callable

from bench.seed.network import staff_by_clinic_role
from bench.seed.plan import (
    CLOSE_AT,
    OPEN_AT,
    SeedState,
    SessionRow,
)

# --- the timetable ---------------------------------------------------------------------------------

# (kind, flavour, visible minutes, block minutes, weight) by room kind.
SLOT_MENU: dict[str, list[tuple[str, str, int, int, int]]] = {
    "infusion_chair": [
        ("dosing", "iv", 60, 90, 80),
        ("dosing", "esketamine", 120, 135, 10),
        ("medical_intake", "", 60, 60, 10),
    ],
    "treatment_room": [
        ("dosing", "kat", 150, 180, 40),
        ("preparation", "", 55, 60, 30),
        ("integration", "", 55, 60, 30),
    ],
    "consult_room": [
        ("preparation", "", 55, 60, 30),
        ("integration", "", 55, 60, 40),
        ("medical_intake", "", 60, 60, 20),
        ("check_in", "", 25, 30, 10),
    ],
}


def _local(day: dt.date, t: dt.time, tz: zoneinfo.ZoneInfo) -> dt.datetime:
    return dt.datetime.combine(day, t, tzinfo=tz)


def build_timetable(st: SeedState) -> None:
    """Sessions room by room, day by day: back to back with turnover gaps, never overlapping.

    Each patient is booked at most once per clinic day, and a day's blocks all fall inside opening
    hours, so no patient can be in two blocks at once; staff lanes are laid out later the same way.
    """
    from bench.copyutil import reserve_ids
    from sessions.models import Session

    plan, rng = st.plan, st.rng
    rooms_by_clinic: dict[int, list[dict]] = {}
    for r in st.rooms:
        rooms_by_clinic.setdefault(r["clinic"], []).append(r)
    menus = {k: ([m[:4] for m in v], [m[4] for m in v]) for k, v in SLOT_MENU.items()}
    first_day = st.anchor - dt.timedelta(days=plan.days_history)
    n_days = plan.days_history + plan.days_future
    utc = dt.UTC
    rows: list[SessionRow] = []
    for c in st.clinics:
        tz = zoneinfo.ZoneInfo(c["tz"])
        pool = st.patients_by_clinic[c["id"]]
        for d in range(n_days):
            day = first_day + dt.timedelta(days=d)
            future = day > st.anchor
            slots = []
            for room in rooms_by_clinic[c["id"]]:
                options, weights = menus[room["kind"]]
                t = _local(day, OPEN_AT, tz)
                close = _local(day, CLOSE_AT, tz)
                while True:
                    t += dt.timedelta(minutes=rng.choice((0, 0, 15, 15, 30)))
                    if future and rng.random() > plan.future_density:
                        t += dt.timedelta(minutes=60)  # left free for new bookings
                        if t >= close:
                            break
                        continue
                    kind, flavour, visible, block = rng.choices(options, weights)[0]
                    end = t + dt.timedelta(minutes=block)
                    if end > close:
                        break
                    slots.append((room, kind, flavour, t, t + dt.timedelta(minutes=visible), end))
                    t = end
            patients = rng.sample(pool, min(len(slots), len(pool)))
            for (room, kind, flavour, start, vis_end, end), patient in zip(slots, patients, strict=False):
                rows.append(
                    SessionRow(
                        0,
                        c["id"],
                        patient,
                        kind,
                        _status(rng, start.astimezone(utc), end.astimezone(utc), st.now),
                        start.astimezone(utc),
                        vis_end.astimezone(utc),
                        start.astimezone(utc),
                        end.astimezone(utc),
                        room["id"],
                        room["kind"],
                        flavour,
                    )
                )
    first = reserve_ids(Session, len(rows))
    for i, r in enumerate(rows):
        r.id = first + i
    st.sessions = rows


def _status(rng: random.Random, start: dt.datetime, end: dt.datetime, now: dt.datetime) -> str:
    if start > now:
        return "scheduled"
    if end > now:
        return "in_progress"
    x = rng.random()
    return "completed" if x < 0.88 else ("cancelled" if x < 0.95 else "no_show")


def seed_sessions(st: SeedState) -> None:
    from bench.copyutil import copy_rows
    from sessions.models import Session

    build_timetable(st)
    cols = ["id", "clinic_id", "patient_id", "kind", "status", "starts_at", "ends_at"]
    cols += ["block_starts_at", "block_ends_at", "room_id", "telehealth", "created_at"]
    lifecycle = _lifecycle_columns()
    cols += [c for c, _ in lifecycle]

    def rows():
        for s in st.sessions:
            base = (s.id, s.clinic, s.patient, s.kind, s.status, s.starts_at, s.ends_at)
            base += (s.block_starts_at, s.block_ends_at, s.room, False, s.block_starts_at - dt.timedelta(days=10))
            base += tuple(f(s) for _, f in lifecycle)
            yield base

    st.counts["sessions"] = copy_rows(Session, cols, rows())


def _lifecycle_columns() -> list[tuple[str, Callable[[SessionRow], object]]]:
    """The session's lifecycle columns, filled as the timetable's statuses imply."""
    done = ("completed", "in_progress")
    return [
        ("active", lambda s: s.status not in ("cancelled", "no_show")),
        ("cancelled_at", lambda s: s.starts_at - dt.timedelta(hours=30) if s.status == "cancelled" else None),
        ("cancellation_reason", lambda s: "patient request" if s.status == "cancelled" else ""),
        ("no_show_at", lambda s: s.starts_at + dt.timedelta(minutes=20) if s.status == "no_show" else None),
        ("checked_in_at", lambda s: s.starts_at - dt.timedelta(minutes=10) if s.status in done else None),
        ("started_at", lambda s: s.starts_at if s.status in done else None),
        ("completed_at", lambda s: s.block_ends_at if s.status == "completed" else None),
    ]


# --- scheduling: hours, policies, staff assignments laid out per lane ------------------------------


def seed_scheduling(st: SeedState) -> None:
    from bench.copyutil import copy_rows
    from sessions.models import RoomHours, SchedulingPolicy, StaffAssignment, WorkingHours

    valid_from = st.anchor - dt.timedelta(days=st.plan.days_history + 30)
    rows = [
        (s["id"], s["clinic"], wd, OPEN_AT, CLOSE_AT, valid_from)
        for s in st.staff
        if s["role"] in ("nurse", "prescriber", "therapist")
        for wd in range(7)
    ]
    st.counts["working_hours"] = copy_rows(
        WorkingHours, ["staff_id", "clinic_id", "weekday", "start_time", "end_time", "valid_from"], rows
    )
    rows = [(r["id"], wd, OPEN_AT, CLOSE_AT) for r in st.rooms for wd in range(7)]
    copy_rows(RoomHours, ["room_id", "weekday", "start_time", "end_time"], rows)
    copy_rows(SchedulingPolicy, ["clinic_id"], [(c["id"],) for c in st.clinics])
    st.counts["staff_assignments"] = copy_rows(
        StaffAssignment,
        ["session_id", "staff_id", "role", "mode", "lane", "starts_at", "ends_at", "active"],
        _assignment_rows(st),
    )


def _assignment_rows(st: SeedState):
    """Who staffs each session, laid out so no constraint can refuse a row.

    Sessions are visited in start order per clinic and each resource keeps the instant it is free
    again: a therapist (exclusive), a nurse's numbered monitoring lane (shared, up to the clinic's
    capacity of 3), a prescriber for intakes (exclusive). Prescribers are "present" at dosing,
    which ties nobody up. A session with nobody free simply gets fewer assignments.
    """
    capacity = 3
    by_clinic: dict[int, list[SessionRow]] = {}
    for s in st.sessions:
        by_clinic.setdefault(s.clinic, []).append(s)
    therapists = staff_by_clinic_role(st, "therapist")
    nurses = staff_by_clinic_role(st, "nurse")
    prescribers = staff_by_clinic_role(st, "prescriber")
    for clinic_id, sessions in by_clinic.items():
        sessions.sort(key=lambda s: s.block_starts_at)
        epoch = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
        free_t = dict.fromkeys(therapists.get(clinic_id, []), epoch)
        free_p = dict.fromkeys(prescribers.get(clinic_id, []), epoch)
        free_lane = {(n, lane): epoch for n in nurses.get(clinic_id, []) for lane in range(1, capacity + 1)}
        present = prescribers.get(clinic_id, [])
        for turn, s in enumerate(sessions):
            active = s.status not in ("cancelled", "no_show")
            start, end = s.block_starts_at, s.block_ends_at

            def take(pool: dict, s_start=start, s_end=end, turn=turn):
                keys = list(pool)
                if not keys:
                    return None
                k0 = turn % len(keys)
                for key in keys[k0:] + keys[:k0]:
                    if pool[key] <= s_start:
                        pool[key] = s_end
                        return key
                return None

            if s.kind == "dosing":
                lane = take(free_lane)
                if lane:
                    yield (s.id, lane[0], "nurse", "shared", lane[1], start, end, active)
                if s.flavour == "kat":
                    t = take(free_t)
                    if t:
                        yield (s.id, t, "therapist", "exclusive", None, start, end, active)
                elif present:
                    yield (s.id, present[turn % len(present)], "prescriber", "present", None, start, end, active)
            elif s.kind in ("preparation", "integration", "check_in"):
                t = take(free_t)
                if t:
                    yield (s.id, t, "therapist", "exclusive", None, start, end, active)
            elif s.kind == "medical_intake":
                p = take(free_p)
                if p:
                    yield (s.id, p, "prescriber", "exclusive", None, start, end, active)
