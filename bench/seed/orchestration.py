"""Running the sections in order, in one COPY transaction each, and the marker that lets a rerun at the
same scale on the same migrations reuse the data."""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import random
import time
import uuid
from collections.abc import Callable

from bench.seed.charting import seed_notes, seed_scales, seed_vitals
from bench.seed.followups import seed_followups
from bench.seed.network import seed_network, seed_patients
from bench.seed.plan import (
    MARKER_TABLE,
    SEEDER_VERSION,
    Plan,
    SeedState,
)
from bench.seed.programs import seed_programs
from bench.seed.sessions import seed_scheduling, seed_sessions

# --- the sections, in the order their rows depend on one another -----------------------------------

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

    payload = {**st.counts, "_timings": st.timings}
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
            log(f"  {name:<14} {st.timings[name]:>7.1f}s")
        # The queue's tally as beat leaves it every minute: one row per key, not one per COPY.
        from followups.services import queue_tallies_fold

        queue_tallies_fold()
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
    rows_kept = bool(pending) and not force and all(_keeps_rows_valid(migration) for migration, _ in pending)
    if (pending or force) and _has_rows() and not rows_kept:
        # New migrations (or --force): the old rows may not satisfy new constraints; start afresh.
        log(f"bench database {name} predates {len(pending)} migration(s); rebuilding it")
        connection.close()
        create_database(name, drop_first=True)
    marker = None if force else read_marker()
    # (A marker means a migrated database; a new or rebuilt one has no migrations table yet.)
    seeded_on = schema_version() if marker else None
    call_command("migrate", verbosity=0, interactive=False)
    if marker and marker["scale"] == scale and marker["schema_version"] == seeded_on:
        if rows_kept:
            # An index or a derived table cannot make the seeded rows invalid: build it on them
            # instead of reseeding.
            _restamp_marker()
            log(f"bench database {name}: {len(pending)} migration(s) keeping its rows applied to the seeded data")
            return read_marker() or marker
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


def _keeps_rows_valid(migration) -> bool:
    """Whether a migration leaves every seeded row valid: it only adds, removes or renames indexes,
    or it says so (`keeps_existing_rows_valid`: it only adds what it derives from the rows, such as
    a tally its triggers keep and its data step fills, or a periodic task)."""
    from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
    from django.db.migrations.operations import AddIndex, RemoveIndex, RenameIndex

    if getattr(migration, "keeps_existing_rows_valid", False):
        return True
    kinds = (AddIndex, RemoveIndex, RenameIndex, AddIndexConcurrently, RemoveIndexConcurrently)
    return bool(migration.operations) and all(isinstance(op, kinds) for op in migration.operations)


def _restamp_marker() -> None:
    """The marker names the schema as it is now (after migrations that keep the rows), the data unchanged."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(f"UPDATE {MARKER_TABLE} SET schema_version = %s", [schema_version()])


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
