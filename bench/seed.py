"""Seed a realistic clinic network into the bench database, fast (COPY), at a scale factor.

    python -m bench.seed --scale 1          # seed if missing or stale, else reuse
    python -m bench.seed --scale 0.1 --force

At scale 1: 10 clinics over several US time zones, ~150 staff with users, memberships and licences,
80 rooms and chairs, 20,000 patients with weights, and one year of sessions (~200k) laid out as a
non-overlapping timetable per room, per patient and per staff lane, so the product's exclusion
constraints accept every row without retries. Clinical records (assignments, notes, vitals, scales,
programs, follow-ups) are seeded for the models that exist on this branch; a missing model is skipped
and reported. A marker table records the scale and the schema version, so a rerun at the same
scale on the same migrations reuses the data.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import random
import sys
import time
import uuid
import zoneinfo
from collections.abc import Callable
from dataclasses import dataclass, field

# Bump when the generated data changes shape: a stale bench database is rebuilt.
SEEDER_VERSION = "2"
MARKER_TABLE = "bench_seed_marker"
BENCH_PASSWORD = "bench-only-password-7f3a9c"  # bench database only; never a real account

CLINIC_SITES = [
    ("Manhattan", "America/New_York", "NY"),
    ("Boston", "America/New_York", "MA"),
    ("Chicago", "America/Chicago", "IL"),
    ("Austin", "America/Chicago", "TX"),
    ("Denver", "America/Denver", "CO"),
    ("Phoenix", "America/Phoenix", "AZ"),
    ("Seattle", "America/Los_Angeles", "WA"),
    ("San Diego", "America/Los_Angeles", "CA"),
    ("Miami", "America/New_York", "FL"),
    ("Salt Lake City", "America/Denver", "UT"),
]
FIRST_NAMES = [
    "Ava",
    "Ben",
    "Chloe",
    "Dev",
    "Elena",
    "Farid",
    "Grace",
    "Hiro",
    "Isla",
    "Jamal",
    "Kira",
    "Liam",
    "Maya",
    "Noah",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sam",
    "Tara",
    "Uma",
    "Victor",
    "Wen",
    "Xavier",
    "Yara",
    "Zane",
    "Amir",
    "Bea",
    "Cal",
    "Dina",
    "Eli",
    "Fay",
    "Gus",
    "Hana",
    "Ivan",
    "Jo",
    "Kai",
    "Lena",
    "Milo",
    "Nia",
]
LAST_NAMES = [
    "Abbott",
    "Baker",
    "Chen",
    "Diaz",
    "Evans",
    "Fischer",
    "Garcia",
    "Hughes",
    "Ito",
    "Jensen",
    "Khan",
    "Lopez",
    "Martin",
    "Nguyen",
    "Okafor",
    "Patel",
    "Quinn",
    "Rossi",
    "Silva",
    "Tanaka",
    "Ueda",
    "Vargas",
    "Walsh",
    "Xu",
    "Young",
    "Zhang",
    "Alvarez",
    "Brooks",
    "Cohen",
    "Duarte",
]

# Staff per clinic by role: 15 a clinic, 150 at scale 1.
STAFF_MIX = {"admin": 1, "scheduler": 2, "nurse": 4, "prescriber": 2, "therapist": 6}
LICENCES_BY_ROLE = {"nurse": ["rn"], "prescriber": ["md", "dea"], "therapist": ["lcsw"]}
CREDENTIAL_SUFFIX = {"nurse": "RN", "prescriber": "MD", "therapist": "LCSW"}

# Rooms per clinic: 8 a clinic, 80 at scale 1.
ROOM_MIX = [
    ("infusion_chair", ["monitored", "iv", "recovery"], 4),
    ("treatment_room", ["monitored", "therapy"], 3),
    ("consult_room", ["therapy"], 1),
]
OPEN_AT = dt.time(7, 0)
CLOSE_AT = dt.time(19, 0)


@dataclass(frozen=True)
class Plan:
    """How much to seed. Scale multiplies the network (clinics, staff, rooms, patients, sessions)."""

    scale: float
    clinics: int
    patients_per_clinic: int
    days_history: int = 351
    days_future: int = 14
    future_density: float = 0.5
    weights_per_patient: int = 2
    seed: int = 20260101

    @classmethod
    def for_scale(cls, scale: float, **overrides) -> Plan:
        clinics = max(1, round(10 * scale))
        patients_per_clinic = max(20, round(20_000 * scale / clinics))
        return cls(scale=scale, clinics=clinics, patients_per_clinic=patients_per_clinic, **overrides)

    @property
    def staff_per_clinic(self) -> int:
        return sum(STAFF_MIX.values())

    @property
    def rooms_per_clinic(self) -> int:
        return sum(n for _, _, n in ROOM_MIX)


@dataclass
class SessionRow:
    id: int
    clinic: int
    patient: int
    kind: str
    status: str
    starts_at: dt.datetime
    ends_at: dt.datetime
    block_starts_at: dt.datetime
    block_ends_at: dt.datetime
    room: int | None
    room_kind: str
    flavour: str  # "iv", "kat", "esketamine" for dosing; "" otherwise


@dataclass
class SeedState:
    plan: Plan
    rng: random.Random
    anchor: dt.date  # "today" of the dataset: history before it, bookings after it
    now: dt.datetime
    org_id: int = 0
    clinics: list[dict] = field(default_factory=list)
    staff: list[dict] = field(default_factory=list)  # {id, user_id, clinic, role}
    rooms: list[dict] = field(default_factory=list)  # {id, clinic, kind}
    patients_by_clinic: dict[int, list[int]] = field(default_factory=dict)
    sessions: list[SessionRow] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)


# --- core: the clinic network --------------------------------------------------------------------


def seed_network(st: SeedState) -> None:
    from django.contrib.auth.hashers import make_password

    from bench.copyutil import copy_rows, reserve_ids
    from kat_clinic.models import (
        Clinic,
        ClinicCertification,
        ClinicMembership,
        Licence,
        Organization,
        Room,
        StaffMember,
        User,
    )

    plan, rng = st.plan, st.rng
    org = Organization.objects.create(name="Bench Clinic Network", slug="bench-network")
    st.org_id = org.pk

    first = reserve_ids(Clinic, plan.clinics)
    clinic_rows = []
    for i in range(plan.clinics):
        site, tz, state = CLINIC_SITES[i % len(CLINIC_SITES)]
        n = i // len(CLINIC_SITES)
        name = site if n == 0 else f"{site} {n + 1}"
        slug = name.lower().replace(" ", "-")
        st.clinics.append({"id": first + i, "name": name, "slug": slug, "tz": tz, "state": state})
        clinic_rows.append((first + i, org.pk, name, slug, tz, f"{100 + i} Main St", "555-0100", 3, True))
    st.counts["clinics"] = copy_rows(
        Clinic,
        ["id", "organization_id", "name", "slug", "timezone", "address", "phone", "nurse_shared_capacity", "active"],
        clinic_rows,
    )
    cert_rows = []
    for c in st.clinics:
        for kind in ("esketamine_rems", "dea_site", "state_licence"):
            cert_rows.append((c["id"], kind, f"{kind.upper()}-{c['id']}", dt.date(2020, 1, 1), dt.date(2035, 12, 31)))
    copy_rows(ClinicCertification, ["clinic_id", "kind", "identifier", "valid_from", "expires_on"], cert_rows)

    # Rooms and chairs.
    n_rooms = plan.clinics * plan.rooms_per_clinic
    rid = reserve_ids(Room, n_rooms)
    room_rows = []
    for c in st.clinics:
        for kind, caps, count in ROOM_MIX:
            for k in range(count):
                name = {"infusion_chair": "Chair", "treatment_room": "Room", "consult_room": "Consult"}[kind]
                room_rows.append((rid, c["id"], f"{name} {k + 1}", kind, caps, True))
                st.rooms.append({"id": rid, "clinic": c["id"], "kind": kind})
                rid += 1
    st.counts["rooms"] = copy_rows(Room, ["id", "clinic_id", "name", "kind", "capabilities", "active"], room_rows)

    # Staff with users, one membership each (plus a network admin across all clinics).
    n_staff = plan.clinics * plan.staff_per_clinic + 2
    password = make_password(BENCH_PASSWORD)
    uid = reserve_ids(User, n_staff)
    sid = reserve_ids(StaffMember, n_staff)
    user_rows, staff_rows, member_rows, licence_rows = [], [], [], []
    joined = st.now - dt.timedelta(days=400)

    def add_staff(username: str, first_name: str, last_name: str, role: str, clinic_ids: list[int], state: str):
        nonlocal uid, sid
        user_rows.append((uid, password, username, first_name, last_name, f"{username}@bench.invalid", True, joined))
        staff_rows.append((sid, uid, st.org_id, first_name, last_name, CREDENTIAL_SUFFIX.get(role, ""), True))
        for cid in clinic_ids:
            member_rows.append((sid, cid, role, True))
        for kind in LICENCES_BY_ROLE.get(role, []):
            licence_rows.append(
                (sid, kind, state, f"{kind.upper()}{sid:07d}", dt.date(2019, 1, 1), dt.date(2030, 12, 31))
            )
        st.staff.append({"id": sid, "user_id": uid, "clinic": clinic_ids[0], "role": role, "username": username})
        uid += 1
        sid += 1

    for c in st.clinics:
        for role, count in STAFF_MIX.items():
            for k in range(count):
                add_staff(
                    f"{c['slug']}-{role}-{k + 1}",
                    rng.choice(FIRST_NAMES),
                    rng.choice(LAST_NAMES),
                    role,
                    [c["id"]],
                    c["state"],
                )
    # Network-wide accounts: an admin, and a scheduler who books across clinics (the booking load).
    add_staff("network-admin", "Network", "Admin", "admin", [c["id"] for c in st.clinics], "NY")
    add_staff("network-scheduler", "Network", "Scheduler", "scheduler", [c["id"] for c in st.clinics], "NY")
    copy_rows(
        User, ["id", "password", "username", "first_name", "last_name", "email", "is_active", "date_joined"], user_rows
    )
    st.counts["staff"] = copy_rows(
        StaffMember,
        ["id", "user_id", "organization_id", "first_name", "last_name", "credentials_suffix", "active"],
        staff_rows,
    )
    st.counts["memberships"] = copy_rows(ClinicMembership, ["staff_id", "clinic_id", "role", "active"], member_rows)
    st.counts["licences"] = copy_rows(
        Licence, ["staff_id", "kind", "state", "number", "issued_on", "expires_on"], licence_rows
    )


def seed_patients(st: SeedState) -> None:
    from bench.copyutil import copy_rows, reserve_ids
    from kat_clinic.models import Patient, PatientWeight

    plan, rng = st.plan, st.rng
    total = plan.clinics * plan.patients_per_clinic
    pid = reserve_ids(Patient, total)
    sexes = ["female", "male", "female", "male", "intersex", "unknown"]
    created = st.now - dt.timedelta(days=plan.days_history + 30)

    def patient_rows():
        nonlocal pid
        for c in st.clinics:
            ids = st.patients_by_clinic.setdefault(c["id"], [])
            for _ in range(plan.patients_per_clinic):
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                dob = dt.date(1950, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 55))
                ids.append(pid)
                yield (
                    pid,
                    st.org_id,
                    c["id"],
                    f"B{pid:08d}",
                    first,
                    last,
                    dob,
                    rng.choice(sexes),
                    f"555-{pid % 10000:04d}",
                    f"p{pid}@bench.invalid",
                    "en",
                    "Emergency Contact",
                    "555-0199",
                    "partner",
                    created,
                )
                pid += 1

    st.counts["patients"] = copy_rows(
        Patient,
        [
            "id",
            "organization_id",
            "home_clinic_id",
            "mrn",
            "first_name",
            "last_name",
            "date_of_birth",
            "sex_at_birth",
            "phone",
            "email",
            "preferred_language",
            "emergency_contact_name",
            "emergency_contact_phone",
            "emergency_contact_relationship",
            "created_at",
        ],
        patient_rows(),
    )
    nurses_by_clinic = _staff_by_clinic_role(st, "nurse")

    def weight_rows():
        for c in st.clinics:
            nurses = nurses_by_clinic.get(c["id"], [None])
            for p in st.patients_by_clinic[c["id"]]:
                base = rng.uniform(50, 120)
                for k in range(plan.weights_per_patient):
                    days_ago = rng.randrange(0, plan.days_history) if k else rng.randrange(0, 20)
                    yield (
                        p,
                        round(base + rng.uniform(-2, 2), 1),
                        st.now - dt.timedelta(days=days_ago, minutes=rng.randrange(600)),
                        rng.choice(nurses),
                    )

    st.counts["patient_weights"] = copy_rows(
        PatientWeight, ["patient_id", "weight_kg", "measured_at", "recorded_by_id"], weight_rows()
    )


def _staff_by_clinic_role(st: SeedState, role: str) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for s in st.staff:
        if s["role"] == role and not s["username"].startswith("network-"):
            out.setdefault(s["clinic"], []).append(s["id"])
    return out


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
    from bench.copyutil import copy_rows, field_names
    from sessions.models import Session

    build_timetable(st)
    names = field_names(Session)
    cols = ["id", "clinic_id", "patient_id", "kind", "status", "starts_at", "ends_at"]
    cols += ["block_starts_at", "block_ends_at", "room_id", "telehealth", "created_at"]
    extra = _session_extra_columns(st, names)
    cols += [c for c, _ in extra]

    def rows():
        for s in st.sessions:
            base = (s.id, s.clinic, s.patient, s.kind, s.status, s.starts_at, s.ends_at)
            base += (s.block_starts_at, s.block_ends_at, s.room, False, s.block_starts_at - dt.timedelta(days=10))
            if extra:
                base += tuple(f(s) for _, f in extra)
            yield base

    st.counts["sessions"] = copy_rows(Session, cols, rows())


def _session_extra_columns(st: SeedState, names: set[str]) -> list[tuple[str, Callable[[SessionRow], object]]]:
    """Columns the scheduling app added to Session that the timetable can fill meaningfully."""
    extra: list[tuple[str, Callable[[SessionRow], object]]] = []
    done = ("completed", "in_progress")

    def add(name: str, fn: Callable[[SessionRow], object]) -> None:
        if name in names:
            extra.append((name, fn))

    add("active", lambda s: s.status not in ("cancelled", "no_show"))
    add("cancelled_at", lambda s: s.starts_at - dt.timedelta(hours=30) if s.status == "cancelled" else None)
    add("cancellation_reason", lambda s: "patient request" if s.status == "cancelled" else "")
    add("cancel_reason", lambda s: "patient request" if s.status == "cancelled" else "")
    add("no_show_at", lambda s: s.starts_at + dt.timedelta(minutes=20) if s.status == "no_show" else None)
    add("checked_in_at", lambda s: s.starts_at - dt.timedelta(minutes=10) if s.status in done else None)
    add("started_at", lambda s: s.starts_at if s.status in done else None)
    add("completed_at", lambda s: s.block_ends_at if s.status == "completed" else None)
    return extra


# --- scheduling: hours, policies, staff assignments laid out per lane ------------------------------


def seed_scheduling(st: SeedState) -> None:
    from bench.copyutil import copy_rows, model_or_none

    Assignment = model_or_none("clinic_sessions.StaffAssignment")
    WorkingHours = model_or_none("clinic_sessions.WorkingHours")
    RoomHours = model_or_none("clinic_sessions.RoomHours")
    Policy = model_or_none("clinic_sessions.SchedulingPolicy")
    if Assignment is None:
        st.skipped["scheduling"] = "no StaffAssignment model on this branch"
        return
    valid_from = st.anchor - dt.timedelta(days=st.plan.days_history + 30)
    if WorkingHours is not None:
        rows = [
            (s["id"], s["clinic"], wd, OPEN_AT, CLOSE_AT, valid_from)
            for s in st.staff
            if s["role"] in ("nurse", "prescriber", "therapist")
            for wd in range(7)
        ]
        st.counts["working_hours"] = copy_rows(
            WorkingHours, ["staff_id", "clinic_id", "weekday", "start_time", "end_time", "valid_from"], rows
        )
    if RoomHours is not None:
        rows = [(r["id"], wd, OPEN_AT, CLOSE_AT) for r in st.rooms for wd in range(7)]
        copy_rows(RoomHours, ["room_id", "weekday", "start_time", "end_time"], rows)
    if Policy is not None:
        copy_rows(Policy, ["clinic_id"], [(c["id"],) for c in st.clinics])
    st.counts["staff_assignments"] = copy_rows(
        Assignment,
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
    therapists = _staff_by_clinic_role(st, "therapist")
    nurses = _staff_by_clinic_role(st, "nurse")
    prescribers = _staff_by_clinic_role(st, "prescriber")
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


# --- programs: shipped templates, a year of enrollments, and a pool of KAT plans to book ----------


def seed_programs(st: SeedState) -> None:
    from bench.copyutil import copy_rows, model_or_none, reserve_ids

    Enrollment = model_or_none("programs.Enrollment")
    PlannedSession = model_or_none("programs.PlannedSession")
    if Enrollment is None or PlannedSession is None:
        st.skipped["programs"] = "no Enrollment model on this branch"
        return
    from kat_clinic.models import Organization
    from programs.catalog import install_shipped_templates
    from programs.models import ProgramTemplate
    from programs.services import plan_for

    org = Organization.objects.get(pk=st.org_id)
    install_shipped_templates(organization=org)
    templates = {t.catalog_key: t for t in ProgramTemplate.objects.filter(organization=org, state="published")}
    plans = {key: plan_for(template=t) for key, t in templates.items()}
    kat = templates.get("ketamine_assisted_therapy")
    history_keys = [k for k in ("iv_ketamine_induction", "ketamine_assisted_therapy") if k in templates]
    if not history_keys or kat is None:
        st.skipped["programs"] = "shipped templates missing"
        return
    rng, plan = st.rng, st.plan
    enrollments: list[tuple] = []  # (id, patient, template key, clinic, status, enrolled_at, planned status)
    # Unbooked KAT plans for the booking load: enough for several runs on a reused database.
    pool_size = min(plan.patients_per_clinic // 4, 100)
    for c in st.clinics:
        patients = st.patients_by_clinic[c["id"]]
        n_hist = len(patients) // 2
        for k, p in enumerate(patients[:n_hist]):
            key = history_keys[k % len(history_keys)]
            enrolled = st.now - dt.timedelta(days=rng.randrange(30, plan.days_history + 30))
            status = "completed" if k % 5 else "active"
            enrollments.append((p, key, c["id"], status, enrolled, "completed" if status == "completed" else "booked"))
        for p in patients[n_hist : n_hist + pool_size]:
            enrollments.append((p, "ketamine_assisted_therapy", c["id"], "active", st.now, "to_book"))
    first = reserve_ids(Enrollment, len(enrollments))
    n_planned = sum(len(plans[e[1]]) for e in enrollments)
    ps_first = reserve_ids(PlannedSession, n_planned)
    enrollment_rows, planned_rows = [], []
    ps_id = ps_first
    for i, (patient, key, clinic, status, enrolled, planned_status) in enumerate(enrollments):
        eid = first + i
        t = templates[key]
        enrollment_rows.append((eid, patient, t.pk, clinic, t.pathway, status, enrolled, enrolled))
        items = plans[key]
        index = {(item["step"].pk, item["occurrence"]): n for n, item in enumerate(items)}
        for n, item in enumerate(items):
            linked = None
            if item["linked"] is not None:
                dosing_step, occurrence = item["linked"]
                linked = ps_id - n + index[(dosing_step.pk, occurrence)]
            window_min, window_max = item["window"]
            planned_rows.append(
                (
                    ps_id,
                    eid,
                    item["step"].pk,
                    n + 1,
                    item["occurrence"],
                    item["step"].kind,
                    planned_status,
                    linked,
                    window_min,
                    window_max,
                )
            )
            ps_id += 1
    st.counts["enrollments"] = copy_rows(
        Enrollment,
        ["id", "patient_id", "template_id", "clinic_id", "pathway", "status", "status_changed_at", "enrolled_at"],
        enrollment_rows,
    )
    # Linked rows point at earlier ids of the same enrollment, so one COPY in id order satisfies the FK.
    st.counts["planned_sessions"] = copy_rows(
        PlannedSession,
        [
            "id",
            "enrollment_id",
            "step_id",
            "sequence",
            "occurrence",
            "kind",
            "status",
            "linked_dosing_id",
            "window_min",
            "window_max",
        ],
        planned_rows,
    )
    st.counts["booking_pool"] = pool_size * len(st.clinics)


# --- charting: vitals flowsheets, signed notes, rating scales --------------------------------------

VITALS_EVERY_MIN = 15
NOTE_KIND = {"preparation": "preparation", "dosing": "dosing", "integration": "integration"}


def _charted(st: SeedState) -> list[SessionRow]:
    return [s for s in st.sessions if s.status in ("completed", "in_progress")]


def seed_vitals(st: SeedState) -> None:
    from bench.copyutil import copy_rows, model_or_none

    VitalSign = model_or_none("monitoring.VitalSign")
    if VitalSign is None:
        st.skipped["vitals"] = "no VitalSign model on this branch"
        return
    rng = st.rng
    nurses = _staff_by_clinic_role(st, "nurse")
    readings = 0

    def rows():
        nonlocal readings
        step = dt.timedelta(minutes=VITALS_EVERY_MIN)
        for s in _charted(st):
            if s.kind != "dosing":
                continue
            # A monitor's flowsheet: baseline, a pressure peak around 40 minutes, back near baseline.
            sys0 = rng.gauss(124, 12)
            hr0 = rng.gauss(74, 9)
            nurse = rng.choice(nurses[s.clinic])
            end = min(s.block_ends_at, st.now)
            t, k = s.block_starts_at, 0
            while t < end:
                minutes = k * VITALS_EVERY_MIN
                bump = 16 * max(0.0, 1 - abs(minutes - 40) / 40)
                systolic = int(min(230, max(85, sys0 + bump + rng.gauss(0, 5))))
                diastolic = int(min(systolic - 15, max(50, systolic * 0.64 + rng.gauss(0, 4))))
                heart = int(min(150, max(45, hr0 + bump / 2 + rng.gauss(0, 4))))
                spo2 = min(100, max(90, int(round(rng.gauss(97.5, 1.2)))))
                rr = int(max(10, min(24, rng.gauss(15, 2)))) if k % 3 == 0 else None
                readings += 3 + (rr is not None)  # BP, heart rate, SpO2 (+ respiratory rate)
                yield (s.id, s.patient, t, systolic, diastolic, heart, spo2, rr, "device", f"m{s.id}-{k}", nurse, t)
                t += step
                k += 1

    st.counts["vital_sign_rows"] = copy_rows(
        VitalSign,
        [
            "session_id",
            "patient_id",
            "measured_at",
            "systolic_mmhg",
            "diastolic_mmhg",
            "heart_rate_bpm",
            "spo2_percent",
            "respiratory_rate_per_min",
            "source",
            "device_reading_id",
            "entered_by_id",
            "entered_at",
        ],
        rows(),
    )
    st.counts["vital_readings"] = readings


def seed_notes(st: SeedState) -> None:
    from bench.copyutil import copy_rows, model_or_none, reserve_ids

    Note = model_or_none("monitoring.ClinicalNote")
    if Note is None:
        st.skipped["notes"] = "no ClinicalNote model on this branch"
        return
    try:
        from monitoring.services.notes import note_content_hash
    except ImportError:  # the hash of the signed content, as the product computes it when it can
        note_content_hash = None
    rng = st.rng
    therapists = _staff_by_clinic_role(st, "therapist")
    nurses = _staff_by_clinic_role(st, "nurse")
    prescribers = _staff_by_clinic_role(st, "prescriber")
    sessions = [s for s in st.sessions if s.status == "completed"]
    first = reserve_ids(Note, len(sessions))
    bodies = [
        "Patient tolerated the session well; no adverse events. Plan unchanged.",
        "Discussed intentions and expectations; consent reviewed; questions answered.",
        "Reviewed the experience of the last dosing; themes of agency and grief; homework agreed.",
        "Vitals stable throughout; mild transient dissociation resolved before discharge.",
    ]

    def rows():
        for i, s in enumerate(sessions):
            kind = NOTE_KIND.get(s.kind, "general")
            if s.kind == "dosing" and s.flavour != "kat":
                author = rng.choice(nurses[s.clinic])
            elif s.kind == "medical_intake":
                author = rng.choice(prescribers[s.clinic])
            else:
                author = rng.choice(therapists[s.clinic])
            signed_at = s.block_ends_at + dt.timedelta(minutes=rng.randrange(10, 240))
            sections = {"assessment": "Stable.", "plan": "Continue program."}
            body = rng.choice(bodies)
            digest = hashlib.sha256(body.encode()).hexdigest()
            if note_content_hash is not None:
                digest = note_content_hash(
                    Note(
                        pk=first + i,
                        session_id=s.id,
                        patient_id=s.patient,
                        kind=kind,
                        sections=sections,
                        body=body,
                        author_id=author,
                        signed_by_id=author,
                        signed_at=signed_at,
                    )
                )
            cosigner = rng.choice(prescribers[s.clinic]) if kind == "dosing" else None
            cosigned_at = signed_at + dt.timedelta(hours=2) if cosigner else None
            yield (
                first + i,
                s.id,
                s.patient,
                kind,
                sections,
                body,
                author,
                "signed",
                2,
                signed_at - dt.timedelta(minutes=30),
                signed_at,
                author,
                signed_at,
                digest,
                cosigner,
                cosigned_at,
            )

    st.counts["notes"] = copy_rows(
        Note,
        [
            "id",
            "session_id",
            "patient_id",
            "kind",
            "sections",
            "body",
            "author_id",
            "status",
            "version",
            "created_at",
            "updated_at",
            "signed_by_id",
            "signed_at",
            "content_sha256",
            "cosigned_by_id",
            "cosigned_at",
        ],
        rows(),
    )


def seed_scales(st: SeedState) -> None:
    from bench.copyutil import copy_rows, model_or_none

    Response = model_or_none("monitoring.ScaleResponse")
    if Response is None:
        st.skipped["scales"] = "no ScaleResponse model on this branch"
        return
    from monitoring.scales import score

    rng = st.rng
    therapists = _staff_by_clinic_role(st, "therapist")
    # Each patient's PHQ-9 drifts down over their course, as responders' do.
    level: dict[int, float] = {}

    def answers(n: int, item_max: int, mean: float) -> list[int]:
        return [min(item_max, max(0, int(round(rng.gauss(mean, 0.8))))) for _ in range(n)]

    def rows():
        for s in _charted(st):
            if s.kind == "dosing":
                todo = [("phq9", 9, 3)]
            elif s.kind == "medical_intake":
                todo = [("phq9", 9, 3), ("gad7", 7, 3)]
            else:
                continue
            for scale, n, item_max in todo:
                mean = level.get(s.patient, rng.uniform(1.3, 2.4))
                items = answers(n, item_max, mean)
                level[s.patient] = max(0.2, mean * 0.9)
                result = score(scale, items)
                yield (
                    s.patient,
                    s.id,
                    scale,
                    items,
                    result.total,
                    result.severity,
                    result.high_risk,
                    result.loinc_panel,
                    result.loinc_total,
                    "clinician",
                    rng.choice(therapists[s.clinic]),
                    s.starts_at - dt.timedelta(minutes=15),
                )

    st.counts["scale_responses"] = copy_rows(
        Response,
        [
            "patient_id",
            "session_id",
            "scale",
            "answers",
            "total",
            "severity",
            "high_risk",
            "loinc_panel",
            "loinc_total",
            "source",
            "recorded_by_id",
            "completed_at",
        ],
        rows(),
    )


# --- follow-ups: reminders to patients, and the staff queue's items ---------------------------------


def seed_followups(st: SeedState) -> None:
    from bench.copyutil import copy_rows, model_or_none

    FollowUp = model_or_none("integration.FollowUp")
    if FollowUp is None:
        st.skipped["followups"] = "no FollowUp model on this branch"
        return
    rng = st.rng
    schedulers = _staff_by_clinic_role(st, "scheduler")
    nurses = _staff_by_clinic_role(st, "nurse")
    recent = st.now - dt.timedelta(days=3)

    def staff_item(s: SessionRow, kind: str, role: str, due: dt.datetime, acker: list[int]):
        if due > st.now:
            status, sent, acked, by = "pending", None, None, None
        elif due > recent:
            status, sent, acked, by = "sent", due, None, None
        else:
            status, sent, acked, by = "acknowledged", due, due + dt.timedelta(hours=2), rng.choice(acker)
        return (s.clinic, kind, "in_app", "role", s.patient, role, s.id, {"session_id": s.id}), (
            f"bench:{kind}:{s.id}",
            due,
            status,
            1 if sent else 0,
            sent,
            acked,
            by,
        )

    def rows():
        for s in st.sessions:
            due = s.block_starts_at - dt.timedelta(hours=24)
            done = due <= st.now
            yield (s.clinic, "session_reminder", "sms", "patient", s.patient, "", s.id, {"session_id": s.id}) + (
                f"bench:session_reminder:{s.id}",
                due,
                "sent" if done else "pending",
                1 if done else 0,
                due if done else None,
                None,
                None,
            )
            if s.status == "no_show":
                head, tail = staff_item(
                    s, "no_show_review", "scheduler", s.block_starts_at + dt.timedelta(minutes=30), schedulers[s.clinic]
                )
                yield head + tail
            elif s.kind == "dosing" and s.flavour == "esketamine" and s.status == "completed":
                head, tail = staff_item(s, "rems_form_due", "nurse", s.block_ends_at, nurses[s.clinic])
                yield head + tail

    st.counts["followups"] = copy_rows(
        FollowUp,
        [
            "clinic_id",
            "kind",
            "channel",
            "target",
            "patient_id",
            "role",
            "session_id",
            "payload",
            "idempotency_key",
            "due_at",
            "status",
            "attempts",
            "sent_at",
            "acknowledged_at",
            "acknowledged_by_id",
        ],
        rows(),
    )


# --- sections for the other apps: seeded when their models exist ---------------------------------

SECTIONS: list[tuple[str, Callable[[SeedState], None]]] = [
    ("network", seed_network),
    ("patients", seed_patients),
    ("programs", seed_programs),
    ("sessions", seed_sessions),
    ("scheduling", seed_scheduling),
    ("notes", seed_notes),
    ("vitals", seed_vitals),
    ("scales", seed_scales),
    ("followups", seed_followups),
]


def register(name: str):
    def wrap(fn: Callable[[SeedState], None]):
        SECTIONS.append((name, fn))
        return fn

    return wrap


# --- orchestration -----------------------------------------------------------------------------------


def schema_version() -> str:
    """The seeder version plus the set of applied migrations: new migrations mean a fresh seed."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT app, name FROM django_migrations ORDER BY app, name")
        applied = cur.fetchall()
    digest = hashlib.sha1(repr(applied).encode()).hexdigest()[:12]
    return f"{SEEDER_VERSION}-{digest}"


