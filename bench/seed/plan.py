"""What to seed and the state passed from section to section: the plan at a scale, the generated rows."""

from __future__ import annotations

import datetime as dt
import random
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
