"""`python -m bench.seed` against the server: a new database is created, migrated and seeded; a
rerun on the same schema reuses it; a missing migration that keeps the rows valid (an index, the
queue's tally) is applied to the seeded rows instead of a reseed (scale 10 takes half an hour)."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg2
import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow, pytest.mark.django_db]


def _server_url(database: str) -> str:
    db = connection.settings_dict
    password = f":{db['PASSWORD']}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{database}"


def _run(env: dict, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=540, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def _one(database: str, sql: str):
    db = connection.settings_dict
    with (
        psycopg2.connect(
            dbname=database, user=db["USER"], password=db["PASSWORD"] or None, host=db["HOST"] or "127.0.0.1"
        ) as conn,
        conn.cursor() as cur,
    ):
        cur.execute(sql)
        return cur.fetchone()


@pytest.fixture
def bench_env():
    prefix = f"kat_clinic_bench_t{uuid.uuid4().hex[:8]}"
    name = f"{prefix}_x0_01"
    env = {
        **os.environ,
        "BENCH_DB_PREFIX": prefix,
        "DATABASE_URL": _server_url("postgres"),
        "SECRET_KEY": "bench-seed-test",
        "DEBUG": "false",
    }
    yield env, name
    subprocess.run(["dropdb", "--if-exists", "--force", name], env={**env, **_libpq()}, check=False)


def _libpq() -> dict[str, str]:
    db = connection.settings_dict
    return {"PGHOST": db["HOST"] or "127.0.0.1", "PGPORT": str(db["PORT"] or 5432), "PGUSER": db["USER"]}


def test_a_seed_is_made_once_reused_and_takes_migrations_keeping_its_rows_without_a_reseed(bench_env):
    env, name = bench_env
    seed = ("-m", "bench.seed", "--scale", "0.01")

    # when the bench seeds a server that has no database of its own yet
    first = _run(env, *seed)

    # then it created, migrated and seeded one, and marked it
    assert f"seeding {name} at scale 0.01" in first
    seeded_at, patients = _one(name, "SELECT seeded_at, (counts->>'patients')::int FROM bench_seed_marker")
    assert patients == _one(name, "SELECT count(*) FROM kat_clinic_patient")[0] > 0

    # when it runs again on the same schema, it reuses the seed
    assert f"bench database {name} already seeded at scale 0.01" in _run(env, *seed)

    # given a seed made before the queue's index and tally migrations: the migrations undone, and
    # the marker naming the schema without them
    on_bench = {**env, "DATABASE_URL": _server_url(name)}
    _run(on_bench, "manage.py", "migrate", "followups", "0004", "--verbosity", "0")
    restamp = "import django; django.setup(); from bench.seed.orchestration import _restamp_marker; _restamp_marker()"
    _run({**on_bench, "DJANGO_SETTINGS_MODULE": "kat_clinic.settings"}, "-c", restamp)
    assert _one(name, "SELECT to_regclass('followup_clinic_due_idx')") == (None,)

    # when the bench runs, the index and the tally are built on the seeded rows, which stay as they were
    third = _run(env, *seed)
    assert f"bench database {name}: 3 migration(s) keeping its rows applied to the seeded data" in third
    assert _one(name, "SELECT to_regclass('followup_clinic_due_idx')::text") == ("followup_clinic_due_idx",)
    assert _one(name, "SELECT seeded_at FROM bench_seed_marker") == (seeded_at,)
    assert _one(name, "SELECT count(*) FROM kat_clinic_patient") == (patients,)
    followups, tallied = _one(
        name, "SELECT (SELECT count(*) FROM followups_followup), (SELECT sum(n) FROM followups_queuetally)"
    )
    assert tallied == followups > 0

    # and the marker names the schema as it now is: the next run reuses the seed again
    assert f"bench database {name} already seeded at scale 0.01" in _run(env, *seed)
