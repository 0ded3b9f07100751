"""Seed a realistic clinic network into the bench database, fast (COPY), at a scale factor.

    python -m bench.seed --scale 1          # seed if missing or stale, else reuse
    python -m bench.seed --scale 0.1 --force

At scale 1: 10 clinics over several US time zones, ~150 staff with users, memberships and licences,
80 rooms and chairs, 20,000 patients with weights, and one year of sessions (~200k) laid out as a
non-overlapping timetable per room, per patient and per staff lane, so the product's exclusion
constraints accept every row without retries. Clinical records (assignments, notes, vitals, scales,
programs, follow-ups) are seeded too. A marker table records the scale and the schema version, so a
rerun at the same scale on the same migrations reuses the data.

One module per area: `plan` (the plan and the state), `network`, `sessions` (timetable and
scheduling), `programs`, `charting`, `followups`, and `orchestration` (sections, marker, entry point).
"""

from __future__ import annotations

from bench.seed.orchestration import SECTIONS, ensure_seeded, main, read_marker, schema_version, seed, write_marker
from bench.seed.plan import BENCH_PASSWORD, MARKER_TABLE, SEEDER_VERSION, Plan, SeedState, SessionRow

__all__ = [
    "BENCH_PASSWORD",
    "MARKER_TABLE",
    "SECTIONS",
    "SEEDER_VERSION",
    "Plan",
    "SeedState",
    "SessionRow",
    "ensure_seeded",
    "main",
    "read_marker",
    "schema_version",
    "seed",
    "write_marker",
]