def read_marker() -> dict | None:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass(%s)", [MARKER_TABLE])
        if cur.fetchone()[0] is None:
            return None
        cur.execute(f"SELECT scale, schema_version, anchor, seeded_at, seconds, counts FROM {MARKER_TABLE}")
        row = cur.fetchone()
    if row is None:
        return None
    scale, version, anchor, seeded_at, seconds, counts = row
    if isinstance(counts, str):  # Django leaves jsonb undecoded
        counts = json.loads(counts)
    return {
        "scale": float(scale),
        "schema_version": version,
        "anchor": anchor.isoformat(),
        "seeded_at": seeded_at.isoformat(),
        "seconds": seconds,
        "counts": counts,
    }


def write_marker(st: SeedState, seconds: float) -> None:
    from django.db import connection

    payload = {**st.counts, "_timings": st.timings, "_skipped": st.skipped}
    with connection.cursor() as cur:
        cur.execute(
            f"CREATE TABLE IF NOT EXISTS {MARKER_TABLE} (scale numeric NOT NULL, schema_version text NOT NULL, "
            "anchor date NOT NULL, seeded_at timestamptz NOT NULL, seconds double precision NOT NULL, "
            "counts jsonb NOT NULL)"
        )
        cur.execute(f"DELETE FROM {MARKER_TABLE}")
        cur.execute(
            f"INSERT INTO {MARKER_TABLE} VALUES (%s, %s, %s, now(), %s, %s)",
            [st.plan.scale, schema_version(), st.anchor, seconds, json.dumps(payload)],
        )


