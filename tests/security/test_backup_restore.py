"""A pg_dump of the database restores into a fresh database whose audit chain still verifies."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg2
import pytest
from django.db import connection

from kat_clinic.audit.chain import audit_seal
from kat_clinic.audit.models import AuditChainLink, AuditEvent

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not shutil.which("pg_dump"), reason="pg_dump is not installed"),
]


def libpq_env() -> dict[str, str]:
    db = connection.settings_dict
    env = {**os.environ, "PGHOST": db["HOST"] or "127.0.0.1", "PGPORT": str(db["PORT"] or 5432), "PGUSER": db["USER"]}
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return env


@pytest.fixture
def fresh_database():
    name = f"{connection.settings_dict['NAME']}_restore_{uuid.uuid4().hex[:8]}"
    env = libpq_env()
    subprocess.run(["createdb", name], env=env, check=True)
    yield name
    subprocess.run(["dropdb", "--if-exists", "--force", name], env=env, check=True)


def test_a_restored_dump_passes_audit_verify_with_the_same_chain_heads(clinic, fresh_database, tmp_path):
    # given: sealed audit rows
    for path in ("/api/v1/patients/", "/api/v1/chart/notes/"):
        AuditEvent.objects.create(
            clinic_id=clinic.pk, action="list", method="GET", path=path, outcome="success", status_code=200
        )
    audit_seal(settle_seconds=0)
    head = AuditChainLink.objects.get(position=2).hash

    # when: dumped (custom format, as docs/operations.md says) and restored into a fresh database
    dump = tmp_path / "kat_clinic.dump"
    env = libpq_env()
    subprocess.run(["pg_dump", "-Fc", "-f", str(dump), connection.settings_dict["NAME"]], env=env, check=True)
    subprocess.run(["pg_restore", "--no-owner", "-d", fresh_database, str(dump)], env=env, check=True)
    db = connection.settings_dict
    verify = subprocess.run(
        [sys.executable, "manage.py", "audit_verify"],
        cwd=ROOT,
        env={
            **env,
            "DEBUG": "true",
            "DATABASE_URL": f"postgres://{db['USER']}@{env['PGHOST']}:{env['PGPORT']}/{fresh_database}",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )

    # then
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert f"chain clinic {clinic.pk}: 2 links, head {head}" in verify.stdout
    assert verify.stdout.rstrip().endswith("Every audit chain holds.")
    restored = psycopg2.connect(dbname=fresh_database, host=env["PGHOST"], port=env["PGPORT"], user=db["USER"])
    try:
        with restored.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM kat_clinic_auditevent")
            assert cursor.fetchone()[0] == 2
    finally:
        restored.close()
