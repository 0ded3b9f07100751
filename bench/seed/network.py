"""The clinic network: organization, clinics, staff with users and licences, rooms, patients and weights."""

from __future__ import annotations

import datetime as dt

from bench.seed.plan import (
    BENCH_PASSWORD,
    CLINIC_SITES,
    CREDENTIAL_SUFFIX,
    FIRST_NAMES,
    LAST_NAMES,
    LICENCES_BY_ROLE,
    ROOM_MIX,
    STAFF_MIX,
    SeedState,
)


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
    nurses_by_clinic = staff_by_clinic_role(st, "nurse")

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


def staff_by_clinic_role(st: SeedState, role: str) -> dict[int, list[int]]:
    out: dict[int, list[int]] = {}
    for s in st.staff:
        if s["role"] == role and not s["username"].startswith("network-"):
            out.setdefault(s["clinic"], []).append(s["id"])
    return out