def seed(plan: Plan, *, anchor: dt.date | None = None, log: Callable[[str], None] = print) -> SeedState:
    """Seed `plan` into the current database (which must hold no bench data yet). Returns the state."""
    from django.db import connection, transaction

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    st = SeedState(plan=plan, rng=random.Random(plan.seed), anchor=anchor or now.date(), now=now)
    with connection.cursor() as cur:
        # Only this connection's commits wait less for the WAL flush; nothing the product relies on.
        cur.execute("SET synchronous_commit = off")
        # Every trigger still fires. Defining these settings only spares the history triggers their
        # per-row exception path (pgtrigger's ignore check and pghistory's context lookup each catch
        # an "unrecognized parameter" error in a subtransaction), which grows worse than linearly in
        # one long COPY transaction. The history rows get a context saying the seeder wrote them.
        cur.execute(
            "SELECT set_config('pgtrigger.ignore', '{}', false), set_config('pghistory.context_id', %s, false), "
            "set_config('pghistory.context_metadata', %s, false)",
            [str(uuid.uuid4()), json.dumps({"source": "bench.seed", "scale": plan.scale})],
        )
    try:
        for name, fn in SECTIONS:
            t0 = time.perf_counter()
            with transaction.atomic():
                fn(st)
            st.timings[name] = round(time.perf_counter() - t0, 2)
            log(f"  {name:<14} {st.timings[name]:>7.1f}s  " + (st.skipped.get(name) or ""))
    finally:
        with connection.cursor() as cur:
            cur.execute("RESET pgtrigger.ignore; RESET pghistory.context_id; RESET pghistory.context_metadata")
            cur.execute("RESET synchronous_commit")
    return st


def ensure_seeded(scale: float, *, force: bool = False, log: Callable[[str], None] = print) -> dict:
    """Create, migrate and seed the bench database for `scale` unless it already holds that seed."""
    from bench.benchdb import bench_db_name, create_database, database_exists

    name = bench_db_name(scale)
    if not database_exists(name):
        create_database(name)
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    pending = executor.migration_plan(executor.loader.graph.leaf_nodes())
    if (pending or force) and _has_rows():
        # New migrations (or --force): the old rows may not satisfy new constraints; start afresh.
        log(f"bench database {name} predates {len(pending)} migration(s); rebuilding it")
        connection.close()
        create_database(name, drop_first=True)
    marker = None if force else read_marker()
    call_command("migrate", verbosity=0, interactive=False)
    if marker and marker["scale"] == scale and marker["schema_version"] == schema_version():
        log(f"bench database {name} already seeded at scale {scale:g} ({marker['seeded_at']}); reusing it")
        return marker
    if marker or _has_rows():
        log(f"bench database {name} is stale or partial; rebuilding it")
        connection.close()
        create_database(name, drop_first=True)
        call_command("migrate", verbosity=0, interactive=False)
    plan = Plan.for_scale(scale)
    log(f"seeding {name} at scale {scale:g}: {plan}")
    t0 = time.perf_counter()
    st = seed(plan, log=log)
    t_seed = time.perf_counter() - t0
    t1 = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    st.timings["analyze"] = round(time.perf_counter() - t1, 2)
    seconds = round(time.perf_counter() - t0, 1)
    write_marker(st, seconds)
    log(f"seeded in {seconds:.1f}s (inserts {t_seed:.1f}s): {json.dumps(st.counts)}")
    return read_marker() or {}


def _has_rows() -> bool:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT to_regclass('kat_clinic_organization')")
        if cur.fetchone()[0] is None:
            return False
        cur.execute("SELECT EXISTS (SELECT 1 FROM kat_clinic_organization WHERE slug = 'bench-network')")
        return cur.fetchone()[0]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--force", action="store_true", help="reseed even if the marker matches")
    parser.add_argument("--json", help="write the marker (counts, timings) to this file")
    args = parser.parse_args(argv)
    from bench.benchdb import use_bench_database

    use_bench_database(args.scale)
    os.environ.setdefault("DEBUG", "false")
    marker = ensure_seeded(args.scale, force=args.force)
    if args.json:
        with open(args.json, "w") as fh:
            json.dump(marker, fh, indent=2, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
